// SPDX-License-Identifier: GPL-3.0-or-later
// Configure-time probe: does glslc know GL_NV_cooperative_matrix?
#version 450
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout (local_size_x = 32) in;
void main () { fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> c = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> (0.0); }
