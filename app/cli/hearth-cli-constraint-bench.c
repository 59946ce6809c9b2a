/* hearth-cli-constraint-bench.c: `hearth-cli constraint-bench`, what a constraint costs in decode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generates --n-predict tokens (at --temp, 1.0 by default) without and with a JSON
 * Schema (or GBNF) constraint, alternating, --reps times each, and prints
 * the median decode tokens/s of both and their ratio. Then replays the
 * constrained run's tokens through the constraint alone and prints the
 * per-step cost of the mask: cold (a new constraint, every state met for
 * the first time) and warm (the same steps again, masks cached). The load
 * average is printed beside, since the figures mean little on a busy
 * machine. Pick a schema whose output outlasts --n-predict, or the
 * constrained runs end early and decode fewer tokens.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <stdlib.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        int     n)
{
  qsort (v, (size_t) n, sizeof (double), compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static char *
load_average (void)
{
  g_autofree char *text = NULL;

  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  fields = g_strsplit (text, " ", 3);
  return g_strdup_printf ("%s %s", fields[0], fields[1] != NULL ? fields[1] : "?");
}

static gboolean
collect (const char *text,
         gsize       len,
         gint32      token,
         gpointer    user_data)
{
  return TRUE;
}

int
hearth_cli_constraint_bench (int    argc,
                             char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *schema_path = NULL;
  g_autofree char *grammar_path = NULL;
  g_autofree char *prompt = g_strdup ("Write the data as JSON:");
  g_autofree char *text = NULL;
  g_autofree char *load_before = NULL, *load_after = NULL;
  int n_predict = 64, reps = 3, threads = 0;
  double temp = 1.0;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "json-schema", 0, 0, G_OPTION_ARG_FILENAME, &schema_path, "The constraint, as a JSON Schema", "FILE" },
    { "grammar", 0, 0, G_OPTION_ARG_FILENAME, &grammar_path, "The constraint, as GBNF", "FILE" },
    { "n-predict", 'n', 0, G_OPTION_ARG_INT, &n_predict, "Tokens per run (default 64)", "N" },
    { "reps", 'r', 0, G_OPTION_ARG_INT, &reps, "Runs of each kind (default 3)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "temp", 0, 0, G_OPTION_ARG_DOUBLE, &temp, "Temperature (default 1.0; 0: greedy)", "T" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- decode speed with and without a constraint");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthGrammar) grammar = NULL;
  g_autoptr(HearthConstraint) constraint = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GArray) replay = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree double *free_tps = NULL, *con_tps = NULL, *cold = NULL, *warm = NULL;
  HearthModelParams mp;
  HearthTokenizer *tok;
  double t0;
  guint n_steps;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL || (schema_path == NULL) == (grammar_path == NULL) || reps < 1 || n_predict < 1)
    return hearth_cli_failf ("constraint-bench needs -m FILE and one of --json-schema FILE or --grammar FILE");
  if (!g_file_get_contents (schema_path ? schema_path : grammar_path, &text, NULL, &error))
    return hearth_cli_fail (error);
  grammar = schema_path ? hearth_grammar_new_from_json_schema (text, -1, &error)
                        : hearth_grammar_new_from_gbnf (text, -1, &error);
  if (grammar == NULL)
    return hearth_cli_fail (error);
  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if ((model = hearth_model_load (model_path, &mp, &error)) == NULL)
    return hearth_cli_fail (error);
  tok = hearth_model_get_tokenizer (model);
  t0 = g_get_monotonic_time () / 1e6;
  if ((constraint = hearth_constraint_new (grammar, tok, &error)) == NULL)
    return hearth_cli_fail (error);
  printf ("constraint made in %.3f s (token trie of %u tokens)\n", g_get_monotonic_time () / 1e6 - t0,
          hearth_tokenizer_get_n_vocab (tok));
  if (!hearth_tokenizer_encode (tok, prompt, -1, HEARTH_TOKENIZE_ADD_SPECIAL, ids, &error))
    return hearth_cli_fail (error);
  if ((session = hearth_session_new (model, NULL, &error)) == NULL)
    return hearth_cli_fail (error);

  load_before = load_average ();
  free_tps = g_new (double, reps);
  con_tps = g_new (double, reps);
  for (int r = 0; r < reps; r++)
    for (int constrained = 0; constrained < 2; constrained++)
      {
        HearthSamplerParams sp;
        HearthGenerateParams gp;
        HearthGenerateResult res;
        g_autoptr(HearthSampler) sampler = NULL;

        hearth_sampler_params_init (&sp);
        sp.temperature = (float) temp;
        sp.seed = (guint64) r + 1;
        sampler = hearth_sampler_new (&sp);
        if (constrained)
          {
            hearth_constraint_reset (constraint);
            hearth_sampler_set_constraint (sampler, constraint);
          }
        hearth_generate_params_init (&gp);
        gp.max_tokens = (guint32) n_predict;
        hearth_session_truncate (session, 0);
        if (!hearth_session_generate (session, sampler, (const gint32 *) ids->data, ids->len, &gp, collect, NULL,
                                      NULL, &res, &error))
          return hearth_cli_fail (error);
        (constrained ? con_tps : free_tps)[r] = res.gen_seconds > 0 ? res.n_generated / res.gen_seconds : 0.0;
        printf ("run %d %-13s %3u tokens, %.2f tok/s (%s)\n", r + 1, constrained ? "constrained" : "unconstrained",
                res.n_generated, (constrained ? con_tps : free_tps)[r],
                res.reason == HEARTH_STOP_LIMIT ? "limit" : "ended early");
        if (constrained && r == 0)
          g_array_append_vals (replay, hearth_session_get_tokens (session) + ids->len, res.n_generated);
      }
  load_after = load_average ();

  /* the mask alone, replaying the first constrained run */
  n_steps = replay->len;
  cold = g_new (double, MAX (n_steps, 1));
  warm = g_new (double, MAX (n_steps, 1));
  {
    g_autoptr(HearthConstraint) fresh = hearth_constraint_new (grammar, tok, &error);

    if (fresh == NULL)
      return hearth_cli_fail (error);
    for (int pass = 0; pass < 2; pass++)
      {
        hearth_constraint_reset (fresh);
        for (guint i = 0; i < n_steps; i++)
          {
            double a = g_get_monotonic_time () / 1e6;

            hearth_constraint_get_mask (fresh);
            (pass ? warm : cold)[i] = g_get_monotonic_time () / 1e6 - a;
            hearth_constraint_accept_token (fresh, g_array_index (replay, gint32, i));
          }
      }
  }
  {
    double mf = median (free_tps, reps), mc = median (con_tps, reps);

    printf ("median decode: unconstrained %.2f tok/s, constrained %.2f tok/s, ratio %.3f\n", mf, mc,
            mf > 0 ? mc / mf : 0.0);
    if (n_steps > 0)
      {
        double cold_median = median (cold, (int) n_steps), warm_median = median (warm, (int) n_steps);

        /* median() sorted them: the last is the largest */
        printf ("mask alone over %u steps: cold median %.1f us (max %.1f us), warm median %.2f us\n", n_steps,
                cold_median * 1e6, cold[n_steps - 1] * 1e6, warm_median * 1e6);
      }
    printf ("load average (1, 5 min): before %s, after %s\n", load_before, load_after);
  }
  return 0;
}
