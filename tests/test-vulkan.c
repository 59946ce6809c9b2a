/* test-vulkan.c: the Vulkan layer and every op against the CPU reference
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on whatever device the layer picks (lavapipe in CI). The reference
 * for every op is a plain loop here in double precision, fed with weights
 * dequantized by the CPU's exact hearth_dequantize_row. Tolerances, stated
 * per check below, allow for float accumulation in another order and for
 * fused multiply-adds on the device, nothing more:
 *   get_rows:  |gpu - ref| <= 1e-6 * max |row|  (dequantization is exact
 *              up to FMA rounding of d * q - m)
 *   matmul:    |gpu - ref| <= 2e-5 * sum_c |w_c x_c| + 1e-6
 *   int8 matmul: the same plus the int8 rounding of x, bounded per block of
 *              32 by max |x| / 254 * sum |w| (check_matmul_full)
 *   norm, rope, softmax, add, mul, silu*mul: relative 1e-5 (+1e-6 absolute)
 *   KV copy:   f32 exact; f16 within one unit in the last place of the CPU's
 *              round-to-nearest-even conversion
 *   attention: |gpu - ref| <= 1e-4 (f32 cache) of values of magnitude ~1,
 *              on the cache contents the device holds
 * The pipeline cache lives in a temporary $XDG_CACHE_HOME made for this run
 * (hearth-test-vulkan.c), so pipelines built by one test are reused by the next.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-cpu.h"
#include "hearth-engine.h"
#include "hearth-test.h"
#include "hearth-test-vulkan.h"
#include "hearth-vk-ops.h"
#include "hearth-vk-private.h"

/* The sanitizer build (hearth_test_sanitized) checks the host side, which
 * is the same for every type: it runs the first 4 of each list (a float, a
 * block and two K-quant types); the shaders, which ASan does not see, are
 * checked type by type in the plain build. */
static const HearthGgmlType all_types[] = {
  HEARTH_GGML_TYPE_F16, HEARTH_GGML_TYPE_Q4_0, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q6_K,
  HEARTH_GGML_TYPE_F32, HEARTH_GGML_TYPE_BF16, HEARTH_GGML_TYPE_Q4_1, HEARTH_GGML_TYPE_Q5_0,
  HEARTH_GGML_TYPE_Q5_1, HEARTH_GGML_TYPE_Q8_0, HEARTH_GGML_TYPE_Q2_K,
  HEARTH_GGML_TYPE_Q3_K, HEARTH_GGML_TYPE_Q5_K,
};
#define N_TYPES (hearth_test_sanitized () ? 4 : G_N_ELEMENTS (all_types))

/* @int_dot: the int8 dot-product mat-muls forced on (the device must have
 * the feature); otherwise forced off, whatever HEARTH_VK_INT_DOT says, so
 * the f32 kernels are what the f32 tolerances check. */
/* @matvec: the decode mat-vec shape on GPU-shaped contexts, never left to
 * HEARTH_VK_MATVEC, so each test knows which kernel it checks. */
static HearthVkContext *
new_context_shape (gsize               max_buffer,
                   gboolean            no_subgroup,
                   gboolean            gpu_kernels,
                   gboolean            int_dot,
                   HearthVkMatvecShape matvec)
{
  HearthVkContextParams p;
  g_autoptr(GError) error = NULL;
  HearthVkContext *ctx;

  hearth_vk_context_params_init (&p);
  p.max_buffer_bytes = max_buffer;
  p.no_subgroup = no_subgroup;
  p.gpu_kernels = gpu_kernels;
  p.force_int_dot = int_dot;
  p.no_int_dot = !int_dot;
  p.matvec = matvec;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "no Vulkan context: %s", error ? error->message : "");
  if (int_dot)
    ck_assert_msg (hearth_vk_context_use_int_dot (ctx),
                   "%s has no shaderIntegerDotProduct: the int8 mat-muls cannot be tested",
                   hearth_vk_context_get_device_name (ctx));
  else
    ck_assert (!hearth_vk_context_use_int_dot (ctx));
  return ctx;
}

static HearthVkContext *
new_context_dot (gsize    max_buffer,
                 gboolean no_subgroup,
                 gboolean gpu_kernels,
                 gboolean int_dot)
{
  return new_context_shape (max_buffer, no_subgroup, gpu_kernels, int_dot, HEARTH_VK_MATVEC_WG);
}

static HearthVkContext *
new_context_full (gsize    max_buffer,
                  gboolean no_subgroup,
                  gboolean gpu_kernels)
{
  return new_context_dot (max_buffer, no_subgroup, gpu_kernels, FALSE);
}

static HearthVkContext *
new_context (gsize    max_buffer,
             gboolean no_subgroup)
{
  return new_context_full (max_buffer, no_subgroup, FALSE);
}

static float *
random_floats (GRand *rand,
               gsize  n,
               double lo,
               double hi)
{
  float *v = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    v[i] = (float) g_rand_double_range (rand, lo, hi);
  return v;
}

static void
put_half (guint8 *p,
          float   f)
{
  guint16 h = hearth_fp32_to_fp16 (f);

  memcpy (p, &h, 2);
}

/* Random weights of @type: random bits for the quants, with every half
 * scale replaced by a small sane value (random halves would be inf/NaN). */
static guint8 *
random_weights (GRand         *rand,
                HearthGgmlType type,
                gint64         n_rows,
                gint64         n_cols,
                gsize         *row_bytes)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  guint64 rb;
  gsize total;
  guint8 *w;
  int d_at = -1, m_at = -1;

  ck_assert (hearth_ggml_row_size (type, (guint64) n_cols, &rb));
  *row_bytes = rb;
  total = (gsize) rb * n_rows;
  w = g_malloc (total);
  if (type == HEARTH_GGML_TYPE_F32)
    {
      for (gsize i = 0; i < total / 4; i++)
        ((float *) w)[i] = (float) g_rand_double_range (rand, -1, 1);
      return w;
    }
  if (type == HEARTH_GGML_TYPE_F16 || type == HEARTH_GGML_TYPE_BF16)
    {
      for (gsize i = 0; i < total / 2; i++)
        {
          float f = (float) g_rand_double_range (rand, -1, 1);
          guint16 h = type == HEARTH_GGML_TYPE_F16 ? hearth_fp32_to_fp16 (f) : hearth_fp32_to_bf16 (f);
          memcpy (w + 2 * i, &h, 2);
        }
      return w;
    }
  for (gsize i = 0; i < total; i++)
    w[i] = (guint8) g_rand_int_range (rand, 0, 256);
  switch (type)
    {
    case HEARTH_GGML_TYPE_Q4_0: case HEARTH_GGML_TYPE_Q5_0: case HEARTH_GGML_TYPE_Q8_0:
      d_at = 0;
      break;
    case HEARTH_GGML_TYPE_Q4_1: case HEARTH_GGML_TYPE_Q5_1: case HEARTH_GGML_TYPE_Q4_K: case HEARTH_GGML_TYPE_Q5_K:
      d_at = 0;
      m_at = 2;
      break;
    case HEARTH_GGML_TYPE_Q2_K:
      d_at = 80;
      m_at = 82;
      break;
    case HEARTH_GGML_TYPE_Q3_K:
      d_at = 108;
      break;
    case HEARTH_GGML_TYPE_Q6_K:
      d_at = 208;
      break;
    default:
      ck_abort_msg ("no scale layout for %s", info->name);
    }
  for (gsize b = 0; b < total / info->type_size; b++)
    {
      guint8 *blk = w + b * info->type_size;

      put_half (blk + d_at, (float) g_rand_double_range (rand, 0.001, 0.05));
      if (m_at >= 0)
        put_half (blk + m_at, (float) g_rand_double_range (rand, -0.05, 0.05));
    }
  return w;
}

