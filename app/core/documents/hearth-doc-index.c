/* hearth-doc-index.c: the encrypted document index: schema, collections, files, chunks, vectors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-cipher-db.h"
#include "hearth-doc-index-private.h"
#include "hearth-doc-vector.h"

#define NOUN "document index"

struct _HearthDocIndex
{
  GObject              parent_instance;
  GRecMutex            lock;
  sqlite3             *db;
  char                *path;
  HearthStoreKeySource key_source;
  GHashTable          *vectors; /* collection id (gint64 *) -> HearthDocVectors */

  /* The batch (hearth_doc_index_begin_batch): its thread, whether its
   * transaction is open and since when, and the error of a commit that
   * another thread's call made (told at the owner's next commit). */
  GThread             *batch_owner;
  gboolean             batch_open;
  gint64               batch_since;
  GError              *batch_error;
};

G_DEFINE_FINAL_TYPE (HearthDocIndex, hearth_doc_index, G_TYPE_OBJECT)

static void
hearth_doc_index_finalize (GObject *object)
{
  HearthDocIndex *self = HEARTH_DOC_INDEX (object);

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_hash_table_unref (self->vectors);
  g_clear_error (&self->batch_error);
  g_rec_mutex_clear (&self->lock);
  G_OBJECT_CLASS (hearth_doc_index_parent_class)->finalize (object);
}

static void
hearth_doc_index_class_init (HearthDocIndexClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_doc_index_finalize;
}

static void
hearth_doc_index_init (HearthDocIndex *self)
{
  g_rec_mutex_init (&self->lock);
  self->vectors = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify) _hearth_doc_vectors_unref);
}

void
hearth_doc_index_params_init (HearthDocIndexParams *params)
{
  memset (params, 0, sizeof *params);
  params->key_source = HEARTH_STORE_KEY_AUTO;
}

/* ---- helpers ---- */

static void flush_batch (HearthDocIndex *self);

sqlite3 *
_hearth_doc_index_lock (HearthDocIndex *self)
{
  g_rec_mutex_lock (&self->lock);
  /* Another thread never sees or joins the batch's open transaction. */
  if (self->batch_open && self->batch_owner != g_thread_self ())
    flush_batch (self);
  return self->db;
}

void
_hearth_doc_index_unlock (HearthDocIndex *self)
{
  g_rec_mutex_unlock (&self->lock);
}

/* Holds the lock for the rest of the enclosing block. */
typedef HearthDocIndex Locked;
static void
unlock_locked (Locked *self)
{
  _hearth_doc_index_unlock (self);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Locked, unlock_locked)
#define LOCK(self) g_autoptr(Locked) G_GNUC_UNUSED G_PASTE (locked_, __LINE__) = (_hearth_doc_index_lock (self), (self))

void
_hearth_doc_index_set_sql_error (HearthDocIndex *self,
                                 GError        **error,
                                 int             rc,
                                 const char     *what)
{
  hearth_cipher_db_set_error (self->db, NOUN, error, rc, what);
}

static gboolean
exec (HearthDocIndex *self,
      const char     *sql,
      GError        **error)
{
  return hearth_cipher_db_exec (self->db, NOUN, sql, error);
}

static sqlite3_stmt *
prepare (HearthDocIndex *self,
         const char     *sql,
         GError        **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "prepare");
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* Steps a statement that returns no row. */
static gboolean
step_done (HearthDocIndex *self,
           sqlite3_stmt   *stmt,
           const char     *what,
           GError        **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, what);
      return FALSE;
    }
  return TRUE;
}

/* ---- transactions and batches ---- */

/* A batch's transaction is committed once it is this old (microseconds):
 * a crash loses at most that much work, and the commits are few. */
#define BATCH_MAX_AGE (250 * G_TIME_SPAN_MILLISECOND)

static gboolean
in_batch (HearthDocIndex *self)
{
  return self->batch_owner == g_thread_self ();
}

/* Commits the batch's open transaction (lock held); on failure it is rolled
 * back and the error kept for the owner. */
static void
flush_batch (HearthDocIndex *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->batch_open)
    return;
  self->batch_open = FALSE;
  if (!exec (self, "COMMIT", &error))
    {
      if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
      /* What this connection cached may hold the lost rows. */
      g_hash_table_remove_all (self->vectors);
      if (self->batch_error == NULL)
        self->batch_error = g_steal_pointer (&error);
    }
}

/* Owner of a batch: the error of a lost batch, once. */
static gboolean
take_batch_error (HearthDocIndex *self,
                  GError        **error)
{
  if (self->batch_error == NULL || !in_batch (self))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&self->batch_error));
  return FALSE;
}

/* One write's transaction: its own, or the batch's. Not a savepoint in
 * the batch's: FTS4 writes its pending terms out at every savepoint, which
 * costs more than the commits the batch saves. */
