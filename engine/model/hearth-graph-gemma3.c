/* hearth-graph-gemma3.c: the Gemma 3 pass as a graph
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each chunk of tokens (llama.cpp's semantics; the norms' weights are
 * used as the GGUF stores them, Gemma's 1 + w already folded in):
 *   x = embd[token] * sqrt(n_embd)
 *   per layer:  h = rms_norm(x) * attn_norm
 *               q, k, v = Wq h, Wk h, Wv h; q, k = rms_norm per head; rope(q, k)
 *                 (sliding layers: their own rope base)
 *               cache k, v; a = softmax(q k^T / sqrt(head_dim)) v over positions <= own
 *                 (sliding layers: and fewer than n_swa back)
 *               x += rms_norm(Wo a) * post_attention_norm
 *               h = rms_norm(x) * ffn_norm
 *               x += rms_norm(Wdown (gelu_tanh(Wgate h) * Wup h)) * post_ffw_norm
 *   head: xn = rms_norm(x) * output_norm; logits from the tied embedding
 */
#include "hearth-config.h"

#include "hearth-engine-error.h"
#include "hearth-graph.h"

#define DO(call) G_STMT_START { if (!(call)) return FALSE; } G_STMT_END

static HearthView
view (HearthAct act,
      gsize     width)
{
  return (HearthView) { act, 0, width, width, 0 };
}

gboolean
hearth_graph_gemma3 (const HearthGraphOps *ops,
                     gpointer              ctx,
                     const HearthModel    *m,
                     guint32               first_layer,
                     guint32               last_layer,
                     GError              **error)
{
  const HearthHParams *hp = &m->hp;
  gsize q_dim = (gsize) hp->n_head * hp->head_dim;
  gsize k_dim = (gsize) hp->n_head_kv * hp->head_dim;
  HearthView x = view (HEARTH_ACT_X, hp->n_embd);
  HearthView xn = view (HEARTH_ACT_XN, hp->n_embd);
  HearthView q = view (HEARTH_ACT_Q, q_dim);
  HearthView k = view (HEARTH_ACT_K, k_dim);
  HearthView v = view (HEARTH_ACT_V, (gsize) hp->n_head_kv * hp->head_dim_v);
  HearthView attn = view (HEARTH_ACT_ATTN, (gsize) hp->n_head * hp->head_dim_v);
  HearthView gate = view (HEARTH_ACT_GATE, hp->n_ff);
  HearthView up = view (HEARTH_ACT_UP, hp->n_ff);
  HearthView q_heads = { HEARTH_ACT_Q, 0, hp->head_dim, q_dim, 0 };
  HearthView k_heads = { HEARTH_ACT_K, 0, hp->head_dim, k_dim, 0 };

  g_return_val_if_fail (first_layer <= last_layer && last_layer <= hp->n_layer, FALSE);
  if (ops->gelu_mul == NULL || ops->scale == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "this backend cannot run gemma3 yet");
      return FALSE;
    }

  if (first_layer == 0)
    {
      DO (ops->embed (ctx, x, error));
      DO (ops->scale (ctx, x, hp->embd_scale, error));
    }
  for (guint32 il = first_layer; il < last_layer; il++)
    {
      const HearthLayer *l = &m->layers[il];
      const HearthWeight *qkv[] = { &l->wq, &l->wk, &l->wv };
      const HearthView qkv_out[] = { q, k, v };
      const HearthWeight *gate_up[] = { &l->w_gate, &l->w_up };
      const HearthView gate_up_out[] = { gate, up };

      DO (ops->rms_norm (ctx, x, &l->attn_norm, xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 3, qkv, xn, qkv_out, error));
      DO (ops->rms_norm (ctx, q_heads, &l->q_norm, q_heads, hp->n_head, hp->rms_eps, error));
      DO (ops->rms_norm (ctx, k_heads, &l->k_norm, k_heads, hp->n_head_kv, hp->rms_eps, error));
      DO (ops->rope (ctx, q, hp->n_head, il, error));
      DO (ops->rope (ctx, k, hp->n_head_kv, il, error));
      DO (ops->attention (ctx, il, error));

      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->wo }, attn, &xn, error));
      DO (ops->rms_norm (ctx, xn, &l->post_attn_norm, xn, 1, hp->rms_eps, error));
      DO (ops->add (ctx, x, xn, error));

      DO (ops->rms_norm (ctx, x, &l->ffn_norm, xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 2, gate_up, xn, gate_up_out, error));
      DO (ops->gelu_mul (ctx, gate, up, error));
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->w_down }, gate, &xn, error));
      DO (ops->rms_norm (ctx, xn, &l->post_ffw_norm, xn, 1, hp->rms_eps, error));
      DO (ops->add (ctx, x, xn, error));
    }
  return TRUE;
}
