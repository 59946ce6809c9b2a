/* get_rows.comp: y[t] = dequantized row ids[t] of W (embedding lookup)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A weight larger than one buffer is split in pieces of whole rows; each
 * piece gets its own dispatch and writes only the tokens whose id falls in
 * [row0, row0 + n_rows). Workgroup y is the token.
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#define WEIGHT_BINDING 0
#include "dequant.glsl"
#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;
layout (binding = 1, std430) readonly buffer Ids { int ids[]; };
layout (binding = 2, std430) buffer Y { float y[]; };
layout (push_constant) uniform Push { HearthVkPushGetRows p; };

void
main ()
{
  uint t = gl_WorkGroupID.y;
  int id = ids[p.ids_offset + t];
  uint stride = gl_WorkGroupSize.x * gl_NumWorkGroups.x;

  if (id < int (p.row0) || id >= int (p.row0 + p.n_rows))
    return;
  uint row_byte = uint (id - int (p.row0)) * p.row_bytes;
  uint yb = p.y_offset + t * p.y_stride;

#ifdef FLOAT_TYPE
  for (uint c = gl_GlobalInvocationID.x; c < p.n_cols; c += stride)
    y[yb + c] = dq_elem (row_byte, c);
#else
  uint n_units = (p.n_cols / QK) * UNITS;
  for (uint i = gl_GlobalInvocationID.x; i < n_units; i += stride)
    {
      uint blk = i / UNITS;
      uint u = i % UNITS;
      uint c0 = blk * QK + u * 32;
      float v[32];

      dq_unit (row_byte + blk * BLOCK_BYTES, u, v);
      for (uint j = 0; j < 32; j++)
        y[yb + c0 + j] = v[j];
    }
#endif
}
