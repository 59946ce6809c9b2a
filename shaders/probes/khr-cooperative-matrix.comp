// SPDX-License-Identifier: GPL-3.0-or-later
// Configure-time probe: does glslc know GL_KHR_cooperative_matrix?
#version 450
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
layout (local_size_x = 32) in;
void main () { coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> c = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> (0.0); }
