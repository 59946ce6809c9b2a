/* hearth-cli-docs.c: `hearth-cli docs add|reindex|list|status|search|remove|bench`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The document index from the terminal, on the same core as the app
 * (hearth-doc-index, -indexer, -search).  Progress goes to stderr, results
 * to stdout; --json output is for scripts and tests, its shape is fixed:
 *   search: {"query": Q, "hits": [{"path", "page" (null: none),
 *            "line_start", "line_end", "score", "text"}]}
 * with absolute paths.  Like the rest of hearth-cli, output is not
 * translated.
 */
#include "hearth-config.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-doc-embedder.h"
#include "hearth-doc-indexer.h"
#include "hearth-doc-reindex-plan.h"
#include "hearth-doc-search.h"
#include "hearth-duration.h"

#define DEFAULT_CHUNK_TOKENS 256
#define DEFAULT_CHUNK_OVERLAP 32

static char *
format_bytes (double bytes)
{
  return g_format_size_full ((guint64) MAX (bytes, 0), G_FORMAT_SIZE_DEFAULT);
}

/* ---- indexing with progress ---- */

typedef struct
{
  gint64 last_print;
} ProgressPrinter;

static void
print_progress (HearthDocIndexer *indexer,
                gboolean          force)
{
  ProgressPrinter *p = g_object_get_data (G_OBJECT (indexer), "printer");
  gint64 now = g_get_monotonic_time ();
  g_autofree char *rate = NULL;
  double left;

  if (!force && now - p->last_print < 250 * G_TIME_SPAN_MILLISECOND)
    return;
  p->last_print = now;
  rate = format_bytes (hearth_doc_indexer_get_bytes_per_second (indexer));
  left = hearth_doc_indexer_get_seconds_left (indexer);
  if (left >= 0)
    fprintf (stderr, "indexing: %u/%u files, %u chunks, %s/s, about %.0f s left\n",
             hearth_doc_indexer_get_files_done (indexer), hearth_doc_indexer_get_files_total (indexer),
             hearth_doc_indexer_get_chunks (indexer), rate, left);
  else
    fprintf (stderr, "indexing: %u/%u files, %u chunks\n",
             hearth_doc_indexer_get_files_done (indexer), hearth_doc_indexer_get_files_total (indexer),
             hearth_doc_indexer_get_chunks (indexer));
}

static void
on_progress (GObject    *object,
             GParamSpec *pspec,
             gpointer    user_data)
{
  print_progress (HEARTH_DOC_INDEXER (object), FALSE);
}

static void
on_phase (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  const char *phase = hearth_doc_indexer_get_phase (HEARTH_DOC_INDEXER (object));

  if (g_strcmp0 (phase, "idle") != 0)
    fprintf (stderr, "%s\n", phase);
}

static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_CONTINUE;
}

static int
run_indexer (HearthDocIndex *index,
             const char     *collection)
{
  g_autoptr(HearthDocIndexer) indexer = hearth_doc_indexer_new (index, collection);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  ProgressPrinter printer = { 0 };
  HearthDocIndexerCounters n;
  guint sigint, sigterm;
  gboolean ok;

  g_object_set_data (G_OBJECT (indexer), "printer", &printer);
  g_signal_connect (indexer, "notify::files-done", G_CALLBACK (on_progress), NULL);
  g_signal_connect (indexer, "notify::phase", G_CALLBACK (on_phase), NULL);
  /* Ctrl+C stops between files: what is written stays, the next run goes on. */
  sigint = g_unix_signal_add (SIGINT, on_signal, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, cancellable);
  ok = hearth_doc_indexer_run_sync (indexer, cancellable, &error);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  hearth_doc_indexer_get_counters (indexer, &n);
  print_progress (indexer, TRUE);
  if (n.resumed)
    fprintf (stderr, "an interrupted run was resumed\n");
  fprintf (stderr, "%u files seen: %u indexed, %u unchanged, %u same content, %u moved, %u failed, "
           "%u removed; %u chunks added, %u removed\n",
           n.files_seen, n.files_extracted, n.files_unchanged, n.files_touched, n.files_moved,
           n.files_failed, n.files_removed, n.chunks_added, n.chunks_removed);
  if (n.sources_missing > 0)
    fprintf (stderr, "%u sources are missing; their files were kept\n", n.sources_missing);
  if (!ok)
    return hearth_cli_fail (error);
  return 0;
}

