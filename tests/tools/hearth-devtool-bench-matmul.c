/* hearth-devtool-bench-matmul.c: `hearth-devtool bench-matmul`, the matmul microbenchmark
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode speed is bounded by how fast the weights stream from memory, so
 * the figure that matters is GB/s of weights read, next to the machine's
 * read bandwidth (--bandwidth). The weight matrix is replicated until the
 * copies exceed every cache, and successive calls walk through the copies,
 * so each call reads its weights from DRAM as a decode step would.
 *
 * With --backend vulkan it times one mat-vec (one token) on the device the
 * same way: copies of the matrix on the device, one mat-vec on each in one
 * submit, timed by timestamp queries (hearth-vk-bench.h), against the
 * device's read bandwidth measured by its probe in the same run. At 7B
 * shapes (4096 x 4096, 11008 x 4096) that fraction is the figure decode
 * speed on a GPU hangs on.
 *
 * It times the engine's internal kernels directly, so it is a developer
 * tool built with the tests rather than a hearth-cli command.
 */
#include "hearth-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cpu-private.h"
#include "hearth-devtool.h"
#include "hearth-engine.h"
#ifdef HEARTH_HAVE_VULKAN
#include "hearth-vk-bench.h"
#include "hearth-vk-ops.h"
#endif

#define MIN_WORKING_SET (512u << 20) /* bytes of weight copies walked through */

/* ---- memory bandwidth ---- */

static double measured_bandwidth; /* GB/s, 0 until --bandwidth ran */

static void
bench_bandwidth (HearthThreadPool *pool,
                 int               runs,
                 gsize             mib)
{
  HearthBandwidth bw;

  (void) runs; /* the probe takes its own passes (hearth-bench.h) */
  hearth_cpu_probe_read_bandwidth (pool, mib << 20, &bw);
  measured_bandwidth = bw.median / 1e9;
  printf ("bandwidth  up to %zu MiB summed, %d threads: median %.2f GB/s of %u passes "
          "(10th-90th percentile %.2f-%.2f GB/s; last-level cache %zu KiB)\n",
          bw.buffer_bytes >> 20, hearth_thread_pool_get_n_threads (pool), measured_bandwidth, bw.n_passes,
          bw.low / 1e9, bw.high / 1e9, bw.llc_bytes >> 10);
}

/* ---- matmul ---- */

typedef struct
{
  HearthGgmlType type;
  const float   *f32;       /* rows x cols */
  guint8        *out;
  gint64         rows, cols;
  gsize          row_bytes;
} QuantizeJob;

static void
quantize_task (void *data,
               int   ith,
               int   nth)
{
  QuantizeJob *job = data;

  for (gint64 r = job->rows * ith / nth; r < job->rows * (ith + 1) / nth; r++)
    hearth_quantize_row (job->type, job->f32 + r * job->cols, job->out + r * job->row_bytes, job->cols);
}

/* A random rows x cols matrix of @type, values ~ U(-1, 1) / sqrt (cols),
 * in @n_copies copies; the K-quant scale search is slow, so the rows are
 * quantized on @pool's threads. */
static guint8 *
random_matrix (HearthThreadPool *pool,
               HearthGgmlType    type,
               gint64            rows,
               gint64            cols,
               gsize             n_copies,
               gsize            *row_bytes_out)
{
  guint64 row_bytes;
  gsize mat_bytes;
  guint8 *w;
  g_autofree float *f32 = NULL;
  GRand *rand;
  QuantizeJob job;

  if (!hearth_ggml_row_size (type, cols, &row_bytes))
    return NULL;
  mat_bytes = row_bytes * rows;
  w = g_malloc (mat_bytes * n_copies);
  f32 = g_new (float, rows * cols);
  rand = g_rand_new_with_seed (1);
  for (gint64 i = 0; i < rows * cols; i++)
    f32[i] = (float) (g_rand_double_range (rand, -1.0, 1.0) / sqrt (cols));
  g_rand_free (rand);
  job = (QuantizeJob) { type, f32, w, rows, cols, row_bytes };
  hearth_thread_pool_run (pool, quantize_task, &job);
  for (gsize k = 1; k < n_copies; k++)
    memcpy (w + k * mat_bytes, w, mat_bytes);
  *row_bytes_out = row_bytes;
  return w;
}

