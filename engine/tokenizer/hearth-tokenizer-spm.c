/* hearth-tokenizer-spm.c: SentencePiece (BPE by piece scores, byte fallback)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Spaces become U+2581 and, where asked, one is put in front. The text is cut
 * into UTF-8 characters; then the adjacent pair whose concatenation is the
 * vocabulary entry with the highest score is merged, again and again (ties:
 * the leftmost pair). A max-heap of candidate pairs keeps this O(n log n);
 * stale candidates are recognised by their length and skipped. Pieces left
 * that are not in the vocabulary are spelled as byte tokens.
 */
#include "hearth-tokenizer-private.h"
#include "hearth-merge-heap.h"

#include <string.h>

typedef struct
{
  guint32 start, len; /* bytes in the escaped text; len 0: merged away */
  gint32  prev, next;
} Sym;

typedef HearthMergePair Pair;

static void
try_pair (HearthTokenizer *tok,
          const char      *s,
          const Sym       *syms,
          gint32           left,
          gint32           right,
          GArray          *heap)
{
  gint32 id;
  Pair p = { 0 };

  if (left < 0 || right < 0)
    return;
  id = hearth_str_table_value (&tok->strings,
                               hearth_str_table_lookup (&tok->strings, s + syms[left].start,
                                                        syms[left].len + syms[right].len));
  if (id < 0)
    return;
  p.priority = -(double) tok->scores[id];  /* the best score merges first */
  p.left = left;
  p.right = right;
  p.len = syms[left].len + syms[right].len;
  hearth_merge_heap_push (heap, p);
}

static gsize
utf8_lead_len (guint8 b)
{
  static const guint8 by_high_nibble[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
  return by_high_nibble[b >> 4];
}

/* The merges of one segment of escaped text (no space prefix to add). */
static void
encode_segment (HearthTokenizer *tok,
                const char      *str,
                gsize            len,
                GArray          *syms,
                GArray          *heap,
                GArray          *ids)
{
  Sym *sym;

  g_array_set_size (syms, 0);
  g_array_set_size (heap, 0);
  for (gsize i = 0; i < len;)
    {
      Sym y;
      gsize n = MIN (utf8_lead_len ((guint8) str[i]), len - i);

      y.start = (guint32) i;
      y.len = (guint32) n;
      y.prev = (gint32) syms->len - 1;
      y.next = i + n < len ? (gint32) syms->len + 1 : -1;
      g_array_append_val (syms, y);
      i += n;
    }
  sym = (Sym *) syms->data;
  for (guint i = 1; i < syms->len; i++)
    try_pair (tok, str, sym, (gint32) i - 1, (gint32) i, heap);

  while (heap->len > 0)
    {
      Pair p = hearth_merge_heap_pop (heap);
      Sym *l = &sym[p.left], *r = &sym[p.right];

      if (l->len == 0 || r->len == 0 || l->len + r->len != p.len)
        continue;
      l->len += r->len;
      r->len = 0;
      l->next = r->next;
      if (r->next >= 0)
        sym[r->next].prev = p.left;
      try_pair (tok, str, sym, l->prev, p.left, heap);
      try_pair (tok, str, sym, p.left, l->next, heap);
    }

  for (gint32 i = syms->len > 0 ? 0 : -1; i >= 0; i = sym[i].next)
    {
      gint32 id = hearth_str_table_value (
          &tok->strings, hearth_str_table_lookup (&tok->strings, str + sym[i].start, sym[i].len));

      if (id >= 0)
        g_array_append_val (ids, id);
      else
        for (guint32 k = 0; k < sym[i].len; k++)
          {
            gint32 b = tok->byte_token[(guint8) str[sym[i].start + k]];
            if (b >= 0)
              g_array_append_val (ids, b);
          }
    }
}

#define SEGMENT_CACHE_MAX_LEN 64

static gboolean
is_space_mark (const char *s,
               gsize       i,
               gsize       len)
{
  return i + 3 <= len && memcmp (s + i, "\xe2\x96\x81", 3) == 0;
}

void
hearth_spm_encode (HearthTokenizer *tok,
                   const char      *text,
                   gsize            len,
                   gboolean         space_prefix,
                   GArray          *ids)
{
  g_autoptr(GString) s = g_string_sized_new (len + len / 2 + 4);
  g_autoptr(GArray) syms = g_array_new (FALSE, FALSE, sizeof (Sym));
  g_autoptr(GArray) heap = g_array_new (FALSE, FALSE, sizeof (Pair));
  g_autoptr(GArray) seg_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gsize seg = 0;

  if (space_prefix)
    g_string_append (s, "\xe2\x96\x81");
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == ' ')
        g_string_append (s, "\xe2\x96\x81");
      else
        g_string_append_c (s, text[i]);
    }
  if (!tok->spm_split_words)
    {
      encode_segment (tok, s->str, s->len, syms, heap, ids);
      return;
    }

  /* No vocabulary entry joins a character to a following U+2581, so the text
   * can be cut before each word's U+2581 and the parts merged separately
   * with the same result; repeated words then come from a cache. */
  for (gsize i = 0; i <= s->len; i++)
    {
      gsize n;

      if (i < s->len
          && !(i > seg && is_space_mark (s->str, i, s->len)
               && !(i >= 3 && is_space_mark (s->str, i - 3, s->len))))
        continue;
      n = i - seg;
      if (n == 0)
        continue;
      if (n > SEGMENT_CACHE_MAX_LEN || !hearth_word_cache_get (&tok->cache, s->str + seg, n, ids))
        {
          g_array_set_size (seg_ids, 0);
          encode_segment (tok, s->str + seg, n, syms, heap, seg_ids);
          g_array_append_vals (ids, seg_ids->data, seg_ids->len);
          if (n <= SEGMENT_CACHE_MAX_LEN)
            hearth_word_cache_put (&tok->cache, s->str + seg, n, (const gint32 *) seg_ids->data,
                                   seg_ids->len);
        }
      seg = i;
    }
}
