/* hearth-cpu-avx2.c: AVX2 + FMA + F16C dot-product kernels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -mavx2 -mfma -mf16c; hearth-matmul.c calls into this file only
 * after hearth_cpu_has_avx2() confirmed the CPU has all three.
 *
 * Integer kernels: a weight block is unpacked to 32 unsigned bytes per
 * register and multiplied with 32 signed activation bytes by maddubs (pairs
 * summed to 16 bits: at most 2 * 63 * 127, no saturation for weights of up
 * to 6 bits), then widened to 32 bits by madd with the group scale. The
 * constant offset of a format (q - 8, q - 32, ...) and the mins are folded in
 * through the activation sums (s of Q8X, bsums of Q8_K), so no signed
 * unpacking is needed.
 */
#include "hearth-cpu-private.h"

#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

/* CPUID directly (clang's __builtin_cpu_supports knows no "f16c"): AVX2 in
 * leaf 7, FMA/F16C/AVX/OSXSAVE in leaf 1, and the OS must save YMM state. */
gboolean
hearth_cpu_has_avx2 (void)
{
  unsigned int a, b, c, d;
  unsigned int xcr0_lo, xcr0_hi;

  if (!__get_cpuid (1, &a, &b, &c, &d))
    return FALSE;
  if (!(c & bit_FMA) || !(c & bit_F16C) || !(c & bit_AVX) || !(c & bit_OSXSAVE))
    return FALSE;
  __asm__ ("xgetbv" : "=a" (xcr0_lo), "=d" (xcr0_hi) : "c" (0));
  if ((xcr0_lo & 6) != 6) /* XMM and YMM state enabled */
    return FALSE;
  if (!__get_cpuid_count (7, 0, &a, &b, &c, &d))
    return FALSE;
  return (b & bit_AVX2) != 0;
}

static inline float
hsum_ps (__m256 v)
{
  __m128 s = _mm_add_ps (_mm256_castps256_ps128 (v), _mm256_extractf128_ps (v, 1));

  s = _mm_add_ps (s, _mm_movehl_ps (s, s));
  s = _mm_add_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

static inline int
hsum_epi32 (__m256i v)
{
  __m128i s = _mm_add_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));

  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (1, 0, 3, 2)));
  s = _mm_add_epi32 (s, _mm_shuffle_epi32 (s, _MM_SHUFFLE (2, 3, 0, 1)));
  return _mm_cvtsi128_si32 (s);
}

static inline float
h2f (guint16 h)
{
  return _cvtsh_ss (h);
}

/* ---- float weights ---- */

float
hearth_avx2_sum_f32 (const float *x,
                     gint64       n)
{
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  gint64 i = 0;
  float s;

  for (; i + 32 <= n; i += 32)
    {
      a0 = _mm256_add_ps (a0, _mm256_loadu_ps (x + i));
      a1 = _mm256_add_ps (a1, _mm256_loadu_ps (x + i + 8));
      a2 = _mm256_add_ps (a2, _mm256_loadu_ps (x + i + 16));
      a3 = _mm256_add_ps (a3, _mm256_loadu_ps (x + i + 24));
    }
  s = hsum_ps (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)));
  for (; i < n; i++)
    s += x[i];
  return s;
}

float
hearth_avx2_dot_f32 (const void *wv,
                     const void *xv,
                     gint64      n)
{
  const float *w = wv, *x = xv;
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  gint64 i = 0;
  float s;

  for (; i + 32 <= n; i += 32)
    {
      a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i), _mm256_loadu_ps (x + i), a0);
      a1 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 8), _mm256_loadu_ps (x + i + 8), a1);
      a2 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 16), _mm256_loadu_ps (x + i + 16), a2);
      a3 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i + 24), _mm256_loadu_ps (x + i + 24), a3);
    }
  for (; i + 8 <= n; i += 8)
    a0 = _mm256_fmadd_ps (_mm256_loadu_ps (w + i), _mm256_loadu_ps (x + i), a0);
  s = hsum_ps (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)));
  for (; i < n; i++)
    s += w[i] * x[i];
  return s;
}

static inline __m256
load_f16 (const guint16 *p)
{
  return _mm256_cvtph_ps (_mm_loadu_si128 ((const __m128i *) p));
}

static inline __m256
load_bf16 (const guint16 *p)
{
  __m256i v = _mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *) p));

  return _mm256_castsi256_ps (_mm256_slli_epi32 (v, 16));
}

