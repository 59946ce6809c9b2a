/* hearth-doc-retriever.c: Hearth's own document index as a HearthRetriever
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Contract and ownership: see the header.  Threading: the search runs
 * in a GTask thread: the collection's row (for its model), the query's
 * vector when there is a model, then hearth_doc_search().  The
 * embedders loaded are kept by model path for the next queries, with the
 * collection's record of the model they were loaded for (a re-index with
 * another file at that path loads it again); the lock guards that table
 * and the floors, the index guards itself.
 *
 * A question is not a keyword query: "What is the capital of ...?" would
 * match every chunk with "the" or "is" in it, and in a small collection
 * (where BM25's idf of such words is still well above zero) those chunks
 * would pass any floor that lets a real one-word match through.  So the
 * words searched by BM25 are the question's without its function words
 * (English, German, French); the vector search, when there is one, gets
 * the question whole.  A question of function words only finds nothing.
 */
#include "hearth-config.h"

#include "hearth-doc-embedder.h"
#include "hearth-doc-retriever.h"
#include "hearth-doc-search.h"

struct _HearthDocRetriever
{
  GObject         parent_instance;
  HearthDocIndex *index;
  GMutex          lock;
  GHashTable     *embedders;  /* model path -> CachedEmbedder */
  GPtrArray      *retired;    /* embedders replaced in the table, kept alive for
                               * the searches still using them */
  double          min_bm25;
  double          min_similarity;
};

enum
{
  PROP_0,
  PROP_HOST,
};

static void hearth_doc_retriever_iface_init (HearthRetrieverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthDocRetriever, hearth_doc_retriever, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RETRIEVER, hearth_doc_retriever_iface_init))

typedef struct
{
  char  *collection;
  char  *query;
  guint  limit;
  double min_bm25;
  double min_similarity;
} SearchData;

static void
search_data_free (SearchData *data)
{
  g_free (data->collection);
  g_free (data->query);
  g_free (data);
}

/* Function words: they say how a question is asked, not what it is about. */
static const char *const stop_words[] = {
  "a", "about", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do",
  "does", "for", "from", "had", "has", "have", "he", "her", "him", "his", "how", "i", "if", "in", "into",
  "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "she", "should", "so", "some",
  "tell", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to",
  "us", "was", "we", "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "will",
  "with", "would", "you", "your",
  "aber", "auch", "auf", "aus", "bei", "bin", "bist", "das", "dass", "dem", "den", "der", "des", "die",
  "ein", "eine", "einem", "einen", "einer", "es", "für", "hat", "ich", "ist", "mit", "nicht", "oder",
  "sie", "sind", "und", "von", "was", "welche", "welcher", "wer", "wie", "wir", "wo", "zu",
  "au", "aux", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "est", "et", "il", "je", "la", "le",
  "les", "leur", "mais", "ou", "où", "par", "pas", "pour", "que", "quel", "quelle", "qui", "quoi", "se",
  "son", "sont", "sur", "un", "une",
};

/* @question's words that say what it is about, separated by spaces. */
static char *
dup_keywords (const char *question)
{
  static GHashTable *stops;
  GString *out = g_string_new (NULL);
  const char *p = question;

  if (g_once_init_enter (&stops))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < G_N_ELEMENTS (stop_words); i++)
        g_hash_table_add (table, (gpointer) stop_words[i]);
      g_once_init_leave (&stops, table);
    }
  while (*p != '\0')
    {
      const char *start;

      while (*p != '\0' && !g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p > start)
        {
          g_autofree char *word = g_utf8_strdown (start, p - start);

          if (!g_hash_table_contains (stops, word))
            g_string_append_printf (out, "%s%.*s", out->len > 0 ? " " : "", (int) (p - start), start);
        }
    }
  return g_string_free (out, FALSE);
}

/* An embedder loaded for a collection as the index then recorded its
 * model; a re-index (another file at the same path) changes the record,
 * and the next question loads the file again. */
typedef struct
{
  HearthDocEmbedder *embedder;  /* NULL: it failed to load */
  char              *identity;  /* the collection's record when loaded */
  gint64             size;
  gint64             mtime;
} CachedEmbedder;

