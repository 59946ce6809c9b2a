/* hearth-api-request.c: OpenAI request bodies read into API jobs, and API errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fields that clients send and that change nothing here (user, metadata,
 * store, ...) are accepted and ignored; fields whose meaning cannot be
 * honoured (n > 1, logprobs, ...) are refused with a 400 that names them,
 * never silently dropped. response_format (json_schema, json_object) and
 * tool_choice (required, a named function) are honoured through the
 * engine's constraints: the grammars are compiled here, so that a schema
 * the engine cannot follow is the client's 400, named by the engine.
 */
#include "hearth-config.h"

#include "hearth-api-request.h"
#include "hearth-responder.h"
#include "hearth-thread.h"

#define INVALID "invalid_request_error"

void
hearth_api_error_set (HearthApiError *error,
                      guint           status,
                      const char     *type,
                      const char     *code,
                      const char     *param,
                      const char     *format,
                      ...)
{
  va_list args;

  hearth_api_error_clear (error);
  error->status = status;
  error->type = g_strdup (type);
  error->code = g_strdup (code);
  error->param = g_strdup (param);
  va_start (args, format);
  error->message = g_strdup_vprintf (format, args);
  va_end (args);
}

void
hearth_api_error_clear (HearthApiError *error)
{
  g_clear_pointer (&error->message, g_free);
  g_clear_pointer (&error->type, g_free);
  g_clear_pointer (&error->code, g_free);
  g_clear_pointer (&error->param, g_free);
  error->status = 0;
}

char *
hearth_api_error_to_json (const HearthApiError *error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error->message ? error->message : "");
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, error->type ? error->type : INVALID);
  json_builder_set_member_name (b, "param");
  if (error->param)
    json_builder_add_string_value (b, error->param);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "code");
  if (error->code)
    json_builder_add_string_value (b, error->code);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

void
hearth_api_request_info_clear (HearthApiRequestInfo *info)
{
  g_clear_pointer (&info->model, g_free);
}

static gboolean
bad (HearthApiError *error,
     const char     *param,
     const char     *message)
{
  hearth_api_error_set (error, 400, INVALID, NULL, param, "%s", message);
  return FALSE;
}

static gboolean
unsupported (HearthApiError *error,
             const char     *param,
             const char     *message)
{
  hearth_api_error_set (error, 400, INVALID, "unsupported_parameter", param, "%s", message);
  return FALSE;
}

