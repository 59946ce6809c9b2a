/* hearth-constraint.c: allowed-token masks from a grammar, fast and by reference
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fast path. At creation every token's bytes are put in a trie, stored
 * in preorder: a node knows its depth and where its subtree ends, so a walk
 * that finds a prefix dead skips all tokens below it in one step. Matcher
 * states are interned into a lazily built DFA: each state keeps its 256
 * transitions (computed on first use) and its mask (computed on first
 * need), so a mask is one trie walk the first time a state is met and a
 * lookup afterwards, and no token text is ever decoded while generating.
 * The caches are bounded (states and masks); past the bound they are
 * dropped and rebuilt from the current state.
 *
 * The reference path decodes every token again and runs the matcher over
 * its bytes from the current state, sharing nothing with the fast path
 * beyond the matcher itself.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-grammar-private.h"

#define NEXT_UNKNOWN (-1)
#define NEXT_DEAD    (-2)
#define MAX_DSTATES  20000
#define MAX_MASKS    1024

enum { TOK_EXCLUDED, TOK_TEXT, TOK_EOG };

typedef struct
{
  GrState  st;
  gint32   next[256];
  guint32 *mask;
} DState;

typedef struct
{
  guint8  byte;
  guint32 depth;
  guint32 end;        /* preorder index just past the subtree */
  guint32 tok_start;
  guint32 tok_count;
} TrieNode;

struct _HearthConstraint
{
  gint             ref_count;
  HearthGrammar   *grammar;
  HearthTokenizer *tok;
  guint32          n_vocab;
  guint32          n_words;

  /* vocabulary */
  guint8          *kind;       /* per token */
  TrieNode        *nodes;
  guint32          n_nodes;
  guint32         *node_tokens;
  guint32          max_depth;
  gint32          *walk_states;
  guint8         **tok_bytes;  /* per token, for accept (NULL when excluded) */
  guint32         *tok_len;

  /* the lazy DFA */
  GPtrArray       *dstates;    /* DState* */
  GHashTable      *index;      /* DState* -> id + 1 */
  guint            n_masks;
  gint32           initial;
  gint32           cur;

  /* lazy mode */
  char            *trigger;
  gboolean         lazy;
  gboolean         active;
  GString         *window;
  guint32         *all_mask;
  guint32         *eog_mask;
};

static guint
dstate_hash (gconstpointer p)
{
  const DState *d = p;
  guint h = 2166136261u;

  for (gsize i = 0; i < d->st.n_flat; i++)
    h = (h ^ d->st.flat[i]) * 16777619u;
  return h;
}

static gboolean
dstate_equal (gconstpointer a,
              gconstpointer b)
{
  const DState *x = a, *y = b;

  return x->st.n_flat == y->st.n_flat && memcmp (x->st.flat, y->st.flat, x->st.n_flat * sizeof (guint32)) == 0;
}

static void
dstate_free (gpointer p)
{
  DState *d = p;

  gr_state_clear (&d->st);
  g_free (d->mask);
  g_free (d);
}

/* Takes @st. */
static gint32
intern (HearthConstraint *self,
        GrState          *st)
{
  DState key = { 0 };
  gpointer found;
  DState *d;

  key.st = *st;
  found = g_hash_table_lookup (self->index, &key);
  if (found != NULL)
    {
      gr_state_clear (st);
      return GPOINTER_TO_INT (found) - 1;
    }
  d = g_new (DState, 1);
  d->st = *st;
  d->mask = NULL;
  for (int i = 0; i < 256; i++)
    d->next[i] = NEXT_UNKNOWN;
  g_ptr_array_add (self->dstates, d);
  g_hash_table_insert (self->index, d, GINT_TO_POINTER ((gint) self->dstates->len));
  memset (st, 0, sizeof *st);
  return (gint32) self->dstates->len - 1;
}

static inline gint32
step (HearthConstraint *self,
      gint32            s,
      guint8            byte)
{
  DState *d = self->dstates->pdata[s];
  GrState out;
  gint32 n;

  if (G_LIKELY (d->next[byte] != NEXT_UNKNOWN))
    return d->next[byte];
  gr_state_advance (self->grammar, &d->st, byte, &out);
  if (gr_state_dead (&out))
    {
      gr_state_clear (&out);
      n = NEXT_DEAD;
    }
  else
    n = intern (self, &out);
  /* interning may have grown the array; d itself is a stable pointer */
  d->next[byte] = n;
  return n;
}

