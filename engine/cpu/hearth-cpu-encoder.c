/* hearth-cpu-encoder.c: the bert / nomic-bert encoder pass on the CPU
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One pass runs several texts packed into one token matrix:
 *   x = embd[token] + types[0] (+ pos[position in its text], bert)
 *   x = LN(x) (token_embd_norm)
 *   per layer:  q, k, v = Wq x + bq, ... (bert) or split(Wqkv x) + NEOX rope (nomic)
 *               a = softmax(q k^T / sqrt(d)) v over the tokens of the same text only
 *               x = LN(x + Wo a (+ bo))
 *               f = Wdown gelu(Wup x + bup) + bdown (bert) or Wdown (silu(Wgate x) * Wup x) (nomic)
 *               x = LN(x + f)
 * Every matrix product covers the whole packed batch (matrix-matrix work
 * through hearth_cpu_matmul); the per-sequence masks live in the attention,
 * which never looks past its text's bounds, so a text's result does not
 * depend on its companions. The reference model parameter selects the scalar
 * kernels; the fast path always uses the matrix-matrix kernels, whose
 * per-token results do not depend on the batch (HEARTH_CPU_PATH_FAST_MM).
 * LayerNorm accumulates in double; GELU is the tanh form.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "model/hearth-model-private.h"
#include "model/hearth-rope.h"

typedef struct
{
  HearthModel   *m;
  HearthCpuPath  path;
  guint32        n;          /* tokens in the pass */
  const guint32 *seq_start;  /* n_seqs + 1 */
  const guint32 *seq_of;     /* per token: its sequence */
  float         *x, *t, *q, *k, *v, *attn, *up, *gate;
  gsize          qkv_stride; /* floats between the rows of q, k and v */
  float         *scores;     /* n_threads x n_ctx */
  guint32        n_ctx;
  /* per step */
  const HearthWeight *norm_w, *norm_b;
  int            act;        /* 0 gelu (bert), 1 swiglu (nomic) */
} Encode;

static void
matmul (Encode             *e,
        const HearthWeight *w,
        const float        *x,
        float              *y)
{
  hearth_cpu_matmul (e->m->pool, e->path, w->type, w->data, w->n_rows, w->n_cols, x, e->n, y);
}

static void
add_bias (const HearthWeight *b,
          float              *y,
          guint32             n,
          gsize               stride)
{
  const float *bias = b->data;

  if (bias == NULL)
    return;
  for (guint32 t = 0; t < n; t++)
    for (gint64 i = 0; i < b->n_cols; i++)
      y[t * stride + i] += bias[i];
}

static void
layer_norm (float       *x,
            const float *w,
            const float *b,
            gsize        n,
            float        eps)
{
  double mean = 0.0, var = 0.0;
  float scale;

  for (gsize i = 0; i < n; i++)
    mean += x[i];
  mean /= (double) n;
  for (gsize i = 0; i < n; i++)
    {
      double d = x[i] - mean;
      var += d * d;
    }
  var /= (double) n;
  scale = (float) (1.0 / sqrt (var + eps));
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (x[i] - mean) * scale * w[i] + b[i];
}

/* x = LN(x + t) per token, split over the threads by token. */
static void
residual_norm_task (void *data,
                    int   ith,
                    int   nth)
{
  Encode *e = data;
  gsize n_embd = e->m->hp.n_embd;

  for (guint32 tok = (guint32) ith; tok < e->n; tok += (guint32) nth)
    {
      float *x = e->x + tok * n_embd;
      const float *t = e->t + tok * n_embd;

      for (gsize i = 0; i < n_embd; i++)
        x[i] += t[i];
      layer_norm (x, e->norm_w->data, e->norm_b->data, n_embd, e->m->hp.rms_eps);
    }
}

static void
residual_norm (Encode             *e,
               const HearthWeight *w,
               const HearthWeight *b)
{
  e->norm_w = w;
  e->norm_b = b;
  hearth_thread_pool_run (e->n > 4 ? e->m->pool : NULL, residual_norm_task, e);
}

static inline float
gelu_tanh (float x)
{
  const float k = 0.7978845608028654f; /* sqrt(2/pi) */

  return 0.5f * x * (1.0f + tanhf (k * x * (1.0f + 0.044715f * x * x)));
}

