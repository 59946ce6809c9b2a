/* hearth-window.c: the main window: conversations on the side, the chat, the model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view of the runtime: the sidebar is bound to its conversation list,
 * the header's model button and the pages follow its properties. The
 * actions are in hearth-window-actions.c, opening the store in
 * hearth-window-unlock.c.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-api-service.h"
#include "hearth-application.h"
#include "hearth-conversation-row.h"
#include "hearth-folder-chooser.h"
#include "hearth-tool-approval-dialog.h"
#include "hearth-welcome-models.h"
#include "hearth-window-private.h"

G_DEFINE_FINAL_TYPE (HearthWindow, hearth_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  SIGNAL_RUNTIME_READY,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

void
hearth_window_toast (HearthWindow *self,
                     const char   *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
chat_error (HearthChatView *view,
            const char     *message,
            HearthWindow   *self)
{
  hearth_window_toast (self, message);
}

static void
runtime_error (HearthRuntime *runtime,
               const char    *message,
               HearthWindow  *self)
{
  hearth_window_toast (self, message);
}

/* A remote model is about to get passages of the user's documents. */
static void
passages_sent (HearthRuntime *runtime,
               guint          n_passages,
               const char    *host,
               HearthWindow  *self)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (NULL, "%u passage of your documents was sent to %s",
                                                        "%u passages of your documents were sent to %s", n_passages),
                                           n_passages, host);

  hearth_window_toast (self, text);
}

/* The welcome page until there is a model or a conversation to show. */
static void
update_page (HearthWindow *self)
{
  if (self->runtime == NULL)
    return;
  if (hearth_runtime_get_model_loaded (self->runtime) || hearth_runtime_get_loading (self->runtime) ||
      hearth_runtime_get_conversation_id (self->runtime) != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "chat");
  else
    gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

static void
update_title (HearthWindow *self)
{
  gint64 id = self->runtime != NULL ? hearth_runtime_get_conversation_id (self->runtime) : 0;
  g_autoptr(HearthConversation) conv = NULL;

  if (id != 0)
    conv = hearth_runtime_dup_conversation (self->runtime, id, NULL);
  adw_window_title_set_title (self->chat_title, conv ? hearth_conversation_get_title (conv) : _("New Chat"));
}

/* The header's model button: what is loaded, or loading. */
static void
update_model_button (HearthWindow *self)
{
  gboolean loading = hearth_runtime_get_loading (self->runtime);
  const char *path = hearth_runtime_get_model_path (self->runtime);
  g_autofree char *base = path != NULL ? g_path_get_basename (path) : NULL;

  gtk_spinner_set_spinning (self->model_spinner, loading);
  gtk_widget_set_visible (GTK_WIDGET (self->model_spinner), loading);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reload-model", !loading);
  if (loading)
    {
      g_autofree char *text = g_strdup_printf (_("Loading %s…"), base);

      gtk_label_set_text (self->model_label, text);
    }
  else if (hearth_runtime_get_model_loaded (self->runtime))
    gtk_label_set_text (self->model_label, base);
  else
    gtk_label_set_text (self->model_label, _("No Model"));
  update_page (self);
}

/* ---- the sidebar ---- */

/* The open conversation's row is the selected one. */
static void
select_current (HearthWindow *self)
{
  gint64 current = hearth_runtime_get_conversation_id (self->runtime);
  int pos = current != 0 && hearth_runtime_get_conversations (self->runtime) != NULL
            ? hearth_conversation_list_find (hearth_runtime_get_conversations (self->runtime), current) : -1;
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  GtkListBoxRow *row;

  if (query != NULL && query[0] != '\0')
    return;
  row = pos >= 0 ? gtk_list_box_get_row_at_index (self->conversation_list, pos) : NULL;
  if (row == NULL)
    gtk_list_box_unselect_all (self->conversation_list);
  else if (gtk_list_box_get_selected_row (self->conversation_list) != row)
    gtk_list_box_select_row (self->conversation_list, row);
}

static gboolean
sync_settled (gpointer data)
{
  HearthWindow *self = data;

  if (self->runtime != NULL)
    select_current (self);
  self->syncing = FALSE;
  return G_SOURCE_REMOVE;
}

/* Before the list box replaces rows: removing the focused row moves the
 * focus, and with it the selection, to another row, now or as the focus
 * settles. That must not open another conversation: selections are not
 * taken as the user's until sync_settled() runs. */
static void
conversations_changing (GListModel   *list,
                        guint         position,
                        guint         removed,
                        guint         added,
                        HearthWindow *self)
{
  if (!self->syncing)
    {
      self->syncing = TRUE;
      g_idle_add_full (G_PRIORITY_LOW, sync_settled, g_object_ref (self), g_object_unref);
    }
}

static void
conversations_changed (GListModel   *list,
                       guint         position,
                       guint         removed,
                       guint         added,
                       HearthWindow *self)
{
  /* A rename of the open conversation. */
  update_title (self);
}

static GtkWidget *
create_conversation_row (gpointer item,
                         gpointer user_data)
{
  return hearth_conversation_row_new (HEARTH_CONVERSATION (item));
}

static void
bind_conversations (HearthWindow *self)
{
  GListModel *list = G_LIST_MODEL (hearth_runtime_get_conversations (self->runtime));

  conversations_changing (list, 0, 0, 0, self);
  gtk_list_box_bind_model (self->conversation_list, list, create_conversation_row, self, NULL);
}

/* Search results are a query's answer, not a list that changes: built
 * whole for each query. */
static void
show_search (HearthWindow *self,
             const char   *query)
{
  g_autoptr(GPtrArray) hits = NULL;
  GtkWidget *child;

  gtk_list_box_bind_model (self->conversation_list, NULL, NULL, NULL, NULL);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->conversation_list))) != NULL)
    gtk_list_box_remove (self->conversation_list, child);
  /* A half-typed query is not an error worth a toast. */
  hits = hearth_runtime_search (self->runtime, query, 50, NULL);
  for (guint i = 0; hits != NULL && i < hits->len; i++)
    {
      HearthSearchResult *r = g_ptr_array_index (hits, i);

      gtk_list_box_append (self->conversation_list,
                           hearth_conversation_row_new_for_hit (r->conversation_id, r->conversation_title,
                                                                r->snippet));
    }
}