float
hearth_avx2_dot_f16 (const void *wv,
                     const void *xv,
                     gint64      n)
{
  const guint16 *w = wv;
  const float *x = xv;
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  gint64 i = 0;
  float s;

  for (; i + 32 <= n; i += 32)
    {
      a0 = _mm256_fmadd_ps (load_f16 (w + i), _mm256_loadu_ps (x + i), a0);
      a1 = _mm256_fmadd_ps (load_f16 (w + i + 8), _mm256_loadu_ps (x + i + 8), a1);
      a2 = _mm256_fmadd_ps (load_f16 (w + i + 16), _mm256_loadu_ps (x + i + 16), a2);
      a3 = _mm256_fmadd_ps (load_f16 (w + i + 24), _mm256_loadu_ps (x + i + 24), a3);
    }
  for (; i + 8 <= n; i += 8)
    a0 = _mm256_fmadd_ps (load_f16 (w + i), _mm256_loadu_ps (x + i), a0);
  s = hsum_ps (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)));
  for (; i < n; i++)
    s += h2f (w[i]) * x[i];
  return s;
}

float
hearth_avx2_dot_bf16 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const guint16 *w = wv;
  const float *x = xv;
  __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
  gint64 i = 0;
  float s;

  for (; i + 32 <= n; i += 32)
    {
      a0 = _mm256_fmadd_ps (load_bf16 (w + i), _mm256_loadu_ps (x + i), a0);
      a1 = _mm256_fmadd_ps (load_bf16 (w + i + 8), _mm256_loadu_ps (x + i + 8), a1);
      a2 = _mm256_fmadd_ps (load_bf16 (w + i + 16), _mm256_loadu_ps (x + i + 16), a2);
      a3 = _mm256_fmadd_ps (load_bf16 (w + i + 24), _mm256_loadu_ps (x + i + 24), a3);
    }
  for (; i + 8 <= n; i += 8)
    a0 = _mm256_fmadd_ps (load_bf16 (w + i), _mm256_loadu_ps (x + i), a0);
  s = hsum_ps (_mm256_add_ps (_mm256_add_ps (a0, a1), _mm256_add_ps (a2, a3)));
  for (; i < n; i++)
    s += hearth_bf16_to_fp32 (w[i]) * x[i];
  return s;
}

/* ---- activation quantization ---- */

/* Largest |x| of 32 floats, as a broadcast-free scalar. */
static inline float
amax32 (const float *x)
{
  const __m256 abs_mask = _mm256_castsi256_ps (_mm256_set1_epi32 (0x7FFFFFFF));
  __m256 m = _mm256_and_ps (_mm256_loadu_ps (x), abs_mask);
  __m128 s;

  m = _mm256_max_ps (m, _mm256_and_ps (_mm256_loadu_ps (x + 8), abs_mask));
  m = _mm256_max_ps (m, _mm256_and_ps (_mm256_loadu_ps (x + 16), abs_mask));
  m = _mm256_max_ps (m, _mm256_and_ps (_mm256_loadu_ps (x + 24), abs_mask));
  s = _mm_max_ps (_mm256_castps256_ps128 (m), _mm256_extractf128_ps (m, 1));
  s = _mm_max_ps (s, _mm_movehl_ps (s, s));
  s = _mm_max_ss (s, _mm_movehdup_ps (s));
  return _mm_cvtss_f32 (s);
}

/* Rounds 32 floats times @id to the nearest integer and packs them to bytes
 * in order; returns their sum through @sum. */
