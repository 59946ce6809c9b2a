/* hearth-keyring.h: database keys, from the Secret Service or from a passphrase
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SQLCipher takes a raw 256-bit AES key. */
#define HEARTH_KEY_SIZE 32
#define HEARTH_KEY_CHECK_SIZE 32

/* Fills @key from the kernel's random source (getrandom). */
gboolean hearth_key_generate (guint8   key[HEARTH_KEY_SIZE],
                              GError **error);

/* PBKDF2-HMAC-SHA256 of @passphrase with @salt. */
gboolean hearth_key_from_passphrase (const char   *passphrase,
                                     const guint8 *salt,
                                     gsize         salt_len,
                                     guint         iterations,
                                     guint8        key[HEARTH_KEY_SIZE],
                                     GError      **error);

/* A value that tells whether a key is the right one without revealing it:
 * HMAC-SHA256 keyed with @key over a fixed label. It lets a wrong key be told
 * apart from a damaged file before the database is touched. */
void hearth_key_check_value (const guint8 key[HEARTH_KEY_SIZE],
                             guint8       check[HEARTH_KEY_CHECK_SIZE]);

/* Overwrites @len bytes in a way the compiler cannot elide. */
void hearth_key_wipe (void *data,
                      gsize len);

/* The Secret Service entry of the store whose id is @store_id (a UUID kept in
 * the store's parameter file). Lookup fails with KEY_MISSING when the service
 * answers but holds no such entry, and with KEYRING_UNAVAILABLE when there is
 * no service, it is locked and the user refused to unlock it, or the sandbox
 * has no way to it. */
gboolean hearth_keyring_lookup (const char *store_id,
                                guint8      key[HEARTH_KEY_SIZE],
                                GError    **error);
gboolean hearth_keyring_store (const char   *store_id,
                               const char   *label,
                               const guint8  key[HEARTH_KEY_SIZE],
                               GError      **error);
/* Removes the entry; succeeds when there was none. */
gboolean hearth_keyring_clear (const char *store_id,
                               GError    **error);

G_END_DECLS