static HearthVkBuffer *
upload (HearthVkContext *ctx,
        const void      *data,
        gsize            bytes)
{
  g_autoptr(GError) error = NULL;
  HearthVkBuffer *b = hearth_vk_buffer_new (ctx, bytes, &error);

  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  if (data != NULL)
    ck_assert_msg (hearth_vk_buffer_upload (ctx, b, 0, data, bytes, &error), "%s", error ? error->message : "");
  return b;
}

static float *
download (HearthVkContext *ctx,
          HearthVkBuffer  *b,
          gsize            n_floats)
{
  g_autoptr(GError) error = NULL;
  float *out = g_new (float, MAX (n_floats, 1));

  ck_assert_msg (hearth_vk_buffer_download (ctx, b, 0, out, n_floats * sizeof (float), &error),
                 "%s", error ? error->message : "");
  return out;
}

static HearthVkSequence *
begin (HearthVkContext *ctx)
{
  g_autoptr(GError) error = NULL;
  HearthVkSequence *seq = hearth_vk_sequence_new (ctx, &error);

  ck_assert_msg (seq != NULL, "%s", error ? error->message : "");
  ck_assert_msg (hearth_vk_sequence_begin (seq, &error), "%s", error ? error->message : "");
  return seq;
}

static void
run (HearthVkSequence *seq)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (hearth_vk_sequence_end (seq, &error), "%s", error ? error->message : "");
  ck_assert_msg (hearth_vk_sequence_submit (seq, &error), "%s", error ? error->message : "");
}

/* Records an op, failing the test with its error. */
#define ERR (&op_error_)
#define OK(call) G_STMT_START { g_autoptr(GError) op_error_ = NULL; \
    ck_assert_msg ((call), "%s", op_error_ ? op_error_->message : "failed"); } G_STMT_END

/* ---- the layer ---- */

START_TEST (test_devices)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = hearth_vk_list_devices (&error);
  g_autoptr(HearthVkContext) ctx = NULL;
  const HearthVkFeatures *f;
  gboolean only_cpu = TRUE;

  ck_assert_msg (devices != NULL, "%s", error ? error->message : "");
  ck_assert_uint_gt (devices->len, 0);
  for (guint i = 0; i < devices->len; i++)
    {
      HearthVkDeviceInfo *d = g_ptr_array_index (devices, i);
      ck_assert_uint_eq (d->index, i);
      ck_assert (d->name != NULL && *d->name != '\0');
      only_cpu = only_cpu && d->features.is_cpu;
    }
  ctx = new_context (0, FALSE);
  f = hearth_vk_context_get_features (ctx);
  /* A CPU device is chosen only when there is nothing else. */
  ck_assert (!f->is_cpu || only_cpu);
  ck_assert (f->storage8 && f->storage16);
  ck_assert_uint_le (hearth_vk_context_get_max_buffer (ctx), MIN (f->max_storage_range, f->max_allocation));
  ck_assert_uint_gt (f->subgroup_size, 0);

  {
    HearthVkContextParams p;
    HearthVkContext *none;

    hearth_vk_context_params_init (&p);
    p.device_index = (int) devices->len;
    none = hearth_vk_context_new (&p, &error);
    ck_assert (none == NULL);
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    hearth_vk_context_params_init (&p);
    p.device_name = "no such device, surely";
    none = hearth_vk_context_new (&p, &error);
    ck_assert (none == NULL);
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  }
}
END_TEST

/* Building a pipeline and freeing the context leaves the pipeline cache in
 * $XDG_CACHE_HOME/hearth (this run's temporary folder). */
START_TEST (test_pipeline_cache_saved)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "hearth", NULL);
  g_autoptr(GDir) d = NULL;
  HearthVkContext *ctx = new_context (0, FALSE);
  const char *name;
  guint found = 0;

  ck_assert_ptr_nonnull (hearth_vk_context_get_kernel (ctx, "mul", 3, sizeof (struct HearthVkPushBinary), 64, &error));
  /* The same kernel comes back from the context, not built twice. */
  ck_assert_ptr_eq (hearth_vk_context_get_kernel (ctx, "mul", 3, sizeof (struct HearthVkPushBinary), 64, &error),
                    hearth_vk_context_get_kernel (ctx, "mul", 3, sizeof (struct HearthVkPushBinary), 64, &error));
  ck_assert_ptr_null (hearth_vk_context_get_kernel (ctx, "no_such_kernel", 1, 4, 64, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_FAILED);
  g_clear_error (&error);
  hearth_vk_context_free (ctx);

  d = g_dir_open (dir, 0, &error);
  ck_assert_msg (d != NULL, "%s", error ? error->message : "");
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_str_has_prefix (name, "vulkan-") && g_str_has_suffix (name, ".cache") && g_stat (path, &st) == 0 && st.st_size > 0)
        found++;
    }
  ck_assert_uint_eq (found, 1);
}
END_TEST

START_TEST (test_buffer_roundtrip)
{
  g_autoptr(HearthVkContext) ctx = new_context (1 << 20, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree float *data = random_floats (rand, 1000, -5, 5);
  g_autofree float *back = NULL;
  HearthVkBuffer *b = upload (ctx, data, 1000 * sizeof (float));

  back = download (ctx, b, 1000);
  ck_assert_mem_eq (back, data, 1000 * sizeof (float));
  /* Out of range and oversized requests are errors, not crashes. */
  ck_assert (!hearth_vk_buffer_upload (ctx, b, 3990, data, 100, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  ck_assert (hearth_vk_buffer_new (ctx, (2 << 20), &error) == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  hearth_vk_buffer_free (ctx, b);
}
END_TEST

/* ---- get_rows and matmul for every type ---- */

static void
reference_rows (HearthGgmlType type,
                const guint8  *w,
                gsize          row_bytes,
                gint64         n_rows,
                gint64         n_cols,
                float         *out)
{
  for (gint64 r = 0; r < n_rows; r++)
    hearth_dequantize_row (type, w + (gsize) r * row_bytes, out + (gsize) r * n_cols, n_cols);
}

static gint64
cols_for (HearthGgmlType type)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);

  /* Odd where the format allows: 67 floats, 7 blocks of 32, 3 of 256. */
  if (!info->quantized)
    return 67;
  return info->block_size == 32 ? 7 * 32 : 3 * 256;
}

static void
check_get_rows (HearthVkContext *ctx,
                HearthGgmlType   type,
                gint64           n_rows,
                gint64           n_cols)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1000 + type);
  gsize row_bytes;
  g_autofree guint8 *w = random_weights (rand, type, n_rows, n_cols, &row_bytes);
  g_autofree float *ref = g_new (float, (gsize) n_rows * n_cols);
  gint32 ids[] = { 5, 0, (gint32) n_rows - 1, 5, (gint32) n_rows / 2, 1, 2 };
  guint n_ids = G_N_ELEMENTS (ids);
  g_autoptr(GError) error = NULL;
  HearthVkMatrix *m = hearth_vk_matrix_new (ctx, type, w, n_rows, n_cols, row_bytes, &error);
  HearthVkBuffer *ib, *yb;
  g_autoptr(HearthVkSequence) seq = NULL;
  g_autofree float *got = NULL;

  ck_assert_msg (m != NULL, "%s", error ? error->message : "");
  reference_rows (type, w, row_bytes, n_rows, n_cols, ref);
  ib = upload (ctx, ids, sizeof ids);
  yb = upload (ctx, NULL, (gsize) n_ids * (n_cols + 3) * sizeof (float));
  seq = begin (ctx);
  OK (hearth_vk_op_get_rows (seq, m, ib, 0, n_ids, yb, 0, (guint32) n_cols + 3, ERR));
  run (seq);
  got = download (ctx, yb, (gsize) n_ids * (n_cols + 3));
  for (guint t = 0; t < n_ids; t++)
    {
      const float *r = ref + (gsize) ids[t] * n_cols;
      float big = 0;

      for (gint64 c = 0; c < n_cols; c++)
        big = MAX (big, fabsf (r[c]));
      for (gint64 c = 0; c < n_cols; c++)
        ck_assert_msg (fabsf (got[t * (n_cols + 3) + c] - r[c]) <= 1e-6f * big,
                       "%s row %d col %" G_GINT64_FORMAT ": %g vs %g", hearth_ggml_type_name (type), ids[t], c,
                       got[t * (n_cols + 3) + c], r[c]);
    }
  hearth_vk_buffer_free (ctx, ib);
  hearth_vk_buffer_free (ctx, yb);
  hearth_vk_matrix_free (ctx, m);
}

