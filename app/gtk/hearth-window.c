/* hearth-window.c: the main window: conversations on the side, the chat, the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-conversation-row.h"
#include "hearth-engine-worker.h"
#include "hearth-models-dialog.h"
#include "hearth-store.h"
#include "hearth-window.h"

struct _HearthWindow
{
  AdwApplicationWindow parent_instance;

  GSettings          *settings;
  HearthStore        *store;
  HearthTokenBatcher *batcher;
  HearthEngineWorker *worker;
  char               *startup_model;
  char               *loading_path;
  gboolean            refreshing;      /* rebuilding the sidebar: selections are not the user's */
  GHashTable         *pending_deletes; /* conversation ids hidden, deleted when their toast goes */
  GCancellable       *open_cancellable;

  AdwToastOverlay    *toast_overlay;
  AdwLeaflet         *leaflet;
  GtkWidget          *sidebar;
  GtkWidget          *content;
  GtkSearchEntry     *search_entry;
  GtkListBox         *conversation_list;
  GtkWidget          *back_button;
  AdwWindowTitle     *chat_title;
  GtkLabel           *model_label;
  GtkSpinner         *model_spinner;
  GtkStack           *main_stack;
  AdwStatusPage      *welcome_page;
  AdwStatusPage      *error_page;
  HearthChatView     *chat_view;
};

G_DEFINE_FINAL_TYPE (HearthWindow, hearth_window, ADW_TYPE_APPLICATION_WINDOW)

static void
toast (HearthWindow *self,
       const char   *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
chat_error (HearthChatView *view,
            const char     *message,
            HearthWindow   *self)
{
  toast (self, message);
}

/* The welcome page until there is a model or a conversation to show. */
static void
update_page (HearthWindow *self)
{
  if (self->store == NULL)
    return;
  if (hearth_engine_worker_is_loaded (self->worker) || self->loading_path != NULL ||
      hearth_chat_view_get_conversation (self->chat_view) != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "chat");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

static void
update_title (HearthWindow *self)
{
  gint64 id = hearth_chat_view_get_conversation (self->chat_view);
  g_autoptr(HearthConversation) conv = NULL;

  if (id != 0 && self->store != NULL)
    conv = hearth_store_get_conversation (self->store, id, NULL);
  adw_window_title_set_title (self->chat_title, conv ? hearth_conversation_get_title (conv) : _("New Chat"));
}

/* After a rebuild has settled: the selection shows the open conversation. */
static gboolean
refresh_settled (gpointer data)
{
  HearthWindow *self = data;
  gint64 current = hearth_chat_view_get_conversation (self->chat_view);
  GtkWidget *child;

  gtk_list_box_unselect_all (self->conversation_list);
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child) &&
          hearth_conversation_row_get_id (HEARTH_CONVERSATION_ROW (child)) == current && current != 0)
        gtk_list_box_select_row (self->conversation_list, GTK_LIST_BOX_ROW (child));
    }
  self->refreshing = FALSE;
  return G_SOURCE_REMOVE;
}

