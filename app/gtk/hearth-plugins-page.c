/* hearth-plugins-page.c: Preferences → Plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-folder-chooser.h"
#include "hearth-mcp-servers.h"
#include "hearth-plugins-page.h"
#include "hearth-tool-words.h"

#define FILES_PLUGIN "files"

struct _HearthPluginsPage
{
  AdwPreferencesPage   parent_instance;

  HearthPluginManager *plugins;
  HearthRuntime       *runtime;
  GPtrArray           *groups;  /* AdwPreferencesGroup on show */
  guint                refresh_id;
};

G_DEFINE_FINAL_TYPE (HearthPluginsPage, hearth_plugins_page, ADW_TYPE_PREFERENCES_PAGE)

static void queue_refresh (HearthPluginsPage *self);

static void
toast (HearthPluginsPage *self,
       const char        *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
  else
    g_warning ("%s", text);
}

static GtkWidget *
row_button (const char *label,
            const char *a11y)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  return b;
}

static GtkWidget *
plain_row (const char *title,
           const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL && subtitle[0] != '\0')
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

static AdwPreferencesGroup *
add_group (HearthPluginsPage *self,
           const char        *title,
           const char        *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), ADW_PREFERENCES_GROUP (group));
  g_ptr_array_add (self->groups, group);
  return ADW_PREFERENCES_GROUP (group);
}

/* ---- plugins ---- */

static void
switch_toggled (GtkSwitch         *sw,
                GParamSpec        *pspec,
                HearthPluginsPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (sw), "plugin-id");
  g_autoptr(GError) error = NULL;

  if (!hearth_plugin_manager_set_enabled (self->plugins, id, gtk_switch_get_active (sw), &error))
    toast (self, error->message);
  queue_refresh (self);
}

static void
folder_added (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HearthPluginsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = hearth_folder_chooser_choose_finish (result, &error);

  if (folder == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  if (!hearth_plugin_manager_grant_folder (self->plugins, FILES_PLUGIN, folder, &error))
    toast (self, error->message);
  queue_refresh (self);
}

static void
add_folder_clicked (HearthPluginsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  hearth_folder_chooser_choose (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                _("Choose a Folder the Files Plugin May Use"), NULL, folder_added,
                                g_object_ref (self));
}

static void
remove_folder_clicked (GtkButton         *button,
                       HearthPluginsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_plugin_manager_revoke_folder (self->plugins, FILES_PLUGIN,
                                            g_object_get_data (G_OBJECT (button), "folder"), &error))
    toast (self, error->message);
  queue_refresh (self);
}

