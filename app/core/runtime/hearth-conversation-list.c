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
  GObject     parent_instance;

  HearthStore *store;
  GPtrArray   *items;   /* HearthConversation, in the store's list order */
  GHashTable  *hidden;  /* gint64 ids */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthConversationList, hearth_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return HEARTH_TYPE_CONVERSATION;
}

static guint
get_n_items (GListModel *model)
{
  return HEARTH_CONVERSATION_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthConversationList *self = HEARTH_CONVERSATION_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
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

/* Where @conv goes among the items (it is not one of them). */
static guint
insertion_point (HearthConversationList *self,
                 HearthConversation     *conv)
{
  guint lo = 0, hi = self->items->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (compare (g_ptr_array_index (self->items, mid), conv) < 0)
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
  int old = hearth_conversation_list_find (self, id);
  guint new_pos, lo, hi;

  if (conv == NULL || !shown (self, conv))
    {
      if (old >= 0)
        {
          g_ptr_array_remove_index (self->items, (guint) old);
          g_list_model_items_changed (G_LIST_MODEL (self), (guint) old, 1, 0);
        }
      return;
    }
  if (old < 0)
    {
      new_pos = insertion_point (self, conv);
      g_ptr_array_insert (self->items, (int) new_pos, g_steal_pointer (&conv));
      g_list_model_items_changed (G_LIST_MODEL (self), new_pos, 0, 1);
      return;
    }
  g_ptr_array_remove_index (self->items, (guint) old);
  new_pos = insertion_point (self, conv);
  g_ptr_array_insert (self->items, (int) new_pos, g_steal_pointer (&conv));
  lo = MIN ((guint) old, new_pos);
  hi = MAX ((guint) old, new_pos);
  g_list_model_items_changed (G_LIST_MODEL (self), lo, hi - lo + 1, hi - lo + 1);
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

  g_ptr_array_unref (self->items);
  g_hash_table_unref (self->hidden);
  G_OBJECT_CLASS (hearth_conversation_list_parent_class)->finalize (object);
}

static void
hearth_conversation_list_class_init (HearthConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_conversation_list_dispose;
  object_class->finalize = hearth_conversation_list_finalize;
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
  GPtrArray *items;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  items = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 0, error);
  if (items == NULL)
    return NULL;
  self = g_object_new (HEARTH_TYPE_CONVERSATION_LIST, NULL);
  self->store = g_object_ref (store);
  self->items = items;
  g_signal_connect (store, "conversation-added", G_CALLBACK (store_changed), self);
  g_signal_connect (store, "conversation-changed", G_CALLBACK (store_changed), self);
  g_signal_connect (store, "conversation-removed", G_CALLBACK (store_changed), self);
  return g_steal_pointer (&self);
}

int
hearth_conversation_list_find (HearthConversationList *self,
                               gint64                  conversation_id)
{
  g_return_val_if_fail (HEARTH_IS_CONVERSATION_LIST (self), -1);

  for (guint i = 0; i < self->items->len; i++)
    if (hearth_conversation_get_id (g_ptr_array_index (self->items, i)) == conversation_id)
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
