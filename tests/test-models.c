/* test-models.c: the catalog, the fit check and downloads against a real HTTP server with faults
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server is a small HTTP/1.1 server on a loopback socket in this
 * process (a thread per connection), because the faults need byte-level
 * control: it serves a generated 8 MiB file with ETag, Range/If-Range and
 * the X-Linked-Etag/X-Linked-Size headers a model hub sends, and on request
 * drops the connection mid-body, ignores Range, changes the file, answers
 * 404/500, or sends slowly. Downloads run through HearthDownload in the
 * test and through `hearth-cli models download` (kill -9 then resume, a
 * file-size limit for a full disk, nothing registered unless verified).
 * Every number asserted is computed from the served bytes.
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hearth-catalog.h"
#include "hearth-download.h"
#include "hearth-engine.h"
#include "hearth-hf-import.h"
#include "hearth-model-fit.h"
#include "hearth-models-error.h"
#include "hearth-network-log.h"
#include "hearth-test.h"

#define FILE_SIZE (8u * 1024 * 1024)
#define DROP_AT (3u * 1024 * 1024)
#define FILE_PATH "/models/test.gguf"

/* ---- the server ---- */

typedef struct
{
  GMutex             lock;
  GSocketService    *service;
  guint16            port;
  GBytes            *content;
  char              *etag;
  char              *sha256;
  GBytes            *next_content;   /* after the first drop, the file changes to this */
  gboolean           ignore_range;
  gboolean           no_linked;      /* no X-Linked-Etag: nothing to verify against */
  char              *linked_sha;     /* what X-Linked-Etag claims (default: the truth) */
  guint              fail_status;
  guint              fail_count;
  guint              drop_count;
  guint64            drop_after;
  guint              slow_us;        /* sleep per 64 KiB */
  GPtrArray         *ranges;         /* per request to the file: its Range header or "-" */
  GArray            *sent;           /* per request to the file: body bytes sent (guint64) */
} Server;

static Server server;

static char *
sha256_of (GBytes *b)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, b);
}

/* A real model (stories260K, so that the registry reads its header and it
 * loads), followed by pseudo-random bytes from @seed up to FILE_SIZE: a
 * GGUF file may carry data past its tensors. */
static GBytes *
make_content (guint32 seed)
{
  guint8 *data = g_malloc (FILE_SIZE);
  g_autoptr(GBytes) model = hearth_test_load_data ("models", "stories260K", "stories260K-f32.gguf", NULL);
  gsize start = g_bytes_get_size (model);
  guint32 x = seed;

  ck_assert_uint_lt (start, DROP_AT);
  memcpy (data, g_bytes_get_data (model, NULL), start);
  for (gsize i = start; i < FILE_SIZE; i++)
    {
      x = x * 1664525u + 1013904223u;
      data[i] = (guint8) (x >> 24);
    }
  return g_bytes_new_take (data, FILE_SIZE);
}

static void
write_str (GOutputStream *out,
           const char    *s)
{
  g_output_stream_write_all (out, s, strlen (s), NULL, NULL, NULL);
}

