/* binary.comp: y[i] = a[i] OP b[i % n_b] (OP_ADD, OP_MUL), silu (a) * b (OP_SILU_MUL),
 * gelu_tanh (a) * b (OP_GELU_MUL) or a * c (OP_SCALE, c a push constant)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The modulo broadcasts a bias or a norm weight over rows. a, b, y may be
 * the same buffer (bindings 0, 1, 2).
 */
#version 450
#extension GL_GOOGLE_include_directive : require

#include "hearth-vk-push.h"

layout (local_size_x_id = 0) in;
layout (binding = 0, std430) readonly buffer A { float a[]; };
layout (binding = 1, std430) readonly buffer B { float b[]; };
layout (binding = 2, std430) buffer Y { float y[]; };
layout (push_constant) uniform Push { HearthVkPushBinary p; };

void
main ()
{
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += gl_WorkGroupSize.x * gl_NumWorkGroups.x)
    {
      float va = a[p.a_offset + i];
      float vb = b[p.b_offset + i % p.n_b];
#if defined(OP_ADD)
      y[p.y_offset + i] = va + vb;
#elif defined(OP_MUL)
      y[p.y_offset + i] = va * vb;
#elif defined(OP_SILU_MUL)
      y[p.y_offset + i] = va / (1.0 + exp (-va)) * vb;
#elif defined(OP_GELU_MUL)
      /* tanh of a clamped argument: some drivers' tanh overflows to NaN
       * past ~|44| (exp); at 10 it is 1 to float precision anyway. */
      float inner = clamp (0.7978845608 * va * (1.0 + 0.044715 * va * va), -10.0, 10.0);
      y[p.y_offset + i] = 0.5 * va * (1.0 + tanh (inner)) * vb;
#elif defined(OP_SCALE)
      y[p.y_offset + i] = va * p.c;
#else
#error "no OP_* defined"
#endif
    }
}
