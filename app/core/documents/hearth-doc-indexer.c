/* hearth-doc-indexer.c: scan, compare, extract, chunk, embed and write a collection, on a worker thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-doc-chunk.h"
#include "hearth-doc-embedder.h"
#include "hearth-doc-indexer.h"

#define CHUNKS_PER_EMBED_CALL 32

typedef struct
{
  guint       files_total;
  guint       files_done;
  guint       chunks;
  guint64     bytes_total;
  guint64     bytes_done;
  double      rate;
  double      left;
  const char *phase; /* static strings */
} Progress;

struct _HearthDocIndexer
{
  GObject                  parent_instance;
  HearthDocIndex          *index;
  char                    *collection;
  HearthDocExtractFunc     extract;
  gpointer                 extract_data;

  /* Shared with the worker, under lock. */
  GMutex                   lock;
  GCond                    cond;
  gboolean                 pause_requested;
  Progress                 progress;
  HearthDocIndexerCounters counters;
  GSource                 *pending;
  GMainContext            *context;

  /* The main context's view. */
  Progress                 shown;
  gboolean                 running;
};

G_DEFINE_FINAL_TYPE (HearthDocIndexer, hearth_doc_indexer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_COLLECTION,
  PROP_RUNNING,
  PROP_PAUSED,
  PROP_FILES_TOTAL,
  PROP_FILES_DONE,
  PROP_CHUNKS,
  PROP_BYTES_TOTAL,
  PROP_BYTES_DONE,
  PROP_BYTES_PER_SECOND,
  PROP_SECONDS_LEFT,
  PROP_PHASE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static HearthDocText *
default_extract (const char   *path,
                 GCancellable *cancellable,
                 GError      **error,
                 gpointer      user_data)
{
  return hearth_doc_extract_file (path, cancellable, error);
}

static void
hearth_doc_indexer_finalize (GObject *object)
{
  HearthDocIndexer *self = HEARTH_DOC_INDEXER (object);

  g_clear_object (&self->index);
  g_free (self->collection);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (hearth_doc_indexer_parent_class)->finalize (object);
}

static void
hearth_doc_indexer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HearthDocIndexer *self = HEARTH_DOC_INDEXER (object);

  switch (prop_id)
    {
    case PROP_COLLECTION: g_value_set_string (value, self->collection); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->running); break;
    case PROP_PAUSED: g_value_set_boolean (value, hearth_doc_indexer_get_paused (self)); break;
    case PROP_FILES_TOTAL: g_value_set_uint (value, self->shown.files_total); break;
    case PROP_FILES_DONE: g_value_set_uint (value, self->shown.files_done); break;
    case PROP_CHUNKS: g_value_set_uint (value, self->shown.chunks); break;
    case PROP_BYTES_TOTAL: g_value_set_uint64 (value, self->shown.bytes_total); break;
    case PROP_BYTES_DONE: g_value_set_uint64 (value, self->shown.bytes_done); break;
    case PROP_BYTES_PER_SECOND: g_value_set_double (value, self->shown.rate); break;
    case PROP_SECONDS_LEFT: g_value_set_double (value, self->shown.left); break;
    case PROP_PHASE: g_value_set_string (value, self->shown.phase); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_doc_indexer_class_init (HearthDocIndexerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = hearth_doc_indexer_finalize;
  object_class->get_property = hearth_doc_indexer_get_property;

  props[PROP_COLLECTION] = g_param_spec_string ("collection", NULL, NULL, NULL, ro);
  props[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  props[PROP_PAUSED] = g_param_spec_boolean ("paused", NULL, NULL, FALSE, ro);
  props[PROP_FILES_TOTAL] = g_param_spec_uint ("files-total", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_FILES_DONE] = g_param_spec_uint ("files-done", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_CHUNKS] = g_param_spec_uint ("chunks", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_BYTES_TOTAL] = g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  props[PROP_BYTES_DONE] = g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  props[PROP_BYTES_PER_SECOND] = g_param_spec_double ("bytes-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  props[PROP_SECONDS_LEFT] = g_param_spec_double ("seconds-left", NULL, NULL, -1, G_MAXDOUBLE, -1, ro);
  props[PROP_PHASE] = g_param_spec_string ("phase", NULL, NULL, "idle", ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
hearth_doc_indexer_init (HearthDocIndexer *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->extract = default_extract;
  self->progress.phase = self->shown.phase = "idle";
  self->progress.left = self->shown.left = -1;
}

HearthDocIndexer *
hearth_doc_indexer_new (HearthDocIndex *index,
                        const char     *collection)
{
  HearthDocIndexer *self;

  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (index), NULL);
  g_return_val_if_fail (collection != NULL, NULL);
  self = g_object_new (HEARTH_TYPE_DOC_INDEXER, NULL);
  self->index = g_object_ref (index);
  self->collection = g_strdup (collection);
  return self;
}

void
hearth_doc_indexer_set_extract_func (HearthDocIndexer    *self,
                                     HearthDocExtractFunc func,
                                     gpointer             user_data)
{
  g_return_if_fail (HEARTH_IS_DOC_INDEXER (self) && !self->running);
  self->extract = func != NULL ? func : default_extract;
  self->extract_data = func != NULL ? user_data : NULL;
}

/* ---- progress, from the worker to the main context ---- */

static gboolean
publish_idle (gpointer data)
{
  HearthDocIndexer *self = data;
  Progress old = self->shown;

  g_mutex_lock (&self->lock);
  self->shown = self->progress;
  self->pending = NULL;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (old.files_total != self->shown.files_total)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FILES_TOTAL]);
  if (old.files_done != self->shown.files_done)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FILES_DONE]);
  if (old.chunks != self->shown.chunks)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CHUNKS]);
  if (old.bytes_total != self->shown.bytes_total)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BYTES_TOTAL]);
  if (old.bytes_done != self->shown.bytes_done)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BYTES_DONE]);
  if (old.rate != self->shown.rate)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BYTES_PER_SECOND]);
  if (old.left != self->shown.left)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SECONDS_LEFT]);
  if (g_strcmp0 (old.phase, self->shown.phase) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PHASE]);
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

