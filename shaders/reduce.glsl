/* reduce.glsl: sums and maxima across one workgroup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The workgroup size is specialization constant 0 (a power of two). With
 * USE_SUBGROUP (chosen at run time where the device has subgroup arithmetic
 * in compute shaders) each subgroup reduces in registers first; otherwise a
 * shared-memory tree does it all. Every invocation of the workgroup must call
 * these (they contain barriers) and all get the result.
 */
layout (local_size_x_id = 0) in;

shared float red_scratch[gl_WorkGroupSize.x];

#ifdef USE_SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

float
wg_sum (float v)
{
  v = subgroupAdd (v);
  barrier ();
  if (subgroupElect ())
    red_scratch[gl_SubgroupID] = v;
  barrier ();
  float s = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; i++)
    s += red_scratch[i];
  barrier ();
  return s;
}

float
wg_max (float v)
{
  v = subgroupMax (v);
  barrier ();
  if (subgroupElect ())
    red_scratch[gl_SubgroupID] = v;
  barrier ();
  float s = red_scratch[0];
  for (uint i = 1; i < gl_NumSubgroups; i++)
    s = max (s, red_scratch[i]);
  barrier ();
  return s;
}
#else
float
wg_sum (float v)
{
  uint tid = gl_LocalInvocationID.x;
  barrier ();
  red_scratch[tid] = v;
  barrier ();
  for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1)
    {
      if (tid < s)
        red_scratch[tid] += red_scratch[tid + s];
      barrier ();
    }
  float r = red_scratch[0];
  barrier ();
  return r;
}

float
wg_max (float v)
{
  uint tid = gl_LocalInvocationID.x;
  barrier ();
  red_scratch[tid] = v;
  barrier ();
  for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1)
    {
      if (tid < s)
        red_scratch[tid] = max (red_scratch[tid], red_scratch[tid + s]);
      barrier ();
    }
  float r = red_scratch[0];
  barrier ();
  return r;
}
#endif
