/* hearth-cli-tools.c: `hearth-cli tools list|call`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Calls go through the plugin manager's tool registry, as the runtime's do:
 * the same argument checks, timeout and output checks. A tool whose effects
 * need approval runs only with --approve yes; without it nothing runs.
 * More subcommands join tools_commands[].
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"

/* ---- list ---- */

static int
tools_list (int    argc,
            char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the tools of the loaded plugins");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
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
      HearthToolRegistry *registry = hearth_plugin_manager_get_tools (manager);
      g_autoptr(GPtrArray) tools = hearth_tool_registry_list_tools (registry);
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < tools->len; i++)
        {
          HearthTool *tool = g_ptr_array_index (tools, i);
          HearthToolEffects effects = hearth_tool_get_effects (tool);
          const char *plugin_id = NULL;

          hearth_tool_registry_lookup (registry, hearth_tool_get_name (tool), &plugin_id);
          if (json)
            {
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "name");
              json_builder_add_string_value (b, hearth_tool_get_name (tool));
              json_builder_set_member_name (b, "plugin");
              json_builder_add_string_value (b, plugin_id);
              json_builder_set_member_name (b, "description");
              json_builder_add_string_value (b, hearth_tool_get_description (tool));
              json_builder_set_member_name (b, "effects");
              json_builder_add_value (b, hearth_cli_effects_to_json (effects));
              json_builder_set_member_name (b, "needs_approval");
              json_builder_add_boolean_value (b, hearth_tool_effects_need_approval (effects));
              json_builder_end_object (b);
            }
          else
            {
              g_autofree char *text = hearth_tool_effects_to_string (effects);
              printf ("%s (%s) [%s]: %s\n", hearth_tool_get_name (tool), plugin_id, text,
                      hearth_tool_get_description (tool));
            }
        }
      json_builder_end_array (b);
      if (json)
        {
          g_autoptr(JsonNode) root = json_builder_get_root (b);
          hearth_cli_print_json (root);
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- call ---- */

typedef struct
{
  gboolean           done;
  HearthToolOutcome *outcome;
  GError            *error;
} Call;

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;

  call->outcome = hearth_tool_registry_call_finish (HEARTH_TOOL_REGISTRY (source), result, &call->error);
  call->done = TRUE;
}

static int
tools_call (int    argc,
            char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *approve = NULL;
  int timeout_ms = 0;
  const GOptionEntry entries[] = {
    { "approve", 0, 0, G_OPTION_ARG_STRING, &approve,
      "yes: run a tool that needs approval (side effects); no: refuse it (the default)", "yes|no" },
    { "timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout_ms, "Stop the tool after MS milliseconds (default 30000)", "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME ARGS_JSON - call a tool and print its result");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthPluginManager) manager = NULL;
  HearthToolRegistry *registry;
  const char *plugin_id = NULL;
  HearthTool *tool;
  Call call = { 0 };
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 3)
    status = hearth_cli_failf ("call takes a tool name and its arguments as a JSON object");
  else if (approve != NULL && strcmp (approve, "yes") != 0 && strcmp (approve, "no") != 0)
    status = hearth_cli_failf ("--approve takes yes or no, not “%s”", approve);
  else if (timeout_ms < 0)
    status = hearth_cli_failf ("--timeout-ms takes a positive number");
  else if ((manager = hearth_cli_open_plugins (&o, TRUE, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if ((tool = hearth_tool_registry_lookup ((registry = hearth_plugin_manager_get_tools (manager)),
                                                argv[1], &plugin_id)) == NULL)
    status = hearth_cli_failf ("No tool called “%s”", argv[1]);
  else if (hearth_tool_effects_need_approval (hearth_tool_get_effects (tool)) && g_strcmp0 (approve, "yes") != 0)
    {
      g_autofree char *effects = hearth_tool_effects_to_string (hearth_tool_get_effects (tool));
      status = hearth_cli_failf ("Tool “%s” (plugin “%s”) needs approval (%s); it was not run. "
                                 "Give --approve yes to run it with these arguments: %s",
                                 argv[1], plugin_id, effects, argv[2]);
    }
  else
    {
      hearth_tool_registry_set_timeout (registry, (guint) timeout_ms);
      hearth_tool_registry_call_async (registry, argv[1], argv[2], NULL, on_called, &call);
      while (!call.done)
        g_main_context_iteration (NULL, TRUE);
      if (call.error != NULL)
        {
          status = hearth_cli_fail (call.error);
          g_error_free (call.error);
        }
      else
        {
          printf ("%s\n", call.outcome->text);
          hearth_tool_outcome_free (call.outcome);
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand tools_commands[] = {
  { "list", "List the tools of the loaded plugins with their effects", tools_list },
  { "call", "Call a tool with JSON arguments and print its result", tools_call },
  { "audit", "Every tool call on record, oldest first", hearth_cli_tools_audit },
};

int
hearth_cli_tools (int    argc,
                  char **argv)
{
  return hearth_cli_run_group ("tools", tools_commands, G_N_ELEMENTS (tools_commands), argc, argv);
}
