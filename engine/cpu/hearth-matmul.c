/* hearth-matmul.c: quantized weight x f32 activation matrix products
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reference path is the oracle: each weight row is dequantized exactly
 * and dotted with each activation row in plain f32, left to right, on one
 * thread. The fast path splits the rows over the pool's threads and, on
 * AVX2 CPUs, quantizes the activations once per call (Q8 blocks of 32 for
 * the 32-block types, 256 for the K types) so the inner loops are integer
 * dot products on the packed weights; F32/F16/BF16 weights use FMA on the
 * f32 activations. Rows are taken in small tiles and each tile is run
 * against every token before moving on, so a prompt batch streams each
 * weight row from memory once. From GEMM_MIN_TOKENS tokens on (prompts,
 * encoder batches) the matrix-matrix path takes over: see
 * matmul_gemm_task.
 */
#include "hearth-cpu.h"

#include <string.h>

#include "hearth-cpu-private.h"

/* Rows per tile: 16 rows of 4096 Q8_0 are 136 KiB, which stay in L2 while
 * every token of the batch passes over them. */
#define ROW_TILE 16

typedef enum
{
  ACT_F32,  /* the kernel reads the f32 activations as they are */
  ACT_Q8X,  /* HearthBlockQ8X per 32 activations */
  ACT_Q8K,  /* HearthBlockQ8_K per 256 activations */
} ActKind;

typedef struct
{
  HearthVecDotFunc  dot;
  ActKind           act;
  HearthVecDot4Func dot4; /* optional: four tokens per weight pass */
} FastKernel;

static FastKernel avx2_kernels[HEARTH_GGML_TYPE_COUNT_];
static gboolean   have_avx2;
static gboolean   simd_disabled; /* tests and benchmarks of the portable path */

static void
init_kernels (void)
{
  static gsize initialized = 0;

  if (!g_once_init_enter (&initialized))
    return;
  if (g_getenv ("HEARTH_CPU_NO_SIMD") != NULL)
    simd_disabled = TRUE;
#ifdef HEARTH_HAVE_AVX2_KERNELS
  have_avx2 = hearth_cpu_has_avx2 ();
  if (have_avx2)
    {
#define K(t, f, a) avx2_kernels[HEARTH_GGML_TYPE_##t] = (FastKernel) { f, a, NULL }
      K (F32, hearth_avx2_dot_f32, ACT_F32);
      K (F16, hearth_avx2_dot_f16, ACT_F32);
      K (BF16, hearth_avx2_dot_bf16, ACT_F32);
      K (Q4_0, hearth_avx2_dot_q4_0, ACT_Q8X);
      K (Q4_1, hearth_avx2_dot_q4_1, ACT_Q8X);
      K (Q5_0, hearth_avx2_dot_q5_0, ACT_Q8X);
      K (Q5_1, hearth_avx2_dot_q5_1, ACT_Q8X);
      K (Q8_0, hearth_avx2_dot_q8_0, ACT_Q8X);
      K (Q2_K, hearth_avx2_dot_q2_k, ACT_Q8K);
      K (Q3_K, hearth_avx2_dot_q3_k, ACT_Q8K);
      K (Q4_K, hearth_avx2_dot_q4_k, ACT_Q8K);
      K (Q5_K, hearth_avx2_dot_q5_k, ACT_Q8K);
      K (Q6_K, hearth_avx2_dot_q6_k, ACT_Q8K);
#undef K
      avx2_kernels[HEARTH_GGML_TYPE_Q6_K].dot4 = hearth_avx2_dot4_q6_k;
    }
#endif
  g_once_init_leave (&initialized, 1);
}

static gboolean
use_avx2 (void)
{
  init_kernels ();
  return have_avx2 && !g_atomic_int_get (&simd_disabled);
}

void
hearth_cpu_set_simd_enabled (gboolean enabled)
{
  init_kernels ();
  g_atomic_int_set (&simd_disabled, !enabled);
}

const char *
hearth_cpu_features (void)
{
  return use_avx2 () ? "avx2+fma+f16c" : "scalar";
}

