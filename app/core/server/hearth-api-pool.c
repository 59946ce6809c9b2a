/* hearth-api-pool.c: the sessions that answer the local API's requests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Threads: the server's main context submits jobs and receives their text;
 * each worker thread owns one session and one chat and takes jobs from the
 * shared FIFO queue. The turn lock below orders forward passes on the one
 * model: a worker holds its turn while the engine runs and offers it to the
 * next in line after each piece of text.
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>

#include "hearth-api-pool.h"
#include "hearth-responder.h"

/* A ticket lock: turns are granted in the order they were asked for. */
typedef struct
{
  GMutex  mutex;
  GCond   cond;
  guint64 next;
  guint64 serving;
} Turns;

static void
turns_acquire (Turns *t)
{
  guint64 ticket;

  g_mutex_lock (&t->mutex);
  ticket = t->next++;
  while (t->serving != ticket)
    g_cond_wait (&t->cond, &t->mutex);
  g_mutex_unlock (&t->mutex);
}

static void
turns_release (Turns *t)
{
  g_mutex_lock (&t->mutex);
  t->serving++;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->mutex);
}

/* Lets whoever waits go first, then waits for the turn again. */
static void
turns_yield (Turns *t)
{
  gboolean others;

  g_mutex_lock (&t->mutex);
  others = t->next > t->serving + 1;
  g_mutex_unlock (&t->mutex);
  if (others)
    {
      turns_release (t);
      turns_acquire (t);
    }
}

struct _HearthApiPool
{
  HearthModel      *model;
  char             *template_source; /* NULL: the model's */
  guint32           n_ctx;
  guint             max_queue;
  GAsyncQueue      *queue;    /* HearthApiJob*, or the pool itself: stop */
  GPtrArray        *threads;
  GPtrArray        *workers;  /* Worker*, one per thread */
  HearthApiMetrics *metrics;
  Turns             turns;

  GMutex            lock;     /* guards what follows */
  guint             queued;
  GPtrArray        *running;  /* jobs on a session now */
  gboolean          stopping;
};

typedef struct
{
  HearthApiPool *pool;
  HearthSession *session;
  HearthChat    *chat;
} Worker;

HearthApiJob *
hearth_api_job_new (HearthApiJobKind kind)
{
  HearthApiJob *job = g_new0 (HearthApiJob, 1);

  job->ref = 1;
  job->kind = kind;
  hearth_sampler_params_init (&job->sampler);
  job->created_us = g_get_monotonic_time ();
  job->cancellable = g_cancellable_new ();
  job->context = g_main_context_ref_thread_default ();
  job->pending = g_string_new (NULL);
  g_mutex_init (&job->lock);
  return job;
}

HearthApiJob *
hearth_api_job_ref (HearthApiJob *job)
{
  g_atomic_int_inc (&job->ref);
  return job;
}

void
hearth_api_job_unref (HearthApiJob *job)
{
  if (job == NULL || !g_atomic_int_dec_and_test (&job->ref))
    return;
  g_clear_pointer (&job->messages, g_ptr_array_unref);
  g_free (job->tools_json);
  g_clear_pointer (&job->grammar, hearth_grammar_unref);
  g_free (job->prompt);
  g_strfreev (job->stop);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->context);
  g_clear_error (&job->error);
  g_free (job->text);
  g_clear_pointer (&job->tool_calls, hearth_tool_calls_free);
  g_string_free (job->pending, TRUE);
  g_mutex_clear (&job->lock);
  g_free (job);
}

char *
hearth_api_job_take_text (HearthApiJob *job)
{
  char *text;

  g_mutex_lock (&job->lock);
  text = g_strndup (job->pending->str, job->pending->len);
  g_string_truncate (job->pending, 0);
  g_mutex_unlock (&job->lock);
  return text;
}

static gboolean
job_dispatch (gpointer data)
{
  HearthApiJob *job = data;
  gboolean finished;

  g_mutex_lock (&job->lock);
  job->notify_pending = FALSE;
  finished = job->finished;
  g_mutex_unlock (&job->lock);
  if (job->done)
    return G_SOURCE_REMOVE;
  job->done = finished;
  job->func (job, job->user_data);
  return G_SOURCE_REMOVE;
}

/* Called with job->lock held. */
static void
job_notify_locked (HearthApiJob *job)
{
  GSource *source;

  if (job->notify_pending)
    return;
  job->notify_pending = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, job_dispatch, hearth_api_job_ref (job), (GDestroyNotify) hearth_api_job_unref);
  g_source_set_static_name (source, "[hearth] api job");
  g_source_attach (source, job->context);
  g_source_unref (source);
}

