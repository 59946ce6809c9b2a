/* hearth-plugin-manager.c: finding, checking and loading plugins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpeas reads the .plugin keyfiles when the engine scans its search path,
 * without loading any module; the manager checks the ABI key and the
 * dependencies on that information and only then asks libpeas to load the
 * module. Each plugin's providers are refreshed concurrently; a refresh
 * callback holds the manager and the cancellable it was started with, so a
 * plugin disabled meanwhile (its cancellable replaced) ignores the result.
 */
#include "hearth-config.h"

#include <libpeas/peas.h>
#include <string.h>

#include "hearth-install-dirs.h"
#include "hearth-plugin-host-impl.h"
#include "hearth-plugin-manager.h"

#define DISABLED_KEY "plugins.disabled"
#define FOLDERS_KEY "folders"
#define MAX_DEPENDS_DEPTH 8

typedef struct
{
  char                 *id;
  PeasPluginInfo       *info;        /* the engine's */
  guint                 order;       /* its folder's place on the search path */
  HearthPluginState     state;
  char                 *reason;
  HearthPluginHostImpl *host;
  HearthToolProvider   *provider;
  GObject              *retriever;
  GCancellable         *cancellable; /* the refresh under way */
} Plugin;

struct _HearthPluginManager
{
  GObject                  parent_instance;

  HearthStore             *store;
  char                   **search_path;
  PeasEngine              *engine;
  HearthToolRegistry      *registry;
  GHashTable              *plugins;     /* id -> Plugin */
  GPtrArray               *retrievers;  /* HearthRetriever (borrowed from their Plugin) */
  GPtrArray               *load_tasks;  /* GTask waiting for the refreshes */
  guint                    pending;     /* refreshes under way */
  gboolean                 scanned;

  HearthChooseFolderFunc   chooser;
  HearthChooseFolderFinish chooser_finish;
  gpointer                 chooser_data;
};

G_DEFINE_FINAL_TYPE (HearthPluginManager, hearth_plugin_manager, G_TYPE_OBJECT)

enum { PROP_0, PROP_LOADING, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

const char *
hearth_plugin_state_to_string (HearthPluginState state)
{
  switch (state)
    {
    case HEARTH_PLUGIN_STATE_DISABLED: return "disabled";
    case HEARTH_PLUGIN_STATE_LOADED: return "loaded";
    case HEARTH_PLUGIN_STATE_REFUSED: return "refused";
    case HEARTH_PLUGIN_STATE_PENDING: return "pending";
    default: return "unknown";
    }
}

void
hearth_plugin_entry_free (HearthPluginEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->name);
  g_free (entry->description);
  g_free (entry->authors);
  g_free (entry->website);
  g_free (entry->folder);
  g_free (entry->reason);
  g_clear_pointer (&entry->tools, g_ptr_array_unref);
  g_strfreev (entry->log);
  g_free (entry);
}

/* ---- the store ---- */

static gboolean
check_name (const char  *what,
            const char  *name,
            GError     **error)
{
  if (!hearth_tool_name_is_valid (name))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "“%s” is not a valid %s: 1 to 64 of A–Z, a–z, 0–9, “_” and “-”",
                   name != NULL ? name : "", what);
      return FALSE;
    }
  return TRUE;
}

/* The JSON stored under @key, or NULL (absent, or unreadable: logged). */
static JsonNode *
store_get_json (HearthPluginManager *self,
                const char          *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = hearth_store_get_setting (self->store, key, &error);
  JsonNode *node;

  if (text == NULL)
    {
      if (!g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
        g_warning ("Cannot read setting “%s”: %s", key, error->message);
      return NULL;
    }
  node = json_from_string (text, &error);
  if (node == NULL)
    g_warning ("Setting “%s” is not JSON: %s", key, error->message);
  return node;
}

static gboolean
store_set_json (HearthPluginManager  *self,
                const char           *key,
                JsonNode             *value,
                GError              **error)
{
  g_autofree char *text = value != NULL ? json_to_string (value, FALSE) : NULL;

  return hearth_store_set_setting (self->store, key, text, error);
}

/* The strings of the JSON array under @key (others ignored). */
static GPtrArray *
store_get_strings (HearthPluginManager *self,
                   const char          *key)
{
  g_autoptr(JsonNode) node = store_get_json (self, key);
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            g_ptr_array_add (strings, g_strdup (json_node_get_string (item)));
        }
    }
  return strings;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static gboolean
