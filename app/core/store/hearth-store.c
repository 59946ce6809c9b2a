/* hearth-store.c: opening, unlocking and migrating the encrypted store; conversations and messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-keyring.h"
#include "hearth-store-private.h"

/* The parameter file beside the database holds what must be known before
 * the key is applied: where the key lives, the SQLCipher settings the file
 * was written with, the passphrase salt, and a key check value.  None of it
 * is secret.  Pinning the cipher settings here (rather than relying on the
 * library's defaults, which changed in SQLCipher 4) is what lets a database
 * made by Debian's SQLCipher 3.4 open unchanged under SQLCipher 4. */
#define DB_NAME "history.db"
#define PARAMS_SUFFIX ".params"
#define PARAMS_FORMAT 1
#define SALT_SIZE 16

/* SQLCipher 3's defaults, which SQLCipher 4 reads once told them. */
#define V3_PAGE_SIZE 1024
#define V3_KDF_ITER 64000
#define V3_HMAC "HMAC_SHA1"
#define V3_KDF "PBKDF2_HMAC_SHA1"

struct _HearthStore
{
  GObject              parent_instance;
  sqlite3             *db;
  char                *data_dir;
  char                *path;
  char                *params_path;
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
  g_free (self->params_path);
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
  int primary = rc & 0xff;
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                 "The history database is damaged (%s): %s", what, detail);
  else if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
           primary == SQLITE_READONLY || primary == SQLITE_PERM)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                 "History database input/output error (%s): %s", what, detail);
  else
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                 "History database error (%s): %s", what, detail);
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
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sql_error_db (db, error, rc, sql);
      return FALSE;
    }
  return TRUE;
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

/* ---- hex ---- */

static char *
hex_encode (const guint8 *data,
            gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  char *out = g_malloc (2 * len + 1);

  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 15];
    }
  out[2 * len] = '\0';
  return out;
}

static gboolean
hex_decode (const char *hex,
            guint8     *out,
            gsize       len)
{
  if (hex == NULL || strlen (hex) != 2 * len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

/* ---- the parameter file ---- */

typedef struct
{
  char                *store_id;
  HearthStoreKeySource key_source; /* KEYRING or PASSPHRASE */
  char                *created_with;
  guint                page_size;
  guint                kdf_iter;
  char                *hmac_algorithm;
  char                *kdf_algorithm;
  guint8               key_check[HEARTH_KEY_CHECK_SIZE];
  guint8               salt[SALT_SIZE];
  guint                passphrase_iterations;
} StoreParams;

static void
store_params_clear (StoreParams *p)
{
  g_free (p->store_id);
  g_free (p->created_with);
  g_free (p->hmac_algorithm);
  g_free (p->kdf_algorithm);
  memset (p, 0, sizeof *p);
}

static gboolean
is_one_of (const char *value,
           const char *a,
           const char *b,
           const char *c)
{
  return value != NULL && (strcmp (value, a) == 0 || strcmp (value, b) == 0 || strcmp (value, c) == 0);
}

static gboolean
params_bad (GError    **error,
            const char *path,
            const char *what)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
               "The history's parameter file %s is damaged: %s", path, what);
  return FALSE;
}

