/* matmul_dot.comp: y = W x with int8 dot products on quantized activations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The shape of matmul.comp (a workgroup per weight row and NT tokens, or
 * whole rows per invocation with ROW_PER_THREAD), but x arrives quantized
 * by quantize_q8.comp and each run of 32 weights is unpacked to int8x4
 * words (dequant_int8.glsl) and multiplied by the activation words with the
 * packed signed 4x8-bit dot product, eight per run:
 *   sum_j w_j x_j = dx (sc0 dot (q[0..15], xq[0..15]) + sc1 dot (q[16..31], xq[16..31]))
 *                   + mn0 dx sum (xq[0..15]) + mn1 dx sum (xq[16..31])
 * The dot product is SPV_KHR_integer_dot_product's OpSDot, reached through
 * GL_EXT_integer_dot_product where glslc has it (DOT_EXT), else declared
 * with GL_EXT_spirv_intrinsics (DOT_SPIRV), else (DOT_EMULATED) four plain
 * integer multiply-adds on the same int8 data.
 * ROW_PER_SUBGROUP (NT = 1) is matmul.comp's subgroup-per-row mat-vec:
 * SG_ROWS subgroups per workgroup, a row each, one subgroupAdd, no barrier;
 * it also reads the weight words with single 32-bit loads where the block
 * size allows (ALIGNED_WORDS in dequant_int8.glsl).
 *   W: n_rows x n_cols of TYPE (row_bytes each), binding 0
 *   q: quantized x, [n_tokens][x_stride] blocks of 48 bytes from block
 *      x_offset, binding 1;  y: [n_tokens][y_stride] f32, binding 2
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#define WEIGHT_BINDING 0
#ifdef ROW_PER_SUBGROUP
#define ALIGNED_WORDS 1
#endif
#include "dequant.glsl"
#include "dequant_int8.glsl"
#if defined(ROW_PER_THREAD)
layout (local_size_x_id = 0) in;
#elif defined(ROW_PER_SUBGROUP)
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
layout (local_size_x_id = 0) in;
#else
#include "reduce.glsl"
#endif
#include "hearth-vk-push.h"

#ifndef NT
#define NT 1
#endif
#ifdef ROW_PER_SUBGROUP
#if NT != 1
#error "ROW_PER_SUBGROUP is the mat-vec shape (NT = 1)"
#endif
/* Rows per workgroup: HEARTH_VK_SG_ROWS in engine/vulkan/hearth-vk-ops.c */
#define SG_ROWS 4u
#endif

#if defined(DOT_EXT)
#extension GL_EXT_integer_dot_product : require
int
sdot4 (uint a, uint b)
{
  return dotPacked4x8EXT (a, b);
}
#elif defined(DOT_SPIRV)
#extension GL_EXT_spirv_intrinsics : require
/* OpSDot (4450) with PackedVectorFormat4x8Bit (0); capabilities
 * DotProduct (6019) and DotProductInput4x8BitPacked (6018). */
spirv_instruction (extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int op_sdot (uint a, uint b, spirv_literal int packed_format);
int
sdot4 (uint a, uint b)
{
  return op_sdot (a, b, 0);
}
#else
int
sdot4 (uint a, uint b)
{
  /* each byte to the top, then an arithmetic shift back: sign-extended */
  const ivec4 up = ivec4 (24, 16, 8, 0);
  ivec4 x = (ivec4 (int (a)) << up) >> 24;
  ivec4 y = (ivec4 (int (b)) << up) >> 24;
  return x.x * y.x + x.y * y.y + x.z * y.z + x.w * y.w;
}
#endif

layout (binding = 1, std430) readonly buffer XQ { uvec4 xq[]; };
layout (binding = 2, std430) buffer Y { float y[]; };
layout (push_constant) uniform Push { HearthVkPushMatmul p; };

/* One run of 32 weights (block blk, run u) against unit i of token t. */
float
run_dot (uint t, uint i, uint qw[8], vec2 sc, vec2 mn)
{
  uint xb = (p.x_offset + t * p.x_stride + i) * 3u;
  uvec4 a = xq[xb];
  uvec4 b = xq[xb + 1u];
  uvec4 e = xq[xb + 2u];
  int d0 = sdot4 (qw[0], a.x) + sdot4 (qw[1], a.y) + sdot4 (qw[2], a.z) + sdot4 (qw[3], a.w);
  int d1 = sdot4 (qw[4], b.x) + sdot4 (qw[5], b.y) + sdot4 (qw[6], b.z) + sdot4 (qw[7], b.w);
  float dx = uintBitsToFloat (e.x);
  return dx * (sc.x * float (d0) + sc.y * float (d1)) +
         mn.x * uintBitsToFloat (e.y) + mn.y * uintBitsToFloat (e.z);
}

#ifdef ROW_PER_SUBGROUP
void
main ()
{
  uint lane = gl_SubgroupInvocationID;
  uint n_units = (p.n_cols / QK) * UNITS;

  /* Uniform per subgroup: leaving early (past n_rows) is legal, there is no
   * barrier to miss. */
  for (uint k = gl_SubgroupID; k < SG_ROWS; k += gl_NumSubgroups)
    {
      uint r = p.row_begin + gl_WorkGroupID.x * SG_ROWS + k;
      uint row_byte = r * p.row_bytes;
      float acc = 0.0;

      if (r >= p.n_rows)
        return;
      for (uint i = lane; i < n_units; i += gl_SubgroupSize)
        {
          uint qw[8];
          vec2 sc, mn;

          dq8_unit (row_byte + (i / UNITS) * BLOCK_BYTES, i % UNITS, qw, sc, mn);
          acc += run_dot (0u, i, qw, sc, mn);
        }
      acc = subgroupAdd (acc);
      if (lane == 0)
        y[p.y_offset + p.out_row0 + r] = acc;
    }
}
#else
void
main ()
{
#ifdef ROW_PER_THREAD
  uint r = p.row_begin + gl_GlobalInvocationID.x;
  uint first = 0u;
  uint step = 1u;
#else
  uint r = p.row_begin + gl_WorkGroupID.x;
  uint tid = gl_LocalInvocationID.x;
  uint first = tid;
  uint step = gl_WorkGroupSize.x;
#endif
  uint t0 = gl_WorkGroupID.y * NT;
  uint row_byte = r * p.row_bytes;
  uint n_units = (p.n_cols / QK) * UNITS;
  float acc[NT];

  /* r is the same for a whole workgroup (or the invocation's own row). */
  if (r >= p.n_rows)
    return;
  [[unroll]] for (uint k = 0; k < NT; k++)
    acc[k] = 0.0;
  for (uint i = first; i < n_units; i += step)
    {
      uint qw[8];
      vec2 sc, mn;

      dq8_unit (row_byte + (i / UNITS) * BLOCK_BYTES, i % UNITS, qw, sc, mn);
      [[unroll]] for (uint k = 0; k < NT; k++)
        if (t0 + k < p.n_tokens)
          acc[k] += run_dot (t0 + k, i, qw, sc, mn);
    }
#ifdef ROW_PER_THREAD
  [[unroll]] for (uint k = 0; k < NT; k++)
    if (t0 + k < p.n_tokens)
      y[p.y_offset + (t0 + k) * p.y_stride + p.out_row0 + r] = acc[k];
#else
  for (uint k = 0; k < NT; k++)
    {
      float s = wg_sum (acc[k]);
      if (tid == 0 && t0 + k < p.n_tokens)
        y[p.y_offset + (t0 + k) * p.y_stride + p.out_row0 + r] = s;
    }
#endif
}
#endif
