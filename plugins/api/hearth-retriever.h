/* hearth-retriever.h: the extension point for document retrieval
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A retriever searches collections of documents it knows (its own index,
 * a service) and returns passages, each with where it came from, so that
 * an answer can cite them. The host merges the passages of every retriever
 * the user enabled with those of Hearth's own document index.
 *
 * Properties: "host" (HearthPluginHost, construct-only).
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-plugin-host.h"

G_BEGIN_DECLS

typedef struct _HearthPassage HearthPassage;

#define HEARTH_TYPE_PASSAGE (hearth_passage_get_type ())
GType          hearth_passage_get_type (void) G_GNUC_CONST;

/* @source: a URI or absolute path naming the document; @title may be NULL.
 * @page: 1-based, 0 when the document has no pages. @first_line and
 * @last_line: 1-based and inclusive, 0 when unknown. @score: higher is
 * better, comparable within one search. */
HearthPassage *hearth_passage_new              (const char *text,
                                                const char *source,
                                                const char *title,
                                                guint       page,
                                                guint       first_line,
                                                guint       last_line,
                                                double      score);
HearthPassage *hearth_passage_ref              (HearthPassage *passage);
void           hearth_passage_unref            (HearthPassage *passage);
const char    *hearth_passage_get_text         (HearthPassage *passage);
const char    *hearth_passage_get_source       (HearthPassage *passage);
const char    *hearth_passage_get_title        (HearthPassage *passage);
guint          hearth_passage_get_page         (HearthPassage *passage);
guint          hearth_passage_get_first_line   (HearthPassage *passage);
guint          hearth_passage_get_last_line    (HearthPassage *passage);
double         hearth_passage_get_score        (HearthPassage *passage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthPassage, hearth_passage_unref)

#define HEARTH_TYPE_RETRIEVER (hearth_retriever_get_type ())
G_DECLARE_INTERFACE (HearthRetriever, hearth_retriever, HEARTH, RETRIEVER, GObject)

struct _HearthRetrieverInterface
{
  GTypeInterface g_iface;

  /* The collections it can search, as names: a new NULL-terminated array. */
  char     **(*list_collections) (HearthRetriever     *self);
  /* At most @limit passages of @collection for @query, best first: an
   * array of HearthPassage (with a free func). */
  void       (*search_async)     (HearthRetriever     *self,
                                  const char          *collection,
                                  const char          *query,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
  GPtrArray *(*search_finish)    (HearthRetriever     *self,
                                  GAsyncResult        *result,
                                  GError             **error);

  /*< private >*/
  gpointer padding[12];
};

HearthPluginHost *hearth_retriever_get_host         (HearthRetriever     *self);
char            **hearth_retriever_list_collections (HearthRetriever     *self);
void              hearth_retriever_search_async     (HearthRetriever     *self,
                                                     const char          *collection,
                                                     const char          *query,
                                                     guint                limit,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
GPtrArray        *hearth_retriever_search_finish    (HearthRetriever     *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
