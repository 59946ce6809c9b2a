/* test-json.c: the engine's JSON tree against Python's json module
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Expected texts were produced by CPython 3.11 (repr(), json.dumps with
 * ensure_ascii=False) and are quoted here; the shared template kit's
 * messages.json and index.json are json.dumps(indent=1, ensure_ascii=False)
 * output, so reading and re-writing them must give their bytes back.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static HearthJsonValue *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  HearthJsonValue *v = hearth_json_parse (text, -1, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (v);
  return v;
}

/* ---- float formatting: Python repr() ---- */

static const struct
{
  double      value;
  const char *repr;
} float_cases[] = {
  { 0.1, "0.1" },
  { 0.5, "0.5" },
  { 1.0, "1.0" },
  { 3.0, "3.0" },
  { -0.0, "-0.0" },
  { 1e16, "1e+16" },
  { 1e15, "1000000000000000.0" },
  { 123456789012345.6, "123456789012345.6" },
  { 1e-4, "0.0001" },
  { 1e-5, "1e-05" },
  { 1.5e-5, "1.5e-05" },
  { 2.5e-7, "2.5e-07" },
  { 1.0 / 3.0, "0.3333333333333333" },
  { 5e-324, "5e-324" },
  { 1.7976931348623157e308, "1.7976931348623157e+308" },
  { 1e22, "1e+22" },
  { 100.0, "100.0" },
  { 0.30000000000000004, "0.30000000000000004" },
  { -2.75, "-2.75" },
  { 9007199254740992.0, "9007199254740992.0" },
  { 1e-7, "1e-07" },
  { 12345.678, "12345.678" },
};

START_TEST (test_float_repr)
{
  for (guint i = 0; i < G_N_ELEMENTS (float_cases); i++)
    {
      char buf[HEARTH_JSON_DOUBLE_BUF];
      hearth_json_format_double (float_cases[i].value, buf);
      ck_assert_msg (strcmp (buf, float_cases[i].repr) == 0, "repr(%.17g): got %s, want %s",
                     float_cases[i].value, buf, float_cases[i].repr);
    }
}
END_TEST

/* ---- serialization ---- */

static const char *const doc =
  "{\"b\": [1, 2.5, null, true, false], \"a\": \"\\u00e9\\n\\\"x\\\" \\u0001\\u001f\\u007f\\/\\t\", "
  "\"e\": {}, \"f\": [], \"n\": {\"k\": [{\"z\": -1}]}}";

START_TEST (test_dumps_compact)
{
  g_autoptr(HearthJsonValue) v = parse_ok (doc);
  g_autofree char *text = hearth_json_to_string (v, -1);

  /* json.dumps(json.loads(doc), ensure_ascii=False) */
  ck_assert_str_eq (text, "{\"b\": [1, 2.5, null, true, false], \"a\": \"\xc3\xa9\\n\\\"x\\\" \\u0001\\u001f\x7f/\\t\", "
                          "\"e\": {}, \"f\": [], \"n\": {\"k\": [{\"z\": -1}]}}");
}
END_TEST

START_TEST (test_dumps_indent)
{
  g_autoptr(HearthJsonValue) v = parse_ok (doc);
  g_autofree char *text = hearth_json_to_string (v, 2);

  /* json.dumps(json.loads(doc), ensure_ascii=False, indent=2) */
  ck_assert_str_eq (text, "{\n  \"b\": [\n    1,\n    2.5,\n    null,\n    true,\n    false\n  ],\n"
                          "  \"a\": \"\xc3\xa9\\n\\\"x\\\" \\u0001\\u001f\x7f/\\t\",\n  \"e\": {},\n  \"f\": [],\n"
                          "  \"n\": {\n    \"k\": [\n      {\n        \"z\": -1\n      }\n    ]\n  }\n}");
}
END_TEST

static void
check_round_trip (const char *file)
{
  g_autoptr(GBytes) bytes = hearth_test_load_data ("templates", file, NULL);
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJsonValue) v = hearth_json_parse (text, (gssize) len, &error);
  g_autofree char *again = NULL;

  hearth_assert_no_error (error);
  again = hearth_json_to_string (v, 1);
  ck_assert_uint_eq (strlen (again), len);
  ck_assert_msg (memcmp (again, text, len) == 0, "%s does not round-trip", file);
}

