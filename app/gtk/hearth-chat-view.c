/* hearth-chat-view.c: the messages of one conversation, the composer, and the reply being streamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-message-row.h"
#include "hearth-thread.h"

struct _HearthChatView
{
  GtkBox              parent_instance;

  HearthStore        *store;
  HearthEngineWorker *worker;
  HearthTokenBatcher *batcher;
  GSettings          *settings;

  gint64              conversation_id;
  GPtrArray          *entries;           /* HearthThreadEntry of the branch on show */
  char               *pending_system_prompt; /* for a chat not stored yet */

  /* The reply in progress. */
  guint64             generation;        /* 0: none */
  GCancellable       *cancellable;
  gint64              reply_conversation_id;
  gint64              reply_parent_id;
  HearthSamplerParams reply_sampler;
  HearthMessageRow   *stream_row;
  gint64              send_time;
  gboolean            first_token_seen;
  char               *reply_model_path;  /* the model it was asked of */

  GtkWidget          *scroller;
  GtkWidget          *messages;
  GtkWidget          *empty_label;
  GtkWidget          *composer;
  GtkWidget          *send_stack;
  GtkWidget          *send_button;
  GtkWidget          *stop_button;
  GtkWidget          *status_label;
  GtkWidget          *lost_revealer;     /* the lost-device bar */
  GtkWidget          *lost_body;
  GtkWidget          *lost_cpu_button;
  gboolean            disposed;
  GApplication       *held_app;   /* held while a reply is in flight */
};

G_DEFINE_FINAL_TYPE (HearthChatView, hearth_chat_view, GTK_TYPE_BOX)

enum
{
  SIGNAL_CONVERSATION_CHANGED,
  SIGNAL_ERROR,
  SIGNAL_MODEL_LOST,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void reload (HearthChatView *self);

static void
emit_error (HearthChatView *self,
            const char     *prefix,
            const GError   *error)
{
  g_autofree char *msg = g_strdup_printf ("%s: %s", prefix, error->message);

  g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
}

/* The bar that says the GPU device was lost and offers to load the model
 * again, shown until a model is loaded. */
static void
update_lost_bar (HearthChatView *self,
                 gboolean        loaded)
{
  const char *lost = self->worker != NULL ? hearth_engine_worker_get_device_lost (self->worker) : NULL;
  const char *path = NULL;
  HearthWorkerLoadParams last;

  if (lost == NULL || loaded || !hearth_engine_worker_get_last_load (self->worker, &path, &last))
    {
      gtk_revealer_set_reveal_child (GTK_REVEALER (self->lost_revealer), FALSE);
      return;
    }
  {
    g_autofree char *base = g_path_get_basename (path);
    g_autofree char *body = NULL;

    if (last.backend == HEARTH_BACKEND_VULKAN)
      body = g_strdup_printf (_("“%s” was unloaded. Reload it, or run it on the CPU for now."), base);
    else
      body = g_strdup_printf (_("“%s” was unloaded. Reload it to go on."), base);
    gtk_label_set_text (GTK_LABEL (self->lost_body), body);
    /* The engine's words (which device, during what) for whoever asks. */
    gtk_widget_set_tooltip_text (self->lost_body, lost);
    gtk_widget_set_visible (self->lost_cpu_button, last.backend == HEARTH_BACKEND_VULKAN);
  }
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->lost_revealer), TRUE);
}

