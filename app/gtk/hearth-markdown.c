/* hearth-markdown.c: CommonMark + GFM text as a flat list of blocks with Pango markup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <string.h>

#include "hearth-markdown.h"

void
hearth_md_block_free (HearthMdBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->markup);
  g_free (block->code);
  g_free (block->language);
  g_clear_pointer (&block->cells, g_ptr_array_unref);
  g_free (block);
}

static gboolean
type_is (cmark_node *node,
         const char *name)
{
  return g_strcmp0 (cmark_node_get_type_string (node), name) == 0;
}

static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = NULL;

  if (text == NULL)
    return;
  escaped = g_markup_escape_text (text, -1);
  g_string_append (out, escaped);
}

static void inlines_to_markup (cmark_node *parent, GString *out);

/* Only web and mail links become clickable: a model's reply is untrusted
 * text and must not open local files or run handlers. */
static gboolean
is_safe_url (const char *url)
{
  return url != NULL &&
         (g_str_has_prefix (url, "https://") || g_str_has_prefix (url, "http://") ||
          g_str_has_prefix (url, "mailto:"));
}

static void
inline_to_markup (cmark_node *node,
                  GString    *out)
{
  switch (cmark_node_get_type (node))
    {
    case CMARK_NODE_TEXT:
    case CMARK_NODE_HTML_INLINE:
      append_escaped (out, cmark_node_get_literal (node));
      break;
    case CMARK_NODE_SOFTBREAK:
      g_string_append_c (out, ' ');
      break;
    case CMARK_NODE_LINEBREAK:
      g_string_append_c (out, '\n');
      break;
    case CMARK_NODE_CODE:
      g_string_append (out, "<tt>");
      append_escaped (out, cmark_node_get_literal (node));
      g_string_append (out, "</tt>");
      break;
    case CMARK_NODE_EMPH:
      g_string_append (out, "<i>");
      inlines_to_markup (node, out);
      g_string_append (out, "</i>");
      break;
    case CMARK_NODE_STRONG:
      g_string_append (out, "<b>");
      inlines_to_markup (node, out);
      g_string_append (out, "</b>");
      break;
    case CMARK_NODE_LINK:
      if (is_safe_url (cmark_node_get_url (node)))
        {
          g_autofree char *url = g_markup_escape_text (cmark_node_get_url (node), -1);

          g_string_append_printf (out, "<a href=\"%s\">", url);
          inlines_to_markup (node, out);
          g_string_append (out, "</a>");
        }
      else
        inlines_to_markup (node, out);
      break;
    case CMARK_NODE_IMAGE:
      /* No images are fetched: the alt text stands in. */
      inlines_to_markup (node, out);
      break;
    default:
      if (type_is (node, "strikethrough"))
        {
          g_string_append (out, "<s>");
          inlines_to_markup (node, out);
          g_string_append (out, "</s>");
        }
      else
        inlines_to_markup (node, out);
      break;
    }
}

static void
inlines_to_markup (cmark_node *parent,
                   GString    *out)
{
  for (cmark_node *c = cmark_node_first_child (parent); c != NULL; c = cmark_node_next (c))
    inline_to_markup (c, out);
}

typedef struct
{
  GPtrArray *blocks;
  guint      indent;
  gboolean   quoted;
  char      *marker; /* the pending list marker for the item's first block */
} Walk;

static HearthMdBlock *
add_block (Walk        *w,
           HearthMdKind kind)
{
  HearthMdBlock *b = g_new0 (HearthMdBlock, 1);

  b->kind = kind;
  b->indent = w->indent;
  b->quoted = w->quoted;
  g_ptr_array_add (w->blocks, b);
  return b;
}

static char *
take_marker (Walk *w)
{
  return g_steal_pointer (&w->marker);
}

static void walk_blocks (cmark_node *parent, Walk *w);

