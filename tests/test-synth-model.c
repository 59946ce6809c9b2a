/* test-synth-model.c: `hearth-cli synth-model` writes the model it is asked for
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static int
run_cli (const char *const *args)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  ck_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                           NULL, NULL, &status, &error));
  hearth_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static char *
temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hearth-synth-XXXXXX", &error);

  hearth_assert_no_error (error);
  return dir;
}

static guint32
get_u32 (HearthGguf *g,
         const char *key)
{
  g_autoptr(GError) error = NULL;
  guint32 v = 0;

  ck_assert_msg (hearth_gguf_get_uint32 (g, key, &v, &error), "%s: %s", key, error ? error->message : "");
  return v;
}

START_TEST (test_small_model)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *out = g_build_filename (dir, "a.gguf", NULL);
  g_autofree char *vocab = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  const char *args[] = { "synth-model", out, "--dim", "256", "--ff", "512", "--layers", "3", "--heads", "4",
                         "--kv-heads", "2", "--vocab", "600", "--ctx", "512", "--seed", "42",
                         "--vocab-from", vocab, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = NULL;
  g_autoptr(HearthGguf) v = NULL;
  const HearthGgufValue *tok, *vtok, *types, *vtypes;
  const struct { const char *name; guint64 ne0, ne1; double std; } expect[] = {
    { "token_embd.weight", 256, 600, 1.0 },
    { "output.weight", 256, 600, 0.3 },
    { "blk.0.attn_q.weight", 256, 256, 1.5 / 16 },
    { "blk.1.attn_k.weight", 256, 128, 1.5 / 16 },
    { "blk.2.attn_v.weight", 256, 128, 1.0 / 16 },
    { "blk.0.attn_output.weight", 256, 256, 1.0 / 16 },
    { "blk.1.ffn_gate.weight", 256, 512, 1.0 / 16 },
    { "blk.2.ffn_up.weight", 256, 512, 1.0 / 16 },
    { "blk.0.ffn_down.weight", 512, 256, 1.0 / sqrt (512) },
    { "blk.2.ffn_norm.weight", 256, 1, 0.1 },
    { "output_norm.weight", 256, 1, 0.1 },
  };

  ck_assert_int_eq (run_cli (args), 0);
  g = hearth_gguf_open (out, &error);
  hearth_assert_no_error (error);
  v = hearth_gguf_open (vocab, &error);
  hearth_assert_no_error (error);

  ck_assert_uint_eq (get_u32 (g, "llama.embedding_length"), 256);
  ck_assert_uint_eq (get_u32 (g, "llama.feed_forward_length"), 512);
  ck_assert_uint_eq (get_u32 (g, "llama.block_count"), 3);
  ck_assert_uint_eq (get_u32 (g, "llama.attention.head_count"), 4);
  ck_assert_uint_eq (get_u32 (g, "llama.attention.head_count_kv"), 2);
  ck_assert_uint_eq (get_u32 (g, "llama.rope.dimension_count"), 64);
  ck_assert_uint_eq (get_u32 (g, "llama.context_length"), 512);
  ck_assert_uint_eq (get_u32 (g, "general.file_type"), 0);
  ck_assert_uint_eq (hearth_gguf_get_n_tensors (g), 3 + 3 * 9);

  /* The vocabulary: stories260K's 512 tokens, then <unused0..87> of type UNUSED. */
  tok = hearth_gguf_get_array (g, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, &error);
  vtok = hearth_gguf_get_array (v, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, &error);
  types = hearth_gguf_get_array (g, "tokenizer.ggml.token_type", HEARTH_GGUF_TYPE_INT32, &error);
  vtypes = hearth_gguf_get_array (v, "tokenizer.ggml.token_type", HEARTH_GGUF_TYPE_INT32, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (tok->v.arr.n, 600);
  ck_assert_uint_eq (vtok->v.arr.n, 512);
  for (guint64 i = 0; i < 600; i++)
    {
      guint64 len, vlen;
      const char *s = hearth_gguf_array_get_string (tok, i, &len);

      if (i < 512)
        {
          const char *vs = hearth_gguf_array_get_string (vtok, i, &vlen);

          ck_assert (len == vlen && memcmp (s, vs, len) == 0);
          ck_assert_int_eq (hearth_gguf_array_get_int (types, i), hearth_gguf_array_get_int (vtypes, i));
        }
      else
        {
          g_autofree char *want = g_strdup_printf ("<unused%" G_GUINT64_FORMAT ">", i - 512);

          ck_assert (len == strlen (want) && memcmp (s, want, len) == 0);
          ck_assert_int_eq (hearth_gguf_array_get_int (types, i), 5);
        }
    }
  ck_assert_uint_eq (get_u32 (g, "tokenizer.ggml.bos_token_id"), 1);
  ck_assert_uint_eq (get_u32 (g, "tokenizer.ggml.eos_token_id"), 2);

  /* Shapes and weight statistics: N(0, std^2) (norms 1 + N(0, 0.01)), bf16 values. */
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_find_tensor (g, expect[i].name);
      const float *x;
      double sum = 0.0, sum2 = 0.0, mean, std, center;

      ck_assert_msg (t != NULL, "%s missing", expect[i].name);
      ck_assert (t->type == HEARTH_GGML_TYPE_F32);
      ck_assert (t->ne[0] == expect[i].ne0 && t->ne[1] == expect[i].ne1);
      ck_assert_uint_eq (t->n_dims, expect[i].ne1 == 1 ? 1 : 2);
      x = (const float *) t->data;
      for (guint64 j = 0; j < t->n_elements; j++)
        {
          guint32 u;

          memcpy (&u, &x[j], 4);
          ck_assert_msg ((u & 0xFFFF) == 0, "%s[%" G_GUINT64_FORMAT "] is not a bfloat16 value", t->name, j);
          sum += x[j];
          sum2 += (double) x[j] * x[j];
        }
      mean = sum / t->n_elements;
      std = sqrt (sum2 / t->n_elements - mean * mean);
      center = expect[i].ne1 == 1 ? 1.0 : 0.0;
      /* Sampling error of the mean is std / sqrt (n), of the std about
       * std / sqrt (2 n); 5 of those, plus bf16 rounding (0.4 %) for the std. */
      ck_assert_msg (fabs (mean - center) < 5 * expect[i].std / sqrt (t->n_elements),
                     "%s mean %g", t->name, mean);
      ck_assert_msg (fabs (std / expect[i].std - 1.0) < 5 / sqrt (2.0 * t->n_elements) + 0.004,
                     "%s std %g, expected %g", t->name, std, expect[i].std);
    }
  g_unlink (out);
  g_rmdir (dir);
}
END_TEST

