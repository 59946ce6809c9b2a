/* hearth-doc-html.c: the visible text of HTML (and EPUB's XHTML), with source lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libxml2's HTML parser (HTML_PARSE_RECOVER, no network, no error output)
 * builds the tree; a walk turns block elements into blocks: h1-h6 headings
 * with their level, <pre> as PREFORMATTED with its white space, each table
 * row as its cells joined by " | ", every other run of inline text between
 * block boundaries (p, li, div, blockquote, ...) as a paragraph. script,
 * style, head, template, noscript and the like are not visible and are
 * skipped; the <title> is the document's title.
 *
 * Lines: libxml2 gives a text node the line where the parser was when it
 * created the node, that is at the end of the text's first chunk (it
 * hands text over in chunks of about 1000 bytes and at each entity), not
 * where the text starts. So the parser's characters callback is wrapped:
 * at every chunk the input's current line is the chunk's last line, and
 * counting the chunk's newlines back gives the lines of its first and last
 * non-blank characters, kept per text node (in the node's unused psvi
 * field, as an index). A block cites the first and last such lines of its
 * text. Lines past 65535 are exact too (this does not use xmlGetLineNo).
 *
 * Threading: reentrant; the SAX handler changed is the parser context's
 * own copy.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

typedef struct
{
  guint first; /* line of the first non-blank character, 0: none yet */
  guint last;
} TextLines;

typedef struct
{
  GArray          *records;  /* of TextLines; node->psvi = index + 1 */
  charactersSAXFunc characters;
} ParseState;

/* The text lines records outlive the parse: they travel with the document
 * in its _private field and are freed with it by hearth_doc_html_free. */

static void
note_chunk (xmlParserCtxt *ctxt,
            const xmlChar *ch,
            int            len)
{
  ParseState *state = ctxt->_private;
  xmlNode *node;
  guint newlines = 0, first_nl = 0, last_nl = 0;
  gboolean seen = FALSE;
  guint end_line;
  TextLines *rec;

  if (ctxt->node == NULL || ctxt->node->last == NULL || ctxt->input == NULL)
    return;
  node = ctxt->node->last;
  if (node->type != XML_TEXT_NODE && node->type != XML_CDATA_SECTION_NODE)
    return;

  for (int i = 0; i < len; i++)
    {
      if (ch[i] == '\n')
        newlines++;
      else if (ch[i] > ' ')
        {
          if (!seen)
            first_nl = newlines;
          seen = TRUE;
          last_nl = newlines;
        }
    }
  if (!seen)
    return;

  end_line = ctxt->input->line > 0 ? (guint) ctxt->input->line : 1;
  if (node->psvi == NULL)
    {
      TextLines r = { 0, 0 };

      g_array_append_val (state->records, r);
      node->psvi = GUINT_TO_POINTER (state->records->len);
    }
  rec = &g_array_index (state->records, TextLines, GPOINTER_TO_UINT (node->psvi) - 1);
  if (rec->first == 0)
    rec->first = MAX (end_line - newlines + first_nl, 1);
  rec->last = MAX (end_line - newlines + last_nl, 1);
}

static void
characters_cb (void          *user_data,
               const xmlChar *ch,
               int            len)
{
  xmlParserCtxt *ctxt = user_data;
  ParseState *state = ctxt->_private;

  state->characters (user_data, ch, len);
  note_chunk (ctxt, ch, len);
}

static void
records_free (xmlDoc *doc)
{
  if (doc != NULL && doc->_private != NULL)
    g_array_unref (doc->_private);
}

xmlDoc *
hearth_doc_html_parse (const char *data,
                       gsize       size)
{
  htmlParserCtxt *ctxt;
  ParseState state;
  xmlDoc *doc;

  hearth_doc_xml_init ();
  if (size > G_MAXINT)
    return NULL;
  ctxt = htmlCreateMemoryParserCtxt (size > 0 ? data : "", (int) size);
  if (ctxt == NULL)
    return NULL;
  htmlCtxtUseOptions (ctxt, HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_RECOVER);
  state.records = g_array_new (FALSE, FALSE, sizeof (TextLines));
  state.characters = ctxt->sax->characters != NULL ? ctxt->sax->characters : xmlSAX2Characters;
  ctxt->sax->characters = characters_cb;
  ctxt->sax->cdataBlock = NULL;
  ctxt->_private = &state;
  htmlParseDocument (ctxt);
  doc = ctxt->myDoc;
  ctxt->myDoc = NULL;
  ctxt->_private = NULL;
  htmlFreeParserCtxt (ctxt);
  if (doc == NULL)
    {
      g_array_unref (state.records);
      return NULL;
    }
  doc->_private = state.records;
  return doc;
}

