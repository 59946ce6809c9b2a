/* test-remote.c: remote models against a second Hearth, through a fault-injecting proxy
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The remote is real: `hearth-cli serve` on stories260K on loopback, with
 * a token as its key. Between it and the runtime, tests/remote/fault-proxy.py
 * passes the stream on (slowly, or cut after a few events) or answers 401,
 * 429 with Retry-After, 500, or plays a model that calls tools; a closed
 * port stands for a server that cannot be reached. Both are started once,
 * before the cases (which run in forked children), and ended by pid.
 * Replies are checked against what the server itself answers to the same
 * greedy request. Run inside tests/tools/with-keyring.sh: the keys go to
 * a real keyring.
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "hearth-doc-indexer.h"
#include "hearth-doc-retriever.h"
#include "hearth-remote-provider.h"
#include "hearth-remote-sse.h"
#include "hearth-runtime.h"
#include "hearth-test.h"
#include "hearth-thread.h"

#define MODEL     "stories260K-f32"
#define QUESTION  "Tell me about Lily"
#define PLUGIN_ID "test-tools"

static char *server_url;   /* http://127.0.0.1:P/v1 */
static char *proxy_url;    /* http://127.0.0.1:Q */
static char *proxy_host;   /* 127.0.0.1:Q */
static char *closed_url;   /* a port nobody listens on */
static char *closed_host;
static char *api_token;
static char *proxy_log;

/* ---- helpers ---- */

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("test passphrase");
}

static HearthStore *
open_store (const char *dir)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  hearth_store_params_init (&p);
  p.data_dir = dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  return store;
}

static char *
mode_url (const char *mode)
{
  return g_strdup_printf ("%s/%s/v1", proxy_url, mode);
}

static void
add_provider (HearthStore *store,
              const char  *name,
              const char  *url,
              const char  *key)
{
  g_autoptr(HearthRemoteProvider) p = hearth_remote_provider_new (name, url, MODEL);
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_remote_providers_add (store, p, key, &error));
  hearth_assert_no_error (error);
}

/* What the server answers, not streamed, to the greedy request for @question. */
static char *
reference_reply (const char *question,
                 guint       max_tokens,
                 gint64     *prompt_tokens,
                 gint64     *completion_tokens)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (server_url, "/chat/completions", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *bearer = g_strconcat ("Bearer ", api_token, NULL);
  g_autofree char *body = g_strdup_printf ("{\"model\": \"%s\", \"messages\": [{\"role\": \"user\", \"content\": \"%s\"}],"
                                           " \"temperature\": 0, \"max_tokens\": %u}", MODEL, question, max_tokens);
  g_autoptr(GBytes) req = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  JsonObject *usage;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  soup_message_set_request_body_from_bytes (msg, "application/json", req);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (soup_message_get_status (msg), 200);
  ck_assert (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL), (gssize) g_bytes_get_size (answer),
                                         NULL));
  o = json_node_get_object (json_parser_get_root (parser));
  usage = json_object_get_object_member (o, "usage");
  if (prompt_tokens != NULL)
    *prompt_tokens = json_object_get_int_member (usage, "prompt_tokens");
  if (completion_tokens != NULL)
    *completion_tokens = json_object_get_int_member (usage, "completion_tokens");
  return g_strdup (json_object_get_string_member (
    json_object_get_object_member (json_array_get_object_element (json_object_get_array_member (o, "choices"), 0),
                                   "message"), "content"));
}

/* ---- in-process tools: a note that needs approval ---- */

#define NOTE_TYPE_TOOLS (note_tools_get_type ())
G_DECLARE_FINAL_TYPE (NoteTools, note_tools, NOTE, TOOLS, GObject)

struct _NoteTools
{
  GObject parent_instance;
  guint   n_notes;
};

static void note_tools_iface_init (HearthToolProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NoteTools, note_tools, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_TOOL_PROVIDER, note_tools_iface_init))

static GPtrArray *
note_tools_list (HearthToolProvider *provider)
{
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (tools, hearth_tool_new_from_json ("write_note", "Writes a note",
                                                     "{\"type\": \"object\", \"properties\": {\"text\":"
                                                     " {\"type\": \"string\"}}, \"required\": [\"text\"]}",
                                                     HEARTH_TOOL_EFFECT_SIDE_EFFECTS, &error));
  hearth_assert_no_error (error);
  return tools;
}

static void
note_tools_invoke_async (HearthToolProvider  *provider,
                         const char          *name,
                         JsonObject          *arguments,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  NoteTools *self = NOTE_TOOLS (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *text = g_strdup_printf ("saved: %s", json_object_get_string_member (arguments, "text"));

  self->n_notes++;
  g_task_return_pointer (task, hearth_tool_result_new_text (text), (GDestroyNotify) hearth_tool_result_unref);
}

static HearthToolResult *
note_tools_invoke_finish (HearthToolProvider  *provider,
                          GAsyncResult        *result,
                          GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
note_tools_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = note_tools_list;
  iface->invoke_async = note_tools_invoke_async;
  iface->invoke_finish = note_tools_invoke_finish;
}

static void
note_tools_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  g_value_set_object (value, NULL);
}

static void
note_tools_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
}

static void
note_tools_class_init (NoteToolsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = note_tools_get_property;
  object_class->set_property = note_tools_set_property;
  g_object_class_override_property (object_class, 1, "host");
}

static void
note_tools_init (NoteTools *self)
{
}

/* ---- the fixture: a store and a runtime on it ---- */

typedef struct
{
  char          *dir;
  HearthStore   *store;
  HearthRuntime *rt;
  GPtrArray     *errors;
  GPtrArray     *approvals;
  GString       *streamed;
  guint          n_pieces;
  gboolean       stop_on_text;
  gboolean       finished;
  gint64         finished_id;
} Remote;

static void
on_text (HearthThreadItem *item,
         const char       *text,
         guint64           len,
         Remote           *t)
{
  g_string_append_len (t->streamed, text, (gssize) len);
  t->n_pieces++;
  if (t->stop_on_text)
    {
      t->stop_on_text = FALSE;
      hearth_runtime_stop (t->rt);
    }
}

