/* hearth-graph.h: a model's pass described once, over ops that each backend implements
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The design is in GRAPH.md beside this file. A builder (hearth_graph_llama,
 * one per architecture family) walks the model's layers and calls the ops
 * of a backend in order; it knows shapes and the architecture's choices,
 * nothing about where tensors live. A backend's ops either run at once
 * (CPU) or record work to run later (Vulkan): a builder never reads a
 * result back.
 *
 * Activations are the session's per-chunk scratch (HearthAct), seen through
 * views of n_tokens rows (the chunk's tokens); weights are the model's
 * HearthWeight, which each backend maps to its own storage. Offsets,
 * widths and strides are in elements.
 *
 * Threading and ownership: a graph is built on the thread that runs the
 * session's pass, under the model's forward lock (hearth-session.c); ops
 * may use the model's thread pool inside a call. Views are values; the
 * storage belongs to the session (activations, KV cache) or the model
 * (weights), never to the builder. An op returns FALSE with @error set
 * when it cannot record or run; the builder stops at the first failure.
 */
#pragma once

#include "hearth-model-private.h"

G_BEGIN_DECLS

/* The session's per-chunk activations (hearth-session-private.h). */
typedef enum
{
  HEARTH_ACT_X,     /* residual stream [n_embd] */
  HEARTH_ACT_XN,    /* normalised [n_embd], also the scratch of a residual */
  HEARTH_ACT_Q,     /* [n_head * head_dim] */
  HEARTH_ACT_K,     /* this chunk's keys [n_head_kv * head_dim] */
  HEARTH_ACT_V,     /* this chunk's values [n_head_kv * head_dim_v] */
  HEARTH_ACT_ATTN,  /* attention output [n_head * head_dim_v] */
  HEARTH_ACT_GATE,  /* [n_ff] */
  HEARTH_ACT_UP,    /* [n_ff] */
  HEARTH_ACT_COUNT_
} HearthAct;

/* Rows of @width elements, row t at offset + t * stride: @n_rows of them,
 * or (0) one per token of the chunk. */
typedef struct
{
  HearthAct act;
  gsize     offset;
  gsize     width;
  gsize     stride;
  guint32   n_rows;
} HearthView;

/* How many rows @v has in a chunk of @n_tokens. */
static inline guint32
hearth_view_n_rows (HearthView v,
                    guint32    n_tokens)
{
  return v.n_rows != 0 ? v.n_rows : n_tokens;
}

typedef struct
{
  /* x = the embedding rows of the chunk's tokens. */
  gboolean (*embed)       (gpointer ctx, HearthView x, GError **error);
  /* out = in / sqrt (mean (in^2) + eps) * w, per row of in.width; @in may
   * be @out. @rows_per_token > 1 normalises each token's row in pieces of
   * in.width (per-head norms): w then has in.width elements. */
  gboolean (*rms_norm)    (gpointer ctx, HearthView in, const HearthWeight *w, HearthView out,
                           guint32 rows_per_token, float eps, GError **error);
  /* out[i] = W[i] in for i < n (several products of one input: the
   * backend may convert @in once for all of them). */
  gboolean (*matmul)      (gpointer ctx, guint n, const HearthWeight *const *w, HearthView in,
                           const HearthView *out, GError **error);
  /* x += b, b broadcast over the rows (a bias). */
  gboolean (*add_bias)    (gpointer ctx, HearthView x, const HearthWeight *b, GError **error);
  /* Rotates each of @n_heads heads of head_dim in x by the chunk's angles
   * for layer @il (the session's table for positions n_past..; sliding
   * layers have their own rope base, gemma3). */
  gboolean (*rope)        (gpointer ctx, HearthView x, guint32 n_heads, guint32 il, GError **error);
  /* Writes the chunk's keys and values into layer @il's cache at the
   * session's position, then attends: ATTN = softmax (Q K^T / sqrt
   * (head_dim)) V over the positions up to each token's own (and, on a
   * sliding layer, less than its n_swa back). */
  gboolean (*attention)   (gpointer ctx, guint32 il, GError **error);
  /* a += b. */
  gboolean (*add)         (gpointer ctx, HearthView a, HearthView b, GError **error);
  /* gate = silu (gate) * up. */
  gboolean (*silu_mul)    (gpointer ctx, HearthView gate, HearthView up, GError **error);
  /* gate = gelu_tanh (gate) * up (gemma3; NULL where the backend has none). */
  gboolean (*gelu_mul)    (gpointer ctx, HearthView gate, HearthView up, GError **error);
  /* x *= c (gemma3's embedding scale; NULL where the backend has none). */
  gboolean (*scale)       (gpointer ctx, HearthView x, float c, GError **error);
  /* The logits of the first @n_rows rows of XN (NULL: the caller computes
   * them from XN, as the CPU session does for the rows it needs). */
  gboolean (*logits)      (gpointer ctx, guint32 n_rows, GError **error);
} HearthGraphOps;

/* The decoder builders' views of the activations, from the model's shapes:
 * whole rows of each, and q and k one head per row piece (per-head norms). */
typedef struct
{
  HearthView x, xn, q, k, v, attn, gate, up;
  HearthView q_heads, k_heads;
} HearthDecoderViews;

void hearth_decoder_views_init (HearthDecoderViews  *views,
                                const HearthHParams *hp);

/* The llama family (llama, qwen2, qwen3, mistral; phi3, whose fused
 * matrices the loader splits into row views): layers [first_layer,
 * last_layer) of one chunk, with the embedding when first_layer is 0. */
gboolean hearth_graph_llama      (const HearthGraphOps *ops,
                                  gpointer              ctx,
                                  const HearthModel    *model,
                                  guint32               first_layer,
                                  guint32               last_layer,
                                  GError              **error);
/* gemma3: the embedding scaled by sqrt (n_embd); q/k norms; a norm on the
 * attention's and the FFN's outputs before each residual add; a
 * gelu_tanh-gated FFN; sliding layers (their own window and rope base). */
gboolean hearth_graph_gemma3     (const HearthGraphOps *ops,
                                  gpointer              ctx,
                                  const HearthModel    *model,
                                  guint32               first_layer,
                                  guint32               last_layer,
                                  GError              **error);

typedef gboolean (*HearthGraphBuild) (const HearthGraphOps *ops,
                                      gpointer              ctx,
                                      const HearthModel    *model,
                                      guint32               first_layer,
                                      guint32               last_layer,
                                      GError              **error);

/* The builder of @model's architecture. */
HearthGraphBuild hearth_graph_builder (const HearthModel *model);

/* After the last layer: the output norm of the rows @rows of X into the
 * first rows of XN, then ops->logits on them when the backend has it. */
gboolean hearth_graph_llama_head (const HearthGraphOps *ops,
                                  gpointer              ctx,
                                  const HearthModel    *model,
                                  HearthView            rows,
                                  GError              **error);

G_END_DECLS
