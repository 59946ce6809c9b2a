/* hearth-cli-inspect.c: `hearth-cli inspect FILE.gguf [--json]`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

#define ARRAY_HEAD 8          /* elements shown of a long array */
#define ARRAY_ELIDE_AFTER 16  /* arrays longer than this are elided */
#define TEXT_STRING_MAX 96    /* bytes of a string shown in text mode */

typedef struct
{
  char    *architecture;
  char    *name;
  char    *file_type;
  char    *tokenizer;
  guint64  context_length; /* 0 when absent */
  gboolean has_chat_template;
  guint64  n_params;
  guint64  tensor_bytes;
} Summary;

static void
summary_clear (Summary *s)
{
  g_free (s->architecture);
  g_free (s->name);
  g_free (s->file_type);
  g_free (s->tokenizer);
}

static char *
dup_valid_string (const char *data,
                  guint64     len)
{
  return g_utf8_make_valid (data, (gssize) len);
}

static void
summarize (HearthGguf *gguf,
           Summary    *s)
{
  const HearthGgufValue *v;
  guint32 ft;

  s->architecture = hearth_gguf_dup_string (gguf, "general.architecture", NULL);
  s->name = hearth_gguf_dup_string (gguf, "general.name", NULL);
  s->tokenizer = hearth_gguf_dup_string (gguf, "tokenizer.ggml.model", NULL);
  if (hearth_gguf_get_uint32 (gguf, "general.file_type", &ft, NULL))
    {
      const char *n = hearth_gguf_file_type_name (ft);
      s->file_type = n ? g_strdup (n) : g_strdup_printf ("unknown (%u)", ft);
    }
  if (s->architecture != NULL)
    {
      g_autofree char *key = g_strdup_printf ("%s.context_length", s->architecture);
      if (!hearth_gguf_get_uint64 (gguf, key, &s->context_length, NULL))
        s->context_length = 0;
    }
  v = hearth_gguf_find (gguf, "tokenizer.chat_template");
  s->has_chat_template = v != NULL && v->type == HEARTH_GGUF_TYPE_STRING;
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (gguf, i);
      s->n_params += t->n_elements;
      s->tensor_bytes += t->n_bytes;
    }
}

static char *
format_shape (const HearthGgufTensor *t)
{
  GString *s = g_string_new ("[");

  for (guint d = 0; d < t->n_dims; d++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, d ? ", " : "", t->ne[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Escapes quotes, backslashes and control characters; UTF-8 passes through. */
static void
append_escaped (GString    *out,
                const char *text)
{
  for (const char *p = text; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          if ((guchar) *p < 0x20 || *p == 0x7f)
            g_string_append_printf (out, "\\x%02x", (guchar) *p);
          else
            g_string_append_c (out, *p);
        }
    }
}

static void
append_scalar_text (GString               *out,
                    const HearthGgufValue *v)
{
  switch (v->type)
    {
    case HEARTH_GGUF_TYPE_UINT8:
    case HEARTH_GGUF_TYPE_UINT16:
    case HEARTH_GGUF_TYPE_UINT32:
    case HEARTH_GGUF_TYPE_UINT64:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, v->v.u64);
      break;
    case HEARTH_GGUF_TYPE_INT8:
    case HEARTH_GGUF_TYPE_INT16:
    case HEARTH_GGUF_TYPE_INT32:
    case HEARTH_GGUF_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, v->v.i64);
      break;
    case HEARTH_GGUF_TYPE_FLOAT32:
    case HEARTH_GGUF_TYPE_FLOAT64:
      g_string_append_printf (out, "%.9g", v->v.f64);
      break;
    case HEARTH_GGUF_TYPE_BOOL:
      g_string_append (out, v->v.b ? "true" : "false");
      break;
    case HEARTH_GGUF_TYPE_STRING:
      {
        guint64 shown = MIN (v->v.str.len, TEXT_STRING_MAX);
        g_autofree char *valid = dup_valid_string (v->v.str.data, shown);
        g_string_append_c (out, '"');
        append_escaped (out, valid);
        g_string_append_c (out, '"');
        if (shown < v->v.str.len)
          g_string_append_printf (out, "... (%" G_GUINT64_FORMAT " bytes)", v->v.str.len);
      }
      break;
    case HEARTH_GGUF_TYPE_ARRAY:
    default:
      g_assert_not_reached ();
    }
}

static void append_value_text (GString *out, const HearthGgufValue *v);