static void
on_items (GListModel *thread,
          guint       position,
          guint       removed,
          guint       added,
          Remote     *t)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (thread, i);

      if (hearth_thread_item_get_streaming (item))
        g_signal_connect (item, "text-appended", G_CALLBACK (on_text), t);
    }
}

static void
on_finished (HearthRuntime *rt,
             gint64         conversation_id,
             gint64         message_id,
             Remote        *t)
{
  t->finished = TRUE;
  t->finished_id = message_id;
}

static void
on_error (HearthRuntime *rt,
          const char    *message,
          Remote        *t)
{
  g_ptr_array_add (t->errors, g_strdup (message));
}

static void
on_approval (HearthRuntime      *rt,
             HearthToolApproval *approval,
             Remote             *t)
{
  g_ptr_array_add (t->approvals, g_object_ref (approval));
  ck_assert (hearth_tool_approval_decide (approval, HEARTH_TOOL_DECISION_ALLOW_ONCE));
}

static Remote *
remote_new (void)
{
  Remote *t = g_new0 (Remote, 1);
  HearthSamplerParams s;

  t->dir = g_dir_make_tmp ("hearth-remote-XXXXXX", NULL);
  t->store = open_store (t->dir);
  t->rt = hearth_runtime_new (t->store);
  t->errors = g_ptr_array_new_with_free_func (g_free);
  t->approvals = g_ptr_array_new_with_free_func (g_object_unref);
  t->streamed = g_string_new (NULL);
  hearth_sampler_params_init (&s);
  s.temperature = 0;
  hearth_runtime_set_sampler_params (t->rt, &s);
  g_signal_connect (t->rt, "reply-finished", G_CALLBACK (on_finished), t);
  g_signal_connect (t->rt, "error", G_CALLBACK (on_error), t);
  g_signal_connect (t->rt, "approval-requested", G_CALLBACK (on_approval), t);
  g_signal_connect (hearth_runtime_get_thread (t->rt), "items-changed", G_CALLBACK (on_items), t);
  return t;
}

static void
remote_free (Remote *t)
{
  hearth_runtime_shutdown (t->rt);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_handlers_disconnect_by_data (t->rt, t);
  g_signal_handlers_disconnect_by_data (hearth_runtime_get_thread (t->rt), t);
  g_object_unref (t->rt);
  g_object_unref (t->store);
  hearth_test_rm_rf (t->dir);
  g_free (t->dir);
  g_ptr_array_unref (t->errors);
  g_ptr_array_unref (t->approvals);
  g_string_free (t->streamed, TRUE);
  g_free (t);
}

static void
wait_reply (Remote *t)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!t->finished && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_msg (t->finished, "no reply-finished within 60 s");
}

/* Sends @text on provider @name and waits for the reply. */
static void
ask (Remote     *t,
     const char *name,
     const char *text,
     guint       max_tokens)
{
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_runtime_set_model_source (t->rt, name, &error));
  hearth_assert_no_error (error);
  hearth_runtime_set_max_tokens (t->rt, max_tokens);
  t->finished = FALSE;
  ck_assert (hearth_runtime_send (t->rt, text, &error));
  hearth_assert_no_error (error);
  wait_reply (t);
}

static HearthThreadItem *
item_at (Remote *t,
         guint   i)
{
  return g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), i);
}

static guint
n_items (Remote *t)
{
  return g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)));
}

/* ---- the SSE parser ---- */

static gboolean
collect (const char *data,
         gsize       len,
         gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (data, len));
  return g_strcmp0 (data, "[DONE]") != 0;
}

