/* hearth-conversation-list.h: the conversations, as a GListModel that follows the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GListModel of HearthConversation, pinned first, then most recently
 * updated, archived ones left out. Each change in the store (a conversation
 * created, renamed, pinned, updated by a new message, deleted) is one
 * "items-changed": a conversation that moves replaces the rows between its
 * old and new place, nothing else. Hidden conversations (deleted with
 * undo) are left out until unhidden.
 *
 * Owner thread only (the store's).
 */
#pragma once

#include <gio/gio.h>

#include "hearth-array-model.h"
#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CONVERSATION_LIST (hearth_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (HearthConversationList, hearth_conversation_list, HEARTH, CONVERSATION_LIST, HearthArrayModel)

HearthConversationList *hearth_conversation_list_new (HearthStore *store,
                                                      GError     **error);

/* The position of @conversation_id, or -1. */
int      hearth_conversation_list_find       (HearthConversationList *self,
                                              gint64                  conversation_id);
void     hearth_conversation_list_set_hidden (HearthConversationList *self,
                                              gint64                  conversation_id,
                                              gboolean                hidden);
gboolean hearth_conversation_list_is_hidden  (HearthConversationList *self,
                                              gint64                  conversation_id);
/* The hidden ids (for purging). */
GArray  *hearth_conversation_list_dup_hidden (HearthConversationList *self);

G_END_DECLS
