/* hearth-chat-view.h: the messages of one conversation, the composer, and the reply being streamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_CHAT_VIEW (hearth_chat_view_get_type ())
G_DECLARE_FINAL_TYPE (HearthChatView, hearth_chat_view, HEARTH, CHAT_VIEW, GtkBox)

/* Signal: "error" (const char *message) for a toast. */
GtkWidget *hearth_chat_view_new (void);
/* Once: the view follows @runtime from now on. */
void       hearth_chat_view_set_runtime (HearthChatView *self,
                                         HearthRuntime  *runtime,
                                         GSettings      *settings);
void       hearth_chat_view_focus_composer (HearthChatView *self);
void       hearth_chat_view_edit_system_prompt (HearthChatView *self);

G_END_DECLS
