/* hearth-cpu-forward.c: the CPU backend's graph ops, and the pass over them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pass itself is the architecture's graph (engine/model/hearth-graph-*.c);
 * these ops run each step at once on the session's scratch. Matrix
 * products go through hearth_cpu_matmul (threaded); attention is threaded
 * over (token, head); the rest is cheap and runs on one thread.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "model/hearth-graph.h"
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
  guint32 n_swa = s->model->layers[job->il].n_swa;
  guint32 rows = s->kv_rows[job->il]; /* position p is in row p % rows */

  for (guint32 item = (guint32) ith; item < n_items; item += (guint32) nth)
    {
      guint32 t = item / hp->n_head;
      guint32 h = item % hp->n_head;
      guint32 kvh = h / group;
      guint32 n_kv = s->n_past + t + 1; /* causal: positions up to this token's own */
      /* A sliding layer sees fewer than n_swa positions back (its own included). */
      guint32 p0 = n_swa != 0 && n_kv > n_swa ? n_kv - n_swa : 0;
      const float *q = s->q + (gsize) t * hp->n_head * hp->head_dim + (gsize) h * hp->head_dim;
      float *out = s->attn + (gsize) t * hp->n_head * hp->head_dim_v + (gsize) h * hp->head_dim_v;
      float max = -INFINITY;
      double sum = 0.0;

      for (guint32 p = p0; p < n_kv; p++)
        {
          gsize base = (gsize) (p % rows) * k_stride + (gsize) kvh * hp->head_dim;

          scores[p] = hearth_cpu_kv_dot (path, f16, q, kcache + base * elem, hp->head_dim) * scale;
          if (hp->attn_softcap > 0.0f)
            scores[p] = hp->attn_softcap * tanhf (scores[p] / hp->attn_softcap);
          max = MAX (max, scores[p]);
        }
      for (guint32 p = p0; p < n_kv; p++)
        {
          scores[p] = expf (scores[p] - max);
          sum += scores[p];
        }
      memset (out, 0, sizeof (float) * hp->head_dim_v);
      for (guint32 p = p0; p < n_kv; p++)
        {
          gsize base = (gsize) (p % rows) * v_stride + (gsize) kvh * hp->head_dim_v;

          hearth_cpu_kv_axpy (path, f16, out, (float) (scores[p] / sum), vcache + base * elem, hp->head_dim_v);
        }
    }
}

/* Rows of the chunk into layer @il's cache from the session's position,
 * round the ring on a sliding layer. */
static void
store_kv (HearthSession *s,
          guint32        il,
          guint32        n)
{
  const HearthHParams *hp = &s->model->hp;
  gsize k_row = (gsize) hp->n_head_kv * hp->head_dim;
  gsize v_row = (gsize) hp->n_head_kv * hp->head_dim_v;
  guint32 rows = s->kv_rows[il];

  for (guint32 t = 0; t < n; t++)
    {
      gsize slot = (s->n_past + t) % rows;
      const float *kc = s->kc + t * k_row;
      const float *vc = s->vc + t * v_row;

      if (s->kv_f32)
        {
          memcpy ((float *) s->k[il] + slot * k_row, kc, sizeof (float) * k_row);
          memcpy ((float *) s->v[il] + slot * v_row, vc, sizeof (float) * v_row);
          continue;
        }
      for (gsize i = 0; i < k_row; i++)
        ((guint16 *) s->k[il])[slot * k_row + i] = hearth_fp32_to_fp16 (kc[i]);
      for (gsize i = 0; i < v_row; i++)
        ((guint16 *) s->v[il])[slot * v_row + i] = hearth_fp32_to_fp16 (vc[i]);
    }
}

/* ---- the ops ---- */

typedef struct
{
  HearthSession *s;
  const gint32  *tokens;
  guint32        n;                       /* tokens in the chunk */
  float         *act[HEARTH_ACT_COUNT_];  /* the session's buffers */
} CpuPass;

static guint32
n_rows (CpuPass    *p,
        HearthView  v)
{
  return hearth_view_n_rows (v, p->n);
}

