/* hearth-conversation.h: one stored conversation (its header; messages are fetched apart)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_CONVERSATION (hearth_conversation_get_type ())
G_DECLARE_FINAL_TYPE (HearthConversation, hearth_conversation, HEARTH, CONVERSATION, GObject)

/* A snapshot of the row when it was fetched, as GObjects so that a
 * GListModel of them can back the sidebar (read-only properties "id",
 * "title", "created", "updated", "model", "pinned", "archived",
 * "n-messages" for row bindings).  Times are microseconds since the
 * Unix epoch.  current_leaf_id is the last message of the branch on show
 * (0 when the conversation is empty). */
gint64      hearth_conversation_get_id              (HearthConversation *self);
const char *hearth_conversation_get_title           (HearthConversation *self);
gint64      hearth_conversation_get_created         (HearthConversation *self);
gint64      hearth_conversation_get_updated         (HearthConversation *self);
/* NULL when unset. */
const char *hearth_conversation_get_model           (HearthConversation *self);
const char *hearth_conversation_get_system_prompt   (HearthConversation *self);
gboolean    hearth_conversation_get_pinned          (HearthConversation *self);
gboolean    hearth_conversation_get_archived        (HearthConversation *self);
gint64      hearth_conversation_get_current_leaf_id (HearthConversation *self);
/* Messages in all branches. */
gint64      hearth_conversation_get_n_messages      (HearthConversation *self);

G_END_DECLS
