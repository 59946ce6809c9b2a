/* hearth-model-registry.c: the models the user has added, with their header facts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Kept as one JSON array under the store's setting "models": a few dozen
 * entries at most, written whole on each change, encrypted with the rest.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "hearth-json-member.h"
#include "hearth-model-registry.h"

#define SETTING_KEY "models"

struct _HearthModelEntry
{
  GObject          parent_instance;

  HearthModelInfo *info;
  gint64           last_used;
  gboolean         available;
};

G_DEFINE_FINAL_TYPE (HearthModelEntry, hearth_model_entry, G_TYPE_OBJECT)

static void
hearth_model_entry_finalize (GObject *object)
{
  hearth_model_info_free (HEARTH_MODEL_ENTRY (object)->info);
  G_OBJECT_CLASS (hearth_model_entry_parent_class)->finalize (object);
}

static void
hearth_model_entry_class_init (HearthModelEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_model_entry_finalize;
}

static void
hearth_model_entry_init (HearthModelEntry *self)
{
}

/* Takes @info. */
static HearthModelEntry *
entry_new (HearthModelInfo *info,
           gint64           last_used)
{
  HearthModelEntry *self = g_object_new (HEARTH_TYPE_MODEL_ENTRY, NULL);

  self->info = info;
  self->last_used = last_used;
  self->available = g_file_test (info->path, G_FILE_TEST_IS_REGULAR);
  return self;
}

const char *
hearth_model_entry_get_path (HearthModelEntry *self)
{
  g_return_val_if_fail (HEARTH_IS_MODEL_ENTRY (self), NULL);
  return self->info->path;
}

const HearthModelInfo *
hearth_model_entry_get_info (HearthModelEntry *self)
{
  g_return_val_if_fail (HEARTH_IS_MODEL_ENTRY (self), NULL);
  return self->info;
}

gint64
hearth_model_entry_get_last_used (HearthModelEntry *self)
{
  g_return_val_if_fail (HEARTH_IS_MODEL_ENTRY (self), 0);
  return self->last_used;
}

gboolean
hearth_model_entry_get_available (HearthModelEntry *self)
{
  g_return_val_if_fail (HEARTH_IS_MODEL_ENTRY (self), FALSE);
  return self->available;
}

char *
hearth_model_entry_dup_summary (HearthModelEntry *self)
{
  g_return_val_if_fail (HEARTH_IS_MODEL_ENTRY (self), NULL);
  if (!self->available)
    return g_strdup (_("The file is missing"));
  return hearth_model_info_dup_summary (self->info);
}

/* ---- the registry ---- */

struct _HearthModelRegistry
{
  HearthArrayModel parent_instance;  /* of HearthModelEntry, most recently used first */

  HearthStore     *store;
};

G_DEFINE_FINAL_TYPE (HearthModelRegistry, hearth_model_registry, HEARTH_TYPE_ARRAY_MODEL)

static GPtrArray *
entries_of (HearthModelRegistry *self)
{
  return hearth_array_model_get_items (HEARTH_ARRAY_MODEL (self));
}

static void
hearth_model_registry_dispose (GObject *object)
{
  g_clear_object (&HEARTH_MODEL_REGISTRY (object)->store);
  G_OBJECT_CLASS (hearth_model_registry_parent_class)->dispose (object);
}

static void
hearth_model_registry_class_init (HearthModelRegistryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_model_registry_dispose;
  HEARTH_ARRAY_MODEL_CLASS (klass)->item_type = HEARTH_TYPE_MODEL_ENTRY;
}

static void
hearth_model_registry_init (HearthModelRegistry *self)
{
}

static const char *
string_member (JsonObject *o,
               const char *name)
{
  return json_object_get_string_member_with_default (o, name, NULL);
}

static HearthModelEntry *
entry_from_json (JsonNode *node)
{
  JsonObject *o;
  HearthModelInfo *info;
  const char *path;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  o = json_node_get_object (node);
  path = string_member (o, "path");
  if (path == NULL)
    return NULL;
  info = g_new0 (HearthModelInfo, 1);
  info->path = g_strdup (path);
  info->name = g_strdup (string_member (o, "name"));
  info->architecture = g_strdup (string_member (o, "architecture"));
  info->quantisation = g_strdup (string_member (o, "quantisation"));
  info->file_size = (guint64) json_object_get_int_member_with_default (o, "file_size", 0);
  info->context_length = (guint64) json_object_get_int_member_with_default (o, "context_length", 0);
  info->n_params = (guint64) json_object_get_int_member_with_default (o, "n_params", 0);
  info->has_chat_template = json_object_get_boolean_member_with_default (o, "has_chat_template", FALSE);
  return entry_new (info, json_object_get_int_member_with_default (o, "last_used", 0));
}