static gsize
weight_row_bytes (HearthGgmlType type,
                  gint64         n_cols)
{
  guint64 bytes = 0;

  hearth_ggml_row_size (type, (guint64) n_cols, &bytes);
  return (gsize) bytes;
}

/* ---- reference ---- */

static void
matmul_reference (HearthGgmlType type,
                  const guint8  *w,
                  gint64         n_rows,
                  gint64         n_cols,
                  const float   *x,
                  gint64         n_tokens,
                  float         *y)
{
  gsize row_bytes = weight_row_bytes (type, n_cols);
  g_autofree float *row = g_new (float, n_cols);

  for (gint64 r = 0; r < n_rows; r++)
    {
      hearth_dequantize_row (type, w + r * row_bytes, row, n_cols);
      for (gint64 t = 0; t < n_tokens; t++)
        {
          const float *xt = x + t * n_cols;
          float sum = 0.0f;

          for (gint64 c = 0; c < n_cols; c++)
            sum += row[c] * xt[c];
          y[t * n_rows + r] = sum;
        }
    }
}

/* ---- fast ---- */

typedef struct
{
  HearthGgmlType   type;
  const guint8    *w;
  gsize            row_bytes;
  gint64           n_rows;
  gint64           n_cols;
  const float     *x;
  gint64           n_tokens;
  float           *y;
  FastKernel       kernel;
  void            *xq;         /* quantized activations, n_tokens rows */
  gsize            xq_row_bytes;
} Matmul;

static void
quantize_activations_task (void *data,
                           int   ith,
                           int   nth)
{
  Matmul *m = data;
  gint64 block = m->kernel.act == ACT_Q8X ? HEARTH_QK : HEARTH_QK_K;
  gint64 nb = m->n_cols / block;
  gint64 total = nb * m->n_tokens;
  gint64 start = total * ith / nth;
  gint64 end = total * (ith + 1) / nth;

  /* Blocks are independent, so the split ignores token boundaries, except
   * that each run of blocks within one token is converted in one call. */
  while (start < end)
    {
      gint64 t = start / nb;
      gint64 b = start % nb;
      gint64 count = MIN (end - start, nb - b);
      const float *src = m->x + t * m->n_cols + b * block;
      guint8 *dst = (guint8 *) m->xq + t * m->xq_row_bytes;

#ifdef HEARTH_HAVE_AVX2_KERNELS
      if (m->kernel.act == ACT_Q8X)
        hearth_avx2_quantize_q8x (src, (HearthBlockQ8X *) dst + b, count * block);
      else
        hearth_avx2_quantize_q8k (src, (HearthBlockQ8_K *) dst + b, count * block);
#else
      (void) src;
      (void) dst;
#endif
      start += count;
    }
}

static void
matmul_simd_task (void *data,
                  int   ith,
                  int   nth)
{
  Matmul *m = data;
  gint64 r_begin = m->n_rows * ith / nth;
  gint64 r_end = m->n_rows * (ith + 1) / nth;

  for (gint64 r0 = r_begin; r0 < r_end; r0 += ROW_TILE)
    {
      gint64 r1 = MIN (r0 + ROW_TILE, r_end);
      gint64 t = 0;

      if (m->kernel.dot4 != NULL)
        {
          gsize xs = m->xq ? m->xq_row_bytes : (gsize) m->n_cols * sizeof (float);
          const guint8 *x0 = m->xq ? (const guint8 *) m->xq : (const guint8 *) m->x;

          for (; t + 4 <= m->n_tokens; t += 4)
            for (gint64 r = r0; r < r1; r++)
              {
                float out[4];

                m->kernel.dot4 (m->w + r * m->row_bytes, x0 + t * xs, xs, m->n_cols, out);
                for (int k = 0; k < 4; k++)
                  m->y[(t + k) * m->n_rows + r] = out[k];
              }
        }
      for (; t < m->n_tokens; t++)
        {
          const void *xt = m->xq ? (const void *) ((const guint8 *) m->xq + t * m->xq_row_bytes)
                                 : (const void *) (m->x + t * m->n_cols);
          float *yt = m->y + t * m->n_rows;

          for (gint64 r = r0; r < r1; r++)
            yt[r] = m->kernel.dot (m->w + r * m->row_bytes, xt, m->n_cols);
        }
    }
}

