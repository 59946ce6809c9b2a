/* hearth-api-history.h: an API conversation kept in the history, when the user asked for it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local API writes nothing by default. With "keep API conversations"
 * on (the app's Preferences → Local API, `hearth-cli serve
 * --keep-history`), each completed chat completion becomes one
 * conversation in the encrypted store: titled "API: " and the client's
 * first user message (shortened), its system messages as the system
 * prompt, the other messages in order (a tool result with its call id and
 * tool), then the reply. A conversation a client continues over several
 * requests is several conversations: the API has no conversation id to
 * tie them.
 *
 * Threading: the store's thread (the server's main context).
 */
#pragma once

#include "hearth-responder.h"
#include "hearth-store.h"

G_BEGIN_DECLS

/* The new conversation's id, or 0 with @error. @messages: HearthWorkerMessage. */
gint64 hearth_api_history_store (HearthStore *store,
                                 GPtrArray   *messages,
                                 const char  *reply,
                                 GError     **error);

G_END_DECLS
