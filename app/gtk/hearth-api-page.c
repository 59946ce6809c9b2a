/* hearth-api-page.c: Preferences → Local API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built in code (a handful of rows). The switch, address and port write
 * the settings (the window binds them to the runtime's HearthApiService);
 * the rest reads the service: its properties for the state, its summary
 * once a second while the page is mapped for the figures. The token is
 * read from the keyring the first time the page is mapped. Main thread.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-api-page.h"
#include "hearth-api-service.h"

enum
{
  FIGURE_REQUESTS,
  FIGURE_ERRORS,
  FIGURE_ACTIVE,
  FIGURE_QUEUED,
  FIGURE_TTFT,
  FIGURE_TPS,
  FIGURE_MODELS,
  FIGURE_MEMORY,
  N_FIGURES
};

struct _HearthApiPage
{
  AdwPreferencesPage parent_instance;
  HearthApiService  *service;
  GSettings         *settings;
  GtkWidget         *enabled;
  GtkWidget         *keep_history;
  GtkWidget         *host;
  GtkWidget         *host_warning;
  GtkWidget         *port;
  GtkWidget         *state;
  GtkWidget         *error_row;
  GtkWidget         *url;
  GtkWidget         *token;
  GtkWidget         *token_status;
  GtkWidget         *figures[N_FIGURES];
  guint              tick;
  gboolean           token_read;
};

G_DEFINE_FINAL_TYPE (HearthApiPage, hearth_api_page, ADW_TYPE_PREFERENCES_PAGE)

static const char *
figure_title (guint i)
{
  switch (i)
    {
    case FIGURE_REQUESTS: return _("Requests");
    case FIGURE_ERRORS: return _("Errors");
    case FIGURE_ACTIVE: return _("Replies in progress");
    case FIGURE_QUEUED: return _("Queue length");
    case FIGURE_TTFT: return _("Median time to first token");
    case FIGURE_TPS: return _("Tokens per second");
    case FIGURE_MODELS: return _("Loaded models");
    case FIGURE_MEMORY: return _("Device memory in use");
    default: g_assert_not_reached ();
    }
}

/* A value label reads "TITLE: VALUE" to assistive technologies. */
static void
set_figure (HearthApiPage *self,
            guint          i,
            const char    *value)
{
  g_autofree char *accessible = g_strdup_printf ("%s: %s", figure_title (i), value);

  gtk_label_set_text (GTK_LABEL (self->figures[i]), value);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->figures[i]), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

static gboolean
refresh_figures (gpointer data)
{
  HearthApiPage *self = data;
  HearthApiMetricsSummary s;
  g_autofree char *requests = NULL, *errors = NULL, *active = NULL, *queued = NULL;
  g_autofree char *ttft = NULL, *tps = NULL, *memory = NULL;
  const char *model_id = hearth_api_service_get_model_id (self->service);

  hearth_api_service_get_summary (self->service, &s);
  requests = g_strdup_printf ("%" G_GUINT64_FORMAT, s.requests);
  errors = g_strdup_printf ("%" G_GUINT64_FORMAT, s.errors);
  active = g_strdup_printf ("%u", s.active);
  queued = g_strdup_printf ("%u", s.queued);
  /* TRANSLATORS: a duration in milliseconds */
  ttft = s.ttft_median < 0 ? g_strdup (_("None yet")) : g_strdup_printf (_("%.0f ms"), s.ttft_median * 1000);
  tps = s.tokens_per_second < 0 ? g_strdup (_("None yet")) : g_strdup_printf ("%.1f", s.tokens_per_second);
  if (s.device_bytes > 0)
    memory = g_format_size (s.device_bytes);
  else
    /* TRANSLATORS: device (GPU) memory in use, when the model runs on the CPU or none is served */
    memory = g_strdup (s.n_models > 0 ? _("None (on the CPU)") : _("None"));
  set_figure (self, FIGURE_REQUESTS, requests);
  set_figure (self, FIGURE_ERRORS, errors);
  set_figure (self, FIGURE_ACTIVE, active);
  set_figure (self, FIGURE_QUEUED, queued);
  set_figure (self, FIGURE_TTFT, ttft);
  set_figure (self, FIGURE_TPS, tps);
  set_figure (self, FIGURE_MODELS, s.n_models > 0 && model_id != NULL ? model_id : _("None"));
  set_figure (self, FIGURE_MEMORY, memory);
  return G_SOURCE_CONTINUE;
}