store_set_strings (HearthPluginManager  *self,
                   const char           *key,
                   GPtrArray            *strings,
                   GError              **error)
{
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  g_ptr_array_sort (strings, compare_strings);
  for (guint i = 0; i < strings->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (strings, i));
  json_node_set_array (node, array);
  return store_set_json (self, key, node, error);
}

/* ---- plugins ---- */

static void
plugin_free (gpointer data)
{
  Plugin *p = data;

  if (p->cancellable != NULL)
    g_cancellable_cancel (p->cancellable);
  g_clear_object (&p->cancellable);
  g_clear_object (&p->provider);
  g_clear_object (&p->retriever);
  g_clear_object (&p->host);
  g_free (p->reason);
  g_free (p->id);
  g_free (p);
}

static void
emit_changed (HearthPluginManager *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Drops what @p runs: its tools, its retriever, its module. */
static void
plugin_stop (HearthPluginManager *self,
             Plugin              *p)
{
  if (p->cancellable != NULL)
    g_cancellable_cancel (p->cancellable);
  g_clear_object (&p->cancellable);
  if (p->provider != NULL)
    hearth_tool_registry_remove_provider (self->registry, p->provider);
  g_clear_object (&p->provider);
  if (p->retriever != NULL)
    g_ptr_array_remove (self->retrievers, p->retriever);
  g_clear_object (&p->retriever);
  if (peas_plugin_info_is_loaded (p->info))
    peas_engine_unload_plugin (self->engine, p->info);
}

static void
plugin_refuse (HearthPluginManager *self,
               Plugin              *p,
               char                *reason)  /* taken */
{
  plugin_stop (self, p);
  p->state = HEARTH_PLUGIN_STATE_REFUSED;
  g_free (p->reason);
  p->reason = reason;
  g_info ("%s", reason);
}

/* NULL when @info's ABI is the host's; else why not. */
static char *
check_abi (PeasPluginInfo *info)
{
  const char *id = peas_plugin_info_get_module_name (info);
  const char *abi = peas_plugin_info_get_external_data (info, HEARTH_PLUGIN_ABI_KEY);
  g_autofree char *want = g_strdup_printf ("%d", HEARTH_PLUGIN_ABI);
  g_autofree char *stripped = g_strstrip (g_strdup (abi != NULL ? abi : ""));

  if (abi == NULL)
    return g_strdup_printf ("Plugin “%s” does not say which Hearth plugin ABI it was built for "
                            "(X-%s is missing); it was not loaded", id, HEARTH_PLUGIN_ABI_KEY);
  if (strcmp (stripped, want) != 0)
    return g_strdup_printf ("Plugin “%s” was built for Hearth plugin ABI %s, and this Hearth has ABI %s; "
                            "it was not loaded", id, abi, want);
  return NULL;
}

/* Which search path folder @dir is, or is directly inside (libpeas looks
 * one level down); G_MAXUINT for neither. */
static guint
search_path_index (HearthPluginManager *self,
                   const char          *dir)
{
  g_autofree char *parent = dir != NULL ? g_path_get_dirname (dir) : NULL;

  for (guint i = 0; dir != NULL && self->search_path[i] != NULL; i++)
    {
      g_autofree char *entry = g_canonicalize_filename (self->search_path[i], NULL);

      if (strcmp (dir, entry) == 0 || strcmp (parent, entry) == 0)
        return i;
    }
  return G_MAXUINT;
}

static void
scan (HearthPluginManager *self)
{
  const GList *infos;
  g_autoptr(GPtrArray) disabled = NULL;

  if (self->scanned)
    return;
  self->scanned = TRUE;
  disabled = store_get_strings (self, DISABLED_KEY);
  infos = peas_engine_get_plugin_list (self->engine);
  for (const GList *l = infos; l != NULL; l = l->next)
    {
      PeasPluginInfo *info = l->data;
      const char *id = peas_plugin_info_get_module_name (info);
      Plugin *p;

      if (id == NULL || g_hash_table_contains (self->plugins, id))
        continue;
      p = g_new0 (Plugin, 1);
      p->id = g_strdup (id);
      p->info = info;
      p->order = search_path_index (self, peas_plugin_info_get_module_dir (info));
      p->reason = check_abi (info);
      if (p->reason != NULL)
        p->state = HEARTH_PLUGIN_STATE_REFUSED;
      else if (g_ptr_array_find_with_equal_func (disabled, id, g_str_equal, NULL))
        p->state = HEARTH_PLUGIN_STATE_DISABLED;
      else
        p->state = HEARTH_PLUGIN_STATE_PENDING;
      g_hash_table_insert (self->plugins, p->id, p);
    }
}

/* NULL when every dependency of @info (and theirs) was found, passes the
 * ABI check and is not disabled; else why, naming @id. */
static char *
check_depends (HearthPluginManager *self,
               const char          *id,
               PeasPluginInfo      *info,
               guint                depth)
{
  const char *const *depends = (const char *const *) peas_plugin_info_get_dependencies (info);

  if (depth > MAX_DEPENDS_DEPTH)
    return g_strdup_printf ("Plugin “%s” has dependencies nested too deep (or in a circle); it was not loaded", id);
  for (guint i = 0; depends != NULL && depends[i] != NULL; i++)
    {
      Plugin *dep = g_hash_table_lookup (self->plugins, depends[i]);
      char *reason;

      if (dep == NULL)
        return g_strdup_printf ("Plugin “%s” depends on plugin “%s”, which was not found; it was not loaded",
                                id, depends[i]);
      if (dep->state == HEARTH_PLUGIN_STATE_DISABLED || dep->state == HEARTH_PLUGIN_STATE_REFUSED)
        return g_strdup_printf ("Plugin “%s” depends on plugin “%s”, which is %s; it was not loaded",
                                id, depends[i], hearth_plugin_state_to_string (dep->state));
      reason = check_depends (self, id, dep->info, depth + 1);
      if (reason != NULL)
        return reason;
    }
  return NULL;
}

typedef struct
{
  HearthPluginManager *self;
  Plugin              *plugin;
  GCancellable        *cancellable;
} Refresh;

static void
maybe_complete_loads (HearthPluginManager *self)
{
  g_autoptr(GPtrArray) tasks = NULL;

  if (self->pending > 0)
    return;
  tasks = g_steal_pointer (&self->load_tasks);
  self->load_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (tasks, i), TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Refresh *r = user_data;
  HearthPluginManager *self = r->self;
  Plugin *p = r->plugin;
  g_autoptr(GError) error = NULL;
  gboolean ok = hearth_tool_provider_refresh_finish (HEARTH_TOOL_PROVIDER (source), result, &error);

  /* Disabled or refused meanwhile: its state is someone else's now. */
  if (p->cancellable == r->cancellable && !g_cancellable_is_cancelled (r->cancellable))
    {
      g_clear_object (&p->cancellable);
      if (!ok)
        plugin_refuse (self, p, g_strdup_printf ("Plugin “%s” failed to start: %s", p->id, error->message));
      else if (!hearth_tool_registry_add_provider (self->registry, p->id, p->provider, &error))
        plugin_refuse (self, p, g_strdup_printf ("%s; it was not loaded", error->message));
      else
        p->state = HEARTH_PLUGIN_STATE_LOADED;
      emit_changed (self);
    }
  self->pending--;
  maybe_complete_loads (self);
  g_object_unref (r->cancellable);
  g_object_unref (r->self);
  g_free (r);
}

/* Why libpeas could not load @p, which it reports only as "Failed to
 * load". The ABI check has passed, so opening the module here is allowed. */
static char *
describe_load_failure (Plugin *p)
{
  g_autofree char *path = g_module_build_path (peas_plugin_info_get_module_dir (p->info), p->id);
  g_autofree char *file = g_path_get_basename (path);
  g_autoptr(GError) error = NULL;
  GModule *module;
  gpointer symbol = NULL;
  char *reason;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return g_strdup_printf ("Plugin “%s” could not be loaded: its module “%s” is not beside its .plugin file",
                            p->id, file);
  module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    return g_strdup_printf ("Plugin “%s” could not be loaded: %s", p->id, g_module_error ());
  if (!g_module_symbol (module, "peas_register_types", &symbol))
    reason = g_strdup_printf ("Plugin “%s” could not be loaded: its module “%s” has no peas_register_types()",
                              p->id, file);
  else if (!peas_plugin_info_is_available (p->info, &error) && error != NULL)
    reason = g_strdup_printf ("Plugin “%s” could not be loaded: %s", p->id, error->message);
  else
    reason = g_strdup_printf ("Plugin “%s” could not be loaded", p->id);
  g_module_close (module);
  return reason;
}

/* Loads @p's module and creates its extensions; its refresh completes later. */
static void
plugin_start (HearthPluginManager *self,
              Plugin              *p)
{
  char *reason;
  Refresh *r;

  reason = check_depends (self, p->id, p->info, 0);
  if (reason != NULL)
    {
      plugin_refuse (self, p, reason);
      return;
    }
  if (!peas_engine_load_plugin (self->engine, p->info))
    {
      plugin_refuse (self, p, describe_load_failure (p));
      return;
    }
  if (p->host == NULL)
    p->host = hearth_plugin_host_impl_new (self, p->id);

  if (peas_engine_provides_extension (self->engine, p->info, HEARTH_TYPE_RETRIEVER))
    {
      PeasExtension *ext = peas_engine_create_extension (self->engine, p->info, HEARTH_TYPE_RETRIEVER,
                                                         "host", p->host, NULL);
      if (ext == NULL)
        {
          plugin_refuse (self, p, g_strdup_printf ("Plugin “%s” could not create its retriever; it was not loaded", p->id));
          return;
        }
      p->retriever = G_OBJECT (ext);
      g_ptr_array_add (self->retrievers, p->retriever);
    }
  if (!peas_engine_provides_extension (self->engine, p->info, HEARTH_TYPE_TOOL_PROVIDER))
    {
      if (p->retriever == NULL)
        plugin_refuse (self, p, g_strdup_printf ("Plugin “%s” provides neither tools nor a retriever; "
                                                 "it was not loaded", p->id));
      else
        p->state = HEARTH_PLUGIN_STATE_LOADED;
      return;
    }
  p->provider = HEARTH_TOOL_PROVIDER (peas_engine_create_extension (self->engine, p->info,
                                                                    HEARTH_TYPE_TOOL_PROVIDER,
                                                                    "host", p->host, NULL));
  if (p->provider == NULL)
    {
      plugin_refuse (self, p, g_strdup_printf ("Plugin “%s” could not create its tool provider; it was not loaded", p->id));
      return;
    }

  p->state = HEARTH_PLUGIN_STATE_PENDING;
  p->cancellable = g_cancellable_new ();
  r = g_new0 (Refresh, 1);
  r->self = g_object_ref (self);
  r->plugin = p;
  r->cancellable = g_object_ref (p->cancellable);
  if (self->pending++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  hearth_tool_provider_refresh_async (p->provider, p->cancellable, on_refreshed, r);
}

/* ---- the object ---- */

static void
hearth_plugin_manager_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  HearthPluginManager *self = HEARTH_PLUGIN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->pending > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_plugin_manager_dispose (GObject *object)
{
  HearthPluginManager *self = HEARTH_PLUGIN_MANAGER (object);

  if (self->plugins != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->plugins);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        plugin_stop (self, value);
    }
  G_OBJECT_CLASS (hearth_plugin_manager_parent_class)->dispose (object);
}

static void
hearth_plugin_manager_finalize (GObject *object)
{
  HearthPluginManager *self = HEARTH_PLUGIN_MANAGER (object);

  g_hash_table_unref (self->plugins);
  g_ptr_array_unref (self->retrievers);
  g_ptr_array_unref (self->load_tasks);
  g_clear_object (&self->registry);
  g_clear_object (&self->engine);
  g_clear_object (&self->store);
  g_strfreev (self->search_path);
  G_OBJECT_CLASS (hearth_plugin_manager_parent_class)->finalize (object);
}

static void
hearth_plugin_manager_class_init (HearthPluginManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = hearth_plugin_manager_get_property;
  object_class->dispose = hearth_plugin_manager_dispose;
  object_class->finalize = hearth_plugin_manager_finalize;

  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_plugin_manager_init (HearthPluginManager *self)
{
  self->plugins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, plugin_free);
  self->retrievers = g_ptr_array_new ();
  self->load_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->registry = hearth_tool_registry_new ();
}

static char **
default_search_path (void)
{
  GStrvBuilder *b = g_strv_builder_new ();
  const char *env = g_getenv ("HEARTH_PLUGIN_PATH");
  char **path;

  if (env != NULL)
    {
      g_auto(GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; dirs[i] != NULL; i++)
        if (dirs[i][0] != '\0')
          g_strv_builder_add (b, dirs[i]);
    }
  g_autofree char *user_dir = g_build_filename (g_get_user_data_dir (), "hearth", "plugins", NULL);

  g_strv_builder_add (b, user_dir);
  g_strv_builder_add (b, "/app/extensions/hearth-plugins/lib/hearth/plugins");
  /* The install's own, relative to the running binary's prefix. */
  g_strv_builder_add (b, hearth_install_plugindir ());
  path = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return path;
}

HearthPluginManager *
hearth_plugin_manager_new (HearthStore       *store,
                           const char *const *search_path)
{
  HearthPluginManager *self;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  self = g_object_new (HEARTH_TYPE_PLUGIN_MANAGER, NULL);
  self->store = g_object_ref (store);
  self->search_path = search_path != NULL ? g_strdupv ((char **) search_path) : default_search_path ();
  /* Its own engine, not the process-wide default, so that two managers (or
   * a test's) never share plugin state. */
  self->engine = peas_engine_new ();
  for (guint i = 0; self->search_path[i] != NULL; i++)
    peas_engine_add_search_path (self->engine, self->search_path[i], NULL);
  return self;
}

static int
compare_load_order (gconstpointer a,
                    gconstpointer b)
{
  const Plugin *pa = a, *pb = b;

  if (pa->order != pb->order)
    return pa->order < pb->order ? -1 : 1;
  return strcmp (pa->id, pb->id);
}

void
hearth_plugin_manager_load_async (HearthPluginManager *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GList) plugins = NULL;

  g_return_if_fail (HEARTH_IS_PLUGIN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_plugin_manager_load_async);
  scan (self);
  /* In search path order, then by id: a plugin earlier on the path wins a
   * tool name that a later one offers too, the same on every run. */
  plugins = g_list_sort (g_hash_table_get_values (self->plugins), compare_load_order);
  for (GList *l = plugins; l != NULL; l = l->next)
    {
      Plugin *p = l->data;
      if (p->state == HEARTH_PLUGIN_STATE_PENDING && p->provider == NULL && p->retriever == NULL)
        plugin_start (self, p);
    }
  g_ptr_array_add (self->load_tasks, g_steal_pointer (&task));
  emit_changed (self);
  maybe_complete_loads (self);
}

