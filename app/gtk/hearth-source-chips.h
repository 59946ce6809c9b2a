/* hearth-source-chips.h: the sources under a reply that was given passages of documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One chip (a button) per source, "FILE · p. N · lines A–B", its tooltip the
 * passage; a click opens the file with the default app (through the
 * OpenURI portal inside a Flatpak). A reply whose sources are "[]" gets the
 * discreet "No relevant passage in the attached documents" instead.
 *
 * The page of a PDF is not passed: GLib 2.74 finds no handler for a file
 * URI with a fragment ("#page=N"), and the portal hands the URI on as is,
 * which not every viewer reads; the page is in the chip's label.
 *
 * Test seam: with HEARTH_TEST_LAUNCH_LOG set, the URI is appended to that
 * file (one a line) instead of being launched (tests/ui/test-ui-docs.py).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* NULL when @sources_json is NULL (no documents were attached) or not a
 * list of sources. */
GtkWidget *hearth_source_chips_new (const char *sources_json);

G_END_DECLS