static void
html_doc_free (xmlDoc *doc)
{
  records_free (doc);
  xmlFreeDoc (doc);
}

/* The walk --------------------------------------------------------------- */

typedef struct
{
  HearthDocText *text;
  GArray        *records;
  guint         *paragraphs;
  GString       *acc;     /* the inline text of the block being built */
  guint          first;   /* its lines, 0: none yet */
  guint          last;
  int            collect; /* > 0 inside a heading, cell or pre: no block boundaries */
} Walk;

static gboolean
name_is (const xmlNode *node,
         const char    *name)
{
  return node->name != NULL && g_ascii_strcasecmp ((const char *) node->name, name) == 0;
}

static gboolean
name_in (const xmlNode      *node,
         const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (name_is (node, names[i]))
      return TRUE;
  return FALSE;
}

static const char * const hidden[] = {
  "script", "style", "head", "template", "noscript", "iframe", "object", "svg", "math", "select", NULL
};
static const char * const blocks[] = {
  "p", "div", "li", "dd", "dt", "dl", "ul", "ol", "blockquote", "section", "article", "header", "footer",
  "nav", "aside", "main", "figure", "figcaption", "address", "table", "thead", "tbody", "tfoot", "form",
  "fieldset", "legend", "details", "summary", "hr", "center", "caption", "body", "html", "hgroup", "menu",
  "dir", "frameset", "noframes", NULL
};

static void
note_lines (Walk    *w,
            xmlNode *node)
{
  const TextLines *rec;

  if (node->psvi == NULL || w->records == NULL)
    return;
  rec = &g_array_index (w->records, TextLines, GPOINTER_TO_UINT (node->psvi) - 1);
  if (w->first == 0 || rec->first < w->first)
    w->first = rec->first;
  w->last = MAX (w->last, rec->last);
}

static void
emit (Walk               *w,
      HearthDocBlockKind  kind,
      guint               level,
      char               *block_text,
      guint               first,
      guint               last)
{
  if (w->paragraphs != NULL)
    {
      if (hearth_doc_text_add (w->text, kind, level, block_text, 0, *w->paragraphs + 1, *w->paragraphs + 1))
        (*w->paragraphs)++;
    }
  else
    hearth_doc_text_add (w->text, kind, level, block_text, 0, first, last);
}

static void
flush (Walk *w)
{
  if (w->acc->len > 0)
    emit (w, HEARTH_DOC_BLOCK_PARAGRAPH, 0, hearth_doc_normalize_space (g_strdup (w->acc->str)), w->first, w->last);
  g_string_truncate (w->acc, 0);
  w->first = w->last = 0;
}

static void walk_children (Walk *w, xmlNode *node);

/* The text of @node's children, with the lines it comes from. */
static char *
collect (Walk    *w,
         xmlNode *node,
         guint   *first,
         guint   *last)
{
  GString *saved = w->acc;
  guint saved_first = w->first, saved_last = w->last;
  char *out;

  w->acc = g_string_new (NULL);
  w->first = w->last = 0;
  w->collect++;
  walk_children (w, node);
  w->collect--;
  out = g_string_free (w->acc, FALSE);
  *first = w->first;
  *last = w->last;
  w->acc = saved;
  w->first = saved_first;
  w->last = saved_last;
  return out;
}

static void
walk_row (Walk    *w,
          xmlNode *tr)
{
  HearthDocRow row;
  guint first = 0, last = 0;

  hearth_doc_row_init (&row);
  for (xmlNode *cell = tr->children; cell != NULL; cell = cell->next)
    {
      guint f, l;

      if (cell->type != XML_ELEMENT_NODE || !(name_is (cell, "td") || name_is (cell, "th")))
        continue;
      hearth_doc_row_add_cell (&row, collect (w, cell, &f, &l));
      if (f != 0 && (first == 0 || f < first))
        first = f;
      last = MAX (last, l);
    }
  emit (w, HEARTH_DOC_BLOCK_TABLE_ROW, 0, hearth_doc_row_finish (&row), first, last);
}