static inline void
round32 (const float *x,
         float        id,
         gint8       *out,
         int         *sum)
{
  const __m256 vid = _mm256_set1_ps (id);
  __m256i i0 = _mm256_cvtps_epi32 (_mm256_mul_ps (_mm256_loadu_ps (x), vid));
  __m256i i1 = _mm256_cvtps_epi32 (_mm256_mul_ps (_mm256_loadu_ps (x + 8), vid));
  __m256i i2 = _mm256_cvtps_epi32 (_mm256_mul_ps (_mm256_loadu_ps (x + 16), vid));
  __m256i i3 = _mm256_cvtps_epi32 (_mm256_mul_ps (_mm256_loadu_ps (x + 24), vid));
  __m256i s = _mm256_add_epi32 (_mm256_add_epi32 (i0, i1), _mm256_add_epi32 (i2, i3));
  /* packs interleave 128-bit lanes; the permute puts the bytes back in order */
  __m256i p01 = _mm256_packs_epi32 (i0, i1);
  __m256i p23 = _mm256_packs_epi32 (i2, i3);
  __m256i b = _mm256_packs_epi16 (p01, p23);

  b = _mm256_permutevar8x32_epi32 (b, _mm256_setr_epi32 (0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256 ((__m256i *) out, b);
  *sum = hsum_epi32 (s);
}

void
hearth_avx2_quantize_q8x (const float    *x,
                          HearthBlockQ8X *y,
                          gint64          n)
{
  for (gint64 i = 0; i < n / HEARTH_QK; i++, x += HEARTH_QK, y++)
    {
      float amax = amax32 (x);
      float d = amax / 127.0f;
      float id = amax > 0.0f ? 127.0f / amax : 0.0f;
      int sum;

      round32 (x, id, y->qs, &sum);
      y->d = d;
      y->s = d * (float) sum;
    }
}

void
hearth_avx2_quantize_q8k (const float     *x,
                          HearthBlockQ8_K *y,
                          gint64           n)
{
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++, x += HEARTH_QK_K, y++)
    {
      float amax = 0.0f;
      float id;

      for (int j = 0; j < HEARTH_QK_K; j += 32)
        amax = MAX (amax, amax32 (x + j));
      id = amax > 0.0f ? 127.0f / amax : 0.0f;
      y->d = amax / 127.0f;
      for (int j = 0; j < HEARTH_QK_K; j += 32)
        {
          int sum;

          round32 (x + j, id, y->qs + j, &sum);
        }
      for (int g = 0; g < HEARTH_QK_K / 16; g++)
        {
          int s = 0;

          for (int l = 0; l < 16; l++)
            s += y->qs[16 * g + l];
          y->bsums[g] = (gint16) s;
        }
    }
}

/* ---- 32-block types x Q8X ---- */

/* Sum over 32 lanes of u[i] * s[i] (u unsigned < 128, s signed), as 8 int32 partial sums. */
static inline __m256i
dot_u8_s8 (__m256i u,
           __m256i s)
{
  return _mm256_madd_epi16 (_mm256_maddubs_epi16 (u, s), _mm256_set1_epi16 (1));
}

/* The 32 nibbles of a 16-byte run as bytes 0..31: low nibbles first. The
 * 16 bytes are loaded into both halves at once (vbroadcasti128 is a load,
 * no shuffle) and only the upper half shifted: one shift and one mask,
 * where a shift, two masks and a lane insert (vinserti128) came before.
 * Shifts and inserts share two of the four vector pipes on Zen 3, which
 * the 4-bit mat-vecs saturate (bench-matmul, 4096x4096, one thread:
 * Q4_0 1.6%, Q4_1, Q5_0 and Q5_1 5% less time, medians of 3 pairs). */
static inline __m256i
unpack_nibbles (const guint8 *qs)
{
  __m256i t = _mm256_broadcastsi128_si256 (_mm_loadu_si128 ((const __m128i *) qs));

  return _mm256_and_si256 (_mm256_srlv_epi32 (t, _mm256_setr_epi32 (0, 0, 0, 0, 4, 4, 4, 4)),
                           _mm256_set1_epi8 (0x0F));
}

/* Byte i of the result is 0xFF where bit i of @bits is set. */
static inline __m256i
expand_bits (const guint8 *p)
{
  guint32 bits;
  __m256i v, shuf, mask;

  memcpy (&bits, p, 4);
  v = _mm256_set1_epi32 ((int) bits);
  shuf = _mm256_setr_epi64x (0x0000000000000000, 0x0101010101010101,
                             0x0202020202020202, 0x0303030303030303);
  v = _mm256_shuffle_epi8 (v, shuf);
  mask = _mm256_set1_epi64x ((gint64) 0x8040201008040201ull);
  return _mm256_cmpeq_epi8 (_mm256_and_si256 (v, mask), mask);
}

float
hearth_avx2_dot_q4_0 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ4_0 *w = wv;
  const HearthBlockQ8X *x = xv;
  __m256 acc = _mm256_setzero_ps ();
  float off = 0.0f;

  /* sum d_w (q - 8) x = d_w d_x sum q qx - 8 d_w s_x */
  for (gint64 i = 0; i < n / HEARTH_QK; i++)
    {
      float dw = h2f (w[i].d);
      __m256i p = dot_u8_s8 (unpack_nibbles (w[i].qs),
                             _mm256_loadu_si256 ((const __m256i *) x[i].qs));

      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (dw * x[i].d), acc);
      off += dw * x[i].s;
    }
  return hsum_ps (acc) - 8.0f * off;
}

float
hearth_avx2_dot_q4_1 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ4_1 *w = wv;
  const HearthBlockQ8X *x = xv;
  __m256 acc = _mm256_setzero_ps ();
  float off = 0.0f;

  for (gint64 i = 0; i < n / HEARTH_QK; i++)
    {
      float dw = h2f (w[i].d);
      __m256i p = dot_u8_s8 (unpack_nibbles (w[i].qs),
                             _mm256_loadu_si256 ((const __m256i *) x[i].qs));

      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (dw * x[i].d), acc);
      off += h2f (w[i].m) * x[i].s;
    }
  return hsum_ps (acc) + off;
}

