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
  char              *tool_calls_json;
  char              *tool_call_id;
  char              *tool_name;
  char              *sources_json;
};

G_DEFINE_FINAL_TYPE (HearthMessage, hearth_message, G_TYPE_OBJECT)

/* Read-only properties for list rows (GtkPropertyExpression); a snapshot
 * never notifies.  "role" is the role's name. */
enum
{
  PROP_0,
  PROP_ID,
  PROP_PARENT_ID,
  PROP_ROLE,
  PROP_CONTENT,
  PROP_CREATED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
  extra->tool_calls_json = NULL;
  extra->tool_call_id = NULL;
  extra->tool_name = NULL;
  extra->sources_json = NULL;
}

static void
hearth_message_finalize (GObject *object)
{
  HearthMessage *self = HEARTH_MESSAGE (object);

  g_free (self->content);
  g_free (self->settings_json);
  g_free (self->tool_calls_json);
  g_free (self->tool_call_id);
  g_free (self->tool_name);
  g_free (self->sources_json);
  G_OBJECT_CLASS (hearth_message_parent_class)->finalize (object);
}

static void
hearth_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HearthMessage *self = HEARTH_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PARENT_ID:
      g_value_set_int64 (value, self->parent_id);
      break;
    case PROP_ROLE:
      g_value_set_string (value, hearth_message_role_to_string (self->role));
      break;
    case PROP_CONTENT:
      g_value_set_string (value, self->content);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_message_class_init (HearthMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = hearth_message_finalize;
  object_class->get_property = hearth_message_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PARENT_ID] = g_param_spec_int64 ("parent-id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_CONTENT] = g_param_spec_string ("content", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
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
  self->tool_calls_json = g_strdup ((const char *) sqlite3_column_text (stmt, 9));
  self->tool_call_id = g_strdup ((const char *) sqlite3_column_text (stmt, 10));
  self->tool_name = g_strdup ((const char *) sqlite3_column_text (stmt, 11));
  self->sources_json = g_strdup ((const char *) sqlite3_column_text (stmt, 12));
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

const char *
hearth_message_get_tool_calls_json (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->tool_calls_json;
}

const char *
hearth_message_get_tool_call_id (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->tool_call_id;
}

const char *
hearth_message_get_tool_name (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->tool_name;
}

const char *
hearth_message_get_sources_json (HearthMessage *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE (self), NULL);
  return self->sources_json;
}