START_TEST (test_sse_parser)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HearthSseParser) p = hearth_sse_parser_new (32, 48, collect, events);
  g_autoptr(GError) error = NULL;
  const char *stream = ": comment\r\ndata: one\r\n\r\nevent: x\ndata:two\ndata: lines\n\ndata: [DONE]\n\ndata: after\n\n";

  /* Fed one byte at a time: events come out whole, split anywhere. */
  for (gsize i = 0; stream[i] != '\0'; i++)
    ck_assert (hearth_sse_parser_feed (p, stream + i, 1, &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (events->len, 3);
  ck_assert_str_eq (g_ptr_array_index (events, 0), "one");
  ck_assert_str_eq (g_ptr_array_index (events, 1), "two\nlines");
  ck_assert_str_eq (g_ptr_array_index (events, 2), "[DONE]");
  ck_assert (hearth_sse_parser_get_stopped (p));

  /* Bounded: a long line, a long event. */
  {
    g_autoptr(HearthSseParser) q = hearth_sse_parser_new (32, 48, collect, events);
    g_autofree char *line = g_strnfill (40, 'a');

    ck_assert (!hearth_sse_parser_feed (q, line, 40, &error));
    ck_assert_str_eq (error->message, "A line of the stream is longer than 32 bytes");
    g_clear_error (&error);
  }
  {
    g_autoptr(HearthSseParser) q = hearth_sse_parser_new (32, 48, collect, events);
    const char *many = "data: 0123456789012345678901\ndata: 0123456789012345678901\ndata: 01234\n";

    ck_assert (!hearth_sse_parser_feed (q, many, strlen (many), &error));
    ck_assert_str_eq (error->message, "An event of the stream is longer than 48 bytes");
  }
}
END_TEST

/* ---- providers ---- */

START_TEST (test_providers)
{
  Remote *t = remote_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(HearthRemoteProvider) p = NULL;
  g_autoptr(HearthRemoteProvider) bad = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *key = NULL;
  g_autofree char *want = NULL;
  g_autofree char *db = NULL;
  g_autofree char *url = mode_url ("pass");
  g_autofree char *host = NULL;
  gchar *contents = NULL;
  gsize len = 0;
  const char *secret = "sk-test-1234567890-SECRET";

  add_provider (t->store, "home", url, secret);
  add_provider (t->store, "other", "https://example.org/v1/", NULL);
  all = hearth_remote_providers_list (t->store, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (all->len, 2);
  ck_assert_str_eq (((HearthRemoteProvider *) all->pdata[1])->url, "https://example.org/v1");

  /* The store keeps the list without the key; the keyring has the key. */
  setting = hearth_store_get_setting (t->store, HEARTH_REMOTE_SETTING, &error);
  hearth_assert_no_error (error);
  want = g_strdup_printf ("[{\"name\":\"home\",\"url\":\"%s\",\"model\":\"" MODEL "\"},"
                          "{\"name\":\"other\",\"url\":\"https://example.org/v1\",\"model\":\"" MODEL "\"}]", url);
  ck_assert_str_eq (setting, want);
  ck_assert_ptr_null (strstr (setting, secret));
  p = hearth_remote_providers_lookup (t->store, "home", &error);
  hearth_assert_no_error (error);
  key = hearth_remote_provider_dup_key (p, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (key, secret);
  host = hearth_remote_provider_dup_host (p);
  ck_assert_str_eq (host, proxy_host);
  /* Nor is it anywhere in the store's files. */
  db = g_build_filename (t->dir, "hearth.db", NULL);
  {
    g_autoptr(GDir) dir = g_dir_open (t->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (t->dir, name, NULL);

        if (g_file_get_contents (path, &contents, &len, NULL))
          {
            ck_assert_msg (memmem (contents, len, secret, strlen (secret)) == NULL, "the key is in %s", name);
            g_free (contents);
          }
      }
  }

  /* Refused: a taken name, a bad name, a URL that is not http(s), no model. */
  bad = hearth_remote_provider_new ("home", url, MODEL);
  ck_assert (!hearth_remote_providers_add (t->store, bad, NULL, &error));
  ck_assert_str_eq (error->message, "There is a remote provider “home” already");
  g_clear_error (&error);
  hearth_remote_provider_free (bad);
  bad = hearth_remote_provider_new ("a b", url, MODEL);
  ck_assert (!hearth_remote_providers_add (t->store, bad, NULL, &error));
  ck_assert_int_eq (error->code, HEARTH_REMOTE_ERROR_INVALID);
  g_clear_error (&error);
  hearth_remote_provider_free (bad);
  bad = hearth_remote_provider_new ("ftp", "ftp://example.org/v1", MODEL);
  ck_assert (!hearth_remote_providers_add (t->store, bad, NULL, &error));
  ck_assert_str_eq (error->message, "“ftp://example.org/v1” is not an http or https URL");
  g_clear_error (&error);

  /* Removing takes the key too. */
  ck_assert (hearth_remote_providers_remove (t->store, "home", &error));
  hearth_assert_no_error (error);
  g_clear_pointer (&key, g_free);
  key = hearth_remote_provider_dup_key (p, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_null (key);
  ck_assert (!hearth_remote_providers_remove (t->store, "home", &error));
  ck_assert_str_eq (error->message, "There is no remote provider “home”");
  remote_free (t);
}
END_TEST

START_TEST (test_provider_test)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = NULL;
  g_autoptr(HearthRemoteProvider) good = hearth_remote_provider_new ("home", server_url, MODEL);
  g_autoptr(HearthRemoteProvider) missing = hearth_remote_provider_new ("home", server_url, "nope");
  g_autofree char *url = mode_url ("401");
  g_autoptr(HearthRemoteProvider) refused = hearth_remote_provider_new ("home", url, MODEL);
  g_autoptr(HearthRemoteProvider) closed = hearth_remote_provider_new ("home", closed_url, MODEL);
  g_autofree char *want = NULL;
  g_autofree char *server_host = hearth_remote_provider_dup_host (good);

  ck_assert (hearth_remote_provider_test (good, api_token, NULL, &models, &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (models), 1);
  ck_assert_str_eq (models[0], MODEL);
  g_clear_pointer (&models, g_strfreev);

  ck_assert (!hearth_remote_provider_test (missing, api_token, NULL, &models, &error));
  want = g_strdup_printf ("%s has no model “nope” (it has: " MODEL ")", server_host);
  ck_assert_str_eq (error->message, want);
  g_clear_error (&error);
  g_clear_pointer (&want, g_free);

  /* The real server refuses a wrong key. */
  ck_assert (!hearth_remote_provider_test (good, "wrong", NULL, NULL, &error));
  ck_assert_int_eq (error->code, HEARTH_REMOTE_ERROR_UNAUTHORIZED);
  want = g_strdup_printf ("%s refused the key (HTTP 401): ", server_host);
  ck_assert_msg (g_str_has_prefix (error->message, want), "%s", error->message);
  g_clear_error (&error);
  g_clear_pointer (&want, g_free);

  ck_assert (!hearth_remote_provider_test (refused, api_token, NULL, NULL, &error));
  want = g_strdup_printf ("%s refused the key (HTTP 401): Incorrect API key provided", proxy_host);
  ck_assert_str_eq (error->message, want);
  g_clear_error (&error);
  g_clear_pointer (&want, g_free);

  ck_assert (!hearth_remote_provider_test (closed, api_token, NULL, NULL, &error));
  ck_assert_int_eq (error->code, HEARTH_REMOTE_ERROR_UNREACHABLE);
  want = g_strdup_printf ("Cannot reach %s: ", closed_host);
  ck_assert_msg (g_str_has_prefix (error->message, want), "%s", error->message);
}
END_TEST

/* ---- replies ---- */

START_TEST (test_reply_equals_server)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("pass");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadItem) reply = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  gint64 prompt_tokens = 0, completion_tokens = 0, asked_at;
  double wall;
  g_autofree char *want = reference_reply (QUESTION, 24, &prompt_tokens, &completion_tokens);

  add_provider (t->store, "home", url, api_token);
  /* Before anything is sent, the new chat says where it will go. */
  ck_assert_ptr_null (hearth_runtime_get_remote_host (t->rt));
  ck_assert (hearth_runtime_set_model_source (t->rt, "home", &error));
  ck_assert_str_eq (hearth_runtime_get_remote_host (t->rt), proxy_host);
  ck_assert_str_eq (hearth_runtime_get_remote_provider (t->rt), "home");
  ck_assert (!hearth_runtime_set_model_source (t->rt, "nobody", &error));
  ck_assert_str_eq (error->message, "There is no remote provider “nobody”");
  g_clear_error (&error);
  ck_assert_str_eq (hearth_runtime_get_remote_host (t->rt), proxy_host);

  asked_at = g_get_monotonic_time ();
  ask (t, "home", QUESTION, 24);
  wall = (g_get_monotonic_time () - asked_at) / 1e6;
  ck_assert_uint_eq (t->errors->len, 0);
  ck_assert_uint_eq (n_items (t), 2);
  /* The figures are the server's: the positions its usage says, and its
   * completion tokens over the time from the request to the stream's end
   * (within the time ask() took, and not a buffered stream's microseconds);
   * the size of its context is not known here. */
  ck_assert_uint_eq (hearth_runtime_get_context_used (t->rt), prompt_tokens + completion_tokens);
  ck_assert_msg (hearth_runtime_get_tokens_per_second (t->rt) >= completion_tokens / wall &&
                 hearth_runtime_get_tokens_per_second (t->rt) <= completion_tokens / 0.001,
                 "%.1f tokens/s, but %" G_GINT64_FORMAT " tokens came in %.3f s",
                 hearth_runtime_get_tokens_per_second (t->rt), completion_tokens, wall);
  ck_assert_uint_eq (hearth_runtime_get_context_size (t->rt), 0);
  reply = item_at (t, 1);
  ck_assert_int_eq (hearth_thread_item_get_role (reply), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_str_eq (hearth_thread_item_get_text (reply), want);
  ck_assert_str_eq (t->streamed->str, want);
  ck_assert (!hearth_thread_item_get_stopped (reply));
  /* The server's usage is recorded with the reply. */
  ck_assert_int_eq (hearth_message_get_prompt_tokens (hearth_thread_item_get_message (reply)), prompt_tokens);
  ck_assert_int_eq (hearth_message_get_completion_tokens (hearth_thread_item_get_message (reply)), completion_tokens);
  ck_assert_int_eq (completion_tokens, 24);
  conv = hearth_runtime_dup_conversation (t->rt, hearth_runtime_get_conversation_id (t->rt), &error);
  ck_assert_str_eq (hearth_conversation_get_model (conv), "remote:home");

  /* Back to a new chat: local; the stored one is still remote. */
  ck_assert (hearth_runtime_set_conversation_id (t->rt, 0, &error));
  ck_assert_ptr_null (hearth_runtime_get_remote_host (t->rt));
  ck_assert (hearth_runtime_set_conversation_id (t->rt, hearth_conversation_get_id (conv), &error));
  ck_assert_str_eq (hearth_runtime_get_remote_host (t->rt), proxy_host);
  remote_free (t);
}
END_TEST

/* A server that sends no usage: the reply is whole, and nothing is made up
 * in place of the figures it did not give. */
START_TEST (test_no_usage)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("nousage");
  g_autofree char *want = reference_reply (QUESTION, 16, NULL, NULL);
  g_autoptr(HearthThreadItem) reply = NULL;

  add_provider (t->store, "home", url, api_token);
  ask (t, "home", QUESTION, 16);
  ck_assert_uint_eq (t->errors->len, 0);
  reply = item_at (t, 1);
  ck_assert_str_eq (hearth_thread_item_get_text (reply), want);
  ck_assert (hearth_runtime_get_tokens_per_second (t->rt) == 0);
  ck_assert_uint_eq (hearth_runtime_get_context_used (t->rt), 0);
  ck_assert_int_eq (hearth_message_get_completion_tokens (hearth_thread_item_get_message (reply)), 0);
  remote_free (t);
}
END_TEST

/* A server whose fields have the wrong types: ignored, never a critical
 * (the suite runs with G_DEBUG=fatal-criticals), the text that is right kept. */
START_TEST (test_wrong_types)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("wrongtypes");
  g_autoptr(HearthThreadItem) reply = NULL;

  add_provider (t->store, "odd", url, api_token);
  ask (t, "odd", QUESTION, 16);
  ck_assert_uint_eq (t->errors->len, 0);
  reply = item_at (t, 1);
  ck_assert_str_eq (hearth_thread_item_get_text (reply), "Fine.");
  ck_assert_int_eq (hearth_message_get_completion_tokens (hearth_thread_item_get_message (reply)), 0);
  remote_free (t);
}
END_TEST

START_TEST (test_streams_in_pieces)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("slow");
  g_autofree char *want = reference_reply (QUESTION, 12, NULL, NULL);
  g_autoptr(HearthThreadItem) reply = NULL;

  add_provider (t->store, "home", url, api_token);
  ask (t, "home", QUESTION, 12);
  reply = item_at (t, 1);
  ck_assert_str_eq (hearth_thread_item_get_text (reply), want);
  ck_assert_str_eq (t->streamed->str, want);
  /* 4 characters every 40 ms, batches every 24 ms: a piece per delta. */
  ck_assert_msg (t->n_pieces >= (strlen (want) + 3) / 4 - 2, "only %u pieces for %zu bytes", t->n_pieces,
                 strlen (want));
  ck_assert_uint_gt (t->n_pieces, 2);
  remote_free (t);
}
END_TEST

