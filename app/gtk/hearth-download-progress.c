/* hearth-download-progress.c: one model download's progress, with Pause and Cancel, for the dialogs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The text follows the download's "received" notifications; a notice (a
 * restart from zero, say) goes into the tooltip. After a failure the
 * Pause button becomes Try Again, which resumes where the partial file
 * ends.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-download.h"
#include "hearth-download-progress.h"
#include "hearth-welcome-models.h"

struct _HearthDownloadProgress
{
  GtkBox          parent_instance;

  GtkWidget      *bar;
  GtkWidget      *text;
  GtkWidget      *pause;
  GtkWidget      *cancel;
  HearthDownload *download;
};

G_DEFINE_FINAL_TYPE (HearthDownloadProgress, hearth_download_progress, GTK_TYPE_BOX)

enum { SIGNAL_VERIFIED, SIGNAL_STOPPED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_pause_button (HearthDownloadProgress *self,
                  const char             *label,
                  const char             *accessible)
{
  gtk_button_set_label (GTK_BUTTON (self->pause), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static void
show_text (HearthDownloadProgress *self,
           const char             *text,
           gboolean                is_error)
{
  gtk_label_set_text (GTK_LABEL (self->text), text);
  if (is_error)
    gtk_widget_add_css_class (self->text, "error");
  else
    gtk_widget_remove_css_class (self->text, "error");
}

static void
received_changed (HearthDownloadProgress *self)
{
  g_autofree char *text = hearth_download_dup_progress_text (self->download);
  guint64 total = hearth_download_get_total (self->download);

  show_text (self, text, FALSE);
  if (total > 0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->bar),
                                   (double) hearth_download_get_received (self->download) / (double) total);
  else
    gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->bar));
}

static void
notice_changed (HearthDownloadProgress *self)
{
  gtk_widget_set_tooltip_text (self->text, hearth_download_get_notice (self->download));
}

static void
drop_download (HearthDownloadProgress *self)
{
  if (self->download == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->download, self);
  g_clear_object (&self->download);
}

static void
download_finished (HearthDownloadProgress *self)
{
  g_autofree char *dest = g_strdup (hearth_download_get_dest (self->download));

  switch (hearth_download_get_state (self->download))
    {
    case HEARTH_DOWNLOAD_DONE:
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->bar), 1);
      show_text (self, _("Downloaded and verified"), FALSE);
      gtk_widget_set_visible (self->pause, FALSE);
      gtk_widget_set_visible (self->cancel, FALSE);
      drop_download (self);
      g_signal_emit (self, signals[SIGNAL_VERIFIED], 0, dest);
      break;
    case HEARTH_DOWNLOAD_PAUSED:
      set_pause_button (self, _("_Resume"), _("Resume the download"));
      break;
    case HEARTH_DOWNLOAD_CANCELLED:
      drop_download (self);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      break;
    case HEARTH_DOWNLOAD_FAILED:
    default:
      show_text (self, hearth_download_get_error (self->download)->message, TRUE);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->bar), 0);
      set_pause_button (self, _("_Try Again"), _("Try the download again"));
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      break;
    }
}

static void
pause_clicked (HearthDownloadProgress *self)
{
  if (self->download == NULL)
    return;
  if (hearth_download_get_state (self->download) == HEARTH_DOWNLOAD_RUNNING)
    {
      hearth_download_pause (self->download);
      return;
    }
  set_pause_button (self, _("_Pause"), _("Pause the download"));
  show_text (self, _("Resuming the download…"), FALSE);
  hearth_download_start (self->download);
}

static void
cancel_clicked (HearthDownloadProgress *self)
{
  if (self->download == NULL)
    return;
  hearth_download_cancel (self->download);
  /* A download that was not running is cancelled at once, without "finished". */
  if (self->download != NULL && hearth_download_get_state (self->download) == HEARTH_DOWNLOAD_CANCELLED)
    download_finished (self);
}

void
hearth_download_progress_start (HearthDownloadProgress *self,
                                const char             *url,
                                const char             *dest,
                                const char             *sha256,
                                guint64                 size)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();
  g_autoptr(HearthNetworkLog) log = hearth_network_log_new (data_dir);

  g_return_if_fail (HEARTH_IS_DOWNLOAD_PROGRESS (self));

  if (self->download != NULL)
    hearth_download_pause (self->download);
  drop_download (self);
  self->download = hearth_download_new (url, dest, log);
  hearth_download_set_expected (self->download, sha256, size);
  g_signal_connect_swapped (self->download, "notify::received", G_CALLBACK (received_changed), self);
  g_signal_connect_swapped (self->download, "notify::notice", G_CALLBACK (notice_changed), self);
  g_signal_connect_swapped (self->download, "finished", G_CALLBACK (download_finished), self);
  set_pause_button (self, _("_Pause"), _("Pause the download"));
  gtk_widget_set_visible (self->pause, TRUE);
  gtk_widget_set_visible (self->cancel, TRUE);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->bar), 0);
  show_text (self, _("Starting the download…"), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  hearth_download_start (self->download);
}

gboolean
hearth_download_progress_get_busy (HearthDownloadProgress *self)
{
  g_return_val_if_fail (HEARTH_IS_DOWNLOAD_PROGRESS (self), FALSE);
  return self->download != NULL;
}

void
hearth_download_progress_set_text (HearthDownloadProgress *self,
                                   const char             *text)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD_PROGRESS (self));
  show_text (self, text, FALSE);
}

static void
hearth_download_progress_dispose (GObject *object)
{
  HearthDownloadProgress *self = HEARTH_DOWNLOAD_PROGRESS (object);

  if (self->download != NULL)
    hearth_download_pause (self->download);
  drop_download (self);
  G_OBJECT_CLASS (hearth_download_progress_parent_class)->dispose (object);
}

static void
hearth_download_progress_class_init (HearthDownloadProgressClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_download_progress_dispose;
  signals[SIGNAL_VERIFIED] = g_signal_new ("verified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_download_progress_init (HearthDownloadProgress *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  self->bar = gtk_progress_bar_new ();
  self->text = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->text), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->text), 0);
  gtk_label_set_selectable (GTK_LABEL (self->text), FALSE);
  self->pause = gtk_button_new_with_mnemonic (_("_Pause"));
  self->cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Cancel the download"), -1);
  g_signal_connect_swapped (self->pause, "clicked", G_CALLBACK (pause_clicked), self);
  g_signal_connect_swapped (self->cancel, "clicked", G_CALLBACK (cancel_clicked), self);
  gtk_widget_set_halign (row, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (row), self->pause);
  gtk_box_append (GTK_BOX (row), self->cancel);
  gtk_box_append (GTK_BOX (self), self->bar);
  gtk_box_append (GTK_BOX (self), self->text);
  gtk_box_append (GTK_BOX (self), row);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
hearth_download_progress_new (void)
{
  return g_object_new (HEARTH_TYPE_DOWNLOAD_PROGRESS, NULL);
}
