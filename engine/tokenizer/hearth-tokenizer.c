/* hearth-tokenizer.c: loading a vocabulary from GGUF metadata, special
 * tokens, the encode dispatch and decoding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Behaviour follows llama.cpp (c392e50), whose outputs are the test
 * reference: which token types are matched in the text before the model's
 * own algorithm runs, the SentencePiece space prefix, the defaults of the
 * special ids, and which token texts end a generation.
 */
#include "hearth-tokenizer-private.h"
#include "hearth-engine-error.h"

#include <stdio.h>
#include <string.h>

/* ---- pre-tokenizer names ---- */

typedef struct
{
  const char   *name;
  HearthPreType type;
  gboolean      ignore_merges; /* a word that is itself a token skips the merges */
  gboolean      add_bos;       /* default before add_bos_token is read */
} PreName;

static const PreName pre_names[] = {
  { "default", HEARTH_PRE_DEFAULT, FALSE, FALSE },
  { "llama3", HEARTH_PRE_LLAMA3, TRUE, TRUE },
  { "llama-v3", HEARTH_PRE_LLAMA3, TRUE, TRUE },
  { "llama-bpe", HEARTH_PRE_LLAMA3, TRUE, TRUE },
  { "falcon3", HEARTH_PRE_LLAMA3, TRUE, TRUE },
  { "dbrx", HEARTH_PRE_LLAMA3, FALSE, FALSE },
  { "smaug-bpe", HEARTH_PRE_LLAMA3, FALSE, FALSE },
  { "chatglm-bpe", HEARTH_PRE_LLAMA3, FALSE, FALSE },
  { "deepseek-llm", HEARTH_PRE_DEEPSEEK_LLM, FALSE, FALSE },
  { "deepseek-coder", HEARTH_PRE_DEEPSEEK_CODER, FALSE, FALSE },
  { "falcon", HEARTH_PRE_FALCON, FALSE, FALSE },
  { "mpt", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "olmo", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jais", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "gpt-2", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "phi-2", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-es", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-de", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "gigachat", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-v1-en", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-v2-es", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-v2-de", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "jina-v2-code", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "roberta-bpe", HEARTH_PRE_GPT2, FALSE, FALSE },
  { "starcoder", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "refact", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "command-r", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "smollm", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "codeshell", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "exaone", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "minerva-7b", HEARTH_PRE_STARCODER, FALSE, FALSE },
  { "qwen2", HEARTH_PRE_QWEN2, FALSE, FALSE },
  { "deepseek-r1-qwen", HEARTH_PRE_QWEN2, FALSE, FALSE },
  { "megrez", HEARTH_PRE_QWEN2, FALSE, FALSE },
  { "stablelm2", HEARTH_PRE_QWEN2, FALSE, FALSE },
  { "poro-chat", HEARTH_PRE_BLOOM, FALSE, FALSE },
  { "bloom", HEARTH_PRE_BLOOM, FALSE, FALSE },
  { "gpt3-finnish", HEARTH_PRE_BLOOM, FALSE, FALSE },
  { "viking", HEARTH_PRE_VIKING, FALSE, FALSE },
};

/* Texts that end a generation wherever a vocabulary has them. */
static const char *const eog_texts[] = {
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
};
/* Texts taken as the end-of-turn token when none is named. */
static const char *const eot_texts[] = {
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>",
  /* DeepSeek's, with fullwidth bars */
  "<\357\275\234end\342\226\201of\342\226\201sentence\357\275\234>",
};
/* Fill-in-the-middle markers: control tokens whatever the file says. */
static const char *const fim_texts[] = {
  "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<PRE>", "\xe2\x96\x81<PRE>",
  "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<SUF>", "\xe2\x96\x81<SUF>",
  "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<MID>", "\xe2\x96\x81<MID>",
  "<|fim_pad|>", "<fim-pad>", "<fim_pad>",
  "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<repo_name>",
  "<|file_sep|>", "<file_sep>",
};

static const guint8 *
token_text (const HearthTokenizer *self,
            gint32                 id,
            gsize                 *len)
{
  *len = self->text_len[id];
  return self->text->data + self->text_off[id];
}

