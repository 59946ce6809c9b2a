/* hearth-vk-ops.c: recording the engine's ops
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-ops.h"

#define WG 64
#define MAX_GROUPS 65535u
/* Tokens per workgroup of the mat-mat kernel (NT in matmul.comp). */
#define MATMAT_NT 8
/* Rows per workgroup of the subgroup-per-row mat-vec (SG_ROWS in
 * matmul.comp and matmul_dot.comp): a workgroup of this many subgroups. */
#define HEARTH_VK_SG_ROWS 4

static guint32
groups_for (guint64 n,
            guint32 per_group)
{
  guint64 g = (n + per_group - 1) / per_group;

  return (guint32) CLAMP (g, 1, MAX_GROUPS);
}

static const char *
type_suffix (HearthGgmlType type)
{
  switch (type)
    {
    case HEARTH_GGML_TYPE_F32: return "f32";
    case HEARTH_GGML_TYPE_F16: return "f16";
    case HEARTH_GGML_TYPE_BF16: return "bf16";
    case HEARTH_GGML_TYPE_Q4_0: return "q4_0";
    case HEARTH_GGML_TYPE_Q4_1: return "q4_1";
    case HEARTH_GGML_TYPE_Q5_0: return "q5_0";
    case HEARTH_GGML_TYPE_Q5_1: return "q5_1";
    case HEARTH_GGML_TYPE_Q8_0: return "q8_0";
    case HEARTH_GGML_TYPE_Q2_K: return "q2_k";
    case HEARTH_GGML_TYPE_Q3_K: return "q3_k";
    case HEARTH_GGML_TYPE_Q4_K: return "q4_k";
    case HEARTH_GGML_TYPE_Q5_K: return "q5_k";
    case HEARTH_GGML_TYPE_Q6_K: return "q6_k";
    default: return NULL;
    }
}

static HearthVkKernel *
kernel (HearthVkSequence *seq,
        const char       *base,
        gboolean          has_sg_variant,
        guint             n_bindings,
        guint             push_size,
        guint32           wg,
        GError          **error)
{
  HearthVkContext *ctx = hearth_vk_sequence_get_context (seq);
  g_autofree char *name = NULL;

  if (has_sg_variant && hearth_vk_context_use_subgroup (ctx))
    name = g_strconcat (base, "_sg", NULL);
  else
    name = g_strdup (base);
  return hearth_vk_context_get_kernel (ctx, name, n_bindings, push_size, wg, error);
}

static gboolean
check_type (HearthGgmlType type,
            GError       **error)
{
  const char *name = hearth_ggml_type_name (type);

  if (type_suffix (type) != NULL)
    return TRUE;
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
               "the Vulkan backend has no kernels for tensor type %s", name ? name : "(unknown)");
  return FALSE;
}

gboolean
hearth_vk_int_dot_type (HearthGgmlType type)
{
  switch (type)
    {
    case HEARTH_GGML_TYPE_Q4_0: case HEARTH_GGML_TYPE_Q4_1: case HEARTH_GGML_TYPE_Q5_0:
    case HEARTH_GGML_TYPE_Q5_1: case HEARTH_GGML_TYPE_Q8_0: case HEARTH_GGML_TYPE_Q2_K:
    case HEARTH_GGML_TYPE_Q3_K: case HEARTH_GGML_TYPE_Q4_K: case HEARTH_GGML_TYPE_Q5_K:
    case HEARTH_GGML_TYPE_Q6_K:
      return TRUE;
    default:
      return FALSE;
    }
}

const char *
hearth_vk_matvec_shape (HearthVkContext *ctx)
{
  if (hearth_vk_context_use_row_per_thread (ctx))
    return "rows";
  return hearth_vk_context_use_matvec_sg (ctx) ? "sg" : "wg";
}

/* Bytes of one quantized block of 32 activations (quantize_q8.comp). */
#define Q8_BLOCK_BYTES 48

