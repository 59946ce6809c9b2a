/* hearth-plugin-host.h: what the application lends a plugin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The host is implemented by Hearth, one object per plugin; a plugin gets
 * it as the "host" property of each extension it provides. It is the whole
 * of what a plugin may use of the application: the plugin's own settings
 * (kept in Hearth's encrypted store, never shared with other plugins), the
 * folders the user granted this plugin, logging under the plugin's name and
 * asking the user to choose a folder (through the desktop portal inside a
 * Flatpak).
 *
 * Threading: main thread only (see hearth-plugin.h).
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_PLUGIN_HOST (hearth_plugin_host_get_type ())
G_DECLARE_INTERFACE (HearthPluginHost, hearth_plugin_host, HEARTH, PLUGIN_HOST, GObject)

struct _HearthPluginHostInterface
{
  GTypeInterface g_iface;

  const char *(*get_plugin_id)      (HearthPluginHost *self);
  JsonNode   *(*get_setting)        (HearthPluginHost *self,
                                     const char       *key);
  gboolean    (*set_setting)        (HearthPluginHost *self,
                                     const char       *key,
                                     JsonNode         *value,
                                     GError          **error);
  char      **(*dup_granted_folders)(HearthPluginHost *self);
  void        (*log)                (HearthPluginHost *self,
                                     GLogLevelFlags    level,
                                     const char       *message);
  void        (*choose_folder_async)(HearthPluginHost   *self,
                                     const char         *title,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
  char       *(*choose_folder_finish)(HearthPluginHost *self,
                                      GAsyncResult     *result,
                                      GError          **error);

  /*< private >*/
  gpointer padding[12];
};

/* The plugin's Module name from its .plugin file. */
const char *hearth_plugin_host_get_plugin_id       (HearthPluginHost *self);
/* The plugin's setting @key (a copy), or NULL when it has none. Keys are
 * the plugin's own; another plugin's are out of reach. */
JsonNode   *hearth_plugin_host_get_setting         (HearthPluginHost *self,
                                                    const char       *key);
/* Stores @value (NULL removes the key), encrypted with the rest of Hearth's data. */
gboolean    hearth_plugin_host_set_setting         (HearthPluginHost *self,
                                                    const char       *key,
                                                    JsonNode         *value,
                                                    GError          **error);
/* The folders the user granted this plugin (absolute paths, as the portal
 * gave them), NULL-terminated; free with g_strfreev(). */
char      **hearth_plugin_host_dup_granted_folders (HearthPluginHost *self);
/* Logs @message under the plugin's name (in the journal and, for warnings,
 * where the user sees the plugin's state). */
void        hearth_plugin_host_log                 (HearthPluginHost *self,
                                                    GLogLevelFlags    level,
                                                    const char       *message);
/* Asks the user to choose a folder; the choice is granted to the plugin.
 * Fails with G_IO_ERROR_CANCELLED when the user closes the chooser and
 * G_IO_ERROR_NOT_SUPPORTED where nobody can be asked (the command line). */
void        hearth_plugin_host_choose_folder_async (HearthPluginHost   *self,
                                                    const char         *title,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
char       *hearth_plugin_host_choose_folder_finish (HearthPluginHost *self,
                                                     GAsyncResult     *result,
                                                     GError          **error);

G_END_DECLS
