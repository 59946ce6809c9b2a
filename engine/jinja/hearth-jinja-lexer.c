/* hearth-jinja-lexer.c: splits a template into text and tag tokens
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whitespace control is applied here, as Hugging Face configures Jinja2:
 * lstrip_blocks (spaces and tabs before a {% or {# that starts its line are
 * dropped), trim_blocks (one newline after %} or #} is dropped), and the
 * explicit markers: {%- / {{- / {#- strip all whitespace before the tag,
 * -%} / -}} / -#} all whitespace after it, {%+ keeps what lstrip would drop.
 */
#include "hearth-jinja-private.h"
#include "hearth-engine-error.h"

#include <string.h>

const char *
jinja_intern (HearthJinjaTemplate *t,
              const char          *s,
              gsize                len)
{
  g_autofree char *key = g_strndup (s, len);
  char *found = g_hash_table_lookup (t->interned, key);

  if (found != NULL)
    return found;
  found = g_steal_pointer (&key);
  g_hash_table_add (t->interned, found);
  return found;
}

void
jinja_position (HearthJinjaTemplate *t,
                guint                offset,
                guint               *line,
                guint               *col)
{
  guint lo = 0, hi = t->line_starts->len;
  guint start;

  /* the last line start <= offset */
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;
      if (g_array_index (t->line_starts, guint, mid) <= offset)
        lo = mid;
      else
        hi = mid;
    }
  start = g_array_index (t->line_starts, guint, lo);
  *line = lo + 1;
  *col = 1;
  for (guint i = start; i < offset && i < t->source_len; i++)
    if (((guchar) t->source[i] & 0xC0) != 0x80)
      (*col)++;
}

void
jinja_set_error (HearthJinjaTemplate *t,
                 GError             **error,
                 int                  code,
                 guint                offset,
                 const char          *format,
                 ...)
{
  g_autofree char *msg = NULL;
  guint line, col;
  va_list args;

  if (error == NULL || *error != NULL)
    return;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  jinja_position (t, offset, &line, &col);
  g_set_error (error, HEARTH_ENGINE_ERROR, code, "line %u, column %u: %s", line, col, msg);
}

typedef struct
{
  HearthJinjaTemplate *t;
  const char          *src;
  gsize                len;
  gsize                pos;
  GArray              *tokens;
  GPtrArray           *strings;
  GError             **error;
} Lexer;

static void
push (Lexer      *lx,
      TokKind     kind,
      gsize       offset,
      const char *text,
      gsize       len)
{
  Token tok = { 0 };

  tok.kind = kind;
  tok.offset = (guint) offset;
  tok.text = text;
  tok.len = len;
  g_array_append_val (lx->tokens, tok);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static gboolean
lex_string (Lexer *lx)
{
  char quote = lx->src[lx->pos];
  gsize start = lx->pos;
  GString *s = g_string_new (NULL);
  char *owned;

  lx->pos++;
  while (lx->pos < lx->len && lx->src[lx->pos] != quote)
    {
      char c = lx->src[lx->pos];

      if (c != '\\' || lx->pos + 1 >= lx->len)
        {
          g_string_append_c (s, c);
          lx->pos++;
          continue;
        }
      c = lx->src[lx->pos + 1];
      lx->pos += 2;
      switch (c)
        {
        case 'n': g_string_append_c (s, '\n'); break;
        case 't': g_string_append_c (s, '\t'); break;
        case 'r': g_string_append_c (s, '\r'); break;
        case '0': g_string_append_c (s, '\0'); break;
        case 'a': g_string_append_c (s, '\a'); break;
        case 'b': g_string_append_c (s, '\b'); break;
        case 'f': g_string_append_c (s, '\f'); break;
        case 'v': g_string_append_c (s, '\v'); break;
        case '\\': g_string_append_c (s, '\\'); break;
        case '\'': g_string_append_c (s, '\''); break;
        case '"': g_string_append_c (s, '"'); break;
        case '\n': break; /* a line continuation */
        case 'x':
        case 'u':
        case 'U':
          {
            int n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            gunichar cp = 0;
            int k;

            for (k = 0; k < n && lx->pos < lx->len && g_ascii_isxdigit (lx->src[lx->pos]); k++)
              cp = cp * 16 + (gunichar) g_ascii_xdigit_value (lx->src[lx->pos++]);
            if (k != n || !g_unichar_validate (cp))
              {
                g_string_free (s, TRUE);
                jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) start,
                                 "TemplateSyntaxError: bad \\%c escape in string", c);
                return FALSE;
              }
            g_string_append_unichar (s, cp);
          }
          break;
        default:
          /* Python keeps an unknown escape as written. */
          g_string_append_c (s, '\\');
          g_string_append_c (s, c);
        }
    }
  if (lx->pos >= lx->len)
    {
      g_string_free (s, TRUE);
      jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) start,
                       "TemplateSyntaxError: unterminated string");
      return FALSE;
    }
  lx->pos++;
  if (!g_utf8_validate (s->str, (gssize) s->len, NULL))
    {
      g_string_free (s, TRUE);
      jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) start,
                       "TemplateSyntaxError: string is not valid UTF-8");
      return FALSE;
    }
  {
    gsize slen = s->len;
    owned = g_string_free (s, FALSE);
    g_ptr_array_add (lx->strings, owned);
    push (lx, TOK_STRING, start, owned, slen);
  }
  return TRUE;
}

