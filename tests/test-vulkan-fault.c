/* test-vulkan-fault.c: device loss and failed allocations on the Vulkan backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lavapipe never loses its device and seldom runs out of memory, so these
 * tests use the layer's fault hook (HEARTH_VK_FAULT, params.fault; see
 * hearth-vk.h) to make the Nth submit, fence wait, allocation or mapping
 * fail. What they hold the backend to: every failure is a GError with
 * HEARTH_ENGINE_ERROR_DEVICE (a lost device's message names the device and
 * says to reload the model), later calls on a lost device fail at once with
 * the same message, nothing hangs (each case runs under the tcase timeout)
 * and everything can be freed (ASan checks the leaks); a model loaded again
 * afterwards gives the reference logits (reference/tolerances.json) and the
 * reference greedy continuation.
 */
#include "hearth-config.h"

#include <string.h>
#include <sys/wait.h>

#include "hearth-test-logits.h"
#include "hearth-test-vulkan.h"
#include "hearth-vk-ops.h"
#include "hearth-vk.h"

#define STEM "stories260K-f32"

/* ---- the layer ---- */

static HearthVkContext *
fault_context (const char *fault,
               GError    **error)
{
  HearthVkContextParams p;

  hearth_vk_context_params_init (&p);
  p.fault = fault;
  return hearth_vk_context_new (&p, error);
}

static void
assert_lost (const GError    *error,
             HearthVkContext *ctx)
{
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  ck_assert_msg (strstr (error->message, "was lost") != NULL && strstr (error->message, "must be reloaded") != NULL &&
                 strstr (error->message, hearth_vk_context_get_device_name (ctx)) != NULL, "%s", error->message);
}

/* a + b on the device, checked against the host sum. */
static gboolean
run_add (HearthVkContext *ctx,
         HearthVkBuffer  *a,
         HearthVkBuffer  *b,
         HearthVkBuffer  *y,
         const float     *ha,
         const float     *hb,
         guint            n,
         GError         **error)
{
  g_autoptr(HearthVkSequence) seq = hearth_vk_sequence_new (ctx, error);
  g_autofree float *got = g_new (float, n);

  if (seq == NULL || !hearth_vk_sequence_begin (seq, error) ||
      !hearth_vk_op_binary (seq, HEARTH_VK_BINARY_ADD, a, 0, b, 0, n, y, 0, n, error) ||
      !hearth_vk_sequence_end (seq, error) || !hearth_vk_sequence_submit (seq, error) ||
      !hearth_vk_buffer_download (ctx, y, 0, got, n * sizeof (float), error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    ck_assert_msg (got[i] == ha[i] + hb[i], "%u: %g != %g", i, got[i], ha[i] + hb[i]);
  return TRUE;
}

/* The device is lost at the second sum (or at the download of the first):
 * the first sum was right; from then on every call fails at once with the
 * same error, and freeing works. Staged (the discrete-GPU path, each
 * transfer a submit of its own) so the counts hold on every device: the
 * two uploads are transfers 1 and 2 (fences 1, 2), the sum submit 1 (fence
 * 3), its download transfer 3 (fence 4), the second sum submit 2 (fence 5). */
START_TEST (test_layer_lost)
{
  static const char *const faults[] = { "staged,submit:2:device-lost", "staged,transfer:3:device-lost",
                                        "staged,fence:5:device-lost", "staged,fence:5:timeout" };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthVkContext) ctx = fault_context (faults[_i], &error);
  g_autoptr(HearthVkSequence) recorded = NULL;
  g_autofree char *first = NULL;
  HearthVkBuffer *a, *b, *y;
  float ha[64], hb[64], out[64];

  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (ha); i++)
    {
      ha[i] = (float) i * 0.5f;
      hb[i] = 3.0f - (float) i;
    }
  a = hearth_vk_buffer_new (ctx, sizeof ha, &error);
  b = hearth_vk_buffer_new (ctx, sizeof hb, &error);
  y = hearth_vk_buffer_new (ctx, sizeof ha, &error);
  ck_assert_msg (a != NULL && b != NULL && y != NULL, "%s", error ? error->message : "");
  ck_assert_msg (hearth_vk_buffer_upload (ctx, a, 0, ha, sizeof ha, &error) &&
                 hearth_vk_buffer_upload (ctx, b, 0, hb, sizeof hb, &error), "%s", error ? error->message : "");
  /* Recorded before the loss and never submitted (like a session's decode step). */
  recorded = hearth_vk_sequence_new (ctx, &error);
  ck_assert_msg (recorded != NULL && hearth_vk_sequence_begin (recorded, &error) &&
                 hearth_vk_op_binary (recorded, HEARTH_VK_BINARY_ADD, a, 0, b, 0, 64, y, 0, 64, &error) &&
                 hearth_vk_sequence_end (recorded, &error), "%s", error ? error->message : "");
  if (_i == 1)
    {
      ck_assert (!run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error));
    }
  else
    {
      ck_assert_msg (run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error), "%s", error ? error->message : "");
      ck_assert (!hearth_vk_context_is_lost (ctx));
      ck_assert (!run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error));
    }
  assert_lost (error, ctx);
  if (_i == 3)
    ck_assert_msg (strstr (error->message, "no answer in time") != NULL, "%s", error->message);
  ck_assert (hearth_vk_context_is_lost (ctx));
  first = g_strdup (error->message);
  g_clear_error (&error);

  /* Every later call fails at once, with the same message. */
