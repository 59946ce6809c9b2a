/* hearth-cpu-bandwidth.c: a memory read bandwidth probe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode speed is bounded by how fast the weights stream from memory, so
 * benchmarks state their throughput as a fraction of this figure, measured
 * in the same run with the same threads.
 */
#include "hearth-config.h"

#include <stdlib.h>

#include "hearth-cpu-private.h"
#include "hearth-bench.h"

typedef struct
{
  const float *buf;
  gint64       n;
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

#ifdef HEARTH_HAVE_AVX2_KERNELS
  if (hearth_cpu_has_avx2 ())
    s = hearth_avx2_sum_f32 (job->buf + begin, end - begin);
  else
#endif
    for (gint64 i = begin; i < end; i++)
      s += job->buf[i];
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

double
hearth_cpu_measure_read_bandwidth (HearthThreadPool *pool,
                                   gsize             bytes,
                                   int               repeats)
{
  gint64 n = (gint64) (bytes / sizeof (float));
  g_autofree float *buf = g_new (float, n);
  g_autofree double *rate = NULL;
  SumJob job = { buf, n, { 0 } };
  double result;

  repeats = MAX (repeats, 1);
  rate = g_new (double, repeats);
  /* Touch every page so that no pass measures page faults. */
  for (gint64 i = 0; i < n; i++)
    buf[i] = (float) (i & 1023);
  for (int r = 0; r < repeats; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      hearth_thread_pool_run (pool, sum_task, &job);
      rate[r] = (double) n * sizeof (float) / ((double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC);
    }
  result = hearth_median (rate, (gsize) repeats);
  return result;
}

double
hearth_measure_read_bandwidth (int   n_threads,
                               gsize bytes)
{
  HearthThreadPool *pool = hearth_thread_pool_new (n_threads);
  double bw = hearth_cpu_measure_read_bandwidth (pool, bytes, 5);

  hearth_thread_pool_free (pool);
  return bw;
}
