/* hearth-doc-embedder.h: the embedding model of a collection, for its chunks and its queries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Wraps an encoder model (bert, nomic-bert; hearth-embed.h) with what a
 * document index needs around it:
 *  - identity: the model is named by the SHA-256 of its file, so that a
 *    collection knows its vectors came from this exact model; a model file
 *    replaced under the same path is seen (size/mtime first, then the hash)
 *    and never mixed into an index silently;
 *  - task prefixes: nomic-bert models were trained with
 *    "search_document: " and "search_query: " in front of the text; bert
 *    models get the text as it is;
 *  - token counts with the model's own tokenizer, for the chunker's budget.
 * Vectors come back unit length (the engine normalises).
 *
 * Threading: embed and count may be called from any thread (the engine
 * serialises passes over one model).  Ownership: the caller's.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-doc-chunk.h"
#include "hearth-doc-index.h"

G_BEGIN_DECLS

typedef struct _HearthDocEmbedder HearthDocEmbedder;

/* Loads the model at @path (an encoder, else an error naming it). */
HearthDocEmbedder *hearth_doc_embedder_load  (const char        *path,
                                              GCancellable      *cancellable,
                                              GError           **error);
/* The model of @collection: its file is hashed again only when its size
 * or mtime differ from those recorded (a model of gigabytes is not read
 * twice on every search); the identity is then the file's. */
HearthDocEmbedder *hearth_doc_embedder_load_for (const HearthDocCollection *collection,
                                                 GCancellable              *cancellable,
                                                 GError                   **error);
void               hearth_doc_embedder_free  (HearthDocEmbedder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocEmbedder, hearth_doc_embedder_free)

guint       hearth_doc_embedder_get_dim      (HearthDocEmbedder *self);
/* The most tokens a text may have before the model cuts it ([CLS], [SEP]
 * and the task prefix taken off). */
guint       hearth_doc_embedder_get_max_tokens (HearthDocEmbedder *self);
/* Path, "sha256:<hex>" identity, size, mtime and dimension; the strings
 * live as long as @self. */
const HearthDocEmbedModelInfo *hearth_doc_embedder_get_info (HearthDocEmbedder *self);

/* "sha256:<hex>" of the file at @path, its size and mtime (microseconds). */
char       *hearth_doc_embedder_identify     (const char        *path,
                                              gint64            *size,
                                              gint64            *mtime,
                                              GCancellable      *cancellable,
                                              GError           **error);

/* @n_texts vectors of get_dim() floats, one after the other; @query picks
 * the query prefix, else the document one. */
float      *hearth_doc_embedder_embed        (HearthDocEmbedder *self,
                                              const char *const *texts,
                                              gsize              n_texts,
                                              gboolean           query,
                                              GCancellable      *cancellable,
                                              GError           **error);
/* The chunk parameters for @collection's files: its budget and overlap,
 * within what @self (NULL: none, words are counted) reads, counted with
 * its tokenizer.  The indexer's and the re-index plan's. */
void        hearth_doc_embedder_chunk_params (HearthDocEmbedder         *self,
                                              const HearthDocCollection *collection,
                                              HearthDocChunkParams      *params);
/* Tokens of @text as the model counts them (a HearthDocTokenCount). */
guint       hearth_doc_embedder_count_tokens (const char        *text,
                                              gpointer           self);

G_END_DECLS
