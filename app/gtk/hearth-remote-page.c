/* hearth-remote-page.c: Preferences → Remote Models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-remote-page.h"
#include "hearth-remote-provider.h"

struct _HearthRemotePage
{
  AdwPreferencesPage parent_instance;
  HearthRuntime     *runtime;
  AdwPreferencesGroup *list;
  GPtrArray         *rows;   /* the list's rows, to remove them */
  GtkWidget         *name;
  GtkWidget         *url;
  GtkWidget         *model;
  GtkWidget         *key;
  GtkWidget         *add_status;
};

G_DEFINE_FINAL_TYPE (HearthRemotePage, hearth_remote_page, ADW_TYPE_PREFERENCES_PAGE)

static void reload (HearthRemotePage *self);

/* ---- test, on a thread ---- */

static void
test_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  HearthRemoteProvider *p = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = hearth_remote_provider_dup_key (p, &error);

  if (error == NULL && hearth_remote_provider_test (p, key, cancellable, NULL, &error))
    g_task_return_pointer (task, g_strdup_printf (_("Works: %s answers with %s"),
                                                  p->url, p->model), g_free);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
test_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(AdwActionRow) row = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_task_propagate_pointer (G_TASK (result), &error);

  adw_action_row_set_subtitle (row, text != NULL ? text : error->message);
}

static void
test_clicked (GtkButton        *button,
              HearthRemotePage *self)
{
  AdwActionRow *row = g_object_get_data (G_OBJECT (button), "row");
  const char *name = g_object_get_data (G_OBJECT (button), "provider");
  g_autoptr(GError) error = NULL;
  HearthRemoteProvider *p = hearth_remote_providers_lookup (hearth_runtime_get_store (self->runtime), name, &error);
  g_autoptr(GTask) task = NULL;

  if (p == NULL)
    {
      adw_action_row_set_subtitle (row, error->message);
      return;
    }
  adw_action_row_set_subtitle (row, _("Testing…"));
  task = g_task_new (NULL, NULL, test_done, g_object_ref (row));
  g_task_set_task_data (task, p, (GDestroyNotify) hearth_remote_provider_free);
  g_task_run_in_thread (task, test_thread);
}

static void
remove_clicked (GtkButton        *button,
                HearthRemotePage *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_remote_providers_remove (hearth_runtime_get_store (self->runtime),
                                       g_object_get_data (G_OBJECT (button), "provider"), &error))
    gtk_label_set_text (GTK_LABEL (self->add_status), error->message);
  reload (self);
}

static GtkWidget *
row_button (HearthRemotePage *self,
            GtkWidget        *row,
            const char       *label,
            const char       *name,
            GCallback         callback)
{
  GtkWidget *button = gtk_button_new_with_label (label);
  /* "Test NAME": each row has its own Test and Remove. */
  g_autofree char *accessible = g_strdup_printf ("%s %s", label, name);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (button), "provider", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (button), "row", row);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static void
reload (HearthRemotePage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = hearth_remote_providers_list (hearth_runtime_get_store (self->runtime), &error);

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->list, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  if (all == NULL)
    {
      adw_preferences_group_set_description (self->list, error->message);
      return;
    }
  adw_preferences_group_set_description (self->list, all->len == 0 ? _("None yet: add one below.") : NULL);
  for (guint i = 0; i < all->len; i++)
    {
      HearthRemoteProvider *p = all->pdata[i];
      g_autofree char *host = hearth_remote_provider_dup_host (p);
      g_autofree char *subtitle = g_strdup_printf (_("%s at %s · conversations leave this computer for %s"),
                                                   p->model, p->url, host);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), p->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), row_button (self, row, _("Test"), p->name,
                                                                   G_CALLBACK (test_clicked)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), row_button (self, row, _("Remove"), p->name,
                                                                   G_CALLBACK (remove_clicked)));
      adw_preferences_group_add (self->list, row);
      g_ptr_array_add (self->rows, row);
    }
}

static void
add_clicked (HearthRemotePage *self)
{
  g_autoptr(HearthRemoteProvider) p = hearth_remote_provider_new (gtk_editable_get_text (GTK_EDITABLE (self->name)),
                                                                   gtk_editable_get_text (GTK_EDITABLE (self->url)),
                                                                   gtk_editable_get_text (GTK_EDITABLE (self->model)));
  g_autoptr(GError) error = NULL;

  if (!hearth_remote_providers_add (hearth_runtime_get_store (self->runtime), p,
                                    gtk_editable_get_text (GTK_EDITABLE (self->key)), &error))
    {
      gtk_label_set_text (GTK_LABEL (self->add_status), error->message);
      return;
    }
  gtk_label_set_text (GTK_LABEL (self->add_status), "");
  /* The key is in the keyring now; it is not kept on show. */
  gtk_editable_set_text (GTK_EDITABLE (self->key), "");
  gtk_editable_set_text (GTK_EDITABLE (self->name), "");
  reload (self);
}

static void
hearth_remote_page_dispose (GObject *object)
{
  HearthRemotePage *self = HEARTH_REMOTE_PAGE (object);

  g_clear_object (&self->runtime);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_remote_page_parent_class)->dispose (object);
}

static void
hearth_remote_page_class_init (HearthRemotePageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_remote_page_dispose;
}

static GtkWidget *
entry_row (AdwPreferencesGroup *group,
           GtkWidget           *row,
           const char          *title)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_group_add (group, row);
  return row;
}

static void
hearth_remote_page_init (HearthRemotePage *self)
{
  AdwPreferencesGroup *add = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Add Remote Model"));

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Remote Models"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "network-server-symbolic");
  self->rows = g_ptr_array_new ();
  self->list = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->list, _("Remote Models"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->list);

  adw_preferences_group_set_title (add, _("Add a Remote Model"));
  adw_preferences_group_set_description (add, _("An OpenAI-compatible server (vLLM, llama-server, another Hearth). "
                                                "A conversation that uses it is sent there; its history stays here."));
  self->name = entry_row (add, adw_entry_row_new (), _("Name"));
  self->url = entry_row (add, adw_entry_row_new (), _("Base URL (e.g. https://host/v1)"));
  self->model = entry_row (add, adw_entry_row_new (), _("Model"));
  self->key = entry_row (add, adw_password_entry_row_new (), _("Key (kept in the keyring)"));
  self->add_status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->add_status), TRUE);
  gtk_widget_add_css_class (self->add_status, "error");
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_set_margin_top (button, 12);
  gtk_widget_add_css_class (button, "suggested-action");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (add_clicked), self);
  adw_preferences_group_set_header_suffix (add, button);
  adw_preferences_group_add (add, self->add_status);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), add);
}

GtkWidget *
hearth_remote_page_new (HearthRuntime *runtime)
{
  HearthRemotePage *self = g_object_new (HEARTH_TYPE_REMOTE_PAGE, NULL);

  self->runtime = g_object_ref (runtime);
  reload (self);
  return GTK_WIDGET (self);
}
