/* hearth-json-schema.c: a JSON Schema to the GBNF of the values it accepts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The schema is hostile input. The grammar written never accepts a value
 * the schema rejects: a keyword that would need a looser or an inexact
 * grammar is an UNSUPPORTED error naming it (and its place in the schema),
 * while some choices make the language narrower than the schema's (only
 * the listed properties, in their order; integers of at most 15 digits;
 * no exponents), which keeps every output valid. Nesting, enum sizes and
 * the written grammar are bounded; $ref cycles are refused.
 *
 * Layout of the grammar: a value rule never starts or ends with
 * whitespace; each punctuation token and each member is followed by `ws`,
 * so no two `ws` ever meet (that would make states ambiguous).
 */
#include "hearth-config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-grammar-private.h"

#define MAX_INT_DIGITS 15
#define MAX_ABS_INT 999999999999999LL   /* 15 digits */
#define MAX_GRAMMAR_TEXT (4 * 1024 * 1024)

static const char common_rules[] =
  "ws ::= [ \\t\\n]{0,4}\n"
  "jchar ::= [^\"\\\\\\x00-\\x1F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" ( [0-9a-cA-Ce-fE-F] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2} ) )\n"
  "jstring ::= \"\\\"\" jchar* \"\\\"\"\n"
  "jint ::= \"-\"? ( \"0\" | [1-9] [0-9]{0,14} )\n"
  "jfrac ::= \".\" [0-9]{1,15}\n"
  "jnumber ::= jint jfrac?\n"
  "jbool ::= \"true\" | \"false\"\n"
  "jnull ::= \"null\"\n"
  "jvalue ::= jobject | jarray | jstring | jnumber | jbool | jnull\n"
  "jmember ::= jstring ws \":\" ws jvalue ws\n"
  "jobject ::= \"{\" ws ( jmember ( \",\" ws jmember )* )? \"}\"\n"
  "jarray ::= \"[\" ws ( jvalue ws ( \",\" ws jvalue ws )* )? \"]\"\n"
  "hex ::= [0-9a-fA-F]\n"
  "jdate ::= \"\\\"\" jdate-raw \"\\\"\"\n"
  "jdate-raw ::= [0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"3\" [01] )"
  " | ( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" ) | \"02-\" ( \"0\" [1-9] | \"1\" [0-9] | \"2\" [0-8] ) )\n"
  "jtime ::= \"\\\"\" jtime-raw \"\\\"\"\n"
  "jtime-raw ::= ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" [0-5] [0-9] ( \".\" [0-9]{1,6} )?"
  " ( \"Z\" | [+-] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )\n"
  "jdatetime ::= \"\\\"\" jdate-raw \"T\" jtime-raw \"\\\"\"\n"
  "juuid ::= \"\\\"\" hex{8} \"-\" hex{4} \"-\" hex{4} \"-\" hex{4} \"-\" hex{12} \"\\\"\"\n";

typedef struct
{
  GString         *rules;
  HearthJsonValue *doc;
  GHashTable      *refs_done;    /* ref -> rule name */
  GHashTable      *refs_active;  /* refs being converted (cycle check) */
  const char      *prefix;
  guint            counter;
  guint            depth;
  GError         **error;
  gboolean         failed;
} Conv;

static void G_GNUC_PRINTF (4, 5)
conv_fail (Conv       *c,
           const char *path,
           int         code,
           const char *fmt,
           ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  if (c->failed)
    return;
  c->failed = TRUE;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (c->error, HEARTH_ENGINE_ERROR, code, "JSON Schema at '%s': %s", *path ? path : "/", msg);
}

/* A GBNF literal of the bytes @s. */
static void
append_literal (GString    *out,
                const char *s,
                gsize       len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar ch = (guchar) s[i];

      if (ch == '"' || ch == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) ch);
        }
      else if (ch < 0x20 || ch == 0x7F)
        g_string_append_printf (out, "\\x%02X", ch);
      else
        g_string_append_c (out, (char) ch);
    }
  g_string_append_c (out, '"');
}

static void
append_json_literal (GString               *out,
                     const HearthJsonValue *v)
{
  g_autofree char *text = hearth_json_to_string (v, -1);

  append_literal (out, text, strlen (text));
}

static char *
new_rule_name (Conv *c)
{
  return g_strdup_printf ("%sv%u", c->prefix, c->counter++);
}

static void
add_rule (Conv       *c,
          const char *name,
          const char *body)
{
  g_string_append_printf (c->rules, "%s ::= %s\n", name, body);
  if (c->rules->len > MAX_GRAMMAR_TEXT && !c->failed)
    {
      c->failed = TRUE;
      g_set_error (c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "JSON Schema: the grammar grows beyond %d bytes", MAX_GRAMMAR_TEXT);
    }
}

static const char *const annotations[] = {
  "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated",
  "readOnly", "writeOnly", NULL,
};

static const char *const known[] = {
  "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
  "minLength", "maxLength", "format", "minimum", "maximum", "exclusiveMinimum",
  "exclusiveMaximum", "enum", "const", "anyOf", "oneOf", "$ref", "$defs", "definitions", NULL,
};

