/* hearth-doc-odt.c: OpenDocument text (ODT), paragraph by paragraph
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * content.xml's office:text, in order: text:h is a heading of its
 * text:outline-level, text:p a paragraph (preformatted where its style is
 * the "Preformatted Text" one), lists and sections are walked through,
 * each table:table-row is one row of its cells' text joined by " | ".
 * Inside a paragraph, text:s is its text:c spaces, text:tab a tab,
 * text:line-break a line break; notes, tracked deletions and other
 * non-body parts are not text. Positions are paragraph numbers: the n-th
 * emitted block is n. The title is meta.xml's dc:title. The mimetype
 * entry, where present, must say ODF text.
 *
 * Threading: reentrant.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

#define TEXT_NS   "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define TABLE_NS  "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define OFFICE_NS "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

typedef struct
{
  HearthDocText *text;
  guint          n;
} Odt;


static void
append_inline (GString *out,
               xmlNode *node)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
        g_string_append (out, (const char *) c->content);
      else if (c->type != XML_ELEMENT_NODE)
        continue;
      else if (hearth_doc_xml_is (c, TEXT_NS, "s"))
        {
          g_autofree char *count = hearth_doc_xml_prop (c, TEXT_NS, "c");
          guint64 n = count != NULL ? g_ascii_strtoull (count, NULL, 10) : 1;

          for (guint64 i = 0; i < MIN (MAX (n, 1), 1024); i++)
            g_string_append_c (out, ' ');
        }
      else if (hearth_doc_xml_is (c, TEXT_NS, "tab"))
        g_string_append_c (out, '\t');
      else if (hearth_doc_xml_is (c, TEXT_NS, "line-break"))
        g_string_append_c (out, '\n');
      else if (hearth_doc_xml_is (c, TEXT_NS, "note") || hearth_doc_xml_is (c, TEXT_NS, "tracked-changes") ||
               hearth_doc_xml_is (c, TEXT_NS, "bookmark-ref") || hearth_doc_xml_is (c, OFFICE_NS, "annotation"))
        continue;
      else if (hearth_doc_xml_is (c, TEXT_NS, "p") || hearth_doc_xml_is (c, TEXT_NS, "h"))
        {
          /* Paragraphs inside a cell or frame: one space apart. */
          if (out->len > 0)
            g_string_append_c (out, ' ');
          append_inline (out, c);
          g_string_append_c (out, ' ');
        }
      else
        append_inline (out, c);  /* spans, links, frames, list content in cells */
    }
}

static void
emit (Odt                *o,
      HearthDocBlockKind  kind,
      guint               level,
      char               *t)
{
  if (hearth_doc_text_add (o->text, kind, level, t, 0, o->n + 1, o->n + 1))
    o->n++;
}

static void
walk_row (Odt     *o,
          xmlNode *row)
{
  HearthDocRow r;

  hearth_doc_row_init (&r);
  for (xmlNode *c = row->children; c != NULL; c = c->next)
    {
      GString *cell;

      if (!hearth_doc_xml_is (c, TABLE_NS, "table-cell"))
        continue;
      cell = g_string_new (NULL);
      append_inline (cell, c);
      hearth_doc_row_add_cell (&r, g_string_free (cell, FALSE));
    }
  emit (o, HEARTH_DOC_BLOCK_TABLE_ROW, 0, hearth_doc_row_finish (&r));
}

