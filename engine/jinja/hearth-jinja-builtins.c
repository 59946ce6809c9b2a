/* hearth-jinja-builtins.c: filters, tests, global functions and methods
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The set chat templates use: Jinja2's common filters and tests, the Python
 * str and dict methods templates call, and the globals Hugging Face adds
 * (raise_exception, strftime_now) next to Jinja's namespace, range and dict.
 * Filters that are generators in Jinja2 (map, select, reject, selectattr,
 * rejectattr, items, unique, reverse) give a generator value here too, so
 * piping one into tojson fails the way it does under Hugging Face.
 */
#include "hearth-jinja-builtins.h"
#include "hearth-engine-error.h"

#include <math.h>
#include <string.h>

/* Jinja2's sandbox refuses larger ranges. */
#define MAX_RANGE 100000

typedef enum
{
  F_RAISE_EXCEPTION,
  F_STRFTIME_NOW,
  F_NAMESPACE,
  F_RANGE,
  F_DICT,
  F_LOOP_CYCLE,
  M_STR_STRIP,
  M_STR_LSTRIP,
  M_STR_RSTRIP,
  M_STR_SPLIT,
  M_STR_STARTSWITH,
  M_STR_ENDSWITH,
  M_STR_REPLACE,
  M_STR_UPPER,
  M_STR_LOWER,
  M_STR_TITLE,
  M_STR_CAPITALIZE,
  M_STR_FIND,
  M_STR_COUNT,
  M_STR_JOIN,
  M_STR_SPLITLINES,
  M_STR_ISDIGIT,
  M_STR_ISALPHA,
  M_STR_ISSPACE,
  M_STR_FORMAT,
  M_STR_RSPLIT,
  M_DICT_ITEMS,
  M_DICT_KEYS,
  M_DICT_VALUES,
  M_DICT_GET,
} FuncId;

typedef struct
{
  const char *name;
  FuncId      id;
} FuncEntry;

static const FuncEntry globals[] = {
  { "raise_exception", F_RAISE_EXCEPTION },
  { "strftime_now", F_STRFTIME_NOW },
  { "namespace", F_NAMESPACE },
  { "range", F_RANGE },
  { "dict", F_DICT },
};

static const FuncEntry str_methods[] = {
  { "strip", M_STR_STRIP },
  { "lstrip", M_STR_LSTRIP },
  { "rstrip", M_STR_RSTRIP },
  { "split", M_STR_SPLIT },
  { "startswith", M_STR_STARTSWITH },
  { "endswith", M_STR_ENDSWITH },
  { "replace", M_STR_REPLACE },
  { "upper", M_STR_UPPER },
  { "lower", M_STR_LOWER },
  { "title", M_STR_TITLE },
  { "capitalize", M_STR_CAPITALIZE },
  { "find", M_STR_FIND },
  { "count", M_STR_COUNT },
  { "join", M_STR_JOIN },
  { "splitlines", M_STR_SPLITLINES },
  { "isdigit", M_STR_ISDIGIT },
  { "isalpha", M_STR_ISALPHA },
  { "isspace", M_STR_ISSPACE },
  { "format", M_STR_FORMAT },
  { "rsplit", M_STR_RSPLIT },
};

static const FuncEntry dict_methods[] = {
  { "items", M_DICT_ITEMS },
  { "keys", M_DICT_KEYS },
  { "values", M_DICT_VALUES },
  { "get", M_DICT_GET },
};

static HearthJsonValue *
new_function (const FuncEntry *e,
              HearthJsonValue *self)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_X_FUNCTION);

  v->u.ext.id = e->id;
  v->u.ext.data = (gpointer) e->name;
  v->u.ext.self = self ? hearth_json_value_ref (self) : NULL;
  return v;
}

static const FuncEntry *
find_entry (const FuncEntry *table,
            guint            n,
            const char      *name)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      return &table[i];
  return NULL;
}

HearthJsonValue *
jinja_global (const char *name)
{
  const FuncEntry *e = find_entry (globals, G_N_ELEMENTS (globals), name);

  return e ? new_function (e, NULL) : NULL;
}

HearthJsonValue *
jinja_bound_method (HearthJsonValue *self,
                    const char      *name)
{
  static const FuncEntry cycle = { "cycle", F_LOOP_CYCLE };
  const FuncEntry *e = NULL;

  if (self->type == HEARTH_JSON_STRING)
    e = find_entry (str_methods, G_N_ELEMENTS (str_methods), name);
  else if (self->type == HEARTH_JSON_OBJECT)
    e = find_entry (dict_methods, G_N_ELEMENTS (dict_methods), name);
  else if (self->type == HEARTH_JSON_X_LOOP && strcmp (name, "cycle") == 0)
    e = &cycle;
  return e ? new_function (e, self) : NULL;
}

/* ---- arguments ---- */

static HearthJsonValue *
arg (JinjaArgs  *a,
     guint       pos,
     const char *name)
{
  if (pos < a->args->len)
    return g_ptr_array_index (a->args, pos);
  for (guint k = 0; name != NULL && a->kwnames != NULL && k < a->kwnames->len; k++)
    if (strcmp (g_ptr_array_index (a->kwnames, k), name) == 0)
      return g_ptr_array_index (a->kwvals, k);
  return NULL;
}

static gboolean
arg_bool (JinjaArgs  *a,
          guint       pos,
          const char *name,
          gboolean    fallback)
{
  HearthJsonValue *v = arg (a, pos, name);

  return v ? jv_truthy (v) : fallback;
}

static gboolean
want_string (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *v,
             const char      *what)
{
  if (v != NULL && v->type == HEARTH_JSON_STRING)
    return TRUE;
  return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: %s must be str, not %s", what,
                     v ? hearth_json_type_name (v) : "nothing");
}

static gboolean
want_int (JinjaRender     *r,
          Node            *at,
          HearthJsonValue *v,
          const char      *what)
{
  if (v != NULL && (v->type == HEARTH_JSON_INT || v->type == HEARTH_JSON_BOOLEAN))
    return TRUE;
  return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: %s must be an integer, not %s",
                     what, v ? hearth_json_type_name (v) : "nothing");
}

/* ---- strings ---- */

static gboolean
py_isspace (gunichar c)
{
  return g_unichar_isspace (c) || (c >= 0x1c && c <= 0x1f) || c == 0x85;
}

static gboolean
in_chars (gunichar    c,
          const char *chars,
          gsize       len)
{
  for (const char *p = chars; p < chars + len; p = g_utf8_next_char (p))
    if (g_utf8_get_char (p) == c)
      return TRUE;
  return FALSE;
}

static HearthJsonValue *
str_strip (const char            *s,
           gsize                  len,
           const HearthJsonValue *chars,
           gboolean               left,
           gboolean               right)
{
  const char *start = s, *end = s + len;

  while (left && start < end)
    {
      gunichar c = g_utf8_get_char (start);
      if (chars ? !in_chars (c, chars->u.str.data, chars->u.str.len) : !py_isspace (c))
        break;
      start = g_utf8_next_char (start);
    }
  while (right && end > start)
    {
      const char *prev = g_utf8_find_prev_char (start, end);
      gunichar c;
      if (prev == NULL)
        prev = start;
      c = g_utf8_get_char (prev);
      if (chars ? !in_chars (c, chars->u.str.data, chars->u.str.len) : !py_isspace (c))
        break;
      end = prev;
    }
  return hearth_json_new_string (start, end - start);
}

static const char *
find_bytes (const char *hay,
            gsize       hay_len,
            const char *needle,
            gsize       needle_len)
{
  if (needle_len == 0)
    return hay;
  if (needle_len > hay_len)
    return NULL;
  for (const char *p = hay; p + needle_len <= hay + hay_len; p++)
    {
      p = memchr (p, needle[0], (gsize) (hay + hay_len - p));
      if (p == NULL || p + needle_len > hay + hay_len)
        return NULL;
      if (memcmp (p, needle, needle_len) == 0)
        return p;
    }
  return NULL;
}

