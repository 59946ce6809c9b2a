/* hearth-doc-plain.c: plain text and Markdown, in blocks with their source lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain text: a paragraph is a run of non-blank lines, its white space
 * collapsed. Markdown: the block structure of CommonMark that matters for
 * citing (ATX and setext headings, fenced and indented code as
 * PREFORMATTED, list items and block quotes as paragraphs, pipe-table rows,
 * thematic breaks and YAML front matter dropped), read line by line, with
 * inline markup reduced to its text (emphasis marks, code-span backticks,
 * link and image syntax, tags, escapes and common entities). Every block
 * cites the 1-based lines of the file its text comes from.
 *
 * Hand-written rather than cmark-gfm (which the GTK views use): cmark's
 * source positions are lost for inline content and its tree would still
 * need this walk; a line scanner keeps exact lines at little cost.
 *
 * Threading: reentrant.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-doc-extract-private.h"

typedef struct
{
  char  *s;   /* the line, no end of line; points into the decoded buffer */
  gsize  len;
} Line;

static GArray *
split_lines (char  *buf,
             gsize  len)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (Line));
  gsize start = 0;

  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || buf[i] == '\n' || buf[i] == '\r')
        {
          Line l = { buf + start, i - start };

          if (i == len && start == len)
            break;
          g_array_append_val (lines, l);
          if (i < len && buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
            i++;
          start = i + 1;
        }
    }
  for (guint i = 0; i < lines->len; i++)
    g_array_index (lines, Line, i).s[g_array_index (lines, Line, i).len] = '\0';
  return lines;
}

static gboolean
is_blank (const Line *l)
{
  for (gsize i = 0; i < l->len; i++)
    if (!g_ascii_isspace (l->s[i]))
      return FALSE;
  return TRUE;
}

static guint
indent_of (const char *s)
{
  guint n = 0;

  for (; *s == ' ' || *s == '\t'; s++)
    n += *s == '\t' ? 4 - n % 4 : 1;
  return n;
}

static const char *
skip_spaces (const char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* Plain text ------------------------------------------------------------ */

static void
extract_text (HearthDocText *text,
              GArray        *lines)
{
  guint i = 0;

  while (i < lines->len)
    {
      GString *para;
      guint first;

      if (is_blank (&g_array_index (lines, Line, i)))
        {
          i++;
          continue;
        }
      first = i;
      para = g_string_new (NULL);
      for (; i < lines->len && !is_blank (&g_array_index (lines, Line, i)); i++)
        {
          g_string_append (para, g_array_index (lines, Line, i).s);
          g_string_append_c (para, ' ');
        }
      hearth_doc_text_add (text, HEARTH_DOC_BLOCK_PARAGRAPH, 0,
                           hearth_doc_normalize_space (g_string_free (para, FALSE)), 0, first + 1, i);
    }
}

/* Markdown inlines -------------------------------------------------------- */

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c);
}

static gunichar
char_before (const char *start,
             const char *p)
{
  if (p <= start)
    return ' ';
  return g_utf8_get_char_validated (g_utf8_find_prev_char (start, p), -1);
}

/* The index of the bracket closing the one at @open, or -1. */
static const char *
find_close (const char *open,
            char        o,
            char        c)
{
  int depth = 0;

  for (const char *p = open; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          continue;
        }
      if (*p == o)
        depth++;
      else if (*p == c && --depth == 0)
        return p;
    }
  return NULL;
}

static void append_inline (GString *out, const char *s, gsize len);

