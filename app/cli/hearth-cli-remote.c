/* hearth-cli-remote.c: `hearth-cli remote add|list|remove|test`: the remote models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   hearth-cli remote add NAME URL MODEL [--key-file FILE]
 *   hearth-cli remote list [--json]
 *   hearth-cli remote remove NAME
 *   hearth-cli remote test NAME
 *
 * A provider is an OpenAI-compatible server (URL: its base, e.g.
 * https://host/v1), the model to ask there, and a key read from FILE (its
 * first line; "-": stdin), never from the command line where `ps` shows
 * it. The list is kept in the store, the key in the keyring
 * (hearth-remote-provider.h); `list` never prints a key. `test` asks the
 * server for its models with the key. `hearth-cli chat --remote NAME`
 * then talks to it.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-remote-provider.h"

/* The first line of @path ("-": stdin), without its end; NULL with an error. */
static char *
read_key (const char *path,
          GError    **error)
{
  g_autofree char *text = NULL;
  char *nl;

  if (g_strcmp0 (path, "-") == 0)
    {
      char line[4096];

      if (fgets (line, sizeof line, stdin) == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "No key on stdin");
          return NULL;
        }
      text = g_strdup (line);
    }
  else if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  nl = strpbrk (text, "\r\n");
  if (nl != NULL)
    *nl = '\0';
  g_strstrip (text);
  if (text[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s holds no key", path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static int
remote_add (int    argc,
            char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *key_file = NULL;
  const GOptionEntry entries[] = {
    { "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "The key, on the first line of FILE (-: stdin)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME URL MODEL - add a remote provider");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthRemoteProvider) p = NULL;
  g_autofree char *key = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 4)
    status = hearth_cli_failf ("remote add needs NAME URL MODEL");
  else if (key_file != NULL && (key = read_key (key_file, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      g_autofree char *host = NULL;

      p = hearth_remote_provider_new (argv[1], argv[2], argv[3]);
      host = hearth_remote_provider_dup_host (p);
      if (!hearth_remote_providers_add (store, p, key, &error))
        status = hearth_cli_fail (error);
      else
        printf ("Added remote provider %s: model %s at %s (%s)\n"
                "Conversations that use it leave this computer for %s.\n",
                p->name, p->model, p->url, key != NULL ? "key in the keyring" : "no key", host);
    }
  if (key != NULL)
    memset (key, 0, strlen (key));
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
remote_list (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the remote providers");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) all = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1)
    status = hearth_cli_failf ("list takes no arguments");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (all = hearth_remote_providers_list (store, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < all->len; i++)
        {
          HearthRemoteProvider *p = all->pdata[i];
          g_autofree char *host = hearth_remote_provider_dup_host (p);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, p->name);
          json_builder_set_member_name (b, "url");
          json_builder_add_string_value (b, p->url);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, p->model);
          json_builder_set_member_name (b, "host");
          json_builder_add_string_value (b, host);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      hearth_cli_print_json (root);
    }
  else
    for (guint i = 0; i < all->len; i++)
      {
        HearthRemoteProvider *p = all->pdata[i];

        printf ("%s: %s at %s\n", p->name, p->model, p->url);
      }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
remote_remove (int    argc,
               char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - remove a remote provider and its key");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("remote remove needs NAME");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           !hearth_remote_providers_remove (store, argv[1], &error))
    status = hearth_cli_fail (error);
  else
    printf ("Removed remote provider %s and its key\n", argv[1]);
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
remote_test (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - ask a remote provider for its models");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthRemoteProvider) p = NULL;
  g_autofree char *key = NULL;
  g_auto(GStrv) models = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("remote test needs NAME");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (p = hearth_remote_providers_lookup (store, argv[1], &error)) == NULL)
    status = hearth_cli_fail (error);
  else if ((key = hearth_remote_provider_dup_key (p, &error)), error != NULL)
    status = hearth_cli_fail (error);
  else if (!hearth_remote_provider_test (p, key, NULL, &models, &error))
    status = hearth_cli_fail (error);
  else
    {
      g_autofree char *host = hearth_remote_provider_dup_host (p);
      g_autofree char *list = g_strjoinv (", ", models);

      printf ("%s answers: model %s is there (it lists: %s)\n", host, p->model, list);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand remote_commands[] = {
  { "add", "Add a provider: NAME URL MODEL [--key-file FILE]", remote_add },
  { "list", "List the providers (never their keys)", remote_list },
  { "remove", "Remove a provider and its key", remote_remove },
  { "test", "Ask a provider's server for its models, with the key", remote_test },
};

int
hearth_cli_remote (int    argc,
                   char **argv)
{
  return hearth_cli_run_group ("remote", remote_commands, G_N_ELEMENTS (remote_commands), argc, argv);
}
