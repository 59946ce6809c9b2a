/* hearth-test-logits.c: checking a model's logits against the exact references
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-test-logits.h"

JsonObject *
hearth_test_load_reference (JsonParser *parser,
                  const char *rel)
{
  g_autofree char *path = hearth_test_data_path ("reference", rel, NULL);
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_file (parser, path, &error), "%s: %s", path,
                 error ? error->message : "");
  return json_node_get_object (json_parser_get_root (parser));
}

HearthTestBounds
hearth_test_bounds_for (const char *stem)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *all = hearth_test_load_reference (parser, "tolerances.json");
  JsonObject *t;
  HearthTestBounds b;

  ck_assert_msg (json_object_has_member (all, stem), "no tolerances for %s", stem);
  t = json_object_get_object_member (all, stem);
  b.max_abs = json_object_get_double_member (t, "max_abs");
  b.rms = json_object_get_double_member (t, "rms");
  b.top1_margin = json_object_get_double_member (t, "top1_margin");
  return b;
}

GArray *
hearth_test_all_ids_for (const char *stem,
             char      **model_rel)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *name = g_strconcat (stem, ".json", NULL);
  JsonObject *o = hearth_test_load_reference (parser, name);
  JsonArray *a = json_object_get_array_member (o, "all_ids");
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  const char *rel = json_object_has_member (o, "model_file_decompressed") &&
                    !json_object_get_null_member (o, "model_file_decompressed")
                      ? json_object_get_string_member (o, "model_file_decompressed")
                      : json_object_get_string_member (o, "model_file");

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      gint32 id = (gint32) json_array_get_int_element (a, i);
      g_array_append_val (ids, id);
    }
  *model_rel = g_strdup (rel);
  return ids;
}

HearthTestDeviation
hearth_test_compare_logits (const float *got,
                const float *exact,
                guint        n_pos,
                guint        n_vocab,
                double       top1_margin)
{
  HearthTestDeviation d = { 0 };
  double sq = 0.0;

  for (guint p = 0; p < n_pos; p++)
    {
      const float *g = got + (gsize) p * n_vocab;
      const float *e = exact + (gsize) p * n_vocab;
      guint ebest = 0, esecond = 1, gbest = 0;

      for (guint v = 0; v < n_vocab; v++)
        {
          double diff = fabs ((double) g[v] - e[v]);

          ck_assert_msg (isfinite (g[v]), "non-finite logit at position %u, id %u", p, v);
          d.max_abs = MAX (d.max_abs, diff);
          sq += diff * diff;
          if (g[v] > g[gbest])
            gbest = v;
        }
      if (e[1] > e[0])
        {
          ebest = 1;
          esecond = 0;
        }
      for (guint v = 2; v < n_vocab; v++)
        {
          if (e[v] > e[ebest])
            {
              esecond = ebest;
              ebest = v;
            }
          else if (e[v] > e[esecond])
            esecond = v;
        }
      if (e[ebest] - e[esecond] > top1_margin)
        {
          d.top1_checked++;
          d.top1_mismatches += gbest != ebest;
        }
    }
  d.rms = sqrt (sq / ((double) n_pos * n_vocab));
  return d;
}

/* The first HEARTH_TEST_N_SANITIZED_STEMS cover every architecture, a
 * float, a mixed-type and a K-quant file: the sanitizer build checks those
 * (the per-type kernels are checked there one by one, test-matmul). */