float
hearth_avx2_dot_q5_0 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ5_0 *w = wv;
  const HearthBlockQ8X *x = xv;
  __m256 acc = _mm256_setzero_ps ();
  float off = 0.0f;

  for (gint64 i = 0; i < n / HEARTH_QK; i++)
    {
      float dw = h2f (w[i].d);
      __m256i q = _mm256_or_si256 (unpack_nibbles (w[i].qs),
                                   _mm256_and_si256 (expand_bits (w[i].qh), _mm256_set1_epi8 (0x10)));
      __m256i p = dot_u8_s8 (q, _mm256_loadu_si256 ((const __m256i *) x[i].qs));

      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (dw * x[i].d), acc);
      off += dw * x[i].s;
    }
  return hsum_ps (acc) - 16.0f * off;
}

float
hearth_avx2_dot_q5_1 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ5_1 *w = wv;
  const HearthBlockQ8X *x = xv;
  __m256 acc = _mm256_setzero_ps ();
  float off = 0.0f;

  for (gint64 i = 0; i < n / HEARTH_QK; i++)
    {
      float dw = h2f (w[i].d);
      __m256i q = _mm256_or_si256 (unpack_nibbles (w[i].qs),
                                   _mm256_and_si256 (expand_bits (w[i].qh), _mm256_set1_epi8 (0x10)));
      __m256i p = dot_u8_s8 (q, _mm256_loadu_si256 ((const __m256i *) x[i].qs));

      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (dw * x[i].d), acc);
      off += h2f (w[i].m) * x[i].s;
    }
  return hsum_ps (acc) + off;
}

float
hearth_avx2_dot_q8_0 (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ8_0 *w = wv;
  const HearthBlockQ8X *x = xv;
  __m256 acc = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / HEARTH_QK; i++)
    {
      __m256i qw = _mm256_loadu_si256 ((const __m256i *) w[i].qs);
      __m256i qx = _mm256_loadu_si256 ((const __m256i *) x[i].qs);
      /* maddubs wants one unsigned operand: move w's sign onto x. Activations
       * never hold -128 (they are scaled to +-127), so the negation is safe. */
      __m256i p = dot_u8_s8 (_mm256_sign_epi8 (qw, qw), _mm256_sign_epi8 (qx, qw));

      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (p), _mm256_set1_ps (h2f (w[i].d) * x[i].d), acc);
    }
  return hsum_ps (acc);
}

/* ---- K types x Q8_K ---- */

/* Scales of two groups of 16 as 16-bit lanes: @lo for lanes 0..7 (elements
 * 0..15 after maddubs), @hi for lanes 8..15. */
static inline __m256i
scale_pair (int lo,
            int hi)
{
  return _mm256_set_m128i (_mm_set1_epi16 ((short) hi), _mm_set1_epi16 ((short) lo));
}

float
hearth_avx2_dot_q2_k (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ2_K *w = wv;
  const HearthBlockQ8_K *x = xv;
  const __m256i m3 = _mm256_set1_epi8 (3);
  float sum = 0.0f;

  /* sum over groups g: d (sc_g & 15) sum q y - dmin (sc_g >> 4) bsum_g */
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      const guint8 *sc = w[i].scales;
      __m256i acc = _mm256_setzero_si256 ();
      int msum = 0;

      for (int g = 0; g < 16; g++)
        msum += (sc[g] >> 4) * x[i].bsums[g];
      for (int h = 0; h < 2; h++)
        {
          __m256i bits = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * h));

          for (int j = 0; j < 4; j++)
            {
              __m256i q = _mm256_and_si256 (_mm256_srli_epi16 (bits, 2 * j), m3);
              __m256i y = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 128 * h + 32 * j));
              int g = 8 * h + 2 * j;
              __m256i p = _mm256_maddubs_epi16 (q, y);

              acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (p, scale_pair (sc[g] & 15, sc[g + 1] & 15)));
            }
        }
      sum += x[i].d * (h2f (w[i].d) * (float) hsum_epi32 (acc) - h2f (w[i].dmin) * (float) msum);
    }
  return sum;
}

