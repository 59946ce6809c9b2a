/* hearth-quant.c: half-float conversions and exact dequantization of every
 * tensor type the CPU backend supports
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dequantization must be bit-exact with the format's definition, so every
 * formula below does the same float operations in the same order as the
 * definition (scale products first, then the multiply by q, then the
 * subtraction of the min). This file is built with -ffp-contract=off:
 * fusing "d * q - m" into an FMA would change the last bit.
 */
#include "hearth-cpu.h"

#include <string.h>

#include "hearth-quant-blocks.h"

/* ---- scalar conversions ---- */

static inline guint32
f32_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, 4);
  return u;
}

static inline float
bits_f32 (guint32 u)
{
  float f;

  memcpy (&f, &u, 4);
  return f;
}

float
hearth_fp16_to_fp32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1F;
  guint32 mant = h & 0x3FF;

  if (exp == 0x1F)
    return bits_f32 (sign | 0x7F800000u | (mant << 13)); /* inf, NaN (payload kept) */
  if (exp != 0)
    return bits_f32 (sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0)
    return bits_f32 (sign);
  /* Subnormal half: mant * 2^-24 is exact in float. */
  {
    float v = (float) mant * bits_f32 (0x33800000u); /* 2^-24 */

    return sign ? -v : v;
  }
}

guint16
hearth_fp32_to_fp16 (float f)
{
  guint32 u = f32_bits (f);
  guint16 sign = (guint16) ((u >> 16) & 0x8000);
  guint32 abs = u & 0x7FFFFFFFu;

  if (abs >= 0x7F800000u)
    {
      if (abs == 0x7F800000u)
        return sign | 0x7C00;
      return sign | 0x7E00 | (guint16) ((abs >> 13) & 0x3FF); /* quiet NaN */
    }
  if (abs >= 0x477FF000u) /* rounds to >= 65520: overflow to infinity */
    return sign | 0x7C00;
  if (abs >= 0x38800000u) /* normal half (>= 2^-14) */
    {
      guint32 mant = abs & 0x7FFFFF;
      guint32 exp = (abs >> 23) - 112;
      guint32 h = (exp << 10) | (mant >> 13);
      guint32 rest = mant & 0x1FFF;

      /* Round to nearest even; a carry into the exponent is the right result. */
      if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
      return sign | (guint16) h;
    }
  if (abs < 0x33000000u) /* below half the smallest subnormal (2^-25): zero */
    return sign;
  /* Subnormal half: value = m * 2^-24 with m < 1024. */
  {
    guint32 exp = abs >> 23;            /* biased float exponent, 102..112 */
    guint32 mant = (abs & 0x7FFFFF) | 0x800000;
    guint32 shift = 126 - exp;          /* so that m = mant >> shift */
    guint32 h = mant >> shift;
    guint32 rest = mant & ((1u << shift) - 1);
    guint32 half = 1u << (shift - 1);

    if (rest > half || (rest == half && (h & 1)))
      h++;
    return sign | (guint16) h;
  }
}

float
hearth_bf16_to_fp32 (guint16 h)
{
  return bits_f32 ((guint32) h << 16);
}

guint16
hearth_fp32_to_bf16 (float f)
{
  guint32 u = f32_bits (f);

  if ((u & 0x7FFFFFFFu) > 0x7F800000u)
    return (guint16) ((u >> 16) | 0x40); /* NaN stays a quiet NaN */
  u += 0x7FFF + ((u >> 16) & 1);
  return (guint16) (u >> 16);
}

/* ---- tensor types ---- */

gboolean
hearth_cpu_type_supported (HearthGgmlType type)
{
  switch (type)
    {
    case HEARTH_GGML_TYPE_F32:
    case HEARTH_GGML_TYPE_F16:
    case HEARTH_GGML_TYPE_BF16:
    case HEARTH_GGML_TYPE_Q4_0:
    case HEARTH_GGML_TYPE_Q4_1:
    case HEARTH_GGML_TYPE_Q5_0:
    case HEARTH_GGML_TYPE_Q5_1:
    case HEARTH_GGML_TYPE_Q8_0:
    case HEARTH_GGML_TYPE_Q2_K:
    case HEARTH_GGML_TYPE_Q3_K:
    case HEARTH_GGML_TYPE_Q4_K:
    case HEARTH_GGML_TYPE_Q5_K:
    case HEARTH_GGML_TYPE_Q6_K:
      return TRUE;
    default:
      return FALSE;
    }
}

