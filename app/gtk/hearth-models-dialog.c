/* hearth-models-dialog.c: the registry's models, with what their files say, to load or forget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each row says how the model will run here: the fit check's verdict and
 * numbers (hearth-model-fit.h) from the file's header, at the context the
 * preferences open it with, against this machine as it was when the
 * dialog opened. "Import from Hugging Face…" opens the import dialog
 * (hearth-hf-import-dialog.h); what it downloads is added, or loaded.
 * Downloads left unfinished are listed above the models
 * (hearth-unfinished-downloads.h), to resume or discard.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-application.h"
#include "hearth-hf-import-dialog.h"
#include "hearth-model-fit.h"
#include "hearth-models-dialog.h"
#include "hearth-unfinished-downloads.h"

struct _HearthModelsDialog
{
  AdwWindow            parent_instance;

  HearthRuntime       *runtime;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *group;
  GtkListBox          *list;
  AdwToastOverlay     *toasts;
  HearthFitMachine    *machine;
  guint32              n_ctx;
};

G_DEFINE_FINAL_TYPE (HearthModelsDialog, hearth_models_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_LOAD_MODEL,
  SIGNAL_UNLOAD_MODEL,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void bind_rows (HearthModelsDialog *self);

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
  /* Every row's button depends on what is loaded. */
  bind_rows (self);
}

static void
forget_clicked (GtkButton          *button,
                HearthModelsDialog *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_model_registry_remove (hearth_runtime_get_models (self->runtime),
                                     g_object_get_data (G_OBJECT (button), "path"), &error))
    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
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