const char *const hearth_test_decoder_stems[] = {
  "stories260K-f32", "stories260K-mixed-Q8_0-Q5_0-F16", "synth-llama-Q4_K_M",
  "synth-qwen2-Q8_0", "synth-qwen3-Q4_K_M", "synth-llama-BF16",
  "stories260K-f16", "synth-llama-F32", "synth-llama-F16",
  "synth-llama-Q8_0-pure", "synth-llama-Q4_0-pure", "synth-llama-Q4_1-pure",
  "synth-llama-Q5_0-pure", "synth-llama-Q5_1-pure", "synth-llama-Q2_K-pure",
  "synth-llama-Q3_K_S-pure", "synth-llama-Q4_K_M-pure", "synth-llama-Q5_K_M-pure",
  "synth-llama-Q6_K-pure", "synth-llama-Q4_K_S",
  "synth-qwen2-F32", "synth-qwen2-Q4_K_M",
  "synth-qwen3-F32", "synth-qwen3-Q8_0",
  "synth-phi3-F32", "synth-phi3-Q8_0", "synth-gemma3-F32", "synth-gemma3-Q8_0",
};
const guint hearth_test_n_decoder_stems = G_N_ELEMENTS (hearth_test_decoder_stems);

guint
hearth_test_n_decoder_stems_here (void)
{
  return hearth_test_sanitized () ? HEARTH_TEST_N_SANITIZED_STEMS : hearth_test_n_decoder_stems;
}

/* Runs one model teacher-forced and checks it against the exact logits. */
void
hearth_test_check_model_logits (const char              *stem,
                                const HearthModelParams *mp,
                                guint32                  n_batch,
                                gboolean                 kv_f32,
                                const char              *label)
{
  g_autofree char *model_rel = NULL;
  g_autoptr(GArray) ids = hearth_test_all_ids_for (stem, &model_rel);
  g_autofree char *model_path = hearth_test_data_path (model_rel, NULL);
  g_autofree char *exact_name = g_strconcat (stem, ".exact.logits.f32", NULL);
  g_autoptr(GBytes) exact = hearth_test_load_data ("reference", exact_name, NULL);
  HearthTestBounds b = hearth_test_bounds_for (stem);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  g_autofree float *got = NULL;
  HearthSessionParams sp;
  guint n_vocab;
  HearthTestDeviation d;

  model = hearth_model_load (model_path, mp, &error);
  ck_assert_msg (model != NULL, "%s: %s", stem, error ? error->message : "");
  n_vocab = hearth_model_get_n_vocab (model);
  ck_assert_uint_eq (g_bytes_get_size (exact), (gsize) ids->len * n_vocab * sizeof (float));

  hearth_session_params_init (&sp);
  sp.n_ctx = 128;
  sp.n_batch = n_batch;
  sp.kv_f32 = kv_f32;
  session = hearth_session_new (model, &sp, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  ck_assert_msg (hearth_session_decode (session, (const gint32 *) ids->data, ids->len, TRUE, NULL, &error),
                 "%s", error ? error->message : "");
  ck_assert_uint_eq (hearth_session_get_n_past (session), ids->len);

  got = g_new (float, (gsize) ids->len * n_vocab);
  for (guint p = 0; p < ids->len; p++)
    memcpy (got + (gsize) p * n_vocab, hearth_session_get_logits (session, (int) p), n_vocab * sizeof (float));

  d = hearth_test_compare_logits (got, g_bytes_get_data (exact, NULL), ids->len, n_vocab, b.top1_margin);
  /* Printed so the figures can be read from the test log. */
  g_print ("%-34s %s batch=%-2u kv=%s  max_abs %.5f (bound %.3g)  rms %.6f (bound %.3g)  top1 %u/%u\n",
           stem, label, n_batch, kv_f32 ? "f32" : "f16",
           d.max_abs, b.max_abs, d.rms, b.rms, d.top1_checked - d.top1_mismatches, d.top1_checked);
  ck_assert_msg (d.max_abs <= b.max_abs, "%s: max abs %.5f > %.5f", stem, d.max_abs, b.max_abs);
  ck_assert_msg (d.rms <= b.rms, "%s: rms %.6f > %.6f", stem, d.rms, b.rms);
  ck_assert_msg (d.top1_mismatches == 0, "%s: argmax differs at %u of %u checked positions",
                 stem, d.top1_mismatches, d.top1_checked);
}