static gboolean
in_list (const char        *key,
         const char *const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (key, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* ---- integers ---- */

static gboolean
all_same (const char *s,
          gsize       n,
          char        ch)
{
  for (gsize i = 0; i < n; i++)
    if (s[i] != ch)
      return FALSE;
  return TRUE;
}

static void
append_any_digits (GString *out,
                   gsize    n)
{
  if (n == 1)
    g_string_append (out, " [0-9]");
  else if (n > 1)
    g_string_append_printf (out, " [0-9]{%" G_GSIZE_FORMAT "}", n);
}

/* Digit strings of equal length n, lo <= x <= hi. */
static void
same_length_range (GString    *out,
                   const char *lo,
                   const char *hi,
                   gsize       n)
{
  gboolean first = TRUE;

  if (n == 0)
    return;
  if (lo[0] == hi[0])
    {
      g_string_append_printf (out, " \"%c\"", lo[0]);
      same_length_range (out, lo + 1, hi + 1, n - 1);
      return;
    }
  if (all_same (lo + 1, n - 1, '0') && all_same (hi + 1, n - 1, '9'))
    {
      g_string_append_printf (out, " [%c-%c]", lo[0], hi[0]);
      append_any_digits (out, n - 1);
      return;
    }
  g_string_append (out, " (");
  {
    g_autofree char *nines = g_strnfill (n - 1, '9');
    g_autofree char *zeros = g_strnfill (n - 1, '0');

    g_string_append_printf (out, " \"%c\"", lo[0]);
    same_length_range (out, lo + 1, nines, n - 1);
    first = FALSE;
    if (lo[0] + 1 <= hi[0] - 1)
      {
        g_string_append_printf (out, " | [%c-%c]", lo[0] + 1, hi[0] - 1);
        append_any_digits (out, n - 1);
      }
    g_string_append_printf (out, "%s \"%c\"", first ? "" : " |", hi[0]);
    same_length_range (out, zeros, hi + 1, n - 1);
  }
  g_string_append (out, " )");
}

/* Decimal numerals (no sign, no leading zero) of [lo, hi], 0 <= lo <= hi. */
static void
nonneg_range (GString *out,
              gint64   lo,
              gint64   hi)
{
  char lo_s[24], hi_s[24];
  gsize nlo, nhi;
  gboolean first = TRUE;

  g_snprintf (lo_s, sizeof lo_s, "%" G_GINT64_FORMAT, lo);
  g_snprintf (hi_s, sizeof hi_s, "%" G_GINT64_FORMAT, hi);
  nlo = strlen (lo_s);
  nhi = strlen (hi_s);
  g_string_append (out, " (");
  for (gsize n = nlo; n <= nhi; n++)
    {
      char a[24], b[24];

      if (n == nlo)
        memcpy (a, lo_s, n + 1);
      else
        {
          a[0] = '1';
          memset (a + 1, '0', n - 1);
          a[n] = '\0';
        }
      if (n == nhi)
        memcpy (b, hi_s, n + 1);
      else
        {
          memset (b, '9', n);
          b[n] = '\0';
        }
      if (!first)
        g_string_append (out, " |");
      first = FALSE;
      same_length_range (out, a, b, n);
    }
  g_string_append (out, " )");
}

/* Integers of [lo, hi]. */
static void
int_range (GString *out,
           gint64   lo,
           gint64   hi)
{
  gboolean neg = lo < 0, pos = hi >= 0;

  g_string_append (out, " (");
  if (neg)
    {
      g_string_append (out, " \"-\"");
      nonneg_range (out, MAX (1, -MIN (hi, -1)), -lo);
    }
  if (neg && pos)
    g_string_append (out, " |");
  if (pos)
    nonneg_range (out, MAX (lo, 0), hi);
  g_string_append (out, " )");
}

/* ---- schemas ---- */

static char *conv_schema (Conv *c, HearthJsonValue *s, const char *path);

static gboolean
get_number (Conv            *c,
            HearthJsonValue *s,
            const char      *key,
            const char      *path,
            double          *out)
{
  HearthJsonValue *v = hearth_json_object_get (s, key);

  if (v == NULL)
    return FALSE;
  if (hearth_json_get_type (v) != HEARTH_JSON_INT && hearth_json_get_type (v) != HEARTH_JSON_DOUBLE)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'%s' must be a number", key);
      return FALSE;
    }
  *out = hearth_json_get_double (v);
  if (!isfinite (*out))
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'%s' must be finite", key);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_count (Conv            *c,
           HearthJsonValue *s,
           const char      *key,
           const char      *path,
           guint           *out)
{
  HearthJsonValue *v = hearth_json_object_get (s, key);
  gint64 n;

  if (v == NULL)
    return FALSE;
  if (hearth_json_get_type (v) != HEARTH_JSON_INT || (n = hearth_json_get_int (v)) < 0)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'%s' must be a non-negative integer", key);
      return FALSE;
    }
  if (n > HEARTH_GRAMMAR_MAX_REPEAT)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_LIMIT, "'%s' %" G_GINT64_FORMAT " is above the supported %d",
                 key, n, HEARTH_GRAMMAR_MAX_REPEAT);
      return FALSE;
    }
  *out = (guint) n;
  return TRUE;
}

