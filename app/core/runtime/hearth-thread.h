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

/* A reply's tool calls as stored (HearthMessageExtra.tool_calls_json): a
 * JSON array of {"id": @ids[i], "name", "arguments"}, every call, the
 * invalid ones too (their results say why they did not run). */
char            *hearth_thread_dup_tool_calls_json  (HearthToolCalls   *calls,
                                                     const char *const *ids);
/* Stored calls back as HearthToolCalls for the chat template; NULL when
 * @json is not a list of calls. */
HearthToolCalls *hearth_thread_tool_calls_from_json (const char *json);

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
/* The same for a reply a remote server's failure cut short: stopped,
 * "interrupted": "remote", and "failure": @message. */
char      *hearth_thread_dup_settings_json_failed (const HearthSamplerParams *sampler,
                                                   const char                *model,
                                                   const char                *message);
/* That message, or NULL when the reply was not cut short so. */
char      *hearth_thread_settings_dup_failure (const char *settings_json);

/* @json with one member per line and a two-space indent, every byte of it
 * kept; as given when it does not parse. */
char      *hearth_thread_dup_pretty_json (const char *json);

/* A title from the first words of the first message. */
char      *hearth_thread_dup_title_for (const char *first_message);

G_END_DECLS
