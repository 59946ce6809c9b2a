/* hearth-tokenizer-private.h: internals shared by the tokenizer files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-tokenizer.h"

G_BEGIN_DECLS

/* Token attributes, from tokenizer.ggml.token_type (1 normal, 2 unknown,
 * 3 control, 4 user-defined, 5 unused, 6 byte) plus strip flags. */
enum
{
  TOK_ATTR_NORMAL = 1 << 0,
  TOK_ATTR_UNKNOWN = 1 << 1,
  TOK_ATTR_CONTROL = 1 << 2,
  TOK_ATTR_USER_DEFINED = 1 << 3,
  TOK_ATTR_UNUSED = 1 << 4,
  TOK_ATTR_BYTE = 1 << 5,
  TOK_ATTR_LSTRIP = 1 << 6,
  TOK_ATTR_RSTRIP = 1 << 7,
};

/* ---- a string interner: byte strings -> dense ids, each with an int value ---- */

typedef struct
{
  GByteArray *bytes;  /* all strings, back to back */
  guint32    *off;    /* [n] */
  guint32    *len;    /* [n] */
  guint32    *hash;   /* [n] */
  gint32     *value;  /* [n] */
  guint32     n, cap;
  guint32    *slots;  /* open addressing: id + 1, 0 = empty; [mask + 1] */
  guint32     mask;
} HearthStrTable;

void    hearth_str_table_init (HearthStrTable *t, guint32 expected);
void    hearth_str_table_clear (HearthStrTable *t);
/* The id of @s, or -1. */
gint32  hearth_str_table_lookup (const HearthStrTable *t, const char *s, gsize len);
/* The id of @s, adding it with @value when absent. */
gint32  hearth_str_table_intern (HearthStrTable *t, const char *s, gsize len, gint32 value);
static inline gint32
hearth_str_table_value (const HearthStrTable *t, gint32 id)
{
  return id < 0 ? -1 : t->value[id];
}

/* ---- a cache of word -> ids, shared by the threads using one tokenizer ---- */

typedef struct
{
  GMutex          lock;
  HearthStrTable  words; /* value: index into spans */
  GArray         *spans; /* guint32 pairs: offset into ids, count */
  GArray         *ids;   /* gint32 */
} HearthWordCache;

void     hearth_word_cache_init (HearthWordCache *c);
void     hearth_word_cache_clear (HearthWordCache *c);
/* Appends the cached ids of @word to @ids and returns TRUE, or FALSE when absent. */
gboolean hearth_word_cache_get (HearthWordCache *c, const char *word, gsize len, GArray *ids);
void     hearth_word_cache_put (HearthWordCache *c, const char *word, gsize len,
                                const gint32 *ids, guint n);

/* ---- pre-tokenizers (byte-level BPE) ---- */

typedef enum
{
  HEARTH_PRE_DEFAULT,
  HEARTH_PRE_GPT2,
  HEARTH_PRE_LLAMA3,
  HEARTH_PRE_QWEN2,
  HEARTH_PRE_STARCODER,
  HEARTH_PRE_FALCON,
  HEARTH_PRE_DEEPSEEK_LLM,
  HEARTH_PRE_DEEPSEEK_CODER,
  HEARTH_PRE_BLOOM,
  HEARTH_PRE_VIKING,
} HearthPreType;

/* Character classes of one code point, as the split patterns see them. */
enum
{
  CP_WS = 1 << 0,     /* Unicode White_Space */
  CP_L = 1 << 1,      /* letters (L*) */
  CP_N = 1 << 2,      /* numbers (N*) */
  CP_P = 1 << 3,      /* punctuation (P*) */
  CP_S = 1 << 4,      /* symbols (S*) */
  CP_M = 1 << 5,      /* marks (M*) */
  CP_C = 1 << 6,      /* Cc, Cf, Co, Cs */
};

guint8 hearth_cp_flags (gunichar c);

/* Decodes @text to code points; each byte that does not start a valid UTF-8
 * sequence becomes U+FFFD. @cps gets the code points, @flags their classes. */
void hearth_utf8_decode_lossy (const char *text, gsize len, GArray *cps, GArray *flags);

/* Splits cps[0..n) into words; @ends receives each word's end index (guint32);
 * @tmp is working space of the same element type. */
void hearth_pretokenize (HearthPreType   pre,
                         const gunichar *cps,
                         const guint8   *flags,
                         gsize           n,
                         GArray         *ends,
                         GArray         *tmp);

/* Checks a UTF-8 sequence at @p (@n bytes available): its length when it is a
 * whole valid character, 0 when it is a valid but incomplete start, -1 when
 * the first byte can never start a valid character there. */
int hearth_utf8_check (const guint8 *p, gsize n);

/* ---- the tokenizer ---- */

typedef struct
{
  guint64 key;     /* left id << 32 | right id (interned strings) */
  gint32  rank;
  gint32  merged;  /* interned id of left + right */
} HearthBpeMerge;

struct _HearthTokenizer
{
  gatomicrefcount        ref_count;
  HearthTokenizerFamily  family;
  HearthPreType          pre_type;
  char                  *pre;

  guint32                n_vocab;
  GByteArray            *text;       /* raw token texts back to back */
  guint32               *text_off;   /* [n_vocab] */
  guint32               *text_len;   /* [n_vocab] */
  float                 *scores;     /* [n_vocab], SPM */
  guint8                *attr;       /* [n_vocab] TOK_ATTR_* */
  guint8                *eog;        /* [n_vocab] */
  HearthStrTable         strings;    /* token texts (value: id, later id wins), merge parts (-1) */
  gsize                  max_token_len;

  /* decoded bytes of each token, render_special on */
  GByteArray            *pieces;
  guint32               *piece_off;
  guint32               *piece_len;

  gint32                 bos, eos, eot, eom, unk, pad, sep, cls, mask;
  gboolean               add_bos, add_eos, add_space_prefix, ignore_merges;

  /* control/unknown/user-defined ids grouped by their first byte, longest
   * text first in each group: those starting with byte b are
   * specials[special_start[b] .. special_start[b + 1]) */
  gint32                *specials;
  guint                  n_specials;
  guint32                special_start[257];

  /* SPM */
  gint32                 byte_token[256];
  gboolean               spm_split_words; /* no entry has U+2581 after another character */

  /* BPE */
  HearthBpeMerge        *merges;     /* open addressing, [merge_mask + 1], key 0 = empty */
  guint64                merge_mask;
  gint32                 byte_string[256]; /* interned id of each byte's mapped character */
  guint16                byte_to_cp[256];
  HearthWordCache        cache;      /* BPE words, SPM segments */
};

const HearthBpeMerge *hearth_bpe_find_merge (const HearthTokenizer *tok, gint32 left, gint32 right);
gboolean hearth_bpe_setup (HearthTokenizer *tok, HearthGguf *gguf, GError **error);
typedef struct _HearthBpeScratch HearthBpeScratch;
HearthBpeScratch *hearth_bpe_scratch_new (void);
void     hearth_bpe_scratch_free (HearthBpeScratch *sc);
void     hearth_bpe_encode (HearthTokenizer *tok, HearthBpeScratch *sc, const char *text, gsize len,
                            GArray *ids);
void     hearth_bpe_append_decoded (const HearthTokenizer *tok, const char *s, gsize len,
                                    GByteArray *out);

void     hearth_spm_encode (HearthTokenizer *tok, const char *text, gsize len,
                            gboolean space_prefix, GArray *ids);
void     hearth_wpm_encode (HearthTokenizer *tok, const char *text, gsize len, GArray *ids);

G_END_DECLS
