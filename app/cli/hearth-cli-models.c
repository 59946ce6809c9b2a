/* hearth-cli-models.c: `hearth-cli models`: the catalog, downloads, the fit check, the network log
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   hearth-cli models catalog [--json]
 *   hearth-cli models download ID|URL [--sha256 HEX] [--dir DIR] [--file NAME]
 *   hearth-cli models list [--dir DIR]   (the registry, then downloads left partial)
 *   hearth-cli models remove ID|FILE
 *   hearth-cli models fit FILE|ID
 *   hearth-cli models log
 *
 * `download` fetches into DIR (default DATA_DIR/models) through the
 * runtime's HearthDownload: progress on stderr, a partial download of the
 * same URL resumed, Ctrl+C keeps it for later; a verified file is added to
 * the model registry in the store, and nothing else ever is. It exits 1
 * with the reason. A Hugging Face repository's address
 * (https://huggingface.co/OWNER/REPO, or a file's in it) lists the
 * repository's GGUF files with sizes and fit and downloads the one --file
 * names (or the one asked for on a terminal), verified against its LFS
 * SHA-256. $HEARTH_CATALOG names another catalog, $HEARTH_HF_ENDPOINT
 * another hub (tests). Only
 * `download` makes requests; each one is in the network log (`log`).
 */
#include "hearth-config.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hearth-catalog.h"
#include "hearth-cli.h"
#include "hearth-download.h"
#include "hearth-hf-import.h"
#include "hearth-model-fit.h"
#include "hearth-model-registry.h"
#include "hearth-network-log.h"

static char *
data_dir_of (const HearthCliStoreOptions *o)
{
  return o->data_dir != NULL ? g_strdup (o->data_dir) : g_build_filename (g_get_user_data_dir (), "hearth", NULL);
}

static char *
models_dir_of (const HearthCliStoreOptions *o,
               const char                  *dir)
{
  g_autofree char *data_dir = data_dir_of (o);

  return dir != NULL ? g_strdup (dir) : g_build_filename (data_dir, "models", NULL);
}

static JsonNode *
entry_to_json (const HearthCatalogEntry *e,
               const HearthFit          *fit)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

#define STR(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_string_value (b, v); } G_STMT_END
#define INT(k, v) G_STMT_START { json_builder_set_member_name (b, k); json_builder_add_int_value (b, (gint64) (v)); } G_STMT_END
  json_builder_begin_object (b);
  STR ("id", e->id);
  STR ("name", e->name);
  STR ("publisher", e->publisher);
  STR ("licence", e->licence);
  STR ("kind", e->kind);
  INT ("parameters", e->parameters);
  STR ("architecture", e->architecture);
  STR ("quantisation", e->quantisation);
  INT ("context_length", e->context_length);
  STR ("file_name", e->file_name);
  STR ("url", e->url);
  if (e->size != 0)
    INT ("size", e->size);
  if (e->sha256 != NULL)
    STR ("sha256", e->sha256);
  STR ("description", e->description);
  STR ("source", e->source);
  INT ("ram_needed", fit->ram_needed);
  STR ("fit", hearth_fit_verdict_to_string (fit->verdict));
  INT ("gpu_layers", fit->gpu_layers);
  INT ("n_layer", fit->n_layer);
  STR ("fit_summary", fit->summary);
  json_builder_end_object (b);
#undef STR
#undef INT
  return json_builder_get_root (b);
}

