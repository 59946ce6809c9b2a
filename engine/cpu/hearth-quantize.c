/* hearth-quantize.c: f32 rows to every tensor type the CPU backend produces
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The 32-block types use the formats' plain round-to-nearest schemes. The
 * K types search, per group, for the scale (and min) that minimise a
 * weighted squared (or absolute) error, then quantize the group scales
 * themselves to 4, 6 or 8 bits against one float16 super-scale, and finally
 * re-quantize the values against the rounded scales, which is what the
 * file will actually hold. The search follows the published reference
 * algorithm step for step, so that our files come out like other tools'.
 */
#include "hearth-cpu.h"

#include <math.h>
#include <string.h>

#include "hearth-quant-blocks.h"

#define F2H hearth_fp32_to_fp16
#define H2F hearth_fp16_to_fp32

/* Groups whose largest magnitude is below this are stored as zeros. */
#define GROUP_EPS 1e-15f

/* Round half to even, like the float adds of the reference tools. */
static inline int
round_int (float v)
{
  return (int) lrintf (v);
}

/* ---- 32-block types ---- */

/* The value of largest magnitude (first one on ties), with its sign. */
static float
signed_absmax (const float *x,
               int          n)
{
  float amax = 0.0f, max = 0.0f;

  for (int j = 0; j < n; j++)
    if (amax < fabsf (x[j]))
      {
        amax = fabsf (x[j]);
        max = x[j];
      }
  return max;
}

static void
quantize_q4_0 (const float *x, HearthBlockQ4_0 *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK, y++)
    {
      /* The extreme value maps to -8, so the full 16 levels are used. */
      const float d = signed_absmax (x, HEARTH_QK) / -8.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;

      y->d = F2H (d);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          /* + 8.5 then truncation: round half up into 0..16, clamped to 15 */
          int a = MIN (15, (int) (gint8) (x[j] * id + 8.5f));
          int b = MIN (15, (int) (gint8) (x[j + 16] * id + 8.5f));

          y->qs[j] = (guint8) (a | (b << 4));
        }
    }
}

static void
quantize_q4_1 (const float *x, HearthBlockQ4_1 *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK, y++)
    {
      float min = G_MAXFLOAT, max = -G_MAXFLOAT;
      float d, id;

      for (int j = 0; j < HEARTH_QK; j++)
        {
          min = MIN (min, x[j]);
          max = MAX (max, x[j]);
        }
      d = (max - min) / 15.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      y->d = F2H (d);
      y->m = F2H (min);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          int a = MIN (15, (int) (gint8) ((x[j] - min) * id + 0.5f));
          int b = MIN (15, (int) (gint8) ((x[j + 16] - min) * id + 0.5f));

          y->qs[j] = (guint8) (a | (b << 4));
        }
    }
}

static void
quantize_q5_0 (const float *x, HearthBlockQ5_0 *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK, y++)
    {
      const float d = signed_absmax (x, HEARTH_QK) / -16.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      guint32 qh = 0;

      y->d = F2H (d);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          int a = MIN (31, (int) (gint8) (x[j] * id + 16.5f));
          int b = MIN (31, (int) (gint8) (x[j + 16] * id + 16.5f));

          y->qs[j] = (guint8) ((a & 0xF) | ((b & 0xF) << 4));
          qh |= (guint32) ((a >> 4) & 1) << j;
          qh |= (guint32) ((b >> 4) & 1) << (j + 16);
        }
      qh = GUINT32_TO_LE (qh);
      memcpy (y->qh, &qh, 4);
    }
}

