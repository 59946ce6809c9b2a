/* test-quant.c: half-float conversions, exact dequantization against the
 * reference dumps, and quantization against llama-quantize's files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "hearth-cpu.h"
#include "hearth-engine.h"
#include "hearth-test.h"

static HearthGguf *
open_model (const char *file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", file, NULL);
  HearthGguf *g = hearth_gguf_open (path, &error);

  hearth_assert_no_error (error);
  return g;
}

static const HearthGgufTensor *
must_find_tensor (HearthGguf *g,
                  const char *name)
{
  const HearthGgufTensor *t = hearth_gguf_find_tensor (g, name);

  ck_assert_msg (t != NULL, "tensor %s missing", name);
  return t;
}

/* ---- half floats ---- */

/* Every half converts to float and back to itself (NaNs stay NaNs). */
START_TEST (test_fp16_roundtrip)
{
  for (guint32 h = 0; h < 65536; h++)
    {
      float f = hearth_fp16_to_fp32 ((guint16) h);
      guint16 back = hearth_fp32_to_fp16 (f);

      if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0)
        ck_assert_msg (isnan (f) && (back & 0x7C00) == 0x7C00 && (back & 0x3FF) != 0, "NaN %04x", h);
      else
        ck_assert_msg (back == h, "half %04x -> %g -> %04x", h, (double) f, back);
    }
  /* Known values of the format. */
  ck_assert (hearth_fp16_to_fp32 (0x3C00) == 1.0f);
  ck_assert (hearth_fp16_to_fp32 (0xC000) == -2.0f);
  ck_assert (hearth_fp16_to_fp32 (0x7BFF) == 65504.0f);
  ck_assert (hearth_fp16_to_fp32 (0x0001) == ldexpf (1.0f, -24));
  ck_assert (isinf (hearth_fp16_to_fp32 (0x7C00)));
}
END_TEST

/* Rounding: the chosen half is the nearest one, ties to even, checked in
 * double precision against its two neighbours for many random floats. */
START_TEST (test_fp16_rounding)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (int i = 0; i < 200000; i++)
    {
      float f = (float) ldexp (g_rand_double_range (rand, -1.0, 1.0), g_rand_int_range (rand, -27, 17));
      guint16 h = hearth_fp32_to_fp16 (f);
      double v = hearth_fp16_to_fp32 (h);
      double err = fabs (v - f);

      if (isinf (v))
        {
          ck_assert_msg (fabs (f) >= 65520.0, "%g overflowed", (double) f);
          continue;
        }
      for (int step = -1; step <= 1; step += 2)
        {
          guint16 nb = (guint16) (h + step);
          double w;

          if ((h & 0x7FFF) == 0 && step == -1)
            continue;
          w = hearth_fp16_to_fp32 (nb);
          if (isinf (w) || ((nb ^ h) & 0x8000))
            continue;
          ck_assert_msg (err < fabs (w - f) || (err == fabs (w - f) && (h & 1) == 0),
                         "%.9g -> %04x (%.9g) but %04x (%.9g) is nearer", (double) f, h, v, nb, w);
        }
    }
  ck_assert_uint_eq (hearth_fp32_to_fp16 (65520.0f), 0x7C00);
  ck_assert_uint_eq (hearth_fp32_to_fp16 (65519.0f), 0x7BFF);
  ck_assert_uint_eq (hearth_fp32_to_fp16 (-0.0f), 0x8000);
}
END_TEST

START_TEST (test_bf16)
{
  ck_assert_uint_eq (hearth_fp32_to_bf16 (1.0f), 0x3F80);
  ck_assert (hearth_bf16_to_fp32 (0x3F80) == 1.0f);
  /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even gives 1. */
  ck_assert_uint_eq (hearth_fp32_to_bf16 (1.0f + ldexpf (1.0f, -8)), 0x3F80);
  ck_assert_uint_eq (hearth_fp32_to_bf16 (1.0f + 3 * ldexpf (1.0f, -8)), 0x3F82);
  ck_assert (isnan (hearth_bf16_to_fp32 (hearth_fp32_to_bf16 (NAN))));
  for (guint32 h = 0; h < 65536; h++)
    if ((h & 0x7F80) != 0x7F80)
      ck_assert_uint_eq (hearth_fp32_to_bf16 (hearth_bf16_to_fp32 ((guint16) h)), h);
}
END_TEST

