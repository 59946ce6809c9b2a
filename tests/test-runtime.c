/* test-runtime.c: the conversation runtime (app/core/runtime) without GTK: token batching, model info, threads of messages, the engine thread, the list models that follow the store, the model registry, and HearthRuntime from a user's message to a stored reply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-array-model.h"
#include "hearth-conversation-list.h"
#include "hearth-engine-worker.h"
#include "hearth-model-info.h"
#include "hearth-model-registry.h"
#include "hearth-runtime.h"
#include "hearth-store.h"
#include "hearth-test.h"
#ifdef HEARTH_HAVE_VULKAN
#include "hearth-test-vulkan.h"
#endif
#include "hearth-thread.h"
#include "hearth-thread-item.h"
#include "hearth-thread-model.h"
#include "hearth-token-batcher.h"

/* ---- token batching ---- */

typedef struct
{
  GString *text;
  guint64  last_generation;
  guint    calls;
} Received;

static void
on_batch (guint64     generation,
          const char *text,
          gsize       len,
          gpointer    user_data)
{
  Received *r = user_data;

  g_string_append_len (r->text, text, (gssize) len);
  r->last_generation = generation;
  r->calls++;
}

typedef struct
{
  HearthTokenBatcher *batcher;
  guint64             generation;
  guint               n;
  gboolean            done;
} Producer;

static gpointer
produce (gpointer data)
{
  Producer *p = data;

  for (guint i = 0; i < p->n; i++)
    {
      char piece[16];

      g_snprintf (piece, sizeof piece, "%u,", i);
      hearth_token_batcher_push (p->batcher, p->generation, piece, strlen (piece));
      if (i % 100 == 0)
        g_usleep (1000);
    }
  g_atomic_int_set (&p->done, TRUE);
  return NULL;
}

/* A fast producer (2000 pieces in ~20 ms) reaches the main loop in a few
 * batches, in order, with nothing lost. */
START_TEST (test_batcher_batches)
{
  Received r = { g_string_new (NULL), 0, 0 };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch, &r);
  Producer p = { b, 0, 2000, FALSE };
  g_autoptr(GString) want = g_string_new (NULL);
  GThread *thread;
  gint64 start = g_get_monotonic_time ();
  double elapsed_ms;

  p.generation = hearth_token_batcher_begin (b);
  thread = g_thread_new ("producer", produce, &p);
  while (!g_atomic_int_get (&p.done) || g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_thread_join (thread);
  hearth_token_batcher_flush (b);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000.0;

  for (guint i = 0; i < p.n; i++)
    g_string_append_printf (want, "%u,", i);
  ck_assert_str_eq (r.text->str, want->str);
  ck_assert_uint_eq (r.last_generation, p.generation);
  /* At most one dispatch per interval, plus the final flush. */
  ck_assert_msg (r.calls <= elapsed_ms / 16 + 2, "%u batches in %.1f ms", r.calls, elapsed_ms);
  ck_assert_uint_lt (r.calls, 100);
  ck_assert_uint_eq (hearth_token_batcher_get_n_batches (b), r.calls);
  g_string_free (r.text, TRUE);
}
END_TEST

/* Text of a generation that is no longer current is dropped, even when it
 * was already waiting for the main loop. */
START_TEST (test_batcher_stale)
{
  Received r = { g_string_new (NULL), 0, 0 };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 5, on_batch, &r);
  guint64 g1, g2;

  g1 = hearth_token_batcher_begin (b);
  ck_assert (hearth_token_batcher_push (b, g1, "old", 3));
  g2 = hearth_token_batcher_begin (b);
  ck_assert_uint_ne (g1, g2);
  ck_assert (!hearth_token_batcher_push (b, g1, "older", 5));
  ck_assert (hearth_token_batcher_push (b, g2, "new", 3));
  while (r.calls == 0)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_str_eq (r.text->str, "new");
  ck_assert_uint_eq (r.last_generation, g2);

  hearth_token_batcher_invalidate (b);
  ck_assert (!hearth_token_batcher_push (b, g2, "late", 4));
  hearth_token_batcher_flush (b);
  ck_assert_str_eq (r.text->str, "new");
  ck_assert_uint_eq (r.calls, 1);
  g_string_free (r.text, TRUE);
}
END_TEST

/* Detaching with a dispatch pending neither calls back nor leaks the batcher. */
START_TEST (test_batcher_detach)
{
  Received r = { g_string_new (NULL), 0, 0 };
  HearthTokenBatcher *b = hearth_token_batcher_new (NULL, 1, on_batch, &r);
  guint64 g = hearth_token_batcher_begin (b);

  ck_assert (hearth_token_batcher_push (b, g, "x", 1));
  hearth_token_batcher_detach (b);
  hearth_token_batcher_unref (b);
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  ck_assert_uint_eq (r.calls, 0);
  g_string_free (r.text, TRUE);
}
END_TEST

/* ---- model info (the reference: hearth-cli inspect of the same file) ---- */

START_TEST (test_model_info)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModelInfo) info = hearth_model_info_read (path, &error);
  g_autofree char *summary = NULL;
  GStatBuf st;

  hearth_assert_no_error (error);
  ck_assert_int_eq (g_stat (path, &st), 0);
  ck_assert_str_eq (info->architecture, "llama");
  ck_assert_uint_eq (info->context_length, 128);
  ck_assert_uint_eq (info->n_params, 292800);
  ck_assert_str_eq (info->quantisation, "F32");
  ck_assert_uint_eq (info->file_size, (guint64) st.st_size);
  ck_assert (!info->has_chat_template);
  summary = hearth_model_info_dup_summary (info);
  ck_assert_msg (g_str_has_prefix (summary, "llama · ") && strstr (summary, "F32 · 128 tokens") != NULL, "%s", summary);
}
END_TEST

START_TEST (test_model_info_not_gguf)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-app-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "x.gguf", NULL);
  g_autoptr(GError) error = NULL;
  HearthModelInfo *info;

  ck_assert (g_file_set_contents (path, "not a model at all", -1, NULL));
  info = hearth_model_info_read (path, &error);
  ck_assert (info == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_BAD_MAGIC);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_model_memory)
{
  g_autoptr(GError) error = NULL;

  ck_assert (hearth_model_check_memory (100, 1000, &error));
  ck_assert (hearth_model_check_memory (100, 0, &error)); /* unknown: let the load try */
  ck_assert (!hearth_model_check_memory (8ull << 30, 1ull << 30, &error));
  ck_assert (strstr (error->message, "Not enough memory") != NULL);
  ck_assert (hearth_model_available_memory () > 0);
}
END_TEST

/* ---- threads of messages over the store ---- */

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("test passphrase");
}

static HearthStore *
open_store_in (const char *dir)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  hearth_store_params_init (&p);
  p.data_dir = dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (store);
  return store;
}

static HearthStore *
open_temp_store (char **dir_out)
{
  *dir_out = g_dir_make_tmp ("hearth-app-XXXXXX", NULL);
  return open_store_in (*dir_out);
}

/* The branch on show (hearth_thread_load before, the thread model now):
 * where each message sits among its siblings, and what the engine is given. */
START_TEST (test_thread_branches)
{
  g_autofree char *dir = NULL;
  g_autoptr(HearthStore) store = open_temp_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) c = hearth_store_create_conversation (store, "t", NULL, NULL, &error);
  gint64 cid = hearth_conversation_get_id (c);
  g_autoptr(HearthMessage) u1 = NULL, a1 = NULL, a2 = NULL, u2 = NULL;
  g_autoptr(HearthThreadModel) t = hearth_thread_model_new (store);
  g_autoptr(GPtrArray) wm = NULL;
  g_autofree char *json_stopped = hearth_thread_dup_settings_json (NULL, "/x/m.gguf", TRUE);
  HearthMessageExtra extra;
  HearthThreadItem *e;

  hearth_message_extra_init (&extra);
  extra.settings_json = json_stopped;
  u1 = hearth_store_append_message (store, cid, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "hi", NULL, &error);
  a1 = hearth_store_append_message (store, cid, hearth_message_get_id (u1), HEARTH_MESSAGE_ROLE_ASSISTANT, "first", &extra, &error);
  /* A regenerated reply: a sibling of the first. */
  a2 = hearth_store_append_message (store, cid, hearth_message_get_id (u1), HEARTH_MESSAGE_ROLE_ASSISTANT, "second", NULL, &error);
  hearth_assert_no_error (error);

  ck_assert (hearth_thread_model_set_conversation (t, cid, &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (t)), 2);
  e = g_list_model_get_item (G_LIST_MODEL (t), 1);
  ck_assert_str_eq (hearth_message_get_content (hearth_thread_item_get_message (e)), "second");
  ck_assert_uint_eq (hearth_thread_item_get_place (e)->sibling_index, 1);
  ck_assert_uint_eq (hearth_thread_item_get_place (e)->n_siblings, 2);
  ck_assert_int_eq (hearth_thread_item_get_place (e)->prev_sibling_id, hearth_message_get_id (a1));
  ck_assert_int_eq (hearth_thread_item_get_place (e)->next_sibling_id, 0);
  ck_assert (!hearth_thread_item_get_stopped (e));
  g_object_unref (e);
  e = g_list_model_get_item (G_LIST_MODEL (t), 0);
  ck_assert_uint_eq (hearth_thread_item_get_place (e)->n_siblings, 1);
  g_object_unref (e);

  /* Back to the first version, which was stopped. */
  ck_assert (hearth_store_set_current_leaf (store, cid, hearth_message_get_id (a1), &error));
  e = g_list_model_get_item (G_LIST_MODEL (t), 1);
  ck_assert_str_eq (hearth_message_get_content (hearth_thread_item_get_message (e)), "first");
  ck_assert (hearth_thread_item_get_stopped (e));
  ck_assert_int_eq (hearth_thread_item_get_place (e)->next_sibling_id, hearth_message_get_id (a2));
  g_object_unref (e);

  /* Editing the user's message starts a branch with only the new message. */
  u2 = hearth_store_edit_message (store, hearth_message_get_id (u1), "hello", &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (t)), 1);
  e = g_list_model_get_item (G_LIST_MODEL (t), 0);
  ck_assert_str_eq (hearth_message_get_content (hearth_thread_item_get_message (e)), "hello");
  ck_assert_uint_eq (hearth_thread_item_get_place (e)->sibling_index, 1);
  ck_assert_int_eq (hearth_thread_item_get_place (e)->prev_sibling_id, hearth_message_get_id (u1));
  g_object_unref (e);

  wm = hearth_thread_to_worker_messages (G_LIST_MODEL (t), g_list_model_get_n_items (G_LIST_MODEL (t)));
  ck_assert_uint_eq (wm->len, 1);
  ck_assert_int_eq (((HearthWorkerMessage *) g_ptr_array_index (wm, 0))->role, HEARTH_CHAT_ROLE_USER);
  ck_assert_str_eq (((HearthWorkerMessage *) g_ptr_array_index (wm, 0))->content, "hello");
  g_clear_object (&t);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

START_TEST (test_thread_settings_and_title)
{
  HearthSamplerParams sp;
  g_autofree char *json = NULL;
  g_autofree char *t1 = hearth_thread_dup_title_for ("  Once upon a time\nthere was");
  g_autofree char *t2 = hearth_thread_dup_title_for ("ééééééééééééééééééééééééééééééééééééééééééééé");

  hearth_sampler_params_init (&sp);
  sp.temperature = 0.5f;
  json = hearth_thread_dup_settings_json (&sp, "/a/b/model.gguf", FALSE);
  ck_assert (strstr (json, "\"model\":\"model.gguf\"") != NULL);
  ck_assert (strstr (json, "\"temperature\":0.5") != NULL);
  ck_assert (!hearth_thread_settings_say_stopped (json));
  ck_assert (!hearth_thread_settings_say_stopped (NULL));
  ck_assert (!hearth_thread_settings_say_stopped ("not json"));
  ck_assert (hearth_thread_settings_say_stopped ("{\"stopped\": true}"));
  ck_assert (!hearth_thread_settings_say_device_lost (json));
  ck_assert (!hearth_thread_settings_say_device_lost ("{\"stopped\": true}"));
  g_free (json);
  /* A reply the lost device cut short is stopped, and says why. */
  json = hearth_thread_dup_settings_json_device_lost (&sp, "/a/b/model.gguf");
  ck_assert (strstr (json, "\"model\":\"model.gguf\"") != NULL);
  ck_assert (hearth_thread_settings_say_stopped (json));
  ck_assert (hearth_thread_settings_say_device_lost (json));
  ck_assert_str_eq (t1, "Once upon a time");
  ck_assert_int_eq (g_utf8_strlen (t2, -1), 41);
  ck_assert (g_str_has_suffix (t2, "é…"));
}
END_TEST

/* ---- the engine thread ---- */

typedef struct
{
  Received           received;
  HearthWorkerReply *reply;
  GError            *error;
  gboolean           done;
  GCancellable      *cancel_after_first;
} Run;

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;

  hearth_engine_worker_load_finish (HEARTH_ENGINE_WORKER (source), result, &run->error);
  run->done = TRUE;
}

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Run *run = user_data;

  run->reply = hearth_engine_worker_respond_finish (HEARTH_ENGINE_WORKER (source), result, &run->error);
  run->done = TRUE;
}

static void
on_batch_cancel (guint64     generation,
                 const char *text,
                 gsize       len,
                 gpointer    user_data)
{
  Run *run = user_data;

  on_batch (generation, text, len, &run->received);
  if (run->cancel_after_first != NULL)
    g_cancellable_cancel (run->cancel_after_first);
}

static void
wait_done (Run *run)
{
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  run->done = FALSE;
}

static GPtrArray *
one_message (const char *text)
{
  GPtrArray *m = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_worker_message_free);

  g_ptr_array_add (m, hearth_worker_message_new (HEARTH_CHAT_ROLE_USER, text));
  return m;
}

START_TEST (test_worker_stream)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = hearth_engine_worker_new (b);
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_CPU, 0, 1, -1 };
  HearthSamplerParams sp;
  guint64 gen;

  ck_assert (!hearth_engine_worker_is_loaded (w));
  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert (hearth_engine_worker_is_loaded (w));
  ck_assert_uint_eq (hearth_engine_worker_get_n_ctx (w), 128);
  ck_assert (g_str_has_prefix (hearth_engine_worker_get_backend_description (w), "CPU"));

  hearth_sampler_params_init (&sp); /* greedy: the same reply every time */
  gen = hearth_token_batcher_begin (b);
  hearth_engine_worker_respond_async (w, gen, NULL, one_message ("Once upon a time"), &sp, 0, NULL, on_reply, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  hearth_token_batcher_flush (b);
  ck_assert_uint_gt (run.reply->n_generated, 0);
  ck_assert_uint_gt (strlen (run.reply->text), 0);
  /* What streamed is exactly the reply. */
  ck_assert_str_eq (run.received.text->str, run.reply->text);
  ck_assert_uint_ge (run.received.calls, 1);
  ck_assert_uint_le (run.reply->n_past, run.reply->n_ctx);
  ck_assert_uint_eq (run.reply->n_ctx, 128);
  hearth_worker_reply_free (run.reply);
  g_string_free (run.received.text, TRUE);
}
END_TEST

