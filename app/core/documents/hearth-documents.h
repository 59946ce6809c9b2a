/* hearth-documents.h: the app's document index, indexer and retriever, for the views
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: the one object a front end goes through for document Q&A: it owns
 * the opened index (documents.db, opened by the caller with the history's
 * key handling), Hearth's own retriever (added to the runtime by
 * hearth_documents_attach) and the indexer runs.  A view lists and
 * changes collections here and binds to the indexer of the run on show
 * (:indexer; its progress properties change on this main context); it
 * never writes the index or drives the indexer itself.
 *
 * Runs: one at a time.  Adding a folder, or asking for an update, of a
 * collection while another is indexed queues it; the queue runs in order.
 * The last run's indexer stays as :indexer after it ends (running FALSE),
 * so a view can say "3 of 3 files" when it is done.
 *
 * Watching (hearth_documents_watch, once, by the app): every collection is
 * brought up to date first (what changed while the app was not running:
 * sizes, times, hashes), then its sources are watched
 * (hearth-doc-watcher.h) and a change on disk queues an update of its
 * collection, which redoes only what changed.
 *
 * Without an index (it could not be opened) every call fails with the
 * reason given at creation (hearth_documents_get_error).
 *
 * Signals: "changed" (collections, sources or files changed: a run ended,
 * a collection was created or removed); "run-failed" (const char *name,
 * const char *message).
 * Threading: the main context; indexing runs on the indexer's worker thread.
 */
#pragma once

#include "hearth-doc-index.h"
#include "hearth-doc-indexer.h"
#include "hearth-doc-reindex-plan.h"
#include "hearth-doc-watcher.h"
#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DOCUMENTS (hearth_documents_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocuments, hearth_documents, HEARTH, DOCUMENTS, GObject)

/* @index may be NULL: then @error says why there is none. */
HearthDocuments  *hearth_documents_new               (HearthDocIndex  *index,
                                                      const GError    *error);
/* Adds the retriever to @runtime and keeps @self with it (a reference),
 * for hearth_documents_get_for_runtime. */
void              hearth_documents_attach            (HearthDocuments *self,
                                                      HearthRuntime   *runtime);
/* NULL when none was attached. */
HearthDocuments  *hearth_documents_get_for_runtime   (HearthRuntime   *runtime);

/* NULL when the index is open. */
const char       *hearth_documents_get_error         (HearthDocuments *self);
/* An array of HearthDocCollection, by name. */
GPtrArray        *hearth_documents_list_collections  (HearthDocuments *self,
                                                      GError         **error);
/* An array of strings. */
GPtrArray        *hearth_documents_list_sources      (HearthDocuments *self,
                                                      gint64           collection_id,
                                                      GError         **error);
/* The files recorded as failed, with their reasons: HearthDocFileInfo. */
GPtrArray        *hearth_documents_list_failed_files (HearthDocuments *self,
                                                      gint64           collection_id,
                                                      GError         **error);
/* A new collection, BM25 only; an existing name is EXISTS. */
gboolean          hearth_documents_create_collection (HearthDocuments *self,
                                                      const char      *name,
                                                      GError         **error);
/* Refused (BUSY) while it is being indexed or queued. */
gboolean          hearth_documents_remove_collection (HearthDocuments *self,
                                                      const char      *name,
                                                      GError         **error);
/* Adds the folder (absolute path) and indexes the collection (queued). */
gboolean          hearth_documents_add_folder        (HearthDocuments *self,
                                                      const char      *name,
                                                      const char      *path,
                                                      GError         **error);
gboolean          hearth_documents_remove_source     (HearthDocuments *self,
                                                      const char      *name,
                                                      const char      *path,
                                                      GError         **error);
/* Brings @name up to date (queued). */
void              hearth_documents_update            (HearthDocuments *self,
                                                      const char      *name);

/* Another embedding model for @name (@model_path NULL: none, BM25 only)
 * is a full re-index, which the user agrees to first: plan it (a worker
 * thread measures what it will cost, hearth-doc-reindex-plan.h), show the
 * estimate, then hearth_documents_reindex.  Refused (BUSY) while @name is
 * being indexed or queued; the plan's model must still be the file it
 * measured (else the run fails, saying so). */
void                  hearth_documents_plan_reindex_async  (HearthDocuments      *self,
                                                            const char           *name,
                                                            const char           *model_path,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
HearthDocReindexPlan *hearth_documents_plan_reindex_finish (HearthDocuments      *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
gboolean              hearth_documents_reindex             (HearthDocuments            *self,
                                                            const HearthDocReindexPlan *plan,
                                                            GError                    **error);

/* The run in progress, or the last one; NULL before any. */
HearthDocIndexer *hearth_documents_get_indexer       (HearthDocuments *self);
void              hearth_documents_pause             (HearthDocuments *self);
void              hearth_documents_resume            (HearthDocuments *self);
/* Starts watching (see above); NULL from get_watcher before. */
void              hearth_documents_watch             (HearthDocuments *self);
HearthDocWatcher *hearth_documents_get_watcher       (HearthDocuments *self);
/* Stops the run between files (what is written stays) and the queue. */
void              hearth_documents_cancel            (HearthDocuments *self);

G_END_DECLS
