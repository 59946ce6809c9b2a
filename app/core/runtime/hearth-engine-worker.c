/* hearth-engine-worker.c: the thread that owns the loaded model and runs it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-engine-worker.h"
#include "hearth-model-info.h"

typedef enum
{
  COMMAND_LOAD,
  COMMAND_UNLOAD,
  COMMAND_RESPOND,
  COMMAND_QUIT,
} CommandKind;

typedef struct
{
  CommandKind            kind;
  GTask                 *task;  /* NULL for UNLOAD and QUIT */
  char                  *path;
  HearthWorkerLoadParams load;
  guint64                generation;
  char                  *system_prompt;
  GPtrArray             *messages;
  char                  *tools_json;
  HearthSamplerParams    sampler;
  guint32                max_tokens;
  gboolean               want_prompt;
} Command;

typedef struct
{
  char                  *path;
  char                  *backend;
  guint32                n_ctx;
  HearthWorkerLoadParams params;
  HearthModel           *model;  /* a reference for the main thread */
} LoadResult;

struct _HearthEngineWorker
{
  GObject             parent_instance;

  GThread            *thread;
  GAsyncQueue        *queue;
  HearthTokenBatcher *batcher;

  /* Main thread's view of what the engine thread holds. */
  char               *model_path;
  char               *backend_description;
  guint32             n_ctx;
  HearthModel        *loaded_model;  /* a reference on the engine thread's model, to share */
  guint               n_pending;     /* commands with a task not yet finished */
  GCancellable       *respond_cancellable;
  char               *device_lost;   /* why the model was dropped, until the next load */
  char               *last_path;     /* the last model that loaded, and how */
  HearthWorkerLoadParams last_params;

  /* Engine thread only. */
  HearthModel        *model;
  HearthSession      *session;
  HearthChat         *chat;
  guint               token_delay_ms; /* tests slow the stream down to stop it mid-way */
};

static void hearth_engine_worker_responder_init (HearthResponderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthEngineWorker, hearth_engine_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RESPONDER, hearth_engine_worker_responder_init))

static gboolean
unref_task_idle (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

/* Runs on the engine thread. The task holds a reference on the worker; if
 * the engine thread dropped the last one, the worker would be disposed
 * there and try to join its own thread. The task is released in the
 * context it reports to (the main thread's) instead. */
static void
command_free (Command *cmd)
{
  if (cmd->task != NULL)
    {
      GMainContext *context = g_task_get_context (cmd->task);
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, unref_task_idle, g_steal_pointer (&cmd->task), NULL);
      g_source_attach (source, context);
      g_source_unref (source);
    }
  g_free (cmd->path);
  g_free (cmd->system_prompt);
  g_free (cmd->tools_json);
  g_clear_pointer (&cmd->messages, g_ptr_array_unref);
  g_free (cmd);
}

static void
load_result_free (LoadResult *r)
{
  g_free (r->path);
  g_free (r->backend);
  g_clear_pointer (&r->model, hearth_model_unref);
  g_free (r);
}

void
hearth_worker_reply_free (HearthWorkerReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->text);
  g_free (reply->device_lost);
  g_free (reply->failure);
  g_clear_pointer (&reply->tool_calls, hearth_tool_calls_free);
  g_free (reply->prompt);
  g_free (reply);
}

HearthWorkerMessage *
hearth_worker_message_new (HearthChatRole role,
                           const char    *content)
{
  HearthWorkerMessage *m = g_new0 (HearthWorkerMessage, 1);

  m->role = role;
  m->content = g_strdup (content ? content : "");
  return m;
}

void
hearth_worker_message_free (HearthWorkerMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->content);
  g_clear_pointer (&message->tool_calls, hearth_tool_calls_free);
  g_free (message->tool_call_id);
  g_free (message->tool_name);
  g_free (message);
}

/* ---- engine thread ---- */

static void
drop_model (HearthEngineWorker *self)
{
  g_clear_pointer (&self->chat, hearth_chat_free);
  g_clear_pointer (&self->session, hearth_session_free);
  g_clear_pointer (&self->model, hearth_model_unref);
}