static gboolean
begin (HearthDocIndex *self,
       GError        **error)
{
  if (!in_batch (self))
    return exec (self, "BEGIN IMMEDIATE", error);
  if (!take_batch_error (self, error))
    return FALSE;
  if (!self->batch_open)
    {
      if (!exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      self->batch_open = TRUE;
      self->batch_since = g_get_monotonic_time ();
    }
  return TRUE;
}

/* A failed write: its transaction is undone; in a batch, with the batch's
 * uncommitted writes (the failing call returns the error). */
static void
rollback (HearthDocIndex *self)
{
  if (in_batch (self))
    {
      if (self->batch_open)
        g_hash_table_remove_all (self->vectors);
      self->batch_open = FALSE;
    }
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static gboolean
commit (HearthDocIndex *self,
        GError        **error)
{
  if (in_batch (self) && self->batch_open)
    {
      if (g_get_monotonic_time () - self->batch_since >= BATCH_MAX_AGE)
        flush_batch (self);
      return take_batch_error (self, error);
    }
  if (!exec (self, "COMMIT", error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

void
hearth_doc_index_begin_batch (HearthDocIndex *self)
{
  LOCK (self);
  g_return_if_fail (self->batch_owner == NULL);
  self->batch_owner = g_thread_self ();
}

void
hearth_doc_index_flush_batch (HearthDocIndex *self)
{
  LOCK (self);
  g_return_if_fail (in_batch (self));
  flush_batch (self);
}

gboolean
hearth_doc_index_end_batch (HearthDocIndex *self,
                            GError        **error)
{
  LOCK (self);
  gboolean ok;

  g_return_val_if_fail (in_batch (self), FALSE);
  flush_batch (self);
  ok = take_batch_error (self, error);
  self->batch_owner = NULL;
  return ok;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           col,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, col);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

static gint64
query_int64 (HearthDocIndex *self,
             const char     *sql,
             gint64          arg,
             GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, arg);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    return 0;
  _hearth_doc_index_set_sql_error (self, error, rc, "query");
  return -1;
}

/* A collection's vectors change: the cached copy goes. */
static void
forget_vectors (HearthDocIndex *self,
                gint64          collection_id)
{
  g_hash_table_remove (self->vectors, &collection_id);
}

static char *
fts_name (gint64 collection_id)
{
  return g_strdup_printf ("fts_%" G_GINT64_FORMAT, collection_id);
}

/* ---- schema ---- */

static const char * const migrations[] = {
  /* 1 */
  "CREATE TABLE collections ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  embed_model TEXT,"
  "  embed_model_id TEXT,"
  "  embed_model_size INTEGER NOT NULL DEFAULT 0,"
  "  embed_model_mtime INTEGER NOT NULL DEFAULT 0,"
  "  embed_dim INTEGER NOT NULL DEFAULT 0,"
  "  chunk_max_tokens INTEGER NOT NULL,"
  "  chunk_overlap INTEGER NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE sources ("
  "  id INTEGER PRIMARY KEY,"
  "  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
  "  path TEXT NOT NULL,"
  "  added INTEGER NOT NULL,"
  "  UNIQUE (collection_id, path));"
  "CREATE TABLE files ("
  "  id INTEGER PRIMARY KEY,"
  "  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,"
  "  path TEXT NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  mtime INTEGER NOT NULL,"
  "  sha256 TEXT,"
  "  format TEXT,"
  "  title TEXT,"
  "  status TEXT NOT NULL CHECK (status IN ('indexed', 'failed')),"
  "  reason TEXT,"
  "  n_chunks INTEGER NOT NULL DEFAULT 0,"
  "  indexed INTEGER NOT NULL,"
  "  UNIQUE (collection_id, path));"
  "CREATE INDEX files_by_hash ON files(collection_id, sha256);"
  "CREATE TABLE chunks ("
  "  id INTEGER PRIMARY KEY,"
  "  file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,"
  "  ordinal INTEGER NOT NULL,"
  "  page INTEGER NOT NULL,"
  "  line_start INTEGER NOT NULL,"
  "  line_end INTEGER NOT NULL,"
  "  text TEXT NOT NULL,"
  "  context TEXT,"
  "  UNIQUE (file_id, ordinal));"
  "CREATE TABLE embeddings ("
  "  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,"
  "  vector BLOB NOT NULL);"
  "CREATE TABLE jobs ("
  "  collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,"
  "  started INTEGER NOT NULL,"
  "  runs INTEGER NOT NULL DEFAULT 1);",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HEARTH_DOC_INDEX_SCHEMA_VERSION);

static gboolean
migrate (HearthDocIndex *self,
         GError        **error)
{
  g_autofree char *text = hearth_cipher_db_query_text (self->db, "PRAGMA user_version");
  guint64 version = text != NULL ? g_ascii_strtoull (text, NULL, 10) : 0;

  if (version > HEARTH_DOC_INDEX_SCHEMA_VERSION)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_TOO_NEW,
                   "The document index has schema version %" G_GUINT64_FORMAT
                   "; this Hearth reads up to %d", version, HEARTH_DOC_INDEX_SCHEMA_VERSION);
      return FALSE;
    }
  if (version == HEARTH_DOC_INDEX_SCHEMA_VERSION)
    return TRUE;
  if (!begin (self, error))
    return FALSE;
  for (guint64 v = version; v < HEARTH_DOC_INDEX_SCHEMA_VERSION; v++)
    {
      char sql[64];

      g_snprintf (sql, sizeof sql, "PRAGMA user_version = %" G_GUINT64_FORMAT, v + 1);
      if (!exec (self, migrations[v], error) || !exec (self, sql, error))
        {
          g_prefix_error (error, "Upgrading the document index to schema %" G_GUINT64_FORMAT ": ", v + 1);
          rollback (self);
          return FALSE;
        }
    }
  return commit (self, error);
}

HearthDocIndex *
hearth_doc_index_open (const HearthDocIndexParams *params,
                       GError                    **error)
{
  g_autoptr(HearthDocIndex) self = g_object_new (HEARTH_TYPE_DOC_INDEX, NULL);
  g_autofree char *data_dir = NULL;
  HearthCipherDbParams cp = { 0 };
  HearthCipherDbInfo info = { 0 };

  g_return_val_if_fail (params != NULL, NULL);

  data_dir = params->data_dir != NULL ? g_strdup (params->data_dir)
                                      : g_build_filename (g_get_user_data_dir (), "hearth", NULL);
  cp.data_dir = data_dir;
  cp.file_name = HEARTH_DOC_INDEX_FILE_NAME;
  cp.noun = NOUN;
  cp.key_label = "Hearth document index key";
  cp.key_source = params->key_source;
  cp.passphrase_func = params->passphrase_func;
  cp.passphrase_data = params->passphrase_data;
  cp.passphrase_iterations = params->passphrase_iterations;
  self->db = hearth_cipher_db_open (&cp, &info, error);
  if (self->db == NULL)
    return NULL;
  self->path = g_steal_pointer (&info.path);
  self->key_source = info.key_source;
  hearth_cipher_db_info_clear (&info);
  if (!hearth_cipher_db_exec (self->db, NOUN, "PRAGMA synchronous = NORMAL", error))
    return NULL;
  if (!migrate (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
hearth_doc_index_get_path (HearthDocIndex *self)
{
  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (self), NULL);
  return self->path;
}

HearthStoreKeySource
hearth_doc_index_get_key_source (HearthDocIndex *self)
{
  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (self), HEARTH_STORE_KEY_AUTO);
  return self->key_source;
}

gint64
hearth_doc_index_get_size (HearthDocIndex *self)
{
  LOCK (self);
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  GStatBuf st;
  gint64 pages = query_int64 (self, "PRAGMA page_count", 0, NULL);
  gint64 free_pages = query_int64 (self, "PRAGMA freelist_count", 0, NULL);
  gint64 page_size = query_int64 (self, "PRAGMA page_size", 0, NULL);
  gint64 size = MAX (pages - free_pages, 0) * MAX (page_size, 0);

  if (g_stat (wal, &st) == 0)
    size += st.st_size;
  return size;
}

/* ---- collections ---- */

void
hearth_doc_collection_free (HearthDocCollection *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_free (c->embed_model);
  g_free (c->embed_model_id);
  g_free (c);
}

#define COLLECTION_COLUMNS \
  "c.id, c.name, c.embed_model, c.embed_model_id, c.embed_model_size, c.embed_model_mtime, " \
  "c.embed_dim, c.chunk_max_tokens, c.chunk_overlap, c.created, " \
  "(SELECT count(*) FROM files f WHERE f.collection_id = c.id AND f.status = 'indexed'), " \
  "(SELECT count(*) FROM files f WHERE f.collection_id = c.id AND f.status = 'failed'), " \
  "(SELECT coalesce(sum(n_chunks), 0) FROM files f WHERE f.collection_id = c.id), " \
  "(SELECT count(*) FROM embeddings e JOIN chunks k ON k.id = e.chunk_id JOIN files f ON f.id = k.file_id" \
  "  WHERE f.collection_id = c.id), " \
  "(SELECT coalesce(sum(size), 0) FROM files f WHERE f.collection_id = c.id AND f.status = 'indexed'), " \
  "EXISTS (SELECT 1 FROM jobs j WHERE j.collection_id = c.id)"

static HearthDocCollection *
collection_from_row (sqlite3_stmt *stmt)
{
  HearthDocCollection *c = g_new0 (HearthDocCollection, 1);

  c->id = sqlite3_column_int64 (stmt, 0);
  c->name = column_dup (stmt, 1);
  c->embed_model = column_dup (stmt, 2);
  c->embed_model_id = column_dup (stmt, 3);
  c->embed_model_size = sqlite3_column_int64 (stmt, 4);
  c->embed_model_mtime = sqlite3_column_int64 (stmt, 5);
  c->embed_dim = (guint) sqlite3_column_int (stmt, 6);
  c->chunk_max_tokens = (guint) sqlite3_column_int (stmt, 7);
  c->chunk_overlap = (guint) sqlite3_column_int (stmt, 8);
  c->created = sqlite3_column_int64 (stmt, 9);
  c->n_files = sqlite3_column_int64 (stmt, 10);
  c->n_failed = sqlite3_column_int64 (stmt, 11);
  c->n_chunks = sqlite3_column_int64 (stmt, 12);
  c->n_vectors = sqlite3_column_int64 (stmt, 13);
  c->total_bytes = sqlite3_column_int64 (stmt, 14);
  c->interrupted = sqlite3_column_int (stmt, 15) != 0;
  return c;
}

HearthDocCollection *
hearth_doc_index_get_collection (HearthDocIndex *self,
                                 const char     *name,
                                 GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT " COLLECTION_COLUMNS
                                          " FROM collections c WHERE c.name = ?", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return collection_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                 "There is no document collection named '%s'", name);
  else
    _hearth_doc_index_set_sql_error (self, error, rc, "reading a collection");
  return NULL;
}

gboolean
_hearth_doc_index_lookup_collection (HearthDocIndex *self,
                                     const char     *name,
                                     gint64         *id,
                                     guint          *dim,
                                     GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT id, embed_dim FROM collections WHERE name = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (stmt, 0);
      *dim = (guint) sqlite3_column_int (stmt, 1);
      return TRUE;
    }
  if (rc == SQLITE_DONE)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                 "There is no document collection named '%s'", name);
  else
    _hearth_doc_index_set_sql_error (self, error, rc, "reading a collection");
  return FALSE;
}

