/* hearth-cli-chat.c: `hearth-cli chat`, a multi-turn conversation in the terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the same conversation runtime and the same encrypted history as
 * the app: each line read is the user's message, stored; the reply streams
 * as it is generated and is stored when it ends, so the conversation shows
 * up in the app and in `hearth-cli history`. --no-history uses a throwaway
 * store instead (for scripts), deleted on exit.
 *
 * --tools all|NAME,... loads the enabled plugins and offers their tools
 * (all, or those named); --approve says what happens to a call that needs
 * approval: ask (the default: the tool, its plugin and the full arguments
 * on stderr, the answer y/N/c(onversation)/a(lways) read from the
 * terminal, never from the messages on stdin; no terminal: denied), yes
 * or no. Tool results are printed on stderr as they come.
 *
 * --remote NAME talks to a remote provider (`hearth-cli remote add`)
 * instead of a local model (no -m then): stderr says first where the
 * conversation goes; a failure of the server is printed, the partial
 * reply kept in the history, and the command exits 1 at its end (as it
 * does for any reply that failed). --stats gives a remote reply's figures
 * from the server's usage, and says what is not known.
 *
 * --docs COLLECTION (repeatable) attaches collections of the document
 * index (`hearth-cli docs add`) to the conversation: each question is
 * searched in them first and the best passages are given to the model as
 * numbered sources.  After each reply, its sources follow the reply on
 * stdout, one line each, after a blank line:
 *   [n] PATH p.PAGE lines A-B
 * (" p.PAGE" only for paginated documents); a reply the documents had
 * nothing for prints "[no relevant passage in the attached documents]".
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hearth-cli.h"
#include "hearth-doc-retriever.h"
#include "hearth-plugin-manager.h"
#include "hearth-reply-sources.h"
#include "hearth-runtime.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   waiting;
  gboolean   loaded;
  GError    *error;
  gint64     message_id;
  gboolean   failed;     /* a reply failed (the model or the server): exit 1 */
} ChatState;

static void
text_appended (HearthThreadItem *item,
               const char       *text,
               guint64           len,
               gpointer          user_data)
{
  fwrite (text, 1, (size_t) len, stdout);
  fflush (stdout);
}

/* The reply in progress appears as the thread's last item: print it as it grows. */
static void
thread_changed (GListModel *thread,
                guint       position,
                guint       removed,
                guint       added,
                gpointer    user_data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (thread, i);

      if (hearth_thread_item_get_streaming (item))
        g_signal_connect (item, "text-appended", G_CALLBACK (text_appended), NULL);
      else if (hearth_thread_item_get_role (item) == HEARTH_MESSAGE_ROLE_TOOL && user_data != NULL)
        fprintf (stderr, "\n[tool %s, %s%s: %s]\n", hearth_thread_item_get_tool_name (item),
                 hearth_thread_item_get_tool_decision (item) ? hearth_thread_item_get_tool_decision (item) : "?",
                 hearth_thread_item_get_tool_is_error (item) ? ", error" : "",
                 hearth_thread_item_get_tool_result (item));
    }
}

/* --approve ask: the question on stderr, the answer from the terminal. */
static void
approval_requested (HearthRuntime      *runtime,
                    HearthToolApproval *approval,
                    gpointer            user_data)
{
  FILE *tty = fopen ("/dev/tty", "r");
  char answer[64] = "";
  HearthToolDecision decision = HEARTH_TOOL_DECISION_DENY;

  fprintf (stderr, "\nThe model wants to call %s (plugin %s; %s): %s\nArguments:\n%s\n",
           hearth_tool_approval_get_tool_name (approval), hearth_tool_approval_get_plugin_id (approval),
           hearth_tool_approval_get_effects_text (approval), hearth_tool_approval_get_description (approval),
           hearth_tool_approval_get_arguments (approval));
  if (tty == NULL)
    fprintf (stderr, "No terminal to ask: denied.\n");
  else
    {
      fprintf (stderr, "Allow? [y]es once / [N]o / [c]onversation / [a]lways: ");
      if (fgets (answer, sizeof answer, tty) != NULL)
        switch (g_ascii_tolower (answer[0]))
          {
          case 'y': decision = HEARTH_TOOL_DECISION_ALLOW_ONCE; break;
          case 'c': decision = HEARTH_TOOL_DECISION_ALLOW_CONVERSATION; break;
          case 'a': decision = HEARTH_TOOL_DECISION_ALLOW_ALWAYS; break;
          default: break;
          }
      fclose (tty);
    }
  hearth_tool_approval_decide (approval, decision);
}

