/* hearth-store-error.h: the error domain of the encrypted store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_STORE_ERROR (hearth_store_error_quark ())

/**
 * HearthStoreError:
 * Every fallible store call reports one of these in HEARTH_STORE_ERROR.
 * The key errors are distinct so that a front end can say what to do:
 * ask again (WRONG_KEY), explain the keyring (KEY_MISSING,
 * KEYRING_UNAVAILABLE) or offer a restore from backup (CORRUPT).
 */
typedef enum
{
  HEARTH_STORE_ERROR_FAILED,              /* anything not listed below */
  HEARTH_STORE_ERROR_IO,                  /* files, folders, disk full */
  HEARTH_STORE_ERROR_WRONG_KEY,           /* wrong passphrase, or a key that is not this database's */
  HEARTH_STORE_ERROR_KEY_MISSING,         /* the database exists but its key is gone from the keyring */
  HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE, /* no Secret Service, or the user refused it */
  HEARTH_STORE_ERROR_NEED_PASSPHRASE,     /* a passphrase is needed and nobody gave one */
  HEARTH_STORE_ERROR_CORRUPT,             /* the file is damaged: a page fails its authentication */
  HEARTH_STORE_ERROR_TOO_NEW,             /* made by a newer Hearth (schema or parameters) */
  HEARTH_STORE_ERROR_NOT_FOUND,           /* no conversation or message with that id */
  HEARTH_STORE_ERROR_INVALID_ARGUMENT,    /* the caller passed something invalid */
  HEARTH_STORE_ERROR_BAD_FORMAT,          /* an import file that is not a Hearth conversation */
} HearthStoreError;

GQuark hearth_store_error_quark (void);

G_END_DECLS
