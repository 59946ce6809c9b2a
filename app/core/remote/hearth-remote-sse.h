/* hearth-remote-sse.h: a bounded parser of server-sent events (text/event-stream)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bytes go in as they arrive, split anywhere; each event's data (its
 * `data:` lines joined with "\n") comes out through the callback when the
 * blank line that ends it is read. Comments (":") and the other fields
 * (event, id, retry) are skipped. A line longer than @max_line or an event
 * longer than @max_event is an error (HEARTH_SSE_ERROR_TOO_LONG) and the
 * parser takes nothing more: a server cannot make the reader grow without
 * bound. Line ends may be "\n", "\r\n" or "\r".
 *
 * Threading: one parser is used from one thread at a time. The callback
 * runs inside hearth_sse_parser_feed(); returning FALSE stops the parser
 * there (feed returns TRUE, later feeds ignore their bytes).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_SSE_ERROR (hearth_sse_error_quark ())
GQuark hearth_sse_error_quark (void);

typedef enum
{
  HEARTH_SSE_ERROR_TOO_LONG,
} HearthSseError;

/* @data is NUL-terminated (@len bytes); FALSE: take no more events. */
typedef gboolean (*HearthSseEventFunc) (const char *data,
                                        gsize       len,
                                        gpointer    user_data);

typedef struct _HearthSseParser HearthSseParser;

HearthSseParser *hearth_sse_parser_new  (gsize              max_line,
                                         gsize              max_event,
                                         HearthSseEventFunc func,
                                         gpointer           user_data);
void             hearth_sse_parser_free (HearthSseParser *self);
gboolean         hearth_sse_parser_feed (HearthSseParser *self,
                                         const char      *bytes,
                                         gsize            len,
                                         GError         **error);
/* TRUE once the callback returned FALSE. */
gboolean         hearth_sse_parser_get_stopped (HearthSseParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSseParser, hearth_sse_parser_free)

G_END_DECLS
