/* hearth-remote-sse.c: a bounded parser of server-sent events (text/event-stream)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-remote-sse.h"

G_DEFINE_QUARK (hearth-sse-error-quark, hearth_sse_error)

struct _HearthSseParser
{
  gsize              max_line;
  gsize              max_event;
  HearthSseEventFunc func;
  gpointer           user_data;
  GString           *line;
  GString           *data;
  gboolean           has_data;   /* a data: line was read since the last event */
  gboolean           after_cr;   /* the last byte was '\r': a '\n' now ends nothing */
  gboolean           stopped;
  gboolean           failed;
};

HearthSseParser *
hearth_sse_parser_new (gsize              max_line,
                       gsize              max_event,
                       HearthSseEventFunc func,
                       gpointer           user_data)
{
  HearthSseParser *self = g_new0 (HearthSseParser, 1);

  self->max_line = max_line;
  self->max_event = max_event;
  self->func = func;
  self->user_data = user_data;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  return self;
}

void
hearth_sse_parser_free (HearthSseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_free (self);
}

gboolean
hearth_sse_parser_get_stopped (HearthSseParser *self)
{
  return self->stopped;
}

/* One complete line (without its end). */
static gboolean
take_line (HearthSseParser *self,
           GError         **error)
{
  const char *l = self->line->str;
  const char *value;

  if (self->line->len == 0)
    {
      if (self->has_data)
        {
          self->has_data = FALSE;
          if (!self->func (self->data->str, self->data->len, self->user_data))
            self->stopped = TRUE;
          g_string_truncate (self->data, 0);
        }
      return TRUE;
    }
  if (l[0] == ':' || !g_str_has_prefix (l, "data") || (l[4] != ':' && l[4] != '\0'))
    return TRUE;
  value = l[4] == ':' ? l + 5 : l + 4;
  if (*value == ' ')
    value++;
  if (self->has_data)
    g_string_append_c (self->data, '\n');
  g_string_append (self->data, value);
  self->has_data = TRUE;
  if (self->data->len > self->max_event)
    {
      g_set_error (error, HEARTH_SSE_ERROR, HEARTH_SSE_ERROR_TOO_LONG,
                   "An event of the stream is longer than %" G_GSIZE_FORMAT " bytes", self->max_event);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_sse_parser_feed (HearthSseParser *self,
                        const char      *bytes,
                        gsize            len,
                        GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->failed)
    {
      g_set_error_literal (error, HEARTH_SSE_ERROR, HEARTH_SSE_ERROR_TOO_LONG, "The stream was refused before");
      return FALSE;
    }
  for (gsize i = 0; i < len && !self->stopped; i++)
    {
      char c = bytes[i];
      gboolean was_cr = self->after_cr;

      self->after_cr = c == '\r';
      if (c == '\n' && was_cr)
        continue;
      if (c == '\r' || c == '\n')
        {
          gboolean ok = take_line (self, error);

          g_string_truncate (self->line, 0);
          if (!ok)
            {
              self->failed = TRUE;
              return FALSE;
            }
          continue;
        }
      if (self->line->len >= self->max_line)
        {
          g_set_error (error, HEARTH_SSE_ERROR, HEARTH_SSE_ERROR_TOO_LONG,
                       "A line of the stream is longer than %" G_GSIZE_FORMAT " bytes", self->max_line);
          self->failed = TRUE;
          return FALSE;
        }
      g_string_append_c (self->line, c);
    }
  return TRUE;
}
