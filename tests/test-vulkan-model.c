/* test-vulkan-model.c: models on the Vulkan backend against the exact references
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same bounds as the CPU (reference/tolerances.json, through
 * hearth-test-logits): every decoder model with all layers on the device, a
 * few with the decode path (one token per pass) and odd batches, partial
 * offload (the first layers on the device, the rest on the CPU), the
 * stories260K greedy continuation token for token, and the quantized
 * models again with the int8 dot-product mat-muls forced on. The pipeline cache lives
 * in a temporary $XDG_CACHE_HOME made for this run.
 */
#include "hearth-config.h"

#include <stdlib.h>
#include <string.h>

#include "hearth-test-logits.h"
#include "hearth-test-vulkan.h"
#include "hearth-vk.h"

static void
vulkan_params (HearthModelParams *mp,
               int                n_gpu_layers)
{
  hearth_model_params_init (mp);
  mp->backend = HEARTH_BACKEND_VULKAN;
  mp->n_gpu_layers = n_gpu_layers;
  mp->n_threads = 2;
}

START_TEST (test_exact_logits)
{
  HearthModelParams mp;

  vulkan_params (&mp, -1);
  hearth_test_check_model_logits (hearth_test_decoder_stems[_i], &mp, 64, FALSE, "vulkan");
}
END_TEST

/* One token per pass is the decode path (mat-vec kernels); 7 and 5 leave
 * partial groups in the mat-mat kernel; the f32 cache has its own kernels. */
START_TEST (test_exact_logits_chunked)
{
  static const char *const stems[] = { "stories260K-f32", "synth-llama-Q4_K_M", "synth-qwen2-Q8_0", "synth-qwen3-Q4_K_M",
                                       "synth-gemma3-F32", "synth-gemma3-Q8_0" };
  /* gemma3 one token per pass: its sliding layers' rings of 8 rows. */
  static const guint32 batches[] = { 1, 7, 1, 5, 1, 3 };
  HearthModelParams mp;

  vulkan_params (&mp, -1);
  hearth_test_check_model_logits (stems[_i], &mp, batches[_i], _i >= 2 && _i < 5, "vulkan");
}
END_TEST

/* Partial offload: the first layer(s) on the device, the rest on the CPU. */
START_TEST (test_partial_offload)
{
  static const char *const stems[] = { "stories260K-mixed-Q8_0-Q5_0-F16", "synth-qwen2-Q4_K_M", "synth-llama-Q6_K-pure",
                                       "synth-gemma3-F32", "synth-gemma3-Q8_0" };
  /* gemma3: a sliding layer and a global one on the device, or one sliding. */
  static const int n_gpu[] = { 3, 1, 0, 2, 1 };
  HearthModelParams mp;

  vulkan_params (&mp, n_gpu[_i]);
  hearth_test_check_model_logits (stems[_i], &mp, _i == 0 || _i == 4 ? 1 : 64, FALSE, "vulkan partial");
}
END_TEST

/* ---- the int8 dot-product mat-muls, forced on (lavapipe has the feature
 * but does not call it accelerated, so it is off by default) through
 * HEARTH_VK_INT_DOT, in this forked test only. The bounds are the same
 * per-model ones as every backend's: the CPU's fast kernels quantize the
 * activations to 8 bits as well, and the references allow for it. ---- */

/* The sanitizer build checks the first 4 (hearth_test_sanitized). */
static const char *const int8_stems[] = {
  "stories260K-mixed-Q8_0-Q5_0-F16", "synth-llama-Q4_K_M", "synth-qwen2-Q8_0", "synth-qwen3-Q4_K_M",
  "synth-llama-Q8_0-pure", "synth-llama-Q4_0-pure", "synth-llama-Q4_1-pure",
  "synth-llama-Q5_0-pure", "synth-llama-Q5_1-pure", "synth-llama-Q2_K-pure",
  "synth-llama-Q3_K_S-pure", "synth-llama-Q4_K_M-pure", "synth-llama-Q5_K_M-pure",
  "synth-llama-Q6_K-pure", "synth-llama-Q4_K_S", "synth-qwen2-Q4_K_M", "synth-qwen3-Q8_0",
  "synth-phi3-Q8_0", "synth-gemma3-Q8_0",
};