static gboolean
lex_number (Lexer *lx)
{
  gsize start = lx->pos;
  gboolean is_float = FALSE;
  g_autofree char *text = NULL;
  Token *tok;

  while (lx->pos < lx->len && (g_ascii_isdigit (lx->src[lx->pos]) || lx->src[lx->pos] == '_'))
    lx->pos++;
  if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '.' && g_ascii_isdigit (lx->src[lx->pos + 1]))
    {
      is_float = TRUE;
      lx->pos++;
      while (lx->pos < lx->len && (g_ascii_isdigit (lx->src[lx->pos]) || lx->src[lx->pos] == '_'))
        lx->pos++;
    }
  if (lx->pos < lx->len && (lx->src[lx->pos] == 'e' || lx->src[lx->pos] == 'E'))
    {
      gsize e = lx->pos + 1;
      if (e < lx->len && (lx->src[e] == '+' || lx->src[e] == '-'))
        e++;
      if (e < lx->len && g_ascii_isdigit (lx->src[e]))
        {
          is_float = TRUE;
          lx->pos = e;
          while (lx->pos < lx->len && g_ascii_isdigit (lx->src[lx->pos]))
            lx->pos++;
        }
    }
  {
    GString *clean = g_string_new (NULL);
    for (gsize i = start; i < lx->pos; i++)
      if (lx->src[i] != '_')
        g_string_append_c (clean, lx->src[i]);
    text = g_string_free (clean, FALSE);
  }
  push (lx, is_float ? TOK_FLOAT : TOK_INT, start, NULL, 0);
  tok = &g_array_index (lx->tokens, Token, lx->tokens->len - 1);
  if (is_float)
    tok->d = g_ascii_strtod (text, NULL);
  else if (!g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &tok->i, NULL))
    {
      /* Python ints are unbounded; this one becomes a float. */
      tok->kind = TOK_FLOAT;
      tok->d = g_ascii_strtod (text, NULL);
    }
  return TRUE;
}

static const char *const two_char_ops[] = { "//", "**", "==", "!=", "<=", ">=" };

