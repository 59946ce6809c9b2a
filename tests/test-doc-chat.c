/* test-doc-chat.c: document Q&A in a conversation: retriever, runtime, store, `chat --docs`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: a small collection of text files with known facts, indexed with
 * the real indexer (and `hearth-cli docs add` for the CLI case); the
 * HearthDocRetriever over it; chat turns through the real runtime with
 * CaptureResponder, a HearthResponder that records exactly what the
 * runtime hands the engine (the system prompt with its context block, the
 * messages) and answers with a fixed text.  Checked: the retriever's
 * passages (the question embedded with the collection's model when it has
 * one: the synthetic bert), the numbered passages
 * in the prompt with the right files and lines, the stored user message
 * as typed, the reply's stored sources equal to the search's hits, the
 * no-relevant-passage notice and empty sources for a question about
 * nothing in the collection, the attachment surviving a reopen, a schema
 * 3 history migrating, and `hearth-cli chat --docs` printing the sources.
 * Run through tests/tools/with-keyring.sh: the store and the index take
 * their keys from a real Secret Service.
 * Threading: each test in its own forked process, on its main context.
 */
#include "hearth-config.h"

#include <string.h>
#include <sys/wait.h>

#include "hearth-doc-embedder.h"
#include "hearth-doc-indexer.h"
#include "hearth-doc-retriever.h"
#include "hearth-doc-search.h"
#include "hearth-reply-sources.h"
#include "hearth-runtime.h"
#include "hearth-store-private.h"
#include "hearth-test.h"

#define KEEPER_TEXT "The lighthouse keeper is named Orla Penhallow.\nShe rows to Skerry Island every Tuesday.\n"
#define BREAD_TEXT "Notes about baking.\n\nSourdough needs a starter fed with rye flour.\nBake the loaf at 250 degrees.\n"
#define QUESTION "Who is the lighthouse keeper?"
#define NOTHING_QUESTION "What is the capital of Mongolia?"

/* ---- a responder that records what it was given ---- */

#define CAPTURE_TYPE_RESPONDER (capture_responder_get_type ())
G_DECLARE_FINAL_TYPE (CaptureResponder, capture_responder, CAPTURE, RESPONDER, GObject)

struct _CaptureResponder
{
  GObject    parent_instance;
  GPtrArray *system_prompts;  /* per call ("" for none) */
  GPtrArray *last_messages;   /* per call: the last message's text */
};

static void capture_responder_iface_init (HearthResponderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CaptureResponder, capture_responder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RESPONDER, capture_responder_iface_init))

static void
capture_respond_async (HearthResponder              *responder,
                       const HearthResponderRequest *request,
                       GCancellable                 *cancellable,
                       GAsyncReadyCallback           callback,
                       gpointer                      user_data)
{
  CaptureResponder *self = CAPTURE_RESPONDER (responder);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  HearthWorkerReply *reply = g_new0 (HearthWorkerReply, 1);
  HearthWorkerMessage *last = g_ptr_array_index (request->messages, request->messages->len - 1);

  g_ptr_array_add (self->system_prompts, g_strdup (request->system_prompt != NULL ? request->system_prompt : ""));
  g_ptr_array_add (self->last_messages, g_strdup (last->content));
  reply->text = g_strdup ("Orla Penhallow keeps it [1].");
  reply->reason = HEARTH_STOP_EOG;
  reply->n_generated = 7;
  g_task_return_pointer (task, reply, (GDestroyNotify) hearth_worker_reply_free);
}

