/* hearth-json.c: JSON values, a strict parser and a Python-compatible serializer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-json-private.h"
#include "hearth-engine-error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Objects switch from a linear scan to a hash index at this size. */
#define INDEX_THRESHOLD 12

HearthJsonValue *
hearth_json_value_alloc (guint8 type)
{
  HearthJsonValue *v = g_new0 (HearthJsonValue, 1);

  g_atomic_ref_count_init (&v->ref_count);
  v->type = type;
  return v;
}

HearthJsonValue *
hearth_json_value_ref (HearthJsonValue *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_atomic_ref_count_inc (&value->ref_count);
  return value;
}

static void
value_free (HearthJsonValue *v)
{
  switch (v->type)
    {
    case HEARTH_JSON_STRING:
      g_free (v->u.str.data);
      break;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
    case HEARTH_JSON_X_GENERATOR:
      for (guint i = 0; i < v->u.arr.n; i++)
        hearth_json_value_unref (v->u.arr.items[i]);
      g_free (v->u.arr.items);
      break;
    case HEARTH_JSON_OBJECT:
    case HEARTH_JSON_X_NAMESPACE:
      for (guint i = 0; i < v->u.obj.n; i++)
        {
          g_free (v->u.obj.members[i].key);
          hearth_json_value_unref (v->u.obj.members[i].value);
        }
      g_free (v->u.obj.members);
      if (v->u.obj.index != NULL)
        g_hash_table_unref (v->u.obj.index);
      break;
    case HEARTH_JSON_X_UNDEFINED:
      g_free (v->u.undef.hint);
      break;
    case HEARTH_JSON_X_MACRO:
    case HEARTH_JSON_X_FUNCTION:
    case HEARTH_JSON_X_LOOP:
      if (v->u.ext.free_data != NULL)
        v->u.ext.free_data (v->u.ext.data);
      if (v->u.ext.self != NULL)
        hearth_json_value_unref (v->u.ext.self);
      break;
    default:
      break;
    }
  g_free (v);
}

void
hearth_json_value_unref (HearthJsonValue *value)
{
  /* Deep trees are freed iteratively where it matters (long arrays of
   * arrays are rare); nesting is bounded by the parser's depth limit. */
  if (value != NULL && g_atomic_ref_count_dec (&value->ref_count))
    value_free (value);
}

HearthJsonValue *
hearth_json_new_null (void)
{
  return hearth_json_value_alloc (HEARTH_JSON_NULL);
}

HearthJsonValue *
hearth_json_new_boolean (gboolean value)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_BOOLEAN);

  v->u.b = value != FALSE;
  return v;
}

HearthJsonValue *
hearth_json_new_int (gint64 value)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_INT);

  v->u.i = value;
  return v;
}

HearthJsonValue *
hearth_json_new_double (double value)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_DOUBLE);

  v->u.d = value;
  return v;
}

HearthJsonValue *
hearth_json_new_string_take (char *text,
                             gsize len)
{
  HearthJsonValue *v = hearth_json_value_alloc (HEARTH_JSON_STRING);

  v->u.str.data = text;
  v->u.str.len = len;
  return v;
}

/* @n bytes of @text and a NUL: unlike g_strndup, which stops at the first
 * NUL, so a string or key holding "\u0000" kept zeros after it. */
static char *
dup_bytes (const char *text,
           gsize       n)
{
  char *copy = g_malloc (n + 1);

  memcpy (copy, text, n);
  copy[n] = '\0';
  return copy;
}

HearthJsonValue *
hearth_json_new_string (const char *text,
                        gssize      len)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;

  return hearth_json_new_string_take (dup_bytes (text, n), n);
}

HearthJsonValue *
hearth_json_new_array (void)
{
  return hearth_json_value_alloc (HEARTH_JSON_ARRAY);
}

HearthJsonValue *
hearth_json_new_object (void)
{
  return hearth_json_value_alloc (HEARTH_JSON_OBJECT);
}

