/* hearth-doc-watcher.c: tells when the files of a collection change on disk while the app runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here logs a path or a name: they are the user's (the index's
 * privacy rule, hearth-doc-index.h).
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>

#include "hearth-doc-extract.h"
#include "hearth-doc-watcher.h"

#define DEFAULT_QUIET_MS 2000

typedef struct
{
  HearthDocWatcher *watcher;  /* owns this */
  char             *name;
  GHashTable       *monitors; /* path -> GFileMonitor: folders, and sources that are files */
  guint             quiet_id;
} Watched;

struct _HearthDocWatcher
{
  GObject     parent_instance;
  GHashTable *collections; /* name -> Watched */
  guint       quiet_ms;
  guint       n_folders;
  gboolean    truncated;
};

G_DEFINE_FINAL_TYPE (HearthDocWatcher, hearth_doc_watcher, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void on_monitor_changed (GFileMonitor     *monitor,
                                GFile            *file,
                                GFile            *other,
                                GFileMonitorEvent event,
                                gpointer          user_data);

static void
stop_monitor (gpointer data)
{
  GFileMonitor *monitor = data;

  g_signal_handlers_disconnect_matched (monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, on_monitor_changed, NULL);
  g_file_monitor_cancel (monitor);
  g_object_unref (monitor);
}

static void
watched_free (gpointer data)
{
  Watched *w = data;

  w->watcher->n_folders -= g_hash_table_size (w->monitors);
  g_hash_table_unref (w->monitors);
  g_clear_handle_id (&w->quiet_id, g_source_remove);
  g_free (w->name);
  g_free (w);
}

static void
hearth_doc_watcher_dispose (GObject *object)
{
  HearthDocWatcher *self = HEARTH_DOC_WATCHER (object);

  g_clear_pointer (&self->collections, g_hash_table_unref);
  G_OBJECT_CLASS (hearth_doc_watcher_parent_class)->dispose (object);
}

static void
hearth_doc_watcher_class_init (HearthDocWatcherClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_doc_watcher_dispose;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hearth_doc_watcher_init (HearthDocWatcher *self)
{
  self->collections = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, watched_free);
  self->quiet_ms = DEFAULT_QUIET_MS;
}

HearthDocWatcher *
hearth_doc_watcher_new (void)
{
  return g_object_new (HEARTH_TYPE_DOC_WATCHER, NULL);
}

/* One monitor for @path (a folder, or a file when @is_file). */
static gboolean
add_monitor (Watched    *w,
             const char *path,
             gboolean    is_file)
{
  HearthDocWatcher *self = w->watcher;
  g_autoptr(GFile) file = NULL;
  GFileMonitor *monitor;

  if (g_hash_table_contains (w->monitors, path))
    return TRUE;
  if (self->n_folders >= HEARTH_DOC_WATCHER_MAX_FOLDERS)
    {
      self->truncated = TRUE;
      return FALSE;
    }
  file = g_file_new_for_path (path);
  monitor = is_file ? g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL)
                    : g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (monitor == NULL)
    return TRUE;  /* unreadable or gone: the indexer will say so for its files */
  g_signal_connect (monitor, "changed", G_CALLBACK (on_monitor_changed), w);
  g_hash_table_insert (w->monitors, g_strdup (path), monitor);
  self->n_folders++;
  return TRUE;
}

/* @root and every folder below it, breadth first (no recursion: trees are
 * the user's and may be deep), hidden ones and symbolic links skipped as
 * the indexer skips them. */
static void
watch_tree (Watched    *w,
            const char *root)
{
  GQueue *todo = g_queue_new ();
  char *dir;

  g_queue_push_tail (todo, g_strdup (root));
  while ((dir = g_queue_pop_head (todo)) != NULL)
    {
      g_autoptr(GDir) d = NULL;
      const char *name;

      if (!add_monitor (w, dir, FALSE))
        {
          g_free (dir);
          break;
        }
      d = g_dir_open (dir, 0, NULL);
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = NULL;
          struct stat st;

          if (name[0] == '.')
            continue;
          path = g_build_filename (dir, name, NULL);
          if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
            g_queue_push_tail (todo, g_steal_pointer (&path));
        }
      g_free (dir);
    }
  g_queue_free_full (todo, g_free);
}