float
hearth_avx2_dot_q3_k (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ3_K *w = wv;
  const HearthBlockQ8_K *x = xv;
  const __m256i m3 = _mm256_set1_epi8 (3);
  float sum = 0.0f;

  /* q3 = (q2 | hbit << 2) - 4: sum_g sc_g (sum u y - 4 bsum_g) */
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      int sc[16];
      __m256i acc = _mm256_setzero_si256 ();
      __m256i hm = _mm256_loadu_si256 ((const __m256i *) w[i].hmask);
      int off = 0;

      hearth_q3k_scales (w[i].scales, sc);
      for (int g = 0; g < 16; g++)
        off += sc[g] * x[i].bsums[g];
      for (int h = 0; h < 2; h++)
        {
          __m256i bits = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * h));

          for (int j = 0; j < 4; j++)
            {
              __m256i bit = _mm256_set1_epi8 ((char) (1 << (4 * h + j)));
              __m256i hb = _mm256_and_si256 (_mm256_cmpeq_epi8 (_mm256_and_si256 (hm, bit), bit),
                                             _mm256_set1_epi8 (4));
              __m256i q = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (bits, 2 * j), m3), hb);
              __m256i y = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 128 * h + 32 * j));
              int g = 8 * h + 2 * j;
              __m256i p = _mm256_maddubs_epi16 (q, y);

              acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (p, scale_pair (sc[g], sc[g + 1])));
            }
        }
      sum += x[i].d * h2f (w[i].d) * (float) (hsum_epi32 (acc) - 4 * off);
    }
  return sum;
}

/* The 8 scales and 8 mins of a Q4_K/Q5_K block, unpacked as bytes with
 * 32-bit word operations: groups 0..3 sit in the low 6 bits of words 0 (scales)
 * and 1 (mins); groups 4..7 take their low nibbles from word 2 and their top
 * two bits from the spare bits 6..7 of words 0 and 1. */
static inline void
k4_scales_mins (const guint8 *packed,
                guint64      *scales,
                guint64      *mins)
{
  guint32 a, b, c;

  memcpy (&a, packed, 4);
  memcpy (&b, packed + 4, 4);
  memcpy (&c, packed + 8, 4);
  *scales = (guint64) (a & 0x3F3F3F3Fu) |
            (guint64) ((c & 0x0F0F0F0Fu) | (((a >> 6) & 0x03030303u) << 4)) << 32;
  *mins = (guint64) (b & 0x3F3F3F3Fu) |
          (guint64) (((c >> 4) & 0x0F0F0F0Fu) | (((b >> 6) & 0x03030303u) << 4)) << 32;
}

/* sum over the 8 groups of 32 of min_j * (bsums[2j] + bsums[2j+1]), as 8 int32 lanes */
static inline __m256i
k4_min_products (const HearthBlockQ8_K *x,
                 guint64                mins)
{
  __m256i pair_sums = _mm256_madd_epi16 (_mm256_loadu_si256 ((const __m256i *) x->bsums),
                                         _mm256_set1_epi16 (1));

  return _mm256_mullo_epi32 (pair_sums, _mm256_cvtepu8_epi32 (_mm_cvtsi64_si128 ((gint64) mins)));
}

float
hearth_avx2_dot_q4_k (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ4_K *w = wv;
  const HearthBlockQ8_K *x = xv;
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  __m256 acc = _mm256_setzero_ps ();
  __m256 acc_m = _mm256_setzero_ps ();

  /* sum_j d sc_j sum q y - dmin m_j sum y, both parts kept as float vectors */
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      __m256i sum = _mm256_setzero_si256 ();
      guint64 sc, mn;

      k4_scales_mins (w[i].scales, &sc, &mn);
      for (int k = 0; k < 4; k++)
        {
          __m256i bits = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * k));
          __m256i ylo = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 64 * k));
          __m256i yhi = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 64 * k + 32));
          __m256i plo = _mm256_maddubs_epi16 (_mm256_and_si256 (bits, m4), ylo);
          __m256i phi = _mm256_maddubs_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (bits, 4), m4), yhi);

          plo = _mm256_madd_epi16 (plo, _mm256_set1_epi16 ((short) ((sc >> (16 * k)) & 0xFF)));
          phi = _mm256_madd_epi16 (phi, _mm256_set1_epi16 ((short) ((sc >> (16 * k + 8)) & 0xFF)));
          sum = _mm256_add_epi32 (sum, _mm256_add_epi32 (plo, phi));
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (sum), _mm256_set1_ps (h2f (w[i].d) * x[i].d), acc);
      acc_m = _mm256_fmadd_ps (_mm256_cvtepi32_ps (k4_min_products (&x[i], mn)),
                               _mm256_set1_ps (h2f (w[i].dmin) * x[i].d), acc_m);
    }
  return hsum_ps (acc) - hsum_ps (acc_m);
}

