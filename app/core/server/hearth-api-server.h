/* hearth-api-server.h: the local OpenAI-compatible API (opt-in), on libsoup 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GET /v1/models, POST /v1/chat/completions and /v1/completions (JSON or
 * SSE streams ending in "data: [DONE]"), GET /metrics (Prometheus text);
 * every path needs "Authorization: Bearer TOKEN". /v1/embeddings answers
 * 501: the engine has no embedding API yet. Errors come in OpenAI's shape.
 * Each model is served by a HearthApiPool (one copy of the weights, a few
 * sessions, a bounded FIFO queue). Nothing is written to the history.
 * Models may come and go while it listens (the app serves whatever model
 * it has loaded): with none, generation answers 503 model_not_loaded, and
 * a model not served 404 model_not_found.
 *
 * Threading: the server lives in the thread-default main context it was
 * made in; requests are answered there, text arrives from the pool's
 * workers in idle callbacks. A client that goes away (seen when a write
 * fails, or by watching its socket while its reply waits) cancels its job,
 * which frees the session at once.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-engine.h"
#include "hearth-api-metrics.h"

G_BEGIN_DECLS

typedef struct
{
  guint   n_sessions;   /* sessions per model (replies at once); 0: 4 */
  guint   max_queue;    /* requests that may wait per model; 0: 64 */
  guint32 n_ctx;        /* positions per session; 0: the model's own */
  gsize   max_body;     /* bytes of a request body; 0: 4 MiB */
  guint   max_messages; /* messages per chat request; 0: 1024 */
} HearthApiServerLimits;

void hearth_api_server_limits_init (HearthApiServerLimits *limits);

#define HEARTH_TYPE_API_SERVER (hearth_api_server_get_type ())
G_DECLARE_FINAL_TYPE (HearthApiServer, hearth_api_server, HEARTH, API_SERVER, GObject)

/* @token: what clients must send as "Authorization: Bearer TOKEN". */
HearthApiServer *hearth_api_server_new (const char                  *token,
                                        const HearthApiServerLimits *limits);
/* Serves @model as @id (its file name without .gguf, as a rule), with
 * @template_source as its chat template (NULL: the model's own). */
gboolean hearth_api_server_add_model (HearthApiServer *self,
                                      HearthModel     *model,
                                      const char      *id,
                                      const char      *template_source,
                                      GError         **error);
/* The same with sessions of @n_ctx positions (0: the model's own) instead
 * of the limits' n_ctx. */
gboolean hearth_api_server_add_model_sized (HearthApiServer *self,
                                            HearthModel     *model,
                                            const char      *id,
                                            const char      *template_source,
                                            guint32          n_ctx,
                                            GError         **error);
/* Serves the encoder @model (hearth_model_is_encoder()) as @id on
 * POST /v1/embeddings; it is listed by GET /v1/models with the others. */
gboolean hearth_api_server_add_embed_model (HearthApiServer *self,
                                            HearthModel     *model,
                                            const char      *id,
                                            GError         **error);
/* Stops serving @id: its replies in progress end (503, cancelled), what
 * waits for it is answered so, and its sessions are freed. With no model
 * left, generation requests answer 503 (model_not_loaded). FALSE when
 * @id is not served. */
gboolean hearth_api_server_remove_model (HearthApiServer *self,
                                         const char      *id);
/* From now on clients must send @token; replies in progress go on. */
void     hearth_api_server_set_token (HearthApiServer *self,
                                      const char      *token);
/* @host: an address (NULL: 127.0.0.1); @port 0: any free port. */
gboolean hearth_api_server_listen (HearthApiServer *self,
                                   const char      *host,
                                   guint            port,
                                   GError         **error);
/* TRUE unless listening on an address other hosts can reach. */
gboolean hearth_api_server_is_loopback (HearthApiServer *self);
/* "http://127.0.0.1:PORT/v1" once listening. */
char    *hearth_api_server_dup_base_url (HearthApiServer *self);
HearthApiMetrics *hearth_api_server_get_metrics (HearthApiServer *self);
/* Requests being answered now (streams included). */
guint    hearth_api_server_get_n_requests (HearthApiServer *self);
/* Signal chat-finished (const char *model, GPtrArray *messages, const char
 * *reply): a chat completion ended with a reply, in the server's main
 * context; @messages (HearthWorkerMessage, borrowed) is the conversation
 * as the client sent it, system messages included, and @reply the text
 * generated (tool calls in the model's own markup). The server itself
 * writes nothing anywhere (see hearth-api-history.h for the history). */

/* Stops listening, cancels every reply and waits for the sessions. */
void     hearth_api_server_shutdown (HearthApiServer *self);

G_END_DECLS
