/* test-doc-extract.c: document text extraction and chunking against independent tools
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The corpus is built at the start by tests/documents/make-corpus.sh (path
 * in $HEARTH_DOC_CORPUS_SCRIPT) from one Markdown source, with pandoc,
 * groff, qpdf, iconv and python3, into a temporary folder. Every
 * extraction is compared with a tool that does not share Hearth's code:
 *   - words: the extracted words, in order, equal those of `pandoc -t
 *     plain` of the same file (Markdown read with -smart: pandoc would
 *     otherwise turn quotes and dashes into other characters, which Hearth
 *     keeps as they are), of `pdftotext -layout` for PDF, and of the file
 *     itself decoded by iconv for plain text (pandoc would read a .txt as
 *     Markdown). Both sides are normalised the same way, for documented
 *     differences of rendering only: table borders (runs of - = + | and
 *     cell separators), list bullets and numbers, which pandoc writes as
 *     "-   item" / "1.  item" and Hearth keeps out of the block text.
 *   - positions: for text, Markdown and HTML, the cited lines of the file
 *     hold the block's words in order (each word a substring there, since
 *     markup such as *emphasis* surrounds words in the source); for PDF the
 *     cited page and lines of `pdftotext -layout` do, and the test reports
 *     how many blocks start and end exactly on the cited lines; for DOCX,
 *     ODT and EPUB paragraph numbers are 1, 2, 3, ... and every paragraph
 *     and heading equals a paragraph of pandoc's plain output, in order
 *     (pandoc's list blocks split into items; its tables and code blocks
 *     are not paragraphs there and are compared by words above).
 * Errors come from broken and hostile files of the corpus; the chunker
 * is checked on the extracted documents and on made-up blocks.
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-doc-chunk.h"
#include "hearth-doc-extract.h"
#include "hearth-test.h"

static char *corpus;

static char *
corpus_path (const char *name)
{
  return g_build_filename (corpus, name, NULL);
}

static char *
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", argv[0], error->message);
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s failed: %s", argv[0], err);
  return out;
}

static HearthDocText *
extract (const char *name)
{
  g_autofree char *path = corpus_path (name);
  g_autoptr(GError) error = NULL;
  HearthDocText *text = hearth_doc_extract_file (path, NULL, &error);

  ck_assert_msg (text != NULL, "%s: %s", name, error ? error->message : "?");
  return text;
}

/* ---- words ---- */

static gboolean
is_rendering_token (const char *w)
{
  gsize n = strlen (w);

  /* Table borders and separators: only - = + | : characters. */
  if (strspn (w, "-=+|:") == n)
    return TRUE;
  /* List bullets and numbers. */
  if (strcmp (w, "*") == 0 || strcmp (w, "•") == 0)
    return TRUE;
  if (n >= 2 && strspn (w, "0123456789") == n - 1 && (w[n - 1] == '.' || w[n - 1] == ')'))
    return TRUE;
  return FALSE;
}

static GPtrArray *
words_of (const char *text)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_regex_split_simple ("[\\s\\x{00a0}]+", text, 0, 0);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0' && !is_rendering_token (parts[i]))
      g_ptr_array_add (words, g_strdup (parts[i]));
  return words;
}

static char *
blocks_joined (HearthDocText *text)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);

      g_string_append (s, b->text);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

/* Asserts equal word sequences; prints the figure. */
static void
assert_same_words (const char *what,
                   const char *got,
                   const char *want)
{
  g_autoptr(GPtrArray) a = words_of (got);
  g_autoptr(GPtrArray) b = words_of (want);
  guint same = 0;

  while (same < a->len && same < b->len &&
         strcmp (g_ptr_array_index (a, same), g_ptr_array_index (b, same)) == 0)
    same++;
  printf ("%s: %u of %u extracted words equal the reference's %u, in order\n", what, same, a->len, b->len);
  if (same < a->len || same < b->len)
    {
      GString *ga = g_string_new (NULL), *gb = g_string_new (NULL);

      for (guint i = same > 5 ? same - 5 : 0; i < same + 6; i++)
        {
          if (i < a->len)
            g_string_append_printf (ga, "%s ", (char *) g_ptr_array_index (a, i));
          if (i < b->len)
            g_string_append_printf (gb, "%s ", (char *) g_ptr_array_index (b, i));
        }
      ck_abort_msg ("%s: words differ at %u:\n  extracted: %s\n  reference: %s", what, same, ga->str, gb->str);
    }
}

static void
check_words (const char         *name,
             const char * const *ref_argv)
{
  g_autoptr(HearthDocText) text = extract (name);
  g_autofree char *got = blocks_joined (text);
  g_autofree char *want = run (ref_argv);

  assert_same_words (name, got, want);
}

#define PANDOC_PLAIN(file) (const char * const[]) { "pandoc", "-t", "plain", "--wrap=none", file, NULL }

START_TEST (words_markdown)
{
  g_autofree char *path = corpus_path ("doc.md");

  check_words ("doc.md", (const char * const[]) { "pandoc", "-f", "markdown-smart", "-t", "plain", "--wrap=none",
                                                   path, NULL });
}
END_TEST