static void
append_array_text (GString               *out,
                   const HearthGgufValue *v)
{
  guint64 n = v->v.arr.n;
  guint64 shown = n > ARRAY_ELIDE_AFTER ? ARRAY_HEAD : n;

  g_string_append_printf (out, "%s[%" G_GUINT64_FORMAT "] [",
                          hearth_gguf_type_name (v->v.arr.elem_type), n);
  for (guint64 i = 0; i < shown; i++)
    {
      HearthGgufValue elem = { 0 };

      if (i)
        g_string_append (out, ", ");
      if (v->v.arr.items != NULL)
        {
          append_value_text (out, &v->v.arr.items[i]);
          continue;
        }
      elem.type = v->v.arr.elem_type;
      if (elem.type == HEARTH_GGUF_TYPE_FLOAT32 || elem.type == HEARTH_GGUF_TYPE_FLOAT64)
        elem.v.f64 = hearth_gguf_array_get_float (v, i);
      else if (elem.type == HEARTH_GGUF_TYPE_BOOL)
        elem.v.b = hearth_gguf_array_get_int (v, i) != 0;
      else if (elem.type == HEARTH_GGUF_TYPE_INT8 || elem.type == HEARTH_GGUF_TYPE_INT16 ||
               elem.type == HEARTH_GGUF_TYPE_INT32 || elem.type == HEARTH_GGUF_TYPE_INT64)
        elem.v.i64 = hearth_gguf_array_get_int (v, i);
      else
        elem.v.u64 = (guint64) hearth_gguf_array_get_int (v, i);
      append_scalar_text (out, &elem);
    }
  if (shown < n)
    g_string_append_printf (out, ", ... %" G_GUINT64_FORMAT " more", n - shown);
  g_string_append_c (out, ']');
}

static void
append_value_text (GString               *out,
                   const HearthGgufValue *v)
{
  if (v->type == HEARTH_GGUF_TYPE_ARRAY)
    append_array_text (out, v);
  else
    append_scalar_text (out, v);
}

static JsonNode *value_to_json (const HearthGgufValue *v, gboolean elide);

static JsonNode *
array_element_to_json (const HearthGgufValue *v,
                       guint64                i)
{
  HearthGgufType t = v->v.arr.elem_type;

  if (v->v.arr.items != NULL)
    return value_to_json (&v->v.arr.items[i], TRUE);
  if (t == HEARTH_GGUF_TYPE_FLOAT32 || t == HEARTH_GGUF_TYPE_FLOAT64)
    return json_node_init_double (json_node_alloc (), hearth_gguf_array_get_float (v, i));
  if (t == HEARTH_GGUF_TYPE_BOOL)
    return json_node_init_boolean (json_node_alloc (), hearth_gguf_array_get_int (v, i) != 0);
  return json_node_init_int (json_node_alloc (), hearth_gguf_array_get_int (v, i));
}

static JsonNode *
value_to_json (const HearthGgufValue *v,
               gboolean               elide)
{
  switch (v->type)
    {
    case HEARTH_GGUF_TYPE_UINT8:
    case HEARTH_GGUF_TYPE_UINT16:
    case HEARTH_GGUF_TYPE_UINT32:
    case HEARTH_GGUF_TYPE_UINT64:
      if (v->v.u64 > (guint64) G_MAXINT64)
        return json_node_init_double (json_node_alloc (), (double) v->v.u64);
      return json_node_init_int (json_node_alloc (), (gint64) v->v.u64);
    case HEARTH_GGUF_TYPE_INT8:
    case HEARTH_GGUF_TYPE_INT16:
    case HEARTH_GGUF_TYPE_INT32:
    case HEARTH_GGUF_TYPE_INT64:
      return json_node_init_int (json_node_alloc (), v->v.i64);
    case HEARTH_GGUF_TYPE_FLOAT32:
    case HEARTH_GGUF_TYPE_FLOAT64:
      return json_node_init_double (json_node_alloc (), v->v.f64);
    case HEARTH_GGUF_TYPE_BOOL:
      return json_node_init_boolean (json_node_alloc (), v->v.b);
    case HEARTH_GGUF_TYPE_STRING:
      {
        g_autofree char *valid = dup_valid_string (v->v.str.data, v->v.str.len);
        return json_node_init_string (json_node_alloc (), valid);
      }
    case HEARTH_GGUF_TYPE_ARRAY:
      {
        guint64 n = v->v.arr.n;
        gboolean elided = elide && n > ARRAY_ELIDE_AFTER;
        guint64 shown = elided ? ARRAY_HEAD : n;
        JsonArray *items = json_array_sized_new ((guint) shown);
        JsonObject *obj;

        for (guint64 i = 0; i < shown; i++)
          json_array_add_element (items, array_element_to_json (v, i));
        if (!elided)
          return json_node_init_array (json_node_alloc (), items);

        obj = json_object_new ();
        json_object_set_string_member (obj, "array_of", hearth_gguf_type_name (v->v.arr.elem_type));
        json_object_set_int_member (obj, "length", (gint64) n);
        json_object_set_array_member (obj, "first", items);
        return json_node_init_object (json_node_alloc (), obj);
      }
    default:
      g_assert_not_reached ();
    }
}

