/* matmul.comp: y = W x with W dequantized on the fly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One workgroup per weight row (x) and per NT tokens (y). Each invocation
 * dequantizes runs of 32 weights once and uses them for all NT tokens, so
 * NT = 1 is the decode mat-vec and NT = 8 the prompt mat-mat, which reads
 * the weights once per 8 tokens instead of once per token.
 * With ROW_PER_THREAD (chosen for CPU devices such as lavapipe, whose
 * invocations are SIMD lanes of one core) each invocation computes whole
 * rows on its own: no reduction, no barrier, and short rows (one Q4_K
 * block) keep every lane busy.
 * With ROW_PER_SUBGROUP (NT = 1 only; an alternative GPU decode shape, see
 * engine/vulkan/BENCHMARKS.md) a workgroup of SG_ROWS subgroups computes
 * SG_ROWS rows, one per subgroup: its lanes stride over the row's runs and
 * a single subgroupAdd sums them, with no shared memory and no barrier, so
 * each invocation does more of the row and no invocation waits on another
 * subgroup. The workgroup size (specialization constant 0) is SG_ROWS times
 * the device's subgroup size; the loop over rows below keeps it correct
 * whatever number of subgroups the device actually makes of it.
 *   W: n_rows x n_cols of TYPE (row_bytes each), binding 0
 *   x: [n_tokens][x_stride] f32, binding 1;  y: [n_tokens][y_stride] f32, binding 2
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#define WEIGHT_BINDING 0
#include "dequant.glsl"
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

layout (binding = 1, std430) readonly buffer X { float x[]; };
layout (binding = 2, std430) buffer Y { float y[]; };
layout (push_constant) uniform Push { HearthVkPushMatmul p; };

#ifdef ROW_PER_THREAD
void
main ()
{
  uint r = p.row_begin + gl_GlobalInvocationID.x;
  uint t0 = gl_WorkGroupID.y * NT;
  uint row_byte = r * p.row_bytes;
  float acc[NT];

  if (r >= p.n_rows)
    return;
  [[unroll]] for (uint k = 0; k < NT; k++)
    acc[k] = 0.0;
#ifdef FLOAT_TYPE
  for (uint c = 0; c < p.n_cols; c++)
    {
      float w = dq_elem (row_byte, c);
      [[unroll]] for (uint k = 0; k < NT; k++)
        if (t0 + k < p.n_tokens)
          acc[k] += w * x[p.x_offset + (t0 + k) * p.x_stride + c];
    }
#else
  uint n_units = (p.n_cols / QK) * UNITS;
  for (uint i = 0; i < n_units; i++)
    {
      uint blk = i / UNITS;
      uint u = i % UNITS;
      uint c0 = blk * QK + u * 32;
      float v[32];

      dq_unit (row_byte + blk * BLOCK_BYTES, u, v);
      [[unroll]] for (uint k = 0; k < NT; k++)
        if (t0 + k < p.n_tokens)
          {
            uint xb = p.x_offset + (t0 + k) * p.x_stride + c0;
            float s = 0.0;
            [[unroll]] for (uint j = 0; j < 32; j++)
              s += v[j] * x[xb + j];
            acc[k] += s;
          }
    }
#endif
  [[unroll]] for (uint k = 0; k < NT; k++)
    if (t0 + k < p.n_tokens)
      y[p.y_offset + (t0 + k) * p.y_stride + p.out_row0 + r] = acc[k];
}
#elif defined(ROW_PER_SUBGROUP)
void
main ()
{
  uint lane = gl_SubgroupInvocationID;

  /* Uniform per subgroup: leaving early (past n_rows) is legal, there is no
   * barrier to miss. */
  for (uint k = gl_SubgroupID; k < SG_ROWS; k += gl_NumSubgroups)
    {
      uint r = p.row_begin + gl_WorkGroupID.x * SG_ROWS + k;
      uint row_byte = r * p.row_bytes;
      float acc = 0.0;

      if (r >= p.n_rows)
        return;
#ifdef FLOAT_TYPE
      for (uint c = lane; c < p.n_cols; c += gl_SubgroupSize)
        acc += dq_elem (row_byte, c) * x[p.x_offset + c];
#else
      uint n_units = (p.n_cols / QK) * UNITS;
      for (uint i = lane; i < n_units; i += gl_SubgroupSize)
        {
          uint blk = i / UNITS;
          uint u = i % UNITS;
          uint xb = p.x_offset + blk * QK + u * 32;
          float v[32];
          float s = 0.0;

          dq_unit (row_byte + blk * BLOCK_BYTES, u, v);
          [[unroll]] for (uint j = 0; j < 32; j++)
            s += v[j] * x[xb + j];
          acc += s;
        }
#endif
      acc = subgroupAdd (acc);
      if (lane == 0)
        y[p.y_offset + p.out_row0 + r] = acc;
    }
}
#else
void
main ()
{
  uint r = p.row_begin + gl_WorkGroupID.x;
  uint t0 = gl_WorkGroupID.y * NT;
  uint tid = gl_LocalInvocationID.x;
  uint row_byte = r * p.row_bytes;
  float acc[NT];

  if (r >= p.n_rows)
    return;
  [[unroll]] for (uint k = 0; k < NT; k++)
    acc[k] = 0.0;

#ifdef FLOAT_TYPE
  for (uint c = tid; c < p.n_cols; c += gl_WorkGroupSize.x)
    {
      float w = dq_elem (row_byte, c);
      for (uint k = 0; k < NT; k++)
        if (t0 + k < p.n_tokens)
          acc[k] += w * x[p.x_offset + (t0 + k) * p.x_stride + c];
    }
#else
  uint n_units = (p.n_cols / QK) * UNITS;
  for (uint i = tid; i < n_units; i += gl_WorkGroupSize.x)
    {
      uint blk = i / UNITS;
      uint u = i % UNITS;
      uint c0 = blk * QK + u * 32;
      float v[32];

      dq_unit (row_byte + blk * BLOCK_BYTES, u, v);
      [[unroll]] for (uint k = 0; k < NT; k++)
        if (t0 + k < p.n_tokens)
          {
            uint xb = p.x_offset + (t0 + k) * p.x_stride + c0;
            float s = 0.0;
            [[unroll]] for (uint j = 0; j < 32; j++)
              s += v[j] * x[xb + j];
            acc[k] += s;
          }
    }
#endif

  for (uint k = 0; k < NT; k++)
    {
      float s = wg_sum (acc[k]);
      if (tid == 0 && t0 + k < p.n_tokens)
        y[p.y_offset + (t0 + k) * p.y_stride + p.out_row0 + r] = s;
    }
}
#endif
