/* hearth-hf-import.c: a Hugging Face repository's GGUF files, listed through the hub's API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One GET per listing, on its own SoupSession with the system's proxy; the
 * body is read whole (a listing is small) and capped at 8 MiB.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-catalog.h"
#include "hearth-hf-import.h"
#include "hearth-json-member.h"
#include "hearth-models-error.h"

#define DEFAULT_ENDPOINT "https://huggingface.co"
#define MAX_LISTING (8u * 1024 * 1024)

void
hearth_hf_file_free (HearthHfFile *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->sha256);
  g_free (file->url);
  g_free (file);
}

char *
hearth_hf_dup_endpoint (void)
{
  const char *env = g_getenv ("HEARTH_HF_ENDPOINT");
  g_autofree char *e = g_strdup (env != NULL && *env ? env : DEFAULT_ENDPOINT);
  gsize n = strlen (e);

  while (n > 0 && e[n - 1] == '/')
    e[--n] = '\0';
  return g_steal_pointer (&e);
}

/* An owner's or a repository's name as the hub allows them. */
static gboolean
name_ok (const char *s)
{
  if (s == NULL || *s == '\0' || strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '-' && *s != '_' && *s != '.')
      return FALSE;
  return TRUE;
}

gboolean
hearth_hf_parse_url (const char *url,
                     char      **repo,
                     char      **file,
                     GError    **error)
{
  g_autofree char *endpoint = hearth_hf_dup_endpoint ();
  g_autofree char *prefix = g_strconcat (endpoint, "/", NULL);
  g_auto(GStrv) parts = NULL;
  g_autofree char *clean = NULL;
  const char *rest;
  guint n;

  if (!g_str_has_prefix (url, prefix))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL,
                   _("“%s” is not the address of a repository on %s"), url, endpoint);
      return FALSE;
    }
  rest = url + strlen (prefix);
  /* A query or a fragment says nothing of the repository. */
  clean = g_strndup (rest, strcspn (rest, "?#"));
  parts = g_strsplit (clean, "/", -1);
  n = g_strv_length (parts);
  while (n > 0 && *parts[n - 1] == '\0')
    n--;
  /* OWNER/REPO, or OWNER/REPO/(resolve|blob)/REVISION/PATH... */
  if (n < 2 || !name_ok (parts[0]) || !name_ok (parts[1]) ||
      (n > 2 && (n < 5 || (strcmp (parts[2], "resolve") != 0 && strcmp (parts[2], "blob") != 0))))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL,
                   _("“%s” is not the address of a repository on %s (%s/OWNER/REPO)"), url, endpoint, endpoint);
      return FALSE;
    }
  if (repo != NULL)
    *repo = g_strdup_printf ("%s/%s", parts[0], parts[1]);
  if (file != NULL)
    {
      g_autoptr(GString) path = g_string_new (NULL);

      for (guint i = 4; i < n; i++)
        {
          g_autofree char *seg = g_uri_unescape_string (parts[i], NULL);

          g_string_append_printf (path, "%s%s", i > 4 ? "/" : "", seg ? seg : parts[i]);
        }
      *file = n > 2 ? g_string_free (g_steal_pointer (&path), FALSE) : NULL;
    }
  return TRUE;
}

static gboolean
listing_error (GError    **error,
               const char *repo,
               const char *what)
{
  g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_LISTING,
               _("The list of files of %s could not be read: %s"), repo, what);
  return FALSE;
}

static int
compare_files (gconstpointer a,
               gconstpointer b)
{
  return strcmp ((*(HearthHfFile * const *) a)->path, (*(HearthHfFile * const *) b)->path);
}

GPtrArray *
hearth_hf_parse_tree (const char *repo,
                      const char *json,
                      gssize      length,
                      GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_hf_file_free);
  g_autofree char *endpoint = hearth_hf_dup_endpoint ();
  g_autoptr(GError) local = NULL;
  JsonArray *array;

  if (!hearth_json_load (parser, json, length, &local))
    return listing_error (error, repo, local->message), NULL;
  if ((array = hearth_json_root_array (parser)) == NULL)
    return listing_error (error, repo, _("it is not a list")), NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *lfs;
      const char *path, *oid;
      HearthHfFile *f;
      g_autofree char *escaped = NULL;
      gint64 size;

      if (o == NULL)
        return listing_error (error, repo, _("an entry is not an object")), NULL;
      path = hearth_json_member_string (o, "path", NULL);
      if (path == NULL || *path == '\0')
        return listing_error (error, repo, _("an entry has no path")), NULL;
      if (g_strcmp0 (hearth_json_member_string (o, "type", ""), "file") != 0 ||
          !g_str_has_suffix (path, ".gguf"))
        continue;
      /* A GGUF file must be in LFS: its oid is what it is verified against. */
      lfs = hearth_json_member_object (o, "lfs");
      oid = lfs != NULL ? hearth_json_member_string (lfs, "oid", NULL) : NULL;
      size = lfs != NULL ? hearth_json_member_int (lfs, "size", -1) : -1;
      if (oid == NULL || strlen (oid) != 64 || strspn (oid, "0123456789abcdef") != 64 || size <= 0)
        {
          g_autofree char *what = g_strdup_printf (_("%s has no SHA-256 and size to verify it against"), path);

          return listing_error (error, repo, what), NULL;
        }
      escaped = g_uri_escape_string (path, "/", FALSE);
      f = g_new0 (HearthHfFile, 1);
      f->path = g_strdup (path);
      f->size = (guint64) size;
      f->sha256 = g_strdup (oid);
      f->url = g_strdup_printf ("%s/%s/resolve/main/%s", endpoint, repo, escaped);
      g_ptr_array_add (files, f);
    }
  g_ptr_array_sort (files, compare_files);
  return g_steal_pointer (&files);
}

