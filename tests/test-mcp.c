/* test-mcp.c: the mcp plugin, loaded through libpeas, against the real MCP reference servers and a fake one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The plugin is loaded from the build folder ($HEARTH_MCP_PLUGIN_DIR) with
 * a PeasEngine and given TestHost, a HearthPluginHost with settings in
 * memory that keeps what the plugin logs. The real servers
 * (@modelcontextprotocol/server-everything and server-filesystem, pinned
 * in tests/mcp/package-lock.json) are installed by tests/mcp/install.sh
 * into $HEARTH_MCP_NODE_MODULES: without them the tests fail. The fake
 * server (tests/mcp/fake-server.py) pages its tools and misbehaves on
 * request. Every test ends with the provider gone and no child process
 * left, reaped or not.
 */
#include <errno.h>
#include <libpeas/peas.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "hearth-plugin.h"
#include "hearth-test.h"

/* ---- TestHost ---- */

#define TEST_TYPE_HOST (test_host_get_type ())
G_DECLARE_FINAL_TYPE (TestHost, test_host, TEST, HOST, GObject)

struct _TestHost
{
  GObject     parent_instance;
  GHashTable *settings;  /* key -> JsonNode */
  GPtrArray  *log;       /* messages */
};

static void test_host_iface_init (HearthPluginHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestHost, test_host, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_PLUGIN_HOST, test_host_iface_init))

static const char *
host_get_plugin_id (HearthPluginHost *host)
{
  return "mcp";
}

static JsonNode *
host_get_setting (HearthPluginHost *host,
                  const char       *key)
{
  JsonNode *v = g_hash_table_lookup (TEST_HOST (host)->settings, key);

  return v != NULL ? json_node_copy (v) : NULL;
}

static gboolean
host_set_setting (HearthPluginHost *host,
                  const char       *key,
                  JsonNode         *value,
                  GError          **error)
{
  if (value != NULL)
    g_hash_table_insert (TEST_HOST (host)->settings, g_strdup (key), json_node_copy (value));
  else
    g_hash_table_remove (TEST_HOST (host)->settings, key);
  return TRUE;
}

static char **
host_dup_granted_folders (HearthPluginHost *host)
{
  return g_new0 (char *, 1);
}

static void
host_log (HearthPluginHost *host,
          GLogLevelFlags    level,
          const char       *message)
{
  g_ptr_array_add (TEST_HOST (host)->log, g_strdup (message));
}

static void
test_host_iface_init (HearthPluginHostInterface *iface)
{
  iface->get_plugin_id = host_get_plugin_id;
  iface->get_setting = host_get_setting;
  iface->set_setting = host_set_setting;
  iface->dup_granted_folders = host_dup_granted_folders;
  iface->log = host_log;
}

static void
test_host_finalize (GObject *object)
{
  TestHost *self = TEST_HOST (object);

  g_hash_table_unref (self->settings);
  g_ptr_array_unref (self->log);
  G_OBJECT_CLASS (test_host_parent_class)->finalize (object);
}

static void
test_host_class_init (TestHostClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_host_finalize;
}

static void
test_host_init (TestHost *self)
{
  self->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
  self->log = g_ptr_array_new_with_free_func (g_free);
}

static void
host_set_json (TestHost   *host,
               const char *key,
               const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  ck_assert_msg (node != NULL, "bad JSON in the test: %s", json);
  hearth_plugin_host_set_setting (HEARTH_PLUGIN_HOST (host), key, node, NULL);
}

static gboolean
host_logged (TestHost   *host,
             const char *text)
{
  for (guint i = 0; i < host->log->len; i++)
    if (strstr (host->log->pdata[i], text) != NULL)
      return TRUE;
  return FALSE;
}

/* ---- helpers ---- */

