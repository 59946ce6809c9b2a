/* hearth-remote-responder.c: replies from a remote model (an OpenAI-compatible server)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One reply: build the request (JSON), send it, read the body in chunks
 * through the SSE parser, handle each event as it completes, and finish
 * on [DONE], on the end of the body, on a failure or on stop.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-json-member.h"
#include "hearth-remote-responder.h"
#include "hearth-remote-sse.h"

/* Read at most this much of an error answer's body. */
#define MAX_ERROR_BODY (64 * 1024)
#define READ_SIZE      16384

struct _HearthRemoteResponder
{
  GObject               parent_instance;
  HearthRemoteProvider *provider;
  char                 *key;
  char                 *host;
  char                 *model;   /* "remote:NAME" */
  HearthTokenBatcher   *batcher;
  SoupSession          *session;
};

static void hearth_remote_responder_iface_init (HearthResponderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthRemoteResponder, hearth_remote_responder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RESPONDER, hearth_remote_responder_iface_init))

/* A call as its deltas arrive. */
typedef struct
{
  gint64   index;
  char    *id;
  char    *name;
  GString *arguments;
} CallParts;

static void
call_parts_free (CallParts *c)
{
  g_free (c->id);
  g_free (c->name);
  g_string_free (c->arguments, TRUE);
  g_free (c);
}

typedef struct
{
  guint64          generation;
  char            *tools_json;
  SoupMessage     *msg;
  GInputStream    *stream;
  HearthSseParser *parser;
  GString         *text;
  GPtrArray       *calls;         /* of CallParts, in order of first delta */
  GByteArray      *error_body;    /* an HTTP error's body, read to report it */
  char            *finish_reason;
  gboolean         done;          /* [DONE] was read */
  gboolean         usage;
  guint32          prompt_tokens;
  guint32          completion_tokens;
  gint64           started;
  gint64           first_at;
  GError          *failure;       /* what ended the stream early */
} Request;

static void
request_free (Request *r)
{
  g_free (r->tools_json);
  g_clear_object (&r->msg);
  g_clear_object (&r->stream);
  g_clear_pointer (&r->parser, hearth_sse_parser_free);
  g_string_free (r->text, TRUE);
  g_ptr_array_unref (r->calls);
  if (r->error_body != NULL)
    g_byte_array_unref (r->error_body);
  g_free (r->finish_reason);
  g_clear_error (&r->failure);
  g_free (r);
}

/* ---- the request ---- */

static void
add_tool_calls (JsonBuilder     *b,
                HearthToolCalls *calls)
{
  json_builder_set_member_name (b, "tool_calls");
  json_builder_begin_array (b);
  for (guint i = 0; i < hearth_tool_calls_get_n_calls (calls); i++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);
      g_autofree char *arguments = c->arguments != NULL ? hearth_json_to_string (c->arguments, -1) : g_strdup ("{}");
      g_autofree char *id = c->id != NULL ? g_strdup (c->id) : g_strdup_printf ("call_%u", i + 1);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "function");
      json_builder_set_member_name (b, "function");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, c->name != NULL ? c->name : "");
      json_builder_set_member_name (b, "arguments");
      json_builder_add_string_value (b, arguments);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_message (JsonBuilder         *b,
             HearthWorkerMessage *m)
{
  static const char *const roles[] = { "system", "user", "assistant", "tool" };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "role");
  json_builder_add_string_value (b, (guint) m->role < G_N_ELEMENTS (roles) ? roles[m->role] : "user");
  json_builder_set_member_name (b, "content");
  if (m->role == HEARTH_CHAT_ROLE_ASSISTANT && m->tool_calls != NULL &&
      hearth_tool_calls_get_n_calls (m->tool_calls) > 0)
    {
      if (m->content != NULL && m->content[0] != '\0')
        json_builder_add_string_value (b, m->content);
      else
        json_builder_add_null_value (b);
      add_tool_calls (b, m->tool_calls);
    }
  else
    json_builder_add_string_value (b, m->content != NULL ? m->content : "");
  if (m->role == HEARTH_CHAT_ROLE_TOOL)
    {
      json_builder_set_member_name (b, "tool_call_id");
      json_builder_add_string_value (b, m->tool_call_id != NULL ? m->tool_call_id : "");
      if (m->tool_name != NULL)
        {
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, m->tool_name);
        }
    }
  json_builder_end_object (b);
}

