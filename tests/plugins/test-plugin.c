/* test-plugin.c: the test plugins' one source, built once per plugin folder with a TEST_PLUGIN_* define
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each build registers a tool provider type of its own name
 * (TEST_PLUGIN_TYPE), so that every test plugin can live in one process.
 * TEST_PLUGIN_NEVER_LOAD builds a module whose code must never run: its
 * constructor aborts the process as soon as the module is opened, so a
 * host that loads it before its checks fails the test.
 */
#include <stdlib.h>
#include <string.h>

#include <libpeas/peas.h>

#include "hearth-plugin.h"

#ifdef TEST_PLUGIN_NEVER_LOAD

__attribute__((constructor)) static void
never_load (void)
{
  abort ();
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  abort ();
}

#elif defined (TEST_PLUGIN_NO_ENTRY_POINT)

/* A module with no peas_register_types(): something for the loader to find. */
G_MODULE_EXPORT int test_plugin_no_entry_point (void);

G_MODULE_EXPORT int
test_plugin_no_entry_point (void)
{
  return 1;
}

#else

typedef struct
{
  GObject           parent_instance;
  HearthPluginHost *host;
} TestPluginProvider;

typedef struct
{
  GObjectClass parent_class;
} TestPluginProviderClass;

static GType test_plugin_provider_type;
static gpointer test_plugin_provider_parent_class;

enum { PROP_0, PROP_HOST };

#define TEXT_SCHEMA "{\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}}, " \
                    "\"required\": [\"text\"], \"additionalProperties\": false}"
#define NO_ARGS "{\"type\": \"object\", \"properties\": {}}"

static const struct
{
  const char       *name;
  const char       *description;
  const char       *schema;
  HearthToolEffects effects;
} tools[] = {
#if defined (TEST_PLUGIN_GOOD)
  { "echo", "Says the text back", TEXT_SCHEMA, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "folders", "Lists the folders granted to this plugin", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "note_read", "Reads the note", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "note_write", "Keeps a note in this plugin's settings", TEXT_SCHEMA, HEARTH_TOOL_EFFECT_SIDE_EFFECTS },
#elif defined (TEST_PLUGIN_DUPLICATE)
  { "echo", "Another echo", TEXT_SCHEMA, HEARTH_TOOL_EFFECT_READ_ONLY },
#elif defined (TEST_PLUGIN_ERRORS)
  { "fail", "Always fails", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
#elif defined (TEST_PLUGIN_HANGS)
  { "hang", "Never completes unless cancelled", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "hang_ignore", "Ignores cancel and completes after a second", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
#elif defined (TEST_PLUGIN_BAD_UTF8)
  { "bad_utf8", "Gives bytes that are not UTF-8", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
#elif defined (TEST_PLUGIN_BAD_JSON)
  { "bad_json", "Gives JSON that does not parse", NO_ARGS, HEARTH_TOOL_EFFECT_READ_ONLY },
#else
#error "which test plugin?"
#endif
};

static GPtrArray *
provider_list_tools (HearthToolProvider *provider)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  for (gsize i = 0; i < G_N_ELEMENTS (tools); i++)
    g_ptr_array_add (list, hearth_tool_new_from_json (tools[i].name, tools[i].description, tools[i].schema,
                                                      tools[i].effects, NULL));
  return list;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  g_task_return_new_error (user_data, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  return G_SOURCE_REMOVE;
}

static gboolean
on_late (gpointer user_data)
{
  g_task_return_pointer (user_data, hearth_tool_result_new_text ("finished anyway"),
                         (GDestroyNotify) hearth_tool_result_unref);
  return G_SOURCE_REMOVE;
}

static void
provider_invoke_async (HearthToolProvider  *provider,
                       const char          *name,
                       JsonObject          *arguments,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  TestPluginProvider *self = (TestPluginProvider *) provider;
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  HearthToolResult *result = NULL;
  GError *error = NULL;

  g_task_set_check_cancellable (task, FALSE);
  if (strcmp (name, "echo") == 0)
    {
      const char *text = json_object_get_string_member (arguments, "text");
      if (strcmp (text, "complain") == 0)
        hearth_plugin_host_log (self->host, G_LOG_LEVEL_WARNING, "asked to complain");
      result = hearth_tool_result_new_text (text);
    }
  else if (strcmp (name, "folders") == 0)
    {
      g_auto(GStrv) folders = hearth_plugin_host_dup_granted_folders (self->host);
      g_autofree char *text = g_strjoinv ("\n", folders);
      result = hearth_tool_result_new_text (text);
    }
  else if (strcmp (name, "note_read") == 0)
    {
      g_autoptr(JsonNode) note = hearth_plugin_host_get_setting (self->host, "note");
      result = hearth_tool_result_new_text (note != NULL ? json_node_get_string (note) : "(no note)");
    }
  else if (strcmp (name, "note_write") == 0)
    {
      g_autoptr(JsonNode) note = json_node_new (JSON_NODE_VALUE);

      json_node_set_string (note, json_object_get_string_member (arguments, "text"));
      if (hearth_plugin_host_set_setting (self->host, "note", note, &error))
        result = hearth_tool_result_new_text ("saved");
    }
  else if (strcmp (name, "fail") == 0)
    error = g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED, "the disk is full");
  else if (strcmp (name, "hang") == 0)
    {
      GSource *source = g_cancellable_source_new (cancellable);

      g_source_set_callback (source, G_SOURCE_FUNC (on_cancelled), g_object_ref (task), g_object_unref);
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
      return;
    }
  else if (strcmp (name, "hang_ignore") == 0)
    {
      g_timeout_add_full (G_PRIORITY_DEFAULT, 1000, on_late, g_object_ref (task), g_object_unref);
      return;
    }
  else if (strcmp (name, "bad_utf8") == 0)
    result = hearth_tool_result_new ("text/plain", "caf\xe9", 4);
  else if (strcmp (name, "bad_json") == 0)
    result = hearth_tool_result_new_json ("{\"answer\": 42");
  else
    error = g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND, "no tool %s", name);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) hearth_tool_result_unref);
}

