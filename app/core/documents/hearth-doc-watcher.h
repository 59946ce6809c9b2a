/* hearth-doc-watcher.h: tells when the files of a collection change on disk while the app runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: for each collection, the sources it is given (folders and files)
 * are watched with GFileMonitor (inotify on Linux: one monitor per folder,
 * so folders are watched one by one, and a folder made later is watched
 * as soon as it appears). Changes that the indexer would see are counted:
 * a file of a format Hearth reads made, changed (once written: the
 * "changes done" event), deleted or moved in or out, and folders made,
 * deleted or moved; hidden entries are ignored, as the indexer skips them.
 * A collection's changes are gathered until its files have been quiet for
 * a while (quiet-ms, 2 s by default: a copy of many files is one change),
 * then "changed" (const char *collection) is emitted once. What changed
 * is not said: the indexer's run compares sizes, times and hashes, which
 * is cheap for what did not change.
 *
 * Limits: at most HEARTH_DOC_WATCHER_MAX_FOLDERS folders are watched in
 * all (inotify watches are a per-user resource shared with every other
 * program); past it, the folders beyond are not watched and
 * hearth_doc_watcher_get_truncated() says so (their changes are found by
 * the next update, or at the next start).
 *
 * Threading: the main context of the thread that made it; signals there.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HEARTH_DOC_WATCHER_MAX_FOLDERS 4096

#define HEARTH_TYPE_DOC_WATCHER (hearth_doc_watcher_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocWatcher, hearth_doc_watcher, HEARTH, DOC_WATCHER, GObject)

HearthDocWatcher *hearth_doc_watcher_new               (void);
/* Watches @sources (absolute paths; a GPtrArray of strings) for
 * @collection, in place of what it watched for it before; an empty array
 * or NULL stops watching it. A source that does not exist (an unmounted
 * disk) is not watched. */
void              hearth_doc_watcher_set_sources       (HearthDocWatcher *self,
                                                        const char       *collection,
                                                        GPtrArray        *sources);
void              hearth_doc_watcher_set_quiet_ms      (HearthDocWatcher *self,
                                                        guint             quiet_ms);
/* Folders watched now, across collections. */
guint             hearth_doc_watcher_get_n_folders     (HearthDocWatcher *self);
/* TRUE when HEARTH_DOC_WATCHER_MAX_FOLDERS left some folders unwatched. */
gboolean          hearth_doc_watcher_get_truncated     (HearthDocWatcher *self);

G_END_DECLS
