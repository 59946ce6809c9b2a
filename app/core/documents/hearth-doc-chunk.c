/* hearth-doc-chunk.c: a document's blocks cut into passages for search and citation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One pass over the blocks. A heading ends the chunk being built and
 * updates the stack of headings above (a heading pops those of its level
 * and below); the stack, " > "-joined, is the context of the chunks that
 * follow. Other blocks are added whole while the chunk stays within
 * max_tokens (counted on the chunk's actual text, so a real tokenizer's
 * merges across the joins are counted too); a block that cannot fit in an
 * empty chunk is cut at sentence ends, a sentence that cannot at spaces,
 * and a single word longer than the budget stands alone (the one case a
 * chunk may pass the budget). When a chunk is full the next starts with
 * the last words of it, up to `overlap` tokens (whole words, possibly
 * from several blocks), so that a passage cut in two is found whole in one
 * of them. There is no overlap across a heading or a page: a chunk never
 * spans pages, and its position is that of the blocks its text comes from
 * (the page, the first block's line_start, the last block's line_end).
 * Blocks are joined by a newline; preformatted text keeps its lines.
 *
 * Threading: reentrant; @count is called on the calling thread.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-doc-chunk.h"

void
hearth_doc_chunk_params_init (HearthDocChunkParams *params)
{
  memset (params, 0, sizeof *params);
  params->max_tokens = 256;
  params->overlap = 32;
}

void
hearth_doc_chunk_free (HearthDocChunk *chunk)
{
  if (chunk == NULL)
    return;
  g_free (chunk->text);
  g_free (chunk->context);
  g_free (chunk);
}

static guint
count_words (const char *text)
{
  guint n = 0;
  gboolean in_word = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      gboolean space = g_ascii_isspace (*p);

      if (!space && !in_word)
        n++;
      in_word = !space;
    }
  return n;
}

typedef struct
{
  char  *text;
  guint  block;   /* index of the block it comes from */
  guint  words;   /* count_words (text) */
} Part;

typedef struct
{
  const HearthDocText        *doc;
  const HearthDocChunkParams *params;
  guint                       overlap;
  GPtrArray                  *chunks;
  GArray                     *parts;    /* of Part: the chunk being built */
  guint                       n_new;    /* parts added since the overlap */
  GPtrArray                  *headings; /* of HearthDocBlock *, borrowed */
} Chunker;

static guint
count (Chunker    *c,
       const char *text)
{
  if (c->params->count != NULL)
    return c->params->count (text, c->params->count_data);
  return count_words (text);
}

static char *join_parts (GArray *parts, const Part *extra);

/* Words add up across a join (parts are joined with white space, so no
 * two words merge): counting words, the chunker sums the parts' counts
 * instead of joining and counting again, which made it quadratic in a
 * chunk's length. A tokenizer's counts do not add up exactly (merges at
 * the seams), so with one it joins and counts. */
static gboolean
counts_add_up (Chunker *c)
{
  return c->params->count == NULL;
}

static Part
part_new (char  *text,
          guint  block)
{
  Part p = { text, block, count_words (text) };

  return p;
}

/* count (join_parts (c->parts, extra)) */
static guint
count_parts (Chunker    *c,
             const Part *extra)
{
  g_autofree char *joined = NULL;

  if (counts_add_up (c))
    {
      guint n = extra != NULL ? extra->words : 0;

      for (guint i = 0; i < c->parts->len; i++)
        n += g_array_index (c->parts, Part, i).words;
      return n;
    }
  joined = join_parts (c->parts, extra);
  return count (c, joined);
}

/* Whether @head (@head_words words; "" for none), @sep and @tail
 * (@tail_words words) joined count at most @limit tokens. */
static gboolean
join_fits (Chunker    *c,
           const char *head,
           guint       head_words,
           const char *sep,
           const char *tail,
           guint       tail_words,
           guint       limit)
{
  g_autofree char *joined = NULL;

  if (counts_add_up (c))
    return head_words + tail_words <= limit;
  joined = head[0] != '\0' ? g_strconcat (head, sep, tail, NULL) : g_strdup (tail);
  return count (c, joined) <= limit;
}

static char *
join_parts (GArray     *parts,
            const Part *extra)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < parts->len; i++)
    {
      const Part *p = &g_array_index (parts, Part, i);

      if (i > 0)
        g_string_append_c (s, p->block == g_array_index (parts, Part, i - 1).block ? ' ' : '\n');
      g_string_append (s, p->text);
    }
  if (extra != NULL)
    {
      if (parts->len > 0)
        g_string_append_c (s, extra->block == g_array_index (parts, Part, parts->len - 1).block ? ' ' : '\n');
      g_string_append (s, extra->text);
    }
  return g_string_free (s, FALSE);
}

static void
clear_parts (GArray *parts)
{
  for (guint i = 0; i < parts->len; i++)
    g_free (g_array_index (parts, Part, i).text);
  g_array_set_size (parts, 0);
}

