/* hearth-doc-search.h: hybrid retrieval over a collection: BM25 and vectors, fused by rank
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two ranked lists of chunks, then one:
 *
 * 1. Lexical: every query word (OR) against the collection's FTS4 table
 *    (unicode61, case- and accent-insensitive), scored by Okapi BM25 from
 *    matchinfo('pcnalx') with k1 = 1.2, b = 0.75, per column and summed
 *    with column weights text 1.0, context (headings) 0.5:
 *      score = sum_col w_col sum_word idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))
 *      idf   = ln ((N - df + 0.5) / (df + 0.5) + 1)        (never negative)
 *    with N the chunks of the collection, df the chunks whose column holds
 *    the word, tf its hits in this chunk's column, dl the column's tokens
 *    in this chunk and avgdl the exact mean over the collection (from the
 *    FTS table's statistics: matchinfo's 'a' is rounded down to an integer,
 *    which would move scores by up to a few percent on short chunks).
 * 2. Semantic (when the caller passes a query vector and the collection
 *    has vectors): cosine similarity of int8 vectors (hearth-doc-vector.h),
 *    brute force over the collection, with the AVX2 path where the CPU
 *    has it.
 * Floors: a chunk enters the lexical list only with BM25 > min_bm25, the
 *    semantic list only with similarity >= min_similarity; a chunk in
 *    neither list is no hit, so a query about nothing in the collection
 *    returns nothing rather than the least bad chunks.
 * Fusion, reciprocal rank (Cormack et al. 2009), k = 60, ranks from 1:
 *      score = w_bm25 / (60 + rank_bm25) + w_vector / (60 + rank_vector)
 *              + phrase_boost / (60 + 1) if the chunk holds the query's
 *                words as one exact phrase (two words or more)
 *    a list the chunk is not in adds nothing.  Default weights 1.0 and
 *    1.0 (neither signal is trusted over the other), phrase_boost 0.5:
 *    an exact phrase is worth half a first place, enough to lift it above
 *    a chunk with the same ranks, not enough to outvote both lists.  Ties
 *    go to the lower chunk id (older first), so the order is stable.
 * Without a query vector (no embedding model) the same fusion runs on the
 * BM25 list alone: BM25-only mode.
 *
 * Threading: reentrant; the index serialises its own access.  Results
 * belong to the caller.
 */
#pragma once

#include "hearth-doc-index.h"

G_BEGIN_DECLS

#define HEARTH_DOC_RRF_K 60.0

typedef struct
{
  guint  k;              /* hits returned; default 10 */
  guint  n_candidates;   /* length of each ranked list; default 50 (at least k) */
  double bm25_weight;    /* default 1.0 */
  double vector_weight;  /* default 1.0 */
  double phrase_boost;   /* default 0.5 */
  double min_bm25;       /* floor of the lexical list, exclusive; default 0 (any match) */
  double min_similarity; /* floor of the semantic list, inclusive; default 0.3 (model-dependent) */
} HearthDocSearchParams;

void hearth_doc_search_params_init (HearthDocSearchParams *params);

typedef struct
{
  gint64   chunk_id;
  char    *path;
  guint    page;        /* 0: not paginated */
  guint    line_start;
  guint    line_end;
  double   score;       /* fused */
  double   bm25;        /* 0 when not in the lexical list */
  double   similarity;  /* cosine; 0 when not in the semantic list */
  guint    bm25_rank;   /* 1-based; 0: not in the list */
  guint    vector_rank;
  gboolean phrase;
  char    *text;
  char    *context;
} HearthDocHit;

void hearth_doc_hit_free (HearthDocHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocHit, hearth_doc_hit_free)

/* Best first; an array of HearthDocHit.  @query_vector (@dim floats, the
 * query embedded with the collection's model) may be NULL: BM25 only. */
GPtrArray *hearth_doc_search (HearthDocIndex              *index,
                              const char                  *collection,
                              const char                  *query,
                              const float                 *query_vector,
                              guint                        dim,
                              const HearthDocSearchParams *params,
                              GError                     **error);

/* The fusion on its own, for tests and for callers with lists of their
 * own: @bm25_ids and @vector_ids best first, @phrase_ids in any order.
 * Returns HearthDocHit with chunk_id, score, the ranks and phrase set
 * (the rest empty), best first, every chunk of either list. */
GPtrArray *hearth_doc_fuse (const gint64                *bm25_ids,
                            guint                        n_bm25,
                            const gint64                *vector_ids,
                            guint                        n_vector,
                            const gint64                *phrase_ids,
                            guint                        n_phrase,
                            const HearthDocSearchParams *params);

/* BM25 of one row from matchinfo('pcnalx') of a two-column table, with
 * the exact average lengths @avg_len[2] (see above). */
double hearth_doc_bm25 (const guint32 *matchinfo,
                        gsize          n_words,
                        const double   avg_len[2]);

G_END_DECLS
