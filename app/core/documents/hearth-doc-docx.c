/* hearth-doc-docx.c: Word documents (Office Open XML), paragraph by paragraph
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * word/document.xml's body, in order: each w:p is a paragraph (its runs'
 * w:t, w:tab as a tab, w:br/w:cr as a line break; deleted text, field
 * instructions and footnote marks are not text), a heading where its style
 * is a heading (the style's id Heading1..6 or Title, or its name in
 * word/styles.xml "heading 1".."heading 6"/"Title", which covers Word's
 * localised style ids, or an outline level in its properties), a
 * preformatted block where its style is pandoc's or Word's code style;
 * each w:tr of a table is one row of its cells' text joined by " | ".
 * Positions are paragraph numbers: the n-th emitted block (paragraph,
 * heading, row) is n. The title is docProps/core.xml's dc:title.
 *
 * A hand-written walk of libxml2's tree: the XML is small next to the
 * limits, and the tree makes table rows and nested content simple.
 *
 * Threading: reentrant.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

typedef struct
{
  HearthDocText *text;
  GHashTable    *heading_styles; /* style id -> level (0 for code styles: -1 stored as G_MAXUINT) */
  guint          n;
} Docx;

static gboolean
is_w (const xmlNode *node,
      const char    *name)
{
  return hearth_doc_xml_is (node, W_NS, name);
}

static char *
w_attr (xmlNode    *node,
        const char *name)
{
  return hearth_doc_xml_prop (node, W_NS, name);
}

static xmlNode *
child (xmlNode    *node,
       const char *name)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (is_w (c, name))
      return c;
  return NULL;
}

/* The runs' text of a paragraph (or of anything holding paragraphs). */
static void
append_text (GString *out,
             xmlNode *node)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is_w (c, "t"))
        {
          xmlChar *t = xmlNodeGetContent (c);

          g_string_append (out, (const char *) t);
          xmlFree (t);
        }
      else if (is_w (c, "tab") || is_w (c, "ptab"))
        g_string_append_c (out, '\t');
      else if (is_w (c, "br") || is_w (c, "cr"))
        g_string_append_c (out, '\n');
      else if (is_w (c, "noBreakHyphen"))
        g_string_append (out, "\xe2\x80\x91");
      else if (is_w (c, "del") || is_w (c, "instrText") || is_w (c, "delText") || is_w (c, "pPr") ||
               is_w (c, "rPr") || is_w (c, "footnoteReference") || is_w (c, "endnoteReference") ||
               is_w (c, "commentReference"))
        continue;
      else if (is_w (c, "p"))
        {
          if (out->len > 0)
            g_string_append_c (out, ' ');
          append_text (out, c);
          g_string_append_c (out, ' ');
        }
      else if (is_w (c, "tc"))
        {
          append_text (out, c);
          g_string_append_c (out, ' ');
        }
      else
        append_text (out, c);  /* runs, hyperlinks, insertions, content controls, smart tags */
    }
}

static void
emit (Docx               *d,
      HearthDocBlockKind  kind,
      guint               level,
      char               *t)
{
  if (hearth_doc_text_add (d->text, kind, level, t, 0, d->n + 1, d->n + 1))
    d->n++;
}