/* Drops every cached state but the current one when the caches are full. */
static void
maybe_flush (HearthConstraint *self)
{
  GrState keep, init;

  if (self->dstates->len < MAX_DSTATES && self->n_masks < MAX_MASKS)
    return;
  gr_state_copy (&((DState *) self->dstates->pdata[self->cur])->st, &keep);
  g_hash_table_remove_all (self->index);
  g_ptr_array_set_size (self->dstates, 0);
  self->n_masks = 0;
  gr_state_initial (self->grammar, &init);
  self->initial = intern (self, &init);
  self->cur = intern (self, &keep);
}

/* ---- the vocabulary ---- */

typedef struct
{
  const guint8 *bytes;
  guint32       len;
  guint32       id;
} TokRef;

static int
compare_tokref (const void *a,
                const void *b)
{
  const TokRef *x = a, *y = b;
  int c = memcmp (x->bytes, y->bytes, MIN (x->len, y->len));

  if (c != 0)
    return c;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct
{
  GArray *nodes;
  GArray *toks;
  guint32 max_depth;
} TrieBuild;

/* Tokens [lo, hi) share their first @depth bytes; the node for that prefix
 * has been added at @node. Adds its children's subtrees. */
static void
build_children (TrieBuild    *b,
                const TokRef *refs,
                guint32       lo,
                guint32       hi,
                guint32       depth,
                guint32       node)
{
  guint32 i = lo;

  g_array_index (b->nodes, TrieNode, node).tok_start = b->toks->len;
  while (i < hi && refs[i].len == depth)
    {
      g_array_append_val (b->toks, refs[i].id);
      i++;
    }
  g_array_index (b->nodes, TrieNode, node).tok_count = b->toks->len - g_array_index (b->nodes, TrieNode, node).tok_start;
  while (i < hi)
    {
      guint8 byte = refs[i].bytes[depth];
      guint32 j = i, child;
      TrieNode n = { byte, depth + 1, 0, 0, 0 };

      while (j < hi && refs[j].bytes[depth] == byte)
        j++;
      child = b->nodes->len;
      g_array_append_val (b->nodes, n);
      b->max_depth = MAX (b->max_depth, depth + 1);
      build_children (b, refs, i, j, depth + 1, child);
      g_array_index (b->nodes, TrieNode, child).end = b->nodes->len;
      i = j;
    }
}

static void
build_vocab (HearthConstraint  *self,
             const char *const *markers)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  g_autofree TokRef *refs = g_new (TokRef, self->n_vocab);
  guint32 n_refs = 0;
  TrieBuild b;
  TrieNode root = { 0, 0, 0, 0, 0 };

  self->kind = g_new0 (guint8, self->n_vocab);
  self->tok_bytes = g_new0 (guint8 *, self->n_vocab);
  self->tok_len = g_new0 (guint32, self->n_vocab);
  self->eog_mask = g_new0 (guint32, self->n_words);
  self->all_mask = g_new0 (guint32, self->n_words);
  for (guint32 id = 0; id < self->n_vocab; id++)
    {
      self->all_mask[id / 32] |= 1u << (id % 32);
      if (hearth_tokenizer_is_eog (self->tok, (gint32) id))
        {
          self->kind[id] = TOK_EOG;
          self->eog_mask[id / 32] |= 1u << (id % 32);
          continue;
        }
      g_string_truncate (buf, 0);
      if (hearth_tokenizer_is_control (self->tok, (gint32) id))
        {
          gboolean marker = FALSE;

          hearth_tokenizer_append_token_bytes (self->tok, (gint32) id, TRUE, buf);
          for (guint m = 0; markers != NULL && markers[m] != NULL; m++)
            if (buf->len > 0 && strcmp (buf->str, markers[m]) == 0)
              marker = TRUE;
          if (!marker)
            continue;
        }
      else
        hearth_tokenizer_append_token_bytes (self->tok, (gint32) id, FALSE, buf);
      if (buf->len == 0)
        continue;
      self->kind[id] = TOK_TEXT;
      self->tok_len[id] = (guint32) buf->len;
      self->tok_bytes[id] = g_memdup2 (buf->str, buf->len);
      refs[n_refs].bytes = self->tok_bytes[id];
      refs[n_refs].len = (guint32) buf->len;
      refs[n_refs].id = id;
      n_refs++;
    }
  qsort (refs, n_refs, sizeof (TokRef), compare_tokref);
  b.nodes = g_array_new (FALSE, FALSE, sizeof (TrieNode));
  b.toks = g_array_new (FALSE, FALSE, sizeof (guint32));
  b.max_depth = 0;
  g_array_append_val (b.nodes, root);
  build_children (&b, refs, 0, n_refs, 0, 0);
  g_array_index (b.nodes, TrieNode, 0).end = b.nodes->len;
  self->n_nodes = b.nodes->len;
  self->nodes = (TrieNode *) g_array_free (b.nodes, FALSE);
  self->node_tokens = (guint32 *) g_array_free (b.toks, FALSE);
  self->max_depth = b.max_depth;
  self->walk_states = g_new (gint32, b.max_depth + 1);
}

