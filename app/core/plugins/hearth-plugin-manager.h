/* hearth-plugin-manager.h: finding, checking and loading plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager wraps a PeasEngine (libpeas 1.34). It reads every .plugin
 * keyfile on the search path, refuses a plugin whose X-Hearth-ABI is
 * missing or not HEARTH_PLUGIN_ABI before any of its code is loaded, loads
 * the enabled ones, creates their extensions (HearthToolProvider,
 * HearthRetriever) with a HearthPluginHost of their own, refreshes the tool
 * providers and adds them to its HearthToolRegistry. A plugin that fails
 * (missing module or entry point, a dependency that failed, a tool name
 * that is invalid or taken, a refresh that fails) is refused alone, with
 * the reason kept for Preferences and `hearth-cli plugins list`; the others
 * keep working.
 *
 * Plugins load in search path order (then by id), so when two offer the
 * same tool name the one earlier on the path keeps it and the other is
 * refused.
 *
 * Search path, first match of a Module name wins: HEARTH_PLUGIN_PATH
 * (colon-separated), $XDG_DATA_HOME/hearth/plugins, the Flatpak extension
 * point /app/extensions/hearth-plugins/lib/hearth/plugins, and the
 * install's plugin folder (libdir/hearth/plugins, under the prefix the
 * running binary is installed in: hearth-install-dirs.h).
 *
 * Settings, all in the encrypted store: which plugins are disabled
 * ("plugins.disabled", a JSON array of ids), each plugin's own settings
 * ("plugins.<id>.<key>", JSON text) and granted folders ("plugins.<id>.folders",
 * a JSON array). Keys and ids are 1 to 64 of [A-Za-z0-9_-]; "folders" is
 * not a plugin's setting key (grant_folder keeps it).
 *
 * Dependencies (Depends=) are checked by the manager before libpeas sees
 * them: a plugin whose dependency is missing, refused or disabled is
 * refused, so libpeas never loads a dependency's code behind the ABI check.
 *
 * Threading: the owner's main context only.
 * Properties: "loading" (a load_async in progress).
 * Signals: "changed": a plugin's state changed.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-plugin.h"
#include "hearth-store.h"
#include "hearth-tool-registry.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_PLUGIN_STATE_DISABLED, /* found, the user turned it off */
  HEARTH_PLUGIN_STATE_LOADED,   /* running, its tools in the registry */
  HEARTH_PLUGIN_STATE_REFUSED,  /* not loaded: see the reason */
  HEARTH_PLUGIN_STATE_PENDING,  /* enabled, not loaded yet: before load_async has
                                 * reached it, or while its providers refresh */
} HearthPluginState;

/* "disabled", "loaded", "refused", "pending" (static). */
const char *hearth_plugin_state_to_string (HearthPluginState state);

/* One plugin as found; a snapshot (copy what you keep). */
typedef struct
{
  char             *id;          /* the Module name */
  char             *name;
  char             *description;
  char             *authors;     /* comma-separated, may be empty */
  char             *website;     /* may be NULL */
  char             *folder;      /* where its .plugin file is */
  gboolean          builtin;
  gboolean          hidden;
  HearthPluginState state;
  char             *reason;      /* REFUSED: why, naming the plugin; else NULL */
  GPtrArray        *tools;       /* LOADED: its HearthTool, sorted by name; else empty */
  char            **log;         /* the plugin's warnings through its host, oldest first */
} HearthPluginEntry;

void hearth_plugin_entry_free (HearthPluginEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthPluginEntry, hearth_plugin_entry_free)

#define HEARTH_TYPE_PLUGIN_MANAGER (hearth_plugin_manager_get_type ())
G_DECLARE_FINAL_TYPE (HearthPluginManager, hearth_plugin_manager, HEARTH, PLUGIN_MANAGER, GObject)

/* @store keeps the settings; @search_path NULL: the default above. */
HearthPluginManager *hearth_plugin_manager_new (HearthStore       *store,
                                                const char *const *search_path);

/* Finds and loads every enabled plugin; completes when all are loaded or
 * refused (never fails: refusals are in the entries). */
void     hearth_plugin_manager_load_async  (HearthPluginManager *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean hearth_plugin_manager_load_finish (HearthPluginManager *self,
                                            GAsyncResult        *result,
                                            GError             **error);

HearthToolRegistry *hearth_plugin_manager_get_tools (HearthPluginManager *self);
/* The retrievers of loaded plugins (HearthRetriever, not new references). */
GPtrArray          *hearth_plugin_manager_get_retrievers (HearthPluginManager *self);

/* Every plugin found, sorted by id: a new array of HearthPluginEntry. */
GPtrArray          *hearth_plugin_manager_list    (HearthPluginManager *self);
HearthPluginEntry  *hearth_plugin_manager_lookup  (HearthPluginManager *self,
                                                   const char          *id);
/* Stored, and applied now: disabling unloads the plugin's extensions and
 * removes its tools; enabling loads it (the result shows in its entry). */
gboolean hearth_plugin_manager_set_enabled        (HearthPluginManager *self,
                                                   const char          *id,
                                                   gboolean             enabled,
                                                   GError             **error);
/* Folders the user granted plugin @id (see HearthPluginHost). */
gboolean hearth_plugin_manager_grant_folder       (HearthPluginManager *self,
                                                   const char          *id,
                                                   const char          *folder,
                                                   GError             **error);
gboolean hearth_plugin_manager_revoke_folder      (HearthPluginManager *self,
                                                   const char          *id,
                                                   const char          *folder,
                                                   GError             **error);
char   **hearth_plugin_manager_dup_granted_folders (HearthPluginManager *self,
                                                    const char          *id);
/* A plugin's own settings, for the front ends that edit them on its behalf
 * (`hearth-cli mcp add`, Preferences): the same values its host sees. */
JsonNode *hearth_plugin_manager_get_setting       (HearthPluginManager *self,
                                                   const char          *id,
                                                   const char          *key);
gboolean  hearth_plugin_manager_set_setting       (HearthPluginManager *self,
                                                   const char          *id,
                                                   const char          *key,
                                                   JsonNode            *value,
                                                   GError             **error);

/* Where a front end can ask the user for a folder (the GTK app's portal
 * chooser); without one, plugins' choose_folder fails NOT_SUPPORTED. */
typedef void  (*HearthChooseFolderFunc)  (const char         *plugin_id,
                                          const char         *title,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            callback_data,
                                          gpointer            user_data);
typedef char *(*HearthChooseFolderFinish)(GAsyncResult *result,
                                          GError      **error);
void     hearth_plugin_manager_set_folder_chooser (HearthPluginManager     *self,
                                                   HearthChooseFolderFunc   func,
                                                   HearthChooseFolderFinish finish,
                                                   gpointer                 user_data);

G_END_DECLS