static void
append_repeat (GString    *out,
               const char *item,
               guint       min,
               guint       max,  /* G_MAXUINT: unbounded */
               const char *path,
               Conv       *c)
{
  if (max != G_MAXUINT && max < min)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "the maximum %u is below the minimum %u", max, min);
      return;
    }
  if (max == G_MAXUINT)
    g_string_append_printf (out, " %s{%u,}", item, min);
  else
    g_string_append_printf (out, " %s{%u,%u}", item, min, max);
}

/* v limited to [-(MAX_ABS_INT + 2), MAX_ABS_INT + 2], where every value
 * converts to gint64 and the bounds of conv_integer keep their meaning. */
static double
clamp_bound (double v)
{
  const double limit = (double) MAX_ABS_INT + 2.0;

  return v > limit ? limit : v < -limit ? -limit : v;
}

static char *
conv_integer (Conv            *c,
              HearthJsonValue *s,
              const char      *path)
{
  gint64 lo = -MAX_ABS_INT, hi = MAX_ABS_INT;
  double v;
  g_autoptr(GString) body = g_string_new (NULL);
  char *name;

  /* Bounds are clamped to just outside the range a generated integer can
   * take before they become integers: a double beyond gint64 (1e30) has no
   * defined conversion. */
  if (get_number (c, s, "minimum", path, &v))
    lo = MAX (lo, (gint64) ceil (clamp_bound (v)));
  if (get_number (c, s, "exclusiveMinimum", path, &v))
    lo = MAX (lo, (gint64) floor (clamp_bound (v)) + 1);
  if (get_number (c, s, "maximum", path, &v))
    hi = MIN (hi, (gint64) floor (clamp_bound (v)));
  if (get_number (c, s, "exclusiveMaximum", path, &v))
    hi = MIN (hi, (gint64) ceil (clamp_bound (v)) - 1);
  if (c->failed)
    return NULL;
  if (lo > hi)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                 "no integer of at most %d digits lies within the minimum and maximum", MAX_INT_DIGITS);
      return NULL;
    }
  if (lo == -MAX_ABS_INT && hi == MAX_ABS_INT)
    return g_strdup ("jint");
  int_range (body, lo, hi);
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static char *
conv_number (Conv            *c,
             HearthJsonValue *s,
             const char      *path)
{
  gint64 lo = -MAX_ABS_INT, hi = MAX_ABS_INT;
  double v;
  gboolean bounded = FALSE;
  g_autoptr(GString) body = g_string_new (NULL);
  char *name;
  const char *bad = NULL;

  if (hearth_json_object_get (s, "exclusiveMinimum") != NULL)
    bad = "exclusiveMinimum";
  else if (hearth_json_object_get (s, "exclusiveMaximum") != NULL)
    bad = "exclusiveMaximum";
  if (bad != NULL)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "'%s' on a number is not supported (only on integers)", bad);
      return NULL;
    }
  if (get_number (c, s, "minimum", path, &v))
    {
      if (v != floor (v) || fabs (v) > (double) MAX_ABS_INT)
        bad = "minimum";
      else
        lo = (gint64) v;
      bounded = TRUE;
    }
  if (get_number (c, s, "maximum", path, &v))
    {
      if (v != floor (v) || fabs (v) > (double) MAX_ABS_INT)
        bad = "maximum";
      else
        hi = (gint64) v;
      bounded = TRUE;
    }
  if (c->failed)
    return NULL;
  if (bad != NULL)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                 "a non-integral (or beyond 15 digits) '%s' on a number is not supported", bad);
      return NULL;
    }
  if (!bounded)
    return g_strdup ("jnumber");
  if (lo > hi)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "the minimum is above the maximum");
      return NULL;
    }
  /* v = I + f (f a fraction) for v >= 0, v = -(I + f) below: whole parts
   * strictly inside the bounds take a fraction, the bounds themselves not. */
  g_string_append (body, "(");
  if (hi >= 0)
    {
      gint64 a = MAX (lo, 0);

      if (a <= hi - 1)
        {
          g_string_append (body, " (");
          nonneg_range (body, a, hi - 1);
          g_string_append (body, " jfrac? ) |");
        }
      nonneg_range (body, hi, hi);
    }
  if (lo < 0)
    {
      gint64 big = -lo, small = hi < 0 ? -hi : 0;

      if (hi >= 0)
        g_string_append (body, " |");
      if (small <= big - 1)
        {
          g_string_append (body, " \"-\" (");
          nonneg_range (body, small, big - 1);
          g_string_append (body, " jfrac? ) |");
        }
      g_string_append (body, " \"-\"");
      nonneg_range (body, big, big);
    }
  g_string_append (body, " )");
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static char *
conv_string (Conv            *c,
             HearthJsonValue *s,
             const char      *path)
{
  HearthJsonValue *format = hearth_json_object_get (s, "format");
  guint min = 0, max = G_MAXUINT;
  gboolean has_min, has_max;
  g_autoptr(GString) body = g_string_new ("\"\\\"\"");
  char *name;

  has_min = get_count (c, s, "minLength", path, &min);
  has_max = get_count (c, s, "maxLength", path, &max);
  if (c->failed)
    return NULL;
  if (format != NULL)
    {
      const char *f = hearth_json_get_type (format) == HEARTH_JSON_STRING ? hearth_json_get_string (format, NULL) : "";

      if (has_min || has_max)
        {
          conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "'format' together with minLength or maxLength is not supported");
          return NULL;
        }
      if (strcmp (f, "date") == 0)
        return g_strdup ("jdate");
      if (strcmp (f, "time") == 0)
        return g_strdup ("jtime");
      if (strcmp (f, "date-time") == 0)
        return g_strdup ("jdatetime");
      if (strcmp (f, "uuid") == 0)
        return g_strdup ("juuid");
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                 "format '%s' is not supported (date, time, date-time and uuid are)", f);
      return NULL;
    }
  if (!has_min && !has_max)
    return g_strdup ("jstring");
  append_repeat (body, "jchar", min, max, path, c);
  g_string_append (body, " \"\\\"\"");
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static char *
conv_array (Conv            *c,
            HearthJsonValue *s,
            const char      *path)
{
  HearthJsonValue *items = hearth_json_object_get (s, "items");
  g_autofree char *item = NULL;
  g_autofree char *sub = g_strconcat (path, "/items", NULL);
  g_autofree char *unit = NULL;
  guint min = 0, max = G_MAXUINT;
  g_autoptr(GString) body = g_string_new ("\"[\" ws");
  char *name;

  get_count (c, s, "minItems", path, &min);
  get_count (c, s, "maxItems", path, &max);
  if (c->failed)
    return NULL;
  if (max != G_MAXUINT && max < min)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "maxItems is below minItems");
      return NULL;
    }
  item = items != NULL ? conv_schema (c, items, sub) : g_strdup ("jvalue");
  if (item == NULL)
    return NULL;
  if (max != 0)
    {
      unit = g_strdup_printf ("( \",\" ws %s ws )", item);
      g_string_append_printf (body, " %s%s ws", min == 0 ? "( " : "", item);
      append_repeat (body, unit, min > 0 ? min - 1 : 0, max == G_MAXUINT ? G_MAXUINT : max - 1, path, c);
      if (min == 0)
        g_string_append (body, " )?");
    }
  g_string_append (body, " \"]\"");
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static char *
conv_object (Conv            *c,
             HearthJsonValue *s,
             const char      *path)
{
  HearthJsonValue *props = hearth_json_object_get (s, "properties");
  HearthJsonValue *required = hearth_json_object_get (s, "required");
  guint n;
  g_autofree gboolean *req = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GPtrArray) kv = g_ptr_array_new_with_free_func (g_free);
  char *name;

  if (props != NULL && hearth_json_get_type (props) != HEARTH_JSON_OBJECT)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'properties' must be an object");
      return NULL;
    }
  n = props != NULL ? hearth_json_object_get_size (props) : 0;
  if (required != NULL && hearth_json_get_type (required) != HEARTH_JSON_ARRAY)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'required' must be an array");
      return NULL;
    }
  req = g_new0 (gboolean, n + 1);
  for (guint i = 0; required != NULL && i < hearth_json_array_get_length (required); i++)
    {
      HearthJsonValue *r = hearth_json_array_get (required, i);
      const char *key;
      gboolean found = FALSE;

      if (hearth_json_get_type (r) != HEARTH_JSON_STRING)
        {
          conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'required' must list strings");
          return NULL;
        }
      key = hearth_json_get_string (r, NULL);
      for (guint j = 0; j < n; j++)
        if (strcmp (hearth_json_object_get_key_at (props, j), key) == 0)
          req[j] = found = TRUE;
      if (!found)
        {
          conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                     "required property '%s' is not in 'properties'", key);
          return NULL;
        }
    }
  if (n == 0)
    {
      name = new_rule_name (c);
      add_rule (c, name, "\"{\" ws \"}\"");
      return name;
    }
  for (guint i = 0; i < n; i++)
    {
      const char *key = hearth_json_object_get_key_at (props, i);
      g_autoptr(HearthJsonValue) key_v = hearth_json_new_string (key, -1);
      g_autofree char *sub = g_strconcat (path, "/properties/", key, NULL);
      g_autofree char *value = conv_schema (c, hearth_json_object_get_value_at (props, i), sub);
      GString *item;

      if (value == NULL)
        return NULL;
      item = g_string_new (NULL);
      append_json_literal (item, key_v);
      g_string_append_printf (item, " ws \":\" ws %s ws", value);
      g_ptr_array_add (kv, g_string_free (item, FALSE));
    }
  /* S_i: members i.. with none written yet; T_i: with one written before. */
  base = new_rule_name (c);
  for (guint i = n + 1; i-- > 0;)
    {
      g_autofree char *s_name = g_strdup_printf ("%s-s%u", base, i);
      g_autofree char *t_name = g_strdup_printf ("%s-t%u", base, i);
      g_autofree char *s_body = NULL, *t_body = NULL;

      if (i == n)
        {
          s_body = g_strdup ("\"\"");
          t_body = g_strdup ("\"\"");
        }
      else
        {
          const char *kvi = kv->pdata[i];

          if (req[i])
            {
              s_body = g_strdup_printf ("%s %s-t%u", kvi, base, i + 1);
              t_body = g_strdup_printf ("\",\" ws %s %s-t%u", kvi, base, i + 1);
            }
          else
            {
              s_body = g_strdup_printf ("%s %s-t%u | %s-s%u", kvi, base, i + 1, base, i + 1);
              t_body = g_strdup_printf ("\",\" ws %s %s-t%u | %s-t%u", kvi, base, i + 1, base, i + 1);
            }
        }
      add_rule (c, s_name, s_body);
      add_rule (c, t_name, t_body);
    }
  {
    g_autofree char *body = g_strdup_printf ("\"{\" ws %s-s0 \"}\"", base);

    name = g_strdup (base);
    add_rule (c, name, body);
  }
  return name;
}

