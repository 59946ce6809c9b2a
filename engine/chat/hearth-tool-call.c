/* hearth-tool-call.c: tool calls out of generated text, checked against tool schemas
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here reads untrusted model output. Calls are found by their
 * markers and read with the strict JSON parser, so braces inside strings,
 * truncated output and trailing prose cannot confuse the boundaries. Work is
 * bounded: the text length, the number of calls and, for the marker-less
 * Llama format, the number of places a call may start are all capped.
 */
#include "hearth-tool-call.h"
#include "jinja/hearth-json-private.h"
#include "hearth-engine-error.h"

#include <string.h>

#define HERMES_OPEN "<tool_call>"
#define HERMES_CLOSE "</tool_call>"
#define PYTHON_TAG "<|python_tag|>"
#define MISTRAL_CALLS "[TOOL_CALLS]"
#define MISTRAL_ARGS "[ARGS]"
#define LLAMA_MAX_ATTEMPTS 64
#define SCHEMA_MAX_DEPTH 32

struct _HearthToolCalls
{
  HearthToolCallFormat format;
  GPtrArray           *calls;   /* HearthToolCall* */
  GString             *content;
  char                *content_trimmed;
  HearthJsonValue     *tools;
  gboolean             full;    /* the call limit was reached */
};

static void
tool_call_free (gpointer data)
{
  HearthToolCall *c = data;

  g_free (c->name);
  g_clear_pointer (&c->arguments, hearth_json_value_unref);
  g_free (c->id);
  g_clear_error (&c->error);
  g_free (c);
}

void
hearth_tool_calls_free (HearthToolCalls *calls)
{
  if (calls == NULL)
    return;
  g_ptr_array_unref (calls->calls);
  if (calls->content != NULL)
    g_string_free (calls->content, TRUE);
  g_free (calls->content_trimmed);
  g_clear_pointer (&calls->tools, hearth_json_value_unref);
  g_free (calls);
}

guint
hearth_tool_calls_get_n_calls (HearthToolCalls *calls)
{
  g_return_val_if_fail (calls != NULL, 0);
  return calls->calls->len;
}

const HearthToolCall *
hearth_tool_calls_get_call (HearthToolCalls *calls,
                            guint            index)
{
  g_return_val_if_fail (calls != NULL && index < calls->calls->len, NULL);
  return g_ptr_array_index (calls->calls, index);
}

guint
hearth_tool_calls_get_n_valid (HearthToolCalls *calls)
{
  guint n = 0;

  g_return_val_if_fail (calls != NULL, 0);
  for (guint i = 0; i < calls->calls->len; i++)
    n += ((HearthToolCall *) g_ptr_array_index (calls->calls, i))->error == NULL;
  return n;
}

const char *
hearth_tool_calls_get_content (HearthToolCalls *calls)
{
  g_return_val_if_fail (calls != NULL, NULL);
  return calls->content_trimmed;
}

HearthToolCallFormat
hearth_tool_calls_get_format (HearthToolCalls *calls)
{
  g_return_val_if_fail (calls != NULL, HEARTH_TOOL_CALL_FORMAT_AUTO);
  return calls->format;
}

/* ---- schema validation ---- */

static const char *
json_kind (const HearthJsonValue *v)
{
  switch (hearth_json_get_type (v))
    {
    case HEARTH_JSON_NULL: return "null";
    case HEARTH_JSON_BOOLEAN: return "boolean";
    case HEARTH_JSON_INT: return "integer";
    case HEARTH_JSON_DOUBLE: return "number";
    case HEARTH_JSON_STRING: return "string";
    case HEARTH_JSON_ARRAY: return "array";
    case HEARTH_JSON_OBJECT: return "object";
    default: return "?";
    }
}