static void
refresh_sidebar (HearthWindow *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(GError) error = NULL;
  gint64 current = hearth_chat_view_get_conversation (self->chat_view);
  GtkWidget *child;

  if (self->store == NULL)
    return;
  /* Removing the focused row moves the focus, and with it the selection,
   * to another row, now or as the focus settles: that must not open another
   * conversation. Selections are ignored until refresh_settled() runs. */
  if (!self->refreshing)
    {
      self->refreshing = TRUE;
      g_idle_add_full (G_PRIORITY_LOW, refresh_settled, g_object_ref (self), g_object_unref);
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list))) != NULL)
    gtk_list_box_remove (self->conversation_list, child);

  if (query != NULL && query[0] != '\0')
    {
      g_autoptr(GPtrArray) hits = hearth_store_search (self->store, query, 0, 50, &error);

      for (guint i = 0; hits != NULL && i < hits->len; i++)
        {
          HearthSearchResult *r = g_ptr_array_index (hits, i);

          if (g_hash_table_contains (self->pending_deletes, &r->conversation_id))
            continue;
          gtk_list_box_append (self->conversation_list,
                               hearth_conversation_row_new_for_hit (r->conversation_id, r->conversation_title,
                                                                    r->snippet));
        }
      /* A half-typed query is not an error worth a toast. */
      return;
    }

  {
    g_autoptr(GPtrArray) convs = hearth_store_list_conversations (self->store, HEARTH_STORE_LIST_DEFAULT, 0, 500, &error);

    if (convs == NULL)
      {
        toast (self, error->message);
        return;
      }
    for (guint i = 0; i < convs->len; i++)
      {
        HearthConversation *c = g_ptr_array_index (convs, i);
        gint64 id = hearth_conversation_get_id (c);
        GtkWidget *row;

        if (g_hash_table_contains (self->pending_deletes, &id))
          continue;
        row = hearth_conversation_row_new (c);
        gtk_list_box_append (self->conversation_list, row);
        if (id == current)
          gtk_list_box_select_row (self->conversation_list, GTK_LIST_BOX_ROW (row));
      }
  }
}

static void
conversation_changed (HearthChatView *view,
                      gint64          id,
                      HearthWindow   *self)
{
  refresh_sidebar (self);
  update_title (self);
}

static void
open_conversation (HearthWindow *self,
                   gint64        id)
{
  hearth_chat_view_set_conversation (self->chat_view, id);
  update_title (self);
  update_page (self);
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
row_activated (GtkListBox    *box,
               GtkListBoxRow *row,
               HearthWindow  *self)
{
  open_conversation (self, hearth_conversation_row_get_id (HEARTH_CONVERSATION_ROW (row)));
  hearth_chat_view_focus_composer (self->chat_view);
}

/* Selecting a row (the keyboard, or assistive technology's selection
 * interface, which has no "activate") opens it as well. */
static void
row_selected (GtkListBox    *box,
              GtkListBoxRow *row,
              HearthWindow  *self)
{
  gint64 id;

  if (row == NULL || self->refreshing)
    return;
  id = hearth_conversation_row_get_id (HEARTH_CONVERSATION_ROW (row));
  if (id != hearth_chat_view_get_conversation (self->chat_view))
    open_conversation (self, id);
}

static void
batch_ready (guint64     generation,
             const char *text,
             gsize       len,
             gpointer    user_data)
{
  HearthWindow *self = user_data;

  hearth_chat_view_stream (self->chat_view, generation, text, len);
}

/* ---- models ---- */

static void
model_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HearthWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_steal_pointer (&self->loading_path);
  gboolean ok = hearth_engine_worker_load_finish (HEARTH_ENGINE_WORKER (source), result, &error);

  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  gtk_spinner_stop (self->model_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->model_spinner), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reload-model", TRUE);
  if (!ok)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *heading = g_strdup_printf (_("“%s” Cannot Be Used"), base);
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      gtk_label_set_text (self->model_label, _("No Model"));
    }
  else
    {
      g_autofree char *base = g_path_get_basename (path);

      gtk_label_set_text (self->model_label, base);
      hearth_models_remember (self->settings, path);
      g_settings_set_string (self->settings, "default-model", path);
      hearth_application_mark_time ("model-loaded");
    }
  hearth_chat_view_model_changed (self->chat_view);
  update_page (self);
  if (ok)
    hearth_chat_view_focus_composer (self->chat_view);
}

static void
load_model_with (HearthWindow                 *self,
                 const char                   *path,
                 const HearthWorkerLoadParams *p)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *loading = g_strdup_printf (_("Loading %s…"), base);

  if (self->loading_path != NULL)
    return;
  if (hearth_chat_view_is_generating (self->chat_view))
    hearth_chat_view_stop (self->chat_view);
  self->loading_path = g_strdup (path);
  gtk_label_set_text (self->model_label, loading);
  gtk_spinner_start (self->model_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->model_spinner), TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reload-model", FALSE);
  hearth_engine_worker_load_async (self->worker, self->loading_path, p, model_loaded, g_object_ref (self));
  update_page (self);
}

