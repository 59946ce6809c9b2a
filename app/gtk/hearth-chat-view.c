/* hearth-chat-view.c: the messages of one conversation, the composer, and the reply being streamed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view of the runtime: the rows follow the runtime's thread model (each
 * items-changed replaces just the rows it names), the controls and the
 * status line follow its properties. What the user does goes to the
 * runtime; nothing here writes the store or drives the engine.
 *
 * A long conversation opens at its end: only the last ROWS_PER_PAGE
 * messages get rows, and older ones are built a page at a time as the
 * user scrolls up (building and laying out a row of Markdown costs about
 * 2 ms, so 2,000 rows took seconds). Items [0, first_built) have no row.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-documents-button.h"
#include "hearth-remote-bar.h"
#include "hearth-message-row.h"
#include "hearth-tool-row.h"

#define ROWS_PER_PAGE 40

struct _HearthChatView
{
  GtkBox              parent_instance;

  HearthRuntime      *runtime;
  GSettings          *settings;
  gint64              send_time;
  gboolean            first_token_seen;
  guint               first_built;       /* items before this one have no row yet */
  gboolean            scroll_pending;    /* a scroll to the end is queued */
  double              keep_from_bottom;  /* < 0, or the scroll position to keep while older rows settle */
  guint               keep_tick;

  GtkWidget          *scroller;
  GtkWidget          *messages;
  GtkWidget          *empty_label;
  GtkWidget          *composer;
  GtkWidget          *send_stack;
  GtkWidget          *send_button;
  GtkWidget          *stop_button;
  GtkWidget          *status_label;
  GtkWidget          *reply_status;      /* role status: announces a finished reply */
  GtkWidget          *lost_revealer;     /* the lost-device bar */
  GtkWidget          *lost_body;
  GtkWidget          *lost_cpu_button;
  gboolean            disposed;
};

G_DEFINE_FINAL_TYPE (HearthChatView, hearth_chat_view, GTK_TYPE_BOX)

enum
{
  SIGNAL_ERROR,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

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
  const char *lost = self->runtime != NULL ? hearth_runtime_get_device_lost (self->runtime) : NULL;
  const char *path = NULL;
  HearthWorkerLoadParams last;

  if (lost == NULL || loaded || !hearth_runtime_get_last_load (self->runtime, &path, &last))
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
  gboolean generating = self->runtime != NULL && hearth_runtime_get_busy (self->runtime);
  /* A remote model needs nothing loaded here. */
  gboolean loaded = self->runtime != NULL &&
                    (hearth_runtime_get_model_loaded (self->runtime) || hearth_runtime_get_remote_host (self->runtime));
  gboolean lost = self->runtime != NULL && hearth_runtime_get_device_lost (self->runtime) != NULL;
  gboolean empty = self->runtime == NULL ||
                   g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (self->runtime))) == 0;

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
  gtk_widget_set_visible (self->empty_label, empty);
  if (!loaded)
    gtk_label_set_text (GTK_LABEL (self->empty_label), _("Load a model to start chatting."));
  else
    gtk_label_set_text (GTK_LABEL (self->empty_label), _("Write a message to start chatting."));
}

/* "CPU (AVX2, 2 threads) · 41.3 tokens/s · context 120 of 4096" after a
 * reply; the backend and the context size before one. */
