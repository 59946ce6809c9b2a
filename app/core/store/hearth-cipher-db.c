/* hearth-cipher-db.c: the key handling of Hearth's encrypted databases (see the header)
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

#include "hearth-cipher-db.h"
#include "hearth-keyring.h"

/* The parameter file beside the database holds what must be known before
 * the key is applied: where the key lives, the SQLCipher settings the file
 * was written with, the passphrase salt, and a key check value.  None of it
 * is secret.  Pinning the cipher settings here (rather than relying on the
 * library's defaults, which changed in SQLCipher 4) is what lets a database
 * made by Debian's SQLCipher 3.4 open unchanged under SQLCipher 4. */
#define PARAMS_SUFFIX ".params"
#define PARAMS_FORMAT 1
#define SALT_SIZE 16

/* SQLCipher 3's defaults, which SQLCipher 4 reads once told them. */
#define V3_PAGE_SIZE 1024
#define V3_KDF_ITER 64000
#define V3_HMAC "HMAC_SHA1"
#define V3_KDF "PBKDF2_HMAC_SHA1"

/* ---- SQL errors ---- */

void
hearth_cipher_db_set_error (sqlite3    *db,
                            const char *noun,
                            GError    **error,
                            int         rc,
                            const char *what)
{
  int primary = rc & 0xff;
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);
  g_autofree char *Noun = g_strdup (noun);

  Noun[0] = g_ascii_toupper (Noun[0]);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                 "The %s database is damaged (%s): %s", noun, what, detail);
  else if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN ||
           primary == SQLITE_READONLY || primary == SQLITE_PERM)
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                 "%s database input/output error (%s): %s", Noun, what, detail);
  else
    g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                 "%s database error (%s): %s", Noun, what, detail);
}

gboolean
hearth_cipher_db_exec (sqlite3    *db,
                       const char *noun,
                       const char *sql,
                       GError    **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      hearth_cipher_db_set_error (db, noun, error, rc, sql);
      return FALSE;
    }
  return TRUE;
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
            const char *noun,
            const char *path,
            const char *what)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
               "The %s's parameter file %s is damaged: %s", noun, path, what);
  return FALSE;
}

static gboolean
store_params_load (StoreParams *p,
                   const char  *noun,
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
                     "The %s database exists but its parameter file %s is missing, "
                     "so there is no way to tell how to unlock it", noun, path);
      else
        return params_bad (error, noun, path, local_error->message);
      return FALSE;
    }

  format = g_key_file_get_int64 (kf, "Store", "format", NULL);
  if (format > PARAMS_FORMAT)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_TOO_NEW,
                   "The %s was written by a newer Hearth (parameter format %" G_GINT64_FORMAT ")",
                   noun, format);
      return FALSE;
    }
  if (format < 1)
    return params_bad (error, noun, path, "no format");

  p->store_id = g_key_file_get_string (kf, "Store", "id", NULL);
  source = g_key_file_get_string (kf, "Store", "key-source", NULL);
  p->created_with = g_key_file_get_string (kf, "Store", "created-with", NULL);
  if (p->store_id == NULL || !g_uuid_string_is_valid (p->store_id))
    return params_bad (error, noun, path, "no store id");
  if (g_strcmp0 (source, "keyring") == 0)
    p->key_source = HEARTH_STORE_KEY_KEYRING;
  else if (g_strcmp0 (source, "passphrase") == 0)
    p->key_source = HEARTH_STORE_KEY_PASSPHRASE;
  else
    return params_bad (error, noun, path, "unknown key-source");

  p->page_size = (guint) g_key_file_get_integer (kf, "Cipher", "page-size", NULL);
  p->kdf_iter = (guint) g_key_file_get_integer (kf, "Cipher", "kdf-iter", NULL);
  p->hmac_algorithm = g_key_file_get_string (kf, "Cipher", "hmac-algorithm", NULL);
  p->kdf_algorithm = g_key_file_get_string (kf, "Cipher", "kdf-algorithm", NULL);
  check = g_key_file_get_string (kf, "Cipher", "key-check", NULL);
  if (p->page_size < 512 || p->page_size > 65536 || (p->page_size & (p->page_size - 1)) != 0)
    return params_bad (error, noun, path, "bad page-size");
  if (p->kdf_iter < 1 || p->kdf_iter > 100000000)
    return params_bad (error, noun, path, "bad kdf-iter");
  /* Only names from a fixed list ever reach a PRAGMA. */
  if (!is_one_of (p->hmac_algorithm, "HMAC_SHA1", "HMAC_SHA256", "HMAC_SHA512"))
    return params_bad (error, noun, path, "bad hmac-algorithm");
  if (!is_one_of (p->kdf_algorithm, "PBKDF2_HMAC_SHA1", "PBKDF2_HMAC_SHA256", "PBKDF2_HMAC_SHA512"))
    return params_bad (error, noun, path, "bad kdf-algorithm");
  if (!hex_decode (check, p->key_check, sizeof p->key_check))
    return params_bad (error, noun, path, "bad key-check");

  if (p->key_source == HEARTH_STORE_KEY_PASSPHRASE)
    {
      g_autofree char *salt = g_key_file_get_string (kf, "Passphrase", "salt", NULL);
      g_autofree char *kdf = g_key_file_get_string (kf, "Passphrase", "kdf", NULL);
      gint64 iterations = g_key_file_get_int64 (kf, "Passphrase", "iterations", NULL);

      if (g_strcmp0 (kdf, "PBKDF2-HMAC-SHA256") != 0)
        return params_bad (error, noun, path, "unknown passphrase kdf");
      if (iterations < 1 || iterations > G_MAXINT)
        return params_bad (error, noun, path, "bad passphrase iterations");
      if (!hex_decode (salt, p->salt, sizeof p->salt))
        return params_bad (error, noun, path, "bad salt");
      p->passphrase_iterations = (guint) iterations;
    }
  return TRUE;
}

