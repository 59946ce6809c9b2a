/* hearth-jinja-builtins.h: what the evaluator and the builtin filters, tests,
 * functions and methods share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-jinja-private.h"

G_BEGIN_DECLS

typedef struct _JinjaFrame JinjaFrame;

enum
{
  JINJA_BREAK = 1,
  JINJA_CONTINUE = 2,
};

typedef struct
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
} JinjaRender;

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

/* values */
HearthJsonValue *jv_undefined (const char *format, ...) G_GNUC_PRINTF (1, 2);
HearthJsonValue *jv_seq_new (guint8 type, guint reserve);
void             jv_seq_append (HearthJsonValue *seq, HearthJsonValue *item);
HearthJsonValue *jv_seq_from_items (guint8 type, GPtrArray *items);
HearthJsonValue *jv_string_from_gstring (GString *s);
gboolean         jv_is_seq (const HearthJsonValue *v);
gboolean         jv_is_map (const HearthJsonValue *v);
gboolean         jv_is_number (const HearthJsonValue *v);
double           jv_as_double (const HearthJsonValue *v);
gint64           jv_as_int (const HearthJsonValue *v);
gboolean         jv_truthy (const HearthJsonValue *v);
void             jv_append_str (GString *out, const HearthJsonValue *v);
void             jv_append_repr (GString *out, const HearthJsonValue *v, guint depth);
char            *jv_to_str (const HearthJsonValue *v, gsize *len);
HearthJsonValue *jv_str_value (HearthJsonValue *v);
char            *jv_object_type_repr (const HearthJsonValue *v);
HearthJsonValue *jv_html_escape (HearthJsonValue *v);

/* evaluator services */
gboolean         jinja_fail (JinjaRender *r, Node *at, int code, const char *format, ...) G_GNUC_PRINTF (4, 5);
gboolean         jinja_fail_undefined (JinjaRender *r, Node *at, const HearthJsonValue *undef);
gboolean         jinja_check_size (JinjaRender *r, Node *at, gsize len);
GPtrArray       *jinja_iterate (JinjaRender *r, Node *at, HearthJsonValue *v);
HearthJsonValue *jinja_getattr (JinjaRender *r, Node *at, HearthJsonValue *obj, const char *name);
HearthJsonValue *jinja_getitem (JinjaRender *r, Node *at, HearthJsonValue *obj, HearthJsonValue *key);
HearthJsonValue *jinja_binop (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a, HearthJsonValue *b);
gboolean         jinja_compare (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a, HearthJsonValue *b,
                                gboolean *out);
gboolean         jinja_contains (JinjaRender *r, Node *at, HearthJsonValue *item, HearthJsonValue *container,
                                 gboolean *out);
HearthJsonValue *jinja_call_macro (JinjaRender *r, Node *at, HearthJsonValue *macro, JinjaArgs *a);
void             jinja_frame_set (JinjaFrame *f, const char *name, HearthJsonValue *value);

/* builtins (hearth-jinja-builtins.c) */
HearthJsonValue *jinja_global (const char *name);
HearthJsonValue *jinja_percent_format (JinjaRender *r, Node *at, HearthJsonValue *fmt, HearthJsonValue *args);
gboolean         jinja_filter_exists (const char *name);
gboolean         jinja_test_exists (const char *name);
HearthJsonValue *jinja_bound_method (HearthJsonValue *self, const char *name);
HearthJsonValue *jinja_call_function (JinjaRender *r, Node *at, HearthJsonValue *fn, JinjaArgs *a);
HearthJsonValue *jinja_apply_filter (JinjaRender *r, Node *at, const char *name, HearthJsonValue *input,
                                     JinjaArgs *a);
gboolean         jinja_apply_test (JinjaRender *r, Node *at, const char *name, HearthJsonValue *input,
                                   JinjaArgs *a, gboolean *out);

G_END_DECLS
