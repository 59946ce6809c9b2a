/* hearth-embed.h: sentence embeddings from encoder models (bert, nomic-bert)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * hearth_model_embed() turns texts into float vectors on a model loaded from
 * an encoder GGUF (hearth_model_is_encoder()). Each text is tokenized with
 * the model's WordPiece vocabulary as [CLS] ... [SEP], run through the
 * encoder with non-causal attention over its own tokens only, pooled
 * (mean over every token including [CLS]/[SEP], the [CLS] token, or the
 * last token; or not at all: per-token states) and, by default, scaled to
 * unit L2 length.
 *
 * Contract:
 *  - Threads: the call may be made from any thread, on a model shared with
 *    other embedding calls and with decoding sessions; passes of one model
 *    take turns (the model's forward lock), so concurrent calls are safe
 *    but not parallel. The call blocks until done or cancelled.
 *  - Batching: texts are packed into passes of up to n_batch_tokens tokens
 *    (and at most n_batch texts); packed texts never attend to each other,
 *    so a text's vector does not depend on its batch companions (on the CPU
 *    it is bit-identical to the vector of the text embedded alone).
 *  - Truncation: a text longer than the model's context (context_length,
 *    [CLS] and [SEP] included) is cut to its first n_ctx - 2 pieces and
 *    still ends in [SEP]; the result says so per text
 *    (hearth_embeddings_is_truncated()) and counts them, and the caller
 *    decides whether to warn, split the text or refuse it.
 *  - Edge cases: an empty text embeds [CLS] [SEP]; a text of only unknown
 *    characters embeds [CLS] [UNK] [SEP] (both are valid vectors); zero
 *    texts give an empty result. A NULL text is INVALID_ARGUMENT.
 *  - Task prefixes (nomic-embed's "search_document: ", "search_query: ")
 *    are the caller's: the engine embeds the text it is given.
 *  - Ownership: the result owns its vectors; free it with
 *    hearth_embeddings_free(). Pointers into it live as long as it does.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-model.h"

G_BEGIN_DECLS

/* The numbering is the GGUF key {arch}.pooling_type's. */
typedef enum
{
  HEARTH_POOLING_MODEL = -1, /* in HearthEmbedParams: what the file says */
  HEARTH_POOLING_NONE = 0,   /* one vector per token */
  HEARTH_POOLING_MEAN = 1,
  HEARTH_POOLING_CLS = 2,
  HEARTH_POOLING_LAST = 3,
} HearthPooling;

typedef struct
{
  HearthPooling pooling;       /* HEARTH_POOLING_MODEL (default) or an override */
  gboolean      no_normalize;  /* TRUE: leave the vectors as pooled (default: unit L2 length) */
  guint32       n_batch;       /* most texts per pass; 0: as many as fit */
  guint32       n_batch_tokens;/* most tokens per pass; 0: 2048 (at least the context) */
  /*< private >*/
  gpointer      padding[6];
} HearthEmbedParams;

typedef struct _HearthEmbeddings HearthEmbeddings;

void              hearth_embed_params_init (HearthEmbedParams *params);

/* Whether @model is an encoder (bert, nomic-bert): it embeds, it does not
 * decode (hearth_session_new() refuses it). */
gboolean          hearth_model_is_encoder (HearthModel *model);
/* The pooling the file states ({arch}.pooling_type), HEARTH_POOLING_MODEL
 * when it states none (a bert file may omit it; nomic-bert files must
 * have it, or they do not load). */
HearthPooling     hearth_model_get_pooling (HearthModel *model);
const char       *hearth_pooling_name (HearthPooling pooling); /* "mean", "cls", ... */

/* Embeds @n_texts NUL-terminated UTF-8 texts. Errors: UNSUPPORTED for a
 * decoder model, NOT_FOUND when the file states no pooling and @params
 * names none, INVALID_ARGUMENT for a NULL text or a bad parameter,
 * CANCELLED, DEVICE (a lost GPU). */
HearthEmbeddings *hearth_model_embed (HearthModel             *model,
                                      const char *const       *texts,
                                      gsize                    n_texts,
                                      const HearthEmbedParams *params,
                                      GCancellable            *cancellable,
                                      GError                 **error);
/* The same on token ids the caller made (each sequence used as given: no
 * [CLS]/[SEP] added, truncated like text). An id outside the vocabulary or
 * an empty sequence is INVALID_ARGUMENT. @seqs holds GArrays of gint32. */
HearthEmbeddings *hearth_model_embed_tokens (HearthModel             *model,
                                             GPtrArray               *seqs,
                                             const HearthEmbedParams *params,
                                             GCancellable            *cancellable,
                                             GError                 **error);

void              hearth_embeddings_free (HearthEmbeddings *self);
gsize             hearth_embeddings_get_n_texts (HearthEmbeddings *self);
guint32           hearth_embeddings_get_n_embd (HearthEmbeddings *self);
HearthPooling     hearth_embeddings_get_pooling (HearthEmbeddings *self);
/* Text @i's vectors: one row of n_embd floats, or with HEARTH_POOLING_NONE
 * one row per token (@n_rows says how many; may be NULL). */
const float      *hearth_embeddings_get_vector (HearthEmbeddings *self,
                                                gsize             i,
                                                guint32          *n_rows);
/* Tokens text @i ran with ([CLS]/[SEP] included, after truncation) and
 * how many it had before. */
guint32           hearth_embeddings_get_n_tokens (HearthEmbeddings *self,
                                                  gsize             i);
guint32           hearth_embeddings_get_n_tokens_full (HearthEmbeddings *self,
                                                       gsize             i);
gboolean          hearth_embeddings_is_truncated (HearthEmbeddings *self,
                                                  gsize             i);
gsize             hearth_embeddings_get_n_truncated (HearthEmbeddings *self);
/* Tokens run over all texts. */
guint64           hearth_embeddings_get_total_tokens (HearthEmbeddings *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthEmbeddings, hearth_embeddings_free)

G_END_DECLS