static void
quantize_q5_1 (const float *x, HearthBlockQ5_1 *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK, y++)
    {
      float min = G_MAXFLOAT, max = -G_MAXFLOAT;
      float d, id;
      guint32 qh = 0;

      for (int j = 0; j < HEARTH_QK; j++)
        {
          min = MIN (min, x[j]);
          max = MAX (max, x[j]);
        }
      d = (max - min) / 31.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      y->d = F2H (d);
      y->m = F2H (min);
      for (int j = 0; j < HEARTH_QK / 2; j++)
        {
          int a = MIN (31, (int) (guint8) ((x[j] - min) * id + 0.5f));
          int b = MIN (31, (int) (guint8) ((x[j + 16] - min) * id + 0.5f));

          y->qs[j] = (guint8) ((a & 0xF) | ((b & 0xF) << 4));
          qh |= (guint32) ((a >> 4) & 1) << j;
          qh |= (guint32) ((b >> 4) & 1) << (j + 16);
        }
      qh = GUINT32_TO_LE (qh);
      memcpy (y->qh, &qh, 4);
    }
}

static void
quantize_q8_0 (const float *x, HearthBlockQ8_0 *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK, y++)
    {
      float amax = 0.0f, d, id;

      for (int j = 0; j < HEARTH_QK; j++)
        amax = MAX (amax, fabsf (x[j]));
      d = amax / 127.0f;
      id = d != 0.0f ? 1.0f / d : 0.0f;
      y->d = F2H (d);
      for (int j = 0; j < HEARTH_QK; j++)
        y->qs[j] = (gint8) roundf (x[j] * id);
    }
}

/* ---- scale searches of the K types ---- */

/* Symmetric levels -nmax..nmax-1 for n values with weight x^2 (or none for
 * @rmse == 0): tries 19 scales around -nmax / max and keeps the one that
 * maximises (sum w x l)^2 / sum w l^2, i.e. minimises the weighted error
 * with the best scale for those levels. L gets level + nmax. Returns the
 * scale. */
