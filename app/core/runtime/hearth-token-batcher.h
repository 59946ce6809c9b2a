/* hearth-token-batcher.h: streamed text from the engine thread to the main loop, in batches
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine thread pushes each piece of text as it is decoded; the main
 * context receives them joined, at most once per interval, through at most
 * one pending source. Every piece carries the generation id it belongs to:
 * pieces of a generation that is no longer current are dropped, so a
 * stopped or replaced reply never leaks into the next one.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HearthTokenBatcher HearthTokenBatcher;

/* Called on the batcher's main context with the text gathered since the last call. */
typedef void (*HearthTokenBatchFunc) (guint64     generation,
                                      const char *text,
                                      gsize       len,
                                      gpointer    user_data);

/* @context NULL: the thread-default context of the caller. */
HearthTokenBatcher *hearth_token_batcher_new (GMainContext        *context,
                                              guint                interval_ms,
                                              HearthTokenBatchFunc func,
                                              gpointer             user_data);
HearthTokenBatcher *hearth_token_batcher_ref (HearthTokenBatcher *self);
void                hearth_token_batcher_unref (HearthTokenBatcher *self);

/* Main context: stops delivering to func (before its user_data goes away). */
void     hearth_token_batcher_detach (HearthTokenBatcher *self);
/* Main context: starts a new generation; text of older ones is dropped from now on. */
guint64  hearth_token_batcher_begin (HearthTokenBatcher *self);
/* Main context: no generation is current any more (stop, close). */
void     hearth_token_batcher_invalidate (HearthTokenBatcher *self);
guint64  hearth_token_batcher_get_current (HearthTokenBatcher *self);
/* Any thread. FALSE when @generation is stale (the producer may stop). */
gboolean hearth_token_batcher_push (HearthTokenBatcher *self,
                                    guint64             generation,
                                    const char         *text,
                                    gsize               len);
/* Main context: delivers what is pending now (at the end of a reply). */
void     hearth_token_batcher_flush (HearthTokenBatcher *self);
/* Batches delivered so far (for tests and the status line). */
guint    hearth_token_batcher_get_n_batches (HearthTokenBatcher *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTokenBatcher, hearth_token_batcher_unref)

G_END_DECLS