gboolean
hearth_plugin_manager_load_finish (HearthPluginManager *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

HearthToolRegistry *
hearth_plugin_manager_get_tools (HearthPluginManager *self)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);
  return self->registry;
}

GPtrArray *
hearth_plugin_manager_get_retrievers (HearthPluginManager *self)
{
  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);
  return self->retrievers;
}

static HearthPluginEntry *
entry_new (HearthPluginManager *self,
           Plugin              *p)
{
  HearthPluginEntry *e = g_new0 (HearthPluginEntry, 1);
  const char *const *authors = (const char *const *) peas_plugin_info_get_authors (p->info);

  e->id = g_strdup (p->id);
  e->name = g_strdup (peas_plugin_info_get_name (p->info));
  e->description = g_strdup (peas_plugin_info_get_description (p->info));
  e->authors = authors != NULL ? g_strjoinv (", ", (char **) authors) : g_strdup ("");
  e->website = g_strdup (peas_plugin_info_get_website (p->info));
  e->folder = g_strdup (peas_plugin_info_get_module_dir (p->info));
  e->builtin = peas_plugin_info_is_builtin (p->info);
  e->hidden = peas_plugin_info_is_hidden (p->info);
  e->state = p->state;
  e->reason = g_strdup (p->reason);
  e->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  if (p->state == HEARTH_PLUGIN_STATE_LOADED)
    {
      g_autoptr(GPtrArray) all = hearth_tool_registry_list_tools (self->registry);
      for (guint i = 0; i < all->len; i++)
        {
          HearthTool *tool = g_ptr_array_index (all, i);
          const char *owner = NULL;

          hearth_tool_registry_lookup (self->registry, hearth_tool_get_name (tool), &owner);
          if (g_strcmp0 (owner, p->id) == 0)
            g_ptr_array_add (e->tools, hearth_tool_ref (tool));
        }
    }
  e->log = p->host != NULL ? hearth_plugin_host_impl_dup_log (p->host) : g_new0 (char *, 1);
  return e;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  return strcmp ((*(HearthPluginEntry **) a)->id, (*(HearthPluginEntry **) b)->id);
}

