/* hearth-api-service.c: the app's local API server, on the app's loaded model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two states kept in line with the wishes: the server (listening or not,
 * from :enabled, :host and :port) and the model on it (from the runtime's
 * loaded model). Both are brought in line by sync_server() on every
 * change; the runtime's notifications come in its owner thread, which is
 * this object's.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-api-history.h"
#include "hearth-api-secrets.h"
#include "hearth-api-server.h"
#include "hearth-api-service.h"

/* The app's own model serves the API too: a couple of sessions is enough
 * on a desktop, and each holds a KV cache of the runtime's context size. */
#define N_SESSIONS 2

struct _HearthApiService
{
  GObject          parent_instance;
  HearthRuntime   *runtime;   /* weak: the runtime owns the service */
  gboolean         enabled;
  char            *host;
  guint            port;
  HearthApiServer *server;    /* NULL: not listening */
  HearthModel     *served;    /* the model on the server; NULL: none */
  char            *url;
  char            *error;
  char            *model_id;  /* what @served is served as */
  gboolean         keep_history;
};

enum
{
  PROP_0,
  PROP_ENABLED,
  PROP_HOST,
  PROP_PORT,
  PROP_RUNNING,
  PROP_URL,
  PROP_ERROR,
  PROP_MODEL_ID,
  PROP_KEEP_HISTORY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (HearthApiService, hearth_api_service, G_TYPE_OBJECT)

static void
set_string (HearthApiService *self,
            char            **field,
            const char       *value,
            guint             prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
drop_model (HearthApiService *self)
{
  if (self->served == NULL)
    return;
  if (self->server != NULL)
    hearth_api_server_remove_model (self->server, self->model_id);
  g_clear_pointer (&self->served, hearth_model_unref);
  set_string (self, &self->model_id, NULL, PROP_MODEL_ID);
}

static void
stop (HearthApiService *self)
{
  if (self->server == NULL)
    return;
  drop_model (self);
  hearth_api_server_shutdown (self->server);
  g_clear_object (&self->server);
  set_string (self, &self->url, NULL, PROP_URL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* The id a model is served as: its file name without .gguf, as
 * `hearth-cli serve` does. */
static char *
id_for_path (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  if (g_str_has_suffix (base, ".gguf"))
    base[strlen (base) - strlen (".gguf")] = '\0';
  return g_steal_pointer (&base);
}

/* With :keep-history, a finished chat completion goes into the history
 * (hearth-api-history.h); a failure to store it is the service's :error,
 * the client's reply is not affected. */
static void
chat_finished (HearthApiServer  *server,
               const char       *model,
               GPtrArray        *messages,
               const char       *reply,
               HearthApiService *self)
{
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  if (!self->keep_history || self->runtime == NULL || (store = hearth_runtime_get_store (self->runtime)) == NULL)
    return;
  if (hearth_api_history_store (store, messages, reply, &error) == 0)
    {
      g_autofree char *msg = g_strdup_printf (_("An API conversation could not be kept in the history: %s"),
                                              error->message);

      set_string (self, &self->error, msg, PROP_ERROR);
    }
}

static gboolean
start (HearthApiService *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autoptr(HearthApiServer) server = NULL;
  HearthApiServerLimits limits;

  token = hearth_api_token_get (FALSE, &error);
  if (token == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The token could not be read from the keyring: %s"),
                                              error->message);

      set_string (self, &self->error, msg, PROP_ERROR);
      return FALSE;
    }
  hearth_api_server_limits_init (&limits);
  limits.n_sessions = N_SESSIONS;
  server = hearth_api_server_new (token, &limits);
  explicit_bzero (token, strlen (token));
  if (!hearth_api_server_listen (server, self->host, self->port, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot listen on %s port %u: %s"),
                                              self->host, self->port, error->message);

      hearth_api_server_shutdown (server);
      set_string (self, &self->error, msg, PROP_ERROR);
      return FALSE;
    }
  self->server = g_steal_pointer (&server);
  g_signal_connect_object (self->server, "chat-finished", G_CALLBACK (chat_finished), self, 0);
  url = hearth_api_server_dup_base_url (self->server);
  set_string (self, &self->url, url, PROP_URL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

static void
serve_model (HearthApiService *self,
             HearthModel      *model)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = id_for_path (hearth_runtime_get_model_path (self->runtime));

  /* Sessions of the size the app's own conversation has, not the model's
   * largest: the KV caches come on top of the weights. */
  if (!hearth_api_server_add_model_sized (self->server, model, id, NULL,
                                          hearth_runtime_get_context_size (self->runtime), &error))
    {
      g_autofree char *msg = g_strdup_printf (_("The model cannot be served: %s"), error->message);

      set_string (self, &self->error, msg, PROP_ERROR);
      return;
    }
  self->served = hearth_model_ref (model);
  set_string (self, &self->model_id, id, PROP_MODEL_ID);
}

/* Brings the server in line with :enabled, :host, :port (@restart: they
 * changed while it ran) and the runtime's model. */
static void
sync_server (HearthApiService *self,
             gboolean          restart)
{
  g_autoptr(HearthModel) model = NULL;

  if (!self->enabled || self->runtime == NULL)
    {
      stop (self);
      set_string (self, &self->error, NULL, PROP_ERROR);
      return;
    }
  if (restart)
    stop (self);
  if (self->server == NULL)
    {
      if (!start (self))
        return;
      set_string (self, &self->error, NULL, PROP_ERROR);
    }

  if (!hearth_runtime_get_loading (self->runtime))
    model = hearth_runtime_dup_model (self->runtime);
  if (model == self->served)
    return;
  drop_model (self);
  set_string (self, &self->error, NULL, PROP_ERROR);
  if (model != NULL)
    serve_model (self, model);
}

static void
runtime_model_changed (HearthApiService *self)
{
  sync_server (self, FALSE);
}

static void
hearth_api_service_dispose (GObject *object)
{
  HearthApiService *self = HEARTH_API_SERVICE (object);

  stop (self);
  if (self->runtime != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runtime, self);
      g_object_remove_weak_pointer (G_OBJECT (self->runtime), (gpointer *) &self->runtime);
      self->runtime = NULL;
    }
  G_OBJECT_CLASS (hearth_api_service_parent_class)->dispose (object);
}

static void
hearth_api_service_finalize (GObject *object)
{
  HearthApiService *self = HEARTH_API_SERVICE (object);

  g_free (self->host);
  g_free (self->url);
  g_free (self->error);
  g_free (self->model_id);
  G_OBJECT_CLASS (hearth_api_service_parent_class)->finalize (object);
}

static void
hearth_api_service_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HearthApiService *self = HEARTH_API_SERVICE (object);

  switch (prop_id)
    {
    case PROP_ENABLED: g_value_set_boolean (value, self->enabled); break;
    case PROP_KEEP_HISTORY: g_value_set_boolean (value, self->keep_history); break;
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_RUNNING: g_value_set_boolean (value, self->server != NULL); break;
    case PROP_URL: g_value_set_string (value, self->url); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    case PROP_MODEL_ID: g_value_set_string (value, self->model_id); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_api_service_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  HearthApiService *self = HEARTH_API_SERVICE (object);

  switch (prop_id)
    {
    case PROP_ENABLED: hearth_api_service_set_enabled (self, g_value_get_boolean (value)); break;
    case PROP_KEEP_HISTORY: hearth_api_service_set_keep_history (self, g_value_get_boolean (value)); break;
    case PROP_HOST: hearth_api_service_set_host (self, g_value_get_string (value)); break;
    case PROP_PORT: hearth_api_service_set_port (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_api_service_class_init (HearthApiServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = hearth_api_service_dispose;
  object_class->finalize = hearth_api_service_finalize;
  object_class->get_property = hearth_api_service_get_property;
  object_class->set_property = hearth_api_service_set_property;

  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, FALSE, rw);
  properties[PROP_KEEP_HISTORY] = g_param_spec_boolean ("keep-history", NULL, NULL, FALSE, rw);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, HEARTH_API_SERVICE_DEFAULT_HOST, rw);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535,
                                             HEARTH_API_SERVICE_DEFAULT_PORT, rw);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, ro);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, ro);
  properties[PROP_MODEL_ID] = g_param_spec_string ("model-id", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hearth_api_service_init (HearthApiService *self)
{
  self->host = g_strdup (HEARTH_API_SERVICE_DEFAULT_HOST);
  self->port = HEARTH_API_SERVICE_DEFAULT_PORT;
}

HearthApiService *
hearth_api_service_get_for_runtime (HearthRuntime *runtime)
{
  HearthApiService *self;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (runtime), NULL);
  self = g_object_get_data (G_OBJECT (runtime), "hearth-api-service");
  if (self != NULL)
    return self;
  self = g_object_new (HEARTH_TYPE_API_SERVICE, NULL);
  self->runtime = runtime;
  g_object_add_weak_pointer (G_OBJECT (runtime), (gpointer *) &self->runtime);
  /* A load in progress has dropped the old model: it goes from the server
   * at once, so that its memory is freed for the new one. */
  g_signal_connect_swapped (runtime, "notify::model-loaded", G_CALLBACK (runtime_model_changed), self);
  g_signal_connect_swapped (runtime, "notify::loading", G_CALLBACK (runtime_model_changed), self);
  g_signal_connect_swapped (runtime, "notify::model-path", G_CALLBACK (runtime_model_changed), self);
  g_object_set_data_full (G_OBJECT (runtime), "hearth-api-service", self, g_object_unref);
  return self;
}

void
hearth_api_service_set_enabled (HearthApiService *self,
                                gboolean          enabled)
{
  g_return_if_fail (HEARTH_IS_API_SERVICE (self));
  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  sync_server (self, FALSE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

gboolean
hearth_api_service_get_enabled (HearthApiService *self)
{
  return self->enabled;
}

void
hearth_api_service_set_keep_history (HearthApiService *self,
                                     gboolean          keep)
{
  g_return_if_fail (HEARTH_IS_API_SERVICE (self));
  keep = !!keep;
  if (self->keep_history == keep)
    return;
  self->keep_history = keep;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_HISTORY]);
}

gboolean
hearth_api_service_get_keep_history (HearthApiService *self)
{
  return self->keep_history;
}

void
hearth_api_service_set_host (HearthApiService *self,
                             const char       *host)
{
  g_return_if_fail (HEARTH_IS_API_SERVICE (self));
  if (host == NULL || *host == '\0')
    host = HEARTH_API_SERVICE_DEFAULT_HOST;
  if (g_strcmp0 (self->host, host) == 0)
    return;
  g_free (self->host);
  self->host = g_strdup (host);
  sync_server (self, self->server != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOST]);
}

const char *
hearth_api_service_get_host (HearthApiService *self)
{
  return self->host;
}

void
hearth_api_service_set_port (HearthApiService *self,
                             guint             port)
{
  g_return_if_fail (HEARTH_IS_API_SERVICE (self));
  if (self->port == port)
    return;
  self->port = port;
  sync_server (self, self->server != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
}

guint
hearth_api_service_get_port (HearthApiService *self)
{
  return self->port;
}

gboolean
hearth_api_service_get_running (HearthApiService *self)
{
  return self->server != NULL;
}

const char *
hearth_api_service_get_url (HearthApiService *self)
{
  return self->url;
}

const char *
hearth_api_service_get_error (HearthApiService *self)
{
  return self->error;
}

const char *
hearth_api_service_get_model_id (HearthApiService *self)
{
  return self->model_id;
}

gboolean
hearth_api_service_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (host == NULL || *host == '\0' || g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

char *
hearth_api_service_dup_token (HearthApiService *self,
                              GError          **error)
{
  g_return_val_if_fail (HEARTH_IS_API_SERVICE (self), NULL);
  return hearth_api_token_get (FALSE, error);
}

char *
hearth_api_service_regenerate_token (HearthApiService *self,
                                     GError          **error)
{
  char *token;

  g_return_val_if_fail (HEARTH_IS_API_SERVICE (self), NULL);
  token = hearth_api_token_get (TRUE, error);
  if (token != NULL && self->server != NULL)
    hearth_api_server_set_token (self->server, token);
  return token;
}

gboolean
hearth_api_service_get_summary (HearthApiService        *self,
                                HearthApiMetricsSummary *summary)
{
  if (self->server == NULL)
    {
      memset (summary, 0, sizeof *summary);
      summary->ttft_median = -1;
      summary->tokens_per_second = -1;
      return FALSE;
    }
  hearth_api_metrics_get_summary (hearth_api_server_get_metrics (self->server), summary);
  return TRUE;
}

void
hearth_api_service_shutdown (HearthApiService *self)
{
  g_return_if_fail (HEARTH_IS_API_SERVICE (self));
  self->enabled = FALSE;
  stop (self);
  if (self->runtime != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runtime, self);
      g_object_remove_weak_pointer (G_OBJECT (self->runtime), (gpointer *) &self->runtime);
      self->runtime = NULL;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}