static HearthJsonValue *
str_split (JinjaRender     *r,
           Node            *at,
           HearthJsonValue *self,
           HearthJsonValue *sep,
           gint64           maxsplit)
{
  HearthJsonValue *res = jv_seq_new (HEARTH_JSON_ARRAY, 0);
  const char *s = self->u.str.data, *end = s + self->u.str.len;
  gint64 splits = 0;

  if (sep == NULL || sep->type == HEARTH_JSON_NULL)
    {
      const char *p = s;
      for (;;)
        {
          const char *word;
          while (p < end && py_isspace (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
          if (p >= end)
            break;
          if (maxsplit >= 0 && splits >= maxsplit)
            {
              /* the rest, as Python keeps it: leading space gone, trailing kept */
              jv_seq_append (res, hearth_json_new_string (p, end - p));
              break;
            }
          word = p;
          while (p < end && !py_isspace (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
          jv_seq_append (res, hearth_json_new_string (word, p - word));
          splits++;
        }
      return res;
    }
  if (sep->type != HEARTH_JSON_STRING)
    {
      hearth_json_value_unref (res);
      want_string (r, at, sep, "separator");
      return NULL;
    }
  if (sep->u.str.len == 0)
    {
      hearth_json_value_unref (res);
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ValueError: empty separator");
      return NULL;
    }
  for (const char *p = s;;)
    {
      const char *hit = (maxsplit >= 0 && splits >= maxsplit) ? NULL
                        : find_bytes (p, (gsize) (end - p), sep->u.str.data, sep->u.str.len);
      if (hit == NULL)
        {
          jv_seq_append (res, hearth_json_new_string (p, end - p));
          break;
        }
      jv_seq_append (res, hearth_json_new_string (p, hit - p));
      p = hit + sep->u.str.len;
      splits++;
    }
  return res;
}

static HearthJsonValue *
str_replace (JinjaRender           *r,
             Node                  *at,
             const HearthJsonValue *self,
             const HearthJsonValue *old,
             const HearthJsonValue *new_,
             gint64                 count)
{
  GString *out = g_string_new (NULL);
  const char *p = self->u.str.data, *end = p + self->u.str.len;
  gint64 done = 0;

  if (old->u.str.len == 0)
    {
      /* Python inserts the replacement around every character. */
      for (; p <= end; p = p < end ? g_utf8_next_char (p) : end + 1)
        {
          if (count < 0 || done < count)
            {
              g_string_append_len (out, new_->u.str.data, (gssize) new_->u.str.len);
              done++;
            }
          if (p < end)
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
          if (!jinja_check_size (r, at, out->len))
            break;
        }
    }
  else
    for (;;)
      {
        const char *hit = (count >= 0 && done >= count) ? NULL
                          : find_bytes (p, (gsize) (end - p), old->u.str.data, old->u.str.len);
        if (hit == NULL)
          {
            g_string_append_len (out, p, end - p);
            break;
          }
        g_string_append_len (out, p, hit - p);
        g_string_append_len (out, new_->u.str.data, (gssize) new_->u.str.len);
        p = hit + old->u.str.len;
        done++;
        if (!jinja_check_size (r, at, out->len))
          break;
      }
  if (r->error != NULL || !jinja_check_size (r, at, out->len))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return jv_string_from_gstring (out);
}

static HearthJsonValue *
str_case (const HearthJsonValue *self,
          FuncId                 how)
{
  const char *s = self->u.str.data;
  gsize len = self->u.str.len;
  GString *out;
  gboolean prev_cased = FALSE, first = TRUE;

  if (how == M_STR_UPPER)
    {
      char *u = g_utf8_strup (s, (gssize) len);
      return hearth_json_new_string_take (u, strlen (u));
    }
  if (how == M_STR_LOWER)
    {
      char *l = g_utf8_strdown (s, (gssize) len);
      return hearth_json_new_string_take (l, strlen (l));
    }
  out = g_string_sized_new (len);
  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gunichar o;

      if (how == M_STR_TITLE)
        {
          o = prev_cased ? g_unichar_tolower (c) : g_unichar_totitle (c);
          prev_cased = g_unichar_isalpha (c);
        }
      else /* capitalize */
        o = first ? g_unichar_totitle (c) : g_unichar_tolower (c);
      first = FALSE;
      g_string_append_unichar (out, o);
    }
  return jv_string_from_gstring (out);
}

static gboolean
str_affix (JinjaRender           *r,
           Node                  *at,
           const HearthJsonValue *self,
           HearthJsonValue       *affix,
           gboolean               suffix,
           gboolean              *out)
{
  *out = FALSE;
  if (affix != NULL && (affix->type == HEARTH_JSON_X_TUPLE || affix->type == HEARTH_JSON_ARRAY))
    {
      for (guint i = 0; i < affix->u.arr.n && !*out; i++)
        if (!str_affix (r, at, self, affix->u.arr.items[i], suffix, out))
          return FALSE;
      return TRUE;
    }
  if (!want_string (r, at, affix, suffix ? "endswith argument" : "startswith argument"))
    return FALSE;
  if (affix->u.str.len <= self->u.str.len)
    *out = memcmp (self->u.str.data + (suffix ? self->u.str.len - affix->u.str.len : 0),
                   affix->u.str.data, affix->u.str.len) == 0;
  return TRUE;
}

static HearthJsonValue *
str_join (JinjaRender           *r,
          Node                  *at,
          const char            *sep,
          gsize                  sep_len,
          GPtrArray             *items,
          gboolean               strict)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++)
    {
      HearthJsonValue *item = g_ptr_array_index (items, i);

      if (strict && item->type != HEARTH_JSON_STRING)
        {
          g_string_free (out, TRUE);
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                      "TypeError: sequence item %u: expected str instance, %s found", i,
                      hearth_json_type_name (item));
          return NULL;
        }
      if (i > 0)
        g_string_append_len (out, sep, (gssize) sep_len);
      jv_append_str (out, item);
      if (!jinja_check_size (r, at, out->len))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
    }
  return jv_string_from_gstring (out);
}

static HearthJsonValue *
str_splitlines (const HearthJsonValue *self)
{
  HearthJsonValue *res = jv_seq_new (HEARTH_JSON_ARRAY, 0);
  const char *p = self->u.str.data, *end = p + self->u.str.len, *line = p;

  while (p < end)
    {
      if (*p == '\n' || *p == '\r')
        {
          jv_seq_append (res, hearth_json_new_string (line, p - line));
          if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
          line = ++p;
        }
      else
        p++;
    }
  if (line < end)
    jv_seq_append (res, hearth_json_new_string (line, end - line));
  return res;
}

/* str.rsplit: as split, but counting @maxsplit from the right */
static HearthJsonValue *
str_rsplit (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *self,
            HearthJsonValue *sep,
            gint64           maxsplit)
{
  const char *s = self->u.str.data, *p = s + self->u.str.len;
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  HearthJsonValue *res;
  gint64 splits = 0;

  if (maxsplit < 0)
    return str_split (r, at, self, sep, -1);
  if (sep == NULL || sep->type == HEARTH_JSON_NULL)
    {
      for (;;)
        {
          const char *word_end;
          while (p > s && py_isspace (g_utf8_get_char (g_utf8_find_prev_char (s, p))))
            p = g_utf8_find_prev_char (s, p);
          if (p == s)
            break;
          if (splits >= maxsplit)
            {
              g_ptr_array_add (pieces, hearth_json_new_string (s, p - s));
              break;
            }
          word_end = p;
          while (p > s && !py_isspace (g_utf8_get_char (g_utf8_find_prev_char (s, p))))
            p = g_utf8_find_prev_char (s, p);
          g_ptr_array_add (pieces, hearth_json_new_string (p, word_end - p));
          splits++;
        }
    }
  else
    {
      gsize n;
      if (!want_string (r, at, sep, "separator"))
        return NULL;
      n = sep->u.str.len;
      if (n == 0)
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ValueError: empty separator");
          return NULL;
        }
      for (;;)
        {
          const char *hit = NULL;
          if (splits < maxsplit)
            for (const char *q = p - MIN ((gsize) (p - s), n); q >= s && (gsize) (p - q) >= n; q--)
              {
                if (memcmp (q, sep->u.str.data, n) == 0)
                  {
                    hit = q;
                    break;
                  }
                if (q == s)
                  break;
              }
          if (hit == NULL)
            {
              g_ptr_array_add (pieces, hearth_json_new_string (s, p - s));
              break;
            }
          g_ptr_array_add (pieces, hearth_json_new_string (hit + n, p - hit - n));
          p = hit;
          splits++;
        }
    }
  res = jv_seq_new (HEARTH_JSON_ARRAY, pieces->len);
  for (guint k = pieces->len; k > 0; k--)
    jv_seq_append (res, hearth_json_value_ref (g_ptr_array_index (pieces, k - 1)));
  return res;
}

/* str.format: {} {0} {name} fields and {{ }} escapes; format specs are not
 * applied (chat templates use plain fields). */
static HearthJsonValue *
str_format (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *self,
            JinjaArgs       *a)
{
  GString *out = g_string_new (NULL);
  const char *p = self->u.str.data, *end = p + self->u.str.len;
  guint auto_index = 0;

  while (p < end)
    {
      if (*p == '{' && p + 1 < end && p[1] == '{')
        {
          g_string_append_c (out, '{');
          p += 2;
          continue;
        }
      if (*p == '}' && p + 1 < end && p[1] == '}')
        {
          g_string_append_c (out, '}');
          p += 2;
          continue;
        }
      if (*p == '{')
        {
          const char *close = memchr (p, '}', (gsize) (end - p));
          g_autofree char *field = NULL;
          HearthJsonValue *v = NULL;
          gsize flen;
          gint64 idx;

          if (close == NULL)
            {
              g_string_free (out, TRUE);
              jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ValueError: Single '{' encountered in format string");
              return NULL;
            }
          flen = strcspn (p + 1, ":!}");
          field = g_strndup (p + 1, MIN (flen, (gsize) (close - p - 1)));
          if (*field == '\0')
            v = arg (a, auto_index++, NULL);
          else if (g_ascii_string_to_signed (field, 10, 0, G_MAXINT, &idx, NULL))
            v = arg (a, (guint) idx, NULL);
          else
            v = arg (a, G_MAXUINT, field);
          if (v == NULL)
            {
              g_string_free (out, TRUE);
              jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "IndexError: format field '%s' has no argument", field);
              return NULL;
            }
          jv_append_str (out, v);
          p = close + 1;
          if (!jinja_check_size (r, at, out->len))
            {
              g_string_free (out, TRUE);
              return NULL;
            }
          continue;
        }
      g_string_append_c (out, *p++);
    }
  return jv_string_from_gstring (out);
}

