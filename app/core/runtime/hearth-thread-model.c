/* hearth-thread-model.c: the branch on show of one conversation, as a GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model keeps its items and, on a change, reads the branch again (two
 * queries: the messages of the branch, and the ids of the whole tree for
 * the sibling counts; a third for the audit of a branch with tool results) and compares it with what it has: the first position
 * whose message or place differs is where one items-changed starts.
 */
#include "hearth-config.h"

#include "hearth-thread-model.h"

struct _HearthThreadModel
{
  HearthArrayModel  parent_instance;   /* of HearthThreadItem */

  HearthStore      *store;
  gint64            conversation_id;
  HearthThreadItem *streaming;  /* the last item while a reply streams */
  guint             streaming_at; /* its position */
};

G_DEFINE_FINAL_TYPE (HearthThreadModel, hearth_thread_model, HEARTH_TYPE_ARRAY_MODEL)

static GPtrArray *
items_of (HearthThreadModel *self)
{
  return hearth_array_model_get_items (HEARTH_ARRAY_MODEL (self));
}

/* The branch on show, with each message's place among its siblings. */
static GPtrArray *
read_branch (HearthThreadModel *self,
             GError           **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) parents = NULL;
  g_autoptr(GHashTable) children = NULL;  /* parent id -> GArray of ids, oldest first */
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(GHashTable) audit_of = NULL;  /* result message id -> HearthToolAuditEntry */

  if (self->conversation_id == 0)
    return g_steal_pointer (&items);
  thread = hearth_store_get_thread (self->store, self->conversation_id, 0, error);
  if (thread == NULL ||
      !hearth_store_get_message_parents (self->store, self->conversation_id, &ids, &parents, error))
    return NULL;

  children = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) g_array_unref);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 *parent = &g_array_index (parents, gint64, i);
      GArray *list = g_hash_table_lookup (children, parent);

      if (list == NULL)
        {
          list = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_hash_table_insert (children, parent, list);
        }
      g_array_append_val (list, g_array_index (ids, gint64, i));
    }

  /* Tool results show their audit: one more query, only for a branch with tools. */
  audit_of = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < thread->len && audit == NULL; i++)
    if (hearth_message_get_role (g_ptr_array_index (thread, i)) == HEARTH_MESSAGE_ROLE_TOOL)
      {
        audit = hearth_store_list_tool_audit (self->store, self->conversation_id, error);
        if (audit == NULL)
          return NULL;
        for (guint j = 0; j < audit->len; j++)
          {
            HearthToolAuditEntry *e = g_ptr_array_index (audit, j);

            if (e->result_message_id != 0)
              g_hash_table_insert (audit_of, &e->result_message_id, e);
          }
      }

  for (guint i = 0; i < thread->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (thread, i);
      gint64 parent = hearth_message_get_parent_id (m);
      gint64 id = hearth_message_get_id (m);
      GArray *siblings = g_hash_table_lookup (children, &parent);
      HearthThreadPlace place = { 0, 1, 0, 0 };

      if (hearth_message_get_role (m) == HEARTH_MESSAGE_ROLE_SYSTEM)
        continue;
      for (guint j = 0; siblings != NULL && j < siblings->len; j++)
        {
          if (g_array_index (siblings, gint64, j) != id)
            continue;
          place.sibling_index = j;
          place.n_siblings = siblings->len;
          place.prev_sibling_id = j > 0 ? g_array_index (siblings, gint64, j - 1) : 0;
          place.next_sibling_id = j + 1 < siblings->len ? g_array_index (siblings, gint64, j + 1) : 0;
          break;
        }
      if (hearth_message_get_role (m) == HEARTH_MESSAGE_ROLE_TOOL)
        g_ptr_array_add (items, hearth_thread_item_new_tool_result (m, &place, g_hash_table_lookup (audit_of, &id)));
      else
        g_ptr_array_add (items, hearth_thread_item_new (m, &place));
    }
  return g_steal_pointer (&items);
}

static gboolean
same_item (HearthThreadItem *a,
           HearthThreadItem *b)
{
  const HearthThreadPlace *pa = hearth_thread_item_get_place (a);
  const HearthThreadPlace *pb = hearth_thread_item_get_place (b);
  HearthMessage *ma = hearth_thread_item_get_message (a);
  HearthMessage *mb = hearth_thread_item_get_message (b);

  if (ma == NULL || mb == NULL)
    return FALSE;
  return hearth_message_get_id (ma) == hearth_message_get_id (mb) &&
         g_strcmp0 (hearth_message_get_content (ma), hearth_message_get_content (mb)) == 0 &&
         g_strcmp0 (hearth_message_get_settings_json (ma), hearth_message_get_settings_json (mb)) == 0 &&
         pa->sibling_index == pb->sibling_index && pa->n_siblings == pb->n_siblings &&
         pa->prev_sibling_id == pb->prev_sibling_id && pa->next_sibling_id == pb->next_sibling_id;
}

/* Replaces the items with @fresh (taken), keeping the unchanged head and
 * tail (their objects too: a view's rows for them stay), in one
 * items-changed. */