/* Tokens inside {{ }} or {% %}, up to and including the closing delimiter. */
static gboolean
lex_tag (Lexer   *lx,
         char     kind,
         gboolean *strip_after)
{
  int depth = 0;
  gsize open = lx->pos;

  for (;;)
    {
      char c;

      while (lx->pos < lx->len && is_space (lx->src[lx->pos]))
        lx->pos++;
      if (lx->pos >= lx->len)
        {
          jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) open,
                           "TemplateSyntaxError: unexpected end of template, expected '%s'",
                           kind == '%' ? "%}" : "}}");
          return FALSE;
        }
      c = lx->src[lx->pos];
      if (depth == 0)
        {
          const char *close = kind == '%' ? "%}" : "}}";
          gsize rest = lx->len - lx->pos;

          if (c == '-' && rest >= 3 && memcmp (lx->src + lx->pos + 1, close, 2) == 0)
            {
              push (lx, kind == '%' ? TOK_BLOCK_END : TOK_VAR_END, lx->pos, NULL, 0);
              lx->pos += 3;
              *strip_after = TRUE;
              return TRUE;
            }
          if (rest >= 2 && memcmp (lx->src + lx->pos, close, 2) == 0)
            {
              push (lx, kind == '%' ? TOK_BLOCK_END : TOK_VAR_END, lx->pos, NULL, 0);
              lx->pos += 2;
              *strip_after = FALSE;
              return TRUE;
            }
        }
      if (c == '\'' || c == '"')
        {
          if (!lex_string (lx))
            return FALSE;
          continue;
        }
      if (g_ascii_isdigit (c))
        {
          lex_number (lx);
          continue;
        }
      if (g_ascii_isalpha (c) || c == '_')
        {
          gsize start = lx->pos;
          while (lx->pos < lx->len && (g_ascii_isalnum (lx->src[lx->pos]) || lx->src[lx->pos] == '_'))
            lx->pos++;
          push (lx, TOK_NAME, start, jinja_intern (lx->t, lx->src + start, lx->pos - start), 0);
          continue;
        }
      if (lx->pos + 1 < lx->len)
        {
          gboolean matched = FALSE;
          for (guint i = 0; i < G_N_ELEMENTS (two_char_ops); i++)
            if (memcmp (lx->src + lx->pos, two_char_ops[i], 2) == 0)
              {
                push (lx, TOK_OP, lx->pos, jinja_intern (lx->t, two_char_ops[i], 2), 0);
                lx->pos += 2;
                matched = TRUE;
                break;
              }
          if (matched)
            continue;
        }
      if (strchr ("+-*/%~()[]{},.:|=<>", c) != NULL && c != '\0')
        {
          if (c == '(' || c == '[' || c == '{')
            depth++;
          else if (c == ')' || c == ']' || c == '}')
            {
              if (depth == 0)
                {
                  jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) lx->pos,
                                   "TemplateSyntaxError: unexpected '%c'", c);
                  return FALSE;
                }
              depth--;
            }
          push (lx, TOK_OP, lx->pos, jinja_intern (lx->t, &c, 1), 0);
          lx->pos++;
          continue;
        }
      jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) lx->pos,
                       "TemplateSyntaxError: unexpected character '%c'", g_ascii_isprint (c) ? c : '?');
      return FALSE;
    }
}

static gsize
skip_blanks (Lexer *lx,
             gsize  i)
{
  while (i < lx->len && is_space (lx->src[i]))
    i++;
  return i;
}

static gboolean
word_at (Lexer      *lx,
         gsize       i,
         const char *word)
{
  gsize n = strlen (word);

  return lx->len - i >= n && memcmp (lx->src + i, word, n) == 0 &&
         (i + n >= lx->len || !(g_ascii_isalnum (lx->src[i + n]) || lx->src[i + n] == '_'));
}

/* {% raw %}...{% endraw %}: the text between is output as written. Returns
 * 1 when a raw block was read (lx->pos after its end tag), 0 when the tag
 * is not "raw", -1 on error. */
static int
lex_raw (Lexer    *lx,
         gsize     tag,
         gboolean *strip_after)
{
  gsize i = skip_blanks (lx, lx->pos), body, end;
  gboolean strip_body_start = FALSE;

  if (!word_at (lx, i, "raw"))
    return 0;
  i = skip_blanks (lx, i + 3);
  if (i < lx->len && lx->src[i] == '-')
    {
      strip_body_start = TRUE;
      i++;
    }
  if (lx->len - i < 2 || memcmp (lx->src + i, "%}", 2) != 0)
    return 0;
  body = i + 2;
  if (strip_body_start)
    body = skip_blanks (lx, body);
  for (end = body; end + 1 < lx->len; end++)
    {
      gsize k;
      gboolean strip_body_end = FALSE;

      if (lx->src[end] != '{' || lx->src[end + 1] != '%')
        continue;
      k = end + 2;
      if (k < lx->len && (lx->src[k] == '-' || lx->src[k] == '+'))
        strip_body_end = lx->src[k++] == '-';
      k = skip_blanks (lx, k);
      if (!word_at (lx, k, "endraw"))
        continue;
      k = skip_blanks (lx, k + 6);
      *strip_after = FALSE;
      if (k < lx->len && lx->src[k] == '-')
        {
          *strip_after = TRUE;
          k++;
        }
      if (lx->len - k < 2 || memcmp (lx->src + k, "%}", 2) != 0)
        continue;
      {
        gsize text_end = end;
        if (strip_body_end)
          while (text_end > body && is_space (lx->src[text_end - 1]))
            text_end--;
        if (text_end > body)
          push (lx, TOK_TEXT, body, lx->src + body, text_end - body);
      }
      lx->pos = k + 2;
      return 1;
    }
  jinja_set_error (lx->t, lx->error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) tag,
                   "TemplateSyntaxError: missing end of raw directive");
  return -1;
}

