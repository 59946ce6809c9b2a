/* fuzz-tool-call.c: libFuzzer harness for the tool-call parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a model's reply: it goes through the parser in every format
 * it knows, against a tool list with a JSON Schema for the arguments.
 * Checked: text and names come out UTF-8, calls' spans lie in the input,
 * a call is either valid (a name and an object of arguments) or carries
 * an error that can be shown. Nothing may crash, leak or complain
 * (hearth-fuzz.h).
 */
#include "hearth-fuzz.h"

static const char tools_json[] =
  "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather.\","
  "  \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"},"
  "  \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]},"
  "  \"days\": {\"type\": \"integer\", \"minimum\": 1}}, \"required\": [\"location\"]}}},"
  " {\"type\": \"function\", \"function\": {\"name\": \"noop\", \"parameters\": {\"type\": \"object\"}}}]";

static volatile guint sink;

static const HearthToolCallFormat formats[] = {
  HEARTH_TOOL_CALL_FORMAT_AUTO,
  HEARTH_TOOL_CALL_FORMAT_HERMES,
  HEARTH_TOOL_CALL_FORMAT_LLAMA3,
  HEARTH_TOOL_CALL_FORMAT_MISTRAL,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(HearthJsonValue) tools = hearth_json_parse (tools_json, -1, NULL);

  hearth_fuzz_maybe_selftest ();
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthToolCalls) calls = hearth_tool_calls_parse ((const char *) data, (gssize) size, formats[i],
                                                                   tools, &error);
      guint n_valid = 0;

      if (calls == NULL)
        {
          hearth_fuzz_check_error (error, HEARTH_ENGINE_ERROR);
          continue;
        }
      g_assert (g_utf8_validate (hearth_tool_calls_get_content (calls), -1, NULL));
      g_assert (hearth_tool_calls_get_n_calls (calls) <= HEARTH_TOOL_CALL_MAX_CALLS + 1);
      for (guint k = 0; k < hearth_tool_calls_get_n_calls (calls); k++)
        {
          const HearthToolCall *c = hearth_tool_calls_get_call (calls, k);

          g_assert (c->start <= c->end && c->end <= size);
          g_assert (c->name == NULL || g_utf8_validate (c->name, -1, NULL));
          g_assert (c->id == NULL || g_utf8_validate (c->id, -1, NULL));
          if (c->error != NULL)
            hearth_fuzz_check_error (c->error, 0);
          else
            {
              /* A valid call names a tool and has an object of arguments. */
              g_assert (c->name != NULL && c->arguments != NULL);
              g_assert (hearth_json_get_type (c->arguments) == HEARTH_JSON_OBJECT);
              n_valid++;
            }
        }
      g_assert (n_valid == hearth_tool_calls_get_n_valid (calls));
      sink += n_valid;
    }
  return 0;
}