static void
update_state (HearthApiPage *self)
{
  const char *error = hearth_api_service_get_error (self->service);
  const char *url = hearth_api_service_get_url (self->service);
  g_autofree char *state = NULL;

  if (hearth_api_service_get_running (self->service) && hearth_api_service_get_model_id (self->service) != NULL)
    state = g_strdup_printf (_("Running: serving %s"), hearth_api_service_get_model_id (self->service));
  else if (hearth_api_service_get_running (self->service))
    state = g_strdup (_("Running: no model is loaded, so requests get an error until one is"));
  else if (!hearth_api_service_get_enabled (self->service))
    state = g_strdup (_("Off"));
  else if (error != NULL)
    state = g_strdup (_("Not running"));
  else
    state = g_strdup (_("Not running"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->state), state);
  gtk_widget_set_visible (self->error_row, error != NULL);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->error_row), error != NULL ? error : "");
  gtk_label_set_text (GTK_LABEL (self->url), url != NULL ? url : _("Not running"));
  refresh_figures (self);
}

static void
update_host_warning (HearthApiPage *self)
{
  g_autofree char *host = g_settings_get_string (self->settings, "api-host");

  gtk_widget_set_visible (self->host_warning, !hearth_api_service_host_is_loopback (host));
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->host)), host) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->host), host);
}

static void
host_applied (HearthApiPage *self)
{
  g_settings_set_string (self->settings, "api-host", gtk_editable_get_text (GTK_EDITABLE (self->host)));
}

static void
show_token (HearthApiPage *self,
            char          *token,
            GError        *error)
{
  gtk_label_set_text (GTK_LABEL (self->token), token != NULL ? token : "");
  gtk_label_set_text (GTK_LABEL (self->token_status), error != NULL ? error->message : "");
  gtk_widget_set_visible (self->token_status, error != NULL);
  g_free (token);
}

static void
regenerate_clicked (HearthApiPage *self)
{
  g_autoptr(GError) error = NULL;
  char *token = hearth_api_service_regenerate_token (self->service, &error);

  show_token (self, token, error);
}

static void
copy_clicked (HearthApiPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)),
                          gtk_label_get_text (GTK_LABEL (self->token)));
  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (_("Token copied")));
}

/* The keyring is asked when the page is first shown, not when Preferences opens. */
static void
page_mapped (HearthApiPage *self)
{
  if (!self->token_read)
    {
      g_autoptr(GError) error = NULL;
      char *token = hearth_api_service_dup_token (self->service, &error);

      self->token_read = TRUE;
      show_token (self, token, error);
    }
  refresh_figures (self);
  if (self->tick == 0)
    self->tick = g_timeout_add_seconds (1, refresh_figures, self);
}

static void
page_unmapped (HearthApiPage *self)
{
  g_clear_handle_id (&self->tick, g_source_remove);
}

static void
hearth_api_page_dispose (GObject *object)
{
  HearthApiPage *self = HEARTH_API_PAGE (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_object (&self->service);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (hearth_api_page_parent_class)->dispose (object);
}

static void
hearth_api_page_class_init (HearthApiPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_api_page_dispose;
}

static GtkWidget *
action_row (AdwPreferencesGroup *group,
            const char          *title,
            const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (group, row);
  return row;
}

/* A value at the end of @row; @wide ones (the token) wrap anywhere and
 * take half the row, short ones keep to one line. */
static GtkWidget *
value_label (GtkWidget *row,
             gboolean   selectable,
             gboolean   wide)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_selectable (GTK_LABEL (label), selectable);
  if (wide)
    {
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_add_css_class (label, "monospace");
    }
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return label;
}

static GtkWidget *
row_button (GtkWidget  *row,
            const char *mnemonic,
            const char *accessible)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mnemonic);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return button;
}