/* JSON types a schema's values can have, as bits (for oneOf). */
enum { T_NULL = 1, T_BOOL = 2, T_NUM = 4, T_STRING = 8, T_ARRAY = 16, T_OBJECT = 32 };

static guint
value_type_bit (const HearthJsonValue *v)
{
  switch (hearth_json_get_type (v))
    {
    case HEARTH_JSON_NULL: return T_NULL;
    case HEARTH_JSON_BOOLEAN: return T_BOOL;
    case HEARTH_JSON_INT:
    case HEARTH_JSON_DOUBLE: return T_NUM;
    case HEARTH_JSON_STRING: return T_STRING;
    case HEARTH_JSON_ARRAY: return T_ARRAY;
    case HEARTH_JSON_OBJECT: return T_OBJECT;
    default: return 0;
    }
}

static guint
type_name_bit (const char *t)
{
  static const char *const names[] = { "null", "boolean", "number", "string", "array", "object", "integer" };
  static const guint bits[] = { T_NULL, T_BOOL, T_NUM, T_STRING, T_ARRAY, T_OBJECT, T_NUM };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (t, names[i]) == 0)
      return bits[i];
  return 0;
}

static HearthJsonValue *resolve_ref (Conv *c, HearthJsonValue *s, const char *path);

/* The types @s admits, 0 when unknown (then oneOf is refused). */
static guint
schema_types (Conv            *c,
              HearthJsonValue *s,
              guint            depth)
{
  HearthJsonValue *t, *e;
  guint bits = 0;

  if (depth > 16 || hearth_json_get_type (s) != HEARTH_JSON_OBJECT)
    return 0;
  if (hearth_json_object_get (s, "$ref") != NULL)
    {
      HearthJsonValue *target = resolve_ref (c, s, "");

      return target != NULL ? schema_types (c, target, depth + 1) : 0;
    }
  if ((e = hearth_json_object_get (s, "const")) != NULL)
    return value_type_bit (e);
  if ((e = hearth_json_object_get (s, "enum")) != NULL && hearth_json_get_type (e) == HEARTH_JSON_ARRAY)
    {
      for (guint i = 0; i < hearth_json_array_get_length (e); i++)
        bits |= value_type_bit (hearth_json_array_get (e, i));
      return bits;
    }
  if ((t = hearth_json_object_get (s, "type")) != NULL)
    {
      if (hearth_json_get_type (t) == HEARTH_JSON_STRING)
        return type_name_bit (hearth_json_get_string (t, NULL));
      if (hearth_json_get_type (t) == HEARTH_JSON_ARRAY)
        for (guint i = 0; i < hearth_json_array_get_length (t); i++)
          if (hearth_json_get_type (hearth_json_array_get (t, i)) == HEARTH_JSON_STRING)
            bits |= type_name_bit (hearth_json_get_string (hearth_json_array_get (t, i), NULL));
      return bits;
    }
  for (const char *kw = "anyOf"; kw != NULL; kw = strcmp (kw, "anyOf") == 0 ? "oneOf" : NULL)
    if ((e = hearth_json_object_get (s, kw)) != NULL && hearth_json_get_type (e) == HEARTH_JSON_ARRAY)
      {
        for (guint i = 0; i < hearth_json_array_get_length (e); i++)
          {
            guint b = schema_types (c, hearth_json_array_get (e, i), depth + 1);

            if (b == 0)
              return 0;
            bits |= b;
          }
        return bits;
      }
  return 0;
}

