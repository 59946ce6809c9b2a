/* hearth-graph-llama.c: the llama-family pass (llama, qwen2, qwen3, mistral, phi3) as a graph
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
 *   head: xn = rms_norm(x) * output_norm (the rows whose logits are wanted)
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-graph.h"

#define DO(call) G_STMT_START { if (!(call)) return FALSE; } G_STMT_END

static HearthView
view (HearthAct act,
      gsize     width)
{
  return (HearthView) { act, 0, width, width, 0 };
}

void
hearth_decoder_views_init (HearthDecoderViews  *vw,
                           const HearthHParams *hp)
{
  gsize q_dim = (gsize) hp->n_head * hp->head_dim;
  gsize k_dim = (gsize) hp->n_head_kv * hp->head_dim;

  vw->x = view (HEARTH_ACT_X, hp->n_embd);
  vw->xn = view (HEARTH_ACT_XN, hp->n_embd);
  vw->q = view (HEARTH_ACT_Q, q_dim);
  vw->k = view (HEARTH_ACT_K, k_dim);
  vw->v = view (HEARTH_ACT_V, (gsize) hp->n_head_kv * hp->head_dim_v);
  vw->attn = view (HEARTH_ACT_ATTN, (gsize) hp->n_head * hp->head_dim_v);
  vw->gate = view (HEARTH_ACT_GATE, hp->n_ff);
  vw->up = view (HEARTH_ACT_UP, hp->n_ff);
  vw->q_heads = (HearthView) { HEARTH_ACT_Q, 0, hp->head_dim, q_dim, 0 };
  vw->k_heads = (HearthView) { HEARTH_ACT_K, 0, hp->head_dim, k_dim, 0 };
}

gboolean
hearth_graph_llama (const HearthGraphOps *ops,
                    gpointer              ctx,
                    const HearthModel    *m,
                    guint32               first_layer,
                    guint32               last_layer,
                    GError              **error)
{
  const HearthHParams *hp = &m->hp;
  HearthDecoderViews vw;

  g_return_val_if_fail (first_layer <= last_layer && last_layer <= hp->n_layer, FALSE);
  hearth_decoder_views_init (&vw, hp);

  if (first_layer == 0)
    DO (ops->embed (ctx, vw.x, error));
  for (guint32 il = first_layer; il < last_layer; il++)
    {
      const HearthLayer *l = &m->layers[il];
      const HearthWeight *qkv[] = { &l->wq, &l->wk, &l->wv };
      const HearthView qkv_out[] = { vw.q, vw.k, vw.v };
      const HearthWeight *gate_up[] = { &l->w_gate, &l->w_up };
      const HearthView gate_up_out[] = { vw.gate, vw.up };

      DO (ops->rms_norm (ctx, vw.x, &l->attn_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 3, qkv, vw.xn, qkv_out, error));
      if (l->bq.data != NULL)
        DO (ops->add_bias (ctx, vw.q, &l->bq, error));
      if (l->bk.data != NULL)
        DO (ops->add_bias (ctx, vw.k, &l->bk, error));
      if (l->bv.data != NULL)
        DO (ops->add_bias (ctx, vw.v, &l->bv, error));
      if (l->q_norm.data != NULL)
        {
          DO (ops->rms_norm (ctx, vw.q_heads, &l->q_norm, vw.q_heads, hp->n_head, hp->rms_eps, error));
          DO (ops->rms_norm (ctx, vw.k_heads, &l->k_norm, vw.k_heads, hp->n_head_kv, hp->rms_eps, error));
        }
      DO (ops->rope (ctx, vw.q, hp->n_head, il, error));
      DO (ops->rope (ctx, vw.k, hp->n_head_kv, il, error));
      DO (ops->attention (ctx, il, error));

      /* x += Wo a; xn is free until the next norm */
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->wo }, vw.attn, &vw.xn, error));
      DO (ops->add (ctx, vw.x, vw.xn, error));

      DO (ops->rms_norm (ctx, vw.x, &l->ffn_norm, vw.xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 2, gate_up, vw.xn, gate_up_out, error));
      DO (ops->silu_mul (ctx, vw.gate, vw.up, error));
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->w_down }, vw.gate, &vw.xn, error));
      DO (ops->add (ctx, vw.x, vw.xn, error));
    }
  return TRUE;
}

HearthGraphBuild
hearth_graph_builder (const HearthModel *m)
{
  return strcmp (m->architecture, "gemma3") == 0 ? hearth_graph_gemma3 : hearth_graph_llama;
}

gboolean
hearth_graph_llama_head (const HearthGraphOps *ops,
                         gpointer              ctx,
                         const HearthModel    *m,
                         HearthView            rows,
                         GError              **error)
{
  HearthView xn = view (HEARTH_ACT_XN, m->hp.n_embd);

  g_return_val_if_fail (rows.act == HEARTH_ACT_X && rows.width == m->hp.n_embd, FALSE);
  xn.n_rows = rows.n_rows;
  DO (ops->rms_norm (ctx, rows, &m->output_norm, xn, 1, m->hp.rms_eps, error));
  if (ops->logits != NULL)
    DO (ops->logits (ctx, rows.n_rows, error));
  return TRUE;
}
