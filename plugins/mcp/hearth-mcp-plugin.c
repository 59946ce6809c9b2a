/* hearth-mcp-plugin.c: the mcp plugin, a HearthToolProvider offering the tools of the configured MCP servers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Settings (the host's, this plugin's own):
 *   "servers": [{"name": "fs", "command": "mcp-server-filesystem",
 *                "args": ["/home/me/notes"], "env": {"KEY": "VALUE"}}, ...]
 *              names are 1 to 32 of [A-Za-z0-9_-]; a bad entry is logged
 *              and left out.
 *   "request-timeout-ms": how long one request may wait (default 20000).
 *
 * A server's tool "read" is offered as "<server>_read". MCP servers are
 * untrusted and their annotations are hints, so no tool is ever
 * READ_ONLY: every call asks the user; the hints are shown in the
 * description and may add SIDE_EFFECTS, DESTRUCTIVE and NETWORK.
 * refresh_async (re)starts every server and lists its tools; a server that
 * fails is logged and offers nothing, the others still work. A server
 * that says its list changed is listed again and "tools-changed" emitted.
 *
 * A Server is reference-counted: the provider holds one reference, and
 * each listing in flight another; server->provider is NULL once the
 * provider is gone, and late answers are dropped. The C loader of libpeas
 * keeps modules resident, so the static types here stay valid.
 *
 * Threading: the host's main thread (hearth-plugin.h).
 */
#include <libpeas/peas.h>
#include <string.h>

#include "hearth-mcp-client.h"
#include "hearth-plugin.h"

#define DEFAULT_TIMEOUT_MS 20000

#define HEARTH_TYPE_MCP_PROVIDER (hearth_mcp_provider_get_type ())
G_DECLARE_FINAL_TYPE (HearthMcpProvider, hearth_mcp_provider, HEARTH, MCP_PROVIDER, GObject)

typedef struct
{
  gatomicrefcount    ref;
  HearthMcpProvider *provider;  /* NULL once released */
  char              *name;
  HearthMcpClient   *client;
  gulong             changed_id;
  GPtrArray         *tools;     /* HearthTool */
  GHashTable        *names;     /* offered name -> the server's name for it */
} Server;

struct _HearthMcpProvider
{
  GObject           parent_instance;
  HearthPluginHost *host;
  GPtrArray        *servers;    /* Server */
  char             *config;     /* the settings the servers were made from */
};

static void hearth_mcp_provider_iface_init (HearthToolProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthMcpProvider, hearth_mcp_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_TOOL_PROVIDER, hearth_mcp_provider_iface_init))

enum { PROP_0, PROP_HOST };

static void G_GNUC_PRINTF (3, 4)
plugin_log (HearthMcpProvider *self,
            GLogLevelFlags     level,
            const char        *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->host != NULL)
    hearth_plugin_host_log (self->host, level, message);
}

/* ---- servers ---- */

static Server *
server_ref (Server *server)
{
  g_atomic_ref_count_inc (&server->ref);
  return server;
}

static void
server_unref (Server *server)
{
  if (!g_atomic_ref_count_dec (&server->ref))
    return;
  g_clear_object (&server->client);
  g_ptr_array_unref (server->tools);
  g_hash_table_unref (server->names);
  g_free (server->name);
  g_free (server);
}

/* The provider lets go of @server: its process is killed and reaped. */
static void
server_release (Server *server)
{
  server->provider = NULL;
  g_clear_signal_handler (&server->changed_id, server->client);
  hearth_mcp_client_stop (server->client);
  server_unref (server);
}

