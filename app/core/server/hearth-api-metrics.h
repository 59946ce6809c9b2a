/* hearth-api-metrics.h: the local API server's figures, in the Prometheus text format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Counters, gauges and two histograms (time to first token, tokens per
 * second) that GET /metrics serves. Every function may be called from any
 * thread: one mutex guards the figures. The histograms' buckets are fixed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HearthApiMetrics HearthApiMetrics;

HearthApiMetrics *hearth_api_metrics_new (void);
void              hearth_api_metrics_free (HearthApiMetrics *self);

/* A request answered with @status on @endpoint (a path such as
 * "/v1/chat/completions", or "other"). Statuses >= 400 count as errors too. */
void  hearth_api_metrics_count_request (HearthApiMetrics *self, const char *endpoint, guint status);
/* A client that went away before its reply was complete. */
void  hearth_api_metrics_count_disconnect (HearthApiMetrics *self);
/* A reply that was generated: its timings and token counts. */
void  hearth_api_metrics_observe_reply (HearthApiMetrics *self, double first_token_seconds,
                                        double tokens_per_second, guint32 n_prompt, guint32 n_generated);
void  hearth_api_metrics_set_queue (HearthApiMetrics *self, guint queued, guint active);
/* A model served with @slots sessions. Its memory as the engine reports
 * it: @weight_bytes, the weights a decoded token reads (all of them, one
 * embedding row for the table), and @device_bytes, the part of those held
 * in GPU device memory (0 on the CPU backend). The engine reports no
 * figure for the KV caches or its scratch buffers, so they are not in it. */
void  hearth_api_metrics_add_model (HearthApiMetrics *self, const char *model_id, guint slots,
                                    guint64 weight_bytes, guint64 device_bytes);

/* A model no longer served (its figures go from the gauges). */
void  hearth_api_metrics_remove_model (HearthApiMetrics *self, const char *model_id);

guint   hearth_api_metrics_get_active (HearthApiMetrics *self);
guint   hearth_api_metrics_get_queued (HearthApiMetrics *self);
guint64 hearth_api_metrics_get_disconnects (HearthApiMetrics *self);

/* The figures a status view shows, from one snapshot: the same counts as
 * hearth_api_metrics_render()'s, the median time to first token read from
 * its histogram's buckets as Prometheus' histogram_quantile(0.5) does. */
typedef struct
{
  guint64 requests;          /* answered, every endpoint and status (401s included) */
  guint64 errors;            /* of those, with a status >= 400 */
  guint   active;            /* replies being generated now */
  guint   queued;            /* requests waiting for a session */
  guint64 replies;           /* replies that generated text */
  double  ttft_median;       /* seconds, estimated from the buckets; -1: no reply yet */
  double  tokens_per_second; /* the mean over those replies; -1: no reply yet */
  guint64 generated_tokens;
  guint   n_models;          /* models served now */
  guint64 weight_bytes;      /* their weights a decoded token reads, as in /metrics */
  guint64 device_bytes;      /* of those, in GPU device memory (0 on the CPU backend) */
} HearthApiMetricsSummary;

void  hearth_api_metrics_get_summary (HearthApiMetrics *self, HearthApiMetricsSummary *summary);

/* The text GET /metrics answers (text/plain; version=0.0.4). */
char *hearth_api_metrics_render (HearthApiMetrics *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthApiMetrics, hearth_api_metrics_free)

G_END_DECLS
