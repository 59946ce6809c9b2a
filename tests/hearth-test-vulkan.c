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

/* Runs the program named by the environment variable @program_var. */
static char *
run_program (const char        *program_var,
             const char        *fault,
             guint              timeout_s,
             const char *const *args,
             int               *status,
             char             **err)
{
  const char *cli = g_getenv (program_var);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_autofree char *asan = NULL;
  char *out = NULL;

  ck_assert_msg (cli != NULL, "%s is not set", program_var);
  asan = g_strconcat (g_environ_getenv (env, "ASAN_OPTIONS") ? g_environ_getenv (env, "ASAN_OPTIONS") : "",
                      ":detect_leaks=0", NULL);
  env = g_environ_setenv (env, "ASAN_OPTIONS", asan, TRUE);
  if (fault != NULL)
    env = g_environ_setenv (env, "HEARTH_VK_FAULT", fault, TRUE);
  g_ptr_array_add (argv, g_strdup ("timeout"));
  g_ptr_array_add (argv, g_strdup ("-k"));
  g_ptr_array_add (argv, g_strdup ("5"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", timeout_s));
  g_ptr_array_add (argv, g_strdup (cli));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, err, status,
                               &error),
                 "%s", error ? error->message : "");
  return out;
}

char *
hearth_test_vulkan_run_cli (const char        *fault,
                            guint              timeout_s,
                            const char *const *args,
                            int               *status,
                            char             **err)
{
  return run_program ("HEARTH_CLI", fault, timeout_s, args, status, err);
}

char *
hearth_test_vulkan_run_devtool (const char        *fault,
                                guint              timeout_s,
                                const char *const *args,
                                int               *status,
                                char             **err)
{
  return run_program ("HEARTH_DEVTOOL", fault, timeout_s, args, status, err);
}