START_TEST (test_round_trip_kit_files)
{
  check_round_trip ("messages.json");
  check_round_trip ("index.json");
}
END_TEST

/* ---- parsing ---- */

START_TEST (test_parse_values)
{
  g_autoptr(HearthJsonValue) v = parse_ok (" {\"i\": -9223372036854775808, \"big\": 18446744073709551616, "
                                           "\"d\": 1.5e2, \"s\": \"\\ud83d\\ude00\\u0000x\", \"t\": true} ");
  HearthJsonValue *m;
  gsize len;
  const char *s;

  ck_assert_int_eq (hearth_json_get_type (v), HEARTH_JSON_OBJECT);
  ck_assert_uint_eq (hearth_json_object_get_size (v), 5);
  m = hearth_json_object_get (v, "i");
  ck_assert_int_eq (hearth_json_get_type (m), HEARTH_JSON_INT);
  ck_assert (hearth_json_get_int (m) == G_MININT64);
  m = hearth_json_object_get (v, "big");
  ck_assert_int_eq (hearth_json_get_type (m), HEARTH_JSON_DOUBLE);
  ck_assert (hearth_json_get_double (m) == 18446744073709551616.0);
  ck_assert (hearth_json_get_double (hearth_json_object_get (v, "d")) == 150.0);
  s = hearth_json_get_string (hearth_json_object_get (v, "s"), &len);
  /* U+1F600 from its surrogate pair, then an embedded NUL */
  ck_assert_uint_eq (len, 6);
  ck_assert (memcmp (s, "\xf0\x9f\x98\x80\0x", 6) == 0);
  ck_assert (hearth_json_get_boolean (hearth_json_object_get (v, "t")));
  ck_assert_str_eq (hearth_json_object_get_key_at (v, 3), "s");
  ck_assert_ptr_null (hearth_json_object_get (v, "absent"));
}
END_TEST

/* Keys and strings holding "\u0000" keep every byte after it (they lost
 * them to g_strndup, so two keys differing after a NUL merged when read
 * back: fuzz-json's finding). Python: json.dumps(json.loads(...)) below. */
START_TEST (test_embedded_nul)
{
  g_autoptr(HearthJsonValue) v = parse_ok ("{\"a\\u0000b\": 1, \"a\\u0000c\": \"x\\u0000y\"}");
  g_autoptr(HearthJsonValue) again = NULL;
  g_autoptr(HearthJsonValue) copy = NULL;
  g_autofree char *text = hearth_json_to_string (v, -1);
  gsize len;
  const char *str;

  ck_assert_uint_eq (hearth_json_object_get_size (v), 2);
  ck_assert_str_eq (text, "{\"a\\u0000b\": 1, \"a\\u0000c\": \"x\\u0000y\"}");
  again = parse_ok (text);
  ck_assert (hearth_json_equal (v, again));
  copy = hearth_json_new_string ("x\0y", 3);
  str = hearth_json_get_string (copy, &len);
  ck_assert_uint_eq (len, 3);
  ck_assert (memcmp (str, "x\0y", 3) == 0);
}
END_TEST

START_TEST (test_duplicate_keys)
{
  /* json.dumps(json.loads('{"a":1,"b":2,"a":3}')) == '{"a": 3, "b": 2}' */
  g_autoptr(HearthJsonValue) v = parse_ok ("{\"a\":1,\"b\":2,\"a\":3}");
  g_autofree char *text = hearth_json_to_string (v, -1);

  ck_assert_str_eq (text, "{\"a\": 3, \"b\": 2}");
}
END_TEST

START_TEST (test_large_object)
{
  /* past the size where objects build a hash index */
  g_autoptr(HearthJsonValue) obj = hearth_json_new_object ();

  for (int i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);
      hearth_json_object_set (obj, key, hearth_json_new_int (i));
    }
  hearth_json_object_set (obj, "k7", hearth_json_new_int (700));
  ck_assert_uint_eq (hearth_json_object_get_size (obj), 100);
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%d", i);
      ck_assert_int_eq (hearth_json_get_int (hearth_json_object_get (obj, key)), i == 7 ? 700 : i);
      ck_assert_str_eq (hearth_json_object_get_key_at (obj, (guint) i), key);
    }
}
END_TEST