static void
run_load (HearthEngineWorker *self,
          Command            *cmd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthSession *session;
  HearthModelParams mp;
  HearthSessionParams sp;
  LoadResult *result;
  GStatBuf st;

  drop_model (self);

  /* A file larger than the free memory would page in forever or be killed:
   * say so before mapping it. */
  if (g_stat (cmd->path, &st) == 0 &&
      !hearth_model_check_memory ((guint64) st.st_size, hearth_model_available_memory (), &error))
    {
      g_task_return_error (cmd->task, g_steal_pointer (&error));
      return;
    }

  hearth_model_params_init (&mp);
  mp.backend = cmd->load.backend;
  mp.n_threads = cmd->load.n_threads;
  mp.n_gpu_layers = cmd->load.n_gpu_layers;
  if (cmd->load.device[0] != '\0')
    {
      guint64 index;

      if (g_ascii_string_to_unsigned (cmd->load.device, 10, 0, G_MAXINT, &index, NULL))
        mp.device_index = (int) index;
      else
        mp.device_name = cmd->load.device;
    }
  model = hearth_model_load (cmd->path, &mp, &error);
  if (model == NULL)
    {
      g_task_return_error (cmd->task, g_steal_pointer (&error));
      return;
    }

  hearth_session_params_init (&sp);
  sp.n_ctx = cmd->load.n_ctx;
  if (sp.n_ctx > hearth_model_get_n_ctx_train (model) || sp.n_ctx == 0)
    sp.n_ctx = hearth_model_get_n_ctx_train (model);
  session = hearth_session_new (model, &sp, &error);
  if (session == NULL)
    {
      g_task_return_error (cmd->task, g_steal_pointer (&error));
      return;
    }

  self->model = g_steal_pointer (&model);
  self->session = session;

  result = g_new0 (LoadResult, 1);
  result->path = g_strdup (cmd->path);
  result->backend = g_strdup (hearth_model_get_backend_description (self->model));
  result->n_ctx = hearth_session_get_n_ctx (session);
  result->params = cmd->load;
  result->model = hearth_model_ref (self->model);
  g_task_return_pointer (cmd->task, result, (GDestroyNotify) load_result_free);
}

typedef struct
{
  HearthEngineWorker *self;
  guint64             generation;
  GString            *text;
} StreamState;

static gboolean
stream_piece (const char *text,
              gsize       len,
              gint32      token,
              gpointer    user_data)
{
  StreamState *st = user_data;

  if (st->self->token_delay_ms > 0)
    g_usleep (st->self->token_delay_ms * 1000);
  g_string_append_len (st->text, text, (gssize) len);
  /* A stale generation means the UI has moved on: stop spending the CPU. */
  return hearth_token_batcher_push (st->self->batcher, st->generation, text, len);
}


