/* hearth-cli-bench-matmul.c: `hearth-cli bench-matmul`, the CPU matmul microbenchmark
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode speed is bounded by how fast the weights stream from memory, so
 * the figure that matters is GB/s of weights read, next to the machine's
 * read bandwidth (--bandwidth). The weight matrix is replicated until the
 * copies exceed every cache, and successive calls walk through the copies,
 * so each call reads its weights from DRAM as a decode step would.
 */
#include "hearth-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-cpu-private.h"
#include "hearth-engine.h"

#define MIN_WORKING_SET (512u << 20) /* bytes of weight copies walked through */

/* ---- memory bandwidth ---- */

static double measured_bandwidth; /* GB/s, 0 until --bandwidth ran */

static void
bench_bandwidth (HearthThreadPool *pool,
                 int               runs,
                 gsize             mib)
{
  measured_bandwidth = hearth_cpu_measure_read_bandwidth (pool, mib << 20, runs) / 1e9;
  printf ("bandwidth  %zu MiB summed, %d threads: median %.2f GB/s\n",
          mib, hearth_thread_pool_get_n_threads (pool), measured_bandwidth);
}

/* ---- matmul ---- */

static void
bench_type (HearthThreadPool *pool,
            HearthGgmlType    type,
            gint64            rows,
            gint64            cols,
            gint64            tokens,
            int               runs,
            gboolean          reference)
{
  guint64 row_bytes;
  gsize mat_bytes, n_copies;
  g_autofree guint8 *w = NULL;
  g_autofree float *x = g_new (float, cols * tokens);
  g_autofree float *y = g_new (float, rows * tokens);
  g_autofree float *row = g_new (float, cols);
  g_autofree double *t = g_new (double, runs);
  GRand *rand = g_rand_new_with_seed (1);
  double flops = 2.0 * rows * cols * tokens;

  if (!hearth_ggml_row_size (type, cols, &row_bytes))
    {
      printf ("%-5s skipped: %" G_GINT64_FORMAT " columns do not fit the block\n", hearth_ggml_type_name (type), cols);
      g_rand_free (rand);
      return;
    }
  mat_bytes = row_bytes * rows;
  n_copies = MAX (1, (MIN_WORKING_SET + mat_bytes - 1) / mat_bytes);
  w = g_malloc (mat_bytes * n_copies);
  for (gint64 r = 0; r < rows; r++)
    {
      for (gint64 c = 0; c < cols; c++)
        row[c] = (float) (g_rand_double_range (rand, -1.0, 1.0) / sqrt (cols));
      hearth_quantize_row (type, row, w + r * row_bytes, cols);
    }
  for (gsize k = 1; k < n_copies; k++)
    memcpy (w + k * mat_bytes, w, mat_bytes);
  for (gint64 i = 0; i < cols * tokens; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  g_rand_free (rand);

  for (int path = reference ? 0 : 1; path < 2; path++)
    {
      int n = path == 0 ? MAX (1, runs / 3) : runs;

      /* one warm-up call */
      hearth_cpu_matmul (pool, path == 0 ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST, type,
                         w, rows, cols, x, tokens, y);
      for (int r = 0; r < n; r++)
        {
          const guint8 *wk = w + ((gsize) (r + 1) % n_copies) * mat_bytes;
          gint64 t0 = g_get_monotonic_time ();

          hearth_cpu_matmul (pool, path == 0 ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST, type,
                             wk, rows, cols, x, tokens, y);
          t[r] = (g_get_monotonic_time () - t0) / 1e6;
        }
      {
        double m = hearth_cli_median (t, (gsize) n);
        g_autofree char *frac = measured_bandwidth > 0
                                  ? g_strdup_printf (", %.0f%% of bandwidth", 100 * mat_bytes / m / 1e9 / measured_bandwidth)
                                  : g_strdup ("");

        printf ("%-5s %-9s %5" G_GINT64_FORMAT "x%-5" G_GINT64_FORMAT " tokens %-3" G_GINT64_FORMAT
                " threads %d: %8.3f ms  %6.2f GB/s weights  %7.2f GFLOP/s  (%zu MiB, median of %d%s)\n",
                hearth_ggml_type_name (type), path == 0 ? "reference" : "fast", rows, cols, tokens,
                path == 0 ? 1 : hearth_thread_pool_get_n_threads (pool), m * 1e3, mat_bytes / m / 1e9,
                flops / m / 1e9, mat_bytes >> 20, n, frac);
      }
    }
}

int
hearth_cli_bench_matmul (int    argc,
                         char **argv)
{
  g_autofree char *type_name = NULL;
  gint64 rows = 4096, cols = 4096, tokens = 1;
  int n_threads = 1, runs = 9, bandwidth_mib = 1024;
  gboolean bandwidth = FALSE, no_reference = FALSE;
  const GOptionEntry entries[] = {
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "Weight type (default: Q8_0, Q4_K, Q6_K, F16)", "T" },
    { "rows", 0, 0, G_OPTION_ARG_INT64, &rows, "Rows of the weight matrix (default 4096)", "R" },
    { "cols", 0, 0, G_OPTION_ARG_INT64, &cols, "Columns (default 4096)", "C" },
    { "tokens", 0, 0, G_OPTION_ARG_INT64, &tokens, "Activation rows (default 1)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads of the fast path (default 1)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Timed runs; the median is shown (default 9)", "N" },
    { "no-reference", 0, 0, G_OPTION_ARG_NONE, &no_reference, "Skip the (slow) reference path", NULL },
    { "bandwidth", 0, 0, G_OPTION_ARG_NONE, &bandwidth, "Measure memory read bandwidth too", NULL },
    { "bandwidth-mib", 0, 0, G_OPTION_ARG_INT, &bandwidth_mib, "Buffer of the bandwidth probe (default 1024)", "MIB" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the CPU matmul kernels");
  HearthGgmlType types[4] = { HEARTH_GGML_TYPE_Q8_0, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q6_K,
                              HEARTH_GGML_TYPE_F16 };
  guint n_types = 4;
  HearthThreadPool *pool;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 1)
    return hearth_cli_failf ("bench-matmul takes options only (see --help)");
  if (rows <= 0 || cols <= 0 || tokens <= 0 || runs <= 0 || n_threads <= 0 || bandwidth_mib <= 0)
    return hearth_cli_failf ("sizes, runs and threads must be positive");
  if (type_name != NULL)
    {
      if (!hearth_ggml_type_from_name (type_name, &types[0]) || !hearth_cpu_type_supported (types[0]))
        return hearth_cli_failf ("unsupported type '%s'", type_name);
      n_types = 1;
    }

  printf ("CPU kernels: %s; %u cores online\n", hearth_cpu_features (), g_get_num_processors ());
  pool = hearth_thread_pool_new (n_threads);
  if (bandwidth)
    bench_bandwidth (pool, runs, (gsize) bandwidth_mib);
  for (guint i = 0; i < n_types; i++)
    bench_type (pool, types[i], rows, cols, tokens, runs, !no_reference);
  hearth_thread_pool_free (pool);
  return 0;
}