void
hearth_window_load_model (HearthWindow *self,
                          const char   *path)
{
  HearthWorkerLoadParams p = { 0 };
  g_autofree char *device = g_settings_get_string (self->settings, "gpu-device");

  p.backend = g_strcmp0 (device, "vulkan") == 0 ? HEARTH_BACKEND_VULKAN : HEARTH_BACKEND_CPU;
  p.n_ctx = g_settings_get_uint (self->settings, "context-length");
  p.n_gpu_layers = g_settings_get_int (self->settings, "gpu-layers");
  load_model_with (self, path, &p);
}

/* After the GPU device was lost: the same file with the same settings as
 * it last loaded with, or on the CPU (@param TRUE). The CPU is for this
 * session only: a lost device is most often back after a driver reset, and
 * the preference stays what the user chose. */
static void
reload_model (GtkWidget  *widget,
              const char *action,
              GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  HearthWorkerLoadParams p;
  const char *last;
  g_autofree char *path = NULL;

  if (!hearth_engine_worker_get_last_load (self->worker, &last, &p))
    return;
  if (g_variant_get_boolean (param))
    p.backend = HEARTH_BACKEND_CPU;
  path = g_strdup (last);
  load_model_with (self, path, &p);
}

static void
chat_model_lost (HearthChatView *view,
                 HearthWindow   *self)
{
  gtk_label_set_text (self->model_label, _("No Model"));
  update_page (self);
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
  hearth_engine_worker_unload (self->worker);
  g_settings_set_string (self->settings, "default-model", "");
  gtk_label_set_text (self->model_label, _("No Model"));
  hearth_chat_view_model_changed (self->chat_view);
  update_page (self);
}

static void
show_models (GtkWidget  *widget,
             const char *action,
             GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  HearthModelsDialog *dialog = hearth_models_dialog_new (GTK_WINDOW (self), self->settings,
                                                         hearth_engine_worker_get_model_path (self->worker));

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

/* ---- conversations ---- */

static void
new_chat (GtkWidget  *widget,
          const char *action,
          GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);

  gtk_list_box_unselect_all (self->conversation_list);
  open_conversation (self, 0);
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
  hearth_chat_view_stop (HEARTH_WINDOW (widget)->chat_view);
}

static void
edit_system_prompt (GtkWidget  *widget,
                    const char *action,
                    GVariant   *param)
{
  hearth_chat_view_edit_system_prompt (HEARTH_WINDOW (widget)->chat_view);
}

static void
pin_conversation (GtkWidget  *widget,
                  const char *action,
                  GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  gint64 id = g_variant_get_int64 (param);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, id, &error);

  if (conv == NULL ||
      !hearth_store_set_pinned (self->store, id, !hearth_conversation_get_pinned (conv), &error))
    toast (self, error->message);
  refresh_sidebar (self);
}

static void
rename_response (AdwMessageDialog *dialog,
                 const char       *response,
                 HearthWindow     *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "conversation-id"));
  g_autofree char *title = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "rename") != 0)
    return;
  title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  if (title[0] == '\0')
    return;
  if (!hearth_store_rename_conversation (self->store, id, title, &error))
    toast (self, error->message);
  refresh_sidebar (self);
  update_title (self);
}

