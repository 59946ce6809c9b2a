/* hearth-remote-stream.h: a streamed chat completion, assembled from its events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What an OpenAI-compatible server streams is untrusted: each event's
 * data (hearth-remote-sse.h cuts them out) is one JSON chunk, taken here:
 * content deltas are appended to the text, tool_calls deltas assembled by
 * their index into calls (id, name, arguments), a usage chunk gives the
 * token counts, a finish_reason is kept, an "error" event or anything that
 * is not a chunk ends the stream with an error naming the host, and
 * "[DONE]" ends it cleanly. Everything is bounded (hearth-remote-responder.h):
 * the text and each call's arguments by HEARTH_REMOTE_MAX_TEXT, a call's
 * name by HEARTH_REMOTE_MAX_LINE, the calls by HEARTH_REMOTE_MAX_TOOL_CALLS.
 * Values of the wrong type are skipped (hearth-json-member.h), never a
 * critical. No I/O: the responder feeds it, and so does the fuzzer
 * (tests/fuzz/fuzz-remote-stream.c).
 *
 * Threading: one thread at a time. Ownership: the caller's.
 */
#pragma once

#include <glib.h>

#include "hearth-engine.h"

G_BEGIN_DECLS

typedef struct _HearthRemoteStream HearthRemoteStream;

/* @host names the server in errors. */
HearthRemoteStream *hearth_remote_stream_new  (const char *host);
void                hearth_remote_stream_free (HearthRemoteStream *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthRemoteStream, hearth_remote_stream_free)

/* One event's data (@len bytes). FALSE when no more events are wanted:
 * after "[DONE]" (get_done, no error) or on a failure (@error: a
 * HEARTH_REMOTE_ERROR, PROTOCOL or SERVER). @content gets the text this
 * event added, or NULL (borrowed until the next call). */
gboolean     hearth_remote_stream_take             (HearthRemoteStream *self,
                                                    const char         *data,
                                                    gsize               len,
                                                    const char        **content,
                                                    GError            **error);
const char  *hearth_remote_stream_get_text         (HearthRemoteStream *self,
                                                    gsize              *len);
guint        hearth_remote_stream_get_n_calls      (HearthRemoteStream *self);
gboolean     hearth_remote_stream_get_done         (HearthRemoteStream *self);
/* FALSE when no usage chunk came (the counts are then 0). */
gboolean     hearth_remote_stream_get_usage        (HearthRemoteStream *self,
                                                    guint32            *prompt_tokens,
                                                    guint32            *completion_tokens);
/* NULL when none came. */
const char  *hearth_remote_stream_get_finish_reason (HearthRemoteStream *self);
/* The calls, as the engine's parser reads them back (checked against the
 * tools of @tools_json, the request's OpenAI tools); NULL when there were
 * none, or no tools were offered. Arguments that are not JSON are kept as
 * a string, which the parser reports as a call that never runs. */
HearthToolCalls *hearth_remote_stream_dup_calls    (HearthRemoteStream *self,
                                                    const char         *tools_json);

G_END_DECLS