static gboolean
store_params_save (const StoreParams *p,
                   const char        *noun,
                   const char        *file_name,
                   const char        *path,
                   GError           **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *check = hex_encode (p->key_check, sizeof p->key_check);
  g_autofree char *data = NULL;
  g_autofree char *comment = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  comment = g_strdup_printf (" Hearth %s: how to unlock %s. Nothing here is secret;\n"
                             " without this file the database cannot be opened.", noun, file_name);
  g_key_file_set_comment (kf, NULL, NULL, comment, NULL);
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
                   "Cannot write the %s's parameter file: %s", noun, local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- keys ---- */

static char *
ask_passphrase (const HearthCipherDbParams *params,
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
derive_passphrase_key (const HearthCipherDbParams *params,
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
make_new_key (const HearthCipherDbParams *params,
              StoreParams             *p,
              guint8                   key[HEARTH_KEY_SIZE],
              GError                 **error)
{
  if (params->key_source != HEARTH_STORE_KEY_PASSPHRASE)
    {
      g_autoptr(GError) keyring_error = NULL;
      g_autofree char *label = g_strdup_printf ("%s (%s)", params->key_label, p->store_id);

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

  g_autofree char *why = NULL;

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
  why = g_strdup_printf ("A new %s database needs", params->noun);
  return derive_passphrase_key (params, p, TRUE, why, key, error);
}

static gboolean
unlock_key (const HearthCipherDbParams *params,
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
  else
    {
      g_autofree char *why = g_strdup_printf ("The %s database is locked with", params->noun);

      if (!derive_passphrase_key (params, p, FALSE, why, key, error))
        return FALSE;
    }

  hearth_key_check_value (key, check);
  if (memcmp (check, p->key_check, sizeof check) != 0)
    {
      hearth_key_wipe (key, HEARTH_KEY_SIZE);
      if (p->key_source == HEARTH_STORE_KEY_PASSPHRASE)
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY,
                     "Wrong passphrase for the %s database", params->noun);
      else
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY,
                     "The key in the keyring is not the key of this %s database", params->noun);
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
           const char        *noun,
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
      hearth_cipher_db_set_error (db, noun, error, rc, "key");
      return FALSE;
    }

  g_snprintf (sql, sizeof sql, "PRAGMA cipher_page_size = %u", p->page_size);
  if (!hearth_cipher_db_exec (db, noun, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA kdf_iter = %u", p->kdf_iter);
  if (!hearth_cipher_db_exec (db, noun, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA cipher_hmac_algorithm = %s", p->hmac_algorithm);
  if (!hearth_cipher_db_exec (db, noun, sql, error))
    return FALSE;
  g_snprintf (sql, sizeof sql, "PRAGMA cipher_kdf_algorithm = %s", p->kdf_algorithm);
  return hearth_cipher_db_exec (db, noun, sql, error);
}

char *
hearth_cipher_db_query_text (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

/* ---- opening ---- */

static gboolean
prepare_dir (const char *dir,
             const char *noun,
             GError    **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot create the %s folder %s: %s", noun, dir, g_strerror (saved));
      return FALSE;
    }
  /* A folder that existed before may be wider open than we would make it. */
  if (g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   "Cannot restrict the %s folder %s: %s", noun, dir, g_strerror (saved));
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


void
hearth_cipher_db_info_clear (HearthCipherDbInfo *info)
{
  g_clear_pointer (&info->path, g_free);
  g_clear_pointer (&info->params_path, g_free);
  g_clear_pointer (&info->store_id, g_free);
  g_clear_pointer (&info->cipher_version, g_free);
}

sqlite3 *
hearth_cipher_db_open (const HearthCipherDbParams *params,
                       HearthCipherDbInfo         *info,
                       GError                    **error)
{
  const char *noun = params->noun;
  StoreParams p = { 0 };
  guint8 key[HEARTH_KEY_SIZE];
  sqlite3 *db = NULL;
  DbState state;
  gboolean existing;
  int rc;

  memset (info, 0, sizeof *info);
  info->path = g_build_filename (params->data_dir, params->file_name, NULL);
  info->params_path = g_strconcat (info->path, PARAMS_SUFFIX, NULL);
  if (!prepare_dir (params->data_dir, noun, error))
    goto fail_early;

  if (!db_state (info->path, &state, error))
    goto fail_early;
  existing = state == DB_EXISTING;
  if (existing)
    {
      if (!store_params_load (&p, noun, info->params_path, error) ||
          !unlock_key (params, &p, key, error))
        goto fail_early;
    }
  else
    {
      p.store_id = g_uuid_string_random ();
      p.page_size = V3_PAGE_SIZE;
      p.kdf_iter = V3_KDF_ITER;
      p.hmac_algorithm = g_strdup (V3_HMAC);
      p.kdf_algorithm = g_strdup (V3_KDF);
      if (!make_new_key (params, &p, key, error))
        goto fail_early;
      hearth_key_check_value (key, p.key_check);
      if (!create_empty_db_file (info->path, state, error))
        goto fail;
    }
  info->key_source = p.key_source;
  info->store_id = g_strdup (p.store_id);
  info->created = !existing;

  rc = sqlite3_open_v2 (info->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      hearth_cipher_db_set_error (db, noun, error, rc, "open");
      goto fail;
    }
  sqlite3_extended_result_codes (db, 1);
  /* Another Hearth process (the app and hearth-cli) may hold the lock for
   * a moment. */
  sqlite3_busy_timeout (db, 5000);
  if (!apply_key (db, noun, &p, key, error))
    goto fail;
  hearth_key_wipe (key, sizeof key);

  /* The first read decrypts page 1.  The key was already verified against
   * the key check, so a failure here is a damaged file, never a wrong key. */
  rc = sqlite3_exec (db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      hearth_cipher_db_set_error (db, noun, error, rc, "reading the first page");
      goto fail;
    }
  info->cipher_version = hearth_cipher_db_query_text (db, "PRAGMA cipher_version");
  if (info->cipher_version == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                   "The SQLite library in use has no SQLCipher encryption");
      goto fail;
    }
  if (!existing)
    {
      p.created_with = g_strdup_printf ("SQLCipher %s", info->cipher_version);
      /* Written once the key is safe (keyring or passphrase) and before any
       * data: a database is never without its unlocking parameters. */
      if (!store_params_save (&p, noun, params->file_name, info->params_path, error))
        goto fail;
    }

  /* WAL keeps readers and the writer apart; FULL syncs the WAL at every
   * commit so that a committed change survives a crash of the process and
   * of the machine.  Frames in the WAL are encrypted like pages in the
   * main file; temporary tables and indices stay in memory. */
  if (!hearth_cipher_db_exec (db, noun,
                              "PRAGMA journal_mode = WAL;"
                              "PRAGMA synchronous = FULL;"
                              "PRAGMA foreign_keys = ON;"
                              "PRAGMA temp_store = MEMORY;"
                              "PRAGMA secure_delete = ON;",
                              error))
    goto fail;

  store_params_clear (&p);
  return db;

fail:
  if (db != NULL)
    sqlite3_close_v2 (db);
fail_early:
  hearth_key_wipe (key, sizeof key);
  store_params_clear (&p);
  hearth_cipher_db_info_clear (info);
  return NULL;
}
