/* copy.comp: f32 rows -> the KV cache's type (DST_F16 or DST_F32), from the
 * session's position on, round the cache's rows (a sliding layer's ring)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : enable

#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;
layout (binding = 0, std430) readonly buffer Src { float src[]; };
#ifdef DST_F16
layout (binding = 1, std430) writeonly buffer Dst { uint16_t dst[]; };
#else
layout (binding = 1, std430) writeonly buffer Dst { float dst[]; };
#endif
layout (binding = 2, std430) readonly buffer State { uint state[]; };   /* [0]: n_past */
layout (push_constant) uniform Push { HearthVkPushCopy p; };

void
main ()
{
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += gl_WorkGroupSize.x * gl_NumWorkGroups.x)
    {
      uint r = i / p.pos_stride;
      uint d = p.dst_offset + ((state[0] + r) % p.rows) * p.pos_stride + (i - r * p.pos_stride);
#ifdef DST_F16
      dst[d] = uint16_t (packHalf2x16 (vec2 (src[p.src_offset + i], 0.0)) & 0xFFFFu);
#else
      dst[d] = src[p.src_offset + i];
#endif
    }
}