static gint32
lookup_token (const HearthTokenizer *self,
              const char            *s)
{
  return hearth_str_table_value (&self->strings,
                                 hearth_str_table_lookup (&self->strings, s, strlen (s)));
}

HearthTokenizer *
hearth_tokenizer_ref (HearthTokenizer *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_tokenizer_unref (HearthTokenizer *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->pre);
  if (self->text != NULL)
    g_byte_array_unref (self->text);
  g_free (self->text_off);
  g_free (self->text_len);
  g_free (self->scores);
  g_free (self->attr);
  g_free (self->eog);
  hearth_str_table_clear (&self->strings);
  if (self->pieces != NULL)
    g_byte_array_unref (self->pieces);
  g_free (self->piece_off);
  g_free (self->piece_len);
  g_free (self->specials);
  g_free (self->merges);
  hearth_word_cache_clear (&self->cache);
  g_free (self);
}

/* Reads tokenizer.ggml.<name>_token_id; out-of-range ids keep the default. */
static gboolean
read_special_id (HearthTokenizer *self,
                 HearthGguf      *gguf,
                 const char      *name,
                 gint32          *id,
                 GError         **error)
{
  g_autofree char *key = g_strdup_printf ("tokenizer.ggml.%s_token_id", name);
  const HearthGgufValue *v = hearth_gguf_find (gguf, key);
  gint64 x;

  if (v == NULL)
    return TRUE;
  if (!hearth_gguf_get_int64 (gguf, key, &x, NULL))
    {
      guint64 u;

      if (!hearth_gguf_get_uint64 (gguf, key, &u, error))
        return FALSE;
      return TRUE; /* a huge unsigned value: out of range, keep the default */
    }
  if (x >= 0 && x < self->n_vocab)
    *id = (gint32) x;
  return TRUE;
}

static int
compare_specials (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  const HearthTokenizer *self = user_data;
  gint32 x = *(const gint32 *) a, y = *(const gint32 *) b;

  guint8 fx = self->text->data[self->text_off[x]], fy = self->text->data[self->text_off[y]];

  if (fx != fy)
    return fx < fy ? -1 : 1;
  if (self->text_len[x] != self->text_len[y])
    return self->text_len[x] > self->text_len[y] ? -1 : 1;
  return x < y ? -1 : x > y;
}

static void
build_pieces (HearthTokenizer *self)
{
  self->pieces = g_byte_array_new ();
  self->piece_off = g_new (guint32, self->n_vocab);
  self->piece_len = g_new (guint32, self->n_vocab);
  for (guint32 id = 0; id < self->n_vocab; id++)
    {
      gsize len;
      const guint8 *s = token_text (self, (gint32) id, &len);
      guint8 a = self->attr[id];
      guint start = self->pieces->len;

      if (a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN | TOK_ATTR_USER_DEFINED))
        g_byte_array_append (self->pieces, s, (guint) len);
      else if (a & TOK_ATTR_NORMAL)
        {
          if (self->family == HEARTH_TOKENIZER_BPE)
            hearth_bpe_append_decoded (self, (const char *) s, len, self->pieces);
          else
            {
              /* U+2581 stands for a space */
              for (gsize i = 0; i < len; i++)
                {
                  if (i + 2 < len && s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x81)
                    {
                      g_byte_array_append (self->pieces, (const guint8 *) " ", 1);
                      i += 2;
                    }
                  else
                    g_byte_array_append (self->pieces, s + i, 1);
                }
            }
        }
      else if ((a & TOK_ATTR_BYTE) && self->family != HEARTH_TOKENIZER_BPE)
        {
          /* "<0xNN>"; the piece is not NUL-terminated, so no sscanf. */
          if (len == 6 && memcmp (s, "<0x", 3) == 0 && s[5] == '>' &&
              g_ascii_isxdigit (s[3]) && g_ascii_isxdigit (s[4]))
            {
              guint8 b = (guint8) (g_ascii_xdigit_value (s[3]) * 16 + g_ascii_xdigit_value (s[4]));
              g_byte_array_append (self->pieces, &b, 1);
            }
        }
      self->piece_off[id] = start;
      self->piece_len[id] = self->pieces->len - start;
    }
}

