/* test-builtin-plugins.c: the built-in plugins (calculator, clock, files), loaded through libpeas as Hearth loads them, and the calculator's evaluator on its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The modules come from $HEARTH_TEST_PLUGIN_DIR (build/plugins), found by
 * a PeasEngine of the test's own; the host is TestHost below: settings in
 * memory, the granted folders a list the test sets.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <hearth-plugin.h>
#include <libpeas/peas.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth-calc.h"
#include "hearth-test.h"

/* ---- a host for the tests ---- */

#define TEST_TYPE_HOST (test_host_get_type ())
G_DECLARE_FINAL_TYPE (TestHost, test_host, TEST, HOST, GObject)

struct _TestHost
{
  GObject     parent_instance;
  GHashTable *settings;
  char      **folders;
};

static void test_host_iface_init (HearthPluginHostInterface *iface);

G_DEFINE_TYPE_WITH_CODE (TestHost, test_host, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (HEARTH_TYPE_PLUGIN_HOST, test_host_iface_init))

static const char *
host_get_plugin_id (HearthPluginHost *host)
{
  return "test";
}

static JsonNode *
host_get_setting (HearthPluginHost *host,
                  const char       *key)
{
  JsonNode *v = g_hash_table_lookup (TEST_HOST (host)->settings, key);

  return v ? json_node_copy (v) : NULL;
}

static gboolean
host_set_setting (HearthPluginHost *host,
                  const char       *key,
                  JsonNode         *value,
                  GError          **error)
{
  if (value == NULL)
    g_hash_table_remove (TEST_HOST (host)->settings, key);
  else
    g_hash_table_insert (TEST_HOST (host)->settings, g_strdup (key), json_node_copy (value));
  return TRUE;
}

static char **
host_dup_granted_folders (HearthPluginHost *host)
{
  return g_strdupv (TEST_HOST (host)->folders);
}

static void
host_log (HearthPluginHost *host,
          GLogLevelFlags    level,
          const char       *message)
{
}

static void
host_choose_folder_async (HearthPluginHost   *host,
                          const char         *title,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_task_report_new_error (host, callback, user_data, host_choose_folder_async,
                           G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "nobody to ask");
}

