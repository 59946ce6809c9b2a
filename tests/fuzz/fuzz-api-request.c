/* fuzz-api-request.c: libFuzzer harness for the local API's request bodies (POST /v1/chat/completions and /v1/completions)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input's first byte picks the endpoint ('c': chat, anything else:
 * completions); the rest is the body any local program may send. A body
 * that is JSON is read into a job the way the server does
 * (hearth-api-request.h): either it is accepted, with messages that hold
 * valid UTF-8 within the message limit, or it is refused with a 400 that
 * has a message and a type. Nothing may crash, leak or complain
 * (hearth-fuzz.h).
 */
#include <json-glib/json-glib.h>

#include "hearth-api-request.h"
#include "hearth-fuzz.h"
#include "hearth-responder.h"

#define FUZZ_MAX_MESSAGES 16

static void
check_job (const HearthApiJob *job)
{
  if (job->kind == HEARTH_API_JOB_CHAT)
    {
      g_assert (job->messages != NULL && job->messages->len <= FUZZ_MAX_MESSAGES);
      for (guint i = 0; i < job->messages->len; i++)
        {
          const HearthWorkerMessage *m = g_ptr_array_index (job->messages, i);

          g_assert (m->content == NULL || g_utf8_validate (m->content, -1, NULL));
          g_assert (m->tool_call_id == NULL || g_utf8_validate (m->tool_call_id, -1, NULL));
        }
    }
  else
    g_assert (job->prompt != NULL && g_utf8_validate (job->prompt, -1, NULL));
  g_assert (job->tools_json == NULL || g_utf8_validate (job->tools_json, -1, NULL));
  for (guint i = 0; job->stop != NULL && job->stop[i] != NULL; i++)
    g_assert (g_utf8_validate (job->stop[i], -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(HearthApiJob) job = NULL;
  HearthApiRequestInfo info = { 0 };
  HearthApiError api = { 0 };
  HearthApiJobKind kind;
  gboolean ok;

  hearth_fuzz_maybe_selftest ();
  if (size == 0)
    return 0;
  kind = data[0] == 'c' ? HEARTH_API_JOB_CHAT : HEARTH_API_JOB_COMPLETION;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) data + 1, (gssize) size - 1, NULL))
    return 0;  /* the server answers 400 before reading any field */
  job = hearth_api_job_new (kind);
  ok = kind == HEARTH_API_JOB_CHAT
         ? hearth_api_parse_chat (json_parser_get_root (parser), FUZZ_MAX_MESSAGES, job, &info, &api)
         : hearth_api_parse_completion (json_parser_get_root (parser), job, &info, &api);
  if (ok)
    {
      g_assert (api.status == 0);
      check_job (job);
      g_assert (info.model == NULL || g_utf8_validate (info.model, -1, NULL));
    }
  else
    {
      g_assert (api.status == 400);
      g_assert (api.message != NULL && api.message[0] != '\0' && g_utf8_validate (api.message, -1, NULL));
      g_assert (api.type != NULL);
    }
  hearth_api_request_info_clear (&info);
  hearth_api_error_clear (&api);
  return 0;
}
