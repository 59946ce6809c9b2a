/* hearth-remote-provider.h: remote models (OpenAI-compatible servers), kept in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A provider is a name, the base URL of an OpenAI-compatible API (the part
 * before /chat/completions, e.g. "https://example.org/v1"), the model to
 * ask there and a key. The providers are kept in the store's settings
 * ("remote.providers", a JSON array of {name, url, model}); the key never
 * is: it goes to the keyring (hearth-api-secrets.h, kind "remote-key",
 * the provider's name). A conversation that talks to a provider records
 * "remote:NAME" as its model.
 *
 * Threading: the store and keyring calls are synchronous (a short wait: the
 * preferences, the CLI, the start of a reply); hearth_remote_provider_test()
 * does a blocking HTTP request and belongs off the UI thread or in the CLI.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_REMOTE_ERROR (hearth_remote_error_quark ())
GQuark hearth_remote_error_quark (void);

typedef enum
{
  HEARTH_REMOTE_ERROR_NOT_FOUND,    /* no provider of that name */
  HEARTH_REMOTE_ERROR_INVALID,      /* a bad name, URL or model; a name taken */
  HEARTH_REMOTE_ERROR_UNREACHABLE,  /* no connection to the server */
  HEARTH_REMOTE_ERROR_UNAUTHORIZED, /* HTTP 401/403: the key was refused */
  HEARTH_REMOTE_ERROR_RATE_LIMITED, /* HTTP 429 */
  HEARTH_REMOTE_ERROR_SERVER,       /* HTTP 5xx, or another status */
  HEARTH_REMOTE_ERROR_CUT,          /* the stream ended before the reply did */
  HEARTH_REMOTE_ERROR_PROTOCOL,     /* an answer that is not the API's */
} HearthRemoteError;

#define HEARTH_REMOTE_MODEL_PREFIX "remote:"
#define HEARTH_REMOTE_SETTING      "remote.providers"

typedef struct
{
  char *name;
  char *url;    /* the base URL, without a trailing '/' */
  char *model;
} HearthRemoteProvider;

HearthRemoteProvider *hearth_remote_provider_new  (const char *name, const char *url, const char *model);
HearthRemoteProvider *hearth_remote_provider_copy (const HearthRemoteProvider *provider);
void                  hearth_remote_provider_free (HearthRemoteProvider *provider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRemoteProvider, hearth_remote_provider_free)

/* "host" or "host:port" of the URL: what the user is told leaves the machine. */
char *hearth_remote_provider_dup_host (const HearthRemoteProvider *provider);
/* The conversation model that names @name ("remote:NAME"), and back: the
 * provider's name in a conversation's @model, or NULL for a local model. */
char *hearth_remote_model_for_provider (const char *name);
char *hearth_remote_provider_from_model (const char *model);

/* Every provider, in the order added (HearthRemoteProvider). */
GPtrArray            *hearth_remote_providers_list   (HearthStore *store, GError **error);
/* NOT_FOUND when there is none of that name. */
HearthRemoteProvider *hearth_remote_providers_lookup (HearthStore *store, const char *name, GError **error);
/* Adds @provider (a name of letters, digits, '.', '_', '-'; an http(s)
 * URL; a model) with @key in the keyring (NULL or "": no key). A name
 * taken is INVALID. */
gboolean              hearth_remote_providers_add    (HearthStore                *store,
                                                      const HearthRemoteProvider *provider,
                                                      const char                 *key,
                                                      GError                    **error);
/* Removes the provider and its key. NOT_FOUND when there was none. */
gboolean              hearth_remote_providers_remove (HearthStore *store, const char *name, GError **error);

/* The provider's key from the keyring; NULL without an error when none was given. */
char *hearth_remote_provider_dup_key (const HearthRemoteProvider *provider, GError **error);

/* GET URL/models with @key (blocking): TRUE when the server answers with
 * a list that has the provider's model; @models_out: the ids it listed
 * (also on a missing model, which is INVALID). Errors as a reply's. */
gboolean hearth_remote_provider_test (const HearthRemoteProvider *provider,
                                      const char                 *key,
                                      GCancellable               *cancellable,
                                      GStrv                      *models_out,
                                      GError                    **error);

/* The error for an HTTP answer of @status (not 2xx) from @host, with the
 * server's own message from @body (OpenAI's {"error": {"message"}}) when
 * it has one and @retry_after (the header; NULL: none) for 429. */
void  hearth_remote_set_http_error (GError    **error,
                                    const char *host,
                                    guint       status,
                                    const char *retry_after,
                                    GBytes     *body);

G_END_DECLS
