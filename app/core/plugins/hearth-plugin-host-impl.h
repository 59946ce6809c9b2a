/* hearth-plugin-host-impl.h: the HearthPluginHost the manager gives each plugin (internal)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One host per plugin id. It goes through the manager (held weakly: a
 * plugin may keep its host past the manager's end, and then gets nothing)
 * for settings, folders and the folder chooser, so the manager's checks
 * apply to plugins and front ends alike. It keeps the plugin's warnings for
 * its entry. Main thread only.
 */
#pragma once

#include "hearth-plugin-manager.h"

G_BEGIN_DECLS

#define HEARTH_PLUGIN_HOST_IMPL_MAX_LOG 32

#define HEARTH_TYPE_PLUGIN_HOST_IMPL (hearth_plugin_host_impl_get_type ())
G_DECLARE_FINAL_TYPE (HearthPluginHostImpl, hearth_plugin_host_impl, HEARTH, PLUGIN_HOST_IMPL, GObject)

HearthPluginHostImpl *hearth_plugin_host_impl_new     (HearthPluginManager  *manager,
                                                       const char           *plugin_id);
/* The plugin's warnings (and worse), oldest first, the last
 * HEARTH_PLUGIN_HOST_IMPL_MAX_LOG: a new NULL-terminated array. */
char                **hearth_plugin_host_impl_dup_log (HearthPluginHostImpl *self);

/* The manager's side of choose_folder (hearth-plugin-manager.c): asks its
 * chooser and grants the choice to @plugin_id. */
void  _hearth_plugin_manager_choose_folder_async  (HearthPluginManager *self,
                                                   const char          *plugin_id,
                                                   const char          *title,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
char *_hearth_plugin_manager_choose_folder_finish (HearthPluginManager *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