/* A number member within [lo, hi]; absent (or null) leaves *out alone. */
static gboolean
get_number (JsonObject     *o,
            const char     *name,
            double          lo,
            double          hi,
            double         *out,
            HearthApiError *error)
{
  JsonNode *n = json_object_get_member (o, name);
  double v;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (json_node_get_value_type (n) != G_TYPE_DOUBLE && json_node_get_value_type (n) != G_TYPE_INT64)
    {
      hearth_api_error_set (error, 400, INVALID, "invalid_type", name, "'%s' must be a number", name);
      return FALSE;
    }
  v = json_node_get_double (n);
  if (!(v >= lo && v <= hi))
    {
      hearth_api_error_set (error, 400, INVALID, "invalid_value", name, "'%s' must be between %g and %g, not %g",
                            name, lo, hi, v);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
get_bool (JsonObject     *o,
          const char     *name,
          gboolean       *out,
          HearthApiError *error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    {
      hearth_api_error_set (error, 400, INVALID, "invalid_type", name, "'%s' must be a boolean", name);
      return FALSE;
    }
  *out = json_node_get_boolean (n);
  return TRUE;
}

/* A string member: absent or null gives @fallback; another type is a 400
 * naming @param (json-glib's own getters complain, and return the
 * fallback, when a member is there with another type). */
static gboolean
get_string (JsonObject     *o,
            const char     *name,
            const char     *param,
            const char     *fallback,
            const char    **out,
            HearthApiError *error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      *out = fallback;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      hearth_api_error_set (error, 400, INVALID, "invalid_type", param, "'%s' must be a string", name);
      return FALSE;
    }
  *out = json_node_get_string (n);
  return TRUE;
}

/* The fields chat and completions share. */
static gboolean
parse_common (JsonObject           *o,
              HearthApiJob         *job,
              HearthApiRequestInfo *info,
              guint32               default_max_tokens,
              HearthApiError       *error)
{
  JsonNode *n;
  double temperature = 1.0, top_p = 1.0, max_tokens = default_max_tokens, v;
  double frequency = 0, presence = 0, count = 1;

  n = json_object_get_member (o, "model");
  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return bad (error, "model", "'model' is required: one of the ids GET /v1/models lists");
  info->model = g_strdup (json_node_get_string (n));

  if (!get_bool (o, "stream", &info->stream, error) ||
      !get_number (o, "temperature", 0, 2, &temperature, error) ||
      !get_number (o, "top_p", 0, 1, &top_p, error) ||
      !get_number (o, "frequency_penalty", -2, 2, &frequency, error) ||
      !get_number (o, "presence_penalty", -2, 2, &presence, error) ||
      !get_number (o, "n", 1, 128, &count, error))
    return FALSE;
  if (count != 1)
    return unsupported (error, "n", "Only n = 1 is supported");

  v = -1;
  if (!get_number (o, "max_completion_tokens", 1, G_MAXUINT32, &v, error))
    return FALSE;
  if (v < 0 && !get_number (o, "max_tokens", 1, G_MAXUINT32, &v, error))
    return FALSE;
  if (v > 0)
    max_tokens = v;
  job->max_tokens = (guint32) max_tokens;

  job->sampler.temperature = (float) temperature;
  job->sampler.top_p = (float) top_p;
  job->sampler.top_k = 0;
  job->sampler.min_p = 0;
  job->sampler.repeat_penalty = 1;
  job->sampler.frequency_penalty = (float) frequency;
  job->sampler.presence_penalty = (float) presence;
  n = json_object_get_member (o, "seed");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
    {
      if (json_node_get_value_type (n) != G_TYPE_INT64)
        return bad (error, "seed", "'seed' must be an integer");
      job->sampler.seed = (guint64) json_node_get_int (n);
    }
  else
    job->sampler.seed = ((guint64) g_random_int () << 32) | g_random_int ();

  n = json_object_get_member (o, "stop");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
    {
      g_autoptr(GPtrArray) stop = g_ptr_array_new_with_free_func (g_free);

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_ptr_array_add (stop, g_strdup (json_node_get_string (n)));
      else if (JSON_NODE_HOLDS_ARRAY (n) && json_array_get_length (json_node_get_array (n)) <= 4)
        {
          JsonArray *a = json_node_get_array (n);

          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode *s = json_array_get_element (a, i);

              if (!JSON_NODE_HOLDS_VALUE (s) || json_node_get_value_type (s) != G_TYPE_STRING)
                return bad (error, "stop", "'stop' must be a string or an array of up to 4 strings");
              g_ptr_array_add (stop, g_strdup (json_node_get_string (s)));
            }
        }
      else
        return bad (error, "stop", "'stop' must be a string or an array of up to 4 strings");
      for (guint i = 0; i < stop->len; i++)
        if (*(char *) g_ptr_array_index (stop, i) == '\0')
          return bad (error, "stop", "A stop string must not be empty");
      g_ptr_array_add (stop, NULL);
      job->stop = (char **) g_ptr_array_free (g_steal_pointer (&stop), FALSE);
    }

  n = json_object_get_member (o, "stream_options");
  if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
    {
      if (!get_bool (json_node_get_object (n), "include_usage", &info->include_usage, error))
        return FALSE;
    }
  n = json_object_get_member (o, "logprobs");
  if (n != NULL && ((JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN &&
                     json_node_get_boolean (n)) ||
                    (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)))
    return unsupported (error, "logprobs", "logprobs are not supported yet");
  return TRUE;
}

