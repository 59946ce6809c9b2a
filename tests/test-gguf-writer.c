/* test-gguf-writer.c: files written by the GGUF writer, read back by the reader
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static char *
temp_path (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hearth-writer-XXXXXX", &error);

  hearth_assert_no_error (error);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

START_TEST (test_every_value_type)
{
  g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = temp_path ("values.gguf");
  g_autoptr(HearthGguf) g = NULL;
  const gint16 arr_i16[] = { 1, -1, -32768, 32767 };
  const float arr_f32[] = { 0.5f, -2.25f };
  const guint8 arr_bool[] = { 1, 0, 1 };
  const guint64 arr_u64[] = { G_MAXUINT64, 0 };
  const char *strs[] = { "hello", "", "wörld" };
  const HearthGgufValue *v;
  /* [[1.5], []] as float64 arrays, built as the reader would present it */
  double d15 = 1.5;
  HearthGgufValue inner[2] = {
    { .type = HEARTH_GGUF_TYPE_ARRAY, .v.arr = { HEARTH_GGUF_TYPE_FLOAT64, 1, (const guint8 *) &d15, NULL } },
    { .type = HEARTH_GGUF_TYPE_ARRAY, .v.arr = { HEARTH_GGUF_TYPE_FLOAT64, 0, NULL, NULL } },
  };
  HearthGgufValue nested = { .type = HEARTH_GGUF_TYPE_ARRAY,
                             .v.arr = { HEARTH_GGUF_TYPE_ARRAY, 2, NULL, inner } };
  gint64 i64;
  guint64 u64;
  double f;
  gboolean b;
  guint64 len;
  const char *s;

  hearth_gguf_writer_add_string (w, "general.architecture", "llama");
  hearth_gguf_writer_add_uint8 (w, "t.u8", 250);
  hearth_gguf_writer_add_int8 (w, "t.i8", -100);
  hearth_gguf_writer_add_uint16 (w, "t.u16", 65000);
  hearth_gguf_writer_add_int16 (w, "t.i16", -30000);
  hearth_gguf_writer_add_uint32 (w, "t.u32", 4000000000u);
  hearth_gguf_writer_add_int32 (w, "t.i32", -2000000000);
  hearth_gguf_writer_add_uint64 (w, "t.u64", G_MAXUINT64 - 1);
  hearth_gguf_writer_add_int64 (w, "t.i64", G_MININT64 + 1);
  hearth_gguf_writer_add_float32 (w, "t.f32", 0.1f);
  hearth_gguf_writer_add_float64 (w, "t.f64", 0.1);
  hearth_gguf_writer_add_bool (w, "t.bool", TRUE);
  hearth_gguf_writer_add_string (w, "t.str", "tschüß");
  hearth_gguf_writer_add_array (w, "t.arr_i16", HEARTH_GGUF_TYPE_INT16, arr_i16, 4);
  hearth_gguf_writer_add_array (w, "t.arr_f32", HEARTH_GGUF_TYPE_FLOAT32, arr_f32, 2);
  hearth_gguf_writer_add_array (w, "t.arr_bool", HEARTH_GGUF_TYPE_BOOL, arr_bool, 3);
  hearth_gguf_writer_add_array (w, "t.arr_u64", HEARTH_GGUF_TYPE_UINT64, arr_u64, 2);
  hearth_gguf_writer_add_array (w, "t.arr_empty", HEARTH_GGUF_TYPE_UINT32, NULL, 0);
  hearth_gguf_writer_add_string_array (w, "t.arr_str", strs, 3);
  hearth_gguf_writer_add_value (w, "t.nested", &nested);
  /* Replacing keeps the position and the count. */
  hearth_gguf_writer_add_uint32 (w, "t.replaced", 1);
  hearth_gguf_writer_add_uint32 (w, "t.last", 2);
  hearth_gguf_writer_add_string (w, "t.replaced", "now a string");

  ck_assert (hearth_gguf_writer_write_file (w, path, &error));
  hearth_assert_no_error (error);
  g = hearth_gguf_open (path, &error);
  hearth_assert_no_error (error);

  ck_assert_uint_eq (hearth_gguf_get_version (g), 3);
  ck_assert_uint_eq (hearth_gguf_get_n_kv (g), 22);
  ck_assert_uint_eq (hearth_gguf_get_n_tensors (g), 0);
  ck_assert_str_eq (hearth_gguf_get_key (g, 0), "general.architecture");
  ck_assert_str_eq (hearth_gguf_get_key (g, 20), "t.replaced");
  ck_assert_str_eq (hearth_gguf_get_key (g, 21), "t.last");

