/* dequant.glsl: reading one weight type from a byte-addressed buffer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The including shader defines WEIGHT_BINDING and exactly one TYPE_*. Quant
 * blocks (18, 34, 210, ... bytes) are not 4-byte aligned, so the buffer is
 * read as bytes and (for the half-float scales, always at even offsets) as
 * 16-bit words. Each type provides:
 *   QK, BLOCK_BYTES      elements and bytes per block
 *   FLOAT_TYPE           (F32/F16/BF16) dq_elem (row_byte, c): one element
 *   otherwise            dq_unit (block_byte, u, v): the u-th run of 32
 *                        elements of a block (UNITS runs per block)
 * The arithmetic follows the CPU's exact dequantizers operation by operation.
 */
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : enable
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : enable
#extension GL_EXT_control_flow_attributes : enable

layout (binding = WEIGHT_BINDING, std430) readonly buffer WeightBytes { uint8_t w8[]; };
layout (binding = WEIGHT_BINDING, std430) readonly buffer WeightHalves { uint16_t w16[]; };
layout (binding = WEIGHT_BINDING, std430) readonly buffer WeightFloats { float w32[]; };

uint
rd8 (uint byte_offset)
{
  return uint (w8[byte_offset]);
}

int
rd8s (uint byte_offset)
{
  int v = int (w8[byte_offset]);
  return v >= 128 ? v - 256 : v;
}

float
rdh (uint byte_offset)
{
  return unpackHalf2x16 (uint (w16[byte_offset >> 1])).x;
}

uint
rd32 (uint byte_offset)
{
  return uint (w16[byte_offset >> 1]) | (uint (w16[(byte_offset >> 1) + 1]) << 16);
}

#if defined(TYPE_F32)
#define FLOAT_TYPE 1
#define QK 1
float dq_elem (uint row_byte, uint c) { return w32[(row_byte >> 2) + c]; }

#elif defined(TYPE_F16)
#define FLOAT_TYPE 1
#define QK 1
float dq_elem (uint row_byte, uint c) { return unpackHalf2x16 (uint (w16[(row_byte >> 1) + c])).x; }

#elif defined(TYPE_BF16)
#define FLOAT_TYPE 1
#define QK 1
float dq_elem (uint row_byte, uint c) { return uintBitsToFloat (uint (w16[(row_byte >> 1) + c]) << 16); }

#elif defined(TYPE_Q4_0)
#define QK 32
#define BLOCK_BYTES 18
#define UNITS 1
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  [[unroll]] for (uint j = 0; j < 16; j++)
    {
      uint q = rd8 (b + 2 + j);
      v[j] = float (int (q & 15u) - 8) * d;
      v[j + 16] = float (int (q >> 4) - 8) * d;
    }
}

#elif defined(TYPE_Q4_1)
#define QK 32
#define BLOCK_BYTES 20
#define UNITS 1
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  float m = rdh (b + 2);
  [[unroll]] for (uint j = 0; j < 16; j++)
    {
      uint q = rd8 (b + 4 + j);
      v[j] = float (q & 15u) * d + m;
      v[j + 16] = float (q >> 4) * d + m;
    }
}

#elif defined(TYPE_Q5_0)
#define QK 32
#define BLOCK_BYTES 22
#define UNITS 1
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  uint qh = rd32 (b + 2);
  [[unroll]] for (uint j = 0; j < 16; j++)
    {
      uint q = rd8 (b + 6 + j);
      int lo = int ((q & 15u) | (((qh >> j) & 1u) << 4));
      int hi = int ((q >> 4) | (((qh >> (j + 16)) & 1u) << 4));
      v[j] = float (lo - 16) * d;
      v[j + 16] = float (hi - 16) * d;
    }
}

#elif defined(TYPE_Q5_1)
#define QK 32
#define BLOCK_BYTES 24
#define UNITS 1
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  float m = rdh (b + 2);
  uint qh = rd32 (b + 4);
  [[unroll]] for (uint j = 0; j < 16; j++)
    {
      uint q = rd8 (b + 8 + j);
      uint lo = (q & 15u) | (((qh >> j) & 1u) << 4);
      uint hi = (q >> 4) | (((qh >> (j + 16)) & 1u) << 4);
      v[j] = float (lo) * d + m;
      v[j + 16] = float (hi) * d + m;
    }
}

#elif defined(TYPE_Q8_0)
#define QK 32
#define BLOCK_BYTES 34
#define UNITS 1
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  [[unroll]] for (uint j = 0; j < 32; j++)
    v[j] = float (rd8s (b + 2 + j)) * d;
}

