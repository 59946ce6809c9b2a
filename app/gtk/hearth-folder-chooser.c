/* hearth-folder-chooser.c: asking the user for a folder (or a file), for plugins and documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-folder-chooser.h"

static void
native_response (GtkNativeDialog *native,
                 int              response,
                 gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GFile) file = NULL;
  GtkFileChooserAction action = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (native));
  char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  if (file != NULL)
    path = g_file_get_path (file);
  gtk_native_dialog_destroy (native);
  g_object_unref (native);
  if (g_task_return_error_if_cancelled (task))
    g_free (path);
  else if (path != NULL)
    g_task_return_pointer (task, path, g_free);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                             action == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER ? _("No folder was chosen")
                                                                             : _("No file was chosen"));
}

/* Test seam (tests/ui): the portal's dialog is another process that
 * AT-SPI under Xvfb cannot drive; when @variable holds an absolute path,
 * this answers as if the user had picked it. */
static gboolean
answer_for_tests (GTask      *task,
                  const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL || !g_path_is_absolute (path))
    return FALSE;
  g_task_return_pointer (task, g_strdup (path), g_free);
  g_object_unref (task);
  return TRUE;
}

void
hearth_folder_chooser_choose (GtkWindow          *parent,
                              const char         *title,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  GtkFileChooserNative *native;

  if (answer_for_tests (task, "HEARTH_TEST_FOLDER"))
    return;
  native = gtk_file_chooser_native_new (title != NULL ? title : _("Choose a Folder"), parent,
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                              _("_Select"), _("_Cancel"));

  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (native_response), task);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

void
hearth_folder_chooser_choose_file (GtkWindow          *parent,
                                   const char         *title,
                                   const char         *filter_name,
                                   const char         *pattern,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  if (answer_for_tests (task, "HEARTH_TEST_FILE"))
    return;
  native = gtk_file_chooser_native_new (title != NULL ? title : _("Choose a File"), parent,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Select"), _("_Cancel"));
  gtk_file_filter_set_name (filter, filter_name);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (native_response), task);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

char *
hearth_folder_chooser_choose_finish (GAsyncResult *result,
                                     GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
manager_choose (const char         *plugin_id,
                const char         *title,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            callback_data,
                gpointer            user_data)
{
  hearth_folder_chooser_choose (GTK_WINDOW (user_data), title, cancellable, callback, callback_data);
}

void
hearth_folder_chooser_install (HearthPluginManager *manager,
                               GtkWindow           *parent)
{
  hearth_plugin_manager_set_folder_chooser (manager, manager_choose, hearth_folder_chooser_choose_finish, parent);
}