static gpointer
serve_connection (gpointer data)
{
  g_autoptr(GSocketConnection) conn = data;
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autofree char *request = NULL, *range = NULL, *if_range = NULL, *path = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *etag = NULL, *linked = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  guint64 start = 0, len, drop = G_MAXUINT64, sent = 0;
  gboolean partial = FALSE, change_after = FALSE;
  guint fail = 0, slow_us, index;
  char *line;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  request = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (request == NULL)
    return NULL;
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL && *line != '\0')
    {
      if (g_ascii_strncasecmp (line, "Range:", 6) == 0)
        range = g_strdup (g_strstrip (line + 6));
      else if (g_ascii_strncasecmp (line, "If-Range:", 9) == 0)
        if_range = g_strdup (g_strstrip (line + 9));
      g_free (line);
    }
  g_free (line);
  {
    g_auto(GStrv) parts = g_strsplit (request, " ", 3);

    path = g_strdup (parts[1] ? parts[1] : "/");
  }

  if (strcmp (path, "/missing.gguf") == 0)
    {
      write_str (out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return NULL;
    }
  if (g_str_has_prefix (path, "/api/models/"))
    {
      /* A hub's API: owner/repo lists two GGUF files (one in a folder the
       * listing does not descend into), a README, safetensors and a
       * folder; owner/broken's listing is not JSON; any other is 404. */
      g_autofree char *body = NULL;

      g_mutex_lock (&server.lock);
      if (strcmp (path, "/api/models/owner/repo/tree/main") == 0)
        body = g_strdup_printf (
          "[{\"type\":\"file\",\"path\":\".gitattributes\",\"size\":1519},"
          "{\"type\":\"file\",\"path\":\"README.md\",\"size\":2048},"
          "{\"type\":\"directory\",\"path\":\"more\",\"size\":0},"
          "{\"type\":\"file\",\"path\":\"tiny-q8_0.gguf\",\"size\":%u,"
          "\"lfs\":{\"oid\":\"%s\",\"size\":%u,\"pointerSize\":135}},"
          "{\"type\":\"file\",\"path\":\"model.safetensors\",\"size\":5000,"
          "\"lfs\":{\"oid\":\"%064u\",\"size\":5000,\"pointerSize\":135}},"
          "{\"type\":\"file\",\"path\":\"big-f16.gguf\",\"size\":4294967296,"
          "\"lfs\":{\"oid\":\"%064u\",\"size\":4294967296,\"pointerSize\":135}}]",
          FILE_SIZE, server.sha256, FILE_SIZE, 1u, 2u);
      else if (strcmp (path, "/api/models/owner/broken/tree/main") == 0)
        body = g_strdup ("[{\"type\": \"file\", \"path\": ");
      g_mutex_unlock (&server.lock);
      if (body == NULL)
        write_str (out, "HTTP/1.1 404 Not Found\r\nContent-Length: 32\r\nConnection: close\r\n\r\n"
                        "{\"error\":\"Repository Not Found\"}");
      else
        {
          g_string_printf (head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT
                           "\r\nConnection: close\r\n\r\n", strlen (body));
          write_str (out, head->str);
          write_str (out, body);
        }
      return NULL;
    }
  if (strcmp (path, "/hub/test.gguf") == 0)
    {
      /* A hub: the file's hash and size on the redirect to the storage host. */
      g_mutex_lock (&server.lock);
      g_string_printf (head, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%u" FILE_PATH "\r\n"
                       "X-Linked-Etag: \"%s\"\r\nX-Linked-Size: %u\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                       server.port, server.linked_sha ? server.linked_sha : server.sha256, FILE_SIZE);
      g_mutex_unlock (&server.lock);
      write_str (out, head->str);
      return NULL;
    }

  g_mutex_lock (&server.lock);
  index = server.ranges->len;
  g_ptr_array_add (server.ranges, g_strdup (range ? range : "-"));
  g_array_append_val (server.sent, sent);
  if (server.fail_count > 0)
    {
      server.fail_count--;
      fail = server.fail_status;
    }
  content = g_bytes_ref (server.content);
  etag = g_strdup (server.etag);
  linked = g_strdup (server.linked_sha ? server.linked_sha : server.sha256);
  if (server.drop_count > 0)
    {
      server.drop_count--;
      drop = server.drop_after;
      change_after = server.next_content != NULL;
    }
  slow_us = server.slow_us;
  if (range != NULL && !server.ignore_range && (if_range == NULL || strcmp (if_range, etag) == 0))
    {
      start = g_ascii_strtoull (range + strlen ("bytes="), NULL, 10);
      partial = start < g_bytes_get_size (content);
    }
  if (change_after)
    {
      /* The file changes on the server while this copy is being sent. */
      g_bytes_unref (server.content);
      server.content = g_steal_pointer (&server.next_content);
      g_free (server.sha256);
      server.sha256 = sha256_of (server.content);
      g_free (server.etag);
      server.etag = g_strdup ("\"v2\"");
    }
  g_mutex_unlock (&server.lock);

  if (fail != 0)
    {
      g_string_printf (head, "HTTP/1.1 %u %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                       fail, fail == 404 ? "Not Found" : "Internal Server Error");
      write_str (out, head->str);
      return NULL;
    }
  len = g_bytes_get_size (content) - start;
  if (partial)
    g_string_printf (head, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %" G_GUINT64_FORMAT "-%" G_GSIZE_FORMAT
                     "/%" G_GSIZE_FORMAT "\r\n", start, g_bytes_get_size (content) - 1, g_bytes_get_size (content));
  else
    g_string_printf (head, "HTTP/1.1 200 OK\r\n");
  g_string_append_printf (head, "Content-Length: %" G_GUINT64_FORMAT "\r\nETag: %s\r\nConnection: close\r\n", len, etag);
  if (!server.ignore_range)
    g_string_append (head, "Accept-Ranges: bytes\r\n");
  if (!server.no_linked)
    g_string_append_printf (head, "X-Linked-Etag: \"%s\"\r\nX-Linked-Size: %" G_GSIZE_FORMAT "\r\n",
                            linked, g_bytes_get_size (content));
  g_string_append (head, "\r\n");
  write_str (out, head->str);

  while (sent < len && sent < drop)
    {
      gsize n = (gsize) MIN (MIN ((guint64) 64 * 1024, len - sent), drop - sent);

      if (!g_output_stream_write_all (out, (const guint8 *) g_bytes_get_data (content, NULL) + start + sent, n,
                                      NULL, NULL, NULL))
        break;
      sent += n;
      g_mutex_lock (&server.lock);
      g_array_index (server.sent, guint64, index) = sent;
      g_mutex_unlock (&server.lock);
      if (slow_us)
        g_usleep (slow_us);
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return NULL;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *conn,
             GObject           *source,
             gpointer           user_data)
{
  g_thread_unref (g_thread_new ("serve", serve_connection, g_object_ref (conn)));
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  GMainContext *ctx = data;
  GMainLoop *loop;

  g_main_context_push_thread_default (ctx);
  loop = g_main_loop_new (ctx, FALSE);
  g_main_loop_run (loop);  /* until the test process ends */
  return NULL;
}

static void
server_start (void)
{
  GMainContext *ctx = g_main_context_new ();
  g_autoptr(GError) error = NULL;

  g_mutex_init (&server.lock);
  server.content = make_content (1);
  server.sha256 = sha256_of (server.content);
  server.etag = g_strdup ("\"v1\"");
  server.ranges = g_ptr_array_new_with_free_func (g_free);
  server.sent = g_array_new (FALSE, TRUE, sizeof (guint64));
  server.drop_after = DROP_AT;

  g_main_context_push_thread_default (ctx);
  server.service = g_socket_service_new ();
  server.port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (server.service), NULL, &error);
  hearth_assert_no_error (error);
  g_signal_connect (server.service, "incoming", G_CALLBACK (on_incoming), NULL);
  g_socket_service_start (server.service);
  g_main_context_pop_thread_default (ctx);
  g_thread_unref (g_thread_new ("server", server_thread, ctx));
}

static char *
server_url (const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", server.port, path);
}

static guint64
server_sent (guint i)
{
  guint64 v;

  g_mutex_lock (&server.lock);
  ck_assert_uint_lt (i, server.sent->len);
  v = g_array_index (server.sent, guint64, i);
  g_mutex_unlock (&server.lock);
  return v;
}

static const char *
server_range (guint i)
{
  ck_assert_uint_lt (i, server.ranges->len);
  return g_ptr_array_index (server.ranges, i);
}

/* ---- fixture: a folder per test ---- */

static char *tmp;
static char *dest;

static void
setup (void)
{
  tmp = g_dir_make_tmp ("hearth-models-XXXXXX", NULL);
  ck_assert_ptr_nonnull (tmp);
  dest = g_build_filename (tmp, "models", "test.gguf", NULL);
  server_start ();
}

static void
teardown (void)
{
  hearth_test_rm_rf (tmp);
  g_clear_pointer (&tmp, g_free);
  g_clear_pointer (&dest, g_free);
}

/* g_format_size() puts a no-break space before the unit; the references
 * below are written with plain spaces. */
static char *
plain (const char *text)
{
  g_autoptr(GString) s = g_string_new (text);

  g_string_replace (s, "\u00a0", " ", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
file_exists (const char *path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static guint64
file_size (const char *path)
{
  GStatBuf sb;

  return g_stat (path, &sb) == 0 ? (guint64) sb.st_size : 0;
}

static void
assert_file_is (const char *path,
                GBytes     *want)
{
  g_autofree char *data = NULL;
  gsize len;

  ck_assert_msg (g_file_get_contents (path, &data, &len, NULL), "%s is missing", path);
  ck_assert_uint_eq (len, g_bytes_get_size (want));
  ck_assert_int_eq (memcmp (data, g_bytes_get_data (want, NULL), len), 0);
}

static void
assert_nothing_left (void)
{
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *state = hearth_download_dup_state_path (dest);

  ck_assert_msg (!file_exists (dest), "%s exists", dest);
  ck_assert_msg (!file_exists (part), "%s exists", part);
  ck_assert_msg (!file_exists (state), "%s exists", state);
}

static void
on_finished (HearthDownload *download,
             gpointer        loop)
{
  g_main_loop_quit (loop);
}

/* Runs @download until a run ends; @at_bytes > 0: calls @action once
 * received passes it. */
typedef void (*Action) (HearthDownload *download);

typedef struct
{
  guint64 at;
  Action  action;
  gboolean done;
} Trigger;

static void
on_received (HearthDownload *download,
             GParamSpec     *pspec,
             Trigger        *t)
{
  if (!t->done && t->action != NULL && hearth_download_get_received (download) >= t->at)
    {
      t->done = TRUE;
      t->action (download);
    }
}

static HearthDownloadState
run_download (HearthDownload *download,
              guint64         at,
              Action          action)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Trigger t = { at, action, FALSE };
  gulong a = g_signal_connect (download, "finished", G_CALLBACK (on_finished), loop);
  gulong b = g_signal_connect (download, "notify::received", G_CALLBACK (on_received), &t);

  hearth_download_start (download);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (download, a);
  g_signal_handler_disconnect (download, b);
  return hearth_download_get_state (download);
}

static HearthDownload *
new_download (const char *path)
{
  g_autofree char *url = server_url (path);
  HearthDownload *d = hearth_download_new (url, dest, NULL);

  hearth_download_set_retries (d, 3, 10);
  return d;
}

static void
assert_failed_with (HearthDownload *d,
                    int             code,
                    const char     *words)
{
  const GError *e = hearth_download_get_error (d);
  g_autofree char *message = NULL;

  ck_assert_int_eq (hearth_download_get_state (d), HEARTH_DOWNLOAD_FAILED);
  ck_assert_ptr_nonnull (e);
  ck_assert_msg (e->domain == HEARTH_MODELS_ERROR && e->code == code, "error %s:%d: %s",
                 g_quark_to_string (e->domain), e->code, e->message);
  message = plain (e->message);
  ck_assert_msg (strstr (message, words) != NULL, "'%s' does not say '%s'", message, words);
}

/* ---- downloads ---- */

START_TEST (test_download_complete)
{
  g_autoptr(HearthDownload) d = NULL;
  g_autoptr(HearthNetworkLog) log = hearth_network_log_new (tmp);
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *url = server_url ("/hub/test.gguf");
  g_autoptr(GError) error = NULL;
  const HearthNetworkLogEntry *e;
  g_autofree char *host = g_strdup_printf ("127.0.0.1:%u", server.port);

  d = hearth_download_new (url, dest, log);
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
  ck_assert_uint_eq (hearth_download_get_received (d), FILE_SIZE);
  ck_assert_uint_eq (hearth_download_get_total (d), FILE_SIZE);
  ck_assert_uint_eq (hearth_download_get_transferred (d), FILE_SIZE);
  ck_assert_str_eq (server_range (0), "-");
  {
    g_autofree char *part = hearth_download_dup_part_path (dest);
    g_autofree char *state = hearth_download_dup_state_path (dest);

    ck_assert (!file_exists (part) && !file_exists (state));
  }
  /* The network log: the hub's redirect, then the file. */
  entries = hearth_network_log_read (log, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (entries->len, 2);
  e = g_ptr_array_index (entries, 0);
  ck_assert_str_eq (e->method, "GET");
  ck_assert_str_eq (e->host, host);
  ck_assert_str_eq (e->path, "/hub/test.gguf");
  ck_assert_uint_eq (e->status, 302);
  ck_assert_uint_eq (e->bytes, 0);
  e = g_ptr_array_index (entries, 1);
  ck_assert_str_eq (e->path, FILE_PATH);
  ck_assert_uint_eq (e->status, 200);
  ck_assert_uint_eq (e->bytes, FILE_SIZE);
  ck_assert_int_le (e->time, g_get_real_time ());
  ck_assert_int_gt (e->time, g_get_real_time () - 60 * G_USEC_PER_SEC);
}
END_TEST

START_TEST (test_download_drop_resumes)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autofree char *want_range = g_strdup_printf ("bytes=%u-", DROP_AT);
  g_autofree char *notice = NULL;

  server.drop_count = 1;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
  /* The second request asked for the rest only, and got only the rest. */
  ck_assert_uint_eq (server.ranges->len, 2);
  ck_assert_str_eq (server_range (0), "-");
  ck_assert_uint_eq (server_sent (0), DROP_AT);
  ck_assert_str_eq (server_range (1), want_range);
  ck_assert_uint_eq (server_sent (1), FILE_SIZE - DROP_AT);
  ck_assert_uint_eq (hearth_download_get_transferred (d), FILE_SIZE);
  notice = plain (hearth_download_get_notice (d));
  ck_assert_msg (g_str_has_prefix (notice, "The connection dropped after 3.1 MB of 8.4 MB"), "%s", notice);
  ck_assert_msg (g_str_has_suffix (notice, ". Trying again in 1 s (1 of 3)"), "%s", notice);
}
END_TEST

START_TEST (test_download_no_range_restarts)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);

  server.drop_count = 1;
  server.ignore_range = TRUE;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
  ck_assert_uint_eq (server.ranges->len, 2);
  ck_assert_uint_eq (server_sent (1), FILE_SIZE);
  ck_assert_uint_eq (hearth_download_get_transferred (d), DROP_AT + FILE_SIZE);
  ck_assert_str_eq (hearth_download_get_notice (d), "The server does not support resuming: starting again");
}
END_TEST

START_TEST (test_download_etag_changed_restarts)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autoptr(GBytes) v2 = make_content (2);

  server.drop_count = 1;
  server.next_content = g_bytes_ref (v2);
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  /* If-Range "v1" no longer matched: the whole new file, verified against
   * the hash the server now publishes. */
  assert_file_is (dest, v2);
  ck_assert_uint_eq (server.ranges->len, 2);
  ck_assert_uint_eq (server_sent (1), FILE_SIZE);
  ck_assert_str_eq (hearth_download_get_notice (d),
                    "The file changed on the server since the download began: starting again");
}
END_TEST

START_TEST (test_download_wrong_content_rejected)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autofree char *msg = NULL;

  server.linked_sha = g_strdup ("0000000000000000000000000000000000000000000000000000000000000000");
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  msg = g_strdup_printf ("The download is not the expected file (SHA-256 %s, expected %s): it was deleted",
                         server.sha256, server.linked_sha);
  assert_failed_with (d, HEARTH_MODELS_ERROR_VERIFY, msg);
  assert_nothing_left ();
}
END_TEST

