/* hearth-plugin-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-plugin.h"

G_DEFINE_QUARK (hearth-plugin-error-quark, hearth_plugin_error)