/* The F16 and BF16 files were converted from the F32 master by llama-quantize:
 * converting every 2-D master tensor here must give the same bytes. */
static void
check_conversion_against_file (const char     *file,
                               HearthGgmlType  type)
{
  g_autoptr(HearthGguf) master = open_model ("synth-llama-F32.gguf");
  g_autoptr(HearthGguf) conv = open_model (file);
  guint n_checked = 0;

  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (master); i++)
    {
      const HearthGgufTensor *m = hearth_gguf_get_tensor (master, i);
      const HearthGgufTensor *c = must_find_tensor (conv, m->name);
      g_autofree guint16 *out = NULL;

      if (c->type != type)
        continue;
      ck_assert_uint_eq (c->n_elements, m->n_elements);
      out = g_new (guint16, m->n_elements);
      for (guint64 j = 0; j < m->n_elements; j++)
        {
          float f;

          memcpy (&f, m->data + 4 * j, 4);
          out[j] = GUINT16_TO_LE (type == HEARTH_GGML_TYPE_F16 ? hearth_fp32_to_fp16 (f)
                                                                : hearth_fp32_to_bf16 (f));
        }
      ck_assert_msg (memcmp (out, c->data, c->n_bytes) == 0, "%s differs from %s", m->name, file);
      n_checked++;
    }
  ck_assert_uint_ge (n_checked, 20);
}

START_TEST (test_fp16_file)
{
  check_conversion_against_file ("synth-llama-F16.gguf", HEARTH_GGML_TYPE_F16);
}
END_TEST

START_TEST (test_bf16_file)
{
  check_conversion_against_file ("synth-llama-BF16.gguf", HEARTH_GGML_TYPE_BF16);
}
END_TEST

START_TEST (test_type_supported)
{
  const HearthGgmlType yes[] = {
    HEARTH_GGML_TYPE_F32, HEARTH_GGML_TYPE_F16, HEARTH_GGML_TYPE_BF16, HEARTH_GGML_TYPE_Q4_0,
    HEARTH_GGML_TYPE_Q4_1, HEARTH_GGML_TYPE_Q5_0, HEARTH_GGML_TYPE_Q5_1, HEARTH_GGML_TYPE_Q8_0,
    HEARTH_GGML_TYPE_Q2_K, HEARTH_GGML_TYPE_Q3_K, HEARTH_GGML_TYPE_Q4_K, HEARTH_GGML_TYPE_Q5_K,
    HEARTH_GGML_TYPE_Q6_K,
  };
  guint n_yes = 0;

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    ck_assert (hearth_cpu_type_supported (yes[i]));
  for (guint32 t = 0; t < HEARTH_GGML_TYPE_COUNT_ + 5; t++)
    n_yes += hearth_cpu_type_supported ((HearthGgmlType) t) ? 1 : 0;
  ck_assert_uint_eq (n_yes, G_N_ELEMENTS (yes));
  ck_assert (!hearth_cpu_type_supported (HEARTH_GGML_TYPE_IQ4_NL));
  ck_assert (!hearth_cpu_type_supported (HEARTH_GGML_TYPE_Q8_K));
}
END_TEST

/* ---- exact dequantization: every reference dump, bit for bit ---- */