static void
run_respond (HearthEngineWorker *self,
             Command            *cmd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  HearthWorkerReply *reply;
  StreamState st = { self, cmd->generation, text };
  g_autoptr(HearthJsonValue) tools = NULL;
  GCancellable *cancellable = g_task_get_cancellable (cmd->task);

  if (self->session == NULL)
    {
      g_task_return_new_error (cmd->task, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                               _("No model is loaded"));
      return;
    }
  if (cmd->tools_json != NULL && (tools = hearth_json_parse (cmd->tools_json, -1, &error)) == NULL)
    {
      g_prefix_error (&error, "%s", _("The tools are not valid JSON: "));
      g_task_return_error (cmd->task, g_steal_pointer (&error));
      return;
    }
  sampler = hearth_sampler_new (&cmd->sampler);
  reply = g_new0 (HearthWorkerReply, 1);

  {
    HearthChatParams cp;
    HearthChatReply cr = { 0 };

    if (self->chat == NULL)
      {
        self->chat = hearth_chat_new (self->session, &error);
        if (self->chat == NULL)
          {
            hearth_worker_reply_free (reply);
            g_task_return_error (cmd->task, g_steal_pointer (&error));
            return;
          }
      }
    /* The whole conversation every time: the chat layer reuses the cached
     * prefix, so switching branches or conversations costs only what changed. */
    hearth_chat_truncate (self->chat, 0);
    hearth_chat_set_system_prompt (self->chat,
                                   cmd->system_prompt && cmd->system_prompt[0] ? cmd->system_prompt : NULL);
    hearth_chat_set_tools (self->chat, tools);
    for (guint i = 0; i < cmd->messages->len; i++)
      {
        HearthWorkerMessage *m = g_ptr_array_index (cmd->messages, i);

        if (m->role == HEARTH_CHAT_ROLE_ASSISTANT && m->tool_calls != NULL)
          hearth_chat_add_tool_calls (self->chat, m->content, m->tool_calls);
        else if (m->role == HEARTH_CHAT_ROLE_TOOL)
          hearth_chat_add_tool_result (self->chat, m->tool_call_id, m->tool_name, m->content);
        else
          hearth_chat_add_message (self->chat, m->role, m->content);
      }
    if (cmd->want_prompt && (reply->prompt = hearth_chat_render (self->chat, TRUE, &error)) == NULL)
      {
        hearth_worker_reply_free (reply);
        g_task_return_error (cmd->task, g_steal_pointer (&error));
        return;
      }
    hearth_chat_params_init (&cp);
    if (cmd->max_tokens > 0)
      cp.max_tokens = cmd->max_tokens;
    if (!hearth_chat_respond (self->chat, sampler, &cp, stream_piece, &st, cancellable, &cr, &error))
      {
        /* Nothing on a lost device works again: give its memory back now
         * rather than when the user picks a model, and keep what the reply
         * had said. Other failures (out of memory, ...) may pass. */
        if (g_error_matches (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE) &&
            hearth_model_is_device_lost (self->model))
          {
            reply->text = g_strdup (text->str);
            reply->n_prompt_tokens = cr.n_prompt_tokens;
            reply->device_lost = g_strdup (error->message);
            hearth_chat_reply_clear (&cr);
            drop_model (self);
            g_task_return_pointer (cmd->task, reply, (GDestroyNotify) hearth_worker_reply_free);
            return;
          }
        hearth_chat_reply_clear (&cr);
        hearth_worker_reply_free (reply);
        g_task_return_error (cmd->task, g_steal_pointer (&error));
        return;
      }
    reply->text = g_strdup (cr.text ? cr.text : text->str);
    reply->reason = cr.gen.reason;
    reply->n_prompt_tokens = cr.n_prompt_tokens;
    reply->n_prompt_eval = cr.gen.n_prompt_eval;
    reply->n_reused = cr.n_reused_tokens;
    reply->n_generated = cr.gen.n_generated;
    reply->n_dropped = cr.n_dropped;
    reply->gen_seconds = cr.gen.gen_seconds;
    reply->first_token_seconds = cr.gen.first_token_seconds;
    reply->tool_calls = g_steal_pointer (&cr.tool_calls);
    hearth_chat_reply_clear (&cr);
  }
  reply->n_past = hearth_session_get_n_past (self->session);
  reply->n_ctx = hearth_session_get_n_ctx (self->session);
  g_task_return_pointer (cmd->task, reply, (GDestroyNotify) hearth_worker_reply_free);
}

static gpointer
engine_thread_main (gpointer data)
{
  HearthEngineWorker *self = data;

  for (;;)
    {
      Command *cmd = g_async_queue_pop (self->queue);
      gboolean quit = cmd->kind == COMMAND_QUIT;

      switch (cmd->kind)
        {
        case COMMAND_LOAD:
          run_load (self, cmd);
          break;
        case COMMAND_UNLOAD:
        case COMMAND_QUIT:
          drop_model (self);
          break;
        case COMMAND_RESPOND:
          run_respond (self, cmd);
          break;
        default:
          g_assert_not_reached ();
        }
      command_free (cmd);
      if (quit)
        break;
    }
  return NULL;
}

/* ---- main thread ---- */

