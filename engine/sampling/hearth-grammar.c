/* hearth-grammar.c: GBNF text to a compiled byte grammar, and the byte matcher
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The text is hostile input: every error names its line, column and byte
 * offset; nesting, rule count, element count and repetition bounds are
 * capped (hearth-constraint.h) so no input makes the parser or the grammar
 * it builds unbounded. Repetitions become helper rules: x? is R ::= x | "",
 * x* is R ::= x R | "", x{m,n} is m copies of x then a nested chain of
 * n - m optional copies (unambiguous, so states stay small). Character
 * classes become the UTF-8 byte sequences of their code points (surrogates
 * excluded), so the matcher works on bytes alone. Left-recursive grammars
 * are refused, which makes the matcher's closure finite.
 */
#include "hearth-config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-grammar-private.h"

/* ---- building ---- */

typedef struct
{
  char      *name;
  GPtrArray *alts;      /* GArray of GrElem each; NULL until defined */
  gsize      ref_pos;   /* where it was first referenced */
} BRule;

typedef struct
{
  const char *text;
  gsize       len;
  gsize       pos;
  GError    **error;
  gboolean    failed;
  GPtrArray  *rules;    /* BRule* */
  GHashTable *names;    /* name -> index + 1 */
  guint       depth;
  gsize       n_elems;
} Parser;

static void
brule_free (gpointer data)
{
  BRule *r = data;

  g_free (r->name);
  if (r->alts != NULL)
    g_ptr_array_unref (r->alts);
  g_free (r);
}

static void
position_of (const char *text,
             gsize       pos,
             guint      *line,
             guint      *col)
{
  *line = 1;
  *col = 1;
  for (gsize i = 0; i < pos; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else
        (*col)++;
    }
}

static void G_GNUC_PRINTF (4, 5)
fail (Parser     *p,
      gsize       pos,
      int         code,
      const char *fmt,
      ...)
{
  g_autofree char *msg = NULL;
  guint line, col;
  va_list ap;

  if (p->failed)
    return;
  p->failed = TRUE;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  position_of (p->text, MIN (pos, p->len), &line, &col);
  g_set_error (p->error, HEARTH_ENGINE_ERROR, code, "grammar: line %u, column %u (byte %" G_GSIZE_FORMAT "): %s",
               line, col, pos, msg);
}

static GPtrArray *
new_alts (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
}

static GArray *
new_seq (void)
{
  return g_array_new (FALSE, FALSE, sizeof (GrElem));
}

/* A rule by name, created undefined at its first mention. */
static guint32
rule_for_name (Parser     *p,
               const char *name,
               gsize       pos)
{
  gpointer idx = g_hash_table_lookup (p->names, name);
  BRule *r;

  if (idx != NULL)
    return GPOINTER_TO_UINT (idx) - 1;
  if (p->rules->len >= HEARTH_GRAMMAR_MAX_RULES)
    {
      fail (p, pos, HEARTH_ENGINE_ERROR_LIMIT, "more than %d rules", HEARTH_GRAMMAR_MAX_RULES);
      return 0;
    }
  r = g_new0 (BRule, 1);
  r->name = g_strdup (name);
  r->ref_pos = pos;
  g_ptr_array_add (p->rules, r);
  g_hash_table_insert (p->names, r->name, GUINT_TO_POINTER (p->rules->len));
  return p->rules->len - 1;
}

/* A helper rule with @alts (taken), named after the rule being defined. */
static guint32
helper_rule (Parser    *p,
             GPtrArray *alts)
{
  BRule *r;

  if (p->rules->len >= HEARTH_GRAMMAR_MAX_RULES)
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_LIMIT, "more than %d rules", HEARTH_GRAMMAR_MAX_RULES);
      g_ptr_array_unref (alts);
      return 0;
    }
  r = g_new0 (BRule, 1);
  r->name = g_strdup_printf ("(helper %u)", p->rules->len);
  r->alts = alts;
  g_ptr_array_add (p->rules, r);
  return p->rules->len - 1;
}

static gboolean
count_elems (Parser *p,
             gsize   n)
{
  p->n_elems += n + 1;
  if (p->n_elems > HEARTH_GRAMMAR_MAX_ELEMENTS)
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_LIMIT, "the grammar grows beyond %d elements",
            HEARTH_GRAMMAR_MAX_ELEMENTS);
      return FALSE;
    }
  return TRUE;
}

static void
push_bytes (GArray *seq,
            guint8  lo,
            guint8  hi)
{
  GrElem e = { GR_BYTES, lo, hi, 0 };

  g_array_append_val (seq, e);
}

static void
push_rule (GArray *seq,
           guint32 rule)
{
  GrElem e = { GR_RULE, 0, 0, rule };

  g_array_append_val (seq, e);
}