HearthJsonType
hearth_json_get_type (const HearthJsonValue *value)
{
  g_return_val_if_fail (value != NULL, HEARTH_JSON_NULL);
  if (value->type == HEARTH_JSON_X_TUPLE || value->type == HEARTH_JSON_X_GENERATOR)
    return HEARTH_JSON_ARRAY;
  if (value->type == HEARTH_JSON_X_NAMESPACE)
    return HEARTH_JSON_OBJECT;
  if (value->type > HEARTH_JSON_OBJECT)
    return HEARTH_JSON_NULL;
  return (HearthJsonType) value->type;
}

gboolean
hearth_json_get_boolean (const HearthJsonValue *value)
{
  g_return_val_if_fail (value != NULL && value->type == HEARTH_JSON_BOOLEAN, FALSE);
  return value->u.b;
}

gint64
hearth_json_get_int (const HearthJsonValue *value)
{
  g_return_val_if_fail (value != NULL, 0);
  if (value->type == HEARTH_JSON_DOUBLE)
    return (gint64) value->u.d;
  g_return_val_if_fail (value->type == HEARTH_JSON_INT, 0);
  return value->u.i;
}

double
hearth_json_get_double (const HearthJsonValue *value)
{
  g_return_val_if_fail (value != NULL, 0.0);
  if (value->type == HEARTH_JSON_INT)
    return (double) value->u.i;
  g_return_val_if_fail (value->type == HEARTH_JSON_DOUBLE, 0.0);
  return value->u.d;
}

const char *
hearth_json_get_string (const HearthJsonValue *value,
                        gsize                 *len)
{
  g_return_val_if_fail (value != NULL && value->type == HEARTH_JSON_STRING, NULL);
  if (len != NULL)
    *len = value->u.str.len;
  return value->u.str.data;
}

gsize
hearth_json_string_n_chars (const HearthJsonValue *string)
{
  /* not cached: values are shared between threads rendering at once */
  return (gsize) g_utf8_strlen (string->u.str.data, (gssize) string->u.str.len);
}

guint
hearth_json_array_get_length (const HearthJsonValue *array)
{
  g_return_val_if_fail (array != NULL && hearth_json_get_type (array) == HEARTH_JSON_ARRAY, 0);
  return array->u.arr.n;
}

HearthJsonValue *
hearth_json_array_get (const HearthJsonValue *array,
                       guint                  index)
{
  g_return_val_if_fail (array != NULL && hearth_json_get_type (array) == HEARTH_JSON_ARRAY, NULL);
  g_return_val_if_fail (index < array->u.arr.n, NULL);
  return array->u.arr.items[index];
}

void
hearth_json_array_append (HearthJsonValue *array,
                          HearthJsonValue *item)
{
  g_return_if_fail (array != NULL && hearth_json_get_type (array) == HEARTH_JSON_ARRAY);
  g_return_if_fail (item != NULL);
  if (array->u.arr.n == array->u.arr.cap)
    {
      array->u.arr.cap = MAX (4, array->u.arr.cap * 2);
      array->u.arr.items = g_renew (HearthJsonValue *, array->u.arr.items, array->u.arr.cap);
    }
  array->u.arr.items[array->u.arr.n++] = item;
}

guint
hearth_json_object_get_size (const HearthJsonValue *object)
{
  g_return_val_if_fail (object != NULL && hearth_json_get_type (object) == HEARTH_JSON_OBJECT, 0);
  return object->u.obj.n;
}

HearthJsonMember *
hearth_json_object_find_member (const HearthJsonValue *object,
                                const char            *key,
                                gsize                  key_len)
{
  if (object->u.obj.index != NULL)
    {
      gpointer pos;

      /* Keys with an embedded NUL are not indexed; scan for those. */
      if (memchr (key, '\0', key_len) == NULL)
        {
          g_autofree char *k = g_strndup (key, key_len);
          pos = g_hash_table_lookup (object->u.obj.index, k);
          return pos ? &object->u.obj.members[GPOINTER_TO_UINT (pos) - 1] : NULL;
        }
    }
  for (guint i = 0; i < object->u.obj.n; i++)
    {
      HearthJsonMember *m = &object->u.obj.members[i];

      if (m->key_len == key_len && memcmp (m->key, key, key_len) == 0)
        return m;
    }
  return NULL;
}

HearthJsonValue *
hearth_json_object_get (const HearthJsonValue *object,
                        const char            *key)
{
  HearthJsonMember *m;

  g_return_val_if_fail (object != NULL && hearth_json_get_type (object) == HEARTH_JSON_OBJECT, NULL);
  m = hearth_json_object_find_member (object, key, strlen (key));
  return m ? m->value : NULL;
}