static void
search_changed (GtkSearchEntry *entry,
                HearthWindow   *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (self->runtime == NULL)
    return;
  self->syncing = TRUE;
  g_idle_add_full (G_PRIORITY_LOW, sync_settled, g_object_ref (self), g_object_unref);
  if (query != NULL && query[0] != '\0')
    show_search (self, query);
  else
    bind_conversations (self);
}

void
hearth_window_open_conversation (HearthWindow *self,
                                 gint64        id)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_runtime_set_conversation_id (self->runtime, id, &error))
    hearth_window_toast (self, error->message);
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
row_activated (GtkListBox    *box,
               GtkListBoxRow *row,
               HearthWindow  *self)
{
  hearth_window_open_conversation (self, hearth_conversation_row_get_id (HEARTH_CONVERSATION_ROW (row)));
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

  if (row == NULL || self->syncing || self->runtime == NULL)
    return;
  id = hearth_conversation_row_get_id (HEARTH_CONVERSATION_ROW (row));
  if (id != hearth_runtime_get_conversation_id (self->runtime))
    hearth_window_open_conversation (self, id);
}

static void
conversation_shown (HearthWindow *self)
{
  update_title (self);
  update_page (self);
  if (!self->syncing)
    select_current (self);
}

/* ---- models ---- */

static void
model_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HearthWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_object_steal_data (G_OBJECT (self), "loading-path");

  if (!hearth_runtime_load_model_finish (HEARTH_RUNTIME (source), result, &error))
    {
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *heading = g_strdup_printf (_("“%s” Cannot Be Used"), base);
      GtkWidget *dialog;

      if (gtk_widget_in_destruction (GTK_WIDGET (self)))
        return;
      dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, error->message);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  g_settings_set_string (self->settings, "default-model", path);
  hearth_application_mark_time ("model-loaded");
  if (!gtk_widget_in_destruction (GTK_WIDGET (self)))
    hearth_chat_view_focus_composer (self->chat_view);
}

void
hearth_window_load_model (HearthWindow *self,
                          const char   *path)
{
  g_autofree char *device = NULL;
  HearthWorkerLoadParams p = { 0 };

  if (self->runtime == NULL || hearth_runtime_get_loading (self->runtime))
    return;
  device = g_settings_get_string (self->settings, "gpu-device");
  p.backend = g_strcmp0 (device, "vulkan") == 0 ? HEARTH_BACKEND_VULKAN : HEARTH_BACKEND_CPU;
  p.n_ctx = g_settings_get_uint (self->settings, "context-length");
  p.n_gpu_layers = g_settings_get_int (self->settings, "gpu-layers");
  g_object_set_data_full (G_OBJECT (self), "loading-path", g_strdup (path), g_free);
  hearth_runtime_load_model (self->runtime, path, &p, NULL, model_loaded, g_object_ref (self));
}

