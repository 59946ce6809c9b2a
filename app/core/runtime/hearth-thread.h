/* hearth-thread.h: what a reply is given and what is stored beside it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-engine-worker.h"
#include "hearth-store.h"
#include "hearth-thread-item.h"

G_BEGIN_DECLS

/* The first @n items of @thread (HearthThreadItem; stored messages) as
 * what the engine is given (an array of HearthWorkerMessage); system
 * messages are left to the system prompt. */
GPtrArray *hearth_thread_to_worker_messages (GListModel *thread,
                                             guint       n);

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
