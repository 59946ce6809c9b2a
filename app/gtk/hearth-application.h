/* hearth-application.h: the application: command line, actions, windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_APP_ID "io.github.hearth.Hearth"

#define HEARTH_TYPE_APPLICATION (hearth_application_get_type ())
G_DECLARE_FINAL_TYPE (HearthApplication, hearth_application, HEARTH, APPLICATION, AdwApplication)

HearthApplication *hearth_application_new (void);

/* With HEARTH_DEBUG_TIMING set, prints "hearth-timing: EVENT MS" (milliseconds
 * since the process started) on stderr; the UI test and the report read it. */
void hearth_application_mark_time (const char *event);
/* The same for a moment measured elsewhere (g_get_monotonic_time ()). */
void hearth_application_mark_time_at (const char *event,
                                      gint64      monotonic_us);
void hearth_application_set_start_time (gint64 monotonic_us);

G_END_DECLS
