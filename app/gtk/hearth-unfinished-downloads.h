/* hearth-unfinished-downloads.h: the downloads left partial, to resume or discard, for the Models dialog
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view: an "Unfinished Downloads" group listing what
 * hearth_download_list_partial finds in DATA_DIR/models (a pause, a
 * failure, the app or hearth-cli stopped mid-way), each with Resume and
 * Discard. Resume continues it here with its progress
 * (hearth-download-progress.h), verified against the catalog's SHA-256
 * for a catalog model, else the server's; "model-ready" (const char *path)
 * gives the verified file. The group hides itself when it has nothing to
 * show. Reads the folder when created; nothing is requested until Resume.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_UNFINISHED_DOWNLOADS (hearth_unfinished_downloads_get_type ())
G_DECLARE_FINAL_TYPE (HearthUnfinishedDownloads, hearth_unfinished_downloads, HEARTH, UNFINISHED_DOWNLOADS,
                      AdwPreferencesGroup)

GtkWidget *hearth_unfinished_downloads_new (void);

G_END_DECLS
