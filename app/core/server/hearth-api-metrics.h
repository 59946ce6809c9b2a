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

guint   hearth_api_metrics_get_active (HearthApiMetrics *self);
guint   hearth_api_metrics_get_queued (HearthApiMetrics *self);
guint64 hearth_api_metrics_get_disconnects (HearthApiMetrics *self);

/* The text GET /metrics answers (text/plain; version=0.0.4). */
char *hearth_api_metrics_render (HearthApiMetrics *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthApiMetrics, hearth_api_metrics_free)

G_END_DECLS
