/* hearth-tool.c: tool descriptions and call results (immutable, ref-counted)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "hearth-plugin.h"

gboolean
hearth_tool_effects_need_approval (HearthToolEffects effects)
{
  if (effects & (HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_DESTRUCTIVE))
    return TRUE;
  return (effects & HEARTH_TOOL_EFFECT_READ_ONLY) == 0;
}

char *
hearth_tool_effects_to_string (HearthToolEffects effects)
{
  static const struct { HearthToolEffects flag; const char *name; } names[] = {
    { HEARTH_TOOL_EFFECT_READ_ONLY, "read-only" },
    { HEARTH_TOOL_EFFECT_SIDE_EFFECTS, "side-effects" },
    { HEARTH_TOOL_EFFECT_NETWORK, "network" },
    { HEARTH_TOOL_EFFECT_DESTRUCTIVE, "destructive" },
  };
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (effects & names[i].flag)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", names[i].name);
  if (s->len == 0)
    g_string_append (s, "undeclared");
  return g_string_free (s, FALSE);
}

struct _HearthTool
{
  gatomicrefcount   ref;
  char             *name;
  char             *description;
  JsonNode         *parameters;
  HearthToolEffects effects;
};

G_DEFINE_BOXED_TYPE (HearthTool, hearth_tool, hearth_tool_ref, hearth_tool_unref)

gboolean
hearth_tool_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  return TRUE;
}

HearthTool *
hearth_tool_new (const char        *name,
                 const char        *description,
                 JsonNode          *parameters,
                 HearthToolEffects  effects)
{
  HearthTool *tool;

  g_return_val_if_fail (name != NULL, NULL);

  tool = g_new0 (HearthTool, 1);
  g_atomic_ref_count_init (&tool->ref);
  tool->name = g_strdup (name);
  tool->description = g_strdup (description != NULL ? description : "");
  if (parameters != NULL)
    tool->parameters = json_node_copy (parameters);
  else
    {
      g_autoptr(JsonObject) schema = json_object_new ();

      json_object_set_string_member (schema, "type", "object");
      json_object_set_object_member (schema, "properties", json_object_new ());
      tool->parameters = json_node_init_object (json_node_alloc (), schema);
    }
  json_node_seal (tool->parameters);
  tool->effects = effects & HEARTH_TOOL_EFFECTS_ALL;
  return tool;
}

HearthTool *
hearth_tool_new_from_json (const char        *name,
                           const char        *description,
                           const char        *parameters_json,
                           HearthToolEffects  effects,
                           GError           **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (parameters_json != NULL, NULL);

  node = json_from_string (parameters_json, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "The parameters of tool “%s” are not a JSON object", name);
      return NULL;
    }
  return hearth_tool_new (name, description, node, effects);
}

HearthTool *
hearth_tool_ref (HearthTool *tool)
{
  g_return_val_if_fail (tool != NULL, NULL);
  g_atomic_ref_count_inc (&tool->ref);
  return tool;
}

void
hearth_tool_unref (HearthTool *tool)
{
  g_return_if_fail (tool != NULL);
  if (!g_atomic_ref_count_dec (&tool->ref))
    return;
  g_free (tool->name);
  g_free (tool->description);
  json_node_unref (tool->parameters);
  g_free (tool);
}

const char *
hearth_tool_get_name (HearthTool *tool)
{
  return tool->name;
}

const char *
hearth_tool_get_description (HearthTool *tool)
{
  return tool->description;
}

JsonNode *
hearth_tool_get_parameters (HearthTool *tool)
{
  return tool->parameters;
}

HearthToolEffects
hearth_tool_get_effects (HearthTool *tool)
{
  return tool->effects;
}

struct _HearthToolResult
{
  gatomicrefcount ref;
  char           *media_type;
  char           *data;
  gsize           len;
};

G_DEFINE_BOXED_TYPE (HearthToolResult, hearth_tool_result, hearth_tool_result_ref, hearth_tool_result_unref)

HearthToolResult *
hearth_tool_result_new (const char *media_type,
                        const char *data,
                        gssize      len)
{
  HearthToolResult *result;

  g_return_val_if_fail (media_type != NULL, NULL);
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 0)
    len = (gssize) strlen (data);
  result = g_new0 (HearthToolResult, 1);
  g_atomic_ref_count_init (&result->ref);
  result->media_type = g_strdup (media_type);
  result->data = g_malloc ((gsize) len + 1);
  if (len > 0)
    memcpy (result->data, data, (gsize) len);
  result->data[len] = '\0';
  result->len = (gsize) len;
  return result;
}

HearthToolResult *
hearth_tool_result_new_text (const char *text)
{
  return hearth_tool_result_new ("text/plain", text, -1);
}

HearthToolResult *
hearth_tool_result_new_json (const char *json)
{
  return hearth_tool_result_new ("application/json", json, -1);
}

HearthToolResult *
hearth_tool_result_ref (HearthToolResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_atomic_ref_count_inc (&result->ref);
  return result;
}

void
hearth_tool_result_unref (HearthToolResult *result)
{
  g_return_if_fail (result != NULL);
  if (!g_atomic_ref_count_dec (&result->ref))
    return;
  g_free (result->media_type);
  g_free (result->data);
  g_free (result);
}

const char *
hearth_tool_result_get_media_type (HearthToolResult *result)
{
  return result->media_type;
}

const char *
hearth_tool_result_get_data (HearthToolResult *result,
                             gsize            *len)
{
  if (len != NULL)
    *len = result->len;
  return result->data;
}