static gboolean
is_one_of (const guint8       *s,
           gsize               len,
           const char *const  *list,
           gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (strlen (list[i]) == len && memcmp (list[i], s, len) == 0)
      return TRUE;
  return FALSE;
}

HearthTokenizer *
hearth_tokenizer_new_from_gguf (HearthGguf *gguf,
                                GError    **error)
{
  g_autoptr(HearthTokenizer) self = NULL;
  g_autofree char *model = NULL;
  g_autofree char *name = NULL;
  const HearthGgufValue *tokens, *types = NULL, *scores = NULL;
  g_autoptr(GArray) specials = NULL;
  gboolean flag;

  g_return_val_if_fail (gguf != NULL, NULL);

  model = hearth_gguf_dup_string (gguf, "tokenizer.ggml.model", error);
  if (model == NULL)
    return NULL;
  tokens = hearth_gguf_get_array (gguf, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, error);
  if (tokens == NULL)
    return NULL;
  if (tokens->v.arr.n == 0 || tokens->v.arr.n > G_MAXINT32 / 2)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "tokenizer.ggml.tokens has %" G_GUINT64_FORMAT " entries", tokens->v.arr.n);
      return NULL;
    }

  self = g_new0 (HearthTokenizer, 1);
  g_atomic_ref_count_init (&self->ref_count);
  hearth_word_cache_init (&self->cache);
  self->n_vocab = (guint32) tokens->v.arr.n;
  self->bos = self->eos = self->eot = self->eom = self->unk = -1;
  self->pad = self->sep = self->cls = self->mask = -1;

  if (strcmp (model, "llama") == 0)
    {
      self->family = HEARTH_TOKENIZER_SPM;
      self->bos = 1;
      self->eos = 2;
      self->unk = 0;
      self->add_space_prefix = TRUE;
      self->add_bos = TRUE;
    }
  else if (strcmp (model, "gpt2") == 0)
    {
      self->family = HEARTH_TOKENIZER_BPE;
      self->bos = self->eos = 11;
    }
  else if (strcmp (model, "bert") == 0)
    {
      self->family = HEARTH_TOKENIZER_WPM;
      self->bos = self->cls = 101;
      self->unk = 100;
      self->sep = 102;
      self->pad = 0;
      self->mask = 103;
      self->add_bos = TRUE;
    }
  else
    {
      g_autofree char *quoted = g_utf8_make_valid (model, -1);  /* from the file */

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "unsupported tokenizer model '%s' (supported: llama, gpt2, bert)", quoted);
      return NULL;
    }
  for (gint32 *d = &self->bos; d <= &self->mask; d++)
    if (*d >= (gint32) self->n_vocab)
      *d = -1;

  /* the pre-tokenizer: only byte-level BPE has a choice */
  self->pre = hearth_gguf_dup_string (gguf, "tokenizer.ggml.pre", NULL);
  self->pre_type = HEARTH_PRE_DEFAULT;
  if (self->family == HEARTH_TOKENIZER_BPE && self->pre != NULL)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (pre_names); i++)
        if (strcmp (self->pre, pre_names[i].name) == 0)
          {
            self->pre_type = pre_names[i].type;
            self->ignore_merges = pre_names[i].ignore_merges;
            self->add_bos = pre_names[i].add_bos;
            known = TRUE;
            break;
          }
      if (!known)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                       "unknown pre-tokenizer '%s' (tokenizer.ggml.pre)", self->pre);
          return NULL;
        }
      if (strcmp (self->pre, "chatglm-bpe") == 0)
        self->bos = -1;
    }

  /* token texts, types, scores */
  if (hearth_gguf_find (gguf, "tokenizer.ggml.token_type") != NULL)
    {
      types = hearth_gguf_get_array (gguf, "tokenizer.ggml.token_type", HEARTH_GGUF_TYPE_INT32,
                                     error);
      if (types == NULL)
        return NULL;
      if (types->v.arr.n != self->n_vocab)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                       "tokenizer.ggml.token_type has %" G_GUINT64_FORMAT " entries for %u tokens",
                       types->v.arr.n, self->n_vocab);
          return NULL;
        }
    }
  if (hearth_gguf_find (gguf, "tokenizer.ggml.scores") != NULL)
    {
      scores
          = hearth_gguf_get_array (gguf, "tokenizer.ggml.scores", HEARTH_GGUF_TYPE_FLOAT32, error);
      if (scores == NULL)
        return NULL;
      if (scores->v.arr.n != self->n_vocab)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                       "tokenizer.ggml.scores has %" G_GUINT64_FORMAT " entries for %u tokens",
                       scores->v.arr.n, self->n_vocab);
          return NULL;
        }
    }
  self->text = g_byte_array_new ();
  self->text_off = g_new (guint32, self->n_vocab);
  self->text_len = g_new (guint32, self->n_vocab);
  self->scores = g_new0 (float, self->n_vocab);
  self->attr = g_new0 (guint8, self->n_vocab);
  self->eog = g_new0 (guint8, self->n_vocab);
  hearth_str_table_init (&self->strings, self->n_vocab);
  for (guint32 id = 0; id < self->n_vocab; id++)
    {
      guint64 len;
      const char *s = hearth_gguf_array_get_string (tokens, id, &len);
      gint32 sid;
      gint64 type = types != NULL ? hearth_gguf_array_get_int (types, id) : 1;

      if (self->text->len + len > G_MAXUINT32 / 2)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                       "token texts are too large");
          return NULL;
        }
      self->text_off[id] = self->text->len;
      self->text_len[id] = (guint32) len;
      g_byte_array_append (self->text, (const guint8 *) s, (guint) len);
      self->max_token_len = MAX (self->max_token_len, len);
      if (scores != NULL)
        self->scores[id] = (float) hearth_gguf_array_get_float (scores, id);
      switch (type)
        {
        case 1: self->attr[id] = TOK_ATTR_NORMAL; break;
        case 2: self->attr[id] = TOK_ATTR_UNKNOWN; break;
        case 3: self->attr[id] = TOK_ATTR_CONTROL; break;
        case 4: self->attr[id] = TOK_ATTR_USER_DEFINED; break;
        case 5: self->attr[id] = TOK_ATTR_UNUSED; break;
        case 6: self->attr[id] = TOK_ATTR_BYTE; break;
        default: self->attr[id] = 0; break;
        }
      /* a later token with the same text wins, as in the reference */
      sid = hearth_str_table_intern (&self->strings, s, len, (gint32) id);
      self->strings.value[sid] = (gint32) id;
    }

  /* special ids and flags from the file */
  if (!read_special_id (self, gguf, "bos", &self->bos, error)
      || !read_special_id (self, gguf, "eos", &self->eos, error)
      || !read_special_id (self, gguf, "eot", &self->eot, error)
      || !read_special_id (self, gguf, "eom", &self->eom, error)
      || !read_special_id (self, gguf, "unknown", &self->unk, error)
      || !read_special_id (self, gguf, "seperator", &self->sep, error)
      || !read_special_id (self, gguf, "padding", &self->pad, error)
      || !read_special_id (self, gguf, "cls", &self->cls, error)
      || !read_special_id (self, gguf, "mask", &self->mask, error))
    return NULL;
  if (!hearth_gguf_get_bool_or (gguf, "tokenizer.ggml.add_space_prefix", self->add_space_prefix,
                                &flag, error))
    return NULL;
  self->add_space_prefix = flag;
  if (!hearth_gguf_get_bool_or (gguf, "tokenizer.ggml.add_bos_token", self->add_bos, &flag, error))
    return NULL;
  self->add_bos = flag;
  if (!hearth_gguf_get_bool_or (gguf, "tokenizer.ggml.add_eos_token", self->add_eos, &flag, error))
    return NULL;
  self->add_eos = flag;
  if (self->family == HEARTH_TOKENIZER_WPM && (self->cls < 0 || self->sep < 0))
    self->add_bos = FALSE;
  if (self->add_bos && self->bos < 0)
    self->add_bos = FALSE;
  if (self->add_eos && self->eos < 0)
    self->add_eos = FALSE;

  /* Token texts that mark the end of a turn or fill-in-the-middle are
   * control tokens whatever their stored type, and some end a generation. */
  for (guint32 id = 0; id < self->n_vocab; id++)
    {
      gsize len;
      const guint8 *s = token_text (self, (gint32) id, &len);

      if (len == 0)
        continue;
      if (hearth_str_table_value (&self->strings,
                                  hearth_str_table_lookup (&self->strings, (const char *) s, len))
          != (gint32) id)
        continue; /* a duplicate text: only the id that wins counts */
      if (self->eot < 0 && is_one_of (s, len, eot_texts, G_N_ELEMENTS (eot_texts)))
        {
          self->eot = (gint32) id;
          self->attr[id] = TOK_ATTR_CONTROL;
        }
      if (self->eom < 0 && len == 10 && memcmp (s, "<|eom_id|>", 10) == 0)
        {
          self->eom = (gint32) id;
          self->attr[id] = TOK_ATTR_CONTROL;
        }
      if (is_one_of (s, len, fim_texts, G_N_ELEMENTS (fim_texts)))
        self->attr[id] = TOK_ATTR_CONTROL;
      if (is_one_of (s, len, eog_texts, G_N_ELEMENTS (eog_texts)))
        {
          self->eog[id] = 1;
          self->attr[id] = TOK_ATTR_CONTROL;
        }
    }
  if (self->eos >= 0)
    self->eog[self->eos] = 1;
  if (self->eot >= 0)
    self->eog[self->eot] = 1;
  if (self->eom >= 0)
    self->eog[self->eom] = 1;

  /* Phi-3 strips the whitespace after its special tokens. */
  name = hearth_gguf_dup_string (gguf, "general.name", NULL);
  if (name != NULL)
    {
      g_autofree char *lower = g_ascii_strdown (name, -1);

      if (strstr (lower, "phi-3") != NULL || strstr (lower, "phi3") != NULL)
        {
          gint32 id;

          for (guint32 i = 0; i < self->n_vocab; i++)
            if (self->attr[i] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN | TOK_ATTR_USER_DEFINED))
              self->attr[i] |= TOK_ATTR_RSTRIP;
          if ((id = lookup_token (self, "</s>")) >= 0)
            self->attr[id] |= TOK_ATTR_RSTRIP;
          for (guint i = 0; i < 3; i++)
            if ((id = lookup_token (self, (const char *[]){ "<unk>", "<s>", "<|endoftext|>" }[i]))
                >= 0)
              self->attr[id] &= (guint8) ~TOK_ATTR_RSTRIP;
        }
    }
  if (self->pre != NULL
      && (strcmp (self->pre, "jina-v2-de") == 0 || strcmp (self->pre, "jina-v2-es") == 0
          || strcmp (self->pre, "jina-v2-code") == 0))
    {
      gint32 id = lookup_token (self, "<mask>");
      if (id >= 0)
        self->attr[id] |= TOK_ATTR_LSTRIP;
    }

  /* tokens matched in the text before the model's algorithm runs */
  specials = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (guint32 id = 0; id < self->n_vocab; id++)
    if ((self->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN | TOK_ATTR_USER_DEFINED))
        && self->text_len[id] > 0)
      {
        gint32 x = (gint32) id;
        g_array_append_val (specials, x);
      }
  g_array_sort_with_data (specials, compare_specials, self);
  self->n_specials = specials->len;
  self->specials = (gint32 *) g_array_free (g_steal_pointer (&specials), FALSE);
  for (guint b = 0, k = 0; b <= 256; b++)
    {
      while (b < 256 && k < self->n_specials
             && self->text->data[self->text_off[self->specials[k]]] < b)
        k++;
      self->special_start[b] = b < 256 ? k : self->n_specials;
    }

  switch (self->family)
    {
    case HEARTH_TOKENIZER_SPM:
      for (guint b = 0; b < 256; b++)
        {
          char hex[8], one[1] = { (char) b };
          gint32 id;

          g_snprintf (hex, sizeof hex, "<0x%02X>", b);
          id = lookup_token (self, hex);
          if (id < 0)
            id = hearth_str_table_value (&self->strings,
                                         hearth_str_table_lookup (&self->strings, one, 1));
          self->byte_token[b] = id >= 0 ? id : self->unk;
        }
      self->spm_split_words = TRUE;
      for (guint32 id = 0; id < self->n_vocab && self->spm_split_words; id++)
        {
          gsize len;
          const guint8 *s = token_text (self, (gint32) id, &len);

          for (gsize i = 3; i + 3 <= len; i++)
            if (memcmp (s + i, "\xe2\x96\x81", 3) == 0
                && memcmp (s + i - 3, "\xe2\x96\x81", 3) != 0)
              {
                self->spm_split_words = FALSE;
                break;
              }
        }
      break;
    case HEARTH_TOKENIZER_BPE:
      if (!hearth_bpe_setup (self, gguf, error))
        return NULL;
      break;
    case HEARTH_TOKENIZER_WPM:
    default:
      break;
    }
  build_pieces (self);
  return g_steal_pointer (&self);
}