START_TEST (test_download_wrong_size_rejected)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);

  hearth_download_set_expected (d, server.sha256, FILE_SIZE + 1);
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  assert_failed_with (d, HEARTH_MODELS_ERROR_VERIFY,
                      "The server offers 8.4 MB (8388608 bytes), but the file should be 8.4 MB (8388609 bytes): not downloaded");
  assert_nothing_left ();
}
END_TEST

START_TEST (test_download_no_checksum_refused)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);

  server.no_linked = TRUE;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  assert_failed_with (d, HEARTH_MODELS_ERROR_NO_CHECKSUM, "publishes no SHA-256");
  assert_nothing_left ();

  /* With the SHA-256 given, the same server's file is fine. */
  hearth_download_set_expected (d, server.sha256, 0);
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
}
END_TEST

START_TEST (test_download_404)
{
  g_autoptr(HearthDownload) d = new_download ("/missing.gguf");

  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  assert_failed_with (d, HEARTH_MODELS_ERROR_HTTP, "The server has no such file (HTTP 404 Not Found)");
  assert_nothing_left ();
}
END_TEST

START_TEST (test_download_500_retried)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);

  /* Two failures, then the file: retried with backoff. */
  server.fail_status = 500;
  server.fail_count = 2;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
  ck_assert_uint_eq (server.ranges->len, 3);

  /* Failing every time: given up after the retries, with the reason. */
  g_unlink (dest);
  g_clear_object (&d);
  d = new_download (FILE_PATH);
  server.fail_count = 100;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  assert_failed_with (d, HEARTH_MODELS_ERROR_HTTP, "The server failed (HTTP 500 Internal Server Error)");
  ck_assert_uint_eq (server.ranges->len, 3 + 4);
  assert_nothing_left ();
}
END_TEST

static void
do_pause (HearthDownload *d)
{
  hearth_download_pause (d);
}

static void
do_cancel (HearthDownload *d)
{
  hearth_download_cancel (d);
}

START_TEST (test_download_pause_resume)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *state = hearth_download_dup_state_path (dest);
  g_autofree char *want_range = NULL;
  guint64 kept;

  server.slow_us = 20000;  /* 64 KiB per 20 ms: about 3 MB/s */
  ck_assert_int_eq (run_download (d, 1024 * 1024, do_pause), HEARTH_DOWNLOAD_PAUSED);
  kept = file_size (part);
  ck_assert_uint_ge (kept, 1024 * 1024);
  ck_assert_uint_lt (kept, FILE_SIZE);
  ck_assert_uint_eq (hearth_download_get_received (d), kept);
  ck_assert (file_exists (state));
  ck_assert (!file_exists (dest));
  ck_assert_int_gt (hearth_download_get_rate (d), 0);

  server.slow_us = 0;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  assert_file_is (dest, server.content);
  want_range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", kept);
  ck_assert_str_eq (server_range (1), want_range);
  ck_assert_uint_eq (server_sent (1), FILE_SIZE - kept);
}
END_TEST