static gboolean
type_matches (const char            *type,
              const HearthJsonValue *v)
{
  HearthJsonType t = hearth_json_get_type (v);

  if (strcmp (type, "string") == 0)
    return t == HEARTH_JSON_STRING;
  if (strcmp (type, "integer") == 0)
    return t == HEARTH_JSON_INT ||
           (t == HEARTH_JSON_DOUBLE && v->u.d == (double) (gint64) v->u.d);
  if (strcmp (type, "number") == 0)
    return t == HEARTH_JSON_INT || t == HEARTH_JSON_DOUBLE;
  if (strcmp (type, "boolean") == 0)
    return t == HEARTH_JSON_BOOLEAN;
  if (strcmp (type, "object") == 0)
    return t == HEARTH_JSON_OBJECT;
  if (strcmp (type, "array") == 0)
    return t == HEARTH_JSON_ARRAY;
  if (strcmp (type, "null") == 0)
    return t == HEARTH_JSON_NULL;
  return TRUE; /* a type this check does not know is not held against the call */
}

static gboolean
validate (const HearthJsonValue *schema,
          const HearthJsonValue *v,
          const char            *path,
          guint                  depth,
          GError               **error)
{
  const HearthJsonValue *type, *enumeration;

  if (schema == NULL || hearth_json_get_type (schema) != HEARTH_JSON_OBJECT || depth > SCHEMA_MAX_DEPTH)
    return TRUE;

  type = hearth_json_object_get (schema, "type");
  if (type != NULL)
    {
      gboolean ok = FALSE;
      g_autoptr(GString) wanted = g_string_new (NULL);

      if (hearth_json_get_type (type) == HEARTH_JSON_STRING)
        {
          ok = type_matches (type->u.str.data, v);
          g_string_append (wanted, type->u.str.data);
        }
      else if (hearth_json_get_type (type) == HEARTH_JSON_ARRAY)
        {
          for (guint i = 0; i < type->u.arr.n; i++)
            {
              const HearthJsonValue *ti = type->u.arr.items[i];
              if (hearth_json_get_type (ti) != HEARTH_JSON_STRING)
                continue;
              ok |= type_matches (ti->u.str.data, v);
              g_string_append_printf (wanted, "%s%s", wanted->len ? " or " : "", ti->u.str.data);
            }
        }
      else
        ok = TRUE;
      if (!ok)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                       "argument '%s' must be %s, not %s", path, wanted->str, json_kind (v));
          return FALSE;
        }
    }

  enumeration = hearth_json_object_get (schema, "enum");
  if (enumeration != NULL && hearth_json_get_type (enumeration) == HEARTH_JSON_ARRAY)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < enumeration->u.arr.n && !found; i++)
        found = hearth_json_equal (enumeration->u.arr.items[i], v);
      if (!found)
        {
          g_autofree char *text = hearth_json_to_string (v, -1);
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                       "argument '%s' is %s, which is not one of its allowed values", path, text);
          return FALSE;
        }
    }

  if (hearth_json_get_type (v) == HEARTH_JSON_OBJECT)
    {
      const HearthJsonValue *required = hearth_json_object_get (schema, "required");
      const HearthJsonValue *props = hearth_json_object_get (schema, "properties");
      const HearthJsonValue *extra = hearth_json_object_get (schema, "additionalProperties");

      if (props != NULL && hearth_json_get_type (props) != HEARTH_JSON_OBJECT)
        props = NULL;
      if (required != NULL && hearth_json_get_type (required) == HEARTH_JSON_ARRAY)
        for (guint i = 0; i < required->u.arr.n; i++)
          {
            const HearthJsonValue *key = required->u.arr.items[i];
            if (hearth_json_get_type (key) == HEARTH_JSON_STRING &&
                hearth_json_object_find_member (v, key->u.str.data, key->u.str.len) == NULL)
              {
                g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                             "required argument '%s%s%s' is missing", *path ? path : "", *path ? "." : "",
                             key->u.str.data);
                return FALSE;
              }
          }
      for (guint i = 0; i < v->u.obj.n; i++)
        {
          const HearthJsonMember *m = &v->u.obj.members[i];
          HearthJsonMember *ps = props ? hearth_json_object_find_member (props, m->key, m->key_len) : NULL;
          g_autofree char *sub = *path ? g_strdup_printf ("%s.%s", path, m->key) : g_strdup (m->key);

          if (ps != NULL)
            {
              if (!validate (ps->value, m->value, sub, depth + 1, error))
                return FALSE;
            }
          else if (extra != NULL && hearth_json_get_type (extra) == HEARTH_JSON_BOOLEAN && !extra->u.b)
            {
              g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "unknown argument '%s'", sub);
              return FALSE;
            }
          else if (extra != NULL && hearth_json_get_type (extra) == HEARTH_JSON_OBJECT)
            {
              if (!validate (extra, m->value, sub, depth + 1, error))
                return FALSE;
            }
        }
    }
  else if (hearth_json_get_type (v) == HEARTH_JSON_ARRAY)
    {
      const HearthJsonValue *items = hearth_json_object_get (schema, "items");
      for (guint i = 0; items != NULL && i < v->u.arr.n; i++)
        {
          g_autofree char *sub = g_strdup_printf ("%s[%u]", path, i);
          if (!validate (items, v->u.arr.items[i], sub, depth + 1, error))
            return FALSE;
        }
    }
  return TRUE;
}

