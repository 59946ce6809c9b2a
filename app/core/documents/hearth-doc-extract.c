/* hearth-doc-extract.c: format detection, dispatch to the readers, limits, errors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The format comes from the file name alone (no read): a file is indexed
 * by what its name says it is, and a zip container that is not what its
 * name says (its mimetype entry or content types disagree) is refused by
 * its reader as CORRUPT. The whole file is read into memory once, after
 * its size is checked against HEARTH_DOC_MAX_FILE_BYTES; the readers work
 * on those bytes and never touch the disk.
 *
 * Written here rather than taken from a library: no Debian 12 library
 * extracts positioned text from all of these formats without temporary
 * files or subprocesses, and the positions are what citations need.
 *
 * Threading: reentrant; libxml2's one-time initialisation is guarded.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

G_DEFINE_QUARK (hearth-doc-error-quark, hearth_doc_error)

static const struct
{
  const char      *suffix;
  HearthDocFormat  format;
} suffixes[] = {
  { ".txt", HEARTH_DOC_FORMAT_TEXT },
  { ".text", HEARTH_DOC_FORMAT_TEXT },
  { ".md", HEARTH_DOC_FORMAT_MARKDOWN },
  { ".markdown", HEARTH_DOC_FORMAT_MARKDOWN },
  { ".mkd", HEARTH_DOC_FORMAT_MARKDOWN },
  { ".html", HEARTH_DOC_FORMAT_HTML },
  { ".htm", HEARTH_DOC_FORMAT_HTML },
  { ".xhtml", HEARTH_DOC_FORMAT_HTML },
  { ".pdf", HEARTH_DOC_FORMAT_PDF },
  { ".docx", HEARTH_DOC_FORMAT_DOCX },
  { ".odt", HEARTH_DOC_FORMAT_ODT },
  { ".epub", HEARTH_DOC_FORMAT_EPUB },
};

gboolean
hearth_doc_format_from_path (const char      *path,
                             HearthDocFormat *format)
{
  g_autofree char *base = NULL;
  g_autofree char *lower = NULL;

  g_return_val_if_fail (path != NULL, FALSE);

  base = g_path_get_basename (path);
  lower = g_ascii_strdown (base, -1);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      if (g_str_has_suffix (lower, suffixes[i].suffix) && strlen (lower) > strlen (suffixes[i].suffix))
        {
          if (format != NULL)
            *format = suffixes[i].format;
          return TRUE;
        }
    }
  return FALSE;
}

const char *
hearth_doc_format_to_string (HearthDocFormat format)
{
  switch (format)
    {
    case HEARTH_DOC_FORMAT_TEXT: return "text";
    case HEARTH_DOC_FORMAT_MARKDOWN: return "markdown";
    case HEARTH_DOC_FORMAT_HTML: return "html";
    case HEARTH_DOC_FORMAT_PDF: return "pdf";
    case HEARTH_DOC_FORMAT_DOCX: return "docx";
    case HEARTH_DOC_FORMAT_ODT: return "odt";
    case HEARTH_DOC_FORMAT_EPUB: return "epub";
    default: return "unknown";
    }
}

HearthDocText *
hearth_doc_text_new (HearthDocFormat format)
{
  HearthDocText *text = g_new0 (HearthDocText, 1);

  text->format = format;
  text->blocks = g_ptr_array_new_with_free_func (NULL);
  return text;
}

static void
block_free (HearthDocBlock *block)
{
  g_free (block->text);
  g_free (block);
}

void
hearth_doc_text_free (HearthDocText *text)
{
  if (text == NULL)
    return;
  for (guint i = 0; i < text->blocks->len; i++)
    block_free (g_ptr_array_index (text->blocks, i));
  g_ptr_array_unref (text->blocks);
  g_free (text->title);
  g_free (text);
}

gboolean
hearth_doc_text_add (HearthDocText      *text,
                     HearthDocBlockKind  kind,
                     guint               level,
                     char               *block_text,
                     guint               page,
                     guint               line_start,
                     guint               line_end)
{
  HearthDocBlock *block;
  const char *p;

  /* A block of white space alone is no block, Unicode spaces included (a
   * paragraph of one no-break space is how converters keep a blank line):
   * it is neither kept nor counted among the paragraphs. */
  for (p = block_text; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2 || !g_unichar_isspace (c))
        break;
    }
  if (p == NULL || *p == '\0')
    {
      g_free (block_text);
      return FALSE;
    }

  /* Every block is UTF-8 (hearth-doc-extract.h): a reader may pass on
   * bytes a damaged file declares wrongly (HTML that says UTF-8 and is
   * not); each invalid sequence becomes U+FFFD. */
  if (!g_utf8_validate (block_text, -1, NULL))
    {
      char *valid = g_utf8_make_valid (block_text, -1);

      g_free (block_text);
      block_text = valid;
    }
  block = g_new0 (HearthDocBlock, 1);
  block->kind = kind;
  block->level = kind == HEARTH_DOC_BLOCK_HEADING ? CLAMP (level, 1, 6) : 0;
  block->text = block_text;
  block->page = page;
  block->line_start = MAX (line_start, 1);
  block->line_end = MAX (line_end, block->line_start);
  g_ptr_array_add (text->blocks, block);
  return TRUE;
}

