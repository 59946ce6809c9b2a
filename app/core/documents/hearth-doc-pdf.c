/* hearth-doc-pdf.c: PDF through poppler-glib, page by page, lines as `pdftotext -layout` has them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A citation says "page 3, lines 12-15", and the lines are those of
 * `pdftotext -layout` for that page (poppler's own tool, what a user or a
 * test can check against). poppler-glib has no call that returns that
 * layout: poppler_page_get_text () gives the page's text lines in reading
 * order (poppler's TextPage, built in physical-layout mode, dumped as a
 * selection), and poppler_page_get_text_layout () one rectangle per
 * character of that text, poppler_page_get_text_attributes () the font and
 * size of each run. pdftotext -layout (TextPage::dump in physical layout)
 * works from the same TextPage lines ("fragments"):
 *   1. sorts them by top edge (yMin; equal within 0.01 by left edge),
 *   2. re-sorts each run of fragments whose baselines lie within half the
 *      first one's font size of the first one's, left to right,
 *   3. writes them in that order, starting a new output line when the next
 *      fragment starts left of where the last one ended or its baseline is
 *      more than half a font size away, and then d newlines, d being the
 *      baseline distance divided by the current line's font size,
 *      truncated, clamped to 1..5 (so larger gaps give blank lines).
 * This file replays those steps on the lines and rectangles poppler-glib
 * returns (a line of get_text whose characters jump to another line is
 * cut there: the dump can run a table column's last cell into the next
 * column's first), which reproduces -layout's line numbers, with two
 * approximations: the baseline is not exposed, so it is estimated from the
 * character boxes (box bottom less a quarter of the box height: exact
 * between lines of one font, since only differences count; off by a few
 * hundredths of a font size between lines of different fonts, which only
 * matters where the distance is within that of a whole number of font
 * sizes), and "left of where the last one ended" compares page
 * coordinates where poppler compares its character columns. Where the
 * per-character rectangles do not match the text (never seen, but not
 * promised by the API), lines are numbered consecutively instead.
 * tests/test-doc-extract.c checks every block against the real
 * `pdftotext -layout` output and reports how many cite exactly its lines.
 *
 * Blocks: a page's output lines are grouped into paragraphs where the
 * text runs on (no blank -layout line between, the same font size, a
 * baseline distance not much above the page's usual one); a short block in
 * a larger font than the document's body text (or in bold at body size) is
 * a heading, its level by size rank; a block in a fixed-pitch font is
 * preformatted. A block never spans pages.
 *
 * Threading: reentrant; each call has its own PopplerDocument.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <poppler.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

typedef struct
{
  char     *text;      /* the fragment's text, as poppler_page_get_text () has it */
  double    x_min, x_max, y_min, y_max;
  double    base;
  double    font_size; /* of its first character */
  gboolean  bold;
  gboolean  fixed;
} Frag;

typedef struct
{
  GString  *text;
  guint     line;      /* 1-based line of the page's -layout output */
  guint     gap;       /* newlines after it (d above); 0 for the page's last */
  double    base, font_size, spacing;
  gboolean  bold, fixed;
} Row;

static void
frag_clear (gpointer p)
{
  g_free (((Frag *) p)->text);
}

static void
row_clear (gpointer p)
{
  g_string_free (((Row *) p)->text, TRUE);
}