static void
walk_block (cmark_node *node,
            Walk       *w)
{
  switch (cmark_node_get_type (node))
    {
    case CMARK_NODE_PARAGRAPH:
    case CMARK_NODE_HEADING:
      {
        gboolean heading = cmark_node_get_type (node) == CMARK_NODE_HEADING;
        HearthMdBlock *b = add_block (w, heading ? HEARTH_MD_HEADING : HEARTH_MD_PARAGRAPH);
        g_autofree char *marker = take_marker (w);
        GString *s = g_string_new (NULL);

        if (marker != NULL)
          append_escaped (s, marker);
        inlines_to_markup (node, s);
        b->markup = g_string_free (s, FALSE);
        if (heading)
          b->level = (guint) cmark_node_get_heading_level (node);
      }
      break;
    case CMARK_NODE_CODE_BLOCK:
    case CMARK_NODE_HTML_BLOCK:
      {
        HearthMdBlock *b;
        const char *literal = cmark_node_get_literal (node);
        const char *info = cmark_node_get_type (node) == CMARK_NODE_CODE_BLOCK ? cmark_node_get_fence_info (node) : NULL;
        gsize len = literal ? strlen (literal) : 0;
        g_autofree char *marker = take_marker (w);

        if (marker != NULL)
          {
            HearthMdBlock *m = add_block (w, HEARTH_MD_PARAGRAPH);

            m->markup = g_markup_escape_text (marker, -1);
          }
        b = add_block (w, HEARTH_MD_CODE);
        while (len > 0 && literal[len - 1] == '\n')
          len--;
        b->code = g_strndup (literal ? literal : "", len);
        if (info != NULL && info[0] != '\0')
          {
            g_auto(GStrv) words = g_strsplit_set (info, " \t{},", 2);

            if (words[0] != NULL && words[0][0] != '\0')
              b->language = g_ascii_strdown (words[0], -1);
          }
      }
      break;
    case CMARK_NODE_THEMATIC_BREAK:
      add_block (w, HEARTH_MD_RULE);
      break;
    case CMARK_NODE_BLOCK_QUOTE:
      {
        gboolean was = w->quoted;

        w->quoted = TRUE;
        walk_blocks (node, w);
        w->quoted = was;
      }
      break;
    case CMARK_NODE_LIST:
      {
        gboolean ordered = cmark_node_get_list_type (node) == CMARK_ORDERED_LIST;
        int n = cmark_node_get_list_start (node);

        w->indent++;
        for (cmark_node *item = cmark_node_first_child (node); item != NULL; item = cmark_node_next (item))
          {
            g_free (w->marker);
            w->marker = ordered ? g_strdup_printf ("%d. ", n++) : g_strdup ("• ");
            walk_blocks (item, w);
            g_clear_pointer (&w->marker, g_free);
          }
        w->indent--;
      }
      break;
    default:
      if (type_is (node, "table"))
        {
          HearthMdBlock *b = add_block (w, HEARTH_MD_TABLE);

          b->n_columns = cmark_gfm_extensions_get_table_columns (node);
          b->cells = g_ptr_array_new_with_free_func (g_free);
          for (cmark_node *row = cmark_node_first_child (node); row != NULL; row = cmark_node_next (row))
            {
              guint col = 0;

              for (cmark_node *cell = cmark_node_first_child (row); cell != NULL; cell = cmark_node_next (cell))
                {
                  GString *s = g_string_new (NULL);

                  if (col >= b->n_columns)
                    break;
                  inlines_to_markup (cell, s);
                  if (b->n_rows == 0)
                    {
                      g_string_prepend (s, "<b>");
                      g_string_append (s, "</b>");
                    }
                  g_ptr_array_add (b->cells, g_string_free (s, FALSE));
                  col++;
                }
              /* Short rows are padded so the grid stays rectangular. */
              for (; col < b->n_columns; col++)
                g_ptr_array_add (b->cells, g_strdup (""));
              b->n_rows++;
            }
        }
      else
        walk_blocks (node, w);
      break;
    }
}

static void
walk_blocks (cmark_node *parent,
             Walk       *w)
{
  for (cmark_node *c = cmark_node_first_child (parent); c != NULL; c = cmark_node_next (c))
    walk_block (c, w);
}

GPtrArray *
hearth_markdown_parse (const char *text,
                       gssize      len)
{
  cmark_parser *parser;
  cmark_node *root;
  Walk w = { 0 };
  static const char *const extensions[] = { "table", "strikethrough", "autolink" };

  if (text == NULL)
    text = "";
  if (len < 0)
    len = (gssize) strlen (text);

  cmark_gfm_core_extensions_ensure_registered ();
  /* VALIDATE_UTF8: a reply cut mid-character must not reach Pango as invalid UTF-8. */
  parser = cmark_parser_new (CMARK_OPT_VALIDATE_UTF8);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      cmark_syntax_extension *ext = cmark_find_syntax_extension (extensions[i]);

      if (ext != NULL)
        cmark_parser_attach_syntax_extension (parser, ext);
    }
  cmark_parser_feed (parser, text, (size_t) len);
  root = cmark_parser_finish (parser);

  w.blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_md_block_free);
  walk_blocks (root, &w);
  g_free (w.marker);

  cmark_node_free (root);
  cmark_parser_free (parser);
  return w.blocks;
}

/* Our markup is only what inline_to_markup writes: tags and the entities
 * g_markup_escape_text makes. */
static void
append_plain (GString    *out,
              const char *markup)
{
  static const struct { const char *entity; char c; } entities[] = {
    { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#39;", '\'' }, { "&apos;", '\'' },
  };

  for (const char *p = markup; p != NULL && *p != '\0';)
    {
      if (*p == '<')
        {
          const char *end = strchr (p, '>');

          p = end ? end + 1 : p + strlen (p);
          continue;
        }
      if (*p == '&')
        {
          gboolean found = FALSE;

          for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
            if (g_str_has_prefix (p, entities[i].entity))
              {
                g_string_append_c (out, entities[i].c);
                p += strlen (entities[i].entity);
                found = TRUE;
                break;
              }
          if (found)
            continue;
        }
      g_string_append_c (out, *p++);
    }
}

char *
hearth_markdown_to_plain (GPtrArray *blocks)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < blocks->len; i++)
    {
      HearthMdBlock *b = g_ptr_array_index (blocks, i);

      if (out->len > 0)
        g_string_append (out, "\n\n");
      for (guint d = 1; d < b->indent; d++)
        g_string_append (out, "  ");
      switch (b->kind)
        {
        case HEARTH_MD_PARAGRAPH:
        case HEARTH_MD_HEADING:
          append_plain (out, b->markup);
          break;
        case HEARTH_MD_CODE:
          g_string_append (out, b->code);
          break;
        case HEARTH_MD_RULE:
          g_string_append (out, "———");
          break;
        case HEARTH_MD_TABLE:
          for (guint r = 0; r < b->n_rows; r++)
            {
              if (r > 0)
                g_string_append_c (out, '\n');
              for (guint c = 0; c < b->n_columns; c++)
                {
                  if (c > 0)
                    g_string_append (out, "\t");
                  append_plain (out, g_ptr_array_index (b->cells, r * b->n_columns + c));
                }
            }
          break;
        default:
          break;
        }
    }
  return g_string_free (out, FALSE);
}
