/* fuzz-jinja.c: libFuzzer harness for the chat template interpreter and the tool-call parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a template: it is parsed and, when accepted, rendered over a
 * conversation with tools and a tool call (with tight limits, so runaway
 * loops end quickly); the same bytes also go through the tool-call parser.
 * Anything may fail, with a GError; nothing may crash or leak.
 */
#include <stdint.h>

#include "hearth-engine.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char context_json[] =
  "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_generation_prompt\": true,"
  " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather.\","
  "  \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"},"
  "  \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"location\"]}}}],"
  " \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi \\u00e9\"},"
  "  {\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"id\": \"call12345\", \"type\": \"function\","
  "   \"function\": {\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}}]},"
  "  {\"role\": \"tool\", \"tool_call_id\": \"call12345\", \"content\": \"{\\\"t\\\": 18}\"}]}";

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *src = g_strndup ((const char *) data, size);
  g_autoptr(HearthJsonValue) ctx = hearth_json_parse (context_json, -1, NULL);
  g_autoptr(HearthJinjaTemplate) tmpl = NULL;
  g_autoptr(HearthToolCalls) calls = NULL;
  HearthJinjaLimits limits;

  tmpl = hearth_jinja_template_new (src, NULL);
  if (tmpl != NULL)
    {
      hearth_jinja_limits_init (&limits);
      limits.max_loop_iterations = 20000;
      limits.max_output_bytes = 1 << 20;
      hearth_jinja_template_set_limits (tmpl, &limits);
      g_free (hearth_jinja_template_render (tmpl, ctx, NULL));
    }
  calls = hearth_tool_calls_parse ((const char *) data, (gssize) size, HEARTH_TOOL_CALL_FORMAT_AUTO,
                                   hearth_json_object_get (ctx, "tools"), NULL);
  return 0;
}