static HearthWorkerReply *
capture_respond_finish (HearthResponder *responder,
                        GAsyncResult    *result,
                        GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
capture_is_ready (HearthResponder *responder)
{
  return TRUE;
}

static const char *
capture_get_model (HearthResponder *responder)
{
  return "capture";
}

static void
capture_responder_iface_init (HearthResponderInterface *iface)
{
  iface->is_ready = capture_is_ready;
  iface->get_model = capture_get_model;
  iface->respond_async = capture_respond_async;
  iface->respond_finish = capture_respond_finish;
}

static void
capture_responder_finalize (GObject *object)
{
  CaptureResponder *self = CAPTURE_RESPONDER (object);

  g_ptr_array_unref (self->system_prompts);
  g_ptr_array_unref (self->last_messages);
  G_OBJECT_CLASS (capture_responder_parent_class)->finalize (object);
}

static void
capture_responder_class_init (CaptureResponderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = capture_responder_finalize;
}

static void
capture_responder_init (CaptureResponder *self)
{
  self->system_prompts = g_ptr_array_new_with_free_func (g_free);
  self->last_messages = g_ptr_array_new_with_free_func (g_free);
}

/* ---- the fixture: files, an index, a store, a runtime ---- */

typedef struct
{
  char             *root;
  char             *docs;
  char             *data_dir;
  char             *keeper;
  char             *bread;
  HearthDocIndex   *index;
  HearthStore      *store;
  HearthRuntime    *rt;
  CaptureResponder *responder;
  HearthDocRetriever *retriever;
  GPtrArray        *errors;
  gboolean          finished;
  gint64            finished_id;
} Fixture;

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_file_set_contents (path, text, -1, &error), "%s", error ? error->message : "");
}

static HearthStore *
open_store (const char *data_dir,
            guint       schema_version)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  hearth_store_params_init (&p);
  p.data_dir = data_dir;
  p.key_source = HEARTH_STORE_KEY_KEYRING;
  p.schema_version = schema_version;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  return store;
}

static HearthDocIndex *
open_index (const char *data_dir)
{
  HearthDocIndexParams p;
  g_autoptr(GError) error = NULL;
  HearthDocIndex *index;

  hearth_doc_index_params_init (&p);
  p.data_dir = data_dir;
  p.key_source = HEARTH_STORE_KEY_KEYRING;
  index = hearth_doc_index_open (&p, &error);
  hearth_assert_no_error (error);
  return index;
}

static void
on_finished (HearthRuntime *rt,
             gint64         conversation_id,
             gint64         message_id,
             Fixture       *t)
{
  ck_assert (!hearth_runtime_get_busy (rt));
  t->finished = TRUE;
  t->finished_id = message_id;
}

static void
on_error (HearthRuntime *rt,
          const char    *message,
          Fixture       *t)
{
  g_ptr_array_add (t->errors, g_strdup (message));
}

static void
fixture_start_runtime (Fixture *t)
{
  t->store = open_store (t->data_dir, 0);
  t->rt = hearth_runtime_new (t->store);
  t->responder = g_object_new (CAPTURE_TYPE_RESPONDER, NULL);
  hearth_runtime_set_responder (t->rt, HEARTH_RESPONDER (t->responder));
  t->retriever = hearth_doc_retriever_new (t->index);
  hearth_runtime_add_retriever (t->rt, HEARTH_RETRIEVER (t->retriever));
  g_signal_connect (t->rt, "reply-finished", G_CALLBACK (on_finished), t);
  g_signal_connect (t->rt, "error", G_CALLBACK (on_error), t);
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_stop_runtime (Fixture *t)
{
  hearth_runtime_shutdown (t->rt);
  drain ();
  g_signal_handlers_disconnect_by_data (t->rt, t);
  g_clear_object (&t->rt);
  drain ();
  g_clear_object (&t->retriever);
  g_clear_object (&t->responder);
  g_clear_object (&t->store);
}

/* Files with known facts and, unless @index_them is FALSE, the
 * collection "facts" over them, indexed by the real indexer. */
static Fixture *
fixture_new (gboolean index_them)
{
  Fixture *t = g_new0 (Fixture, 1);

  t->root = g_dir_make_tmp ("hearth-doc-chat-XXXXXX", NULL);
  t->docs = g_build_filename (t->root, "docs", NULL);
  t->data_dir = g_build_filename (t->root, "data", NULL);
  t->keeper = g_build_filename (t->docs, "keeper.txt", NULL);
  t->bread = g_build_filename (t->docs, "bread.txt", NULL);
  t->errors = g_ptr_array_new_with_free_func (g_free);
  ck_assert_int_eq (g_mkdir_with_parents (t->docs, 0700), 0);
  ck_assert_int_eq (g_mkdir_with_parents (t->data_dir, 0700), 0);
  write_text (t->keeper, KEEPER_TEXT);
  write_text (t->bread, BREAD_TEXT);
  if (index_them)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthDocCollection) c = NULL;
      g_autoptr(HearthDocIndexer) indexer = NULL;

      t->index = open_index (t->data_dir);
      c = hearth_doc_index_ensure_collection (t->index, "facts", NULL, 64, 8, &error);
      hearth_assert_no_error (error);
      ck_assert (hearth_doc_index_add_source (t->index, c->id, t->docs, &error));
      indexer = hearth_doc_indexer_new (t->index, "facts");
      ck_assert_msg (hearth_doc_indexer_run_sync (indexer, NULL, &error), "%s", error ? error->message : "");
    }
  return t;
}

