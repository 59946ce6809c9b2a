/* hearth-download.c: resumable, verified model downloads on libsoup 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A run is a GTask in a worker thread that owns a Job: copies of what it
 * needs, so the object can go on in the main context. The worker sends
 * progress to the owner's context (one idle at a time: a newer report
 * replaces an older unsent one) and the task's completion sets the final
 * state there. Pause and cancel both cancel the run; the owner decides
 * what becomes of the partial file, after the thread has let go of it.
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <unistd.h>

#include "hearth-download.h"
#include "hearth-json-member.h"
#include "hearth-models-error.h"

#define CHUNK (256 * 1024)
#define PROGRESS_INTERVAL_US (100 * 1000)

struct _HearthDownload
{
  GObject              parent_instance;

  char                *url;
  char                *dest;
  HearthNetworkLog    *log;
  char                *sha256;
  guint64              size;
  guint                max_retries;
  guint                first_delay_ms;

  HearthDownloadState  state;
  guint64              received;
  guint64              total;
  double               rate;
  guint64              transferred;
  char                *notice;
  GError              *error;

  GCancellable        *cancellable;  /* of the run in progress */
  gboolean             pausing;
  gboolean             cancelling;
  GMainContext        *context;

  GMutex               lock;         /* the pending report */
  guint                report_source;
  guint64              rep_received, rep_total, rep_transferred;
  double               rep_rate;
  char                *rep_notice;
};

G_DEFINE_FINAL_TYPE (HearthDownload, hearth_download, G_TYPE_OBJECT)

enum { PROP_0, PROP_STATE, PROP_RECEIVED, PROP_TOTAL, PROP_RATE, PROP_NOTICE, N_PROPS };
enum { FINISHED, N_SIGNALS };
static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  HearthDownload   *self;       /* a reference; the thread touches only its report fields, under the lock */
  char             *url;
  char             *dest;
  char             *part;
  char             *state_path;
  char             *sha256;     /* expected: the caller's, else the server's */
  gboolean          sha256_given;
  guint64           size;       /* expected; 0: the server's */
  guint             max_retries;
  guint             first_delay_ms;
  HearthNetworkLog *log;

  GChecksum        *checksum;
  guint64           hashed;     /* bytes of the partial file in @checksum */
  guint64           offset;
  guint64           total;
  guint64           transferred;
  char             *linked_etag;
  guint64           linked_size;
  gint64            rate_t0;
  guint64           rate_b0;
  double            rate;
  gint64            last_report;
} Job;

static void
job_free (Job *job)
{
  g_free (job->url);
  g_free (job->dest);
  g_free (job->part);
  g_free (job->state_path);
  g_free (job->sha256);
  g_free (job->linked_etag);
  g_clear_pointer (&job->checksum, g_checksum_free);
  g_clear_pointer (&job->log, hearth_network_log_unref);
  g_object_unref (job->self);
  g_free (job);
}

char *
hearth_download_dup_part_path (const char *dest)
{
  return g_strconcat (dest, ".part", NULL);
}

char *
hearth_download_dup_state_path (const char *dest)
{
  return g_strconcat (dest, ".part.json", NULL);
}

/* ---- reports to the owner ---- */

static gboolean
deliver_report (gpointer data)
{
  HearthDownload *self = data;
  g_autofree char *notice = NULL;
  gboolean notice_changed;

  g_mutex_lock (&self->lock);
  self->report_source = 0;
  self->received = self->rep_received;
  self->total = self->rep_total;
  self->rate = self->rep_rate;
  self->transferred = self->rep_transferred;
  notice = g_steal_pointer (&self->rep_notice);
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  notice_changed = notice != NULL && g_strcmp0 (notice, self->notice) != 0;
  if (notice_changed)
    {
      g_free (self->notice);
      self->notice = g_steal_pointer (&notice);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NOTICE]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RECEIVED]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RATE]);
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