#define CHECK_TYPE(key, t) ck_assert_int_eq (hearth_gguf_find (g, key)->type, t)
  CHECK_TYPE ("t.u8", HEARTH_GGUF_TYPE_UINT8);
  CHECK_TYPE ("t.i8", HEARTH_GGUF_TYPE_INT8);
  CHECK_TYPE ("t.u16", HEARTH_GGUF_TYPE_UINT16);
  CHECK_TYPE ("t.i16", HEARTH_GGUF_TYPE_INT16);
  CHECK_TYPE ("t.u32", HEARTH_GGUF_TYPE_UINT32);
  CHECK_TYPE ("t.i32", HEARTH_GGUF_TYPE_INT32);
  CHECK_TYPE ("t.u64", HEARTH_GGUF_TYPE_UINT64);
  CHECK_TYPE ("t.i64", HEARTH_GGUF_TYPE_INT64);
  CHECK_TYPE ("t.f32", HEARTH_GGUF_TYPE_FLOAT32);
  CHECK_TYPE ("t.f64", HEARTH_GGUF_TYPE_FLOAT64);
  CHECK_TYPE ("t.bool", HEARTH_GGUF_TYPE_BOOL);
  CHECK_TYPE ("t.str", HEARTH_GGUF_TYPE_STRING);
  CHECK_TYPE ("t.replaced", HEARTH_GGUF_TYPE_STRING);
#undef CHECK_TYPE

  ck_assert (hearth_gguf_get_uint64 (g, "t.u8", &u64, &error) && u64 == 250);
  ck_assert (hearth_gguf_get_int64 (g, "t.i8", &i64, &error) && i64 == -100);
  ck_assert (hearth_gguf_get_uint64 (g, "t.u16", &u64, &error) && u64 == 65000);
  ck_assert (hearth_gguf_get_int64 (g, "t.i16", &i64, &error) && i64 == -30000);
  ck_assert (hearth_gguf_get_uint64 (g, "t.u32", &u64, &error) && u64 == 4000000000u);
  ck_assert (hearth_gguf_get_int64 (g, "t.i32", &i64, &error) && i64 == -2000000000);
  ck_assert (hearth_gguf_get_uint64 (g, "t.u64", &u64, &error) && u64 == G_MAXUINT64 - 1);
  ck_assert (hearth_gguf_get_int64 (g, "t.i64", &i64, &error) && i64 == G_MININT64 + 1);
  ck_assert (hearth_gguf_get_float (g, "t.f32", &f, &error) && f == (double) 0.1f);
  ck_assert (hearth_gguf_get_float (g, "t.f64", &f, &error) && f == 0.1);
  ck_assert (hearth_gguf_get_bool (g, "t.bool", &b, &error) && b);
  hearth_assert_no_error (error);
  {
    g_autofree char *str = hearth_gguf_dup_string (g, "t.str", &error);

    ck_assert_str_eq (str, "tschüß");
  }

  v = hearth_gguf_get_array (g, "t.arr_i16", HEARTH_GGUF_TYPE_INT16, &error);
  ck_assert (v != NULL && v->v.arr.n == 4);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (hearth_gguf_array_get_int (v, i), arr_i16[i]);
  v = hearth_gguf_get_array (g, "t.arr_f32", HEARTH_GGUF_TYPE_FLOAT32, &error);
  ck_assert (v != NULL && hearth_gguf_array_get_float (v, 1) == -2.25);
  v = hearth_gguf_get_array (g, "t.arr_bool", HEARTH_GGUF_TYPE_BOOL, &error);
  ck_assert (v != NULL && v->v.arr.n == 3 && memcmp (v->v.arr.data, arr_bool, 3) == 0);
  v = hearth_gguf_get_array (g, "t.arr_u64", HEARTH_GGUF_TYPE_UINT64, &error);
  ck_assert (v != NULL && memcmp (v->v.arr.data, arr_u64, 16) == 0);
  v = hearth_gguf_get_array (g, "t.arr_empty", HEARTH_GGUF_TYPE_UINT32, &error);
  ck_assert (v != NULL && v->v.arr.n == 0);
  v = hearth_gguf_get_array (g, "t.arr_str", HEARTH_GGUF_TYPE_STRING, &error);
  ck_assert (v != NULL && v->v.arr.n == 3);
  for (int i = 0; i < 3; i++)
    {
      s = hearth_gguf_array_get_string (v, i, &len);
      ck_assert_uint_eq (len, strlen (strs[i]));
      ck_assert (memcmp (s, strs[i], len) == 0);
    }
  v = hearth_gguf_get_array (g, "t.nested", HEARTH_GGUF_TYPE_ARRAY, &error);
  hearth_assert_no_error (error);
  ck_assert (v != NULL && v->v.arr.n == 2);
  ck_assert_int_eq (v->v.arr.items[0].v.arr.elem_type, HEARTH_GGUF_TYPE_FLOAT64);
  ck_assert (hearth_gguf_array_get_float (&v->v.arr.items[0], 0) == 1.5);
  ck_assert_uint_eq (v->v.arr.items[1].v.arr.n, 0);
  remove_temp (path);
}
END_TEST

