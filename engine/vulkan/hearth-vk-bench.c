/* hearth-vk-bench.c: the device read bandwidth probe and the mat-vec timing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-bench.h"
#include "hearth-model.h"
#include "hearth-vk-backend.h"
#include "hearth-vk-bench.h"
#include "hearth-vk-ops.h"
#include "hearth-vk-private.h"

#define PROBE_WG 256
/* uvec4 loads per invocation the probe's grid is sized for: enough that the
 * grid-stride loop runs its unrolled body, few enough for many workgroups. */
#define PROBE_LOADS_PER_INVOCATION 16
#define PROBE_MAX_GROUPS 65535u
/* Host chunks of the probe's data, generated and uploaded one at a time. */
#define FILL_CHUNK ((gsize) 16 << 20)

/* ---- timing: timestamps where the queue has them, else the wall clock ---- */

typedef struct
{
  HearthVkContext *ctx;
  VkQueryPool      pool;        /* VK_NULL_HANDLE: wall clock */
  double           ns_per_tick;
  guint64          mask;
} Timer;

static gboolean
timer_init (Timer           *t,
            HearthVkContext *ctx,
            GError         **error)
{
  g_autofree VkQueueFamilyProperties *q = NULL;
  VkPhysicalDeviceProperties props;
  VkQueryPoolCreateInfo info = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                 .queryType = VK_QUERY_TYPE_TIMESTAMP, .queryCount = 2 };
  guint32 n = 0, bits;

  memset (t, 0, sizeof *t);
  t->ctx = ctx;
  vkGetPhysicalDeviceProperties (ctx->pd, &props);
  vkGetPhysicalDeviceQueueFamilyProperties (ctx->pd, &n, NULL);
  q = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (ctx->pd, &n, q);
  bits = ctx->queue_family < n ? q[ctx->queue_family].timestampValidBits : 0;
  /* timestampValidBits is what this queue supports; timestampComputeAndGraphics
   * only promises it for every queue, so the queue's own bits decide. */
  if (bits == 0 || props.limits.timestampPeriod <= 0.0f)
    return TRUE;
  t->ns_per_tick = props.limits.timestampPeriod;
  t->mask = bits >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << bits) - 1;
  return hearth_vk_check (vkCreateQueryPool (ctx->device, &info, NULL, &t->pool), "creating a query pool", error);
}

static void
timer_clear (Timer *t)
{
  if (t->pool != VK_NULL_HANDLE)
    vkDestroyQueryPool (t->ctx->device, t->pool, NULL);
  t->pool = VK_NULL_HANDLE;
}

static void
timer_record_begin (Timer            *t,
                    HearthVkSequence *seq)
{
  if (t->pool == VK_NULL_HANDLE)
    return;
  hearth_vk_sequence_reset_queries (seq, t->pool, 0, 2);
  hearth_vk_sequence_write_timestamp (seq, t->pool, 0, TRUE);
}

static void
timer_record_end (Timer            *t,
                  HearthVkSequence *seq)
{
  if (t->pool != VK_NULL_HANDLE)
    hearth_vk_sequence_write_timestamp (seq, t->pool, 1, FALSE);
}