static void
report (Job        *job,
        const char *notice,
        gboolean    force)
{
  HearthDownload *self = job->self;
  gint64 now = g_get_monotonic_time ();

  /* The rate over windows of at least a quarter second, smoothed. */
  if (job->rate_t0 == 0 || now - job->rate_t0 >= G_USEC_PER_SEC / 4)
    {
      if (job->rate_t0 != 0)
        {
          double r = (double) (job->transferred - job->rate_b0) * G_USEC_PER_SEC / (double) (now - job->rate_t0);

          job->rate = job->rate == 0 ? r : 0.5 * job->rate + 0.5 * r;
        }
      job->rate_t0 = now;
      job->rate_b0 = job->transferred;
    }
  if (!force && notice == NULL && now - job->last_report < PROGRESS_INTERVAL_US)
    return;
  job->last_report = now;

  g_mutex_lock (&self->lock);
  self->rep_received = job->offset;
  self->rep_total = job->total;
  self->rep_rate = job->rate;
  self->rep_transferred = job->transferred;
  if (notice != NULL)
    {
      g_free (self->rep_notice);
      self->rep_notice = g_strdup (notice);
    }
  if (self->report_source == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, deliver_report, g_object_ref (self), g_object_unref);
      self->report_source = g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

/* ---- the state file ---- */

typedef struct
{
  char   *url;
  char   *validator;  /* ETag (strong) or Last-Modified */
  guint64 total;
} PartState;

static void
part_state_clear (PartState *st)
{
  g_clear_pointer (&st->url, g_free);
  g_clear_pointer (&st->validator, g_free);
  st->total = 0;
}

static gboolean
read_part_state (const char *path,
                 PartState  *st)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;

  if (!json_parser_load_from_file (parser, path, NULL) || (o = hearth_json_root_object (parser)) == NULL)
    return FALSE;
  st->url = g_strdup (hearth_json_member_string (o, "url", ""));
  st->validator = g_strdup (hearth_json_member_string (o, "validator", ""));
  st->total = (guint64) hearth_json_member_int (o, "total", 0);
  return TRUE;
}

static gboolean
write_part_state (Job        *job,
                  const char *validator,
                  GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, job->url);
  json_builder_set_member_name (b, "validator");
  json_builder_add_string_value (b, validator ? validator : "");
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, (gint64) job->total);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, job->sha256 ? job->sha256 : "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  if (!g_file_set_contents (job->state_path, text, -1, error))
    {
      g_prefix_error (error, _("Could not write the download's state: "));
      return FALSE;
    }
  return TRUE;
}

static void
remove_partial (Job *job)
{
  g_unlink (job->part);
  g_unlink (job->state_path);
  job->offset = 0;
  job->hashed = 0;
  g_checksum_reset (job->checksum);
}

/* Brings the checksum up to the partial file's length (a resume after a
 * restart: the only second read, of the part already on disk). */
static gboolean
hash_partial (Job          *job,
              GCancellable *cancellable,
              GError      **error)
{
  g_autofree guchar *buf = NULL;
  int fd;

  if (job->hashed == job->offset)
    return TRUE;
  g_checksum_reset (job->checksum);
  job->hashed = 0;
  fd = g_open (job->part, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      job->offset = 0;
      return TRUE;
    }
  buf = g_malloc (CHUNK);
  while (job->hashed < job->offset)
    {
      gssize n = read (fd, buf, (size_t) MIN ((guint64) CHUNK, job->offset - job->hashed));

      if (n <= 0 || g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          if (n <= 0)
            g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                         _("Could not read the partial download %s"), job->part);
          return FALSE;
        }
      g_checksum_update (job->checksum, buf, n);
      job->hashed += (guint64) n;
    }
  close (fd);
  return TRUE;
}

/* ---- one request ---- */

typedef enum { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_FAIL } AttemptResult;

static char *
sha256_from_linked_etag (const char *etag)
{
  g_autofree char *s = NULL;
  gsize len;

  if (etag == NULL)
    return NULL;
  if (g_str_has_prefix (etag, "W/"))
    return NULL;
  s = g_strdup (etag);
  len = strlen (s);
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
    {
      s[len - 1] = '\0';
      memmove (s, s + 1, len - 1);
    }
  if (strlen (s) != 64)
    return NULL;
  for (char *p = s; *p; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return NULL;
      *p = g_ascii_tolower (*p);
    }
  return g_steal_pointer (&s);
}