/* With the lock held: at most one update waits on the main context; it
 * takes the latest numbers when it runs. */
static void
publish_locked (HearthDocIndexer *self)
{
  if (self->pending != NULL || self->context == NULL)
    return;
  self->pending = g_idle_source_new ();
  g_source_set_priority (self->pending, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->pending, publish_idle, g_object_ref (self), g_object_unref);
  g_source_attach (self->pending, self->context);
  g_source_unref (self->pending);
}

/* ---- the worker ---- */

typedef struct
{
  char    *path;
  gint64   size;
  gint64   mtime;
} ScannedFile;

static void
scanned_file_free (ScannedFile *f)
{
  g_free (f->path);
  g_free (f);
}

typedef struct
{
  HearthDocIndexer    *self;
  GCancellable        *cancellable;
  HearthDocCollection *collection;
  HearthDocEmbedder   *embedder;
  gint64               started;     /* monotonic */
  gint64               paused_time; /* monotonic microseconds spent paused */
  gulong               test_delay;  /* microseconds per file (HEARTH_TEST_INDEX_DELAY_MS) */
} Run;

static void
run_free (Run *run)
{
  hearth_doc_collection_free (run->collection);
  hearth_doc_embedder_free (run->embedder);
  g_free (run);
}

static gint64
stat_mtime (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

/* Files below @dir Hearth reads; hidden entries and links are not followed
 * (a link can leave the folder the user chose, or loop). */
static void
walk (const char   *dir,
      GPtrArray    *out,
      GCancellable *cancellable)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL && !g_cancellable_is_cancelled (cancellable))
    {
      g_autofree char *path = NULL;
      HearthDocFormat format;
      struct stat st;

      if (name[0] == '.')
        continue;
      path = g_build_filename (dir, name, NULL);
      if (lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        walk (path, out, cancellable);
      else if (S_ISREG (st.st_mode) && hearth_doc_format_from_path (path, &format))
        {
          ScannedFile *f = g_new0 (ScannedFile, 1);

          f->path = g_steal_pointer (&path);
          f->size = st.st_size;
          f->mtime = stat_mtime (&st);
          g_ptr_array_add (out, f);
        }
    }
}

