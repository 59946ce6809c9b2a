/* hearth-json-member.c: json-glib members read by type, never complaining about input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>

#include "hearth-json-member.h"

static JsonNode *
member (JsonObject *o,
        const char *name)
{
  return o != NULL ? json_object_get_member (o, name) : NULL;
}

const char *
hearth_json_member_string (JsonObject *o,
                           const char *name,
                           const char *fallback)
{
  JsonNode *n = member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (n);
}

gint64
hearth_json_member_int (JsonObject *o,
                        const char *name,
                        gint64      fallback)
{
  JsonNode *n = member (o, name);
  double d;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return fallback;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    return json_node_get_int (n);
  if (json_node_get_value_type (n) != G_TYPE_DOUBLE)
    return fallback;
  d = json_node_get_double (n);
  /* 2^63 is exactly representable; anything from it up is out of range. */
  if (!isfinite (d) || d != floor (d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return fallback;
  return (gint64) d;
}

JsonObject *
hearth_json_member_object (JsonObject *o,
                           const char *name)
{
  JsonNode *n = member (o, name);

  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonArray *
hearth_json_member_array (JsonObject *o,
                          const char *name)
{
  JsonNode *n = member (o, name);

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

JsonObject *
hearth_json_element_object (JsonArray *a,
                            guint      index)
{
  JsonNode *n;

  if (a == NULL || index >= json_array_get_length (a))
    return NULL;
  n = json_array_get_element (a, index);
  return JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonObject *
hearth_json_root_object (JsonParser *parser)
{
  JsonNode *root = json_parser_get_root (parser);

  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

gboolean
hearth_json_load (JsonParser *parser,
                  const char *data,
                  gssize      length,
                  GError    **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *message = NULL;

  if (json_parser_load_from_data (parser, data, length, &local))
    return TRUE;
  message = g_utf8_make_valid (local->message, -1);
  g_set_error_literal (error, local->domain, local->code, message);
  return FALSE;
}

JsonArray *
hearth_json_root_array (JsonParser *parser)
{
  JsonNode *root = json_parser_get_root (parser);

  return root != NULL && JSON_NODE_HOLDS_ARRAY (root) ? json_node_get_array (root) : NULL;
}
