/* hearth-thread-item.c: one message of the branch on show, as a list item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

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
  char              *tool_arguments; /* pretty-printed, tool results only */
  const char        *tool_decision;  /* static */
  gboolean           tool_is_error;
};

G_DEFINE_FINAL_TYPE (HearthThreadItem, hearth_thread_item, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TOOL_CALLS,
  PROP_TOOL_NAME,
  PROP_TOOL_ARGUMENTS,
  PROP_TOOL_DECISION,
  PROP_TOOL_RESULT,
  PROP_TOOL_IS_ERROR,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

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
  g_free (self->tool_arguments);
  if (self->text != NULL)
    g_string_free (self->text, TRUE);
  G_OBJECT_CLASS (hearth_thread_item_parent_class)->finalize (object);
}

static void
hearth_thread_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HearthThreadItem *self = HEARTH_THREAD_ITEM (object);

  switch (prop_id)
    {
    case PROP_TOOL_CALLS: g_value_set_string (value, hearth_thread_item_get_tool_calls (self)); break;
    case PROP_TOOL_NAME: g_value_set_string (value, hearth_thread_item_get_tool_name (self)); break;
    case PROP_TOOL_ARGUMENTS: g_value_set_string (value, self->tool_arguments); break;
    case PROP_TOOL_DECISION: g_value_set_string (value, self->tool_decision); break;
    case PROP_TOOL_RESULT: g_value_set_string (value, hearth_thread_item_get_tool_result (self)); break;
    case PROP_TOOL_IS_ERROR: g_value_set_boolean (value, self->tool_is_error); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_thread_item_class_init (HearthThreadItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = hearth_thread_item_finalize;
  object_class->get_property = hearth_thread_item_get_property;

  properties[PROP_TOOL_CALLS] = g_param_spec_string ("tool-calls", NULL, NULL, NULL, ro);
  properties[PROP_TOOL_NAME] = g_param_spec_string ("tool-name", NULL, NULL, NULL, ro);
  properties[PROP_TOOL_ARGUMENTS] = g_param_spec_string ("tool-arguments", NULL, NULL, NULL, ro);
  properties[PROP_TOOL_DECISION] = g_param_spec_string ("tool-decision", NULL, NULL, NULL, ro);
  properties[PROP_TOOL_RESULT] = g_param_spec_string ("tool-result", NULL, NULL, NULL, ro);
  properties[PROP_TOOL_IS_ERROR] = g_param_spec_boolean ("tool-is-error", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* (text, len): the piece just added to a streaming reply. */
  signals[SIGNAL_TEXT_APPENDED] =
    g_signal_new ("text-appended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT64);
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
hearth_thread_item_new_tool_result (HearthMessage              *message,
                                    const HearthThreadPlace    *place,
                                    const HearthToolAuditEntry *audit)
{
  HearthThreadItem *self = hearth_thread_item_new (message, place);

  if (audit != NULL)
    {
      self->tool_arguments = hearth_thread_dup_pretty_json (audit->arguments_json);
      self->tool_decision = hearth_tool_audit_decision_to_string (audit->decision);
      self->tool_is_error = audit->is_error;
    }
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
  /* All @len bytes, a NUL byte from the model included (a byte token can
   * be one), terminated; passed without a copy (static scope), since a
   * copy of a C string would stop at that NUL and handlers read @len. */
  piece = g_malloc (len + 1);
  memcpy (piece, text, len);
  piece[len] = '\0';
  g_signal_emit (self, signals[SIGNAL_TEXT_APPENDED], 0, piece, (guint64) len);
}

const char *
hearth_thread_item_get_tool_calls (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->message != NULL ? hearth_message_get_tool_calls_json (self->message) : NULL;
}

const char *
hearth_thread_item_get_tool_name (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->message != NULL ? hearth_message_get_tool_name (self->message) : NULL;
}

const char *
hearth_thread_item_get_tool_arguments (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->tool_arguments;
}

const char *
hearth_thread_item_get_tool_decision (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  return self->tool_decision;
}

const char *
hearth_thread_item_get_tool_result (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), NULL);
  if (self->message == NULL || hearth_message_get_role (self->message) != HEARTH_MESSAGE_ROLE_TOOL)
    return NULL;
  return hearth_message_get_content (self->message);
}

gboolean
hearth_thread_item_get_tool_is_error (HearthThreadItem *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_ITEM (self), FALSE);
  return self->tool_is_error;
}
