/* hearth-store-history.c: conversations, messages and their branches; settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-store-private.h"

static gboolean
step_done (HearthStore  *self,
           sqlite3_stmt *stmt,
           GError      **error)
{
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "write");
      return FALSE;
    }
  return TRUE;
}

void
_hearth_store_bind_text_or_null (sqlite3_stmt *stmt,
                                 int           col,
                                 const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, col);
}

static gboolean
not_found (GError    **error,
           const char *what,
           gint64      id)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
               "No %s with id %" G_GINT64_FORMAT, what, id);
  return FALSE;
}

/* Runs a one-statement change on one conversation and checks it existed. */
static gboolean
change_conversation (HearthStore *self,
                     sqlite3_stmt *stmt,
                     gint64       id,
                     GError     **error)
{
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (_hearth_store_get_db (self)) == 0)
    return not_found (error, "conversation", id);
  return TRUE;
}

/* Passes @ok through, telling the list models when the change was made. */
static gboolean
emit_if (HearthStore      *self,
         gboolean          ok,
         HearthStoreSignal signal,
         gint64            id)
{
  if (ok)
    _hearth_store_emit (self, signal, id);
  return ok;
}

/* ---- conversations ---- */

HearthConversation *
hearth_store_create_conversation (HearthStore *self,
                                  const char  *title,
                                  const char  *model,
                                  const char  *system_prompt,
                                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 now = g_get_real_time ();
  HearthConversation *conv;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self,
                                "INSERT INTO conversations (title, created, updated, model, system_prompt)"
                                " VALUES (?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, title != NULL ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int64 (stmt, 3, now);
  _hearth_store_bind_text_or_null (stmt, 4, model);
  _hearth_store_bind_text_or_null (stmt, 5, system_prompt);
  if (!step_done (self, stmt, error))
    return NULL;
  conv = hearth_store_get_conversation (self, sqlite3_last_insert_rowid (_hearth_store_get_db (self)), error);
  if (conv != NULL)
    _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_ADDED, hearth_conversation_get_id (conv));
  return conv;
}

HearthConversation *
hearth_store_get_conversation (HearthStore *self,
                               gint64       id,
                               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self, "SELECT " HEARTH_CONVERSATION_COLUMNS
                                " FROM conversations c WHERE c.id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return _hearth_conversation_new_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, "conversation", id);
  else
    _hearth_store_set_sql_error (self, error, rc, "read conversation");
  return NULL;
}

gboolean
hearth_store_rename_conversation (HearthStore *self,
                                  gint64       id,
                                  const char  *title,
                                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);
  g_return_val_if_fail (title != NULL, FALSE);

  stmt = _hearth_store_prepare (self, "UPDATE conversations SET title = ?, updated = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, title, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_int64 (stmt, 3, id);
  return emit_if (self, change_conversation (self, stmt, id, error),
                  HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, id);
}

gboolean
hearth_store_set_conversation_model (HearthStore *self,
                                     gint64       id,
                                     const char  *model,
                                     const char  *system_prompt,
                                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  stmt = _hearth_store_prepare (self, "UPDATE conversations SET model = ?, system_prompt = ? WHERE id = ?",
                                error);
  if (stmt == NULL)
    return FALSE;
  _hearth_store_bind_text_or_null (stmt, 1, model);
  _hearth_store_bind_text_or_null (stmt, 2, system_prompt);
  sqlite3_bind_int64 (stmt, 3, id);
  return emit_if (self, change_conversation (self, stmt, id, error),
                  HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, id);
}

static gboolean
set_flag (HearthStore *self,
          const char  *sql,
          gint64       id,
          gboolean     value,
          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = _hearth_store_prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, value ? 1 : 0);
  sqlite3_bind_int64 (stmt, 2, id);
  return emit_if (self, change_conversation (self, stmt, id, error),
                  HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, id);
}

gboolean
hearth_store_set_pinned (HearthStore *self,
                         gint64       id,
                         gboolean     pinned,
                         GError     **error)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);
  return set_flag (self, "UPDATE conversations SET pinned = ? WHERE id = ?", id, pinned, error);
}

gboolean
hearth_store_set_archived (HearthStore *self,
                           gint64       id,
                           gboolean     archived,
                           GError     **error)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);
  return set_flag (self, "UPDATE conversations SET archived = ? WHERE id = ?", id, archived, error);
}

