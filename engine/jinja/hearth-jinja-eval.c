/* hearth-jinja-eval.c: runs a parsed template over a JSON context
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Values follow Python's semantics where templates can observe them (truth,
 * equality, str() and repr(), + on str/list, integer vs float arithmetic,
 * slicing by code point), and Jinja2's default Undefined: printing it gives
 * "", iterating it gives nothing, testing it is false, but arithmetic,
 * attribute access and comparisons on it raise UndefinedError with the
 * message of the lookup that failed.
 *
 * Scopes: each for-loop iteration gets a fresh scope (set inside the loop
 * neither leaks out nor carries to the next iteration), a macro call gets a fresh scope over the
 * template's top level, and if/else share the scope they are in.
 */
#include "hearth-engine-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-jinja-builtins.h"

static GPtrArray       *eval_iterate (JinjaRender *r, Node *at, HearthJsonValue *v);
static HearthJsonValue *eval_getattr (JinjaRender *r, Node *at, HearthJsonValue *obj, const char *name);
static HearthJsonValue *eval_getitem (JinjaRender *r, Node *at, HearthJsonValue *obj, HearthJsonValue *key);
static HearthJsonValue *eval_binop (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a, HearthJsonValue *b);
static gboolean         eval_compare (JinjaRender *r, Node *at, OpKind op, HearthJsonValue *a,
                                      HearthJsonValue *b, gboolean *out);

/* The services the builtins call back through (JinjaRender.eval). */
static const JinjaEvaluator evaluator = {
  eval_iterate,
  eval_getattr,
  eval_getitem,
  eval_binop,
  eval_compare,
};

/* ---- rendering state ---- */

typedef struct
{
  const char      *name;
  HearthJsonValue *value;
} Var;

struct _JinjaFrame
{
  JinjaFrame *parent;
  GArray     *vars; /* Var */
};

static JinjaFrame *
frame_new (JinjaFrame *parent)
{
  JinjaFrame *f = g_new0 (JinjaFrame, 1);

  f->parent = parent;
  f->vars = g_array_new (FALSE, FALSE, sizeof (Var));
  return f;
}

static void
frame_free (JinjaFrame *f)
{
  for (guint i = 0; i < f->vars->len; i++)
    hearth_json_value_unref (g_array_index (f->vars, Var, i).value);
  g_array_unref (f->vars);
  g_free (f);
}

/* takes @value */
static void
frame_set (JinjaFrame      *f,
                 const char      *name,
                 HearthJsonValue *value)
{
  Var v;

  for (guint i = 0; i < f->vars->len; i++)
    {
      Var *var = &g_array_index (f->vars, Var, i);
      if (strcmp (var->name, name) == 0)
        {
          hearth_json_value_unref (var->value);
          var->value = value;
          return;
        }
    }
  v.name = name;
  v.value = value;
  g_array_append_val (f->vars, v);
}

static void
frame_clear (JinjaFrame *f)
{
  for (guint i = 0; i < f->vars->len; i++)
    hearth_json_value_unref (g_array_index (f->vars, Var, i).value);
  g_array_set_size (f->vars, 0);
}

static HearthJsonValue *
frame_lookup (JinjaFrame *f,
              const char *name)
{
  for (; f != NULL; f = f->parent)
    for (guint i = f->vars->len; i > 0; i--)
      {
        Var *var = &g_array_index (f->vars, Var, i - 1);
        if (strcmp (var->name, name) == 0)
          return var->value;
      }
  return NULL;
}

static gboolean
emit (JinjaRender *r,
      Node        *at,
      const char  *s,
      gsize        len)
{
  if (!jinja_check_size (r, at, r->out->len + len))
    return FALSE;
  g_string_append_len (r->out, s, (gssize) len);
  return TRUE;
}

/* ---- sequences ---- */

/* The items a for loop or a filter iterates: a new array of new refs. */
static GPtrArray *
eval_iterate (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *v)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);

  switch (v->type)
    {
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
    case HEARTH_JSON_X_GENERATOR:
      for (guint i = 0; i < v->u.arr.n; i++)
        g_ptr_array_add (items, hearth_json_value_ref (v->u.arr.items[i]));
      return items;
    case HEARTH_JSON_OBJECT:
    case HEARTH_JSON_X_NAMESPACE:
      for (guint i = 0; i < v->u.obj.n; i++)
        g_ptr_array_add (items, hearth_json_new_string (v->u.obj.members[i].key,
                                                        (gssize) v->u.obj.members[i].key_len));
      return items;
    case HEARTH_JSON_STRING:
      for (const char *p = v->u.str.data; p < v->u.str.data + v->u.str.len; p = g_utf8_next_char (p))
        g_ptr_array_add (items, hearth_json_new_string (p, g_utf8_next_char (p) - p));
      return items;
    case HEARTH_JSON_X_UNDEFINED:
      return items;
    default:
      g_ptr_array_unref (items);
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: '%s' object is not iterable",
                  hearth_json_type_name (v));
      return NULL;
    }
}

/* ---- attribute and item access ---- */

static HearthJsonValue *
missing_attr (const HearthJsonValue *obj,
              const char            *name)
{
  g_autofree char *type = jv_object_type_repr (obj);

  return jv_undefined ("%s has no attribute '%s'", type, name);
}

static HearthJsonValue *
loop_attr (JinjaRender     *r,
           HearthJsonValue *loop,
           const char      *name)
{
  JinjaLoop *st = loop->u.ext.data;
  guint i = st->index0, n = st->items->len;

  if (strcmp (name, "index") == 0)
    return hearth_json_new_int (i + 1);
  if (strcmp (name, "index0") == 0)
    return hearth_json_new_int (i);
  if (strcmp (name, "revindex") == 0)
    return hearth_json_new_int (n - i);
  if (strcmp (name, "revindex0") == 0)
    return hearth_json_new_int (n - i - 1);
  if (strcmp (name, "first") == 0)
    return hearth_json_new_boolean (i == 0);
  if (strcmp (name, "last") == 0)
    return hearth_json_new_boolean (i + 1 == n);
  if (strcmp (name, "length") == 0)
    return hearth_json_new_int (n);
  if (strcmp (name, "depth") == 0)
    return hearth_json_new_int (1);
  if (strcmp (name, "depth0") == 0)
    return hearth_json_new_int (0);
  if (strcmp (name, "previtem") == 0)
    return i > 0 ? hearth_json_value_ref (g_ptr_array_index (st->items, i - 1))
                 : jv_undefined ("there is no previous item");
  if (strcmp (name, "nextitem") == 0)
    return i + 1 < n ? hearth_json_value_ref (g_ptr_array_index (st->items, i + 1))
                     : jv_undefined ("there is no next item");
  if (strcmp (name, "cycle") == 0)
    return jinja_bound_method (loop, "cycle");
  return missing_attr (loop, name);
}

