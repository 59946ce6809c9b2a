/* hearth-keyring.c: database keys, from the Secret Service or from a passphrase
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <libsecret/secret.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

#include "hearth-keyring.h"
#include "hearth-store-error.h"

/* The entry is found by the store's UUID, not its path, so that moving the
 * data folder keeps the key reachable. */
static const SecretSchema *
hearth_key_schema (void)
{
  static const SecretSchema schema = {
    .name = "org.gnome.Hearth.StoreKey",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { "store-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

void
hearth_key_wipe (void *data,
                 gsize len)
{
  if (data != NULL)
    explicit_bzero (data, len);
}

gboolean
hearth_key_generate (guint8   key[HEARTH_KEY_SIZE],
                     GError **error)
{
  gsize got = 0;

  while (got < HEARTH_KEY_SIZE)
    {
      ssize_t n = getrandom (key + got, HEARTH_KEY_SIZE - got, 0);

      if (n < 0)
        {
          int saved = errno;

          if (saved == EINTR)
            continue;
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                       "Could not get random bytes for a key: %s", g_strerror (saved));
          return FALSE;
        }
      got += (gsize) n;
    }
  return TRUE;
}

gboolean
hearth_key_from_passphrase (const char   *passphrase,
                            const guint8 *salt,
                            gsize         salt_len,
                            guint         iterations,
                            guint8        key[HEARTH_KEY_SIZE],
                            GError      **error)
{
  if (passphrase == NULL || *passphrase == '\0')
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "The passphrase is empty");
      return FALSE;
    }
  if (iterations == 0 || iterations > G_MAXINT || salt_len == 0)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_ARGUMENT,
                   "Bad key derivation parameters (%u iterations, %zu bytes of salt)",
                   iterations, salt_len);
      return FALSE;
    }
  if (PKCS5_PBKDF2_HMAC (passphrase, (int) strlen (passphrase), salt, (int) salt_len,
                         (int) iterations, EVP_sha256 (), HEARTH_KEY_SIZE, key) != 1)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_FAILED,
                   "Key derivation from the passphrase failed");
      return FALSE;
    }
  return TRUE;
}

void
hearth_key_check_value (const guint8 key[HEARTH_KEY_SIZE],
                        guint8       check[HEARTH_KEY_CHECK_SIZE])
{
  static const char label[] = "Hearth store key check v1";
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, HEARTH_KEY_SIZE);
  gsize len = HEARTH_KEY_CHECK_SIZE;

  g_hmac_update (hmac, (const guchar *) label, sizeof label - 1);
  g_hmac_get_digest (hmac, check, &len);
  g_assert (len == HEARTH_KEY_CHECK_SIZE);
}

static void
set_keyring_error (GError    **error,
                   const char *what,
                   GError     *cause)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE,
               "%s: the keyring (Secret Service) is not available: %s",
               what, cause->message);
}

/* Asks the Secret Service directly (SearchItems answers with locked and
 * unlocked items apart, without unlocking or prompting) whether the entry
 * exists but is locked.  Where the service cannot be asked this way (the
 * Flatpak's portal backend keeps a local file that is never locked), the
 * answer is no. */
static gboolean
has_locked_entry (const char *store_id)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) locked = NULL;
  GVariantBuilder attributes;

  if (bus == NULL)
    return FALSE;
  g_variant_builder_init (&attributes, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&attributes, "{ss}", "xdg:schema", hearth_key_schema ()->name);
  g_variant_builder_add (&attributes, "{ss}", "store-id", store_id);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "SearchItems",
                                       g_variant_new ("(a{ss})", &attributes), G_VARIANT_TYPE ("(aoao)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  locked = g_variant_get_child_value (reply, 1);
  return g_variant_n_children (locked) > 0;
}

gboolean
hearth_keyring_lookup (const char *store_id,
                       guint8      key[HEARTH_KEY_SIZE],
                       GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  char *hex;
  gsize len;
  gboolean ok = TRUE;

  hex = secret_password_lookup_sync (hearth_key_schema (), NULL, &local_error,
                                     "store-id", store_id, NULL);
  if (local_error != NULL)
    {
      set_keyring_error (error, "Cannot read the history's key", local_error);
      return FALSE;
    }
  if (hex == NULL)
    {
      /* A locked keyring whose unlock prompt was refused (or could not be
       * shown) also answers "nothing": look without unlocking to tell that
       * apart from an entry that is really gone. */
      if (has_locked_entry (store_id))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE,
                       "The keyring that holds the history's key is locked and was not unlocked");
          return FALSE;
        }
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_KEY_MISSING,
                   "The key of the history database (store id %s) is missing from the keyring; "
                   "without it the history cannot be decrypted. It was left untouched",
                   store_id);
      return FALSE;
    }

  len = strlen (hex);
  if (len != 2 * HEARTH_KEY_SIZE)
    ok = FALSE;
  for (gsize i = 0; ok && i < HEARTH_KEY_SIZE; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (hi < 0 || lo < 0)
        ok = FALSE;
      else
        key[i] = (guint8) (hi << 4 | lo);
    }
  secret_password_free (hex);
  if (!ok)
    {
      hearth_key_wipe (key, HEARTH_KEY_SIZE);
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY,
                   "The keyring entry of the history database (store id %s) is not a key",
                   store_id);
    }
  return ok;
}

gboolean
hearth_keyring_store (const char   *store_id,
                      const char   *label,
                      const guint8  key[HEARTH_KEY_SIZE],
                      GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  char hex[2 * HEARTH_KEY_SIZE + 1];
  static const char digits[] = "0123456789abcdef";

  /* Hex text rather than raw bytes: seahorse shows and backs up text. */
  for (gsize i = 0; i < HEARTH_KEY_SIZE; i++)
    {
      hex[2 * i] = digits[key[i] >> 4];
      hex[2 * i + 1] = digits[key[i] & 15];
    }
  hex[2 * HEARTH_KEY_SIZE] = '\0';

  secret_password_store_sync (hearth_key_schema (), SECRET_COLLECTION_DEFAULT, label, hex,
                              NULL, &local_error, "store-id", store_id, NULL);
  hearth_key_wipe (hex, sizeof hex);
  if (local_error != NULL)
    {
      set_keyring_error (error, "Cannot save the history's key", local_error);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_keyring_clear (const char *store_id,
                      GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  secret_password_clear_sync (hearth_key_schema (), NULL, &local_error,
                              "store-id", store_id, NULL);
  if (local_error != NULL)
    {
      set_keyring_error (error, "Cannot remove the history's key", local_error);
      return FALSE;
    }
  return TRUE;
}
