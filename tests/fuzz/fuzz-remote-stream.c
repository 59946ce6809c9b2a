/* fuzz-remote-stream.c: libFuzzer harness for what a remote model's server streams back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A remote server is untrusted. The input's first byte sets how the rest
 * is cut into reads (1 to 256 bytes, as a network would); the rest is the
 * body of a streamed chat completion, fed through the SSE parser
 * (hearth-remote-sse.h) into the reply being assembled
 * (hearth-remote-stream.h), exactly as the remote responder does, until
 * the stream ends, fails or runs out. Then the tool calls are read back
 * against a fixed tool. The bounds must hold (text and arguments, names,
 * the number of calls), the text must be valid UTF-8, and nothing may
 * crash, leak or complain (hearth-fuzz.h).
 */
#include "hearth-fuzz.h"
#include "hearth-remote-responder.h"
#include "hearth-remote-sse.h"
#include "hearth-remote-stream.h"

#define TOOLS "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": " \
              "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]"

typedef struct
{
  HearthRemoteStream *stream;
  GError             *failure;
  guint               events_after_end;
  gboolean            ended;
} Feed;

static gboolean
on_event (const char *data,
          gsize       len,
          gpointer    user_data)
{
  Feed *f = user_data;
  const char *content = NULL;

  if (f->ended)
    f->events_after_end++;
  g_assert (data[len] == '\0');
  if (!hearth_remote_stream_take (f->stream, data, len, &content, &f->failure))
    {
      g_assert (content == NULL);
      g_assert ((f->failure != NULL) != hearth_remote_stream_get_done (f->stream));
      if (f->failure != NULL)
        hearth_fuzz_check_error (f->failure, 0);
      f->ended = TRUE;
      return FALSE;
    }
  g_assert (f->failure == NULL);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(HearthRemoteStream) stream = NULL;
  g_autoptr(HearthSseParser) parser = NULL;
  g_autoptr(HearthToolCalls) calls = NULL;
  Feed f = { 0 };
  gsize step, text_len;
  const char *text;

  hearth_fuzz_maybe_selftest ();
  if (size == 0)
    return 0;
  step = (gsize) data[0] + 1;
  stream = hearth_remote_stream_new ("fuzz.example");
  f.stream = stream;
  parser = hearth_sse_parser_new (HEARTH_REMOTE_MAX_LINE, HEARTH_REMOTE_MAX_EVENT, on_event, &f);
  for (gsize at = 1; at < size && !hearth_sse_parser_get_stopped (parser); at += step)
    {
      g_autoptr(GError) error = NULL;

      if (!hearth_sse_parser_feed (parser, (const char *) data + at, MIN (step, size - at), &error))
        {
          hearth_fuzz_check_error (error, 0);
          break;
        }
    }
  g_assert (f.events_after_end == 0);
  text = hearth_remote_stream_get_text (stream, &text_len);
  g_assert (text_len <= HEARTH_REMOTE_MAX_TEXT && g_utf8_validate (text, (gssize) text_len, NULL));
  g_assert (hearth_remote_stream_get_n_calls (stream) <= HEARTH_REMOTE_MAX_TOOL_CALLS + 1);
  calls = hearth_remote_stream_dup_calls (stream, TOOLS);
  g_clear_error (&f.failure);
  return 0;
}