gboolean
hearth_tool_arguments_validate (const HearthJsonValue *parameters,
                                const HearthJsonValue *arguments,
                                GError               **error)
{
  g_return_val_if_fail (arguments != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return validate (parameters, arguments, "", 0, error);
}

/* The tool definition named @name: the "function" member of OpenAI-style
 * entries, or the entry itself. */
static const HearthJsonValue *
find_tool (const HearthJsonValue *tools,
           const char            *name)
{
  for (guint i = 0; i < hearth_json_array_get_length (tools); i++)
    {
      const HearthJsonValue *t = hearth_json_array_get (tools, i);
      const HearthJsonValue *fn, *n;

      if (hearth_json_get_type (t) != HEARTH_JSON_OBJECT)
        continue;
      fn = hearth_json_object_get (t, "function");
      if (fn == NULL || hearth_json_get_type (fn) != HEARTH_JSON_OBJECT)
        fn = t;
      n = hearth_json_object_get (fn, "name");
      if (n != NULL && hearth_json_get_type (n) == HEARTH_JSON_STRING && strcmp (n->u.str.data, name) == 0)
        return fn;
    }
  return NULL;
}

/* ---- building calls ---- */

static HearthToolCall *
add_entry (HearthToolCalls *self,
           gsize            start,
           gsize            end)
{
  HearthToolCall *c;

  if (self->full)
    return NULL;
  c = g_new0 (HearthToolCall, 1);
  c->start = start;
  c->end = end;
  if (self->calls->len >= HEARTH_TOOL_CALL_MAX_CALLS)
    {
      self->full = TRUE;
      g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "more than %d tool calls; the rest were not read", HEARTH_TOOL_CALL_MAX_CALLS);
      g_ptr_array_add (self->calls, c);
      return NULL;
    }
  g_ptr_array_add (self->calls, c);
  return c;
}

static void
add_malformed (HearthToolCalls *self,
               gsize            start,
               gsize            end,
               const char      *why)
{
  HearthToolCall *c = add_entry (self, start, end);

  if (c != NULL)
    g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                 "malformed tool call: %s", why);
}

/* Turns one parsed call object into an entry, checked against the tools.
 * @name_override is the name from formats that put it outside the JSON. */