gboolean
jinja_lex (HearthJinjaTemplate *t,
           GArray              *tokens,
           GPtrArray           *strings,
           GError             **error)
{
  Lexer lx = { t, t->source, t->source_len, 0, tokens, strings, error };
  gboolean line_starting = TRUE;

  while (lx.pos < lx.len)
    {
      gsize tag = lx.pos, text_start = lx.pos, text_end;
      char kind = 0, modifier = 0;
      gboolean strip_after = FALSE;

      while (tag + 1 < lx.len)
        {
          const char *brace = memchr (lx.src + tag, '{', lx.len - tag - 1);
          if (brace == NULL)
            {
              tag = lx.len;
              break;
            }
          tag = (gsize) (brace - lx.src);
          if (lx.src[tag + 1] == '{' || lx.src[tag + 1] == '%' || lx.src[tag + 1] == '#')
            break;
          tag++;
        }
      if (tag + 1 >= lx.len)
        tag = lx.len;

      text_end = tag;
      if (tag < lx.len)
        {
          kind = lx.src[tag + 1];
          if (tag + 2 < lx.len && (lx.src[tag + 2] == '-' || lx.src[tag + 2] == '+'))
            modifier = lx.src[tag + 2];
          if (modifier == '-')
            {
              while (text_end > text_start && is_space (lx.src[text_end - 1]))
                text_end--;
            }
          else if ((kind == '%' || kind == '#') && modifier != '+')
            {
              gsize line_pos = text_end;
              gboolean blank = TRUE;

              while (line_pos > text_start && lx.src[line_pos - 1] != '\n')
                {
                  if (lx.src[line_pos - 1] != ' ' && lx.src[line_pos - 1] != '\t')
                    {
                      blank = FALSE;
                      break;
                    }
                  line_pos--;
                }
              if (blank && (line_pos > text_start || line_starting))
                text_end = line_pos;
            }
        }
      if (text_end > text_start)
        push (&lx, TOK_TEXT, text_start, lx.src + text_start, text_end - text_start);
      if (tag >= lx.len)
        break;

      lx.pos = tag + 2 + (modifier ? 1 : 0);
      if (kind == '%')
        {
          int raw = lex_raw (&lx, tag, &strip_after);
          if (raw < 0)
            return FALSE;
          if (raw > 0)
            goto after_tag;
        }
      if (kind == '#')
        {
          const char *end = g_strstr_len (lx.src + lx.pos, (gssize) (lx.len - lx.pos), "#}");
          if (end == NULL)
            {
              jinja_set_error (t, error, HEARTH_ENGINE_ERROR_TEMPLATE, (guint) tag,
                               "TemplateSyntaxError: missing end of comment tag");
              return FALSE;
            }
          strip_after = end > lx.src + lx.pos && end[-1] == '-';
          lx.pos = (gsize) (end - lx.src) + 2;
        }
      else
        {
          push (&lx, kind == '%' ? TOK_BLOCK_BEGIN : TOK_VAR_BEGIN, tag, NULL, 0);
          if (!lex_tag (&lx, kind == '%' ? '%' : '{', &strip_after))
            return FALSE;
        }
    after_tag:
      if (!strip_after && kind != '{')
        {
          /* trim_blocks */
          if (lx.pos < lx.len && lx.src[lx.pos] == '\n')
            lx.pos++;
          else if (lx.pos + 1 < lx.len && lx.src[lx.pos] == '\r' && lx.src[lx.pos + 1] == '\n')
            lx.pos += 2;
        }
      if (strip_after)
        {
          while (lx.pos < lx.len && is_space (lx.src[lx.pos]))
            lx.pos++;
        }
      line_starting = lx.pos > 0 && lx.src[lx.pos - 1] == '\n';
    }
  push (&lx, TOK_EOF, lx.len, NULL, 0);
  return TRUE;
}
