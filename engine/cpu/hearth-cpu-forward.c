/* hearth-cpu-forward.c: the llama-family forward pass on the CPU
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each chunk of tokens:
 *   x = embd[token]
 *   per layer:  h = rms_norm(x) * attn_norm
 *               q, k, v = Wq h (+bq), Wk h (+bk), Wv h (+bv)
 *               q, k = rms_norm per head (qwen3); rope(q, k)
 *               cache k, v; a = softmax(q k^T / sqrt(d)) v over positions <= own
 *               x += Wo a
 *               h = rms_norm(x) * ffn_norm
 *               x += Wdown (silu(Wgate h) * Wup h)
 *   xn = rms_norm(x) * output_norm
 * Matrix products go through hearth_cpu_matmul (threaded); attention is
 * threaded over (token, head); the rest is cheap and runs on one thread.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "model/hearth-rope.h"
#include "model/hearth-session-private.h"

static void
rms_norm (const float *x,
          const float *weight,
          float       *y,
          gint64       n,
          float        eps)
{
  double sum = 0.0;

  for (gint64 i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  {
    float scale = 1.0f / sqrtf ((float) (sum / (double) n) + eps);
    for (gint64 i = 0; i < n; i++)
      y[i] = x[i] * scale * weight[i];
  }
}

static void
matmul (HearthSession      *s,
        const HearthWeight *w,
        const float        *x,
        guint32             n_tokens,
        float              *y)
{
  const HearthModel *m = s->model;

  hearth_cpu_matmul (m->pool, m->params.reference ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST,
                     w->type, w->data, w->n_rows, w->n_cols, x, n_tokens, y);
}

static void
add_bias (const HearthWeight *b,
          float              *y,
          guint32             n_tokens,
          gint64              n)
{
  const float *bias = b->data;

  if (bias == NULL)
    return;
  for (guint32 t = 0; t < n_tokens; t++)
    for (gint64 i = 0; i < n; i++)
      y[t * n + i] += bias[i];
}

/* Rotates pairs of each head's first n_rot dimensions by the token's angles. */
static void
rope (const HearthHParams *hp,
      float               *x,
      guint32              n_heads,
      guint32              head_dim,
      const float         *cs)
{
  guint32 half = hp->n_rot / 2;

  for (guint32 h = 0; h < n_heads; h++)
    {
      float *v = x + (gsize) h * head_dim;

      for (guint32 i = 0; i < half; i++)
        {
          float c = cs[2 * i], s = cs[2 * i + 1];
          guint32 a = hp->rope_type == HEARTH_ROPE_NEOX ? i : 2 * i;
          guint32 b = hp->rope_type == HEARTH_ROPE_NEOX ? i + half : 2 * i + 1;
          float x0 = v[a], x1 = v[b];

          v[a] = x0 * c - x1 * s;
          v[b] = x0 * s + x1 * c;
        }
    }
}

typedef struct
{
  HearthSession *s;
  guint32        il;
  guint32        n;   /* tokens in the chunk */
} AttnJob;

/* One (token, head) pair per work item, split across the threads. */
static void
attention_worker (void *data,
                  int   ith,
                  int   nth)
{
  AttnJob *job = data;
  HearthSession *s = job->s;
  const HearthHParams *hp = &s->model->hp;
  guint32 group = hp->n_head / hp->n_head_kv;
  gsize k_stride = (gsize) hp->n_head_kv * hp->head_dim;
  gsize v_stride = (gsize) hp->n_head_kv * hp->head_dim_v;
  const guint8 *kcache = s->k[job->il];
  const guint8 *vcache = s->v[job->il];
  gsize elem = s->kv_f32 ? sizeof (float) : sizeof (guint16);
  HearthCpuPath path = s->model->params.reference ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST;
  gboolean f16 = !s->kv_f32;
  float *scores = s->scores + (gsize) ith * s->n_ctx;
  float scale = 1.0f / sqrtf ((float) hp->head_dim);
  guint32 n_items = job->n * hp->n_head;

  for (guint32 item = (guint32) ith; item < n_items; item += (guint32) nth)
    {
      guint32 t = item / hp->n_head;
      guint32 h = item % hp->n_head;
      guint32 kvh = h / group;
      guint32 n_kv = s->n_past + t + 1; /* causal: positions up to this token's own */
      const float *q = s->q + (gsize) t * hp->n_head * hp->head_dim + (gsize) h * hp->head_dim;
      float *out = s->attn + (gsize) t * hp->n_head * hp->head_dim_v + (gsize) h * hp->head_dim_v;
      float max = -INFINITY;
      double sum = 0.0;

      for (guint32 p = 0; p < n_kv; p++)
        {
          gsize base = (gsize) p * k_stride + (gsize) kvh * hp->head_dim;

          scores[p] = hearth_cpu_kv_dot (path, f16, q, kcache + base * elem, hp->head_dim) * scale;
          max = MAX (max, scores[p]);
        }
      for (guint32 p = 0; p < n_kv; p++)
        {
          scores[p] = expf (scores[p] - max);
          sum += scores[p];
        }
      memset (out, 0, sizeof (float) * hp->head_dim_v);
      for (guint32 p = 0; p < n_kv; p++)
        {
          gsize base = (gsize) p * v_stride + (gsize) kvh * hp->head_dim_v;

          hearth_cpu_kv_axpy (path, f16, out, (float) (scores[p] / sum), vcache + base * elem, hp->head_dim_v);
        }
    }
}