/* ---- encoding ---- */

/* A piece of the input: raw text (token -1) or one special token. */
typedef struct
{
  gsize  start, len;
  gint32 token;
} Fragment;

static gboolean
is_ascii_space (guint8 c)
{
  return c == ' ' || (c >= 0x09 && c <= 0x0D);
}

/* Cuts out special-token texts. Without parse_special only user-defined
 * tokens are taken. At each position the longest special text wins (the
 * reference takes the longest token's occurrences over the whole text first;
 * the two differ only where two special texts overlap). */
static void
partition (HearthTokenizer *self,
           const char      *text,
           gsize            len,
           gboolean         parse_special,
           GArray          *frags)
{
  gsize pos = 0, raw_start = 0;

  while (pos < len)
    {
      guint8 c = (guint8) text[pos];
      gint32 hit = -1;

      if (self->special_start[c] < self->special_start[c + 1])
        {
          for (guint k = self->special_start[c]; k < self->special_start[c + 1]; k++)
            {
              gint32 id = self->specials[k];
              guint32 n = self->text_len[id];

              if (!parse_special && !(self->attr[id] & TOK_ATTR_USER_DEFINED))
                continue;
              const guint8 *t = self->text->data + self->text_off[id];

              if (n <= len - pos && (n < 2 || t[1] == (guint8) text[pos + 1])
                  && memcmp (t, text + pos, n) == 0)
                {
                  hit = id;
                  break;
                }
            }
        }
      if (hit < 0)
        {
          pos++;
          continue;
        }
      {
        gsize raw_end = pos, next = pos + self->text_len[hit];
        Fragment f;

        if (self->attr[hit] & TOK_ATTR_LSTRIP)
          while (raw_end > raw_start && is_ascii_space ((guint8) text[raw_end - 1]))
            raw_end--;
        if (raw_end > raw_start)
          {
            f = (Fragment) { raw_start, raw_end - raw_start, -1 };
            g_array_append_val (frags, f);
          }
        f = (Fragment) { pos, next - pos, hit };
        g_array_append_val (frags, f);
        if (self->attr[hit] & TOK_ATTR_RSTRIP)
          while (next < len && is_ascii_space ((guint8) text[next]))
            next++;
        pos = raw_start = next;
      }
    }
  if (raw_start < len)
    {
      Fragment f = { raw_start, len - raw_start, -1 };
      g_array_append_val (frags, f);
    }
}

