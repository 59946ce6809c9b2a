/* hearth-vk-kernel.c: pipelines of the embedded shaders
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"


/* The kernel table's value destructor: a kernel knows its device, so the
 * context frees its kernels by dropping the table, without calling in here. */
static void
kernel_free (gpointer data)
{
  HearthVkKernel *k = data;

  if (k == NULL)
    return;
  if (k->pipeline != VK_NULL_HANDLE)
    vkDestroyPipeline (k->device, k->pipeline, NULL);
  if (k->layout != VK_NULL_HANDLE)
    vkDestroyPipelineLayout (k->device, k->layout, NULL);
  if (k->set_layout != VK_NULL_HANDLE)
    vkDestroyDescriptorSetLayout (k->device, k->set_layout, NULL);
  g_free (k);
}

static const HearthVkShader *
find_shader (const char *name)
{
  for (guint i = 0; i < hearth_vk_n_shaders; i++)
    if (strcmp (hearth_vk_shaders[i].name, name) == 0)
      return &hearth_vk_shaders[i];
  return NULL;
}

static HearthVkKernel *
get_kernel_locked (HearthVkContext *ctx,
                   const char      *name,
                   guint            n_bindings,
                   guint            push_size,
                   guint32          wg_size,
                   GError         **error)
{
  const HearthVkShader *shader;
  HearthVkKernel *k;
  VkDescriptorSetLayoutBinding bindings[HEARTH_VK_MAX_BINDINGS];
  VkDescriptorSetLayoutCreateInfo sinfo = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO };
  VkPushConstantRange range = { .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .size = push_size };
  VkPipelineLayoutCreateInfo linfo = { .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1,
                                       .pushConstantRangeCount = 1, .pPushConstantRanges = &range };
  VkShaderModuleCreateInfo minfo = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO };
  VkSpecializationMapEntry entry = { .constantID = 0, .offset = 0, .size = sizeof (guint32) };
  VkSpecializationInfo spec = { .mapEntryCount = 1, .pMapEntries = &entry, .dataSize = sizeof (guint32), .pData = &wg_size };
  VkComputePipelineCreateInfo pinfo = { .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO };
  VkShaderModule module = VK_NULL_HANDLE;
  VkResult r;

  if (!hearth_vk_context_check_usable (ctx, error))
    return NULL;
  if (ctx->kernels == NULL)
    ctx->kernels = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, kernel_free);
  k = g_hash_table_lookup (ctx->kernels, name);
  if (k != NULL)
    return k;
  shader = find_shader (name);
  if (shader == NULL || n_bindings > HEARTH_VK_MAX_BINDINGS)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED, "no compute kernel \"%s\"", name);
      return NULL;
    }
  k = g_new0 (HearthVkKernel, 1);
  k->device = ctx->device;
  k->name = shader->name;
  k->n_bindings = n_bindings;
  k->push_size = push_size;
  for (guint i = 0; i < n_bindings; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  sinfo.bindingCount = n_bindings;
  sinfo.pBindings = bindings;
  if (!hearth_vk_ctx_check (ctx, vkCreateDescriptorSetLayout (ctx->device, &sinfo, NULL, &k->set_layout), "creating a descriptor layout", error))
    goto fail;
  linfo.pSetLayouts = &k->set_layout;
  if (!hearth_vk_ctx_check (ctx, vkCreatePipelineLayout (ctx->device, &linfo, NULL, &k->layout), "creating a pipeline layout", error))
    goto fail;
  minfo.codeSize = shader->size;
  minfo.pCode = shader->code;
  if (!hearth_vk_ctx_check (ctx, vkCreateShaderModule (ctx->device, &minfo, NULL, &module), "creating a shader module", error))
    goto fail;
  pinfo.stage = (VkPipelineShaderStageCreateInfo) {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
    .stage = VK_SHADER_STAGE_COMPUTE_BIT,
    .module = module,
    .pName = "main",
    .pSpecializationInfo = wg_size > 0 ? &spec : NULL,
  };
  pinfo.layout = k->layout;
  r = vkCreateComputePipelines (ctx->device, ctx->cache, 1, &pinfo, NULL, &k->pipeline);
  vkDestroyShaderModule (ctx->device, module, NULL);
  if (!hearth_vk_ctx_check (ctx, r, "building a compute pipeline", error))
    goto fail;
  ctx->cache_dirty = TRUE;
  g_hash_table_insert (ctx->kernels, (gpointer) k->name, k);
  return k;

fail:
  g_prefix_error (error, "kernel %s: ", name);
  kernel_free (k);
  return NULL;
}

HearthVkKernel *
hearth_vk_context_get_kernel (HearthVkContext *ctx,
                              const char      *name,
                              guint            n_bindings,
                              guint            push_size,
                              guint32          wg_size,
                              GError         **error)
{
  HearthVkKernel *k;

  g_rec_mutex_lock (&ctx->lock);
  k = get_kernel_locked (ctx, name, n_bindings, push_size, wg_size, error);
  g_rec_mutex_unlock (&ctx->lock);
  return k;
}