/* "content": a string, null, or an array of {"type": "text", "text"} parts. */
static gboolean
message_text (JsonObject     *m,
              char          **out,
              HearthApiError *error)
{
  JsonNode *n = json_object_get_member (m, "content");

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      *out = g_strdup ("");
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    {
      *out = g_strdup (json_node_get_string (n));
      return TRUE;
    }
  if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *p = json_array_get_element (a, i);
          JsonObject *po = JSON_NODE_HOLDS_OBJECT (p) ? json_node_get_object (p) : NULL;
          const char *type = NULL, *part = NULL;

          if (po != NULL && !get_string (po, "type", "messages", "", &type, error))
            return FALSE;
          if (po == NULL || g_strcmp0 (type, "text") != 0 || !json_object_has_member (po, "text"))
            return unsupported (error, "messages", "Only text content parts are supported");
          if (!get_string (po, "text", "messages", "", &part, error))
            return FALSE;
          g_string_append (text, part);
        }
      *out = g_string_free (g_steal_pointer (&text), FALSE);
      return TRUE;
    }
  return bad (error, "messages", "A message's 'content' must be a string, an array of text parts or null");
}

/* An assistant message's OpenAI tool_calls, as HearthToolCalls (ids kept);
 * @names maps each id to its function's name for the tool messages after. */
static gboolean
message_tool_calls (JsonArray        *calls,
                    GHashTable       *names,
                    HearthToolCalls **out,
                    HearthApiError   *error)
{
  g_autoptr(HearthJsonValue) list = hearth_json_new_array ();
  g_autofree char *json = NULL;

  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonNode *cn = json_array_get_element (calls, i);
      JsonObject *c = JSON_NODE_HOLDS_OBJECT (cn) ? json_node_get_object (cn) : NULL;
      JsonObject *f = c != NULL && json_object_has_member (c, "function") &&
                      JSON_NODE_HOLDS_OBJECT (json_object_get_member (c, "function"))
                        ? json_object_get_object_member (c, "function") : NULL;
      const char *id, *name, *args;
      HearthJsonValue *o, *parsed;

      if (f == NULL)
        return bad (error, "messages", "A tool call needs a 'function' object");
      if (!get_string (c, "id", "messages", "", &id, error) || !get_string (f, "name", "messages", "", &name, error) ||
          !get_string (f, "arguments", "messages", "{}", &args, error))
        return FALSE;
      parsed = hearth_json_parse (args, -1, NULL);
      if (parsed == NULL || hearth_json_get_type (parsed) != HEARTH_JSON_OBJECT)
        {
          g_clear_pointer (&parsed, hearth_json_value_unref);
          return bad (error, "messages", "A tool call's 'arguments' must be a JSON object in a string");
        }
      o = hearth_json_new_object ();
      hearth_json_object_set (o, "id", hearth_json_new_string (id, -1));
      hearth_json_object_set (o, "name", hearth_json_new_string (name, -1));
      hearth_json_object_set (o, "arguments", parsed);
      hearth_json_array_append (list, o);
      if (*id)
        g_hash_table_insert (names, g_strdup (id), g_strdup (name));
    }
  json = hearth_json_to_string (list, -1);
  *out = hearth_thread_tool_calls_from_json (json);
  return TRUE;
}