void
hearth_engine_worker_shutdown (HearthEngineWorker *self)
{
  if (self->thread != NULL)
    {
      Command *cmd = g_new0 (Command, 1);

      /* Closing while generating: stop the reply between two tokens, then
       * let the thread finish what it holds and exit. */
      if (self->respond_cancellable != NULL)
        g_cancellable_cancel (self->respond_cancellable);
      hearth_token_batcher_invalidate (self->batcher);
      cmd->kind = COMMAND_QUIT;
      g_async_queue_push (self->queue, cmd);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  g_clear_pointer (&self->model_path, g_free);
}

static void
hearth_engine_worker_dispose (GObject *object)
{
  HearthEngineWorker *self = HEARTH_ENGINE_WORKER (object);

  hearth_engine_worker_shutdown (self);
  g_clear_object (&self->respond_cancellable);
  G_OBJECT_CLASS (hearth_engine_worker_parent_class)->dispose (object);
}

static void
hearth_engine_worker_finalize (GObject *object)
{
  HearthEngineWorker *self = HEARTH_ENGINE_WORKER (object);

  g_async_queue_unref (self->queue);
  g_clear_pointer (&self->batcher, hearth_token_batcher_unref);
  g_free (self->model_path);
  g_free (self->backend_description);
  g_clear_pointer (&self->loaded_model, hearth_model_unref);
  g_free (self->device_lost);
  g_free (self->last_path);
  G_OBJECT_CLASS (hearth_engine_worker_parent_class)->finalize (object);
}

static void
hearth_engine_worker_class_init (HearthEngineWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_engine_worker_dispose;
  object_class->finalize = hearth_engine_worker_finalize;
}

static void
hearth_engine_worker_init (HearthEngineWorker *self)
{
  const char *delay = g_getenv ("HEARTH_DEBUG_TOKEN_DELAY_MS");

  self->queue = g_async_queue_new ();
  if (delay != NULL)
    self->token_delay_ms = (guint) g_ascii_strtoull (delay, NULL, 10);
}

HearthEngineWorker *
hearth_engine_worker_new (HearthTokenBatcher *batcher)
{
  HearthEngineWorker *self = g_object_new (HEARTH_TYPE_ENGINE_WORKER, NULL);

  self->batcher = hearth_token_batcher_ref (batcher);
  self->thread = g_thread_new ("hearth-engine", engine_thread_main, self);
  return self;
}

void
hearth_engine_worker_load_async (HearthEngineWorker           *self,
                                 const char                   *path,
                                 const HearthWorkerLoadParams *params,
                                 GAsyncReadyCallback           callback,
                                 gpointer                      user_data)
{
  Command *cmd = g_new0 (Command, 1);

  g_return_if_fail (HEARTH_IS_ENGINE_WORKER (self));

  cmd->kind = COMMAND_LOAD;
  cmd->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (cmd->task, hearth_engine_worker_load_async);
  cmd->path = g_strdup (path);
  cmd->load = *params;
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->backend_description, g_free);
  g_clear_pointer (&self->loaded_model, hearth_model_unref);
  self->n_ctx = 0;
  self->n_pending++;
  g_async_queue_push (self->queue, cmd);
}

gboolean
hearth_engine_worker_load_finish (HearthEngineWorker *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  LoadResult *r;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  self->n_pending--;
  r = g_task_propagate_pointer (G_TASK (result), error);
  if (r == NULL)
    return FALSE;
  g_free (self->model_path);
  self->model_path = g_steal_pointer (&r->path);
  g_free (self->backend_description);
  self->backend_description = g_steal_pointer (&r->backend);
  self->n_ctx = r->n_ctx;
  g_clear_pointer (&self->loaded_model, hearth_model_unref);
  self->loaded_model = g_steal_pointer (&r->model);
  g_free (self->last_path);
  self->last_path = g_strdup (self->model_path);
  self->last_params = r->params;
  g_clear_pointer (&self->device_lost, g_free);
  load_result_free (r);
  return TRUE;
}

void
hearth_engine_worker_unload (HearthEngineWorker *self)
{
  Command *cmd = g_new0 (Command, 1);

  if (self->respond_cancellable != NULL)
    g_cancellable_cancel (self->respond_cancellable);
  cmd->kind = COMMAND_UNLOAD;
  g_clear_pointer (&self->device_lost, g_free);
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->backend_description, g_free);
  g_clear_pointer (&self->loaded_model, hearth_model_unref);
  self->n_ctx = 0;
  g_async_queue_push (self->queue, cmd);
}

gboolean
hearth_engine_worker_is_loaded (HearthEngineWorker *self)
{
  return self->model_path != NULL;
}

gboolean
hearth_engine_worker_is_busy (HearthEngineWorker *self)
{
  return self->n_pending > 0;
}

const char *
hearth_engine_worker_get_model_path (HearthEngineWorker *self)
{
  return self->model_path;
}

HearthModel *
hearth_engine_worker_dup_model (HearthEngineWorker *self)
{
  return self->loaded_model != NULL ? hearth_model_ref (self->loaded_model) : NULL;
}

