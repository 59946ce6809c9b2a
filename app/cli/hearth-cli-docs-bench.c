/* hearth-cli-docs-bench.c: `hearth-cli docs bench`: search latency, index size, indexing rate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A benchmark is a command, not a timed test (DESIGN.md).  In throwaway
 * folders (passphrase keys, never the keyring):
 *  1. for each size (1k, 10k, 100k chunks by default): synthetic chunks of
 *     ~120 words drawn from a Zipf law over 5,000 words, with random unit
 *     vectors of --dim dimensions, written through the index (100 chunks a
 *     file, one transaction a file); then --queries searches of three
 *     words, BM25 only and hybrid (a random query vector), p50/p95;
 *     index bytes per chunk;
 *  2. the indexing rate of the real pipeline (scan, hash, extract, chunk,
 *     write; BM25 only) over generated text files: MB/s and chunks/s; and
 *     with --embed-model, the same with that encoder embedding every chunk
 *     (over --embed-files of the files: an encoder is far slower);
 *  3. the vector format: cosine error of int8 and float16 against float32,
 *     and the int8 dot product, scalar against AVX2.
 * The figures depend on the machine and its load: run `uptime` beside it.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-doc-embedder.h"
#include "hearth-doc-indexer.h"
#include "hearth-doc-search.h"
#include "hearth-doc-vector.h"

#define VOCAB 5000
#define WORDS_PER_CHUNK 120
#define CHUNKS_PER_FILE 100

typedef struct
{
  GRand  *rand;
  char  **words;
  double *cdf;
} Gen;

static void
gen_init (Gen *g)
{
  static const char *syll[] = { "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "do", "fe", "gi", "ha", "ju" };
  double total = 0;

  g->rand = g_rand_new_with_seed (42);
  g->words = g_new0 (char *, VOCAB + 1);
  g->cdf = g_new (double, VOCAB);
  for (guint i = 0; i < VOCAB; i++)
    {
      GString *w = g_string_new (NULL);
      guint x = i + 1;

      while (x > 0)
        {
          g_string_append (w, syll[x % 16]);
          x /= 16;
        }
      g->words[i] = g_string_free (w, FALSE);
      total += 1.0 / (i + 1);
      g->cdf[i] = total;
    }
  for (guint i = 0; i < VOCAB; i++)
    g->cdf[i] /= total;
}

static void
gen_clear (Gen *g)
{
  g_rand_free (g->rand);
  g_strfreev (g->words);
  g_free (g->cdf);
}

static const char *
gen_word (Gen *g)
{
  double u = g_rand_double (g->rand);
  guint lo = 0, hi = VOCAB - 1;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (g->cdf[mid] < u)
        lo = mid + 1;
      else
        hi = mid;
    }
  return g->words[lo];
}

static char *
gen_text (Gen  *g,
          guint n_words)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n_words; i++)
    {
      g_string_append (s, gen_word (g));
      g_string_append_c (s, (i + 1) % 15 == 0 ? '\n' : ' ');
    }
  return g_string_free (s, FALSE);
}

static void
gen_unit_vector (Gen   *g,
                 float *v,
                 guint  dim)
{
  double norm = 0;

  for (guint i = 0; i < dim; i++)
    {
      /* Box-Muller */
      double u1 = g_rand_double_range (g->rand, 1e-12, 1), u2 = g_rand_double (g->rand);

      v[i] = (float) (sqrt (-2 * log (u1)) * cos (2 * G_PI * u2));
      norm += (double) v[i] * v[i];
    }
  for (guint i = 0; i < dim; i++)
    v[i] /= (float) sqrt (norm);
}

static char *
bench_passphrase (gboolean creating,
                  gpointer user_data)
{
  return g_strdup ("bench passphrase");
}

static HearthDocIndex *
bench_open (const char *dir,
            GError    **error)
{
  HearthDocIndexParams params;

  hearth_doc_index_params_init (&params);
  params.data_dir = dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = bench_passphrase;
  params.passphrase_iterations = 1000;
  return hearth_doc_index_open (&params, error);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *ms,
            double  p)
{
  g_array_sort (ms, compare_double);
  return g_array_index (ms, double, MIN (ms->len - 1, (guint) (p * (ms->len - 1) + 0.5)));
}