static float
search_symmetric (int          n,
                  int          nmax,
                  const float *x,
                  gint8       *L,
                  gboolean     rmse)
{
  float max = signed_absmax (x, n);
  float iscale, scale, best, sumlx = 0.0f, suml2 = 0.0f;

  if (fabsf (max) < GROUP_EPS)
    {
      memset (L, 0, n);
      return 0.0f;
    }
  iscale = -nmax / max;
  if (!rmse)
    {
      for (int i = 0; i < n; i++)
        L[i] = (gint8) (nmax + CLAMP (round_int (iscale * x[i]), -nmax, nmax - 1));
      return 1.0f / iscale;
    }
  for (int i = 0; i < n; i++)
    {
      int l = CLAMP (round_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];

      L[i] = (gint8) (l + nmax);
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  best = scale * sumlx;
  for (int is = -9; is <= 9; is++)
    {
      if (is == 0)
        continue;
      iscale = -(nmax + 0.1f * is) / max;
      sumlx = suml2 = 0.0f;
      for (int i = 0; i < n; i++)
        {
          int l = CLAMP (round_int (iscale * x[i]), -nmax, nmax - 1);
          float w = x[i] * x[i];

          sumlx += w * x[i] * l;
          suml2 += w * l * l;
        }
      if (suml2 > 0.0f && sumlx * sumlx > best * suml2)
        {
          for (int i = 0; i < n; i++)
            L[i] = (gint8) (nmax + CLAMP (round_int (iscale * x[i]), -nmax, nmax - 1));
          scale = sumlx / suml2;
          best = scale * sumlx;
        }
    }
  return scale;
}

/* Q3_K's variant: start from -nmax / max, then move single values to the
 * level that improves (sum x^2 x l)^2 / sum x^2 l^2 most, up to 5 sweeps. */
static float
search_symmetric_greedy (int          n,
                         int          nmax,
                         const float *x,
                         gint8       *L)
{
  float max = signed_absmax (x, n);
  float iscale, sumlx = 0.0f, suml2 = 0.0f;

  if (fabsf (max) < GROUP_EPS)
    {
      memset (L, 0, n);
      return 0.0f;
    }
  iscale = -nmax / max;
  for (int i = 0; i < n; i++)
    {
      int l = CLAMP (round_int (iscale * x[i]), -nmax, nmax - 1);
      float w = x[i] * x[i];

      L[i] = (gint8) l;
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  for (int sweep = 0; sweep < 5; sweep++)
    {
      int n_changed = 0;

      for (int i = 0; i < n; i++)
        {
          float w = x[i] * x[i];
          float slx = sumlx - w * x[i] * L[i];

          if (slx > 0.0f)
            {
              float sl2 = suml2 - w * L[i] * L[i];
              int nl = CLAMP (round_int (x[i] * sl2 / slx), -nmax, nmax - 1);

              if (nl != L[i])
                {
                  slx += w * x[i] * nl;
                  sl2 += w * nl * nl;
                  if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2)
                    {
                      L[i] = (gint8) nl;
                      sumlx = slx;
                      suml2 = sl2;
                      n_changed++;
                    }
                }
            }
        }
      if (n_changed == 0)
        break;
    }
  for (int i = 0; i < n; i++)
    L[i] = (gint8) (L[i] + nmax);
  return sumlx / suml2;
}

/* Levels 0..nmax with a scale and a min (x ~ scale * l - the_min, min <= 0
 * folded in): starts from the full range, then tries nstep + 1 stretched
 * ranges, solving the weighted least-squares scale and min for each level
 * assignment, and keeps the best by weighted squared (or absolute) error. */
static float
search_scale_min (int          n,
                  int          nmax,
                  const float *x,
                  const float *weights,
                  guint8      *L,
                  float       *the_min,
                  float        rmin,
                  float        rdelta,
                  int          nstep,
                  gboolean     use_mad)
{
  guint8 Laux[32];
  float min = x[0], max = x[0];
  float sum_w = weights[0], sum_x = sum_w * x[0];
  float iscale, scale, best_error = 0.0f;

  for (int i = 1; i < n; i++)
    {
      float w = weights[i];

      if (x[i] < min)
        min = x[i];
      if (x[i] > max)
        max = x[i];
      sum_w += w;
      sum_x += w * x[i];
    }
  if (min > 0.0f)
    min = 0.0f;
  if (max == min)
    {
      memset (L, 0, n);
      *the_min = -min;
      return 0.0f;
    }
  iscale = nmax / (max - min);
  scale = 1.0f / iscale;
  for (int i = 0; i < n; i++)
    {
      int l = CLAMP (round_int (iscale * (x[i] - min)), 0, nmax);
      float diff = scale * l + min - x[i];

      L[i] = (guint8) l;
      diff = use_mad ? fabsf (diff) : diff * diff;
      best_error += weights[i] * diff;
    }
  for (int is = 0; is <= nstep; is++)
    {
      float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f, D;

      iscale = (rmin + rdelta * is + nmax) / (max - min);
      for (int i = 0; i < n; i++)
        {
          int l = CLAMP (round_int (iscale * (x[i] - min)), 0, nmax);
          float w = weights[i];

          Laux[i] = (guint8) l;
          sum_l += w * l;
          sum_l2 += w * l * l;
          sum_xl += w * l * x[i];
        }
      D = sum_w * sum_l2 - sum_l * sum_l;
      if (D > 0.0f)
        {
          float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
          float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
          float cur_error = 0.0f;

          if (this_min > 0.0f)
            {
              this_min = 0.0f;
              this_scale = sum_xl / sum_l2;
            }
          for (int i = 0; i < n; i++)
            {
              float diff = this_scale * Laux[i] + this_min - x[i];

              diff = use_mad ? fabsf (diff) : diff * diff;
              cur_error += weights[i] * diff;
            }
          if (cur_error < best_error)
            {
              memcpy (L, Laux, n);
              best_error = cur_error;
              scale = this_scale;
              min = this_min;
            }
        }
    }
  *the_min = -min;
  return scale;
}

/* ---- K types ---- */

static void
quantize_q2_k (const float *x, HearthBlockQ2_K *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK_K, y++)
    {
      guint8 L[HEARTH_QK_K];
      float weights[16], scales[16], mins[16];
      float max_scale = 0.0f, max_min = 0.0f;

      for (int j = 0; j < 16; j++)
        {
          for (int l = 0; l < 16; l++)
            weights[l] = fabsf (x[16 * j + l]);
          scales[j] = search_scale_min (16, 3, x + 16 * j, weights, L + 16 * j, &mins[j],
                                        -0.5f, 0.1f, 15, TRUE);
          max_scale = MAX (max_scale, scales[j]);
          max_min = MAX (max_min, mins[j]);
        }
      /* 4-bit group scales and mins against float16 super-scales */
      if (max_scale > 0.0f)
        {
          float is = 15.0f / max_scale;

          for (int j = 0; j < 16; j++)
            y->scales[j] = (guint8) round_int (is * scales[j]);
          y->d = F2H (max_scale / 15.0f);
        }
      else
        {
          memset (y->scales, 0, 16);
          y->d = F2H (0.0f);
        }
      if (max_min > 0.0f)
        {
          float is = 15.0f / max_min;

          for (int j = 0; j < 16; j++)
            y->scales[j] |= (guint8) (round_int (is * mins[j]) << 4);
          y->dmin = F2H (max_min / 15.0f);
        }
      else
        y->dmin = F2H (0.0f);

      for (int j = 0; j < 16; j++)
        {
          const float d = H2F (y->d) * (y->scales[j] & 0xF);
          float dm;

          if (d == 0.0f)
            continue;
          dm = H2F (y->dmin) * (y->scales[j] >> 4);
          for (int l = 0; l < 16; l++)
            L[16 * j + l] = (guint8) CLAMP (round_int ((x[16 * j + l] + dm) / d), 0, 3);
        }
      for (int j = 0; j < HEARTH_QK_K; j += 128)
        for (int l = 0; l < 32; l++)
          y->qs[j / 4 + l] = (guint8) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                       (L[j + l + 96] << 6));
    }
}