START_TEST (test_get_rows)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  HearthGgmlType type = all_types[_i];

  check_get_rows (ctx, type, 37, cols_for (type));
}
END_TEST

/* got[t * y_stride + r] against sum_c W[r][c] xs[t * x_stride + c] with the
 * tolerances above. */
static void
check_products (HearthGgmlType type,
                const guint8  *w,
                gsize          row_bytes,
                gint64         n_rows,
                gint64         n_cols,
                const float   *xs,
                guint32        x_stride,
                const float   *got,
                guint32        y_stride,
                guint32        n_tokens,
                gboolean       int8)
{
  g_autofree float *row = g_new (float, n_cols);

  for (gint64 r = 0; r < n_rows; r++)
    {
      hearth_dequantize_row (type, w + (gsize) r * row_bytes, row, n_cols);
      for (guint32 t = 0; t < n_tokens; t++)
        {
          const float *xt = xs + (gsize) t * x_stride;
          double sum = 0, mag = 0, rounding = 0;
          float g = got[(gsize) t * y_stride + r];

          for (gint64 c = 0; c < n_cols; c++)
            {
              sum += (double) row[c] * xt[c];
              mag += fabs ((double) row[c] * xt[c]);
            }
          if (int8)
            for (gint64 b = 0; b < n_cols; b += 32)
              {
                double amax = 0, wsum = 0;

                for (gint64 c = b; c < b + 32; c++)
                  {
                    amax = MAX (amax, fabs ((double) xt[c]));
                    wsum += fabs ((double) row[c]);
                  }
                rounding += amax / 254.0 * wsum * 1.001;
              }
          ck_assert_msg (fabs (g - sum) <= 2e-5 * mag + 1e-6 + rounding,
                         "%s%s %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT " token %u row %" G_GINT64_FORMAT ": %.7g vs %.7g",
                         hearth_ggml_type_name (type), int8 ? " (int8)" : "", n_rows, n_cols, t, r, g, sum);
        }
    }
}

/* y[t][r] against double sums of the CPU's dequantized weights times x.
 * f32 kernels: |gpu - ref| <= 2e-5 * sum_c |w_c x_c| + 1e-6.
 * int8 kernels (@int8): x is rounded to d_b * round (x_c / d_b) per block b
 * of 32 with d_b = max_b |x| / 127, an error of at most d_b / 2 per value,
 * so on top of the f32 allowance
 *   |gpu - ref| <= sum_b (max_b |x| / 254) * sum_{c in b} |w_c|   (x 1.001
 * for the rounding of d_b itself). A kernel that misreads a quant, a scale
 * or an offset is off by about |w_c x_c|, far outside this. */
static void
check_matmul_full (HearthVkContext *ctx,
                   HearthGgmlType   type,
                   gint64           n_rows,
                   gint64           n_cols,
                   guint32          n_tokens,
                   guint            expect_pieces,
                   gboolean         int8)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2000 + type * 7 + n_tokens);
  gsize row_bytes;
  g_autofree guint8 *w = random_weights (rand, type, n_rows, n_cols, &row_bytes);
  guint32 x_stride = (guint32) n_cols + 5, y_stride = (guint32) n_rows + 2;
  g_autofree float *x = random_floats (rand, (gsize) n_tokens * x_stride, -1, 1);
  g_autofree float *got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkMatrix *m = hearth_vk_matrix_new (ctx, type, w, n_rows, n_cols, row_bytes, &error);
  HearthVkBuffer *xb, *yb;
  guint expect_dispatches = 0;

  ck_assert_msg (m != NULL, "%s", error ? error->message : "");
  if (expect_pieces > 0)
    ck_assert_uint_eq (m->n_pieces, expect_pieces);
  xb = upload (ctx, x, (gsize) n_tokens * x_stride * sizeof (float));
  yb = upload (ctx, NULL, ((gsize) n_tokens * y_stride + 3) * sizeof (float));
  seq = begin (ctx);
  /* Offsets in x and y make sure the kernels honour them. */
  OK (hearth_vk_op_matmul (seq, m, xb, 2, x_stride, yb, 3, y_stride, n_tokens, ERR));
  /* One dispatch per piece, plus the activation quantizer on the int8 path:
   * proves which path ran. */
  for (guint i = 0; i < m->n_pieces; i++)
    expect_dispatches += (guint) ((m->pieces[i].n_rows + 65534) / 65535);
  ck_assert_uint_eq (hearth_vk_sequence_get_n_dispatches (seq), expect_dispatches + (int8 ? 1 : 0));
  run (seq);
  got = download (ctx, yb, (gsize) n_tokens * y_stride + 3);
  check_products (type, w, row_bytes, n_rows, n_cols, x + 2, x_stride, got + 3, y_stride, n_tokens, int8);
  hearth_vk_buffer_free (ctx, xb);
  hearth_vk_buffer_free (ctx, yb);
  hearth_vk_matrix_free (ctx, m);
}

static void
check_matmul (HearthVkContext *ctx,
              HearthGgmlType   type,
              gint64           n_rows,
              gint64           n_cols,
              guint32          n_tokens,
              guint            expect_pieces)
{
  check_matmul_full (ctx, type, n_rows, n_cols, n_tokens, expect_pieces, FALSE);
}

START_TEST (test_matvec)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  HearthGgmlType type = all_types[_i];

  check_matmul (ctx, type, 75, cols_for (type), 1, 1);
}
END_TEST

START_TEST (test_matmat)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  HearthGgmlType type = all_types[_i];

  /* 11 tokens: one full group of 8 and a partial one. */
  check_matmul (ctx, type, 75, cols_for (type), 11, 1);
}
END_TEST

/* The workgroup-per-row kernels a GPU gets, run here too (on a CPU device
 * the default is the row-per-invocation variant). */
START_TEST (test_matmul_gpu_kernels)
{
  g_autoptr(HearthVkContext) ctx = new_context_full (0, FALSE, TRUE);
  HearthGgmlType type = all_types[_i];

  check_matmul (ctx, type, 75, cols_for (type), 1, 1);
  check_matmul (ctx, type, 75, cols_for (type), 11, 1);
}
END_TEST

/* A tiny buffer cap splits the matrices into many pieces. */
START_TEST (test_split_small)
{
  g_autoptr(HearthVkContext) ctx = new_context (8192, FALSE);

  /* rows per piece: 8192 / 630 = 13 (Q6_K), 8192 / 126 = 65 (Q4_0) */
  check_matmul (ctx, HEARTH_GGML_TYPE_Q6_K, 75, 768, 1, 6);
  check_matmul (ctx, HEARTH_GGML_TYPE_Q4_0, 200, 224, 3, 4);
  /* 48 rows of Q5_1 and 30 of F32 per piece: the ids fall in several */
  check_get_rows (ctx, HEARTH_GGML_TYPE_Q5_1, 150, 224);
  check_get_rows (ctx, HEARTH_GGML_TYPE_F32, 97, 67);
}
END_TEST

