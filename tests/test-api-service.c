/* test-api-service.c: the local API's figures for a status view, and the app's API service on the runtime's model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hearth_api_metrics_get_summary() against hand-computed figures (the
 * median time to first token read from the histogram's buckets, worked out
 * in the comments). HearthApiService on a HearthRuntime with stories260K,
 * over HTTP on loopback: it listens while enabled, serves the model the
 * runtime loads (the greedy completion equals the reference that
 * `hearth-cli generate` gives, see tests/api/test-curl.sh), answers 503
 * model_not_loaded once it is unloaded and 404 for a model replaced by
 * another, refuses a wrong or regenerated-away token (401), counts the
 * requests in its summary, writes no conversation, and closes the port
 * when disabled. The token lives in the keyring: run under
 * tests/tools/with-keyring.sh.
 *
 * Threading: each test runs its runtime and service in the test process's
 * main context; HTTP requests are made on a GTask thread while that
 * context runs.
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-api-metrics.h"
#include "hearth-api-service.h"
#include "hearth-runtime.h"
#include "hearth-store.h"
#include "hearth-test.h"

/* ---- the summary ---- */

START_TEST (test_summary_empty)
{
  g_autoptr(HearthApiMetrics) m = hearth_api_metrics_new ();
  HearthApiMetricsSummary s;

  hearth_api_metrics_get_summary (m, &s);
  ck_assert_uint_eq (s.requests, 0);
  ck_assert_uint_eq (s.errors, 0);
  ck_assert_uint_eq (s.replies, 0);
  ck_assert_uint_eq (s.n_models, 0);
  ck_assert (s.ttft_median == -1);
  ck_assert (s.tokens_per_second == -1);
}
END_TEST

START_TEST (test_summary_figures)
{
  g_autoptr(HearthApiMetrics) m = hearth_api_metrics_new ();
  g_autofree char *text = NULL;
  HearthApiMetricsSummary s;

  hearth_api_metrics_count_request (m, "/v1/models", 200);
  hearth_api_metrics_count_request (m, "/v1/models", 200);
  hearth_api_metrics_count_request (m, "/v1/models", 401);
  hearth_api_metrics_count_request (m, "/v1/chat/completions", 200);
  hearth_api_metrics_count_request (m, "/v1/chat/completions", 503);
  hearth_api_metrics_count_request (m, "other", 404);
  /* Time to first token 0.03, 0.04, 0.2, 0.3, 0.7 s fall in the buckets
   * (0.025, 0.05]: 2, (0.1, 0.25]: 1, (0.25, 0.5]: 1, (0.5, 1]: 1. The
   * median's rank is 5 / 2 = 2.5: two lie below 0.1, so it is half way
   * (2.5 - 2 of 1) through (0.1, 0.25]: 0.1 + 0.15 * 0.5 = 0.175. */
  hearth_api_metrics_observe_reply (m, 0.2, 10, 5, 8);
  hearth_api_metrics_observe_reply (m, 0.03, 20, 5, 8);
  hearth_api_metrics_observe_reply (m, 0.7, 30, 5, 8);
  hearth_api_metrics_observe_reply (m, 0.04, 40, 5, 8);
  hearth_api_metrics_observe_reply (m, 0.3, 50, 5, 8);
  /* A reply with no token generated has no timings. */
  hearth_api_metrics_observe_reply (m, 9, 1000, 5, 0);
  hearth_api_metrics_set_queue (m, 3, 2);
  hearth_api_metrics_add_model (m, "a", 2, 1000, 0);
  hearth_api_metrics_add_model (m, "b", 4, 5000, 4096);

  hearth_api_metrics_get_summary (m, &s);
  ck_assert_uint_eq (s.requests, 6);
  ck_assert_uint_eq (s.errors, 3);
  ck_assert_uint_eq (s.queued, 3);
  ck_assert_uint_eq (s.active, 2);
  ck_assert_uint_eq (s.replies, 5);
  ck_assert_uint_eq (s.generated_tokens, 40);
  ck_assert_msg (fabs (s.ttft_median - 0.175) < 1e-12, "median %.17g, want 0.175", s.ttft_median);
  ck_assert_msg (fabs (s.tokens_per_second - 30) < 1e-12, "tokens/s %.17g, want 30 (the mean)", s.tokens_per_second);
  ck_assert_uint_eq (s.n_models, 2);
  ck_assert_uint_eq (s.weight_bytes, 6000);
  ck_assert_uint_eq (s.device_bytes, 4096);

  /* The same counts as /metrics. */
  text = hearth_api_metrics_render (m);
  ck_assert (strstr (text, "\nhearth_api_errors_total 3\n") != NULL);
  ck_assert (strstr (text, "\nhearth_api_sessions 6\n") != NULL);
  ck_assert (strstr (text, "\nhearth_api_time_to_first_token_seconds_count 5\n") != NULL);

  /* A model that goes leaves the gauges. */
  hearth_api_metrics_remove_model (m, "b");
  hearth_api_metrics_get_summary (m, &s);
  ck_assert_uint_eq (s.n_models, 1);
  ck_assert_uint_eq (s.device_bytes, 0);
  g_free (text);
  text = hearth_api_metrics_render (m);
  ck_assert (strstr (text, "model=\"b\"") == NULL);
  ck_assert (strstr (text, "hearth_api_model_loaded{model=\"a\"} 1\n") != NULL);
  ck_assert (strstr (text, "\nhearth_api_sessions 2\n") != NULL);
}
END_TEST

