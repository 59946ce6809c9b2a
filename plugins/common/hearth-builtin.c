/* hearth-builtin.c: what the built-in plugins share: the "host" property, the tool table, calls in a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See hearth-builtin.h.
 */
#include "hearth-builtin.h"

enum { PROP_0, PROP_HOST };

static void
builtin_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  HearthBuiltinProvider *self = (HearthBuiltinProvider *) object;

  if (prop_id != PROP_HOST)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_set_object (&self->host, g_value_get_object (value));
}

static void
builtin_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  HearthBuiltinProvider *self = (HearthBuiltinProvider *) object;

  if (prop_id != PROP_HOST)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_value_set_object (value, self->host);
}

static void
builtin_dispose (GObject *object)
{
  HearthBuiltinProvider *self = (HearthBuiltinProvider *) object;
  GObjectClass *parent = g_type_class_peek_parent (G_OBJECT_GET_CLASS (object));

  g_clear_object (&self->host);
  parent->dispose (object);
}

void
hearth_builtin_provider_class_init (GObjectClass *klass)
{
  klass->set_property = builtin_set_property;
  klass->get_property = builtin_get_property;
  klass->dispose = builtin_dispose;
  g_object_class_override_property (klass, PROP_HOST, "host");
}

static GPtrArray *
builtin_list_tools (HearthToolProvider *provider)
{
  HearthBuiltinProvider *self = (HearthBuiltinProvider *) provider;
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  for (gsize i = 0; i < self->n_tools; i++)
    {
      g_autoptr(GError) error = NULL;
      const HearthBuiltinTool *t = &self->tools[i];
      HearthTool *tool = hearth_tool_new_from_json (t->name, t->description, t->parameters, t->effects, &error);

      /* The schemas are constants of this source: a bad one is a bug. */
      if (tool == NULL)
        g_critical ("tool %s: bad parameters: %s", t->name, error->message);
      else
        g_ptr_array_add (tools, tool);
    }
  return tools;
}

static void
call_free (HearthBuiltinCall *call)
{
  json_object_unref (call->arguments);
  g_strfreev (call->granted_folders);
  g_clear_object (&call->cancellable);
  g_free (call);
}

static void
run_in_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  HearthBuiltinCall *call = task_data;
  GError *error = NULL;
  HearthToolResult *result = call->tool->run (call, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) hearth_tool_result_unref);
}

static void
builtin_invoke_async (HearthToolProvider  *provider,
                      const char          *name,
                      JsonObject          *arguments,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  HearthBuiltinProvider *self = (HearthBuiltinProvider *) provider;
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  HearthBuiltinCall *call;
  const HearthBuiltinTool *tool = NULL;

  g_task_set_source_tag (task, builtin_invoke_async);
  /* The result reports what the tool did, cancelled or not. */
  g_task_set_check_cancellable (task, FALSE);
  for (gsize i = 0; i < self->n_tools && tool == NULL; i++)
    if (g_strcmp0 (self->tools[i].name, name) == 0)
      tool = &self->tools[i];
  if (tool == NULL)
    {
      g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                               "no tool named '%s' here", name);
      return;
    }
  call = g_new0 (HearthBuiltinCall, 1);
  call->tool = tool;
  call->arguments = json_object_ref (arguments);
  call->granted_folders = self->host ? hearth_plugin_host_dup_granted_folders (self->host) : NULL;
  if (call->granted_folders == NULL)
    call->granted_folders = g_new0 (char *, 1);
  call->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  g_task_run_in_thread (task, run_in_thread);
}

static HearthToolResult *
builtin_invoke_finish (HearthToolProvider  *provider,
                       GAsyncResult        *result,
                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hearth_builtin_provider_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = builtin_list_tools;
  iface->invoke_async = builtin_invoke_async;
  iface->invoke_finish = builtin_invoke_finish;
}

const char *
hearth_builtin_get_string (JsonObject  *arguments,
                           const char  *name,
                           gboolean     required,
                           GError     **error)
{
  JsonNode *node = json_object_get_member (arguments, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                     "the argument '%s' is missing", name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "the argument '%s' must be a string", name);
      return NULL;
    }
  return json_node_get_string (node);
}

gboolean
hearth_builtin_get_boolean (JsonObject  *arguments,
                            const char  *name,
                            gboolean     fallback,
                            gboolean    *value,
                            GError     **error)
{
  JsonNode *node = json_object_get_member (arguments, name);

  *value = fallback;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "the argument '%s' must be true or false", name);
      return FALSE;
    }
  *value = json_node_get_boolean (node);
  return TRUE;
}
