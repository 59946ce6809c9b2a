/* hearth-session.c: a KV cache and a position over a shared model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-rope.h"
#include "hearth-session-private.h"
#ifdef HEARTH_HAVE_VULKAN
#include "vulkan/hearth-vk-backend.h"
#endif

#define DEFAULT_BATCH 64
/* Refuse caches that could not possibly be meant (and would overflow sizes). */
#define MAX_CTX (1u << 22)

void
hearth_session_params_init (HearthSessionParams *params)
{
  memset (params, 0, sizeof *params);
}

HearthSession *
hearth_session_new (HearthModel               *model,
                    const HearthSessionParams *params,
                    GError                   **error)
{
  g_autoptr(HearthSession) s = g_new0 (HearthSession, 1);
  HearthSessionParams defaults;
  const HearthHParams *hp = &model->hp;
  gsize kv_elem;

  if (model->encoder != NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s is an encoder: it embeds text (hearth_model_embed), it does not decode",
                   model->architecture);
      return NULL;
    }
  if (params == NULL)
    {
      hearth_session_params_init (&defaults);
      params = &defaults;
    }

  s->model = hearth_model_ref (model);
  s->n_ctx = params->n_ctx ? params->n_ctx : hp->n_ctx_train;
  s->n_batch = params->n_batch ? params->n_batch : DEFAULT_BATCH;
  s->kv_f32 = params->kv_f32;
  if (s->n_ctx == 0 || s->n_ctx > MAX_CTX)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "context of %u tokens is out of range (1 to %u)", s->n_ctx, MAX_CTX);
      return NULL;
    }
  s->n_batch = MIN (s->n_batch, s->n_ctx);
  s->rope_factors = hearth_rope_factors (model, s->n_ctx);
  s->n_threads = hearth_thread_pool_get_n_threads (model->pool);

  kv_elem = s->kv_f32 ? sizeof (float) : sizeof (guint16);
  s->tokens = g_new0 (gint32, s->n_ctx);
  s->k = g_new0 (void *, hp->n_layer);
  s->v = g_new0 (void *, hp->n_layer);
  s->kv_rows = g_new0 (guint32, hp->n_layer);
  for (guint32 il = 0; il < hp->n_layer; il++)
    s->swa_window = MAX (s->swa_window, model->layers[il].n_swa);
  s->swa_rows = s->swa_window != 0 ? (guint32) MIN ((guint64) s->n_ctx, (guint64) s->swa_window - 1 + s->n_batch)
                                   : s->n_ctx;
  for (guint32 il = 0; il < hp->n_layer; il++)
    s->kv_rows[il] = model->layers[il].n_swa != 0 ? s->swa_rows : s->n_ctx;
  /* Layers on a Vulkan device keep their cache there instead. */
  for (guint32 il = hearth_model_get_n_gpu_layers (model); il < hp->n_layer; il++)
    {
      s->k[il] = g_try_malloc ((gsize) s->kv_rows[il] * hp->n_head_kv * hp->head_dim * kv_elem);
      s->v[il] = g_try_malloc ((gsize) s->kv_rows[il] * hp->n_head_kv * hp->head_dim_v * kv_elem);
      if (s->k[il] == NULL || s->v[il] == NULL)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED,
                       "not enough memory for a KV cache of %u tokens", s->n_ctx);
          return NULL;
        }
    }

#define SCRATCH(field, per_token) s->field = g_new0 (float, (gsize) s->n_batch * (per_token))
  SCRATCH (x, hp->n_embd);
  SCRATCH (xn, hp->n_embd);
  SCRATCH (q, (gsize) hp->n_head * hp->head_dim);
  SCRATCH (kc, (gsize) hp->n_head_kv * hp->head_dim);
  SCRATCH (vc, (gsize) hp->n_head_kv * hp->head_dim_v);
  SCRATCH (attn, (gsize) hp->n_head * hp->head_dim_v);
  SCRATCH (gate, hp->n_ff);
  SCRATCH (up, hp->n_ff);
  SCRATCH (rope_cs, MAX (hp->n_rot, 2));
  if (hp->rope_freq_base_swa > 0.0f)
    SCRATCH (rope_cs_swa, MAX (hp->n_rot, 2));
#undef SCRATCH
  s->scores = g_new0 (float, (gsize) s->n_threads * s->n_ctx);
#ifdef HEARTH_HAVE_VULKAN
  if (model->vk != NULL && hearth_vk_model_get_n_gpu_layers (model->vk) > 0)
    {
      s->vk = hearth_vk_session_new (s, error);
      if (s->vk == NULL)
        return NULL;
    }
#endif
  return g_steal_pointer (&s);
}

void
hearth_session_free (HearthSession *self)
{
  if (self == NULL)
    return;
#ifdef HEARTH_HAVE_VULKAN
  g_clear_pointer (&self->vk, hearth_vk_session_free);
#endif
  if (self->k != NULL)
    for (guint32 il = 0; il < self->model->hp.n_layer; il++)
      g_free (self->k[il]);
  if (self->v != NULL)
    for (guint32 il = 0; il < self->model->hp.n_layer; il++)
      g_free (self->v[il]);
  g_free (self->k);
  g_free (self->v);
  g_free (self->kv_rows);
  g_free (self->tokens);
  g_free (self->logits);
  g_free (self->x);
  g_free (self->xn);
  g_free (self->q);
  g_free (self->kc);
  g_free (self->vc);
  g_free (self->attn);
  g_free (self->gate);
  g_free (self->up);
  g_free (self->rope_cs);
  g_free (self->rope_cs_swa);
  g_free (self->scores);
  g_clear_pointer (&self->model, hearth_model_unref);
  g_free (self);
}

HearthModel *
hearth_session_get_model (HearthSession *self)
{
  return self->model;
}