START_TEST (test_summary_median_edges)
{
  g_autoptr(HearthApiMetrics) one = hearth_api_metrics_new ();
  g_autoptr(HearthApiMetrics) slow = hearth_api_metrics_new ();
  g_autoptr(HearthApiMetrics) first = hearth_api_metrics_new ();
  HearthApiMetricsSummary s;

  /* One reply at 0.03 s: rank 0.5 of 1 in (0.025, 0.05]: 0.025 + 0.025 * 0.5. */
  hearth_api_metrics_observe_reply (one, 0.03, 10, 1, 1);
  hearth_api_metrics_get_summary (one, &s);
  ck_assert_msg (fabs (s.ttft_median - 0.0375) < 1e-12, "median %.17g, want 0.0375", s.ttft_median);
  /* Past the last bound (30 s): the last bound, as histogram_quantile() says. */
  hearth_api_metrics_observe_reply (slow, 45, 1, 1, 1);
  hearth_api_metrics_observe_reply (slow, 50, 1, 1, 1);
  hearth_api_metrics_get_summary (slow, &s);
  ck_assert_msg (s.ttft_median == 30, "median %.17g, want 30", s.ttft_median);
  /* In the first bucket the lower bound is 0: 4 at 0.005 s, rank 2 of 4: 0.01 * 2 / 4. */
  for (guint i = 0; i < 4; i++)
    hearth_api_metrics_observe_reply (first, 0.005, 1, 1, 1);
  hearth_api_metrics_get_summary (first, &s);
  ck_assert_msg (fabs (s.ttft_median - 0.005) < 1e-12, "median %.17g, want 0.005", s.ttft_median);
}
END_TEST

/* ---- the service on a runtime ---- */

#define STORIES_ID "stories260K-f32"
/* tests/api/test-curl.sh: `hearth-cli generate -m stories260K-f32.gguf
 * -p "Once upon a time" -n 20`, less the prompt. */
#define STORIES_REFERENCE ", there was a little girl named Lily. She loved to play outsid"

typedef struct
{
  guint16  port;
  char    *request;  /* the whole HTTP/1.0 request */
  /* results */
  gboolean done;
  gboolean refused;  /* the connection was refused */
  guint    status;
  char    *body;
} Http;

static void
http_free (Http *h)
{
  g_free (h->request);
  g_free (h->body);
  g_free (h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Http, http_free)

static void
http_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  Http *h = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  GInputStream *in;
  guint8 buf[4096];
  gssize n;
  const char *head_end;

  g_socket_client_set_timeout (client, 120);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", h->port, NULL, &error);
  if (conn == NULL)
    {
      h->refused = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), h->request,
                                  strlen (h->request), NULL, NULL, &error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append (reply, buf, (guint) n);
  g_byte_array_append (reply, (const guint8 *) "", 1);
  if (sscanf ((const char *) reply->data, "HTTP/1.%*d %u", &h->status) != 1)
    h->status = 0;
  head_end = strstr ((const char *) reply->data, "\r\n\r\n");
  h->body = g_strdup (head_end != NULL ? head_end + 4 : "");
  g_task_return_boolean (task, TRUE);
}

static void
http_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  ((Http *) data)->done = TRUE;
}

/* @method @path on 127.0.0.1:@port with @token (NULL: none) and @body
 * (NULL: none), while the main context runs the server. */