GPtrArray *
hearth_hf_list_files (const char       *repo,
                      HearthNetworkLog *log,
                      GCancellable     *cancellable,
                      GError          **error)
{
  g_autofree char *endpoint = hearth_hf_dup_endpoint ();
  g_autofree char *url = g_strdup_printf ("%s/api/models/%s/tree/main", endpoint, repo);
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) body = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  g_autoptr(GError) local = NULL;
  guint8 buf[16384];
  guint status;
  gssize n;

  if (!hearth_catalog_url_allowed (url, error))
    return NULL;
  if ((msg = soup_message_new ("GET", url)) == NULL)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_URL, _("“%s” is not a web address"), url);
      return NULL;
    }
  session = soup_session_new_with_options ("proxy-resolver", g_proxy_resolver_get_default (),
                                           "user-agent", "Hearth/" PACKAGE_VERSION " ", NULL);
  body = soup_session_send (session, msg, cancellable, &local);
  if (body == NULL)
    {
      if (log != NULL)
        hearth_network_log_append (log, "GET", url, 0, 0);
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_NETWORK,
                     _("Could not reach %s: %s"), endpoint, local->message);
      return NULL;
    }
  while ((n = g_input_stream_read (body, buf, sizeof buf, cancellable, &local)) > 0 && data->len <= MAX_LISTING)
    g_byte_array_append (data, buf, (guint) n);
  status = soup_message_get_status (msg);
  if (log != NULL)
    hearth_network_log_append (log, "GET", url, status, data->len);
  if (n < 0)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_UNAUTHORIZED)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_HTTP,
                   _("There is no public repository %s on %s (HTTP %u)"), repo, endpoint, status);
      return NULL;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_HTTP,
                   _("%s could not list the files of %s (HTTP %u)"), endpoint, repo, status);
      return NULL;
    }
  if (data->len > MAX_LISTING)
    return listing_error (error, repo, _("it is too long")), NULL;
  return hearth_hf_parse_tree (repo, (const char *) data->data, (gssize) data->len, error);
}

typedef struct
{
  char             *repo;
  HearthNetworkLog *log;
} ListJob;

static void
list_job_free (ListJob *job)
{
  g_free (job->repo);
  g_clear_pointer (&job->log, hearth_network_log_unref);
  g_free (job);
}

static void
list_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  ListJob *job = data;
  GError *error = NULL;
  GPtrArray *files = hearth_hf_list_files (job->repo, job->log, cancellable, &error);

  if (files == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, files, (GDestroyNotify) g_ptr_array_unref);
}

void
hearth_hf_list_files_async (const char          *repo,
                            HearthNetworkLog    *log,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ListJob *job = g_new0 (ListJob, 1);

  job->repo = g_strdup (repo);
  job->log = log != NULL ? hearth_network_log_ref (log) : NULL;
  g_task_set_source_tag (task, hearth_hf_list_files_async);
  g_task_set_task_data (task, job, (GDestroyNotify) list_job_free);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
hearth_hf_list_files_finish (GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

const HearthHfFile *
hearth_hf_find_file (GPtrArray  *files,
                     const char *path)
{
  for (guint i = 0; i < files->len; i++)
    if (strcmp (((HearthHfFile *) g_ptr_array_index (files, i))->path, path) == 0)
      return g_ptr_array_index (files, i);
  return NULL;
}

void
hearth_hf_file_fit_model (const HearthHfFile *file,
                          HearthFitModel     *out)
{
  memset (out, 0, sizeof *out);
  out->weight_bytes = file->size;
  out->n_layer = 32;
  out->n_head_kv = 8;
  out->head_dim = 128;
  out->n_ctx = HEARTH_FIT_DEFAULT_CONTEXT;
}