static void
update_controls (HearthChatView *self)
{
  gboolean generating = self->generation != 0;
  gboolean loaded = self->worker != NULL && hearth_engine_worker_is_loaded (self->worker);
  gboolean lost = self->worker != NULL && hearth_engine_worker_get_device_lost (self->worker) != NULL;

  gtk_stack_set_visible_child (GTK_STACK (self->send_stack), generating ? self->stop_button : self->send_button);
  gtk_widget_set_sensitive (self->send_button, loaded && !generating);
  /* An insensitive button says why. */
  if (loaded)
    gtk_widget_set_tooltip_text (self->send_button, _("Send (Enter)"));
  else if (lost)
    gtk_widget_set_tooltip_text (self->send_button,
                                 _("No model is loaded: the GPU device was lost. Reload the model to send."));
  else
    gtk_widget_set_tooltip_text (self->send_button, _("No model is loaded. Load a model to send."));
  update_lost_bar (self, loaded);
  gtk_widget_set_visible (self->empty_label, self->entries == NULL || self->entries->len == 0);
  if (!loaded)
    gtk_label_set_text (GTK_LABEL (self->empty_label), _("Load a model to start chatting."));
  else
    gtk_label_set_text (GTK_LABEL (self->empty_label), _("Write a message to start chatting."));
}

static void
update_status (HearthChatView *self,
               const HearthWorkerReply *reply)
{
  g_autofree char *text = NULL;
  const char *backend;

  if (self->worker == NULL || !hearth_engine_worker_is_loaded (self->worker))
    {
      if (self->worker != NULL && hearth_engine_worker_get_device_lost (self->worker) != NULL)
        gtk_label_set_text (GTK_LABEL (self->status_label), _("The GPU device was lost · no model loaded"));
      else
        gtk_label_set_text (GTK_LABEL (self->status_label), _("No model loaded"));
      return;
    }
  backend = hearth_engine_worker_get_backend_description (self->worker);
  if (reply != NULL)
    {
      double tps = reply->gen_seconds > 0 ? reply->n_generated / reply->gen_seconds : 0.0;

      text = g_strdup_printf (_("%s · %.1f tokens/s · context %u of %u"), backend, tps,
                              reply->n_past, reply->n_ctx);
    }
  else
    text = g_strdup_printf (_("%s · context of %u tokens"), backend, hearth_engine_worker_get_n_ctx (self->worker));
  gtk_label_set_text (GTK_LABEL (self->status_label), text);
}

static void
scroll_to_end (HearthChatView *self)
{
  GtkAdjustment *adj;

  if (self->disposed)
    return;
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
}

static gboolean
scroll_idle (gpointer data)
{
  scroll_to_end (data);
  return G_SOURCE_REMOVE;
}

/* After the new rows have been measured. */
static void
queue_scroll (HearthChatView *self)
{
  g_idle_add_full (G_PRIORITY_LOW, scroll_idle, g_object_ref (self), g_object_unref);
}

static char *
dup_system_prompt (HearthChatView *self)
{
  g_autoptr(HearthConversation) conv = NULL;

  if (self->conversation_id == 0)
    return g_strdup (self->pending_system_prompt);
  conv = hearth_store_get_conversation (self->store, self->conversation_id, NULL);
  return conv ? g_strdup (hearth_conversation_get_system_prompt (conv)) : NULL;
}

static void
read_sampler (HearthChatView      *self,
              HearthSamplerParams *p)
{
  hearth_sampler_params_init (p);
  p->temperature = (float) g_settings_get_double (self->settings, "temperature");
  p->top_p = (float) g_settings_get_double (self->settings, "top-p");
  p->top_k = g_settings_get_int (self->settings, "top-k");
  p->min_p = (float) g_settings_get_double (self->settings, "min-p");
  p->seed = (guint64) g_get_real_time ();
}