static void
walk (Odt     *o,
      xmlNode *node)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (hearth_doc_xml_is (c, TEXT_NS, "h"))
        {
          g_autofree char *lvl = hearth_doc_xml_prop (c, TEXT_NS, "outline-level");
          guint level = lvl != NULL ? (guint) CLAMP (g_ascii_strtoull (lvl, NULL, 10), 1, 6) : 1;
          GString *s = g_string_new (NULL);

          append_inline (s, c);
          emit (o, HEARTH_DOC_BLOCK_HEADING, level, hearth_doc_normalize_space (g_string_free (s, FALSE)));
        }
      else if (hearth_doc_xml_is (c, TEXT_NS, "p"))
        {
          g_autofree char *style = hearth_doc_xml_prop (c, TEXT_NS, "style-name");
          GString *s = g_string_new (NULL);

          append_inline (s, c);
          if (style != NULL && (strstr (style, "Preformatted") != NULL || strstr (style, "Source_20_Text") != NULL))
            {
              while (s->len > 0 && g_ascii_isspace (s->str[s->len - 1]))
                g_string_truncate (s, s->len - 1);
              emit (o, HEARTH_DOC_BLOCK_PREFORMATTED, 0, g_string_free (s, FALSE));
            }
          else
            emit (o, HEARTH_DOC_BLOCK_PARAGRAPH, 0, hearth_doc_normalize_space (g_string_free (s, FALSE)));
        }
      else if (hearth_doc_xml_is (c, TABLE_NS, "table-row"))
        walk_row (o, c);
      else if (hearth_doc_xml_is (c, TEXT_NS, "tracked-changes") || hearth_doc_xml_is (c, TEXT_NS, "sequence-decls") ||
               hearth_doc_xml_is (c, TABLE_NS, "table-columns") || hearth_doc_xml_is (c, TABLE_NS, "table-column") ||
               hearth_doc_xml_is (c, OFFICE_NS, "forms") || hearth_doc_xml_is (c, TEXT_NS, "variable-decls") ||
               hearth_doc_xml_is (c, TEXT_NS, "user-field-decls"))
        continue;
      else
        walk (o, c);  /* lists, list items, sections, tables and row groups, frames */
    }
}

static gboolean
want_entry (const char *name,
            gpointer    user_data)
{
  return strcmp (name, "content.xml") == 0 || strcmp (name, "meta.xml") == 0 || strcmp (name, "mimetype") == 0;
}

HearthDocText *
hearth_doc_extract_odt (GBytes        *bytes,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GHashTable) entries = NULL;
  GBytes *content, *mimetype;
  HearthDocText *text;
  xmlDoc *doc;
  xmlNode *root, *office_text = NULL;
  Odt o = { NULL, 0 };
  gsize size;
  const char *data;

  entries = hearth_doc_zip_read (bytes, want_entry, NULL, cancellable, error);
  if (entries == NULL)
    return NULL;
  mimetype = g_hash_table_lookup (entries, "mimetype");
  if (mimetype != NULL)
    {
      gsize m_size;
      const char *m_data = g_bytes_get_data (mimetype, &m_size);
      /* An empty entry's data is NULL, and g_strndup gives NULL for it. */
      g_autofree char *m = g_strndup (m_data != NULL ? m_data : "", m_size);

      if (!g_str_has_prefix (g_strstrip (m), "application/vnd.oasis.opendocument.text"))
        {
          g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_UNSUPPORTED,
                               _("The document is an OpenDocument file, but not a text document."));
          return NULL;
        }
    }
  content = g_hash_table_lookup (entries, "content.xml");
  if (content == NULL)
    {
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                           _("The document is damaged: it is not an OpenDocument text (no content.xml)."));
      return NULL;
    }
  data = g_bytes_get_data (content, &size);
  doc = hearth_doc_xml_parse (data, size, "content.xml", error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  for (xmlNode *c = root->children; c != NULL && office_text == NULL; c = c->next)
    if (hearth_doc_xml_is (c, OFFICE_NS, "body"))
      for (xmlNode *t = c->children; t != NULL; t = t->next)
        if (hearth_doc_xml_is (t, OFFICE_NS, "text"))
          office_text = t;
  if (office_text == NULL)
    {
      xmlFreeDoc (doc);
      g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                           _("The document is damaged: its text part has no body."));
      return NULL;
    }
  text = hearth_doc_text_new (HEARTH_DOC_FORMAT_ODT);
  o.text = text;
  walk (&o, office_text);
  xmlFreeDoc (doc);
  text->title = hearth_doc_dc_title (g_hash_table_lookup (entries, "meta.xml"));
  return text;
}
