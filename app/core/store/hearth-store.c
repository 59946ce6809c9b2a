/* hearth-store.c: opening, unlocking and migrating the encrypted store; conversations and messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-cipher-db.h"
#include "hearth-store-private.h"

#define DB_NAME "history.db"
#define NOUN "history"

struct _HearthStore
{
  GObject              parent_instance;
  sqlite3             *db;
  char                *data_dir;
  char                *path;
  char                *store_id;
  char                *cipher_version;
  HearthStoreKeySource key_source;
  guint                schema_version;
};

G_DEFINE_FINAL_TYPE (HearthStore, hearth_store, G_TYPE_OBJECT)

static guint signals[HEARTH_STORE_N_SIGNALS];

void
_hearth_store_emit (HearthStore      *self,
                    HearthStoreSignal signal,
                    gint64            id)
{
  g_signal_emit (self, signals[signal], 0, id);
}

static void
hearth_store_dispose (GObject *object)
{
  HearthStore *self = HEARTH_STORE (object);

  if (self->db != NULL)
    {
      /* The last connection's close checkpoints the WAL into the main file. */
      sqlite3_close_v2 (self->db);
      self->db = NULL;
    }
  G_OBJECT_CLASS (hearth_store_parent_class)->dispose (object);
}

static void
hearth_store_finalize (GObject *object)
{
  HearthStore *self = HEARTH_STORE (object);

  g_free (self->data_dir);
  g_free (self->path);
  g_free (self->store_id);
  g_free (self->cipher_version);
  G_OBJECT_CLASS (hearth_store_parent_class)->finalize (object);
}