/* Stop after the first batch: the partial reply comes back (not an error),
 * marked as cancelled, and it begins with what was streamed. */
START_TEST (test_worker_cancel)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = NULL;
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_CPU, 0, 1, -1 };
  HearthSamplerParams sp;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "20", TRUE);
  w = hearth_engine_worker_new (b);
  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);

  hearth_sampler_params_init (&sp);
  run.cancel_after_first = cancel;
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 0, cancel, on_reply, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert_int_eq (run.reply->reason, HEARTH_STOP_CANCELLED);
  ck_assert_uint_gt (run.received.text->len, 0);
  ck_assert (g_str_has_prefix (run.reply->text, run.received.text->str));
  /* 20 ms a token and a stop after the first batch: far from the 128-token context. */
  ck_assert_uint_lt (run.reply->n_generated, 40);
  hearth_worker_reply_free (run.reply);
  g_string_free (run.received.text, TRUE);
}
END_TEST

/* A reply of at most @max_tokens tokens is the start of the unlimited one. */
START_TEST (test_worker_max_tokens)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = hearth_engine_worker_new (b);
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_CPU, 0, 1, -1 };
  HearthSamplerParams sp;
  g_autofree char *full = NULL;

  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  hearth_sampler_params_init (&sp);
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 0, NULL, on_reply, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert_uint_gt (run.reply->n_generated, 5);
  full = g_strdup (run.reply->text);
  g_clear_pointer (&run.reply, hearth_worker_reply_free);

  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 5, NULL, on_reply, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert_int_eq (run.reply->reason, HEARTH_STOP_LIMIT);
  ck_assert_uint_eq (run.reply->n_generated, 5);
  ck_assert_uint_gt (strlen (run.reply->text), 0);
  ck_assert_msg (g_str_has_prefix (full, run.reply->text) && strlen (run.reply->text) < strlen (full),
                 "5 tokens: \"%s\", unlimited: \"%s\"", run.reply->text, full);
  hearth_worker_reply_free (run.reply);
  g_string_free (run.received.text, TRUE);
}
END_TEST

START_TEST (test_worker_bad_model)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-app-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bad.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = hearth_engine_worker_new (b);
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_CPU, 0, 1, -1 };
  HearthSamplerParams sp;

  ck_assert (g_file_set_contents (path, "GGUF\x03\0\0\0 truncated", 17, NULL));
  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  ck_assert (run.error != NULL);
  ck_assert_int_eq (run.error->domain, HEARTH_ENGINE_ERROR);
  ck_assert (!hearth_engine_worker_is_loaded (w));
  g_clear_error (&run.error);

  /* Asking for a reply without a model is an error, not a crash. */
  hearth_sampler_params_init (&sp);
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("hi"), &sp, 0, NULL,
                                      on_reply, &run);
  wait_done (&run);
  hearth_assert_error (run.error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&run.error);
  g_unlink (path);
  g_rmdir (dir);
  g_string_free (run.received.text, TRUE);
}
END_TEST

#ifdef HEARTH_HAVE_VULKAN
/* As the window does when it goes: the model is dropped on the engine
 * thread and the thread joined. Then the tasks' last references (released
 * from idle callbacks) go, and the worker with them; otherwise the model
 * would still be held at exit, with lavapipe's objects, which
 * LeakSanitizer then reports. */
static void
finish_worker (HearthEngineWorker *w)
{
  hearth_engine_worker_shutdown (w);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
greedy_reply (HearthEngineWorker *w,
              HearthTokenBatcher *b,
              Run                *run)
{
  HearthSamplerParams sp;
  char *text;

  hearth_sampler_params_init (&sp); /* greedy */
  g_string_truncate (run->received.text, 0);
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 0, NULL, on_reply, run);
  wait_done (run);
  hearth_assert_no_error (run->error);
  hearth_token_batcher_flush (b);
  ck_assert_msg (run->reply->device_lost == NULL, "%s", run->reply->device_lost);
  ck_assert_uint_gt (run->reply->n_generated, 1);
  text = g_strdup (run->reply->text);
  ck_assert_str_eq (run->received.text->str, text);
  g_clear_pointer (&run->reply, hearth_worker_reply_free);
  return text;
}

/* The GPU device is lost at the first decode step (HEARTH_VK_FAULT, once
 * in the process): the reply comes back with what it had said, marked
 * with the engine's lost-device message; the worker has dropped the model
 * and remembers what to reload. Loaded again with the same settings it
 * replies in full, and that reply begins with the partial one and is the
 * CPU backend's greedy reply (the reference) to the same prompt. */
START_TEST (test_worker_device_lost)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = NULL;
  g_autoptr(HearthEngineWorker) cpu = NULL;
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_VULKAN, 0, 1, -1 };
  HearthWorkerLoadParams last;
  HearthSamplerParams sp;
  const char *last_path = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *full = NULL;
  g_autofree char *reference = NULL;

  g_setenv ("HEARTH_VK_FAULT", "submit:2:device-lost:once", TRUE);
  w = hearth_engine_worker_new (b);
  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert (g_str_has_prefix (hearth_engine_worker_get_backend_description (w), "Vulkan"));
  ck_assert_ptr_null (hearth_engine_worker_get_device_lost (w));

  hearth_sampler_params_init (&sp);
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 0, NULL, on_reply, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  hearth_token_batcher_flush (b);
  ck_assert_ptr_nonnull (run.reply);
  ck_assert_msg (run.reply->device_lost != NULL && strstr (run.reply->device_lost, "was lost") != NULL &&
                 strstr (run.reply->device_lost, "must be reloaded") != NULL, "%s",
                 run.reply->device_lost ? run.reply->device_lost : "(not lost)");
  /* The prompt ran and its first token streamed; the next step was lost. */
  ck_assert_str_eq (run.reply->text, run.received.text->str);
  ck_assert_uint_gt (strlen (run.reply->text), 0);
  partial = g_strdup (run.reply->text);
  ck_assert (!hearth_engine_worker_is_loaded (w));
  ck_assert_ptr_null (hearth_engine_worker_get_model_path (w));
  ck_assert_str_eq (hearth_engine_worker_get_device_lost (w), run.reply->device_lost);
  ck_assert (hearth_engine_worker_get_last_load (w, &last_path, &last));
  ck_assert_str_eq (last_path, path);
  ck_assert_int_eq (last.backend, HEARTH_BACKEND_VULKAN);
  ck_assert_int_eq (last.n_gpu_layers, -1);
  g_clear_pointer (&run.reply, hearth_worker_reply_free);

  /* Asking again without a model is an error, not a crash. */
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("hi"), &sp, 0, NULL,
                                      on_reply, &run);
  wait_done (&run);
  hearth_assert_error (run.error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&run.error);

  /* Reload: the fault was the first context's only. */
  hearth_engine_worker_load_async (w, last_path, &last, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  ck_assert (hearth_engine_worker_is_loaded (w));
  ck_assert_ptr_null (hearth_engine_worker_get_device_lost (w));
  ck_assert (g_str_has_prefix (hearth_engine_worker_get_backend_description (w), "Vulkan"));
  full = greedy_reply (w, b, &run);
  ck_assert_msg (g_str_has_prefix (full, partial), "%s / %s", partial, full);

  cpu = hearth_engine_worker_new (b);
  lp.backend = HEARTH_BACKEND_CPU;
  hearth_engine_worker_load_async (cpu, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  reference = greedy_reply (cpu, b, &run);
  ck_assert_str_eq (full, reference);
  finish_worker (cpu);
  finish_worker (w);
  g_string_free (run.received.text, TRUE);
}
END_TEST

/* Another device error (out of device memory at a submit) keeps the model:
 * the reply fails with it, and the next one works. */
START_TEST (test_worker_device_error)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  Run run = { { g_string_new (NULL), 0, 0 }, NULL, NULL, FALSE, NULL };
  g_autoptr(HearthTokenBatcher) b = hearth_token_batcher_new (NULL, 16, on_batch_cancel, &run);
  g_autoptr(HearthEngineWorker) w = NULL;
  HearthWorkerLoadParams lp = { HEARTH_BACKEND_VULKAN, 0, 1, -1 };
  HearthSamplerParams sp;
  g_autofree char *text = NULL;

  g_setenv ("HEARTH_VK_FAULT", "submit:2:oom-device", TRUE);
  w = hearth_engine_worker_new (b);
  hearth_engine_worker_load_async (w, path, &lp, on_loaded, &run);
  wait_done (&run);
  hearth_assert_no_error (run.error);
  hearth_sampler_params_init (&sp);
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("Once upon a time"),
                                      &sp, 0, NULL, on_reply, &run);
  wait_done (&run);
  ck_assert_ptr_null (run.reply);
  hearth_assert_error (run.error, HEARTH_ENGINE_ERROR_DEVICE);
  g_clear_error (&run.error);
  ck_assert (hearth_engine_worker_is_loaded (w));
  ck_assert_ptr_null (hearth_engine_worker_get_device_lost (w));
  text = greedy_reply (w, b, &run);
  ck_assert_uint_gt (strlen (text), 0);
  finish_worker (w);
  g_string_free (run.received.text, TRUE);
}
END_TEST
#endif


/* ---- helpers for the list models and the runtime ---- */

/* Check scales its timeouts by CK_TIMEOUT_MULTIPLIER (sanitizers, valgrind);
 * the waits below scale the same way, and stay under the test's timeout so
 * that a hang fails with a message saying what was awaited. */
static double
timeout_multiplier (void)
{
  const char *m = g_getenv ("CK_TIMEOUT_MULTIPLIER");
  double x = m != NULL ? g_ascii_strtod (m, NULL) : 1.0;

  return x >= 1.0 ? x : 1.0;
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the owner's main context until @cond holds; fails after @seconds. */
#define WAIT_UNTIL(cond, seconds) \
  G_STMT_START { \
    gint64 wait_deadline_ = g_get_monotonic_time () + \
                            (gint64) ((seconds) * timeout_multiplier () * G_USEC_PER_SEC); \
    guint wait_tick_ = g_timeout_add (20, wake_up, NULL); \
    while (!(cond)) \
      { \
        ck_assert_msg (g_get_monotonic_time () < wait_deadline_, "timed out waiting for %s", #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (wait_tick_); \
  } G_STMT_END

static void
drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The store in @dir, with a passphrase key of few rounds (no keyring). */

static gint64
new_conversation (HearthStore *store,
                  const char  *title)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) c = hearth_store_create_conversation (store, title, NULL, NULL, &error);

  hearth_assert_no_error (error);
  /* Distinct update times, so that the order never rests on a tie. */
  g_usleep (2000);
  return hearth_conversation_get_id (c);
}

static gint64
add_message (HearthStore      *store,
             gint64            conversation_id,
             gint64            parent_id,
             HearthMessageRole role,
             const char       *content)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) m = hearth_store_append_message (store, conversation_id, parent_id, role,
                                                            content, NULL, &error);

  hearth_assert_no_error (error);
  g_usleep (2000);
  return hearth_message_get_id (m);
}

/* ---- recording items-changed ---- */

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  GArray *changes = user_data;
  Change c = { position, removed, added };

  g_array_append_val (changes, c);
}

static GArray *
record_changes (gpointer model)
{
  GArray *changes = g_array_new (FALSE, FALSE, sizeof (Change));

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), changes);
  return changes;
}

static void
stop_recording (gpointer model,
                GArray  *changes)
{
  g_signal_handlers_disconnect_by_data (model, changes);
  g_array_unref (changes);
}

#define ID_AT(a, i) g_array_index ((a), gint64, (i))

static char *
ids_to_string (GArray *ids)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? " " : "", ID_AT (ids, i));
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static void
assert_ids_equal (GArray     *got,
                  GArray     *want,
                  const char *what)
{
  g_autofree char *g = ids_to_string (got);
  g_autofree char *w = ids_to_string (want);

  /* An empty GArray's data may be NULL, which memcmp may not be given. */
  ck_assert_msg (got->len == want->len &&
                 (got->len == 0 || memcmp (got->data, want->data, got->len * sizeof (gint64)) == 0),
                 "%s: the model holds %s, the store says %s", what, g, w);
}

/* The one items-changed that turns @before into @after: the rows between
 * the common head and the common tail, where @changed (0: none) counts as
 * different on both sides (its row must be replaced). Asserts that exactly
 * that was emitted, once, and forgets it. */
static void
assert_one_change (GArray     *changes,
                   GArray     *before,
                   GArray     *after,
                   gint64      changed,
                   const char *what)
{
  guint head = 0, tail = 0;
  Change c;

  while (head < before->len && head < after->len && ID_AT (before, head) == ID_AT (after, head) &&
         ID_AT (before, head) != changed)
    head++;
  while (tail < before->len - head && tail < after->len - head &&
         ID_AT (before, before->len - 1 - tail) == ID_AT (after, after->len - 1 - tail) &&
         ID_AT (before, before->len - 1 - tail) != changed)
    tail++;
  ck_assert_msg (changes->len == 1, "%s: %u items-changed, want 1", what, changes->len);
  c = g_array_index (changes, Change, 0);
  ck_assert_msg (c.position == head && c.removed == before->len - head - tail &&
                 c.added == after->len - head - tail,
                 "%s: items-changed (%u, %u, %u), want (%u, %u, %u)", what, c.position, c.removed, c.added,
                 head, before->len - head - tail, after->len - head - tail);
  g_array_set_size (changes, 0);
}

static void
assert_no_change (GArray     *changes,
                  const char *what)
{
  ck_assert_msg (changes->len == 0, "%s: %u items-changed, want none", what, changes->len);
}

typedef gint64 (*ItemIdFunc) (gpointer item);

static GArray *
model_ids (GListModel *model,
           ItemIdFunc  id_of)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      gint64 id;

      ck_assert_ptr_nonnull (item);
      id = id_of (item);
      g_array_append_val (ids, id);
    }
  ck_assert_ptr_null (g_list_model_get_item (model, n));
  return ids;
}

