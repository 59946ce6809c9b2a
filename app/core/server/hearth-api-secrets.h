/* hearth-api-secrets.h: the API token and the remote providers' keys in the keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short secrets (text) kept in the Secret Service under one schema,
 * org.gnome.Hearth.Secret, told apart by a kind and a name: the local API
 * server's token is ("api-token", "local"), a remote provider's key is
 * ("remote-key", PROVIDER). Synchronous calls (D-Bus round trips): call them
 * where a short wait is fine (start-up, a preferences dialog), not per token.
 * Errors are HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE when there is no usable
 * Secret Service.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_SECRET_API_TOKEN  "api-token"
#define HEARTH_SECRET_REMOTE_KEY "remote-key"

/* NULL without an error when there is no such entry. */
char    *hearth_secret_lookup (const char *kind, const char *name, GError **error);
gboolean hearth_secret_store  (const char *kind, const char *name, const char *label,
                               const char *value, GError **error);
/* Succeeds when there was none. */
gboolean hearth_secret_clear  (const char *kind, const char *name, GError **error);

/* A new random token: "hearth-" and 48 hex digits (192 bits). */
char    *hearth_api_token_generate (GError **error);
/* The local API token from the keyring; one is generated and stored when
 * there is none or @regenerate is set. */
char    *hearth_api_token_get (gboolean regenerate, GError **error);

G_END_DECLS