GPtrArray *
hearth_plugin_manager_list (HearthPluginManager *self)
{
  GPtrArray *entries;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);

  scan (self);
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_plugin_entry_free);
  g_hash_table_iter_init (&iter, self->plugins);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (entries, entry_new (self, value));
  g_ptr_array_sort (entries, compare_entries);
  return entries;
}

HearthPluginEntry *
hearth_plugin_manager_lookup (HearthPluginManager *self,
                              const char          *id)
{
  Plugin *p;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  scan (self);
  p = g_hash_table_lookup (self->plugins, id);
  return p != NULL ? entry_new (self, p) : NULL;
}

static Plugin *
find_plugin (HearthPluginManager  *self,
             const char           *id,
             GError              **error)
{
  Plugin *p;

  scan (self);
  p = g_hash_table_lookup (self->plugins, id);
  if (p == NULL)
    g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND, "No plugin “%s”", id);
  return p;
}

gboolean
hearth_plugin_manager_set_enabled (HearthPluginManager *self,
                                   const char          *id,
                                   gboolean             enabled,
                                   GError             **error)
{
  g_autoptr(GPtrArray) disabled = NULL;
  guint index;
  gboolean was_disabled;
  Plugin *p;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  p = find_plugin (self, id, error);
  if (p == NULL)
    return FALSE;
  disabled = store_get_strings (self, DISABLED_KEY);
  was_disabled = g_ptr_array_find_with_equal_func (disabled, id, g_str_equal, &index);
  if (was_disabled == !enabled)
    return TRUE;
  if (enabled)
    g_ptr_array_remove_index (disabled, index);
  else
    g_ptr_array_add (disabled, g_strdup (id));
  if (!store_set_strings (self, DISABLED_KEY, disabled, error))
    return FALSE;

  if (!enabled && p->state != HEARTH_PLUGIN_STATE_REFUSED)
    {
      plugin_stop (self, p);
      p->state = HEARTH_PLUGIN_STATE_DISABLED;
    }
  else if (enabled && p->state == HEARTH_PLUGIN_STATE_DISABLED)
    {
      p->state = HEARTH_PLUGIN_STATE_PENDING;
      plugin_start (self, p);
    }
  emit_changed (self);
  return TRUE;
}

