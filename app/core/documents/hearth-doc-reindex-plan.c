/* hearth-doc-reindex-plan.c: what a re-index with another embedding model costs, before anyone asks for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-doc-embedder.h"
#include "hearth-doc-reindex-plan.h"

/* Enough text for a steady reading rate; a few seconds of the user's
 * time for each of the two rates. */
#define SAMPLE_BYTES   (512 * 1024)
#define SAMPLE_SECONDS 3.0
/* Chunks per embedding call while measuring: small, so that a slow model
 * is measured in seconds; the rate per chunk hardly depends on it. */
#define EMBED_BATCH 8

void
hearth_doc_reindex_plan_free (HearthDocReindexPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->collection);
  g_free (plan->model_path);
  g_free (plan->model_identity);
  g_free (plan);
}

static double
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* Reads and chunks a sample of @files; their chunks' texts go to @texts. */
static gboolean
sample_reading (HearthDocReindexPlan      *plan,
                GPtrArray                 *files,
                HearthDocEmbedder         *embedder,
                const HearthDocCollection *c,
                GPtrArray                 *texts,
                GCancellable              *cancellable,
                GError                   **error)
{
  HearthDocChunkParams params;
  gint64 t0 = g_get_monotonic_time ();

  hearth_doc_embedder_chunk_params (embedder, c, &params);
  for (guint i = 0; i < files->len; i++)
    {
      HearthDocFileInfo *f = g_ptr_array_index (files, i);
      g_autoptr(HearthDocText) text = NULL;
      g_autoptr(GPtrArray) chunks = NULL;

      if (plan->sample_files > 0 && (plan->sample_bytes >= SAMPLE_BYTES || seconds_since (t0) >= SAMPLE_SECONDS))
        break;
      /* A file that cannot be read now is a failure the run would record:
       * it costs nothing worth measuring. */
      if ((text = hearth_doc_extract_file (f->path, cancellable, NULL)) == NULL)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
          continue;
        }
      chunks = hearth_doc_chunk (text, &params);
      for (guint j = 0; j < chunks->len; j++)
        {
          HearthDocChunk *chunk = g_ptr_array_index (chunks, j);

          g_ptr_array_add (texts, g_steal_pointer (&chunk->text));
        }
      plan->sample_files++;
      plan->sample_bytes += (guint64) MAX (f->size, 0);
      plan->sample_chunks += chunks->len;
    }
  plan->read_seconds = seconds_since (t0);
  return TRUE;
}

static gboolean
sample_embedding (HearthDocReindexPlan *plan,
                  HearthDocEmbedder    *embedder,
                  GPtrArray            *texts,
                  GCancellable         *cancellable,
                  GError              **error)
{
  gint64 t0 = g_get_monotonic_time ();

  for (guint start = 0; start < texts->len; start += EMBED_BATCH)
    {
      guint n = MIN (EMBED_BATCH, texts->len - start);
      g_autofree float *v = NULL;

      if (start > 0 && seconds_since (t0) >= SAMPLE_SECONDS)
        break;
      v = hearth_doc_embedder_embed (embedder, (const char *const *) texts->pdata + start, n,
                                     FALSE, cancellable, error);
      if (v == NULL)
        return FALSE;
      plan->embedded_chunks += n;
    }
  plan->embed_seconds = seconds_since (t0);
  return TRUE;
}

HearthDocReindexPlan *
hearth_doc_reindex_plan_make (HearthDocIndex *index,
                              const char     *collection,
                              const char     *model_path,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_autoptr(HearthDocReindexPlan) plan = g_new0 (HearthDocReindexPlan, 1);
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) indexed = g_ptr_array_new ();
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  gint64 t0;
  guint stride;

  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (index), NULL);
  g_return_val_if_fail (collection != NULL, NULL);

  if ((c = hearth_doc_index_get_collection (index, collection, error)) == NULL ||
      (files = hearth_doc_index_list_files (index, c->id, error)) == NULL)
    return NULL;
  plan->collection = g_strdup (c->name);

  t0 = g_get_monotonic_time ();
  if (model_path != NULL)
    {
      const HearthDocEmbedModelInfo *info;

      if ((embedder = hearth_doc_embedder_load (model_path, cancellable, error)) == NULL)
        return NULL;
      info = hearth_doc_embedder_get_info (embedder);
      plan->model_path = g_strdup (info->path);
      plan->model_identity = g_strdup (info->identity);
      plan->model_size = info->size;
      plan->model_mtime = info->mtime;
      plan->model_dim = info->dim;
    }
  plan->load_seconds = seconds_since (t0);

  for (guint i = 0; i < files->len; i++)
    {
      HearthDocFileInfo *f = g_ptr_array_index (files, i);

      if (f->status != HEARTH_DOC_FILE_INDEXED)
        continue;
      g_ptr_array_add (indexed, f);
      plan->n_files++;
      plan->n_bytes += (guint64) MAX (f->size, 0);
      plan->n_chunks += f->n_chunks;
    }

  /* Spread over the collection: every stride-th file of the path-ordered
   * list first, then the ones between, so that one folder of one format
   * does not stand for all. */
  stride = MAX (1u, indexed->len / 16);
  for (guint round = 0; round < stride; round++)
    for (guint i = round; i < indexed->len; i += stride)
      g_ptr_array_add (order, g_ptr_array_index (indexed, i));
  if (!sample_reading (plan, order, embedder, c, texts, cancellable, error) ||
      (embedder != NULL && !sample_embedding (plan, embedder, texts, cancellable, error)))
    return NULL;

  plan->seconds = plan->load_seconds;
  if (plan->sample_bytes > 0)
    {
      double chunks = (double) plan->n_bytes * plan->sample_chunks / (double) plan->sample_bytes;

      plan->seconds += (double) plan->n_bytes * plan->read_seconds / (double) plan->sample_bytes;
      if (plan->embedded_chunks > 0)
        plan->seconds += chunks * plan->embed_seconds / plan->embedded_chunks;
    }
  return g_steal_pointer (&plan);
}
