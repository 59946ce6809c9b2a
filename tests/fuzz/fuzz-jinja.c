/* fuzz-jinja.c: libFuzzer harness for the chat template interpreter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a template: it is parsed and, when accepted, rendered over a
 * conversation with tools and a tool call (with tight limits, so runaway
 * loops end quickly). Anything may fail, with a GError; nothing may crash,
 * leak or complain (hearth-fuzz.h). The tool-call parser has its own
 * harness (fuzz-tool-call.c).
 */
#include "hearth-fuzz.h"

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
  HearthJinjaLimits limits;
  g_autoptr(GError) error = NULL;

  hearth_fuzz_maybe_selftest ();
  tmpl = hearth_jinja_template_new (src, &error);
  if (tmpl == NULL)
    hearth_fuzz_check_error (error, 0);
  else
    {
      g_autofree char *out = NULL;

      hearth_jinja_limits_init (&limits);
      limits.max_loop_iterations = 20000;
      limits.max_output_bytes = 1 << 20;
      hearth_jinja_template_set_limits (tmpl, &limits);
      out = hearth_jinja_template_render (tmpl, ctx, &error);
      if (out == NULL)
        hearth_fuzz_check_error (error, 0);
    }
  return 0;
}