/* obj.name: methods first, then members (Jinja's getattr) */
static HearthJsonValue *
eval_getattr (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *obj,
               const char      *name)
{
  HearthJsonValue *m;

  if (obj->type == HEARTH_JSON_X_UNDEFINED)
    {
      jinja_fail_undefined (r, at, obj);
      return NULL;
    }
  if (obj->type == HEARTH_JSON_X_LOOP)
    return loop_attr (r, obj, name);
  m = jinja_bound_method (obj, name);
  if (m != NULL)
    return m;
  if (jv_is_map (obj))
    {
      HearthJsonMember *mem = hearth_json_object_find_member (obj, name, strlen (name));
      if (mem != NULL)
        return hearth_json_value_ref (mem->value);
    }
  return missing_attr (obj, name);
}

static gboolean
resolve_index (gint64  i,
               guint   n,
               guint  *out)
{
  if (i < 0)
    i += n;
  if (i < 0 || i >= (gint64) n)
    return FALSE;
  *out = (guint) i;
  return TRUE;
}

/* obj[key]: members and elements first, then methods (Jinja's getitem) */
static HearthJsonValue *
eval_getitem (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *obj,
               HearthJsonValue *key)
{
  guint idx;

  if (obj->type == HEARTH_JSON_X_UNDEFINED)
    {
      jinja_fail_undefined (r, at, obj);
      return NULL;
    }
  if (jv_is_map (obj) && key->type == HEARTH_JSON_STRING)
    {
      HearthJsonMember *mem = hearth_json_object_find_member (obj, key->u.str.data, key->u.str.len);
      if (mem != NULL)
        return hearth_json_value_ref (mem->value);
    }
  if ((obj->type == HEARTH_JSON_ARRAY || obj->type == HEARTH_JSON_X_TUPLE) &&
      (key->type == HEARTH_JSON_INT || key->type == HEARTH_JSON_BOOLEAN))
    {
      if (resolve_index (jv_as_int (key), obj->u.arr.n, &idx))
        return hearth_json_value_ref (obj->u.arr.items[idx]);
    }
  if (obj->type == HEARTH_JSON_STRING && (key->type == HEARTH_JSON_INT || key->type == HEARTH_JSON_BOOLEAN))
    {
      gsize n = hearth_json_string_n_chars (obj);
      if (resolve_index (jv_as_int (key), (guint) MIN (n, G_MAXUINT), &idx))
        {
          const char *p = g_utf8_offset_to_pointer (obj->u.str.data, idx);
          return hearth_json_new_string (p, g_utf8_next_char (p) - p);
        }
    }
  if (obj->type == HEARTH_JSON_X_LOOP && key->type == HEARTH_JSON_STRING)
    return loop_attr (r, obj, key->u.str.data);
  if (key->type == HEARTH_JSON_STRING)
    {
      HearthJsonValue *m = jinja_bound_method (obj, key->u.str.data);
      if (m != NULL)
        return m;
      return missing_attr (obj, key->u.str.data);
    }
  {
    g_autofree char *type = jv_object_type_repr (obj);
    g_autoptr(GString) k = g_string_new (NULL);
    jv_append_repr (k, key, 0);
    return jv_undefined ("%s has no element %s", type, k->str);
  }
}

/* Python slice indices for a sequence of @n */
static void
slice_indices (gint64  n,
               gboolean has_start, gint64 start,
               gboolean has_stop, gint64 stop,
               gint64  step,
               gint64 *out_start,
               gint64 *out_stop)
{
  if (step > 0)
    {
      if (!has_start)
        start = 0;
      else if (start < 0)
        start = MAX (start + n, 0);
      else
        start = MIN (start, n);
      if (!has_stop)
        stop = n;
      else if (stop < 0)
        stop = MAX (stop + n, 0);
      else
        stop = MIN (stop, n);
    }
  else
    {
      if (!has_start)
        start = n - 1;
      else if (start < 0)
        start = MAX (start + n, -1);
      else
        start = MIN (start, n - 1);
      if (!has_stop)
        stop = -1;
      else if (stop < 0)
        stop = MAX (stop + n, -1);
      else
        stop = MIN (stop, n - 1);
    }
  *out_start = start;
  *out_stop = stop;
}

static gboolean
slice_bound (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *v,
             gboolean        *has,
             gint64          *out)
{
  *has = FALSE;
  if (v == NULL || v->type == HEARTH_JSON_NULL)
    return TRUE;
  if (v->type != HEARTH_JSON_INT && v->type != HEARTH_JSON_BOOLEAN)
    return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                       "TypeError: slice indices must be integers or None");
  *has = TRUE;
  *out = jv_as_int (v);
  return TRUE;
}

static HearthJsonValue *
do_slice (JinjaRender     *r,
          Node            *at,
          HearthJsonValue *obj,
          HearthJsonValue *vstart,
          HearthJsonValue *vstop,
          HearthJsonValue *vstep)
{
  gboolean has_start, has_stop, has_step;
  gint64 start = 0, stop = 0, step = 1, n;

  if (obj->type == HEARTH_JSON_X_UNDEFINED)
    {
      jinja_fail_undefined (r, at, obj);
      return NULL;
    }
  if (!slice_bound (r, at, vstart, &has_start, &start) || !slice_bound (r, at, vstop, &has_stop, &stop) ||
      !slice_bound (r, at, vstep, &has_step, &step))
    return NULL;
  if (!has_step)
    step = 1;
  if (step == 0)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ValueError: slice step cannot be zero");
      return NULL;
    }
  if (obj->type == HEARTH_JSON_ARRAY || obj->type == HEARTH_JSON_X_TUPLE)
    {
      HearthJsonValue *res = jv_seq_new (obj->type, 0);
      n = obj->u.arr.n;
      slice_indices (n, has_start, start, has_stop, stop, step, &start, &stop);
      for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
        jv_seq_append (res, hearth_json_value_ref (obj->u.arr.items[i]));
      return res;
    }
  if (obj->type == HEARTH_JSON_STRING)
    {
      g_autofree const char **chars = NULL;
      GString *s = g_string_new (NULL);
      gint64 k = 0;

      n = (gint64) hearth_json_string_n_chars (obj);
      chars = g_new (const char *, n + 1);
      for (const char *p = obj->u.str.data; k < n; p = g_utf8_next_char (p))
        chars[k++] = p;
      chars[n] = obj->u.str.data + obj->u.str.len;
      slice_indices (n, has_start, start, has_stop, stop, step, &start, &stop);
      if (step == 1)
        {
          if (stop > start)
            g_string_append_len (s, chars[start], chars[stop] - chars[start]);
        }
      else
        for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
          g_string_append_len (s, chars[i], chars[i + 1] - chars[i]);
      return jv_string_from_gstring (s);
    }
  jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: '%s' object is not subscriptable",
              hearth_json_type_name (obj));
  return NULL;
}

