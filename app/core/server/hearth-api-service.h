/* hearth-api-service.h: the app's local API server, on the app's loaded model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One HearthApiService per HearthRuntime (hearth_api_service_get_for_runtime,
 * kept on the runtime and freed with it). Off by default; the front end
 * sets :enabled, :host and :port (the app binds them to its settings
 * api-enabled, api-host and api-port).
 *
 * While :enabled it runs a HearthApiServer (hearth-api-server.h) at :host
 * and :port, with the token from the keyring (hearth-api-secrets.h), and
 * serves on it whatever model the runtime has loaded: the runtime's own
 * HearthModel (one copy of the weights; the server's sessions are its
 * own), under the file's name without ".gguf". It follows the runtime: a
 * model that loads is served at once, one that unloads (or is replaced,
 * or lost with its device) stops being served, its replies in progress
 * ending with a 503; with no model loaded the server still listens and
 * answers generation requests with a 503 (model_not_loaded). Changing
 * :host or :port restarts the server (its figures start again at zero); a
 * new token (hearth_api_service_regenerate_token) takes effect at once,
 * without a restart. Like `hearth-cli serve`, nothing it answers is
 * written to the history unless :keep-history is on.
 *
 * Properties (notify): enabled, host, port, keep-history (read-write); running, url,
 * error, model-id (read-only). :running is TRUE while it listens; :url is
 * the base URL ("http://HOST:PORT/v1") then; :model-id the model served
 * (NULL: none); :error says why the server could not start or serve
 * (listen, keyring, the model's sessions), NULL otherwise.
 *
 * Threading: the runtime's owner thread, like the runtime; the server
 * answers in that thread's main context.
 */
#pragma once

#include "hearth-runtime.h"
#include "hearth-api-metrics.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_API_SERVICE (hearth_api_service_get_type ())
G_DECLARE_FINAL_TYPE (HearthApiService, hearth_api_service, HEARTH, API_SERVICE, GObject)

#define HEARTH_API_SERVICE_DEFAULT_HOST "127.0.0.1"
#define HEARTH_API_SERVICE_DEFAULT_PORT 8180

/* The runtime's service (borrowed), made on first use, not enabled. */
HearthApiService *hearth_api_service_get_for_runtime (HearthRuntime *runtime);

void        hearth_api_service_set_enabled (HearthApiService *self, gboolean enabled);
gboolean    hearth_api_service_get_enabled (HearthApiService *self);
/* NULL or "": 127.0.0.1. */
void        hearth_api_service_set_host    (HearthApiService *self, const char *host);
const char *hearth_api_service_get_host    (HearthApiService *self);
/* 0: any free port (tests). */
void        hearth_api_service_set_port    (HearthApiService *self, guint port);
guint       hearth_api_service_get_port    (HearthApiService *self);
gboolean    hearth_api_service_get_running (HearthApiService *self);
const char *hearth_api_service_get_url     (HearthApiService *self);
const char *hearth_api_service_get_error   (HearthApiService *self);
const char *hearth_api_service_get_model_id (HearthApiService *self);
/* Off by default: with it on, each finished chat completion is kept as a
 * conversation in the history (hearth-api-history.h; the app binds it to
 * its setting api-keep-history). */
void        hearth_api_service_set_keep_history (HearthApiService *self, gboolean keep);
gboolean    hearth_api_service_get_keep_history (HearthApiService *self);
/* TRUE when @host (NULL or "": the default) reaches this machine only. */
gboolean    hearth_api_service_host_is_loopback (const char *host);

/* The token clients send (from the keyring; made on first use). */
char       *hearth_api_service_dup_token (HearthApiService *self, GError **error);
/* A new token, stored in the keyring; the old one is refused from now on. */
char       *hearth_api_service_regenerate_token (HearthApiService *self, GError **error);

/* The running server's figures; FALSE (zeros, -1 for the timings) when
 * it is not running. */
gboolean    hearth_api_service_get_summary (HearthApiService        *self,
                                            HearthApiMetricsSummary *summary);

/* Stops the server for good and lets go of the runtime (before the runtime
 * shuts down). */
void        hearth_api_service_shutdown (HearthApiService *self);

G_END_DECLS