static int
utf8_encode (guint32 cp,
             guint8 *out)
{
  if (cp < 0x80)
    {
      out[0] = (guint8) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (guint8) (0xC0 | (cp >> 6));
      out[1] = (guint8) (0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (guint8) (0xE0 | (cp >> 12));
      out[1] = (guint8) (0x80 | ((cp >> 6) & 0x3F));
      out[2] = (guint8) (0x80 | (cp & 0x3F));
      return 3;
    }
  out[0] = (guint8) (0xF0 | (cp >> 18));
  out[1] = (guint8) (0x80 | ((cp >> 12) & 0x3F));
  out[2] = (guint8) (0x80 | ((cp >> 6) & 0x3F));
  out[3] = (guint8) (0x80 | (cp & 0x3F));
  return 4;
}

/* Appends to @alts the byte-range sequences of [lo, hi], all code points
 * of one encoded length and no surrogates. A range is split until each
 * piece's lower continuation bytes span their full 0x80..0xBF, where the
 * encodings of lo and hi bound every byte position independently. */
static void
utf8_range (guint32    lo,
            guint32    hi,
            GPtrArray *alts)
{
  guint8 a[4], b[4];
  int n = utf8_encode (lo, a);
  GArray *seq;

  for (int i = 1; i < n; i++)
    {
      guint32 m = (1u << (6 * i)) - 1;

      if ((lo & ~m) != (hi & ~m))
        {
          if ((lo & m) != 0)
            {
              utf8_range (lo, lo | m, alts);
              utf8_range ((lo | m) + 1, hi, alts);
              return;
            }
          if ((hi & m) != m)
            {
              utf8_range (lo, (hi & ~m) - 1, alts);
              utf8_range (hi & ~m, hi, alts);
              return;
            }
        }
    }
  utf8_encode (hi, b);
  seq = new_seq ();
  for (int i = 0; i < n; i++)
    push_bytes (seq, a[i], b[i]);
  g_ptr_array_add (alts, seq);
}

static void
class_to_alts (guint32    lo,
               guint32    hi,
               GPtrArray *alts)
{
  static const guint32 bounds[][2] = {
    { 0, 0x7F }, { 0x80, 0x7FF }, { 0x800, 0xD7FF }, { 0xE000, 0xFFFF }, { 0x10000, 0x10FFFF },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      guint32 a = MAX (lo, bounds[i][0]), b = MIN (hi, bounds[i][1]);

      if (a <= b)
        utf8_range (a, b, alts);
    }
}

static int
compare_range (const void *x,
               const void *y)
{
  const guint32 *a = x, *b = y;

  return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* Appends a class (sorted, merged, possibly negated code point ranges) to @seq. */
static void
emit_class (Parser *p,
            GArray *ranges,
            gboolean negate,
            GArray *seq)
{
  g_autoptr(GArray) merged = g_array_new (FALSE, FALSE, sizeof (guint32) * 2);
  GPtrArray *alts;
  guint32 next = 0;

  if (ranges->len > 0)
    g_array_sort (ranges, compare_range);
  for (guint i = 0; i < ranges->len; i++)
    {
      guint32 *r = &g_array_index (ranges, guint32, 2 * i);

      if (merged->len > 0)
        {
          guint32 *last = &g_array_index (merged, guint32, 2 * (merged->len - 1));

          if (r[0] <= last[1] + 1)
            {
              last[1] = MAX (last[1], r[1]);
              continue;
            }
        }
      g_array_append_vals (merged, r, 1);
    }
  alts = new_alts ();
  if (negate)
    {
      for (guint i = 0; i < merged->len; i++)
        {
          guint32 *r = &g_array_index (merged, guint32, 2 * i);

          if (r[0] > next)
            class_to_alts (next, r[0] - 1, alts);
          next = r[1] + 1;
        }
      if (next <= 0x10FFFF)
        class_to_alts (next, 0x10FFFF, alts);
    }
  else
    {
      for (guint i = 0; i < merged->len; i++)
        {
          guint32 *r = &g_array_index (merged, guint32, 2 * i);

          class_to_alts (r[0], r[1], alts);
        }
    }
  if (alts->len == 0)
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "the character class matches nothing");
      g_ptr_array_unref (alts);
      return;
    }
  for (guint i = 0; i < alts->len; i++)
    if (!count_elems (p, ((GArray *) alts->pdata[i])->len))
      {
        g_ptr_array_unref (alts);
        return;
      }
  if (alts->len == 1)
    {
      GArray *only = alts->pdata[0];

      g_array_append_vals (seq, only->data, only->len);
      g_ptr_array_unref (alts);
      return;
    }
  push_rule (seq, helper_rule (p, alts));
}

/* ---- the GBNF text ---- */

static gboolean
at_end (Parser *p)
{
  return p->pos >= p->len;
}

static char
peek (Parser *p)
{
  return at_end (p) ? '\0' : p->text[p->pos];
}

static void
skip_space (Parser  *p,
            gboolean newlines)
{
  while (!at_end (p))
    {
      char c = p->text[p->pos];

      if (c == ' ' || c == '\t' || c == '\r')
        p->pos++;
      else if (c == '\n' && newlines)
        p->pos++;
      else if (c == '#')
        {
          while (!at_end (p) && p->text[p->pos] != '\n')
            p->pos++;
        }
      else
        break;
    }
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_';
}

