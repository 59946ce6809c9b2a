/* hearth-tool-activity-window.h: the audit of every tool call, read-only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lists the runtime's audit (hearth_runtime_list_tool_audit), newest first:
 * when, which tool of which plugin, the decision and who made it; each row
 * expands to the arguments and the result or error. It reads again after
 * each reply, so a call made while it is open shows up.
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TOOL_ACTIVITY_WINDOW (hearth_tool_activity_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthToolActivityWindow, hearth_tool_activity_window, HEARTH, TOOL_ACTIVITY_WINDOW, AdwWindow)

HearthToolActivityWindow *hearth_tool_activity_window_new (GtkWindow     *parent,
                                                           HearthRuntime *runtime);
/* Rows shown now. */
guint                     hearth_tool_activity_window_get_n_calls (HearthToolActivityWindow *self);

G_END_DECLS
