/* test-matmul.c: the thread pool, and the fast matmul against the reference
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-cpu-private.h"
#include "hearth-cpu.h"
#include "hearth-engine.h"
#include "hearth-test.h"

/* ---- thread pool ---- */

typedef struct
{
  gint     calls[8];
  GThread *caller;
  gint     caller_ran_share0;
  gint     runs;
} PoolProbe;

static void
probe_fn (void *data,
          int   ith,
          int   nth)
{
  PoolProbe *p = data;

  g_assert (ith >= 0 && ith < nth && nth <= 8);
  g_atomic_int_inc (&p->calls[ith]);
  if (ith == 0 && g_thread_self () == p->caller)
    g_atomic_int_inc (&p->caller_ran_share0);
}

START_TEST (test_pool_runs)
{
  for (int n = 1; n <= 4; n++)
    {
      HearthThreadPool *pool = hearth_thread_pool_new (n);
      PoolProbe probe = { .caller = g_thread_self () };
      const int runs = 3000;

      ck_assert_int_eq (hearth_thread_pool_get_n_threads (pool), n);
      for (int r = 0; r < runs; r++)
        {
          hearth_thread_pool_run (pool, probe_fn, &probe);
          /* Every share has run once this time when run() returns. */
          for (int i = 0; i < n; i++)
            ck_assert_int_eq (g_atomic_int_get (&probe.calls[i]), r + 1);
          /* Let the workers fall asleep now and then, to test the wake-up. */
          if (r % 1000 == 999)
            g_usleep (20000);
        }
      ck_assert_int_eq (probe.caller_ran_share0, runs);
      ck_assert_int_eq (probe.calls[n], 0);
      hearth_thread_pool_free (pool);
    }
  /* n <= 0: one thread per core. */
  {
    HearthThreadPool *pool = hearth_thread_pool_new (0);

    ck_assert_int_eq (hearth_thread_pool_get_n_threads (pool), (int) g_get_num_processors ());
    hearth_thread_pool_free (pool);
  }
  ck_assert_int_eq (hearth_thread_pool_get_n_threads (NULL), 1);
}
END_TEST

/* ---- random weights of any type ---- */

/* Offsets of the half-float scale fields in each block type; random bytes
 * elsewhere are valid quants, but scales must be finite and moderate. */
static void
scale_offsets (HearthGgmlType type,
               int           *offs,
               int           *n_offs)
{
  *n_offs = 0;
  switch (type)
    {
    case HEARTH_GGML_TYPE_Q4_0:
    case HEARTH_GGML_TYPE_Q5_0:
    case HEARTH_GGML_TYPE_Q8_0:
      offs[(*n_offs)++] = 0;
      break;
    case HEARTH_GGML_TYPE_Q4_1:
    case HEARTH_GGML_TYPE_Q5_1:
    case HEARTH_GGML_TYPE_Q4_K:
    case HEARTH_GGML_TYPE_Q5_K:
      offs[(*n_offs)++] = 0;
      offs[(*n_offs)++] = 2;
      break;
    case HEARTH_GGML_TYPE_Q2_K:
      offs[(*n_offs)++] = 80;
      offs[(*n_offs)++] = 82;
      break;
    case HEARTH_GGML_TYPE_Q3_K:
      offs[(*n_offs)++] = 108;
      break;
    case HEARTH_GGML_TYPE_Q6_K:
      offs[(*n_offs)++] = 208;
      break;
    default:
      break;
    }
}

