/* hearth-network-log.c: the user-readable list of requests, as JSON lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "hearth-json-member.h"
#include "hearth-network-log.h"

struct _HearthNetworkLog
{
  gatomicrefcount ref_count;
  char           *dir;
  char           *path;
  GMutex          lock;
};

HearthNetworkLog *
hearth_network_log_new (const char *data_dir)
{
  HearthNetworkLog *self = g_new0 (HearthNetworkLog, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->dir = data_dir != NULL ? g_strdup (data_dir) : g_build_filename (g_get_user_data_dir (), "hearth", NULL);
  self->path = g_build_filename (self->dir, "network-log.jsonl", NULL);
  g_mutex_init (&self->lock);
  return self;
}

HearthNetworkLog *
hearth_network_log_ref (HearthNetworkLog *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_network_log_unref (HearthNetworkLog *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_mutex_clear (&self->lock);
  g_free (self->dir);
  g_free (self->path);
  g_free (self);
}

const char *
hearth_network_log_get_path (HearthNetworkLog *self)
{
  return self->path;
}

void
hearth_network_log_append (HearthNetworkLog *self,
                           const char       *method,
                           const char       *url,
                           guint             status,
                           guint64           bytes)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;
  g_autofree char *host = NULL;
  gsize len;
  int fd;

  if (uri != NULL && g_uri_get_port (uri) > 0)
    host = g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  else
    host = g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : "");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_int_value (b, g_get_real_time ());
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, method);
  json_builder_set_member_name (b, "host");
  json_builder_add_string_value (b, host);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, uri != NULL ? g_uri_get_path (uri) : url);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_int_value (b, (gint64) bytes);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  line = json_generator_to_data (gen, &len);

  g_mutex_lock (&self->lock);
  g_mkdir_with_parents (self->dir, 0700);
  fd = g_open (self->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      g_autofree char *with_nl = g_strconcat (line, "\n", NULL);

      /* One write: O_APPEND keeps lines of other processes whole. */
      if (write (fd, with_nl, len + 1) != (gssize) (len + 1))
        g_warning ("network log %s: %s", self->path, g_strerror (errno));
      close (fd);
    }
  else
    g_warning ("network log %s: %s", self->path, g_strerror (errno));
  g_mutex_unlock (&self->lock);
}

void
hearth_network_log_entry_free (HearthNetworkLogEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->method);
  g_free (e->host);
  g_free (e->path);
  g_free (e);
}

GPtrArray *
hearth_network_log_read (HearthNetworkLog *self,
                         GError          **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_network_log_entry_free);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (self->path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&out);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      HearthNetworkLogEntry *e;
      JsonObject *o;

      if (lines[i][0] == '\0' || !json_parser_load_from_data (parser, lines[i], -1, NULL) ||
          (o = hearth_json_root_object (parser)) == NULL)
        continue;
      e = g_new0 (HearthNetworkLogEntry, 1);
      e->time = hearth_json_member_int (o, "time", 0);
      e->method = g_strdup (hearth_json_member_string (o, "method", ""));
      e->host = g_strdup (hearth_json_member_string (o, "host", ""));
      e->path = g_strdup (hearth_json_member_string (o, "path", ""));
      e->status = (guint) hearth_json_member_int (o, "status", 0);
      e->bytes = (guint64) hearth_json_member_int (o, "bytes", 0);
      g_ptr_array_add (out, e);
    }
  return g_steal_pointer (&out);
}

char *
hearth_network_log_entry_format (const HearthNetworkLogEntry *e)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (e->time / G_USEC_PER_SEC);
  g_autofree char *when = t != NULL ? g_date_time_format (t, "%Y-%m-%d %H:%M:%S") : g_strdup ("?");
  g_autofree char *size = g_format_size (e->bytes);

  return g_strdup_printf ("%s  %s %s%s  %u  %s", when, e->method, e->host, e->path, e->status, size);
}