/* Submits @seq, waits, and gives the time its recorded work took. */
static gboolean
timer_run (Timer            *t,
           HearthVkSequence *seq,
           double           *seconds,
           GError          **error)
{
  gint64 t0 = g_get_monotonic_time ();
  guint64 stamps[2];

  if (!hearth_vk_sequence_submit (seq, error))
    return FALSE;
  *seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (t->pool == VK_NULL_HANDLE)
    return TRUE;
  if (!hearth_vk_check (vkGetQueryPoolResults (t->ctx->device, t->pool, 0, 2, sizeof stamps, stamps, sizeof stamps[0],
                                               VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
                        "reading timestamps", error))
    return FALSE;
  *seconds = (double) ((stamps[1] - stamps[0]) & t->mask) * t->ns_per_tick * 1e-9;
  return TRUE;
}

/* ---- the read bandwidth probe ---- */

guint32
hearth_vk_bandwidth_pattern (guint64 i)
{
  /* An odd multiplier and an offset: a bijection of i mod 2^32. */
  return (guint32) i * 0x9E3779B1u + 0x632BE5ABu;
}

gboolean
hearth_vk_measure_read_bandwidth_full (HearthVkContext   *ctx,
                                       gsize              bytes,
                                       guint              reps,
                                       HearthVkBandwidth *out,
                                       GError           **error)
{
  gsize total = MAX (bytes & ~(gsize) 15, 16);
  /* n_vec4 is a 32-bit push constant and the loop index stays below 2^32. */
  gsize cap = MIN (hearth_vk_context_get_max_buffer (ctx), (gsize) 1 << 31) & ~(gsize) 15;
  guint n_buffers = (guint) ((total + cap - 1) / cap);
  g_autofree HearthVkBuffer **bufs = g_new0 (HearthVkBuffer *, n_buffers);
  g_autofree guint32 *groups = g_new0 (guint32, n_buffers);
  g_autofree guint32 *chunk = NULL;
  g_autofree double *times = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkBuffer *sums = NULL;
  HearthVkKernel *k;
  Timer timer = { 0 };
  guint32 expected = 0, got = 0, n_sums = 0;
  guint64 word = 0;
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  reps = MAX (reps, 1);
  if (cap < 16)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE, "no usable buffer size on %s",
                   ctx->device_name);
      return FALSE;
    }
  k = hearth_vk_context_get_kernel (ctx, "bandwidth", 2, sizeof (struct HearthVkPushBandwidth), PROBE_WG, error);
  if (k == NULL)
    return FALSE;

  /* Every buffer gets the next words of the pattern; the host sums them. */
  chunk = g_new (guint32, FILL_CHUNK / 4);
  for (guint b = 0; b < n_buffers; b++)
    {
      gsize size = MIN (cap, total - (gsize) b * cap);
      guint64 n_vec4 = size / 16;

      groups[b] = (guint32) CLAMP ((n_vec4 + PROBE_WG * PROBE_LOADS_PER_INVOCATION - 1) /
                                   (PROBE_WG * PROBE_LOADS_PER_INVOCATION), 1, PROBE_MAX_GROUPS);
      n_sums += groups[b];
      bufs[b] = hearth_vk_buffer_new (ctx, size, error);
      if (bufs[b] == NULL)
        goto out;
      for (gsize done = 0; done < size; done += FILL_CHUNK)
        {
          gsize len = MIN (FILL_CHUNK, size - done);

          for (gsize i = 0; i < len / 4; i++)
            {
              chunk[i] = hearth_vk_bandwidth_pattern (word++);
              expected += chunk[i];
            }
          if (!hearth_vk_buffer_upload (ctx, bufs[b], done, chunk, len, error))
            goto out;
        }
    }
  g_clear_pointer (&chunk, g_free);
  sums = hearth_vk_buffer_new_host (ctx, (gsize) n_sums * 4, error);
  if (sums == NULL || !timer_init (&timer, ctx, error))
    goto out;

  seq = hearth_vk_sequence_new (ctx, error);
  if (seq == NULL || !hearth_vk_sequence_begin (seq, error))
    goto out;
  timer_record_begin (&timer, seq);
  for (guint b = 0, offset = 0; b < n_buffers; offset += groups[b], b++)
    {
      HearthVkBuffer *io[2] = { bufs[b], sums };
      struct HearthVkPushBandwidth p = { (guint32) (bufs[b]->size / 16), offset };

      /* The buffer may be larger than asked (a 4-byte minimum): read what was filled. */
      p.n_vec4 = (guint32) (MIN (cap, total - (gsize) b * cap) / 16);
      if (!hearth_vk_sequence_dispatch (seq, k, io, &p, groups[b], 1, 1, error))
        goto out;
    }
  timer_record_end (&timer, seq);
  if (!hearth_vk_sequence_end (seq, error))
    goto out;

  /* The untimed first pass also proves that every word was read once. */
  times = g_new (double, reps);
  if (!timer_run (&timer, seq, &times[0], error))
    goto out;
  for (guint i = 0; i < n_sums; i++)
    got += ((const guint32 *) sums->mapped)[i];
  if (got != expected)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                   "the bandwidth probe on %s summed 0x%08x over %" G_GSIZE_FORMAT " bytes, the host 0x%08x: "
                   "the kernel did not read every byte once", ctx->device_name, got, total, expected);
      goto out;
    }
  for (guint r = 0; r < reps; r++)
    if (!timer_run (&timer, seq, &times[r], error))
      goto out;

  out->seconds = hearth_median (times, reps);
  out->bytes = total;
  out->gb_s = out->seconds > 0 ? total / out->seconds / 1e9 : 0.0;
  out->n_buffers = n_buffers;
  out->timestamps = timer.pool != VK_NULL_HANDLE;
  out->checksum = got;
  ok = out->seconds > 0;
  if (!ok)
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                 "the bandwidth probe on %s took no measurable time", ctx->device_name);

out:
  g_clear_pointer (&seq, hearth_vk_sequence_free);
  timer_clear (&timer);
  hearth_vk_buffer_free (ctx, sums);
  for (guint b = 0; b < n_buffers; b++)
    hearth_vk_buffer_free (ctx, bufs[b]);
  return ok;
}

