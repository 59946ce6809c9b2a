/* hearth-doc-index.h: the encrypted index of the user's documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One SQLCipher database, documents.db, in the data folder beside the
 * history, with the history's key handling (hearth-cipher-db.h) but its own
 * key (its own keyring entry or passphrase salt, in documents.db.params).
 * Everything a document gives away is inside it: paths, titles, text,
 * headings, hashes, vectors, even the names of collections.  Nothing is
 * written outside it: no temporary file (temp_store = MEMORY), no log line
 * with a path or a text (errors name the collection at most).
 *
 * Tables (schema version 1, PRAGMA user_version):
 *   collections  name, embedding model (path, identity = "sha256:<hex>" of
 *                the file, size, mtime, dimension), chunk parameters
 *   sources      the folders and files added to a collection
 *   files        path, size, mtime, content SHA-256, format, title, status
 *                (indexed, or failed with the reason), times
 *   chunks       file, ordinal, page, line_start, line_end, text, context
 *   fts_<id>     one FTS4 table per collection over chunks(text, context),
 *                external content (the text is stored once, in chunks).
 *                Per collection so that BM25's statistics (rows, average
 *                lengths, document frequencies) are the collection's own:
 *                a search in one collection ranks the same whatever the
 *                others hold.  FTS5 is not in Debian's SQLCipher.
 *   embeddings   chunk -> int8 vector with its scale (hearth-doc-vector.h)
 *   jobs         the indexing run in progress per collection, so that a run
 *                killed (kill -9, power cut) is known and resumed
 * Each file is written in one transaction (its row, chunks, FTS entries and
 * vectors), so a crash leaves every file either as it was or as it is now.
 * Commits are not synced (WAL, synchronous = NORMAL): the index is derived
 * from the user's files, so a power cut may lose the last few files
 * written (the next run redoes them; the database stays consistent), while
 * a crash of the process loses nothing committed.
 *
 * Errors are in HEARTH_STORE_ERROR (hearth-store-error.h): the same codes
 * for keys, damage and files as the history.
 *
 * Threading: a HearthDocIndex may be used from any thread; every call takes
 * the object's lock, so calls from two threads are serialised (the indexer
 * writes from its worker thread while the main thread lists or searches).
 * Ownership: returned structs and arrays belong to the caller.
 */
#pragma once

#include <glib-object.h>

#include "hearth-doc-chunk.h"
#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_DOC_INDEX_SCHEMA_VERSION 1
#define HEARTH_DOC_INDEX_FILE_NAME "documents.db"

typedef struct
{
  const char               *data_dir;        /* NULL: $XDG_DATA_HOME/hearth */
  HearthStoreKeySource      key_source;      /* for a new database */
  HearthStorePassphraseFunc passphrase_func; /* NULL: no one to ask */
  gpointer                  passphrase_data;
  guint                     passphrase_iterations; /* 0: default */
} HearthDocIndexParams;

void hearth_doc_index_params_init (HearthDocIndexParams *params);

#define HEARTH_TYPE_DOC_INDEX (hearth_doc_index_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocIndex, hearth_doc_index, HEARTH, DOC_INDEX, GObject)

HearthDocIndex *hearth_doc_index_open (const HearthDocIndexParams *params,
                                       GError                    **error);
const char     *hearth_doc_index_get_path (HearthDocIndex *self);
HearthStoreKeySource hearth_doc_index_get_key_source (HearthDocIndex *self);
/* PRAGMA integrity_check plus the index's own invariants: every chunk's
 * FTS entry and file, every vector's chunk, no duplicate path. */
gboolean        hearth_doc_index_check (HearthDocIndex *self,
                                        GError        **error);
/* Bytes of the database (pages in use) and its WAL. */
gint64          hearth_doc_index_get_size (HearthDocIndex *self);

/* ---- collections ---- */