START_TEST (words_text)
{
  static const char * const files[][2] = {
    { "doc.txt", "UTF-8" }, { "doc-utf16.txt", "UTF-16" }, { "doc-cp1252.txt", "WINDOWS-1252" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = corpus_path (files[i][0]);

      check_words (files[i][0], (const char * const[]) { "iconv", "-f", files[i][1], "-t", "UTF-8", path, NULL });
    }
}
END_TEST

START_TEST (words_html)
{
  g_autofree char *path = corpus_path ("doc.html");
  g_autoptr(HearthDocText) text = extract ("doc.html");

  check_words ("doc.html", PANDOC_PLAIN (path));
  ck_assert_str_eq (text->title, "Keeping a Hearth");
}
END_TEST

START_TEST (words_docx)
{
  g_autofree char *path = corpus_path ("doc.docx");

  check_words ("doc.docx", PANDOC_PLAIN (path));
}
END_TEST

START_TEST (words_odt)
{
  g_autofree char *path = corpus_path ("doc.odt");
  g_autoptr(HearthDocText) text = extract ("doc.odt");
  g_autofree char *want = run (PANDOC_PLAIN (path));
  GString *got = g_string_new (NULL);
  gboolean header = FALSE;

  /* pandoc 2.17's ODT reader drops a table's table:table-header-rows (its
   * own ODT writer puts the header row there): the reference lacks the
   * first row of each table, so it is left out here, and checked apart. */
  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);
      HearthDocBlock *prev = i > 0 ? g_ptr_array_index (text->blocks, i - 1) : NULL;

      if (b->kind == HEARTH_DOC_BLOCK_TABLE_ROW && (prev == NULL || prev->kind != HEARTH_DOC_BLOCK_TABLE_ROW))
        {
          ck_assert_str_eq (b->text, "Day | Task | Minutes");
          header = TRUE;
          continue;
        }
      g_string_append_printf (got, "%s\n", b->text);
    }
  ck_assert (header);
  assert_same_words ("doc.odt", got->str, want);
  g_string_free (got, TRUE);
}
END_TEST

/* pandoc's EPUB reader takes the book's title page (pandoc's EPUB writer
 * makes one: the first spine document, an h1 of the title) as metadata;
 * Hearth reads every spine document, so the reference gets the title in
 * front. */
START_TEST (words_epub)
{
  g_autofree char *path = corpus_path ("doc.epub");
  g_autoptr(HearthDocText) text = extract ("doc.epub");
  g_autofree char *got = blocks_joined (text);
  g_autofree char *plain = run (PANDOC_PLAIN (path));
  g_autofree char *want = g_strconcat ("Keeping a Hearth\n\n", plain, NULL);

  assert_same_words ("doc.epub", got, want);
  ck_assert_str_eq (text->title, "Keeping a Hearth");
}
END_TEST

START_TEST (words_pdf)
{
  g_autofree char *path = corpus_path ("doc.pdf");

  check_words ("doc.pdf", (const char * const[]) { "pdftotext", "-layout", "-enc", "UTF-8", path, "-", NULL });
}
END_TEST

/* ---- positions ---- */

/* TRUE when @words appear in @haystack in order, each as a substring. */
static gboolean
contains_in_order (const char *haystack,
                   GPtrArray  *words,
                   const char **missing)
{
  const char *at = haystack;

  for (guint i = 0; i < words->len; i++)
    {
      const char *w = g_ptr_array_index (words, i);
      const char *found = strstr (at, w);

      if (found == NULL)
        {
          *missing = w;
          return FALSE;
        }
      at = found + strlen (w);
    }
  return TRUE;
}

static char *
lines_of (char      **lines,
          guint       n_lines,
          guint       first,
          guint       last)
{
  GString *s = g_string_new (NULL);

  for (guint l = first; l <= last && l <= n_lines; l++)
    {
      g_string_append (s, lines[l - 1]);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

/* The source's markup between words (Markdown's emphasis and code marks,
 * HTML's tags) is removed before looking for the words in it. */
static char *
strip_markup (char *lines)
{
  g_autoptr(GRegex) re = g_regex_new ("<[^>]*>|[*_`]", 0, 0, NULL);
  char *out = g_regex_replace_literal (re, lines, -1, 0, "", 0, NULL);

  g_free (lines);
  return out;
}

static void
check_line_positions (const char *name,
                      const char *encoding)
{
  g_autoptr(HearthDocText) text = extract (name);
  g_autofree char *path = corpus_path (name);
  g_autofree char *source = run ((const char * const[]) { "iconv", "-f", encoding, "-t", "UTF-8", path, NULL });
  g_auto(GStrv) lines = g_strsplit (source, "\n", -1);
  guint n_lines = g_strv_length (lines);

  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);
      g_autoptr(GPtrArray) words = words_of (b->text);
      g_autofree char *cited = strip_markup (lines_of (lines, n_lines, b->line_start, b->line_end));
      const char *missing = NULL;

      ck_assert_uint_eq (b->page, 0);
      ck_assert_uint_ge (b->line_start, 1);
      ck_assert_uint_le (b->line_end, n_lines);
      ck_assert_msg (contains_in_order (cited, words, &missing), "%s: block %u (lines %u-%u) '%s': '%s' not in:\n%s",
                     name, i, b->line_start, b->line_end, b->text, missing, cited);
      /* Exact ends: the first and last lines hold the first and last words. */
      if (words->len > 0)
        {
              g_autofree char *first = strip_markup (g_strdup (lines[b->line_start - 1]));
          g_autofree char *last = strip_markup (g_strdup (lines[b->line_end - 1]));

          ck_assert_msg (strstr (first, g_ptr_array_index (words, 0)) != NULL,
                         "%s: block %u does not start on line %u", name, i, b->line_start);
          ck_assert_msg (strstr (last, g_ptr_array_index (words, words->len - 1)) != NULL,
                         "%s: block %u does not end on line %u", name, i, b->line_end);
        }
    }
  printf ("%s: %u blocks, each cites the lines that hold its words\n", name, text->blocks->len);
}

