/* hearth-remote-bar.h: where the conversation on show is answered, above the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view of the runtime's remote models: a picker (this computer, or a
 * remote provider) that sets the conversation's source; while it is a
 * provider, "Leaves this computer: HOST" in plain sight, before anything
 * is sent; and "Ask NAME" buttons that re-ask the last question on
 * another provider (escalation, hearth_runtime_reask_remote). The list
 * of providers is read again when the window becomes active (after the
 * preferences were edited) and when another conversation is shown.
 *
 * Threading: the main thread, like every view.
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_REMOTE_BAR (hearth_remote_bar_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemoteBar, hearth_remote_bar, HEARTH, REMOTE_BAR, GtkBox)

GtkWidget *hearth_remote_bar_new    (HearthRuntime *runtime);
void       hearth_remote_bar_reload (HearthRemoteBar *self);

G_END_DECLS