static void
reply_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HearthChatView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthWorkerReply) reply = NULL;
  gboolean same = FALSE;

  /* Released at the end: the reply is saved before the application may quit. */
  g_autoptr(GApplication) held = self->held_app;

  self->held_app = NULL;
  reply = hearth_engine_worker_respond_finish (HEARTH_ENGINE_WORKER (source), result, &error);
  /* What the engine streamed before it finished still reaches the row (a
   * fast model can finish inside one batch interval). */
  if (!self->disposed)
    hearth_token_batcher_flush (self->batcher);
  hearth_token_batcher_invalidate (self->batcher);
  same = self->conversation_id == self->reply_conversation_id;
  self->generation = 0;
  g_clear_object (&self->cancellable);

  if (reply == NULL)
    {
      if (!self->disposed)
        emit_error (self, _("The model could not reply"), error);
    }
  else if (self->store != NULL)
    {
      gboolean lost = reply->device_lost != NULL;
      gboolean stopped = reply->reason == HEARTH_STOP_CANCELLED || reply->reason == HEARTH_STOP_CALLBACK || lost;

      /* When the engine had the first token, as opposed to when the UI showed it. */
      hearth_application_mark_time_at ("engine-first-token",
                                       self->send_time + (gint64) (reply->first_token_seconds * G_USEC_PER_SEC));
      hearth_application_mark_time ("reply-done");
      /* A stopped reply is kept, marked as stopped; an empty one is not
       * worth a message, unless the device was lost: then it says so where
       * the reply would be, and can be regenerated after a reload. */
      if (reply->text[0] != '\0' || !stopped || lost)
        {
          g_autofree char *settings = lost
                                      ? hearth_thread_dup_settings_json_device_lost (&self->reply_sampler,
                                                                                     self->reply_model_path)
                                      : hearth_thread_dup_settings_json (&self->reply_sampler,
                                                                         self->reply_model_path, stopped);
          g_autoptr(HearthMessage) m = NULL;
          HearthMessageExtra extra;

          hearth_message_extra_init (&extra);
          extra.prompt_tokens = reply->n_prompt_tokens;
          extra.completion_tokens = reply->n_generated;
          extra.settings_json = settings;
          m = hearth_store_append_message (self->store, self->reply_conversation_id, self->reply_parent_id,
                                           HEARTH_MESSAGE_ROLE_ASSISTANT, reply->text, &extra, &error);
          if (m == NULL)
            g_warning ("The reply could not be saved: %s", error->message);
        }
      if (!self->disposed)
        {
          update_status (self, lost ? NULL : reply);
          g_signal_emit (self, signals[SIGNAL_CONVERSATION_CHANGED], 0, self->reply_conversation_id);
        }
    }
  if (reply != NULL && reply->device_lost != NULL && !self->disposed)
    g_signal_emit (self, signals[SIGNAL_MODEL_LOST], 0);
  self->stream_row = NULL;
  if (held != NULL)
    g_application_release (held);
  if (self->disposed)
    return;
  if (same)
    reload (self);
  update_controls (self);
}

/* Starts the assistant's reply to the first @n entries, as a child of @parent_id. */
static void
start_reply (HearthChatView *self,
             guint           n,
             gint64          parent_id)
{
  g_autofree char *system_prompt = dup_system_prompt (self);
  GPtrArray *messages = hearth_thread_to_worker_messages (self->entries, n);
  GtkWidget *row;

  self->generation = hearth_token_batcher_begin (self->batcher);
  self->cancellable = g_cancellable_new ();
  /* Closing the window mid-reply cancels it; the application stays up until
   * the partial reply is in the store. */
  if (g_application_get_default () != NULL)
    {
      self->held_app = g_object_ref (g_application_get_default ());
      g_application_hold (self->held_app);
    }
  self->reply_conversation_id = self->conversation_id;
  self->reply_parent_id = parent_id;
  self->send_time = g_get_monotonic_time ();
  self->first_token_seen = FALSE;
  g_free (self->reply_model_path);
  self->reply_model_path = g_strdup (hearth_engine_worker_get_model_path (self->worker));
  read_sampler (self, &self->reply_sampler);

  row = hearth_message_row_new_streaming ();
  self->stream_row = HEARTH_MESSAGE_ROW (row);
  gtk_box_append (GTK_BOX (self->messages), row);
  update_controls (self);

  hearth_engine_worker_respond_async (self->worker, self->generation, system_prompt, messages,
                                      &self->reply_sampler, self->cancellable, reply_done,
                                      g_object_ref (self));
  queue_scroll (self);
}

void
hearth_chat_view_stream (HearthChatView *self,
                         guint64         generation,
                         const char     *text,
                         gsize           len)
{
  if (generation != self->generation || self->stream_row == NULL)
    return;
  if (!self->first_token_seen)
    {
      self->first_token_seen = TRUE;
      hearth_application_mark_time ("first-token");
    }
  hearth_message_row_append (self->stream_row, text, len);
  scroll_to_end (self);
}