START_TEST (test_int8_logits)
{
  HearthModelParams mp;

  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  vulkan_params (&mp, -1);
  hearth_test_check_model_logits (int8_stems[_i], &mp, 64, FALSE, "vulkan int8");
}
END_TEST

/* The decode path (one token per pass: the mat-vec kernels and the
 * recorded step reusing its scratch) and odd batches. */
START_TEST (test_int8_logits_chunked)
{
  static const char *const stems[] = { "synth-llama-Q4_K_M", "synth-qwen2-Q8_0", "synth-llama-Q5_0-pure", "synth-qwen3-Q4_K_M" };
  static const guint32 batches[] = { 1, 13, 3, 1 };
  HearthModelParams mp;

  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  vulkan_params (&mp, -1);
  hearth_test_check_model_logits (stems[_i], &mp, batches[_i], FALSE, "vulkan int8");
}
END_TEST

/* The backend line says when and for which types the int8 path runs, and
 * HEARTH_VK_INT_DOT=0 turns it off again. */
START_TEST (test_int8_description)
{
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", "synth-llama-Q4_K_M.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthModelParams mp;
  const char *text;

  vulkan_params (&mp, -1);
  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  text = hearth_model_get_backend_description (model);
  ck_assert_msg (strstr (text, "int8 dot-product mat-muls (") != NULL && strstr (text, "Q4_K") != NULL &&
                 strstr (text, "Q6_K") != NULL, "%s", text);
  g_clear_pointer (&model, hearth_model_unref);

  /* The CLI inherits the variable and prints the same line. */
  {
    g_autofree char *out_path = g_build_filename (g_get_user_cache_dir (), "logits-int8.f32", NULL);
    const char *const args[] = { "logits", "-m", path, "--tokens", "1 2 3", "-o", out_path, "--backend", "vulkan", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status;

    out = hearth_test_vulkan_run_cli (NULL, 300, args, &status, &err);
    ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s", err);
    ck_assert_msg (strstr (err, "int8 dot-product mat-muls (") != NULL, "%s", err);
  }

  g_setenv ("HEARTH_VK_INT_DOT", "0", TRUE);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  text = hearth_model_get_backend_description (model);
  ck_assert_msg (strstr (text, "int8 dot-product mat-muls") == NULL, "%s", text);
}
END_TEST

/* The subgroup-per-row decode mat-vec end to end: GPU-shaped kernels on
 * lavapipe (HEARTH_VK_GPU_KERNELS) with HEARTH_VK_MATVEC=sg, in this forked
 * test only; one token per pass, so every mat-mul is a mat-vec. The int8
 * kernels on the Q4_K_M model, the float ones on the Q8_0 one; the bounds
 * are the models' own, as everywhere. */
START_TEST (test_matvec_sg_logits)
{
  static const char *const stems[] = { "synth-llama-Q4_K_M", "synth-qwen3-Q8_0" };
  g_autofree char *rel = g_strdup_printf ("%s.gguf", stems[_i]);
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", rel, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthModelParams mp;
  const char *text;

  g_setenv ("HEARTH_VK_GPU_KERNELS", "1", TRUE);
  g_setenv ("HEARTH_VK_MATVEC", "sg", TRUE);
  g_setenv ("HEARTH_VK_INT_DOT", _i == 0 ? "1" : "0", TRUE);
  vulkan_params (&mp, -1);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  text = hearth_model_get_backend_description (model);
  ck_assert_msg (strstr (text, "decode mat-vec: a subgroup per row") != NULL, "%s", text);
  ck_assert_msg ((strstr (text, "int8 dot-product mat-muls (") != NULL) == (_i == 0), "%s", text);
  g_clear_pointer (&model, hearth_model_unref);
  hearth_test_check_model_logits (stems[_i], &mp, 1, FALSE, "vulkan sg mat-vec");
}
END_TEST

/* bench-matmul's "kernel" field names the shape that ran: the environment
 * reaches hearth-devtool's context, and the value is the context's own choice. */
START_TEST (test_matvec_sg_cli)
{
  const char *const args[] = { "bench-matmul", "--backend", "vulkan", "--type", "Q4_K", "--rows", "64", "--cols", "256",
                               "--runs", "1", "--working-set-mib", "1", "--bandwidth-mib", "4", "--json", NULL };
  static const char *const shapes[] = { "wg", "sg" };

  g_setenv ("HEARTH_VK_GPU_KERNELS", "1", TRUE);
  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *want = g_strdup_printf ("\"kernel\": \"int8-dot/%s\"", shapes[i]);
      int status;

      g_setenv ("HEARTH_VK_MATVEC", shapes[i], TRUE);
      out = hearth_test_vulkan_run_devtool (NULL, 300, args, &status, &err);
      ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s", err);
      ck_assert_msg (strstr (out, want) != NULL, "no %s in %s", want, out);
    }
}
END_TEST