#define SAME_ERROR(call) \
  G_STMT_START { \
    ck_assert (!(call)); \
    assert_lost (error, ctx); \
    ck_assert_str_eq (error->message, first); \
    g_clear_error (&error); \
  } G_STMT_END
  SAME_ERROR (hearth_vk_buffer_new (ctx, 256, &error) != NULL);
  SAME_ERROR (hearth_vk_buffer_new_host (ctx, 256, &error) != NULL);
  SAME_ERROR (hearth_vk_buffer_upload (ctx, a, 0, ha, sizeof ha, &error));
  SAME_ERROR (hearth_vk_buffer_download (ctx, y, 0, out, sizeof out, &error));
  SAME_ERROR (hearth_vk_sequence_new (ctx, &error) != NULL);
  SAME_ERROR (hearth_vk_context_get_kernel (ctx, "add", 3, sizeof (struct HearthVkPushBinary), 64, &error) != NULL);
  SAME_ERROR (hearth_vk_matrix_new (ctx, HEARTH_GGML_TYPE_F32, ha, 4, 16, 64, &error) != NULL);
  SAME_ERROR (run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error));
  SAME_ERROR (hearth_vk_sequence_submit (recorded, &error));
  SAME_ERROR (hearth_vk_sequence_begin (recorded, &error));
#undef SAME_ERROR
  hearth_vk_buffer_free (ctx, a);
  hearth_vk_buffer_free (ctx, b);
  hearth_vk_buffer_free (ctx, y);
  ck_assert_uint_eq (hearth_vk_context_get_allocated (ctx), 0);
}
END_TEST

/* A :once fault is the first context's only: the second context made with
 * the same value runs the sum right, and a plain item still applies. */
START_TEST (test_layer_once)
{
  static const char *const values[] = { "staged,submit:1:device-lost:once", "staged,submit:1:device-lost:once",
                                        "staged,submit:1:device-lost:once,submit:2:device-lost" };
  static const gboolean lost_at[][2] = { { TRUE, TRUE }, { FALSE, FALSE }, { FALSE, TRUE } };
  float ha[64], hb[64];

  for (guint i = 0; i < G_N_ELEMENTS (ha); i++)
    {
      ha[i] = (float) i * 0.25f;
      hb[i] = 1.0f - (float) i;
    }
  for (guint c = 0; c < G_N_ELEMENTS (values); c++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthVkContext) ctx = fault_context (values[c], &error);
      HearthVkBuffer *a, *b, *y;

      ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
      a = hearth_vk_buffer_new (ctx, sizeof ha, &error);
      b = hearth_vk_buffer_new (ctx, sizeof hb, &error);
      y = hearth_vk_buffer_new (ctx, sizeof ha, &error);
      ck_assert_msg (a != NULL && b != NULL && y != NULL, "%s", error ? error->message : "");
      ck_assert_msg (hearth_vk_buffer_upload (ctx, a, 0, ha, sizeof ha, &error) &&
                     hearth_vk_buffer_upload (ctx, b, 0, hb, sizeof hb, &error), "%s", error ? error->message : "");
      for (guint k = 0; k < 2; k++)
        {
          if (lost_at[c][k])
            {
              ck_assert_msg (!run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error),
                             "context %u, sum %u: no fault", c, k);
              assert_lost (error, ctx);
              g_clear_error (&error);
            }
          else
            ck_assert_msg (run_add (ctx, a, b, y, ha, hb, G_N_ELEMENTS (ha), &error),
                           "context %u, sum %u: %s", c, k, error ? error->message : "");
        }
      ck_assert (hearth_vk_context_is_lost (ctx) == (lost_at[c][0] || lost_at[c][1]));
      hearth_vk_buffer_free (ctx, a);
      hearth_vk_buffer_free (ctx, b);
      hearth_vk_buffer_free (ctx, y);
    }
}
END_TEST

