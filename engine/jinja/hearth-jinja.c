/* hearth-jinja.c: chat template objects, limits and the default template
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-jinja-private.h"
#include "hearth-engine-error.h"

#include <string.h>

/* ChatML, for models that ship no template. Documented in hearth-jinja.h. */
static const char default_template[] =
  "{%- for message in messages -%}\n"
  "{{- '<|im_start|>' + message['role'] + '\\n' -}}\n"
  "{%- if message['content'] is string -%}{{- message['content'] -}}{%- endif -%}\n"
  "{{- '<|im_end|>\\n' -}}\n"
  "{%- endfor -%}\n"
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}\n";

/* Jinja2 reads a template through str.splitlines() and joins the lines with
 * "\n": every line break becomes "\n" and one final line break is dropped
 * (keep_trailing_newline is off under Hugging Face). */
static char *
normalize_newlines (const char *source,
                    gsize      *out_len)
{
  GString *out = g_string_sized_new (strlen (source));

  for (const guchar *p = (const guchar *) source; *p;)
    {
      if (p[0] == '\r' && p[1] == '\n')
        {
          g_string_append_c (out, '\n');
          p += 2;
        }
      else if (*p == '\r' || *p == '\n' || *p == '\v' || *p == '\f' || (*p >= 0x1c && *p <= 0x1e))
        {
          g_string_append_c (out, '\n');
          p++;
        }
      else if (p[0] == 0xC2 && p[1] == 0x85)
        {
          g_string_append_c (out, '\n');
          p += 2;
        }
      else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        {
          g_string_append_c (out, '\n');
          p += 3;
        }
      else
        g_string_append_c (out, (char) *p++);
    }
  if (out->len > 0 && out->str[out->len - 1] == '\n')
    g_string_truncate (out, out->len - 1);
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

void
hearth_jinja_limits_init (HearthJinjaLimits *limits)
{
  g_return_if_fail (limits != NULL);
  limits->max_output_bytes = 4 * 1024 * 1024;
  limits->max_loop_iterations = 1000000;
  limits->max_call_depth = 64;
}

HearthJinjaTemplate *
hearth_jinja_template_new (const char *source,
                           GError    **error)
{
  g_autoptr(HearthJinjaTemplate) t = NULL;
  g_autoptr(GArray) tokens = NULL;
  g_autoptr(GPtrArray) strings = NULL;

  g_return_val_if_fail (source != NULL, NULL);
  t = g_new0 (HearthJinjaTemplate, 1);
  g_atomic_ref_count_init (&t->ref_count);
  t->source = normalize_newlines (source, &t->source_len);
  t->interned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  t->line_starts = g_array_new (FALSE, FALSE, sizeof (guint));
  hearth_jinja_limits_init (&t->limits);

  if (t->source_len > G_MAXUINT / 2)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT, "template too large");
      return NULL;
    }
  {
    guint zero = 0;
    g_array_append_val (t->line_starts, zero);
    for (guint i = 0; i < t->source_len; i++)
      if (t->source[i] == '\n')
        {
          guint next = i + 1;
          g_array_append_val (t->line_starts, next);
        }
  }
  if (!g_utf8_validate (t->source, (gssize) t->source_len, NULL))
    {
      const char *end;
      g_utf8_validate (t->source, (gssize) t->source_len, &end);
      jinja_set_error (t, error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) (end - t->source),
                       "TemplateSyntaxError: template is not valid UTF-8");
      return NULL;
    }

  tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  strings = g_ptr_array_new_with_free_func (g_free);
  if (!jinja_lex (t, tokens, strings, error))
    return NULL;
  if (!jinja_parse (t, tokens, error))
    return NULL;
  return g_steal_pointer (&t);
}

HearthJinjaTemplate *
hearth_jinja_template_ref (HearthJinjaTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_jinja_template_unref (HearthJinjaTemplate *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->body, g_ptr_array_unref);
  g_clear_pointer (&self->nodes, g_ptr_array_unref);
  g_clear_pointer (&self->interned, g_hash_table_unref);
  g_clear_pointer (&self->line_starts, g_array_unref);
  g_clear_pointer (&self->now, g_date_time_unref);
  g_free (self->source);
  g_free (self);
}

void
hearth_jinja_template_set_limits (HearthJinjaTemplate     *self,
                                  const HearthJinjaLimits *limits)
{
  g_return_if_fail (self != NULL && limits != NULL);
  self->limits = *limits;
}

void
hearth_jinja_template_set_now (HearthJinjaTemplate *self,
                               GDateTime           *now)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->now, g_date_time_unref);
  if (now != NULL)
    self->now = g_date_time_ref (now);
}

char *
hearth_jinja_template_render (HearthJinjaTemplate *self,
                              HearthJsonValue     *context,
                              GError             **error)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (context != NULL && hearth_json_get_type (context) != HEARTH_JSON_OBJECT)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "the template context must be a JSON object");
      return NULL;
    }
  return jinja_render (self, context, error);
}

const char *
hearth_jinja_get_default_template (void)
{
  return default_template;
}

char *
hearth_jinja_dup_gguf_template (HearthGguf *gguf,
                                gboolean   *is_default)
{
  const HearthGgufValue *v;

  g_return_val_if_fail (gguf != NULL, NULL);
  v = hearth_gguf_find (gguf, "tokenizer.chat_template");
  if (v != NULL && v->type == HEARTH_GGUF_TYPE_STRING)
    {
      if (is_default != NULL)
        *is_default = FALSE;
      return g_strndup (v->v.str.data, v->v.str.len);
    }
  if (is_default != NULL)
    *is_default = TRUE;
  return g_strdup (default_template);
}