GPtrArray *
hearth_doc_index_list_collections (HearthDocIndex *self,
                                   GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT " COLLECTION_COLUMNS
                                          " FROM collections c ORDER BY c.name", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_collection_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, collection_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "listing collections");
      return NULL;
    }
  return g_steal_pointer (&list);
}

static gboolean
same_model (const HearthDocCollection     *c,
            const HearthDocEmbedModelInfo *model)
{
  if (model == NULL || model->identity == NULL)
    return c->embed_model_id == NULL;
  return g_strcmp0 (c->embed_model_id, model->identity) == 0 && c->embed_dim == model->dim;
}

static gboolean
validate_name (const char *name,
               GError    **error)
{
  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL) || strlen (name) > 200)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "A collection needs a name (UTF-8, at most 200 bytes)");
      return FALSE;
    }
  return TRUE;
}

HearthDocCollection *
hearth_doc_index_ensure_collection (HearthDocIndex                *self,
                                    const char                    *name,
                                    const HearthDocEmbedModelInfo *model,
                                    guint                          chunk_max_tokens,
                                    guint                          chunk_overlap,
                                    GError                       **error)
{
  LOCK (self);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HearthDocCollection) existing = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *fts = NULL;
  g_autofree char *create = NULL;
  gint64 id;

  if (!validate_name (name, error))
    return NULL;
  existing = hearth_doc_index_get_collection (self, name, &local_error);
  if (existing != NULL)
    {
      if (!same_model (existing, model))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                       "The collection '%s' is indexed %s; changing the embedding model "
                       "means re-indexing it, which is only done when asked for (docs reindex)",
                       name, existing->embed_model != NULL ? "with another embedding model"
                                                           : "without an embedding model");
          return NULL;
        }
      return g_steal_pointer (&existing);
    }
  if (!g_error_matches (local_error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (chunk_max_tokens == 0 || chunk_overlap >= chunk_max_tokens)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Chunks need a positive size larger than their overlap");
      return NULL;
    }

  if (!begin (self, error))
    return NULL;
  stmt = prepare (self, "INSERT INTO collections (name, embed_model, embed_model_id, embed_model_size,"
                  " embed_model_mtime, embed_dim, chunk_max_tokens, chunk_overlap, created)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 2, model != NULL ? model->path : NULL);
  bind_text_or_null (stmt, 3, model != NULL ? model->identity : NULL);
  sqlite3_bind_int64 (stmt, 4, model != NULL ? model->size : 0);
  sqlite3_bind_int64 (stmt, 5, model != NULL ? model->mtime : 0);
  sqlite3_bind_int (stmt, 6, model != NULL ? (int) model->dim : 0);
  sqlite3_bind_int (stmt, 7, (int) chunk_max_tokens);
  sqlite3_bind_int (stmt, 8, (int) chunk_overlap);
  sqlite3_bind_int64 (stmt, 9, g_get_real_time ());
  if (!step_done (self, stmt, "adding a collection", error))
    goto fail;
  id = sqlite3_last_insert_rowid (self->db);
  fts = fts_name (id);
  /* unicode61 without diacritics: "café" finds "cafe"; external content:
   * the text lives once, in chunks. */
  create = g_strdup_printf ("CREATE VIRTUAL TABLE %s USING fts4(content=\"chunks\", text, context,"
                            " tokenize=unicode61 \"remove_diacritics=1\")", fts);
  if (!exec (self, create, error) || !commit (self, error))
    goto fail;
  return hearth_doc_index_get_collection (self, name, error);

fail:
  rollback (self);
  return NULL;
}

/* Removes the FTS entries of a file's chunks.  External-content FTS4
 * reads the old text from chunks to take it out of the index, so this runs
 * while the chunk rows are still there, before the file row is deleted
 * (which deletes the chunks and their vectors by cascade). */
static gboolean
forget_fts_of_file (HearthDocIndex *self,
                    gint64          collection_id,
                    gint64          file_id,
                    guint          *n_removed,
                    GError        **error)
{
  g_autofree char *fts = fts_name (collection_id);
  g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE docid = ?", fts);
  g_autoptr(sqlite3_stmt) ids = prepare (self, "SELECT id FROM chunks WHERE file_id = ?", error);
  g_autoptr(sqlite3_stmt) del = NULL;
  guint n = 0;
  int rc;

  if (ids == NULL || (del = prepare (self, sql, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (ids, 1, file_id);
  while ((rc = sqlite3_step (ids)) == SQLITE_ROW)
    {
      sqlite3_bind_int64 (del, 1, sqlite3_column_int64 (ids, 0));
      if (!step_done (self, del, "removing a chunk from the full-text index", error))
        return FALSE;
      sqlite3_reset (del);
      n++;
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "reading chunks");
      return FALSE;
    }
  if (n_removed != NULL)
    *n_removed = n;
  return TRUE;
}

static gboolean
delete_file_locked (HearthDocIndex *self,
                    gint64          collection_id,
                    gint64          file_id,
                    guint          *n_removed,
                    GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!forget_fts_of_file (self, collection_id, file_id, n_removed, error))
    return FALSE;
  stmt = prepare (self, "DELETE FROM files WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, file_id);
  return step_done (self, stmt, "removing a file", error);
}

/* Every file of the collection, FTS entries first. */
static gboolean
delete_all_files_locked (HearthDocIndex *self,
                         gint64          collection_id,
                         GError        **error)
{
  g_autofree char *fts = fts_name (collection_id);
  g_autofree char *sql = g_strdup_printf ("DELETE FROM %s", fts);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  /* Deleting every row of an external-content table reads each one's text
   * back from chunks: still there at this point. */
  if (!exec (self, sql, error))
    return FALSE;
  stmt = prepare (self, "DELETE FROM files WHERE collection_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  return step_done (self, stmt, "removing files", error);
}

gboolean
hearth_doc_index_remove_collection (HearthDocIndex *self,
                                    const char     *name,
                                    GError        **error)
{
  LOCK (self);
  g_autoptr(HearthDocCollection) c = hearth_doc_index_get_collection (self, name, error);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *fts = NULL;
  g_autofree char *drop = NULL;

  if (c == NULL)
    return FALSE;
  fts = fts_name (c->id);
  drop = g_strdup_printf ("DROP TABLE IF EXISTS %s", fts);
  if (!begin (self, error))
    return FALSE;
  if (!exec (self, drop, error) ||
      (stmt = prepare (self, "DELETE FROM collections WHERE id = ?", error)) == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, c->id);
  if (!step_done (self, stmt, "removing a collection", error) || !commit (self, error))
    goto fail;
  forget_vectors (self, c->id);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

gboolean
hearth_doc_index_reset_collection (HearthDocIndex                *self,
                                   gint64                         collection_id,
                                   const HearthDocEmbedModelInfo *model,
                                   GError                       **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!begin (self, error))
    return FALSE;
  if (!delete_all_files_locked (self, collection_id, error))
    goto fail;
  stmt = prepare (self, "UPDATE collections SET embed_model = ?, embed_model_id = ?, embed_model_size = ?,"
                  " embed_model_mtime = ?, embed_dim = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  bind_text_or_null (stmt, 1, model != NULL ? model->path : NULL);
  bind_text_or_null (stmt, 2, model != NULL ? model->identity : NULL);
  sqlite3_bind_int64 (stmt, 3, model != NULL ? model->size : 0);
  sqlite3_bind_int64 (stmt, 4, model != NULL ? model->mtime : 0);
  sqlite3_bind_int (stmt, 5, model != NULL ? (int) model->dim : 0);
  sqlite3_bind_int64 (stmt, 6, collection_id);
  if (!step_done (self, stmt, "changing the embedding model", error) || !commit (self, error))
    goto fail;
  forget_vectors (self, collection_id);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

gboolean
hearth_doc_index_update_model_stat (HearthDocIndex *self,
                                    gint64          collection_id,
                                    gint64          size,
                                    gint64          mtime,
                                    GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "UPDATE collections SET embed_model_size = ?,"
                                          " embed_model_mtime = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, size);
  sqlite3_bind_int64 (stmt, 2, mtime);
  sqlite3_bind_int64 (stmt, 3, collection_id);
  return step_done (self, stmt, "updating the model", error);
}

/* ---- sources ---- */

gboolean
hearth_doc_index_add_source (HearthDocIndex *self,
                             gint64          collection_id,
                             const char     *path,
                             GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (path == NULL || !g_path_is_absolute (path))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "A source must be an absolute path");
      return FALSE;
    }
  stmt = prepare (self, "INSERT OR IGNORE INTO sources (collection_id, path, added) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  sqlite3_bind_text (stmt, 2, path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return step_done (self, stmt, "adding a source", error);
}

GPtrArray *
hearth_doc_index_list_sources (HearthDocIndex *self,
                               gint64          collection_id,
                               GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT path FROM sources WHERE collection_id = ?"
                                          " ORDER BY path", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "listing sources");
      return NULL;
    }
  return g_steal_pointer (&list);
}

static gboolean
path_is_under (const char *path,
               const char *dir)
{
  gsize n = strlen (dir);

  if (strcmp (path, dir) == 0)
    return TRUE;
  if (n > 0 && dir[n - 1] == '/')
    n--;
  return strncmp (path, dir, n) == 0 && path[n] == '/';
}

gboolean
hearth_doc_index_remove_source (HearthDocIndex *self,
                                gint64          collection_id,
                                const char     *path,
                                GError        **error)
{
  LOCK (self);
  g_autoptr(GPtrArray) sources = hearth_doc_index_list_sources (self, collection_id, error);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean found = FALSE;

  if (sources == NULL)
    return FALSE;
  for (guint i = 0; i < sources->len; i++)
    found |= strcmp (g_ptr_array_index (sources, i), path) == 0;
  if (!found)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                   "The path is not a source of this collection");
      return FALSE;
    }
  files = hearth_doc_index_list_files (self, collection_id, error);
  if (files == NULL || !begin (self, error))
    return FALSE;
  for (guint i = 0; i < files->len; i++)
    {
      HearthDocFileInfo *f = g_ptr_array_index (files, i);
      gboolean kept = FALSE;

      if (!path_is_under (f->path, path))
        continue;
      /* A file another source also covers stays. */
      for (guint j = 0; j < sources->len; j++)
        {
          const char *other = g_ptr_array_index (sources, j);

          kept |= strcmp (other, path) != 0 && path_is_under (f->path, other);
        }
      if (!kept && !delete_file_locked (self, collection_id, f->id, NULL, error))
        goto fail;
    }
  stmt = prepare (self, "DELETE FROM sources WHERE collection_id = ? AND path = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  sqlite3_bind_text (stmt, 2, path, -1, SQLITE_TRANSIENT);
  if (!step_done (self, stmt, "removing a source", error) || !commit (self, error))
    goto fail;
  forget_vectors (self, collection_id);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

/* ---- files ---- */

void
hearth_doc_file_info_free (HearthDocFileInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->sha256);
  g_free (info->format);
  g_free (info->title);
  g_free (info->reason);
  g_free (info);
}

GPtrArray *
hearth_doc_index_list_files (HearthDocIndex *self,
                             gint64          collection_id,
                             GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT id, path, size, mtime, sha256, format, title, status,"
                                          " reason, n_chunks, indexed FROM files WHERE collection_id = ?"
                                          " ORDER BY path", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_file_info_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthDocFileInfo *f = g_new0 (HearthDocFileInfo, 1);

      f->id = sqlite3_column_int64 (stmt, 0);
      f->path = column_dup (stmt, 1);
      f->size = sqlite3_column_int64 (stmt, 2);
      f->mtime = sqlite3_column_int64 (stmt, 3);
      f->sha256 = column_dup (stmt, 4);
      f->format = column_dup (stmt, 5);
      f->title = column_dup (stmt, 6);
      f->status = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 7), "failed") == 0
                    ? HEARTH_DOC_FILE_FAILED : HEARTH_DOC_FILE_INDEXED;
      f->reason = column_dup (stmt, 8);
      f->n_chunks = (guint) sqlite3_column_int (stmt, 9);
      f->indexed = sqlite3_column_int64 (stmt, 10);
      g_ptr_array_add (list, f);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "listing files");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gint64