static void
cached_embedder_free (gpointer data)
{
  CachedEmbedder *c = data;

  if (c->embedder != NULL)
    hearth_doc_embedder_free (c->embedder);
  g_free (c->identity);
  g_free (c);
}

static gboolean
cached_for (const CachedEmbedder      *c,
            const HearthDocCollection *collection)
{
  return g_strcmp0 (c->identity, collection->embed_model_id) == 0 && c->size == collection->embed_model_size &&
         c->mtime == collection->embed_model_mtime;
}

/* The query's vector with the collection's model, or NULL (BM25 only):
 * no model, a model that does not load, or a file that is no longer the
 * model the collection's vectors came from (same path, other size or
 * mtime: hashing it on every question would cost too much; the indexer
 * checks the hash and refuses to mix models). */
static float *
embed_query (HearthDocRetriever        *self,
             const HearthDocCollection *collection,
             const char                *query,
             GCancellable              *cancellable,
             guint                     *dim)
{
  HearthDocEmbedder *embedder = NULL;
  const HearthDocEmbedModelInfo *info;
  CachedEmbedder *cached;
  const char *texts[1] = { query };

  if (collection->embed_model == NULL || collection->embed_dim == 0)
    return NULL;
  g_mutex_lock (&self->lock);
  cached = g_hash_table_lookup (self->embedders, collection->embed_model);
  if (cached == NULL || !cached_for (cached, collection))
    {
      g_autoptr(GError) error = NULL;

      /* Loaded under the lock: two questions at once load it once.  A
       * replaced embedder may still be embedding another question. */
      if (cached != NULL && cached->embedder != NULL)
        g_ptr_array_add (self->retired, g_steal_pointer (&cached->embedder));
      cached = g_new0 (CachedEmbedder, 1);
      cached->embedder = hearth_doc_embedder_load_for (collection, cancellable, &error);
      cached->identity = g_strdup (collection->embed_model_id);
      cached->size = collection->embed_model_size;
      cached->mtime = collection->embed_model_mtime;
      if (cached->embedder == NULL)
        g_debug ("A collection's embedding model did not load; searching by words only");
      g_hash_table_replace (self->embedders, g_strdup (collection->embed_model), cached);
    }
  embedder = cached->embedder;
  g_mutex_unlock (&self->lock);
  if (embedder == NULL)
    return NULL;
  info = hearth_doc_embedder_get_info (embedder);
  if (info->dim != collection->embed_dim || g_strcmp0 (info->identity, collection->embed_model_id) != 0 ||
      info->size != collection->embed_model_size || info->mtime != collection->embed_model_mtime)
    return NULL;
  *dim = info->dim;
  return hearth_doc_embedder_embed (embedder, texts, 1, TRUE, cancellable, NULL);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  HearthDocRetriever *self = source_object;
  SearchData *data = task_data;
  g_autoptr(HearthDocCollection) collection = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) passages = NULL;
  g_autofree float *vector = NULL;
  g_autofree char *keywords = dup_keywords (data->query);
  HearthDocSearchParams params;
  GError *error = NULL;
  guint dim = 0;

  collection = hearth_doc_index_get_collection (self->index, data->collection, &error);
  if (collection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;
  vector = embed_query (self, collection, data->query, cancellable, &dim);
  if (g_task_return_error_if_cancelled (task))
    return;
  if (keywords[0] == '\0' && vector == NULL)
    {
      g_task_return_pointer (task, g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_passage_unref),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  hearth_doc_search_params_init (&params);
  params.k = data->limit;
  params.n_candidates = MAX (params.n_candidates, data->limit);
  params.min_bm25 = data->min_bm25;
  params.min_similarity = data->min_similarity;
  hits = hearth_doc_search (self->index, data->collection, keywords, vector, dim, &params, &error);
  if (hits == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  passages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_passage_unref);
  for (guint i = 0; i < hits->len && i < data->limit; i++)
    {
      HearthDocHit *hit = g_ptr_array_index (hits, i);

      g_ptr_array_add (passages, hearth_passage_new (hit->text != NULL ? hit->text : "", hit->path, NULL,
                                                     hit->page, hit->line_start, hit->line_end, hit->score));
    }
  g_task_return_pointer (task, g_steal_pointer (&passages), (GDestroyNotify) g_ptr_array_unref);
}

static void
hearth_doc_retriever_search_async (HearthRetriever     *retriever,
                                   const char          *collection,
                                   const char          *query,
                                   guint                limit,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  HearthDocRetriever *self = HEARTH_DOC_RETRIEVER (retriever);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  SearchData *data = g_new0 (SearchData, 1);

  g_task_set_source_tag (task, hearth_doc_retriever_search_async);
  data->collection = g_strdup (collection);
  data->query = g_strdup (query);
  data->limit = limit > 0 ? limit : 5;
  g_mutex_lock (&self->lock);
  data->min_bm25 = self->min_bm25;
  data->min_similarity = self->min_similarity;
  g_mutex_unlock (&self->lock);
  g_task_set_task_data (task, data, (GDestroyNotify) search_data_free);
  g_task_run_in_thread (task, search_thread);
}

static GPtrArray *
hearth_doc_retriever_search_finish (HearthRetriever *retriever,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, retriever), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char **
hearth_doc_retriever_list_collections (HearthRetriever *retriever)
{
  HearthDocRetriever *self = HEARTH_DOC_RETRIEVER (retriever);
  g_autoptr(GPtrArray) collections = hearth_doc_index_list_collections (self->index, NULL);
  GStrvBuilder *names = g_strv_builder_new ();
  char **out;

  for (guint i = 0; collections != NULL && i < collections->len; i++)
    g_strv_builder_add (names, ((HearthDocCollection *) g_ptr_array_index (collections, i))->name);
  out = g_strv_builder_end (names);
  g_strv_builder_unref (names);
  return out;
}

static void
hearth_doc_retriever_iface_init (HearthRetrieverInterface *iface)
{
  iface->list_collections = hearth_doc_retriever_list_collections;
  iface->search_async = hearth_doc_retriever_search_async;
  iface->search_finish = hearth_doc_retriever_search_finish;
}

/* "host": the interface's property; Hearth's own retriever has none. */
static void
hearth_doc_retriever_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  if (prop_id == PROP_HOST)
    g_value_set_object (value, NULL);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
hearth_doc_retriever_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  if (prop_id != PROP_HOST)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
hearth_doc_retriever_finalize (GObject *object)
{
  HearthDocRetriever *self = HEARTH_DOC_RETRIEVER (object);

  g_clear_object (&self->index);
  g_hash_table_unref (self->embedders);
  g_ptr_array_unref (self->retired);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (hearth_doc_retriever_parent_class)->finalize (object);
}

static void
hearth_doc_retriever_class_init (HearthDocRetrieverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_doc_retriever_finalize;
  object_class->get_property = hearth_doc_retriever_get_property;
  object_class->set_property = hearth_doc_retriever_set_property;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
hearth_doc_retriever_init (HearthDocRetriever *self)
{
  HearthDocSearchParams params;

  hearth_doc_search_params_init (&params);
  g_mutex_init (&self->lock);
  self->embedders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_embedder_free);
  self->retired = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_embedder_free);
  self->min_bm25 = HEARTH_DOC_RETRIEVER_DEFAULT_MIN_BM25;
  self->min_similarity = params.min_similarity;
}

HearthDocRetriever *
hearth_doc_retriever_new (HearthDocIndex *index)
{
  HearthDocRetriever *self;

  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (index), NULL);
  self = g_object_new (HEARTH_TYPE_DOC_RETRIEVER, NULL);
  self->index = g_object_ref (index);
  return self;
}

HearthDocIndex *
hearth_doc_retriever_get_index (HearthDocRetriever *self)
{
  g_return_val_if_fail (HEARTH_IS_DOC_RETRIEVER (self), NULL);
  return self->index;
}

void
hearth_doc_retriever_set_floors (HearthDocRetriever *self,
                                 double              min_bm25,
                                 double              min_similarity)
{
  HearthDocSearchParams params;

  g_return_if_fail (HEARTH_IS_DOC_RETRIEVER (self));
  hearth_doc_search_params_init (&params);
  g_mutex_lock (&self->lock);
  self->min_bm25 = min_bm25 >= 0 ? min_bm25 : HEARTH_DOC_RETRIEVER_DEFAULT_MIN_BM25;
  self->min_similarity = min_similarity >= 0 ? min_similarity : params.min_similarity;
  g_mutex_unlock (&self->lock);
}