static const char *
env_path (const char *name)
{
  const char *v = g_getenv (name);

  ck_assert_msg (v != NULL && g_file_test (v, G_FILE_TEST_EXISTS),
                 "%s (%s) is missing: run tests/mcp/install.sh on the build folder (tools/hearth-dev test does)",
                 name, v ? v : "unset");
  return v;
}

/* The JSON of a server entry running the package's @script with @args (JSON strings). */
static char *
node_server (const char *name,
             const char *script,
             const char *args)
{
  g_autofree char *path = g_build_filename (env_path ("HEARTH_MCP_NODE_MODULES"), "@modelcontextprotocol",
                                            script, "dist", "index.js", NULL);
  g_autofree char *node = g_find_program_in_path ("node");

  ck_assert_msg (node != NULL, "node is not in PATH");
  ck_assert_msg (g_file_test (path, G_FILE_TEST_EXISTS),
                 "%s is missing: run tests/mcp/install.sh on the build folder", path);
  return g_strdup_printf ("{\"name\": \"%s\", \"command\": \"%s\", \"args\": [\"%s\"%s%s]}",
                          name, node, path, args ? ", " : "", args ? args : "");
}

static char *
fake_server (const char *name)
{
  return g_strdup_printf ("{\"name\": \"%s\", \"command\": \"%s\", \"args\": [\"%s\"], \"env\": {\"PYTHONUNBUFFERED\": \"1\"}}",
                          name, env_path ("HEARTH_MCP_PYTHON"), env_path ("HEARTH_MCP_FAKE_SERVER"));
}

typedef struct
{
  PeasEngine         *engine;
  TestHost           *host;
  HearthToolProvider *provider;
  guint               changes;
} Fixture;

static void
on_tools_changed (HearthToolProvider *provider,
                  Fixture            *f)
{
  f->changes++;
}

static void
fixture_load (Fixture    *f,
              const char *servers_json)
{
  PeasPluginInfo *info;

  f->engine = peas_engine_new ();
  peas_engine_add_search_path (f->engine, env_path ("HEARTH_MCP_PLUGIN_DIR"), NULL);
  info = peas_engine_get_plugin_info (f->engine, "mcp");
  ck_assert_msg (info != NULL, "no mcp.plugin in %s", g_getenv ("HEARTH_MCP_PLUGIN_DIR"));
  ck_assert_str_eq (peas_plugin_info_get_external_data (info, "Hearth-ABI"), "1");
  ck_assert (peas_engine_load_plugin (f->engine, info));
  ck_assert (peas_engine_provides_extension (f->engine, info, HEARTH_TYPE_TOOL_PROVIDER));
  f->host = g_object_new (TEST_TYPE_HOST, NULL);
  host_set_json (f->host, "servers", servers_json);
  f->provider = HEARTH_TOOL_PROVIDER (peas_engine_create_extension (f->engine, info, HEARTH_TYPE_TOOL_PROVIDER,
                                                                    "host", f->host, NULL));
  ck_assert (f->provider != NULL);
  ck_assert (hearth_tool_provider_get_host (f->provider) == HEARTH_PLUGIN_HOST (f->host));
  g_signal_connect (f->provider, "tools-changed", G_CALLBACK (on_tools_changed), f);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
fixture_refresh (Fixture *f)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  hearth_tool_provider_refresh_async (f->provider, NULL, on_done, &result);
  ck_assert (hearth_tool_provider_refresh_finish (f->provider, wait_result (&result), &error));
  hearth_assert_no_error (error);
  g_object_unref (result);
}

static HearthToolResult *
invoke (Fixture      *f,
        const char   *name,
        const char   *args_json,
        GCancellable *cancellable,
        GError      **error)
{
  GAsyncResult *result = NULL;
  g_autoptr(JsonNode) args = json_from_string (args_json, NULL);
  HearthToolResult *r;

  ck_assert (args != NULL && JSON_NODE_HOLDS_OBJECT (args));
  hearth_tool_provider_invoke_async (f->provider, name, json_node_get_object (args), cancellable, on_done, &result);
  r = hearth_tool_provider_invoke_finish (f->provider, wait_result (&result), error);
  g_object_unref (result);
  return r;
}