hearth_doc_index_write_file (HearthDocIndex          *self,
                             gint64                   collection_id,
                             const HearthDocFileInfo *info,
                             GPtrArray               *chunks,
                             const float             *vectors,
                             guint                   *n_removed,
                             GError                 **error)
{
  LOCK (self);
  g_autofree char *fts = fts_name (collection_id);
  g_autofree char *fts_sql = g_strdup_printf ("INSERT INTO %s (docid, text, context) VALUES (?, ?, ?)", fts);
  g_autoptr(sqlite3_stmt) find = NULL;
  g_autoptr(sqlite3_stmt) ins_file = NULL;
  g_autoptr(sqlite3_stmt) ins_chunk = NULL;
  g_autoptr(sqlite3_stmt) ins_fts = NULL;
  g_autoptr(sqlite3_stmt) ins_vec = NULL;
  g_autofree guint8 *blob = NULL;
  guint n_chunks = chunks != NULL ? chunks->len : 0;
  guint dim = 0;
  gint64 file_id;
  int rc;

  if (n_removed != NULL)
    *n_removed = 0;
  if (vectors != NULL)
    {
      dim = (guint) query_int64 (self, "SELECT embed_dim FROM collections WHERE id = ?", collection_id, error);
      if ((gint) dim <= 0)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                         "Vectors for a collection without an embedding model");
          return 0;
        }
      blob = g_malloc (HEARTH_DOC_VECTOR_BLOB_SIZE (dim));
    }
  if (!begin (self, error))
    return 0;

  find = prepare (self, "SELECT id FROM files WHERE collection_id = ? AND path = ?", error);
  if (find == NULL)
    goto fail;
  sqlite3_bind_int64 (find, 1, collection_id);
  sqlite3_bind_text (find, 2, info->path, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (find);
  if (rc == SQLITE_ROW)
    {
      if (!delete_file_locked (self, collection_id, sqlite3_column_int64 (find, 0), n_removed, error))
        goto fail;
    }
  else if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "finding a file");
      goto fail;
    }

  ins_file = prepare (self, "INSERT INTO files (collection_id, path, size, mtime, sha256, format, title,"
                      " status, reason, n_chunks, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (ins_file == NULL)
    goto fail;
  sqlite3_bind_int64 (ins_file, 1, collection_id);
  sqlite3_bind_text (ins_file, 2, info->path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (ins_file, 3, info->size);
  sqlite3_bind_int64 (ins_file, 4, info->mtime);
  bind_text_or_null (ins_file, 5, info->sha256);
  bind_text_or_null (ins_file, 6, info->format);
  bind_text_or_null (ins_file, 7, info->title);
  sqlite3_bind_text (ins_file, 8, info->status == HEARTH_DOC_FILE_FAILED ? "failed" : "indexed", -1, SQLITE_STATIC);
  bind_text_or_null (ins_file, 9, info->reason);
  sqlite3_bind_int (ins_file, 10, (int) n_chunks);
  sqlite3_bind_int64 (ins_file, 11, g_get_real_time ());
  if (!step_done (self, ins_file, "adding a file", error))
    goto fail;
  file_id = sqlite3_last_insert_rowid (self->db);

  ins_chunk = prepare (self, "INSERT INTO chunks (file_id, ordinal, page, line_start, line_end, text, context)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", error);
  ins_fts = ins_chunk != NULL ? prepare (self, fts_sql, error) : NULL;
  ins_vec = ins_fts != NULL ? prepare (self, "INSERT INTO embeddings (chunk_id, vector) VALUES (?, ?)", error) : NULL;
  if (ins_vec == NULL)
    goto fail;
  for (guint i = 0; i < n_chunks; i++)
    {
      const HearthDocChunk *c = g_ptr_array_index (chunks, i);
      gint64 chunk_id;

      sqlite3_bind_int64 (ins_chunk, 1, file_id);
      sqlite3_bind_int (ins_chunk, 2, (int) i);
      sqlite3_bind_int (ins_chunk, 3, (int) c->page);
      sqlite3_bind_int (ins_chunk, 4, (int) c->line_start);
      sqlite3_bind_int (ins_chunk, 5, (int) c->line_end);
      sqlite3_bind_text (ins_chunk, 6, c->text != NULL ? c->text : "", -1, SQLITE_STATIC);
      bind_text_or_null (ins_chunk, 7, c->context);
      if (!step_done (self, ins_chunk, "adding a chunk", error))
        goto fail;
      sqlite3_reset (ins_chunk);
      chunk_id = sqlite3_last_insert_rowid (self->db);

      sqlite3_bind_int64 (ins_fts, 1, chunk_id);
      sqlite3_bind_text (ins_fts, 2, c->text != NULL ? c->text : "", -1, SQLITE_STATIC);
      bind_text_or_null (ins_fts, 3, c->context);
      if (!step_done (self, ins_fts, "indexing a chunk", error))
        goto fail;
      sqlite3_reset (ins_fts);

      if (vectors != NULL)
        {
          hearth_doc_vector_to_blob (vectors + (gsize) i * dim, dim, blob);
          sqlite3_bind_int64 (ins_vec, 1, chunk_id);
          sqlite3_bind_blob (ins_vec, 2, blob, (int) HEARTH_DOC_VECTOR_BLOB_SIZE (dim), SQLITE_STATIC);
          if (!step_done (self, ins_vec, "adding a vector", error))
            goto fail;
          sqlite3_reset (ins_vec);
        }
    }
  if (!commit (self, error))
    goto fail;
  forget_vectors (self, collection_id);
  return file_id;

fail:
  rollback (self);
  return 0;
}

static gint64
file_collection (HearthDocIndex *self,
                 gint64          file_id,
                 GError        **error)
{
  gint64 id = query_int64 (self, "SELECT collection_id FROM files WHERE id = ?", file_id, error);

  if (id == 0)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND, "No such file in the index");
  return id;
}

