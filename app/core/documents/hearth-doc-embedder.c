/* hearth-doc-embedder.c: loading, identifying and running a collection's embedding model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-doc-embedder.h"
#include "hearth-engine.h"

/* Texts per engine call: enough to fill a pass, few enough to notice a
 * cancellation soon. */
#define BATCH 32

struct _HearthDocEmbedder
{
  HearthModel            *model;
  char                   *path;
  char                   *identity;
  HearthDocEmbedModelInfo info;
  const char             *doc_prefix;
  const char             *query_prefix;
  guint                   dim;
  guint                   max_tokens;
};

static gint64
stat_mtime_usec (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

char *
hearth_doc_embedder_identify (const char   *path,
                              gint64       *size,
                              gint64       *mtime,
                              GCancellable *cancellable,
                              GError      **error)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buf = g_malloc (1 << 20);
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot read the embedding model: %s", g_strerror (saved));
      return NULL;
    }
  while ((n = read (fd, buf, 1 << 20)) > 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return NULL;
        }
      g_checksum_update (sum, buf, (gsize) n);
    }
  close (fd);
  if (n < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the embedding model: %s",
                   g_strerror (errno));
      return NULL;
    }
  *size = st.st_size;
  *mtime = stat_mtime_usec (&st);
  return g_strconcat ("sha256:", g_checksum_get_string (sum), NULL);
}

static HearthDocEmbedder *
load (const char                *path,
      const HearthDocCollection *known,
      GCancellable              *cancellable,
      GError                   **error)
{
  g_autoptr(HearthDocEmbedder) self = g_new0 (HearthDocEmbedder, 1);
  HearthModelParams params;
  guint n_ctx, prefix_tokens = 0;
  struct stat st;

  self->path = g_canonicalize_filename (path, NULL);
  if (known != NULL && known->embed_model_id != NULL && stat (self->path, &st) == 0 &&
      st.st_size == known->embed_model_size && stat_mtime_usec (&st) == known->embed_model_mtime)
    {
      self->identity = g_strdup (known->embed_model_id);
      self->info.size = st.st_size;
      self->info.mtime = stat_mtime_usec (&st);
    }
  else
    self->identity = hearth_doc_embedder_identify (self->path, &self->info.size, &self->info.mtime,
                                                   cancellable, error);
  if (self->identity == NULL)
    return NULL;
  hearth_model_params_init (&params);
  self->model = hearth_model_load (self->path, &params, error);
  if (self->model == NULL)
    return NULL;
  if (!hearth_model_is_encoder (self->model))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s is a %s model, not an embedding model (bert, nomic-bert)",
                   self->path, hearth_model_get_architecture (self->model));
      return NULL;
    }
  if (g_strcmp0 (hearth_model_get_architecture (self->model), "nomic-bert") == 0)
    {
      self->doc_prefix = "search_document: ";
      self->query_prefix = "search_query: ";
      prefix_tokens = 8;
    }
  else
    self->doc_prefix = self->query_prefix = "";
  self->dim = hearth_model_get_n_embd (self->model);
  n_ctx = hearth_model_get_n_ctx_train (self->model);
  self->max_tokens = n_ctx > 2 + prefix_tokens + 1 ? n_ctx - 2 - prefix_tokens : 1;
  self->info.path = self->path;
  self->info.identity = self->identity;
  self->info.dim = self->dim;
  return g_steal_pointer (&self);
}

HearthDocEmbedder *
hearth_doc_embedder_load (const char   *path,
                          GCancellable *cancellable,
                          GError      **error)
{
  return load (path, NULL, cancellable, error);
}

HearthDocEmbedder *
hearth_doc_embedder_load_for (const HearthDocCollection *collection,
                              GCancellable              *cancellable,
                              GError                   **error)
{
  g_return_val_if_fail (collection->embed_model != NULL, NULL);
  return load (collection->embed_model, collection, cancellable, error);
}

void
hearth_doc_embedder_free (HearthDocEmbedder *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->model, hearth_model_unref);
  g_free (self->path);
  g_free (self->identity);
  g_free (self);
}

guint
hearth_doc_embedder_get_dim (HearthDocEmbedder *self)
{
  return self->dim;
}

guint
hearth_doc_embedder_get_max_tokens (HearthDocEmbedder *self)
{
  return self->max_tokens;
}

const HearthDocEmbedModelInfo *
hearth_doc_embedder_get_info (HearthDocEmbedder *self)
{
  return &self->info;
}

float *
hearth_doc_embedder_embed (HearthDocEmbedder *self,
                           const char *const *texts,
                           gsize              n_texts,
                           gboolean           query,
                           GCancellable      *cancellable,
                           GError           **error)
{
  g_autofree float *out = g_new0 (float, MAX (n_texts, 1) * self->dim);
  const char *prefix = query ? self->query_prefix : self->doc_prefix;
  HearthEmbedParams params;

  hearth_embed_params_init (&params);
  for (gsize start = 0; start < n_texts; start += BATCH)
    {
      gsize n = MIN (BATCH, n_texts - start);
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(HearthEmbeddings) e = NULL;

      for (gsize i = 0; i < n; i++)
        g_ptr_array_add (batch, g_strconcat (prefix, texts[start + i], NULL));
      e = hearth_model_embed (self->model, (const char *const *) batch->pdata, n, &params, cancellable, error);
      if (e == NULL)
        return NULL;
      for (gsize i = 0; i < n; i++)
        memcpy (out + (start + i) * self->dim, hearth_embeddings_get_vector (e, i, NULL),
                self->dim * sizeof (float));
    }
  return g_steal_pointer (&out);
}

guint
hearth_doc_embedder_count_tokens (const char *text,
                                  gpointer    user_data)
{
  HearthDocEmbedder *self = user_data;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  if (!hearth_tokenizer_encode (hearth_model_get_tokenizer (self->model), text, -1, 0, ids, NULL))
    return (guint) strlen (text); /* cannot happen; counting bytes errs on the safe side */
  return ids->len;
}

void
hearth_doc_embedder_chunk_params (HearthDocEmbedder         *self,
                                  const HearthDocCollection *collection,
                                  HearthDocChunkParams      *params)
{
  hearth_doc_chunk_params_init (params);
  params->max_tokens = collection->chunk_max_tokens;
  params->overlap = collection->chunk_overlap;
  if (self == NULL)
    return;
  params->max_tokens = MIN (params->max_tokens, hearth_doc_embedder_get_max_tokens (self));
  params->overlap = MIN (params->overlap, params->max_tokens / 2);
  params->count = hearth_doc_embedder_count_tokens;
  params->count_data = self;
}
