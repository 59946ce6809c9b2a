/* hearth-thread.h: the branch of a conversation on show, with where each message sits among its siblings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-engine-worker.h"
#include "hearth-store.h"

G_BEGIN_DECLS

typedef struct
{
  HearthMessage *message;
  guint          sibling_index;   /* 0-based, among the replies to the same parent */
  guint          n_siblings;
  gint64         prev_sibling_id; /* 0: none */
  gint64         next_sibling_id; /* 0: none */
  gboolean       stopped;         /* a reply the user stopped, or cut short */
  gboolean       device_lost;     /* cut short by the loss of the GPU device */
} HearthThreadEntry;

void hearth_thread_entry_free (HearthThreadEntry *entry);

/* An array of HearthThreadEntry, first message first. */
GPtrArray *hearth_thread_load (HearthStore *store,
                               gint64       conversation_id,
                               GError     **error);

/* The first @n entries as what the engine is given (an array of
 * HearthWorkerMessage); system messages are left to the system prompt. */
GPtrArray *hearth_thread_to_worker_messages (GPtrArray *entries,
                                             guint      n);

/* What is stored beside a reply: the sampler settings, the model, and
 * whether the user stopped it. */
char      *hearth_thread_dup_settings_json (const HearthSamplerParams *sampler,
                                            const char                *model,
                                            gboolean                   stopped);
gboolean   hearth_thread_settings_say_stopped (const char *settings_json);
/* The same for a reply the loss of the GPU device cut short: stopped, and
 * "interrupted": "device-lost". */
char      *hearth_thread_dup_settings_json_device_lost (const HearthSamplerParams *sampler,
                                                        const char                *model);
gboolean   hearth_thread_settings_say_device_lost (const char *settings_json);

/* A title from the first words of the first message. */
char      *hearth_thread_dup_title_for (const char *first_message);

G_END_DECLS
