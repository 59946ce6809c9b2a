/* hearth-vk-backend.h: the Vulkan backend as the model and session see it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layers [0, n_gpu) run on the device, the rest on the CPU backend: the
 * device computes the embeddings and its layers, then either finishes the
 * model (output norm and logits, when every layer is on it) or hands the
 * residual stream to hearth_cpu_forward_from().
 */
#pragma once

#include "model/hearth-session-private.h"

G_BEGIN_DECLS

/* Uploads the weights of the first n_gpu layers (all when the params say
 * < 0) and what surrounds them; fails with DEVICE when they cannot fit,
 * saying how much memory was needed and how much the device has. */
HearthVkModel   *hearth_vk_model_new (HearthModel *model,
                                      GError     **error);
void             hearth_vk_model_free (HearthVkModel *vm);
guint32          hearth_vk_model_get_n_gpu_layers (HearthVkModel *vm);
/* "Vulkan (device name, features): layers 0-7 + output" */
const char      *hearth_vk_model_get_description (HearthVkModel *vm);
/* Whether the model's context lost its device (hearth_vk_context_is_lost). */
gboolean         hearth_vk_model_is_device_lost (HearthVkModel *vm);

HearthVkSession *hearth_vk_session_new (HearthSession *session,
                                        GError       **error);
void             hearth_vk_session_free (HearthVkSession *vs);

/* Runs @n tokens at positions session->n_past.. through the device layers.
 * When every layer is on the device, writes the logits of all @n tokens
 * (@all_logits) or of the last one to @logits (may be NULL when none are
 * wanted) and sets *@finished; otherwise leaves the residual stream in
 * session->x for the CPU layers. */
gboolean         hearth_vk_session_forward (HearthVkSession *vs,
                                            const gint32    *tokens,
                                            guint32          n,
                                            gboolean         all_logits,
                                            float           *logits,
                                            gboolean        *finished,
                                            GError         **error);

/* `hearth-cli devices`: one line per device (index, name, kind, memory, features). */
char            *hearth_vk_describe_devices (GError **error);
/* hearth_list_devices(): HearthDevice per device, empty when Vulkan cannot start. */
GPtrArray       *hearth_vk_backend_list_devices (void);

/* hearth_measure_device_read_bandwidth() (hearth-bench.h) on the device
 * @params chooses, through the probe of hearth-vk-bench.h. */
gboolean         hearth_vk_measure_device_bandwidth (const HearthModelParams *params,
                                                     gsize                    bytes,
                                                     guint                    reps,
                                                     double                  *bytes_per_s,
                                                     gboolean                *timestamps,
                                                     GError                 **error);

G_END_DECLS
