/* hearth-cpu-bandwidth.c: a memory read bandwidth probe that gives the same figure run after run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode speed is bounded by how fast the weights stream from memory, so
 * benchmarks state their throughput as a fraction of this figure, measured
 * in the same run with the same threads. A figure that swings between runs
 * makes every fraction meaningless (the earlier probe, 5 passes of 12 ms
 * over one fresh 512 MiB buffer, read 30 to 74 GB/s on a quiet machine),
 * so this one:
 *   - reads buffers well above the last-level cache (4x and 8x its size as
 *     sysfs reports it, at least 128 and 256 MiB, at most 1 GiB), so no
 *     pass is served from the cache;
 *   - touches every page, then runs one untimed warm-up pass per size
 *     (page faults, the pool's threads waking, the frequency ramp);
 *   - makes each timed pass long enough to time well (>= 40 ms, by reading
 *     the buffer several times), and takes 7 passes per size;
 *   - quotes the median of all passes, with the 10th and 90th percentiles
 *     as the spread.
 * Threads are not pinned: the pool's threads are the decode's threads, and
 * the figure is what they get, unpinned, as decode does.
 */
#include "hearth-config.h"

#include <stdlib.h>
#include <string.h>

#include "hearth-cpu-private.h"
#include "hearth-bench.h"

#define PASSES_PER_SIZE 7
#define MIN_PASS_SECONDS 0.040

typedef struct
{
  const float *buf;
  gint64       n;
  int          loops;
  double       partial[64]; /* keeps the sums alive */
} SumJob;

static void
sum_task (void *data,
          int   ith,
          int   nth)
{
  SumJob *job = data;
  gint64 begin = job->n * ith / nth / 64 * 64;
  gint64 end = ith == nth - 1 ? job->n : job->n * (ith + 1) / nth / 64 * 64;
  double s = 0.0;

  for (int l = 0; l < job->loops; l++)
    {
#ifdef HEARTH_HAVE_AVX2_KERNELS
      if (hearth_cpu_has_avx2 ())
        s += hearth_avx2_sum_f32 (job->buf + begin, end - begin);
      else
#endif
        for (gint64 i = begin; i < end; i++)
          s += job->buf[i];
    }
  job->partial[ith % 64] += s;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

double
hearth_median (double *v,
               gsize   n)
{
  if (n == 0)
    return 0.0;
  qsort (v, n, sizeof (double), compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The q-quantile of sorted @v, interpolated. */
static double
quantile (const double *v,
          gsize         n,
          double        q)
{
  double pos = q * (double) (n - 1);
  gsize i = (gsize) pos;

  if (i + 1 >= n)
    return v[n - 1];
  return v[i] + (pos - (double) i) * (v[i + 1] - v[i]);
}

/* The largest cache of cpu0 in bytes, from sysfs; 0 when it says nothing. */
gsize
hearth_cpu_last_level_cache_bytes (void)
{
  gsize best = 0;

  for (int i = 0; i < 8; i++)
    {
      g_autofree char *path = g_strdup_printf ("/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
      g_autofree char *text = NULL;
      char *end;
      guint64 v;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      v = g_ascii_strtoull (text, &end, 10);
      if (*end == 'K')
        v <<= 10;
      else if (*end == 'M')
        v <<= 20;
      best = MAX (best, (gsize) v);
    }
  return best;
}

static double
time_pass (HearthThreadPool *pool,
           SumJob           *job)
{
  gint64 t0 = g_get_monotonic_time ();

  hearth_thread_pool_run (pool, sum_task, job);
  return MAX ((double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC, 1e-6);
}

void
hearth_cpu_probe_read_bandwidth (HearthThreadPool *pool,
                                 gsize             max_bytes,
                                 HearthBandwidth  *out)
{
  gsize llc = hearth_cpu_last_level_cache_bytes ();
  gsize sizes[2];
  gint64 n_max;
  g_autofree float *buf = NULL;
  double rates[2 * PASSES_PER_SIZE];
  guint n_rates = 0;

  memset (out, 0, sizeof *out);
  if (max_bytes == 0)
    max_bytes = (gsize) 1 << 30;
  sizes[0] = CLAMP (4 * llc, (gsize) 128 << 20, max_bytes / 2);
  sizes[1] = CLAMP (8 * llc, (gsize) 256 << 20, max_bytes);
  sizes[0] = MIN (sizes[0], sizes[1]);
  n_max = (gint64) (sizes[1] / sizeof (float));
  buf = g_new (float, n_max);
  /* Touch every page so that no pass measures page faults. */
  for (gint64 i = 0; i < n_max; i++)
    buf[i] = (float) (i & 1023);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      SumJob job = { buf, (gint64) (sizes[s] / sizeof (float)), 1, { 0 } };
      double warm = time_pass (pool, &job);

      job.loops = MAX (1, (int) (MIN_PASS_SECONDS / warm + 0.999));
      for (int p = 0; p < PASSES_PER_SIZE; p++)
        rates[n_rates++] = (double) job.n * sizeof (float) * job.loops / time_pass (pool, &job);
    }
  qsort (rates, n_rates, sizeof (double), compare_doubles);
  out->median = quantile (rates, n_rates, 0.5);
  out->low = quantile (rates, n_rates, 0.1);
  out->high = quantile (rates, n_rates, 0.9);
  out->n_passes = n_rates;
  out->buffer_bytes = sizes[1];
  out->llc_bytes = llc;
}

double
hearth_cpu_measure_read_bandwidth (HearthThreadPool *pool,
                                   gsize             max_bytes)
{
  HearthBandwidth bw;

  hearth_cpu_probe_read_bandwidth (pool, max_bytes, &bw);
  return bw.median;
}

void
hearth_probe_read_bandwidth (int              n_threads,
                             HearthBandwidth *out)
{
  HearthThreadPool *pool = hearth_thread_pool_new (n_threads);

  hearth_cpu_probe_read_bandwidth (pool, 0, out);
  hearth_thread_pool_free (pool);
}

double
hearth_measure_read_bandwidth (int n_threads)
{
  HearthBandwidth bw;

  hearth_probe_read_bandwidth (n_threads, &bw);
  return bw.median;
}