/* The device's own limit (128 MiB on lavapipe): a 138 MB matrix, with the
 * f32 kernels and (_i = 1) the int8 ones. */
START_TEST (test_split_device_limit)
{
  g_autoptr(HearthVkContext) ctx = new_context_dot (0, FALSE, FALSE, _i == 1);
  gsize cap = hearth_vk_context_get_max_buffer (ctx);
  gint64 n_cols = 4096;
  gsize row_bytes = (gsize) n_cols / 32 * 18;
  gint64 n_rows = MIN (65000, (gint64) (cap / row_bytes) + 1000);

  if ((gsize) n_rows * row_bytes <= cap)
    ck_abort_msg ("this device allows buffers of %" G_GSIZE_FORMAT " bytes: the split is not exercised", cap);
  check_matmul_full (ctx, HEARTH_GGML_TYPE_Q4_0, n_rows, n_cols, 1, 2, _i == 1);
}
END_TEST

/* The shared-memory reductions, on a device that also has subgroup ones. */
START_TEST (test_no_subgroup)
{
  g_autoptr(HearthVkContext) ctx = new_context_full (0, TRUE, TRUE);

  ck_assert (!hearth_vk_context_use_subgroup (ctx));
  check_matmul (ctx, HEARTH_GGML_TYPE_Q4_K, 33, 512, 1, 1);
  check_matmul (ctx, HEARTH_GGML_TYPE_F16, 33, 67, 9, 1);
}
END_TEST

/* ---- the int8 dot-product mat-muls ---- */

static const HearthGgmlType dot_types[] = {
  HEARTH_GGML_TYPE_Q4_0, HEARTH_GGML_TYPE_Q8_0, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q6_K,
  HEARTH_GGML_TYPE_Q4_1, HEARTH_GGML_TYPE_Q5_0, HEARTH_GGML_TYPE_Q5_1, HEARTH_GGML_TYPE_Q2_K,
  HEARTH_GGML_TYPE_Q3_K, HEARTH_GGML_TYPE_Q5_K,
};
#define N_DOT_TYPES (hearth_test_sanitized () ? 4 : G_N_ELEMENTS (dot_types))

/* Every covered type, mat-vec and mat-mat (1, 3, 8, 13 and 64 tokens: none,
 * part, one, one and a part, many groups of 8), 75 rows (not a multiple of
 * the workgroup), in both kernel shapes: whole rows per invocation (what a
 * CPU device gets) and a workgroup per row (what a GPU gets). */
static void
check_dot_tokens (HearthVkContext *ctx,
                  HearthGgmlType   type)
{
  static const guint32 tokens[] = { 1, 3, 8, 13, 64 };

  ck_assert (hearth_vk_int_dot_type (type));
  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    check_matmul_full (ctx, type, 75, cols_for (type), tokens[i], 1, TRUE);
}

START_TEST (test_int_dot_rows)
{
  g_autoptr(HearthVkContext) ctx = new_context_dot (0, FALSE, FALSE, TRUE);

  check_dot_tokens (ctx, dot_types[_i]);
}
END_TEST

START_TEST (test_int_dot_gpu_kernels)
{
  g_autoptr(HearthVkContext) ctx = new_context_dot (0, FALSE, TRUE, TRUE);

  check_dot_tokens (ctx, dot_types[_i]);
}
END_TEST

/* The shared-memory reduction variant, and matrices split over buffers
 * (with the int8 activations shared by every piece). */
START_TEST (test_int_dot_split_no_subgroup)
{
  g_autoptr(HearthVkContext) ctx = new_context_dot (8192, TRUE, TRUE, TRUE);
  g_autoptr(HearthVkContext) rows = new_context_dot (16384, FALSE, FALSE, TRUE);

  ck_assert (!hearth_vk_context_use_subgroup (ctx));
  /* rows per piece: 8192 / 630 = 13 (Q6_K), 8192 / 126 = 65 (Q4_0) */
  check_matmul_full (ctx, HEARTH_GGML_TYPE_Q6_K, 75, 768, 1, 6, TRUE);
  check_matmul_full (ctx, HEARTH_GGML_TYPE_Q4_0, 200, 224, 3, 4, TRUE);
  /* 16384 / 126 = 130 (Q4_0), / 288 = 56 (Q4_K), / 238 = 68 (Q8_0) */
  check_matmul_full (rows, HEARTH_GGML_TYPE_Q4_0, 200, 224, 13, 2, TRUE);
  check_matmul_full (rows, HEARTH_GGML_TYPE_Q4_K, 100, 512, 3, 2, TRUE);
  check_matmul_full (rows, HEARTH_GGML_TYPE_Q8_0, 150, 224, 8, 3, TRUE);
}
END_TEST

/* Types without int8 kernels keep the f32 ones on an int8 context. */
START_TEST (test_int_dot_float_types)
{
  g_autoptr(HearthVkContext) ctx = new_context_dot (0, FALSE, TRUE, TRUE);

  ck_assert (!hearth_vk_int_dot_type (HEARTH_GGML_TYPE_F16));
  check_matmul (ctx, HEARTH_GGML_TYPE_F16, 33, 67, 9, 1);
  check_matmul (ctx, HEARTH_GGML_TYPE_F32, 33, 67, 1, 1);
}
END_TEST

/* Three mat-muls of one x (the q, k, v of a layer): x is quantized once on
 * the int8 path, and a float type among them keeps the f32 kernel. */
static void
check_matmul_multi (gboolean int8)
{
  static const HearthGgmlType types[3] = { HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_F16, HEARTH_GGML_TYPE_Q8_0 };
  static const gint64 n_rows[3] = { 75, 40, 19 };
  const gint64 n_cols = 512;
  const guint32 n_tokens = 13, x_stride = 515;
  g_autoptr(HearthVkContext) ctx = new_context_dot (0, FALSE, TRUE, int8);
  g_autoptr(GRand) rand = g_rand_new_with_seed (77);
  g_autofree float *x = random_floats (rand, (gsize) n_tokens * x_stride, -1, 1);
  g_autoptr(HearthVkSequence) seq = NULL;
  guint8 *w[3];
  gsize row_bytes[3];
  const HearthVkMatrix *m[3];
  HearthVkBuffer *y[3], *xb;
  guint32 y_offset[3] = { 1, 0, 7 }, y_stride[3];

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;

      w[i] = random_weights (rand, types[i], n_rows[i], n_cols, &row_bytes[i]);
      m[i] = hearth_vk_matrix_new (ctx, types[i], w[i], n_rows[i], n_cols, row_bytes[i], &error);
      ck_assert_msg (m[i] != NULL, "%s", error ? error->message : "");
      y_stride[i] = (guint32) n_rows[i] + 3;
      y[i] = upload (ctx, NULL, ((gsize) n_tokens * y_stride[i] + y_offset[i]) * sizeof (float));
    }
  xb = upload (ctx, x, (gsize) n_tokens * x_stride * sizeof (float));
  seq = begin (ctx);
  OK (hearth_vk_op_matmul_multi (seq, 3, m, xb, 3, x_stride, y, y_offset, y_stride, n_tokens, ERR));
  ck_assert_uint_eq (hearth_vk_sequence_get_n_dispatches (seq), int8 ? 4 : 3);
  run (seq);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree float *got = download (ctx, y[i], (gsize) n_tokens * y_stride[i] + y_offset[i]);

      check_products (types[i], w[i], row_bytes[i], n_rows[i], n_cols, x + 3, x_stride, got + y_offset[i],
                      y_stride[i], n_tokens, int8 && hearth_vk_int_dot_type (types[i]));
      hearth_vk_buffer_free (ctx, y[i]);
      hearth_vk_matrix_free (ctx, (HearthVkMatrix *) m[i]);
      g_free (w[i]);
    }
  hearth_vk_buffer_free (ctx, xb);
}