static void
activation_task (void *data,
                 int   ith,
                 int   nth)
{
  Encode *e = data;
  gsize n_ff = e->m->hp.n_ff;
  gsize total = (gsize) e->n * n_ff;
  gsize begin = total * (gsize) ith / (gsize) nth;
  gsize end = total * (gsize) (ith + 1) / (gsize) nth;

  if (e->act == 0)
    for (gsize i = begin; i < end; i++)
      e->up[i] = gelu_tanh (e->up[i]);
  else
    for (gsize i = begin; i < end; i++)
      {
        float g = e->gate[i];
        e->up[i] *= g / (1.0f + expf (-g));
      }
}

/* One (token, head) pair per item; keys and values of the token's own text. */
static void
attention_task (void *data,
                int   ith,
                int   nth)
{
  Encode *e = data;
  const HearthHParams *hp = &e->m->hp;
  guint32 hd = hp->head_dim;
  float *scores = e->scores + (gsize) ith * e->n_ctx;
  float scale = 1.0f / sqrtf ((float) hd);
  guint32 n_items = e->n * hp->n_head;

  for (guint32 item = (guint32) ith; item < n_items; item += (guint32) nth)
    {
      guint32 t = item / hp->n_head;
      guint32 h = item % hp->n_head;
      guint32 s0 = e->seq_start[e->seq_of[t]];
      guint32 s1 = e->seq_start[e->seq_of[t] + 1];
      const float *q = e->q + t * e->qkv_stride + (gsize) h * hd;
      float *out = e->attn + (gsize) t * hp->n_embd + (gsize) h * hd;
      float max = -INFINITY;
      double sum = 0.0;

      for (guint32 p = s0; p < s1; p++)
        {
          scores[p - s0] = hearth_cpu_kv_dot (e->path, FALSE, q, e->k + p * e->qkv_stride + (gsize) h * hd, hd) * scale;
          max = MAX (max, scores[p - s0]);
        }
      for (guint32 p = s0; p < s1; p++)
        {
          scores[p - s0] = expf (scores[p - s0] - max);
          sum += scores[p - s0];
        }
      memset (out, 0, sizeof (float) * hd);
      for (guint32 p = s0; p < s1; p++)
        hearth_cpu_kv_axpy (e->path, FALSE, out, (float) (scores[p - s0] / sum),
                            e->v + p * e->qkv_stride + (gsize) h * hd, hd);
    }
}