START_TEST (test_download_cancel)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);

  server.slow_us = 20000;
  ck_assert_int_eq (run_download (d, 512 * 1024, do_cancel), HEARTH_DOWNLOAD_CANCELLED);
  assert_nothing_left ();
  ck_assert_uint_eq (hearth_download_get_received (d), 0);
}
END_TEST

START_TEST (test_download_progress_text)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autofree char *raw = NULL, *text = NULL;

  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
  raw = hearth_download_dup_progress_text (d);
  text = plain (raw);
  ck_assert_msg (g_str_has_prefix (text, "8.4 MB of 8.4 MB"), "%s", text);
  ck_assert_int_eq (hearth_download_get_eta (d) <= 0, TRUE);
}
END_TEST

/* ---- hearth-cli models download ---- */

static char *
write_test_catalog (const char *url)
{
  g_autofree char *path = g_build_filename (tmp, "catalog.json", NULL);
  g_autofree char *json = g_strdup_printf (
    "{\"version\": 1, \"models\": [{\"id\": \"test-model\", \"name\": \"Test\", \"publisher\": \"Hearth tests\","
    " \"licence\": \"MIT\", \"kind\": \"chat\", \"parameters\": 260000, \"architecture\": \"llama\","
    " \"quantisation\": \"F32\", \"tensor_types\": [\"F32\"], \"n_layer\": 5, \"n_head_kv\": 4, \"head_dim\": 8,"
    " \"context_length\": 128, \"file_name\": \"test.gguf\", \"url\": \"%s\", \"description\": \"A test.\","
    " \"source\": \"https://example.org/\"}]}", url);

  ck_assert (g_file_set_contents (path, json, -1, NULL));
  return g_steal_pointer (&path);
}

static char **
cli_env (void)
{
  g_autofree char *url = server_url (FILE_PATH);
  g_autofree char *catalog = write_test_catalog (url);

  char **env = g_environ_setenv (g_get_environ (), "HEARTH_CATALOG", catalog, TRUE);

  /* These cases are about downloads; the fit check against real devices is
   * the catalog case's, in this process. Without Vulkan drivers the CLI's fit
   * check does not load lavapipe, whose one allocation at enumeration
   * (tests/lsan.supp) LeakSanitizer can only attribute with slow unwinding
   * (minutes per run in the sanitizer build) once the driver is unloaded. */
  env = g_environ_setenv (env, "VK_DRIVER_FILES", "/nonexistent/no-vulkan-driver.json", TRUE);
  return g_environ_setenv (env, "VK_ICD_FILENAMES", "/nonexistent/no-vulkan-driver.json", TRUE);
}

static GPtrArray *
cli_argv (const char *first,
          ...)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pass = g_build_filename (tmp, "pass", NULL);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  va_list ap;

  g_file_set_contents (pass, "correct horse\n", -1, NULL);
  g_ptr_array_add (argv, g_strdup (g_getenv ("HEARTH_CLI")));
  g_ptr_array_add (argv, g_strdup ("models"));
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (a));
  va_end (ap);
  g_ptr_array_add (argv, g_strdup ("--data-dir"));
  g_ptr_array_add (argv, g_strdup (data));
  g_ptr_array_add (argv, g_strdup ("--passphrase-file"));
  g_ptr_array_add (argv, g_strdup (pass));
  g_ptr_array_add (argv, NULL);
  return argv;
}

