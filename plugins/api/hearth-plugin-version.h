/* hearth-plugin-version.h: the plugin ABI version
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plugin states the ABI it was built for in its .plugin keyfile
 * (X-Hearth-ABI=1). Hearth reads that key before it loads any of the
 * plugin's code and refuses a plugin whose number is missing or is not
 * HEARTH_PLUGIN_ABI. The number changes whenever a struct, vfunc table or
 * function signature of this library changes incompatibly; additions that
 * old plugins cannot notice (a new function, a vfunc in the padding) keep it.
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#define HEARTH_PLUGIN_ABI 1
/* The .plugin key that carries it (libpeas hands it back without "X-"). */
#define HEARTH_PLUGIN_ABI_KEY "Hearth-ABI"