static int
compare_scanned (gconstpointer a,
                 gconstpointer b)
{
  return strcmp ((*(ScannedFile **) a)->path, (*(ScannedFile **) b)->path);
}

static gboolean
under (const char *path,
       const char *dir)
{
  gsize n = strlen (dir);

  if (strcmp (path, dir) == 0)
    return TRUE;
  while (n > 1 && dir[n - 1] == '/')
    n--;
  return strncmp (path, dir, n) == 0 && path[n] == '/';
}

/* Holds the worker while paused; FALSE when cancelled. */
static gboolean
checkpoint (Run *run)
{
  HearthDocIndexer *self = run->self;
  gint64 paused_at = 0;
  gboolean pausing;

  g_mutex_lock (&self->lock);
  pausing = self->pause_requested;
  g_mutex_unlock (&self->lock);
  /* Paused, everything done so far is committed. */
  if (pausing)
    hearth_doc_index_flush_batch (self->index);
  g_mutex_lock (&self->lock);
  while (self->pause_requested && !g_cancellable_is_cancelled (run->cancellable))
    {
      if (paused_at == 0)
        paused_at = g_get_monotonic_time ();
      g_cond_wait_until (&self->cond, &self->lock, g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND);
    }
  if (paused_at != 0)
    run->paused_time += g_get_monotonic_time () - paused_at;
  g_mutex_unlock (&self->lock);
  return !g_cancellable_is_cancelled (run->cancellable);
}

static void
set_phase (Run        *run,
           const char *phase)
{
  g_mutex_lock (&run->self->lock);
  run->self->progress.phase = phase;
  publish_locked (run->self);
  g_mutex_unlock (&run->self->lock);
}

/* After a file: the numbers, the rate over the active time, the estimate. */
static void
file_done (Run    *run,
           gint64  bytes,
           guint   chunks)
{
  HearthDocIndexer *self = run->self;
  Progress *p = &self->progress;
  double active;

  g_mutex_lock (&self->lock);
  p->files_done++;
  p->bytes_done += (guint64) MAX (bytes, 0);
  p->chunks += chunks;
  active = (double) (g_get_monotonic_time () - run->started - run->paused_time) / G_USEC_PER_SEC;
  p->rate = active > 0 ? (double) p->bytes_done / active : 0;
  p->left = p->rate > 0 ? (double) (p->bytes_total - MIN (p->bytes_done, p->bytes_total)) / p->rate : -1;
  publish_locked (self);
  g_mutex_unlock (&self->lock);
}

static char *
hash_file (const char   *path,
           GCancellable *cancellable,
           GError      **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 buf[65536];
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  ssize_t n;

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_IO, "Cannot read the file: %s", g_strerror (saved));
      return NULL;
    }
  while ((n = read (fd, buf, sizeof buf)) > 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return NULL;
        }
      g_checksum_update (sum, buf, (gsize) n);
    }
  if (n < 0)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_IO, "Cannot read the file: %s", g_strerror (saved));
      return NULL;
    }
  close (fd);
  return g_strdup (g_checksum_get_string (sum));
}

static void
count (Run   *run,
       guint *field,
       guint  n)
{
  g_mutex_lock (&run->self->lock);
  *field += n;
  g_mutex_unlock (&run->self->lock);
}

/* A file that could not be read or cut: recorded with the reason, its old
 * chunks gone (they would cite text that is no longer there). */