static gboolean
server_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
hint (JsonObject *annotations,
      const char *name,
      gboolean    fallback)
{
  JsonNode *n = annotations != NULL ? json_object_get_member (annotations, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (n);
}

/* A HearthTool for one of the server's tool definitions, or NULL (logged). */
static HearthTool *
tool_from_definition (Server     *server,
                      JsonObject *def)
{
  HearthMcpProvider *self = server->provider;
  JsonNode *n, *schema = NULL;
  JsonObject *annotations = NULL;
  const char *name, *description = "";
  g_autofree char *offered = NULL;
  g_autoptr(GString) text = NULL;
  g_autoptr(GPtrArray) hints = g_ptr_array_new ();
  HearthToolEffects effects;
  gboolean read_only, destructive, open_world;

  n = json_object_get_member (def, "name");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      plugin_log (self, G_LOG_LEVEL_WARNING, "MCP server “%s” lists a tool without a name", server->name);
      return NULL;
    }
  name = json_node_get_string (n);
  offered = g_strdup_printf ("%s_%s", server->name, name);
  if (!hearth_tool_name_is_valid (offered))
    {
      plugin_log (self, G_LOG_LEVEL_WARNING,
                  "MCP server “%s”: tool “%s” left out (its name is not 1 to 64 of A-Z, a-z, 0-9, _ and -)",
                  server->name, offered);
      return NULL;
    }
  if (g_hash_table_contains (server->names, offered))
    {
      plugin_log (self, G_LOG_LEVEL_WARNING, "MCP server “%s” lists tool “%s” twice", server->name, name);
      return NULL;
    }
  n = json_object_get_member (def, "description");
  if (n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    description = json_node_get_string (n);
  n = json_object_get_member (def, "inputSchema");
  if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
    schema = n;
  n = json_object_get_member (def, "annotations");
  if (n != NULL && JSON_NODE_HOLDS_OBJECT (n))
    annotations = json_node_get_object (n);

  /* The MCP defaults: not read-only, destructive, open world. */
  read_only = hint (annotations, "readOnlyHint", FALSE);
  destructive = !read_only && hint (annotations, "destructiveHint", TRUE);
  open_world = hint (annotations, "openWorldHint", TRUE);
  effects = read_only ? HEARTH_TOOL_EFFECT_NONE : HEARTH_TOOL_EFFECT_SIDE_EFFECTS;
  if (destructive)
    effects |= HEARTH_TOOL_EFFECT_DESTRUCTIVE;
  if (open_world)
    effects |= HEARTH_TOOL_EFFECT_NETWORK;

  if (annotations != NULL)
    {
      if (read_only)
        g_ptr_array_add (hints, "read-only");
      if (destructive)
        g_ptr_array_add (hints, "destructive");
      if (hint (annotations, "idempotentHint", FALSE))
        g_ptr_array_add (hints, "idempotent");
      if (open_world)
        g_ptr_array_add (hints, "open world");
    }
  text = g_string_new (description);
  if (hints->len > 0)
    {
      g_string_append_printf (text, "%s[server says: ", text->len > 0 ? " " : "");
      for (guint i = 0; i < hints->len; i++)
        g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", (const char *) hints->pdata[i]);
      g_string_append_c (text, ']');
    }
  g_hash_table_insert (server->names, g_strdup (offered), g_strdup (name));
  return hearth_tool_new (offered, text->str, schema, effects);
}

static void
server_set_tools (Server    *server,
                  GPtrArray *definitions)
{
  g_ptr_array_set_size (server->tools, 0);
  g_hash_table_remove_all (server->names);
  for (guint i = 0; definitions != NULL && i < definitions->len; i++)
    {
      HearthTool *tool = tool_from_definition (server, definitions->pdata[i]);

      if (tool != NULL)
        g_ptr_array_add (server->tools, tool);
    }
}

static void
on_relisted (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Server *server = data;
  g_autoptr(GPtrArray) definitions = NULL;
  g_autoptr(GError) error = NULL;

  definitions = hearth_mcp_client_list_tools_finish (HEARTH_MCP_CLIENT (source), result, &error);
  if (server->provider != NULL)
    {
      HearthMcpProvider *self = g_object_ref (server->provider);

      if (definitions == NULL)
        plugin_log (self, G_LOG_LEVEL_WARNING, "%s", error->message);
      server_set_tools (server, definitions);
      hearth_tool_provider_tools_changed (HEARTH_TOOL_PROVIDER (self));
      g_object_unref (self);
    }
  server_unref (server);
}

static void
on_server_tools_changed (HearthMcpClient *client,
                         gpointer         data)
{
  Server *server = data;

  hearth_mcp_client_list_tools_async (client, NULL, on_relisted, server_ref (server));
}

/* ---- settings ---- */

static char **
strings_of (JsonNode *node)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL)
    return g_strv_builder_end (b);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        return NULL;
      g_strv_builder_add (b, json_node_get_string (e));
    }
  return g_strv_builder_end (b);
}

static char **
environment_of (JsonNode *node)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (node == NULL)
    return g_strv_builder_end (b);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &key, &value))
    {
      g_autofree char *pair = NULL;

      if (key[0] == '\0' || strchr (key, '=') != NULL || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_STRING)
        return NULL;
      pair = g_strdup_printf ("%s=%s", key, json_node_get_string (value));
      g_strv_builder_add (b, pair);
    }
  return g_strv_builder_end (b);
}