START_TEST (test_tensors_and_alignment)
{
  for (int pass = 0; pass < 2; pass++)
    {
      g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *path = temp_path ("tensors.gguf");
      g_autoptr(HearthGguf) g = NULL;
      guint32 alignment = pass == 0 ? 32 : 256;
      float norm[7];
      guint8 q8[3 * 2 * 34];
      guint16 f16[4 * 3 * 2];
      const guint64 ne_norm[] = { 7 };
      const guint64 ne_q8[] = { 64, 3 };
      const guint64 ne_f16[] = { 4, 3, 2 };
      const HearthGgufTensor *t;

      for (guint i = 0; i < G_N_ELEMENTS (norm); i++)
        norm[i] = (float) i * 0.25f;
      for (guint i = 0; i < sizeof q8; i++)
        q8[i] = (guint8) (i * 7 + 1);
      for (guint i = 0; i < G_N_ELEMENTS (f16); i++)
        f16[i] = (guint16) (0x3C00 + i);
      if (pass == 1)
        ck_assert (hearth_gguf_writer_set_alignment (w, alignment, &error));
      hearth_gguf_writer_add_string (w, "general.architecture", "llama");
      ck_assert (hearth_gguf_writer_add_tensor (w, "norm", HEARTH_GGML_TYPE_F32, 1, ne_norm, norm, &error));
      ck_assert (hearth_gguf_writer_add_tensor (w, "q8", HEARTH_GGML_TYPE_Q8_0, 2, ne_q8, q8, &error));
      ck_assert (hearth_gguf_writer_add_tensor (w, "f16", HEARTH_GGML_TYPE_F16, 3, ne_f16, f16, &error));
      hearth_assert_no_error (error);
      ck_assert_uint_eq (hearth_gguf_writer_get_n_tensors (w), 3);

      /* Errors: duplicate name, a row that is not a block multiple, bad alignment. */
      ck_assert (!hearth_gguf_writer_add_tensor (w, "norm", HEARTH_GGML_TYPE_F32, 1, ne_norm, norm, &error));
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_DUPLICATE);
      g_clear_error (&error);
      ck_assert (!hearth_gguf_writer_add_tensor (w, "bad", HEARTH_GGML_TYPE_Q4_K, 2, ne_q8, q8, &error));
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_SHAPE);
      g_clear_error (&error);
      ck_assert (!hearth_gguf_writer_add_tensor (w, "bad", (HearthGgmlType) 4, 1, ne_norm, q8, &error));
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE);
      g_clear_error (&error);
      ck_assert (!hearth_gguf_writer_set_alignment (w, 48, &error));
      hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);

      ck_assert (hearth_gguf_writer_write_file (w, path, &error));
      hearth_assert_no_error (error);
      g = hearth_gguf_open (path, &error);
      hearth_assert_no_error (error);
      ck_assert_uint_eq (hearth_gguf_get_alignment (g), alignment);
      ck_assert_uint_eq (hearth_gguf_get_data_offset (g) % alignment, 0);
      ck_assert_uint_eq (hearth_gguf_get_n_tensors (g), 3);

      t = hearth_gguf_get_tensor (g, 0);
      ck_assert_str_eq (t->name, "norm");
      ck_assert (t->type == HEARTH_GGML_TYPE_F32 && t->n_dims == 1 && t->ne[0] == 7);
      ck_assert (memcmp (t->data, norm, sizeof norm) == 0);
      t = hearth_gguf_get_tensor (g, 1);
      ck_assert_str_eq (t->name, "q8");
      ck_assert (t->type == HEARTH_GGML_TYPE_Q8_0 && t->n_dims == 2 && t->ne[0] == 64 && t->ne[1] == 3);
      ck_assert_uint_eq (t->n_bytes, sizeof q8);
      ck_assert_uint_eq (t->offset % alignment, 0);
      ck_assert (memcmp (t->data, q8, sizeof q8) == 0);
      t = hearth_gguf_get_tensor (g, 2);
      ck_assert_str_eq (t->name, "f16");
      ck_assert (t->n_dims == 3 && t->ne[2] == 2 && t->n_bytes == sizeof f16);
      ck_assert_uint_eq (t->offset % alignment, 0);
      ck_assert (memcmp (t->data, f16, sizeof f16) == 0);
      /* The last tensor is padded to the alignment too. */
      ck_assert_uint_eq (hearth_gguf_get_file_size (g) % alignment, 0);
      remove_temp (path);
    }
}
END_TEST

