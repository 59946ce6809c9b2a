/* hearth-api-embed.c: POST /v1/embeddings bodies read, and answers written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See hearth-api-embed.h. Floats go out as JSON doubles that hold the
 * float32 exactly (a client that rounds them to float32 gets the engine's
 * bits back); base64 carries those bits themselves.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-api-embed.h"

void
hearth_api_embed_request_clear (HearthApiEmbedRequest *req)
{
  g_clear_pointer (&req->model, g_free);
  g_clear_pointer (&req->texts, g_ptr_array_unref);
  g_clear_pointer (&req->seqs, g_ptr_array_unref);
  req->base64 = FALSE;
}

gsize
hearth_api_embed_request_get_n_inputs (const HearthApiEmbedRequest *req)
{
  if (req->texts != NULL)
    return req->texts->len;
  return req->seqs != NULL ? req->seqs->len : 0;
}

/* A JSON integer that is a token id (>= 0, fits gint32); the vocabulary
 * check is the engine's. */
static gboolean
token_of (JsonNode *node,
          gint32   *id)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || v > G_MAXINT32)
    return FALSE;
  *id = (gint32) v;
  return TRUE;
}

static GArray *
seq_of (JsonArray *array)
{
  GArray *seq = g_array_sized_new (FALSE, FALSE, sizeof (gint32), json_array_get_length (array));

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      gint32 id;

      if (!token_of (json_array_get_element (array, i), &id))
        {
          g_array_unref (seq);
          return NULL;
        }
      g_array_append_val (seq, id);
    }
  return seq;
}

static gboolean
parse_input (JsonNode              *input,
             guint                  max_inputs,
             HearthApiEmbedRequest *req,
             HearthApiError        *error)
{
  JsonArray *array;
  guint n;
  JsonNode *first;

  if (JSON_NODE_HOLDS_VALUE (input) && json_node_get_value_type (input) == G_TYPE_STRING)
    {
      req->texts = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (req->texts, g_strdup (json_node_get_string (input)));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (input))
    goto bad;
  array = json_node_get_array (input);
  n = json_array_get_length (array);
  if (n == 0)
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "invalid_value", "input",
                            "'input' is an empty array: give at least one text");
      return FALSE;
    }
  first = json_array_get_element (array, 0);
  /* An array of token ids: one input. */
  if (JSON_NODE_HOLDS_VALUE (first) && json_node_get_value_type (first) == G_TYPE_INT64)
    {
      GArray *seq = seq_of (array);

      if (seq == NULL)
        goto bad;
      req->seqs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
      g_ptr_array_add (req->seqs, seq);
      return TRUE;
    }
  if (n > max_inputs)
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "invalid_value", "input",
                            "'input' holds %u inputs, more than the %u one request may carry", n, max_inputs);
      return FALSE;
    }
  if (JSON_NODE_HOLDS_ARRAY (first))
    {
      req->seqs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
      for (guint i = 0; i < n; i++)
        {
          JsonNode *e = json_array_get_element (array, i);
          GArray *seq = JSON_NODE_HOLDS_ARRAY (e) ? seq_of (json_node_get_array (e)) : NULL;

          if (seq == NULL)
            goto bad;
          if (seq->len == 0)
            {
              g_array_unref (seq);
              hearth_api_error_set (error, 400, "invalid_request_error", "invalid_value", "input",
                                    "'input[%u]' is an empty array of tokens", i);
              return FALSE;
            }
          g_ptr_array_add (req->seqs, seq);
        }
      return TRUE;
    }
  req->texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        goto bad;
      g_ptr_array_add (req->texts, g_strdup (json_node_get_string (e)));
    }
  return TRUE;

bad:
  g_clear_pointer (&req->texts, g_ptr_array_unref);
  g_clear_pointer (&req->seqs, g_ptr_array_unref);
  hearth_api_error_set (error, 400, "invalid_request_error", "invalid_type", "input",
                        "'input' must be a string, an array of strings, an array of token ids "
                        "or an array of arrays of token ids");
  return FALSE;
}

gboolean
hearth_api_parse_embeddings (JsonNode              *root,
                             guint                  max_inputs,
                             HearthApiEmbedRequest *req,
                             HearthApiError        *error)
{
  JsonObject *o;
  JsonNode *node;

  memset (req, 0, sizeof *req);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "invalid_type", NULL,
                            "The request body must be a JSON object");
      return FALSE;
    }
  o = json_node_get_object (root);
  node = json_object_get_member (o, "model");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "missing_required_parameter", "model",
                            "'model' is required: the name of an embedding model GET /v1/models lists");
      return FALSE;
    }
  req->model = g_strdup (json_node_get_string (node));
  node = json_object_get_member (o, "encoding_format");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      const char *format = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
                             ? json_node_get_string (node) : NULL;

      if (g_strcmp0 (format, "base64") == 0)
        req->base64 = TRUE;
      else if (g_strcmp0 (format, "float") != 0)
        {
          hearth_api_error_set (error, 400, "invalid_request_error", "invalid_value", "encoding_format",
                                "'encoding_format' must be \"float\" or \"base64\"");
          goto fail;
        }
    }
  node = json_object_get_member (o, "dimensions");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "unsupported_parameter", "dimensions",
                            "'dimensions' is not supported: the vectors have the model's own size");
      goto fail;
    }
  node = json_object_get_member (o, "input");
  if (node == NULL)
    {
      hearth_api_error_set (error, 400, "invalid_request_error", "missing_required_parameter", "input",
                            "'input' is required");
      goto fail;
    }
  if (!parse_input (node, max_inputs, req, error))
    goto fail;
  return TRUE;

fail:
  hearth_api_embed_request_clear (req);
  return FALSE;
}

char *
hearth_api_embeddings_to_json (HearthEmbeddings *embeddings,
                               const char       *model,
                               gboolean          base64)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  guint32 n_embd = hearth_embeddings_get_n_embd (embeddings);
  guint64 tokens = hearth_embeddings_get_total_tokens (embeddings);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "object");
  json_builder_add_string_value (b, "list");
  json_builder_set_member_name (b, "data");
  json_builder_begin_array (b);
  for (gsize i = 0; i < hearth_embeddings_get_n_texts (embeddings); i++)
    {
      const float *v = hearth_embeddings_get_vector (embeddings, i, NULL);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "object");
      json_builder_add_string_value (b, "embedding");
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, (gint64) i);
      json_builder_set_member_name (b, "embedding");
      if (base64)
        {
          g_autofree guint32 *le = g_new (guint32, n_embd);
          g_autofree char *text = NULL;

          for (guint32 c = 0; c < n_embd; c++)
            {
              guint32 bits;

              memcpy (&bits, &v[c], sizeof bits);
              le[c] = GUINT32_TO_LE (bits);
            }
          text = g_base64_encode ((const guchar *) le, (gsize) n_embd * sizeof (guint32));
          json_builder_add_string_value (b, text);
        }
      else
        {
          json_builder_begin_array (b);
          for (guint32 c = 0; c < n_embd; c++)
            json_builder_add_double_value (b, (double) v[c]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model);
  json_builder_set_member_name (b, "usage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "prompt_tokens");
  json_builder_add_int_value (b, (gint64) tokens);
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, (gint64) tokens);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}