static char *
setting_key (const char *id,
             const char *key)
{
  return g_strdup_printf ("plugins.%s.%s", id, key);
}

gboolean
hearth_plugin_manager_grant_folder (HearthPluginManager *self,
                                    const char          *id,
                                    const char          *folder,
                                    GError             **error)
{
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  if (!check_name ("plugin id", id, error))
    return FALSE;
  if (!g_path_is_absolute (folder))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                   "Cannot grant “%s” to plugin “%s”: a folder to grant is an absolute path", folder, id);
      return FALSE;
    }
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                   "Cannot grant “%s” to plugin “%s”: no such folder", folder, id);
      return FALSE;
    }
  path = g_canonicalize_filename (folder, NULL);
  key = setting_key (id, FOLDERS_KEY);
  folders = store_get_strings (self, key);
  if (g_ptr_array_find_with_equal_func (folders, path, g_str_equal, NULL))
    return TRUE;
  g_ptr_array_add (folders, g_steal_pointer (&path));
  return store_set_strings (self, key, folders, error);
}

gboolean
hearth_plugin_manager_revoke_folder (HearthPluginManager *self,
                                     const char          *id,
                                     const char          *folder,
                                     GError             **error)
{
  g_autofree char *key = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) folders = NULL;
  guint index;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);

  if (!check_name ("plugin id", id, error))
    return FALSE;
  path = g_path_is_absolute (folder) ? g_canonicalize_filename (folder, NULL) : g_strdup (folder);
  key = setting_key (id, FOLDERS_KEY);
  folders = store_get_strings (self, key);
  if (!g_ptr_array_find_with_equal_func (folders, path, g_str_equal, &index))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                   "Folder “%s” is not granted to plugin “%s”", path, id);
      return FALSE;
    }
  g_ptr_array_remove_index (folders, index);
  if (folders->len == 0)
    return hearth_store_set_setting (self->store, key, NULL, error);
  return store_set_strings (self, key, folders, error);
}