HearthJsonValue *
jinja_percent_format (JinjaRender     *r,
                      Node            *at,
                      HearthJsonValue *fmt,
                      HearthJsonValue *args)
{
  GString *out = g_string_new (NULL);
  const char *p = fmt->u.str.data, *end = p + fmt->u.str.len;
  HearthJsonValue *const *items = &args;
  guint n = 1, used = 0;

  if (args->type == HEARTH_JSON_X_TUPLE)
    {
      items = args->u.arr.items;
      n = args->u.arr.n;
    }
  while (p < end)
    {
      gboolean left = FALSE;
      int width = 0, prec = -1;
      HearthJsonValue *v;
      g_autoptr(GString) piece = g_string_new (NULL);

      if (*p != '%')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      p++;
      if (p < end && *p == '%')
        {
          g_string_append_c (out, '%');
          p++;
          continue;
        }
      if (p < end && *p == '-')
        {
          left = TRUE;
          p++;
        }
      while (p < end && g_ascii_isdigit (*p) && width < 1000)
        width = width * 10 + (*p++ - '0');
      if (p < end && *p == '.')
        {
          prec = 0;
          p++;
          while (p < end && g_ascii_isdigit (*p) && prec < 100)
            prec = prec * 10 + (*p++ - '0');
        }
      if (p >= end || strchr ("sdirf", *p) == NULL || used >= n)
        {
          g_string_free (out, TRUE);
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, used >= n && p < end && strchr ("sdirf", *p)
                      ? "TypeError: not enough arguments for format string"
                      : "ValueError: unsupported format character in format string");
          return NULL;
        }
      v = items[used++];
      switch (*p++)
        {
        case 's':
          jv_append_str (piece, v);
          if (prec >= 0 && (gsize) prec < piece->len)
            g_string_truncate (piece, (gsize) (g_utf8_offset_to_pointer (piece->str, prec) - piece->str));
          break;
        case 'r':
          jv_append_repr (piece, v, 0);
          break;
        case 'f':
          if (!jv_is_number (v))
            goto type_error;
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE + 400];
            char spec[16];
            g_snprintf (spec, sizeof spec, "%%.%df", prec < 0 ? 6 : MIN (prec, 50));
            g_ascii_formatd (buf, sizeof buf, spec, jv_as_double (v));
            g_string_append (piece, buf);
          }
          break;
        default: /* d, i */
          if (!jv_is_number (v))
            goto type_error;
          g_string_append_printf (piece, "%" G_GINT64_FORMAT, jv_as_int (v));
        }
      if (!left)
        for (int k = (int) g_utf8_strlen (piece->str, -1); k < width; k++)
          g_string_append_c (out, ' ');
      g_string_append_len (out, piece->str, (gssize) piece->len);
      if (left)
        for (int k = (int) g_utf8_strlen (piece->str, -1); k < width; k++)
          g_string_append_c (out, ' ');
      if (!jinja_check_size (r, at, out->len))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      continue;

    type_error:
      g_string_free (out, TRUE);
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: %%%c format: a real number is required, not %s",
                  p[-1], hearth_json_type_name (v));
      return NULL;
    }
  if (used < n)
    {
      g_string_free (out, TRUE);
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                  "TypeError: not all arguments converted during string formatting");
      return NULL;
    }
  return jv_string_from_gstring (out);
}

/* ---- time ---- */

static HearthJsonValue *
strftime_now (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *fmt)
{
  static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                      "Saturday", "Sunday" };
  static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
                                        "August", "September", "October", "November", "December" };
  GDateTime *t = r->now;
  GString *out = g_string_new (NULL);
  const char *p = fmt->u.str.data, *end = p + fmt->u.str.len;

  /* C-locale strftime, as the reference runtime formats it */
  while (p < end)
    {
      gboolean no_pad = FALSE;
      int width = 2, value = -1;

      if (*p != '%' || p + 1 >= end)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      p++;
      if (*p == '-' && p + 1 < end)
        {
          no_pad = TRUE;
          p++;
        }
      switch (*p)
        {
        case 'a': g_string_append_len (out, days[g_date_time_get_day_of_week (t) - 1], 3); break;
        case 'A': g_string_append (out, days[g_date_time_get_day_of_week (t) - 1]); break;
        case 'b': case 'h': g_string_append_len (out, months[g_date_time_get_month (t) - 1], 3); break;
        case 'B': g_string_append (out, months[g_date_time_get_month (t) - 1]); break;
        case 'd': value = g_date_time_get_day_of_month (t); break;
        case 'e': g_string_append_printf (out, "%2d", g_date_time_get_day_of_month (t)); break;
        case 'm': value = g_date_time_get_month (t); break;
        case 'y': value = g_date_time_get_year (t) % 100; break;
        case 'Y': g_string_append_printf (out, "%d", g_date_time_get_year (t)); break;
        case 'H': value = g_date_time_get_hour (t); break;
        case 'I': value = (g_date_time_get_hour (t) + 11) % 12 + 1; break;
        case 'M': value = g_date_time_get_minute (t); break;
        case 'S': value = g_date_time_get_second (t); break;
        case 'j': value = g_date_time_get_day_of_year (t); width = 3; break;
        case 'p': g_string_append (out, g_date_time_get_hour (t) < 12 ? "AM" : "PM"); break;
        case '%': g_string_append_c (out, '%'); break;
        default:
          g_string_append_c (out, '%');
          if (no_pad)
            g_string_append_c (out, '-');
          g_string_append_c (out, *p);
        }
      if (value >= 0)
        g_string_append_printf (out, no_pad ? "%d" : "%0*d", no_pad ? value : width, value);
      p++;
    }
  if (!jinja_check_size (r, at, out->len))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return jv_string_from_gstring (out);
}

/* ---- functions and methods ---- */

static HearthJsonValue *
dict_items (HearthJsonValue *obj)
{
  HearthJsonValue *res = jv_seq_new (HEARTH_JSON_ARRAY, obj->u.obj.n);

  for (guint i = 0; i < obj->u.obj.n; i++)
    {
      HearthJsonValue *pair = jv_seq_new (HEARTH_JSON_X_TUPLE, 2);
      jv_seq_append (pair, hearth_json_new_string (obj->u.obj.members[i].key,
                                                   (gssize) obj->u.obj.members[i].key_len));
      jv_seq_append (pair, hearth_json_value_ref (obj->u.obj.members[i].value));
      jv_seq_append (res, pair);
    }
  return res;
}

static HearthJsonValue *
make_mapping (JinjaRender *r,
              Node        *at,
              JinjaArgs   *a,
              guint8       type)
{
  g_autoptr(HearthJsonValue) obj = hearth_json_value_alloc (type);

  if (a->args->len > 1)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: expected at most 1 positional argument");
      return NULL;
    }
  if (a->args->len == 1)
    {
      HearthJsonValue *init = g_ptr_array_index (a->args, 0);
      if (!jv_is_map (init))
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: cannot make a mapping from '%s'",
                      hearth_json_type_name (init));
          return NULL;
        }
      for (guint i = 0; i < init->u.obj.n; i++)
        hearth_json_object_set_len (obj, init->u.obj.members[i].key, init->u.obj.members[i].key_len,
                                    hearth_json_value_ref (init->u.obj.members[i].value));
    }
  for (guint k = 0; a->kwnames != NULL && k < a->kwnames->len; k++)
    {
      const char *key = g_ptr_array_index (a->kwnames, k);
      hearth_json_object_set_len (obj, key, strlen (key),
                                  hearth_json_value_ref (g_ptr_array_index (a->kwvals, k)));
    }
  return g_steal_pointer (&obj);
}