static gboolean
record_failure (Run               *run,
                const ScannedFile *f,
                const char        *sha256,
                const char        *reason,
                GError           **error)
{
  HearthDocFileInfo info = { 0 };
  guint removed = 0;

  info.path = f->path;
  info.size = f->size;
  info.mtime = f->mtime;
  info.sha256 = (char *) sha256;
  info.status = HEARTH_DOC_FILE_FAILED;
  info.reason = (char *) reason;
  if (hearth_doc_index_write_file (run->self->index, run->collection->id, &info, NULL, NULL, &removed, error) == 0)
    return FALSE;
  count (run, &run->self->counters.files_failed, 1);
  count (run, &run->self->counters.chunks_removed, removed);
  return TRUE;
}

/* Extract, chunk, embed, write.  FALSE only for errors that stop the run
 * (the index cannot be written, cancellation); a bad file is recorded. */
static gboolean
index_file (Run               *run,
            const ScannedFile *f,
            const char        *sha256,
            guint             *n_chunks,
            GError           **error)
{
  HearthDocIndexer *self = run->self;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(HearthDocText) text = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree float *vectors = NULL;
  HearthDocChunkParams params;
  HearthDocFileInfo info = { 0 };
  guint removed = 0;

  *n_chunks = 0;
  text = self->extract (f->path, run->cancellable, &local_error, self->extract_data);
  if (text == NULL)
    {
      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return FALSE;
      return record_failure (run, f, sha256, local_error != NULL ? local_error->message : "Unknown error", error);
    }

  hearth_doc_embedder_chunk_params (run->embedder, run->collection, &params);
  chunks = hearth_doc_chunk (text, &params);
  g_ptr_array_set_free_func (chunks, (GDestroyNotify) hearth_doc_chunk_free);

  if (run->embedder != NULL && chunks->len > 0)
    {
      g_autoptr(GPtrArray) texts = g_ptr_array_new ();
      guint dim = hearth_doc_embedder_get_dim (run->embedder);

      vectors = g_new (float, (gsize) chunks->len * dim);
      for (guint i = 0; i < chunks->len; i++)
        g_ptr_array_add (texts, ((HearthDocChunk *) g_ptr_array_index (chunks, i))->text);
      for (guint start = 0; start < chunks->len; start += CHUNKS_PER_EMBED_CALL)
        {
          guint n = MIN (CHUNKS_PER_EMBED_CALL, chunks->len - start);
          g_autofree float *part = NULL;

          if (!checkpoint (run))
            return !g_cancellable_set_error_if_cancelled (run->cancellable, error);
          part = hearth_doc_embedder_embed (run->embedder, (const char *const *) texts->pdata + start, n,
                                            FALSE, run->cancellable, error);
          if (part == NULL)
            return FALSE;
          memcpy (vectors + (gsize) start * dim, part, (gsize) n * dim * sizeof (float));
        }
    }

  info.path = f->path;
  info.size = f->size;
  info.mtime = f->mtime;
  info.sha256 = (char *) sha256;
  info.format = (char *) hearth_doc_format_to_string (text->format);
  info.title = text->title;
  info.status = HEARTH_DOC_FILE_INDEXED;
  if (hearth_doc_index_write_file (self->index, run->collection->id, &info, chunks, vectors, &removed, error) == 0)
    return FALSE;
  count (run, &self->counters.files_extracted, 1);
  count (run, &self->counters.chunks_added, chunks->len);
  count (run, &self->counters.chunks_removed, removed);
  if (vectors != NULL)
    count (run, &self->counters.vectors_added, chunks->len);
  *n_chunks = chunks->len;
  return TRUE;
}