/* ---- construction ---- */

static HearthConstraint *
constraint_new (HearthGrammar     *grammar,
                HearthTokenizer   *tokenizer,
                const char        *trigger,
                const char *const *markers,
                GError           **error)
{
  HearthConstraint *self;
  GrState init;

  g_return_val_if_fail (grammar != NULL && tokenizer != NULL, NULL);
  if (hearth_tokenizer_get_n_vocab (tokenizer) == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "the vocabulary is empty");
      return NULL;
    }
  gr_state_initial (grammar, &init);
  if (gr_state_dead (&init))
    {
      gr_state_clear (&init);
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "the grammar accepts nothing");
      return NULL;
    }
  self = g_new0 (HearthConstraint, 1);
  self->ref_count = 1;
  self->grammar = hearth_grammar_ref (grammar);
  self->tok = hearth_tokenizer_ref (tokenizer);
  self->n_vocab = hearth_tokenizer_get_n_vocab (tokenizer);
  self->n_words = (self->n_vocab + 31) / 32;
  self->dstates = g_ptr_array_new_with_free_func (dstate_free);
  self->index = g_hash_table_new (dstate_hash, dstate_equal);
  self->initial = intern (self, &init);
  self->cur = self->initial;
  self->lazy = trigger != NULL;
  self->trigger = g_strdup (trigger);
  self->window = g_string_new (NULL);
  self->active = !self->lazy;
  build_vocab (self, markers);
  return self;
}

HearthConstraint *
hearth_constraint_new (HearthGrammar   *grammar,
                       HearthTokenizer *tokenizer,
                       GError         **error)
{
  return constraint_new (grammar, tokenizer, NULL, NULL, error);
}

HearthConstraint *
hearth_constraint_new_lazy (HearthGrammar     *grammar,
                            HearthTokenizer   *tokenizer,
                            const char        *trigger,
                            const char *const *markers,
                            GError           **error)
{
  g_return_val_if_fail (trigger != NULL && trigger[0] != '\0', NULL);
  return constraint_new (grammar, tokenizer, trigger, markers, error);
}

HearthConstraint *
hearth_constraint_new_for_tools (HearthJsonValue *tools,
                                 HearthTokenizer *tokenizer,
                                 const char      *open,
                                 const char      *close,
                                 gboolean         required,
                                 GError         **error)
{
  g_autoptr(HearthGrammar) g = NULL;
  const char *markers[] = { open, close, NULL };

  g_return_val_if_fail (open != NULL && close != NULL, NULL);
  g = hearth_grammar_new_for_tools (tools, required ? open : NULL, close, error);
  if (g == NULL)
    return NULL;
  return constraint_new (g, tokenizer, required ? NULL : open, markers, error);
}