static void
update_status (HearthChatView *self)
{
  g_autofree char *text = NULL;
  HearthRuntime *rt = self->runtime;

  if (rt != NULL && hearth_runtime_get_remote_host (rt) != NULL)
    {
      /* Only what the server told: tokens/s and the positions used come
       * from its usage; the size of its context is never known. */
      GString *remote = g_string_new (NULL);

      g_string_printf (remote, _("remote: %s"), hearth_runtime_get_remote_host (rt));
      if (hearth_runtime_get_tokens_per_second (rt) > 0)
        g_string_append_printf (remote, _(" · %.1f tokens/s"), hearth_runtime_get_tokens_per_second (rt));
      if (hearth_runtime_get_context_used (rt) > 0)
        g_string_append_printf (remote, _(" · context %u tokens used"), hearth_runtime_get_context_used (rt));
      gtk_label_set_text (GTK_LABEL (self->status_label), remote->str);
      g_string_free (remote, TRUE);
      return;
    }
  if (rt == NULL || !hearth_runtime_get_model_loaded (rt))
    {
      if (rt != NULL && hearth_runtime_get_device_lost (rt) != NULL)
        gtk_label_set_text (GTK_LABEL (self->status_label), _("The GPU device was lost · no model loaded"));
      else
        gtk_label_set_text (GTK_LABEL (self->status_label), _("No model loaded"));
      return;
    }
  if (hearth_runtime_get_context_used (rt) > 0)
    text = g_strdup_printf (_("%s · %.1f tokens/s · context %u of %u"), hearth_runtime_get_backend (rt),
                            hearth_runtime_get_tokens_per_second (rt), hearth_runtime_get_context_used (rt),
                            hearth_runtime_get_context_size (rt));
  else
    text = g_strdup_printf (_("%s · context of %u tokens"), hearth_runtime_get_backend (rt),
                            hearth_runtime_get_context_size (rt));
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
  HearthChatView *self = data;

  self->scroll_pending = FALSE;
  scroll_to_end (self);
  return G_SOURCE_REMOVE;
}

/* After the new rows have been measured. */
static void
queue_scroll (HearthChatView *self)
{
  self->scroll_pending = TRUE;
  g_idle_add_full (G_PRIORITY_LOW, scroll_idle, g_object_ref (self), g_object_unref);
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
  p->seed = 0; /* the runtime picks a new one for each reply */
}

/* The settings of the moment go with each reply the user asks for. */
static void
before_reply (HearthChatView *self)
{
  HearthSamplerParams p;

  read_sampler (self, &p);
  hearth_runtime_set_sampler_params (self->runtime, &p);
  self->send_time = g_get_monotonic_time ();
  self->first_token_seen = FALSE;
  gtk_label_set_text (GTK_LABEL (self->reply_status), "");
}

static void
text_appended (HearthThreadItem *item,
               const char       *text,
               guint64           len,
               HearthChatView   *self)
{
  if (!self->first_token_seen)
    {
      self->first_token_seen = TRUE;
      hearth_application_mark_time ("first-token");
    }
  scroll_to_end (self);
}

/* How many words @text has: runs of characters between white space. */
static guint
count_words (const char *text)
{
  gboolean in_word = FALSE;
  guint n = 0;

  for (const char *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gboolean space = g_unichar_isspace (g_utf8_get_char (p));

      if (!space && !in_word)
        n++;
      in_word = !space;
    }
  return n;
}

/* GTK 4.8 has no gtk_accessible_announce (): the reply is announced by the
 * status line's second label, whose role is "status". Its text (and so its
 * accessible name) changes when a reply ends, which reaches the screen
 * reader as a name change of a status bar; it is emptied when the next
 * reply starts, so that two equal announcements are both told. */
static void
announce_reply (HearthChatView *self,
                gint64          message_id)
{
  GListModel *thread = G_LIST_MODEL (hearth_runtime_get_thread (self->runtime));
  HearthThreadItem *found = NULL;
  g_autofree char *text = NULL;

  for (guint i = g_list_model_get_n_items (thread); found == NULL && message_id != 0 && i > 0; i--)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (thread, i - 1);

      if (hearth_thread_item_get_id (item) == message_id)
        found = item;
    }
  if (found == NULL)
    text = g_strdup (_("Reply finished"));
  else
    {
      guint words = count_words (hearth_thread_item_get_text (found));

      if (hearth_thread_item_get_stopped (found))
        text = g_strdup_printf (g_dngettext (NULL, "Reply stopped: %u word", "Reply stopped: %u words",
                                             words), words);
      else
        text = g_strdup_printf (g_dngettext (NULL, "Reply finished: %u word",
                                             "Reply finished: %u words", words), words);
    }
  gtk_label_set_text (GTK_LABEL (self->reply_status), text);
}

