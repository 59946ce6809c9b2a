/* hearth-store-private.h: what the store's files share and nobody else sees
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlcipher/sqlite3.h>

#include "hearth-store.h"

G_BEGIN_DECLS

/* Rows to objects; the column orders are the ones in CONVERSATION_COLUMNS and
 * MESSAGE_COLUMNS. */
#define HEARTH_CONVERSATION_COLUMNS \
  "c.id, c.title, c.created, c.updated, c.model, c.system_prompt, c.pinned, c.archived, " \
  "c.current_leaf, (SELECT count(*) FROM messages WHERE conversation_id = c.id)"
#define HEARTH_MESSAGE_COLUMNS \
  "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.created, " \
  "m.prompt_tokens, m.completion_tokens, m.settings, m.tool_calls, m.tool_call_id, m.tool_name, m.sources"

HearthConversation *_hearth_conversation_new_from_row (sqlite3_stmt *stmt);
HearthMessage      *_hearth_message_new_from_row      (sqlite3_stmt *stmt);

sqlite3 *_hearth_store_get_db (HearthStore *self);

/* Sets @error from the connection's last error (damage -> CORRUPT). */
void _hearth_store_set_sql_error (HearthStore *self,
                                  GError     **error,
                                  int          rc,
                                  const char  *what);
sqlite3_stmt *_hearth_store_prepare (HearthStore *self,
                                     const char  *sql,
                                     GError     **error);
/* Binds @text, or NULL when it is NULL. */
void _hearth_store_bind_text_or_null (sqlite3_stmt *stmt,
                                      int           col,
                                      const char   *text);
gboolean _hearth_store_begin    (HearthStore *self, GError **error);
gboolean _hearth_store_commit   (HearthStore *self, GError **error);
void     _hearth_store_rollback (HearthStore *self);

/* Adds a message row inside a transaction the caller holds; does not move
 * the current leaf. Returns the new id or 0. */
gint64 _hearth_store_insert_message (HearthStore              *self,
                                     gint64                    conversation_id,
                                     gint64                    parent_id,
                                     HearthMessageRole         role,
                                     const char               *content,
                                     gint64                    created,
                                     const HearthMessageExtra *extra,
                                     GError                  **error);

/* Checks the parent (CURRENT_LEAF allowed), adds a message and makes it the
 * current leaf, inside a transaction the caller holds. The new id or 0. */
gint64 _hearth_store_append_locked (HearthStore              *self,
                                    gint64                    conversation_id,
                                    gint64                    parent_id,
                                    HearthMessageRole         role,
                                    const char               *content,
                                    const HearthMessageExtra *extra,
                                    GError                  **error);

typedef enum
{
  HEARTH_STORE_SIGNAL_CONVERSATION_ADDED,
  HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED,
  HEARTH_STORE_SIGNAL_CONVERSATION_REMOVED,
  HEARTH_STORE_SIGNAL_THREAD_CHANGED,
  HEARTH_STORE_N_SIGNALS
} HearthStoreSignal;

/* After a committed change: tells the list models (see hearth-store.h). */
void _hearth_store_emit (HearthStore      *self,
                         HearthStoreSignal signal,
                         gint64            id);

/* Registers hearth_bm25() on @db (hearth-store-search.c). */
int _hearth_store_register_rank (sqlite3 *db);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