static char *
parse_name (Parser *p)
{
  gsize start = p->pos;

  while (!at_end (p) && is_name_char (p->text[p->pos]))
    p->pos++;
  if (p->pos == start)
    return NULL;
  return g_strndup (p->text + start, p->pos - start);
}

static gboolean
parse_hex (Parser  *p,
           int      digits,
           guint32 *out)
{
  guint32 v = 0;

  for (int i = 0; i < digits; i++)
    {
      int d = at_end (p) ? -1 : g_ascii_xdigit_value (p->text[p->pos]);

      if (d < 0)
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected %d hexadecimal digits", digits);
          return FALSE;
        }
      v = v * 16 + (guint32) d;
      p->pos++;
    }
  *out = v;
  return TRUE;
}

/* One character of a literal or class (escape or UTF-8), as a code point. */
static gboolean
parse_char (Parser  *p,
            guint32 *cp)
{
  const char *s = p->text + p->pos;
  gunichar u;

  if (at_end (p))
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unterminated literal or class");
      return FALSE;
    }
  if (*s == '\\')
    {
      gsize at = p->pos;

      p->pos++;
      switch (peek (p))
        {
        case 'n': *cp = '\n'; p->pos++; return TRUE;
        case 'r': *cp = '\r'; p->pos++; return TRUE;
        case 't': *cp = '\t'; p->pos++; return TRUE;
        case '\\': case '"': case '[': case ']': case '-': case '^': case '/': case '\'':
          *cp = (guchar) p->text[p->pos++];
          return TRUE;
        case 'x': p->pos++; return parse_hex (p, 2, cp);
        case 'u': p->pos++;
          if (!parse_hex (p, 4, cp))
            return FALSE;
          break;
        case 'U': p->pos++;
          if (!parse_hex (p, 8, cp))
            return FALSE;
          break;
        default:
          fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unknown escape '\\%c'",
                g_ascii_isprint (peek (p)) ? peek (p) : '?');
          return FALSE;
        }
      if (*cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        {
          fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "escape U+%04X is not a Unicode scalar value", *cp);
          return FALSE;
        }
      return TRUE;
    }
  u = g_utf8_get_char_validated (s, (gssize) (p->len - p->pos));
  if (u == (gunichar) -1 || u == (gunichar) -2)
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "invalid UTF-8");
      return FALSE;
    }
  p->pos += (gsize) (g_utf8_next_char (s) - s);
  *cp = u;
  return TRUE;
}

static void parse_alternatives (Parser *p, GPtrArray *alts, gboolean nested);

static void
parse_literal (Parser *p,
               GArray *seq)
{
  p->pos++; /* the opening quote */
  while (!p->failed)
    {
      guint32 cp;
      guint8 buf[4];
      int n;

      if (at_end (p) || peek (p) == '\n')
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unterminated literal");
          return;
        }
      if (peek (p) == '"')
        {
          p->pos++;
          return;
        }
      if (!parse_char (p, &cp))
        return;
      n = utf8_encode (cp, buf);
      if (!count_elems (p, (gsize) n))
        return;
      for (int i = 0; i < n; i++)
        push_bytes (seq, buf[i], buf[i]);
    }
}

static void
parse_class (Parser *p,
             GArray *seq)
{
  g_autoptr(GArray) ranges = g_array_new (FALSE, FALSE, sizeof (guint32) * 2);
  gboolean negate = FALSE;
  gsize start = p->pos;

  p->pos++; /* [ */
  if (peek (p) == '^')
    {
      negate = TRUE;
      p->pos++;
    }
  while (!p->failed)
    {
      guint32 r[2];

      if (at_end (p) || peek (p) == '\n')
        {
          fail (p, start, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unterminated character class");
          return;
        }
      if (peek (p) == ']')
        {
          p->pos++;
          break;
        }
      if (!parse_char (p, &r[0]))
        return;
      r[1] = r[0];
      if (peek (p) == '-' && p->pos + 1 < p->len && p->text[p->pos + 1] != ']')
        {
          gsize at = p->pos;

          p->pos++;
          if (!parse_char (p, &r[1]))
            return;
          if (r[1] < r[0])
            {
              fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "range U+%04X-U+%04X is reversed", r[0], r[1]);
              return;
            }
        }
      if (ranges->len >= 4096)
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_LIMIT, "more than 4096 ranges in a class");
          return;
        }
      g_array_append_vals (ranges, r, 1);
    }
  if (!p->failed)
    emit_class (p, ranges, negate, seq);
}

