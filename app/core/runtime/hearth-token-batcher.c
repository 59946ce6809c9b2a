/* hearth-token-batcher.c: streamed text from the engine thread to the main loop, in batches
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-token-batcher.h"

struct _HearthTokenBatcher
{
  gatomicrefcount      ref_count;
  GMainContext        *context;
  guint                interval_ms;
  HearthTokenBatchFunc func;
  gpointer             user_data;

  /* Guarded by mutex: shared with the producer thread. */
  GMutex               mutex;
  guint64              current;       /* 0: none */
  guint64              next_id;
  GString             *pending;
  guint64              pending_generation;
  GSource             *source;        /* the one pending dispatch, or NULL */

  guint                n_batches;     /* main context only */
};

HearthTokenBatcher *
hearth_token_batcher_new (GMainContext        *context,
                          guint                interval_ms,
                          HearthTokenBatchFunc func,
                          gpointer             user_data)
{
  HearthTokenBatcher *self = g_new0 (HearthTokenBatcher, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->interval_ms = interval_ms;
  self->func = func;
  self->user_data = user_data;
  g_mutex_init (&self->mutex);
  self->pending = g_string_new (NULL);
  self->next_id = 1;
  return self;
}

HearthTokenBatcher *
hearth_token_batcher_ref (HearthTokenBatcher *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_token_batcher_unref (HearthTokenBatcher *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  /* A pending source holds a reference, so none is left here. */
  g_string_free (self->pending, TRUE);
  g_mutex_clear (&self->mutex);
  g_main_context_unref (self->context);
  g_free (self);
}

void
hearth_token_batcher_detach (HearthTokenBatcher *self)
{
  GSource *source;

  hearth_token_batcher_invalidate (self);
  g_mutex_lock (&self->mutex);
  source = g_steal_pointer (&self->source);
  g_mutex_unlock (&self->mutex);
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  self->func = NULL;
  self->user_data = NULL;
}

guint64
hearth_token_batcher_begin (HearthTokenBatcher *self)
{
  guint64 id;

  g_mutex_lock (&self->mutex);
  id = self->next_id++;
  self->current = id;
  g_string_truncate (self->pending, 0);
  self->pending_generation = id;
  g_mutex_unlock (&self->mutex);
  return id;
}

void
hearth_token_batcher_invalidate (HearthTokenBatcher *self)
{
  g_mutex_lock (&self->mutex);
  self->current = 0;
  g_string_truncate (self->pending, 0);
  g_mutex_unlock (&self->mutex);
}

guint64
hearth_token_batcher_get_current (HearthTokenBatcher *self)
{
  guint64 id;

  g_mutex_lock (&self->mutex);
  id = self->current;
  g_mutex_unlock (&self->mutex);
  return id;
}

/* Takes the pending text under the lock, then calls out without it, so the
 * producer never waits on the UI. */
static void
deliver (HearthTokenBatcher *self)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  guint64 generation;

  g_mutex_lock (&self->mutex);
  generation = self->pending_generation;
  if (self->pending->len > 0 && generation == self->current)
    {
      len = self->pending->len;
      /* Every byte: the text may hold a NUL (a byte token). */
      text = g_malloc (len + 1);
      memcpy (text, self->pending->str, len + 1);
    }
  g_string_truncate (self->pending, 0);
  g_mutex_unlock (&self->mutex);

  if (text != NULL && self->func != NULL)
    {
      self->n_batches++;
      self->func (generation, text, len, self->user_data);
    }
}

static gboolean
dispatch_cb (gpointer data)
{
  HearthTokenBatcher *self = data;

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->source, g_source_unref);
  g_mutex_unlock (&self->mutex);
  deliver (self);
  return G_SOURCE_REMOVE;
}

gboolean
hearth_token_batcher_push (HearthTokenBatcher *self,
                           guint64             generation,
                           const char         *text,
                           gsize               len)
{
  g_mutex_lock (&self->mutex);
  if (generation == 0 || generation != self->current)
    {
      g_mutex_unlock (&self->mutex);
      return FALSE;
    }
  if (self->pending_generation != generation)
    {
      g_string_truncate (self->pending, 0);
      self->pending_generation = generation;
    }
  g_string_append_len (self->pending, text, (gssize) len);
  if (self->source == NULL)
    {
      self->source = g_timeout_source_new (self->interval_ms);
      /* Default, not idle, priority: a busy main loop (accessibility queries,
       * input) must not starve the stream; one source per interval at most
       * keeps it from flooding the loop either. */
      g_source_set_priority (self->source, G_PRIORITY_DEFAULT);
      g_source_set_name (self->source, "[hearth] token batch");
      g_source_set_callback (self->source, dispatch_cb, hearth_token_batcher_ref (self),
                             (GDestroyNotify) hearth_token_batcher_unref);
      g_source_attach (self->source, self->context);
    }
  g_mutex_unlock (&self->mutex);
  return TRUE;
}

void
hearth_token_batcher_flush (HearthTokenBatcher *self)
{
  GSource *source;

  g_mutex_lock (&self->mutex);
  source = g_steal_pointer (&self->source);
  g_mutex_unlock (&self->mutex);
  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  deliver (self);
}

guint
hearth_token_batcher_get_n_batches (HearthTokenBatcher *self)
{
  return self->n_batches;
}