START_TEST (test_matmul_multi)
{
  check_matmul_multi (_i == 1);
}
END_TEST

/* Who decides: the params over HEARTH_VK_INT_DOT over the device's report
 * (lavapipe has the feature, not accelerated: off by default). */
START_TEST (test_int_dot_selection)
{
  HearthVkContextParams p;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthVkContext) ctx = NULL;
  const HearthVkFeatures *f;
  g_autofree char *text = NULL;

  g_unsetenv ("HEARTH_VK_INT_DOT");
  hearth_vk_context_params_init (&p);
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  f = hearth_vk_context_get_features (ctx);
  ck_assert_msg (f->int_dot, "the device lacks shaderIntegerDotProduct");
  ck_assert (!f->int_dot_accel || f->int_dot);
  ck_assert_int_eq (hearth_vk_context_use_int_dot (ctx), f->int_dot_accel);
  text = hearth_vk_features_describe (f);
  ck_assert_msg (strstr (text, "int8 dot product") != NULL, "%s", text);
  ck_assert_msg (strstr (text, f->int_dot_accel ? "(accelerated)" : "(not accelerated)") != NULL, "%s", text);
  g_clear_pointer (&ctx, hearth_vk_context_free);

  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_vk_context_use_int_dot (ctx));
  g_clear_pointer (&ctx, hearth_vk_context_free);

  p.no_int_dot = TRUE;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_int_dot (ctx));
  g_clear_pointer (&ctx, hearth_vk_context_free);

  g_setenv ("HEARTH_VK_INT_DOT", "0", TRUE);
  p.no_int_dot = FALSE;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_int_dot (ctx));
  g_clear_pointer (&ctx, hearth_vk_context_free);

  p.force_int_dot = TRUE;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_vk_context_use_int_dot (ctx));
  g_unsetenv ("HEARTH_VK_INT_DOT");
}
END_TEST

/* ---- the subgroup-per-row mat-vec (HEARTH_VK_MATVEC=sg) ---- */

/* A GPU-shaped context with the sg decode shape; lavapipe's subgroups are 8
 * wide, so a workgroup is 32 invocations computing 4 rows. */
static HearthVkContext *
new_context_sg (gsize    max_buffer,
                gboolean int_dot)
{
  HearthVkContext *ctx = new_context_shape (max_buffer, FALSE, TRUE, int_dot, HEARTH_VK_MATVEC_SG);

  ck_assert_msg (hearth_vk_context_use_matvec_sg (ctx), "%s: no subgroup arithmetic, no sg mat-vec",
                 hearth_vk_context_get_device_name (ctx));
  ck_assert_str_eq (hearth_vk_matvec_shape (ctx), "sg");
  return ctx;
}

/* Which variants the context built (kernels are built on first use, a
 * context per test): the sg mat-vec and never the workgroup one. */
static void
assert_sg_ran (HearthVkContext *ctx,
               HearthGgmlType   type,
               gboolean         int8)
{
  g_autofree char *lower = g_ascii_strdown (hearth_ggml_type_name (type), -1);
  g_autofree char *sg = g_strdup_printf ("matvec_%s%s_sgrow", int8 ? "dot_" : "", lower);
  g_autofree char *wg = g_strdup_printf ("matvec_%s%s_sg", int8 ? "dot_" : "", lower);

  ck_assert_msg (g_hash_table_contains (ctx->kernels, sg), "%s was not built", sg);
  ck_assert_msg (!g_hash_table_contains (ctx->kernels, wg), "%s ran", wg);
}

/* Every type, rows not a multiple of the 4 per workgroup (1, 3, 75, 257),
 * one block (one element for floats: most lanes idle) and many blocks (more
 * runs than lanes), within check_products' tolerances; then a mat-mat on
 * the same context, which keeps its workgroup-per-row kernel. */
static void
check_sg_type (HearthGgmlType type,
               gboolean       int8)
{
  static const gint64 rows[] = { 1, 3, 75, 257 };
  g_autoptr(HearthVkContext) ctx = new_context_sg (0, int8);
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  gint64 cols[2] = { info->quantized ? info->block_size : 1, info->quantized ? 5 * info->block_size : 67 };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    for (guint j = 0; j < G_N_ELEMENTS (cols); j++)
      check_matmul_full (ctx, type, rows[i], cols[j], 1, 1, int8);
  assert_sg_ran (ctx, type, int8);
  check_matmul_full (ctx, type, 75, cols[1], 3, 1, int8);
}

START_TEST (test_matvec_sg)
{
  check_sg_type (all_types[_i], FALSE);
}
END_TEST

START_TEST (test_int_dot_matvec_sg)
{
  check_sg_type (dot_types[_i], TRUE);
}
END_TEST

/* Matrices split over buffers: the row offsets of every piece. */
START_TEST (test_matvec_sg_split)
{
  g_autoptr(HearthVkContext) ctx = new_context_sg (8192, FALSE);
  g_autoptr(HearthVkContext) dot = new_context_sg (16384, TRUE);

  /* rows per piece: 8192 / 630 = 13 (Q6_K), 8192 / 126 = 65 (Q4_0) */
  check_matmul (ctx, HEARTH_GGML_TYPE_Q6_K, 75, 768, 1, 6);
  check_matmul (ctx, HEARTH_GGML_TYPE_Q4_0, 257, 224, 1, 4);
  assert_sg_ran (ctx, HEARTH_GGML_TYPE_Q6_K, FALSE);
  /* 16384 / 288 = 56 (Q4_K), / 238 = 68 (Q8_0) */
  check_matmul_full (dot, HEARTH_GGML_TYPE_Q4_K, 257, 512, 1, 5, TRUE);
  check_matmul_full (dot, HEARTH_GGML_TYPE_Q8_0, 150, 224, 1, 3, TRUE);
  assert_sg_ran (dot, HEARTH_GGML_TYPE_Q4_K, TRUE);
}
END_TEST

/* Who decides: params.matvec over HEARTH_VK_MATVEC over the default (wg);
 * never on a CPU-shaped context (unless HEARTH_VK_GPU_KERNELS=1) nor
 * without subgroup kernels; a value that names no shape is an error. */
START_TEST (test_matvec_selection)
{
  HearthVkContextParams p;
  g_autoptr(GError) error = NULL;
  HearthVkContext *ctx;

  hearth_vk_context_params_init (&p);
  p.gpu_kernels = TRUE;
  g_unsetenv ("HEARTH_VK_MATVEC");
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_matvec_sg (ctx));
  ck_assert_str_eq (hearth_vk_matvec_shape (ctx), "wg");
  hearth_vk_context_free (ctx);

  g_setenv ("HEARTH_VK_MATVEC", "sg", TRUE);
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_vk_context_use_matvec_sg (ctx));
  hearth_vk_context_free (ctx);

  p.matvec = HEARTH_VK_MATVEC_WG;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_matvec_sg (ctx));
  hearth_vk_context_free (ctx);

  p.matvec = HEARTH_VK_MATVEC_SG;
  p.no_subgroup = TRUE;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_matvec_sg (ctx));
  hearth_vk_context_free (ctx);

  /* lavapipe is a CPU device: without gpu_kernels a row per invocation */
  p.no_subgroup = FALSE;
  p.gpu_kernels = FALSE;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_vk_context_get_features (ctx)->is_cpu);
  ck_assert (!hearth_vk_context_use_matvec_sg (ctx));
  ck_assert_str_eq (hearth_vk_matvec_shape (ctx), "rows");
  hearth_vk_context_free (ctx);

  /* HEARTH_VK_GPU_KERNELS=1 is params.gpu_kernels (for whole models) */
  g_setenv ("HEARTH_VK_GPU_KERNELS", "1", TRUE);
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_vk_context_use_row_per_thread (ctx));
  ck_assert (hearth_vk_context_use_matvec_sg (ctx));
  hearth_vk_context_free (ctx);
  g_unsetenv ("HEARTH_VK_GPU_KERNELS");

  p.matvec = HEARTH_VK_MATVEC_AUTO;
  g_setenv ("HEARTH_VK_MATVEC", "subgroup", TRUE);
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert (ctx == NULL);
  ck_assert_msg (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT), "%s",
                 error ? error->message : "no error");
  ck_assert_msg (strstr (error->message, "HEARTH_VK_MATVEC") != NULL, "%s", error->message);
  g_unsetenv ("HEARTH_VK_MATVEC");
}
END_TEST

