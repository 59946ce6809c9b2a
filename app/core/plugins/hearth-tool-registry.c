/* hearth-tool-registry.c: every tool the host offers, and calling one safely
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A call is a GTask whose task data (Call) outlives the task's completion
 * for as long as the provider still holds it: the provider's callback keeps
 * a reference to the task, so a provider that completes after the timeout
 * or after a cancel finds the call marked done, finishes its own result
 * (freeing it) and drops that reference. The timeout and the caller's
 * cancellation are GSources in the task's context, destroyed when the call
 * completes, so whichever comes first wins and the others see `done`.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine.h"
#include "hearth-tool-registry.h"

typedef struct
{
  char               *plugin_id;
  HearthToolProvider *provider;
  GPtrArray          *tools;      /* HearthTool, as last listed and accepted */
  gulong              changed_id;
} Provider;

struct _HearthToolRegistry
{
  GObject     parent_instance;

  GPtrArray  *providers; /* Provider */
  GHashTable *by_name;   /* tool name (borrowed from the tool) -> Provider */
  guint       timeout_ms;
};

G_DEFINE_FINAL_TYPE (HearthToolRegistry, hearth_tool_registry, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

void
hearth_tool_outcome_free (HearthToolOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->text);
  g_free (outcome->media_type);
  g_free (outcome);
}

static void
provider_free (gpointer data)
{
  Provider *p = data;

  g_clear_signal_handler (&p->changed_id, p->provider);
  g_clear_object (&p->provider);
  g_clear_pointer (&p->tools, g_ptr_array_unref);
  g_free (p->plugin_id);
  g_free (p);
}

static Provider *
find_provider (HearthToolRegistry *self,
               HearthToolProvider *provider)
{
  for (guint i = 0; i < self->providers->len; i++)
    {
      Provider *p = g_ptr_array_index (self->providers, i);
      if (p->provider == provider)
        return p;
    }
  return NULL;
}

static HearthTool *
provider_find_tool (Provider   *p,
                    const char *name)
{
  for (guint i = 0; i < p->tools->len; i++)
    {
      HearthTool *tool = g_ptr_array_index (p->tools, i);
      if (strcmp (hearth_tool_get_name (tool), name) == 0)
        return tool;
    }
  return NULL;
}

/* Checks @tools as the new list of @owner's plugin (@owner: the Provider
 * they replace, or NULL for a new one). */
static gboolean
check_tools (HearthToolRegistry *self,
             const char         *plugin_id,
             Provider           *owner,
             GPtrArray          *tools,
             GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < tools->len; i++)
    {
      HearthTool *tool = g_ptr_array_index (tools, i);
      const char *name = tool != NULL ? hearth_tool_get_name (tool) : NULL;
      Provider *other;

      if (name == NULL || !hearth_tool_name_is_valid (name))
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_REFUSED,
                       "Plugin “%s” offers a tool named “%s”: a tool name is 1 to 64 of "
                       "A–Z, a–z, 0–9, “_” and “-”", plugin_id, name != NULL ? name : "(none)");
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer) name))
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_REFUSED,
                       "Plugin “%s” offers tool “%s” twice", plugin_id, name);
          return FALSE;
        }
      other = g_hash_table_lookup (self->by_name, name);
      if (other != NULL && other != owner)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_REFUSED,
                       "Plugin “%s” offers tool “%s”, which plugin “%s” already provides",
                       plugin_id, name, other->plugin_id);
          return FALSE;
        }
    }
  return TRUE;
}

static void
provider_set_tools (HearthToolRegistry *self,
                    Provider           *p,
                    GPtrArray          *tools)
{
  for (guint i = 0; p->tools != NULL && i < p->tools->len; i++)
    g_hash_table_remove (self->by_name, hearth_tool_get_name (g_ptr_array_index (p->tools, i)));
  g_clear_pointer (&p->tools, g_ptr_array_unref);
  p->tools = tools != NULL ? g_ptr_array_ref (tools)
                           : g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  for (guint i = 0; i < p->tools->len; i++)
    {
      HearthTool *tool = g_ptr_array_index (p->tools, i);
      g_hash_table_insert (self->by_name, (gpointer) hearth_tool_get_name (tool), p);
    }
}

