/* hearth-vk-fault.c: Vulkan errors, device loss and the fault hook
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of hearth-vk-context.c, which mixed it with device listing, the
 * pipeline cache and kernel-variant choice: every call of the layer that can
 * fail goes through here, so a lost device and the faults tests inject
 * (HEARTH_VK_FAULT) are handled in one place.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

gboolean
hearth_vk_check (VkResult    r,
                 const char *what,
                 GError    **error)
{
  if (r == VK_SUCCESS)
    return TRUE;
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
               "Vulkan: %s failed (%s)", what,
               r == VK_ERROR_DEVICE_LOST ? "device lost" :
               r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? "out of device memory" :
               r == VK_ERROR_OUT_OF_HOST_MEMORY ? "out of host memory" :
               r == VK_TIMEOUT ? "timed out" :
               r == VK_ERROR_INITIALIZATION_FAILED ? "initialization failed" :
               r == VK_ERROR_INCOMPATIBLE_DRIVER ? "no compatible driver" :
               r == VK_ERROR_FEATURE_NOT_PRESENT ? "feature not present" :
               r == VK_ERROR_EXTENSION_NOT_PRESENT ? "extension not present" : "error");
  return FALSE;
}

static const char *
result_text (VkResult r)
{
  switch (r)
    {
    case VK_ERROR_DEVICE_LOST: return "device lost";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case VK_ERROR_MEMORY_MAP_FAILED: return "memory map failed";
    case VK_TIMEOUT: return "timed out";
    default: return "error";
    }
}

/* ---- device loss and the fault hook ---- */

static const char *const class_names[HEARTH_VK_N_CALL_CLASSES] = {
  [HEARTH_VK_CALL_SUBMIT] = "submit",
  [HEARTH_VK_CALL_TRANSFER] = "transfer",
  [HEARTH_VK_CALL_FENCE] = "fence",
  [HEARTH_VK_CALL_ALLOC] = "alloc",
  [HEARTH_VK_CALL_MAP] = "map",
};

static const struct
{
  const char *name;
  VkResult    result;
} fault_results[] = {
  { "device-lost", VK_ERROR_DEVICE_LOST },
  { "oom-device", VK_ERROR_OUT_OF_DEVICE_MEMORY },
  { "oom-host", VK_ERROR_OUT_OF_HOST_MEMORY },
  { "timeout", VK_TIMEOUT },
};

/* Set by the first context made with a :once fault; later ones leave
 * theirs out. */
static gint once_claimed;

gboolean
hearth_vk_fault_parse (HearthVkContext *ctx,
                       const char      *spec,
                       GError         **error)
{
  g_auto(GStrv) items = g_strsplit (spec, ",", -1);
  gboolean once[HEARTH_VK_MAX_FAULTS] = { FALSE };
  gboolean any_once = FALSE;
  guint kept = 0;

  for (guint i = 0; items[i] != NULL; i++)
    {
      g_auto(GStrv) parts = NULL;
      HearthVkFault f = { 0 };
      guint64 nth = 0;
      int klass = -1, result = -1;

      g_strstrip (items[i]);
      if (items[i][0] == '\0')
        continue;
      if (strcmp (items[i], "staged") == 0)
        {
          ctx->staged = TRUE;
          continue;
        }
      parts = g_strsplit (items[i], ":", -1);
      if (g_strv_length (parts) == 3 || (g_strv_length (parts) == 4 && strcmp (parts[3], "once") == 0))
        {
          for (guint c = 0; c < HEARTH_VK_N_CALL_CLASSES; c++)
            if (strcmp (parts[0], class_names[c]) == 0)
              klass = (int) c;
          for (guint r = 0; r < G_N_ELEMENTS (fault_results); r++)
            if (strcmp (parts[2], fault_results[r].name) == 0)
              result = (int) r;
          if (!g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT64, &nth, NULL))
            nth = 0;
        }
      /* Only a wait can time out. */
      if (klass < 0 || result < 0 || nth == 0 || ctx->n_faults == HEARTH_VK_MAX_FAULTS ||
          (fault_results[result].result == VK_TIMEOUT && klass != HEARTH_VK_CALL_FENCE))
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "HEARTH_VK_FAULT: \"%s\" is not CLASS:N:RESULT[:once] (CLASS submit, transfer, fence, alloc or map; "
                       "N from 1; RESULT device-lost, oom-device, oom-host, or timeout for fence; at most %d) or staged",
                       items[i], HEARTH_VK_MAX_FAULTS);
          return FALSE;
        }
      f.klass = (HearthVkCallClass) klass;
      f.nth = nth;
      f.result = fault_results[result].result;
      once[ctx->n_faults] = parts[3] != NULL;
      any_once |= parts[3] != NULL;
      ctx->faults[ctx->n_faults++] = f;
    }
  /* Claimed only once the whole value has parsed: a context that fails on
   * a typo must not use up the fault. */
  if (!any_once || g_atomic_int_compare_and_exchange (&once_claimed, 0, 1))
    return TRUE;
  for (guint i = 0; i < ctx->n_faults; i++)
    if (!once[i])
      ctx->faults[kept++] = ctx->faults[i];
  ctx->n_faults = kept;
  return TRUE;
}