static void
add_call (HearthToolCalls       *self,
          const HearthJsonValue *obj,
          const char            *name_override,
          gsize                  start,
          gsize                  end)
{
  HearthToolCall *c = add_entry (self, start, end);
  const HearthJsonValue *name, *args, *id, *tool;

  if (c == NULL)
    return;
  if (name_override != NULL)
    {
      c->name = g_strdup (name_override);
      args = obj;
    }
  else
    {
      if (hearth_json_get_type (obj) != HEARTH_JSON_OBJECT)
        {
          g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "malformed tool call: expected a JSON object, got %s", json_kind (obj));
          return;
        }
      id = hearth_json_object_get (obj, "id");
      if (id != NULL && hearth_json_get_type (id) == HEARTH_JSON_STRING)
        c->id = g_strdup (id->u.str.data);
      /* {"function": {"name", "arguments"}} as some models echo OpenAI's shape */
      if (hearth_json_object_get (obj, "name") == NULL && hearth_json_object_get (obj, "function") != NULL &&
          hearth_json_get_type (hearth_json_object_get (obj, "function")) == HEARTH_JSON_OBJECT)
        obj = hearth_json_object_get (obj, "function");
      name = hearth_json_object_get (obj, "name");
      if (name == NULL || hearth_json_get_type (name) != HEARTH_JSON_STRING)
        {
          g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "malformed tool call: no \"name\" string");
          return;
        }
      c->name = g_strdup (name->u.str.data);
      args = hearth_json_object_get (obj, "arguments");
      if (args == NULL)
        args = hearth_json_object_get (obj, "parameters");
    }

  if (args == NULL)
    c->arguments = hearth_json_new_object ();
  else if (hearth_json_get_type (args) == HEARTH_JSON_STRING)
    {
      /* arguments as a JSON string, the way OpenAI's API carries them */
      GError *err = NULL;
      c->arguments = hearth_json_parse (args->u.str.data, (gssize) args->u.str.len, &err);
      if (c->arguments == NULL)
        {
          g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "malformed tool call arguments: %s", err->message);
          g_error_free (err);
          return;
        }
    }
  else
    c->arguments = hearth_json_value_ref ((HearthJsonValue *) args);
  if (hearth_json_get_type (c->arguments) != HEARTH_JSON_OBJECT)
    {
      g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                   "tool call arguments must be a JSON object, not %s", json_kind (c->arguments));
      g_clear_pointer (&c->arguments, hearth_json_value_unref);
      return;
    }

  if (self->tools == NULL)
    return;
  tool = find_tool (self->tools, c->name);
  if (tool == NULL)
    {
      g_set_error (&c->error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND, "unknown tool '%s'", c->name);
      return;
    }
  {
    const HearthJsonValue *schema = hearth_json_object_get (tool, "parameters");
    GError *err = NULL;
    if (!validate (schema, c->arguments, "", 0, &err))
      {
        g_prefix_error (&err, "tool '%s': ", c->name);
        c->error = err;
      }
  }
}

static const char *
find_str (const char *text,
          gsize       len,
          gsize       from,
          const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = from; i + n <= len; i++)
    {
      const char *p = memchr (text + i, needle[0], len - i);
      if (p == NULL)
        return NULL;
      i = (gsize) (p - text);
      if (i + n <= len && memcmp (p, needle, n) == 0)
        return p;
    }
  return NULL;
}

static gsize
skip_ws (const char *text,
         gsize       len,
         gsize       i)
{
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
    i++;
  return i;
}

static void
parse_hermes (HearthToolCalls *self,
              const char      *text,
              gsize            len)
{
  gsize pos = 0;
  const char *open;

  while (!self->full && (open = find_str (text, len, pos, HERMES_OPEN)) != NULL)
    {
      gsize start = (gsize) (open - text), q, used = 0, end;
      g_autoptr(HearthJsonValue) obj = NULL;
      g_autoptr(GError) err = NULL;
      const char *close;

      g_string_append_len (self->content, text + pos, (gssize) (start - pos));
      q = skip_ws (text, len, start + strlen (HERMES_OPEN));
      obj = hearth_json_parse_prefix (text + q, len - q, &used, &err);
      if (obj != NULL)
        {
          gsize after = skip_ws (text, len, q + used);
          if (len - after >= strlen (HERMES_CLOSE) && memcmp (text + after, HERMES_CLOSE, strlen (HERMES_CLOSE)) == 0)
            {
              end = after + strlen (HERMES_CLOSE);
              add_call (self, obj, NULL, start, end);
            }
          else if (after == len)
            {
              /* generation stopped before the closing tag; the JSON itself is whole */
              end = len;
              add_call (self, obj, NULL, start, end);
            }
          else
            {
              close = find_str (text, len, after, HERMES_CLOSE);
              end = close ? (gsize) (close - text) + strlen (HERMES_CLOSE) : len;
              add_malformed (self, start, end, "text after the JSON inside <tool_call>");
            }
        }
      else
        {
          close = find_str (text, len, q, HERMES_CLOSE);
          end = close ? (gsize) (close - text) + strlen (HERMES_CLOSE) : len;
          add_malformed (self, start, end, err->message);
        }
      pos = end;
    }
  if (pos < len && !self->full)
    g_string_append_len (self->content, text + pos, (gssize) (len - pos));
}

