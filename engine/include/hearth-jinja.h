/* hearth-jinja.h: the chat template interpreter (a Jinja2 subset)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Renders a model's tokenizer.chat_template the way Hugging Face transformers
 * does: trim_blocks and lstrip_blocks on, {% break %}/{% continue %}, tojson
 * without ASCII escaping, and the globals raise_exception(), strftime_now(),
 * namespace(), range() and dict(). Values come from a HearthJsonValue object
 * whose members are the template's variables.
 *
 * Errors are HEARTH_ENGINE_ERROR_TEMPLATE (HEARTH_ENGINE_ERROR_LIMIT when a
 * limit is hit) with a message "line L, column C: Kind: text", where Kind is
 * the Python exception a Jinja2 runtime would raise (TemplateSyntaxError,
 * UndefinedError, TypeError, TemplateError for raise_exception(), ...).
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-gguf.h"
#include "hearth-json.h"

G_BEGIN_DECLS

typedef struct _HearthJinjaTemplate HearthJinjaTemplate;

typedef struct
{
  gsize   max_output_bytes;    /* the rendered text, and any one string built while rendering */
  guint64 max_loop_iterations; /* all loop iterations of one render together */
  guint   max_call_depth;      /* nested macro calls */
} HearthJinjaLimits;

/* Defaults: 4 MiB of output, 1,000,000 iterations, call depth 64. */
void hearth_jinja_limits_init (HearthJinjaLimits *limits);

HearthJinjaTemplate *hearth_jinja_template_new (const char *source, GError **error);
HearthJinjaTemplate *hearth_jinja_template_ref (HearthJinjaTemplate *self);
void                 hearth_jinja_template_unref (HearthJinjaTemplate *self);

void hearth_jinja_template_set_limits (HearthJinjaTemplate *self, const HearthJinjaLimits *limits);
/* The time strftime_now() formats, as a local wall-clock time; NULL (the
 * default) means the current local time at each render. */
void hearth_jinja_template_set_now (HearthJinjaTemplate *self, GDateTime *now);

/* @context: a JSON object; its members are the template's variables. A member
 * that is absent is undefined in the template (not none). The template and
 * the context are not modified, so one template may render on several
 * threads at once. */
char *hearth_jinja_template_render (HearthJinjaTemplate *self,
                                    HearthJsonValue     *context,
                                    GError             **error);

/* The template used for a model without tokenizer.chat_template: ChatML.
 *   <|im_start|>{role}\n{content}<|im_end|>\n   for each message, then
 *   <|im_start|>assistant\n                     when add_generation_prompt.
 * A message whose content is not a string (none, or a list of parts) gets an
 * empty content. */
const char *hearth_jinja_get_default_template (void);

/* The model's tokenizer.chat_template, or a copy of the default template
 * when the file has none (@is_default tells which). */
char *hearth_jinja_dup_gguf_template (HearthGguf *gguf, gboolean *is_default);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthJinjaTemplate, hearth_jinja_template_unref)

G_END_DECLS
