/* hearth-responder.h: what writes the assistant's reply to a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The runtime asks a HearthResponder for each reply: the engine worker
 * (the local model on its own thread) is the one the app and the CLI use;
 * a remote model (an OpenAI-compatible server) is another, and tests
 * script one. A responder gets the conversation as HearthWorkerMessage
 * items (with the tool calls and tool results in it), the tools the model
 * may call (the chat template's `tools`, as JSON text), the sampler and a
 * token limit, and returns a HearthWorkerReply with the calls it found.
 *
 * Threading: called in the runtime's main context; the reply completes
 * there. Streamed text goes through the responder's own HearthTokenBatcher
 * under @request->generation (a responder that does not stream sends none).
 * Cancelling @cancellable stops the reply: what was said comes back as a
 * reply with reason CANCELLED, not as an error.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-engine.h"

G_BEGIN_DECLS

typedef struct
{
  HearthChatRole   role;
  char            *content;
  /* An assistant message that called tools (owned; NULL: none). */
  HearthToolCalls *tool_calls;
  /* A tool's result: the call it answers and the tool (owned; may be NULL). */
  char            *tool_call_id;
  char            *tool_name;
} HearthWorkerMessage;

HearthWorkerMessage *hearth_worker_message_new (HearthChatRole role, const char *content);
void                 hearth_worker_message_free (HearthWorkerMessage *message);

typedef struct
{
  char            *text;
  HearthStopReason reason;
  guint32          n_prompt_tokens;
  guint32          n_prompt_eval;   /* of those, how many ran (the rest were cached); local replies */
  guint32          n_reused;        /* of those, the previous turn's tokens kept as generated */
  guint32          n_generated;
  guint            n_dropped;
  double           gen_seconds;
  double           first_token_seconds;
  guint32          n_past;  /* positions used after the reply */
  guint32          n_ctx;
  /* Not NULL when the GPU device was lost mid-reply: the engine's message.
   * text is what came before (maybe nothing), and the engine thread has
   * already dropped the model (see hearth_engine_worker_get_device_lost). */
  char            *device_lost;
  /* Not NULL when a remote server's failure cut the reply short (the
   * stream cut, an error event): the message for the user; text is what
   * came before. */
  char            *failure;
  /* The calls found in text when tools were offered (possibly none), each
   * checked against its tool's parameters; NULL when no tools were. */
  HearthToolCalls *tool_calls;
  /* The conversation as rendered for the model, when the request wanted it. */
  char            *prompt;
} HearthWorkerReply;

void hearth_worker_reply_free (HearthWorkerReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthWorkerReply, hearth_worker_reply_free)

typedef struct
{
  guint64                    generation;    /* the batcher generation streamed text belongs to */
  const char                *system_prompt; /* NULL: none */
  GPtrArray                 *messages;      /* of HearthWorkerMessage; the responder takes a reference */
  const char                *tools_json;    /* a JSON array as hearth_chat_set_tools() takes; NULL: none */
  const HearthSamplerParams *sampler;
  guint32                    max_tokens;    /* 0: until the model stops or the context is full */
  gboolean                   want_prompt;   /* return the rendered prompt (reply->prompt) */
} HearthResponderRequest;

#define HEARTH_TYPE_RESPONDER (hearth_responder_get_type ())
G_DECLARE_INTERFACE (HearthResponder, hearth_responder, HEARTH, RESPONDER, GObject)

struct _HearthResponderInterface
{
  GTypeInterface g_iface;

  /* TRUE when a reply can start (a model is loaded, a server is set). */
  gboolean           (*is_ready)       (HearthResponder *self);
  /* What conversations and replies record as their model; may be NULL. */
  const char        *(*get_model)      (HearthResponder *self);
  void               (*respond_async)  (HearthResponder              *self,
                                        const HearthResponderRequest *request,
                                        GCancellable                 *cancellable,
                                        GAsyncReadyCallback           callback,
                                        gpointer                      user_data);
  HearthWorkerReply *(*respond_finish) (HearthResponder *self,
                                        GAsyncResult    *result,
                                        GError         **error);
};

gboolean           hearth_responder_is_ready       (HearthResponder *self);
const char        *hearth_responder_get_model      (HearthResponder *self);
void               hearth_responder_respond_async  (HearthResponder              *self,
                                                    const HearthResponderRequest *request,
                                                    GCancellable                 *cancellable,
                                                    GAsyncReadyCallback           callback,
                                                    gpointer                      user_data);
HearthWorkerReply *hearth_responder_respond_finish (HearthResponder *self,
                                                    GAsyncResult    *result,
                                                    GError         **error);

G_END_DECLS
