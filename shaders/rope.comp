/* rope.comp: rotary position embedding, in place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * x: [n_tokens][x_stride] f32 holding n_heads heads of head_dim (binding 0);
 * cs: [n_tokens][n_rot/2][2] cos, sin of each token's angles (binding 1),
 * computed by the host with the model's scaling so both backends agree.
 * Norm rope rotates pairs (2i, 2i+1), neox rope pairs (i, i + n_rot/2).
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;
layout (binding = 0, std430) buffer X { float x[]; };
layout (binding = 1, std430) readonly buffer CS { float cs[]; };
layout (push_constant) uniform Push { HearthVkPushRope p; };

void
main ()
{
  uint half_ = p.n_rot / 2;
  uint total = p.n_tokens * p.n_heads * half_;

  for (uint item = gl_GlobalInvocationID.x; item < total; item += gl_WorkGroupSize.x * gl_NumWorkGroups.x)
    {
      uint i = item % half_;
      uint h = (item / half_) % p.n_heads;
      uint t = item / (half_ * p.n_heads);
      uint base = p.x_offset + t * p.x_stride + h * p.head_dim;
      uint a = p.neox != 0u ? i : 2 * i;
      uint b = p.neox != 0u ? i + half_ : 2 * i + 1;
      float c = cs[p.cs_offset + (t * half_ + i) * 2];
      float s = cs[p.cs_offset + (t * half_ + i) * 2 + 1];
      float x0 = x[base + a];
      float x1 = x[base + b];

      x[base + a] = x0 * c - x1 * s;
      x[base + b] = x0 * s + x1 * c;
    }
}