static void
job_finish (HearthApiJob *job,
            GError       *error)
{
  g_mutex_lock (&job->lock);
  job->error = error;
  job->finished = TRUE;
  job_notify_locked (job);
  g_mutex_unlock (&job->lock);
}

typedef struct
{
  HearthApiPool *pool;
  HearthApiJob  *job;
  GString       *text;
  gboolean       got_first;
} Run;

static gboolean
on_text (const char *text,
         gsize       len,
         gint32      token,
         gpointer    user_data)
{
  Run *run = user_data;
  HearthApiJob *job = run->job;

  if (!run->got_first)
    {
      run->got_first = TRUE;
      job->first_token_seconds = (g_get_monotonic_time () - job->created_us) / 1e6;
    }
  g_string_append_len (run->text, text, (gssize) len);
  g_mutex_lock (&job->lock);
  g_string_append_len (job->pending, text, (gssize) len);
  job_notify_locked (job);
  g_mutex_unlock (&job->lock);
  turns_yield (&run->pool->turns);
  return !g_cancellable_is_cancelled (job->cancellable);
}

/* The prompt's tokens as the engine will run them, to refuse a request
 * that does not fit before anything runs. */
static gboolean
check_fits (HearthApiPool *pool,
            guint32        n_prompt,
            guint32        max_tokens,
            GError       **error)
{
  guint64 need = (guint64) n_prompt + (max_tokens > 0 ? max_tokens : 1);

  if (need > pool->n_ctx)
    {
      if (max_tokens > 0)
        g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                     "This model's maximum context length is %u tokens. However, you requested %" G_GUINT64_FORMAT
                     " tokens (%u in the messages, %u in the completion). Please reduce the length of the "
                     "messages or completion.", pool->n_ctx, need, n_prompt, max_tokens);
      else
        g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                     "This model's maximum context length is %u tokens. However, your messages resulted in "
                     "%u tokens. Please reduce the length of the messages.", pool->n_ctx, n_prompt);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_chat (Worker       *w,
          HearthApiJob *job,
          Run          *run,
          GError      **error)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (w->pool->model);
  g_autoptr(HearthJsonValue) tools = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *rendered = NULL;
  gint32 bos = hearth_tokenizer_get_bos (tok);
  HearthChatParams cp;
  HearthChatReply cr = { 0 };
  gboolean ok;

  if (job->tools_json != NULL && (tools = hearth_json_parse (job->tools_json, -1, error)) == NULL)
    return FALSE;
  if (w->chat == NULL)
    {
      w->chat = w->pool->template_source != NULL
                  ? hearth_chat_new_with_template (w->session, w->pool->template_source, error)
                  : hearth_chat_new (w->session, error);
      if (w->chat == NULL)
        return FALSE;
    }
  hearth_chat_truncate (w->chat, 0);
  hearth_chat_set_system_prompt (w->chat, NULL);
  hearth_chat_set_tools (w->chat, tools);
  hearth_chat_set_tools_required (w->chat, job->tools_required);
  /* A forced call is made by the chat's tool constraint; a template that
   * does not write <tool_call> cannot be forced, and is told so. */
  if (job->tools_required && hearth_chat_get_tool_constraint (w->chat) == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "This model's chat template does not write tool calls as <tool_call>...</tool_call>: "
                   "a tool call cannot be forced (tool_choice)");
      return FALSE;
    }
  for (guint i = 0; i < job->messages->len; i++)
    {
      HearthWorkerMessage *m = g_ptr_array_index (job->messages, i);

      if (i == 0 && m->role == HEARTH_CHAT_ROLE_SYSTEM)
        hearth_chat_set_system_prompt (w->chat, m->content);
      else if (m->role == HEARTH_CHAT_ROLE_ASSISTANT && m->tool_calls != NULL)
        hearth_chat_add_tool_calls (w->chat, m->content, m->tool_calls);
      else if (m->role == HEARTH_CHAT_ROLE_TOOL)
        hearth_chat_add_tool_result (w->chat, m->tool_call_id, m->tool_name, m->content);
      else
        hearth_chat_add_message (w->chat, m->role, m->content);
    }

  /* Counted as hearth_chat_respond() counts it: the template's text with
   * the control tokens read as such, and a BOS where the model wants one. */
  if ((rendered = hearth_chat_render (w->chat, TRUE, error)) == NULL ||
      !hearth_tokenizer_encode (tok, rendered, -1, HEARTH_TOKENIZE_PARSE_SPECIAL, ids, error))
    return FALSE;
  if (hearth_tokenizer_get_add_bos (tok) && bos >= 0 && (ids->len == 0 || g_array_index (ids, gint32, 0) != bos))
    g_array_prepend_val (ids, bos);
  if (!check_fits (w->pool, ids->len, job->max_tokens, error))
    return FALSE;

  sampler = hearth_sampler_new (&job->sampler);
  if (job->grammar != NULL)
    {
      g_autoptr(HearthConstraint) constraint = hearth_constraint_new (job->grammar, tok, error);

      if (constraint == NULL)
        return FALSE;
      hearth_sampler_set_constraint (sampler, constraint);
    }
  hearth_chat_params_init (&cp);
  cp.max_tokens = job->max_tokens;
  cp.stop_strings = (const char *const *) job->stop;
  cp.reserve = job->max_tokens > 0 ? job->max_tokens : 1;
  turns_acquire (&w->pool->turns);
  ok = hearth_chat_respond (w->chat, sampler, &cp, on_text, run, job->cancellable, &cr, error);
  turns_release (&w->pool->turns);
  if (!ok)
    {
      hearth_chat_reply_clear (&cr);
      return FALSE;
    }
  job->text = g_strdup (cr.text != NULL ? cr.text : run->text->str);
  job->reason = cr.gen.reason;
  job->n_prompt = cr.n_prompt_tokens;
  job->n_generated = cr.gen.n_generated;
  job->gen_seconds = cr.gen.gen_seconds;
  if (!run->got_first)
    job->first_token_seconds = (g_get_monotonic_time () - job->created_us) / 1e6;
  job->tool_calls = g_steal_pointer (&cr.tool_calls);
  hearth_chat_reply_clear (&cr);
  return TRUE;
}