static int
run_cli (GPtrArray            *argv,
         GSpawnChildSetupFunc  setup_func,
         char                **out,
         char                **err)
{
  g_auto(GStrv) env = cli_env ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  ck_assert_msg (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, setup_func, NULL, out, err, &status,
                               &error), "%s", error ? error->message : "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
assert_registry_is (const char *want)
{
  g_autoptr(GPtrArray) argv = cli_argv ("list", NULL);
  g_autofree char *out = NULL, *err = NULL;

  ck_assert_int_eq (run_cli (argv, NULL, &out, &err), 0);
  if (want == NULL)
    ck_assert_msg (out[0] == '\0', "registered: %s", out);
  else
    ck_assert_msg (g_str_has_prefix (out, want), "registry: %s", out);
}

START_TEST (test_cli_kill_resume)
{
  g_autoptr(GPtrArray) argv = NULL;
  g_auto(GStrv) env = cli_env ();
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *want = g_strdup_printf ("%s\n", dest);
  g_autoptr(GError) error = NULL;
  GPid pid;
  int status, rc;
  guint64 first;

  /* A slow server; kill -9 once a megabyte is on disk. */
  server.slow_us = 20000;
  argv = cli_argv ("download", "test-model", "--dir", dir, NULL);
  ck_assert (g_spawn_async (NULL, (char **) argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                            G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
  for (int i = 0; i < 1000 && file_size (part) < 1024 * 1024; i++)
    g_usleep (10000);
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  first = file_size (part);
  ck_assert_uint_ge (first, 1024 * 1024);
  ck_assert_uint_lt (first, FILE_SIZE);
  assert_registry_is (NULL);

  /* Run again: it resumes where the file on disk ends. */
  server.slow_us = 0;
  rc = run_cli (argv, NULL, &out, &err);
  ck_assert_msg (rc == 0, "exit %d: %s", rc, err);
  ck_assert_str_eq (out, want);
  ck_assert_msg (strstr (err, "Resuming: ") != NULL, "%s", err);
  assert_file_is (dest, server.content);
  ck_assert_uint_eq (server.ranges->len, 2);
  ck_assert_uint_lt (server_sent (1), FILE_SIZE);
  ck_assert_uint_ge (server_sent (1), FILE_SIZE - first);
  assert_registry_is (dest);

  /* The network log, as the user reads it. */
  {
    g_autoptr(GPtrArray) log_argv = cli_argv ("log", NULL);
    g_autofree char *lout = NULL, *lerr = NULL;
    g_auto(GStrv) lines = NULL;

    ck_assert_int_eq (run_cli (log_argv, NULL, &lout, &lerr), 0);
    lines = g_strsplit (lout, "\n", -1);
    /* The resumed request (a request is logged when it ends, which the
     * killed run's never did). */
    ck_assert_uint_eq (g_strv_length (lines), 1 + 1);
    ck_assert_ptr_nonnull (strstr (lines[0], "GET 127.0.0.1:"));
    ck_assert_msg (strstr (lines[0], FILE_PATH "  206  ") != NULL, "%s", lines[0]);
  }
  /* Removing it deletes Hearth's own download. */
  {
    g_autoptr(GPtrArray) rm_argv = cli_argv ("remove", "test-model", "--dir", dir, NULL);
    g_autofree char *rout = NULL, *rerr = NULL;

    ck_assert_int_eq (run_cli (rm_argv, NULL, &rout, &rerr), 0);
    ck_assert (!file_exists (dest));
    assert_registry_is (NULL);
  }
}
END_TEST

/* A download left partial is listed (core and `models list`) with what it
 * has and how to resume it, and Discard removes it; a .part without its
 * state cannot be resumed and is not listed. */
START_TEST (test_partial_listed_and_discarded)
{
  g_autoptr(HearthDownload) d = new_download (FILE_PATH);
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *url = server_url (FILE_PATH);
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *state = hearth_download_dup_state_path (dest);
  g_autofree char *stray = g_build_filename (dir, "stray.gguf.part", NULL);
  g_autofree char *missing = g_build_filename (tmp, "nowhere", NULL);
  g_autofree char *out = NULL, *err = NULL, *want = NULL, *progress = NULL;
  g_autoptr(GPtrArray) argv = cli_argv ("list", "--dir", dir, NULL);
  g_autoptr(GPtrArray) partial = NULL;
  g_autoptr(GError) error = NULL;
  const HearthPartialDownload *p;

  hearth_download_set_retries (d, 0, 1);
  server.drop_count = 1;
  ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_FAILED);
  ck_assert_uint_eq (file_size (part), DROP_AT);
  ck_assert (g_file_set_contents (stray, "abc", 3, NULL));

  partial = hearth_download_list_partial (dir);
  ck_assert_uint_eq (partial->len, 1);
  p = g_ptr_array_index (partial, 0);
  ck_assert_str_eq (p->dest, dest);
  ck_assert_str_eq (p->url, url);
  ck_assert_uint_eq (p->received, DROP_AT);
  ck_assert_uint_eq (p->total, FILE_SIZE);
  {
    g_autofree char *text = hearth_partial_download_dup_progress_text (p);

    progress = plain (text);
  }
  ck_assert_str_eq (progress, "3.1 MB of 8.4 MB");

  ck_assert_int_eq (run_cli (argv, NULL, &out, &err), 0);
  g_free (progress);
  progress = plain (out);
  want = g_strdup_printf ("%s (unfinished download: 3.1 MB of 8.4 MB)\n  resume: hearth-cli models download %s\n",
                          dest, url);
  ck_assert_str_eq (progress, want);

  ck_assert (hearth_download_discard_partial (dest, &error));
  hearth_assert_no_error (error);
  ck_assert (!file_exists (part) && !file_exists (state));
  g_clear_pointer (&partial, g_ptr_array_unref);
  partial = hearth_download_list_partial (dir);
  ck_assert_uint_eq (partial->len, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  ck_assert_int_eq (run_cli (argv, NULL, &out, &err), 0);
  ck_assert_str_eq (out, "");
  /* Discarding what is not there is no error; nor is a folder that is not. */
  ck_assert (hearth_download_discard_partial (dest, &error));
  g_clear_pointer (&partial, g_ptr_array_unref);
  partial = hearth_download_list_partial (missing);
  ck_assert_uint_eq (partial->len, 0);
}
END_TEST

static void
limit_file_size (gpointer data)
{
  struct rlimit rl = { 2 * 1024 * 1024, 2 * 1024 * 1024 };

  /* A full disk, as a file-size limit: write() fails with EFBIG. */
  signal (SIGXFSZ, SIG_IGN);
  setrlimit (RLIMIT_FSIZE, &rl);
}

START_TEST (test_cli_disk_full)
{
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autoptr(GPtrArray) argv = cli_argv ("download", "test-model", "--dir", dir, NULL);
  g_autofree char *part = hearth_download_dup_part_path (dest);
  g_autofree char *out = NULL, *err = NULL;
  int rc;

  ck_assert_int_eq (run_cli (argv, limit_file_size, &out, &err), 1);
  ck_assert_msg (strstr (err, "hearth-cli: The disk is full: ") != NULL, "%s", err);
  ck_assert_msg (strstr (err, "free some space and download again to resume") != NULL, "%s", err);
  ck_assert (!file_exists (dest));
  /* What fitted is kept for the resume, cut at a whole chunk. */
  ck_assert_uint_le (file_size (part), 2 * 1024 * 1024);
  assert_registry_is (NULL);

  /* Space again: it finishes from there. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = run_cli (argv, NULL, &out, &err);
  ck_assert_msg (rc == 0, "exit %d: %s", rc, err);
  assert_file_is (dest, server.content);
  assert_registry_is (dest);
}
END_TEST

START_TEST (test_cli_wrong_content_never_registered)
{
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autoptr(GPtrArray) argv = cli_argv ("download", "test-model", "--dir", dir, NULL);
  g_autofree char *out = NULL, *err = NULL;

  server.linked_sha = g_strdup ("1111111111111111111111111111111111111111111111111111111111111111");
  ck_assert_int_eq (run_cli (argv, NULL, &out, &err), 1);
  ck_assert_msg (strstr (err, "hearth-cli: The download is not the expected file (SHA-256 ") != NULL, "%s", err);
  assert_nothing_left ();
  assert_registry_is (NULL);
}
END_TEST

/* ---- importing from a hub (Hugging Face's API) ---- */

static void
set_hf_endpoint (void)
{
  g_autofree char *endpoint = server_url ("");

  g_setenv ("HEARTH_HF_ENDPOINT", endpoint, TRUE);
}

START_TEST (test_hf_parse_url)
{
  g_autofree char *repo = NULL, *file = NULL;
  g_autoptr(GError) error = NULL;

  g_unsetenv ("HEARTH_HF_ENDPOINT");
  ck_assert (hearth_hf_parse_url ("https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF", &repo, &file, &error));
  ck_assert_str_eq (repo, "Qwen/Qwen2.5-0.5B-Instruct-GGUF");
  ck_assert_ptr_null (file);
  g_clear_pointer (&repo, g_free);
  ck_assert (hearth_hf_parse_url ("https://huggingface.co/Qwen/Q-GGUF/resolve/main/sub/q%208.gguf?download=true",
                                  &repo, &file, &error));
  ck_assert_str_eq (repo, "Qwen/Q-GGUF");
  ck_assert_str_eq (file, "sub/q 8.gguf");
  g_clear_pointer (&repo, g_free);
  g_clear_pointer (&file, g_free);
  ck_assert (hearth_hf_parse_url ("https://huggingface.co/a/b/", &repo, NULL, &error));
  ck_assert_str_eq (repo, "a/b");
  hearth_assert_no_error (error);

  ck_assert (!hearth_hf_parse_url ("https://example.org/a/b", NULL, NULL, &error));
  ck_assert (g_error_matches (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL));
  ck_assert_str_eq (error->message, "“https://example.org/a/b” is not the address of a repository on https://huggingface.co");
  g_clear_error (&error);
  ck_assert (!hearth_hf_parse_url ("https://huggingface.co/onlyowner", NULL, NULL, &error));
  ck_assert_str_eq (error->message, "“https://huggingface.co/onlyowner” is not the address of a repository on "
                                    "https://huggingface.co (https://huggingface.co/OWNER/REPO)");
  g_clear_error (&error);
  ck_assert (!hearth_hf_parse_url ("https://huggingface.co/a/../b", NULL, NULL, &error));
  g_clear_error (&error);
  ck_assert (!hearth_hf_parse_url ("https://huggingface.co/a/b/tree/main", NULL, NULL, &error));
}
END_TEST

START_TEST (test_hf_list_files)
{
  g_autoptr(HearthNetworkLog) log = hearth_network_log_new (tmp);
  g_autoptr(GPtrArray) files = NULL, entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  const HearthHfFile *f;

  set_hf_endpoint ();
  files = hearth_hf_list_files ("owner/repo", log, NULL, &error);
  hearth_assert_no_error (error);
  /* The GGUF files only, by name. */
  ck_assert_uint_eq (files->len, 2);
  f = g_ptr_array_index (files, 0);
  ck_assert_str_eq (f->path, "big-f16.gguf");
  ck_assert_uint_eq (f->size, G_GUINT64_CONSTANT (4294967296));
  ck_assert_str_eq (f->sha256, "0000000000000000000000000000000000000000000000000000000000000002");
  f = hearth_hf_find_file (files, "tiny-q8_0.gguf");
  ck_assert_ptr_eq (f, g_ptr_array_index (files, 1));
  ck_assert_uint_eq (f->size, FILE_SIZE);
  ck_assert_str_eq (f->sha256, server.sha256);
  url = server_url ("/owner/repo/resolve/main/tiny-q8_0.gguf");
  ck_assert_str_eq (f->url, url);
  ck_assert_ptr_null (hearth_hf_find_file (files, "model.safetensors"));
  /* The listing is in the network log. */
  entries = hearth_network_log_read (log, &error);
  ck_assert_uint_eq (entries->len, 1);
  ck_assert_str_eq (((HearthNetworkLogEntry *) g_ptr_array_index (entries, 0))->path, "/api/models/owner/repo/tree/main");
  ck_assert_uint_eq (((HearthNetworkLogEntry *) g_ptr_array_index (entries, 0))->status, 200);

  /* The chosen one, the verified way: against the listing's SHA-256. */
  {
    g_autoptr(HearthDownload) d = hearth_download_new (f->url, dest, log);

    hearth_download_set_expected (d, f->sha256, f->size);
    ck_assert_int_eq (run_download (d, 0, NULL), HEARTH_DOWNLOAD_DONE);
    assert_file_is (dest, server.content);
  }
}
END_TEST

START_TEST (test_hf_list_errors)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *want = NULL;
  GPtrArray *files;

  set_hf_endpoint ();
  files = hearth_hf_list_files ("owner/missing", NULL, NULL, &error);
  ck_assert_ptr_null (files);
  ck_assert (g_error_matches (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_HTTP));
  want = g_strdup_printf ("There is no public repository owner/missing on http://127.0.0.1:%u (HTTP 404)", server.port);
  ck_assert_str_eq (error->message, want);
  g_clear_error (&error);

  files = hearth_hf_list_files ("owner/broken", NULL, NULL, &error);
  ck_assert_ptr_null (files);
  ck_assert (g_error_matches (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_LISTING));
  ck_assert_msg (g_str_has_prefix (error->message, "The list of files of owner/broken could not be read: "), "%s",
                 error->message);
  g_clear_error (&error);

  /* Listings that parse but are not a tree. */
  ck_assert_ptr_null (hearth_hf_parse_tree ("o/r", "{\"error\": \"x\"}", -1, &error));
  ck_assert_str_eq (error->message, "The list of files of o/r could not be read: it is not a list");
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_hf_parse_tree ("o/r", "[{\"type\": \"file\", \"path\": \"a.gguf\", \"size\": 3}]", -1,
                                            &error));
  ck_assert_str_eq (error->message,
                    "The list of files of o/r could not be read: a.gguf has no SHA-256 and size to verify it against");
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_hf_parse_tree ("o/r", "[3]", -1, &error));
  ck_assert_str_eq (error->message, "The list of files of o/r could not be read: an entry is not an object");
}
END_TEST

START_TEST (test_cli_hf_download)
{
  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *repo_url = server_url ("/owner/repo");
  g_autofree char *missing_url = server_url ("/owner/missing");
  g_autoptr(GPtrArray) list_argv = cli_argv ("download", repo_url, "--dir", dir, NULL);
  g_autoptr(GPtrArray) get_argv = cli_argv ("download", repo_url, "--file", "tiny-q8_0.gguf", "--dir", dir, NULL);
  g_autoptr(GPtrArray) nofile_argv = cli_argv ("download", repo_url, "--file", "nope.gguf", "--dir", dir, NULL);
  g_autoptr(GPtrArray) missing_argv = cli_argv ("download", missing_url, "--dir", dir, NULL);
  g_autofree char *out = NULL, *err = NULL, *text = NULL, *want = NULL;
  g_autofree char *tiny = g_build_filename (dir, "tiny-q8_0.gguf", NULL);

  set_hf_endpoint ();
  /* No --file and no terminal: the list, with sizes and fit, and how to choose. */
  ck_assert_int_eq (run_cli (list_argv, NULL, &out, &err), 1);
  text = plain (out);
  ck_assert_msg (g_str_has_prefix (text, "GGUF files in owner/repo:\n  1  big-f16.gguf  4.3 GB\n     "), "%s", text);
  ck_assert_msg (strstr (text, "\n  2  tiny-q8_0.gguf  8.4 MB\n     ") != NULL, "%s", text);
  ck_assert_msg (strstr (text, " of weights, ") != NULL, "%s", text);
  ck_assert_str_eq (err, "hearth-cli: choose one with --file NAME\n");
  ck_assert (!file_exists (tiny));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  ck_assert_int_eq (run_cli (nofile_argv, NULL, &out, &err), 1);
  ck_assert_str_eq (err, "hearth-cli: owner/repo has no GGUF file nope.gguf (see the list without --file)\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  ck_assert_int_eq (run_cli (missing_argv, NULL, &out, &err), 1);
  want = g_strdup_printf ("hearth-cli: There is no public repository owner/missing on http://127.0.0.1:%u (HTTP 404)\n",
                          server.port);
  ck_assert_str_eq (err, want);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  ck_assert_int_eq (run_cli (get_argv, NULL, &out, &err), 0);
  g_free (want);
  want = g_strdup_printf ("%s\n", tiny);
  ck_assert_str_eq (out, want);
  assert_file_is (tiny, server.content);
  assert_registry_is (tiny);
}
END_TEST

/* ---- the catalog ---- */

START_TEST (test_catalog_builtin)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCatalog) catalog = NULL;
  g_autoptr(GBytes) schema_bytes = hearth_catalog_dup_schema ();
  g_autoptr(GBytes) doc_bytes = g_resources_lookup_data (HEARTH_CATALOG_RESOURCE, 0, NULL);
  g_autoptr(HearthJsonValue) schema = NULL;
  g_autoptr(HearthJsonValue) doc = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  g_unsetenv ("HEARTH_CATALOG");
  catalog = hearth_catalog_load_default (&error);
  hearth_assert_no_error (error);
  ck_assert_uint_ge (hearth_catalog_get_n_entries (catalog), 8);

  /* The document against its JSON schema. */
  ck_assert_ptr_nonnull (schema_bytes);
  ck_assert_ptr_nonnull (doc_bytes);
  schema = hearth_json_parse (g_bytes_get_data (schema_bytes, NULL), (gssize) g_bytes_get_size (schema_bytes), &error);
  hearth_assert_no_error (error);
  doc = hearth_json_parse (g_bytes_get_data (doc_bytes, NULL), (gssize) g_bytes_get_size (doc_bytes), &error);
  hearth_assert_no_error (error);
  ck_assert_msg (hearth_tool_arguments_validate (schema, doc, &error), "%s", error ? error->message : "");

  for (guint i = 0; i < hearth_catalog_get_n_entries (catalog); i++)
    {
      const HearthCatalogEntry *e = hearth_catalog_get_entry (catalog, i);

      ck_assert_msg (g_hash_table_add (ids, e->id), "id %s twice", e->id);
      ck_assert_msg (g_str_has_prefix (e->url, "https://"), "%s: %s", e->id, e->url);
      ck_assert_msg (g_str_has_prefix (e->source, "https://"), "%s: %s", e->id, e->source);
      ck_assert_msg (g_str_has_suffix (e->url, e->file_name), "%s: %s", e->id, e->url);
      ck_assert_msg (hearth_architecture_supported (e->architecture), "%s: %s", e->id, e->architecture);
      /* Only what the engine runs today: chat decoders (no BERT encoder yet). */
      ck_assert_str_eq (e->kind, "chat");
      for (guint j = 0; e->tensor_types[j] != NULL; j++)
        {
          HearthGgmlType type;

          ck_assert (hearth_ggml_type_from_name (e->tensor_types[j], &type));
          ck_assert_msg (hearth_tensor_type_supported (type), "%s: %s", e->id, e->tensor_types[j]);
        }
      ck_assert_msg (hearth_fit_bits_per_weight (e->quantisation) > 0, "%s: %s", e->id, e->quantisation);
      ck_assert (e->parameters >= 400000000ull && e->parameters <= 9000000000ull);
      ck_assert_ptr_eq (hearth_catalog_lookup (catalog, e->id), e);
    }
  ck_assert_ptr_null (hearth_catalog_lookup (catalog, "no-such-model"));
}
END_TEST

