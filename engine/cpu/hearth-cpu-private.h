/* hearth-cpu-private.h: internals shared by the CPU kernel files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "hearth-cpu.h"
#include "hearth-quant-blocks.h"

G_BEGIN_DECLS

/* Activations quantized for the integer kernels of the 32-block types (not a
 * file format): x ~= d * qs, s = d * sum (qs) for the types with a min. The
 * scale stays a float so the activations lose nothing beyond the 8 bits. */
typedef struct
{
  float d;
  float s;
  gint8 qs[HEARTH_QK];
} HearthBlockQ8X;

G_STATIC_ASSERT (sizeof (HearthBlockQ8X) == 40);

/* FALSE makes the fast path use the portable kernels even where AVX2 is
 * available (tests; HEARTH_CPU_NO_SIMD=1 in the environment does the same). */
void hearth_cpu_set_simd_enabled (gboolean enabled);

/* A grow-only buffer owned by @pool, reused by successive kernel calls. */
void *hearth_thread_pool_scratch (HearthThreadPool *pool,
                                  gsize             size);

/* ---- AVX2 + FMA + F16C kernels (hearth-cpu-avx2.c, built with those flags;
 * call only when hearth_cpu_has_avx2() says so) ---- */

gboolean hearth_cpu_has_avx2 (void);

/* Quantizes @n (multiple of 32 / 256) activations. */
void hearth_avx2_quantize_q8x (const float *x, HearthBlockQ8X *y, gint64 n);
void hearth_avx2_quantize_q8k (const float *x, HearthBlockQ8_K *y, gint64 n);

/* One weight row of @n elements times one activation row. */
typedef float (*HearthVecDotFunc) (const void *w, const void *x, gint64 n);

float hearth_avx2_dot_f32 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_f16 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_bf16 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q4_0 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q4_1 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q5_0 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q5_1 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q8_0 (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q2_k (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q3_k (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q4_k (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q5_k (const void *w, const void *x, gint64 n);
float hearth_avx2_dot_q6_k (const void *w, const void *x, gint64 n);

/* One weight row times four activation rows, @xs bytes apart; results in
 * out[0..3]. Only Q6_K has one (see hearth-cpu-avx2.c). */
typedef void (*HearthVecDot4Func) (const void *w, const void *x, gsize xs, gint64 n, float *out);

void hearth_avx2_dot4_q6_k (const void *w, const void *x, gsize xs, gint64 n, float *out);

/* y[t * y_stride + r] = w row r . x row t, for r < n_rows, t < n_tokens, rows
 * of n f32 (strides in floats): the register-tiled matrix-matrix kernel. A
 * pair's result does not depend on n_rows, n_tokens or its place in them. */
void hearth_avx2_gemm_f32 (const float *w, gsize w_stride, gint64 n_rows,
                           const float *x, gsize x_stride, gint64 n_tokens,
                           gint64 n, float *y, gsize y_stride);

/* F16 to f32 with F16C: exact, like hearth_dequantize_row (). */
void hearth_avx2_f16_to_f32 (const guint16 *x, float *y, gint64 n);

/* y += a * x (attention over the V cache). */
void hearth_avx2_axpy_f16 (float *y, float a, const guint16 *x, gint64 n);
void hearth_avx2_axpy_f32 (float *y, float a, const float *x, gint64 n);

/* Sums a float buffer with SIMD (the memory bandwidth probe). */
float hearth_avx2_sum_f32 (const float *x, gint64 n);

G_END_DECLS
