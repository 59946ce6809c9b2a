/* hearth-tool-approval.c: one tool call waiting for the user's yes or no
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-thread.h"
#include "hearth-tool-approval.h"

struct _HearthToolApproval
{
  GObject           parent_instance;
  char             *tool_name;
  char             *plugin_id;
  char             *description;
  HearthToolEffects effects;
  char             *effects_text;
  char             *arguments;
  gint64            conversation_id;
  gboolean          pending;
};

G_DEFINE_FINAL_TYPE (HearthToolApproval, hearth_tool_approval, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TOOL_NAME,
  PROP_PLUGIN_ID,
  PROP_DESCRIPTION,
  PROP_EFFECTS,
  PROP_ARGUMENTS,
  PROP_CONVERSATION_ID,
  PROP_PENDING,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_DECIDED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
hearth_tool_approval_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  HearthToolApproval *self = HEARTH_TOOL_APPROVAL (object);

  switch (prop_id)
    {
    case PROP_TOOL_NAME: g_value_set_string (value, self->tool_name); break;
    case PROP_PLUGIN_ID: g_value_set_string (value, self->plugin_id); break;
    case PROP_DESCRIPTION: g_value_set_string (value, self->description); break;
    case PROP_EFFECTS: g_value_set_string (value, self->effects_text); break;
    case PROP_ARGUMENTS: g_value_set_string (value, self->arguments); break;
    case PROP_CONVERSATION_ID: g_value_set_int64 (value, self->conversation_id); break;
    case PROP_PENDING: g_value_set_boolean (value, self->pending); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_tool_approval_finalize (GObject *object)
{
  HearthToolApproval *self = HEARTH_TOOL_APPROVAL (object);

  g_free (self->tool_name);
  g_free (self->plugin_id);
  g_free (self->description);
  g_free (self->effects_text);
  g_free (self->arguments);
  G_OBJECT_CLASS (hearth_tool_approval_parent_class)->finalize (object);
}

static void
hearth_tool_approval_class_init (HearthToolApprovalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_tool_approval_get_property;
  object_class->finalize = hearth_tool_approval_finalize;

  properties[PROP_TOOL_NAME] = g_param_spec_string ("tool-name", NULL, NULL, NULL, ro);
  properties[PROP_PLUGIN_ID] = g_param_spec_string ("plugin-id", NULL, NULL, NULL, ro);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, ro);
  properties[PROP_EFFECTS] = g_param_spec_string ("effects", NULL, NULL, NULL, ro);
  properties[PROP_ARGUMENTS] = g_param_spec_string ("arguments", NULL, NULL, NULL, ro);
  properties[PROP_CONVERSATION_ID] = g_param_spec_int64 ("conversation-id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_PENDING] = g_param_spec_boolean ("pending", NULL, NULL, FALSE, ro | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_DECIDED] =
    g_signal_new ("decided", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
hearth_tool_approval_init (HearthToolApproval *self)
{
}

HearthToolApproval *
hearth_tool_approval_new (HearthTool *tool,
                          const char *plugin_id,
                          const char *arguments_json,
                          gint64      conversation_id)
{
  HearthToolApproval *self;

  g_return_val_if_fail (tool != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_TOOL_APPROVAL, NULL);
  self->tool_name = g_strdup (hearth_tool_get_name (tool));
  self->plugin_id = g_strdup (plugin_id);
  self->description = g_strdup (hearth_tool_get_description (tool));
  self->effects = hearth_tool_get_effects (tool);
  self->effects_text = hearth_tool_effects_to_string (self->effects);
  self->arguments = hearth_thread_dup_pretty_json (arguments_json);
  self->conversation_id = conversation_id;
  self->pending = TRUE;
  return self;
}

const char *
hearth_tool_approval_get_tool_name (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), NULL);
  return self->tool_name;
}

const char *
hearth_tool_approval_get_plugin_id (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), NULL);
  return self->plugin_id;
}

const char *
hearth_tool_approval_get_description (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), NULL);
  return self->description;
}

HearthToolEffects
hearth_tool_approval_get_effects (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), HEARTH_TOOL_EFFECT_NONE);
  return self->effects;
}

const char *
hearth_tool_approval_get_effects_text (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), NULL);
  return self->effects_text;
}

const char *
hearth_tool_approval_get_arguments (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), NULL);
  return self->arguments;
}

gint64
hearth_tool_approval_get_conversation_id (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), 0);
  return self->conversation_id;
}

gboolean
hearth_tool_approval_get_pending (HearthToolApproval *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), FALSE);
  return self->pending;
}

static gboolean
end_pending (HearthToolApproval *self)
{
  if (!self->pending)
    return FALSE;
  self->pending = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
  return TRUE;
}

gboolean
hearth_tool_approval_decide (HearthToolApproval *self,
                             HearthToolDecision  decision)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (self), FALSE);
  g_return_val_if_fail ((guint) decision <= HEARTH_TOOL_DECISION_ALLOW_ALWAYS, FALSE);

  if (!end_pending (self))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_DECIDED], 0, (int) decision);
  return TRUE;
}

void
hearth_tool_approval_withdraw (HearthToolApproval *self)
{
  g_return_if_fail (HEARTH_IS_TOOL_APPROVAL (self));
  end_pending (self);
}
