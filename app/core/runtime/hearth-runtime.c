/* hearth-runtime.c: the conversation runtime every front end drives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reply goes: the user's message is stored; the branch on show (the
 * thread model's items) becomes the engine's messages; the engine thread
 * streams text into the thread model's streaming item; when the engine is
 * done the reply is stored (which replaces the streaming item), then
 * :busy turns FALSE and "reply-finished" is emitted.
 *
 * Documents: when the conversation has collections attached, a reply
 * starts with retrieval: every retriever is asked, off this thread, for
 * the passages of each collection matching the question (the user message
 * the reply answers); the best :retrieval-limit of all become the context
 * block beside the system prompt (hearth-reply-sources.h) for every round
 * of that reply, and are stored with it.  :busy is TRUE from the start of
 * the retrieval; Stop cancels it.  On a remote model the passages go to
 * the server with the prompt (nothing else of the documents does), and
 * "passages-sent" tells the front end first.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-remote-responder.h"
#include "hearth-reply-sources.h"
#include "hearth-runtime.h"
#include "hearth-thread.h"
#include "hearth-token-batcher.h"

/* Streamed text reaches the owner at most this often. */
#define BATCH_INTERVAL_MS 24

struct _HearthRuntime
{
  GObject                 parent_instance;

  HearthStore            *store;
  HearthConversationList *conversations;
  HearthThreadModel      *thread;
  HearthModelRegistry    *models;
  HearthTokenBatcher     *batcher;
  HearthEngineWorker     *worker;
  HearthResponder        *responder;   /* the worker unless set */
  HearthToolRegistry     *tools;
  char                  **enabled_tools; /* NULL: all */
  HearthToolApprovalPolicy approval_policy;
  guint                   max_tool_rounds;

  gboolean                loading;
  char                   *loading_path;
  HearthSamplerParams     sampler;
  guint32                 max_tokens;
  char                   *pending_system_prompt; /* for a new chat */
  char                   *pending_source;        /* for a new chat: a remote provider, NULL: local */
  /* Where the conversation on show is answered: a provider's name and
   * host, NULL for the local model (as last notified). */
  char                   *source;
  char                   *source_host;
  HearthResponder        *reply_responder;       /* of the reply in progress */
  GStrv                   pending_collections;   /* for a new chat: attached when it is created */

  /* Document retrieval: the retrievers asked (HearthRetriever), the most
   * passages a reply is given, and the reply's own: the context block
   * beside its system prompt and the sources stored with it (NULL: no
   * documents attached). */
  GPtrArray              *retrievers;
  guint                   retrieval_limit;
  gboolean                retrieving;
  char                   *reply_context;
  guint                   reply_n_passages;    /* in reply_context */
  gboolean                reply_passages_told; /* passages-sent emitted for this reply */
  char                   *reply_sources_json;

  /* The reply in progress (generation 0: none). */
  guint64                 generation;
  GCancellable           *cancellable;
  gint64                  reply_conversation_id;
  gint64                  reply_parent_id;
  HearthSamplerParams     reply_sampler;
  char                   *reply_model_path;
  HearthThreadItem       *stream_item;
  GApplication           *held_app;

  /* The tool loop of the reply in progress. */
  char                   *reply_tools_json;  /* NULL: no tools offered */
  guint                   tool_round;        /* rounds of calls run for this reply */
  HearthToolCalls        *calls;             /* the calls being run */
  GStrv                   call_ids;
  gint64                  calls_message_id;  /* the assistant message that made them */
  guint                   call_index;        /* the call being run or decided */
  gint64                  call_started;
  HearthToolApproval     *approval;          /* waiting for the user */
  HearthToolDecision      decision;          /* its answer, applied from an idle */
  guint                   continue_source;
  HearthToolAuditDecision call_decision;     /* of the call running */
  const char             *call_decided_by;
  char                   *call_plugin_id;

  double                  tokens_per_second;
  guint                   context_used;
  guint                   prompt_tokens;   /* of the last reply, see hearth_runtime_get_prompt_figures */
  guint                   prompt_eval;
  guint                   prompt_reused;
  double                  first_token_seconds;
  gboolean                shut_down;

  /* What the model's properties said when last notified. */
  struct
  {
    gboolean              loaded;
    char                 *path;
    char                 *backend;
    char                 *device_lost;
    guint                 context_size;
  } shown;
};