/* x [n_tokens][x_stride] from x_offset, n_cols wide, to blocks of 32 int8
 * in the sequence's scratch buffer (*q8, [n_tokens][n_cols / 32] blocks). */
static gboolean
quantize_x (HearthVkSequence *seq,
            HearthVkBuffer   *x,
            guint32           x_offset,
            guint32           x_stride,
            guint32           n_cols,
            guint32           n_tokens,
            HearthVkBuffer  **q8,
            GError          **error)
{
  guint32 nb = n_cols / 32;
  struct HearthVkPushQuantize pq = { n_cols, n_tokens, x_offset, x_stride };
  HearthVkBuffer *bufs[2] = { x, NULL };
  HearthVkKernel *k;

  *q8 = hearth_vk_sequence_get_scratch (seq, (gsize) n_tokens * nb * Q8_BLOCK_BYTES, error);
  if (*q8 == NULL)
    return FALSE;
  k = kernel (seq, "quantize_q8", FALSE, 2, sizeof pq, WG, error);
  bufs[1] = *q8;
  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &pq, groups_for (nb, WG), n_tokens, 1, error);
}

/* Records W x for every piece of W: with the f32 kernels when q8 is NULL
 * (x: f32 at x_offset, x_stride), else with the int8 dot-product kernels
 * on q8 (the blocks quantize_x made of x). */
