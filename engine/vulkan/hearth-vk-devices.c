/* hearth-vk-devices.c: the Vulkan devices, their features, and which one to use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of hearth-vk-context.c: listing the devices (`hearth-cli devices`)
 * and choosing one for a context read the same features.
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

VkInstance
hearth_vk_create_instance (GError **error)
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

void
hearth_vk_query_features (VkPhysicalDevice  pd,
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
  VkInstance instance = hearth_vk_create_instance (error);
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
      hearth_vk_query_features (pds[i], &info->features, &info->name);
      g_ptr_array_add (out, info);
    }
  vkDestroyInstance (instance, NULL);
  return out;
}

int
hearth_vk_choose_device (VkPhysicalDevice            *pds,
                         guint32                      n,
                         const HearthVkContextParams *params,
                         GError                     **error)
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
