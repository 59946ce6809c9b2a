/* hearth-vk-private.h: the layer's structs, shared by its files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-vk.h"

G_BEGIN_DECLS

/* A submit that has not finished after this long is reported as an error
 * rather than waited on forever (a hung or lost device). */
#define HEARTH_VK_FENCE_TIMEOUT_NS (G_GUINT64_CONSTANT (300) * 1000000000u)

struct _HearthVkContext
{
  VkInstance                       instance;
  VkPhysicalDevice                 pd;
  VkDevice                         device;
  VkQueue                          queue;
  guint32                          queue_family;
  VkCommandPool                    cmd_pool;
  VkPipelineCache                  cache;
  gboolean                         cache_dirty;
  VkPhysicalDeviceMemoryProperties mem;
  HearthVkFeatures                 features;
  char                            *device_name;
  guint                            device_index;
  gsize                            max_buffer;
  gboolean                         use_subgroup;
  gboolean                         row_per_thread;
  gboolean                         int_dot;   /* int8 dot-product mat-muls in use */
  guint64                          allocated;
  guint64                          memory_limit;
  GHashTable                      *kernels;   /* name (static) -> HearthVkKernel */
  GRecMutex                        lock;      /* queue, command pool, kernels, accounting */
};

struct _HearthVkKernel
{
  const char           *name;
  guint                 n_bindings;
  guint                 push_size;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout      layout;
  VkPipeline            pipeline;
};

gboolean hearth_vk_check (VkResult    r,
                          const char *what,
                          GError    **error);
void     hearth_vk_kernel_free (HearthVkContext *ctx,
                                HearthVkKernel  *kernel);
/* Runs @fn (data, cmd) in a one-off command buffer and waits for it. */
gboolean hearth_vk_run_once (HearthVkContext *ctx,
                             void           (*fn) (void *data, VkCommandBuffer cmd),
                             void            *data,
                             GError         **error);

G_END_DECLS