gboolean
hearth_tokenizer_encode (HearthTokenizer    *self,
                         const char         *text,
                         gssize              len,
                         HearthTokenizeFlags flags,
                         GArray             *ids,
                         GError            **error)
{
  g_autoptr(GArray) frags = NULL;
  HearthBpeScratch *scratch = NULL;
  gboolean add_special = (flags & HEARTH_TOKENIZE_ADD_SPECIAL) != 0;
  gboolean prev_special = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (ids != NULL && g_array_get_element_size (ids) == sizeof (gint32), FALSE);
  if (text == NULL && len != 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "no text to tokenize");
      return FALSE;
    }
  if (len < 0)
    len = (gssize) strlen (text);

  frags = g_array_new (FALSE, FALSE, sizeof (Fragment));
  partition (self, text, (gsize) len, (flags & HEARTH_TOKENIZE_PARSE_SPECIAL) != 0, frags);

  if (add_special)
    {
      if (self->family == HEARTH_TOKENIZER_WPM)
        {
          if (self->add_bos)
            g_array_append_val (ids, self->cls);
        }
      else if (self->add_bos)
        g_array_append_val (ids, self->bos);
    }
  for (guint i = 0; i < frags->len; i++)
    {
      const Fragment *f = &g_array_index (frags, Fragment, i);

      if (f->token >= 0)
        {
          g_array_append_val (ids, f->token);
          prev_special = TRUE;
          continue;
        }
      switch (self->family)
        {
        case HEARTH_TOKENIZER_SPM:
          hearth_spm_encode (self, text + f->start, f->len, self->add_space_prefix && prev_special,
                             ids);
          break;
        case HEARTH_TOKENIZER_BPE:
          if (scratch == NULL)
            scratch = hearth_bpe_scratch_new ();
          hearth_bpe_encode (self, scratch, text + f->start, f->len, ids);
          break;
        case HEARTH_TOKENIZER_WPM:
        default:
          hearth_wpm_encode (self, text + f->start, f->len, ids);
          break;
        }
      prev_special = FALSE;
    }
  if (add_special)
    {
      if (self->family == HEARTH_TOKENIZER_WPM)
        {
          if (self->add_bos)
            g_array_append_val (ids, self->sep);
        }
      else if (self->add_eos)
        g_array_append_val (ids, self->eos);
    }
  hearth_bpe_scratch_free (scratch);
  return TRUE;
}

