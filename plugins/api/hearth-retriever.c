/* hearth-retriever.c: passages and the retriever interface's dispatch
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-plugin.h"

struct _HearthPassage
{
  gatomicrefcount ref;
  char           *text;
  char           *source;
  char           *title;
  guint           page;
  guint           first_line;
  guint           last_line;
  double          score;
};

G_DEFINE_BOXED_TYPE (HearthPassage, hearth_passage, hearth_passage_ref, hearth_passage_unref)

HearthPassage *
hearth_passage_new (const char *text,
                    const char *source,
                    const char *title,
                    guint       page,
                    guint       first_line,
                    guint       last_line,
                    double      score)
{
  HearthPassage *p;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (source != NULL, NULL);

  p = g_new0 (HearthPassage, 1);
  g_atomic_ref_count_init (&p->ref);
  p->text = g_strdup (text);
  p->source = g_strdup (source);
  p->title = g_strdup (title);
  p->page = page;
  p->first_line = first_line;
  p->last_line = last_line;
  p->score = score;
  return p;
}

HearthPassage *
hearth_passage_ref (HearthPassage *passage)
{
  g_return_val_if_fail (passage != NULL, NULL);
  g_atomic_ref_count_inc (&passage->ref);
  return passage;
}

void
hearth_passage_unref (HearthPassage *passage)
{
  g_return_if_fail (passage != NULL);
  if (!g_atomic_ref_count_dec (&passage->ref))
    return;
  g_free (passage->text);
  g_free (passage->source);
  g_free (passage->title);
  g_free (passage);
}

const char *hearth_passage_get_text (HearthPassage *p) { return p->text; }
const char *hearth_passage_get_source (HearthPassage *p) { return p->source; }
const char *hearth_passage_get_title (HearthPassage *p) { return p->title; }
guint hearth_passage_get_page (HearthPassage *p) { return p->page; }
guint hearth_passage_get_first_line (HearthPassage *p) { return p->first_line; }
guint hearth_passage_get_last_line (HearthPassage *p) { return p->last_line; }
double hearth_passage_get_score (HearthPassage *p) { return p->score; }

G_DEFINE_INTERFACE (HearthRetriever, hearth_retriever, G_TYPE_OBJECT)

static void
hearth_retriever_default_init (HearthRetrieverInterface *iface)
{
  g_object_interface_install_property (iface,
    g_param_spec_object ("host", NULL, NULL, HEARTH_TYPE_PLUGIN_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
}

HearthPluginHost *
hearth_retriever_get_host (HearthRetriever *self)
{
  HearthPluginHost *host = NULL;

  g_return_val_if_fail (HEARTH_IS_RETRIEVER (self), NULL);
  g_object_get (self, "host", &host, NULL);
  if (host != NULL)
    g_object_unref (host);
  return host;
}

char **
hearth_retriever_list_collections (HearthRetriever *self)
{
  g_return_val_if_fail (HEARTH_IS_RETRIEVER (self), NULL);
  return HEARTH_RETRIEVER_GET_IFACE (self)->list_collections (self);
}

void
hearth_retriever_search_async (HearthRetriever     *self,
                               const char          *collection,
                               const char          *query,
                               guint                limit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (HEARTH_IS_RETRIEVER (self));
  g_return_if_fail (collection != NULL && query != NULL);
  HEARTH_RETRIEVER_GET_IFACE (self)->search_async (self, collection, query, limit, cancellable,
                                                   callback, user_data);
}

GPtrArray *
hearth_retriever_search_finish (HearthRetriever     *self,
                                GAsyncResult        *result,
                                GError             **error)
{
  g_return_val_if_fail (HEARTH_IS_RETRIEVER (self), NULL);
  return HEARTH_RETRIEVER_GET_IFACE (self)->search_finish (self, result, error);
}