HearthJsonValue *
jinja_call_function (JinjaRender     *r,
                     Node            *at,
                     HearthJsonValue *fn,
                     JinjaArgs       *a)
{
  HearthJsonValue *self = fn->u.ext.self;
  HearthJsonValue *a0 = arg (a, 0, NULL);

  switch ((FuncId) fn->u.ext.id)
    {
    case F_RAISE_EXCEPTION:
      {
        g_autofree char *msg = a0 ? jv_to_str (a0, NULL) : g_strdup ("");
        jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TemplateError: %s", msg);
        return NULL;
      }
    case F_STRFTIME_NOW:
      if (!want_string (r, at, a0, "format"))
        return NULL;
      return strftime_now (r, at, a0);
    case F_NAMESPACE:
      return make_mapping (r, at, a, HEARTH_JSON_X_NAMESPACE);
    case F_DICT:
      return make_mapping (r, at, a, HEARTH_JSON_OBJECT);
    case F_RANGE:
      {
        gint64 start = 0, stop, step = 1;
        HearthJsonValue *res;
        guint n = a->args->len;

        if (n < 1 || n > 3)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: range expected 1 to 3 arguments");
            return NULL;
          }
        for (guint i = 0; i < n; i++)
          if (!want_int (r, at, g_ptr_array_index (a->args, i), "range argument"))
            return NULL;
        if (n == 1)
          stop = jv_as_int (a0);
        else
          {
            start = jv_as_int (a0);
            stop = jv_as_int (g_ptr_array_index (a->args, 1));
            if (n == 3)
              step = jv_as_int (g_ptr_array_index (a->args, 2));
          }
        if (step == 0)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "ValueError: range() arg 3 must not be zero");
            return NULL;
          }
        if ((step > 0 && stop > start && (stop - start) / step > MAX_RANGE) ||
            (step < 0 && start > stop && (start - stop) / -step > MAX_RANGE))
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_LIMIT,
                        "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).",
                        MAX_RANGE);
            return NULL;
          }
        res = jv_seq_new (HEARTH_JSON_ARRAY, 0);
        for (gint64 i = start; step > 0 ? i < stop : i > stop; i += step)
          jv_seq_append (res, hearth_json_new_int (i));
        return res;
      }
    case F_LOOP_CYCLE:
      {
        JinjaLoop *st = self->u.ext.data;
        if (a->args->len == 0)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: no items for cycling given");
            return NULL;
          }
        return hearth_json_value_ref (g_ptr_array_index (a->args, st->index0 % a->args->len));
      }
    case M_STR_STRIP:
    case M_STR_LSTRIP:
    case M_STR_RSTRIP:
      if (a0 != NULL && a0->type != HEARTH_JSON_NULL && !want_string (r, at, a0, "strip argument"))
        return NULL;
      return str_strip (self->u.str.data, self->u.str.len,
                        a0 && a0->type == HEARTH_JSON_STRING ? a0 : NULL,
                        fn->u.ext.id != M_STR_RSTRIP, fn->u.ext.id != M_STR_LSTRIP);
    case M_STR_SPLIT:
      {
        HearthJsonValue *max = arg (a, 1, "maxsplit");
        if (max != NULL && !want_int (r, at, max, "maxsplit"))
          return NULL;
        return str_split (r, at, self, arg (a, 0, "sep"), max ? jv_as_int (max) : -1);
      }
    case M_STR_STARTSWITH:
    case M_STR_ENDSWITH:
      {
        gboolean res;
        if (!str_affix (r, at, self, a0, fn->u.ext.id == M_STR_ENDSWITH, &res))
          return NULL;
        return hearth_json_new_boolean (res);
      }
    case M_STR_REPLACE:
      {
        HearthJsonValue *old = a0, *new_ = arg (a, 1, NULL), *count = arg (a, 2, "count");
        if (!want_string (r, at, old, "replace argument 1") || !want_string (r, at, new_, "replace argument 2"))
          return NULL;
        if (count != NULL && !want_int (r, at, count, "count"))
          return NULL;
        return str_replace (r, at, self, old, new_, count ? jv_as_int (count) : -1);
      }
    case M_STR_UPPER:
    case M_STR_LOWER:
    case M_STR_TITLE:
    case M_STR_CAPITALIZE:
      return str_case (self, (FuncId) fn->u.ext.id);
    case M_STR_FIND:
    case M_STR_COUNT:
      {
        const char *hit;
        gint64 count = 0;
        if (!want_string (r, at, a0, "argument"))
          return NULL;
        hit = find_bytes (self->u.str.data, self->u.str.len, a0->u.str.data, a0->u.str.len);
        if (fn->u.ext.id == M_STR_FIND)
          return hearth_json_new_int (hit ? g_utf8_pointer_to_offset (self->u.str.data, hit) : -1);
        if (a0->u.str.len == 0)
          return hearth_json_new_int ((gint64) hearth_json_string_n_chars (self) + 1);
        while (hit != NULL)
          {
            const char *after = hit + a0->u.str.len;
            count++;
            hit = find_bytes (after, (gsize) (self->u.str.data + self->u.str.len - after),
                              a0->u.str.data, a0->u.str.len);
          }
        return hearth_json_new_int (count);
      }
    case M_STR_JOIN:
      {
        g_autoptr(GPtrArray) items = NULL;
        if (a0 == NULL)
          {
            jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: join() takes one argument");
            return NULL;
          }
        items = r->eval->iterate (r, at, a0);
        return items ? str_join (r, at, self->u.str.data, self->u.str.len, items, TRUE) : NULL;
      }
    case M_STR_FORMAT:
      return str_format (r, at, self, a);
    case M_STR_RSPLIT:
      {
        HearthJsonValue *max = arg (a, 1, "maxsplit");
        if (max != NULL && !want_int (r, at, max, "maxsplit"))
          return NULL;
        return str_rsplit (r, at, self, arg (a, 0, "sep"), max ? jv_as_int (max) : -1);
      }
    case M_STR_SPLITLINES:
      return str_splitlines (self);
    case M_STR_ISDIGIT:
    case M_STR_ISALPHA:
    case M_STR_ISSPACE:
      {
        gboolean all = self->u.str.len > 0;
        for (const char *p = self->u.str.data; all && p < self->u.str.data + self->u.str.len;
             p = g_utf8_next_char (p))
          {
            gunichar c = g_utf8_get_char (p);
            all = fn->u.ext.id == M_STR_ISDIGIT ? g_unichar_isdigit (c)
                  : fn->u.ext.id == M_STR_ISALPHA ? g_unichar_isalpha (c) : py_isspace (c);
          }
        return hearth_json_new_boolean (all);
      }
    case M_DICT_ITEMS:
      return dict_items (self);
    case M_DICT_KEYS:
    case M_DICT_VALUES:
      {
        HearthJsonValue *res = jv_seq_new (HEARTH_JSON_ARRAY, self->u.obj.n);
        for (guint i = 0; i < self->u.obj.n; i++)
          jv_seq_append (res, fn->u.ext.id == M_DICT_KEYS
                                  ? hearth_json_new_string (self->u.obj.members[i].key,
                                                            (gssize) self->u.obj.members[i].key_len)
                                  : hearth_json_value_ref (self->u.obj.members[i].value));
        return res;
      }
    case M_DICT_GET:
      {
        HearthJsonValue *fallback = arg (a, 1, "default");
        if (a0 != NULL && a0->type == HEARTH_JSON_STRING)
          {
            HearthJsonMember *m = hearth_json_object_find_member (self, a0->u.str.data, a0->u.str.len);
            if (m != NULL)
              return hearth_json_value_ref (m->value);
          }
        return fallback ? hearth_json_value_ref (fallback) : hearth_json_new_null ();
      }
    default:
      break;
    }
  jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: cannot call this function");
  return NULL;
}

/* ---- tests ---- */

/* A test: sets *out and gives TRUE, or fails the render and gives FALSE. */
typedef gboolean (*JinjaTestFunc) (JinjaRender     *r,
                                   Node            *at,
                                   HearthJsonValue *v,
                                   JinjaArgs       *a,
                                   gboolean        *out);

/* The comparisons ("eq", "==", "lessthan"...) differ only by operator and by
 * the name their error quotes, so they have no function of their own: @func
 * is NULL and @op says which comparison the test makes. */
typedef struct
{
  const char   *name;
  JinjaTestFunc func;
  OpKind        op;
} JinjaTestEntry;

static gboolean
test_defined (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *v,
              JinjaArgs       *a,
              gboolean        *out)
{
  *out = v->type != HEARTH_JSON_X_UNDEFINED;
  return TRUE;
}

static gboolean
test_undefined (JinjaRender     *r,
                Node            *at,
                HearthJsonValue *v,
                JinjaArgs       *a,
                gboolean        *out)
{
  *out = v->type == HEARTH_JSON_X_UNDEFINED;
  return TRUE;
}

static gboolean
test_none (JinjaRender     *r,
           Node            *at,
           HearthJsonValue *v,
           JinjaArgs       *a,
           gboolean        *out)
{
  *out = v->type == HEARTH_JSON_NULL;
  return TRUE;
}

static gboolean
test_string (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *v,
             JinjaArgs       *a,
             gboolean        *out)
{
  *out = v->type == HEARTH_JSON_STRING;
  return TRUE;
}

static gboolean
test_mapping (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *v,
              JinjaArgs       *a,
              gboolean        *out)
{
  *out = v->type == HEARTH_JSON_OBJECT;
  return TRUE;
}

static gboolean
test_iterable (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *v,
               JinjaArgs       *a,
               gboolean        *out)
{
  *out = v->type == HEARTH_JSON_STRING || jv_is_seq (v) || jv_is_map (v) || v->type == HEARTH_JSON_X_UNDEFINED;
  return TRUE;
}

static gboolean
test_sequence (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *v,
               JinjaArgs       *a,
               gboolean        *out)
{
  guint8 t = v->type;

  *out = t == HEARTH_JSON_STRING || t == HEARTH_JSON_ARRAY || t == HEARTH_JSON_X_TUPLE ||
         t == HEARTH_JSON_OBJECT || t == HEARTH_JSON_X_UNDEFINED;
  return TRUE;
}

static gboolean
test_number (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *v,
             JinjaArgs       *a,
             gboolean        *out)
{
  *out = jv_is_number (v);
  return TRUE;
}

static gboolean
test_integer (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *v,
              JinjaArgs       *a,
              gboolean        *out)
{
  *out = v->type == HEARTH_JSON_INT;
  return TRUE;
}

static gboolean
test_float (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *v,
            JinjaArgs       *a,
            gboolean        *out)
{
  *out = v->type == HEARTH_JSON_DOUBLE;
  return TRUE;
}

static gboolean
test_boolean (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *v,
              JinjaArgs       *a,
              gboolean        *out)
{
  *out = v->type == HEARTH_JSON_BOOLEAN;
  return TRUE;
}

static gboolean
test_true (JinjaRender     *r,
           Node            *at,
           HearthJsonValue *v,
           JinjaArgs       *a,
           gboolean        *out)
{
  *out = v->type == HEARTH_JSON_BOOLEAN && v->u.b;
  return TRUE;
}

static gboolean
test_false (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *v,
            JinjaArgs       *a,
            gboolean        *out)
{
  *out = v->type == HEARTH_JSON_BOOLEAN && !v->u.b;
  return TRUE;
}

static gboolean
test_callable (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *v,
               JinjaArgs       *a,
               gboolean        *out)
{
  *out = v->type == HEARTH_JSON_X_MACRO || v->type == HEARTH_JSON_X_FUNCTION;
  return TRUE;
}

/* lower, upper: whether changing the case of @v's text leaves it as it is */
static gboolean
case_unchanged (HearthJsonValue *v,
                gboolean         lower)
{
  g_autofree char *s = jv_to_str (v, NULL);
  g_autofree char *c = lower ? g_utf8_strdown (s, -1) : g_utf8_strup (s, -1);

  return strcmp (s, c) == 0;
}