/* ---- decoding ---- */

static gboolean
is_special_attr (guint8 a)
{
  return (a & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN | TOK_ATTR_USER_DEFINED)) != 0;
}

void
hearth_tokenizer_append_token_bytes (HearthTokenizer *self,
                                     gint32           id,
                                     gboolean         render_special,
                                     GString         *out)
{
  g_return_if_fail (self != NULL && out != NULL);
  if (id < 0 || (guint32) id >= self->n_vocab)
    return;
  if (!render_special && (self->attr[id] & (TOK_ATTR_CONTROL | TOK_ATTR_UNKNOWN)))
    return;
  g_string_append_len (out, (const char *) self->pieces->data + self->piece_off[id],
                       self->piece_len[id]);
}

/* Whether the text of @id starts after a space the encoder added. */
static gboolean
strips_space (HearthTokenizer *self)
{
  return self->add_space_prefix || self->family == HEARTH_TOKENIZER_WPM;
}

/* Appends the piece of @id, dropping one leading space when *@strip, and
 * updates *@strip for the next token. */
static void
append_piece (HearthTokenizer *self,
              gint32           id,
              gboolean         render_special,
              gboolean        *strip,
              GString         *out)
{
  gsize before = out->len;

  if (id < 0 || (guint32) id >= self->n_vocab)
    return;
  hearth_tokenizer_append_token_bytes (self, id, render_special, out);
  if (is_special_attr (self->attr[id]))
    {
      *strip = strips_space (self);
      return;
    }
  if (out->len > before)
    {
      if (*strip && out->str[before] == ' ')
        g_string_erase (out, (gssize) before, 1);
      *strip = FALSE;
    }
}

