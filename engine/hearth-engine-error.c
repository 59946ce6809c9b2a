/* hearth-engine-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-engine-error.h"

G_DEFINE_QUARK (hearth-engine-error-quark, hearth_engine_error)