static void
take_items (HearthThreadModel *self,
            GPtrArray         *fresh)
{
  GPtrArray *items = items_of (self);
  guint old_len = items->len, new_len = fresh->len;
  guint head = 0, tail = 0;

  while (head < old_len && head < new_len &&
         same_item (g_ptr_array_index (items, head), g_ptr_array_index (fresh, head)))
    head++;
  while (tail < old_len - head && tail < new_len - head &&
         same_item (g_ptr_array_index (items, old_len - 1 - tail),
                    g_ptr_array_index (fresh, new_len - 1 - tail)))
    tail++;
  /* (An empty array's pdata may be NULL: no offset from it.) */
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), head, old_len - head - tail,
                             new_len > head + tail ? fresh->pdata + head : NULL, new_len - head - tail);
  g_ptr_array_unref (fresh);
}

static void
thread_changed (HearthStore       *store,
                gint64             conversation_id,
                HearthThreadModel *self)
{
  g_autoptr(GError) error = NULL;

  if (conversation_id != self->conversation_id)
    return;
  if (!hearth_thread_model_refresh (self, &error))
    g_warning ("The conversation could not be read again: %s", error->message);
}

static void
conversation_removed (HearthStore       *store,
                      gint64             conversation_id,
                      HearthThreadModel *self)
{
  if (conversation_id == self->conversation_id)
    hearth_thread_model_set_conversation (self, 0, NULL);
}

static void
hearth_thread_model_dispose (GObject *object)
{
  HearthThreadModel *self = HEARTH_THREAD_MODEL (object);

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->store);
  g_clear_object (&self->streaming);
  G_OBJECT_CLASS (hearth_thread_model_parent_class)->dispose (object);
}

static void
hearth_thread_model_class_init (HearthThreadModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_thread_model_dispose;
  HEARTH_ARRAY_MODEL_CLASS (klass)->item_type = HEARTH_TYPE_THREAD_ITEM;
}

static void
hearth_thread_model_init (HearthThreadModel *self)
{
}

HearthThreadModel *
hearth_thread_model_new (HearthStore *store)
{
  HearthThreadModel *self;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  self = g_object_new (HEARTH_TYPE_THREAD_MODEL, NULL);
  self->store = g_object_ref (store);
  g_signal_connect (store, "thread-changed", G_CALLBACK (thread_changed), self);
  g_signal_connect (store, "conversation-removed", G_CALLBACK (conversation_removed), self);
  return self;
}

gboolean
hearth_thread_model_set_conversation (HearthThreadModel *self,
                                      gint64             conversation_id,
                                      GError           **error)
{
  g_autoptr(GPtrArray) fresh = NULL;
  gboolean read;

  g_return_val_if_fail (HEARTH_IS_THREAD_MODEL (self), FALSE);

  if (conversation_id == self->conversation_id && self->streaming == NULL)
    return TRUE;
  self->conversation_id = conversation_id;
  g_clear_object (&self->streaming);
  fresh = read_branch (self, error);
  read = fresh != NULL;
  if (!read)
    fresh = g_ptr_array_new_with_free_func (g_object_unref);
  /* Another conversation shares nothing with this one: one replacement. */
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), 0, items_of (self)->len, fresh->pdata, fresh->len);
  return read;
}

gint64
hearth_thread_model_get_conversation (HearthThreadModel *self)
{
  g_return_val_if_fail (HEARTH_IS_THREAD_MODEL (self), 0);
  return self->conversation_id;
}

gboolean
hearth_thread_model_refresh (HearthThreadModel *self,
                             GError           **error)
{
  GPtrArray *fresh;

  g_return_val_if_fail (HEARTH_IS_THREAD_MODEL (self), FALSE);

  fresh = read_branch (self, error);
  if (fresh == NULL)
    return FALSE;
  /* The reply in progress stays last until it is stored; once it is, the
   * stored message takes its place in the same items-changed. */
  if (self->streaming != NULL)
    {
      if (fresh->len > self->streaming_at)
        g_ptr_array_set_size (fresh, self->streaming_at);
      g_ptr_array_add (fresh, g_object_ref (self->streaming));
    }
  take_items (self, fresh);
  return TRUE;
}

HearthThreadItem *
hearth_thread_model_begin_streaming (HearthThreadModel *self,
                                     guint              position)
{
  guint old_len;

  g_return_val_if_fail (HEARTH_IS_THREAD_MODEL (self), NULL);
  g_return_val_if_fail (self->streaming == NULL, NULL);

  old_len = items_of (self)->len;
  position = MIN (position, old_len);
  self->streaming = hearth_thread_item_new_streaming ();
  self->streaming_at = position;
  hearth_array_model_splice (HEARTH_ARRAY_MODEL (self), position, old_len - position,
                             (gpointer *) &self->streaming, 1);
  return self->streaming;
}

void
hearth_thread_model_end_streaming (HearthThreadModel *self)
{
  g_return_if_fail (HEARTH_IS_THREAD_MODEL (self));

  /* The item stays until the next refresh, so that the stored reply
   * replaces it in one items-changed. */
  g_clear_object (&self->streaming);
}