static gint64
conversation_id_of (gpointer item)
{
  ck_assert (HEARTH_IS_CONVERSATION (item));
  return hearth_conversation_get_id (item);
}

static gint64
thread_item_id_of (gpointer item)
{
  ck_assert (HEARTH_IS_THREAD_ITEM (item));
  return hearth_thread_item_get_id (item);
}

/* What the conversation list must hold: the store's order, hidden ones left out. */
static GArray *
store_conversation_ids (HearthStore            *store,
                        HearthConversationList *list)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 0, &error);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  hearth_assert_no_error (error);
  for (guint i = 0; i < all->len; i++)
    {
      gint64 id = hearth_conversation_get_id (g_ptr_array_index (all, i));

      if (list == NULL || !hearth_conversation_list_is_hidden (list, id))
        g_array_append_val (ids, id);
    }
  return ids;
}

/* What the thread model must hold: the store's branch on show, system messages left out. */
static GArray *
store_thread_ids (HearthStore *store,
                  gint64       conversation_id)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;

  if (conversation_id == 0)
    return ids;
  thread = hearth_store_get_thread (store, conversation_id, 0, &error);
  hearth_assert_no_error (error);
  for (guint i = 0; i < thread->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (thread, i);
      gint64 id = hearth_message_get_id (m);

      if (hearth_message_get_role (m) != HEARTH_MESSAGE_ROLE_SYSTEM)
        g_array_append_val (ids, id);
    }
  return ids;
}

/* ---- the conversation list ---- */

/* One list model under test: after each operation on the store, the model
 * holds what the store says (@want) and said so in one minimal change. */
typedef struct
{
  HearthStore *store;
  GListModel  *model;
  gint64     (*id_of) (gpointer item);
  GArray    *(*want)  (HearthStore *store, GListModel *model);
  GArray      *changes;
  GArray      *before;
} ModelCheck;

static void
model_check_begin (ModelCheck *mc)
{
  g_clear_pointer (&mc->before, g_array_unref);
  mc->before = model_ids (mc->model, mc->id_of);
  g_array_set_size (mc->changes, 0);
}

static void
model_check_end (ModelCheck *mc,
                 gint64      changed,
                 const char *what)
{
  g_autoptr(GArray) after = model_ids (mc->model, mc->id_of);
  g_autoptr(GArray) want = mc->want (mc->store, mc->model);

  assert_ids_equal (after, want, what);
  assert_one_change (mc->changes, mc->before, after, changed, what);
}

static GArray *
want_conversations (HearthStore *store,
                    GListModel  *model)
{
  return store_conversation_ids (store, HEARTH_CONVERSATION_LIST (model));
}

static GArray *
want_thread (HearthStore *store,
             GListModel  *model)
{
  return store_thread_ids (store, hearth_thread_model_get_conversation (HEARTH_THREAD_MODEL (model)));
}

START_TEST (test_conversation_list)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  g_autoptr(HearthStore) store = open_store_in (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversationList) list = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) hidden = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  ModelCheck lc = { store, NULL, conversation_id_of, want_conversations, NULL, NULL };
  gint64 c1, c2, c3, c4, c5;

  c1 = new_conversation (store, "one");
  add_message (store, c1, 0, HEARTH_MESSAGE_ROLE_USER, "first");
  c2 = new_conversation (store, "two");
  c3 = new_conversation (store, "three");
  c4 = new_conversation (store, "archived");
  ck_assert (hearth_store_set_archived (store, c4, TRUE, &error));
  hearth_assert_no_error (error);

  list = hearth_conversation_list_new (store, &error);
  hearth_assert_no_error (error);
  lc.model = G_LIST_MODEL (list);
  ck_assert (g_list_model_get_item_type (G_LIST_MODEL (list)) == HEARTH_TYPE_CONVERSATION);
  ids = model_ids (G_LIST_MODEL (list), conversation_id_of);
  {
    g_autoptr(GArray) want = store_conversation_ids (store, NULL);

    /* Newest first, the archived one left out. */
    assert_ids_equal (ids, want, "new list");
    ck_assert_uint_eq (ids->len, 3);
    ck_assert_int_eq (ID_AT (ids, 0), c3);
    ck_assert_int_eq (ID_AT (ids, 2), c1);
  }
  ck_assert_int_eq (hearth_conversation_list_find (list, c1), 2);
  ck_assert_int_eq (hearth_conversation_list_find (list, c4), -1);
  lc.changes = record_changes (list);

  /* A new conversation: one row at the top. */
  model_check_begin (&lc);
  c5 = new_conversation (store, "five");
  model_check_end (&lc, c5, "create");
  ck_assert_int_eq (hearth_conversation_list_find (list, c5), 0);

  /* A message in the oldest one moves it from the bottom to the top: the
   * rows between its old and new place are replaced, in one change. */
  model_check_begin (&lc);
  add_message (store, c1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "a reply");
  model_check_end (&lc, c1, "append to the oldest");
  ck_assert_int_eq (hearth_conversation_list_find (list, c1), 0);
  {
    g_autoptr(HearthConversation) top = g_list_model_get_item (G_LIST_MODEL (list), 0);

    /* The row is a new snapshot: it counts the new message. */
    ck_assert_int_eq (hearth_conversation_get_n_messages (top), 2);
  }

  /* A message in the top one: its row is replaced in place. */
  model_check_begin (&lc);
  add_message (store, c1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "more");
  model_check_end (&lc, c1, "append to the newest");

  /* Pinning the bottom one brings it to the top; unpinning puts it back. */
  model_check_begin (&lc);
  ck_assert (hearth_store_set_pinned (store, c2, TRUE, &error));
  hearth_assert_no_error (error);
  model_check_end (&lc, c2, "pin");
  ck_assert_int_eq (hearth_conversation_list_find (list, c2), 0);
  {
    g_autoptr(HearthConversation) top = g_list_model_get_item (G_LIST_MODEL (list), 0);

    ck_assert (hearth_conversation_get_pinned (top));
  }

  /* A new conversation goes below the pinned one. */
  model_check_begin (&lc);
  {
    gint64 c6 = new_conversation (store, "six");

    model_check_end (&lc, c6, "create under a pin");
    ck_assert_int_eq (hearth_conversation_list_find (list, c6), 1);
  }

  model_check_begin (&lc);
  ck_assert (hearth_store_set_pinned (store, c2, FALSE, &error));
  hearth_assert_no_error (error);
  model_check_end (&lc, c2, "unpin");

  /* Renaming replaces its row (and moves it, if the store says so). */
  model_check_begin (&lc);
  ck_assert (hearth_store_rename_conversation (store, c3, "three, renamed", &error));
  hearth_assert_no_error (error);
  model_check_end (&lc, c3, "rename");
  {
    int pos = hearth_conversation_list_find (list, c3);
    g_autoptr(HearthConversation) row = NULL;

    ck_assert_int_ge (pos, 0);
    row = g_list_model_get_item (G_LIST_MODEL (list), (guint) pos);
    ck_assert_str_eq (hearth_conversation_get_title (row), "three, renamed");
  }

  /* Hidden (deleted with undo): the row goes, the store keeps it; a
   * change to it while hidden shows nothing; unhidden, it comes back
   * where the store has it now. */
  model_check_begin (&lc);
  hearth_conversation_list_set_hidden (list, c3, TRUE);
  model_check_end (&lc, 0, "hide");
  ck_assert (hearth_conversation_list_is_hidden (list, c3));
  ck_assert_int_eq (hearth_conversation_list_find (list, c3), -1);
  hidden = hearth_conversation_list_dup_hidden (list);
  ck_assert_uint_eq (hidden->len, 1);
  ck_assert_int_eq (ID_AT (hidden, 0), c3);
  conv = hearth_store_get_conversation (store, c3, &error);
  hearth_assert_no_error (error);

  g_array_set_size (lc.changes, 0);
  add_message (store, c3, 0, HEARTH_MESSAGE_ROLE_USER, "while hidden");
  assert_no_change (lc.changes, "a hidden conversation changed");

  model_check_begin (&lc);
  hearth_conversation_list_set_hidden (list, c3, FALSE);
  model_check_end (&lc, 0, "unhide");
  ck_assert (!hearth_conversation_list_is_hidden (list, c3));
  ck_assert_int_eq (hearth_conversation_list_find (list, c3), 0);
  g_clear_pointer (&hidden, g_array_unref);
  hidden = hearth_conversation_list_dup_hidden (list);
  ck_assert_uint_eq (hidden->len, 0);

  /* Archived: it leaves the list. */
  model_check_begin (&lc);
  ck_assert (hearth_store_set_archived (store, c5, TRUE, &error));
  hearth_assert_no_error (error);
  model_check_end (&lc, 0, "archive");

  /* Deleted: its row goes. */
  model_check_begin (&lc);
  ck_assert (hearth_store_delete_conversation (store, c2, &error));
  hearth_assert_no_error (error);
  model_check_end (&lc, 0, "delete");
  ck_assert_int_eq (hearth_conversation_list_find (list, c2), -1);

  stop_recording (list, lc.changes);
  g_clear_pointer (&lc.before, g_array_unref);
  g_clear_object (&list);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

/* ---- the thread model ---- */

static HearthThreadItem *
thread_item (gpointer model,
             guint    i)
{
  HearthThreadItem *item = g_list_model_get_item (G_LIST_MODEL (model), i);

  ck_assert_msg (item != NULL, "no item %u", i);
  return item;
}

START_TEST (test_thread_model)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  g_autoptr(HearthStore) store = open_store_in (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadModel) model = hearth_thread_model_new (store);
  g_autoptr(HearthThreadItem) item = NULL;
  g_autoptr(HearthMessage) edited = NULL;
  ModelCheck tc = { store, G_LIST_MODEL (model), thread_item_id_of, want_thread, NULL, NULL };
  gint64 a, b, sys, u1, a1, u2, a2, u3, bu, ba;

  a = new_conversation (store, "a");
  sys = add_message (store, a, 0, HEARTH_MESSAGE_ROLE_SYSTEM, "You are terse.");
  u1 = add_message (store, a, sys, HEARTH_MESSAGE_ROLE_USER, "u1");
  a1 = add_message (store, a, u1, HEARTH_MESSAGE_ROLE_ASSISTANT, "a1");
  u2 = add_message (store, a, a1, HEARTH_MESSAGE_ROLE_USER, "u2");
  a2 = add_message (store, a, u2, HEARTH_MESSAGE_ROLE_ASSISTANT, "a2");
  b = new_conversation (store, "b");
  bu = add_message (store, b, 0, HEARTH_MESSAGE_ROLE_USER, "bu");
  ba = add_message (store, b, bu, HEARTH_MESSAGE_ROLE_ASSISTANT, "ba");

  ck_assert (g_list_model_get_item_type (G_LIST_MODEL (model)) == HEARTH_TYPE_THREAD_ITEM);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 0);
  ck_assert_int_eq (hearth_thread_model_get_conversation (model), 0);
  tc.changes = record_changes (model);

  /* Shown: the whole branch in one change, without the system message. */
  model_check_begin (&tc);
  ck_assert (hearth_thread_model_set_conversation (model, a, &error));
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_thread_model_get_conversation (model), a);
  model_check_end (&tc, 0, "set_conversation");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 4);
  item = thread_item (model, 0);
  ck_assert_int_eq (hearth_thread_item_get_id (item), u1);
  ck_assert_int_eq (hearth_thread_item_get_role (item), HEARTH_MESSAGE_ROLE_USER);
  ck_assert_str_eq (hearth_thread_item_get_text (item), "u1");
  ck_assert (!hearth_thread_item_get_streaming (item));
  ck_assert_int_eq (hearth_message_get_id (hearth_thread_item_get_message (item)), u1);
  g_clear_object (&item);

  /* The same conversation again: nothing differs, nothing is emitted. */
  ck_assert (hearth_thread_model_set_conversation (model, a, &error));
  assert_no_change (tc.changes, "set_conversation to the one on show");

  /* Appended: one row at the end. */
  model_check_begin (&tc);
  u3 = add_message (store, a, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "u3");
  model_check_end (&tc, 0, "append");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 5);

  /* Another conversation's messages are none of its business. */
  add_message (store, b, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "bu2");
  assert_no_change (tc.changes, "append to another conversation");

  /* A message updated in place: its row alone is replaced. */
  model_check_begin (&tc);
  ck_assert (hearth_store_update_message (store, a1, "a1, revised", NULL, &error));
  hearth_assert_no_error (error);
  model_check_end (&tc, a1, "update");
  item = thread_item (model, 1);
  ck_assert_str_eq (hearth_thread_item_get_text (item), "a1, revised");
  g_clear_object (&item);

  /* Editing u2 (row 2): a sibling on a new branch; rows from 2 on are replaced. */
  model_check_begin (&tc);
  edited = hearth_store_edit_message (store, u2, "u2, edited", &error);
  hearth_assert_no_error (error);
  model_check_end (&tc, 0, "edit");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 3);
  item = thread_item (model, 2);
  ck_assert_int_eq (hearth_thread_item_get_id (item), hearth_message_get_id (edited));
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->n_siblings, 2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->sibling_index, 1);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->prev_sibling_id, u2);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->next_sibling_id, 0);
  g_clear_object (&item);

  /* Back to the first branch: from row 2 on again, down to its newest leaf. */
  model_check_begin (&tc);
  ck_assert (hearth_store_set_current_leaf (store, a, u2, &error));
  hearth_assert_no_error (error);
  model_check_end (&tc, 0, "set_current_leaf");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 5);
  item = thread_item (model, 2);
  ck_assert_int_eq (hearth_thread_item_get_id (item), u2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->sibling_index, 0);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->next_sibling_id, hearth_message_get_id (edited));
  g_clear_object (&item);
  item = thread_item (model, 4);
  ck_assert_int_eq (hearth_thread_item_get_id (item), u3);
  g_clear_object (&item);

  /* Deleting a2 takes u3 with it. */
  model_check_begin (&tc);
  ck_assert (hearth_store_delete_message (store, a2, &error));
  hearth_assert_no_error (error);
  model_check_end (&tc, 0, "delete_message");
  ck_assert_uint_lt (g_list_model_get_n_items (G_LIST_MODEL (model)), 4);

  /* Another conversation: all rows replaced in one change. */
  model_check_begin (&tc);
  ck_assert (hearth_thread_model_set_conversation (model, b, &error));
  hearth_assert_no_error (error);
  model_check_end (&tc, 0, "set_conversation to another");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 3);
  item = thread_item (model, 1);
  ck_assert_int_eq (hearth_thread_item_get_id (item), ba);
  g_clear_object (&item);

  /* None: empty, in one change. */
  model_check_begin (&tc);
  ck_assert (hearth_thread_model_set_conversation (model, 0, &error));
  hearth_assert_no_error (error);
  model_check_end (&tc, 0, "set_conversation to none");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 0);

  /* An unknown conversation is an error. */
  ck_assert (!hearth_thread_model_set_conversation (model, 999999, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);

  stop_recording (model, tc.changes);
  g_clear_pointer (&tc.before, g_array_unref);
  g_clear_object (&model);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

static void
on_text_appended (HearthThreadItem *item,
                  const char       *text,
                  guint64           len,
                  gpointer          user_data)
{
  g_string_append_len (user_data, text, (gssize) len);
}

static void
assert_change (GArray     *changes,
               guint       position,
               guint       removed,
               guint       added,
               const char *what)
{
  Change c;

  ck_assert_msg (changes->len == 1, "%s: %u items-changed, want 1", what, changes->len);
  c = g_array_index (changes, Change, 0);
  ck_assert_msg (c.position == position && c.removed == removed && c.added == added,
                 "%s: items-changed (%u, %u, %u), want (%u, %u, %u)", what, c.position, c.removed, c.added,
                 position, removed, added);
  g_array_set_size (changes, 0);
}

/* ---- the array model the list models derive from ---- */

#define TEST_TYPE_LIST (test_list_get_type ())
G_DECLARE_FINAL_TYPE (TestList, test_list, TEST, LIST, HearthArrayModel)

struct _TestList
{
  HearthArrayModel parent_instance;
};

G_DEFINE_FINAL_TYPE (TestList, test_list, HEARTH_TYPE_ARRAY_MODEL)

static void
test_list_class_init (TestListClass *klass)
{
  HEARTH_ARRAY_MODEL_CLASS (klass)->item_type = G_TYPE_APPLICATION;
}

static void
test_list_init (TestList *self)
{
}

static GObject *
named (const char *id)
{
  return g_object_new (G_TYPE_APPLICATION, "application-id", id, NULL);
}

static char *
names_of (GListModel *model)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GApplication) app = g_list_model_get_item (model, i);

      g_string_append_printf (s, "%s%s", i ? " " : "", g_application_get_application_id (app));
    }
  return g_string_free (s, FALSE);
}

