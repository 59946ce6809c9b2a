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
gboolean         jinja_filter_exists (const char *name);
gboolean         jinja_test_exists (const char *name);
HearthJsonValue *jinja_bound_method (HearthJsonValue *self, const char *name);
HearthJsonValue *jinja_call_function (JinjaRender *r, Node *at, HearthJsonValue *fn, JinjaArgs *a);
HearthJsonValue *jinja_apply_filter (JinjaRender *r, Node *at, const char *name, HearthJsonValue *input,
                                     JinjaArgs *a);
gboolean         jinja_apply_test (JinjaRender *r, Node *at, const char *name, HearthJsonValue *input,
                                   JinjaArgs *a, gboolean *out);

G_END_DECLS
