/* hearth-thread-item.c: one message of the branch on show, as a list item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-thread.h"
#include "hearth-thread-item.h"

struct _HearthThreadItem
{
  GObject            parent_instance;

  HearthMessage     *message;   /* NULL while streaming */
  HearthThreadPlace  place;
  GString           *text;      /* streaming only */
  gboolean           stopped;
  gboolean           device_lost;
};

G_DEFINE_FINAL_TYPE (HearthThreadItem, hearth_thread_item, G_TYPE_OBJECT)

enum
{
  SIGNAL_TEXT_APPENDED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
hearth_thread_item_finalize (GObject *object)
{
  HearthThreadItem *self = HEARTH_THREAD_ITEM (object);

  g_clear_object (&self->message);
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  G_OBJECT_CLASS (hearth_thread_item_parent_class)->finalize (object);
}

static void
hearth_thread_item_class_init (HearthThreadItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_thread_item_finalize;
  /* (text, len): the piece just added to a streaming reply. */
  signals[SIGNAL_TEXT_APPENDED] =
    g_signal_new ("text-appended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
}

static void
hearth_thread_item_init (HearthThreadItem *self)
{
  self->place.n_siblings = 1;
}

HearthThreadItem *
hearth_thread_item_new (HearthMessage           *message,
                        const HearthThreadPlace *place)
{
  HearthThreadItem *self = g_object_new (HEARTH_TYPE_THREAD_ITEM, NULL);
  const char *settings = hearth_message_get_settings_json (message);

  self->message = g_object_ref (message);
  if (place != NULL)
    self->place = *place;
  self->stopped = hearth_thread_settings_say_stopped (settings);
  self->device_lost = hearth_thread_settings_say_device_lost (settings);
  return self;
}

HearthThreadItem *
hearth_thread_item_new_streaming (void)
{
  HearthThreadItem *self = g_object_new (HEARTH_TYPE_THREAD_ITEM, NULL);

  self->text = g_string_new (NULL);
  return self;
}

HearthMessage *
hearth_thread_item_get_message (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->message;
}

gint64
hearth_thread_item_get_id (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), 0);
  return self->message != NULL ? hearth_message_get_id (self->message) : 0;
}

HearthMessageRole
hearth_thread_item_get_role (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), HEARTH_MESSAGE_ROLE_ASSISTANT);
  return self->message != NULL ? hearth_message_get_role (self->message) : HEARTH_MESSAGE_ROLE_ASSISTANT;
}

const char *
hearth_thread_item_get_text (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->message != NULL ? hearth_message_get_content (self->message) : self->text->str;
}

const HearthThreadPlace *
hearth_thread_item_get_place (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return &self->place;
}

gboolean
hearth_thread_item_get_streaming (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), FALSE);
  return self->message == NULL;
}

gboolean
hearth_thread_item_get_stopped (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), FALSE);
  return self->stopped;
}

gboolean
hearth_thread_item_get_device_lost (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), FALSE);
  return self->device_lost;
}

void
hearth_thread_item_append (HearthThreadItem *self,
                           const char       *text,
                           gsize             len)
{
  g_autofree char *piece = NULL;

  g_return_if_fail (HEARTH_IS_THREAD_ITEM (self));
  g_return_if_fail (self->message == NULL);

  if (len == 0)
    return;
  g_string_append_len (self->text, text, (gssize) len);
  piece = g_strndup (text, len);
  g_signal_emit (self, signals[SIGNAL_TEXT_APPENDED], 0, piece, (guint64) len);
}
