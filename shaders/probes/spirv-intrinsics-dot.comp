// SPDX-License-Identifier: GPL-3.0-or-later
// Configure-time probe: can glslc emit OpSDot through GL_EXT_spirv_intrinsics?
#version 450
#extension GL_EXT_spirv_intrinsics : require
layout (local_size_x = 32) in;
layout (binding = 0) buffer B { uint v[]; };
spirv_instruction (extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4450)
int op_sdot (uint a, uint b, spirv_literal int packed_format);
void main () { v[0] = uint (op_sdot (v[1], v[2], 0)); }
