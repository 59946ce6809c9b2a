/* hearth-doc-extract.h: the text of a document, in blocks that know where they came from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One call reads one file and returns its visible text as a list of blocks
 * (headings, paragraphs, table rows, preformatted text) in document order,
 * each with its position in the conventions the citations use:
 *   - plain text and Markdown: 1-based lines of the file (line_start and
 *     line_end inclusive), page 0;
 *   - HTML: 1-based lines of the source file where the block's text starts
 *     and ends, page 0;
 *   - PDF: the 1-based physical page (not its printed label), and 1-based
 *     lines of that page's text as `pdftotext -layout` lays it out;
 *   - DOCX, ODT, EPUB: 1-based paragraph numbers in document order (for
 *     EPUB, across the spine's documents in reading order), page 0.
 * Text files have their encoding detected (UTF-8 with or without BOM,
 * UTF-16 with BOM, else Windows-1252/Latin-1); the blocks are always UTF-8.
 *
 * Libraries: libxml2 (HTML and the XML inside DOCX, ODT and EPUB),
 * libarchive (their zip containers), poppler-glib (PDF). A file that cannot
 * be read returns NULL with a HEARTH_DOC_ERROR saying why, in words a user
 * understands (the code tells the cause); nothing is written anywhere,
 * no temporary file, no log line holding document text, title or path.
 *
 * Threading: every function here is reentrant and may run on any thread;
 * the results belong to the caller.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_DOC_ERROR (hearth_doc_error_quark ())
GQuark hearth_doc_error_quark (void);

typedef enum
{
  HEARTH_DOC_ERROR_UNSUPPORTED, /* not a format Hearth reads */
  HEARTH_DOC_ERROR_CORRUPT,     /* the format's structure is broken */
  HEARTH_DOC_ERROR_ENCRYPTED,   /* password-protected (PDF, or an encrypted zip) */
  HEARTH_DOC_ERROR_TOO_LARGE,   /* beyond the limits below */
  HEARTH_DOC_ERROR_EMPTY,       /* readable, but holds no text (a scanned PDF) */
  HEARTH_DOC_ERROR_IO,          /* could not be read from disk */
  HEARTH_DOC_ERROR_CANCELLED,
} HearthDocError;

typedef enum
{
  HEARTH_DOC_FORMAT_TEXT,
  HEARTH_DOC_FORMAT_MARKDOWN,
  HEARTH_DOC_FORMAT_HTML,
  HEARTH_DOC_FORMAT_PDF,
  HEARTH_DOC_FORMAT_DOCX,
  HEARTH_DOC_FORMAT_ODT,
  HEARTH_DOC_FORMAT_EPUB,
} HearthDocFormat;

typedef enum
{
  HEARTH_DOC_BLOCK_HEADING,   /* level 1..6 */
  HEARTH_DOC_BLOCK_PARAGRAPH, /* prose, a list item */
  HEARTH_DOC_BLOCK_TABLE_ROW, /* cells joined by " | " */
  HEARTH_DOC_BLOCK_PREFORMATTED,
} HearthDocBlockKind;

typedef struct
{
  HearthDocBlockKind kind;
  guint              level;      /* headings: 1..6; 0 otherwise */
  char              *text;       /* UTF-8, no trailing newline */
  guint              page;       /* 1-based for PDF; 0: not paginated */
  guint              line_start; /* 1-based, see the conventions above */
  guint              line_end;   /* >= line_start */
} HearthDocBlock;

typedef struct
{
  HearthDocFormat format;
  char           *title;    /* the document's own title when it has one; NULL otherwise */
  guint           n_pages;  /* PDF; 0 otherwise */
  GPtrArray      *blocks;   /* of HearthDocBlock, owned */
} HearthDocText;

/* Limits, so a hostile file cannot take the machine: files above
 * HEARTH_DOC_MAX_FILE_BYTES, containers whose entries inflate beyond
 * HEARTH_DOC_MAX_INFLATED_BYTES, or more than HEARTH_DOC_MAX_PAGES pages
 * are refused with TOO_LARGE. */
#define HEARTH_DOC_MAX_FILE_BYTES     (512 * 1024 * 1024)
#define HEARTH_DOC_MAX_INFLATED_BYTES (256 * 1024 * 1024)
#define HEARTH_DOC_MAX_PAGES          20000

/* The format of @path from its name's extension alone (no I/O, so it is
 * cheap for a folder scan); FALSE when Hearth does not read it. A zip
 * container that is not what its name says is refused when extracted
 * (DOCX without word/document.xml: CORRUPT; ODT whose mimetype entry is
 * not ODF text: UNSUPPORTED; EPUB without META-INF/container.xml: CORRUPT). */
gboolean       hearth_doc_format_from_path (const char      *path,
                                            HearthDocFormat *format);
const char    *hearth_doc_format_to_string (HearthDocFormat format); /* "pdf", "docx", ... */

HearthDocText *hearth_doc_extract_file     (const char      *path,
                                            GCancellable    *cancellable,
                                            GError         **error);
/* The same from bytes already in memory (the fuzzers', and tests'). */
HearthDocText *hearth_doc_extract_bytes    (GBytes          *bytes,
                                            HearthDocFormat  format,
                                            GCancellable    *cancellable,
                                            GError         **error);

void           hearth_doc_text_free        (HearthDocText   *text);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocText, hearth_doc_text_free)

G_END_DECLS
