/* hearth-message-row.c: one message of the chat view, streamed or stored
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-markdown.h"
#include "hearth-markdown-view.h"
#include "hearth-message-row.h"
#include "hearth-source-chips.h"
#include "hearth-json-member.h"

struct _HearthMessageRow
{
  GtkBox     parent_instance;

  gint64     message_id;
  gint64     prev_sibling_id;
  gint64     next_sibling_id;
  GString   *text;
  GtkWidget *stream_label; /* while streaming */
  GtkWidget *regenerate_button;
};

G_DEFINE_FINAL_TYPE (HearthMessageRow, hearth_message_row, GTK_TYPE_BOX)

enum
{
  SIGNAL_EDIT,
  SIGNAL_REGENERATE,
  SIGNAL_SWITCH_BRANCH,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
hearth_message_row_finalize (GObject *object)
{
  HearthMessageRow *self = HEARTH_MESSAGE_ROW (object);

  g_string_free (self->text, TRUE);
  G_OBJECT_CLASS (hearth_message_row_parent_class)->finalize (object);
}

static void
hearth_message_row_class_init (HearthMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_message_row_finalize;
  signals[SIGNAL_EDIT] = g_signal_new ("edit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_REGENERATE] = g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SWITCH_BRANCH] = g_signal_new ("switch-branch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
hearth_message_row_init (HearthMessageRow *self)
{
  self->text = g_string_new (NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 4);
}

static GtkWidget *
icon_button (const char *icon,
             const char *label)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);

  gtk_widget_add_css_class (b, "flat");
  gtk_widget_set_tooltip_text (b, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return b;
}

static void
copy_clicked (HearthMessageRow *self)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->text->str);
}

static void
edit_clicked (HearthMessageRow *self)
{
  g_signal_emit (self, signals[SIGNAL_EDIT], 0);
}

static void
regenerate_clicked (HearthMessageRow *self)
{
  g_signal_emit (self, signals[SIGNAL_REGENERATE], 0);
}

static void
prev_clicked (HearthMessageRow *self)
{
  if (self->prev_sibling_id != 0)
    g_signal_emit (self, signals[SIGNAL_SWITCH_BRANCH], 0, self->prev_sibling_id);
}

static void
next_clicked (HearthMessageRow *self)
{
  if (self->next_sibling_id != 0)
    g_signal_emit (self, signals[SIGNAL_SWITCH_BRANCH], 0, self->next_sibling_id);
}

static void
add_role_label (HearthMessageRow *self,
                gboolean          user)
{
  GtkWidget *role = gtk_label_new (user ? _("You") : _("Assistant"));

  gtk_label_set_xalign (GTK_LABEL (role), 0);
  gtk_widget_add_css_class (role, "message-role");
  gtk_box_append (GTK_BOX (self), role);
  gtk_widget_add_css_class (GTK_WIDGET (self), user ? "message-user" : "message-assistant");
}

static void
set_accessible_text (HearthMessageRow *self,
                     gboolean          user)
{
  g_autofree char *label = g_strdup_printf (user ? _("You said: %s") : _("Assistant replied: %s"), self->text->str);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

/* A reply that called tools: which, in one line (each call's own row,
 * with its arguments and result, follows). */
static void
add_tool_calls (HearthMessageRow *self,
                const char       *calls_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *text = NULL;
  g_autofree char *joined = NULL;
  GtkWidget *label;
  JsonArray *calls;

  if (!json_parser_load_from_data (parser, calls_json, -1, NULL) ||
      (calls = hearth_json_root_array (parser)) == NULL)
    return;
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonNode *call = json_array_get_element (calls, i);
      const char *name = JSON_NODE_HOLDS_OBJECT (call)
                         ? json_object_get_string_member_with_default (json_node_get_object (call), "name", NULL)
                         : NULL;

      if (name != NULL)
        g_ptr_array_add (names, (gpointer) name);
    }
  g_ptr_array_add (names, NULL);
  joined = g_strjoinv (", ", (char **) names->pdata);
  text = g_strdup_printf (_("Called %s"), joined);
  label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (self), label);
  if (self->text->len == 0)
    g_string_assign (self->text, text);
}

static GtkWidget *new_streaming (HearthThreadItem *item);

