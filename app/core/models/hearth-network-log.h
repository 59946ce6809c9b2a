/* hearth-network-log.h: every request Hearth made, for the user to read
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hearth makes no request the user did not ask for; this log is how the
 * user can check. One JSON object per line in network-log.jsonl in the
 * data folder: time (microseconds since the epoch), method, host, path,
 * HTTP status (0: no answer) and the bytes of body received. Hosts and
 * paths of model downloads only, never a query string or a header.
 * Appends are whole lines under a lock with O_APPEND, so threads and
 * processes (the app and hearth-cli) may append at once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64  time;     /* microseconds since the epoch */
  char   *method;
  char   *host;
  char   *path;
  guint   status;   /* 0: no answer */
  guint64 bytes;    /* body bytes received */
} HearthNetworkLogEntry;

typedef struct _HearthNetworkLog HearthNetworkLog;

/* @data_dir: the folder (NULL: $XDG_DATA_HOME/hearth). Nothing is created
 * until the first append. */
HearthNetworkLog *hearth_network_log_new      (const char *data_dir);
HearthNetworkLog *hearth_network_log_ref      (HearthNetworkLog *self);
void              hearth_network_log_unref    (HearthNetworkLog *self);
const char       *hearth_network_log_get_path (HearthNetworkLog *self);

/* Any thread. @url: the request's address (its query is not kept). */
void              hearth_network_log_append   (HearthNetworkLog *self,
                                               const char       *method,
                                               const char       *url,
                                               guint             status,
                                               guint64           bytes);
/* Oldest first; an empty array when nothing was ever logged. A line that
 * cannot be read (a crash mid-write) is skipped. */
GPtrArray        *hearth_network_log_read     (HearthNetworkLog *self,
                                               GError          **error);
void              hearth_network_log_entry_free (HearthNetworkLogEntry *entry);
/* "2026-12-07 06:00:31  GET huggingface.co /Qwen/...  200  1.2 MB" */
char             *hearth_network_log_entry_format (const HearthNetworkLogEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthNetworkLog, hearth_network_log_unref)

G_END_DECLS