static void
add_folders (HearthPluginsPage *self,
             GtkWidget         *expander)
{
  g_auto(GStrv) folders = hearth_plugin_manager_dup_granted_folders (self->plugins, FILES_PLUGIN);
  GtkWidget *row, *button;

  for (guint i = 0; folders != NULL && folders[i] != NULL; i++)
    {
      g_autofree char *a11y = g_strdup_printf (_("Remove the folder %s"), folders[i]);

      row = plain_row (folders[i], _("Granted folder"));
      button = row_button (_("_Remove"), a11y);
      g_object_set_data_full (G_OBJECT (button), "folder", g_strdup (folders[i]), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (remove_folder_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
    }
  row = plain_row (_("Granted Folders"), folders == NULL || folders[0] == NULL
                                         ? _("None yet: the plugin can read and write nowhere")
                                         : _("The plugin reads and writes only inside these"));
  button = row_button (_("_Add Folder…"), _("Add a folder"));
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (add_folder_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
}

static const char *
state_label (HearthPluginState state)
{
  switch (state)
    {
    case HEARTH_PLUGIN_STATE_DISABLED: return _("Turned off");
    case HEARTH_PLUGIN_STATE_LOADED: return _("Running");
    case HEARTH_PLUGIN_STATE_REFUSED: return _("Refused");
    case HEARTH_PLUGIN_STATE_PENDING: return _("Loading…");
    default: return "";
    }
}

static void
add_plugin (HearthPluginsPage       *self,
            AdwPreferencesGroup     *group,
            const HearthPluginEntry *e)
{
  GtkWidget *expander = adw_expander_row_new ();
  GtkWidget *sw = gtk_switch_new ();
  g_autofree char *a11y = g_strdup_printf (_("Use the plugin %s"), e->name);
  g_autofree char *subtitle = g_strdup_printf ("%s · %s", state_label (e->state), e->description);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (expander), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), e->name);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), subtitle);
  gtk_switch_set_active (GTK_SWITCH (sw), e->state != HEARTH_PLUGIN_STATE_DISABLED);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_object_set_data_full (G_OBJECT (sw), "plugin-id", g_strdup (e->id), g_free);
  g_signal_connect (sw, "notify::active", G_CALLBACK (switch_toggled), self);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (expander), sw);

  if (e->state == HEARTH_PLUGIN_STATE_REFUSED && e->reason != NULL)
    {
      GtkWidget *reason = gtk_label_new (e->reason);

      gtk_label_set_wrap (GTK_LABEL (reason), TRUE);
      gtk_label_set_xalign (GTK_LABEL (reason), 0);
      gtk_label_set_selectable (GTK_LABEL (reason), TRUE);
      gtk_widget_add_css_class (reason, "error");
      gtk_widget_set_margin_start (reason, 12);
      gtk_widget_set_margin_end (reason, 12);
      gtk_widget_set_margin_top (reason, 8);
      gtk_widget_set_margin_bottom (reason, 8);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), reason);
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (expander), TRUE);
    }
  for (guint i = 0; e->tools != NULL && i < e->tools->len; i++)
    {
      HearthTool *tool = g_ptr_array_index (e->tools, i);
      GtkWidget *row = plain_row (hearth_tool_get_name (tool), hearth_tool_get_description (tool));

      adw_action_row_add_suffix (ADW_ACTION_ROW (row), hearth_tool_effect_tags_new (hearth_tool_get_effects (tool)));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
    }
  if (g_strcmp0 (e->id, FILES_PLUGIN) == 0)
    add_folders (self, expander);
  adw_preferences_group_add (group, expander);
}

/* ---- remembered decisions ---- */

static void
revoke_clicked (GtkButton         *button,
                HearthPluginsPage *self)
{
  g_autoptr(GError) error = NULL;
  gint64 conversation = *(gint64 *) g_object_get_data (G_OBJECT (button), "conversation-id");

  if (!hearth_runtime_revoke_tool_approval (self->runtime, g_object_get_data (G_OBJECT (button), "tool"),
                                            conversation, &error))
    toast (self, error->message);
  queue_refresh (self);
}