char *
hearth_doc_normalize_space (char *s)
{
  char *w = s;
  gboolean space = FALSE;

  /* Byte-wise: ASCII white space and C0 controls never occur inside a
   * UTF-8 sequence. No-break spaces stay (they are text). */
  for (const char *r = s; *r != '\0'; r++)
    {
      if ((guchar) *r <= 0x20 || *r == 0x7f)
        {
          space = w != s;
          continue;
        }
      if (space)
        *w++ = ' ';
      space = FALSE;
      *w++ = *r;
    }
  *w = '\0';
  return s;
}

void
hearth_doc_row_init (HearthDocRow *row)
{
  row->text = g_string_new (NULL);
  row->n_cells = 0;
  row->any = FALSE;
}

void
hearth_doc_row_add_cell (HearthDocRow *row,
                         char         *cell)
{
  hearth_doc_normalize_space (cell);
  if (row->n_cells++ > 0)
    g_string_append (row->text, " | ");
  g_string_append (row->text, cell);
  row->any |= cell[0] != '\0';
  g_free (cell);
}

char *
hearth_doc_row_finish (HearthDocRow *row)
{
  if (!row->any)
    g_string_truncate (row->text, 0);
  return g_string_free (g_steal_pointer (&row->text), FALSE);
}

gboolean
hearth_doc_xml_is (const xmlNode *node,
                   const char    *ns,
                   const char    *name)
{
  return node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, name) == 0 &&
         (ns == NULL || (node->ns != NULL && strcmp ((const char *) node->ns->href, ns) == 0));
}

char *
hearth_doc_xml_prop (xmlNode    *node,
                     const char *ns,
                     const char *name)
{
  xmlChar *v = ns != NULL ? xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) ns)
                          : xmlGetNoNsProp (node, (const xmlChar *) name);
  char *out = v != NULL ? g_strdup ((const char *) v) : NULL;

  xmlFree (v);
  return out;
}

gboolean
hearth_doc_check_cancelled (GCancellable *cancellable,
                            GError      **error)
{
  if (!g_cancellable_is_cancelled (cancellable))
    return FALSE;
  g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CANCELLED, _("Reading the document was cancelled."));
  return TRUE;
}

void
hearth_doc_xml_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      xmlInitParser ();
      g_once_init_leave (&done, 1);
    }
}