static char *
host_choose_folder_finish (HearthPluginHost *host,
                           GAsyncResult     *result,
                           GError          **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_host_iface_init (HearthPluginHostInterface *iface)
{
  iface->get_plugin_id = host_get_plugin_id;
  iface->get_setting = host_get_setting;
  iface->set_setting = host_set_setting;
  iface->dup_granted_folders = host_dup_granted_folders;
  iface->log = host_log;
  iface->choose_folder_async = host_choose_folder_async;
  iface->choose_folder_finish = host_choose_folder_finish;
}

static void
test_host_finalize (GObject *object)
{
  TestHost *self = TEST_HOST (object);

  g_hash_table_unref (self->settings);
  g_strfreev (self->folders);
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
  self->folders = g_new0 (char *, 1);
}

/* ---- loading a plugin as Hearth does ---- */

typedef struct
{
  PeasEngine         *engine;
  TestHost           *host;
  HearthToolProvider *provider;
} Loaded;

static void
load_plugin (Loaded     *l,
             const char *module)
{
  const char *dir = g_getenv ("HEARTH_TEST_PLUGIN_DIR");
  PeasPluginInfo *info;
  PeasExtension *ext;

  ck_assert_msg (dir != NULL, "HEARTH_TEST_PLUGIN_DIR is not set");
  l->engine = peas_engine_new ();
  peas_engine_add_search_path (l->engine, dir, NULL);
  info = peas_engine_get_plugin_info (l->engine, module);
  ck_assert_msg (info != NULL, "no plugin %s under %s", module, dir);
  /* What the host checks before it loads any code. */
  ck_assert_str_eq (peas_plugin_info_get_external_data (info, HEARTH_PLUGIN_ABI_KEY), "1");
  ck_assert (peas_plugin_info_is_builtin (info));
  ck_assert (peas_engine_load_plugin (l->engine, info));
  l->host = g_object_new (TEST_TYPE_HOST, NULL);
  ext = peas_engine_create_extension (l->engine, info, HEARTH_TYPE_TOOL_PROVIDER, "host", l->host, NULL);
  ck_assert (ext != NULL && HEARTH_IS_TOOL_PROVIDER (ext));
  l->provider = HEARTH_TOOL_PROVIDER (ext);
  ck_assert_ptr_eq (hearth_tool_provider_get_host (l->provider), HEARTH_PLUGIN_HOST (l->host));
}

static void
unload_plugin (Loaded *l)
{
  g_clear_object (&l->provider);
  g_clear_object (&l->host);
  g_clear_object (&l->engine);
}

static void
on_invoked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Calls tool @name with @json (an object) and waits; NULL with @error set when it fails. */
static HearthToolResult *
invoke_full (Loaded        *l,
             const char    *name,
             const char    *json,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(JsonNode) args = json_from_string (json, NULL);
  g_autoptr(GAsyncResult) result = NULL;

  ck_assert_msg (args != NULL && JSON_NODE_HOLDS_OBJECT (args), "bad test arguments %s", json);
  hearth_tool_provider_invoke_async (l->provider, name, json_node_get_object (args), cancellable,
                                     on_invoked, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return hearth_tool_provider_invoke_finish (l->provider, result, error);
}

static HearthToolResult *
invoke (Loaded     *l,
        const char *name,
        const char *json,
        GError    **error)
{
  return invoke_full (l, name, json, NULL, error);
}

/* The tool's text when it succeeds; fails the test when it does not. */
static char *
invoke_ok (Loaded     *l,
           const char *name,
           const char *json,
           const char *media_type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = invoke (l, name, json, &error);

  ck_assert_msg (r != NULL, "%s %s: %s", name, json, error ? error->message : "");
  ck_assert_str_eq (hearth_tool_result_get_media_type (r), media_type);
  return g_strdup (hearth_tool_result_get_data (r, NULL));
}

/* Asserts that the call fails with @code and a message that is exactly @message (unless NULL). */
static void
invoke_fails (Loaded     *l,
              const char *name,
              const char *json,
              int         code,
              const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = invoke (l, name, json, &error);

  ck_assert_msg (r == NULL, "%s %s: expected an error, got %s", name, json,
                 r ? hearth_tool_result_get_data (r, NULL) : "");
  ck_assert_msg (error->domain == HEARTH_PLUGIN_ERROR && error->code == code,
                 "%s %s: expected code %d, got %s:%d: %s", name, json, code,
                 g_quark_to_string (error->domain), error->code, error->message);
  if (message != NULL)
    ck_assert_str_eq (error->message, message);
}

/* The tool @name from list_tools(), asserting its effects. */
static void
assert_tool (Loaded           *l,
             const char       *name,
             HearthToolEffects effects,
             const char       *required)
{
  g_autoptr(GPtrArray) tools = hearth_tool_provider_list_tools (l->provider);

  for (guint i = 0; i < tools->len; i++)
    {
      HearthTool *t = g_ptr_array_index (tools, i);
      JsonObject *schema;

      if (g_strcmp0 (hearth_tool_get_name (t), name) != 0)
        continue;
      ck_assert (hearth_tool_name_is_valid (name));
      ck_assert_int_eq (hearth_tool_get_effects (t), effects);
      ck_assert (strlen (hearth_tool_get_description (t)) > 20);
      schema = json_node_get_object (hearth_tool_get_parameters (t));
      ck_assert_str_eq (json_object_get_string_member (schema, "type"), "object");
      if (required != NULL)
        {
          JsonArray *req = json_object_get_array_member (schema, "required");
          JsonObject *props = json_object_get_object_member (schema, "properties");

          ck_assert_str_eq (json_array_get_string_element (req, 0), required);
          ck_assert (json_object_has_member (json_object_get_object_member (props, required), "description"));
        }
      return;
    }
  ck_abort_msg ("no tool %s", name);
}

/* ---- the evaluator ---- */

typedef struct
{
  const char *expression;
  const char *decimal;
  gboolean    exact;
} CalcCase;

/* Exact values: Python 3 (integers, fractions as decimal.Decimal at 80
 * digits, math.factorial, Python's % for the floored remainder).
 * Approximate values: Python's decimal at 80 digits for sqrt, exp, ln and
 * log10, and `bc -l` at scale=80 for sin, cos, tan, atan and pi = 4*a(1),
 * rounded half-even to 30 significant digits with '{:.29e}'.format(x),
 * trailing zeros dropped, and written as 0.d.. for -5 < exponent <= 30,
 * else d.ddde<n> (e.g. cbrt(2) as exp(ln(2)/3) in bc, log2(10) as
 * Decimal(10).ln() / Decimal(2).ln()). */
static const CalcCase calc_cases[] = {
  { "0.1+0.2", "0.3", TRUE },
  { "1/8", "0.125", TRUE },
  { "2^100", "1267650600228229401496703205376", TRUE },
  { "2**-3", "0.125", TRUE },
  { "2^-10", "0.0009765625", TRUE },
  { "-2^2", "-4", TRUE },
  { "2^3^2", "512", TRUE },
  { "1.5e-3", "0.0015", TRUE },
  { "1.5e-3*2e3", "3", TRUE },
  { "(1+2)*3", "9", TRUE },
  { "10/4", "2.5", TRUE },
  { "-7 % 3", "2", TRUE },
  { "7 % -3", "-2", TRUE },
  { "123456789*987654321", "121932631112635269", TRUE },
  { "3^40", "12157665459056928801", TRUE },
  { "25!", "15511210043330985984000000", TRUE },
  { "factorial(3)+3!!", "726", TRUE },
  { "0^0", "1", TRUE },
  { "(-1)^1000001", "-1", TRUE },
  { "1e-7*3", "0.0000003", TRUE },
  { "abs(-2.5)", "2.5", TRUE },
  { "floor(-2.5)", "-3", TRUE },
  { "ceil(2.1)", "3", TRUE },
  { "round(2.5)", "3", TRUE },
  { "round(-2.5)", "-3", TRUE },
  { "min(3, 1, 2)", "1", TRUE },
  { "max(1/4, 0.2)", "0.25", TRUE },
  { "cbrt(-8)", "-2", TRUE },
  { "sqrt(1/4)", "0.5", TRUE },
  { "log(1000)", "3", TRUE },
  { "log2(8)", "3", TRUE },
  { "4^0.5", "2", TRUE },
  { "exp(0) + ln(1)", "1", TRUE },
  { " 2 × 3 ÷ 4 − 1 ", "0.5", TRUE },
  { "1/3", "0.333333333333333333333333333333", FALSE },
  { "2/7", "0.285714285714285714285714285714", FALSE },
  { "22/7", "3.14285714285714285714285714286", FALSE },
  { "sqrt(2)", "1.41421356237309504880168872421", FALSE },
  { "2^0.5", "1.41421356237309504880168872421", FALSE },
  { "cbrt(2)", "1.25992104989487316476721060728", FALSE },
  { "pi", "3.14159265358979323846264338328", FALSE },
  { "π", "3.14159265358979323846264338328", FALSE },
  { "e", "2.71828182845904523536028747135", FALSE },
  { "exp(100)", "2.68811714181613544841262555158e43", FALSE },
  { "exp(-20)", "2.06115362243855782796594038016e-9", FALSE },
  { "ln(10)", "2.30258509299404568401799145468", FALSE },
  { "log(2)", "0.301029995663981195213738894724", FALSE },
  { "log2(10)", "3.32192809488736234787031942949", FALSE },
  { "sin(1)", "0.84147098480789650665250232163", FALSE },
  { "cos(1)", "0.540302305868139717400936607443", FALSE },
  { "tan(1)", "1.55740772465490223050697480746", FALSE },
  { "atan(1)*4", "3.14159265358979323846264338328", FALSE },
  { "asin(0.5)", "0.523598775598298873077107230547", FALSE },
  { "acos(0)", "1.57079632679489661923132169164", FALSE },
  { "pi*1e40", "3.14159265358979323846264338328e40", FALSE },
  { "1/7e10", "1.42857142857142857142857142857e-11", FALSE },
};

START_TEST (test_calc_values)
{
  for (gsize i = 0; i < G_N_ELEMENTS (calc_cases); i++)
    {
      const CalcCase *c = &calc_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthCalcResult) r = hearth_calc_evaluate (c->expression, &error);

      ck_assert_msg (r != NULL, "%s: %s", c->expression, error ? error->message : "");
      ck_assert_msg (g_strcmp0 (r->decimal, c->decimal) == 0 && r->exact == c->exact,
                     "%s: got %s (%s), want %s (%s)", c->expression, r->decimal,
                     r->exact ? "exact" : "approximate", c->decimal, c->exact ? "exact" : "approximate");
    }
}
END_TEST

/* Python: math.factorial(1000) has 2568 digits, starting 40238726007709377354,
 * and 5000! has 16326. */
START_TEST (test_calc_big_integers)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCalcResult) r = hearth_calc_evaluate ("1000!", &error);
  g_autoptr(HearthCalcResult) r5000 = hearth_calc_evaluate ("5000!", &error);

  ck_assert (r != NULL && r->exact);
  ck_assert_uint_eq (strlen (r->decimal), 2568);
  ck_assert (g_str_has_prefix (r->decimal, "40238726007709377354"));
  ck_assert (r5000 != NULL && r5000->exact);
  ck_assert_uint_eq (strlen (r5000->decimal), 16326);
}
END_TEST

