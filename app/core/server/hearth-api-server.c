/* hearth-api-server.c: the local OpenAI-compatible API (opt-in), on libsoup 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One Request per POST being answered: it holds the message (paused while
 * its job runs) and the job; it is freed when both the job has ended and
 * libsoup has finished with the message, whichever comes last.
 */
#include "hearth-config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/socket.h>

#include "hearth-api-embed.h"
#include "hearth-api-pool.h"
#include "hearth-api-request.h"
#include "hearth-api-server.h"
#include "hearth-json-member.h"

/* How often a waiting request's socket is checked for a client gone away. */
#define WATCH_INTERVAL_MS 100

typedef struct
{
  char          *id;
  HearthApiPool *pool;     /* NULL for an encoder */
  HearthModel   *encoder;  /* an embedding model; NULL for a chat model */
  gint64         created;
} Model;

struct _HearthApiServer
{
  GObject               parent_instance;
  char                 *token;
  HearthApiServerLimits limits;
  SoupServer           *soup;
  GPtrArray            *models;   /* Model* */
  HearthApiMetrics     *metrics;
  GHashTable           *requests; /* Request* being answered */
  GHashTable           *embeds;   /* EmbedCall* being answered */
  gboolean              loopback;
  guint                 port;
  char                 *host;
};

G_DEFINE_FINAL_TYPE (HearthApiServer, hearth_api_server, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHAT_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  HearthApiServer      *server;
  SoupServerMessage    *msg;
  HearthApiJob         *job;
  HearthApiRequestInfo  info;
  const char           *endpoint;
  char                 *id;
  gint64                created;
  gboolean              msg_done;   /* libsoup finished with msg */
  gboolean              job_done;
  gboolean              sent_first;
  gulong                finished_id;
  guint                 watch_id;
} Request;

static void model_free (gpointer data)
{
  Model *m = data;

  g_free (m->id);
  g_clear_pointer (&m->pool, hearth_api_pool_free);
  g_clear_pointer (&m->encoder, hearth_model_unref);
  g_free (m);
}

void
hearth_api_server_limits_init (HearthApiServerLimits *limits)
{
  memset (limits, 0, sizeof *limits);
  limits->n_sessions = 4;
  limits->max_queue = 64;
  limits->max_body = 4 * 1024 * 1024;
  limits->max_messages = 1024;
}

/* ---- responses ---- */

static void
set_json (SoupServerMessage *msg,
          guint              status,
          char              *json)  /* taken */
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static void
respond_error (HearthApiServer   *self,
               SoupServerMessage *msg,
               const char        *endpoint,
               HearthApiError    *error)
{
  if (error->status == 401)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
  if (error->status == 429)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  set_json (msg, error->status, hearth_api_error_to_json (error));
  hearth_api_metrics_count_request (self->metrics, endpoint, error->status);
}

static JsonNode *
usage_node (guint32 n_prompt,
            guint32 n_generated)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, n_prompt);
  json_builder_set_member_name (b, "completion_tokens");
  json_builder_add_int_value (b, n_generated);
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, (gint64) n_prompt + n_generated);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
finish_reason (HearthApiJob *job,
               guint         n_calls)
{
  if (n_calls > 0)
    return "tool_calls";
  switch (job->reason)
    {
    case HEARTH_STOP_LIMIT:
    case HEARTH_STOP_CONTEXT_FULL:
      return "length";
    default:
      return "stop";
    }
}

/* The valid calls as OpenAI tool_calls entries; ids given where the model gave none. */
static JsonArray *
tool_calls_array (HearthToolCalls *calls,
                  gboolean         with_index)
{
  JsonArray *a = json_array_new ();

  for (guint i = 0; calls != NULL && i < hearth_tool_calls_get_n_calls (calls); i++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);
      g_autoptr(JsonBuilder) b = NULL;
      g_autofree char *args = NULL;
      g_autofree char *id = NULL;

      if (c->error != NULL)
        continue;
      b = json_builder_new ();
      args = hearth_json_to_string (c->arguments, -1);
      id = c->id != NULL ? g_strdup (c->id) : g_strdup_printf ("call_%08x%08x", g_random_int (), g_random_int ());
      json_builder_begin_object (b);
      if (with_index)
        {
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, json_array_get_length (a));
        }
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "function");
      json_builder_set_member_name (b, "function");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, c->name);
      json_builder_set_member_name (b, "arguments");
      json_builder_add_string_value (b, args);
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_array_add_element (a, json_builder_get_root (b));
    }
  return a;
}