static gboolean
parse_count (Parser *p,
             guint  *out)
{
  guint64 v = 0;
  gsize start = p->pos;

  while (!at_end (p) && g_ascii_isdigit (peek (p)))
    {
      v = v * 10 + (guint64) (peek (p) - '0');
      if (v > HEARTH_GRAMMAR_MAX_REPEAT)
        {
          fail (p, start, HEARTH_ENGINE_ERROR_LIMIT, "repetition count above %d", HEARTH_GRAMMAR_MAX_REPEAT);
          return FALSE;
        }
      p->pos++;
    }
  if (p->pos == start)
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected a repetition count");
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

static GArray *
seq_copy (const GrElem *elems,
          guint         n)
{
  GArray *s = new_seq ();

  g_array_append_vals (s, elems, n);
  return s;
}

/* Replaces the fragment @seq[start..] by its repetition {min, max} (max
 * G_MAXUINT: unbounded). */
static void
repeat (Parser *p,
        GArray *seq,
        guint   start,
        guint   min,
        guint   max)
{
  guint n = seq->len - start;
  g_autofree GrElem *frag = NULL;
  guint32 tail = 0;
  gboolean have_tail = FALSE;

  if (n == 0)
    return;
  frag = g_memdup2 (&g_array_index (seq, GrElem, start), n * sizeof (GrElem));
  g_array_set_size (seq, start);
  if (!count_elems (p, (gsize) n * (min + 2)))
    return;
  if (max == G_MAXUINT)
    {
      GPtrArray *alts = new_alts ();
      guint32 r;
      GArray *loop = seq_copy (frag, n);

      g_ptr_array_add (alts, loop);
      g_ptr_array_add (alts, new_seq ());
      r = helper_rule (p, alts);
      push_rule (loop, r);
      tail = r;
      have_tail = TRUE;
    }
  else if (max > min)
    {
      if (!count_elems (p, (gsize) n * (max - min)))
        return;
      for (guint k = 0; k < max - min && !p->failed; k++)
        {
          GPtrArray *alts = new_alts ();
          GArray *one = seq_copy (frag, n);

          if (have_tail)
            push_rule (one, tail);
          g_ptr_array_add (alts, one);
          g_ptr_array_add (alts, new_seq ());
          tail = helper_rule (p, alts);
          have_tail = TRUE;
        }
    }
  for (guint k = 0; k < min; k++)
    g_array_append_vals (seq, frag, n);
  if (have_tail && !p->failed)
    push_rule (seq, tail);
}

static void
parse_item (Parser *p,
            GArray *seq)
{
  guint start = seq->len;
  char c = peek (p);

  if (c == '"')
    parse_literal (p, seq);
  else if (c == '[')
    parse_class (p, seq);
  else if (c == '.')
    {
      g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint32) * 2);
      guint32 r[2] = { 0, 0x10FFFF };

      p->pos++;
      g_array_append_vals (all, r, 1);
      emit_class (p, all, FALSE, seq);
    }
  else if (c == '(')
    {
      gsize open = p->pos;
      g_autoptr(GPtrArray) alts = new_alts ();

      if (++p->depth > HEARTH_GRAMMAR_MAX_NESTING)
        {
          fail (p, open, HEARTH_ENGINE_ERROR_LIMIT, "groups nested deeper than %d", HEARTH_GRAMMAR_MAX_NESTING);
          return;
        }
      p->pos++;
      parse_alternatives (p, alts, TRUE);
      p->depth--;
      if (p->failed)
        return;
      skip_space (p, TRUE);
      if (peek (p) != ')')
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected ')' to close the group opened at byte %" G_GSIZE_FORMAT, open);
          return;
        }
      p->pos++;
      if (alts->len == 1)
        {
          GArray *only = alts->pdata[0];

          g_array_append_vals (seq, only->data, only->len);
        }
      else
        push_rule (seq, helper_rule (p, g_steal_pointer (&alts)));
    }
  else if (is_name_char (c))
    {
      gsize at = p->pos;
      g_autofree char *name = parse_name (p);

      push_rule (seq, rule_for_name (p, name, at));
      count_elems (p, 1);
    }
  else
    {
      fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
            "expected a literal, a character class, a rule name or a group, not '%c'",
            g_ascii_isprint (c) ? c : '?');
      return;
    }

  while (!p->failed)
    {
      gsize save = p->pos;

      skip_space (p, FALSE);
      c = peek (p);
      if (c == '*')
        {
          p->pos++;
          repeat (p, seq, start, 0, G_MAXUINT);
        }
      else if (c == '+')
        {
          p->pos++;
          repeat (p, seq, start, 1, G_MAXUINT);
        }
      else if (c == '?')
        {
          p->pos++;
          repeat (p, seq, start, 0, 1);
        }
      else if (c == '{')
        {
          gsize at = p->pos;
          guint min, max;

          p->pos++;
          skip_space (p, FALSE);
          if (!parse_count (p, &min))
            return;
          skip_space (p, FALSE);
          max = min;
          if (peek (p) == ',')
            {
              p->pos++;
              skip_space (p, FALSE);
              if (peek (p) == '}')
                max = G_MAXUINT;
              else if (!parse_count (p, &max))
                return;
              skip_space (p, FALSE);
            }
          if (peek (p) != '}')
            {
              fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected '}' to close the repetition");
              return;
            }
          p->pos++;
          if (max < min)
            {
              fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "repetition {%u,%u}: the maximum is below the minimum",
                    min, max);
              return;
            }
          repeat (p, seq, start, min, max);
        }
      else
        {
          p->pos = save;
          break;
        }
    }
}