static gboolean
test_lower (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *v,
            JinjaArgs       *a,
            gboolean        *out)
{
  *out = case_unchanged (v, TRUE);
  return TRUE;
}

static gboolean
test_upper (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *v,
            JinjaArgs       *a,
            gboolean        *out)
{
  *out = case_unchanged (v, FALSE);
  return TRUE;
}

/* Nothing is Markup until it is output, so no value is escaped yet. */
static gboolean
test_escaped (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *v,
              JinjaArgs       *a,
              gboolean        *out)
{
  *out = FALSE;
  return TRUE;
}

/* even, odd, divisibleby: whether @v divides by the first argument of
 * @divisor_args, or by 2 where @divisor_args is NULL */
static gboolean
divides (JinjaRender     *r,
         Node            *at,
         HearthJsonValue *v,
         JinjaArgs       *divisor_args,
         gboolean        *out)
{
  gint64 d = 2;

  if (!want_int (r, at, v, "tested value"))
    return FALSE;
  if (divisor_args != NULL)
    {
      HearthJsonValue *a0 = arg (divisor_args, 0, NULL);
      if (!want_int (r, at, a0, "divisor"))
        return FALSE;
      d = jv_as_int (a0);
      if (d == 0)
        return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE,
                           "ZeroDivisionError: integer division or modulo by zero");
    }
  /* G_MININT64 % -1 overflows, and every integer divides by -1 */
  *out = d == -1 || jv_as_int (v) % d == 0;
  return TRUE;
}

static gboolean
test_even (JinjaRender     *r,
           Node            *at,
           HearthJsonValue *v,
           JinjaArgs       *a,
           gboolean        *out)
{
  return divides (r, at, v, NULL, out);
}

static gboolean
test_odd (JinjaRender     *r,
          Node            *at,
          HearthJsonValue *v,
          JinjaArgs       *a,
          gboolean        *out)
{
  gboolean even;

  if (!divides (r, at, v, NULL, &even))
    return FALSE;
  *out = !even;
  return TRUE;
}

static gboolean
test_divisibleby (JinjaRender     *r,
                  Node            *at,
                  HearthJsonValue *v,
                  JinjaArgs       *a,
                  gboolean        *out)
{
  return divides (r, at, v, a, out);
}

static gboolean
test_sameas (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *v,
             JinjaArgs       *a,
             gboolean        *out)
{
  HearthJsonValue *a0 = arg (a, 0, NULL);
  guint8 t = v->type;

  if (a0 == NULL)
    return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: sameas needs an argument");
  *out = v == a0 || ((t == HEARTH_JSON_NULL || t == HEARTH_JSON_BOOLEAN) && t == a0->type &&
                     (t == HEARTH_JSON_NULL || v->u.b == a0->u.b));
  return TRUE;
}

static gboolean
test_compare (JinjaRender          *r,
              Node                 *at,
              const JinjaTestEntry *test,
              HearthJsonValue      *v,
              JinjaArgs            *a,
              gboolean             *out)
{
  HearthJsonValue *a0 = arg (a, 0, NULL);

  if (a0 == NULL)
    return jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: test '%s' needs an argument",
                       test->name);
  return r->eval->compare (r, at, test->op, v, a0, out);
}

/* The tests by name, sorted for bsearch: a template's tests are looked up
 * once, when it is parsed, and the node keeps the index into this table. */
static const JinjaTestEntry tests[] = {
  { "!=", .op = OP_NE },
  { "<", .op = OP_LT },
  { "<=", .op = OP_LE },
  { "==", .op = OP_EQ },
  { ">", .op = OP_GT },
  { ">=", .op = OP_GE },
  { "boolean", test_boolean },
  { "callable", test_callable },
  { "defined", test_defined },
  { "divisibleby", test_divisibleby },
  { "eq", .op = OP_EQ },
  { "equalto", .op = OP_EQ },
  { "escaped", test_escaped },
  { "even", test_even },
  { "false", test_false },
  { "float", test_float },
  { "ge", .op = OP_GE },
  { "greaterthan", .op = OP_GT },
  { "gt", .op = OP_GT },
  { "in", .op = OP_IN },
  { "integer", test_integer },
  { "iterable", test_iterable },
  { "le", .op = OP_LE },
  { "lessthan", .op = OP_LT },
  { "lower", test_lower },
  { "lt", .op = OP_LT },
  { "mapping", test_mapping },
  { "ne", .op = OP_NE },
  { "none", test_none },
  { "number", test_number },
  { "odd", test_odd },
  { "sameas", test_sameas },
  { "sequence", test_sequence },
  { "string", test_string },
  { "true", test_true },
  { "undefined", test_undefined },
  { "upper", test_upper },
};

gboolean
jinja_apply_test (JinjaRender     *r,
                  Node            *at,
                  int              test,
                  HearthJsonValue *v,
                  JinjaArgs       *a,
                  gboolean        *out)
{
  const JinjaTestEntry *entry;

  g_return_val_if_fail (test >= 0 && (gsize) test < G_N_ELEMENTS (tests), FALSE);
  entry = &tests[test];
  if (entry->func == NULL)
    return test_compare (r, at, entry, v, a, out);
  return entry->func (r, at, v, a, out);
}

/* ---- filters ---- */

/* item.a.b as Jinja's attribute paths look it up (keys first, digits as indices) */
static HearthJsonValue *
get_path (JinjaRender     *r,
          Node            *at,
          HearthJsonValue *item,
          HearthJsonValue *path)
{
  g_auto(GStrv) parts = NULL;
  HearthJsonValue *cur;

  if (path->type == HEARTH_JSON_INT)
    return r->eval->getitem (r, at, item, path);
  if (!want_string (r, at, path, "attribute"))
    return NULL;
  parts = g_strsplit (path->u.str.data, ".", -1);
  cur = hearth_json_value_ref (item);
  for (guint i = 0; parts[i] != NULL && cur != NULL; i++)
    {
      g_autoptr(HearthJsonValue) key = NULL;
      gint64 idx;
      HearthJsonValue *next;

      if (g_ascii_string_to_signed (parts[i], 10, G_MININT64, G_MAXINT64, &idx, NULL))
        key = hearth_json_new_int (idx);
      else
        key = hearth_json_new_string (parts[i], -1);
      next = r->eval->getitem (r, at, cur, key);
      hearth_json_value_unref (cur);
      cur = next;
    }
  return cur;
}

/* select/reject and their attr forms: @attr_form takes the attribute as
 * the first argument; the test name follows, then its arguments. */
static HearthJsonValue *
select_or_reject (JinjaRender     *r,
                  Node            *at,
                  HearthJsonValue *input,
                  JinjaArgs       *a,
                  gboolean         attr_form,
                  gboolean         keep_if)
{
  /* Jinja2 skips a falsy input (none included) instead of iterating it */
  g_autoptr(GPtrArray) items = jv_truthy (input) ? r->eval->iterate (r, at, input)
                                                 : g_ptr_array_new ();
  g_autoptr(GPtrArray) targs = g_ptr_array_new ();
  guint first_arg = attr_form ? 1 : 0;
  HearthJsonValue *attr = attr_form ? arg (a, 0, NULL) : NULL;
  HearthJsonValue *test = arg (a, first_arg, NULL);
  HearthJsonValue *res;
  JinjaArgs ta = { targs, NULL, NULL };
  int test_id;

  if (items == NULL)
    return NULL;
  if (attr_form && attr == NULL)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: missing attribute argument");
      return NULL;
    }
  if (test != NULL && !want_string (r, at, test, "test name"))
    return NULL;
  test_id = test != NULL ? jinja_test_lookup (test->u.str.data) : -1;
  for (guint i = first_arg + 1; i < a->args->len; i++)
    g_ptr_array_add (targs, g_ptr_array_index (a->args, i));
  res = jv_seq_new (HEARTH_JSON_X_GENERATOR, 0);
  for (guint i = 0; i < items->len; i++)
    {
      HearthJsonValue *item = g_ptr_array_index (items, i);
      g_autoptr(HearthJsonValue) subject = attr ? get_path (r, at, item, attr) : hearth_json_value_ref (item);
      gboolean ok;

      if (subject == NULL)
        goto fail;
      if (test == NULL)
        ok = jv_truthy (subject);
      else if (test_id < 0)
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TemplateRuntimeError: No test named '%s'.",
                      test->u.str.data);
          goto fail;
        }
      else if (!jinja_apply_test (r, at, test_id, subject, &ta, &ok))
        goto fail;
      if (ok == keep_if)
        jv_seq_append (res, hearth_json_value_ref (item));
    }
  return res;

fail:
  hearth_json_value_unref (res);
  return NULL;
}