/* One splice is one items-changed with its own range, none when nothing
 * changes; the model holds its own references. */
START_TEST (test_array_model)
{
  g_autoptr(TestList) list = g_object_new (TEST_TYPE_LIST, NULL);
  GListModel *model = G_LIST_MODEL (list);
  GObject *abc[3] = { named ("a.a"), named ("b.b"), named ("c.c") };
  GObject *xy[2] = { named ("x.x"), named ("y.y") };
  GArray *changes = record_changes (list);
  g_autofree char *names = NULL;

  ck_assert (g_list_model_get_item_type (model) == G_TYPE_APPLICATION);
  ck_assert_uint_eq (g_list_model_get_n_items (model), 0);
  ck_assert_ptr_null (g_list_model_get_item (model, 0));

  hearth_array_model_splice (HEARTH_ARRAY_MODEL (list), 0, 0, (gpointer *) abc, 3);
  assert_change (changes, 0, 0, 3, "insert");
  /* References taken: ours can go. */
  for (guint i = 0; i < 3; i++)
    g_object_unref (abc[i]);
  names = names_of (model);
  ck_assert_str_eq (names, "a.a b.b c.c");
  g_clear_pointer (&names, g_free);
  ck_assert_uint_eq (hearth_array_model_get_items (HEARTH_ARRAY_MODEL (list))->len, 3);

  hearth_array_model_splice (HEARTH_ARRAY_MODEL (list), 1, 1, (gpointer *) xy, 2);
  assert_change (changes, 1, 1, 2, "replace");
  names = names_of (model);
  ck_assert_str_eq (names, "a.a x.x y.y c.c");
  g_clear_pointer (&names, g_free);

  hearth_array_model_splice (HEARTH_ARRAY_MODEL (list), 2, 0, NULL, 0);
  assert_no_change (changes, "an empty splice");

  hearth_array_model_splice (HEARTH_ARRAY_MODEL (list), 0, 2, NULL, 0);
  assert_change (changes, 0, 2, 0, "remove");
  names = names_of (model);
  ck_assert_str_eq (names, "y.y c.c");
  ck_assert_ptr_null (g_list_model_get_item (model, 2));
  for (guint i = 0; i < 2; i++)
    g_object_unref (xy[i]);
  stop_recording (list, changes);
}
END_TEST

/* The runtime's reply in progress: the last row, from the position given
 * (a reply being regenerated is left out), in one change; its text grows
 * through text-appended. Ended, it stays until the store's next change
 * replaces it with the stored reply, or a refresh removes it. */
START_TEST (test_thread_model_streaming)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  g_autoptr(HearthStore) store = open_store_in (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadModel) model = hearth_thread_model_new (store);
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autoptr(HearthThreadItem) last = NULL;
  g_autoptr(GArray) got = NULL;
  g_autoptr(GArray) want = NULL;
  HearthThreadItem *streaming;
  GArray *changes;
  gint64 c = new_conversation (store, "c");
  gint64 u, a;

  u = add_message (store, c, 0, HEARTH_MESSAGE_ROLE_USER, "hi");
  ck_assert (hearth_thread_model_set_conversation (model, c, &error));
  changes = record_changes (model);

  /* A reply to the last message: appended. */
  streaming = hearth_thread_model_begin_streaming (model, 1);
  ck_assert_ptr_nonnull (streaming);
  assert_change (changes, 1, 0, 1, "begin_streaming at the end");
  last = thread_item (model, 1);
  ck_assert_ptr_eq (last, streaming);
  g_clear_object (&last);
  ck_assert (hearth_thread_item_get_streaming (streaming));
  ck_assert_ptr_null (hearth_thread_item_get_message (streaming));
  ck_assert_int_eq (hearth_thread_item_get_role (streaming), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_str_eq (hearth_thread_item_get_text (streaming), "");

  g_signal_connect (streaming, "text-appended", G_CALLBACK (on_text_appended), seen);
  hearth_thread_item_append (streaming, "Once upon", 9);
  hearth_thread_item_append (streaming, " a time, and more", 7);
  ck_assert_str_eq (seen->str, "Once upon a time");
  ck_assert_str_eq (hearth_thread_item_get_text (streaming), "Once upon a time");
  /* A NUL byte from the model (a byte token can be one) reaches handlers
   * with every byte after it: the app once read past a copy cut there. */
  hearth_thread_item_append (streaming, "x\0yz", 4);
  ck_assert_uint_eq (seen->len, 20);
  ck_assert (memcmp (seen->str + 16, "x\0yz", 4) == 0);
  g_string_truncate (seen, 16);
  assert_no_change (changes, "text appended");
  g_signal_handlers_disconnect_by_data (streaming, seen);

  /* Ended: still there; stored: replaced by the stored reply, in one change. */
  hearth_thread_model_end_streaming (model);
  assert_no_change (changes, "end_streaming");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 2);
  a = add_message (store, c, u, HEARTH_MESSAGE_ROLE_ASSISTANT, "Once upon a time");
  assert_change (changes, 1, 1, 1, "the reply stored");
  last = thread_item (model, 1);
  ck_assert (!hearth_thread_item_get_streaming (last));
  ck_assert_int_eq (hearth_thread_item_get_id (last), a);
  g_clear_object (&last);

  /* Regenerating: the old reply is left out while the new one streams;
   * nothing stored, a refresh brings the old one back. */
  streaming = hearth_thread_model_begin_streaming (model, 1);
  assert_change (changes, 1, 1, 1, "begin_streaming over the last reply");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (model)), 2);
  last = thread_item (model, 1);
  ck_assert_ptr_eq (last, streaming);
  g_clear_object (&last);
  hearth_thread_model_end_streaming (model);
  assert_no_change (changes, "end_streaming");
  ck_assert (hearth_thread_model_refresh (model, &error));
  hearth_assert_no_error (error);
  assert_change (changes, 1, 1, 1, "refresh after nothing was stored");
  got = model_ids (G_LIST_MODEL (model), thread_item_id_of);
  want = store_thread_ids (store, c);
  assert_ids_equal (got, want, "after a reply that was not stored");
  g_clear_pointer (&got, g_array_unref);
  g_clear_pointer (&want, g_array_unref);

  /* At the end, nothing stored: the refresh removes it. */
  hearth_thread_model_begin_streaming (model, 2);
  assert_change (changes, 2, 0, 1, "begin_streaming after the reply");
  hearth_thread_model_end_streaming (model);
  ck_assert (hearth_thread_model_refresh (model, &error));
  assert_change (changes, 2, 1, 0, "refresh removes the streaming row");
  got = model_ids (G_LIST_MODEL (model), thread_item_id_of);
  want = store_thread_ids (store, c);
  assert_ids_equal (got, want, "after a second reply that was not stored");

  /* A refresh with nothing changed says nothing. */
  ck_assert (hearth_thread_model_refresh (model, &error));
  assert_no_change (changes, "refresh with nothing changed");

  stop_recording (model, changes);
  g_clear_object (&model);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

/* A conversation of 2,000 messages opens in one change. */
START_TEST (test_thread_model_long)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  g_autoptr(HearthStore) store = open_store_in (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthThreadModel) model = hearth_thread_model_new (store);
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GArray) want = NULL;
  g_autoptr(GArray) got = NULL;
  GArray *changes;
  Change ch;

  /* Built as an import (one transaction) rather than 2,000 commits. */
  g_string_append (json, "{\"format\": \"hearth-conversation\", \"version\": 1, \"title\": \"long\","
                         " \"created\": 1, \"updated\": 1, \"model\": null, \"system_prompt\": null,"
                         " \"pinned\": false, \"archived\": false, \"current_leaf\": 2000, \"messages\": [");
  for (guint i = 1; i <= 2000; i++)
    {
      if (i > 1)
        g_string_append_printf (json, ", {\"id\": %u, \"parent\": %u, ", i, i - 1);
      else
        g_string_append (json, "{\"id\": 1, \"parent\": null, ");
      g_string_append_printf (json, "\"role\": \"%s\", \"content\": \"message %u\", \"created\": %u}",
                              i % 2 ? "user" : "assistant", i, i);
    }
  g_string_append (json, "]}");
  conv = hearth_store_import_json (store, json->str, (gssize) json->len, &error);
  hearth_assert_no_error (error);

  changes = record_changes (model);
  ck_assert (hearth_thread_model_set_conversation (model, hearth_conversation_get_id (conv), &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (changes->len, 1);
  ch = g_array_index (changes, Change, 0);
  ck_assert_msg (ch.position == 0 && ch.removed == 0 && ch.added == 2000, "items-changed (%u, %u, %u)",
                 ch.position, ch.removed, ch.added);
  got = model_ids (G_LIST_MODEL (model), thread_item_id_of);
  want = store_thread_ids (store, hearth_conversation_get_id (conv));
  ck_assert_uint_eq (want->len, 2000);
  assert_ids_equal (got, want, "2,000 messages");
  {
    g_autoptr(HearthThreadItem) item = thread_item (model, 1999);

    ck_assert_str_eq (hearth_thread_item_get_text (item), "message 2000");
    ck_assert_int_eq (hearth_thread_item_get_role (item), HEARTH_MESSAGE_ROLE_ASSISTANT);
  }
  stop_recording (model, changes);
  g_clear_object (&model);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

/* ---- the model registry ---- */

static GPtrArray *
registry_paths (HearthModelRegistry *registry)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (registry));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(HearthModelEntry) e = g_list_model_get_item (G_LIST_MODEL (registry), i);

      g_ptr_array_add (paths, g_strdup (hearth_model_entry_get_path (e)));
    }
  return paths;
}

static void
assert_facts_equal (HearthModelEntry *e,
                    const char       *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModelInfo) want = hearth_model_info_read (path, &error);
  const HearthModelInfo *got = hearth_model_entry_get_info (e);
  g_autofree char *want_summary = NULL;
  g_autofree char *got_summary = NULL;

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (got);
  ck_assert_str_eq (hearth_model_entry_get_path (e), path);
  ck_assert_str_eq (got->name, want->name);
  ck_assert_str_eq (got->architecture, want->architecture);
  ck_assert_uint_eq (got->file_size, want->file_size);
  ck_assert_str_eq (got->quantisation, want->quantisation);
  ck_assert_uint_eq (got->context_length, want->context_length);
  ck_assert_uint_eq (got->n_params, want->n_params);
  ck_assert_int_eq (!!got->has_chat_template, !!want->has_chat_template);
  ck_assert (hearth_model_entry_get_available (e));
  want_summary = hearth_model_info_dup_summary (want);
  got_summary = hearth_model_entry_dup_summary (e);
  ck_assert_str_eq (got_summary, want_summary);
}

static char *
copy_model (const char *dir,
            const char *name)
{
  g_autofree char *src = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  char *dst = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len;

  ck_assert (g_file_get_contents (src, &data, &len, NULL));
  ck_assert (g_file_set_contents (dst, data, (gssize) len, NULL));
  return dst;
}