/* Without SIMD kernels: the reference arithmetic, spread over the threads. */
static void
matmul_generic_task (void *data,
                     int   ith,
                     int   nth)
{
  Matmul *m = data;
  gint64 r_begin = m->n_rows * ith / nth;
  gint64 r_end = m->n_rows * (ith + 1) / nth;
  g_autofree float *row = g_new (float, m->n_cols);

  for (gint64 r = r_begin; r < r_end; r++)
    {
      hearth_dequantize_row (m->type, m->w + r * m->row_bytes, row, m->n_cols);
      for (gint64 t = 0; t < m->n_tokens; t++)
        {
          const float *xt = m->x + t * m->n_cols;
          /* Four partial sums let the compiler vectorize the loop. */
          float s[4] = { 0, 0, 0, 0 };
          gint64 c = 0;

          for (; c + 4 <= m->n_cols; c += 4)
            for (int k = 0; k < 4; k++)
              s[k] += row[c + k] * xt[c + k];
          for (; c < m->n_cols; c++)
            s[0] += row[c] * xt[c];
          m->y[t * m->n_rows + r] = (s[0] + s[1]) + (s[2] + s[3]);
        }
    }
}

/* ---- matrix-matrix: f32 tiles on dequantized weight rows ----
 *
 * Each thread takes a share of the weight rows. Tokens are taken in blocks
 * of GEMM_TOKENS (their activations stay in L2), and within a block the
 * thread's rows in tiles of GEMM_ROWS: a tile is dequantized once into the
 * thread's f32 buffer (F32 weights are used in place) and every token of
 * the block runs over it in the register-tiled kernel. No activation is
 * quantized, so every type is computed from its exact weights. */

#define GEMM_TOKENS 48
#define GEMM_ROWS   16
/* Below this many tokens the mat-vec dot kernels stay faster. */
#define GEMM_MIN_TOKENS 4

static void
matmul_gemm_task (void *data,
                  int   ith,
                  int   nth)
{
  Matmul *m = data;
  /* Split on multiples of 4 rows, so every tile but the last is full. */
  gint64 n_quads = (m->n_rows + 3) / 4;
  gint64 r_begin = MIN (m->n_rows, 4 * (n_quads * ith / nth));
  gint64 r_end = MIN (m->n_rows, 4 * (n_quads * (ith + 1) / nth));
  gboolean f32 = m->type == HEARTH_GGML_TYPE_F32;
  g_autofree float *tile = f32 ? NULL : g_new (float, GEMM_ROWS * m->n_cols);

  for (gint64 t0 = 0; t0 < m->n_tokens; t0 += GEMM_TOKENS)
    {
      gint64 nt = MIN (GEMM_TOKENS, m->n_tokens - t0);

      for (gint64 r0 = r_begin; r0 < r_end; r0 += GEMM_ROWS)
        {
          gint64 nr = MIN (GEMM_ROWS, r_end - r0);
          const float *w;

          if (f32)
            w = (const float *) (m->w + r0 * m->row_bytes);
          else
            {
              for (gint64 r = 0; r < nr; r++)
                {
#ifdef HEARTH_HAVE_AVX2_KERNELS
                  if (m->type == HEARTH_GGML_TYPE_F16)
                    hearth_avx2_f16_to_f32 ((const guint16 *) (m->w + (r0 + r) * m->row_bytes), tile + r * m->n_cols,
                                            m->n_cols);
                  else
#endif
                    hearth_dequantize_row (m->type, m->w + (r0 + r) * m->row_bytes, tile + r * m->n_cols, m->n_cols);
                }
              w = tile;
            }
#ifdef HEARTH_HAVE_AVX2_KERNELS
          hearth_avx2_gemm_f32 (w, (gsize) m->n_cols, nr, m->x + t0 * m->n_cols, (gsize) m->n_cols, nt, m->n_cols,
                                m->y + t0 * m->n_rows + r0, (gsize) m->n_rows);
#else
          (void) w;
#endif
        }
    }
}

#define SMALL_MATMUL_MACS (1 << 17)