static guint8 *
random_weights (GRand          *rand,
                HearthGgmlType  type,
                gint64          n_rows,
                gint64          n_cols)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  guint64 row_bytes;
  gsize size;
  guint8 *w;

  ck_assert (hearth_ggml_row_size (type, n_cols, &row_bytes));
  size = row_bytes * n_rows;
  w = g_malloc (size);
  if (type == HEARTH_GGML_TYPE_F32 || type == HEARTH_GGML_TYPE_F16 || type == HEARTH_GGML_TYPE_BF16)
    {
      for (gint64 i = 0; i < n_rows * n_cols; i++)
        {
          float f = (float) g_rand_double_range (rand, -1.0, 1.0);

          if (type == HEARTH_GGML_TYPE_F32)
            memcpy (w + 4 * i, &f, 4);
          else
            {
              guint16 h = type == HEARTH_GGML_TYPE_F16 ? hearth_fp32_to_fp16 (f) : hearth_fp32_to_bf16 (f);
              memcpy (w + 2 * i, &h, 2);
            }
        }
      return w;
    }

  for (gsize i = 0; i < size; i++)
    w[i] = (guint8) g_rand_int_range (rand, 0, 256);
  {
    int offs[2], n_offs;
    gsize n_blocks = size / info->type_size;

    scale_offsets (type, offs, &n_offs);
    ck_assert_int_gt (n_offs, 0);
    for (gsize b = 0; b < n_blocks; b++)
      for (int k = 0; k < n_offs; k++)
        {
          /* Signed scales of about 1e-3..1e-2, as in real weights. */
          float f = (float) (g_rand_double_range (rand, 0.001, 0.01) * (g_rand_boolean (rand) ? 1 : -1));
          guint16 h = hearth_fp32_to_fp16 (f);

          memcpy (w + b * info->type_size + offs[k], &h, 2);
        }
  }
  return w;
}

/* The fast path may quantize each block of activations to 8 bits with a
 * scale of amax / 127, i.e. an error of at most amax / 254 per element. By
 * Cauchy-Schwarz the product then moves by at most |w_r| |e|, and
 * |e| <= sqrt (sum over blocks of size * (amax / 254)^2). On top of that, f32
 * summation in a different order: 2e-5 |w_r| |x| (n <= 2048, eps 6e-8,
 * errors of a random walk are ~sqrt (n) eps, with a 7x margin). Float weight
 * types keep f32 activations, so only the second term applies to them. */
static double
activation_error_bound (HearthGgmlType type,
                        const float   *x,
                        gint64         n_cols)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  gint64 bs;
  double e2 = 0.0;

  if (!info->quantized)
    return 0.0;
  bs = info->block_size; /* 32 or 256: the activation block of that family */
  for (gint64 b = 0; b < n_cols / bs; b++)
    {
      double amax = 0.0;

      for (gint64 j = 0; j < bs; j++)
        amax = MAX (amax, fabs (x[b * bs + j]));
      e2 += (double) bs * (amax / 254.0) * (amax / 254.0);
    }
  return sqrt (e2);
}

static const HearthGgmlType all_types[] = {
  HEARTH_GGML_TYPE_F32, HEARTH_GGML_TYPE_F16, HEARTH_GGML_TYPE_BF16, HEARTH_GGML_TYPE_Q4_0,
  HEARTH_GGML_TYPE_Q4_1, HEARTH_GGML_TYPE_Q5_0, HEARTH_GGML_TYPE_Q5_1, HEARTH_GGML_TYPE_Q8_0,
  HEARTH_GGML_TYPE_Q2_K, HEARTH_GGML_TYPE_Q3_K, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q5_K,
  HEARTH_GGML_TYPE_Q6_K,
};

