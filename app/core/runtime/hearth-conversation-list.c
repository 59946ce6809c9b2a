/* hearth-conversation-list.c: the conversations, as a GListModel that follows the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read whole once; after that each store signal reads the one conversation
 * it names and moves, inserts or removes it, in the store's order.
 */
#include "hearth-config.h"

#include "hearth-conversation-list.h"

struct _HearthConversationList
{
  HearthArrayModel parent_instance;  /* of HearthConversation, in the store's list order */

  HearthStore     *store;
  GHashTable      *hidden;  /* gint64 ids */
};

G_DEFINE_FINAL_TYPE (HearthConversationList, hearth_conversation_list, HEARTH_TYPE_ARRAY_MODEL)

static GPtrArray *
items_of (HearthConversationList *self)
{
  return hearth_array_model_get_items (HEARTH_ARRAY_MODEL (self));
}

/* The store's order: pinned first, then the most recently updated, then
 * the newest. */
static int
compare (HearthConversation *a,
         HearthConversation *b)
{
  gint64 ua, ub, ia, ib;

  if (hearth_conversation_get_pinned (a) != hearth_conversation_get_pinned (b))
    return hearth_conversation_get_pinned (a) ? -1 : 1;
  ua = hearth_conversation_get_updated (a);
  ub = hearth_conversation_get_updated (b);
  if (ua != ub)
    return ua > ub ? -1 : 1;
  ia = hearth_conversation_get_id (a);
  ib = hearth_conversation_get_id (b);
  return ia > ib ? -1 : ia < ib ? 1 : 0;
}

/* Where @conv goes among the items, with @skip (its old place, or -1) left out. */
static guint
insertion_point (HearthConversationList *self,
                 HearthConversation     *conv,
                 int                     skip)
{
  GPtrArray *items = items_of (self);
  guint lo = 0, hi = items->len - (skip >= 0 ? 1 : 0);

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      /* Past @skip, the items stand one further on than they will. */
      guint at = skip >= 0 && mid >= (guint) skip ? mid + 1 : mid;

      if (compare (g_ptr_array_index (items, at), conv) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static gboolean
shown (HearthConversationList *self,
       HearthConversation     *conv)
{
  gint64 id = hearth_conversation_get_id (conv);

  return !hearth_conversation_get_archived (conv) && !g_hash_table_contains (self->hidden, &id);
}

/* Puts the store's current @id where it belongs (or removes it), in one
 * items-changed that spans its old and new places. */
static void
place (HearthConversationList *self,
       gint64                  id)
{
  g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, id, NULL);
  HearthArrayModel *model = HEARTH_ARRAY_MODEL (self);
  GPtrArray *items = items_of (self);
  g_autoptr(GPtrArray) span = NULL;
  int old = hearth_conversation_list_find (self, id);
  guint new_pos, lo, hi;

  if (conv == NULL || !shown (self, conv))
    {
      if (old >= 0)
        hearth_array_model_splice (model, (guint) old, 1, NULL, 0);
      return;
    }
  new_pos = insertion_point (self, conv, old);
  if (old < 0)
    {
      hearth_array_model_splice (model, new_pos, 0, (gpointer *) &conv, 1);
      return;
    }
  /* A move: the rows between its old and new places shift by one. */
  lo = MIN ((guint) old, new_pos);
  hi = MAX ((guint) old, new_pos);
  span = g_ptr_array_new ();
  for (guint i = lo; i <= hi; i++)
    if (i != (guint) old)
      g_ptr_array_add (span, g_ptr_array_index (items, i));
  g_ptr_array_insert (span, (int) (new_pos - lo), conv);
  hearth_array_model_splice (model, lo, hi - lo + 1, span->pdata, span->len);
}

static void
store_changed (HearthStore            *store,
               gint64                  id,
               HearthConversationList *self)
{
  place (self, id);
}

static void
hearth_conversation_list_dispose (GObject *object)
{
  HearthConversationList *self = HEARTH_CONVERSATION_LIST (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (hearth_conversation_list_parent_class)->dispose (object);
}

static void
hearth_conversation_list_finalize (GObject *object)
{
  HearthConversationList *self = HEARTH_CONVERSATION_LIST (object);

  g_hash_table_unref (self->hidden);
  G_OBJECT_CLASS (hearth_conversation_list_parent_class)->finalize (object);
}

static void
hearth_conversation_list_class_init (HearthConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_conversation_list_dispose;
  object_class->finalize = hearth_conversation_list_finalize;
  HEARTH_ARRAY_MODEL_CLASS (klass)->item_type = HEARTH_TYPE_CONVERSATION;
}

static void
hearth_conversation_list_init (HearthConversationList *self)
{
  self->hidden = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

HearthConversationList *
hearth_conversation_list_new (HearthStore *store,
                              GError     **error)
{
  g_autoptr(HearthConversationList) self = NULL;
  g_autoptr(GPtrArray) items = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  items = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 0, error);
  if (items == NULL)
    return NULL;
  self = g_object_new (HEARTH_TYPE_CONVERSATION_LIST, NULL);
  self->store = g_object_ref (store);
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), 0, 0, items->pdata, items->len);
  g_signal_connect (store, "conversation-added", G_CALLBACK (store_changed), self);
  g_signal_connect (store, "conversation-changed", G_CALLBACK (store_changed), self);
  g_signal_connect (store, "conversation-removed", G_CALLBACK (store_changed), self);
  return g_steal_pointer (&self);
}

int
hearth_conversation_list_find (HearthConversationList *self,
                               gint64                  conversation_id)
{
  GPtrArray *items;

  g_return_val_if_fail (HEARTH_IS_CONVERSATION_LIST (self), -1);

  items = items_of (self);
  for (guint i = 0; i < items->len; i++)
    if (hearth_conversation_get_id (g_ptr_array_index (items, i)) == conversation_id)
      return (int) i;
  return -1;
}

void
hearth_conversation_list_set_hidden (HearthConversationList *self,
                                     gint64                  conversation_id,
                                     gboolean                hidden)
{
  g_return_if_fail (HEARTH_IS_CONVERSATION_LIST (self));

  if (hidden == g_hash_table_contains (self->hidden, &conversation_id))
    return;
  if (hidden)
    g_hash_table_add (self->hidden, g_memdup2 (&conversation_id, sizeof conversation_id));
  else
    g_hash_table_remove (self->hidden, &conversation_id);
  place (self, conversation_id);
}

gboolean
hearth_conversation_list_is_hidden (HearthConversationList *self,
                                    gint64                  conversation_id)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION_LIST (self), FALSE);
  return g_hash_table_contains (self->hidden, &conversation_id);
}

GArray *
hearth_conversation_list_dup_hidden (HearthConversationList *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  GHashTableIter iter;
  gint64 *id;

  g_return_val_if_fail (HEARTH_IS_CONVERSATION_LIST (self), ids);

  g_hash_table_iter_init (&iter, self->hidden);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    g_array_append_val (ids, *id);
  return ids;
}