/* The same options give the same file; another seed other weights; F16 holds
 * the same values rounded to half precision. */
START_TEST (test_seed_and_type)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *a = g_build_filename (dir, "a.gguf", NULL);
  g_autofree char *b = g_build_filename (dir, "b.gguf", NULL);
  g_autofree char *c = g_build_filename (dir, "c.gguf", NULL);
  g_autofree char *h = g_build_filename (dir, "h.gguf", NULL);
  const char *shape[] = { "--dim", "128", "--ff", "256", "--layers", "1", "--heads", "2", "--kv-heads", "1",
                          "--vocab", "300" };
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *da = NULL, *db = NULL, *dc = NULL;
  gsize la, lb, lc;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) ga = NULL;
  g_autoptr(HearthGguf) gh = NULL;
  const char *outs[] = { a, b, c, h };
  const char *seeds[] = { "5", "5", "6", "5" };

  for (guint k = 0; k < 4; k++)
    {
      g_ptr_array_set_size (args, 0);
      g_ptr_array_add (args, "synth-model");
      g_ptr_array_add (args, (gpointer) outs[k]);
      for (guint i = 0; i < G_N_ELEMENTS (shape); i++)
        g_ptr_array_add (args, (gpointer) shape[i]);
      g_ptr_array_add (args, "--seed");
      g_ptr_array_add (args, (gpointer) seeds[k]);
      if (k == 3)
        {
          g_ptr_array_add (args, "--type");
          g_ptr_array_add (args, "F16");
        }
      g_ptr_array_add (args, NULL);
      ck_assert_int_eq (run_cli ((const char *const *) args->pdata), 0);
    }
  ck_assert (g_file_get_contents (a, &da, &la, NULL));
  ck_assert (g_file_get_contents (b, &db, &lb, NULL));
  ck_assert (g_file_get_contents (c, &dc, &lc, NULL));
  ck_assert (la == lb && memcmp (da, db, la) == 0);
  ck_assert (la == lc && memcmp (da, dc, la) != 0);

  ga = hearth_gguf_open (a, &error);
  hearth_assert_no_error (error);
  gh = hearth_gguf_open (h, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (get_u32 (gh, "general.file_type"), 1);
  /* Without --vocab-from: 3 specials, 256 byte tokens, then unused ones. */
  {
    const HearthGgufValue *tok = hearth_gguf_get_array (ga, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, &error);
    guint64 len;
    const char *s;

    ck_assert_uint_eq (tok->v.arr.n, 300);
    s = hearth_gguf_array_get_string (tok, 3 + 0x41, &len);
    ck_assert (len == 6 && memcmp (s, "<0x41>", 6) == 0);
    s = hearth_gguf_array_get_string (tok, 299, &len);
    ck_assert (len == 10 && memcmp (s, "<unused40>", 10) == 0);
  }
  /* The output matrix scales with 1/sqrt (dim) (0.3 at 256): 4.8 / sqrt (128) here. */
  {
    const HearthGgufTensor *t = hearth_gguf_find_tensor (ga, "output.weight");
    double s2 = 0.0, want = 4.8 / sqrt (128.0);

    ck_assert (t != NULL);
    for (guint64 j = 0; j < t->n_elements; j++)
      s2 += (double) ((const float *) t->data)[j] * ((const float *) t->data)[j];
    ck_assert_msg (fabs (sqrt (s2 / t->n_elements) / want - 1.0) < 5 / sqrt (2.0 * t->n_elements) + 0.004,
                   "output.weight std %g, expected %g", sqrt (s2 / t->n_elements), want);
  }
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (ga); i++)
    {
      const HearthGgufTensor *tf = hearth_gguf_get_tensor (ga, i);
      const HearthGgufTensor *th = hearth_gguf_get_tensor (gh, i);

      ck_assert_str_eq (tf->name, th->name);
      ck_assert_int_eq (th->type, tf->n_dims == 1 ? HEARTH_GGML_TYPE_F32 : HEARTH_GGML_TYPE_F16);
      if (th->type != HEARTH_GGML_TYPE_F16)
        continue;
      for (guint64 j = 0; j < tf->n_elements; j++)
        {
          float f, back;
          guint16 hv;

          memcpy (&f, tf->data + 4 * j, 4);
          memcpy (&hv, th->data + 2 * j, 2);
          /* decode the half by hand: value = mantissa * 2^(exp - 25) */
          {
            int e = (hv >> 10) & 0x1F, m = hv & 0x3FF;

            back = (float) ldexp (e ? (m | 0x400) : m, (e ? e : 1) - 25);
            if (hv & 0x8000)
              back = -back;
          }
          /* half keeps 11 significant bits, bf16 8: exact unless subnormal */
          ck_assert_msg (fabsf (back - f) <= ldexpf (1.0f, -25), "%s[%" G_GUINT64_FORMAT "]: %g vs %g",
                         tf->name, j, (double) back, (double) f);
        }
    }
  for (guint k = 0; k < 4; k++)
    g_unlink (outs[k]);
  g_rmdir (dir);
}
END_TEST