static void
parse_sequence (Parser  *p,
                GArray  *seq,
                gboolean nested)
{
  while (!p->failed)
    {
      char c;

      skip_space (p, nested);
      c = peek (p);
      if (at_end (p) || c == '|' || c == ')' || c == '\n')
        return;
      if (!nested && is_name_char (c))
        {
          /* "name ::=" starts the next rule (on a new line only, but be kind). */
          gsize save = p->pos;

          while (!at_end (p) && is_name_char (p->text[p->pos]))
            p->pos++;
          skip_space (p, FALSE);
          if (p->len - p->pos >= 3 && memcmp (p->text + p->pos, "::=", 3) == 0)
            {
              p->pos = save;
              return;
            }
          p->pos = save;
        }
      parse_item (p, seq);
    }
}

static void
parse_alternatives (Parser    *p,
                    GPtrArray *alts,
                    gboolean   nested)
{
  GArray *seq = new_seq ();

  g_ptr_array_add (alts, seq);
  parse_sequence (p, seq, nested);
  while (!p->failed)
    {
      gsize save = p->pos;

      skip_space (p, TRUE);
      if (peek (p) != '|')
        {
          p->pos = save;
          return;
        }
      p->pos++;
      seq = new_seq ();
      g_ptr_array_add (alts, seq);
      parse_sequence (p, seq, nested);
    }
}

static void
parse_rules (Parser *p)
{
  while (!p->failed)
    {
      gsize at;
      g_autofree char *name = NULL;
      guint32 idx;
      BRule *r;

      skip_space (p, TRUE);
      if (at_end (p))
        return;
      at = p->pos;
      name = parse_name (p);
      if (name == NULL)
        {
          fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected a rule name");
          return;
        }
      skip_space (p, FALSE);
      if (p->len - p->pos < 3 || memcmp (p->text + p->pos, "::=", 3) != 0)
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected '::=' after the rule name '%s'", name);
          return;
        }
      p->pos += 3;
      idx = rule_for_name (p, name, at);
      if (p->failed)
        return;
      r = p->rules->pdata[idx];
      if (r->alts != NULL)
        {
          fail (p, at, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "rule '%s' is defined twice", name);
          return;
        }
      r->alts = new_alts ();
      parse_alternatives (p, r->alts, FALSE);
      if (p->failed)
        return;
      skip_space (p, FALSE);
      if (!at_end (p) && peek (p) != '\n')
        {
          fail (p, p->pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unexpected '%c'",
                g_ascii_isprint (peek (p)) ? peek (p) : '?');
          return;
        }
    }
}

/* ---- checks and compilation ---- */

static gboolean
seq_nullable (GArray         *seq,
              const gboolean *nullable)
{
  for (guint i = 0; i < seq->len; i++)
    {
      GrElem *e = &g_array_index (seq, GrElem, i);

      if (e->kind == GR_BYTES || !nullable[e->rule])
        return FALSE;
    }
  return TRUE;
}

/* Depth-first search over "A can start with B" edges; a back edge is left recursion. */
static gboolean
find_left_cycle (Parser         *p,
                 guint32         r,
                 guint8         *color,
                 const gboolean *nullable,
                 guint32        *culprit)
{
  BRule *rule = p->rules->pdata[r];
  /* An explicit stack would be kinder, but depth is bounded by the rule count. */
  color[r] = 1;
  for (guint a = 0; a < rule->alts->len; a++)
    {
      GArray *seq = rule->alts->pdata[a];

      for (guint i = 0; i < seq->len; i++)
        {
          GrElem *e = &g_array_index (seq, GrElem, i);

          if (e->kind == GR_BYTES)
            break;
          if (color[e->rule] == 1)
            {
              *culprit = e->rule;
              return TRUE;
            }
          if (color[e->rule] == 0 && find_left_cycle (p, e->rule, color, nullable, culprit))
            return TRUE;
          if (!nullable[e->rule])
            break;
        }
    }
  color[r] = 2;
  return FALSE;
}

static gboolean
seq_productive (GArray         *seq,
                const gboolean *productive)
{
  for (guint i = 0; i < seq->len; i++)
    {
      GrElem *e = &g_array_index (seq, GrElem, i);

      if (e->kind == GR_RULE && !productive[e->rule])
        return FALSE;
    }
  return TRUE;
}

/* An alternative that refers to a rule which can never end (every one of
 * its alternatives refers back to itself, say t ::= "a" t) can never be
 * completed. The matcher would still follow it, and a model constrained by
 * it could write forever; so such alternatives are dropped here, and a
 * grammar whose root can never end accepts nothing and is refused. */
