/* hearth-cli-history.c: `hearth-cli history list|show|search|export|import|bench`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hearth-cli.h"
#include "hearth-store.h"

static gboolean
parse_id (const char *text,
          gint64     *id)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &v, NULL))
    return FALSE;
  *id = (gint64) v;
  return TRUE;
}

static char *
format_local_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

/* ---- list ---- */

static int
history_list (int    argc,
              char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean archived = FALSE, all = FALSE;
  int offset = 0, limit = 50;
  const GOptionEntry entries[] = {
    { "archived", 0, 0, G_OPTION_ARG_NONE, &archived, "Only archived conversations", NULL },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "Archived ones too", NULL },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "Skip N conversations", "N" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most N (default 50, 0: all)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list conversations, newest first");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) list = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1 || offset < 0 || limit < 0)
    status = hearth_cli_failf ("list takes no arguments and non-negative --offset/--limit");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (list = hearth_store_list_conversations (store,
                                                    all ? HEARTH_STORE_LIST_ALL
                                                    : archived ? HEARTH_STORE_LIST_ARCHIVED
                                                    : HEARTH_STORE_LIST_DEFAULT,
                                                    (guint) offset, (guint) limit, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      for (guint i = 0; i < list->len; i++)
        {
          HearthConversation *c = g_ptr_array_index (list, i);
          g_autofree char *updated = format_local_time (hearth_conversation_get_updated (c));

          printf ("%6" G_GINT64_FORMAT "  %s  %c%c  %5" G_GINT64_FORMAT "  %s\n",
                  hearth_conversation_get_id (c), updated,
                  hearth_conversation_get_pinned (c) ? 'P' : '-',
                  hearth_conversation_get_archived (c) ? 'A' : '-',
                  hearth_conversation_get_n_messages (c), hearth_conversation_get_title (c));
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- show ---- */

static int
history_show (int    argc,
              char **argv)
{
  HearthCliStoreOptions o = { 0 };
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID - print a conversation's branch on show");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  gint64 id = 0;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2 || !parse_id (argv[1], &id))
    status = hearth_cli_failf ("show takes one conversation id");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (conv = hearth_store_get_conversation (store, id, &error)) == NULL ||
           (thread = hearth_store_get_thread (store, id, 0, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      printf ("# %s\n", hearth_conversation_get_title (conv));
      if (hearth_conversation_get_model (conv) != NULL)
        printf ("model: %s\n", hearth_conversation_get_model (conv));
      for (guint i = 0; i < thread->len; i++)
        {
          HearthMessage *m = g_ptr_array_index (thread, i);

          printf ("\n[%s #%" G_GINT64_FORMAT "]\n%s\n", hearth_message_role_to_string (hearth_message_get_role (m)),
                  hearth_message_get_id (m), hearth_message_get_content (m));
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- search ---- */

static int
history_search (int    argc,
                char **argv)
{
  HearthCliStoreOptions o = { 0 };
  int limit = 20;
  const GOptionEntry entries[] = {
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Show at most N results (default 20)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("TEXT... - find messages with every word");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree char *text = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc < 2 || limit < 1)
    status = hearth_cli_failf ("search takes the words to find");
  else
    {
      text = g_strjoinv (" ", argv + 1);
      if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
          (hits = hearth_store_search (store, text, 0, (guint) limit, &error)) == NULL)
        status = hearth_cli_fail (error);
      else
        {
          for (guint i = 0; i < hits->len; i++)
            {
              HearthSearchResult *r = g_ptr_array_index (hits, i);
              g_autofree char *snippet = g_strdup (r->snippet);

              g_strdelimit (snippet, "\n", ' ');
              printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT "  %.3f  %s: %s\n",
                      r->conversation_id, r->message_id, r->score, r->conversation_title, snippet);
            }
          if (hits->len == 0)
            fprintf (stderr, "No messages found\n");
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- export, import ---- */

static int
history_export (int    argc,
                char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "md or json (default md)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (created 0600) instead of stdout", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID - export a conversation");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autofree char *text = NULL;
  gint64 id = 0;
  gboolean json;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&o);
      return 2;
    }
  json = g_strcmp0 (format, "json") == 0;
  if (argc != 2 || !parse_id (argv[1], &id))
    status = hearth_cli_failf ("export takes one conversation id");
  else if (format != NULL && !json && strcmp (format, "md") != 0)
    status = hearth_cli_failf ("unknown --format '%s' (md or json)", format);
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (text = json ? hearth_store_export_json (store, id, &error)
                        : hearth_store_export_markdown (store, id, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (output != NULL)
    {
      /* An export is the user's plaintext, written where they asked: at
       * least it is not readable by others. */
      if (!g_file_set_contents_full (output, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        status = hearth_cli_fail (error);
    }
  else
    {
      fputs (text, stdout);
      if (json)
        fputc ('\n', stdout);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
history_import (int    argc,
                char **argv)
{
  HearthCliStoreOptions o = { 0 };
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE.json - import an exported conversation");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  g_autofree char *json = NULL;
  gsize len = 0;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("import takes one JSON file");
  else if (!g_file_get_contents (argv[1], &json, &len, &error) ||
           (store = hearth_cli_open_store (&o, &error)) == NULL ||
           (conv = hearth_store_import_json (store, json, (gssize) len, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    printf ("Imported conversation %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " messages): %s\n",
            hearth_conversation_get_id (conv), hearth_conversation_get_n_messages (conv),
            hearth_conversation_get_title (conv));
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand history_commands[] = {
  { "list", "List conversations, pinned and newest first", history_list },
  { "show", "Print a conversation (the branch on show)", history_show },
  { "search", "Find messages by words, best first", history_search },
  { "export", "Export a conversation as Markdown or JSON", history_export },
  { "import", "Import a conversation exported as JSON", history_import },
  { "bench", "Time appends, opening and search on a synthetic history", hearth_cli_history_bench },
};

int
hearth_cli_history (int    argc,
                    char **argv)
{
  if (argc >= 2)
    {
      for (guint i = 0; i < G_N_ELEMENTS (history_commands); i++)
        if (strcmp (argv[1], history_commands[i].name) == 0)
          return history_commands[i].func (argc - 1, argv + 1);
    }
  fprintf (stderr, "Usage: hearth-cli history COMMAND [OPTION...]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (history_commands); i++)
    fprintf (stderr, "  %-8s %s\n", history_commands[i].name, history_commands[i].summary);
  fprintf (stderr, "\nAll take --data-dir DIR and --passphrase-file FILE.\n");
  return argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) ? 0 : 2;
}
