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
  return s;
}

int
main (void)
{
  return hearth_test_run (quant_suite ());
}
