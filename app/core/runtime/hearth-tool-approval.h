/* hearth-tool-approval.h: one tool call waiting for the user's yes or no
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The runtime makes one when the model calls a tool whose effects need
 * approval and nothing remembered allows it, and hands it to the front end
 * with its "approval-requested" signal. The front end shows what is asked
 * (the tool, its plugin, description and effects, and the arguments in
 * full) and answers, now or later, with hearth_tool_approval_decide(). An
 * approval is decided once: :pending turns FALSE when it is decided, or
 * when the reply is stopped first (a dialog should close then).
 *
 * Properties (read-only): tool-name, plugin-id, description, effects (as
 * words: "side-effects, network"), arguments (pretty-printed JSON),
 * conversation-id, pending (notifies).
 * Signals: decided (HearthToolDecision): the answer, emitted once.
 *
 * Threading: the runtime's main context only.
 */
#pragma once

#include <glib-object.h>

#include "hearth-plugin.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_TOOL_DECISION_DENY,
  HEARTH_TOOL_DECISION_ALLOW_ONCE,
  HEARTH_TOOL_DECISION_ALLOW_CONVERSATION, /* and remember it for this conversation */
  HEARTH_TOOL_DECISION_ALLOW_ALWAYS,       /* and remember it for every conversation */
} HearthToolDecision;

#define HEARTH_TYPE_TOOL_APPROVAL (hearth_tool_approval_get_type ())
G_DECLARE_FINAL_TYPE (HearthToolApproval, hearth_tool_approval, HEARTH, TOOL_APPROVAL, GObject)

/* For the runtime. @arguments_json: the call's arguments (any JSON layout). */
HearthToolApproval *hearth_tool_approval_new (HearthTool *tool,
                                              const char *plugin_id,
                                              const char *arguments_json,
                                              gint64      conversation_id);

const char        *hearth_tool_approval_get_tool_name       (HearthToolApproval *self);
const char        *hearth_tool_approval_get_plugin_id       (HearthToolApproval *self);
const char        *hearth_tool_approval_get_description     (HearthToolApproval *self);
HearthToolEffects  hearth_tool_approval_get_effects         (HearthToolApproval *self);
/* The effects as words (hearth_tool_effects_to_string()). */
const char        *hearth_tool_approval_get_effects_text    (HearthToolApproval *self);
/* Every argument, pretty-printed (two-space indent), nothing cut. */
const char        *hearth_tool_approval_get_arguments       (HearthToolApproval *self);
gint64             hearth_tool_approval_get_conversation_id (HearthToolApproval *self);
gboolean           hearth_tool_approval_get_pending         (HearthToolApproval *self);

/* Answers the request: FALSE (and nothing happens) when it is no longer
 * pending (decided already, or the reply was stopped). */
gboolean           hearth_tool_approval_decide              (HearthToolApproval *self,
                                                             HearthToolDecision  decision);
/* For the runtime: the reply stopped; :pending turns FALSE, no decision. */
void               hearth_tool_approval_withdraw            (HearthToolApproval *self);

G_END_DECLS