static gboolean
parse_tools (JsonObject           *o,
             HearthApiJob         *job,
             HearthApiRequestInfo *info,
             HearthApiError       *error)
{
  JsonNode *tools = json_object_get_member (o, "tools");
  JsonNode *choice = json_object_get_member (o, "tool_choice");
  const char *only = NULL;
  g_autoptr(JsonArray) kept = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (tools == NULL || JSON_NODE_HOLDS_NULL (tools))
    {
      if (choice != NULL && (JSON_NODE_HOLDS_OBJECT (choice) ||
                             (JSON_NODE_HOLDS_VALUE (choice) && json_node_get_value_type (choice) == G_TYPE_STRING &&
                              g_strcmp0 (json_node_get_string (choice), "required") == 0)))
        return bad (error, "tool_choice", "tool_choice 'required' or a function needs the tools in 'tools'");
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (tools))
    return bad (error, "tools", "'tools' must be an array");
  if (choice != NULL && JSON_NODE_HOLDS_VALUE (choice) && json_node_get_value_type (choice) == G_TYPE_STRING)
    {
      const char *c = json_node_get_string (choice);

      if (g_strcmp0 (c, "none") == 0)
        return TRUE;
      if (g_strcmp0 (c, "required") == 0)
        job->tools_required = TRUE;
      else if (g_strcmp0 (c, "auto") != 0)
        return bad (error, "tool_choice", "'tool_choice' must be none, auto or a function");
    }
  else if (choice != NULL && JSON_NODE_HOLDS_OBJECT (choice))
    {
      JsonObject *co = json_node_get_object (choice);
      JsonObject *f = json_object_has_member (co, "function") &&
                      JSON_NODE_HOLDS_OBJECT (json_object_get_member (co, "function"))
                        ? json_object_get_object_member (co, "function") : NULL;

      if (f != NULL && !get_string (f, "name", "tool_choice", NULL, &only, error))
        return FALSE;
      if (only == NULL)
        return bad (error, "tool_choice", "'tool_choice' names a function as {\"type\": \"function\", "
                                          "\"function\": {\"name\": ...}}");
      /* Only that function is offered, and it must be called. */
      job->tools_required = TRUE;
    }
  else if (choice != NULL && !JSON_NODE_HOLDS_NULL (choice))
    return bad (error, "tool_choice", "'tool_choice' must be none, auto or a function");

  kept = json_array_new ();
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      JsonNode *t = json_array_get_element (json_node_get_array (tools), i);
      JsonObject *to = JSON_NODE_HOLDS_OBJECT (t) ? json_node_get_object (t) : NULL;
      JsonObject *f = to != NULL && json_object_has_member (to, "function") &&
                      JSON_NODE_HOLDS_OBJECT (json_object_get_member (to, "function"))
                        ? json_object_get_object_member (to, "function") : NULL;
      const char *name = NULL, *type = NULL;

      if ((f != NULL && !get_string (f, "name", "tools", NULL, &name, error)) ||
          (to != NULL && !get_string (to, "type", "tools", "", &type, error)))
        return FALSE;
      if (to == NULL || g_strcmp0 (type, "function") != 0 || name == NULL || *name == '\0')
        return bad (error, "tools", "Each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}");
      if (only == NULL || g_strcmp0 (only, name) == 0)
        json_array_add_element (kept, json_node_copy (t));
    }
  if (only != NULL && json_array_get_length (kept) == 0)
    return bad (error, "tool_choice", "'tool_choice' names a function that is not in 'tools'");
  if (json_array_get_length (kept) == 0)
    {
      if (job->tools_required)
        return bad (error, "tool_choice", "tool_choice 'required' needs at least one tool in 'tools'");
      return TRUE;
    }
  node = json_node_init_array (json_node_alloc (), kept);
  job->tools_json = json_to_string (node, FALSE);
  info->has_tools = TRUE;
  if (job->tools_required)
    {
      g_autoptr(HearthJsonValue) parsed = hearth_json_parse (job->tools_json, -1, NULL);
      g_autoptr(HearthGrammar) check = NULL;
      g_autoptr(GError) e = NULL;

      /* The grammar the chat will build, built once here to refuse what
       * it cannot force before anything runs. */
      check = parsed != NULL ? hearth_grammar_new_for_tools (parsed, "<tool_call>", "</tool_call>", &e) : NULL;
      if (check == NULL)
        {
          hearth_api_error_set (error, 400, INVALID,
                                e != NULL && e->code == HEARTH_ENGINE_ERROR_UNSUPPORTED ? "unsupported_schema" : NULL,
                                "tools", "A tool's parameters cannot be forced: %s",
                                e != NULL ? e->message : "the tools are not valid JSON");
          return FALSE;
        }
    }
  return TRUE;
}

/* Any JSON object, for response_format json_object: the same whitespace
 * and number bounds as the engine's schema grammars. */