G_DEFINE_FINAL_TYPE (HearthRuntime, hearth_runtime, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_MODEL_LOADED,
  PROP_LOADING,
  PROP_MODEL_PATH,
  PROP_BACKEND,
  PROP_DEVICE_LOST,
  PROP_BUSY,
  PROP_TOKENS_PER_SECOND,
  PROP_CONTEXT_USED,
  PROP_CONTEXT_SIZE,
  PROP_CONVERSATION_ID,
  PROP_REMOTE_PROVIDER,
  PROP_REMOTE_HOST,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REPLY_FINISHED,
  SIGNAL_ERROR,
  SIGNAL_APPROVAL_REQUESTED,
  SIGNAL_PASSAGES_SENT,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
notify (HearthRuntime *self,
        guint          prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
sync_string (HearthRuntime *self,
             char         **shown,
             const char    *now,
             guint          prop)
{
  if (g_strcmp0 (*shown, now) == 0)
    return;
  g_free (*shown);
  *shown = g_strdup (now);
  notify (self, prop);
}

/* After the engine thread's model may have changed: notifies the
 * properties whose values did change, and only those. (:loading is the
 * runtime's own: set_loading() notifies it.) */
static void
notify_model (HearthRuntime *self)
{
  gboolean loaded = hearth_runtime_get_model_loaded (self);
  guint context_size = hearth_runtime_get_context_size (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->shown.loaded != loaded)
    {
      self->shown.loaded = loaded;
      notify (self, PROP_MODEL_LOADED);
    }
  if (self->shown.context_size != context_size)
    {
      self->shown.context_size = context_size;
      notify (self, PROP_CONTEXT_SIZE);
    }
  sync_string (self, &self->shown.path, hearth_runtime_get_model_path (self), PROP_MODEL_PATH);
  sync_string (self, &self->shown.backend, hearth_runtime_get_backend (self), PROP_BACKEND);
  sync_string (self, &self->shown.device_lost, hearth_runtime_get_device_lost (self), PROP_DEVICE_LOST);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_loading (HearthRuntime *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  notify (self, PROP_LOADING);
}

static void
batch_ready (guint64     generation,
             const char *text,
             gsize       len,
             gpointer    user_data)
{
  HearthRuntime *self = user_data;

  if (generation != self->generation || self->stream_item == NULL)
    return;
  hearth_thread_item_append (self->stream_item, text, len);
}

/* ---- GObject ---- */

static void
hearth_runtime_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HearthRuntime *self = HEARTH_RUNTIME (object);

  switch (prop_id)
    {
    case PROP_MODEL_LOADED: g_value_set_boolean (value, hearth_runtime_get_model_loaded (self)); break;
    case PROP_LOADING: g_value_set_boolean (value, self->loading); break;
    case PROP_MODEL_PATH: g_value_set_string (value, hearth_runtime_get_model_path (self)); break;
    case PROP_BACKEND: g_value_set_string (value, hearth_runtime_get_backend (self)); break;
    case PROP_DEVICE_LOST: g_value_set_string (value, hearth_runtime_get_device_lost (self)); break;
    case PROP_BUSY: g_value_set_boolean (value, hearth_runtime_get_busy (self)); break;
    case PROP_TOKENS_PER_SECOND: g_value_set_double (value, self->tokens_per_second); break;
    case PROP_CONTEXT_USED: g_value_set_uint (value, self->context_used); break;
    case PROP_CONTEXT_SIZE: g_value_set_uint (value, hearth_runtime_get_context_size (self)); break;
    case PROP_CONVERSATION_ID: g_value_set_int64 (value, hearth_runtime_get_conversation_id (self)); break;
    case PROP_REMOTE_PROVIDER: g_value_set_string (value, self->source); break;
    case PROP_REMOTE_HOST: g_value_set_string (value, self->source_host); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hearth_runtime_dispose (GObject *object)
{
  HearthRuntime *self = HEARTH_RUNTIME (object);

  hearth_runtime_shutdown (self);
  if (self->batcher != NULL)
    hearth_token_batcher_detach (self->batcher);
  g_clear_object (&self->worker);
  g_clear_object (&self->responder);
  g_clear_object (&self->reply_responder);
  g_clear_object (&self->tools);
  g_clear_object (&self->approval);
  g_clear_handle_id (&self->continue_source, g_source_remove);
  g_clear_object (&self->thread);
  g_clear_object (&self->conversations);
  g_clear_object (&self->models);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->stream_item);
  g_clear_pointer (&self->retrievers, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_runtime_parent_class)->dispose (object);
}

static void
hearth_runtime_finalize (GObject *object)
{
  HearthRuntime *self = HEARTH_RUNTIME (object);

  g_clear_object (&self->store);
  g_clear_pointer (&self->batcher, hearth_token_batcher_unref);
  g_free (self->loading_path);
  g_free (self->pending_system_prompt);
  g_free (self->pending_source);
  g_free (self->source);
  g_free (self->source_host);
  g_free (self->reply_model_path);
  g_free (self->reply_tools_json);
  g_free (self->reply_context);
  g_free (self->reply_sources_json);
  g_strfreev (self->pending_collections);
  g_free (self->call_plugin_id);
  g_strfreev (self->enabled_tools);
  g_clear_pointer (&self->calls, hearth_tool_calls_free);
  g_strfreev (self->call_ids);
  g_free (self->shown.path);
  g_free (self->shown.backend);
  g_free (self->shown.device_lost);
  G_OBJECT_CLASS (hearth_runtime_parent_class)->finalize (object);
}

static void
hearth_runtime_class_init (HearthRuntimeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = hearth_runtime_get_property;
  object_class->dispose = hearth_runtime_dispose;
  object_class->finalize = hearth_runtime_finalize;

  properties[PROP_MODEL_LOADED] = g_param_spec_boolean ("model-loaded", NULL, NULL, FALSE, ro);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  properties[PROP_MODEL_PATH] = g_param_spec_string ("model-path", NULL, NULL, NULL, ro);
  properties[PROP_BACKEND] = g_param_spec_string ("backend", NULL, NULL, NULL, ro);
  properties[PROP_DEVICE_LOST] = g_param_spec_string ("device-lost", NULL, NULL, NULL, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_TOKENS_PER_SECOND] = g_param_spec_double ("tokens-per-second", NULL, NULL,
                                                            0, G_MAXDOUBLE, 0, ro);
  properties[PROP_CONTEXT_USED] = g_param_spec_uint ("context-used", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_CONTEXT_SIZE] = g_param_spec_uint ("context-size", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_CONVERSATION_ID] = g_param_spec_int64 ("conversation-id", NULL, NULL,
                                                         0, G_MAXINT64, 0, ro);
  properties[PROP_REMOTE_PROVIDER] = g_param_spec_string ("remote-provider", NULL, NULL, NULL, ro);
  properties[PROP_REMOTE_HOST] = g_param_spec_string ("remote-host", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REPLY_FINISHED] =
    g_signal_new ("reply-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_APPROVAL_REQUESTED] =
    g_signal_new ("approval-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, HEARTH_TYPE_TOOL_APPROVAL);
  signals[SIGNAL_PASSAGES_SENT] =
    g_signal_new ("passages-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
hearth_runtime_init (HearthRuntime *self)
{
  hearth_sampler_params_init (&self->sampler);
  self->max_tool_rounds = HEARTH_RUNTIME_DEFAULT_TOOL_ROUNDS;
  self->retrieval_limit = HEARTH_RUNTIME_DEFAULT_RETRIEVAL_LIMIT;
  self->retrievers = g_ptr_array_new_with_free_func (g_object_unref);
}

HearthRuntime *
hearth_runtime_new (HearthStore *store)
{
  g_autoptr(HearthRuntime) self = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  self = g_object_new (HEARTH_TYPE_RUNTIME, NULL);
  self->store = g_object_ref (store);
  self->thread = hearth_thread_model_new (store);
  self->conversations = hearth_conversation_list_new (store, &error);
  if (self->conversations == NULL)
    {
      /* The store opened, so this is a read failing: show an empty list
       * and say so, rather than no window. */
      g_warning ("The conversations could not be listed: %s", error->message);
      g_clear_error (&error);
    }
  self->models = hearth_model_registry_new (store, &error);
  if (self->models == NULL)
    g_warning ("The list of models could not be read: %s", error->message);
  self->batcher = hearth_token_batcher_new (NULL, BATCH_INTERVAL_MS, batch_ready, self);
  self->worker = hearth_engine_worker_new (self->batcher);
  self->responder = g_object_ref (HEARTH_RESPONDER (self->worker));
  return g_steal_pointer (&self);
}

HearthStore *
hearth_runtime_get_store (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->store;
}

HearthConversationList *
hearth_runtime_get_conversations (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->conversations;
}

HearthThreadModel *
hearth_runtime_get_thread (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->thread;
}

HearthModelRegistry *
hearth_runtime_get_models (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->models;
}

/* ---- the model ---- */

static void
model_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HearthRuntime *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_steal_pointer (&self->loading_path);

  g_object_freeze_notify (G_OBJECT (self));
  set_loading (self, FALSE);
  if (!hearth_engine_worker_load_finish (self->worker, result, &error))
    {
      notify_model (self);
      g_object_thaw_notify (G_OBJECT (self));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (self->models != NULL && !hearth_model_registry_mark_used (self->models, path, &error))
    g_warning ("The model could not be remembered: %s", error->message);
  self->context_used = 0;
  self->tokens_per_second = 0;
  notify (self, PROP_CONTEXT_USED);
  notify (self, PROP_TOKENS_PER_SECOND);
  notify_model (self);
  g_object_thaw_notify (G_OBJECT (self));
  g_task_return_boolean (task, TRUE);
}

void
hearth_runtime_load_model (HearthRuntime                *self,
                           const char                   *path,
                           const HearthWorkerLoadParams *params,
                           GCancellable                 *cancellable,
                           GAsyncReadyCallback           callback,
                           gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  g_return_if_fail (path != NULL && params != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_runtime_load_model);
  if (self->loading || self->shut_down)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, _("A model is being loaded already"));
      return;
    }
  hearth_runtime_stop (self);
  self->loading_path = g_strdup (path);
  hearth_engine_worker_load_async (self->worker, path, params, model_loaded, g_steal_pointer (&task));
  g_object_freeze_notify (G_OBJECT (self));
  set_loading (self, TRUE);
  notify_model (self);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
hearth_runtime_load_model_finish (HearthRuntime *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
hearth_runtime_reload_model (HearthRuntime      *self,
                             gboolean            on_cpu,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  HearthWorkerLoadParams p;
  const char *last;
  g_autofree char *path = NULL;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (!hearth_engine_worker_get_last_load (self->worker, &last, &p))
    return FALSE;
  if (on_cpu)
    p.backend = HEARTH_BACKEND_CPU;
  path = g_strdup (last);
  hearth_runtime_load_model (self, path, &p, NULL, callback, user_data);
  return TRUE;
}

void
hearth_runtime_unload_model (HearthRuntime *self)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  hearth_engine_worker_unload (self->worker);
  self->context_used = 0;
  notify (self, PROP_CONTEXT_USED);
  notify_model (self);
}

gboolean
hearth_runtime_get_model_loaded (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return hearth_engine_worker_is_loaded (self->worker);
}

gboolean
hearth_runtime_get_loading (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return self->loading;
}

const char *
hearth_runtime_get_model_path (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  if (self->loading)
    return self->loading_path;
  return hearth_engine_worker_get_model_path (self->worker);
}

const char *
hearth_runtime_get_backend (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_engine_worker_get_backend_description (self->worker);
}

HearthModel *
hearth_runtime_dup_model (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_engine_worker_dup_model (self->worker);
}

const char *
hearth_runtime_get_device_lost (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_engine_worker_get_device_lost (self->worker);
}

gboolean
hearth_runtime_get_last_load (HearthRuntime          *self,
                              const char            **path,
                              HearthWorkerLoadParams *params)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return hearth_engine_worker_get_last_load (self->worker, path, params);
}

/* ---- generation settings ---- */

void
hearth_runtime_set_sampler_params (HearthRuntime             *self,
                                   const HearthSamplerParams *params)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  self->sampler = *params;
}

void
hearth_runtime_set_max_tokens (HearthRuntime *self,
                               guint32        max_tokens)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  self->max_tokens = max_tokens;
}

/* ---- tools ---- */

void
hearth_runtime_set_tool_registry (HearthRuntime      *self,
                                  HearthToolRegistry *registry)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  g_return_if_fail (registry == NULL || HEARTH_IS_TOOL_REGISTRY (registry));
  /* A loop in progress keeps running its calls through the old one. */
  if (self->calls == NULL)
    g_set_object (&self->tools, registry);
}

HearthToolRegistry *
hearth_runtime_get_tool_registry (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->tools;
}

GPtrArray *
hearth_runtime_list_tool_audit (HearthRuntime *self,
                                GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_store_list_tool_audit (self->store, 0, error);
}

GPtrArray *
hearth_runtime_list_tool_approvals (HearthRuntime *self,
                                    GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_store_list_tool_approvals (self->store, error);
}

gboolean
hearth_runtime_revoke_tool_approval (HearthRuntime *self,
                                     const char    *tool_name,
                                     gint64         conversation_id,
                                     GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return hearth_store_revoke_tool_approval (self->store, tool_name, conversation_id, error);
}

void
hearth_runtime_set_enabled_tools (HearthRuntime     *self,
                                  const char *const *names)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  g_strfreev (self->enabled_tools);
  self->enabled_tools = g_strdupv ((char **) names);
}

void
hearth_runtime_set_approval_policy (HearthRuntime           *self,
                                    HearthToolApprovalPolicy policy)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  self->approval_policy = policy;
}

