/* hearth-vk-buffer.c: device buffers, staged transfers, split matrices
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

/* Staging copies go through buffers of at most this size. */
#define STAGING_CHUNK ((gsize) 32 << 20)

static int
find_memory_type (HearthVkContext      *ctx,
                  guint32               type_bits,
                  VkMemoryPropertyFlags want)
{
  for (guint32 i = 0; i < ctx->mem.memoryTypeCount; i++)
    if ((type_bits & (1u << i)) && (ctx->mem.memoryTypes[i].propertyFlags & want) == want)
      return (int) i;
  return -1;
}

static HearthVkBuffer *
buffer_new_locked (HearthVkContext      *ctx,
                   gsize                 size,
                   VkMemoryPropertyFlags want,
                   VkMemoryPropertyFlags fallback,
                   gboolean              may_map,
                   GError              **error)
{
  HearthVkBuffer *buf;
  VkBufferCreateInfo binfo = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = MAX (size, 4),
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  VkMemoryAllocateInfo ainfo = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
  int type;
  VkResult r;

  if (!hearth_vk_context_check_usable (ctx, error))
    return NULL;
  if (size > ctx->max_buffer)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                   "a buffer of %" G_GSIZE_FORMAT " bytes is larger than %s allows (%" G_GSIZE_FORMAT ")",
                   size, ctx->device_name, ctx->max_buffer);
      return NULL;
    }
  if (ctx->memory_limit > 0 && ctx->allocated + binfo.size > ctx->memory_limit)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                   "cannot allocate %" G_GUINT64_FORMAT " KiB on %s: %" G_GUINT64_FORMAT " KiB of the %" G_GUINT64_FORMAT
                   " KiB allowed are in use", (guint64) binfo.size >> 10, ctx->device_name,
                   ctx->allocated >> 10, ctx->memory_limit >> 10);
      return NULL;
    }
  buf = g_new0 (HearthVkBuffer, 1);
  buf->size = binfo.size;
  if (!hearth_vk_ctx_check (ctx, vkCreateBuffer (ctx->device, &binfo, NULL, &buf->buffer), "creating a buffer", error))
    {
      g_free (buf);
      return NULL;
    }
  vkGetBufferMemoryRequirements (ctx->device, buf->buffer, &req);
  type = find_memory_type (ctx, req.memoryTypeBits, want);
  if (type < 0)
    type = find_memory_type (ctx, req.memoryTypeBits, fallback);
  if (type < 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE, "no suitable Vulkan memory type");
      hearth_vk_buffer_free (ctx, buf);
      return NULL;
    }
  ainfo.allocationSize = req.size;
  ainfo.memoryTypeIndex = (guint32) type;
  r = HEARTH_VK_CALL (ctx, HEARTH_VK_CALL_ALLOC, vkAllocateMemory (ctx->device, &ainfo, NULL, &buf->memory));
  if (r != VK_SUCCESS)
    {
      if (r != VK_ERROR_OUT_OF_DEVICE_MEMORY && r != VK_ERROR_OUT_OF_HOST_MEMORY)
        hearth_vk_ctx_check (ctx, r, "allocating memory", error);
      else
        {
          g_autofree char *size_text = g_format_size_full (binfo.size, G_FORMAT_SIZE_IEC_UNITS);
          g_autofree char *used_text = g_format_size_full (ctx->allocated, G_FORMAT_SIZE_IEC_UNITS);
          g_autofree char *heap_text = g_format_size_full (ctx->features.device_memory, G_FORMAT_SIZE_IEC_UNITS);
          g_autofree char *exact = binfo.size >= 1024 ? g_strdup_printf (" (%" G_GUINT64_FORMAT " bytes)", (guint64) binfo.size)
                                                      : g_strdup ("");

          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                       "cannot allocate a buffer of %s%s in %s memory on %s: %s (%s allocated so far of a %s heap)",
                       size_text, exact,
                       (ctx->mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ? "device" : "host-visible",
                       ctx->device_name, r == VK_ERROR_OUT_OF_HOST_MEMORY ? "out of host memory" : "out of device memory",
                       used_text, heap_text);
        }
      buf->memory = VK_NULL_HANDLE;
      hearth_vk_buffer_free (ctx, buf);
      return NULL;
    }
  ctx->allocated += buf->size;
  if (!hearth_vk_ctx_check (ctx, vkBindBufferMemory (ctx->device, buf->buffer, buf->memory, 0), "binding buffer memory", error))
    {
      hearth_vk_buffer_free (ctx, buf);
      return NULL;
    }
  if (may_map && (ctx->mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
    {
      if (!hearth_vk_ctx_check (ctx,
                                HEARTH_VK_CALL (ctx, HEARTH_VK_CALL_MAP,
                                                vkMapMemory (ctx->device, buf->memory, 0, VK_WHOLE_SIZE, 0, &buf->mapped)),
                                "mapping buffer memory", error))
        {
          if (!hearth_vk_context_is_lost (ctx))
            {
              g_autofree char *size_text = g_format_size_full (binfo.size, G_FORMAT_SIZE_IEC_UNITS);

              g_prefix_error (error, "a buffer of %s: ", size_text);
            }
          buf->mapped = NULL;
          hearth_vk_buffer_free (ctx, buf);
          return NULL;
        }
      /* Host-visible but not coherent memory would need flushes; such a
       * type is used only as a last resort, so treat it as unmapped. */
      if (!(ctx->mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT))
        {
          vkUnmapMemory (ctx->device, buf->memory);
          buf->mapped = NULL;
        }
    }
  return buf;
}

static HearthVkBuffer *
buffer_new (HearthVkContext      *ctx,
            gsize                 size,
            VkMemoryPropertyFlags want,
            VkMemoryPropertyFlags fallback,
            gboolean              may_map,
            GError              **error)
{
  HearthVkBuffer *buf;

  g_rec_mutex_lock (&ctx->lock);
  buf = buffer_new_locked (ctx, size, want, fallback, may_map, error);
  g_rec_mutex_unlock (&ctx->lock);
  return buf;
}

HearthVkBuffer *
hearth_vk_buffer_new (HearthVkContext *ctx,
                      gsize            size,
                      GError         **error)
{
  /* On unified memory the device-local memory is also host-visible: map it
   * and skip staging. Elsewhere plain device-local memory. */
  if (ctx->features.uma && !ctx->staged)
    return buffer_new (ctx, size,
                       VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                       VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, TRUE, error);
  /* Staged (params.staged): the discrete-GPU path even where the memory
   * happens to be host-visible. */
  return buffer_new (ctx, size, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, !ctx->staged, error);
}

HearthVkBuffer *
hearth_vk_buffer_new_host (HearthVkContext *ctx,
                           gsize            size,
                           GError         **error)
{
  /* Cached where possible: the host reads results back from these. */
  return buffer_new (ctx, size,
                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
                     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, TRUE, error);
}

void
hearth_vk_buffer_free (HearthVkContext *ctx,
                       HearthVkBuffer  *buf)
{
  if (buf == NULL)
    return;
  g_rec_mutex_lock (&ctx->lock);
  if (buf->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (ctx->device, buf->buffer, NULL);
  if (buf->memory != VK_NULL_HANDLE)
    {
      vkFreeMemory (ctx->device, buf->memory, NULL);
      ctx->allocated -= MIN (ctx->allocated, buf->size);
    }
  g_rec_mutex_unlock (&ctx->lock);
  g_free (buf);
}

static gboolean
run_once_locked (HearthVkContext *ctx,
                 void           (*fn) (void *data, VkCommandBuffer cmd),
                 void            *data,
                 GError         **error)
{
  VkCommandBufferAllocateInfo ainfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = ctx->cmd_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkCommandBufferBeginInfo binfo = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkFenceCreateInfo finfo = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkSubmitInfo sinfo = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1 };
  gboolean ok = FALSE;

  if (!hearth_vk_context_check_usable (ctx, error))
    return FALSE;
  if (!hearth_vk_ctx_check (ctx, vkAllocateCommandBuffers (ctx->device, &ainfo, &cmd), "allocating a command buffer", error))
    return FALSE;
  if (!hearth_vk_ctx_check (ctx, vkCreateFence (ctx->device, &finfo, NULL, &fence), "creating a fence", error))
    goto out;
  if (!hearth_vk_ctx_check (ctx, vkBeginCommandBuffer (cmd, &binfo), "recording", error))
    goto out;
  fn (data, cmd);
  if (!hearth_vk_ctx_check (ctx, vkEndCommandBuffer (cmd), "recording", error))
    goto out;
  sinfo.pCommandBuffers = &cmd;
  if (!hearth_vk_ctx_check (ctx, HEARTH_VK_CALL (ctx, HEARTH_VK_CALL_TRANSFER, vkQueueSubmit (ctx->queue, 1, &sinfo, fence)),
                            "submitting a transfer", error))
    goto out;
  ok = hearth_vk_wait_fence (ctx, fence, "waiting for a transfer", error);
out:
  if (fence != VK_NULL_HANDLE)
    vkDestroyFence (ctx->device, fence, NULL);
  vkFreeCommandBuffers (ctx->device, ctx->cmd_pool, 1, &cmd);
  return ok;
}

gboolean
hearth_vk_run_once (HearthVkContext *ctx,
                    void           (*fn) (void *data, VkCommandBuffer cmd),
                    void            *data,
                    GError         **error)
{
  gboolean ok;

  g_rec_mutex_lock (&ctx->lock);
  ok = run_once_locked (ctx, fn, data, error);
  g_rec_mutex_unlock (&ctx->lock);
  return ok;
}

typedef struct
{
  VkBuffer     src, dst;
  VkBufferCopy region;
} CopyJob;

static void
record_copy (void           *data,
             VkCommandBuffer cmd)
{
  CopyJob *job = data;

  vkCmdCopyBuffer (cmd, job->src, job->dst, 1, &job->region);
}

static gboolean
transfer (HearthVkContext *ctx,
          HearthVkBuffer  *buf,
          gsize            offset,
          void            *host,
          gsize            n,
          gboolean         upload,
          GError         **error)
{
  HearthVkBuffer *staging;
  gboolean ok = TRUE;

  /* Mapped memory would still copy, but what it holds is gone with the device. */
  if (!hearth_vk_context_check_usable (ctx, error))
    return FALSE;
  if (offset > buf->size || n > buf->size - offset)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "transfer of %" G_GSIZE_FORMAT " bytes at %" G_GSIZE_FORMAT " outside a buffer of %" G_GUINT64_FORMAT,
                   n, offset, (guint64) buf->size);
      return FALSE;
    }
  if (n == 0)
    return TRUE;
  if (buf->mapped != NULL)
    {
      if (upload)
        memcpy ((guint8 *) buf->mapped + offset, host, n);
      else
        memcpy (host, (guint8 *) buf->mapped + offset, n);
      return TRUE;
    }
  staging = buffer_new (ctx, MIN (n, STAGING_CHUNK),
                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, TRUE, error);
  if (staging == NULL)
    return FALSE;
  for (gsize done = 0; ok && done < n;)
    {
      gsize len = MIN (n - done, STAGING_CHUNK);
      CopyJob job = { 0 };

      job.region.size = len;
      if (upload)
        {
          memcpy (staging->mapped, (guint8 *) host + done, len);
          job.src = staging->buffer;
          job.dst = buf->buffer;
          job.region.dstOffset = offset + done;
        }
      else
        {
          job.src = buf->buffer;
          job.dst = staging->buffer;
          job.region.srcOffset = offset + done;
        }
      ok = hearth_vk_run_once (ctx, record_copy, &job, error);
      if (ok && !upload)
        memcpy ((guint8 *) host + done, staging->mapped, len);
      done += len;
    }
  hearth_vk_buffer_free (ctx, staging);
  return ok;
}