/* ---- operators ---- */

static const char *
op_symbol (OpKind op)
{
  static const char *const sym[] = { "+", "-", "*", "/", "//", "%", "**",
                                     "==", "!=", "<", "<=", ">", ">=", "in", "not in" };
  return sym[op];
}

static HearthJsonValue *
unsupported (JinjaRender           *r,
             Node                  *at,
             OpKind                 op,
             const HearthJsonValue *a,
             const HearthJsonValue *b)
{
  jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
              "TypeError: unsupported operand type(s) for %s: '%s' and '%s'",
              op_symbol (op), hearth_json_type_name (a), hearth_json_type_name (b));
  return NULL;
}

static HearthJsonValue *
repeat_seq (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *seq,
            gint64           times)
{
  if (seq->type == HEARTH_JSON_STRING)
    {
      GString *s;
      if (times <= 0 || seq->u.str.len == 0)
        return hearth_json_new_string ("", 0);
      if ((guint64) times > r->t->limits.max_output_bytes / seq->u.str.len + 1 ||
          !jinja_check_size (r, at, seq->u.str.len * (gsize) times))
        {
          jinja_check_size (r, at, G_MAXSIZE);
          return NULL;
        }
      s = g_string_sized_new (seq->u.str.len * (gsize) times);
      for (gint64 i = 0; i < times; i++)
        g_string_append_len (s, seq->u.str.data, (gssize) seq->u.str.len);
      return jv_string_from_gstring (s);
    }
  else
    {
      HearthJsonValue *res = jv_seq_new (seq->type, 0);
      if (times > 0 && seq->u.arr.n > 0 &&
          (guint64) times * seq->u.arr.n > r->t->limits.max_loop_iterations)
        {
          hearth_json_value_unref (res);
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_LIMIT, "LimitError: list repetition too long");
          return NULL;
        }
      for (gint64 i = 0; i < times; i++)
        for (guint k = 0; k < seq->u.arr.n; k++)
          jv_seq_append (res, hearth_json_value_ref (seq->u.arr.items[k]));
      return res;
    }
}

static gboolean
both_int (const HearthJsonValue *a,
          const HearthJsonValue *b)
{
  return (a->type == HEARTH_JSON_INT || a->type == HEARTH_JSON_BOOLEAN) &&
         (b->type == HEARTH_JSON_INT || b->type == HEARTH_JSON_BOOLEAN);
}

