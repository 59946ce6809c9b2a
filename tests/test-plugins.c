/* test-plugins.c: the tool registry (in-process providers) and the plugin manager (the test plugins in tests/plugins)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The registry cases use TestProvider, a tool provider defined here whose
 * tools each misbehave in one way (hang, complete late, give bad output).
 * Every case runs its own main context work; nothing is made before the fork.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-mcp-servers.h"
#include "hearth-plugin-manager.h"
#include "hearth-store.h"
#include "hearth-test.h"
#include "hearth-tool-registry.h"

/* ---- an in-process provider ---- */

#define TEST_TYPE_PROVIDER (test_provider_get_type ())
G_DECLARE_FINAL_TYPE (TestProvider, test_provider, TEST, PROVIDER, GObject)

struct _TestProvider
{
  GObject    parent_instance;
  GPtrArray *tools;
  guint      n_invoked;
  guint      n_cancelled;  /* calls that saw their cancellable cancelled */
  guint      n_late_done;  /* "late" calls that completed */
};

static void test_provider_iface_init (HearthToolProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestProvider, test_provider, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_TOOL_PROVIDER, test_provider_iface_init))

enum { PROP_0, PROP_HOST };

static const struct
{
  const char       *name;
  const char       *schema;
  HearthToolEffects effects;
} test_tools[] = {
  { "echo", "{\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\"}}, "
            "\"required\": [\"text\"], \"additionalProperties\": false}", HEARTH_TOOL_EFFECT_READ_ONLY },
  { "hang", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "late", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "bad_utf8", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "bad_json", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "good_json", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "image", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
  { "denied", NULL, HEARTH_TOOL_EFFECT_SIDE_EFFECTS },
  { "bad name", NULL, HEARTH_TOOL_EFFECT_READ_ONLY },
};

static HearthTool *
make_tool (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (test_tools); i++)
    if (strcmp (test_tools[i].name, name) == 0)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *description = g_strdup_printf ("The %s test tool", name);
        HearthTool *tool = hearth_tool_new_from_json (name, description,
                                                      test_tools[i].schema != NULL ? test_tools[i].schema
                                                        : "{\"type\": \"object\", \"properties\": {}}",
                                                      test_tools[i].effects, &error);
        hearth_assert_no_error (error);
        return tool;
      }
  ck_abort_msg ("no test tool %s", name);
  return NULL;
}

static void
test_provider_set_tools (TestProvider      *self,
                         const char *const *names)
{
  g_ptr_array_set_size (self->tools, 0);
  for (guint i = 0; names[i] != NULL; i++)
    g_ptr_array_add (self->tools, make_tool (names[i]));
}

static TestProvider *
test_provider_new (const char *const *names)
{
  TestProvider *self = g_object_new (TEST_TYPE_PROVIDER, NULL);

  test_provider_set_tools (self, names);
  return self;
}

static GPtrArray *
test_provider_list_tools (HearthToolProvider *provider)
{
  TestProvider *self = TEST_PROVIDER (provider);
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);

  for (guint i = 0; i < self->tools->len; i++)
    g_ptr_array_add (tools, hearth_tool_ref (g_ptr_array_index (self->tools, i)));
  return tools;
}

static gboolean
on_hang_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  TestProvider *self = g_task_get_source_object (task);

  self->n_cancelled++;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  return G_SOURCE_REMOVE;
}

static gboolean
on_late (gpointer user_data)
{
  GTask *task = user_data;
  TestProvider *self = g_task_get_source_object (task);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    self->n_cancelled++;
  self->n_late_done++;
  /* Ignores the cancel on purpose: a result after the call is over. */
  g_task_return_pointer (task, hearth_tool_result_new_text ("late result"),
                         (GDestroyNotify) hearth_tool_result_unref);
  return G_SOURCE_REMOVE;
}

static void
test_provider_invoke_async (HearthToolProvider  *provider,
                            const char          *name,
                            JsonObject          *arguments,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  TestProvider *self = TEST_PROVIDER (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  HearthToolResult *result = NULL;

  g_task_set_check_cancellable (task, FALSE);
  self->n_invoked++;
  if (strcmp (name, "echo") == 0)
    result = hearth_tool_result_new_text (json_object_get_string_member (arguments, "text"));
  else if (strcmp (name, "hang") == 0)
    {
      GSource *source = g_cancellable_source_new (cancellable);

      g_source_set_callback (source, G_SOURCE_FUNC (on_hang_cancelled), g_object_ref (task), g_object_unref);
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
      return;
    }
  else if (strcmp (name, "late") == 0)
    {
      g_timeout_add_full (G_PRIORITY_DEFAULT, 300, on_late, g_object_ref (task), g_object_unref);
      return;
    }
  else if (strcmp (name, "bad_utf8") == 0)
    result = hearth_tool_result_new ("text/plain", "ok \xff\xfe", 5);
  else if (strcmp (name, "bad_json") == 0)
    result = hearth_tool_result_new_json ("{\"a\": 1,}");
  else if (strcmp (name, "good_json") == 0)
    result = hearth_tool_result_new_json ("{\"a\": [1, 2]}");
  else if (strcmp (name, "image") == 0)
    result = hearth_tool_result_new ("image/png", "\x89PNG", 4);
  else if (strcmp (name, "denied") == 0)
    {
      g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                               "/etc is outside the granted folders");
      return;
    }
  else
    {
      g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_NOT_FOUND, "no tool %s", name);
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) hearth_tool_result_unref);
}