static void
on_got_headers (SoupMessage *msg,
                gpointer     user_data)
{
  Job *job = user_data;
  SoupMessageHeaders *h = soup_message_get_response_headers (msg);
  const char *linked_etag = soup_message_headers_get_one (h, "X-Linked-Etag");
  const char *linked_size = soup_message_headers_get_one (h, "X-Linked-Size");
  guint status = soup_message_get_status (msg);

  /* The file's SHA-256 and size as the hub publishes them come on the
   * redirect to the storage host (and on a direct answer too). */
  if (linked_etag != NULL)
    {
      g_free (job->linked_etag);
      job->linked_etag = g_strdup (linked_etag);
    }
  if (linked_size != NULL)
    job->linked_size = g_ascii_strtoull (linked_size, NULL, 10);
  if (SOUP_STATUS_IS_REDIRECTION (status) && job->log != NULL)
    {
      g_autofree char *url = g_uri_to_string (soup_message_get_uri (msg));

      hearth_network_log_append (job->log, "GET", url, status, 0);
    }
}

static gboolean
write_all (int           fd,
           const guint8 *buf,
           gsize         len,
           int          *err)
{
  while (len > 0)
    {
      gssize n = write (fd, buf, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          *err = n < 0 ? errno : ENOSPC;
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
check_free_space (Job     *job,
                  guint64  needed,
                  GError **error)
{
  g_autofree char *dir = g_path_get_dirname (job->dest);
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileInfo) info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  guint64 avail;

  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;
  avail = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (avail < needed)
    {
      g_autofree char *need_s = g_format_size (needed);
      g_autofree char *avail_s = g_format_size (avail);

      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_DISK_FULL,
                   _("Not enough disk space in %s: the download needs %s more, %s is free"), dir, need_s, avail_s);
      return FALSE;
    }
  return TRUE;
}

static AttemptResult
attempt (Job          *job,
         SoupSession  *session,
         GCancellable *cancellable,
         GError      **error)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buf = NULL;
  g_autofree char *final_url = NULL;
  g_autofree char *validator = NULL;
  PartState st = { 0 };
  SoupMessageHeaders *rh;
  const char *etag, *last_modified;
  GStatBuf sb;
  guint status;
  guint64 got = 0;
  int fd = -1, werr = 0;
  AttemptResult result = ATTEMPT_FAIL;

  /* What is on disk from before, and whether it belongs to this URL. */
  job->offset = g_stat (job->part, &sb) == 0 ? (guint64) sb.st_size : 0;
  if (job->offset > 0 && (!read_part_state (job->state_path, &st) || g_strcmp0 (st.url, job->url) != 0 ||
                          st.validator == NULL || *st.validator == '\0'))
    {
      remove_partial (job);
      part_state_clear (&st);
    }
  if (!hash_partial (job, cancellable, error))
    goto out;

  msg = soup_message_new ("GET", job->url);
  if (msg == NULL)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL, _("“%s” is not a web address"), job->url);
      goto out;
    }
  /* No Accept-Encoding: the bytes hashed are the file's bytes. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept-Encoding", "identity");
  if (job->offset > 0)
    {
      g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", job->offset);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Range", range);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "If-Range", st.validator);
    }
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), job);

  body = soup_session_send (session, msg, cancellable, &local_error);
  final_url = g_uri_to_string (soup_message_get_uri (msg));
  if (body == NULL)
    {
      if (job->log != NULL)
        hearth_network_log_append (job->log, "GET", final_url, soup_message_get_status (msg), 0);
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        {
          g_autoptr(GUri) u = g_uri_parse (job->url, G_URI_FLAGS_NONE, NULL);

          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK, _("Could not reach %s: %s"),
                       u ? g_uri_get_host (u) : job->url, local_error->message);
          result = ATTEMPT_RETRY;
        }
      goto out;
    }

  status = soup_message_get_status (msg);
  rh = soup_message_get_response_headers (msg);
  etag = soup_message_headers_get_one (rh, "ETag");
  last_modified = soup_message_headers_get_one (rh, "Last-Modified");
  if (etag != NULL && !g_str_has_prefix (etag, "W/"))
    validator = g_strdup (etag);
  else if (last_modified != NULL)
    validator = g_strdup (last_modified);

  if (status >= 400 || (status != 200 && status != 206 && status != 416))
    {
      if (job->log != NULL)
        hearth_network_log_append (job->log, "GET", final_url, status, 0);
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_HTTP,
                   status == 404 || status == 410 ? _("The server has no such file (HTTP %u %s)")
                   : status >= 500 ? _("The server failed (HTTP %u %s)")
                   : _("The server refused the download (HTTP %u %s)"),
                   status, soup_message_get_reason_phrase (msg));
      if (status >= 500 || status == 408 || status == 429)
        result = ATTEMPT_RETRY;
      else
        remove_partial (job);
      goto out;
    }

  if (status == 416)
    {
      /* The partial file is as long as the file, or longer: start again. */
      if (job->log != NULL)
        hearth_network_log_append (job->log, "GET", final_url, status, 0);
      remove_partial (job);
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                   _("The server would not resume this download; starting again"));
      result = ATTEMPT_RETRY;
      goto out;
    }

  if (status == 200 && job->offset > 0)
    {
      /* If-Range failed (the file changed) or Range was ignored. */
      const char *notice;

      if (st.validator != NULL && validator != NULL && strcmp (st.validator, validator) != 0)
        notice = _("The file changed on the server since the download began: starting again");
      else
        notice = _("The server does not support resuming: starting again");
      remove_partial (job);
      report (job, notice, TRUE);
    }
  else if (status == 206)
    {
      const char *cr = soup_message_headers_get_one (rh, "Content-Range");
      guint64 start = 0, end = 0, total = 0;

      if (cr == NULL || sscanf (cr, "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                &start, &end, &total) != 3 || start != job->offset)
        {
          if (job->log != NULL)
            hearth_network_log_append (job->log, "GET", final_url, status, 0);
          remove_partial (job);
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                       _("The server resumed at the wrong place; starting again"));
          result = ATTEMPT_RETRY;
          goto out;
        }
      job->total = total;
    }
  if (status == 200)
    {
      goffset len = soup_message_headers_get_content_length (rh);

      job->total = len > 0 ? (guint64) len : 0;
    }
  if (job->total == 0 && job->linked_size != 0)
    job->total = job->linked_size;

  /* What the file must be, known before a byte of it is fetched. */
  if (!job->sha256_given)
    {
      g_free (job->sha256);
      job->sha256 = sha256_from_linked_etag (job->linked_etag);
    }
  if (job->sha256 == NULL)
    {
      if (job->log != NULL)
        hearth_network_log_append (job->log, "GET", final_url, status, 0);
      remove_partial (job);
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NO_CHECKSUM,
                   _("The server publishes no SHA-256 for this file, so it cannot be verified; "
                     "give the expected SHA-256 to download it"));
      goto out;
    }
  {
    guint64 want = job->size != 0 ? job->size : job->linked_size;

    if (want != 0 && job->total != 0 && want != job->total)
      {
        g_autofree char *a = g_format_size_full (job->total, G_FORMAT_SIZE_LONG_FORMAT);
        g_autofree char *b = g_format_size_full (want, G_FORMAT_SIZE_LONG_FORMAT);

        if (job->log != NULL)
          hearth_network_log_append (job->log, "GET", final_url, status, 0);
        remove_partial (job);
        g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_VERIFY,
                     _("The server offers %s, but the file should be %s: not downloaded"), a, b);
        goto out;
      }
  }
  if (job->total != 0 && !check_free_space (job, job->total - job->offset, error))
    {
      if (job->log != NULL)
        hearth_network_log_append (job->log, "GET", final_url, status, 0);
      goto out;
    }
  if (validator != NULL && !write_part_state (job, validator, error))
    goto out;
  if (validator == NULL)
    g_unlink (job->state_path);  /* nothing to resume against: a partial file is useless */

  fd = g_open (job->part, O_WRONLY | O_CREAT | O_CLOEXEC | (job->offset > 0 ? O_APPEND : O_TRUNC), 0644);
  if (fd < 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                   _("Could not write %s: %s"), job->part, g_strerror (errno));
      goto out;
    }
  report (job, NULL, TRUE);
  buf = g_malloc (CHUNK);
  for (;;)
    {
      gssize n = g_input_stream_read (body, buf, CHUNK, cancellable, &local_error);

      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            {
              g_autofree char *at = g_format_size (job->offset);
              g_autofree char *of = g_format_size (job->total);

              if (job->total != 0)
                g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                             _("The connection dropped after %s of %s (%s)"), at, of, local_error->message);
              else
                g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                             _("The connection dropped after %s (%s)"), at, local_error->message);
              result = ATTEMPT_RETRY;
            }
          break;
        }
      if (n == 0)
        {
          if (job->total != 0 && job->offset < job->total)
            {
              g_autofree char *at = g_format_size (job->offset);
              g_autofree char *of = g_format_size (job->total);

              g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                           _("The connection dropped after %s of %s"), at, of);
              result = ATTEMPT_RETRY;
            }
          else
            result = ATTEMPT_OK;
          break;
        }
      got += (guint64) n;
      job->transferred += (guint64) n;
      if (!write_all (fd, buf, (gsize) n, &werr))
        {
          g_autofree char *dir = g_path_get_dirname (job->dest);

          if (werr == ENOSPC || werr == EFBIG || werr == EDQUOT)
            g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_DISK_FULL,
                         _("The disk is full: %s could not hold more of the download (%s); "
                           "free some space and download again to resume"), dir, g_strerror (werr));
          else
            g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                         _("Could not write %s: %s"), job->part, g_strerror (werr));
          /* What was written whole is kept: cut a half-written chunk off. */
          if (ftruncate (fd, (off_t) job->offset) != 0)
            remove_partial (job);
          break;
        }
      g_checksum_update (job->checksum, buf, n);
      job->offset += (guint64) n;
      job->hashed = job->offset;
      if (job->total != 0 && job->offset > job->total)
        {
          remove_partial (job);
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_VERIFY,
                       _("The server sent more than the file's size: the download was deleted"));
          break;
        }
      report (job, NULL, FALSE);
    }
  if (fd >= 0)
    {
      if (result == ATTEMPT_OK && fdatasync (fd) != 0)
        {
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                       _("Could not write %s: %s"), job->part, g_strerror (errno));
          result = ATTEMPT_FAIL;
        }
      close (fd);
    }
  if (job->log != NULL)
    hearth_network_log_append (job->log, "GET", final_url, status, got);
  report (job, NULL, TRUE);

