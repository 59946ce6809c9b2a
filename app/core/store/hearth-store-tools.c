/* hearth-store-tools.c: tool results, the audit of every tool call, remembered approvals
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The audit (table tool_calls) has no foreign keys: a row stays when its
 * conversation or messages are deleted. Remembered approvals (table
 * tool_approvals) of a conversation go with it (a trigger). Every write is
 * one transaction; the store's synchronous settings make a committed row
 * survive a crash.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-store-private.h"

static const char * const decision_names[] = {
  "denied", "allowed-once", "allowed-conversation", "allowed-always", "read-only", "cli", "invalid", "not-run",
};

const char *
hearth_tool_audit_decision_to_string (HearthToolAuditDecision decision)
{
  g_return_val_if_fail ((guint) decision < G_N_ELEMENTS (decision_names), NULL);
  return decision_names[decision];
}

gboolean
hearth_tool_audit_decision_from_string (const char              *name,
                                        HearthToolAuditDecision *decision)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (decision_names); i++)
    if (strcmp (name, decision_names[i]) == 0)
      {
        *decision = (HearthToolAuditDecision) i;
        return TRUE;
      }
  return FALSE;
}

HearthToolAuditEntry *
hearth_tool_audit_entry_new (void)
{
  return g_new0 (HearthToolAuditEntry, 1);
}

void
hearth_tool_audit_entry_free (HearthToolAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->call_id);
  g_free (entry->tool_name);
  g_free (entry->plugin_id);
  g_free (entry->arguments_json);
  g_free (entry->decided_by);
  g_free (entry->result);
  g_free (entry);
}

void
hearth_tool_approval_rule_free (HearthToolApprovalRule *rule)
{
  if (rule == NULL)
    return;
  g_free (rule->tool_name);
  g_free (rule);
}

/* Steps @stmt to its end; FALSE with @error when it failed. */
static gboolean
run_stmt (HearthStore  *self,
          sqlite3_stmt *stmt,
          const char   *what,
          GError      **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _hearth_store_set_sql_error (self, error, rc, what);
      return FALSE;
    }
  return TRUE;
}

static void
bind_id_or_null (sqlite3_stmt *stmt,
                 int           col,
                 gint64        id)
{
  if (id > 0)
    sqlite3_bind_int64 (stmt, col, id);
  else
    sqlite3_bind_null (stmt, col);
}

static gboolean
check_entry (const HearthToolAuditEntry *entry,
             GError                    **error)
{
  if (entry->tool_name == NULL || entry->arguments_json == NULL ||
      (guint) entry->decision >= G_N_ELEMENTS (decision_names))
    {
      g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                           "A tool call's audit needs a tool name, arguments and a known decision");
      return FALSE;
    }
  return TRUE;
}

/* Inside a transaction the caller holds. */
static gint64
insert_audit (HearthStore                *self,
              const HearthToolAuditEntry *entry,
              gint64                      result_message_id,
              GError                    **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = _hearth_store_prepare (self,
                                "INSERT INTO tool_calls (conversation_id, message_id, result_message_id, call_id,"
                                " tool_name, plugin_id, arguments, decision, decided_by, result, is_error,"
                                " started, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return 0;
  bind_id_or_null (stmt, 1, entry->conversation_id);
  bind_id_or_null (stmt, 2, entry->message_id);
  bind_id_or_null (stmt, 3, result_message_id);
  _hearth_store_bind_text_or_null (stmt, 4, entry->call_id);
  _hearth_store_bind_text_or_null (stmt, 5, entry->tool_name);
  _hearth_store_bind_text_or_null (stmt, 6, entry->plugin_id);
  _hearth_store_bind_text_or_null (stmt, 7, entry->arguments_json);
  sqlite3_bind_text (stmt, 8, decision_names[entry->decision], -1, SQLITE_STATIC);
  _hearth_store_bind_text_or_null (stmt, 9, entry->decided_by);
  _hearth_store_bind_text_or_null (stmt, 10, entry->result);
  sqlite3_bind_int (stmt, 11, entry->is_error ? 1 : 0);
  bind_id_or_null (stmt, 12, entry->started);
  bind_id_or_null (stmt, 13, entry->finished);
  if (!run_stmt (self, stmt, "write the tool audit", error))
    return 0;
  return sqlite3_last_insert_rowid (_hearth_store_get_db (self));
}

gint64
hearth_store_add_tool_audit (HearthStore                *self,
                             const HearthToolAuditEntry *entry,
                             GError                    **error)
{
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_STORE (self), 0);
  g_return_val_if_fail (entry != NULL, 0);

  if (!check_entry (entry, error) || !_hearth_store_begin (self, error))
    return 0;
  id = insert_audit (self, entry, 0, error);
  if (id == 0 || !_hearth_store_commit (self, error))
    {
      _hearth_store_rollback (self);
      return 0;
    }
  return id;
}

HearthMessage *
hearth_store_append_tool_result (HearthStore                *self,
                                 gint64                      conversation_id,
                                 gint64                      parent_id,
                                 const char                 *content,
                                 const char                 *tool_call_id,
                                 const char                 *tool_name,
                                 const HearthToolAuditEntry *audit,
                                 GError                    **error)
{
  HearthMessageExtra extra;
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (content != NULL, NULL);

  if ((audit != NULL && !check_entry (audit, error)) || !_hearth_store_begin (self, error))
    return NULL;
  hearth_message_extra_init (&extra);
  extra.tool_call_id = tool_call_id;
  extra.tool_name = tool_name;
  id = _hearth_store_append_locked (self, conversation_id, parent_id, HEARTH_MESSAGE_ROLE_TOOL,
                                    content, &extra, error);
  if (id == 0 || (audit != NULL && insert_audit (self, audit, id, error) == 0) ||
      !_hearth_store_commit (self, error))
    {
      _hearth_store_rollback (self);
      return NULL;
    }
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_THREAD_CHANGED, conversation_id);
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED, conversation_id);
  return hearth_store_get_message (self, id, error);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

