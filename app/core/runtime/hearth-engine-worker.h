/* hearth-engine-worker.h: the thread that owns the loaded model and runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Commands go to the engine thread over a queue; results come back as
 * GTask completions on the main context and streamed text through a
 * HearthTokenBatcher, so the UI never waits on the model. The worker is
 * the HearthResponder of the local model: a request's tools go to the chat
 * template, its messages' tool calls and results too, and the reply comes
 * back with the calls the model made (hearth-responder.h).
 */
#pragma once

#include <gio/gio.h>

#include "hearth-engine.h"
#include "hearth-responder.h"
#include "hearth-token-batcher.h"

G_BEGIN_DECLS

typedef struct
{
  HearthBackendKind backend;
  guint32           n_ctx;     /* 0: the model's own */
  int               n_threads; /* <= 0: one per core */
  int               n_gpu_layers; /* Vulkan: layers on the GPU; < 0: all */
  /* Vulkan: an index or part of a name, as `hearth-cli devices` lists
   * them; empty: the engine's choice (a GPU). A copy, so that the params
   * can be kept for a reload. */
  char              device[128];
} HearthWorkerLoadParams;

#define HEARTH_TYPE_ENGINE_WORKER (hearth_engine_worker_get_type ())
G_DECLARE_FINAL_TYPE (HearthEngineWorker, hearth_engine_worker, HEARTH, ENGINE_WORKER, GObject)

/* Streamed text is delivered through @batcher (its generation ids). */
HearthEngineWorker *hearth_engine_worker_new (HearthTokenBatcher *batcher);

void     hearth_engine_worker_load_async  (HearthEngineWorker           *self,
                                           const char                   *path,
                                           const HearthWorkerLoadParams *params,
                                           GAsyncReadyCallback           callback,
                                           gpointer                      user_data);
gboolean hearth_engine_worker_load_finish (HearthEngineWorker *self,
                                           GAsyncResult       *result,
                                           GError            **error);
void     hearth_engine_worker_unload      (HearthEngineWorker *self);
/* Stops a reply in progress, drops the model and joins the engine thread;
 * commands after this are never answered. */
void     hearth_engine_worker_shutdown    (HearthEngineWorker *self);

gboolean    hearth_engine_worker_is_loaded (HearthEngineWorker *self);
gboolean    hearth_engine_worker_is_busy (HearthEngineWorker *self);
/* NULL when no model is loaded. */
const char *hearth_engine_worker_get_model_path (HearthEngineWorker *self);
/* A reference on the loaded model (the same weights the worker runs), for
 * other sessions on it such as the local API's; NULL when none is loaded. */
HearthModel *hearth_engine_worker_dup_model (HearthEngineWorker *self);
const char *hearth_engine_worker_get_backend_description (HearthEngineWorker *self);
guint32     hearth_engine_worker_get_n_ctx (HearthEngineWorker *self);
/* After a reply that lost the GPU device: why (the engine's message). The
 * model is no longer loaded; a successful load or an unload clears this. */
const char *hearth_engine_worker_get_device_lost (HearthEngineWorker *self);
/* The file and settings of the last model that loaded (for a reload);
 * FALSE when none has. @path is the worker's. */
gboolean    hearth_engine_worker_get_last_load (HearthEngineWorker     *self,
                                                const char            **path,
                                                HearthWorkerLoadParams *params);

/* hearth_responder_respond_async() without tools: generates the assistant's
 * reply to @messages (an array of HearthWorkerMessage, taken) as generation @generation of the batcher,
 * at most @max_tokens tokens (0: until the model stops or the context is full).
 * Cancelling @cancellable stops it; the partial reply is returned with
 * reason CANCELLED. A lost GPU device is no error either: the partial reply
 * comes back with device_lost set, and the model is unloaded (its memory
 * freed on the engine thread); other engine errors are errors and leave
 * the model loaded. */
void               hearth_engine_worker_respond_async  (HearthEngineWorker        *self,
                                                        guint64                    generation,
                                                        const char                *system_prompt,
                                                        GPtrArray                 *messages,
                                                        const HearthSamplerParams *sampler,
                                                        guint32                    max_tokens,
                                                        GCancellable              *cancellable,
                                                        GAsyncReadyCallback        callback,
                                                        gpointer                   user_data);
HearthWorkerReply *hearth_engine_worker_respond_finish (HearthEngineWorker *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);

G_END_DECLS
