/* hearth-encoder.c: encoder models (bert, nomic-bert) and hearth_model_embed()
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading checks every key and tensor the encoder pass reads (name, type,
 * shape), as the decoder loader does, so a model that loads runs without
 * further checks. Embedding tokenizes every text first ([CLS] ... [SEP],
 * cut at the context), then packs consecutive texts into passes of at most
 * n_batch_tokens tokens, runs each pass under the model's forward lock and
 * pools and normalises each text's rows from the pass's hidden states.
 * The contract is in hearth-embed.h.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-model-private.h"
#ifdef HEARTH_HAVE_VULKAN
#include "vulkan/hearth-vk-backend.h"
#endif

#define DEFAULT_BATCH_TOKENS 2048
/* More than this many tokens in one pass is refused as a parameter (the
 * scratch memory grows with it). */
#define MAX_BATCH_TOKENS (1u << 20)

struct _HearthEmbeddings
{
  gsize         n_texts;
  guint32       n_embd;
  HearthPooling pooling;
  float        *data;
  gsize        *offset;   /* first float of text i */
  guint32      *n_rows;
  guint32      *n_tokens;
  guint32      *n_full;
  gsize         n_truncated;
  guint64       total_tokens;
};

/* ---- loading ---- */

static gboolean
read_encoder_hparams (HearthModel   *m,
                      HearthEncoder *enc,
                      GError       **error)
{
  HearthHParams *hp = &m->hp;
  g_autofree char *pool_key = g_strdup_printf ("%s.pooling_type", m->architecture);
  g_autofree char *causal_key = g_strdup_printf ("%s.attention.causal", m->architecture);
  gboolean causal = FALSE;
  guint32 pooling;

  if (!hearth_model_get_arch_u32 (m, "context_length", TRUE, 0, &hp->n_ctx_train, error) ||
      !hearth_model_get_arch_u32 (m, "embedding_length", TRUE, 0, &hp->n_embd, error) ||
      !hearth_model_get_arch_u32 (m, "block_count", TRUE, 0, &hp->n_layer, error) ||
      !hearth_model_get_arch_u32 (m, "feed_forward_length", TRUE, 0, &hp->n_ff, error) ||
      !hearth_model_get_arch_u32 (m, "attention.head_count", TRUE, 0, &hp->n_head, error) ||
      !hearth_model_get_arch_float (m, "attention.layer_norm_epsilon", 1e-12, &hp->rms_eps, error) ||
      !hearth_model_get_arch_float (m, "rope.freq_base", 10000.0, &hp->rope_freq_base, error) ||
      !hearth_gguf_get_bool_or (m->gguf, causal_key, FALSE, &causal, error))
    return FALSE;
  if (hp->n_embd == 0 || hp->n_layer == 0 || hp->n_ff == 0 || hp->n_head == 0 ||
      hp->n_embd % hp->n_head != 0 || hp->n_layer > 4096 || hp->n_embd > (1u << 16) ||
      hp->n_ff > (1u << 20) || hp->n_ctx_train < 2 || hp->n_ctx_train > (1u << 20) ||
      !(hp->rms_eps >= 0.0f) || !(hp->rope_freq_base > 0.0f))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "implausible hyper-parameters: n_embd %u, n_layer %u, n_ff %u, n_head %u, context %u",
                   hp->n_embd, hp->n_layer, hp->n_ff, hp->n_head, hp->n_ctx_train);
      return FALSE;
    }
  if (causal)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s states causal attention; only non-causal encoders are supported", causal_key);
      return FALSE;
    }
  hp->n_head_kv = hp->n_head;
  hp->head_dim = hp->head_dim_v = hp->n_embd / hp->n_head;
  hp->n_rot = hp->head_dim;
  if (hp->n_rot % 2 != 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "head size %u is odd", hp->head_dim);
      return FALSE;
    }
  hp->rope_type = HEARTH_ROPE_NEOX;
  hp->rope_scaling = HEARTH_ROPE_SCALING_NONE;
  hp->rope_freq_scale = 1.0f;

  enc->pooling = HEARTH_POOLING_MODEL;
  if (hearth_gguf_find (m->gguf, pool_key) != NULL)
    {
      if (!hearth_gguf_get_uint32 (m->gguf, pool_key, &pooling, error))
        return FALSE;
      if (pooling > HEARTH_POOLING_LAST)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                       "%s = %u is not a pooling this engine knows (0 none, 1 mean, 2 cls, 3 last)",
                       pool_key, pooling);
          return FALSE;
        }
      enc->pooling = (HearthPooling) pooling;
    }
  else if (enc->kind == HEARTH_ENCODER_NOMIC)
    {
      /* As llama.cpp: nomic-bert files must say how they pool. */
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "key '%s' is missing (nomic-bert files must state their pooling)", pool_key);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_encoder_load (HearthModel      *m,
                     HearthEncoderKind kind,
                     GError          **error)
{
  HearthEncoder *enc = g_new0 (HearthEncoder, 1);
  const HearthHParams *hp = &m->hp;
  const HearthGgufTensor *embd, *types;
  guint64 e, ff;

  m->encoder = enc; /* freed with the model, also on failure */
  enc->kind = kind;
  if (!read_encoder_hparams (m, enc, error))
    return FALSE;
  e = hp->n_embd;
  ff = hp->n_ff;

  embd = hearth_gguf_find_tensor (m->gguf, "token_embd.weight");
  types = hearth_gguf_find_tensor (m->gguf, "token_types.weight");
  if (embd == NULL || types == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "tensor '%s' is missing", embd == NULL ? "token_embd.weight" : "token_types.weight");
      return FALSE;
    }
  if (embd->ne[1] == 0 || embd->ne[1] > G_MAXINT32 || types->ne[1] == 0 || types->ne[1] > 1024)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "token_embd.weight / token_types.weight have implausible row counts");
      return FALSE;
    }
  m->hp.n_vocab = (guint32) embd->ne[1];
  if (!hearth_model_bind_weight (m, &m->tok_embd, "token_embd.weight", e, hp->n_vocab, TRUE, error) ||
      !hearth_model_bind_weight (m, &enc->tok_types, "token_types.weight", e, types->ne[1], TRUE, error) ||
      !hearth_model_bind_weight (m, &enc->embd_norm, "token_embd_norm.weight", e, 0, TRUE, error) ||
      !hearth_model_bind_weight (m, &enc->embd_norm_b, "token_embd_norm.bias", e, 0, TRUE, error) ||
      (kind == HEARTH_ENCODER_BERT &&
       !hearth_model_bind_weight (m, &enc->pos_embd, "position_embd.weight", e, hp->n_ctx_train, TRUE, error)))
    return FALSE;

  enc->layers = g_new0 (HearthEncoderLayer, hp->n_layer);
  for (guint32 il = 0; il < hp->n_layer; il++)
    {
      HearthEncoderLayer *l = &enc->layers[il];
      gboolean bert = kind == HEARTH_ENCODER_BERT;
      char name[HEARTH_GGUF_MAX_NAME + 16];

#define BIND(field, suffix, ne0, ne1, required) \
      (g_snprintf (name, sizeof name, "blk.%u." suffix, il), \
       hearth_model_bind_weight (m, &l->field, name, ne0, ne1, required, error))

      if ((bert && (!BIND (wq, "attn_q.weight", e, e, TRUE) || !BIND (bq, "attn_q.bias", e, 0, TRUE) ||
                    !BIND (wk, "attn_k.weight", e, e, TRUE) || !BIND (bk, "attn_k.bias", e, 0, TRUE) ||
                    !BIND (wv, "attn_v.weight", e, e, TRUE) || !BIND (bv, "attn_v.bias", e, 0, TRUE) ||
                    !BIND (bo, "attn_output.bias", e, 0, TRUE) ||
                    !BIND (b_up, "ffn_up.bias", ff, 0, TRUE) || !BIND (b_down, "ffn_down.bias", e, 0, TRUE))) ||
          (!bert && (!BIND (wqkv, "attn_qkv.weight", e, 3 * e, TRUE) ||
                     !BIND (w_gate, "ffn_gate.weight", e, ff, TRUE))) ||
          !BIND (wo, "attn_output.weight", e, e, TRUE) ||
          !BIND (attn_norm, "attn_output_norm.weight", e, 0, TRUE) ||
          !BIND (attn_norm_b, "attn_output_norm.bias", e, 0, TRUE) ||
          !BIND (w_up, "ffn_up.weight", e, ff, TRUE) ||
          !BIND (w_down, "ffn_down.weight", ff, e, TRUE) ||
          !BIND (out_norm, "layer_output_norm.weight", e, 0, TRUE) ||
          !BIND (out_norm_b, "layer_output_norm.bias", e, 0, TRUE))
        return FALSE;
#undef BIND
    }
  return TRUE;
}

