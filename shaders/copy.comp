/* copy.comp: f32 -> the KV cache's type (DST_F16 or DST_F32)
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
layout (push_constant) uniform Push { HearthVkPushCopy p; };

void
main ()
{
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += gl_WorkGroupSize.x * gl_NumWorkGroups.x)
    {
#ifdef DST_F16
      dst[p.dst_offset + i] = uint16_t (packHalf2x16 (vec2 (src[p.src_offset + i], 0.0)) & 0xFFFFu);
#else
      dst[p.dst_offset + i] = src[p.src_offset + i];
#endif
    }
}