static HearthJsonValue *
resolve_ref (Conv            *c,
             HearthJsonValue *s,
             const char      *path)
{
  HearthJsonValue *ref = hearth_json_object_get (s, "$ref");
  const char *r, *name;
  HearthJsonValue *defs, *target;

  if (hearth_json_get_type (ref) != HEARTH_JSON_STRING)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'$ref' must be a string");
      return NULL;
    }
  r = hearth_json_get_string (ref, NULL);
  if (c->doc == NULL || hearth_json_get_type (c->doc) != HEARTH_JSON_OBJECT)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_NOT_FOUND, "$ref '%s' points to nothing", r);
      return NULL;
    }
  if (g_str_has_prefix (r, "#/$defs/"))
    {
      defs = hearth_json_object_get (c->doc, "$defs");
      name = r + strlen ("#/$defs/");
    }
  else if (g_str_has_prefix (r, "#/definitions/"))
    {
      defs = hearth_json_object_get (c->doc, "definitions");
      name = r + strlen ("#/definitions/");
    }
  else
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                 "$ref '%s' is not supported (only #/$defs/NAME and #/definitions/NAME)", r);
      return NULL;
    }
  if (defs == NULL || hearth_json_get_type (defs) != HEARTH_JSON_OBJECT ||
      (target = hearth_json_object_get (defs, name)) == NULL)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_NOT_FOUND, "$ref '%s' points to nothing", r);
      return NULL;
    }
  return target;
}

