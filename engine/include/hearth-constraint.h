/* hearth-constraint.h: generation constrained by a grammar or a JSON Schema
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A HearthGrammar is a compiled context-free grammar over bytes, made from
 * GBNF text (the llama.cpp format: rules, alternation, sequences, groups,
 * literals with escapes, character classes with ranges and negation, *, +,
 * ?, {m}, {m,}, {m,n}) or from a JSON Schema (hearth_json_schema_to_gbnf
 * says which subset). It is immutable once made: ref it and share it
 * between threads freely.
 *
 * A HearthConstraint runs a grammar over one tokenizer's vocabulary. At each
 * step it gives the set of tokens that keep the output a prefix of the
 * language (the mask); end-of-generation tokens are in it only where the
 * output is complete. Attached to a HearthSampler, the sampler masks the
 * logits before its chain (penalties, greedy or top-k/top-p/min-p and
 * temperature work on what remains) and feeds the picked token back. A
 * constraint carries the state of one generation: it is used by one thread
 * at a time, like the session it runs beside, and hearth_constraint_reset()
 * makes it ready for the next one.
 *
 * Tokens are matched as the bytes hearth_tokenizer_append_token_bytes()
 * gives (SentencePiece's U+2581 as a space, byte tokens as their byte).
 * Control tokens are never allowed, except end-of-generation tokens where
 * the output is complete and those whose text is one of the markers of a
 * lazy constraint (e.g. Qwen's <tool_call>).
 *
 * Lazy mode (tool calls): generation is free until the trigger text appears
 * in the output; the grammar then constrains what follows and, once the
 * grammar's language is complete with nothing more it could take (the
 * closing marker written), the constraint lets go until the next trigger.
 *
 * Errors are HEARTH_ENGINE_ERROR_INVALID_ARGUMENT for malformed text (with
 * line, column and byte offset), UNSUPPORTED for a schema feature that is
 * not handled (naming it) and LIMIT for input beyond the bounds below.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-json.h"
#include "hearth-tokenizer.h"

G_BEGIN_DECLS

#define HEARTH_GRAMMAR_MAX_TEXT      (1024 * 1024) /* bytes of grammar or schema text */
#define HEARTH_GRAMMAR_MAX_RULES     20000         /* rules, helper rules included */
#define HEARTH_GRAMMAR_MAX_ELEMENTS  2000000       /* compiled elements */
#define HEARTH_GRAMMAR_MAX_NESTING   64            /* nested groups, or nested schemas */
#define HEARTH_GRAMMAR_MAX_REPEAT    1000          /* m and n of {m,n} */
#define HEARTH_SCHEMA_MAX_ENUM       1000          /* values of an enum */

typedef struct _HearthGrammar HearthGrammar;
typedef struct _HearthConstraint HearthConstraint;

/* GBNF @text (@len -1: NUL-terminated); the start rule is "root".
 * Alternatives through a rule that can never end (every one of its
 * alternatives refers back to it) are dropped; a grammar whose root can
 * never end accepts nothing and is refused (INVALID_ARGUMENT). */
HearthGrammar *hearth_grammar_new_from_gbnf (const char *text,
                                             gssize      len,
                                             GError    **error);
/* A JSON Schema document, through hearth_json_schema_to_gbnf(). */
HearthGrammar *hearth_grammar_new_from_json_schema (const char *text,
                                                    gssize      len,
                                                    GError    **error);
HearthGrammar *hearth_grammar_ref (HearthGrammar *self);
void           hearth_grammar_unref (HearthGrammar *self);
guint          hearth_grammar_get_n_rules (HearthGrammar *self);
/* The longest sentence of the language, in bytes, into @max_bytes (may
 * be NULL): TRUE when the language is finite, FALSE when it is not (a *,
 * + or {m,} repetition, or a string without maxLength; any recursion
 * root reaches). Computed from the grammar
 * alone, in time linear in its size: the longest sentence of each rule is
 * the widest of its alternatives (a character class counts as its widest
 * character's UTF-8 bytes); it saturates at G_MAXUINT64. A constrained
 * generation's output is never longer, so it writes at most that many
 * tokens before the end (every allowed token has at least one byte). The
 * limits the matcher applies (GR_MAX_STACK) only cut the language. */