static void
fixture_free (Fixture *t)
{
  if (t->rt != NULL)
    fixture_stop_runtime (t);
  g_clear_object (&t->index);
  hearth_test_rm_rf (t->root);
  g_free (t->root);
  g_free (t->docs);
  g_free (t->data_dir);
  g_free (t->keeper);
  g_free (t->bread);
  g_ptr_array_unref (t->errors);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fixture_free)

/* Sends @text and waits for the stored reply; returns it. */
static HearthMessage *
send_and_wait (Fixture    *t,
               const char *text)
{
  g_autoptr(GError) error = NULL;
  HearthMessage *reply;

  t->finished = FALSE;
  ck_assert (hearth_runtime_send (t->rt, text, &error));
  hearth_assert_no_error (error);
  /* Retrieval runs off this thread: busy meanwhile, and no second send. */
  ck_assert (hearth_runtime_get_busy (t->rt));
  ck_assert (!hearth_runtime_send (t->rt, "again", NULL));
  HEARTH_TEST_WAIT_UNTIL (t->finished, 20);
  ck_assert_int_ne (t->finished_id, 0);
  reply = hearth_store_get_message (t->store, t->finished_id, &error);
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_message_get_role (reply), HEARTH_MESSAGE_ROLE_ASSISTANT);
  return reply;
}

/* The hits hearth_doc_search gives for @question, as the retriever asks. */
static GPtrArray *
expected_hits (Fixture    *t,
               const char *keywords)
{
  HearthDocSearchParams p;
  g_autoptr(GError) error = NULL;
  GPtrArray *hits;

  hearth_doc_search_params_init (&p);
  p.k = HEARTH_RUNTIME_DEFAULT_RETRIEVAL_LIMIT;
  p.min_bm25 = HEARTH_DOC_RETRIEVER_DEFAULT_MIN_BM25;
  hits = hearth_doc_search (t->index, "facts", keywords, NULL, 0, &p, &error);
  hearth_assert_no_error (error);
  return hits;
}

/* ---- the retriever ---- */

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GPtrArray *
search (HearthRetriever *retriever,
        const char      *collection,
        const char      *query,
        GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hearth_retriever_search_async (retriever, collection, query, 5, NULL, got_result, &result);
  HEARTH_TEST_WAIT_UNTIL (result != NULL, 10);
  return hearth_retriever_search_finish (retriever, result, error);
}