static char *
conv_ref (Conv            *c,
          HearthJsonValue *s,
          const char      *path)
{
  /* resolve_ref checks that "$ref" is a string before it is read as one. */
  HearthJsonValue *target = resolve_ref (c, s, path);
  const char *r, *done;
  char *name;

  if (target == NULL)
    return NULL;
  r = hearth_json_get_string (hearth_json_object_get (s, "$ref"), NULL);
  if ((done = g_hash_table_lookup (c->refs_done, r)) != NULL)
    return g_strdup (done);
  if (g_hash_table_contains (c->refs_active, r))
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "cyclic $ref '%s' is not supported", r);
      return NULL;
    }
  g_hash_table_add (c->refs_active, g_strdup (r));
  name = conv_schema (c, target, r + 1);
  g_hash_table_remove (c->refs_active, r);
  if (name != NULL)
    g_hash_table_insert (c->refs_done, g_strdup (r), g_strdup (name));
  return name;
}

static char *
conv_alternatives (Conv            *c,
                   HearthJsonValue *list,
                   const char      *kw,
                   const char      *path)
{
  g_autoptr(GString) body = g_string_new (NULL);
  guint n;
  char *name;

  if (hearth_json_get_type (list) != HEARTH_JSON_ARRAY || (n = hearth_json_array_get_length (list)) == 0)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'%s' must be a non-empty array", kw);
      return NULL;
    }
  if (n > HEARTH_SCHEMA_MAX_ENUM)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_LIMIT, "'%s' has %u branches; the most is %d", kw, n, HEARTH_SCHEMA_MAX_ENUM);
      return NULL;
    }
  if (strcmp (kw, "oneOf") == 0)
    {
      guint seen = 0;

      for (guint i = 0; i < n; i++)
        {
          guint b = schema_types (c, hearth_json_array_get (list, i), 0);

          if (c->failed)
            return NULL;
          if (b == 0 || (b & seen) != 0)
            {
              conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                         "'oneOf' is supported only when its branches have disjoint types (branch %u may overlap)", i);
              return NULL;
            }
          seen |= b;
        }
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *sub = g_strdup_printf ("%s/%s/%u", path, kw, i);
      g_autofree char *alt = conv_schema (c, hearth_json_array_get (list, i), sub);

      if (alt == NULL)
        return NULL;
      g_string_append_printf (body, "%s%s", i > 0 ? " | " : "", alt);
    }
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static gboolean
value_has_type (const HearthJsonValue *v,
                const char            *t)
{
  HearthJsonType vt = hearth_json_get_type (v);

  if (strcmp (t, "integer") == 0)
    return vt == HEARTH_JSON_INT ||
           (vt == HEARTH_JSON_DOUBLE && hearth_json_get_double (v) == floor (hearth_json_get_double (v)));
  return (type_name_bit (t) & value_type_bit (v)) != 0;
}

static char *
conv_enum (Conv            *c,
           HearthJsonValue *s,
           const char      *path)
{
  HearthJsonValue *e = hearth_json_object_get (s, "enum");
  HearthJsonValue *k = hearth_json_object_get (s, "const");
  HearthJsonValue *t = hearth_json_object_get (s, "type");
  g_autoptr(GString) body = g_string_new (NULL);
  guint n, written = 0;
  char *name;

  for (guint i = 0; i < hearth_json_object_get_size (s); i++)
    {
      const char *key = hearth_json_object_get_key_at (s, i);

      if (strcmp (key, "enum") != 0 && strcmp (key, "const") != 0 && strcmp (key, "type") != 0 &&
          !in_list (key, annotations) && strcmp (key, "$defs") != 0 && strcmp (key, "definitions") != 0)
        {
          conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                     "'%s' beside 'enum' or 'const' is not supported", key);
          return NULL;
        }
    }
  if (e != NULL && k != NULL)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "'enum' together with 'const' is not supported");
      return NULL;
    }
  if (e != NULL && hearth_json_get_type (e) != HEARTH_JSON_ARRAY)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'enum' must be an array");
      return NULL;
    }
  n = e != NULL ? hearth_json_array_get_length (e) : 1;
  if (n > HEARTH_SCHEMA_MAX_ENUM)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_LIMIT, "'enum' has %u values; the most is %d", n, HEARTH_SCHEMA_MAX_ENUM);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      HearthJsonValue *v = e != NULL ? hearth_json_array_get (e, i) : k;
      gboolean ok = t == NULL;

      if (t != NULL && hearth_json_get_type (t) == HEARTH_JSON_STRING)
        ok = value_has_type (v, hearth_json_get_string (t, NULL));
      else if (t != NULL && hearth_json_get_type (t) == HEARTH_JSON_ARRAY)
        for (guint j = 0; j < hearth_json_array_get_length (t); j++)
          if (hearth_json_get_type (hearth_json_array_get (t, j)) == HEARTH_JSON_STRING &&
              value_has_type (v, hearth_json_get_string (hearth_json_array_get (t, j), NULL)))
            ok = TRUE;
      if (!ok)
        continue;
      if (written++ > 0)
        g_string_append (body, " | ");
      append_json_literal (body, v);
    }
  if (written == 0)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no value of 'enum'/'const' has the schema's type");
      return NULL;
    }
  name = new_rule_name (c);
  add_rule (c, name, body->str);
  return name;
}