START_TEST (test_dequant_reference)
{
  g_autoptr(GPtrArray) dumps = hearth_test_list_data ("reference", ".dequant.f32");
  GHashTable *types_seen = g_hash_table_new (g_str_hash, g_str_equal);

  ck_assert_uint_ge (dumps->len, 14);
  for (guint i = 0; i < dumps->len; i++)
    {
      const char *dump_name = g_ptr_array_index (dumps, i);
      g_autofree char *base = g_path_get_basename (dump_name);
      g_autofree char *stem = g_strndup (base, strlen (base) - strlen (".dequant.f32"));
      g_autofree char *json_name = g_strconcat (stem, ".json", NULL);
      g_autofree char *model_name = g_strconcat (stem, ".gguf", NULL);
      g_autoptr(GBytes) dump = hearth_test_load_data ("reference", base, NULL);
      g_autofree char *json_path = hearth_test_data_path ("reference", json_name, NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGguf) g = open_model (model_name);
      const HearthGgufTensor *t;
      JsonObject *dq;
      const char *type_name;
      HearthGgmlType want_type;
      gint64 n_values, n_rows;
      g_autofree float *out = NULL;
      const float *ref;
      guint64 row_bytes;
      gint64 n_diff = 0, first_diff = -1;

      ck_assert (json_parser_load_from_file (parser, json_path, &error));
      dq = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                          "dequant");
      ck_assert_msg (dq != NULL, "%s has no dequant block", json_name);
      type_name = json_object_get_string_member (dq, "ggml_type");
      n_values = json_object_get_int_member (dq, "n_values");
      ck_assert (hearth_ggml_type_from_name (type_name, &want_type));
      ck_assert_uint_eq (g_bytes_get_size (dump), (gsize) n_values * 4);

      t = must_find_tensor (g, json_object_get_string_member (dq, "tensor"));
      ck_assert_msg (t->type == want_type, "%s: tensor is %s, json says %s", stem,
                     hearth_ggml_type_name (t->type), type_name);
      ck_assert (hearth_cpu_type_supported (t->type));
      ck_assert (hearth_ggml_row_size (t->type, t->ne[0], &row_bytes));
      n_rows = (n_values + (gint64) t->ne[0] - 1) / (gint64) t->ne[0];
      out = g_new (float, n_rows * t->ne[0]);
      for (gint64 r = 0; r < n_rows; r++)
        hearth_dequantize_row (t->type, t->data + r * row_bytes, out + r * t->ne[0], t->ne[0]);

      ref = g_bytes_get_data (dump, NULL);
      for (gint64 j = 0; j < n_values; j++)
        {
          guint32 a, b;

          memcpy (&a, &out[j], 4);
          memcpy (&b, &ref[j], 4);
          if (a != b)
            {
              n_diff++;
              if (first_diff < 0)
                first_diff = j;
            }
        }
      ck_assert_msg (n_diff == 0, "%s (%s): %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                     " values differ, first at %" G_GINT64_FORMAT ": %.9g vs %.9g",
                     stem, type_name, n_diff, n_values, first_diff,
                     (double) out[MAX (first_diff, 0)], (double) ref[MAX (first_diff, 0)]);
      g_hash_table_add (types_seen, (gpointer) hearth_ggml_type_name (t->type));
    }
  /* F16, BF16 and the ten quantized types. */
  ck_assert_uint_eq (g_hash_table_size (types_seen), 12);
  g_hash_table_unref (types_seen);
}
END_TEST

/* ---- quantization against llama-quantize's files ---- */

typedef struct
{
  const char    *file;        /* synth-llama-<T>-pure.gguf */
  HearthGgmlType type;
  double         refkit_rms;  /* REFKIT.md: relative rms error of the shipped file */
  double         min_identical; /* asserted fraction of byte-identical blocks (all are) */
} QuantCase;

static const QuantCase quant_cases[] = {
  { "synth-llama-Q8_0-pure.gguf", HEARTH_GGML_TYPE_Q8_0, 0.005, 1.0 },
  { "synth-llama-Q4_0-pure.gguf", HEARTH_GGML_TYPE_Q4_0, 0.086, 1.0 },
  { "synth-llama-Q4_1-pure.gguf", HEARTH_GGML_TYPE_Q4_1, 0.079, 1.0 },
  { "synth-llama-Q5_0-pure.gguf", HEARTH_GGML_TYPE_Q5_0, 0.043, 1.0 },
  { "synth-llama-Q5_1-pure.gguf", HEARTH_GGML_TYPE_Q5_1, 0.038, 1.0 },
  { "synth-llama-Q2_K-pure.gguf", HEARTH_GGML_TYPE_Q2_K, 0.30, 1.0 },
  { "synth-llama-Q3_K_S-pure.gguf", HEARTH_GGML_TYPE_Q3_K, 0.15, 1.0 },
  { "synth-llama-Q4_K_M-pure.gguf", HEARTH_GGML_TYPE_Q4_K, 0.072, 1.0 },
  { "synth-llama-Q5_K_M-pure.gguf", HEARTH_GGML_TYPE_Q5_K, 0.036, 1.0 },
  { "synth-llama-Q6_K-pure.gguf", HEARTH_GGML_TYPE_Q6_K, 0.018, 1.0 },
};