typedef struct
{
  gint64  id;
  char   *name;
  char   *embed_model;     /* absolute path; NULL: BM25 only */
  char   *embed_model_id;  /* "sha256:<hex>" of the file */
  gint64  embed_model_size;
  gint64  embed_model_mtime;
  guint   embed_dim;
  guint   chunk_max_tokens;
  guint   chunk_overlap;
  gint64  created;          /* microseconds since the epoch */
  /* Filled by get/list: */
  gint64  n_files;          /* indexed */
  gint64  n_failed;
  gint64  n_chunks;
  gint64  n_vectors;
  gint64  total_bytes;      /* of the indexed files */
  gboolean interrupted;     /* a run was stopped before its end (jobs) */
} HearthDocCollection;

void hearth_doc_collection_free (HearthDocCollection *collection);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocCollection, hearth_doc_collection_free)

/* The model of a collection: path, identity, size, mtime, dimension. */
typedef struct
{
  const char *path;
  const char *identity;
  gint64      size;
  gint64      mtime;
  guint       dim;
} HearthDocEmbedModelInfo;

/* Creates @name with @model (NULL: none) and the chunk parameters, or
 * returns the existing one.  An existing collection whose model differs
 * from @model is INVALID_ARGUMENT: changing it is an explicit re-index
 * (hearth_doc_index_reset_collection), never a side effect. */
HearthDocCollection *hearth_doc_index_ensure_collection (HearthDocIndex                *self,
                                                         const char                    *name,
                                                         const HearthDocEmbedModelInfo *model,
                                                         guint                          chunk_max_tokens,
                                                         guint                          chunk_overlap,
                                                         GError                       **error);
/* NOT_FOUND when there is none. */
HearthDocCollection *hearth_doc_index_get_collection (HearthDocIndex *self,
                                                      const char     *name,
                                                      GError        **error);
/* Ordered by name; an array of HearthDocCollection. */
GPtrArray *hearth_doc_index_list_collections (HearthDocIndex *self,
                                              GError        **error);
gboolean   hearth_doc_index_remove_collection (HearthDocIndex *self,
                                               const char     *name,
                                               GError        **error);
/* The explicit re-index: sets @model (NULL: none) and forgets every file,
 * so that the next run extracts, chunks and embeds all of them again. */
gboolean   hearth_doc_index_reset_collection (HearthDocIndex                *self,
                                              gint64                         collection_id,
                                              const HearthDocEmbedModelInfo *model,
                                              GError                       **error);
/* The model's file changed in place (same identity): new size and mtime. */
gboolean   hearth_doc_index_update_model_stat (HearthDocIndex *self,
                                               gint64          collection_id,
                                               gint64          size,
                                               gint64          mtime,
                                               GError        **error);

/* ---- sources ---- */

/* @path must be absolute; adding one twice changes nothing. */
gboolean   hearth_doc_index_add_source (HearthDocIndex *self,
                                        gint64          collection_id,
                                        const char     *path,
                                        GError        **error);
/* Removes the source and the files indexed from it; NOT_FOUND when @path
 * is no source of the collection. */
gboolean   hearth_doc_index_remove_source (HearthDocIndex *self,
                                           gint64          collection_id,
                                           const char     *path,
                                           GError        **error);
/* The sources' paths, sorted: an array of strings. */
GPtrArray *hearth_doc_index_list_sources (HearthDocIndex *self,
                                          gint64          collection_id,
                                          GError        **error);

/* ---- files ---- */

typedef enum
{
  HEARTH_DOC_FILE_INDEXED,
  HEARTH_DOC_FILE_FAILED,
} HearthDocFileStatus;

typedef struct
{
  gint64              id;
  char               *path;
  gint64              size;
  gint64              mtime;   /* microseconds */
  char               *sha256;  /* hex; NULL when the file could not be read */
  char               *format;  /* "text", "pdf", ...; NULL when unknown */
  char               *title;
  HearthDocFileStatus status;
  char               *reason;  /* FAILED: why, in words */
  guint               n_chunks;
  gint64              indexed; /* when, microseconds */
} HearthDocFileInfo;