START_TEST (test_stop_keeps_partial)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("slow");
  g_autofree char *full = reference_reply (QUESTION, 40, NULL, NULL);
  g_autoptr(HearthThreadItem) reply = NULL;
  const char *text;

  add_provider (t->store, "home", url, api_token);
  t->stop_on_text = TRUE;
  ask (t, "home", QUESTION, 40);
  ck_assert_msg (t->errors->len == 0, "%s", t->errors->len > 0 ? (char *) g_ptr_array_index (t->errors, 0) : "");
  ck_assert_uint_eq (n_items (t), 2);
  reply = item_at (t, 1);
  text = hearth_thread_item_get_text (reply);
  ck_assert_msg (text[0] != '\0' && g_str_has_prefix (full, text) && strlen (text) < strlen (full),
                 "[%s] is not a part of [%s]", text, full);
  ck_assert_str_eq (text, t->streamed->str);
  ck_assert (hearth_thread_item_get_stopped (reply));
  ck_assert_int_eq (t->finished_id, hearth_thread_item_get_id (reply));
  remote_free (t);
}
END_TEST

/* A failure before any text: the "error" signal, the question kept, no reply. */
static void
check_failure_before_text (const char *mode,
                           const char *head,
                           const char *tail)
{
  Remote *t = remote_new ();
  g_autofree char *url = g_strcmp0 (mode, "closed") == 0 ? g_strdup (closed_url) : mode_url (mode);
  const char *host = g_strcmp0 (mode, "closed") == 0 ? closed_host : proxy_host;
  g_autofree char *want = g_strconcat (head, host, tail, NULL);
  g_autoptr(HearthThreadItem) question = NULL;

  add_provider (t->store, "home", url, api_token);
  ask (t, "home", QUESTION, 12);
  ck_assert_uint_eq (t->errors->len, 1);
  ck_assert_msg (g_str_has_prefix (g_ptr_array_index (t->errors, 0), want), "[%s] does not start with [%s]",
                 (char *) g_ptr_array_index (t->errors, 0), want);
  ck_assert_int_eq (t->finished_id, 0);
  ck_assert_uint_eq (n_items (t), 1);
  question = item_at (t, 0);
  ck_assert_str_eq (hearth_thread_item_get_text (question), QUESTION);
  ck_assert (!hearth_runtime_get_busy (t->rt));
  remote_free (t);
}