out:
  part_state_clear (&st);
  return result;
}

/* ---- the run ---- */

static gboolean
verify_and_finish (Job     *job,
                   GError **error)
{
  const char *got = g_checksum_get_string (job->checksum);
  guint64 want_size = job->size != 0 ? job->size : job->linked_size != 0 ? job->linked_size : job->total;

  if (want_size != 0 && job->offset != want_size)
    {
      g_autofree char *a = g_format_size_full (job->offset, G_FORMAT_SIZE_LONG_FORMAT);
      g_autofree char *b = g_format_size_full (want_size, G_FORMAT_SIZE_LONG_FORMAT);

      remove_partial (job);
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_VERIFY,
                   _("The download is %s, but the file should be %s: it was deleted"), a, b);
      return FALSE;
    }
  if (g_ascii_strcasecmp (got, job->sha256) != 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_VERIFY,
                   _("The download is not the expected file (SHA-256 %s, expected %s): it was deleted"),
                   got, job->sha256);
      remove_partial (job);
      return FALSE;
    }
  if (g_rename (job->part, job->dest) != 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                   _("Could not move the download to %s: %s"), job->dest, g_strerror (errno));
      return FALSE;
    }
  g_unlink (job->state_path);
  return TRUE;
}

static gboolean
sleep_cancellable (guint         ms,
                   GCancellable *cancellable)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (g_cancellable_is_cancelled (cancellable))
        return FALSE;
      g_usleep (MIN (50 * 1000, (gulong) MAX (end - g_get_monotonic_time (), 0)));
    }
  return !g_cancellable_is_cancelled (cancellable);
}

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (job->dest);
  guint delay = job->first_delay_ms;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_task_return_new_error (task, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_FILE,
                               _("Could not create %s: %s"), dir, g_strerror (errno));
      return;
    }
  /* The system's proxy settings (GNOME's, or the environment's). */
  session = soup_session_new_with_options ("proxy-resolver", g_proxy_resolver_get_default (),
                                           "user-agent", "Hearth/" PACKAGE_VERSION " ",
                                           "timeout", 60, "idle-timeout", 60, NULL);
  for (guint try = 0;; try++)
    {
      AttemptResult r;

      g_clear_error (&error);
      r = attempt (job, session, cancellable, &error);
      if (r == ATTEMPT_OK)
        break;
      if (r == ATTEMPT_FAIL || try >= job->max_retries)
        {
          if (r == ATTEMPT_RETRY && error != NULL &&
              error->domain == HEARTH_MODELS_ERROR && error->code == HEARTH_MODELS_ERROR_NETWORK && job->offset > 0)
            g_prefix_error (&error, _("Gave up after %u tries, keeping what was downloaded to resume later. "), try + 1);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      {
        g_autofree char *notice = g_strdup_printf (_("%s. Trying again in %u s (%u of %u)"), error->message,
                                                   (delay + 999) / 1000, try + 1, job->max_retries);

        report (job, notice, TRUE);
      }
      if (!sleep_cancellable (delay, cancellable))
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          return;
        }
      delay = MIN (delay * 2, 60000u);
    }
  if (!verify_and_finish (job, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
set_state (HearthDownload      *self,
           HearthDownloadState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
}

static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  HearthDownload *self = HEARTH_DOWNLOAD (source);
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* The last report first, so that the numbers are final when the state is. */
  g_mutex_lock (&self->lock);
  if (self->report_source != 0)
    {
      GSource *s = g_main_context_find_source_by_id (self->context, self->report_source);

      if (s != NULL)
        g_source_destroy (s);
      self->report_source = 1;  /* so deliver_report()'s reset is the only one */
    }
  g_mutex_unlock (&self->lock);
  deliver_report (self);

  g_clear_object (&self->cancellable);
  if (ok)
    {
      self->received = self->total != 0 ? self->total : self->received;
      set_state (self, HEARTH_DOWNLOAD_DONE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->cancelling)
    {
      g_autofree char *part = hearth_download_dup_part_path (self->dest);
      g_autofree char *state = hearth_download_dup_state_path (self->dest);

      g_unlink (part);
      g_unlink (state);
      self->received = 0;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RECEIVED]);
      set_state (self, HEARTH_DOWNLOAD_CANCELLED);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_state (self, HEARTH_DOWNLOAD_PAUSED);
  else
    {
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      set_state (self, HEARTH_DOWNLOAD_FAILED);
    }
  self->pausing = self->cancelling = FALSE;
  g_signal_emit (self, signals[FINISHED], 0);
}

void
hearth_download_start (HearthDownload *self)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));
  if (self->state == HEARTH_DOWNLOAD_RUNNING || self->state == HEARTH_DOWNLOAD_DONE)
    return;
  g_clear_error (&self->error);
  g_clear_pointer (&self->notice, g_free);
  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->url = g_strdup (self->url);
  job->dest = g_strdup (self->dest);
  job->part = hearth_download_dup_part_path (self->dest);
  job->state_path = hearth_download_dup_state_path (self->dest);
  job->sha256 = g_strdup (self->sha256);
  job->sha256_given = self->sha256 != NULL;
  job->size = self->size;
  job->max_retries = self->max_retries;
  job->first_delay_ms = self->first_delay_ms;
  job->log = self->log ? hearth_network_log_ref (self->log) : NULL;
  job->checksum = g_checksum_new (G_CHECKSUM_SHA256);
  job->transferred = self->transferred;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, run_done, NULL);
  g_task_set_source_tag (task, hearth_download_start);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  /* Cancellation is the run's own business: it reports what it kept. */
  g_task_set_check_cancellable (task, FALSE);
  set_state (self, HEARTH_DOWNLOAD_RUNNING);
  g_task_run_in_thread (task, run_thread);
}