static void
plugins_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ChatState *st = user_data;

  hearth_plugin_manager_load_finish (HEARTH_PLUGIN_MANAGER (source), result, NULL);
  st->waiting = FALSE;
  g_main_loop_quit (st->loop);
}

/* Loads the plugins and gives the runtime their tools: @tools "all" or
 * names separated by commas (each must exist). */
static HearthPluginManager *
set_up_tools (HearthRuntime *runtime,
              ChatState     *st,
              const char    *tools,
              GError       **error)
{
  g_autoptr(HearthPluginManager) manager = hearth_plugin_manager_new (hearth_runtime_get_store (runtime), NULL);
  HearthToolRegistry *registry;
  g_auto(GStrv) names = NULL;

  st->waiting = TRUE;
  hearth_plugin_manager_load_async (manager, NULL, plugins_loaded, st);
  while (st->waiting)
    g_main_loop_run (st->loop);
  registry = hearth_plugin_manager_get_tools (manager);
  if (g_strcmp0 (tools, "all") != 0)
    {
      names = g_strsplit (tools, ",", -1);
      for (guint i = 0; names[i] != NULL; i++)
        {
          g_strstrip (names[i]);
          if (hearth_tool_registry_lookup (registry, names[i], NULL) == NULL)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "no tool %s among the loaded plugins' (see `hearth-cli plugins list`)", names[i]);
              return NULL;
            }
        }
    }
  hearth_runtime_set_tool_registry (runtime, registry);
  hearth_runtime_set_enabled_tools (runtime, (const char *const *) names);
  return g_steal_pointer (&manager);
}

static void
reply_finished (HearthRuntime *runtime,
                gint64         conversation_id,
                gint64         message_id,
                ChatState     *st)
{
  st->message_id = message_id;
  st->waiting = FALSE;
  g_main_loop_quit (st->loop);
}

static void
runtime_error (HearthRuntime *runtime,
               const char    *message,
               ChatState     *st)
{
  fprintf (stderr, "hearth-cli: %s\n", message);
  st->failed = TRUE;
}

/* Said before the passages leave (the request follows at once). */
static void
passages_sent (HearthRuntime *runtime,
               guint          n_passages,
               const char    *host,
               gpointer       user_data)
{
  fprintf (stderr, "[%u passage%s of the attached documents sent to %s]\n", n_passages,
           n_passages == 1 ? "" : "s", host);
}

static void
model_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ChatState *st = user_data;

  st->loaded = hearth_runtime_load_model_finish (HEARTH_RUNTIME (source), result, &st->error);
  st->waiting = FALSE;
  g_main_loop_quit (st->loop);
}

static void
wait_for (ChatState *st)
{
  while (st->waiting)
    g_main_loop_run (st->loop);
}

/* A store in a new private folder, with a random passphrase nobody keeps:
 * gone when the command ends. */
static char *
throwaway_passphrase (gboolean creating,
                      gpointer user_data)
{
  return g_strdup (user_data);
}

static HearthStore *
open_throwaway_store (char   **dir_out,
                      GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-chat-XXXXXX", error);
  g_autofree char *passphrase = NULL;
  HearthStoreParams params;
  HearthStore *store;

  if (dir == NULL)
    return NULL;
  passphrase = g_strdup_printf ("%08x%08x%08x%08x", g_random_int (), g_random_int (), g_random_int (),
                                g_random_int ());
  hearth_store_params_init (&params);
  params.data_dir = dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = throwaway_passphrase;
  params.passphrase_data = passphrase;
  /* The key protects nothing that outlives the process. */
  params.passphrase_iterations = 1000;
  store = hearth_store_open (&params, error);
  *dir_out = g_steal_pointer (&dir);
  return store;
}

