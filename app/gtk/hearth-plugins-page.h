/* hearth-plugins-page.h: Preferences → Plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view of the plugin manager and of the runtime's remembered approvals:
 * each plugin (not Hidden) with a switch, its description, state and, when
 * refused, the reason; its tools with their effect flags; the files
 * plugin's granted folders (Add Folder… through the portal's chooser,
 * Remove); the mcp plugin's servers (Add Server…, Remove), written to its
 * "servers" setting; and the remembered decisions with Revoke. Every change
 * goes through HearthPluginManager or HearthRuntime; the page is rebuilt
 * from them when the manager says "changed" (on the next idle, so that a
 * switch is never destroyed inside its own handler).
 */
#pragma once

#include <adwaita.h>

#include "hearth-plugin-manager.h"
#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PLUGINS_PAGE (hearth_plugins_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthPluginsPage, hearth_plugins_page, HEARTH, PLUGINS_PAGE, AdwPreferencesPage)

GtkWidget *hearth_plugins_page_new (HearthPluginManager *plugins,
                                    HearthRuntime       *runtime);
/* Rebuilds now (tests; the page does it by itself on changes). */
void       hearth_plugins_page_refresh (HearthPluginsPage *self);

G_END_DECLS
