/* hearth-doc-search.c: BM25 from FTS4 matchinfo, brute-force vector search, rank fusion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-doc-index-private.h"
#include "hearth-doc-search.h"
#include "hearth-doc-vector.h"

#define K1 1.2
#define B 0.75
#define N_COLUMNS 2
static const double column_weight[N_COLUMNS] = { 1.0, 0.5 }; /* text, context */
#define MAX_WORDS 64

void
hearth_doc_search_params_init (HearthDocSearchParams *params)
{
  memset (params, 0, sizeof *params);
  params->k = 10;
  params->n_candidates = 50;
  params->bm25_weight = 1.0;
  params->vector_weight = 1.0;
  params->phrase_boost = 0.5;
  params->min_bm25 = 0.0;
  params->min_similarity = 0.3;
}

void
hearth_doc_hit_free (HearthDocHit *hit)
{
  if (hit == NULL)
    return;
  g_free (hit->path);
  g_free (hit->text);
  g_free (hit->context);
  g_free (hit);
}

/* ---- BM25 ---- */

/* matchinfo 'pcnalx': p phrases, c columns, n rows, a[c] average tokens
 * (integer; replaced by @avg_len), l[c] tokens of this row, then per
 * phrase and column x[3]: hits in this row, hits in all rows, rows with a
 * hit.  The length is checked before any read. */
double
hearth_doc_bm25 (const guint32 *info,
                 gsize          n_words,
                 const double   avg_len[N_COLUMNS])
{
  guint32 p, c;
  double n_rows, score = 0;

  if (info == NULL || n_words < 3)
    return 0;
  p = info[0];
  c = info[1];
  if (c != N_COLUMNS || p > MAX_WORDS || n_words < 3 + 2 * (gsize) c + 3 * (gsize) p * c)
    return 0;
  n_rows = info[2];
  for (guint32 col = 0; col < c; col++)
    {
      double dl = info[3 + c + col];

      if (avg_len[col] <= 0)
        continue;
      for (guint32 i = 0; i < p; i++)
        {
          const guint32 *x = info + 3 + 2 * c + 3 * (i * c + col);
          double tf = x[0], df = x[2];
          double idf = log ((n_rows - df + 0.5) / (df + 0.5) + 1.0);

          if (tf == 0)
            continue;
          score += column_weight[col] * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avg_len[col]));
        }
    }
  return score;
}

/* FTS4 keeps the row count and every column's token total in the stat
 * table's row 0, as varints (7 bits a byte, low first). */
static gboolean
read_fts_totals (sqlite3    *db,
                 const char *fts,
                 double      avg_len[N_COLUMNS])
{
  g_autofree char *sql = g_strdup_printf ("SELECT value FROM %s_stat WHERE id = 0", fts);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  guint64 v[1 + N_COLUMNS] = { 0 };
  const guint8 *p, *end;

  avg_len[0] = avg_len[1] = 0;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK || sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;
  p = sqlite3_column_blob (stmt, 0);
  end = p + sqlite3_column_bytes (stmt, 0);
  for (guint i = 0; i < G_N_ELEMENTS (v) && p != NULL; i++)
    {
      guint shift = 0;

      while (p < end && shift < 64)
        {
          v[i] |= (guint64) (*p & 0x7f) << shift;
          shift += 7;
          if ((*p++ & 0x80) == 0)
            break;
        }
    }
  if (v[0] == 0)
    return FALSE;
  for (guint c = 0; c < N_COLUMNS; c++)
    avg_len[c] = (double) v[1 + c] / (double) v[0];
  return TRUE;
}

/* The query's words, each quoted so that FTS syntax in what the user
 * types (OR, NEAR, -, column:, *) is text. */
static GPtrArray *
query_words (const char *query)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_strsplit_set (query, " \t\r\n", -1);

  for (guint i = 0; parts[i] != NULL && words->len < MAX_WORDS; i++)
    {
      g_autoptr(GString) w = g_string_new (NULL);

      for (const char *q = parts[i]; *q != '\0'; q++)
        if (*q != '"')
          g_string_append_c (w, *q);
      if (w->len > 0)
        g_ptr_array_add (words, g_string_free (g_steal_pointer (&w), FALSE));
    }
  return g_steal_pointer (&words);
}

