/* hearth-doc-extract-private.h: what the extractors of each format share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The per-format readers (one file each) are called by hearth-doc-extract.c
 * with the whole file in memory and fill a HearthDocText through the block
 * helpers below. The zip reader is shared by DOCX, ODT and EPUB; the HTML
 * walker by HTML and EPUB.
 *
 * Threading: everything here is reentrant; libxml2 is initialised once by
 * hearth_doc_xml_init () before any parse.
 */
#pragma once

#include <libxml/tree.h>

#include "hearth-doc-extract.h"

G_BEGIN_DECLS

/* A new empty result of @format. */
HearthDocText *hearth_doc_text_new (HearthDocFormat format);

/* Appends a block; @text is taken. Blocks whose text is empty (after
 * trimming) are dropped and FALSE is returned. */
gboolean hearth_doc_text_add (HearthDocText      *text,
                              HearthDocBlockKind  kind,
                              guint               level,
                              char               *block_text,
                              guint               page,
                              guint               line_start,
                              guint               line_end);

/* Collapses every run of white space (and control characters) to one
 * space and trims both ends, in place; returns @s. */
char *hearth_doc_normalize_space (char *s);

/* A table row being built: cells joined by " | ". */
typedef struct
{
  GString  *text;
  guint     n_cells;
  gboolean  any;      /* a cell with text */
} HearthDocRow;

void  hearth_doc_row_init     (HearthDocRow *row);
/* Adds @cell (white space collapsed here) and frees it. */
void  hearth_doc_row_add_cell (HearthDocRow *row,
                               char         *cell);
/* The row's text; empty when no cell holds text (the block is dropped). */
char *hearth_doc_row_finish   (HearthDocRow *row);

/* TRUE when @node is the element @name in namespace @ns (any namespace
 * when @ns is NULL). */
gboolean hearth_doc_xml_is   (const xmlNode *node,
                              const char    *ns,
                              const char    *name);
/* The attribute @name (in @ns, or without a namespace when NULL), GLib-allocated. */
char    *hearth_doc_xml_prop (xmlNode       *node,
                              const char    *ns,
                              const char    *name);

/* TRUE (and @error set) when @cancellable is cancelled. */
gboolean hearth_doc_check_cancelled (GCancellable *cancellable,
                                     GError      **error);

void hearth_doc_xml_init (void);

/* An XML document from memory, no network, no entity expansion, no error
 * output; NULL with CORRUPT (naming @what) when it is not well formed. */
xmlDoc *hearth_doc_xml_parse (const char  *data,
                              gsize        size,
                              const char  *what,
                              GError     **error);

/* Zip containers: reads the entries for which @want returns TRUE into a
 * table of entry name -> GBytes. The inflated bytes of all wanted entries
 * together may not pass HEARTH_DOC_MAX_INFLATED_BYTES (TOO_LARGE); an
 * encrypted entry gives ENCRYPTED, a broken archive CORRUPT. */
typedef gboolean (*HearthDocZipWant) (const char *name,
                                      gpointer    user_data);
GHashTable *hearth_doc_zip_read (GBytes           *bytes,
                                 HearthDocZipWant  want,
                                 gpointer          user_data,
                                 GCancellable     *cancellable,
                                 GError          **error);

/* The dc:title of an XML part (DOCX's docProps/core.xml, ODT's meta.xml,
 * EPUB's package document); NULL when absent or unreadable. */
char *hearth_doc_dc_title (GBytes *bytes);

/* The HTML walker: appends the visible blocks of @doc to @text. With
 * @paragraphs NULL positions are source lines (page 0); otherwise each
 * block gets the next paragraph number from *@paragraphs (EPUB). The
 * <title> goes to text->title when that is still NULL. */
void hearth_doc_html_walk (xmlDoc        *doc,
                           HearthDocText *text,
                           guint         *paragraphs);

/* The HTML parser with the options every HTML reader here uses; the
 * document carries the text lines the walker needs: free it with
 * hearth_doc_html_free. NULL when nothing could be parsed. */
xmlDoc *hearth_doc_html_parse (const char *data,
                               gsize       size);
void    hearth_doc_html_free  (xmlDoc     *doc);

/* The readers, one per format. */
HearthDocText *hearth_doc_extract_plain (GBytes *bytes, HearthDocFormat format,
                                         GCancellable *cancellable, GError **error);
HearthDocText *hearth_doc_extract_html  (GBytes *bytes, GCancellable *cancellable, GError **error);
HearthDocText *hearth_doc_extract_pdf   (GBytes *bytes, GCancellable *cancellable, GError **error);
HearthDocText *hearth_doc_extract_docx  (GBytes *bytes, GCancellable *cancellable, GError **error);
HearthDocText *hearth_doc_extract_odt   (GBytes *bytes, GCancellable *cancellable, GError **error);
HearthDocText *hearth_doc_extract_epub  (GBytes *bytes, GCancellable *cancellable, GError **error);

/* Text decoding of plain files: UTF-8 (BOM or not), UTF-16 with a BOM,
 * else Windows-1252 (Latin-1 for its five undefined bytes). Always UTF-8,
 * NUL bytes replaced by spaces; *@len_out set. */
char *hearth_doc_decode_text (const guint8 *data,
                              gsize         size,
                              gsize        *len_out);

G_END_DECLS
