/* hearth-tool-call.h: tool calls parsed out of generated text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Models announce tool calls in a few textual formats; this turns them into
 * structured calls (a tool name and a JSON object of arguments), checked
 * against the JSON-schema parameters of the tools the template was given.
 * A call that cannot be read or does not fit its tool is still reported, as
 * an entry whose @error is set: such an entry must never be executed.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-json.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_TOOL_CALL_FORMAT_AUTO,    /* the first of the markers below found in the text */
  HEARTH_TOOL_CALL_FORMAT_HERMES,  /* <tool_call>{"name": ..., "arguments": {...}}</tool_call> (Hermes, Qwen) */
  HEARTH_TOOL_CALL_FORMAT_LLAMA3,  /* {"name": ..., "parameters": {...}}, optionally after <|python_tag|>;
                                    * without the tag a call must start the text or a line, or follow
                                    * another call (after spaces, ';' or ','), so JSON quoted in prose
                                    * is left alone */
  HEARTH_TOOL_CALL_FORMAT_MISTRAL, /* [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...] or [TOOL_CALLS]name[ARGS]{...} */
} HearthToolCallFormat;

/* Text longer than this is refused; more calls than this are cut off with
 * one error entry. */
#define HEARTH_TOOL_CALL_MAX_TEXT (1024 * 1024)
#define HEARTH_TOOL_CALL_MAX_CALLS 64

typedef struct
{
  char            *name;      /* NULL when the call has no readable name */
  HearthJsonValue *arguments; /* a JSON object; NULL when unreadable */
  char            *id;        /* the call's id when the format carries one, else NULL */
  GError          *error;     /* NULL for a valid call; otherwise why it is not */
  gsize            start;     /* the call's bytes in the text: [start, end); calls sent */
                              /* together in one Mistral list share the list's span */
  gsize            end;
} HearthToolCall;

typedef struct _HearthToolCalls HearthToolCalls;

/* @tools: the tools array handed to the chat template (OpenAI style
 * {"type": "function", "function": {"name", "parameters"}} or bare
 * {"name", "parameters"}), or NULL to skip validation against tools.
 * Fails only for text beyond HEARTH_TOOL_CALL_MAX_TEXT or invalid UTF-8. */
HearthToolCalls      *hearth_tool_calls_parse (const char           *text,
                                               gssize                len,
                                               HearthToolCallFormat  format,
                                               HearthJsonValue      *tools,
                                               GError              **error);
void                  hearth_tool_calls_free (HearthToolCalls *calls);

guint                 hearth_tool_calls_get_n_calls (HearthToolCalls *calls);
const HearthToolCall *hearth_tool_calls_get_call (HearthToolCalls *calls, guint index);
/* Calls with @error NULL. */
guint                 hearth_tool_calls_get_n_valid (HearthToolCalls *calls);
/* The text outside the calls and their markers, whitespace-trimmed. */
const char           *hearth_tool_calls_get_content (HearthToolCalls *calls);
HearthToolCallFormat  hearth_tool_calls_get_format (HearthToolCalls *calls);

/* Checks @arguments against a tool's JSON-Schema @parameters, as parsed calls
 * are checked (type, enum, properties, required, additionalProperties and
 * items; a keyword it does not know is not held against the arguments).
 * FALSE with a HEARTH_ENGINE_ERROR (TYPE_MISMATCH, NOT_FOUND for a missing
 * required argument, INVALID_ARGUMENT for an unknown one) whose message names
 * the argument's path, e.g. "argument 'to.name' must be string, not integer". */
gboolean              hearth_tool_arguments_validate (const HearthJsonValue *parameters,
                                                      const HearthJsonValue *arguments,
                                                      GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthToolCalls, hearth_tool_calls_free)

G_END_DECLS