static Server *
server_from_setting (HearthMcpProvider *self,
                     JsonNode          *entry,
                     guint              index,
                     guint              timeout_ms)
{
  JsonObject *obj;
  JsonNode *n;
  const char *name, *command;
  g_auto(GStrv) args = NULL;
  g_auto(GStrv) env = NULL;
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) argv_strv = NULL;
  Server *server;

  if (!JSON_NODE_HOLDS_OBJECT (entry))
    {
      plugin_log (self, G_LOG_LEVEL_WARNING, "MCP server %u in the settings is not an object", index + 1);
      return NULL;
    }
  obj = json_node_get_object (entry);
  n = json_object_get_member (obj, "name");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING ||
      !server_name_is_valid (name = json_node_get_string (n)))
    {
      plugin_log (self, G_LOG_LEVEL_WARNING,
                  "MCP server %u in the settings left out: its name must be 1 to 32 of A-Z, a-z, 0-9, _ and -",
                  index + 1);
      return NULL;
    }
  n = json_object_get_member (obj, "command");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING ||
      (command = json_node_get_string (n))[0] == '\0')
    {
      plugin_log (self, G_LOG_LEVEL_WARNING, "MCP server “%s” left out: it has no command", name);
      return NULL;
    }
  args = strings_of (json_object_get_member (obj, "args"));
  env = environment_of (json_object_get_member (obj, "env"));
  if (args == NULL || env == NULL)
    {
      plugin_log (self, G_LOG_LEVEL_WARNING,
                  "MCP server “%s” left out: args must be a list of strings and env an object of strings", name);
      return NULL;
    }
  for (guint i = 0; i < self->servers->len; i++)
    if (strcmp (((Server *) self->servers->pdata[i])->name, name) == 0)
      {
        plugin_log (self, G_LOG_LEVEL_WARNING, "MCP server “%s” is in the settings twice", name);
        return NULL;
      }

  g_strv_builder_add (argv, command);
  g_strv_builder_addv (argv, (const char **) args);
  argv_strv = g_strv_builder_end (argv);

  server = g_new0 (Server, 1);
  g_atomic_ref_count_init (&server->ref);
  server->provider = self;
  server->name = g_strdup (name);
  server->client = hearth_mcp_client_new (name, (const char * const *) argv_strv, (const char * const *) env,
                                          timeout_ms);
  server->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  server->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->changed_id = g_signal_connect (server->client, "tools-changed", G_CALLBACK (on_server_tools_changed),
                                         server);
  return server;
}

/* Makes the servers from the settings, unless they are what they were made from. */
static void
configure (HearthMcpProvider *self)
{
  g_autoptr(JsonNode) servers = hearth_plugin_host_get_setting (self->host, "servers");
  g_autoptr(JsonNode) timeout = hearth_plugin_host_get_setting (self->host, "request-timeout-ms");
  g_autofree char *servers_json = servers != NULL ? json_to_string (servers, FALSE) : g_strdup ("null");
  g_autofree char *timeout_json = timeout != NULL ? json_to_string (timeout, FALSE) : g_strdup ("null");
  g_autofree char *config = g_strdup_printf ("%s\n%s", servers_json, timeout_json);
  guint timeout_ms = DEFAULT_TIMEOUT_MS;

  if (g_strcmp0 (config, self->config) == 0)
    return;
  g_free (self->config);
  self->config = g_steal_pointer (&config);
  g_ptr_array_set_size (self->servers, 0);

  if (timeout != NULL)
    {
      if (JSON_NODE_HOLDS_VALUE (timeout) && json_node_get_value_type (timeout) == G_TYPE_INT64 &&
          json_node_get_int (timeout) > 0 && json_node_get_int (timeout) <= 3600000)
        timeout_ms = (guint) json_node_get_int (timeout);
      else
        plugin_log (self, G_LOG_LEVEL_WARNING, "request-timeout-ms is not a number of milliseconds; using %d",
                    DEFAULT_TIMEOUT_MS);
    }
  if (servers == NULL)
    return;
  if (!JSON_NODE_HOLDS_ARRAY (servers))
    {
      plugin_log (self, G_LOG_LEVEL_WARNING, "The MCP servers setting is not a list");
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (servers)); i++)
    {
      Server *server = server_from_setting (self, json_array_get_element (json_node_get_array (servers), i), i,
                                            timeout_ms);

      if (server != NULL)
        g_ptr_array_add (self->servers, server);
    }
}

/* ---- HearthToolProvider ---- */

static GPtrArray *
hearth_mcp_provider_list_tools (HearthToolProvider *provider)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (provider);
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = self->servers->pdata[i];

      for (guint j = 0; j < server->tools->len; j++)
        g_ptr_array_add (tools, hearth_tool_ref (server->tools->pdata[j]));
    }
  return tools;
}

typedef struct
{
  Server *server;
  GTask  *task;
} RefreshOp;

