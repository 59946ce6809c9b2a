/* hearth-remote-provider.c: remote models (OpenAI-compatible servers), kept in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-api-secrets.h"
#include "hearth-json-member.h"
#include "hearth-remote-provider.h"
#include "hearth-store-error.h"

G_DEFINE_QUARK (hearth-remote-error-quark, hearth_remote_error)

/* What a server may say about an error, at most. */
#define MAX_ERROR_TEXT 300

HearthRemoteProvider *
hearth_remote_provider_new (const char *name,
                            const char *url,
                            const char *model)
{
  HearthRemoteProvider *p = g_new0 (HearthRemoteProvider, 1);
  gsize n;

  p->name = g_strdup (name);
  p->url = g_strdup (url);
  for (n = strlen (p->url); n > 0 && p->url[n - 1] == '/'; n--)
    p->url[n - 1] = '\0';
  p->model = g_strdup (model);
  return p;
}

HearthRemoteProvider *
hearth_remote_provider_copy (const HearthRemoteProvider *provider)
{
  return hearth_remote_provider_new (provider->name, provider->url, provider->model);
}

void
hearth_remote_provider_free (HearthRemoteProvider *provider)
{
  if (provider == NULL)
    return;
  g_free (provider->name);
  g_free (provider->url);
  g_free (provider->model);
  g_free (provider);
}

char *
hearth_remote_provider_dup_host (const HearthRemoteProvider *provider)
{
  g_autoptr(GUri) uri = g_uri_parse (provider->url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (provider->url);
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  return g_strdup (g_uri_get_host (uri));
}

char *
hearth_remote_model_for_provider (const char *name)
{
  return g_strconcat (HEARTH_REMOTE_MODEL_PREFIX, name, NULL);
}

char *
hearth_remote_provider_from_model (const char *model)
{
  if (model == NULL || !g_str_has_prefix (model, HEARTH_REMOTE_MODEL_PREFIX) ||
      model[strlen (HEARTH_REMOTE_MODEL_PREFIX)] == '\0')
    return NULL;
  return g_strdup (model + strlen (HEARTH_REMOTE_MODEL_PREFIX));
}

/* ---- the list in the store ---- */

GPtrArray *
hearth_remote_providers_list (HearthStore *store,
                              GError     **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_remote_provider_free);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *json = hearth_store_get_setting (store, HEARTH_REMOTE_SETTING, &local_error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  if (g_error_matches (local_error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    return g_steal_pointer (&out);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (json == NULL)
    return g_steal_pointer (&out);
  if (!json_parser_load_from_data (parser, json, -1, NULL) || (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error_literal (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                           _("The remote providers in the store are not readable"));
      return NULL;
    }
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = hearth_json_element_object (array, i);

      if (o == NULL)
        continue;
      g_ptr_array_add (out, hearth_remote_provider_new (hearth_json_member_string (o, "name", ""),
                                                        hearth_json_member_string (o, "url", ""),
                                                        hearth_json_member_string (o, "model", "")));
    }
  return g_steal_pointer (&out);
}

static gboolean
save_list (HearthStore *store,
           GPtrArray   *providers,
           GError     **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i < providers->len; i++)
    {
      HearthRemoteProvider *p = g_ptr_array_index (providers, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, p->name);
      json_builder_set_member_name (b, "url");
      json_builder_add_string_value (b, p->url);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, p->model);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return hearth_store_set_setting (store, HEARTH_REMOTE_SETTING, json, error);
}

static gint
find (GPtrArray  *providers,
      const char *name)
{
  for (guint i = 0; i < providers->len; i++)
    if (g_strcmp0 (((HearthRemoteProvider *) g_ptr_array_index (providers, i))->name, name) == 0)
      return (gint) i;
  return -1;
}

HearthRemoteProvider *
hearth_remote_providers_lookup (HearthStore *store,
                                const char  *name,
                                GError     **error)
{
  g_autoptr(GPtrArray) all = hearth_remote_providers_list (store, error);
  gint i;

  if (all == NULL)
    return NULL;
  i = find (all, name);
  if (i < 0)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_NOT_FOUND, _("There is no remote provider “%s”"),
                   name);
      return NULL;
    }
  return hearth_remote_provider_copy (g_ptr_array_index (all, i));
}

static gboolean
valid_name (const char *name)
{
  if (name == NULL || name[0] == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '.' && *c != '_' && *c != '-')
      return FALSE;
  return TRUE;
}

gboolean
hearth_remote_providers_add (HearthStore                *store,
                             const HearthRemoteProvider *provider,
                             const char                 *key,
                             GError                    **error)
{
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *label = NULL;

  if (!valid_name (provider->name))
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID,
                   _("“%s” is not a provider name: use letters, digits, '.', '_' and '-'"), provider->name);
      return FALSE;
    }
  uri = g_uri_parse (provider->url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID,
                   _("“%s” is not an http or https URL"), provider->url);
      return FALSE;
    }
  if (provider->model == NULL || provider->model[0] == '\0')
    {
      g_set_error_literal (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID, _("The model name is empty"));
      return FALSE;
    }
  all = hearth_remote_providers_list (store, error);
  if (all == NULL)
    return FALSE;
  if (find (all, provider->name) >= 0)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID,
                   _("There is a remote provider “%s” already"), provider->name);
      return FALSE;
    }
  /* The key first: a provider is never listed with a key that was not kept. */
  label = g_strdup_printf ("Hearth remote provider %s", provider->name);
  if (key != NULL && key[0] != '\0')
    {
      if (!hearth_secret_store (HEARTH_SECRET_REMOTE_KEY, provider->name, label, key, error))
        return FALSE;
    }
  else if (!hearth_secret_clear (HEARTH_SECRET_REMOTE_KEY, provider->name, error))
    return FALSE;
  g_ptr_array_add (all, hearth_remote_provider_copy (provider));
  return save_list (store, all, error);
}

