/* test-chat.c: the chat layer: templates through the API, cache reuse, overflow, stops
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static HearthModel *
load_stories (void)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  HearthModel *model = hearth_model_load (path, NULL, &error);

  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  return model;
}

static HearthSession *
new_session (HearthModel *model,
             guint32      n_ctx)
{
  HearthSessionParams sp;
  g_autoptr(GError) error = NULL;
  HearthSession *s;

  hearth_session_params_init (&sp);
  sp.n_ctx = n_ctx;
  s = hearth_session_new (model, &sp, &error);
  ck_assert_msg (s != NULL, "%s", error ? error->message : "");
  return s;
}

static char *
read_text (const char *first,
           ...)
{
  g_autoptr(GBytes) b = NULL;
  g_autofree char *path = NULL;
  va_list args;
  GPtrArray *parts = g_ptr_array_new ();

  va_start (args, first);
  for (const char *p = first; p; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  path = g_build_filenamev ((char **) parts->pdata);
  g_ptr_array_free (parts, TRUE);
  b = hearth_test_load_data ("templates", path, NULL);
  return g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

/* The kit's conversation 06 (tools, a call, its result) built through the
 * chat API renders exactly as the reference rendering of the Qwen2.5 template. */
START_TEST (test_tool_round_trip_renders_reference)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autofree char *tmpl = read_text ("Qwen-Qwen2.5-7B-Instruct", "template.jinja", NULL);
  g_autofree char *expected = read_text ("Qwen-Qwen2.5-7B-Instruct", "06_tool_call_and_result.txt", NULL);
  g_autofree char *expected05 = read_text ("Qwen-Qwen2.5-7B-Instruct", "05_tools.txt", NULL);
  g_autoptr(GBytes) messages_json = hearth_test_load_data ("templates", "messages.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJsonValue) convs = hearth_json_parse (g_bytes_get_data (messages_json, NULL),
                                                        (gssize) g_bytes_get_size (messages_json), &error);
  HearthJsonValue *tools = hearth_json_object_get (hearth_json_array_get (convs, 5), "tools");
  g_autoptr(HearthChat) chat = hearth_chat_new_with_template (session, tmpl, &error);
  const char *model_output =
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>";
  g_autoptr(HearthToolCalls) calls = NULL;
  g_autofree char *rendered05 = NULL;
  g_autofree char *rendered = NULL;

  ck_assert_ptr_nonnull (chat);
  ck_assert_ptr_nonnull (tools);
  hearth_chat_set_system_prompt (chat, "You are a concise assistant.");
  hearth_chat_set_tools (chat, tools);
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "What's the weather in Paris?");
  rendered05 = hearth_chat_render (chat, TRUE, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (rendered05, expected05);

  /* What a model would answer, parsed and fed back as a structured call. */
  calls = hearth_tool_calls_parse (model_output, -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
  ck_assert_ptr_nonnull (calls);
  ck_assert_uint_eq (hearth_tool_calls_get_n_valid (calls), 1);
  hearth_chat_add_tool_calls (chat, "", calls);
  hearth_chat_add_tool_result (chat, "call12345", "get_weather", "{\"temperature\": 18, \"condition\": \"sunny\"}");
  rendered = hearth_chat_render (chat, TRUE, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (rendered, expected);
}
END_TEST

/* Tokenizes a rendered prompt the way the chat layer does. */
static GArray *
tokenize_like_chat (HearthModel *model,
                    const char  *text)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (model);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  gint32 bos = hearth_tokenizer_get_bos (tok);

  ck_assert (hearth_tokenizer_encode (tok, text, -1, HEARTH_TOKENIZE_PARSE_SPECIAL, ids, &error));
  if (hearth_tokenizer_get_add_bos (tok) && (ids->len == 0 || g_array_index (ids, gint32, 0) != bos))
    g_array_prepend_val (ids, bos);
  return ids;
}

static guint
common_prefix (HearthSession *s,
               GArray        *ids)
{
  const gint32 *cached = hearth_session_get_tokens (s);
  guint n = 0;

  while (n < hearth_session_get_n_past (s) && n < ids->len && cached[n] == g_array_index (ids, gint32, n))
    n++;
  return n;
}

/* The second turn of a conversation runs only the tokens the cache does not
 * hold, and its logits equal a from-scratch evaluation. */
START_TEST (test_prefix_reuse)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 512);
  g_autoptr(HearthSession) fresh = new_session (model, 512);
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthChat) chat = hearth_chat_new (session, &error);
  g_autoptr(GArray) ids2 = NULL;
  g_autoptr(GArray) ids3 = NULL;
  g_autofree char *text2 = NULL;
  g_autofree char *text3 = NULL;
  HearthChatParams cp;
  HearthChatReply reply;
  guint32 n_eval = 0;
  guint lcp, n_vocab = hearth_model_get_n_vocab (model);
  const float *a, *b;
  double max_abs = 0.0;
  guint best_a = 0, best_b = 0;

  ck_assert_ptr_nonnull (chat);
  ck_assert (hearth_chat_uses_default_template (chat));
  hearth_chat_params_init (&cp);
  cp.max_tokens = 8;

  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Once upon a time");
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  ck_assert_uint_eq (reply.gen.n_prompt_eval, reply.n_prompt_tokens);  /* nothing cached yet */
  ck_assert_uint_eq (reply.gen.n_generated, 8);
  ck_assert_uint_eq (reply.n_dropped, 0);
  ck_assert_uint_eq (hearth_chat_get_n_messages (chat), 2);
  hearth_chat_reply_clear (&reply);

  /* Turn 2 through prefill: count the new tokens independently. */
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "The dog ran");
  text2 = hearth_chat_render (chat, TRUE, &error);
  ids2 = tokenize_like_chat (model, text2);
  lcp = common_prefix (session, ids2);
  ck_assert_uint_gt (lcp, 10);
  ck_assert (hearth_session_prefill (session, (gint32 *) ids2->data, ids2->len, NULL, &n_eval, &error));
  ck_assert_uint_eq (n_eval, ids2->len - lcp);
  ck_assert_uint_lt (n_eval, ids2->len);

  ck_assert (hearth_session_decode (fresh, (gint32 *) ids2->data, ids2->len, FALSE, NULL, &error));
  a = hearth_session_get_logits (session, -1);
  b = hearth_session_get_logits (fresh, -1);
  for (guint v = 0; v < n_vocab; v++)
    {
      max_abs = MAX (max_abs, fabs ((double) a[v] - b[v]));
      best_a = a[v] > a[best_a] ? v : best_a;
      best_b = b[v] > b[best_b] ? v : best_b;
    }
  /* The stories260K bound against exact arithmetic (reference/tolerances.json). */
  ck_assert_msg (max_abs <= 0.05, "cached vs fresh logits differ by %g", max_abs);
  ck_assert_uint_eq (best_a, best_b);

  /* Turn 2's reply, then turn 3 through respond: it reports the same count. */
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  ck_assert_uint_eq (reply.gen.n_prompt_eval, 1);  /* everything was cached but the last token */
  hearth_chat_reply_clear (&reply);
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "A cat");
  text3 = hearth_chat_render (chat, TRUE, &error);
  ids3 = tokenize_like_chat (model, text3);
  lcp = common_prefix (session, ids3);
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  ck_assert_uint_eq (reply.n_dropped, 0);
  ck_assert_uint_eq (reply.n_prompt_tokens, ids3->len);
  ck_assert_uint_eq (reply.gen.n_prompt_eval, ids3->len - lcp);
  hearth_chat_reply_clear (&reply);
}
END_TEST