HearthConstraint *
hearth_constraint_ref (HearthConstraint *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
hearth_constraint_unref (HearthConstraint *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_hash_table_unref (self->index);
  g_ptr_array_unref (self->dstates);
  for (guint32 i = 0; i < self->n_vocab; i++)
    g_free (self->tok_bytes[i]);
  g_free (self->tok_bytes);
  g_free (self->tok_len);
  g_free (self->kind);
  g_free (self->nodes);
  g_free (self->node_tokens);
  g_free (self->walk_states);
  g_free (self->all_mask);
  g_free (self->eog_mask);
  g_free (self->trigger);
  g_string_free (self->window, TRUE);
  hearth_grammar_unref (self->grammar);
  hearth_tokenizer_unref (self->tok);
  g_free (self);
}

void
hearth_constraint_reset (HearthConstraint *self)
{
  self->cur = self->initial;
  self->active = !self->lazy;
  g_string_truncate (self->window, 0);
}

guint32
hearth_constraint_get_n_vocab (HearthConstraint *self)
{
  return self->n_vocab;
}

gboolean
hearth_constraint_is_active (HearthConstraint *self)
{
  return self->active;
}

static DState *
current (HearthConstraint *self)
{
  return self->dstates->pdata[self->cur];
}

gboolean
hearth_constraint_is_accepting (HearthConstraint *self)
{
  return self->active && current (self)->st.accepting;
}

gboolean
hearth_constraint_is_complete (HearthConstraint *self)
{
  return !self->lazy && current (self)->st.accepting && !gr_state_can_continue (&current (self)->st);
}

/* ---- masks ---- */

const guint32 *
hearth_constraint_get_mask (HearthConstraint *self)
{
  DState *d;
  gint32 *states = self->walk_states;
  guint32 *mask;

  if (!self->active)
    return self->all_mask;
  maybe_flush (self);
  d = current (self);
  if (d->mask != NULL)
    return d->mask;

  mask = g_new0 (guint32, self->n_words);
  states[0] = self->cur;
  for (guint32 i = 1; i < self->n_nodes;)
    {
      const TrieNode *n = &self->nodes[i];
      gint32 s = step (self, states[n->depth - 1], n->byte);

      if (s < 0)
        {
          i = n->end;
          continue;
        }
      states[n->depth] = s;
      for (guint32 k = 0; k < n->tok_count; k++)
        {
          guint32 id = self->node_tokens[n->tok_start + k];

          mask[id / 32] |= 1u << (id % 32);
        }
      i++;
    }
  d = current (self);
  if (d->st.accepting)
    for (guint32 w = 0; w < self->n_words; w++)
      mask[w] |= self->eog_mask[w];
  d->mask = mask;
  self->n_masks++;
  return mask;
}

void
hearth_constraint_get_mask_reference (HearthConstraint *self,
                                      guint32          *mask)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  const GrState *start = &current (self)->st;

  memset (mask, 0, self->n_words * sizeof (guint32));
  if (!self->active)
    {
      for (guint32 id = 0; id < self->n_vocab; id++)
        mask[id / 32] |= 1u << (id % 32);
      return;
    }
  for (guint32 id = 0; id < self->n_vocab; id++)
    {
      GrState s;
      gboolean alive = TRUE;

      if (hearth_tokenizer_is_eog (self->tok, (gint32) id))
        {
          if (start->accepting)
            mask[id / 32] |= 1u << (id % 32);
          continue;
        }
      g_string_truncate (buf, 0);
      if (hearth_tokenizer_is_control (self->tok, (gint32) id))
        {
          /* only the markers the constraint was made with */
          if (self->kind[id] != TOK_TEXT)
            continue;
          hearth_tokenizer_append_token_bytes (self->tok, (gint32) id, TRUE, buf);
        }
      else
        hearth_tokenizer_append_token_bytes (self->tok, (gint32) id, FALSE, buf);
      if (buf->len == 0)
        continue;
      gr_state_copy (start, &s);
      for (gsize i = 0; i < buf->len && alive; i++)
        {
          GrState next;

          gr_state_advance (self->grammar, &s, (guint8) buf->str[i], &next);
          gr_state_clear (&s);
          s = next;
          alive = !gr_state_dead (&s);
        }
      gr_state_clear (&s);
      if (alive)
        mask[id / 32] |= 1u << (id % 32);
    }
}

static void
release_if_done (HearthConstraint *self)
{
  if (self->lazy && current (self)->st.accepting && !gr_state_can_continue (&current (self)->st))
    {
      self->active = FALSE;
      self->cur = self->initial;
      g_string_truncate (self->window, 0);
    }
}

gboolean
hearth_constraint_accept_token (HearthConstraint *self,
                                gint32            id)
{
  gint32 s;

  if (id < 0 || (guint32) id >= self->n_vocab)
    return FALSE;
  if (!self->active)
    {
      const char *hit;
      gsize tlen = strlen (self->trigger);

      hearth_tokenizer_append_token_bytes (self->tok, id, TRUE, self->window);
      hit = g_strstr_len (self->window->str, (gssize) self->window->len, self->trigger);
      if (hit == NULL)
        {
          if (self->window->len >= tlen)
            g_string_erase (self->window, 0, (gssize) (self->window->len - tlen + 1));
          return TRUE;
        }
      /* The grammar starts right after the trigger, with the rest of this token. */
      s = self->initial;
      for (const char *p = hit + tlen; p < self->window->str + self->window->len && s >= 0; p++)
        s = step (self, s, (guint8) *p);
      g_string_truncate (self->window, 0);
      if (s >= 0)
        {
          self->active = TRUE;
          self->cur = s;
          release_if_done (self);
        }
      return TRUE;
    }
  if (self->kind[id] == TOK_EOG)
    return current (self)->st.accepting;
  if (self->kind[id] != TOK_TEXT)
    return FALSE;
  s = self->cur;
  for (guint32 i = 0; i < self->tok_len[id] && s >= 0; i++)
    s = step (self, s, self->tok_bytes[id][i]);
  if (s < 0)
    return FALSE;
  self->cur = s;
  release_if_done (self);
  return TRUE;
}
