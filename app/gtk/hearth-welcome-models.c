/* hearth-welcome-models.c: recommended models on the welcome page, with download progress
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recommended: the chat models that are not too large here, those that run
 * on the GPU first, then the larger (more capable) first; three at most.
 * One download at a time: the other buttons wait while it runs.
 * Downloads left partial in DATA_DIR/models (a pause, a failure, the app
 * or hearth-cli stopped mid-way) are listed above, from app/core
 * (hearth_download_list_partial), each with Resume and Discard.
 */
#include "hearth-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "hearth-catalog.h"
#include "hearth-download.h"
#include "hearth-model-fit.h"
#include "hearth-network-log-window.h"
#include "hearth-welcome-models.h"

#define N_RECOMMENDED 3

struct _HearthWelcomeModels
{
  GtkBox          parent_instance;

  HearthCatalog  *catalog;
  GtkWidget      *group;
  GtkWidget      *partial_group;
  guint           n_partial;
  GtkWidget      *progress_box;
  GtkWidget      *progress_label;
  GtkWidget      *progress_bar;
  GtkWidget      *pause_button;
  GtkWidget      *cancel_button;
  GPtrArray      *buttons;
  HearthDownload *download;
};

G_DEFINE_FINAL_TYPE (HearthWelcomeModels, hearth_welcome_models, GTK_TYPE_BOX)

enum { SIGNAL_MODEL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

char *
hearth_welcome_models_dup_data_dir (void)
{
  const char *dir = g_getenv ("HEARTH_DATA_DIR");

  return dir != NULL && *dir ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "hearth", NULL);
}

static void
set_buttons_sensitive (HearthWelcomeModels *self,
                       gboolean             sensitive)
{
  for (guint i = 0; i < self->buttons->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->buttons, i), sensitive);
}

static void
update_progress (HearthWelcomeModels *self)
{
  HearthDownload *d = self->download;
  g_autofree char *text = hearth_download_dup_progress_text (d);
  guint64 total = hearth_download_get_total (d);

  gtk_label_set_text (GTK_LABEL (self->progress_label), text);
  if (total != 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar),
                                   (double) hearth_download_get_received (d) / (double) total);
  else
    gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->progress_bar));
}

static void
on_notice (HearthWelcomeModels *self)
{
  const char *notice = hearth_download_get_notice (self->download);

  if (notice != NULL)
    gtk_widget_set_tooltip_text (self->progress_label, notice);
}

static void
on_finished (HearthWelcomeModels *self)
{
  HearthDownload *d = self->download;

  switch (hearth_download_get_state (d))
    {
    case HEARTH_DOWNLOAD_DONE:
      gtk_label_set_text (GTK_LABEL (self->progress_label), _("Downloaded and verified. Loading…"));
      gtk_widget_set_visible (self->pause_button, FALSE);
      gtk_widget_set_visible (self->cancel_button, FALSE);
      g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, hearth_download_get_dest (d));
      break;
    case HEARTH_DOWNLOAD_PAUSED:
      gtk_button_set_label (GTK_BUTTON (self->pause_button), _("_Resume"));
      break;
    case HEARTH_DOWNLOAD_CANCELLED:
      gtk_widget_set_visible (self->progress_box, FALSE);
      set_buttons_sensitive (self, TRUE);
      g_clear_object (&self->download);
      break;
    case HEARTH_DOWNLOAD_FAILED:
    default:
      gtk_label_set_text (GTK_LABEL (self->progress_label), hearth_download_get_error (d)->message);
      gtk_widget_add_css_class (self->progress_label, "error");
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 0);
      gtk_button_set_label (GTK_BUTTON (self->pause_button), _("_Try Again"));
      set_buttons_sensitive (self, TRUE);
      break;
    }
}

static void
pause_clicked (HearthWelcomeModels *self)
{
  if (self->download == NULL)
    return;
  if (hearth_download_get_state (self->download) == HEARTH_DOWNLOAD_RUNNING)
    hearth_download_pause (self->download);
  else
    {
      gtk_button_set_label (GTK_BUTTON (self->pause_button), _("_Pause"));
      gtk_widget_remove_css_class (self->progress_label, "error");
      set_buttons_sensitive (self, FALSE);
      hearth_download_start (self->download);
    }
}