static void
rename_conversation (GtkWidget  *widget,
                     const char *action,
                     GVariant   *param)
{
  HearthWindow *self = HEARTH_WINDOW (widget);
  gint64 id = g_variant_get_int64 (param);
  g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, id, NULL);
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

  /* Not pending any more: the window's close already deleted it. */
  if (!g_hash_table_remove (self->pending_deletes, &pd->id))
    pd->undone = TRUE;
  if (!pd->undone && self->store != NULL &&
      !hearth_store_delete_conversation (self->store, pd->id, &error))
    g_warning ("Could not delete conversation %" G_GINT64_FORMAT ": %s", pd->id, error->message);
  if (!gtk_widget_in_destruction (GTK_WIDGET (self)))
    refresh_sidebar (self);
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
  g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, id, NULL);
  PendingDelete *pd;
  AdwToast *t;
  g_autofree char *text = NULL;
  gint64 *key;

  if (conv == NULL)
    return;
  if (hearth_chat_view_get_conversation (self->chat_view) == id)
    {
      open_conversation (self, 0);
      /* The row menu's popover gives the focus back as it closes, and a
       * focused row is a selected one: send it to the composer instead,
       * after the popover is gone, so the new empty chat stays on show. */
      g_idle_add_full (G_PRIORITY_LOW, focus_composer_idle, g_object_ref (self), g_object_unref);
    }
  key = g_new (gint64, 1);
  *key = id;
  g_hash_table_add (self->pending_deletes, key);
  refresh_sidebar (self);

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

static void
search_changed (GtkSearchEntry *entry,
                HearthWindow   *self)
{
  refresh_sidebar (self);
}

/* ---- the store ---- */

typedef struct
{
  GMutex    mutex;
  GCond     cond;
  gboolean  done;
  gboolean  creating;
  char     *passphrase;
  HearthWindow *window;
  guint     attempt;   /* > 0: the last passphrase was wrong */
} PassphraseRequest;

typedef struct
{
  HearthWindow *window;
  guint         attempt;
} OpenContext;

static void
passphrase_response (AdwMessageDialog  *dialog,
                     const char        *response,
                     PassphraseRequest *req)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  GtkEditable *confirm = g_object_get_data (G_OBJECT (dialog), "confirm");
  const char *text = gtk_editable_get_text (entry);

  g_mutex_lock (&req->mutex);
  if (g_strcmp0 (response, "unlock") == 0 && text[0] != '\0' &&
      (confirm == NULL || g_strcmp0 (text, gtk_editable_get_text (confirm)) == 0))
    req->passphrase = g_strdup (text);
  req->done = TRUE;
  g_cond_signal (&req->cond);
  g_mutex_unlock (&req->mutex);
}

/* A plain entry with hidden text: GTK 4.8's GtkPasswordEntry keeps a
 * caps-lock handler on the display after it is destroyed, which fires on
 * the next keyboard state change and touches the dead widget. */
static GtkWidget *
secret_entry_new (const char *label)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return entry;
}

static gboolean
show_passphrase_dialog (gpointer data)
{
  PassphraseRequest *req = data;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *entry = secret_entry_new (_("Passphrase"));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (req->window),
                                   req->creating ? _("Choose a Passphrase") : _("Unlock History"),
                                   req->creating
                                   ? _("There is no keyring on this system. Your chat history will be encrypted with this passphrase; it cannot be recovered if you forget it.")
                                   : req->attempt > 0
                                   ? _("That passphrase is not the right one. Try again.")
                                   : _("Enter the passphrase that encrypts your chat history."));
  gtk_box_append (GTK_BOX (box), entry);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  if (req->creating)
    {
      GtkWidget *confirm = secret_entry_new (_("Repeat the passphrase"));
      gtk_box_append (GTK_BOX (box), confirm);
      g_object_set_data (G_OBJECT (dialog), "confirm", confirm);
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "unlock", req->creating ? _("_Create") : _("_Unlock"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "unlock", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "unlock");
  g_signal_connect (dialog, "response", G_CALLBACK (passphrase_response), req);
  gtk_window_present (GTK_WINDOW (dialog));
  return G_SOURCE_REMOVE;
}