static void
on_refresh_listed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  RefreshOp *op = data;
  Server *server = op->server;
  g_autoptr(GPtrArray) definitions = NULL;
  g_autoptr(GError) error = NULL;
  guint *remaining = g_task_get_task_data (op->task);

  definitions = hearth_mcp_client_list_tools_finish (HEARTH_MCP_CLIENT (source), result, &error);
  if (server->provider != NULL)
    {
      if (definitions == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        plugin_log (server->provider, G_LOG_LEVEL_WARNING, "%s", error->message);
      server_set_tools (server, definitions);
    }
  if (--*remaining == 0)
    g_task_return_boolean (op->task, TRUE);
  g_object_unref (op->task);
  server_unref (server);
  g_free (op);
}

static void
hearth_mcp_provider_refresh_async (HearthToolProvider  *provider,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GPtrArray) servers = NULL;
  guint *remaining = g_new0 (guint, 1);

  g_task_set_source_tag (task, hearth_mcp_provider_refresh_async);
  g_task_set_task_data (task, remaining, g_free);
  configure (self);
  /* The list may change under us (a callback that refreshes again). */
  servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_unref);
  for (guint i = 0; i < self->servers->len; i++)
    g_ptr_array_add (servers, server_ref (self->servers->pdata[i]));
  *remaining = servers->len + 1;
  for (guint i = 0; i < servers->len; i++)
    {
      RefreshOp *op = g_new0 (RefreshOp, 1);

      op->server = server_ref (servers->pdata[i]);
      op->task = g_object_ref (task);
      hearth_mcp_client_list_tools_async (op->server->client, cancellable, on_refresh_listed, op);
    }
  if (--*remaining == 0)
    g_task_return_boolean (task, TRUE);
}

static gboolean
hearth_mcp_provider_refresh_finish (HearthToolProvider  *provider,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(GTask) task = data;
  HearthMcpClient *client = HEARTH_MCP_CLIENT (source);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;
  gboolean is_json = FALSE;

  reply = hearth_mcp_client_call_tool_finish (client, result, &error);
  if (reply != NULL)
    text = hearth_mcp_call_result_read (reply, hearth_mcp_client_get_name (client), &is_json, &error);
  if (text == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, is_json ? hearth_tool_result_new_json (text) : hearth_tool_result_new_text (text),
                         (GDestroyNotify) hearth_tool_result_unref);
}

static void
hearth_mcp_provider_invoke_async (HearthToolProvider  *provider,
                                  const char          *name,
                                  JsonObject          *arguments,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hearth_mcp_provider_invoke_async);
  for (guint i = 0; i < self->servers->len; i++)
    {
      Server *server = self->servers->pdata[i];
      const char *tool = g_hash_table_lookup (server->names, name);

      if (tool != NULL)
        {
          hearth_mcp_client_call_tool_async (server->client, tool, arguments, cancellable, on_called,
                                             g_steal_pointer (&task));
          return;
        }
    }
  g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                           "No MCP server offers a tool “%s”", name);
}

static HearthToolResult *
hearth_mcp_provider_invoke_finish (HearthToolProvider  *provider,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
hearth_mcp_provider_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = hearth_mcp_provider_list_tools;
  iface->refresh_async = hearth_mcp_provider_refresh_async;
  iface->refresh_finish = hearth_mcp_provider_refresh_finish;
  iface->invoke_async = hearth_mcp_provider_invoke_async;
  iface->invoke_finish = hearth_mcp_provider_invoke_finish;
}

/* ---- GObject ---- */

static void
hearth_mcp_provider_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_mcp_provider_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_mcp_provider_dispose (GObject *object)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (object);

  /* Kills and reaps every server. */
  g_ptr_array_set_size (self->servers, 0);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (hearth_mcp_provider_parent_class)->dispose (object);
}

static void
hearth_mcp_provider_finalize (GObject *object)
{
  HearthMcpProvider *self = HEARTH_MCP_PROVIDER (object);

  g_ptr_array_unref (self->servers);
  g_free (self->config);
  G_OBJECT_CLASS (hearth_mcp_provider_parent_class)->finalize (object);
}

static void
hearth_mcp_provider_class_init (HearthMcpProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_mcp_provider_get_property;
  object_class->set_property = hearth_mcp_provider_set_property;
  object_class->dispose = hearth_mcp_provider_dispose;
  object_class->finalize = hearth_mcp_provider_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
hearth_mcp_provider_init (HearthMcpProvider *self)
{
  self->servers = g_ptr_array_new_with_free_func ((GDestroyNotify) server_release);
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  peas_object_module_register_extension_type (module, HEARTH_TYPE_TOOL_PROVIDER, HEARTH_TYPE_MCP_PROVIDER);
}