void hearth_doc_file_info_free (HearthDocFileInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocFileInfo, hearth_doc_file_info_free)

/* Ordered by path; an array of HearthDocFileInfo. */
GPtrArray *hearth_doc_index_list_files (HearthDocIndex *self,
                                        gint64          collection_id,
                                        GError        **error);

/* In one transaction: replaces the file at @info->path (its chunks, FTS
 * entries and vectors) with @info and @chunks (HearthDocChunk, may be
 * NULL for a failed file) and their @vectors (NULL, or one float vector of
 * the collection's dimension per chunk).  @n_removed gets the chunks the
 * old version had.  Returns the file's id or 0. */
gint64   hearth_doc_index_write_file (HearthDocIndex          *self,
                                      gint64                   collection_id,
                                      const HearthDocFileInfo *info,
                                      GPtrArray               *chunks,
                                      const float             *vectors,
                                      guint                   *n_removed,
                                      GError                 **error);
/* A file renamed or moved, content unchanged: its row (and with it its
 * chunks and vectors) takes the new path. */
gboolean hearth_doc_index_move_file (HearthDocIndex *self,
                                     gint64          file_id,
                                     const char     *new_path,
                                     gint64          size,
                                     gint64          mtime,
                                     GError        **error);
/* Same content, new size/mtime (touched, or copied over itself). */
gboolean hearth_doc_index_touch_file (HearthDocIndex *self,
                                      gint64          file_id,
                                      gint64          size,
                                      gint64          mtime,
                                      GError        **error);
/* Removes the file with its chunks; @n_removed gets how many. */
gboolean hearth_doc_index_delete_file (HearthDocIndex *self,
                                       gint64          file_id,
                                       guint          *n_removed,
                                       GError        **error);

/* ---- chunks, as stored ---- */

typedef struct
{
  gint64  id;
  gint64  file_id;
  guint   ordinal;
  guint   page;
  guint   line_start;
  guint   line_end;
  char   *text;
  char   *context;
} HearthDocStoredChunk;

void hearth_doc_stored_chunk_free (HearthDocStoredChunk *chunk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocStoredChunk, hearth_doc_stored_chunk_free)

/* In order; an array of HearthDocStoredChunk. */
GPtrArray *hearth_doc_index_get_chunks (HearthDocIndex *self,
                                        gint64          file_id,
                                        GError        **error);
/* Chunks of the collection that have a vector. */
gint64     hearth_doc_index_count_vectors (HearthDocIndex *self,
                                           gint64          collection_id,
                                           GError        **error);

/* ---- the run in progress (jobs) ---- */

/* Records that a run of @collection_id starts (or goes on after a crash:
 * @resumed is TRUE when a run was already recorded and never ended). */
gboolean hearth_doc_index_begin_job (HearthDocIndex *self,
                                     gint64          collection_id,
                                     gboolean       *resumed,
                                     GError        **error);
gboolean hearth_doc_index_end_job   (HearthDocIndex *self,
                                     gint64          collection_id,
                                     GError        **error);

/* ---- batches ---- */

/* From begin_batch to end_batch, the writes the calling thread makes share
 * one transaction, committed every quarter of a second (and by
 * flush_batch, end_batch, or any call from another thread, which never
 * sees or joins it). A crash loses the uncommitted writes, never part of
 * one. A write that fails undoes the batch's uncommitted writes with its
 * own and returns the error; a commit that fails (made by another thread's
 * call) does the same and is told by the owner's next write or by
 * end_batch. Either way the caller stops: the indexer's run fails, and the
 * next run redoes the files that were lost. One batch at a time; the
 * indexer opens one for each run. */
void     hearth_doc_index_begin_batch (HearthDocIndex *self);
void     hearth_doc_index_flush_batch (HearthDocIndex *self);
gboolean hearth_doc_index_end_batch   (HearthDocIndex *self,
                                       GError        **error);

G_END_DECLS
