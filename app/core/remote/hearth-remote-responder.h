/* hearth-remote-responder.h: replies from a remote model (an OpenAI-compatible server)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The second HearthResponder beside the engine worker: each reply is one
 * POST URL/chat/completions with "stream": true (libsoup 3). The request
 * carries the conversation in OpenAI's shape (system prompt, user,
 * assistant messages with their tool_calls, tool results with their
 * tool_call_id), the tools offered as OpenAI tools, the sampler's
 * temperature, top_p and seed, and max_tokens. The answer is read as
 * server-sent events with bounded lines and events, until `data: [DONE]`:
 * content deltas go to the batcher under the request's generation as they
 * arrive, tool_calls deltas are assembled by index into calls (checked
 * against the tools' parameters, like the engine's), and a usage chunk
 * gives the reply's token counts (the events are taken by
 * hearth-remote-stream.h, which has no I/O and is fuzzed).
 *
 * Stop (the cancellable) ends the reply at once with what had arrived,
 * reason CANCELLED. A failure before any text (no connection, an HTTP
 * error: 401, 429 with its Retry-After, 5xx) is an error of the reply
 * (HEARTH_REMOTE_ERROR, with a message for the user); a failure after some
 * text (the stream cut, an error event) is a reply whose @failure says why,
 * with the text that came, so nothing is lost.
 *
 * Threading: the owner's main context, like every responder.
 */
#pragma once

#include "hearth-remote-provider.h"
#include "hearth-responder.h"
#include "hearth-token-batcher.h"

G_BEGIN_DECLS

/* Bounds on what a server may send: one line, one event, one reply's text
 * (and each tool call's arguments), the tool calls of one reply. */
#define HEARTH_REMOTE_MAX_LINE       (256 * 1024)
#define HEARTH_REMOTE_MAX_EVENT      (1024 * 1024)
#define HEARTH_REMOTE_MAX_TEXT       (8 * 1024 * 1024)
#define HEARTH_REMOTE_MAX_TOOL_CALLS 64

#define HEARTH_TYPE_REMOTE_RESPONDER (hearth_remote_responder_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemoteResponder, hearth_remote_responder, HEARTH, REMOTE_RESPONDER, GObject)

/* @key: the provider's key (NULL: none sent); streamed text goes to @batcher. */
HearthRemoteResponder      *hearth_remote_responder_new          (const HearthRemoteProvider *provider,
                                                                  const char                 *key,
                                                                  HearthTokenBatcher         *batcher);
const HearthRemoteProvider *hearth_remote_responder_get_provider (HearthRemoteResponder *self);
/* Where the conversation goes: "host" or "host:port". */
const char                 *hearth_remote_responder_get_host     (HearthRemoteResponder *self);

G_END_DECLS
