/* hearth-session.h: running a model over tokens
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A HearthSession owns a KV cache and a position, and is used by one thread
 * at a time.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-model.h"

G_BEGIN_DECLS

typedef struct _HearthSession HearthSession;

typedef struct
{
  guint32  n_ctx;     /* 0: the model's training context */
  guint32  n_batch;   /* tokens per forward pass when decoding a prompt; 0: 64 */
  gboolean kv_f32;    /* KV cache in f32 instead of f16 */
  /*< private >*/
  gpointer padding[8];
} HearthSessionParams;

void           hearth_session_params_init (HearthSessionParams *params);
HearthSession *hearth_session_new (HearthModel               *model,
                                   const HearthSessionParams *params,
                                   GError                   **error);
void           hearth_session_free (HearthSession *self);

HearthModel   *hearth_session_get_model (HearthSession *self);
guint32        hearth_session_get_n_ctx (HearthSession *self);
/* Tokens in the KV cache. */
guint32        hearth_session_get_n_past (HearthSession *self);
/* The ids in the cache, in order (n_past of them). */
const gint32  *hearth_session_get_tokens (HearthSession *self);

/* Runs @n_tokens after what is cached. With @all_logits, the logits of every
 * one of them are kept (hearth_session_get_logits (self, i)); otherwise only
 * the last. Fails with CONTEXT_FULL, leaving the session as it was, when the
 * tokens do not fit, and with INVALID_ARGUMENT for an id outside the vocab. */
gboolean       hearth_session_decode (HearthSession *self,
                                      const gint32  *tokens,
                                      gsize          n_tokens,
                                      gboolean       all_logits,
                                      GCancellable  *cancellable,
                                      GError       **error);
/* Logits (n_vocab floats) of token @i of the last decode; i = -1 for the last one. */
const float   *hearth_session_get_logits (HearthSession *self,
                                          int            i);
/* Forgets everything from position @n_past on. A model with sliding-window
 * layers (gemma3) keeps only the last positions of those layers (the
 * window and one batch): going back further than they still hold forgets
 * everything (the position becomes 0). Read hearth_session_get_n_past
 * after. */
void           hearth_session_truncate (HearthSession *self,
                                        guint32        n_past);
/* Positions layer @il's KV cache holds: the context, or on a sliding layer
 * its window and one batch (rows are reused round the ring). */
guint32        hearth_session_get_kv_rows (HearthSession *self,
                                           guint32        il);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSession, hearth_session_free)

G_END_DECLS