gboolean
hearth_store_delete_conversation (HearthStore *self,
                                  gint64       id,
                                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  /* Messages go by the foreign key's cascade, their index entries by the
   * delete trigger: one statement, one transaction. */
  stmt = _hearth_store_prepare (self, "DELETE FROM conversations WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return emit_if (self, change_conversation (self, stmt, id, error),
                  HEARTH_STORE_SIGNAL_CONVERSATION_REMOVED, id);
}

static const char *
list_filter (HearthStoreListFlags flags)
{
  if (flags & HEARTH_STORE_LIST_ALL)
    return "";
  if (flags & HEARTH_STORE_LIST_ARCHIVED)
    return " WHERE c.archived = 1";
  return " WHERE c.archived = 0";
}

GPtrArray *
hearth_store_list_conversations (HearthStore         *self,
                                 HearthStoreListFlags flags,
                                 guint                offset,
                                 guint                limit,
                                 GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *sql = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  sql = g_strconcat ("SELECT " HEARTH_CONVERSATION_COLUMNS " FROM conversations c",
                     list_filter (flags),
                     " ORDER BY c.archived, c.pinned DESC, c.updated DESC, c.id DESC LIMIT ? OFFSET ?",
                     NULL);
  stmt = _hearth_store_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  sqlite3_bind_int64 (stmt, 2, offset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, _hearth_conversation_new_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "list conversations");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gint64
hearth_store_count_conversations (HearthStore         *self,
                                  HearthStoreListFlags flags,
                                  GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), -1);

  sql = g_strconcat ("SELECT count(*) FROM conversations c", list_filter (flags), NULL);
  stmt = _hearth_store_prepare (self, sql, error);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _hearth_store_set_sql_error (self, error, rc, "count conversations");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

/* ---- messages ---- */

static GPtrArray *
collect_messages (HearthStore  *self,
                  sqlite3_stmt *stmt,
                  GError      **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, _hearth_message_new_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "read messages");
      return NULL;
    }
  return g_steal_pointer (&list);
}

HearthMessage *
hearth_store_get_message (HearthStore *self,
                          gint64       message_id,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self, "SELECT " HEARTH_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?",
                                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return _hearth_message_new_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, "message", message_id);
  else
    _hearth_store_set_sql_error (self, error, rc, "read message");
  return NULL;
}

/* The conversation of @message_id, or 0 with @error set. */
static gint64
message_conversation (HearthStore *self,
                      gint64       message_id,
                      gint64      *parent_id,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = _hearth_store_prepare (self, "SELECT conversation_id, parent_id FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, message_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (parent_id != NULL)
        *parent_id = sqlite3_column_int64 (stmt, 1);
      return sqlite3_column_int64 (stmt, 0);
    }
  if (rc == SQLITE_DONE)
    not_found (error, "message", message_id);
  else
    _hearth_store_set_sql_error (self, error, rc, "read message");
  return 0;
}