/* Stops watching @path and every folder below it. */
static void
unwatch_tree (Watched    *w,
              const char *path)
{
  g_autofree char *prefix = g_strconcat (path, G_DIR_SEPARATOR_S, NULL);
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, w->monitors);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (strcmp (key, path) == 0 || g_str_has_prefix (key, prefix))
      {
        g_hash_table_iter_remove (&iter);
        w->watcher->n_folders--;
      }
}

static gboolean
quiet_done (gpointer user_data)
{
  Watched *w = user_data;

  w->quiet_id = 0;
  g_signal_emit (w->watcher, signals[SIGNAL_CHANGED], 0, w->name);
  return G_SOURCE_REMOVE;
}

/* Whether @file being made, changed or gone matters to the index: a
 * folder (watched from now on when it appeared), or a file of a format the
 * indexer reads; hidden entries do not. */
static gboolean
matters (Watched  *w,
         GFile    *file,
         gboolean  appeared)
{
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;
  g_autofree char *base = NULL;
  HearthDocFormat format;
  struct stat st;

  if (path == NULL)
    return FALSE;
  base = g_path_get_basename (path);
  if (base[0] == '.')
    return FALSE;
  if (appeared && lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      watch_tree (w, path);
      return TRUE;
    }
  if (!appeared && g_hash_table_contains (w->monitors, path))
    {
      /* A watched folder (or a source file) went away. */
      unwatch_tree (w, path);
      return TRUE;
    }
  return hearth_doc_format_from_path (path, &format);
}

static void
on_monitor_changed (GFileMonitor     *monitor,
                    GFile            *file,
                    GFile            *other,
                    GFileMonitorEvent event,
                    gpointer          user_data)
{
  Watched *w = user_data;
  gboolean relevant = FALSE;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      relevant = matters (w, file, TRUE);
      break;
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      relevant = matters (w, file, FALSE);
      break;
    case G_FILE_MONITOR_EVENT_RENAMED:
      relevant = matters (w, file, FALSE);
      relevant = matters (w, other, TRUE) || relevant;
      break;
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
      relevant = TRUE;
      break;
    case G_FILE_MONITOR_EVENT_CHANGED:          /* wait for CHANGES_DONE_HINT */
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_MOVED:            /* not sent with WATCH_MOVES */
    default:
      break;
    }
  if (!relevant)
    return;
  /* Gather: a copy of many files is one change, told when it is over. */
  g_clear_handle_id (&w->quiet_id, g_source_remove);
  w->quiet_id = g_timeout_add (w->watcher->quiet_ms, quiet_done, w);
}

void
hearth_doc_watcher_set_sources (HearthDocWatcher *self,
                                const char       *collection,
                                GPtrArray        *sources)
{
  Watched *w;

  g_return_if_fail (HEARTH_IS_DOC_WATCHER (self));
  g_return_if_fail (collection != NULL);

  g_hash_table_remove (self->collections, collection);
  if (g_hash_table_size (self->collections) == 0)
    self->truncated = FALSE;
  if (sources == NULL || sources->len == 0)
    return;
  w = g_new0 (Watched, 1);
  w->watcher = self;
  w->name = g_strdup (collection);
  w->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, stop_monitor);
  g_hash_table_insert (self->collections, w->name, w);
  for (guint i = 0; i < sources->len; i++)
    {
      const char *source = g_ptr_array_index (sources, i);
      struct stat st;

      g_return_if_fail (g_path_is_absolute (source));
      if (stat (source, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        watch_tree (w, source);
      else if (S_ISREG (st.st_mode))
        add_monitor (w, source, TRUE);
    }
}

void
hearth_doc_watcher_set_quiet_ms (HearthDocWatcher *self,
                                 guint             quiet_ms)
{
  g_return_if_fail (HEARTH_IS_DOC_WATCHER (self));
  self->quiet_ms = quiet_ms;
}

guint
hearth_doc_watcher_get_n_folders (HearthDocWatcher *self)
{
  g_return_val_if_fail (HEARTH_IS_DOC_WATCHER (self), 0);
  return self->n_folders;
}

gboolean
hearth_doc_watcher_get_truncated (HearthDocWatcher *self)
{
  g_return_val_if_fail (HEARTH_IS_DOC_WATCHER (self), FALSE);
  return self->truncated;
}
