/* hearth-duration.h: an estimated duration in words, for people
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "about 40 seconds", "about 3 minutes", "about 2 h 10 min": rounded as
 * far as an estimate deserves (5 seconds under a minute, whole minutes
 * under an hour), and never "0": under 5 seconds is "a few seconds".
 * Translated (the hearth domain).  Threading: any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *hearth_duration_about (double seconds);

G_END_DECLS