/* Calls @name and asserts it returns exactly @want as text. */
static void
assert_call_text (Fixture    *f,
                  const char *name,
                  const char *args_json,
                  const char *want)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = invoke (f, name, args_json, NULL, &error);

  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_tool_result_get_media_type (r), "text/plain");
  ck_assert_str_eq (hearth_tool_result_get_data (r, NULL), want);
}

static void
assert_plugin_error (const GError *error,
                     int           code,
                     const char   *want)
{
  ck_assert_msg (error != NULL, "expected an error, got a result");
  ck_assert_msg (error->domain == HEARTH_PLUGIN_ERROR && error->code == code,
                 "expected plugin error %d, got %s:%d: %s", code, g_quark_to_string (error->domain),
                 error->code, error->message);
  ck_assert_str_eq (error->message, want);
}

static HearthTool *
find_tool (Fixture    *f,
           const char *name)
{
  g_autoptr(GPtrArray) tools = hearth_tool_provider_list_tools (f->provider);

  for (guint i = 0; i < tools->len; i++)
    if (strcmp (hearth_tool_get_name (tools->pdata[i]), name) == 0)
      return hearth_tool_ref (tools->pdata[i]);
  return NULL;
}

static char *
tool_names (Fixture *f)
{
  g_autoptr(GPtrArray) tools = hearth_tool_provider_list_tools (f->provider);
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < tools->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", hearth_tool_get_name (tools->pdata[i]));
  return g_string_free (s, FALSE);
}

/* The ids of this process's children, from /proc. */
static GArray *
children (void)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", (int) getpid ());
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *task;

  ck_assert (dir != NULL);
  while ((task = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, task, "children", NULL);
      g_autofree char *text = NULL;
      g_auto(GStrv) ids = NULL;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      ids = g_strsplit_set (g_strstrip (text), " ", -1);
      for (guint i = 0; ids[i] != NULL; i++)
        if (ids[i][0] != '\0')
          {
            GPid pid = (GPid) g_ascii_strtoll (ids[i], NULL, 10);

            g_array_append_val (pids, pid);
          }
    }
  return pids;
}

/* The one child whose command line mentions @needle. */
static GPid
child_running (const char *needle)
{
  g_autoptr(GArray) pids = children ();
  GPid found = 0;

  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);
      g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
      g_autofree char *cmdline = NULL;
      gsize len = 0;

      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (gsize j = 0; j + 1 < len; j++)
        if (cmdline[j] == '\0')
          cmdline[j] = ' ';
      if (strstr (cmdline, needle) != NULL)
        {
          ck_assert_msg (found == 0, "two children run %s", needle);
          found = pid;
        }
    }
  return found;
}

