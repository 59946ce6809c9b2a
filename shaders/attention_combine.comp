/* attention_combine.comp: merges the split-K partials of attention.comp
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One workgroup per (head, token): with M the largest partial maximum,
 * o = sum_s acc_s exp (m_s - M) / sum_s l_s exp (m_s - M). An empty range has
 * m = -inf, l = 0 and drops out (range 0 is never empty).
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "hearth-vk-push.h"

layout (local_size_x = 64) in;
layout (binding = 0, std430) readonly buffer Part { float part[]; };
layout (binding = 1, std430) writeonly buffer O { float o[]; };
layout (push_constant) uniform Push { HearthVkPushAttention p; };

void
main ()
{
  uint h = gl_WorkGroupID.x;
  uint t = gl_WorkGroupID.y;
  uint stride = p.head_dim_v + 2;
  uint base = p.q_offset + (t * p.n_head + h) * p.n_split * stride;
  float big = -1.0 / 0.0;
  float l = 0.0;

  for (uint s = 0; s < p.n_split; s++)
    big = max (big, part[base + s * stride]);
  for (uint s = 0; s < p.n_split; s++)
    l += part[base + s * stride + 1] * exp (part[base + s * stride] - big);
  for (uint d = gl_LocalInvocationID.x; d < p.head_dim_v; d += 64)
    {
      float acc = 0.0;
      for (uint s = 0; s < p.n_split; s++)
        acc += part[base + s * stride + 2 + d] * exp (part[base + s * stride] - big);
      o[p.o_offset + (t * p.n_head + h) * p.head_dim_v + d] = acc / l;
    }
}