void
hearth_download_pause (HearthDownload *self)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));
  if (self->state != HEARTH_DOWNLOAD_RUNNING)
    return;
  self->pausing = TRUE;
  g_cancellable_cancel (self->cancellable);
}

void
hearth_download_cancel (HearthDownload *self)
{
  g_return_if_fail (HEARTH_IS_DOWNLOAD (self));
  if (self->state == HEARTH_DOWNLOAD_RUNNING)
    {
      self->cancelling = TRUE;
      g_cancellable_cancel (self->cancellable);
      return;
    }
  if (self->state != HEARTH_DOWNLOAD_DONE)
    {
      g_autofree char *part = hearth_download_dup_part_path (self->dest);
      g_autofree char *state = hearth_download_dup_state_path (self->dest);

      g_unlink (part);
      g_unlink (state);
      set_state (self, HEARTH_DOWNLOAD_CANCELLED);
    }
}

/* ---- downloads left partial ---- */

void
hearth_partial_download_free (HearthPartialDownload *partial)
{
  if (partial == NULL)
    return;
  g_free (partial->dest);
  g_free (partial->url);
  g_free (partial);
}

static int
compare_partial (gconstpointer a,
                 gconstpointer b)
{
  const HearthPartialDownload *x = *(HearthPartialDownload * const *) a;
  const HearthPartialDownload *y = *(HearthPartialDownload * const *) b;

  return g_strcmp0 (x->dest, y->dest);
}

