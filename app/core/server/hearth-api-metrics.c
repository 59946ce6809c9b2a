/* hearth-api-metrics.c: the local API server's figures, in the Prometheus text format
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Thread-safe (one mutex); rendering takes a consistent snapshot.
 */
#include "hearth-config.h"

#include <stdlib.h>
#include <string.h>

#include "hearth-api-metrics.h"

static const double ttft_buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
static const double tps_buckets[] = { 1, 5, 10, 25, 50, 100, 250, 500, 1000 };

typedef struct
{
  const double *bounds;
  guint         n_bounds;
  guint64       counts[16]; /* per bound (not cumulative), then +Inf */
  double        sum;
  guint64       count;
} Histogram;

typedef struct
{
  guint64 weight_bytes;
  guint64 device_bytes;
  guint   slots;
} ModelFigures;

struct _HearthApiMetrics
{
  GMutex      lock;
  GHashTable *requests;  /* "endpoint\nstatus" -> guint64* */
  guint64     disconnects;
  guint64     prompt_tokens;
  guint64     generated_tokens;
  guint       queued;
  guint       active;
  GPtrArray  *models;    /* model ids */
  GArray     *memory;    /* ModelFigures, one per model */
  guint       slots;
  Histogram   ttft;
  Histogram   tps;
};

HearthApiMetrics *
hearth_api_metrics_new (void)
{
  HearthApiMetrics *self = g_new0 (HearthApiMetrics, 1);

  g_mutex_init (&self->lock);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->models = g_ptr_array_new_with_free_func (g_free);
  self->memory = g_array_new (FALSE, FALSE, sizeof (ModelFigures));
  self->ttft.bounds = ttft_buckets;
  self->ttft.n_bounds = G_N_ELEMENTS (ttft_buckets);
  self->tps.bounds = tps_buckets;
  self->tps.n_bounds = G_N_ELEMENTS (tps_buckets);
  return self;
}

void
hearth_api_metrics_free (HearthApiMetrics *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->requests);
  g_ptr_array_unref (self->models);
  g_array_unref (self->memory);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
hearth_api_metrics_count_request (HearthApiMetrics *self,
                                  const char       *endpoint,
                                  guint             status)
{
  char *key = g_strdup_printf ("%s\n%u", endpoint, status);
  guint64 *n;

  g_mutex_lock (&self->lock);
  n = g_hash_table_lookup (self->requests, key);
  if (n == NULL)
    {
      n = g_new0 (guint64, 1);
      g_hash_table_insert (self->requests, key, n);
    }
  else
    g_free (key);
  (*n)++;
  g_mutex_unlock (&self->lock);
}

void
hearth_api_metrics_count_disconnect (HearthApiMetrics *self)
{
  g_mutex_lock (&self->lock);
  self->disconnects++;
  g_mutex_unlock (&self->lock);
}

static void
histogram_observe (Histogram *h,
                   double     value)
{
  guint i;

  for (i = 0; i < h->n_bounds && value > h->bounds[i]; i++)
    ;
  h->counts[i]++;
  h->sum += value;
  h->count++;
}

void
hearth_api_metrics_observe_reply (HearthApiMetrics *self,
                                  double            first_token_seconds,
                                  double            tokens_per_second,
                                  guint32           n_prompt,
                                  guint32           n_generated)
{
  g_mutex_lock (&self->lock);
  if (n_generated > 0)
    {
      histogram_observe (&self->ttft, first_token_seconds);
      histogram_observe (&self->tps, tokens_per_second);
    }
  self->prompt_tokens += n_prompt;
  self->generated_tokens += n_generated;
  g_mutex_unlock (&self->lock);
}

void
hearth_api_metrics_set_queue (HearthApiMetrics *self,
                              guint             queued,
                              guint             active)
{
  g_mutex_lock (&self->lock);
  self->queued = queued;
  self->active = active;
  g_mutex_unlock (&self->lock);
}

void
hearth_api_metrics_add_model (HearthApiMetrics *self,
                              const char       *model_id,
                              guint             slots,
                              guint64           weight_bytes,
                              guint64           device_bytes)
{
  ModelFigures f = { weight_bytes, device_bytes, slots };

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->models, g_strdup (model_id));
  g_array_append_val (self->memory, f);
  self->slots += slots;
  g_mutex_unlock (&self->lock);
}