static gboolean
store_params_load (StoreParams *p,
                   const char  *path,
                   GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *check = NULL;
  gint64 format;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                     "The history database exists but its parameter file %s is missing, "
                     "so there is no way to tell how to unlock it", path);
      else
        return params_bad (error, path, local_error->message);
      return FALSE;
    }

  format = g_key_file_get_int64 (kf, "Store", "format", NULL);
  if (format > PARAMS_FORMAT)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_TOO_NEW,
                   "The history was written by a newer Hearth (parameter format %" G_GINT64_FORMAT ")",
                   format);
      return FALSE;
    }
  if (format < 1)
    return params_bad (error, path, "no format");

  p->store_id = g_key_file_get_string (kf, "Store", "id", NULL);
  source = g_key_file_get_string (kf, "Store", "key-source", NULL);
  p->created_with = g_key_file_get_string (kf, "Store", "created-with", NULL);
  if (p->store_id == NULL || !g_uuid_string_is_valid (p->store_id))
    return params_bad (error, path, "no store id");
  if (g_strcmp0 (source, "keyring") == 0)
    p->key_source = HEARTH_STORE_KEY_KEYRING;
  else if (g_strcmp0 (source, "passphrase") == 0)
    p->key_source = HEARTH_STORE_KEY_PASSPHRASE;
  else
    return params_bad (error, path, "unknown key-source");

  p->page_size = (guint) g_key_file_get_integer (kf, "Cipher", "page-size", NULL);
  p->kdf_iter = (guint) g_key_file_get_integer (kf, "Cipher", "kdf-iter", NULL);
  p->hmac_algorithm = g_key_file_get_string (kf, "Cipher", "hmac-algorithm", NULL);
  p->kdf_algorithm = g_key_file_get_string (kf, "Cipher", "kdf-algorithm", NULL);
  check = g_key_file_get_string (kf, "Cipher", "key-check", NULL);
  if (p->page_size < 512 || p->page_size > 65536 || (p->page_size & (p->page_size - 1)) != 0)
    return params_bad (error, path, "bad page-size");
  if (p->kdf_iter < 1 || p->kdf_iter > 100000000)
    return params_bad (error, path, "bad kdf-iter");
  /* Only names from a fixed list ever reach a PRAGMA. */
  if (!is_one_of (p->hmac_algorithm, "HMAC_SHA1", "HMAC_SHA256", "HMAC_SHA512"))
    return params_bad (error, path, "bad hmac-algorithm");
  if (!is_one_of (p->kdf_algorithm, "PBKDF2_HMAC_SHA1", "PBKDF2_HMAC_SHA256", "PBKDF2_HMAC_SHA512"))
    return params_bad (error, path, "bad kdf-algorithm");
  if (!hex_decode (check, p->key_check, sizeof p->key_check))
    return params_bad (error, path, "bad key-check");

  if (p->key_source == HEARTH_STORE_KEY_PASSPHRASE)
    {
      g_autofree char *salt = g_key_file_get_string (kf, "Passphrase", "salt", NULL);
      g_autofree char *kdf = g_key_file_get_string (kf, "Passphrase", "kdf", NULL);
      gint64 iterations = g_key_file_get_int64 (kf, "Passphrase", "iterations", NULL);

      if (g_strcmp0 (kdf, "PBKDF2-HMAC-SHA256") != 0)
        return params_bad (error, path, "unknown passphrase kdf");
      if (iterations < 1 || iterations > G_MAXINT)
        return params_bad (error, path, "bad passphrase iterations");
      if (!hex_decode (salt, p->salt, sizeof p->salt))
        return params_bad (error, path, "bad salt");
      p->passphrase_iterations = (guint) iterations;
    }
  return TRUE;
}

