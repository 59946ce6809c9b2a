/* hearth-builtin.h: what the built-in plugins (calculator, clock, files) share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A static library linked into each built-in module, not part of the
 * plugin ABI. A built-in provider is a table of tools, each with a run
 * function; HEARTH_BUILTIN_PROVIDER() defines the provider's dynamic type
 * (registered into the module, as libpeas wants) and peas_register_types().
 *
 * Calls: invoke_async() runs in the main thread, takes what the tool may
 * need from the host there (the granted folders: the host is main-thread
 * only), then runs the tool's run function in a GTask worker thread. The
 * run function checks the call's cancellable itself, at the points where
 * stopping is safe; the result says what really happened (a write that was
 * done is reported done even when the cancellable fired after it).
 */
#pragma once

#include <hearth-plugin.h>
#include <libpeas/peas.h>

G_BEGIN_DECLS

typedef struct _HearthBuiltinCall HearthBuiltinCall;

/* Runs in a worker thread; NULL with an error in HEARTH_PLUGIN_ERROR (or
 * G_IO_ERROR_CANCELLED) when the call fails. */
typedef HearthToolResult *(*HearthBuiltinRunFunc) (HearthBuiltinCall  *call,
                                                   GError            **error);

typedef struct
{
  const char           *name;
  const char           *description;
  const char           *parameters;  /* the JSON Schema, as text */
  HearthToolEffects     effects;
  HearthBuiltinRunFunc  run;
} HearthBuiltinTool;

struct _HearthBuiltinCall
{
  const HearthBuiltinTool *tool;
  JsonObject              *arguments;        /* read only */
  char                   **granted_folders;  /* the host's, as it gave them */
  GCancellable            *cancellable;
};

/* The first members of every built-in provider's instance. */
typedef struct
{
  GObject                  parent_instance;
  HearthPluginHost        *host;
  const HearthBuiltinTool *tools;
  gsize                    n_tools;
} HearthBuiltinProvider;

/* Installs set/get_property and dispose, and overrides "host". */
void hearth_builtin_provider_class_init (GObjectClass *klass);
/* list_tools, invoke_async and invoke_finish over the table. */
void hearth_builtin_provider_iface_init (HearthToolProviderInterface *iface);

/* The string argument @name: NULL without an error when it is absent and
 * not @required; NULL with HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS when it is
 * required and absent, or not a string. */
const char *hearth_builtin_get_string  (JsonObject  *arguments,
                                        const char  *name,
                                        gboolean     required,
                                        GError     **error);
/* The boolean argument @name, @fallback when absent; FALSE with an error
 * when it is not a boolean. */
gboolean    hearth_builtin_get_boolean (JsonObject  *arguments,
                                        const char  *name,
                                        gboolean     fallback,
                                        gboolean    *value,
                                        GError     **error);

/* Defines the final type TypeName (a HearthToolProvider over @tool_table, a
 * static array of HearthBuiltinTool) and the module's peas_register_types(). */
#define HEARTH_BUILTIN_PROVIDER(TypeName, type_name, tool_table) \
  typedef struct { HearthBuiltinProvider parent_instance; } TypeName; \
  typedef struct { GObjectClass parent_class; } TypeName##Class; \
  GType type_name##_get_type (void); \
  G_DEFINE_DYNAMIC_TYPE_EXTENDED (TypeName, type_name, G_TYPE_OBJECT, 0, \
    G_IMPLEMENT_INTERFACE_DYNAMIC (HEARTH_TYPE_TOOL_PROVIDER, hearth_builtin_provider_iface_init)) \
  static void type_name##_class_init (TypeName##Class *klass) \
  { \
    hearth_builtin_provider_class_init (G_OBJECT_CLASS (klass)); \
  } \
  static void type_name##_class_finalize (TypeName##Class *klass) \
  { \
    (void) klass; \
  } \
  static void type_name##_init (TypeName *self) \
  { \
    self->parent_instance.tools = tool_table; \
    self->parent_instance.n_tools = G_N_ELEMENTS (tool_table); \
  } \
  G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module); \
  G_MODULE_EXPORT void \
  peas_register_types (PeasObjectModule *module) \
  { \
    type_name##_register_type (G_TYPE_MODULE (module)); \
    peas_object_module_register_extension_type (module, HEARTH_TYPE_TOOL_PROVIDER, type_name##_get_type ()); \
  }

G_END_DECLS
