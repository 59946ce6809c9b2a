/* hearth-plugin-host.c: the host interface's dispatch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-plugin.h"

G_DEFINE_INTERFACE (HearthPluginHost, hearth_plugin_host, G_TYPE_OBJECT)

static void
default_choose_folder_async (HearthPluginHost   *self,
                             const char         *title,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_task_report_new_error (self, callback, user_data, default_choose_folder_async,
                           G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Nobody can be asked to choose a folder here");
}

static char *
default_choose_folder_finish (HearthPluginHost *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
hearth_plugin_host_default_init (HearthPluginHostInterface *iface)
{
  iface->choose_folder_async = default_choose_folder_async;
  iface->choose_folder_finish = default_choose_folder_finish;
}

const char *
hearth_plugin_host_get_plugin_id (HearthPluginHost *self)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST (self), NULL);
  return HEARTH_PLUGIN_HOST_GET_IFACE (self)->get_plugin_id (self);
}

JsonNode *
hearth_plugin_host_get_setting (HearthPluginHost *self,
                                const char       *key)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return HEARTH_PLUGIN_HOST_GET_IFACE (self)->get_setting (self, key);
}

gboolean
hearth_plugin_host_set_setting (HearthPluginHost *self,
                                const char       *key,
                                JsonNode         *value,
                                GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  return HEARTH_PLUGIN_HOST_GET_IFACE (self)->set_setting (self, key, value, error);
}

char **
hearth_plugin_host_dup_granted_folders (HearthPluginHost *self)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST (self), NULL);
  return HEARTH_PLUGIN_HOST_GET_IFACE (self)->dup_granted_folders (self);
}

void
hearth_plugin_host_log (HearthPluginHost *self,
                        GLogLevelFlags    level,
                        const char       *message)
{
  g_return_if_fail (HEARTH_IS_PLUGIN_HOST (self));
  g_return_if_fail (message != NULL);
  HEARTH_PLUGIN_HOST_GET_IFACE (self)->log (self, level, message);
}

void
hearth_plugin_host_choose_folder_async (HearthPluginHost   *self,
                                        const char         *title,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data)
{
  g_return_if_fail (HEARTH_IS_PLUGIN_HOST (self));
  HEARTH_PLUGIN_HOST_GET_IFACE (self)->choose_folder_async (self, title, cancellable, callback, user_data);
}

char *
hearth_plugin_host_choose_folder_finish (HearthPluginHost *self,
                                         GAsyncResult     *result,
                                         GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST (self), NULL);
  return HEARTH_PLUGIN_HOST_GET_IFACE (self)->choose_folder_finish (self, result, error);
}