static gboolean
store_params_save (const StoreParams *p,
                   const char        *path,
                   GError           **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *check = hex_encode (p->key_check, sizeof p->key_check);
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  g_key_file_set_comment (kf, NULL, NULL,
                          " Hearth history: how to unlock history.db. Nothing here is secret;\n"
                          " without this file the database cannot be opened.", NULL);
  g_key_file_set_int64 (kf, "Store", "format", PARAMS_FORMAT);
  g_key_file_set_string (kf, "Store", "id", p->store_id);
  g_key_file_set_string (kf, "Store", "key-source",
                         p->key_source == HEARTH_STORE_KEY_KEYRING ? "keyring" : "passphrase");
  g_key_file_set_string (kf, "Store", "created-with", p->created_with);
  g_key_file_set_integer (kf, "Cipher", "page-size", (int) p->page_size);
  g_key_file_set_integer (kf, "Cipher", "kdf-iter", (int) p->kdf_iter);
  g_key_file_set_string (kf, "Cipher", "hmac-algorithm", p->hmac_algorithm);
  g_key_file_set_string (kf, "Cipher", "kdf-algorithm", p->kdf_algorithm);
  g_key_file_set_string (kf, "Cipher", "key-check", check);
  if (p->key_source == HEARTH_STORE_KEY_PASSPHRASE)
    {
      g_autofree char *salt = hex_encode (p->salt, sizeof p->salt);

      g_key_file_set_string (kf, "Passphrase", "kdf", "PBKDF2-HMAC-SHA256");
      g_key_file_set_int64 (kf, "Passphrase", "iterations", p->passphrase_iterations);
      g_key_file_set_string (kf, "Passphrase", "salt", salt);
    }

  data = g_key_file_to_data (kf, &len, NULL);
  if (!g_file_set_contents_full (path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot write the history's parameter file: %s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- keys ---- */

static char *
ask_passphrase (const HearthStoreParams *params,
                gboolean                 creating,
                const char              *why,
                GError                 **error)
{
  char *passphrase = NULL;

  if (params->passphrase_func != NULL)
    passphrase = params->passphrase_func (creating, params->passphrase_data);
  if (passphrase == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NEED_PASSPHRASE,
                   "%s a passphrase, and none was given", why);
      return NULL;
    }
  return passphrase;
}

static void
wipe_string (char *s)
{
  if (s != NULL)
    {
      hearth_key_wipe (s, strlen (s));
      g_free (s);
    }
}

static gboolean
derive_passphrase_key (const HearthStoreParams *params,
                       const StoreParams       *p,
                       gboolean                 creating,
                       const char              *why,
                       guint8                   key[HEARTH_KEY_SIZE],
                       GError                 **error)
{
  char *passphrase = ask_passphrase (params, creating, why, error);
  gboolean ok;

  if (passphrase == NULL)
    return FALSE;
  ok = hearth_key_from_passphrase (passphrase, p->salt, sizeof p->salt, p->passphrase_iterations,
                                   key, error);
  wipe_string (passphrase);
  return ok;
}

/* Makes the key of a new database and fills in @p; on success the key is
 * stored where @p->key_source says (the keyring), or derivable (passphrase). */
static gboolean
make_new_key (const HearthStoreParams *params,
              StoreParams             *p,
              guint8                   key[HEARTH_KEY_SIZE],
              GError                 **error)
{
  if (params->key_source != HEARTH_STORE_KEY_PASSPHRASE)
    {
      g_autoptr(GError) keyring_error = NULL;
      g_autofree char *label = g_strdup_printf ("Hearth chat history key (%s)", p->store_id);

      if (!hearth_key_generate (key, error))
        return FALSE;
      if (hearth_keyring_store (p->store_id, label, key, &keyring_error))
        {
          p->key_source = HEARTH_STORE_KEY_KEYRING;
          return TRUE;
        }
      hearth_key_wipe (key, HEARTH_KEY_SIZE);
      if (params->key_source == HEARTH_STORE_KEY_KEYRING || params->passphrase_func == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&keyring_error));
          return FALSE;
        }
      g_debug ("No keyring (%s); asking for a passphrase", keyring_error->message);
    }

  p->key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p->passphrase_iterations = params->passphrase_iterations != 0
                               ? params->passphrase_iterations
                               : HEARTH_STORE_DEFAULT_PASSPHRASE_ITERATIONS;
  if (getrandom (p->salt, sizeof p->salt, 0) != (ssize_t) sizeof p->salt)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                   "Could not get random bytes for the salt");
      return FALSE;
    }
  return derive_passphrase_key (params, p, TRUE, "A new history database needs", key, error);
}

