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

/* Read-only properties, so that list rows can bind to them with
 * GtkPropertyExpression; the object is a snapshot and never notifies. */
enum
{
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_CREATED,
  PROP_UPDATED,
  PROP_MODEL,
  PROP_PINNED,
  PROP_ARCHIVED,
  PROP_N_MESSAGES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
hearth_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  HearthConversation *self = HEARTH_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    case PROP_UPDATED:
      g_value_set_int64 (value, self->updated);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_PINNED:
      g_value_set_boolean (value, self->pinned);
      break;
    case PROP_ARCHIVED:
      g_value_set_boolean (value, self->archived);
      break;
    case PROP_N_MESSAGES:
      g_value_set_int64 (value, self->n_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

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
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = hearth_conversation_finalize;
  object_class->get_property = hearth_conversation_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_UPDATED] = g_param_spec_int64 ("updated", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, flags);
  properties[PROP_PINNED] = g_param_spec_boolean ("pinned", NULL, NULL, FALSE, flags);
  properties[PROP_ARCHIVED] = g_param_spec_boolean ("archived", NULL, NULL, FALSE, flags);
  properties[PROP_N_MESSAGES] = g_param_spec_int64 ("n-messages", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
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