typedef struct
{
  gint64 id;
  double score;
} Scored;

static int
compare_scored (gconstpointer a,
                gconstpointer b)
{
  const Scored *x = a, *y = b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static GArray *
bm25_list (HearthDocIndex *index,
           sqlite3        *db,
           const char     *fts,
           GPtrArray      *words,
           const HearthDocSearchParams *params,
           GError        **error)
{
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (Scored));
  g_autoptr(GString) match = g_string_new (NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT docid, matchinfo(%s, 'pcnalx') FROM %s WHERE %s MATCH ?",
                                          fts, fts, fts);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  double avg_len[N_COLUMNS];
  int rc;

  if (words->len == 0 || !read_fts_totals (db, fts, avg_len))
    return g_steal_pointer (&list);
  for (guint i = 0; i < words->len; i++)
    g_string_append_printf (match, "%s\"%s\"", i > 0 ? " OR " : "", (const char *) g_ptr_array_index (words, i));
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _hearth_doc_index_set_sql_error (index, error, rc, "full-text search");
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, match->str, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Scored s;

      s.id = sqlite3_column_int64 (stmt, 0);
      s.score = hearth_doc_bm25 (sqlite3_column_blob (stmt, 1),
                                 (gsize) sqlite3_column_bytes (stmt, 1) / 4, avg_len);
      if (s.score > params->min_bm25)
        g_array_append_val (list, s);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_doc_index_set_sql_error (index, error, rc, "full-text search");
      return NULL;
    }
  g_array_sort (list, compare_scored);
  if (list->len > params->n_candidates)
    g_array_set_size (list, params->n_candidates);
  return g_steal_pointer (&list);
}

/* Chunks holding the words as one phrase (FTS phrase query, so the same
 * tokenizer and folding as the lexical list). */
static GHashTable *
phrase_set (sqlite3    *db,
            const char *fts,
            GPtrArray  *words)
{
  GHashTable *set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT docid FROM %s WHERE %s MATCH ?", fts, fts);
  g_autoptr(GString) phrase = g_string_new ("\"");
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (words->len < 2)
    return set;
  for (guint i = 0; i < words->len; i++)
    g_string_append_printf (phrase, "%s%s", i > 0 ? " " : "", (const char *) g_ptr_array_index (words, i));
  g_string_append_c (phrase, '"');
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return set;
  sqlite3_bind_text (stmt, 1, phrase->str, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_hash_table_add (set, g_memdup2 (&id, sizeof id));
    }
  return set;
}

/* ---- vectors ---- */

static GArray *
vector_list (HearthDocVectors            *v,
             const float                 *query,
             guint                        dim,
             const HearthDocSearchParams *params)
{
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (Scored));
  g_autofree gint8 *q = g_malloc (MAX (dim, 1));
  float qs;
  double norm = 0;
  gboolean avx2 = hearth_doc_vector_have_avx2 ();

  if (v->n == 0 || v->dim != dim)
    return g_steal_pointer (&list);
  for (guint i = 0; i < dim; i++)
    norm += (double) query[i] * query[i];
  if (norm <= 0)
    return g_steal_pointer (&list);
  qs = hearth_doc_vector_quantize (query, dim, q) / (float) sqrt (norm);
  for (gsize i = 0; i < v->n; i++)
    {
      const gint8 *row = v->q + i * dim;
      gint32 dot = avx2 ? hearth_doc_vector_dot_avx2 (q, row, dim) : hearth_doc_vector_dot_scalar (q, row, dim);
      /* The stored vectors are unit length (the engine normalises); the
       * query is divided by its norm above. */
      Scored s = { v->chunk_ids[i], (double) qs * v->scales[i] * dot };

      if (s.score < params->min_similarity)
        continue;
      if (list->len < params->n_candidates)
        {
          g_array_append_val (list, s);
          if (list->len == params->n_candidates)
            g_array_sort (list, compare_scored);
        }
      else if (compare_scored (&s, &g_array_index (list, Scored, list->len - 1)) < 0)
        {
          /* Insert in order, dropping the last. */
          guint at = list->len - 1;

          while (at > 0 && compare_scored (&s, &g_array_index (list, Scored, at - 1)) < 0)
            {
              g_array_index (list, Scored, at) = g_array_index (list, Scored, at - 1);
              at--;
            }
          g_array_index (list, Scored, at) = s;
        }
    }
  g_array_sort (list, compare_scored);
  return g_steal_pointer (&list);
}

