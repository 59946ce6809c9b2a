/* hearth-window-actions.c: the window's win.* actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each action asks the runtime; the views update from its properties and
 * list models, never from here.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-hf-import-dialog.h"
#include "hearth-models-dialog.h"
#include "hearth-network-log-window.h"
#include "hearth-tool-activity-window.h"
#include "hearth-welcome-models.h"
#include "hearth-window-private.h"

static void
new_chat (GtkWidget  *widget,
          const char *action,
          GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  gtk_list_box_unselect_all (self->conversation_list);
  hearth_window_open_conversation (self, 0);
  hearth_chat_view_focus_composer (self->chat_view);
}

static void
focus_search (GtkWidget  *widget,
              const char *action,
              GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
focus_composer (GtkWidget  *widget,
                const char *action,
                GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->content);
  hearth_chat_view_focus_composer (self->chat_view);
}

static void
stop_generation (GtkWidget  *widget,
                 const char *action,
                 GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  if (self->runtime != NULL)
    hearth_runtime_stop (self->runtime);
}

static void
edit_system_prompt (GtkWidget  *widget,
                    const char *action,
                    GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  if (self->runtime != NULL)
    hearth_chat_view_edit_system_prompt (self->chat_view);
}

/* ---- models ---- */

/* After the GPU device was lost: the same file with the same settings as
 * it last loaded with, or on the CPU (@param TRUE). The CPU is for this
 * session only: a lost device is most often back after a driver reset, and
 * the preference stays what the user chose. */
static void
reload_model (GtkWidget  *widget,
              const char *action,
              GVariant   *param)
{
  hearth_window_reload_model (HEARTH_WINDOW (widget), g_variant_get_boolean (param));
}

static void
dialog_load_model (HearthModelsDialog *dialog,
                   const char         *path,
                   HearthWindow       *self)
{
  gtk_window_close (GTK_WINDOW (dialog));
  hearth_window_load_model (self, path);
}

static void
dialog_unload_model (HearthModelsDialog *dialog,
                     HearthWindow       *self)
{
  hearth_runtime_unload_model (self->runtime);
  g_settings_set_string (self->settings, "default-model", "");
}