static void
walk_node (Walk    *w,
           xmlNode *node)
{
  switch (node->type)
    {
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
      if (node->content != NULL)
        {
          g_string_append (w->acc, (const char *) node->content);
          note_lines (w, node);
        }
      return;
    case XML_ELEMENT_NODE:
      break;
    default:
      return;
    }

  if (name_in (node, hidden) || name_is (node, "title"))
    return;

  if (name_is (node, "br"))
    {
      g_string_append_c (w->acc, '\n');
      return;
    }
  if (w->collect > 0)
    {
      /* Inside a heading or cell, a block boundary is a space. */
      if (name_in (node, blocks) || name_is (node, "tr"))
        g_string_append_c (w->acc, ' ');
      walk_children (w, node);
      if (name_in (node, blocks) || name_is (node, "tr") || name_is (node, "td") || name_is (node, "th"))
        g_string_append_c (w->acc, ' ');
      return;
    }

  if (node->name != NULL && strlen ((const char *) node->name) == 2 &&
      g_ascii_tolower (node->name[0]) == 'h' && node->name[1] >= '1' && node->name[1] <= '6')
    {
      guint first, last;
      char *t;

      flush (w);
      t = hearth_doc_normalize_space (collect (w, node, &first, &last));
      emit (w, HEARTH_DOC_BLOCK_HEADING, node->name[1] - '0', t, first, last);
      return;
    }
  if (name_is (node, "pre"))
    {
      guint first, last;
      char *t, *start;
      gsize len;

      flush (w);
      t = collect (w, node, &first, &last);
      /* The first newline after <pre> is markup, as are trailing blank lines. */
      start = t;
      while (*start == '\n' || *start == '\r')
        start++;
      len = strlen (start);
      while (len > 0 && g_ascii_isspace (start[len - 1]))
        len--;
      emit (w, HEARTH_DOC_BLOCK_PREFORMATTED, 0, g_strndup (start, len), first, last);
      g_free (t);
      return;
    }
  if (name_is (node, "tr"))
    {
      flush (w);
      walk_row (w, node);
      return;
    }
  if (name_in (node, blocks))
    {
      flush (w);
      walk_children (w, node);
      flush (w);
      return;
    }
  walk_children (w, node);
}

static void
walk_children (Walk    *w,
               xmlNode *node)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    walk_node (w, child);
}

static xmlNode *
find_element (xmlNode    *node,
              const char *name,
              guint       depth)
{
  for (; node != NULL && depth < 8; node = node->next)
    {
      xmlNode *found;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      if (name_is (node, name))
        return node;
      if (name_is (node, "body"))
        continue;
      if ((found = find_element (node->children, name, depth + 1)) != NULL)
        return found;
    }
  return NULL;
}

void
hearth_doc_html_walk (xmlDoc        *doc,
                      HearthDocText *text,
                      guint         *paragraphs)
{
  Walk w = { text, doc->_private, paragraphs, g_string_new (NULL), 0, 0, 0 };
  xmlNode *title;

  if (text->title == NULL && (title = find_element (doc->children, "title", 0)) != NULL)
    {
      xmlChar *content = xmlNodeGetContent (title);
      char *t = hearth_doc_normalize_space (g_strdup ((const char *) content));

      xmlFree (content);
      if (*t != '\0')
        text->title = t;
      else
        g_free (t);
    }

  for (xmlNode *node = doc->children; node != NULL; node = node->next)
    walk_node (&w, node);
  flush (&w);
  g_string_free (w.acc, TRUE);
}

HearthDocText *
hearth_doc_extract_html (GBytes        *bytes,
                         GCancellable  *cancellable,
                         GError       **error)
{
  HearthDocText *text;
  xmlDoc *doc;

  doc = hearth_doc_html_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (doc == NULL)
    {
      /* Recovering, the parser gives up only on input that is no HTML at all. */
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                           _("The document is damaged: it could not be read as HTML."));
      return NULL;
    }
  if (hearth_doc_check_cancelled (cancellable, error))
    {
      html_doc_free (doc);
      return NULL;
    }
  text = hearth_doc_text_new (HEARTH_DOC_FORMAT_HTML);
  hearth_doc_html_walk (doc, text, NULL);
  html_doc_free (doc);
  return text;
}

void
hearth_doc_html_free (xmlDoc *doc)
{
  html_doc_free (doc);
}