static Http *
http (guint16     port,
      const char *method,
      const char *path,
      const char *token,
      const char *body)
{
  Http *h = g_new0 (Http, 1);
  g_autoptr(GTask) task = NULL;
  g_autofree char *auth = token != NULL ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *content = body != NULL ? g_strdup_printf ("Content-Type: application/json\r\n"
                                                             "Content-Length: %zu\r\n", strlen (body))
                                          : g_strdup ("");

  h->port = port;
  h->request = g_strdup_printf ("%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s\r\n%s", method, path, auth, content,
                                body != NULL ? body : "");
  task = g_task_new (NULL, NULL, http_done, h);
  g_task_set_task_data (task, h, NULL);
  g_task_run_in_thread (task, http_thread);
  HEARTH_TEST_WAIT_UNTIL (h->done, 150);
  return h;
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_data (parser, text, -1, &error), "not JSON (%s): %s",
                 error ? error->message : "", text);
  return json_node_copy (json_parser_get_root (parser));
}

/* A member by path such as "error.code" or "choices.0.text" (NULL: absent). */
static char *
member (const char *text,
        const char *path)
{
  g_autoptr(JsonNode) root = parse (text);
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] != NULL && node != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      else if (JSON_NODE_HOLDS_ARRAY (node) &&
               g_ascii_strtoull (parts[i], NULL, 10) < json_array_get_length (json_node_get_array (node)))
        node = json_array_get_element (json_node_get_array (node), (guint) g_ascii_strtoull (parts[i], NULL, 10));
      else
        node = NULL;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
}

/* The ids GET /v1/models lists, joined by ",". */
static char *
model_ids (const char *text)
{
  g_autoptr(JsonNode) root = parse (text);
  JsonArray *data = json_object_get_array_member (json_node_get_object (root), "data");
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (data); i++)
    g_string_append_printf (ids, "%s%s", i ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (data, i), "id"));
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("test passphrase");
}

typedef struct
{
  char          *dir;
  HearthStore   *store;
  HearthRuntime *rt;
  gboolean       load_done;
  GError        *load_error;
} Fixture;

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Fixture *f = data;

  hearth_runtime_load_model_finish (HEARTH_RUNTIME (source), result, &f->load_error);
  f->load_done = TRUE;
}

static void
load (Fixture    *f,
      const char *file)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", file, NULL);
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_CPU, 0, 1, -1 };

  f->load_done = FALSE;
  hearth_runtime_load_model (f->rt, path, &lp, NULL, on_loaded, f);
  HEARTH_TEST_WAIT_UNTIL (f->load_done, 60);
  hearth_assert_no_error (f->load_error);
}

static const char completion[] =
  "{\"model\": \"" STORIES_ID "\", \"prompt\": \"Once upon a time\", \"max_tokens\": 20, \"temperature\": 0}";
static const char chat_f16[] =
  "{\"model\": \"stories260K-f16\", \"max_tokens\": 12, \"temperature\": 0, \"messages\": ["
  "{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Tell me about Lily\"}]}";