static void
store_kv (HearthSession *s,
          guint32        il,
          guint32        n)
{
  const HearthHParams *hp = &s->model->hp;
  gsize k_row = (gsize) hp->n_head_kv * hp->head_dim;
  gsize v_row = (gsize) hp->n_head_kv * hp->head_dim_v;

  if (s->kv_f32)
    {
      memcpy ((float *) s->k[il] + s->n_past * k_row, s->kc, sizeof (float) * n * k_row);
      memcpy ((float *) s->v[il] + s->n_past * v_row, s->vc, sizeof (float) * n * v_row);
      return;
    }
  for (gsize i = 0; i < n * k_row; i++)
    ((guint16 *) s->k[il])[s->n_past * k_row + i] = hearth_fp32_to_fp16 (s->kc[i]);
  for (gsize i = 0; i < n * v_row; i++)
    ((guint16 *) s->v[il])[s->n_past * v_row + i] = hearth_fp32_to_fp16 (s->vc[i]);
}

void
hearth_cpu_forward (HearthSession *s,
                    const gint32  *tokens,
                    guint32        n)
{
  hearth_cpu_forward_from (s, tokens, n, 0);
}

void
hearth_cpu_forward_from (HearthSession *s,
                         const gint32  *tokens,
                         guint32        n,
                         guint32        first_layer)
{
  const HearthModel *m = s->model;
  const HearthHParams *hp = &m->hp;
  gsize n_embd = hp->n_embd;
  gsize q_dim = (gsize) hp->n_head * hp->head_dim;
  gsize k_dim = (gsize) hp->n_head_kv * hp->head_dim;
  gsize v_dim = (gsize) hp->n_head_kv * hp->head_dim_v;
  guint32 half = hp->n_rot / 2;

  /* Embeddings, and each token's rope angles (shared by all layers). */
  for (guint32 t = 0; t < n; t++)
    {
      const guint8 *row = (const guint8 *) m->tok_embd.data + (gsize) tokens[t] * m->tok_embd.row_bytes;

      if (first_layer == 0)
        hearth_dequantize_row (m->tok_embd.type, row, s->x + t * n_embd, (gint64) n_embd);
      for (guint32 i = 0; i < half; i++)
        {
          float theta, mscale;

          hearth_rope_angle (m, i, s->n_past + t, &theta, &mscale);
          s->rope_cs[(t * half + i) * 2] = cosf (theta) * mscale;
          s->rope_cs[(t * half + i) * 2 + 1] = sinf (theta) * mscale;
        }
    }

  for (guint32 il = first_layer; il < hp->n_layer; il++)
    {
      const HearthLayer *l = &m->layers[il];
      AttnJob job = { s, il, n };

      for (guint32 t = 0; t < n; t++)
        rms_norm (s->x + t * n_embd, l->attn_norm.data, s->xn + t * n_embd, (gint64) n_embd, hp->rms_eps);

      matmul (s, &l->wq, s->xn, n, s->q);
      matmul (s, &l->wk, s->xn, n, s->kc);
      matmul (s, &l->wv, s->xn, n, s->vc);
      add_bias (&l->bq, s->q, n, (gint64) q_dim);
      add_bias (&l->bk, s->kc, n, (gint64) k_dim);
      add_bias (&l->bv, s->vc, n, (gint64) v_dim);

      for (guint32 t = 0; t < n; t++)
        {
          float *q = s->q + t * q_dim;
          float *k = s->kc + t * k_dim;

          if (l->q_norm.data != NULL)
            {
              for (guint32 h = 0; h < hp->n_head; h++)
                rms_norm (q + h * hp->head_dim, l->q_norm.data, q + h * hp->head_dim, hp->head_dim, hp->rms_eps);
              for (guint32 h = 0; h < hp->n_head_kv; h++)
                rms_norm (k + h * hp->head_dim, l->k_norm.data, k + h * hp->head_dim, hp->head_dim, hp->rms_eps);
            }
          rope (hp, q, hp->n_head, hp->head_dim, s->rope_cs + (gsize) t * half * 2);
          rope (hp, k, hp->n_head_kv, hp->head_dim, s->rope_cs + (gsize) t * half * 2);
        }

      store_kv (s, il, n);
      /* Short attention runs on this thread: waking the pool costs more. */
      if ((gsize) n * hp->n_head * (s->n_past + n) * hp->head_dim < (1u << 16))
        attention_worker (&job, 0, 1);
      else
        hearth_thread_pool_run (m->pool, attention_worker, &job);

      /* x += Wo a; xn is free until the next norm */
      matmul (s, &l->wo, s->attn, n, s->xn);
      for (gsize i = 0; i < n * n_embd; i++)
        s->x[i] += s->xn[i];

      for (guint32 t = 0; t < n; t++)
        rms_norm (s->x + t * n_embd, l->ffn_norm.data, s->xn + t * n_embd, (gint64) n_embd, hp->rms_eps);
      matmul (s, &l->w_gate, s->xn, n, s->gate);
      matmul (s, &l->w_up, s->xn, n, s->up);
      for (gsize i = 0; i < (gsize) n * hp->n_ff; i++)
        {
          float g = s->gate[i];
          s->gate[i] = g / (1.0f + expf (-g)) * s->up[i];
        }
      matmul (s, &l->w_down, s->gate, n, s->xn);
      for (gsize i = 0; i < n * n_embd; i++)
        s->x[i] += s->xn[i];
    }

  for (guint32 t = 0; t < n; t++)
    rms_norm (s->x + t * n_embd, m->output_norm.data, s->xn + t * n_embd, (gint64) n_embd, hp->rms_eps);
}