float
hearth_avx2_dot_q5_k (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ5_K *w = wv;
  const HearthBlockQ8_K *x = xv;
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  const __m256i m1 = _mm256_set1_epi8 (1);
  __m256 acc = _mm256_setzero_ps ();
  __m256 acc_m = _mm256_setzero_ps ();

  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      __m256i sum = _mm256_setzero_si256 ();
      __m256i hbits = _mm256_loadu_si256 ((const __m256i *) w[i].qh);
      guint64 sc, mn;

      k4_scales_mins (w[i].scales, &sc, &mn);
      for (int k = 0; k < 4; k++)
        {
          __m256i bits = _mm256_loadu_si256 ((const __m256i *) (w[i].qs + 32 * k));
          __m256i ylo = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 64 * k));
          __m256i yhi = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 64 * k + 32));
          /* srli on 16-bit lanes moves bits across bytes; the & 1 keeps only each byte's own */
          __m256i hlo = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * k), m1), 4);
          __m256i hhi = _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hbits, 2 * k + 1), m1), 4);
          __m256i qlo = _mm256_or_si256 (_mm256_and_si256 (bits, m4), hlo);
          __m256i qhi = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (bits, 4), m4), hhi);
          __m256i plo = _mm256_madd_epi16 (_mm256_maddubs_epi16 (qlo, ylo),
                                           _mm256_set1_epi16 ((short) ((sc >> (16 * k)) & 0xFF)));
          __m256i phi = _mm256_madd_epi16 (_mm256_maddubs_epi16 (qhi, yhi),
                                           _mm256_set1_epi16 ((short) ((sc >> (16 * k + 8)) & 0xFF)));

          sum = _mm256_add_epi32 (sum, _mm256_add_epi32 (plo, phi));
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (sum), _mm256_set1_ps (h2f (w[i].d) * x[i].d), acc);
      acc_m = _mm256_fmadd_ps (_mm256_cvtepi32_ps (k4_min_products (&x[i], mn)),
                               _mm256_set1_ps (h2f (w[i].dmin) * x[i].d), acc_m);
    }
  return hsum_ps (acc) - hsum_ps (acc_m);
}

float
hearth_avx2_dot_q6_k (const void *wv,
                      const void *xv,
                      gint64      n)
{
  const HearthBlockQ6_K *w = wv;
  const HearthBlockQ8_K *x = xv;
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  const __m256i m3 = _mm256_set1_epi8 (3);
  /* shuffles that put 16-bit scale 2j in the low lane and 2j + 1 in the high lane */
  const __m256i pick[4] = {
    _mm256_setr_epi8 (0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                      2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3),
    _mm256_setr_epi8 (4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
                      6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7),
    _mm256_setr_epi8 (8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
                      10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11),
    _mm256_setr_epi8 (12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13,
                      14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15),
  };
  __m256 acc = _mm256_setzero_ps ();

  /* q6 - 32: sum_g sc_g (sum q y - 32 bsum_g) */
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      __m256i scales16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i].scales));
      __m256i sum = _mm256_slli_epi32 (
        _mm256_madd_epi16 (scales16, _mm256_loadu_si256 ((const __m256i *) x[i].bsums)), 5);

      sum = _mm256_sub_epi32 (_mm256_setzero_si256 (), sum);
      for (int h = 0; h < 2; h++)
        {
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h));
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h + 32));
          __m256i hb = _mm256_loadu_si256 ((const __m256i *) (w[i].qh + 32 * h));
          __m256i sc = _mm256_broadcastsi128_si256 (h == 0 ? _mm256_castsi256_si128 (scales16)
                                                           : _mm256_extracti128_si256 (scales16, 1));
          __m256i q[4];

          q[0] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                  _mm256_slli_epi16 (_mm256_and_si256 (hb, m3), 4));
          q[1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                  _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 2), m3), 4));
          q[2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                  _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 4), m3), 4));
          q[3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                  _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 6), m3), 4));
          for (int j = 0; j < 4; j++)
            {
              __m256i y = _mm256_loadu_si256 ((const __m256i *) (x[i].qs + 128 * h + 32 * j));

              sum = _mm256_add_epi32 (sum, _mm256_madd_epi16 (_mm256_maddubs_epi16 (q[j], y),
                                                              _mm256_shuffle_epi8 (sc, pick[j])));
            }
        }
      acc = _mm256_fmadd_ps (_mm256_cvtepi32_ps (sum), _mm256_set1_ps (h2f (w[i].d) * x[i].d), acc);
    }
  return hsum_ps (acc);
}

