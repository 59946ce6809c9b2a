/* dequant_int8.glsl: weight quants as packed int8 for the dot-product mat-muls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Included after dequant.glsl (same TYPE_*, same block layouts, same
 * QK / BLOCK_BYTES / UNITS and byte readers). For the u-th run of 32
 * weights of the block at byte b, dq8_unit gives
 *   qw[8]   the 32 quants as four int8 to a word, lowest byte first, in the
 *           run's element order (the order dq_unit writes v[])
 *   sc, mn  per half of 16 (h = 0 for words 0-3, 1 for words 4-7): the
 *           weight is sc[h] * q + mn[h], exactly the value dq_unit gives
 *           up to rounding.
 * Types whose quants carry a fixed offset (Q4_0: q - 8, Q6_K: q - 32, ...)
 * keep the unsigned quant (0..63) and fold the offset into mn, so no
 * byte-wise subtraction is needed; only Q8_0 has negative quants. Every
 * quant fits a signed int8, so one signed 4x8 dot product serves all types.
 * Quant bytes sit at even offsets in every block, so they are read as 32-bit
 * words through two 16-bit loads (rd32).
 * With ALIGNED_WORDS, types whose blocks are a multiple of 4 bytes (Q4_1,
 * Q5_1, Q2_K, Q4_K, Q5_K) read them as single 32-bit loads instead: a
 * matrix piece starts its buffer and its rows are whole blocks, so every
 * word these types read sits at a multiple of 4.
 */

#if defined(ALIGNED_WORDS) && (BLOCK_BYTES % 4 == 0)
layout (binding = WEIGHT_BINDING, std430) readonly buffer WeightWords { uint w32u[]; };

uint
rd32_aligned (uint byte_offset)
{
  return w32u[byte_offset >> 2];
}
#define rd32 rd32_aligned
#endif

/* Bits 0-3 of h to bit 4 of bytes 0-3. */
uint
spread4 (uint h)
{
  return ((h & 1u) << 4) | ((h & 2u) << 11) | ((h & 4u) << 18) | ((h & 8u) << 25);
}

#if defined(TYPE_Q4_0) || defined(TYPE_Q4_1) || defined(TYPE_Q5_0) || defined(TYPE_Q5_1)
#if defined(TYPE_Q4_0)
#define QS_AT 2
#elif defined(TYPE_Q4_1)
#define QS_AT 4
#elif defined(TYPE_Q5_0)
#define QS_AT 6
#define QH_AT 2
#else
#define QS_AT 8
#define QH_AT 4
#endif
void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  float d = rdh (b);
#ifdef QH_AT
  uint qh = rd32 (b + QH_AT);
#endif
  [[unroll]] for (uint w = 0; w < 4; w++)
    {
      uint raw = rd32 (b + QS_AT + 4u * w);
      qw[w] = raw & 0x0F0F0F0Fu;
      qw[w + 4] = (raw >> 4) & 0x0F0F0F0Fu;
#ifdef QH_AT
      qw[w] |= spread4 ((qh >> (4u * w)) & 15u);
      qw[w + 4] |= spread4 ((qh >> (16u + 4u * w)) & 15u);
#endif
    }
  sc = vec2 (d);
#if defined(TYPE_Q4_0)
  mn = vec2 (-8.0 * d);
#elif defined(TYPE_Q5_0)
  mn = vec2 (-16.0 * d);
#else
  mn = vec2 (rdh (b + 2));
#endif
}

#elif defined(TYPE_Q8_0)
void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  [[unroll]] for (uint w = 0; w < 8; w++)
    qw[w] = rd32 (b + 2 + 4u * w);
  sc = vec2 (rdh (b));
  mn = vec2 (0.0);
}

#elif defined(TYPE_Q2_K)
void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  float d = rdh (b + 80);
  float dmin = rdh (b + 82);
  uint half_ = u >> 2;
  uint shift = 2u * (u & 3u);
  uint s0 = rd8 (b + u * 2);
  uint s1 = rd8 (b + u * 2 + 1);
  [[unroll]] for (uint w = 0; w < 8; w++)
    qw[w] = (rd32 (b + 16 + half_ * 32 + 4u * w) >> shift) & 0x03030303u;
  sc = vec2 (d * float (s0 & 15u), d * float (s1 & 15u));
  mn = -vec2 (dmin * float (s0 >> 4), dmin * float (s1 >> 4));
}

#elif defined(TYPE_Q3_K)
float
q3k_scale (uint b, float d, uint is)
{
  uint low = is < 8 ? (rd8 (b + 96 + is) & 15u) : (rd8 (b + 96 + is - 8) >> 4);
  uint high = (rd8 (b + 96 + 8 + (is & 3u)) >> (2u * (is >> 2))) & 3u;
  return d * float (int (low | (high << 4)) - 32);
}

void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  float d = rdh (b + 108);
  uint half_ = u >> 2;
  uint shift = 2u * (u & 3u);
  /* q - 4 + 4 * hbit: the quant plus 4 is the 2 low bits and hbit as bit 2 */
  [[unroll]] for (uint w = 0; w < 8; w++)
    qw[w] = ((rd32 (b + 32 + half_ * 32 + 4u * w) >> shift) & 0x03030303u) |
            (((rd32 (b + 4u * w) >> u) & 0x01010101u) << 2);
  sc = vec2 (q3k_scale (b, d, u * 2), q3k_scale (b, d, u * 2 + 1));
  mn = -4.0 * sc;
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  float d = rdh (b);
  float dmin = rdh (b + 2);
  uint s, m;
  kq_scale_min (b, u, s, m);
  uint shift = (u & 1u) * 4u;
  [[unroll]] for (uint w = 0; w < 8; w++)
    {
      qw[w] = (rd32 (b + QS_AT + (u >> 1) * 32 + 4u * w) >> shift) & 0x0F0F0F0Fu;
#ifdef TYPE_Q5_K
      qw[w] |= ((rd32 (b + 16 + 4u * w) >> u) & 0x01010101u) << 4;
#endif
    }
  sc = vec2 (d * float (s));
  mn = vec2 (-(dmin * float (m)));
}

#elif defined(TYPE_Q6_K)
void
dq8_unit (uint b, uint u, out uint qw[8], out vec2 sc, out vec2 mn)
{
  float d = rdh (b + 208);
  uint half_ = u >> 2;
  uint c = u & 3u;
  uint ql = b + half_ * 64 + (c & 1u) * 32;
  uint qh = b + 128 + half_ * 32;
  uint nib = (c >> 1) * 4u;
  [[unroll]] for (uint w = 0; w < 8; w++)
    qw[w] = ((rd32 (ql + 4u * w) >> nib) & 0x0F0F0F0Fu) | (((rd32 (qh + 4u * w) >> (2u * c)) & 0x03030303u) << 4);
  sc = vec2 (d * float (rd8s (b + 192 + half_ * 8 + 2 * c)), d * float (rd8s (b + 192 + half_ * 8 + 1 + 2 * c)));
  mn = -32.0 * sc;
}

#else
#error "no int8 decoding for this TYPE_*"
#endif
