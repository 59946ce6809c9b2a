/* hearth-vk-ops.h: the engine's ops, recorded into a sequence
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each call records one or a few dispatches; nothing runs until the
 * sequence is submitted. Offsets, strides and sizes are in elements of the
 * buffer's type (f32 unless said otherwise). Kernel variants are picked from
 * the context's features (subgroup reductions where the device has them).
 */
#pragma once

#include "hearth-vk.h"

G_BEGIN_DECLS

/* Whether @type has int8 dot-product mat-mul kernels (matmul_dot.comp):
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. */
gboolean hearth_vk_int_dot_type (HearthGgmlType type);
/* The decode mat-vec's shape on @ctx: "rows" (a row per invocation, CPU
 * devices), "wg" (a workgroup per row) or "sg" (a subgroup per row); see
 * HearthVkMatvecShape. For reports (bench-matmul's "kernel" field). */
const char *hearth_vk_matvec_shape (HearthVkContext *ctx);

/* Several mat-muls of one x, such as q, k, v or gate, up: y[i] = W[i] x
 * (all W[i] of one width), as hearth_vk_op_matmul each, except that on the
 * int8 path x is quantized once for all of them. No y may be x. */
gboolean hearth_vk_op_matmul_multi (HearthVkSequence            *seq,
                                    guint                        n,
                                    const HearthVkMatrix *const *w,
                                    HearthVkBuffer              *x,
                                    guint32                      x_offset,
                                    guint32                      x_stride,
                                    HearthVkBuffer *const       *y,
                                    const guint32               *y_offset,
                                    const guint32               *y_stride,
                                    guint32                      n_tokens,
                                    GError                     **error);

/* y[t][r] = sum_c W[r][c] x[t][c] for t < n_tokens, r < W->n_rows: the
 * mat-vec kernel for one token, the 8-token mat-mat kernel for more. Where
 * the context uses the int8 dot product (hearth_vk_context_use_int_dot) and
 * the type has such kernels, x is first quantized to blocks of 32 int8 in
 * the sequence's scratch buffer, then multiplied with packed 4x8-bit dot
 * products: results within the int8 rounding of x (1/254 of each block's
 * largest value) of the f32 kernels'. */
gboolean hearth_vk_op_matmul (HearthVkSequence     *seq,
                              const HearthVkMatrix *w,
                              HearthVkBuffer       *x,
                              guint32               x_offset,
                              guint32               x_stride,
                              HearthVkBuffer       *y,
                              guint32               y_offset,
                              guint32               y_stride,
                              guint32               n_tokens,
                              GError              **error);

/* y[t] = row ids[ids_offset + t] of W, dequantized (ids: int32). */
gboolean hearth_vk_op_get_rows (HearthVkSequence     *seq,
                                const HearthVkMatrix *w,
                                HearthVkBuffer       *ids,
                                guint32               ids_offset,
                                guint32               n_tokens,
                                HearthVkBuffer       *y,
                                guint32               y_offset,
                                guint32               y_stride,
                                GError              **error);

/* n_rows rows of n: y = x / sqrt (mean (x^2) + eps) * w; y may be x. */
gboolean hearth_vk_op_rms_norm (HearthVkSequence *seq,
                                HearthVkBuffer   *x,
                                guint32           x_offset,
                                HearthVkBuffer   *w,
                                guint32           w_offset,
                                HearthVkBuffer   *y,
                                guint32           y_offset,
                                guint32           n,
                                guint32           n_rows,
                                float             eps,
                                GError          **error);

/* In place on x: [n_tokens][x_stride], heads of head_dim; cs: [n_tokens][n_rot/2][2]. */
gboolean hearth_vk_op_rope (HearthVkSequence *seq,
                            HearthVkBuffer   *x,
                            guint32           x_offset,
                            guint32           x_stride,
                            HearthVkBuffer   *cs,
                            guint32           cs_offset,
                            guint32           n_tokens,
                            guint32           n_heads,
                            guint32           head_dim,
                            guint32           n_rot,
                            gboolean          neox,
                            GError          **error);

