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

G_END_DECLS
