/* hearth-hf-import-dialog.c: a Hugging Face repository's GGUF files, one downloaded, verified and added
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One listing or download at a time: the address waits while one runs. Each
 * file's row says its size and the fit check's verdict with its numbers,
 * saying that before the download the fit is an estimate from the size
 * (the file's header, which gives its layers, is read only once it is
 * here; the check before loading uses it). The file goes to
 * DATA_DIR/models under its own name, verified against the LFS SHA-256 of
 * the listing and its size. A file named in the pasted address is listed
 * first among its repository's and offered as the suggested one.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-download-progress.h"
#include "hearth-hf-import.h"
#include "hearth-hf-import-dialog.h"
#include "hearth-model-fit.h"
#include "hearth-welcome-models.h"

struct _HearthHfImportDialog
{
  AdwWindow         parent_instance;

  GtkEntry         *address;
  GtkWidget        *list_button;
  GtkLabel         *status;
  GtkWidget        *files_group;
  GtkListBox       *files;
  GtkCheckButton   *load_check;
  GtkWidget        *progress_group;
  HearthDownloadProgress *progress;

  GCancellable     *cancellable;
  GPtrArray        *listed;     /* HearthHfFile, what the rows show */
  GPtrArray        *buttons;    /* each row's Download */
  HearthFitMachine *machine;
};

G_DEFINE_FINAL_TYPE (HearthHfImportDialog, hearth_hf_import_dialog, ADW_TYPE_WINDOW)

enum { SIGNAL_MODEL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_status (HearthHfImportDialog *self,
            const char           *text,
            gboolean              is_error)
{
  gtk_label_set_text (self->status, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status), text != NULL);
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

static void
set_busy (HearthHfImportDialog *self,
          gboolean              busy)
{
  /* The address stays editable (an entry made insensitive while focused
   * keeps blinking its cursor); Enter in it waits like the button. */
  gtk_widget_set_sensitive (self->list_button, !busy);
  for (guint i = 0; i < self->buttons->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->buttons, i), !busy);
}

static void
clear_files (HearthHfImportDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->files))) != NULL)
    gtk_list_box_remove (self->files, child);
  g_ptr_array_set_size (self->buttons, 0);
  g_clear_pointer (&self->listed, g_ptr_array_unref);
  gtk_widget_set_visible (self->files_group, FALSE);
}

static void
download_clicked (GtkButton            *button,
                  HearthHfImportDialog *self)
{
  const HearthHfFile *file = g_object_get_data (G_OBJECT (button), "file");
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autofree char *base = g_path_get_basename (file->path);
  g_autofree char *dest = g_build_filename (data_dir, "models", base, NULL);

  set_busy (self, TRUE);
  gtk_widget_set_visible (self->progress_group, TRUE);
  hearth_download_progress_start (self->progress, file->url, dest, file->sha256, file->size);
}