static HearthToolResult *
test_provider_invoke_finish (HearthToolProvider  *provider,
                             GAsyncResult        *result,
                             GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_provider_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = test_provider_list_tools;
  iface->invoke_async = test_provider_invoke_async;
  iface->invoke_finish = test_provider_invoke_finish;
}

static void
test_provider_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  g_value_set_object (value, NULL);
}

static void
test_provider_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
}

static void
test_provider_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_PROVIDER (object)->tools);
  G_OBJECT_CLASS (test_provider_parent_class)->finalize (object);
}

static void
test_provider_class_init (TestProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = test_provider_finalize;
  object_class->get_property = test_provider_get_property;
  object_class->set_property = test_provider_set_property;
  g_object_class_override_property (object_class, PROP_HOST, "host");
}

static void
test_provider_init (TestProvider *self)
{
  self->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
}

/* ---- helpers ---- */

typedef struct
{
  gboolean           done;
  HearthToolOutcome *outcome;
  GError            *error;
} CallWait;

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallWait *wait = user_data;

  ck_assert (!wait->done);
  wait->done = TRUE;
  wait->outcome = hearth_tool_registry_call_finish (HEARTH_TOOL_REGISTRY (source), result, &wait->error);
}

static HearthToolOutcome *
call_sync (HearthToolRegistry *registry,
           const char         *name,
           const char         *arguments,
           GCancellable       *cancellable,
           GError            **error)
{
  CallWait wait = { 0 };

  hearth_tool_registry_call_async (registry, name, arguments, cancellable, on_call_done, &wait);
  /* Never synchronous: the caller's stack is unwound first. */
  ck_assert (!wait.done);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  ck_assert ((wait.outcome == NULL) != (wait.error == NULL));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.outcome;
}

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

#define assert_plugin_error(err, want_code, want_message) \
  G_STMT_START { \
    ck_assert_msg ((err) != NULL, "expected an error, got success"); \
    ck_assert_msg ((err)->domain == HEARTH_PLUGIN_ERROR && (err)->code == (int) (want_code), \
                   "expected code %d, got %s:%d: %s", (int) (want_code), \
                   g_quark_to_string ((err)->domain), (err)->code, (err)->message); \
    ck_assert_str_eq ((err)->message, (want_message)); \
  } G_STMT_END

/* ---- the registry ---- */

START_TEST (test_registry_list)
{
  static const char *const one[] = { "hang", "echo", NULL };
  static const char *const two[] = { "good_json", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(TestProvider) p1 = test_provider_new (one);
  g_autoptr(TestProvider) p2 = test_provider_new (two);
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  const char *plugin_id = NULL;
  const char *names[] = { "echo", NULL };
  const char *missing[] = { "echo", "nope", NULL };

  ck_assert (hearth_tool_registry_add_provider (registry, "test-one", HEARTH_TOOL_PROVIDER (p1), &error));
  ck_assert (hearth_tool_registry_add_provider (registry, "test-two", HEARTH_TOOL_PROVIDER (p2), &error));
  hearth_assert_no_error (error);

  tools = hearth_tool_registry_list_tools (registry);
  ck_assert_uint_eq (tools->len, 3);
  ck_assert_str_eq (hearth_tool_get_name (g_ptr_array_index (tools, 0)), "echo");
  ck_assert_str_eq (hearth_tool_get_name (g_ptr_array_index (tools, 1)), "good_json");
  ck_assert_str_eq (hearth_tool_get_name (g_ptr_array_index (tools, 2)), "hang");

  ck_assert_ptr_nonnull (hearth_tool_registry_lookup (registry, "good_json", &plugin_id));
  ck_assert_str_eq (plugin_id, "test-two");
  ck_assert_ptr_null (hearth_tool_registry_lookup (registry, "nope", &plugin_id));
  ck_assert_ptr_null (plugin_id);

  json = hearth_tool_registry_dup_template_tools (registry, names, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (json, "[{\"type\":\"function\",\"function\":{\"name\":\"echo\","
                          "\"description\":\"The echo test tool\",\"parameters\":{\"type\":\"object\","
                          "\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"],"
                          "\"additionalProperties\":false}}}]");
  g_clear_pointer (&json, g_free);
  json = hearth_tool_registry_dup_template_tools (registry, missing, &error);
  ck_assert_ptr_null (json);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND, "No tool called “nope”");
  g_clear_error (&error);

  hearth_tool_registry_remove_provider (registry, HEARTH_TOOL_PROVIDER (p1));
  ck_assert_ptr_null (hearth_tool_registry_lookup (registry, "echo", NULL));
  json = hearth_tool_registry_dup_template_tools (registry, NULL, &error);
  ck_assert_str_eq (json, "[{\"type\":\"function\",\"function\":{\"name\":\"good_json\","
                          "\"description\":\"The good_json test tool\",\"parameters\":{\"type\":\"object\","
                          "\"properties\":{}}}}]");
}
END_TEST