static const char json_object_gbnf[] =
  "root ::= object\n"
  "value ::= object | array | string | number | \"true\" | \"false\" | \"null\"\n"
  "object ::= \"{\" ws ( member ( ws \",\" ws member )* ws )? \"}\"\n"
  "member ::= string ws \":\" ws value\n"
  "array ::= \"[\" ws ( value ( ws \",\" ws value )* ws )? \"]\"\n"
  "string ::= \"\\\"\" char* \"\\\"\"\n"
  "char ::= [^\"\\\\\\x00-\\x1F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" ( [0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} ) )\n"
  "number ::= \"-\"? ( \"0\" | [1-9] [0-9]{0,14} ) ( \".\" [0-9]{1,15} )?\n"
  "ws ::= [ \\t\\n]{0,4}\n";

static gboolean
grammar_failed (HearthApiError *error,
                const char     *what,
                GError         *e)
{
  hearth_api_error_set (error, 400, INVALID,
                        e->code == HEARTH_ENGINE_ERROR_UNSUPPORTED ? "unsupported_schema" : "invalid_json_schema",
                        "response_format", "%s: %s", what, e->message);
  return FALSE;
}

/* response_format: text (nothing to do), json_object or json_schema
 * {"name", "schema", "strict"}: the reply is constrained to it. The
 * constraint is always strict; "strict": false is accepted and changes
 * nothing. */
static gboolean
parse_response_format (JsonObject     *o,
                       HearthApiJob   *job,
                       HearthApiError *error)
{
  JsonNode *n = json_object_get_member (o, "response_format");
  g_autoptr(GError) e = NULL;
  g_autofree char *text = NULL;
  JsonObject *rf, *js;
  const char *type;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return bad (error, "response_format", "'response_format' must be an object with a 'type'");
  rf = json_node_get_object (n);
  if (!get_string (rf, "type", "response_format", "", &type, error))
    return FALSE;
  if (g_str_equal (type, "text"))
    return TRUE;
  if (g_str_equal (type, "json_object"))
    {
      job->grammar = hearth_grammar_new_from_gbnf (json_object_gbnf, -1, &e);
      g_assert_no_error (e);
      return TRUE;
    }
  if (!g_str_equal (type, "json_schema"))
    {
      hearth_api_error_set (error, 400, INVALID, "invalid_value", "response_format",
                            "response_format type '%s' is not one of text, json_object, json_schema", type);
      return FALSE;
    }
  n = json_object_get_member (rf, "json_schema");
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return bad (error, "response_format", "response_format json_schema needs a 'json_schema' object "
                                          "{\"name\", \"schema\", \"strict\"}");
  js = json_node_get_object (n);
  n = json_object_get_member (js, "name");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING ||
      *json_node_get_string (n) == '\0')
    return bad (error, "response_format", "response_format json_schema needs a 'name'");
  n = json_object_get_member (js, "strict");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n) &&
      (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN))
    return bad (error, "response_format", "response_format json_schema 'strict' must be a boolean");
  n = json_object_get_member (js, "schema");
  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    {
      /* No schema: any JSON object, as json_object. */
      job->grammar = hearth_grammar_new_from_gbnf (json_object_gbnf, -1, &e);
      g_assert_no_error (e);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return bad (error, "response_format", "response_format json_schema 'schema' must be an object");
  text = json_to_string (n, FALSE);
  job->grammar = hearth_grammar_new_from_json_schema (text, -1, &e);
  if (job->grammar == NULL)
    return grammar_failed (error, "The schema cannot be followed", e);
  return TRUE;
}

