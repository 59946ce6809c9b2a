/* bandwidth.comp: the device memory read bandwidth probe
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Streams a buffer through 16-byte loads, the widest plain load, in a
 * grid-stride loop so any grid covers any size. Every word read goes into a
 * sum and each workgroup stores its sum: the loads cannot be optimized away,
 * and the host can check (sum of all words, mod 2^32) that every word was
 * read exactly once. The loop is unrolled four times so each invocation has
 * four independent loads in flight, which is what keeps the memory busy.
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;
layout (binding = 0, std430) readonly buffer Src { uvec4 src[]; };
layout (binding = 1, std430) writeonly buffer Dst { uint dst[]; };
layout (push_constant) uniform Push { HearthVkPushBandwidth p; };

shared uint wg_total;

void
main ()
{
  uint stride = gl_WorkGroupSize.x * gl_NumWorkGroups.x;
  uint i = gl_GlobalInvocationID.x;
  uvec4 a0 = uvec4 (0), a1 = uvec4 (0), a2 = uvec4 (0), a3 = uvec4 (0);

  if (gl_LocalInvocationIndex == 0)
    wg_total = 0;
  /* 4 * stride stays far below 2^32 for any grid the host launches. */
  for (; i + 3 * stride < p.n_vec4; i += 4 * stride)
    {
      a0 += src[i];
      a1 += src[i + stride];
      a2 += src[i + 2 * stride];
      a3 += src[i + 3 * stride];
    }
  for (; i < p.n_vec4; i += stride)
    a0 += src[i];
  a0 += a1 + a2 + a3;
  barrier ();
  atomicAdd (wg_total, a0.x + a0.y + a0.z + a0.w);
  barrier ();
  if (gl_LocalInvocationIndex == 0)
    dst[p.dst_offset + gl_WorkGroupID.x] = wg_total;
}
