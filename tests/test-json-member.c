/* test-json-member.c: app/core/common/hearth-json-member against json-glib's own reading of the same documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run with G_DEBUG=fatal-criticals (meson test): a critical from json-glib
 * on any member of the wrong type would abort the test.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-json-member.h"
#include "hearth-test.h"

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_data (parser, json, -1, &error), "%s", error ? error->message : "");
  ck_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

START_TEST (test_members_by_type)
{
  g_autoptr(JsonObject) o = parse_object ("{\"s\": \"text\", \"i\": 42, \"d\": 3.0, \"f\": 2.5, \"big\": 1e300,"
                                          " \"neg\": -9223372036854775808, \"b\": true, \"n\": null,"
                                          " \"o\": {\"k\": 1}, \"a\": [1, {\"x\": 2}, null]}");
  const char *names[] = { "s", "i", "d", "f", "big", "neg", "b", "n", "o", "a", "missing" };

  ck_assert_str_eq (hearth_json_member_string (o, "s", "fb"), "text");
  ck_assert_int_eq (hearth_json_member_int (o, "i", -1), 42);
  ck_assert_int_eq (hearth_json_member_int (o, "d", -1), 3);
  ck_assert_int_eq (hearth_json_member_int (o, "neg", -1), G_MININT64);
  /* Not integers: the fallback. */
  ck_assert_int_eq (hearth_json_member_int (o, "f", -1), -1);
  ck_assert_int_eq (hearth_json_member_int (o, "big", -1), -1);
  ck_assert_ptr_nonnull (hearth_json_member_object (o, "o"));
  ck_assert_int_eq (hearth_json_member_int (hearth_json_member_object (o, "o"), "k", 0), 1);
  ck_assert_uint_eq (json_array_get_length (hearth_json_member_array (o, "a")), 3);
  ck_assert_ptr_null (hearth_json_element_object (hearth_json_member_array (o, "a"), 0));
  ck_assert_int_eq (hearth_json_member_int (hearth_json_element_object (hearth_json_member_array (o, "a"), 1), "x", 0),
                    2);
  ck_assert_ptr_null (hearth_json_element_object (hearth_json_member_array (o, "a"), 2));
  ck_assert_ptr_null (hearth_json_element_object (hearth_json_member_array (o, "a"), 3));

  /* Every other pairing of member and type: the fallback, and no critical. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *n = names[i];

      if (g_strcmp0 (n, "s") != 0)
        ck_assert_str_eq (hearth_json_member_string (o, n, "fb"), "fb");
      if (g_strcmp0 (n, "o") != 0)
        ck_assert_ptr_null (hearth_json_member_object (o, n));
      if (g_strcmp0 (n, "a") != 0)
        ck_assert_ptr_null (hearth_json_member_array (o, n));
      if (g_strcmp0 (n, "i") != 0 && g_strcmp0 (n, "d") != 0 && g_strcmp0 (n, "neg") != 0)
        ck_assert_int_eq (hearth_json_member_int (o, n, -7), -7);
    }
  /* No object, no array. */
  ck_assert_str_eq (hearth_json_member_string (NULL, "s", "fb"), "fb");
  ck_assert_int_eq (hearth_json_member_int (NULL, "i", 5), 5);
  ck_assert_ptr_null (hearth_json_member_object (NULL, "o"));
  ck_assert_ptr_null (hearth_json_element_object (NULL, 0));
}
END_TEST

/* json-glib parses empty input without an error, to no root: the
 * download state file and the Hugging Face listing met it. */
START_TEST (test_root_by_type)
{
  static const struct { const char *json; gboolean object, array; } cases[] = {
    { "", FALSE, FALSE }, { "   \n", FALSE, FALSE }, { "{}", TRUE, FALSE }, { "[]", FALSE, TRUE },
    { "1", FALSE, FALSE }, { "null", FALSE, FALSE }, { "\"s\"", FALSE, FALSE }, { "[{}]", FALSE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      ck_assert_msg (json_parser_load_from_data (parser, cases[i].json, -1, &error), "'%s': %s", cases[i].json,
                     error != NULL ? error->message : "");
      ck_assert_msg ((hearth_json_root_object (parser) != NULL) == cases[i].object, "'%s'", cases[i].json);
      ck_assert_msg ((hearth_json_root_array (parser) != NULL) == cases[i].array, "'%s'", cases[i].json);
    }
}
END_TEST

/* json-glib reads \220 in a bad string as an octal escape and quotes the
 * byte 0x90 in its message (a fuzzer's finding): the message must come
 * out valid UTF-8, the fault still named. */
START_TEST (test_load_error_is_utf8)
{
  static const char *const bad[] = {
    "[{\"type\":\"file\",\"oi\\2204,\"path\":\"m\"}]",
    "{\"\\377\\376\" 1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonParser) raw = json_parser_new ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) raw_error = NULL, error = NULL;

      ck_assert (!json_parser_load_from_data (raw, bad[i], -1, &raw_error));
      ck_assert_msg (!g_utf8_validate (raw_error->message, -1, NULL), "json-glib's own message is valid now: %s",
                     raw_error->message);
      ck_assert (!hearth_json_load (parser, bad[i], -1, &error));
      ck_assert_msg (g_utf8_validate (error->message, -1, NULL), "'%s': not UTF-8", bad[i]);
      ck_assert (g_error_matches (error, raw_error->domain, raw_error->code));
      ck_assert_ptr_nonnull (strstr (error->message, "Parse error"));
    }
  {
    g_autoptr(JsonParser) parser = json_parser_new ();

    ck_assert (hearth_json_load (parser, "[1]", -1, NULL));
    ck_assert_ptr_nonnull (hearth_json_root_array (parser));
  }
}
END_TEST

static Suite *
json_member_suite (void)
{
  Suite *s = suite_create ("json-member");
  TCase *tc = tcase_create ("core");

  tcase_add_test (tc, test_members_by_type);
  tcase_add_test (tc, test_root_by_type);
  tcase_add_test (tc, test_load_error_is_utf8);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (json_member_suite ());
}