/* The tools as OpenAI's {"type": "function", "function": {...}}. */
static void
add_tools (JsonBuilder *b,
           const char  *tools_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *tools;

  if (!json_parser_load_from_data (parser, tools_json, -1, NULL) || (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (root))
    return;
  tools = json_node_get_array (root);
  if (json_array_get_length (tools) == 0)
    return;
  json_builder_set_member_name (b, "tools");
  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonNode *tool = json_array_get_element (tools, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (tool) ? json_node_get_object (tool) : NULL;

      if (o == NULL)
        continue;
      if (json_object_has_member (o, "type"))
        json_builder_add_value (b, json_node_copy (tool));
      else
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "type");
          json_builder_add_string_value (b, "function");
          json_builder_set_member_name (b, "function");
          json_builder_add_value (b, json_node_copy (tool));
          json_builder_end_object (b);
        }
    }
  json_builder_end_array (b);
}

static char *
dup_request_body (HearthRemoteResponder        *self,
                  const HearthResponderRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const HearthSamplerParams *s = request->sampler;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, self->provider->model);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  if (request->system_prompt != NULL && request->system_prompt[0] != '\0')
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, "system");
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, request->system_prompt);
      json_builder_end_object (b);
    }
  for (guint i = 0; i < request->messages->len; i++)
    add_message (b, g_ptr_array_index (request->messages, i));
  json_builder_end_array (b);
  if (request->tools_json != NULL)
    add_tools (b, request->tools_json);
  json_builder_set_member_name (b, "temperature");
  json_builder_add_double_value (b, s->temperature > 0 ? s->temperature : 0.0);
  if (s->top_p > 0 && s->top_p < 1)
    {
      json_builder_set_member_name (b, "top_p");
      json_builder_add_double_value (b, s->top_p);
    }
  if (s->seed != 0)
    {
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, (gint64) (s->seed & G_MAXINT32));
    }
  if (request->max_tokens > 0)
    {
      json_builder_set_member_name (b, "max_tokens");
      json_builder_add_int_value (b, request->max_tokens);
    }
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "stream_options");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "include_usage");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* ---- the answer ---- */

static CallParts *
call_for_index (Request *r,
                gint64   index)
{
  CallParts *c;

  for (guint i = 0; i < r->calls->len; i++)
    if (((CallParts *) g_ptr_array_index (r->calls, i))->index == index)
      return g_ptr_array_index (r->calls, i);
  c = g_new0 (CallParts, 1);
  c->index = index;
  c->arguments = g_string_new (NULL);
  g_ptr_array_add (r->calls, c);
  return c;
}

static gboolean
call_too_long (Request    *r,
               const char *host,
               gsize       bound)
{
  r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                            _("A tool call from %s is longer than %u bytes"), host, (guint) bound);
  return FALSE;
}

/* FALSE (r->failure set) when the calls go past the bounds: a server
 * streaming ever new call indexes, an endless name (HEARTH_REMOTE_MAX_LINE)
 * or endless arguments (HEARTH_REMOTE_MAX_TEXT) is refused. */
static gboolean
take_tool_call_deltas (Request    *r,
                       JsonArray  *deltas,
                       const char *host)
{
  for (guint i = 0; i < json_array_get_length (deltas); i++)
    {
      JsonObject *d = hearth_json_element_object (deltas, i);
      JsonObject *f;
      CallParts *c;
      const char *s;

      if (d == NULL)
        continue;
      c = call_for_index (r, hearth_json_member_int (d, "index", (gint64) i));
      if (r->calls->len > HEARTH_REMOTE_MAX_TOOL_CALLS)
        {
          r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                                    _("%s sent more than %u tool calls in one reply"), host,
                                    (guint) HEARTH_REMOTE_MAX_TOOL_CALLS);
          return FALSE;
        }
      if ((s = hearth_json_member_string (d, "id", NULL)) != NULL && s[0] != '\0')
        {
          g_free (c->id);
          c->id = g_strdup (s);
        }
      f = hearth_json_member_object (d, "function");
      if (f == NULL)
        continue;
      if ((s = hearth_json_member_string (f, "name", NULL)) != NULL)
        {
          g_autofree char *name = g_strconcat (c->name != NULL ? c->name : "", s, NULL);

          if (strlen (name) > HEARTH_REMOTE_MAX_LINE)
            return call_too_long (r, host, HEARTH_REMOTE_MAX_LINE);
          g_free (c->name);
          c->name = g_steal_pointer (&name);
        }
      if ((s = hearth_json_member_string (f, "arguments", NULL)) != NULL)
        {
          if (c->arguments->len + strlen (s) > HEARTH_REMOTE_MAX_TEXT)
            return call_too_long (r, host, HEARTH_REMOTE_MAX_TEXT);
          g_string_append (c->arguments, s);
        }
    }
  return TRUE;
}