/* Drops the provider and the engine; no child may be left, not even a zombie. */
static void
fixture_clear (Fixture *f)
{
  g_autoptr(GArray) left = NULL;

  g_clear_object (&f->provider);
  /* Let answers already on their way (late list_changed listings) land. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  left = children ();
  ck_assert_msg (left->len == 0, "%u child processes left behind", left->len);
  g_clear_object (&f->host);
  g_clear_object (&f->engine);
}

static gboolean
quit_later (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, quit_later, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- the everything server ---- */

static void
load_everything (Fixture *f)
{
  g_autofree char *entry = node_server ("everything", "server-everything", "\"stdio\"");
  g_autofree char *servers = g_strdup_printf ("[%s]", entry);

  fixture_load (f, servers);
  fixture_refresh (f);
}

START_TEST (test_everything_list)
{
  Fixture f = { 0 };
  g_autoptr(HearthTool) echo = NULL;
  g_autoptr(HearthTool) gzip = NULL;
  g_autoptr(GPtrArray) tools = NULL;
  g_autofree char *names = NULL;

  load_everything (&f);
  names = tool_names (&f);
  ck_assert_str_eq (names,
                    "everything_echo everything_get-annotated-message everything_get-env "
                    "everything_get-resource-links everything_get-resource-reference "
                    "everything_get-structured-content everything_get-sum everything_get-tiny-image "
                    "everything_gzip-file-as-resource everything_toggle-simulated-logging "
                    "everything_toggle-subscriber-updates everything_trigger-long-running-operation "
                    "everything_simulate-research-query");

  echo = find_tool (&f, "everything_echo");
  ck_assert_str_eq (hearth_tool_get_description (echo),
                    "Echoes back the input string [server says: read-only, idempotent]");
  /* The server says read-only; that is a hint, and the user is asked. */
  ck_assert_int_eq (hearth_tool_get_effects (echo), HEARTH_TOOL_EFFECT_NONE);
  ck_assert (hearth_tool_effects_need_approval (hearth_tool_get_effects (echo)));
  ck_assert_str_eq (json_object_get_string_member (
                      json_object_get_object_member (
                        json_object_get_object_member (json_node_get_object (hearth_tool_get_parameters (echo)),
                                                       "properties"), "message"), "type"), "string");
  gzip = find_tool (&f, "everything_gzip-file-as-resource");
  ck_assert_int_eq (hearth_tool_get_effects (gzip), HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_NETWORK);

  tools = hearth_tool_provider_list_tools (f.provider);
  for (guint i = 0; i < tools->len; i++)
    ck_assert_msg (hearth_tool_effects_need_approval (hearth_tool_get_effects (tools->pdata[i])),
                   "%s does not ask the user", hearth_tool_get_name (tools->pdata[i]));
  fixture_clear (&f);
}
END_TEST

START_TEST (test_everything_calls)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;

  load_everything (&f);
  assert_call_text (&f, "everything_echo", "{\"message\": \"hello, hearth ✓\"}", "Echo: hello, hearth ✓");
  assert_call_text (&f, "everything_get-sum", "{\"a\": 2, \"b\": 40}", "The sum of 2 and 40 is 42.");
  assert_call_text (&f, "everything_get-sum", "{\"a\": -7.5, \"b\": 1000}", "The sum of -7.5 and 1000 is 992.5.");

  /* Bad arguments: the server's own words come back. */
  r = invoke (&f, "everything_echo", "{}", NULL, &error);
  ck_assert (r == NULL);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_FAILED,
                       "MCP error -32602: Input validation error: Invalid arguments for tool echo: "
                       "Invalid input: expected string, received undefined at message");
  g_clear_error (&error);

  r = invoke (&f, "everything_nope", "{}", NULL, &error);
  ck_assert (r == NULL);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_NOT_FOUND, "No MCP server offers a tool “everything_nope”");
  fixture_clear (&f);
}
END_TEST

static gboolean
kill_child (gpointer data)
{
  ck_assert_int_eq (kill (GPOINTER_TO_INT (data), SIGKILL), 0);
  return G_SOURCE_REMOVE;
}

/* kill -9 during a call: the call fails naming the server; the next one
 * starts a new server and works. */
START_TEST (test_everything_killed)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;
  GPid pid, again;

  load_everything (&f);
  pid = child_running ("server-everything");
  ck_assert_int_ne (pid, 0);
  g_timeout_add (300, kill_child, GINT_TO_POINTER (pid));
  r = invoke (&f, "everything_trigger-long-running-operation", "{\"duration\": 30, \"steps\": 3}", NULL, &error);
  ck_assert (r == NULL);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                       "MCP server “everything” exited (it said: Starting default (STDIO) server...)");

  assert_call_text (&f, "everything_echo", "{\"message\": \"back\"}", "Echo: back");
  again = child_running ("server-everything");
  ck_assert_int_ne (again, 0);
  ck_assert_int_ne (again, pid);
  fixture_clear (&f);
}
END_TEST

