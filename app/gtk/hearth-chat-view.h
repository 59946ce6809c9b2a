/* hearth-chat-view.h: the messages of one conversation, the composer, and the reply being streamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "hearth-engine-worker.h"
#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_VIEW (hearth_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatView, hearth_chat_view, HEARTH, CHAT_VIEW, GtkBox)

/* Signals: "conversation-changed" (gint64 id) when a conversation is made
 * or gets a message; "error" (const char *message) for a toast. */
GtkWidget *hearth_chat_view_new (void);
void       hearth_chat_view_setup (HearthChatView     *self,
                                   HearthStore        *store,
                                   HearthEngineWorker *worker,
                                   HearthTokenBatcher *batcher,
                                   GSettings          *settings);
/* 0: a new, empty chat (stored on its first message). */
void       hearth_chat_view_set_conversation (HearthChatView *self,
                                              gint64          conversation_id);
gint64     hearth_chat_view_get_conversation (HearthChatView *self);
/* Called by the batcher's owner with each batch of streamed text. */
void       hearth_chat_view_stream (HearthChatView *self,
                                    guint64         generation,
                                    const char     *text,
                                    gsize           len);
gboolean   hearth_chat_view_is_generating (HearthChatView *self);
void       hearth_chat_view_stop (HearthChatView *self);
void       hearth_chat_view_focus_composer (HearthChatView *self);
/* The model changed: the status line and the composer follow. */
void       hearth_chat_view_model_changed (HearthChatView *self);
void       hearth_chat_view_edit_system_prompt (HearthChatView *self);

G_END_DECLS