static HearthVkBuffer *
new_buffer (HearthVkContext *ctx,
            gboolean         host,
            gsize            size,
            GError         **error)
{
  return host ? hearth_vk_buffer_new_host (ctx, size, error) : hearth_vk_buffer_new (ctx, size, error);
}

/* A failed allocation names its size and the device, and is not fatal.
 * Staged, so only host buffers are mapped, on every device. */
START_TEST (test_layer_oom)
{
  static const char *const faults[] = { "staged,alloc:2:oom-device", "staged,alloc:2:oom-host", "staged,map:2:oom-host" };
  static const char *const reasons[] = { "out of device memory", "out of host memory", "out of host memory" };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthVkContext) ctx = fault_context (faults[_i], &error);
  gboolean host = _i == 2;
  HearthVkBuffer *a, *b;
  float ha[100], hb[100], out[100];
  guint64 one;

  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  a = new_buffer (ctx, host, sizeof ha, &error);
  ck_assert_msg (a != NULL, "%s", error ? error->message : "");
  one = hearth_vk_context_get_allocated (ctx);
  ck_assert_ptr_null (new_buffer (ctx, host, 123456, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  ck_assert_msg (strstr (error->message, reasons[_i]) != NULL &&
                 strstr (error->message, hearth_vk_context_get_device_name (ctx)) != NULL, "%s", error->message);
  if (_i < 2)
    ck_assert_msg (strstr (error->message, "123456 bytes") != NULL && strstr (error->message, "cannot allocate") != NULL,
                   "%s", error->message);
  g_clear_error (&error);
  /* Nothing of the failed buffer is counted, and the context goes on. */
  ck_assert_uint_eq (hearth_vk_context_get_allocated (ctx), one);
  ck_assert (!hearth_vk_context_is_lost (ctx));
  b = new_buffer (ctx, host, sizeof hb, &error);
  ck_assert_msg (b != NULL, "%s", error ? error->message : "");
  for (guint i = 0; i < G_N_ELEMENTS (ha); i++)
    {
      ha[i] = (float) i;
      hb[i] = 1.0f / (float) (i + 1);
    }
  ck_assert (hearth_vk_buffer_upload (ctx, a, 0, ha, sizeof ha, &error));
  ck_assert (hearth_vk_buffer_upload (ctx, b, 0, hb, sizeof hb, &error));
  ck_assert_msg (run_add (ctx, a, b, b, ha, hb, G_N_ELEMENTS (ha), &error), "%s", error ? error->message : "");
  ck_assert (hearth_vk_buffer_download (ctx, a, 0, out, sizeof out, &error));
  ck_assert (memcmp (out, ha, sizeof ha) == 0);
  hearth_vk_buffer_free (ctx, a);
  hearth_vk_buffer_free (ctx, b);
  ck_assert_uint_eq (hearth_vk_context_get_allocated (ctx), 0);
}
END_TEST

/* A typo in the hook is an error, never a quiet run without the fault. */
START_TEST (test_malformed)
{
  static const char *const bad[] = { "submit", "submit:0:device-lost", "submit:x:device-lost", "submit:-1:device-lost",
                                     "sumbit:1:device-lost", "alloc:1:oom", "alloc:1:oom-host:2", "alloc:1:oom-host,fence",
                                     "submit:99999999999999999999:device-lost", "submit:1:timeout",
                                     "submit:1:device-lost:twice", "submit:1:device-lost:once:once" };
  g_autoptr(GError) error = NULL;
  HearthVkContext *ctx;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      ck_assert_ptr_null (fault_context (bad[i], &error));
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
      ck_assert_msg (strstr (error->message, "HEARTH_VK_FAULT") != NULL && strstr (error->message, "CLASS:N:RESULT") != NULL,
                     "%s: %s", bad[i], error->message);
      g_clear_error (&error);
    }
  /* The environment is read when params.fault is not set. */
  g_setenv ("HEARTH_VK_FAULT", "alloc:one:oom-host", TRUE);
  ck_assert_ptr_null (fault_context (NULL, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  ck_assert_msg (strstr (error->message, "alloc:one:oom-host") != NULL, "%s", error->message);
  g_clear_error (&error);
  /* Empty is no fault; params.fault overrides the environment. */
  ctx = fault_context ("", &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  hearth_vk_context_free (ctx);
  ctx = fault_context (" submit:1:device-lost , alloc:3:oom-device ", &error);
  ck_assert_msg (ctx != NULL, "%s", error ? error->message : "");
  hearth_vk_context_free (ctx);
}
END_TEST

/* ---- models and sessions ---- */

static void
vulkan_params (HearthModelParams *mp)
{
  hearth_model_params_init (mp);
  mp->backend = HEARTH_BACKEND_VULKAN;
  mp->n_threads = 2;
}

static char *
model_path (void)
{
  return hearth_test_data_path ("models", "stories260K", STEM ".gguf", NULL);
}

static void
assert_model_lost (const GError *error)
{
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  /* lavapipe's name starts with llvmpipe; other devices are named too. */
  ck_assert_msg (strstr (error->message, "the GPU device ") != NULL && strstr (error->message, "was lost") != NULL &&
                 strstr (error->message, "the model must be reloaded") != NULL, "%s", error->message);
}

static HearthSession *
new_session (HearthModel *model,
             guint32      n_batch,
             GError     **error)
{
  HearthSessionParams sp;

  hearth_session_params_init (&sp);
  sp.n_ctx = 128;
  sp.n_batch = n_batch;
  return hearth_session_new (model, &sp, error);
}

static GArray *
reference_ids (JsonObject *o,
               const char *member)
{
  JsonArray *a = json_object_get_array_member (o, member);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      gint32 id = (gint32) json_array_get_int_element (a, i);
      g_array_append_val (ids, id);
    }
  return ids;
}

typedef struct
{
  GArray *ids;
} Collected;

static gboolean
collect (const char *text,
         gsize       len,
         gint32      token,
         gpointer    user_data)
{
  Collected *c = user_data;

  if (token >= 0)
    g_array_append_val (c->ids, token);
  return TRUE;
}

/* @session (n_ctx 128, empty) decodes the reference ids teacher-forced
 * and its logits are within the reference bounds. */
static void
check_session_logits (HearthModel   *model,
                      HearthSession *session)
{
  g_autofree char *model_rel = NULL;
  g_autoptr(GArray) ids = hearth_test_all_ids_for (STEM, &model_rel);
  g_autoptr(GBytes) exact = hearth_test_load_data ("reference", STEM ".exact.logits.f32", NULL);
  HearthTestBounds b = hearth_test_bounds_for (STEM);
  g_autoptr(GError) error = NULL;
  guint n_vocab = hearth_model_get_n_vocab (model);
  g_autofree float *got = g_new (float, (gsize) ids->len * n_vocab);
  HearthTestDeviation d;

  ck_assert_uint_eq (g_bytes_get_size (exact), (gsize) ids->len * n_vocab * sizeof (float));
  ck_assert_msg (hearth_session_decode (session, (const gint32 *) ids->data, ids->len, TRUE, NULL, &error),
                 "%s", error ? error->message : "");
  for (guint p = 0; p < ids->len; p++)
    memcpy (got + (gsize) p * n_vocab, hearth_session_get_logits (session, (int) p), n_vocab * sizeof (float));
  d = hearth_test_compare_logits (got, g_bytes_get_data (exact, NULL), ids->len, n_vocab, b.top1_margin);
  ck_assert_msg (d.max_abs <= b.max_abs && d.rms <= b.rms && d.top1_mismatches == 0,
                 "max abs %.5f (bound %.5f), rms %.6f (bound %.6f), %u argmax mismatches",
                 d.max_abs, b.max_abs, d.rms, b.rms, d.top1_mismatches);
}

/* On a model loaded again without the fault: the exact logits within the
 * reference bounds, and the greedy continuation token for token. */
static void
check_reloaded (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = hearth_test_load_reference (parser, STEM ".json");
  g_autoptr(GArray) prompt = reference_ids (o, "prompt_ids");
  g_autoptr(GArray) expected = reference_ids (o, "generated_ids");
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  HearthGenerateParams gp;
  HearthGenerateResult res;
  Collected got = { g_array_new (FALSE, FALSE, sizeof (gint32)) };
  HearthModelParams mp;

  vulkan_params (&mp);
  hearth_test_check_model_logits (STEM, &mp, 64, FALSE, "vulkan, reloaded");

  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 64, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  hearth_generate_params_init (&gp);
  gp.max_tokens = expected->len;
  ck_assert_msg (hearth_session_generate (session, sampler, (gint32 *) prompt->data, prompt->len, &gp, collect, &got,
                                          NULL, &res, &error), "%s", error ? error->message : "");
  /* The reference may end at the end of text before max_tokens. */
  ck_assert_uint_ge (got.ids->len, 1);
  for (guint i = 0; i < MIN (got.ids->len, expected->len); i++)
    ck_assert_msg (g_array_index (got.ids, gint32, i) == g_array_index (expected, gint32, i),
                   "token %u: got %d, reference %d", i, g_array_index (got.ids, gint32, i),
                   g_array_index (expected, gint32, i));
  g_array_unref (got.ids);
}

/* The prompt is one submit, the first decode step the second: it is lost.
 * generate fails with the lost-device error, and so does every later call
 * on the session or the model, at once; both are freed, and the model
 * loads again in this process and is right. */
START_TEST (test_lost_at_decode)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = hearth_test_load_reference (parser, STEM ".json");
  g_autoptr(GArray) prompt = reference_ids (o, "prompt_ids");
  g_autoptr(GArray) expected = reference_ids (o, "generated_ids");
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autofree char *first = NULL;
  Collected got = { g_array_new (FALSE, FALSE, sizeof (gint32)) };
  HearthGenerateParams gp;
  HearthModelParams mp;
  gint32 one = g_array_index (prompt, gint32, 0);

  ck_assert_uint_le (prompt->len, 64);
  g_setenv ("HEARTH_VK_FAULT", "submit:2:device-lost", TRUE);
  vulkan_params (&mp);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 64, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  hearth_generate_params_init (&gp);
  gp.max_tokens = 16;
  ck_assert (!hearth_session_generate (session, sampler, (gint32 *) prompt->data, prompt->len, &gp, collect, &got,
                                       NULL, NULL, &error));
  assert_model_lost (error);
  /* The prompt ran (its logits gave the reference's first token); the
   * decode step after it was the one lost. */
  ck_assert_uint_eq (hearth_session_get_n_past (session), prompt->len);
  ck_assert_uint_eq (got.ids->len, 1);
  ck_assert_int_eq (g_array_index (got.ids, gint32, 0), g_array_index (expected, gint32, 0));
  ck_assert_ptr_null (hearth_session_get_logits (session, -1));
  first = g_strdup (error->message);
  g_clear_error (&error);

  /* Again: the same error at once (the prompt is cached, so this is a
   * decode step again), then a decode, then a new session on the model. */
  ck_assert (!hearth_session_generate (session, sampler, (gint32 *) prompt->data, prompt->len, &gp, collect, &got,
                                       NULL, NULL, &error));
  assert_model_lost (error);
  ck_assert_str_eq (error->message, first);
  g_clear_error (&error);
  ck_assert (!hearth_session_decode (session, &one, 1, FALSE, NULL, &error));
  ck_assert_str_eq (error->message, first);
  g_clear_error (&error);
  hearth_session_truncate (session, 0);
  ck_assert (!hearth_session_decode (session, (gint32 *) prompt->data, prompt->len, FALSE, NULL, &error));
  ck_assert_str_eq (error->message, first);
  g_clear_error (&error);
  ck_assert_ptr_null (new_session (model, 64, &error));
  ck_assert_str_eq (error->message, first);
  g_clear_error (&error);
  g_array_unref (got.ids);

  g_clear_pointer (&session, hearth_session_free);
  g_clear_pointer (&model, hearth_model_unref);
  g_unsetenv ("HEARTH_VK_FAULT");
  check_reloaded ();
}
END_TEST

/* The chat layer (what the app calls) reports the same error, twice. */
START_TEST (test_lost_in_chat)
{
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthChat) chat = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autofree char *first = NULL;
  HearthChatReply reply;
  HearthModelParams mp;

  g_setenv ("HEARTH_VK_FAULT", "submit:2:device-lost", TRUE);
  vulkan_params (&mp);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  /* One chunk for the whole prompt: the loss is at the first decode step. */
  session = new_session (model, 128, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  chat = hearth_chat_new (session, &error);
  ck_assert_msg (chat != NULL, "%s", error ? error->message : "");
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Tell me a story.");
  ck_assert (!hearth_chat_respond (chat, sampler, NULL, NULL, NULL, NULL, &reply, &error));
  assert_model_lost (error);
  ck_assert_uint_gt (hearth_session_get_n_past (session), 0);
  first = g_strdup (error->message);
  g_clear_error (&error);
  hearth_chat_reply_clear (&reply);
  ck_assert (!hearth_chat_respond (chat, sampler, NULL, NULL, NULL, NULL, &reply, &error));
  ck_assert_str_eq (error->message, first);
  hearth_chat_reply_clear (&reply);
}
END_TEST

/* What the app's Reload relies on: with submit:2:device-lost:once in the
 * environment, the first model's device is lost in a chat reply and the
 * model says so (a CPU model never does); a model loaded afterwards in the
 * same process, the environment unchanged, gets no fault and gives the
 * reference logits and greedy continuation. */
START_TEST (test_lost_once)
{
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthModel) cpu = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthChat) chat = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  HearthChatReply reply;
  HearthModelParams mp;

  g_setenv ("HEARTH_VK_FAULT", "submit:2:device-lost:once", TRUE);
  hearth_model_params_init (&mp);
  cpu = hearth_model_load (path, &mp, &error);
  ck_assert_msg (cpu != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_model_is_device_lost (cpu));

  vulkan_params (&mp);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_model_is_device_lost (model));
  session = new_session (model, 128, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  chat = hearth_chat_new (session, &error);
  ck_assert_msg (chat != NULL, "%s", error ? error->message : "");
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Tell me a story.");
  ck_assert (!hearth_chat_respond (chat, sampler, NULL, NULL, NULL, NULL, &reply, &error));
  assert_model_lost (error);
  ck_assert (hearth_model_is_device_lost (model));
  ck_assert (!hearth_model_is_device_lost (cpu));
  hearth_chat_reply_clear (&reply);
  g_clear_error (&error);
  g_clear_pointer (&chat, hearth_chat_free);
  g_clear_pointer (&session, hearth_session_free);
  g_clear_pointer (&model, hearth_model_unref);

  /* The second model: the same reply runs to its end. */
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 128, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  chat = hearth_chat_new (session, &error);
  ck_assert_msg (chat != NULL, "%s", error ? error->message : "");
  hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Tell me a story.");
  ck_assert_msg (hearth_chat_respond (chat, sampler, NULL, NULL, NULL, NULL, &reply, &error),
                 "%s", error ? error->message : "");
  ck_assert_uint_gt (reply.gen.n_generated, 1);
  ck_assert (!hearth_model_is_device_lost (model));
  hearth_chat_reply_clear (&reply);
  g_clear_pointer (&chat, hearth_chat_free);
  g_clear_pointer (&session, hearth_session_free);
  g_clear_pointer (&model, hearth_model_unref);

  /* Still set: the models check_reloaded loads are the third and fourth. */
  ck_assert_str_eq (g_getenv ("HEARTH_VK_FAULT"), "submit:2:device-lost:once");
  check_reloaded ();
}
END_TEST