START_TEST (test_fault_401)
{
  check_failure_before_text ("401", "The model could not reply: ", " refused the key (HTTP 401): Incorrect API key provided");
}
END_TEST

START_TEST (test_fault_429)
{
  check_failure_before_text ("429", "The model could not reply: ", " is limiting requests (HTTP 429); "
                                    "try again in 7 seconds: Rate limit reached");
}
END_TEST

START_TEST (test_fault_500)
{
  check_failure_before_text ("500", "The model could not reply: ", " failed (HTTP 500): upstream exploded");
}
END_TEST

/* A server that never stops opening tool calls: refused at the 65th, the
 * reply ended with the reason, nothing stays busy. */
START_TEST (test_fault_many_tool_calls)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("manycalls");
  g_autofree char *want = g_strdup_printf ("%s sent more than 64 tool calls in one reply", proxy_host);

  add_provider (t->store, "home", url, api_token);
  ask (t, "home", QUESTION, 12);
  ck_assert_uint_eq (t->errors->len, 1);
  ck_assert_msg (g_str_has_suffix (g_ptr_array_index (t->errors, 0), want), "[%s] does not end with [%s]",
                 (char *) g_ptr_array_index (t->errors, 0), want);
  ck_assert (!hearth_runtime_get_busy (t->rt));
  remote_free (t);
}
END_TEST

START_TEST (test_fault_unreachable)
{
  check_failure_before_text ("closed", "The model could not reply: Cannot reach ", ": ");
}
END_TEST

START_TEST (test_fault_cut)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("cut");
  g_autofree char *full = reference_reply (QUESTION, 24, NULL, NULL);
  g_autofree char *failure = g_strdup_printf ("The connection to %s was cut mid-reply", proxy_host);
  g_autofree char *want_error = g_strdup_printf ("The reply was cut short: %s", failure);
  g_autofree char *stored_failure = NULL;
  g_autoptr(HearthThreadItem) reply = NULL;
  const char *text;

  add_provider (t->store, "home", url, api_token);
  ask (t, "home", QUESTION, 24);
  ck_assert_uint_eq (t->errors->len, 1);
  ck_assert_str_eq (g_ptr_array_index (t->errors, 0), want_error);
  /* What came is kept, marked stopped, with why. */
  ck_assert_uint_eq (n_items (t), 2);
  reply = item_at (t, 1);
  text = hearth_thread_item_get_text (reply);
  /* Exactly the text the proxy passed on before the cut. */
  {
    g_autofree char *log = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();

    ck_assert (g_file_get_contents (proxy_log, &log, NULL, NULL));
    lines = g_strsplit (g_strchomp (log), "\n", -1);
    ck_assert (json_parser_load_from_data (parser, lines[g_strv_length (lines) - 1], -1, NULL));
    ck_assert_str_eq (text, json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)),
                                                           "cut_after"));
  }
  ck_assert_msg (text[0] != '\0' && g_str_has_prefix (full, text) && strlen (text) < strlen (full),
                 "[%s] is not a part of [%s]", text, full);
  ck_assert (hearth_thread_item_get_stopped (reply));
  stored_failure = hearth_thread_settings_dup_failure (
    hearth_message_get_settings_json (hearth_thread_item_get_message (reply)));
  ck_assert_str_eq (stored_failure, failure);
  ck_assert_int_eq (t->finished_id, hearth_thread_item_get_id (reply));
  remote_free (t);
}
END_TEST

/* ---- hearth-cli chat --remote ---- */

/* Runs hearth-cli with @args (NULL-terminated) on the store in @dir, @input
 * on its stdin; returns its exit status and its output. g_spawn_sync()
 * waits for it itself: a child watch needs GLib's worker thread, which a
 * forked test case does not have. */
static int
run_cli (const char  *dir,
         const char  *input,
         char       **out,
         char       **err,
         ...)
{
  g_autofree char *pass = g_build_filename (dir, "passphrase", NULL);
  g_autofree char *data = g_build_filename (dir, "data", NULL);
  g_autofree char *in = g_build_filename (dir, "stdin", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *a;
  va_list args;
  int wait_status = 0;

  ck_assert (g_file_set_contents (pass, "test passphrase\n", -1, NULL));
  ck_assert (g_file_set_contents (in, input, -1, NULL));
  g_ptr_array_add (argv, "/bin/sh");
  g_ptr_array_add (argv, "-c");
  g_ptr_array_add (argv, "f=$1; shift; exec \"$@\" < \"$f\"");
  g_ptr_array_add (argv, "sh");
  g_ptr_array_add (argv, in);
  g_ptr_array_add (argv, (gpointer) g_getenv ("HEARTH_CLI"));
  va_start (args, err);
  while ((a = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, data);
  g_ptr_array_add (argv, "--passphrase-file");
  g_ptr_array_add (argv, pass);
  g_ptr_array_add (argv, NULL);
  ck_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &wait_status,
                           &error));
  hearth_assert_no_error (error);
  ck_assert (WIFEXITED (wait_status));
  return WEXITSTATUS (wait_status);
}