/* {"id", "object", "created", "model", "choices": [], ...} with @choice
 * (taken; NULL: an empty choices list) and @usage (taken; may be NULL). */
static char *
envelope (Request    *req,
          const char *object,
          JsonNode   *choice,
          JsonNode   *usage,
          gboolean    usage_member)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, req->id);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, object);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, req->created);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, req->info.model);
  json_builder_set_member_name (b, "system_fingerprint");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  if (choice != NULL)
    json_builder_add_value (b, choice);
  json_builder_end_array (b);
  if (usage_member)
    {
      json_builder_set_member_name (b, "usage");
      if (usage != NULL)
        json_builder_add_value (b, usage);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* A choice: for chat, {"index", "message"|"delta", "logprobs", "finish_reason"};
 * for completions, {"text", "index", "logprobs", "finish_reason"}. */
static JsonNode *
choice_node (Request    *req,
             gboolean    delta,
             const char *role,
             const char *content,
             gboolean    content_null,
             JsonArray  *calls,  /* taken; may be NULL */
             const char *reason) /* NULL: null */
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean chat = req->job->kind == HEARTH_API_JOB_CHAT;

  json_builder_begin_object (b);
  if (!chat)
    {
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, content ? content : "");
    }
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, 0);
  if (chat)
    {
      json_builder_set_member_name (b, delta ? "delta" : "message");
      json_builder_begin_object (b);
      if (role != NULL)
        {
          json_builder_set_member_name (b, "role");
          json_builder_add_string_value (b, role);
        }
      if (content != NULL || content_null)
        {
          json_builder_set_member_name (b, "content");
          if (content_null)
            json_builder_add_null_value (b);
          else
            json_builder_add_string_value (b, content);
        }
      if (calls != NULL && json_array_get_length (calls) > 0)
        {
          json_builder_set_member_name (b, "tool_calls");
          json_builder_add_value (b, json_node_init_array (json_node_alloc (), calls));
        }
      if (!delta)
        {
          json_builder_set_member_name (b, "refusal");
          json_builder_add_null_value (b);
        }
      json_builder_end_object (b);
    }
  g_clear_pointer (&calls, json_array_unref);
  json_builder_set_member_name (b, "logprobs");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "finish_reason");
  if (reason != NULL)
    json_builder_add_string_value (b, reason);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static const char *
object_name (Request *req,
             gboolean chunk)
{
  if (req->job->kind == HEARTH_API_JOB_COMPLETION)
    return "text_completion";
  return chunk ? "chat.completion.chunk" : "chat.completion";
}

static void
sse_append (Request    *req,
            const char *data)  /* a JSON text or "[DONE]" */
{
  SoupMessageBody *body = soup_server_message_get_response_body (req->msg);
  char *event = g_strdup_printf ("data: %s\n\n", data);

  soup_message_body_append (body, SOUP_MEMORY_TAKE, event, strlen (event));
}

static void
sse_chunk (Request  *req,
           JsonNode *choice)  /* taken */
{
  g_autofree char *json = envelope (req, object_name (req, TRUE), choice, NULL, req->info.include_usage);

  sse_append (req, json);
}

/* ---- the request's life ---- */

static void
request_maybe_free (Request *req)
{
  if (!req->msg_done || !req->job_done)
    return;
  g_hash_table_remove (req->server->requests, req);
  g_clear_handle_id (&req->watch_id, g_source_remove);
  g_clear_signal_handler (&req->finished_id, req->msg);
  g_object_unref (req->msg);
  hearth_api_job_unref (req->job);
  hearth_api_request_info_clear (&req->info);
  g_free (req->id);
  g_object_unref (req->server);
  g_free (req);
}

static void
client_gone (Request *req)
{
  if (req->job_done || g_cancellable_is_cancelled (req->job->cancellable))
    return;
  hearth_api_metrics_count_disconnect (req->server->metrics);
  g_cancellable_cancel (req->job->cancellable);
}

static void
on_msg_finished (SoupServerMessage *msg,
                 Request           *req)
{
  req->msg_done = TRUE;
  g_clear_handle_id (&req->watch_id, g_source_remove);
  client_gone (req);
  request_maybe_free (req);
}

/* While a reply is computed nothing is written, so libsoup would notice a
 * closed connection only at the end: peek at the socket instead. */
