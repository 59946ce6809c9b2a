/* hearth-documents.c: the app's document index, indexer and retriever, for the views
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>

#include "hearth-doc-retriever.h"
#include "hearth-doc-watcher.h"
#include "hearth-documents.h"
#include "hearth-store-error.h"

/* Chunk parameters of a collection made in the app: the CLI's defaults. */
#define CHUNK_TOKENS  256
#define CHUNK_OVERLAP 32

struct _HearthDocuments
{
  GObject             parent_instance;
  HearthDocIndex     *index;       /* NULL: could not be opened */
  char               *error;
  HearthDocRetriever *retriever;
  HearthDocIndexer   *indexer;     /* the run in progress, or the last */
  GCancellable       *cancellable; /* of the run in progress */
  GQueue              queue;       /* names waiting for a run */
  HearthDocWatcher   *watcher;     /* NULL until hearth_documents_watch */
};

G_DEFINE_FINAL_TYPE (HearthDocuments, hearth_documents, G_TYPE_OBJECT)

enum { PROP_0, PROP_INDEXER, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_CHANGED, SIGNAL_RUN_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void run_next (HearthDocuments *self);

static void
hearth_documents_dispose (GObject *object)
{
  HearthDocuments *self = HEARTH_DOCUMENTS (object);

  g_cancellable_cancel (self->cancellable);
  if (self->watcher != NULL)
    g_signal_handlers_disconnect_by_data (self->watcher, self);
  g_clear_object (&self->watcher);
  g_queue_clear_full (&self->queue, g_free);
  g_clear_object (&self->retriever);
  g_clear_object (&self->indexer);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->index);
  G_OBJECT_CLASS (hearth_documents_parent_class)->dispose (object);
}

static void
hearth_documents_finalize (GObject *object)
{
  g_free (HEARTH_DOCUMENTS (object)->error);
  G_OBJECT_CLASS (hearth_documents_parent_class)->finalize (object);
}

static void
hearth_documents_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_INDEXER:
      g_value_set_object (value, HEARTH_DOCUMENTS (object)->indexer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_documents_class_init (HearthDocumentsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_documents_dispose;
  object_class->finalize = hearth_documents_finalize;
  object_class->get_property = hearth_documents_get_property;
  props[PROP_INDEXER] = g_param_spec_object ("indexer", NULL, NULL, HEARTH_TYPE_DOC_INDEXER,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RUN_FAILED] = g_signal_new ("run-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
hearth_documents_init (HearthDocuments *self)
{
  g_queue_init (&self->queue);
}

HearthDocuments *
hearth_documents_new (HearthDocIndex *index,
                      const GError   *error)
{
  HearthDocuments *self = g_object_new (HEARTH_TYPE_DOCUMENTS, NULL);

  if (index != NULL)
    {
      self->index = g_object_ref (index);
      self->retriever = hearth_doc_retriever_new (index);
    }
  else
    self->error = g_strdup (error != NULL ? error->message : "no document index");
  return self;
}

void
hearth_documents_attach (HearthDocuments *self,
                         HearthRuntime   *runtime)
{
  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  g_return_if_fail (HEARTH_IS_RUNTIME (runtime));

  if (self->retriever != NULL)
    hearth_runtime_add_retriever (runtime, HEARTH_RETRIEVER (self->retriever));
  g_object_set_data_full (G_OBJECT (runtime), "hearth-documents", g_object_ref (self), g_object_unref);
}

HearthDocuments *
hearth_documents_get_for_runtime (HearthRuntime *runtime)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (runtime), NULL);
  return g_object_get_data (G_OBJECT (runtime), "hearth-documents");
}

const char *
hearth_documents_get_error (HearthDocuments *self)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  return self->error;
}

static gboolean
check_open (HearthDocuments *self,
            GError         **error)
{
  if (self->index != NULL)
    return TRUE;
  g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED, self->error);
  return FALSE;
}

GPtrArray *
hearth_documents_list_collections (HearthDocuments *self,
                                   GError         **error)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  return check_open (self, error) ? hearth_doc_index_list_collections (self->index, error) : NULL;
}

GPtrArray *
hearth_documents_list_sources (HearthDocuments *self,
                               gint64           collection_id,
                               GError         **error)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  return check_open (self, error) ? hearth_doc_index_list_sources (self->index, collection_id, error) : NULL;
}

