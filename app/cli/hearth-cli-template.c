/* hearth-cli-template.c: `hearth-cli template (-m FILE.gguf | --template FILE.jinja) --context FILE.json`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints a chat template's rendering exactly as rendered (no newline added).
 * The context file is a JSON object whose members are the template's
 * variables; with -m the model's own template is used and bos_token /
 * eos_token default to the model's BOS and EOS pieces.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

/* The piece of the token whose id is stored under @id_key, or NULL. */
static char *
dup_token_piece (HearthGguf *gguf,
                 const char *id_key,
                 GError    **error)
{
  const HearthGgufValue *tokens;
  guint32 id;
  const char *piece;
  guint64 len;

  if (hearth_gguf_find (gguf, id_key) == NULL)
    return NULL;
  if (!hearth_gguf_get_uint32 (gguf, id_key, &id, error))
    return NULL;
  tokens = hearth_gguf_get_array (gguf, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, error);
  if (tokens == NULL)
    return NULL;
  if (id >= tokens->v.arr.n)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%s = %u is beyond the %" G_GUINT64_FORMAT " tokens", id_key, id, tokens->v.arr.n);
      return NULL;
    }
  piece = hearth_gguf_array_get_string (tokens, id, &len);
  return g_utf8_make_valid (piece, (gssize) len);
}

static gboolean
parse_now (const char *text,
           GDateTime **out)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();

  *out = g_date_time_new_from_iso8601 (text, local);
  return *out != NULL;
}

int
hearth_cli_template (int    argc,
                     char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *template_path = NULL;
  g_autofree char *context_path = NULL;
  g_autofree char *now_text = NULL;
  int repeat = 0;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "Use this model's chat template", "FILE.gguf" },
    { "template", 0, 0, G_OPTION_ARG_FILENAME, &template_path, "Use this template file", "FILE.jinja" },
    { "context", 0, 0, G_OPTION_ARG_FILENAME, &context_path, "The template's variables (a JSON object)", "FILE.json" },
    { "now", 0, 0, G_OPTION_ARG_STRING, &now_text, "The time strftime_now() sees (ISO 8601, local time)", "TIME" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "Also parse and render N more times and print the time per run on stderr", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- render a chat template");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJsonValue) context = NULL;
  g_autoptr(HearthJinjaTemplate) tmpl = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *source = NULL;
  g_autofree char *context_text = NULL;
  g_autofree char *rendered = NULL;
  gsize context_len;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!hearth_cli_parse (options, &argc, &argv))
    return 2;
  if (argc != 1 || (model_path == NULL) == (template_path == NULL) || context_path == NULL)
    {
      hearth_cli_failf ("template needs one of -m FILE.gguf or --template FILE.jinja, and --context FILE.json");
      return 2;
    }
  if (now_text != NULL && !parse_now (now_text, &now))
    {
      hearth_cli_failf ("--now: '%s' is not an ISO 8601 time", now_text);
      return 2;
    }

  if (!g_file_get_contents (context_path, &context_text, &context_len, &error))
    return hearth_cli_fail (error);
  context = hearth_json_parse (context_text, (gssize) context_len, &error);
  if (context == NULL)
    {
      g_prefix_error (&error, "%s: ", context_path);
      return hearth_cli_fail (error);
    }
  if (hearth_json_get_type (context) != HEARTH_JSON_OBJECT)
    return hearth_cli_failf ("%s: the context must be a JSON object", context_path);

  if (model_path != NULL)
    {
      g_autoptr(HearthGguf) gguf = hearth_gguf_open (model_path, &error);
      static const char *const specials[][2] = {
        { "bos_token", "tokenizer.ggml.bos_token_id" },
        { "eos_token", "tokenizer.ggml.eos_token_id" },
      };

      if (gguf == NULL)
        return hearth_cli_fail (error);
      source = hearth_jinja_dup_gguf_template (gguf, NULL);
      for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
        {
          char *piece;
          if (hearth_json_object_get (context, specials[i][0]) != NULL)
            continue;
          piece = dup_token_piece (gguf, specials[i][1], &error);
          if (error != NULL)
            return hearth_cli_fail (error);
          if (piece != NULL)
            hearth_json_object_set (context, specials[i][0], hearth_json_new_string (piece, -1));
          g_free (piece);
        }
    }
  else
    {
      gsize len;
      if (!g_file_get_contents (template_path, &source, &len, &error))
        return hearth_cli_fail (error);
      if (strlen (source) != len)
        return hearth_cli_failf ("%s: the template holds a NUL byte", template_path);
    }

  tmpl = hearth_jinja_template_new (source, &error);
  if (tmpl == NULL)
    return hearth_cli_fail (error);
  if (now != NULL)
    hearth_jinja_template_set_now (tmpl, now);
  rendered = hearth_jinja_template_render (tmpl, context, &error);
  if (rendered == NULL)
    return hearth_cli_fail (error);
  if (repeat > 0)
    {
      gint64 t0 = g_get_monotonic_time (), t1, t2;

      for (int i = 0; i < repeat; i++)
        hearth_jinja_template_unref (hearth_jinja_template_new (source, NULL));
      t1 = g_get_monotonic_time ();
      for (int i = 0; i < repeat; i++)
        g_free (hearth_jinja_template_render (tmpl, context, NULL));
      t2 = g_get_monotonic_time ();
      fprintf (stderr, "%d runs: parse %.1f us, render %.1f us per run (%zu bytes of template, %zu rendered)\n",
               repeat, (double) (t1 - t0) / repeat, (double) (t2 - t1) / repeat, strlen (source), strlen (rendered));
    }
  fwrite (rendered, 1, strlen (rendered), stdout);
  return fflush (stdout) == 0 ? 0 : 1;
}