const char *
hearth_engine_worker_get_backend_description (HearthEngineWorker *self)
{
  return self->backend_description;
}

guint32
hearth_engine_worker_get_n_ctx (HearthEngineWorker *self)
{
  return self->n_ctx;
}

const char *
hearth_engine_worker_get_device_lost (HearthEngineWorker *self)
{
  return self->device_lost;
}

gboolean
hearth_engine_worker_get_last_load (HearthEngineWorker     *self,
                                    const char            **path,
                                    HearthWorkerLoadParams *params)
{
  if (self->last_path == NULL)
    return FALSE;
  if (path != NULL)
    *path = self->last_path;
  if (params != NULL)
    *params = self->last_params;
  return TRUE;
}

static void
worker_respond_async (HearthResponder              *responder,
                      const HearthResponderRequest *request,
                      GCancellable                 *cancellable,
                      GAsyncReadyCallback           callback,
                      gpointer                      user_data)
{
  HearthEngineWorker *self = HEARTH_ENGINE_WORKER (responder);
  Command *cmd = g_new0 (Command, 1);

  cmd->kind = COMMAND_RESPOND;
  cmd->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (cmd->task, hearth_engine_worker_respond_async);
  /* The engine reports cancellation as a partial reply, not an error. */
  g_task_set_check_cancellable (cmd->task, FALSE);
  cmd->generation = request->generation;
  cmd->system_prompt = g_strdup (request->system_prompt);
  cmd->messages = g_ptr_array_ref (request->messages);
  cmd->tools_json = g_strdup (request->tools_json);
  cmd->sampler = *request->sampler;
  cmd->max_tokens = request->max_tokens;
  cmd->want_prompt = request->want_prompt;
  g_set_object (&self->respond_cancellable, cancellable);
  self->n_pending++;
  g_async_queue_push (self->queue, cmd);
}

void
hearth_engine_worker_respond_async (HearthEngineWorker        *self,
                                    guint64                    generation,
                                    const char                *system_prompt,
                                    GPtrArray                 *messages,
                                    const HearthSamplerParams *sampler,
                                    guint32                    max_tokens,
                                    GCancellable              *cancellable,
                                    GAsyncReadyCallback        callback,
                                    gpointer                   user_data)
{
  HearthResponderRequest request = {
    .generation = generation,
    .system_prompt = system_prompt,
    .messages = messages,
    .tools_json = NULL,
    .sampler = sampler,
    .max_tokens = max_tokens,
  };

  worker_respond_async (HEARTH_RESPONDER (self), &request, cancellable, callback, user_data);
  /* Taken: the command holds its own reference. */
  g_ptr_array_unref (messages);
}

HearthWorkerReply *
hearth_engine_worker_respond_finish (HearthEngineWorker *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  HearthWorkerReply *reply;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  self->n_pending--;
  reply = g_task_propagate_pointer (G_TASK (result), error);
  /* The engine thread has dropped the model; a load queued after the reply
   * (its own model_path not set yet) is not affected. */
  if (reply != NULL && reply->device_lost != NULL && self->model_path != NULL)
    {
      g_clear_pointer (&self->model_path, g_free);
      g_clear_pointer (&self->backend_description, g_free);
      g_clear_pointer (&self->loaded_model, hearth_model_unref);
      self->n_ctx = 0;
      g_free (self->device_lost);
      self->device_lost = g_strdup (reply->device_lost);
    }
  return reply;
}

static HearthWorkerReply *
worker_respond_finish (HearthResponder *responder,
                       GAsyncResult    *result,
                       GError         **error)
{
  return hearth_engine_worker_respond_finish (HEARTH_ENGINE_WORKER (responder), result, error);
}

static gboolean
worker_is_ready (HearthResponder *responder)
{
  return hearth_engine_worker_is_loaded (HEARTH_ENGINE_WORKER (responder));
}

static const char *
worker_get_model (HearthResponder *responder)
{
  return hearth_engine_worker_get_model_path (HEARTH_ENGINE_WORKER (responder));
}

static void
hearth_engine_worker_responder_init (HearthResponderInterface *iface)
{
  iface->is_ready = worker_is_ready;
  iface->get_model = worker_get_model;
  iface->respond_async = worker_respond_async;
  iface->respond_finish = worker_respond_finish;
}
