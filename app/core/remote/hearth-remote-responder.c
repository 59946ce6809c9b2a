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

#include "hearth-remote-responder.h"
#include "hearth-remote-sse.h"
#include "hearth-remote-stream.h"

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

typedef struct
{
  guint64          generation;
  char            *tools_json;
  SoupMessage     *msg;
  GInputStream    *stream;
  HearthSseParser *parser;
  HearthRemoteStream *reply;      /* the events taken so far */
  GByteArray      *error_body;    /* an HTTP error's body, read to report it */
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
  hearth_remote_stream_free (r->reply);
  if (r->error_body != NULL)
    g_byte_array_unref (r->error_body);
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

static gboolean
on_event (const char *data,
          gsize       len,
          gpointer    user_data)
{
  GTask *task = user_data;
  HearthRemoteResponder *self = g_task_get_source_object (task);
  Request *r = g_task_get_task_data (task);
  const char *content = NULL;

  if (!hearth_remote_stream_take (r->reply, data, len, &content, &r->failure))
    return FALSE;
  if (content != NULL)
    {
      if (r->first_at == 0)
        r->first_at = g_get_monotonic_time ();
      hearth_token_batcher_push (self->batcher, r->generation, content, strlen (content));
    }
  return TRUE;
}

static void
finish (GTask   *task,
        gboolean cancelled)
{
  Request *r = g_task_get_task_data (task);
  HearthWorkerReply *reply;
  gint64 now = g_get_monotonic_time ();
  guint32 prompt_tokens, completion_tokens;
  gboolean usage = hearth_remote_stream_get_usage (r->reply, &prompt_tokens, &completion_tokens);
  gsize text_len;
  const char *text = hearth_remote_stream_get_text (r->reply, &text_len);

  if (r->failure != NULL && !cancelled && text_len == 0 && hearth_remote_stream_get_n_calls (r->reply) == 0)
    {
      g_task_return_error (task, g_steal_pointer (&r->failure));
      g_object_unref (task);
      return;
    }
  reply = g_new0 (HearthWorkerReply, 1);
  reply->text = g_strdup (text);
  if (cancelled)
    reply->reason = HEARTH_STOP_CANCELLED;
  else if (r->failure != NULL)
    {
      reply->reason = HEARTH_STOP_NONE;
      reply->failure = g_strdup (r->failure->message);
    }
  else if (g_strcmp0 (hearth_remote_stream_get_finish_reason (r->reply), "length") == 0)
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
  reply->n_prompt_tokens = prompt_tokens;
  reply->n_generated = completion_tokens;
  reply->first_token_seconds = r->first_at != 0 ? (r->first_at - r->started) / 1e6 : 0;
  reply->gen_seconds = usage ? (now - r->started) / 1e6 : 0;
  reply->n_past = prompt_tokens + completion_tokens;
  if (!cancelled && r->failure == NULL)
    reply->tool_calls = hearth_remote_stream_dup_calls (r->reply, r->tools_json);
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
      if (!hearth_remote_stream_get_done (r->reply))
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
  r->reply = hearth_remote_stream_new (self->host);
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
