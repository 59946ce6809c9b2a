/* hearth-jinja-value.h: the helpers on template values (Python semantics over
 * HearthJsonValue) that the evaluator and the builtins both use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-jinja-private.h"

G_BEGIN_DECLS

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

G_END_DECLS
