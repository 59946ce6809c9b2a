/* hearth-vk-push.h: push-constant blocks shared by the shaders and the C side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Included by GLSL (where GL_core_profile is defined) and by C. Every field
 * is 32 bits so std430/push-constant layout and the C layout agree; the C
 * side asserts each struct's size. Offsets and strides are in elements.
 */
#ifndef HEARTH_VK_PUSH_H
#define HEARTH_VK_PUSH_H

#ifdef GL_core_profile
#define HVK_U32 uint
#define HVK_F32 float
#else
#include <stdint.h>
#define HVK_U32 uint32_t
#define HVK_F32 float
#endif

/* y[t][out_row0 + r] = sum_c W[r][c] * x[t][c], r < n_rows of one weight piece */
struct HearthVkPushMatmul
{
  HVK_U32 n_cols;
  HVK_U32 n_rows;
  HVK_U32 row_bytes;
  HVK_U32 row_begin;   /* first row of this dispatch within the piece */
  HVK_U32 out_row0;    /* y column of the piece's first row */
  HVK_U32 n_tokens;
  HVK_U32 x_offset;
  HVK_U32 x_stride;
  HVK_U32 y_offset;
  HVK_U32 y_stride;
};

/* q[t] = x[x_offset + t * x_stride + 0..n_cols) as blocks of 32 int8
 * (quantize_q8.comp; the block layout is described there) */
struct HearthVkPushQuantize
{
  HVK_U32 n_cols;
  HVK_U32 n_tokens;
  HVK_U32 x_offset;
  HVK_U32 x_stride;
};

/* y[t][0..n_cols) = dequant (W[ids[t] - row0]) for the ids inside this piece */
struct HearthVkPushGetRows
{
  HVK_U32 n_cols;
  HVK_U32 row_bytes;
  HVK_U32 row0;
  HVK_U32 n_rows;
  HVK_U32 n_tokens;
  HVK_U32 ids_offset;
  HVK_U32 y_offset;
  HVK_U32 y_stride;
};

/* rows of n: y = x / sqrt (mean (x^2) + eps) * w */
struct HearthVkPushNorm
{
  HVK_U32 n;
  HVK_U32 n_rows;
  HVK_F32 eps;
  HVK_U32 x_offset;
  HVK_U32 w_offset;
  HVK_U32 y_offset;
};

/* pairs of each head's first n_rot dims rotated by cs[t][i] = (cos, sin) */
struct HearthVkPushRope
{
  HVK_U32 n_tokens;
  HVK_U32 n_heads;
  HVK_U32 head_dim;
  HVK_U32 n_rot;
  HVK_U32 neox;
  HVK_U32 x_offset;
  HVK_U32 x_stride;
  HVK_U32 cs_offset;
};

/* rows of n: x = softmax (x * scale), in place */
struct HearthVkPushSoftmax
{
  HVK_U32 n;
  HVK_U32 n_rows;
  HVK_F32 scale;
  HVK_U32 x_offset;
};

/* y[i] = a[i] op b[i % n_b], i < n (OP_SCALE: a[i] * c) */
struct HearthVkPushBinary
{
  HVK_U32 n;
  HVK_U32 n_b;
  HVK_U32 a_offset;
  HVK_U32 b_offset;
  HVK_U32 y_offset;
  HVK_F32 c;
};

/* Row r of src (pos_stride elements, n in all) goes to row (pos + r) %
 * rows of dst, converted to the cache type; pos (the session's n_past) is
 * read from a buffer so a recorded decode step stays valid as the position
 * moves. rows is the cache's: the context, or a sliding layer's ring. */
struct HearthVkPushCopy
{
  HVK_U32 n;
  HVK_U32 src_offset;
  HVK_U32 dst_offset;
  HVK_U32 pos_stride;
  HVK_U32 rows;
};

/* causal attention of n_tokens queries at positions n_past.. over the
 * cache; n_past is read from a buffer (see HearthVkPushCopy) */
struct HearthVkPushAttention
{
  HVK_U32 n_tokens;
  HVK_U32 window;      /* sliding: key j seen by query i when i - j < window; 0: all */
  HVK_U32 n_head;
  HVK_U32 n_head_kv;
  HVK_U32 head_dim;
  HVK_U32 head_dim_v;
  HVK_U32 q_offset;
  HVK_U32 o_offset;
  HVK_U32 k_offset;
  HVK_U32 v_offset;
  HVK_F32 scale;
  HVK_U32 n_split;     /* split-K: position ranges per (token, head) */
  HVK_U32 rows;        /* cache rows: position p is in row p % rows */
  HVK_F32 softcap;     /* scores become softcap * tanh (score / softcap); 0: as they are */
};

/* bandwidth probe: reads src[0..n_vec4) (uvec4) and writes one 32-bit sum of
 * every word its workgroup read to dst[dst_offset + workgroup id] */
struct HearthVkPushBandwidth
{
  HVK_U32 n_vec4;
  HVK_U32 dst_offset;
};

#endif
