/* hearth-vk-variants.c: which kernel variants a context uses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of hearth-vk-context.c: the device's features (subgroups, int8 dot
 * products, a CPU device), the context params and the environment pick the
 * shapes of the kernels; none is assumed.
 */
#include "hearth-config.h"

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

/* Never without the feature; by default only where the device says the
 * packed signed 4x8 dot product is accelerated. Elsewhere it is emulated:
 * whether that still beats the f32 kernels depends on the device (it does on
 * lavapipe, see BENCHMARKS.md), and the f32 kernels are the more precise,
 * so it is left to the caller or HEARTH_VK_INT_DOT. */
static gboolean
choose_int_dot (const HearthVkFeatures       *f,
                const HearthVkContextParams *params)
{
  const char *env = g_getenv ("HEARTH_VK_INT_DOT");

  if (!f->int_dot || params->no_int_dot)
    return FALSE;
  if (params->force_int_dot)
    return TRUE;
  if (env != NULL && g_strcmp0 (env, "1") == 0)
    return TRUE;
  if (env != NULL && g_strcmp0 (env, "0") == 0)
    return FALSE;
  return f->int_dot_accel;
}

/* params.matvec, else $HEARTH_VK_MATVEC; a value that names no shape is an
 * error, so that a benchmark run with a typo does not quietly measure the
 * default. The default stays "wg" (today's kernel) until a GPU
 * measurement says "sg" is faster (engine/vulkan/BENCHMARKS.md). */
static gboolean
choose_matvec (HearthVkContext              *ctx,
               const HearthVkContextParams *params,
               GError                     **error)
{
  HearthVkMatvecShape shape = params->matvec;

  if (shape == HEARTH_VK_MATVEC_AUTO)
    {
      const char *env = g_getenv ("HEARTH_VK_MATVEC");

      if (env == NULL || *env == '\0' || g_strcmp0 (env, "wg") == 0)
        shape = HEARTH_VK_MATVEC_WG;
      else if (g_strcmp0 (env, "sg") == 0)
        shape = HEARTH_VK_MATVEC_SG;
      else
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "HEARTH_VK_MATVEC=%s: expected wg or sg", env);
          return FALSE;
        }
    }
  ctx->matvec_sg = shape == HEARTH_VK_MATVEC_SG && !ctx->row_per_thread && ctx->use_subgroup &&
                   ctx->features.subgroup_size > 0;
  return TRUE;
}

gboolean
hearth_vk_choose_variants (HearthVkContext             *ctx,
                           const HearthVkContextParams *params,
                           GError                     **error)
{
  ctx->use_subgroup = ctx->features.subgroup_arith && !params->no_subgroup;
  /* On a CPU device the invocations are SIMD lanes of one core: a row per
   * lane beats a workgroup per row with its reduction. HEARTH_VK_GPU_KERNELS=1
   * is params.gpu_kernels for whole models and the CLI (the end-to-end
   * tests and tools/gpu-bench's rehearsal on lavapipe run the GPU shapes). */
  ctx->row_per_thread = ctx->features.is_cpu && !params->gpu_kernels &&
                        g_strcmp0 (g_getenv ("HEARTH_VK_GPU_KERNELS"), "1") != 0;
  ctx->int_dot = choose_int_dot (&ctx->features, params);
  return choose_matvec (ctx, params, error);
}

gboolean
hearth_vk_context_use_subgroup (HearthVkContext *ctx)
{
  return ctx->use_subgroup;
}

gboolean
hearth_vk_context_use_int_dot (HearthVkContext *ctx)
{
  return ctx->int_dot;
}

gboolean
hearth_vk_context_use_row_per_thread (HearthVkContext *ctx)
{
  return ctx->row_per_thread;
}

gboolean
hearth_vk_context_use_matvec_sg (HearthVkContext *ctx)
{
  return ctx->matvec_sg;
}