GPtrArray *
hearth_documents_list_failed_files (HearthDocuments *self,
                                    gint64           collection_id,
                                    GError         **error)
{
  g_autoptr(GPtrArray) all = NULL;
  GPtrArray *failed;

  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  if (!check_open (self, error) ||
      (all = hearth_doc_index_list_files (self->index, collection_id, error)) == NULL)
    return NULL;
  failed = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_file_info_free);
  for (guint i = 0; i < all->len; i++)
    {
      HearthDocFileInfo *info = all->pdata[i];

      if (info->status == HEARTH_DOC_FILE_FAILED)
        g_ptr_array_add (failed, g_steal_pointer (&all->pdata[i]));
    }
  return failed;
}

gboolean
hearth_documents_create_collection (HearthDocuments *self,
                                    const char      *name,
                                    GError         **error)
{
  g_autoptr(HearthDocCollection) existing = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autofree char *stripped = NULL;

  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), FALSE);
  if (!check_open (self, error))
    return FALSE;
  stripped = g_strstrip (g_strdup (name != NULL ? name : ""));
  if (stripped[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("A collection needs a name"));
      return FALSE;
    }
  if ((existing = hearth_doc_index_get_collection (self->index, stripped, NULL)) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, _("There is already a collection named “%s”"), stripped);
      return FALSE;
    }
  c = hearth_doc_index_ensure_collection (self->index, stripped, NULL, CHUNK_TOKENS, CHUNK_OVERLAP, error);
  if (c == NULL)
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

static gboolean
is_busy (HearthDocuments *self,
         const char      *name)
{
  if (self->indexer != NULL && hearth_doc_indexer_get_running (self->indexer))
    {
      g_autofree char *running = NULL;

      g_object_get (self->indexer, "collection", &running, NULL);
      if (g_strcmp0 (running, name) == 0)
        return TRUE;
    }
  return g_queue_find_custom (&self->queue, name, (GCompareFunc) g_strcmp0) != NULL;
}

/* FALSE, with BUSY, while @name is being indexed or queued. */
static gboolean
check_not_busy (HearthDocuments *self,
                const char      *name,
                GError         **error)
{
  if (!is_busy (self, name))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("“%s” is being indexed; stop it first"), name);
  return FALSE;
}

gboolean
hearth_documents_remove_collection (HearthDocuments *self,
                                    const char      *name,
                                    GError         **error)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), FALSE);
  if (!check_open (self, error))
    return FALSE;
  if (!check_not_busy (self, name, error))
    return FALSE;
  if (!hearth_doc_index_remove_collection (self->index, name, error))
    return FALSE;
  if (self->watcher != NULL)
    hearth_doc_watcher_set_sources (self->watcher, name, NULL);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

/* The watcher follows @name's sources as they are now in the index. */
static void
rewatch (HearthDocuments *self,
         const char      *name)
{
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(GPtrArray) sources = NULL;

  if (self->watcher == NULL)
    return;
  if ((c = hearth_doc_index_get_collection (self->index, name, NULL)) != NULL)
    sources = hearth_doc_index_list_sources (self->index, c->id, NULL);
  hearth_doc_watcher_set_sources (self->watcher, name, sources);
}

gboolean
hearth_documents_add_folder (HearthDocuments *self,
                             const char      *name,
                             const char      *path,
                             GError         **error)
{
  g_autoptr(HearthDocCollection) c = NULL;

  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), FALSE);
  g_return_val_if_fail (path != NULL && g_path_is_absolute (path), FALSE);
  if (!check_open (self, error) ||
      (c = hearth_doc_index_get_collection (self->index, name, error)) == NULL ||
      !hearth_doc_index_add_source (self->index, c->id, path, error))
    return FALSE;
  rewatch (self, name);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  hearth_documents_update (self, name);
  return TRUE;
}

gboolean
hearth_documents_remove_source (HearthDocuments *self,
                                const char      *name,
                                const char      *path,
                                GError         **error)
{
  g_autoptr(HearthDocCollection) c = NULL;

  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), FALSE);
  if (!check_open (self, error))
    return FALSE;
  if (!check_not_busy (self, name, error))
    return FALSE;
  if ((c = hearth_doc_index_get_collection (self->index, name, error)) == NULL ||
      !hearth_doc_index_remove_source (self->index, c->id, path, error))
    return FALSE;
  rewatch (self, name);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(HearthDocuments) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;

  g_object_get (source, "collection", &name, NULL);
  if (!hearth_doc_indexer_run_finish (HEARTH_DOC_INDEXER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_signal_emit (self, signals[SIGNAL_RUN_FAILED], 0, name, error->message);
  g_clear_object (&self->cancellable);
  if (self->index == NULL)
    return;  /* disposed meanwhile */
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  run_next (self);
}

static void
run_next (HearthDocuments *self)
{
  g_autofree char *name = NULL;

  if (self->cancellable != NULL || (name = g_queue_pop_head (&self->queue)) == NULL)
    return;
  g_set_object (&self->indexer, NULL);
  self->indexer = hearth_doc_indexer_new (self->index, name);
  self->cancellable = g_cancellable_new ();
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_INDEXER]);
  hearth_doc_indexer_run_async (self->indexer, self->cancellable, run_done, g_object_ref (self));
}