static void
hearth_api_page_init (HearthApiPage *self)
{
  AdwPreferencesGroup *server = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *access = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *figures = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *row, *icon, *button;

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Local API"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "network-transmit-receive-symbolic");

  adw_preferences_group_set_title (server, _("Server"));
  adw_preferences_group_set_description (server, _("Other programs use the loaded model through an "
                                                   "OpenAI-compatible API. Their conversations are not saved "
                                                   "in the history unless you keep them below."));
  row = action_row (server, _("Serve the Loaded Model"), NULL);
  self->enabled = gtk_switch_new ();
  gtk_widget_set_valign (self->enabled, GTK_ALIGN_CENTER);
  /* Named by the row's title: the activatable widget is labelled by it
   * (a label of its own would be said twice). */
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), self->enabled);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), self->enabled);
  row = action_row (server, _("Keep API Conversations"),
                    _("Each finished chat request becomes a conversation in the history"));
  self->keep_history = gtk_switch_new ();
  gtk_widget_set_valign (self->keep_history, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), self->keep_history);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), self->keep_history);
  self->state = action_row (server, _("Status"), NULL);
  self->error_row = action_row (server, _("Cannot Serve"), NULL);
  gtk_widget_add_css_class (self->error_row, "error");
  icon = gtk_image_new_from_icon_name ("dialog-error-symbolic");
  adw_action_row_add_prefix (ADW_ACTION_ROW (self->error_row), icon);
  row = action_row (server, _("URL"), NULL);
  self->url = value_label (row, TRUE, FALSE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), server);

  adw_preferences_group_set_title (access, _("Access"));
  row = action_row (access, _("Token"), _("Clients send it as “Authorization: Bearer TOKEN”. Kept in the keyring; "
                                          "a new one locks out the clients that have the old one."));
  self->token = value_label (row, TRUE, TRUE);
  button = row_button (row, _("_Copy"), _("Copy Token"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (copy_clicked), self);
  button = row_button (row, _("_Regenerate"), _("Regenerate Token"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (regenerate_clicked), self);
  self->token_status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->token_status), TRUE);
  gtk_widget_add_css_class (self->token_status, "error");
  gtk_widget_set_visible (self->token_status, FALSE);
  adw_preferences_group_add (access, self->token_status);
  self->host = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->host), _("Address"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->host), TRUE);
  g_signal_connect_swapped (self->host, "apply", G_CALLBACK (host_applied), self);
  adw_preferences_group_add (access, self->host);
  self->host_warning = action_row (access, _("Other Computers Can Connect"),
                                   _("Anyone on the network who has the token can use the model. "
                                     "Use 127.0.0.1 to keep it to this computer."));
  gtk_widget_add_css_class (self->host_warning, "warning");
  icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");
  adw_action_row_add_prefix (ADW_ACTION_ROW (self->host_warning), icon);
  row = action_row (access, _("Port"), NULL);
  self->port = gtk_spin_button_new_with_range (1, 65535, 1);
  gtk_widget_set_valign (self->port, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->port), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Port"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), self->port);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), access);

  adw_preferences_group_set_title (figures, _("Activity"));
  adw_preferences_group_set_description (figures, _("Since the server started: the figures it serves at /metrics."));
  for (guint i = 0; i < N_FIGURES; i++)
    self->figures[i] = value_label (action_row (figures, figure_title (i), NULL), FALSE, FALSE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), figures);

  g_signal_connect (self, "map", G_CALLBACK (page_mapped), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (page_unmapped), NULL);
}

GtkWidget *
hearth_api_page_new (HearthRuntime *runtime,
                     GSettings     *settings)
{
  HearthApiPage *self = g_object_new (HEARTH_TYPE_API_PAGE, NULL);
  static const char * const props[] = { "notify::running", "notify::url", "notify::error", "notify::enabled",
                                        "notify::model-id" };

  self->service = g_object_ref (hearth_api_service_get_for_runtime (runtime));
  self->settings = g_object_ref (settings);
  g_settings_bind (settings, "api-enabled", self->enabled, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "api-keep-history", self->keep_history, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "api-port", self->port, "value", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed::api-host", G_CALLBACK (update_host_warning), self, G_CONNECT_SWAPPED);
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    g_signal_connect_object (self->service, props[i], G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  update_host_warning (self);
  update_state (self);
  refresh_figures (self);
  return GTK_WIDGET (self);
}