START_TEST (positions_text)
{
  check_line_positions ("doc.txt", "UTF-8");
  check_line_positions ("doc-utf16.txt", "UTF-16");
  check_line_positions ("doc-cp1252.txt", "WINDOWS-1252");
}
END_TEST

START_TEST (positions_markdown)
{
  g_autoptr(HearthDocText) text = extract ("doc.md");
  guint headings = 0, rows = 0, pre = 0;

  check_line_positions ("doc.md", "UTF-8");
  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);

      headings += b->kind == HEARTH_DOC_BLOCK_HEADING;
      rows += b->kind == HEARTH_DOC_BLOCK_TABLE_ROW;
      pre += b->kind == HEARTH_DOC_BLOCK_PREFORMATTED;
      if (b->kind == HEARTH_DOC_BLOCK_HEADING && strcmp (b->text, "Keeping a Hearth") == 0)
        ck_assert_uint_eq (b->level, 1);  /* setext = */
      if (b->kind == HEARTH_DOC_BLOCK_HEADING && strcmp (b->text, "Weekly chores") == 0)
        ck_assert_uint_eq (b->level, 2);  /* setext - */
      if (b->kind == HEARTH_DOC_BLOCK_HEADING && strcmp (b->text, "A simple test") == 0)
        ck_assert_uint_eq (b->level, 3);
      if (b->kind == HEARTH_DOC_BLOCK_TABLE_ROW && g_str_has_prefix (b->text, "Monday"))
        ck_assert_str_eq (b->text, "Monday | Empty the ash pan | 10");
      if (b->kind == HEARTH_DOC_BLOCK_PREFORMATTED)
        ck_assert_str_eq (b->text, "2023-11-04  oak   2.0 m3  dry    paid\n"
                                   "2023-12-01  beech 1.5 m3  damp   stacked apart");
    }
  ck_assert_uint_eq (headings, 8);
  ck_assert_uint_eq (rows, 4);
  ck_assert_uint_eq (pre, 1);
}
END_TEST

START_TEST (positions_html)
{
  g_autoptr(HearthDocText) text = extract ("doc.html");
  guint headings = 0, rows = 0;

  check_line_positions ("doc.html", "UTF-8");
  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);

      headings += b->kind == HEARTH_DOC_BLOCK_HEADING;
      rows += b->kind == HEARTH_DOC_BLOCK_TABLE_ROW;
      if (b->kind == HEARTH_DOC_BLOCK_TABLE_ROW && g_str_has_prefix (b->text, "Monday"))
        ck_assert_str_eq (b->text, "Monday | Empty the ash pan | 10");
      if (b->kind == HEARTH_DOC_BLOCK_HEADING && strcmp (b->text, "A simple test") == 0)
        ck_assert_uint_eq (b->level, 3);
    }
  ck_assert_uint_eq (headings, 8);
  ck_assert_uint_eq (rows, 4);
}
END_TEST

static GPtrArray *
pdf_pages (const char *name)
{
  g_autofree char *path = corpus_path (name);
  g_autofree char *out = run ((const char * const[]) { "pdftotext", "-layout", "-enc", "UTF-8", path, "-", NULL });
  g_auto(GStrv) pages = g_strsplit (out, "\f", -1);
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; pages[i] != NULL; i++)
    g_ptr_array_add (result, g_strsplit (pages[i], "\n", -1));
  return result;
}

START_TEST (positions_pdf)
{
  g_autoptr(HearthDocText) text = extract ("doc.pdf");
  g_autoptr(GPtrArray) pages = pdf_pages ("doc.pdf");
  guint exact = 0;

  ck_assert_uint_ge (text->n_pages, 2);
  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);
      g_autoptr(GPtrArray) words = words_of (b->text);
      char **lines;
      guint n_lines;
      g_autofree char *cited = NULL;
      const char *missing = NULL;

      ck_assert_uint_ge (b->page, 1);
      ck_assert_uint_le (b->page, text->n_pages);
      lines = g_ptr_array_index (pages, b->page - 1);
      n_lines = g_strv_length (lines);
      ck_assert_uint_le (b->line_end, n_lines);
      cited = lines_of (lines, n_lines, b->line_start, b->line_end);
      ck_assert_msg (contains_in_order (cited, words, &missing),
                     "doc.pdf: block %u (page %u, lines %u-%u) '%s': '%s' not in:\n%s", i, b->page,
                     b->line_start, b->line_end, b->text, missing, cited);
      if (words->len > 0 && strstr (lines[b->line_start - 1], g_ptr_array_index (words, 0)) != NULL &&
          strstr (lines[b->line_end - 1], g_ptr_array_index (words, words->len - 1)) != NULL)
        exact++;
    }
  printf ("doc.pdf: %u blocks on %u pages, all within their cited -layout lines; %u of them start and end "
          "exactly on them\n", text->blocks->len, text->n_pages, exact);
  /* The layout is replayed, not approximated: every block exact here. */
  ck_assert_uint_eq (exact, text->blocks->len);
}
END_TEST