static void
cancel_clicked (HearthWelcomeModels *self)
{
  if (self->download != NULL)
    hearth_download_cancel (self->download);
  if (self->download != NULL && hearth_download_get_state (self->download) == HEARTH_DOWNLOAD_CANCELLED)
    on_finished (self);
}

static void
start_download (HearthWelcomeModels *self,
                const char          *url,
                const char          *dest,
                const char          *sha256,
                guint64              size)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autoptr(HearthNetworkLog) log = hearth_network_log_new (data_dir);

  if (self->download != NULL)
    {
      hearth_download_cancel (self->download);
      g_signal_handlers_disconnect_by_data (self->download, self);
      g_clear_object (&self->download);
    }
  self->download = hearth_download_new (url, dest, log);
  hearth_download_set_expected (self->download, sha256, size);
  g_signal_connect_swapped (self->download, "notify::received", G_CALLBACK (update_progress), self);
  g_signal_connect_swapped (self->download, "notify::notice", G_CALLBACK (on_notice), self);
  g_signal_connect_swapped (self->download, "finished", G_CALLBACK (on_finished), self);
  gtk_button_set_label (GTK_BUTTON (self->pause_button), _("_Pause"));
  gtk_widget_set_visible (self->pause_button, TRUE);
  gtk_widget_set_visible (self->cancel_button, TRUE);
  gtk_label_set_text (GTK_LABEL (self->progress_label), _("Starting the download…"));
  gtk_widget_remove_css_class (self->progress_label, "error");
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 0);
  gtk_widget_set_visible (self->progress_box, TRUE);
  set_buttons_sensitive (self, FALSE);
  hearth_download_start (self->download);
}

static void
download_clicked (GtkButton           *button,
                  HearthWelcomeModels *self)
{
  const HearthCatalogEntry *e = g_object_get_data (G_OBJECT (button), "entry");
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autofree char *dest = g_build_filename (data_dir, "models", e->file_name, NULL);

  start_download (self, e->url, dest, e->sha256, e->size);
}

/* ---- downloads left partial ---- */

/* The catalog's entry for @url, whose name and checksum a resume uses. */
static const HearthCatalogEntry *
entry_for_url (HearthWelcomeModels *self,
               const char          *url)
{
  for (guint i = 0; self->catalog != NULL && i < hearth_catalog_get_n_entries (self->catalog); i++)
    if (g_strcmp0 (hearth_catalog_get_entry (self->catalog, i)->url, url) == 0)
      return hearth_catalog_get_entry (self->catalog, i);
  return NULL;
}

static void
partial_row_done (GtkWidget           *button,
                  HearthWelcomeModels *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (button, ADW_TYPE_ACTION_ROW);

  adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self->partial_group), row);
  g_ptr_array_remove (self->buttons, button);
  /* The group goes when its last row does. */
  self->n_partial--;
  gtk_widget_set_visible (self->partial_group, self->n_partial > 0);
}

static void
resume_clicked (GtkButton           *button,
                HearthWelcomeModels *self)
{
  const HearthPartialDownload *p = g_object_get_data (G_OBJECT (button), "partial");
  const HearthCatalogEntry *e = entry_for_url (self, p->url);
  g_autofree char *url = g_strdup (p->url), *dest = g_strdup (p->dest);

  /* The progress below takes over; the row would only repeat it. */
  g_ptr_array_remove (self->buttons, g_object_get_data (G_OBJECT (button), "discard"));
  partial_row_done (GTK_WIDGET (button), self);
  start_download (self, url, dest, e != NULL ? e->sha256 : NULL, e != NULL ? e->size : 0);
}

static void
discard_clicked (GtkButton           *button,
                 HearthWelcomeModels *self)
{
  const HearthPartialDownload *p = g_object_get_data (G_OBJECT (button), "partial");
  g_autoptr(GError) error = NULL;

  if (!hearth_download_discard_partial (p->dest, &error))
    {
      gtk_widget_set_tooltip_text (GTK_WIDGET (button), error->message);
      return;
    }
  g_ptr_array_remove (self->buttons, g_object_get_data (G_OBJECT (button), "resume"));
  partial_row_done (GTK_WIDGET (button), self);
}