#ifdef HEARTH_HAVE_VULKAN
static gboolean
bench_type_vulkan (HearthVkContext  *ctx,
                   HearthThreadPool *pool,
                   HearthGgmlType    type,
                   gint64            rows,
                   gint64            cols,
                   gsize             working_set,
                   int               runs,
                   double            device_gb_s,
                   gboolean          json,
                   GError          **error)
{
  gsize row_bytes = 0;
  g_autofree guint8 *w = random_matrix (pool, type, rows, cols, 1, &row_bytes);
  HearthVkMatvecTiming t;
  double frac;
  /* Which kernel ran (the int8 one quantizes x first, inside the timing)
   * and in which shape: "int8-dot/sg", "float/wg", ... */
  g_autofree char *kernel = g_strdup_printf ("%s/%s",
                                             hearth_vk_context_use_int_dot (ctx) && hearth_vk_int_dot_type (type) ?
                                             "int8-dot" : "float", hearth_vk_matvec_shape (ctx));

  if (w == NULL)
    {
      printf ("%-5s skipped: %" G_GINT64_FORMAT " columns do not fit the block\n", hearth_ggml_type_name (type), cols);
      return TRUE;
    }
  if (!hearth_vk_time_matvec (ctx, type, w, rows, cols, row_bytes, working_set, (guint) runs, &t, error))
    return FALSE;
  frac = device_gb_s > 0 ? t.gb_s / device_gb_s : 0.0;
  if (json)
    printf ("{\"backend\": \"vulkan\", \"device\": \"%s\", \"type\": \"%s\", \"rows\": %" G_GINT64_FORMAT
            ", \"cols\": %" G_GINT64_FORMAT ", \"weight_bytes\": %" G_GUINT64_FORMAT ", \"copies\": %u, \"runs\": %d, "
            "\"ms\": %.5f, \"weight_gb_s\": %.3f, \"device_read_bandwidth_gb_s\": %.3f, "
            "\"bandwidth_fraction\": %.4f, \"timing\": \"%s\", \"kernel\": \"%s\"}\n",
            hearth_vk_context_get_device_name (ctx), hearth_ggml_type_name (type), rows, cols, t.weight_bytes,
            t.n_copies, runs, t.seconds * 1e3, t.gb_s, device_gb_s, frac,
            t.timestamps ? "timestamps" : "wall clock", kernel);
  else
    printf ("%-5s vulkan    %5" G_GINT64_FORMAT "x%-5" G_GINT64_FORMAT " tokens 1  : %9.4f ms  %7.2f GB/s weights"
            " = %.1f%% of device bandwidth  (%s kernel, %.1f MiB x %u copies, median of %d, %s)\n",
            hearth_ggml_type_name (type), rows, cols, t.seconds * 1e3, t.gb_s, 100.0 * frac, kernel,
            t.weight_bytes / 1048576.0, t.n_copies, runs, t.timestamps ? "timestamps" : "wall clock");
  return TRUE;
}
#endif

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
  gsize mat_bytes, n_copies, rb = 0;
  g_autofree guint8 *w = NULL;
  g_autofree float *x = g_new (float, cols * tokens);
  g_autofree float *y = g_new (float, rows * tokens);
  g_autofree double *t = g_new (double, runs);
  GRand *rand;
  double flops = 2.0 * rows * cols * tokens;

  if (!hearth_ggml_row_size (type, cols, &row_bytes))
    {
      printf ("%-5s skipped: %" G_GINT64_FORMAT " columns do not fit the block\n", hearth_ggml_type_name (type), cols);
      return;
    }
  mat_bytes = row_bytes * rows;
  n_copies = MAX (1, (MIN_WORKING_SET + mat_bytes - 1) / mat_bytes);
  w = random_matrix (pool, type, rows, cols, n_copies, &rb);
  rand = g_rand_new_with_seed (2);
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
        double m = hearth_median (t, (gsize) n);
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

