/* hearth-cli-embed.c: `hearth-cli embed`, and `hearth-cli bench` on an encoder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * embed -m ENCODER.gguf [--json] [--file FILE] [--batch N] [--pooling P]
 *       [--no-normalize] [-t N] [--backend B] [TEXT...]
 *
 * Texts come from the arguments, or one per line from --file ("-" is
 * stdin). Plain output is one vector per line (components separated by
 * spaces, %.9g so that they read back as the same floats); with pooling
 * "none" each text gives one line per token and a blank line after it.
 * --json prints one object: model, pooling, n_embd and per text its index,
 * token count, whether it was cut, and the vector (or rows). A text longer
 * than the model's context is cut to it, with a warning on stderr; nothing
 * is prefixed to the texts (nomic-embed's "search_document: " and
 * "search_query: " are the caller's to add). --batch N embeds N texts per
 * engine call (and pass), so a large file streams.
 *
 * The encoder benchmark (hearth_cli_bench_encoder(), from `hearth-cli
 * bench -m ENCODER`) embeds --batch texts of --chunk tokens (random ids
 * between [CLS] and [SEP]) per call and reports texts/s and tokens/s,
 * medians of --reps calls after one warm-up, and the GFLOP/s this is.
 */
#include "hearth-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

static gboolean
parse_pooling (const char    *name,
               HearthPooling *out,
               GError       **error)
{
  static const char *const names[] = { "none", "mean", "cls", "last" };

  if (name == NULL || strcmp (name, "model") == 0)
    {
      *out = HEARTH_POOLING_MODEL;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      {
        *out = (HearthPooling) i;
        return TRUE;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--pooling must be model, none, mean, cls or last, not '%s'", name);
  return FALSE;
}

static void
print_row (const float *v,
           guint32      n,
           gboolean     json)
{
  for (guint32 c = 0; c < n; c++)
    {
      if (c > 0)
        fputs (json ? "," : " ", stdout);
      printf ("%.9g", v[c]);
    }
}

static gboolean
flush_batch (HearthModel             *model,
             GPtrArray               *texts,
             const HearthEmbedParams *ep,
             gboolean                 json,
             gsize                   *index,
             GError                 **error)
{
  g_autoptr(HearthEmbeddings) res = NULL;
  guint32 n_embd;

  if (texts->len == 0)
    return TRUE;
  res = hearth_model_embed (model, (const char *const *) texts->pdata, texts->len, ep, NULL, error);
  if (res == NULL)
    return FALSE;
  n_embd = hearth_embeddings_get_n_embd (res);
  for (guint i = 0; i < texts->len; i++, (*index)++)
    {
      guint32 n_rows;
      const float *v = hearth_embeddings_get_vector (res, i, &n_rows);
      gboolean rows = hearth_embeddings_get_pooling (res) == HEARTH_POOLING_NONE;

      if (hearth_embeddings_is_truncated (res, i))
        g_printerr ("hearth-cli: warning: text %" G_GSIZE_FORMAT " has %u tokens; cut to the model's context of %u\n",
                    *index, hearth_embeddings_get_n_tokens_full (res, i), hearth_embeddings_get_n_tokens (res, i));
      if (json)
        {
          printf ("%s\n  {\"index\": %" G_GSIZE_FORMAT ", \"n_tokens\": %u, \"truncated\": %s, \"embedding\": %s",
                  *index == 0 ? "" : ",", *index, hearth_embeddings_get_n_tokens (res, i),
                  hearth_embeddings_is_truncated (res, i) ? "true" : "false", rows ? "[" : "");
          for (guint32 r = 0; r < n_rows; r++)
            {
              printf ("%s[", r ? "," : "");
              print_row (v + (gsize) r * n_embd, n_embd, TRUE);
              putchar (']');
            }
          printf ("%s}", rows ? "]" : "");
        }
      else
        {
          for (guint32 r = 0; r < n_rows; r++)
            {
              print_row (v + (gsize) r * n_embd, n_embd, FALSE);
              putchar ('\n');
            }
          if (rows)
            putchar ('\n');
        }
    }
  g_ptr_array_set_size (texts, 0);
  return TRUE;
}

int
hearth_cli_embed (int    argc,
                  char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *file = NULL;
  g_autofree char *pooling_name = NULL;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  g_auto(GStrv) rest = NULL;
  gboolean json = FALSE;
  gboolean no_normalize = FALSE;
  int batch = 64;
  int threads = 0;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Encoder GGUF (bert, nomic-bert)", "FILE" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Texts, one per line (- for stdin)", "FILE" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Texts per call (default 64)", "N" },
    { "pooling", 0, 0, G_OPTION_ARG_STRING, &pooling_name, "model (default), none, mean, cls or last", "P" },
    { "no-normalize", 0, 0, G_OPTION_ARG_NONE, &no_normalize, "Do not scale vectors to unit length", NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, "TEXT..." },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("[TEXT...] - embed texts with an encoder model");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  HearthModelParams mp;
  HearthEmbedParams ep;
  gsize index = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL)
    return hearth_cli_failf ("embed needs -m FILE");
  if (batch < 1)
    return hearth_cli_failf ("--batch must be at least 1");
  if ((file == NULL) == (rest == NULL))
    return hearth_cli_failf ("embed needs texts as arguments or --file FILE, not both");
  hearth_embed_params_init (&ep);
  if (!parse_pooling (pooling_name, &ep.pooling, &error))
    return hearth_cli_fail (error);
  ep.no_normalize = no_normalize;
  ep.n_batch = (guint32) batch;

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    return hearth_cli_fail (error);
  model = hearth_model_load (model_path, &mp, &error);
  if (model == NULL)
    return hearth_cli_fail (error);
  if (!hearth_model_is_encoder (model))
    return hearth_cli_failf ("%s is a %s decoder, not an encoder: it has no embeddings", model_path,
                             hearth_model_get_architecture (model));

  if (json)
    {
      HearthPooling p = ep.pooling == HEARTH_POOLING_MODEL ? hearth_model_get_pooling (model) : ep.pooling;
      g_autofree char *name = g_path_get_basename (model_path);
      g_autofree char *quoted = g_strescape (name, NULL);

      printf ("{\"model\": \"%s\", \"architecture\": \"%s\", \"pooling\": \"%s\", \"normalized\": %s, "
              "\"n_embd\": %u, \"n_ctx\": %u, \"data\": [",
              quoted, hearth_model_get_architecture (model), hearth_pooling_name (p),
              no_normalize ? "false" : "true", hearth_model_get_n_embd (model),
              hearth_model_get_n_ctx_train (model));
    }

  if (rest != NULL)
    {
      for (guint i = 0; rest[i] != NULL; i++)
        {
          g_ptr_array_add (texts, g_strdup (rest[i]));
          if (texts->len == (guint) batch && !flush_batch (model, texts, &ep, json, &index, &error))
            return hearth_cli_fail (error);
        }
    }
  else
    {
      FILE *in = strcmp (file, "-") == 0 ? stdin : fopen (file, "r");
      char *line = NULL;
      size_t cap = 0;
      ssize_t len;

      if (in == NULL)
        return hearth_cli_failf ("cannot open %s: %s", file, g_strerror (errno));
      while ((len = getline (&line, &cap, in)) >= 0)
        {
          while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
          g_ptr_array_add (texts, g_strndup (line, (gsize) len));
          if (texts->len == (guint) batch && !flush_batch (model, texts, &ep, json, &index, &error))
            break;
        }
      free (line);
      if (in != stdin)
        fclose (in);
      if (error != NULL)
        return hearth_cli_fail (error);
    }
  if (!flush_batch (model, texts, &ep, json, &index, &error))
    return hearth_cli_fail (error);
  if (json)
    printf ("\n]}\n");
  return 0;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

int
hearth_cli_bench_encoder (HearthModel *model,
                          int          chunk,
                          int          batch,
                          int          reps,
                          gboolean     json,
                          double       load_s)
{
  g_autoptr(GPtrArray) seqs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GError) error = NULL;
  g_autofree double *secs = g_new (double, reps);
  HearthTokenizer *tok = hearth_model_get_tokenizer (model);
  guint32 n_vocab = hearth_model_get_n_vocab (model);
  guint32 n_ctx = hearth_model_get_n_ctx_train (model);
  guint32 n_embd = hearth_model_get_n_embd (model);
  gint32 cls = hearth_tokenizer_get_cls (tok), sep = hearth_tokenizer_get_sep (tok);
  HearthEmbedParams ep;
  GRand *rand;
  double med, flops;

  if (chunk < 3 || (guint32) chunk > n_ctx || batch < 1)
    return hearth_cli_failf ("--chunk must be 3 to %u tokens and --batch at least 1", n_ctx);
  rand = g_rand_new_with_seed (1234);
  for (int s = 0; s < batch; s++)
    {
      GArray *ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), (guint) chunk);

      g_array_append_val (ids, cls);
      while (ids->len < (guint) chunk - 1)
        {
          gint32 id = g_rand_int_range (rand, MIN (1000, (gint32) n_vocab - 1), (gint32) n_vocab);
          g_array_append_val (ids, id);
        }
      g_array_append_val (ids, sep);
      g_ptr_array_add (seqs, ids);
    }
  g_rand_free (rand);

  hearth_embed_params_init (&ep);
  ep.n_batch = (guint32) batch;
  ep.n_batch_tokens = (guint32) (chunk * batch);
  for (int r = -1; r < reps; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(HearthEmbeddings) res = hearth_model_embed_tokens (model, seqs, &ep, NULL, &error);

      if (res == NULL)
        return hearth_cli_fail (error);
      if (r >= 0)
        secs[r] = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
    }
  qsort (secs, (gsize) reps, sizeof (double), compare_double);
  med = secs[reps / 2];
  /* Multiply-adds: every layer matrix once per token (n_params less the
   * embedding tables), plus q.k and p.v over the chunk. */
  flops = 2.0 * ((double) hearth_model_get_n_params (model) - (double) n_vocab * n_embd) * chunk * batch +
          4.0 * (double) hearth_model_get_n_layer (model) * chunk * (double) chunk * n_embd * batch;
  if (json)
    printf ("{\"architecture\": \"%s\", \"backend\": \"%s\", \"chunk_tokens\": %d, \"batch\": %d, \"reps\": %d, "
            "\"load_s\": %.4f, \"median_s\": %.5f, \"texts_per_s\": %.3f, \"tokens_per_s\": %.1f, \"gflop_per_s\": %.2f}\n",
            hearth_model_get_architecture (model), hearth_model_get_backend_description (model), chunk, batch, reps,
            load_s, med, batch / med, (double) chunk * batch / med, flops / med / 1e9);
  else
    {
      printf ("model:   %s, %u x %u layers, %s\n", hearth_model_get_architecture (model), n_embd,
              hearth_model_get_n_layer (model), hearth_model_get_backend_description (model));
      printf ("encode:  %.2f texts/s, %.1f tokens/s (%d texts of %d tokens per call, median of %d)\n",
              batch / med, (double) chunk * batch / med, batch, chunk, reps);
      printf ("compute: %.2f GFLOP/s\n", flops / med / 1e9);
    }
  return 0;
}