static void
add_approvals (HearthPluginsPage *self)
{
  AdwPreferencesGroup *group = add_group (self, _("Remembered Decisions"),
                                          _("Tools you allowed without being asked again"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rules = hearth_runtime_list_tool_approvals (self->runtime, &error);

  if (rules == NULL)
    {
      adw_preferences_group_add (group, plain_row (_("Could not read the remembered decisions"), error->message));
      return;
    }
  if (rules->len == 0)
    adw_preferences_group_add (group, plain_row (_("None"), _("Every tool with side effects asks first")));
  for (guint i = 0; i < rules->len; i++)
    {
      HearthToolApprovalRule *r = g_ptr_array_index (rules, i);
      g_autoptr(HearthConversation) conv = NULL;
      g_autofree char *scope = NULL;
      g_autofree char *a11y = g_strdup_printf (_("Revoke %s"), r->tool_name);
      GtkWidget *row, *button;

      if (r->conversation_id == 0)
        scope = g_strdup (_("Always"));
      else
        {
          conv = hearth_runtime_dup_conversation (self->runtime, r->conversation_id, NULL);
          scope = g_strdup_printf (_("In this conversation: %s"),
                                   conv != NULL ? hearth_conversation_get_title (conv) : "?");
        }
      row = plain_row (r->tool_name, scope);
      button = row_button (_("Re_voke"), a11y);
      g_object_set_data_full (G_OBJECT (button), "tool", g_strdup (r->tool_name), g_free);
      g_object_set_data_full (G_OBJECT (button), "conversation-id", g_memdup2 (&r->conversation_id, sizeof (gint64)),
                              g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (revoke_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (group, row);
    }
}

/* ---- MCP servers ---- */

static void
remove_server_clicked (GtkButton         *button,
                       HearthPluginsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_mcp_servers_remove (self->plugins, g_object_get_data (G_OBJECT (button), "name"), &error))
    toast (self, error->message);
  queue_refresh (self);
}

static GtkWidget *
labelled_entry (GtkWidget  *box,
                const char *label)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_box_append (GTK_BOX (box), entry);
  return entry;
}

static void
add_server_response (AdwMessageDialog  *dialog,
                     const char        *response,
                     HearthPluginsPage *self)
{
  GtkEditable *name = g_object_get_data (G_OBJECT (dialog), "name");
  GtkEditable *command = g_object_get_data (G_OBJECT (dialog), "command");
  GtkEditable *args = g_object_get_data (G_OBJECT (dialog), "args");
  GtkTextView *env = g_object_get_data (G_OBJECT (dialog), "env");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GStrvBuilder) env_entries = g_strv_builder_new ();
  g_auto(GStrv) env_strv = NULL;
  g_autofree char *env_text = NULL;
  g_autofree char *command_text = g_strstrip (g_strdup (gtk_editable_get_text (command)));
  GtkTextIter start, end;

  if (g_strcmp0 (response, "add") != 0)
    return;
  if (gtk_editable_get_text (args)[0] != '\0' &&
      !g_shell_parse_argv (gtk_editable_get_text (args), NULL, &argv, &error))
    {
      toast (self, error->message);
      return;
    }
  /* One KEY=VALUE per line; blank lines are nothing. */
  gtk_text_buffer_get_bounds (gtk_text_view_get_buffer (env), &start, &end);
  env_text = gtk_text_buffer_get_text (gtk_text_view_get_buffer (env), &start, &end, FALSE);
  lines = g_strsplit (env_text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_strstrip (lines[i])[0] != '\0')
      g_strv_builder_add (env_entries, lines[i]);
  env_strv = g_strv_builder_end (env_entries);
  if (!hearth_mcp_servers_add (self->plugins, gtk_editable_get_text (name), command_text,
                               (const char *const *) argv, (const char *const *) env_strv, &error))
    toast (self, error->message);
  queue_refresh (self);
}

static void
add_server_clicked (HearthPluginsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Add an MCP Server"),
                                              _("Hearth starts the command and talks to it over its standard "
                                                "input and output. Every tool it offers asks before it runs."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *env = gtk_text_view_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *env_label = gtk_label_new (_("Environment, one KEY=VALUE per line"));

  g_object_set_data (G_OBJECT (dialog), "name", labelled_entry (box, _("Name")));
  g_object_set_data (G_OBJECT (dialog), "command", labelled_entry (box, _("Command")));
  g_object_set_data (G_OBJECT (dialog), "args", labelled_entry (box, _("Arguments")));
  gtk_label_set_xalign (GTK_LABEL (env_label), 0);
  gtk_widget_add_css_class (env_label, "caption");
  gtk_box_append (GTK_BOX (box), env_label);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (env), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (env), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Environment"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), env);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 80);
  gtk_widget_add_css_class (scroller, "code-block");
  gtk_box_append (GTK_BOX (box), scroller);
  g_object_set_data (G_OBJECT (dialog), "env", env);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  g_signal_connect_object (dialog, "response", G_CALLBACK (add_server_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_servers (HearthPluginsPage *self)
{
  AdwPreferencesGroup *group = add_group (self, _("MCP Servers"),
                                          _("Programs that offer tools through the Model Context Protocol"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) servers = hearth_mcp_servers_list (self->plugins, &error);
  GtkWidget *add = row_button (_("_Add Server…"), _("Add an MCP server"));

  gtk_widget_add_css_class (add, "flat");
  g_signal_connect_swapped (add, "clicked", G_CALLBACK (add_server_clicked), self);
  adw_preferences_group_set_header_suffix (group, add);
  if (servers == NULL)
    adw_preferences_group_add (group, plain_row (error->message, NULL));
  else if (servers->len == 0)
    adw_preferences_group_add (group, plain_row (_("None"), NULL));
  for (guint i = 0; servers != NULL && i < servers->len; i++)
    {
      HearthMcpServer *s = g_ptr_array_index (servers, i);
      g_autofree char *a11y = g_strdup_printf (_("Remove the server %s"), s->name);
      GtkWidget *row = plain_row (s->name, s->command);
      GtkWidget *button = row_button (_("_Remove"), a11y);

      g_object_set_data_full (G_OBJECT (button), "name", g_strdup (s->name), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (remove_server_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (group, row);
    }
}

/* ---- the page ---- */

void
hearth_plugins_page_refresh (HearthPluginsPage *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  AdwPreferencesGroup *group;
  gboolean have_mcp = FALSE;

  g_return_if_fail (HEARTH_IS_PLUGINS_PAGE (self));

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  for (guint i = 0; i < self->groups->len; i++)
    adw_preferences_page_remove (ADW_PREFERENCES_PAGE (self), g_ptr_array_index (self->groups, i));
  g_ptr_array_set_size (self->groups, 0);

  group = add_group (self, _("Plugins"), _("What the model may use. Tools with side effects ask before they run."));
  entries = hearth_plugin_manager_list (self->plugins);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthPluginEntry *e = g_ptr_array_index (entries, i);

      have_mcp |= g_strcmp0 (e->id, HEARTH_MCP_PLUGIN_ID) == 0;
      if (!e->hidden)
        add_plugin (self, group, e);
    }
  if (entries->len == 0)
    adw_preferences_group_add (group, plain_row (_("No plugins were found"), NULL));
  add_approvals (self);
  if (have_mcp)
    add_servers (self);
}

static gboolean
refresh_idle (gpointer data)
{
  HearthPluginsPage *self = data;

  self->refresh_id = 0;
  hearth_plugins_page_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
queue_refresh (HearthPluginsPage *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle, self);
}

static void
hearth_plugins_page_dispose (GObject *object)
{
  HearthPluginsPage *self = HEARTH_PLUGINS_PAGE (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->plugins != NULL)
    g_signal_handlers_disconnect_by_data (self->plugins, self);
  g_clear_object (&self->plugins);
  g_clear_object (&self->runtime);
  G_OBJECT_CLASS (hearth_plugins_page_parent_class)->dispose (object);
}

static void
hearth_plugins_page_finalize (GObject *object)
{
  g_ptr_array_unref (HEARTH_PLUGINS_PAGE (object)->groups);
  G_OBJECT_CLASS (hearth_plugins_page_parent_class)->finalize (object);
}

static void
hearth_plugins_page_class_init (HearthPluginsPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_plugins_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = hearth_plugins_page_finalize;
}

static void
hearth_plugins_page_init (HearthPluginsPage *self)
{
  self->groups = g_ptr_array_new ();
  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Plugins"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "application-x-addon-symbolic");
}

GtkWidget *
hearth_plugins_page_new (HearthPluginManager *plugins,
                         HearthRuntime       *runtime)
{
  HearthPluginsPage *self;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (plugins), NULL);
  g_return_val_if_fail (HEARTH_IS_RUNTIME (runtime), NULL);

  self = g_object_new (HEARTH_TYPE_PLUGINS_PAGE, NULL);
  self->plugins = g_object_ref (plugins);
  self->runtime = g_object_ref (runtime);
  g_signal_connect_swapped (plugins, "changed", G_CALLBACK (queue_refresh), self);
  hearth_plugins_page_refresh (self);
  return GTK_WIDGET (self);
}
