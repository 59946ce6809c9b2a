/* hearth-download-progress.h: one model download's progress, with Pause and Cancel, for the dialogs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view over a HearthDownload (app/core/models): a bar, a line of text
 * (bytes, rate, time left; then the outcome, or why it failed, in words)
 * and Pause/Resume and Cancel. The download itself is the runtime side's,
 * written to DATA_DIR/models and listed in the network log there; the
 * expected SHA-256 is the caller's or, with NULL, the one the server
 * publishes. "verified" (const char *path) when the file is at its place,
 * checked; "stopped" when it was cancelled (its partial data gone) or
 * failed (the text says why). A download still running when the widget
 * goes is paused, its partial file kept for a later resume. Main thread.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_DOWNLOAD_PROGRESS (hearth_download_progress_get_type ())
G_DECLARE_FINAL_TYPE (HearthDownloadProgress, hearth_download_progress, HEARTH, DOWNLOAD_PROGRESS, GtkBox)

GtkWidget *hearth_download_progress_new     (void);

/* Starts (or resumes, if DEST.part is there) fetching @url to @dest;
 * @sha256 and @size: what the file must be (NULL and 0: the server's).
 * A download already running here is paused first. */
void       hearth_download_progress_start   (HearthDownloadProgress *self,
                                             const char             *url,
                                             const char             *dest,
                                             const char             *sha256,
                                             guint64                 size);
/* Whether a download is running or paused here. */
gboolean   hearth_download_progress_get_busy (HearthDownloadProgress *self);
/* Replaces the line of text (after "verified": what happens next). */
void       hearth_download_progress_set_text (HearthDownloadProgress *self,
                                              const char             *text);

G_END_DECLS