/* A submit out of memory is not fatal: generate fails with the error, and
 * the same session then goes on from where it was to the reference
 * continuation (the failed step's submit was never made, so the decode
 * step recorded before it is submitted again as it is). */
START_TEST (test_oom_at_submit)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = hearth_test_load_reference (parser, STEM ".json");
  g_autoptr(GArray) prompt = reference_ids (o, "prompt_ids");
  g_autoptr(GArray) expected = reference_ids (o, "generated_ids");
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  Collected got = { g_array_new (FALSE, FALSE, sizeof (gint32)) };
  HearthGenerateParams gp;
  HearthModelParams mp;

  /* 2: the first decode step; 1: the prompt. */
  g_setenv ("HEARTH_VK_FAULT", _i == 0 ? "submit:2:oom-device" : "submit:1:oom-host", TRUE);
  vulkan_params (&mp);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 64, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  hearth_generate_params_init (&gp);
  gp.max_tokens = expected->len;
  ck_assert (!hearth_session_generate (session, sampler, (gint32 *) prompt->data, prompt->len, &gp, collect, &got,
                                       NULL, NULL, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  ck_assert_msg (strstr (error->message, _i == 0 ? "out of device memory" : "out of host memory") != NULL &&
                 strstr (error->message, "submitting") != NULL && strstr (error->message, "was lost") == NULL,
                 "%s", error->message);
  ck_assert_uint_eq (hearth_session_get_n_past (session), _i == 0 ? prompt->len : 0);
  g_clear_error (&error);

  g_array_set_size (got.ids, 0);
  ck_assert_msg (hearth_session_generate (session, sampler, (gint32 *) prompt->data, prompt->len, &gp, collect, &got,
                                          NULL, NULL, &error), "%s", error ? error->message : "");
  ck_assert_uint_ge (got.ids->len, 1);
  for (guint i = 0; i < MIN (got.ids->len, expected->len); i++)
    ck_assert_msg (g_array_index (got.ids, gint32, i) == g_array_index (expected, gint32, i),
                   "token %u: got %d, reference %d", i, g_array_index (got.ids, gint32, i),
                   g_array_index (expected, gint32, i));
  g_array_unref (got.ids);
}
END_TEST

/* Lost in the middle of a prompt (chunks of 4), or at its first chunk, or
 * with only two layers on the device: the chunks before it stay decoded,
 * the session reports the error, and everything is freed. */
START_TEST (test_lost_in_prompt)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o = hearth_test_load_reference (parser, STEM ".json");
  g_autoptr(GArray) prompt = reference_ids (o, "all_ids");
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  HearthModelParams mp;

  ck_assert_uint_gt (prompt->len, 12);
  g_setenv ("HEARTH_VK_FAULT", _i == 1 ? "submit:1:device-lost" : "submit:3:device-lost", TRUE);
  vulkan_params (&mp);
  /* 2: partial offload, the CPU finishing the layers after the device's. */
  if (_i == 2)
    mp.n_gpu_layers = 2;
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = new_session (model, 4, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  ck_assert (!hearth_session_decode (session, (gint32 *) prompt->data, prompt->len, FALSE, NULL, &error));
  assert_model_lost (error);
  ck_assert_uint_eq (hearth_session_get_n_past (session), _i == 1 ? 0 : 8);
  ck_assert_ptr_null (hearth_session_get_logits (session, -1));
  g_clear_error (&error);
  ck_assert (!hearth_session_decode (session, (gint32 *) prompt->data, 1, FALSE, NULL, &error));
  assert_model_lost (error);
}
END_TEST

/* Staged (each weight a transfer of its own, as on a discrete GPU): the
 * model is right without a fault, and a device lost (or out of memory)
 * while the weights go up fails the load cleanly. */
START_TEST (test_lost_at_upload)
{
  static const char *const faults[] = { "staged,transfer:1:device-lost", "staged,transfer:7:device-lost",
                                        "staged,fence:12:device-lost", "staged,fence:5:timeout",
                                        "staged,transfer:9:oom-host" };
  g_autofree char *path = model_path ();
  g_autoptr(GError) error = NULL;
  HearthModelParams mp;

  vulkan_params (&mp);
  g_setenv ("HEARTH_VK_FAULT", faults[_i], TRUE);
  ck_assert_ptr_null (hearth_model_load (path, &mp, &error));
  if (_i == 4)
    {
      /* Out of memory at a transfer is not a lost device. */
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
      ck_assert_msg (strstr (error->message, "uploading the weights") != NULL &&
                     strstr (error->message, "submitting a transfer failed (out of host memory)") != NULL &&
                     strstr (error->message, "was lost") == NULL, "%s", error->message);
    }
  else
    assert_model_lost (error);
  if (_i == 3)
    ck_assert_msg (strstr (error->message, "no answer in time") != NULL, "%s", error->message);
  g_clear_error (&error);
  if (_i <= 1)
    {
      /* The staged path itself, with no fault: the reference logits, with
       * every layer on the device, or two (each step's residual stream then
       * comes back through a staged download). */
      g_setenv ("HEARTH_VK_FAULT", "staged", TRUE);
      mp.n_gpu_layers = _i == 0 ? -1 : 2;
      hearth_test_check_model_logits (STEM, &mp, _i == 0 ? 7 : 5, FALSE,
                                      _i == 0 ? "vulkan staged" : "vulkan staged, 2 layers");
    }
}
END_TEST

/* Every allocation of the model's load and of a session, in turn, fails
 * (out of device memory, out of host memory, lost device by turns): each is
 * a clean DEVICE error; a session that fails leaves its model usable
 * (unless the device was lost); once N is past them all, the model is right. */
START_TEST (test_each_allocation)
{
  static const char *const results[] = { "oom-device", "oom-host", "device-lost" };
  g_autofree char *path = model_path ();
  HearthModelParams mp;
  guint n_load_failed = 0, n_session_failed = 0;
  gboolean checked = FALSE;

  vulkan_params (&mp);
  for (guint n = 1;; n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthModel) model = NULL;
      g_autoptr(HearthSession) session = NULL;
      g_autofree char *fault = g_strdup_printf ("alloc:%u:%s", n, results[n % 3]);
      gboolean lost = n % 3 == 2;

      ck_assert_uint_lt (n, 1000);
      g_setenv ("HEARTH_VK_FAULT", fault, TRUE);
      model = hearth_model_load (path, &mp, &error);
      if (model == NULL)
        {
          if (lost)
            assert_model_lost (error);
          else
            {
              hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
              ck_assert_msg (strstr (error->message, n % 3 == 0 ? "out of device memory" : "out of host memory") != NULL &&
                             strstr (error->message, "cannot allocate") != NULL &&
                             strstr (error->message, "uploading the weights") != NULL, "%s: %s", fault, error->message);
            }
          n_load_failed++;
          continue;
        }
      session = new_session (model, 64, &error);
      if (session == NULL)
        {
          n_session_failed++;
          if (lost)
            {
              assert_model_lost (error);
              g_clear_error (&error);
              ck_assert_ptr_null (new_session (model, 64, &error));
              assert_model_lost (error);
              continue;
            }
          hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
          ck_assert_msg (strstr (error->message, "a session of 128 tokens") != NULL &&
                         strstr (error->message, "cannot allocate") != NULL, "%s: %s", fault, error->message);
          g_clear_error (&error);
          /* The Nth allocation is spent: the next session on this model
           * works (and, checked once, is right). */
          session = new_session (model, 64, &error);
          ck_assert_msg (session != NULL, "%s: %s", fault, error ? error->message : "");
          if (!checked)
            {
              check_session_logits (model, session);
              checked = TRUE;
            }
          continue;
        }
      /* Past every allocation: the fault is still armed, but never reached. */
      g_clear_pointer (&session, hearth_session_free);
      g_clear_pointer (&model, hearth_model_unref);
      hearth_test_check_model_logits (STEM, &mp, 64, FALSE, "vulkan, past the faults");
      break;
    }
  g_print ("%u loads and %u sessions failed cleanly\n", n_load_failed, n_session_failed);
  ck_assert_uint_gt (n_load_failed, 10);
  ck_assert_uint_gt (n_session_failed, 5);
  ck_assert (checked);
}
END_TEST

