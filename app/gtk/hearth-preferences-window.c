/* hearth-preferences-window.c: sampling, context, device and appearance settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-preferences-window.h"

struct _HearthPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings           *settings;
};

G_DEFINE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
hearth_preferences_window_finalize (GObject *object)
{
  g_clear_object (&HEARTH_PREFERENCES_WINDOW (object)->settings);
  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->finalize (object);
}

static void
hearth_preferences_window_class_init (HearthPreferencesWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_preferences_window_finalize;
}

static void
hearth_preferences_window_init (HearthPreferencesWindow *self)
{
}

/* A row with a spin button bound to a numeric key. */
static void
add_spin (HearthPreferencesWindow *self,
          AdwPreferencesGroup     *group,
          const char              *key,
          const char              *title,
          const char              *subtitle,
          double                   lower,
          double                   upper,
          double                   step,
          guint                    digits)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  g_settings_bind (self->settings, key, spin, "value", G_SETTINGS_BIND_DEFAULT);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
}

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
add_combo (HearthPreferencesWindow *self,
           AdwPreferencesGroup     *group,
           const char              *key,
           const char              *title,
           const char *const       *labels,
           const char *const       *values)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) list = gtk_string_list_new (labels);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (list));
  g_settings_bind_with_mapping (self->settings, key, row, "selected", G_SETTINGS_BIND_DEFAULT,
                                string_to_index, index_to_string, (gpointer) values, NULL);
  adw_preferences_group_add (group, row);
}

static void
clear_default_model (GtkButton               *button,
                     HearthPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "default-model", "");
}

static void
default_model_changed (GSettings   *settings,
                       const char  *key,
                       AdwActionRow *row)
{
  g_autofree char *path = g_settings_get_string (settings, "default-model");

  adw_action_row_set_subtitle (row, path[0] ? path : _("None: start without a model"));
}

HearthPreferencesWindow *
hearth_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  static const char *const device_values[] = { "cpu", "vulkan", NULL };
  static const char *const scheme_values[] = { "follow", "light", "dark", NULL };
  const char *device_labels[] = { _("CPU"), _("GPU (Vulkan)"), NULL };
  const char *scheme_labels[] = { _("Follow the System"), _("Light"), _("Dark"), NULL };
  HearthPreferencesWindow *self = g_object_new (HEARTH_TYPE_PREFERENCES_WINDOW,
                                                "transient-for", parent, "modal", TRUE, NULL);
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *gen = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *model = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *look = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *clear = gtk_button_new_with_mnemonic (_("_Clear"));

  self->settings = g_object_ref (settings);
  adw_preferences_page_set_title (page, _("General"));
  adw_preferences_page_set_icon_name (page, "preferences-system-symbolic");

  adw_preferences_group_set_title (model, _("Model"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Default Model"));
  gtk_widget_set_valign (clear, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (clear), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Clear the default model"), -1);
  g_signal_connect (clear, "clicked", G_CALLBACK (clear_default_model), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), clear);
  g_signal_connect_object (settings, "changed::default-model", G_CALLBACK (default_model_changed), row, 0);
  default_model_changed (settings, "default-model", ADW_ACTION_ROW (row));
  adw_preferences_group_add (model, row);
  add_spin (self, model, "context-length", _("Context Length"),
            _("Tokens the model sees at most; 0 uses the model's own"), 0, 1048576, 256, 0);
  add_combo (self, model, "gpu-device", _("Device"), device_labels, device_values);
  add_spin (self, model, "gpu-layers", _("GPU Layers"), _("Layers run on the GPU; −1 for all"), -1, 1000, 1, 0);

  adw_preferences_group_set_title (gen, _("Generation"));
  add_spin (self, gen, "temperature", _("Temperature"), _("Higher is more varied; 0 always picks the likeliest word"), 0, 2, 0.05, 2);
  add_spin (self, gen, "top-p", _("Top-p"), _("Only the likeliest words that add up to this share; 1 turns it off"), 0, 1, 0.01, 2);
  add_spin (self, gen, "top-k", _("Top-k"), _("Only this many likeliest words; 0 turns it off"), 0, 1000, 1, 0);
  add_spin (self, gen, "min-p", _("Min-p"), _("Drop words less likely than this share of the best; 0 turns it off"), 0, 1, 0.01, 2);

  adw_preferences_group_set_title (look, _("Appearance"));
  add_combo (self, look, "color-scheme", _("Style"), scheme_labels, scheme_values);

  adw_preferences_page_add (page, model);
  adw_preferences_page_add (page, gen);
  adw_preferences_page_add (page, look);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), page);
  return self;
}
