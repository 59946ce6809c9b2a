/* hearth-plugin-host-impl.c: the HearthPluginHost the manager gives each plugin
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything is delegated to the manager, so a plugin reaches exactly the
 * settings and folders of its own id. The manager is a weak reference: the
 * host lives as long as the plugin's extensions hold it.
 */
#include "hearth-config.h"

#include "hearth-plugin-host-impl.h"

struct _HearthPluginHostImpl
{
  GObject   parent_instance;

  GWeakRef  manager;
  char     *plugin_id;
  GQueue    log;  /* char*, oldest first */
};

static void host_iface_init (HearthPluginHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthPluginHostImpl, hearth_plugin_host_impl, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_PLUGIN_HOST, host_iface_init))

static const char *
host_get_plugin_id (HearthPluginHost *host)
{
  return HEARTH_PLUGIN_HOST_IMPL (host)->plugin_id;
}

static JsonNode *
host_get_setting (HearthPluginHost *host,
                  const char       *key)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (host);
  g_autoptr(HearthPluginManager) manager = g_weak_ref_get (&self->manager);

  if (manager == NULL)
    return NULL;
  return hearth_plugin_manager_get_setting (manager, self->plugin_id, key);
}

static gboolean
host_set_setting (HearthPluginHost *host,
                  const char       *key,
                  JsonNode         *value,
                  GError          **error)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (host);
  g_autoptr(HearthPluginManager) manager = g_weak_ref_get (&self->manager);

  if (manager == NULL)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                   "Plugin “%s”: Hearth's plugin manager has ended", self->plugin_id);
      return FALSE;
    }
  return hearth_plugin_manager_set_setting (manager, self->plugin_id, key, value, error);
}

static char **
host_dup_granted_folders (HearthPluginHost *host)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (host);
  g_autoptr(HearthPluginManager) manager = g_weak_ref_get (&self->manager);

  if (manager == NULL)
    return g_new0 (char *, 1);
  return hearth_plugin_manager_dup_granted_folders (manager, self->plugin_id);
}

static void
host_log (HearthPluginHost *host,
          GLogLevelFlags    level,
          const char       *message)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (host);

  /* A plugin's "error" or "critical" must not abort Hearth (G_LOG_LEVEL_ERROR
   * always does, criticals do under G_DEBUG=fatal-criticals): it is a
   * warning about that plugin. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_queue_push_tail (&self->log, g_strdup (message));
      while (self->log.length > HEARTH_PLUGIN_HOST_IMPL_MAX_LOG)
        g_free (g_queue_pop_head (&self->log));
      g_warning ("Plugin “%s”: %s", self->plugin_id, message);
    }
  else if (level & G_LOG_LEVEL_MESSAGE)
    g_message ("Plugin “%s”: %s", self->plugin_id, message);
  else if (level & G_LOG_LEVEL_INFO)
    g_info ("Plugin “%s”: %s", self->plugin_id, message);
  else
    g_debug ("Plugin “%s”: %s", self->plugin_id, message);
}

static void
host_choose_folder_async (HearthPluginHost   *host,
                          const char         *title,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (host);
  g_autoptr(HearthPluginManager) manager = g_weak_ref_get (&self->manager);
  g_autoptr(GTask) task = NULL;

  if (manager != NULL)
    {
      /* The manager's task completes the plugin's callback itself. */
      _hearth_plugin_manager_choose_folder_async (manager, self->plugin_id, title, cancellable,
                                                  callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, host_choose_folder_async);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Plugin “%s”: nobody can be asked for a folder", self->plugin_id);
}

static char *
host_choose_folder_finish (HearthPluginHost *host,
                           GAsyncResult     *result,
                           GError          **error)
{
  if (g_task_is_valid (result, host))
    return g_task_propagate_pointer (G_TASK (result), error);
  return _hearth_plugin_manager_choose_folder_finish (NULL, result, error);
}

static void
host_iface_init (HearthPluginHostInterface *iface)
{
  iface->get_plugin_id = host_get_plugin_id;
  iface->get_setting = host_get_setting;
  iface->set_setting = host_set_setting;
  iface->dup_granted_folders = host_dup_granted_folders;
  iface->log = host_log;
  iface->choose_folder_async = host_choose_folder_async;
  iface->choose_folder_finish = host_choose_folder_finish;
}

static void
hearth_plugin_host_impl_finalize (GObject *object)
{
  HearthPluginHostImpl *self = HEARTH_PLUGIN_HOST_IMPL (object);

  g_weak_ref_clear (&self->manager);
  g_free (self->plugin_id);
  g_queue_clear_full (&self->log, g_free);
  G_OBJECT_CLASS (hearth_plugin_host_impl_parent_class)->finalize (object);
}

static void
hearth_plugin_host_impl_class_init (HearthPluginHostImplClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_plugin_host_impl_finalize;
}

static void
hearth_plugin_host_impl_init (HearthPluginHostImpl *self)
{
  g_weak_ref_init (&self->manager, NULL);
  g_queue_init (&self->log);
}

HearthPluginHostImpl *
hearth_plugin_host_impl_new (HearthPluginManager *manager,
                             const char          *plugin_id)
{
  HearthPluginHostImpl *self = g_object_new (HEARTH_TYPE_PLUGIN_HOST_IMPL, NULL);

  g_weak_ref_set (&self->manager, manager);
  self->plugin_id = g_strdup (plugin_id);
  return self;
}

char **
hearth_plugin_host_impl_dup_log (HearthPluginHostImpl *self)
{
  GStrvBuilder *b = g_strv_builder_new ();
  char **log;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_HOST_IMPL (self), NULL);
  for (GList *l = self->log.head; l != NULL; l = l->next)
    g_strv_builder_add (b, l->data);
  log = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return log;
}