static HearthJsonValue *
filter_map (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = jv_truthy (input) ? r->eval->iterate (r, at, input)
                                                 : g_ptr_array_new ();
  HearthJsonValue *attr = arg (a, G_MAXUINT, "attribute");
  HearthJsonValue *fallback = arg (a, G_MAXUINT, "default");
  HearthJsonValue *filter = a->args->len > 0 ? g_ptr_array_index (a->args, 0) : NULL;
  g_autoptr(GPtrArray) fargs = g_ptr_array_new ();
  HearthJsonValue *res;
  JinjaArgs fa = { fargs, NULL, NULL };
  int mapped = -1;

  if (items == NULL)
    return NULL;
  if (attr == NULL)
    {
      if (!want_string (r, at, filter, "map filter name"))
        return NULL;
      mapped = jinja_filter_lookup (filter->u.str.data);
      if (mapped < 0)
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TemplateRuntimeError: No filter named '%s'.",
                      filter->u.str.data);
          return NULL;
        }
      for (guint i = 1; i < a->args->len; i++)
        g_ptr_array_add (fargs, g_ptr_array_index (a->args, i));
      fa.kwnames = a->kwnames;
      fa.kwvals = a->kwvals;
    }
  res = jv_seq_new (HEARTH_JSON_X_GENERATOR, items->len);
  for (guint i = 0; i < items->len; i++)
    {
      HearthJsonValue *item = g_ptr_array_index (items, i);
      HearthJsonValue *v;

      if (attr != NULL)
        {
          v = get_path (r, at, item, attr);
          if (v != NULL && v->type == HEARTH_JSON_X_UNDEFINED && fallback != NULL)
            {
              hearth_json_value_unref (v);
              v = hearth_json_value_ref (fallback);
            }
        }
      else
        v = jinja_apply_filter (r, at, mapped, item, &fa);
      if (v == NULL)
        {
          hearth_json_value_unref (res);
          return NULL;
        }
      jv_seq_append (res, v);
    }
  return res;
}

typedef struct
{
  JinjaRender     *r;
  Node            *at;
  gboolean         case_sensitive;
  gboolean         reverse;
  HearthJsonValue *attr;
  gboolean         by_value;  /* dictsort */
  gboolean         pairs;     /* dictsort: items are (key, value) tuples */
} SortCtx;

static HearthJsonValue *
sort_key (SortCtx         *c,
          HearthJsonValue *item)
{
  g_autoptr(HearthJsonValue) k = NULL;

  if (c->pairs)
    k = hearth_json_value_ref (item->u.arr.items[c->by_value ? 1 : 0]);
  else if (c->attr != NULL)
    k = get_path (c->r, c->at, item, c->attr);
  else
    k = hearth_json_value_ref (item);
  if (k != NULL && !c->case_sensitive && k->type == HEARTH_JSON_STRING)
    {
      char *low = g_utf8_strdown (k->u.str.data, (gssize) k->u.str.len);
      return hearth_json_new_string_take (low, strlen (low));
    }
  return g_steal_pointer (&k);
}

static int
sort_compare (gconstpointer pa,
              gconstpointer pb,
              gpointer      data)
{
  SortCtx *c = data;
  g_autoptr(HearthJsonValue) ka = NULL;
  g_autoptr(HearthJsonValue) kb = NULL;
  gboolean lt = FALSE, gt = FALSE;

  if (c->r->error != NULL)
    return 0;
  ka = sort_key (c, *(HearthJsonValue *const *) pa);
  kb = sort_key (c, *(HearthJsonValue *const *) pb);
  if (ka == NULL || kb == NULL || !c->r->eval->compare (c->r, c->at, OP_LT, ka, kb, &lt) ||
      !c->r->eval->compare (c->r, c->at, OP_LT, kb, ka, &gt))
    return 0;
  return c->reverse ? (gt ? -1 : lt) : (lt ? -1 : gt);
}

static HearthJsonValue *
sorted_list (JinjaRender     *r,
             Node            *at,
             GPtrArray       *items,
             SortCtx         *c)
{
  c->r = r;
  c->at = at;
  /* g_ptr_array_sort_with_data is a stable merge sort, like Python's sort */
  g_ptr_array_sort_with_data (items, sort_compare, c);
  if (r->error != NULL)
    return NULL;
  return jv_seq_from_items (HEARTH_JSON_ARRAY, items);
}

static HearthJsonValue *
filter_indent (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  HearthJsonValue *width = arg (a, 0, "width");
  gboolean first = arg_bool (a, 1, "first", FALSE);
  gboolean blank = arg_bool (a, 2, "blank", FALSE);
  g_autofree char *pad = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(HearthJsonValue) s = NULL;
  g_autoptr(HearthJsonValue) lines = NULL;
  GString *out = g_string_new (NULL);

  if (width == NULL)
    pad = g_strdup ("    ");
  else if (width->type == HEARTH_JSON_STRING)
    pad = g_strdup (width->u.str.data);
  else if (want_int (r, at, width, "width"))
    pad = g_strnfill ((gsize) CLAMP (jv_as_int (width), 0, 1024), ' ');
  else
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  /* Jinja2 adds a newline before splitting, so a trailing newline survives */
  jv_append_str (text, input);
  g_string_append_c (text, '\n');
  s = hearth_json_new_string (text->str, (gssize) text->len);
  lines = str_splitlines (s);
  for (guint i = 0; i < lines->u.arr.n; i++)
    {
      HearthJsonValue *line = lines->u.arr.items[i];
      if (i > 0)
        g_string_append_c (out, '\n');
      if ((i > 0 || first) && (blank || line->u.str.len > 0))
        g_string_append (out, pad);
      else if (i == 0 && first)
        g_string_append (out, pad);
      g_string_append_len (out, line->u.str.data, (gssize) line->u.str.len);
      if (!jinja_check_size (r, at, out->len))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
    }
  return jv_string_from_gstring (out);
}

static char *
ascii_escape (const char *s,
              gsize       len,
              gsize      *out_len)
{
  GString *out = g_string_sized_new (len);

  for (const char *p = s; p < s + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (c < 0x80)
        g_string_append_c (out, (char) c);
      else if (c < 0x10000)
        g_string_append_printf (out, "\\u%04x", c);
      else
        {
          c -= 0x10000;
          g_string_append_printf (out, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
        }
    }
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

static HearthJsonValue *
filter_tojson (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  /* Hugging Face's tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False) */
  gboolean ensure_ascii = arg_bool (a, 0, "ensure_ascii", FALSE);
  HearthJsonValue *indent = arg (a, 1, "indent");
  HearthJsonValue *seps = arg (a, 2, "separators");
  HearthJsonFormat fmt = { -1, NULL, NULL, arg_bool (a, 3, "sort_keys", FALSE) };
  GString *out = g_string_new (NULL);
  GError *err = NULL;

  if (indent != NULL && indent->type != HEARTH_JSON_NULL)
    {
      if (!want_int (r, at, indent, "indent"))
        goto fail;
      fmt.indent = (int) CLAMP (jv_as_int (indent), 0, 64);
    }
  if (seps != NULL && seps->type != HEARTH_JSON_NULL)
    {
      if (!jv_is_seq (seps) || seps->u.arr.n != 2 || seps->u.arr.items[0]->type != HEARTH_JSON_STRING ||
          seps->u.arr.items[1]->type != HEARTH_JSON_STRING)
        {
          jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: separators must be a pair of strings");
          goto fail;
        }
      fmt.item_sep = seps->u.arr.items[0]->u.str.data;
      fmt.key_sep = seps->u.arr.items[1]->u.str.data;
    }
  if (!hearth_json_append (out, input, &fmt, r->t->limits.max_output_bytes, &err))
    {
      jinja_fail (r, at, err->code, "%s", err->message);
      g_error_free (err);
      goto fail;
    }
  if (ensure_ascii)
    {
      gsize len;
      char *esc = ascii_escape (out->str, out->len, &len);
      g_string_free (out, TRUE);
      return hearth_json_new_string_take (esc, len);
    }
  return jv_string_from_gstring (out);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

static HearthJsonValue *
filter_round (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  HearthJsonValue *prec = arg (a, 0, "precision");
  HearthJsonValue *method = arg (a, 1, "method");
  double x, scale, v;
  gint64 p = prec ? jv_as_int (prec) : 0;

  if (!jv_is_number (input))
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: round needs a number, not %s",
                  hearth_json_type_name (input));
      return NULL;
    }
  x = jv_as_double (input);
  scale = pow (10.0, (double) CLAMP (p, -300, 300));
  if (method == NULL || (method->type == HEARTH_JSON_STRING && strcmp (method->u.str.data, "common") == 0))
    {
      /* Python's round() rounds half to even */
      v = x * scale;
      double fl = floor (v), diff = v - fl;
      if (diff > 0.5 || (diff == 0.5 && fmod (fl, 2.0) != 0.0))
        fl += 1.0;
      v = fl / scale;
    }
  else if (method->type == HEARTH_JSON_STRING && strcmp (method->u.str.data, "ceil") == 0)
    v = ceil (x * scale) / scale;
  else if (method->type == HEARTH_JSON_STRING && strcmp (method->u.str.data, "floor") == 0)
    v = floor (x * scale) / scale;
  else
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "FilterArgumentError: method must be common, ceil or floor");
      return NULL;
    }
  return hearth_json_new_double (v);
}

static HearthJsonValue *
min_or_max (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a,
            gboolean         want_max)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);
  SortCtx c = { 0 };
  HearthJsonValue *best = NULL;

  if (items == NULL)
    return NULL;
  c.r = r;
  c.at = at;
  c.case_sensitive = arg_bool (a, 0, "case_sensitive", FALSE);
  c.attr = arg (a, 1, "attribute");
  for (guint i = 0; i < items->len; i++)
    {
      HearthJsonValue *item = g_ptr_array_index (items, i);
      int cmp;
      if (best == NULL)
        {
          best = item;
          continue;
        }
      cmp = sort_compare (&item, &best, &c);
      if (r->error != NULL)
        return NULL;
      if (want_max ? cmp > 0 : cmp < 0)
        best = item;
    }
  if (best == NULL)
    return jv_undefined ("No aggregated item, sequence was empty.");
  return hearth_json_value_ref (best);
}

static HearthJsonValue *
filter_select (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  return select_or_reject (r, at, input, a, FALSE, TRUE);
}