/* Whether the object at @i looks meant as a call: {"name": first. */
static gboolean
looks_like_call (const char *text,
                 gsize       len,
                 gsize       i)
{
  i = skip_ws (text, len, i + 1);
  return len - i >= 6 && memcmp (text + i, "\"name\"", 6) == 0;
}

static gboolean
is_call_object (const HearthJsonValue *obj)
{
  const HearthJsonValue *name;

  if (obj == NULL || hearth_json_get_type (obj) != HEARTH_JSON_OBJECT)
    return FALSE;
  name = hearth_json_object_get (obj, "name");
  return name != NULL && hearth_json_get_type (name) == HEARTH_JSON_STRING &&
         (hearth_json_object_get (obj, "parameters") != NULL || hearth_json_object_get (obj, "arguments") != NULL);
}

static void
parse_llama3 (HearthToolCalls *self,
              const char      *text,
              gsize            len)
{
  const char *tag = find_str (text, len, 0, PYTHON_TAG);
  gsize region = 0, pos = 0, i, prev_end = G_MAXSIZE;
  guint attempts = 0;

  if (tag != NULL)
    {
      region = (gsize) (tag - text);
      g_string_append_len (self->content, text, (gssize) region);
      region += strlen (PYTHON_TAG);
      pos = region;
      i = skip_ws (text, len, region);
      if (i >= len || text[i] != '{')
        {
          /* the tag promises a call; anything else is not one we can run */
          add_malformed (self, region - strlen (PYTHON_TAG), len,
                         "expected a JSON object after <|python_tag|>");
          return;
        }
    }

  for (i = region; i < len && !self->full;)
    {
      gboolean candidate;
      gsize used = 0, k;
      g_autoptr(HearthJsonValue) obj = NULL;
      g_autoptr(GError) err = NULL;

      if (text[i] != '{')
        {
          i++;
          continue;
        }
      /* a call starts the text (or the tag's region), a line, or follows a call */
      k = i;
      while (k > region && (text[k - 1] == ' ' || text[k - 1] == '\t'))
        k--;
      candidate = k == region || text[k - 1] == '\n';
      if (!candidate && prev_end != G_MAXSIZE)
        {
          gsize j = prev_end;
          while (j < i && strchr (" \t\r\n;,", text[j]) != NULL)
            j++;
          candidate = j == i;
        }
      if (!candidate || ++attempts > LLAMA_MAX_ATTEMPTS)
        {
          i++;
          continue;
        }
      obj = hearth_json_parse_prefix (text + i, len - i, &used, &err);
      if (is_call_object (obj))
        {
          g_string_append_len (self->content, text + pos, (gssize) (i - pos));
          add_call (self, obj, NULL, i, i + used);
          pos = prev_end = i + used;
          /* separators between calls are not content */
          while (pos < len && strchr (" \t\r\n;,", text[pos]) != NULL && text[pos] != '\0')
            pos++;
          i = pos;
          continue;
        }
      if (obj == NULL && looks_like_call (text, len, i))
        {
          g_string_append_len (self->content, text + pos, (gssize) (i - pos));
          add_malformed (self, i, len, err->message);
          pos = len;
          break;
        }
      i++;
    }
  if (pos < len && !self->full)
    g_string_append_len (self->content, text + pos, (gssize) (len - pos));
}