static HearthJsonValue *
eval_binop (JinjaRender     *r,
             Node            *at,
             OpKind           op,
             HearthJsonValue *a,
             HearthJsonValue *b)
{
  if (a->type == HEARTH_JSON_X_UNDEFINED || b->type == HEARTH_JSON_X_UNDEFINED)
    {
      jinja_fail_undefined (r, at, a->type == HEARTH_JSON_X_UNDEFINED ? a : b);
      return NULL;
    }
  if (op == OP_ADD)
    {
      if (a->type == HEARTH_JSON_STRING)
        {
          GString *s;
          if (b->type != HEARTH_JSON_STRING)
            {
              jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                          "TypeError: can only concatenate str (not \"%s\") to str",
                          hearth_json_type_name (b));
              return NULL;
            }
          if (a->u.str.markup != b->u.str.markup)
            {
              /* Markup + str escapes the str, either way round */
              g_autoptr(HearthJsonValue) ea = a->u.str.markup ? hearth_json_value_ref (a) : jv_html_escape (a);
              g_autoptr(HearthJsonValue) eb = b->u.str.markup ? hearth_json_value_ref (b) : jv_html_escape (b);
              return eval_binop (r, at, op, ea, eb);
            }
          if (!jinja_check_size (r, at, a->u.str.len + b->u.str.len))
            return NULL;
          s = g_string_sized_new (a->u.str.len + b->u.str.len);
          g_string_append_len (s, a->u.str.data, (gssize) a->u.str.len);
          g_string_append_len (s, b->u.str.data, (gssize) b->u.str.len);
          {
            HearthJsonValue *res = jv_string_from_gstring (s);
            res->u.str.markup = a->u.str.markup;
            return res;
          }
        }
      if (a->type == HEARTH_JSON_ARRAY || a->type == HEARTH_JSON_X_TUPLE)
        {
          HearthJsonValue *res;
          if (b->type != a->type)
            {
              jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                          "TypeError: can only concatenate %s (not \"%s\") to %s",
                          hearth_json_type_name (a), hearth_json_type_name (b), hearth_json_type_name (a));
              return NULL;
            }
          res = jv_seq_new (a->type, a->u.arr.n + b->u.arr.n);
          for (guint i = 0; i < a->u.arr.n; i++)
            jv_seq_append (res, hearth_json_value_ref (a->u.arr.items[i]));
          for (guint i = 0; i < b->u.arr.n; i++)
            jv_seq_append (res, hearth_json_value_ref (b->u.arr.items[i]));
          return res;
        }
    }
  if (op == OP_MUL)
    {
      if ((a->type == HEARTH_JSON_STRING || a->type == HEARTH_JSON_ARRAY || a->type == HEARTH_JSON_X_TUPLE) &&
          (b->type == HEARTH_JSON_INT || b->type == HEARTH_JSON_BOOLEAN))
        return repeat_seq (r, at, a, jv_as_int (b));
      if ((b->type == HEARTH_JSON_STRING || b->type == HEARTH_JSON_ARRAY || b->type == HEARTH_JSON_X_TUPLE) &&
          (a->type == HEARTH_JSON_INT || a->type == HEARTH_JSON_BOOLEAN))
        return repeat_seq (r, at, b, jv_as_int (a));
    }
  if (op == OP_MOD && a->type == HEARTH_JSON_STRING)
    return jinja_percent_format (r, at, a, b);
  if (!jv_is_number (a) || !jv_is_number (b))
    return unsupported (r, at, op, a, b);

  if (both_int (a, b) && op != OP_DIV)
    {
      gint64 x = jv_as_int (a), y = jv_as_int (b), res;

      switch (op)
        {
        case OP_ADD:
          if (__builtin_add_overflow (x, y, &res))
            return hearth_json_new_double ((double) x + (double) y);
          return hearth_json_new_int (res);
        case OP_SUB:
          if (__builtin_sub_overflow (x, y, &res))
            return hearth_json_new_double ((double) x - (double) y);
          return hearth_json_new_int (res);
        case OP_MUL:
          if (__builtin_mul_overflow (x, y, &res))
            return hearth_json_new_double ((double) x * (double) y);
          return hearth_json_new_int (res);
        case OP_FLOORDIV:
        case OP_MOD:
          if (y == 0)
            {
              jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                          "ZeroDivisionError: integer division or modulo by zero");
              return NULL;
            }
          if (x == G_MININT64 && y == -1)
            return op == OP_MOD ? hearth_json_new_int (0) : hearth_json_new_double (-(double) x);
          {
            gint64 q = x / y, m = x % y;
            if (m != 0 && ((m < 0) != (y < 0)))
              {
                q--;
                m += y;
              }
            return hearth_json_new_int (op == OP_MOD ? m : q);
          }
        case OP_POW:
          if (y >= 0)
            {
              gint64 acc = 1, base = x;
              gint64 e = y;
              gboolean overflow = FALSE;
              while (e > 0 && !overflow)
                {
                  if (e & 1)
                    overflow |= __builtin_mul_overflow (acc, base, &acc);
                  e >>= 1;
                  if (e > 0)
                    overflow |= __builtin_mul_overflow (base, base, &base);
                }
              if (!overflow)
                return hearth_json_new_int (acc);
            }
          return hearth_json_new_double (pow ((double) x, (double) y));
        default:
          break;
        }
    }
  {
    double x = jv_as_double (a), y = jv_as_double (b);
    switch (op)
      {
      case OP_ADD: return hearth_json_new_double (x + y);
      case OP_SUB: return hearth_json_new_double (x - y);
      case OP_MUL: return hearth_json_new_double (x * y);
      case OP_DIV:
        if (y == 0.0)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ZeroDivisionError: division by zero");
            return NULL;
          }
        return hearth_json_new_double (x / y);
      case OP_FLOORDIV:
      case OP_MOD:
        if (y == 0.0)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ZeroDivisionError: float modulo");
            return NULL;
          }
        if (op == OP_FLOORDIV)
          return hearth_json_new_double (floor (x / y));
        {
          double m = fmod (x, y);
          if (m != 0.0 && ((m < 0) != (y < 0)))
            m += y;
          return hearth_json_new_double (m);
        }
      case OP_POW: return hearth_json_new_double (pow (x, y));
      default:
        return unsupported (r, at, op, a, b);
      }
  }
}

/* <0, 0, >0 for a < b, a == b, a > b; FALSE when the types do not order */
static gboolean
order (JinjaRender     *r,
       Node            *at,
       OpKind           op,
       HearthJsonValue *a,
       HearthJsonValue *b,
       int             *out)
{
  if (a->type == HEARTH_JSON_X_UNDEFINED || b->type == HEARTH_JSON_X_UNDEFINED)
    return jinja_fail_undefined (r, at, a->type == HEARTH_JSON_X_UNDEFINED ? a : b);
  if (jv_is_number (a) && jv_is_number (b))
    {
      if (both_int (a, b))
        *out = jv_as_int (a) < jv_as_int (b) ? -1 : jv_as_int (a) > jv_as_int (b);
      else
        *out = jv_as_double (a) < jv_as_double (b) ? -1 : jv_as_double (a) > jv_as_double (b);
      return TRUE;
    }
  if (a->type == HEARTH_JSON_STRING && b->type == HEARTH_JSON_STRING)
    {
      int c = memcmp (a->u.str.data, b->u.str.data, MIN (a->u.str.len, b->u.str.len));
      *out = c != 0 ? c : a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
      return TRUE;
    }
  if ((a->type == HEARTH_JSON_ARRAY && b->type == HEARTH_JSON_ARRAY) ||
      (a->type == HEARTH_JSON_X_TUPLE && b->type == HEARTH_JSON_X_TUPLE))
    {
      for (guint i = 0; i < a->u.arr.n && i < b->u.arr.n; i++)
        {
          if (!hearth_json_equal (a->u.arr.items[i], b->u.arr.items[i]))
            return order (r, at, op, a->u.arr.items[i], b->u.arr.items[i], out);
        }
      *out = a->u.arr.n < b->u.arr.n ? -1 : a->u.arr.n > b->u.arr.n;
      return TRUE;
    }
  return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                     "TypeError: '%s' not supported between instances of '%s' and '%s'",
                     op_symbol (op), hearth_json_type_name (a), hearth_json_type_name (b));
}

/* Python's `a in b` */
static gboolean
eval_contains (JinjaRender     *r,
                Node            *at,
                HearthJsonValue *item,
                HearthJsonValue *container,
                gboolean        *out)
{
  *out = FALSE;
  switch (container->type)
    {
    case HEARTH_JSON_STRING:
      if (item->type != HEARTH_JSON_STRING)
        return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                           "TypeError: 'in <string>' requires string as left operand, not %s",
                           hearth_json_type_name (item));
      *out = item->u.str.len == 0 ||
             g_strstr_len (container->u.str.data, (gssize) container->u.str.len, item->u.str.data) != NULL;
      if (memchr (item->u.str.data, '\0', item->u.str.len) != NULL)
        *out = FALSE;
      return TRUE;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
    case HEARTH_JSON_X_GENERATOR:
      for (guint i = 0; i < container->u.arr.n; i++)
        if (hearth_json_equal (item, container->u.arr.items[i]))
          {
            *out = TRUE;
            break;
          }
      return TRUE;
    case HEARTH_JSON_OBJECT:
    case HEARTH_JSON_X_NAMESPACE:
      *out = item->type == HEARTH_JSON_STRING &&
             hearth_json_object_find_member (container, item->u.str.data, item->u.str.len) != NULL;
      return TRUE;
    case HEARTH_JSON_X_UNDEFINED:
      return TRUE;
    default:
      return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                         "TypeError: argument of type '%s' is not iterable",
                         hearth_json_type_name (container));
    }
}