static char *
context_of (Chunker *c)
{
  GString *s;

  if (c->headings->len == 0)
    return NULL;
  s = g_string_new (NULL);
  for (guint i = 0; i < c->headings->len; i++)
    {
      if (i > 0)
        g_string_append (s, " > ");
      g_string_append (s, ((HearthDocBlock *) g_ptr_array_index (c->headings, i))->text);
    }
  return g_string_free (s, FALSE);
}

/* The words at the end of the parts, as parts, up to c->overlap tokens. */
static GArray *
tail_of (Chunker *c)
{
  GArray *tail = g_array_new (FALSE, FALSE, sizeof (Part));
  GPtrArray *words = g_ptr_array_new ();    /* borrowed from split strings */
  GArray *blocks = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *splits = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  guint take = 0, tail_words = 0;

  if (c->overlap == 0)
    goto out;
  /* Words from the end, across parts. */
  for (guint i = c->parts->len; i > 0 && words->len < 4 * c->overlap + 8; i--)
    {
      const Part *p = &g_array_index (c->parts, Part, i - 1);
      char **w = g_strsplit_set (p->text, " \t\n", -1);
      guint n = g_strv_length (w);

      g_ptr_array_add (splits, w);
      for (guint k = n; k > 0; k--)
        if (w[k - 1][0] != '\0')
          {
            g_ptr_array_add (words, w[k - 1]);
            g_array_append_val (blocks, p->block);
          }
    }
  /* Grow the tail word by word while it fits. */
  while (take < words->len)
    {
      GString *s;
      guint n;

      if (counts_add_up (c))
        {
          tail_words += count_words (g_ptr_array_index (words, take));
          if (tail_words > c->overlap)
            break;
          take++;
          continue;
        }
      s = g_string_new (NULL);
      for (guint k = take + 1; k > 0; k--)
        {
          if (s->len > 0)
            g_string_append_c (s, ' ');
          g_string_append (s, g_ptr_array_index (words, k - 1));
        }
      n = count (c, s->str);
      g_string_free (s, TRUE);
      if (n > c->overlap)
        break;
      take++;
    }
  /* Back into parts, one per block, in order. */
  for (guint k = take; k > 0; k--)
    {
      guint block = g_array_index (blocks, guint, k - 1);

      if (tail->len == 0 || g_array_index (tail, Part, tail->len - 1).block != block)
        {
          Part p = part_new (g_strdup (g_ptr_array_index (words, k - 1)), block);

          g_array_append_val (tail, p);
        }
      else
        {
          Part *p = &g_array_index (tail, Part, tail->len - 1);
          char *t = g_strconcat (p->text, " ", (const char *) g_ptr_array_index (words, k - 1), NULL);

          g_free (p->text);
          p->text = t;
          p->words += count_words (g_ptr_array_index (words, k - 1));
        }
    }
out:
  g_ptr_array_unref (words);
  g_array_unref (blocks);
  g_ptr_array_unref (splits);
  return tail;
}

/* Ends the chunk being built; with @carry, the next starts with its tail. */
static void
finish (Chunker  *c,
        gboolean  carry)
{
  HearthDocChunk *chunk;
  const HearthDocBlock *first, *last;
  GArray *tail = NULL;

  if (c->n_new == 0)
    {
      clear_parts (c->parts);
      return;
    }
  first = g_ptr_array_index (c->doc->blocks, g_array_index (c->parts, Part, 0).block);
  last = g_ptr_array_index (c->doc->blocks, g_array_index (c->parts, Part, c->parts->len - 1).block);
  chunk = g_new0 (HearthDocChunk, 1);
  chunk->text = join_parts (c->parts, NULL);
  chunk->context = context_of (c);
  chunk->page = first->page;
  chunk->line_start = first->line_start;
  chunk->line_end = MAX (last->line_end, first->line_start);
  chunk->n_tokens = count (c, chunk->text);
  g_ptr_array_add (c->chunks, chunk);

  if (carry)
    tail = tail_of (c);
  clear_parts (c->parts);
  c->n_new = 0;
  if (tail != NULL)
    {
      g_array_append_vals (c->parts, tail->data, tail->len);
      g_array_unref (tail);
    }
}

/* Adds one piece that fits the budget on its own (or is one word). */
static void
add_piece (Chunker    *c,
           const char *text,
           guint       block)
{
  Part p = part_new ((char *) text, block);

  if (c->parts->len > 0 && count_parts (c, &p) > c->params->max_tokens)
    {
      if (c->n_new > 0)
        finish (c, TRUE);
      /* The overlap too, if even that does not leave room. */
      while (c->parts->len > 0)
        {
          if (count_parts (c, &p) <= c->params->max_tokens)
            break;
          g_free (g_array_index (c->parts, Part, 0).text);
          g_array_remove_index (c->parts, 0);
        }
    }
  p.text = g_strdup (text);
  g_array_append_val (c->parts, p);
  c->n_new++;
}