START_TEST (test_calc_text)
{
  g_autoptr(HearthCalcResult) third = hearth_calc_evaluate ("1/3", NULL);
  g_autoptr(HearthCalcResult) root = hearth_calc_evaluate ("sqrt(2)", NULL);
  g_autoptr(HearthCalcResult) exact = hearth_calc_evaluate ("0.1+0.2", NULL);
  g_autofree char *t1 = hearth_calc_result_to_text (third);
  g_autofree char *t2 = hearth_calc_result_to_text (root);
  g_autofree char *t3 = hearth_calc_result_to_text (exact);

  ck_assert_str_eq (third->fraction, "1/3");
  ck_assert_str_eq (t1, "≈ 0.333333333333333333333333333333 (rounded to 30 significant digits; exactly 1/3)");
  ck_assert_ptr_null (root->fraction);
  ck_assert_str_eq (t2, "≈ 1.41421356237309504880168872421 (rounded to 30 significant digits)");
  ck_assert_str_eq (t3, "0.3");
}
END_TEST

typedef struct
{
  const char *expression;
  int         code;
  const char *message;
} CalcError;

static const CalcError calc_errors[] = {
  { "", HEARTH_CALC_ERROR_SYNTAX, "empty expression" },
  { "   ", HEARTH_CALC_ERROR_SYNTAX, "empty expression" },
  { "1/0", HEARTH_CALC_ERROR_DIVISION_BY_ZERO, "division by zero at column 2" },
  { "5 % (2-2)", HEARTH_CALC_ERROR_DIVISION_BY_ZERO, "remainder of a division by zero at column 3" },
  { "0^-1", HEARTH_CALC_ERROR_DIVISION_BY_ZERO, "0 to a negative power at column 2 is a division by zero" },
  { "1/(pi-pi)", HEARTH_CALC_ERROR_DIVISION_BY_ZERO, "division by zero at column 2" },
  { "foo(2)", HEARTH_CALC_ERROR_UNKNOWN_NAME,
    "unknown function 'foo' at column 1 (known: sqrt, cbrt, exp, ln, log, log2, sin, cos, tan, asin, "
    "acos, atan, abs, floor, ceil, round, min, max, factorial)" },
  { "2*x+1", HEARTH_CALC_ERROR_UNKNOWN_NAME, "unknown name 'x' at column 3 (known constants: pi, e)" },
  { "(1+2", HEARTH_CALC_ERROR_SYNTAX, "unbalanced parenthesis: the '(' at column 1 is never closed" },
  { "1+2)", HEARTH_CALC_ERROR_SYNTAX, "unbalanced parenthesis: the ')' at column 4 has no '('" },
  { "max(1, (2", HEARTH_CALC_ERROR_SYNTAX, "unbalanced parenthesis: the '(' at column 8 is never closed" },
  { "2 $ 3", HEARTH_CALC_ERROR_SYNTAX, "unexpected character '$' at column 3" },
  { "π + ?", HEARTH_CALC_ERROR_SYNTAX, "unexpected character '?' at column 5" },
  { "1+", HEARTH_CALC_ERROR_SYNTAX, "expected a number, a name or '(' at column 3, found the end" },
  { "2 pi", HEARTH_CALC_ERROR_SYNTAX, "expected an operator at column 3, found 'pi'" },
  { "sqrt 2", HEARTH_CALC_ERROR_SYNTAX, "sqrt at column 1 needs its argument in parentheses, e.g. sqrt(2)" },
  { "sqrt(1, 2)", HEARTH_CALC_ERROR_UNKNOWN_NAME, "sqrt at column 1 takes 1 argument, not 2" },
  { "max()", HEARTH_CALC_ERROR_UNKNOWN_NAME, "max at column 1 takes 1 or more arguments, not 0" },
  { "sqrt(-1)", HEARTH_CALC_ERROR_DOMAIN, "sqrt of a negative number (column 1) is not a real number" },
  { "ln(0)", HEARTH_CALC_ERROR_DOMAIN, "ln at column 1 is only defined for numbers greater than 0" },
  { "1 + log(-2)", HEARTH_CALC_ERROR_DOMAIN, "log at column 5 is only defined for numbers greater than 0" },
  { "asin(2)", HEARTH_CALC_ERROR_DOMAIN, "asin at column 1 is only defined from -1 to 1" },
  { "(-8)^(1/3)", HEARTH_CALC_ERROR_DOMAIN,
    "a negative number to a non-integer power (column 5) is not a real number" },
  { "2.5!", HEARTH_CALC_ERROR_DOMAIN, "the factorial at column 4 needs a whole number of 0 or more" },
  { "5001!", HEARTH_CALC_ERROR_TOO_LARGE, "the factorial at column 5 is too large: it is limited to 5000!" },
  { "2^1000000", HEARTH_CALC_ERROR_TOO_LARGE,
    "the power at column 2 is too large: numbers are limited to about 39000 digits" },
  { "(2^100000)^2", HEARTH_CALC_ERROR_TOO_LARGE,
    "the power at column 11 is too large: numbers are limited to about 39000 digits" },
  { "1e99999", HEARTH_CALC_ERROR_TOO_LARGE,
    "the number at column 1 is too large or too precise: numbers are limited to about 39000 digits" },
  { "exp(exp(20))", HEARTH_CALC_ERROR_TOO_LARGE,
    "the result at column 1 is too large: numbers are limited to about 10^39000" },
  { "exp(-1000000)", HEARTH_CALC_ERROR_TOO_LARGE,
    "the result at column 1 is too close to zero: numbers are limited to about 10^-39000" },
  /* A syntax error is found before anything is evaluated. */
  { "1/0 + (", HEARTH_CALC_ERROR_SYNTAX, "expected a number, a name or '(' at column 8, found the end" },
  { "\xff", HEARTH_CALC_ERROR_SYNTAX, "the expression is not valid UTF-8 text" },
};

