// SPDX-License-Identifier: GPL-3.0-or-later
// Configure-time probe: does glslc know GL_EXT_integer_dot_product?
#version 450
#extension GL_EXT_integer_dot_product : require
layout (local_size_x = 32) in;
layout (binding = 0) buffer B { int v[]; };
void main () { v[0] = dotPacked4x8EXT (v[1], v[2]); }