/* ---- four activation rows at once (prompt batches) ----
 *
 * The same products as the single-row kernel, but each weight block is
 * unpacked once for four tokens. Only Q6_K gains from this (its unpacking
 * is the costliest: 60 -> 87 GFLOP/s at 16 tokens); for Q8_0, Q4_K and the
 * float types, four activation rows crowd L1 and the four-token kernels
 * measured slower than the single-row ones, so they have none. @xs is the
 * byte stride between the four activation rows. */

void
hearth_avx2_dot4_q6_k (const void *wv,
                       const void *xv,
                       gsize       xs,
                       gint64      n,
                       float      *out)
{
  const HearthBlockQ6_K *w = wv;
  const HearthBlockQ8_K *x[4];
  const __m256i m4 = _mm256_set1_epi8 (0x0F);
  const __m256i m3 = _mm256_set1_epi8 (3);
  const __m256i pick[4] = {
    _mm256_setr_epi8 (0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                      2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3),
    _mm256_setr_epi8 (4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
                      6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7),
    _mm256_setr_epi8 (8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
                      10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11),
    _mm256_setr_epi8 (12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13,
                      14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15),
  };
  __m256 acc[4];

  for (int t = 0; t < 4; t++)
    {
      x[t] = (const HearthBlockQ8_K *) ((const guint8 *) xv + t * xs);
      acc[t] = _mm256_setzero_ps ();
    }
  for (gint64 i = 0; i < n / HEARTH_QK_K; i++)
    {
      __m256i scales16 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const __m128i *) w[i].scales));
      __m256i q[8], s[8];
      float d = h2f (w[i].d);

      for (int h = 0; h < 2; h++)
        {
          __m256i l0 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h));
          __m256i l1 = _mm256_loadu_si256 ((const __m256i *) (w[i].ql + 64 * h + 32));
          __m256i hb = _mm256_loadu_si256 ((const __m256i *) (w[i].qh + 32 * h));
          __m256i sc = _mm256_broadcastsi128_si256 (h == 0 ? _mm256_castsi256_si128 (scales16)
                                                           : _mm256_extracti128_si256 (scales16, 1));

          q[4 * h + 0] = _mm256_or_si256 (_mm256_and_si256 (l0, m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (hb, m3), 4));
          q[4 * h + 1] = _mm256_or_si256 (_mm256_and_si256 (l1, m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 2), m3), 4));
          q[4 * h + 2] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l0, 4), m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 4), m3), 4));
          q[4 * h + 3] = _mm256_or_si256 (_mm256_and_si256 (_mm256_srli_epi16 (l1, 4), m4),
                                          _mm256_slli_epi16 (_mm256_and_si256 (_mm256_srli_epi16 (hb, 6), m3), 4));
          for (int j = 0; j < 4; j++)
            s[4 * h + j] = _mm256_shuffle_epi8 (sc, pick[j]);
        }
      for (int t = 0; t < 4; t++)
        {
          const HearthBlockQ8_K *xb = &x[t][i];
          __m256i sum = _mm256_slli_epi32 (
            _mm256_madd_epi16 (scales16, _mm256_loadu_si256 ((const __m256i *) xb->bsums)), 5);

          sum = _mm256_sub_epi32 (_mm256_setzero_si256 (), sum);
          for (int g = 0; g < 8; g++)
            {
              __m256i y = _mm256_loadu_si256 ((const __m256i *) (xb->qs + 32 * g));

              sum = _mm256_add_epi32 (sum, _mm256_madd_epi16 (_mm256_maddubs_epi16 (q[g], y), s[g]));
            }
          acc[t] = _mm256_fmadd_ps (_mm256_cvtepi32_ps (sum), _mm256_set1_ps (d * xb->d), acc[t]);
        }
    }
  for (int t = 0; t < 4; t++)
    out[t] = hsum_ps (acc[t]);
}

void
hearth_avx2_axpy_f16 (float         *y,
                      float          a,
                      const guint16 *x,
                      gint64         n)
{
  __m256 va = _mm256_set1_ps (a);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (va, load_f16 (x + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] += a * h2f (x[i]);
}

void
hearth_avx2_axpy_f32 (float       *y,
                      float        a,
                      const float *x,
                      gint64       n)
{
  __m256 va = _mm256_set1_ps (a);
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, _mm256_fmadd_ps (va, _mm256_loadu_ps (x + i), _mm256_loadu_ps (y + i)));
  for (; i < n; i++)
    y[i] += a * x[i];
}

