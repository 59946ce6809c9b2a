/* hearth-tokenizer-wpm.c: WordPiece (BERT)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The text is normalised per code point (to the first character of its
 * canonical decomposition, so accents on precomposed letters drop away, then
 * lowercased), split at whitespace, and punctuation, ASCII symbols and CJK
 * ideographs become words of their own; control characters vanish. Each word,
 * with U+2581 in front (how the GGUF vocabulary marks a word start), is cut
 * greedily into the longest vocabulary entries; a word that cannot be cut
 * completely becomes the unknown token.
 */
#include "hearth-tokenizer-private.h"

#include <string.h>

static gboolean
is_cjk_ideograph (gunichar c)
{
  /* the ranges BERT's basic tokenizer treats as Chinese characters */
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)
         || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F)
         || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
         || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static void
encode_word (HearthTokenizer *tok,
             const GString   *word,
             GArray          *ids)
{
  gsize n = word->len;
  guint before = ids->len;

  for (gsize i = 0; i < n;)
    {
      gsize j;
      gint32 id = -1;

      for (j = MIN (n, i + tok->max_token_len); j > i; j--)
        {
          id = hearth_str_table_value (
              &tok->strings, hearth_str_table_lookup (&tok->strings, word->str + i, j - i));
          if (id >= 0)
            break;
        }
      if (id < 0)
        {
          g_array_set_size (ids, before);
          break;
        }
      g_array_append_val (ids, id);
      i = j;
    }
  if (ids->len == before && tok->unk >= 0)
    g_array_append_val (ids, tok->unk);
}

void
hearth_wpm_encode (HearthTokenizer *tok,
                   const char      *text,
                   gsize            len,
                   GArray          *ids)
{
  g_autoptr(GArray) cps = g_array_new (FALSE, FALSE, sizeof (gunichar));
  g_autoptr(GArray) flags = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autoptr(GString) word = g_string_new ("\xe2\x96\x81");
  const gsize prefix = word->len;

  hearth_utf8_decode_lossy (text, len, cps, flags);
  for (guint i = 0; i <= cps->len; i++)
    {
      gunichar c, d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
      guint8 f;

      if (i == cps->len)
        {
          if (word->len > prefix)
            encode_word (tok, word, ids);
          break;
        }
      c = g_array_index (cps, gunichar, i);
      if (g_unichar_fully_decompose (c, FALSE, d, G_N_ELEMENTS (d)) > 0)
        c = d[0];
      f = hearth_cp_flags (c);
      if (f & CP_WS)
        {
          if (word->len > prefix)
            encode_word (tok, word, ids);
          g_string_truncate (word, prefix);
          continue;
        }
      if (c == 0 || c == 0xFFFD || (f & CP_C))
        continue;
      c = g_unichar_tolower (c);
      if ((f & CP_P) || (c < 0x7F && (f & CP_S)) || is_cjk_ideograph (c))
        {
          if (word->len > prefix)
            encode_word (tok, word, ids);
          g_string_truncate (word, prefix);
          g_string_append_unichar (word, c);
          encode_word (tok, word, ids);
          g_string_truncate (word, prefix);
        }
      else
        g_string_append_unichar (word, c);
    }
}