START_TEST (test_quantize_against_llama_quantize)
{
  const QuantCase *qc = &quant_cases[_i];
  g_autoptr(HearthGguf) master = open_model ("synth-llama-F32.gguf");
  g_autoptr(HearthGguf) ref = open_model (qc->file);
  const HearthGgufTensor *tm = must_find_tensor (master, "blk.0.ffn_down.weight");
  const HearthGgufTensor *tr = must_find_tensor (ref, "blk.0.ffn_down.weight");
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (qc->type);
  gint64 n_cols = tm->ne[0], n_rows = tm->ne[1];
  guint64 row_bytes;
  g_autofree guint8 *q = NULL;
  g_autofree float *deq = g_new (float, n_cols);
  g_autofree float *deq_ref = g_new (float, n_cols);
  gint64 n_blocks, n_same = 0;
  double err2 = 0.0, err2_ref = 0.0, sig2 = 0.0, rms, rms_ref, identical;

  ck_assert (tm->type == HEARTH_GGML_TYPE_F32);
  ck_assert (tr->type == qc->type);
  ck_assert (hearth_ggml_row_size (qc->type, n_cols, &row_bytes));
  ck_assert_uint_eq (row_bytes * n_rows, tr->n_bytes);
  q = g_malloc (tr->n_bytes);
  for (gint64 r = 0; r < n_rows; r++)
    {
      const float *x = (const float *) tm->data + r * n_cols;

      ck_assert (hearth_quantize_row (qc->type, x, q + r * row_bytes, n_cols));
      hearth_dequantize_row (qc->type, q + r * row_bytes, deq, n_cols);
      hearth_dequantize_row (qc->type, tr->data + r * row_bytes, deq_ref, n_cols);
      for (gint64 c = 0; c < n_cols; c++)
        {
          err2 += ((double) deq[c] - x[c]) * ((double) deq[c] - x[c]);
          err2_ref += ((double) deq_ref[c] - x[c]) * ((double) deq_ref[c] - x[c]);
          sig2 += (double) x[c] * x[c];
        }
    }
  n_blocks = (gint64) (tr->n_bytes / info->type_size);
  for (gint64 b = 0; b < n_blocks; b++)
    n_same += memcmp (q + b * info->type_size, tr->data + b * info->type_size, info->type_size) == 0;
  rms = sqrt (err2 / sig2);
  rms_ref = sqrt (err2_ref / sig2);
  identical = (double) n_same / n_blocks;
  g_print ("%-5s relative rms error %.5f (llama-quantize %.5f, REFKIT %.3f); "
           "byte-identical blocks %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " = %.4f\n",
           info->name, rms, rms_ref, qc->refkit_rms, n_same, n_blocks, identical);
  /* REFKIT's figures are llama-quantize's rms errors rounded (Q8_0's 0.005
   * is 0.00538 rounded to one digit), so the bound uses the unrounded
   * figure of the shipped file where it is the larger. */
  ck_assert_msg (rms <= MAX (qc->refkit_rms, rms_ref) * 1.05, "%s: rms error %.5f above %.5f",
                 info->name, rms, MAX (qc->refkit_rms, rms_ref) * 1.05);
  ck_assert_msg (identical >= qc->min_identical, "%s: only %.4f of the blocks are byte-identical",
                 info->name, identical);
}
END_TEST

/* Every 2-D tensor of the master, quantized to each pure type, equals the
 * tensor llama-quantize wrote (all tensors of those files have the type). */
START_TEST (test_quantize_whole_models)
{
  const QuantCase *qc = &quant_cases[_i];
  g_autoptr(HearthGguf) master = open_model ("synth-llama-F32.gguf");
  g_autoptr(HearthGguf) ref = open_model (qc->file);
  guint n_checked = 0;

  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (master); i++)
    {
      const HearthGgufTensor *tm = hearth_gguf_get_tensor (master, i);
      const HearthGgufTensor *tr = must_find_tensor (ref, tm->name);
      g_autofree guint8 *q = NULL;
      guint64 row_bytes;

      if (tm->n_dims != 2)
        continue;
      ck_assert_msg (tr->type == qc->type, "%s in %s is %s", tm->name, qc->file,
                     hearth_ggml_type_name (tr->type));
      ck_assert (hearth_ggml_row_size (qc->type, tm->ne[0], &row_bytes));
      q = g_malloc (tr->n_bytes);
      for (guint64 r = 0; r < tm->ne[1]; r++)
        ck_assert (hearth_quantize_row (qc->type, (const float *) tm->data + r * tm->ne[0],
                                        q + r * row_bytes, tm->ne[0]));
      ck_assert_msg (memcmp (q, tr->data, tr->n_bytes) == 0, "%s differs in %s", tm->name, qc->file);
      n_checked++;
    }
  ck_assert_uint_eq (n_checked, 30);
}
END_TEST