static void
quantize_q3_k (const float *x, HearthBlockQ3_K *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK_K, y++)
    {
      gint8 L[HEARTH_QK_K];
      float scales[16];
      float max_scale = 0.0f, amax = 0.0f;

      for (int j = 0; j < 16; j++)
        {
          scales[j] = search_symmetric_greedy (16, 4, x + 16 * j, L + 16 * j);
          if (fabsf (scales[j]) > amax)
            {
              amax = fabsf (scales[j]);
              max_scale = scales[j];
            }
        }
      memset (y->scales, 0, 12);
      if (max_scale != 0.0f)
        {
          float is = -32.0f / max_scale;

          for (int j = 0; j < 16; j++)
            {
              int l = CLAMP (round_int (is * scales[j]), -32, 31) + 32;

              if (j < 8)
                y->scales[j] = (guint8) (l & 0xF);
              else
                y->scales[j - 8] |= (guint8) ((l & 0xF) << 4);
              y->scales[8 + j % 4] |= (guint8) ((l >> 4) << (2 * (j / 4)));
            }
          y->d = F2H (1.0f / is);
        }
      else
        y->d = F2H (0.0f);

      {
        int sc[16];

        hearth_q3k_scales (y->scales, sc);
        for (int j = 0; j < 16; j++)
          {
            const float d = H2F (y->d) * sc[j];

            if (d == 0.0f)
              continue;
            for (int l = 0; l < 16; l++)
              L[16 * j + l] = (gint8) (CLAMP (round_int (x[16 * j + l] / d), -4, 3) + 4);
          }
      }
      /* The high bit of level j goes to bit j / 32 of hmask[j % 32]. */
      memset (y->hmask, 0, 32);
      for (int j = 0; j < HEARTH_QK_K; j++)
        if (L[j] > 3)
          {
            y->hmask[j % 32] |= (guint8) (1 << (j / 32));
            L[j] -= 4;
          }
      for (int j = 0; j < HEARTH_QK_K; j += 128)
        for (int l = 0; l < 32; l++)
          y->qs[j / 4 + l] = (guint8) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                       (L[j + l + 96] << 6));
    }
}