/* ---- the small ops ---- */

#define CLOSE(got, want, what, i) \
  ck_assert_msg (fabs ((double) (got) - (double) (want)) <= 1e-5 * fabs ((double) (want)) + 1e-6, \
                 "%s [%u]: %.8g vs %.8g", what, (guint) (i), (double) (got), (double) (want))

static void
check_rms_norm (HearthVkContext *ctx,
                guint32          n,
                guint32          n_rows)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (n);
  g_autofree float *x = random_floats (rand, (gsize) n * n_rows + 1, -3, 3);
  g_autofree float *w = random_floats (rand, n, 0.5, 1.5);
  g_autofree float *got = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkBuffer *xb = upload (ctx, x, ((gsize) n * n_rows + 1) * sizeof (float));
  HearthVkBuffer *wb = upload (ctx, w, n * sizeof (float));
  float eps = 1e-5f;

  seq = begin (ctx);
  /* In place, from offset 1. */
  OK (hearth_vk_op_rms_norm (seq, xb, 1, wb, 0, xb, 1, n, n_rows, eps, ERR));
  run (seq);
  got = download (ctx, xb, (gsize) n * n_rows + 1);
  for (guint32 r = 0; r < n_rows; r++)
    {
      const float *xr = x + 1 + (gsize) r * n;
      double s = 0;

      for (guint32 i = 0; i < n; i++)
        s += (double) xr[i] * xr[i];
      for (guint32 i = 0; i < n; i++)
        CLOSE (got[1 + r * n + i], xr[i] / sqrt (s / n + eps) * w[i], "rms_norm", r * n + i);
    }
  hearth_vk_buffer_free (ctx, xb);
  hearth_vk_buffer_free (ctx, wb);
}

START_TEST (test_rms_norm)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, _i == 1);

  check_rms_norm (ctx, 67, 7);
  check_rms_norm (ctx, 8, 12);    /* per-head norms of head_dim 8 */
  check_rms_norm (ctx, 4096, 2);
}
END_TEST

static void
check_rope (HearthVkContext *ctx,
            gboolean         neox,
            guint32          head_dim,
            guint32          n_rot)
{
  guint32 n_tokens = 5, n_heads = 3, stride = n_heads * head_dim + 4, half = n_rot / 2;
  g_autoptr(GRand) rand = g_rand_new_with_seed (head_dim * 10 + n_rot + neox);
  g_autofree float *x = random_floats (rand, (gsize) n_tokens * stride, -2, 2);
  g_autofree float *cs = g_new (float, (gsize) n_tokens * half * 2);
  g_autofree float *got = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkBuffer *xb, *cb;

  for (guint32 t = 0; t < n_tokens; t++)
    for (guint32 i = 0; i < half; i++)
      {
        double theta = (t + 3) * pow (10000.0, -2.0 * i / n_rot);
        cs[(t * half + i) * 2] = (float) cos (theta);
        cs[(t * half + i) * 2 + 1] = (float) sin (theta);
      }
  xb = upload (ctx, x, (gsize) n_tokens * stride * sizeof (float));
  cb = upload (ctx, cs, (gsize) n_tokens * half * 2 * sizeof (float));
  seq = begin (ctx);
  OK (hearth_vk_op_rope (seq, xb, 0, stride, cb, 0, n_tokens, n_heads, head_dim, n_rot, neox, ERR));
  run (seq);
  got = download (ctx, xb, (gsize) n_tokens * stride);
  for (guint32 t = 0; t < n_tokens; t++)
    for (guint32 h = 0; h < n_heads; h++)
      {
        const float *v = x + t * stride + h * head_dim;
        const float *g = got + t * stride + h * head_dim;
        g_autofree float *want = g_memdup2 (v, head_dim * sizeof (float));

        for (guint32 i = 0; i < half; i++)
          {
            guint32 a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
            double c = cs[(t * half + i) * 2], s = cs[(t * half + i) * 2 + 1];

            want[a] = (float) (v[a] * c - v[b] * s);
            want[b] = (float) (v[a] * s + v[b] * c);
          }
        for (guint32 d = 0; d < head_dim; d++)
          CLOSE (g[d], want[d], neox ? "rope neox" : "rope norm", d);
      }
  /* The padding after the heads is untouched. */
  for (guint32 t = 0; t < n_tokens; t++)
    for (guint32 d = n_heads * head_dim; d < stride; d++)
      ck_assert_float_eq (got[t * stride + d], x[t * stride + d]);
  hearth_vk_buffer_free (ctx, xb);
  hearth_vk_buffer_free (ctx, cb);
}

START_TEST (test_rope)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);

  check_rope (ctx, FALSE, 8, 8);
  check_rope (ctx, TRUE, 8, 8);
  check_rope (ctx, FALSE, 64, 32);  /* partial rotation */
  check_rope (ctx, TRUE, 128, 128);
}
END_TEST

START_TEST (test_softmax)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, _i == 1);
  guint32 n = 1001, n_rows = 5;
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autofree float *x = random_floats (rand, (gsize) n * n_rows, -20, 20);
  g_autofree float *got = NULL;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkBuffer *xb = upload (ctx, x, (gsize) n * n_rows * sizeof (float));

  seq = begin (ctx);
  OK (hearth_vk_op_softmax (seq, xb, 0, n, n_rows, 0.5f, ERR));
  run (seq);
  got = download (ctx, xb, (gsize) n * n_rows);
  for (guint32 r = 0; r < n_rows; r++)
    {
      const float *xr = x + r * n;
      double m = -INFINITY, s = 0;

      for (guint32 i = 0; i < n; i++)
        m = MAX (m, 0.5 * xr[i]);
      for (guint32 i = 0; i < n; i++)
        s += exp (0.5 * xr[i] - m);
      for (guint32 i = 0; i < n; i++)
        CLOSE (got[r * n + i], exp (0.5 * xr[i] - m) / s, "softmax", i);
    }
  hearth_vk_buffer_free (ctx, xb);
}
END_TEST