void
hearth_runtime_set_max_tool_rounds (HearthRuntime *self,
                                    guint          rounds)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  self->max_tool_rounds = rounds > 0 ? rounds : HEARTH_RUNTIME_DEFAULT_TOOL_ROUNDS;
}

void
hearth_runtime_set_responder (HearthRuntime   *self,
                              HearthResponder *responder)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  g_return_if_fail (responder == NULL || HEARTH_IS_RESPONDER (responder));
  if (responder == NULL)
    responder = HEARTH_RESPONDER (self->worker);
  g_object_ref (responder);
  g_clear_object (&self->responder);
  self->responder = responder;
}

/* ---- the reply ---- */

static void generate    (HearthRuntime *self, guint n);
static void next_call   (HearthRuntime *self);
static void sync_source (HearthRuntime *self);

static void
store_reply (HearthRuntime     *self,
             HearthWorkerReply *reply,
             gint64            *message_id)
{
  gboolean lost = reply->device_lost != NULL;
  gboolean failed = reply->failure != NULL;
  gboolean stopped = reply->reason == HEARTH_STOP_CANCELLED || reply->reason == HEARTH_STOP_CALLBACK || lost || failed;
  g_autofree char *settings = NULL;
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(GError) error = NULL;
  HearthMessageExtra extra;

  /* A stopped reply is kept, marked as stopped; an empty one is not worth
   * a message, unless the device was lost: then it says so where the reply
   * would be, and can be regenerated after a reload. */
  if (reply->text[0] == '\0' && stopped && !lost)
    return;
  if (lost)
    settings = hearth_thread_dup_settings_json_device_lost (&self->reply_sampler, self->reply_model_path);
  else if (failed)
    settings = hearth_thread_dup_settings_json_failed (&self->reply_sampler, self->reply_model_path, reply->failure);
  else
    settings = hearth_thread_dup_settings_json (&self->reply_sampler, self->reply_model_path, stopped);
  hearth_message_extra_init (&extra);
  extra.prompt_tokens = reply->n_prompt_tokens;
  extra.completion_tokens = reply->n_generated;
  extra.settings_json = settings;
  extra.sources_json = self->reply_sources_json;
  m = hearth_store_append_message (self->store, self->reply_conversation_id, self->reply_parent_id,
                                   HEARTH_MESSAGE_ROLE_ASSISTANT, reply->text, &extra, &error);
  if (m == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The reply could not be saved: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      return;
    }
  *message_id = hearth_message_get_id (m);
}

static void
clear_calls (HearthRuntime *self)
{
  g_clear_pointer (&self->calls, hearth_tool_calls_free);
  g_clear_pointer (&self->call_ids, g_strfreev);
  self->call_index = 0;
  self->calls_message_id = 0;
  if (self->approval != NULL)
    hearth_tool_approval_withdraw (self->approval);
  g_clear_object (&self->approval);
}

/* The reply (every round of it) is over: @message_id is the last message
 * it stored (0: none; the streaming item goes then). */
static void
finish_reply (HearthRuntime     *self,
              gint64             message_id,
              HearthWorkerReply *reply)
{
  /* Released at the end: the reply is saved before the application may quit. */
  g_autoptr(GApplication) held = g_steal_pointer (&self->held_app);
  gint64 conversation_id = self->reply_conversation_id;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->reply_responder);
  clear_calls (self);
  g_clear_pointer (&self->reply_tools_json, g_free);
  g_clear_pointer (&self->reply_context, g_free);
  g_clear_pointer (&self->reply_sources_json, g_free);
  self->reply_n_passages = 0;
  self->reply_passages_told = FALSE;
  self->retrieving = FALSE;
  self->tool_round = 0;
  if (message_id == 0)
    hearth_thread_model_refresh (self->thread, NULL);

  self->generation = 0;
  g_object_freeze_notify (G_OBJECT (self));
  notify (self, PROP_TOKENS_PER_SECOND);
  notify (self, PROP_CONTEXT_USED);
  if (reply != NULL && reply->device_lost != NULL)
    notify_model (self);
  notify (self, PROP_BUSY);
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_REPLY_FINISHED], 0, conversation_id, message_id);
  if (held != NULL)
    g_application_release (held);
}

/* Stores a reply that called tools, with its calls (ids given to those
 * that came without one), and makes them the calls to run. */
static gboolean
store_calls (HearthRuntime     *self,
             HearthWorkerReply *reply)
{
  HearthToolCalls *calls = reply->tool_calls;
  guint n = hearth_tool_calls_get_n_calls (calls);
  g_autofree char *settings = hearth_thread_dup_settings_json (&self->reply_sampler, self->reply_model_path, FALSE);
  g_autofree char *json = NULL;
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(GError) error = NULL;
  HearthMessageExtra extra;

  self->call_ids = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);

      self->call_ids[i] = c->id != NULL ? g_strdup (c->id) : g_strdup_printf ("call_%u_%u", self->tool_round + 1, i + 1);
    }
  json = hearth_thread_dup_tool_calls_json (calls, (const char *const *) self->call_ids);
  hearth_message_extra_init (&extra);
  extra.prompt_tokens = reply->n_prompt_tokens;
  extra.completion_tokens = reply->n_generated;
  extra.settings_json = settings;
  extra.tool_calls_json = json;
  extra.sources_json = self->reply_sources_json;
  m = hearth_store_append_message (self->store, self->reply_conversation_id, self->reply_parent_id,
                                   HEARTH_MESSAGE_ROLE_ASSISTANT, hearth_tool_calls_get_content (calls),
                                   &extra, &error);
  if (m == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The reply could not be saved: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      return FALSE;
    }
  self->calls = g_steal_pointer (&reply->tool_calls);
  self->calls_message_id = self->reply_parent_id = hearth_message_get_id (m);
  self->call_index = 0;
  self->tool_round++;
  return TRUE;
}

