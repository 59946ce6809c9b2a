/* hearth-catalog.h: the curated list of models Hearth offers to download
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The catalog is data/catalog/catalog.json (schema: catalog.schema.json),
 * compiled into the GResource; $HEARTH_CATALOG names another file instead
 * (tests point entries at a local server that way). Loading checks what the
 * schema cannot: unique ids, https URLs (plain http only to the loopback),
 * SHA-256 spelling, and that the engine runs each entry's architecture and
 * tensor types, so a model Hearth cannot run is never offered. Entries are
 * plain structs owned by the catalog; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_CATALOG_VERSION 1
#define HEARTH_CATALOG_RESOURCE "/io/github/hearth/Hearth/catalog/catalog.json"
#define HEARTH_CATALOG_SCHEMA_RESOURCE "/io/github/hearth/Hearth/catalog/catalog.schema.json"

typedef struct
{
  char    *id;
  char    *name;
  char    *publisher;
  char    *licence;
  char    *kind;             /* "chat" or "embedding" */
  guint64  parameters;
  char    *architecture;
  char    *quantisation;     /* "Q4_K_M" */
  GStrv    tensor_types;     /* every type the file may hold */
  guint32  n_layer;
  guint32  n_head_kv;
  guint32  head_dim;
  guint64  context_length;
  char    *file_name;
  char    *url;
  guint64  size;             /* 0: not known before the server says */
  char    *sha256;           /* NULL: not known before the server says */
  char    *description;
  char    *source;
} HearthCatalogEntry;

typedef struct _HearthCatalog HearthCatalog;

/* $HEARTH_CATALOG if set, else the built-in catalog. */
HearthCatalog *hearth_catalog_load_default (GError **error);
HearthCatalog *hearth_catalog_load_file    (const char *path,
                                            GError    **error);
HearthCatalog *hearth_catalog_load_bytes   (GBytes     *json,
                                            GError    **error);
HearthCatalog *hearth_catalog_ref          (HearthCatalog *self);
void           hearth_catalog_unref        (HearthCatalog *self);

guint                     hearth_catalog_get_n_entries (HearthCatalog *self);
const HearthCatalogEntry *hearth_catalog_get_entry     (HearthCatalog *self,
                                                        guint          index);
/* NULL when no entry has @id. */
const HearthCatalogEntry *hearth_catalog_lookup        (HearthCatalog *self,
                                                        const char    *id);
/* The built-in JSON schema. */
GBytes                   *hearth_catalog_dup_schema    (void);

/* Whether @url may be fetched: https, or http to 127.0.0.1/localhost/::1. */
gboolean hearth_catalog_url_allowed (const char *url,
                                     GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthCatalog, hearth_catalog_unref)

G_END_DECLS