void
hearth_encoder_free (HearthEncoder *enc)
{
  if (enc == NULL)
    return;
  g_free (enc->layers);
  g_free (enc);
}

/* ---- public queries ---- */

void
hearth_embed_params_init (HearthEmbedParams *params)
{
  memset (params, 0, sizeof *params);
  params->pooling = HEARTH_POOLING_MODEL;
}

gboolean
hearth_model_is_encoder (HearthModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->encoder != NULL;
}

HearthPooling
hearth_model_get_pooling (HearthModel *model)
{
  g_return_val_if_fail (model != NULL, HEARTH_POOLING_MODEL);
  return model->encoder != NULL ? model->encoder->pooling : HEARTH_POOLING_MODEL;
}

const char *
hearth_pooling_name (HearthPooling pooling)
{
  switch (pooling)
    {
    case HEARTH_POOLING_NONE: return "none";
    case HEARTH_POOLING_MEAN: return "mean";
    case HEARTH_POOLING_CLS: return "cls";
    case HEARTH_POOLING_LAST: return "last";
    case HEARTH_POOLING_MODEL: return "model";
    default: return "unknown";
    }
}

/* ---- embedding ---- */

/* Pools text rows [0, n) of @hidden into @out (n_rows rows). */
static void
pool_rows (const float  *hidden,
           guint32       n,
           guint32       n_embd,
           HearthPooling pooling,
           gboolean      normalize,
           float        *out)
{
  guint32 n_rows = pooling == HEARTH_POOLING_NONE ? n : 1;

  switch (pooling)
    {
    case HEARTH_POOLING_NONE:
      memcpy (out, hidden, sizeof (float) * n * n_embd);
      break;
    case HEARTH_POOLING_MEAN:
      for (guint32 i = 0; i < n_embd; i++)
        {
          double sum = 0.0;

          for (guint32 t = 0; t < n; t++)
            sum += hidden[(gsize) t * n_embd + i];
          out[i] = (float) (sum / n);
        }
      break;
    case HEARTH_POOLING_CLS:
      memcpy (out, hidden, sizeof (float) * n_embd);
      break;
    case HEARTH_POOLING_LAST:
      memcpy (out, hidden + (gsize) (n - 1) * n_embd, sizeof (float) * n_embd);
      break;
    default:
      g_assert_not_reached ();
    }
  if (!normalize)
    return;
  for (guint32 r = 0; r < n_rows; r++)
    {
      float *v = out + (gsize) r * n_embd;
      double sum = 0.0;

      for (guint32 i = 0; i < n_embd; i++)
        sum += (double) v[i] * v[i];
      /* A zero vector stays zero rather than becoming NaN. */
      if (sum > 0.0)
        {
          float scale = (float) (1.0 / sqrt (sum));

          for (guint32 i = 0; i < n_embd; i++)
            v[i] *= scale;
        }
    }
}