/* The sources stored with @message_id, one line each, after the reply. */
static void
print_sources (HearthRuntime *runtime,
               gint64         message_id)
{
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(GPtrArray) sources = NULL;

  if (message_id != 0)
    m = hearth_store_get_message (hearth_runtime_get_store (runtime), message_id, NULL);
  if (m == NULL || (sources = hearth_reply_sources_from_json (hearth_message_get_sources_json (m))) == NULL)
    return;
  fputc ('\n', stdout);
  if (sources->len == 0)
    fputs ("[no relevant passage in the attached documents]\n", stdout);
  for (guint i = 0; i < sources->len; i++)
    {
      g_autofree char *citation = hearth_reply_source_dup_citation (g_ptr_array_index (sources, i));

      fprintf (stdout, "[%u] %s\n", i + 1, citation);
    }
  fflush (stdout);
}

static void
print_stats (HearthRuntime *runtime,
             gint64         message_id,
             guint          turn)
{
  g_autoptr(HearthMessage) m = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *context = NULL;
  g_autofree char *cost = NULL;
  gboolean remote = hearth_runtime_get_remote_host (runtime) != NULL;

  if (message_id != 0)
    m = hearth_store_get_message (hearth_runtime_get_store (runtime), message_id, NULL);
  /* A remote reply's figures are its server's usage, when it sent one;
   * the size of a remote context is never known. */
  if (remote && hearth_runtime_get_tokens_per_second (runtime) <= 0)
    speed = g_strdup ("tok/s unknown");
  else
    speed = g_strdup_printf ("%.1f tok/s", hearth_runtime_get_tokens_per_second (runtime));
  if (!remote)
    context = g_strdup_printf ("context %u of %u", hearth_runtime_get_context_used (runtime),
                               hearth_runtime_get_context_size (runtime));
  else if (hearth_runtime_get_context_used (runtime) > 0)
    context = g_strdup_printf ("context %u used of an unknown size", hearth_runtime_get_context_used (runtime));
  else
    context = g_strdup ("context unknown");
  /* What the prompt cost: the tokens that ran, the previous turn's kept. */
  if (!remote)
    {
      guint n_prompt, n_eval, n_reused;
      double ttft;

      hearth_runtime_get_prompt_figures (runtime, &n_prompt, &n_eval, &n_reused, &ttft);
      cost = g_strdup_printf (" (%u run, %u reused from the last turn; first token after %.3f s)", n_eval, n_reused,
                              ttft);
    }
  fprintf (stderr, "[turn %u: prompt %" G_GINT64_FORMAT " tokens%s, %" G_GINT64_FORMAT " generated at %s; "
           "%s; conversation %" G_GINT64_FORMAT ", message %" G_GINT64_FORMAT "]\n",
           turn, m ? hearth_message_get_prompt_tokens (m) : 0, cost ? cost : "",
           m ? hearth_message_get_completion_tokens (m) : 0,
           speed, context, hearth_runtime_get_conversation_id (runtime), message_id);
}