static void
reply_finished (HearthRuntime  *runtime,
                gint64          conversation_id,
                gint64          message_id,
                HearthChatView *self)
{
  hearth_application_mark_time ("reply-done");
  if (!self->disposed)
    announce_reply (self, message_id);
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

  if (g_strcmp0 (response, "save") != 0 || hearth_runtime_get_busy (self->runtime))
    return;
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (view), &start, &end);
  text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (view), &start, &end, FALSE);
  if (g_strstrip (text)[0] == '\0')
    return;
  before_reply (self);
  if (!hearth_runtime_edit (self->runtime, id, text, &error))
    emit_error (self, _("The message could not be edited"), error);
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
  GtkWidget *editor;

  if (hearth_runtime_get_busy (self->runtime))
    return;
  editor = text_editor_new (hearth_message_row_get_text (row), &view);
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
  g_autoptr(GError) error = NULL;

  if (hearth_runtime_get_busy (self->runtime) || !hearth_runtime_get_model_loaded (self->runtime))
    return;
  before_reply (self);
  if (!hearth_runtime_regenerate (self->runtime, &error))
    emit_error (self, _("The reply could not be regenerated"), error);
}

static void
row_switch_branch (HearthMessageRow *row,
                   gint64            sibling_id,
                   HearthChatView   *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_runtime_switch_branch (self->runtime, sibling_id, &error))
    emit_error (self, _("Could not switch versions"), error);
}

static GtkWidget *
row_new (HearthChatView   *self,
         HearthThreadItem *item,
         gboolean          last)
{
  GtkWidget *row;

  /* A tool's result: the compact row of its call. */
  if (hearth_thread_item_get_role (item) == HEARTH_MESSAGE_ROLE_TOOL)
    {
      HearthToolRegistry *tools = hearth_runtime_get_tool_registry (self->runtime);
      const char *plugin_id = NULL;

      if (tools != NULL && hearth_thread_item_get_tool_name (item) != NULL)
        hearth_tool_registry_lookup (tools, hearth_thread_item_get_tool_name (item), &plugin_id);
      return hearth_tool_row_new (item, plugin_id);
    }
  row = hearth_message_row_new (item, last);
  g_signal_connect_object (row, "edit", G_CALLBACK (row_edit), self, 0);
  g_signal_connect_object (row, "regenerate", G_CALLBACK (row_regenerate), self, 0);
  g_signal_connect_object (row, "switch-branch", G_CALLBACK (row_switch_branch), self, 0);
  if (hearth_thread_item_get_streaming (item))
    g_signal_connect_object (item, "text-appended", G_CALLBACK (text_appended), self, 0);
  return row;
}

/* The row of item @item (>= first_built), or NULL. */
static GtkWidget *
nth_row (HearthChatView *self,
         guint           item)
{
  GtkWidget *child = gtk_widget_get_first_child (self->messages);
  guint n = item - self->first_built;

  while (child != NULL && n-- > 0)
    child = gtk_widget_get_next_sibling (child);
  return child;
}

/* Rows for items [from, from + n), after @before (NULL: first). */
static void
build_rows (HearthChatView *self,
            GListModel     *thread,
            guint           from,
            guint           n,
            GtkWidget      *before)
{
  guint n_items = g_list_model_get_n_items (thread);

  for (guint i = from; i < from + n; i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (thread, i);
      GtkWidget *row = row_new (self, item, i + 1 == n_items);

      gtk_box_insert_child_after (GTK_BOX (self->messages), row, before);
      before = row;
    }
}

static void
remove_rows (HearthChatView *self,
             GtkWidget      *child,
             guint           n)
{
  for (guint i = 0; i < n && child != NULL; i++)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_box_remove (GTK_BOX (self->messages), child);
      child = next;
    }
}

/* The rows mirror the thread model: an items-changed replaces the rows it
 * names and no others. (A GtkBox rather than a list box: the messages are
 * a column of groups, not a list to select from.) */