/* ---- the CLI ---- */

/* One error line and a non-zero exit; the child is killed after 60 s, so
 * a hang fails the test. */
START_TEST (test_cli)
{
  g_autofree char *model = model_path ();
  const char *const args[] = { "generate", "-m", model, "-p", "Once upon a time", "-n", "20", "--backend", "vulkan", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  out = hearth_test_vulkan_run_cli ("submit:2:device-lost", 60, args, &status, &err);
  ck_assert_msg (!g_spawn_check_wait_status (status, NULL), "exit 0; stderr: %s", err);
  ck_assert_msg (!WIFEXITED (status) || WEXITSTATUS (status) != 124, "hearth-cli hung: %s", err);
  lines = g_strsplit (g_strchomp (err), "\n", -1);
  ck_assert_msg (g_strv_length (lines) == 1 && g_str_has_prefix (lines[0], "hearth-cli: the GPU device ") &&
                 strstr (lines[0], "was lost") != NULL && strstr (lines[0], "must be reloaded") != NULL,
                 "stderr:\n%s", err);
  /* The prompt was echoed and one token made it out before the loss. */
  ck_assert_msg (g_str_has_prefix (out, "Once upon a time"), "%s", out);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&lines, g_strfreev);

  out = hearth_test_vulkan_run_cli ("submit:two:device-lost", 60, args, &status, &err);
  ck_assert (!g_spawn_check_wait_status (status, NULL));
  ck_assert_msg (!WIFEXITED (status) || WEXITSTATUS (status) != 124, "hearth-cli hung: %s", err);
  ck_assert_msg (strstr (err, "HEARTH_VK_FAULT") != NULL && strstr (err, "submit:two:device-lost") != NULL, "%s", err);
}
END_TEST

/* Each test starts without a fault, even in a run without forks. */
static void
clear_fault (void)
{
  g_unsetenv ("HEARTH_VK_FAULT");
}

static Suite *
vulkan_fault_suite (void)
{
  Suite *s = suite_create ("vulkan-fault");
  TCase *tc = tcase_create ("layer");

  tcase_set_timeout (tc, 60);
  tcase_add_checked_fixture (tc, clear_fault, NULL);
  tcase_add_loop_test (tc, test_layer_lost, 0, 4);
  tcase_add_loop_test (tc, test_layer_oom, 0, 3);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_layer_once);
  suite_add_tcase (s, tc);

  tc = tcase_create ("model");
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, clear_fault, NULL);
  tcase_add_test (tc, test_lost_at_decode);
  tcase_add_test (tc, test_lost_in_chat);
  tcase_add_test (tc, test_lost_once);
  tcase_add_loop_test (tc, test_lost_in_prompt, 0, 3);
  tcase_add_loop_test (tc, test_lost_at_upload, 0, 5);
  tcase_add_loop_test (tc, test_oom_at_submit, 0, 2);
  tcase_add_test (tc, test_each_allocation);
  tcase_add_test (tc, test_cli);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_vulkan_run (vulkan_fault_suite ());
}