/* A list from a provider, with a free func whatever the provider gave. */
static GPtrArray *
list_provider_tools (HearthToolProvider *provider)
{
  g_autoptr(GPtrArray) listed = hearth_tool_provider_list_tools (provider);
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  for (guint i = 0; listed != NULL && i < listed->len; i++)
    g_ptr_array_add (tools, g_ptr_array_index (listed, i) != NULL
                            ? hearth_tool_ref (g_ptr_array_index (listed, i)) : NULL);
  return tools;
}

static void
on_tools_changed (HearthToolProvider *provider,
                  HearthToolRegistry *self)
{
  Provider *p = find_provider (self, provider);
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(GError) error = NULL;

  if (p == NULL)
    return;
  tools = list_provider_tools (provider);
  if (!check_tools (self, p->plugin_id, p, tools, &error))
    {
      g_warning ("%s; the tools of plugin “%s” are withdrawn", error->message, p->plugin_id);
      provider_set_tools (self, p, NULL);
    }
  else
    provider_set_tools (self, p, tools);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
hearth_tool_registry_dispose (GObject *object)
{
  HearthToolRegistry *self = HEARTH_TOOL_REGISTRY (object);

  g_hash_table_remove_all (self->by_name);
  g_ptr_array_set_size (self->providers, 0);
  G_OBJECT_CLASS (hearth_tool_registry_parent_class)->dispose (object);
}

static void
hearth_tool_registry_finalize (GObject *object)
{
  HearthToolRegistry *self = HEARTH_TOOL_REGISTRY (object);

  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->providers);
  G_OBJECT_CLASS (hearth_tool_registry_parent_class)->finalize (object);
}

static void
hearth_tool_registry_class_init (HearthToolRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_tool_registry_dispose;
  object_class->finalize = hearth_tool_registry_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_tool_registry_init (HearthToolRegistry *self)
{
  self->providers = g_ptr_array_new_with_free_func (provider_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->timeout_ms = HEARTH_TOOL_REGISTRY_DEFAULT_TIMEOUT_MS;
}

HearthToolRegistry *
hearth_tool_registry_new (void)
{
  return g_object_new (HEARTH_TYPE_TOOL_REGISTRY, NULL);
}

gboolean
hearth_tool_registry_add_provider (HearthToolRegistry *self,
                                   const char         *plugin_id,
                                   HearthToolProvider *provider,
                                   GError            **error)
{
  g_autoptr(GPtrArray) tools = NULL;
  Provider *p;

  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), FALSE);
  g_return_val_if_fail (plugin_id != NULL, FALSE);
  g_return_val_if_fail (HEARTH_IS_TOOL_PROVIDER (provider), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (find_provider (self, provider) != NULL)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_REFUSED,
                   "Plugin “%s”: this tool provider was added already", plugin_id);
      return FALSE;
    }
  tools = list_provider_tools (provider);
  if (!check_tools (self, plugin_id, NULL, tools, error))
    return FALSE;

  p = g_new0 (Provider, 1);
  p->plugin_id = g_strdup (plugin_id);
  p->provider = g_object_ref (provider);
  g_ptr_array_add (self->providers, p);
  provider_set_tools (self, p, tools);
  p->changed_id = g_signal_connect (provider, "tools-changed", G_CALLBACK (on_tools_changed), self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

void
hearth_tool_registry_remove_provider (HearthToolRegistry *self,
                                      HearthToolProvider *provider)
{
  Provider *p;

  g_return_if_fail (HEARTH_IS_TOOL_REGISTRY (self));
  g_return_if_fail (HEARTH_IS_TOOL_PROVIDER (provider));

  p = find_provider (self, provider);
  if (p == NULL)
    return;
  provider_set_tools (self, p, NULL);
  g_ptr_array_remove (self->providers, p);
  g_signal_emit (self, signals[CHANGED], 0);
}

static int
compare_tools (gconstpointer a,
               gconstpointer b)
{
  HearthTool *ta = *(HearthTool **) a;
  HearthTool *tb = *(HearthTool **) b;

  return strcmp (hearth_tool_get_name (ta), hearth_tool_get_name (tb));
}

GPtrArray *
hearth_tool_registry_list_tools (HearthToolRegistry *self)
{
  GPtrArray *all;

  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), NULL);

  all = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  for (guint i = 0; i < self->providers->len; i++)
    {
      Provider *p = g_ptr_array_index (self->providers, i);
      for (guint j = 0; j < p->tools->len; j++)
        g_ptr_array_add (all, hearth_tool_ref (g_ptr_array_index (p->tools, j)));
    }
  g_ptr_array_sort (all, compare_tools);
  return all;
}