/* The paths as the index keeps them: absolute, without "." or "..", and
 * there; one that is not there fails the command before anything changes. */
static GPtrArray *
resolve_paths (int     argc,
               char  **argv,
               GError **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < argc; i++)
    {
      g_autofree char *path = g_canonicalize_filename (argv[i], NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such file or folder", argv[i]);
          return NULL;
        }
      g_ptr_array_add (paths, g_steal_pointer (&path));
    }
  return g_steal_pointer (&paths);
}

static int
docs_add (int    argc,
          char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *model_path = NULL;
  int chunk_tokens = DEFAULT_CHUNK_TOKENS, chunk_overlap = DEFAULT_CHUNK_OVERLAP;
  const GOptionEntry entries[] = {
    { "embed-model", 0, 0, G_OPTION_ARG_FILENAME, &model_path,
      "Embedding model (bert, nomic-bert GGUF) for a new collection; without: BM25 only", "FILE" },
    { "chunk-tokens", 0, 0, G_OPTION_ARG_INT, &chunk_tokens, "Tokens per chunk for a new collection (256)", "N" },
    { "chunk-overlap", 0, 0, G_OPTION_ARG_INT, &chunk_overlap, "Tokens shared by neighbour chunks (32)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION PATH... - add folders or files and index them now");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(GPtrArray) paths = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc < 3)
    status = hearth_cli_failf ("add takes a collection name and at least one path");
  else if (chunk_tokens < 16 || chunk_overlap < 0 || chunk_overlap >= chunk_tokens)
    status = hearth_cli_failf ("--chunk-tokens must be at least 16 and larger than --chunk-overlap");
  else if ((paths = resolve_paths (argc - 2, argv + 2, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (model_path != NULL && (embedder = hearth_doc_embedder_load (model_path, NULL, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL)
    status = hearth_cli_fail (error);
  /* Without --embed-model an existing collection keeps its model. */
  else if ((model_path != NULL || (c = hearth_doc_index_get_collection (index, argv[1], NULL)) == NULL) &&
           (c = hearth_doc_index_ensure_collection (index, argv[1],
                                                    embedder != NULL ? hearth_doc_embedder_get_info (embedder) : NULL,
                                                    (guint) chunk_tokens, (guint) chunk_overlap, &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      for (guint i = 0; i < paths->len && status == 0; i++)
        if (!hearth_doc_index_add_source (index, c->id, g_ptr_array_index (paths, i), &error))
          status = hearth_cli_fail (error);
      /* The indexer loads the model itself, from the collection. */
      g_clear_pointer (&embedder, hearth_doc_embedder_free);
      if (status == 0)
        status = run_indexer (index, argv[1]);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
docs_update (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION - bring the index up to date with the files");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  int status;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("update takes a collection name");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (c = hearth_doc_index_get_collection (index, argv[1], &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    status = run_indexer (index, argv[1]);
  hearth_cli_store_options_clear (&o);
  return status;
}

/* `reindex --estimate`: the plan the app shows before it asks. */
static int
print_estimate (HearthDocIndex *index,
                const char     *name,
                const char     *model_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocReindexPlan) plan = hearth_doc_reindex_plan_make (index, name, model_path, NULL, &error);
  g_autofree char *bytes = NULL, *sample = NULL, *about = NULL;

  if (plan == NULL)
    return hearth_cli_fail (error);
  bytes = format_bytes ((gint64) plan->n_bytes);
  sample = format_bytes ((gint64) plan->sample_bytes);
  about = hearth_duration_about (plan->seconds);
  printf ("Re-indexing '%s' reads %u files again (%s, %" G_GUINT64_FORMAT " chunks now)%s%s.\n",
          plan->collection, plan->n_files, bytes, plan->n_chunks,
          plan->model_path != NULL ? " and embeds them with " : ", BM25 only",
          plan->model_path != NULL ? plan->model_path : "");
  printf ("Estimate: %s (%.1f s). Measured: %u files (%s, %u chunks) read in %.2f s, "
          "%u chunks embedded in %.2f s, the model loaded in %.2f s.\n",
          about, plan->seconds, plan->sample_files, sample, plan->sample_chunks, plan->read_seconds,
          plan->embedded_chunks, plan->embed_seconds, plan->load_seconds);
  return 0;
}

/* Sets @path (NULL: none) as @c's model, forgetting every file, and runs
 * the indexer over all of them. */
static int
reindex_with (HearthDocIndex      *index,
              HearthDocCollection *c,
              const char          *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;

  if (path != NULL && (embedder = hearth_doc_embedder_load (path, NULL, &error)) == NULL)
    return hearth_cli_fail (error);
  if (!hearth_doc_index_reset_collection (index, c->id, embedder != NULL ? hearth_doc_embedder_get_info (embedder) : NULL,
                                          &error))
    return hearth_cli_fail (error);
  /* The indexer loads the model itself, from the collection. */
  g_clear_pointer (&embedder, hearth_doc_embedder_free);
  return run_indexer (index, c->name);
}

static int
docs_reindex (int    argc,
              char **argv)
{
  HearthCliStoreOptions o = { 0 };
  g_autofree char *model_path = NULL;
  gboolean no_model = FALSE, estimate = FALSE;
  const GOptionEntry entries[] = {
    { "embed-model", 0, 0, G_OPTION_ARG_FILENAME, &model_path, "Use this embedding model from now on", "FILE" },
    { "no-embed-model", 0, 0, G_OPTION_ARG_NONE, &no_model, "BM25 only from now on", NULL },
    { "estimate", 0, 0, G_OPTION_ARG_NONE, &estimate,
      "Only say how long it would take (measured on a sample of the files), change nothing", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION - read, chunk and embed every file again");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  int status;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2 || (model_path != NULL && no_model))
    status = hearth_cli_failf ("reindex takes a collection name and at most one of --embed-model, --no-embed-model");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (c = hearth_doc_index_get_collection (index, argv[1], &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      const char *path = no_model ? NULL : model_path != NULL ? model_path : c->embed_model;

      status = estimate ? print_estimate (index, c->name, path) : reindex_with (index, c, path);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- list, status ---- */

static void
add_collection_json (JsonBuilder         *b,
                     HearthDocCollection *c)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, c->name);
  json_builder_set_member_name (b, "files");
  json_builder_add_int_value (b, c->n_files);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, c->n_failed);
  json_builder_set_member_name (b, "chunks");
  json_builder_add_int_value (b, c->n_chunks);
  json_builder_set_member_name (b, "vectors");
  json_builder_add_int_value (b, c->n_vectors);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, c->total_bytes);
  json_builder_set_member_name (b, "embed_model");
  if (c->embed_model != NULL)
    json_builder_add_string_value (b, c->embed_model);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, c->interrupted);
  json_builder_end_object (b);
}

static int
docs_list (int    argc,
           char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the collections");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(GPtrArray) list = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 1)
    status = hearth_cli_failf ("list takes no arguments");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (list = hearth_doc_index_list_collections (index, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "collections");
      json_builder_begin_array (b);
      for (guint i = 0; i < list->len; i++)
        add_collection_json (b, g_ptr_array_index (list, i));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      hearth_cli_print_json (root);
    }
  else
    for (guint i = 0; i < list->len; i++)
      {
        HearthDocCollection *c = g_ptr_array_index (list, i);
        g_autofree char *size = format_bytes ((double) c->total_bytes);

        printf ("%s  %" G_GINT64_FORMAT " files, %" G_GINT64_FORMAT " failed, %" G_GINT64_FORMAT " chunks, %s, %s%s\n",
                c->name, c->n_files, c->n_failed, c->n_chunks, size,
                c->embed_model != NULL ? "hybrid" : "BM25 only", c->interrupted ? ", interrupted" : "");
      }
  hearth_cli_store_options_clear (&o);
  return status;
}

static int
docs_status (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION - files indexed and failed, chunks, sizes");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) sources = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2)
    status = hearth_cli_failf ("status takes a collection name");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (c = hearth_doc_index_get_collection (index, argv[1], &error)) == NULL ||
           (sources = hearth_doc_index_list_sources (index, c->id, &error)) == NULL ||
           (files = hearth_doc_index_list_files (index, c->id, &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "collection");
      add_collection_json (b, c);
      json_builder_set_member_name (b, "index_bytes");
      json_builder_add_int_value (b, hearth_doc_index_get_size (index));
      json_builder_set_member_name (b, "sources");
      json_builder_begin_array (b);
      for (guint i = 0; i < sources->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (sources, i));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint i = 0; i < files->len; i++)
        {
          HearthDocFileInfo *f = g_ptr_array_index (files, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, f->path);
          json_builder_set_member_name (b, "status");
          json_builder_add_string_value (b, f->status == HEARTH_DOC_FILE_FAILED ? "failed" : "indexed");
          json_builder_set_member_name (b, "reason");
          if (f->reason != NULL)
            json_builder_add_string_value (b, f->reason);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "format");
          if (f->format != NULL)
            json_builder_add_string_value (b, f->format);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "size");
          json_builder_add_int_value (b, f->size);
          json_builder_set_member_name (b, "chunks");
          json_builder_add_int_value (b, f->n_chunks);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      hearth_cli_print_json (root);
    }
  else
    {
      g_autofree char *size = format_bytes ((double) c->total_bytes);
      g_autofree char *index_size = format_bytes ((double) hearth_doc_index_get_size (index));

      printf ("collection: %s\n", c->name);
      printf ("embedding model: %s\n", c->embed_model != NULL ? c->embed_model : "none (BM25 only)");
      for (guint i = 0; i < sources->len; i++)
        printf ("source: %s\n", (const char *) g_ptr_array_index (sources, i));
      printf ("files: %" G_GINT64_FORMAT " indexed (%s), %" G_GINT64_FORMAT " failed\n",
              c->n_files, size, c->n_failed);
      printf ("chunks: %" G_GINT64_FORMAT ", vectors: %" G_GINT64_FORMAT "\n", c->n_chunks, c->n_vectors);
      printf ("index: %s (all collections)\n", index_size);
      if (c->interrupted)
        printf ("an indexing run was interrupted; `hearth-cli docs update %s` finishes it\n", c->name);
      for (guint i = 0; i < files->len; i++)
        {
          HearthDocFileInfo *f = g_ptr_array_index (files, i);

          if (f->status == HEARTH_DOC_FILE_FAILED)
            printf ("failed: %s: %s\n", f->path, f->reason != NULL ? f->reason : "unknown reason");
        }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- search ---- */

static int
docs_search (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  gboolean json = FALSE, bm25_only = FALSE;
  int k = 10;
  double min_similarity = -2;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "k", 'k', 0, G_OPTION_ARG_INT, &k, "Hits to show (10)", "N" },
    { "bm25-only", 0, 0, G_OPTION_ARG_NONE, &bm25_only, "Leave the embedding model out", NULL },
    { "min-similarity", 0, 0, G_OPTION_ARG_DOUBLE, &min_similarity,
      "Floor of the vector list: cosine similarity (default 0.3)", "X" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION QUERY - the passages that best match");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autofree float *qv = NULL;
  HearthDocSearchParams params;
  int status = 0;

  hearth_doc_search_params_init (&params);
  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 3 || k < 1 || k > 1000)
    status = hearth_cli_failf ("search takes a collection name and a query; -k between 1 and 1000");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (c = hearth_doc_index_get_collection (index, argv[1], &error)) == NULL)
    status = hearth_cli_fail (error);
  else
    {
      const char *query = argv[2];

      if (c->embed_model != NULL && !bm25_only)
        {
          const HearthDocEmbedModelInfo *info;

          if ((embedder = hearth_doc_embedder_load_for (c, NULL, &error)) == NULL)
            return hearth_cli_fail (error);
          info = hearth_doc_embedder_get_info (embedder);
          if (g_strcmp0 (info->identity, c->embed_model_id) != 0)
            return hearth_cli_failf ("the embedding model file changed since '%s' was indexed: "
                                     "run `hearth-cli docs reindex %s`, or search with --bm25-only", c->name, c->name);
          if ((qv = hearth_doc_embedder_embed (embedder, &query, 1, TRUE, NULL, &error)) == NULL)
            return hearth_cli_fail (error);
        }
      params.k = (guint) k;
      params.n_candidates = MAX (params.n_candidates, params.k);
      if (min_similarity > -2)
        params.min_similarity = min_similarity;
      hits = hearth_doc_search (index, argv[1], query, qv, c->embed_dim, &params, &error);
      if (hits == NULL)
        status = hearth_cli_fail (error);
      else if (json)
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "query");
          json_builder_add_string_value (b, query);
          json_builder_set_member_name (b, "hits");
          json_builder_begin_array (b);
          for (guint i = 0; i < hits->len; i++)
            {
              HearthDocHit *h = g_ptr_array_index (hits, i);

              json_builder_begin_object (b);
              json_builder_set_member_name (b, "path");
              json_builder_add_string_value (b, h->path);
              json_builder_set_member_name (b, "page");
              if (h->page > 0)
                json_builder_add_int_value (b, h->page);
              else
                json_builder_add_null_value (b);
              json_builder_set_member_name (b, "line_start");
              json_builder_add_int_value (b, h->line_start);
              json_builder_set_member_name (b, "line_end");
              json_builder_add_int_value (b, h->line_end);
              json_builder_set_member_name (b, "score");
              json_builder_add_double_value (b, h->score);
              json_builder_set_member_name (b, "text");
              json_builder_add_string_value (b, h->text);
              json_builder_end_object (b);
            }
          json_builder_end_array (b);
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          hearth_cli_print_json (root);
        }
      else
        for (guint i = 0; i < hits->len; i++)
          {
            HearthDocHit *h = g_ptr_array_index (hits, i);
            g_autofree char *where = h->page > 0 ? g_strdup_printf ("page %u, lines %u-%u", h->page, h->line_start, h->line_end)
                                                 : g_strdup_printf ("lines %u-%u", h->line_start, h->line_end);

            printf ("[%u] %s (%s)  score %.4f\n", i + 1, h->path, where, h->score);
            if (h->context != NULL)
              printf ("    %s\n", h->context);
            printf ("    %s\n\n", h->text);
          }
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

/* ---- remove ---- */

static int
docs_remove (int    argc,
             char **argv)
{
  HearthCliStoreOptions o = { 0 };
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr(GOptionContext) context = g_option_context_new ("COLLECTION [PATH] - remove a collection, or one of its sources");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocIndex) index = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  int status = 0;

  hearth_cli_store_options_add (context, &o);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    status = 2;
  else if (argc != 2 && argc != 3)
    status = hearth_cli_failf ("remove takes a collection name and at most one path");
  else if ((index = hearth_cli_open_doc_index (&o, &error)) == NULL ||
           (c = hearth_doc_index_get_collection (index, argv[1], &error)) == NULL)
    status = hearth_cli_fail (error);
  else if (argc == 2)
    {
      if (!hearth_doc_index_remove_collection (index, argv[1], &error))
        status = hearth_cli_fail (error);
    }
  else
    {
      /* A source that is gone from disk can still be removed: by its name. */
      g_autofree char *path = g_canonicalize_filename (argv[2], NULL);

      if (!hearth_doc_index_remove_source (index, c->id, path, &error))
        status = hearth_cli_fail (error);
    }
  hearth_cli_store_options_clear (&o);
  return status;
}

static const HearthCliCommand docs_commands[] = {
  { "add", "Add folders or files to a collection (made if new) and index them", docs_add },
  { "update", "Index what changed in a collection's files", docs_update },
  { "reindex", "Index a collection again from scratch, optionally with another embedding model", docs_reindex },
  { "list", "List the collections", docs_list },
  { "status", "A collection's files, failures, chunks and sizes", docs_status },
  { "search", "Search a collection (BM25 and vectors, fused)", docs_search },
  { "remove", "Remove a collection or one of its sources", docs_remove },
  { "bench", "Measure search latency, index size and indexing rate", hearth_cli_docs_bench },
};

int
hearth_cli_docs (int    argc,
                 char **argv)
{
  return hearth_cli_run_group ("docs", docs_commands, G_N_ELEMENTS (docs_commands), argc, argv);
}