/* ---- fusion ---- */

static int
compare_hits (gconstpointer a,
              gconstpointer b)
{
  const HearthDocHit *x = *(HearthDocHit **) a, *y = *(HearthDocHit **) b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->chunk_id < y->chunk_id ? -1 : x->chunk_id > y->chunk_id;
}

static HearthDocHit *
hit_for (GHashTable *by_id,
         GPtrArray  *hits,
         gint64      id)
{
  HearthDocHit *hit = g_hash_table_lookup (by_id, &id);

  if (hit == NULL)
    {
      hit = g_new0 (HearthDocHit, 1);
      hit->chunk_id = id;
      g_hash_table_insert (by_id, &hit->chunk_id, hit);
      g_ptr_array_add (hits, hit);
    }
  return hit;
}

GPtrArray *
hearth_doc_fuse (const gint64                *bm25_ids,
                 guint                        n_bm25,
                 const gint64                *vector_ids,
                 guint                        n_vector,
                 const gint64                *phrase_ids,
                 guint                        n_phrase,
                 const HearthDocSearchParams *params)
{
  GPtrArray *hits = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_hit_free);
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);

  for (guint i = 0; i < n_bm25; i++)
    {
      HearthDocHit *hit = hit_for (by_id, hits, bm25_ids[i]);

      if (hit->bm25_rank != 0)
        continue; /* listed twice: the better rank counts */
      hit->bm25_rank = i + 1;
      hit->score += params->bm25_weight / (HEARTH_DOC_RRF_K + hit->bm25_rank);
    }
  for (guint i = 0; i < n_vector; i++)
    {
      HearthDocHit *hit = hit_for (by_id, hits, vector_ids[i]);

      if (hit->vector_rank != 0)
        continue;
      hit->vector_rank = i + 1;
      hit->score += params->vector_weight / (HEARTH_DOC_RRF_K + hit->vector_rank);
    }
  for (guint i = 0; i < n_phrase; i++)
    {
      HearthDocHit *hit = g_hash_table_lookup (by_id, &phrase_ids[i]);

      if (hit == NULL || hit->phrase)
        continue; /* a phrase alone does not make a hit: it lifts one */
      hit->phrase = TRUE;
      hit->score += params->phrase_boost / (HEARTH_DOC_RRF_K + 1);
    }
  g_ptr_array_sort (hits, compare_hits);
  return hits;
}

/* ---- search ---- */

static gboolean
fill_hit (HearthDocIndex *index,
          sqlite3_stmt   *stmt,
          HearthDocHit   *hit,
          GError        **error)
{
  int rc;

  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, 1, hit->chunk_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _hearth_doc_index_set_sql_error (index, error, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "reading a hit");
      return FALSE;
    }
  hit->path = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  hit->page = (guint) sqlite3_column_int (stmt, 1);
  hit->line_start = (guint) sqlite3_column_int (stmt, 2);
  hit->line_end = (guint) sqlite3_column_int (stmt, 3);
  hit->text = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  hit->context = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  return TRUE;
}

