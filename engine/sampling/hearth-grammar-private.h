/* hearth-grammar-private.h: the compiled grammar and its byte matcher
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A compiled grammar is a flat array of elements. Each rule has
 * alternatives; an alternative is a run of elements ended by an END
 * element. Elements are byte ranges (character classes are compiled to
 * UTF-8 byte sequences, so the matcher never sees a code point) or
 * references to rules. Grammars are checked free of left recursion.
 *
 * The matcher's state is a set of stacks of positions (indices of the
 * element each pending alternative expects next, innermost last). A stack
 * is kept only when its top is a byte range: references are expanded and
 * finished alternatives popped when the stack is made (closure). The empty
 * stack means the whole input is a sentence. A state is stored flat and
 * canonical (stacks sorted, no duplicates): [len, pos..., len, pos...], so
 * that equal states have equal bytes.
 */
#pragma once

#include <glib.h>

#include "hearth-constraint.h"

typedef enum
{
  GR_END,    /* end of an alternative */
  GR_BYTES,  /* one byte in [lo, hi] */
  GR_RULE,   /* the rule @rule */
} GrKind;

typedef struct
{
  guint8  kind;
  guint8  lo, hi;
  guint32 rule;
} GrElem;

struct _HearthGrammar
{
  gint     ref_count;
  GrElem  *elems;
  guint32  n_elems;
  guint32 *alt_start;   /* per rule: index into alts */
  guint32 *alt_count;
  guint32 *alts;        /* element index of each alternative's start */
  guint32  n_rules;
  guint32  root;
};

/* Stacks deeper than this are dropped (the language is cut there, never widened). */
#define GR_MAX_STACK 1024
/* A state with more stacks than this keeps the first ones. */
#define GR_MAX_STACKS 4096

typedef struct
{
  guint32 *flat;
  gsize    n_flat;
  guint32  n_stacks;
  gboolean accepting;   /* holds the empty stack */
  gboolean truncated;   /* limits cut something */
} GrState;

/* The state before any input. */
void     gr_state_initial (HearthGrammar *g, GrState *out);
/* The state after @byte, empty (n_stacks 0, not accepting) when dead. */
void     gr_state_advance (HearthGrammar *g, const GrState *in, guint8 byte, GrState *out);
void     gr_state_clear (GrState *s);
void     gr_state_copy (const GrState *in, GrState *out);
static inline gboolean
gr_state_dead (const GrState *s)
{
  return s->n_stacks == 0;
}
/* Stacks other than the empty one: more input can follow. */
static inline gboolean
gr_state_can_continue (const GrState *s)
{
  return s->n_stacks > (s->accepting ? 1u : 0u);
}

/* Builds GBNF for a tool call (hearth-json-schema.c). */
char *hearth_json_schema_tools_to_gbnf (HearthJsonValue *tools,
                                        const char      *open,
                                        const char      *close,
                                        GError         **error);