/* Q4_K and Q5_K share everything but the level count and search range. */
static void
quantize_k4_scales (const float *x,
                    int          nmax,
                    float        rmin,
                    int          nstep,
                    guint8      *packed, /* 12 bytes */
                    guint16     *out_d,
                    guint16     *out_dmin,
                    guint8      *L)
{
  float weights[32], scales[8], mins[8];
  float max_scale = 0.0f, max_min = 0.0f, inv_scale, inv_min;

  for (int j = 0; j < 8; j++)
    {
      float sum_x2 = 0.0f, av_x;

      for (int l = 0; l < 32; l++)
        sum_x2 += x[32 * j + l] * x[32 * j + l];
      av_x = sqrtf (sum_x2 / 32);
      for (int l = 0; l < 32; l++)
        weights[l] = av_x + fabsf (x[32 * j + l]);
      scales[j] = search_scale_min (32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j],
                                    rmin, 0.1f, nstep, FALSE);
      max_scale = MAX (max_scale, scales[j]);
      max_min = MAX (max_min, mins[j]);
    }
  inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  for (int j = 0; j < 8; j++)
    {
      guint8 ls = MIN (63, (guint8) round_int (inv_scale * scales[j]));
      guint8 lm = MIN (63, (guint8) round_int (inv_min * mins[j]));

      if (j < 4)
        {
          packed[j] = ls;
          packed[j + 4] = lm;
        }
      else
        {
          packed[j + 4] = (guint8) ((ls & 0xF) | ((lm & 0xF) << 4));
          packed[j - 4] |= (guint8) ((ls >> 4) << 6);
          packed[j] |= (guint8) ((lm >> 4) << 6);
        }
    }
  *out_d = F2H (max_scale / 63.0f);
  *out_dmin = F2H (max_min / 63.0f);
  for (int j = 0; j < 8; j++)
    {
      guint8 sc, m;
      float d, dm;

      hearth_k4_scale_min (j, packed, &sc, &m);
      d = H2F (*out_d) * sc;
      if (d == 0.0f)
        continue;
      dm = H2F (*out_dmin) * m;
      for (int l = 0; l < 32; l++)
        L[32 * j + l] = (guint8) CLAMP (round_int ((x[32 * j + l] + dm) / d), 0, nmax);
    }
}

static void
quantize_q4_k (const float *x, HearthBlockQ4_K *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK_K, y++)
    {
      guint8 L[HEARTH_QK_K];

      memset (y->scales, 0, 12);
      quantize_k4_scales (x, 15, -1.0f, 20, y->scales, &y->d, &y->dmin, L);
      for (int k = 0; k < 4; k++)
        for (int l = 0; l < 32; l++)
          y->qs[32 * k + l] = (guint8) (L[64 * k + l] | (L[64 * k + l + 32] << 4));
    }
}

static void
quantize_q5_k (const float *x, HearthBlockQ5_K *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK_K, y++)
    {
      guint8 L[HEARTH_QK_K];

      memset (y->scales, 0, 12);
      quantize_k4_scales (x, 31, -0.5f, 15, y->scales, &y->d, &y->dmin, L);
      memset (y->qh, 0, 32);
      for (int k = 0; k < 4; k++)
        for (int l = 0; l < 32; l++)
          {
            int a = L[64 * k + l], b = L[64 * k + l + 32];

            y->qh[l] |= (guint8) (((a >> 4) << (2 * k)) | ((b >> 4) << (2 * k + 1)));
            y->qs[32 * k + l] = (guint8) ((a & 0xF) | ((b & 0xF) << 4));
          }
    }
}