/* pandoc's plain paragraphs: blank-line separated; a list block split
 * into its items; tables and code blocks (indented) left out. */
static GPtrArray *
pandoc_paragraphs (const char *path)
{
  g_autofree char *out = run (PANDOC_PLAIN (path));
  g_auto(GStrv) paras = g_regex_split_simple ("\\n\\s*\\n", out, 0, 0);
  GPtrArray *result = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; paras[i] != NULL; i++)
    {
      g_auto(GStrv) items = NULL;

      if (g_str_has_prefix (paras[i], "  ") || paras[i][0] == '\0')
        continue;
      items = g_regex_split_simple ("\\n(?=-   |\\d+\\.  )", paras[i], 0, 0);
      for (guint k = 0; items[k] != NULL; k++)
        {
          g_autoptr(GPtrArray) w = words_of (items[k]);
          g_ptr_array_add (w, NULL);
          g_ptr_array_add (result, g_strjoinv (" ", (char **) w->pdata));
        }
    }
  return result;
}

static void
check_paragraphs (const char *name)
{
  g_autoptr(HearthDocText) text = extract (name);
  g_autofree char *path = corpus_path (name);
  g_autoptr(GPtrArray) ref = pandoc_paragraphs (path);

  /* The EPUB title page, as in words_epub. */
  if (text->format == HEARTH_DOC_FORMAT_EPUB)
    g_ptr_array_insert (ref, 0, g_strdup ("Keeping a Hearth"));
  guint at = 0, matched = 0, prose = 0;

  for (guint i = 0; i < text->blocks->len; i++)
    {
      HearthDocBlock *b = g_ptr_array_index (text->blocks, i);
      g_autoptr(GPtrArray) w = NULL;
      g_autofree char *mine = NULL;
      guint k;

      ck_assert_uint_eq (b->page, 0);
      ck_assert_uint_eq (b->line_start, i + 1);
      ck_assert_uint_eq (b->line_end, i + 1);
      if (b->kind != HEARTH_DOC_BLOCK_PARAGRAPH && b->kind != HEARTH_DOC_BLOCK_HEADING)
        continue;
      prose++;
      w = words_of (b->text);
      g_ptr_array_add (w, NULL);
      mine = g_strjoinv (" ", (char **) w->pdata);
      for (k = at; k < ref->len && strcmp (g_ptr_array_index (ref, k), mine) != 0; k++)
        ;
      ck_assert_msg (k < ref->len, "%s: paragraph %u '%s' is not a later paragraph of pandoc's", name, i + 1, mine);
      at = k + 1;
      matched++;
    }
  printf ("%s: %u blocks numbered 1..%u; %u of %u paragraphs and headings equal pandoc's, in order\n", name,
          text->blocks->len, text->blocks->len, matched, prose);
}

START_TEST (paragraphs_docx)
{
  check_paragraphs ("doc.docx");
}
END_TEST

START_TEST (paragraphs_odt)
{
  check_paragraphs ("doc.odt");
}
END_TEST

START_TEST (paragraphs_epub)
{
  check_paragraphs ("doc.epub");
}
END_TEST

/* ---- errors ---- */

static void
check_error (const char *name,
             int         code)
{
  g_autofree char *path = corpus_path (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocText) text = hearth_doc_extract_file (path, NULL, &error);

  ck_assert_msg (text == NULL, "%s: extracted", name);
  ck_assert_msg (error != NULL && error->domain == HEARTH_DOC_ERROR && error->code == code,
                 "%s: want code %d, got %s", name, code, error ? error->message : "no error");
  /* A sentence for the user, which does not name the file. */
  ck_assert_msg (strlen (error->message) > 15 && g_str_has_suffix (error->message, "."), "%s: '%s'", name,
                 error->message);
  ck_assert_msg (strstr (error->message, corpus) == NULL, "%s: the message names the path", name);
  printf ("%s: %s\n", name, error->message);
}

START_TEST (errors)
{
  check_error ("truncated.docx", HEARTH_DOC_ERROR_CORRUPT);
  check_error ("truncated.odt", HEARTH_DOC_ERROR_CORRUPT);
  check_error ("truncated.epub", HEARTH_DOC_ERROR_CORRUPT);
  check_error ("encrypted.pdf", HEARTH_DOC_ERROR_ENCRYPTED);
  check_error ("scanned.pdf", HEARTH_DOC_ERROR_EMPTY);
  check_error ("unknown.xyz", HEARTH_DOC_ERROR_UNSUPPORTED);
  check_error ("bomb.docx", HEARTH_DOC_ERROR_TOO_LARGE);
}
END_TEST