static void
edit_response (AdwMessageDialog *dialog,
               const char       *response,
               HearthChatView   *self)
{
  GtkTextView *view = g_object_get_data (G_OBJECT (dialog), "text-view");
  gint64 id = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "message-id"));
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) m = NULL;

  if (g_strcmp0 (response, "save") != 0 || self->generation != 0)
    return;
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (view), &start, &end);
  text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (view), &start, &end, FALSE);
  if (g_strstrip (text)[0] == '\0')
    return;
  m = hearth_store_edit_message (self->store, id, text, &error);
  if (m == NULL)
    {
      emit_error (self, _("The message could not be edited"), error);
      return;
    }
  reload (self);
  if (hearth_engine_worker_is_loaded (self->worker))
    start_reply (self, self->entries->len, hearth_message_get_id (m));
}

static GtkWidget *
text_editor_new (const char *text,
                 GtkWidget **view_out)
{
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *view = gtk_text_view_new ();

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text ? text : "", -1);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (view, "card");
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 120);
  gtk_scrolled_window_set_min_content_width (GTK_SCROLLED_WINDOW (scroller), 360);
  *view_out = view;
  return scroller;
}

static void
row_edit (HearthMessageRow *row,
          HearthChatView   *self)
{
  GtkWidget *dialog;
  GtkWidget *view;
  GtkWidget *editor = text_editor_new (hearth_message_row_get_text (row), &view);

  if (self->generation != 0)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), _("Edit Message"),
                                   _("The conversation continues from the edited message; the original stays as another version."));
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message text"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), editor);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "save", _("_Save and Send"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  g_object_set_data (G_OBJECT (dialog), "text-view", view);
  g_object_set_data (G_OBJECT (dialog), "message-id", GSIZE_TO_POINTER (hearth_message_row_get_message_id (row)));
  g_signal_connect_object (dialog, "response", G_CALLBACK (edit_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
row_regenerate (HearthMessageRow *row,
                HearthChatView   *self)
{
  HearthThreadEntry *last;

  if (self->generation != 0 || self->entries == NULL || self->entries->len == 0 ||
      !hearth_engine_worker_is_loaded (self->worker))
    return;
  last = g_ptr_array_index (self->entries, self->entries->len - 1);
  if (hearth_message_get_role (last->message) != HEARTH_MESSAGE_ROLE_ASSISTANT)
    return;
  /* The new reply is a sibling of the old one: the old stays a version. */
  gtk_box_remove (GTK_BOX (self->messages), GTK_WIDGET (row));
  start_reply (self, self->entries->len - 1, hearth_message_get_parent_id (last->message));
}

static void
row_switch_branch (HearthMessageRow *row,
                   gint64            sibling_id,
                   HearthChatView   *self)
{
  g_autoptr(GError) error = NULL;

  if (self->generation != 0)
    return;
  if (!hearth_store_set_current_leaf (self->store, self->conversation_id, sibling_id, &error))
    {
      emit_error (self, _("Could not switch versions"), error);
      return;
    }
  reload (self);
}

static void
clear_rows (HearthChatView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->messages)) != NULL)
    gtk_box_remove (GTK_BOX (self->messages), child);
  self->stream_row = NULL;
}

static void
reload (HearthChatView *self)
{
  g_autoptr(GError) error = NULL;

  clear_rows (self);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  if (self->conversation_id != 0)
    {
      self->entries = hearth_thread_load (self->store, self->conversation_id, &error);
      if (self->entries == NULL)
        emit_error (self, _("The conversation could not be read"), error);
    }
  if (self->entries == NULL)
    self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_thread_entry_free);

  for (guint i = 0; i < self->entries->len; i++)
    {
      HearthThreadEntry *e = g_ptr_array_index (self->entries, i);
      gboolean last = i + 1 == self->entries->len;
      GtkWidget *row;

      if (hearth_message_get_role (e->message) == HEARTH_MESSAGE_ROLE_SYSTEM)
        continue;
      row = hearth_message_row_new (e, last);
      g_signal_connect_object (row, "edit", G_CALLBACK (row_edit), self, 0);
      g_signal_connect_object (row, "regenerate", G_CALLBACK (row_regenerate), self, 0);
      g_signal_connect_object (row, "switch-branch", G_CALLBACK (row_switch_branch), self, 0);
      gtk_box_append (GTK_BOX (self->messages), row);
    }
  update_controls (self);
  queue_scroll (self);
}

