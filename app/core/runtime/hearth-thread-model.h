/* hearth-thread-model.h: the branch on show of one conversation, as a GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GListModel of HearthThreadItem, first message first, system messages
 * left out (the system prompt is the conversation's). It follows the store:
 * whatever changes the conversation's branch on show (a message appended,
 * edited, a branch switched, a message deleted) is one "items-changed",
 * from the first position that differs, so a view replaces only the rows
 * that changed. Reading a branch costs two queries, however long it is (a
 * third, the audit, when it holds tool results: their items' tool-*
 * properties come from it).
 *
 * Owner thread only (the store's).
 */
#pragma once

#include <gio/gio.h>

#include "hearth-array-model.h"
#include "hearth-store.h"
#include "hearth-thread-item.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_THREAD_MODEL (hearth_thread_model_get_type ())
G_DECLARE_FINAL_TYPE (HearthThreadModel, hearth_thread_model, HEARTH, THREAD_MODEL, HearthArrayModel)

HearthThreadModel *hearth_thread_model_new (HearthStore *store);

/* Shows @conversation_id (0: none, empty). One items-changed for the whole
 * model when it differs. */
gboolean hearth_thread_model_set_conversation (HearthThreadModel *self,
                                               gint64             conversation_id,
                                               GError           **error);
gint64   hearth_thread_model_get_conversation (HearthThreadModel *self);

/* Reads the branch again and reports what changed (the store's signals do
 * this; tests and callers that changed the file under the store may too). */
gboolean hearth_thread_model_refresh (HearthThreadModel *self,
                                      GError           **error);

/* The runtime's reply in progress: the last item, at @position (the items
 * from there, an old reply being regenerated, are left out), in one
 * items-changed. After hearth_thread_model_end_streaming() the item stays
 * until the next refresh: storing the reply (the store's signal refreshes)
 * replaces it with the stored message in one items-changed; when nothing
 * is stored, hearth_thread_model_refresh() removes it. */
HearthThreadItem *hearth_thread_model_begin_streaming (HearthThreadModel *self,
                                                       guint              position);
void              hearth_thread_model_end_streaming   (HearthThreadModel *self);

G_END_DECLS