/* The model says where each layer runs. */
START_TEST (test_layer_backends)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthModelParams mp;
  guint32 n_layer;

  vulkan_params (&mp, 2);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  n_layer = hearth_model_get_n_layer (model);
  ck_assert_uint_gt (n_layer, 2);
  ck_assert_uint_eq (hearth_model_get_n_gpu_layers (model), 2);
  for (guint32 il = 0; il < n_layer; il++)
    ck_assert_int_eq (hearth_model_get_layer_backend (model, il), il < 2 ? HEARTH_BACKEND_VULKAN : HEARTH_BACKEND_CPU);
  ck_assert_msg (strstr (hearth_model_get_backend_description (model), "Vulkan") != NULL &&
                 strstr (hearth_model_get_backend_description (model), "CPU") != NULL &&
                 strstr (hearth_model_get_backend_description (model), "layers 0-1") != NULL,
                 "%s", hearth_model_get_backend_description (model));
  g_clear_pointer (&model, hearth_model_unref);

  /* A device that does not exist is an error, not a quiet CPU run. */
  mp.device_index = 99;
  ck_assert_ptr_null (hearth_model_load (path, &mp, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  mp.device_index = -1;
  mp.device_name = "no such device, surely";
  ck_assert_ptr_null (hearth_model_load (path, &mp, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* Weights that do not fit are refused with the figures; fewer layers fit. */
START_TEST (test_device_memory)
{
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", "synth-llama-F32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  HearthModelParams mp;
  const gint32 ids[] = { 1, 2, 3 };

  /* synth-llama-F32: 0.5 MB of embeddings, 3 MB per layer, 4 layers */
  vulkan_params (&mp, -1);
  mp.device_memory_limit = 6000000;
  ck_assert_ptr_null (hearth_model_load (path, &mp, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
  ck_assert_msg (strstr (error->message, "4 layers") != NULL && strstr (error->message, "13.1") != NULL && strstr (error->message, "6.0") != NULL &&
                 strstr (error->message, "need") != NULL, "%s", error->message);
  g_clear_error (&error);

  mp.n_gpu_layers = 1;
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (hearth_model_get_n_gpu_layers (model), 1);

  /* A session whose cache does not fit what is left fails cleanly (the
   * model's 1 layer uses 3.6 MB; 16k positions of K and V in f16 need 4 MB
   * more); then a smaller one works on the same model. */
  {
    HearthSessionParams sp;

    hearth_session_params_init (&sp);
    sp.n_ctx = 16384;
    ck_assert_ptr_null (hearth_session_new (model, &sp, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_DEVICE);
    ck_assert_msg (strstr (error->message, "allowed") != NULL, "%s", error->message);
    g_clear_error (&error);
  }
  session = hearth_session_new (model, NULL, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_session_decode (session, ids, 3, FALSE, NULL, &error));
  g_clear_pointer (&session, hearth_session_free);
  g_clear_pointer (&model, hearth_model_unref);

  /* And the model loads again afterwards, with everything on the device. */
  mp.n_gpu_layers = -1;
  mp.device_memory_limit = 0;
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  session = hearth_session_new (model, NULL, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_session_decode (session, ids, 3, FALSE, NULL, &error));
}
END_TEST

static void
check_stories_greedy (const char *stem)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = g_strconcat (stem, ".json", NULL);
  g_autofree char *file = g_strconcat (stem, ".gguf", NULL);
  JsonObject *o = hearth_test_load_reference (parser, json);
  JsonArray *prompt = json_object_get_array_member (o, "prompt_ids");
  JsonArray *expected = json_object_get_array_member (o, "generated_ids");
  gboolean synthetic = g_str_has_prefix (stem, "synth-");
  g_autofree char *path = hearth_test_data_path ("models", synthetic ? "synthetic" : "stories260K", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autoptr(HearthSampler) sampler = hearth_sampler_new (NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  HearthModelParams mp;
  HearthSessionParams sp;

  vulkan_params (&mp, -1);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  /* The new architectures in batches of 4: gemma3's sliding layers then
   * keep rings of 11 rows, which the continuation goes round. */
  hearth_session_params_init (&sp);
  sp.n_batch = synthetic ? 4 : 0;
  session = hearth_session_new (model, &sp, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  for (guint i = 0; i < json_array_get_length (prompt); i++)
    {
      gint32 id = (gint32) json_array_get_int_element (prompt, i);
      g_array_append_val (ids, id);
    }
  ck_assert (hearth_session_decode (session, (gint32 *) ids->data, ids->len, FALSE, NULL, &error));
  for (guint i = 0; i < json_array_get_length (expected); i++)
    {
      gint32 next = hearth_sampler_sample (sampler, hearth_session_get_logits (session, -1),
                                           hearth_model_get_n_vocab (model), NULL, 0);

      ck_assert_msg (next == json_array_get_int_element (expected, i),
                     "token %u: got %d, reference %" G_GINT64_FORMAT, i, next,
                     json_array_get_int_element (expected, i));
      if (hearth_session_get_n_past (session) == hearth_session_get_n_ctx (session))
        break;
      ck_assert_msg (hearth_session_decode (session, &next, 1, FALSE, NULL, &error), "%s", error ? error->message : "");
    }
}

START_TEST (test_stories_greedy)
{
  /* The F32 files only, as on the CPU (test-model.c test_stories_greedy). */
  static const char *const stems[] = { "stories260K-f32", "synth-phi3-F32", "synth-gemma3-F32" };

  check_stories_greedy (stems[_i]);
}
END_TEST

/* The Q8_0/Q5_0 model's greedy continuation with its quantized mat-muls on
 * the int8 path (its F16 tensors keep the f32 kernels). */
START_TEST (test_stories_greedy_int8)
{
  g_setenv ("HEARTH_VK_INT_DOT", "1", TRUE);
  check_stories_greedy ("stories260K-mixed-Q8_0-Q5_0-F16");
}
END_TEST

typedef struct
{
  HearthModel *model;
  gint32       ids[40];
  float       *logits;   /* [40][n_vocab] */
  gboolean     ok;
} DecodeJob;

/* Decodes the ids one at a time (the recorded decode step) in its own session. */
static gpointer
decode_job (gpointer data)
{
  DecodeJob *job = data;
  g_autoptr(HearthSession) session = hearth_session_new (job->model, NULL, NULL);
  guint32 n_vocab = hearth_model_get_n_vocab (job->model);

  job->ok = session != NULL;
  for (guint i = 0; job->ok && i < G_N_ELEMENTS (job->ids); i++)
    {
      job->ok = hearth_session_decode (session, &job->ids[i], 1, FALSE, NULL, NULL);
      if (job->ok)
        memcpy (job->logits + (gsize) i * n_vocab, hearth_session_get_logits (session, -1), n_vocab * sizeof (float));
    }
  return NULL;
}

/* Two sessions of one model on two threads at once give exactly what each
 * gives alone: the device's queue and command pool are shared safely. */
START_TEST (test_threads)
{
  g_autofree char *path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  HearthModelParams mp;
  DecodeJob alone[2], together[2];
  GThread *threads[2];
  guint32 n_vocab;

  vulkan_params (&mp, -1);
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  n_vocab = hearth_model_get_n_vocab (model);
  for (guint j = 0; j < 2; j++)
    {
      alone[j].model = together[j].model = model;
      for (guint i = 0; i < G_N_ELEMENTS (alone[j].ids); i++)
        alone[j].ids[i] = together[j].ids[i] = (gint32) ((i * 37 + j * 101 + 1) % n_vocab);
      alone[j].logits = g_new (float, (gsize) G_N_ELEMENTS (alone[j].ids) * n_vocab);
      together[j].logits = g_new (float, (gsize) G_N_ELEMENTS (alone[j].ids) * n_vocab);
      decode_job (&alone[j]);
      ck_assert (alone[j].ok);
    }
  for (guint j = 0; j < 2; j++)
    threads[j] = g_thread_new ("decode", decode_job, &together[j]);
  for (guint j = 0; j < 2; j++)
    {
      g_thread_join (threads[j]);
      ck_assert (together[j].ok);
      ck_assert (memcmp (alone[j].logits, together[j].logits,
                         (gsize) G_N_ELEMENTS (alone[j].ids) * n_vocab * sizeof (float)) == 0);
      g_free (alone[j].logits);
      g_free (together[j].logits);
    }
}
END_TEST

/* `devices` lists what the layer sees; `logits` says where the layers ran
 * and refuses device options without the Vulkan backend. */
START_TEST (test_cli)
{
  g_autofree char *model = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *out_path = g_build_filename (g_get_user_cache_dir (), "logits.f32", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;
  const char *const list[] = { "devices", NULL };
  const char *const partial[] = { "logits", "-m", model, "--tokens", "1 403 407", "-o", out_path,
                                  "--backend", "vulkan", "--device", "0", "--gpu-layers", "3", NULL };
  const char *const no_backend[] = { "logits", "-m", model, "--tokens", "1", "-o", out_path, "--gpu-layers", "3", NULL };

  out = hearth_test_vulkan_run_cli (NULL, 300, list, &status, &err);
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s", err);
  devices = hearth_vk_list_devices (&error);
  ck_assert_msg (devices != NULL && devices->len > 0, "%s", error ? error->message : "no devices");
  for (guint i = 0; i < devices->len; i++)
    {
      HearthVkDeviceInfo *d = g_ptr_array_index (devices, i);
      g_autofree char *line = g_strdup_printf ("%u: %s (%s", i, d->name, d->features.is_cpu ? "CPU device" : "GPU");
      ck_assert_msg (strstr (out, line) != NULL, "'%s' not in:\n%s", line, out);
      /* the int8 dot product and whether it is accelerated */
      if (d->features.int_dot)
        ck_assert_msg (strstr (out, d->features.int_dot_accel ? "int8 dot product (accelerated)" :
                                    d->features.int_dot_mixed_accel ? "int8 dot product (mixed-sign accelerated)" :
                                    "int8 dot product (not accelerated)") != NULL, "%s", out);
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = hearth_test_vulkan_run_cli (NULL, 300, partial, &status, &err);
  ck_assert_msg (g_spawn_check_wait_status (status, NULL), "%s", err);
  ck_assert_msg (strstr (err, "Vulkan device 0") != NULL && strstr (err, "layers 0-2") != NULL &&
                 strstr (err, "CPU") != NULL && strstr (err, "layers 3-4 + output") != NULL, "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = hearth_test_vulkan_run_cli (NULL, 300, no_backend, &status, &err);
  ck_assert (!g_spawn_check_wait_status (status, NULL));
  ck_assert_msg (strstr (err, "--backend vulkan") != NULL, "%s", err);
}
END_TEST

static Suite *
vulkan_model_suite (void)
{
  Suite *s = suite_create ("vulkan-model");
  TCase *tc = tcase_create ("exact");

  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_exact_logits, 0, hearth_test_n_decoder_stems_here ());
  tcase_add_loop_test (tc, test_exact_logits_chunked, 0, 6);
  tcase_add_loop_test (tc, test_partial_offload, 0, 5);
  suite_add_tcase (s, tc);

  tc = tcase_create ("int8");
  tcase_set_timeout (tc, 120);
  tcase_add_loop_test (tc, test_int8_logits, 0, hearth_test_sanitized () ? 4 : G_N_ELEMENTS (int8_stems));
  tcase_add_loop_test (tc, test_int8_logits_chunked, 0, 4);
  tcase_add_test (tc, test_int8_description);
  tcase_add_test (tc, test_stories_greedy_int8);
  tcase_add_loop_test (tc, test_matvec_sg_logits, 0, 2);
  tcase_add_test (tc, test_matvec_sg_cli);
  suite_add_tcase (s, tc);

  tc = tcase_create ("session");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_layer_backends);
  tcase_add_test (tc, test_device_memory);
  tcase_add_test (tc, test_cli);
  tcase_add_test (tc, test_threads);
  tcase_add_loop_test (tc, test_stories_greedy, 0, 3);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_vulkan_run (vulkan_model_suite ());
}