static gboolean
watch_socket (gpointer data)
{
  Request *req = data;
  GSocket *sock = soup_server_message_get_socket (req->msg);
  char c;
  ssize_t n;

  if (sock == NULL)
    return G_SOURCE_CONTINUE;
  n = recv (g_socket_get_fd (sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
    {
      req->watch_id = 0;
      client_gone (req);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static char *
content_of (Request *req)
{
  if (req->job->tool_calls != NULL && hearth_tool_calls_get_n_valid (req->job->tool_calls) > 0)
    return g_strdup (hearth_tool_calls_get_content (req->job->tool_calls));
  return g_strdup (req->job->text != NULL ? req->job->text : "");
}

static void
job_error_to_api (GError         *error,
                  HearthApiError *api)
{
  if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL))
    hearth_api_error_set (api, 400, "invalid_request_error", "context_length_exceeded", "messages", "%s",
                          error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hearth_api_error_set (api, 503, "server_error", "cancelled", NULL, "%s", error->message);
  else if (error->domain == HEARTH_ENGINE_ERROR && error->code == HEARTH_ENGINE_ERROR_INVALID_ARGUMENT)
    hearth_api_error_set (api, 400, "invalid_request_error", NULL, NULL, "%s", error->message);
  else if (error->domain == HEARTH_ENGINE_ERROR && error->code == HEARTH_ENGINE_ERROR_UNSUPPORTED)
    hearth_api_error_set (api, 400, "invalid_request_error", "unsupported_parameter", NULL, "%s", error->message);
  else
    hearth_api_error_set (api, 500, "server_error", NULL, NULL, "The model failed: %s", error->message);
}

static void
finish_plain (Request *req)
{
  HearthApiJob *job = req->job;
  HearthApiServer *self = req->server;

  if (job->error != NULL)
    {
      HearthApiError api = { 0 };

      job_error_to_api (job->error, &api);
      respond_error (self, req->msg, req->endpoint, &api);
      hearth_api_error_clear (&api);
    }
  else
    {
      g_autofree char *content = content_of (req);
      JsonArray *calls = req->info.has_tools ? tool_calls_array (job->tool_calls, FALSE) : NULL;
      guint n_calls = calls != NULL ? json_array_get_length (calls) : 0;
      const char *reason = finish_reason (job, n_calls);
      JsonNode *choice = choice_node (req, FALSE, "assistant", n_calls > 0 && *content == '\0' ? NULL : content,
                                      n_calls > 0 && *content == '\0', calls, reason);

      set_json (req->msg, 200, envelope (req, object_name (req, FALSE), choice,
                                         usage_node (job->n_prompt, job->n_generated), TRUE));
      hearth_api_metrics_count_request (self->metrics, req->endpoint, 200);
    }
  soup_server_message_unpause (req->msg);
}

static void
stream_progress (Request *req)
{
  HearthApiJob *job = req->job;
  g_autofree char *text = hearth_api_job_take_text (job);
  gboolean chat = job->kind == HEARTH_API_JOB_CHAT;

  if (chat && !req->sent_first)
    {
      req->sent_first = TRUE;
      sse_chunk (req, choice_node (req, TRUE, "assistant", "", FALSE, NULL, NULL));
    }
  /* With tools the text may be a call in the model's own markup: it is
   * held back and sent as content or tool_calls once the reply is read. */
  if (*text != '\0' && !req->info.has_tools)
    sse_chunk (req, choice_node (req, TRUE, NULL, text, FALSE, NULL, NULL));

  if (job->done)
    {
      SoupMessageBody *body = soup_server_message_get_response_body (req->msg);

      if (job->error != NULL)
        {
          HearthApiError api = { 0 };
          g_autofree char *json = NULL;

          job_error_to_api (job->error, &api);
          json = hearth_api_error_to_json (&api);
          sse_append (req, json);
          hearth_api_error_clear (&api);
        }
      else
        {
          JsonArray *calls = req->info.has_tools ? tool_calls_array (job->tool_calls, TRUE) : NULL;
          guint n_calls = calls != NULL ? json_array_get_length (calls) : 0;

          if (req->info.has_tools)
            {
              g_autofree char *content = content_of (req);

              if (*content != '\0')
                sse_chunk (req, choice_node (req, TRUE, NULL, content, FALSE, NULL, NULL));
              if (n_calls > 0)
                sse_chunk (req, choice_node (req, TRUE, NULL, NULL, FALSE, json_array_ref (calls), NULL));
            }
          sse_chunk (req, choice_node (req, TRUE, NULL, NULL, FALSE, NULL, finish_reason (job, n_calls)));
          g_clear_pointer (&calls, json_array_unref);
          if (req->info.include_usage)
            {
              g_autofree char *json = envelope (req, object_name (req, TRUE), NULL,
                                                usage_node (job->n_prompt, job->n_generated), TRUE);
              sse_append (req, json);
            }
        }
      sse_append (req, "[DONE]");
      soup_message_body_complete (body);
    }
  soup_server_message_unpause (req->msg);
}

static void
on_job_progress (HearthApiJob *job,
                 gpointer      user_data)
{
  Request *req = user_data;

  if (!req->msg_done)
    {
      if (req->info.stream)
        stream_progress (req);
      else if (job->done)
        finish_plain (req);
    }
  if (job->done)
    {
      /* A complete chat reply, whether or not its client stayed to read it. */
      if (job->error == NULL && job->kind == HEARTH_API_JOB_CHAT && job->text != NULL)
        g_signal_emit (req->server, signals[SIGNAL_CHAT_FINISHED], 0, req->info.model, job->messages, job->text);
      req->job_done = TRUE;
      g_clear_handle_id (&req->watch_id, g_source_remove);
      request_maybe_free (req);
    }
}

static Model *
find_model (HearthApiServer *self,
            const char      *id)
{
  for (guint i = 0; i < self->models->len; i++)
    {
      Model *m = g_ptr_array_index (self->models, i);

      if (g_strcmp0 (m->id, id) == 0)
        return m;
    }
  return NULL;
}

/* @id is not served: 404, or 503 while no model is served at all (the
 * app's server between an unload and the next load). */
static void
set_model_not_found (HearthApiServer *self,
                     HearthApiError  *api,
                     const char      *id)
{
  if (self->models->len == 0)
    hearth_api_error_set (api, 503, "server_error", "model_not_loaded", "model",
                          "No model is loaded, so '%s' cannot answer; load a model in Hearth and try again", id);
  else
    hearth_api_error_set (api, 404, "invalid_request_error", "model_not_found", "model",
                          "The model '%s' does not exist; GET /v1/models lists the models served", id);
}

/* A POST whose body is JSON, parsed into @parser; or @api says why not. */
static gboolean
read_json_body (SoupServerMessage *msg,
                const char        *endpoint,
                JsonParser        *parser,
                HearthApiError    *api)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = body != NULL ? soup_message_body_flatten (body) : NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0)
    {
      hearth_api_error_set (api, 405, "invalid_request_error", "method_not_allowed", NULL,
                            "%s takes POST", endpoint);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      return FALSE;
    }
  if (data == NULL || !g_utf8_validate (data, (gssize) len, NULL) ||
      !hearth_json_load (parser, data, (gssize) len, &error))
    {
      hearth_api_error_set (api, 400, "invalid_request_error", "invalid_json", NULL,
                            "The request body is not valid JSON: %s", error ? error->message : "not UTF-8");
      return FALSE;
    }
  return TRUE;
}

static void
handle_generate (HearthApiServer   *self,
                 SoupServerMessage *msg,
                 const char        *endpoint,
                 HearthApiJobKind   kind)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  HearthApiError api = { 0 };
  Request *req;
  Model *model;

  if (!read_json_body (msg, endpoint, parser, &api))
    goto fail;

  req = g_new0 (Request, 1);
  req->job = hearth_api_job_new (kind);
  if (!(kind == HEARTH_API_JOB_CHAT
          ? hearth_api_parse_chat (json_parser_get_root (parser), self->limits.max_messages, req->job, &req->info, &api)
          : hearth_api_parse_completion (json_parser_get_root (parser), req->job, &req->info, &api)))
    {
      hearth_api_job_unref (req->job);
      hearth_api_request_info_clear (&req->info);
      g_free (req);
      goto fail;
    }
  if ((model = find_model (self, req->info.model)) != NULL && model->pool == NULL)
    {
      hearth_api_error_set (&api, 400, "invalid_request_error", "model_not_supported", "model",
                            "The model '%s' is an embedding model: it serves POST /v1/embeddings only",
                            req->info.model);
      hearth_api_job_unref (req->job);
      hearth_api_request_info_clear (&req->info);
      g_free (req);
      goto fail;
    }
  if (model == NULL)
    {
      set_model_not_found (self, &api, req->info.model);
      hearth_api_job_unref (req->job);
      hearth_api_request_info_clear (&req->info);
      g_free (req);
      goto fail;
    }
  req->server = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->endpoint = endpoint;
  req->created = g_get_real_time () / G_USEC_PER_SEC;
  req->id = g_strdup_printf ("%s-%08x%08x", kind == HEARTH_API_JOB_CHAT ? "chatcmpl" : "cmpl",
                             g_random_int (), g_random_int ());
  req->job->func = on_job_progress;
  req->job->user_data = req;
  if (!hearth_api_pool_submit (model->pool, req->job, &error))
    {
      hearth_api_error_set (&api, 429, "rate_limit_error", "server_busy", NULL, "%s", error->message);
      req->msg_done = req->job_done = TRUE;
      request_maybe_free (req);
      goto fail;
    }
  g_hash_table_add (self->requests, req);
  req->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_msg_finished), req);
  req->watch_id = g_timeout_add (WATCH_INTERVAL_MS, watch_socket, req);
  if (req->info.stream)
    {
      SoupMessageHeaders *h = soup_server_message_get_response_headers (msg);

      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_encoding (h, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (h, "text/event-stream", NULL);
      soup_message_headers_replace (h, "Cache-Control", "no-cache");
      soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
      hearth_api_metrics_count_request (self->metrics, endpoint, 200);
    }
  soup_server_message_pause (msg);
  return;

fail:
  respond_error (self, msg, endpoint, &api);
  hearth_api_error_clear (&api);
}