static void
send_message (HearthChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->composer));
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) m = NULL;

  if (self->generation != 0 || self->store == NULL)
    return;
  if (!hearth_engine_worker_is_loaded (self->worker))
    {
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, _("Load a model first"));
      return;
    }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_strstrip (text);
  if (text[0] == '\0')
    return;

  hearth_application_mark_time ("send");
  if (self->conversation_id == 0)
    {
      g_autofree char *title = hearth_thread_dup_title_for (text);
      g_autoptr(HearthConversation) conv = NULL;

      conv = hearth_store_create_conversation (self->store, title,
                                               hearth_engine_worker_get_model_path (self->worker),
                                               self->pending_system_prompt, &error);
      if (conv == NULL)
        {
          emit_error (self, _("The conversation could not be saved"), error);
          return;
        }
      self->conversation_id = hearth_conversation_get_id (conv);
      g_clear_pointer (&self->pending_system_prompt, g_free);
    }
  m = hearth_store_append_message (self->store, self->conversation_id, HEARTH_STORE_CURRENT_LEAF,
                                   HEARTH_MESSAGE_ROLE_USER, text, NULL, &error);
  if (m == NULL)
    {
      emit_error (self, _("The message could not be saved"), error);
      return;
    }
  gtk_text_buffer_set_text (buffer, "", 0);
  reload (self);
  g_signal_emit (self, signals[SIGNAL_CONVERSATION_CHANGED], 0, self->conversation_id);
  start_reply (self, self->entries->len, hearth_message_get_id (m));
}

static gboolean
composer_key_pressed (GtkEventControllerKey *controller,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      HearthChatView        *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) &&
      (state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0)
    {
      send_message (self);
      return TRUE;
    }
  if (keyval == GDK_KEY_Escape && self->generation != 0)
    {
      hearth_chat_view_stop (self);
      return TRUE;
    }
  return FALSE;
}

static void
hearth_chat_view_dispose (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  self->disposed = TRUE;
  /* Closing while generating: the engine stops between two tokens; the
   * completion (which holds a reference) stores the partial reply. */
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->dispose (object);
}

static void
hearth_chat_view_finalize (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  g_clear_object (&self->store);
  g_clear_object (&self->worker);
  g_clear_pointer (&self->batcher, hearth_token_batcher_unref);
  g_clear_object (&self->settings);
  g_free (self->pending_system_prompt);
  g_free (self->reply_model_path);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->finalize (object);
}

