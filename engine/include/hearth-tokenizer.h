/* hearth-tokenizer.h: text <-> token ids for the vocabularies stored in GGUF files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Three families, chosen by tokenizer.ggml.model: "llama" (SentencePiece with
 * scores and byte fallback), "gpt2" (byte-level BPE with the pre-tokenizer
 * named by tokenizer.ggml.pre) and "bert" (WordPiece). Ids are gint32; a
 * missing special token is -1.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-gguf.h"

G_BEGIN_DECLS

typedef struct _HearthTokenizer HearthTokenizer;

typedef enum
{
  HEARTH_TOKENIZER_SPM,
  HEARTH_TOKENIZER_BPE,
  HEARTH_TOKENIZER_WPM,
} HearthTokenizerFamily;

typedef enum
{
  HEARTH_TOKENIZE_ADD_SPECIAL = 1 << 0,   /* BOS/EOS (or CLS/SEP) as the vocabulary asks */
  HEARTH_TOKENIZE_PARSE_SPECIAL = 1 << 1, /* control tokens written in the text become their id */
} HearthTokenizeFlags;

HearthTokenizer *hearth_tokenizer_new_from_gguf (HearthGguf *gguf,
                                                 GError    **error);
HearthTokenizer *hearth_tokenizer_ref (HearthTokenizer *self);
void             hearth_tokenizer_unref (HearthTokenizer *self);

/* Appends the ids of @text to @ids (a GArray of gint32). @text need not be
 * NUL-terminated; @len -1 means strlen. Invalid UTF-8 is not an error:
 * SentencePiece keeps the bytes (byte fallback), BPE and WordPiece read each
 * bad byte as U+FFFD. */
gboolean hearth_tokenizer_encode (HearthTokenizer    *self,
                                  const char         *text,
                                  gssize              len,
                                  HearthTokenizeFlags flags,
                                  GArray             *ids,
                                  GError            **error);

HearthTokenizerFamily hearth_tokenizer_get_family (HearthTokenizer *self);
const char           *hearth_tokenizer_get_family_name (HearthTokenizer *self);
/* The pre-tokenizer name as stored (NULL when absent). */
const char           *hearth_tokenizer_get_pre (HearthTokenizer *self);
guint32               hearth_tokenizer_get_n_vocab (HearthTokenizer *self);
gboolean              hearth_tokenizer_get_add_bos (HearthTokenizer *self);
gboolean              hearth_tokenizer_get_add_eos (HearthTokenizer *self);

/* The bytes @id stands for in text: byte tokens give their byte, the BPE
 * byte map is undone, SentencePiece's U+2581 becomes a space. Control and
 * unknown tokens give their text only when @render_special; unused tokens
 * and ids out of range give nothing. */
void hearth_tokenizer_append_token_bytes (HearthTokenizer *self,
                                          gint32           id,
                                          gboolean         render_special,
                                          GString         *out);

/* The text of @ids as raw bytes (NUL-terminated; @out_len may be NULL).
 * Where the encoder added a space prefix (SentencePiece: at the start and
 * after a special token) one leading space is dropped again, so that
 * decode (encode (text)) == text. The bytes are not validated: byte
 * tokens can make invalid UTF-8, see HearthDetokenizer for display text. */
char *hearth_tokenizer_decode (HearthTokenizer *self,
                               const gint32    *ids,
                               gsize            n_ids,
                               gboolean         render_special,
                               gsize           *out_len);

/* The raw vocabulary entry (not NUL-terminated), NULL when out of range. */
const char *hearth_tokenizer_get_piece (HearthTokenizer *self,
                                        gint32           id,
                                        gsize           *len);

gint32   hearth_tokenizer_get_bos (HearthTokenizer *self);
gint32   hearth_tokenizer_get_eos (HearthTokenizer *self);
gint32   hearth_tokenizer_get_eot (HearthTokenizer *self);
gint32   hearth_tokenizer_get_unk (HearthTokenizer *self);
gint32   hearth_tokenizer_get_pad (HearthTokenizer *self);
gint32   hearth_tokenizer_get_sep (HearthTokenizer *self);
gint32   hearth_tokenizer_get_cls (HearthTokenizer *self);
gboolean hearth_tokenizer_is_eog (HearthTokenizer *self,
                                  gint32           id);
gboolean hearth_tokenizer_is_control (HearthTokenizer *self,
                                      gint32           id);
gint32   hearth_tokenizer_find_token (HearthTokenizer *self,
                                      const char      *piece);

/* Streaming decoder: ids go in one at a time, only whole UTF-8 characters
 * come out. Concatenating everything push() and flush() append gives
 * hearth_tokenizer_decode()'s text, made valid (bytes that can never form a
 * character become U+FFFD). */
typedef struct _HearthDetokenizer HearthDetokenizer;

HearthDetokenizer *hearth_detokenizer_new (HearthTokenizer *tok,
                                           gboolean         render_special);
void               hearth_detokenizer_free (HearthDetokenizer *d);
/* Appends the text that is now complete; returns the number of bytes appended. */
gsize              hearth_detokenizer_push (HearthDetokenizer *d,
                                            gint32             id,
                                            GString           *out);
/* Appends any incomplete tail, made valid, and resets the decoder. */
gsize              hearth_detokenizer_flush (HearthDetokenizer *d,
                                             GString           *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTokenizer, hearth_tokenizer_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDetokenizer, hearth_detokenizer_free)

G_END_DECLS