START_TEST (test_calc_errors)
{
  for (gsize i = 0; i < G_N_ELEMENTS (calc_errors); i++)
    {
      const CalcError *c = &calc_errors[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthCalcResult) r = hearth_calc_evaluate (c->expression, &error);

      ck_assert_msg (r == NULL, "%s: expected an error, got %s", c->expression, r ? r->decimal : "");
      ck_assert_msg (g_error_matches (error, HEARTH_CALC_ERROR, c->code) &&
                     strcmp (error->message, c->message) == 0,
                     "%s: got %d '%s', want %d '%s'", c->expression, error->code, error->message,
                     c->code, c->message);
    }
}
END_TEST

/* The bounds on the text: length and nesting. */
START_TEST (test_calc_bounds)
{
  g_autoptr(GString) longest = g_string_new ("1");
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) minus = g_string_new (NULL);
  g_autoptr(HearthCalcResult) r = NULL;
  g_autoptr(GError) error = NULL;

  /* 1+1+...+1 of 4095 bytes: a long flat chain is fine. */
  while (longest->len < HEARTH_CALC_MAX_LENGTH - 1)
    g_string_append (longest, "+1");
  r = hearth_calc_evaluate (longest->str, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (r->decimal, "2048");
  g_string_append (longest, "+1");
  g_clear_pointer (&r, hearth_calc_result_free);
  r = hearth_calc_evaluate (longest->str, &error);
  ck_assert (r == NULL);
  ck_assert_str_eq (error->message, "the expression is too long: 4097 bytes, at most 4096");
  g_clear_error (&error);

  for (int i = 0; i < 200; i++)
    g_string_append_c (deep, '(');
  g_string_append_c (deep, '1');
  for (int i = 0; i < 200; i++)
    g_string_append_c (deep, ')');
  r = hearth_calc_evaluate (deep->str, &error);
  ck_assert (r == NULL);
  ck_assert_str_eq (error->message, "the expression is nested too deeply at column 101 (at most 100 levels)");
  g_clear_error (&error);

  for (int i = 0; i < 1000; i++)
    g_string_append_c (minus, '-');
  g_string_append_c (minus, '1');
  r = hearth_calc_evaluate (minus->str, &error);
  ck_assert (r == NULL && g_error_matches (error, HEARTH_CALC_ERROR, HEARTH_CALC_ERROR_SYNTAX));
}
END_TEST

/* ---- the calculator plugin ---- */