START_TEST (test_model_registry)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  g_autofree char *stories = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *f16 = hearth_test_data_path ("models", "stories260K", "stories260K-f16.gguf", NULL);
  g_autofree char *copy = copy_model (dir, "copy.gguf");
  g_autofree char *bad = g_build_filename (dir, "bad.gguf", NULL);
  g_autoptr(HearthStore) store = open_store_in (data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModelRegistry) registry = NULL;
  g_autoptr(HearthModelEntry) entry = NULL;
  HearthModelEntry *added; /* the registry's */
  g_autoptr(GPtrArray) paths = NULL;
  GArray *changes;
  gint64 before, used_copy, used_f16;

  registry = hearth_model_registry_new (store, &error);
  hearth_assert_no_error (error);
  ck_assert (g_list_model_get_item_type (G_LIST_MODEL (registry)) == HEARTH_TYPE_MODEL_ENTRY);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (registry)), 0);
  changes = record_changes (registry);

  /* A real GGUF: its header facts are those hearth_model_info_read gives. */
  added = hearth_model_registry_add (registry, stories, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (added);
  assert_change (changes, 0, 0, 1, "add");
  assert_facts_equal (added, stories);
  ck_assert_int_eq (hearth_model_entry_get_last_used (added), 0);
  entry = g_list_model_get_item (G_LIST_MODEL (registry), 0);
  assert_facts_equal (entry, stories);
  ck_assert_ptr_eq (hearth_model_registry_lookup (registry, stories), entry);
  g_clear_object (&entry);

  /* Not a model: an error, and nothing is added. */
  ck_assert (g_file_set_contents (bad, "not a model at all", -1, NULL));
  added = hearth_model_registry_add (registry, bad, &error);
  ck_assert_ptr_null (added);
  ck_assert (error != NULL);
  g_clear_error (&error);
  assert_no_change (changes, "add a file that is not GGUF");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (registry)), 1);
  ck_assert_ptr_null (hearth_model_registry_lookup (registry, bad));

  added = hearth_model_registry_add (registry, f16, &error);
  hearth_assert_no_error (error);
  assert_facts_equal (added, f16);
  ck_assert_str_ne (hearth_model_entry_get_info (added)->quantisation, "F32");
  g_array_set_size (changes, 0);
  added = hearth_model_registry_add (registry, copy, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (added);
  g_array_set_size (changes, 0);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (registry)), 3);

  /* Used: to the top, in one change; the most recently used first. */
  before = g_get_real_time ();
  ck_assert (hearth_model_registry_mark_used (registry, copy, &error));
  hearth_assert_no_error (error);
  paths = registry_paths (registry);
  ck_assert_str_eq (g_ptr_array_index (paths, 0), copy);
  g_clear_pointer (&paths, g_ptr_array_unref);
  g_array_set_size (changes, 0);
  g_usleep (2000);
  ck_assert (hearth_model_registry_mark_used (registry, f16, &error));
  paths = registry_paths (registry);
  ck_assert_str_eq (g_ptr_array_index (paths, 0), f16);
  ck_assert_str_eq (g_ptr_array_index (paths, 1), copy);
  ck_assert_str_eq (g_ptr_array_index (paths, 2), stories);
  g_clear_pointer (&paths, g_ptr_array_unref);
  g_array_set_size (changes, 0);
  g_usleep (2000);
  /* stories from row 2 to row 0: rows 0..2 replaced. */
  ck_assert (hearth_model_registry_mark_used (registry, stories, &error));
  hearth_assert_no_error (error);
  assert_change (changes, 0, 3, 3, "mark_used");
  paths = registry_paths (registry);
  ck_assert_str_eq (g_ptr_array_index (paths, 0), stories);
  ck_assert_str_eq (g_ptr_array_index (paths, 1), f16);
  ck_assert_str_eq (g_ptr_array_index (paths, 2), copy);
  g_clear_pointer (&paths, g_ptr_array_unref);
  entry = g_object_ref (hearth_model_registry_lookup (registry, stories));
  ck_assert_int_ge (hearth_model_entry_get_last_used (entry), before);
  ck_assert_int_le (hearth_model_entry_get_last_used (entry), g_get_real_time ());
  g_clear_object (&entry);
  /* The one on top again: nothing moves. */
  ck_assert (hearth_model_registry_mark_used (registry, stories, &error));
  ck_assert_uint_le (changes->len, 1);
  if (changes->len == 1)
    assert_change (changes, 0, 1, 1, "mark_used on top");

  /* A model not known yet: read, and in at the top, in one change. */
  {
    g_autofree char *fresh = copy_model (dir, "fresh.gguf");
    g_autoptr(HearthModelEntry) top = NULL;

    g_array_set_size (changes, 0);
    ck_assert (hearth_model_registry_mark_used (registry, fresh, &error));
    hearth_assert_no_error (error);
    assert_change (changes, 0, 0, 1, "mark_used of a new model");
    top = g_list_model_get_item (G_LIST_MODEL (registry), 0);
    ck_assert_str_eq (hearth_model_entry_get_path (top), fresh);
    ck_assert_int_gt (hearth_model_entry_get_last_used (top), 0);
    assert_facts_equal (top, fresh);
    g_array_set_size (changes, 0);
    ck_assert (hearth_model_registry_remove (registry, fresh, &error));
    hearth_assert_no_error (error);
    assert_change (changes, 0, 1, 0, "remove the new model");
  }
  used_copy = hearth_model_entry_get_last_used (hearth_model_registry_lookup (registry, copy));
  used_f16 = hearth_model_entry_get_last_used (hearth_model_registry_lookup (registry, f16));

  /* Removed: its row goes. */
  {
    g_autofree char *extra = copy_model (dir, "extra.gguf");

    added = hearth_model_registry_add (registry, extra, &error);
    hearth_assert_no_error (error);
    ck_assert_ptr_nonnull (added);
    paths = registry_paths (registry);
    g_array_set_size (changes, 0);
    for (guint i = 0; i < paths->len; i++)
      if (g_str_equal (g_ptr_array_index (paths, i), extra))
        {
          ck_assert (hearth_model_registry_remove (registry, extra, &error));
          hearth_assert_no_error (error);
          assert_change (changes, i, 1, 0, "remove");
        }
    g_clear_pointer (&paths, g_ptr_array_unref);
    ck_assert_ptr_null (hearth_model_registry_lookup (registry, extra));
    ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (registry)), 3);
  }
  stop_recording (registry, changes);
  g_clear_object (&registry);
  g_clear_object (&store);

  /* Kept in the store: the same entries, order and facts after reopening;
   * a file that has gone stays, and says so. */
  ck_assert_int_eq (g_unlink (copy), 0);
  store = open_store_in (data_dir);
  registry = hearth_model_registry_new (store, &error);
  hearth_assert_no_error (error);
  paths = registry_paths (registry);
  ck_assert_uint_eq (paths->len, 3);
  ck_assert_str_eq (g_ptr_array_index (paths, 0), stories);
  ck_assert_str_eq (g_ptr_array_index (paths, 1), f16);
  ck_assert_str_eq (g_ptr_array_index (paths, 2), copy);
  assert_facts_equal (hearth_model_registry_lookup (registry, stories), stories);
  assert_facts_equal (hearth_model_registry_lookup (registry, f16), f16);
  ck_assert_int_eq (hearth_model_entry_get_last_used (hearth_model_registry_lookup (registry, f16)), used_f16);
  entry = g_object_ref (hearth_model_registry_lookup (registry, copy));
  ck_assert (!hearth_model_entry_get_available (entry));
  ck_assert_int_eq (hearth_model_entry_get_last_used (entry), used_copy);
  /* The facts read when it was added stay with it. */
  ck_assert_uint_eq (hearth_model_entry_get_info (entry)->n_params, 292800);
  {
    g_autofree char *summary = hearth_model_entry_dup_summary (entry);
    g_autoptr(HearthModelInfo) info = hearth_model_info_read (stories, NULL);
    g_autofree char *present = hearth_model_info_dup_summary (info);

    ck_assert_ptr_nonnull (summary);
    ck_assert_str_ne (summary, present);
  }
  g_clear_object (&entry);
  g_clear_object (&registry);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

/* ---- the runtime ---- */

#define PROMPT "Once upon a time"
#define SYSTEM_PROMPT "Tell a story."
#define MAX_TOKENS 24

/* The reference: the engine's own chat API on a model loaded apart, given
 * the same requests as the runtime's engine thread (the whole conversation
 * each time, so the cache holds the same tokens), greedy. */
typedef struct
{
  HearthModel   *model;
  HearthSession *session;
  HearthChat    *chat;
  guint32        n_past;   /* after the last reply */
  guint32        n_prompt; /* the last reply's prompt tokens */
} Reference;

static Reference *
reference_new (const char *path)
{
  Reference *r = g_new0 (Reference, 1);
  g_autoptr(GError) error = NULL;
  HearthModelParams mp;
  HearthSessionParams sp;

  hearth_model_params_init (&mp);
  mp.backend = HEARTH_BACKEND_CPU;
  mp.n_threads = 1;
  r->model = hearth_model_load (path, &mp, &error);
  hearth_assert_no_error (error);
  hearth_session_params_init (&sp);
  r->session = hearth_session_new (r->model, &sp, &error);
  hearth_assert_no_error (error);
  r->chat = hearth_chat_new (r->session, &error);
  hearth_assert_no_error (error);
  return r;
}

static void
reference_free (Reference *r)
{
  hearth_chat_free (r->chat);
  hearth_session_free (r->session);
  hearth_model_unref (r->model);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reference, reference_free)

/* The reply to @turns (user, assistant, user, ...; NULL-terminated). */
static char *
reference_reply (Reference         *r,
                 const char        *system_prompt,
                 guint32            max_tokens,
                 const char *const *turns)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  HearthSamplerParams sp;
  HearthChatParams cp;
  HearthChatReply reply = { 0 };
  char *text;

  hearth_chat_truncate (r->chat, 0);
  hearth_chat_set_system_prompt (r->chat, system_prompt != NULL && system_prompt[0] ? system_prompt : NULL);
  for (guint i = 0; turns[i] != NULL; i++)
    hearth_chat_add_message (r->chat, i % 2 == 0 ? HEARTH_CHAT_ROLE_USER : HEARTH_CHAT_ROLE_ASSISTANT, turns[i]);
  hearth_sampler_params_init (&sp);
  sp.temperature = 0.0f;
  sampler = hearth_sampler_new (&sp);
  hearth_chat_params_init (&cp);
  cp.max_tokens = max_tokens;
  ck_assert (hearth_chat_respond (r->chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  hearth_assert_no_error (error);
  ck_assert_uint_gt (reply.gen.n_generated, 1);
  text = g_strdup (reply.text);
  r->n_prompt = reply.n_prompt_tokens;
  hearth_chat_reply_clear (&reply);
  r->n_past = hearth_session_get_n_past (r->session);
  ck_assert_uint_gt (strlen (text), 0);
  return text;
}

static char *
reference_first_reply (const char *path,
                       guint32     max_tokens)
{
  g_autoptr(Reference) r = reference_new (path);
  const char *turns[] = { PROMPT, NULL };

  return reference_reply (r, SYSTEM_PROMPT, max_tokens, turns);
}

typedef struct
{
  char          *dir;
  HearthStore   *store;
  HearthRuntime *rt;
  char          *model_path;

  /* The reply streaming now, as the thread model shows it. */
  HearthThreadItem *streaming;
  guint             streaming_position;
  guint             streaming_n_items;  /* the model's length when it came */
  guint             n_streaming_items;
  GString          *streamed;           /* its text-appended pieces */

  /* reply-finished, and what the store said at that moment and when :busy turned FALSE */
  guint   n_finished;
  gint64  finished_conversation;
  gint64  finished_message;
  gint64  stored_leaf_at_finish;
  gint64  stored_leaf_at_idle;

  GPtrArray *errors;                    /* the error signal's messages */
  GString   *busy_seq;                  /* one 'T' or 'F' per notify */
  GString   *loading_seq;
  GString   *loaded_seq;

  gboolean load_done;
  gboolean load_ok;
  GError  *load_error;
  gboolean loaded_at_callback;
  gboolean loading_at_callback;
} Rt;

static gint64
stored_leaf (Rt    *t,
             gint64 conversation_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;

  if (conversation_id == 0)
    return 0;
  thread = hearth_store_get_thread (t->store, conversation_id, 0, &error);
  hearth_assert_no_error (error);
  return thread->len > 0 ? hearth_message_get_id (g_ptr_array_index (thread, thread->len - 1)) : 0;
}

static void
rt_on_text_appended (HearthThreadItem *item,
                     const char       *text,
                     guint64           len,
                     gpointer          user_data)
{
  Rt *t = user_data;

  g_string_append_len (t->streamed, text, (gssize) len);
}

static void
rt_forget_streaming (Rt *t)
{
  if (t->streaming != NULL)
    {
      g_signal_handlers_disconnect_by_data (t->streaming, t);
      g_clear_object (&t->streaming);
    }
}

static void
rt_on_thread_changed (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      gpointer    user_data)
{
  Rt *t = user_data;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (model, i);

      if (item != NULL && hearth_thread_item_get_streaming (item) && item != t->streaming)
        {
          rt_forget_streaming (t);
          t->streaming = g_object_ref (item);
          t->streaming_position = i;
          t->streaming_n_items = g_list_model_get_n_items (model);
          t->n_streaming_items++;
          g_string_assign (t->streamed, hearth_thread_item_get_text (item));
          g_signal_connect (item, "text-appended", G_CALLBACK (rt_on_text_appended), t);
        }
    }
}

static void
rt_on_reply_finished (HearthRuntime *rt,
                      gint64         conversation_id,
                      gint64         message_id,
                      gpointer       user_data)
{
  Rt *t = user_data;

  t->n_finished++;
  t->finished_conversation = conversation_id;
  t->finished_message = message_id;
  t->stored_leaf_at_finish = stored_leaf (t, conversation_id);
}

static void
rt_on_error (HearthRuntime *rt,
             const char    *message,
             gpointer       user_data)
{
  Rt *t = user_data;

  g_ptr_array_add (t->errors, g_strdup (message));
}

static void
rt_on_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  Rt *t = user_data;
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "busy"))
    {
      gboolean busy = hearth_runtime_get_busy (t->rt);

      g_string_append_c (t->busy_seq, busy ? 'T' : 'F');
      if (!busy)
        {
          t->stored_leaf_at_idle = stored_leaf (t, hearth_runtime_get_conversation_id (t->rt));
        }
    }
  else if (g_str_equal (name, "loading"))
    g_string_append_c (t->loading_seq, hearth_runtime_get_loading (t->rt) ? 'T' : 'F');
  else if (g_str_equal (name, "model-loaded"))
    g_string_append_c (t->loaded_seq, hearth_runtime_get_model_loaded (t->rt) ? 'T' : 'F');
}

static Rt *
rt_new (void)
{
  Rt *t = g_new0 (Rt, 1);
  HearthSamplerParams sp;

  t->dir = g_dir_make_tmp ("hearth-rt-XXXXXX", NULL);
  t->store = open_store_in (t->dir);
  t->rt = hearth_runtime_new (t->store);
  ck_assert_ptr_nonnull (t->rt);
  ck_assert_ptr_eq (hearth_runtime_get_store (t->rt), t->store);
  t->model_path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  t->streamed = g_string_new (NULL);
  t->errors = g_ptr_array_new_with_free_func (g_free);
  t->busy_seq = g_string_new (NULL);
  t->loading_seq = g_string_new (NULL);
  t->loaded_seq = g_string_new (NULL);
  g_signal_connect (hearth_runtime_get_thread (t->rt), "items-changed", G_CALLBACK (rt_on_thread_changed), t);
  g_signal_connect (t->rt, "reply-finished", G_CALLBACK (rt_on_reply_finished), t);
  g_signal_connect (t->rt, "error", G_CALLBACK (rt_on_error), t);
  g_signal_connect (t->rt, "notify::busy", G_CALLBACK (rt_on_notify), t);
  g_signal_connect (t->rt, "notify::loading", G_CALLBACK (rt_on_notify), t);
  g_signal_connect (t->rt, "notify::model-loaded", G_CALLBACK (rt_on_notify), t);

  /* Greedy: the runtime's replies are the reference's. */
  hearth_sampler_params_init (&sp);
  sp.temperature = 0.0f;
  hearth_runtime_set_sampler_params (t->rt, &sp);
  hearth_runtime_set_max_tokens (t->rt, MAX_TOKENS);
  return t;
}

