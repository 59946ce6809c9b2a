/* hearth-store-error.c: the error domain of the encrypted store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-store-error.h"

G_DEFINE_QUARK (hearth-store-error-quark, hearth_store_error)