/* ---- embeddings: one call of hearth_model_embed() on a worker thread ---- */

typedef struct
{
  HearthApiServer      *server;
  SoupServerMessage    *msg;      /* NULL once libsoup is done with it */
  gulong                finished_id;
  GCancellable         *cancellable;
  HearthModel          *model;
  char                 *model_id;
  HearthApiEmbedRequest req;
  HearthEmbeddings     *result;
  GError               *error;
} EmbedCall;

static void
embed_call_drop_msg (EmbedCall *call)
{
  if (call->msg == NULL)
    return;
  g_clear_signal_handler (&call->finished_id, call->msg);
  g_clear_object (&call->msg);
}

static void
embed_call_free (EmbedCall *call)
{
  embed_call_drop_msg (call);
  g_object_unref (call->cancellable);
  hearth_model_unref (call->model);
  g_free (call->model_id);
  hearth_api_embed_request_clear (&call->req);
  g_clear_pointer (&call->result, hearth_embeddings_free);
  g_clear_error (&call->error);
  g_object_unref (call->server);
  g_free (call);
}

static void
embed_msg_finished (SoupServerMessage *msg,
                    EmbedCall         *call)
{
  g_cancellable_cancel (call->cancellable);
  embed_call_drop_msg (call);
}

static void
embed_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  EmbedCall *call = data;
  HearthEmbedParams params;

  hearth_embed_params_init (&params);
  if (call->req.texts != NULL)
    call->result = hearth_model_embed (call->model, (const char *const *) call->req.texts->pdata,
                                       call->req.texts->len, &params, cancellable, &call->error);
  else
    call->result = hearth_model_embed_tokens (call->model, call->req.seqs, &params, cancellable, &call->error);
  g_task_return_boolean (task, TRUE);
}