static gboolean
eval_compare (JinjaRender     *r,
               Node            *at,
               OpKind           op,
               HearthJsonValue *a,
               HearthJsonValue *b,
               gboolean        *out)
{
  int c = 0;

  switch (op)
    {
    case OP_EQ:
      *out = hearth_json_equal (a, b);
      return TRUE;
    case OP_NE:
      *out = !hearth_json_equal (a, b);
      return TRUE;
    case OP_IN:
    case OP_NOT_IN:
      if (!eval_contains (r, at, a, b, out))
        return FALSE;
      if (op == OP_NOT_IN)
        *out = !*out;
      return TRUE;
    default:
      if (!order (r, at, op, a, b, &c))
        return FALSE;
      *out = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
      return TRUE;
    }
}

/* ---- expressions ---- */

static HearthJsonValue *eval (JinjaRender *r, JinjaFrame *f, Node *n);

static HearthJsonValue *
jinja_lookup (JinjaRender *r,
              JinjaFrame  *f,
              const char  *name)
{
  HearthJsonValue *v = frame_lookup (f, name);

  if (v != NULL)
    return hearth_json_value_ref (v);
  if (r->context != NULL)
    {
      v = hearth_json_object_get (r->context, name);
      if (v != NULL)
        return hearth_json_value_ref (v);
    }
  v = jinja_global (name);
  if (v != NULL)
    return v;
  return jv_undefined ("'%s' is undefined", name);
}

/* Evaluates call arguments into @args (positional) and @kwvals (by the
 * names in n->names). */
static gboolean
eval_args (JinjaRender *r,
           JinjaFrame  *f,
           Node        *n,
           GPtrArray   *args,
           GPtrArray   *kwvals)
{
  for (guint i = 0; n->list != NULL && i < n->list->len; i++)
    {
      HearthJsonValue *v = eval (r, f, g_ptr_array_index (n->list, i));
      if (v == NULL)
        return FALSE;
      g_ptr_array_add (args, v);
    }
  for (guint i = 0; n->list2 != NULL && i < n->list2->len; i++)
    {
      HearthJsonValue *v = eval (r, f, g_ptr_array_index (n->list2, i));
      if (v == NULL)
        return FALSE;
      g_ptr_array_add (kwvals, v);
    }
  return TRUE;
}

static gboolean exec_body (JinjaRender *r, JinjaFrame *f, GPtrArray *body);

static HearthJsonValue *
eval_call_macro (JinjaRender     *r,
                  Node            *at,
                  HearthJsonValue *macro,
                  JinjaArgs       *a)
{
  Node *def = macro->u.ext.data;
  JinjaFrame *frame;
  GString *saved = r->out;
  GString *captured;
  gboolean ok = TRUE;
  int saved_control = r->control;

  if (a->args->len > def->names->len)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                  "TypeError: macro '%s' takes not more than %u argument(s)", def->name, def->names->len);
      return NULL;
    }
  for (guint k = 0; a->kwnames != NULL && k < a->kwnames->len; k++)
    {
      gboolean known = FALSE;
      for (guint i = 0; i < def->names->len; i++)
        known |= strcmp (g_ptr_array_index (def->names, i), g_ptr_array_index (a->kwnames, k)) == 0;
      if (!known)
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: macro '%s' has no argument '%s'",
                      def->name, (const char *) g_ptr_array_index (a->kwnames, k));
          return NULL;
        }
    }
  if (r->call_depth >= r->t->limits.max_call_depth)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_LIMIT,
                  "LimitError: macro calls nested deeper than %u", r->t->limits.max_call_depth);
      return NULL;
    }
  /* a caller() body sees the scope of its call block; a macro the top level */
  frame = frame_new (macro->u.ext.scope ? macro->u.ext.scope : r->top);
  if (a->caller != NULL)
    frame_set (frame, "caller", hearth_json_value_ref (a->caller));
  for (guint i = 0; i < def->names->len && ok; i++)
    {
      const char *pname = g_ptr_array_index (def->names, i);
      HearthJsonValue *v = NULL;

      if (i < a->args->len)
        v = hearth_json_value_ref (g_ptr_array_index (a->args, i));
      for (guint k = 0; v == NULL && a->kwnames != NULL && k < a->kwnames->len; k++)
        if (strcmp (pname, g_ptr_array_index (a->kwnames, k)) == 0)
          v = hearth_json_value_ref (g_ptr_array_index (a->kwvals, k));
      if (v == NULL && g_ptr_array_index (def->list2, i) != NULL)
        {
          v = eval (r, frame, g_ptr_array_index (def->list2, i));
          ok = v != NULL;
        }
      if (v == NULL && ok)
        v = jv_undefined ("parameter '%s' was not provided", pname);
      if (v != NULL)
        frame_set (frame, pname, v);
    }
  captured = g_string_new (NULL);
  r->out = captured;
  r->call_depth++;
  r->control = 0;
  if (ok)
    ok = exec_body (r, frame, def->list);
  r->control = saved_control;
  r->call_depth--;
  r->out = saved;
  frame_free (frame);
  if (!ok)
    {
      g_string_free (captured, TRUE);
      return NULL;
    }
  return jv_string_from_gstring (captured);
}

static HearthJsonValue *
eval_call (JinjaRender *r,
           JinjaFrame  *f,
           Node        *n)
{
  g_autoptr(HearthJsonValue) callee = eval (r, f, n->a);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  g_autoptr(GPtrArray) kwvals = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  JinjaArgs a = { args, n->names, kwvals, NULL };

  if (callee == NULL || !eval_args (r, f, n, args, kwvals))
    return NULL;
  if (callee->type == HEARTH_JSON_X_MACRO)
    return eval_call_macro (r, n, callee, &a);
  if (callee->type == HEARTH_JSON_X_FUNCTION)
    return jinja_call_function (r, n, callee, &a);
  if (callee->type == HEARTH_JSON_X_UNDEFINED)
    {
      jinja_fail_undefined (r, n, callee);
      return NULL;
    }
  jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: '%s' object is not callable",
              hearth_json_type_name (callee));
  return NULL;
}