/* The reply on stdout, the server's figures with --stats (and no context
 * size, which is not known), and exit status 1 when the server failed. */
START_TEST (test_cli_chat_remote)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-remote-cli-XXXXXX", NULL);
  g_autofree char *key_file = g_build_filename (dir, "key", NULL);
  g_autofree char *pass_url = mode_url ("pass");
  g_autofree char *fail_url = mode_url ("500");
  g_autofree char *cut_url = mode_url ("cut");
  gint64 prompt_tokens = 0, completion_tokens = 0;
  g_autofree char *want = reference_reply (QUESTION, 24, &prompt_tokens, &completion_tokens);
  g_autofree char *want_out = g_strconcat (want, "\n", NULL);
  g_autofree char *want_stats = g_strdup_printf ("[turn 1: prompt %" G_GINT64_FORMAT " tokens, %" G_GINT64_FORMAT
                                                 " generated at ", prompt_tokens, completion_tokens);
  g_autofree char *want_context = g_strdup_printf (" tok/s; context %" G_GINT64_FORMAT " used of an unknown size; "
                                                   "conversation ", prompt_tokens + completion_tokens);
  g_autofree char *want_500 = g_strdup_printf ("hearth-cli: The model could not reply: %s failed (HTTP 500): "
                                               "upstream exploded\n", proxy_host);
  g_autofree char *want_cut = g_strdup_printf ("hearth-cli: The reply was cut short: The connection to %s was cut "
                                               "mid-reply\n", proxy_host);
  const char *question = QUESTION "\n";
  char *out = NULL, *err = NULL;

  ck_assert (g_file_set_contents (key_file, api_token, -1, NULL));
  ck_assert_int_eq (run_cli (dir, "", &out, &err, "remote", "add", "home", pass_url, MODEL, "--key-file", key_file,
                             NULL), 0);
  g_free (out), g_free (err);
  ck_assert_int_eq (run_cli (dir, "", &out, &err, "remote", "add", "broken", fail_url, MODEL, "--key-file", key_file,
                             NULL), 0);
  g_free (out), g_free (err);
  ck_assert_int_eq (run_cli (dir, "", &out, &err, "remote", "add", "flaky", cut_url, MODEL, "--key-file", key_file,
                             NULL), 0);
  g_free (out), g_free (err);

  ck_assert_int_eq (run_cli (dir, question, &out, &err, "chat", "--remote", "home", "-n", "24", "--stats", NULL), 0);
  ck_assert_str_eq (out, want_out);
  ck_assert_msg (strstr (err, want_stats) != NULL && strstr (err, want_context) != NULL, "%s", err);
  ck_assert_msg (strstr (err, " of 0") == NULL, "%s", err);
  g_free (out), g_free (err);

  ck_assert_int_eq (run_cli (dir, question, &out, &err, "chat", "--remote", "broken", "-n", "24", NULL), 1);
  ck_assert_msg (strstr (err, want_500) != NULL, "%s", err);
  g_free (out), g_free (err);

  ck_assert_int_eq (run_cli (dir, question, &out, &err, "chat", "--remote", "flaky", "-n", "24", NULL), 1);
  ck_assert_msg (strstr (err, want_cut) != NULL, "%s", err);
  g_free (out), g_free (err);
  hearth_test_rm_rf (dir);
}
END_TEST

/* ---- tools: the server's calls run here, with approval ---- */

static JsonObject *
logged_request (guint index_from_end)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;
  JsonParser *parser = json_parser_new ();
  JsonObject *o;

  ck_assert (g_file_get_contents (proxy_log, &text, NULL, NULL));
  lines = g_strsplit (g_strchomp (text), "\n", -1);
  n = g_strv_length (lines);
  ck_assert_uint_gt (n, index_from_end);
  ck_assert (json_parser_load_from_data (parser, lines[n - 1 - index_from_end], -1, NULL));
  o = json_object_ref (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "body"));
  g_object_unref (parser);
  return o;
}

