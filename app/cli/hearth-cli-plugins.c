/* hearth-cli-plugins.c: `hearth-cli plugins list|enable|disable|grant|revoke`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only `list` loads plugin code; enable, disable, grant and revoke read the
 * .plugin files and change the store, so that a plugin that misbehaves can
 * be turned off without running it. Also the helpers `tools` shares.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"

int
hearth_cli_run_group (const char             *group,
                      const HearthCliCommand *commands,
                      guint                   n_commands,
                      int                     argc,
                      char                  **argv)
{
  if (argc >= 2)
    for (guint i = 0; i < n_commands; i++)
      if (strcmp (argv[1], commands[i].name) == 0)
        return commands[i].func (argc - 1, argv + 1);
  fprintf (stderr, "Usage: hearth-cli %s COMMAND [OPTION...]\n\nCommands:\n", group);
  for (guint i = 0; i < n_commands; i++)
    fprintf (stderr, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (stderr, "\nAll take --data-dir DIR and --passphrase-file FILE.\n");
  return argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) ? 0 : 2;
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  hearth_plugin_manager_load_finish (HEARTH_PLUGIN_MANAGER (source), result, NULL);
  *done = TRUE;
}

HearthPluginManager *
hearth_cli_open_plugins (HearthCliStoreOptions *options,
                         gboolean               load,
                         GError               **error)
{
  g_autoptr(HearthStore) store = hearth_cli_open_store (options, error);
  HearthPluginManager *manager;
  gboolean done = FALSE;

  if (store == NULL)
    return NULL;
  manager = hearth_plugin_manager_new (store, NULL);
  if (load)
    {
      hearth_plugin_manager_load_async (manager, NULL, on_loaded, &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
    }
  return manager;
}

JsonNode *
hearth_cli_effects_to_json (HearthToolEffects effects)
{
  g_autofree char *text = hearth_tool_effects_to_string (effects);
  g_auto(GStrv) names = g_strsplit (text, ", ", -1);
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; names[i] != NULL; i++)
    json_array_add_string_element (array, names[i]);
  json_node_take_array (node, array);
  return node;
}

void
hearth_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

/* ---- list ---- */

static JsonNode *
entry_to_json (HearthPluginEntry *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, e->id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, e->name);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, hearth_plugin_state_to_string (e->state));
  json_builder_set_member_name (b, "reason");
  if (e->reason != NULL)
    json_builder_add_string_value (b, e->reason);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tools");
  json_builder_begin_array (b);
  for (guint i = 0; i < e->tools->len; i++)
    {
      HearthTool *tool = g_ptr_array_index (e->tools, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, hearth_tool_get_name (tool));
      json_builder_set_member_name (b, "effects");
      json_builder_add_value (b, hearth_cli_effects_to_json (hearth_tool_get_effects (tool)));
      json_builder_set_member_name (b, "needs_approval");
      json_builder_add_boolean_value (b, hearth_tool_effects_need_approval (hearth_tool_get_effects (tool)));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static int
plugins_list (int    argc,
              char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the plugins found, with their state and tools");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  g_autoptr(GPtrArray) list = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1)
    status = hearth_cli_failf ("list takes no arguments");
  else if ((manager = hearth_cli_open_plugins (&o, TRUE, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      list = hearth_plugin_manager_list (manager);
      if (json)
        {
          g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
          JsonArray *array = json_array_new ();

          for (guint i = 0; i < list->len; i++)
            json_array_add_element (array, entry_to_json (g_ptr_array_index (list, i)));
          json_node_take_array (root, array);
          hearth_cli_print_json (root);
        }
      else
        for (guint i = 0; i < list->len; i++)
          {
            HearthPluginEntry *e = g_ptr_array_index (list, i);

            printf ("%s (%s): %s\n", e->id, hearth_plugin_state_to_string (e->state), e->name);
            if (e->reason != NULL)
              printf ("  %s\n", e->reason);
            for (guint j = 0; j < e->tools->len; j++)
              {
                HearthTool *tool = g_ptr_array_index (e->tools, j);
                g_autofree char *effects = hearth_tool_effects_to_string (hearth_tool_get_effects (tool));

                printf ("  tool %s [%s]\n", hearth_tool_get_name (tool), effects);
              }
          }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- enable, disable, grant, revoke ---- */

typedef enum { ENABLE, DISABLE, GRANT, REVOKE } Change;

static int
plugins_change (int    argc,
                char **argv,
                Change change)
{
  static const char *const usage[] = {
    [ENABLE] = "ID - load plugin ID from now on",
    [DISABLE] = "ID - stop loading plugin ID",
    [GRANT] = "ID FOLDER - let plugin ID use FOLDER",
    [REVOKE] = "ID FOLDER - take FOLDER back from plugin ID",
  };
  HearthCliStoreOptions o = { 0 };
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new (usage[change]);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  g_autofree char *folder = NULL;
  int want_args = change == GRANT || change == REVOKE ? 3 : 2;
  gboolean ok = FALSE;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&o);
      return 2;
    }
  if (argc != want_args)
    {
      hearth_cli_store_options_clear (&o);
      return hearth_cli_failf ("%s takes %s", argv[0], want_args == 3 ? "a plugin id and a folder" : "a plugin id");
    }
  if (want_args == 3)
    {
      g_autofree char *cwd = g_get_current_dir ();
      folder = g_canonicalize_filename (argv[2], cwd);
    }
  if ((manager = hearth_cli_open_plugins (&o, FALSE, &error)) != NULL)
    switch (change)
      {
      case ENABLE:
      case DISABLE:
        ok = hearth_plugin_manager_set_enabled (manager, argv[1], change == ENABLE, &error);
        break;
      case GRANT:
        ok = hearth_plugin_manager_grant_folder (manager, argv[1], folder, &error);
        break;
      case REVOKE:
        ok = hearth_plugin_manager_revoke_folder (manager, argv[1], folder, &error);
        break;
      default:
        g_assert_not_reached ();
      }
  if (!ok)
    status = hearth_cli_fail (error);
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
plugins_enable (int argc, char **argv)
{
  return plugins_change (argc, argv, ENABLE);
}

static int
plugins_disable (int argc, char **argv)
{
  return plugins_change (argc, argv, DISABLE);
}

static int
plugins_grant (int argc, char **argv)
{
  return plugins_change (argc, argv, GRANT);
}

static int
plugins_revoke (int argc, char **argv)
{
  return plugins_change (argc, argv, REVOKE);
}

static const HearthCliCommand plugins_commands[] = {
  { "list", "List the plugins found, their state, the reason for a refusal, and their tools", plugins_list },
  { "enable", "Load a plugin from now on", plugins_enable },
  { "disable", "Stop loading a plugin (its code does not run)", plugins_disable },
  { "grant", "Let a plugin use a folder", plugins_grant },
  { "revoke", "Take a folder back from a plugin", plugins_revoke },
};

int
hearth_cli_plugins (int    argc,
                    char **argv)
{
  return hearth_cli_run_group ("plugins", plugins_commands, G_N_ELEMENTS (plugins_commands), argc, argv);
}
