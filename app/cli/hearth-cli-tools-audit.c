/* hearth-cli-tools-audit.c: `hearth-cli tools audit`: every tool call on record
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads the store's audit of tool calls (hearth_store_list_tool_audit):
 * one line per call, oldest first, or with --json an array of objects with
 * every field, arguments and result in full. --conversation keeps one
 * conversation's calls. Read-only: nothing is changed.
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>

#include "hearth-cli.h"

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = NULL;

  if (usec == 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
print_json (GPtrArray *rows)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < rows->len; i++)
    {
      HearthToolAuditEntry *e = g_ptr_array_index (rows, i);

      json_builder_begin_object (b);
      add_int (b, "id", e->id);
      add_int (b, "conversation_id", e->conversation_id);
      add_int (b, "message_id", e->message_id);
      add_int (b, "result_message_id", e->result_message_id);
      add_string (b, "call_id", e->call_id);
      add_string (b, "tool", e->tool_name);
      add_string (b, "plugin", e->plugin_id);
      add_string (b, "arguments", e->arguments_json);
      add_string (b, "decision", hearth_tool_audit_decision_to_string (e->decision));
      add_string (b, "decided_by", e->decided_by);
      add_string (b, "result", e->result);
      json_builder_set_member_name (b, "is_error");
      json_builder_add_boolean_value (b, e->is_error);
      add_int (b, "started", e->started);
      add_int (b, "finished", e->finished);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_lines (GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    {
      HearthToolAuditEntry *e = g_ptr_array_index (rows, i);
      g_autofree char *when = format_time (e->finished);
      g_autofree char *result = g_strdup (e->result != NULL ? e->result : "");

      g_strdelimit (result, "\n", ' ');
      printf ("%s  conv %" G_GINT64_FORMAT "  %s (%s)  %s by %s  %s%s\n    arguments: %s\n",
              when, e->conversation_id, e->tool_name, e->plugin_id != NULL ? e->plugin_id : "-",
              hearth_tool_audit_decision_to_string (e->decision), e->decided_by != NULL ? e->decided_by : "-",
              e->is_error ? "error: " : "", result, e->arguments_json);
    }
}

int
hearth_cli_tools_audit (int    argc,
                        char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  gint64 conversation = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Every field as JSON", NULL },
    { "conversation", 0, 0, G_OPTION_ARG_INT64, &conversation, "Only this conversation's calls", "ID" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- every tool call on record, oldest first");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1 || conversation < 0)
    status = hearth_cli_failf ("audit takes no arguments, and --conversation a conversation id");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (rows = hearth_store_list_tool_audit (store, conversation, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (json)
    print_json (rows);
  else
    print_lines (rows);
  hearth_cli_store_options_clear (&o);
  return status;
}