static gboolean
save (HearthModelRegistry *self,
      GError             **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < entries_of (self)->len; i++)
    {
      HearthModelEntry *e = g_ptr_array_index (entries_of (self), i);
      const HearthModelInfo *info = e->info;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, info->path);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, info->name);
      json_builder_set_member_name (b, "architecture");
      json_builder_add_string_value (b, info->architecture);
      json_builder_set_member_name (b, "quantisation");
      json_builder_add_string_value (b, info->quantisation);
      json_builder_set_member_name (b, "file_size");
      json_builder_add_int_value (b, (gint64) info->file_size);
      json_builder_set_member_name (b, "context_length");
      json_builder_add_int_value (b, (gint64) info->context_length);
      json_builder_set_member_name (b, "n_params");
      json_builder_add_int_value (b, (gint64) info->n_params);
      json_builder_set_member_name (b, "has_chat_template");
      json_builder_add_boolean_value (b, info->has_chat_template);
      json_builder_set_member_name (b, "last_used");
      json_builder_add_int_value (b, e->last_used);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  return hearth_store_set_setting (self->store, SETTING_KEY, json, error);
}

HearthModelRegistry *
hearth_model_registry_new (HearthStore *store,
                           GError     **error)
{
  g_autoptr(HearthModelRegistry) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *json = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  json = hearth_store_get_setting (store, SETTING_KEY, &local_error);
  if (g_error_matches (local_error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    g_clear_error (&local_error);  /* no model added yet */
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self = g_object_new (HEARTH_TYPE_MODEL_REGISTRY, NULL);
  self->store = g_object_ref (store);
  if (json != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      /* A damaged value loses the list, not the store: the user adds the
       * models again. */
      if (!hearth_json_load (parser, json, -1, &local_error) ||
          (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_ARRAY (root))
        g_warning ("The list of models could not be read; it starts empty");
      else
        {
          JsonArray *array = json_node_get_array (root);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              g_autoptr(HearthModelEntry) e = entry_from_json (json_array_get_element (array, i));

              if (e != NULL)
                g_ptr_array_add (entries_of (self), g_steal_pointer (&e));
            }
        }
    }
  return g_steal_pointer (&self);
}

static int
find (HearthModelRegistry *self,
      const char          *path)
{
  GPtrArray *entries = entries_of (self);

  for (guint i = 0; i < entries->len; i++)
    if (g_strcmp0 (hearth_model_entry_get_path (g_ptr_array_index (entries, i)), path) == 0)
      return (int) i;
  return -1;
}

HearthModelEntry *
hearth_model_registry_lookup (HearthModelRegistry *self,
                              const char          *path)
{
  int i;

  g_return_val_if_fail (HEARTH_IS_MODEL_REGISTRY (self), NULL);
  i = find (self, path);
  return i < 0 ? NULL : g_ptr_array_index (entries_of (self), i);
}

/* Puts @entry (taken) at @to, taking it from @from (-1: new), in one
 * items-changed spanning both places. */
static void
move_entry (HearthModelRegistry *self,
            HearthModelEntry    *entry,
            int                  from,
            guint                to)
{
  GPtrArray *entries = entries_of (self);
  g_autoptr(HearthModelEntry) taken = entry;
  g_autoptr(GPtrArray) span = g_ptr_array_new ();
  guint lo, hi;

  if (from < 0)
    {
      hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), to, 0, (gpointer *) &taken, 1);
      return;
    }
  lo = MIN ((guint) from, to);
  hi = MAX ((guint) from, to);
  for (guint i = lo; i <= hi; i++)
    if (i != (guint) from)
      g_ptr_array_add (span, g_ptr_array_index (entries, i));
  g_ptr_array_insert (span, (int) (to - lo), taken);
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), lo, hi - lo + 1, span->pdata, span->len);
}

HearthModelEntry *
hearth_model_registry_add (HearthModelRegistry *self,
                           const char          *path,
                           GError             **error)
{
  HearthModelInfo *info;
  HearthModelEntry *entry;
  int old;

  g_return_val_if_fail (HEARTH_IS_MODEL_REGISTRY (self), NULL);

  info = hearth_model_info_read (path, error);
  if (info == NULL)
    return NULL;
  old = find (self, path);
  entry = entry_new (info, old >= 0 ? hearth_model_entry_get_last_used (g_ptr_array_index (entries_of (self), old)) : 0);
  /* A new model goes first: it is the one the user is about to use. */
  move_entry (self, entry, old, old >= 0 ? (guint) old : 0);
  if (!save (self, error))
    return NULL;
  return entry;
}

gboolean
hearth_model_registry_mark_used (HearthModelRegistry *self,
                                 const char          *path,
                                 GError             **error)
{
  int old;
  HearthModelEntry *entry;

  g_return_val_if_fail (HEARTH_IS_MODEL_REGISTRY (self), FALSE);

  old = find (self, path);
  if (old < 0)
    {
      /* New: its header is read here, and it goes in once, at the top. */
      HearthModelInfo *info = hearth_model_info_read (path, error);

      if (info == NULL)
        return FALSE;
      entry = entry_new (info, g_get_real_time ());
    }
  else
    {
      entry = g_object_ref (g_ptr_array_index (entries_of (self), old));
      entry->last_used = g_get_real_time ();
      entry->available = TRUE;
    }
  move_entry (self, entry, old, 0);
  return save (self, error);
}

gboolean
hearth_model_registry_remove (HearthModelRegistry *self,
                              const char          *path,
                              GError             **error)
{
  int i;

  g_return_val_if_fail (HEARTH_IS_MODEL_REGISTRY (self), FALSE);

  i = find (self, path);
  if (i < 0)
    return TRUE;
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), (guint) i, 1, NULL, 0);
  return save (self, error);
}