static gboolean
bench_size (guint    n_chunks,
            guint    dim,
            guint    n_queries,
            GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-docs-bench-XXXXXX", error);
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(GArray) bm25_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) hybrid_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *vectors = g_new (float, (gsize) CHUNKS_PER_FILE * dim);
  g_autofree float *qv = g_new (float, dim);
  HearthDocEmbedModelInfo model = { "/synthetic", "sha256:synthetic", 0, 0, dim };
  HearthDocSearchParams params;
  double write_s, hits_total = 0;
  gint64 t0;
  Gen g;

  if (dir == NULL || (index = bench_open (dir, error)) == NULL)
    return FALSE;
  c = hearth_doc_index_ensure_collection (index, "bench", &model, 256, 32, error);
  if (c == NULL)
    return FALSE;
  gen_init (&g);
  t0 = g_get_monotonic_time ();
  for (guint f = 0; f * CHUNKS_PER_FILE < n_chunks; f++)
    {
      g_autoptr(GPtrArray) chunks = g_ptr_array_new ();
      g_autofree char *path = g_strdup_printf ("/bench/file-%06u.txt", f);
      HearthDocFileInfo info = { 0 };
      guint n = MIN (CHUNKS_PER_FILE, n_chunks - f * CHUNKS_PER_FILE);
      HearthDocChunk *store = g_new0 (HearthDocChunk, n);

      for (guint i = 0; i < n; i++)
        {
          store[i].text = gen_text (&g, WORDS_PER_CHUNK);
          store[i].line_start = i * 8 + 1;
          store[i].line_end = i * 8 + 8;
          g_ptr_array_add (chunks, &store[i]);
          gen_unit_vector (&g, vectors + (gsize) i * dim, dim);
        }
      info.path = path;
      info.size = 1;
      info.sha256 = path;
      info.status = HEARTH_DOC_FILE_INDEXED;
      if (hearth_doc_index_write_file (index, c->id, &info, chunks, vectors, NULL, error) == 0)
        return FALSE;
      for (guint i = 0; i < n; i++)
        g_free (store[i].text);
      g_free (store);
    }
  write_s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;

  hearth_doc_search_params_init (&params);
  params.min_similarity = -1; /* random vectors: keep the vector list full */
  for (guint q = 0; q < n_queries; q++)
    {
      g_autofree char *query = g_strdup_printf ("%s %s %s", g.words[g_rand_int_range (g.rand, 20, 2000)],
                                                g.words[g_rand_int_range (g.rand, 20, 2000)],
                                                g.words[g_rand_int_range (g.rand, 20, 2000)]);
      g_autoptr(GPtrArray) a = NULL;
      g_autoptr(GPtrArray) b = NULL;
      double ms;

      t0 = g_get_monotonic_time ();
      a = hearth_doc_search (index, "bench", query, NULL, 0, &params, error);
      ms = (double) (g_get_monotonic_time () - t0) / 1000;
      if (a == NULL)
        return FALSE;
      g_array_append_val (bm25_ms, ms);
      hits_total += a->len;

      gen_unit_vector (&g, qv, dim);
      t0 = g_get_monotonic_time ();
      b = hearth_doc_search (index, "bench", query, qv, dim, &params, error);
      ms = (double) (g_get_monotonic_time () - t0) / 1000;
      if (b == NULL)
        return FALSE;
      /* The first hybrid query reads the vectors into memory: counted. */
      g_array_append_val (hybrid_ms, ms);
    }
  {
    gint64 size = hearth_doc_index_get_size (index);
    double first_hybrid = g_array_index (hybrid_ms, double, 0);
    g_autofree char *total = g_format_size ((guint64) MAX (size, 0));

    printf ("%7u chunks: write %.1f s (%.0f chunks/s); index %.0f bytes/chunk (%s total); "
            "search BM25 p50 %.2f ms p95 %.2f ms (%.1f hits); hybrid p50 %.2f ms p95 %.2f ms (first %.1f ms)\n",
            n_chunks, write_s, n_chunks / write_s, (double) size / n_chunks, total,
            percentile (bm25_ms, 0.5), percentile (bm25_ms, 0.95), hits_total / n_queries,
            percentile (hybrid_ms, 0.5), percentile (hybrid_ms, 0.95), first_hybrid);
    fflush (stdout);
  }
  g_clear_object (&index);
  hearth_cli_remove_tree (dir);
  gen_clear (&g);
  return TRUE;
}

