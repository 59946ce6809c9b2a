/* hearth-json-private.h: the JSON value layout, shared with the Jinja interpreter
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Jinja interpreter works on this same tree, so a context handed to a
 * template is used without copying. It adds kinds of its own (undefined,
 * tuples, namespaces, macros, ...) that never leave the interpreter.
 */
#pragma once

#include "hearth-json.h"

G_BEGIN_DECLS

/* Kinds beyond HearthJsonType, for the interpreter only. */
enum
{
  HEARTH_JSON_X_UNDEFINED = 16, /* u.undef */
  HEARTH_JSON_X_TUPLE,          /* u.arr, immutable */
  HEARTH_JSON_X_GENERATOR,      /* u.arr; what map/select give (not JSON-serializable) */
  HEARTH_JSON_X_NAMESPACE,      /* u.obj, mutable attributes */
  HEARTH_JSON_X_MACRO,          /* u.ext */
  HEARTH_JSON_X_FUNCTION,       /* u.ext: a builtin or bound method */
  HEARTH_JSON_X_LOOP,           /* u.ext: the loop variable */
};

typedef struct
{
  char            *key;
  gsize            key_len;
  HearthJsonValue *value;
} HearthJsonMember;

struct _HearthJsonValue
{
  gatomicrefcount ref_count;
  guint8          type;
  union
  {
    gboolean b;
    gint64   i;
    double   d;
    struct
    {
      char *data;   /* NUL-terminated */
      gsize len;    /* bytes */
      gboolean markup; /* Jinja's Markup (from |safe): + escapes the other side */
    } str;
    struct
    {
      HearthJsonValue **items;
      guint             n;
      guint             cap;
    } arr;
    struct
    {
      HearthJsonMember *members;
      guint             n;
      guint             cap;
      GHashTable       *index; /* key -> position + 1, built once an object grows */
    } obj;
    struct
    {
      char *hint; /* the message raised when the value is used */
    } undef;
    struct
    {
      gpointer        data;
      GDestroyNotify  free_data;
      HearthJsonValue *self; /* bound receiver or NULL */
      int             id;
      gpointer        scope; /* a caller() macro: the frame of its call block while that runs */
    } ext;
  } u;
};

HearthJsonValue *hearth_json_value_alloc (guint8 type);
HearthJsonValue *hearth_json_new_string_take (char *text, gsize len);
HearthJsonMember *hearth_json_object_find_member (const HearthJsonValue *object,
                                                  const char            *key,
                                                  gsize                  key_len);
void             hearth_json_object_set_len (HearthJsonValue *object,
                                             const char      *key,
                                             gsize            key_len,
                                             HearthJsonValue *value);
gsize            hearth_json_string_n_chars (const HearthJsonValue *string);

typedef struct
{
  int         indent;        /* < 0: no newlines */
  const char *item_sep;      /* NULL: Python's default for the indent */
  const char *key_sep;       /* NULL: ": " */
  gboolean    sort_keys;
} HearthJsonFormat;

/* Serializes with Python's rules; fails with the TypeError text Python gives
 * for a value that is not JSON (e.g. "Object of type generator is not JSON
 * serializable") or when @out would grow beyond @max_len bytes. */
gboolean         hearth_json_append (GString               *out,
                                     const HearthJsonValue *value,
                                     const HearthJsonFormat *format,
                                     gsize                  max_len,
                                     GError               **error);
void             hearth_json_append_string_literal (GString *out, const char *text, gsize len);
/* Python's type() name of a value: "str", "dict", "NoneType", ... */
const char      *hearth_json_type_name (const HearthJsonValue *value);

G_END_DECLS