START_TEST (test_service_follows_model)
{
  Fixture f = { 0 };
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthApiService *api;
  HearthApiMetricsSummary s;
  g_autofree char *token = NULL;
  g_autofree char *token2 = NULL;
  g_autofree char *value = NULL;
  g_autofree char *ids = NULL;
  guint16 port;
  guint n_requests = 0;

  f.dir = g_dir_make_tmp ("hearth-api-service-XXXXXX", NULL);
  hearth_store_params_init (&p);
  p.data_dir = f.dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  f.store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  f.rt = hearth_runtime_new (f.store);

  api = hearth_api_service_get_for_runtime (f.rt);
  ck_assert_ptr_eq (api, hearth_api_service_get_for_runtime (f.rt));
  ck_assert (!hearth_api_service_get_enabled (api));
  ck_assert (!hearth_api_service_get_running (api));
  ck_assert_str_eq (hearth_api_service_get_host (api), "127.0.0.1");
  ck_assert (hearth_api_service_host_is_loopback (NULL));
  ck_assert (hearth_api_service_host_is_loopback ("::1"));
  ck_assert (hearth_api_service_host_is_loopback ("127.0.0.2"));
  ck_assert (!hearth_api_service_host_is_loopback ("0.0.0.0"));
  ck_assert (!hearth_api_service_host_is_loopback ("192.168.1.20"));

  /* Enabled with no model: it listens, lists nothing, and says why it cannot answer. */
  hearth_api_service_set_port (api, 0);
  hearth_api_service_set_enabled (api, TRUE);
  ck_assert_msg (hearth_api_service_get_running (api), "not running: %s", hearth_api_service_get_error (api));
  ck_assert_ptr_null (hearth_api_service_get_error (api));
  ck_assert_ptr_null (hearth_api_service_get_model_id (api));
  ck_assert (sscanf (hearth_api_service_get_url (api), "http://127.0.0.1:%hu/v1", &port) == 1);
  token = hearth_api_service_dup_token (api, &error);
  hearth_assert_no_error (error);
  ck_assert (g_str_has_prefix (token, "hearth-") && strlen (token) == 7 + 48);
  {
    g_autoptr(Http) h = http (port, "GET", "/v1/models", token, NULL);

    n_requests++;
    ck_assert_uint_eq (h->status, 200);
    ids = model_ids (h->body);
    ck_assert_str_eq (ids, "");
  }
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/completions", token, completion);

    n_requests++;
    ck_assert_msg (h->status == 503, "status %u: %s", h->status, h->body);
    value = member (h->body, "error.code");
    ck_assert_str_eq (value, "model_not_loaded");
  }

  /* The runtime loads a model: served at once, the greedy reference text. */
  load (&f, "stories260K-f32.gguf");
  ck_assert_str_eq (hearth_api_service_get_model_id (api), STORIES_ID);
  {
    g_autoptr(Http) h = http (port, "GET", "/v1/models", token, NULL);

    n_requests++;
    ck_assert_uint_eq (h->status, 200);
    g_free (ids);
    ids = model_ids (h->body);
    ck_assert_str_eq (ids, STORIES_ID);
  }
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/completions", token, completion);

    n_requests++;
    ck_assert_msg (h->status == 200, "status %u: %s", h->status, h->body);
    g_free (value);
    value = member (h->body, "choices.0.text");
    ck_assert_str_eq (value, STORIES_REFERENCE);
  }

  /* Tokens: a wrong one, then a new one that locks the old one out, without a restart. */
  {
    g_autofree char *wrong = g_strconcat (token, "x", NULL);
    g_autoptr(Http) h = http (port, "GET", "/v1/models", wrong, NULL);

    n_requests++;
    ck_assert_uint_eq (h->status, 401);
  }
  token2 = hearth_api_service_regenerate_token (api, &error);
  hearth_assert_no_error (error);
  ck_assert_str_ne (token2, token);
  ck_assert (hearth_api_service_get_running (api));
  {
    g_autoptr(Http) old = http (port, "GET", "/v1/models", token, NULL);
    g_autoptr(Http) now = http (port, "GET", "/v1/models", token2, NULL);
    g_autofree char *kept = hearth_api_service_dup_token (api, &error);

    n_requests += 2;
    ck_assert_uint_eq (old->status, 401);
    ck_assert_uint_eq (now->status, 200);
    ck_assert_str_eq (kept, token2);
  }

  /* Unloaded: still listening, the model's requests get a 503 in OpenAI's shape. */
  hearth_runtime_unload_model (f.rt);
  ck_assert_ptr_null (hearth_api_service_get_model_id (api));
  ck_assert (hearth_api_service_get_running (api));
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/completions", token2, completion);

    n_requests++;
    ck_assert_msg (h->status == 503, "status %u: %s", h->status, h->body);
    g_free (value);
    value = member (h->body, "error.type");
    ck_assert_str_eq (value, "server_error");
    g_free (value);
    value = member (h->body, "error.code");
    ck_assert_str_eq (value, "model_not_loaded");
  }

  /* Another model: served under its own name; the old name is unknown (404). */
  load (&f, "stories260K-f16.gguf");
  ck_assert_str_eq (hearth_api_service_get_model_id (api), "stories260K-f16");
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/completions", token2, completion);
    g_autoptr(Http) models = http (port, "GET", "/v1/models", token2, NULL);

    n_requests += 2;
    ck_assert_msg (h->status == 404, "status %u: %s", h->status, h->body);
    g_free (value);
    value = member (h->body, "error.code");
    ck_assert_str_eq (value, "model_not_found");
    g_free (ids);
    ids = model_ids (models->body);
    ck_assert_str_eq (ids, "stories260K-f16");
  }

  /* A chat: nothing written to the history by default... */
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/chat/completions", token2, chat_f16);

    n_requests++;
    ck_assert_msg (h->status == 200, "status %u: %s", h->status, h->body);
  }
  ck_assert (!hearth_api_service_get_keep_history (api));
  ck_assert_uint_eq (hearth_store_count_conversations (f.store, HEARTH_STORE_LIST_ALL, NULL), 0);
  /* ...and, once the user asks for it, one conversation per chat: the
   * system messages as its system prompt, then the user's message and
   * the reply the client got. */
  hearth_api_service_set_keep_history (api, TRUE);
  {
    g_autoptr(Http) h = http (port, "POST", "/v1/chat/completions", token2, chat_f16);
    g_autofree char *reply = NULL;
    g_autoptr(GPtrArray) convs = NULL;
    g_autoptr(GPtrArray) thread = NULL;
    HearthConversation *c;

    n_requests++;
    ck_assert_msg (h->status == 200, "status %u: %s", h->status, h->body);
    reply = member (h->body, "choices.0.message.content");
    convs = hearth_store_list_conversations (f.store, HEARTH_STORE_LIST_ALL, 0, 10, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (convs->len, 1);
    c = g_ptr_array_index (convs, 0);
    ck_assert_str_eq (hearth_conversation_get_title (c), "API: Tell me about Lily");
    ck_assert_str_eq (hearth_conversation_get_system_prompt (c), "Be brief.");
    thread = hearth_store_get_thread (f.store, hearth_conversation_get_id (c), 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (thread->len, 2);
    ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 0)), "Tell me about Lily");
    ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 1)), reply);
  }
  hearth_api_service_set_keep_history (api, FALSE);

  /* Its figures count every request. */
  ck_assert (hearth_api_service_get_summary (api, &s));
  ck_assert_uint_eq (s.requests, n_requests);
  ck_assert_uint_eq (s.errors, 5);
  ck_assert_uint_eq (s.replies, 3);
  ck_assert_uint_eq (s.n_models, 1);

  /* Disabled: the port is closed. */
  hearth_api_service_set_enabled (api, FALSE);
  ck_assert (!hearth_api_service_get_running (api));
  ck_assert_ptr_null (hearth_api_service_get_url (api));
  ck_assert (!hearth_api_service_get_summary (api, &s));
  {
    g_autoptr(Http) h = http (port, "GET", "/v1/models", token2, NULL);

    ck_assert_msg (h->refused, "still answering: %u", h->status);
  }

  /* On again, then shut down with the runtime. */
  hearth_api_service_set_enabled (api, TRUE);
  ck_assert (hearth_api_service_get_running (api));
  ck_assert_str_eq (hearth_api_service_get_model_id (api), "stories260K-f16");
  hearth_api_service_shutdown (api);
  ck_assert (!hearth_api_service_get_running (api));
  hearth_runtime_shutdown (f.rt);
  g_object_unref (f.rt);
  g_object_unref (f.store);
  hearth_test_rm_rf (f.dir);
  g_free (f.dir);
}
END_TEST

