/* hearth-cli-chat.c: `hearth-cli chat`, a multi-turn conversation in the terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each line read is a user turn; the reply streams as it is generated. The
 * session's cache is reused between turns, so a turn costs its new tokens.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

static gboolean
print_piece (const char *text,
             gsize       len,
             gint32      token,
             gpointer    user_data)
{
  fwrite (text, 1, len, stdout);
  fflush (stdout);
  return TRUE;
}

int
hearth_cli_chat (int    argc,
                 char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *system = NULL;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  int threads = 0, ctx = 0, n_predict = 256;
  double temp = 0.0;
  gint64 seed = 0;
  gboolean stats = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system, "System prompt", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Most tokens per reply (default 256)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Temperature (default 0: greedy)", "T" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &ctx, "Context length (default: the model's)", "N" },
    { "stats", 0, 0, G_OPTION_ARG_NONE, &stats, "Print timings of each turn on stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- chat with a model (/reset, /exit)");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  g_autoptr(HearthChat) chat = NULL;
  HearthModelParams mp;
  HearthSessionParams sp;
  HearthSamplerParams smp;
  HearthChatParams cp;
  gboolean interactive = isatty (STDIN_FILENO);
  char line[65536];
  guint turn = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL)
    return hearth_cli_failf ("chat needs -m FILE");

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    return hearth_cli_fail (error);
  model = hearth_model_load (model_path, &mp, &error);
  if (model == NULL)
    return hearth_cli_fail (error);
  hearth_session_params_init (&sp);
  sp.n_ctx = ctx > 0 ? (guint32) ctx : 0;
  session = hearth_session_new (model, &sp, &error);
  if (session == NULL)
    return hearth_cli_fail (error);
  chat = hearth_chat_new (session, &error);
  if (chat == NULL)
    return hearth_cli_fail (error);
  hearth_chat_set_system_prompt (chat, system);

  hearth_sampler_params_init (&smp);
  smp.temperature = (float) temp;
  smp.seed = (guint64) seed;
  sampler = hearth_sampler_new (&smp);
  hearth_chat_params_init (&cp);
  cp.max_tokens = n_predict > 0 ? (guint32) n_predict : 0;

  if (interactive)
    fprintf (stderr, "%s, %s%s. /reset starts over, /exit quits.\n",
             hearth_model_get_architecture (model), hearth_model_get_backend_description (model),
             hearth_chat_uses_default_template (chat) ? ", no chat template in the model: ChatML" : "");
  for (;;)
    {
      HearthChatReply reply;
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
      if (strcmp (line, "/reset") == 0)
        {
          hearth_chat_reset (chat);
          turn = 0;
          continue;
        }
      if (len == 0)
        continue;

      hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, line);
      if (!hearth_chat_respond (chat, sampler, &cp, print_piece, NULL, NULL, &reply, &error))
        {
          /* The turn that could not be answered is taken back. */
          hearth_chat_truncate (chat, hearth_chat_get_n_messages (chat) - 1);
          hearth_cli_fail (error);
          g_clear_error (&error);
          continue;
        }
      fputc ('\n', stdout);
      turn++;
      if (reply.n_dropped > 0)
        fprintf (stderr, "[%u older messages no longer fit the context and were left out]\n", reply.n_dropped);
      if (stats)
        fprintf (stderr, "[turn %u: prompt %u tokens, %u run (%u reused), %.3f s; first token at %.3f s; "
                 "%u tokens at %.1f tok/s]\n",
                 turn, reply.gen.n_prompt, reply.gen.n_prompt_eval, reply.gen.n_prompt - reply.gen.n_prompt_eval,
                 reply.gen.prompt_seconds, reply.gen.first_token_seconds, reply.gen.n_generated,
                 reply.gen.gen_seconds > 0 ? reply.gen.n_generated / reply.gen.gen_seconds : 0.0);
      hearth_chat_reply_clear (&reply);
    }
  return 0;
}