static void
walk_paragraph (Docx    *d,
                xmlNode *p)
{
  xmlNode *ppr = child (p, "pPr");
  GString *s = g_string_new (NULL);
  HearthDocBlockKind kind = HEARTH_DOC_BLOCK_PARAGRAPH;
  guint level = 0;

  if (ppr != NULL)
    {
      xmlNode *style = child (ppr, "pStyle");
      xmlNode *outline = child (ppr, "outlineLvl");

      if (style != NULL)
        {
          g_autofree char *id = w_attr (style, "val");
          gpointer v;

          if (id != NULL && d->heading_styles != NULL &&
              g_hash_table_lookup_extended (d->heading_styles, id, NULL, &v))
            {
              if (GPOINTER_TO_UINT (v) == G_MAXUINT)
                kind = HEARTH_DOC_BLOCK_PREFORMATTED;
              else
                {
                  kind = HEARTH_DOC_BLOCK_HEADING;
                  level = GPOINTER_TO_UINT (v);
                }
            }
          else if (id != NULL && g_ascii_strncasecmp (id, "heading", 7) == 0 && id[7] >= '1' && id[7] <= '6' &&
                   id[8] == '\0')
            {
              kind = HEARTH_DOC_BLOCK_HEADING;
              level = id[7] - '0';
            }
          else if (id != NULL && g_ascii_strcasecmp (id, "Title") == 0)
            {
              kind = HEARTH_DOC_BLOCK_HEADING;
              level = 1;
            }
          else if (id != NULL && (g_ascii_strcasecmp (id, "SourceCode") == 0 ||
                                  g_ascii_strcasecmp (id, "HTMLPreformatted") == 0))
            kind = HEARTH_DOC_BLOCK_PREFORMATTED;
        }
      if (kind == HEARTH_DOC_BLOCK_PARAGRAPH && outline != NULL)
        {
          g_autofree char *v = w_attr (outline, "val");

          if (v != NULL && v[0] >= '0' && v[0] <= '5' && v[1] == '\0')
            {
              kind = HEARTH_DOC_BLOCK_HEADING;
              level = v[0] - '0' + 1;
            }
        }
    }

  append_text (s, p);
  if (kind == HEARTH_DOC_BLOCK_PREFORMATTED)
    {
      while (s->len > 0 && g_ascii_isspace (s->str[s->len - 1]))
        g_string_truncate (s, s->len - 1);
      emit (d, kind, 0, g_string_free (s, FALSE));
    }
  else
    emit (d, kind, level, hearth_doc_normalize_space (g_string_free (s, FALSE)));
}

static void
add_cells (HearthDocRow *row,
           xmlNode      *node)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      GString *cell;

      /* Cells may sit inside content controls. */
      if (is_w (c, "sdt") || is_w (c, "sdtContent") || is_w (c, "customXml"))
        {
          add_cells (row, c);
          continue;
        }
      if (!is_w (c, "tc"))
        continue;
      cell = g_string_new (NULL);
      append_text (cell, c);
      hearth_doc_row_add_cell (row, g_string_free (cell, FALSE));
    }
}

static void
walk_row (Docx    *d,
          xmlNode *tr)
{
  HearthDocRow row;

  hearth_doc_row_init (&row);
  add_cells (&row, tr);
  emit (d, HEARTH_DOC_BLOCK_TABLE_ROW, 0, hearth_doc_row_finish (&row));
}

static void
walk_body (Docx    *d,
           xmlNode *node)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (is_w (c, "p"))
        walk_paragraph (d, c);
      else if (is_w (c, "tbl"))
        {
          for (xmlNode *r = c->children; r != NULL; r = r->next)
            if (is_w (r, "tr"))
              walk_row (d, r);
            else if (is_w (r, "sdt") || is_w (r, "customXml"))
              walk_body (d, r);
        }
      else if (is_w (c, "sdt") || is_w (c, "sdtContent") || is_w (c, "customXml") || is_w (c, "ins") ||
               is_w (c, "smartTag"))
        walk_body (d, c);
    }
}

/* Heading styles by name (word/styles.xml): id -> level, code styles G_MAXUINT. */
static GHashTable *
read_styles (GBytes *bytes)
{
  GHashTable *styles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  xmlDoc *doc;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  /* Styles are an aid: a broken styles part leaves the ids to decide. */
  doc = hearth_doc_xml_parse (data, size, "styles", NULL);
  if (doc == NULL)
    return styles;
  for (xmlNode *s = xmlDocGetRootElement (doc)->children; s != NULL; s = s->next)
    {
      xmlNode *name;
      g_autofree char *id = NULL;
      g_autofree char *n = NULL;
      g_autofree char *lower = NULL;

      if (!is_w (s, "style") || (name = child (s, "name")) == NULL)
        continue;
      id = w_attr (s, "styleId");
      n = w_attr (name, "val");
      if (id == NULL || n == NULL)
        continue;
      lower = g_ascii_strdown (n, -1);
      if (g_str_has_prefix (lower, "heading ") && lower[8] >= '1' && lower[8] <= '6' && lower[9] == '\0')
        g_hash_table_insert (styles, g_steal_pointer (&id), GUINT_TO_POINTER (lower[8] - '0'));
      else if (strcmp (lower, "title") == 0)
        g_hash_table_insert (styles, g_steal_pointer (&id), GUINT_TO_POINTER (1));
      else if (strcmp (lower, "source code") == 0 || strcmp (lower, "html preformatted") == 0)
        g_hash_table_insert (styles, g_steal_pointer (&id), GUINT_TO_POINTER (G_MAXUINT));
    }
  xmlFreeDoc (doc);
  return styles;
}