START_TEST (errors_bytes)
{
  static const char garbage[] = "PK\x03\x04 this is not really a zip file at all";
  static const HearthDocFormat zips[] = { HEARTH_DOC_FORMAT_DOCX, HEARTH_DOC_FORMAT_ODT, HEARTH_DOC_FORMAT_EPUB };
  g_autoptr(GBytes) bytes = g_bytes_new_static (garbage, sizeof garbage - 1);
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (zips); i++)
    {
      ck_assert_ptr_null (hearth_doc_extract_bytes (bytes, zips[i], NULL, &error));
      ck_assert_int_eq (error->code, HEARTH_DOC_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  ck_assert_ptr_null (hearth_doc_extract_bytes (bytes, HEARTH_DOC_FORMAT_PDF, NULL, &error));
  ck_assert_int_eq (error->code, HEARTH_DOC_ERROR_CORRUPT);
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_doc_extract_bytes (empty, HEARTH_DOC_FORMAT_TEXT, NULL, &error));
  ck_assert_int_eq (error->code, HEARTH_DOC_ERROR_EMPTY);
  g_clear_error (&error);
  g_cancellable_cancel (cancelled);
  ck_assert_ptr_null (hearth_doc_extract_bytes (bytes, HEARTH_DOC_FORMAT_TEXT, cancelled, &error));
  ck_assert_int_eq (error->code, HEARTH_DOC_ERROR_CANCELLED);
  g_clear_error (&error);
}
END_TEST

/* A block of white space alone, a no-break space included (converters
 * keep a blank line as a paragraph of one U+00A0), is no block: neither
 * kept nor counted among the paragraphs. Found by the retrieval
 * evaluation: an EPUB's paragraph numbers drifted from the reference's
 * after each such paragraph. */
START_TEST (blank_blocks)
{
  static const char html[] = "<html><body><p>One.</p><p>&nbsp;</p><p> &nbsp; &emsp;</p><p>Two.</p></body></html>";
  static const char text[] = "One.\n\n\xc2\xa0\n\nTwo.\n";
  g_autoptr(GBytes) text_bytes = g_bytes_new_static (text, sizeof text - 1);
  g_autoptr(GBytes) html_bytes = g_bytes_new_static (html, sizeof html - 1);
  g_autoptr(HearthDocText) t = NULL;
  g_autoptr(HearthDocText) h = NULL;
  GError *error = NULL;

  t = hearth_doc_extract_bytes (text_bytes, HEARTH_DOC_FORMAT_TEXT, NULL, &error);
  ck_assert_ptr_null (error);
  ck_assert_uint_eq (t->blocks->len, 2);
  ck_assert_uint_eq (((HearthDocBlock *) t->blocks->pdata[1])->line_start, 5);
  h = hearth_doc_extract_bytes (html_bytes, HEARTH_DOC_FORMAT_HTML, NULL, &error);
  ck_assert_ptr_null (error);
  ck_assert_uint_eq (h->blocks->len, 2);
  ck_assert_str_eq (((HearthDocBlock *) h->blocks->pdata[1])->text, "Two.");
}
END_TEST

/* Damaged copies of every corpus file (bytes changed, cut short): each
 * gives text or an error with a message, never a crash (Check forks: a
 * crash fails the test). */
START_TEST (mutations)
{
  static const struct { const char *name; HearthDocFormat format; } files[] = {
    { "doc.md", HEARTH_DOC_FORMAT_MARKDOWN }, { "doc.html", HEARTH_DOC_FORMAT_HTML },
    { "doc.docx", HEARTH_DOC_FORMAT_DOCX }, { "doc.odt", HEARTH_DOC_FORMAT_ODT },
    { "doc.epub", HEARTH_DOC_FORMAT_EPUB }, { "doc.pdf", HEARTH_DOC_FORMAT_PDF },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint ok = 0, failed = 0;

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *path = corpus_path (files[f].name);
      g_autofree char *data = NULL;
      gsize size = 0;

      ck_assert (g_file_get_contents (path, &data, &size, NULL));
      for (guint i = 0; i < 40; i++)
        {
          guint8 *copy = g_memdup2 (data, size);
          gsize len = i % 4 == 3 ? (gsize) g_rand_int_range (rand, 0, (gint32) size) : size;
          g_autoptr(GBytes) bytes = NULL;
          g_autoptr(GError) error = NULL;
          g_autoptr(HearthDocText) text = NULL;

          for (guint k = 0; k < 1 + i % 8; k++)
            copy[g_rand_int_range (rand, 0, size)] = g_rand_int_range (rand, 0, 256);
          bytes = g_bytes_new_take (copy, len);
          text = hearth_doc_extract_bytes (bytes, files[f].format, NULL, &error);
          ck_assert ((text == NULL) != (error == NULL));
          if (error != NULL)
            {
              ck_assert (error->domain == HEARTH_DOC_ERROR && error->message[0] != '\0');
              failed++;
            }
          else
            ok++;
        }
    }
  printf ("damaged copies: %u read, %u refused with an error, none crashed\n", ok, failed);
}
END_TEST

START_TEST (formats)
{
  HearthDocFormat f;

  ck_assert (hearth_doc_format_from_path ("/a/b/Report.PDF", &f) && f == HEARTH_DOC_FORMAT_PDF);
  ck_assert (hearth_doc_format_from_path ("notes.md", &f) && f == HEARTH_DOC_FORMAT_MARKDOWN);
  ck_assert (hearth_doc_format_from_path ("page.htm", &f) && f == HEARTH_DOC_FORMAT_HTML);
  ck_assert (hearth_doc_format_from_path ("book.epub", &f) && f == HEARTH_DOC_FORMAT_EPUB);
  ck_assert (!hearth_doc_format_from_path ("archive.zip", &f));
  ck_assert (!hearth_doc_format_from_path (".pdf", &f));
  ck_assert_str_eq (hearth_doc_format_to_string (HEARTH_DOC_FORMAT_DOCX), "docx");
}
END_TEST

