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

gboolean
hearth_graph_llama (const HearthGraphOps *ops,
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
  /* One head per row piece, for the per-head norms. */
  HearthView q_heads = { HEARTH_ACT_Q, 0, hp->head_dim, q_dim, 0 };
  HearthView k_heads = { HEARTH_ACT_K, 0, hp->head_dim, k_dim, 0 };

  g_return_val_if_fail (first_layer <= last_layer && last_layer <= hp->n_layer, FALSE);

  if (first_layer == 0)
    DO (ops->embed (ctx, x, error));
  for (guint32 il = first_layer; il < last_layer; il++)
    {
      const HearthLayer *l = &m->layers[il];
      const HearthWeight *qkv[] = { &l->wq, &l->wk, &l->wv };
      const HearthView qkv_out[] = { q, k, v };
      const HearthWeight *gate_up[] = { &l->w_gate, &l->w_up };
      const HearthView gate_up_out[] = { gate, up };

      DO (ops->rms_norm (ctx, x, &l->attn_norm, xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 3, qkv, xn, qkv_out, error));
      if (l->bq.data != NULL)
        DO (ops->add_bias (ctx, q, &l->bq, error));
      if (l->bk.data != NULL)
        DO (ops->add_bias (ctx, k, &l->bk, error));
      if (l->bv.data != NULL)
        DO (ops->add_bias (ctx, v, &l->bv, error));
      if (l->q_norm.data != NULL)
        {
          DO (ops->rms_norm (ctx, q_heads, &l->q_norm, q_heads, hp->n_head, hp->rms_eps, error));
          DO (ops->rms_norm (ctx, k_heads, &l->k_norm, k_heads, hp->n_head_kv, hp->rms_eps, error));
        }
      DO (ops->rope (ctx, q, hp->n_head, il, error));
      DO (ops->rope (ctx, k, hp->n_head_kv, il, error));
      DO (ops->attention (ctx, il, error));

      /* x += Wo a; xn is free until the next norm */
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->wo }, attn, &xn, error));
      DO (ops->add (ctx, x, xn, error));

      DO (ops->rms_norm (ctx, x, &l->ffn_norm, xn, 1, hp->rms_eps, error));
      DO (ops->matmul (ctx, 2, gate_up, xn, gate_up_out, error));
      DO (ops->silu_mul (ctx, gate, up, error));
      DO (ops->matmul (ctx, 1, (const HearthWeight *const[]) { &l->w_down }, gate, &xn, error));
      DO (ops->add (ctx, x, xn, error));
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
