/* hearth-doc-retriever.h: Hearth's own document index as a HearthRetriever
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: the retriever the runtime asks for passages of the user's
 * collections in the encrypted document index (hearth-doc-index.h), by
 * hybrid search (hearth-doc-search.h).  It implements the plugin API's
 * HearthRetriever, so the runtime treats it exactly as it treats a
 * plugin's retriever.  It lives in app/core and not in plugins/: the
 * plugin host (hearth-plugin-host.h) lends a plugin settings, granted
 * folders and logging, never a store or a key, and a plugin must not open
 * documents.db itself; the index is the application's to hand over.
 *
 * Contract: search_async finds at most @limit passages of @collection for
 * @query, best first, each a HearthPassage whose source is the file's
 * absolute path, with page (0: not paginated), first and last line, the
 * fused score and the chunk's text.  Only hits above the relevance floors
 * (see hearth_doc_retriever_set_floors) come back, searched by the
 * question's words less its function words, so a question about
 * nothing in the collection gives an empty array, not the least bad chunks.
 * When the collection has an embedding model, the query is embedded with
 * it (hearth-doc-embedder.h, the model loaded once and kept) and the
 * search is hybrid; a model that cannot be loaded, or no longer is the
 * one the vectors came from, leaves BM25 alone.  An unknown collection is
 * HEARTH_STORE_ERROR_NOT_FOUND (a retriever that does not have it).
 * Nothing of a document (text, path, title, collection name) is logged.
 *
 * Threading: create it and call it on one main context; the search (and
 * the query's embedding) runs on a GTask worker thread and completes on
 * that context.  The index serialises its own access.
 * Ownership: the retriever holds a reference on the index; passages
 * belong to the caller.
 */
#pragma once

#include "hearth-doc-index.h"
#include "hearth-plugin.h"

G_BEGIN_DECLS

/* A chunk enters the lexical list only with a BM25 above this, summed
 * over the question's words less its function words ("the", "is", "what":
 * see the .c): one word of the question that the collection holds in a
 * few chunks passes (its idf alone is above ln 2 while it is in at most
 * half of them), a word found in every chunk does not. */
#define HEARTH_DOC_RETRIEVER_DEFAULT_MIN_BM25 0.3

#define HEARTH_TYPE_DOC_RETRIEVER (hearth_doc_retriever_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocRetriever, hearth_doc_retriever, HEARTH, DOC_RETRIEVER, GObject)

HearthDocRetriever *hearth_doc_retriever_new (HearthDocIndex *index);
HearthDocIndex     *hearth_doc_retriever_get_index (HearthDocRetriever *self);
/* The relevance floors: BM25 (exclusive; default above) and cosine
 * similarity (inclusive; the search's default, 0.3).  Negative: default. */
void                hearth_doc_retriever_set_floors (HearthDocRetriever *self,
                                                     double              min_bm25,
                                                     double              min_similarity);

G_END_DECLS