START_TEST (test_calculator_plugin)
{
  Loaded l = { 0 };
  g_autofree char *exact = NULL, *approx = NULL;

  load_plugin (&l, "calculator");
  assert_tool (&l, "calculate", HEARTH_TOOL_EFFECT_READ_ONLY, "expression");
  exact = invoke_ok (&l, "calculate", "{\"expression\": \"0.1 + 0.2\"}", "text/plain");
  ck_assert_str_eq (exact, "0.3");
  approx = invoke_ok (&l, "calculate", "{\"expression\": \"1/3\"}", "text/plain");
  ck_assert_str_eq (approx, "≈ 0.333333333333333333333333333333 (rounded to 30 significant digits; exactly 1/3)");
  invoke_fails (&l, "calculate", "{\"expression\": \"(1+2\"}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                "unbalanced parenthesis: the '(' at column 1 is never closed");
  invoke_fails (&l, "calculate", "{\"expression\": \"1/0\"}", HEARTH_PLUGIN_ERROR_FAILED,
                "division by zero at column 2");
  invoke_fails (&l, "calculate", "{}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                "the argument 'expression' is missing");
  invoke_fails (&l, "calculate", "{\"expression\": 12}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                "the argument 'expression' must be a string");
  invoke_fails (&l, "nothing", "{}", HEARTH_PLUGIN_ERROR_NOT_FOUND, "no tool named 'nothing' here");
  unload_plugin (&l);
}
END_TEST

/* ---- the clock plugin ---- */

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  ck_assert_msg (node != NULL && JSON_NODE_HOLDS_OBJECT (node), "not a JSON object: %s", json);
  return json_object_ref (json_node_get_object (node));
}

/* Checks the answer against GLib's own reading of the same zone at (about)
 * the same instant. */
static void
assert_clock (const char *json,
              GTimeZone  *tz,
              const char *zone_name,
              const char *offset)
{
  static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };
  g_autoptr(JsonObject) o = parse_object (json);
  g_autoptr(GDateTime) now = g_date_time_new_now (tz);
  g_autoptr(GDateTime) said = g_date_time_new_from_iso8601 (json_object_get_string_member (o, "datetime"), NULL);
  g_autoptr(GDateTime) said_local = NULL;
  g_autofree char *date = NULL, *time = NULL;
  gint64 unix_time = json_object_get_int_member (o, "unix_time");

  ck_assert (said != NULL);
  ck_assert_int_eq (g_date_time_to_unix (said), unix_time);
  ck_assert_msg (ABS (g_date_time_to_unix (now) - unix_time) <= 5, "%s is not now", json);
  said_local = g_date_time_to_timezone (said, tz);
  date = g_date_time_format (said_local, "%Y-%m-%d");
  time = g_date_time_format (said_local, "%H:%M:%S");
  ck_assert_str_eq (json_object_get_string_member (o, "date"), date);
  ck_assert_str_eq (json_object_get_string_member (o, "time"), time);
  ck_assert_str_eq (json_object_get_string_member (o, "weekday"),
                    days[g_date_time_get_day_of_week (said_local) - 1]);
  ck_assert_str_eq (json_object_get_string_member (o, "timezone"), zone_name);
  ck_assert_str_eq (json_object_get_string_member (o, "utc_offset"), offset);
  ck_assert (g_str_has_suffix (json_object_get_string_member (o, "datetime"), offset));
}

START_TEST (test_clock_plugin)
{
  Loaded l = { 0 };
  g_autoptr(GTimeZone) kolkata = g_time_zone_new_identifier ("Asia/Kolkata");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autofree char *india = NULL, *local = NULL, *paris = NULL;
  g_autoptr(JsonObject) india_o = NULL;
  g_autoptr(JsonObject) paris_o = NULL;

  load_plugin (&l, "clock");
  assert_tool (&l, "current_time", HEARTH_TOOL_EFFECT_READ_ONLY, NULL);

  india = invoke_ok (&l, "current_time", "{\"timezone\": \"Asia/Kolkata\"}", "application/json");
  assert_clock (india, kolkata, "Asia/Kolkata", "+05:30");
  india_o = parse_object (india);
  ck_assert_str_eq (json_object_get_string_member (india_o, "abbreviation"), "IST");

  /* TZ=UTC (main() sets it): the local zone. */
  local = invoke_ok (&l, "current_time", "{}", "application/json");
  assert_clock (local, utc, "UTC", "+00:00");

  /* Paris is +01:00 or +02:00 (CET or CEST), whichever GLib says now. */
  paris = invoke_ok (&l, "current_time", "{\"timezone\": \"Europe/Paris\"}", "application/json");
  paris_o = parse_object (paris);
  {
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Paris");
    g_autoptr(GDateTime) now = g_date_time_new_now (tz);
    g_autofree char *offset = g_date_time_format (now, "%:z");

    assert_clock (paris, tz, "Europe/Paris", offset);
    ck_assert_str_eq (json_object_get_string_member (paris_o, "abbreviation"),
                      g_date_time_get_timezone_abbreviation (now));
  }

  invoke_fails (&l, "current_time", "{\"timezone\": \"Mars/Olympus_Mons\"}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                "unknown time zone 'Mars/Olympus_Mons': use an IANA name such as Europe/Paris or "
                "America/New_York, or leave it out for the local time");
  invoke_fails (&l, "current_time", "{\"timezone\": 5}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                "the argument 'timezone' must be a string");
  unload_plugin (&l);
}
END_TEST

/* ---- the files plugin ---- */

typedef struct
{
  Loaded l;
  char  *root;     /* the temporary folder */
  char  *granted;  /* root/granted, the one granted folder */
  char  *outside;  /* root/outside */
} Files;

static void
files_setup (Files *f)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("hearth-files-XXXXXX", &error);
  hearth_assert_no_error (error);
  f->granted = g_build_filename (f->root, "granted", NULL);
  f->outside = g_build_filename (f->root, "outside", NULL);
  ck_assert_int_eq (g_mkdir (f->granted, 0700), 0);
  ck_assert_int_eq (g_mkdir (f->outside, 0700), 0);
  load_plugin (&f->l, "files");
  g_strfreev (f->l.host->folders);
  f->l.host->folders = g_new0 (char *, 2);
  f->l.host->folders[0] = g_strdup (f->granted);
}

static void
files_teardown (Files *f)
{
  unload_plugin (&f->l);
  hearth_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->granted);
  g_free (f->outside);
}