static void
print_json (HearthGguf    *gguf,
            const Summary *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, hearth_gguf_get_path (gguf));
  json_builder_set_member_name (b, "gguf_version");
  json_builder_add_int_value (b, hearth_gguf_get_version (gguf));
  json_builder_set_member_name (b, "file_size");
  json_builder_add_int_value (b, (gint64) hearth_gguf_get_file_size (gguf));
  json_builder_set_member_name (b, "alignment");
  json_builder_add_int_value (b, hearth_gguf_get_alignment (gguf));
  json_builder_set_member_name (b, "data_offset");
  json_builder_add_int_value (b, (gint64) hearth_gguf_get_data_offset (gguf));

#define ADD_OPT_STRING(key, value) \
  G_STMT_START { \
    json_builder_set_member_name (b, key); \
    if (value) json_builder_add_string_value (b, value); else json_builder_add_null_value (b); \
  } G_STMT_END
  ADD_OPT_STRING ("architecture", s->architecture);
  ADD_OPT_STRING ("name", s->name);
  ADD_OPT_STRING ("file_type", s->file_type);
  ADD_OPT_STRING ("tokenizer", s->tokenizer);
#undef ADD_OPT_STRING
  json_builder_set_member_name (b, "context_length");
  if (s->context_length)
    json_builder_add_int_value (b, (gint64) s->context_length);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "has_chat_template");
  json_builder_add_boolean_value (b, s->has_chat_template);
  json_builder_set_member_name (b, "n_params");
  json_builder_add_int_value (b, (gint64) s->n_params);
  json_builder_set_member_name (b, "tensor_bytes");
  json_builder_add_int_value (b, (gint64) s->tensor_bytes);

  json_builder_set_member_name (b, "tensors");
  json_builder_begin_array (b);
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (gguf, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, t->name);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, hearth_ggml_type_name (t->type));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < t->n_dims; d++)
        json_builder_add_int_value (b, (gint64) t->ne[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "offset");
      json_builder_add_int_value (b, (gint64) t->offset);
      json_builder_set_member_name (b, "bytes");
      json_builder_add_int_value (b, (gint64) t->n_bytes);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "metadata");
  json_builder_begin_object (b);
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (gguf); i++)
    {
      g_autofree char *key = g_utf8_make_valid (hearth_gguf_get_key (gguf, i), -1);

      json_builder_set_member_name (b, key);
      json_builder_add_value (b, value_to_json (hearth_gguf_get_value_at (gguf, i), TRUE));
    }
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_text (HearthGguf    *gguf,
            const Summary *s)
{
  g_autofree char *size = g_format_size_full (hearth_gguf_get_file_size (gguf), G_FORMAT_SIZE_IEC_UNITS);

  printf ("File:            %s (%s, GGUF v%u)\n", hearth_gguf_get_path (gguf), size,
          hearth_gguf_get_version (gguf));
  printf ("Architecture:    %s\n", s->architecture ? s->architecture : "(none)");
  if (s->name)
    printf ("Name:            %s\n", s->name);
  printf ("Parameters:      %" G_GUINT64_FORMAT "\n", s->n_params);
  printf ("File type:       %s\n", s->file_type ? s->file_type : "(not stated)");
  if (s->context_length)
    printf ("Context length:  %" G_GUINT64_FORMAT "\n", s->context_length);
  else
    printf ("Context length:  (not stated)\n");
  printf ("Tokenizer:       %s\n", s->tokenizer ? s->tokenizer : "(none)");
  printf ("Chat template:   %s\n", s->has_chat_template ? "yes" : "no");

  printf ("\nTensors (%" G_GUINT64_FORMAT "):\n", hearth_gguf_get_n_tensors (gguf));
  if (hearth_gguf_get_n_tensors (gguf) > 0)
    printf ("  %-40s %-8s %-22s %12s\n", "name", "type", "shape", "bytes");
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (gguf, i);
      g_autofree char *shape = format_shape (t);

      printf ("  %-40s %-8s %-22s %12" G_GUINT64_FORMAT "\n",
              t->name, hearth_ggml_type_name (t->type), shape, t->n_bytes);
    }

  printf ("\nMetadata (%" G_GUINT64_FORMAT "):\n", hearth_gguf_get_n_kv (gguf));
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (gguf); i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);
      g_autofree char *key = g_utf8_make_valid (hearth_gguf_get_key (gguf, i), -1);

      append_value_text (line, hearth_gguf_get_value_at (gguf, i));
      printf ("  %s = %s\n", key, line->str);
    }
}

int
hearth_cli_inspect (int    argc,
                    char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print as JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE.gguf - show what a GGUF file holds");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) gguf = NULL;
  Summary s = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return hearth_cli_failf ("inspect takes one GGUF file (see --help)");

  gguf = hearth_gguf_open (argv[1], &error);
  if (gguf == NULL)
    return hearth_cli_fail (error);

  summarize (gguf, &s);
  if (json)
    print_json (gguf, &s);
  else
    print_text (gguf, &s);
  summary_clear (&s);
  return 0;
}
