/* hearth-tool-row.h: one tool call in the chat, a compact row that expands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Made for a tool's result (a HearthThreadItem of role tool): collapsed it
 * reads "Used PLUGIN · TOOL" and the decision; expanded it shows the
 * arguments and the result (or the error) in full, monospace and
 * selectable. The item never changes, so neither does the row.
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-thread-item.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TOOL_ROW (hearth_tool_row_get_type ())
G_DECLARE_FINAL_TYPE (HearthToolRow, hearth_tool_row, HEARTH, TOOL_ROW, GtkBox)

/* @plugin_id: the plugin that offers the tool, NULL when not known. */
GtkWidget  *hearth_tool_row_new          (HearthThreadItem *item,
                                          const char       *plugin_id);
/* What the collapsed row says ("Used files · write_file"). */
const char *hearth_tool_row_get_summary  (HearthToolRow *self);
gboolean    hearth_tool_row_get_expanded (HearthToolRow *self);
void        hearth_tool_row_set_expanded (HearthToolRow *self,
                                          gboolean       expanded);

G_END_DECLS
