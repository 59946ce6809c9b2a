/* hearth-tool-provider.h: the extension point for tools
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A tool provider offers tools (HearthTool) and runs them. The host lists
 * the tools after it has created the provider and refreshed it, and again
 * whenever the provider emits "tools-changed"; it validates the model's
 * arguments against the tool's schema before invoke_async is called, asks
 * the user where the tool's effects say so, and bounds every call with a
 * timeout: when that passes, the host cancels @cancellable and reports a
 * timeout to the model, and a result that comes later is dropped. A
 * provider should stop promptly when @cancellable is cancelled (the user
 * pressed Stop, or the time ran out).
 *
 * Properties: "host" (HearthPluginHost, construct-only).
 * Signals: "tools-changed": the list from list_tools() is different now.
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hearth-plugin-host.h"
#include "hearth-tool.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TOOL_PROVIDER (hearth_tool_provider_get_type ())
G_DECLARE_INTERFACE (HearthToolProvider, hearth_tool_provider, HEARTH, TOOL_PROVIDER, GObject)

struct _HearthToolProviderInterface
{
  GTypeInterface g_iface;

  /* The tools offered now: a new array of HearthTool (with a free func). */
  GPtrArray        *(*list_tools)     (HearthToolProvider *self);
  /* Optional: brings the list up to date (an MCP server is started and
   * asked). The default completes at once. */
  void              (*refresh_async)  (HearthToolProvider  *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
  gboolean          (*refresh_finish) (HearthToolProvider  *self,
                                       GAsyncResult        *result,
                                       GError             **error);
  /* Runs tool @name with @arguments (an object that fits its schema). A
   * failure the model should read is an error in HEARTH_PLUGIN_ERROR. */
  void              (*invoke_async)   (HearthToolProvider  *self,
                                       const char          *name,
                                       JsonObject          *arguments,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
  HearthToolResult *(*invoke_finish)  (HearthToolProvider  *self,
                                       GAsyncResult        *result,
                                       GError             **error);

  /*< private >*/
  gpointer padding[12];
};

/* The provider's host (not a new reference). */
HearthPluginHost *hearth_tool_provider_get_host       (HearthToolProvider *self);
GPtrArray        *hearth_tool_provider_list_tools     (HearthToolProvider *self);
void              hearth_tool_provider_refresh_async  (HearthToolProvider  *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          hearth_tool_provider_refresh_finish (HearthToolProvider  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void              hearth_tool_provider_invoke_async   (HearthToolProvider  *self,
                                                       const char          *name,
                                                       JsonObject          *arguments,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
HearthToolResult *hearth_tool_provider_invoke_finish  (HearthToolProvider  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* For implementations: emits "tools-changed". */
void              hearth_tool_provider_tools_changed  (HearthToolProvider *self);

G_END_DECLS
