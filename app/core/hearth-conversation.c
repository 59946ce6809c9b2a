/* hearth-conversation.c: one stored conversation's header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-store-private.h"

struct _HearthConversation
{
  GObject  parent_instance;
  gint64   id;
  char    *title;
  gint64   created;
  gint64   updated;
  char    *model;
  char    *system_prompt;
  gboolean pinned;
  gboolean archived;
  gint64   current_leaf_id;
  gint64   n_messages;
};

G_DEFINE_FINAL_TYPE (HearthConversation, hearth_conversation, G_TYPE_OBJECT)

static void
hearth_conversation_finalize (GObject *object)
{
  HearthConversation *self = HEARTH_CONVERSATION (object);

  g_free (self->title);
  g_free (self->model);
  g_free (self->system_prompt);
  G_OBJECT_CLASS (hearth_conversation_parent_class)->finalize (object);
}

static void
hearth_conversation_class_init (HearthConversationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_conversation_finalize;
}

static void
hearth_conversation_init (HearthConversation *self)
{
}

HearthConversation *
_hearth_conversation_new_from_row (sqlite3_stmt *stmt)
{
  HearthConversation *self = g_object_new (HEARTH_TYPE_CONVERSATION, NULL);

  self->id = sqlite3_column_int64 (stmt, 0);
  self->title = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  self->created = sqlite3_column_int64 (stmt, 2);
  self->updated = sqlite3_column_int64 (stmt, 3);
  self->model = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  self->system_prompt = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  self->pinned = sqlite3_column_int (stmt, 6) != 0;
  self->archived = sqlite3_column_int (stmt, 7) != 0;
  self->current_leaf_id = sqlite3_column_int64 (stmt, 8);
  self->n_messages = sqlite3_column_int64 (stmt, 9);
  if (self->title == NULL)
    self->title = g_strdup ("");
  return self;
}

gint64
hearth_conversation_get_id (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->id;
}

const char *
hearth_conversation_get_title (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), NULL);
  return self->title;
}

gint64
hearth_conversation_get_created (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->created;
}

gint64
hearth_conversation_get_updated (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->updated;
}

const char *
hearth_conversation_get_model (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), NULL);
  return self->model;
}

const char *
hearth_conversation_get_system_prompt (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), NULL);
  return self->system_prompt;
}

gboolean
hearth_conversation_get_pinned (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  return self->pinned;
}

gboolean
hearth_conversation_get_archived (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), FALSE);
  return self->archived;
}

gint64
hearth_conversation_get_current_leaf_id (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->current_leaf_id;
}

gint64
hearth_conversation_get_n_messages (HearthConversation *self)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION (self), 0);
  return self->n_messages;
}
