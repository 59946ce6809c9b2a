/* hearth-devtool.h: the subcommands of hearth-devtool and what they share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hearth-devtool holds the developer commands that reach into the engine's
 * internal headers (kernels, the Vulkan layer), which nothing under app/
 * may include; it is built with the tests and is not installed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Prints "hearth-devtool: <message>" on stderr as one line and returns 1. */
int      hearth_devtool_fail (const GError *error);
int      hearth_devtool_failf (const char *format, ...) G_GNUC_PRINTF (1, 2);

int      hearth_devtool_bench_matmul (int argc, char **argv);

G_END_DECLS
