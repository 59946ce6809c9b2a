/* hearth-jinja-value.c: truth, str(), repr() and sequences of template values
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Out of the evaluator so that the builtins can use them without depending
 * on the file that calls the builtins.
 */
#include "hearth-jinja-value.h"

#include <math.h>
#include <string.h>

HearthJsonValue *
jv_undefined (const char *format,
              ...)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_X_UNDEFINED);
  va_list args;

  va_start (args, format);
  v->u.undef.hint = g_strdup_vprintf (format, args);
  va_end (args);
  return v;
}

HearthJsonValue *
jv_seq_new (guint8 type,
            guint  reserve)
{
  HearthJsonValue *v = hearth_json_value_alloc (type);

  if (reserve > 0)
    {
      v->u.arr.items = g_new (HearthJsonValue *, reserve);
      v->u.arr.cap = reserve;
    }
  return v;
}

void
jv_seq_append (HearthJsonValue *seq,
               HearthJsonValue *item)
{
  if (seq->u.arr.n == seq->u.arr.cap)
    {
      seq->u.arr.cap = MAX (4, seq->u.arr.cap * 2);
      seq->u.arr.items = g_renew (HearthJsonValue *, seq->u.arr.items, seq->u.arr.cap);
    }
  seq->u.arr.items[seq->u.arr.n++] = item;
}

HearthJsonValue *
jv_string_from_gstring (GString *s)
{
  gsize len = s->len;

  return hearth_json_new_string_take (g_string_free (s, FALSE), len);
}

gboolean
jv_is_seq (const HearthJsonValue *v)
{
  return v->type == HEARTH_JSON_ARRAY || v->type == HEARTH_JSON_X_TUPLE || v->type == HEARTH_JSON_X_GENERATOR;
}

gboolean
jv_is_map (const HearthJsonValue *v)
{
  return v->type == HEARTH_JSON_OBJECT || v->type == HEARTH_JSON_X_NAMESPACE;
}

gboolean
jv_is_number (const HearthJsonValue *v)
{
  return v->type == HEARTH_JSON_INT || v->type == HEARTH_JSON_DOUBLE || v->type == HEARTH_JSON_BOOLEAN;
}

double
jv_as_double (const HearthJsonValue *v)
{
  switch (v->type)
    {
    case HEARTH_JSON_INT: return (double) v->u.i;
    case HEARTH_JSON_DOUBLE: return v->u.d;
    case HEARTH_JSON_BOOLEAN: return v->u.b ? 1.0 : 0.0;
    default: return 0.0;
    }
}

gint64
jv_as_int (const HearthJsonValue *v)
{
  switch (v->type)
    {
    case HEARTH_JSON_INT: return v->u.i;
    case HEARTH_JSON_DOUBLE: return (gint64) v->u.d;
    case HEARTH_JSON_BOOLEAN: return v->u.b ? 1 : 0;
    default: return 0;
    }
}

gboolean
jv_truthy (const HearthJsonValue *v)
{
  switch (v->type)
    {
    case HEARTH_JSON_NULL:
    case HEARTH_JSON_X_UNDEFINED:
      return FALSE;
    case HEARTH_JSON_BOOLEAN: return v->u.b;
    case HEARTH_JSON_INT: return v->u.i != 0;
    case HEARTH_JSON_DOUBLE: return v->u.d != 0.0;
    case HEARTH_JSON_STRING: return v->u.str.len > 0;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
      return v->u.arr.n > 0;
    case HEARTH_JSON_OBJECT: return v->u.obj.n > 0;
    default: return TRUE;
    }
}

/* Python's repr() of a str */
static void
append_str_repr (GString    *out,
                 const char *s,
                 gsize       len)
{
  gboolean has_single = memchr (s, '\'', len) != NULL;
  gboolean has_double = memchr (s, '"', len) != NULL;
  char quote = has_single && !has_double ? '"' : '\'';

  g_string_append_c (out, quote);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c == (guchar) quote)
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, quote);
}

