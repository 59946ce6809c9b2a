/* hearth-json.h: a small JSON value tree for the engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine depends on GLib only, so chat-template contexts, tool schemas and
 * tool-call arguments use this tree. Objects keep their keys in insertion
 * order (a repeated key keeps its first position and takes the last value, as
 * Python's json module does). The serializer writes what Python's
 * json.dumps (ensure_ascii=False) writes, which is what chat templates expect.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HEARTH_JSON_NULL,
  HEARTH_JSON_BOOLEAN,
  HEARTH_JSON_INT,
  HEARTH_JSON_DOUBLE,
  HEARTH_JSON_STRING,
  HEARTH_JSON_ARRAY,
  HEARTH_JSON_OBJECT,
} HearthJsonType;

typedef struct _HearthJsonValue HearthJsonValue;

HearthJsonValue *hearth_json_value_ref (HearthJsonValue *value);
void             hearth_json_value_unref (HearthJsonValue *value);

HearthJsonValue *hearth_json_new_null (void);
HearthJsonValue *hearth_json_new_boolean (gboolean value);
HearthJsonValue *hearth_json_new_int (gint64 value);
HearthJsonValue *hearth_json_new_double (double value);
/* @text must be valid UTF-8; @len may be -1 for NUL-terminated text. */
HearthJsonValue *hearth_json_new_string (const char *text, gssize len);
HearthJsonValue *hearth_json_new_array (void);
HearthJsonValue *hearth_json_new_object (void);

HearthJsonType   hearth_json_get_type (const HearthJsonValue *value);
gboolean         hearth_json_get_boolean (const HearthJsonValue *value);
gint64           hearth_json_get_int (const HearthJsonValue *value);
/* An INT reads as a double too. */
double           hearth_json_get_double (const HearthJsonValue *value);
/* Borrowed; NUL-terminated (a string holding "\u0000" reports the full @len). */
const char      *hearth_json_get_string (const HearthJsonValue *value, gsize *len);

guint            hearth_json_array_get_length (const HearthJsonValue *array);
HearthJsonValue *hearth_json_array_get (const HearthJsonValue *array, guint index); /* borrowed */
void             hearth_json_array_append (HearthJsonValue *array, HearthJsonValue *item); /* takes @item */

guint            hearth_json_object_get_size (const HearthJsonValue *object);
/* Borrowed, or NULL when @key is absent. */
HearthJsonValue *hearth_json_object_get (const HearthJsonValue *object, const char *key);
const char      *hearth_json_object_get_key_at (const HearthJsonValue *object, guint index);
HearthJsonValue *hearth_json_object_get_value_at (const HearthJsonValue *object, guint index);
/* Takes @value; a present key keeps its position and gets the new value. */
void             hearth_json_object_set (HearthJsonValue *object, const char *key, HearthJsonValue *value);

/* Strict RFC 8259 parsing of a whole document (surrounding whitespace only).
 * Errors are HEARTH_ENGINE_ERROR_INVALID_ARGUMENT with line, column and byte
 * offset; nesting is limited to HEARTH_JSON_MAX_DEPTH. */
#define HEARTH_JSON_MAX_DEPTH 512
HearthJsonValue *hearth_json_parse (const char *text, gssize len, GError **error);
/* One value at the start of @text (after whitespace), with whatever follows
 * it left alone; *@end is the offset just past the value (or where parsing
 * failed). */
HearthJsonValue *hearth_json_parse_prefix (const char *text, gsize len, gsize *end, GError **error);

/* Python json.dumps (x, ensure_ascii=False, indent=@indent): @indent < 0 gives
 * one line with ", " and ": " separators; @indent >= 0 gives one item per
 * line with "," and ": ". */
char            *hearth_json_to_string (const HearthJsonValue *value, int indent);

/* Deep equality; an INT and a DOUBLE of the same value are equal (as in Python). */
gboolean         hearth_json_equal (const HearthJsonValue *a, const HearthJsonValue *b);

/* Python's repr() of a float: the shortest text that reads back as @value.
 * JSON serialization uses it too (inf and nan as Infinity and NaN there). */
#define HEARTH_JSON_DOUBLE_BUF 32
void             hearth_json_format_double (double value, char buf[HEARTH_JSON_DOUBLE_BUF]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthJsonValue, hearth_json_value_unref)

G_END_DECLS