START_TEST (test_registry_refusals)
{
  static const char *const one[] = { "echo", NULL };
  static const char *const bad_name[] = { "hang", "bad name", NULL };
  static const char *const dup[] = { "late", "echo", NULL };
  static const char *const changed[] = { "echo", "late", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(TestProvider) p1 = test_provider_new (one);
  g_autoptr(TestProvider) p2 = test_provider_new (bad_name);
  g_autoptr(TestProvider) p3 = test_provider_new (dup);
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_tool_registry_add_provider (registry, "test-one", HEARTH_TOOL_PROVIDER (p1), &error));
  ck_assert (!hearth_tool_registry_add_provider (registry, "test-one", HEARTH_TOOL_PROVIDER (p1), &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_REFUSED, "Plugin “test-one”: this tool provider was added already");
  g_clear_error (&error);

  ck_assert (!hearth_tool_registry_add_provider (registry, "test-bad", HEARTH_TOOL_PROVIDER (p2), &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_REFUSED,
                       "Plugin “test-bad” offers a tool named “bad name”: a tool name is 1 to 64 of "
                       "A–Z, a–z, 0–9, “_” and “-”");
  g_clear_error (&error);
  /* Refused whole: its valid tool is not there either. */
  ck_assert_ptr_null (hearth_tool_registry_lookup (registry, "hang", NULL));

  ck_assert (!hearth_tool_registry_add_provider (registry, "test-dup", HEARTH_TOOL_PROVIDER (p3), &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_REFUSED,
                       "Plugin “test-dup” offers tool “echo”, which plugin “test-one” already provides");
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_tool_registry_lookup (registry, "late", NULL));

  tools = hearth_tool_registry_list_tools (registry);
  ck_assert_uint_eq (tools->len, 1);

  /* "tools-changed" is followed. */
  test_provider_set_tools (p1, changed);
  hearth_tool_provider_tools_changed (HEARTH_TOOL_PROVIDER (p1));
  ck_assert_ptr_nonnull (hearth_tool_registry_lookup (registry, "late", NULL));
  g_clear_pointer (&tools, g_ptr_array_unref);
  tools = hearth_tool_registry_list_tools (registry);
  ck_assert_uint_eq (tools->len, 2);
}
END_TEST

START_TEST (test_registry_invalid_arguments)
{
  static const char *const one[] = { "echo", NULL };
  static const struct { const char *args; const char *message; } cases[] = {
    { "{\"text\": 5}", "Tool “echo” (plugin “test-one”): argument 'text' must be string, not integer" },
    { "{}", "Tool “echo” (plugin “test-one”): required argument 'text' is missing" },
    { "{\"text\": \"a\", \"x\": 1}", "Tool “echo” (plugin “test-one”): unknown argument 'x'" },
    { "[\"a\"]", "Tool “echo” (plugin “test-one”): the arguments must be a JSON object" },
    { "{\"text\": ", "Tool “echo” (plugin “test-one”): the arguments are not valid JSON: "
                     "JSON: unexpected end of input at line 1, column 10 (byte 9)" },
  };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(TestProvider) p1 = test_provider_new (one);
  g_autoptr(HearthToolOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_tool_registry_add_provider (registry, "test-one", HEARTH_TOOL_PROVIDER (p1), &error));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ck_assert_ptr_null (call_sync (registry, "echo", cases[i].args, NULL, &error));
      assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, cases[i].message);
      g_clear_error (&error);
    }
  ck_assert_uint_eq (p1->n_invoked, 0);

  ck_assert_ptr_null (call_sync (registry, "nope", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND, "No tool called “nope”");
  g_clear_error (&error);

  outcome = call_sync (registry, "echo", "{\"text\": \"héllo\"}", NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (outcome->text, "héllo");
  ck_assert_str_eq (outcome->media_type, "text/plain");
  ck_assert (outcome->seconds >= 0 && outcome->seconds < 1);
  ck_assert_uint_eq (p1->n_invoked, 1);
}
END_TEST

START_TEST (test_registry_timeout)
{
  static const char *const one[] = { "hang", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  TestProvider *p1 = test_provider_new (one);
  g_autoptr(GError) error = NULL;
  gint64 start;

  ck_assert_uint_eq (hearth_tool_registry_get_timeout (registry), 30000);
  hearth_tool_registry_set_timeout (registry, 200);
  ck_assert_uint_eq (hearth_tool_registry_get_timeout (registry), 200);
  ck_assert (hearth_tool_registry_add_provider (registry, "test-good", HEARTH_TOOL_PROVIDER (p1), &error));

  start = g_get_monotonic_time ();
  ck_assert_ptr_null (call_sync (registry, "hang", "{}", NULL, &error));
  ck_assert (g_get_monotonic_time () - start >= 200000);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_TIMED_OUT, "Tool “hang” (plugin “test-good”) timed out after 0.2 s");
  /* The provider was told to stop, and its own completion is dropped. */
  spin (50);
  ck_assert_uint_eq (p1->n_cancelled, 1);

  /* Nothing still holds the provider once the registry lets it go. */
  g_object_add_weak_pointer (G_OBJECT (p1), (gpointer *) &p1);
  hearth_tool_registry_remove_provider (registry, HEARTH_TOOL_PROVIDER (p1));
  g_object_unref (p1);
  ck_assert_ptr_null (p1);
}
END_TEST

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

START_TEST (test_registry_cancel)
{
  static const char *const one[] = { "hang", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(TestProvider) p1 = test_provider_new (one);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_tool_registry_add_provider (registry, "test-good", HEARTH_TOOL_PROVIDER (p1), &error));
  g_timeout_add (50, cancel_later, cancellable);
  ck_assert_ptr_null (call_sync (registry, "hang", "{}", cancellable, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_str_eq (error->message, "Tool “hang” (plugin “test-good”) was cancelled");
  g_clear_error (&error);
  spin (50);
  ck_assert_uint_eq (p1->n_cancelled, 1);

  /* Already cancelled: the provider is not called. */
  ck_assert_ptr_null (call_sync (registry, "hang", "{}", cancellable, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  ck_assert_uint_eq (p1->n_invoked, 1);
}
END_TEST

START_TEST (test_registry_late_completion)
{
  static const char *const one[] = { "late", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  TestProvider *p1 = test_provider_new (one);
  g_autoptr(GError) error = NULL;

  hearth_tool_registry_set_timeout (registry, 100);
  ck_assert (hearth_tool_registry_add_provider (registry, "test-good", HEARTH_TOOL_PROVIDER (p1), &error));
  ck_assert_ptr_null (call_sync (registry, "late", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_TIMED_OUT, "Tool “late” (plugin “test-good”) timed out after 0.1 s");
  ck_assert_uint_eq (p1->n_late_done, 0);

  /* The registry goes first: the late result still finds its call. */
  g_clear_object (&registry);
  spin (350);
  ck_assert_uint_eq (p1->n_late_done, 1);
  ck_assert_uint_eq (p1->n_cancelled, 1);
  g_object_add_weak_pointer (G_OBJECT (p1), (gpointer *) &p1);
  g_object_unref (p1);
  ck_assert_ptr_null (p1);
}
END_TEST

START_TEST (test_registry_results)
{
  static const char *const one[] = { "bad_utf8", "bad_json", "good_json", "image", "denied", NULL };
  g_autoptr(HearthToolRegistry) registry = hearth_tool_registry_new ();
  g_autoptr(TestProvider) p1 = test_provider_new (one);
  g_autoptr(HearthToolOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_tool_registry_add_provider (registry, "test-out", HEARTH_TOOL_PROVIDER (p1), &error));

  ck_assert_ptr_null (call_sync (registry, "bad_utf8", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “bad_utf8” (plugin “test-out”) gave a result that is not valid UTF-8 text");
  g_clear_error (&error);

  ck_assert_ptr_null (call_sync (registry, "bad_json", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “bad_json” (plugin “test-out”) gave a result that claims to be JSON and is not: "
                       "JSON: object key (a string) expected at line 1, column 9 (byte 8)");
  g_clear_error (&error);

  ck_assert_ptr_null (call_sync (registry, "image", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “image” (plugin “test-out”) gave a result of media type “image/png”; "
                       "only text/plain and application/json are accepted");
  g_clear_error (&error);

  ck_assert_ptr_null (call_sync (registry, "denied", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                       "Tool “denied” (plugin “test-out”) failed: /etc is outside the granted folders");
  g_clear_error (&error);

  outcome = call_sync (registry, "good_json", "{}", NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (outcome->text, "{\"a\": [1, 2]}");
  ck_assert_str_eq (outcome->media_type, "application/json");
}
END_TEST


/* ---- the plugin manager, on tests/plugins ---- */

#define MODULE_MISSING_REASON "Plugin “test-module-missing” could not be loaded: its module " \
                              "“libtest-module-missing.so” is not beside its .plugin file"
#define NO_ENTRY_POINT_REASON "Plugin “test-no-entry-point” could not be loaded: its module " \
                              "“libtest-no-entry-point.so” has no peas_register_types()"

typedef struct
{
  char                *dir;
  HearthStore         *store;
  HearthPluginManager *manager;
} Fixture;

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("test passphrase");
}

static HearthStore *
open_store_in (const char *dir)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  hearth_store_params_init (&p);
  p.data_dir = dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (store);
  return store;
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_plugin_manager_load_finish (HEARTH_PLUGIN_MANAGER (source), result, &error));
  hearth_assert_no_error (error);
  *done = TRUE;
}

static HearthPluginManager *
load_manager (HearthStore *store)
{
  HearthPluginManager *manager = hearth_plugin_manager_new (store, NULL);
  gboolean done = FALSE;

  hearth_plugin_manager_load_async (manager, NULL, on_loaded, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  return manager;
}

/* A store in a new folder, and the plugins on HEARTH_PLUGIN_PATH loaded;
 * XDG_DATA_HOME points into the folder so that no user plugin joins in. */
static void
fixture_init (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = NULL;

  f->dir = g_dir_make_tmp ("hearth-test-plugins-XXXXXX", &error);
  hearth_assert_no_error (error);
  data_home = g_build_filename (f->dir, "data-home", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  ck_assert_ptr_nonnull (g_getenv ("HEARTH_PLUGIN_PATH"));
  f->store = open_store_in (f->dir);
  f->manager = load_manager (f->store);
}

static void
fixture_clear (Fixture *f)
{
  g_clear_object (&f->manager);
  g_clear_object (&f->store);
  hearth_test_rm_rf (f->dir);
  g_free (f->dir);
}

static HearthPluginEntry *
entry (HearthPluginManager *manager,
       const char          *id)
{
  HearthPluginEntry *e = hearth_plugin_manager_lookup (manager, id);

  ck_assert_msg (e != NULL, "no plugin %s", id);
  return e;
}

static void
assert_state (HearthPluginManager *manager,
              const char          *id,
              HearthPluginState    state,
              const char          *reason)
{
  g_autoptr(HearthPluginEntry) e = entry (manager, id);

  ck_assert_msg (e->state == state, "%s: state %s, reason %s", id,
                 hearth_plugin_state_to_string (e->state), e->reason ? e->reason : "(none)");
  if (reason == NULL)
    ck_assert_ptr_null (e->reason);
  else
    ck_assert_str_eq (e->reason, reason);
}

static char *
tool_text (HearthPluginManager *manager,
           const char          *name,
           const char          *arguments)
{
  g_autoptr(GError) error = NULL;
  HearthToolOutcome *outcome = call_sync (hearth_plugin_manager_get_tools (manager), name, arguments, NULL, &error);
  char *text;

  hearth_assert_no_error (error);
  text = g_steal_pointer (&outcome->text);
  hearth_tool_outcome_free (outcome);
  return text;
}

START_TEST (test_manager_entries)
{
  static const char *const ids[] = {
    "test-abi-missing", "test-abi-wrong", "test-bad-json", "test-bad-utf8", "test-depends-missing",
    "test-duplicate-tool", "test-good", "test-module-missing", "test-no-entry-point",
    "test-tool-errors", "test-tool-hangs",
  };
  Fixture f = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(HearthPluginEntry) good = NULL;
  g_autoptr(GPtrArray) tools = NULL;

  fixture_init (&f);
  entries = hearth_plugin_manager_list (f.manager);
  ck_assert_uint_eq (entries->len, G_N_ELEMENTS (ids));
  for (guint i = 0; i < entries->len; i++)
    ck_assert_str_eq (((HearthPluginEntry *) g_ptr_array_index (entries, i))->id, ids[i]);

  assert_state (f.manager, "test-abi-missing", HEARTH_PLUGIN_STATE_REFUSED,
                "Plugin “test-abi-missing” does not say which Hearth plugin ABI it was built for "
                "(X-Hearth-ABI is missing); it was not loaded");
  assert_state (f.manager, "test-abi-wrong", HEARTH_PLUGIN_STATE_REFUSED,
                "Plugin “test-abi-wrong” was built for Hearth plugin ABI 999, and this Hearth has ABI 1; "
                "it was not loaded");
  assert_state (f.manager, "test-depends-missing", HEARTH_PLUGIN_STATE_REFUSED,
                "Plugin “test-depends-missing” depends on plugin “nonexistent”, which was not found; "
                "it was not loaded");
  assert_state (f.manager, "test-duplicate-tool", HEARTH_PLUGIN_STATE_REFUSED,
                "Plugin “test-duplicate-tool” offers tool “echo”, which plugin “test-good” already provides; "
                "it was not loaded");
  assert_state (f.manager, "test-module-missing", HEARTH_PLUGIN_STATE_REFUSED, MODULE_MISSING_REASON);
  assert_state (f.manager, "test-no-entry-point", HEARTH_PLUGIN_STATE_REFUSED, NO_ENTRY_POINT_REASON);
  assert_state (f.manager, "test-good", HEARTH_PLUGIN_STATE_LOADED, NULL);
  assert_state (f.manager, "test-tool-errors", HEARTH_PLUGIN_STATE_LOADED, NULL);
  assert_state (f.manager, "test-tool-hangs", HEARTH_PLUGIN_STATE_LOADED, NULL);
  assert_state (f.manager, "test-bad-utf8", HEARTH_PLUGIN_STATE_LOADED, NULL);
  assert_state (f.manager, "test-bad-json", HEARTH_PLUGIN_STATE_LOADED, NULL);

  /* The refused modules are there: their constructors abort, so their
   * code never ran. */
  {
    g_autoptr(HearthPluginEntry) wrong = entry (f.manager, "test-abi-wrong");
    g_autofree char *module = g_build_filename (wrong->folder, "libtest-abi-wrong.so", NULL);
    ck_assert (g_file_test (module, G_FILE_TEST_IS_REGULAR));
  }

  good = entry (f.manager, "test-good");
  ck_assert_str_eq (good->name, "Test: good");
  ck_assert_str_eq (good->description, "Echo, notes and granted folders");
  ck_assert_str_eq (good->authors, "Hearth tests");
  ck_assert_str_eq (good->website, "https://example.org/hearth");
  ck_assert (g_str_has_suffix (good->folder, "/tests/plugins/good"));
  ck_assert_uint_eq (good->tools->len, 4);
  ck_assert_str_eq (hearth_tool_get_name (g_ptr_array_index (good->tools, 0)), "echo");
  ck_assert_str_eq (hearth_tool_get_name (g_ptr_array_index (good->tools, 3)), "note_write");
  ck_assert_int_eq (hearth_tool_get_effects (g_ptr_array_index (good->tools, 3)), HEARTH_TOOL_EFFECT_SIDE_EFFECTS);
  ck_assert_ptr_null (good->log[0]);

  tools = hearth_tool_registry_list_tools (hearth_plugin_manager_get_tools (f.manager));
  ck_assert_uint_eq (tools->len, 9);
  ck_assert_uint_eq (hearth_plugin_manager_get_retrievers (f.manager)->len, 0);
  fixture_clear (&f);
}
END_TEST

START_TEST (test_manager_calls)
{
  Fixture f = { 0 };
  HearthToolRegistry *registry;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autoptr(HearthPluginEntry) good = NULL;

  fixture_init (&f);
  registry = hearth_plugin_manager_get_tools (f.manager);
  hearth_tool_registry_set_timeout (registry, 200);

  ck_assert_ptr_null (call_sync (registry, "fail", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_FAILED, "Tool “fail” (plugin “test-tool-errors”) failed: the disk is full");
  g_clear_error (&error);
  ck_assert_ptr_null (call_sync (registry, "bad_utf8", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “bad_utf8” (plugin “test-bad-utf8”) gave a result that is not valid UTF-8 text");
  g_clear_error (&error);
  ck_assert_ptr_null (call_sync (registry, "bad_json", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "Tool “bad_json” (plugin “test-bad-json”) gave a result that claims to be JSON and is not: "
                       "JSON: ',' or '}' expected at line 1, column 14 (byte 13)");
  g_clear_error (&error);
  ck_assert_ptr_null (call_sync (registry, "hang", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_TIMED_OUT, "Tool “hang” (plugin “test-tool-hangs”) timed out after 0.2 s");
  g_clear_error (&error);
  ck_assert_ptr_null (call_sync (registry, "hang_ignore", "{}", NULL, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_TIMED_OUT,
                       "Tool “hang_ignore” (plugin “test-tool-hangs”) timed out after 0.2 s");
  g_clear_error (&error);
  /* Its result comes after a second, and is dropped. */
  spin (1000);

  /* The good plugin works after all of that, in the same process. */
  text = tool_text (f.manager, "echo", "{\"text\": \"still here\"}");
  ck_assert_str_eq (text, "still here");
  g_free (text);
  text = tool_text (f.manager, "echo", "{\"text\": \"complain\"}");
  ck_assert_str_eq (text, "complain");
  good = entry (f.manager, "test-good");
  ck_assert_str_eq (good->log[0], "asked to complain");
  ck_assert_ptr_null (good->log[1]);
  fixture_clear (&f);
}
END_TEST

START_TEST (test_manager_enable_disable)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  HearthToolRegistry *registry;

  fixture_init (&f);
  registry = hearth_plugin_manager_get_tools (f.manager);
  ck_assert (!hearth_plugin_manager_set_enabled (f.manager, "nope", FALSE, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND, "No plugin “nope”");
  g_clear_error (&error);

  ck_assert (hearth_plugin_manager_set_enabled (f.manager, "test-good", FALSE, &error));
  hearth_assert_no_error (error);
  assert_state (f.manager, "test-good", HEARTH_PLUGIN_STATE_DISABLED, NULL);
  ck_assert_ptr_null (hearth_tool_registry_lookup (registry, "note_write", NULL));
  stored = hearth_store_get_setting (f.store, "plugins.disabled", &error);
  ck_assert_str_eq (stored, "[\"test-good\"]");
  g_clear_pointer (&stored, g_free);
  /* Disabling twice changes nothing. */
  ck_assert (hearth_plugin_manager_set_enabled (f.manager, "test-good", FALSE, &error));

  /* Enabling loads it again at once. */
  ck_assert (hearth_plugin_manager_set_enabled (f.manager, "test-good", TRUE, &error));
  spin (20);
  assert_state (f.manager, "test-good", HEARTH_PLUGIN_STATE_LOADED, NULL);
  ck_assert_ptr_nonnull (hearth_tool_registry_lookup (registry, "note_write", NULL));
  stored = hearth_store_get_setting (f.store, "plugins.disabled", &error);
  ck_assert_str_eq (stored, "[]");
  g_clear_pointer (&stored, g_free);

  /* Persisted: a new manager on the same store keeps it off, and the
   * other echo gets its turn. */
  ck_assert (hearth_plugin_manager_set_enabled (f.manager, "test-good", FALSE, &error));
  g_clear_object (&f.manager);
  f.manager = load_manager (f.store);
  assert_state (f.manager, "test-good", HEARTH_PLUGIN_STATE_DISABLED, NULL);
  assert_state (f.manager, "test-duplicate-tool", HEARTH_PLUGIN_STATE_LOADED, NULL);
  ck_assert (hearth_plugin_manager_set_enabled (f.manager, "test-good", TRUE, &error));
  spin (20);
  assert_state (f.manager, "test-good", HEARTH_PLUGIN_STATE_REFUSED,
                "Plugin “test-good” offers tool “echo”, which plugin “test-duplicate-tool” already provides; "
                "it was not loaded");
  fixture_clear (&f);
}
END_TEST

START_TEST (test_manager_settings)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) value = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonNode) read = NULL;
  g_autofree char *text = NULL;
  g_autofree char *stored = NULL;

  fixture_init (&f);
  text = tool_text (f.manager, "note_read", "{}");
  ck_assert_str_eq (text, "(no note)");
  g_clear_pointer (&text, g_free);

  json_node_set_string (value, "from Preferences");
  ck_assert (hearth_plugin_manager_set_setting (f.manager, "test-good", "note", value, &error));
  hearth_assert_no_error (error);
  text = tool_text (f.manager, "note_read", "{}");
  ck_assert_str_eq (text, "from Preferences");
  g_clear_pointer (&text, g_free);

  text = tool_text (f.manager, "note_write", "{\"text\": \"from the plugin\"}");
  ck_assert_str_eq (text, "saved");
  g_clear_pointer (&text, g_free);
  read = hearth_plugin_manager_get_setting (f.manager, "test-good", "note");
  ck_assert_str_eq (json_node_get_string (read), "from the plugin");
  stored = hearth_store_get_setting (f.store, "plugins.test-good.note", &error);
  ck_assert_str_eq (stored, "\"from the plugin\"");

  /* Another plugin's settings are its own. */
  ck_assert_ptr_null (hearth_plugin_manager_get_setting (f.manager, "test-tool-errors", "note"));

  ck_assert (!hearth_plugin_manager_set_setting (f.manager, "test-good", "folders", value, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED,
                       "Plugin “test-good”: the setting “folders” is Hearth's (the folders the user granted)");
  g_clear_error (&error);
  ck_assert (!hearth_plugin_manager_set_setting (f.manager, "test-good", "a.b", value, &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                       "“a.b” is not a valid setting key: 1 to 64 of A–Z, a–z, 0–9, “_” and “-”");
  g_clear_error (&error);

  ck_assert (hearth_plugin_manager_set_setting (f.manager, "test-good", "note", NULL, &error));
  text = tool_text (f.manager, "note_read", "{}");
  ck_assert_str_eq (text, "(no note)");
  fixture_clear (&f);
}
END_TEST

/* The mcp plugin's server list as Preferences and `hearth-cli mcp` edit it
 * (hearth-mcp-servers.h): the setting's exact JSON, and every refusal. */
START_TEST (test_mcp_servers_setting)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--root", "/tmp/a b", NULL };
  const char *env[] = { "KEY=VALUE", "DEBUG=1=2", NULL };
  const char *no_equals[] = { "NOEQUALS", NULL };
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *stored = NULL;
  HearthMcpServer *server;

  fixture_init (&f);
  list = hearth_mcp_servers_list (f.manager, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (list->len, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  ck_assert (hearth_mcp_servers_add (f.manager, "fs", "mcp-server-filesystem", args, env, &error));
  hearth_assert_no_error (error);
  stored = hearth_store_get_setting (f.store, "plugins.mcp.servers", &error);
  ck_assert_str_eq (stored, "[{\"name\":\"fs\",\"command\":\"mcp-server-filesystem\",\"args\":[\"--root\",\"/tmp/a b\"],"
                            "\"env\":{\"KEY\":\"VALUE\",\"DEBUG\":\"1=2\"}}]");
  g_clear_pointer (&stored, g_free);

  ck_assert (!hearth_mcp_servers_add (f.manager, "fs", "other", NULL, NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS));
  g_clear_error (&error);
  ck_assert (!hearth_mcp_servers_add (f.manager, "bad name", "x", NULL, NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  ck_assert (!hearth_mcp_servers_add (f.manager, "x", "", NULL, NULL, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);
  ck_assert (!hearth_mcp_servers_add (f.manager, "x", "cmd", NULL, no_equals, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);

  ck_assert (hearth_mcp_servers_add (f.manager, "echo", "node", NULL, NULL, &error));
  hearth_assert_no_error (error);
  list = hearth_mcp_servers_list (f.manager, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (list->len, 2);
  server = g_ptr_array_index (list, 1);
  ck_assert_str_eq (server->name, "echo");
  ck_assert_str_eq (server->command, "node");
  ck_assert_ptr_null (server->args[0]);
  ck_assert_ptr_null (server->env[0]);
  g_clear_pointer (&list, g_ptr_array_unref);

  ck_assert (hearth_mcp_servers_remove (f.manager, "fs", &error));
  hearth_assert_no_error (error);
  stored = hearth_store_get_setting (f.store, "plugins.mcp.servers", &error);
  ck_assert_str_eq (stored, "[{\"name\":\"echo\",\"command\":\"node\",\"args\":[],\"env\":{}}]");
  ck_assert (!hearth_mcp_servers_remove (f.manager, "fs", &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND));
  g_clear_error (&error);

  /* A hand-edited entry the plugin would leave out is an error naming it. */
  ck_assert (hearth_store_set_setting (f.store, "plugins.mcp.servers", "[{\"name\": \"ok\", \"command\": \"x\"}, 3]", &error));
  ck_assert_ptr_null (hearth_mcp_servers_list (f.manager, &error));
  ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  ck_assert (g_str_has_prefix (error->message, "MCP server 2 in the settings is not valid"));
  fixture_clear (&f);
}
END_TEST

START_TEST (test_manager_folders)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *text = NULL;
  g_autofree char *want = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *message = NULL;
  g_auto(GStrv) folders = NULL;

  fixture_init (&f);
  a = g_build_filename (f.dir, "a", NULL);
  b = g_build_filename (f.dir, "b", NULL);
  g_mkdir (a, 0700);
  g_mkdir (b, 0700);

  ck_assert (hearth_plugin_manager_grant_folder (f.manager, "test-good", b, &error));
  ck_assert (hearth_plugin_manager_grant_folder (f.manager, "test-good", a, &error));
  ck_assert (hearth_plugin_manager_grant_folder (f.manager, "test-good", a, &error));
  hearth_assert_no_error (error);
  folders = hearth_plugin_manager_dup_granted_folders (f.manager, "test-good");
  ck_assert_uint_eq (g_strv_length (folders), 2);
  ck_assert_str_eq (folders[0], a);
  ck_assert_str_eq (folders[1], b);
  g_clear_pointer (&folders, g_strfreev);

  text = tool_text (f.manager, "folders", "{}");
  want = g_strdup_printf ("%s\n%s", a, b);
  ck_assert_str_eq (text, want);
  g_clear_pointer (&text, g_free);
  stored = hearth_store_get_setting (f.store, "plugins.test-good.folders", &error);
  g_clear_pointer (&want, g_free);
  want = g_strdup_printf ("[\"%s\",\"%s\"]", a, b);
  ck_assert_str_eq (stored, want);

  folders = hearth_plugin_manager_dup_granted_folders (f.manager, "test-tool-errors");
  ck_assert_ptr_null (folders[0]);
  g_clear_pointer (&folders, g_strfreev);

  ck_assert (hearth_plugin_manager_revoke_folder (f.manager, "test-good", a, &error));
  text = tool_text (f.manager, "folders", "{}");
  ck_assert_str_eq (text, b);
  ck_assert (!hearth_plugin_manager_revoke_folder (f.manager, "test-good", a, &error));
  message = g_strdup_printf ("Folder “%s” is not granted to plugin “test-good”", a);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND, message);
  g_clear_error (&error);

  ck_assert (!hearth_plugin_manager_grant_folder (f.manager, "test-good", "relative/path", &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                       "Cannot grant “relative/path” to plugin “test-good”: a folder to grant is an absolute path");
  g_clear_error (&error);
  ck_assert (!hearth_plugin_manager_grant_folder (f.manager, "test-good", "/nonexistent-hearth", &error));
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND,
                       "Cannot grant “/nonexistent-hearth” to plugin “test-good”: no such folder");
  g_clear_error (&error);
  fixture_clear (&f);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("plugins");
  TCase *tc;

  tc = tcase_create ("registry");
  tcase_set_timeout (tc, 10);
  tcase_add_test (tc, test_registry_list);
  tcase_add_test (tc, test_registry_refusals);
  tcase_add_test (tc, test_registry_invalid_arguments);
  tcase_add_test (tc, test_registry_timeout);
  tcase_add_test (tc, test_registry_cancel);
  tcase_add_test (tc, test_registry_late_completion);
  tcase_add_test (tc, test_registry_results);
  suite_add_tcase (s, tc);

  tc = tcase_create ("manager");
  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_manager_entries);
  tcase_add_test (tc, test_manager_calls);
  tcase_add_test (tc, test_manager_enable_disable);
  tcase_add_test (tc, test_manager_settings);
  tcase_add_test (tc, test_manager_folders);
  tcase_add_test (tc, test_mcp_servers_setting);
  suite_add_tcase (s, tc);

  return hearth_test_run (s);
}