char *
hearth_tokenizer_decode (HearthTokenizer *self,
                         const gint32    *ids,
                         gsize            n_ids,
                         gboolean         render_special,
                         gsize           *out_len)
{
  GString *out = g_string_new (NULL);
  gboolean strip = strips_space (self);

  for (gsize i = 0; i < n_ids; i++)
    append_piece (self, ids[i], render_special, &strip, out);
  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free (out, FALSE);
}

struct _HearthDetokenizer
{
  HearthTokenizer *tok;
  gboolean         render_special;
  gboolean         strip;
  GString         *pending; /* bytes not yet returned: an incomplete character */
};

HearthDetokenizer *
hearth_detokenizer_new (HearthTokenizer *tok,
                        gboolean         render_special)
{
  HearthDetokenizer *d = g_new0 (HearthDetokenizer, 1);

  d->tok = hearth_tokenizer_ref (tok);
  d->render_special = render_special;
  d->strip = strips_space (tok);
  d->pending = g_string_new (NULL);
  return d;
}

void
hearth_detokenizer_free (HearthDetokenizer *d)
{
  if (d == NULL)
    return;
  hearth_tokenizer_unref (d->tok);
  g_string_free (d->pending, TRUE);
  g_free (d);
}

/* Moves the complete characters of d->pending to @out; with @all, the
 * incomplete tail too. Bytes that cannot start a character become U+FFFD. */
