/* hearth-api-secrets.c: the API token and the remote providers' keys in the keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <libsecret/secret.h>

#include "hearth-api-secrets.h"
#include "hearth-keyring.h"
#include "hearth-store-error.h"

static const SecretSchema *
secret_schema (void)
{
  static const SecretSchema schema = {
    .name = "org.gnome.Hearth.Secret",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "name", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

static void
keyring_error (GError    **error,
               const char *what,
               GError     *cause)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE,
               "%s: the keyring (Secret Service) is not available: %s", what, cause->message);
}

char *
hearth_secret_lookup (const char *kind,
                      const char *name,
                      GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  char *value;
  char *copy;

  value = secret_password_lookup_sync (secret_schema (), NULL, &local_error,
                                       "kind", kind, "name", name, NULL);
  if (local_error != NULL)
    {
      keyring_error (error, "Cannot read a secret", local_error);
      return NULL;
    }
  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  secret_password_free (value);
  return copy;
}

gboolean
hearth_secret_store (const char *kind,
                     const char *name,
                     const char *label,
                     const char *value,
                     GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  secret_password_store_sync (secret_schema (), SECRET_COLLECTION_DEFAULT, label, value,
                              NULL, &local_error, "kind", kind, "name", name, NULL);
  if (local_error != NULL)
    {
      keyring_error (error, "Cannot save a secret", local_error);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_secret_clear (const char *kind,
                     const char *name,
                     GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  secret_password_clear_sync (secret_schema (), NULL, &local_error, "kind", kind, "name", name, NULL);
  if (local_error != NULL)
    {
      keyring_error (error, "Cannot remove a secret", local_error);
      return FALSE;
    }
  return TRUE;
}

char *
hearth_api_token_generate (GError **error)
{
  guint8 raw[HEARTH_KEY_SIZE];
  GString *token = g_string_new ("hearth-");

  if (!hearth_key_generate (raw, error))
    {
      g_string_free (token, TRUE);
      return NULL;
    }
  for (guint i = 0; i < 24; i++)
    g_string_append_printf (token, "%02x", raw[i]);
  hearth_key_wipe (raw, sizeof raw);
  return g_string_free (token, FALSE);
}

char *
hearth_api_token_get (gboolean regenerate,
                      GError **error)
{
  g_autoptr(GError) local_error = NULL;
  char *token = NULL;

  if (!regenerate)
    {
      token = hearth_secret_lookup (HEARTH_SECRET_API_TOKEN, "local", &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (token != NULL)
        return token;
    }
  token = hearth_api_token_generate (error);
  if (token == NULL)
    return NULL;
  if (!hearth_secret_store (HEARTH_SECRET_API_TOKEN, "local", "Hearth local API token", token, error))
    {
      g_free (token);
      return NULL;
    }
  return token;
}
