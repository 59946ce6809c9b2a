/* example-hello.c: a minimal Hearth plugin with one tool, "hello" (the template for third parties)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Build it outside Hearth's tree (see README.md):
 *   cc -shared -fPIC -o libexample-hello.so example-hello.c \
 *      $(pkg-config --cflags --libs hearth-plugin-1)
 * and put libexample-hello.so beside example-hello.plugin in a folder on
 * Hearth's plugin search path.
 *
 * Threading: Hearth calls every function here in its main thread.
 */
#include <hearth-plugin.h>
#include <libpeas/peas.h>

#define EXAMPLE_TYPE_HELLO (example_hello_get_type ())
G_DECLARE_FINAL_TYPE (ExampleHello, example_hello, EXAMPLE, HELLO, GObject)

struct _ExampleHello
{
  GObject           parent_instance;
  HearthPluginHost *host;
};

static void example_hello_iface_init (HearthToolProviderInterface *iface);

/* A dynamic type: it belongs to the plugin's module (G_DEFINE_DYNAMIC_TYPE). */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (ExampleHello, example_hello, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (HEARTH_TYPE_TOOL_PROVIDER, example_hello_iface_init))

enum { PROP_0, PROP_HOST };

static GPtrArray *
example_hello_list_tools (HearthToolProvider *provider)
{
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  g_ptr_array_add (tools, hearth_tool_new_from_json ("hello", "Greets someone by name",
                                                     "{\"type\": \"object\","
                                                     " \"properties\": {\"name\": {\"type\": \"string\"}},"
                                                     " \"required\": [\"name\"]}",
                                                     HEARTH_TOOL_EFFECT_READ_ONLY, NULL));
  return tools;
}

static void
example_hello_invoke_async (HearthToolProvider  *provider,
                            const char          *name,
                            JsonObject          *arguments,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  g_autofree char *text = NULL;

  /* Hearth has checked @arguments against the schema above. */
  text = g_strdup_printf ("Hello, %s!", json_object_get_string_member (arguments, "name"));
  g_task_return_pointer (task, hearth_tool_result_new_text (text), (GDestroyNotify) hearth_tool_result_unref);
}

static HearthToolResult *
example_hello_invoke_finish (HearthToolProvider  *provider,
                             GAsyncResult        *result,
                             GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
example_hello_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = example_hello_list_tools;
  iface->invoke_async = example_hello_invoke_async;
  iface->invoke_finish = example_hello_invoke_finish;
}

static void
example_hello_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  g_value_set_object (value, EXAMPLE_HELLO (object)->host);
}

static void
example_hello_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  g_set_object (&EXAMPLE_HELLO (object)->host, g_value_get_object (value));
}

static void
example_hello_finalize (GObject *object)
{
  g_clear_object (&EXAMPLE_HELLO (object)->host);
  G_OBJECT_CLASS (example_hello_parent_class)->finalize (object);
}

static void
example_hello_class_init (ExampleHelloClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = example_hello_get_property;
  object_class->set_property = example_hello_set_property;
  object_class->finalize = example_hello_finalize;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
example_hello_class_finalize (ExampleHelloClass *klass)
{
}

static void
example_hello_init (ExampleHello *self)
{
}

/* The entry point libpeas looks for: register the types, then say which
 * extension point each implements. */
G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);

G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  example_hello_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, HEARTH_TYPE_TOOL_PROVIDER, EXAMPLE_TYPE_HELLO);
}