static HearthJsonValue *
filter_reject (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  return select_or_reject (r, at, input, a, FALSE, FALSE);
}

static HearthJsonValue *
filter_selectattr (JinjaRender     *r,
                   Node            *at,
                   HearthJsonValue *input,
                   JinjaArgs       *a)
{
  return select_or_reject (r, at, input, a, TRUE, TRUE);
}

static HearthJsonValue *
filter_rejectattr (JinjaRender     *r,
                   Node            *at,
                   HearthJsonValue *input,
                   JinjaArgs       *a)
{
  return select_or_reject (r, at, input, a, TRUE, FALSE);
}

static HearthJsonValue *
filter_max (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  return min_or_max (r, at, input, a, TRUE);
}

static HearthJsonValue *
filter_min (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  return min_or_max (r, at, input, a, FALSE);
}

/* default, d */
static HearthJsonValue *
filter_default (JinjaRender     *r,
                Node            *at,
                HearthJsonValue *input,
                JinjaArgs       *a)
{
  HearthJsonValue *fallback = arg (a, 0, "default_value");
  gboolean boolean = arg_bool (a, 1, "boolean", FALSE);

  if (input->type == HEARTH_JSON_X_UNDEFINED || (boolean && !jv_truthy (input)))
    return fallback ? hearth_json_value_ref (fallback) : hearth_json_new_string ("", 0);
  return hearth_json_value_ref (input);
}

static HearthJsonValue *
filter_safe (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  HearthJsonValue *str = jv_str_value (input);
  HearthJsonValue *res;

  if (str->u.str.markup)
    return str;
  res = hearth_json_new_string (str->u.str.data, (gssize) str->u.str.len);
  res->u.str.markup = TRUE;
  hearth_json_value_unref (str);
  return res;
}

/* escape, e */
static HearthJsonValue *
filter_escape (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  return jv_html_escape (input);
}

static HearthJsonValue *
filter_attr (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  HearthJsonValue *name = arg (a, 0, NULL);

  if (!want_string (r, at, name, "attribute name"))
    return NULL;
  return r->eval->getattr (r, at, input, name->u.str.data);
}

static HearthJsonValue *
filter_format (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  /* "fmt"|format(args...) is fmt % (args...) */
  g_autoptr(HearthJsonValue) fmt = jv_str_value (input);
  g_autoptr(HearthJsonValue) tuple = jv_seq_from_items (HEARTH_JSON_X_TUPLE, a->args);

  return jinja_percent_format (r, at, fmt, tuple);
}

/* length, count */
static HearthJsonValue *
filter_length (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  switch (input->type)
    {
    case HEARTH_JSON_STRING:
      return hearth_json_new_int ((gint64) hearth_json_string_n_chars (input));
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
      return hearth_json_new_int (input->u.arr.n);
    case HEARTH_JSON_OBJECT:
    case HEARTH_JSON_X_NAMESPACE:
      return hearth_json_new_int (input->u.obj.n);
    case HEARTH_JSON_X_UNDEFINED:
      return hearth_json_new_int (0);
    default:
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: object of type '%s' has no len()",
                  hearth_json_type_name (input));
      return NULL;
    }
}

static HearthJsonValue *
filter_items (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  HearthJsonValue *pairs;

  if (input->type == HEARTH_JSON_X_UNDEFINED)
    return jv_seq_new (HEARTH_JSON_X_GENERATOR, 0);
  if (!jv_is_map (input))
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: Can only get item pairs from a mapping.");
      return NULL;
    }
  pairs = dict_items (input);
  pairs->type = HEARTH_JSON_X_GENERATOR;
  return pairs;
}

static HearthJsonValue *
filter_dictsort (JinjaRender     *r,
                 Node            *at,
                 HearthJsonValue *input,
                 JinjaArgs       *a)
{
  SortCtx c = { 0 };
  HearthJsonValue *by = arg (a, 1, "by");
  g_autoptr(HearthJsonValue) pairs = NULL;
  g_autoptr(GPtrArray) items = NULL;

  if (!jv_is_map (input))
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: dictsort needs a mapping");
      return NULL;
    }
  pairs = dict_items (input);
  items = r->eval->iterate (r, at, pairs);
  c.case_sensitive = arg_bool (a, 0, "case_sensitive", FALSE);
  c.by_value = by != NULL && by->type == HEARTH_JSON_STRING && strcmp (by->u.str.data, "value") == 0;
  c.reverse = arg_bool (a, 2, "reverse", FALSE);
  c.pairs = TRUE;
  return sorted_list (r, at, items, &c);
}

static HearthJsonValue *
filter_list (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);

  return items ? jv_seq_from_items (HEARTH_JSON_ARRAY, items) : NULL;
}

static HearthJsonValue *
filter_first (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);

  if (items == NULL)
    return NULL;
  return items->len ? hearth_json_value_ref (g_ptr_array_index (items, 0))
                    : jv_undefined ("No first item, sequence was empty.");
}

static HearthJsonValue *
filter_last (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);

  if (items == NULL)
    return NULL;
  return items->len ? hearth_json_value_ref (g_ptr_array_index (items, items->len - 1))
                    : jv_undefined ("No last item, sequence was empty.");
}

static HearthJsonValue *
filter_reverse (JinjaRender     *r,
                Node            *at,
                HearthJsonValue *input,
                JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = NULL;
  HearthJsonValue *res;

  if (input->type == HEARTH_JSON_STRING)
    {
      char *rev = g_utf8_strreverse (input->u.str.data, (gssize) input->u.str.len);
      return hearth_json_new_string_take (rev, input->u.str.len);
    }
  items = r->eval->iterate (r, at, input);
  if (items == NULL)
    return NULL;
  res = jv_seq_new (HEARTH_JSON_X_GENERATOR, items->len);
  for (guint i = items->len; i > 0; i--)
    jv_seq_append (res, hearth_json_value_ref (g_ptr_array_index (items, i - 1)));
  return res;
}

static HearthJsonValue *
filter_join (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);
  HearthJsonValue *sep = arg (a, 0, "d");
  HearthJsonValue *attr = arg (a, 1, "attribute");
  g_autofree char *sep_s = NULL;
  gsize sep_len = 0;

  if (items == NULL)
    return NULL;
  if (attr != NULL)
    for (guint i = 0; i < items->len; i++)
      {
        HearthJsonValue *v = get_path (r, at, g_ptr_array_index (items, i), attr);
        if (v == NULL)
          return NULL;
        {
          HearthJsonValue *replaced = g_ptr_array_index (items, i);
          g_ptr_array_index (items, i) = v;
          hearth_json_value_unref (replaced);
        }
      }
  sep_s = sep ? jv_to_str (sep, &sep_len) : g_strdup ("");
  return str_join (r, at, sep_s, sep_len, items, FALSE);
}

static HearthJsonValue *
filter_sort (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);
  SortCtx c = { 0 };

  if (items == NULL)
    return NULL;
  c.reverse = arg_bool (a, 0, "reverse", FALSE);
  c.case_sensitive = arg_bool (a, 1, "case_sensitive", FALSE);
  c.attr = arg (a, 2, "attribute");
  return sorted_list (r, at, items, &c);
}

static HearthJsonValue *
filter_sum (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);
  HearthJsonValue *attr = arg (a, 0, "attribute");
  HearthJsonValue *start = arg (a, 1, "start");
  g_autoptr(HearthJsonValue) acc = NULL;

  if (items == NULL)
    return NULL;
  acc = start ? hearth_json_value_ref (start) : hearth_json_new_int (0);
  for (guint i = 0; i < items->len; i++)
    {
      g_autoptr(HearthJsonValue) v = attr ? get_path (r, at, g_ptr_array_index (items, i), attr)
                                          : hearth_json_value_ref (g_ptr_array_index (items, i));
      HearthJsonValue *next;
      if (v == NULL)
        return NULL;
      next = r->eval->binop (r, at, OP_ADD, acc, v);
      if (next == NULL)
        return NULL;
      hearth_json_value_unref (acc);
      acc = next;
    }
  return g_steal_pointer (&acc);
}

static HearthJsonValue *
filter_unique (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  g_autoptr(GPtrArray) items = r->eval->iterate (r, at, input);
  g_autoptr(GPtrArray) seen = NULL;
  SortCtx c = { 0 };
  HearthJsonValue *res;

  if (items == NULL)
    return NULL;
  seen = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_json_value_unref);
  res = jv_seq_new (HEARTH_JSON_X_GENERATOR, 0);
  c.r = r;
  c.at = at;
  c.case_sensitive = arg_bool (a, 0, "case_sensitive", FALSE);
  c.attr = arg (a, 1, "attribute");
  for (guint i = 0; i < items->len; i++)
    {
      HearthJsonValue *item = g_ptr_array_index (items, i);
      HearthJsonValue *key = sort_key (&c, item);
      gboolean dup = FALSE;
      if (key == NULL)
        {
          hearth_json_value_unref (res);
          return NULL;
        }
      for (guint k = 0; k < seen->len && !dup; k++)
        dup = hearth_json_equal (key, g_ptr_array_index (seen, k));
      if (dup)
        {
          hearth_json_value_unref (key);
          continue;
        }
      g_ptr_array_add (seen, key);
      jv_seq_append (res, hearth_json_value_ref (item));
    }
  return res;
}

