/* hearth-cli-generate.c: `hearth-cli generate`, stream a continuation of a prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * --json-schema FILE or --grammar FILE (GBNF) constrain the output; then
 * only the generated text is written to stdout (not the prompt), so that
 * it can be read as it is. --print-bound writes to stderr, before
 * generating, the longest output the grammar allows:
 * "[bound: N bytes]" or "[bound: unbounded]".
 */
#include "hearth-config.h"

#include <stdio.h>

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

static const char *
stop_reason_name (HearthStopReason reason)
{
  switch (reason)
    {
    case HEARTH_STOP_EOG: return "end of text";
    case HEARTH_STOP_STRING: return "stop string";
    case HEARTH_STOP_LIMIT: return "token limit";
    case HEARTH_STOP_CONTEXT_FULL: return "context full";
    case HEARTH_STOP_CALLBACK: return "stopped";
    case HEARTH_STOP_CANCELLED: return "cancelled";
    case HEARTH_STOP_CONSTRAINT: return "no token fits the constraint";
    case HEARTH_STOP_NONE:
    default: return "none";
    }
}

int
hearth_cli_generate (int    argc,
                     char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *prompt_text = NULL;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  int n_predict = 128;
  int threads = 0;
  int ctx = 0;
  double temp = 0.0, top_p = 1.0, min_p = 0.0, repeat_penalty = 1.0;
  int top_k = 0;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  gboolean print_bound = FALSE;
  g_autofree char *schema_path = NULL;
  g_autofree char *grammar_path = NULL;
  g_autoptr(HearthGrammar) grammar = NULL;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "prompt", 'p', 0, G_OPTION_ARG_STRING, &prompt_text, "Prompt text", "TEXT" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Tokens to generate (default 128; 0: until the end)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Temperature (default 0: greedy)", "T" },
    { "top-k", 0, 0, G_OPTION_ARG_INT, &top_k, "Top-k (default off)", "K" },
    { "top-p", 0, 0, G_OPTION_ARG_DOUBLE, &top_p, "Top-p (default off)", "P" },
    { "min-p", 0, 0, G_OPTION_ARG_DOUBLE, &min_p, "Min-p (default off)", "P" },
    { "repeat-penalty", 0, 0, G_OPTION_ARG_DOUBLE, &repeat_penalty, "Repetition penalty (default 1: off)", "X" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 0)", "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "ctx", 'c', 0, G_OPTION_ARG_INT, &ctx, "Context length (default: the model's)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No statistics on stderr", NULL },
    { "json-schema", 0, 0, G_OPTION_ARG_FILENAME, &schema_path, "Constrain the output to this JSON Schema", "FILE" },
    { "grammar", 0, 0, G_OPTION_ARG_FILENAME, &grammar_path, "Constrain the output to this GBNF grammar", "FILE" },
    { "print-bound", 0, 0, G_OPTION_ARG_NONE, &print_bound,
      "With a constraint, write the longest output it allows (bytes) to stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- continue a prompt");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  HearthModelParams mp;
  HearthSessionParams sp;
  HearthSamplerParams smp;
  HearthGenerateParams gp;
  HearthGenerateResult res;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL || prompt_text == NULL)
    return hearth_cli_failf ("generate needs -m FILE and -p TEXT");

  if (schema_path != NULL && grammar_path != NULL)
    return hearth_cli_failf ("give --json-schema or --grammar, not both");
  if (schema_path != NULL || grammar_path != NULL)
    {
      g_autofree char *text = NULL;
      gsize len;

      if (!g_file_get_contents (schema_path ? schema_path : grammar_path, &text, &len, &error))
        return hearth_cli_fail (error);
      grammar = schema_path ? hearth_grammar_new_from_json_schema (text, (gssize) len, &error)
                            : hearth_grammar_new_from_gbnf (text, (gssize) len, &error);
      if (grammar == NULL)
        return hearth_cli_fail (error);
    }
  if (print_bound)
    {
      guint64 bound;

      if (grammar == NULL)
        return hearth_cli_failf ("--print-bound needs --json-schema or --grammar");
      if (hearth_grammar_get_max_bytes (grammar, &bound))
        fprintf (stderr, "[bound: %" G_GUINT64_FORMAT " bytes]\n", bound);
      else
        fputs ("[bound: unbounded]\n", stderr);
    }

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    return hearth_cli_fail (error);
  model = hearth_model_load (model_path, &mp, &error);
  if (model == NULL)
    return hearth_cli_fail (error);

  if (!hearth_tokenizer_encode (hearth_model_get_tokenizer (model), prompt_text, -1,
                                HEARTH_TOKENIZE_ADD_SPECIAL, ids, &error))
    return hearth_cli_fail (error);

  hearth_session_params_init (&sp);
  sp.n_ctx = ctx > 0 ? (guint32) ctx : 0;
  session = hearth_session_new (model, &sp, &error);
  if (session == NULL)
    return hearth_cli_fail (error);

  hearth_sampler_params_init (&smp);
  smp.temperature = (float) temp;
  smp.top_k = top_k;
  smp.top_p = (float) top_p;
  smp.min_p = (float) min_p;
  smp.repeat_penalty = (float) repeat_penalty;
  smp.seed = (guint64) seed;
  sampler = hearth_sampler_new (&smp);
  if (grammar != NULL)
    {
      g_autoptr(HearthConstraint) constraint =
        hearth_constraint_new (grammar, hearth_model_get_tokenizer (model), &error);

      if (constraint == NULL)
        return hearth_cli_fail (error);
      hearth_sampler_set_constraint (sampler, constraint);
    }

  hearth_generate_params_init (&gp);
  gp.max_tokens = n_predict > 0 ? (guint32) n_predict : 0;

  if (grammar == NULL)
    fputs (prompt_text, stdout);
  if (!hearth_session_generate (session, sampler, (const gint32 *) ids->data, ids->len, &gp,
                                print_piece, NULL, NULL, &res, &error))
    {
      fputc ('\n', stdout);
      return hearth_cli_fail (error);
    }
  fputc ('\n', stdout);
  if (!quiet)
    fprintf (stderr, "\n[%s | prompt %u tokens in %.3f s (%.1f tok/s) | %u tokens in %.3f s (%.1f tok/s) | %s]\n",
             hearth_model_get_backend_description (model), res.n_prompt_eval, res.prompt_seconds,
             res.prompt_seconds > 0 ? res.n_prompt_eval / res.prompt_seconds : 0.0,
             res.n_generated, res.gen_seconds, res.gen_seconds > 0 ? res.n_generated / res.gen_seconds : 0.0,
             stop_reason_name (res.reason));
  return 0;
}
