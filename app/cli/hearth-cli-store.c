/* hearth-cli-store.c: how hearth-cli opens the encrypted store (history, chat) and the document index
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The keyring first; without one, a passphrase from --passphrase-file or
 * asked on the terminal with echo off.  The document index (documents.db)
 * opens the same way, with its own key.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hearth-cli.h"
#include "hearth-keyring.h"

void
hearth_cli_store_options_clear (HearthCliStoreOptions *o)
{
  g_free (o->data_dir);
  g_free (o->passphrase_file);
}

void
hearth_cli_store_options_add (GOptionContext        *context,
                              HearthCliStoreOptions *o)
{
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->data_dir,
      "The history's folder (default: $XDG_DATA_HOME/hearth)", "DIR" },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o->passphrase_file,
      "Read the passphrase from FILE (first line); a new history then uses a passphrase, not the keyring",
      "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, NULL);
}

static char *
read_passphrase_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  gsize len = 0;
  char *nl;

  if (!g_file_get_contents (path, &text, &len, &error))
    {
      fprintf (stderr, "hearth-cli: %s\n", error->message);
      return NULL;
    }
  /* The first line; a trailing newline is not part of the passphrase. */
  nl = strpbrk (text, "\r\n");
  if (nl != NULL)
    {
      memset (nl, 0, len - (gsize) (nl - text));
    }
  return text;
}

static char *
prompt_line (const char *prompt)
{
  FILE *tty = fopen ("/dev/tty", "r+");
  struct termios saved, quiet;
  char buf[1024];
  char *line = NULL;

  if (tty == NULL)
    return NULL;
  fputs (prompt, tty);
  fflush (tty);
  if (tcgetattr (fileno (tty), &saved) == 0)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (fileno (tty), TCSAFLUSH, &quiet);
    }
  if (fgets (buf, sizeof buf, tty) != NULL)
    {
      buf[strcspn (buf, "\r\n")] = '\0';
      line = g_strdup (buf);
    }
  hearth_key_wipe (buf, sizeof buf);
  tcsetattr (fileno (tty), TCSAFLUSH, &saved);
  fputc ('\n', tty);
  fclose (tty);
  return line;
}

static char *
ask_passphrase_for (gboolean                     creating,
                    const HearthCliStoreOptions *o,
                    const char                  *noun)
{
  char *first, *second;

  if (o->passphrase_file != NULL)
    return read_passphrase_file (o->passphrase_file);
  if (!isatty (STDIN_FILENO))
    return NULL;

  if (!creating)
    {
      g_autofree char *prompt = g_strdup_printf ("Passphrase for the Hearth %s: ", noun);

      return prompt_line (prompt);
    }
  fprintf (stderr, "No keyring is available: the new %s will be locked with a passphrase.\n", noun);
  first = prompt_line ("New passphrase: ");
  if (first == NULL)
    return NULL;
  second = prompt_line ("Again: ");
  if (second == NULL || strcmp (first, second) != 0)
    {
      fprintf (stderr, "hearth-cli: the passphrases differ\n");
      hearth_key_wipe (first, strlen (first));
      g_free (first);
      if (second != NULL)
        hearth_key_wipe (second, strlen (second));
      g_free (second);
      return NULL;
    }
  hearth_key_wipe (second, strlen (second));
  g_free (second);
  return first;
}

static char *
ask_passphrase (gboolean creating,
                gpointer user_data)
{
  return ask_passphrase_for (creating, user_data, "history");
}

static char *
ask_doc_passphrase (gboolean creating,
                    gpointer user_data)
{
  return ask_passphrase_for (creating, user_data, "document index");
}

static void
explain_need_passphrase (GError **error)
{
  if (g_error_matches (*error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NEED_PASSPHRASE))
    {
      g_autofree char *msg = g_strdup ((*error)->message);

      g_clear_error (error);
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NEED_PASSPHRASE,
                   "%s (run it from a terminal or give --passphrase-file)", msg);
    }
}

HearthDocIndex *
hearth_cli_open_doc_index (HearthCliStoreOptions *o,
                           GError               **error)
{
  HearthDocIndexParams params;
  HearthDocIndex *index;

  hearth_doc_index_params_init (&params);
  params.data_dir = o->data_dir;
  params.key_source = o->passphrase_file != NULL ? HEARTH_STORE_KEY_PASSPHRASE : HEARTH_STORE_KEY_AUTO;
  params.passphrase_func = ask_doc_passphrase;
  params.passphrase_data = o;
  index = hearth_doc_index_open (&params, error);
  if (index == NULL)
    explain_need_passphrase (error);
  return index;
}

HearthStore *
hearth_cli_open_store (HearthCliStoreOptions *o,
                       GError               **error)
{
  HearthStoreParams params;
  HearthStore *store;

  hearth_store_params_init (&params);
  params.data_dir = o->data_dir;
  params.key_source = o->passphrase_file != NULL ? HEARTH_STORE_KEY_PASSPHRASE : HEARTH_STORE_KEY_AUTO;
  params.passphrase_func = ask_passphrase;
  params.passphrase_data = o;
  store = hearth_store_open (&params, error);
  if (store == NULL)
    explain_need_passphrase (error);
  return store;
}

void
hearth_cli_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      hearth_cli_remove_tree (child);
    }
  g_remove (path);
}