static gint64
current_leaf (HearthStore *self,
              gint64       conversation_id,
              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = _hearth_store_prepare (self, "SELECT current_leaf FROM conversations WHERE id = ?", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    not_found (error, "conversation", conversation_id);
  else
    _hearth_store_set_sql_error (self, error, rc, "read conversation");
  return -1;
}

static gboolean
set_leaf (HearthStore *self,
          gint64       conversation_id,
          gint64       leaf_id,
          gboolean     touch,
          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = _hearth_store_prepare (self, touch
                                ? "UPDATE conversations SET current_leaf = ?, updated = ? WHERE id = ?"
                                : "UPDATE conversations SET current_leaf = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, leaf_id);
  if (touch)
    {
      sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
      sqlite3_bind_int64 (stmt, 3, conversation_id);
    }
  else
    sqlite3_bind_int64 (stmt, 2, conversation_id);
  return change_conversation (self, stmt, conversation_id, error);
}

gint64
_hearth_store_insert_message (HearthStore              *self,
                              gint64                    conversation_id,
                              gint64                    parent_id,
                              HearthMessageRole         role,
                              const char               *content,
                              gint64                    created,
                              const HearthMessageExtra *extra,
                              GError                  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = _hearth_store_prepare (self,
                                "INSERT INTO messages (conversation_id, parent_id, role, content, created,"
                                " prompt_tokens, completion_tokens, settings, tool_calls, tool_call_id, tool_name, sources)"
                                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  if (parent_id > 0)
    sqlite3_bind_int64 (stmt, 2, parent_id);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_text (stmt, 3, hearth_message_role_to_string (role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, content, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, created);
  if (extra != NULL && extra->prompt_tokens >= 0)
    sqlite3_bind_int64 (stmt, 6, extra->prompt_tokens);
  if (extra != NULL && extra->completion_tokens >= 0)
    sqlite3_bind_int64 (stmt, 7, extra->completion_tokens);
  if (extra != NULL)
    {
      _hearth_store_bind_text_or_null (stmt, 8, extra->settings_json);
      _hearth_store_bind_text_or_null (stmt, 9, extra->tool_calls_json);
      _hearth_store_bind_text_or_null (stmt, 10, extra->tool_call_id);
      _hearth_store_bind_text_or_null (stmt, 11, extra->tool_name);
      _hearth_store_bind_text_or_null (stmt, 12, extra->sources_json);
    }
  if (!step_done (self, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (_hearth_store_get_db (self));
}

static gboolean
check_role (HearthMessageRole role,
            GError          **error)
{
  if ((guint) role > HEARTH_MESSAGE_ROLE_TOOL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Unknown message role %d", (int) role);
      return FALSE;
    }
  return TRUE;
}

gint64
_hearth_store_append_locked (HearthStore              *self,
                             gint64                    conversation_id,
                             gint64                    parent_id,
                             HearthMessageRole         role,
                             const char               *content,
                             const HearthMessageExtra *extra,
                             GError                  **error)
{
  gint64 id, leaf;

  if (!check_role (role, error))
    return 0;
  /* Also how a missing conversation is told apart from a bad parent. */
  leaf = current_leaf (self, conversation_id, error);
  if (leaf < 0)
    return 0;
  if (parent_id == HEARTH_STORE_CURRENT_LEAF)
    parent_id = leaf;
  else if (parent_id > 0)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 owner = message_conversation (self, parent_id, NULL, &local_error);

      if (owner == 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return 0;
        }
      if (owner != conversation_id)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                       "Message %" G_GINT64_FORMAT " is not in conversation %" G_GINT64_FORMAT,
                       parent_id, conversation_id);
          return 0;
        }
    }
  else if (parent_id < 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Bad parent id %" G_GINT64_FORMAT, parent_id);
      return 0;
    }

  id = _hearth_store_insert_message (self, conversation_id, parent_id, role, content,
                                     g_get_real_time (), extra, error);
  if (id == 0 || !set_leaf (self, conversation_id, id, TRUE, error))
    return 0;
  return id;
}

HearthMessage *
hearth_store_append_message (HearthStore              *self,
                             gint64                    conversation_id,
                             gint64                    parent_id,
                             HearthMessageRole         role,
                             const char               *content,
                             const HearthMessageExtra *extra,
                             GError                  **error)
{
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (content != NULL, NULL);

  if (!check_role (role, error) || !_hearth_store_begin (self, error))
    return NULL;
  id = _hearth_store_append_locked (self, conversation_id, parent_id, role, content, extra, error);
  if (id == 0 || !_hearth_store_commit (self, error))
    {
      _hearth_store_rollback (self);
      return NULL;
    }
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_THREAD_CHANGED, conversation_id);
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, conversation_id);
  return hearth_store_get_message (self, id, error);
}

HearthMessage *
hearth_store_edit_message (HearthStore *self,
                           gint64       message_id,
                           const char  *content,
                           GError     **error)
{
  g_autoptr(HearthMessage) old = NULL;
  HearthMessageExtra extra;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (content != NULL, NULL);

  old = hearth_store_get_message (self, message_id, error);
  if (old == NULL)
    return NULL;
  hearth_message_extra_init (&extra);
  extra.settings_json = hearth_message_get_settings_json (old);
  return hearth_store_append_message (self, hearth_message_get_conversation_id (old),
                                      hearth_message_get_parent_id (old),
                                      hearth_message_get_role (old), content, &extra, error);
}

gboolean
hearth_store_update_message (HearthStore              *self,
                             gint64                    message_id,
                             const char               *content,
                             const HearthMessageExtra *extra,
                             GError                  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 conversation_id;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);
  g_return_val_if_fail (content != NULL, FALSE);

  stmt = _hearth_store_prepare (self,
                                "UPDATE messages SET content = ?,"
                                " prompt_tokens = coalesce(?, prompt_tokens),"
                                " completion_tokens = coalesce(?, completion_tokens),"
                                " settings = coalesce(?, settings) WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, content, -1, SQLITE_TRANSIENT);
  if (extra != NULL && extra->prompt_tokens >= 0)
    sqlite3_bind_int64 (stmt, 2, extra->prompt_tokens);
  if (extra != NULL && extra->completion_tokens >= 0)
    sqlite3_bind_int64 (stmt, 3, extra->completion_tokens);
  if (extra != NULL)
    _hearth_store_bind_text_or_null (stmt, 4, extra->settings_json);
  sqlite3_bind_int64 (stmt, 5, message_id);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (_hearth_store_get_db (self)) == 0)
    return not_found (error, "message", message_id);
  conversation_id = message_conversation (self, message_id, NULL, NULL);
  if (conversation_id != 0)
    _hearth_store_emit (self, HEARTH_STORE_SIGNAL_THREAD_CHANGED, conversation_id);
  return TRUE;
}

