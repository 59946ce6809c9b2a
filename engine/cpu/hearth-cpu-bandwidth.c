/* hearth-cpu-bandwidth.c: a memory read bandwidth probe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode speed is bounded by how fast the weights stream from memory, so
 * benchmarks state their throughput as a fraction of this figure, measured
 * in the same run with the same threads.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-cpu.h"

typedef struct
{
  const guint64 *buf;
  gsize          n;      /* guint64 elements */
  guint64        sums[64];
} ReadJob;

/* Four independent accumulators keep the loads in flight; GCC is asked to
 * vectorise the loop (clang does at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__ ((optimize ("O3", "tree-vectorize")))
#endif
static void
read_worker (void *data,
             int   ith,
             int   nth)
{
  ReadJob *job = data;
  gsize start = job->n * (gsize) ith / (gsize) nth;
  gsize end = job->n * (gsize) (ith + 1) / (gsize) nth;
  guint64 a = 0, b = 0, c = 0, d = 0;

  for (gsize i = start; i + 4 <= end; i += 4)
    {
      a += job->buf[i];
      b += job->buf[i + 1];
      c += job->buf[i + 2];
      d += job->buf[i + 3];
    }
  job->sums[ith % 64] = a + b + c + d;
}

double
hearth_cpu_measure_read_bandwidth (HearthThreadPool *pool,
                                   gsize             bytes,
                                   int               repeats)
{
  ReadJob job = { 0 };
  guint64 *buf;
  double best = 0.0;

  job.n = bytes / sizeof (guint64);
  buf = g_malloc (job.n * sizeof (guint64));
  /* Touch every page so the first pass does not measure page faults. */
  for (gsize i = 0; i < job.n; i++)
    buf[i] = i;
  job.buf = buf;

  for (int r = 0; r < MAX (repeats, 1); r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double seconds;

      hearth_thread_pool_run (pool, read_worker, &job);
      seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
      best = MAX (best, (double) (job.n * sizeof (guint64)) / seconds);
    }
  g_free (buf);
  return best;
}