/* Splits @text into pieces of at most @limit tokens: at sentence ends
 * (or lines, for preformatted text), then at spaces. */
static void
add_split (Chunker    *c,
           const char *text,
           guint       block,
           guint       limit,
           gboolean    lines)
{
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func (g_free);
  const char *start = text;
  GString *piece = g_string_new (NULL);
  guint piece_words = 0; /* count_words (piece->str), when counts add up */

  /* Sentences: up to a . ! ? or … followed by white space. */
  for (const char *p = text; *p != '\0'; p++)
    {
      gboolean end = FALSE;

      if (lines)
        end = *p == '\n';
      else if ((*p == '.' || *p == '!' || *p == '?') && g_ascii_isspace (p[1]))
        end = TRUE;
      else if (g_str_has_prefix (p, "\xe2\x80\xa6") && g_ascii_isspace (p[3]))
        {
          p += 2;
          end = TRUE;
        }
      if (end)
        {
          g_ptr_array_add (units, g_strstrip (g_strndup (start, p + 1 - start)));
          start = p + 1;
        }
    }
  if (*start != '\0')
    g_ptr_array_add (units, g_strstrip (g_strdup (start)));

  for (guint i = 0; i < units->len; i++)
    {
      const char *u = g_ptr_array_index (units, i);
      guint u_words;

      if (*u == '\0')
        continue;
      u_words = count_words (u);
      if (join_fits (c, piece->str, piece_words, lines ? "\n" : " ", u, u_words, limit))
        {
          if (piece->len > 0)
            g_string_append_c (piece, lines ? '\n' : ' ');
          g_string_append (piece, u);
          piece_words += u_words;
          continue;
        }
      if (piece->len > 0)
        {
          add_piece (c, piece->str, block);
          g_string_truncate (piece, 0);
          piece_words = 0;
        }
      if (join_fits (c, "", 0, "", u, u_words, limit))
        {
          g_string_assign (piece, u);
          piece_words = u_words;
          continue;
        }
      /* A sentence over the budget: at spaces. */
      {
        g_auto(GStrv) words = g_strsplit_set (u, " \t\n", -1);

        for (guint k = 0; words[k] != NULL; k++)
          {
            guint w_words;

            if (words[k][0] == '\0')
              continue;
            w_words = count_words (words[k]);
            if (piece->len > 0 && !join_fits (c, piece->str, piece_words, " ", words[k], w_words, limit))
              {
                add_piece (c, piece->str, block);
                g_string_truncate (piece, 0);
                piece_words = 0;
              }
            if (piece->len > 0)
              g_string_append_c (piece, ' ');
            g_string_append (piece, words[k]);
            piece_words += w_words;
          }
      }
    }
  if (piece->len > 0)
    add_piece (c, piece->str, block);
  g_string_free (piece, TRUE);
}

GPtrArray *
hearth_doc_chunk (const HearthDocText        *text,
                  const HearthDocChunkParams *params)
{
  HearthDocChunkParams defaults;
  Chunker c = { 0 };
  guint page = 0;

  g_return_val_if_fail (text != NULL, NULL);

  if (params == NULL)
    {
      hearth_doc_chunk_params_init (&defaults);
      params = &defaults;
    }
  c.doc = text;
  c.params = params;
  c.chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_doc_chunk_free);
  c.parts = g_array_new (FALSE, FALSE, sizeof (Part));
  c.headings = g_ptr_array_new ();
  if (params->max_tokens == 0)
    {
      hearth_doc_chunk_params_init (&defaults);
      defaults.count = params->count;
      defaults.count_data = params->count_data;
      c.params = params = &defaults;
    }
  /* Overlap leaves at least half the budget to new text. */
  c.overlap = MIN (params->overlap, params->max_tokens / 2);

  for (guint i = 0; i < text->blocks->len; i++)
    {
      const HearthDocBlock *b = g_ptr_array_index (text->blocks, i);

      if (b->page != page)
        {
          finish (&c, FALSE);
          clear_parts (c.parts);
          page = b->page;
        }
      if (b->kind == HEARTH_DOC_BLOCK_HEADING)
        {
          finish (&c, FALSE);
          clear_parts (c.parts);
          while (c.headings->len > 0 &&
                 ((HearthDocBlock *) g_ptr_array_index (c.headings, c.headings->len - 1))->level >= b->level)
            g_ptr_array_set_size (c.headings, c.headings->len - 1);
          g_ptr_array_add (c.headings, (gpointer) b);
          continue;
        }
      if (count (&c, b->text) <= params->max_tokens - c.overlap)
        add_piece (&c, b->text, i);
      else
        add_split (&c, b->text, i, params->max_tokens - c.overlap, b->kind == HEARTH_DOC_BLOCK_PREFORMATTED);
    }
  finish (&c, FALSE);
  clear_parts (c.parts);
  g_array_unref (c.parts);
  g_ptr_array_unref (c.headings);
  return c.chunks;
}
