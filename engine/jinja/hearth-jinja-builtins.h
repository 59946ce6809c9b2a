/* hearth-jinja-builtins.h: the builtin filters, tests, functions and methods
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-jinja-render.h"

G_BEGIN_DECLS

/* builtins (hearth-jinja-builtins.c) */
HearthJsonValue *jinja_global (const char *name);
HearthJsonValue *jinja_percent_format (JinjaRender *r, Node *at, HearthJsonValue *fmt, HearthJsonValue *args);
/* The index of the filter or test named @name, or -1: the parser resolves
 * each name once and keeps the index in the node (Node.builtin). */
int              jinja_filter_lookup (const char *name);
int              jinja_test_lookup (const char *name);
HearthJsonValue *jinja_bound_method (HearthJsonValue *self, const char *name);
HearthJsonValue *jinja_call_function (JinjaRender *r, Node *at, HearthJsonValue *fn, JinjaArgs *a);
HearthJsonValue *jinja_apply_filter (JinjaRender *r, Node *at, int filter, HearthJsonValue *input,
                                     JinjaArgs *a);
gboolean         jinja_apply_test (JinjaRender *r, Node *at, int test, HearthJsonValue *input,
                                   JinjaArgs *a, gboolean *out);

G_END_DECLS
