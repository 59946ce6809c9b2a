/* hearth-catalog.c: the curated model catalog, read and checked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read once into plain structs (immutable afterwards, so shared freely
 * between threads by reference). Every check that fails names the entry.
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-catalog.h"
#include "hearth-engine.h"
#include "hearth-models-resources.h"
#include "hearth-models-error.h"
#include "hearth-json-member.h"

G_DEFINE_QUARK (hearth-models-error-quark, hearth_models_error)

struct _HearthCatalog
{
  gatomicrefcount ref_count;
  GPtrArray      *entries;  /* HearthCatalogEntry */
};

static void
entry_free (HearthCatalogEntry *e)
{
  g_free (e->id);
  g_free (e->name);
  g_free (e->publisher);
  g_free (e->licence);
  g_free (e->kind);
  g_free (e->architecture);
  g_free (e->quantisation);
  g_strfreev (e->tensor_types);
  g_free (e->file_name);
  g_free (e->url);
  g_free (e->sha256);
  g_free (e->description);
  g_free (e->source);
  g_free (e);
}

gboolean
hearth_catalog_url_allowed (const char *url,
                            GError    **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme, *host;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL, "'%s' is not a web address", url);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;
  /* Tests serve files from this machine; nothing else goes out in the clear. */
  if (g_ascii_strcasecmp (scheme, "http") == 0 &&
      (strcmp (host, "127.0.0.1") == 0 || strcmp (host, "localhost") == 0 || strcmp (host, "::1") == 0))
    return TRUE;
  g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL,
               "'%s' is not an https address; Hearth downloads models only over https", url);
  return FALSE;
}

static gboolean
is_sha256 (const char *s)
{
  if (strlen (s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      return FALSE;
  return TRUE;
}

static gboolean
get_string (JsonObject *o,
            const char *member,
            gboolean    required,
            char      **out,
            const char *where,
            GError    **error)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL && !required)
    return TRUE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING ||
      *json_node_get_string (n) == '\0')
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: '%s' must be a non-empty string", where, member);
      return FALSE;
    }
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_uint (JsonObject *o,
          const char *member,
          gboolean    required,
          guint64     max,
          guint64    *out,
          const char *where,
          GError    **error)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL && !required)
    return TRUE;
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) <= 0 || (guint64) json_node_get_int (n) > max)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: '%s' must be a positive integer", where, member);
      return FALSE;
    }
  *out = (guint64) json_node_get_int (n);
  return TRUE;
}

static HearthCatalogEntry *
parse_entry (JsonNode *node,
             guint     index,
             GError  **error)
{
  g_autofree char *where = g_strdup_printf ("model %u", index);
  HearthCatalogEntry *e;
  JsonObject *o;
  JsonNode *types;
  guint64 n_layer = 0, n_head_kv = 0, head_dim = 0;
  GStrvBuilder *tb;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG, "catalog: %s is not an object", where);
      return NULL;
    }
  o = json_node_get_object (node);
  e = g_new0 (HearthCatalogEntry, 1);
  if (!get_string (o, "id", TRUE, &e->id, where, error))
    goto fail;
  g_free (where);
  where = g_strdup_printf ("model '%s'", e->id);
  if (!get_string (o, "name", TRUE, &e->name, where, error) ||
      !get_string (o, "publisher", TRUE, &e->publisher, where, error) ||
      !get_string (o, "licence", TRUE, &e->licence, where, error) ||
      !get_string (o, "kind", TRUE, &e->kind, where, error) ||
      !get_uint (o, "parameters", TRUE, G_MAXINT64, &e->parameters, where, error) ||
      !get_string (o, "architecture", TRUE, &e->architecture, where, error) ||
      !get_string (o, "quantisation", TRUE, &e->quantisation, where, error) ||
      !get_uint (o, "n_layer", TRUE, 4096, &n_layer, where, error) ||
      !get_uint (o, "n_head_kv", TRUE, 4096, &n_head_kv, where, error) ||
      !get_uint (o, "head_dim", TRUE, 65536, &head_dim, where, error) ||
      !get_uint (o, "context_length", TRUE, G_MAXUINT32, &e->context_length, where, error) ||
      !get_string (o, "file_name", TRUE, &e->file_name, where, error) ||
      !get_string (o, "url", TRUE, &e->url, where, error) ||
      !get_uint (o, "size", FALSE, G_MAXINT64, &e->size, where, error) ||
      !get_string (o, "sha256", FALSE, &e->sha256, where, error) ||
      !get_string (o, "description", TRUE, &e->description, where, error) ||
      !get_string (o, "source", TRUE, &e->source, where, error))
    goto fail;
  e->n_layer = (guint32) n_layer;
  e->n_head_kv = (guint32) n_head_kv;
  e->head_dim = (guint32) head_dim;

  if (strcmp (e->kind, "chat") != 0 && strcmp (e->kind, "embedding") != 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: kind '%s' is neither chat nor embedding", where, e->kind);
      goto fail;
    }
  if (strchr (e->file_name, '/') != NULL || e->file_name[0] == '.' || !g_str_has_suffix (e->file_name, ".gguf"))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: file name '%s' must be a plain *.gguf name", where, e->file_name);
      goto fail;
    }
  if (e->sha256 != NULL && !is_sha256 (e->sha256))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: sha256 must be 64 lower-case hex digits", where);
      goto fail;
    }
  if (!hearth_catalog_url_allowed (e->url, error) || !hearth_catalog_url_allowed (e->source, error))
    {
      g_prefix_error (error, "catalog: %s: ", where);
      goto fail;
    }
  if (!hearth_architecture_supported (e->architecture))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_UNSUPPORTED,
                   "catalog: %s: the engine does not run architecture '%s'", where, e->architecture);
      goto fail;
    }

  types = json_object_get_member (o, "tensor_types");
  if (types == NULL || !JSON_NODE_HOLDS_ARRAY (types) || json_array_get_length (json_node_get_array (types)) == 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: %s: 'tensor_types' must be a non-empty array", where);
      goto fail;
    }
  tb = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (json_node_get_array (types)); i++)
    {
      const char *name = json_array_get_string_element (json_node_get_array (types), i);
      HearthGgmlType type;

      if (name == NULL || !hearth_ggml_type_from_name (name, &type) || !hearth_tensor_type_supported (type))
        {
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_UNSUPPORTED,
                       "catalog: %s: the engine does not compute tensor type '%s'", where, name ? name : "?");
          g_strv_builder_unref (tb);
          goto fail;
        }
      g_strv_builder_add (tb, name);
    }
  e->tensor_types = g_strv_builder_end (tb);
  g_strv_builder_unref (tb);
  return e;

