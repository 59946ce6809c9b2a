/* hearth-store-search.c: ranked full-text search over messages (FTS4 + BM25)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-store-private.h"

/* FTS4 has no ranking of its own, only matchinfo().  hearth_bm25() takes
 * matchinfo(messages_fts, 'pcnalx') and scores Okapi BM25 (k1 = 1.2,
 * b = 0.75) over the one indexed column, higher is better.
 *
 * The blob is 32-bit unsigned integers:
 *   p: phrases in the query; c: columns (1); n: rows in the table;
 *   a[c]: average tokens per row; l[c]: tokens in this row;
 *   x[3 * p * c]: per phrase and column: hits in this row, hits in all
 *   rows, rows with a hit. */
static void
bm25_func (sqlite3_context *ctx,
           int              argc,
           sqlite3_value  **argv)
{
  const guint32 *info;
  int bytes;
  guint32 n_phrases, n_cols;
  double n_rows, avg_len, doc_len, score = 0;
  const double k1 = 1.2, b = 0.75;

  if (argc != 1)
    {
      sqlite3_result_error (ctx, "hearth_bm25 takes matchinfo 'pcnalx'", -1);
      return;
    }
  info = sqlite3_value_blob (argv[0]);
  bytes = sqlite3_value_bytes (argv[0]);
  if (info == NULL || bytes < 3 * 4)
    {
      sqlite3_result_error (ctx, "hearth_bm25: bad matchinfo", -1);
      return;
    }
  n_phrases = info[0];
  n_cols = info[1];
  /* 3 + 2c header words, then 3pc; guard the blob's length before reading. */
  if (n_cols != 1 || n_phrases > 1024 ||
      (gsize) bytes < 4 * (3 + 2 * (gsize) n_cols + 3 * (gsize) n_phrases * n_cols))
    {
      sqlite3_result_error (ctx, "hearth_bm25: bad matchinfo", -1);
      return;
    }
  n_rows = info[2];
  avg_len = info[3] > 0 ? info[3] : 1;
  doc_len = info[4];

  for (guint32 i = 0; i < n_phrases; i++)
    {
      const guint32 *x = info + 5 + 3 * i;
      double tf = x[0];
      double df = x[2];
      double idf = log ((n_rows - df + 0.5) / (df + 0.5) + 1.0);

      score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avg_len));
    }
  sqlite3_result_double (ctx, score);
}

int
_hearth_store_register_rank (sqlite3 *db)
{
  return sqlite3_create_function (db, "hearth_bm25", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                  bm25_func, NULL, NULL);
}

void
hearth_search_result_free (HearthSearchResult *result)
{
  if (result == NULL)
    return;
  g_free (result->conversation_title);
  g_free (result->snippet);
  g_free (result);
}

/* The user's words as an FTS query: each one quoted, so that FTS syntax
 * (OR, NEAR, -, column:) in what they type is taken as text; a trailing '*'
 * is kept as a prefix search.  NULL when there is no word at all. */
static char *
build_match (const char *text)
{
  g_autoptr(GString) query = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *start;
      gboolean prefix = FALSE;
      gboolean any = FALSE;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && !g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p == start)
        break;

      if (p - start > 1 && p[-1] == '*')
        prefix = TRUE;
      if (query->len > 0)
        g_string_append_c (query, ' ');
      g_string_append_c (query, '"');
      for (const char *q = start; q < p - (prefix ? 1 : 0); q++)
        {
          if (*q == '"')
            continue;
          g_string_append_c (query, *q);
          any = TRUE;
        }
      if (!any)
        {
          /* A word of nothing but quotes: drop it. */
          g_string_truncate (query, query->len > 1 ? query->len - 2 : 0);
          continue;
        }
      g_string_append (query, prefix ? "*\"" : "\"");
    }
  if (query->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&query), FALSE);
}

/* Snippets of the results on this page.  The unary + keeps the docid test
 * out of the FTS table's index choice (it would otherwise look the rows up
 * by docid and refuse MATCH); it filters before snippet() is evaluated. */
static gboolean
fill_snippets (HearthStore *self,
               const char  *match,
               GPtrArray   *results,
               GError     **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT docid, snippet(messages_fts, '[', ']', '…', -1, 12)"
                                         " FROM messages_fts WHERE messages_fts MATCH ?1 AND +docid IN (");
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  for (guint i = 0; i < results->len; i++)
    {
      HearthSearchResult *r = g_ptr_array_index (results, i);

      g_string_append_printf (sql, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", r->message_id);
      g_hash_table_insert (by_id, &r->message_id, r);
    }
  g_string_append_c (sql, ')');

  stmt = _hearth_store_prepare (self, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      HearthSearchResult *r = g_hash_table_lookup (by_id, &id);

      if (r != NULL && r->snippet == NULL)
        r->snippet = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "search snippets");
      return FALSE;
    }
  for (guint i = 0; i < results->len; i++)
    {
      HearthSearchResult *r = g_ptr_array_index (results, i);

      if (r->snippet == NULL)
        r->snippet = g_strdup ("");
    }
  return TRUE;
}

GPtrArray *
hearth_store_search (HearthStore *self,
                     const char  *text,
                     guint        offset,
                     guint        limit,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_search_result_free);
  g_autofree char *match = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  match = build_match (text);
  if (match == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Nothing to search for");
      return NULL;
    }

  /* matchinfo() only works where the FTS table drives the query, so rank
   * there and join the conversation after.  snippet() is left for a second
   * pass over the page of results alone: on a common word it would
   * otherwise be built for every match and cost most of the time. */
  stmt = _hearth_store_prepare (self,
                                "SELECT f.docid, m.conversation_id, c.title, f.score FROM ("
                                "  SELECT docid, hearth_bm25(matchinfo(messages_fts, 'pcnalx')) AS score"
                                "  FROM messages_fts WHERE messages_fts MATCH ?1"
                                "  ORDER BY score DESC, docid DESC LIMIT ?2 OFFSET ?3) f"
                                " JOIN messages m ON m.id = f.docid"
                                " JOIN conversations c ON c.id = m.conversation_id"
                                " ORDER BY f.score DESC, f.docid DESC", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  sqlite3_bind_int64 (stmt, 3, offset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthSearchResult *r = g_new0 (HearthSearchResult, 1);

      r->message_id = sqlite3_column_int64 (stmt, 0);
      r->conversation_id = sqlite3_column_int64 (stmt, 1);
      r->conversation_title = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      r->score = sqlite3_column_double (stmt, 3);
      g_ptr_array_add (results, r);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "search");
      return NULL;
    }
  if (results->len > 0 && !fill_snippets (self, match, results, error))
    return NULL;
  return g_steal_pointer (&results);
}