static gboolean
bench_indexing (guint       n_files,
                guint       words_per_file,
                const char *model_path,
                GError    **error)
{
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autofree char *what = NULL, *size_text = NULL, *rate_text = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hearth-docs-bench-XXXXXX", error);
  g_autofree char *docs = NULL;
  g_autofree char *data = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocIndexer) indexer = NULL;
  HearthDocIndexerCounters n;
  guint64 bytes = 0;
  double s;
  gint64 t0;
  Gen g;

  if (dir == NULL)
    return FALSE;
  docs = g_build_filename (dir, "docs", NULL);
  data = g_build_filename (dir, "data", NULL);
  g_mkdir (docs, 0700);
  gen_init (&g);
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/doc-%05u.txt", docs, i);
      g_autofree char *text = gen_text (&g, words_per_file);

      bytes += strlen (text);
      if (!g_file_set_contents (path, text, -1, error))
        return FALSE;
    }
  gen_clear (&g);
  if (model_path != NULL && (embedder = hearth_doc_embedder_load (model_path, NULL, error)) == NULL)
    return FALSE;
  if ((index = bench_open (data, error)) == NULL ||
      (c = hearth_doc_index_ensure_collection (index, "bench",
                                               embedder != NULL ? hearth_doc_embedder_get_info (embedder) : NULL,
                                               256, 32, error)) == NULL ||
      !hearth_doc_index_add_source (index, c->id, docs, error))
    return FALSE;
  indexer = hearth_doc_indexer_new (index, "bench");
  t0 = g_get_monotonic_time ();
  if (!hearth_doc_indexer_run_sync (indexer, NULL, error))
    return FALSE;
  s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  hearth_doc_indexer_get_counters (indexer, &n);
  /* The indexer loads the model itself: this copy only named it. */
  g_clear_pointer (&embedder, hearth_doc_embedder_free);
  what = model_path != NULL ? g_path_get_basename (model_path) : g_strdup ("BM25 only");
  size_text = g_format_size (bytes);
  rate_text = g_format_size ((guint64) (bytes / s));
  printf ("indexing (%s, %u text files, %s): %.2f s, %.2f MB/s (%s/s), %.2f chunks/s (%u chunks, %u vectors)\n",
          what, n_files, size_text, s, bytes / s / 1e6, rate_text, n.chunks_added / s, n.chunks_added,
          n.vectors_added);
  g_clear_object (&indexer);
  g_clear_object (&index);
  hearth_cli_remove_tree (dir);
  return TRUE;
}

/* float16 by rounding the mantissa to 10 bits (unit-vector components are
 * far from the subnormal range). */
static float
round_f16 (float x)
{
  int e;
  float m = frexpf (x, &e);

  return ldexpf (roundf (m * 2048.0f) / 2048.0f, e);
}