static const struct
{
  const char *text;
  const char *where; /* expected in the message */
} bad_json[] = {
  { "", "unexpected end of input at line 1, column 1" },
  { "[1, 2,]", "line 1, column 7" },
  { "{\"a\": 1,}", "object key" },
  { "01", "leading zero" },
  { "'x'", "unexpected character" },
  { "[1] // c", "trailing characters" },
  { "NaN", "unexpected character" },
  { "\"a\tb\"", "control character" },
  { "\"\\ud800\"", "lone surrogate" },
  { "\"\\udc00\"", "lone surrogate" },
  { "\"\\x41\"", "bad escape" },
  { "\"\\\xac\"", "bad escape '\\?'" },  /* a fuzzer's finding: the byte was quoted raw */
  { "\"\xff\"", "invalid UTF-8" },
  { "{\n  \"a\": tru\n}", "line 2, column 8" },
  { "[1.]", "digit expected" },
  { "1e", "digit expected in exponent" },
  { "\"abc", "unterminated string" },
  { "{\"a\" 1}", "':' expected" },
};

START_TEST (test_parse_errors)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_json); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthJsonValue) v = hearth_json_parse (bad_json[i].text, -1, &error);

      ck_assert_msg (v == NULL, "accepted bad JSON %s", bad_json[i].text);
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
      ck_assert_msg (strstr (error->message, bad_json[i].where) != NULL, "%s: message '%s' lacks '%s'",
                     bad_json[i].text, error->message, bad_json[i].where);
      ck_assert_msg (g_utf8_validate (error->message, -1, NULL), "%s: message not UTF-8", bad_json[i].text);
    }
}
END_TEST

START_TEST (test_depth_limit)
{
  GString *deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJsonValue) v = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  v = hearth_json_parse (deep->str, (gssize) deep->len, &error);
  ck_assert_ptr_null (v);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  ck_assert (strstr (error->message, "nesting deeper") != NULL);
  g_string_free (deep, TRUE);
}
END_TEST

START_TEST (test_parse_prefix)
{
  const char *text = "  {\"x\": \"}\"} trailing";
  gsize end = 0;
  g_autoptr(HearthJsonValue) v = hearth_json_parse_prefix (text, strlen (text), &end, NULL);

  ck_assert_ptr_nonnull (v);
  ck_assert_uint_eq (end, 12);
  ck_assert_str_eq (hearth_json_get_string (hearth_json_object_get (v, "x"), NULL), "}");
}
END_TEST

START_TEST (test_equal)
{
  g_autoptr(HearthJsonValue) a = parse_ok ("{\"a\": [1, 2.0, true], \"b\": null}");
  g_autoptr(HearthJsonValue) b = parse_ok ("{\"b\": null, \"a\": [1.0, 2, 1]}");
  g_autoptr(HearthJsonValue) c = parse_ok ("{\"b\": null, \"a\": [1.0, 2, 2]}");

  /* Python: {'a': [1, 2.0, True], 'b': None} == {'b': None, 'a': [1.0, 2, 1]} */
  ck_assert (hearth_json_equal (a, b));
  ck_assert (!hearth_json_equal (a, c));
}
END_TEST

static Suite *
json_suite (void)
{
  Suite *s = suite_create ("json");
  TCase *tc = tcase_create ("json");

  tcase_add_test (tc, test_float_repr);
  tcase_add_test (tc, test_dumps_compact);
  tcase_add_test (tc, test_dumps_indent);
  tcase_add_test (tc, test_round_trip_kit_files);
  tcase_add_test (tc, test_parse_values);
  tcase_add_test (tc, test_embedded_nul);
  tcase_add_test (tc, test_duplicate_keys);
  tcase_add_test (tc, test_large_object);
  tcase_add_test (tc, test_parse_errors);
  tcase_add_test (tc, test_depth_limit);
  tcase_add_test (tc, test_parse_prefix);
  tcase_add_test (tc, test_equal);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (json_suite ());
}