static void
show_models (GtkWidget  *widget,
             const char *action,
             GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  HearthModelsDialog *dialog;

  if (self->runtime == NULL)
    return;
  dialog = hearth_models_dialog_new (GTK_WINDOW (self), self->runtime);
  g_signal_connect_object (dialog, "load-model", G_CALLBACK (dialog_load_model), self, 0);
  g_signal_connect_object (dialog, "unload-model", G_CALLBACK (dialog_unload_model), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
file_chosen (const char *path,
             gpointer    user_data)
{
  hearth_window_load_model (HEARTH_WINDOW (user_data), path);
}

static void
add_model (GtkWidget  *widget,
           const char *action,
           GVariant   *param)
{
  hearth_models_choose_file (GTK_WINDOW (widget), file_chosen, g_object_ref (widget), g_object_unref);
}

/* A file imported from Hugging Face, verified: loaded (which adds it to
 * the models), or only added. */
static void
import_ready (HearthWindow *self,
              const char   *path,
              gboolean      load)
{
  g_autoptr(GError) error = NULL;

  if (load)
    hearth_window_load_model (self, path);
  else if (self->runtime != NULL &&
           hearth_model_registry_add (hearth_runtime_get_models (self->runtime), path, &error) == NULL)
    adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
}

static void
import_hf (GtkWidget  *widget,
           const char *action,
           GVariant   *param)
{
  HearthHfImportDialog *dialog = hearth_hf_import_dialog_new (GTK_WINDOW (widget));

  g_signal_connect_object (dialog, "model-ready", G_CALLBACK (import_ready), widget, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Every request Hearth made (model downloads), read from the data folder. */
static void
show_network_log (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  g_autofree char *data_dir = hearth_welcome_models_dup_data_dir ();

  gtk_window_present (GTK_WINDOW (hearth_network_log_window_new (GTK_WINDOW (widget), data_dir)));
}

/* ---- tools ---- */

static void
show_tool_activity (GtkWidget  *widget,
                    const char *action,
                    GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  if (self->runtime == NULL)
    return;
  gtk_window_present (GTK_WINDOW (hearth_tool_activity_window_new (GTK_WINDOW (self), self->runtime)));
}

/* ---- conversations ---- */

static void
pin_conversation (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  if (!hearth_runtime_toggle_pinned (self->runtime, g_variant_get_int64 (param), &error))
    hearth_window_toast (self, error->message);
}

static void
rename_response (AdwMessageDialog *dialog,
                 const char       *response,
                 HearthWindow     *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "conversation-id"));
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "rename") != 0)
    return;
  if (!hearth_runtime_rename_conversation (self->runtime, id, gtk_editable_get_text (entry), &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    hearth_window_toast (self, error->message);
}

static void
rename_conversation (GtkWidget  *widget,
                     const char *action,
                     GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  gint64 id = g_variant_get_int64 (param);
  g_autoptr(HearthConversation) conv = hearth_runtime_dup_conversation (self->runtime, id, NULL);
  GtkWidget *dialog;
  GtkWidget *entry = gtk_entry_new ();

  if (conv == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Rename Conversation"), NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), hearth_conversation_get_title (conv));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Title"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "rename", _("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "rename");
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "conversation-id", GSIZE_TO_POINTER (id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  HearthWindow *self;
  gint64        id;
  gboolean      undone;
} PendingDelete;

static void
delete_undo (AdwToast      *t,
             PendingDelete *pd)
{
  pd->undone = TRUE;
}

/* The toast is gone (timed out, dismissed or undone): only now is the
 * conversation really deleted, so Undo never has to restore anything. */
static void
delete_dismissed (AdwToast      *t,
                  PendingDelete *pd)
{
  HearthWindow *self = pd->self;
  g_autoptr(GError) error = NULL;

  if (pd->undone)
    hearth_runtime_unhide_conversation (self->runtime, pd->id);
  else if (!hearth_runtime_purge_hidden (self->runtime, pd->id, &error))
    g_warning ("Could not delete conversation %" G_GINT64_FORMAT ": %s", pd->id, error->message);
  g_object_unref (self);
  g_free (pd);
}

static gboolean
focus_composer_idle (gpointer data)
{
  HearthWindow *self = data;

  gtk_list_box_unselect_all (self->conversation_list);
  hearth_chat_view_focus_composer (self->chat_view);
  return G_SOURCE_REMOVE;
}

static void
delete_conversation (GtkWidget  *widget,
                     const char *action,
                     GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  gint64 id = g_variant_get_int64 (param);
  g_autoptr(HearthConversation) conv = hearth_runtime_dup_conversation (self->runtime, id, NULL);
  PendingDelete *pd;
  AdwToast *t;
  g_autofree char *text = NULL;

  if (conv == NULL)
    return;
  if (hearth_runtime_get_conversation_id (self->runtime) == id)
    {
      hearth_window_open_conversation (self, 0);
      /* The row menu's popover gives the focus back as it closes, and a
       * focused row is a selected one: send it to the composer instead,
       * after the popover is gone, so the new empty chat stays on show. */
      g_idle_add_full (G_PRIORITY_LOW, focus_composer_idle, g_object_ref (self), g_object_unref);
    }
  hearth_runtime_hide_conversation (self->runtime, id);

  pd = g_new0 (PendingDelete, 1);
  pd->self = g_object_ref (self);
  pd->id = id;
  text = g_strdup_printf (_("“%s” deleted"), hearth_conversation_get_title (conv));
  t = adw_toast_new (text);
  adw_toast_set_button_label (t, _("_Undo"));
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (t, "button-clicked", G_CALLBACK (delete_undo), pd);
  g_signal_connect (t, "dismissed", G_CALLBACK (delete_dismissed), pd);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

void
hearth_window_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL, new_chat);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, focus_search);
  gtk_widget_class_install_action (widget_class, "win.focus-composer", NULL, focus_composer);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_generation);
  gtk_widget_class_install_action (widget_class, "win.models", NULL, show_models);
  gtk_widget_class_install_action (widget_class, "win.add-model", NULL, add_model);
  gtk_widget_class_install_action (widget_class, "win.import-hf", NULL, import_hf);
  gtk_widget_class_install_action (widget_class, "win.reload-model", "b", reload_model);
  gtk_widget_class_install_action (widget_class, "win.system-prompt", NULL, edit_system_prompt);
  gtk_widget_class_install_action (widget_class, "win.tool-activity", NULL, show_tool_activity);
  gtk_widget_class_install_action (widget_class, "win.network-log", NULL, show_network_log);
  gtk_widget_class_install_action (widget_class, "win.pin-conversation", "x", pin_conversation);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", "x", rename_conversation);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", "x", delete_conversation);
}
