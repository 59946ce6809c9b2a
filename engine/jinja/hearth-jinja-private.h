/* hearth-jinja-private.h: tokens, syntax tree and internals of the Jinja interpreter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-jinja.h"
#include "hearth-json-private.h"

G_BEGIN_DECLS

/* Nesting of blocks and expressions the parser accepts; it bounds the C
 * stack both the parser and the evaluator use. */
#define JINJA_MAX_NESTING 100

typedef enum
{
  TOK_TEXT,
  TOK_VAR_BEGIN,
  TOK_VAR_END,
  TOK_BLOCK_BEGIN,
  TOK_BLOCK_END,
  TOK_NAME,
  TOK_STRING,
  TOK_INT,
  TOK_FLOAT,
  TOK_OP,
  TOK_EOF,
} TokKind;

typedef struct
{
  TokKind     kind;
  guint       offset;  /* byte offset in the source, for line and column */
  const char *text;    /* NAME, OP: interned in the template; TEXT, STRING: owned by the token list */
  gsize       len;     /* TEXT, STRING */
  gint64      i;
  double      d;
} Token;

typedef enum
{
  /* expressions */
  N_LITERAL,
  N_NAME,
  N_LIST,
  N_TUPLE,
  N_DICT,
  N_GETATTR,
  N_GETITEM,
  N_SLICE,
  N_CALL,
  N_FILTER,
  N_TEST,
  N_NOT,
  N_NEG,
  N_POS,
  N_BINOP,
  N_CONCAT,
  N_AND,
  N_OR,
  N_COMPARE,
  N_COND,
  /* statements */
  N_TEXT,
  N_OUTPUT,
  N_IF,
  N_FOR,
  N_SET,
  N_SET_BLOCK,
  N_MACRO,
  N_FILTER_BLOCK,
  N_CALL_BLOCK,
  N_WITH,
  N_BREAK,
  N_CONTINUE,
} NodeKind;

typedef enum
{
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_FLOORDIV, OP_MOD, OP_POW,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NOT_IN,
} OpKind;

typedef struct _Node Node;

/* One node shape for every kind; the comments in the parser say which
 * fields each kind uses. */
struct _Node
{
  NodeKind         kind;
  OpKind           op;
  gboolean         flag;   /* TEST: negated */
  guint            offset; /* source position */
  const char      *name;   /* interned */
  int              builtin; /* FILTER, TEST: its index (jinja_filter_lookup, jinja_test_lookup) */
  HearthJsonValue *value;  /* LITERAL, TEXT */
  Node            *a, *b, *c, *d;
  GPtrArray       *list;   /* Node*: items, positional arguments, body */
  GPtrArray       *list2;  /* Node*: dict values, keyword values, else body, defaults */
  GPtrArray       *names;  /* const char*: keyword names, loop targets, macro parameters */
};

struct _HearthJinjaTemplate
{
  gatomicrefcount   ref_count;
  char             *source;
  gsize             source_len;
  GArray           *line_starts;  /* guint offsets */
  GHashTable       *interned;     /* names and operators */
  GPtrArray        *nodes;        /* every node, for freeing */
  GPtrArray        *body;         /* Node*: the top-level statements */
  HearthJinjaLimits limits;
  GDateTime        *now;
};

/* lexer: fills @tokens (Token), strings owned by @strings */
gboolean    jinja_lex (HearthJinjaTemplate *t, GArray *tokens, GPtrArray *strings, GError **error);
const char *jinja_intern (HearthJinjaTemplate *t, const char *s, gsize len);
void        jinja_position (HearthJinjaTemplate *t, guint offset, guint *line, guint *col);
void        jinja_set_error (HearthJinjaTemplate *t, GError **error, int code, guint offset,
                             const char *format, ...) G_GNUC_PRINTF (5, 6);

/* parser */
gboolean    jinja_parse (HearthJinjaTemplate *t, GArray *tokens, GError **error);

/* evaluator */
char       *jinja_render (HearthJinjaTemplate *t, HearthJsonValue *context, GError **error);

G_END_DECLS