gboolean
hearth_vk_fault_hit (HearthVkContext  *ctx,
                     HearthVkCallClass klass)
{
  guint64 n = ++ctx->calls[klass];

  for (guint i = 0; i < ctx->n_faults; i++)
    if (ctx->faults[i].klass == klass && ctx->faults[i].nth == n)
      return TRUE;
  return FALSE;
}

VkResult
hearth_vk_fault_result (HearthVkContext  *ctx,
                        HearthVkCallClass klass)
{
  for (guint i = 0; i < ctx->n_faults; i++)
    if (ctx->faults[i].klass == klass && ctx->faults[i].nth == ctx->calls[klass])
      return ctx->faults[i].result;
  return VK_SUCCESS;
}

static void
set_lost_error (HearthVkContext *ctx,
                GError         **error)
{
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
               "the GPU device %s was lost (%s while %s); the model must be reloaded",
               ctx->device_name, ctx->lost_result == VK_TIMEOUT ? "no answer in time" : "device lost",
               ctx->lost_during);
}

gboolean
hearth_vk_ctx_check (HearthVkContext *ctx,
                     VkResult         r,
                     const char      *what,
                     GError         **error)
{
  if (r == VK_SUCCESS)
    return TRUE;
  if (r == VK_ERROR_DEVICE_LOST || r == VK_TIMEOUT)
    {
      g_rec_mutex_lock (&ctx->lock);
      if (!g_atomic_int_get (&ctx->lost))
        {
          ctx->lost_during = what;
          ctx->lost_result = r;
          g_atomic_int_set (&ctx->lost, 1);
        }
      g_rec_mutex_unlock (&ctx->lock);
    }
  if (g_atomic_int_get (&ctx->lost))
    set_lost_error (ctx, error);
  else
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                 "Vulkan on %s: %s failed (%s)", ctx->device_name, what, result_text (r));
  return FALSE;
}

gboolean
hearth_vk_context_check_usable (HearthVkContext *ctx,
                                GError         **error)
{
  if (!g_atomic_int_get (&ctx->lost))
    return TRUE;
  set_lost_error (ctx, error);
  return FALSE;
}

gboolean
hearth_vk_context_is_lost (HearthVkContext *ctx)
{
  return g_atomic_int_get (&ctx->lost) != 0;
}

gboolean
hearth_vk_wait_fence (HearthVkContext *ctx,
                      VkFence          fence,
                      const char      *what,
                      GError         **error)
{
  VkResult r;

  if (hearth_vk_fault_hit (ctx, HEARTH_VK_CALL_FENCE))
    {
      /* The simulated failure comes after the real wait, so that nothing is
       * still running when the caller frees what the work used. */
      vkWaitForFences (ctx->device, 1, &fence, VK_TRUE, HEARTH_VK_FENCE_TIMEOUT_NS);
      r = hearth_vk_fault_result (ctx, HEARTH_VK_CALL_FENCE);
    }
  else
    r = vkWaitForFences (ctx->device, 1, &fence, VK_TRUE, HEARTH_VK_FENCE_TIMEOUT_NS);
  return hearth_vk_ctx_check (ctx, r, what, error);
}
