/* quantize_q8.comp: activations to blocks of 32 int8 for the dot-product mat-muls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One invocation per block of 32 values of one token (x: block, y: token).
 * The block's scale is d = max |x| / 127 and each value becomes
 * q = round (x / d), so |q| <= 127. A block is 12 words (48 bytes, three
 * uvec4 for aligned 16-byte loads):
 *   words 0-7   the 32 int8 quants, four to a word, lowest byte first
 *   word  8     d (f32 bits)
 *   words 9-10  d * sum (q[0..15]) and d * sum (q[16..31]) (f32 bits): the
 *               block's sum as the quants give it, for the weight types
 *               with an offset (w = s q + m: sum w x = s d sum q w x + m sum x),
 *               per half for the types whose offsets change every 16 values
 *   word  11    unused (alignment)
 *   x: [n_tokens][x_stride] f32 from x_offset, binding 0
 *   q: [n_tokens][n_cols / 32] blocks, binding 1
 */
#version 450
#extension GL_EXT_control_flow_attributes : enable

#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;

layout (binding = 0, std430) readonly buffer X { float x[]; };
layout (binding = 1, std430) writeonly buffer Q { uint q[]; };
layout (push_constant) uniform Push { HearthVkPushQuantize p; };

void
main ()
{
  uint nb = p.n_cols / 32u;
  uint blk = gl_GlobalInvocationID.x;
  uint t = gl_WorkGroupID.y;
  uint xb = p.x_offset + t * p.x_stride + blk * 32u;
  uint qb = (t * nb + blk) * 12u;
  float v[32];
  float amax = 0.0;

  if (blk >= nb || t >= p.n_tokens)
    return;
  [[unroll]] for (uint j = 0; j < 32; j++)
    {
      v[j] = x[xb + j];
      amax = max (amax, abs (v[j]));
    }
  float d = amax / 127.0;
  float id = amax > 0.0 ? 127.0 / amax : 0.0;
  int sum0 = 0, sum1 = 0;
  [[unroll]] for (uint w = 0; w < 8; w++)
    {
      uint word = 0u;
      [[unroll]] for (uint k = 0; k < 4; k++)
        {
          int iq = clamp (int (roundEven (v[4 * w + k] * id)), -127, 127);
          if (w < 4)
            sum0 += iq;
          else
            sum1 += iq;
          word |= (uint (iq) & 255u) << (8u * k);
        }
      q[qb + w] = word;
    }
  q[qb + 8] = floatBitsToUint (d);
  q[qb + 9] = floatBitsToUint (d * float (sum0));
  q[qb + 10] = floatBitsToUint (d * float (sum1));
  q[qb + 11] = 0u;
}