gboolean
hearth_doc_index_move_file (HearthDocIndex *self,
                            gint64          file_id,
                            const char     *new_path,
                            gint64          size,
                            gint64          mtime,
                            GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(sqlite3_stmt) find = NULL;
  gint64 collection_id = file_collection (self, file_id, error);
  int rc;

  if (collection_id <= 0 || !begin (self, error))
    return FALSE;
  /* A file already recorded at the new path (an older version) gives way. */
  find = prepare (self, "SELECT id FROM files WHERE collection_id = ? AND path = ? AND id != ?", error);
  if (find == NULL)
    goto fail;
  sqlite3_bind_int64 (find, 1, collection_id);
  sqlite3_bind_text (find, 2, new_path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (find, 3, file_id);
  rc = sqlite3_step (find);
  if (rc == SQLITE_ROW && !delete_file_locked (self, collection_id, sqlite3_column_int64 (find, 0), NULL, error))
    goto fail;
  stmt = prepare (self, "UPDATE files SET path = ?, size = ?, mtime = ? WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, new_path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_int64 (stmt, 3, mtime);
  sqlite3_bind_int64 (stmt, 4, file_id);
  if (!step_done (self, stmt, "moving a file", error) || !commit (self, error))
    goto fail;
  forget_vectors (self, collection_id);
  return TRUE;

fail:
  rollback (self);
  return FALSE;
}

gboolean
hearth_doc_index_touch_file (HearthDocIndex *self,
                             gint64          file_id,
                             gint64          size,
                             gint64          mtime,
                             GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "UPDATE files SET size = ?, mtime = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, size);
  sqlite3_bind_int64 (stmt, 2, mtime);
  sqlite3_bind_int64 (stmt, 3, file_id);
  return step_done (self, stmt, "updating a file", error);
}

gboolean
hearth_doc_index_delete_file (HearthDocIndex *self,
                              gint64          file_id,
                              guint          *n_removed,
                              GError        **error)
{
  LOCK (self);
  gint64 collection_id = file_collection (self, file_id, error);

  if (collection_id <= 0 || !begin (self, error))
    return FALSE;
  if (!delete_file_locked (self, collection_id, file_id, n_removed, error) || !commit (self, error))
    {
      rollback (self);
      return FALSE;
    }
  forget_vectors (self, collection_id);
  return TRUE;
}

/* ---- chunks ---- */

void
hearth_doc_stored_chunk_free (HearthDocStoredChunk *chunk)
{
  if (chunk == NULL)
    return;
  g_free (chunk->text);
  g_free (chunk->context);
  g_free (chunk);
}

GPtrArray *
hearth_doc_index_get_chunks (HearthDocIndex *self,
                             gint64          file_id,
                             GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT id, file_id, ordinal, page, line_start, line_end, text,"
                                          " context FROM chunks WHERE file_id = ? ORDER BY ordinal", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_stored_chunk_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, file_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthDocStoredChunk *c = g_new0 (HearthDocStoredChunk, 1);

      c->id = sqlite3_column_int64 (stmt, 0);
      c->file_id = sqlite3_column_int64 (stmt, 1);
      c->ordinal = (guint) sqlite3_column_int (stmt, 2);
      c->page = (guint) sqlite3_column_int (stmt, 3);
      c->line_start = (guint) sqlite3_column_int (stmt, 4);
      c->line_end = (guint) sqlite3_column_int (stmt, 5);
      c->text = column_dup (stmt, 6);
      c->context = column_dup (stmt, 7);
      g_ptr_array_add (list, c);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (self, error, rc, "reading chunks");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gint64
hearth_doc_index_count_vectors (HearthDocIndex *self,
                                gint64          collection_id,
                                GError        **error)
{
  LOCK (self);
  return query_int64 (self, "SELECT count(*) FROM embeddings e JOIN chunks k ON k.id = e.chunk_id"
                      " JOIN files f ON f.id = k.file_id WHERE f.collection_id = ?", collection_id, error);
}

/* ---- vectors in memory ---- */

void
_hearth_doc_vectors_unref (HearthDocVectors *v)
{
  if (v == NULL || !g_atomic_ref_count_dec (&v->ref))
    return;
  g_free (v->chunk_ids);
  g_free (v->scales);
  g_free (v->q);
  g_free (v);
}

HearthDocVectors *
_hearth_doc_index_get_vectors (HearthDocIndex *self,
                               gint64          collection_id,
                               GError        **error)
{
  LOCK (self);
  HearthDocVectors *v = g_hash_table_lookup (self->vectors, &collection_id);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 count, dim;
  gsize n = 0;
  int rc;

  if (v != NULL)
    {
      g_atomic_ref_count_inc (&v->ref);
      return v;
    }
  dim = query_int64 (self, "SELECT embed_dim FROM collections WHERE id = ?", collection_id, error);
  count = dim > 0 ? hearth_doc_index_count_vectors (self, collection_id, error) : 0;
  if (dim < 0 || count < 0)
    return NULL;
  v = g_new0 (HearthDocVectors, 1);
  g_atomic_ref_count_init (&v->ref);
  v->dim = (guint) dim;
  v->chunk_ids = g_new (gint64, MAX (count, 1));
  v->scales = g_new (float, MAX (count, 1));
  v->q = g_malloc ((gsize) MAX (count, 1) * (gsize) MAX (dim, 1));
  if (count > 0)
    {
      stmt = prepare (self, "SELECT e.chunk_id, e.vector FROM embeddings e JOIN chunks k ON k.id = e.chunk_id"
                      " JOIN files f ON f.id = k.file_id WHERE f.collection_id = ? ORDER BY e.chunk_id", error);
      if (stmt == NULL)
        {
          _hearth_doc_vectors_unref (v);
          return NULL;
        }
      sqlite3_bind_int64 (stmt, 1, collection_id);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && n < (gsize) count)
        {
          if (!hearth_doc_vector_from_blob (sqlite3_column_blob (stmt, 1), (gsize) sqlite3_column_bytes (stmt, 1),
                                            v->dim, v->q + n * v->dim, &v->scales[n]))
            continue; /* a vector of another width: not comparable, left out */
          v->chunk_ids[n++] = sqlite3_column_int64 (stmt, 0);
        }
      if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        {
          _hearth_doc_index_set_sql_error (self, error, rc, "reading vectors");
          _hearth_doc_vectors_unref (v);
          return NULL;
        }
    }
  v->n = n;
  g_hash_table_insert (self->vectors, g_memdup2 (&collection_id, sizeof collection_id), v);
  g_atomic_ref_count_inc (&v->ref);
  return v;
}

/* ---- jobs ---- */

gboolean
hearth_doc_index_begin_job (HearthDocIndex *self,
                            gint64          collection_id,
                            gboolean       *resumed,
                            GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 runs = query_int64 (self, "SELECT runs FROM jobs WHERE collection_id = ?", collection_id, error);

  if (runs < 0)
    return FALSE;
  if (resumed != NULL)
    *resumed = runs > 0;
  /* SQLite 3.15 (Debian's SQLCipher) has no upsert. */
  stmt = prepare (self, runs > 0 ? "UPDATE jobs SET runs = runs + 1 WHERE collection_id = ?1"
                                 : "INSERT INTO jobs (collection_id, started, runs) VALUES (?1, ?2, 1)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  if (runs == 0)
    sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  return step_done (self, stmt, "recording the indexing run", error);
}

gboolean
hearth_doc_index_end_job (HearthDocIndex *self,
                          gint64          collection_id,
                          GError        **error)
{
  LOCK (self);
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "DELETE FROM jobs WHERE collection_id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, collection_id);
  return step_done (self, stmt, "ending the indexing run", error);
}

/* ---- checks ---- */

static gboolean
expect_empty (HearthDocIndex *self,
              const char     *sql,
              gint64          arg,
              const char     *what,
              GError        **error)
{
  gint64 n = query_int64 (self, sql, arg, error);

  if (n < 0)
    return FALSE;
  if (n > 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   "The document index is inconsistent: %" G_GINT64_FORMAT " %s", n, what);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_doc_index_check (HearthDocIndex *self,
                        GError        **error)
{
  LOCK (self);
  g_autofree char *result = hearth_cipher_db_query_text (self->db, "PRAGMA integrity_check");
  g_autoptr(GPtrArray) collections = NULL;

  if (g_strcmp0 (result, "ok") != 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   "The document index is damaged: %s", result != NULL ? result : "unreadable");
      return FALSE;
    }
  {
    g_autoptr(sqlite3_stmt) stmt = prepare (self, "PRAGMA foreign_key_check", error);

    if (stmt == NULL)
      return FALSE;
    if (sqlite3_step (stmt) == SQLITE_ROW)
      {
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                     "The document index is inconsistent: rows point at nothing");
        return FALSE;
      }
  }
  if (!expect_empty (self, "SELECT count(*) FROM files f WHERE n_chunks != (SELECT count(*) FROM chunks"
                     " WHERE file_id = f.id) AND ?1 = ?1", 0, "files with a wrong chunk count", error))
    return FALSE;
  collections = hearth_doc_index_list_collections (self, error);
  if (collections == NULL)
    return FALSE;
  for (guint i = 0; i < collections->len; i++)
    {
      HearthDocCollection *c = g_ptr_array_index (collections, i);
      g_autofree char *fts = fts_name (c->id);
      /* The docsize shadow table has one row per indexed chunk. */
      g_autofree char *missing = g_strdup_printf (
        "SELECT count(*) FROM chunks k JOIN files f ON f.id = k.file_id WHERE f.collection_id = ?1"
        " AND k.id NOT IN (SELECT docid FROM %s_docsize)", fts);
      g_autofree char *extra = g_strdup_printf (
        "SELECT count(*) FROM %s_docsize d WHERE d.docid NOT IN (SELECT k.id FROM chunks k"
        " JOIN files f ON f.id = k.file_id WHERE f.collection_id = ?1)", fts);

      if (!expect_empty (self, missing, c->id, "chunks missing from the full-text index", error) ||
          !expect_empty (self, extra, c->id, "full-text entries without a chunk", error))
        return FALSE;
    }
  return TRUE;
}