void
jv_append_repr (GString               *out,
                const HearthJsonValue *v,
                guint                  depth)
{
  if (depth > 64)
    {
      g_string_append (out, "...");
      return;
    }
  switch (v->type)
    {
    case HEARTH_JSON_STRING:
      append_str_repr (out, v->u.str.data, v->u.str.len);
      break;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
      g_string_append_c (out, v->type == HEARTH_JSON_ARRAY ? '[' : '(');
      for (guint i = 0; i < v->u.arr.n; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          jv_append_repr (out, v->u.arr.items[i], depth + 1);
        }
      if (v->type == HEARTH_JSON_X_TUPLE && v->u.arr.n == 1)
        g_string_append_c (out, ',');
      g_string_append_c (out, v->type == HEARTH_JSON_ARRAY ? ']' : ')');
      break;
    case HEARTH_JSON_OBJECT:
      g_string_append_c (out, '{');
      for (guint i = 0; i < v->u.obj.n; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_str_repr (out, v->u.obj.members[i].key, v->u.obj.members[i].key_len);
          g_string_append (out, ": ");
          jv_append_repr (out, v->u.obj.members[i].value, depth + 1);
        }
      g_string_append_c (out, '}');
      break;
    default:
      jv_append_str (out, v);
    }
}

/* Python's str() */
void
jv_append_str (GString               *out,
               const HearthJsonValue *v)
{
  char buf[HEARTH_JSON_DOUBLE_BUF];

  switch (v->type)
    {
    case HEARTH_JSON_X_UNDEFINED:
      break;
    case HEARTH_JSON_NULL:
      g_string_append (out, "None");
      break;
    case HEARTH_JSON_BOOLEAN:
      g_string_append (out, v->u.b ? "True" : "False");
      break;
    case HEARTH_JSON_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v->u.i);
      break;
    case HEARTH_JSON_DOUBLE:
      hearth_json_format_double (v->u.d, buf);
      g_string_append (out, buf);
      break;
    case HEARTH_JSON_STRING:
      g_string_append_len (out, v->u.str.data, (gssize) v->u.str.len);
      break;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
    case HEARTH_JSON_OBJECT:
      jv_append_repr (out, v, 0);
      break;
    case HEARTH_JSON_X_GENERATOR:
      g_string_append (out, "<generator object>");
      break;
    case HEARTH_JSON_X_NAMESPACE:
      g_string_append (out, "<Namespace>");
      break;
    case HEARTH_JSON_X_MACRO:
      g_string_append_printf (out, "<Macro '%s'>", ((Node *) v->u.ext.data)->name);
      break;
    case HEARTH_JSON_X_FUNCTION:
      g_string_append_printf (out, "<built-in method %s>", (const char *) v->u.ext.data);
      break;
    default:
      g_string_append (out, "<object>");
    }
}

char *
jv_to_str (const HearthJsonValue *v,
           gsize                 *len)
{
  GString *s = g_string_new (NULL);

  jv_append_str (s, v);
  if (len != NULL)
    *len = s->len;
  return g_string_free (s, FALSE);
}

HearthJsonValue *
jv_str_value (HearthJsonValue *v)
{
  GString *s;

  if (v->type == HEARTH_JSON_STRING)
    return hearth_json_value_ref (v);
  s = g_string_new (NULL);
  jv_append_str (s, v);
  return jv_string_from_gstring (s);
}

/* Jinja's escape(): a Markup string stays as it is */
HearthJsonValue *
jv_html_escape (HearthJsonValue *v)
{
  GString *out;
  HearthJsonValue *res;

  if (v->type == HEARTH_JSON_STRING && v->u.str.markup)
    return hearth_json_value_ref (v);
  out = g_string_new (NULL);
  {
    g_autofree char *s = jv_to_str (v, NULL);
    for (const char *p = s; *p; p++)
      switch (*p)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&#34;"); break;
        case '\'': g_string_append (out, "&#39;"); break;
        default: g_string_append_c (out, *p);
        }
  }
  res = jv_string_from_gstring (out);
  res->u.str.markup = TRUE;
  return res;
}

/* "'dict object'" as Jinja2 names a value's type in undefined messages */
char *
jv_object_type_repr (const HearthJsonValue *v)
{
  if (v->type == HEARTH_JSON_NULL)
    return g_strdup ("'None'");
  if (v->type == HEARTH_JSON_BOOLEAN)
    return g_strdup (v->u.b ? "'True'" : "'False'");
  return g_strdup_printf ("'%s object'", hearth_json_type_name (v));
}

HearthJsonValue *
jv_seq_from_items (guint8     type,
                   GPtrArray *items)
{
  HearthJsonValue *seq = jv_seq_new (type, items->len);

  for (guint i = 0; i < items->len; i++)
    jv_seq_append (seq, hearth_json_value_ref (g_ptr_array_index (items, i)));
  return seq;
}