START_TEST (test_service_port_taken)
{
  g_autoptr(GSocketService) other = g_socket_service_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthRuntime) rt = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hearth-api-service-XXXXXX", NULL);
  HearthStoreParams p;
  HearthApiService *api;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (other), NULL, &error);
  hearth_assert_no_error (error);
  hearth_store_params_init (&p);
  p.data_dir = dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  rt = hearth_runtime_new (store);
  api = hearth_api_service_get_for_runtime (rt);
  hearth_api_service_set_port (api, port);
  hearth_api_service_set_enabled (api, TRUE);
  ck_assert (!hearth_api_service_get_running (api));
  ck_assert_ptr_nonnull (hearth_api_service_get_error (api));
  ck_assert_msg (strstr (hearth_api_service_get_error (api), "port") != NULL, "%s", hearth_api_service_get_error (api));
  /* Another port: it runs, and the error is gone. */
  hearth_api_service_set_port (api, 0);
  ck_assert (hearth_api_service_get_running (api));
  ck_assert_ptr_null (hearth_api_service_get_error (api));
  hearth_api_service_shutdown (api);
  hearth_runtime_shutdown (rt);
  hearth_test_rm_rf (dir);
}
END_TEST

static Suite *
api_service_suite (void)
{
  Suite *s = suite_create ("api-service");
  TCase *tc = tcase_create ("summary");
  TCase *svc = tcase_create ("service");

  tcase_add_test (tc, test_summary_empty);
  tcase_add_test (tc, test_summary_figures);
  tcase_add_test (tc, test_summary_median_edges);
  suite_add_tcase (s, tc);
  tcase_set_timeout (svc, 120);
  tcase_add_test (svc, test_service_follows_model);
  tcase_add_test (svc, test_service_port_taken);
  suite_add_tcase (s, svc);
  return s;
}

int
main (void)
{
  return hearth_test_run (api_service_suite ());
}
