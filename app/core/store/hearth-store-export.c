/* hearth-store-export.c: a conversation to Markdown and JSON, and JSON back
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-json-member.h"
#include "hearth-store-private.h"

/* The JSON form keeps every branch: messages carry file-local ids and their
 * parent's id, so an import rebuilds the same tree under new ids.  Times are
 * microseconds since the Unix epoch, as in the database. */
#define EXPORT_FORMAT "hearth-conversation"
#define EXPORT_VERSION 1

static const char *
role_heading (HearthMessageRole role)
{
  switch (role)
    {
    case HEARTH_MESSAGE_ROLE_SYSTEM:
      return "System";
    case HEARTH_MESSAGE_ROLE_USER:
      return "User";
    case HEARTH_MESSAGE_ROLE_ASSISTANT:
      return "Assistant";
    case HEARTH_MESSAGE_ROLE_TOOL:
    default:
      return "Tool";
    }
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format_iso8601 (dt) : g_strdup ("?");
}

char *
hearth_store_export_markdown (HearthStore *self,
                              gint64       conversation_id,
                              GError     **error)
{
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(GString) md = g_string_new (NULL);
  g_autofree char *created = NULL;
  const char *title;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  conv = hearth_store_get_conversation (self, conversation_id, error);
  if (conv == NULL)
    return NULL;
  thread = hearth_store_get_thread (self, conversation_id, 0, error);
  if (thread == NULL)
    return NULL;

  title = hearth_conversation_get_title (conv);
  created = format_time (hearth_conversation_get_created (conv));
  g_string_append_printf (md, "# %s\n\n", *title != '\0' ? title : "Untitled conversation");
  g_string_append_printf (md, "- Created: %s\n", created);
  if (hearth_conversation_get_model (conv) != NULL)
    g_string_append_printf (md, "- Model: %s\n", hearth_conversation_get_model (conv));
  g_string_append_c (md, '\n');
  if (hearth_conversation_get_system_prompt (conv) != NULL)
    g_string_append_printf (md, "## System prompt\n\n%s\n\n", hearth_conversation_get_system_prompt (conv));

  /* The branch on show is the conversation as the user last saw it. */
  for (guint i = 0; i < thread->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (thread, i);

      g_string_append_printf (md, "## %s\n\n%s\n\n", role_heading (hearth_message_get_role (m)),
                              hearth_message_get_content (m));
    }
  return g_string_free (g_steal_pointer (&md), FALSE);
}

static void
add_string_or_null (JsonBuilder *b,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

char *
hearth_store_export_json (HearthStore *self,
                          gint64       conversation_id,
                          GError     **error)
{
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  conv = hearth_store_get_conversation (self, conversation_id, error);
  if (conv == NULL)
    return NULL;
  messages = hearth_store_get_all_messages (self, conversation_id, error);
  if (messages == NULL)
    return NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, EXPORT_FORMAT);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, EXPORT_VERSION);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, hearth_conversation_get_title (conv));
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, hearth_conversation_get_created (conv));
  json_builder_set_member_name (b, "updated");
  json_builder_add_int_value (b, hearth_conversation_get_updated (conv));
  add_string_or_null (b, "model", hearth_conversation_get_model (conv));
  add_string_or_null (b, "system_prompt", hearth_conversation_get_system_prompt (conv));
  json_builder_set_member_name (b, "pinned");
  json_builder_add_boolean_value (b, hearth_conversation_get_pinned (conv));
  json_builder_set_member_name (b, "archived");
  json_builder_add_boolean_value (b, hearth_conversation_get_archived (conv));
  json_builder_set_member_name (b, "current_leaf");
  json_builder_add_int_value (b, hearth_conversation_get_current_leaf_id (conv));

  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < messages->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (messages, i);
      const char *settings = hearth_message_get_settings_json (m);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, hearth_message_get_id (m));
      json_builder_set_member_name (b, "parent");
      if (hearth_message_get_parent_id (m) > 0)
        json_builder_add_int_value (b, hearth_message_get_parent_id (m));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, hearth_message_role_to_string (hearth_message_get_role (m)));
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, hearth_message_get_content (m));
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, hearth_message_get_created (m));
      if (hearth_message_get_prompt_tokens (m) >= 0)
        {
          json_builder_set_member_name (b, "prompt_tokens");
          json_builder_add_int_value (b, hearth_message_get_prompt_tokens (m));
        }
      if (hearth_message_get_completion_tokens (m) >= 0)
        {
          json_builder_set_member_name (b, "completion_tokens");
          json_builder_add_int_value (b, hearth_message_get_completion_tokens (m));
        }
      if (settings != NULL)
        {
          /* Settings are kept as the text the app wrote; embed it as JSON
           * when it is, as a string when it is not. */
          g_autoptr(JsonNode) node = json_from_string (settings, NULL);

          json_builder_set_member_name (b, "settings");
          if (node != NULL)
            json_builder_add_value (b, g_steal_pointer (&node));
          else
            json_builder_add_string_value (b, settings);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static gboolean
bad_import (GError    **error,
            const char *what)
{
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_BAD_FORMAT,
               "Not a Hearth conversation export: %s", what);
  return FALSE;
}