/* Runs @seqs (GArrays of gint32, already cut to the context) and fills @res. */
static gboolean
embed_sequences (HearthModel             *model,
                 GPtrArray               *seqs,
                 const HearthEmbedParams *params,
                 HearthEmbeddings        *res,
                 GCancellable            *cancellable,
                 GError                 **error)
{
  guint32 n_embd = model->hp.n_embd;
  guint32 max_tokens = params->n_batch_tokens ? params->n_batch_tokens : DEFAULT_BATCH_TOKENS;
  guint32 max_texts = params->n_batch ? params->n_batch : G_MAXUINT32;
  gsize total_floats = 0;
  g_autofree float *hidden = NULL;
  g_autofree gint32 *tokens = NULL;
  g_autofree guint32 *starts = NULL;

  max_tokens = MAX (max_tokens, model->hp.n_ctx_train);
  if (max_tokens > MAX_BATCH_TOKENS)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "a pass of %u tokens is more than the %u allowed", max_tokens, MAX_BATCH_TOKENS);
      return FALSE;
    }

  for (gsize i = 0; i < res->n_texts; i++)
    {
      GArray *seq = g_ptr_array_index (seqs, i);

      res->offset[i] = total_floats;
      res->n_tokens[i] = seq->len;
      res->n_rows[i] = res->pooling == HEARTH_POOLING_NONE ? seq->len : 1;
      total_floats += (gsize) res->n_rows[i] * n_embd;
      res->total_tokens += seq->len;
    }
  res->data = g_try_new (float, MAX (total_floats, 1));
  hidden = g_try_new (float, (gsize) max_tokens * n_embd);
  if (res->data == NULL || hidden == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED,
                   "not enough memory for %" G_GSIZE_FORMAT " embeddings", res->n_texts);
      return FALSE;
    }
  tokens = g_new (gint32, max_tokens);
  starts = g_new (guint32, MIN ((gsize) max_tokens, res->n_texts) + 1);

  for (gsize first = 0; first < res->n_texts;)
    {
      gsize last = first;
      guint32 n = 0, n_seqs = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_autoptr(GError) e = *error;

          *error = NULL;
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CANCELLED, "%s", e->message);
          return FALSE;
        }
      /* Pack texts while they fit; a text never spans two passes (each is at
       * most the context, and a pass holds at least one context). */
      while (last < res->n_texts && n_seqs < max_texts)
        {
          GArray *seq = g_ptr_array_index (seqs, last);

          if (n + seq->len > max_tokens)
            break;
          starts[n_seqs++] = n;
          memcpy (tokens + n, seq->data, sizeof (gint32) * seq->len);
          n += seq->len;
          last++;
        }
      starts[n_seqs] = n;

      {
        g_autoptr(GMutexLocker) locker G_GNUC_UNUSED = g_mutex_locker_new (&model->forward_lock);

        hearth_cpu_encode (model, tokens, starts, n_seqs, hidden);
      }

      for (guint32 s = 0; s < n_seqs; s++)
        pool_rows (hidden + (gsize) starts[s] * n_embd, starts[s + 1] - starts[s], n_embd, res->pooling,
                   !params->no_normalize, res->data + res->offset[first + s]);
      first = last;
    }
  return TRUE;
}

