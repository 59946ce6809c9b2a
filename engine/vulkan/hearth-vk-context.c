/* hearth-vk-context.c: instance, device choice, features, pipeline cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-private.h"

void
hearth_vk_device_info_free (HearthVkDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

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

static gboolean
parse_faults (HearthVkContext *ctx,
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

static VkInstance
create_instance (GError **error)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "hearth",
    .applicationVersion = 1,
    .pEngineName = "hearth-engine",
    .apiVersion = VK_API_VERSION_1_2,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkInstance instance = VK_NULL_HANDLE;

  if (!hearth_vk_check (vkCreateInstance (&info, NULL, &instance), "creating an instance", error))
    return VK_NULL_HANDLE;
  return instance;
}

static gboolean
has_extension (const VkExtensionProperties *exts,
               guint32                      n,
               const char                  *name)
{
  for (guint32 i = 0; i < n; i++)
    if (strcmp (exts[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

static void
query_features (VkPhysicalDevice  pd,
                HearthVkFeatures *f,
                char            **name)
{
  VkPhysicalDeviceSubgroupProperties sg = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES };
  VkPhysicalDeviceProperties2 props = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg };
  VkPhysicalDeviceMaintenance3Properties m3 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES };
  VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES };
  VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &f12 };
  VkPhysicalDeviceFeatures2 feats = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11 };
  VkPhysicalDeviceShaderIntegerDotProductFeatures fdot = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES };
  VkPhysicalDeviceShaderIntegerDotProductProperties pdot = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES };
  VkPhysicalDeviceMemoryProperties mem;
  g_autofree VkExtensionProperties *exts = NULL;
  guint32 n_exts = 0;
  gboolean has_dot_ext;

  memset (f, 0, sizeof *f);
  /* The integer dot product structs may only be chained where the device
   * knows them: the instance asks for Vulkan 1.2, so that is where the
   * extension is listed, even on a 1.3 device. */
  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_exts, NULL);
  exts = g_new0 (VkExtensionProperties, MAX (n_exts, 1));
  vkEnumerateDeviceExtensionProperties (pd, NULL, &n_exts, exts);
  has_dot_ext = has_extension (exts, n_exts, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
  sg.pNext = &m3;
  if (has_dot_ext)
    m3.pNext = &pdot;
  vkGetPhysicalDeviceProperties2 (pd, &props);
  f->api_version = props.properties.apiVersion;
  if (name != NULL)
    *name = g_strdup (props.properties.deviceName);
  f->is_cpu = props.properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  f->subgroup_size = sg.subgroupSize;
  f->subgroup_arith = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                      (sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                      (sg.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
  f->max_storage_range = props.properties.limits.maxStorageBufferRange;
  f->max_allocation = m3.maxMemoryAllocationSize;
  f->max_shared = props.properties.limits.maxComputeSharedMemorySize;

  if (f->api_version >= VK_API_VERSION_1_2)
    {
      if (has_dot_ext)
        f12.pNext = &fdot;
      vkGetPhysicalDeviceFeatures2 (pd, &feats);
      f->fp16 = f12.shaderFloat16;
      f->int8 = f12.shaderInt8;
      f->storage8 = f12.storageBuffer8BitAccess;
      f->storage16 = f11.storageBuffer16BitAccess;
      f->int_dot = has_dot_ext && fdot.shaderIntegerDotProduct;
    }
  /* The kernels use the signed packed form (OpSDot on int8x4 in a uint). */
  f->int_dot_accel = f->int_dot && pdot.integerDotProduct4x8BitPackedSignedAccelerated;
  f->int_dot_mixed_accel = f->int_dot && pdot.integerDotProduct4x8BitPackedMixedSignednessAccelerated;
  f->coopmat_khr = has_extension (exts, n_exts, "VK_KHR_cooperative_matrix");
  f->coopmat_nv = has_extension (exts, n_exts, "VK_NV_cooperative_matrix");

  vkGetPhysicalDeviceMemoryProperties (pd, &mem);
  f->uma = TRUE;
  for (guint32 i = 0; i < mem.memoryHeapCount; i++)
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      f->device_memory = MAX (f->device_memory, mem.memoryHeaps[i].size);
  for (guint32 i = 0; i < mem.memoryTypeCount; i++)
    if ((mem.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) &&
        !(mem.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
      f->uma = FALSE;
}

char *
hearth_vk_features_describe (const HearthVkFeatures *f)
{
  return g_strdup_printf ("Vulkan %u.%u%s%s%s%s%s%s%s%s, subgroup %u%s, max buffer %" G_GUINT64_FORMAT " MiB%s",
                          VK_API_VERSION_MAJOR (f->api_version), VK_API_VERSION_MINOR (f->api_version),
                          f->fp16 ? ", fp16" : "", f->int8 ? ", int8" : "",
                          f->storage8 ? ", 8-bit storage" : "", f->storage16 ? ", 16-bit storage" : "",
                          f->int_dot ? ", int8 dot product" : "",
                          !f->int_dot ? "" :
                          f->int_dot_accel ? " (accelerated)" :
                          f->int_dot_mixed_accel ? " (mixed-sign accelerated)" : " (not accelerated)",
                          f->coopmat_khr ? ", cooperative matrix (KHR)" : "",
                          f->coopmat_nv ? ", cooperative matrix (NV)" : "",
                          f->subgroup_size, f->subgroup_arith ? " with arithmetic" : "",
                          (guint64) MIN (f->max_storage_range, f->max_allocation) >> 20,
                          f->uma ? ", unified memory" : "");
}

GPtrArray *
hearth_vk_list_devices (GError **error)
{
  VkInstance instance = create_instance (error);
  g_autofree VkPhysicalDevice *pds = NULL;
  GPtrArray *out;
  guint32 n = 0;

  if (instance == VK_NULL_HANDLE)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_vk_device_info_free);
  vkEnumeratePhysicalDevices (instance, &n, NULL);
  pds = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (instance, &n, pds);
  for (guint32 i = 0; i < n; i++)
    {
      HearthVkDeviceInfo *info = g_new0 (HearthVkDeviceInfo, 1);

      info->index = i;
      query_features (pds[i], &info->features, &info->name);
      g_ptr_array_add (out, info);
    }
  vkDestroyInstance (instance, NULL);
  return out;
}

void
hearth_vk_context_params_init (HearthVkContextParams *params)
{
  memset (params, 0, sizeof *params);
  params->device_index = -1;
}

/* ---- pipeline cache ---- */

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

static void
load_cache (HearthVkContext *ctx)
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

/* ---- context ---- */

static int
choose_device (VkPhysicalDevice      *pds,
               guint32                n,
               const HearthVkContextParams *params,
               GError               **error)
{
  if (n == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE, "no Vulkan device found");
      return -1;
    }
  if (params->device_index >= 0)
    {
      if ((guint32) params->device_index >= n)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "no Vulkan device %d (there are %u; see `hearth-cli devices`)", params->device_index, n);
          return -1;
        }
      return params->device_index;
    }
  if (params->device_name != NULL)
    {
      g_autofree char *want = g_utf8_casefold (params->device_name, -1);

      for (guint32 i = 0; i < n; i++)
        {
          VkPhysicalDeviceProperties props;
          g_autofree char *have = NULL;

          vkGetPhysicalDeviceProperties (pds[i], &props);
          have = g_utf8_casefold (props.deviceName, -1);
          if (strstr (have, want) != NULL)
            return (int) i;
        }
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "no Vulkan device named like \"%s\" (see `hearth-cli devices`)", params->device_name);
      return -1;
    }
  /* A real GPU first; a CPU implementation only when it is all there is. */
  for (guint32 i = 0; i < n; i++)
    {
      VkPhysicalDeviceProperties props;

      vkGetPhysicalDeviceProperties (pds[i], &props);
      if (props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
        return (int) i;
    }
  return 0;
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
  if (fault != NULL && !parse_faults (ctx, fault, error))
    return NULL;
  ctx->instance = create_instance (error);
  if (ctx->instance == VK_NULL_HANDLE)
    return NULL;
  vkEnumeratePhysicalDevices (ctx->instance, &n, NULL);
  pds = g_new0 (VkPhysicalDevice, MAX (n, 1));
  vkEnumeratePhysicalDevices (ctx->instance, &n, pds);
  chosen = choose_device (pds, n, params, error);
  if (chosen < 0)
    return NULL;
  ctx->device_index = (guint) chosen;
  ctx->pd = pds[chosen];
  query_features (ctx->pd, &ctx->features, &ctx->device_name);
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
  ctx->use_subgroup = ctx->features.subgroup_arith && !params->no_subgroup;
  ctx->memory_limit = params->memory_limit;
  /* On a CPU device the invocations are SIMD lanes of one core: a row per
   * lane beats a workgroup per row with its reduction. HEARTH_VK_GPU_KERNELS=1
   * is params.gpu_kernels for whole models and the CLI (the end-to-end
   * tests and tools/gpu-bench's rehearsal on lavapipe run the GPU shapes). */
  ctx->row_per_thread = ctx->features.is_cpu && !params->gpu_kernels &&
                        g_strcmp0 (g_getenv ("HEARTH_VK_GPU_KERNELS"), "1") != 0;
  ctx->int_dot = choose_int_dot (&ctx->features, params);
  if (!choose_matvec (ctx, params, error))
    return NULL;
  load_cache (ctx);
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

gboolean
hearth_vk_context_use_subgroup (HearthVkContext *ctx)
{
  return ctx->use_subgroup;
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

guint64
hearth_vk_context_get_allocated (HearthVkContext *ctx)
{
  return ctx->allocated;
}

gboolean
hearth_vk_context_use_matvec_sg (HearthVkContext *ctx)
{
  return ctx->matvec_sg;
}