START_TEST (test_retriever)
{
  g_autoptr(Fixture) t = fixture_new (TRUE);
  g_autoptr(HearthDocRetriever) r = hearth_doc_retriever_new (t->index);
  g_autoptr(GPtrArray) passages = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  HearthPassage *p;

  ck_assert_ptr_null (hearth_retriever_get_host (HEARTH_RETRIEVER (r)));
  names = hearth_retriever_list_collections (HEARTH_RETRIEVER (r));
  ck_assert_uint_eq (g_strv_length (names), 1);
  ck_assert_str_eq (names[0], "facts");

  passages = search (HEARTH_RETRIEVER (r), "facts", QUESTION, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (passages->len, 1);
  p = g_ptr_array_index (passages, 0);
  ck_assert_str_eq (hearth_passage_get_source (p), t->keeper);
  ck_assert_uint_eq (hearth_passage_get_page (p), 0);
  ck_assert_uint_eq (hearth_passage_get_first_line (p), 1);
  ck_assert_uint_eq (hearth_passage_get_last_line (p), 2);
  ck_assert_ptr_nonnull (strstr (hearth_passage_get_text (p), "Orla Penhallow"));
  ck_assert (hearth_passage_get_score (p) > 0);
  g_clear_pointer (&passages, g_ptr_array_unref);

  /* Function words alone ("what is the ... of") match nothing. */
  passages = search (HEARTH_RETRIEVER (r), "facts", NOTHING_QUESTION, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (passages->len, 0);
  g_clear_pointer (&passages, g_ptr_array_unref);

  /* The bread file: lines 3-4 after a heading line and a blank one. */
  passages = search (HEARTH_RETRIEVER (r), "facts", "How hot should the sourdough bake?", &error);
  hearth_assert_no_error (error);
  ck_assert_uint_ge (passages->len, 1);
  ck_assert_str_eq (hearth_passage_get_source (g_ptr_array_index (passages, 0)), t->bread);
  g_clear_pointer (&passages, g_ptr_array_unref);

  /* Another retriever's collection: NOT_FOUND, the runtime's "not mine". */
  passages = search (HEARTH_RETRIEVER (r), "elsewhere", QUESTION, &error);
  ck_assert_ptr_null (passages);
  ck_assert (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND));
}
END_TEST

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;

  ck_assert_msg (g_file_get_contents (from, &data, &len, &error), "%s", error ? error->message : "");
  ck_assert_msg (g_file_set_contents (to, data, (gssize) len, &error), "%s", error ? error->message : "");
}

/* A collection with an embedding model: the question is embedded with it.
 * With the BM25 floor out of reach only the vector list can find
 * anything, and it finds the chunk whose text is the question. */
