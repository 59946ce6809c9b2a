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

/* The calls the fault hook (HEARTH_VK_FAULT, hearth-vk.h) can make fail. */
typedef enum
{
  HEARTH_VK_CALL_SUBMIT,   /* vkQueueSubmit of a sequence (prompt chunk, decode step) */
  HEARTH_VK_CALL_TRANSFER, /* vkQueueSubmit of a staged copy (upload, download) */
  HEARTH_VK_CALL_FENCE,    /* vkWaitForFences, after either */
  HEARTH_VK_CALL_ALLOC,    /* vkAllocateMemory */
  HEARTH_VK_CALL_MAP,      /* vkMapMemory */
  HEARTH_VK_N_CALL_CLASSES
} HearthVkCallClass;

#define HEARTH_VK_MAX_FAULTS 8

/* Storage buffers one kernel binds at most. */
#define HEARTH_VK_MAX_BINDINGS 8

typedef struct
{
  HearthVkCallClass klass;
  guint64           nth;     /* the nth call of klass fails, counting from 1 */
  VkResult          result;
} HearthVkFault;

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
  gboolean                         matvec_sg; /* decode mat-vec: a subgroup per row */
  guint64                          allocated;
  guint64                          memory_limit;
  GHashTable                      *kernels;   /* name (static) -> HearthVkKernel, made by the first kernel */
  GRecMutex                        lock;      /* queue, command pool, kernels, accounting */
  /* Once set, never cleared: the device (or its queue) is unusable and every
   * later call fails at once with the same error, without touching it. */
  gint                             lost;      /* atomic */
  const char                      *lost_during;  /* static: what the first lost call did */
  VkResult                         lost_result;
  gboolean                         staged;    /* device buffers never mapped (params.staged) */
  HearthVkFault                    faults[HEARTH_VK_MAX_FAULTS];
  guint                            n_faults;
  guint64                          calls[HEARTH_VK_N_CALL_CLASSES];
};

struct _HearthVkKernel
{
  VkDevice              device;     /* the context's, to free the kernel with */
  const char           *name;
  guint                 n_bindings;
  guint                 push_size;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout      layout;
  VkPipeline            pipeline;
};

/* ---- errors, device loss and the fault hook (hearth-vk-fault.c) ---- */

gboolean hearth_vk_check (VkResult    r,
                          const char *what,
                          GError    **error);

/* The one place where the calls of a HearthVkCallClass meet the fault hook:
 *   r = HEARTH_VK_CALL (ctx, HEARTH_VK_CALL_SUBMIT, vkQueueSubmit (...));
 * When the hook picks this call it is not made at all (so nothing is left
 * in flight or allocated) and r is the chosen result. The result then goes
 * to hearth_vk_ctx_check, which notices a lost device. Under ctx->lock. */
#define HEARTH_VK_CALL(ctx, klass, call) \
  (hearth_vk_fault_hit ((ctx), (klass)) ? hearth_vk_fault_result ((ctx), (klass)) : (call))

/* Reads a HEARTH_VK_FAULT spec (params.fault) into the context's faults. */
gboolean hearth_vk_fault_parse  (HearthVkContext *ctx,
                                 const char      *spec,
                                 GError         **error);
/* Counts one call of @klass; TRUE when the hook fails this one. */
gboolean hearth_vk_fault_hit    (HearthVkContext  *ctx,
                                 HearthVkCallClass klass);
/* The result the hook chose for the call just counted. */
VkResult hearth_vk_fault_result (HearthVkContext  *ctx,
                                 HearthVkCallClass klass);
/* Like hearth_vk_check, with the context's device named. VK_ERROR_DEVICE_LOST,
 * or VK_TIMEOUT (only a fence wait returns it: a hung device, whose work may
 * still be in flight), marks the context lost, and a lost device's error
 * says the model must be reloaded. */
gboolean hearth_vk_ctx_check    (HearthVkContext *ctx,
                                 VkResult         r,
                                 const char      *what,
                                 GError         **error);
/* Waits for @fence, the only vkWaitForFences of the layer (class FENCE). */
gboolean hearth_vk_wait_fence   (HearthVkContext *ctx,
                                 VkFence          fence,
                                 const char      *what,
                                 GError         **error);
/* ---- devices and their features (hearth-vk-devices.c) ---- */

VkInstance hearth_vk_create_instance (GError **error);
void       hearth_vk_query_features (VkPhysicalDevice  pd,
                                     HearthVkFeatures *f,
                                     char            **name);
/* The index in @pds of the device @params asks for, or -1 with @error. */
int        hearth_vk_choose_device (VkPhysicalDevice            *pds,
                                    guint32                      n,
                                    const HearthVkContextParams *params,
                                    GError                     **error);

/* ---- the pipeline cache on disk (hearth-vk-pipeline-cache.c) ---- */

/* Creates ctx->cache from the saved one, if any (VK_NULL_HANDLE when even
 * an empty one cannot be made); hearth_vk_context_save_cache() writes it. */
void       hearth_vk_pipeline_cache_load (HearthVkContext *ctx);

/* ---- kernel variants (hearth-vk-variants.c) ---- */

/* Sets the context's use_subgroup, row_per_thread, int_dot and matvec_sg
 * from its features, @params and the environment; fails for a bad
 * HEARTH_VK_MATVEC. */
gboolean   hearth_vk_choose_variants (HearthVkContext             *ctx,
                                      const HearthVkContextParams *params,
                                      GError                     **error);

/* ---- buffers (hearth-vk-buffer.c) ---- */

/* Runs @fn (data, cmd) in a one-off command buffer and waits for it. */
gboolean hearth_vk_run_once (HearthVkContext *ctx,
                             void           (*fn) (void *data, VkCommandBuffer cmd),
                             void            *data,
                             GError         **error);

G_END_DECLS