/* The collection's model, checked against the identity the index holds. */
static gboolean
load_model (Run     *run,
            GError **error)
{
  HearthDocCollection *c = run->collection;
  g_autoptr(GError) local_error = NULL;
  const HearthDocEmbedModelInfo *info;

  if (c->embed_model == NULL)
    return TRUE;
  run->embedder = hearth_doc_embedder_load_for (c, run->cancellable, &local_error);
  if (run->embedder == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                   "The collection's embedding model cannot be loaded: %s", local_error->message);
      return FALSE;
    }
  info = hearth_doc_embedder_get_info (run->embedder);
  if (g_strcmp0 (info->identity, c->embed_model_id) != 0 || info->dim != c->embed_dim)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "The embedding model file %s is not the one collection '%s' was indexed with "
                   "(its content changed); re-index the collection to use it", c->embed_model, c->name);
      return FALSE;
    }
  if (info->size != c->embed_model_size || info->mtime != c->embed_model_mtime)
    return hearth_doc_index_update_model_stat (run->self->index, c->id, info->size, info->mtime, error);
  return TRUE;
}

static gboolean
run_collection (Run     *run,
                GError **error)
{
  HearthDocIndexer *self = run->self;
  HearthDocIndex *index = self->index;
  g_autoptr(GPtrArray) sources = NULL;
  g_autoptr(GPtrArray) present = g_ptr_array_new_with_free_func (g_free); /* sources that exist */
  g_autoptr(GPtrArray) scanned = g_ptr_array_new_with_free_func ((GDestroyNotify) scanned_file_free);
  g_autoptr(GPtrArray) known = NULL;
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);      /* -> HearthDocFileInfo */
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);         /* scanned paths */
  g_autoptr(GHashTable) gone_by_hash = g_hash_table_new (g_str_hash, g_str_equal); /* -> HearthDocFileInfo */
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();
  g_autoptr(GHashTable) moved = g_hash_table_new (NULL, NULL);
  gboolean resumed = FALSE;
  guint64 bytes_total = 0;

  run->collection = hearth_doc_index_get_collection (index, self->collection, error);
  if (run->collection == NULL || !load_model (run, error))
    return FALSE;
  if (!hearth_doc_index_begin_job (index, run->collection->id, &resumed, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->counters.resumed = resumed;
  g_mutex_unlock (&self->lock);

  /* Scan. */
  set_phase (run, "scanning");
  sources = hearth_doc_index_list_sources (index, run->collection->id, error);
  if (sources == NULL)
    return FALSE;
  for (guint i = 0; i < sources->len; i++)
    {
      const char *source = g_ptr_array_index (sources, i);
      struct stat st;

      if (stat (source, &st) != 0)
        {
          count (run, &self->counters.sources_missing, 1);
          continue;
        }
      g_ptr_array_add (present, g_strdup (source));
      if (S_ISDIR (st.st_mode))
        walk (source, scanned, run->cancellable);
      else if (S_ISREG (st.st_mode))
        {
          ScannedFile *f = g_new0 (ScannedFile, 1);

          f->path = g_strdup (source);
          f->size = st.st_size;
          f->mtime = stat_mtime (&st);
          g_ptr_array_add (scanned, f);
        }
    }
  if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
    return FALSE;
  g_ptr_array_sort (scanned, compare_scanned);

  known = hearth_doc_index_list_files (index, run->collection->id, error);
  if (known == NULL)
    return FALSE;
  for (guint i = 0; i < known->len; i++)
    {
      HearthDocFileInfo *k = g_ptr_array_index (known, i);

      g_hash_table_insert (by_path, k->path, k);
    }

  /* Two sources may name the same file: it counts once. */
  for (guint i = 0; i < scanned->len; i++)
    {
      ScannedFile *f = g_ptr_array_index (scanned, i);
      HearthDocFileInfo *k = g_hash_table_lookup (by_path, f->path);

      if (!g_hash_table_add (seen, f->path))
        continue;
      count (run, &self->counters.files_seen, 1);
      /* A failed file is tried again each run: what failed may have been
       * fixed (permissions, a missing library) without touching the file. */
      if (k != NULL && k->status == HEARTH_DOC_FILE_INDEXED && k->size == f->size && k->mtime == f->mtime)
        {
          count (run, &self->counters.files_unchanged, 1);
          continue;
        }
      g_ptr_array_add (todo, f);
      bytes_total += (guint64) MAX (f->size, 0);
    }

  /* Files the index has that are not on disk any more: renamed, moved or
   * deleted, unless their source is not there at all. */
  for (guint i = 0; i < known->len; i++)
    {
      HearthDocFileInfo *k = g_ptr_array_index (known, i);
      gboolean unreachable = FALSE;

      if (g_hash_table_contains (seen, k->path))
        continue;
      for (guint j = 0; j < sources->len; j++)
        {
          const char *source = g_ptr_array_index (sources, j);
          gboolean is_present = FALSE;

          for (guint m = 0; m < present->len; m++)
            is_present |= strcmp (g_ptr_array_index (present, m), source) == 0;
          unreachable |= !is_present && under (k->path, source);
        }
      if (unreachable)
        {
          g_hash_table_add (moved, k); /* kept as it is */
          continue;
        }
      if (k->status == HEARTH_DOC_FILE_INDEXED && k->sha256 != NULL)
        g_hash_table_insert (gone_by_hash, k->sha256, k);
    }

  g_mutex_lock (&self->lock);
  self->progress.files_total = todo->len;
  self->progress.bytes_total = bytes_total;
  self->progress.phase = "indexing";
  publish_locked (self);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < todo->len; i++)
    {
      ScannedFile *f = g_ptr_array_index (todo, i);
      HearthDocFileInfo *k = g_hash_table_lookup (by_path, f->path);
      HearthDocFileInfo *gone;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *sha256 = NULL;
      guint n_chunks = 0;

      if (!checkpoint (run))
        return !g_cancellable_set_error_if_cancelled (run->cancellable, error);
      if (run->test_delay > 0)
        g_usleep (run->test_delay);
      sha256 = hash_file (f->path, run->cancellable, &local_error);
      if (sha256 == NULL)
        {
          if (g_cancellable_set_error_if_cancelled (run->cancellable, error) ||
              !record_failure (run, f, NULL, local_error->message, error))
            return FALSE;
        }
      else if (k != NULL && k->status == HEARTH_DOC_FILE_INDEXED && g_strcmp0 (k->sha256, sha256) == 0)
        {
          if (!hearth_doc_index_touch_file (index, k->id, f->size, f->mtime, error))
            return FALSE;
          count (run, &self->counters.files_touched, 1);
        }
      else if ((gone = g_hash_table_lookup (gone_by_hash, sha256)) != NULL)
        {
          if (!hearth_doc_index_move_file (index, gone->id, f->path, f->size, f->mtime, error))
            return FALSE;
          g_hash_table_remove (gone_by_hash, sha256);
          g_hash_table_add (moved, gone);
          count (run, &self->counters.files_moved, 1);
        }
      else if (!index_file (run, f, sha256, &n_chunks, error))
        return FALSE;
      file_done (run, f->size, n_chunks);
    }

  set_phase (run, "removing");
  for (guint i = 0; i < known->len; i++)
    {
      HearthDocFileInfo *k = g_ptr_array_index (known, i);
      guint removed = 0;

      if (g_hash_table_contains (seen, k->path) || g_hash_table_contains (moved, k))
        continue;
      if (!hearth_doc_index_delete_file (index, k->id, &removed, error))
        return FALSE;
      count (run, &self->counters.files_removed, 1);
      count (run, &self->counters.chunks_removed, removed);
    }

  return hearth_doc_index_end_job (index, run->collection->id, error);
}

