/* test-app-gtk.c: the app's non-widget parts: token batching, the engine thread, Markdown, threads of messages, model info
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-engine-worker.h"
#include "hearth-markdown.h"
#include "hearth-model-info.h"
#include "hearth-store.h"
#include "hearth-test.h"
#ifdef HEARTH_HAVE_VULKAN
#include "hearth-test-vulkan.h"
#endif
#include "hearth-thread.h"
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

/* ---- Markdown (CommonMark + GFM, as the spec renders these) ---- */

static HearthMdBlock *
block (GPtrArray *blocks,
       guint      i)
{
  ck_assert_uint_lt (i, blocks->len);
  return g_ptr_array_index (blocks, i);
}

START_TEST (test_markdown_blocks)
{
  const char *text =
    "# Title\n"
    "\n"
    "Some **bold**, *em*, `a<b`, ~~gone~~ and [a link](https://example.org/?a=1&b=2).\n"
    "A [file](file:///etc/passwd) stays text.\n"
    "\n"
    "- one\n"
    "- two\n"
    "  1. nested\n"
    "\n"
    "```Python\n"
    "print(\"hi\")\n"
    "```\n"
    "\n"
    "| a | b |\n"
    "|---|:-:|\n"
    "| 1 | *2* |\n"
    "| 3 |\n"
    "\n"
    "> quoted\n"
    "\n"
    "---\n";
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse (text, -1);
  HearthMdBlock *b;

  ck_assert_uint_eq (blocks->len, 9);

  b = block (blocks, 0);
  ck_assert_int_eq (b->kind, HEARTH_MD_HEADING);
  ck_assert_uint_eq (b->level, 1);
  ck_assert_str_eq (b->markup, "Title");

  b = block (blocks, 1);
  ck_assert_int_eq (b->kind, HEARTH_MD_PARAGRAPH);
  ck_assert_str_eq (b->markup,
                    "Some <b>bold</b>, <i>em</i>, <tt>a&lt;b</tt>, <s>gone</s> and "
                    "<a href=\"https://example.org/?a=1&amp;b=2\">a link</a>. A file stays text.");

  b = block (blocks, 2);
  ck_assert_str_eq (b->markup, "• one");
  ck_assert_uint_eq (b->indent, 1);
  b = block (blocks, 3);
  ck_assert_str_eq (b->markup, "• two");
  b = block (blocks, 4);
  ck_assert_str_eq (b->markup, "1. nested");
  ck_assert_uint_eq (b->indent, 2);

  b = block (blocks, 5);
  ck_assert_int_eq (b->kind, HEARTH_MD_CODE);
  ck_assert_str_eq (b->code, "print(\"hi\")");
  ck_assert_str_eq (b->language, "python");

  b = block (blocks, 6);
  ck_assert_int_eq (b->kind, HEARTH_MD_TABLE);
  ck_assert_uint_eq (b->n_columns, 2);
  ck_assert_uint_eq (b->n_rows, 3);
  ck_assert_str_eq (g_ptr_array_index (b->cells, 0), "<b>a</b>");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 3), "<i>2</i>");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 4), "3");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 5), "");

  b = block (blocks, 7);
  ck_assert (b->quoted);
  ck_assert_str_eq (b->markup, "quoted");
  ck_assert_int_eq (block (blocks, 8)->kind, HEARTH_MD_RULE);

  for (guint i = 0; i < blocks->len; i++)
    {
      b = block (blocks, i);
      if (b->markup != NULL)
        ck_assert_msg (g_utf8_validate (b->markup, -1, NULL), "block %u", i);
    }
}
END_TEST

START_TEST (test_markdown_plain)
{
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse ("Tom &amp; *Jerry* <3\n\n```\nx < y\n```\n", -1);
  g_autofree char *plain = hearth_markdown_to_plain (blocks);

  /* An entity in the source is an '&' for CommonMark too. */
  ck_assert_str_eq (plain, "Tom & Jerry <3\n\nx < y");
}
END_TEST

/* A reply cut mid-character (or a hostile one) still yields valid markup. */
START_TEST (test_markdown_bad_utf8)
{
  const char text[] = "caf\xc3 **ok** \xff\xfe";
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse (text, sizeof text - 1);

  ck_assert_uint_eq (blocks->len, 1);
  ck_assert (g_utf8_validate (block (blocks, 0)->markup, -1, NULL));
  ck_assert (strstr (block (blocks, 0)->markup, "<b>ok</b>") != NULL);
}
END_TEST

START_TEST (test_markdown_unclosed)
{
  /* What a stream looks like half-way: an open fence and emphasis. */
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse ("Here:\n\n```c\nint x", -1);

  ck_assert_uint_eq (blocks->len, 2);
  ck_assert_int_eq (block (blocks, 1)->kind, HEARTH_MD_CODE);
  ck_assert_str_eq (block (blocks, 1)->code, "int x");
  ck_assert_str_eq (block (blocks, 1)->language, "c");
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
open_temp_store (char **dir_out)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  *dir_out = g_dir_make_tmp ("hearth-app-XXXXXX", NULL);
  hearth_store_params_init (&p);
  p.data_dir = *dir_out;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  return store;
}