static int
cmp_yx (gconstpointer a,
        gconstpointer b)
{
  const Frag *f1 = a, *f2 = b;
  double d = f1->y_min - f2->y_min;

  if (fabs (d) < 0.01)
    d = f1->x_min - f2->x_min;
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static int
cmp_x (gconstpointer a,
       gconstpointer b)
{
  const Frag *f1 = a, *f2 = b;
  double d = f1->x_min - f2->x_min;

  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static gboolean
font_is (const char *name,
         const char * const *words)
{
  g_autofree char *lower = NULL;

  if (name == NULL)
    return FALSE;
  lower = g_ascii_strdown (name, -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;
  return FALSE;
}

static const char * const bold_words[] = { "bold", "black", "heavy", "semibold", "demi", NULL };
static const char * const fixed_words[] = { "courier", "mono", "typewriter", "consol", "fixed", NULL };

/* A fragment being gathered, character by character. */
typedef struct
{
  GString *text;
  Frag     f;
  gboolean any;    /* a visible character seen */
  guint    first;  /* its index, for the font */
  int      prev;   /* the last visible character's index; -1 after a space */
  guint    last;   /* the last visible character's index, spaces or not */
} FragBuilder;

static void
frag_start (FragBuilder *b)
{
  memset (b, 0, sizeof *b);
  b->text = g_string_new (NULL);
  b->prev = -1;
}

/* Ends the fragment: kept when it shows anything, with its font. */
static void
frag_finish (FragBuilder *b,
             GArray      *frags,
             GList      **attr,
             gboolean     have_rects)
{
  Frag f = b->f;

  f.text = g_string_free (g_steal_pointer (&b->text), FALSE);
  if (!have_rects)
    b->any = *hearth_doc_normalize_space (f.text) != '\0';
  if (!b->any)
    {
      g_free (f.text);
      return;
    }
  while (*attr != NULL && ((PopplerTextAttributes *) (*attr)->data)->end_index < (int) b->first)
    *attr = (*attr)->next;
  if (*attr != NULL)
    {
      PopplerTextAttributes *a = (*attr)->data;

      f.font_size = a->font_size;
      f.bold = font_is (a->font_name, bold_words);
      f.fixed = font_is (a->font_name, fixed_words);
    }
  if (f.font_size <= 0)
    f.font_size = have_rects ? MAX (f.y_max - f.y_min, 1.0) : 10.0;
  g_array_append_val (frags, f);
}

/* Whether two characters' boxes stand on different lines: their middles
 * further apart than half the taller one. */
static gboolean
other_line (const PopplerRectangle *a,
            const PopplerRectangle *b)
{
  double h = MAX (MAX (a->y2 - a->y1, b->y2 - b->y1), 1.0);

  return fabs ((a->y1 + a->y2) - (b->y1 + b->y2)) / 2 > 0.5 * h;
}

/* The page's text lines as fragments, with their boxes and fonts.  A line
 * of poppler_page_get_text () is usually one fragment; but where its
 * selection dump runs one block into the next without a newline (the last
 * cell of a table column and the first of the next: "-91200k"), the
 * characters jump to another line, and the fragment is cut there. */
static GArray *
page_frags (PopplerPage *page,
            gboolean    *exact)
{
  g_autofree char *text = poppler_page_get_text (page);
  g_autofree PopplerRectangle *rects = NULL;
  GArray *frags = g_array_new (FALSE, TRUE, sizeof (Frag));
  GList *attrs, *a;
  guint n_rects = 0;
  guint i = 0;
  gboolean have_rects;
  FragBuilder b;

  g_array_set_clear_func (frags, frag_clear);
  *exact = TRUE;
  if (text == NULL)
    return frags;
  have_rects = poppler_page_get_text_layout (page, &rects, &n_rects) && n_rects == g_utf8_strlen (text, -1);
  if (!have_rects)
    *exact = FALSE;
  attrs = poppler_page_get_text_attributes (page);
  a = attrs;

  frag_start (&b);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p), i++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n')
        {
          frag_finish (&b, frags, &a, have_rects);
          frag_start (&b);
          continue;
        }
      if (g_unichar_isspace (c) || !have_rects)
        {
          g_string_append_unichar (b.text, c);
          b.prev = g_unichar_isspace (c) ? -1 : b.prev;
          continue;
        }
      if (b.any && other_line (&rects[b.last], &rects[i]))
        {
          frag_finish (&b, frags, &a, have_rects);
          frag_start (&b);
        }
      /* A space where poppler joined two words that stand apart (a list
       * number and its item, a tab stop): -layout shows the gap as
       * spaces, so its words are split there too. */
      if (b.prev >= 0 && rects[i].x1 - rects[b.prev].x2 > 0.4 * MAX (rects[i].y2 - rects[i].y1, 1.0))
        g_string_append_c (b.text, ' ');
      g_string_append_unichar (b.text, c);
      b.prev = (int) i;
      b.last = i;
      if (!b.any)
        {
          b.first = i;
          b.f.x_min = rects[i].x1;
          b.f.x_max = rects[i].x2;
          b.f.y_min = rects[i].y1;
          b.f.y_max = rects[i].y2;
          /* The first word's baseline: see the header. */
          b.f.base = rects[i].y2 - 0.25 * (rects[i].y2 - rects[i].y1);
        }
      b.f.x_min = MIN (b.f.x_min, rects[i].x1);
      b.f.x_max = MAX (b.f.x_max, rects[i].x2);
      b.f.y_min = MIN (b.f.y_min, rects[i].y1);
      b.f.y_max = MAX (b.f.y_max, rects[i].y2);
      b.any = TRUE;
    }
  frag_finish (&b, frags, &a, have_rects);
  poppler_page_free_text_attributes (attrs);
  return frags;
}

/* The -layout output lines of a page, from its fragments (steps 1-3 of the header). */
static GArray *
page_rows (GArray   *frags,
           gboolean  exact)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (Row));
  Row *row = NULL;
  guint line = 1;

  g_array_set_clear_func (rows, row_clear);
  if (exact)
    {
      g_array_sort (frags, cmp_yx);
      for (guint i = 0; i < frags->len;)
        {
          Frag *fi = &g_array_index (frags, Frag, i);
          double delta = 0.5 * fi->font_size;
          guint j = i + 1;

          while (j < frags->len && fabs (g_array_index (frags, Frag, j).base - fi->base) < delta)
            j++;
          /* g_array_sort is not stable: sort a copy of the run. */
          qsort (&g_array_index (frags, Frag, i), j - i, sizeof (Frag), cmp_x);
          i = j;
        }
    }

  for (guint i = 0; i < frags->len; i++)
    {
      Frag *f = &g_array_index (frags, Frag, i);
      Frag *next = i + 1 < frags->len ? &g_array_index (frags, Frag, i + 1) : NULL;

      if (row == NULL)
        {
          Row r = { g_string_new (NULL), line, 0, f->base, f->font_size, 0, f->bold, f->fixed };

          g_array_append_val (rows, r);
          row = &g_array_index (rows, Row, rows->len - 1);
        }
      else
        g_string_append_c (row->text, ' ');
      g_string_append (row->text, f->text);

      if (next == NULL || !exact || next->x_min < f->x_max - 0.5 ||
          fabs (next->base - f->base) > 0.5 * f->font_size)
        {
          int d = 1;

          if (next != NULL && exact)
            d = CLAMP ((int) ((next->base - f->base) / f->font_size), 1, 5);
          row->gap = next != NULL ? (guint) d : 0;
          row->spacing = next != NULL ? next->base - f->base : 0;
          line += d;
          row = NULL;
        }
    }
  return rows;
}