/* Row @t of @v. */
static float *
row (CpuPass    *p,
     HearthView  v,
     guint32     t)
{
  return p->act[v.act] + v.offset + (gsize) t * v.stride;
}

static gboolean
op_embed (gpointer   ctx,
          HearthView x,
          GError   **error)
{
  CpuPass *p = ctx;
  const HearthWeight *e = &p->s->model->tok_embd;

  for (guint32 t = 0; t < n_rows (p, x); t++)
    hearth_dequantize_row (e->type, (const guint8 *) e->data + (gsize) p->tokens[t] * e->row_bytes, row (p, x, t),
                           (gint64) x.width);
  return TRUE;
}

static gboolean
op_rms_norm (gpointer            ctx,
             HearthView          in,
             const HearthWeight *w,
             HearthView          out,
             guint32             rows_per_token,
             float               eps,
             GError            **error)
{
  CpuPass *p = ctx;

  g_return_val_if_fail (n_rows (p, in) == n_rows (p, out), FALSE);
  for (guint32 t = 0; t < n_rows (p, in); t++)
    for (guint32 h = 0; h < rows_per_token; h++)
      rms_norm (row (p, in, t) + (gsize) h * in.width, w->data, row (p, out, t) + (gsize) h * out.width,
                (gint64) in.width, eps);
  return TRUE;
}

static gboolean
op_matmul (gpointer                   ctx,
           guint                      n,
           const HearthWeight *const *w,
           HearthView                 in,
           const HearthView          *out,
           GError                   **error)
{
  CpuPass *p = ctx;

  for (guint i = 0; i < n; i++)
    {
      /* The kernels take dense rows: every view of this pass is one. */
      g_return_val_if_fail (in.stride == in.width && out[i].stride == out[i].width, FALSE);
      g_return_val_if_fail (n_rows (p, in) == n_rows (p, out[i]), FALSE);
      matmul (p->s, w[i], row (p, in, 0), n_rows (p, in), row (p, out[i], 0));
    }
  return TRUE;
}

static gboolean
op_add_bias (gpointer            ctx,
             HearthView          x,
             const HearthWeight *b,
             GError            **error)
{
  CpuPass *p = ctx;

  g_return_val_if_fail (x.stride == x.width, FALSE);
  add_bias (b, row (p, x, 0), n_rows (p, x), (gint64) x.width);
  return TRUE;
}

static gboolean
op_rope (gpointer   ctx,
         HearthView x,
         guint32    n_heads,
         guint32    il,
         GError   **error)
{
  CpuPass *p = ctx;
  const HearthModel *m = p->s->model;
  const HearthHParams *hp = &m->hp;
  guint32 half = hp->n_rot / 2;
  /* Sliding layers have their own base where the model says so (gemma3). */
  const float *cs = m->layers[il].n_swa != 0 && p->s->rope_cs_swa != NULL ? p->s->rope_cs_swa : p->s->rope_cs;

  for (guint32 t = 0; t < n_rows (p, x); t++)
    rope (hp, row (p, x, t), n_heads, hp->head_dim, cs + (gsize) t * half * 2);
  return TRUE;
}

static gboolean
op_attention (gpointer ctx,
              guint32  il,
              GError **error)
{
  CpuPass *p = ctx;
  HearthSession *s = p->s;
  const HearthHParams *hp = &s->model->hp;
  AttnJob job = { s, il, p->n };

  store_kv (s, il, p->n);
  /* Short attention runs on this thread: waking the pool costs more. */
  if ((gsize) p->n * hp->n_head * (s->n_past + p->n) * hp->head_dim < (1u << 16))
    attention_worker (&job, 0, 1);
  else
    hearth_thread_pool_run (s->model->pool, attention_worker, &job);
  return TRUE;
}

/* The tanh form, as llama.cpp computes it without its F16 table. */
static inline float
gelu_tanh (float x)
{
  const float sqrt_2_over_pi = 0.79788456080286535588f;

  return 0.5f * x * (1.0f + tanhf (sqrt_2_over_pi * x * (1.0f + 0.044715f * x * x)));
}

