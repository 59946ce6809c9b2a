/* hearth-markdown.h: CommonMark + GFM text as a flat list of blocks with Pango markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parse is done by cmark-gfm (tables, strikethrough, autolinks); this
 * turns its tree into what the chat view shows: one block per paragraph,
 * heading, code block, table or rule, with inline formatting as Pango
 * markup and list and quote nesting as an indent. No widgets here, so the
 * tests read it directly.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HEARTH_MD_PARAGRAPH,
  HEARTH_MD_HEADING,
  HEARTH_MD_CODE,
  HEARTH_MD_TABLE,
  HEARTH_MD_RULE,
} HearthMdKind;

typedef struct
{
  HearthMdKind kind;
  guint        level;     /* heading level 1-6 */
  guint        indent;    /* list nesting depth */
  gboolean     quoted;    /* inside a block quote */
  char        *markup;    /* PARAGRAPH, HEADING: Pango markup; list items start with their marker */
  char        *code;      /* CODE: the literal text, without the final newline */
  char        *language;  /* CODE: the fence's info word, or NULL */
  guint        n_columns; /* TABLE */
  guint        n_rows;    /* TABLE, the header row included */
  GPtrArray   *cells;     /* TABLE: Pango markup, row by row */
} HearthMdBlock;

/* An array of HearthMdBlock (owning). Never fails: any text is Markdown. */
GPtrArray *hearth_markdown_parse (const char *text,
                                  gssize      len);
void       hearth_md_block_free (HearthMdBlock *block);

/* The blocks as plain text with the markup removed: what copy and the
 * screen reader get. */
char      *hearth_markdown_to_plain (GPtrArray *blocks);

G_END_DECLS