#elif defined(TYPE_Q2_K)
/* scales[16] @0, qs[64] @16, d @80, dmin @82. Run u: half u/4, shift 2*(u%4). */
#define QK 256
#define BLOCK_BYTES 84
#define UNITS 8
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b + 80);
  float dmin = rdh (b + 82);
  uint half_ = u >> 2;
  uint shift = 2u * (u & 3u);
  [[unroll]] for (uint g = 0; g < 2; g++)
    {
      uint sc = rd8 (b + u * 2 + g);
      float dl = d * float (sc & 15u);
      float ml = dmin * float (sc >> 4);
      [[unroll]] for (uint l = 0; l < 16; l++)
        {
          uint i = 16 * g + l;
          v[i] = dl * float ((rd8 (b + 16 + half_ * 32 + i) >> shift) & 3u) - ml;
        }
    }
}

#elif defined(TYPE_Q3_K)
/* hmask[32] @0, qs[64] @32, scales[12] @96, d @108 */
#define QK 256
#define BLOCK_BYTES 110
#define UNITS 8
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b + 108);
  uint half_ = u >> 2;
  uint shift = 2u * (u & 3u);
  [[unroll]] for (uint g = 0; g < 2; g++)
    {
      uint is = u * 2 + g;
      uint low = is < 8 ? (rd8 (b + 96 + is) & 15u) : (rd8 (b + 96 + is - 8) >> 4);
      uint high = (rd8 (b + 96 + 8 + (is & 3u)) >> (2u * (is >> 2))) & 3u;
      float dl = d * float (int (low | (high << 4)) - 32);
      [[unroll]] for (uint l = 0; l < 16; l++)
        {
          uint i = 16 * g + l;
          int q = int ((rd8 (b + 32 + half_ * 32 + i) >> shift) & 3u)
                  - (((rd8 (b + i) >> u) & 1u) != 0u ? 0 : 4);
          v[i] = dl * float (q);
        }
    }
}

#elif defined(TYPE_Q4_K) || defined(TYPE_Q5_K)
/* Q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16.
 * Q5_K: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48.
 * Run u is group u: the low (u even) or high nibbles of qs[32*(u/2) ..]. */
#define QK 256
#define UNITS 8
#ifdef TYPE_Q4_K
#define BLOCK_BYTES 144
#define QS_AT 16
#else
#define BLOCK_BYTES 176
#define QS_AT 48
#endif
/* Group u's 6-bit scale and min, packed in the 12 bytes at b + 4: groups
 * 0-3 in the low 6 bits of bytes 0-3 (scales) and 4-7 (mins); groups 4-7
 * in the nibbles of bytes 8-11 with their top 2 bits in the high bits of
 * bytes 0-7. Shared with dequant_int8.glsl. */
void
kq_scale_min (uint b, uint u, out uint sc, out uint m)
{
  if (u < 4)
    {
      sc = rd8 (b + 4 + u) & 63u;
      m = rd8 (b + 4 + u + 4) & 63u;
    }
  else
    {
      sc = (rd8 (b + 4 + u + 4) & 15u) | ((rd8 (b + 4 + u - 4) >> 6) << 4);
      m = (rd8 (b + 4 + u + 4) >> 4) | ((rd8 (b + 4 + u) >> 6) << 4);
    }
}

void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b);
  float dmin = rdh (b + 2);
  uint sc, m;
  kq_scale_min (b, u, sc, m);
  float d1 = d * float (sc);
  float m1 = dmin * float (m);
  uint shift = (u & 1u) * 4u;
  [[unroll]] for (uint l = 0; l < 32; l++)
    {
      uint q = (rd8 (b + QS_AT + (u >> 1) * 32 + l) >> shift) & 15u;
#ifdef TYPE_Q5_K
      q |= ((rd8 (b + 16 + l) >> u) & 1u) << 4;
#endif
      v[l] = d1 * float (q) - m1;
    }
}

#elif defined(TYPE_Q6_K)
/* ql[128] @0, qh[64] @128, scales[16] (signed) @192, d @208.
 * Run u: half u/4, quarter c = u%4 (ql low/high nibbles, qh bit pair c). */
#define QK 256
#define BLOCK_BYTES 210
#define UNITS 8
void
dq_unit (uint b, uint u, out float v[32])
{
  float d = rdh (b + 208);
  uint half_ = u >> 2;
  uint c = u & 3u;
  uint ql = b + half_ * 64 + (c & 1u) * 32;
  uint qh = b + 128 + half_ * 32;
  uint nib = (c >> 1) * 4u;
  [[unroll]] for (uint l = 0; l < 32; l++)
    {
      int q = int (((rd8 (ql + l) >> nib) & 15u) | (((rd8 (qh + l) >> (2u * c)) & 3u) << 4)) - 32;
      float sc = float (rd8s (b + 192 + half_ * 8 + (l >> 4) + 2 * c));
      v[l] = d * sc * float (q);
    }
}
#else
#error "no TYPE_* defined"
#endif