static void
embed_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  EmbedCall *call = data;
  HearthApiServer *self = call->server;

  if (call->msg != NULL)
    {
      if (call->result == NULL)
        {
          HearthApiError api = { 0 };

          job_error_to_api (call->error, &api);
          if (api.param == NULL && api.status == 400)
            api.param = g_strdup ("input");
          respond_error (self, call->msg, "/v1/embeddings", &api);
          hearth_api_error_clear (&api);
        }
      else
        {
          gsize n_cut = hearth_embeddings_get_n_truncated (call->result);

          if (n_cut > 0)
            {
              g_autofree char *value = g_strdup_printf ("%" G_GSIZE_FORMAT, n_cut);

              soup_message_headers_replace (soup_server_message_get_response_headers (call->msg),
                                            "X-Hearth-Truncated", value);
            }
          set_json (call->msg, 200, hearth_api_embeddings_to_json (call->result, call->model_id, call->req.base64));
          hearth_api_metrics_count_request (self->metrics, "/v1/embeddings", 200);
        }
      soup_server_message_unpause (call->msg);
    }
  g_hash_table_remove (self->embeds, call);
  embed_call_free (call);
}

static void
handle_embeddings (HearthApiServer   *self,
                   SoupServerMessage *msg)
{
  const char *endpoint = "/v1/embeddings";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GTask) task = NULL;
  HearthApiEmbedRequest req = { 0 };
  HearthApiError api = { 0 };
  EmbedCall *call;
  Model *model;

  if (!read_json_body (msg, endpoint, parser, &api))
    goto fail;
  if (!hearth_api_parse_embeddings (json_parser_get_root (parser), HEARTH_API_EMBED_MAX_INPUTS, &req, &api))
    goto fail;
  model = find_model (self, req.model);
  if (model != NULL && model->encoder == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);

      for (guint i = 0; i < self->models->len; i++)
        {
          Model *m = g_ptr_array_index (self->models, i);

          if (m->encoder != NULL)
            g_string_append_printf (names, "%s'%s'", names->len ? ", " : "", m->id);
        }
      if (names->len == 0)
        hearth_api_error_set (&api, 400, "invalid_request_error", "model_not_supported", "model",
                              "The model '%s' does not make embeddings, and this server has no embedding model "
                              "loaded (hearth-cli serve --embed-model FILE)", req.model);
      else
        hearth_api_error_set (&api, 400, "invalid_request_error", "model_not_supported", "model",
                              "The model '%s' does not make embeddings; this server's embedding models: %s",
                              req.model, names->str);
      goto fail;
    }
  if (model == NULL)
    {
      set_model_not_found (self, &api, req.model);
      goto fail;
    }

  call = g_new0 (EmbedCall, 1);
  call->server = g_object_ref (self);
  call->msg = g_object_ref (msg);
  call->cancellable = g_cancellable_new ();
  call->model = hearth_model_ref (model->encoder);
  call->model_id = g_strdup (model->id);
  call->req = req;
  call->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (embed_msg_finished), call);
  g_hash_table_add (self->embeds, call);
  soup_server_message_pause (msg);
  task = g_task_new (NULL, call->cancellable, embed_done, call);
  g_task_set_task_data (task, call, NULL);
  g_task_run_in_thread (task, embed_thread);
  return;