static const char *
entity (const char *p,
        GString    *out)
{
  static const struct { const char *name; const char *text; } names[] = {
    { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" },
    { "&nbsp;", "\xc2\xa0" }, { "&copy;", "\xc2\xa9" }, { "&mdash;", "\xe2\x80\x94" },
    { "&ndash;", "\xe2\x80\x93" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_has_prefix (p, names[i].name))
      {
        g_string_append (out, names[i].text);
        return p + strlen (names[i].name);
      }
  if (p[1] == '#')
    {
      const char *q = p + 2;
      gboolean hex = *q == 'x' || *q == 'X';
      gunichar c = 0;
      guint n = 0;

      if (hex)
        q++;
      for (; n < 7 && (hex ? g_ascii_isxdigit (*q) : g_ascii_isdigit (*q)); q++, n++)
        c = c * (hex ? 16 : 10) + (hex ? g_ascii_xdigit_value (*q) : g_ascii_digit_value (*q));
      if (n > 0 && *q == ';' && g_unichar_validate (c) && c != 0)
        {
          g_string_append_unichar (out, c);
          return q + 1;
        }
    }
  g_string_append_c (out, '&');
  return p + 1;
}

static void
append_inline (GString    *out,
               const char *s,
               gsize       len)
{
  g_autofree char *copy = g_strndup (s, len);
  const char *p = copy;

  while (*p != '\0')
    {
      if (*p == '\\' && g_ascii_ispunct (p[1]))
        {
          g_string_append_c (out, p[1]);
          p += 2;
        }
      else if (*p == '`')
        {
          /* A code span: the same number of backticks closes it; its
           * content is kept as it is. */
          gsize ticks = strspn (p, "`");
          g_autofree char *fence = g_strndup (p, ticks);
          const char *close = strstr (p + ticks, fence);

          if (close == NULL)
            {
              g_string_append_len (out, p, ticks);
              p += ticks;
              continue;
            }
          g_string_append_len (out, p + ticks, close - (p + ticks));
          p = close + ticks;
        }
      else if (*p == '!' && p[1] == '[')
        p++;  /* an image: its alt text, below */
      else if (*p == '[')
        {
          const char *close = find_close (p, '[', ']');

          if (close == NULL)
            {
              g_string_append_c (out, *p++);
              continue;
            }
          append_inline (out, p + 1, close - (p + 1));
          p = close + 1;
          if (*p == '(')
            {
              const char *end = find_close (p, '(', ')');
              p = end != NULL ? end + 1 : p;
            }
          else if (*p == '[')
            {
              const char *end = strchr (p, ']');
              p = end != NULL ? end + 1 : p;
            }
        }
      else if (*p == '<' && (g_ascii_isalpha (p[1]) || p[1] == '/'))
        {
          const char *end = strchr (p, '>');
          const char *colon = strchr (p, ':');

          if (end == NULL)
            {
              g_string_append_c (out, *p++);
              continue;
            }
          /* An autolink shows its address; a tag shows nothing. */
          if ((colon != NULL && colon < end && strchr (p, ' ') > end) || (strchr (p, '@') != NULL && strchr (p, '@') < end
              && (strchr (p, ' ') == NULL || strchr (p, ' ') > end)))
            g_string_append_len (out, p + 1, end - (p + 1));
          p = end + 1;
        }
      else if (*p == '&')
        p = entity (p, out);
      else if (*p == '*' || *p == '_')
        {
          gsize run = strspn (p, *p == '*' ? "*" : "_");
          gunichar before = char_before (copy, p);
          gunichar after = g_utf8_get_char_validated (p + run, -1);
          gboolean space_before = p == copy || g_unichar_isspace (before);
          gboolean space_after = p[run] == '\0' || g_unichar_isspace (after);

          /* Emphasis marks go; a lone mark between spaces ("2 * 3") and an
           * underscore inside a word (snake_case) are text. */
          if ((space_before && space_after) ||
              (*p == '_' && is_word_char (before) && is_word_char (after)))
            g_string_append_len (out, p, run);
          p += run;
        }
      else
        g_string_append_c (out, *p++);
    }
}

static char *
inline_text (const char *s)
{
  GString *out = g_string_new (NULL);

  append_inline (out, s, strlen (s));
  return hearth_doc_normalize_space (g_string_free (out, FALSE));
}

/* Markdown blocks --------------------------------------------------------- */

static guint
atx_level (const char *s)
{
  guint n;

  if (indent_of (s) > 3)
    return 0;
  s = skip_spaces (s);
  n = strspn (s, "#");
  if (n < 1 || n > 6 || (s[n] != '\0' && s[n] != ' ' && s[n] != '\t'))
    return 0;
  return n;
}

static char *
atx_text (const char *s)
{
  g_autofree char *t = NULL;
  char *end;

  s = skip_spaces (s);
  s += strspn (s, "#");
  t = g_strstrip (g_strdup (s));
  /* A closing sequence of #s, when it stands apart. */
  end = t + strlen (t);
  while (end > t && end[-1] == '#')
    end--;
  if (end == t || end[-1] == ' ' || end[-1] == '\t')
    *end = '\0';
  return inline_text (t);
}

/* A setext underline: a run of @c, nothing else but spaces around it. */
static gboolean
is_rule_of (const char *s,
            char        c)
{
  gsize n;

  if (indent_of (s) > 3)
    return FALSE;
  s = skip_spaces (s);
  n = strspn (s, (char[]) { c, '\0' });
  return n >= 1 && *skip_spaces (s + n) == '\0';
}

static gboolean
is_thematic_break (const char *s)
{
  const char *t = skip_spaces (s);
  guint n = 0;
  char c = *t;

  if (indent_of (s) > 3 || (c != '-' && c != '*' && c != '_'))
    return FALSE;
  for (; *t != '\0'; t++)
    {
      if (*t == c)
        n++;
      else if (*t != ' ' && *t != '\t')
        return FALSE;
    }
  return n >= 3;
}

/* The length of a list marker with its following space at @s, or 0. */
static gsize
list_marker (const char *s)
{
  const char *t = skip_spaces (s);
  gsize n = 0;

  if (*t == '-' || *t == '*' || *t == '+')
    n = 1;
  else
    {
      while (n < 9 && g_ascii_isdigit (t[n]))
        n++;
      if (n == 0 || (t[n] != '.' && t[n] != ')'))
        return 0;
      n++;
    }
  if (t[n] != ' ' && t[n] != '\t' && t[n] != '\0')
    return 0;
  return (t - s) + n + (t[n] != '\0' ? 1 : 0);
}

static const char *
fence_of (const char *s,
          gsize      *n)
{
  const char *t;

  if (indent_of (s) > 3)
    return NULL;
  t = skip_spaces (s);
  if (*t != '`' && *t != '~')
    return NULL;
  *n = strspn (t, *t == '`' ? "`" : "~");
  if (*n < 3 || (*t == '`' && strchr (t + *n, '`') != NULL))
    return NULL;
  return t;
}

static gboolean
is_table_delimiter (const char *s)
{
  gboolean dash = FALSE, pipe = FALSE;

  for (s = skip_spaces (s); *s != '\0'; s++)
    {
      if (*s == '-')
        dash = TRUE;
      else if (*s == '|')
        pipe = TRUE;
      else if (*s != ':' && *s != ' ' && *s != '\t')
        return FALSE;
    }
  return dash && pipe;
}

static char *
table_row (const char *s)
{
  g_autofree char *t = g_strstrip (g_strdup (s));
  GString *row = g_string_new (NULL);
  g_auto(GStrv) cells = NULL;
  char *body = t;
  gsize len = strlen (t);
  guint n = 0;

  if (*body == '|')
    body++, len--;
  if (len > 0 && body[len - 1] == '|' && (len < 2 || body[len - 2] != '\\'))
    body[len - 1] = '\0';
  /* Escaped pipes stay in their cell. */
  cells = g_regex_split_simple ("(?<!\\\\)\\|", body, 0, 0);
  for (guint i = 0; cells[i] != NULL; i++)
    {
      g_autofree char *cell = inline_text (cells[i]);

      if (n++ > 0)
        g_string_append (row, " | ");
      g_string_append (row, cell);
    }
  return g_string_free (row, FALSE);
}

/* Strips block-quote markers; returns a pointer into @s. */
static const char *
strip_quote (const char *s)
{
  for (;;)
    {
      const char *t = skip_spaces (s);

      if (indent_of (s) > 3 || *t != '>')
        return s;
      s = t + 1;
      if (*s == ' ')
        s++;
    }
}

typedef struct
{
  HearthDocText *text;
  GString       *para;
  guint          first;
  guint          last;
} Para;

static void
flush (Para *p)
{
  if (p->para == NULL)
    return;
  hearth_doc_text_add (p->text, HEARTH_DOC_BLOCK_PARAGRAPH, 0, inline_text (p->para->str), 0, p->first, p->last);
  g_string_free (p->para, TRUE);
  p->para = NULL;
}

static void
extend (Para       *p,
        const char *s,
        guint       lineno)
{
  if (p->para == NULL)
    {
      p->para = g_string_new (NULL);
      p->first = lineno;
    }
  g_string_append (p->para, s);
  g_string_append_c (p->para, '\n');
  p->last = lineno;
}

static void
extract_markdown (HearthDocText *text,
                  GArray        *lines)
{
  Para p = { text, NULL, 0, 0 };
  guint i = 0;
  gboolean in_item = FALSE;

  /* YAML front matter: metadata, not text. */
  if (lines->len > 0 && strcmp (g_strchomp (g_array_index (lines, Line, 0).s), "---") == 0)
    {
      for (guint j = 1; j < lines->len; j++)
        {
          const char *s = g_strchomp (g_array_index (lines, Line, j).s);

          if (strcmp (s, "---") == 0 || strcmp (s, "...") == 0)
            {
              i = j + 1;
              break;
            }
        }
    }

  while (i < lines->len)
    {
      const char *raw = g_array_index (lines, Line, i).s;
      const char *s = strip_quote (raw);
      guint lineno = i + 1;
      guint level;
      gsize fence_len, marker;
      const char *fence;

      if (*skip_spaces (s) == '\0')
        {
          flush (&p);
          in_item = FALSE;
          i++;
          continue;
        }

      if ((fence = fence_of (s, &fence_len)) != NULL)
        {
          GString *code = g_string_new (NULL);
          char fc = *fence;
          guint first = 0, last = 0;

          flush (&p);
          in_item = FALSE;
          for (i++; i < lines->len; i++)
            {
              const char *c = strip_quote (g_array_index (lines, Line, i).s);
              const char *t = skip_spaces (c);

              if (indent_of (c) <= 3 && strspn (t, fc == '`' ? "`" : "~") >= fence_len &&
                  *skip_spaces (t + strspn (t, fc == '`' ? "`" : "~")) == '\0')
                break;
              if (*t != '\0')
                {
                  if (first == 0)
                    first = i + 1;
                  last = i + 1;
                }
              if (first != 0)
                {
                  g_string_append (code, c);
                  g_string_append_c (code, '\n');
                }
            }
          i++;  /* the closing fence */
          /* Trailing blank lines are not part of what is cited. */
          while (code->len > 0 && g_ascii_isspace (code->str[code->len - 1]))
            g_string_truncate (code, code->len - 1);
          hearth_doc_text_add (text, HEARTH_DOC_BLOCK_PREFORMATTED, 0, g_string_free (code, FALSE), 0, first, last);
          continue;
        }

      if ((level = atx_level (s)) > 0)
        {
          flush (&p);
          in_item = FALSE;
          hearth_doc_text_add (text, HEARTH_DOC_BLOCK_HEADING, level, atx_text (s), 0, lineno, lineno);
          i++;
          continue;
        }

      /* Setext: the paragraph so far is the heading. */
      if (p.para != NULL && !in_item && (is_rule_of (s, '=') || is_rule_of (s, '-')))
        {
          guint lvl = is_rule_of (s, '=') ? 1 : 2;

          hearth_doc_text_add (text, HEARTH_DOC_BLOCK_HEADING, lvl, inline_text (p.para->str), 0, p.first, p.last);
          g_string_free (p.para, TRUE);
          p.para = NULL;
          i++;
          continue;
        }

      if (is_thematic_break (s))
        {
          flush (&p);
          in_item = FALSE;
          i++;
          continue;
        }

      /* Indented code, where it cannot be a paragraph's or item's continuation. */
      if (p.para == NULL && !in_item && indent_of (s) >= 4)
        {
          GString *code = g_string_new (NULL);
          guint first = lineno, last = lineno;

          for (; i < lines->len; i++)
            {
              const char *c = strip_quote (g_array_index (lines, Line, i).s);

              if (*skip_spaces (c) != '\0' && indent_of (c) < 4)
                break;
              if (*skip_spaces (c) != '\0')
                last = i + 1;
              g_string_append (code, c);
              g_string_append_c (code, '\n');
            }
          while (code->len > 0 && g_ascii_isspace (code->str[code->len - 1]))
            g_string_truncate (code, code->len - 1);
          {
            /* Drop the four columns of indentation from every line. */
            g_auto(GStrv) parts = g_strsplit (code->str, "\n", -1);
            GString *out = g_string_new (NULL);

            for (guint k = 0; parts[k] != NULL; k++)
              {
                const char *c = parts[k];
                guint col = 0;

                while (col < 4 && (*c == ' ' || *c == '\t'))
                  col += *c++ == '\t' ? 4 - col % 4 : 1;
                if (k > 0)
                  g_string_append_c (out, '\n');
                g_string_append (out, c);
              }
            g_string_free (code, TRUE);
            hearth_doc_text_add (text, HEARTH_DOC_BLOCK_PREFORMATTED, 0, g_string_free (out, FALSE), 0, first, last);
          }
          continue;
        }

      /* A pipe table: a header row and its delimiter row, then rows. */
      if (p.para == NULL && strchr (s, '|') != NULL && i + 1 < lines->len &&
          is_table_delimiter (strip_quote (g_array_index (lines, Line, i + 1).s)))
        {
          hearth_doc_text_add (text, HEARTH_DOC_BLOCK_TABLE_ROW, 0, table_row (s), 0, lineno, lineno);
          for (i += 2; i < lines->len; i++)
            {
              const char *r = strip_quote (g_array_index (lines, Line, i).s);

              if (*skip_spaces (r) == '\0' || strchr (r, '|') == NULL)
                break;
              hearth_doc_text_add (text, HEARTH_DOC_BLOCK_TABLE_ROW, 0, table_row (r), 0, i + 1, i + 1);
            }
          continue;
        }

      if ((marker = list_marker (s)) > 0)
        {
          flush (&p);
          in_item = TRUE;
          extend (&p, s + marker, lineno);
          i++;
          continue;
        }

      /* Link reference definitions are not text. */
      if (p.para == NULL && *skip_spaces (s) == '[' && strstr (s, "]:") != NULL)
        {
          i++;
          continue;
        }

      extend (&p, s, lineno);
      i++;
    }
  flush (&p);
}

HearthDocText *
hearth_doc_extract_plain (GBytes           *bytes,
                          HearthDocFormat   format,
                          GCancellable     *cancellable,
                          GError          **error)
{
  g_autoptr(GArray) lines = NULL;
  g_autofree char *buf = NULL;
  HearthDocText *text;
  gsize len = 0;

  buf = hearth_doc_decode_text (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &len);
  if (hearth_doc_check_cancelled (cancellable, error))
    return NULL;
  lines = split_lines (buf, len);
  text = hearth_doc_text_new (format);
  if (format == HEARTH_DOC_FORMAT_MARKDOWN)
    extract_markdown (text, lines);
  else
    extract_text (text, lines);
  return text;
}