static void
hearth_chat_view_class_init (HearthChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_chat_view_dispose;
  object_class->finalize = hearth_chat_view_finalize;
  signals[SIGNAL_CONVERSATION_CHANGED] =
    g_signal_new ("conversation-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The GPU device was lost during a reply and the model is unloaded. */
  signals[SIGNAL_MODEL_LOST] =
    g_signal_new ("model-lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

/* Where AdwBanner would go (libadwaita 1.3): across the top of the view,
 * until the model is back. Its buttons are the window's win.reload-model
 * (TRUE: on the CPU). */
static GtkWidget *
lost_bar_new (HearthChatView *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (_("The GPU Device Was Lost"));
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *reload = gtk_button_new_with_mnemonic (_("_Reload"));
  GtkWidget *revealer = gtk_revealer_new ();

  gtk_widget_add_css_class (bar, "device-lost-bar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL, _("GPU device lost"), -1);
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (bar), icon);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_box_append (GTK_BOX (text), title);
  self->lost_body = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->lost_body), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->lost_body), 0);
  gtk_box_append (GTK_BOX (text), self->lost_body);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (text, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (bar), text);

  self->lost_cpu_button = gtk_button_new_with_mnemonic (_("Use _CPU"));
  gtk_widget_set_tooltip_text (self->lost_cpu_button,
                               _("Load the model again on the CPU for now; the preferences keep the GPU"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->lost_cpu_button), "win.reload-model");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->lost_cpu_button), "b", TRUE);
  gtk_box_append (GTK_BOX (buttons), self->lost_cpu_button);
  gtk_widget_add_css_class (reload, "suggested-action");
  gtk_widget_set_tooltip_text (reload, _("Load the model again with the same settings"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (reload), "win.reload-model");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (reload), "b", FALSE);
  gtk_box_append (GTK_BOX (buttons), reload);
  gtk_widget_set_valign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (bar), buttons);

  gtk_revealer_set_transition_type (GTK_REVEALER (revealer), GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_revealer_set_child (GTK_REVEALER (revealer), bar);
  return revealer;
}

static void
hearth_chat_view_init (HearthChatView *self)
{
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *composer_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *composer_scroller = gtk_scrolled_window_new ();
  GtkWidget *bottom_clamp = adw_clamp_new ();
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkEventController *keys;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->lost_revealer = lost_bar_new (self);
  gtk_box_append (GTK_BOX (self), self->lost_revealer);

  self->scroller = gtk_scrolled_window_new ();
  gtk_widget_set_vexpand (self->scroller, TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 800);
  gtk_widget_set_margin_top (column, 18);
  gtk_widget_set_margin_bottom (column, 18);
  gtk_widget_set_margin_start (column, 12);
  gtk_widget_set_margin_end (column, 12);
  self->empty_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->empty_label, "dim-label");
  gtk_widget_set_margin_top (self->empty_label, 48);
  gtk_box_append (GTK_BOX (column), self->empty_label);
  self->messages = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->messages), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Messages"), -1);
  gtk_box_append (GTK_BOX (column), self->messages);
  adw_clamp_set_child (ADW_CLAMP (clamp), column);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), clamp);
  gtk_box_append (GTK_BOX (self), self->scroller);

  self->composer = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->composer), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (self->composer), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->composer), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Enter sends, Shift+Enter starts a new line"), -1);
  gtk_widget_add_css_class (composer_scroller, "composer");
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (composer_scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (composer_scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (composer_scroller), 160);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (composer_scroller), 36);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (composer_scroller), self->composer);
  gtk_widget_set_hexpand (composer_scroller, TRUE);
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (composer_key_pressed), self);
  gtk_widget_add_controller (self->composer, keys);
  gtk_box_append (GTK_BOX (composer_box), composer_scroller);

  self->send_stack = gtk_stack_new ();
  gtk_widget_set_valign (self->send_stack, GTK_ALIGN_END);
  self->send_button = gtk_button_new_from_icon_name ("go-up-symbolic");
  gtk_widget_add_css_class (self->send_button, "suggested-action");
  gtk_widget_add_css_class (self->send_button, "circular");
  gtk_widget_set_tooltip_text (self->send_button, _("Send (Enter)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->send_button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Send"), -1);
  g_signal_connect_swapped (self->send_button, "clicked", G_CALLBACK (send_message), self);
  self->stop_button = gtk_button_new_from_icon_name ("media-playback-stop-symbolic");
  gtk_widget_add_css_class (self->stop_button, "destructive-action");
  gtk_widget_add_css_class (self->stop_button, "circular");
  gtk_widget_set_tooltip_text (self->stop_button, _("Stop (Escape)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->stop_button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Stop"), -1);
  g_signal_connect_swapped (self->stop_button, "clicked", G_CALLBACK (hearth_chat_view_stop), self);
  gtk_stack_add_child (GTK_STACK (self->send_stack), self->send_button);
  gtk_stack_add_child (GTK_STACK (self->send_stack), self->stop_button);
  gtk_box_append (GTK_BOX (composer_box), self->send_stack);

  self->status_label = gtk_label_new (_("No model loaded"));
  gtk_widget_add_css_class (self->status_label, "status-line");
  gtk_label_set_xalign (GTK_LABEL (self->status_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->status_label), PANGO_ELLIPSIZE_END);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->status_label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Model status"), -1);

  gtk_widget_set_margin_start (bottom, 12);
  gtk_widget_set_margin_end (bottom, 12);
  gtk_widget_set_margin_bottom (bottom, 8);
  gtk_widget_set_margin_top (bottom, 6);
  gtk_box_append (GTK_BOX (bottom), composer_box);
  gtk_box_append (GTK_BOX (bottom), self->status_label);
  adw_clamp_set_maximum_size (ADW_CLAMP (bottom_clamp), 800);
  adw_clamp_set_child (ADW_CLAMP (bottom_clamp), bottom);
  gtk_box_append (GTK_BOX (self), bottom_clamp);
  update_controls (self);
}