fail:
  hearth_api_embed_request_clear (&req);
  respond_error (self, msg, endpoint, &api);
  hearth_api_error_clear (&api);
}

static void
handle_models (HearthApiServer   *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->models->len; i++)
    {
      Model *m = g_ptr_array_index (self->models, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, m->id);
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "model");
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, m->created);
      json_builder_set_member_name (b, "owned_by");
      json_builder_add_string_value (b, "hearth");
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  set_json (msg, 200, json_to_string (root, FALSE));
  hearth_api_metrics_count_request (self->metrics, "/v1/models", 200);
}

/* Constant time in the token's length: no timing oracle for its bytes. */
static gboolean
authorized (HearthApiServer   *self,
            SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  gsize n = strlen (self->token);
  guint8 diff = 0;

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  auth += 7;
  if (strlen (auth) != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    diff |= (guint8) (auth[i] ^ self->token[i]);
  return diff == 0;
}

static const char *
endpoint_name (const char *path)
{
  static const char *const known[] = { "/v1/models", "/v1/chat/completions", "/v1/completions",
                                       "/v1/embeddings", "/metrics" };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (path, known[i]) == 0)
      return known[i];
  return "other";
}

/* Before the body is read: refuse what is not allowed in, so that an
 * unauthenticated or oversized body is never buffered. */
static void
early_handler (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  HearthApiServer *self = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  HearthApiError api = { 0 };

  if (!authorized (self, msg))
    hearth_api_error_set (&api, 401, "invalid_request_error", "invalid_api_key", NULL,
                          "Incorrect API key provided: send the server's token as 'Authorization: Bearer TOKEN' "
                          "(hearth-cli serve prints it)");
  else if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CHUNKED)
    hearth_api_error_set (&api, 411, "invalid_request_error", "length_required", NULL,
                          "Send the request body with a Content-Length");
  else if (soup_message_headers_get_encoding (h) == SOUP_ENCODING_CONTENT_LENGTH &&
           (guint64) soup_message_headers_get_content_length (h) > self->limits.max_body)
    hearth_api_error_set (&api, 413, "invalid_request_error", "request_too_large", NULL,
                          "The request body is %" G_GINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                          " this server takes", soup_message_headers_get_content_length (h), self->limits.max_body);
  if (api.status != 0)
    {
      respond_error (self, msg, endpoint_name (path), &api);
      hearth_api_error_clear (&api);
    }
}

