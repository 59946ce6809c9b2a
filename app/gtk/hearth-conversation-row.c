/* hearth-conversation-row.c: a conversation (or a search hit in one) in the sidebar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-conversation-row.h"

struct _HearthConversationRow
{
  GtkListBoxRow parent_instance;

  gint64        id;
  char         *title;
  gboolean      pinned;
};

G_DEFINE_FINAL_TYPE (HearthConversationRow, hearth_conversation_row, GTK_TYPE_LIST_BOX_ROW)

static void
hearth_conversation_row_finalize (GObject *object)
{
  HearthConversationRow *self = HEARTH_CONVERSATION_ROW (object);

  g_free (self->title);
  G_OBJECT_CLASS (hearth_conversation_row_parent_class)->finalize (object);
}

static void
hearth_conversation_row_class_init (HearthConversationRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_conversation_row_finalize;
}

static void
hearth_conversation_row_init (HearthConversationRow *self)
{
}

static GtkWidget *
menu_button_new (HearthConversationRow *self)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  GtkWidget *button = gtk_menu_button_new ();
  g_autofree char *label = g_strdup_printf (_("Actions for “%s”"), self->title);
  const struct { const char *label; const char *action; } items[] = {
    { self->pinned ? N_("Unpin") : N_("Pin"), "win.pin-conversation" },
    { N_("Rename…"), "win.rename-conversation" },
    { N_("Delete"), "win.delete-conversation" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_(items[i].label), NULL);

      g_menu_item_set_action_and_target_value (item, items[i].action, g_variant_new_int64 (self->id));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "view-more-symbolic");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Conversation Actions"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return button;
}

static GtkWidget *
build (HearthConversationRow *self,
       const char            *subtitle_markup,
       gboolean               with_menu)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (self->title);

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 4);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  if (self->pinned)
    {
      GtkWidget *pin = gtk_image_new_from_icon_name ("view-pin-symbolic");

      gtk_accessible_update_property (GTK_ACCESSIBLE (pin), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Pinned"), -1);
      gtk_box_append (GTK_BOX (box), pin);
    }
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (labels), title);
  if (subtitle_markup != NULL)
    {
      GtkWidget *sub = gtk_label_new (NULL);

      gtk_label_set_markup (GTK_LABEL (sub), subtitle_markup);
      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (sub, "dim-label");
      gtk_widget_add_css_class (sub, "caption");
      gtk_box_append (GTK_BOX (labels), sub);
    }
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), labels);
  if (with_menu)
    gtk_box_append (GTK_BOX (box), menu_button_new (self));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, self->title, -1);
  return GTK_WIDGET (self);
}

GtkWidget *
hearth_conversation_row_new (HearthConversation *conversation)
{
  HearthConversationRow *self = g_object_new (HEARTH_TYPE_CONVERSATION_ROW, NULL);
  const char *title = hearth_conversation_get_title (conversation);

  self->id = hearth_conversation_get_id (conversation);
  self->title = g_strdup (title && title[0] ? title : _("Untitled"));
  self->pinned = hearth_conversation_get_pinned (conversation);
  return build (self, NULL, TRUE);
}

GtkWidget *
hearth_conversation_row_new_for_hit (gint64      conversation_id,
                                     const char *title,
                                     const char *snippet)
{
  HearthConversationRow *self = g_object_new (HEARTH_TYPE_CONVERSATION_ROW, NULL);
  g_autofree char *escaped = g_markup_escape_text (snippet ? snippet : "", -1);
  GString *markup = g_string_new (NULL);

  self->id = conversation_id;
  self->title = g_strdup (title && title[0] ? title : _("Untitled"));
  /* The store marks matches with brackets; show them in bold (a bracket
   * in the text itself must not unbalance the markup). */
  gboolean open = FALSE;

  for (const char *p = escaped; *p; p++)
    {
      if (*p == '[' && !open)
        {
          g_string_append (markup, "<b>");
          open = TRUE;
        }
      else if (*p == ']' && open)
        {
          g_string_append (markup, "</b>");
          open = FALSE;
        }
      else
        g_string_append_c (markup, *p);
    }
  if (open)
    g_string_append (markup, "</b>");
  build (self, markup->str, FALSE);
  g_string_free (markup, TRUE);
  return GTK_WIDGET (self);
}

gint64
hearth_conversation_row_get_id (HearthConversationRow *self)
{
  return self->id;
}

const char *
hearth_conversation_row_get_title (HearthConversationRow *self)
{
  return self->title;
}

gboolean
hearth_conversation_row_get_pinned (HearthConversationRow *self)
{
  return self->pinned;
}
