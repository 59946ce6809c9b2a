/* hearth-jinja-render.c: the errors of one rendering
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of the evaluator so that the builtins can fail a rendering without
 * calling back into the file that calls them.
 */
#include "hearth-jinja-render.h"
#include "hearth-engine-error.h"

gboolean
jinja_fail (JinjaRender *r,
            Node        *at,
            int          code,
            const char  *format,
            ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  if (r->error != NULL)
    return FALSE;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  jinja_set_error (r->t, &r->error, code, at ? at->offset : 0, "%s", msg);
  return FALSE;
}

/* Raises the UndefinedError an undefined value carries. */
gboolean
jinja_fail_undefined (JinjaRender           *r,
                      Node                  *at,
                      const HearthJsonValue *undef)
{
  return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "UndefinedError: %s", undef->u.undef.hint);
}

gboolean
jinja_check_size (JinjaRender *r,
                  Node        *at,
                  gsize        len)
{
  if (len > r->t->limits.max_output_bytes)
    return jinja_fail (r, at, HEARTH_ENGINE_ERROR_LIMIT,
                       "LimitError: text longer than %" G_GSIZE_FORMAT " bytes",
                       r->t->limits.max_output_bytes);
  return TRUE;
}