gboolean
hearth_remote_providers_remove (HearthStore *store,
                                const char  *name,
                                GError     **error)
{
  g_autoptr(GPtrArray) all = hearth_remote_providers_list (store, error);
  gint i;

  if (all == NULL)
    return FALSE;
  i = find (all, name);
  if (i < 0)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_NOT_FOUND, _("There is no remote provider “%s”"),
                   name);
      return FALSE;
    }
  g_ptr_array_remove_index (all, (guint) i);
  return save_list (store, all, error) && hearth_secret_clear (HEARTH_SECRET_REMOTE_KEY, name, error);
}

char *
hearth_remote_provider_dup_key (const HearthRemoteProvider *provider,
                                GError                    **error)
{
  return hearth_secret_lookup (HEARTH_SECRET_REMOTE_KEY, provider->name, error);
}

/* ---- errors ---- */

/* The server's own words, from OpenAI's error shape or the text itself. */
static char *
dup_server_message (GBytes *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *data;
  gsize len = 0;
  JsonNode *root;
  g_autofree char *text = NULL;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &len);
  if (len == 0)
    return NULL;
  if (json_parser_load_from_data (parser, data, (gssize) len, NULL) && (root = json_parser_get_root (parser)) != NULL &&
      JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *o = json_node_get_object (root);
      JsonNode *e = json_object_get_member (o, "error");

      if (e != NULL && JSON_NODE_HOLDS_OBJECT (e))
        text = g_strdup (hearth_json_member_string (json_node_get_object (e), "message", ""));
      else if (e != NULL && JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
        text = g_strdup (json_node_get_string (e));
    }
  if (text == NULL)
    text = g_utf8_make_valid (data, (gssize) MIN (len, MAX_ERROR_TEXT));
  g_strstrip (text);
  if (text[0] == '\0')
    return NULL;
  if (g_utf8_strlen (text, -1) > MAX_ERROR_TEXT)
    {
      g_autofree char *cut = g_utf8_substring (text, 0, MAX_ERROR_TEXT);

      return g_strconcat (cut, "…", NULL);
    }
  return g_steal_pointer (&text);
}

void
hearth_remote_set_http_error (GError    **error,
                              const char *host,
                              guint       status,
                              const char *retry_after,
                              GBytes     *body)
{
  g_autofree char *said = dup_server_message (body);
  g_autofree char *tail = said != NULL ? g_strdup_printf (": %s", said) : g_strdup ("");

  if (status == 401 || status == 403)
    g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_UNAUTHORIZED,
                 _("%s refused the key (HTTP %u)%s"), host, status, tail);
  else if (status == 429)
    {
      guint64 seconds = 0;

      if (retry_after != NULL && g_ascii_string_to_unsigned (retry_after, 10, 0, G_MAXUINT32, &seconds, NULL))
        g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_RATE_LIMITED,
                     _("%s is limiting requests (HTTP 429); try again in %u seconds%s"), host, (guint) seconds, tail);
      else
        g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_RATE_LIMITED,
                     _("%s is limiting requests (HTTP 429); try again later%s"), host, tail);
    }
  else if (status >= 500)
    g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_SERVER,
                 _("%s failed (HTTP %u)%s"), host, status, tail);
  else
    g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_SERVER,
                 _("%s refused the request (HTTP %u)%s"), host, status, tail);
}

/* ---- the test ---- */

gboolean
hearth_remote_provider_test (const HearthRemoteProvider *provider,
                             const char                 *key,
                             GCancellable               *cancellable,
                             GStrv                      *models_out,
                             GError                    **error)
{
  g_autoptr(SoupSession) session = g_object_new (SOUP_TYPE_SESSION, "timeout", 30, NULL);
  g_autofree char *url = g_strconcat (provider->url, "/models", NULL);
  g_autofree char *host = hearth_remote_provider_dup_host (provider);
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_auto(GStrv) models = NULL;
  JsonNode *root;
  JsonArray *data = NULL;
  guint status;

  if (msg == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID, _("“%s” is not a URL"), url);
      return FALSE;
    }
  if (key != NULL && key[0] != '\0')
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  body = soup_session_send_and_read (session, msg, cancellable, &local_error);
  if (body == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_UNREACHABLE, _("Cannot reach %s: %s"), host,
                   local_error->message);
      return FALSE;
    }
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    {
      hearth_remote_set_http_error (error, host, status,
                                    soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                                  "Retry-After"), body);
      return FALSE;
    }
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    data = hearth_json_member_array (json_node_get_object (root), "data");
  if (data == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                   _("%s did not answer with a list of models"), host);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *m = hearth_json_element_object (data, i);
      const char *id = m != NULL ? hearth_json_member_string (m, "id", NULL) : NULL;

      if (id != NULL)
        g_strv_builder_add (ids, id);
    }
  models = g_strv_builder_end (ids);
  if (!g_strv_contains ((const char *const *) models, provider->model))
    {
      g_autofree char *have = g_strjoinv (", ", models);

      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_INVALID, _("%s has no model “%s” (it has: %s)"),
                   host, provider->model, have);
      if (models_out != NULL)
        *models_out = g_steal_pointer (&models);
      return FALSE;
    }
  if (models_out != NULL)
    *models_out = g_steal_pointer (&models);
  return TRUE;
}