static HearthEmbeddings *
embeddings_new (HearthModel             *model,
                gsize                    n_texts,
                const HearthEmbedParams *params,
                GError                 **error)
{
  HearthEmbeddings *res;
  HearthPooling pooling;

  if (model->encoder == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s is not an encoder: it has no embeddings (bert and nomic-bert have)",
                   model->architecture);
      return NULL;
    }
  pooling = params->pooling == HEARTH_POOLING_MODEL ? model->encoder->pooling : params->pooling;
  if (pooling == HEARTH_POOLING_MODEL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "the model file states no pooling (%s.pooling_type); name one", model->architecture);
      return NULL;
    }
  if (pooling < HEARTH_POOLING_NONE || pooling > HEARTH_POOLING_LAST)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "unknown pooling %d", (int) pooling);
      return NULL;
    }
  res = g_new0 (HearthEmbeddings, 1);
  res->n_texts = n_texts;
  res->n_embd = model->hp.n_embd;
  res->pooling = pooling;
  res->offset = g_new0 (gsize, MAX (n_texts, 1));
  res->n_rows = g_new0 (guint32, MAX (n_texts, 1));
  res->n_tokens = g_new0 (guint32, MAX (n_texts, 1));
  res->n_full = g_new0 (guint32, MAX (n_texts, 1));
  return res;
}

/* Cuts @seq to the context, keeping its last token when it is [SEP]. */
static void
truncate_sequence (HearthModel      *model,
                   GArray           *seq,
                   HearthEmbeddings *res,
                   gsize             i)
{
  guint32 n_ctx = model->hp.n_ctx_train;
  gint32 sep = hearth_tokenizer_get_sep (model->tokenizer);

  res->n_full[i] = seq->len;
  if (seq->len <= n_ctx)
    return;
  if (sep >= 0 && g_array_index (seq, gint32, seq->len - 1) == sep)
    {
      g_array_set_size (seq, n_ctx);
      g_array_index (seq, gint32, n_ctx - 1) = sep;
    }
  else
    g_array_set_size (seq, n_ctx);
  res->n_truncated++;
}