static void
assert_catalog_refused (const char *entry_patch,
                        int         code,
                        const char *message)
{
  g_autofree char *json = g_strdup_printf (
    "{\"version\": 1, \"models\": [{\"id\": \"a\", \"name\": \"A\", \"publisher\": \"P\", \"licence\": \"MIT\","
    " \"kind\": \"chat\", \"parameters\": 1000, \"architecture\": \"llama\", \"quantisation\": \"Q8_0\","
    " \"tensor_types\": [\"Q8_0\", \"F32\"], \"n_layer\": 2, \"n_head_kv\": 1, \"head_dim\": 8,"
    " \"context_length\": 128, \"file_name\": \"a.gguf\", \"url\": \"https://example.org/a.gguf\","
    " \"description\": \"d\", \"source\": \"https://example.org/\"%s}]}", entry_patch);
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthCatalog) catalog = hearth_catalog_load_bytes (bytes, &error);

  if (code < 0)
    {
      hearth_assert_no_error (error);
      ck_assert_ptr_nonnull (catalog);
      return;
    }
  ck_assert_ptr_null (catalog);
  ck_assert_ptr_nonnull (error);
  ck_assert_int_eq (error->code, code);
  ck_assert_str_eq (error->message, message);
}

START_TEST (test_catalog_refusals)
{
  assert_catalog_refused ("", -1, NULL);
  /* json-glib keeps the last of two equal members: the test replaces them. */
  assert_catalog_refused (", \"architecture\": \"gpt2\"", HEARTH_MODELS_ERROR_UNSUPPORTED,
                          "catalog: model 'a': the engine does not run architecture 'gpt2'");
  assert_catalog_refused (", \"tensor_types\": [\"IQ2_XXS\"]", HEARTH_MODELS_ERROR_UNSUPPORTED,
                          "catalog: model 'a': the engine does not compute tensor type 'IQ2_XXS'");
  assert_catalog_refused (", \"url\": \"http://example.org/a.gguf\"", HEARTH_MODELS_ERROR_URL,
                          "catalog: model 'a': 'http://example.org/a.gguf' is not an https address; "
                          "Hearth downloads models only over https");
  assert_catalog_refused (", \"sha256\": \"ABC\"", HEARTH_MODELS_ERROR_CATALOG,
                          "catalog: model 'a': sha256 must be 64 lower-case hex digits");
  assert_catalog_refused (", \"file_name\": \"../a.gguf\"", HEARTH_MODELS_ERROR_CATALOG,
                          "catalog: model 'a': file name '../a.gguf' must be a plain *.gguf name");
  assert_catalog_refused ("}, {\"id\": \"a\"", HEARTH_MODELS_ERROR_CATALOG,
                          "catalog: model 'a': 'name' must be a non-empty string");
  {
    const char *dup = "{\"version\": 1, \"models\": []}";
    g_autoptr(GBytes) b = g_bytes_new_static (dup, strlen (dup));
    g_autoptr(HearthCatalog) c = hearth_catalog_load_bytes (b, NULL);

    ck_assert_uint_eq (hearth_catalog_get_n_entries (c), 0);
  }
  {
    const char *v2 = "{\"version\": 2, \"models\": []}";
    g_autoptr(GBytes) b = g_bytes_new_static (v2, strlen (v2));
    g_autoptr(GError) error = NULL;

    ck_assert_ptr_null (hearth_catalog_load_bytes (b, &error));
    ck_assert_str_eq (error->message, "catalog: version 2 is not the one this Hearth reads (1)");
  }
}
END_TEST

