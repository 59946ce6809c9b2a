/* hearth-preferences-window.c: sampling, context, device and appearance settings; plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-api-page.h"
#include "hearth-documents-page.h"
#include "hearth-plugins-page.h"
#include "hearth-remote-page.h"
#include "hearth-preferences-window.h"

struct _HearthPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings           *settings;
  AdwActionRow        *default_model_row;
  GtkSpinButton       *context_length;
  AdwComboRow         *device;
  GtkSpinButton       *gpu_layers;
  GtkSpinButton       *temperature;
  GtkSpinButton       *top_p;
  GtkSpinButton       *top_k;
  GtkSpinButton       *min_p;
  AdwComboRow         *style;
};

G_DEFINE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static gboolean
string_to_index (GValue   *value,
                 GVariant *variant,
                 gpointer  user_data)
{
  const char *const *names = user_data;
  const char *s = g_variant_get_string (variant, NULL);

  for (guint i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], s) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
index_to_string (const GValue       *value,
                 const GVariantType *type,
                 gpointer            user_data)
{
  const char *const *names = user_data;
  guint i = g_value_get_uint (value);

  if (i >= g_strv_length ((char **) names))
    i = 0;
  return g_variant_new_string (names[i]);
}

static void
clear_default_model (HearthPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "default-model", "");
}

static void
default_model_changed (GSettings               *settings,
                       const char              *key,
                       HearthPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (settings, "default-model");

  adw_action_row_set_subtitle (self->default_model_row, path[0] ? path : _("None: start without a model"));
}

static void
hearth_preferences_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->dispose (object);
}

static void
hearth_preferences_window_finalize (GObject *object)
{
  g_clear_object (&HEARTH_PREFERENCES_WINDOW (object)->settings);
  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->finalize (object);
}

static void
hearth_preferences_window_class_init (HearthPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_preferences_window_dispose;
  object_class->finalize = hearth_preferences_window_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/hearth/Hearth/hearth-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, default_model_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, context_length);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, device);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, gpu_layers);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, temperature);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, top_p);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, top_k);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, min_p);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, style);
  gtk_widget_class_bind_template_callback (widget_class, clear_default_model);
}

static void
hearth_preferences_window_init (HearthPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

HearthPreferencesWindow *
hearth_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  static const char *const device_values[] = { "cpu", "vulkan", NULL };
  static const char *const scheme_values[] = { "follow", "light", "dark", NULL };
  HearthPreferencesWindow *self = g_object_new (HEARTH_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  const struct { const char *key; GtkSpinButton *spin; } spins[] = {
    { "context-length", self->context_length },
    { "gpu-layers", self->gpu_layers },
    { "temperature", self->temperature },
    { "top-p", self->top_p },
    { "top-k", self->top_k },
    { "min-p", self->min_p },
  };

  self->settings = g_object_ref (settings);
  for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
    g_settings_bind (settings, spins[i].key, spins[i].spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "gpu-device", self->device, "selected", G_SETTINGS_BIND_DEFAULT,
                                string_to_index, index_to_string, (gpointer) device_values, NULL);
  g_settings_bind_with_mapping (settings, "color-scheme", self->style, "selected", G_SETTINGS_BIND_DEFAULT,
                                string_to_index, index_to_string, (gpointer) scheme_values, NULL);
  g_signal_connect_object (settings, "changed::default-model", G_CALLBACK (default_model_changed), self, 0);
  default_model_changed (settings, "default-model", self);
  return self;
}

void
hearth_preferences_window_add_plugins (HearthPreferencesWindow *self,
                                       HearthPluginManager     *plugins,
                                       HearthRuntime           *runtime)
{
  HearthDocuments *documents = hearth_documents_get_for_runtime (runtime);

  g_return_if_fail (HEARTH_IS_PREFERENCES_WINDOW (self));
  if (documents != NULL)
    adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                                ADW_PREFERENCES_PAGE (hearth_documents_page_new (documents)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hearth_plugins_page_new (plugins, runtime)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), ADW_PREFERENCES_PAGE (hearth_remote_page_new (runtime)));
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self),
                              ADW_PREFERENCES_PAGE (hearth_api_page_new (runtime, self->settings)));
}