GtkWidget *
hearth_chat_view_new (void)
{
  return g_object_new (HEARTH_TYPE_CHAT_VIEW, NULL);
}

void
hearth_chat_view_setup (HearthChatView     *self,
                        HearthStore        *store,
                        HearthEngineWorker *worker,
                        HearthTokenBatcher *batcher,
                        GSettings          *settings)
{
  g_set_object (&self->store, store);
  g_set_object (&self->worker, worker);
  if (self->batcher == NULL)
    self->batcher = hearth_token_batcher_ref (batcher);
  g_set_object (&self->settings, settings);
  update_controls (self);
  update_status (self, NULL);
}

void
hearth_chat_view_set_conversation (HearthChatView *self,
                                   gint64          conversation_id)
{
  /* Leaving a conversation mid-reply stops it; the partial reply is kept. */
  if (self->generation != 0)
    hearth_chat_view_stop (self);
  self->conversation_id = conversation_id;
  g_clear_pointer (&self->pending_system_prompt, g_free);
  reload (self);
}

gint64
hearth_chat_view_get_conversation (HearthChatView *self)
{
  return self->conversation_id;
}

gboolean
hearth_chat_view_is_generating (HearthChatView *self)
{
  return self->generation != 0;
}

void
hearth_chat_view_stop (HearthChatView *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

void
hearth_chat_view_focus_composer (HearthChatView *self)
{
  gtk_widget_grab_focus (self->composer);
}

void
hearth_chat_view_model_changed (HearthChatView *self)
{
  update_controls (self);
  update_status (self, NULL);
}

static void
system_prompt_response (AdwMessageDialog *dialog,
                        const char       *response,
                        HearthChatView   *self)
{
  GtkTextView *view = g_object_get_data (G_OBJECT (dialog), "text-view");
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "save") != 0)
    return;
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (view), &start, &end);
  text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (view), &start, &end, FALSE);
  g_strstrip (text);
  if (self->conversation_id == 0)
    {
      g_free (self->pending_system_prompt);
      self->pending_system_prompt = text[0] ? g_strdup (text) : NULL;
      return;
    }
  {
    g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, self->conversation_id, &error);

    if (conv == NULL ||
        !hearth_store_set_conversation_model (self->store, self->conversation_id,
                                              hearth_conversation_get_model (conv),
                                              text[0] ? text : NULL, &error))
      emit_error (self, _("The system prompt could not be saved"), error);
  }
}

void
hearth_chat_view_edit_system_prompt (HearthChatView *self)
{
  g_autofree char *current = dup_system_prompt (self);
  GtkWidget *view;
  GtkWidget *editor = text_editor_new (current, &view);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), _("System Prompt"),
                                   _("Instructions the model sees before this conversation."));
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("System prompt"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), editor);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "save", _("_Save"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  g_object_set_data (G_OBJECT (dialog), "text-view", view);
  g_signal_connect_object (dialog, "response", G_CALLBACK (system_prompt_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