char **
hearth_plugin_manager_dup_granted_folders (HearthPluginManager *self,
                                           const char          *id)
{
  g_autofree char *key = NULL;
  g_autoptr(GPtrArray) folders = NULL;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);

  if (!hearth_tool_name_is_valid (id))
    return g_new0 (char *, 1);
  key = setting_key (id, FOLDERS_KEY);
  folders = store_get_strings (self, key);
  g_ptr_array_add (folders, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&folders), FALSE);
}

static gboolean
check_setting_key (const char  *id,
                   const char  *key,
                   GError     **error)
{
  if (!check_name ("plugin id", id, error) || !check_name ("setting key", key, error))
    return FALSE;
  if (strcmp (key, FOLDERS_KEY) == 0)
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                   "Plugin “%s”: the setting “%s” is Hearth's (the folders the user granted)", id, key);
      return FALSE;
    }
  return TRUE;
}

JsonNode *
hearth_plugin_manager_get_setting (HearthPluginManager *self,
                                   const char          *id,
                                   const char          *key)
{
  g_autofree char *store_key = NULL;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), NULL);

  if (!check_setting_key (id, key, NULL))
    return NULL;
  store_key = setting_key (id, key);
  return store_get_json (self, store_key);
}

gboolean
hearth_plugin_manager_set_setting (HearthPluginManager *self,
                                   const char          *id,
                                   const char          *key,
                                   JsonNode            *value,
                                   GError             **error)
{
  g_autofree char *store_key = NULL;

  g_return_val_if_fail (HEARTH_IS_PLUGIN_MANAGER (self), FALSE);

  if (!check_setting_key (id, key, error))
    return FALSE;
  store_key = setting_key (id, key);
  return store_set_json (self, store_key, value, error);
}

