/* hearth-bench.h: the measurements the benchmarks quote
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decode is bound by how fast the weights stream from memory, so the
 * benchmarks state their throughput against the measured read bandwidth.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-model.h"

G_BEGIN_DECLS

/* This machine's memory read bandwidth with @n_threads threads (<= 0: one
 * per core): the bound for decode speed. Buffers of 4x and 8x the
 * last-level cache, warmed up, 7 timed passes of >= 40 ms each per size;
 * the median of all passes and the spread. */
typedef struct
{
  double median;       /* bytes/s */
  double low;          /* the 10th percentile of the passes, bytes/s */
  double high;         /* the 90th */
  guint  n_passes;
  gsize  buffer_bytes; /* the largest buffer read */
  gsize  llc_bytes;    /* the last-level cache sysfs reports; 0: unknown */
} HearthBandwidth;

void           hearth_probe_read_bandwidth (int              n_threads,
                                            HearthBandwidth *out);
/* Its median, in bytes/s. */
double         hearth_measure_read_bandwidth (int n_threads);
/* The median of @v[0..n) (sorted in place), 0 for none: what every
 * benchmark of the engine and hearth-cli quotes. */
double         hearth_median (double *v,
                              gsize   n);

/* The read bandwidth of the Vulkan device @params chooses (device_index or
 * device_name, as a model load does) in bytes/s, over @bytes of device-local
 * memory on a context of its own: the median of @reps passes after an
 * untimed one, every byte checked read. *@timestamps says whether the
 * device's timestamps timed it (FALSE: the wall clock around the fence).
 * Fails with UNSUPPORTED in a build without Vulkan. */
gboolean       hearth_measure_device_read_bandwidth (const HearthModelParams *params,
                                                     gsize                    bytes,
                                                     guint                    reps,
                                                     double                  *bytes_per_s,
                                                     gboolean                *timestamps,
                                                     GError                 **error);

G_END_DECLS