/* Returns the largest error as a fraction of its bound. */
static double
check_fast_against_reference (HearthThreadPool **pools,
                              guint              n_pools,
                              HearthGgmlType    type,
                              const guint8     *w,
                              gint64            n_rows,
                              gint64            n_cols,
                              const float      *x,
                              gint64            n_tokens)
{
  g_autofree float *y_ref = g_new (float, n_rows * n_tokens);
  g_autofree float *y_fast = g_new (float, n_rows * n_tokens);
  g_autofree float *row = g_new (float, n_cols);
  g_autofree double *w_norm = g_new (double, n_rows);
  guint64 row_bytes;
  double worst = 0.0;

  ck_assert (hearth_ggml_row_size (type, n_cols, &row_bytes));
  for (gint64 r = 0; r < n_rows; r++)
    {
      double s = 0.0;

      hearth_dequantize_row (type, w + r * row_bytes, row, n_cols);
      for (gint64 c = 0; c < n_cols; c++)
        s += (double) row[c] * row[c];
      w_norm[r] = sqrt (s);
    }
  hearth_cpu_matmul (NULL, HEARTH_CPU_PATH_REFERENCE, type, w, n_rows, n_cols, x, n_tokens, y_ref);
  for (guint ip = 0; ip < n_pools; ip++)
  {
  HearthThreadPool *pool = pools[ip];

  /* NaN in y_fast would compare false below: poison it first. */
  for (gint64 i = 0; i < n_rows * n_tokens; i++)
    y_fast[i] = NAN;
  hearth_cpu_matmul (pool, HEARTH_CPU_PATH_FAST, type, w, n_rows, n_cols, x, n_tokens, y_fast);

  for (gint64 t = 0; t < n_tokens; t++)
    {
      const float *xt = x + t * n_cols;
      double e = activation_error_bound (type, xt, n_cols);
      double x_norm = 0.0;

      for (gint64 c = 0; c < n_cols; c++)
        x_norm += (double) xt[c] * xt[c];
      x_norm = sqrt (x_norm);
      for (gint64 r = 0; r < n_rows; r++)
        {
          double diff = fabs ((double) y_fast[t * n_rows + r] - y_ref[t * n_rows + r]);
          double bound = w_norm[r] * (e * 1.001 + 2e-5 * x_norm) + 1e-30;

          ck_assert_msg (diff <= bound, "%s %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                         " tokens %" G_GINT64_FORMAT " threads %d: y[%" G_GINT64_FORMAT "][%" G_GINT64_FORMAT
                         "] fast %.9g ref %.9g (bound %.3g)",
                         hearth_ggml_type_name (type), n_rows, n_cols, n_tokens,
                         hearth_thread_pool_get_n_threads (pool), t, r,
                         (double) y_fast[t * n_rows + r], (double) y_ref[t * n_rows + r], bound);
          worst = MAX (worst, diff / bound);
        }
    }
  }
  return worst;
}

/* Loop index: type, and SIMD on (even) or off (odd: the portable fast path). */
START_TEST (test_fast_vs_reference)
{
  HearthGgmlType type = all_types[_i / 2];
  gboolean simd = _i % 2 == 0;
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  /* Block multiples: 1 block, a few, and a long row; float types get odd lengths too. */
  const gint64 k_blocks[] = { 1, 3, 8 };
  const gint64 float_cols[] = { 1, 7, 32, 200, 1000 };
  const gint64 rows[] = { 1, 7, 33, 257 };
  const gint64 tokens[] = { 1, 3, 17 };
  /* NULL (no pool) and pools of 1, 2 and 3 threads. */
  HearthThreadPool *pools[4] = { NULL, hearth_thread_pool_new (1), hearth_thread_pool_new (2),
                                 hearth_thread_pool_new (3) };
  g_autoptr(GRand) rand = g_rand_new_with_seed (100 + type);
  guint n_cols_cases = info->quantized ? G_N_ELEMENTS (k_blocks) : G_N_ELEMENTS (float_cols);
  double worst = 0.0;

  hearth_cpu_set_simd_enabled (simd);
  if (!simd)
    ck_assert_str_eq (hearth_cpu_features (), "scalar");

  for (guint ic = 0; ic < n_cols_cases; ic++)
    for (guint ir = 0; ir < G_N_ELEMENTS (rows); ir++)
      {
        gint64 n_cols = info->quantized ? k_blocks[ic] * info->block_size : float_cols[ic];
        gint64 n_rows = rows[ir];
        g_autofree guint8 *w = random_weights (rand, type, n_rows, n_cols);

        for (guint it = 0; it < G_N_ELEMENTS (tokens); it++)
          {
            gint64 n_tokens = tokens[it];
            g_autofree float *x = g_new (float, n_cols * n_tokens);

            for (gint64 i = 0; i < n_cols * n_tokens; i++)
              x[i] = (float) g_rand_double_range (rand, -2.0, 2.0);
            /* A zero block must not divide by zero in the activation quantizer. */
            if (n_tokens == 3)
              memset (x, 0, sizeof (float) * MIN (n_cols, 32));
            worst = MAX (worst, check_fast_against_reference (pools, G_N_ELEMENTS (pools), type, w,
                                                              n_rows, n_cols, x, n_tokens));
          }
      }
  for (guint ip = 0; ip < G_N_ELEMENTS (pools); ip++)
    hearth_thread_pool_free (pools[ip]);
  g_print ("%-5s fast vs reference: worst error %.3f of its bound (%s)\n",
           hearth_ggml_type_name (type), worst, hearth_cpu_features ());
}
END_TEST

/* The matrix-matrix kernels (HEARTH_CPU_PATH_FAST_MM: every token count,
 * odd shapes, every type) against the scalar reference, and each token's
 * row of the result bit for bit the same computed alone: what makes an
 * embedding independent of its batch. */
START_TEST (test_gemm_vs_reference)
{
  HearthGgmlType type = all_types[_i];
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type);
  const gint64 rows[] = { 1, 5, 33, 70 };
  const gint64 tokens[] = { 1, 2, 5, 50, 97 };
  HearthThreadPool *pool = hearth_thread_pool_new (3);
  g_autoptr(GRand) rand = g_rand_new_with_seed (300 + type);
  gint64 n_cols = info->quantized ? 3 * info->block_size : 203;
  double worst = 0.0;

  for (guint ir = 0; ir < G_N_ELEMENTS (rows); ir++)
    for (guint it = 0; it < G_N_ELEMENTS (tokens); it++)
      {
        gint64 n_rows = rows[ir], n_tokens = tokens[it];
        g_autofree guint8 *w = random_weights (rand, type, n_rows, n_cols);
        g_autofree float *x = g_new (float, n_cols * n_tokens);
        g_autofree float *y_ref = g_new (float, n_rows * n_tokens);
        g_autofree float *y = g_new (float, n_rows * n_tokens);
        g_autofree float *y1 = g_new (float, n_rows);

        for (gint64 i = 0; i < n_cols * n_tokens; i++)
          x[i] = (float) g_rand_double_range (rand, -2.0, 2.0);
        hearth_cpu_matmul (NULL, HEARTH_CPU_PATH_REFERENCE, type, w, n_rows, n_cols, x, n_tokens, y_ref);
        hearth_cpu_matmul (pool, HEARTH_CPU_PATH_FAST_MM, type, w, n_rows, n_cols, x, n_tokens, y);
        g_autofree float *wf = g_new (float, n_rows * n_cols);
        guint64 row_bytes;

        ck_assert (hearth_ggml_row_size (type, n_cols, &row_bytes));
        for (gint64 r = 0; r < n_rows; r++)
          hearth_dequantize_row (type, w + r * row_bytes, wf + r * n_cols, n_cols);
        for (gint64 i = 0; i < n_rows * n_tokens; i++)
          {
            /* f32 sums of the exact weights: only the summation order
             * differs, so the bound is the f32 rounding of sum |w x|. */
            gint64 t = i / n_rows, r = i % n_rows;
            double abs_sum = 0.0, bound;

            for (gint64 c = 0; c < n_cols; c++)
              abs_sum += fabs ((double) wf[r * n_cols + c] * x[t * n_cols + c]);
            bound = 4.0 * sqrt ((double) n_cols) * 6e-8 * abs_sum + 1e-7;

            ck_assert_msg (fabs (y[i] - y_ref[i]) <= bound, "%s %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                           " tokens %" G_GINT64_FORMAT ": element %" G_GINT64_FORMAT " %.9g vs %.9g",
                           hearth_ggml_type_name (type), n_rows, n_cols, n_tokens, i, y[i], y_ref[i]);
            worst = MAX (worst, fabs (y[i] - y_ref[i]) / bound);
          }
        for (gint64 t = 0; t < n_tokens; t += MAX (1, n_tokens / 4))
          {
            hearth_cpu_matmul (pool, HEARTH_CPU_PATH_FAST_MM, type, w, n_rows, n_cols, x + t * n_cols, 1, y1);
            ck_assert_msg (memcmp (y1, y + t * n_rows, sizeof (float) * n_rows) == 0,
                           "%s: token %" G_GINT64_FORMAT " alone differs from its batched row",
                           hearth_ggml_type_name (type), t);
          }
      }
  hearth_thread_pool_free (pool);
  g_print ("%-5s matrix-matrix vs reference: worst error %.3f of its bound\n", hearth_ggml_type_name (type), worst);
}
END_TEST