void
hearth_plugin_manager_set_folder_chooser (HearthPluginManager     *self,
                                          HearthChooseFolderFunc   func,
                                          HearthChooseFolderFinish finish,
                                          gpointer                 user_data)
{
  g_return_if_fail (HEARTH_IS_PLUGIN_MANAGER (self));
  g_return_if_fail ((func == NULL) == (finish == NULL));

  self->chooser = func;
  self->chooser_finish = finish;
  self->chooser_data = user_data;
}

static void
on_folder_chosen (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HearthPluginManager *self = g_task_get_source_object (task);
  const char *plugin_id = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = self->chooser_finish != NULL ? self->chooser_finish (result, &error) : NULL;

  if (folder == NULL)
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "No folder was chosen");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!hearth_plugin_manager_grant_folder (self, plugin_id, folder, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&folder), g_free);
}

void
_hearth_plugin_manager_choose_folder_async (HearthPluginManager *self,
                                            const char          *plugin_id,
                                            const char          *title,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _hearth_plugin_manager_choose_folder_async);
  g_task_set_task_data (task, g_strdup (plugin_id), g_free);
  if (self->chooser == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "Plugin “%s” asked for a folder, and nobody can be asked here", plugin_id);
      g_object_unref (task);
      return;
    }
  self->chooser (plugin_id, title, cancellable, on_folder_chosen, task, self->chooser_data);
}

char *
_hearth_plugin_manager_choose_folder_finish (HearthPluginManager *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