static char *
conv_typed (Conv            *c,
            HearthJsonValue *s,
            const char      *type,
            const char      *path)
{
  if (strcmp (type, "object") == 0)
    return conv_object (c, s, path);
  if (strcmp (type, "array") == 0)
    return conv_array (c, s, path);
  if (strcmp (type, "string") == 0)
    return conv_string (c, s, path);
  if (strcmp (type, "integer") == 0)
    return conv_integer (c, s, path);
  if (strcmp (type, "number") == 0)
    return conv_number (c, s, path);
  if (strcmp (type, "boolean") == 0)
    return g_strdup ("jbool");
  if (strcmp (type, "null") == 0)
    return g_strdup ("jnull");
  conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unknown type '%s'", type);
  return NULL;
}

/* The type implied by the keywords present when "type" is absent. */
static const char *
implied_type (HearthJsonValue *s)
{
  static const struct { const char *kw, *type; } map[] = {
    { "properties", "object" }, { "required", "object" }, { "additionalProperties", "object" },
    { "items", "array" }, { "minItems", "array" }, { "maxItems", "array" },
    { "minLength", "string" }, { "maxLength", "string" }, { "format", "string" },
    { "minimum", "number" }, { "maximum", "number" },
    { "exclusiveMinimum", "number" }, { "exclusiveMaximum", "number" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (hearth_json_object_get (s, map[i].kw) != NULL)
      return map[i].type;
  return NULL;
}

static char *
conv_schema_inner (Conv            *c,
                   HearthJsonValue *s,
                   const char      *path)
{
  HearthJsonValue *t, *v;
  const char *structural[] = { "$ref", "anyOf", "oneOf" };

  if (hearth_json_get_type (s) == HEARTH_JSON_BOOLEAN)
    {
      if (hearth_json_get_boolean (s))
        return g_strdup ("jvalue");
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "the schema 'false' accepts nothing");
      return NULL;
    }
  if (hearth_json_get_type (s) != HEARTH_JSON_OBJECT)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "a schema must be an object or a boolean");
      return NULL;
    }
  for (guint i = 0; i < hearth_json_object_get_size (s); i++)
    {
      const char *key = hearth_json_object_get_key_at (s, i);

      if (!in_list (key, known) && !in_list (key, annotations))
        {
          conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword '%s' is not supported", key);
          return NULL;
        }
    }
  if (hearth_json_object_get (s, "enum") != NULL || hearth_json_object_get (s, "const") != NULL)
    return conv_enum (c, s, path);
  for (guint k = 0; k < G_N_ELEMENTS (structural); k++)
    {
      if ((v = hearth_json_object_get (s, structural[k])) == NULL)
        continue;
      for (guint i = 0; i < hearth_json_object_get_size (s); i++)
        {
          const char *key = hearth_json_object_get_key_at (s, i);

          if (strcmp (key, structural[k]) != 0 && !in_list (key, annotations) &&
              strcmp (key, "$defs") != 0 && strcmp (key, "definitions") != 0)
            {
              conv_fail (c, path, HEARTH_ENGINE_ERROR_UNSUPPORTED, "'%s' beside '%s' is not supported",
                         key, structural[k]);
              return NULL;
            }
        }
      if (k == 0)
        return conv_ref (c, s, path);
      return conv_alternatives (c, v, structural[k], path);
    }
  t = hearth_json_object_get (s, "type");
  if (t == NULL)
    {
      const char *implied = implied_type (s);

      return implied != NULL ? conv_typed (c, s, implied, path) : g_strdup ("jvalue");
    }
  if (hearth_json_get_type (t) == HEARTH_JSON_STRING)
    return conv_typed (c, s, hearth_json_get_string (t, NULL), path);
  if (hearth_json_get_type (t) == HEARTH_JSON_ARRAY && hearth_json_array_get_length (t) > 0 &&
      hearth_json_array_get_length (t) <= 7)
    {
      g_autoptr(GString) body = g_string_new (NULL);
      char *name;

      for (guint i = 0; i < hearth_json_array_get_length (t); i++)
        {
          HearthJsonValue *ti = hearth_json_array_get (t, i);
          g_autofree char *alt = NULL;

          if (hearth_json_get_type (ti) != HEARTH_JSON_STRING)
            {
              conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'type' must list strings");
              return NULL;
            }
          if ((alt = conv_typed (c, s, hearth_json_get_string (ti, NULL), path)) == NULL)
            return NULL;
          g_string_append_printf (body, "%s%s", i > 0 ? " | " : "", alt);
        }
      name = new_rule_name (c);
      add_rule (c, name, body->str);
      return name;
    }
  conv_fail (c, path, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'type' must be a string or a list of 1 to 7 strings");
  return NULL;
}