static void
bench_vectors (guint dim)
{
  Gen g;
  guint n = 2000;
  g_autofree float *a = g_new (float, dim);
  g_autofree float *b = g_new (float, dim);
  g_autofree gint8 *qa = g_new (gint8, dim);
  g_autofree gint8 *qb = g_new (gint8, dim);
  g_autofree gint8 *many = g_new (gint8, (gsize) 100000 * dim);
  double err8 = 0, err16 = 0, max8 = 0;
  volatile gint32 sink = 0;
  gint64 t0;
  double scalar_s, avx2_s = 0;

  gen_init (&g);
  for (guint i = 0; i < n; i++)
    {
      double exact = 0, h = 0, q;
      float sa, sb;

      gen_unit_vector (&g, a, dim);
      gen_unit_vector (&g, b, dim);
      /* Related pairs too, where ranking matters: b = a + noise. */
      if (i % 2)
        for (guint j = 0; j < dim; j++)
          b[j] = 0.8f * a[j] + 0.2f * b[j];
      for (guint j = 0; j < dim; j++)
        {
          exact += (double) a[j] * b[j];
          h += (double) round_f16 (a[j]) * round_f16 (b[j]);
        }
      sa = hearth_doc_vector_quantize (a, dim, qa);
      sb = hearth_doc_vector_quantize (b, dim, qb);
      q = (double) sa * sb * hearth_doc_vector_dot_scalar (qa, qb, dim);
      err8 += fabs (q - exact);
      max8 = MAX (max8, fabs (q - exact));
      err16 += fabs (h - exact);
    }
  printf ("vectors (%u dims): cosine error int8 mean %.2e max %.2e, float16 mean %.2e; bytes %u vs %u\n",
          dim, err8 / n, max8, err16 / n, dim + 4, 2 * dim);

  for (gsize i = 0; i < (gsize) 100000 * dim; i++)
    many[i] = (gint8) g_rand_int_range (g.rand, -127, 128);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < 100000; i++)
    sink += hearth_doc_vector_dot_scalar (qa, many + (gsize) i * dim, dim);
  scalar_s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
  if (hearth_doc_vector_have_avx2 ())
    {
      t0 = g_get_monotonic_time ();
      for (guint i = 0; i < 100000; i++)
        sink += hearth_doc_vector_dot_avx2 (qa, many + (gsize) i * dim, dim);
      avx2_s = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
    }
  printf ("dot products over 100k x %u int8: scalar %.1f ms, AVX2 %s%.1f ms\n", dim, scalar_s * 1000,
          hearth_doc_vector_have_avx2 () ? "" : "(none) ", avx2_s * 1000);
  (void) sink;
  gen_clear (&g);
}

int
hearth_cli_docs_bench (int    argc,
                       char **argv)
{
  g_autofree char *sizes = NULL;  /* GOption would overwrite a default without freeing it */
  int dim = 384, queries = 100, files = 200, words = 2000, embed_files = 8;
  g_autofree char *embed_model = NULL;
  const GOptionEntry entries[] = {
    { "embed-model", 0, 0, G_OPTION_ARG_FILENAME, &embed_model,
      "Also measure indexing with this encoder (bert, nomic-bert)", "FILE" },
    { "embed-files", 0, 0, G_OPTION_ARG_INT, &embed_files, "Text files indexed with --embed-model (8)", "N" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes, "Chunk counts to measure (1000,10000,100000)", "N,N" },
    { "dim", 0, 0, G_OPTION_ARG_INT, &dim, "Vector dimensions (384)", "N" },
    { "queries", 0, 0, G_OPTION_ARG_INT, &queries, "Queries per size and mode (100)", "N" },
    { "files", 0, 0, G_OPTION_ARG_INT, &files, "Text files for the indexing rate (200)", "N" },
    { "words", 0, 0, G_OPTION_ARG_INT, &words, "Words per file (2000)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- search latency, index size, indexing rate");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parts = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 1 || dim < 8 || dim > 8192 || queries < 1 || files < 1 || words < 1 || embed_files < 1)
    return hearth_cli_failf ("bench takes no arguments; --dim 8..8192, positive counts");
  parts = g_strsplit (sizes != NULL ? sizes : "1000,10000,100000", ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 n;

      if (!g_ascii_string_to_unsigned (parts[i], 10, 1, 10000000, &n, NULL))
        return hearth_cli_failf ("--sizes: '%s' is not a count", parts[i]);
      if (!bench_size ((guint) n, (guint) dim, (guint) queries, &error))
        return hearth_cli_fail (error);
    }
  if (!bench_indexing ((guint) files, (guint) words, NULL, &error))
    return hearth_cli_fail (error);
  if (embed_model != NULL && !bench_indexing ((guint) embed_files, (guint) words, embed_model, &error))
    return hearth_cli_fail (error);
  bench_vectors ((guint) dim);
  return 0;
}
