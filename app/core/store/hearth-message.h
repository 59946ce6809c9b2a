/* hearth-message.h: one stored chat message, a node of a conversation's tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  HEARTH_MESSAGE_ROLE_SYSTEM,
  HEARTH_MESSAGE_ROLE_USER,
  HEARTH_MESSAGE_ROLE_ASSISTANT,
  HEARTH_MESSAGE_ROLE_TOOL,
} HearthMessageRole;

/* "system", "user", "assistant", "tool" (the names chat templates use). */
const char *hearth_message_role_to_string (HearthMessageRole role);
gboolean    hearth_message_role_from_string (const char        *name,
                                             HearthMessageRole *role);

/* What a message records beside its text; all optional.  Token counts of -1
 * mean unknown.  @settings_json is the generation settings (sampler,
 * temperature, ...) as a JSON object, kept as written. */
typedef struct
{
  gint64      prompt_tokens;
  gint64      completion_tokens;
  const char *settings_json;
  /* An assistant message that called tools: its calls as a JSON array of
   * {"id", "name", "arguments"} (arguments an object), kept as written. */
  const char *tool_calls_json;
  /* A message with role tool: the call it answers, and the tool's name. */
  const char *tool_call_id;
  const char *tool_name;
  /* An assistant message answered from documents: the passages it was
   * given, as a JSON array of {"path", "page" (0: none), "line_start",
   * "line_end", "score", "text"}, best first ("[]": the attached documents
   * had nothing relevant); NULL: no documents were searched.  Kept as
   * written (see hearth-reply-sources.h). */
  const char *sources_json;
} HearthMessageExtra;

void hearth_message_extra_init (HearthMessageExtra *extra);

#define HEARTH_TYPE_MESSAGE (hearth_message_get_type ())
G_DECLARE_FINAL_TYPE (HearthMessage, hearth_message, HEARTH, MESSAGE, GObject)

/* A message is a snapshot of its row, read when it was fetched; the store's
 * calls are what change it (read-only properties "id", "parent-id", "role"
 * as its name, "content", "created" for row bindings).  parent_id 0 means a first message.  Times are
 * microseconds since the Unix epoch (g_get_real_time). */
gint64             hearth_message_get_id                (HearthMessage *self);
gint64             hearth_message_get_conversation_id   (HearthMessage *self);
gint64             hearth_message_get_parent_id         (HearthMessage *self);
HearthMessageRole  hearth_message_get_role              (HearthMessage *self);
const char        *hearth_message_get_content           (HearthMessage *self);
gint64             hearth_message_get_created           (HearthMessage *self);
gint64             hearth_message_get_prompt_tokens     (HearthMessage *self);
gint64             hearth_message_get_completion_tokens (HearthMessage *self);
/* NULL when none were recorded. */
const char        *hearth_message_get_settings_json     (HearthMessage *self);
/* See HearthMessageExtra; NULL when the message has none. */
const char        *hearth_message_get_tool_calls_json   (HearthMessage *self);
const char        *hearth_message_get_tool_call_id      (HearthMessage *self);
const char        *hearth_message_get_tool_name         (HearthMessage *self);
const char        *hearth_message_get_sources_json      (HearthMessage *self);

G_END_DECLS