HearthEmbeddings *
hearth_model_embed_tokens (HearthModel             *model,
                           GPtrArray               *seqs,
                           const HearthEmbedParams *params,
                           GCancellable            *cancellable,
                           GError                 **error)
{
  g_autoptr(HearthEmbeddings) res = NULL;
  g_autoptr(GPtrArray) own = NULL;
  HearthEmbedParams defaults;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (seqs != NULL, NULL);
  if (params == NULL)
    {
      hearth_embed_params_init (&defaults);
      params = &defaults;
    }
  res = embeddings_new (model, seqs->len, params, error);
  if (res == NULL)
    return NULL;
  own = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < seqs->len; i++)
    {
      GArray *in = g_ptr_array_index (seqs, i);
      GArray *seq;

      if (in == NULL || in->len == 0)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "sequence %u is empty", i);
          return NULL;
        }
      for (guint k = 0; k < in->len; k++)
        {
          gint32 id = g_array_index (in, gint32, k);

          if (id < 0 || (guint32) id >= model->hp.n_vocab)
            {
              g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "sequence %u: token id %d is outside the vocabulary of %u", i, id, model->hp.n_vocab);
              return NULL;
            }
        }
      seq = g_array_sized_new (FALSE, FALSE, sizeof (gint32), in->len);
      g_array_append_vals (seq, in->data, in->len);
      truncate_sequence (model, seq, res, i);
      g_ptr_array_add (own, seq);
    }
  if (!embed_sequences (model, own, params, res, cancellable, error))
    return NULL;
  return g_steal_pointer (&res);
}

HearthEmbeddings *
hearth_model_embed (HearthModel             *model,
                    const char *const       *texts,
                    gsize                    n_texts,
                    const HearthEmbedParams *params,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(HearthEmbeddings) res = NULL;
  g_autoptr(GPtrArray) seqs = NULL;
  HearthEmbedParams defaults;

  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (texts != NULL || n_texts == 0, NULL);
  if (params == NULL)
    {
      hearth_embed_params_init (&defaults);
      params = &defaults;
    }
  res = embeddings_new (model, n_texts, params, error);
  if (res == NULL)
    return NULL;
  seqs = g_ptr_array_new_full (n_texts, (GDestroyNotify) g_array_unref);
  for (gsize i = 0; i < n_texts; i++)
    {
      GArray *seq = g_array_new (FALSE, FALSE, sizeof (gint32));

      g_ptr_array_add (seqs, seq);
      if (texts[i] == NULL)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "text %" G_GSIZE_FORMAT " is NULL", i);
          return NULL;
        }
      if (!hearth_tokenizer_encode (model->tokenizer, texts[i], -1, HEARTH_TOKENIZE_ADD_SPECIAL, seq, error))
        return NULL;
      if (seq->len == 0)
        {
          /* Only a vocabulary without [CLS]/[SEP] gets here: give the pass something. */
          gint32 id = MAX (hearth_tokenizer_get_unk (model->tokenizer), 0);

          g_array_append_val (seq, id);
        }
      truncate_sequence (model, seq, res, i);
    }
  if (!embed_sequences (model, seqs, params, res, cancellable, error))
    return NULL;
  return g_steal_pointer (&res);
}

void
hearth_embeddings_free (HearthEmbeddings *self)
{
  if (self == NULL)
    return;
  g_free (self->data);
  g_free (self->offset);
  g_free (self->n_rows);
  g_free (self->n_tokens);
  g_free (self->n_full);
  g_free (self);
}

gsize
hearth_embeddings_get_n_texts (HearthEmbeddings *self)
{
  return self->n_texts;
}

guint32
hearth_embeddings_get_n_embd (HearthEmbeddings *self)
{
  return self->n_embd;
}

HearthPooling
hearth_embeddings_get_pooling (HearthEmbeddings *self)
{
  return self->pooling;
}

const float *
hearth_embeddings_get_vector (HearthEmbeddings *self,
                              gsize             i,
                              guint32          *n_rows)
{
  g_return_val_if_fail (i < self->n_texts, NULL);
  if (n_rows != NULL)
    *n_rows = self->n_rows[i];
  return self->data + self->offset[i];
}

guint32
hearth_embeddings_get_n_tokens (HearthEmbeddings *self,
                                gsize             i)
{
  g_return_val_if_fail (i < self->n_texts, 0);
  return self->n_tokens[i];
}

guint32
hearth_embeddings_get_n_tokens_full (HearthEmbeddings *self,
                                     gsize             i)
{
  g_return_val_if_fail (i < self->n_texts, 0);
  return self->n_full[i];
}

gboolean
hearth_embeddings_is_truncated (HearthEmbeddings *self,
                                gsize             i)
{
  g_return_val_if_fail (i < self->n_texts, FALSE);
  return self->n_full[i] > self->n_tokens[i];
}

gsize
hearth_embeddings_get_n_truncated (HearthEmbeddings *self)
{
  return self->n_truncated;
}

guint64
hearth_embeddings_get_total_tokens (HearthEmbeddings *self)
{
  return self->total_tokens;
}