START_TEST (test_catalog_duplicate_id)
{
  const char *one = "{\"id\": \"x\", \"name\": \"X\", \"publisher\": \"P\", \"licence\": \"MIT\", \"kind\": \"chat\","
                    " \"parameters\": 1000, \"architecture\": \"qwen3\", \"quantisation\": \"Q8_0\", \"tensor_types\": [\"Q8_0\"],"
                    " \"n_layer\": 2, \"n_head_kv\": 1, \"head_dim\": 8, \"context_length\": 128, \"file_name\": \"x.gguf\","
                    " \"url\": \"https://example.org/x.gguf\", \"description\": \"d\", \"source\": \"https://example.org/\"}";
  g_autofree char *json = g_strdup_printf ("{\"version\": 1, \"models\": [%s, %s]}", one, one);
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  g_autoptr(GError) error = NULL;

  ck_assert_ptr_null (hearth_catalog_load_bytes (bytes, &error));
  ck_assert_str_eq (error->message, "catalog: id 'x' is used twice");
}
END_TEST

/* ---- the fit check ---- */

#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

START_TEST (test_fit_verdicts)
{
  /* 7B-like: 4 GiB of weights, 32 layers, 8 KV heads of 128, 4096 tokens:
   * KV = 2 * 32 * 8 * 128 * 4096 * 2 bytes = 512 MiB. */
  HearthFitModel m = { 4 * GiB, 32, 8, 128, 4096 };
  HearthFitDevice big = { (char *) "Big GPU", 8 * GiB, FALSE, FALSE };
  HearthFitDevice small = { (char *) "Small GPU", 2 * GiB, FALSE, FALSE };
  HearthFitDevice lavapipe = { (char *) "llvmpipe", 64 * GiB, TRUE, TRUE };
  HearthFitMachine gpu = { 16 * GiB, 1, &big };
  HearthFitMachine part = { 16 * GiB, 1, &small };
  HearthFitMachine cpu = { 16 * GiB, 1, &lavapipe };
  HearthFitMachine tiny = { 3 * GiB, 0, NULL };
  g_autoptr(HearthFit) f1 = hearth_fit_check (&m, &gpu);
  g_autoptr(HearthFit) f2 = hearth_fit_check (&m, &part);
  g_autoptr(HearthFit) f3 = hearth_fit_check (&m, &cpu);
  g_autoptr(HearthFit) f4 = hearth_fit_check (&m, &tiny);
  guint64 slice = 4 * GiB / 33, kv_layer = 16 * MiB;
  guint32 n = (guint32) ((2 * GiB - 512 * MiB) / (slice + kv_layer));
  g_autofree char *s1 = plain (f1->summary), *s2 = plain (f2->summary), *s3 = plain (f3->summary), *s4 = plain (f4->summary);

  ck_assert_uint_eq (f1->kv_bytes, 512 * MiB);
  ck_assert_int_eq (f1->verdict, HEARTH_FIT_GPU);
  ck_assert_uint_eq (f1->gpu_layers, 32);
  ck_assert_uint_eq (f1->gpu_needed, 4 * GiB + 512 * MiB);
  ck_assert_uint_eq (f1->ram_needed, 512 * MiB);
  ck_assert_str_eq (s1, "Runs on the GPU: 4.8 GB of 8.6 GB on Big GPU (4.3 GB of weights, "
                                 "536.9 MB for 4096 tokens of context)");

  ck_assert_int_eq (f2->verdict, HEARTH_FIT_PARTIAL_GPU);
  ck_assert_uint_eq (n, 10);
  ck_assert_uint_eq (f2->gpu_layers, n);
  ck_assert_uint_eq (f2->gpu_needed, n * (slice + kv_layer));
  ck_assert_uint_eq (f2->ram_needed, 4 * GiB + 512 * MiB - n * (slice + kv_layer) + 512 * MiB);
  ck_assert_msg (g_str_has_prefix (s2, "Partly on the GPU: 10 of 32 layers on Small GPU"), "%s", s2);

  ck_assert_int_eq (f3->verdict, HEARTH_FIT_CPU);
  ck_assert_uint_eq (f3->gpu_layers, 0);
  ck_assert_ptr_null (f3->device);
  ck_assert_uint_eq (f3->ram_needed, 4 * GiB + 512 * MiB + 512 * MiB);
  ck_assert_str_eq (s3, "CPU only: needs 5.4 GB of memory (4.3 GB of weights, 536.9 MB for 4096 tokens "
                                 "of context), 17.2 GB is free");

  ck_assert_int_eq (f4->verdict, HEARTH_FIT_TOO_LARGE);
  ck_assert_str_eq (hearth_fit_verdict_to_string (f4->verdict), "too-large");
  ck_assert_str_eq (s4, "Too large: needs 5.4 GB of memory (4.3 GB of weights, 536.9 MB for 4096 tokens "
                                 "of context), 3.2 GB is free");
}
END_TEST

