/* test-tool-call.c: tool calls out of model output, well-formed, malformed and hostile
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tools are the kit's (messages.json, conversation 05_tools: get_weather
 * with a required string location and an enum unit, get_time with a required
 * string timezone). Call texts follow each model family's published format,
 * as the kit's templates describe it to the model.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static HearthJsonValue *
kit_tools (void)
{
  g_autoptr(GBytes) bytes = hearth_test_load_data ("templates", "messages.json", NULL);
  g_autoptr(HearthJsonValue) convs = hearth_json_parse (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes), NULL);
  HearthJsonValue *tools;

  ck_assert_ptr_nonnull (convs);
  tools = hearth_json_object_get (hearth_json_array_get (convs, 4), "tools");
  ck_assert_int_eq (hearth_json_get_type (tools), HEARTH_JSON_ARRAY);
  ck_assert_uint_eq (hearth_json_array_get_length (tools), 2);
  return hearth_json_value_ref (tools);
}

static HearthToolCalls *
parse (const char           *text,
       HearthToolCallFormat  format)
{
  g_autoptr(HearthJsonValue) tools = kit_tools ();
  g_autoptr(GError) error = NULL;
  HearthToolCalls *calls = hearth_tool_calls_parse (text, -1, format, tools, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (calls);
  return calls;
}

static void
assert_valid (HearthToolCalls *calls,
              guint            i,
              const char      *name,
              const char      *args_json)
{
  const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);
  g_autoptr(HearthJsonValue) want = hearth_json_parse (args_json, -1, NULL);

  ck_assert_msg (c->error == NULL, "call %u: unexpected error %s", i, c->error ? c->error->message : "");
  ck_assert_str_eq (c->name, name);
  ck_assert_ptr_nonnull (want);
  ck_assert_msg (hearth_json_equal (c->arguments, want), "call %u: arguments differ", i);
}

static void
assert_invalid (HearthToolCalls *calls,
                guint            i,
                int              code,
                const char      *message_part)
{
  const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);

  hearth_assert_error (c->error, code);
  ck_assert_msg (strstr (c->error->message, message_part) != NULL, "call %u: '%s' lacks '%s'", i,
                 c->error->message, message_part);
}

/* ---- Hermes / Qwen ---- */

START_TEST (test_hermes_single)
{
  const char *text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>";
  g_autoptr(HearthToolCalls) calls = parse (text, HEARTH_TOOL_CALL_FORMAT_AUTO);
  const HearthToolCall *c;

  ck_assert_int_eq (hearth_tool_calls_get_format (calls), HEARTH_TOOL_CALL_FORMAT_HERMES);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 1);
  ck_assert_uint_eq (hearth_tool_calls_get_n_valid (calls), 1);
  assert_valid (calls, 0, "get_weather", "{\"location\": \"Paris\", \"unit\": \"celsius\"}");
  c = hearth_tool_calls_get_call (calls, 0);
  ck_assert_uint_eq (c->start, 0);
  ck_assert_uint_eq (c->end, strlen (text));
  ck_assert_str_eq (hearth_tool_calls_get_content (calls), "");
}
END_TEST

START_TEST (test_hermes_text_and_multiple)
{
  g_autoptr(HearthToolCalls) calls = parse (
    "Let me check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Oslo\"}}\n</tool_call>\n"
    "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"Europe/Oslo\"}}</tool_call>\nDone.",
    HEARTH_TOOL_CALL_FORMAT_HERMES);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 2);
  assert_valid (calls, 0, "get_weather", "{\"location\": \"Oslo\"}");
  assert_valid (calls, 1, "get_time", "{\"timezone\": \"Europe/Oslo\"}");
  ck_assert_str_eq (hearth_tool_calls_get_content (calls), "Let me check both.\n\n\nDone.");
}
END_TEST

START_TEST (test_hermes_braces_in_strings)
{
  g_autoptr(HearthToolCalls) calls = parse (
    "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"location\": \"}{ \\\"</tool_call>\\\" {{\"}}</tool_call>",
    HEARTH_TOOL_CALL_FORMAT_AUTO);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 1);
  assert_valid (calls, 0, "get_weather", "{\"location\": \"}{ \\\"</tool_call>\\\" {{\"}");
}
END_TEST

