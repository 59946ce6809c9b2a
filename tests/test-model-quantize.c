/* test-model-quantize.c: `hearth-cli quantize` against llama-quantize's files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static char *
temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hearth-quantize-XXXXXX", &error);

  hearth_assert_no_error (error);
  return dir;
}

static void
run_cli (const char *const *args,
         int                 want_status,
         char              **out_stdout)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  int status;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  ck_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, &error));
  hearth_assert_no_error (error);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == want_status,
                 "hearth-cli %s exited %d, expected %d; stderr: %s", args[0], WEXITSTATUS (status),
                 want_status, err);
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
}

/* Serialized equality of two metadata values, by a copy through the writer's
 * rules: same type and same contents (strings by bytes, arrays element-wise). */
static gboolean
values_equal (const HearthGgufValue *a,
              const HearthGgufValue *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case HEARTH_GGUF_TYPE_STRING:
      return a->v.str.len == b->v.str.len && memcmp (a->v.str.data, b->v.str.data, a->v.str.len) == 0;
    case HEARTH_GGUF_TYPE_ARRAY:
      if (a->v.arr.elem_type != b->v.arr.elem_type || a->v.arr.n != b->v.arr.n)
        return FALSE;
      if (a->v.arr.elem_type == HEARTH_GGUF_TYPE_STRING || a->v.arr.elem_type == HEARTH_GGUF_TYPE_ARRAY)
        {
          for (guint64 i = 0; i < a->v.arr.n; i++)
            if (!values_equal (&a->v.arr.items[i], &b->v.arr.items[i]))
              return FALSE;
          return TRUE;
        }
      return memcmp (a->v.arr.data, b->v.arr.data, a->v.arr.n * hearth_gguf_type_size (a->v.arr.elem_type)) == 0;
    case HEARTH_GGUF_TYPE_FLOAT32:
    case HEARTH_GGUF_TYPE_FLOAT64:
      return memcmp (&a->v.f64, &b->v.f64, sizeof (double)) == 0;
    case HEARTH_GGUF_TYPE_BOOL:
      return !a->v.b == !b->v.b;
    default:
      return a->v.u64 == b->v.u64;
    }
}

/* Every tensor of @ref is in @out with the same type, shape and bytes, and
 * every metadata value of @ref is in @out unchanged. */
static void
compare_with_reference (const char *out_path,
                        const char *ref_dir,
                        const char *ref_file)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ref_path = hearth_test_data_path ("models", ref_dir, ref_file, NULL);
  g_autoptr(HearthGguf) out = hearth_gguf_open (out_path, &error);
  g_autoptr(HearthGguf) ref = NULL;

  hearth_assert_no_error (error);
  ref = hearth_gguf_open (ref_path, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_gguf_get_n_tensors (out), hearth_gguf_get_n_tensors (ref));
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (ref); i++)
    {
      const HearthGgufTensor *tr = hearth_gguf_get_tensor (ref, i);
      const HearthGgufTensor *to = hearth_gguf_find_tensor (out, tr->name);

      ck_assert_msg (to != NULL, "%s: tensor %s missing", ref_file, tr->name);
      ck_assert_msg (to->type == tr->type, "%s: %s is %s, llama-quantize made %s", ref_file, tr->name,
                     hearth_ggml_type_name (to->type), hearth_ggml_type_name (tr->type));
      ck_assert (to->n_dims == tr->n_dims && memcmp (to->ne, tr->ne, sizeof to->ne) == 0);
      ck_assert_msg (memcmp (to->data, tr->data, tr->n_bytes) == 0, "%s: %s bytes differ", ref_file, tr->name);
    }
  ck_assert_uint_eq (hearth_gguf_get_n_kv (out), hearth_gguf_get_n_kv (ref));
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (ref); i++)
    {
      const char *key = hearth_gguf_get_key (ref, i);
      const HearthGgufValue *vo = hearth_gguf_find (out, key);

      ck_assert_msg (vo != NULL, "%s: key %s missing", ref_file, key);
      ck_assert_msg (values_equal (vo, hearth_gguf_get_value_at (ref, i)), "%s: key %s differs", ref_file, key);
    }
}

typedef struct
{
  const char *src_dir, *src_file, *type, *ref_file;
  gboolean    pure;
} CliCase;

/* The Q8_0, Q4_K_M and Q4_K_S recipes give llama-quantize's tensor types
 * (incl. the fallbacks of stories260K's 64- and 172-wide rows) and bytes. */
static const CliCase cli_cases[] = {
  { "synthetic", "synth-llama-F32.gguf", "Q8_0", "synth-llama-Q8_0-pure.gguf" },
  { "synthetic", "synth-llama-F32.gguf", "Q4_K_M", "synth-llama-Q4_K_M.gguf" },
  { "synthetic", "synth-llama-F32.gguf", "Q4_K_S", "synth-llama-Q4_K_S.gguf" },
  { "synthetic", "synth-qwen2-F32.gguf", "Q4_K_M", "synth-qwen2-Q4_K_M.gguf" },
  { "synthetic", "synth-qwen2-F32.gguf", "Q8_0", "synth-qwen2-Q8_0.gguf" },
  { "stories260K", "stories260K-f32.gguf", "Q4_K_M", "stories260K-mixed-Q8_0-Q5_0-F16.gguf" },
  { "stories260K", "stories260K-f32.gguf", "F16", "stories260K-f16.gguf" },
  /* plain type names, and --pure for the mixes' names, give llama-quantize --pure's files */
  { "synthetic", "synth-llama-F32.gguf", "Q4_0", "synth-llama-Q4_0-pure.gguf" },
  { "synthetic", "synth-llama-F32.gguf", "Q5_1", "synth-llama-Q5_1-pure.gguf" },
  { "synthetic", "synth-llama-F32.gguf", "Q6_K", "synth-llama-Q6_K-pure.gguf" },
  { "synthetic", "synth-llama-F32.gguf", "Q4_K_M", "synth-llama-Q4_K_M-pure.gguf", TRUE },
  { "synthetic", "synth-llama-F32.gguf", "Q2_K", "synth-llama-Q2_K-pure.gguf", TRUE },
  { "synthetic", "synth-llama-F32.gguf", "Q3_K_S", "synth-llama-Q3_K_S-pure.gguf", TRUE },
};