typedef struct
{
  GArray *rows;   /* of Row */
} Page;

static double
body_size (GPtrArray *pages)
{
  g_autoptr(GHashTable) weight = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer k, v;
  guint best = 0, best_w = 0;

  /* The font size (in tenths of a point) that carries the most text. */
  for (guint p = 0; p < pages->len; p++)
    {
      GArray *rows = g_ptr_array_index (pages, p);

      for (guint i = 0; i < rows->len; i++)
        {
          Row *r = &g_array_index (rows, Row, i);
          guint key = (guint) lround (r->font_size * 10);

          g_hash_table_insert (weight, GUINT_TO_POINTER (key),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (weight, GUINT_TO_POINTER (key))) +
                                                 r->text->len));
        }
    }
  g_hash_table_iter_init (&iter, weight);
  while (g_hash_table_iter_next (&iter, &k, &v))
    if (GPOINTER_TO_UINT (v) > best_w || (GPOINTER_TO_UINT (v) == best_w && GPOINTER_TO_UINT (k) < best))
      {
        best = GPOINTER_TO_UINT (k);
        best_w = GPOINTER_TO_UINT (v);
      }
  return best / 10.0;
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/* The usual baseline distance between lines of body text on a page. */
static double
usual_spacing (GArray *rows,
               double  body)
{
  g_autoptr(GArray) gaps = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint i = 0; i + 1 < rows->len; i++)
    {
      Row *r = &g_array_index (rows, Row, i);

      if (r->spacing > 0 && fabs (r->font_size - body) < 0.05 * body)
        g_array_append_val (gaps, r->spacing);
    }
  if (gaps->len == 0)
    return 1.2 * body;
  g_array_sort (gaps, cmp_double);
  /* The smallest distance at least two thirds of the lines have: line
   * spacing, not paragraph spacing. */
  return g_array_index (gaps, double, gaps->len / 3);
}