START_TEST (test_hermes_malformed)
{
  /* truncated JSON, then prose inside the tags, then a call with no name */
  g_autoptr(HearthToolCalls) truncated = parse (
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Par", HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) trailing = parse (
    "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"UTC\"}} and more</tool_call>ok",
    HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) nameless = parse ("<tool_call>{\"arguments\": {}}</tool_call>", HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) unclosed = parse (
    "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"UTC\"}}  ", HEARTH_TOOL_CALL_FORMAT_AUTO);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (truncated), 1);
  assert_invalid (truncated, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "malformed tool call: JSON: unterminated string");
  ck_assert_ptr_null (hearth_tool_calls_get_call (truncated, 0)->arguments);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (trailing), 1);
  assert_invalid (trailing, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "text after the JSON");
  ck_assert_str_eq (hearth_tool_calls_get_content (trailing), "ok");
  assert_invalid (nameless, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no \"name\"");
  /* generation stopped before </tool_call>: the JSON is whole, so the call stands */
  assert_valid (unclosed, 0, "get_time", "{\"timezone\": \"UTC\"}");
}
END_TEST

START_TEST (test_validation)
{
  g_autoptr(HearthToolCalls) calls = parse (
    "<tool_call>{\"name\": \"launch_rockets\", \"arguments\": {}}</tool_call>"
    "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"location\": 42}}</tool_call>"
    "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"unit\": \"celsius\"}}</tool_call>"
    "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Rome\", \"unit\": \"kelvin\"}}</tool_call>"
    "<tool_call>{\"name\": \"get_time\", \"arguments\": [\"UTC\"]}</tool_call>"
    "<tool_call>{\"name\": \"get_time\", \"arguments\": \"{\\\"timezone\\\": \\\"UTC\\\"}\"}</tool_call>"
    "<tool_call>{\"name\": \"get_time\", \"arguments\": \"{not json\"}</tool_call>"
    "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"timezone\": null}}</tool_call>",
    HEARTH_TOOL_CALL_FORMAT_HERMES);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 8);
  ck_assert_uint_eq (hearth_tool_calls_get_n_valid (calls), 1);
  assert_invalid (calls, 0, HEARTH_ENGINE_ERROR_NOT_FOUND, "unknown tool 'launch_rockets'");
  ck_assert_str_eq (hearth_tool_calls_get_call (calls, 0)->name, "launch_rockets");
  assert_invalid (calls, 1, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "argument 'location' must be string, not integer");
  assert_invalid (calls, 2, HEARTH_ENGINE_ERROR_NOT_FOUND, "required argument 'location' is missing");
  assert_invalid (calls, 3, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "argument 'unit' is \"kelvin\", which is not one of its allowed values");
  assert_invalid (calls, 4, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "must be a JSON object, not array");
  /* arguments as a JSON string, as OpenAI's API carries them */
  assert_valid (calls, 5, "get_time", "{\"timezone\": \"UTC\"}");
  assert_invalid (calls, 6, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "malformed tool call arguments");
  assert_invalid (calls, 7, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "must be string, not null");
}
END_TEST

START_TEST (test_nested_schema)
{
  const char *tools_json =
    "[{\"name\": \"plan\", \"parameters\": {\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"steps\"],"
    " \"properties\": {\"steps\": {\"type\": \"array\", \"items\": {\"type\": \"object\", \"required\": [\"n\"],"
    " \"properties\": {\"n\": {\"type\": \"integer\"}, \"w\": {\"type\": [\"number\", \"null\"]}}}}}}}]";
  g_autoptr(HearthJsonValue) tools = hearth_json_parse (tools_json, -1, NULL);
  g_autoptr(HearthToolCalls) calls = NULL;

  ck_assert_ptr_nonnull (tools);
  calls = hearth_tool_calls_parse (
    "<tool_call>{\"name\": \"plan\", \"arguments\": {\"steps\": [{\"n\": 1, \"w\": 0.5}, {\"n\": 2.0, \"w\": null}]}}</tool_call>"
    "<tool_call>{\"name\": \"plan\", \"arguments\": {\"steps\": [{\"n\": 1.5}]}}</tool_call>"
    "<tool_call>{\"name\": \"plan\", \"arguments\": {\"steps\": [{\"w\": 1}]}}</tool_call>"
    "<tool_call>{\"name\": \"plan\", \"arguments\": {\"steps\": [], \"extra\": true}}</tool_call>"
    "<tool_call>{\"name\": \"plan\", \"arguments\": {\"steps\": [{\"n\": 1, \"w\": \"heavy\"}]}}</tool_call>",
    -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, NULL);
  ck_assert_ptr_nonnull (calls);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 5);
  ck_assert_ptr_null (hearth_tool_calls_get_call (calls, 0)->error);
  assert_invalid (calls, 1, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "argument 'steps[0].n' must be integer, not number");
  assert_invalid (calls, 2, HEARTH_ENGINE_ERROR_NOT_FOUND, "'steps[0].n' is missing");
  assert_invalid (calls, 3, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unknown argument 'extra'");
  assert_invalid (calls, 4, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "must be number or null, not string");
}
END_TEST