const char *
hearth_json_object_get_key_at (const HearthJsonValue *object,
                               guint                  index)
{
  g_return_val_if_fail (object != NULL && hearth_json_get_type (object) == HEARTH_JSON_OBJECT, NULL);
  g_return_val_if_fail (index < object->u.obj.n, NULL);
  return object->u.obj.members[index].key;
}

HearthJsonValue *
hearth_json_object_get_value_at (const HearthJsonValue *object,
                                 guint                  index)
{
  g_return_val_if_fail (object != NULL && hearth_json_get_type (object) == HEARTH_JSON_OBJECT, NULL);
  g_return_val_if_fail (index < object->u.obj.n, NULL);
  return object->u.obj.members[index].value;
}

void
hearth_json_object_set_len (HearthJsonValue *object,
                            const char      *key,
                            gsize            key_len,
                            HearthJsonValue *value)
{
  HearthJsonMember *m = hearth_json_object_find_member (object, key, key_len);

  if (m != NULL)
    {
      hearth_json_value_unref (m->value);
      m->value = value;
      return;
    }
  if (object->u.obj.n == object->u.obj.cap)
    {
      object->u.obj.cap = MAX (4, object->u.obj.cap * 2);
      object->u.obj.members = g_renew (HearthJsonMember, object->u.obj.members, object->u.obj.cap);
      /* The index maps to positions, which stay valid across a realloc. */
    }
  m = &object->u.obj.members[object->u.obj.n++];
  m->key = dup_bytes (key, key_len);
  m->key_len = key_len;
  m->value = value;
  if (object->u.obj.index == NULL && object->u.obj.n >= INDEX_THRESHOLD)
    {
      object->u.obj.index = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < object->u.obj.n; i++)
        {
          HearthJsonMember *mi = &object->u.obj.members[i];
          if (memchr (mi->key, '\0', mi->key_len) == NULL &&
              !g_hash_table_contains (object->u.obj.index, mi->key))
            g_hash_table_insert (object->u.obj.index, mi->key, GUINT_TO_POINTER (i + 1));
        }
    }
  else if (object->u.obj.index != NULL && memchr (key, '\0', key_len) == NULL)
    g_hash_table_insert (object->u.obj.index, m->key, GUINT_TO_POINTER (object->u.obj.n));
}

void
hearth_json_object_set (HearthJsonValue *object,
                        const char      *key,
                        HearthJsonValue *value)
{
  g_return_if_fail (object != NULL && hearth_json_get_type (object) == HEARTH_JSON_OBJECT);
  g_return_if_fail (key != NULL && value != NULL);
  hearth_json_object_set_len (object, key, strlen (key), value);
}

gboolean
hearth_json_equal (const HearthJsonValue *a,
                   const HearthJsonValue *b)
{
  HearthJsonType ta = hearth_json_get_type (a), tb = hearth_json_get_type (b);

  if ((ta == HEARTH_JSON_INT || ta == HEARTH_JSON_DOUBLE || ta == HEARTH_JSON_BOOLEAN) &&
      (tb == HEARTH_JSON_INT || tb == HEARTH_JSON_DOUBLE || tb == HEARTH_JSON_BOOLEAN))
    {
      /* Python: True == 1 == 1.0. */
      if (ta != HEARTH_JSON_DOUBLE && tb != HEARTH_JSON_DOUBLE)
        return (ta == HEARTH_JSON_BOOLEAN ? a->u.b : a->u.i) ==
               (tb == HEARTH_JSON_BOOLEAN ? b->u.b : b->u.i);
      return (ta == HEARTH_JSON_DOUBLE ? a->u.d : ta == HEARTH_JSON_INT ? (double) a->u.i : a->u.b) ==
             (tb == HEARTH_JSON_DOUBLE ? b->u.d : tb == HEARTH_JSON_INT ? (double) b->u.i : b->u.b);
    }
  if (a->type != b->type &&
      !(ta == HEARTH_JSON_ARRAY && tb == HEARTH_JSON_ARRAY && a->type != HEARTH_JSON_X_GENERATOR &&
        b->type != HEARTH_JSON_X_GENERATOR && (a->type == HEARTH_JSON_X_TUPLE) == (b->type == HEARTH_JSON_X_TUPLE)))
    return FALSE;
  switch (a->type)
    {
    case HEARTH_JSON_NULL:
      return TRUE;
    case HEARTH_JSON_STRING:
      return a->u.str.len == b->u.str.len && memcmp (a->u.str.data, b->u.str.data, a->u.str.len) == 0;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
      if (a->u.arr.n != b->u.arr.n)
        return FALSE;
      for (guint i = 0; i < a->u.arr.n; i++)
        if (!hearth_json_equal (a->u.arr.items[i], b->u.arr.items[i]))
          return FALSE;
      return TRUE;
    case HEARTH_JSON_OBJECT:
      if (a->u.obj.n != b->u.obj.n)
        return FALSE;
      for (guint i = 0; i < a->u.obj.n; i++)
        {
          const HearthJsonMember *m = &a->u.obj.members[i];
          HearthJsonMember *o = hearth_json_object_find_member (b, m->key, m->key_len);
          if (o == NULL || !hearth_json_equal (m->value, o->value))
            return FALSE;
        }
      return TRUE;
    case HEARTH_JSON_X_UNDEFINED:
      return TRUE;
    default:
      return a == b;
    }
}