gboolean
hearth_vk_measure_read_bandwidth (HearthVkContext *ctx,
                                  gsize            bytes,
                                  guint            reps,
                                  double          *gb_s,
                                  GError         **error)
{
  HearthVkBandwidth bw;

  if (!hearth_vk_measure_read_bandwidth_full (ctx, bytes, reps, &bw, error))
    return FALSE;
  *gb_s = bw.gb_s;
  return TRUE;
}

/* ---- one mat-vec as decode runs it ---- */

gboolean
hearth_vk_time_matvec (HearthVkContext      *ctx,
                       HearthGgmlType        type,
                       const void           *w,
                       gint64                rows,
                       gint64                cols,
                       gsize                 row_bytes,
                       gsize                 working_set,
                       guint                 reps,
                       HearthVkMatvecTiming *out,
                       GError              **error)
{
  gsize mat_bytes = (gsize) rows * row_bytes;
  guint n_copies = (guint) MAX (1, (working_set + mat_bytes - 1) / MAX (mat_bytes, 1));
  g_autofree HearthVkMatrix **m = g_new0 (HearthVkMatrix *, n_copies);
  g_autofree float *xh = g_new (float, cols);
  g_autofree double *times = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkBuffer *x = NULL, *y = NULL;
  Timer timer = { 0 };
  gboolean ok = FALSE;

  memset (out, 0, sizeof *out);
  reps = MAX (reps, 1);
  for (guint i = 0; i < n_copies; i++)
    if ((m[i] = hearth_vk_matrix_new (ctx, type, w, rows, cols, row_bytes, error)) == NULL)
      goto out;
  /* Activations of the size a normed residual stream has. */
  for (gint64 c = 0; c < cols; c++)
    xh[c] = (float) ((c * 37) % 101 - 50) / 50.0f;
  x = hearth_vk_buffer_new (ctx, (gsize) cols * 4, error);
  if (x == NULL || !hearth_vk_buffer_upload (ctx, x, 0, xh, (gsize) cols * 4, error))
    goto out;
  y = hearth_vk_buffer_new (ctx, (gsize) rows * 4, error);
  if (y == NULL || !timer_init (&timer, ctx, error))
    goto out;

  seq = hearth_vk_sequence_new (ctx, error);
  if (seq == NULL || !hearth_vk_sequence_begin (seq, error))
    goto out;
  timer_record_begin (&timer, seq);
  for (guint i = 0; i < n_copies; i++)
    if (!hearth_vk_op_matmul (seq, m[i], x, 0, (guint32) cols, y, 0, (guint32) rows, 1, error))
      goto out;
  timer_record_end (&timer, seq);
  if (!hearth_vk_sequence_end (seq, error))
    goto out;

  times = g_new (double, reps);
  if (!timer_run (&timer, seq, &times[0], error))
    goto out;
  for (guint r = 0; r < reps; r++)
    if (!timer_run (&timer, seq, &times[r], error))
      goto out;
  out->seconds = hearth_median (times, reps) / n_copies;
  out->weight_bytes = mat_bytes;
  out->gb_s = out->seconds > 0 ? mat_bytes / out->seconds / 1e9 : 0.0;
  out->n_copies = n_copies;
  out->timestamps = timer.pool != VK_NULL_HANDLE;
  ok = TRUE;

out:
  g_clear_pointer (&seq, hearth_vk_sequence_free);
  timer_clear (&timer);
  hearth_vk_buffer_free (ctx, x);
  hearth_vk_buffer_free (ctx, y);
  for (guint i = 0; i < n_copies; i++)
    hearth_vk_matrix_free (ctx, m[i]);
  return ok;
}

gboolean
hearth_vk_measure_device_bandwidth (const HearthModelParams *params,
                                    gsize                    bytes,
                                    guint                    reps,
                                    double                  *bytes_per_s,
                                    gboolean                *timestamps,
                                    GError                 **error)
{
  HearthVkContextParams cp;
  g_autoptr(HearthVkContext) ctx = NULL;
  HearthVkBandwidth bw;

  hearth_vk_context_params_init (&cp);
  cp.device_index = params->device_index;
  cp.device_name = params->device_name;
  ctx = hearth_vk_context_new (&cp, error);
  if (ctx == NULL || !hearth_vk_measure_read_bandwidth_full (ctx, bytes, reps, &bw, error))
    return FALSE;
  *bytes_per_s = bw.gb_s * 1e9;
  *timestamps = bw.timestamps;
  return TRUE;
}