#define H2F hearth_fp16_to_fp32

static void
dequant_q4_0 (const HearthBlockQ4_0 *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++, y += HEARTH_QK)
    {
      const float d = H2F (b->d);

      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          y[j] = (float) ((b->qs[j] & 0xF) - 8) * d;
          y[j + 16] = (float) ((b->qs[j] >> 4) - 8) * d;
        }
    }
}

static void
dequant_q4_1 (const HearthBlockQ4_1 *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++, y += HEARTH_QK)
    {
      const float d = H2F (b->d);
      const float m = H2F (b->m);

      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          y[j] = (float) (b->qs[j] & 0xF) * d + m;
          y[j + 16] = (float) (b->qs[j] >> 4) * d + m;
        }
    }
}

static void
dequant_q5_0 (const HearthBlockQ5_0 *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++, y += HEARTH_QK)
    {
      const float d = H2F (b->d);
      guint32 qh;

      memcpy (&qh, b->qh, 4);
      qh = GUINT32_FROM_LE (qh);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          int lo = (b->qs[j] & 0xF) | (((qh >> j) & 1) << 4);
          int hi = (b->qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);

          y[j] = (float) (lo - 16) * d;
          y[j + 16] = (float) (hi - 16) * d;
        }
    }
}

static void
dequant_q5_1 (const HearthBlockQ5_1 *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++, y += HEARTH_QK)
    {
      const float d = H2F (b->d);
      const float m = H2F (b->m);
      guint32 qh;

      memcpy (&qh, b->qh, 4);
      qh = GUINT32_FROM_LE (qh);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          int lo = (b->qs[j] & 0xF) | (((qh >> j) & 1) << 4);
          int hi = (b->qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);

          y[j] = (float) lo * d + m;
          y[j + 16] = (float) hi * d + m;
        }
    }
}

static void
dequant_q8_0 (const HearthBlockQ8_0 *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++, y += HEARTH_QK)
    {
      const float d = H2F (b->d);

      for (int j = 0; j < HEARTH_QK; j++)
        y[j] = (float) b->qs[j] * d;
    }
}

static void
dequant_q2_k (const HearthBlockQ2_K *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++)
    {
      const float d = H2F (b->d);
      const float dmin = H2F (b->dmin);
      const guint8 *q = b->qs;
      int is = 0;

      /* Two halves of 128; each byte of a 32-byte run holds 4 elements 32 apart. */
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2)
          for (int g = 0; g < 2; g++, is++)
            {
              const float dl = d * (float) (b->scales[is] & 0xF);
              const float ml = dmin * (float) (b->scales[is] >> 4);

              for (int l = 0; l < 16; l++)
                *y++ = dl * (float) ((q[16 * g + l] >> shift) & 3) - ml;
            }
    }
}

static void
dequant_q3_k (const HearthBlockQ3_K *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++)
    {
      const float d = H2F (b->d);
      const guint8 *q = b->qs;
      int scales[16];
      int is = 0;
      guint8 mask = 1;

      hearth_q3k_scales (b->scales, scales);
      for (int half = 0; half < 2; half++, q += 32)
        for (int shift = 0; shift < 8; shift += 2, mask <<= 1)
          for (int g = 0; g < 2; g++, is++)
            {
              const float dl = d * (float) scales[is];

              for (int l = 0; l < 16; l++)
                {
                  int v = ((q[16 * g + l] >> shift) & 3) - ((b->hmask[16 * g + l] & mask) ? 0 : 4);

                  *y++ = dl * (float) v;
                }
            }
    }
}

static void
dequant_q4_k (const HearthBlockQ4_K *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++)
    {
      const float d = H2F (b->d);
      const float dmin = H2F (b->dmin);
      const guint8 *q = b->qs;

      /* Four runs of 32 bytes: low nibbles are group 2k, high nibbles group 2k+1. */
      for (int k = 0; k < 4; k++, q += 32)
        {
          guint8 sc, m;
          float d1, m1, d2, m2;

          hearth_k4_scale_min (2 * k, b->scales, &sc, &m);
          d1 = d * (float) sc;
          m1 = dmin * (float) m;
          hearth_k4_scale_min (2 * k + 1, b->scales, &sc, &m);
          d2 = d * (float) sc;
          m2 = dmin * (float) m;
          for (int l = 0; l < 32; l++)
            *y++ = d1 * (float) (q[l] & 0xF) - m1;
          for (int l = 0; l < 32; l++)
            *y++ = d2 * (float) (q[l] >> 4) - m2;
        }
    }
}

