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

gboolean
hearth_graph_gemma3 (const HearthGraphOps *ops,
                     gpointer              ctx,
                     const HearthModel    *m,
                     guint32               first_layer,
                     guint32               last_layer,
                     GError              **error)
{
  const HearthHParams *hp = &m->hp;
  HearthDecoderViews vw;

  g_return_val_if_fail (first_layer <= last_layer && last_layer <= hp->n_layer, FALSE);
  if (ops->gelu_mul == NULL || ops->scale == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "this backend cannot run gemma3 yet");
      return FALSE;
    }

  hearth_decoder_views_init (&vw, hp);
  if (first_layer == 0)
    {
      DO (ops->embed (ctx, vw.x, error));
      DO (ops->scale (ctx, vw.x, hp->embd_scale, error));
    }
  for (guint32 il = first_layer; il < last_layer; il++)
    {
      const HearthLayer *l = &m->layers[il];
      const HearthWeight *qkv[] = { &l->wq, &l->wk, &l->wv };
      const HearthView qkv_out[] = { vw.q, vw.k, vw.v };
      const HearthWeight *gate_up[] = { &l->w_gate, &l->w_up };
      const HearthView gate_up_out[] = { vw.gate, vw.up };

      DO (ops->rms_norm (ctx, vw.x, &l->attn_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 3, qkv, vw.xn, qkv_out, error));
      DO (ops->rms_norm (ctx, vw.q_heads, &l->q_norm, vw.q_heads, hp->n_head, hp->rms_eps, error));
      DO (ops->rms_norm (ctx, vw.k_heads, &l->k_norm, vw.k_heads, hp->n_head_kv, hp->rms_eps, error));
      DO (ops->rope (ctx, vw.q, hp->n_head, il, error));
      DO (ops->rope (ctx, vw.k, hp->n_head_kv, il, error));
      DO (ops->attention (ctx, il, error));

      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->wo }, vw.attn, &vw.xn, error));
      DO (ops->rms_norm (ctx, vw.xn, &l->post_attn_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->add (ctx, vw.x, vw.xn, error));

      DO (ops->rms_norm (ctx, vw.x, &l->ffn_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 2, gate_up, vw.xn, gate_up_out, error));
      DO (ops->gelu_mul (ctx, vw.gate, vw.up, error));
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->w_down }, vw.gate, &vw.xn, error));
      DO (ops->rms_norm (ctx, vw.xn, &l->post_ffw_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->add (ctx, vw.x, vw.xn, error));
    }
  return TRUE;
}