/* The newest message under @message_id (itself if it has no replies); with
 * @message_id 0, the newest message of the conversation. */
static gint64
newest_descendant (HearthStore *self,
                   gint64       conversation_id,
                   gint64       message_id,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (message_id == 0)
    stmt = _hearth_store_prepare (self, "SELECT coalesce(max(id), 0) FROM messages WHERE conversation_id = ?1",
                                  error);
  else
    stmt = _hearth_store_prepare (self,
                                  "WITH RECURSIVE d(id) AS (SELECT ?2 UNION ALL"
                                  " SELECT m.id FROM messages m JOIN d ON m.parent_id = d.id)"
                                  " SELECT max(id) FROM d", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  if (message_id != 0)
    sqlite3_bind_int64 (stmt, 2, message_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _hearth_store_set_sql_error (self, error, rc, "find newest reply");
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
hearth_store_set_current_leaf (HearthStore *self,
                               gint64       conversation_id,
                               gint64       message_id,
                               GError     **error)
{
  gint64 owner, leaf;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  owner = message_conversation (self, message_id, NULL, error);
  if (owner == 0)
    return FALSE;
  if (owner != conversation_id)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Message %" G_GINT64_FORMAT " is not in conversation %" G_GINT64_FORMAT,
                   message_id, conversation_id);
      return FALSE;
    }
  leaf = newest_descendant (self, conversation_id, message_id, error);
  if (leaf < 0)
    return FALSE;
  return emit_if (self, set_leaf (self, conversation_id, leaf, FALSE, error),
                  HEARTH_STORE_SIGNAL_THREAD_CHANGED, conversation_id);
}

/* Is @ancestor on the path from @node up to the root? */
static gboolean
is_ancestor_or_self (HearthStore *self,
                     gint64       ancestor,
                     gint64       node,
                     gboolean    *result,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = _hearth_store_prepare (self,
                                "WITH RECURSIVE up(id, parent) AS ("
                                " SELECT id, parent_id FROM messages WHERE id = ?1 UNION ALL"
                                " SELECT m.id, m.parent_id FROM messages m JOIN up ON m.id = up.parent)"
                                " SELECT count(*) FROM up WHERE id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, node);
  sqlite3_bind_int64 (stmt, 2, ancestor);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _hearth_store_set_sql_error (self, error, rc, "walk branch");
      return FALSE;
    }
  *result = sqlite3_column_int64 (stmt, 0) > 0;
  return TRUE;
}

gboolean
hearth_store_delete_message (HearthStore *self,
                             gint64       message_id,
                             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 conversation_id, parent_id = 0, leaf;
  gboolean on_branch = FALSE;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (!_hearth_store_begin (self, error))
    return FALSE;
  conversation_id = message_conversation (self, message_id, &parent_id, error);
  if (conversation_id == 0)
    goto fail;
  leaf = current_leaf (self, conversation_id, error);
  if (leaf < 0 || (leaf > 0 && !is_ancestor_or_self (self, message_id, leaf, &on_branch, error)))
    goto fail;

  /* Replies go by the parent_id cascade, index entries by the trigger. */
  stmt = _hearth_store_prepare (self, "DELETE FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, message_id);
  if (!step_done (self, stmt, error))
    goto fail;

  /* The branch on show lost its tail: show what remains of it. */
  if (on_branch)
    {
      leaf = newest_descendant (self, conversation_id, parent_id, error);
      if (leaf < 0 || !set_leaf (self, conversation_id, leaf, FALSE, error))
        goto fail;
    }
  if (!_hearth_store_commit (self, error))
    return FALSE;
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_THREAD_CHANGED, conversation_id);
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, conversation_id);
  return TRUE;

fail:
  _hearth_store_rollback (self);
  return FALSE;
}