static void
dequant_q5_k (const HearthBlockQ5_K *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++)
    {
      const float d = H2F (b->d);
      const float dmin = H2F (b->dmin);
      const guint8 *q = b->qs;

      for (int k = 0; k < 4; k++, q += 32)
        {
          guint8 sc, m;
          float d1, m1, d2, m2;

          hearth_k4_scale_min (2 * k, b->scales, &sc, &m);
          d1 = d * (float) sc;
          m1 = dmin * (float) m;
          hearth_k4_scale_min (2 * k + 1, b->scales, &sc, &m);
          d2 = d * (float) sc;
          m2 = dmin * (float) m;
          for (int l = 0; l < 32; l++)
            *y++ = d1 * (float) ((q[l] & 0xF) | (((b->qh[l] >> (2 * k)) & 1) << 4)) - m1;
          for (int l = 0; l < 32; l++)
            *y++ = d2 * (float) ((q[l] >> 4) | (((b->qh[l] >> (2 * k + 1)) & 1) << 4)) - m2;
        }
    }
}

static void
dequant_q6_k (const HearthBlockQ6_K *b, float *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, b++)
    {
      const float d = H2F (b->d);

      /* Two halves of 128: ql[0..63] and qh[0..31] for the first, then the next. */
      for (int half = 0; half < 2; half++)
        {
          const guint8 *ql = b->ql + 64 * half;
          const guint8 *qh = b->qh + 32 * half;
          const gint8 *sc = b->scales + 8 * half;

          for (int l = 0; l < 32; l++)
            {
              int is = l / 16;
              int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
              int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
              int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
              int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;

              y[l] = d * (float) sc[is + 0] * (float) q1;
              y[l + 32] = d * (float) sc[is + 2] * (float) q2;
              y[l + 64] = d * (float) sc[is + 4] * (float) q3;
              y[l + 96] = d * (float) sc[is + 6] * (float) q4;
            }
          y += 128;
        }
    }
}

void
hearth_dequantize_row (HearthGgmlType type,
                       const void    *src,
                       float         *dst,
                       gint64         n)
{
  switch (type)
    {
    case HEARTH_GGML_TYPE_F32:
      memcpy (dst, src, (size_t) n * sizeof (float));
      break;
    case HEARTH_GGML_TYPE_F16:
      {
        const guint16 *h = src;

        for (gint64 i = 0; i < n; i++)
          dst[i] = hearth_fp16_to_fp32 (GUINT16_FROM_LE (h[i]));
      }
      break;
    case HEARTH_GGML_TYPE_BF16:
      {
        const guint16 *h = src;

        for (gint64 i = 0; i < n; i++)
          dst[i] = hearth_bf16_to_fp32 (GUINT16_FROM_LE (h[i]));
      }
      break;
    case HEARTH_GGML_TYPE_Q4_0:
      dequant_q4_0 (src, dst, n / HEARTH_QK);
      break;
    case HEARTH_GGML_TYPE_Q4_1:
      dequant_q4_1 (src, dst, n / HEARTH_QK);
      break;
    case HEARTH_GGML_TYPE_Q5_0:
      dequant_q5_0 (src, dst, n / HEARTH_QK);
      break;
    case HEARTH_GGML_TYPE_Q5_1:
      dequant_q5_1 (src, dst, n / HEARTH_QK);
      break;
    case HEARTH_GGML_TYPE_Q8_0:
      dequant_q8_0 (src, dst, n / HEARTH_QK);
      break;
    case HEARTH_GGML_TYPE_Q2_K:
      dequant_q2_k (src, dst, n / HEARTH_QK_K);
      break;
    case HEARTH_GGML_TYPE_Q3_K:
      dequant_q3_k (src, dst, n / HEARTH_QK_K);
      break;
    case HEARTH_GGML_TYPE_Q4_K:
      dequant_q4_k (src, dst, n / HEARTH_QK_K);
      break;
    case HEARTH_GGML_TYPE_Q5_K:
      dequant_q5_k (src, dst, n / HEARTH_QK_K);
      break;
    case HEARTH_GGML_TYPE_Q6_K:
      dequant_q6_k (src, dst, n / HEARTH_QK_K);
      break;
    default:
      /* Callers check hearth_cpu_type_supported() first; NaN makes a slip loud. */
      for (gint64 i = 0; i < n; i++)
        dst[i] = bits_f32 (0x7FC00000u);
      break;
    }
}
