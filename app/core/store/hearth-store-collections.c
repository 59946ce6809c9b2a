/* hearth-store-collections.c: the document collections attached to a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: table conversation_collections (schema 4), the names of the
 * document index's collections a conversation searches before each reply,
 * in the order they were attached.  Contract: set replaces the whole list
 * in one transaction (a conversation that does not exist is NOT_FOUND and
 * nothing changes); the rows go with their conversation (ON DELETE
 * CASCADE).  Names are kept in the encrypted history only, never logged.
 * Threading: as the rest of the store (one connection, the caller's
 * thread).  Ownership: returned arrays are the caller's.
 */
#include "hearth-config.h"

#include "hearth-store-private.h"

static gboolean
conversation_exists (HearthStore *self,
                     gint64       conversation_id,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = _hearth_store_prepare (self, "SELECT 1 FROM conversations WHERE id = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                 "No conversation with id %" G_GINT64_FORMAT, conversation_id);
  else
    _hearth_store_set_sql_error (self, error, rc, "read");
  return FALSE;
}

static gboolean
replace_locked (HearthStore       *self,
                gint64             conversation_id,
                const char *const *names,
                GError           **error)
{
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(sqlite3_stmt) ins = NULL;
  int rc;

  if (!conversation_exists (self, conversation_id, error))
    return FALSE;
  del = _hearth_store_prepare (self, "DELETE FROM conversation_collections WHERE conversation_id = ?", error);
  if (del == NULL)
    return FALSE;
  sqlite3_bind_int64 (del, 1, conversation_id);
  if ((rc = sqlite3_step (del)) != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "write");
      return FALSE;
    }
  ins = _hearth_store_prepare (self,
                               "INSERT OR IGNORE INTO conversation_collections (conversation_id, position, name)"
                               " VALUES (?, ?, ?)",
                               error);
  if (ins == NULL)
    return FALSE;
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      if (names[i][0] == '\0')
        continue;
      sqlite3_reset (ins);
      sqlite3_bind_int64 (ins, 1, conversation_id);
      sqlite3_bind_int64 (ins, 2, i);
      sqlite3_bind_text (ins, 3, names[i], -1, SQLITE_TRANSIENT);
      if ((rc = sqlite3_step (ins)) != SQLITE_DONE)
        {
          _hearth_store_set_sql_error (self, error, rc, "write");
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
hearth_store_set_conversation_collections (HearthStore       *self,
                                           gint64             conversation_id,
                                           const char *const *names,
                                           GError           **error)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (!_hearth_store_begin (self, error))
    return FALSE;
  if (!replace_locked (self, conversation_id, names, error))
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  if (!_hearth_store_commit (self, error))
    return FALSE;
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, conversation_id);
  return TRUE;
}

char **
hearth_store_dup_conversation_collections (HearthStore *self,
                                           gint64       conversation_id,
                                           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self,
                                "SELECT name FROM conversation_collections WHERE conversation_id = ?"
                                " ORDER BY position, name",
                                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "read");
      return NULL;
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}
