/* hearth-api-embed.h: POST /v1/embeddings bodies read, and answers written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads the JSON of an embeddings request (input as a string, an array of
 * strings, an array of token ids or an array of such arrays;
 * encoding_format "float" or "base64") into texts or token sequences for
 * hearth_model_embed(), or into an error in OpenAI's shape; writes the
 * engine's vectors back as OpenAI's list of embeddings, base64 being the
 * little-endian float32 bytes. Pure functions; any thread.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hearth-engine.h"
#include "hearth-api-request.h"

G_BEGIN_DECLS

/* Inputs one request may carry (OpenAI's own limit). */
#define HEARTH_API_EMBED_MAX_INPUTS 2048

typedef struct
{
  char      *model;   /* the "model" field (owned) */
  GPtrArray *texts;   /* char*: the inputs as text; NULL when given as tokens */
  GPtrArray *seqs;    /* GArray of gint32: the inputs as token ids; NULL when text */
  gboolean   base64;  /* encoding_format "base64" */
} HearthApiEmbedRequest;

void     hearth_api_embed_request_clear (HearthApiEmbedRequest *req);
/* Fills @req, or @error (status 400) naming the field at fault. */
gboolean hearth_api_parse_embeddings (JsonNode              *root,
                                      guint                  max_inputs,
                                      HearthApiEmbedRequest *req,
                                      HearthApiError        *error);
gsize    hearth_api_embed_request_get_n_inputs (const HearthApiEmbedRequest *req);
/* {"object": "list", "data": [...], "model", "usage"} */
char    *hearth_api_embeddings_to_json (HearthEmbeddings *embeddings,
                                        const char       *model,
                                        gboolean          base64);

G_END_DECLS