xmlDoc *
hearth_doc_xml_parse (const char  *data,
                      gsize        size,
                      const char  *what,
                      GError     **error)
{
  xmlDoc *doc;

  hearth_doc_xml_init ();
  if (size > G_MAXINT)
    {
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_TOO_LARGE, _("The document’s %s is too large."), what);
      return NULL;
    }
  /* No NOENT: entities are not expanded (no entity bombs), no DTD is
   * loaded, nothing is fetched. */
  doc = xmlReadMemory (data, (int) size, NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                       XML_PARSE_BIG_LINES);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                   _("The document is damaged: its %s is not valid XML."), what);
    }
  return doc;
}

HearthDocText *
hearth_doc_extract_bytes (GBytes          *bytes,
                          HearthDocFormat  format,
                          GCancellable    *cancellable,
                          GError         **error)
{
  HearthDocText *text = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);

  if (g_bytes_get_size (bytes) > HEARTH_DOC_MAX_FILE_BYTES)
    {
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_TOO_LARGE,
                   _("The document is larger than %u MiB, the most Hearth reads."),
                   (guint) (HEARTH_DOC_MAX_FILE_BYTES / (1024 * 1024)));
      return NULL;
    }
  if (hearth_doc_check_cancelled (cancellable, error))
    return NULL;

  switch (format)
    {
    case HEARTH_DOC_FORMAT_TEXT:
    case HEARTH_DOC_FORMAT_MARKDOWN:
      text = hearth_doc_extract_plain (bytes, format, cancellable, error);
      break;
    case HEARTH_DOC_FORMAT_HTML:
      text = hearth_doc_extract_html (bytes, cancellable, error);
      break;
    case HEARTH_DOC_FORMAT_PDF:
      text = hearth_doc_extract_pdf (bytes, cancellable, error);
      break;
    case HEARTH_DOC_FORMAT_DOCX:
      text = hearth_doc_extract_docx (bytes, cancellable, error);
      break;
    case HEARTH_DOC_FORMAT_ODT:
      text = hearth_doc_extract_odt (bytes, cancellable, error);
      break;
    case HEARTH_DOC_FORMAT_EPUB:
      text = hearth_doc_extract_epub (bytes, cancellable, error);
      break;
    default:
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_UNSUPPORTED,
                           _("Hearth cannot read documents of this type."));
      return NULL;
    }

  if (text != NULL && text->blocks->len == 0)
    {
      hearth_doc_text_free (text);
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_EMPTY,
                           format == HEARTH_DOC_FORMAT_PDF
                             ? _("The document holds no text (it may be a scanned image).")
                             : _("The document holds no text."));
      return NULL;
    }
  /* The title too is UTF-8, whatever the file declared. */
  if (text != NULL && text->title != NULL && !g_utf8_validate (text->title, -1, NULL))
    {
      char *valid = g_utf8_make_valid (text->title, -1);

      g_free (text->title);
      text->title = valid;
    }
  return text;
}

HearthDocText *
hearth_doc_extract_file (const char    *path,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local = NULL;
  HearthDocFormat format;

  g_return_val_if_fail (path != NULL, NULL);

  if (!hearth_doc_format_from_path (path, &format))
    {
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_UNSUPPORTED,
                           _("Hearth cannot read documents of this type."));
      return NULL;
    }

  file = g_file_new_for_path (path);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local);
  if (info != NULL && g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_IO, _("The document is not a regular file."));
      return NULL;
    }
  if (info != NULL && g_file_info_get_size (info) > HEARTH_DOC_MAX_FILE_BYTES)
    {
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_TOO_LARGE,
                   _("The document is larger than %u MiB, the most Hearth reads."),
                   (guint) (HEARTH_DOC_MAX_FILE_BYTES / (1024 * 1024)));
      return NULL;
    }
  if (info != NULL)
    bytes = g_file_load_bytes (file, cancellable, NULL, &local);
  if (bytes == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CANCELLED,
                             _("Reading the document was cancelled."));
      else
        /* The GIO message names the file: the caller shows it, nothing logs it. */
        g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_IO, _("The document could not be read: %s"),
                     local->message);
      return NULL;
    }
  return hearth_doc_extract_bytes (bytes, format, cancellable, error);
}
