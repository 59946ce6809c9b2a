/* hearth-array-model.c: a GListModel over an array, for the runtime's list models to derive from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include "hearth-array-model.h"

typedef struct
{
  GPtrArray *items;
} HearthArrayModelPrivate;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (HearthArrayModel, hearth_array_model, G_TYPE_OBJECT,
                         G_ADD_PRIVATE (HearthArrayModel)
                         G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return HEARTH_ARRAY_MODEL_GET_CLASS (model)->item_type;
}

static guint
get_n_items (GListModel *model)
{
  HearthArrayModelPrivate *priv = hearth_array_model_get_instance_private (HEARTH_ARRAY_MODEL (model));

  return priv->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthArrayModelPrivate *priv = hearth_array_model_get_instance_private (HEARTH_ARRAY_MODEL (model));

  if (position >= priv->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (priv->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
hearth_array_model_finalize (GObject *object)
{
  HearthArrayModelPrivate *priv = hearth_array_model_get_instance_private (HEARTH_ARRAY_MODEL (object));

  g_ptr_array_unref (priv->items);
  G_OBJECT_CLASS (hearth_array_model_parent_class)->finalize (object);
}

static void
hearth_array_model_class_init (HearthArrayModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_array_model_finalize;
  klass->item_type = G_TYPE_OBJECT;
}

static void
hearth_array_model_init (HearthArrayModel *self)
{
  HearthArrayModelPrivate *priv = hearth_array_model_get_instance_private (self);

  priv->items = g_ptr_array_new_with_free_func (g_object_unref);
}

GPtrArray *
hearth_array_model_get_items (HearthArrayModel *self)
{
  HearthArrayModelPrivate *priv;

  g_return_val_if_fail (HEARTH_IS_ARRAY_MODEL (self), NULL);
  priv = hearth_array_model_get_instance_private (self);
  return priv->items;
}

void
hearth_array_model_splice (HearthArrayModel *self,
                           guint             position,
                           guint             n_removed,
                           gpointer         *additions,
                           guint             n_added)
{
  HearthArrayModelPrivate *priv;

  g_return_if_fail (HEARTH_IS_ARRAY_MODEL (self));
  priv = hearth_array_model_get_instance_private (self);
  g_return_if_fail (position <= priv->items->len && n_removed <= priv->items->len - position);

  if (n_removed == 0 && n_added == 0)
    return;
  /* The additions may be items of this array (a move): hold them first. */
  for (guint i = 0; i < n_added; i++)
    g_object_ref (additions[i]);
  if (n_removed > 0)
    g_ptr_array_remove_range (priv->items, position, n_removed);
  for (guint i = 0; i < n_added; i++)
    g_ptr_array_insert (priv->items, (int) (position + i), additions[i]);
  g_list_model_items_changed (G_LIST_MODEL (self), position, n_removed, n_added);
}