void
hearth_api_metrics_remove_model (HearthApiMetrics *self,
                                 const char       *model_id)
{
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->models->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->models, i), model_id) == 0)
      {
        self->slots -= g_array_index (self->memory, ModelFigures, i).slots;
        g_ptr_array_remove_index (self->models, i);
        g_array_remove_index (self->memory, i);
        break;
      }
  g_mutex_unlock (&self->lock);
}

guint
hearth_api_metrics_get_active (HearthApiMetrics *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->active;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
hearth_api_metrics_get_queued (HearthApiMetrics *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->queued;
  g_mutex_unlock (&self->lock);
  return n;
}

guint64
hearth_api_metrics_get_disconnects (HearthApiMetrics *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->disconnects;
  g_mutex_unlock (&self->lock);
  return n;
}

/* The median of @h, read from its buckets the way Prometheus'
 * histogram_quantile() does: linearly within the bucket that holds it
 * (the last bound for the +Inf bucket). -1 when it is empty. */
static double
histogram_median (const Histogram *h)
{
  double rank = h->count / 2.0;
  guint64 below = 0;
  guint i;

  if (h->count == 0)
    return -1;
  for (i = 0; i <= h->n_bounds; i++)
    {
      if (h->counts[i] > 0 && below + h->counts[i] >= rank)
        {
          double lower = i == 0 ? 0 : h->bounds[i - 1];

          if (i == h->n_bounds)
            return h->bounds[h->n_bounds - 1];
          return lower + (h->bounds[i] - lower) * (rank - below) / h->counts[i];
        }
      below += h->counts[i];
    }
  return h->bounds[h->n_bounds - 1];
}

void
hearth_api_metrics_get_summary (HearthApiMetrics        *self,
                                HearthApiMetricsSummary *summary)
{
  GHashTableIter iter;
  gpointer key, value;

  memset (summary, 0, sizeof *summary);
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->requests);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *status = strchr (key, '\n');
      guint64 n = *(guint64 *) value;

      summary->requests += n;
      if (status != NULL && strtoul (status + 1, NULL, 10) >= 400)
        summary->errors += n;
    }
  summary->active = self->active;
  summary->queued = self->queued;
  summary->replies = self->ttft.count;
  summary->ttft_median = histogram_median (&self->ttft);
  summary->tokens_per_second = self->tps.count > 0 ? self->tps.sum / self->tps.count : -1;
  summary->generated_tokens = self->generated_tokens;
  summary->n_models = self->models->len;
  for (guint i = 0; i < self->memory->len; i++)
    {
      summary->weight_bytes += g_array_index (self->memory, ModelFigures, i).weight_bytes;
      summary->device_bytes += g_array_index (self->memory, ModelFigures, i).device_bytes;
    }
  g_mutex_unlock (&self->lock);
}

/* Label values escape backslash, quote and newline. */
static void
append_label (GString    *out,
              const char *value)
{
  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' || *p == '"')
        g_string_append_c (out, '\\');
      if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
}

static void
render_histogram (GString         *out,
                  const char      *name,
                  const char      *help,
                  const Histogram *h)
{
  guint64 cumulative = 0;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (guint i = 0; i < h->n_bounds; i++)
    {
      cumulative += h->counts[i];
      g_string_append_printf (out, "%s_bucket{le=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
                              g_ascii_formatd (buf, sizeof buf, "%g", h->bounds[i]), cumulative);
    }
  cumulative += h->counts[h->n_bounds];
  g_string_append_printf (out, "%s_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name, cumulative);
  g_string_append_printf (out, "%s_sum %s\n", name, g_ascii_formatd (buf, sizeof buf, "%.6f", h->sum));
  g_string_append_printf (out, "%s_count %" G_GUINT64_FORMAT "\n", name, h->count);
}

/* One gauge per model from @self->memory (@which: 0 weight bytes, 1 device bytes). Called locked. */
static void
render_model_gauge (HearthApiMetrics *self,
                    GString          *out,
                    const char       *name,
                    const char       *help,
                    guint             which)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
  for (guint i = 0; i < self->models->len; i++)
    {
      g_string_append_printf (out, "%s{model=\"", name);
      append_label (out, g_ptr_array_index (self->models, i));
      const ModelFigures *f = &g_array_index (self->memory, ModelFigures, i);

      g_string_append_printf (out, "\"} %" G_GUINT64_FORMAT "\n", which == 0 ? f->weight_bytes : f->device_bytes);
    }
}