/* {key: path} and, unless NULL, "content" and (unless -1) "overwrite". */
static char *
args_json (const char *key,
           const char *path,
           const char *content,
           int         overwrite)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, path);
  if (content != NULL)
    {
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, content);
    }
  if (overwrite >= 0)
    {
      json_builder_set_member_name (b, "overwrite");
      json_builder_add_boolean_value (b, overwrite);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static char *
path_json (const char *key,
           const char *path)
{
  return args_json (key, path, NULL, -1);
}

static char *
write_json (const char *path,
            const char *content,
            int         overwrite)  /* -1: left out */
{
  return args_json ("path", path, content, overwrite);
}

static void
put (const char *path,
     const char *data,
     gssize      len)
{
  g_autoptr(GError) error = NULL;

  ck_assert (g_file_set_contents (path, data, len, &error));
}

static char *
get (const char *path)
{
  char *data = NULL;

  ck_assert_msg (g_file_get_contents (path, &data, NULL, NULL), "cannot read %s", path);
  return data;
}

static char *
denied_message (Files      *f,
                const char *path)
{
  return g_strdup_printf ("'%s' is outside the folders this plugin may use: %s", path, f->granted);
}

START_TEST (test_files_tools)
{
  Files f = { 0 };

  files_setup (&f);
  assert_tool (&f.l, "read_file", HEARTH_TOOL_EFFECT_READ_ONLY, "path");
  assert_tool (&f.l, "list_folder", HEARTH_TOOL_EFFECT_READ_ONLY, "path");
  assert_tool (&f.l, "write_file", HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_DESTRUCTIVE, "path");
  files_teardown (&f);
}
END_TEST

START_TEST (test_files_read)
{
  Files f = { 0 };
  g_autofree char *inside = NULL, *args = NULL, *text = NULL, *sub = NULL;

  files_setup (&f);
  inside = g_build_filename (f.granted, "notes.txt", NULL);
  put (inside, "héllo\nworld\n", -1);
  args = path_json ("path", inside);
  text = invoke_ok (&f.l, "read_file", args, "text/plain");
  ck_assert_str_eq (text, "héllo\nworld\n");

  /* Through ".." that stays inside. */
  sub = g_build_filename (f.granted, "sub", NULL);
  ck_assert_int_eq (g_mkdir (sub, 0700), 0);
  {
    g_autofree char *via = g_build_filename (sub, "..", "notes.txt", NULL);
    g_autofree char *a = path_json ("path", via);
    g_autofree char *t = invoke_ok (&f.l, "read_file", a, "text/plain");

    ck_assert_str_eq (t, "héllo\nworld\n");
  }
  /* An empty file. */
  {
    g_autofree char *empty = g_build_filename (f.granted, "empty", NULL);
    g_autofree char *a = path_json ("path", empty);
    g_autofree char *t = NULL;

    put (empty, "", 0);
    t = invoke_ok (&f.l, "read_file", a, "text/plain");
    ck_assert_str_eq (t, "");
  }
  files_teardown (&f);
}
END_TEST

START_TEST (test_files_read_refused)
{
  Files f = { 0 };
  g_autofree char *secret = NULL, *escape = NULL, *link_out = NULL, *link_dir = NULL, *msg = NULL;

  files_setup (&f);
  secret = g_build_filename (f.outside, "secret.txt", NULL);
  put (secret, "secret", -1);

  /* Outside, directly. */
  {
    g_autofree char *a = path_json ("path", secret);
    g_autofree char *m = denied_message (&f, secret);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
  }
  /* Outside through "..". */
  escape = g_build_filename (f.granted, "..", "outside", "secret.txt", NULL);
  {
    g_autofree char *a = path_json ("path", escape);
    g_autofree char *m = denied_message (&f, escape);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
  }
  /* A symbolic link inside that points outside, to a file and to a folder. */
  link_out = g_build_filename (f.granted, "link", NULL);
  ck_assert_int_eq (symlink (secret, link_out), 0);
  {
    g_autofree char *a = path_json ("path", link_out);
    g_autofree char *m = denied_message (&f, link_out);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
  }
  link_dir = g_build_filename (f.granted, "outdir", NULL);
  ck_assert_int_eq (symlink (f.outside, link_dir), 0);
  {
    g_autofree char *through = g_build_filename (link_dir, "secret.txt", NULL);
    g_autofree char *a = path_json ("path", through);
    g_autofree char *m = denied_message (&f, through);
    g_autofree char *la = path_json ("path", link_dir);
    g_autofree char *lm = denied_message (&f, link_dir);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
    invoke_fails (&f.l, "list_folder", la, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, lm);
  }
  /* Missing: inside says not found, outside says denied. */
  {
    g_autofree char *missing = g_build_filename (f.granted, "missing.txt", NULL);
    g_autofree char *missing_out = g_build_filename (f.outside, "missing.txt", NULL);
    g_autofree char *a = path_json ("path", missing);
    g_autofree char *ao = path_json ("path", missing_out);
    g_autofree char *m = g_strdup_printf ("'%s' does not exist", missing);
    g_autofree char *mo = denied_message (&f, missing_out);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_NOT_FOUND, m);
    invoke_fails (&f.l, "read_file", ao, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, mo);
  }
  /* Relative paths. */
  msg = g_strdup_printf ("'notes.txt' is not an absolute path: give the whole path, in one of %s", f.granted);
  invoke_fails (&f.l, "read_file", "{\"path\": \"notes.txt\"}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, msg);
  /* A folder. */
  {
    g_autofree char *a = path_json ("path", f.granted);
    g_autofree char *m = g_strdup_printf ("'%s' is a folder: list it with list_folder", f.granted);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, m);
  }
  /* Nothing granted at all. */
  g_clear_pointer (&f.l.host->folders[0], g_free);
  {
    g_autofree char *a = path_json ("path", secret);
    g_autofree char *m = g_strdup_printf ("'%s' is outside the folders this plugin may use: none is granted "
                                          "yet (the user can grant one in Hearth's plugin settings)", secret);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
  }
  files_teardown (&f);
}
END_TEST