/* A 6-turn chat: from turn 2 on, the prompt is the previous turn's tokens
 * as generated plus the new tail, and exactly the tail runs: the tokens
 * that ran decode to the new rendering less the previous prompt's rendering
 * and the reply's text. At the end, the logits of the
 * whole sequence equal a fresh session's over the same tokens, within the
 * model's bound against exact arithmetic (reference/tolerances.json). */
static const char chatml[] =
  "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/* _i 0: the shared synth-qwen3-F32 (a SentencePiece vocabulary: the tail
 * is cut from the whole rendering's tokens); 1: a model made here with
 * Qwen3's BPE vocabulary from the shared tokenizers (`hearth-cli
 * synth-model --vocab-from`; the tail is tokenized alone). */
static char *
reuse_model_path (int   variant,
                  char **tmp_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *vocab = NULL;
  char *path;
  int status = -1;

  *tmp_dir = NULL;
  if (variant == 0)
    return hearth_test_data_path ("models", "synthetic", "synth-qwen3-F32.gguf", NULL);
  *tmp_dir = g_dir_make_tmp ("hearth-chat-XXXXXX", &error);
  ck_assert_msg (*tmp_dir != NULL, "%s", error ? error->message : "");
  path = g_build_filename (*tmp_dir, "synth-qwen3-vocab.gguf", NULL);
  vocab = hearth_test_data_path ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);
  {
    const char *argv[] = { g_getenv ("HEARTH_CLI"), "synth-model", path, "--dim", "64", "--ff", "128",
                           "--layers", "2", "--heads", "4", "--kv-heads", "2", "--vocab", "151936",
                           "--ctx", "1024", "--type", "F32", "-t", "1", "--vocab-from", vocab, NULL };

    ck_assert_msg (argv[0] != NULL, "HEARTH_CLI is not set");
    ck_assert_msg (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                                 &status, &error), "%s", error ? error->message : "");
    ck_assert_msg (g_spawn_check_wait_status (status, &error), "synth-model: %s", error->message);
  }
  return path;
}

START_TEST (test_reuse_generated_tokens)
{
  g_autofree char *tmp_dir = NULL;
  g_autofree char *path = reuse_model_path (_i, &tmp_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = hearth_model_load (path, NULL, &error);
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSession) fresh = NULL;
  g_autoptr(HearthSampler) sampler = NULL;
  g_autoptr(HearthChat) chat = NULL;
  HearthTokenizer *tok;
  HearthSamplerParams spar;
  HearthChatParams cp;
  g_autofree char *prev = NULL;
  guint n_vocab;
  double max_abs = 0.0;
  const float *a, *b;

  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  tok = hearth_model_get_tokenizer (model);
  n_vocab = hearth_model_get_n_vocab (model);
  session = new_session (model, 1024);
  fresh = new_session (model, 1024);
  hearth_sampler_params_init (&spar);
  spar.temperature = 1.0f;
  spar.seed = 7;
  sampler = hearth_sampler_new (&spar);
  chat = hearth_chat_new_with_template (session, chatml, &error);
  ck_assert_msg (chat != NULL, "%s", error ? error->message : "");
  hearth_chat_params_init (&cp);
  cp.max_tokens = 12;

  for (guint turn = 1; turn <= 6; turn++)
    {
      g_autofree char *user = g_strdup_printf ("Question %u: what comes after %u?", turn, turn * 7);
      g_autofree char *rendered = NULL;
      guint32 held = hearth_session_get_n_past (session);
      HearthChatReply reply;

      hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, user);
      rendered = hearth_chat_render (chat, TRUE, &error);
      ck_assert_ptr_nonnull (rendered);
      ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
      if (turn == 1)
        {
          ck_assert_uint_eq (reply.n_reused_tokens, 0);
          ck_assert_uint_eq (reply.gen.n_prompt_eval, reply.n_prompt_tokens);
        }
      else
        {
          const gint32 *ran = hearth_session_get_tokens (session) + held;
          g_autofree char *spelled = NULL;

          ck_assert_msg (g_str_has_prefix (rendered, prev), "turn %u: the rendering changed earlier turns", turn);
          ck_assert_uint_eq (reply.n_reused_tokens, held);
          ck_assert_msg (reply.gen.n_prompt_eval == reply.n_prompt_tokens - held,
                         "turn %u ran %u prompt tokens of %u, %u were held", turn, reply.gen.n_prompt_eval,
                         reply.n_prompt_tokens, held);
          /* What ran spells exactly the new text. */
          spelled = hearth_tokenizer_decode (tok, ran, reply.gen.n_prompt_eval, TRUE, NULL);
          ck_assert_str_eq (spelled, rendered + strlen (prev));
        }
      g_free (prev);
      prev = g_strconcat (rendered, reply.text, NULL);
      hearth_chat_reply_clear (&reply);
    }

  /* The session ends on its last generated token; run the same tokens fresh. */
  ck_assert (hearth_session_decode (fresh, hearth_session_get_tokens (session), hearth_session_get_n_past (session),
                                    FALSE, NULL, &error));
  a = hearth_session_get_logits (session, -1);
  b = hearth_session_get_logits (fresh, -1);
  for (guint v = 0; v < n_vocab; v++)
    max_abs = MAX (max_abs, fabs ((double) a[v] - b[v]));
  ck_assert_msg (max_abs <= 0.05, "reused vs fresh logits differ by %g", max_abs);
  if (tmp_dir != NULL)
    hearth_test_rm_rf (tmp_dir);
}
END_TEST

/* A template that rewrites earlier turns (here: an earlier reply shows as
 * "(earlier reply)") falls back to tokenizing the whole rendering; the
 * cache is then reused by comparing tokens, up to the rewritten reply. */
START_TEST (test_reuse_falls_back)
{
  static const char rewriting[] =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n"
    "{% if m.role == 'assistant' %}(earlier reply){% else %}{{ m.content }}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", "synth-qwen3-F32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = hearth_model_load (path, NULL, &error);
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(HearthChat) chat = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  HearthChatParams cp;
  HearthChatReply reply;
  guint lcp;

  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 1024);
  chat = hearth_chat_new_with_template (session, rewriting, &error);
  ck_assert_msg (chat != NULL, "%s", error ? error->message : "");
  hearth_chat_params_init (&cp);
  cp.max_tokens = 6;
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "First question");
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  hearth_chat_reply_clear (&reply);

  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Second question");
  text = hearth_chat_render (chat, TRUE, &error);
  ids = tokenize_like_chat (model, text);
  lcp = common_prefix (session, ids);
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  ck_assert_uint_eq (reply.n_reused_tokens, 0);
  ck_assert_uint_eq (reply.n_prompt_tokens, ids->len);
  ck_assert_uint_eq (reply.gen.n_prompt_eval, ids->len - lcp);
  hearth_chat_reply_clear (&reply);
}
END_TEST

/* Editing an earlier turn re-runs from the first changed token only. */
START_TEST (test_edit_truncates_at_divergence)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthChat) chat = hearth_chat_new (session, &error);
  g_autoptr(GArray) ids = NULL;
  g_autofree char *text = NULL;
  HearthChatParams cp;
  HearthChatReply reply;
  guint lcp;

  hearth_chat_params_init (&cp);
  cp.max_tokens = 6;
  hearth_chat_set_system_prompt (chat, "Tell a story.");
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Once upon a time there was a dog");
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  hearth_chat_reply_clear (&reply);

  hearth_chat_truncate (chat, 0);
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Once upon a time there was a cat");
  text = hearth_chat_render (chat, TRUE, &error);
  ids = tokenize_like_chat (model, text);
  lcp = common_prefix (session, ids);
  ck_assert_uint_gt (lcp, 5);
  ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  ck_assert_uint_eq (reply.gen.n_prompt_eval, ids->len - lcp);
  ck_assert_uint_eq (hearth_chat_get_n_messages (chat), 2);
  hearth_chat_reply_clear (&reply);
}
END_TEST

/* When the history outgrows the context, the oldest turns are left out, the
 * system prompt and the latest message stay, and the caller is told. */
START_TEST (test_context_overflow)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthChat) chat = hearth_chat_new (session, &error);
  g_autoptr(GString) huge = g_string_new (NULL);
  HearthChatParams cp;
  HearthChatReply reply;
  g_autoptr(GArray) ids = NULL;

  hearth_chat_params_init (&cp);
  cp.max_tokens = 4;
  hearth_chat_set_system_prompt (chat, "Tell a story.");
  for (int i = 0; i < 4; i++)
    {
      hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "The little girl went to the park with her mom.");
      hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_ASSISTANT, "She saw a big red ball and played all day.");
    }
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "The end");
  ck_assert_msg (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error), "%s",
                 error ? error->message : "");
  ck_assert_uint_gt (reply.n_dropped, 0);
  ck_assert_uint_eq (reply.n_dropped % 2, 0);  /* whole turns */
  ck_assert_uint_le (reply.n_prompt_tokens + cp.max_tokens, 128);
  ck_assert_uint_eq (hearth_chat_get_n_messages (chat), 10);  /* nothing is deleted from the conversation */
  {
    /* What ran is the system prompt plus the newest turns. */
    const gint32 *cached = hearth_session_get_tokens (session);
    g_autofree char *seen = hearth_tokenizer_decode (hearth_model_get_tokenizer (model), cached,
                                                      reply.n_prompt_tokens, TRUE, NULL);
    ck_assert_msg (strstr (seen, "Tell a story.") != NULL, "%s", seen);
    ck_assert_msg (strstr (seen, "The end") != NULL, "%s", seen);
  }
  hearth_chat_reply_clear (&reply);

  /* A latest message too long for the context alone: an error, nothing added. */
  for (int i = 0; i < 40; i++)
    g_string_append (huge, "the big dog ran to the park ");
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, huge->str);
  ck_assert (!hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_CONTEXT_FULL);
  ck_assert_uint_eq (hearth_chat_get_n_messages (chat), 11);
  (void) ids;
}
END_TEST

typedef struct
{
  GString *text;
  guint    pieces;
  const char *forbidden;  /* no piece may end with a prefix of this */
  GCancellable *cancel_after_3;
} Collect;

static gboolean
collect (const char *piece,
         gsize       len,
         gint32      token,
         gpointer    data)
{
  Collect *c = data;

  g_string_append_len (c->text, piece, (gssize) len);
  c->pieces++;
  if (c->cancel_after_3 != NULL && c->pieces == 3)
    g_cancellable_cancel (c->cancel_after_3);
  return TRUE;
}

static char *
generate_text (HearthModel  *model,
               const char  *const *stops,
               HearthGenerateResult *res)
{
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  HearthGenerateParams gp;
  Collect c = { g_string_new (NULL), 0, NULL, NULL };

  ck_assert (hearth_tokenizer_encode (hearth_model_get_tokenizer (model), "Once upon a time", -1,
                                      HEARTH_TOKENIZE_ADD_SPECIAL, ids, &error));
  hearth_generate_params_init (&gp);
  gp.max_tokens = 20;
  gp.stop_strings = stops;
  ck_assert (hearth_session_generate (session, sampler, (gint32 *) ids->data, ids->len, &gp,
                                      collect, &c, NULL, res, &error));
  return g_string_free (c.text, FALSE);
}

/* The reference continuation of stories260K is ", there was a little girl
 * named Lily. She loved to play ..." (reference/stories260K-f32.json). */
START_TEST (test_stop_strings)
{
  g_autoptr(HearthModel) model = load_stories ();
  const char *const girl[] = { "girl named", NULL };
  const char *const never[] = { "zebra", NULL };
  const char *const two[] = { "", "park", "Lily.", NULL };  /* an empty stop string is ignored */
  HearthGenerateResult res;
  g_autofree char *a = generate_text (model, girl, &res);
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;

  ck_assert_str_eq (a, ", there was a little ");
  ck_assert_int_eq (res.reason, HEARTH_STOP_STRING);

  b = generate_text (model, never, &res);
  ck_assert_int_eq (res.reason, HEARTH_STOP_LIMIT);
  ck_assert_uint_eq (res.n_generated, 20);
  ck_assert (g_str_has_prefix (b, ", there was a little girl named Lily. She loved to play"));

  c = generate_text (model, two, &res);  /* the earliest of two stop strings wins */
  ck_assert_str_eq (c, ", there was a little girl named ");
}
END_TEST

/* Stopping mid-reply keeps what was generated, as the conversation's reply. */
START_TEST (test_cancel_keeps_partial)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthChat) chat = hearth_chat_new (session, &error);
  Collect c = { g_string_new (NULL), 0, NULL, cancellable };
  HearthChatReply reply;

  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Once upon a time");
  ck_assert (hearth_chat_respond (chat, sampler, NULL, collect, &c, cancellable, &reply, &error));
  ck_assert_int_eq (reply.gen.reason, HEARTH_STOP_CANCELLED);
  ck_assert_uint_eq (c.pieces, 3);
  ck_assert_str_eq (reply.text, c.text->str);
  ck_assert_uint_gt (strlen (reply.text), 0);
  ck_assert_uint_eq (hearth_chat_get_n_messages (chat), 2);
  hearth_chat_reply_clear (&reply);
  g_string_free (c.text, TRUE);
}
END_TEST

START_TEST (test_bad_template)
{
  g_autoptr(HearthModel) model = load_stories ();
  g_autoptr(HearthSession) session = new_session (model, 128);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthChat) chat = hearth_chat_new_with_template (session, "{% for m in messages %}", &error);
  g_autoptr(HearthChat) raising = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  HearthChatReply reply;

  ck_assert_ptr_null (chat);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TEMPLATE);
  ck_assert_msg (strstr (error->message, "line 1") != NULL, "%s", error->message);
  g_clear_error (&error);
  raising = hearth_chat_new_with_template (session, "{{ raise_exception('no system role') }}", &error);
  ck_assert_ptr_nonnull (raising);
  hearth_chat_add_message (raising, HEARTH_CHAT_ROLE_USER, "hi");
  ck_assert (!hearth_chat_respond (raising, sampler, NULL, NULL, NULL, NULL, &reply, &error));
  ck_assert_msg (error != NULL && strstr (error->message, "no system role") != NULL, "%s",
                 error ? error->message : "");
}
END_TEST

static Suite *
chat_suite (void)
{
  Suite *s = suite_create ("chat");
  TCase *tc = tcase_create ("chat");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_tool_round_trip_renders_reference);
  tcase_add_test (tc, test_prefix_reuse);
  tcase_add_loop_test (tc, test_reuse_generated_tokens, 0, 2);
  tcase_add_test (tc, test_reuse_falls_back);
  tcase_add_test (tc, test_edit_truncates_at_divergence);
  tcase_add_test (tc, test_context_overflow);
  tcase_add_test (tc, test_stop_strings);
  tcase_add_test (tc, test_cancel_keeps_partial);
  tcase_add_test (tc, test_bad_template);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (chat_suite ());
}
