/* hearth-documents-button.c: the collections attached to the conversation on show
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-documents.h"
#include "hearth-documents-button.h"

struct _HearthDocumentsButton
{
  GtkBox           parent_instance;
  HearthRuntime   *runtime;
  HearthDocuments *documents;
  GtkWidget       *button;   /* GtkMenuButton */
  GtkWidget       *choices;  /* its popover's box */
  gboolean         syncing;
};

G_DEFINE_FINAL_TYPE (HearthDocumentsButton, hearth_documents_button, GTK_TYPE_BOX)

static void
toggled (GtkToggleButton       *toggle,
         HearthDocumentsButton *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  if (self->syncing)
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (self->choices); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_TOGGLE_BUTTON (child) && gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (child)))
      g_ptr_array_add (names, g_object_get_data (G_OBJECT (child), "collection"));
  if (names->len > 0)
    {
      g_autofree char *label = g_strdup_printf (_("Documents (%u)"), names->len);

      gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button), label);
    }
  else
    gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button), _("Documents"));
  g_ptr_array_add (names, NULL);
  if (!hearth_runtime_set_collections (self->runtime, (const char *const *) names->pdata, &error))
    g_warning ("The documents could not be attached: %s", error->message);
}

/* The index's collections, each on where the runtime has it attached. */
static void
sync_button (HearthDocumentsButton *self)
{
  g_auto(GStrv) attached = hearth_runtime_dup_collections (self->runtime);
  g_autoptr(GPtrArray) all = NULL;
  GtkWidget *child;
  guint n_on = 0;
  g_autofree char *label = NULL;

  while ((child = gtk_widget_get_first_child (self->choices)) != NULL)
    gtk_box_remove (GTK_BOX (self->choices), child);
  if (self->documents != NULL)
    all = hearth_documents_list_collections (self->documents, NULL);
  self->syncing = TRUE;
  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      HearthDocCollection *c = all->pdata[i];
      GtkWidget *toggle = gtk_toggle_button_new_with_label (c->name);
      gboolean on = attached != NULL && g_strv_contains ((const char *const *) attached, c->name);

      gtk_widget_add_css_class (toggle, "flat");
      gtk_widget_set_tooltip_text (toggle, _("Answer from this collection"));
      g_object_set_data_full (G_OBJECT (toggle), "collection", g_strdup (c->name), g_free);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), on);
      g_signal_connect (toggle, "toggled", G_CALLBACK (toggled), self);
      gtk_box_append (GTK_BOX (self->choices), toggle);
      n_on += on;
    }
  self->syncing = FALSE;
  if (all == NULL || all->len == 0)
    {
      GtkWidget *empty = gtk_label_new (self->documents != NULL && hearth_documents_get_error (self->documents) == NULL
                                        ? _("No collections yet: create them in Preferences → Documents.")
                                        : _("The document index is not available."));

      gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (empty), 30);
      gtk_box_append (GTK_BOX (self->choices), empty);
    }
  label = n_on > 0 ? g_strdup_printf (_("Documents (%u)"), n_on) : g_strdup (_("Documents"));
  gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button), label);
}

static void
hearth_documents_button_dispose (GObject *object)
{
  HearthDocumentsButton *self = HEARTH_DOCUMENTS_BUTTON (object);

  if (self->runtime != NULL)
    g_signal_handlers_disconnect_by_data (self->runtime, self);
  if (self->documents != NULL)
    g_signal_handlers_disconnect_by_data (self->documents, self);
  g_clear_object (&self->runtime);
  g_clear_object (&self->documents);
  G_OBJECT_CLASS (hearth_documents_button_parent_class)->dispose (object);
}

static void
hearth_documents_button_class_init (HearthDocumentsButtonClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_documents_button_dispose;
}

static void
hearth_documents_button_init (HearthDocumentsButton *self)
{
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (_("Answer From"));

  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  self->button = gtk_menu_button_new ();
  gtk_menu_button_set_label (GTK_MENU_BUTTON (self->button), _("Documents"));
  gtk_widget_set_tooltip_text (self->button, _("Documents this conversation answers from"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Documents for this conversation"), -1);
  self->choices = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), self->choices);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->button), popover);
  /* The list as it is now, each time it opens. */
  g_signal_connect_swapped (popover, "show", G_CALLBACK (sync_button), self);
  gtk_box_append (GTK_BOX (self), self->button);
}

GtkWidget *
hearth_documents_button_new (HearthRuntime *runtime)
{
  HearthDocumentsButton *self = g_object_new (HEARTH_TYPE_DOCUMENTS_BUTTON, NULL);
  HearthDocuments *documents = hearth_documents_get_for_runtime (runtime);

  self->runtime = g_object_ref (runtime);
  self->documents = documents != NULL ? g_object_ref (documents) : NULL;
  g_signal_connect_swapped (runtime, "notify::conversation-id", G_CALLBACK (sync_button), self);
  if (documents != NULL)
    g_signal_connect_swapped (documents, "changed", G_CALLBACK (sync_button), self);
  sync_button (self);
  return GTK_WIDGET (self);
}