static char *
conv_schema (Conv            *c,
             HearthJsonValue *s,
             const char      *path)
{
  char *name;

  if (c->failed)
    return NULL;
  if (++c->depth > HEARTH_GRAMMAR_MAX_NESTING)
    {
      conv_fail (c, path, HEARTH_ENGINE_ERROR_LIMIT, "schemas nested deeper than %d", HEARTH_GRAMMAR_MAX_NESTING);
      c->depth--;
      return NULL;
    }
  name = conv_schema_inner (c, s, path);
  c->depth--;
  if (c->failed)
    g_clear_pointer (&name, g_free);
  return name;
}

static void
conv_init (Conv            *c,
           HearthJsonValue *doc,
           GError         **error)
{
  memset (c, 0, sizeof *c);
  c->rules = g_string_new (NULL);
  c->doc = doc;
  c->refs_done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->refs_active = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->prefix = "";
  c->error = error;
}

static char *
conv_finish (Conv       *c,
             const char *root_body)
{
  char *out = NULL;

  if (!c->failed)
    {
      g_string_prepend (c->rules, root_body);
      g_string_append (c->rules, common_rules);
      out = g_string_free (g_steal_pointer (&c->rules), FALSE);
    }
  if (c->rules != NULL)
    g_string_free (c->rules, TRUE);
  g_hash_table_unref (c->refs_done);
  g_hash_table_unref (c->refs_active);
  return out;
}

static HearthJsonValue *
parse_schema_text (const char *text,
                   gssize      len,
                   GError    **error)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  GError *local = NULL;
  HearthJsonValue *doc;

  if (n > HEARTH_GRAMMAR_MAX_TEXT)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "JSON Schema: %" G_GSIZE_FORMAT " bytes of text; the most is %d", n, HEARTH_GRAMMAR_MAX_TEXT);
      return NULL;
    }
  doc = hearth_json_parse (text, (gssize) n, &local);
  if (doc == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, local->code, "JSON Schema: %s", local->message);
      g_error_free (local);
    }
  return doc;
}

char *
hearth_json_schema_to_gbnf (const char *text,
                            gssize      len,
                            GError    **error)
{
  g_autoptr(HearthJsonValue) doc = NULL;
  g_autofree char *value = NULL;
  g_autofree char *root = NULL;
  Conv c;

  g_return_val_if_fail (text != NULL, NULL);
  if ((doc = parse_schema_text (text, len, error)) == NULL)
    return NULL;
  conv_init (&c, doc, error);
  value = conv_schema (&c, doc, "");
  root = g_strdup_printf ("root ::= ws %s ws\n", value ? value : "");
  return conv_finish (&c, root);
}

char *
hearth_json_schema_tools_to_gbnf (HearthJsonValue *tools,
                                  const char      *open,
                                  const char      *close,
                                  GError         **error)
{
  g_autoptr(GString) root = g_string_new ("root ::= ");
  g_autoptr(GString) calls = g_string_new (NULL);
  guint n_tools = 0;
  Conv c;

  if (tools == NULL || hearth_json_get_type (tools) != HEARTH_JSON_ARRAY)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "tools must be an array");
      return NULL;
    }
  conv_init (&c, NULL, error);
  for (guint i = 0; i < hearth_json_array_get_length (tools) && !c.failed; i++)
    {
      HearthJsonValue *t = hearth_json_array_get (tools, i), *f, *name, *params;
      g_autofree char *path = g_strdup_printf ("tools/%u/parameters", i);
      g_autofree char *prefix = g_strdup_printf ("t%u-", i);
      g_autofree char *args = NULL;

      if (hearth_json_get_type (t) != HEARTH_JSON_OBJECT)
        continue;
      f = hearth_json_object_get (t, "function");
      if (f == NULL || hearth_json_get_type (f) != HEARTH_JSON_OBJECT)
        f = t;
      name = hearth_json_object_get (f, "name");
      if (name == NULL || hearth_json_get_type (name) != HEARTH_JSON_STRING)
        continue;
      params = hearth_json_object_get (f, "parameters");
      c.doc = params;
      c.prefix = prefix;
      g_hash_table_remove_all (c.refs_done);
      args = params != NULL ? conv_schema (&c, params, path) : g_strdup ("\"{\" ws \"}\"");
      if (args == NULL)
        break;
      if (n_tools++ > 0)
        g_string_append (calls, " |");
      g_string_append (calls, " ");
      append_json_literal (calls, name);
      g_string_append_printf (calls, " ws \",\" ws \"\\\"arguments\\\"\" ws \":\" ws %s ws", args);
    }
  if (!c.failed && n_tools == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no tool with a name");
      c.failed = TRUE;
    }
  if (open != NULL)
    {
      append_literal (root, open, strlen (open));
      g_string_append (root, " ");
    }
  g_string_append_printf (root, "ws \"{\" ws \"\\\"name\\\"\" ws \":\" ws (%s ) \"}\" ws", calls->str);
  if (close != NULL)
    {
      g_string_append (root, " ");
      append_literal (root, close, strlen (close));
    }
  g_string_append_c (root, '\n');
  return conv_finish (&c, root->str);
}