HearthTool *
hearth_tool_registry_lookup (HearthToolRegistry *self,
                             const char         *name,
                             const char        **plugin_id)
{
  Provider *p;

  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  p = g_hash_table_lookup (self->by_name, name);
  if (plugin_id != NULL)
    *plugin_id = p != NULL ? p->plugin_id : NULL;
  return p != NULL ? provider_find_tool (p, name) : NULL;
}

static JsonNode *
template_entry (HearthTool *tool)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "function");
  json_builder_set_member_name (b, "function");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, hearth_tool_get_name (tool));
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, hearth_tool_get_description (tool));
  json_builder_set_member_name (b, "parameters");
  json_builder_add_value (b, json_node_copy (hearth_tool_get_parameters (tool)));
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
hearth_tool_registry_dup_template_tools (HearthToolRegistry *self,
                                         const char *const  *names,
                                         GError            **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (names == NULL)
    {
      g_autoptr(GPtrArray) tools = hearth_tool_registry_list_tools (self);
      for (guint i = 0; i < tools->len; i++)
        json_array_add_element (array, template_entry (g_ptr_array_index (tools, i)));
    }
  else
    for (guint i = 0; names[i] != NULL; i++)
      {
        HearthTool *tool = hearth_tool_registry_lookup (self, names[i], NULL);
        if (tool == NULL)
          {
            g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                         "No tool called “%s”", names[i]);
            return NULL;
          }
        json_array_add_element (array, template_entry (tool));
      }
  json_node_set_array (root, array);
  return json_to_string (root, FALSE);
}

void
hearth_tool_registry_set_timeout (HearthToolRegistry *self,
                                  guint               timeout_ms)
{
  g_return_if_fail (HEARTH_IS_TOOL_REGISTRY (self));
  self->timeout_ms = timeout_ms != 0 ? timeout_ms : HEARTH_TOOL_REGISTRY_DEFAULT_TIMEOUT_MS;
}

guint
hearth_tool_registry_get_timeout (HearthToolRegistry *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), 0);
  return self->timeout_ms;
}

/* ---- calls ---- */

typedef struct
{
  HearthToolProvider *provider;
  char               *plugin_id;
  char               *name;
  GCancellable       *provider_cancellable; /* the provider's: cancelled on timeout or cancel */
  GSource            *timeout_source;
  GSource            *cancel_source;
  gint64              started;
  guint               timeout_ms;
  gboolean            done;
} Call;

static void
destroy_source (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static void
call_free (gpointer data)
{
  Call *call = data;

  g_clear_pointer (&call->timeout_source, destroy_source);
  g_clear_pointer (&call->cancel_source, destroy_source);
  g_clear_object (&call->provider_cancellable);
  g_clear_object (&call->provider);
  g_free (call->plugin_id);
  g_free (call->name);
  g_free (call);
}

/* Completes @task once: takes @outcome or @error (exactly one of them). */
static void
call_complete (GTask             *task,
               HearthToolOutcome *outcome,
               GError            *error)
{
  Call *call = g_task_get_task_data (task);

  g_assert (!call->done);
  call->done = TRUE;
  g_clear_pointer (&call->timeout_source, destroy_source);
  g_clear_pointer (&call->cancel_source, destroy_source);
  if (call->provider_cancellable != NULL && error != NULL)
    g_cancellable_cancel (call->provider_cancellable);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, outcome, (GDestroyNotify) hearth_tool_outcome_free);
}