static gboolean
unlock_key (const HearthStoreParams *params,
            const StoreParams       *p,
            guint8                   key[HEARTH_KEY_SIZE],
            GError                 **error)
{
  guint8 check[HEARTH_KEY_CHECK_SIZE];

  if (p->key_source == HEARTH_STORE_KEY_KEYRING)
    {
      if (!hearth_keyring_lookup (p->store_id, key, error))
        return FALSE;
    }
  else if (!derive_passphrase_key (params, p, FALSE, "The history database is locked with", key, error))
    return FALSE;

  hearth_key_check_value (key, check);
  if (memcmp (check, p->key_check, sizeof check) != 0)
    {
      hearth_key_wipe (key, HEARTH_KEY_SIZE);
      if (p->key_source == HEARTH_STORE_KEY_PASSPHRASE)
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY,
                     "Wrong passphrase for the history database");
      else
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY,
                     "The key in the keyring is not the key of this history database");
      return FALSE;
    }
  return TRUE;
}

/* Gives the connection its key and pins the cipher settings.  The raw-key
 * form x'...' makes SQLCipher skip its own KDF; the settings must still be
 * pinned because the page size and the HMAC (and the fast KDF that derives
 * the HMAC key) decide the file format.  SQLCipher 3 ignores the two
 * algorithm PRAGMAs (they are unknown to it and its only algorithm is SHA1);
 * SQLCipher 4 needs them to read a version 3 file.  Equivalent there:
 * PRAGMA cipher_compatibility = 3. */