/* Stores the result of the call being run (a tool message under the last
 * message) with its audit row, in one transaction. FALSE (and the error
 * signal) when the store failed: the loop ends there. */
static gboolean
store_result (HearthRuntime          *self,
              const char             *plugin_id,
              const char             *text,
              gboolean                is_error,
              HearthToolAuditDecision decision,
              const char             *decided_by,
              gint64                  started)
{
  const HearthToolCall *c = hearth_tool_calls_get_call (self->calls, self->call_index);
  g_autoptr(HearthToolAuditEntry) audit = hearth_tool_audit_entry_new ();
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(GError) error = NULL;

  audit->conversation_id = self->reply_conversation_id;
  audit->message_id = self->calls_message_id;
  audit->call_id = g_strdup (self->call_ids[self->call_index]);
  audit->tool_name = g_strdup (c->name != NULL ? c->name : "");
  audit->plugin_id = g_strdup (plugin_id);
  audit->arguments_json = c->arguments != NULL ? hearth_json_to_string (c->arguments, -1) : g_strdup ("{}");
  audit->decision = decision;
  audit->decided_by = g_strdup (decided_by);
  audit->result = g_strdup (text);
  audit->is_error = is_error;
  audit->started = started;
  audit->finished = g_get_real_time ();
  m = hearth_store_append_tool_result (self->store, self->reply_conversation_id, self->reply_parent_id, text,
                                       audit->call_id, c->name, audit, &error);
  if (m == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("A tool's result could not be saved: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      return FALSE;
    }
  self->reply_parent_id = hearth_message_get_id (m);
  return TRUE;
}

/* Stopped: every call not run yet gets a result saying so (a model, or a
 * server, expects one per call), then the reply ends. */
static void
stop_calls (HearthRuntime *self)
{
  for (; self->calls != NULL && self->call_index < hearth_tool_calls_get_n_calls (self->calls); self->call_index++)
    if (!store_result (self, NULL, _("Error: not run: the user stopped the reply."), TRUE,
                       HEARTH_TOOL_AUDIT_NOT_RUN, "stopped", 0))
      break;
  finish_reply (self, self->reply_parent_id, NULL);
}

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(HearthRuntime) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthToolOutcome) outcome = NULL;
  g_autofree char *text = NULL;
  g_autofree char *plugin_id = g_steal_pointer (&self->call_plugin_id);
  gboolean stopped;

  outcome = hearth_tool_registry_call_finish (HEARTH_TOOL_REGISTRY (source), result, &error);
  stopped = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (stopped)
    text = g_strdup (_("Error: the user stopped this call."));
  else if (outcome == NULL)
    text = g_strdup_printf (_("Error: %s"), error->message);
  if (!store_result (self, plugin_id, outcome != NULL ? outcome->text : text, outcome == NULL,
                     self->call_decision, self->call_decided_by, self->call_started))
    {
      finish_reply (self, self->reply_parent_id, NULL);
      return;
    }
  self->call_index++;
  if (stopped)
    stop_calls (self);
  else
    next_call (self);
}

static void
run_call (HearthRuntime          *self,
          const char             *plugin_id,
          HearthToolAuditDecision decision,
          const char             *decided_by)
{
  const HearthToolCall *c = hearth_tool_calls_get_call (self->calls, self->call_index);
  g_autofree char *arguments = hearth_json_to_string (c->arguments, -1);

  self->call_decision = decision;
  self->call_decided_by = decided_by;
  self->call_started = g_get_real_time ();
  g_free (self->call_plugin_id);
  self->call_plugin_id = g_strdup (plugin_id);
  hearth_tool_registry_call_async (self->tools, c->name, arguments, self->cancellable, call_done,
                                   g_object_ref (self));
}

static gboolean
deny_call (HearthRuntime *self,
           const char    *plugin_id,
           const char    *decided_by)
{
  const HearthToolCall *c = hearth_tool_calls_get_call (self->calls, self->call_index);
  g_autofree char *text = g_strdup_printf (_("Error: the user denied this call of %s; it did not run."), c->name);

  return store_result (self, plugin_id, text, TRUE, HEARTH_TOOL_AUDIT_DENIED, decided_by, 0);
}

/* After the user's answer, from an idle: never inside their handler. */
static gboolean
apply_decision (gpointer user_data)
{
  HearthRuntime *self = user_data;
  const HearthToolCall *c = hearth_tool_calls_get_call (self->calls, self->call_index);
  HearthToolDecision decision = self->decision;
  const char *plugin_id = NULL;
  g_autoptr(GError) error = NULL;

  self->continue_source = 0;
  g_clear_object (&self->approval);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      stop_calls (self);
      return G_SOURCE_REMOVE;
    }
  hearth_tool_registry_lookup (self->tools, c->name, &plugin_id);
  switch (decision)
    {
    case HEARTH_TOOL_DECISION_ALLOW_ONCE:
      run_call (self, plugin_id, HEARTH_TOOL_AUDIT_ALLOWED_ONCE, "user");
      return G_SOURCE_REMOVE;
    case HEARTH_TOOL_DECISION_ALLOW_CONVERSATION:
    case HEARTH_TOOL_DECISION_ALLOW_ALWAYS:
      {
        gboolean always = decision == HEARTH_TOOL_DECISION_ALLOW_ALWAYS;

        /* Not remembered is no reason not to run what the user allowed. */
        if (!hearth_store_remember_tool_approval (self->store, c->name, always ? 0 : self->reply_conversation_id,
                                                  &error))
          g_signal_emit (self, signals[SIGNAL_ERROR], 0, error->message);
        run_call (self, plugin_id, always ? HEARTH_TOOL_AUDIT_ALLOWED_ALWAYS : HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION,
                  "user");
        return G_SOURCE_REMOVE;
      }
    case HEARTH_TOOL_DECISION_DENY:
    default:
      if (!deny_call (self, plugin_id, "user"))
        {
          finish_reply (self, self->reply_parent_id, NULL);
          return G_SOURCE_REMOVE;
        }
      self->call_index++;
      next_call (self);
      return G_SOURCE_REMOVE;
    }
}

static void
continue_later (HearthRuntime *self)
{
  if (self->continue_source == 0)
    self->continue_source = g_idle_add_full (G_PRIORITY_DEFAULT, apply_decision, g_object_ref (self),
                                             g_object_unref);
}

static void
approval_decided (HearthToolApproval *approval,
                  int                 decision,
                  HearthRuntime      *self)
{
  if (approval != self->approval)
    return;
  self->decision = (HearthToolDecision) decision;
  continue_later (self);
}

/* Runs, denies or asks about the calls from the one at call_index on,
 * until one has to wait (a tool runs, the user is asked); then the next
 * round, or the end of the reply. */
