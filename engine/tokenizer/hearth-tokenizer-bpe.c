/* hearth-tokenizer-bpe.c: byte-level BPE (GPT-2 style)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every byte is written as a printable character (GPT-2's byte map), the
 * text is split into words by the pre-tokenizer, and in each word the
 * adjacent pair with the lowest merge rank is merged until none is left
 * (ties: the leftmost). Strings are interned once at load, so a merge is a
 * hash lookup on two ids; a heap of candidate pairs makes a word O(n log n).
 * Words repeat a lot in real text, so results are cached per word.
 */
#include "hearth-tokenizer-private.h"
#include "hearth-merge-heap.h"
#include "hearth-engine-error.h"

#include <string.h>

#define WORD_CACHE_MAX_LEN 64

static guint64
merge_key (gint32 left,
           gint32 right)
{
  /* +1 keeps 0 free as the empty-slot key */
  return ((guint64) (guint32) (left + 1) << 32) | (guint32) (right + 1);
}

static guint64
mix64 (guint64 x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

const HearthBpeMerge *
hearth_bpe_find_merge (const HearthTokenizer *tok,
                       gint32                 left,
                       gint32                 right)
{
  guint64 key = merge_key (left, right);

  for (guint64 i = mix64 (key) & tok->merge_mask;; i = (i + 1) & tok->merge_mask)
    {
      const HearthBpeMerge *m = &tok->merges[i];

      if (m->key == key)
        return m;
      if (m->key == 0)
        return NULL;
    }
}

static void
utf8_put (GByteArray *out,
          gunichar    c)
{
  char buf[6];
  int n = g_unichar_to_utf8 (c, buf);

  g_byte_array_append (out, (const guint8 *) buf, (guint) n);
}

gboolean
hearth_bpe_setup (HearthTokenizer *tok,
                  HearthGguf      *gguf,
                  GError         **error)
{
  const HearthGgufValue *merges
      = hearth_gguf_get_array (gguf, "tokenizer.ggml.merges", HEARTH_GGUF_TYPE_STRING, error);
  guint64 slots = 16;
  guint n = 0;
  g_autoptr(GByteArray) joined = g_byte_array_new ();

  if (merges == NULL)
    return FALSE;
  /* GPT-2's byte map: printable Latin-1 bytes stand for themselves, the
   * others take the code points from U+0100 up, in byte order */
  for (guint b = 0; b < 256; b++)
    {
      gboolean keep = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      tok->byte_to_cp[b] = (guint16) (keep ? b : 0x100 + n++);
    }
  for (guint b = 0; b < 256; b++)
    {
      char buf[6];
      int len = g_unichar_to_utf8 (tok->byte_to_cp[b], buf);
      tok->byte_string[b] = hearth_str_table_intern (&tok->strings, buf, (gsize) len, -1);
    }

  while (slots < merges->v.arr.n * 2 + 2)
    slots *= 2;
  tok->merges = g_new0 (HearthBpeMerge, slots);
  tok->merge_mask = slots - 1;
  for (guint64 r = 0; r < merges->v.arr.n; r++)
    {
      guint64 len;
      const char *s = hearth_gguf_array_get_string (merges, r, &len);
      const char *space = len > 1 ? memchr (s + 1, ' ', len - 1) : NULL;
      gint32 left, right, merged;
      guint64 key, i;

      if (space == NULL || r > G_MAXINT32)
        continue; /* not "left right": no merge can use it */
      left = hearth_str_table_intern (&tok->strings, s, (gsize) (space - s), -1);
      right = hearth_str_table_intern (&tok->strings, space + 1, (gsize) (s + len - space - 1), -1);
      g_byte_array_set_size (joined, 0);
      g_byte_array_append (joined, (const guint8 *) s, (guint) (space - s));
      g_byte_array_append (joined, (const guint8 *) space + 1, (guint) (s + len - space - 1));
      merged = hearth_str_table_intern (&tok->strings, (const char *) joined->data, joined->len, -1);
      key = merge_key (left, right);
      for (i = mix64 (key) & tok->merge_mask; tok->merges[i].key != 0 && tok->merges[i].key != key;
           i = (i + 1) & tok->merge_mask)
        ;
      if (tok->merges[i].key == key)
        continue; /* a repeated pair keeps its first rank */
      tok->merges[i].key = key;
      tok->merges[i].rank = (gint32) r;
      tok->merges[i].merged = merged;
    }
  return TRUE;
}

void
hearth_bpe_append_decoded (const HearthTokenizer *tok,
                           const char            *s,
                           gsize                  len,
                           GByteArray            *out)
{
  static gsize ready;
  static gint16 cp_to_byte[0x144];
  const char *end = s + len;

  if (g_once_init_enter (&ready))
    {
      for (guint i = 0; i < G_N_ELEMENTS (cp_to_byte); i++)
        cp_to_byte[i] = -1;
      for (guint b = 0; b < 256; b++)
        cp_to_byte[tok->byte_to_cp[b]] = (gint16) b;
      g_once_init_leave (&ready, 1);
    }
  while (s < end)
    {
      int n = hearth_utf8_check ((const guint8 *) s, (gsize) (end - s));
      gunichar c;

      if (n <= 0)
        {
          /* not UTF-8: pass the byte through */
          g_byte_array_append (out, (const guint8 *) s, 1);
          s++;
          continue;
        }
      c = g_utf8_get_char (s);
      if (c < G_N_ELEMENTS (cp_to_byte) && cp_to_byte[c] >= 0)
        {
          guint8 b = (guint8) cp_to_byte[c];
          g_byte_array_append (out, &b, 1);
        }
      else
        utf8_put (out, c); /* not from the byte map: keep the character */
      s += n;
    }
}

typedef struct
{
  gint32  str;        /* interned string id, -1 when unknown */
  guint32 start, len; /* bytes of the word; len 0: merged away */
  gint32  prev, next;
} Sym;

typedef HearthMergePair Pair;

static void
try_pair (const HearthTokenizer *tok,
          const Sym             *sym,
          gint32                 left,
          gint32                 right,
          GArray                *heap)
{
  const HearthBpeMerge *m;
  Pair p = { 0 };

  if (left < 0 || right < 0 || sym[left].str < 0 || sym[right].str < 0)
    return;
  m = hearth_bpe_find_merge (tok, sym[left].str, sym[right].str);
  if (m == NULL)
    return;
  p.priority = m->rank;
  p.left = left;
  p.right = right;
  p.len = sym[left].len + sym[right].len;
  p.merged = m->merged;
  hearth_merge_heap_push (heap, p);
}

/* Working memory of one encode call, reused across its fragments and words. */
struct _HearthBpeScratch
{
  GArray  *cps, *flags, *ends, *tmp; /* the fragment's code points, classes, word ends */
  GString *word;
  GArray  *word_ids;
  GArray  *syms, *heap;
  GString *mapped;
};
typedef HearthBpeScratch Scratch;

HearthBpeScratch *
hearth_bpe_scratch_new (void)
{
  HearthBpeScratch *sc = g_new0 (HearthBpeScratch, 1);

  sc->cps = g_array_new (FALSE, FALSE, sizeof (gunichar));
  sc->flags = g_array_new (FALSE, FALSE, sizeof (guint8));
  sc->ends = g_array_new (FALSE, FALSE, sizeof (guint32));
  sc->tmp = g_array_new (FALSE, FALSE, sizeof (guint32));
  sc->word = g_string_new (NULL);
  sc->word_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  sc->syms = g_array_new (FALSE, FALSE, sizeof (Sym));
  sc->heap = g_array_new (FALSE, FALSE, sizeof (Pair));
  sc->mapped = g_string_new (NULL);
  return sc;
}

void
hearth_bpe_scratch_free (HearthBpeScratch *sc)
{
  if (sc == NULL)
    return;
  g_array_unref (sc->cps);
  g_array_unref (sc->flags);
  g_array_unref (sc->ends);
  g_array_unref (sc->tmp);
  g_string_free (sc->word, TRUE);
  g_array_unref (sc->word_ids);
  g_array_unref (sc->syms);
  g_array_unref (sc->heap);
  g_string_free (sc->mapped, TRUE);
  g_free (sc);
}

/* The ids of one word (raw bytes). */
static void
encode_word (const HearthTokenizer *tok,
             const guint8          *w,
             gsize                  n,
             Scratch               *sc,
             GArray                *ids)
{
  Sym *sym;

  if (tok->ignore_merges)
    {
      gint32 id;

      g_string_truncate (sc->mapped, 0);
      for (gsize i = 0; i < n; i++)
        g_string_append_unichar (sc->mapped, tok->byte_to_cp[w[i]]);
      id = hearth_str_table_value (
          &tok->strings, hearth_str_table_lookup (&tok->strings, sc->mapped->str, sc->mapped->len));
      if (id >= 0)
        {
          g_array_append_val (ids, id);
          return;
        }
    }

  g_array_set_size (sc->syms, n);
  g_array_set_size (sc->heap, 0);
  sym = (Sym *) sc->syms->data;
  for (gsize i = 0; i < n; i++)
    {
      sym[i].str = tok->byte_string[w[i]];
      sym[i].start = (guint32) i;
      sym[i].len = 1;
      sym[i].prev = (gint32) i - 1;
      sym[i].next = i + 1 < n ? (gint32) i + 1 : -1;
    }
  for (gsize i = 1; i < n; i++)
    try_pair (tok, sym, (gint32) i - 1, (gint32) i, sc->heap);
  while (sc->heap->len > 0)
    {
      Pair p = hearth_merge_heap_pop (sc->heap);
      Sym *l = &sym[p.left], *r = &sym[p.right];

      if (l->len == 0 || r->len == 0 || l->len + r->len != p.len)
        continue;
      l->len += r->len;
      l->str = p.merged;
      r->len = 0;
      l->next = r->next;
      if (r->next >= 0)
        sym[r->next].prev = p.left;
      try_pair (tok, sym, l->prev, p.left, sc->heap);
      try_pair (tok, sym, p.left, l->next, sc->heap);
    }
  for (gint32 i = n > 0 ? 0 : -1; i >= 0; i = sym[i].next)
    {
      gint32 id = hearth_str_table_value (&tok->strings, sym[i].str);

      if (id >= 0)
        {
          g_array_append_val (ids, id);
          continue;
        }
      /* not in the vocabulary: each byte of its mapped text, where that is a token */
      g_string_truncate (sc->mapped, 0);
      for (guint32 k = 0; k < sym[i].len; k++)
        g_string_append_unichar (sc->mapped, tok->byte_to_cp[w[sym[i].start + k]]);
      for (gsize k = 0; k < sc->mapped->len; k++)
        {
          gint32 b = hearth_str_table_value (
              &tok->strings, hearth_str_table_lookup (&tok->strings, sc->mapped->str + k, 1));
          if (b >= 0)
            g_array_append_val (ids, b);
        }
    }
}

void
hearth_bpe_encode (HearthTokenizer  *tok,
                   HearthBpeScratch *sc,
                   const char       *text,
                   gsize             len,
                   GArray           *ids)
{
  GArray *cps = sc->cps, *ends = sc->ends, *word_ids = sc->word_ids;
  GString *word = sc->word;
  guint32 start = 0;

  g_array_set_size (cps, 0);
  g_array_set_size (sc->flags, 0);
  hearth_utf8_decode_lossy (text, len, cps, sc->flags);
  hearth_pretokenize (tok->pre_type, (const gunichar *) cps->data, (const guint8 *) sc->flags->data,
                      cps->len, ends, sc->tmp);

  for (guint k = 0; k < ends->len; k++)
    {
      guint32 end = g_array_index (ends, guint32, k);

      /* the word's bytes, invalid input already replaced by U+FFFD */
      g_string_truncate (word, 0);
      for (guint32 i = start; i < end; i++)
        g_string_append_unichar (word, g_array_index (cps, gunichar, i));
      start = end;

      if (word->len <= WORD_CACHE_MAX_LEN
          && hearth_word_cache_get (&tok->cache, word->str, word->len, ids))
        continue;
      g_array_set_size (word_ids, 0);
      encode_word (tok, (const guint8 *) word->str, word->len, sc, word_ids);
      g_array_append_vals (ids, word_ids->data, word_ids->len);
      if (word->len <= WORD_CACHE_MAX_LEN)
        hearth_word_cache_put (&tok->cache, word->str, word->len, (const gint32 *) word_ids->data,
                               word_ids->len);
    }
}