static void
parse_mistral (HearthToolCalls *self,
               const char      *text,
               gsize            len)
{
  gsize pos = 0;
  const char *mark;

  while (!self->full && (mark = find_str (text, len, pos, MISTRAL_CALLS)) != NULL)
    {
      gsize start = (gsize) (mark - text), q, used = 0, end;
      g_autoptr(HearthJsonValue) v = NULL;
      g_autoptr(GError) err = NULL;

      g_string_append_len (self->content, text + pos, (gssize) (start - pos));
      q = skip_ws (text, len, start + strlen (MISTRAL_CALLS));
      if (q < len && (text[q] == '[' || text[q] == '{'))
        {
          v = hearth_json_parse_prefix (text + q, len - q, &used, &err);
          if (v == NULL)
            {
              const char *next = find_str (text, len, q, MISTRAL_CALLS);
              end = next ? (gsize) (next - text) : len;
              add_malformed (self, start, end, err->message);
            }
          else
            {
              end = q + used;
              if (hearth_json_get_type (v) == HEARTH_JSON_ARRAY)
                {
                  if (v->u.arr.n == 0)
                    add_malformed (self, start, end, "an empty list of calls");
                  for (guint k = 0; k < v->u.arr.n; k++)
                    add_call (self, v->u.arr.items[k], NULL, start, end);
                }
              else
                add_call (self, v, NULL, start, end);
            }
        }
      else
        {
          /* [TOOL_CALLS]name[ARGS]{...} */
          const char *args = find_str (text, len, q, MISTRAL_ARGS);
          gsize name_end = args ? (gsize) (args - text) : q;
          gboolean name_ok = args != NULL && name_end > q && name_end - q <= 256;

          for (gsize k = q; name_ok && k < name_end; k++)
            name_ok = g_ascii_isalnum (text[k]) || text[k] == '_' || text[k] == '-' || text[k] == '.';
          if (!name_ok)
            {
              const char *next = find_str (text, len, q, MISTRAL_CALLS);
              end = next ? (gsize) (next - text) : len;
              add_malformed (self, start, end, "expected a JSON list or name[ARGS]{...} after [TOOL_CALLS]");
            }
          else
            {
              g_autofree char *name = g_strndup (text + q, name_end - q);
              gsize a = skip_ws (text, len, name_end + strlen (MISTRAL_ARGS));
              v = hearth_json_parse_prefix (text + a, len - a, &used, &err);
              if (v == NULL)
                {
                  const char *next = find_str (text, len, a, MISTRAL_CALLS);
                  end = next ? (gsize) (next - text) : len;
                  add_malformed (self, start, end, err->message);
                }
              else
                {
                  end = a + used;
                  add_call (self, v, name, start, end);
                }
            }
        }
      pos = end;
    }
  if (pos < len && !self->full)
    g_string_append_len (self->content, text + pos, (gssize) (len - pos));
}

HearthToolCalls *
hearth_tool_calls_parse (const char           *text,
                         gssize                len,
                         HearthToolCallFormat  format,
                         HearthJsonValue      *tools,
                         GError              **error)
{
  g_autoptr(HearthToolCalls) self = NULL;
  gsize n;

  g_return_val_if_fail (text != NULL, NULL);
  n = len < 0 ? strlen (text) : (gsize) len;
  if (n > HEARTH_TOOL_CALL_MAX_TEXT)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_LIMIT,
                   "generated text of %" G_GSIZE_FORMAT " bytes is beyond the %d the tool-call parser reads",
                   n, HEARTH_TOOL_CALL_MAX_TEXT);
      return NULL;
    }
  if (!g_utf8_validate (text, (gssize) n, NULL))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "generated text is not valid UTF-8");
      return NULL;
    }
  if (tools != NULL && hearth_json_get_type (tools) != HEARTH_JSON_ARRAY)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "the tools must be a JSON array");
      return NULL;
    }

  self = g_new0 (HearthToolCalls, 1);
  self->calls = g_ptr_array_new_with_free_func (tool_call_free);
  self->content = g_string_new (NULL);
  self->tools = tools ? hearth_json_value_ref (tools) : NULL;
  if (format == HEARTH_TOOL_CALL_FORMAT_AUTO)
    {
      if (find_str (text, n, 0, HERMES_OPEN) != NULL)
        format = HEARTH_TOOL_CALL_FORMAT_HERMES;
      else if (find_str (text, n, 0, MISTRAL_CALLS) != NULL)
        format = HEARTH_TOOL_CALL_FORMAT_MISTRAL;
      else
        format = HEARTH_TOOL_CALL_FORMAT_LLAMA3;
    }
  self->format = format;
  switch (format)
    {
    case HEARTH_TOOL_CALL_FORMAT_HERMES:
      parse_hermes (self, text, n);
      break;
    case HEARTH_TOOL_CALL_FORMAT_MISTRAL:
      parse_mistral (self, text, n);
      break;
    case HEARTH_TOOL_CALL_FORMAT_LLAMA3:
    default:
      parse_llama3 (self, text, n);
      break;
    }
  self->content_trimmed = g_strstrip (g_strndup (self->content->str, self->content->len));
  return g_steal_pointer (&self);
}