static void
worker (GTask        *task,
        gpointer      source_object,
        gpointer      task_data,
        GCancellable *cancellable)
{
  Run *run = task_data;
  GError *error = NULL;

  gboolean ok;

  run->started = g_get_monotonic_time ();
  /* A test seam: a slow run, so that a test can kill it half-way whatever
   * the machine's speed. */
  if (g_getenv ("HEARTH_TEST_INDEX_DELAY_MS") != NULL)
    run->test_delay = 1000 * (gulong) MIN (g_ascii_strtoull (g_getenv ("HEARTH_TEST_INDEX_DELAY_MS"), NULL, 10), 1000);
  /* The files' writes share a transaction a quarter of a second at a
   * time (each still atomic): one commit per file made the run
   * I/O-bound. */
  hearth_doc_index_begin_batch (run->self->index);
  ok = run_collection (run, &error);
  if (!hearth_doc_index_end_batch (run->self->index, ok ? &error : NULL))
    ok = FALSE;
  set_phase (run, "idle");
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
hearth_doc_indexer_run_async (HearthDocIndexer   *self,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (HEARTH_IS_DOC_INDEXER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_doc_indexer_run_async);
  if (self->running)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "The collection is being indexed already");
      return;
    }
  run = g_new0 (Run, 1);
  run->self = self;
  run->cancellable = cancellable;
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  g_mutex_lock (&self->lock);
  memset (&self->counters, 0, sizeof self->counters);
  memset (&self->progress, 0, sizeof self->progress);
  self->progress.phase = "scanning";
  self->progress.left = -1;
  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();
  g_mutex_unlock (&self->lock);

  self->running = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
  g_task_run_in_thread (task, worker);
}