/* Reads an optional member of @type, NULL when absent or null; FALSE when
 * present with another type. */
static gboolean
get_member (JsonObject *obj,
            const char *name,
            GType       type,
            JsonNode  **out)
{
  JsonNode *node = json_object_get_member (obj, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return FALSE;
  *out = node;
  return TRUE;
}

static gboolean
get_string (JsonObject  *obj,
            const char  *name,
            const char **value)
{
  JsonNode *node;

  if (!get_member (obj, name, G_TYPE_STRING, &node))
    return FALSE;
  *value = node != NULL ? json_node_get_string (node) : NULL;
  return TRUE;
}

static gboolean
get_int (JsonObject *obj,
         const char *name,
         gint64     *value,
         gint64      fallback)
{
  JsonNode *node;

  if (!get_member (obj, name, G_TYPE_INT64, &node))
    return FALSE;
  *value = node != NULL ? json_node_get_int (node) : fallback;
  return TRUE;
}

static gboolean
get_bool (JsonObject *obj,
          const char *name,
          gboolean   *value)
{
  JsonNode *node;

  if (!get_member (obj, name, G_TYPE_BOOLEAN, &node))
    return FALSE;
  *value = node != NULL && json_node_get_boolean (node);
  return TRUE;
}

static gboolean
set_imported_leaf (HearthStore *self,
                   gint64       conversation_id,
                   gint64       leaf_id,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = _hearth_store_prepare (self, "UPDATE conversations SET current_leaf = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, leaf_id);
  sqlite3_bind_int64 (stmt, 2, conversation_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "import");
      return FALSE;
    }
  return TRUE;
}

HearthConversation *
hearth_store_import_json (HearthStore *self,
                          const char  *json,
                          gssize       length,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) id_map = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonArray *messages;
  const char *format = NULL, *title = NULL, *model = NULL, *system_prompt = NULL;
  gint64 version = 0, created = 0, updated = 0, current_leaf = 0, conversation_id, new_leaf = 0;
  gboolean pinned = FALSE, archived = FALSE;
  JsonNode *node;
  int rc;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  g_return_val_if_fail (json != NULL, NULL);

  if (!hearth_json_load (parser, json, length, &local_error))
    {
      bad_import (error, local_error->message);
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_import (error, "the top level is not an object");
      return NULL;
    }
  root = json_node_get_object (node);
  if (!get_string (root, "format", &format) || g_strcmp0 (format, EXPORT_FORMAT) != 0)
    {
      bad_import (error, "no \"format\": \"" EXPORT_FORMAT "\"");
      return NULL;
    }
  if (!get_int (root, "version", &version, 0) || version < 1)
    {
      bad_import (error, "no version");
      return NULL;
    }
  if (version > EXPORT_VERSION)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_TOO_NEW,
                   "The export has version %" G_GINT64_FORMAT "; this Hearth reads up to %d",
                   version, EXPORT_VERSION);
      return NULL;
    }
  if (!get_string (root, "title", &title) || !get_string (root, "model", &model) ||
      !get_string (root, "system_prompt", &system_prompt) ||
      !get_int (root, "created", &created, 0) || !get_int (root, "updated", &updated, 0) ||
      !get_int (root, "current_leaf", &current_leaf, 0) ||
      !get_bool (root, "pinned", &pinned) || !get_bool (root, "archived", &archived))
    {
      bad_import (error, "a conversation field has the wrong type");
      return NULL;
    }
  node = json_object_get_member (root, "messages");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      bad_import (error, "no \"messages\" array");
      return NULL;
    }
  messages = json_node_get_array (node);
  if (created <= 0)
    created = g_get_real_time ();
  if (updated < created)
    updated = created;

  /* All or nothing: a bad message halfway leaves no half conversation. */
  if (!_hearth_store_begin (self, error))
    return NULL;
  stmt = _hearth_store_prepare (self,
                                "INSERT INTO conversations (title, created, updated, model, system_prompt,"
                                " pinned, archived) VALUES (?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, title != NULL ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, created);
  sqlite3_bind_int64 (stmt, 3, updated);
  if (model != NULL)
    sqlite3_bind_text (stmt, 4, model, -1, SQLITE_TRANSIENT);
  if (system_prompt != NULL)
    sqlite3_bind_text (stmt, 5, system_prompt, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 6, pinned);
  sqlite3_bind_int (stmt, 7, archived);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _hearth_store_set_sql_error (self, error, rc, "import");
      goto fail;
    }
  conversation_id = sqlite3_last_insert_rowid (_hearth_store_get_db (self));

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *mnode = json_array_get_element (messages, i);
      JsonObject *m;
      const char *role_name = NULL, *content = NULL;
      gint64 id = 0, parent = 0, mcreated = 0, new_id, new_parent = 0;
      HearthMessageRole role;
      HearthMessageExtra extra;
      g_autofree char *settings = NULL;
      JsonNode *settings_node;

      if (!JSON_NODE_HOLDS_OBJECT (mnode))
        {
          bad_import (error, "a message is not an object");
          goto fail;
        }
      m = json_node_get_object (mnode);
      hearth_message_extra_init (&extra);
      if (!get_int (m, "id", &id, 0) || !get_int (m, "parent", &parent, 0) ||
          !get_string (m, "role", &role_name) || !get_string (m, "content", &content) ||
          !get_int (m, "created", &mcreated, 0) ||
          !get_int (m, "prompt_tokens", &extra.prompt_tokens, -1) ||
          !get_int (m, "completion_tokens", &extra.completion_tokens, -1))
        {
          bad_import (error, "a message field has the wrong type");
          goto fail;
        }
      if (id <= 0 || content == NULL || !hearth_message_role_from_string (role_name, &role))
        {
          bad_import (error, "a message lacks an id, a known role or content");
          goto fail;
        }
      if (g_hash_table_contains (id_map, &id))
        {
          bad_import (error, "two messages share an id");
          goto fail;
        }
      if (parent > 0)
        {
          gint64 *mapped = g_hash_table_lookup (id_map, &parent);

          /* Parents come first, as export writes them: a tree has no cycles. */
          if (mapped == NULL)
            {
              bad_import (error, "a message's parent is not an earlier message");
              goto fail;
            }
          new_parent = *mapped;
        }
      settings_node = json_object_get_member (m, "settings");
      if (settings_node != NULL && JSON_NODE_HOLDS_VALUE (settings_node) &&
          json_node_get_value_type (settings_node) == G_TYPE_STRING)
        settings = g_strdup (json_node_get_string (settings_node));
      else if (settings_node != NULL && !JSON_NODE_HOLDS_NULL (settings_node))
        settings = json_to_string (settings_node, FALSE);
      extra.settings_json = settings;

      new_id = _hearth_store_insert_message (self, conversation_id, new_parent, role, content,
                                             mcreated > 0 ? mcreated : created, &extra, error);
      if (new_id == 0)
        goto fail;
      g_hash_table_insert (id_map, g_memdup2 (&id, sizeof id), g_memdup2 (&new_id, sizeof new_id));
      if (id == current_leaf)
        new_leaf = new_id;
    }
  if (new_leaf == 0 && json_array_get_length (messages) > 0)
    {
      /* No (valid) leaf named: show the newest message's branch. */
      new_leaf = sqlite3_last_insert_rowid (_hearth_store_get_db (self));
    }
  if (!set_imported_leaf (self, conversation_id, new_leaf, error) || !_hearth_store_commit (self, error))
    goto fail;
  _hearth_store_emit (self, HEARTH_STORE_SIGNAL_CONVERSATION_ADDED, conversation_id);
  return hearth_store_get_conversation (self, conversation_id, error);

fail:
  _hearth_store_rollback (self);
  return NULL;
}
