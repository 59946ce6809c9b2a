/* hearth-jinja-render.h: the state of one rendering, shared by the evaluator
 * and the builtins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-jinja-value.h"

G_BEGIN_DECLS

typedef struct _JinjaFrame JinjaFrame;

enum
{
  JINJA_BREAK = 1,
  JINJA_CONTINUE = 2,
};

typedef struct _JinjaRender JinjaRender;

/* What the builtins need from the evaluator, handed to them in the render
 * state so that they do not call back into the file that calls them. */
typedef struct
{
  GPtrArray       *(*iterate) (JinjaRender *r, Node *at, HearthJsonValue *v);
  HearthJsonValue *(*getattr) (JinjaRender *r, Node *at, HearthJsonValue *obj, const char *name);
  HearthJsonValue *(*getitem) (JinjaRender *r, Node *at, HearthJsonValue *obj, HearthJsonValue *key);
  HearthJsonValue *(*binop)   (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a, HearthJsonValue *b);
  gboolean         (*compare) (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a, HearthJsonValue *b,
                               gboolean *out);
} JinjaEvaluator;

struct _JinjaRender
{
  HearthJinjaTemplate *t;
  HearthJsonValue     *context;
  GString             *out;         /* where output goes now (macros and blocks capture) */
  JinjaFrame          *top;
  HearthJsonValue     *block_input; /* the captured text a block's filter chain starts from */
  guint64              iterations;
  guint                call_depth;
  int                  control;     /* JINJA_BREAK / JINJA_CONTINUE pending */
  GDateTime           *now;
  GError              *error;
  const JinjaEvaluator *eval;       /* the evaluator's services, for the builtins */
};

typedef struct
{
  GPtrArray *items; /* HearthJsonValue*, after the loop's if-filter */
  guint      index0;
} JinjaLoop;

/* Evaluated call arguments: positional, and keyword names with their values. */
typedef struct
{
  GPtrArray *args;
  GPtrArray *kwnames; /* const char*, may be NULL */
  GPtrArray *kwvals;
  HearthJsonValue *caller; /* {% call %}: the caller() a macro sees, or NULL */
} JinjaArgs;

/* Records the first error of the rendering (later ones are dropped); FALSE. */
gboolean         jinja_fail (JinjaRender *r, Node *at, int code, const char *format, ...) G_GNUC_PRINTF (4, 5);
gboolean         jinja_fail_undefined (JinjaRender *r, Node *at, const HearthJsonValue *undef);
gboolean         jinja_check_size (JinjaRender *r, Node *at, gsize len);

G_END_DECLS