static void
handler (SoupServer        *soup,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  HearthApiServer *self = user_data;
  const char *endpoint = endpoint_name (path);
  HearthApiError api = { 0 };

  if (strcmp (endpoint, "/v1/chat/completions") == 0)
    handle_generate (self, msg, endpoint, HEARTH_API_JOB_CHAT);
  else if (strcmp (endpoint, "/v1/completions") == 0)
    handle_generate (self, msg, endpoint, HEARTH_API_JOB_COMPLETION);
  else if (strcmp (endpoint, "/v1/models") == 0)
    handle_models (self, msg);
  else if (strcmp (endpoint, "/metrics") == 0)
    {
      char *text = hearth_api_metrics_render (self->metrics);

      hearth_api_metrics_count_request (self->metrics, endpoint, 200);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_TAKE,
                                        text, strlen (text));
    }
  else if (strcmp (endpoint, "/v1/embeddings") == 0)
    handle_embeddings (self, msg);
  else
    {
      hearth_api_error_set (&api, 404, "invalid_request_error", "unknown_url", NULL,
                            "Unknown path %s (see GET /v1/models, POST /v1/chat/completions, "
                            "POST /v1/completions, POST /v1/embeddings, GET /metrics)", path);
      respond_error (self, msg, endpoint, &api);
    }
  hearth_api_error_clear (&api);
}

static void
hearth_api_server_dispose (GObject *object)
{
  hearth_api_server_shutdown (HEARTH_API_SERVER (object));
  G_OBJECT_CLASS (hearth_api_server_parent_class)->dispose (object);
}

static void
hearth_api_server_finalize (GObject *object)
{
  HearthApiServer *self = HEARTH_API_SERVER (object);

  g_ptr_array_unref (self->models);
  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->embeds);
  hearth_api_metrics_free (self->metrics);
  if (self->token != NULL)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->host);
  G_OBJECT_CLASS (hearth_api_server_parent_class)->finalize (object);
}

static void
hearth_api_server_class_init (HearthApiServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_api_server_dispose;
  G_OBJECT_CLASS (klass)->finalize = hearth_api_server_finalize;

  signals[SIGNAL_CHAT_FINISHED] =
    g_signal_new ("chat-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_POINTER, G_TYPE_STRING);
}

static void
hearth_api_server_init (HearthApiServer *self)
{
  self->models = g_ptr_array_new_with_free_func (model_free);
  self->requests = g_hash_table_new (NULL, NULL);
  self->embeds = g_hash_table_new (NULL, NULL);
  self->metrics = hearth_api_metrics_new ();
  self->loopback = TRUE;
}

HearthApiServer *
hearth_api_server_new (const char                  *token,
                       const HearthApiServerLimits *limits)
{
  HearthApiServer *self;

  g_return_val_if_fail (token != NULL && *token != '\0', NULL);
  self = g_object_new (HEARTH_TYPE_API_SERVER, NULL);
  self->token = g_strdup (token);
  hearth_api_server_limits_init (&self->limits);
  if (limits != NULL)
    {
      if (limits->n_sessions)
        self->limits.n_sessions = limits->n_sessions;
      if (limits->max_queue)
        self->limits.max_queue = limits->max_queue;
      if (limits->max_body)
        self->limits.max_body = limits->max_body;
      if (limits->max_messages)
        self->limits.max_messages = limits->max_messages;
      self->limits.n_ctx = limits->n_ctx;
    }
  self->soup = soup_server_new ("server-header", "hearth ", NULL);
  soup_server_add_early_handler (self->soup, NULL, early_handler, self, NULL);
  soup_server_add_handler (self->soup, NULL, handler, self, NULL);
  return self;
}

gboolean
hearth_api_server_add_model (HearthApiServer *self,
                             HearthModel     *model,
                             const char      *id,
                             const char      *template_source,
                             GError         **error)
{
  return hearth_api_server_add_model_sized (self, model, id, template_source, self->limits.n_ctx, error);
}

gboolean
hearth_api_server_add_model_sized (HearthApiServer *self,
                                   HearthModel     *model,
                                   const char      *id,
                                   const char      *template_source,
                                   guint32          n_ctx,
                                   GError         **error)
{
  Model *m;
  HearthApiPool *pool;

  g_return_val_if_fail (HEARTH_IS_API_SERVER (self), FALSE);
  if (find_model (self, id) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "A model is served as '%s' already", id);
      return FALSE;
    }
  pool = hearth_api_pool_new (model, template_source, self->limits.n_sessions, self->limits.max_queue, n_ctx,
                              self->metrics, error);
  if (pool == NULL)
    return FALSE;
  m = g_new0 (Model, 1);
  m->id = g_strdup (id);
  m->pool = pool;
  m->created = g_get_real_time () / G_USEC_PER_SEC;
  g_ptr_array_add (self->models, m);
  hearth_api_metrics_add_model (self->metrics, id, self->limits.n_sessions, hearth_model_get_bytes_per_token (model),
                                hearth_model_get_device_bytes_per_token (model));
  return TRUE;
}