static gboolean
apply_key (sqlite3           *db,
           const StoreParams *p,
           const guint8       key[HEARTH_KEY_SIZE],
           GError           **error)
{
  char sql[128];
  char *hex = hex_encode (key, HEARTH_KEY_SIZE);
  int rc;

  g_snprintf (sql, sizeof sql, "PRAGMA key = \"x'%s'\"", hex);
  hearth_key_wipe (hex, strlen (hex));
  g_free (hex);
  rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
  hearth_key_wipe (sql, sizeof sql);
  if (rc != SQLITE_OK)
    {
      set_sql_error_db (db, error, rc, "key");
      return FALSE;
    }

  g_snprintf (sql, sizeof sql, "PRAGMA cipher_page_size = %u", p->page_size);
  if (!exec_db (db, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA kdf_iter = %u", p->kdf_iter);
  if (!exec_db (db, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA cipher_hmac_algorithm = %s", p->hmac_algorithm);
  if (!exec_db (db, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA cipher_kdf_algorithm = %s", p->kdf_algorithm);
  return exec_db (db, sql, error);
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
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
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == HEARTH_STORE_SCHEMA_VERSION);

static gboolean
migrate (HearthStore *self,
         guint        target,
         GError     **error)
{
  g_autofree char *version_text = query_text (self->db, "PRAGMA user_version");
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

/* ---- opening ---- */

static gboolean
prepare_dir (const char *dir,
             GError    **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot create the history folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  /* A folder that existed before may be wider open than we would make it. */
  if (g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot restrict the history folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

typedef enum
{
  DB_ABSENT,   /* no file: create one */
  DB_EMPTY,    /* an empty file, left by a first open that stopped early */
  DB_EXISTING, /* a database: never replaced */
} DbState;

/* Anything that is not clearly "no database yet" counts as a database or
 * an error, so that a new empty database never lands on top of a history. */
static gboolean
db_state (const char *path,
          DbState    *state,
          GError    **error)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      if (saved != ENOENT)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                       "Cannot look at %s: %s", path, g_strerror (saved));
          return FALSE;
        }
      *state = DB_ABSENT;
    }
  else if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, "%s is not a file", path);
      return FALSE;
    }
  else
    *state = st.st_size > 0 ? DB_EXISTING : DB_EMPTY;

  if (*state != DB_EXISTING && g_stat (wal, &st) == 0 && st.st_size > 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   "%s is missing or empty but its write-ahead log is not", path);
      return FALSE;
    }
  return TRUE;
}

/* SQLite gives the WAL and journal files the mode of the main file, so a
 * main file created 0600 here keeps every file of the database private. */
static gboolean
create_empty_db_file (const char *path,
                      DbState     state,
                      GError    **error)
{
  int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (state == DB_ABSENT ? O_CREAT | O_EXCL : 0);
  int fd = open (path, flags, 0600);

  if (fd < 0 || fchmod (fd, 0600) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

HearthStore *
hearth_store_open (const HearthStoreParams *params,
                   GError                 **error)
{
  g_autoptr(HearthStore) self = g_object_new (HEARTH_TYPE_STORE, NULL);
  StoreParams p = { 0 };
  guint8 key[HEARTH_KEY_SIZE];
  DbState state;
  gboolean existing;
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
  self->path = g_build_filename (self->data_dir, DB_NAME, NULL);
  self->params_path = g_strconcat (self->path, PARAMS_SUFFIX, NULL);
  if (!prepare_dir (self->data_dir, error))
    return NULL;

  if (!db_state (self->path, &state, error))
    return NULL;
  existing = state == DB_EXISTING;
  if (existing)
    {
      if (!store_params_load (&p, self->params_path, error) ||
          !unlock_key (params, &p, key, error))
        {
          store_params_clear (&p);
          return NULL;
        }
    }
  else
    {
      p.store_id = g_uuid_string_random ();
      p.page_size = V3_PAGE_SIZE;
      p.kdf_iter = V3_KDF_ITER;
      p.hmac_algorithm = g_strdup (V3_HMAC);
      p.kdf_algorithm = g_strdup (V3_KDF);
      if (!make_new_key (params, &p, key, error))
        {
          store_params_clear (&p);
          return NULL;
        }
      hearth_key_check_value (key, p.key_check);
      if (!create_empty_db_file (self->path, state, error))
        goto fail;
    }
  self->key_source = p.key_source;
  self->store_id = g_strdup (p.store_id);

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sql_error_db (self->db, error, rc, "open");
      goto fail;
    }
  sqlite3_extended_result_codes (self->db, 1);
  /* Another Hearth process (the app and hearth-cli) may hold the lock for
   * a moment. */
  sqlite3_busy_timeout (self->db, 5000);
  if (!apply_key (self->db, &p, key, error))
    goto fail;
  hearth_key_wipe (key, sizeof key);

  /* The first read decrypts page 1.  The key was already verified against
   * the key check, so a failure here is a damaged file, never a wrong key. */
  rc = sqlite3_exec (self->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      set_sql_error_db (self->db, error, rc, "reading the first page");
      goto fail;
    }
  self->cipher_version = query_text (self->db, "PRAGMA cipher_version");
  if (self->cipher_version == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                   "The SQLite library in use has no SQLCipher encryption");
      goto fail;
    }
  if (!existing)
    {
      p.created_with = g_strdup_printf ("SQLCipher %s", self->cipher_version);
      /* Written once the key is safe (keyring or passphrase) and before any
       * data: a database is never without its unlocking parameters. */
      if (!store_params_save (&p, self->params_path, error))
        goto fail;
    }

  /* WAL keeps readers and the writer apart; FULL syncs the WAL at every
   * commit so that a committed message survives a crash of the process and
   * of the machine.  Frames in the WAL are encrypted like pages in the
   * main file; temporary tables and indices stay in memory. */
  if (!exec_db (self->db,
                "PRAGMA journal_mode = WAL;"
                "PRAGMA synchronous = FULL;"
                "PRAGMA foreign_keys = ON;"
                "PRAGMA temp_store = MEMORY;"
                "PRAGMA secure_delete = ON;",
                error))
    goto fail;
  rc = _hearth_store_register_rank (self->db);
  if (rc != SQLITE_OK)
    {
      set_sql_error_db (self->db, error, rc, "registering the rank function");
      goto fail;
    }
  if (!migrate (self, target, error))
    goto fail;

  store_params_clear (&p);
  return g_steal_pointer (&self);

fail:
  hearth_key_wipe (key, sizeof key);
  store_params_clear (&p);
  return NULL;
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