START_TEST (test_thread_branches)
{
  g_autofree char *dir = NULL;
  g_autoptr(HearthStore) store = open_temp_store (&dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) c = hearth_store_create_conversation (store, "t", NULL, NULL, &error);
  gint64 cid = hearth_conversation_get_id (c);
  g_autoptr(HearthMessage) u1 = NULL, a1 = NULL, a2 = NULL, u2 = NULL;
  g_autoptr(GPtrArray) t = NULL;
  g_autoptr(GPtrArray) wm = NULL;
  g_autofree char *json_stopped = hearth_thread_dup_settings_json (NULL, "/x/m.gguf", TRUE);
  HearthMessageExtra extra;
  HearthThreadEntry *e;

  hearth_message_extra_init (&extra);
  extra.settings_json = json_stopped;
  u1 = hearth_store_append_message (store, cid, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "hi", NULL, &error);
  a1 = hearth_store_append_message (store, cid, hearth_message_get_id (u1), HEARTH_MESSAGE_ROLE_ASSISTANT, "first", &extra, &error);
  /* A regenerated reply: a sibling of the first. */
  a2 = hearth_store_append_message (store, cid, hearth_message_get_id (u1), HEARTH_MESSAGE_ROLE_ASSISTANT, "second", NULL, &error);
  hearth_assert_no_error (error);

  t = hearth_thread_load (store, cid, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (t->len, 2);
  e = g_ptr_array_index (t, 1);
  ck_assert_str_eq (hearth_message_get_content (e->message), "second");
  ck_assert_uint_eq (e->sibling_index, 1);
  ck_assert_uint_eq (e->n_siblings, 2);
  ck_assert_int_eq (e->prev_sibling_id, hearth_message_get_id (a1));
  ck_assert_int_eq (e->next_sibling_id, 0);
  ck_assert (!e->stopped);
  e = g_ptr_array_index (t, 0);
  ck_assert_uint_eq (e->n_siblings, 1);

  /* Back to the first version, which was stopped. */
  ck_assert (hearth_store_set_current_leaf (store, cid, hearth_message_get_id (a1), &error));
  g_ptr_array_unref (t);
  t = hearth_thread_load (store, cid, &error);
  e = g_ptr_array_index (t, 1);
  ck_assert_str_eq (hearth_message_get_content (e->message), "first");
  ck_assert (e->stopped);
  ck_assert_int_eq (e->next_sibling_id, hearth_message_get_id (a2));

  /* Editing the user's message starts a branch with only the new message. */
  u2 = hearth_store_edit_message (store, hearth_message_get_id (u1), "hello", &error);
  hearth_assert_no_error (error);
  g_ptr_array_unref (t);
  t = hearth_thread_load (store, cid, &error);
  ck_assert_uint_eq (t->len, 1);
  e = g_ptr_array_index (t, 0);
  ck_assert_str_eq (hearth_message_get_content (e->message), "hello");
  ck_assert_uint_eq (e->sibling_index, 1);
  ck_assert_int_eq (e->prev_sibling_id, hearth_message_get_id (u1));

  wm = hearth_thread_to_worker_messages (t, t->len);
  ck_assert_uint_eq (wm->len, 1);
  ck_assert_int_eq (((HearthWorkerMessage *) g_ptr_array_index (wm, 0))->role, HEARTH_CHAT_ROLE_USER);
  ck_assert_str_eq (((HearthWorkerMessage *) g_ptr_array_index (wm, 0))->content, "hello");
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
  hearth_engine_worker_respond_async (w, gen, NULL, one_message ("Once upon a time"), &sp, NULL, on_reply, &run);
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
                                      &sp, cancel, on_reply, &run);
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
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("hi"), &sp, NULL,
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
                                      &sp, NULL, on_reply, run);
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
                                      &sp, NULL, on_reply, &run);
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
  hearth_engine_worker_respond_async (w, hearth_token_batcher_begin (b), NULL, one_message ("hi"), &sp, NULL,
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
                                      &sp, NULL, on_reply, &run);
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

static Suite *
app_gtk_suite (void)
{
  Suite *s = suite_create ("app-gtk");
  TCase *tc = tcase_create ("batcher");

  tcase_add_test (tc, test_batcher_batches);
  tcase_add_test (tc, test_batcher_stale);
  tcase_add_test (tc, test_batcher_detach);
  suite_add_tcase (s, tc);

  tc = tcase_create ("markdown");
  tcase_add_test (tc, test_markdown_blocks);
  tcase_add_test (tc, test_markdown_plain);
  tcase_add_test (tc, test_markdown_bad_utf8);
  tcase_add_test (tc, test_markdown_unclosed);
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
  tcase_add_test (tc, test_worker_bad_model);
#ifdef HEARTH_HAVE_VULKAN
  tcase_add_test (tc, test_worker_device_lost);
  tcase_add_test (tc, test_worker_device_error);
#endif
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
#ifdef HEARTH_HAVE_VULKAN
  /* A pipeline cache of its own, and lavapipe kept mapped for LeakSanitizer. */
  return hearth_test_vulkan_run (app_gtk_suite ());
#else
  return hearth_test_run (app_gtk_suite ());
#endif
}