START_TEST (test_files_read_limits)
{
  Files f = { 0 };
  g_autofree char *max_path = NULL, *over_path = NULL, *bin_path = NULL, *latin_path = NULL;
  g_autofree char *data = NULL;

  files_setup (&f);
  data = g_malloc (1024 * 1024 + 1);
  memset (data, 'a', 1024 * 1024 + 1);

  /* Exactly 1 MiB reads; one byte more does not. */
  max_path = g_build_filename (f.granted, "max.txt", NULL);
  put (max_path, data, 1024 * 1024);
  {
    g_autofree char *a = path_json ("path", max_path);
    g_autofree char *t = invoke_ok (&f.l, "read_file", a, "text/plain");

    ck_assert_uint_eq (strlen (t), 1024 * 1024);
  }
  over_path = g_build_filename (f.granted, "over.txt", NULL);
  put (over_path, data, 1024 * 1024 + 1);
  {
    g_autofree char *a = path_json ("path", over_path);
    g_autofree char *m = g_strdup_printf ("'%s' is 1048577 bytes: at most 1048576 bytes (1 MiB) can be read "
                                          "or written at once", over_path);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_FAILED, m);
  }
  bin_path = g_build_filename (f.granted, "bin", NULL);
  put (bin_path, "ab\0cd", 5);
  {
    g_autofree char *a = path_json ("path", bin_path);
    g_autofree char *m = g_strdup_printf ("'%s' looks like a binary file (it contains NUL bytes): only text "
                                          "can be read", bin_path);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_FAILED, m);
  }
  latin_path = g_build_filename (f.granted, "latin1.txt", NULL);
  put (latin_path, "caf\xe9 au lait", -1);
  {
    g_autofree char *a = path_json ("path", latin_path);
    g_autofree char *m = g_strdup_printf ("'%s' is not UTF-8 text (an invalid byte at offset 3): only text "
                                          "can be read", latin_path);

    invoke_fails (&f.l, "read_file", a, HEARTH_PLUGIN_ERROR_FAILED, m);
  }
  files_teardown (&f);
}
END_TEST

START_TEST (test_files_list)
{
  Files f = { 0 };
  g_autofree char *a = NULL, *json = NULL, *want = NULL, *real = NULL;
  g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;

  files_setup (&f);
  p1 = g_build_filename (f.granted, "b.txt", NULL);
  p2 = g_build_filename (f.granted, "a.md", NULL);
  p3 = g_build_filename (f.granted, "C", NULL);
  p4 = g_build_filename (f.granted, "link", NULL);
  put (p1, "12345", -1);
  put (p2, "", 0);
  ck_assert_int_eq (g_mkdir (p3, 0700), 0);
  ck_assert_int_eq (symlink (f.outside, p4), 0);
  a = path_json ("path", f.granted);
  json = invoke_ok (&f.l, "list_folder", a, "application/json");
  real = realpath (f.granted, NULL);
  want = g_strdup_printf ("{\"path\":\"%s\",\"entries\":["
                          "{\"name\":\"C\",\"kind\":\"folder\"},"
                          "{\"name\":\"a.md\",\"kind\":\"file\",\"size\":0},"
                          "{\"name\":\"b.txt\",\"kind\":\"file\",\"size\":5},"
                          "{\"name\":\"link\",\"kind\":\"symlink\"}],"
                          "\"truncated\":false}", real);
  ck_assert_str_eq (json, want);
  free (g_steal_pointer (&real));

  /* A file is not a folder; a missing folder is not found. */
  {
    g_autofree char *fa = path_json ("path", p1);
    g_autofree char *fm = g_strdup_printf ("'%s' is a file, not a folder: read it with read_file", p1);
    g_autofree char *missing = g_build_filename (f.granted, "nope", NULL);
    g_autofree char *ma = path_json ("path", missing);
    g_autofree char *mm = g_strdup_printf ("'%s' does not exist", missing);
    g_autofree char *oa = path_json ("path", f.outside);
    g_autofree char *om = denied_message (&f, f.outside);

    invoke_fails (&f.l, "list_folder", fa, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, fm);
    invoke_fails (&f.l, "list_folder", ma, HEARTH_PLUGIN_ERROR_NOT_FOUND, mm);
    invoke_fails (&f.l, "list_folder", oa, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, om);
  }
  files_teardown (&f);
}
END_TEST

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Asserts that @folder holds exactly the names in @want (sorted, space-separated). */
static void
assert_names (const char *folder,
              const char *want)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *got = NULL;
  const char *name;

  ck_assert (dir != NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  got = g_strjoinv (" ", (char **) names->pdata);
  ck_assert_str_eq (got, want);
}

