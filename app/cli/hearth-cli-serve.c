/* hearth-cli-serve.c: `hearth-cli serve`, the local OpenAI-compatible API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loads a chat model (-m), an embedding model (--embed-model) or both and
 * serves them with HearthApiServer until SIGINT or SIGTERM. The token comes from --token-file, or from the keyring (made
 * there the first time); the URL and the token go to stdout, one
 * "key: value" line each ("model:" and "embed-model:" name what is
 * served), then "ready", so that scripts can read them.
 */
#include "hearth-config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "hearth-api-history.h"
#include "hearth-api-secrets.h"
#include "hearth-api-server.h"
#include "hearth-cli.h"

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* The id a model is served as: its file name without .gguf. */
static char *
model_id (const char *path)
{
  char *id = g_path_get_basename (path);

  if (g_str_has_suffix (id, ".gguf"))
    id[strlen (id) - 5] = '\0';
  return id;
}

static char *
read_token_file (const char *path,
                 GError    **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_strstrip (text);
  if (*text == '\0' || strchr (text, '\n') != NULL || strlen (text) < 16)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s must hold one token of at least 16 characters on one line", path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

/* --keep-history: a failure is said, and the server goes on. */
static void
keep_in_history (HearthApiServer *server,
                 const char      *model,
                 GPtrArray       *messages,
                 const char      *reply,
                 HearthStore     *store)
{
  g_autoptr(GError) error = NULL;

  if (hearth_api_history_store (store, messages, reply, &error) == 0)
    fprintf (stderr, "hearth-cli: an API conversation could not be kept in the history: %s\n", error->message);
}

int
hearth_cli_serve (int    argc,
                  char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *embed_path = NULL;
  g_autofree char *embed_id = NULL;
  g_autofree char *host = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *template_file = NULL;
  g_autofree char *template_source = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autofree char *id = NULL;
  g_auto(HearthCliBackendOptions) backend = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthModel) encoder = NULL;
  g_autoptr(HearthApiServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(HearthStore) store = NULL;
  HearthCliStoreOptions sopts = { 0 };
  gboolean regenerate = FALSE, keep_history = FALSE;
  int port = 8080, threads = 0, sessions = 0, queue = 0, ctx = 0;
  HearthModelParams mp;
  HearthApiServerLimits limits;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "The GGUF model to serve", "FILE" },
    { "embed-model", 0, 0, G_OPTION_ARG_FILENAME, &embed_path,
      "An embedding model (bert, nomic-bert) to serve on /v1/embeddings, beside -m or alone", "FILE" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "TCP port (default 8080; 0: any free port)", "N" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "Address to listen on (default 127.0.0.1, this machine only)", "ADDR" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      "Read the token clients must send from FILE instead of the keyring", "FILE" },
    { "chat-template", 0, 0, G_OPTION_ARG_FILENAME, &template_file,
      "Use the Jinja chat template in FILE instead of the model's", "FILE" },
    { "regenerate-token", 0, 0, G_OPTION_ARG_NONE, &regenerate, "Make a new token in the keyring", NULL },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &sessions, "Replies generated at once (default 4)", "N" },
    { "queue", 0, 0, G_OPTION_ARG_INT, &queue, "Requests that may wait for a session (default 64)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &ctx, "Context size of each session (default: the model's)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: one per core)", "N" },
    { "keep-history", 0, 0, G_OPTION_ARG_NONE, &keep_history,
      "Keep each finished chat request as a conversation in the history (off: nothing is written)", NULL },
    { NULL }
  };

  context = g_option_context_new ("- serve a model through an OpenAI-compatible API");
  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &backend);
  hearth_cli_store_options_add (context, &sopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&sopts);
      return 2;
    }
  if (model_path == NULL && embed_path == NULL)
    {
      hearth_cli_store_options_clear (&sopts);
      return hearth_cli_failf ("serve needs -m FILE, --embed-model FILE or both");
    }
  /* The history opens only when asked to keep conversations in it. */
  if (keep_history)
    store = hearth_cli_open_store (&sopts, &error);
  hearth_cli_store_options_clear (&sopts);
  if (keep_history && store == NULL)
    return hearth_cli_fail (error);
  if (port < 0 || port > 65535 || sessions < 0 || queue < 0 || ctx < 0)
    return hearth_cli_failf ("--port, --sessions, --queue and --ctx take numbers in range");

  if (template_file != NULL && !g_file_get_contents (template_file, &template_source, NULL, &error))
    return hearth_cli_fail (error);
  if (token_file != NULL)
    token = read_token_file (token_file, &error);
  else
    token = hearth_api_token_get (regenerate, &error);
  if (token == NULL)
    {
      g_prefix_error (&error, "No token: ");
      if (token_file == NULL)
        g_prefix_error (&error, "(use --token-file FILE where there is no keyring) ");
      return hearth_cli_fail (error);
    }

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if (!hearth_cli_backend_options_apply (&backend, &mp, &error) ||
      (model_path != NULL && (model = hearth_model_load (model_path, &mp, &error)) == NULL))
    return hearth_cli_fail (error);
  if (embed_path != NULL && (encoder = hearth_model_load (embed_path, &mp, &error)) == NULL)
    return hearth_cli_fail (error);

  hearth_api_server_limits_init (&limits);
  if (sessions > 0)
    limits.n_sessions = (guint) sessions;
  if (queue > 0)
    limits.max_queue = (guint) queue;
  limits.n_ctx = (guint32) ctx;
  server = hearth_api_server_new (token, &limits);
  if (model_path != NULL)
    id = model_id (model_path);
  if (embed_path != NULL)
    embed_id = model_id (embed_path);
  if ((model != NULL && !hearth_api_server_add_model (server, model, id, template_source, &error)) ||
      (encoder != NULL && !hearth_api_server_add_embed_model (server, encoder, embed_id, &error)) ||
      !hearth_api_server_listen (server, host, (guint) port, &error))
    return hearth_cli_fail (error);
  if (!hearth_api_server_is_loopback (server))
    fprintf (stderr, "hearth-cli: warning: listening on %s: other machines can reach this server "
                     "(the token is all that keeps them out, and the traffic is not encrypted)\n", host);

  /* The handlers go in before "ready" is printed: a script that reads
   * "ready" and sends SIGTERM at once must get a clean shutdown. */
  if (store != NULL)
    g_signal_connect (server, "chat-finished", G_CALLBACK (keep_in_history), store);
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_loop, loop);
  g_unix_signal_add (SIGTERM, quit_loop, loop);

  url = hearth_api_server_dup_base_url (server);
  printf ("url: %s\n", url);
  if (id != NULL)
    printf ("model: %s\n", id);
  if (embed_id != NULL)
    printf ("embed-model: %s\n", embed_id);
  printf ("token: %s\nready\n", token);
  fflush (stdout);

  g_main_loop_run (loop);
  hearth_api_server_shutdown (server);
  return 0;
}