/* ---- the filesystem server ---- */

START_TEST (test_filesystem_read)
{
  Fixture f = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("hearth-mcp-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *quoted_dir = NULL, *entry = NULL, *servers = NULL, *args = NULL, *want = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;
  g_autoptr(HearthTool) read = NULL;

  ck_assert (dir != NULL);
  ck_assert (g_file_set_contents (file, "first line\nsecond line – ünïcode\n", -1, NULL));
  quoted_dir = g_strdup_printf ("\"%s\"", dir);
  entry = node_server ("fs", "server-filesystem", quoted_dir);
  servers = g_strdup_printf ("[%s]", entry);
  fixture_load (&f, servers);
  fixture_refresh (&f);

  read = find_tool (&f, "fs_read_text_file");
  ck_assert (read != NULL);
  ck_assert_int_eq (hearth_tool_get_effects (read), HEARTH_TOOL_EFFECT_NONE);
  args = g_strdup_printf ("{\"path\": \"%s\"}", file);
  assert_call_text (&f, "fs_read_text_file", args, "first line\nsecond line – ünïcode\n");

  /* Outside the folder it was given: refused, in the server's words. */
  r = invoke (&f, "fs_read_text_file", "{\"path\": \"/etc/hostname\"}", NULL, &error);
  ck_assert (r == NULL);
  want = g_strdup_printf ("Access denied - path outside allowed directories: /etc/hostname not in %s", dir);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_FAILED, want);
  fixture_clear (&f);
  hearth_test_rm_rf (dir);
}
END_TEST

/* ---- the fake server ---- */

static void
load_fake (Fixture    *f,
           const char *extra_entries)
{
  g_autofree char *entry = fake_server ("fake");
  g_autofree char *servers = g_strdup_printf ("[%s%s]", entry, extra_entries ? extra_entries : "");

  fixture_load (f, servers);
  host_set_json (f->host, "request-timeout-ms", "1500");
  fixture_refresh (f);
}

START_TEST (test_fake_pages)
{
  Fixture f = { 0 };
  g_autofree char *names = NULL;
  g_autoptr(HearthTool) echo = NULL;
  g_autoptr(HearthTool) fail = NULL;

  /* A broken server and a bad entry are logged; the fake one still works. */
  load_fake (&f, ", {\"name\": \"broken\", \"command\": \"/nonexistent/mcp-server\"},"
                 " {\"name\": \"bad name\", \"command\": \"true\"}");
  names = tool_names (&f);
  /* Six pages of two, "bad name!" left out. */
  ck_assert_str_eq (names, "fake_echo fake_media fake_structured fake_fail fake_ask fake_change fake_slow "
                           "fake_cancelled fake_garbage fake_hang fake_exit");
  ck_assert (host_logged (f.host, "MCP server “fake”: tool “fake_bad name!” left out"));
  ck_assert (host_logged (f.host, "MCP server “broken” could not be started: "));
  ck_assert (host_logged (f.host, "MCP server 3 in the settings left out: its name must be"));
  echo = find_tool (&f, "fake_echo");
  ck_assert_str_eq (hearth_tool_get_description (echo), "The echo tool [server says: read-only]");
  ck_assert_int_eq (hearth_tool_get_effects (echo), HEARTH_TOOL_EFFECT_NONE);
  fail = find_tool (&f, "fake_fail");
  ck_assert_str_eq (hearth_tool_get_description (fail), "The fail tool [server says: destructive]");
  ck_assert_int_eq (hearth_tool_get_effects (fail), HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_DESTRUCTIVE);

  assert_call_text (&f, "fake_echo", "{\"text\": \"paged\"}", "paged");
  fixture_clear (&f);
}
END_TEST