/* ---- f32 matrix-matrix tiles (prompt processing, encoder batches) ----
 *
 * y[t][r] for a block of weight rows (already f32: the caller dequantizes a
 * tile of rows once and runs every token of the block over it) and a block
 * of tokens. The register tile is 4 rows x 3 tokens: 12 accumulators, one
 * weight vector and three activation vectors fill the 16 ymm registers, and
 * each step does 12 FMAs for 7 loads. Every (row, token) pair sums in the
 * same order whatever tile it falls in (one accumulator of 8 lanes along
 * the row, the lanes reduced by hsum_ps, the tail after), so a token's
 * result does not depend on the others in the batch. */

static void
gemm_tile_4x3 (const float *w, gsize ws, const float *x, gsize xs, gint64 n, float *y, gsize ys)
{
  __m256 a00 = _mm256_setzero_ps (), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
  __m256 a20 = a00, a21 = a00, a22 = a00, a30 = a00, a31 = a00, a32 = a00;
  const float *x0 = x, *x1 = x + xs, *x2 = x + 2 * xs;
  gint64 k = 0;

  for (; k + 8 <= n; k += 8)
    {
      __m256 v0 = _mm256_loadu_ps (x0 + k), v1 = _mm256_loadu_ps (x1 + k), v2 = _mm256_loadu_ps (x2 + k);
      __m256 wr;

      wr = _mm256_loadu_ps (w + k);
      a00 = _mm256_fmadd_ps (wr, v0, a00); a01 = _mm256_fmadd_ps (wr, v1, a01); a02 = _mm256_fmadd_ps (wr, v2, a02);
      wr = _mm256_loadu_ps (w + ws + k);
      a10 = _mm256_fmadd_ps (wr, v0, a10); a11 = _mm256_fmadd_ps (wr, v1, a11); a12 = _mm256_fmadd_ps (wr, v2, a12);
      wr = _mm256_loadu_ps (w + 2 * ws + k);
      a20 = _mm256_fmadd_ps (wr, v0, a20); a21 = _mm256_fmadd_ps (wr, v1, a21); a22 = _mm256_fmadd_ps (wr, v2, a22);
      wr = _mm256_loadu_ps (w + 3 * ws + k);
      a30 = _mm256_fmadd_ps (wr, v0, a30); a31 = _mm256_fmadd_ps (wr, v1, a31); a32 = _mm256_fmadd_ps (wr, v2, a32);
    }
  {
    __m256 acc[4][3] = { { a00, a01, a02 }, { a10, a11, a12 }, { a20, a21, a22 }, { a30, a31, a32 } };

    for (int r = 0; r < 4; r++)
      for (int t = 0; t < 3; t++)
        {
          float s = hsum_ps (acc[r][t]);

          for (gint64 j = k; j < n; j++)
            s += w[r * ws + j] * x[t * xs + j];
          y[t * ys + r] = s;
        }
  }
}

/* Any tile up to 4 x 3, with the same arithmetic per pair as the 4 x 3 one. */
static void
gemm_tile_small (const float *w, gsize ws, int nr, const float *x, gsize xs, int nt, gint64 n, float *y, gsize ys)
{
  for (int r = 0; r < nr; r++)
    for (int t = 0; t < nt; t++)
      {
        const float *wr = w + r * ws, *xt = x + t * xs;
        __m256 a = _mm256_setzero_ps ();
        gint64 k = 0;
        float s;

        for (; k + 8 <= n; k += 8)
          a = _mm256_fmadd_ps (_mm256_loadu_ps (wr + k), _mm256_loadu_ps (xt + k), a);
        s = hsum_ps (a);
        for (; k < n; k++)
          s += wr[k] * xt[k];
        y[t * ys + r] = s;
      }
}

void
hearth_avx2_gemm_f32 (const float *w,
                      gsize        w_stride,
                      gint64       n_rows,
                      const float *x,
                      gsize        x_stride,
                      gint64       n_tokens,
                      gint64       n,
                      float       *y,
                      gsize        y_stride)
{
  for (gint64 t = 0; t < n_tokens; t += 3)
    {
      int nt = (int) MIN (3, n_tokens - t);

      for (gint64 r = 0; r < n_rows; r += 4)
        {
          int nr = (int) MIN (4, n_rows - r);

          if (nr == 4 && nt == 3)
            gemm_tile_4x3 (w + r * w_stride, w_stride, x + t * x_stride, x_stride, n, y + t * y_stride + r, y_stride);
          else
            gemm_tile_small (w + r * w_stride, w_stride, nr, x + t * x_stride, x_stride, nt, n, y + t * y_stride + r,
                             y_stride);
        }
    }
}

void
hearth_avx2_f16_to_f32 (const guint16 *x, float *y, gint64 n)
{
  gint64 i = 0;

  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (y + i, load_f16 (x + i));
  for (; i < n; i++)
    y[i] = h2f (x[i]);
}