typedef enum
{
  BINARY_ADD,       /* a += b */
  BINARY_SILU_MUL,  /* a = silu (a) * b */
  BINARY_GELU_MUL,  /* a = gelu_tanh (a) * b */
} BinaryOp;

/* a op= b over a's rows; the op is chosen once per row, not per element. */
static gboolean
binary (CpuPass    *p,
        BinaryOp    op,
        HearthView  a,
        HearthView  b)
{
  g_return_val_if_fail (a.width == b.width, FALSE);
  for (guint32 t = 0; t < n_rows (p, a); t++)
    {
      float *ra = row (p, a, t);
      const float *rb = row (p, b, t);

      switch (op)
        {
        case BINARY_ADD:
          for (gsize i = 0; i < a.width; i++)
            ra[i] += rb[i];
          break;
        case BINARY_SILU_MUL:
          for (gsize i = 0; i < a.width; i++)
            ra[i] = ra[i] / (1.0f + expf (-ra[i])) * rb[i];
          break;
        case BINARY_GELU_MUL:
          for (gsize i = 0; i < a.width; i++)
            ra[i] = gelu_tanh (ra[i]) * rb[i];
          break;
        default:
          g_return_val_if_reached (FALSE);
        }
    }
  return TRUE;
}

static gboolean
op_add (gpointer   ctx,
        HearthView a,
        HearthView b,
        GError   **error)
{
  return binary (ctx, BINARY_ADD, a, b);
}

static gboolean
op_silu_mul (gpointer   ctx,
             HearthView gate,
             HearthView up,
             GError   **error)
{
  return binary (ctx, BINARY_SILU_MUL, gate, up);
}

static gboolean
op_gelu_mul (gpointer   ctx,
             HearthView gate,
             HearthView up,
             GError   **error)
{
  return binary (ctx, BINARY_GELU_MUL, gate, up);
}

static gboolean
op_scale (gpointer   ctx,
          HearthView x,
          float      c,
          GError   **error)
{
  CpuPass *p = ctx;

  for (guint32 t = 0; t < n_rows (p, x); t++)
    {
      float *r = row (p, x, t);

      for (gsize i = 0; i < x.width; i++)
        r[i] *= c;
    }
  return TRUE;
}

static const HearthGraphOps cpu_ops = {
  .embed = op_embed,
  .rms_norm = op_rms_norm,
  .matmul = op_matmul,
  .add_bias = op_add_bias,
  .rope = op_rope,
  .attention = op_attention,
  .add = op_add,
  .silu_mul = op_silu_mul,
  .gelu_mul = op_gelu_mul,
  .scale = op_scale,
};

/* ---- the pass ---- */

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
  CpuPass pass = { s, tokens, n, {
    [HEARTH_ACT_X] = s->x, [HEARTH_ACT_XN] = s->xn, [HEARTH_ACT_Q] = s->q, [HEARTH_ACT_K] = s->kc,
    [HEARTH_ACT_V] = s->vc, [HEARTH_ACT_ATTN] = s->attn, [HEARTH_ACT_GATE] = s->gate, [HEARTH_ACT_UP] = s->up } };
  g_autoptr(GError) error = NULL;

  /* Each token's rope angles, shared by all layers. */
  hearth_rope_fill (m, s->rope_factors, s->n_past, n, s->rope_cs, s->rope_cs_swa);
  /* The CPU ops cannot fail: a failure here is a bug in the graph. The
   * head norms every row: the session takes the logits it needs from XN. */
  if (!hearth_graph_builder (m) (&cpu_ops, &pass, m, first_layer, m->hp.n_layer, &error) ||
      !hearth_graph_llama_head (&cpu_ops, &pass, m, (HearthView) { HEARTH_ACT_X, 0, m->hp.n_embd, m->hp.n_embd, 0 },
                                &error))
    g_critical ("CPU pass: %s", error->message);
}