static gboolean
on_event (const char *data,
          gsize       len,
          gpointer    user_data)
{
  GTask *task = user_data;
  HearthRemoteResponder *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *o;
  JsonArray *choices;
  JsonNode *usage;

  if (g_strcmp0 (data, "[DONE]") == 0)
    {
      r->done = TRUE;
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) || (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                                _("%s sent something that is not part of a reply"), self->host);
      return FALSE;
    }
  o = json_node_get_object (root);
  if (json_object_has_member (o, "error"))
    {
      JsonNode *e = json_object_get_member (o, "error");
      const char *said = JSON_NODE_HOLDS_OBJECT (e)
        ? hearth_json_member_string (json_node_get_object (e), "message", "") : "";

      r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_SERVER, _("%s failed mid-reply: %s"),
                                self->host, said);
      return FALSE;
    }
  usage = json_object_get_member (o, "usage");
  if (usage != NULL && JSON_NODE_HOLDS_OBJECT (usage))
    {
      JsonObject *u = json_node_get_object (usage);

      r->usage = TRUE;
      r->prompt_tokens = (guint32) CLAMP (hearth_json_member_int (u, "prompt_tokens", 0), 0, G_MAXUINT32);
      r->completion_tokens = (guint32) CLAMP (hearth_json_member_int (u, "completion_tokens", 0), 0, G_MAXUINT32);
    }
  choices = json_object_has_member (o, "choices") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "choices"))
    ? json_object_get_array_member (o, "choices") : NULL;
  if (choices != NULL && json_array_get_length (choices) > 0)
    {
      JsonObject *choice = hearth_json_element_object (choices, 0);
      JsonObject *delta = hearth_json_member_object (choice, "delta");
      const char *finish = hearth_json_member_string (choice, "finish_reason", NULL);

      if (delta != NULL)
        {
          const char *content = hearth_json_member_string (delta, "content", NULL);
          JsonNode *calls = json_object_get_member (delta, "tool_calls");

          if (content != NULL && content[0] != '\0')
            {
              if (r->text->len + strlen (content) > HEARTH_REMOTE_MAX_TEXT)
                {
                  r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                                            _("The reply from %s is longer than %u bytes"), self->host,
                                            (guint) HEARTH_REMOTE_MAX_TEXT);
                  return FALSE;
                }
              if (r->first_at == 0)
                r->first_at = g_get_monotonic_time ();
              g_string_append (r->text, content);
              hearth_token_batcher_push (self->batcher, r->generation, content, strlen (content));
            }
          if (calls != NULL && JSON_NODE_HOLDS_ARRAY (calls) &&
              !take_tool_call_deltas (r, json_node_get_array (calls), self->host))
            return FALSE;
        }
      if (finish != NULL)
        {
          g_free (r->finish_reason);
          r->finish_reason = g_strdup (finish);
        }
    }
  return TRUE;
}

/* The assembled calls, read back by the engine's parser (checked against
 * the tools offered); NULL when there were none. */
static HearthToolCalls *
dup_calls (Request *r)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(HearthJsonValue) tools = NULL;

  if (r->calls->len == 0 || r->tools_json == NULL)
    return NULL;
  tools = hearth_json_parse (r->tools_json, -1, NULL);
  g_string_append (text, r->text->str);
  for (guint i = 0; i < r->calls->len; i++)
    {
      CallParts *c = g_ptr_array_index (r->calls, i);
      g_autoptr(HearthJsonValue) o = hearth_json_new_object ();
      g_autoptr(HearthJsonValue) arguments = NULL;
      g_autofree char *one = NULL;

      arguments = c->arguments->len == 0 ? hearth_json_new_object ()
                                         : hearth_json_parse (c->arguments->str, (gssize) c->arguments->len, NULL);
      if (arguments == NULL)
        /* Not JSON: kept as the string it was, which the parser reports as
         * a call whose arguments are not an object; it never runs. */
        arguments = hearth_json_new_string (c->arguments->str, (gssize) c->arguments->len);
      if (c->id != NULL)
        hearth_json_object_set (o, "id", hearth_json_new_string (c->id, -1));
      hearth_json_object_set (o, "name", hearth_json_new_string (c->name != NULL ? c->name : "", -1));
      hearth_json_object_set (o, "arguments", g_steal_pointer (&arguments));
      one = hearth_json_to_string (o, -1);
      g_string_append_printf (text, "\n<tool_call>%s</tool_call>", one);
    }
  return hearth_tool_calls_parse (text->str, (gssize) text->len, HEARTH_TOOL_CALL_FORMAT_HERMES, tools, NULL);
}

