/* hearth-pretokenize.c: UTF-8 and Unicode-class helpers, the string table and
 * the BPE pre-tokenizers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A pre-tokenizer is a list of split patterns applied one after the other:
 * each pattern cuts every piece left by the previous one into the parts it
 * matches and the text between matches. The patterns are the published
 * regular expressions of each model family, written here as scanners over
 * code points with their Unicode general category (GLib's tables) rather
 * than as a regex engine. A pattern sees only its piece: lookaheads stop at
 * the piece's end.
 */
#include "hearth-tokenizer-private.h"

#include <string.h>

/* ---- string table ---- */

static guint32
hash_bytes (const char *s,
            gsize       len)
{
  /* FNV-1a, then a final mix so that the low bits spread well. */
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    h = (h ^ (guint8) s[i]) * 16777619u;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

void
hearth_str_table_init (HearthStrTable *t,
                       guint32         expected)
{
  guint32 slots = 16;

  memset (t, 0, sizeof *t);
  while (slots < expected * 2 + 2)
    slots *= 2;
  t->bytes = g_byte_array_new ();
  t->cap = MAX (expected, 16);
  t->off = g_new (guint32, t->cap);
  t->len = g_new (guint32, t->cap);
  t->hash = g_new (guint32, t->cap);
  t->value = g_new (gint32, t->cap);
  t->slots = g_new0 (guint32, slots);
  t->mask = slots - 1;
}

void
hearth_str_table_clear (HearthStrTable *t)
{
  if (t->bytes != NULL)
    g_byte_array_unref (t->bytes);
  g_free (t->off);
  g_free (t->len);
  g_free (t->hash);
  g_free (t->value);
  g_free (t->slots);
  memset (t, 0, sizeof *t);
}

gint32
hearth_str_table_lookup (const HearthStrTable *t,
                         const char           *s,
                         gsize                 len)
{
  guint32 h, i;

  if (t->slots == NULL)
    return -1;
  h = hash_bytes (s, len);
  for (i = h & t->mask;; i = (i + 1) & t->mask)
    {
      guint32 slot = t->slots[i];
      guint32 id;

      if (slot == 0)
        return -1;
      id = slot - 1;
      if (t->hash[id] == h && t->len[id] == len
          && memcmp (t->bytes->data + t->off[id], s, len) == 0)
        return (gint32) id;
    }
}

static void
str_table_grow (HearthStrTable *t)
{
  guint32 slots = (t->mask + 1) * 2;

  g_free (t->slots);
  t->slots = g_new0 (guint32, slots);
  t->mask = slots - 1;
  for (guint32 id = 0; id < t->n; id++)
    {
      guint32 i = t->hash[id] & t->mask;

      while (t->slots[i] != 0)
        i = (i + 1) & t->mask;
      t->slots[i] = id + 1;
    }
}

gint32
hearth_str_table_intern (HearthStrTable *t,
                         const char     *s,
                         gsize           len,
                         gint32          value)
{
  gint32 found = hearth_str_table_lookup (t, s, len);
  guint32 id, i;

  if (found >= 0)
    return found;
  if (t->n == t->cap)
    {
      t->cap *= 2;
      t->off = g_renew (guint32, t->off, t->cap);
      t->len = g_renew (guint32, t->len, t->cap);
      t->hash = g_renew (guint32, t->hash, t->cap);
      t->value = g_renew (gint32, t->value, t->cap);
    }
  if ((t->n + 1) * 2 > t->mask + 1)
    str_table_grow (t);
  id = t->n++;
  t->off[id] = t->bytes->len;
  t->len[id] = (guint32) len;
  t->hash[id] = hash_bytes (s, len);
  t->value[id] = value;
  g_byte_array_append (t->bytes, (const guint8 *) s, (guint) len);
  for (i = t->hash[id] & t->mask; t->slots[i] != 0; i = (i + 1) & t->mask)
    ;
  t->slots[i] = id + 1;
  return (gint32) id;
}

/* ---- word cache ---- */

#define WORD_CACHE_MAX_WORDS 65536

void
hearth_word_cache_init (HearthWordCache *c)
{
  g_mutex_init (&c->lock);
  hearth_str_table_init (&c->words, 1024);
  c->spans = g_array_new (FALSE, FALSE, sizeof (guint32));
  c->ids = g_array_new (FALSE, FALSE, sizeof (gint32));
}

void
hearth_word_cache_clear (HearthWordCache *c)
{
  if (c->spans == NULL)
    return;
  g_mutex_clear (&c->lock);
  hearth_str_table_clear (&c->words);
  g_clear_pointer (&c->spans, g_array_unref);
  g_clear_pointer (&c->ids, g_array_unref);
}

gboolean
hearth_word_cache_get (HearthWordCache *c,
                       const char      *word,
                       gsize            len,
                       GArray          *ids)
{
  gint32 k;

  g_mutex_lock (&c->lock);
  k = hearth_str_table_lookup (&c->words, word, len);
  if (k >= 0)
    {
      guint32 span = (guint32) c->words.value[k];
      guint32 off = g_array_index (c->spans, guint32, 2 * span);
      guint32 n = g_array_index (c->spans, guint32, 2 * span + 1);

      g_array_append_vals (ids, &g_array_index (c->ids, gint32, off), n);
    }
  g_mutex_unlock (&c->lock);
  return k >= 0;
}

void
hearth_word_cache_put (HearthWordCache *c,
                       const char      *word,
                       gsize            len,
                       const gint32    *ids,
                       guint            n)
{
  guint32 span[2];

  g_mutex_lock (&c->lock);
  if (c->words.n >= WORD_CACHE_MAX_WORDS)
    {
      /* full: start again rather than track use */
      hearth_str_table_clear (&c->words);
      hearth_str_table_init (&c->words, 1024);
      g_array_set_size (c->spans, 0);
      g_array_set_size (c->ids, 0);
    }
  if (hearth_str_table_lookup (&c->words, word, len) < 0)
    {
      span[0] = c->ids->len;
      span[1] = n;
      hearth_str_table_intern (&c->words, word, len, (gint32) (c->spans->len / 2));
      g_array_append_vals (c->spans, span, 2);
      g_array_append_vals (c->ids, ids, n);
    }
  g_mutex_unlock (&c->lock);
}

/* ---- UTF-8 ---- */

int
hearth_utf8_check (const guint8 *p,
                   gsize         n)
{
  guint8 b = p[0];
  int need;
  guint8 lo = 0x80, hi = 0xBF; /* allowed range of the second byte */

  if (b < 0x80)
    return 1;
  if (b < 0xC2)
    return -1;
  if (b < 0xE0)
    need = 2;
  else if (b < 0xF0)
    {
      need = 3;
      if (b == 0xE0)
        lo = 0xA0; /* no overlong forms */
      else if (b == 0xED)
        hi = 0x9F; /* no surrogates */
    }
  else if (b < 0xF5)
    {
      need = 4;
      if (b == 0xF0)
        lo = 0x90;
      else if (b == 0xF4)
        hi = 0x8F; /* nothing above U+10FFFF */
    }
  else
    return -1;
  for (int i = 1; i < need; i++)
    {
      if ((gsize) i >= n)
        return 0;
      if (i == 1 ? (p[i] < lo || p[i] > hi) : (p[i] & 0xC0) != 0x80)
        return -1;
    }
  return need;
}

static gunichar
utf8_get (const guint8 *p,
          int           n)
{
  switch (n)
    {
    case 1:
      return p[0];
    case 2:
      return ((gunichar) (p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    case 3:
      return ((gunichar) (p[0] & 0x0F) << 12) | ((gunichar) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    default:
      return ((gunichar) (p[0] & 0x07) << 18) | ((gunichar) (p[1] & 0x3F) << 12)
             | ((gunichar) (p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    }
}

static gboolean
is_white_space (gunichar c)
{
  /* The White_Space property (PropList.txt), which is what \s means in the
   * published patterns. GLib's g_unichar_isspace() differs (no U+000B, U+0085). */
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028
         || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

guint8
hearth_cp_flags (gunichar c)
{
  guint8 f = is_white_space (c) ? CP_WS : 0;

  switch (g_unichar_type (c))
    {
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_TITLECASE_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_OTHER_LETTER:
      return f | CP_L;
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_LETTER_NUMBER:
    case G_UNICODE_OTHER_NUMBER:
      return f | CP_N;
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return f | CP_P;
    case G_UNICODE_CURRENCY_SYMBOL:
    case G_UNICODE_MODIFIER_SYMBOL:
    case G_UNICODE_MATH_SYMBOL:
    case G_UNICODE_OTHER_SYMBOL:
      return f | CP_S;
    case G_UNICODE_SPACING_MARK:
    case G_UNICODE_ENCLOSING_MARK:
    case G_UNICODE_NON_SPACING_MARK:
      return f | CP_M;
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
      return f | CP_C;
    default:
      return f;
    }
}

static guint8 ascii_flags[128];
static gsize ascii_flags_ready;

void
hearth_utf8_decode_lossy (const char *text,
                          gsize       len,
                          GArray     *cps,
                          GArray     *flags)
{
  const guint8 *p = (const guint8 *) text;
  gsize i = 0;

  if (g_once_init_enter (&ascii_flags_ready))
    {
      for (gunichar c = 0; c < 128; c++)
        ascii_flags[c] = hearth_cp_flags (c);
      g_once_init_leave (&ascii_flags_ready, 1);
    }
  while (i < len)
    {
      gunichar c;
      guint8 f;

      if (p[i] < 0x80)
        {
          c = p[i++];
          f = ascii_flags[c];
        }
      else
        {
          int n = hearth_utf8_check (p + i, len - i);

          if (n > 0)
            {
              c = utf8_get (p + i, n);
              i += (gsize) n;
            }
          else
            {
              c = 0xFFFD;
              i++;
            }
          f = hearth_cp_flags (c);
        }
      g_array_append_val (cps, c);
      g_array_append_val (flags, f);
    }
}

/* ---- split patterns ---- */

typedef struct
{
  const gunichar *cp;
  const guint8   *fl;
} Text;

/* Returns the length of the match at @pos (0: none); the piece ends at @end. */
typedef gsize (*MatchFunc) (const Text *t, gsize pos, gsize end);

#define IS(t, i, f) (((t)->fl[i] & (f)) != 0)
/* [^\s\p{L}\p{N}] */
#define IS_OTHER(t, i) (((t)->fl[i] & (CP_WS | CP_L | CP_N)) == 0)

static gsize
run_of (const Text *t,
        gsize       pos,
        gsize       end,
        guint8      f)
{
  gsize i = pos;

  while (i < end && IS (t, i, f))
    i++;
  return i - pos;
}

static gsize
run_other (const Text *t,
           gsize       pos,
           gsize       end)
{
  gsize i = pos;

  while (i < end && IS_OTHER (t, i))
    i++;
  return i - pos;
}

static gunichar
ascii_lower (gunichar c)
{
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 's 't 're 've 'm 'll 'd, optionally in either case */
static gsize
match_contraction (const Text *t,
                   gsize       pos,
                   gsize       end,
                   gboolean    any_case)
{
  gunichar a, b;

  if (t->cp[pos] != '\'' || pos + 1 >= end)
    return 0;
  a = any_case ? ascii_lower (t->cp[pos + 1]) : t->cp[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd')
    return 2;
  if (pos + 2 >= end)
    return 0;
  b = any_case ? ascii_lower (t->cp[pos + 2]) : t->cp[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
    return 3;
  return 0;
}

/* \s+(?!\S) then, where @fallback, \s+ */
static gsize
match_trailing_space (const Text *t,
                      gsize       pos,
                      gsize       end,
                      gboolean    fallback)
{
  gsize n = run_of (t, pos, end, CP_WS);

  if (n == 0)
    return 0;
  if (pos + n == end)
    return n;
  if (n >= 2)
    return n - 1;
  return fallback ? n : 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static gsize
match_gpt2 (const Text *t,
            gsize       pos,
            gsize       end)
{
  gsize m = match_contraction (t, pos, end, FALSE);
  gsize p = pos;

  if (m > 0)
    return m;
  if (t->cp[p] == ' ' && p + 1 < end && !IS (t, p + 1, CP_WS))
    p++;
  if (IS (t, p, CP_L))
    return p - pos + run_of (t, p, end, CP_L);
  if (IS (t, p, CP_N))
    return p - pos + run_of (t, p, end, CP_N);
  if (IS_OTHER (t, p))
    return p - pos + run_other (t, p, end);
  return match_trailing_space (t, pos, end, FALSE);
}

/* The llama3 pattern (qwen2: D = 1, llama3: D = 3), in two lines:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static gsize
match_llama3_digits (const Text *t,
                     gsize       pos,
                     gsize       end,
                     gsize       max_digits)
{
  gunichar c = t->cp[pos];
  gsize m = match_contraction (t, pos, end, TRUE);
  gsize p;

  if (m > 0)
    return m;
  if (IS (t, pos, CP_L))
    return run_of (t, pos, end, CP_L);
  if (c != '\r' && c != '\n' && !IS (t, pos, CP_N) && pos + 1 < end && IS (t, pos + 1, CP_L))
    return 1 + run_of (t, pos + 1, end, CP_L);
  if (IS (t, pos, CP_N))
    return MIN (run_of (t, pos, end, CP_N), max_digits);
  p = pos;
  if (c == ' ' && p + 1 < end && IS_OTHER (t, p + 1))
    p++;
  if (IS_OTHER (t, p))
    {
      p += run_other (t, p, end);
      while (p < end && (t->cp[p] == '\r' || t->cp[p] == '\n'))
        p++;
      return p - pos;
    }
  if (IS (t, pos, CP_WS))
    {
      gsize n = run_of (t, pos, end, CP_WS);

      /* \s*[\r\n]+ backs off to the last line break of the run */
      for (gsize i = pos + n; i > pos; i--)
        if (t->cp[i - 1] == '\r' || t->cp[i - 1] == '\n')
          return i - pos;
      return match_trailing_space (t, pos, end, TRUE);
    }
  return 0;
}

static gsize
match_llama3 (const Text *t,
              gsize       pos,
              gsize       end)
{
  return match_llama3_digits (t, pos, end, 3);
}

static gsize
match_qwen2 (const Text *t,
             gsize       pos,
             gsize       end)
{
  return match_llama3_digits (t, pos, end, 1);
}

/* \p{N} */
static gsize
match_one_number (const Text *t,
                  gsize       pos,
                  gsize       end)
{
  return IS (t, pos, CP_N) ? 1 : 0;
}

/* \p{N}+ */
static gsize
match_numbers (const Text *t,
               gsize       pos,
               gsize       end)
{
  return run_of (t, pos, end, CP_N);
}

/* [0-9][0-9][0-9] */
static gsize
match_three_ascii_digits (const Text *t,
                          gsize       pos,
                          gsize       end)
{
  if (pos + 3 > end)
    return 0;
  for (gsize i = pos; i < pos + 3; i++)
    if (t->cp[i] < '0' || t->cp[i] > '9')
      return 0;
  return 3;
}

static gboolean
is_symbol_run_char (const Text *t,
                    gsize       i,
                    gboolean    backtick)
{
  gunichar c = t->cp[i];

  return IS (t, i, CP_P) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^'
         || c == '~' || c == '|' || (backtick && c == '`');
}

/* [\p{P}\$\+<=>\^~\|]+ */
static gsize
match_punct_default (const Text *t,
                     gsize       pos,
                     gsize       end)
{
  gsize i = pos;

  while (i < end && is_symbol_run_char (t, i, FALSE))
    i++;
  return i - pos;
}

/* [\p{P}\$\+<=>\^~\|`]+ */
static gsize
match_punct_falcon (const Text *t,
                    gsize       pos,
                    gsize       end)
{
  gsize i = pos;

  while (i < end && is_symbol_run_char (t, i, TRUE))
    i++;
  return i - pos;
}

/* [\r\n] */
static gsize
match_line_break (const Text *t,
                  gsize       pos,
                  gsize       end)
{
  return t->cp[pos] == '\r' || t->cp[pos] == '\n' ? 1 : 0;
}

typedef struct
{
  gunichar lo, hi;
} Range;

static gboolean
in_ranges (gunichar     c,
           const Range *r,
           gsize        n)
{
  gsize a = 0, b = n;

  if (c < 0x80)
    {
      /* most text is ASCII: the first few ranges decide it */
      for (gsize i = 0; i < n && r[i].lo <= c; i++)
        if (c <= r[i].hi)
          return TRUE;
      return FALSE;
    }

  while (a < b)
    {
      gsize mid = (a + b) / 2;

      if (c < r[mid].lo)
        b = mid;
      else if (c > r[mid].hi)
        a = mid + 1;
      else
        return TRUE;
    }
  return FALSE;
}

/* The cased-letter class of DeepSeek LLM's published pattern, sorted. */
static const Range deepseek_letters[] = {
  { 0x0041, 0x005A }, { 0x0061, 0x007A }, { 0x00B5, 0x00B5 }, { 0x00C0, 0x00D6 },
  { 0x00D8, 0x00F6 }, { 0x00F8, 0x01BA }, { 0x01BC, 0x01BF }, { 0x01C4, 0x0293 },
  { 0x0295, 0x02AF }, { 0x0370, 0x0373 }, { 0x0376, 0x0377 }, { 0x037B, 0x037D },
  { 0x037F, 0x037F }, { 0x0386, 0x0386 }, { 0x0388, 0x038A }, { 0x038C, 0x038C },
  { 0x038E, 0x03A1 }, { 0x03A3, 0x03F5 }, { 0x03F7, 0x0481 }, { 0x048A, 0x052F },
  { 0x0531, 0x0556 }, { 0x10A0, 0x10C5 }, { 0x13A0, 0x13F5 }, { 0x13F8, 0x13FD },
  { 0x1C90, 0x1CBA }, { 0x1CBD, 0x1CBF }, { 0x1D00, 0x1D2B }, { 0x1D6B, 0x1D77 },
  { 0x1D79, 0x1D9A }, { 0x1E00, 0x1F15 }, { 0x1F18, 0x1F1D }, { 0x1F20, 0x1F45 },
  { 0x1F48, 0x1F4D }, { 0x1F50, 0x1F57 }, { 0x1F59, 0x1F59 }, { 0x1F5B, 0x1F5B },
  { 0x1F5D, 0x1F5D }, { 0x1F5F, 0x1F7D }, { 0x1F80, 0x1FB4 }, { 0x1FB6, 0x1FBC },
  { 0x1FBE, 0x1FBE }, { 0x1FC2, 0x1FC4 }, { 0x1FC6, 0x1FCC }, { 0x1FD0, 0x1FD3 },
  { 0x1FD6, 0x1FDB }, { 0x1FE0, 0x1FEC }, { 0x1FF2, 0x1FF4 }, { 0x1FF6, 0x1FFC },
  { 0x2102, 0x2102 }, { 0x2107, 0x2107 }, { 0x210A, 0x2113 }, { 0x2115, 0x2115 },
  { 0x2119, 0x211D }, { 0x2124, 0x2124 }, { 0x2126, 0x2126 }, { 0x2128, 0x2128 },
  { 0x212A, 0x212D }, { 0x212F, 0x2134 }, { 0x2139, 0x2139 }, { 0x213C, 0x213F },
  { 0x2145, 0x2149 }, { 0x214E, 0x214E }, { 0x2183, 0x2184 }, { 0x2C00, 0x2C7B },
  { 0x2C7E, 0x2CE4 }, { 0x2CEB, 0x2CEE }, { 0x2CF2, 0x2CF3 }, { 0xA640, 0xA66D },
  { 0xA680, 0xA69B }, { 0xA722, 0xA76F }, { 0xA771, 0xA787 }, { 0xA78B, 0xA78E },
  { 0xAB70, 0xABBF }, { 0xFB00, 0xFB06 }, { 0xFB13, 0xFB17 }, { 0xFF21, 0xFF3A },
  { 0xFF41, 0xFF5A }, { 0x10400, 0x1044F }, { 0x104B0, 0x104D3 }, { 0x104D8, 0x104FB },
  { 0x10C80, 0x10CB2 }, { 0x10CC0, 0x10CF2 }, { 0x118A0, 0x118DF }, { 0x1E900, 0x1E943 },
};

static const Range deepseek_punct[] = {
  { 0x0021, 0x002F }, { 0x003A, 0x007E }, { 0x2018, 0x201F }, { 0x3000, 0x3002 },
  { 0xFF01, 0xFF0F }, { 0xFF1A, 0xFF5E },
};

static const Range deepseek_cjk[] = {
  { 0x0800, 0x9FA5 }, { 0xAC00, 0xD7FF },
};

/* \s?[class]+ where whitespace never counts as a class member */
static gsize
match_space_class_run (const Text  *t,
                       gsize        pos,
                       gsize        end,
                       const Range *r,
                       gsize        n_r)
{
  gsize p = pos, i;

#define IN_CLASS(k) (!IS (t, k, CP_WS) && in_ranges (t->cp[k], r, n_r))
  if (IS (t, p, CP_WS) && p + 1 < end && IN_CLASS (p + 1))
    p++;
  for (i = p; i < end && IN_CLASS (i); i++)
    ;
#undef IN_CLASS
  return i > p ? i - pos : 0;
}

static gsize
match_deepseek_letters (const Text *t,
                        gsize       pos,
                        gsize       end)
{
  return match_space_class_run (t, pos, end, deepseek_letters, G_N_ELEMENTS (deepseek_letters));
}

static gsize
match_deepseek_punct (const Text *t,
                      gsize       pos,
                      gsize       end)
{
  return match_space_class_run (t, pos, end, deepseek_punct, G_N_ELEMENTS (deepseek_punct));
}

/* [一-龥ࠀ-一가-퟿]+ */
static gsize
match_deepseek_cjk (const Text *t,
                    gsize       pos,
                    gsize       end)
{
  gsize i = pos;

  while (i < end && !IS (t, i, CP_WS)
         && in_ranges (t->cp[i], deepseek_cjk, G_N_ELEMENTS (deepseek_cjk)))
    i++;
  return i - pos;
}

/* \s?\p{L}+ */
static gsize
match_space_letters (const Text *t,
                     gsize       pos,
                     gsize       end)
{
  gsize p = pos;

  if (IS (t, p, CP_WS) && p + 1 < end && IS (t, p + 1, CP_L))
    p++;
  return IS (t, p, CP_L) ? p - pos + run_of (t, p, end, CP_L) : 0;
}

/* \s?\p{P}+ */
static gsize
match_space_punct (const Text *t,
                   gsize       pos,
                   gsize       end)
{
  gsize p = pos;

  if (IS (t, p, CP_WS) && p + 1 < end && IS (t, p + 1, CP_P))
    p++;
  return IS (t, p, CP_P) ? p - pos + run_of (t, p, end, CP_P) : 0;
}

/* ` ?[^(\s|.,!?…。，、।۔،)]+` (BLOOM, Poro, GPT-3 Finnish, Viking) */
static gboolean
is_bloom_word_char (const Text *t,
                    gsize       i)
{
  gunichar c = t->cp[i];

  if (IS (t, i, CP_WS))
    return FALSE;
  switch (c)
    {
    case '(': case '|': case ')': case '.': case ',': case '!': case '?':
    case 0x2026: case 0x3002: case 0xFF0C: case 0x3001: case 0x0964: case 0x06D4: case 0x060C:
      return FALSE;
    default:
      return TRUE;
    }
}

static gsize
match_bloom (const Text *t,
             gsize       pos,
             gsize       end)
{
  gsize p = pos, i;

  if (t->cp[p] == ' ' && p + 1 < end && is_bloom_word_char (t, p + 1))
    p++;
  for (i = p; i < end && is_bloom_word_char (t, i); i++)
    ;
  return i > p ? i - pos : 0;
}

/* \s+$ is handled by the driver (MATCH_TRAILING_WS): only the whitespace run
 * that reaches the end of a piece can match, so it is found from the end. */
#define MATCH_TRAILING_WS ((MatchFunc) NULL)

static void
split_pieces (const Text *t,
              MatchFunc   match,
              GArray     *in,
              GArray     *out)
{
  gsize start = 0;

  g_array_set_size (out, 0);
  for (guint k = 0; k < in->len; k++)
    {
      gsize end = g_array_index (in, guint32, k);
      gsize pos = start, unmatched = start;
      guint32 e;

      if (match == MATCH_TRAILING_WS)
        {
          gsize ws = end;

          while (ws > start && IS (t, ws - 1, CP_WS))
            ws--;
          if (ws > start && ws < end)
            {
              e = (guint32) ws;
              g_array_append_val (out, e);
            }
          e = (guint32) end;
          g_array_append_val (out, e);
          start = end;
          continue;
        }
      while (pos < end)
        {
          gsize m = match (t, pos, end);

          if (m == 0)
            {
              pos++;
              continue;
            }
          if (unmatched < pos)
            {
              e = (guint32) pos;
              g_array_append_val (out, e);
            }
          pos += m;
          e = (guint32) pos;
          g_array_append_val (out, e);
          unmatched = pos;
        }
      if (unmatched < end)
        {
          e = (guint32) end;
          g_array_append_val (out, e);
        }
      start = end;
    }
}

void
hearth_pretokenize (HearthPreType   pre,
                    const gunichar *cps,
                    const guint8   *flags,
                    gsize           n,
                    GArray         *ends,
                    GArray         *tmp)
{
  /* Each list holds exactly its stages (sized by G_N_ELEMENTS). */
  static const MatchFunc p_default[] = {
    match_punct_default, match_gpt2, match_numbers, match_three_ascii_digits,
  };
  static const MatchFunc p_gpt2[] = { match_gpt2 };
  static const MatchFunc p_llama3[] = { match_llama3 };
  static const MatchFunc p_qwen2[] = { match_qwen2 };
  static const MatchFunc p_starcoder[] = { match_one_number, match_gpt2 };
  static const MatchFunc p_falcon[] = {
    match_punct_falcon, match_gpt2, match_three_ascii_digits,
  };
  static const MatchFunc p_deepseek_llm[] = {
    match_line_break, match_deepseek_letters, match_deepseek_punct,
    MATCH_TRAILING_WS, match_deepseek_cjk, match_numbers,
  };
  static const MatchFunc p_deepseek_coder[] = {
    match_line_break, match_space_letters, match_space_punct, match_deepseek_cjk, match_one_number,
  };
  static const MatchFunc p_bloom[] = { match_bloom };
  static const MatchFunc p_viking[] = { match_bloom, match_one_number };
  const MatchFunc *stages;
  gsize n_stages;
  Text t = { cps, flags };
  guint32 e = (guint32) n;

#define STAGES(a) (stages = (a), n_stages = G_N_ELEMENTS (a))
  switch (pre)
    {
    case HEARTH_PRE_GPT2: STAGES (p_gpt2); break;
    case HEARTH_PRE_LLAMA3: STAGES (p_llama3); break;
    case HEARTH_PRE_QWEN2: STAGES (p_qwen2); break;
    case HEARTH_PRE_STARCODER: STAGES (p_starcoder); break;
    case HEARTH_PRE_FALCON: STAGES (p_falcon); break;
    case HEARTH_PRE_DEEPSEEK_LLM: STAGES (p_deepseek_llm); break;
    case HEARTH_PRE_DEEPSEEK_CODER: STAGES (p_deepseek_coder); break;
    case HEARTH_PRE_BLOOM: STAGES (p_bloom); break;
    case HEARTH_PRE_VIKING: STAGES (p_viking); break;
    case HEARTH_PRE_DEFAULT:
    default: STAGES (p_default); break;
    }
#undef STAGES

  g_array_set_size (ends, 0);
  if (n == 0)
    return;
  g_array_set_size (tmp, 0);
  g_array_append_val (tmp, e);
  for (gsize s = 0; s < n_stages; s++)
    {
      split_pieces (&t, stages[s], tmp, ends);
      g_array_set_size (tmp, 0);
      g_array_append_vals (tmp, ends->data, ends->len);
    }
}