static void
next_call (HearthRuntime *self)
{
  guint n = hearth_tool_calls_get_n_calls (self->calls);

  for (; self->call_index < n; self->call_index++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (self->calls, self->call_index);
      const char *plugin_id = NULL;
      HearthTool *tool;
      gboolean ok;

      if (g_cancellable_is_cancelled (self->cancellable))
        {
          stop_calls (self);
          return;
        }
      /* Arguments that do not fit (or a tool gone since the reply began):
       * nothing runs, the model reads why. */
      tool = c->error == NULL ? hearth_tool_registry_lookup (self->tools, c->name, &plugin_id) : NULL;
      if (tool == NULL)
        {
          g_autofree char *text = c->error != NULL
            ? g_strdup_printf (_("Error: the call was not run: %s"), c->error->message)
            : g_strdup_printf (_("Error: the call was not run: there is no tool %s"), c->name);

          ok = store_result (self, plugin_id, text, TRUE, HEARTH_TOOL_AUDIT_INVALID, "runtime", 0);
        }
      else if (!hearth_tool_effects_need_approval (hearth_tool_get_effects (tool)))
        {
          run_call (self, plugin_id, HEARTH_TOOL_AUDIT_READ_ONLY, "runtime");
          return;
        }
      else if (self->approval_policy == HEARTH_TOOL_APPROVAL_POLICY_DENY_ALL)
        ok = deny_call (self, plugin_id, "policy");
      else if (self->approval_policy == HEARTH_TOOL_APPROVAL_POLICY_ALLOW_ALL)
        {
          run_call (self, plugin_id, HEARTH_TOOL_AUDIT_ALLOWED_ONCE, "policy");
          return;
        }
      else
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *arguments = NULL;

          switch (hearth_store_get_tool_approval (self->store, c->name, self->reply_conversation_id, &error))
            {
            case HEARTH_TOOL_APPROVAL_ALWAYS:
              run_call (self, plugin_id, HEARTH_TOOL_AUDIT_ALLOWED_ALWAYS, "remembered");
              return;
            case HEARTH_TOOL_APPROVAL_CONVERSATION:
              run_call (self, plugin_id, HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION, "remembered");
              return;
            case HEARTH_TOOL_APPROVAL_NONE:
            default:
              if (error != NULL)
                g_signal_emit (self, signals[SIGNAL_ERROR], 0, error->message);
              break;
            }
          arguments = hearth_json_to_string (c->arguments, -1);
          self->approval = hearth_tool_approval_new (tool, plugin_id, arguments, self->reply_conversation_id);
          g_signal_connect (self->approval, "decided", G_CALLBACK (approval_decided), self);
          g_signal_emit (self, signals[SIGNAL_APPROVAL_REQUESTED], 0, self->approval);
          return;
        }
      if (!ok)
        {
          finish_reply (self, self->reply_parent_id, NULL);
          return;
        }
    }

  /* Every call has its result: the model goes on, within the bound. */
  clear_calls (self);
  if (g_cancellable_is_cancelled (self->cancellable))
    finish_reply (self, self->reply_parent_id, NULL);
  else if (self->tool_round >= self->max_tool_rounds)
    {
      g_autofree char *msg = g_strdup_printf (_("The reply was stopped after %u rounds of tool calls"),
                                              self->max_tool_rounds);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      finish_reply (self, self->reply_parent_id, NULL);
    }
  else
    generate (self, g_list_model_get_n_items (G_LIST_MODEL (self->thread)));
}

static gboolean
wants_tools (HearthRuntime     *self,
             HearthWorkerReply *reply)
{
  return self->tools != NULL && reply->tool_calls != NULL && hearth_tool_calls_get_n_calls (reply->tool_calls) > 0 &&
         reply->device_lost == NULL && reply->failure == NULL && reply->reason != HEARTH_STOP_CANCELLED &&
         !g_cancellable_is_cancelled (self->cancellable);
}

static void
reply_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HearthRuntime) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthWorkerReply) reply = NULL;
  gint64 message_id = 0;

  reply = hearth_responder_respond_finish (HEARTH_RESPONDER (source), result, &error);
  /* What the engine streamed before it finished still reaches the item (a
   * fast model can finish inside one batch interval). */
  hearth_token_batcher_flush (self->batcher);
  hearth_token_batcher_invalidate (self->batcher);
  g_clear_object (&self->stream_item);
  hearth_thread_model_end_streaming (self->thread);

  if (reply == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The model could not reply: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      finish_reply (self, 0, NULL);
      return;
    }
  if (reply->device_lost == NULL)
    {
      self->tokens_per_second = reply->gen_seconds > 0 ? reply->n_generated / reply->gen_seconds : 0.0;
      self->context_used = reply->n_past;
      self->prompt_tokens = reply->n_prompt_tokens;
      self->prompt_eval = reply->n_prompt_eval;
      self->prompt_reused = reply->n_reused;
      self->first_token_seconds = reply->first_token_seconds;
    }
  else
    self->context_used = 0;
  if (wants_tools (self, reply))
    {
      if (!store_calls (self, reply))
        {
          finish_reply (self, 0, reply);
          return;
        }
      next_call (self);
      return;
    }
  store_reply (self, reply, &message_id);
  if (reply->failure != NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The reply was cut short: %s"), reply->failure);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
    }
  finish_reply (self, message_id, reply);
}

/* One round: the model's reply to the first @n items of the branch on
 * show, as a child of reply_parent_id. */
static void
generate (HearthRuntime *self,
          guint          n)
{
  g_autofree char *system_prompt = hearth_runtime_dup_system_prompt (self);
  g_autoptr(GPtrArray) messages = hearth_thread_to_worker_messages (G_LIST_MODEL (self->thread), n);

  /* The passages go beside the system prompt, never into the user's
   * message: what is stored is what the user typed. */
  if (self->reply_context != NULL)
    {
      char *with_context = system_prompt != NULL && system_prompt[0] != '\0'
                             ? g_strconcat (system_prompt, "\n\n", self->reply_context, NULL)
                             : g_strdup (self->reply_context);

      g_free (system_prompt);
      system_prompt = with_context;
    }
  HearthResponderRequest request = { 0 };

  /* Retrieval stays here; only the chosen passages leave, and the user is
   * told before they do, once per reply. */
  if (self->reply_n_passages > 0 && !self->reply_passages_told &&
      HEARTH_IS_REMOTE_RESPONDER (self->reply_responder))
    {
      self->reply_passages_told = TRUE;
      g_signal_emit (self, signals[SIGNAL_PASSAGES_SENT], 0, self->reply_n_passages,
                     hearth_runtime_get_remote_host (self));
    }
  self->generation = hearth_token_batcher_begin (self->batcher);
  g_clear_object (&self->stream_item);
  self->stream_item = g_object_ref (hearth_thread_model_begin_streaming (self->thread, n));
  request.generation = self->generation;
  request.system_prompt = system_prompt;
  request.messages = messages;
  request.tools_json = self->reply_tools_json;
  request.sampler = &self->reply_sampler;
  request.max_tokens = self->max_tokens;
  hearth_responder_respond_async (self->reply_responder, &request, self->cancellable, reply_done,
                                  g_object_ref (self));
}

/* The tools offered to the model now (the enabled ones the registry has),
 * as the template's `tools`; NULL: none. */
static char *
dup_tools_json (HearthRuntime *self)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) tools = NULL;
  g_autoptr(GError) error = NULL;
  char *json;

  if (self->tools == NULL)
    return NULL;
  tools = hearth_tool_registry_list_tools (self->tools);
  for (guint i = 0; i < tools->len; i++)
    {
      const char *name = hearth_tool_get_name (g_ptr_array_index (tools, i));

      if (self->enabled_tools == NULL || g_strv_contains ((const char *const *) self->enabled_tools, name))
        g_ptr_array_add (names, (gpointer) name);
    }
  if (names->len == 0)
    return NULL;
  g_ptr_array_add (names, NULL);
  json = hearth_tool_registry_dup_template_tools (self->tools, (const char *const *) names->pdata, &error);
  if (json == NULL)
    g_warning ("The tools could not be offered: %s", error->message);
  return json;
}

/* ---- retrieval: the passages of the attached documents ---- */

/* One reply's searches: one per collection and retriever, all at once. */
typedef struct
{
  HearthRuntime *self;       /* a reference */
  GCancellable  *cancellable;
  guint          n;          /* the items the reply answers */
  guint          pending;
  GPtrArray     *passages;   /* HearthPassage of every search */
  GStrv          collections;
  gboolean      *searched;   /* per collection: some retriever had it */
  GError        *error;      /* the first failure other than "not mine" */
} Retrieval;