guint32
hearth_session_get_n_ctx (HearthSession *self)
{
  return self->n_ctx;
}

guint32
hearth_session_get_n_past (HearthSession *self)
{
  return self->n_past;
}

const gint32 *
hearth_session_get_tokens (HearthSession *self)
{
  return self->tokens;
}

static void
ensure_logits (HearthSession *self,
               guint32        n)
{
  if (n > self->logits_capacity)
    {
      g_free (self->logits);
      self->logits = g_new (float, (gsize) n * self->model->hp.n_vocab);
      self->logits_capacity = n;
    }
}

gboolean
hearth_session_decode (HearthSession *self,
                       const gint32  *tokens,
                       gsize          n_tokens,
                       gboolean       all_logits,
                       GCancellable  *cancellable,
                       GError       **error)
{
  const HearthModel *m = self->model;
  guint32 start = self->n_past;
  guint32 n_vocab = m->hp.n_vocab;

  g_return_val_if_fail (n_tokens == 0 || tokens != NULL, FALSE);

  if (n_tokens == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "nothing to decode");
      return FALSE;
    }
  if (n_tokens > self->n_ctx - self->n_past)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                   "%" G_GSIZE_FORMAT " tokens do not fit: %u of %u positions are used",
                   n_tokens, self->n_past, self->n_ctx);
      return FALSE;
    }
  for (gsize i = 0; i < n_tokens; i++)
    {
      if (tokens[i] < 0 || (guint32) tokens[i] >= n_vocab)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "token id %d is outside the vocabulary of %u", tokens[i], n_vocab);
          return FALSE;
        }
    }

  ensure_logits (self, all_logits ? (guint32) n_tokens : 1);
  self->n_logits = all_logits ? (guint32) n_tokens : 1;

  for (gsize done = 0; done < n_tokens;)
    {
      guint32 n = (guint32) MIN (n_tokens - done, self->n_batch);
      gboolean last_chunk = done + n == n_tokens;

      g_autoptr(GMutexLocker) locker = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          /* What was decoded stays valid; the caller may go on from there. */
          self->n_logits = 0;
          return FALSE;
        }
      /* One forward pass of the model at a time (hearth-model-private.h). */
      locker = g_mutex_locker_new ((GMutex *) &m->forward_lock);
      /* Counted before the chunk runs: a failed chunk may have written its
       * rows of the rings already. */
      self->kv_hi = MAX (self->kv_hi, self->n_past + n);
#ifdef HEARTH_HAVE_VULKAN
      if (self->vk != NULL)
        {
          gboolean finished = FALSE;
          float *dst = all_logits ? self->logits + done * n_vocab : last_chunk ? self->logits : NULL;

          /* A device error leaves the cache as it was before this chunk. */
          if (!hearth_vk_session_forward (self->vk, tokens + done, n, all_logits, dst, &finished, error))
            {
              self->n_logits = 0;
              return FALSE;
            }
          if (!finished)
            hearth_cpu_forward_from (self, tokens + done, n, hearth_vk_model_get_n_gpu_layers (m->vk));
          memcpy (self->tokens + self->n_past, tokens + done, sizeof (gint32) * n);
          if (finished)
            {
              self->n_past += n;
              done += n;
              continue;
            }
        }
      else
#endif
        {
          hearth_cpu_forward (self, tokens + done, n);
          memcpy (self->tokens + self->n_past, tokens + done, sizeof (gint32) * n);
        }

      if (all_logits)
        hearth_cpu_matmul (m->pool, m->params.reference ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST,
                           m->output.type, m->output.data, m->output.n_rows, m->output.n_cols,
                           self->xn, n, self->logits + done * n_vocab);
      else if (last_chunk)
        hearth_cpu_matmul (m->pool, m->params.reference ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST,
                           m->output.type, m->output.data, m->output.n_rows, m->output.n_cols,
                           self->xn + (gsize) (n - 1) * m->hp.n_embd, 1, self->logits);
      self->n_past += n;
      done += n;
    }
  g_assert (self->n_past == start + n_tokens);
  /* Gemma 2's soft-capping of the logits, whichever backend made them. */
  if (m->hp.final_softcap > 0.0f)
    {
      float c = m->hp.final_softcap;

      for (gsize i = 0; i < (gsize) self->n_logits * n_vocab; i++)
        self->logits[i] = c * tanhf (self->logits[i] / c);
    }
  return TRUE;
}

const float *
hearth_session_get_logits (HearthSession *self,
                           int            i)
{
  if (self->n_logits == 0)
    return NULL;
  if (i < 0)
    i = (int) self->n_logits - 1;
  g_return_val_if_fail ((guint32) i < self->n_logits, NULL);
  return self->logits + (gsize) i * self->model->hp.n_vocab;
}

void
hearth_session_truncate (HearthSession *self,
                         guint32        n_past)
{
  if (n_past >= self->n_past)
    return;
  /* The cache rows past n_past are simply overwritten later. A sliding
   * layer's next query needs the window's positions before n_past: when
   * its ring has overwritten them, nothing before n_past can be kept. */
  if (self->swa_window != 0 && n_past > 0)
    {
      guint32 oldest_held = self->kv_hi > self->swa_rows ? self->kv_hi - self->swa_rows : 0;
      guint32 oldest_needed = n_past >= self->swa_window ? n_past - self->swa_window + 1 : 0;

      if (oldest_needed < oldest_held)
        n_past = 0;
    }
  if (n_past == 0)
    self->kv_hi = 0;
  self->n_past = n_past;
  self->n_logits = 0;
}

guint32
hearth_session_get_kv_rows (HearthSession *self,
                            guint32        il)
{
  g_return_val_if_fail (il < self->model->hp.n_layer, 0);
  return self->kv_rows[il];
}