gboolean
hearth_api_parse_chat (JsonNode             *root,
                       guint                 max_messages,
                       HearthApiJob         *job,
                       HearthApiRequestInfo *info,
                       HearthApiError       *error)
{
  JsonObject *o;
  JsonNode *n;
  JsonArray *messages;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return bad (error, NULL, "The request body must be a JSON object");
  o = json_node_get_object (root);
  if (!parse_common (o, job, info, 0, error))
    return FALSE;

  if (!parse_response_format (o, job, error))
    return FALSE;
  if (!parse_tools (o, job, info, error))
    return FALSE;
  if (job->grammar != NULL && job->tools_required)
    return unsupported (error, "tool_choice", "A forced tool call and a response_format cannot both be "
                                              "honoured: the reply is either a tool call or the format");

  n = json_object_get_member (o, "messages");
  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (json_node_get_array (n)) == 0)
    return bad (error, "messages", "'messages' must be a non-empty array");
  messages = json_node_get_array (n);
  if (json_array_get_length (messages) > max_messages)
    {
      hearth_api_error_set (error, 400, INVALID, "too_many_messages", "messages",
                            "Too many messages: %u, at most %u", json_array_get_length (messages), max_messages);
      return FALSE;
    }
  job->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_worker_message_free);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *mn = json_array_get_element (messages, i);
      JsonObject *m = JSON_NODE_HOLDS_OBJECT (mn) ? json_node_get_object (mn) : NULL;
      const char *role = "";
      g_autofree char *text = NULL;
      HearthWorkerMessage *wm;
      HearthChatRole r;

      if (m == NULL)
        return bad (error, "messages", "Each message must be an object");
      if (!get_string (m, "role", "messages", "", &role, error))
        return FALSE;
      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        r = HEARTH_CHAT_ROLE_SYSTEM;
      else if (g_str_equal (role, "user"))
        r = HEARTH_CHAT_ROLE_USER;
      else if (g_str_equal (role, "assistant"))
        r = HEARTH_CHAT_ROLE_ASSISTANT;
      else if (g_str_equal (role, "tool"))
        r = HEARTH_CHAT_ROLE_TOOL;
      else
        {
          hearth_api_error_set (error, 400, INVALID, "invalid_value", "messages",
                                "Message %u has an unknown role '%s' (system, developer, user, assistant "
                                "or tool)", i, role);
          return FALSE;
        }
      if (!message_text (m, &text, error))
        return FALSE;
      wm = hearth_worker_message_new (r, text);
      g_ptr_array_add (job->messages, wm);
      if (r == HEARTH_CHAT_ROLE_ASSISTANT && json_object_has_member (m, "tool_calls") &&
          JSON_NODE_HOLDS_ARRAY (json_object_get_member (m, "tool_calls")) &&
          json_array_get_length (json_object_get_array_member (m, "tool_calls")) > 0 &&
          !message_tool_calls (json_object_get_array_member (m, "tool_calls"), names, &wm->tool_calls, error))
        return FALSE;
      if (r == HEARTH_CHAT_ROLE_TOOL)
        {
          const char *id = NULL, *name = NULL;

          if (!get_string (m, "tool_call_id", "messages", NULL, &id, error) ||
              !get_string (m, "name", "messages", NULL, &name, error))
            return FALSE;
          if (id == NULL)
            return bad (error, "messages", "A tool message needs 'tool_call_id'");
          wm->tool_call_id = g_strdup (id);
          wm->tool_name = g_strdup (name != NULL ? name : g_hash_table_lookup (names, id));
        }
    }
  return TRUE;
}

gboolean
hearth_api_parse_completion (JsonNode             *root,
                             HearthApiJob         *job,
                             HearthApiRequestInfo *info,
                             HearthApiError       *error)
{
  JsonObject *o;
  JsonNode *n;
  gboolean echo = FALSE;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return bad (error, NULL, "The request body must be a JSON object");
  o = json_node_get_object (root);
  /* OpenAI's default for completions is 16 tokens. */
  if (!parse_common (o, job, info, 16, error) || !get_bool (o, "echo", &echo, error))
    return FALSE;
  if (echo)
    return unsupported (error, "echo", "echo is not supported yet");
  if (json_object_has_member (o, "suffix") && !JSON_NODE_HOLDS_NULL (json_object_get_member (o, "suffix")))
    return unsupported (error, "suffix", "suffix is not supported");
  n = json_object_get_member (o, "prompt");
  if (n != NULL && JSON_NODE_HOLDS_ARRAY (n) && json_array_get_length (json_node_get_array (n)) == 1)
    n = json_array_get_element (json_node_get_array (n), 0);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return bad (error, "prompt", "'prompt' must be a string (or an array of one string)");
  job->prompt = g_strdup (json_node_get_string (n));
  return TRUE;
}