void
hearth_documents_update (HearthDocuments *self,
                         const char      *name)
{
  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  if (self->index == NULL || g_queue_find_custom (&self->queue, name, (GCompareFunc) g_strcmp0) != NULL)
    return;
  g_queue_push_tail (&self->queue, g_strdup (name));
  run_next (self);
}

typedef struct
{
  char *name;
  char *model_path;
} PlanArgs;

static void
plan_args_free (PlanArgs *args)
{
  g_free (args->name);
  g_free (args->model_path);
  g_free (args);
}

static void
plan_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  PlanArgs *args = data;
  GError *error = NULL;
  HearthDocReindexPlan *plan;

  plan = hearth_doc_reindex_plan_make (HEARTH_DOCUMENTS (source)->index, args->name, args->model_path,
                                       cancellable, &error);
  if (plan != NULL)
    g_task_return_pointer (task, plan, (GDestroyNotify) hearth_doc_reindex_plan_free);
  else
    g_task_return_error (task, error);
}

void
hearth_documents_plan_reindex_async (HearthDocuments    *self,
                                     const char         *name,
                                     const char         *model_path,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  PlanArgs *args;

  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  g_return_if_fail (name != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_documents_plan_reindex_async);
  if (!check_open (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  args = g_new0 (PlanArgs, 1);
  args->name = g_strdup (name);
  args->model_path = g_strdup (model_path);
  g_task_set_task_data (task, args, (GDestroyNotify) plan_args_free);
  g_task_run_in_thread (task, plan_thread);
}

HearthDocReindexPlan *
hearth_documents_plan_reindex_finish (HearthDocuments *self,
                                      GAsyncResult    *result,
                                      GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hearth_documents_reindex (HearthDocuments            *self,
                          const HearthDocReindexPlan *plan,
                          GError                    **error)
{
  g_autoptr(HearthDocCollection) c = NULL;
  HearthDocEmbedModelInfo model = { 0 };

  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);
  if (!check_open (self, error))
    return FALSE;
  if (!check_not_busy (self, plan->collection, error))
    return FALSE;
  model.path = plan->model_path;
  model.identity = plan->model_identity;
  model.size = plan->model_size;
  model.mtime = plan->model_mtime;
  model.dim = plan->model_dim;
  if ((c = hearth_doc_index_get_collection (self->index, plan->collection, error)) == NULL ||
      !hearth_doc_index_reset_collection (self->index, c->id, plan->model_path != NULL ? &model : NULL, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  hearth_documents_update (self, plan->collection);
  return TRUE;
}

HearthDocIndexer *
hearth_documents_get_indexer (HearthDocuments *self)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  return self->indexer;
}

void
hearth_documents_pause (HearthDocuments *self)
{
  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  if (self->indexer != NULL && hearth_doc_indexer_get_running (self->indexer))
    hearth_doc_indexer_pause (self->indexer);
}

void
hearth_documents_resume (HearthDocuments *self)
{
  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  if (self->indexer != NULL)
    hearth_doc_indexer_resume (self->indexer);
}

void
hearth_documents_cancel (HearthDocuments *self)
{
  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  g_queue_clear_full (&self->queue, g_free);
  g_cancellable_cancel (self->cancellable);
  if (self->indexer != NULL)
    hearth_doc_indexer_resume (self->indexer);
}

static void
on_watched_changed (HearthDocWatcher *watcher,
                    const char       *name,
                    gpointer          user_data)
{
  hearth_documents_update (HEARTH_DOCUMENTS (user_data), name);
}

void
hearth_documents_watch (HearthDocuments *self)
{
  g_autoptr(GPtrArray) all = NULL;

  g_return_if_fail (HEARTH_IS_DOCUMENTS (self));
  if (self->index == NULL || self->watcher != NULL)
    return;
  self->watcher = hearth_doc_watcher_new ();
  g_signal_connect (self->watcher, "changed", G_CALLBACK (on_watched_changed), self);
  all = hearth_doc_index_list_collections (self->index, NULL);
  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      HearthDocCollection *c = g_ptr_array_index (all, i);

      rewatch (self, c->name);
      /* What changed while the app was not running. */
      hearth_documents_update (self, c->name);
    }
}

HearthDocWatcher *
hearth_documents_get_watcher (HearthDocuments *self)
{
  g_return_val_if_fail (HEARTH_IS_DOCUMENTS (self), NULL);
  return self->watcher;
}