static int
models_catalog (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the models Hearth offers to download, with their fit");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCatalog) catalog = NULL;
  g_autoptr(HearthFitMachine) machine = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if ((catalog = hearth_catalog_load_default (&error)) == NULL)
    return hearth_cli_fail (error);
  machine = hearth_fit_machine_new_current ();
  json_builder_begin_array (b);
  for (guint i = 0; i < hearth_catalog_get_n_entries (catalog); i++)
    {
      const HearthCatalogEntry *e = hearth_catalog_get_entry (catalog, i);
      HearthFitModel model;
      g_autoptr(HearthFit) fit = NULL;

      hearth_fit_model_from_entry (e, 0, &model);
      fit = hearth_fit_check (&model, machine);
      if (json)
        json_builder_add_value (b, entry_to_json (e, fit));
      else
        {
          printf ("%-32s %s (%s, %s, %s)\n  %s\n  %s\n", e->id, e->name, e->quantisation, e->licence, e->publisher,
                  e->description, fit->summary);
        }
    }
  json_builder_end_array (b);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);

      hearth_cli_print_json (root);
    }
  return 0;
}

/* ---- download ---- */

typedef struct
{
  GMainLoop *loop;
  gboolean   tty;
  gint64     last_line;
} DownloadUi;

static void
on_progress (HearthDownload *download,
             GParamSpec     *pspec,
             DownloadUi     *ui)
{
  g_autofree char *text = hearth_download_dup_progress_text (download);
  gint64 now = g_get_monotonic_time ();

  if (ui->tty)
    {
      fprintf (stderr, "\r\033[K%s", text);
      return;
    }
  /* Not a terminal: a line a second is enough for a log. */
  if (now - ui->last_line >= G_USEC_PER_SEC)
    {
      ui->last_line = now;
      fprintf (stderr, "%s\n", text);
    }
}

static void
on_notice (HearthDownload *download,
           GParamSpec     *pspec,
           DownloadUi     *ui)
{
  if (hearth_download_get_notice (download) != NULL)
    fprintf (stderr, "%s%s\n", ui->tty ? "\r\033[K" : "", hearth_download_get_notice (download));
}

static void
on_finished (HearthDownload *download,
             DownloadUi     *ui)
{
  g_main_loop_quit (ui->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  hearth_download_pause (user_data);
  return G_SOURCE_CONTINUE;
}

static char *
file_name_of_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *base = uri != NULL ? g_path_get_basename (g_uri_get_path (uri)) : NULL;

  if (base == NULL || !g_str_has_suffix (base, ".gguf") || base[0] == '.')
    return NULL;
  return g_steal_pointer (&base);
}

/* The repository's GGUF files with sizes and fit, on stdout; the one named
 * @name, or the one the user types on a terminal; NULL (said why) when
 * none is chosen. */
static const HearthHfFile *
pick_hf_file (const char *repo,
              GPtrArray  *files,
              const char *name)
{
  g_autoptr(HearthFitMachine) machine = hearth_fit_machine_new_current ();
  char line[64];
  guint64 n;

  if (name != NULL)
    {
      const HearthHfFile *f = hearth_hf_find_file (files, name);

      if (f == NULL)
        hearth_cli_failf ("%s has no GGUF file %s (see the list without --file)", repo, name);
      return f;
    }
  printf ("GGUF files in %s:\n", repo);
  for (guint i = 0; i < files->len; i++)
    {
      const HearthHfFile *f = g_ptr_array_index (files, i);
      g_autofree char *size = g_format_size (f->size);
      g_autoptr(HearthFit) fit = NULL;
      HearthFitModel m;

      hearth_hf_file_fit_model (f, &m);
      fit = hearth_fit_check (&m, machine);
      printf ("%3u  %s  %s\n     %s\n", i + 1, f->path, size, fit->summary);
    }
  if (!isatty (STDIN_FILENO) || !isatty (STDOUT_FILENO))
    {
      hearth_cli_failf ("choose one with --file NAME");
      return NULL;
    }
  printf ("Which one? [1-%u] ", files->len);
  fflush (stdout);
  if (fgets (line, sizeof line, stdin) == NULL || (n = g_ascii_strtoull (line, NULL, 10)) < 1 || n > files->len)
    {
      hearth_cli_failf ("no file chosen");
      return NULL;
    }
  return g_ptr_array_index (files, n - 1);
}

