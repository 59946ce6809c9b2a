/* test-vulkan-bench.c: the device bandwidth probe and the mat-vec timing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No timing is asserted (lavapipe's figures mean nothing); what is asserted
 * is that the probe really read every byte it claims to have timed: the
 * device's sum of all 32-bit words read must equal the sum computed here
 * from the documented pattern (word i = i * 0x9E3779B1 + 0x632BE5AB mod
 * 2^32), exactly, including when the data is split over several buffers.
 * The figures must be positive and finite, and the bookkeeping (bytes,
 * buffers, copies) what the sizes imply.
 */
#include "hearth-config.h"

#include <math.h>

#include "hearth-cpu.h"
#include "hearth-engine.h"
#include "hearth-test.h"
#include "hearth-test-vulkan.h"
#include "hearth-vk-bench.h"

static HearthVkContext *
new_context (gsize max_buffer)
{
  HearthVkContextParams p;
  g_autoptr(GError) error = NULL;
  HearthVkContext *ctx;

  hearth_vk_context_params_init (&p);
  p.max_buffer_bytes = max_buffer;
  ctx = hearth_vk_context_new (&p, &error);
  ck_assert_msg (ctx != NULL, "no Vulkan context: %s", error ? error->message : "");
  return ctx;
}

static guint32
expected_sum (guint64 bytes)
{
  guint32 sum = 0;

  for (guint64 i = 0; i < bytes / 4; i++)
    sum += (guint32) i * 0x9E3779B1u + 0x632BE5ABu;
  return sum;
}

/* Sizes that split over buffers of 64 KiB (the last one partial), one that
 * is not a multiple of 16 bytes, and one that fits one buffer. */
static const struct { gsize max_buffer, bytes, read; guint n_buffers; } probes[] = {
  { 64 << 10, (200 << 10) + 48, (200 << 10) + 48, 4 },
  { 64 << 10, 1000, 992, 1 },
  { 0, 3 << 20, 3 << 20, 1 },
};

START_TEST (test_bandwidth_probe)
{
  g_autoptr(HearthVkContext) ctx = new_context (probes[_i].max_buffer);
  g_autoptr(GError) error = NULL;
  HearthVkBandwidth bw;

  for (guint64 i = 0; i < 1000; i += 7)
    ck_assert_uint_eq (hearth_vk_bandwidth_pattern (i), (guint32) i * 0x9E3779B1u + 0x632BE5ABu);
  ck_assert_msg (hearth_vk_measure_read_bandwidth_full (ctx, probes[_i].bytes, 3, &bw, &error),
                 "%s", error ? error->message : "");
  ck_assert_uint_eq (bw.bytes, probes[_i].read);
  ck_assert_uint_eq (bw.n_buffers, probes[_i].n_buffers);
  ck_assert_uint_eq (bw.checksum, expected_sum (probes[_i].read));
  ck_assert_msg (bw.gb_s > 0 && isfinite (bw.gb_s), "%g GB/s", bw.gb_s);
  ck_assert_msg (bw.seconds > 0 && isfinite (bw.seconds), "%g s", bw.seconds);
  ck_assert (fabs (bw.gb_s - bw.bytes / bw.seconds / 1e9) <= 1e-9 * bw.gb_s);
}
END_TEST

START_TEST (test_bandwidth_simple)
{
  g_autoptr(HearthVkContext) ctx = new_context (0);
  g_autoptr(GError) error = NULL;
  double gb_s = -1.0;

  ck_assert_msg (hearth_vk_measure_read_bandwidth (ctx, 1 << 20, 1, &gb_s, &error), "%s",
                 error ? error->message : "");
  ck_assert_msg (gb_s > 0 && isfinite (gb_s), "%g GB/s", gb_s);
}
END_TEST

