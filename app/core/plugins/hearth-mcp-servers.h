/* hearth-mcp-servers.h: the MCP servers the user configured, as the mcp plugin reads them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mcp plugin (plugins/mcp) starts the servers listed in its setting
 * "servers": a JSON array of {"name", "command", "args": [...], "env":
 * {...}}. Front ends (`hearth-cli mcp`, Preferences) edit that list through
 * these functions, which keep it valid: a name is 1 to 32 of [A-Za-z0-9_-]
 * and unique, the command is not empty, environment names are not empty
 * and hold no '='. Nothing here starts a server; the plugin picks the new
 * list up on its next refresh.
 *
 * Threading: the manager's.
 */
#pragma once

#include "hearth-plugin-manager.h"

G_BEGIN_DECLS

/* The mcp plugin's id (its Module name). */
#define HEARTH_MCP_PLUGIN_ID "mcp"

typedef struct
{
  char  *name;
  char  *command;
  char **args; /* NULL-terminated, may be empty */
  char **env;  /* "KEY=VALUE", NULL-terminated, may be empty */
} HearthMcpServer;

void hearth_mcp_server_free (HearthMcpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthMcpServer, hearth_mcp_server_free)

gboolean   hearth_mcp_server_name_is_valid (const char *name);

/* The servers, in the order they were added: a new array of
 * HearthMcpServer. An entry the plugin would leave out (hand-edited) is an
 * error naming it. */
GPtrArray *hearth_mcp_servers_list   (HearthPluginManager *manager,
                                      GError             **error);
/* Appends a server; @args and @env may be NULL. */
gboolean   hearth_mcp_servers_add    (HearthPluginManager *manager,
                                      const char          *name,
                                      const char          *command,
                                      const char *const   *args,
                                      const char *const   *env,
                                      GError             **error);
/* G_IO_ERROR_NOT_FOUND when there is no server called @name. */
gboolean   hearth_mcp_servers_remove (HearthPluginManager *manager,
                                      const char          *name,
                                      GError             **error);

G_END_DECLS
