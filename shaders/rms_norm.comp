/* rms_norm.comp: y = x / sqrt (mean (x^2) + eps) * w, one workgroup per row
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * x, y: [n_rows][n] f32 (binding 0, 2; may be the same buffer: each
 * invocation writes only what it read); w: [n] f32 (binding 1).
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "reduce.glsl"
#include "hearth-vk-push.h"

layout (binding = 0, std430) readonly buffer X { float x[]; };
layout (binding = 1, std430) readonly buffer W { float w[]; };
layout (binding = 2, std430) buffer Y { float y[]; };
layout (push_constant) uniform Push { HearthVkPushNorm p; };

void
main ()
{
  uint tid = gl_LocalInvocationID.x;

  for (uint row = gl_WorkGroupID.x; row < p.n_rows; row += gl_NumWorkGroups.x)
    {
      uint xb = p.x_offset + row * p.n;
      uint yb = p.y_offset + row * p.n;
      float s = 0.0;

      for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x)
        s += x[xb + i] * x[xb + i];
      s = wg_sum (s);
      float scale = 1.0 / sqrt (s / float (p.n) + p.eps);
      for (uint i = tid; i < p.n; i += gl_WorkGroupSize.x)
        y[yb + i] = x[xb + i] * scale * w[p.w_offset + i];
    }
}