GtkWidget *
hearth_message_row_new (HearthThreadItem *item,
                        gboolean          can_regenerate)
{
  HearthMessageRow *self;
  gboolean user;
  const char *content;
  const HearthThreadPlace *place;
  GtkWidget *actions;
  GtkWidget *button;

  if (hearth_thread_item_get_streaming (item))
    return new_streaming (item);
  self = g_object_new (HEARTH_TYPE_MESSAGE_ROW, NULL);
  user = hearth_thread_item_get_role (item) == HEARTH_MESSAGE_ROLE_USER;
  content = hearth_thread_item_get_text (item);
  place = hearth_thread_item_get_place (item);
  actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  self->message_id = hearth_thread_item_get_id (item);
  self->prev_sibling_id = place->prev_sibling_id;
  self->next_sibling_id = place->next_sibling_id;
  g_string_assign (self->text, content);

  add_role_label (self, user);
  if (user)
    {
      /* What the user typed is shown as typed, not interpreted. */
      GtkWidget *label = gtk_label_new (content);

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_box_append (GTK_BOX (self), label);
    }
  else if (content[0] != '\0' || hearth_thread_item_get_tool_calls (item) == NULL)
    gtk_box_append (GTK_BOX (self), hearth_markdown_view_new (content));
  if (!user && hearth_thread_item_get_tool_calls (item) != NULL)
    add_tool_calls (self, hearth_thread_item_get_tool_calls (item));

  if (!user && hearth_thread_item_get_message (item) != NULL)
    {
      GtkWidget *sources = hearth_source_chips_new (hearth_message_get_sources_json (hearth_thread_item_get_message (item)));

      if (sources != NULL)
        gtk_box_append (GTK_BOX (self), sources);
    }

  if (hearth_thread_item_get_stopped (item))
    {
      GtkWidget *stopped = gtk_label_new (hearth_thread_item_get_device_lost (item) ? _("Interrupted: the GPU device was lost")
                                                             : _("Stopped"));

      gtk_label_set_xalign (GTK_LABEL (stopped), 0);
      gtk_widget_add_css_class (stopped, "dim-label");
      gtk_widget_add_css_class (stopped, "caption");
      gtk_box_append (GTK_BOX (self), stopped);
    }

  if (place->n_siblings > 1)
    {
      g_autofree char *pos = g_strdup_printf ("%u/%u", place->sibling_index + 1, place->n_siblings);
      GtkWidget *label = gtk_label_new (pos);
      g_autofree char *desc = g_strdup_printf (_("Version %u of %u"), place->sibling_index + 1, place->n_siblings);

      button = icon_button ("go-previous-symbolic", _("Previous version"));
      gtk_widget_set_sensitive (button, place->prev_sibling_id != 0);
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (prev_clicked), self);
      gtk_box_append (GTK_BOX (actions), button);
      gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, desc, -1);
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (actions), label);
      button = icon_button ("go-next-symbolic", _("Next version"));
      gtk_widget_set_sensitive (button, place->next_sibling_id != 0);
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (next_clicked), self);
      gtk_box_append (GTK_BOX (actions), button);
    }

  button = icon_button ("edit-copy-symbolic", user ? _("Copy message") : _("Copy reply"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (copy_clicked), self);
  gtk_box_append (GTK_BOX (actions), button);
  if (user)
    {
      button = icon_button ("document-edit-symbolic", _("Edit message"));
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (edit_clicked), self);
      gtk_box_append (GTK_BOX (actions), button);
    }
  else
    {
      /* Only the last reply can be regenerated; the view moves this along. */
      button = icon_button ("view-refresh-symbolic", _("Regenerate reply"));
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (regenerate_clicked), self);
      gtk_widget_set_visible (button, can_regenerate);
      gtk_box_append (GTK_BOX (actions), button);
      self->regenerate_button = button;
    }
  gtk_widget_set_halign (actions, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self), actions);

  set_accessible_text (self, user);
  return GTK_WIDGET (self);
}

static void
text_appended (HearthThreadItem *item,
               const char       *text,
               guint64           len,
               HearthMessageRow *self)
{
  hearth_message_row_append (self, text, (gsize) len);
}

static GtkWidget *
new_streaming (HearthThreadItem *item)
{
  HearthMessageRow *self = g_object_new (HEARTH_TYPE_MESSAGE_ROW, NULL);
  GtkWidget *spinner = gtk_spinner_new ();

  add_role_label (self, FALSE);
  self->stream_label = gtk_label_new ("");
  gtk_label_set_wrap (GTK_LABEL (self->stream_label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (self->stream_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (self->stream_label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->stream_label), 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reply in progress"), -1);
  gtk_box_append (GTK_BOX (self), self->stream_label);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_halign (spinner, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Generating"), -1);
  gtk_box_append (GTK_BOX (self), spinner);
  hearth_message_row_append (self, hearth_thread_item_get_text (item), strlen (hearth_thread_item_get_text (item)));
  g_signal_connect_object (item, "text-appended", G_CALLBACK (text_appended), self, 0);
  return GTK_WIDGET (self);
}

void
hearth_message_row_set_can_regenerate (HearthMessageRow *self,
                                       gboolean          can_regenerate)
{
  if (self->regenerate_button != NULL)
    gtk_widget_set_visible (self->regenerate_button, can_regenerate);
}

gboolean
hearth_message_row_get_streaming (HearthMessageRow *self)
{
  return self->stream_label != NULL;
}

void
hearth_message_row_append (HearthMessageRow *self,
                           const char       *text,
                           gsize             len)
{
  g_string_append_len (self->text, text, (gssize) len);
  if (self->stream_label != NULL)
    gtk_label_set_text (GTK_LABEL (self->stream_label), self->text->str);
}

const char *
hearth_message_row_get_text (HearthMessageRow *self)
{
  return self->text->str;
}

gint64
hearth_message_row_get_message_id (HearthMessageRow *self)
{
  return self->message_id;
}