/* The reference path is the oracle: check it against a float64 product of
 * the dequantized weights on a real model tensor of every type. */
START_TEST (test_reference_on_models)
{
  const char *files[] = {
    "synth-llama-F32.gguf", "synth-llama-F16.gguf", "synth-llama-BF16.gguf",
    "synth-llama-Q4_0-pure.gguf", "synth-llama-Q4_1-pure.gguf", "synth-llama-Q5_0-pure.gguf",
    "synth-llama-Q5_1-pure.gguf", "synth-llama-Q8_0-pure.gguf", "synth-llama-Q2_K-pure.gguf",
    "synth-llama-Q3_K_S-pure.gguf", "synth-llama-Q4_K_M-pure.gguf", "synth-llama-Q5_K_M-pure.gguf",
    "synth-llama-Q6_K-pure.gguf",
  };
  HearthThreadPool *pool = hearth_thread_pool_new (2);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);

  hearth_cpu_set_simd_enabled (TRUE);

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = hearth_test_data_path ("models", "synthetic", files[f], NULL);
      g_autoptr(HearthGguf) g = hearth_gguf_open (path, &error);
      const HearthGgufTensor *t;
      gint64 n_cols, n_rows;
      const gint64 n_tokens = 5;
      g_autofree float *x = NULL, *y = NULL, *row = NULL;
      guint64 row_bytes;

      hearth_assert_no_error (error);
      t = hearth_gguf_find_tensor (g, "blk.1.ffn_down.weight");
      ck_assert (t != NULL);
      n_cols = t->ne[0];
      n_rows = t->ne[1];
      ck_assert (hearth_ggml_row_size (t->type, n_cols, &row_bytes));
      x = g_new (float, n_cols * n_tokens);
      y = g_new (float, n_rows * n_tokens);
      row = g_new (float, n_cols);
      for (gint64 i = 0; i < n_cols * n_tokens; i++)
        x[i] = (float) g_rand_double_range (rand, -3.0, 3.0);
      hearth_cpu_matmul (NULL, HEARTH_CPU_PATH_REFERENCE, t->type, t->data, n_rows, n_cols, x, n_tokens, y);
      for (gint64 r = 0; r < n_rows; r++)
        {
          hearth_dequantize_row (t->type, t->data + r * row_bytes, row, n_cols);
          for (gint64 k = 0; k < n_tokens; k++)
            {
              double s = 0.0, sa = 0.0;

              for (gint64 c = 0; c < n_cols; c++)
                {
                  s += (double) row[c] * x[k * n_cols + c];
                  sa += fabs ((double) row[c] * x[k * n_cols + c]);
                }
              /* f32 summation of n terms: error <= n eps sum |terms| */
              ck_assert_msg (fabs (y[k * n_rows + r] - s) <= n_cols * 6e-8 * sa,
                             "%s row %" G_GINT64_FORMAT ": %.9g vs %.9g", files[f], r,
                             (double) y[k * n_rows + r], s);
            }
        }
      /* And the fast path on the same real tensor. */
      check_fast_against_reference (&pool, 1, t->type, t->data, n_rows, n_cols, x, n_tokens);
    }
  hearth_thread_pool_free (pool);
}
END_TEST

