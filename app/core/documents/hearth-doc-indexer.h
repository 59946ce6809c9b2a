/* hearth-doc-indexer.h: brings a collection's index up to date with its files, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run: scan the collection's sources (folders recursively, hidden
 * entries and symbolic links skipped, only formats Hearth reads; a file
 * named as a source is always tried), then for each file
 *   - same size and mtime as indexed: unchanged, nothing read;
 *   - else its SHA-256: the same content as indexed -> only size/mtime
 *     recorded; the content of an indexed file that is gone (renamed or
 *     moved) -> that row takes the new path, its chunks and vectors kept,
 *     nothing extracted or embedded;
 *   - else extracted (hearth_doc_extract_file), chunked, embedded when the
 *     collection has a model, and written in one transaction;
 *   - a file that cannot be read is recorded as failed with the reason,
 *     and the run goes on;
 * then indexed files that are gone are removed (not those under a source
 * folder that is missing altogether: an unmounted disk does not empty the
 * index).  A run is recorded in the index's jobs table; a run killed half
 * way (kill -9, power cut) leaves every file whole, and the next run
 * skips what was written and does the rest: nothing is indexed twice.
 *
 * The collection's embedding model is checked first: a model file that
 * changed (another hash) stops the run with an error; re-indexing with
 * another model is hearth_doc_index_reset_collection(), asked for
 * explicitly, never done here.
 *
 * Progress: the properties below change on the main context of the thread
 * that called run_async (notify signals there, at most one pending
 * update), so a view can bind to them.  pause() holds the worker between
 * files (and embedding batches), resume() lets it go on; cancelling the
 * GCancellable stops it between files with G_IO_ERROR_CANCELLED, leaving
 * the index consistent.
 *
 * Threading: create, run, pause, resume and read properties on one thread
 * (the main context's); the work happens on a GTask worker thread.  One
 * run at a time per indexer.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-doc-extract.h"
#include "hearth-doc-index.h"

G_BEGIN_DECLS

/* Reads a file (the default: hearth_doc_extract_file).  Tests put their
 * own here to count and to fail on purpose. */
typedef HearthDocText *(*HearthDocExtractFunc) (const char   *path,
                                                GCancellable *cancellable,
                                                GError      **error,
                                                gpointer      user_data);

/* What a run did, for the user and for tests. */
typedef struct
{
  guint files_seen;       /* found by the scan */
  guint files_unchanged;  /* same size and mtime */
  guint files_touched;    /* other size/mtime, same content */
  guint files_extracted;  /* read, chunked (and embedded) */
  guint files_moved;      /* renamed or moved: matched by content */
  guint files_failed;     /* recorded with a reason */
  guint files_removed;    /* gone from disk */
  guint chunks_added;
  guint chunks_removed;
  guint vectors_added;
  guint sources_missing;  /* sources not there: their files kept */
  gboolean resumed;       /* an earlier run had been interrupted */
} HearthDocIndexerCounters;

#define HEARTH_TYPE_DOC_INDEXER (hearth_doc_indexer_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocIndexer, hearth_doc_indexer, HEARTH, DOC_INDEXER, GObject)

/* Properties (read-only):
 *   "collection"        string
 *   "running", "paused" boolean
 *   "files-total"       uint: files to read this run (known after the scan)
 *   "files-done"        uint
 *   "chunks"            uint: chunks written this run
 *   "bytes-total", "bytes-done"  uint64: of the files to read
 *   "bytes-per-second"  double: since the run started, pauses excluded
 *   "seconds-left"      double: estimate from the rate; -1 unknown
 *   "phase"             string: "idle", "scanning", "indexing", "removing" */
HearthDocIndexer *hearth_doc_indexer_new (HearthDocIndex *index,
                                          const char     *collection);

void     hearth_doc_indexer_set_extract_func (HearthDocIndexer    *self,
                                              HearthDocExtractFunc func,
                                              gpointer             user_data);

void     hearth_doc_indexer_run_async  (HearthDocIndexer   *self,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean hearth_doc_indexer_run_finish (HearthDocIndexer   *self,
                                        GAsyncResult       *result,
                                        GError            **error);
/* The same, blocking, on the calling thread's default main context (the
 * progress properties still change there). */
gboolean hearth_doc_indexer_run_sync   (HearthDocIndexer   *self,
                                        GCancellable       *cancellable,
                                        GError            **error);

void     hearth_doc_indexer_pause  (HearthDocIndexer *self);
void     hearth_doc_indexer_resume (HearthDocIndexer *self);

/* The counts of the last (or current) run. */
void     hearth_doc_indexer_get_counters (HearthDocIndexer         *self,
                                          HearthDocIndexerCounters *counters);

guint    hearth_doc_indexer_get_files_total (HearthDocIndexer *self);
guint    hearth_doc_indexer_get_files_done  (HearthDocIndexer *self);
guint    hearth_doc_indexer_get_chunks      (HearthDocIndexer *self);
guint64  hearth_doc_indexer_get_bytes_done  (HearthDocIndexer *self);
double   hearth_doc_indexer_get_bytes_per_second (HearthDocIndexer *self);
double   hearth_doc_indexer_get_seconds_left     (HearthDocIndexer *self);
gboolean hearth_doc_indexer_get_paused  (HearthDocIndexer *self);
gboolean hearth_doc_indexer_get_running (HearthDocIndexer *self);
const char *hearth_doc_indexer_get_phase (HearthDocIndexer *self);

G_END_DECLS
