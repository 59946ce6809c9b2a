/* hearth-unfinished-downloads.c: the downloads left partial, to resume or discard, for the Models dialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rows are named by the catalog's name for their address, else by the
 * file's. One resume at a time: the other rows' buttons wait while it
 * runs, and come back if it fails or is cancelled.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-catalog.h"
#include "hearth-download.h"
#include "hearth-download-progress.h"
#include "hearth-unfinished-downloads.h"
#include "hearth-welcome-models.h"

struct _HearthUnfinishedDownloads
{
  AdwPreferencesGroup     parent_instance;

  HearthCatalog          *catalog;   /* NULL when it cannot be read */
  GtkWidget              *list;
  HearthDownloadProgress *progress;
  guint                   n_rows;
};

G_DEFINE_FINAL_TYPE (HearthUnfinishedDownloads, hearth_unfinished_downloads, ADW_TYPE_PREFERENCES_GROUP)

enum { SIGNAL_MODEL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

static const HearthCatalogEntry *
catalog_entry (HearthUnfinishedDownloads *self,
               const char                *url)
{
  guint n = self->catalog != NULL ? hearth_catalog_get_n_entries (self->catalog) : 0;

  for (guint i = 0; i < n; i++)
    {
      const HearthCatalogEntry *e = hearth_catalog_get_entry (self->catalog, i);

      if (g_strcmp0 (e->url, url) == 0)
        return e;
    }
  return NULL;
}

static void
update_visible (HearthUnfinishedDownloads *self)
{
  gtk_widget_set_visible (self->list, self->n_rows > 0);
  gtk_widget_set_visible (GTK_WIDGET (self), self->n_rows > 0 ||
                          gtk_widget_get_visible (GTK_WIDGET (self->progress)));
}

static void
rows_sensitive (HearthUnfinishedDownloads *self,
                gboolean                   sensitive)
{
  for (GtkWidget *row = gtk_widget_get_first_child (self->list); row != NULL; row = gtk_widget_get_next_sibling (row))
    gtk_widget_set_sensitive (row, sensitive);
}

static void
remove_row (HearthUnfinishedDownloads *self,
            GtkWidget                 *button)
{
  gtk_list_box_remove (GTK_LIST_BOX (self->list), gtk_widget_get_ancestor (button, ADW_TYPE_ACTION_ROW));
  self->n_rows--;
  update_visible (self);
}

static const HearthPartialDownload *
partial_of (GtkWidget *button)
{
  return g_object_get_data (G_OBJECT (gtk_widget_get_ancestor (button, ADW_TYPE_ACTION_ROW)), "partial");
}

static void
resume_clicked (GtkButton                 *button,
                HearthUnfinishedDownloads *self)
{
  const HearthPartialDownload *p = partial_of (GTK_WIDGET (button));
  const HearthCatalogEntry *e = catalog_entry (self, p->url);
  g_autofree char *url = g_strdup (p->url), *dest = g_strdup (p->dest);

  /* The progress below says the rest; the row would repeat it. */
  remove_row (self, GTK_WIDGET (button));
  rows_sensitive (self, FALSE);
  hearth_download_progress_start (self->progress, url, dest, e != NULL ? e->sha256 : NULL, e != NULL ? e->size : 0);
  update_visible (self);
}

static void
discard_clicked (GtkButton                 *button,
                 HearthUnfinishedDownloads *self)
{
  const HearthPartialDownload *p = partial_of (GTK_WIDGET (button));
  g_autoptr(GError) error = NULL;

  if (hearth_download_discard_partial (p->dest, &error))
    remove_row (self, GTK_WIDGET (button));
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (button), error->message);
}

static GtkWidget *
partial_button (const char            *mnemonic,
                const char            *accessible,
                GCallback              callback,
                gpointer               self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mnemonic);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

/* The row owns @p. */
static GtkWidget *
partial_row (HearthUnfinishedDownloads *self,
             HearthPartialDownload     *p)
{
  const HearthCatalogEntry *e = catalog_entry (self, p->url);
  g_autofree char *base = g_path_get_basename (p->dest);
  const char *name = e != NULL ? e->name : base;
  g_autofree char *done = hearth_partial_download_dup_progress_text (p);
  g_autofree char *subtitle = g_strdup_printf (_("%s downloaded"), done);
  /* TRANSLATORS: the accessible names of an unfinished download's buttons; %s is its name */
  g_autofree char *resume_name = g_strdup_printf (_("Resume %s"), name);
  g_autofree char *discard_name = g_strdup_printf (_("Discard %s"), name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *resume = partial_button (_("_Resume"), resume_name, G_CALLBACK (resume_clicked), self);
  GtkWidget *discard = partial_button (_("_Discard"), discard_name, G_CALLBACK (discard_clicked), self);

  gtk_widget_add_css_class (resume, "suggested-action");
  gtk_widget_add_css_class (discard, "flat");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, p->dest);
  g_object_set_data_full (G_OBJECT (row), "partial", p, (GDestroyNotify) hearth_partial_download_free);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), discard);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), resume);
  return row;
}

static void
progress_verified (HearthUnfinishedDownloads *self,
                   const char                *path)
{
  hearth_download_progress_set_text (self->progress, _("Downloaded and verified; added to your models."));
  rows_sensitive (self, TRUE);
  g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, path);
}

static void
progress_stopped (HearthUnfinishedDownloads *self)
{
  rows_sensitive (self, TRUE);
  update_visible (self);
}

static void
hearth_unfinished_downloads_dispose (GObject *object)
{
  HearthUnfinishedDownloads *self = HEARTH_UNFINISHED_DOWNLOADS (object);

  g_clear_pointer (&self->catalog, hearth_catalog_unref);
  G_OBJECT_CLASS (hearth_unfinished_downloads_parent_class)->dispose (object);
}

static void
hearth_unfinished_downloads_class_init (HearthUnfinishedDownloadsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_unfinished_downloads_dispose;
  /* A resumed download, verified, at its place in DATA_DIR/models. */
  signals[SIGNAL_MODEL_READY] = g_signal_new ("model-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hearth_unfinished_downloads_init (HearthUnfinishedDownloads *self)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, "models", NULL);
  g_autoptr(GPtrArray) partial = hearth_download_list_partial (dir);
  g_autoptr(GError) error = NULL;

  /* Without the catalog the rows still resume, named by their files. */
  self->catalog = hearth_catalog_load_default (&error);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Unfinished Downloads"));
  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), self->list);
  self->progress = HEARTH_DOWNLOAD_PROGRESS (hearth_download_progress_new ());
  g_signal_connect_swapped (self->progress, "verified", G_CALLBACK (progress_verified), self);
  g_signal_connect_swapped (self->progress, "stopped", G_CALLBACK (progress_stopped), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->progress));
  self->n_rows = partial->len;
  while (partial->len > 0)
    gtk_list_box_append (GTK_LIST_BOX (self->list), partial_row (self, g_ptr_array_steal_index (partial, 0)));
  update_visible (self);
}

GtkWidget *
hearth_unfinished_downloads_new (void)
{
  return g_object_new (HEARTH_TYPE_UNFINISHED_DOWNLOADS, NULL);
}
