/* hearth-message.c: one stored chat message
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-store-private.h"

struct _HearthMessage
{
  GObject            parent_instance;
  gint64             id;
  gint64             conversation_id;
  gint64             parent_id;
  HearthMessageRole  role;
  char              *content;
  gint64             created;
  gint64             prompt_tokens;
  gint64             completion_tokens;
  char              *settings_json;
};

G_DEFINE_FINAL_TYPE (HearthMessage, hearth_message, G_TYPE_OBJECT)

static const char * const role_names[] = { "system", "user", "assistant", "tool" };

const char *
hearth_message_role_to_string (HearthMessageRole role)
{
  g_return_val_if_fail ((guint) role < G_N_ELEMENTS (role_names), NULL);
  return role_names[role];
}

gboolean
hearth_message_role_from_string (const char        *name,
                                 HearthMessageRole *role)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (role_names); i++)
    {
      if (strcmp (name, role_names[i]) == 0)
        {
          *role = (HearthMessageRole) i;
          return TRUE;
        }
    }
  return FALSE;
}

void
hearth_message_extra_init (HearthMessageExtra *extra)
{
  extra->prompt_tokens = -1;
  extra->completion_tokens = -1;
  extra->settings_json = NULL;
}

static void
hearth_message_finalize (GObject *object)
{
  HearthMessage *self = HEARTH_MESSAGE (object);

  g_free (self->content);
  g_free (self->settings_json);
  G_OBJECT_CLASS (hearth_message_parent_class)->finalize (object);
}

static void
hearth_message_class_init (HearthMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_message_finalize;
}

static void
hearth_message_init (HearthMessage *self)
{
}

static gint64
column_int_or (sqlite3_stmt *stmt,
               int           col,
               gint64        fallback)
{
  return sqlite3_column_type (stmt, col) == SQLITE_NULL ? fallback : sqlite3_column_int64 (stmt, col);
}

HearthMessage *
_hearth_message_new_from_row (sqlite3_stmt *stmt)
{
  HearthMessage *self = g_object_new (HEARTH_TYPE_MESSAGE, NULL);
  const char *settings = (const char *) sqlite3_column_text (stmt, 8);

  self->id = sqlite3_column_int64 (stmt, 0);
  self->conversation_id = sqlite3_column_int64 (stmt, 1);
  self->parent_id = column_int_or (stmt, 2, 0);
  if (!hearth_message_role_from_string ((const char *) sqlite3_column_text (stmt, 3), &self->role))
    self->role = HEARTH_MESSAGE_ROLE_USER; /* the schema's CHECK keeps this from happening */
  self->content = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  self->created = sqlite3_column_int64 (stmt, 5);
  self->prompt_tokens = column_int_or (stmt, 6, -1);
  self->completion_tokens = column_int_or (stmt, 7, -1);
  self->settings_json = g_strdup (settings);
  if (self->content == NULL)
    self->content = g_strdup ("");
  return self;
}

gint64
hearth_message_get_id (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), 0);
  return self->id;
}

gint64
hearth_message_get_conversation_id (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), 0);
  return self->conversation_id;
}

gint64
hearth_message_get_parent_id (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), 0);
  return self->parent_id;
}

HearthMessageRole
hearth_message_get_role (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), HEARTH_MESSAGE_ROLE_USER);
  return self->role;
}

const char *
hearth_message_get_content (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->content;
}

gint64
hearth_message_get_created (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), 0);
  return self->created;
}

gint64
hearth_message_get_prompt_tokens (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), -1);
  return self->prompt_tokens;
}

gint64
hearth_message_get_completion_tokens (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), -1);
  return self->completion_tokens;
}

const char *
hearth_message_get_settings_json (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->settings_json;
}
