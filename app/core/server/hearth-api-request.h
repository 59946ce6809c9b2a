/* hearth-api-request.h: OpenAI request bodies read into API jobs, and API errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Turns the JSON of POST /v1/chat/completions and /v1/completions into a
 * HearthApiJob (messages, tools, sampler, limits), or into an error in the
 * shape OpenAI answers with: an HTTP status, a message, a type, a code and
 * the parameter at fault. Pure functions; any thread.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hearth-api-pool.h"

G_BEGIN_DECLS

typedef struct
{
  guint status;      /* 0: no error */
  char *message;
  char *type;        /* "invalid_request_error", "authentication_error", ... */
  char *code;        /* may be NULL */
  char *param;       /* may be NULL */
} HearthApiError;

void hearth_api_error_set (HearthApiError *error, guint status, const char *type, const char *code,
                           const char *param, const char *format, ...) G_GNUC_PRINTF (6, 7);
void hearth_api_error_clear (HearthApiError *error);
/* {"error": {"message", "type", "param", "code"}} */
char *hearth_api_error_to_json (const HearthApiError *error);

/* What the server needs beside the job. */
typedef struct
{
  char    *model;          /* the "model" field (owned) */
  gboolean stream;
  gboolean include_usage;  /* stream_options.include_usage */
  gboolean has_tools;      /* tools offered (tool_choice not "none") */
} HearthApiRequestInfo;

void hearth_api_request_info_clear (HearthApiRequestInfo *info);

/* @root: the parsed body. Fills @job (kind CHAT) and @info, or @error
 * (status 400) naming the field at fault. */
gboolean hearth_api_parse_chat (JsonNode             *root,
                                guint                 max_messages,
                                HearthApiJob         *job,
                                HearthApiRequestInfo *info,
                                HearthApiError       *error);
gboolean hearth_api_parse_completion (JsonNode             *root,
                                      HearthApiJob         *job,
                                      HearthApiRequestInfo *info,
                                      HearthApiError       *error);

G_END_DECLS