/* --type Q4_K_M / Q8_0 quantizes as it generates: the file must be byte for
 * byte what synth-model in F32 followed by `quantize` writes (the reference:
 * the engine's quantizer run on the whole F32 file), whatever the thread
 * count. Eight layers, so the Q4_K_M mix promotes some layers and not others. */
static const char *const synth_types[] = { "Q4_K_M", "Q8_0" };

START_TEST (test_quantized_equals_quantize)
{
  const char *type = synth_types[_i];
  g_autofree char *dir = temp_dir ();
  g_autofree char *f32 = g_build_filename (dir, "f32.gguf", NULL);
  g_autofree char *ref = g_build_filename (dir, "ref.gguf", NULL);
  g_autofree char *direct = g_build_filename (dir, "direct.gguf", NULL);
  const char *shape[] = { "--dim", "256", "--ff", "512", "--layers", "8", "--heads", "4", "--kv-heads", "1",
                          "--vocab", "300", "--seed", "3" };
  const char *quantize[] = { "quantize", "-q", f32, ref, type, NULL };
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *a = NULL, *b = NULL;
  gsize la, lb;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = NULL;
  gboolean q4 = strcmp (type, "Q4_K_M") == 0;
  const struct { const char *name; HearthGgmlType q4_k_m; } expect[] = {
    { "token_embd.weight", HEARTH_GGML_TYPE_Q4_K },
    { "output.weight", HEARTH_GGML_TYPE_Q6_K },
    { "output_norm.weight", HEARTH_GGML_TYPE_F32 },
    { "blk.0.ffn_down.weight", HEARTH_GGML_TYPE_Q6_K },
    { "blk.1.ffn_down.weight", HEARTH_GGML_TYPE_Q4_K },
    { "blk.3.attn_v.weight", HEARTH_GGML_TYPE_Q6_K },
    { "blk.4.attn_v.weight", HEARTH_GGML_TYPE_Q4_K },
    { "blk.2.attn_q.weight", HEARTH_GGML_TYPE_Q4_K },
    { "blk.5.ffn_norm.weight", HEARTH_GGML_TYPE_F32 },
  };

  for (guint k = 0; k < 2; k++)
    {
      g_ptr_array_set_size (args, 0);
      g_ptr_array_add (args, "synth-model");
      g_ptr_array_add (args, k == 0 ? f32 : direct);
      for (guint i = 0; i < G_N_ELEMENTS (shape); i++)
        g_ptr_array_add (args, (gpointer) shape[i]);
      g_ptr_array_add (args, "--threads");
      g_ptr_array_add (args, k == 0 ? "1" : "3");
      if (k == 1)
        {
          g_ptr_array_add (args, "--type");
          g_ptr_array_add (args, (gpointer) type);
        }
      g_ptr_array_add (args, NULL);
      ck_assert_int_eq (run_cli ((const char *const *) args->pdata), 0);
    }
  ck_assert_int_eq (run_cli (quantize), 0);

  ck_assert (g_file_get_contents (ref, &a, &la, NULL));
  ck_assert (g_file_get_contents (direct, &b, &lb, NULL));
  ck_assert_uint_eq (la, lb);
  ck_assert_msg (memcmp (a, b, la) == 0, "synth-model --type %s differs from synth-model + quantize", type);

  /* And it is the mix asked for, not two copies of something else. */
  g = hearth_gguf_open (direct, &error);
  hearth_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_find_tensor (g, expect[i].name);
      HearthGgmlType want = q4 || expect[i].q4_k_m == HEARTH_GGML_TYPE_F32 ? expect[i].q4_k_m : HEARTH_GGML_TYPE_Q8_0;

      ck_assert_msg (t != NULL, "%s missing", expect[i].name);
      ck_assert_msg (t->type == want, "%s is %s, expected %s", expect[i].name, hearth_ggml_type_name (t->type),
                     hearth_ggml_type_name (want));
    }
  ck_assert_uint_eq (get_u32 (g, "general.file_type"), q4 ? 15 : 7);
  ck_assert_uint_eq (get_u32 (g, "general.quantization_version"), 2);
  g_unlink (f32);
  g_unlink (ref);
  g_unlink (direct);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_bad_options)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *out = g_build_filename (dir, "x.gguf", NULL);
  g_autofree char *vocab = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *bert = hearth_test_data_path ("models", "synthetic", "synth-bert-Q8_0.gguf", NULL);
  const char *small_vocab[] = { "synth-model", out, "--dim", "64", "--ff", "64", "--layers", "1", "--heads", "2",
                                "--kv-heads", "1", "--vocab", "100", "--vocab-from", vocab, NULL };
  const char *wordpiece[] = { "synth-model", out, "--dim", "64", "--ff", "64", "--layers", "1", "--heads", "2",
                              "--kv-heads", "1", "--vocab", "40000", "--vocab-from", bert, NULL };
  const char *bad_heads[] = { "synth-model", out, "--dim", "100", "--heads", "3", NULL };
  const char *bad_kv[] = { "synth-model", out, "--heads", "16", "--kv-heads", "5", NULL };
  const char *bad_type[] = { "synth-model", out, "--type", "Q9_9", NULL };

  ck_assert_int_eq (run_cli (small_vocab), 1);
  ck_assert_int_eq (run_cli (wordpiece), 1);
  ck_assert_int_eq (run_cli (bad_heads), 1);
  ck_assert_int_eq (run_cli (bad_kv), 1);
  ck_assert_int_eq (run_cli (bad_type), 1);
  ck_assert (!g_file_test (out, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}
END_TEST

static Suite *
synth_suite (void)
{
  Suite *s = suite_create ("synth-model");
  TCase *tc = tcase_create ("synth");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_small_model);
  tcase_add_test (tc, test_seed_and_type);
  tcase_add_test (tc, test_bad_options);
  tcase_add_loop_test (tc, test_quantized_equals_quantize, 0, G_N_ELEMENTS (synth_types));
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (synth_suite ());
}