void
hearth_window_reload_model (HearthWindow *self,
                            gboolean      on_cpu)
{
  const char *last = NULL;

  if (self->runtime == NULL || hearth_runtime_get_loading (self->runtime) ||
      !hearth_runtime_get_last_load (self->runtime, &last, NULL))
    return;
  g_object_set_data_full (G_OBJECT (self), "loading-path", g_strdup (last), g_free);
  hearth_runtime_reload_model (self->runtime, on_cpu, model_loaded, g_object_ref (self));
}

/* ---- tools ---- */

static void
approval_requested (HearthRuntime      *runtime,
                    HearthToolApproval *approval,
                    HearthWindow       *self)
{
  if (!hearth_tool_approval_get_pending (approval) || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  gtk_window_present (GTK_WINDOW (hearth_tool_approval_dialog_new (GTK_WINDOW (self), approval)));
}

static void
plugins_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  /* Never fails: refusals are in each plugin's entry (Preferences). */
  hearth_plugin_manager_load_finish (HEARTH_PLUGIN_MANAGER (source), result, NULL);
  hearth_application_mark_time ("plugins-loaded");
}

/* After the window has shown the runtime: loading modules takes a while. */
static gboolean
load_plugins (gpointer data)
{
  HearthWindow *self = data;

  if (self->plugins != NULL && !gtk_widget_in_destruction (GTK_WIDGET (self)))
    hearth_plugin_manager_load_async (self->plugins, self->open_cancellable, plugins_loaded, NULL);
  return G_SOURCE_REMOVE;
}

/* The plugins (search path: HEARTH_PLUGIN_PATH first, see
 * hearth-plugin-manager.h) give the runtime its tools; anything with side
 * effects asks through the approval dialog. */
static void
setup_tools (HearthWindow *self)
{
  self->plugins = hearth_plugin_manager_new (hearth_runtime_get_store (self->runtime), NULL);
  hearth_folder_chooser_install (self->plugins, GTK_WINDOW (self));
  hearth_runtime_set_tool_registry (self->runtime, hearth_plugin_manager_get_tools (self->plugins));
  hearth_runtime_set_approval_policy (self->runtime, HEARTH_TOOL_APPROVAL_POLICY_ASK);
  g_signal_connect (self->runtime, "approval-requested", G_CALLBACK (approval_requested), self);
  g_idle_add_full (G_PRIORITY_LOW, load_plugins, g_object_ref (self), g_object_unref);
}

HearthRuntime *
hearth_window_get_runtime (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);
  return self->runtime;
}

HearthPluginManager *
hearth_window_get_plugins (HearthWindow *self)
{
  g_return_val_if_fail (HEARTH_IS_WINDOW (self), NULL);
  return self->plugins;
}

/* The models remembered in the preferences before the registry existed. */
static void
import_recent_models (HearthWindow *self)
{
  HearthModelRegistry *models = hearth_runtime_get_models (self->runtime);
  g_auto(GStrv) recent = NULL;

  if (models == NULL || g_list_model_get_n_items (G_LIST_MODEL (models)) > 0)
    return;
  recent = g_settings_get_strv (self->settings, "recent-models");
  for (guint i = recent ? g_strv_length (recent) : 0; i > 0; i--)
    hearth_model_registry_add (models, recent[i - 1], NULL);
  g_settings_set_strv (self->settings, "recent-models", NULL);
}

void
hearth_window_set_runtime (HearthWindow  *self,
                           HearthRuntime *runtime)
{
  static const char * const model_props[] = {
    "notify::loading", "notify::model-loaded", "notify::model-path",
  };

  g_return_if_fail (self->runtime == NULL);

  self->runtime = g_object_ref (runtime);
  for (guint i = 0; i < G_N_ELEMENTS (model_props); i++)
    g_signal_connect_swapped (runtime, model_props[i], G_CALLBACK (update_model_button), self);
  g_signal_connect_swapped (runtime, "notify::conversation-id", G_CALLBACK (conversation_shown), self);
  g_signal_connect (runtime, "error", G_CALLBACK (runtime_error), self);
  g_signal_connect (runtime, "passages-sent", G_CALLBACK (passages_sent), self);
  if (hearth_runtime_get_conversations (runtime) != NULL)
    {
      GListModel *list = G_LIST_MODEL (hearth_runtime_get_conversations (runtime));

      /* Before the list box's own handler, and after it. */
      g_signal_connect (list, "items-changed", G_CALLBACK (conversations_changing), self);
      bind_conversations (self);
      g_signal_connect_after (list, "items-changed", G_CALLBACK (conversations_changed), self);
    }
  setup_tools (self);
  hearth_chat_view_set_runtime (self->chat_view, runtime, self->settings);
  {
    HearthApiService *api = hearth_api_service_get_for_runtime (runtime);

    /* The local API follows the settings the Preferences page writes;
     * the address first, so that a server enabled at start listens there. */
    g_settings_bind (self->settings, "api-host", api, "host", G_SETTINGS_BIND_GET);
    g_settings_bind (self->settings, "api-port", api, "port", G_SETTINGS_BIND_GET);
    g_settings_bind (self->settings, "api-keep-history", api, "keep-history", G_SETTINGS_BIND_GET);
    g_settings_bind (self->settings, "api-enabled", api, "enabled", G_SETTINGS_BIND_GET);
  }
  import_recent_models (self);
  update_model_button (self);
  update_title (self);

  {
    g_autofree char *def = g_settings_get_string (self->settings, "default-model");
    const char *path = self->startup_model ? self->startup_model : def;

    if (path != NULL && path[0] != '\0')
      hearth_window_load_model (self, path);
  }
  hearth_chat_view_focus_composer (self->chat_view);
  g_signal_emit (self, signals[SIGNAL_RUNTIME_READY], 0, runtime);
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
  if (self->runtime != NULL)
    {
      hearth_runtime_stop (self->runtime);
      /* Deletions still waiting on their undo toast happen now. */
      hearth_runtime_purge_hidden (self->runtime, 0, NULL);
    }
  return GTK_WINDOW_CLASS (hearth_window_parent_class)->close_request (window);
}