static gboolean
run_completion (Worker       *w,
                HearthApiJob *job,
                Run          *run,
                GError      **error)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (w->pool->model);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(HearthSampler) sampler = NULL;
  HearthGenerateParams gp;
  HearthGenerateResult res = { 0 };
  gboolean ok;

  if (!hearth_tokenizer_encode (tok, job->prompt, -1, HEARTH_TOKENIZE_ADD_SPECIAL, ids, error))
    return FALSE;
  if (ids->len == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "The prompt is empty");
      return FALSE;
    }
  if (!check_fits (w->pool, ids->len, job->max_tokens, error))
    return FALSE;
  sampler = hearth_sampler_new (&job->sampler);
  hearth_generate_params_init (&gp);
  gp.max_tokens = job->max_tokens;
  gp.stop_strings = (const char *const *) job->stop;
  turns_acquire (&w->pool->turns);
  ok = hearth_session_generate (w->session, sampler, (const gint32 *) ids->data, ids->len, &gp,
                                on_text, run, job->cancellable, &res, error);
  turns_release (&w->pool->turns);
  if (!ok)
    return FALSE;
  job->text = g_strdup (run->text->str);
  job->reason = res.reason;
  job->n_prompt = ids->len;
  job->n_generated = res.n_generated;
  job->gen_seconds = res.gen_seconds;
  if (!run->got_first)
    job->first_token_seconds = (g_get_monotonic_time () - job->created_us) / 1e6;
  return TRUE;
}

static void
update_metrics_locked (HearthApiPool *pool)
{
  if (pool->metrics != NULL)
    hearth_api_metrics_set_queue (pool->metrics, pool->queued, pool->running->len);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  HearthApiPool *pool = w->pool;

  for (;;)
    {
      HearthApiJob *job = g_async_queue_pop (pool->queue);
      g_autoptr(GString) text = NULL;
      GError *error = NULL;
      Run run = { pool, job, NULL, FALSE };
      gboolean ok;

      if (job == (gpointer) pool)
        break;
      g_mutex_lock (&pool->lock);
      pool->queued--;
      g_ptr_array_add (pool->running, job);
      update_metrics_locked (pool);
      g_mutex_unlock (&pool->lock);

      text = run.text = g_string_new (NULL);
      if (g_cancellable_set_error_if_cancelled (job->cancellable, &error))
        ok = FALSE;
      else if (job->kind == HEARTH_API_JOB_CHAT)
        ok = run_chat (w, job, &run, &error);
      else
        ok = run_completion (w, job, &run, &error);
      if (ok && job->reason != HEARTH_STOP_CANCELLED && pool->metrics != NULL)
        hearth_api_metrics_observe_reply (pool->metrics, job->first_token_seconds,
                                          job->gen_seconds > 0 ? job->n_generated / job->gen_seconds : 0,
                                          job->n_prompt, job->n_generated);

      g_mutex_lock (&pool->lock);
      g_ptr_array_remove_fast (pool->running, job);
      update_metrics_locked (pool);
      g_mutex_unlock (&pool->lock);
      job_finish (job, ok ? NULL : error);
      hearth_api_job_unref (job);
    }
  return NULL;
}

