/* hearth-tool-activity-window.c: the audit of every tool call, read-only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-tool-activity-window.h"
#include "hearth-tool-words.h"

struct _HearthToolActivityWindow
{
  AdwWindow      parent_instance;

  HearthRuntime *runtime;
  guint          n_calls;
  GtkStack      *stack;
  GtkListBox    *list;
};

G_DEFINE_FINAL_TYPE (HearthToolActivityWindow, hearth_tool_activity_window, ADW_TYPE_WINDOW)

static GtkWidget *
section (const char *title,
         const char *text)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *heading = gtk_label_new (title);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "caption-heading");
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), hearth_tool_code_label_new (text));
  return box;
}

static GtkWidget *
call_row (const HearthToolAuditEntry *e)
{
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *body = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *time = NULL;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  const char *decision = hearth_tool_decision_label (hearth_tool_audit_decision_to_string (e->decision));
  gint64 at = e->started != 0 ? e->started : e->finished;

  when = g_date_time_new_from_unix_local (at / G_USEC_PER_SEC);
  time = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
  title = e->plugin_id != NULL ? g_strdup_printf ("%s · %s", e->tool_name, e->plugin_id) : g_strdup (e->tool_name);
  /* e.g. "2024-05-01 10:00:00 · Denied by you" */
  subtitle = g_strdup_printf (_("%s · %s %s"), time, decision, hearth_tool_decided_by_label (e->decided_by));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), g_strstrip (subtitle));
  if (e->is_error)
    {
      GtkWidget *err = gtk_label_new (_("Error"));

      gtk_widget_add_css_class (err, "error");
      gtk_widget_add_css_class (err, "caption");
      gtk_widget_set_valign (err, GTK_ALIGN_CENTER);
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row), err);
    }
  gtk_widget_set_margin_start (body, 12);
  gtk_widget_set_margin_end (body, 12);
  gtk_widget_set_margin_top (body, 8);
  gtk_widget_set_margin_bottom (body, 8);
  gtk_box_append (GTK_BOX (body), section (_("Arguments"), e->arguments_json));
  gtk_box_append (GTK_BOX (body), section (e->is_error ? _("Error") : _("Result"),
                                           e->result != NULL ? e->result : _("(none)")));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), body);
  return row;
}

static void
reload (HearthToolActivityWindow *self)
{
  g_autoptr(GPtrArray) calls = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  self->n_calls = 0;
  calls = hearth_runtime_list_tool_audit (self->runtime, &error);
  if (calls == NULL)
    g_warning ("Could not read the tool audit: %s", error->message);
  /* The store gives them oldest first. */
  for (guint i = calls != NULL ? calls->len : 0; i > 0; i--)
    {
      gtk_list_box_append (self->list, call_row (g_ptr_array_index (calls, i - 1)));
      self->n_calls++;
    }
  gtk_stack_set_visible_child_name (self->stack, self->n_calls > 0 ? "list" : "empty");
}

static void
hearth_tool_activity_window_dispose (GObject *object)
{
  HearthToolActivityWindow *self = HEARTH_TOOL_ACTIVITY_WINDOW (object);

  if (self->runtime != NULL)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  g_clear_object (&self->runtime);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_TOOL_ACTIVITY_WINDOW);
  G_OBJECT_CLASS (hearth_tool_activity_window_parent_class)->dispose (object);
}

static void
hearth_tool_activity_window_class_init (HearthToolActivityWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_tool_activity_window_dispose;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-tool-activity-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthToolActivityWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, HearthToolActivityWindow, list);
}

static void
hearth_tool_activity_window_init (HearthToolActivityWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

HearthToolActivityWindow *
hearth_tool_activity_window_new (GtkWindow     *parent,
                                 HearthRuntime *runtime)
{
  HearthToolActivityWindow *self;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (runtime), NULL);

  self = g_object_new (HEARTH_TYPE_TOOL_ACTIVITY_WINDOW, "transient-for", parent, NULL);
  self->runtime = g_object_ref (runtime);
  g_signal_connect_swapped (runtime, "reply-finished", G_CALLBACK (reload), self);
  reload (self);
  return self;
}

guint
hearth_tool_activity_window_get_n_calls (HearthToolActivityWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_TOOL_ACTIVITY_WINDOW (self), 0);
  return self->n_calls;
}