static void
finish (GTask   *task,
        gboolean cancelled)
{
  Request *r = g_task_get_task_data (task);
  HearthWorkerReply *reply;
  gint64 now = g_get_monotonic_time ();

  if (r->failure != NULL && !cancelled && r->text->len == 0 && r->calls->len == 0)
    {
      g_task_return_error (task, g_steal_pointer (&r->failure));
      g_object_unref (task);
      return;
    }
  reply = g_new0 (HearthWorkerReply, 1);
  reply->text = g_strdup (r->text->str);
  if (cancelled)
    reply->reason = HEARTH_STOP_CANCELLED;
  else if (r->failure != NULL)
    {
      reply->reason = HEARTH_STOP_NONE;
      reply->failure = g_strdup (r->failure->message);
    }
  else if (g_strcmp0 (r->finish_reason, "length") == 0)
    reply->reason = HEARTH_STOP_LIMIT;
  else
    reply->reason = HEARTH_STOP_EOG;
  /* Token counts are the server's usage, or unknown (0): a delta is not
   * a token. So tokens/s is the usage's completion tokens over the time
   * from the request to the stream's end, or none. Not from the first
   * delta: a server (or a proxy) that buffers sends a whole reply in one
   * read, and a few microseconds would make an absurd figure. The
   * positions used are known only from the usage (the context's size
   * never is). */
  reply->n_prompt_tokens = r->usage ? r->prompt_tokens : 0;
  reply->n_generated = r->usage ? r->completion_tokens : 0;
  reply->first_token_seconds = r->first_at != 0 ? (r->first_at - r->started) / 1e6 : 0;
  reply->gen_seconds = r->usage ? (now - r->started) / 1e6 : 0;
  reply->n_past = r->usage ? r->prompt_tokens + r->completion_tokens : 0;
  if (!cancelled && r->failure == NULL)
    reply->tool_calls = dup_calls (r);
  g_task_return_pointer (task, reply, (GDestroyNotify) hearth_worker_reply_free);
  g_object_unref (task);
}

static void read_more (GTask *task);

static void
got_bytes (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  HearthRemoteResponder *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  gsize len = bytes != NULL ? g_bytes_get_size (bytes) : 0;

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      finish (task, TRUE);
      return;
    }
  if (r->error_body != NULL)
    {
      /* An HTTP error: its body says why, up to a bound. */
      if (bytes != NULL && len > 0 && r->error_body->len < MAX_ERROR_BODY)
        {
          g_byte_array_append (r->error_body, g_bytes_get_data (bytes, NULL), (guint) len);
          read_more (task);
          return;
        }
      {
        g_autoptr(GBytes) body = g_bytes_new (r->error_body->data, r->error_body->len);

        hearth_remote_set_http_error (&r->failure, self->host, soup_message_get_status (r->msg),
                                      soup_message_headers_get_one (soup_message_get_response_headers (r->msg),
                                                                    "Retry-After"), body);
      }
      finish (task, FALSE);
      return;
    }
  if (bytes == NULL)
    {
      r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_CUT,
                                _("The connection to %s was cut mid-reply: %s"), self->host, error->message);
      finish (task, FALSE);
      return;
    }
  if (len == 0)
    {
      if (!r->done)
        r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_CUT,
                                  _("The connection to %s was cut mid-reply"), self->host);
      finish (task, FALSE);
      return;
    }
  if (!hearth_sse_parser_feed (r->parser, g_bytes_get_data (bytes, NULL), len, &error))
    {
      r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL, _("%s: %s"), self->host,
                                error->message);
      finish (task, FALSE);
      return;
    }
  if (hearth_sse_parser_get_stopped (r->parser))
    {
      finish (task, FALSE);
      return;
    }
  read_more (task);
}

static void
read_more (GTask *task)
{
  Request *r = g_task_get_task_data (task);

  g_input_stream_read_bytes_async (r->stream, READ_SIZE, G_PRIORITY_DEFAULT, g_task_get_cancellable (task), got_bytes,
                                   task);
}

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  GTask *task = user_data;
  HearthRemoteResponder *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint status;

  r->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (r->stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        finish (task, TRUE);
      else
        {
          r->failure = g_error_new (HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_UNREACHABLE, _("Cannot reach %s: %s"),
                                    self->host, error->message);
          finish (task, FALSE);
        }
      return;
    }
  status = soup_message_get_status (r->msg);
  if (status < 200 || status >= 300)
    r->error_body = g_byte_array_new ();
  read_more (task);
}

