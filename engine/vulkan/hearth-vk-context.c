/* hearth-vk-context.c: making and freeing a context (instance, device, queue)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

void
hearth_vk_context_params_init (HearthVkContextParams *params)
{
  memset (params, 0, sizeof *params);
  params->device_index = -1;
}

static gboolean
find_queue (HearthVkContext *ctx)
{
  g_autofree VkQueueFamilyProperties *q = NULL;
  guint32 n = 0;
  int best = -1;

  vkGetPhysicalDeviceQueueFamilyProperties (ctx->pd, &n, NULL);
  q = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (ctx->pd, &n, q);
  /* Prefer a compute queue without graphics (async compute), else any. */
  for (guint32 i = 0; i < n; i++)
    if ((q[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT))
      {
        best = (int) i;
        break;
      }
  for (guint32 i = 0; best < 0 && i < n; i++)
    if (q[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      best = (int) i;
  ctx->queue_family = (guint32) best;
  return best >= 0;
}

HearthVkContext *
hearth_vk_context_new (const HearthVkContextParams *params,
                       GError                     **error)
{
  g_autoptr(HearthVkContext) ctx = g_new0 (HearthVkContext, 1);
  HearthVkContextParams defaults;
  g_autofree VkPhysicalDevice *pds = NULL;
  const char *fault;
  guint32 n = 0;
  int chosen;
  float priority = 1.0f;
  VkPhysicalDeviceShaderIntegerDotProductFeatures fdot = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES };
  VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &f12 };
  VkPhysicalDeviceFeatures2 feats = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11 };
  const char *dot_ext = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
  VkDeviceQueueCreateInfo qinfo = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueCount = 1, .pQueuePriorities = &priority };
  VkDeviceCreateInfo dinfo = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .pNext = &feats,
                               .queueCreateInfoCount = 1, .pQueueCreateInfos = &qinfo };
  VkCommandPoolCreateInfo pinfo = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT };

  if (params == NULL)
    {
      hearth_vk_context_params_init (&defaults);
      params = &defaults;
    }
  g_rec_mutex_init (&ctx->lock);
  /* Read once, before anything is made: a typo in a test's fault must not
   * quietly test nothing. */
  ctx->staged = params->staged;
  fault = params->fault != NULL ? params->fault : g_getenv ("HEARTH_VK_FAULT");
  if (fault != NULL && !hearth_vk_fault_parse (ctx, fault, error))
    return NULL;
  ctx->instance = hearth_vk_create_instance (error);
  if (ctx->instance == VK_NULL_HANDLE)
    return NULL;
  vkEnumeratePhysicalDevices (ctx->instance, &n, NULL);
  pds = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (ctx->instance, &n, pds);
  chosen = hearth_vk_choose_device (pds, n, params, error);
  if (chosen < 0)
    return NULL;
  ctx->device_index = (guint) chosen;
  ctx->pd = pds[chosen];
  hearth_vk_query_features (ctx->pd, &ctx->features, &ctx->device_name);
  vkGetPhysicalDeviceMemoryProperties (ctx->pd, &ctx->mem);

  /* The kernels read quant blocks through 8- and 16-bit storage access. */
  if (ctx->features.api_version < VK_API_VERSION_1_2 || !ctx->features.storage8 || !ctx->features.storage16)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "Vulkan device %s lacks what the kernels need (Vulkan 1.2 with 8- and 16-bit storage buffer access)",
                   ctx->device_name);
      return NULL;
    }
  if (!find_queue (ctx))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "Vulkan device %s has no compute queue", ctx->device_name);
      return NULL;
    }
  f11.storageBuffer16BitAccess = VK_TRUE;
  f12.storageBuffer8BitAccess = VK_TRUE;
  f12.shaderFloat16 = ctx->features.fp16;
  f12.shaderInt8 = ctx->features.int8;
  if (ctx->features.int_dot)
    {
      fdot.shaderIntegerDotProduct = VK_TRUE;
      f12.pNext = &fdot;
      dinfo.enabledExtensionCount = 1;
      dinfo.ppEnabledExtensionNames = &dot_ext;
    }
  qinfo.queueFamilyIndex = ctx->queue_family;
  if (!hearth_vk_check (vkCreateDevice (ctx->pd, &dinfo, NULL, &ctx->device), "creating the device", error))
    return NULL;
  vkGetDeviceQueue (ctx->device, ctx->queue_family, 0, &ctx->queue);
  pinfo.queueFamilyIndex = ctx->queue_family;
  if (!hearth_vk_check (vkCreateCommandPool (ctx->device, &pinfo, NULL, &ctx->cmd_pool), "creating a command pool", error))
    return NULL;

  ctx->max_buffer = MIN (ctx->features.max_storage_range, ctx->features.max_allocation);
  if (params->max_buffer_bytes > 0)
    ctx->max_buffer = MIN (ctx->max_buffer, params->max_buffer_bytes);
  ctx->max_buffer &= ~(gsize) 255;
  ctx->memory_limit = params->memory_limit;
  if (!hearth_vk_choose_variants (ctx, params, error))
    return NULL;
  hearth_vk_pipeline_cache_load (ctx);
  return g_steal_pointer (&ctx);
}

void
hearth_vk_context_free (HearthVkContext *ctx)
{
  if (ctx == NULL)
    return;
  if (ctx->device != VK_NULL_HANDLE)
    {
      /* A lost device has nothing left to wait for (and a hung one might
       * never answer): its objects are destroyed as they are. */
      if (!hearth_vk_context_is_lost (ctx))
        {
          vkDeviceWaitIdle (ctx->device);
          hearth_vk_context_save_cache (ctx);
        }
      g_clear_pointer (&ctx->kernels, g_hash_table_unref);
      if (ctx->cache != VK_NULL_HANDLE)
        vkDestroyPipelineCache (ctx->device, ctx->cache, NULL);
      if (ctx->cmd_pool != VK_NULL_HANDLE)
        vkDestroyCommandPool (ctx->device, ctx->cmd_pool, NULL);
      vkDestroyDevice (ctx->device, NULL);
    }
  if (ctx->instance != VK_NULL_HANDLE)
    vkDestroyInstance (ctx->instance, NULL);
  g_rec_mutex_clear (&ctx->lock);
  g_free (ctx->device_name);
  g_free (ctx);
}

const char *
hearth_vk_context_get_device_name (HearthVkContext *ctx)
{
  return ctx->device_name;
}

guint
hearth_vk_context_get_device_index (HearthVkContext *ctx)
{
  return ctx->device_index;
}

const HearthVkFeatures *
hearth_vk_context_get_features (HearthVkContext *ctx)
{
  return &ctx->features;
}

gsize
hearth_vk_context_get_max_buffer (HearthVkContext *ctx)
{
  return ctx->max_buffer;
}

void
hearth_vk_context_lock (HearthVkContext *ctx)
{
  g_rec_mutex_lock (&ctx->lock);
}

void
hearth_vk_context_unlock (HearthVkContext *ctx)
{
  g_rec_mutex_unlock (&ctx->lock);
}

guint64
hearth_vk_context_get_allocated (HearthVkContext *ctx)
{
  return ctx->allocated;
}

