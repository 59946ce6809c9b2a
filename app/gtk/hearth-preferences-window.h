/* hearth-preferences-window.h: sampling, context, device and appearance settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "hearth-plugin-manager.h"
#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PREFERENCES_WINDOW (hearth_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, HEARTH, PREFERENCES_WINDOW, AdwPreferencesWindow)

HearthPreferencesWindow *hearth_preferences_window_new (GtkWindow *parent,
                                                        GSettings *settings);
/* The Plugins page (hearth-plugins-page.h), once the store is open. */
void                     hearth_preferences_window_add_plugins (HearthPreferencesWindow *self,
                                                                HearthPluginManager     *plugins,
                                                                HearthRuntime           *runtime);

G_END_DECLS