typedef struct
{
  Retrieval *retrieval;
  guint      collection;
} RetrievalSearch;

static void
retrieval_free (Retrieval *r)
{
  g_object_unref (r->self);
  g_object_unref (r->cancellable);
  g_ptr_array_unref (r->passages);
  g_strfreev (r->collections);
  g_free (r->searched);
  g_clear_error (&r->error);
  g_free (r);
}

static int
compare_passages (gconstpointer a,
                  gconstpointer b)
{
  double sa = hearth_passage_get_score (*(HearthPassage **) a);
  double sb = hearth_passage_get_score (*(HearthPassage **) b);

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

static void
retrieval_done (Retrieval *r)
{
  HearthRuntime *self = r->self;

  self->retrieving = FALSE;
  /* Stopped (or left for another conversation) while searching: the
   * reply ends before it began. */
  if (g_cancellable_is_cancelled (r->cancellable) || r->cancellable != self->cancellable)
    {
      if (r->cancellable == self->cancellable)
        finish_reply (self, 0, NULL);
      return;
    }
  for (guint i = 0; r->collections[i] != NULL; i++)
    if (!r->searched[i])
      {
        g_autofree char *msg = g_strdup_printf (_("The documents of “%s” could not be searched: %s"),
                                                r->collections[i],
                                                r->error != NULL ? r->error->message
                                                                 : _("no document index has this collection"));

        g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      }
  /* Scores are comparable within one search; across collections the
   * fused ranks still are, roughly: the best of all first, stable. */
  g_ptr_array_sort (r->passages, compare_passages);
  if (r->passages->len > self->retrieval_limit)
    g_ptr_array_remove_range (r->passages, self->retrieval_limit, r->passages->len - self->retrieval_limit);
  self->reply_context = hearth_reply_sources_dup_prompt_block (r->passages);
  self->reply_n_passages = r->passages->len;
  self->reply_sources_json = hearth_reply_sources_to_json (r->passages);
  generate (self, r->n);
  notify (self, PROP_BUSY);
}

static void
retrieval_searched (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autofree RetrievalSearch *search = user_data;
  Retrieval *r = search->retrieval;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) passages = hearth_retriever_search_finish (HEARTH_RETRIEVER (source), result, &error);

  if (passages != NULL)
    {
      r->searched[search->collection] = TRUE;
      for (guint i = 0; i < passages->len; i++)
        g_ptr_array_add (r->passages, hearth_passage_ref (g_ptr_array_index (passages, i)));
    }
  else if (!g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND) &&
           !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && r->error == NULL)
    r->error = g_steal_pointer (&error);
  if (--r->pending > 0)
    return;
  retrieval_done (r);
  retrieval_free (r);
}

/* The text of the user's message the reply to the first @n items answers. */
static const char *
question_of (HearthRuntime *self,
             guint          n)
{
  for (guint i = n; i > 0; i--)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (G_LIST_MODEL (self->thread), i - 1);

      if (hearth_thread_item_get_role (item) == HEARTH_MESSAGE_ROLE_USER)
        return hearth_message_get_content (hearth_thread_item_get_message (item));
    }
  return NULL;
}

/* Starts the searches of the reply to the first @n items, when the
 * conversation has documents attached; FALSE when it has none (or
 * there is no question to search for): generate at once. */
static gboolean
start_retrieval (HearthRuntime *self,
                 guint          n)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) collections = NULL;
  const char *question = question_of (self, n);
  Retrieval *r;
  guint n_collections;

  collections = hearth_store_dup_conversation_collections (self->store, self->reply_conversation_id, &error);
  if (collections == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("The attached documents could not be read: %s"), error->message);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, msg);
      return FALSE;
    }
  n_collections = g_strv_length (collections);
  if (n_collections == 0 || question == NULL)
    return FALSE;

  r = g_new0 (Retrieval, 1);
  r->self = g_object_ref (self);
  r->cancellable = g_object_ref (self->cancellable);
  r->n = n;
  r->passages = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_passage_unref);
  r->collections = g_steal_pointer (&collections);
  r->searched = g_new0 (gboolean, n_collections);
  r->pending = 1;  /* held until every search has started */
  self->retrieving = TRUE;
  for (guint c = 0; c < n_collections; c++)
    for (guint i = 0; i < self->retrievers->len; i++)
      {
        RetrievalSearch *search = g_new0 (RetrievalSearch, 1);

        search->retrieval = r;
        search->collection = c;
        r->pending++;
        hearth_retriever_search_async (g_ptr_array_index (self->retrievers, i), r->collections[c], question,
                                       self->retrieval_limit, r->cancellable, retrieval_searched, search);
      }
  /* Searches complete from the main context, never inside the call; so
   * this is the last only when there is no retriever at all. */
  if (--r->pending == 0)
    {
      retrieval_done (r);
      retrieval_free (r);
    }
  return TRUE;
}

/* Starts the assistant's reply to the first @n items of the branch on
 * show, as a child of @parent_id. */
static void
start_reply (HearthRuntime   *self,
             HearthResponder *responder,
             guint            n,
             gint64           parent_id)
{
  g_set_object (&self->reply_responder, responder);
  self->cancellable = g_cancellable_new ();
  /* Closing the window mid-reply cancels it; the application stays up
   * until the partial reply is in the store. */
  if (g_application_get_default () != NULL)
    {
      self->held_app = g_object_ref (g_application_get_default ());
      g_application_hold (self->held_app);
    }
  self->reply_conversation_id = hearth_thread_model_get_conversation (self->thread);
  self->reply_parent_id = parent_id;
  g_free (self->reply_model_path);
  self->reply_model_path = g_strdup (hearth_responder_get_model (responder));
  self->reply_sampler = self->sampler;
  if (self->reply_sampler.seed == 0)
    self->reply_sampler.seed = (guint64) g_get_real_time ();
  g_free (self->reply_tools_json);
  self->reply_tools_json = dup_tools_json (self);
  self->tool_round = 0;
  g_clear_pointer (&self->reply_context, g_free);
  g_clear_pointer (&self->reply_sources_json, g_free);

  if (!start_retrieval (self, n))
    generate (self, n);
  notify (self, PROP_BUSY);
}

/* What answers @provider (NULL: the local model): a new remote responder
 * with the provider's key from the keyring, or the local one. */
static HearthResponder *
responder_for (HearthRuntime *self,
               const char    *provider,
               GError       **error)
{
  g_autoptr(HearthRemoteProvider) p = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *key = NULL;

  if (provider == NULL)
    return g_object_ref (self->responder);
  p = hearth_remote_providers_lookup (self->store, provider, error);
  if (p == NULL)
    return NULL;
  key = hearth_remote_provider_dup_key (p, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return HEARTH_RESPONDER (hearth_remote_responder_new (p, key, self->batcher));
}

/* What writes the next reply (@provider, or the conversation's source
 * when NULL), or NULL with why a reply cannot start now. */
static HearthResponder *
ready_responder (HearthRuntime *self,
                 const char    *provider,
                 GError       **error)
{
  g_autoptr(HearthResponder) responder = NULL;

  if (hearth_runtime_get_busy (self))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A reply is in progress"));
      return NULL;
    }
  responder = responder_for (self, provider != NULL ? provider : self->source, error);
  if (responder == NULL)
    return NULL;
  if (!hearth_responder_is_ready (responder))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("Load a model first"));
      return NULL;
    }
  return g_steal_pointer (&responder);
}

