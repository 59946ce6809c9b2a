/* hearth-api-pool.h: the sessions that answer the local API's requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One HearthModel (one copy of the weights) and a few worker threads, each
 * with its own HearthSession (KV cache) and HearthChat. Requests wait in one
 * bounded FIFO queue and are taken in arrival order by the first free
 * session. The engine runs one forward pass of a model at a time (its
 * sessions take a lock per decode chunk, in no particular order), so the
 * sessions here take turns token by token through a fair (ticket) lock of
 * their own: every active reply advances in arrival order and none starves.
 *
 * A HearthApiJob is one request: filled in by the server (in its main
 * context), then owned jointly (refcounted) by the server and a worker. Its
 * text, as generated, and its end reach the server through @func in the
 * context the job was made in (at most one pending idle source per job).
 * Cancelling the job's cancellable (a client that went away) stops it
 * between two tokens and frees its session for the next request at once.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-engine.h"
#include "hearth-api-metrics.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_API_JOB_CHAT,       /* /v1/chat/completions: messages through the chat template */
  HEARTH_API_JOB_COMPLETION, /* /v1/completions: a raw prompt */
} HearthApiJobKind;

typedef struct _HearthApiJob HearthApiJob;
typedef void (*HearthApiJobFunc) (HearthApiJob *job, gpointer user_data);

struct _HearthApiJob
{
  /* The request: set before hearth_api_pool_submit(), read-only after. */
  HearthApiJobKind    kind;
  GPtrArray          *messages;    /* of HearthWorkerMessage (system ones included) */
  char               *tools_json;  /* NULL: no tools */
  gboolean            tools_required; /* the reply must be a call to one of the tools */
  HearthGrammar      *grammar;     /* response_format: the reply's language (owned); NULL: free */
  char               *prompt;      /* completions */
  HearthSamplerParams sampler;
  guint32             max_tokens;  /* 0: until the model stops or the context is full */
  char              **stop;        /* NULL-terminated; may be NULL */
  gint64              created_us;  /* g_get_monotonic_time() at arrival */
  GCancellable       *cancellable;
  HearthApiJobFunc    func;        /* progress and end, in @context */
  gpointer            user_data;
  GMainContext       *context;

  /* Results, valid once @done is seen in @func. */
  gboolean            done;
  GError             *error;
  char               *text;
  HearthStopReason    reason;
  guint32             n_prompt;
  guint32             n_generated;
  double              first_token_seconds; /* from arrival, queue wait included */
  double              gen_seconds;
  HearthToolCalls    *tool_calls;  /* when tools were given */

  /*< private >*/
  gint                ref;
  GMutex              lock;
  GString            *pending;     /* text not yet handed to @func */
  gboolean            notify_pending;
  gboolean            finished;    /* set by the worker under @lock */
};

HearthApiJob *hearth_api_job_new (HearthApiJobKind kind);
HearthApiJob *hearth_api_job_ref (HearthApiJob *job);
void          hearth_api_job_unref (HearthApiJob *job);
/* In @func: the text generated since the last call (owned by the caller). */
char         *hearth_api_job_take_text (HearthApiJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthApiJob, hearth_api_job_unref)

typedef struct _HearthApiPool HearthApiPool;

/* @n_sessions sessions of @n_ctx positions each (0: the model's own);
 * at most @max_queue requests wait. @template_source: a chat template to
 * use instead of the model's (NULL: the model's). */
HearthApiPool *hearth_api_pool_new (HearthModel      *model,
                                    const char       *template_source,
                                    guint             n_sessions,
                                    guint             max_queue,
                                    guint32           n_ctx,
                                    HearthApiMetrics *metrics,
                                    GError          **error);
/* Cancels what runs, answers what waits with CANCELLED and joins the threads. */
void           hearth_api_pool_free (HearthApiPool *self);
/* FALSE (G_IO_ERROR_BUSY) when the queue is full. Takes a reference. */
gboolean       hearth_api_pool_submit (HearthApiPool *self,
                                       HearthApiJob  *job,
                                       GError       **error);
HearthModel   *hearth_api_pool_get_model (HearthApiPool *self);
guint32        hearth_api_pool_get_n_ctx (HearthApiPool *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthApiPool, hearth_api_pool_free)

G_END_DECLS