START_TEST (encodings)
{
  static const guint8 utf16be[] = { 0xFE, 0xFF, 0x00, 'c', 0x00, 'a', 0x00, 'f', 0x00, 0xE9 };
  static const guint8 bom8[] = { 0xEF, 0xBB, 0xBF, 'c', 'a', 'f', 0xC3, 0xA9 };
  static const guint8 cp1252[] = { 0x93, 'c', 'a', 'f', 0xE9, 0x94, ' ', 0x80, ' ', 0x81 };
  g_autoptr(GBytes) a = g_bytes_new_static (utf16be, sizeof utf16be);
  g_autoptr(GBytes) b = g_bytes_new_static (bom8, sizeof bom8);
  g_autoptr(GBytes) c = g_bytes_new_static (cp1252, sizeof cp1252 - 2);
  g_autoptr(GBytes) d = g_bytes_new_static (cp1252, sizeof cp1252);
  g_autoptr(HearthDocText) ta = hearth_doc_extract_bytes (a, HEARTH_DOC_FORMAT_TEXT, NULL, NULL);
  g_autoptr(HearthDocText) tb = hearth_doc_extract_bytes (b, HEARTH_DOC_FORMAT_TEXT, NULL, NULL);
  g_autoptr(HearthDocText) tc = hearth_doc_extract_bytes (c, HEARTH_DOC_FORMAT_TEXT, NULL, NULL);
  g_autoptr(HearthDocText) td = hearth_doc_extract_bytes (d, HEARTH_DOC_FORMAT_TEXT, NULL, NULL);

  ck_assert_str_eq (((HearthDocBlock *) g_ptr_array_index (ta->blocks, 0))->text, "café");
  ck_assert_str_eq (((HearthDocBlock *) g_ptr_array_index (tb->blocks, 0))->text, "café");
  ck_assert_str_eq (((HearthDocBlock *) g_ptr_array_index (tc->blocks, 0))->text, "“café” €");
  /* 0x81 is undefined in Windows-1252: the file is read as Latin-1. */
  ck_assert_str_eq (((HearthDocBlock *) g_ptr_array_index (td->blocks, 0))->text, "\xc2\x93" "caf\xc3\xa9\xc2\x94 \xc2\x80 \xc2\x81");
}
END_TEST

/* ---- the chunker ---- */

static guint
count_chars4 (const char *text,
              gpointer    user_data)
{
  /* A stand-in tokenizer: a token per 4 bytes of each word, at least one. */
  guint n = 0;
  g_auto(GStrv) words = g_strsplit_set (text, " \n\t", -1);

  (*(guint *) user_data)++;
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      n += MAX (1, (strlen (words[i]) + 3) / 4);
  return n;
}

static guint
count_words_plain (const char *text)
{
  g_auto(GStrv) w = g_strsplit_set (text, " \n\t", -1);
  guint n = 0;

  for (guint i = 0; w[i] != NULL; i++)
    n += w[i][0] != '\0';
  return n;
}

/* The checks every chunking must pass; returns the chunks. */
static GPtrArray *
check_chunks (HearthDocText              *text,
              const HearthDocChunkParams *params,
              char                     ***page_lines,  /* per page (PDF) or [0]: the source's lines */
              guint                      *n_overlaps)
{
  GPtrArray *chunks = hearth_doc_chunk (text, params);
  g_autoptr(GPtrArray) again = hearth_doc_chunk (text, params);

  ck_assert_uint_gt (chunks->len, 1);
  ck_assert_uint_eq (chunks->len, again->len);
  *n_overlaps = 0;
  for (guint i = 0; i < chunks->len; i++)
    {
      HearthDocChunk *c = g_ptr_array_index (chunks, i);
      HearthDocChunk *d = g_ptr_array_index (again, i);
      g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
      g_auto(GStrv) split = g_regex_split_simple ("\\s+", c->text, 0, 0);

      /* Deterministic. */
      ck_assert_str_eq (c->text, d->text);
      ck_assert_str_eq (c->context ? c->context : "", d->context ? d->context : "");
      ck_assert_uint_eq (c->line_start, d->line_start);

      /* The budget, except a chunk of one word. */
      for (guint k = 0; split[k] != NULL; k++)
        if (split[k][0] != '\0')
          g_ptr_array_add (words, g_strdup (split[k]));
      ck_assert_msg (c->n_tokens <= params->max_tokens || words->len == 1, "chunk %u: %u tokens", i, c->n_tokens);

      /* The cited lines (of its one page) hold its text. */
      if (page_lines != NULL)
        {
          char **lines = page_lines[c->page > 0 ? c->page - 1 : 0];
          g_autofree char *cited = strip_markup (lines_of (lines, g_strv_length (lines), c->line_start, c->line_end));
          g_autoptr(GPtrArray) cw = words_of (c->text);
          const char *missing = NULL;

          ck_assert_msg (contains_in_order (cited, cw, &missing), "chunk %u (page %u lines %u-%u): '%s' not in\n%s",
                         i, c->page, c->line_start, c->line_end, missing, cited);
        }

      /* Overlap: within a page and a section, the next chunk starts with
       * words this one ends with. */
      if (i + 1 < chunks->len)
        {
          HearthDocChunk *n = g_ptr_array_index (chunks, i + 1);

          if (n->page == c->page && g_strcmp0 (n->context, c->context) == 0)
            {
              g_auto(GStrv) nw = g_regex_split_simple ("\\s+", n->text, 0, 0);
              gboolean shared = FALSE;

              /* Some suffix of this chunk is a prefix of the next. */
              for (guint k = 0; k < words->len && !shared; k++)
                {
                  guint m = 0;

                  while (k + m < words->len && nw[m] != NULL && strcmp (g_ptr_array_index (words, k + m), nw[m]) == 0)
                    m++;
                  shared = k + m == words->len && m > 0;
                }
              if (shared)
                (*n_overlaps)++;
            }
        }
    }
  return chunks;
}

