/* hearth-thread.c: what a reply is given and what is stored beside it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-thread.h"

GPtrArray *
hearth_thread_to_worker_messages (GListModel *thread,
                                  guint       n)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_worker_message_free);

  n = MIN (n, g_list_model_get_n_items (thread));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (thread, i);
      HearthChatRole role;

      if (hearth_thread_item_get_streaming (item))
        continue;
      switch (hearth_thread_item_get_role (item))
        {
        case HEARTH_MESSAGE_ROLE_USER: role = HEARTH_CHAT_ROLE_USER; break;
        case HEARTH_MESSAGE_ROLE_ASSISTANT: role = HEARTH_CHAT_ROLE_ASSISTANT; break;
        case HEARTH_MESSAGE_ROLE_TOOL: role = HEARTH_CHAT_ROLE_TOOL; break;
        case HEARTH_MESSAGE_ROLE_SYSTEM:
        default:
          continue;
        }
      g_ptr_array_add (out, hearth_worker_message_new (role, hearth_thread_item_get_text (item)));
    }
  return out;
}

static char *
settings_json (const HearthSamplerParams *sampler,
               const char                *model,
               gboolean                   stopped,
               const char                *interrupted)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  if (model != NULL)
    {
      g_autofree char *base = g_path_get_basename (model);

      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, base);
    }
  if (sampler != NULL)
    {
      json_builder_set_member_name (b, "temperature");
      json_builder_add_double_value (b, sampler->temperature);
      json_builder_set_member_name (b, "top_p");
      json_builder_add_double_value (b, sampler->top_p);
      json_builder_set_member_name (b, "top_k");
      json_builder_add_int_value (b, sampler->top_k);
      json_builder_set_member_name (b, "min_p");
      json_builder_add_double_value (b, sampler->min_p);
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, (gint64) sampler->seed);
    }
  json_builder_set_member_name (b, "stopped");
  json_builder_add_boolean_value (b, stopped);
  if (interrupted != NULL)
    {
      json_builder_set_member_name (b, "interrupted");
      json_builder_add_string_value (b, interrupted);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

char *
hearth_thread_dup_settings_json (const HearthSamplerParams *sampler,
                                 const char                *model,
                                 gboolean                   stopped)
{
  return settings_json (sampler, model, stopped, NULL);
}

char *
hearth_thread_dup_settings_json_device_lost (const HearthSamplerParams *sampler,
                                             const char                *model)
{
  return settings_json (sampler, model, TRUE, "device-lost");
}

/* The stored settings' object, or NULL when they are not one. */
static JsonObject *
parse_settings (JsonParser *parser,
                const char *settings_json)
{
  JsonNode *root;

  if (settings_json == NULL || !json_parser_load_from_data (parser, settings_json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_node_get_object (root);
}

gboolean
hearth_thread_settings_say_stopped (const char *settings_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_settings (parser, settings_json);

  return o != NULL && json_object_get_boolean_member_with_default (o, "stopped", FALSE);
}

gboolean
hearth_thread_settings_say_device_lost (const char *settings_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_settings (parser, settings_json);

  return o != NULL && g_strcmp0 (json_object_get_string_member_with_default (o, "interrupted", NULL),
                                 "device-lost") == 0;
}

char *
hearth_thread_dup_title_for (const char *first_message)
{
  g_autofree char *line = NULL;
  const char *nl;
  glong n_chars;

  if (first_message == NULL)
    return g_strdup ("");
  while (g_ascii_isspace (*first_message))
    first_message++;
  nl = strchr (first_message, '\n');
  line = nl ? g_strndup (first_message, (gsize) (nl - first_message)) : g_strdup (first_message);
  g_strstrip (line);
  n_chars = g_utf8_strlen (line, -1);
  if (n_chars > 40)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, 40);

      g_strchomp (cut);
      return g_strconcat (cut, "…", NULL);
    }
  return g_steal_pointer (&line);
}