static void
remote_respond_async (HearthResponder              *responder,
                      const HearthResponderRequest *request,
                      GCancellable                 *cancellable,
                      GAsyncReadyCallback           callback,
                      gpointer                      user_data)
{
  HearthRemoteResponder *self = HEARTH_REMOTE_RESPONDER (responder);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Request *r = g_new0 (Request, 1);
  g_autofree char *url = g_strconcat (self->provider->url, "/chat/completions", NULL);
  g_autofree char *body = dup_request_body (self, request);
  g_autoptr(GBytes) bytes = NULL;
  SoupMessageHeaders *headers;
  gsize body_len;

  g_task_set_source_tag (task, remote_respond_async);
  /* Stopped is a reply with what came, not an error. */
  g_task_set_check_cancellable (task, FALSE);
  r->generation = request->generation;
  r->tools_json = g_strdup (request->tools_json);
  r->text = g_string_new (NULL);
  r->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) call_parts_free);
  r->started = g_get_monotonic_time ();
  r->parser = hearth_sse_parser_new (HEARTH_REMOTE_MAX_LINE, HEARTH_REMOTE_MAX_EVENT, on_event, task);
  g_task_set_task_data (task, r, (GDestroyNotify) request_free);

  r->msg = soup_message_new (SOUP_METHOD_POST, url);
  if (r->msg == NULL)
    {
      g_task_return_new_error (task, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID, _("“%s” is not a URL"), url);
      g_object_unref (task);
      return;
    }
  headers = soup_message_get_request_headers (r->msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  if (self->key != NULL && self->key[0] != '\0')
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", self->key, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  body_len = strlen (body);
  bytes = g_bytes_new_take (g_steal_pointer (&body), body_len);
  soup_message_set_request_body_from_bytes (r->msg, "application/json", bytes);
  soup_session_send_async (self->session, r->msg, G_PRIORITY_DEFAULT, cancellable, sent, task);
}

static HearthWorkerReply *
remote_respond_finish (HearthResponder *responder,
                       GAsyncResult    *result,
                       GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, responder), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
remote_is_ready (HearthResponder *responder)
{
  return TRUE;
}

static const char *
remote_get_model (HearthResponder *responder)
{
  return HEARTH_REMOTE_RESPONDER (responder)->model;
}

static void
hearth_remote_responder_iface_init (HearthResponderInterface *iface)
{
  iface->is_ready = remote_is_ready;
  iface->get_model = remote_get_model;
  iface->respond_async = remote_respond_async;
  iface->respond_finish = remote_respond_finish;
}

static void
hearth_remote_responder_finalize (GObject *object)
{
  HearthRemoteResponder *self = HEARTH_REMOTE_RESPONDER (object);

  hearth_remote_provider_free (self->provider);
  if (self->key != NULL)
    memset (self->key, 0, strlen (self->key));
  g_free (self->key);
  g_free (self->host);
  g_free (self->model);
  g_clear_pointer (&self->batcher, hearth_token_batcher_unref);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hearth_remote_responder_parent_class)->finalize (object);
}

static void
hearth_remote_responder_class_init (HearthRemoteResponderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_remote_responder_finalize;
}

static void
hearth_remote_responder_init (HearthRemoteResponder *self)
{
}

HearthRemoteResponder *
hearth_remote_responder_new (const HearthRemoteProvider *provider,
                             const char                 *key,
                             HearthTokenBatcher         *batcher)
{
  HearthRemoteResponder *self;

  g_return_val_if_fail (provider != NULL && batcher != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_REMOTE_RESPONDER, NULL);
  self->provider = hearth_remote_provider_copy (provider);
  self->key = g_strdup (key);
  self->host = hearth_remote_provider_dup_host (provider);
  self->model = hearth_remote_model_for_provider (provider->name);
  self->batcher = hearth_token_batcher_ref (batcher);
  /* No overall timeout: a long reply streams for as long as it takes; a
   * server silent for two minutes is given up on. */
  self->session = g_object_new (SOUP_TYPE_SESSION, "timeout", 120, "idle-timeout", 60, NULL);
  return self;
}

const HearthRemoteProvider *
hearth_remote_responder_get_provider (HearthRemoteResponder *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_RESPONDER (self), NULL);
  return self->provider;
}

const char *
hearth_remote_responder_get_host (HearthRemoteResponder *self)
{
  g_return_val_if_fail (HEARTH_IS_REMOTE_RESPONDER (self), NULL);
  return self->host;
}