START_TEST (test_retriever_embeds_the_query)
{
  g_autoptr(Fixture) t = fixture_new (FALSE);
  g_autofree char *shared = hearth_test_data_path ("models", "synthetic", "synth-bert-F32.gguf", NULL);
  g_autofree char *other = hearth_test_data_path ("models", "synthetic", "synth-bert-cls-F32.gguf", NULL);
  g_autofree char *model = g_build_filename (t->data_dir, "encoder.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocIndexer) indexer = NULL;
  g_autoptr(HearthDocRetriever) r = NULL;
  g_autoptr(GPtrArray) passages = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  HearthDocFileInfo *keeper = NULL;
  const char *question;

  copy_file (shared, model);
  embedder = hearth_doc_embedder_load (model, NULL, &error);
  hearth_assert_no_error (error);
  t->index = open_index (t->data_dir);
  c = hearth_doc_index_ensure_collection (t->index, "facts", hearth_doc_embedder_get_info (embedder), 64, 8, &error);
  hearth_assert_no_error (error);
  ck_assert (hearth_doc_index_add_source (t->index, c->id, t->docs, &error));
  indexer = hearth_doc_indexer_new (t->index, "facts");
  ck_assert_msg (hearth_doc_indexer_run_sync (indexer, NULL, &error), "%s", error ? error->message : "");
  files = hearth_doc_index_list_files (t->index, c->id, &error);
  for (guint i = 0; i < files->len; i++)
    if (g_str_equal (((HearthDocFileInfo *) g_ptr_array_index (files, i))->path, t->keeper))
      keeper = g_ptr_array_index (files, i);
  ck_assert_ptr_nonnull (keeper);
  chunks = hearth_doc_index_get_chunks (t->index, keeper->id, &error);
  ck_assert_uint_eq (chunks->len, 1);
  question = ((HearthDocStoredChunk *) g_ptr_array_index (chunks, 0))->text;

  r = hearth_doc_retriever_new (t->index);
  hearth_doc_retriever_set_floors (r, 1e9, 0.99);
  passages = search (HEARTH_RETRIEVER (r), "facts", question, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (passages->len, 1);
  ck_assert_str_eq (hearth_passage_get_source (g_ptr_array_index (passages, 0)), t->keeper);
  g_clear_pointer (&passages, g_ptr_array_unref);

  /* The default floors: the keeper's file first (both lists). */
  hearth_doc_retriever_set_floors (r, -1, -1);
  passages = search (HEARTH_RETRIEVER (r), "facts", QUESTION, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_ge (passages->len, 1);
  ck_assert_str_eq (hearth_passage_get_source (g_ptr_array_index (passages, 0)), t->keeper);
  g_clear_pointer (&passages, g_ptr_array_unref);

  /* Another model written over the same path, and the collection
   * re-indexed with it: the retriever loads the file again (it kept the
   * first one, whose vectors no longer match, and searched by words only). */
  copy_file (other, model);
  g_clear_pointer (&embedder, hearth_doc_embedder_free);
  embedder = hearth_doc_embedder_load (model, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert (hearth_doc_index_reset_collection (t->index, c->id, hearth_doc_embedder_get_info (embedder), &error));
  g_clear_object (&indexer);
  indexer = hearth_doc_indexer_new (t->index, "facts");
  ck_assert_msg (hearth_doc_indexer_run_sync (indexer, NULL, &error), "%s", error ? error->message : "");
  hearth_doc_retriever_set_floors (r, 1e9, 0.99);
  passages = search (HEARTH_RETRIEVER (r), "facts", question, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (passages->len, 1);
  ck_assert_str_eq (hearth_passage_get_source (g_ptr_array_index (passages, 0)), t->keeper);
}
END_TEST

/* ---- the runtime ---- */

static void
assert_sources_equal_hits (const char *sources_json,
                           GPtrArray  *hits)
{
  g_autoptr(GPtrArray) sources = hearth_reply_sources_from_json (sources_json);

  ck_assert_ptr_nonnull (sources);
  ck_assert_uint_eq (sources->len, hits->len);
  for (guint i = 0; i < hits->len; i++)
    {
      HearthPassage *s = g_ptr_array_index (sources, i);
      HearthDocHit *h = g_ptr_array_index (hits, i);

      ck_assert_str_eq (hearth_passage_get_source (s), h->path);
      ck_assert_uint_eq (hearth_passage_get_page (s), h->page);
      ck_assert_uint_eq (hearth_passage_get_first_line (s), h->line_start);
      ck_assert_uint_eq (hearth_passage_get_last_line (s), h->line_end);
      ck_assert_str_eq (hearth_passage_get_text (s), h->text);
      ck_assert_double_eq_tol (hearth_passage_get_score (s), h->score, 1e-9);
    }
}

START_TEST (test_chat_turn_with_documents)
{
  g_autoptr(Fixture) t = fixture_new (TRUE);
  g_autoptr(HearthMessage) reply = NULL;
  g_autoptr(HearthMessage) user = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  const char *attach[] = { "facts", NULL };
  g_auto(GStrv) attached = NULL;
  const char *prompt;
  gint64 conversation;

  fixture_start_runtime (t);
  ck_assert (hearth_runtime_set_system_prompt (t->rt, "You are terse.", &error));
  ck_assert (hearth_runtime_set_collections (t->rt, attach, &error));
  hearth_assert_no_error (error);

  reply = send_and_wait (t, QUESTION);
  ck_assert_uint_eq (t->errors->len, 0);
  conversation = hearth_runtime_get_conversation_id (t->rt);
  attached = hearth_store_dup_conversation_collections (t->store, conversation, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (attached), 1);
  ck_assert_str_eq (attached[0], "facts");

  /* What the engine got: the system prompt, then the numbered passage
   * with its file and lines, then the instruction; the question as typed. */
  ck_assert_uint_eq (t->responder->system_prompts->len, 1);
  prompt = g_ptr_array_index (t->responder->system_prompts, 0);
  ck_assert_msg (g_str_has_prefix (prompt, "You are terse.\n\nSources:\n"
                                           "[1] keeper.txt (lines 1-2): The lighthouse keeper is named Orla Penhallow."
                                           " She rows to Skerry Island every Tuesday.\n\n"),
                 "prompt: %s", prompt);
  ck_assert_ptr_null (strstr (prompt, "[2]"));
  ck_assert_ptr_null (strstr (prompt, "bread.txt"));
  ck_assert_ptr_nonnull (strstr (prompt, "like [1]"));
  ck_assert_ptr_nonnull (strstr (prompt, "If the sources do not contain the answer, say"));
  ck_assert_str_eq (g_ptr_array_index (t->responder->last_messages, 0), QUESTION);

  /* Stored: the user's message as typed; the reply with the search's hits. */
  user = hearth_store_get_message (t->store, hearth_message_get_parent_id (reply), &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_message_get_content (user), QUESTION);
  ck_assert_ptr_null (hearth_message_get_sources_json (user));
  ck_assert_str_eq (hearth_message_get_content (reply), "Orla Penhallow keeps it [1].");
  hits = expected_hits (t, "lighthouse keeper");
  ck_assert_uint_eq (hits->len, 1);
  assert_sources_equal_hits (hearth_message_get_sources_json (reply), hits);
  g_clear_object (&reply);
  g_clear_object (&user);

  /* Nothing in the collection: the notice, and no sources. */
  reply = send_and_wait (t, NOTHING_QUESTION);
  prompt = g_ptr_array_index (t->responder->system_prompts, 1);
  ck_assert_ptr_nonnull (strstr (prompt, "no relevant passage found in the attached documents"));
  ck_assert_ptr_null (strstr (prompt, "[1]"));
  ck_assert_ptr_null (strstr (prompt, "Orla"));
  ck_assert_str_eq (hearth_message_get_sources_json (reply), "[]");
  user = hearth_store_get_message (t->store, hearth_message_get_parent_id (reply), &error);
  ck_assert_str_eq (hearth_message_get_content (user), NOTHING_QUESTION);
  g_clear_object (&reply);

  /* Regenerating searches again for the same question. */
  t->finished = FALSE;
  ck_assert (hearth_runtime_regenerate (t->rt, &error));
  HEARTH_TEST_WAIT_UNTIL (t->finished, 20);
  ck_assert_uint_eq (t->responder->system_prompts->len, 3);
  ck_assert_ptr_nonnull (strstr (g_ptr_array_index (t->responder->system_prompts, 2), "no relevant passage found"));

  /* Detached: no block, no sources. */
  ck_assert (hearth_runtime_set_collections (t->rt, NULL, &error));
  reply = send_and_wait (t, QUESTION);
  ck_assert_str_eq (g_ptr_array_index (t->responder->system_prompts, 3), "You are terse.");
  ck_assert_ptr_null (hearth_message_get_sources_json (reply));
}
END_TEST

START_TEST (test_attachment_survives_reopen)
{
  g_autoptr(Fixture) t = fixture_new (TRUE);
  g_autoptr(HearthMessage) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *attach[] = { "facts", "elsewhere", NULL };
  g_auto(GStrv) attached = NULL;
  gint64 conversation;

  fixture_start_runtime (t);
  ck_assert (hearth_runtime_set_collections (t->rt, attach, &error));
  reply = send_and_wait (t, QUESTION);
  conversation = hearth_runtime_get_conversation_id (t->rt);
  /* "elsewhere" is no retriever's: said, and the reply goes on without it. */
  ck_assert_uint_eq (t->errors->len, 1);
  ck_assert_ptr_nonnull (strstr (g_ptr_array_index (t->errors, 0), "elsewhere"));
  g_clear_object (&reply);
  fixture_stop_runtime (t);
  g_clear_object (&t->index);

  /* Everything closed and opened again, keys from the keyring. */
  t->index = open_index (t->data_dir);
  fixture_start_runtime (t);
  ck_assert (hearth_runtime_set_conversation_id (t->rt, conversation, &error));
  attached = hearth_runtime_dup_collections (t->rt);
  ck_assert_uint_eq (g_strv_length (attached), 2);
  ck_assert_str_eq (attached[0], "facts");
  ck_assert_str_eq (attached[1], "elsewhere");
  reply = send_and_wait (t, "Which island does the keeper row to?");
  ck_assert_ptr_nonnull (strstr (g_ptr_array_index (t->responder->system_prompts, 0),
                                 "[1] keeper.txt (lines 1-2): "));
  {
    g_autoptr(GPtrArray) sources = hearth_reply_sources_from_json (hearth_message_get_sources_json (reply));

    ck_assert_uint_eq (sources->len, 1);
    ck_assert_str_eq (hearth_passage_get_source (g_ptr_array_index (sources, 0)), t->keeper);
  }
  /* A conversation's attachments go with it. */
  ck_assert (hearth_store_delete_conversation (t->store, conversation, &error));
  g_strfreev (attached);
  attached = hearth_store_dup_conversation_collections (t->store, conversation, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_strv_length (attached), 0);
}
END_TEST

/* Stop while the documents are searched: the reply ends before it began. */
START_TEST (test_stop_during_retrieval)
{
  g_autoptr(Fixture) t = fixture_new (TRUE);
  g_autoptr(GError) error = NULL;
  const char *attach[] = { "facts", NULL };

  fixture_start_runtime (t);
  ck_assert (hearth_runtime_set_collections (t->rt, attach, &error));
  ck_assert (hearth_runtime_send (t->rt, QUESTION, &error));
  hearth_runtime_stop (t->rt);
  HEARTH_TEST_WAIT_UNTIL (t->finished, 20);
  ck_assert_int_eq (t->finished_id, 0);
  ck_assert_uint_eq (t->responder->system_prompts->len, 0);
  ck_assert (!hearth_runtime_get_busy (t->rt));
}
END_TEST

/* ---- the store's schema ---- */

START_TEST (test_migration_from_v3)
{
  g_autoptr(Fixture) t = fixture_new (FALSE);
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(HearthStore) store = open_store (t->data_dir, 3);

    ck_assert_int_eq (hearth_store_get_schema_version (store), 3);
    ck_assert_int_eq (sqlite3_exec (_hearth_store_get_db (store),
                                    "INSERT INTO conversations (id, title, created, updated, current_leaf)"
                                    "  VALUES (5, 'Before documents', 1000, 2000, 21);"
                                    "INSERT INTO messages (id, conversation_id, parent_id, role, content, created)"
                                    "  VALUES (20, 5, NULL, 'user', 'Hello', 1000),"
                                    "         (21, 5, 20, 'assistant', 'Hi there', 1100);",
                                    NULL, NULL, NULL), SQLITE_OK);
  }
  {
    g_autoptr(HearthStore) store = open_store (t->data_dir, 0);
    g_autoptr(GPtrArray) thread = NULL;
    g_autoptr(HearthMessage) m = NULL;
    g_auto(GStrv) names = NULL;
    const char *attach[] = { "facts", "facts", "more", NULL };
    HearthMessageExtra extra;

    ck_assert_int_eq (hearth_store_get_schema_version (store), HEARTH_STORE_SCHEMA_VERSION);
    ck_assert_int_eq (HEARTH_STORE_SCHEMA_VERSION, 4);
    thread = hearth_store_get_thread (store, 5, 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (thread->len, 2);
    ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 1)), "Hi there");
    ck_assert_ptr_null (hearth_message_get_sources_json (g_ptr_array_index (thread, 1)));

    names = hearth_store_dup_conversation_collections (store, 5, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (g_strv_length (names), 0);
    g_clear_pointer (&names, g_strfreev);
    ck_assert (hearth_store_set_conversation_collections (store, 5, attach, &error));
    names = hearth_store_dup_conversation_collections (store, 5, &error);
    ck_assert_uint_eq (g_strv_length (names), 2);
    ck_assert_str_eq (names[0], "facts");
    ck_assert_str_eq (names[1], "more");
    ck_assert (!hearth_store_set_conversation_collections (store, 99, attach, &error));
    ck_assert (g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND));
    g_clear_error (&error);

    hearth_message_extra_init (&extra);
    extra.sources_json = "[]";
    m = hearth_store_append_message (store, 5, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "More",
                                     &extra, &error);
    hearth_assert_no_error (error);
    g_clear_object (&m);
    m = hearth_store_get_message (store, 22, &error);
    hearth_assert_no_error (error);
    ck_assert_str_eq (hearth_message_get_sources_json (m), "[]");
    ck_assert (hearth_store_check_integrity (store, &error));
  }
}
END_TEST

/* ---- hearth-cli chat --docs ---- */

static int
run_cli (const char  *input,
         char       **out,
         char       **err,
         const char  *first,
         ...)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set (meson test sets it)");
  g_ptr_array_add (argv, (gpointer) cli);
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  hearth_assert_no_error (error);
  g_free (*out);
  g_free (*err);
  *out = *err = NULL;
  ck_assert (g_subprocess_communicate_utf8 (proc, input, NULL, out, err, &error));
  hearth_assert_no_error (error);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : 128;
}

START_TEST (test_cli_chat_docs)
{
  g_autoptr(Fixture) t = fixture_new (FALSE);
  /* stories260K's context (128 tokens) cannot hold a block of sources;
   * the synthetic llama (random weights, a chat template) can. */
  g_autofree char *model = hearth_test_data_path ("models", "synthetic", "synth-llama-F32.gguf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *want = NULL;
  const char *reply_end;
  int rc;

  ck_assert_msg (g_file_test (model, G_FILE_TEST_EXISTS), "%s is missing", model);
  rc = run_cli (NULL, &out, &err, "docs", "add", "facts", t->docs, "--data-dir", t->data_dir, NULL);
  ck_assert_msg (rc == 0, "docs add: %s", err);

  rc = run_cli (QUESTION "\n" NOTHING_QUESTION "\n", &out, &err, "chat", "-m", model, "-n", "4",
                "--data-dir", t->data_dir, "--docs", "facts", NULL);
  ck_assert_msg (rc == 0, "chat: %s", err);
  /* After the first reply, its one source; after the second, none. */
  want = g_strdup_printf ("\n\n[1] %s lines 1-2\n", t->keeper);
  reply_end = strstr (out, want);
  ck_assert_msg (reply_end != NULL, "no source line in:\n%s", out);
  ck_assert_ptr_nonnull (strstr (reply_end, "\n\n[no relevant passage in the attached documents]\n"));
  ck_assert_ptr_null (strstr (out, "[2]"));
  ck_assert_ptr_null (strstr (out, "bread.txt"));

  /* A collection the index does not have: refused before any question. */
  rc = run_cli ("hello\n", &out, &err, "chat", "-m", model, "-n", "2", "--data-dir", t->data_dir,
                "--docs", "nothing-here", NULL);
  ck_assert_int_ne (rc, 0);
  ck_assert_ptr_nonnull (strstr (err, "--docs nothing-here"));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("doc-chat");
  TCase *tc = tcase_create ("retriever");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_retriever);
  tcase_add_test (tc, test_retriever_embeds_the_query);
  suite_add_tcase (s, tc);

  tc = tcase_create ("runtime");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_chat_turn_with_documents);
  tcase_add_test (tc, test_attachment_survives_reopen);
  tcase_add_test (tc, test_stop_during_retrieval);
  suite_add_tcase (s, tc);

  tc = tcase_create ("store");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_migration_from_v3);
  suite_add_tcase (s, tc);

  tc = tcase_create ("cli");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_cli_chat_docs);
  suite_add_tcase (s, tc);

  return hearth_test_run (s);
}