/* ---- Llama 3.x ---- */

START_TEST (test_llama3)
{
  g_autoptr(HearthToolCalls) bare = parse ("{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}",
                                           HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) tagged = parse ("Checking.<|python_tag|>{\"name\": \"get_time\", \"parameters\": {\"timezone\": \"UTC\"}}",
                                             HEARTH_TOOL_CALL_FORMAT_LLAMA3);
  g_autoptr(HearthToolCalls) several = parse (
    "{\"name\": \"get_time\", \"parameters\": {\"timezone\": \"UTC\"}}; {\"name\": \"get_weather\", \"parameters\": {\"location\": \"Lima\"}}",
    HEARTH_TOOL_CALL_FORMAT_LLAMA3);
  g_autoptr(HearthToolCalls) prose = parse ("The JSON {\"a\": 1} is not a call, and {\"name\": \"x\"} has no parameters.",
                                            HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) after_text = parse (
    "I will look it up.\n{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Quito\"}}\nOne moment.",
    HEARTH_TOOL_CALL_FORMAT_LLAMA3);

  ck_assert_int_eq (hearth_tool_calls_get_format (bare), HEARTH_TOOL_CALL_FORMAT_LLAMA3);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (bare), 1);
  assert_valid (bare, 0, "get_weather", "{\"location\": \"Paris\"}");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (tagged), 1);
  assert_valid (tagged, 0, "get_time", "{\"timezone\": \"UTC\"}");
  ck_assert_str_eq (hearth_tool_calls_get_content (tagged), "Checking.");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (several), 2);
  assert_valid (several, 1, "get_weather", "{\"location\": \"Lima\"}");
  ck_assert_str_eq (hearth_tool_calls_get_content (several), "");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (prose), 0);
  ck_assert_str_eq (hearth_tool_calls_get_content (prose), "The JSON {\"a\": 1} is not a call, and {\"name\": \"x\"} has no parameters.");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (after_text), 1);
  ck_assert_str_eq (hearth_tool_calls_get_content (after_text), "I will look it up.\nOne moment.");
}
END_TEST

START_TEST (test_llama3_malformed)
{
  g_autoptr(HearthToolCalls) truncated = parse ("{\"name\": \"get_weather\", \"parameters\": {\"location\": ",
                                                HEARTH_TOOL_CALL_FORMAT_LLAMA3);
  g_autoptr(HearthToolCalls) builtin = parse ("<|python_tag|>brave_search.call(query=\"x\")", HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) wrong = parse ("{\"name\": \"get_weather\", \"parameters\": {\"location\": [\"Paris\"]}}",
                                            HEARTH_TOOL_CALL_FORMAT_LLAMA3);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (truncated), 1);
  assert_invalid (truncated, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "malformed tool call: JSON: unexpected end of input");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (builtin), 1);
  assert_invalid (builtin, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected a JSON object after <|python_tag|>");
  assert_invalid (wrong, 0, HEARTH_ENGINE_ERROR_TYPE_MISMATCH, "must be string, not array");
}
END_TEST

/* ---- Mistral ---- */

START_TEST (test_mistral)
{
  g_autoptr(HearthToolCalls) list = parse (
    "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}, \"id\": \"call12345\"}, "
    "{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"Europe/Paris\"}}]</s>",
    HEARTH_TOOL_CALL_FORMAT_AUTO);
  g_autoptr(HearthToolCalls) named = parse ("Sure. [TOOL_CALLS]get_time[ARGS]{\"timezone\": \"UTC\"}", HEARTH_TOOL_CALL_FORMAT_MISTRAL);
  g_autoptr(HearthToolCalls) broken = parse ("[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {\"timezone\": ",
                                             HEARTH_TOOL_CALL_FORMAT_MISTRAL);
  g_autoptr(HearthToolCalls) garbage = parse ("[TOOL_CALLS] not a call", HEARTH_TOOL_CALL_FORMAT_MISTRAL);

  ck_assert_int_eq (hearth_tool_calls_get_format (list), HEARTH_TOOL_CALL_FORMAT_MISTRAL);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (list), 2);
  assert_valid (list, 0, "get_weather", "{\"location\": \"Paris\"}");
  ck_assert_str_eq (hearth_tool_calls_get_call (list, 0)->id, "call12345");
  assert_valid (list, 1, "get_time", "{\"timezone\": \"Europe/Paris\"}");
  ck_assert_ptr_null (hearth_tool_calls_get_call (list, 1)->id);
  ck_assert_str_eq (hearth_tool_calls_get_content (list), "</s>");
  assert_valid (named, 0, "get_time", "{\"timezone\": \"UTC\"}");
  ck_assert_str_eq (hearth_tool_calls_get_content (named), "Sure.");
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (broken), 1);
  assert_invalid (broken, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "malformed tool call");
  assert_invalid (garbage, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "malformed tool call");
}
END_TEST