START_TEST (test_fake_results)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;

  load_fake (&f, NULL);
  assert_call_text (&f, "fake_media", "{}",
                    "look:\n[image/png, 8 bytes]\n[audio/wav, 4 bytes]\n[resource file:///a.txt, text/plain]\n"
                    "inside\n[resource link file:///b.txt]");
  r = invoke (&f, "fake_structured", "{}", NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_tool_result_get_media_type (r), "application/json");
  ck_assert_str_eq (hearth_tool_result_get_data (r, NULL), "{\"answer\":42}");
  g_clear_pointer (&r, hearth_tool_result_unref);

  r = invoke (&f, "fake_fail", "{}", NULL, &error);
  ck_assert (r == NULL);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_FAILED, "no such city");
  g_clear_error (&error);

  /* The server's requests: only ping is answered with a result. */
  assert_call_text (&f, "fake_ask", "{}", "sampling/createMessage: -32601; roots/list: -32601; ping: {}");
  fixture_clear (&f);
}
END_TEST

static void
assert_fails_then_recovers (Fixture    *f,
                            const char *tool,
                            const char *want)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = invoke (f, tool, "{}", NULL, &error);

  ck_assert (r == NULL);
  assert_plugin_error (error, HEARTH_PLUGIN_ERROR_UNAVAILABLE, want);
  ck_assert_int_eq (child_running ("fake-server.py"), 0);
  assert_call_text (f, "fake_echo", "{\"text\": \"restarted\"}", "restarted");
  ck_assert_int_ne (child_running ("fake-server.py"), 0);
}

START_TEST (test_fake_failures)
{
  Fixture f = { 0 };

  load_fake (&f, NULL);
  assert_fails_then_recovers (&f, "fake_garbage",
                              "MCP server “fake” sent a malformed message (not JSON: <data>:1:1: "
                              "Parse error: unexpected character `{', expected string constant)");
  assert_fails_then_recovers (&f, "fake_hang", "MCP server “fake” did not answer “tools/call” within 1500 ms");
  assert_fails_then_recovers (&f, "fake_exit", "MCP server “fake” exited (it said: bye)");
  fixture_clear (&f);
}
END_TEST

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

START_TEST (test_fake_cancel)
{
  Fixture f = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;

  load_fake (&f, NULL);
  g_timeout_add (200, cancel_later, cancellable);
  r = invoke (&f, "fake_slow", "{}", cancellable, &error);
  ck_assert (r == NULL);
  ck_assert_msg (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "%s", error->message);
  /* ids: 1 initialize, 2 to 7 the pages, 8 the slow call. */
  assert_call_text (&f, "fake_cancelled", "{}", "cancelled: 8");
  fixture_clear (&f);
}
END_TEST

START_TEST (test_fake_list_changed)
{
  Fixture f = { 0 };
  g_autoptr(HearthTool) extra = NULL;

  load_fake (&f, NULL);
  ck_assert_uint_eq (f.changes, 0);
  assert_call_text (&f, "fake_change", "{}", "changed");
  while (f.changes == 0)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_uint_eq (f.changes, 1);
  extra = find_tool (&f, "fake_extra");
  ck_assert (extra != NULL);
  assert_call_text (&f, "fake_extra", "{}", "extra");
  spin (50);
  fixture_clear (&f);
}
END_TEST

static Suite *
mcp_suite (void)
{
  Suite *s = suite_create ("mcp");
  TCase *tc;

  tc = tcase_create ("reference-servers");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_everything_list);
  tcase_add_test (tc, test_everything_calls);
  tcase_add_test (tc, test_everything_killed);
  tcase_add_test (tc, test_filesystem_read);
  suite_add_tcase (s, tc);

  tc = tcase_create ("fake-server");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_fake_pages);
  tcase_add_test (tc, test_fake_results);
  tcase_add_test (tc, test_fake_failures);
  tcase_add_test (tc, test_fake_cancel);
  tcase_add_test (tc, test_fake_list_changed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (mcp_suite ());
}