/* @text without the blank around it; NULL with an error when nothing is left. */
static char *
dup_message_text (const char *text,
                  GError    **error)
{
  g_autofree char *content = g_strstrip (g_strdup (text != NULL ? text : ""));

  if (content[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The message is empty"));
      return NULL;
    }
  return g_steal_pointer (&content);
}

gboolean
hearth_runtime_send (HearthRuntime *self,
                     const char    *text,
                     GError       **error)
{
  g_autofree char *content = NULL;
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(HearthResponder) responder = NULL;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if ((responder = ready_responder (self, NULL, error)) == NULL || (content = dup_message_text (text, error)) == NULL)
    return FALSE;
  if (hearth_thread_model_get_conversation (self->thread) == 0)
    {
      g_autofree char *title = hearth_thread_dup_title_for (content);
      g_autoptr(HearthConversation) conv = NULL;

      conv = hearth_store_create_conversation (self->store, title, hearth_responder_get_model (responder),
                                               self->pending_system_prompt, error);
      if (conv == NULL)
        return FALSE;
      g_clear_pointer (&self->pending_system_prompt, g_free);
      g_clear_pointer (&self->pending_source, g_free);
      if (self->pending_collections != NULL &&
          !hearth_store_set_conversation_collections (self->store, hearth_conversation_get_id (conv),
                                                      (const char *const *) self->pending_collections, error))
        return FALSE;
      g_clear_pointer (&self->pending_collections, g_strfreev);
      if (!hearth_thread_model_set_conversation (self->thread, hearth_conversation_get_id (conv), error))
        return FALSE;
      notify (self, PROP_CONVERSATION_ID);
      sync_source (self);
    }
  m = hearth_store_append_message (self->store, hearth_thread_model_get_conversation (self->thread),
                                   HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, content, NULL, error);
  if (m == NULL)
    return FALSE;
  start_reply (self, responder, g_list_model_get_n_items (G_LIST_MODEL (self->thread)), hearth_message_get_id (m));
  return TRUE;
}

/* A sibling of the last reply, from @provider (NULL: the conversation's source). */
static gboolean
regenerate_with (HearthRuntime *self,
                 const char    *provider,
                 GError       **error)
{
  GListModel *thread = G_LIST_MODEL (self->thread);
  g_autoptr(HearthThreadItem) last = NULL;
  g_autoptr(HearthResponder) responder = NULL;
  guint n;

  if ((responder = ready_responder (self, provider, error)) == NULL)
    return FALSE;
  n = g_list_model_get_n_items (thread);
  last = n > 0 ? g_list_model_get_item (thread, n - 1) : NULL;
  if (last == NULL || hearth_thread_item_get_role (last) != HEARTH_MESSAGE_ROLE_ASSISTANT)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("There is no reply to regenerate"));
      return FALSE;
    }
  /* The new reply is a sibling of the old one: the old stays a version;
   * the streaming item takes its place on show. */
  start_reply (self, responder, n - 1, hearth_message_get_parent_id (hearth_thread_item_get_message (last)));
  return TRUE;
}

gboolean
hearth_runtime_regenerate (HearthRuntime *self,
                           GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return regenerate_with (self, NULL, error);
}

gboolean
hearth_runtime_reask_remote (HearthRuntime *self,
                             const char    *provider,
                             GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  g_return_val_if_fail (provider != NULL, FALSE);
  return regenerate_with (self, provider, error);
}

gboolean
hearth_runtime_edit (HearthRuntime *self,
                     gint64         message_id,
                     const char    *text,
                     GError       **error)
{
  g_autofree char *content = NULL;
  g_autoptr(HearthMessage) old = NULL;
  g_autoptr(HearthMessage) m = NULL;
  g_autoptr(HearthResponder) responder = NULL;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if ((responder = ready_responder (self, NULL, error)) == NULL || (content = dup_message_text (text, error)) == NULL)
    return FALSE;
  /* The reply goes under the new version in the branch on show: a message
   * of another conversation, or a reply, has no such place. */
  old = hearth_store_get_message (self->store, message_id, error);
  if (old == NULL)
    return FALSE;
  if (hearth_message_get_conversation_id (old) != hearth_thread_model_get_conversation (self->thread) ||
      hearth_message_get_role (old) != HEARTH_MESSAGE_ROLE_USER)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Only a message of yours in the conversation on show can be edited"));
      return FALSE;
    }
  m = hearth_store_edit_message (self->store, message_id, content, error);
  if (m == NULL)
    return FALSE;
  start_reply (self, responder, g_list_model_get_n_items (G_LIST_MODEL (self->thread)), hearth_message_get_id (m));
  return TRUE;
}

gboolean
hearth_runtime_switch_branch (HearthRuntime *self,
                              gint64         message_id,
                              GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (hearth_runtime_get_busy (self))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, _("A reply is in progress"));
      return FALSE;
    }
  return hearth_store_set_current_leaf (self->store, hearth_thread_model_get_conversation (self->thread),
                                        message_id, error);
}

void
hearth_runtime_stop (HearthRuntime *self)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* A question nobody needs to answer now: the loop goes on to store
   * that the calls left did not run. */
  if (self->approval != NULL && hearth_tool_approval_get_pending (self->approval))
    {
      hearth_tool_approval_withdraw (self->approval);
      continue_later (self);
    }
}

void
hearth_runtime_shutdown (HearthRuntime *self)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  hearth_runtime_stop (self);
  /* Stops a reply between two tokens and joins the engine thread; the
   * reply's completion (holding a reference) still runs and stores it. */
  if (self->worker != NULL)
    hearth_engine_worker_shutdown (self->worker);
}

gboolean
hearth_runtime_get_busy (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);
  return self->generation != 0 || self->retrieving;
}

double
hearth_runtime_get_tokens_per_second (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), 0);
  return self->tokens_per_second;
}

void
hearth_runtime_get_prompt_figures (HearthRuntime *self,
                                   guint         *n_prompt,
                                   guint         *n_eval,
                                   guint         *n_reused,
                                   double        *first_token_seconds)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  *n_prompt = self->prompt_tokens;
  *n_eval = self->prompt_eval;
  *n_reused = self->prompt_reused;
  *first_token_seconds = self->first_token_seconds;
}

guint
hearth_runtime_get_context_used (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), 0);
  return self->context_used;
}

guint
hearth_runtime_get_context_size (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), 0);
  return hearth_engine_worker_get_n_ctx (self->worker);
}

/* ---- the conversation on show ---- */

/* Reads where the conversation on show is answered and notifies
 * :remote-provider and :remote-host when that changed. */
static void
sync_source (HearthRuntime *self)
{
  gint64 id = hearth_thread_model_get_conversation (self->thread);
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;

  if (id == 0)
    name = g_strdup (self->pending_source);
  else
    {
      g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, id, NULL);

      name = conv != NULL ? hearth_remote_provider_from_model (hearth_conversation_get_model (conv)) : NULL;
    }
  if (name != NULL)
    {
      g_autoptr(HearthRemoteProvider) p = hearth_remote_providers_lookup (self->store, name, NULL);

      /* A provider removed since: nothing can leave for it. */
      host = p != NULL ? hearth_remote_provider_dup_host (p) : NULL;
    }
  g_object_freeze_notify (G_OBJECT (self));
  sync_string (self, &self->source, name, PROP_REMOTE_PROVIDER);
  sync_string (self, &self->source_host, host, PROP_REMOTE_HOST);
  g_object_thaw_notify (G_OBJECT (self));
}

gboolean
hearth_runtime_set_model_source (HearthRuntime *self,
                                 const char    *provider,
                                 GError       **error)
{
  g_autoptr(HearthConversation) conv = NULL;
  g_autofree char *model = NULL;
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (provider != NULL)
    {
      g_autoptr(HearthRemoteProvider) p = hearth_remote_providers_lookup (self->store, provider, error);

      if (p == NULL)
        return FALSE;
    }
  id = hearth_thread_model_get_conversation (self->thread);
  if (id == 0)
    {
      g_free (self->pending_source);
      self->pending_source = g_strdup (provider);
      sync_source (self);
      return TRUE;
    }
  conv = hearth_store_get_conversation (self->store, id, error);
  if (conv == NULL)
    return FALSE;
  model = provider != NULL ? hearth_remote_model_for_provider (provider)
                           : g_strdup (hearth_responder_get_model (self->responder));
  if (!hearth_store_set_conversation_model (self->store, id, model, hearth_conversation_get_system_prompt (conv),
                                            error))
    return FALSE;
  sync_source (self);
  return TRUE;
}