static HearthToolResult *
provider_invoke_finish (HearthToolProvider  *provider,
                        GAsyncResult        *result,
                        GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
provider_iface_init (gpointer g_iface,
                     gpointer iface_data)
{
  HearthToolProviderInterface *iface = g_iface;

  iface->list_tools = provider_list_tools;
  iface->invoke_async = provider_invoke_async;
  iface->invoke_finish = provider_invoke_finish;
}

static void
provider_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  g_value_set_object (value, ((TestPluginProvider *) object)->host);
}

static void
provider_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  TestPluginProvider *self = (TestPluginProvider *) object;

  g_set_object (&self->host, g_value_get_object (value));
}

static void
provider_finalize (GObject *object)
{
  g_clear_object (&((TestPluginProvider *) object)->host);
  G_OBJECT_CLASS (test_plugin_provider_parent_class)->finalize (object);
}

static void
provider_class_init (gpointer g_class,
                     gpointer class_data)
{
  GObjectClass *object_class = g_class;

  test_plugin_provider_parent_class = g_type_class_peek_parent (g_class);
  object_class->get_property = provider_get_property;
  object_class->set_property = provider_set_property;
  object_class->finalize = provider_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  const GTypeInfo info = {
    .class_size = sizeof (TestPluginProviderClass),
    .class_init = provider_class_init,
    .instance_size = sizeof (TestPluginProvider),
  };
  const GInterfaceInfo iface_info = { .interface_init = provider_iface_init };

  test_plugin_provider_type = g_type_module_register_type (G_TYPE_MODULE (module), G_TYPE_OBJECT,
                                                           TEST_PLUGIN_TYPE, &info, 0);
  g_type_module_add_interface (G_TYPE_MODULE (module), test_plugin_provider_type,
                               HEARTH_TYPE_TOOL_PROVIDER, &iface_info);
  peas_object_module_register_extension_type (module, HEARTH_TYPE_TOOL_PROVIDER, test_plugin_provider_type);
}

#endif