/* One Q4_K and one Q8_0 matrix: the copies fill the working set. */
START_TEST (test_time_matvec)
{
  const HearthGgmlType types[] = { HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q8_0 };
  HearthGgmlType type = types[_i];
  g_autoptr(HearthVkContext) ctx = new_context (0);
  g_autoptr(GError) error = NULL;
  gint64 rows = 64, cols = 512;
  guint64 row_bytes;
  g_autofree guint8 *w = NULL;
  g_autofree float *row = g_new (float, cols);
  HearthVkMatvecTiming t;
  gsize mat_bytes;

  ck_assert (hearth_ggml_row_size (type, cols, &row_bytes));
  mat_bytes = (gsize) (rows * row_bytes);
  w = g_malloc (mat_bytes);
  for (gint64 r = 0; r < rows; r++)
    {
      for (gint64 c = 0; c < cols; c++)
        row[c] = (float) sin (0.1 * (r * cols + c));
      ck_assert (hearth_quantize_row (type, row, w + r * row_bytes, cols));
    }
  ck_assert_msg (hearth_vk_time_matvec (ctx, type, w, rows, cols, row_bytes, 5 * mat_bytes + 1, 3, &t, &error),
                 "%s", error ? error->message : "");
  ck_assert_uint_eq (t.n_copies, 6);
  ck_assert_uint_eq (t.weight_bytes, mat_bytes);
  ck_assert_msg (t.seconds > 0 && isfinite (t.seconds), "%g s", t.seconds);
  ck_assert (fabs (t.gb_s - mat_bytes / t.seconds / 1e9) <= 1e-9 * t.gb_s);
}
END_TEST

/* What the device streams per token, against the GGUF's own tensor sizes:
 * the 2-D weights of the device's layers, the output matrix when it has
 * every layer, and one row of the embeddings. */
static guint64
tensor_bytes (HearthGguf *g,
              const char *name)
{
  const HearthGgufTensor *t = hearth_gguf_find_tensor (g, name);

  ck_assert_msg (t != NULL, "%s missing", name);
  return t->n_bytes;
}

START_TEST (test_device_bytes_per_token)
{
  static const char *const matrices[] = { "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up",
                                          "ffn_down" };
  const int n_gpu[] = { -1, 1, 0 };
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", "synth-llama-Q4_K_M.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = hearth_gguf_open (path, &error);
  g_autoptr(HearthModel) model = NULL;
  HearthModelParams mp;
  const HearthGgufTensor *embd;
  guint32 n_layer, use;
  guint64 want;

  hearth_assert_no_error (error);
  hearth_model_params_init (&mp);
  mp.backend = HEARTH_BACKEND_VULKAN;
  mp.n_gpu_layers = n_gpu[_i];
  model = hearth_model_load (path, &mp, &error);
  hearth_assert_no_error (error);
  n_layer = hearth_model_get_n_layer (model);
  ck_assert_uint_ge (n_layer, 2);
  use = n_gpu[_i] < 0 ? n_layer : (guint32) n_gpu[_i];
  ck_assert_uint_eq (hearth_model_get_n_gpu_layers (model), use);

  embd = hearth_gguf_find_tensor (g, "token_embd.weight");
  ck_assert (embd != NULL);
  want = use > 0 ? embd->n_bytes / embd->ne[1] : 0;
  for (guint32 il = 0; il < use; il++)
    for (guint i = 0; i < G_N_ELEMENTS (matrices); i++)
      {
        g_autofree char *name = g_strdup_printf ("blk.%u.%s.weight", il, matrices[i]);

        want += tensor_bytes (g, name);
      }
  if (use == n_layer)
    want += tensor_bytes (g, "output.weight");
  ck_assert_uint_eq (hearth_model_get_device_bytes_per_token (model), want);
  if (use == n_layer)
    ck_assert_uint_eq (hearth_model_get_device_bytes_per_token (model), hearth_model_get_bytes_per_token (model));
}
END_TEST

static Suite *
bench_suite (void)
{
  Suite *s = suite_create ("vulkan-bench");
  TCase *tc = tcase_create ("bench");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_bandwidth_probe, 0, G_N_ELEMENTS (probes));
  tcase_add_test (tc, test_bandwidth_simple);
  tcase_add_loop_test (tc, test_time_matvec, 0, 2);
  tcase_add_loop_test (tc, test_device_bytes_per_token, 0, 3);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_vulkan_run (bench_suite ());
}