/* As a front end closes: the engine thread let go while the main loop
 * runs, then the last references. */
static void
rt_free (Rt *t)
{
  rt_forget_streaming (t);
  hearth_runtime_shutdown (t->rt);
  drain_main_context ();
  g_signal_handlers_disconnect_by_data (hearth_runtime_get_thread (t->rt), t);
  g_signal_handlers_disconnect_by_data (t->rt, t);
  g_object_unref (t->rt);
  drain_main_context ();
  g_object_unref (t->store);
  hearth_test_rm_rf (t->dir);
  g_free (t->dir);
  g_free (t->model_path);
  g_string_free (t->streamed, TRUE);
  g_ptr_array_unref (t->errors);
  g_string_free (t->busy_seq, TRUE);
  g_string_free (t->loading_seq, TRUE);
  g_string_free (t->loaded_seq, TRUE);
  g_clear_error (&t->load_error);
  g_free (t);
  /* Without forks (CK_FORK=no under a debugger or valgrind) the next test
   * runs in this process: no slowed stream or fault hook for it. */
  g_unsetenv ("HEARTH_DEBUG_TOKEN_DELAY_MS");
  g_unsetenv ("HEARTH_VK_FAULT");
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Rt, rt_free)

static void
rt_on_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Rt *t = user_data;

  g_clear_error (&t->load_error);
  t->load_ok = hearth_runtime_load_model_finish (HEARTH_RUNTIME (source), result, &t->load_error);
  t->loaded_at_callback = hearth_runtime_get_model_loaded (t->rt);
  t->loading_at_callback = hearth_runtime_get_loading (t->rt);
  t->load_done = TRUE;
}

static void
rt_start_load (Rt               *t,
               const char       *path,
               HearthBackendKind backend)
{
  HearthWorkerLoadParams lp = { backend, 0, 1, -1 };

  t->load_done = FALSE;
  hearth_runtime_load_model (t->rt, path, &lp, NULL, rt_on_loaded, t);
}

static void
rt_load (Rt               *t,
         HearthBackendKind backend)
{
  rt_start_load (t, t->model_path, backend);
  WAIT_UNTIL (t->load_done, 60);
  hearth_assert_no_error (t->load_error);
  ck_assert (t->load_ok);
  ck_assert (hearth_runtime_get_model_loaded (t->rt));
  ck_assert (!hearth_runtime_get_loading (t->rt));
}

/* Before a reply: forget the last one's record. */
static void
rt_expect_reply (Rt *t)
{
  rt_forget_streaming (t);
  g_string_truncate (t->streamed, 0);
  t->n_streaming_items = 0;
  t->n_finished = 0;
  t->finished_message = 0;
  t->finished_conversation = 0;
  t->stored_leaf_at_finish = -1;
  t->stored_leaf_at_idle = -1;
}

static void
rt_wait_reply (Rt *t)
{
  WAIT_UNTIL (t->n_finished > 0 && !hearth_runtime_get_busy (t->rt), 60);
  ck_assert_uint_eq (t->n_finished, 1);
}

static void
rt_send (Rt         *t,
         const char *text)
{
  g_autoptr(GError) error = NULL;

  rt_expect_reply (t);
  ck_assert (hearth_runtime_send (t->rt, text, &error));
  hearth_assert_no_error (error);
}

/* The stored branch of the conversation on show, system messages left out. */
static GPtrArray *
rt_stored_thread (Rt *t)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) thread = hearth_store_get_thread (t->store, hearth_runtime_get_conversation_id (t->rt),
                                                         0, &error);

  hearth_assert_no_error (error);
  for (guint i = 0; i < thread->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (thread, i);

      if (hearth_message_get_role (m) != HEARTH_MESSAGE_ROLE_SYSTEM)
        g_ptr_array_add (out, g_object_ref (m));
    }
  return out;
}

static HearthMessage *
rt_stored_last (Rt *t)
{
  g_autoptr(GPtrArray) thread = rt_stored_thread (t);

  ck_assert_uint_gt (thread->len, 0);
  return g_object_ref (g_ptr_array_index (thread, thread->len - 1));
}

/* The runtime's thread model holds the store's branch, item by item. */
static void
rt_assert_thread_is_stored (Rt         *t,
                            const char *what)
{
  g_autoptr(GArray) got = model_ids (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), thread_item_id_of);
  g_autoptr(GArray) want = store_thread_ids (t->store, hearth_runtime_get_conversation_id (t->rt));

  assert_ids_equal (got, want, what);
}

static HearthThreadItem *
rt_last_item (Rt *t)
{
  GListModel *model = G_LIST_MODEL (hearth_runtime_get_thread (t->rt));
  guint n = g_list_model_get_n_items (model);

  ck_assert_uint_gt (n, 0);
  return g_list_model_get_item (model, n - 1);
}

/* A reply that ran to its end: streamed, then stored before :busy turned
 * FALSE and before reply-finished, which names it. */
static HearthMessage *
rt_assert_reply_stored (Rt *t)
{
  g_autoptr(HearthMessage) last = rt_stored_last (t);
  g_autoptr(HearthThreadItem) item = rt_last_item (t);
  gint64 id = hearth_message_get_id (last);

  ck_assert_int_eq (hearth_message_get_role (last), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_int_eq (t->finished_message, id);
  ck_assert_int_eq (t->finished_conversation, hearth_runtime_get_conversation_id (t->rt));
  ck_assert_int_eq (t->stored_leaf_at_finish, id);
  ck_assert_int_eq (t->stored_leaf_at_idle, id);
  /* The streaming row came once, as the last row, and what it streamed
   * is what was stored; the stored message replaced it. */
  ck_assert_uint_eq (t->n_streaming_items, 1);
  ck_assert_uint_eq (t->streaming_position, t->streaming_n_items - 1);
  ck_assert_str_eq (t->streamed->str, hearth_message_get_content (last));
  ck_assert_str_eq (hearth_thread_item_get_text (t->streaming), t->streamed->str);
  ck_assert (!hearth_thread_item_get_streaming (item));
  ck_assert_int_eq (hearth_thread_item_get_id (item), id);
  ck_assert_ptr_nonnull (hearth_thread_item_get_message (item));
  ck_assert_str_eq (hearth_thread_item_get_text (item), hearth_message_get_content (last));
  rt_assert_thread_is_stored (t, "after a reply");
  return g_steal_pointer (&last);
}

/* send: stored at once, busy TRUE then FALSE, the streamed text is the
 * stored reply and the engine's greedy reply to the same chat. */
START_TEST (test_runtime_send)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *system_prompt = NULL;
  g_autofree char *title = hearth_thread_dup_title_for (PROMPT);
  g_autoptr(HearthMessage) reply = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  HearthModelEntry *entry;
  gint64 cid;

  reference = reference_first_reply (t->model_path, MAX_TOKENS);
  {
    g_autoptr(Reference) r = reference_new (t->model_path);
    const char *turns[] = { PROMPT, NULL };
    g_autofree char *again = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns);

    ck_assert_uint_gt (r->n_past, 0);
    ck_assert_str_eq (again, reference);
  }

  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), 0);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  hearth_assert_no_error (error);
  system_prompt = hearth_runtime_dup_system_prompt (t->rt);
  ck_assert_str_eq (system_prompt, SYSTEM_PROMPT);
  ck_assert (hearth_runtime_get_tokens_per_second (t->rt) == 0.0);

  rt_load (t, HEARTH_BACKEND_CPU);
  ck_assert_str_eq (hearth_runtime_get_model_path (t->rt), t->model_path);
  ck_assert (g_str_has_prefix (hearth_runtime_get_backend (t->rt), "CPU"));
  ck_assert_uint_eq (hearth_runtime_get_context_size (t->rt), 128);
  ck_assert_ptr_null (hearth_runtime_get_device_lost (t->rt));
  /* A model that loaded is noted as used now. */
  entry = hearth_model_registry_lookup (hearth_runtime_get_models (t->rt), t->model_path);
  ck_assert_ptr_nonnull (entry);
  ck_assert_int_gt (hearth_model_entry_get_last_used (entry), 0);
  {
    g_autoptr(HearthModelEntry) top = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_models (t->rt)), 0);

    ck_assert_ptr_eq (top, entry);
  }

  g_string_truncate (t->busy_seq, 0);
  rt_send (t, PROMPT);
  /* Stored at once: a new conversation titled after it, holding the message. */
  cid = hearth_runtime_get_conversation_id (t->rt);
  ck_assert_int_gt (cid, 0);
  ck_assert (hearth_runtime_get_busy (t->rt));
  ck_assert_str_eq (t->busy_seq->str, "T");
  conv = hearth_store_get_conversation (t->store, cid, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_conversation_get_title (conv), title);
  ck_assert_str_eq (hearth_conversation_get_system_prompt (conv), SYSTEM_PROMPT);
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 1);
  ck_assert_int_eq (hearth_message_get_role (g_ptr_array_index (stored, 0)), HEARTH_MESSAGE_ROLE_USER);
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (stored, 0)), PROMPT);
  ck_assert_int_eq (hearth_conversation_list_find (hearth_runtime_get_conversations (t->rt), cid), 0);
  {
    g_autoptr(HearthThreadItem) first = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), 0);

    ck_assert_ptr_nonnull (first);
    ck_assert_int_eq (hearth_thread_item_get_id (first), hearth_message_get_id (g_ptr_array_index (stored, 0)));
  }

  rt_wait_reply (t);
  ck_assert_str_eq (t->busy_seq->str, "TF");
  reply = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (reply), reference);
  ck_assert_int_eq (hearth_message_get_parent_id (reply), hearth_message_get_id (g_ptr_array_index (stored, 0)));
  ck_assert (!hearth_thread_settings_say_stopped (hearth_message_get_settings_json (reply)));
  g_clear_pointer (&stored, g_ptr_array_unref);
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 2);

  ck_assert (hearth_runtime_get_tokens_per_second (t->rt) > 0.0);
  ck_assert_uint_gt (hearth_runtime_get_context_used (t->rt), 0);
  ck_assert_uint_le (hearth_runtime_get_context_used (t->rt), hearth_runtime_get_context_size (t->rt));
  ck_assert_msg (t->errors->len == 0, "error signal: %s", t->errors->len ? (char *) t->errors->pdata[0] : "");
}
END_TEST

/* The reply is in the store as it completes: reply-finished and :busy
 * FALSE find it there, and a second turn builds on it. */
START_TEST (test_runtime_stored_on_completion)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(Reference) r = NULL;
  g_autoptr(HearthMessage) first = NULL;
  g_autoptr(HearthMessage) second = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autofree char *want1 = NULL;
  g_autofree char *want2 = NULL;

  r = reference_new (t->model_path);
  {
    const char *turns[] = { PROMPT, NULL };

    want1 = reference_reply (r, SYSTEM_PROMPT, 12, turns);
  }
  {
    const char *turns[] = { PROMPT, want1, "The end", NULL };

    want2 = reference_reply (r, SYSTEM_PROMPT, 12, turns);
  }

  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  hearth_runtime_set_max_tokens (t->rt, 12);
  rt_load (t, HEARTH_BACKEND_CPU);
  rt_send (t, PROMPT);
  rt_wait_reply (t);
  first = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (first), want1);

  rt_send (t, "The end");
  rt_wait_reply (t);
  second = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (second), want2);
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 4);
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (stored, 1)), hearth_message_get_id (first));
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (stored, 2)), "The end");
  ck_assert_uint_eq (hearth_runtime_get_context_used (t->rt), r->n_past);
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

/* Stopped mid-way (a slowed stream): what it had said is stored, marked
 * as stopped, and is the start of the full greedy reply. */
START_TEST (test_runtime_stop)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  g_autoptr(HearthMessage) partial = NULL;
  g_autoptr(HearthThreadItem) item = NULL;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "30", TRUE);
  t = rt_new ();
  reference = reference_first_reply (t->model_path, MAX_TOKENS);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);

  /* Idle, stop does nothing. */
  hearth_runtime_stop (t->rt);
  ck_assert (!hearth_runtime_get_busy (t->rt));

  rt_send (t, PROMPT);
  WAIT_UNTIL (t->streamed->len > 0, 30);
  ck_assert (hearth_runtime_get_busy (t->rt));
  hearth_runtime_stop (t->rt);
  rt_wait_reply (t);

  partial = rt_stored_last (t);
  ck_assert_int_eq (hearth_message_get_role (partial), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_int_eq (t->finished_message, hearth_message_get_id (partial));
  ck_assert_int_eq (t->stored_leaf_at_finish, hearth_message_get_id (partial));
  ck_assert_int_eq (t->stored_leaf_at_idle, hearth_message_get_id (partial));
  ck_assert_uint_gt (strlen (hearth_message_get_content (partial)), 0);
  ck_assert_msg (g_str_has_prefix (reference, hearth_message_get_content (partial)) &&
                 strlen (hearth_message_get_content (partial)) < strlen (reference),
                 "stopped: \"%s\", the full reply: \"%s\"", hearth_message_get_content (partial), reference);
  /* What streamed before the stop is where the stored reply begins. */
  ck_assert (g_str_has_prefix (hearth_message_get_content (partial), t->streamed->str));
  ck_assert (hearth_thread_settings_say_stopped (hearth_message_get_settings_json (partial)));
  ck_assert (!hearth_thread_settings_say_device_lost (hearth_message_get_settings_json (partial)));

  item = rt_last_item (t);
  ck_assert_int_eq (hearth_thread_item_get_id (item), hearth_message_get_id (partial));
  ck_assert (!hearth_thread_item_get_streaming (item));
  ck_assert (hearth_thread_item_get_stopped (item));
  ck_assert (!hearth_thread_item_get_device_lost (item));
  rt_assert_thread_is_stored (t, "after a stop");
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

/* Regenerate: a sibling of the last reply; the old one stays. */
START_TEST (test_runtime_regenerate)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(Reference) r = NULL;
  g_autofree char *want1 = NULL;
  g_autofree char *want2 = NULL;
  g_autoptr(HearthMessage) old = NULL;
  g_autoptr(HearthMessage) fresh = NULL;
  g_autoptr(HearthMessage) kept = NULL;
  g_autoptr(HearthThreadItem) item = NULL;
  g_autoptr(GPtrArray) children = NULL;
  const char *turns[] = { PROMPT, NULL };
  gint64 cid;

  r = reference_new (t->model_path);
  want1 = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns);
  want2 = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns);

  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);
  rt_send (t, PROMPT);
  rt_wait_reply (t);
  old = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (old), want1);
  cid = hearth_runtime_get_conversation_id (t->rt);

  rt_expect_reply (t);
  ck_assert (hearth_runtime_regenerate (t->rt, &error));
  hearth_assert_no_error (error);
  ck_assert (hearth_runtime_get_busy (t->rt));
  rt_wait_reply (t);
  fresh = rt_assert_reply_stored (t);
  ck_assert_int_ne (hearth_message_get_id (fresh), hearth_message_get_id (old));
  ck_assert_int_eq (hearth_message_get_parent_id (fresh), hearth_message_get_parent_id (old));
  ck_assert_str_eq (hearth_message_get_content (fresh), want2);
  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), cid);

  kept = hearth_store_get_message (t->store, hearth_message_get_id (old), &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_message_get_content (kept), want1);
  children = hearth_store_get_children (t->store, cid, hearth_message_get_parent_id (old), &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (children->len, 2);
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (children, 0)), hearth_message_get_id (old));
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (children, 1)), hearth_message_get_id (fresh));

  item = rt_last_item (t);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt))), 2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->n_siblings, 2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->sibling_index, 1);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->prev_sibling_id, hearth_message_get_id (old));
  ck_assert_int_eq (hearth_thread_item_get_place (item)->next_sibling_id, 0);
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

