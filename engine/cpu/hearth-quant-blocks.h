/* hearth-quant-blocks.h: the block layouts of the GGUF quantized tensor types
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * These are the public on-disk formats (little-endian, packed, no padding).
 * Scales are IEEE half floats stored as guint16. Every struct has a static
 * size assert because the file layout, not the compiler, defines them.
 */
#pragma once

#include <glib.h>

#define HEARTH_QK 32   /* elements per block of the 32-block types */
#define HEARTH_QK_K 256 /* elements per super-block of the K types */

/* y = d * (q - 8), q = 4 bits: low nibbles hold elements 0..15, high 16..31 */
typedef struct
{
  guint16 d;
  guint8  qs[HEARTH_QK / 2];
} HearthBlockQ4_0;

/* y = d * q + m */
typedef struct
{
  guint16 d;
  guint16 m;
  guint8  qs[HEARTH_QK / 2];
} HearthBlockQ4_1;

/* y = d * (q - 16), q = 5 bits: 4 in qs, the fifth in bit i of qh */
typedef struct
{
  guint16 d;
  guint8  qh[4];
  guint8  qs[HEARTH_QK / 2];
} HearthBlockQ5_0;

/* y = d * q + m */
typedef struct
{
  guint16 d;
  guint16 m;
  guint8  qh[4];
  guint8  qs[HEARTH_QK / 2];
} HearthBlockQ5_1;

/* y = d * q, q signed 8 bits */
typedef struct
{
  guint16 d;
  gint8   qs[HEARTH_QK];
} HearthBlockQ8_0;

/* 16 groups of 16: y = d * (sc & 15) * q - dmin * (sc >> 4), q = 2 bits */
typedef struct
{
  guint8  scales[HEARTH_QK_K / 16];
  guint8  qs[HEARTH_QK_K / 4];
  guint16 d;
  guint16 dmin;
} HearthBlockQ2_K;

/* 16 groups of 16: y = d * (sc - 32) * (q - 4 * !hbit), 6-bit scales packed in 12 bytes */
typedef struct
{
  guint8  hmask[HEARTH_QK_K / 8];
  guint8  qs[HEARTH_QK_K / 4];
  guint8  scales[12];
  guint16 d;
} HearthBlockQ3_K;

/* 8 groups of 32: y = d * sc * q - dmin * m, 6-bit sc and m packed in 12 bytes */
typedef struct
{
  guint16 d;
  guint16 dmin;
  guint8  scales[12];
  guint8  qs[HEARTH_QK_K / 2];
} HearthBlockQ4_K;

/* as Q4_K with a fifth bit per element in qh */
typedef struct
{
  guint16 d;
  guint16 dmin;
  guint8  scales[12];
  guint8  qh[HEARTH_QK_K / 8];
  guint8  qs[HEARTH_QK_K / 2];
} HearthBlockQ5_K;

/* 16 groups of 16: y = d * sc * (q - 32), q = 6 bits (4 in ql, 2 in qh) */
typedef struct
{
  guint8  ql[HEARTH_QK_K / 2];
  guint8  qh[HEARTH_QK_K / 4];
  gint8   scales[HEARTH_QK_K / 16];
  guint16 d;
} HearthBlockQ6_K;

/* Activations quantized for integer dot products with the K types (not a
 * file format): y = d * q, plus the sums of each group of 16 q values. */
typedef struct
{
  float   d;
  gint8   qs[HEARTH_QK_K];
  gint16  bsums[HEARTH_QK_K / 16];
} HearthBlockQ8_K;

G_STATIC_ASSERT (sizeof (HearthBlockQ4_0) == 18);
G_STATIC_ASSERT (sizeof (HearthBlockQ4_1) == 20);
G_STATIC_ASSERT (sizeof (HearthBlockQ5_0) == 22);
G_STATIC_ASSERT (sizeof (HearthBlockQ5_1) == 24);
G_STATIC_ASSERT (sizeof (HearthBlockQ8_0) == 34);
G_STATIC_ASSERT (sizeof (HearthBlockQ2_K) == 84);
G_STATIC_ASSERT (sizeof (HearthBlockQ3_K) == 110);
G_STATIC_ASSERT (sizeof (HearthBlockQ4_K) == 144);
G_STATIC_ASSERT (sizeof (HearthBlockQ5_K) == 176);
G_STATIC_ASSERT (sizeof (HearthBlockQ6_K) == 210);
G_STATIC_ASSERT (sizeof (HearthBlockQ8_K) == 292);

/* The 6-bit scale and min of group @j (0..7) of a Q4_K/Q5_K block: groups
 * 0..3 sit in the low 6 bits of bytes 0..3 (scales) and 4..7 (mins); groups
 * 4..7 keep their low 4 bits in bytes 8..11 and their top 2 bits in the
 * spare high bits of bytes 0..7. */
static inline void
hearth_k4_scale_min (int           j,
                     const guint8 *q,
                     guint8       *sc,
                     guint8       *m)
{
  if (j < 4)
    {
      *sc = q[j] & 63;
      *m = q[j + 4] & 63;
    }
  else
    {
      *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
      *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* The 16 signed 6-bit scales of a Q3_K block (already minus 32): the low 4
 * bits of scales 0..7 are the nibbles of bytes 0..7 low, 8..15 high; the top
 * 2 bits of all 16 come from bytes 8..11, two bits per scale. */
static inline void
hearth_q3k_scales (const guint8 *packed,
                   int          *out)
{
  for (int i = 0; i < 16; i++)
    {
      int low = (i < 8) ? (packed[i] & 0xF) : (packed[i - 8] >> 4);
      int high = (packed[8 + (i % 4)] >> (2 * (i / 4))) & 3;

      out[i] = (low | (high << 4)) - 32;
    }
}