static void
thread_items_changed (GListModel     *thread,
                      guint           position,
                      guint           removed,
                      guint           added,
                      HearthChatView *self)
{
  guint n = g_list_model_get_n_items (thread);
  guint old_n = n - added + removed;
  GtkWidget *before;

  if (position == 0 && removed == old_n)
    {
      /* Another conversation: its last page. */
      remove_rows (self, gtk_widget_get_first_child (self->messages), G_MAXUINT);
      self->first_built = n > ROWS_PER_PAGE ? n - ROWS_PER_PAGE : 0;
      build_rows (self, thread, self->first_built, n - self->first_built, NULL);
    }
  else if (position + removed <= self->first_built && position < self->first_built)
    {
      /* Older than anything on show: no row changes. */
      self->first_built = self->first_built - removed + added;
      return;
    }
  else if (position < self->first_built)
    {
      /* From before the first row on show: those rows go, the new items
       * get rows. */
      remove_rows (self, gtk_widget_get_first_child (self->messages), position + removed - self->first_built);
      self->first_built = position;
      build_rows (self, thread, position, added, NULL);
    }
  else
    {
      before = position > self->first_built ? nth_row (self, position - 1) : NULL;
      remove_rows (self, before != NULL ? gtk_widget_get_next_sibling (before)
                                        : gtk_widget_get_first_child (self->messages), removed);
      /* Only the last reply offers to be regenerated. */
      if (position + added == n && before != NULL && HEARTH_IS_MESSAGE_ROW (before))
        hearth_message_row_set_can_regenerate (HEARTH_MESSAGE_ROW (before), added == 0);
      build_rows (self, thread, position, added, before);
    }
  update_controls (self);
  if (position + added == n)
    queue_scroll (self);
}

static gboolean
keep_settled (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       data)
{
  HearthChatView *self = data;

  /* The frame after the one that laid the new rows out. */
  if (++self->keep_tick < 3)
    return G_SOURCE_CONTINUE;
  self->keep_from_bottom = -1;
  return G_SOURCE_REMOVE;
}

/* Near the top with older messages unbuilt (or a page too short to
 * scroll): build the page before, keeping what is on show in place. */
static void
maybe_build_older (HearthChatView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  double value = gtk_adjustment_get_value (adj);
  double page = gtk_adjustment_get_page_size (adj);
  double upper = gtk_adjustment_get_upper (adj);
  guint from;

  if (self->disposed || self->runtime == NULL || self->first_built == 0 || self->scroll_pending ||
      self->keep_from_bottom >= 0 || page <= 0 || (value > page / 2 && upper > page))
    return;
  from = self->first_built > ROWS_PER_PAGE ? self->first_built - ROWS_PER_PAGE : 0;
  self->keep_from_bottom = upper - value;
  self->keep_tick = 0;
  build_rows (self, G_LIST_MODEL (hearth_runtime_get_thread (self->runtime)), from, self->first_built - from, NULL);
  self->first_built = from;
  gtk_widget_add_tick_callback (self->scroller, keep_settled, self, NULL);
}

static void
scrolled (GtkAdjustment  *adj,
          HearthChatView *self)
{
  maybe_build_older (self);
}

/* The older rows made the content taller: what was on show stays. */
static void
upper_changed (GtkAdjustment  *adj,
               GParamSpec     *pspec,
               HearthChatView *self)
{
  if (self->keep_from_bottom >= 0)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - self->keep_from_bottom);
  else
    maybe_build_older (self);
}

static void
send_message (HearthChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->composer));
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (self->runtime == NULL || hearth_runtime_get_busy (self->runtime))
    return;
  if (!hearth_runtime_get_model_loaded (self->runtime) && hearth_runtime_get_remote_host (self->runtime) == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_ERROR], 0, _("Load a model first"));
      return;
    }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  if (g_strstrip (text)[0] == '\0')
    return;
  hearth_application_mark_time ("send");
  before_reply (self);
  if (!hearth_runtime_send (self->runtime, text, &error))
    {
      emit_error (self, _("The message could not be sent"), error);
      return;
    }
  gtk_text_buffer_set_text (buffer, "", 0);
}

