/* hearth-download.h: one model file fetched over https, resumable and verified
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup 3 on a worker thread (its own SoupSession there, the system's
 * proxy settings through g_proxy_resolver_get_default()). The bytes go to
 * DEST.part, with DEST.part.json beside it holding the URL, the validator
 * (ETag or Last-Modified) and the sizes, so that a later run, in this
 * process or the next, resumes with Range + If-Range. The SHA-256 is
 * computed as the bytes arrive (a resumed run re-reads only the partial
 * file once) and checked with the size at the end; only then is the file
 * renamed to DEST. The expected SHA-256 is the caller's (catalog,
 * --sha256) or the one the server publishes (X-Linked-Etag); with neither
 * the download is refused before any body is fetched.
 *
 * Faults: a dropped connection or a 5xx/408/429 is retried with backoff
 * (then fails, keeping the partial file); a server that ignores Range or a
 * changed ETag restarts from zero with a notice; 4xx fails and removes the
 * partial data; a full disk fails and keeps it; a wrong size or SHA-256
 * removes it. Every request goes into the HearthNetworkLog.
 *
 * The object belongs to the main context it was created in: call it and
 * get its notifications and signal there.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-network-log.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_DOWNLOAD_IDLE,
  HEARTH_DOWNLOAD_RUNNING,
  HEARTH_DOWNLOAD_PAUSED,     /* partial file kept; start() resumes */
  HEARTH_DOWNLOAD_DONE,       /* verified, at the destination */
  HEARTH_DOWNLOAD_FAILED,     /* hearth_download_get_error() says why */
  HEARTH_DOWNLOAD_CANCELLED,  /* partial file removed */
} HearthDownloadState;

#define HEARTH_TYPE_DOWNLOAD (hearth_download_get_type ())
G_DECLARE_FINAL_TYPE (HearthDownload, hearth_download, HEARTH, DOWNLOAD, GObject)

/* @dest: the final path (its folder is created). @log: may be NULL only in
 * tests that count requests themselves. */
HearthDownload     *hearth_download_new           (const char       *url,
                                                   const char       *dest,
                                                   HearthNetworkLog *log);
/* What the file must be: lower-case hex SHA-256 (NULL: the server's), and
 * its size (0: the server's). Before start(). */
void                hearth_download_set_expected  (HearthDownload *self,
                                                   const char     *sha256,
                                                   guint64         size);
/* Retries after a dropped connection or a server error (default 4, first
 * after 1000 ms, doubling). */
void                hearth_download_set_retries   (HearthDownload *self,
                                                   guint           max_retries,
                                                   guint           first_delay_ms);

/* Starts, or resumes a paused, failed or earlier-interrupted download. */
void                hearth_download_start         (HearthDownload *self);
/* Stops, keeping the partial file. */
void                hearth_download_pause         (HearthDownload *self);
/* Stops and removes the partial file and its state. */
void                hearth_download_cancel        (HearthDownload *self);

const char         *hearth_download_get_url       (HearthDownload *self);
const char         *hearth_download_get_dest      (HearthDownload *self);
HearthDownloadState hearth_download_get_state     (HearthDownload *self);
guint64             hearth_download_get_received  (HearthDownload *self);
/* 0 until the server says. */
guint64             hearth_download_get_total     (HearthDownload *self);
/* Bytes per second over the last seconds; 0 when unknown. */
double              hearth_download_get_rate      (HearthDownload *self);
/* Seconds left at that rate; -1 when unknown. */
gint64              hearth_download_get_eta       (HearthDownload *self);
/* Body bytes fetched from the network by this object, all runs together
 * (what a resume saved shows here). */
guint64             hearth_download_get_transferred (HearthDownload *self);
/* The latest thing the user should know ("The server does not support
 * resuming: starting again"), or NULL. */
const char         *hearth_download_get_notice    (HearthDownload *self);
/* Set in FAILED. */
const GError       *hearth_download_get_error     (HearthDownload *self);

/* "1.2 GB of 4.1 GB · 12.5 MB/s · 4 minutes left" */
char               *hearth_download_dup_progress_text (HearthDownload *self);

/* DEST.part and DEST.part.json. */
char               *hearth_download_dup_part_path  (const char *dest);
char               *hearth_download_dup_state_path (const char *dest);

/* A download left partial: DEST.part with its state file beside it (a
 * pause, a failure kept for resuming, or the app or hearth-cli stopped
 * mid-way). start() on a HearthDownload of the same URL and DEST resumes it. */
typedef struct
{
  char   *dest;      /* the final path */
  char   *url;
  guint64 received;  /* bytes in DEST.part */
  guint64 total;     /* 0: not known */
} HearthPartialDownload;

/* The downloads left partial in @dir (DATA_DIR/models), by file name; an
 * empty array for a folder that does not exist. A .part without a readable
 * state cannot be resumed and is not listed. Any thread. */
GPtrArray          *hearth_download_list_partial  (const char *dir);
void                hearth_partial_download_free  (HearthPartialDownload *partial);
/* Removes DEST.part and its state file: what Discard does. */
gboolean            hearth_download_discard_partial (const char *dest,
                                                     GError    **error);
/* "612.4 kB of 1.2 MB" */
char               *hearth_partial_download_dup_progress_text (const HearthPartialDownload *partial);

G_END_DECLS
