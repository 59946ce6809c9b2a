/* hearth-message-row.h: one message of the chat view, streamed or stored
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-thread-item.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MESSAGE_ROW (hearth_message_row_get_type ())
G_DECLARE_FINAL_TYPE (HearthMessageRow, hearth_message_row, HEARTH, MESSAGE_ROW, GtkBox)

/* A stored message; @can_regenerate for the last reply. Signals:
 * "edit", "regenerate", "switch-branch" (gint64 sibling id). */
/* A stored message, or the reply streaming in (it follows the item's
 * "text-appended"). */
GtkWidget  *hearth_message_row_new (HearthThreadItem *item,
                                    gboolean          can_regenerate);
/* A reply being streamed: plain text until it is finished. */
void        hearth_message_row_set_can_regenerate (HearthMessageRow *self,
                                                   gboolean          can_regenerate);
gboolean    hearth_message_row_get_streaming (HearthMessageRow *self);
void        hearth_message_row_append (HearthMessageRow *self,
                                       const char       *text,
                                       gsize             len);
/* The text streamed so far. */
const char *hearth_message_row_get_text (HearthMessageRow *self);
gint64      hearth_message_row_get_message_id (HearthMessageRow *self);

G_END_DECLS
