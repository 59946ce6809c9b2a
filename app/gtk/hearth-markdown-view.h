/* hearth-markdown-view.h: Markdown blocks as GTK widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A vertical box showing @text: labels with Pango markup, GtkSourceView
 * code blocks with a copy button, grids for tables. */
GtkWidget  *hearth_markdown_view_new (const char *text);
/* The GtkSourceView language id for a fence's info word, or NULL. */
const char *hearth_markdown_language_id (const char *info);

G_END_DECLS
