/* hearth-doc-reindex-plan.h: what a re-index with another embedding model costs, before anyone asks for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Changing a collection's embedding model (or dropping it, for BM25 only)
 * means reading, chunking and embedding every file again: minutes to hours.
 * Nothing does that behind the user's back: the app first makes a plan,
 * shows its estimate, and re-indexes only when the user agrees
 * (hearth_documents_reindex).
 *
 * The estimate is measured, not guessed: the new model is loaded (which
 * also checks that it is an encoder) and a sample of the collection's own
 * files (spread over it in path order) is extracted and chunked with the
 * new model's token counts, and some of those chunks embedded, exactly as
 * the indexer would, without writing anything.  Two rates come out:
 * reading (seconds per byte: extraction and chunking, whole files, until
 * SAMPLE_BYTES or SAMPLE_SECONDS) and embedding (seconds per chunk, in
 * batches of 8 until SAMPLE_SECONDS, at least one batch); the sample's
 * chunks per byte give the chunks the whole collection will have:
 *   seconds = load + bytes * read_rate + bytes * chunks_per_byte * embed_rate.
 * Left out: the index writes (FTS and vectors): small next to embedding
 * (a nomic-sized encoder, 8 text files: estimated 262.6 s, took 259.2 s),
 * about 45% of a BM25-only run (6.5 MB: estimated 0.7 s, took 1.26 s).
 * A collection with no indexed file costs the load only.
 * Threading: any thread; the index may be written by a run meanwhile (each
 * of its calls takes its lock).  The result is the caller's.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-doc-index.h"

G_BEGIN_DECLS

typedef struct
{
  char    *collection;
  /* The model the collection would use: NULL path for none (BM25 only). */
  char    *model_path;
  char    *model_identity;
  gint64   model_size;
  gint64   model_mtime;
  guint    model_dim;
  /* What is indexed now (files read, their bytes and chunks). */
  guint    n_files;
  guint64  n_bytes;
  guint64  n_chunks;
  /* What was measured: files read and chunked (their bytes, chunks and
   * seconds), chunks embedded (and their seconds), the model's load. */
  guint    sample_files;
  guint64  sample_bytes;
  guint    sample_chunks;
  double   read_seconds;
  guint    embedded_chunks;
  double   embed_seconds;
  double   load_seconds;
  /* The estimate for the whole re-index. */
  double   seconds;
} HearthDocReindexPlan;

void hearth_doc_reindex_plan_free (HearthDocReindexPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocReindexPlan, hearth_doc_reindex_plan_free)

/* @model_path NULL: BM25 only from now on. NOT_FOUND for an unknown
 * collection; the loader's error for a file that is no encoder.  Takes
 * seconds: call it from a worker thread (hearth_documents_plan_reindex_async
 * does). */
HearthDocReindexPlan *hearth_doc_reindex_plan_make (HearthDocIndex *index,
                                                    const char     *collection,
                                                    const char     *model_path,
                                                    GCancellable   *cancellable,
                                                    GError        **error);

G_END_DECLS