START_TEST (test_binary)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  guint32 n = 3 * 777, n_b = 777;
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autofree float *a = random_floats (rand, n, -6, 6);
  g_autofree float *b = random_floats (rand, n, -2, 2);
  HearthVkBuffer *ab;
  HearthVkBuffer *bb = upload (ctx, b, n * sizeof (float));
  HearthVkBuffer *yb = upload (ctx, NULL, 5 * n * sizeof (float));
  g_autoptr(HearthVkSequence) seq = begin (ctx);
  g_autofree float *got = NULL;

  a[0] = 80.0f; /* gelu's tanh far out on both sides (some drivers' tanh overflows) */
  a[1] = -80.0f;
  ab = upload (ctx, a, n * sizeof (float));
  OK (hearth_vk_op_binary (seq, HEARTH_VK_BINARY_ADD, ab, 0, bb, 0, n_b, yb, 0, n, ERR));       /* broadcast */
  OK (hearth_vk_op_binary (seq, HEARTH_VK_BINARY_MUL, ab, 0, bb, 0, n, yb, n, n, ERR));
  OK (hearth_vk_op_binary (seq, HEARTH_VK_BINARY_SILU_MUL, ab, 0, bb, 0, n, yb, 2 * n, n, ERR));
  OK (hearth_vk_op_binary (seq, HEARTH_VK_BINARY_GELU_MUL, ab, 0, bb, 0, n, yb, 3 * n, n, ERR));
  OK (hearth_vk_op_binary (seq, HEARTH_VK_BINARY_ADD, ab, 0, bb, 0, n, yb, 4 * n, n, ERR));
  OK (hearth_vk_op_scale (seq, yb, 4 * n + 1, n - 2, -2.5f, ERR)); /* in place, not the first nor the last */
  run (seq);
  got = download (ctx, yb, 5 * n);
  for (guint32 i = 0; i < n; i++)
    {
      double gelu = 0.5 * a[i] * (1.0 + tanh (sqrt (2.0 / G_PI) * (a[i] + 0.044715 * a[i] * a[i] * a[i])));
      double sum = (double) a[i] + b[i];

      CLOSE (got[i], a[i] + b[i % n_b], "add", i);
      CLOSE (got[n + i], a[i] * b[i], "mul", i);
      CLOSE (got[2 * n + i], a[i] / (1.0 + exp (-a[i])) * b[i], "silu_mul", i);
      CLOSE (got[3 * n + i], gelu * b[i], "gelu_mul", i);
      CLOSE (got[4 * n + i], i == 0 || i == n - 1 ? sum : -2.5 * sum, "scale", i);
    }
  hearth_vk_buffer_free (ctx, ab);
  hearth_vk_buffer_free (ctx, bb);
  hearth_vk_buffer_free (ctx, yb);
}
END_TEST

START_TEST (test_copy)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  guint32 n = 1003;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autofree float *x = random_floats (rand, n, -70000, 70000);
  HearthVkBuffer *xb, *hb, *fb, *sb;
  guint32 pos = 1;
  g_autoptr(HearthVkSequence) seq = NULL;
  g_autofree guint16 *h = g_new (guint16, n + 8);
  g_autofree float *f = g_new (float, n + 8);
  g_autoptr(GError) error = NULL;

  for (guint32 i = 0; i < n; i += 3)
    x[i] *= (float) g_rand_double_range (rand, 1e-9, 1e-3); /* small and subnormal halves too */
  xb = upload (ctx, x, n * sizeof (float));
  hb = upload (ctx, NULL, (n + 8) * sizeof (guint16));
  fb = upload (ctx, NULL, (n + 8) * sizeof (float));
  sb = upload (ctx, &pos, sizeof pos);
  seq = begin (ctx);
  /* The destination moves with the position in the state buffer: 1 x 2 + 3 = 5. */
  OK (hearth_vk_op_copy (seq, xb, 0, hb, 3, 2, 1000, sb, n, TRUE, ERR));
  OK (hearth_vk_op_copy (seq, xb, 0, fb, 1, 6, 1000, sb, n, FALSE, ERR));
  run (seq);
  ck_assert (hearth_vk_buffer_download (ctx, hb, 0, h, (n + 8) * sizeof (guint16), &error));
  ck_assert (hearth_vk_buffer_download (ctx, fb, 0, f, (n + 8) * sizeof (float), &error));
  for (guint32 i = 0; i < n; i++)
    {
      guint16 want = hearth_fp32_to_fp16 (x[i]);

      ck_assert_msg (abs ((int) h[5 + i] - (int) want) <= 1, "f16 copy [%u]: %04x vs %04x (%g)", i, h[5 + i], want, x[i]);
      ck_assert_float_eq (f[7 + i], x[i]);
    }
  /* Round a ring of 5 rows of 4 from position 3 (the state buffer): the
   * 4 rows of the source go to rows 3, 4, 0 and 1; row 2 is untouched. */
  {
    g_autoptr(HearthVkSequence) ring_seq = begin (ctx);
    static const float zeros[5 * 4];
    HearthVkBuffer *rb = upload (ctx, zeros, sizeof zeros);
    guint32 three = 3;
    g_autofree float *r = NULL;
    static const guint32 slot[4] = { 3, 4, 0, 1 };

    ck_assert (hearth_vk_buffer_upload (ctx, sb, 0, &three, sizeof three, &error));
    OK (hearth_vk_op_copy (ring_seq, xb, 0, rb, 0, 4, 5, sb, 16, FALSE, ERR));
    run (ring_seq);
    r = download (ctx, rb, 20);
    for (guint32 row = 0; row < 4; row++)
      for (guint32 i = 0; i < 4; i++)
        ck_assert_float_eq (r[slot[row] * 4 + i], x[row * 4 + i]);
    for (guint32 i = 0; i < 4; i++)
      ck_assert_float_eq (r[2 * 4 + i], 0.0f);
    hearth_vk_buffer_free (ctx, rb);
  }
  hearth_vk_buffer_free (ctx, xb);
  hearth_vk_buffer_free (ctx, hb);
  hearth_vk_buffer_free (ctx, fb);
  hearth_vk_buffer_free (ctx, sb);
}
END_TEST

/* ---- attention ---- */