GPtrArray *
hearth_store_get_thread (HearthStore *self,
                         gint64       conversation_id,
                         gint64       leaf_id,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GPtrArray *list;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  if (leaf_id == 0)
    {
      leaf_id = current_leaf (self, conversation_id, error);
      if (leaf_id < 0)
        return NULL;
    }
  stmt = _hearth_store_prepare (self,
                                "WITH RECURSIVE up(id, depth) AS ("
                                " SELECT id, 0 FROM messages WHERE id = ?1 AND conversation_id = ?2"
                                " UNION ALL"
                                " SELECT m.parent_id, up.depth + 1 FROM messages m JOIN up ON m.id = up.id"
                                " WHERE m.parent_id IS NOT NULL)"
                                " SELECT " HEARTH_MESSAGE_COLUMNS " FROM up JOIN messages m ON m.id = up.id"
                                " ORDER BY up.depth DESC", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, leaf_id);
  sqlite3_bind_int64 (stmt, 2, conversation_id);
  list = collect_messages (self, stmt, error);
  if (list != NULL && list->len == 0 && leaf_id != 0)
    {
      g_ptr_array_unref (list);
      not_found (error, "message", leaf_id);
      return NULL;
    }
  return list;
}

GPtrArray *
hearth_store_get_children (HearthStore *self,
                           gint64       conversation_id,
                           gint64       parent_id,
                           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  if (parent_id == 0)
    stmt = _hearth_store_prepare (self, "SELECT " HEARTH_MESSAGE_COLUMNS " FROM messages m"
                                  " WHERE m.conversation_id = ?1 AND m.parent_id IS NULL ORDER BY m.id", error);
  else
    stmt = _hearth_store_prepare (self, "SELECT " HEARTH_MESSAGE_COLUMNS " FROM messages m"
                                  " WHERE m.conversation_id = ?1 AND m.parent_id = ?2 ORDER BY m.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  if (parent_id != 0)
    sqlite3_bind_int64 (stmt, 2, parent_id);
  return collect_messages (self, stmt, error);
}

GPtrArray *
hearth_store_get_all_messages (HearthStore *self,
                               gint64       conversation_id,
                               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self, "SELECT " HEARTH_MESSAGE_COLUMNS " FROM messages m"
                                " WHERE m.conversation_id = ? ORDER BY m.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  return collect_messages (self, stmt, error);
}

/* ---- settings ---- */

char *
hearth_store_get_setting (HearthStore *self,
                          const char  *key,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = _hearth_store_prepare (self, "SELECT value FROM settings WHERE key = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc == SQLITE_DONE)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND, "No setting '%s'", key);
  else
    _hearth_store_set_sql_error (self, error, rc, "read setting");
  return NULL;
}

gboolean
hearth_store_set_setting (HearthStore *self,
                          const char  *key,
                          const char  *value,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (value == NULL)
    stmt = _hearth_store_prepare (self, "DELETE FROM settings WHERE key = ?1", error);
  else
    stmt = _hearth_store_prepare (self, "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  if (value != NULL)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_TRANSIENT);
  return step_done (self, stmt, error);
}

gboolean
hearth_store_get_message_parents (HearthStore *self,
                                  gint64       conversation_id,
                                  GArray     **ids,
                                  GArray     **parent_ids,
                                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GArray) id_list = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) parent_list = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  stmt = _hearth_store_prepare (self, "SELECT id, coalesce(parent_id, 0) FROM messages"
                                " WHERE conversation_id = ? ORDER BY id", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      gint64 parent = sqlite3_column_int64 (stmt, 1);

      g_array_append_val (id_list, id);
      g_array_append_val (parent_list, parent);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "read message tree");
      return FALSE;
    }
  *ids = g_steal_pointer (&id_list);
  *parent_ids = g_steal_pointer (&parent_list);
  return TRUE;
}