static gboolean
on_call_timeout (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  char seconds[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (seconds, sizeof seconds, "%g", call->timeout_ms / 1000.0);
  call_complete (task, NULL,
                 g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_TIMED_OUT,
                              "Tool “%s” (plugin “%s”) timed out after %s s",
                              call->name, call->plugin_id, seconds));
  return G_SOURCE_REMOVE;
}

static gboolean
on_call_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  call_complete (task, NULL,
                 g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                              "Tool “%s” (plugin “%s”) was cancelled", call->name, call->plugin_id));
  return G_SOURCE_REMOVE;
}

/* The checked outcome of @result, or NULL with an error naming the tool. */
static HearthToolOutcome *
check_result (Call              *call,
              HearthToolResult  *result,
              GError           **error)
{
  const char *media_type = hearth_tool_result_get_media_type (result);
  gsize len = 0;
  const char *data = hearth_tool_result_get_data (result, &len);
  HearthToolOutcome *outcome;

  if (media_type == NULL ||
      (strcmp (media_type, "text/plain") != 0 && strcmp (media_type, "application/json") != 0))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                   "Tool “%s” (plugin “%s”) gave a result of media type “%s”; "
                   "only text/plain and application/json are accepted",
                   call->name, call->plugin_id, media_type != NULL ? media_type : "(none)");
      return NULL;
    }
  if (data == NULL)
    data = "";
  /* A NUL inside the bytes fails too: the model gets text. */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                   "Tool “%s” (plugin “%s”) gave a result that is not valid UTF-8 text",
                   call->name, call->plugin_id);
      return NULL;
    }
  if (strcmp (media_type, "application/json") == 0)
    {
      g_autoptr(GError) json_error = NULL;
      g_autoptr(HearthJsonValue) value = hearth_json_parse (data, (gssize) len, &json_error);

      if (value == NULL)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “%s” (plugin “%s”) gave a result that claims to be JSON and is not: %s",
                       call->name, call->plugin_id, json_error->message);
          return NULL;
        }
    }
  outcome = g_new0 (HearthToolOutcome, 1);
  outcome->text = g_strndup (data, len);
  outcome->media_type = g_strdup (media_type);
  outcome->seconds = (g_get_monotonic_time () - call->started) / (double) G_USEC_PER_SEC;
  return outcome;
}

static void
on_invoke_done (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data; /* the reference the provider held */
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) result = NULL;
  HearthToolOutcome *outcome;

  result = hearth_tool_provider_invoke_finish (call->provider, res, &error);
  if (call->done)
    {
      g_debug ("Tool “%s” (plugin “%s”) completed after its call was over; dropped",
               call->name, call->plugin_id);
      return;
    }
  if (result == NULL)
    {
      if (error == NULL)
        call_complete (task, NULL,
                       g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                                    "Tool “%s” (plugin “%s”) failed without saying why",
                                    call->name, call->plugin_id));
      else
        call_complete (task, NULL,
                       g_error_new (HEARTH_PLUGIN_ERROR,
                                    error->domain == HEARTH_PLUGIN_ERROR ? error->code
                                                                         : HEARTH_PLUGIN_ERROR_FAILED,
                                    "Tool “%s” (plugin “%s”) failed: %s",
                                    call->name, call->plugin_id, error->message));
      return;
    }
  outcome = check_result (call, result, &error);
  if (outcome == NULL)
    call_complete (task, NULL, g_steal_pointer (&error));
  else
    call_complete (task, outcome, NULL);
}

/* The arguments as a json-glib object for the provider, after checking
 * them with the engine's validator against the tool's schema. */
