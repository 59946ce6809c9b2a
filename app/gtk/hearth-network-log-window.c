/* hearth-network-log-window.c: the network log, listed for the user
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-network-log.h"
#include "hearth-network-log-window.h"

struct _HearthNetworkLogWindow
{
  AdwWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (HearthNetworkLogWindow, hearth_network_log_window, ADW_TYPE_WINDOW)

static void
hearth_network_log_window_class_init (HearthNetworkLogWindowClass *klass)
{
}

static void
hearth_network_log_window_init (HearthNetworkLogWindow *self)
{
}

GtkWidget *
hearth_network_log_window_new (GtkWindow  *parent,
                               const char *data_dir)
{
  HearthNetworkLogWindow *self = g_object_new (HEARTH_TYPE_NETWORK_LOG_WINDOW,
                                               "transient-for", parent, "modal", TRUE,
                                               "title", _("Network Log"),
                                               "default-width", 640, "default-height", 480, NULL);
  g_autoptr(HearthNetworkLog) log = hearth_network_log_new (data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = hearth_network_log_read (log, &error);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
                                         _("Hearth makes no request you did not ask for. Every one it made is listed here."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  if (entries == NULL || entries->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     entries == NULL ? error->message : _("No requests yet"));
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  for (guint i = entries != NULL ? entries->len : 0; i > 0; i--)
    {
      const HearthNetworkLogEntry *e = g_ptr_array_index (entries, i - 1);
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (e->time / G_USEC_PER_SEC);
      g_autofree char *when = t != NULL ? g_date_time_format (t, "%x %X") : g_strdup ("");
      g_autofree char *size = g_format_size (e->bytes);
      g_autofree char *title = g_strdup_printf ("%s %s%s", e->method, e->host, e->path);
      g_autofree char *subtitle = g_strdup_printf (_("%s · HTTP %u · %s received"), when, e->status, size);
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
    }
  /* The page scrolls itself. */
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (ADW_WINDOW (self), box);
  return GTK_WIDGET (self);
}