/* Edit: a sibling of the user's message and a reply to it; switching
 * back shows the first branch as it was. */
START_TEST (test_runtime_edit_branch)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(Reference) r = NULL;
  g_autofree char *want1 = NULL;
  g_autofree char *want2 = NULL;
  g_autoptr(HearthMessage) a1 = NULL;
  g_autoptr(HearthMessage) a2 = NULL;
  g_autoptr(HearthThreadItem) item = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  const char *turns1[] = { PROMPT, NULL };
  const char *turns2[] = { "The little dog", NULL };
  gint64 u1, u2, cid;

  r = reference_new (t->model_path);
  want1 = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns1);
  want2 = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns2);

  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);
  rt_send (t, PROMPT);
  rt_wait_reply (t);
  a1 = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (a1), want1);
  u1 = hearth_message_get_parent_id (a1);
  cid = hearth_runtime_get_conversation_id (t->rt);

  rt_expect_reply (t);
  ck_assert (hearth_runtime_edit (t->rt, u1, "The little dog", &error));
  hearth_assert_no_error (error);
  /* The new version is stored at once, on a branch of its own. */
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 1);
  u2 = hearth_message_get_id (g_ptr_array_index (stored, 0));
  ck_assert_int_ne (u2, u1);
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (stored, 0)), "The little dog");
  ck_assert_int_eq (hearth_message_get_parent_id (g_ptr_array_index (stored, 0)), 0);
  rt_wait_reply (t);
  a2 = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (a2), want2);
  ck_assert_int_eq (hearth_message_get_parent_id (a2), u2);
  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), cid);
  item = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), 0);
  ck_assert_int_eq (hearth_thread_item_get_id (item), u2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->n_siblings, 2);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->sibling_index, 1);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->prev_sibling_id, u1);
  g_clear_object (&item);

  /* Back to the first version: its reply with it. */
  ck_assert (hearth_runtime_switch_branch (t->rt, u1, &error));
  hearth_assert_no_error (error);
  rt_assert_thread_is_stored (t, "switch_branch");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt))), 2);
  item = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), 0);
  ck_assert_int_eq (hearth_thread_item_get_id (item), u1);
  ck_assert_uint_eq (hearth_thread_item_get_place (item)->sibling_index, 0);
  ck_assert_int_eq (hearth_thread_item_get_place (item)->next_sibling_id, u2);
  g_clear_object (&item);
  item = rt_last_item (t);
  ck_assert_int_eq (hearth_thread_item_get_id (item), hearth_message_get_id (a1));
  ck_assert_str_eq (hearth_thread_item_get_text (item), want1);
  g_clear_object (&item);

  /* And forth again. */
  ck_assert (hearth_runtime_switch_branch (t->rt, u2, &error));
  hearth_assert_no_error (error);
  rt_assert_thread_is_stored (t, "switch_branch back");
  item = rt_last_item (t);
  ck_assert_int_eq (hearth_thread_item_get_id (item), hearth_message_get_id (a2));
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

/* What fails fails at the call, and stores nothing. */
START_TEST (test_runtime_errors)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = NULL;
  g_autoptr(GPtrArray) stored = NULL;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "30", TRUE);
  t = rt_new ();
  bad = g_build_filename (t->dir, "bad.gguf", NULL);

  /* No model. */
  ck_assert (!hearth_runtime_get_model_loaded (t->rt));
  ck_assert (!hearth_runtime_send (t->rt, PROMPT, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), 0);
  ck_assert_int_eq (hearth_store_count_conversations (t->store, HEARTH_STORE_LIST_ALL, &error), 0);
  ck_assert (!hearth_runtime_get_busy (t->rt));
  ck_assert (!hearth_runtime_regenerate (t->rt, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert_uint_eq (t->busy_seq->len, 0);

  /* Not a model: the load's finish says so, and nothing is loaded. */
  ck_assert (g_file_set_contents (bad, "GGUF\x03\0\0\0 truncated", 17, NULL));
  rt_start_load (t, bad, HEARTH_BACKEND_CPU);
  WAIT_UNTIL (t->load_done, 30);
  ck_assert (!t->load_ok);
  ck_assert (t->load_error != NULL);
  ck_assert (!hearth_runtime_get_model_loaded (t->rt));
  ck_assert (!hearth_runtime_get_loading (t->rt));
  ck_assert (!t->loaded_at_callback);
  ck_assert (!t->loading_at_callback);
  ck_assert_ptr_null (hearth_runtime_get_model_path (t->rt));
  ck_assert_ptr_null (hearth_model_registry_lookup (hearth_runtime_get_models (t->rt), bad));
  ck_assert (strchr (t->loaded_seq->str, 'T') == NULL);
  ck_assert (!hearth_runtime_send (t->rt, PROMPT, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);

  /* Empty text. */
  rt_load (t, HEARTH_BACKEND_CPU);
  ck_assert (!hearth_runtime_send (t->rt, "", &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert_int_eq (hearth_store_count_conversations (t->store, HEARTH_STORE_LIST_ALL, &error), 0);
  ck_assert (!hearth_runtime_get_busy (t->rt));

  /* Busy: the second message is refused, not stored. */
  rt_send (t, PROMPT);
  ck_assert (hearth_runtime_get_busy (t->rt));
  ck_assert (!hearth_runtime_send (t->rt, "and then", &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 1);
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (stored, 0)), PROMPT);
  ck_assert_int_eq (hearth_store_count_conversations (t->store, HEARTH_STORE_LIST_ALL, &error), 1);
  WAIT_UNTIL (t->streamed->len > 0, 30);
  hearth_runtime_stop (t->rt);
  rt_wait_reply (t);
  g_clear_pointer (&stored, g_ptr_array_unref);
  stored = rt_stored_thread (t);
  ck_assert_uint_eq (stored->len, 2);
  ck_assert_int_eq (hearth_message_get_role (g_ptr_array_index (stored, 1)), HEARTH_MESSAGE_ROLE_ASSISTANT);

  /* A conversation that is not there. */
  ck_assert (!hearth_runtime_set_conversation_id (t->rt, 999999, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);

  /* Editing is for the user's messages of the conversation on show: a
   * reply, or a message elsewhere, is refused and nothing is stored. */
  {
    HearthMessage *reply = g_ptr_array_index (stored, 1);
    g_autoptr(HearthConversation) other = hearth_store_create_conversation (t->store, "other", NULL, NULL, &error);
    g_autoptr(HearthMessage) elsewhere = NULL;
    g_autoptr(GPtrArray) siblings = NULL;
    g_autoptr(GPtrArray) other_siblings = NULL;

    hearth_assert_no_error (error);
    elsewhere = hearth_store_append_message (t->store, hearth_conversation_get_id (other), 0,
                                             HEARTH_MESSAGE_ROLE_USER, "elsewhere", NULL, &error);
    hearth_assert_no_error (error);
    ck_assert (!hearth_runtime_edit (t->rt, hearth_message_get_id (reply), "a new reply", &error));
    ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    g_clear_error (&error);
    ck_assert (!hearth_runtime_edit (t->rt, hearth_message_get_id (elsewhere), "moved", &error));
    ck_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
    g_clear_error (&error);
    ck_assert (!hearth_runtime_get_busy (t->rt));
    siblings = hearth_store_get_children (t->store, hearth_message_get_conversation_id (reply),
                                          hearth_message_get_parent_id (reply), &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (siblings->len, 1);
    other_siblings = hearth_store_get_children (t->store, hearth_conversation_get_id (other), 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (other_siblings->len, 1);
  }
}
END_TEST

/* Notifications: loading TRUE then FALSE and model-loaded TRUE across a
 * load, busy TRUE then FALSE across a reply, nothing else. */
START_TEST (test_runtime_notify)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;

  ck_assert (!hearth_runtime_get_model_loaded (t->rt));
  ck_assert (!hearth_runtime_get_loading (t->rt));
  ck_assert (!hearth_runtime_get_busy (t->rt));
  ck_assert_ptr_null (hearth_runtime_get_model_path (t->rt));

  rt_start_load (t, t->model_path, HEARTH_BACKEND_CPU);
  ck_assert (hearth_runtime_get_loading (t->rt));
  ck_assert_str_eq (t->loading_seq->str, "T");
  ck_assert_str_eq (hearth_runtime_get_model_path (t->rt), t->model_path);
  WAIT_UNTIL (t->load_done, 30);
  hearth_assert_no_error (t->load_error);
  ck_assert (t->loaded_at_callback);
  ck_assert (!t->loading_at_callback);
  ck_assert_str_eq (t->loading_seq->str, "TF");
  ck_assert_str_eq (t->loaded_seq->str, "T");
  ck_assert_str_eq (t->busy_seq->str, "");

  rt_send (t, PROMPT);
  rt_wait_reply (t);
  drain_main_context ();
  ck_assert_str_eq (t->busy_seq->str, "TF");
  ck_assert_str_eq (t->loading_seq->str, "TF");
  ck_assert_str_eq (t->loaded_seq->str, "T");

  /* Unloaded: model-loaded FALSE, once. */
  hearth_runtime_unload_model (t->rt);
  drain_main_context ();
  ck_assert (!hearth_runtime_get_model_loaded (t->rt));
  ck_assert_str_eq (t->loaded_seq->str, "TF");
  ck_assert_ptr_null (hearth_runtime_get_model_path (t->rt));
  ck_assert (!hearth_runtime_send (t->rt, "more", &error));
  ck_assert (error != NULL);
}
END_TEST

/* Conversations through the runtime: shown, renamed, pinned, deleted with
 * undo; the list model and the store agree throughout. */
START_TEST (test_runtime_conversations)
{
  g_autoptr(Rt) t = rt_new ();
  g_autoptr(GError) error = NULL;
  HearthConversationList *list = hearth_runtime_get_conversations (t->rt);
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(GArray) got = NULL;
  g_autoptr(GArray) want = NULL;
  g_autofree char *system_prompt = NULL;
  gint64 c1, c2, m1;

  c1 = new_conversation (t->store, "one");
  m1 = add_message (t->store, c1, 0, HEARTH_MESSAGE_ROLE_USER, "hello");
  add_message (t->store, c1, m1, HEARTH_MESSAGE_ROLE_ASSISTANT, "hi");
  c2 = new_conversation (t->store, "two");
  ck_assert (hearth_store_set_conversation_model (t->store, c2, NULL, "Be kind.", &error));
  hearth_assert_no_error (error);

  got = model_ids (G_LIST_MODEL (list), conversation_id_of);
  want = store_conversation_ids (t->store, NULL);
  assert_ids_equal (got, want, "runtime conversations");
  ck_assert_uint_eq (got->len, 2);
  g_clear_pointer (&got, g_array_unref);
  g_clear_pointer (&want, g_array_unref);

  ck_assert (hearth_runtime_set_conversation_id (t->rt, c1, &error));
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), c1);
  rt_assert_thread_is_stored (t, "set_conversation_id");
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt))), 2);
  ck_assert (hearth_runtime_set_conversation_id (t->rt, c2, &error));
  system_prompt = hearth_runtime_dup_system_prompt (t->rt);
  ck_assert_str_eq (system_prompt, "Be kind.");
  ck_assert (hearth_runtime_set_system_prompt (t->rt, "Be brief.", &error));
  hearth_assert_no_error (error);
  conv = hearth_store_get_conversation (t->store, c2, &error);
  ck_assert_str_eq (hearth_conversation_get_system_prompt (conv), "Be brief.");
  g_clear_object (&conv);
  ck_assert (hearth_runtime_set_conversation_id (t->rt, 0, &error));
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt))), 0);

  ck_assert (hearth_runtime_rename_conversation (t->rt, c1, "renamed", &error));
  hearth_assert_no_error (error);
  conv = hearth_store_get_conversation (t->store, c1, &error);
  ck_assert_str_eq (hearth_conversation_get_title (conv), "renamed");
  g_clear_object (&conv);

  ck_assert (hearth_runtime_toggle_pinned (t->rt, c1, &error));
  conv = hearth_store_get_conversation (t->store, c1, &error);
  ck_assert (hearth_conversation_get_pinned (conv));
  g_clear_object (&conv);
  ck_assert_int_eq (hearth_conversation_list_find (list, c1), 0);
  ck_assert (hearth_runtime_toggle_pinned (t->rt, c1, &error));
  conv = hearth_store_get_conversation (t->store, c1, &error);
  ck_assert (!hearth_conversation_get_pinned (conv));
  g_clear_object (&conv);

  /* Deleted with undo: gone from the list, kept in the store. */
  hearth_runtime_hide_conversation (t->rt, c1);
  ck_assert_int_eq (hearth_conversation_list_find (list, c1), -1);
  conv = hearth_store_get_conversation (t->store, c1, &error);
  hearth_assert_no_error (error);
  g_clear_object (&conv);
  hearth_runtime_unhide_conversation (t->rt, c1);
  ck_assert_int_ge (hearth_conversation_list_find (list, c1), 0);
  got = model_ids (G_LIST_MODEL (list), conversation_id_of);
  want = store_conversation_ids (t->store, list);
  assert_ids_equal (got, want, "unhide");
  g_clear_pointer (&got, g_array_unref);
  g_clear_pointer (&want, g_array_unref);

  /* Purged: gone from the store; one not hidden is left alone. */
  hearth_runtime_hide_conversation (t->rt, c1);
  ck_assert (hearth_runtime_purge_hidden (t->rt, 0, &error));
  hearth_assert_no_error (error);
  conv = hearth_store_get_conversation (t->store, c1, &error);
  ck_assert_ptr_null (conv);
  ck_assert (error != NULL && error->domain == HEARTH_STORE_ERROR && error->code == HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  hearth_runtime_purge_hidden (t->rt, c2, NULL);
  conv = hearth_store_get_conversation (t->store, c2, &error);
  hearth_assert_no_error (error);
  g_clear_object (&conv);
  got = model_ids (G_LIST_MODEL (list), conversation_id_of);
  want = store_conversation_ids (t->store, list);
  assert_ids_equal (got, want, "purge");
  ck_assert_uint_eq (got->len, 1);
}
END_TEST

