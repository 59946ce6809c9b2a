/* hearth-vk-bench.h: device timings for the benchmarks (engine-internal)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode is bound by how fast the weights stream from device memory, so the
 * benchmarks state their throughput against the device's own measured read
 * bandwidth. Both measurements here time the device's work with timestamp
 * queries where the queue has them (so submission and fence latency are not
 * counted) and otherwise with the wall clock around the fence; the results
 * say which.
 */
#pragma once

#include "hearth-vk.h"

G_BEGIN_DECLS

typedef struct
{
  double   gb_s;        /* bytes / seconds (10^9 bytes per second) */
  double   seconds;     /* median time of one pass over the buffers */
  guint64  bytes;       /* bytes read by one pass */
  guint    n_buffers;   /* the bytes were split over this many buffers */
  gboolean timestamps;  /* device timestamps; FALSE: wall clock around the fence */
  guint32  checksum;    /* the device's sum of every 32-bit word it read, mod 2^32 */
} HearthVkBandwidth;

/* Word @i (counting 32-bit words from the start of the probe's data, across
 * its buffers) of what the probe reads: a bijection of i mod 2^32, so a word
 * skipped or read twice changes the sum. */
guint32  hearth_vk_bandwidth_pattern (guint64 i);

/* Reads @bytes (rounded down to 16, at least 16) of device-local memory,
 * split over buffers of at most the context's maximum, @reps times after
 * one untimed pass; reports the median. Fails unless the device's checksum
 * equals the host's sum of the pattern it uploaded, i.e. unless every byte
 * was really read. */
gboolean hearth_vk_measure_read_bandwidth_full (HearthVkContext   *ctx,
                                                gsize              bytes,
                                                guint              reps,
                                                HearthVkBandwidth *out,
                                                GError           **error);
/* The same; *@gb_s = the median in GB/s. */
gboolean hearth_vk_measure_read_bandwidth (HearthVkContext *ctx,
                                           gsize            bytes,
                                           guint            reps,
                                           double          *gb_s,
                                           GError         **error);

typedef struct
{
  double   seconds;      /* median time of one mat-vec (barrier before it included) */
  double   gb_s;         /* weight bytes / seconds */
  guint64  weight_bytes; /* of one matrix */
  guint    n_copies;     /* matrices walked through, one mat-vec each */
  gboolean timestamps;
} HearthVkMatvecTiming;

/* Times y = W x for one token as decode runs it (hearth_vk_op_matmul in a
 * sequence), @w being @rows rows of @row_bytes of @type. The matrix is
 * uploaded as many times as it takes to fill @working_set bytes, and one
 * submit runs a mat-vec on each copy in turn, so the weights come from
 * device memory rather than a cache, as in a decode step. @reps submits
 * after one untimed one; the median per mat-vec is reported. */
gboolean hearth_vk_time_matvec (HearthVkContext      *ctx,
                                HearthGgmlType        type,
                                const void           *w,
                                gint64                rows,
                                gint64                cols,
                                gsize                 row_bytes,
                                gsize                 working_set,
                                guint                 reps,
                                HearthVkMatvecTiming *out,
                                GError              **error);

G_END_DECLS