void
hearth_cpu_encode (HearthModel    *m,
                   const gint32   *tokens,
                   const guint32  *seq_start,
                   guint32         n_seqs,
                   float          *hidden)
{
  const HearthHParams *hp = &m->hp;
  const HearthEncoder *enc = m->encoder;
  gboolean nomic = enc->kind == HEARTH_ENCODER_NOMIC;
  guint32 n = seq_start[n_seqs];
  gsize n_embd = hp->n_embd;
  guint32 half = hp->n_rot / 2;
  int n_threads = hearth_thread_pool_get_n_threads (m->pool);
  g_autofree float *tmp = g_new (float, n_embd);
  g_autofree guint32 *seq_of = g_new (guint32, MAX (n, 1));
  g_autofree float *rope_cs = NULL;
  Encode e = {
    .m = m,
    .path = m->params.reference ? HEARTH_CPU_PATH_REFERENCE : HEARTH_CPU_PATH_FAST_MM,
    .n = n,
    .seq_start = seq_start,
    .seq_of = seq_of,
    .x = hidden,
    .n_ctx = hp->n_ctx_train,
    .act = nomic ? 1 : 0,
  };
  g_autofree float *t_buf = g_new (float, (gsize) n * n_embd);
  g_autofree float *qkv = g_new (float, (gsize) n * n_embd * 3);
  g_autofree float *attn = g_new (float, (gsize) n * n_embd);
  g_autofree float *up = g_new (float, (gsize) n * hp->n_ff);
  g_autofree float *gate = nomic ? g_new (float, (gsize) n * hp->n_ff) : NULL;
  g_autofree float *scores = g_new (float, (gsize) n_threads * hp->n_ctx_train);

  e.t = t_buf;
  e.attn = attn;
  e.up = up;
  e.gate = gate;
  e.scores = scores;
  for (guint32 s = 0; s < n_seqs; s++)
    for (guint32 t = seq_start[s]; t < seq_start[s + 1]; t++)
      seq_of[t] = s;

  /* Embeddings: token + type 0 (+ position within the text), then LN. */
  hearth_dequantize_row (enc->tok_types.type, enc->tok_types.data, tmp, (gint64) n_embd);
  for (guint32 t = 0; t < n; t++)
    {
      float *x = hidden + t * n_embd;

      hearth_dequantize_row (m->tok_embd.type, (const guint8 *) m->tok_embd.data + (gsize) tokens[t] * m->tok_embd.row_bytes,
                             x, (gint64) n_embd);
      for (gsize i = 0; i < n_embd; i++)
        x[i] += tmp[i];
      if (enc->pos_embd.data != NULL)
        {
          guint32 pos = t - seq_start[seq_of[t]];
          float *p = t_buf; /* free until the first layer */

          hearth_dequantize_row (enc->pos_embd.type,
                                 (const guint8 *) enc->pos_embd.data + (gsize) pos * enc->pos_embd.row_bytes,
                                 p, (gint64) n_embd);
          for (gsize i = 0; i < n_embd; i++)
            x[i] += p[i];
        }
      layer_norm (x, enc->embd_norm.data, enc->embd_norm_b.data, n_embd, hp->rms_eps);
    }

  if (nomic)
    {
      /* The angles of every position a text can have (shared by all layers). */
      rope_cs = g_new (float, (gsize) hp->n_ctx_train * half * 2);
      for (guint32 pos = 0; pos < hp->n_ctx_train; pos++)
        for (guint32 i = 0; i < half; i++)
          {
            float theta, mscale;

            hearth_rope_angle (m, i, pos, &theta, &mscale);
            rope_cs[((gsize) pos * half + i) * 2] = cosf (theta) * mscale;
            rope_cs[((gsize) pos * half + i) * 2 + 1] = sinf (theta) * mscale;
          }
      e.q = qkv;
      e.k = qkv + n_embd;
      e.v = qkv + 2 * n_embd;
      e.qkv_stride = 3 * n_embd;
    }
  else
    {
      e.q = qkv;
      e.k = qkv + (gsize) n * n_embd;
      e.v = qkv + (gsize) 2 * n * n_embd;
      e.qkv_stride = n_embd;
    }

  for (guint32 il = 0; il < hp->n_layer; il++)
    {
      const HearthEncoderLayer *l = &enc->layers[il];

      if (nomic)
        {
          matmul (&e, &l->wqkv, hidden, qkv);
          for (guint32 t = 0; t < n; t++)
            {
              const float *cs = rope_cs + (gsize) (t - seq_start[seq_of[t]]) * half * 2;

              for (int which = 0; which < 2; which++)
                {
                  float *row = qkv + (gsize) t * 3 * n_embd + (gsize) which * n_embd;

                  for (guint32 h = 0; h < hp->n_head; h++)
                    {
                      float *v = row + (gsize) h * hp->head_dim;

                      for (guint32 i = 0; i < half; i++)
                        {
                          float c = cs[2 * i], s = cs[2 * i + 1];
                          float x0 = v[i], x1 = v[i + half];

                          v[i] = x0 * c - x1 * s;
                          v[i + half] = x0 * s + x1 * c;
                        }
                    }
                }
            }
        }
      else
        {
          matmul (&e, &l->wq, hidden, e.q);
          matmul (&e, &l->wk, hidden, e.k);
          matmul (&e, &l->wv, hidden, e.v);
          add_bias (&l->bq, e.q, n, n_embd);
          add_bias (&l->bk, e.k, n, n_embd);
          add_bias (&l->bv, e.v, n, n_embd);
        }

      if ((gsize) n * hp->n_head * hp->n_ctx_train * hp->head_dim < (1u << 16))
        attention_task (&e, 0, 1);
      else
        hearth_thread_pool_run (m->pool, attention_task, &e);

      matmul (&e, &l->wo, attn, t_buf);
      add_bias (&l->bo, t_buf, n, n_embd);
      residual_norm (&e, &l->attn_norm, &l->attn_norm_b);

      matmul (&e, &l->w_up, hidden, up);
      add_bias (&l->b_up, up, n, hp->n_ff);
      if (nomic)
        matmul (&e, &l->w_gate, hidden, gate);
      hearth_thread_pool_run ((gsize) n * hp->n_ff > 65536 ? m->pool : NULL, activation_task, &e);
      matmul (&e, &l->w_down, up, t_buf);
      add_bias (&l->b_down, t_buf, n, n_embd);
      residual_norm (&e, &l->out_norm, &l->out_norm_b);
    }
}
