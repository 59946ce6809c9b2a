/* hearth-window.h: the main window: conversations on the side, the chat, the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "hearth-plugin-manager.h"
#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_WINDOW (hearth_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthWindow, hearth_window, HEARTH, WINDOW, AdwApplicationWindow)

/* @model_path: a GGUF file to load at once (the command line's --model), or NULL. */
HearthWindow *hearth_window_new (AdwApplication *app,
                                 const char     *model_path);
void          hearth_window_load_model (HearthWindow *self,
                                        const char   *path);
/* NULL until the store is open; the window's "runtime-ready" signal
 * (HearthRuntime *) says when, after the window is wired to it. */
HearthRuntime       *hearth_window_get_runtime (HearthWindow *self);
/* The plugins, created with the runtime (NULL before). */
HearthPluginManager *hearth_window_get_plugins (HearthWindow *self);

G_END_DECLS
