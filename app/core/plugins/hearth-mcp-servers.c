/* hearth-mcp-servers.c: reading and editing the mcp plugin's "servers" setting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-mcp-servers.h"

void
hearth_mcp_server_free (HearthMcpServer *server)
{
  if (server == NULL)
    return;
  g_free (server->name);
  g_free (server->command);
  g_strfreev (server->args);
  g_strfreev (server->env);
  g_free (server);
}

gboolean
hearth_mcp_server_name_is_valid (const char *name)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
env_name_is_valid (const char *name,
                   gsize       len)
{
  return len > 0 && memchr (name, '=', len) == NULL;
}

/* One entry of the setting, checked as the plugin would; NULL with an
 * error naming entry @index (1-based) otherwise. */
static HearthMcpServer *
server_from_json (JsonNode *node,
                  guint     index,
                  GError  **error)
{
  g_autoptr(HearthMcpServer) server = g_new0 (HearthMcpServer, 1);
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) env = g_strv_builder_new ();
  JsonObject *obj;
  JsonNode *n;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  obj = json_node_get_object (node);
  n = json_object_get_member (obj, "name");
  if (!is_string (n) || !hearth_mcp_server_name_is_valid (json_node_get_string (n)))
    goto bad;
  server->name = g_strdup (json_node_get_string (n));
  n = json_object_get_member (obj, "command");
  if (!is_string (n) || json_node_get_string (n)[0] == '\0')
    goto bad;
  server->command = g_strdup (json_node_get_string (n));
  n = json_object_get_member (obj, "args");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
    {
      if (!JSON_NODE_HOLDS_ARRAY (n))
        goto bad;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (n)); i++)
        {
          JsonNode *arg = json_array_get_element (json_node_get_array (n), i);

          if (!is_string (arg))
            goto bad;
          g_strv_builder_add (args, json_node_get_string (arg));
        }
    }
  n = json_object_get_member (obj, "env");
  if (n != NULL && !JSON_NODE_HOLDS_NULL (n))
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        goto bad;
      json_object_iter_init (&iter, json_node_get_object (n));
      while (json_object_iter_next (&iter, &key, &value))
        {
          g_autofree char *pair = NULL;

          if (!env_name_is_valid (key, strlen (key)) || !is_string (value))
            goto bad;
          pair = g_strdup_printf ("%s=%s", key, json_node_get_string (value));
          g_strv_builder_add (env, pair);
        }
    }
  server->args = g_strv_builder_end (args);
  server->env = g_strv_builder_end (env);
  return g_steal_pointer (&server);

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "MCP server %u in the settings is not valid (a name of 1 to 32 of A-Z, a-z, 0-9, _ and -, "
               "a command, string arguments, string environment values)", index);
  return NULL;
}

static JsonNode *
server_to_json (const HearthMcpServer *server)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, server->name);
  json_builder_set_member_name (b, "command");
  json_builder_add_string_value (b, server->command);
  json_builder_set_member_name (b, "args");
  json_builder_begin_array (b);
  for (guint i = 0; server->args != NULL && server->args[i] != NULL; i++)
    json_builder_add_string_value (b, server->args[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "env");
  json_builder_begin_object (b);
  for (guint i = 0; server->env != NULL && server->env[i] != NULL; i++)
    {
      const char *eq = strchr (server->env[i], '=');
      g_autofree char *key = g_strndup (server->env[i], (gsize) (eq - server->env[i]));

      json_builder_set_member_name (b, key);
      json_builder_add_string_value (b, eq + 1);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

GPtrArray *
hearth_mcp_servers_list (HearthPluginManager *manager,
                         GError             **error)
{
  g_autoptr(JsonNode) node = hearth_plugin_manager_get_setting (manager, HEARTH_MCP_PLUGIN_ID, "servers");
  g_autoptr(GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_mcp_server_free);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_steal_pointer (&servers);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The MCP servers setting is not a list");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      HearthMcpServer *server = server_from_json (json_array_get_element (json_node_get_array (node), i),
                                                  i + 1, error);

      if (server == NULL)
        return NULL;
      g_ptr_array_add (servers, server);
    }
  return g_steal_pointer (&servers);
}

static gboolean
save (HearthPluginManager *manager,
      GPtrArray           *servers,
      GError             **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < servers->len; i++)
    json_array_add_element (array, server_to_json (servers->pdata[i]));
  json_node_take_array (node, array);
  return hearth_plugin_manager_set_setting (manager, HEARTH_MCP_PLUGIN_ID, "servers", node, error);
}

gboolean
hearth_mcp_servers_add (HearthPluginManager *manager,
                        const char          *name,
                        const char          *command,
                        const char *const   *args,
                        const char *const   *env,
                        GError             **error)
{
  g_autoptr(GPtrArray) servers = NULL;
  HearthMcpServer *server;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (manager), FALSE);

  if (!hearth_mcp_server_name_is_valid (name))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not a server name: use 1 to 32 of A-Z, a-z, 0-9, _ and -", name != NULL ? name : "");
      return FALSE;
    }
  if (command == NULL || command[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "MCP server “%s” needs a command", name);
      return FALSE;
    }
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *eq = strchr (env[i], '=');

      if (eq == NULL || !env_name_is_valid (env[i], (gsize) (eq - env[i])))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an environment entry: write NAME=VALUE", env[i]);
          return FALSE;
        }
    }
  if ((servers = hearth_mcp_servers_list (manager, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < servers->len; i++)
    if (strcmp (((HearthMcpServer *) servers->pdata[i])->name, name) == 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "There is already an MCP server called “%s”: remove it first", name);
        return FALSE;
      }
  server = g_new0 (HearthMcpServer, 1);
  server->name = g_strdup (name);
  server->command = g_strdup (command);
  server->args = g_strdupv ((char **) args);
  server->env = g_strdupv ((char **) env);
  g_ptr_array_add (servers, server);
  return save (manager, servers, error);
}

gboolean
hearth_mcp_servers_remove (HearthPluginManager *manager,
                           const char          *name,
                           GError             **error)
{
  g_autoptr(GPtrArray) servers = NULL;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (manager), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if ((servers = hearth_mcp_servers_list (manager, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < servers->len; i++)
    if (strcmp (((HearthMcpServer *) servers->pdata[i])->name, name) == 0)
      {
        g_ptr_array_remove_index (servers, i);
        return save (manager, servers, error);
      }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "There is no MCP server called “%s”", name);
  return FALSE;
}
