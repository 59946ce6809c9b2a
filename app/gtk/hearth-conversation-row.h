/* hearth-conversation-row.h: a conversation (or a search hit in one) in the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-conversation.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CONVERSATION_ROW (hearth_conversation_row_get_type ())
G_DECLARE_FINAL_TYPE (HearthConversationRow, hearth_conversation_row, HEARTH, CONVERSATION_ROW, GtkListBoxRow)

GtkWidget  *hearth_conversation_row_new (HearthConversation *conversation);
/* A search hit: @snippet marks the matched words between [ and ]. */
GtkWidget  *hearth_conversation_row_new_for_hit (gint64      conversation_id,
                                                 const char *title,
                                                 const char *snippet);
gint64      hearth_conversation_row_get_id (HearthConversationRow *self);
const char *hearth_conversation_row_get_title (HearthConversationRow *self);
gboolean    hearth_conversation_row_get_pinned (HearthConversationRow *self);

G_END_DECLS
