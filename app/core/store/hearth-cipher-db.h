/* hearth-cipher-db.h: opening a SQLCipher database whose key is in the keyring or a passphrase
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The key handling of the history (see store/README.md, "Keys") for every
 * encrypted database Hearth keeps: history.db and the document index
 * documents.db.  Each database has its own random key (its own keyring
 * entry, found by the store id in its parameter file) or its own
 * passphrase salt, so that deleting one never locks the other.  This was
 * factored out of hearth-store.c unchanged: with noun "history" every
 * message is the store's as it was.
 *
 * Contract: hearth_cipher_db_open() makes the folder private (0700), opens
 * or creates <data_dir>/<file_name> with its parameter file
 * <file_name>.params, verifies the key against the key check before the
 * database is touched (nothing is written to an existing database, or to
 * its folder, when the key is wrong, missing or refused), pins the cipher
 * settings, and returns a connection in WAL mode with synchronous = FULL,
 * foreign keys on, temp_store = MEMORY and secure_delete on.  The schema
 * is the caller's.
 *
 * Threading: the calls are reentrant; the connection is opened NOMUTEX,
 * so its owner serialises its use.  Ownership: the connection and the
 * strings in HearthCipherDbInfo are the caller's.
 */
#pragma once

#include <sqlcipher/sqlite3.h>

#include "hearth-store.h"

G_BEGIN_DECLS

typedef struct
{
  const char               *data_dir;   /* the folder; made 0700 */
  const char               *file_name;  /* "history.db" */
  const char               *noun;       /* "history": "The history database is damaged ..." */
  const char               *key_label;  /* the keyring entry's label, "(<store id>)" appended */
  HearthStoreKeySource      key_source; /* for a new database */
  HearthStorePassphraseFunc passphrase_func;
  gpointer                  passphrase_data;
  guint                     passphrase_iterations; /* 0: the default */
} HearthCipherDbParams;

typedef struct
{
  char                *path;
  char                *params_path;
  char                *store_id;
  char                *cipher_version; /* "3.4.1" */
  HearthStoreKeySource key_source;     /* KEYRING or PASSPHRASE */
  gboolean             created;        /* a new database was made */
} HearthCipherDbInfo;

sqlite3 *hearth_cipher_db_open (const HearthCipherDbParams *params,
                                HearthCipherDbInfo         *info,
                                GError                    **error);
void     hearth_cipher_db_info_clear (HearthCipherDbInfo *info);

/* @error from a SQLite result code, in HEARTH_STORE_ERROR: damage is
 * CORRUPT, files and disks IO, the rest FAILED; @noun names the database. */
void     hearth_cipher_db_set_error (sqlite3    *db,
                                     const char *noun,
                                     GError    **error,
                                     int         rc,
                                     const char *what);
gboolean hearth_cipher_db_exec      (sqlite3    *db,
                                     const char *noun,
                                     const char *sql,
                                     GError    **error);
/* The first column of the first row, or NULL. */
char    *hearth_cipher_db_query_text (sqlite3    *db,
                                      const char *sql);

G_END_DECLS
