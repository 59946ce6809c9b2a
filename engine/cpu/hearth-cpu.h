/* hearth-cpu.h: the CPU backend's kernels (engine-internal)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every kernel has a plain scalar reference (the oracle for tests and for
 * the GPU backend) and, where it matters, a fast path (AVX2/FMA/F16C chosen
 * at run time, multi-threaded). Shapes follow ggml: a matrix of n_rows rows
 * of n_cols elements is stored row-major, ne[0] = n_cols fastest.
 */
#pragma once

#include <glib.h>

#include "hearth-ggml-type.h"
#include "hearth-bench.h"
#include "hearth-model-quantize.h"

G_BEGIN_DECLS

/* ---- scalar conversions ---- */

float   hearth_fp16_to_fp32 (guint16 h);
guint16 hearth_fp32_to_fp16 (float f);   /* round to nearest even */
float   hearth_bf16_to_fp32 (guint16 h);
guint16 hearth_fp32_to_bf16 (float f);   /* round to nearest even */

/* ---- tensor types ---- */

/* TRUE for the types the CPU backend computes with: F32, F16, BF16, Q4_0,
 * Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. */
gboolean hearth_cpu_type_supported (HearthGgmlType type);

/* Dequantizes @n values (a multiple of the block size) from @src.
 * Exact: bit for bit what the format defines. */
void hearth_dequantize_row (HearthGgmlType type,
                            const void    *src,
                            float         *dst,
                            gint64         n);

/* ---- threads ---- */

typedef struct _HearthThreadPool HearthThreadPool;

/* @n_threads <= 0 means one per online CPU core. */
HearthThreadPool *hearth_thread_pool_new (int n_threads);
void              hearth_thread_pool_free (HearthThreadPool *pool);
int               hearth_thread_pool_get_n_threads (HearthThreadPool *pool);
/* Calls fn (data, ith, nth) for ith = 0..nth-1 on the pool's threads (the
 * caller is one of them) and returns when all are done. */
void              hearth_thread_pool_run (HearthThreadPool *pool,
                                          void            (*fn) (void *data, int ith, int nth),
                                          void             *data);

/* ---- matrix multiplication ---- */

typedef enum
{
  HEARTH_CPU_PATH_REFERENCE, /* scalar: dequantize a row, f32 dot product; single thread */
  HEARTH_CPU_PATH_FAST,      /* best the CPU offers; may quantize activations (Q8_0/Q8_K) */
  HEARTH_CPU_PATH_FAST_MM,   /* fast, and always the matrix-matrix kernels (f32 on dequantized
                              * weight tiles) even for one token: each token's result is then the
                              * same whatever else is in the batch */
} HearthCpuPath;

/* Y[t][r] = sum_c W[r][c] * X[t][c] for t < n_tokens, r < n_rows.
 *   W: n_rows x n_cols of @type (row stride = hearth_ggml_row_size (type, n_cols))
 *   X: n_tokens x n_cols f32, row stride n_cols
 *   Y: n_tokens x n_rows f32, row stride n_rows
 * @pool may be NULL (single thread). n_cols is a multiple of the block size. */
void hearth_cpu_matmul (HearthThreadPool *pool,
                        HearthCpuPath     path,
                        HearthGgmlType    type,
                        const void       *w,
                        gint64            n_rows,
                        gint64            n_cols,
                        const float      *x,
                        gint64            n_tokens,
                        float            *y);

/* ---- attention rows over the KV cache (f16 or f32 rows) ---- */

/* q . k for one cached key row of @n values. */
float hearth_cpu_kv_dot (HearthCpuPath path, gboolean f16, const float *q, const void *k, gint64 n);
/* y += a * v for one cached value row. */
void  hearth_cpu_kv_axpy (HearthCpuPath path, gboolean f16, float *y, float a, const void *v, gint64 n);

/* The read bandwidth probe of hearth-bench.h on the pool's threads, with
 * buffers of at most @max_bytes (0: 1 GiB); the other returns its median
 * in bytes/s. */
void   hearth_cpu_probe_read_bandwidth (HearthThreadPool *pool,
                                        gsize             max_bytes,
                                        HearthBandwidth  *out);
double hearth_cpu_measure_read_bandwidth (HearthThreadPool *pool,
                                          gsize             max_bytes);
gsize  hearth_cpu_last_level_cache_bytes (void);

/* Which fast kernels this CPU runs: "avx2+fma+f16c" or "scalar". */
const char *hearth_cpu_features (void);

G_END_DECLS