static GPtrArray *
search_locked (HearthDocIndex              *index,
               sqlite3                     *db,
               const char                  *collection,
               const char                  *query,
               const float                 *query_vector,
               guint                        dim,
               const HearthDocSearchParams *params,
               GError                     **error)
{
  gint64 collection_id;
  guint embed_dim;
  g_autoptr(GPtrArray) words = NULL;
  g_autoptr(GArray) lexical = NULL;
  g_autoptr(GArray) semantic = NULL;
  g_autoptr(GHashTable) phrases = NULL;
  g_autoptr(GArray) bm25_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) vector_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) phrase_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *fts = NULL;
  GHashTableIter iter;
  gpointer key;
  int rc;

  if (!_hearth_doc_index_lookup_collection (index, collection, &collection_id, &embed_dim, error))
    return NULL;
  if (query_vector != NULL && (embed_dim == 0 || dim != embed_dim))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "The query vector has %u dimensions; the collection's model has %u", dim, embed_dim);
      return NULL;
    }
  fts = g_strdup_printf ("fts_%" G_GINT64_FORMAT, collection_id);
  words = query_words (query);

  lexical = bm25_list (index, db, fts, words, params, error);
  phrases = lexical != NULL ? phrase_set (db, fts, words) : NULL;
  if (lexical == NULL)
    return NULL;

  if (query_vector != NULL)
    {
      g_autoptr(HearthDocVectors) v = _hearth_doc_index_get_vectors (index, collection_id, error);

      if (v == NULL)
        return NULL;
      semantic = vector_list (v, query_vector, dim, params);
    }

  for (guint i = 0; i < lexical->len; i++)
    g_array_append_val (bm25_ids, g_array_index (lexical, Scored, i).id);
  for (guint i = 0; semantic != NULL && i < semantic->len; i++)
    g_array_append_val (vector_ids, g_array_index (semantic, Scored, i).id);
  g_hash_table_iter_init (&iter, phrases);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_array_append_val (phrase_ids, *(gint64 *) key);
  hits = hearth_doc_fuse ((gint64 *) bm25_ids->data, bm25_ids->len, (gint64 *) vector_ids->data,
                          vector_ids->len, (gint64 *) phrase_ids->data, phrase_ids->len, params);
  if (hits->len > params->k)
    g_ptr_array_set_size (hits, params->k);

  rc = sqlite3_prepare_v2 (db, "SELECT f.path, k.page, k.line_start, k.line_end, k.text, k.context"
                           " FROM chunks k JOIN files f ON f.id = k.file_id WHERE k.id = ?", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _hearth_doc_index_set_sql_error (index, error, rc, "reading hits");
      return NULL;
    }
  for (guint i = 0; i < hits->len; i++)
    {
      HearthDocHit *hit = g_ptr_array_index (hits, i);

      if (hit->bm25_rank > 0)
        hit->bm25 = g_array_index (lexical, Scored, hit->bm25_rank - 1).score;
      if (hit->vector_rank > 0)
        hit->similarity = g_array_index (semantic, Scored, hit->vector_rank - 1).score;
      if (!fill_hit (index, stmt, hit, error))
        return NULL;
    }
  return g_steal_pointer (&hits);
}

GPtrArray *
hearth_doc_search (HearthDocIndex              *index,
                   const char                  *collection,
                   const char                  *query,
                   const float                 *query_vector,
                   guint                        dim,
                   const HearthDocSearchParams *params,
                   GError                     **error)
{
  HearthDocSearchParams defaults;
  GPtrArray *hits;
  sqlite3 *db;

  g_return_val_if_fail (HEARTH_IS_DOC_INDEX (index), NULL);
  if (params == NULL)
    {
      hearth_doc_search_params_init (&defaults);
      params = &defaults;
    }
  if (query == NULL || !g_utf8_validate (query, -1, NULL))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "The query must be UTF-8 text");
      return NULL;
    }
  /* One lock for the whole search: the lists and the hits' rows are read
   * from one state of the index, even while the indexer writes. */
  db = _hearth_doc_index_lock (index);
  hits = search_locked (index, db, collection, query, query_vector, dim, params, error);
  _hearth_doc_index_unlock (index);
  return hits;
}