char *
hearth_api_metrics_render (HearthApiMetrics *self)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GList) keys = NULL;
  guint64 errors = 0;

  g_mutex_lock (&self->lock);
  keys = g_list_sort (g_hash_table_get_keys (self->requests), (GCompareFunc) g_strcmp0);

  g_string_append (out, "# HELP hearth_api_requests_total Requests answered, by endpoint and status.\n"
                        "# TYPE hearth_api_requests_total counter\n");
  for (GList *l = keys; l != NULL; l = l->next)
    {
      const char *key = l->data;
      const char *nl = strchr (key, '\n');
      g_autofree char *endpoint = g_strndup (key, (gsize) (nl - key));
      guint64 n = *(guint64 *) g_hash_table_lookup (self->requests, key);

      g_string_append (out, "hearth_api_requests_total{endpoint=\"");
      append_label (out, endpoint);
      g_string_append_printf (out, "\",status=\"%s\"} %" G_GUINT64_FORMAT "\n", nl + 1, n);
      if (atoi (nl + 1) >= 400)
        errors += n;
    }
  g_string_append_printf (out, "# HELP hearth_api_errors_total Requests answered with a 4xx or 5xx status.\n"
                               "# TYPE hearth_api_errors_total counter\n"
                               "hearth_api_errors_total %" G_GUINT64_FORMAT "\n", errors);
  g_string_append_printf (out, "# HELP hearth_api_client_disconnects_total Replies stopped because the client went away.\n"
                               "# TYPE hearth_api_client_disconnects_total counter\n"
                               "hearth_api_client_disconnects_total %" G_GUINT64_FORMAT "\n", self->disconnects);
  g_string_append_printf (out, "# HELP hearth_api_queue_length Requests waiting for a session.\n"
                               "# TYPE hearth_api_queue_length gauge\n"
                               "hearth_api_queue_length %u\n", self->queued);
  g_string_append_printf (out, "# HELP hearth_api_active_sessions Sessions generating a reply now.\n"
                               "# TYPE hearth_api_active_sessions gauge\n"
                               "hearth_api_active_sessions %u\n", self->active);
  g_string_append_printf (out, "# HELP hearth_api_sessions Sessions the loaded models have (the most replies at once).\n"
                               "# TYPE hearth_api_sessions gauge\n"
                               "hearth_api_sessions %u\n", self->slots);
  g_string_append_printf (out, "# HELP hearth_api_prompt_tokens_total Prompt tokens of the replies generated.\n"
                               "# TYPE hearth_api_prompt_tokens_total counter\n"
                               "hearth_api_prompt_tokens_total %" G_GUINT64_FORMAT "\n", self->prompt_tokens);
  g_string_append_printf (out, "# HELP hearth_api_generated_tokens_total Tokens generated.\n"
                               "# TYPE hearth_api_generated_tokens_total counter\n"
                               "hearth_api_generated_tokens_total %" G_GUINT64_FORMAT "\n", self->generated_tokens);
  g_string_append (out, "# HELP hearth_api_model_loaded The models served (1 each).\n"
                        "# TYPE hearth_api_model_loaded gauge\n");
  for (guint i = 0; i < self->models->len; i++)
    {
      g_string_append (out, "hearth_api_model_loaded{model=\"");
      append_label (out, g_ptr_array_index (self->models, i));
      g_string_append (out, "\"} 1\n");
    }
  render_model_gauge (self, out, "hearth_api_model_weight_bytes",
                      "Bytes of weights each model's decoded token reads (every matrix, one row of the embedding table).",
                      0);
  render_model_gauge (self, out, "hearth_api_device_memory_bytes",
                      "GPU device memory holding each model's weights, as the engine reports it (0 on the CPU "
                      "backend; KV caches and buffers not counted).", 1);
  render_histogram (out, "hearth_api_time_to_first_token_seconds",
                    "From the request's arrival to its first generated token (queue wait included).", &self->ttft);
  render_histogram (out, "hearth_api_tokens_per_second", "Generation speed of each reply.", &self->tps);
  g_mutex_unlock (&self->lock);
  return g_string_free (out, FALSE);
}