static gboolean
prune_dead_alternatives (Parser  *p,
                         guint32  root)
{
  guint32 n = p->rules->len;
  g_autofree gboolean *productive = g_new0 (gboolean, n);
  gboolean changed = TRUE;

  while (changed)
    {
      changed = FALSE;
      for (guint32 r = 0; r < n; r++)
        {
          BRule *rule = p->rules->pdata[r];

          for (guint i = 0; i < rule->alts->len && !productive[r]; i++)
            if (seq_productive (rule->alts->pdata[i], productive))
              productive[r] = changed = TRUE;
        }
    }
  if (!productive[root])
    {
      fail (p, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
            "the grammar accepts no finite text: rule 'root' can never end");
      return FALSE;
    }
  for (guint32 r = 0; r < n; r++)
    {
      BRule *rule = p->rules->pdata[r];

      for (guint i = rule->alts->len; i > 0; i--)
        if (!seq_productive (rule->alts->pdata[i - 1], productive))
          g_ptr_array_remove_index (rule->alts, i - 1);
    }
  return TRUE;
}

static gboolean
check_and_compile (Parser        *p,
                   HearthGrammar *g)
{
  guint32 n = p->rules->len;
  g_autofree gboolean *nullable = g_new0 (gboolean, n);
  g_autofree guint8 *color = g_new0 (guint8, n);
  gboolean changed = TRUE;
  gpointer root = g_hash_table_lookup (p->names, "root");
  guint32 n_alts = 0, n_elems = 0, e = 0, a = 0;

  for (guint32 r = 0; r < n; r++)
    {
      BRule *rule = p->rules->pdata[r];

      if (rule->alts == NULL)
        {
          fail (p, rule->ref_pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "rule '%s' is used but not defined", rule->name);
          return FALSE;
        }
    }
  if (root == NULL)
    {
      fail (p, 0, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no rule named 'root'");
      return FALSE;
    }
  if (!prune_dead_alternatives (p, GPOINTER_TO_UINT (root) - 1))
    return FALSE;
  while (changed)
    {
      changed = FALSE;
      for (guint32 r = 0; r < n; r++)
        {
          BRule *rule = p->rules->pdata[r];

          if (nullable[r])
            continue;
          for (guint i = 0; i < rule->alts->len; i++)
            if (seq_nullable (rule->alts->pdata[i], nullable))
              {
                nullable[r] = changed = TRUE;
                break;
              }
        }
    }
  /* Recursion depth of the search is bounded: at most n frames of a few words. */
  for (guint32 r = 0; r < n; r++)
    {
      guint32 culprit = 0;

      if (color[r] == 0 && find_left_cycle (p, r, color, nullable, &culprit))
        {
          BRule *bad = p->rules->pdata[culprit];

          fail (p, bad->ref_pos, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                "rule '%s' is left-recursive (it can reach itself without reading input)", bad->name);
          return FALSE;
        }
    }

  for (guint32 r = 0; r < n; r++)
    {
      BRule *rule = p->rules->pdata[r];

      n_alts += rule->alts->len;
      for (guint i = 0; i < rule->alts->len; i++)
        n_elems += ((GArray *) rule->alts->pdata[i])->len + 1;
    }
  g->n_rules = n;
  g->root = GPOINTER_TO_UINT (root) - 1;
  g->n_elems = n_elems + 1;
  g->elems = g_new0 (GrElem, g->n_elems);
  g->alt_start = g_new (guint32, n);
  g->alt_count = g_new (guint32, n);
  g->alts = g_new (guint32, n_alts);
  for (guint32 r = 0; r < n; r++)
    {
      BRule *rule = p->rules->pdata[r];

      g->alt_start[r] = a;
      g->alt_count[r] = rule->alts->len;
      for (guint i = 0; i < rule->alts->len; i++)
        {
          GArray *seq = rule->alts->pdata[i];

          g->alts[a++] = e;
          if (seq->len > 0)
            memcpy (g->elems + e, seq->data, seq->len * sizeof (GrElem));
          e += seq->len;
          g->elems[e++].kind = GR_END;
        }
    }
  g->elems[e].kind = GR_END;
  return TRUE;
}

static void
grammar_free (HearthGrammar *g)
{
  g_free (g->elems);
  g_free (g->alt_start);
  g_free (g->alt_count);
  g_free (g->alts);
  g_free (g);
}

HearthGrammar *
hearth_grammar_new_from_gbnf (const char *text,
                              gssize      len,
                              GError    **error)
{
  Parser p = { 0 };
  HearthGrammar *g;

  g_return_val_if_fail (text != NULL, NULL);
  p.text = text;
  p.len = len < 0 ? strlen (text) : (gsize) len;
  p.error = error;
  if (p.len > HEARTH_GRAMMAR_MAX_TEXT)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "grammar: %" G_GSIZE_FORMAT " bytes of text; the most is %d", p.len, HEARTH_GRAMMAR_MAX_TEXT);
      return NULL;
    }
  if (memchr (text, '\0', p.len) != NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "grammar: byte %" G_GSIZE_FORMAT ": NUL byte in the text",
                   (gsize) ((const char *) memchr (text, '\0', p.len) - text));
      return NULL;
    }
  p.rules = g_ptr_array_new_with_free_func (brule_free);
  p.names = g_hash_table_new (g_str_hash, g_str_equal);
  parse_rules (&p);
  g = g_new0 (HearthGrammar, 1);
  g->ref_count = 1;
  if (p.failed || !check_and_compile (&p, g))
    {
      grammar_free (g);
      g = NULL;
    }
  g_hash_table_unref (p.names);
  g_ptr_array_unref (p.rules);
  return g;
}