static HearthJsonValue *
eval_filter (JinjaRender *r,
             JinjaFrame  *f,
             Node        *n)
{
  g_autoptr(HearthJsonValue) input = n->a ? eval (r, f, n->a) : hearth_json_value_ref (r->block_input);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  g_autoptr(GPtrArray) kwvals = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  JinjaArgs a = { args, n->names, kwvals, NULL };

  if (input == NULL || !eval_args (r, f, n, args, kwvals))
    return NULL;
  return jinja_apply_filter (r, n, n->builtin, input, &a);
}

static HearthJsonValue *
eval_test (JinjaRender *r,
           JinjaFrame  *f,
           Node        *n)
{
  g_autoptr(HearthJsonValue) input = eval (r, f, n->a);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  g_autoptr(GPtrArray) kwvals = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  JinjaArgs a = { args, n->names, kwvals, NULL };
  gboolean result;

  if (input == NULL || !eval_args (r, f, n, args, kwvals))
    return NULL;
  if (!jinja_apply_test (r, n, n->builtin, input, &a, &result))
    return NULL;
  return hearth_json_new_boolean (n->flag ? !result : result);
}

static HearthJsonValue *
eval (JinjaRender *r,
      JinjaFrame  *f,
      Node        *n)
{
  switch (n->kind)
    {
    case N_LITERAL:
      return hearth_json_value_ref (n->value);
    case N_NAME:
      return jinja_lookup (r, f, n->name);
    case N_LIST:
    case N_TUPLE:
      {
        HearthJsonValue *seq = jv_seq_new (n->kind == N_LIST ? HEARTH_JSON_ARRAY : HEARTH_JSON_X_TUPLE, n->list->len);
        for (guint i = 0; i < n->list->len; i++)
          {
            HearthJsonValue *v = eval (r, f, g_ptr_array_index (n->list, i));
            if (v == NULL)
              {
                hearth_json_value_unref (seq);
                return NULL;
              }
            jv_seq_append (seq, v);
          }
        return seq;
      }
    case N_DICT:
      {
        g_autoptr(HearthJsonValue) obj = hearth_json_new_object ();
        for (guint i = 0; i < n->list->len; i++)
          {
            g_autoptr(HearthJsonValue) k = eval (r, f, g_ptr_array_index (n->list, i));
            HearthJsonValue *v;
            if (k == NULL)
              return NULL;
            if (k->type != HEARTH_JSON_STRING)
              {
                jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE,
                            "TypeError: only string keys are supported in dict literals");
                return NULL;
              }
            v = eval (r, f, g_ptr_array_index (n->list2, i));
            if (v == NULL)
              return NULL;
            hearth_json_object_set_len (obj, k->u.str.data, k->u.str.len, v);
          }
        return g_steal_pointer (&obj);
      }
    case N_GETATTR:
      {
        g_autoptr(HearthJsonValue) obj = eval (r, f, n->a);
        return obj ? eval_getattr (r, n, obj, n->name) : NULL;
      }
    case N_GETITEM:
      {
        g_autoptr(HearthJsonValue) obj = eval (r, f, n->a);
        g_autoptr(HearthJsonValue) key = obj ? eval (r, f, n->b) : NULL;
        return key ? eval_getitem (r, n, obj, key) : NULL;
      }
    case N_SLICE:
      {
        g_autoptr(HearthJsonValue) obj = eval (r, f, n->a);
        g_autoptr(HearthJsonValue) start = NULL, stop = NULL, step = NULL;
        if (obj == NULL)
          return NULL;
        if ((n->b && !(start = eval (r, f, n->b))) || (n->c && !(stop = eval (r, f, n->c))) ||
            (n->d && !(step = eval (r, f, n->d))))
          return NULL;
        return do_slice (r, n, obj, start, stop, step);
      }
    case N_CALL:
      return eval_call (r, f, n);
    case N_FILTER:
      return eval_filter (r, f, n);
    case N_TEST:
      return eval_test (r, f, n);
    case N_NOT:
      {
        g_autoptr(HearthJsonValue) v = eval (r, f, n->a);
        return v ? hearth_json_new_boolean (!jv_truthy (v)) : NULL;
      }
    case N_NEG:
    case N_POS:
      {
        g_autoptr(HearthJsonValue) v = eval (r, f, n->a);
        if (v == NULL)
          return NULL;
        if (v->type == HEARTH_JSON_X_UNDEFINED)
          {
            jinja_fail_undefined (r, n, v);
            return NULL;
          }
        if (!jv_is_number (v))
          {
            jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: bad operand type for unary %s: '%s'",
                        n->kind == N_NEG ? "-" : "+", hearth_json_type_name (v));
            return NULL;
          }
        if (v->type == HEARTH_JSON_DOUBLE)
          return hearth_json_new_double (n->kind == N_NEG ? -v->u.d : v->u.d);
        if (n->kind == N_NEG && jv_as_int (v) == G_MININT64)
          return hearth_json_new_double (-(double) G_MININT64);
        return hearth_json_new_int (n->kind == N_NEG ? -jv_as_int (v) : jv_as_int (v));
      }
    case N_BINOP:
      {
        g_autoptr(HearthJsonValue) a = eval (r, f, n->a);
        g_autoptr(HearthJsonValue) b = a ? eval (r, f, n->b) : NULL;
        return b ? eval_binop (r, n, n->op, a, b) : NULL;
      }
    case N_CONCAT:
      {
        g_autoptr(HearthJsonValue) a = eval (r, f, n->a);
        g_autoptr(HearthJsonValue) b = a ? eval (r, f, n->b) : NULL;
        GString *s;
        if (b == NULL)
          return NULL;
        s = g_string_new (NULL);
        jv_append_str (s, a);
        jv_append_str (s, b);
        if (!jinja_check_size (r, n, s->len))
          {
            g_string_free (s, TRUE);
            return NULL;
          }
        return jv_string_from_gstring (s);
      }
    case N_AND:
    case N_OR:
      {
        HearthJsonValue *a = eval (r, f, n->a);
        if (a == NULL)
          return NULL;
        if (jv_truthy (a) == (n->kind == N_OR))
          return a;
        hearth_json_value_unref (a);
        return eval (r, f, n->b);
      }
    case N_COMPARE:
      {
        g_autoptr(HearthJsonValue) a = eval (r, f, n->a);
        g_autoptr(HearthJsonValue) b = a ? eval (r, f, n->b) : NULL;
        gboolean res;
        if (b == NULL || !eval_compare (r, n, n->op, a, b, &res))
          return NULL;
        return hearth_json_new_boolean (res);
      }
    case N_COND:
      {
        g_autoptr(HearthJsonValue) cond = eval (r, f, n->b);
        if (cond == NULL)
          return NULL;
        if (jv_truthy (cond))
          return eval (r, f, n->a);
        if (n->c != NULL)
          return eval (r, f, n->c);
        return jv_undefined ("the inline if-expression evaluated to false and no else section was defined");
      }
    default:
      jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE, "TemplateError: not an expression");
      return NULL;
    }
}

