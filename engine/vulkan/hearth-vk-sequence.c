/* hearth-vk-sequence.c: recorded command buffers of kernel dispatches, submitted with a fence
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of hearth-vk-kernel.c: a sequence is the layer's fourth part beside
 * the context, buffers and kernels (DESIGN.md); a decode step records its
 * dispatches, with barriers, into one and submits it once.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

/* Descriptor sets per pool; a sequence adds pools as it needs them. */
#define SETS_PER_POOL 256

struct _HearthVkSequence
{
  HearthVkContext *ctx;
  VkCommandBuffer  cmd;
  VkFence          fence;
  GArray          *pools;      /* VkDescriptorPool */
  guint            pool_used;  /* sets taken from the last pool */
  guint            n_dispatches;
  gboolean         recorded;
  GPtrArray       *scratch;    /* HearthVkBuffer, the last the largest */
};

HearthVkSequence *
hearth_vk_sequence_new (HearthVkContext *ctx,
                        GError         **error)
{
  g_autoptr(HearthVkSequence) seq = g_new0 (HearthVkSequence, 1);
  VkCommandBufferAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = ctx->cmd_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  seq->ctx = ctx;
  seq->pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
  seq->scratch = g_ptr_array_new ();
  if (!hearth_vk_context_check_usable (ctx, error))
    return NULL;
  if (!hearth_vk_ctx_check (ctx, vkAllocateCommandBuffers (ctx->device, &ainfo, &seq->cmd), "allocating a command buffer", error))
    return NULL;
  if (!hearth_vk_ctx_check (ctx, vkCreateFence (ctx->device, &finfo, NULL, &seq->fence), "creating a fence", error))
    return NULL;
  return g_steal_pointer (&seq);
}

void
hearth_vk_sequence_free (HearthVkSequence *seq)
{
  HearthVkContext *ctx;

  if (seq == NULL)
    return;
  ctx = seq->ctx;
  if (seq->fence != VK_NULL_HANDLE)
    vkDestroyFence (ctx->device, seq->fence, NULL);
  if (seq->cmd != VK_NULL_HANDLE)
    vkFreeCommandBuffers (ctx->device, ctx->cmd_pool, 1, &seq->cmd);
  for (guint i = 0; i < seq->pools->len; i++)
    vkDestroyDescriptorPool (ctx->device, g_array_index (seq->pools, VkDescriptorPool, i), NULL);
  g_array_unref (seq->pools);
  for (guint i = 0; i < seq->scratch->len; i++)
    hearth_vk_buffer_free (ctx, g_ptr_array_index (seq->scratch, i));
  g_ptr_array_unref (seq->scratch);
  g_free (seq);
}

gboolean
hearth_vk_sequence_begin (HearthVkSequence *seq,
                          GError          **error)
{
  VkCommandBufferBeginInfo binfo = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };

  /* A command buffer a lost device may still hold as pending cannot be reset. */
  if (!hearth_vk_context_check_usable (seq->ctx, error))
    return FALSE;
  for (guint i = 0; i < seq->pools->len; i++)
    vkResetDescriptorPool (seq->ctx->device, g_array_index (seq->pools, VkDescriptorPool, i), 0);
  /* Every pool is empty again: start filling from the first. */
  seq->pool_used = 0;
  if (seq->pools->len > 1)
    {
      for (guint i = 1; i < seq->pools->len; i++)
        vkDestroyDescriptorPool (seq->ctx->device, g_array_index (seq->pools, VkDescriptorPool, i), NULL);
      g_array_set_size (seq->pools, 1);
    }
  seq->n_dispatches = 0;
  seq->recorded = FALSE;
  /* Submits wait for their fence, so nothing uses the outgrown scratch
   * buffers any more; the largest stays for the new recording. */
  while (seq->scratch->len > 1)
    {
      hearth_vk_buffer_free (seq->ctx, g_ptr_array_index (seq->scratch, 0));
      g_ptr_array_remove_index (seq->scratch, 0);
    }
  if (!hearth_vk_ctx_check (seq->ctx, vkResetCommandBuffer (seq->cmd, 0), "resetting a command buffer", error))
    return FALSE;
  return hearth_vk_ctx_check (seq->ctx, vkBeginCommandBuffer (seq->cmd, &binfo), "recording", error);
}

static VkDescriptorSet
allocate_set (HearthVkSequence *seq,
              HearthVkKernel   *k,
              GError          **error)
{
  VkDescriptorSetAllocateInfo ainfo = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorSetCount = 1, .pSetLayouts = &k->set_layout };
  VkDescriptorSet set = VK_NULL_HANDLE;

  /* After begin() the first pool is empty again and reused first. */
  if (seq->pools->len == 0 || seq->pool_used == SETS_PER_POOL)
    {
      VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, SETS_PER_POOL * HEARTH_VK_MAX_BINDINGS };
      VkDescriptorPoolCreateInfo pinfo = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                           .maxSets = SETS_PER_POOL, .poolSizeCount = 1, .pPoolSizes = &size };
      VkDescriptorPool pool = VK_NULL_HANDLE;

      if (!hearth_vk_ctx_check (seq->ctx, vkCreateDescriptorPool (seq->ctx->device, &pinfo, NULL, &pool), "creating a descriptor pool", error))
        return VK_NULL_HANDLE;
      g_array_append_val (seq->pools, pool);
      seq->pool_used = 0;
    }
  ainfo.descriptorPool = g_array_index (seq->pools, VkDescriptorPool, seq->pools->len - 1);
  if (!hearth_vk_ctx_check (seq->ctx, vkAllocateDescriptorSets (seq->ctx->device, &ainfo, &set), "allocating a descriptor set", error))
    return VK_NULL_HANDLE;
  seq->pool_used++;
  return set;
}