START_TEST (chunk_markdown)
{
  g_autoptr(HearthDocText) text = extract ("doc.md");
  g_autofree char *path = corpus_path ("doc.md");
  g_autofree char *source = NULL;
  g_auto(GStrv) lines = NULL;
  char **pages[1];
  HearthDocChunkParams params;
  g_autoptr(GPtrArray) chunks = NULL;
  guint overlaps = 0, same_section = 0;
  gboolean found = FALSE;

  g_file_get_contents (path, &source, NULL, NULL);
  lines = g_strsplit (source, "\n", -1);
  pages[0] = lines;
  hearth_doc_chunk_params_init (&params);
  ck_assert_uint_eq (params.max_tokens, 256);
  ck_assert_uint_eq (params.overlap, 32);
  params.max_tokens = 30;
  params.overlap = 6;
  chunks = check_chunks (text, &params, pages, &overlaps);
  for (guint i = 0; i < chunks->len; i++)
    {
      HearthDocChunk *c = g_ptr_array_index (chunks, i);

      /* No count function: words. */
      ck_assert_uint_eq (c->n_tokens, count_words_plain (c->text));
      /* Headings are context, never text. */
      ck_assert_ptr_null (strstr (c->text, "Choosing the wood"));
      if (strstr (c->text, "Weigh a split log") != NULL)
        {
          ck_assert_str_eq (c->context, "Keeping a Hearth > Choosing the wood > A simple test");
          found = TRUE;
        }
      if (strstr (c->text, "never leave") != NULL)
        ck_assert_str_eq (c->context, "Keeping a Hearth > Safety");
      if (i + 1 < chunks->len &&
          g_strcmp0 (c->context, ((HearthDocChunk *) g_ptr_array_index (chunks, i + 1))->context) == 0)
        same_section++;
    }
  ck_assert (found);
  printf ("doc.md at 30/6: %u chunks, %u of %u consecutive pairs in one section overlap\n", chunks->len, overlaps,
          same_section);
  ck_assert_uint_eq (overlaps, same_section);
}
END_TEST

START_TEST (chunk_pdf)
{
  g_autoptr(HearthDocText) text = extract ("doc.pdf");
  g_autoptr(GPtrArray) pages = pdf_pages ("doc.pdf");
  HearthDocChunkParams params;
  g_autoptr(GPtrArray) chunks = NULL;
  guint overlaps = 0, calls = 0;
  guint pages_seen = 0, last_page = 0;

  hearth_doc_chunk_params_init (&params);
  params.max_tokens = 48;
  params.overlap = 8;
  params.count = count_chars4;
  params.count_data = &calls;
  chunks = check_chunks (text, &params, (char ***) pages->pdata, &overlaps);
  ck_assert_uint_gt (calls, 0);
  for (guint i = 0; i < chunks->len; i++)
    {
      HearthDocChunk *c = g_ptr_array_index (chunks, i);
      guint dummy = 0;

      ck_assert_uint_ge (c->page, 1);
      ck_assert_uint_ge (c->page, last_page);
      pages_seen += c->page != last_page;
      last_page = c->page;
      ck_assert_uint_eq (c->n_tokens, count_chars4 (c->text, &dummy));
    }
  ck_assert_uint_eq (pages_seen, text->n_pages);
  printf ("doc.pdf at 48/8 (a 4-bytes tokenizer): %u chunks on %u pages, %u overlaps\n", chunks->len, pages_seen,
          overlaps);
  ck_assert_uint_gt (overlaps, 0);
}
END_TEST