/* The fit check's sentence for @path, or why there is none. */
static char *
dup_fit_text (HearthModelsDialog *self,
              const char         *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthFit) fit = NULL;
  HearthFitModel model;

  if (!hearth_fit_model_from_file (path, self->n_ctx, &model, &error))
    return g_strdup (error->message);
  fit = hearth_fit_check (&model, self->machine);
  return g_strdup (fit->summary);
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  HearthModelsDialog *self = user_data;
  HearthModelEntry *entry = item;
  const char *path = hearth_model_entry_get_path (entry);
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *load_label = g_strdup_printf (_("Load %s"), base);
  g_autofree char *forget_label = g_strdup_printf (_("Forget %s"), base);
  g_autofree char *summary = hearth_model_entry_dup_summary (entry);
  gboolean loaded = g_strcmp0 (path, hearth_runtime_get_model_path (self->runtime)) == 0 &&
                    hearth_runtime_get_model_loaded (self->runtime);
  GtkWidget *b;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (hearth_model_entry_get_available (entry))
    {
      g_autofree char *fit = dup_fit_text (self, path);
      g_autofree char *subtitle = g_strdup_printf ("%s\n%s", summary, fit);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
  else
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), summary);
  gtk_widget_set_tooltip_text (row, path);

  if (loaded)
    {
      b = row_button (_("_Unload"), _("Unload the model"), path);
      g_signal_connect (b, "clicked", G_CALLBACK (unload_clicked), self);
    }
  else
    {
      b = row_button (_("_Load"), load_label, path);
      gtk_widget_add_css_class (b, "suggested-action");
      gtk_widget_set_sensitive (b, hearth_model_entry_get_available (entry));
      g_signal_connect (b, "clicked", G_CALLBACK (load_clicked), self);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
  b = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_add_css_class (b, "flat");
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (b, _("Forget"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, forget_label, -1);
  g_object_set_data_full (G_OBJECT (b), "path", g_strdup (path), g_free);
  g_signal_connect (b, "clicked", G_CALLBACK (forget_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
  return row;
}

static void
update_description (HearthModelsDialog *self)
{
  GListModel *models = G_LIST_MODEL (hearth_runtime_get_models (self->runtime));

  adw_preferences_group_set_description (self->group, g_list_model_get_n_items (models) == 0
                                                      ? _("No models yet: add a GGUF file.") : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->list), g_list_model_get_n_items (models) > 0);
}

static void
bind_rows (HearthModelsDialog *self)
{
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (hearth_runtime_get_models (self->runtime)),
                           create_row, self, NULL);
  update_description (self);
}

static void
file_chosen (const char *path,
             gpointer    user_data)
{
  HearthModelsDialog *self = user_data;
  g_autoptr(GError) error = NULL;

  if (hearth_model_registry_add (hearth_runtime_get_models (self->runtime), path, &error) == NULL)
    adw_toast_overlay_add_toast (self->toasts, adw_toast_new (error->message));
}

static void
add_clicked (HearthModelsDialog *self)
{
  hearth_models_choose_file (GTK_WINDOW (self), file_chosen, g_object_ref (self), g_object_unref);
}

/* A verified download (imported, or an unfinished one resumed): one of
 * the models now; loading it adds it too. */
static void
download_ready (HearthModelsDialog *self,
                const char         *path,
                gboolean            load)
{
  if (load)
    g_signal_emit (self, signals[SIGNAL_LOAD_MODEL], 0, path);
  else
    file_chosen (path, self);
}

static void
resumed_ready (HearthModelsDialog *self,
               const char         *path)
{
  download_ready (self, path, FALSE);
}

static void
import_clicked (HearthModelsDialog *self)
{
  HearthHfImportDialog *dialog = hearth_hf_import_dialog_new (GTK_WINDOW (self));

  g_signal_connect_object (dialog, "model-ready", G_CALLBACK (download_ready), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hearth_models_dialog_dispose (GObject *object)
{
  HearthModelsDialog *self = HEARTH_MODELS_DIALOG (object);

  if (self->runtime != NULL)
    g_signal_handlers_disconnect_by_data (hearth_runtime_get_models (self->runtime), self);
  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->runtime);
  g_clear_pointer (&self->machine, hearth_fit_machine_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_MODELS_DIALOG);
  G_OBJECT_CLASS (hearth_models_dialog_parent_class)->dispose (object);
}

static void
hearth_models_dialog_class_init (HearthModelsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_models_dialog_dispose;
  signals[SIGNAL_LOAD_MODEL] = g_signal_new ("load-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_UNLOAD_MODEL] = g_signal_new ("unload-model", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-models-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthModelsDialog, page);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsDialog, group);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsDialog, list);
  gtk_widget_class_bind_template_child (widget_class, HearthModelsDialog, toasts);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked);
  gtk_widget_class_bind_template_callback (widget_class, import_clicked);
}

static void
hearth_models_dialog_init (HearthModelsDialog *self)
{
  GtkWidget *unfinished;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* Above the models, as on the welcome page: a user with a model loaded
   * sees them here. */
  unfinished = hearth_unfinished_downloads_new ();
  g_signal_connect_object (unfinished, "model-ready", G_CALLBACK (resumed_ready), self, G_CONNECT_SWAPPED);
  g_object_ref (self->group);
  adw_preferences_page_remove (self->page, self->group);
  adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (unfinished));
  adw_preferences_page_add (self->page, self->group);
  g_object_unref (self->group);
}

HearthModelsDialog *
hearth_models_dialog_new (GtkWindow     *parent,
                          HearthRuntime *runtime)
{
  HearthModelsDialog *self = g_object_new (HEARTH_TYPE_MODELS_DIALOG, "transient-for", parent, NULL);

  g_autoptr(GSettings) settings = g_settings_new (HEARTH_APP_ID);

  self->runtime = g_object_ref (runtime);
  self->machine = hearth_fit_machine_new_current ();
  self->n_ctx = g_settings_get_uint (settings, "context-length");
  g_signal_connect_swapped (hearth_runtime_get_models (runtime), "items-changed",
                            G_CALLBACK (update_description), self);
  bind_rows (self);
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