int
hearth_cli_chat (int    argc,
                 char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *system = NULL;
  g_autofree char *throwaway_dir = NULL;
  g_autofree char *tools = NULL;
  g_autofree char *approve = NULL;
  g_autofree char *remote = NULL;
  g_autoptr(HearthPluginManager) plugins = NULL;
  g_auto(GStrv) docs = NULL;
  g_autoptr(HearthDocIndex) doc_index = NULL;
  g_autoptr(HearthDocRetriever) retriever = NULL;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  HearthCliStoreOptions sopts = { 0 };
  int threads = 0, ctx = 0, n_predict = 256;
  double temp = 0.0;
  gint64 seed = 0, conversation = 0;
  gboolean stats = FALSE, no_history = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system, "System prompt of a new conversation", "TEXT" },
    { "conversation", 0, 0, G_OPTION_ARG_INT64, &conversation,
      "Continue conversation ID of the history (see `history list`)", "ID" },
    { "no-history", 0, 0, G_OPTION_ARG_NONE, &no_history,
      "Keep nothing: a throwaway store, deleted on exit", NULL },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Most tokens per reply (default 256; 0: no limit)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Temperature (default 0: greedy)", "T" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default: a new one each reply)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &ctx, "Context length (default: the model's)", "N" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print figures of each turn on stderr", NULL },
    { "tools", 0, 0, G_OPTION_ARG_STRING, &tools, "Offer the plugins' tools: all, or NAME,NAME...", "LIST" },
    { "approve", 0, 0, G_OPTION_ARG_STRING, &approve,
      "Calls that need approval: ask (default, on the terminal), yes or no", "ask|yes|no" },
    { "remote", 0, 0, G_OPTION_ARG_STRING, &remote, "Talk to the remote provider NAME (see `remote list`)", "NAME" },
    { "docs", 0, 0, G_OPTION_ARG_STRING_ARRAY, &docs,
      "Answer from the documents of COLLECTION (see `docs list`); repeatable", "COLLECTION" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- chat with a model (/new, /exit)");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthRuntime) runtime = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  ChatState st = { loop, FALSE, FALSE, NULL, 0 };
  HearthWorkerLoadParams lp = { 0 };
  HearthSamplerParams smp;
  HearthModelParams mp;
  gboolean interactive = isatty (STDIN_FILENO);
  char line[65536];
  guint turn = 0;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  hearth_cli_store_options_add (context, &sopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&sopts);
      return 2;
    }
  if (model_path == NULL && remote == NULL)
    status = hearth_cli_failf ("chat needs -m FILE or --remote NAME");
  else if (remote != NULL && no_history)
    status = hearth_cli_failf ("--remote needs the history's store, where the providers are kept");
  else if (no_history && (conversation != 0 || sopts.data_dir != NULL))
    status = hearth_cli_failf ("--no-history keeps no history to continue or to put in --data-dir");
  else if (approve != NULL && !g_str_equal (approve, "ask") && !g_str_equal (approve, "yes") &&
           !g_str_equal (approve, "no"))
    status = hearth_cli_failf ("--approve takes ask, yes or no");
  else if (tools != NULL && tools[0] == '\0')
    status = hearth_cli_failf ("--tools takes all or tool names separated by commas");
  else if (system != NULL && conversation != 0)
    /* It would replace the system prompt the conversation was held with. */
    status = hearth_cli_failf ("--system is for a new conversation, not with --conversation");
  if (status != 0)
    {
      hearth_cli_store_options_clear (&sopts);
      return status;
    }

  /* The backend options as the engine takes them, then as the runtime keeps them. */
  hearth_model_params_init (&mp);
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    {
      hearth_cli_store_options_clear (&sopts);
      return hearth_cli_fail (error);
    }
  lp.backend = mp.backend;
  lp.n_threads = threads;
  lp.n_ctx = ctx > 0 ? (guint32) ctx : 0;
  lp.n_gpu_layers = mp.n_gpu_layers;
  if (bopts.device != NULL)
    g_strlcpy (lp.device, bopts.device, sizeof lp.device);

  store = no_history ? open_throwaway_store (&throwaway_dir, &error) : hearth_cli_open_store (&sopts, &error);
  /* The document index of the same data folder (the default one with
   * --no-history), each collection checked now rather than at the first
   * question. */
  if (store != NULL && docs != NULL)
    {
      doc_index = hearth_cli_open_doc_index (&sopts, &error);
      for (guint i = 0; doc_index != NULL && docs[i] != NULL; i++)
        {
          g_autoptr(HearthDocCollection) c = hearth_doc_index_get_collection (doc_index, docs[i], &error);

          if (c == NULL)
            {
              g_prefix_error (&error, "--docs %s: ", docs[i]);
              g_clear_object (&doc_index);
            }
        }
      if (doc_index == NULL)
        g_clear_object (&store);
    }
  hearth_cli_store_options_clear (&sopts);
  if (store == NULL)
    {
      status = hearth_cli_fail (error);
      goto out;
    }
  runtime = hearth_runtime_new (store);
  g_signal_connect (runtime, "reply-finished", G_CALLBACK (reply_finished), &st);
  g_signal_connect (runtime, "error", G_CALLBACK (runtime_error), &st);
  g_signal_connect (runtime, "passages-sent", G_CALLBACK (passages_sent), NULL);
  g_signal_connect (hearth_runtime_get_thread (runtime), "items-changed", G_CALLBACK (thread_changed),
                    tools != NULL ? runtime : NULL);
  g_signal_connect (runtime, "approval-requested", G_CALLBACK (approval_requested), NULL);
  hearth_runtime_set_approval_policy (runtime, g_strcmp0 (approve, "yes") == 0 ? HEARTH_TOOL_APPROVAL_POLICY_ALLOW_ALL
                                               : g_strcmp0 (approve, "no") == 0 ? HEARTH_TOOL_APPROVAL_POLICY_DENY_ALL
                                               : HEARTH_TOOL_APPROVAL_POLICY_ASK);
  if (tools != NULL && (plugins = set_up_tools (runtime, &st, tools, &error)) == NULL)
    {
      status = hearth_cli_fail (error);
      goto out;
    }
  if (conversation != 0 && !hearth_runtime_set_conversation_id (runtime, conversation, &error))
    {
      status = hearth_cli_fail (error);
      goto out;
    }
  if (doc_index != NULL)
    {
      retriever = hearth_doc_retriever_new (doc_index);
      hearth_runtime_add_retriever (runtime, HEARTH_RETRIEVER (retriever));
      if (!hearth_runtime_set_collections (runtime, (const char *const *) docs, &error))
        {
          status = hearth_cli_fail (error);
          goto out;
        }
    }
  if (system != NULL && !hearth_runtime_set_system_prompt (runtime, system, &error))
    {
      status = hearth_cli_fail (error);
      goto out;
    }

  if (remote != NULL)
    {
      if (!hearth_runtime_set_model_source (runtime, remote, &error))
        {
          status = hearth_cli_fail (error);
          goto out;
        }
      fprintf (stderr, "This conversation leaves this computer: it goes to %s (remote: %s).\n",
               hearth_runtime_get_remote_host (runtime), remote);
    }
  if (model_path == NULL)
    st.loaded = TRUE;
  else
    {
      st.waiting = TRUE;
      hearth_runtime_load_model (runtime, model_path, &lp, NULL, model_loaded, &st);
      wait_for (&st);
    }
  if (!st.loaded)
    {
      status = hearth_cli_fail (st.error);
      g_clear_error (&st.error);
      goto out;
    }
  hearth_sampler_params_init (&smp);
  smp.temperature = (float) temp;
  smp.seed = (guint64) seed;
  hearth_runtime_set_sampler_params (runtime, &smp);
  hearth_runtime_set_max_tokens (runtime, n_predict > 0 ? (guint32) n_predict : 0);

  if (interactive)
    fprintf (stderr, "%s. /new starts another conversation, /exit quits.\n",
             remote != NULL ? "Remote" : hearth_runtime_get_backend (runtime));
  for (;;)
    {
      gsize len;

      if (interactive)
        fputs ("> ", stdout), fflush (stdout);
      if (fgets (line, sizeof line, stdin) == NULL)
        break;
      len = strlen (line);
      if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
      if (strcmp (line, "/exit") == 0)
        break;
      if (strcmp (line, "/new") == 0 || strcmp (line, "/reset") == 0)
        {
          hearth_runtime_set_conversation_id (runtime, 0, NULL);
          if (remote != NULL)
            hearth_runtime_set_model_source (runtime, remote, NULL);
          if (system != NULL)
            hearth_runtime_set_system_prompt (runtime, system, NULL);
          if (doc_index != NULL)
            hearth_runtime_set_collections (runtime, (const char *const *) docs, NULL);
          turn = 0;
          continue;
        }
      if (len == 0)
        continue;

      if (!hearth_runtime_send (runtime, line, &error))
        {
          hearth_cli_fail (error);
          g_clear_error (&error);
          status = 1;
          continue;
        }
      st.waiting = TRUE;
      wait_for (&st);
      if (st.failed)
        status = 1;
      fputc ('\n', stdout);
      fflush (stdout);
      print_sources (runtime, st.message_id);
      turn++;
      if (stats)
        print_stats (runtime, st.message_id, turn);
    }

out:
  if (runtime != NULL)
    {
      hearth_runtime_shutdown (runtime);
      /* A reply cut short by the end of input is stored by its completion. */
      while (hearth_runtime_get_busy (runtime))
        g_main_context_iteration (NULL, TRUE);
    }
  g_clear_object (&runtime);
  g_clear_object (&plugins);
  g_clear_object (&store);
  if (throwaway_dir != NULL)
    hearth_cli_remove_tree (throwaway_dir);
  return status;
}