static void
fill_partial (HearthWelcomeModels *self)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autofree char *dir = g_build_filename (data_dir, "models", NULL);
  g_autoptr(GPtrArray) partial = hearth_download_list_partial (dir);

  self->n_partial = partial->len;
  while (partial->len > 0)
    {
      HearthPartialDownload *p = g_ptr_array_steal_index (partial, 0);
      const HearthCatalogEntry *e = entry_for_url (self, p->url);
      g_autofree char *base = g_path_get_basename (p->dest);
      const char *name = e != NULL ? e->name : base;
      g_autofree char *progress = hearth_partial_download_dup_progress_text (p);
      g_autofree char *subtitle = g_strdup_printf (_("%s downloaded"), progress);
      g_autofree char *resume_label = g_strdup_printf (_("Resume %s"), name);
      g_autofree char *discard_label = g_strdup_printf (_("Discard %s"), name);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *resume = gtk_button_new_with_mnemonic (_("_Resume"));
      GtkWidget *discard = gtk_button_new_with_mnemonic (_("_Discard"));

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_set_tooltip_text (row, p->dest);
      g_object_set_data_full (G_OBJECT (resume), "partial", p, (GDestroyNotify) hearth_partial_download_free);
      g_object_set_data (G_OBJECT (discard), "partial", p);
      g_object_set_data (G_OBJECT (resume), "discard", discard);
      g_object_set_data (G_OBJECT (discard), "resume", resume);
      gtk_accessible_update_property (GTK_ACCESSIBLE (resume), GTK_ACCESSIBLE_PROPERTY_LABEL, resume_label, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (discard), GTK_ACCESSIBLE_PROPERTY_LABEL, discard_label, -1);
      gtk_widget_add_css_class (resume, "suggested-action");
      gtk_widget_add_css_class (discard, "flat");
      gtk_widget_set_valign (resume, GTK_ALIGN_CENTER);
      gtk_widget_set_valign (discard, GTK_ALIGN_CENTER);
      g_signal_connect (resume, "clicked", G_CALLBACK (resume_clicked), self);
      g_signal_connect (discard, "clicked", G_CALLBACK (discard_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), discard);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), resume);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->partial_group), row);
      g_ptr_array_add (self->buttons, resume);
      g_ptr_array_add (self->buttons, discard);
    }
  gtk_widget_set_visible (self->partial_group, self->n_partial > 0);
}

static void
log_clicked (HearthWelcomeModels *self)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  GtkWidget *window = hearth_network_log_window_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), data_dir);

  gtk_window_present (GTK_WINDOW (window));
}

typedef struct
{
  const HearthCatalogEntry *entry;
  HearthFit                *fit;
} Candidate;

static int
compare_candidates (gconstpointer a,
                    gconstpointer b)
{
  const Candidate *x = a, *y = b;
  gboolean gx = x->fit->verdict == HEARTH_FIT_GPU, gy = y->fit->verdict == HEARTH_FIT_GPU;

  if (gx != gy)
    return gx ? -1 : 1;
  return x->entry->parameters > y->entry->parameters ? -1 : x->entry->parameters < y->entry->parameters;
}