/* Runs on the store-opening thread: asks on the main thread and waits. */
static char *
ask_passphrase (gboolean creating,
                gpointer user_data)
{
  OpenContext *ctx = user_data;
  PassphraseRequest req = { 0 };
  char *result;

  g_mutex_init (&req.mutex);
  g_cond_init (&req.cond);
  req.creating = creating;
  req.window = ctx->window;
  req.attempt = ctx->attempt;
  g_main_context_invoke (NULL, show_passphrase_dialog, &req);
  g_mutex_lock (&req.mutex);
  while (!req.done)
    g_cond_wait (&req.cond, &req.mutex);
  result = req.passphrase;
  g_mutex_unlock (&req.mutex);
  g_mutex_clear (&req.mutex);
  g_cond_clear (&req.cond);
  return result;
}

static void
open_store_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  HearthStoreParams params;
  GError *error = NULL;
  HearthStore *store;
  OpenContext ctx = { source, 0 };

  hearth_store_params_init (&params);
  params.data_dir = g_getenv ("HEARTH_DATA_DIR");
  params.key_source = HEARTH_STORE_KEY_AUTO;
  params.passphrase_func = ask_passphrase;
  params.passphrase_data = &ctx;
  /* A wrong passphrase asks again. */
  for (ctx.attempt = 0; ctx.attempt < 5; ctx.attempt++)
    {
      g_clear_error (&error);
      store = hearth_store_open (&params, &error);
      if (store != NULL)
        {
          g_task_return_pointer (task, store, g_object_unref);
          return;
        }
      if (!g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY))
        break;
    }
  g_task_return_error (task, error);
}

static void
store_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HearthWindow *self = HEARTH_WINDOW (source);
  g_autoptr(GError) error = NULL;
  HearthStore *store = g_task_propagate_pointer (G_TASK (result), &error);

  if (store == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }
  self->store = store;
  hearth_chat_view_setup (self->chat_view, self->store, self->worker, self->batcher, self->settings);
  hearth_application_mark_time ("store-open");
  refresh_sidebar (self);
  update_page (self);

  {
    g_autofree char *def = g_settings_get_string (self->settings, "default-model");
    const char *path = self->startup_model ? self->startup_model : def;

    if (path != NULL && path[0] != '\0')
      hearth_window_load_model (self, path);
  }
  hearth_chat_view_focus_composer (self->chat_view);
}

/* ---- window ---- */

static void
window_mapped (HearthWindow *self)
{
  hearth_application_mark_time ("window-mapped");
}

static gboolean
hearth_window_close_request (GtkWindow *window)
{
  HearthWindow *self = HEARTH_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  hearth_chat_view_stop (self->chat_view);
  /* Deletions still waiting on their undo toast happen now. */
  if (self->store != NULL)
    {
      GHashTableIter iter;
      gint64 *id;

      g_hash_table_iter_init (&iter, self->pending_deletes);
      while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
        hearth_store_delete_conversation (self->store, *id, NULL);
      g_hash_table_remove_all (self->pending_deletes);
    }
  return GTK_WINDOW_CLASS (hearth_window_parent_class)->close_request (window);
}

static void
hearth_window_dispose (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  g_cancellable_cancel (self->open_cancellable);
  if (self->batcher != NULL)
    hearth_token_batcher_detach (self->batcher);
  /* A reply finishing after this (its completion holds the chat view) must
   * not call back into a window that is going away. */
  if (self->chat_view != NULL)
    g_signal_handlers_disconnect_by_data (self->chat_view, self);
  /* Stops a reply between two tokens and joins the engine thread. */
  if (self->worker != NULL)
    hearth_engine_worker_shutdown (self->worker);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_WINDOW);
  g_clear_object (&self->worker);
  G_OBJECT_CLASS (hearth_window_parent_class)->dispose (object);
}

static void
hearth_window_finalize (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->open_cancellable);
  g_clear_pointer (&self->batcher, hearth_token_batcher_unref);
  g_clear_pointer (&self->pending_deletes, g_hash_table_unref);
  g_free (self->startup_model);
  g_free (self->loading_path);
  G_OBJECT_CLASS (hearth_window_parent_class)->finalize (object);
}

