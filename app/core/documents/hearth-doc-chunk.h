/* hearth-doc-chunk.h: blocks of a document cut into passages for search and citation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A chunk is a run of consecutive blocks of one document, cut at
 * structure: a heading starts a new chunk, paragraphs are kept whole while
 * they fit the token budget, a paragraph longer than the budget is split at
 * sentence ends (then at spaces), and consecutive chunks share about
 * `overlap` tokens of text. A chunk never spans two pages; its position is
 * that of its first and last block (page, line_start of the first,
 * line_end of the last), so that the cited lines contain the chunk's text.
 * The headings above a chunk go into its `context` (for the prompt and
 * BM25), not into its text.
 *
 * Tokens are counted by @count (the embedding model's tokenizer when one
 * is set); NULL counts words, a stand-in for an index with no model.
 *
 * Threading: reentrant; the result belongs to the caller.
 */
#pragma once

#include "hearth-doc-extract.h"

G_BEGIN_DECLS

typedef guint (*HearthDocTokenCount) (const char *text,
                                      gpointer    user_data);

typedef struct
{
  guint               max_tokens; /* budget per chunk; default 256 */
  guint               overlap;    /* tokens shared with the previous chunk; default 32 */
  HearthDocTokenCount count;      /* NULL: words */
  gpointer            count_data;
} HearthDocChunkParams;

void hearth_doc_chunk_params_init (HearthDocChunkParams *params);

typedef struct
{
  char  *text;       /* the passage, UTF-8 */
  char  *context;    /* headings above it, " > "-joined; NULL at top level */
  guint  page;       /* 1-based for paginated formats; 0 otherwise */
  guint  line_start; /* the conventions of hearth-doc-extract.h */
  guint  line_end;
  guint  n_tokens;   /* as counted */
} HearthDocChunk;

/* The chunks of @text in order; an array of HearthDocChunk, owned. */
GPtrArray *hearth_doc_chunk (const HearthDocText          *text,
                             const HearthDocChunkParams   *params);

void       hearth_doc_chunk_free (HearthDocChunk *chunk);

G_END_DECLS