GPtrArray *
hearth_store_list_tool_audit (HearthStore *self,
                              gint64       conversation_id,
                              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_audit_entry_free);
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self,
                                "SELECT id, coalesce(conversation_id, 0), coalesce(message_id, 0),"
                                " coalesce(result_message_id, 0), call_id, tool_name, plugin_id, arguments,"
                                " decision, decided_by, result, is_error, coalesce(started, 0),"
                                " coalesce(finished, 0) FROM tool_calls"
                                " WHERE ?1 = 0 OR conversation_id = ?1 ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthToolAuditEntry *e = hearth_tool_audit_entry_new ();

      e->id = sqlite3_column_int64 (stmt, 0);
      e->conversation_id = sqlite3_column_int64 (stmt, 1);
      e->message_id = sqlite3_column_int64 (stmt, 2);
      e->result_message_id = sqlite3_column_int64 (stmt, 3);
      e->call_id = column_dup (stmt, 4);
      e->tool_name = column_dup (stmt, 5);
      e->plugin_id = column_dup (stmt, 6);
      e->arguments_json = column_dup (stmt, 7);
      /* The schema's CHECK keeps an unknown decision out. */
      if (!hearth_tool_audit_decision_from_string ((const char *) sqlite3_column_text (stmt, 8), &e->decision))
        e->decision = HEARTH_TOOL_AUDIT_DENIED;
      e->decided_by = column_dup (stmt, 9);
      e->result = column_dup (stmt, 10);
      e->is_error = sqlite3_column_int (stmt, 11) != 0;
      e->started = sqlite3_column_int64 (stmt, 12);
      e->finished = sqlite3_column_int64 (stmt, 13);
      g_ptr_array_add (rows, e);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "read the tool audit");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

/* ---- remembered approvals ---- */

static gboolean
check_tool_name (const char *tool_name,
                 gint64      conversation_id,
                 GError    **error)
{
  if (tool_name == NULL || tool_name[0] == '\0' || conversation_id < 0)
    {
      g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                           "An approval needs a tool name and a conversation (0: always)");
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_store_remember_tool_approval (HearthStore *self,
                                     const char  *tool_name,
                                     gint64       conversation_id,
                                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(HearthConversation) conv = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (!check_tool_name (tool_name, conversation_id, error))
    return FALSE;
  if (conversation_id != 0 && (conv = hearth_store_get_conversation (self, conversation_id, error)) == NULL)
    return FALSE;
  if (!_hearth_store_begin (self, error))
    return FALSE;
  stmt = _hearth_store_prepare (self,
                                "INSERT OR IGNORE INTO tool_approvals (tool_name, conversation_id, created)"
                                " VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, tool_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, conversation_id);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  if (!run_stmt (self, stmt, "remember an approval", error) || !_hearth_store_commit (self, error))
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

HearthToolApprovalScope
hearth_store_get_tool_approval (HearthStore *self,
                                const char  *tool_name,
                                gint64       conversation_id,
                                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), HEARTH_TOOL_APPROVAL_NONE);

  if (!check_tool_name (tool_name, conversation_id, error))
    return HEARTH_TOOL_APPROVAL_NONE;
  stmt = _hearth_store_prepare (self,
                                "SELECT min(conversation_id) FROM tool_approvals"
                                " WHERE tool_name = ?1 AND (conversation_id = 0 OR conversation_id = ?2)", error);
  if (stmt == NULL)
    return HEARTH_TOOL_APPROVAL_NONE;
  sqlite3_bind_text (stmt, 1, tool_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _hearth_store_set_sql_error (self, error, rc, "read approvals");
      return HEARTH_TOOL_APPROVAL_NONE;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return HEARTH_TOOL_APPROVAL_NONE;
  return sqlite3_column_int64 (stmt, 0) == 0 ? HEARTH_TOOL_APPROVAL_ALWAYS : HEARTH_TOOL_APPROVAL_CONVERSATION;
}

GPtrArray *
hearth_store_list_tool_approvals (HearthStore *self,
                                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_approval_rule_free);
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  stmt = _hearth_store_prepare (self,
                                "SELECT tool_name, conversation_id, created FROM tool_approvals"
                                " ORDER BY conversation_id != 0, tool_name, conversation_id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      HearthToolApprovalRule *r = g_new0 (HearthToolApprovalRule, 1);

      r->tool_name = column_dup (stmt, 0);
      r->conversation_id = sqlite3_column_int64 (stmt, 1);
      r->created = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (rules, r);
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "read approvals");
      return NULL;
    }
  return g_steal_pointer (&rules);
}

gboolean
hearth_store_revoke_tool_approval (HearthStore *self,
                                   const char  *tool_name,
                                   gint64       conversation_id,
                                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (!check_tool_name (tool_name, conversation_id, error) || !_hearth_store_begin (self, error))
    return FALSE;
  stmt = _hearth_store_prepare (self, "DELETE FROM tool_approvals WHERE tool_name = ? AND conversation_id = ?",
                                error);
  if (stmt == NULL)
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, tool_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, conversation_id);
  if (!run_stmt (self, stmt, "revoke an approval", error))
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  if (sqlite3_changes (_hearth_store_get_db (self)) == 0)
    {
      _hearth_store_rollback (self);
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                   "No remembered approval of %s for %s", tool_name,
                   conversation_id == 0 ? "every conversation" : "that conversation");
      return FALSE;
    }
  return _hearth_store_commit (self, error);
}