const char *
hearth_runtime_get_remote_provider (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->source;
}

const char *
hearth_runtime_get_remote_host (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return self->source_host;
}

gboolean
hearth_runtime_set_conversation_id (HearthRuntime *self,
                                    gint64         conversation_id,
                                    GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (conversation_id == hearth_thread_model_get_conversation (self->thread))
    return TRUE;
  /* An unknown id changes nothing. */
  if (conversation_id != 0)
    {
      g_autoptr(HearthConversation) conv = hearth_store_get_conversation (self->store, conversation_id, error);

      if (conv == NULL)
        return FALSE;
    }
  /* Leaving a conversation mid-reply stops it; the partial reply is kept. */
  hearth_runtime_stop (self);
  g_clear_object (&self->stream_item);
  g_clear_pointer (&self->pending_system_prompt, g_free);
  g_clear_pointer (&self->pending_source, g_free);
  g_clear_pointer (&self->pending_collections, g_strfreev);
  ok = hearth_thread_model_set_conversation (self->thread, conversation_id, error);
  notify (self, PROP_CONVERSATION_ID);
  sync_source (self);
  return ok;
}

gint64
hearth_runtime_get_conversation_id (HearthRuntime *self)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), 0);
  return hearth_thread_model_get_conversation (self->thread);
}

char *
hearth_runtime_dup_system_prompt (HearthRuntime *self)
{
  gint64 id;
  g_autoptr(HearthConversation) conv = NULL;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);

  id = hearth_thread_model_get_conversation (self->thread);
  if (id == 0)
    return g_strdup (self->pending_system_prompt);
  conv = hearth_store_get_conversation (self->store, id, NULL);
  return conv ? g_strdup (hearth_conversation_get_system_prompt (conv)) : NULL;
}

gboolean
hearth_runtime_set_system_prompt (HearthRuntime *self,
                                  const char    *system_prompt,
                                  GError       **error)
{
  g_autofree char *text = g_strstrip (g_strdup (system_prompt != NULL ? system_prompt : ""));
  g_autoptr(HearthConversation) conv = NULL;
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  id = hearth_thread_model_get_conversation (self->thread);
  if (id == 0)
    {
      g_free (self->pending_system_prompt);
      self->pending_system_prompt = text[0] ? g_steal_pointer (&text) : NULL;
      return TRUE;
    }
  conv = hearth_store_get_conversation (self->store, id, error);
  return conv != NULL &&
         hearth_store_set_conversation_model (self->store, id, hearth_conversation_get_model (conv),
                                              text[0] ? text : NULL, error);
}

/* ---- documents ---- */

void
hearth_runtime_add_retriever (HearthRuntime   *self,
                              HearthRetriever *retriever)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  g_return_if_fail (HEARTH_IS_RETRIEVER (retriever));

  if (!g_ptr_array_find (self->retrievers, retriever, NULL))
    g_ptr_array_add (self->retrievers, g_object_ref (retriever));
}

void
hearth_runtime_remove_retriever (HearthRuntime   *self,
                                 HearthRetriever *retriever)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  g_ptr_array_remove (self->retrievers, retriever);
}

void
hearth_runtime_set_retrieval_limit (HearthRuntime *self,
                                    guint          limit)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));
  self->retrieval_limit = limit > 0 ? limit : HEARTH_RUNTIME_DEFAULT_RETRIEVAL_LIMIT;
}

gboolean
hearth_runtime_set_collections (HearthRuntime     *self,
                                const char *const *names,
                                GError           **error)
{
  gint64 id;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  id = hearth_thread_model_get_conversation (self->thread);
  if (id != 0)
    return hearth_store_set_conversation_collections (self->store, id, names, error);
  g_clear_pointer (&self->pending_collections, g_strfreev);
  if (names != NULL && names[0] != NULL)
    self->pending_collections = g_strdupv ((char **) names);
  return TRUE;
}

char **
hearth_runtime_dup_collections (HearthRuntime *self)
{
  gint64 id;
  char **names;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);

  id = hearth_thread_model_get_conversation (self->thread);
  if (id == 0)
    return self->pending_collections != NULL ? g_strdupv (self->pending_collections) : g_new0 (char *, 1);
  names = hearth_store_dup_conversation_collections (self->store, id, NULL);
  return names != NULL ? names : g_new0 (char *, 1);
}

/* ---- conversations ---- */

HearthConversation *
hearth_runtime_dup_conversation (HearthRuntime *self,
                                 gint64         conversation_id,
                                 GError       **error)
{
  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);
  return hearth_store_get_conversation (self->store, conversation_id, error);
}

GPtrArray *
hearth_runtime_search (HearthRuntime *self,
                       const char    *query,
                       guint          limit,
                       GError       **error)
{
  GPtrArray *hits;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), NULL);

  hits = hearth_store_search (self->store, query, 0, limit, error);
  for (guint i = hits != NULL ? hits->len : 0; i > 0; i--)
    {
      HearthSearchResult *r = g_ptr_array_index (hits, i - 1);

      if (self->conversations != NULL && hearth_conversation_list_is_hidden (self->conversations, r->conversation_id))
        g_ptr_array_remove_index (hits, i - 1);
    }
  return hits;
}

gboolean
hearth_runtime_rename_conversation (HearthRuntime *self,
                                    gint64         conversation_id,
                                    const char    *title,
                                    GError       **error)
{
  g_autofree char *text = g_strstrip (g_strdup (title != NULL ? title : ""));

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (text[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The title is empty"));
      return FALSE;
    }
  return hearth_store_rename_conversation (self->store, conversation_id, text, error);
}

gboolean
hearth_runtime_toggle_pinned (HearthRuntime *self,
                              gint64         conversation_id,
                              GError       **error)
{
  g_autoptr(HearthConversation) conv = NULL;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  conv = hearth_store_get_conversation (self->store, conversation_id, error);
  return conv != NULL &&
         hearth_store_set_pinned (self->store, conversation_id, !hearth_conversation_get_pinned (conv), error);
}

void
hearth_runtime_hide_conversation (HearthRuntime *self,
                                  gint64         conversation_id)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  if (conversation_id == hearth_thread_model_get_conversation (self->thread))
    hearth_runtime_set_conversation_id (self, 0, NULL);
  if (self->conversations != NULL)
    hearth_conversation_list_set_hidden (self->conversations, conversation_id, TRUE);
}

void
hearth_runtime_unhide_conversation (HearthRuntime *self,
                                    gint64         conversation_id)
{
  g_return_if_fail (HEARTH_IS_RUNTIME (self));

  if (self->conversations != NULL)
    hearth_conversation_list_set_hidden (self->conversations, conversation_id, FALSE);
}

gboolean
hearth_runtime_purge_hidden (HearthRuntime *self,
                             gint64         conversation_id,
                             GError       **error)
{
  g_autoptr(GArray) ids = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (HEARTH_IS_RUNTIME (self), FALSE);

  if (self->conversations == NULL)
    return TRUE;
  ids = hearth_conversation_list_dup_hidden (self->conversations);
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);

      if (conversation_id != 0 && id != conversation_id)
        continue;
      /* The first failure is the one reported; the rest are still tried. */
      if (!hearth_store_delete_conversation (self->store, id, ok ? error : NULL))
        ok = FALSE;
      else
        hearth_conversation_list_set_hidden (self->conversations, id, FALSE);
    }
  return ok;
}