/* In place: rows of n = softmax (row * scale). */
gboolean hearth_vk_op_softmax (HearthVkSequence *seq,
                               HearthVkBuffer   *x,
                               guint32           x_offset,
                               guint32           n,
                               guint32           n_rows,
                               float             scale,
                               GError          **error);

typedef enum
{
  HEARTH_VK_BINARY_ADD,      /* a + b */
  HEARTH_VK_BINARY_MUL,      /* a * b */
  HEARTH_VK_BINARY_SILU_MUL, /* silu (a) * b */
  HEARTH_VK_BINARY_GELU_MUL, /* gelu_tanh (a) * b */
} HearthVkBinaryOp;

/* y[i] = a[i] op b[i % n_b] for i < n. */
gboolean hearth_vk_op_binary (HearthVkSequence *seq,
                              HearthVkBinaryOp  op,
                              HearthVkBuffer   *a,
                              guint32           a_offset,
                              HearthVkBuffer   *b,
                              guint32           b_offset,
                              guint32           n_b,
                              HearthVkBuffer   *y,
                              guint32           y_offset,
                              guint32           n,
                              GError          **error);

/* In place: x[x_offset + i] *= c for i < n. */
gboolean hearth_vk_op_scale (HearthVkSequence *seq,
                             HearthVkBuffer   *x,
                             guint32           x_offset,
                             guint32           n,
                             float             c,
                             GError          **error);

/* The KV-cache store: row r of src (pos_stride elements from src_offset, n
 * elements in all) goes to row (state[0] + r) % rows of dst (from
 * dst_offset), as f16 (dst_f16) or f32. @state is a buffer whose first
 * uint32 is the session's position (n_past), read when the sequence runs;
 * @rows is the cache's: the context, or a sliding layer's ring. */
gboolean hearth_vk_op_copy (HearthVkSequence *seq,
                            HearthVkBuffer   *src,
                            guint32           src_offset,
                            HearthVkBuffer   *dst,
                            guint32           dst_offset,
                            guint32           pos_stride,
                            guint32           rows,
                            HearthVkBuffer   *state,
                            guint32           n,
                            gboolean          dst_f16,
                            GError          **error);

/* An attention's geometry: heads, their sizes, the score scale, the
 * sliding window (key j is seen by query i when i - j < window; 0: every
 * earlier position), the cache's rows (position p is in row p % rows:
 * the context, or a sliding layer's ring) and Gemma 2's soft-capping. */
typedef struct
{
  guint32 n_head, n_head_kv;
  guint32 head_dim, head_dim_v;
  float   scale;
  guint32 window;
  guint32 rows;
  float   softcap;   /* scores become softcap * tanh (score / softcap); 0: not */
} HearthVkAttentionShape;

/* Causal attention of n_tokens queries at positions n_past.. over a cache
 * of positions 0..n_past+n_tokens-1, n_past read from @state[0] when the
 * sequence runs (so a recorded decode step serves every position):
 *   q [n_tokens][n_head][head_dim], o [n_tokens][n_head][head_dim_v] (f32)
 *   k [row][n_head_kv][head_dim], v [row][n_head_kv][head_dim_v] (f16 or f32)
 * With n_split > 1 (decode at long contexts) the positions are cut in n_split
 * ranges computed in parallel into @partial (n_tokens * n_head * n_split *
 * (head_dim_v + 2) floats) and merged; otherwise one fused kernel. */
gboolean hearth_vk_op_attention (HearthVkSequence             *seq,
                                 HearthVkBuffer               *q,
                                 guint32                       q_offset,
                                 HearthVkBuffer               *k,
                                 guint32                       k_offset,
                                 HearthVkBuffer               *v,
                                 guint32                       v_offset,
                                 gboolean                      kv_f16,
                                 HearthVkBuffer               *o,
                                 guint32                       o_offset,
                                 guint32                       n_tokens,
                                 HearthVkBuffer               *state,
                                 const HearthVkAttentionShape *shape,
                                 guint32                       n_split,
                                 HearthVkBuffer               *partial,
                                 GError                      **error);

/* The split count for one query over up to @n_kv positions: 1 below 512
 * positions, then one range per 256 positions, at most 32. */
guint32  hearth_vk_attention_splits (guint32 n_tokens,
                                     guint32 n_kv);

G_END_DECLS