/* ---- parser ---- */

typedef struct
{
  const char *text;
  gsize       len;
  gsize       pos;
  GError    **error;
} Parser;

G_GNUC_PRINTF (2, 3) static void
parse_fail (Parser     *p,
            const char *format,
            ...)
{
  g_autofree char *msg = NULL;
  guint line = 1, col = 1;
  va_list args;

  if (p->error == NULL || *p->error != NULL)
    return;
  for (gsize i = 0; i < p->pos && i < p->len; i++)
    {
      if (p->text[i] == '\n')
        {
          line++;
          col = 1;
        }
      else if (((guchar) p->text[i] & 0xC0) != 0x80)
        col++;
    }
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
               "JSON: %s at line %u, column %u (byte %" G_GSIZE_FORMAT ")", msg, line, col, p->pos);
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len)
    {
      char c = p->text[p->pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        break;
      p->pos++;
    }
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
read_hex4 (Parser  *p,
           guint32 *out)
{
  guint32 v = 0;

  if (p->len - p->pos < 4)
    {
      p->pos = p->len;
      parse_fail (p, "truncated \\u escape");
      return FALSE;
    }
  for (int i = 0; i < 4; i++)
    {
      int h = hex_value (p->text[p->pos]);
      if (h < 0)
        {
          parse_fail (p, "bad hex digit in \\u escape");
          return FALSE;
        }
      v = v * 16 + (guint32) h;
      p->pos++;
    }
  *out = v;
  return TRUE;
}

/* Reads a string after its opening quote. */
static char *
parse_string_raw (Parser *p,
                  gsize  *out_len)
{
  GString *s = g_string_new (NULL);

  for (;;)
    {
      gsize run = p->pos;
      guchar c;

      while (run < p->len && p->text[run] != '"' && p->text[run] != '\\' && (guchar) p->text[run] >= 0x20)
        run++;
      if (run > p->pos)
        {
          const char *end = NULL;
          if (!g_utf8_validate (p->text + p->pos, (gssize) (run - p->pos), &end))
            {
              p->pos = (gsize) (end - p->text);
              parse_fail (p, "invalid UTF-8 in string");
              goto fail;
            }
          g_string_append_len (s, p->text + p->pos, (gssize) (run - p->pos));
          p->pos = run;
        }
      if (p->pos >= p->len)
        {
          parse_fail (p, "unterminated string");
          goto fail;
        }
      c = (guchar) p->text[p->pos];
      if (c == '"')
        {
          p->pos++;
          break;
        }
      if (c < 0x20)
        {
          parse_fail (p, "control character in string");
          goto fail;
        }
      /* a backslash escape */
      p->pos++;
      if (p->pos >= p->len)
        {
          parse_fail (p, "unterminated escape");
          goto fail;
        }
      c = (guchar) p->text[p->pos++];
      switch (c)
        {
        case '"': g_string_append_c (s, '"'); break;
        case '\\': g_string_append_c (s, '\\'); break;
        case '/': g_string_append_c (s, '/'); break;
        case 'b': g_string_append_c (s, '\b'); break;
        case 'f': g_string_append_c (s, '\f'); break;
        case 'n': g_string_append_c (s, '\n'); break;
        case 'r': g_string_append_c (s, '\r'); break;
        case 't': g_string_append_c (s, '\t'); break;
        case 'u':
          {
            guint32 cp, lo;
            if (!read_hex4 (p, &cp))
              goto fail;
            if (cp >= 0xD800 && cp <= 0xDBFF)
              {
                if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
                  {
                    parse_fail (p, "lone surrogate in \\u escape");
                    goto fail;
                  }
                p->pos += 2;
                if (!read_hex4 (p, &lo))
                  goto fail;
                if (lo < 0xDC00 || lo > 0xDFFF)
                  {
                    parse_fail (p, "lone surrogate in \\u escape");
                    goto fail;
                  }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              }
            else if (cp >= 0xDC00 && cp <= 0xDFFF)
              {
                parse_fail (p, "lone surrogate in \\u escape");
                goto fail;
              }
            g_string_append_unichar (s, cp);
          }
          break;
        default:
          p->pos--;
          parse_fail (p, "bad escape '\\%c'", g_ascii_isprint (c) ? c : '?');
          goto fail;
        }
    }
  *out_len = s->len;
  return g_string_free (s, FALSE);

fail:
  g_string_free (s, TRUE);
  return NULL;
}

static HearthJsonValue *
parse_number (Parser *p)
{
  gsize start = p->pos;
  gboolean is_float = FALSE;
  char buf[64];
  gsize n;

  if (p->pos < p->len && p->text[p->pos] == '-')
    p->pos++;
  if (p->pos >= p->len || !g_ascii_isdigit (p->text[p->pos]))
    {
      parse_fail (p, "bad number");
      return NULL;
    }
  if (p->text[p->pos] == '0')
    {
      p->pos++;
      if (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
        {
          parse_fail (p, "leading zero in number");
          return NULL;
        }
    }
  else
    while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
      p->pos++;
  if (p->pos < p->len && p->text[p->pos] == '.')
    {
      is_float = TRUE;
      p->pos++;
      if (p->pos >= p->len || !g_ascii_isdigit (p->text[p->pos]))
        {
          parse_fail (p, "digit expected after '.'");
          return NULL;
        }
      while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
        p->pos++;
    }
  if (p->pos < p->len && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E'))
    {
      is_float = TRUE;
      p->pos++;
      if (p->pos < p->len && (p->text[p->pos] == '+' || p->text[p->pos] == '-'))
        p->pos++;
      if (p->pos >= p->len || !g_ascii_isdigit (p->text[p->pos]))
        {
          parse_fail (p, "digit expected in exponent");
          return NULL;
        }
      while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
        p->pos++;
    }
  n = p->pos - start;
  if (!is_float)
    {
      gint64 v;
      if (n < sizeof buf)
        {
          memcpy (buf, p->text + start, n);
          buf[n] = '\0';
          if (g_ascii_string_to_signed (buf, 10, G_MININT64, G_MAXINT64, &v, NULL))
            return hearth_json_new_int (v);
        }
      /* Beyond int64: read it as a double, as the only lossless-enough choice. */
    }
  {
    g_autofree char *num = g_strndup (p->text + start, n);
    return hearth_json_new_double (g_ascii_strtod (num, NULL));
  }
}

static gboolean
match_word (Parser     *p,
            const char *word)
{
  gsize n = strlen (word);

  if (p->len - p->pos >= n && memcmp (p->text + p->pos, word, n) == 0)
    {
      p->pos += n;
      return TRUE;
    }
  return FALSE;
}

static HearthJsonValue *
parse_value (Parser *p,
             guint   depth)
{
  char c;

  skip_ws (p);
  if (p->pos >= p->len)
    {
      parse_fail (p, "unexpected end of input");
      return NULL;
    }
  c = p->text[p->pos];
  if (c == '{' || c == '[')
    {
      gboolean is_obj = c == '{';
      g_autoptr(HearthJsonValue) v = is_obj ? hearth_json_new_object () : hearth_json_new_array ();

      if (depth >= HEARTH_JSON_MAX_DEPTH)
        {
          parse_fail (p, "nesting deeper than %d", HEARTH_JSON_MAX_DEPTH);
          return NULL;
        }
      p->pos++;
      skip_ws (p);
      if (p->pos < p->len && p->text[p->pos] == (is_obj ? '}' : ']'))
        {
          p->pos++;
          return g_steal_pointer (&v);
        }
      for (;;)
        {
          HearthJsonValue *item;

          if (is_obj)
            {
              g_autofree char *key = NULL;
              gsize key_len;

              skip_ws (p);
              if (p->pos >= p->len || p->text[p->pos] != '"')
                {
                  parse_fail (p, "object key (a string) expected");
                  return NULL;
                }
              p->pos++;
              key = parse_string_raw (p, &key_len);
              if (key == NULL)
                return NULL;
              skip_ws (p);
              if (p->pos >= p->len || p->text[p->pos] != ':')
                {
                  parse_fail (p, "':' expected");
                  return NULL;
                }
              p->pos++;
              item = parse_value (p, depth + 1);
              if (item == NULL)
                return NULL;
              hearth_json_object_set_len (v, key, key_len, item);
            }
          else
            {
              item = parse_value (p, depth + 1);
              if (item == NULL)
                return NULL;
              hearth_json_array_append (v, item);
            }
          skip_ws (p);
          if (p->pos < p->len && p->text[p->pos] == ',')
            {
              p->pos++;
              continue;
            }
          if (p->pos < p->len && p->text[p->pos] == (is_obj ? '}' : ']'))
            {
              p->pos++;
              return g_steal_pointer (&v);
            }
          parse_fail (p, is_obj ? "',' or '}' expected" : "',' or ']' expected");
          return NULL;
        }
    }
  if (c == '"')
    {
      gsize len;
      char *s;

      p->pos++;
      s = parse_string_raw (p, &len);
      return s ? hearth_json_new_string_take (s, len) : NULL;
    }
  if (c == '-' || g_ascii_isdigit (c))
    return parse_number (p);
  if (match_word (p, "true"))
    return hearth_json_new_boolean (TRUE);
  if (match_word (p, "false"))
    return hearth_json_new_boolean (FALSE);
  if (match_word (p, "null"))
    return hearth_json_new_null ();
  parse_fail (p, "unexpected character '%c'", g_ascii_isprint (c) ? c : '?');
  return NULL;
}

HearthJsonValue *
hearth_json_parse (const char *text,
                   gssize      len,
                   GError    **error)
{
  Parser p = { text, len < 0 ? strlen (text) : (gsize) len, 0, error };
  g_autoptr(HearthJsonValue) v = NULL;
  GError *local = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  if (error == NULL)
    p.error = &local;
  v = parse_value (&p, 0);
  if (v != NULL)
    {
      skip_ws (&p);
      if (p.pos < p.len)
        {
          parse_fail (&p, "trailing characters after the value");
          g_clear_pointer (&v, hearth_json_value_unref);
        }
    }
  g_clear_error (&local);
  return g_steal_pointer (&v);
}

/* ---- serializer ---- */

void
hearth_json_format_double (double value,
                           char   buf[HEARTH_JSON_DOUBLE_BUF])
{
  char tmp[48], digits[24];
  int exp10, nd = 0;
  const char *e;
  char *out = buf;

  if (isnan (value))
    {
      strcpy (buf, "nan");
      return;
    }
  if (isinf (value))
    {
      strcpy (buf, value < 0 ? "-inf" : "inf");
      return;
    }
  if (value == 0.0)
    {
      strcpy (buf, signbit (value) ? "-0.0" : "0.0");
      return;
    }
  /* The shortest %e that reads back exactly: Python's repr digits. */
  for (int prec = 1; prec <= 17; prec++)
    {
      char fmt[8];
      g_snprintf (fmt, sizeof fmt, "%%.%de", prec - 1);
      g_ascii_formatd (tmp, sizeof tmp, fmt, value);
      if (g_ascii_strtod (tmp, NULL) == value)
        break;
    }
  if (value < 0)
    *out++ = '-';
  for (const char *q = tmp; *q && *q != 'e'; q++)
    if (g_ascii_isdigit (*q))
      digits[nd++] = *q;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  e = strchr (tmp, 'e');
  exp10 = e ? atoi (e + 1) : 0;

  if (exp10 >= -5 + 1 && exp10 < 16)
    {
      if (exp10 >= 0)
        {
          for (int i = 0; i <= exp10; i++)
            *out++ = i < nd ? digits[i] : '0';
          *out++ = '.';
          if (nd > exp10 + 1)
            for (int i = exp10 + 1; i < nd; i++)
              *out++ = digits[i];
          else
            *out++ = '0';
        }
      else
        {
          *out++ = '0';
          *out++ = '.';
          for (int i = 0; i < -exp10 - 1; i++)
            *out++ = '0';
          for (int i = 0; i < nd; i++)
            *out++ = digits[i];
        }
      *out = '\0';
    }
  else
    {
      *out++ = digits[0];
      if (nd > 1)
        {
          *out++ = '.';
          for (int i = 1; i < nd; i++)
            *out++ = digits[i];
        }
      g_snprintf (out, 8, "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
}

void
hearth_json_append_string_literal (GString    *out,
                                   const char *text,
                                   gsize       len)
{
  gsize run = 0;

  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];
      const char *esc = NULL;
      char ubuf[8];

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      switch (c)
        {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
          g_snprintf (ubuf, sizeof ubuf, "\\u%04x", c);
          esc = ubuf;
        }
      g_string_append_len (out, text + run, (gssize) (i - run));
      g_string_append (out, esc);
      run = i + 1;
    }
  g_string_append_len (out, text + run, (gssize) (len - run));
  g_string_append_c (out, '"');
}

const char *
hearth_json_type_name (const HearthJsonValue *value)
{
  switch (value->type)
    {
    case HEARTH_JSON_NULL: return "NoneType";
    case HEARTH_JSON_BOOLEAN: return "bool";
    case HEARTH_JSON_INT: return "int";
    case HEARTH_JSON_DOUBLE: return "float";
    case HEARTH_JSON_STRING: return "str";
    case HEARTH_JSON_ARRAY: return "list";
    case HEARTH_JSON_OBJECT: return "dict";
    case HEARTH_JSON_X_UNDEFINED: return "Undefined";
    case HEARTH_JSON_X_TUPLE: return "tuple";
    case HEARTH_JSON_X_GENERATOR: return "generator";
    case HEARTH_JSON_X_NAMESPACE: return "Namespace";
    case HEARTH_JSON_X_MACRO: return "Macro";
    case HEARTH_JSON_X_FUNCTION: return "builtin_function_or_method";
    case HEARTH_JSON_X_LOOP: return "LoopContext";
    default: return "object";
    }
}

static void
newline_indent (GString *out,
                int      indent,
                guint    level)
{
  g_string_append_c (out, '\n');
  for (guint i = 0; i < (guint) indent * level; i++)
    g_string_append_c (out, ' ');
}

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  const HearthJsonMember *ma = *(HearthJsonMember *const *) a;
  const HearthJsonMember *mb = *(HearthJsonMember *const *) b;
  int c = memcmp (ma->key, mb->key, MIN (ma->key_len, mb->key_len));

  if (c != 0)
    return c;
  return ma->key_len < mb->key_len ? -1 : ma->key_len > mb->key_len;
}

static gboolean
append_value (GString                *out,
              const HearthJsonValue  *v,
              const HearthJsonFormat *f,
              guint                   level,
              gsize                   max_len,
              GError                **error)
{
  const char *item_sep = f->item_sep ? f->item_sep : (f->indent >= 0 ? "," : ", ");
  const char *key_sep = f->key_sep ? f->key_sep : ": ";
  char buf[HEARTH_JSON_DOUBLE_BUF];

  if (out->len > max_len)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "JSON text longer than %" G_GSIZE_FORMAT " bytes", max_len);
      return FALSE;
    }
  if (level > HEARTH_JSON_MAX_DEPTH)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "ValueError: JSON nesting deeper than %d", HEARTH_JSON_MAX_DEPTH);
      return FALSE;
    }
  switch (v->type)
    {
    case HEARTH_JSON_NULL:
      g_string_append (out, "null");
      return TRUE;
    case HEARTH_JSON_BOOLEAN:
      g_string_append (out, v->u.b ? "true" : "false");
      return TRUE;
    case HEARTH_JSON_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v->u.i);
      return TRUE;
    case HEARTH_JSON_DOUBLE:
      if (isnan (v->u.d))
        g_string_append (out, "NaN");
      else if (isinf (v->u.d))
        g_string_append (out, v->u.d < 0 ? "-Infinity" : "Infinity");
      else
        {
          hearth_json_format_double (v->u.d, buf);
          g_string_append (out, buf);
        }
      return TRUE;
    case HEARTH_JSON_STRING:
      hearth_json_append_string_literal (out, v->u.str.data, v->u.str.len);
      return TRUE;
    case HEARTH_JSON_ARRAY:
    case HEARTH_JSON_X_TUPLE:
      if (v->u.arr.n == 0)
        {
          g_string_append (out, "[]");
          return TRUE;
        }
      g_string_append_c (out, '[');
      for (guint i = 0; i < v->u.arr.n; i++)
        {
          if (i > 0)
            g_string_append (out, item_sep);
          if (f->indent >= 0)
            newline_indent (out, f->indent, level + 1);
          if (!append_value (out, v->u.arr.items[i], f, level + 1, max_len, error))
            return FALSE;
        }
      if (f->indent >= 0)
        newline_indent (out, f->indent, level);
      g_string_append_c (out, ']');
      return TRUE;
    case HEARTH_JSON_OBJECT:
      {
        g_autofree HearthJsonMember **order = NULL;

        if (v->u.obj.n == 0)
          {
            g_string_append (out, "{}");
            return TRUE;
          }
        order = g_new (HearthJsonMember *, v->u.obj.n);
        for (guint i = 0; i < v->u.obj.n; i++)
          order[i] = &v->u.obj.members[i];
        if (f->sort_keys)
          qsort (order, v->u.obj.n, sizeof *order, compare_members);
        g_string_append_c (out, '{');
        for (guint i = 0; i < v->u.obj.n; i++)
          {
            if (i > 0)
              g_string_append (out, item_sep);
            if (f->indent >= 0)
              newline_indent (out, f->indent, level + 1);
            hearth_json_append_string_literal (out, order[i]->key, order[i]->key_len);
            g_string_append (out, key_sep);
            if (!append_value (out, order[i]->value, f, level + 1, max_len, error))
              return FALSE;
          }
        if (f->indent >= 0)
          newline_indent (out, f->indent, level);
        g_string_append_c (out, '}');
        return TRUE;
      }
    default:
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TEMPLATE,
                   "TypeError: Object of type %s is not JSON serializable",
                   hearth_json_type_name (v));
      return FALSE;
    }
}

