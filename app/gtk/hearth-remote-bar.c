/* hearth-remote-bar.c: where the conversation on show is answered, above the chat
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The picker is a menu button whose popover holds one toggle button per
 * place ("This computer", then each provider, each named after it): GTK
 * 4.8's GtkDropDown cannot be operated through AT-SPI, buttons can.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-remote-bar.h"
#include "hearth-remote-provider.h"

struct _HearthRemoteBar
{
  GtkBox         parent_instance;
  HearthRuntime *runtime;
  GtkStringList *names;     /* "This computer", then the providers */
  GtkWidget     *picker;    /* GtkMenuButton */
  GtkWidget     *choices;   /* its popover's box of toggle buttons */
  GtkWidget     *leaves;
  GtkWidget     *ask_box;
  GtkWindow     *watched;   /* the window whose activation reloads */
  gboolean       syncing;
};

G_DEFINE_FINAL_TYPE (HearthRemoteBar, hearth_remote_bar, GTK_TYPE_BOX)

static gboolean
last_is_reply (HearthRemoteBar *self)
{
  GListModel *thread = G_LIST_MODEL (hearth_runtime_get_thread (self->runtime));
  guint n = g_list_model_get_n_items (thread);
  g_autoptr(HearthThreadItem) last = n > 0 ? g_list_model_get_item (thread, n - 1) : NULL;

  return last != NULL && !hearth_thread_item_get_streaming (last) &&
         hearth_thread_item_get_role (last) == HEARTH_MESSAGE_ROLE_ASSISTANT;
}

static void
ask_clicked (GtkButton       *button,
             HearthRemoteBar *self)
{
  g_autoptr(GError) error = NULL;
  const char *name = g_object_get_data (G_OBJECT (button), "provider");

  if (!hearth_runtime_reask_remote (self->runtime, name, &error))
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                                  _("The question could not be asked again"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

/* Shows what the runtime says now. */
static void
sync_bar (HearthRemoteBar *self)
{
  const char *source = hearth_runtime_get_remote_provider (self->runtime);
  const char *host = hearth_runtime_get_remote_host (self->runtime);
  gboolean can_ask = !hearth_runtime_get_busy (self->runtime) && last_is_reply (self);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->names));
  guint selected = 0;
  GtkWidget *child;

  for (guint i = 1; source != NULL && i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->names, i), source) == 0)
      selected = i;
  self->syncing = TRUE;
  child = gtk_widget_get_first_child (self->choices);
  for (guint i = 0; child != NULL; i++, child = gtk_widget_get_next_sibling (child))
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child), i == selected);
  self->syncing = FALSE;
  if (selected < n)
    gtk_menu_button_set_label (GTK_MENU_BUTTON (self->picker), gtk_string_list_get_string (self->names, selected));
  if (host != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Leaves this computer: %s"), host);

      gtk_label_set_text (GTK_LABEL (self->leaves), text);
    }
  gtk_widget_set_visible (self->leaves, host != NULL);

  while ((child = gtk_widget_get_first_child (self->ask_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->ask_box), child);
  for (guint i = 1; i < n; i++)
    {
      const char *name = gtk_string_list_get_string (self->names, i);
      g_autofree char *label = NULL;
      GtkWidget *button;

      if (g_strcmp0 (name, source) == 0)
        continue;
      label = g_strdup_printf (_("Ask %s"), name);
      button = gtk_button_new_with_label (label);
      gtk_widget_set_tooltip_text (button, _("Ask the last question again on this remote model"));
      g_object_set_data_full (G_OBJECT (button), "provider", g_strdup (name), g_free);
      gtk_widget_set_sensitive (button, can_ask);
      g_signal_connect (button, "clicked", G_CALLBACK (ask_clicked), self);
      gtk_box_append (GTK_BOX (self->ask_box), button);
    }
}

static void
picked (GtkToggleButton *button,
        HearthRemoteBar *self)
{
  const char *name = g_object_get_data (G_OBJECT (button), "provider");
  g_autoptr(GError) error = NULL;

  if (self->syncing || !gtk_toggle_button_get_active (button))
    return;
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->picker));
  if (!hearth_runtime_set_model_source (self->runtime, name, &error))
    g_warning ("The model could not be picked: %s", error->message);
  sync_bar (self);
}

/* One toggle button per place in @names (the first: this computer), in a
 * group: a button press picks it. */
static void
rebuild_choices (HearthRemoteBar   *self,
                 const char *const *names)
{
  GtkWidget *child;
  GtkToggleButton *first = NULL;

  self->syncing = TRUE;
  while ((child = gtk_widget_get_first_child (self->choices)) != NULL)
    gtk_box_remove (GTK_BOX (self->choices), child);
  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *button = gtk_toggle_button_new_with_label (names[i]);

      gtk_widget_add_css_class (button, "flat");
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, names[i], -1);
      if (i > 0)
        g_object_set_data_full (G_OBJECT (button), "provider", g_strdup (names[i]), g_free);
      if (first != NULL)
        gtk_toggle_button_set_group (GTK_TOGGLE_BUTTON (button), first);
      else
        first = GTK_TOGGLE_BUTTON (button);
      g_signal_connect (button, "toggled", G_CALLBACK (picked), self);
      gtk_box_append (GTK_BOX (self->choices), button);
    }
  self->syncing = FALSE;
}

