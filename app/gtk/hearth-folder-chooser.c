/* hearth-folder-chooser.c: asking the user for a folder, for plugins
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
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("No folder was chosen"));
}

void
hearth_folder_chooser_choose (GtkWindow          *parent,
                              const char         *title,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  const char *test_folder = g_getenv ("HEARTH_TEST_FOLDER");
  GtkFileChooserNative *native;

  /* Test seam (tests/ui/test-ui-docs.py): the portal's dialog is another
   * process that AT-SPI under Xvfb cannot drive; this answers as if the
   * user had picked HEARTH_TEST_FOLDER. */
  if (test_folder != NULL && g_path_is_absolute (test_folder))
    {
      g_task_return_pointer (task, g_strdup (test_folder), g_free);
      g_object_unref (task);
      return;
    }
  native = gtk_file_chooser_native_new (title != NULL ? title : _("Choose a Folder"), parent,
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                              _("_Select"), _("_Cancel"));

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