void
hearth_cpu_matmul (HearthThreadPool *pool,
                   HearthCpuPath     path,
                   HearthGgmlType    type,
                   const void       *w,
                   gint64            n_rows,
                   gint64            n_cols,
                   const float      *x,
                   gint64            n_tokens,
                   float            *y)
{
  Matmul m = {
    .type = type,
    .w = w,
    .row_bytes = weight_row_bytes (type, n_cols),
    .n_rows = n_rows,
    .n_cols = n_cols,
    .x = x,
    .n_tokens = n_tokens,
    .y = y,
  };
  g_autofree void *own_scratch = NULL;

  g_return_if_fail (hearth_cpu_type_supported (type));
  g_return_if_fail (n_cols > 0 && m.row_bytes > 0); /* n_cols a multiple of the block */
  if (n_rows <= 0 || n_tokens <= 0)
    return;

  /* Waking the other threads costs microseconds (far more on a busy
   * machine); products this small finish sooner on the calling thread. */
  if (n_rows * n_cols * n_tokens < SMALL_MATMUL_MACS)
    pool = NULL;

  if (path == HEARTH_CPU_PATH_REFERENCE)
    {
      matmul_reference (type, w, n_rows, n_cols, x, n_tokens, y);
      return;
    }

  if (!use_avx2 ())
    {
      hearth_thread_pool_run (pool, matmul_generic_task, &m);
      return;
    }

  if (path == HEARTH_CPU_PATH_FAST_MM || n_tokens >= GEMM_MIN_TOKENS)
    {
      hearth_thread_pool_run (pool, matmul_gemm_task, &m);
      return;
    }

  m.kernel = avx2_kernels[type];
  if (m.kernel.act != ACT_F32)
    {
      gsize size;

      if (m.kernel.act == ACT_Q8X)
        m.xq_row_bytes = (gsize) (n_cols / HEARTH_QK) * sizeof (HearthBlockQ8X);
      else
        m.xq_row_bytes = (gsize) (n_cols / HEARTH_QK_K) * sizeof (HearthBlockQ8_K);
      size = m.xq_row_bytes * (gsize) n_tokens;
      if (pool != NULL)
        m.xq = hearth_thread_pool_scratch (pool, size);
      else
        m.xq = own_scratch = g_malloc (size);
      /* A few rows of activations quantize faster here than the pool
       * wakes up: that saves one hand-off per matmul in decode. */
      if (n_tokens * n_cols <= 16384)
        quantize_activations_task (&m, 0, 1);
      else
        hearth_thread_pool_run (pool, quantize_activations_task, &m);
    }
  hearth_thread_pool_run (pool, matmul_simd_task, &m);
}

float
hearth_cpu_kv_dot (HearthCpuPath path,
                   gboolean      f16,
                   const float  *q,
                   const void   *k,
                   gint64        n)
{
  float s = 0.0f;

#ifdef HEARTH_HAVE_AVX2_KERNELS
  if (path != HEARTH_CPU_PATH_REFERENCE && use_avx2 ())
    return f16 ? hearth_avx2_dot_f16 (k, q, n) : hearth_avx2_dot_f32 (k, q, n);
#endif
  for (gint64 i = 0; i < n; i++)
    s += q[i] * (f16 ? hearth_fp16_to_fp32 (((const guint16 *) k)[i]) : ((const float *) k)[i]);
  return s;
}

void
hearth_cpu_kv_axpy (HearthCpuPath path,
                    gboolean      f16,
                    float        *y,
                    float         a,
                    const void   *v,
                    gint64        n)
{
#ifdef HEARTH_HAVE_AVX2_KERNELS
  if (path != HEARTH_CPU_PATH_REFERENCE && use_avx2 ())
    {
      if (f16)
        hearth_avx2_axpy_f16 (y, a, v, n);
      else
        hearth_avx2_axpy_f32 (y, a, v, n);
      return;
    }
#endif
  for (gint64 i = 0; i < n; i++)
    y[i] += a * (f16 ? hearth_fp16_to_fp32 (((const guint16 *) v)[i]) : ((const float *) v)[i]);
}