gboolean
hearth_api_server_add_embed_model (HearthApiServer *self,
                                   HearthModel     *model,
                                   const char      *id,
                                   GError         **error)
{
  Model *m;

  g_return_val_if_fail (HEARTH_IS_API_SERVER (self), FALSE);
  if (!hearth_model_is_encoder (model))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an embedding model (bert, nomic-bert)", id);
      return FALSE;
    }
  if (find_model (self, id) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "A model is served as '%s' already", id);
      return FALSE;
    }
  m = g_new0 (Model, 1);
  m->id = g_strdup (id);
  m->encoder = hearth_model_ref (model);
  m->created = g_get_real_time () / G_USEC_PER_SEC;
  g_ptr_array_add (self->models, m);
  return TRUE;
}

gboolean
hearth_api_server_remove_model (HearthApiServer *self,
                                const char      *id)
{
  g_return_val_if_fail (HEARTH_IS_API_SERVER (self), FALSE);
  for (guint i = 0; i < self->models->len; i++)
    {
      Model *m = g_ptr_array_index (self->models, i);

      if (g_strcmp0 (m->id, id) == 0)
        {
          hearth_api_metrics_remove_model (self->metrics, id);
          /* Frees the pool: its replies end cancelled, its sessions go. */
          g_ptr_array_remove_index (self->models, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
hearth_api_server_set_token (HearthApiServer *self,
                             const char      *token)
{
  g_return_if_fail (HEARTH_IS_API_SERVER (self));
  g_return_if_fail (token != NULL && *token != '\0');
  if (self->token != NULL)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
}

gboolean
hearth_api_server_listen (HearthApiServer *self,
                          const char      *host,
                          guint            port,
                          GError         **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host != NULL ? host : "127.0.0.1");
  g_autoptr(GSocketAddress) sa = NULL;
  GSList *uris;

  g_return_val_if_fail (HEARTH_IS_API_SERVER (self), FALSE);
  if (addr == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not an IP address (use 127.0.0.1, ::1, or an address of this machine)", host);
      return FALSE;
    }
  sa = g_inet_socket_address_new (addr, (guint16) port);
  if (!soup_server_listen (self->soup, sa, 0, error))
    return FALSE;
  self->loopback = g_inet_address_get_is_loopback (addr);
  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      self->port = (guint) g_uri_get_port (uris->data);
      self->host = g_strdup (g_uri_get_host (uris->data));
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

gboolean
hearth_api_server_is_loopback (HearthApiServer *self)
{
  return self->loopback;
}

char *
hearth_api_server_dup_base_url (HearthApiServer *self)
{
  if (self->host == NULL)
    return NULL;
  if (strchr (self->host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u/v1", self->host, self->port);
  return g_strdup_printf ("http://%s:%u/v1", self->host, self->port);
}

HearthApiMetrics *
hearth_api_server_get_metrics (HearthApiServer *self)
{
  return self->metrics;
}

guint
hearth_api_server_get_n_requests (HearthApiServer *self)
{
  return g_hash_table_size (self->requests);
}

void
hearth_api_server_shutdown (HearthApiServer *self)
{
  GHashTableIter iter;
  gpointer key;
  GMainContext *context = g_main_context_ref_thread_default ();

  if (self->soup == NULL)
    return;
  g_object_ref (self);
  g_hash_table_iter_init (&iter, self->requests);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Request *req = key;

      /* The connections close with the server: wait only for the jobs. */
      g_clear_signal_handler (&req->finished_id, req->msg);
      req->msg_done = TRUE;
      g_cancellable_cancel (req->job->cancellable);
    }
  g_hash_table_iter_init (&iter, self->embeds);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      EmbedCall *call = key;

      embed_call_drop_msg (call);
      g_cancellable_cancel (call->cancellable);
    }
  soup_server_disconnect (self->soup);
  /* Every job ends (cancelled) and reports in this context; then the
   * sessions and threads go. */
  while (g_hash_table_size (self->requests) > 0 || g_hash_table_size (self->embeds) > 0)
    g_main_context_iteration (context, TRUE);
  g_ptr_array_set_size (self->models, 0);
  g_clear_object (&self->soup);
  g_main_context_unref (context);
  g_object_unref (self);
}