fail:
  entry_free (e);
  return NULL;
}

HearthCatalog *
hearth_catalog_load_bytes (GBytes  *json,
                           GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local_error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (json, &len);
  JsonObject *root;
  JsonNode *models;
  HearthCatalog *self;

  if (!hearth_json_load (parser, text, (gssize) len, &local_error))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG, "catalog: %s", local_error->message);
      return NULL;
    }
  if ((root = hearth_json_root_object (parser)) == NULL)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG, "catalog: not a JSON object");
      return NULL;
    }
  if (json_object_get_int_member_with_default (root, "version", 0) != HEARTH_CATALOG_VERSION)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                   "catalog: version %" G_GINT64_FORMAT " is not the one this Hearth reads (%d)",
                   json_object_get_int_member_with_default (root, "version", 0), HEARTH_CATALOG_VERSION);
      return NULL;
    }
  models = json_object_get_member (root, "models");
  if (models == NULL || !JSON_NODE_HOLDS_ARRAY (models))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG, "catalog: 'models' must be an array");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (models)); i++)
    {
      HearthCatalogEntry *e = parse_entry (json_array_get_element (json_node_get_array (models), i), i, error);

      if (e == NULL)
        return NULL;
      g_ptr_array_add (entries, e);
      if (!g_hash_table_add (ids, e->id))
        {
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_CATALOG,
                       "catalog: id '%s' is used twice", e->id);
          return NULL;
        }
    }

  self = g_new0 (HearthCatalog, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->entries = g_steal_pointer (&entries);
  return self;
}

HearthCatalog *
hearth_catalog_load_file (const char *path,
                          GError    **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  return hearth_catalog_load_bytes (bytes, error);
}

HearthCatalog *
hearth_catalog_load_default (GError **error)
{
  const char *override = g_getenv ("HEARTH_CATALOG");
  g_autoptr(GBytes) bytes = NULL;

  if (override != NULL && *override != '\0')
    return hearth_catalog_load_file (override, error);
  bytes = g_resource_lookup_data (hearth_models_get_resource (), HEARTH_CATALOG_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  return hearth_catalog_load_bytes (bytes, error);
}

GBytes *
hearth_catalog_dup_schema (void)
{
  return g_resource_lookup_data (hearth_models_get_resource (), HEARTH_CATALOG_SCHEMA_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
}

HearthCatalog *
hearth_catalog_ref (HearthCatalog *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_catalog_unref (HearthCatalog *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref_count))
    {
      g_ptr_array_unref (self->entries);
      g_free (self);
    }
}

guint
hearth_catalog_get_n_entries (HearthCatalog *self)
{
  return self->entries->len;
}

const HearthCatalogEntry *
hearth_catalog_get_entry (HearthCatalog *self,
                          guint          index)
{
  g_return_val_if_fail (index < self->entries->len, NULL);
  return g_ptr_array_index (self->entries, index);
}

const HearthCatalogEntry *
hearth_catalog_lookup (HearthCatalog *self,
                       const char    *id)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      const HearthCatalogEntry *e = g_ptr_array_index (self->entries, i);

      if (strcmp (e->id, id) == 0)
        return e;
    }
  return NULL;
}
