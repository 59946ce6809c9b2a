/* hearth-tool-approval-dialog.c: asks the user whether a tool call may run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-tool-approval-dialog.h"
#include "hearth-tool-words.h"

struct _HearthToolApprovalDialog
{
  AdwWindow           parent_instance;

  HearthToolApproval *approval;
  gulong              pending_handler;

  GtkLabel           *heading;
  GtkLabel           *plugin_label;
  GtkLabel           *description_label;
  GtkWidget          *effects_box;
  GtkTextView        *arguments_view;
  GtkWidget          *deny_button;
  GtkWidget          *once_button;
  GtkWidget          *conversation_button;
  GtkWidget          *always_button;
};

G_DEFINE_FINAL_TYPE (HearthToolApprovalDialog, hearth_tool_approval_dialog, ADW_TYPE_WINDOW)

void
hearth_tool_approval_dialog_answer (HearthToolApprovalDialog *self,
                                    HearthToolDecision        decision)
{
  g_return_if_fail (HEARTH_IS_TOOL_APPROVAL_DIALOG (self));

  if (self->approval != NULL)
    {
      g_autoptr(HearthToolApproval) approval = g_object_ref (self->approval);

      /* Decided: its :pending going FALSE is this dialog's own doing. */
      g_clear_signal_handler (&self->pending_handler, approval);
      hearth_tool_approval_decide (approval, decision);
      g_clear_object (&self->approval);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
deny_clicked (HearthToolApprovalDialog *self)
{
  hearth_tool_approval_dialog_answer (self, HEARTH_TOOL_DECISION_DENY);
}

static void
once_clicked (HearthToolApprovalDialog *self)
{
  hearth_tool_approval_dialog_answer (self, HEARTH_TOOL_DECISION_ALLOW_ONCE);
}

static void
conversation_clicked (HearthToolApprovalDialog *self)
{
  hearth_tool_approval_dialog_answer (self, HEARTH_TOOL_DECISION_ALLOW_CONVERSATION);
}

static void
always_clicked (HearthToolApprovalDialog *self)
{
  hearth_tool_approval_dialog_answer (self, HEARTH_TOOL_DECISION_ALLOW_ALWAYS);
}

/* Withdrawn (the reply was stopped): nothing to answer any more. */
static void
pending_changed (HearthToolApproval       *approval,
                 GParamSpec               *pspec,
                 HearthToolApprovalDialog *self)
{
  if (hearth_tool_approval_get_pending (approval))
    return;
  g_clear_signal_handler (&self->pending_handler, approval);
  g_clear_object (&self->approval);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Closing the window without an answer is a no. */
static gboolean
hearth_tool_approval_dialog_close_request (GtkWindow *window)
{
  HearthToolApprovalDialog *self = HEARTH_TOOL_APPROVAL_DIALOG (window);

  if (self->approval != NULL)
    {
      hearth_tool_approval_dialog_answer (self, HEARTH_TOOL_DECISION_DENY);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (hearth_tool_approval_dialog_parent_class)->close_request (window);
}

static void
hearth_tool_approval_dialog_dispose (GObject *object)
{
  HearthToolApprovalDialog *self = HEARTH_TOOL_APPROVAL_DIALOG (object);

  if (self->approval != NULL)
    g_clear_signal_handler (&self->pending_handler, self->approval);
  g_clear_object (&self->approval);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_TOOL_APPROVAL_DIALOG);
  G_OBJECT_CLASS (hearth_tool_approval_dialog_parent_class)->dispose (object);
}

static void
hearth_tool_approval_dialog_class_init (HearthToolApprovalDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_tool_approval_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = hearth_tool_approval_dialog_close_request;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-tool-approval-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, heading);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, plugin_label);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, description_label);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, effects_box);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, arguments_view);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, deny_button);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, once_button);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, conversation_button);
  gtk_widget_class_bind_template_child (widget_class, HearthToolApprovalDialog, always_button);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hearth_tool_approval_dialog_init (HearthToolApprovalDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->deny_button, "clicked", G_CALLBACK (deny_clicked), self);
  g_signal_connect_swapped (self->once_button, "clicked", G_CALLBACK (once_clicked), self);
  g_signal_connect_swapped (self->conversation_button, "clicked", G_CALLBACK (conversation_clicked), self);
  g_signal_connect_swapped (self->always_button, "clicked", G_CALLBACK (always_clicked), self);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->deny_button);
  gtk_window_set_focus (GTK_WINDOW (self), self->deny_button);
}

HearthToolApprovalDialog *
hearth_tool_approval_dialog_new (GtkWindow          *parent,
                                 HearthToolApproval *approval)
{
  HearthToolApprovalDialog *self;
  g_autofree char *heading = NULL;
  g_autofree char *plugin = NULL;

  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL (approval), NULL);
  g_return_val_if_fail (hearth_tool_approval_get_pending (approval), NULL);

  self = g_object_new (HEARTH_TYPE_TOOL_APPROVAL_DIALOG, "transient-for", parent, NULL);
  self->approval = g_object_ref (approval);
  heading = g_strdup_printf (_("Allow “%s” to run?"), hearth_tool_approval_get_tool_name (approval));
  gtk_label_set_text (self->heading, heading);
  plugin = g_strdup_printf (_("Tool %s of the plugin %s"), hearth_tool_approval_get_tool_name (approval),
                            hearth_tool_approval_get_plugin_id (approval));
  gtk_label_set_text (self->plugin_label, plugin);
  gtk_label_set_text (self->description_label, hearth_tool_approval_get_description (approval));
  gtk_box_append (GTK_BOX (self->effects_box),
                  hearth_tool_effect_tags_new (hearth_tool_approval_get_effects (approval)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->arguments_view),
                            hearth_tool_approval_get_arguments (approval), -1);
  if (hearth_tool_approval_get_conversation_id (approval) == 0)
    gtk_widget_set_visible (self->conversation_button, FALSE);
  self->pending_handler = g_signal_connect (approval, "notify::pending", G_CALLBACK (pending_changed), self);
  return self;
}

char *
hearth_tool_approval_dialog_dup_arguments (HearthToolApprovalDialog *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (HEARTH_IS_TOOL_APPROVAL_DIALOG (self), NULL);
  buffer = gtk_text_view_get_buffer (self->arguments_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}