/* ---- statements ---- */

static gboolean
assign (JinjaRender     *r,
        JinjaFrame      *f,
        Node            *target,
        HearthJsonValue *value) /* takes @value */
{
  if (target->kind == N_NAME)
    {
      frame_set (f, target->name, value);
      return TRUE;
    }
  if (target->kind == N_GETATTR)
    {
      g_autoptr(HearthJsonValue) ns = jinja_lookup (r, f, target->a->name);
      if (ns->type != HEARTH_JSON_X_NAMESPACE)
        {
          hearth_json_value_unref (value);
          return jinja_fail (r, target, HEARTH_ENGINE_ERROR_TEMPLATE,
                             "TemplateRuntimeError: cannot assign attribute on non-namespace object");
        }
      hearth_json_object_set_len (ns, target->name, strlen (target->name), value);
      return TRUE;
    }
  /* tuple unpacking */
  {
    g_autoptr(HearthJsonValue) owned = value;
    g_autoptr(GPtrArray) items = eval_iterate (r, target, owned);
    if (items == NULL)
      return FALSE;
    if (items->len != target->list->len)
      return jinja_fail (r, target, HEARTH_ENGINE_ERROR_TEMPLATE,
                         "ValueError: %s values to unpack (expected %u, got %u)",
                         items->len > target->list->len ? "too many" : "not enough",
                         target->list->len, items->len);
    for (guint i = 0; i < items->len; i++)
      frame_set (f, ((Node *) g_ptr_array_index (target->list, i))->name,
                       hearth_json_value_ref (g_ptr_array_index (items, i)));
    return TRUE;
  }
}

static gboolean
bind_loop_targets (JinjaRender     *r,
                   JinjaFrame      *f,
                   Node            *n,
                   HearthJsonValue *item)
{
  g_autoptr(GPtrArray) parts = NULL;

  if (n->names->len == 1)
    {
      frame_set (f, g_ptr_array_index (n->names, 0), hearth_json_value_ref (item));
      return TRUE;
    }
  parts = eval_iterate (r, n, item);
  if (parts == NULL)
    return FALSE;
  if (parts->len != n->names->len)
    return jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE,
                       "ValueError: %s values to unpack (expected %u, got %u)",
                       parts->len > n->names->len ? "too many" : "not enough", n->names->len, parts->len);
  for (guint i = 0; i < parts->len; i++)
    frame_set (f, g_ptr_array_index (n->names, i), hearth_json_value_ref (g_ptr_array_index (parts, i)));
  return TRUE;
}

static gboolean
count_iteration (JinjaRender *r,
                 Node        *at)
{
  if (++r->iterations > r->t->limits.max_loop_iterations)
    return jinja_fail (r, at, HEARTH_ENGINE_ERROR_LIMIT,
                       "LimitError: more than %" G_GUINT64_FORMAT " loop iterations",
                       r->t->limits.max_loop_iterations);
  return TRUE;
}

static void
loop_state_free (gpointer data)
{
  JinjaLoop *st = data;

  g_ptr_array_unref (st->items);
  g_free (st);
}

static gboolean
exec_for (JinjaRender *r,
          JinjaFrame  *f,
          Node        *n)
{
  g_autoptr(HearthJsonValue) iterable = eval (r, f, n->a);
  g_autoptr(GPtrArray) all = NULL;
  GPtrArray *items;
  JinjaFrame *frame;
  JinjaLoop *st;
  HearthJsonValue *loop;
  gboolean ok = TRUE;

  if (iterable == NULL)
    return FALSE;
  all = eval_iterate (r, n->a, iterable);
  if (all == NULL)
    return FALSE;
  frame = frame_new (f);
  if (n->b != NULL)
    {
      /* the loop filter sees each item under the loop's names */
      items = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
      for (guint i = 0; i < all->len && ok; i++)
        {
          g_autoptr(HearthJsonValue) keep = NULL;
          ok = count_iteration (r, n) && bind_loop_targets (r, frame, n, g_ptr_array_index (all, i));
          if (ok)
            {
              keep = eval (r, frame, n->b);
              ok = keep != NULL;
            }
          if (ok && jv_truthy (keep))
            g_ptr_array_add (items, hearth_json_value_ref (g_ptr_array_index (all, i)));
        }
    }
  else
    items = g_ptr_array_ref (all);

  st = g_new0 (JinjaLoop, 1);
  st->items = items;
  loop = hearth_json_value_alloc (HEARTH_JSON_X_LOOP);
  loop->u.ext.data = st;
  loop->u.ext.free_data = loop_state_free;
  for (guint i = 0; i < items->len && ok; i++)
    {
      /* each iteration starts from the enclosing scope again (as Jinja2 does):
       * what one iteration sets is gone in the next */
      frame_clear (frame);
      frame_set (frame, "loop", hearth_json_value_ref (loop));
      st->index0 = i;
      ok = count_iteration (r, n) && bind_loop_targets (r, frame, n, g_ptr_array_index (items, i));
      if (ok)
        ok = exec_body (r, frame, n->list);
      if (r->control == JINJA_BREAK)
        {
          r->control = 0;
          break;
        }
      r->control = 0;
    }
  if (ok && items->len == 0 && n->list2 != NULL)
    {
      frame_clear (frame);
      ok = exec_body (r, frame, n->list2);
    }
  frame_free (frame);
  hearth_json_value_unref (loop);
  return ok;
}