/* F16/BF16 through hearth_quantize_row, and types it cannot produce. */
START_TEST (test_quantize_plain_types)
{
  const float x[4] = { 1.0f, -0.5f, 65504.0f, 1e-8f };
  guint16 h[4];
  float back[4];
  guint8 buf[64];

  ck_assert (hearth_quantize_row (HEARTH_GGML_TYPE_F16, x, h, 4));
  ck_assert_uint_eq (h[0], 0x3C00);
  ck_assert_uint_eq (h[1], 0xB800);
  ck_assert_uint_eq (h[2], 0x7BFF);
  ck_assert_uint_eq (h[3], 0x0000);
  ck_assert (hearth_quantize_row (HEARTH_GGML_TYPE_BF16, x, h, 4));
  ck_assert_uint_eq (h[0], 0x3F80);
  ck_assert (hearth_quantize_row (HEARTH_GGML_TYPE_F32, x, back, 4));
  ck_assert (memcmp (back, x, sizeof x) == 0);
  ck_assert (!hearth_quantize_row (HEARTH_GGML_TYPE_IQ4_NL, x, buf, 32));
  ck_assert (!hearth_quantize_row (HEARTH_GGML_TYPE_Q8_K, x, buf, 256));
}
END_TEST

/* All-zero and constant blocks must not produce NaN or garbage. */
START_TEST (test_quantize_degenerate)
{
  const HearthGgmlType types[] = {
    HEARTH_GGML_TYPE_Q4_0, HEARTH_GGML_TYPE_Q4_1, HEARTH_GGML_TYPE_Q5_0, HEARTH_GGML_TYPE_Q5_1,
    HEARTH_GGML_TYPE_Q8_0, HEARTH_GGML_TYPE_Q2_K, HEARTH_GGML_TYPE_Q3_K, HEARTH_GGML_TYPE_Q4_K,
    HEARTH_GGML_TYPE_Q5_K, HEARTH_GGML_TYPE_Q6_K,
  };
  float x[256], y[256];
  guint8 q[512];

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    for (int pattern = 0; pattern < 2; pattern++)
      {
        for (int i = 0; i < 256; i++)
          x[i] = pattern == 0 ? 0.0f : 0.75f;
        ck_assert (hearth_quantize_row (types[t], x, q, 256));
        hearth_dequantize_row (types[t], q, y, 256);
        for (int i = 0; i < 256; i++)
          ck_assert_msg (fabsf (y[i] - x[i]) <= 0.75f * 0.05f, "%s pattern %d: %g for %g",
                         hearth_ggml_type_name (types[t]), pattern, (double) y[i], (double) x[i]);
      }
}
END_TEST

static Suite *
quant_suite (void)
{
  Suite *s = suite_create ("quant");
  TCase *tc = tcase_create ("convert");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_fp16_roundtrip);
  tcase_add_test (tc, test_fp16_rounding);
  tcase_add_test (tc, test_bf16);
  tcase_add_test (tc, test_fp16_file);
  tcase_add_test (tc, test_bf16_file);
  tcase_add_test (tc, test_type_supported);
  suite_add_tcase (s, tc);

  tc = tcase_create ("dequant");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_dequant_reference);
  suite_add_tcase (s, tc);

  tc = tcase_create ("quantize");
  tcase_set_timeout (tc, 30);
  tcase_add_loop_test (tc, test_quantize_against_llama_quantize, 0, G_N_ELEMENTS (quant_cases));
  tcase_add_loop_test (tc, test_quantize_whole_models, 0, G_N_ELEMENTS (quant_cases));
  tcase_add_test (tc, test_quantize_plain_types);
  tcase_add_test (tc, test_quantize_degenerate);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (quant_suite ());
}