/* gemma3's sliding layers keep a ring of their window and one batch: the
 * fit check counts the KV memory the engine's session allocates. */
START_TEST (test_fit_sliding_window)
{
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", "synth-gemma3-F32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  HearthFitModel m;
  HearthFitMachine none = { 64 * GiB, 0, NULL };
  g_autoptr(HearthFit) fit = NULL;
  HearthSessionParams sp;
  guint64 engine_bytes = 0;

  ck_assert (hearth_fit_model_from_file (path, 1024, &m, &error));
  ck_assert_uint_eq (m.n_swa, 8);
  ck_assert_uint_eq (m.swa_pattern, 2);
  fit = hearth_fit_check (&m, &none);
  model = hearth_model_load (path, NULL, &error);
  hearth_assert_no_error (error);
  hearth_session_params_init (&sp);
  sp.n_ctx = 1024;
  session = hearth_session_new (model, &sp, &error);
  hearth_assert_no_error (error);
  for (guint32 il = 0; il < m.n_layer; il++)
    engine_bytes += 2ull * m.n_head_kv * m.head_dim * hearth_session_get_kv_rows (session, il) * 2;
  ck_assert_uint_eq (fit->kv_bytes, engine_bytes);
  /* Two global layers of 1024 positions, two rings of 8 - 1 + 64. */
  ck_assert_uint_eq (fit->kv_bytes, 2ull * m.n_head_kv * m.head_dim * 2 * (2 * 1024 + 2 * 71));
}
END_TEST

START_TEST (test_fit_from_file_and_entry)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthFitModel m;
  HearthCatalogEntry e = { 0 };

  ck_assert (hearth_fit_model_from_file (path, 0, &m, &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (m.n_layer, 5);
  ck_assert_uint_eq (m.n_head_kv, 4);
  ck_assert_uint_eq (m.head_dim, 8);
  ck_assert_uint_eq (m.n_ctx, 128);
  /* F32 weights: 4 bytes per parameter, as the engine counts them. */
  model = hearth_model_load (path, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (m.weight_bytes, 4 * hearth_model_get_n_params (model));

  e.parameters = 1000000000;
  e.quantisation = (char *) "Q8_0";
  e.n_layer = 24;
  e.n_head_kv = 2;
  e.head_dim = 64;
  e.context_length = 32768;
  hearth_fit_model_from_entry (&e, 0, &m);
  ck_assert_uint_eq (m.weight_bytes, 1062500000);  /* 8.5 bits per weight */
  ck_assert_uint_eq (m.n_ctx, HEARTH_FIT_DEFAULT_CONTEXT);
  e.size = 12345;
  hearth_fit_model_from_entry (&e, 512, &m);
  ck_assert_uint_eq (m.weight_bytes, 12345);
  ck_assert_uint_eq (m.n_ctx, 512);
}
END_TEST

static Suite *
models_suite (void)
{
  Suite *s = suite_create ("models");
  TCase *dl = tcase_create ("download");
  TCase *cli = tcase_create ("cli");
  TCase *cat = tcase_create ("catalog");

  tcase_add_checked_fixture (dl, setup, teardown);
  tcase_set_timeout (dl, 60);
  tcase_add_test (dl, test_download_complete);
  tcase_add_test (dl, test_download_drop_resumes);
  tcase_add_test (dl, test_download_no_range_restarts);
  tcase_add_test (dl, test_download_etag_changed_restarts);
  tcase_add_test (dl, test_download_wrong_content_rejected);
  tcase_add_test (dl, test_download_wrong_size_rejected);
  tcase_add_test (dl, test_download_no_checksum_refused);
  tcase_add_test (dl, test_download_404);
  tcase_add_test (dl, test_download_500_retried);
  tcase_add_test (dl, test_download_pause_resume);
  tcase_add_test (dl, test_download_cancel);
  tcase_add_test (dl, test_download_progress_text);
  suite_add_tcase (s, dl);

  tcase_add_checked_fixture (cli, setup, teardown);
  tcase_set_timeout (cli, 120);
  tcase_add_test (cli, test_cli_kill_resume);
  tcase_add_test (cli, test_cli_disk_full);
  tcase_add_test (cli, test_cli_wrong_content_never_registered);
  tcase_add_test (cli, test_partial_listed_and_discarded);
  tcase_add_test (cli, test_hf_parse_url);
  tcase_add_test (cli, test_hf_list_files);
  tcase_add_test (cli, test_hf_list_errors);
  tcase_add_test (cli, test_cli_hf_download);
  suite_add_tcase (s, cli);

  tcase_set_timeout (cat, 30);
  tcase_add_test (cat, test_catalog_builtin);
  tcase_add_test (cat, test_catalog_refusals);
  tcase_add_test (cat, test_catalog_duplicate_id);
  tcase_add_test (cat, test_fit_verdicts);
  tcase_add_test (cat, test_fit_from_file_and_entry);
  tcase_add_test (cat, test_fit_sliding_window);
  suite_add_tcase (s, cat);
  return s;
}

int
main (void)
{
  return hearth_test_run (models_suite ());
}
