/* hearth-doc-index-private.h: what the index shares with search and the indexer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlcipher/sqlite3.h>

#include "hearth-doc-index.h"

G_BEGIN_DECLS

/* The connection, with the object's (recursive) lock held until unlock. */
sqlite3 *_hearth_doc_index_lock   (HearthDocIndex *self);
void     _hearth_doc_index_unlock (HearthDocIndex *self);

void     _hearth_doc_index_set_sql_error (HearthDocIndex *self,
                                          GError        **error,
                                          int             rc,
                                          const char     *what);

/* A collection's id and vector width, without the statistics that
 * get_collection counts (a search must not scan the collection). */
gboolean _hearth_doc_index_lookup_collection (HearthDocIndex *self,
                                              const char     *name,
                                              gint64         *id,
                                              guint          *dim,
                                              GError        **error);

/* The vectors of a collection, in memory: read once and kept until the
 * collection is written to, so that a brute-force search does not decrypt
 * and parse every vector on every query. Immutable; refcounted. */
typedef struct
{
  gatomicrefcount ref;
  guint           dim;
  gsize           n;
  gint64         *chunk_ids; /* [n] */
  float          *scales;    /* [n] */
  gint8          *q;         /* [n * dim] */
} HearthDocVectors;

HearthDocVectors *_hearth_doc_index_get_vectors (HearthDocIndex *self,
                                                 gint64          collection_id,
                                                 GError        **error);
void              _hearth_doc_vectors_unref     (HearthDocVectors *vectors);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthDocVectors, _hearth_doc_vectors_unref)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