static void
hearth_window_dispose (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  g_cancellable_cancel (self->open_cancellable);
  if (self->runtime != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runtime, self);
      if (hearth_runtime_get_conversations (self->runtime) != NULL)
        g_signal_handlers_disconnect_by_data (hearth_runtime_get_conversations (self->runtime), self);
      gtk_list_box_bind_model (self->conversation_list, NULL, NULL, NULL, NULL);
      /* The local API lets go of the model before the engine thread goes. */
      hearth_api_service_shutdown (hearth_api_service_get_for_runtime (self->runtime));
      /* Stops a reply between two tokens and joins the engine thread; the
       * reply's completion still stores it (the application is held). */
      hearth_runtime_shutdown (self->runtime);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_WINDOW);
  g_clear_object (&self->runtime);
  g_clear_object (&self->plugins);
  G_OBJECT_CLASS (hearth_window_parent_class)->dispose (object);
}

static void
hearth_window_finalize (GObject *object)
{
  HearthWindow *self = HEARTH_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->open_cancellable);
  g_free (self->startup_model);
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
  signals[SIGNAL_RUNTIME_READY] = g_signal_new ("runtime-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, HEARTH_TYPE_RUNTIME);

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
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, HearthWindow, chat_view);
  hearth_window_install_actions (widget_class);
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
  if (keyval == GDK_KEY_Escape && self->runtime != NULL && hearth_runtime_get_busy (self->runtime))
    {
      hearth_runtime_stop (self->runtime);
      return TRUE;
    }
  return FALSE;
}

static void
back_clicked (HearthWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

/* AdwStatusPage (libadwaita 1.2) scrolls its content in a GtkScrolledWindow
 * of its own, a focus stop for keyboard scrolling that no .ui can name: it
 * is named after the page's title, which may change (the error page). */
static void
name_status_page (AdwStatusPage *page)
{
  GtkWidget *scroller = gtk_widget_get_first_child (GTK_WIDGET (page));

  if (GTK_IS_SCROLLED_WINDOW (scroller))
    gtk_accessible_update_property (GTK_ACCESSIBLE (scroller), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    adw_status_page_get_title (page), -1);
}

static void
hearth_window_init (HearthWindow *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (HEARTH_APP_ID);
  self->open_cancellable = g_cancellable_new ();

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  name_status_page (self->loading_page);
  name_status_page (self->welcome_page);
  name_status_page (self->error_page);
  g_signal_connect (self->error_page, "notify::title", G_CALLBACK (name_status_page), NULL);
  adw_status_page_set_description (self->welcome_page,
                                   _("Hearth runs language models on this computer; nothing leaves it.\n"
                                     "Pick a model to download, or open a GGUF model file you already have."));
  {
    GtkWidget *models = hearth_welcome_models_new ();

    g_signal_connect_swapped (models, "model-ready", G_CALLBACK (hearth_window_load_model), self);
    gtk_box_prepend (GTK_BOX (adw_status_page_get_child (self->welcome_page)), models);
  }

  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed), self);
  g_signal_connect (self->conversation_list, "row-activated", G_CALLBACK (row_activated), self);
  g_signal_connect (self->conversation_list, "row-selected", G_CALLBACK (row_selected), self);
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (back_clicked), self);
  g_signal_connect (self->chat_view, "error", G_CALLBACK (chat_error), self);
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

  self->startup_model = g_strdup (model_path);
  hearth_window_open_store (self);
  return self;
}
