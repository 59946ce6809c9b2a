/* hearth-model-registry.h: the models the user has added, with their header facts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GListModel of HearthModelEntry, most recently used first, kept in the
 * encrypted store (so the app and hearth-cli share it). Adding a model
 * reads its GGUF header once; the facts are kept with the entry. An entry
 * whose file has gone stays (the user may have unplugged a disk) and says
 * so. Owner thread only (the store's).
 */
#pragma once

#include <gio/gio.h>

#include "hearth-array-model.h"
#include "hearth-model-info.h"
#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MODEL_ENTRY (hearth_model_entry_get_type ())
G_DECLARE_FINAL_TYPE (HearthModelEntry, hearth_model_entry, HEARTH, MODEL_ENTRY, GObject)

const char            *hearth_model_entry_get_path      (HearthModelEntry *self);
const HearthModelInfo *hearth_model_entry_get_info      (HearthModelEntry *self);
/* Microseconds since the epoch; 0: never loaded. */
gint64                 hearth_model_entry_get_last_used (HearthModelEntry *self);
/* Whether the file is there (checked when the registry was read). */
gboolean               hearth_model_entry_get_available (HearthModelEntry *self);
/* "llama · 1.1 MB · F32 · 128 tokens of context", or why it is missing. */
char                  *hearth_model_entry_dup_summary   (HearthModelEntry *self);

#define HEARTH_TYPE_MODEL_REGISTRY (hearth_model_registry_get_type ())
G_DECLARE_FINAL_TYPE (HearthModelRegistry, hearth_model_registry, HEARTH, MODEL_REGISTRY, HearthArrayModel)

/* Reads the registry from @store. */
HearthModelRegistry *hearth_model_registry_new (HearthStore *store,
                                                GError     **error);

/* Adds @path (its header is read; a file that is not a GGUF model is an
 * error and nothing is added), or refreshes its facts if known. Returns
 * the entry, owned by the registry. */
HearthModelEntry *hearth_model_registry_add       (HearthModelRegistry *self,
                                                   const char          *path,
                                                   GError             **error);
/* Marks @path used now (adding it if new): it moves to the top. */
gboolean          hearth_model_registry_mark_used (HearthModelRegistry *self,
                                                   const char          *path,
                                                   GError             **error);
gboolean          hearth_model_registry_remove    (HearthModelRegistry *self,
                                                   const char          *path,
                                                   GError             **error);
/* Owned by the registry; NULL when unknown. */
HearthModelEntry *hearth_model_registry_lookup    (HearthModelRegistry *self,
                                                   const char          *path);

G_END_DECLS