GPtrArray *
hearth_download_list_partial (const char *dir)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_partial_download_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *dest = NULL, *part = NULL, *state_path = NULL;
      PartState st = { 0 };
      HearthPartialDownload *p;
      GStatBuf sb;

      if (!g_str_has_suffix (name, ".part") || strlen (name) == strlen (".part"))
        continue;
      part = g_build_filename (dir, name, NULL);
      dest = g_strndup (part, strlen (part) - strlen (".part"));
      state_path = hearth_download_dup_state_path (dest);
      if (g_stat (part, &sb) != 0 || !S_ISREG (sb.st_mode) || !read_part_state (state_path, &st) ||
          st.url[0] == '\0')
        {
          part_state_clear (&st);
          continue;
        }
      p = g_new0 (HearthPartialDownload, 1);
      p->dest = g_steal_pointer (&dest);
      p->url = g_steal_pointer (&st.url);
      p->received = (guint64) sb.st_size;
      p->total = st.total;
      part_state_clear (&st);
      g_ptr_array_add (out, p);
    }
  g_ptr_array_sort (out, compare_partial);
  return out;
}

gboolean
hearth_download_discard_partial (const char *dest,
                                 GError    **error)
{
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *state = hearth_download_dup_state_path (dest);

  if (g_unlink (part) != 0 && errno != ENOENT)
    {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not remove %s: %s"), part, g_strerror (e));
      return FALSE;
    }
  if (g_unlink (state) != 0 && errno != ENOENT)
    {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not remove %s: %s"), state, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}

char *
hearth_partial_download_dup_progress_text (const HearthPartialDownload *partial)
{
  g_autofree char *got = g_format_size (partial->received);
  g_autofree char *total = partial->total != 0 ? g_format_size (partial->total) : NULL;

  return total != NULL ? g_strdup_printf (_("%s of %s"), got, total) : g_steal_pointer (&got);
}

/* ---- the object ---- */

static void
hearth_download_finalize (GObject *object)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  g_free (self->url);
  g_free (self->dest);
  g_free (self->sha256);
  g_free (self->notice);
  g_free (self->rep_notice);
  g_clear_error (&self->error);
  g_clear_pointer (&self->log, hearth_network_log_unref);
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (hearth_download_parent_class)->finalize (object);
}

static void
hearth_download_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  HearthDownload *self = HEARTH_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_int (value, self->state); break;
    case PROP_RECEIVED: g_value_set_uint64 (value, self->received); break;
    case PROP_TOTAL: g_value_set_uint64 (value, self->total); break;
    case PROP_RATE: g_value_set_double (value, self->rate); break;
    case PROP_NOTICE: g_value_set_string (value, self->notice); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_download_class_init (HearthDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hearth_download_finalize;
  object_class->get_property = hearth_download_get_property;
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, 0, HEARTH_DOWNLOAD_CANCELLED, 0,
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_RECEIVED] = g_param_spec_uint64 ("received", NULL, NULL, 0, G_MAXUINT64, 0,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0,
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_RATE] = g_param_spec_double ("rate", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_NOTICE] = g_param_spec_string ("notice", NULL, NULL, NULL,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
  /* A run ended: done, failed, paused or cancelled (see :state). */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_download_init (HearthDownload *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->max_retries = 4;
  self->first_delay_ms = 1000;
}

HearthDownload *
hearth_download_new (const char       *url,
                     const char       *dest,
                     HearthNetworkLog *log)
{
  HearthDownload *self = g_object_new (HEARTH_TYPE_DOWNLOAD, NULL);

  self->url = g_strdup (url);
  self->dest = g_strdup (dest);
  self->log = log != NULL ? hearth_network_log_ref (log) : NULL;
  return self;
}

void
hearth_download_set_expected (HearthDownload *self,
                              const char     *sha256,
                              guint64         size)
{
  g_free (self->sha256);
  self->sha256 = sha256 != NULL ? g_ascii_strdown (sha256, -1) : NULL;
  self->size = size;
}

void
hearth_download_set_retries (HearthDownload *self,
                             guint           max_retries,
                             guint           first_delay_ms)
{
  self->max_retries = max_retries;
  self->first_delay_ms = MAX (first_delay_ms, 1u);
}

const char *hearth_download_get_url (HearthDownload *self) { return self->url; }
const char *hearth_download_get_dest (HearthDownload *self) { return self->dest; }
HearthDownloadState hearth_download_get_state (HearthDownload *self) { return self->state; }
guint64 hearth_download_get_received (HearthDownload *self) { return self->received; }
guint64 hearth_download_get_total (HearthDownload *self) { return self->total; }
double hearth_download_get_rate (HearthDownload *self) { return self->rate; }
guint64 hearth_download_get_transferred (HearthDownload *self) { return self->transferred; }
const char *hearth_download_get_notice (HearthDownload *self) { return self->notice; }
const GError *hearth_download_get_error (HearthDownload *self) { return self->error; }

gint64
hearth_download_get_eta (HearthDownload *self)
{
  if (self->rate <= 0 || self->total == 0 || self->received > self->total)
    return -1;
  return (gint64) ((double) (self->total - self->received) / self->rate + 0.5);
}

char *
hearth_download_dup_progress_text (HearthDownload *self)
{
  g_autofree char *got = g_format_size (self->received);
  g_autofree char *total = self->total != 0 ? g_format_size (self->total) : NULL;
  g_autofree char *rate = self->rate > 0 ? g_format_size ((guint64) self->rate) : NULL;
  gint64 eta = hearth_download_get_eta (self);
  GString *s = g_string_new (NULL);

  if (total != NULL)
    g_string_append_printf (s, _("%s of %s"), got, total);
  else
    g_string_append (s, got);
  if (rate != NULL)
    g_string_append_printf (s, _(" · %s/s"), rate);
  if (eta >= 0 && self->state == HEARTH_DOWNLOAD_RUNNING)
    {
      if (eta < 60)
        g_string_append_printf (s, g_dngettext (GETTEXT_PACKAGE, " · %d second left", " · %d seconds left", (gulong) eta), (int) eta);
      else if (eta < 3600)
        g_string_append_printf (s, g_dngettext (GETTEXT_PACKAGE, " · %d minute left", " · %d minutes left", (gulong) (eta / 60)), (int) (eta / 60));
      else
        g_string_append_printf (s, _(" · %d h %02d min left"), (int) (eta / 3600), (int) (eta % 3600 / 60));
    }
  return g_string_free (s, FALSE);
}