static void
fill (HearthWelcomeModels *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthFitMachine) machine = NULL;
  g_autoptr(GArray) candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));

  self->catalog = hearth_catalog_load_default (&error);
  if (self->catalog == NULL)
    {
      g_warning ("%s", error->message);
      gtk_widget_set_visible (self->group, FALSE);
      return;
    }
  machine = hearth_fit_machine_new_current ();
  for (guint i = 0; i < hearth_catalog_get_n_entries (self->catalog); i++)
    {
      const HearthCatalogEntry *e = hearth_catalog_get_entry (self->catalog, i);
      HearthFitModel m;
      Candidate c = { e, NULL };

      if (g_strcmp0 (e->kind, "chat") != 0)
        continue;
      hearth_fit_model_from_entry (e, 0, &m);
      c.fit = hearth_fit_check (&m, machine);
      /* A machine with less free memory than a model needs is told nothing
       * about it here: the welcome page offers what will run. */
      if (c.fit->verdict == HEARTH_FIT_TOO_LARGE)
        hearth_fit_free (c.fit);
      else
        g_array_append_val (candidates, c);
    }
  g_array_sort (candidates, compare_candidates);
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *c = &g_array_index (candidates, Candidate, i);

      if (i < N_RECOMMENDED)
        {
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *button = gtk_button_new_with_mnemonic (_("_Download"));
          g_autofree char *subtitle = g_strdup_printf ("%s\n%s", c->entry->description, c->fit->summary);

          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), c->entry->name);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (button, "suggested-action");
          g_object_set_data (G_OBJECT (button), "entry", (gpointer) c->entry);
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          c->entry->name, -1);
          g_signal_connect (button, "clicked", G_CALLBACK (download_clicked), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), row);
          g_ptr_array_add (self->buttons, button);
        }
      hearth_fit_free (c->fit);
    }
  gtk_widget_set_visible (self->group, self->buttons->len > 0);
}

static void
hearth_welcome_models_dispose (GObject *object)
{
  HearthWelcomeModels *self = HEARTH_WELCOME_MODELS (object);

  /* A download in progress stops with its partial file kept for later. */
  if (self->download != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->download, self);
      hearth_download_pause (self->download);
      g_clear_object (&self->download);
    }
  g_clear_pointer (&self->catalog, hearth_catalog_unref);
  g_clear_pointer (&self->buttons, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_welcome_models_parent_class)->dispose (object);
}

static void
hearth_welcome_models_class_init (HearthWelcomeModelsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_welcome_models_dispose;
  /* A downloaded, verified model file to load. */
  signals[SIGNAL_MODEL_READY] = g_signal_new ("model-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hearth_welcome_models_init (HearthWelcomeModels *self)
{
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *log_button = gtk_button_new_with_mnemonic (_("_Network Log"));
  GtkWidget *import_button = gtk_button_new_with_mnemonic (_("_Import from Hugging Face…"));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 12);
  gtk_widget_set_size_request (GTK_WIDGET (self), 360, -1);
  self->buttons = g_ptr_array_new ();

  self->partial_group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->partial_group), _("Unfinished Downloads"));
  gtk_box_append (GTK_BOX (self), self->partial_group);

  self->group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->group), _("Recommended for This Computer"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->group),
                                         _("Downloaded once, then everything stays on this computer."));
  gtk_box_append (GTK_BOX (self), self->group);

  self->progress_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->progress_bar = gtk_progress_bar_new ();
  self->progress_label = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->progress_label), TRUE);
  gtk_widget_add_css_class (self->progress_label, "dim-label");
  self->pause_button = gtk_button_new_with_mnemonic (_("_Pause"));
  self->cancel_button = gtk_button_new_with_mnemonic (_("_Cancel"));
  g_signal_connect_swapped (self->pause_button, "clicked", G_CALLBACK (pause_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (cancel_clicked), self);
  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (buttons), self->pause_button);
  gtk_box_append (GTK_BOX (buttons), self->cancel_button);
  gtk_box_append (GTK_BOX (self->progress_box), self->progress_bar);
  gtk_box_append (GTK_BOX (self->progress_box), self->progress_label);
  gtk_box_append (GTK_BOX (self->progress_box), buttons);
  gtk_widget_set_visible (self->progress_box, FALSE);
  gtk_box_append (GTK_BOX (self), self->progress_box);

  /* The window's win.import-hf opens the import dialog. */
  gtk_actionable_set_action_name (GTK_ACTIONABLE (import_button), "win.import-hf");
  gtk_accessible_update_property (GTK_ACCESSIBLE (import_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Import from Hugging Face"), -1);
  gtk_widget_set_halign (import_button, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (self), import_button);

  gtk_widget_add_css_class (log_button, "flat");
  gtk_widget_set_halign (log_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (log_button, "clicked", G_CALLBACK (log_clicked), self);
  gtk_box_append (GTK_BOX (self), log_button);

  fill (self);
  fill_partial (self);
}

GtkWidget *
hearth_welcome_models_new (void)
{
  return g_object_new (HEARTH_TYPE_WELCOME_MODELS, NULL);
}
