/* hearth-thread-item.h: one message of the branch on show, as a list item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An item is a stored message and where it sits among its siblings, or the
 * reply being generated (streaming: no message yet, its text grows and
 * "text-appended" says by how much). Items of stored messages never change;
 * a change to the branch replaces items in the model instead.
 *
 * Tools: an assistant message that called tools has :tool-calls (the
 * stored JSON list); a tool's result (role tool) is a collapsible row with
 * :tool-name, :tool-arguments (pretty-printed), :tool-decision (the audit's
 * word: "read-only", "allowed-once", "denied", ...; NULL when not on
 * record), :tool-result (the text the model was given) and :tool-is-error.
 * These read-only properties never change.
 */
#pragma once

#include <glib-object.h>

#include "hearth-message.h"
#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_THREAD_ITEM (hearth_thread_item_get_type ())
G_DECLARE_FINAL_TYPE (HearthThreadItem, hearth_thread_item, HEARTH, THREAD_ITEM, GObject)

typedef struct
{
  guint    sibling_index;   /* 0-based, among the replies to the same parent */
  guint    n_siblings;
  gint64   prev_sibling_id; /* 0: none */
  gint64   next_sibling_id; /* 0: none */
} HearthThreadPlace;

/* Takes a reference on @message. */
HearthThreadItem  *hearth_thread_item_new           (HearthMessage           *message,
                                                     const HearthThreadPlace *place);
/* A tool's result (@message has role tool) with its audit row (may be NULL). */
HearthThreadItem  *hearth_thread_item_new_tool_result (HearthMessage              *message,
                                                       const HearthThreadPlace    *place,
                                                       const HearthToolAuditEntry *audit);
/* The assistant's reply while it streams. */
HearthThreadItem  *hearth_thread_item_new_streaming (void);

/* NULL while streaming. */
HearthMessage     *hearth_thread_item_get_message   (HearthThreadItem *self);
gint64             hearth_thread_item_get_id        (HearthThreadItem *self);
HearthMessageRole  hearth_thread_item_get_role      (HearthThreadItem *self);
const char        *hearth_thread_item_get_text      (HearthThreadItem *self);
const HearthThreadPlace *hearth_thread_item_get_place (HearthThreadItem *self);
gboolean           hearth_thread_item_get_streaming (HearthThreadItem *self);
/* A reply the user stopped, or that was cut short. */
gboolean           hearth_thread_item_get_stopped   (HearthThreadItem *self);
/* Cut short by the loss of the GPU device. */
gboolean           hearth_thread_item_get_device_lost (HearthThreadItem *self);

/* See above; NULL (FALSE) for other items. */
const char        *hearth_thread_item_get_tool_calls     (HearthThreadItem *self);
const char        *hearth_thread_item_get_tool_name      (HearthThreadItem *self);
const char        *hearth_thread_item_get_tool_arguments (HearthThreadItem *self);
const char        *hearth_thread_item_get_tool_decision  (HearthThreadItem *self);
const char        *hearth_thread_item_get_tool_result    (HearthThreadItem *self);
gboolean           hearth_thread_item_get_tool_is_error  (HearthThreadItem *self);

/* Owner thread, streaming items only: emits "text-appended" (text, len). */
void               hearth_thread_item_append        (HearthThreadItem *self,
                                                     const char       *text,
                                                     gsize             len);

G_END_DECLS