/* The partial reply of a stopped reply, last in @conversation_id: an
 * assistant message marked as stopped, the start of @reference, and the
 * one reply-finished named. */
static void
rt_assert_partial_stored (Rt         *t,
                          gint64      conversation_id,
                          const char *reference)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = hearth_store_get_thread (t->store, conversation_id, 0, &error);
  HearthMessage *last;
  const char *text;

  hearth_assert_no_error (error);
  ck_assert_uint_gt (thread->len, 0);
  last = g_ptr_array_index (thread, thread->len - 1);
  text = hearth_message_get_content (last);
  ck_assert_int_eq (hearth_message_get_role (last), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_uint_eq (t->n_finished, 1);
  ck_assert_int_eq (t->finished_conversation, conversation_id);
  ck_assert_int_eq (t->finished_message, hearth_message_get_id (last));
  ck_assert_int_eq (t->stored_leaf_at_finish, hearth_message_get_id (last));
  ck_assert_uint_gt (strlen (text), 0);
  ck_assert_msg (g_str_has_prefix (reference, text) && strlen (text) < strlen (reference),
                 "stopped: \"%s\", the full reply: \"%s\"", text, reference);
  ck_assert (g_str_has_prefix (text, t->streamed->str));
  ck_assert (hearth_thread_settings_say_stopped (hearth_message_get_settings_json (last)));
}

/* Showing another conversation mid-reply stops the reply; its partial
 * reply is kept in its own conversation, the one on show is untouched,
 * and the next reply (there) works. */
START_TEST (test_runtime_switch_mid_reply)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  g_autoptr(GArray) b_before = NULL;
  g_autoptr(GArray) shown = NULL;
  g_autoptr(HearthMessage) reply = NULL;
  gint64 a, b, bu;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "30", TRUE);
  t = rt_new ();
  reference = reference_first_reply (t->model_path, MAX_TOKENS);
  b = new_conversation (t->store, "b");
  bu = add_message (t->store, b, 0, HEARTH_MESSAGE_ROLE_USER, "hi");
  add_message (t->store, b, bu, HEARTH_MESSAGE_ROLE_ASSISTANT, "hello");
  b_before = store_thread_ids (t->store, b);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);

  rt_send (t, PROMPT);
  a = hearth_runtime_get_conversation_id (t->rt);
  WAIT_UNTIL (t->streamed->len > 0, 30);
  ck_assert (hearth_runtime_set_conversation_id (t->rt, b, &error));
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_runtime_get_conversation_id (t->rt), b);
  rt_assert_thread_is_stored (t, "switched mid-reply");
  rt_wait_reply (t);

  rt_assert_partial_stored (t, a, reference);
  /* B shows as it was, with no row of A's reply in it. */
  shown = model_ids (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), thread_item_id_of);
  assert_ids_equal (shown, b_before, "the conversation on show after A's reply stopped");
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt))); i++)
    {
      g_autoptr(HearthThreadItem) item = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), i);

      ck_assert (!hearth_thread_item_get_streaming (item));
    }

  rt_send (t, "The end");
  rt_wait_reply (t);
  reply = rt_assert_reply_stored (t);
  ck_assert_int_eq (hearth_message_get_conversation_id (reply), b);
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

/* Shut down mid-reply with the main loop still running: the partial reply
 * is stored. */
START_TEST (test_runtime_shutdown_mid_reply)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  gint64 a;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "30", TRUE);
  t = rt_new ();
  reference = reference_first_reply (t->model_path, MAX_TOKENS);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);
  rt_send (t, PROMPT);
  a = hearth_runtime_get_conversation_id (t->rt);
  WAIT_UNTIL (t->streamed->len > 0, 30);
  hearth_runtime_shutdown (t->rt);
  WAIT_UNTIL (t->n_finished > 0 && !hearth_runtime_get_busy (t->rt), 30);
  rt_assert_partial_stored (t, a, reference);
  ck_assert_int_eq (t->stored_leaf_at_idle, t->finished_message);
}
END_TEST

/* Loading a model mid-reply stops the reply first (its partial reply is
 * stored); the new model then replies. */
START_TEST (test_runtime_load_mid_reply)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *f16 = hearth_test_data_path ("models", "stories260K", "stories260K-f16.gguf", NULL);
  g_autoptr(HearthMessage) reply = NULL;
  gint64 a;

  g_setenv ("HEARTH_DEBUG_TOKEN_DELAY_MS", "30", TRUE);
  t = rt_new ();
  reference = reference_first_reply (t->model_path, MAX_TOKENS);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_CPU);
  rt_send (t, PROMPT);
  a = hearth_runtime_get_conversation_id (t->rt);
  WAIT_UNTIL (t->streamed->len > 0, 30);

  rt_start_load (t, f16, HEARTH_BACKEND_CPU);
  WAIT_UNTIL (t->load_done && t->n_finished > 0 && !hearth_runtime_get_busy (t->rt), 30);
  hearth_assert_no_error (t->load_error);
  ck_assert (t->load_ok);
  rt_assert_partial_stored (t, a, reference);
  ck_assert_str_eq (hearth_runtime_get_model_path (t->rt), f16);
  ck_assert (hearth_runtime_get_model_loaded (t->rt));

  rt_send (t, "The end");
  rt_wait_reply (t);
  reply = rt_assert_reply_stored (t);
  ck_assert_int_eq (hearth_message_get_conversation_id (reply), a);
  ck_assert_uint_eq (t->errors->len, 0);
}
END_TEST

#ifdef HEARTH_HAVE_VULKAN
/* The GPU device is lost mid-reply (the fault hook on lavapipe, at the
 * first decode step after the prompt): the partial reply is stored and
 * marked, the model is gone, and reloading on the CPU brings replies back. */
START_TEST (test_runtime_device_lost)
{
  g_autoptr(Rt) t = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reference = NULL;
  g_autoptr(HearthMessage) partial = NULL;
  g_autoptr(HearthMessage) reply = NULL;
  g_autoptr(HearthThreadItem) item = NULL;
  HearthWorkerLoadParams last;
  const char *last_path = NULL;
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *fault = NULL;
  guint n_prompt_submits;

  {
    g_autoptr(Reference) r = reference_new (path);
    const char *turns[] = { PROMPT, NULL };

    reference = reference_reply (r, SYSTEM_PROMPT, MAX_TOKENS, turns);
    /* The prompt runs in batches of 64 tokens (the session's default),
     * one submit each; the first token streams from the last one's logits.
     * The device goes at the next submit, the first generated token's. */
    n_prompt_submits = (r->n_prompt + 63) / 64;
  }
  /* Not ":once" (claimed once per process, which without forks an earlier
   * test has): the reload below is on the CPU, no other context is made. */
  fault = g_strdup_printf ("submit:%u:device-lost", n_prompt_submits + 1);
  g_setenv ("HEARTH_VK_FAULT", fault, TRUE);
  t = rt_new ();
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_load (t, HEARTH_BACKEND_VULKAN);
  ck_assert (g_str_has_prefix (hearth_runtime_get_backend (t->rt), "Vulkan"));
  ck_assert_ptr_null (hearth_runtime_get_device_lost (t->rt));

  g_string_truncate (t->loaded_seq, 0);
  rt_send (t, PROMPT);
  rt_wait_reply (t);
  ck_assert_msg (hearth_runtime_get_device_lost (t->rt) != NULL &&
                 strstr (hearth_runtime_get_device_lost (t->rt), "was lost") != NULL,
                 "%s", hearth_runtime_get_device_lost (t->rt) ? hearth_runtime_get_device_lost (t->rt) : "(not lost)");
  ck_assert (!hearth_runtime_get_model_loaded (t->rt));
  ck_assert_str_eq (t->loaded_seq->str, "F");

  /* The partial reply: stored before :busy went, named by reply-finished. */
  partial = rt_stored_last (t);
  ck_assert_int_eq (hearth_message_get_role (partial), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_int_eq (t->finished_message, hearth_message_get_id (partial));
  ck_assert_int_eq (t->stored_leaf_at_finish, hearth_message_get_id (partial));
  ck_assert_int_eq (t->stored_leaf_at_idle, hearth_message_get_id (partial));
  ck_assert_uint_gt (strlen (hearth_message_get_content (partial)), 0);
  ck_assert_str_eq (hearth_message_get_content (partial), t->streamed->str);
  ck_assert_msg (g_str_has_prefix (reference, hearth_message_get_content (partial)),
                 "partial \"%s\", the CPU reply \"%s\"", hearth_message_get_content (partial), reference);
  ck_assert (hearth_thread_settings_say_device_lost (hearth_message_get_settings_json (partial)));
  item = rt_last_item (t);
  ck_assert_int_eq (hearth_thread_item_get_id (item), hearth_message_get_id (partial));
  ck_assert (hearth_thread_item_get_device_lost (item));
  ck_assert (hearth_thread_item_get_stopped (item));
  g_clear_object (&item);
  rt_assert_thread_is_stored (t, "after a lost device");

  /* Sending now is refused: no model. */
  ck_assert (!hearth_runtime_send (t->rt, "more", &error));
  ck_assert (error != NULL);
  g_clear_error (&error);

  /* What to reload: the Vulkan load's settings. */
  ck_assert (hearth_runtime_get_last_load (t->rt, &last_path, &last));
  ck_assert_str_eq (last_path, t->model_path);
  ck_assert_int_eq (last.backend, HEARTH_BACKEND_VULKAN);

  /* "Use CPU": loaded again, the lost device forgotten, and a reply in a
   * new chat is the CPU reference. */
  t->load_done = FALSE;
  ck_assert (hearth_runtime_reload_model (t->rt, TRUE, rt_on_loaded, t));
  WAIT_UNTIL (t->load_done, 60);
  hearth_assert_no_error (t->load_error);
  ck_assert (t->load_ok);
  ck_assert (hearth_runtime_get_model_loaded (t->rt));
  ck_assert (g_str_has_prefix (hearth_runtime_get_backend (t->rt), "CPU"));
  ck_assert_ptr_null (hearth_runtime_get_device_lost (t->rt));
  ck_assert_str_eq (hearth_runtime_get_model_path (t->rt), t->model_path);

  ck_assert (hearth_runtime_set_conversation_id (t->rt, 0, &error));
  ck_assert (hearth_runtime_set_system_prompt (t->rt, SYSTEM_PROMPT, &error));
  rt_send (t, PROMPT);
  rt_wait_reply (t);
  reply = rt_assert_reply_stored (t);
  ck_assert_str_eq (hearth_message_get_content (reply), reference);
  ck_assert (!hearth_thread_settings_say_stopped (hearth_message_get_settings_json (reply)));
}
END_TEST
#endif

static Suite *
runtime_suite (void)
{
  Suite *s = suite_create ("runtime");
  TCase *tc = tcase_create ("batcher");

  tcase_add_test (tc, test_batcher_batches);
  tcase_add_test (tc, test_batcher_stale);
  tcase_add_test (tc, test_batcher_detach);
  suite_add_tcase (s, tc);

  tc = tcase_create ("model-info");
  tcase_add_test (tc, test_model_info);
  tcase_add_test (tc, test_model_info_not_gguf);
  tcase_add_test (tc, test_model_memory);
  suite_add_tcase (s, tc);

  tc = tcase_create ("thread");
  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_thread_branches);
  tcase_add_test (tc, test_thread_settings_and_title);
  suite_add_tcase (s, tc);

  tc = tcase_create ("worker");
  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_worker_stream);
  tcase_add_test (tc, test_worker_cancel);
  tcase_add_test (tc, test_worker_max_tokens);
  tcase_add_test (tc, test_worker_bad_model);
#ifdef HEARTH_HAVE_VULKAN
  tcase_add_test (tc, test_worker_device_lost);
  tcase_add_test (tc, test_worker_device_error);
#endif
  suite_add_tcase (s, tc);

  /* The list models over a store (no model). */
  tc = tcase_create ("list-models");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_array_model);
  tcase_add_test (tc, test_conversation_list);
  tcase_add_test (tc, test_thread_model);
  tcase_add_test (tc, test_thread_model_streaming);
  tcase_add_test (tc, test_thread_model_long);
  tcase_add_test (tc, test_model_registry);
  suite_add_tcase (s, tc);

  /* The runtime on stories260K, CPU, greedy. */
  tc = tcase_create ("runtime");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_runtime_send);
  tcase_add_test (tc, test_runtime_stored_on_completion);
  tcase_add_test (tc, test_runtime_stop);
  tcase_add_test (tc, test_runtime_regenerate);
  tcase_add_test (tc, test_runtime_edit_branch);
  tcase_add_test (tc, test_runtime_errors);
  tcase_add_test (tc, test_runtime_notify);
  tcase_add_test (tc, test_runtime_switch_mid_reply);
  tcase_add_test (tc, test_runtime_shutdown_mid_reply);
  tcase_add_test (tc, test_runtime_load_mid_reply);
  tcase_add_test (tc, test_runtime_conversations);
  suite_add_tcase (s, tc);

#ifdef HEARTH_HAVE_VULKAN
  /* On lavapipe, with the Vulkan fault hook. */
  tc = tcase_create ("runtime-vulkan");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_runtime_device_lost);
  suite_add_tcase (s, tc);
#endif
  return s;
}

int
main (void)
{
#ifdef HEARTH_HAVE_VULKAN
  /* A pipeline cache of its own, and lavapipe kept mapped for LeakSanitizer. */
  return hearth_test_vulkan_run (runtime_suite ());
#else
  return hearth_test_run (runtime_suite ());
#endif
}
