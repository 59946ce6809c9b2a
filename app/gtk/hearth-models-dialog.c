/* hearth-models-dialog.c: the remembered models, with what their files say, to load or forget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-model-info.h"
#include "hearth-models-dialog.h"

struct _HearthModelsDialog
{
  AdwWindow            parent_instance;

  GSettings           *settings;
  char                *loaded_path;
  AdwPreferencesGroup *group;
  GPtrArray           *rows;
  AdwToastOverlay     *toasts;
};

G_DEFINE_FINAL_TYPE (HearthModelsDialog, hearth_models_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_LOAD_MODEL,
  SIGNAL_UNLOAD_MODEL,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

void
hearth_models_remember (GSettings  *settings,
                        const char *path)
{
  g_auto(GStrv) old = g_settings_get_strv (settings, "recent-models");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  g_strv_builder_add (b, path);
  for (guint i = 0; old[i] != NULL && i < 20; i++)
    if (g_strcmp0 (old[i], path) != 0)
      g_strv_builder_add (b, old[i]);
  list = g_strv_builder_end (b);
  g_settings_set_strv (settings, "recent-models", (const char *const *) list);
}

static void
forget (GSettings  *settings,
        const char *path)
{
  g_auto(GStrv) old = g_settings_get_strv (settings, "recent-models");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) list = NULL;

  for (guint i = 0; old[i] != NULL; i++)
    if (g_strcmp0 (old[i], path) != 0)
      g_strv_builder_add (b, old[i]);
  list = g_strv_builder_end (b);
  g_settings_set_strv (settings, "recent-models", (const char *const *) list);
}

static void rebuild (HearthModelsDialog *self);

static void
load_clicked (GtkButton          *button,
              HearthModelsDialog *self)
{
  const char *path = g_object_get_data (G_OBJECT (button), "path");

  g_signal_emit (self, signals[SIGNAL_LOAD_MODEL], 0, path);
}

static void
unload_clicked (GtkButton          *button,
                HearthModelsDialog *self)
{
  g_signal_emit (self, signals[SIGNAL_UNLOAD_MODEL], 0);
  g_clear_pointer (&self->loaded_path, g_free);
  rebuild (self);
}

static void
forget_clicked (GtkButton          *button,
                HearthModelsDialog *self)
{
  forget (self->settings, g_object_get_data (G_OBJECT (button), "path"));
  rebuild (self);
}

static GtkWidget *
row_button (const char *label,
            const char *accessible,
            const char *path)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_object_set_data_full (G_OBJECT (b), "path", g_strdup (path), g_free);
  return b;
}

static void
rebuild (HearthModelsDialog *self)
{
  g_auto(GStrv) paths = g_settings_get_strv (self->settings, "recent-models");

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthModelInfo) info = hearth_model_info_read (paths[i], &error);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *base = g_path_get_basename (paths[i]);
      g_autofree char *load_label = g_strdup_printf (_("Load %s"), base);
      g_autofree char *forget_label = g_strdup_printf (_("Forget %s"), base);
      gboolean loaded = g_strcmp0 (paths[i], self->loaded_path) == 0;
      GtkWidget *b;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      if (info != NULL)
        {
          g_autofree char *summary = hearth_model_info_dup_summary (info);

          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), summary);
        }
      else
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
      gtk_widget_set_tooltip_text (row, paths[i]);

      if (loaded)
        {
          b = row_button (_("_Unload"), _("Unload the model"), paths[i]);
          g_signal_connect (b, "clicked", G_CALLBACK (unload_clicked), self);
        }
      else
        {
          b = row_button (_("_Load"), load_label, paths[i]);
          gtk_widget_add_css_class (b, "suggested-action");
          gtk_widget_set_sensitive (b, info != NULL);
          g_signal_connect (b, "clicked", G_CALLBACK (load_clicked), self);
        }
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
      b = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_widget_add_css_class (b, "flat");
      gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (b, _("Forget"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, forget_label, -1);
      g_object_set_data_full (G_OBJECT (b), "path", g_strdup (paths[i]), g_free);
      g_signal_connect (b, "clicked", G_CALLBACK (forget_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);

      adw_preferences_group_add (self->group, row);
      g_ptr_array_add (self->rows, row);
    }
  if (paths[0] == NULL)
    adw_preferences_group_set_description (self->group, _("No models yet: add a GGUF file."));
  else
    adw_preferences_group_set_description (self->group, NULL);
}

static void
file_chosen (const char *path,
             gpointer    user_data)
{
  HearthModelsDialog *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModelInfo) info = hearth_model_info_read (path, &error);

  if (info == NULL)
    {
      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
      return;
    }
  hearth_models_remember (self->settings, path);
  rebuild (self);
}

static void
add_clicked (HearthModelsDialog *self)
{
  hearth_models_choose_file (GTK_WINDOW (self), file_chosen, g_object_ref (self), g_object_unref);
}

static void
hearth_models_dialog_finalize (GObject *object)
{
  HearthModelsDialog *self = HEARTH_MODELS_DIALOG (object);

  g_clear_object (&self->settings);
  g_free (self->loaded_path);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (hearth_models_dialog_parent_class)->finalize (object);
}

static void
hearth_models_dialog_class_init (HearthModelsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_models_dialog_finalize;
  signals[SIGNAL_LOAD_MODEL] = g_signal_new ("load-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_UNLOAD_MODEL] = g_signal_new ("unload-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hearth_models_dialog_init (HearthModelsDialog *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *add = gtk_button_new_with_mnemonic (_("_Add Model…"));
  GtkWidget *page = adw_preferences_page_new ();

  self->rows = g_ptr_array_new ();
  gtk_window_set_title (GTK_WINDOW (self), _("Models"));
  gtk_window_set_default_size (GTK_WINDOW (self), 560, 420);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_widget_add_css_class (add, "suggested-action");
  gtk_accessible_update_property (GTK_ACCESSIBLE (add), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Add model"), -1);
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_clicked), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), add);
  gtk_box_append (GTK_BOX (box), header);

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _("Your Models"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->group);
  gtk_widget_set_vexpand (page, TRUE);
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, page);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  adw_window_set_content (ADW_WINDOW (self), box);
}

HearthModelsDialog *
hearth_models_dialog_new (GtkWindow  *parent,
                          GSettings  *settings,
                          const char *loaded_path)
{
  HearthModelsDialog *self = g_object_new (HEARTH_TYPE_MODELS_DIALOG, "transient-for", parent, NULL);

  self->settings = g_object_ref (settings);
  self->loaded_path = g_strdup (loaded_path);
  rebuild (self);
  return self;
}

typedef struct
{
  HearthModelChosenFunc func;
  gpointer              user_data;
  GDestroyNotify        destroy;
} Chooser;

static void
chooser_response (GtkNativeDialog *native,
                  int              response,
                  Chooser         *c)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        c->func (path, c->user_data);
    }
  if (c->destroy != NULL)
    c->destroy (c->user_data);
  g_free (c);
  g_object_unref (native);
}

void
hearth_models_choose_file (GtkWindow            *parent,
                           HearthModelChosenFunc func,
                           gpointer              user_data,
                           GDestroyNotify        destroy)
{
  /* The native chooser goes through the file chooser portal in the Flatpak,
   * which grants access to just the file picked. */
  GtkFileChooserNative *native = gtk_file_chooser_native_new (_("Choose a GGUF Model"), parent,
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              _("_Open"), _("_Cancel"));
  g_autoptr(GtkFileFilter) gguf = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  Chooser *c = g_new0 (Chooser, 1);

  gtk_file_filter_set_name (gguf, _("GGUF models"));
  gtk_file_filter_add_pattern (gguf, "*.gguf");
  gtk_file_filter_add_pattern (gguf, "*.GGUF");
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), gguf);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  c->func = func;
  c->user_data = user_data;
  c->destroy = destroy;
  g_signal_connect (native, "response", G_CALLBACK (chooser_response), c);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}
