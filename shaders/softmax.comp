/* softmax.comp: x = softmax (x * scale) over rows of n, in place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "reduce.glsl"
#include "hearth-vk-push.h"

layout (binding = 0, std430) buffer X { float x[]; };
layout (push_constant) uniform Push { HearthVkPushSoftmax p; };

void
main ()
{
  uint tid = gl_LocalInvocationID.x;

  for (uint row = gl_WorkGroupID.x; row < p.n_rows; row += gl_NumWorkGroups.x)
    {
      uint b = p.x_offset + row * p.n;
      float m = -1.0 / 0.0;

      for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x)
        m = max (m, x[b + i] * p.scale);
      m = wg_max (m);
      float s = 0.0;
      for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x)
        {
          float e = exp (x[b + i] * p.scale - m);
          x[b + i] = e;
          s += e;
        }
      s = wg_sum (s);
      for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x)
        x[b + i] = x[b + i] / s;
    }
}