static void
quantize_q6_k (const float *x, HearthBlockQ6_K *y, gint64 nb)
{
  for (gint64 i = 0; i < nb; i++, x += HEARTH_QK_K, y++)
    {
      gint8 L[HEARTH_QK_K];
      float scales[16];
      float max_scale = 0.0f, max_abs = 0.0f, is;

      for (int j = 0; j < 16; j++)
        {
          scales[j] = search_symmetric (16, 32, x + 16 * j, L + 16 * j, TRUE);
          if (fabsf (scales[j]) > max_abs)
            {
              max_abs = fabsf (scales[j]);
              max_scale = scales[j];
            }
        }
      if (max_abs < GROUP_EPS)
        {
          memset (y, 0, sizeof *y);
          continue;
        }
      is = -128.0f / max_scale;
      y->d = F2H (1.0f / is);
      for (int j = 0; j < 16; j++)
        y->scales[j] = (gint8) MIN (127, round_int (is * scales[j]));
      for (int j = 0; j < 16; j++)
        {
          const float d = H2F (y->d) * y->scales[j];

          if (d == 0.0f)
            continue;
          for (int l = 0; l < 16; l++)
            L[16 * j + l] = (gint8) (CLAMP (round_int (x[16 * j + l] / d), -32, 31) + 32);
        }
      for (int h = 0; h < 2; h++)
        {
          const gint8 *Lh = L + 128 * h;
          guint8 *ql = y->ql + 64 * h;
          guint8 *qh = y->qh + 32 * h;

          for (int l = 0; l < 32; l++)
            {
              ql[l] = (guint8) ((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
              ql[l + 32] = (guint8) ((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
              qh[l] = (guint8) ((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) |
                                ((Lh[l + 96] >> 4) << 6));
            }
        }
    }
}

gboolean
hearth_quantize_row (HearthGgmlType type,
                     const float   *src,
                     void          *dst,
                     gint64         n)
{
  switch (type)
    {
    case HEARTH_GGML_TYPE_F32:
      memcpy (dst, src, (size_t) n * sizeof (float));
      return TRUE;
    case HEARTH_GGML_TYPE_F16:
      for (gint64 i = 0; i < n; i++)
        ((guint16 *) dst)[i] = GUINT16_TO_LE (F2H (src[i]));
      return TRUE;
    case HEARTH_GGML_TYPE_BF16:
      for (gint64 i = 0; i < n; i++)
        ((guint16 *) dst)[i] = GUINT16_TO_LE (hearth_fp32_to_bf16 (src[i]));
      return TRUE;
    case HEARTH_GGML_TYPE_Q4_0:
      quantize_q4_0 (src, dst, n / HEARTH_QK);
      return TRUE;
    case HEARTH_GGML_TYPE_Q4_1:
      quantize_q4_1 (src, dst, n / HEARTH_QK);
      return TRUE;
    case HEARTH_GGML_TYPE_Q5_0:
      quantize_q5_0 (src, dst, n / HEARTH_QK);
      return TRUE;
    case HEARTH_GGML_TYPE_Q5_1:
      quantize_q5_1 (src, dst, n / HEARTH_QK);
      return TRUE;
    case HEARTH_GGML_TYPE_Q8_0:
      quantize_q8_0 (src, dst, n / HEARTH_QK);
      return TRUE;
    case HEARTH_GGML_TYPE_Q2_K:
      quantize_q2_k (src, dst, n / HEARTH_QK_K);
      return TRUE;
    case HEARTH_GGML_TYPE_Q3_K:
      quantize_q3_k (src, dst, n / HEARTH_QK_K);
      return TRUE;
    case HEARTH_GGML_TYPE_Q4_K:
      quantize_q4_k (src, dst, n / HEARTH_QK_K);
      return TRUE;
    case HEARTH_GGML_TYPE_Q5_K:
      quantize_q5_k (src, dst, n / HEARTH_QK_K);
      return TRUE;
    case HEARTH_GGML_TYPE_Q6_K:
      quantize_q6_k (src, dst, n / HEARTH_QK_K);
      return TRUE;
    default:
      return FALSE;
    }
}