static int
bench_vulkan (const char           *device,
              const HearthGgmlType *types,
              guint                 n_types,
              gint64                rows,
              gint64                cols,
              gsize                 working_set,
              gsize                 probe_bytes,
              int                   runs,
              gboolean              json)
{
#ifdef HEARTH_HAVE_VULKAN
  HearthVkContextParams cp;
  g_autoptr(HearthVkContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *features = NULL;
  HearthVkBandwidth bw;
  HearthThreadPool *pool;
  gboolean ok = TRUE;
  guint64 index;

  hearth_vk_context_params_init (&cp);
  if (device != NULL && g_ascii_string_to_unsigned (device, 10, 0, G_MAXINT, &index, NULL))
    cp.device_index = (int) index;
  else
    cp.device_name = device;
  ctx = hearth_vk_context_new (&cp, &error);
  if (ctx == NULL)
    return hearth_devtool_fail (error);
  if (!hearth_vk_measure_read_bandwidth_full (ctx, probe_bytes, (guint) runs, &bw, &error))
    return hearth_devtool_fail (error);
  features = hearth_vk_features_describe (hearth_vk_context_get_features (ctx));
  if (json)
    printf ("{\"backend\": \"vulkan\", \"device\": \"%s\", \"probe_bytes\": %" G_GUINT64_FORMAT
            ", \"buffers\": %u, \"runs\": %d, \"device_read_bandwidth_gb_s\": %.3f, \"timing\": \"%s\"}\n",
            hearth_vk_context_get_device_name (ctx), bw.bytes, bw.n_buffers, runs, bw.gb_s,
            bw.timestamps ? "timestamps" : "wall clock");
  else
    {
      printf ("device: %s (%s)\n", hearth_vk_context_get_device_name (ctx), features);
      printf ("bandwidth  %.0f MiB read in %u buffer%s: median %.2f GB/s (%s, %d runs)\n", bw.bytes / 1048576.0,
              bw.n_buffers, bw.n_buffers == 1 ? "" : "s", bw.gb_s,
              bw.timestamps ? "timestamp queries" : "wall clock around the fence", runs);
    }
  pool = hearth_thread_pool_new (0);
  for (guint i = 0; i < n_types && ok; i++)
    ok = bench_type_vulkan (ctx, pool, types[i], rows, cols, working_set, runs, bw.gb_s, json, &error);
  hearth_thread_pool_free (pool);
  return ok ? 0 : hearth_devtool_fail (error);
#else
  return hearth_devtool_failf ("the Vulkan backend is not available in this build");
#endif
}

int
hearth_devtool_bench_matmul (int    argc,
                             char **argv)
{
  g_autofree char *type_name = NULL;
  gint64 rows = 4096, cols = 4096, tokens = 1;
  int n_threads = 1, runs = 9, bandwidth_mib = 1024;
  gboolean bandwidth = FALSE, no_reference = FALSE, json = FALSE;
  g_autofree char *backend = NULL;
  g_autofree char *device = NULL;
  int working_set_mib = 512;
  g_autoptr(GError) error = NULL;
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
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend,
      "cpu (default) or vulkan: one mat-vec on the device, against its measured bandwidth", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device, "Vulkan device: index or part of its name", "N|NAME" },
    { "working-set-mib", 0, 0, G_OPTION_ARG_INT, &working_set_mib,
      "Vulkan: device memory filled with copies of the matrix (default 512)", "MIB" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Vulkan: one JSON object per line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the matmul kernels (CPU, or one mat-vec on a Vulkan device)");
  HearthGgmlType types[4] = { HEARTH_GGML_TYPE_Q8_0, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q6_K,
                              HEARTH_GGML_TYPE_F16 };
  guint n_types = 4;
  HearthThreadPool *pool;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      hearth_devtool_fail (error);
      return 2;
    }
  if (argc != 1)
    return hearth_devtool_failf ("bench-matmul takes options only (see --help)");
  if (rows <= 0 || cols <= 0 || tokens <= 0 || runs <= 0 || n_threads <= 0 || bandwidth_mib <= 0 ||
      working_set_mib <= 0)
    return hearth_devtool_failf ("sizes, runs and threads must be positive");
  if (backend != NULL && g_ascii_strcasecmp (backend, "vulkan") == 0)
    {
      if (tokens != 1)
        return hearth_devtool_failf ("--backend vulkan times one token (a mat-vec): leave --tokens at 1");
      if (type_name != NULL)
        {
          if (!hearth_ggml_type_from_name (type_name, &types[0]) || !hearth_cpu_type_supported (types[0]))
            return hearth_devtool_failf ("unsupported type '%s'", type_name);
          n_types = 1;
        }
      return bench_vulkan (device, types, n_types, rows, cols, (gsize) working_set_mib << 20,
                           (gsize) bandwidth_mib << 20, runs, json);
    }
  if (backend != NULL && g_ascii_strcasecmp (backend, "cpu") != 0)
    return hearth_devtool_failf ("unknown backend '%s' (cpu or vulkan)", backend);
  if (device != NULL || json)
    return hearth_devtool_failf ("--device and --json need --backend vulkan");
  if (type_name != NULL)
    {
      if (!hearth_ggml_type_from_name (type_name, &types[0]) || !hearth_cpu_type_supported (types[0]))
        return hearth_devtool_failf ("unsupported type '%s'", type_name);
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
