/* hearth-tool-row.c: one tool call in the chat, a compact row that expands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-tool-row.h"
#include "hearth-tool-words.h"

struct _HearthToolRow
{
  GtkBox     parent_instance;

  char      *summary;
  GtkWidget *expander;
};

G_DEFINE_FINAL_TYPE (HearthToolRow, hearth_tool_row, GTK_TYPE_BOX)

static void
hearth_tool_row_finalize (GObject *object)
{
  g_free (HEARTH_TOOL_ROW (object)->summary);
  G_OBJECT_CLASS (hearth_tool_row_parent_class)->finalize (object);
}

static void
hearth_tool_row_class_init (HearthToolRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_tool_row_finalize;
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hearth_tool_row_init (HearthToolRow *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (GTK_WIDGET (self), "tool-row");
}

static GtkWidget *
heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_add_css_class (label, "caption");
  return label;
}

GtkWidget *
hearth_tool_row_new (HearthThreadItem *item,
                     const char       *plugin_id)
{
  HearthToolRow *self = g_object_new (HEARTH_TYPE_TOOL_ROW, NULL);
  const char *tool = hearth_thread_item_get_tool_name (item);
  const char *decision = hearth_tool_decision_label (hearth_thread_item_get_tool_decision (item));
  gboolean is_error = hearth_thread_item_get_tool_is_error (item);
  GtkWidget *title = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *body = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *summary, *state;
  g_autofree char *a11y = NULL;

  if (tool == NULL)
    tool = _("a tool");
  self->summary = plugin_id != NULL ? g_strdup_printf (_("Used %s · %s"), plugin_id, tool)
                                    : g_strdup_printf (_("Used %s"), tool);
  summary = gtk_label_new (self->summary);
  gtk_label_set_ellipsize (GTK_LABEL (summary), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (title), summary);
  state = gtk_label_new (decision);
  gtk_widget_add_css_class (state, "dim-label");
  gtk_widget_add_css_class (state, "caption");
  gtk_box_append (GTK_BOX (title), state);
  if (is_error)
    {
      GtkWidget *err = gtk_label_new (_("Error"));

      gtk_widget_add_css_class (err, "error");
      gtk_widget_add_css_class (err, "caption");
      gtk_box_append (GTK_BOX (title), err);
    }

  gtk_box_append (GTK_BOX (body), heading (_("Arguments")));
  gtk_box_append (GTK_BOX (body), hearth_tool_code_label_new (hearth_thread_item_get_tool_arguments (item)));
  gtk_box_append (GTK_BOX (body), heading (is_error ? _("Error") : _("Result")));
  gtk_box_append (GTK_BOX (body), hearth_tool_code_label_new (hearth_thread_item_get_tool_result (item)));
  gtk_widget_set_margin_start (body, 12);
  gtk_widget_set_margin_top (body, 4);

  self->expander = gtk_expander_new (NULL);
  gtk_expander_set_label_widget (GTK_EXPANDER (self->expander), title);
  gtk_expander_set_child (GTK_EXPANDER (self->expander), body);
  gtk_box_append (GTK_BOX (self), self->expander);

  a11y = g_strdup_printf (is_error ? _("%s: %s, failed") : _("%s: %s"), self->summary, decision);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  return GTK_WIDGET (self);
}

const char *
hearth_tool_row_get_summary (HearthToolRow *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_ROW (self), NULL);
  return self->summary;
}

gboolean
hearth_tool_row_get_expanded (HearthToolRow *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_ROW (self), FALSE);
  return gtk_expander_get_expanded (GTK_EXPANDER (self->expander));
}

void
hearth_tool_row_set_expanded (HearthToolRow *self,
                              gboolean       expanded)
{
  g_return_if_fail (HEARTH_IS_TOOL_ROW (self));
  gtk_expander_set_expanded (GTK_EXPANDER (self->expander), expanded);
}