gboolean       hearth_grammar_get_max_bytes (HearthGrammar *self,
                                             guint64       *max_bytes);

/* The GBNF of the JSON values @schema accepts. Supported: type (one or a
 * list) object (properties, required; additionalProperties absent or
 * false: only the listed properties, in their order), array (items,
 * minItems, maxItems), string (minLength, maxLength, format date, time,
 * date-time, uuid), integer and number (minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum; integers of at most 15 digits, numbers without
 * exponent, at most 15 fraction digits), boolean, null, enum, const, anyOf,
 * oneOf (only with branches of disjoint types), $ref to #/$defs/ or
 * #/definitions/ (not cyclic), and the annotations title, description,
 * default, examples, $schema, $id, $comment. Any other keyword is an
 * UNSUPPORTED error that names it. Whitespace between tokens is at most 4
 * of space, tab or newline. */
char          *hearth_json_schema_to_gbnf (const char *text,
                                           gssize      len,
                                           GError    **error);

/* The grammar of one tool call, {"name": N, "arguments": A} with N one of
 * @tools' names and A that tool's parameters schema, followed by @close
 * (may be NULL); preceded by @open when not NULL (the "tool required" form
 * constrains from the first token, marker included). @tools is an array as
 * hearth_chat_set_tools() takes. A tool without parameters takes {}. */
HearthGrammar *hearth_grammar_new_for_tools (HearthJsonValue *tools,
                                             const char      *open,
                                             const char      *close,
                                             GError         **error);

/* Constrains from the first token. The tokenizer is kept (ref). Building
 * the vocabulary's token trie costs one pass over the vocabulary. */
HearthConstraint *hearth_constraint_new (HearthGrammar   *grammar,
                                         HearthTokenizer *tokenizer,
                                         GError         **error);
/* Free until @trigger appears in the output, then @grammar constrains
 * what follows the trigger; @markers (NULL-terminated, may be NULL) are
 * texts of control tokens the grammar may write (e.g. "</tool_call>"). */
HearthConstraint *hearth_constraint_new_lazy (HearthGrammar     *grammar,
                                              HearthTokenizer   *tokenizer,
                                              const char        *trigger,
                                              const char *const *markers,
                                              GError           **error);
/* A tool-call constraint for a Hermes/Qwen-style template: lazy at
 * @open ("<tool_call>"), or constrained from the first token with
 * @required. Fails when @tools holds none or a schema is unsupported. */
HearthConstraint *hearth_constraint_new_for_tools (HearthJsonValue *tools,
                                                   HearthTokenizer *tokenizer,
                                                   const char      *open,
                                                   const char      *close,
                                                   gboolean         required,
                                                   GError         **error);
HearthConstraint *hearth_constraint_ref (HearthConstraint *self);
void              hearth_constraint_unref (HearthConstraint *self);

/* Back to the start (and, lazy, to free generation). */
void     hearth_constraint_reset (HearthConstraint *self);
/* The allowed tokens now, one bit per id (bit i % 32 of word i / 32),
 * n_vocab bits; valid until the next accept or reset. Never NULL. */
const guint32 *hearth_constraint_get_mask (HearthConstraint *self);
/* The same set by the reference path: every token's bytes decoded and run
 * through the grammar from the current state, nothing cached. For tests;
 * @mask has room for n_vocab bits. */
void     hearth_constraint_get_mask_reference (HearthConstraint *self,
                                               guint32          *mask);
/* Moves past @id. FALSE (the state kept) when @id is not allowed. */
gboolean hearth_constraint_accept_token (HearthConstraint *self,
                                         gint32            id);
/* TRUE when the grammar is active: always for a plain constraint, after
 * the trigger for a lazy one. */
gboolean hearth_constraint_is_active (HearthConstraint *self);
/* TRUE when active and the output so far is a complete sentence. */
gboolean hearth_constraint_is_accepting (HearthConstraint *self);
/* TRUE when a plain constraint's output is complete and nothing more can follow. */
gboolean hearth_constraint_is_complete (HearthConstraint *self);
guint32  hearth_constraint_get_n_vocab (HearthConstraint *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthGrammar, hearth_grammar_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthConstraint, hearth_constraint_unref)

G_END_DECLS
