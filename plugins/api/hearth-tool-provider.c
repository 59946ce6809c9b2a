/* hearth-tool-provider.c: the tool provider interface's dispatch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-plugin.h"

G_DEFINE_INTERFACE (HearthToolProvider, hearth_tool_provider, G_TYPE_OBJECT)

enum { TOOLS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
default_refresh_async (HearthToolProvider  *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, default_refresh_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
default_refresh_finish (HearthToolProvider  *self,
                        GAsyncResult        *result,
                        GError             **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
hearth_tool_provider_default_init (HearthToolProviderInterface *iface)
{
  iface->refresh_async = default_refresh_async;
  iface->refresh_finish = default_refresh_finish;

  g_object_interface_install_property (iface,
    g_param_spec_object ("host", NULL, NULL, HEARTH_TYPE_PLUGIN_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  signals[TOOLS_CHANGED] = g_signal_new ("tools-changed", G_TYPE_FROM_INTERFACE (iface),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
}

HearthPluginHost *
hearth_tool_provider_get_host (HearthToolProvider *self)
{
  HearthPluginHost *host = NULL;

  g_return_val_if_fail (HEARTH_IS_TOOL_PROVIDER (self), NULL);
  g_object_get (self, "host", &host, NULL);
  /* The provider keeps its own reference for as long as it lives. */
  if (host != NULL)
    g_object_unref (host);
  return host;
}

GPtrArray *
hearth_tool_provider_list_tools (HearthToolProvider *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_PROVIDER (self), NULL);
  return HEARTH_TOOL_PROVIDER_GET_IFACE (self)->list_tools (self);
}

void
hearth_tool_provider_refresh_async (HearthToolProvider  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (HEARTH_IS_TOOL_PROVIDER (self));
  HEARTH_TOOL_PROVIDER_GET_IFACE (self)->refresh_async (self, cancellable, callback, user_data);
}

gboolean
hearth_tool_provider_refresh_finish (HearthToolProvider  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_PROVIDER (self), FALSE);
  return HEARTH_TOOL_PROVIDER_GET_IFACE (self)->refresh_finish (self, result, error);
}

void
hearth_tool_provider_invoke_async (HearthToolProvider  *self,
                                   const char          *name,
                                   JsonObject          *arguments,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (HEARTH_IS_TOOL_PROVIDER (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (arguments != NULL);
  HEARTH_TOOL_PROVIDER_GET_IFACE (self)->invoke_async (self, name, arguments, cancellable, callback, user_data);
}

HearthToolResult *
hearth_tool_provider_invoke_finish (HearthToolProvider  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_PROVIDER (self), NULL);
  return HEARTH_TOOL_PROVIDER_GET_IFACE (self)->invoke_finish (self, result, error);
}

void
hearth_tool_provider_tools_changed (HearthToolProvider *self)
{
  g_return_if_fail (HEARTH_IS_TOOL_PROVIDER (self));
  g_signal_emit (self, signals[TOOLS_CHANGED], 0);
}