static JsonObject *
parse_arguments (HearthTool  *tool,
                 const char  *plugin_id,
                 const char  *arguments_json,
                 GError     **error)
{
  const char *name = hearth_tool_get_name (tool);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HearthJsonValue) arguments = NULL;
  g_autoptr(HearthJsonValue) schema = NULL;
  g_autofree char *schema_text = NULL;
  g_autoptr(JsonNode) node = NULL;

  arguments = hearth_json_parse (arguments_json, -1, &local_error);
  if (arguments == NULL)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "Tool “%s” (plugin “%s”): the arguments are not valid JSON: %s",
                   name, plugin_id, local_error->message);
      return NULL;
    }
  if (hearth_json_get_type (arguments) != HEARTH_JSON_OBJECT)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "Tool “%s” (plugin “%s”): the arguments must be a JSON object", name, plugin_id);
      return NULL;
    }
  schema_text = json_to_string (hearth_tool_get_parameters (tool), FALSE);
  schema = hearth_json_parse (schema_text, -1, &local_error);
  if (schema == NULL)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                   "Tool “%s” (plugin “%s”): its parameter schema cannot be read: %s",
                   name, plugin_id, local_error->message);
      return NULL;
    }
  if (!hearth_tool_arguments_validate (schema, arguments, &local_error))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "Tool “%s” (plugin “%s”): %s", name, plugin_id, local_error->message);
      return NULL;
    }
  node = json_from_string (arguments_json, &local_error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "Tool “%s” (plugin “%s”): the arguments cannot be read: %s", name, plugin_id,
                   local_error != NULL ? local_error->message : "not an object");
      return NULL;
    }
  return json_node_dup_object (node);
}

void
hearth_tool_registry_call_async (HearthToolRegistry  *self,
                                 const char          *name,
                                 const char          *arguments_json,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) arguments = NULL;
  GError *error = NULL;
  const char *plugin_id = NULL;
  HearthTool *tool;
  Provider *p;
  Call *call;

  g_return_if_fail (HEARTH_IS_TOOL_REGISTRY (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_tool_registry_call_async);
  /* The errors below say what happened; GTask's own "cancelled" would not. */
  g_task_set_check_cancellable (task, FALSE);

  call = g_new0 (Call, 1);
  call->name = g_strdup (name);
  call->timeout_ms = self->timeout_ms;
  g_task_set_task_data (task, call, call_free);

  tool = hearth_tool_registry_lookup (self, name, &plugin_id);
  if (tool == NULL)
    {
      call_complete (task, NULL, g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                                              "No tool called “%s”", name));
      return;
    }
  p = g_hash_table_lookup (self->by_name, name);
  call->plugin_id = g_strdup (plugin_id);
  call->provider = g_object_ref (p->provider);

  if (g_cancellable_is_cancelled (cancellable))
    {
      call_complete (task, NULL,
                     g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                  "Tool “%s” (plugin “%s”) was cancelled", name, plugin_id));
      return;
    }
  arguments = parse_arguments (tool, plugin_id, arguments_json != NULL ? arguments_json : "{}", &error);
  if (arguments == NULL)
    {
      call_complete (task, NULL, error);
      return;
    }

  call->provider_cancellable = g_cancellable_new ();
  call->started = g_get_monotonic_time ();
  call->timeout_source = g_timeout_source_new (call->timeout_ms);
  g_source_set_callback (call->timeout_source, on_call_timeout, task, NULL);
  g_source_set_static_name (call->timeout_source, "[hearth] tool call timeout");
  g_source_attach (call->timeout_source, g_task_get_context (task));
  if (cancellable != NULL)
    {
      call->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->cancel_source, G_SOURCE_FUNC (on_call_cancelled), task, NULL);
      g_source_attach (call->cancel_source, g_task_get_context (task));
    }

  hearth_tool_provider_invoke_async (call->provider, name, arguments, call->provider_cancellable,
                                     on_invoke_done, g_object_ref (task));
}

HearthToolOutcome *
hearth_tool_registry_call_finish (HearthToolRegistry  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_REGISTRY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hearth_tool_registry_call_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