/* ---- no tools, bounds, hostile input ---- */

START_TEST (test_without_tools)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolCalls) calls = hearth_tool_calls_parse (
    "<tool_call>{\"name\": \"anything\", \"arguments\": {\"x\": 1}}</tool_call>", -1, HEARTH_TOOL_CALL_FORMAT_AUTO, NULL, &error);

  hearth_assert_no_error (error);
  assert_valid (calls, 0, "anything", "{\"x\": 1}");
}
END_TEST

START_TEST (test_plain_text)
{
  g_autoptr(HearthToolCalls) calls = parse ("  Just an answer, no calls.  ", HEARTH_TOOL_CALL_FORMAT_AUTO);

  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), 0);
  ck_assert_str_eq (hearth_tool_calls_get_content (calls), "Just an answer, no calls.");
}
END_TEST

START_TEST (test_bounds)
{
  g_autoptr(HearthJsonValue) tools = kit_tools ();
  g_autoptr(GString) many = g_string_new (NULL);
  g_autoptr(GString) braces = g_string_new (NULL);
  g_autoptr(GString) opens = g_string_new (NULL);
  g_autofree char *huge = g_strnfill (HEARTH_TOOL_CALL_MAX_TEXT + 1, 'x');
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolCalls) too_big = NULL;
  g_autoptr(HearthToolCalls) bad_utf8 = NULL;
  g_autoptr(HearthToolCalls) calls = NULL;
  g_autoptr(HearthToolCalls) deep = NULL;
  g_autoptr(HearthToolCalls) tags = NULL;
  const HearthToolCall *last;

  too_big = hearth_tool_calls_parse (huge, -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
  ck_assert_ptr_null (too_big);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
  g_clear_error (&error);
  bad_utf8 = hearth_tool_calls_parse ("<tool_call>\xff</tool_call>", -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
  ck_assert_ptr_null (bad_utf8);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  for (int i = 0; i < 1000; i++)
    g_string_append (many, "<tool_call>{\"name\": \"get_time\", \"arguments\": {\"timezone\": \"UTC\"}}</tool_call>");
  calls = hearth_tool_calls_parse (many->str, (gssize) many->len, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (calls), HEARTH_TOOL_CALL_MAX_CALLS + 1);
  ck_assert_uint_eq (hearth_tool_calls_get_n_valid (calls), HEARTH_TOOL_CALL_MAX_CALLS);
  last = hearth_tool_calls_get_call (calls, HEARTH_TOOL_CALL_MAX_CALLS);
  hearth_assert_error (last->error, HEARTH_ENGINE_ERROR_LIMIT);

  /* deep nesting and a wall of braces: refused cleanly, no blow-up */
  g_string_append (braces, "<tool_call>");
  for (int i = 0; i < 200000; i++)
    g_string_append_c (braces, '[');
  deep = hearth_tool_calls_parse (braces->str, (gssize) braces->len, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (deep), 1);
  assert_invalid (deep, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "nesting deeper");
  for (int i = 0; i < 15000; i++)
    g_string_append (opens, "\n{\"name\": \"a\", \"x\": {\"y\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}}");
  tags = hearth_tool_calls_parse (opens->str, (gssize) opens->len, HEARTH_TOOL_CALL_FORMAT_LLAMA3, tools, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (tags), 0);
}
END_TEST

static Suite *
tool_call_suite (void)
{
  Suite *s = suite_create ("tool-call");
  TCase *tc = tcase_create ("tool-call");

  tcase_add_test (tc, test_hermes_single);
  tcase_add_test (tc, test_hermes_text_and_multiple);
  tcase_add_test (tc, test_hermes_braces_in_strings);
  tcase_add_test (tc, test_hermes_malformed);
  tcase_add_test (tc, test_validation);
  tcase_add_test (tc, test_nested_schema);
  tcase_add_test (tc, test_llama3);
  tcase_add_test (tc, test_llama3_malformed);
  tcase_add_test (tc, test_mistral);
  tcase_add_test (tc, test_without_tools);
  tcase_add_test (tc, test_plain_text);
  tcase_add_test (tc, test_bounds);
  tcase_set_timeout (tc, 20);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (tool_call_suite ());
}