gboolean
hearth_doc_indexer_run_finish (HearthDocIndexer *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  /* The last numbers, whatever update was still pending. */
  g_mutex_lock (&self->lock);
  if (self->pending != NULL)
    {
      g_source_destroy (self->pending);
      self->pending = NULL;
    }
  g_mutex_unlock (&self->lock);
  publish_idle (self);
  if (self->running)
    {
      self->running = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
    }
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sync_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

gboolean
hearth_doc_indexer_run_sync (HearthDocIndexer *self,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GAsyncResult) result = NULL;

  hearth_doc_indexer_run_async (self, cancellable, sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  return hearth_doc_indexer_run_finish (self, result, error);
}

void
hearth_doc_indexer_pause (HearthDocIndexer *self)
{
  g_return_if_fail (HEARTH_IS_DOC_INDEXER (self));
  g_mutex_lock (&self->lock);
  self->pause_requested = TRUE;
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PAUSED]);
}

void
hearth_doc_indexer_resume (HearthDocIndexer *self)
{
  g_return_if_fail (HEARTH_IS_DOC_INDEXER (self));
  g_mutex_lock (&self->lock);
  self->pause_requested = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PAUSED]);
}

void
hearth_doc_indexer_get_counters (HearthDocIndexer         *self,
                                 HearthDocIndexerCounters *counters)
{
  g_mutex_lock (&self->lock);
  *counters = self->counters;
  g_mutex_unlock (&self->lock);
}

gboolean
hearth_doc_indexer_get_paused (HearthDocIndexer *self)
{
  gboolean paused;

  g_mutex_lock (&self->lock);
  paused = self->pause_requested;
  g_mutex_unlock (&self->lock);
  return paused;
}

guint hearth_doc_indexer_get_files_total (HearthDocIndexer *self) { return self->shown.files_total; }
guint hearth_doc_indexer_get_files_done (HearthDocIndexer *self) { return self->shown.files_done; }
guint hearth_doc_indexer_get_chunks (HearthDocIndexer *self) { return self->shown.chunks; }
guint64 hearth_doc_indexer_get_bytes_done (HearthDocIndexer *self) { return self->shown.bytes_done; }
double hearth_doc_indexer_get_bytes_per_second (HearthDocIndexer *self) { return self->shown.rate; }
double hearth_doc_indexer_get_seconds_left (HearthDocIndexer *self) { return self->shown.left; }
gboolean hearth_doc_indexer_get_running (HearthDocIndexer *self) { return self->running; }
const char *hearth_doc_indexer_get_phase (HearthDocIndexer *self) { return self->shown.phase; }
