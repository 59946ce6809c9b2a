/* hearth-reply-sources.c: the passages a reply is given, in the prompt and in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Contract, threading and ownership: see the header (pure functions, any
 * thread, results the caller's).  The passages' text goes into the prompt
 * and the encrypted store only; nothing here logs.
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>

#include "hearth-reply-sources.h"
#include "hearth-json-member.h"

#define INSTRUCTION \
  "Answer the user's last message from the sources above. Cite each source you use by its " \
  "number in brackets, like [1]. If the sources do not contain the answer, say that the " \
  "attached documents do not contain it."
#define NOTHING_FOUND \
  "Sources: no relevant passage found in the attached documents.\n" \
  "Tell the user that the attached documents do not contain the answer; do not make up sources."

static void
append_span (GString       *s,
             HearthPassage *p)
{
  guint page = hearth_passage_get_page (p);
  guint first = hearth_passage_get_first_line (p);
  guint last = hearth_passage_get_last_line (p);

  if (page > 0)
    g_string_append_printf (s, "page %u", page);
  if (first > 0)
    {
      if (page > 0)
        g_string_append (s, ", ");
      if (last > first)
        g_string_append_printf (s, "lines %u-%u", first, last);
      else
        g_string_append_printf (s, "line %u", first);
    }
}

char *
hearth_reply_sources_dup_prompt_block (GPtrArray *passages)
{
  GString *s;

  g_return_val_if_fail (passages != NULL, NULL);
  if (passages->len == 0)
    return g_strdup (NOTHING_FOUND);
  s = g_string_new ("Sources:\n");
  for (guint i = 0; i < passages->len; i++)
    {
      HearthPassage *p = g_ptr_array_index (passages, i);
      g_autofree char *name = g_path_get_basename (hearth_passage_get_source (p));
      g_autofree char *text = g_strstrip (g_strdup (hearth_passage_get_text (p)));

      g_string_append_printf (s, "[%u] %s", i + 1, name);
      if (hearth_passage_get_page (p) > 0 || hearth_passage_get_first_line (p) > 0)
        {
          g_string_append (s, " (");
          append_span (s, p);
          g_string_append_c (s, ')');
        }
      g_string_append_printf (s, ": %s\n", text);
    }
  g_string_append_c (s, '\n');
  g_string_append (s, INSTRUCTION);
  return g_string_free (s, FALSE);
}

char *
hearth_reply_sources_to_json (GPtrArray *passages)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (passages != NULL, NULL);
  json_builder_begin_array (b);
  for (guint i = 0; i < passages->len; i++)
    {
      HearthPassage *p = g_ptr_array_index (passages, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, hearth_passage_get_source (p));
      json_builder_set_member_name (b, "page");
      json_builder_add_int_value (b, hearth_passage_get_page (p));
      json_builder_set_member_name (b, "line_start");
      json_builder_add_int_value (b, hearth_passage_get_first_line (p));
      json_builder_set_member_name (b, "line_end");
      json_builder_add_int_value (b, hearth_passage_get_last_line (p));
      json_builder_set_member_name (b, "score");
      json_builder_add_double_value (b, hearth_passage_get_score (p));
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, hearth_passage_get_text (p));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static guint
member_uint (JsonObject *o,
             const char *name)
{
  JsonNode *n = json_object_get_member (o, name);
  gint64 v;

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  v = json_node_get_int (n);
  return v > 0 && v <= G_MAXUINT ? (guint) v : 0;
}

GPtrArray *
hearth_reply_sources_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GPtrArray) passages = NULL;
  JsonArray *array;

  if (json == NULL)
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL) || (array = hearth_json_root_array (parser)) == NULL)
    return NULL;
  passages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_passage_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *n = json_array_get_element (array, i);
      JsonObject *o;
      const char *path, *text;
      double score;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        return NULL;
      o = json_node_get_object (n);
      path = json_object_get_string_member_with_default (o, "path", NULL);
      text = json_object_get_string_member_with_default (o, "text", "");
      score = json_object_has_member (o, "score") ? json_object_get_double_member (o, "score") : 0.0;
      if (path == NULL)
        return NULL;
      g_ptr_array_add (passages, hearth_passage_new (text, path, NULL, member_uint (o, "page"),
                                                     member_uint (o, "line_start"), member_uint (o, "line_end"),
                                                     score));
    }
  return g_steal_pointer (&passages);
}

char *
hearth_reply_source_dup_citation (HearthPassage *passage)
{
  GString *s;

  g_return_val_if_fail (passage != NULL, NULL);
  s = g_string_new (hearth_passage_get_source (passage));
  if (hearth_passage_get_page (passage) > 0)
    g_string_append_printf (s, " p.%u", hearth_passage_get_page (passage));
  if (hearth_passage_get_first_line (passage) > 0)
    g_string_append_printf (s, " lines %u-%u", hearth_passage_get_first_line (passage),
                            MAX (hearth_passage_get_last_line (passage), hearth_passage_get_first_line (passage)));
  return g_string_free (s, FALSE);
}