static char *
to_json (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

START_TEST (test_tool_calls)
{
  Remote *t = remote_new ();
  g_autofree char *url = mode_url ("tools");
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(NoteTools) tools = g_object_new (NOTE_TYPE_TOOLS, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadItem) call = NULL;
  g_autoptr(HearthThreadItem) result = NULL;
  g_autoptr(HearthThreadItem) answer = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *messages = NULL;
  g_autofree char *offered = NULL;
  HearthToolAuditEntry *row;

  ck_assert (hearth_tool_registry_add_provider (registry, PLUGIN_ID, HEARTH_TOOL_PROVIDER (tools), &error));
  hearth_runtime_set_tool_registry (t->rt, registry);
  add_provider (t->store, "scripted", url, api_token);
  ask (t, "scripted", "Note hi", 0);
  ck_assert_uint_eq (t->errors->len, 0);

  /* Asked, allowed once, run here once. */
  ck_assert_uint_eq (t->approvals->len, 1);
  ck_assert_str_eq (hearth_tool_approval_get_arguments (g_ptr_array_index (t->approvals, 0)), "{\n  \"text\" : \"hi\"\n}");
  ck_assert_uint_eq (tools->n_notes, 1);
  ck_assert_uint_eq (n_items (t), 4);
  call = item_at (t, 1);
  ck_assert_str_eq (hearth_message_get_tool_calls_json (hearth_thread_item_get_message (call)),
                    "[{\"id\": \"call_abc\", \"name\": \"write_note\", \"arguments\": {\"text\": \"hi\"}}]");
  ck_assert_int_eq (hearth_message_get_prompt_tokens (hearth_thread_item_get_message (call)), 11);
  result = item_at (t, 2);
  ck_assert_int_eq (hearth_thread_item_get_role (result), HEARTH_MESSAGE_ROLE_TOOL);
  ck_assert_str_eq (hearth_thread_item_get_text (result), "saved: hi");
  answer = item_at (t, 3);
  ck_assert_str_eq (hearth_thread_item_get_text (answer), "The tool said: saved: hi");
  ck_assert_int_eq (t->finished_id, hearth_thread_item_get_id (answer));
  audit = hearth_runtime_list_tool_audit (t->rt, &error);
  ck_assert_uint_eq (audit->len, 1);
  row = g_ptr_array_index (audit, 0);
  ck_assert_str_eq (row->call_id, "call_abc");
  ck_assert_int_eq (row->decision, HEARTH_TOOL_AUDIT_ALLOWED_ONCE);
  ck_assert_str_eq (row->decided_by, "user");

  /* What went out: the tools in OpenAI's shape, then the call and its result. */
  first = logged_request (1);
  offered = to_json (json_object_get_member (first, "tools"));
  ck_assert_str_eq (offered, "[{\"type\":\"function\",\"function\":{\"name\":\"write_note\",\"description\":"
                             "\"Writes a note\",\"parameters\":{\"type\":\"object\",\"properties\":{\"text\":"
                             "{\"type\":\"string\"}},\"required\":[\"text\"]}}}]");
  ck_assert (json_object_get_boolean_member (first, "stream"));
  second = logged_request (0);
  messages = to_json (json_object_get_member (second, "messages"));
  ck_assert_str_eq (messages, "[{\"role\":\"user\",\"content\":\"Note hi\"},"
                              "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_abc\","
                              "\"type\":\"function\",\"function\":{\"name\":\"write_note\",\"arguments\":"
                              "\"{\\\"text\\\": \\\"hi\\\"}\"}}]},"
                              "{\"role\":\"tool\",\"content\":\"saved: hi\",\"tool_call_id\":\"call_abc\","
                              "\"name\":\"write_note\"}]");
  hearth_runtime_set_tool_registry (t->rt, NULL);
  remote_free (t);
}
END_TEST

/* ---- escalation ---- */

START_TEST (test_reask_remote)
{
  Remote *t = remote_new ();
  g_autofree char *pass = mode_url ("pass");
  g_autofree char *slow = mode_url ("slow");
  g_autofree char *want = reference_reply (QUESTION, 16, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadItem) first = NULL;
  g_autoptr(HearthThreadItem) second = NULL;
  g_autoptr(HearthConversation) conv = NULL;

  add_provider (t->store, "small", pass, api_token);
  add_provider (t->store, "big", slow, api_token);
  ask (t, "small", QUESTION, 16);
  first = item_at (t, 1);
  t->finished = FALSE;
  ck_assert (hearth_runtime_reask_remote (t->rt, "big", &error));
  hearth_assert_no_error (error);
  wait_reply (t);
  ck_assert_uint_eq (t->errors->len, 0);
  ck_assert_uint_eq (n_items (t), 2);
  second = item_at (t, 1);
  ck_assert_int_ne (hearth_thread_item_get_id (second), hearth_thread_item_get_id (first));
  /* A sibling: the same question's answer, from the other provider. */
  ck_assert_int_eq (hearth_message_get_parent_id (hearth_thread_item_get_message (second)),
                    hearth_message_get_parent_id (hearth_thread_item_get_message (first)));
  ck_assert_str_eq (hearth_thread_item_get_text (second), want);
  ck_assert_ptr_nonnull (strstr (hearth_message_get_settings_json (hearth_thread_item_get_message (second)),
                                 "\"model\":\"remote:big\""));
  /* The conversation stays with its own provider. */
  conv = hearth_runtime_dup_conversation (t->rt, hearth_runtime_get_conversation_id (t->rt), &error);
  ck_assert_str_eq (hearth_conversation_get_model (conv), "remote:small");
  ck_assert (!hearth_runtime_reask_remote (t->rt, "nobody", &error));
  ck_assert_str_eq (error->message, "There is no remote provider “nobody”");
  remote_free (t);
}
END_TEST

/* ---- documents: retrieval stays here, only the chosen passages leave ---- */

static void
on_passages_sent (HearthRuntime *rt,
                  guint          n_passages,
                  const char    *host,
                  GPtrArray     *seen)
{
  /* Before the request: the proxy has not logged it yet. */
  g_ptr_array_add (seen, g_strdup_printf ("%u %s", n_passages, host));
}

START_TEST (test_documents_remote)
{
  Remote *t = remote_new ();
  /* A scripted model: stories260K's 128 tokens cannot hold a sources block. */
  g_autofree char *cites = mode_url ("cites");
  g_autofree char *docs = g_build_filename (t->dir, "docs", NULL);
  g_autofree char *keeper = g_build_filename (docs, "keeper.txt", NULL);
  g_autofree char *bread = g_build_filename (docs, "bread.txt", NULL);
  g_autofree char *want_seen = g_strdup_printf ("1 %s", proxy_host);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocIndexer) indexer = NULL;
  g_autoptr(HearthDocRetriever) retriever = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(HearthThreadItem) reply = NULL;
  g_autofree char *sent = NULL;
  const char *const attach[] = { "facts", NULL };
  HearthDocIndexParams ip;

  ck_assert_int_eq (g_mkdir_with_parents (docs, 0700), 0);
  ck_assert (g_file_set_contents (keeper, "The lighthouse keeper of Brannock Island is Morwenna Tull.\n", -1, NULL));
  ck_assert (g_file_set_contents (bread, "Sourdough needs a starter fed with flour and water, UNSENT7731.\n", -1, NULL));
  hearth_doc_index_params_init (&ip);
  ip.data_dir = t->dir;
  ip.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  ip.passphrase_func = give_passphrase;
  ip.passphrase_iterations = 1000;
  index = hearth_doc_index_open (&ip, &error);
  hearth_assert_no_error (error);
  c = hearth_doc_index_ensure_collection (index, "facts", NULL, 64, 8, &error);
  hearth_assert_no_error (error);
  ck_assert (hearth_doc_index_add_source (index, c->id, docs, &error));
  indexer = hearth_doc_indexer_new (index, "facts");
  ck_assert_msg (hearth_doc_indexer_run_sync (indexer, NULL, &error), "%s", error ? error->message : "");
  retriever = hearth_doc_retriever_new (index);
  hearth_runtime_add_retriever (t->rt, HEARTH_RETRIEVER (retriever));
  g_signal_connect (t->rt, "passages-sent", G_CALLBACK (on_passages_sent), seen);

  add_provider (t->store, "small", cites, api_token);
  ck_assert (hearth_runtime_set_collections (t->rt, attach, &error));
  hearth_assert_no_error (error);
  ask (t, "small", "Who is the lighthouse keeper of Brannock Island?", 8);
  ck_assert_msg (t->errors->len == 0, "%s", t->errors->len ? (char *) g_ptr_array_index (t->errors, 0) : "");

  /* Told once, before the request, with the host and the count... */
  ck_assert_uint_eq (seen->len, 1);
  ck_assert_str_eq (g_ptr_array_index (seen, 0), want_seen);
  /* ...and what went out holds the chosen passage, not the other file. */
  body = logged_request (0);
  sent = to_json (json_object_get_member (body, "messages"));
  ck_assert_msg (strstr (sent, "Morwenna Tull") != NULL, "the passage did not go out: %s", sent);
  ck_assert_msg (strstr (sent, "UNSENT7731") == NULL, "an unchosen passage went out: %s", sent);
  ck_assert_msg (strstr (sent, "Who is the lighthouse keeper") != NULL, "%s", sent);
  /* The reply keeps its sources, as a local one does. */
  reply = item_at (t, 1);
  ck_assert_str_eq (hearth_thread_item_get_text (reply), "See [1].");
  ck_assert_ptr_nonnull (strstr (hearth_message_get_sources_json (hearth_thread_item_get_message (reply)),
                                 "keeper.txt"));
  g_signal_handlers_disconnect_by_data (t->rt, seen);
  remote_free (t);
}
END_TEST