static int
models_download (int    argc,
                 char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *sha256 = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *hf_name = NULL;
  g_autofree char *hf_repo = NULL;
  g_autofree char *hf_url = NULL;
  g_autoptr(GPtrArray) hf_files = NULL;
  int retry_delay = 1000;
  const GOptionEntry entries[] = {
    { "file", 0, 0, G_OPTION_ARG_STRING, &hf_name, "With a Hugging Face repository: the GGUF file to download", "NAME" },
    { "sha256", 0, 0, G_OPTION_ARG_STRING, &sha256, "The file's SHA-256 (default: the catalog's, else the server's)", "HEX" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Download into DIR (default: DATA_DIR/models)", "DIR" },
    { "retry-delay-ms", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &retry_delay, "First retry's delay (tests)", "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID|URL - download a model, resuming, and verify it");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCatalog) catalog = NULL;
  g_autoptr(HearthDownload) download = NULL;
  g_autoptr(HearthNetworkLog) log = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *models_dir = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *file_name = NULL;
  const HearthCatalogEntry *entry = NULL;
  const char *url;
  guint64 size = 0;
  DownloadUi ui = { 0 };
  guint sigint;
  int status = 1;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&o);
      return 2;
    }
  if (argc != 2)
    {
      hearth_cli_store_options_clear (&o);
      return hearth_cli_failf ("download needs one catalog ID or URL");
    }
  if ((catalog = hearth_catalog_load_default (&error)) == NULL)
    goto fail;
  entry = hearth_catalog_lookup (catalog, argv[1]);
  if (entry != NULL)
    {
      url = entry->url;
      file_name = g_strdup (entry->file_name);
      size = entry->size;
      if (sha256 == NULL)
        sha256 = g_strdup (entry->sha256);
    }
  else if (hearth_hf_parse_url (argv[1], &hf_repo, hf_name == NULL ? &hf_name : NULL, NULL))
    {
      const HearthHfFile *f;

      data_dir = data_dir_of (&o);
      log = hearth_network_log_new (data_dir);
      if ((hf_files = hearth_hf_list_files (hf_repo, log, NULL, &error)) == NULL)
        goto fail;
      if (hf_files->len == 0)
        {
          status = hearth_cli_failf ("%s has no GGUF files", hf_repo);
          goto out;
        }
      if ((f = pick_hf_file (hf_repo, hf_files, hf_name)) == NULL)
        goto out;
      hf_url = g_strdup (f->url);
      url = hf_url;
      file_name = g_path_get_basename (f->path);
      size = f->size;
      if (sha256 == NULL)
        sha256 = g_strdup (f->sha256);
    }
  else
    {
      url = argv[1];
      if (!hearth_catalog_url_allowed (url, &error))
        goto fail;
      if ((file_name = file_name_of_url (url)) == NULL)
        {
          status = hearth_cli_failf ("%s is neither a catalog ID (see `hearth-cli models catalog`) nor the address of a .gguf file",
                                     argv[1]);
          goto out;
        }
    }
  if (sha256 != NULL && (strlen (sha256) != 64 || strspn (sha256, "0123456789abcdefABCDEF") != 64))
    {
      status = hearth_cli_failf ("--sha256 needs 64 hex digits");
      goto out;
    }
  if (entry != NULL)
    {
      g_autoptr(HearthFitMachine) machine = hearth_fit_machine_new_current ();
      HearthFitModel model;
      g_autoptr(HearthFit) fit = NULL;

      hearth_fit_model_from_entry (entry, 0, &model);
      fit = hearth_fit_check (&model, machine);
      fprintf (stderr, "%s: %s\n", entry->name, fit->summary);
    }

  if (data_dir == NULL)
    data_dir = data_dir_of (&o);
  models_dir = models_dir_of (&o, dir);
  dest = g_build_filename (models_dir, file_name, NULL);
  if (log == NULL)
    log = hearth_network_log_new (data_dir);
  download = hearth_download_new (url, dest, log);
  hearth_download_set_expected (download, sha256, size);
  hearth_download_set_retries (download, 4, (guint) MAX (retry_delay, 1));
  {
    g_autofree char *part = hearth_download_dup_part_path (dest);
    GStatBuf sb;

    if (g_stat (part, &sb) == 0 && sb.st_size > 0)
      {
        g_autofree char *have = g_format_size ((guint64) sb.st_size);

        fprintf (stderr, "Resuming: %s already downloaded\n", have);
      }
  }

  loop = g_main_loop_new (NULL, FALSE);
  ui.loop = loop;
  ui.tty = isatty (STDERR_FILENO);
  g_signal_connect (download, "notify::received", G_CALLBACK (on_progress), &ui);
  g_signal_connect (download, "notify::notice", G_CALLBACK (on_notice), &ui);
  g_signal_connect (download, "finished", G_CALLBACK (on_finished), &ui);
  sigint = g_unix_signal_add (SIGINT, on_sigint, download);
  fprintf (stderr, "Downloading %s\n  to %s\n", url, dest);
  hearth_download_start (download);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  if (ui.tty)
    fputc ('\n', stderr);

  switch (hearth_download_get_state (download))
    {
    case HEARTH_DOWNLOAD_DONE:
      {
        g_autoptr(HearthStore) store = hearth_cli_open_store (&o, &error);
        g_autoptr(HearthModelRegistry) registry = NULL;

        if (store == NULL || (registry = hearth_model_registry_new (store, &error)) == NULL ||
            hearth_model_registry_add (registry, dest, &error) == NULL)
          {
            g_prefix_error (&error, "downloaded and verified %s, but could not add it to the models: ", dest);
            goto fail;
          }
        printf ("%s\n", dest);
        status = 0;
      }
      break;
    case HEARTH_DOWNLOAD_PAUSED:
      {
        g_autofree char *part = hearth_download_dup_part_path (dest);

        status = hearth_cli_failf ("interrupted; %s kept: run the same command again to resume", part);
      }
      break;
    default:
      status = hearth_cli_fail (hearth_download_get_error (download));
      break;
    }
  goto out;