static void
hearth_window_class_init (HearthWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = hearth_window_dispose;
  object_class->finalize = hearth_window_finalize;
  window_class->close_request = hearth_window_close_request;

  g_type_ensure (HEARTH_TYPE_CHAT_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, content);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_title);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, model_label);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, model_spinner);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_view);

  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL, new_chat);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, focus_search);
  gtk_widget_class_install_action (widget_class, "win.focus-composer", NULL, focus_composer);
  gtk_widget_class_install_action (widget_class, "win.stop", NULL, stop_generation);
  gtk_widget_class_install_action (widget_class, "win.models", NULL, show_models);
  gtk_widget_class_install_action (widget_class, "win.add-model", NULL, add_model);
  gtk_widget_class_install_action (widget_class, "win.reload-model", "b", reload_model);
  gtk_widget_class_install_action (widget_class, "win.system-prompt", NULL, edit_system_prompt);
  gtk_widget_class_install_action (widget_class, "win.pin-conversation", "x", pin_conversation);
  gtk_widget_class_install_action (widget_class, "win.rename-conversation", "x", rename_conversation);
  gtk_widget_class_install_action (widget_class, "win.delete-conversation", "x", delete_conversation);
}

/* Escape stops a reply from anywhere in the window, after the focused
 * widget had its chance (a popover or the search entry uses it first). */
static gboolean
window_key_pressed (GtkEventControllerKey *controller,
                    guint                  keyval,
                    guint                  keycode,
                    GdkModifierType        state,
                    HearthWindow          *self)
{
  if (keyval == GDK_KEY_Escape && hearth_chat_view_is_generating (self->chat_view))
    {
      hearth_chat_view_stop (self->chat_view);
      return TRUE;
    }
  return FALSE;
}

static void
back_clicked (HearthWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
hearth_window_init (HearthWindow *self)
{
  g_autofree char *welcome = NULL;
  g_autofree char *shared = g_build_filename (HEARTH_SHARED_DIR_DEFAULT, "models", "stories260K",
                                              "stories260K-f32.gguf", NULL);
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (HEARTH_APP_ID);
  self->pending_deletes = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->open_cancellable = g_cancellable_new ();
  self->batcher = hearth_token_batcher_new (NULL, 24, batch_ready, self);
  self->worker = hearth_engine_worker_new (self->batcher);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  welcome = g_strdup_printf (_("Hearth runs language models on this computer; nothing leaves it.\n"
                               "Add a model in the GGUF format to start: choose “Add a Model…” and pick a .gguf file.\n"
                               "Developers of this repository can start with the small test model\n%s"),
                             shared);
  adw_status_page_set_description (self->welcome_page, welcome);

  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed), self);
  g_signal_connect (self->conversation_list, "row-activated", G_CALLBACK (row_activated), self);
  g_signal_connect (self->conversation_list, "row-selected", G_CALLBACK (row_selected), self);
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (back_clicked), self);
  g_signal_connect (self->chat_view, "conversation-changed", G_CALLBACK (conversation_changed), self);
  g_signal_connect (self->chat_view, "error", G_CALLBACK (chat_error), self);
  g_signal_connect (self->chat_view, "model-lost", G_CALLBACK (chat_model_lost), self);
  g_signal_connect (self, "map", G_CALLBACK (window_mapped), NULL);
  keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (window_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

HearthWindow *
hearth_window_new (AdwApplication *app,
                   const char     *model_path)
{
  HearthWindow *self = g_object_new (HEARTH_TYPE_WINDOW, "application", app, NULL);
  g_autoptr(GTask) task = NULL;

  self->startup_model = g_strdup (model_path);
  /* Unlocking may derive a key from a passphrase (PBKDF2, ~150 ms) or wait
   * on the keyring: never on the main thread. */
  task = g_task_new (self, self->open_cancellable, store_opened, NULL);
  g_task_run_in_thread (task, open_store_thread);
  return self;
}