static void
stop_clicked (HearthChatView *self)
{
  if (self->runtime != NULL)
    hearth_runtime_stop (self->runtime);
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
  if (keyval == GDK_KEY_Escape && self->runtime != NULL && hearth_runtime_get_busy (self->runtime))
    {
      hearth_runtime_stop (self->runtime);
      return TRUE;
    }
  return FALSE;
}

static void
hearth_chat_view_dispose (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  self->disposed = TRUE;
  if (self->runtime != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runtime, self);
      g_signal_handlers_disconnect_by_data (hearth_runtime_get_thread (self->runtime), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_CHAT_VIEW);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->dispose (object);
}

static void
hearth_chat_view_finalize (GObject *object)
{
  HearthChatView *self = HEARTH_CHAT_VIEW (object);

  g_clear_object (&self->runtime);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hearth_chat_view_parent_class)->finalize (object);
}

static void
hearth_chat_view_class_init (HearthChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_chat_view_dispose;
  object_class->finalize = hearth_chat_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, messages);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, empty_label);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, composer);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, send_stack);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, status_label);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, reply_status);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, lost_revealer);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, lost_body);
  gtk_widget_class_bind_template_child (widget_class, HearthChatView, lost_cpu_button);
  gtk_widget_class_bind_template_callback (widget_class, composer_key_pressed);
  gtk_widget_class_bind_template_callback (widget_class, send_message);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked);

  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hearth_chat_view_init (HearthChatView *self)
{
  GtkAdjustment *adj;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->keep_from_bottom = -1;
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (scrolled), self, 0);
  g_signal_connect_object (adj, "notify::upper", G_CALLBACK (upper_changed), self, 0);
  update_controls (self);
}

GtkWidget *
hearth_chat_view_new (void)
{
  return g_object_new (HEARTH_TYPE_CHAT_VIEW, NULL);
}

static void
runtime_changed (HearthChatView *self)
{
  if (self->disposed)
    return;
  update_controls (self);
  update_status (self);
}

void
hearth_chat_view_set_runtime (HearthChatView *self,
                              HearthRuntime  *runtime,
                              GSettings      *settings)
{
  static const char * const watched[] = {
    "notify::model-loaded", "notify::busy", "notify::device-lost", "notify::backend",
    "notify::context-used", "notify::context-size", "notify::tokens-per-second", "notify::remote-host",
  };
  GListModel *thread = G_LIST_MODEL (hearth_runtime_get_thread (runtime));
  GtkWidget *docs;

  g_return_if_fail (self->runtime == NULL);

  self->runtime = g_object_ref (runtime);
  g_set_object (&self->settings, settings);
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_signal_connect_swapped (runtime, watched[i], G_CALLBACK (runtime_changed), self);
  g_signal_connect (runtime, "reply-finished", G_CALLBACK (reply_finished), self);
  g_signal_connect (thread, "items-changed", G_CALLBACK (thread_items_changed), self);
  thread_items_changed (thread, 0, 0, g_list_model_get_n_items (thread), self);
  /* Where the conversation is answered, above it. */
  gtk_box_prepend (GTK_BOX (self), hearth_remote_bar_new (runtime));
  /* Which documents the conversation answers from, beside Send. */
  docs = hearth_documents_button_new (runtime);
  gtk_widget_set_valign (docs, GTK_ALIGN_END);
  gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (self->send_stack)), docs,
                              gtk_widget_get_prev_sibling (self->send_stack));
  runtime_changed (self);
}

void
hearth_chat_view_focus_composer (HearthChatView *self)
{
  gtk_widget_grab_focus (self->composer);
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
  if (!hearth_runtime_set_system_prompt (self->runtime, text, &error))
    emit_error (self, _("The system prompt could not be saved"), error);
}

void
hearth_chat_view_edit_system_prompt (HearthChatView *self)
{
  g_autofree char *current = hearth_runtime_dup_system_prompt (self->runtime);
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