char *
hearth_doc_dc_title (GBytes *bytes)
{
  xmlDoc *doc;
  gsize size;
  const char *data;
  char *title = NULL;
  GQueue queue = G_QUEUE_INIT;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  doc = hearth_doc_xml_parse (data, size, "metadata", NULL);
  if (doc == NULL)
    return NULL;
  g_queue_push_tail (&queue, xmlDocGetRootElement (doc));
  while (title == NULL && !g_queue_is_empty (&queue))
    {
      xmlNode *node = g_queue_pop_head (&queue);

      for (xmlNode *c = node->children; c != NULL; c = c->next)
        {
          if (c->type != XML_ELEMENT_NODE)
            continue;
          if (strcmp ((const char *) c->name, "title") == 0 && c->ns != NULL &&
              strcmp ((const char *) c->ns->href, "http://purl.org/dc/elements/1.1/") == 0)
            {
              xmlChar *t = xmlNodeGetContent (c);

              title = hearth_doc_normalize_space (g_strdup ((const char *) t));
              xmlFree (t);
              if (*title == '\0')
                g_clear_pointer (&title, g_free);
              break;
            }
          g_queue_push_tail (&queue, c);
        }
    }
  g_queue_clear (&queue);
  xmlFreeDoc (doc);
  return title;
}

static gboolean
want_entry (const char *name,
            gpointer    user_data)
{
  return strcmp (name, "word/document.xml") == 0 || strcmp (name, "word/styles.xml") == 0 ||
         strcmp (name, "docProps/core.xml") == 0 || strcmp (name, "[Content_Types].xml") == 0;
}

HearthDocText *
hearth_doc_extract_docx (GBytes        *bytes,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GHashTable) entries = NULL;
  g_autoptr(GHashTable) styles = NULL;
  GBytes *document;
  xmlDoc *doc;
  xmlNode *body;
  HearthDocText *text;
  Docx d = { NULL, NULL, 0 };
  gsize size;
  const char *data;

  entries = hearth_doc_zip_read (bytes, want_entry, NULL, cancellable, error);
  if (entries == NULL)
    return NULL;
  document = g_hash_table_lookup (entries, "word/document.xml");
  if (document == NULL)
    {
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                           _("The document is damaged: it is not a Word document (no word/document.xml)."));
      return NULL;
    }
  if (g_hash_table_contains (entries, "word/styles.xml"))
    styles = read_styles (g_hash_table_lookup (entries, "word/styles.xml"));

  data = g_bytes_get_data (document, &size);
  doc = hearth_doc_xml_parse (data, size, "word/document.xml", error);
  if (doc == NULL)
    return NULL;
  body = child (xmlDocGetRootElement (doc), "body");
  if (!is_w (xmlDocGetRootElement (doc), "document") || body == NULL)
    {
      xmlFreeDoc (doc);
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                           _("The document is damaged: its text part has no body."));
      return NULL;
    }

  text = hearth_doc_text_new (HEARTH_DOC_FORMAT_DOCX);
  d.text = text;
  d.heading_styles = styles;
  walk_body (&d, body);
  xmlFreeDoc (doc);
  text->title = hearth_doc_dc_title (g_hash_table_lookup (entries, "docProps/core.xml"));
  return text;
}
