/* hearth-cli-mcp.c: `hearth-cli mcp add|list|remove`: the MCP servers the mcp plugin starts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   hearth-cli mcp add NAME [--env KEY=VALUE ...] -- COMMAND [ARG...]
 *   hearth-cli mcp list [--json]
 *   hearth-cli mcp remove NAME
 *
 * These edit the list in the store (hearth-mcp-servers.h) and start
 * nothing: the servers' tools appear on the next load of the plugins
 * (`hearth-cli tools list`, the app's next start). `list` shows the names
 * of environment entries, never their values, which are often tokens.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-mcp-servers.h"

static int
mcp_add (int    argc,
         char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_auto(GStrv) env = NULL;
  const GOptionEntry entries[] = {
    { "env", 0, 0, G_OPTION_ARG_STRING_ARRAY, &env, "An environment entry for the server (repeatable)", "KEY=VALUE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME -- COMMAND [ARG...] - add an MCP server");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  int split = -1, status = 0;

  /* What follows "--" is the server's command line, options included. */
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        split = i;
        break;
      }
  if (split < 0 || split + 1 >= argc)
    return hearth_cli_failf ("mcp add needs NAME -- COMMAND [ARG...]");

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  {
    int opt_argc = split;
    g_autofree char **opt_argv = g_new0 (char *, split + 1);

    memcpy (opt_argv, argv, sizeof (char *) * (gsize) split);
    if (!hearth_cli_parse (context, &opt_argc, &opt_argv))
      status = 2;
    else if (opt_argc != 2)
      status = hearth_cli_failf ("mcp add needs one NAME before --");
    else if ((manager = hearth_cli_open_plugins (&o, FALSE, &error)) == NULL ||
             !hearth_mcp_servers_add (manager, opt_argv[1], argv[split + 1],
                                      (const char *const *) argv + split + 2,
                                      (const char *const *) env, &error))
      status = hearth_cli_fail (error);
    else
      printf ("Added MCP server %s: its tools are %s_*\n", opt_argv[1], opt_argv[1]);
  }
  hearth_cli_store_options_clear (&o);
  return status;
}

static JsonNode *
server_to_json (HearthMcpServer *server)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, server->name);
  json_builder_set_member_name (b, "command");
  json_builder_add_string_value (b, server->command);
  json_builder_set_member_name (b, "args");
  json_builder_begin_array (b);
  for (guint i = 0; server->args[i] != NULL; i++)
    json_builder_add_string_value (b, server->args[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "env_names");
  json_builder_begin_array (b);
  for (guint i = 0; server->env[i] != NULL; i++)
    {
      g_autofree char *key = g_strndup (server->env[i], (gsize) (strchr (server->env[i], '=') - server->env[i]));

      json_builder_add_string_value (b, key);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static int
mcp_list (int    argc,
          char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the MCP servers");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  g_autoptr(GPtrArray) servers = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1)
    status = hearth_cli_failf ("list takes no arguments");
  else if ((manager = hearth_cli_open_plugins (&o, FALSE, &error)) == NULL ||
           (servers = hearth_mcp_servers_list (manager, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < servers->len; i++)
        json_array_add_element (array, server_to_json (servers->pdata[i]));
      json_node_take_array (root, array);
      hearth_cli_print_json (root);
    }
  else
    for (guint i = 0; i < servers->len; i++)
      {
        HearthMcpServer *s = servers->pdata[i];
        g_autofree char *args = g_strjoinv (" ", s->args);

        printf ("%s: %s%s%s\n", s->name, s->command, args[0] != '\0' ? " " : "", args);
        for (guint j = 0; s->env[j] != NULL; j++)
          printf ("  env %.*s\n", (int) (strchr (s->env[j], '=') - s->env[j]), s->env[j]);
      }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
mcp_remove (int    argc,
            char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - remove an MCP server");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("mcp remove needs NAME");
  else if ((manager = hearth_cli_open_plugins (&o, FALSE, &error)) == NULL ||
           !hearth_mcp_servers_remove (manager, argv[1], &error))
    status = hearth_cli_fail (error);
  else
    printf ("Removed MCP server %s\n", argv[1]);
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand mcp_commands[] = {
  { "add", "Add a server: NAME [--env KEY=VALUE] -- COMMAND [ARG...]", mcp_add },
  { "list", "List the servers (environment names only)", mcp_list },
  { "remove", "Remove a server", mcp_remove },
};

int
hearth_cli_mcp (int    argc,
                char **argv)
{
  return hearth_cli_run_group ("mcp", mcp_commands, G_N_ELEMENTS (mcp_commands), argc, argv);
}