static void
check_attention (HearthVkContext *ctx,
                 gboolean         kv_f16,
                 guint32          n_tokens,
                 guint32          n_past,
                 guint32          n_head,
                 guint32          n_head_kv,
                 guint32          head_dim,
                 guint32          n_split,
                 guint32          window,
                 guint32          rows,
                 float            softcap)
{
  guint32 n_kv = n_past + n_tokens, hdv = head_dim;
  gsize q_n = (gsize) n_tokens * n_head * head_dim, kv_n = (gsize) n_kv * n_head_kv * head_dim;
  gsize row_n = (gsize) n_head_kv * head_dim;
  g_autoptr(GRand) rand = g_rand_new_with_seed (n_kv * 31 + head_dim + kv_f16);
  g_autofree float *q = random_floats (rand, q_n, -1, 1);
  g_autofree float *k = random_floats (rand, kv_n, -1, 1);
  g_autofree float *v = random_floats (rand, kv_n, -1, 1);
  g_autofree guint16 *k16 = g_new (guint16, kv_n);
  g_autofree guint16 *v16 = g_new (guint16, kv_n);
  g_autofree float *got = NULL;
  g_autofree double *p = g_new (double, n_kv);
  float scale = 1.0f / sqrtf ((float) head_dim);
  HearthVkBuffer *qb, *kb, *vb, *ob, *pb, *sb;
  g_autoptr(HearthVkSequence) seq = NULL;
  HearthVkAttentionShape shape = { n_head, n_head_kv, head_dim, hdv, scale, window, rows, softcap };
  gsize elem = kv_f16 ? 2 : 4;
  g_autofree guint8 *kring = g_malloc0 (rows * row_n * elem);
  g_autofree guint8 *vring = g_malloc0 (rows * row_n * elem);

  /* The reference sees the values the device sees. */
  for (gsize i = 0; kv_f16 && i < kv_n; i++)
    {
      k16[i] = hearth_fp32_to_fp16 (k[i]);
      v16[i] = hearth_fp32_to_fp16 (v[i]);
      k[i] = hearth_fp16_to_fp32 (k16[i]);
      v[i] = hearth_fp16_to_fp32 (v16[i]);
    }
  /* The device's cache: position pos in row pos % rows, later positions
   * over earlier ones (a sliding layer's ring; rows = n_kv: the plain cache). */
  for (guint32 pos = 0; pos < n_kv; pos++)
    {
      memcpy (kring + (pos % rows) * row_n * elem, (kv_f16 ? (guint8 *) k16 : (guint8 *) k) + pos * row_n * elem,
              row_n * elem);
      memcpy (vring + (pos % rows) * row_n * elem, (kv_f16 ? (guint8 *) v16 : (guint8 *) v) + pos * row_n * elem,
              row_n * elem);
    }
  qb = upload (ctx, q, q_n * sizeof (float));
  kb = upload (ctx, kring, rows * row_n * elem);
  vb = upload (ctx, vring, rows * row_n * elem);
  ob = upload (ctx, NULL, (gsize) n_tokens * n_head * hdv * sizeof (float));
  pb = upload (ctx, NULL, (gsize) n_tokens * n_head * MAX (n_split, 1) * (hdv + 2) * sizeof (float));
  sb = upload (ctx, &n_past, sizeof n_past);
  seq = begin (ctx);
  OK (hearth_vk_op_attention (seq, qb, 0, kb, 0, vb, 0, kv_f16, ob, 0, n_tokens, sb, &shape, n_split, pb, ERR));
  run (seq);
  got = download (ctx, ob, (gsize) n_tokens * n_head * hdv);
  for (guint32 t = 0; t < n_tokens; t++)
    for (guint32 h = 0; h < n_head; h++)
      {
        guint32 kvh = h / (n_head / n_head_kv), n_see = n_past + t + 1;
        guint32 lo = window != 0 && n_see > window ? n_see - window : 0;
        const float *qv = q + ((gsize) t * n_head + h) * head_dim;
        double m = -INFINITY, s = 0;

        for (guint32 pos = lo; pos < n_see; pos++)
          {
            const float *kv = k + ((gsize) pos * n_head_kv + kvh) * head_dim;
            double dot = 0;
            for (guint32 d = 0; d < head_dim; d++)
              dot += (double) qv[d] * kv[d];
            p[pos] = dot * scale;
            if (softcap > 0)
              p[pos] = softcap * tanh (p[pos] / softcap);
            m = MAX (m, p[pos]);
          }
        for (guint32 pos = lo; pos < n_see; pos++)
          {
            p[pos] = exp (p[pos] - m);
            s += p[pos];
          }
        for (guint32 d = 0; d < hdv; d++)
          {
            double want = 0;
            for (guint32 pos = lo; pos < n_see; pos++)
              want += p[pos] / s * v[((gsize) pos * n_head_kv + kvh) * hdv + d];
            ck_assert_msg (fabs (got[((gsize) t * n_head + h) * hdv + d] - want) <= 1e-4,
                           "attention t=%u h=%u d=%u (split %u): %.7g vs %.7g", t, h, d, n_split,
                           got[((gsize) t * n_head + h) * hdv + d], want);
          }
      }
  hearth_vk_buffer_free (ctx, qb);
  hearth_vk_buffer_free (ctx, kb);
  hearth_vk_buffer_free (ctx, vb);
  hearth_vk_buffer_free (ctx, ob);
  hearth_vk_buffer_free (ctx, pb);
  hearth_vk_buffer_free (ctx, sb);
}

START_TEST (test_attention_prompt)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);

  /* stories260K-like heads of 8 with grouped queries; tiles of 64 cut in the middle */
  check_attention (ctx, TRUE, 7, 0, 8, 4, 8, 1, 0, 7, 0);
  check_attention (ctx, FALSE, 70, 13, 4, 2, 8, 1, 0, 83, 0);
  check_attention (ctx, TRUE, 3, 100, 4, 1, 128, 1, 0, 103, 0);
  check_attention (ctx, FALSE, 2, 5, 2, 2, 256, 1, 0, 7, 0);
  /* Sliding windows (gemma3) over rings of window - 1 + n_tokens rows, and
   * over the whole cache; a window wider than what a query sees. */
  check_attention (ctx, TRUE, 7, 20, 8, 4, 8, 1, 8, 8 - 1 + 7, 0);
  check_attention (ctx, FALSE, 70, 13, 4, 2, 8, 1, 5, 83, 0);
  check_attention (ctx, FALSE, 3, 200, 2, 1, 64, 1, 100, 100 - 1 + 3, 0);
  check_attention (ctx, TRUE, 4, 2, 2, 2, 8, 1, 64, 6, 0);
  /* Gemma 2's soft-capping of the scores. */
  check_attention (ctx, FALSE, 5, 30, 4, 2, 64, 1, 0, 35, 0.3f);
  check_attention (ctx, TRUE, 1, 700, 2, 1, 8, 7, 9, 9, 0.3f);
}
END_TEST

START_TEST (test_attention_split)
{
  g_autoptr(HearthVkContext) ctx = new_context (0, FALSE);
  guint32 splits = hearth_vk_attention_splits (1, 1500);

  ck_assert_uint_gt (splits, 1);
  check_attention (ctx, TRUE, 1, 1499, 4, 2, 64, splits, 0, 1500, 0);
  check_attention (ctx, FALSE, 1, 700, 2, 1, 8, 7, 0, 701, 0);
  /* A window in split ranges, decode on a ring of exactly the window. */
  check_attention (ctx, TRUE, 1, 1499, 4, 2, 64, splits, 600, 600, 0);
  check_attention (ctx, FALSE, 1, 700, 2, 1, 8, 7, 9, 9, 0);
  /* More ranges than positions: the empty ones must drop out. */
  check_attention (ctx, FALSE, 1, 2, 2, 2, 8, 5, 0, 3, 0);
}
END_TEST

static Suite *
vulkan_suite (void)
{
  Suite *s = suite_create ("vulkan");
  TCase *tc = tcase_create ("layer");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_devices);
  tcase_add_test (tc, test_buffer_roundtrip);
  tcase_add_test (tc, test_pipeline_cache_saved);
  suite_add_tcase (s, tc);

  tc = tcase_create ("types");
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_get_rows, 0, N_TYPES);
  tcase_add_loop_test (tc, test_matvec, 0, N_TYPES);
  tcase_add_loop_test (tc, test_matmat, 0, N_TYPES);
  tcase_add_loop_test (tc, test_matmul_gpu_kernels, 0, N_TYPES);
  tcase_add_test (tc, test_split_small);
  tcase_add_test (tc, test_no_subgroup);
  suite_add_tcase (s, tc);

  tc = tcase_create ("int8");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_int_dot_selection);
  tcase_add_loop_test (tc, test_int_dot_rows, 0, N_DOT_TYPES);
  tcase_add_loop_test (tc, test_int_dot_gpu_kernels, 0, N_DOT_TYPES);
  tcase_add_test (tc, test_int_dot_split_no_subgroup);
  tcase_add_test (tc, test_int_dot_float_types);
  tcase_add_loop_test (tc, test_matmul_multi, 0, 2);
  suite_add_tcase (s, tc);

  tc = tcase_create ("matvec-sg");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_matvec_selection);
  tcase_add_loop_test (tc, test_matvec_sg, 0, N_TYPES);
  tcase_add_loop_test (tc, test_int_dot_matvec_sg, 0, N_DOT_TYPES);
  tcase_add_test (tc, test_matvec_sg_split);
  suite_add_tcase (s, tc);

    tc = tcase_create ("large");
  tcase_set_timeout (tc, 240);
  tcase_add_loop_test (tc, test_split_device_limit, 0, 2);
  suite_add_tcase (s, tc);

  tc = tcase_create ("ops");
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_rms_norm, 0, 2);
  tcase_add_test (tc, test_rope);
  tcase_add_loop_test (tc, test_softmax, 0, 2);
  tcase_add_test (tc, test_binary);
  tcase_add_test (tc, test_copy);
  tcase_add_test (tc, test_attention_prompt);
  tcase_add_test (tc, test_attention_split);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_vulkan_run (vulkan_suite ());
}
