/* hearth-folder-chooser.h: asking the user for a folder (or a file), for plugins and documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8 (Debian 12) has no GtkFileDialog: this uses GtkFileChooserNative,
 * which goes through the file chooser portal inside a Flatpak (the folder
 * picked is then shared with the app). Used by Preferences → Plugins
 * ("Add Folder…") and installed as the plugin manager's folder chooser, so
 * that a plugin's own choose_folder asks the same way; and for one file
 * (Preferences → Documents, a collection's embedding model).
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-plugin-manager.h"

G_BEGIN_DECLS

/* Completes with the folder's path, or G_IO_ERROR_CANCELLED when the user
 * cancelled (or @cancellable was). */
void  hearth_folder_chooser_choose        (GtkWindow          *parent,
                                           const char         *title,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
char *hearth_folder_chooser_choose_finish (GAsyncResult       *result,
                                           GError            **error);
/* One existing file, offered through @filter_name and @pattern (a glob,
 * e.g. "*.gguf"); finish with hearth_folder_chooser_choose_finish. */
void  hearth_folder_chooser_choose_file   (GtkWindow          *parent,
                                           const char         *title,
                                           const char         *filter_name,
                                           const char         *pattern,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
/* hearth_plugin_manager_set_folder_chooser() with the above, the dialogs
 * transient for @parent (which must outlive @manager's use of it). */
void  hearth_folder_chooser_install       (HearthPluginManager *manager,
                                           GtkWindow           *parent);

G_END_DECLS