static void
add_blocks (HearthDocText *text,
            GArray        *rows,
            guint          page,
            double         body,
            GArray        *heading_sizes)
{
  double spacing = usual_spacing (rows, body);
  guint i = 0;

  while (i < rows->len)
    {
      Row *first = &g_array_index (rows, Row, i);
      GString *s = g_string_new (first->text->str);
      guint j = i;
      HearthDocBlockKind kind = first->fixed ? HEARTH_DOC_BLOCK_PREFORMATTED : HEARTH_DOC_BLOCK_PARAGRAPH;
      guint level = 0;

      while (j + 1 < rows->len)
        {
          Row *r = &g_array_index (rows, Row, j);
          Row *n = &g_array_index (rows, Row, j + 1);

          if (r->gap > 1 || fabs (n->font_size - r->font_size) > 0.05 * r->font_size || n->fixed != r->fixed ||
              n->bold != r->bold || r->spacing > 1.3 * spacing)
            break;
          g_string_append_c (s, kind == HEARTH_DOC_BLOCK_PREFORMATTED ? '\n' : ' ');
          g_string_append (s, n->text->str);
          j++;
        }

      if (kind == HEARTH_DOC_BLOCK_PARAGRAPH && j - i < 3 && s->len < 200 &&
          (first->font_size > 1.1 * body || (first->bold && fabs (first->font_size - body) < 0.05 * body)))
        {
          kind = HEARTH_DOC_BLOCK_HEADING;
          level = 1;
          for (guint k = 0; k < heading_sizes->len; k++)
            if (g_array_index (heading_sizes, double, k) > first->font_size + 0.05)
              level++;
        }
      if (kind == HEARTH_DOC_BLOCK_PREFORMATTED)
        hearth_doc_text_add (text, kind, 0, g_string_free (s, FALSE), page, first->line,
                             g_array_index (rows, Row, j).line);
      else
        hearth_doc_text_add (text, kind, level, hearth_doc_normalize_space (g_string_free (s, FALSE)), page,
                             first->line, g_array_index (rows, Row, j).line);
      i = j + 1;
    }
}

HearthDocText *
hearth_doc_extract_pdf (GBytes        *bytes,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GObject) doc_ref = NULL;  /* poppler-glib 22 has no autoptr of its own */
  PopplerDocument *doc;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) pages = NULL;
  g_autoptr(GArray) heading_sizes = NULL;
  HearthDocText *text;
  double body;
  int n_pages;

  doc = poppler_document_new_from_bytes (bytes, NULL, &local);
  doc_ref = (GObject *) doc;
  if (doc == NULL)
    {
      if (g_error_matches (local, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED))
        g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_ENCRYPTED,
                             _("The document is protected by a password."));
      else
        g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                             _("The document is damaged: it could not be read as PDF."));
      return NULL;
    }
  n_pages = poppler_document_get_n_pages (doc);
  if (n_pages > HEARTH_DOC_MAX_PAGES)
    {
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_TOO_LARGE,
                   _("The document has more than %u pages, the most Hearth reads."), (guint) HEARTH_DOC_MAX_PAGES);
      return NULL;
    }

  pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (int i = 0; i < n_pages; i++)
    {
      g_autoptr(GObject) page_ref = NULL;
      PopplerPage *page = poppler_document_get_page (doc, i);
      g_autoptr(GArray) frags = NULL;
      gboolean exact;

      page_ref = (GObject *) page;
      if (hearth_doc_check_cancelled (cancellable, error))
        return NULL;
      if (page == NULL)
        {
          g_ptr_array_add (pages, g_array_new (FALSE, TRUE, sizeof (Row)));
          continue;
        }
      frags = page_frags (page, &exact);
      g_ptr_array_add (pages, page_rows (frags, exact));
    }

  /* Heading sizes: the distinct sizes above the body's, largest first. */
  body = body_size (pages);
  heading_sizes = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint p = 0; p < pages->len; p++)
    {
      GArray *rows = g_ptr_array_index (pages, p);

      for (guint i = 0; i < rows->len; i++)
        {
          double size = g_array_index (rows, Row, i).font_size;
          gboolean seen = FALSE;

          if (size <= 1.1 * body)
            continue;
          for (guint k = 0; k < heading_sizes->len; k++)
            seen |= fabs (g_array_index (heading_sizes, double, k) - size) < 0.05;
          if (!seen)
            g_array_append_val (heading_sizes, size);
        }
    }

  text = hearth_doc_text_new (HEARTH_DOC_FORMAT_PDF);
  text->n_pages = n_pages;
  {
    g_autofree char *title = poppler_document_get_title (doc);

    if (title != NULL && *hearth_doc_normalize_space (title) != '\0')
      text->title = g_steal_pointer (&title);
  }
  for (guint p = 0; p < pages->len; p++)
    add_blocks (text, g_ptr_array_index (pages, p), p + 1, body, heading_sizes);
  return text;
}