HearthGrammar *
hearth_grammar_new_from_json_schema (const char *text,
                                     gssize      len,
                                     GError    **error)
{
  g_autofree char *gbnf = hearth_json_schema_to_gbnf (text, len, error);

  if (gbnf == NULL)
    return NULL;
  return hearth_grammar_new_from_gbnf (gbnf, -1, error);
}

HearthGrammar *
hearth_grammar_new_for_tools (HearthJsonValue *tools,
                              const char      *open,
                              const char      *close,
                              GError         **error)
{
  g_autofree char *gbnf = hearth_json_schema_tools_to_gbnf (tools, open, close, error);

  if (gbnf == NULL)
    return NULL;
  return hearth_grammar_new_from_gbnf (gbnf, -1, error);
}

HearthGrammar *
hearth_grammar_ref (HearthGrammar *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
hearth_grammar_unref (HearthGrammar *self)
{
  if (self != NULL && g_atomic_int_dec_and_test (&self->ref_count))
    grammar_free (self);
}

guint
hearth_grammar_get_n_rules (HearthGrammar *self)
{
  return self->n_rules;
}

/* ---- the longest sentence ---- */

static guint64
add_saturating (guint64 a,
                guint64 b)
{
  return a > G_MAXUINT64 - b ? G_MAXUINT64 : a + b;
}

/* Compilation dropped the alternatives that can never be completed
 * (prune_dead_alternatives), so every path counts. Among the rules root
 * reaches, a cycle means unbounded: left recursion is refused, so every
 * lap of a cycle reads at least one byte. Without one, the rule graph is a DAG and a post-order
 * walk (an explicit stack: rules are many and hostile) gives each rule's
 * longest sentence, the widest of its alternatives. */
typedef struct
{
  guint32 rule;
  guint32 alt;    /* index among the rule's alternatives */
  guint32 elem;   /* next element of that alternative; G_MAXUINT32: not begun */
} MaxFrame;

gboolean
hearth_grammar_get_max_bytes (HearthGrammar *self,
                              guint64       *max_bytes)
{
  guint32 n;
  g_autofree guint8 *color = NULL;
  g_autofree guint64 *longest = NULL;
  g_autofree MaxFrame *stack = NULL;
  guint32 depth;

  g_return_val_if_fail (self != NULL, FALSE);

  n = self->n_rules;
  color = g_new0 (guint8, n);
  longest = g_new0 (guint64, n);
  stack = g_new (MaxFrame, n);
  stack[0] = (MaxFrame) { self->root, 0, G_MAXUINT32 };
  color[self->root] = 1;
  depth = 1;
  while (depth > 0)
    {
      MaxFrame *f = &stack[depth - 1];
      guint32 start;
      const GrElem *el;

      if (f->alt == self->alt_count[f->rule])
        {
          color[f->rule] = 2;
          depth--;
          continue;
        }
      start = self->alts[self->alt_start[f->rule] + f->alt];
      if (f->elem == G_MAXUINT32)
        f->elem = start;
      el = &self->elems[f->elem];
      if (el->kind == GR_END)
        {
          guint64 sum = 0;

          for (guint32 k = start; k < f->elem; k++)
            sum = add_saturating (sum, self->elems[k].kind == GR_BYTES ? 1 : longest[self->elems[k].rule]);
          longest[f->rule] = MAX (longest[f->rule], sum);
          f->alt++;
          f->elem = G_MAXUINT32;
          continue;
        }
      f->elem++;
      if (el->kind == GR_RULE)
        {
          if (color[el->rule] == 1)
            return FALSE;
          if (color[el->rule] == 0)
            {
              color[el->rule] = 1;
              stack[depth++] = (MaxFrame) { el->rule, 0, G_MAXUINT32 };
            }
        }
    }
  if (max_bytes != NULL)
    *max_bytes = longest[self->root];
  return TRUE;
}

/* ---- the matcher ---- */

/* Closures can be exponential in hostile grammars; this many steps per
 * state are done, and the rest cut (the state is marked truncated). */
#define GR_MAX_STEPS 200000
/* and recursion (expansions without input between) this deep. */
#define GR_MAX_DEPTH 4096

typedef struct
{
  HearthGrammar *g;
  GArray        *out;      /* flat stacks */
  guint32        n_out;
  guint32        steps;
  gboolean       truncated;
} Closure;

static void
emit (Closure       *c,
      const guint32 *stk,
      guint32        n)
{
  g_array_append_val (c->out, n);
  g_array_append_vals (c->out, stk, n);
  c->n_out++;
}

/* Expands @stk (n positions, top last) until its top is a byte range,
 * emitting each result; @stk is restored on return. */
static void
closure (Closure *c,
         guint32 *stk,
         guint32  n,
         guint    depth)
{
  const GrElem *e;

  if (c->n_out >= GR_MAX_STACKS || ++c->steps > GR_MAX_STEPS || depth > GR_MAX_DEPTH)
    {
      c->truncated = TRUE;
      return;
    }
  if (n == 0)
    {
      emit (c, stk, 0);
      return;
    }
  e = &c->g->elems[stk[n - 1]];
  switch (e->kind)
    {
    case GR_BYTES:
      emit (c, stk, n);
      return;
    case GR_END:
      closure (c, stk, n - 1, depth + 1);
      return;
    case GR_RULE:
      {
        guint32 top = stk[n - 1], m = n - 1;
        guint32 first = c->g->alt_start[e->rule], count = c->g->alt_count[e->rule];

        /* The caller resumes after the reference; a reference that ends
         * its alternative needs no frame (so right recursion stays flat). */
        if (c->g->elems[top + 1].kind != GR_END)
          stk[m++] = top + 1;
        if (m + 1 > GR_MAX_STACK)
          c->truncated = TRUE;
        else
          for (guint32 i = 0; i < count; i++)
            {
              stk[m] = c->g->alts[first + i];
              closure (c, stk, m + 1, depth + 1);
            }
        stk[n - 1] = top;
        return;
      }
    default:
      g_assert_not_reached ();
    }
}

static gint
compare_stacks (gconstpointer a,
                gconstpointer b,
                gpointer      base_p)
{
  const guint32 *base = base_p;
  const guint32 *x = base + *(const guint32 *) a, *y = base + *(const guint32 *) b;

  if (x[0] != y[0])
    return x[0] < y[0] ? -1 : 1;
  return memcmp (x + 1, y + 1, x[0] * sizeof (guint32));
}

/* Sorts and deduplicates the closure's stacks into @out. */
static void
canonical (Closure *c,
           GrState *out)
{
  const guint32 *base = (const guint32 *) c->out->data;
  g_autofree guint32 *offs = g_new (guint32, c->n_out + 1);
  GArray *flat = g_array_sized_new (FALSE, FALSE, sizeof (guint32), c->out->len);
  guint32 o = 0, n = 0;

  for (guint32 i = 0; i < c->n_out; i++)
    {
      offs[i] = o;
      o += base[o] + 1;
    }
  g_qsort_with_data (offs, (gint) c->n_out, sizeof (guint32), compare_stacks, (gpointer) base);
  out->accepting = FALSE;
  for (guint32 i = 0; i < c->n_out; i++)
    {
      const guint32 *s = base + offs[i];

      if (i > 0)
        {
          const guint32 *prev = base + offs[i - 1];

          if (prev[0] == s[0] && memcmp (prev + 1, s + 1, s[0] * sizeof (guint32)) == 0)
            continue;
        }
      if (s[0] == 0)
        out->accepting = TRUE;
      g_array_append_vals (flat, s, s[0] + 1);
      n++;
    }
  out->n_flat = flat->len;
  out->flat = (guint32 *) g_array_free (flat, FALSE);
  out->n_stacks = n;
  out->truncated = c->truncated;
}

void
gr_state_initial (HearthGrammar *g,
                  GrState       *out)
{
  Closure c = { g, g_array_new (FALSE, FALSE, sizeof (guint32)), 0, 0, FALSE };
  guint32 stk[GR_MAX_STACK + 1];

  for (guint32 i = 0; i < g->alt_count[g->root]; i++)
    {
      stk[0] = g->alts[g->alt_start[g->root] + i];
      closure (&c, stk, 1, 0);
    }
  canonical (&c, out);
  g_array_unref (c.out);
}

void
gr_state_advance (HearthGrammar *g,
                  const GrState *in,
                  guint8         byte,
                  GrState       *out)
{
  Closure c = { g, g_array_new (FALSE, FALSE, sizeof (guint32)), 0, 0, in->truncated };
  guint32 stk[GR_MAX_STACK + 1];

  for (gsize o = 0; o < in->n_flat; o += in->flat[o] + 1)
    {
      guint32 n = in->flat[o];
      const GrElem *e;

      if (n == 0)
        continue;
      e = &g->elems[in->flat[o + n]];
      if (e->kind != GR_BYTES || byte < e->lo || byte > e->hi)
        continue;
      memcpy (stk, in->flat + o + 1, n * sizeof (guint32));
      stk[n - 1]++;
      closure (&c, stk, n, 0);
    }
  canonical (&c, out);
  g_array_unref (c.out);
}

void
gr_state_clear (GrState *s)
{
  g_clear_pointer (&s->flat, g_free);
  s->n_flat = 0;
  s->n_stacks = 0;
  s->accepting = FALSE;
}

void
gr_state_copy (const GrState *in,
               GrState       *out)
{
  *out = *in;
  out->flat = in->n_flat > 0 ? g_memdup2 (in->flat, in->n_flat * sizeof (guint32)) : NULL;
}
