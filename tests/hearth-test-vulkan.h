/* hearth-test-vulkan.h: process setup shared by the Vulkan suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <check.h>
#include <glib.h>

G_BEGIN_DECLS

/* Runs @suite with a pipeline cache in a temporary $XDG_CACHE_HOME (made
 * before the forks, so every test of the run reuses the pipelines the
 * earlier ones built) and removes it afterwards. Returns the exit status. */
int hearth_test_vulkan_run (Suite *suite);

/* Runs $HEARTH_CLI with @args (NULL-terminated) and returns its stdout;
 * stderr in *@err, the wait status in *@status. With @fault, the child gets
 * HEARTH_VK_FAULT=@fault. It is killed after @timeout_s seconds, so a hang
 * fails the test instead of leaving the child running. Leak checks are off
 * in the child under AddressSanitizer: the loader unloads the Vulkan driver
 * at exit and LeakSanitizer takes the driver's globals for leaks; a child
 * cannot pin the driver as the suites do (the suites check the engine's
 * own leaks). */
char *hearth_test_vulkan_run_cli (const char        *fault,
                                  guint              timeout_s,
                                  const char *const *args,
                                  int               *status,
                                  char             **err);
/* The same for $HEARTH_DEVTOOL (tests/tools/hearth-devtool). */
char *hearth_test_vulkan_run_devtool (const char        *fault,
                                      guint              timeout_s,
                                      const char *const *args,
                                      int               *status,
                                      char             **err);

G_END_DECLS