START_TEST (test_cli_matches_llama_quantize)
{
  const CliCase *c = &cli_cases[_i];
  g_autofree char *dir = temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out.gguf", NULL);
  g_autofree char *src = hearth_test_data_path ("models", c->src_dir, c->src_file, NULL);
  g_autofree char *text = NULL;
  const char *args[] = { "quantize", "--threads", "2", src, out, c->type, c->pure ? "--pure" : NULL, NULL };

  run_cli (args, 0, &text);
  /* The log names each tensor once. */
  ck_assert (strstr (text, "blk.0.attn_q.weight") != NULL);
  if (g_str_has_prefix (c->src_file, "stories"))
    ck_assert (strcmp (c->type, "F16") == 0 || strstr (text, "do not fit") != NULL);
  compare_with_reference (out, c->src_dir, c->ref_file);
  g_unlink (out);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_cli_errors)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out.gguf", NULL);
  g_autofree char *src = hearth_test_data_path ("models", "synthetic", "synth-llama-F32.gguf", NULL);
  g_autofree char *quantized = hearth_test_data_path ("models", "synthetic", "synth-llama-Q8_0-pure.gguf", NULL);
  g_autofree char *list = NULL;
  const char *unknown[] = { "quantize", src, out, "Q7_K", NULL };
  const char *missing[] = { "quantize", "/nonexistent.gguf", out, "Q8_0", NULL };
  const char *requant[] = { "quantize", quantized, out, "Q4_0", NULL };
  const char *wrong_args[] = { "quantize", src, NULL };
  const char *list_args[] = { "quantize", "--list", NULL };

  run_cli (unknown, 1, NULL);
  run_cli (missing, 1, NULL);
  run_cli (requant, 1, NULL);
  run_cli (wrong_args, 1, NULL);
  ck_assert (!g_file_test (out, G_FILE_TEST_EXISTS));
  run_cli (list_args, 0, &list);
  ck_assert (strstr (list, "Q4_K_M") != NULL && strstr (list, "Q6_K") != NULL);
  g_rmdir (dir);
}
END_TEST

/* The API: a requantization is refused with UNSUPPORTED; a pure K type keeps
 * every 2-D weight at that type and 1-D tensors F32; general.file_type set. */
START_TEST (test_api)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *out = g_build_filename (dir, "out.gguf", NULL);
  g_autofree char *src = hearth_test_data_path ("models", "synthetic", "synth-llama-F16.gguf", NULL);
  g_autofree char *quantized = hearth_test_data_path ("models", "synthetic", "synth-llama-Q8_0-pure.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = NULL;
  HearthQuantizeParams params;
  guint32 ft;

  hearth_quantize_params_init (&params);
  params.type = "Q4_0";
  ck_assert (!hearth_quantize_file (quantized, out, &params, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  params.type = "nope";
  ck_assert (!hearth_quantize_file (src, out, &params, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  params.type = "Q6_K";
  params.n_threads = 3;
  ck_assert (hearth_quantize_file (src, out, &params, &error));
  hearth_assert_no_error (error);
  g = hearth_gguf_open (out, &error);
  hearth_assert_no_error (error);
  ck_assert (hearth_gguf_get_uint32 (g, "general.file_type", &ft, &error));
  ck_assert_uint_eq (ft, 18);
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (g); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (g, i);

      ck_assert_int_eq (t->type, t->n_dims == 1 ? HEARTH_GGML_TYPE_F32 : HEARTH_GGML_TYPE_Q6_K);
    }
  /* The F16 file holds (nearly) the master's values, so its Q6_K equals
   * llama-quantize's from the F32 master for this tensor. */
  {
    g_autofree char *ref_path = hearth_test_data_path ("models", "synthetic", "synth-llama-Q6_K-pure.gguf", NULL);
    g_autoptr(HearthGguf) ref = hearth_gguf_open (ref_path, &error);
    const HearthGgufTensor *a = hearth_gguf_find_tensor (g, "blk.0.ffn_down.weight");
    const HearthGgufTensor *b = hearth_gguf_find_tensor (ref, "blk.0.ffn_down.weight");

    ck_assert (a != NULL && b != NULL && a->n_bytes == b->n_bytes);
    ck_assert (memcmp (a->data, b->data, a->n_bytes) == 0);
  }
  g_unlink (out);
  g_rmdir (dir);
}
END_TEST

static Suite *
model_quantize_suite (void)
{
  Suite *s = suite_create ("model-quantize");
  TCase *tc = tcase_create ("cli");

  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_cli_matches_llama_quantize, 0, G_N_ELEMENTS (cli_cases));
  tcase_add_test (tc, test_cli_errors);
  tcase_add_test (tc, test_api);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (model_quantize_suite ());
}
