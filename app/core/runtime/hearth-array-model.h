/* hearth-array-model.h: a GListModel over an array, for the runtime's list models to derive from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The thread, the conversation list and the model registry keep their
 * items in an array and change them in one splice each time: that is what
 * makes every change one "items-changed" with the smallest range. A
 * subclass sets its item type in class_init; only it changes the items.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_ARRAY_MODEL (hearth_array_model_get_type ())
G_DECLARE_DERIVABLE_TYPE (HearthArrayModel, hearth_array_model, HEARTH, ARRAY_MODEL, GObject)

struct _HearthArrayModelClass
{
  GObjectClass parent_class;

  GType        item_type;
};

/* The items (GObjects, owned by the model); read-only for callers. */
GPtrArray *hearth_array_model_get_items (HearthArrayModel *self);
/* Replaces @n_removed items from @position with @n_added of @additions
 * (references are taken), then emits one items-changed (none when nothing
 * changes). */
void       hearth_array_model_splice    (HearthArrayModel *self,
                                         guint             position,
                                         guint             n_removed,
                                         gpointer         *additions,
                                         guint             n_added);

G_END_DECLS
