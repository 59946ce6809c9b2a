/* hearth-device-bandwidth.c: the Vulkan device's read bandwidth, for benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The public face of the device probe (vulkan/hearth-vk-bench.h), so that
 * `hearth-cli bench` states decode speed against the device's bandwidth
 * without reaching into the engine's Vulkan layer.
 */
#include "hearth-config.h"

#include "hearth-bench.h"
#include "hearth-engine-error.h"
#ifdef HEARTH_HAVE_VULKAN
#include "vulkan/hearth-vk-backend.h"
#endif

gboolean
hearth_measure_device_read_bandwidth (const HearthModelParams *params,
                                      gsize                    bytes,
                                      guint                    reps,
                                      double                  *bytes_per_s,
                                      gboolean                *timestamps,
                                      GError                 **error)
{
#ifdef HEARTH_HAVE_VULKAN
  return hearth_vk_measure_device_bandwidth (params, bytes, reps, bytes_per_s, timestamps, error);
#else
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
               "the Vulkan backend is not available in this build");
  return FALSE;
#endif
}