fail:
  status = hearth_cli_fail (error);
out:
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- list, remove ---- */

static int
models_list (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *dir = NULL;
  const GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Unfinished downloads in DIR (default: DATA_DIR/models)", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the models added to Hearth, and unfinished downloads");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthModelRegistry) registry = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1)
    status = hearth_cli_failf ("list takes no arguments");
  else if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
           (registry = hearth_model_registry_new (store, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (registry)); i++)
      {
        g_autoptr(HearthModelEntry) e = g_list_model_get_item (G_LIST_MODEL (registry), i);
        g_autofree char *summary = hearth_model_entry_dup_summary (e);

        printf ("%s\n  %s\n", hearth_model_entry_get_path (e), summary);
      }
  if (status == 0)
    {
      /* Downloads left partial: not models yet, but the user's to resume. */
      g_autofree char *models_dir = models_dir_of (&o, dir);
      g_autoptr(GPtrArray) partial = hearth_download_list_partial (models_dir);

      for (guint i = 0; i < partial->len; i++)
        {
          const HearthPartialDownload *p = g_ptr_array_index (partial, i);
          g_autofree char *progress = hearth_partial_download_dup_progress_text (p);

          printf ("%s (unfinished download: %s)\n  resume: hearth-cli models download %s\n", p->dest, progress, p->url);
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
models_remove (int    argc,
               char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *dir = NULL;
  const GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Where catalog downloads are (default: DATA_DIR/models)", "DIR" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID|FILE - remove a model (a downloaded file is deleted)");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthModelRegistry) registry = NULL;
  g_autoptr(HearthCatalog) catalog = NULL;
  g_autofree char *models_dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *parent = NULL;
  const HearthCatalogEntry *entry;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    {
      hearth_cli_store_options_clear (&o);
      return 2;
    }
  if (argc != 2)
    {
      hearth_cli_store_options_clear (&o);
      return hearth_cli_failf ("remove needs one catalog ID or FILE");
    }
  models_dir = models_dir_of (&o, dir);
  catalog = hearth_catalog_load_default (NULL);
  entry = catalog != NULL ? hearth_catalog_lookup (catalog, argv[1]) : NULL;
  if (entry != NULL)
    path = g_build_filename (models_dir, entry->file_name, NULL);
  else
    path = g_canonicalize_filename (argv[1], NULL);
  parent = g_path_get_dirname (path);

  if ((store = hearth_cli_open_store (&o, &error)) == NULL ||
      (registry = hearth_model_registry_new (store, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (hearth_model_registry_lookup (registry, path) == NULL)
    status = hearth_cli_failf ("%s is not one of Hearth's models (see `hearth-cli models list`)", path);
  else if (!hearth_model_registry_remove (registry, path, &error))
    status = hearth_cli_fail (error);
  else
    {
      g_autofree char *canon_dir = g_canonicalize_filename (models_dir, NULL);

      /* Hearth's own downloads go; a file the user added stays where it is. */
      if (strcmp (parent, canon_dir) == 0)
        {
          g_autofree char *part = hearth_download_dup_part_path (path);
          g_autofree char *state = hearth_download_dup_state_path (path);

          g_unlink (path);
          g_unlink (part);
          g_unlink (state);
          printf ("Removed and deleted %s\n", path);
        }
      else
        printf ("Removed %s from Hearth's models (the file stays)\n", path);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- fit, log ---- */

static int
models_fit (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE|ID - whether a model fits this machine, and where it runs");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCatalog) catalog = NULL;
  g_autoptr(HearthFitMachine) machine = NULL;
  g_autoptr(HearthFit) fit = NULL;
  const HearthCatalogEntry *entry = NULL;
  HearthFitModel model;

  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return hearth_cli_failf ("fit needs one FILE or catalog ID");
  if (!g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      if ((catalog = hearth_catalog_load_default (&error)) == NULL)
        return hearth_cli_fail (error);
      if ((entry = hearth_catalog_lookup (catalog, argv[1])) == NULL)
        return hearth_cli_failf ("%s is neither a file nor a catalog ID", argv[1]);
      hearth_fit_model_from_entry (entry, 0, &model);
    }
  else if (!hearth_fit_model_from_file (argv[1], 0, &model, &error))
    return hearth_cli_fail (error);
  machine = hearth_fit_machine_new_current ();
  fit = hearth_fit_check (&model, machine);
  printf ("%s\n%s\n", hearth_fit_verdict_to_string (fit->verdict), fit->summary);
  return 0;
}

static int
models_log (int    argc,
            char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new ("- every request Hearth made: time, host, path, status, bytes");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthNetworkLog) log = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *data_dir = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else
    {
      data_dir = data_dir_of (&o);
      log = hearth_network_log_new (data_dir);
      if ((entries = hearth_network_log_read (log, &error)) == NULL)
        status = hearth_cli_fail (error);
      else if (entries->len == 0)
        printf ("No requests.\n");
      else
        for (guint i = 0; i < entries->len; i++)
          {
            g_autofree char *line = hearth_network_log_entry_format (g_ptr_array_index (entries, i));

            printf ("%s\n", line);
          }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand models_commands[] = {
  { "catalog", "The models Hearth offers, with their fit", models_catalog },
  { "download", "Download a model by ID or URL (resumes, verifies)", models_download },
  { "list", "The models added to Hearth", models_list },
  { "remove", "Remove a model (a downloaded file is deleted)", models_remove },
  { "fit", "Whether a model fits this machine", models_fit },
  { "log", "The network log: every request Hearth made", models_log },
};

int
hearth_cli_models (int    argc,
                   char **argv)
{
  return hearth_cli_run_group ("models", models_commands, G_N_ELEMENTS (models_commands), argc, argv);
}
