/* hearth-application.c: the application: command line, actions, windows
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hearth-application.h"
#include "hearth-preferences-window.h"
#include "hearth-resources.h"
#include "hearth-window.h"

struct _HearthApplication
{
  AdwApplication parent_instance;

  GSettings     *settings;
  char          *model_path;
};

G_DEFINE_FINAL_TYPE (HearthApplication, hearth_application, ADW_TYPE_APPLICATION)

static gint64 start_time;

void
hearth_application_set_start_time (gint64 monotonic_us)
{
  start_time = monotonic_us;
}

void
hearth_application_mark_time_at (const char *event,
                                  gint64      monotonic_us)
{
  static int enabled = -1;

  if (enabled < 0)
    enabled = g_getenv ("HEARTH_DEBUG_TIMING") != NULL;
  if (enabled)
    {
      fprintf (stderr, "hearth-timing: %s %.1f\n", event, (monotonic_us - start_time) / 1000.0);
      fflush (stderr);
    }
}

void
hearth_application_mark_time (const char *event)
{
  hearth_application_mark_time_at (event, g_get_monotonic_time ());
}

static void
apply_color_scheme (GSettings  *settings,
                    const char *key,
                    gpointer    user_data)
{
  AdwStyleManager *sm = adw_style_manager_get_default ();

  switch (g_settings_get_enum (settings, "color-scheme"))
    {
    case 1: adw_style_manager_set_color_scheme (sm, ADW_COLOR_SCHEME_FORCE_LIGHT); break;
    case 2: adw_style_manager_set_color_scheme (sm, ADW_COLOR_SCHEME_FORCE_DARK); break;
    default: adw_style_manager_set_color_scheme (sm, ADW_COLOR_SCHEME_DEFAULT); break;
    }
}

static void
hearth_application_activate (GApplication *app)
{
  HearthApplication *self = HEARTH_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (hearth_window_new (ADW_APPLICATION (app), self->model_path));
  else if (self->model_path != NULL)
    hearth_window_load_model (HEARTH_WINDOW (window), self->model_path);
  gtk_window_present (window);
}

static int
hearth_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  HearthApplication *self = HEARTH_APPLICATION (app);
  const char *model = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      printf ("hearth %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "model", "^&ay", &model))
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (model);

      g_free (self->model_path);
      self->model_path = g_file_get_path (file);
    }
  return -1;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *param,
                gpointer       user_data)
{
  GtkApplication *app = user_data;
  GList *windows = gtk_application_get_windows (app);

  /* Closing, not quitting outright: the windows stop their replies and
   * finish pending deletions on the way out. */
  while (windows != NULL)
    {
      GList *next = windows->next;

      gtk_window_close (windows->data);
      windows = next;
    }
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *param,
                       gpointer       user_data)
{
  HearthApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  HearthPreferencesWindow *prefs = hearth_preferences_window_new (parent, self->settings);

  if (HEARTH_IS_WINDOW (parent) && hearth_window_get_plugins (HEARTH_WINDOW (parent)) != NULL)
    hearth_preferences_window_add_plugins (prefs, hearth_window_get_plugins (HEARTH_WINDOW (parent)),
                                           hearth_window_get_runtime (HEARTH_WINDOW (parent)));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { "The Hearth developers", NULL };

  adw_show_about_window (parent,
                         "application-name", "Hearth",
                         "application-icon", HEARTH_APP_ID,
                         "developer-name", "The Hearth developers",
                         "version", PACKAGE_VERSION,
                         "comments", _("A private, offline desktop assistant"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         NULL);
}

static void
hearth_application_startup (GApplication *app)
{
  HearthApplication *self = HEARTH_APPLICATION (app);
  static const GActionEntry actions[] = {
    { "quit", quit_activated },
    { "preferences", preferences_activated },
    { "about", about_activated },
  };
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.new-chat", { "<Control>n", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.focus-composer", { "<Control>k", NULL } },
    { "win.models", { "<Control>m", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (hearth_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  self->settings = g_settings_new (HEARTH_APP_ID);
  g_signal_connect (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), NULL);
  apply_color_scheme (self->settings, "color-scheme", NULL);
  gtk_window_set_default_icon_name (HEARTH_APP_ID);
}

static void
hearth_application_finalize (GObject *object)
{
  HearthApplication *self = HEARTH_APPLICATION (object);

  g_clear_object (&self->settings);
  g_free (self->model_path);
  G_OBJECT_CLASS (hearth_application_parent_class)->finalize (object);
}

static void
hearth_application_class_init (HearthApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = hearth_application_finalize;
  app_class->activate = hearth_application_activate;
  app_class->startup = hearth_application_startup;
  app_class->handle_local_options = hearth_application_handle_local_options;
}

static void
hearth_application_init (HearthApplication *self)
{
  static const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, NULL, N_("Load this GGUF model"), N_("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

HearthApplication *
hearth_application_new (void)
{
  /* Referencing the resource bundle keeps the linker from dropping it out
   * of the static library; registering it gives AdwApplication the CSS and
   * GtkApplication the shortcuts window. */
  g_resources_register (hearth_get_resource ());
  return g_object_new (HEARTH_TYPE_APPLICATION,
                       "application-id", HEARTH_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/hearth/Hearth",
                       NULL);
}
