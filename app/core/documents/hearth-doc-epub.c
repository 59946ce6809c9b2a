/* hearth-doc-epub.c: EPUB books, their spine's documents in reading order
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * META-INF/container.xml names the package document (OPF); its manifest
 * maps ids to files and its spine gives the reading order. Each spine
 * document is (X)HTML, read by the HTML walker of hearth-doc-html.c; the
 * positions are paragraph numbers counted across the whole spine, so the
 * n-th block of the book is n. The title is the package's dc:title.
 * Spine items that are not (X)HTML, or missing from the container, are
 * skipped (a book with a missing chapter still reads); a container or
 * package document that is missing or broken is CORRUPT.
 *
 * Threading: reentrant.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hearth-doc-extract-private.h"

#define OPF_NS       "http://www.idpf.org/2007/opf"
#define CONTAINER_NS "urn:oasis:names:tc:opendocument:xmlns:container"


static char *
prop (xmlNode    *node,
      const char *name)
{
  return hearth_doc_xml_prop (node, NULL, name);
}

static xmlNode *
child (xmlNode    *node,
       const char *ns,
       const char *name)
{
  for (xmlNode *c = node != NULL ? node->children : NULL; c != NULL; c = c->next)
    if (hearth_doc_xml_is (c, ns, name))
      return c;
  return NULL;
}

static gboolean
want_entry (const char *name,
            gpointer    user_data)
{
  static const char * const suffixes[] = { ".xml", ".opf", ".xhtml", ".html", ".htm", ".xht", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* @href relative to the folder of @base, "." and ".." resolved, unescaped. */
static char *
resolve (const char *base,
         const char *href)
{
  g_autofree char *dir = NULL;
  g_autofree char *unescaped = NULL;
  g_autofree char *joined = NULL;
  g_auto(GStrv) parts = NULL;
  GPtrArray *out;
  char *fragment;
  char *result;

  unescaped = g_uri_unescape_string (href, NULL);
  if (unescaped == NULL)
    return NULL;
  if ((fragment = strchr (unescaped, '#')) != NULL)
    *fragment = '\0';
  dir = g_path_get_dirname (base);
  joined = unescaped[0] == '/' || strcmp (dir, ".") == 0 ? g_strdup (unescaped + (unescaped[0] == '/'))
                                                         : g_strconcat (dir, "/", unescaped, NULL);
  parts = g_strsplit (joined, "/", -1);
  out = g_ptr_array_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (parts[i][0] == '\0' || strcmp (parts[i], ".") == 0)
        continue;
      if (strcmp (parts[i], "..") == 0)
        {
          if (out->len > 0)
            g_ptr_array_set_size (out, out->len - 1);
          continue;
        }
      g_ptr_array_add (out, parts[i]);
    }
  g_ptr_array_add (out, NULL);
  result = g_strjoinv ("/", (char **) out->pdata);
  g_ptr_array_unref (out);
  return result;
}

static void
set_corrupt (GError    **error,
             const char *why)
{
  g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT, _("The document is damaged: %s"), why);
}

HearthDocText *
hearth_doc_extract_epub (GBytes        *bytes,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GHashTable) entries = NULL;
  g_autoptr(GHashTable) manifest = NULL;  /* id -> path */
  g_autoptr(GHashTable) types = NULL;     /* id -> media type */
  g_autofree char *opf_path = NULL;
  GBytes *container, *opf;
  xmlDoc *doc;
  xmlNode *spine;
  HearthDocText *text;
  guint paragraphs = 0;
  gsize size;
  const char *data;

  entries = hearth_doc_zip_read (bytes, want_entry, NULL, cancellable, error);
  if (entries == NULL)
    return NULL;

  container = g_hash_table_lookup (entries, "META-INF/container.xml");
  if (container == NULL)
    {
      set_corrupt (error, _("it is not an EPUB book (no META-INF/container.xml)."));
      return NULL;
    }
  data = g_bytes_get_data (container, &size);
  doc = hearth_doc_xml_parse (data, size, "META-INF/container.xml", error);
  if (doc == NULL)
    return NULL;
  {
    xmlNode *rootfiles = child (xmlDocGetRootElement (doc), CONTAINER_NS, "rootfiles");

    for (xmlNode *r = rootfiles != NULL ? rootfiles->children : NULL; r != NULL && opf_path == NULL; r = r->next)
      if (hearth_doc_xml_is (r, CONTAINER_NS, "rootfile"))
        opf_path = prop (r, "full-path");
  }
  xmlFreeDoc (doc);
  if (opf_path == NULL || (opf = g_hash_table_lookup (entries, opf_path)) == NULL)
    {
      set_corrupt (error, _("its package document is missing."));
      return NULL;
    }

  data = g_bytes_get_data (opf, &size);
  doc = hearth_doc_xml_parse (data, size, "package document", error);
  if (doc == NULL)
    return NULL;
  manifest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  {
    xmlNode *m = child (xmlDocGetRootElement (doc), OPF_NS, "manifest");

    for (xmlNode *item = m != NULL ? m->children : NULL; item != NULL; item = item->next)
      {
        g_autofree char *id = NULL;
        g_autofree char *href = NULL;

        if (!hearth_doc_xml_is (item, OPF_NS, "item"))
          continue;
        id = prop (item, "id");
        href = prop (item, "href");
        if (id == NULL || href == NULL)
          continue;
        g_hash_table_replace (types, g_strdup (id), prop (item, "media-type"));
        g_hash_table_replace (manifest, g_steal_pointer (&id), resolve (opf_path, href));
      }
  }
  spine = child (xmlDocGetRootElement (doc), OPF_NS, "spine");
  if (spine == NULL)
    {
      xmlFreeDoc (doc);
      set_corrupt (error, _("its package document has no reading order."));
      return NULL;
    }

  text = hearth_doc_text_new (HEARTH_DOC_FORMAT_EPUB);
  text->title = hearth_doc_dc_title (opf);
  for (xmlNode *ref = spine->children; ref != NULL; ref = ref->next)
    {
      g_autofree char *idref = NULL;
      const char *path, *type;
      GBytes *part;
      xmlDoc *html;

      if (!hearth_doc_xml_is (ref, OPF_NS, "itemref") || (idref = prop (ref, "idref")) == NULL)
        continue;
      path = g_hash_table_lookup (manifest, idref);
      type = g_hash_table_lookup (types, idref);
      if (path == NULL || (part = g_hash_table_lookup (entries, path)) == NULL)
        continue;
      if (type != NULL && strstr (type, "html") == NULL)
        continue;
      if (hearth_doc_check_cancelled (cancellable, error))
        {
          xmlFreeDoc (doc);
          hearth_doc_text_free (text);
          return NULL;
        }
      data = g_bytes_get_data (part, &size);
      html = hearth_doc_html_parse (data, size);
      if (html == NULL)
        continue;
      hearth_doc_html_walk (html, text, &paragraphs);
      hearth_doc_html_free (html);
    }
  xmlFreeDoc (doc);
  return text;
}