START_TEST (test_files_write)
{
  Files f = { 0 };
  g_autofree char *target = NULL, *a = NULL, *msg = NULL, *text = NULL, *content = NULL;

  files_setup (&f);
  target = g_build_filename (f.granted, "new.txt", NULL);
  a = write_json (target, "first ✓\n", -1);
  msg = invoke_ok (&f.l, "write_file", a, "text/plain");
  text = g_strdup_printf ("Wrote '%s' (10 bytes)", target);
  ck_assert_str_eq (msg, text);
  content = get (target);
  ck_assert_str_eq (content, "first ✓\n");

  /* No overwrite without overwrite=true; the file stays as it was. */
  {
    g_autofree char *again = write_json (target, "second", -1);
    g_autofree char *again_false = write_json (target, "second", FALSE);
    g_autofree char *m = g_strdup_printf ("'%s' already exists: set overwrite to true to replace it", target);
    g_autofree char *c = NULL;

    invoke_fails (&f.l, "write_file", again, HEARTH_PLUGIN_ERROR_FAILED, m);
    invoke_fails (&f.l, "write_file", again_false, HEARTH_PLUGIN_ERROR_FAILED, m);
    c = get (target);
    ck_assert_str_eq (c, "first ✓\n");
  }
  /* With it, replaced, and no temporary file left behind. */
  {
    g_autofree char *replace = write_json (target, "second", TRUE);
    g_autofree char *m = invoke_ok (&f.l, "write_file", replace, "text/plain");
    g_autofree char *want = g_strdup_printf ("Replaced '%s' (6 bytes)", target);
    g_autofree char *c = get (target);

    ck_assert_str_eq (m, want);
    ck_assert_str_eq (c, "second");
    assert_names (f.granted, "new.txt");
  }
  /* Through a symbolic link that stays inside: the file it points to changes. */
  {
    g_autofree char *link = g_build_filename (f.granted, "alias", NULL);
    g_autofree char *la = write_json (link, "third", TRUE);
    g_autofree char *m = NULL, *c = NULL;

    ck_assert_int_eq (symlink (target, link), 0);
    m = invoke_ok (&f.l, "write_file", la, "text/plain");
    ck_assert (g_str_has_prefix (m, "Replaced "));
    c = get (target);
    ck_assert_str_eq (c, "third");
    ck_assert (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  }
  files_teardown (&f);
}
END_TEST

START_TEST (test_files_write_refused)
{
  Files f = { 0 };
  g_autofree char *secret = NULL, *link_dir = NULL, *link_file = NULL;

  files_setup (&f);
  secret = g_build_filename (f.outside, "secret.txt", NULL);
  put (secret, "secret", -1);
  link_dir = g_build_filename (f.granted, "outdir", NULL);
  link_file = g_build_filename (f.granted, "outfile", NULL);
  ck_assert_int_eq (symlink (f.outside, link_dir), 0);
  ck_assert_int_eq (symlink (secret, link_file), 0);

  {
    const char *names[] = { "direct", "dotdot", "linkdir", "linkfile", NULL };

    for (int i = 0; names[i] != NULL; i++)
      {
        g_autofree char *path = NULL, *a = NULL, *m = NULL;

        switch (i)
          {
          case 0: path = g_build_filename (f.outside, "new.txt", NULL); break;
          case 1: path = g_build_filename (f.granted, "..", "outside", "new.txt", NULL); break;
          case 2: path = g_build_filename (link_dir, "new.txt", NULL); break;
          default: path = g_strdup (link_file); break;
          }
        a = write_json (path, "pwned", TRUE);
        m = denied_message (&f, path);
        invoke_fails (&f.l, "write_file", a, HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, m);
      }
  }
  /* Nothing changed on disk, inside or out. */
  {
    g_autofree char *c = get (secret);

    ck_assert_str_eq (c, "secret");
    assert_names (f.outside, "secret.txt");
    assert_names (f.granted, "outdir outfile");
  }
  /* Into a folder that does not exist; a name that is no file; too much. */
  {
    g_autofree char *deep = g_build_filename (f.granted, "nope", "new.txt", NULL);
    g_autofree char *nope = g_build_filename (f.granted, "nope", NULL);
    g_autofree char *a = write_json (deep, "x", -1);
    g_autofree char *m = g_strdup_printf ("'%s' does not exist", nope);
    g_autofree char *dir_path = g_strdup_printf ("%s/", f.granted);
    g_autofree char *da = write_json (dir_path, "x", -1);
    g_autofree char *dm = g_strdup_printf ("'%s' does not name a file", dir_path);
    g_autofree char *big = g_malloc (1024 * 1024 + 2);
    g_autofree char *target = g_build_filename (f.granted, "big.txt", NULL);
    g_autofree char *ba = NULL;

    invoke_fails (&f.l, "write_file", a, HEARTH_PLUGIN_ERROR_NOT_FOUND, m);
    invoke_fails (&f.l, "write_file", da, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, dm);
    memset (big, 'b', 1024 * 1024 + 1);
    big[1024 * 1024 + 1] = '\0';
    ba = write_json (target, big, -1);
    invoke_fails (&f.l, "write_file", ba, HEARTH_PLUGIN_ERROR_FAILED,
                  "'the content' is 1048577 bytes: at most 1048576 bytes (1 MiB) can be read or written at once");
    invoke_fails (&f.l, "write_file", "{\"path\": \"rel.txt\", \"content\": \"x\"}",
                  HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, NULL);
    invoke_fails (&f.l, "write_file", "{\"path\": \"/x\"}", HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                  "the argument 'content' is missing");
    assert_names (f.granted, "outdir outfile");
  }
  files_teardown (&f);
}
END_TEST

/* A cancelled call writes nothing and says so. */
START_TEST (test_files_cancelled)
{
  Files f = { 0 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolResult) r = NULL;
  g_autofree char *target = NULL, *a = NULL;

  files_setup (&f);
  target = g_build_filename (f.granted, "new.txt", NULL);
  a = write_json (target, "x", -1);
  g_cancellable_cancel (cancellable);
  r = invoke_full (&f.l, "write_file", a, cancellable, &error);
  ck_assert (r == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  assert_names (f.granted, "");
  files_teardown (&f);
}
END_TEST

static Suite *
builtin_plugins_suite (void)
{
  Suite *s = suite_create ("builtin-plugins");
  TCase *calc = tcase_create ("calculator");
  TCase *clock = tcase_create ("clock");
  TCase *files = tcase_create ("files");

  tcase_add_test (calc, test_calc_values);
  tcase_add_test (calc, test_calc_big_integers);
  tcase_add_test (calc, test_calc_text);
  tcase_add_test (calc, test_calc_errors);
  tcase_add_test (calc, test_calc_bounds);
  tcase_add_test (calc, test_calculator_plugin);
  suite_add_tcase (s, calc);
  tcase_add_test (clock, test_clock_plugin);
  suite_add_tcase (s, clock);
  tcase_add_test (files, test_files_tools);
  tcase_add_test (files, test_files_read);
  tcase_add_test (files, test_files_read_refused);
  tcase_add_test (files, test_files_read_limits);
  tcase_add_test (files, test_files_list);
  tcase_add_test (files, test_files_write);
  tcase_add_test (files, test_files_write_refused);
  tcase_add_test (files, test_files_cancelled);
  suite_add_tcase (s, files);
  return s;
}

int
main (void)
{
  /* The clock's local zone. */
  g_setenv ("TZ", "UTC", TRUE);
  return hearth_test_run (builtin_plugins_suite ());
}
