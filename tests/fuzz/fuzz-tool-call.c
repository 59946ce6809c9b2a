/* fuzz-tool-call.c: libFuzzer harness for the tool-call parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a model's reply: it goes through the parser in every format
 * it knows, against a tool list with a JSON Schema for the arguments.
 * Nothing may crash, leak or complain (hearth-fuzz.h).
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
      g_autoptr(HearthToolCalls) calls = hearth_tool_calls_parse ((const char *) data, (gssize) size, formats[i],
                                                                   tools, NULL);

      sink += calls != NULL;
    }
  return 0;
}
