/* hearth-test-vulkan.c: process setup shared by the Vulkan suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "hearth-test.h"
#include "hearth-test-vulkan.h"

int
hearth_test_vulkan_run (Suite *suite)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cache = g_dir_make_tmp ("hearth-vk-test-XXXXXX", &error);
  g_autofree char *quoted = NULL;
  g_autofree char *cmd = NULL;
  int status;

  if (cache == NULL)
    {
      g_printerr ("cannot make a cache folder: %s\n", error->message);
      return EXIT_FAILURE;
    }
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  /* The loader unloads the driver when the last instance goes; lavapipe's
   * global state then looks leaked to LeakSanitizer at exit. Keeping the
   * driver mapped (if it is installed) keeps sanitizer runs meaningful. */
  dlopen ("libvulkan_lvp.so", RTLD_NOW | RTLD_NODELETE);
  status = hearth_test_run (suite);
  quoted = g_shell_quote (cache);
  cmd = g_strdup_printf ("rm -rf %s", quoted);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", cache);
  return status;
}