gboolean
hearth_vk_sequence_dispatch (HearthVkSequence *seq,
                             HearthVkKernel   *k,
                             HearthVkBuffer  **bufs,
                             const void       *push,
                             guint32           gx,
                             guint32           gy,
                             guint32           gz,
                             GError          **error)
{
  VkDescriptorBufferInfo infos[HEARTH_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[HEARTH_VK_MAX_BINDINGS];
  VkDescriptorSet set;

  if (!hearth_vk_context_check_usable (seq->ctx, error))
    return FALSE;
  if (gx == 0 || gy == 0 || gz == 0)
    return TRUE;
  set = allocate_set (seq, k, error);
  if (set == VK_NULL_HANDLE)
    return FALSE;
  for (guint i = 0; i < k->n_bindings; i++)
    {
      infos[i] = (VkDescriptorBufferInfo) { bufs[i]->buffer, 0, VK_WHOLE_SIZE };
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[i],
      };
    }
  vkUpdateDescriptorSets (seq->ctx->device, k->n_bindings, writes, 0, NULL);

  /* Each op reads what the previous ones wrote: one full compute barrier
   * between dispatches keeps the ordering simple and always right. */
  if (seq->n_dispatches > 0)
    {
      VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
      };
      vkCmdPipelineBarrier (seq->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                            0, 1, &barrier, 0, NULL, 0, NULL);
    }
  vkCmdBindPipeline (seq->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k->pipeline);
  vkCmdBindDescriptorSets (seq->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k->layout, 0, 1, &set, 0, NULL);
  if (k->push_size > 0)
    vkCmdPushConstants (seq->cmd, k->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, k->push_size, push);
  vkCmdDispatch (seq->cmd, gx, gy, gz);
  seq->n_dispatches++;
  return TRUE;
}

gboolean
hearth_vk_sequence_end (HearthVkSequence *seq,
                        GError          **error)
{
  /* Make the results visible to host reads of mapped memory. */
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT,
  };

  if (!hearth_vk_context_check_usable (seq->ctx, error))
    return FALSE;
  vkCmdPipelineBarrier (seq->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                        VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        0, 1, &barrier, 0, NULL, 0, NULL);
  if (!hearth_vk_ctx_check (seq->ctx, vkEndCommandBuffer (seq->cmd), "recording", error))
    return FALSE;
  seq->recorded = TRUE;
  return TRUE;
}

gboolean
hearth_vk_sequence_submit (HearthVkSequence *seq,
                           GError          **error)
{
  HearthVkContext *ctx = seq->ctx;
  VkSubmitInfo sinfo = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &seq->cmd };
  gboolean ok;

  g_return_val_if_fail (seq->recorded, FALSE);
  g_rec_mutex_lock (&ctx->lock);
  ok = hearth_vk_context_check_usable (ctx, error) &&
       hearth_vk_ctx_check (ctx, vkResetFences (ctx->device, 1, &seq->fence), "resetting a fence", error) &&
       hearth_vk_ctx_check (ctx, HEARTH_VK_CALL (ctx, HEARTH_VK_CALL_SUBMIT, vkQueueSubmit (ctx->queue, 1, &sinfo, seq->fence)),
                            "submitting", error) &&
       hearth_vk_wait_fence (ctx, seq->fence, "running a sequence", error);
  g_rec_mutex_unlock (&ctx->lock);
  return ok;
}

HearthVkBuffer *
hearth_vk_sequence_get_scratch (HearthVkSequence *seq,
                                gsize             size,
                                GError          **error)
{
  HearthVkBuffer *last = seq->scratch->len > 0 ? g_ptr_array_index (seq->scratch, seq->scratch->len - 1) : NULL;
  HearthVkBuffer *buf;
  gsize want;

  if (last != NULL && last->size >= size)
    return last;
  /* Dispatches recorded earlier keep the smaller buffer they were given:
   * it lives until the next begin(). Doubling keeps the count small. */
  want = MAX (size, last != NULL ? MIN ((gsize) last->size * 2, hearth_vk_context_get_max_buffer (seq->ctx)) : 0);
  buf = hearth_vk_buffer_new (seq->ctx, MAX (want, 256), error);
  if (buf == NULL)
    return NULL;
  g_ptr_array_add (seq->scratch, buf);
  return buf;
}

HearthVkContext *
hearth_vk_sequence_get_context (HearthVkSequence *seq)
{
  return seq->ctx;
}

guint
hearth_vk_sequence_get_n_dispatches (HearthVkSequence *seq)
{
  return seq->n_dispatches;
}

void
hearth_vk_sequence_reset_queries (HearthVkSequence *seq,
                                  VkQueryPool       pool,
                                  guint32           first,
                                  guint32           count)
{
  vkCmdResetQueryPool (seq->cmd, pool, first, count);
}

void
hearth_vk_sequence_write_timestamp (HearthVkSequence *seq,
                                    VkQueryPool       pool,
                                    guint32           query,
                                    gboolean          top_of_pipe)
{
  vkCmdWriteTimestamp (seq->cmd, top_of_pipe ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                       pool, query);
}