START_TEST (chunk_long_paragraph)
{
  g_autoptr(HearthDocText) text = g_new0 (HearthDocText, 1);
  HearthDocBlock *heading = g_new0 (HearthDocBlock, 1);
  HearthDocBlock *para = g_new0 (HearthDocBlock, 1);
  HearthDocBlock *word = g_new0 (HearthDocBlock, 1);
  GString *s = g_string_new (NULL);
  HearthDocChunkParams params;
  g_autoptr(GPtrArray) chunks = NULL;
  guint overlaps = 0, covered = 0, calls = 0;

  for (guint i = 0; i < 400; i++)
    g_string_append_printf (s, "w%u%s ", i, i % 13 == 12 ? "." : "");
  text->format = HEARTH_DOC_FORMAT_TEXT;
  text->blocks = g_ptr_array_new ();
  heading->kind = HEARTH_DOC_BLOCK_HEADING;
  heading->level = 2;
  heading->text = g_strdup ("Long");
  heading->line_start = heading->line_end = 1;
  para->kind = HEARTH_DOC_BLOCK_PARAGRAPH;
  para->text = g_strstrip (g_string_free (s, FALSE));
  para->line_start = 3;
  para->line_end = 40;
  word->kind = HEARTH_DOC_BLOCK_PARAGRAPH;
  word->text = g_strnfill (300, 'x');
  word->line_start = word->line_end = 42;
  g_ptr_array_add (text->blocks, heading);
  g_ptr_array_add (text->blocks, para);
  g_ptr_array_add (text->blocks, word);

  hearth_doc_chunk_params_init (&params);
  params.max_tokens = 50;
  params.overlap = 10;
  /* 4 bytes a token: the 300-byte word is 75 tokens, over the budget. */
  params.count = count_chars4;
  params.count_data = &calls;
  chunks = check_chunks (text, &params, NULL, &overlaps);
  for (guint i = 0; i < chunks->len; i++)
    {
      HearthDocChunk *c = g_ptr_array_index (chunks, i);

      ck_assert_str_eq (c->context, "Long");
      if (c->line_start == 3)
        {
          ck_assert_uint_eq (c->line_end, 40);
          /* Cut at sentence ends (the paragraph's last words have none). */
          ck_assert (g_str_has_suffix (c->text, ".") || g_str_has_suffix (c->text, "w399"));
          covered++;
        }
    }
  /* The one word longer than the budget... still one chunk. */
  ck_assert_str_eq (((HearthDocChunk *) g_ptr_array_index (chunks, chunks->len - 1))->text, word->text);
  ck_assert_uint_ge (covered, 8);
  ck_assert_uint_ge (overlaps, covered - 1);
  printf ("a 400-word paragraph at 50/10: %u chunks, %u overlaps\n", chunks->len, overlaps);

  /* Every word of the paragraph is in some chunk, in order. */
  {
    guint next = 0;

    for (guint i = 0; i < chunks->len; i++)
      {
        g_auto(GStrv) w = g_strsplit (((HearthDocChunk *) g_ptr_array_index (chunks, i))->text, " ", -1);

        for (guint k = 0; w[k] != NULL; k++)
          {
            g_autofree char *want = g_strdup_printf ("w%u", next);

            if (g_str_has_prefix (w[k], want) && (w[k][strlen (want)] == '\0' || w[k][strlen (want)] == '.'))
              next++;
          }
      }
    ck_assert_uint_eq (next, 400);
  }
}
END_TEST

static Suite *
doc_suite (void)
{
  Suite *s = suite_create ("documents");
  TCase *words = tcase_create ("words");
  TCase *positions = tcase_create ("positions");
  TCase *errs = tcase_create ("errors");
  TCase *chunk = tcase_create ("chunk");

  tcase_add_test (words, words_text);
  tcase_add_test (words, words_markdown);
  tcase_add_test (words, words_html);
  tcase_add_test (words, words_docx);
  tcase_add_test (words, words_odt);
  tcase_add_test (words, words_epub);
  tcase_add_test (words, words_pdf);
  tcase_set_timeout (words, 60);
  suite_add_tcase (s, words);

  tcase_add_test (positions, positions_text);
  tcase_add_test (positions, positions_markdown);
  tcase_add_test (positions, positions_html);
  tcase_add_test (positions, positions_pdf);
  tcase_add_test (positions, paragraphs_docx);
  tcase_add_test (positions, paragraphs_odt);
  tcase_add_test (positions, paragraphs_epub);
  tcase_set_timeout (positions, 60);
  suite_add_tcase (s, positions);

  tcase_add_test (errs, errors);
  tcase_add_test (errs, errors_bytes);
  tcase_add_test (errs, mutations);
  tcase_add_test (errs, formats);
  tcase_add_test (errs, encodings);
  tcase_add_test (errs, blank_blocks);
  tcase_set_timeout (errs, 60);
  suite_add_tcase (s, errs);

  tcase_add_test (chunk, chunk_markdown);
  tcase_add_test (chunk, chunk_pdf);
  tcase_add_test (chunk, chunk_long_paragraph);
  tcase_set_timeout (chunk, 60);
  suite_add_tcase (s, chunk);
  return s;
}

int
main (void)
{
  const char *script = g_getenv ("HEARTH_DOC_CORPUS_SCRIPT");
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status = 0, result;

  if (script == NULL)
    {
      fprintf (stderr, "HEARTH_DOC_CORPUS_SCRIPT is not set (meson test sets it)\n");
      return 1;
    }
  corpus = g_dir_make_tmp ("hearth-doc-XXXXXX", &error);
  if (corpus == NULL ||
      !g_spawn_sync (NULL, (char *[]) { (char *) script, corpus, NULL }, NULL, 0, NULL, NULL, &out, &err, &status,
                     &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      fprintf (stderr, "building the corpus failed: %s\n%s\n", error ? error->message : "", err ? err : "");
      return 1;
    }
  result = hearth_test_run (doc_suite ());
  hearth_test_rm_rf (corpus);
  g_free (corpus);
  return result;
}