static GtkWidget *
file_row (HearthHfImportDialog *self,
          const HearthHfFile   *file,
          gboolean              chosen)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Download"));
  g_autofree char *size = g_format_size (file->size);
  g_autofree char *accessible = g_strdup_printf (_("Download %s"), file->path);
  g_autofree char *subtitle = NULL;
  g_autoptr(HearthFit) fit = NULL;
  HearthFitModel model;

  hearth_hf_file_fit_model (file, &model);
  fit = hearth_fit_check (&model, self->machine);
  /* TRANSLATORS: the file's size, then the fit check's sentence */
  subtitle = g_strdup_printf (_("%s\nEstimated from the file size before the download: %s"), size, fit->summary);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), file->path);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, chosen ? "suggested-action" : "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_object_set_data (G_OBJECT (button), "file", (gpointer) file);
  g_signal_connect (button, "clicked", G_CALLBACK (download_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  g_ptr_array_add (self->buttons, button);
  return row;
}

static void
files_listed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HearthHfImportDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = hearth_hf_list_files_finish (result, &error);
  const char *repo_name = g_object_get_data (G_OBJECT (self), "listing-repo");
  const char *wanted = g_object_get_data (G_OBJECT (self), "listing-file");
  const HearthHfFile *chosen = NULL;
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  set_busy (self, FALSE);
  if (files == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  if (files->len == 0)
    {
      text = g_strdup_printf (_("%s has no GGUF files: Hearth runs models in the GGUF format only."), repo_name);
      set_status (self, text, TRUE);
      return;
    }
  self->listed = g_steal_pointer (&files);
  if (wanted != NULL)
    chosen = hearth_hf_find_file (self->listed, wanted);
  if (chosen != NULL)
    gtk_list_box_append (self->files, file_row (self, chosen, TRUE));
  for (guint i = 0; i < self->listed->len; i++)
    if (g_ptr_array_index (self->listed, i) != chosen)
      gtk_list_box_append (self->files, file_row (self, g_ptr_array_index (self->listed, i), FALSE));
  gtk_widget_set_visible (self->files_group, TRUE);
  if (wanted != NULL && chosen == NULL)
    {
      text = g_strdup_printf (_("%s has no GGUF file “%s”; its GGUF files are below."), repo_name, wanted);
      set_status (self, text, TRUE);
    }
  else
    {
      text = g_strdup_printf (g_dngettext (NULL, "%u GGUF file in %s", "%u GGUF files in %s", self->listed->len),
                              self->listed->len, repo_name);
      set_status (self, text, FALSE);
    }
}

static void
list_clicked (HearthHfImportDialog *self)
{
  g_autofree char *repo = NULL, *file = NULL, *data_dir = NULL, *text = NULL;
  g_autoptr(HearthNetworkLog) log = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address))));

  /* A listing or a download under way: the address waits. */
  if (!gtk_widget_get_sensitive (self->list_button))
    return;
  g_clear_object (&self->cancellable);
  clear_files (self);
  gtk_widget_set_visible (self->progress_group, FALSE);
  if (!hearth_hf_parse_url (url, &repo, &file, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  g_object_set_data_full (G_OBJECT (self), "listing-repo", g_strdup (repo), g_free);
  g_object_set_data_full (G_OBJECT (self), "listing-file", g_steal_pointer (&file), g_free);
  text = g_strdup_printf (_("Listing the files of %s…"), repo);
  set_status (self, text, FALSE);
  set_busy (self, TRUE);
  data_dir = hearth_welcome_models_dup_data_dir ();
  log = hearth_network_log_new (data_dir);
  self->cancellable = g_cancellable_new ();
  hearth_hf_list_files_async (repo, log, self->cancellable, files_listed, g_object_ref (self));
}

static void
download_verified (HearthHfImportDialog *self,
                   const char           *path)
{
  gboolean load = gtk_check_button_get_active (self->load_check);

  set_busy (self, FALSE);
  hearth_download_progress_set_text (self->progress, load ? _("Downloaded and verified; loading it.")
                                                          : _("Downloaded and verified; added to your models."));
  g_signal_emit (self, signals[SIGNAL_MODEL_READY], 0, path, load);
}

static void
download_stopped (HearthHfImportDialog *self)
{
  set_busy (self, FALSE);
}

static void
hearth_hf_import_dialog_dispose (GObject *object)
{
  HearthHfImportDialog *self = HEARTH_HF_IMPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->machine, hearth_fit_machine_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_HF_IMPORT_DIALOG);
  g_clear_pointer (&self->buttons, g_ptr_array_unref);
  g_clear_pointer (&self->listed, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_hf_import_dialog_parent_class)->dispose (object);
}

static void
hearth_hf_import_dialog_class_init (HearthHfImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_hf_import_dialog_dispose;
  /* A verified file in DATA_DIR/models, and whether to load it. */
  signals[SIGNAL_MODEL_READY] = g_signal_new ("model-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                              G_TYPE_STRING, G_TYPE_BOOLEAN);
  g_type_ensure (HEARTH_TYPE_DOWNLOAD_PROGRESS);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-hf-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, address);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, list_button);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, status);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, files_group);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, files);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, load_check);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, progress_group);
  gtk_widget_class_bind_template_child (widget_class, HearthHfImportDialog, progress);
  gtk_widget_class_bind_template_callback (widget_class, list_clicked);
  gtk_widget_class_bind_template_callback (widget_class, download_verified);
  gtk_widget_class_bind_template_callback (widget_class, download_stopped);
}

static void
hearth_hf_import_dialog_init (HearthHfImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->buttons = g_ptr_array_new ();
  self->machine = hearth_fit_machine_new_current ();
}

HearthHfImportDialog *
hearth_hf_import_dialog_new (GtkWindow *parent)
{
  return g_object_new (HEARTH_TYPE_HF_IMPORT_DIALOG, "transient-for", parent, NULL);
}