/* Renders @body into a new string (for set blocks, filter blocks). */
static HearthJsonValue *
capture (JinjaRender *r,
         JinjaFrame  *f,
         GPtrArray   *body,
         Node        *filters)
{
  GString *saved = r->out;
  GString *buf = g_string_new (NULL);
  g_autoptr(HearthJsonValue) text = NULL;
  HearthJsonValue *saved_input = r->block_input;
  HearthJsonValue *res;
  gboolean ok;

  r->out = buf;
  ok = exec_body (r, f, body);
  r->out = saved;
  if (!ok)
    {
      g_string_free (buf, TRUE);
      return NULL;
    }
  text = jv_string_from_gstring (buf);
  if (filters == NULL)
    return g_steal_pointer (&text);
  r->block_input = text;
  res = eval (r, f, filters);
  r->block_input = saved_input;
  return res;
}

/* {% call m(args) %}body{% endcall %}: m runs with caller() rendering body */
static gboolean
exec_call_block (JinjaRender *r,
                 JinjaFrame  *f,
                 Node        *n)
{
  Node *call = n->a;
  g_autoptr(HearthJsonValue) callee = eval (r, f, call->a);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  g_autoptr(GPtrArray) kwvals = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  g_autoptr(HearthJsonValue) caller = NULL;
  g_autoptr(HearthJsonValue) out = NULL;
  JinjaArgs a = { args, call->names, kwvals, NULL };

  if (callee == NULL || !eval_args (r, f, call, args, kwvals))
    return FALSE;
  if (callee->type != HEARTH_JSON_X_MACRO)
    return jinja_fail (r, call, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: '%s' object is not callable",
                       hearth_json_type_name (callee));
  caller = hearth_json_value_alloc (HEARTH_JSON_X_MACRO);
  caller->u.ext.data = n;
  caller->u.ext.scope = f;
  a.caller = caller;
  out = eval_call_macro (r, call, callee, &a);
  /* the frame dies with this statement; a caller() kept beyond it falls back to the top level */
  caller->u.ext.scope = NULL;
  if (out == NULL)
    return FALSE;
  return emit (r, n, out->u.str.data, out->u.str.len);
}

static gboolean
exec_node (JinjaRender *r,
           JinjaFrame  *f,
           Node        *n)
{
  switch (n->kind)
    {
    case N_TEXT:
      return emit (r, n, n->value->u.str.data, n->value->u.str.len);
    case N_OUTPUT:
      {
        g_autoptr(HearthJsonValue) v = eval (r, f, n->a);
        if (v == NULL)
          return FALSE;
        if (v->type == HEARTH_JSON_STRING)
          return emit (r, n, v->u.str.data, v->u.str.len);
        {
          gsize len;
          g_autofree char *s = jv_to_str (v, &len);
          return emit (r, n, s, len);
        }
      }
    case N_IF:
      {
        g_autoptr(HearthJsonValue) cond = eval (r, f, n->a);
        if (cond == NULL)
          return FALSE;
        if (jv_truthy (cond))
          return exec_body (r, f, n->list);
        return n->list2 ? exec_body (r, f, n->list2) : TRUE;
      }
    case N_FOR:
      return exec_for (r, f, n);
    case N_SET:
      {
        HearthJsonValue *v = eval (r, f, n->a);
        return v ? assign (r, f, n->b, v) : FALSE;
      }
    case N_SET_BLOCK:
      {
        HearthJsonValue *v = capture (r, f, n->list, n->c);
        return v ? assign (r, f, n->b, v) : FALSE;
      }
    case N_FILTER_BLOCK:
      {
        g_autoptr(HearthJsonValue) v = capture (r, f, n->list, n->c);
        gsize len;
        g_autofree char *s = NULL;
        if (v == NULL)
          return FALSE;
        s = jv_to_str (v, &len);
        return emit (r, n, s, len);
      }
    case N_MACRO:
      {
        HearthJsonValue *m = hearth_json_value_alloc (HEARTH_JSON_X_MACRO);
        m->u.ext.data = n;
        frame_set (f, n->name, m);
        return TRUE;
      }
    case N_CALL_BLOCK:
      return exec_call_block (r, f, n);
    case N_WITH:
      {
        /* the values are computed in the outer scope, then bound in a new one */
        JinjaFrame *inner = frame_new (f);
        gboolean ok = TRUE;
        g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);

        for (guint i = 0; i < n->list2->len && ok; i++)
          {
            HearthJsonValue *v = eval (r, f, g_ptr_array_index (n->list2, i));
            ok = v != NULL;
            if (ok)
              g_ptr_array_add (values, v);
          }
        for (guint i = 0; ok && i < values->len; i++)
          frame_set (inner, g_ptr_array_index (n->names, i), hearth_json_value_ref (g_ptr_array_index (values, i)));
        if (ok)
          ok = exec_body (r, inner, n->list);
        frame_free (inner);
        return ok;
      }
    case N_BREAK:
      r->control = JINJA_BREAK;
      return TRUE;
    case N_CONTINUE:
      r->control = JINJA_CONTINUE;
      return TRUE;
    default:
      return jinja_fail (r, n, HEARTH_ENGINE_ERROR_TEMPLATE, "TemplateError: not a statement");
    }
}

static gboolean
exec_body (JinjaRender *r,
           JinjaFrame  *f,
           GPtrArray   *body)
{
  for (guint i = 0; i < body->len; i++)
    {
      if (!exec_node (r, f, g_ptr_array_index (body, i)))
        return FALSE;
      if (r->control != 0)
        return TRUE;
    }
  return TRUE;
}

char *
jinja_render (HearthJinjaTemplate *t,
              HearthJsonValue     *context,
              GError             **error)
{
  JinjaRender r = { .eval = &evaluator };
  gboolean ok;

  r.t = t;
  r.context = context;
  r.out = g_string_new (NULL);
  r.top = frame_new (NULL);
  r.now = t->now ? g_date_time_ref (t->now) : g_date_time_new_now_local ();
  ok = exec_body (&r, r.top, t->body);
  frame_free (r.top);
  g_date_time_unref (r.now);
  if (!ok)
    {
      g_string_free (r.out, TRUE);
      g_propagate_error (error, r.error);
      return NULL;
    }
  return g_string_free (r.out, FALSE);
}