/* Turning SIMD back on after a portable run restores the SIMD kernels
 * (Check may run every test in one process). */
START_TEST (test_simd_switch)
{
  hearth_cpu_set_simd_enabled (FALSE);
  ck_assert_str_eq (hearth_cpu_features (), "scalar");
  hearth_cpu_set_simd_enabled (TRUE);
  ck_assert (strcmp (hearth_cpu_features (), "scalar") == 0 ||
             strcmp (hearth_cpu_features (), "avx2+fma+f16c") == 0);
#if defined(__x86_64__)
  if (hearth_cpu_has_avx2 ())
    ck_assert_str_eq (hearth_cpu_features (), "avx2+fma+f16c");
#endif
}
END_TEST

static Suite *
matmul_suite (void)
{
  Suite *s = suite_create ("matmul");
  TCase *tc = tcase_create ("pool");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_pool_runs);
  suite_add_tcase (s, tc);

  tc = tcase_create ("matmul");
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_fast_vs_reference, 0, 2 * G_N_ELEMENTS (all_types));
  tcase_add_loop_test (tc, test_gemm_vs_reference, 0, G_N_ELEMENTS (all_types));
  tcase_add_test (tc, test_reference_on_models);
  tcase_add_test (tc, test_simd_switch);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (matmul_suite ());
}