static HearthJsonValue *
filter_abs (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  if (!jv_is_number (input))
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: bad operand type for abs(): '%s'",
                  hearth_json_type_name (input));
      return NULL;
    }
  if (input->type == HEARTH_JSON_DOUBLE)
    return hearth_json_new_double (fabs (input->u.d));
  return jv_as_int (input) == G_MININT64 ? hearth_json_new_double (-(double) G_MININT64)
                                         : hearth_json_new_int (ABS (jv_as_int (input)));
}

/* int, float: @input as a number, the default argument where it is none */
static HearthJsonValue *
to_number (HearthJsonValue *input,
           JinjaArgs       *a,
           gboolean         want_float)
{
  HearthJsonValue *fallback = arg (a, 0, "default");

  if (input->type == HEARTH_JSON_INT || input->type == HEARTH_JSON_BOOLEAN)
    return want_float ? hearth_json_new_double ((double) jv_as_int (input)) : hearth_json_new_int (jv_as_int (input));
  if (input->type == HEARTH_JSON_DOUBLE)
    return want_float ? hearth_json_value_ref (input)
                      : hearth_json_new_int (isfinite (input->u.d) ? (gint64) input->u.d : 0);
  if (input->type == HEARTH_JSON_STRING)
    {
      g_autofree char *s = g_strstrip (g_strdup (input->u.str.data));
      char *end = NULL;
      double d = g_ascii_strtod (s, &end);
      if (end != s && *end == '\0')
        return want_float ? hearth_json_new_double (d) : hearth_json_new_int ((gint64) d);
    }
  if (fallback != NULL)
    return hearth_json_value_ref (fallback);
  return want_float ? hearth_json_new_double (0.0) : hearth_json_new_int (0);
}

static HearthJsonValue *
filter_int (JinjaRender     *r,
            Node            *at,
            HearthJsonValue *input,
            JinjaArgs       *a)
{
  return to_number (input, a, FALSE);
}

static HearthJsonValue *
filter_float (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  return to_number (input, a, TRUE);
}

static HearthJsonValue *
filter_string (JinjaRender     *r,
               Node            *at,
               HearthJsonValue *input,
               JinjaArgs       *a)
{
  return jv_str_value (input);
}

static HearthJsonValue *
filter_trim (JinjaRender     *r,
             Node            *at,
             HearthJsonValue *input,
             JinjaArgs       *a)
{
  g_autoptr(HearthJsonValue) s = jv_str_value (input);
  HearthJsonValue *chars = arg (a, 0, "chars");

  if (chars != NULL && chars->type != HEARTH_JSON_NULL && !want_string (r, at, chars, "chars"))
    return NULL;
  return str_strip (s->u.str.data, s->u.str.len,
                    chars && chars->type == HEARTH_JSON_STRING ? chars : NULL, TRUE, TRUE);
}

/* lower, upper, title, capitalize: the str method of that name on @input
 * as a string */
static HearthJsonValue *
string_case (HearthJsonValue *input,
             FuncId           how)
{
  g_autoptr(HearthJsonValue) s = jv_str_value (input);

  return str_case (s, how);
}

static HearthJsonValue *
filter_lower (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  return string_case (input, M_STR_LOWER);
}

static HearthJsonValue *
filter_upper (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  return string_case (input, M_STR_UPPER);
}

static HearthJsonValue *
filter_title (JinjaRender     *r,
              Node            *at,
              HearthJsonValue *input,
              JinjaArgs       *a)
{
  return string_case (input, M_STR_TITLE);
}

static HearthJsonValue *
filter_capitalize (JinjaRender     *r,
                   Node            *at,
                   HearthJsonValue *input,
                   JinjaArgs       *a)
{
  return string_case (input, M_STR_CAPITALIZE);
}

static HearthJsonValue *
filter_replace (JinjaRender     *r,
                Node            *at,
                HearthJsonValue *input,
                JinjaArgs       *a)
{
  g_autoptr(HearthJsonValue) s = jv_str_value (input);
  HearthJsonValue *old = arg (a, 0, NULL), *new_ = arg (a, 1, NULL), *count = arg (a, 2, "count");
  g_autoptr(HearthJsonValue) old_s = NULL, new_s = NULL;

  if (old == NULL || new_ == NULL)
    {
      jinja_fail (r, at, HEARTH_ENGINE_ERROR_TEMPLATE, "TypeError: replace needs two arguments");
      return NULL;
    }
  old_s = jv_str_value (old);
  new_s = jv_str_value (new_);
  if (count != NULL && count->type != HEARTH_JSON_NULL && !want_int (r, at, count, "count"))
    return NULL;
  return str_replace (r, at, s, old_s, new_s,
                      count && count->type != HEARTH_JSON_NULL ? jv_as_int (count) : -1);
}

static HearthJsonValue *
filter_wordcount (JinjaRender     *r,
                  Node            *at,
                  HearthJsonValue *input,
                  JinjaArgs       *a)
{
  g_autoptr(HearthJsonValue) s = jv_str_value (input);
  g_autoptr(HearthJsonValue) words = str_split (r, at, s, NULL, -1);

  return words ? hearth_json_new_int (words->u.arr.n) : NULL;
}

typedef HearthJsonValue *(*JinjaFilterFunc) (JinjaRender     *r,
                                             Node            *at,
                                             HearthJsonValue *input,
                                             JinjaArgs       *a);

/* A filter's name and its function in one entry, so that no name can be
 * looked up that has nothing to run; a filter function left out of the
 * table is an unused static function, which the compiler reports. */
typedef struct
{
  const char     *name;
  JinjaFilterFunc func;
} JinjaFilterEntry;

/* The filters by name, sorted for bsearch: a template's filters are looked
 * up once, when it is parsed, and the node keeps the index into this table,
 * so applying one is an indexed call rather than a search by name. */
static const JinjaFilterEntry filters[] = {
  { "abs", filter_abs },
  { "attr", filter_attr },
  { "capitalize", filter_capitalize },
  { "count", filter_length },
  { "d", filter_default },
  { "default", filter_default },
  { "dictsort", filter_dictsort },
  { "e", filter_escape },
  { "escape", filter_escape },
  { "first", filter_first },
  { "float", filter_float },
  { "format", filter_format },
  { "indent", filter_indent },
  { "int", filter_int },
  { "items", filter_items },
  { "join", filter_join },
  { "last", filter_last },
  { "length", filter_length },
  { "list", filter_list },
  { "lower", filter_lower },
  { "map", filter_map },
  { "max", filter_max },
  { "min", filter_min },
  { "reject", filter_reject },
  { "rejectattr", filter_rejectattr },
  { "replace", filter_replace },
  { "reverse", filter_reverse },
  { "round", filter_round },
  { "safe", filter_safe },
  { "select", filter_select },
  { "selectattr", filter_selectattr },
  { "sort", filter_sort },
  { "string", filter_string },
  { "sum", filter_sum },
  { "title", filter_title },
  { "tojson", filter_tojson },
  { "trim", filter_trim },
  { "unique", filter_unique },
  { "upper", filter_upper },
  { "wordcount", filter_wordcount },
};

HearthJsonValue *
jinja_apply_filter (JinjaRender     *r,
                    Node            *at,
                    int              filter,
                    HearthJsonValue *input,
                    JinjaArgs       *a)
{
  g_return_val_if_fail (filter >= 0 && (gsize) filter < G_N_ELEMENTS (filters), NULL);
  return filters[filter].func (r, at, input, a);
}

/* ---- looking up filters and tests by name ---- */

/* Each table is an array of entries whose first member is the name, so
 * the entry's address is also the address of its name. */
static int
compare_name (const void *key,
              const void *entry)
{
  return strcmp (*(const char *const *) key, *(const char *const *) entry);
}

/* The index of @name in @table (@n entries of @size bytes each), or -1. */
static int
lookup_name (const char *name,
             const void *table,
             gsize       n,
             gsize       size)
{
  const char *found = bsearch (&name, table, n, size, compare_name);

  return found != NULL ? (int) ((gsize) (found - (const char *) table) / size) : -1;
}

/* bsearch quietly misses the names beyond one out of order, which would
 * show only as a filter or test unknown to some templates; checking the
 * order once makes such a slip fail at the first template parsed. */
static gboolean
names_in_order (const void *table,
                gsize       n,
                gsize       size)
{
  const char *entries = table;

  for (gsize i = 1; i < n; i++)
    if (compare_name (entries + (i - 1) * size, entries + i * size) >= 0)
      return FALSE;
  return TRUE;
}

static gboolean
tables_valid (void)
{
  if (!names_in_order (filters, G_N_ELEMENTS (filters), sizeof filters[0]) ||
      !names_in_order (tests, G_N_ELEMENTS (tests), sizeof tests[0]))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (filters); i++)
    if (filters[i].func == NULL)
      return FALSE;
  /* a test without a function must be one of the comparisons */
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    if (tests[i].func == NULL && (tests[i].op < OP_EQ || tests[i].op > OP_IN))
      return FALSE;
  return TRUE;
}

/* Once, before the first lookup: a critical is fatal under the test suite,
 * so a table edited out of order or without a function fails every test. */
static void
check_tables (void)
{
  static gsize checked = 0;

  if (g_once_init_enter (&checked))
    {
      if (!tables_valid ())
        g_critical ("the builtin filter or test table is out of order or has an entry with nothing to run");
      g_once_init_leave (&checked, 1);
    }
}

int
jinja_filter_lookup (const char *name)
{
  check_tables ();
  return lookup_name (name, filters, G_N_ELEMENTS (filters), sizeof filters[0]);
}

int
jinja_test_lookup (const char *name)
{
  check_tables ();
  return lookup_name (name, tests, G_N_ELEMENTS (tests), sizeof tests[0]);
}
