/* attention.comp: causal softmax (q k^T * scale) v over the KV cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fused, flash-attention style: one workgroup per (head, token, split); the
 * positions are walked in tiles of 64, each invocation scoring one position
 * of the tile, then the tile's weights are folded into a running maximum,
 * sum and output with the usual rescaling, so no score array of the context
 * length is ever stored. Token t sees positions 0 .. n_past + t (with a
 * window, only the last window of them); position pos is in cache row
 * pos % rows (a sliding layer's cache is a ring).
 *   q: [n_tokens][n_head][head_dim] f32 (binding 0)
 *   K: [pos][n_head_kv][head_dim], V: [pos][n_head_kv][head_dim_v] in the
 *      cache type (KV_F16 or KV_F32; bindings 1, 2)
 *   without SPLIT: o: [n_tokens][n_head][head_dim_v] f32 (binding 3)
 *   with SPLIT (decode at long contexts): the positions are cut in n_split
 *      ranges and each writes (max, sum, unnormalised output[head_dim_v]) to
 *      binding 3 for attention_combine.comp.
 * n_past comes from a buffer (binding 4) so a recorded decode step can be
 * submitted again at the next position; ranges past the end are empty.
 * head_dim and head_dim_v are at most 256.
 */
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : enable

#include "hearth-vk-push.h"

#define WG 64
#define MAX_DIM 256
#define DPT (MAX_DIM / WG)

layout (local_size_x = WG) in;
layout (binding = 0, std430) readonly buffer Q { float q[]; };
#ifdef KV_F16
layout (binding = 1, std430) readonly buffer K { uint16_t kc[]; };
layout (binding = 2, std430) readonly buffer V { uint16_t vc[]; };
#define LOAD_K(i) unpackHalf2x16 (uint (kc[i])).x
#define LOAD_V(i) unpackHalf2x16 (uint (vc[i])).x
#else
layout (binding = 1, std430) readonly buffer K { float kc[]; };
layout (binding = 2, std430) readonly buffer V { float vc[]; };
#define LOAD_K(i) kc[i]
#define LOAD_V(i) vc[i]
#endif
layout (binding = 3, std430) writeonly buffer O { float o[]; };
layout (binding = 4, std430) readonly buffer State { uint state[]; };   /* [0]: n_past */
layout (push_constant) uniform Push { HearthVkPushAttention p; };

shared float q_sh[MAX_DIM];
shared float score_sh[WG];

void
main ()
{
  uint h = gl_WorkGroupID.x;
  uint t = gl_WorkGroupID.y;
  uint split = gl_WorkGroupID.z;
  uint tid = gl_LocalInvocationID.x;
  uint kvh = h / (p.n_head / p.n_head_kv);
  uint k_stride = p.n_head_kv * p.head_dim;
  uint v_stride = p.n_head_kv * p.head_dim_v;
  uint n_kv = state[0] + t + 1;
  uint lo = p.window != 0 && n_kv > p.window ? n_kv - p.window : 0;
  uint chunk = (n_kv - lo + p.n_split - 1) / p.n_split;
  uint begin = min (n_kv, lo + split * chunk);
  uint end = min (n_kv, begin + chunk);
  float acc[DPT];
  float m = -1.0 / 0.0;
  float l = 0.0;

  for (uint d = tid; d < p.head_dim; d += WG)
    q_sh[d] = q[p.q_offset + (t * p.n_head + h) * p.head_dim + d];
  for (uint k = 0; k < DPT; k++)
    acc[k] = 0.0;
  barrier ();

  for (uint tile = begin; tile < end; tile += WG)
    {
      uint pos = tile + tid;
      float s = -1.0 / 0.0;
      if (pos < end)
        {
          uint kb = p.k_offset + (pos % p.rows) * k_stride + kvh * p.head_dim;
          float dot = 0.0;
          for (uint d = 0; d < p.head_dim; d++)
            dot += q_sh[d] * LOAD_K (kb + d);
          s = dot * p.scale;
          if (p.softcap > 0.0)
            s = p.softcap * tanh (clamp (s / p.softcap, -10.0, 10.0));
        }
      score_sh[tid] = s;
      barrier ();

      uint n = min (WG, end - tile);
      float tile_max = score_sh[0];
      for (uint j = 1; j < n; j++)
        tile_max = max (tile_max, score_sh[j]);
      float new_m = max (m, tile_max);
      float corr = exp (m - new_m);
      l *= corr;
      for (uint k = 0; k < DPT; k++)
        acc[k] *= corr;
      for (uint j = 0; j < n; j++)
        {
          float w = exp (score_sh[j] - new_m);
          uint vb = p.v_offset + ((tile + j) % p.rows) * v_stride + kvh * p.head_dim_v;
          l += w;
          for (uint k = 0; k < DPT; k++)
            {
              uint d = tid + k * WG;
              if (d < p.head_dim_v)
                acc[k] += w * LOAD_V (vb + d);
            }
        }
      m = new_m;
      barrier ();
    }

#ifdef SPLIT
  uint pb = p.o_offset + ((t * p.n_head + h) * p.n_split + split) * (p.head_dim_v + 2);
  if (tid == 0)
    {
      o[pb] = m;
      o[pb + 1] = l;
    }
  for (uint k = 0; k < DPT; k++)
    {
      uint d = tid + k * WG;
      if (d < p.head_dim_v)
        o[pb + 2 + d] = acc[k];
    }
#else
  for (uint k = 0; k < DPT; k++)
    {
      uint d = tid + k * WG;
      if (d < p.head_dim_v)
        o[p.o_offset + (t * p.n_head + h) * p.head_dim_v + d] = acc[k] / l;
    }
#endif
}
