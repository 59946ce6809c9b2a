/* fuzz-doc.c: libFuzzer harness for a document extractor (one build per format) and the chunker after it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a file of the format this build names (FUZZ_DOC_FORMAT:
 * text, Markdown, HTML, PDF, DOCX, ODT or EPUB): what a user's folder can
 * hold, so hostile. Extraction either fails with a HEARTH_DOC_ERROR or
 * gives blocks that keep the header's promises (hearth-doc-extract.h):
 * UTF-8 text with no trailing newline, a heading level only on headings,
 * lines 1-based with line_end >= line_start, pages 1..n_pages for PDF and
 * 0 otherwise. Its blocks are then cut into chunks, which must be UTF-8
 * and cite a page and lines that some block has. Nothing may crash, leak
 * or complain (hearth-fuzz.h).
 */
#include <string.h>

#include "hearth-doc-chunk.h"
#include "hearth-doc-extract.h"
#include "hearth-fuzz.h"

#ifndef FUZZ_DOC_FORMAT
#error "build with -DFUZZ_DOC_FORMAT=HEARTH_DOC_FORMAT_..."
#endif

static void
check_text (const HearthDocText *text)
{
  g_assert (text->format == FUZZ_DOC_FORMAT);
  g_assert (text->title == NULL || g_utf8_validate (text->title, -1, NULL));
  g_assert (text->blocks != NULL);
  g_assert (FUZZ_DOC_FORMAT == HEARTH_DOC_FORMAT_PDF || text->n_pages == 0);
  for (guint i = 0; i < text->blocks->len; i++)
    {
      const HearthDocBlock *b = g_ptr_array_index (text->blocks, i);
      gsize len = strlen (b->text);

      g_assert (g_utf8_validate (b->text, -1, NULL));
      g_assert (len == 0 || b->text[len - 1] != '\n');
      g_assert (b->kind == HEARTH_DOC_BLOCK_HEADING ? b->level >= 1 && b->level <= 6 : b->level == 0);
      g_assert (b->line_start >= 1 && b->line_end >= b->line_start);
      if (FUZZ_DOC_FORMAT == HEARTH_DOC_FORMAT_PDF)
        g_assert (b->page >= 1 && b->page <= text->n_pages);
      else
        g_assert (b->page == 0);
    }
}

/* A chunk starts where one of the page's blocks starts and ends where one
 * ends (or on its first line). */
static void
check_chunks (const HearthDocText *text,
              GPtrArray           *chunks)
{
  for (guint i = 0; i < chunks->len; i++)
    {
      const HearthDocChunk *c = g_ptr_array_index (chunks, i);
      gboolean starts = FALSE, ends = c->line_end == c->line_start;

      g_assert (g_utf8_validate (c->text, -1, NULL));
      g_assert (c->context == NULL || g_utf8_validate (c->context, -1, NULL));
      g_assert (c->line_end >= c->line_start);
      for (guint k = 0; k < text->blocks->len; k++)
        {
          const HearthDocBlock *b = g_ptr_array_index (text->blocks, k);

          if (b->page != c->page)
            continue;
          starts |= b->line_start == c->line_start;
          ends |= b->line_end == c->line_end;
        }
      g_assert (starts && ends);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocText) text = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  HearthDocChunkParams params;

  hearth_fuzz_maybe_selftest ();
  bytes = g_bytes_new (data, size);
  text = hearth_doc_extract_bytes (bytes, FUZZ_DOC_FORMAT, NULL, &error);
  if (text == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_DOC_ERROR);
      return 0;
    }
  check_text (text);
  /* A small budget, so that ordinary inputs reach the splits and overlaps. */
  hearth_doc_chunk_params_init (&params);
  params.max_tokens = 24;
  params.overlap = 6;
  chunks = hearth_doc_chunk (text, &params);
  check_chunks (text, chunks);
  return 0;
}