/* ---- the remote, the proxy ---- */

static GSubprocess *
start (const char *const *argv,
       const char        *key,
       char             **value)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *prefix = g_strconcat (key, ": ", NULL);

  if (p == NULL)
    g_error ("%s: %s", argv[0], error->message);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);

      if (line == NULL)
        g_error ("%s ended before it was ready", argv[0]);
      if (g_str_has_prefix (line, prefix))
        *value = g_strdup (line + strlen (prefix));
      if (g_str_equal (line, "ready"))
        break;
    }
  return p;
}

static char *
closed_port_url (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint port;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (s, NULL);
  return g_strdup_printf ("http://127.0.0.1:%u/v1", port);
}

static void
end (GSubprocess *p)
{
  g_subprocess_send_signal (p, SIGTERM);
  g_subprocess_wait (p, NULL, NULL);
  g_object_unref (p);
}

int
main (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("hearth-remote-main-XXXXXX", NULL);
  g_autofree char *token_file = g_build_filename (tmp, "token", NULL);
  /* Not hearth_test_data_path(): its checks need a running case. */
  g_autofree char *model = g_build_filename (hearth_test_shared_dir (), "models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *upstream = NULL;
  GSubprocess *serve, *proxy;
  Suite *s = suite_create ("remote");
  TCase *tc = tcase_create ("remote");
  int status;

  api_token = g_strdup_printf ("hearth-test-%08x%08x", g_random_int (), g_random_int ());
  g_assert_true (g_file_set_contents (token_file, api_token, -1, NULL));
  proxy_log = g_build_filename (tmp, "proxy.log", NULL);
  {
    const char *argv[] = { g_getenv ("HEARTH_CLI"), "serve", "-m", model, "--port", "0",
                           "--token-file", token_file, NULL };

    serve = start (argv, "url", &server_url);
  }
  upstream = g_strndup (server_url, strlen (server_url) - strlen ("/v1"));
  {
    const char *argv[] = { g_getenv ("HEARTH_REMOTE_PYTHON"), g_getenv ("HEARTH_REMOTE_PROXY"), upstream,
                           proxy_log, NULL };

    proxy = start (argv, "url", &proxy_url);
  }
  proxy_host = g_strdup (proxy_url + strlen ("http://"));
  closed_url = closed_port_url ();
  {
    g_autoptr(HearthRemoteProvider) c = hearth_remote_provider_new ("closed", closed_url, MODEL);

    closed_host = hearth_remote_provider_dup_host (c);
  }

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_sse_parser);
  tcase_add_test (tc, test_providers);
  tcase_add_test (tc, test_provider_test);
  tcase_add_test (tc, test_reply_equals_server);
  tcase_add_test (tc, test_no_usage);
  tcase_add_test (tc, test_streams_in_pieces);
  tcase_add_test (tc, test_cli_chat_remote);
  tcase_add_test (tc, test_stop_keeps_partial);
  tcase_add_test (tc, test_fault_401);
  tcase_add_test (tc, test_fault_429);
  tcase_add_test (tc, test_fault_500);
  tcase_add_test (tc, test_fault_unreachable);
  tcase_add_test (tc, test_fault_many_tool_calls);
  tcase_add_test (tc, test_fault_cut);
  tcase_add_test (tc, test_tool_calls);
  tcase_add_test (tc, test_reask_remote);
  tcase_add_test (tc, test_documents_remote);
  tcase_add_test (tc, test_wrong_types);
  suite_add_tcase (s, tc);
  status = hearth_test_run (s);

  end (proxy);
  end (serve);
  hearth_test_rm_rf (tmp);
  g_free (server_url);
  g_free (proxy_url);
  g_free (proxy_host);
  g_free (closed_url);
  g_free (closed_host);
  g_free (api_token);
  g_free (proxy_log);
  return status;
}