void
hearth_remote_bar_reload (HearthRemoteBar *self)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();

  g_return_if_fail (HEARTH_IS_REMOTE_BAR (self));

  all = hearth_remote_providers_list (hearth_runtime_get_store (self->runtime), &error);
  if (all == NULL)
    g_warning ("The remote models could not be listed: %s", error->message);
  g_ptr_array_add (names, (gpointer) _("This computer"));
  for (guint i = 0; all != NULL && i < all->len; i++)
    g_ptr_array_add (names, ((HearthRemoteProvider *) all->pdata[i])->name);
  g_ptr_array_add (names, NULL);
  rebuild_choices (self, (const char *const *) names->pdata);
  self->syncing = TRUE;
  gtk_string_list_splice (self->names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->names)),
                          (const char *const *) names->pdata);
  self->syncing = FALSE;
  /* Without providers there is nothing to pick. */
  gtk_widget_set_visible (GTK_WIDGET (self), all != NULL && all->len > 0);
  sync_bar (self);
}


static void
window_active (GtkWindow       *window,
               GParamSpec      *pspec,
               HearthRemoteBar *self)
{
  if (gtk_window_is_active (window))
    hearth_remote_bar_reload (self);
}

/* A window closed or opened (Preferences, where providers are added and
 * removed): read the providers again. A window manager also makes the main
 * window active again then; without one (or before it does), and while
 * the bar is hidden (not realized: no providers yet), this is what brings
 * it up to date. */
static void
toplevels_changed (GListModel      *toplevels,
                   guint            position,
                   guint            removed,
                   guint            added,
                   HearthRemoteBar *self)
{
  hearth_remote_bar_reload (self);
}

static void
bar_realize (GtkWidget *widget)
{
  HearthRemoteBar *self = HEARTH_REMOTE_BAR (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (hearth_remote_bar_parent_class)->realize (widget);
  root = gtk_widget_get_root (widget);
  if (GTK_IS_WINDOW (root) && self->watched == NULL)
    {
      self->watched = GTK_WINDOW (root);
      g_signal_connect_object (root, "notify::is-active", G_CALLBACK (window_active), self, 0);
    }
}

static void
thread_changed (GListModel      *thread,
                guint            position,
                guint            removed,
                guint            added,
                HearthRemoteBar *self)
{
  sync_bar (self);
}

static void
hearth_remote_bar_dispose (GObject *object)
{
  HearthRemoteBar *self = HEARTH_REMOTE_BAR (object);

  if (self->runtime != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runtime, self);
      g_signal_handlers_disconnect_by_data (hearth_runtime_get_thread (self->runtime), self);
    }
  g_clear_object (&self->runtime);
  g_clear_object (&self->names);
  G_OBJECT_CLASS (hearth_remote_bar_parent_class)->dispose (object);
}

static void
hearth_remote_bar_class_init (HearthRemoteBarClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_remote_bar_dispose;
  GTK_WIDGET_CLASS (klass)->realize = bar_realize;
}

static void
hearth_remote_bar_init (HearthRemoteBar *self)
{
  GtkWidget *label = gtk_label_new (_("Model"));
  GtkWidget *popover;

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  gtk_widget_add_css_class (GTK_WIDGET (self), "toolbar");
  self->names = gtk_string_list_new (NULL);
  self->picker = gtk_menu_button_new ();
  self->choices = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (popover), self->choices);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (self->picker), popover);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->picker), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Where this conversation is answered"), -1);
  self->leaves = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->leaves, "warning");
  gtk_widget_set_hexpand (self->leaves, TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->leaves), 0);
  self->ask_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (self), label);
  gtk_box_append (GTK_BOX (self), self->picker);
  gtk_box_append (GTK_BOX (self), self->leaves);
  gtk_box_append (GTK_BOX (self), self->ask_box);
}

GtkWidget *
hearth_remote_bar_new (HearthRuntime *runtime)
{
  static const char *const watched[] = {
    "notify::remote-provider", "notify::remote-host", "notify::busy", "notify::conversation-id",
  };
  HearthRemoteBar *self = g_object_new (HEARTH_TYPE_REMOTE_BAR, NULL);

  self->runtime = g_object_ref (runtime);
  for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
    g_signal_connect_swapped (runtime, watched[i], G_CALLBACK (sync_bar), self);
  g_signal_connect (hearth_runtime_get_thread (runtime), "items-changed", G_CALLBACK (thread_changed), self);
  g_signal_connect_object (gtk_window_get_toplevels (), "items-changed", G_CALLBACK (toplevels_changed), self, 0);
  hearth_remote_bar_reload (self);
  return GTK_WIDGET (self);
}