/* Streaming in pieces that cross tensor boundaries; unfinished writes leave no file. */
START_TEST (test_streaming)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = temp_path ("stream.gguf");
  guint8 data[100 * 4 + 33 * 4];
  const guint64 ne_a[] = { 100 };
  const guint64 ne_b[] = { 33 };

  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 13);
  {
    g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
    g_autoptr(HearthGguf) g = NULL;
    gsize pos = 0;

    ck_assert (hearth_gguf_writer_add_tensor (w, "a", HEARTH_GGML_TYPE_F32, 1, ne_a, NULL, &error));
    ck_assert (hearth_gguf_writer_add_tensor (w, "b", HEARTH_GGML_TYPE_I32, 1, ne_b, NULL, &error));
    /* write_file needs data for every tensor */
    ck_assert (!hearth_gguf_writer_write_file (w, path, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);

    ck_assert (hearth_gguf_writer_begin (w, path, &error));
    ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
    while (pos < sizeof data)
      {
        gsize k = MIN (sizeof data - pos, 37);

        ck_assert (hearth_gguf_writer_write_data (w, data + pos, k, &error));
        pos += k;
      }
    ck_assert (hearth_gguf_writer_finish (w, &error));
    hearth_assert_no_error (error);
    g = hearth_gguf_open (path, &error);
    hearth_assert_no_error (error);
    ck_assert (memcmp (hearth_gguf_get_tensor (g, 0)->data, data, 400) == 0);
    ck_assert (memcmp (hearth_gguf_get_tensor (g, 1)->data, data + 400, 132) == 0);
    g_unlink (path);
  }
  {
    g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
    g_autofree char *dir = g_path_get_dirname (path);
    g_autoptr(GDir) d = NULL;

    ck_assert (hearth_gguf_writer_add_tensor (w, "a", HEARTH_GGML_TYPE_F32, 1, ne_a, NULL, &error));
    ck_assert (hearth_gguf_writer_begin (w, path, &error));
    ck_assert (hearth_gguf_writer_write_data (w, data, 100, &error));
    ck_assert (!hearth_gguf_writer_finish (w, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    /* Too much data is refused as well. */
    ck_assert (hearth_gguf_writer_begin (w, path, &error));
    ck_assert (!hearth_gguf_writer_write_data (w, data, 401, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
    /* and no temporary file is left behind */
    d = g_dir_open (dir, 0, NULL);
    ck_assert (g_dir_read_name (d) == NULL);
  }
  {
    g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();

    ck_assert (!hearth_gguf_writer_write_file (w, "/nonexistent-dir/x.gguf", &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_IO);
  }
  remove_temp (path);
}
END_TEST

/* Metadata and tensors copied through the writer, in order: the result is
 * byte for byte the original file (they were written by gguf-py and
 * llama-quantize with the same layout rules). */
START_TEST (test_copy_models)
{
  const char *files[][2] = {
    { "synthetic", "synth-llama-F32.gguf" },
    { "synthetic", "synth-llama-Q4_K_M.gguf" },
    { "synthetic", "synth-qwen2-Q8_0.gguf" },
    { "stories260K", "stories260K-mixed-Q8_0-Q5_0-F16.gguf" },
  };

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *src_path = hearth_test_data_path ("models", files[f][0], files[f][1], NULL);
      g_autofree char *out_path = temp_path ("copy.gguf");
      g_autoptr(HearthGguf) src = hearth_gguf_open (src_path, &error);
      g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
      g_autoptr(HearthGguf) out = NULL;
      g_autofree char *a = NULL, *b = NULL;
      gsize la, lb;

      hearth_assert_no_error (error);
      hearth_gguf_writer_copy_metadata (w, src);
      for (guint64 i = 0; i < hearth_gguf_get_n_tensors (src); i++)
        {
          const HearthGgufTensor *t = hearth_gguf_get_tensor (src, i);

          ck_assert (hearth_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, t->ne, t->data, &error));
        }
      ck_assert (hearth_gguf_writer_write_file (w, out_path, &error));
      hearth_assert_no_error (error);

      out = hearth_gguf_open (out_path, &error);
      hearth_assert_no_error (error);
      ck_assert_uint_eq (hearth_gguf_get_n_kv (out), hearth_gguf_get_n_kv (src));
      ck_assert_uint_eq (hearth_gguf_get_n_tensors (out), hearth_gguf_get_n_tensors (src));
      for (guint64 i = 0; i < hearth_gguf_get_n_tensors (src); i++)
        {
          const HearthGgufTensor *ts = hearth_gguf_get_tensor (src, i);
          const HearthGgufTensor *to = hearth_gguf_get_tensor (out, i);

          ck_assert_str_eq (ts->name, to->name);
          ck_assert (ts->type == to->type && ts->n_bytes == to->n_bytes);
          ck_assert (memcmp (ts->data, to->data, ts->n_bytes) == 0);
        }
      ck_assert (g_file_get_contents (src_path, &a, &la, NULL));
      ck_assert (g_file_get_contents (out_path, &b, &lb, NULL));
      ck_assert_msg (la == lb && memcmp (a, b, la) == 0, "%s: copy is not byte-identical (%zu vs %zu bytes)",
                     files[f][1], la, lb);
      remove_temp (out_path);
    }
}
END_TEST

static Suite *
writer_suite (void)
{
  Suite *s = suite_create ("gguf-writer");
  TCase *tc = tcase_create ("writer");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_every_value_type);
  tcase_add_test (tc, test_tensors_and_alignment);
  tcase_add_test (tc, test_streaming);
  tcase_add_test (tc, test_copy_models);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (writer_suite ());
}
