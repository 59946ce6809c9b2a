/* hearth-chat.h: conversations formatted by the model's own chat template
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A HearthChat holds a conversation (system prompt, messages, tools) and a
 * session. Each reply renders the whole conversation through the model's
 * tokenizer.chat_template (or the ChatML default), tokenizes it, and runs
 * only what the KV cache does not already hold: a new turn costs its new
 * tokens (the previous reply's generated tokens are kept, not tokenized
 * again from its text), and editing an earlier turn re-runs from the first
 * changed token.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-generate.h"
#include "hearth-json.h"
#include "hearth-tool-call.h"

G_BEGIN_DECLS

typedef struct _HearthChat HearthChat;

typedef enum
{
  HEARTH_CHAT_ROLE_SYSTEM,
  HEARTH_CHAT_ROLE_USER,
  HEARTH_CHAT_ROLE_ASSISTANT,
  HEARTH_CHAT_ROLE_TOOL,
} HearthChatRole;

typedef struct
{
  guint32             max_tokens;   /* 0: until the model ends its turn or the context is full */
  const char *const  *stop_strings; /* extra stop strings, NULL-terminated, may be NULL */
  guint32             reserve;      /* positions kept free for the reply when fitting history; 0: n_ctx/4 */
  /*< private >*/
  gpointer            padding[8];
} HearthChatParams;

typedef struct
{
  char                *text;           /* the reply as added to the conversation (owned) */
  HearthGenerateResult gen;            /* stop reason, token counts, timings */
  guint                n_dropped;      /* oldest messages left out to fit the context (0 normally) */
  guint32              n_prompt_tokens;/* the rendered conversation's tokens */
  guint32              n_reused_tokens;/* of those, the previous turn's prompt and reply kept as
                                        * generated, not tokenized again (0: the whole rendering was
                                        * tokenized; gen.n_prompt_eval says what ran) */
  HearthToolCalls     *tool_calls;     /* calls found in the reply when tools are set, else NULL (owned) */
} HearthChatReply;

void        hearth_chat_params_init (HearthChatParams *params);
void        hearth_chat_reply_clear (HearthChatReply *reply);

/* Uses the session's model template; fails if that template does not parse. */
HearthChat *hearth_chat_new (HearthSession *session,
                             GError       **error);
/* Uses @template_source instead of the model's. */
HearthChat *hearth_chat_new_with_template (HearthSession *session,
                                           const char    *template_source,
                                           GError       **error);
void        hearth_chat_free (HearthChat *self);

HearthSession *hearth_chat_get_session (HearthChat *self);
/* TRUE when the model had no template and ChatML is used. */
gboolean    hearth_chat_uses_default_template (HearthChat *self);

void        hearth_chat_set_system_prompt (HearthChat *self, const char *text); /* NULL: none */
/* An array of {"type": "function", "function": {"name", "description", "parameters"}}; NULL: none. */
void        hearth_chat_set_tools (HearthChat *self, HearthJsonValue *tools);
/* When tools are set and the template writes Hermes/Qwen-style calls
 * (<tool_call>...</tool_call>), hearth_chat_respond() constrains each call
 * to {"name": a tool, "arguments": its parameters} (lazily: text is free
 * until <tool_call>), unless the sampler already has a constraint. With
 * @required the reply must be a call, from its first token. */
void        hearth_chat_set_tools_required (HearthChat *self, gboolean required);
/* The constraint respond() uses for tool calls; NULL when there are no
 * tools, the template has no <tool_call>, or a tool's schema is beyond
 * what constraints support (the calls are then only checked when parsed). */
HearthConstraint *hearth_chat_get_tool_constraint (HearthChat *self);

void        hearth_chat_add_message (HearthChat *self, HearthChatRole role, const char *content);
/* An assistant turn that called tools (the calls' names, arguments and ids go to the template). */
void        hearth_chat_add_tool_calls (HearthChat *self, const char *content, HearthToolCalls *calls);
/* A tool's result, answering the call with @tool_call_id (may be NULL). */
void        hearth_chat_add_tool_result (HearthChat *self, const char *tool_call_id, const char *name,
                                         const char *content);
guint       hearth_chat_get_n_messages (HearthChat *self);
/* Drops messages from index @n on (editing or regenerating a turn). */
void        hearth_chat_truncate (HearthChat *self, guint n);
/* Forgets the conversation and the cache. */
void        hearth_chat_reset (HearthChat *self);

/* The conversation as the template renders it. */
char       *hearth_chat_render (HearthChat *self,
                                gboolean    add_generation_prompt,
                                GError    **error);

/* Generates the assistant's reply to the conversation, streaming text
 * through @func, and appends it as an assistant message. When the history
 * no longer fits, the oldest turns are left out (never the system prompt
 * nor the latest user message) and reply->n_dropped says how many; a
 * latest message that cannot fit even alone is a CONTEXT_FULL error.
 * Stopping through @cancellable is not an error: the partial reply is kept
 * with gen.reason CANCELLED. */
gboolean    hearth_chat_respond (HearthChat             *self,
                                 HearthSampler          *sampler,
                                 const HearthChatParams *params,
                                 HearthTextFunc          func,
                                 gpointer                user_data,
                                 GCancellable           *cancellable,
                                 HearthChatReply        *reply,
                                 GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthChat, hearth_chat_free)

G_END_DECLS