static gboolean
dispatch_matmul (HearthVkSequence     *seq,
                 const HearthVkMatrix *w,
                 HearthVkBuffer       *x,
                 guint32               x_offset,
                 guint32               x_stride,
                 HearthVkBuffer       *q8,
                 HearthVkBuffer       *y,
                 guint32               y_offset,
                 guint32               y_stride,
                 guint32               n_tokens,
                 GError              **error)
{
  HearthVkContext *ctx = hearth_vk_sequence_get_context (seq);
  gboolean vec = n_tokens == 1;
  gboolean rows = hearth_vk_context_use_row_per_thread (ctx);
  /* The subgroup-per-row shape is decode only: the mat-mat kernel keeps its
   * workgroup per row (and per 8 tokens). */
  gboolean sg_rows = vec && hearth_vk_context_use_matvec_sg (ctx);
  /* Rows one workgroup computes, and rows one dispatch covers (at most
   * MAX_GROUPS workgroups). */
  guint32 wg_rows = rows ? WG : sg_rows ? HEARTH_VK_SG_ROWS : 1;
  gint64 dispatch_rows = (gint64) MAX_GROUPS * (sg_rows ? HEARTH_VK_SG_ROWS : 1);
  g_autofree char *base = NULL;
  HearthVkKernel *k;

  base = g_strconcat (vec ? "matvec_" : "matmat_", q8 != NULL ? "dot_" : "", type_suffix (w->type),
                      rows ? "_rows" : sg_rows ? "_sgrow" : NULL, NULL);
  if (sg_rows)
    {
      /* HEARTH_VK_SG_ROWS subgroups of the device's size: the shader
       * copes with another split, so no subgroup-size control is needed. */
      guint32 sg = hearth_vk_context_get_features (ctx)->subgroup_size;

      k = hearth_vk_context_get_kernel (ctx, base, 3, sizeof (struct HearthVkPushMatmul),
                                        MIN (HEARTH_VK_SG_ROWS * sg, 1024), error);
    }
  else
    k = kernel (seq, base, !rows, 3, sizeof (struct HearthVkPushMatmul), WG, error);
  if (k == NULL)
    return FALSE;
  for (guint i = 0; i < w->n_pieces; i++)
    {
      const HearthVkPiece *piece = &w->pieces[i];
      HearthVkBuffer *bufs[3] = { piece->buf, q8 != NULL ? q8 : x, y };

      for (gint64 r = 0; r < piece->n_rows; r += dispatch_rows)
        {
          struct HearthVkPushMatmul p = {
            .n_cols = (guint32) w->n_cols,
            .n_rows = (guint32) piece->n_rows,
            .row_bytes = (guint32) w->row_bytes,
            .row_begin = (guint32) r,
            .out_row0 = (guint32) piece->row0,
            .n_tokens = n_tokens,
            /* the int8 kernels count in blocks of the quantized x */
            .x_offset = q8 != NULL ? 0 : x_offset,
            .x_stride = q8 != NULL ? (guint32) (w->n_cols / 32) : x_stride,
            .y_offset = y_offset,
            .y_stride = y_stride,
          };
          guint32 gx = (guint32) MIN (dispatch_rows, piece->n_rows - r);
          guint32 gy = vec ? 1 : (n_tokens + MATMAT_NT - 1) / MATMAT_NT;

          gx = (gx + wg_rows - 1) / wg_rows;
          if (!hearth_vk_sequence_dispatch (seq, k, bufs, &p, gx, gy, 1, error))
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
hearth_vk_op_matmul_multi (HearthVkSequence            *seq,
                           guint                        n,
                           const HearthVkMatrix *const *w,
                           HearthVkBuffer              *x,
                           guint32                      x_offset,
                           guint32                      x_stride,
                           HearthVkBuffer *const       *y,
                           const guint32               *y_offset,
                           const guint32               *y_stride,
                           guint32                      n_tokens,
                           GError                     **error)
{
  gboolean int_dot = hearth_vk_context_use_int_dot (hearth_vk_sequence_get_context (seq));
  HearthVkBuffer *q8 = NULL;

  for (guint i = 0; i < n; i++)
    {
      if (!check_type (w[i]->type, error))
        return FALSE;
      if (w[i]->n_cols != w[0]->n_cols)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "mat-muls of one x need matrices of one width (%" G_GINT64_FORMAT " and %" G_GINT64_FORMAT ")",
                       w[0]->n_cols, w[i]->n_cols);
          return FALSE;
        }
    }
  for (guint i = 0; i < n; i++)
    {
      gboolean dot = int_dot && hearth_vk_int_dot_type (w[i]->type) && w[i]->n_cols % 32 == 0;

      /* x is quantized once, for the first matrix that wants it; the
       * mat-muls write only their y, so the blocks stay valid for the rest. */
      if (dot && q8 == NULL &&
          !quantize_x (seq, x, x_offset, x_stride, (guint32) w[i]->n_cols, n_tokens, &q8, error))
        return FALSE;
      if (!dispatch_matmul (seq, w[i], x, x_offset, x_stride, dot ? q8 : NULL, y[i], y_offset[i], y_stride[i],
                            n_tokens, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
hearth_vk_op_matmul (HearthVkSequence     *seq,
                     const HearthVkMatrix *w,
                     HearthVkBuffer       *x,
                     guint32               x_offset,
                     guint32               x_stride,
                     HearthVkBuffer       *y,
                     guint32               y_offset,
                     guint32               y_stride,
                     guint32               n_tokens,
                     GError              **error)
{
  return hearth_vk_op_matmul_multi (seq, 1, &w, x, x_offset, x_stride, &y, &y_offset, &y_stride, n_tokens, error);
}

gboolean
hearth_vk_op_get_rows (HearthVkSequence     *seq,
                       const HearthVkMatrix *w,
                       HearthVkBuffer       *ids,
                       guint32               ids_offset,
                       guint32               n_tokens,
                       HearthVkBuffer       *y,
                       guint32               y_offset,
                       guint32               y_stride,
                       GError              **error)
{
  g_autofree char *base = NULL;
  HearthVkKernel *k;
  guint64 items;

  if (!check_type (w->type, error))
    return FALSE;
  /* Work items per row: elements for float types, runs of 32 for quants. */
  items = hearth_ggml_type_info (w->type)->quantized ? (guint64) w->n_cols / 32 : (guint64) w->n_cols;
  base = g_strconcat ("get_rows_", type_suffix (w->type), NULL);
  k = kernel (seq, base, FALSE, 3, sizeof (struct HearthVkPushGetRows), WG, error);
  if (k == NULL)
    return FALSE;
  for (guint i = 0; i < w->n_pieces; i++)
    {
      const HearthVkPiece *piece = &w->pieces[i];
      HearthVkBuffer *bufs[3] = { piece->buf, ids, y };
      struct HearthVkPushGetRows p = {
        .n_cols = (guint32) w->n_cols,
        .row_bytes = (guint32) w->row_bytes,
        .row0 = (guint32) piece->row0,
        .n_rows = (guint32) piece->n_rows,
        .n_tokens = n_tokens,
        .ids_offset = ids_offset,
        .y_offset = y_offset,
        .y_stride = y_stride,
      };

      if (!hearth_vk_sequence_dispatch (seq, k, bufs, &p, groups_for (items, WG), n_tokens, 1, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
hearth_vk_op_rms_norm (HearthVkSequence *seq,
                       HearthVkBuffer   *x,
                       guint32           x_offset,
                       HearthVkBuffer   *w,
                       guint32           w_offset,
                       HearthVkBuffer   *y,
                       guint32           y_offset,
                       guint32           n,
                       guint32           n_rows,
                       float             eps,
                       GError          **error)
{
  HearthVkKernel *k = kernel (seq, "rms_norm", TRUE, 3, sizeof (struct HearthVkPushNorm), WG, error);
  HearthVkBuffer *bufs[3] = { x, w, y };
  struct HearthVkPushNorm p = { n, n_rows, eps, x_offset, w_offset, y_offset };

  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &p, MIN (n_rows, MAX_GROUPS), 1, 1, error);
}

gboolean
hearth_vk_op_rope (HearthVkSequence *seq,
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
                   GError          **error)
{
  HearthVkKernel *k = kernel (seq, "rope", FALSE, 2, sizeof (struct HearthVkPushRope), WG, error);
  HearthVkBuffer *bufs[2] = { x, cs };
  struct HearthVkPushRope p = { n_tokens, n_heads, head_dim, n_rot, neox ? 1 : 0, x_offset, x_stride, cs_offset };

  if (n_rot < 2)
    return TRUE;
  return k != NULL &&
         hearth_vk_sequence_dispatch (seq, k, bufs, &p, groups_for ((guint64) n_tokens * n_heads * (n_rot / 2), WG), 1, 1, error);
}

gboolean
hearth_vk_op_softmax (HearthVkSequence *seq,
                      HearthVkBuffer   *x,
                      guint32           x_offset,
                      guint32           n,
                      guint32           n_rows,
                      float             scale,
                      GError          **error)
{
  HearthVkKernel *k = kernel (seq, "softmax", TRUE, 1, sizeof (struct HearthVkPushSoftmax), WG, error);
  HearthVkBuffer *bufs[1] = { x };
  struct HearthVkPushSoftmax p = { n, n_rows, scale, x_offset };

  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &p, MIN (n_rows, MAX_GROUPS), 1, 1, error);
}

gboolean
hearth_vk_op_binary (HearthVkSequence *seq,
                     HearthVkBinaryOp  op,
                     HearthVkBuffer   *a,
                     guint32           a_offset,
                     HearthVkBuffer   *b,
                     guint32           b_offset,
                     guint32           n_b,
                     HearthVkBuffer   *y,
                     guint32           y_offset,
                     guint32           n,
                     GError          **error)
{
  static const char *const names[] = { "add", "mul", "silu_mul", "gelu_mul" };
  HearthVkKernel *k = kernel (seq, names[op], FALSE, 3, sizeof (struct HearthVkPushBinary), WG, error);
  HearthVkBuffer *bufs[3] = { a, b, y };
  struct HearthVkPushBinary p = { n, n_b, a_offset, b_offset, y_offset, 0.0f };

  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &p, groups_for (n, WG), 1, 1, error);
}

gboolean
hearth_vk_op_scale (HearthVkSequence *seq,
                    HearthVkBuffer   *x,
                    guint32           x_offset,
                    guint32           n,
                    float             c,
                    GError          **error)
{
  HearthVkKernel *k = kernel (seq, "scale", FALSE, 3, sizeof (struct HearthVkPushBinary), WG, error);
  HearthVkBuffer *bufs[3] = { x, x, x };
  struct HearthVkPushBinary p = { n, 1, x_offset, x_offset, x_offset, c };

  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &p, groups_for (n, WG), 1, 1, error);
}

gboolean
hearth_vk_op_copy (HearthVkSequence *seq,
                   HearthVkBuffer   *src,
                   guint32           src_offset,
                   HearthVkBuffer   *dst,
                   guint32           dst_offset,
                   guint32           pos_stride,
                   guint32           rows,
                   HearthVkBuffer   *state,
                   guint32           n,
                   gboolean          dst_f16,
                   GError          **error)
{
  HearthVkKernel *k = kernel (seq, dst_f16 ? "copy_f16" : "copy_f32", FALSE, 3, sizeof (struct HearthVkPushCopy), WG, error);
  HearthVkBuffer *bufs[3] = { src, dst, state };
  struct HearthVkPushCopy p = { n, src_offset, dst_offset, pos_stride, rows };

  g_return_val_if_fail (pos_stride > 0 && rows > 0, FALSE);
  return k != NULL && hearth_vk_sequence_dispatch (seq, k, bufs, &p, groups_for (n, WG), 1, 1, error);
}

guint32
hearth_vk_attention_splits (guint32 n_tokens,
                            guint32 n_kv)
{
  if (n_tokens != 1 || n_kv < 512)
    return 1;
  return MIN (32, n_kv / 256);
}

gboolean
hearth_vk_op_attention (HearthVkSequence             *seq,
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
                        GError                      **error)
{
  guint32 n_head = shape->n_head, n_head_kv = shape->n_head_kv;
  guint32 head_dim = shape->head_dim, head_dim_v = shape->head_dim_v;
  struct HearthVkPushAttention p = {
    .n_tokens = n_tokens, .window = shape->window, .n_head = n_head, .n_head_kv = n_head_kv,
    .head_dim = head_dim, .head_dim_v = head_dim_v, .q_offset = q_offset, .o_offset = o_offset,
    .k_offset = k_offset, .v_offset = v_offset, .scale = shape->scale, .n_split = MAX (n_split, 1),
    .rows = shape->rows, .softcap = shape->softcap,
  };
  HearthVkKernel *kern;

  g_return_val_if_fail (shape->rows > 0, FALSE);
  if (head_dim > 256 || head_dim_v > 256 || n_head_kv == 0 || n_head % n_head_kv != 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "the Vulkan attention kernel takes heads of at most 256 and whole query groups "
                   "(got %u/%u dims, %u/%u heads)", head_dim, head_dim_v, n_head, n_head_kv);
      return FALSE;
    }
  if (p.n_split == 1)
    {
      HearthVkBuffer *bufs[5] = { q, k, v, o, state };

      kern = kernel (seq, kv_f16 ? "attention_f16" : "attention_f32", FALSE, 5, sizeof p, 0, error);
      return kern != NULL && hearth_vk_sequence_dispatch (seq, kern, bufs, &p, n_head, n_tokens, 1, error);
    }
  else
    {
      HearthVkBuffer *bufs[5] = { q, k, v, partial, state };
      HearthVkBuffer *cbufs[2] = { partial, o };
      struct HearthVkPushAttention c = p;

      p.o_offset = 0;
      kern = kernel (seq, kv_f16 ? "attention_split_f16" : "attention_split_f32", FALSE, 5, sizeof p, 0, error);
      if (kern == NULL || !hearth_vk_sequence_dispatch (seq, kern, bufs, &p, n_head, n_tokens, p.n_split, error))
        return FALSE;
      /* The combine kernel reads the partials from offset 0 (its q_offset). */
      c.q_offset = 0;
      kern = kernel (seq, "attention_combine", FALSE, 2, sizeof c, 0, error);
      return kern != NULL && hearth_vk_sequence_dispatch (seq, kern, cbufs, &c, n_head, n_tokens, 1, error);
    }
}