static gsize
drain (HearthDetokenizer *d,
       GString           *out,
       gboolean           all)
{
  const guint8 *p = (const guint8 *) d->pending->str;
  gsize n = d->pending->len, i = 0, before = out->len;

  while (i < n)
    {
      int k = hearth_utf8_check (p + i, n - i);

      if (k > 0)
        {
          g_string_append_len (out, (const char *) p + i, k);
          i += (gsize) k;
        }
      else if (k < 0 || all)
        {
          g_string_append (out, "\xef\xbf\xbd");
          i++;
        }
      else
        break;
    }
  g_string_erase (d->pending, 0, (gssize) i);
  return out->len - before;
}

gsize
hearth_detokenizer_push (HearthDetokenizer *d,
                         gint32             id,
                         GString           *out)
{
  g_return_val_if_fail (d != NULL && out != NULL, 0);
  append_piece (d->tok, id, d->render_special, &d->strip, d->pending);
  return drain (d, out, FALSE);
}

gsize
hearth_detokenizer_flush (HearthDetokenizer *d,
                          GString           *out)
{
  gsize n;

  g_return_val_if_fail (d != NULL && out != NULL, 0);
  n = drain (d, out, TRUE);
  d->strip = strips_space (d->tok);
  return n;
}

/* ---- accessors ---- */

HearthTokenizerFamily
hearth_tokenizer_get_family (HearthTokenizer *self)
{
  return self->family;
}

const char *
hearth_tokenizer_get_family_name (HearthTokenizer *self)
{
  static const char *const names[] = { "spm", "bpe", "wpm" };
  return names[self->family];
}

const char *
hearth_tokenizer_get_pre (HearthTokenizer *self)
{
  return self->pre;
}

guint32
hearth_tokenizer_get_n_vocab (HearthTokenizer *self)
{
  return self->n_vocab;
}

gboolean
hearth_tokenizer_get_add_bos (HearthTokenizer *self)
{
  return self->add_bos;
}

gboolean
hearth_tokenizer_get_add_eos (HearthTokenizer *self)
{
  return self->add_eos;
}

const char *
hearth_tokenizer_get_piece (HearthTokenizer *self,
                            gint32           id,
                            gsize           *len)
{
  gsize n = 0;
  const char *s = NULL;

  if (id >= 0 && (guint32) id < self->n_vocab)
    s = (const char *) token_text (self, id, &n);
  if (len != NULL)
    *len = n;
  return s;
}

gint32 hearth_tokenizer_get_bos (HearthTokenizer *self) { return self->bos; }
gint32 hearth_tokenizer_get_eos (HearthTokenizer *self) { return self->eos; }
gint32 hearth_tokenizer_get_eot (HearthTokenizer *self) { return self->eot; }
gint32 hearth_tokenizer_get_unk (HearthTokenizer *self) { return self->unk; }
gint32 hearth_tokenizer_get_pad (HearthTokenizer *self) { return self->pad; }
gint32 hearth_tokenizer_get_sep (HearthTokenizer *self) { return self->sep; }
gint32 hearth_tokenizer_get_cls (HearthTokenizer *self) { return self->cls; }

gboolean
hearth_tokenizer_is_eog (HearthTokenizer *self,
                         gint32           id)
{
  return id >= 0 && (guint32) id < self->n_vocab && self->eog[id];
}

gboolean
hearth_tokenizer_is_control (HearthTokenizer *self,
                             gint32           id)
{
  return id >= 0 && (guint32) id < self->n_vocab && (self->attr[id] & TOK_ATTR_CONTROL) != 0;
}

gint32
hearth_tokenizer_find_token (HearthTokenizer *self,
                             const char      *piece)
{
  g_return_val_if_fail (piece != NULL, -1);
  return lookup_token (self, piece);
}