HearthApiPool *
hearth_api_pool_new (HearthModel      *model,
                     const char       *template_source,
                     guint             n_sessions,
                     guint             max_queue,
                     guint32           n_ctx,
                     HearthApiMetrics *metrics,
                     GError          **error)
{
  HearthApiPool *self = g_new0 (HearthApiPool, 1);
  g_autoptr(GPtrArray) workers = g_ptr_array_new ();
  HearthSessionParams sp;

  g_return_val_if_fail (n_sessions > 0, NULL);
  self->model = hearth_model_ref (model);
  self->template_source = g_strdup (template_source);
  self->max_queue = max_queue;
  self->queue = g_async_queue_new ();
  self->threads = g_ptr_array_new ();
  self->running = g_ptr_array_new ();
  self->metrics = metrics;
  g_mutex_init (&self->lock);
  g_mutex_init (&self->turns.mutex);
  g_cond_init (&self->turns.cond);

  hearth_session_params_init (&sp);
  sp.n_ctx = n_ctx;
  for (guint i = 0; i < n_sessions; i++)
    {
      Worker *w = g_new0 (Worker, 1);

      w->pool = self;
      w->session = hearth_session_new (model, &sp, error);
      if (w->session == NULL)
        {
          g_free (w);
          for (guint j = 0; j < workers->len; j++)
            {
              Worker *o = g_ptr_array_index (workers, j);
              hearth_session_free (o->session);
              g_free (o);
            }
          g_ptr_array_set_size (workers, 0);
          hearth_api_pool_free (self);
          return NULL;
        }
      self->n_ctx = hearth_session_get_n_ctx (w->session);
      g_ptr_array_add (workers, w);
    }
  for (guint i = 0; i < workers->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("hearth-api-%u", i);

      g_ptr_array_add (self->threads, g_thread_new (name, worker_main, g_ptr_array_index (workers, i)));
    }
  /* Each thread uses its Worker until it is joined; freed after that. */
  self->workers = g_steal_pointer (&workers);
  return self;
}

void
hearth_api_pool_free (HearthApiPool *self)
{
  HearthApiJob *job;

  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  for (guint i = 0; i < self->running->len; i++)
    g_cancellable_cancel (((HearthApiJob *) g_ptr_array_index (self->running, i))->cancellable);
  g_mutex_unlock (&self->lock);
  /* What still waits is answered, not run. */
  while ((job = g_async_queue_try_pop (self->queue)) != NULL)
    {
      g_mutex_lock (&self->lock);
      self->queued--;
      g_mutex_unlock (&self->lock);
      job_finish (job, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The server is shutting down"));
      hearth_api_job_unref (job);
    }
  for (guint i = 0; i < self->threads->len; i++)
    g_async_queue_push (self->queue, self);
  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_unref (self->threads);
  if (self->workers != NULL)
    {
      for (guint i = 0; i < self->workers->len; i++)
        {
          Worker *w = g_ptr_array_index (self->workers, i);

          g_clear_pointer (&w->chat, hearth_chat_free);
          g_clear_pointer (&w->session, hearth_session_free);
          g_free (w);
        }
      g_ptr_array_unref (self->workers);
    }
  g_async_queue_unref (self->queue);
  g_ptr_array_unref (self->running);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->turns.mutex);
  g_cond_clear (&self->turns.cond);
  hearth_model_unref (self->model);
  g_free (self->template_source);
  g_free (self);
}

gboolean
hearth_api_pool_submit (HearthApiPool *self,
                        HearthApiJob  *job,
                        GError       **error)
{
  g_return_val_if_fail (job->func != NULL, FALSE);
  g_mutex_lock (&self->lock);
  if (self->stopping || self->queued >= self->max_queue)
    {
      g_mutex_unlock (&self->lock);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "The server is busy: %u requests are waiting already; try again shortly", self->max_queue);
      return FALSE;
    }
  self->queued++;
  update_metrics_locked (self);
  g_async_queue_push (self->queue, hearth_api_job_ref (job));
  g_mutex_unlock (&self->lock);
  return TRUE;
}

HearthModel *
hearth_api_pool_get_model (HearthApiPool *self)
{
  return self->model;
}

guint32
hearth_api_pool_get_n_ctx (HearthApiPool *self)
{
  return self->n_ctx;
}