gboolean
hearth_vk_buffer_upload (HearthVkContext *ctx,
                         HearthVkBuffer  *buf,
                         gsize            offset,
                         const void      *data,
                         gsize            n,
                         GError         **error)
{
  return transfer (ctx, buf, offset, (void *) data, n, TRUE, error);
}

gboolean
hearth_vk_buffer_download (HearthVkContext *ctx,
                           HearthVkBuffer  *buf,
                           gsize            offset,
                           void            *data,
                           gsize            n,
                           GError         **error)
{
  return transfer (ctx, buf, offset, data, n, FALSE, error);
}

HearthVkMatrix *
hearth_vk_matrix_new (HearthVkContext *ctx,
                      HearthGgmlType   type,
                      const void      *data,
                      gint64           n_rows,
                      gint64           n_cols,
                      gsize            row_bytes,
                      GError         **error)
{
  HearthVkMatrix *m;
  /* Whole rows per piece; a row must fit one buffer on its own. The kernels
   * address bytes with 32-bit offsets, so pieces also stay below 4 GiB. */
  gsize cap = MIN (ctx->max_buffer, (gsize) G_MAXUINT32 - 255);
  gint64 rows_per_piece = row_bytes > 0 ? (gint64) (cap / row_bytes) : 0;

  if (rows_per_piece <= 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "a row of %" G_GSIZE_FORMAT " bytes is larger than a buffer on %s", row_bytes, ctx->device_name);
      return NULL;
    }
  m = g_new0 (HearthVkMatrix, 1);
  m->type = type;
  m->n_rows = n_rows;
  m->n_cols = n_cols;
  m->row_bytes = row_bytes;
  m->n_pieces = (guint) ((n_rows + rows_per_piece - 1) / rows_per_piece);
  m->pieces = g_new0 (HearthVkPiece, MAX (m->n_pieces, 1));
  for (guint i = 0; i < m->n_pieces; i++)
    {
      HearthVkPiece *p = &m->pieces[i];
      gsize bytes;

      p->row0 = (gint64) i * rows_per_piece;
      p->n_rows = MIN (rows_per_piece, n_rows - p->row0);
      bytes = (gsize) p->n_rows * row_bytes;
      p->buf = hearth_vk_buffer_new (ctx, bytes, error);
      if (p->buf == NULL ||
          !hearth_vk_buffer_upload (ctx, p->buf, 0, (const guint8 *) data + (gsize) p->row0 * row_bytes, bytes, error))
        {
          hearth_vk_matrix_free (ctx, m);
          return NULL;
        }
    }
  return m;
}

void
hearth_vk_matrix_free (HearthVkContext *ctx,
                       HearthVkMatrix  *m)
{
  if (m == NULL)
    return;
  for (guint i = 0; i < m->n_pieces; i++)
    hearth_vk_buffer_free (ctx, m->pieces[i].buf);
  g_free (m->pieces);
  g_free (m);
}