gboolean
hearth_json_append (GString                *out,
                    const HearthJsonValue  *value,
                    const HearthJsonFormat *format,
                    gsize                   max_len,
                    GError                **error)
{
  static const HearthJsonFormat compact = { -1, NULL, NULL, FALSE };

  if (!append_value (out, value, format ? format : &compact, 0, max_len, error))
    return FALSE;
  if (out->len > max_len)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "JSON text longer than %" G_GSIZE_FORMAT " bytes", max_len);
      return FALSE;
    }
  return TRUE;
}

char *
hearth_json_to_string (const HearthJsonValue *value,
                       int                    indent)
{
  HearthJsonFormat f = { indent, NULL, NULL, FALSE };
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (value != NULL, NULL);
  if (!hearth_json_append (out, value, &f, G_MAXSIZE, NULL))
    {
      /* Only interpreter-internal kinds fail, and those never reach callers. */
      g_string_truncate (out, 0);
      g_string_append (out, "null");
    }
  return g_string_free (out, FALSE);
}

HearthJsonValue *
hearth_json_parse_prefix (const char *text,
                          gsize       len,
                          gsize      *end,
                          GError    **error)
{
  Parser p = { text, len, 0, error };
  HearthJsonValue *v;
  GError *local = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  if (error == NULL)
    p.error = &local;
  v = parse_value (&p, 0);
  g_clear_error (&local);
  if (end != NULL)
    *end = p.pos;
  return v;
}
