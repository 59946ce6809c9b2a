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
      HearthWorkerMessage *m;
      HearthMessage *message;
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
      m = hearth_worker_message_new (role, hearth_thread_item_get_text (item));
      message = hearth_thread_item_get_message (item);
      if (role == HEARTH_CHAT_ROLE_ASSISTANT && hearth_message_get_tool_calls_json (message) != NULL)
        m->tool_calls = hearth_thread_tool_calls_from_json (hearth_message_get_tool_calls_json (message));
      else if (role == HEARTH_CHAT_ROLE_TOOL)
        {
          m->tool_call_id = g_strdup (hearth_message_get_tool_call_id (message));
          m->tool_name = g_strdup (hearth_message_get_tool_name (message));
        }
      g_ptr_array_add (out, m);
    }
  return out;
}

char *
hearth_thread_dup_tool_calls_json (HearthToolCalls   *calls,
                                   const char *const *ids)
{
  g_autoptr(HearthJsonValue) list = hearth_json_new_array ();

  for (guint i = 0; i < hearth_tool_calls_get_n_calls (calls); i++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);
      HearthJsonValue *o = hearth_json_new_object ();

      hearth_json_object_set (o, "id", hearth_json_new_string (ids[i], -1));
      hearth_json_object_set (o, "name", hearth_json_new_string (c->name != NULL ? c->name : "", -1));
      hearth_json_object_set (o, "arguments", c->arguments != NULL ? hearth_json_value_ref (c->arguments)
                                                                   : hearth_json_new_object ());
      hearth_json_array_append (list, o);
    }
  return hearth_json_to_string (list, -1);
}

HearthToolCalls *
hearth_thread_tool_calls_from_json (const char *json)
{
  g_autoptr(HearthJsonValue) list = hearth_json_parse (json, -1, NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  /* The stored calls, written out as Hermes calls and read back by the
   * engine's own parser: the one way to make HearthToolCalls. Not checked
   * against tools: they are history, not calls to run. */
  for (guint i = 0; list != NULL && hearth_json_get_type (list) == HEARTH_JSON_ARRAY &&
                    i < hearth_json_array_get_length (list); i++)
    {
      g_autofree char *one = hearth_json_to_string (hearth_json_array_get (list, i), -1);

      g_string_append_printf (text, "<tool_call>%s</tool_call>\n", one);
    }
  return hearth_tool_calls_parse (text->str, (gssize) text->len, HEARTH_TOOL_CALL_FORMAT_HERMES, NULL, NULL);
}

static char *
settings_json (const HearthSamplerParams *sampler,
               const char                *model,
               gboolean                   stopped,
               const char                *interrupted,
               const char                *failure)
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
  if (failure != NULL)
    {
      json_builder_set_member_name (b, "failure");
      json_builder_add_string_value (b, failure);
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
  return settings_json (sampler, model, stopped, NULL, NULL);
}

char *
hearth_thread_dup_settings_json_device_lost (const HearthSamplerParams *sampler,
                                             const char                *model)
{
  return settings_json (sampler, model, TRUE, "device-lost", NULL);
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
hearth_thread_dup_settings_json_failed (const HearthSamplerParams *sampler,
                                        const char                *model,
                                        const char                *message)
{
  return settings_json (sampler, model, TRUE, "remote", message);
}

char *
hearth_thread_settings_dup_failure (const char *settings_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = parse_settings (parser, settings_json);

  return o != NULL ? g_strdup (json_object_get_string_member_with_default (o, "failure", NULL)) : NULL;
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

char *
hearth_thread_dup_pretty_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = NULL;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL) ||
      json_parser_get_root (parser) == NULL)
    return g_strdup (json != NULL ? json : "");
  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, json_parser_get_root (parser));
  return json_generator_to_data (gen, NULL);
}