static void
hearth_store_class_init (HearthStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_store_dispose;
  object_class->finalize = hearth_store_finalize;

  signals[HEARTH_STORE_SIGNAL_CONVERSATION_ADDED] =
    g_signal_new ("conversation-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[HEARTH_STORE_SIGNAL_CONVERSATION_CHANGED] =
    g_signal_new ("conversation-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[HEARTH_STORE_SIGNAL_CONVERSATION_REMOVED] =
    g_signal_new ("conversation-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[HEARTH_STORE_SIGNAL_THREAD_CHANGED] =
    g_signal_new ("thread-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
hearth_store_init (HearthStore *self)
{
}

void
hearth_store_params_init (HearthStoreParams *params)
{
  memset (params, 0, sizeof *params);
  params->key_source = HEARTH_STORE_KEY_AUTO;
}

/* ---- SQL helpers ---- */

sqlite3 *
_hearth_store_get_db (HearthStore *self)
{
  return self->db;
}

static void
set_sql_error_db (sqlite3    *db,
                  GError    **error,
                  int         rc,
                  const char *what)
{
  hearth_cipher_db_set_error (db, NOUN, error, rc, what);
}

void
_hearth_store_set_sql_error (HearthStore *self,
                             GError     **error,
                             int          rc,
                             const char  *what)
{
  set_sql_error_db (self->db, error, rc, what);
}

static gboolean
exec_db (sqlite3    *db,
         const char *sql,
         GError    **error)
{
  return hearth_cipher_db_exec (db, NOUN, sql, error);
}

sqlite3_stmt *
_hearth_store_prepare (HearthStore *self,
                       const char  *sql,
                       GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _hearth_store_set_sql_error (self, error, rc, "prepare");
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

gboolean
_hearth_store_begin (HearthStore *self,
                     GError     **error)
{
  /* IMMEDIATE takes the write lock now, so a transaction never fails half
   * way for want of it. */
  return exec_db (self->db, "BEGIN IMMEDIATE", error);
}

gboolean
_hearth_store_commit (HearthStore *self,
                      GError     **error)
{
  if (!exec_db (self->db, "COMMIT", error))
    {
      _hearth_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

void
_hearth_store_rollback (HearthStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- schema ---- */

/* Each step moves the schema from version i to i + 1; all steps of one open
 * run in one transaction with the new user_version, so an interrupted
 * upgrade leaves the old schema whole. */
static const char * const migrations[] = {
  /* 1: linear conversations */
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  title TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  model TEXT,"
  "  system_prompt TEXT);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),"
  "  content TEXT NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX messages_by_conversation ON messages(conversation_id, id);"
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",

  /* 2: branches, flags, token counts, attachments, full-text search */
  "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE conversations ADD COLUMN current_leaf INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE messages ADD COLUMN parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE;"
  "ALTER TABLE messages ADD COLUMN prompt_tokens INTEGER;"
  "ALTER TABLE messages ADD COLUMN completion_tokens INTEGER;"
  "ALTER TABLE messages ADD COLUMN settings TEXT;"
  /* Version 1 conversations were linear: each message replies to the one before. */
  "UPDATE messages SET parent_id = (SELECT max(p.id) FROM messages p"
  "  WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id);"
  "UPDATE conversations SET current_leaf ="
  "  coalesce((SELECT max(id) FROM messages WHERE conversation_id = conversations.id), 0);"
  "CREATE INDEX messages_by_parent ON messages(parent_id);"
  "CREATE INDEX conversations_by_update ON conversations(archived, pinned DESC, updated DESC, id DESC);"
  "CREATE TABLE attachments ("
  "  id INTEGER PRIMARY KEY,"
  "  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  mime_type TEXT,"
  "  data BLOB,"
  "  metadata TEXT);"
  "CREATE INDEX attachments_by_message ON attachments(message_id);"
  /* FTS4 over the content of messages without a second copy of the text;
   * the triggers keep it in step, including rows removed by cascades. */
  "CREATE VIRTUAL TABLE messages_fts USING fts4(content=\"messages\", content,"
  "  tokenize=unicode61 \"remove_diacritics=1\");"
  "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_fts(docid, content) VALUES (new.id, new.content); END;"
  "CREATE TRIGGER messages_fts_delete BEFORE DELETE ON messages BEGIN"
  "  DELETE FROM messages_fts WHERE docid = old.id; END;"
  "CREATE TRIGGER messages_fts_update_before BEFORE UPDATE OF content ON messages BEGIN"
  "  DELETE FROM messages_fts WHERE docid = old.id; END;"
  "CREATE TRIGGER messages_fts_update_after AFTER UPDATE OF content ON messages BEGIN"
  "  INSERT INTO messages_fts(docid, content) VALUES (new.id, new.content); END;",

  /* 3: tool calls and results in messages, the audit of every call, and
   * the approvals the user asked to be remembered */
  "ALTER TABLE messages ADD COLUMN tool_calls TEXT;"
  "ALTER TABLE messages ADD COLUMN tool_call_id TEXT;"
  "ALTER TABLE messages ADD COLUMN tool_name TEXT;"
  /* No foreign keys: what a tool did stays on record when its conversation
   * or messages are deleted. */
  "CREATE TABLE tool_calls ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation_id INTEGER,"
  "  message_id INTEGER,"
  "  result_message_id INTEGER,"
  "  call_id TEXT,"
  "  tool_name TEXT NOT NULL,"
  "  plugin_id TEXT,"
  "  arguments TEXT NOT NULL,"
  "  decision TEXT NOT NULL CHECK (decision IN ('denied', 'allowed-once', 'allowed-conversation',"
  "    'allowed-always', 'read-only', 'cli', 'invalid', 'not-run')),"
  "  decided_by TEXT,"
  "  result TEXT,"
  "  is_error INTEGER NOT NULL DEFAULT 0,"
  "  started INTEGER,"
  "  finished INTEGER);"
  "CREATE INDEX tool_calls_by_conversation ON tool_calls(conversation_id, id);"
  /* conversation_id 0: always; a conversation's approvals go with it. */
  "CREATE TABLE tool_approvals ("
  "  tool_name TEXT NOT NULL,"
  "  conversation_id INTEGER NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  PRIMARY KEY (tool_name, conversation_id));"
  "CREATE TRIGGER tool_approvals_conversation_deleted AFTER DELETE ON conversations BEGIN"
  "  DELETE FROM tool_approvals WHERE conversation_id = old.id; END;",

  /* 4: document Q&A: the collections attached to a conversation (by name,
   * in the order attached), and the passages a reply was given (JSON,
   * see hearth_message_get_sources_json) */
  "ALTER TABLE messages ADD COLUMN sources TEXT;"
  "CREATE TABLE conversation_collections ("
  "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  "  position INTEGER NOT NULL,"
  "  name TEXT NOT NULL,"
  "  PRIMARY KEY (conversation_id, name));",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HEARTH_STORE_SCHEMA_VERSION);

static gboolean
migrate (HearthStore *self,
         guint        target,
         GError     **error)
{
  g_autofree char *version_text = hearth_cipher_db_query_text (self->db, "PRAGMA user_version");
  guint64 version = version_text != NULL ? g_ascii_strtoull (version_text, NULL, 10) : 0;

  if (version > HEARTH_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_TOO_NEW,
                   "The history database has schema version %" G_GUINT64_FORMAT
                   "; this Hearth reads up to %d", version, HEARTH_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  self->schema_version = (guint) version;
  if (version >= target)
    return TRUE;

  if (!_hearth_store_begin (self, error))
    return FALSE;
  for (guint64 v = version; v < target; v++)
    {
      char sql[64];

      if (!exec_db (self->db, migrations[v], error))
        {
          g_prefix_error (error, "Upgrading the history to schema %" G_GUINT64_FORMAT ": ", v + 1);
          _hearth_store_rollback (self);
          return FALSE;
        }
      g_snprintf (sql, sizeof sql, "PRAGMA user_version = %" G_GUINT64_FORMAT, v + 1);
      if (!exec_db (self->db, sql, error))
        {
          _hearth_store_rollback (self);
          return FALSE;
        }
    }
  if (!_hearth_store_commit (self, error))
    return FALSE;
  self->schema_version = target;
  return TRUE;
}

HearthStore *
hearth_store_open (const HearthStoreParams *params,
                   GError                 **error)
{
  g_autoptr(HearthStore) self = g_object_new (HEARTH_TYPE_STORE, NULL);
  HearthCipherDbParams cp = { 0 };
  HearthCipherDbInfo info = { 0 };
  guint target;
  int rc;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  target = params->schema_version != 0 ? params->schema_version : HEARTH_STORE_SCHEMA_VERSION;
  if (target > HEARTH_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "No schema version %u", target);
      return NULL;
    }

  self->data_dir = params->data_dir != NULL
                     ? g_strdup (params->data_dir)
                     : g_build_filename (g_get_user_data_dir (), "hearth", NULL);
  cp.data_dir = self->data_dir;
  cp.file_name = DB_NAME;
  cp.noun = NOUN;
  cp.key_label = "Hearth chat history key";
  cp.key_source = params->key_source;
  cp.passphrase_func = params->passphrase_func;
  cp.passphrase_data = params->passphrase_data;
  cp.passphrase_iterations = params->passphrase_iterations;
  self->db = hearth_cipher_db_open (&cp, &info, error);
  if (self->db == NULL)
    return NULL;
  self->path = g_steal_pointer (&info.path);
  self->store_id = g_steal_pointer (&info.store_id);
  self->cipher_version = g_steal_pointer (&info.cipher_version);
  self->key_source = info.key_source;
  hearth_cipher_db_info_clear (&info);

  rc = _hearth_store_register_rank (self->db);
  if (rc != SQLITE_OK)
    {
      set_sql_error_db (self->db, error, rc, "registering the rank function");
      return NULL;
    }
  if (!migrate (self, target, error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
hearth_store_get_path (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  return self->path;
}

const char *
hearth_store_get_data_dir (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  return self->data_dir;
}

HearthStoreKeySource
hearth_store_get_key_source (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), HEARTH_STORE_KEY_AUTO);
  return self->key_source;
}

guint
hearth_store_get_schema_version (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), 0);
  return self->schema_version;
}

const char *
hearth_store_get_cipher_version (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  return self->cipher_version;
}

gboolean
hearth_store_check_integrity (HearthStore *self,
                              GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  stmt = _hearth_store_prepare (self, "PRAGMA integrity_check", error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);

      if (g_strcmp0 (line, "ok") != 0)
        g_string_append_printf (problems, "%s%s", problems->len ? "; " : "", line);
    }
  if ((rc & 0xff) == SQLITE_ERROR)
    {
      /* SQLCipher reports a page that fails its HMAC to the pager as a
       * plain SQLITE_ERROR; in a check that only reads, that is damage. */
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   "The history database is damaged: a page cannot be read (%s)",
                   sqlite3_errmsg (self->db));
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "integrity check");
      return FALSE;
    }
  if (problems->len > 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   "The history database is damaged: %s", problems->str);
      return FALSE;
    }
  return TRUE;
}
