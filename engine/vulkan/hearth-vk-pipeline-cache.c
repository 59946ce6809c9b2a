/* hearth-vk-pipeline-cache.c: the VkPipelineCache kept on disk per device
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of hearth-vk-context.c. Drivers (lavapipe above all) compile a new
 * pipeline slowly the first time; a cache in the user's cache folder, keyed
 * by the device and its pipelineCacheUUID, saves that on later runs.
 */
#include "hearth-config.h"

#include "hearth-vk-private.h"

static char *
cache_path (HearthVkContext *ctx)
{
  VkPhysicalDeviceProperties props;
  g_autofree char *uuid = NULL;

  vkGetPhysicalDeviceProperties (ctx->pd, &props);
  uuid = g_compute_checksum_for_data (G_CHECKSUM_SHA1, props.pipelineCacheUUID, VK_UUID_SIZE);
  return g_strdup_printf ("%s/hearth/vulkan-%04x-%04x-%.16s.cache", g_get_user_cache_dir (),
                          props.vendorID, props.deviceID, uuid);
}

void
hearth_vk_pipeline_cache_load (HearthVkContext *ctx)
{
  g_autofree char *path = cache_path (ctx);
  g_autofree char *data = NULL;
  gsize len = 0;
  VkPipelineCacheCreateInfo info = { .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO };

  /* A missing or stale cache is normal; the driver checks the header. */
  if (g_file_get_contents (path, &data, &len, NULL))
    {
      info.initialDataSize = len;
      info.pInitialData = data;
    }
  if (vkCreatePipelineCache (ctx->device, &info, NULL, &ctx->cache) != VK_SUCCESS)
    {
      info.initialDataSize = 0;
      info.pInitialData = NULL;
      if (vkCreatePipelineCache (ctx->device, &info, NULL, &ctx->cache) != VK_SUCCESS)
        ctx->cache = VK_NULL_HANDLE;
    }
}

void
hearth_vk_context_save_cache (HearthVkContext *ctx)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autofree void *data = NULL;
  size_t len = 0;

  if (ctx->cache == VK_NULL_HANDLE || !ctx->cache_dirty || hearth_vk_context_is_lost (ctx))
    return;
  if (vkGetPipelineCacheData (ctx->device, ctx->cache, &len, NULL) != VK_SUCCESS || len == 0)
    return;
  data = g_malloc (len);
  if (vkGetPipelineCacheData (ctx->device, ctx->cache, &len, data) != VK_SUCCESS)
    return;
  path = cache_path (ctx);
  dir = g_path_get_dirname (path);
  /* The cache only saves time: failing to write it is not an error. */
  if (g_mkdir_with_parents (dir, 0700) == 0 && g_file_set_contents (path, data, (gssize) len, NULL))
    ctx->cache_dirty = FALSE;
}
