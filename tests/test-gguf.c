/* test-gguf.c: the GGUF reader against real files, truncations and hand-made corrupt files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

/* ---- a raw GGUF byte builder: writes exactly what it is told, valid or not ---- */

static GByteArray *
header (guint32 version,
        guint64 n_tensors,
        guint64 n_kv)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) "GGUF", 4);
  hearth_test_put_u32 (b, version);
  hearth_test_put_u64 (b, n_tensors);
  hearth_test_put_u64 (b, n_kv);
  return b;
}

static void
kv_u32 (GByteArray *b,
        const char *key,
        guint32     value)
{
  hearth_test_put_str (b, key);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_UINT32);
  hearth_test_put_u32 (b, value);
}

static void
kv_str (GByteArray *b,
        const char *key,
        const char *value)
{
  hearth_test_put_str (b, key);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_STRING);
  hearth_test_put_str (b, value);
}

static void
tensor_info (GByteArray    *b,
             const char    *name,
             guint32        n_dims,
             const guint64 *ne,
             guint32        type,
             guint64        offset)
{
  hearth_test_put_str (b, name);
  hearth_test_put_u32 (b, n_dims);
  for (guint32 i = 0; i < n_dims; i++)
    hearth_test_put_u64 (b, ne[i]);
  hearth_test_put_u32 (b, type);
  hearth_test_put_u64 (b, offset);
}

/* Pads to the 32-byte default alignment and appends @n_data bytes of data. */
static void
data_section (GByteArray *b,
              guint       n_data)
{
  while (b->len % 32 != 0)
    g_byte_array_append (b, (const guint8 *) "", 1);
  for (guint i = 0; i < n_data; i++)
    {
      guint8 x = (guint8) i;
      g_byte_array_append (b, &x, 1);
    }
}

static HearthGguf *
parse_bytes (GByteArray *b,
             GError    **error)
{
  g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (b);

  return hearth_gguf_new_from_bytes (bytes, error);
}

/* ---- a valid hand-made file: every value type, nested arrays, two tensors ---- */

static GByteArray *
make_valid_file (void)
{
  GByteArray *b = header (3, 2, 9);
  const guint64 ne_a[] = { 32, 2 };
  const guint64 ne_b[] = { 8 };

  kv_str (b, "general.architecture", "llama");
  kv_u32 (b, "llama.context_length", 4096);
  hearth_test_put_str (b, "x.i8");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_INT8);
  g_byte_array_append (b, (const guint8 *) "\xfe", 1);
  hearth_test_put_str (b, "x.f32");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_FLOAT32);
  {
    float f = 0.5f;
    g_byte_array_append (b, (const guint8 *) &f, 4);
  }
  hearth_test_put_str (b, "x.bool");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_BOOL);
  g_byte_array_append (b, (const guint8 *) "\x01", 1);
  hearth_test_put_str (b, "x.i64");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_INT64);
  hearth_test_put_u64 (b, (guint64) -5);
  /* array of int16 */
  hearth_test_put_str (b, "x.arr_i16");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_INT16);
  hearth_test_put_u64 (b, 3);
  g_byte_array_append (b, (const guint8 *) "\x01\x00\xff\xff\x00\x80", 6);
  /* array of strings */
  hearth_test_put_str (b, "x.arr_str");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_STRING);
  hearth_test_put_u64 (b, 2);
  hearth_test_put_str (b, "hello");
  hearth_test_put_str (b, "");
  /* array of arrays of float64 */
  hearth_test_put_str (b, "x.nested");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u64 (b, 2);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_FLOAT64);
  hearth_test_put_u64 (b, 1);
  {
    double d = 2.25;
    g_byte_array_append (b, (const guint8 *) &d, 8);
  }
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_FLOAT64);
  hearth_test_put_u64 (b, 0);

  tensor_info (b, "a", 2, ne_a, HEARTH_GGML_TYPE_Q8_0, 0);   /* 2 rows x 34 bytes = 68 */
  tensor_info (b, "b", 1, ne_b, HEARTH_GGML_TYPE_F32, 96);   /* 32 bytes */
  data_section (b, 128);
  return b;
}

START_TEST (test_valid_handmade)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = parse_bytes (make_valid_file (), &error);
  const HearthGgufValue *v;
  const HearthGgufTensor *t;
  guint32 u32;
  gint64 i64;
  double f;
  gboolean bo;
  g_autofree char *arch = NULL;
  guint64 len;
  const char *s;

  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_gguf_get_version (g), 3);
  ck_assert_uint_eq (hearth_gguf_get_n_kv (g), 9);
  ck_assert_uint_eq (hearth_gguf_get_n_tensors (g), 2);
  ck_assert_uint_eq (hearth_gguf_get_data_offset (g) % 32, 0);

  arch = hearth_gguf_dup_string (g, "general.architecture", &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (arch, "llama");
  ck_assert (hearth_gguf_get_uint32 (g, "llama.context_length", &u32, &error));
  ck_assert_uint_eq (u32, 4096);
  ck_assert (hearth_gguf_get_int64 (g, "x.i8", &i64, &error));
  ck_assert_int_eq (i64, -2);
  ck_assert (hearth_gguf_get_int64 (g, "x.i64", &i64, &error));
  ck_assert_int_eq (i64, -5);
  ck_assert (hearth_gguf_get_float (g, "x.f32", &f, &error));
  ck_assert (f == 0.5);
  ck_assert (hearth_gguf_get_bool (g, "x.bool", &bo, &error));
  ck_assert (bo);

  v = hearth_gguf_get_array (g, "x.arr_i16", HEARTH_GGUF_TYPE_INT16, &error);
  ck_assert_ptr_nonnull (v);
  ck_assert_uint_eq (v->v.arr.n, 3);
  ck_assert_int_eq (hearth_gguf_array_get_int (v, 0), 1);
  ck_assert_int_eq (hearth_gguf_array_get_int (v, 1), -1);
  ck_assert_int_eq (hearth_gguf_array_get_int (v, 2), -32768);

  v = hearth_gguf_get_array (g, "x.arr_str", HEARTH_GGUF_TYPE_STRING, &error);
  ck_assert_ptr_nonnull (v);
  s = hearth_gguf_array_get_string (v, 0, &len);
  ck_assert_uint_eq (len, 5);
  ck_assert (memcmp (s, "hello", 5) == 0);
  hearth_gguf_array_get_string (v, 1, &len);
  ck_assert_uint_eq (len, 0);

  v = hearth_gguf_get_array (g, "x.nested", HEARTH_GGUF_TYPE_ARRAY, &error);
  ck_assert_ptr_nonnull (v);
  ck_assert_uint_eq (v->v.arr.n, 2);
  ck_assert_uint_eq (v->v.arr.items[0].v.arr.n, 1);
  ck_assert (hearth_gguf_array_get_float (&v->v.arr.items[0], 0) == 2.25);
  ck_assert_uint_eq (v->v.arr.items[1].v.arr.n, 0);

  t = hearth_gguf_find_tensor (g, "a");
  ck_assert_ptr_nonnull (t);
  ck_assert_int_eq (t->type, HEARTH_GGML_TYPE_Q8_0);
  ck_assert_uint_eq (t->n_dims, 2);
  ck_assert_uint_eq (t->ne[0], 32);
  ck_assert_uint_eq (t->ne[1], 2);
  ck_assert_uint_eq (t->ne[2], 1);
  ck_assert_uint_eq (t->n_bytes, 68);
  t = hearth_gguf_find_tensor (g, "b");
  ck_assert_uint_eq (t->n_bytes, 32);
  ck_assert_uint_eq (t->data[0], 96);  /* data byte i holds i */
  ck_assert_ptr_null (hearth_gguf_find_tensor (g, "c"));
  hearth_assert_no_error (error);
}
END_TEST

START_TEST (test_getter_errors)
{
  g_autoptr(HearthGguf) g = parse_bytes (make_valid_file (), NULL);
  g_autoptr(GError) error = NULL;
  guint32 u32;
  guint64 u64;
  double f;
  gboolean bo;
  char *s;

  ck_assert_ptr_nonnull (g);
  ck_assert (!hearth_gguf_get_uint32 (g, "general.architecture", &u32, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  ck_assert (!hearth_gguf_get_uint64 (g, "x.i8", &u64, &error));   /* negative */
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  ck_assert (!hearth_gguf_get_float (g, "x.bool", &f, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  ck_assert (!hearth_gguf_get_bool (g, "missing.key", &bo, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  s = hearth_gguf_dup_string (g, "x.f32", &error);
  ck_assert_ptr_null (s);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_gguf_get_array (g, "x.arr_i16", HEARTH_GGUF_TYPE_INT32, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  ck_assert (hearth_gguf_get_uint32_or (g, "missing.key", 7, &u32, &error));
  ck_assert_uint_eq (u32, 7);
  ck_assert (!hearth_gguf_get_uint32_or (g, "x.f32", 7, &u32, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH);
}
END_TEST

/* ---- hand-made corrupt files, one per way of being wrong ---- */

typedef struct
{
  const char *name;
  GByteArray *(*make) (void);
  HearthEngineError code;
} CorruptCase;

static GByteArray *
bad_magic (void)
{
  GByteArray *b = header (3, 0, 0);
  b->data[0] = 'X';
  return b;
}

static GByteArray *
version_1 (void)
{
  return header (1, 0, 0);
}

static GByteArray *
version_4 (void)
{
  return header (4, 0, 0);
}

static GByteArray *
big_endian (void)
{
  return header (GUINT32_SWAP_LE_BE (3), 0, 0);
}

static GByteArray *
huge_kv_count (void)
{
  return header (3, 0, G_MAXUINT64);
}

static GByteArray *
huge_tensor_count (void)
{
  return header (3, (guint64) 1 << 60, 0);
}

static GByteArray *
tensor_count_past_eof (void)
{
  return header (3, 1000, 0);
}

static GByteArray *
key_past_eof (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_u64 (b, 1000);
  g_byte_array_append (b, (const guint8 *) "abc", 3);
  return b;
}

static GByteArray *
string_value_past_eof (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "general.name");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_STRING);
  hearth_test_put_u64 (b, G_MAXUINT64 - 3);
  g_byte_array_append (b, (const guint8 *) "abc", 3);
  return b;
}

static GByteArray *
huge_array (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "tokenizer.ggml.scores");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_FLOAT32);
  hearth_test_put_u64 (b, (guint64) 1 << 62);  /* x4 bytes overflows 64 bits */
  return b;
}

static GByteArray *
huge_string_array (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "tokenizer.ggml.tokens");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_STRING);
  hearth_test_put_u64 (b, 1000000000);
  hearth_test_put_str (b, "a");
  return b;
}

static GByteArray *
unknown_value_type (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "k");
  hearth_test_put_u32 (b, 13);
  hearth_test_put_u32 (b, 0);
  return b;
}

static GByteArray *
unknown_array_type (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "k");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  hearth_test_put_u32 (b, 99);
  hearth_test_put_u64 (b, 0);
  return b;
}

static GByteArray *
deep_nesting (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_str (b, "k");
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
  for (int i = 0; i < 20; i++)
    {
      hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_ARRAY);
      hearth_test_put_u64 (b, 1);
    }
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_UINT8);
  hearth_test_put_u64 (b, 0);
  return b;
}

static GByteArray *
duplicate_key (void)
{
  GByteArray *b = header (3, 0, 2);
  kv_u32 (b, "a.b", 1);
  kv_u32 (b, "a.b", 2);
  return b;
}

static GByteArray *
key_not_utf8 (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_u64 (b, 3);
  g_byte_array_append (b, (const guint8 *) "a\xff" "b", 3);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_UINT8);
  g_byte_array_append (b, (const guint8 *) "\x01", 1);
  return b;
}

static GByteArray *
tensor_name_not_utf8 (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 8 };

  tensor_info (b, "t\xc3(", 1, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
key_with_nul (void)
{
  GByteArray *b = header (3, 0, 1);
  hearth_test_put_u64 (b, 3);
  g_byte_array_append (b, (const guint8 *) "a\0b", 3);
  hearth_test_put_u32 (b, HEARTH_GGUF_TYPE_UINT8);
  g_byte_array_append (b, (const guint8 *) "\x01", 1);
  return b;
}

static GByteArray *
alignment_not_power_of_two (void)
{
  GByteArray *b = header (3, 0, 1);
  kv_u32 (b, "general.alignment", 24);
  return b;
}

static GByteArray *
alignment_zero (void)
{
  GByteArray *b = header (3, 0, 1);
  kv_u32 (b, "general.alignment", 0);
  return b;
}

static GByteArray *
alignment_wrong_type (void)
{
  GByteArray *b = header (3, 0, 1);
  kv_str (b, "general.alignment", "32");
  return b;
}

static GByteArray *
misaligned_tensor_offset (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 4 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 4);
  data_section (b, 64);
  return b;
}

static GByteArray *
tensor_past_eof (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 64 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 0);  /* 256 bytes */
  data_section (b, 255);
  return b;
}

static GByteArray *
tensor_offset_huge (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 8 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, G_MAXUINT64 - 31);
  data_section (b, 64);
  return b;
}

static GByteArray *
data_section_missing (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 8 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 0);
  return b;  /* ends before the padding */
}

static GByteArray *
overlapping_tensors (void)
{
  GByteArray *b = header (3, 2, 0);
  const guint64 ne[] = { 16 };
  tensor_info (b, "a", 1, ne, HEARTH_GGML_TYPE_F32, 0);   /* bytes 0..63 */
  tensor_info (b, "b", 1, ne, HEARTH_GGML_TYPE_F32, 32);  /* bytes 32..95 */
  data_section (b, 128);
  return b;
}

static GByteArray *
shape_overflow (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { (guint64) 1 << 32, (guint64) 1 << 32 };
  tensor_info (b, "t", 2, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
byte_size_overflow (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { (guint64) 1 << 31, (guint64) 1 << 31 };  /* 2^62 elements x 4 bytes */
  tensor_info (b, "t", 2, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
negative_dimension (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { (guint64) -4 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
too_many_dims (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 1, 1, 1, 1, 1 };
  tensor_info (b, "t", 5, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
row_not_block_multiple (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 33 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_Q4_0, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
retired_tensor_type (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 32 };
  tensor_info (b, "t", 1, ne, 4 /* the retired Q4_2 */, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
unknown_tensor_type (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 32 };
  tensor_info (b, "t", 1, ne, 1000, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
duplicate_tensor (void)
{
  GByteArray *b = header (3, 2, 0);
  const guint64 ne[] = { 8 };
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 0);
  tensor_info (b, "t", 1, ne, HEARTH_GGML_TYPE_F32, 32);
  data_section (b, 64);
  return b;
}

static GByteArray *
long_tensor_name (void)
{
  GByteArray *b = header (3, 1, 0);
  const guint64 ne[] = { 8 };
  char name[100];
  memset (name, 'x', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  tensor_info (b, name, 1, ne, HEARTH_GGML_TYPE_F32, 0);
  data_section (b, 64);
  return b;
}

static GByteArray *
empty_file (void)
{
  return g_byte_array_new ();
}

static const CorruptCase corrupt_cases[] = {
  { "bad magic", bad_magic, HEARTH_ENGINE_ERROR_BAD_MAGIC },
  { "version 1", version_1, HEARTH_ENGINE_ERROR_BAD_VERSION },
  { "version 4", version_4, HEARTH_ENGINE_ERROR_BAD_VERSION },
  { "big-endian", big_endian, HEARTH_ENGINE_ERROR_BAD_VERSION },
  { "huge metadata count", huge_kv_count, HEARTH_ENGINE_ERROR_LIMIT },
  { "huge tensor count", huge_tensor_count, HEARTH_ENGINE_ERROR_LIMIT },
  { "tensor count past EOF", tensor_count_past_eof, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "key length past EOF", key_past_eof, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "string value past EOF", string_value_past_eof, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "huge numeric array", huge_array, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "huge string array", huge_string_array, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "unknown value type", unknown_value_type, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE },
  { "unknown array element type", unknown_array_type, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE },
  { "arrays nested too deep", deep_nesting, HEARTH_ENGINE_ERROR_LIMIT },
  { "duplicate key", duplicate_key, HEARTH_ENGINE_ERROR_DUPLICATE },
  { "key with NUL", key_with_nul, HEARTH_ENGINE_ERROR_FAILED },
  { "key not UTF-8", key_not_utf8, HEARTH_ENGINE_ERROR_FAILED },
  { "tensor name not UTF-8", tensor_name_not_utf8, HEARTH_ENGINE_ERROR_FAILED },
  { "alignment 24", alignment_not_power_of_two, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT },
  { "alignment 0", alignment_zero, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT },
  { "alignment as string", alignment_wrong_type, HEARTH_ENGINE_ERROR_TYPE_MISMATCH },
  { "misaligned tensor offset", misaligned_tensor_offset, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT },
  { "tensor past EOF", tensor_past_eof, HEARTH_ENGINE_ERROR_TENSOR_RANGE },
  { "tensor offset near 2^64", tensor_offset_huge, HEARTH_ENGINE_ERROR_TENSOR_RANGE },
  { "data section missing", data_section_missing, HEARTH_ENGINE_ERROR_TRUNCATED },
  { "overlapping tensors", overlapping_tensors, HEARTH_ENGINE_ERROR_TENSOR_OVERLAP },
  { "element count overflow", shape_overflow, HEARTH_ENGINE_ERROR_SHAPE },
  { "byte size overflow", byte_size_overflow, HEARTH_ENGINE_ERROR_SHAPE },
  { "negative dimension", negative_dimension, HEARTH_ENGINE_ERROR_SHAPE },
  { "five dimensions", too_many_dims, HEARTH_ENGINE_ERROR_SHAPE },
  { "row not a block multiple", row_not_block_multiple, HEARTH_ENGINE_ERROR_SHAPE },
  { "retired tensor type", retired_tensor_type, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE },
  { "unknown tensor type", unknown_tensor_type, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE },
  { "duplicate tensor", duplicate_tensor, HEARTH_ENGINE_ERROR_DUPLICATE },
  { "tensor name too long", long_tensor_name, HEARTH_ENGINE_ERROR_LIMIT },
  { "empty file", empty_file, HEARTH_ENGINE_ERROR_TRUNCATED },
};

START_TEST (test_corrupt_case)
{
  const CorruptCase *c = &corrupt_cases[_i];
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) g = parse_bytes (c->make (), &error);

  ck_assert_msg (g == NULL, "case '%s' was accepted", c->name);
  ck_assert_msg (error != NULL && error->code == (int) c->code,
                 "case '%s': expected code %d, got %d: %s", c->name, c->code,
                 error ? error->code : -1, error ? error->message : "(none)");
  /* The message says where, in UTF-8 whatever the file held. */
  ck_assert_msg (strstr (error->message, "at byte") != NULL, "no offset in '%s'", error->message);
  ck_assert (g_utf8_validate (error->message, -1, NULL));
}
END_TEST

/* The corrupt cases through the command line: exit status non-zero, one line on stderr. */
START_TEST (test_cli_rejects_corrupt)
{
  const CorruptCase *c = &corrupt_cases[_i];
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autofree char *dir = g_dir_make_tmp ("hearth-gguf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "corrupt.gguf", NULL);
  GByteArray *b = c->make ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { cli, "inspect", path, NULL };

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  ck_assert (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  g_byte_array_unref (b);
  ck_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           &out, &err, &status, &error));
  ck_assert_msg (!g_spawn_check_wait_status (status, NULL), "'%s' exited 0", c->name);
  ck_assert_str_eq (out, "");
  ck_assert_msg (g_str_has_prefix (err, "hearth-cli: ") && strchr (err, '\n') == err + strlen (err) - 1,
                 "stderr is not one line: '%s'", err);
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

/* ---- real files ---- */

/* Every decoder model in shared/models has a reference JSON made by llama.cpp
 * that counts its tensor types; the file's sha256 must match too, so a test
 * never runs on a damaged copy. */
START_TEST (test_reference_models)
{
  g_autoptr(GPtrArray) jsons = hearth_test_list_data ("reference", ".json");
  guint checked = 0;

  for (guint i = 0; i < jsons->len; i++)
    {
      const char *json_path = g_ptr_array_index (jsons, i);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGguf) g = NULL;
      g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
      g_autofree char *model_path = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *sha = NULL;
      gsize len;
      JsonObject *root, *types;
      g_autoptr(GList) members = NULL;
      guint n_expected = 0;

      ck_assert_msg (json_parser_load_from_file (parser, json_path, &error), "%s", json_path);
      root = json_node_get_object (json_parser_get_root (parser));
      if (!json_object_has_member (root, "tensor_types"))
        continue;  /* bert embedding references and tolerances.json */

      {
        /* Some references name the compressed upload; the kit holds it unpacked. */
        g_autofree char *rel = g_strdup (json_object_get_string_member (root, "model_file"));
        if (g_str_has_suffix (rel, ".xz"))
          rel[strlen (rel) - 3] = '\0';
        model_path = hearth_test_data_path (rel, NULL);
      }
      g = hearth_gguf_open (model_path, &error);
      ck_assert_msg (g != NULL, "%s: %s", model_path, error ? error->message : "");

      ck_assert (g_file_get_contents (model_path, &contents, &len, NULL));
      sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, len);
      ck_assert_str_eq (sha, json_object_get_string_member (root, "model_sha256"));

      for (guint64 t = 0; t < hearth_gguf_get_n_tensors (g); t++)
        {
          const char *name = hearth_ggml_type_name (hearth_gguf_get_tensor (g, t)->type);
          g_hash_table_insert (counts, (gpointer) name,
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, name)) + 1));
        }
      types = json_object_get_object_member (root, "tensor_types");
      members = json_object_get_members (types);
      for (GList *l = members; l; l = l->next)
        {
          guint expected = (guint) json_object_get_int_member (types, l->data);
          guint got = GPOINTER_TO_UINT (g_hash_table_lookup (counts, l->data));

          ck_assert_msg (got == expected, "%s: %u tensors of %s, reference says %u",
                         model_path, got, (const char *) l->data, expected);
          n_expected += expected;
        }
      ck_assert_uint_eq (hearth_gguf_get_n_tensors (g), n_expected);
      checked++;
    }
  ck_assert_uint_ge (checked, 26);  /* 24 decoders + 2 bert */
}
END_TEST

static GPtrArray *
all_shared_ggufs (void)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_free);
  const char *dirs[] = { "models/stories260K", "models/synthetic", "tokenizers" };

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    {
      g_autoptr(GPtrArray) files = hearth_test_list_data (dirs[d], ".gguf");
      for (guint i = 0; i < files->len; i++)
        g_ptr_array_add (all, g_strdup (g_ptr_array_index (files, i)));
    }
  return all;
}

/* Every GGUF in shared/ through `hearth-cli inspect --json`: the command's
 * tensor table is what the library reads. */
START_TEST (test_inspect_matches_library)
{
  g_autoptr(GPtrArray) files = all_shared_ggufs ();
  const char *cli = g_getenv ("HEARTH_CLI");

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  ck_assert_uint_ge (files->len, 36);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      const char *argv[] = { cli, "inspect", "--json", path, NULL };
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(HearthGguf) g = hearth_gguf_open (path, &error);
      JsonObject *root;
      JsonArray *tensors;
      int status;

      ck_assert_msg (g != NULL, "%s: %s", path, error ? error->message : "");
      ck_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
      ck_assert_msg (g_spawn_check_wait_status (status, NULL), "inspect %s failed: %s", path, err);
      ck_assert_msg (json_parser_load_from_data (parser, out, -1, &error), "bad JSON for %s", path);
      root = json_node_get_object (json_parser_get_root (parser));
      tensors = json_object_get_array_member (root, "tensors");
      ck_assert_uint_eq (json_array_get_length (tensors), hearth_gguf_get_n_tensors (g));
      ck_assert_uint_eq (json_object_get_int_member (root, "gguf_version"), hearth_gguf_get_version (g));
      for (guint t = 0; t < json_array_get_length (tensors); t++)
        {
          JsonObject *jt = json_array_get_object_element (tensors, t);
          const HearthGgufTensor *lt = hearth_gguf_get_tensor (g, t);
          JsonArray *shape = json_object_get_array_member (jt, "shape");

          ck_assert_str_eq (json_object_get_string_member (jt, "name"), lt->name);
          ck_assert_str_eq (json_object_get_string_member (jt, "type"), hearth_ggml_type_name (lt->type));
          ck_assert_uint_eq (json_array_get_length (shape), lt->n_dims);
          for (guint d = 0; d < lt->n_dims; d++)
            ck_assert_uint_eq ((guint64) json_array_get_int_element (shape, d), lt->ne[d]);
          ck_assert_uint_eq ((guint64) json_object_get_int_member (jt, "bytes"), lt->n_bytes);
        }
      {
        g_autofree char *arch = hearth_gguf_dup_string (g, "general.architecture", NULL);
        ck_assert_ptr_nonnull (arch);
        ck_assert_str_eq (json_object_get_string_member (root, "architecture"), arch);
      }
    }
}
END_TEST

/* A real file cut at every byte of its header, metadata and tensor infos
 * must fail with TRUNCATED, never crash; cut inside the data it fails with
 * TENSOR_RANGE. */
START_TEST (test_truncation_every_byte)
{
  g_autoptr(GBytes) whole = hearth_test_load_data ("models", "stories260K", "stories260K-mixed-Q8_0-Q5_0-F16.gguf", NULL);
  g_autoptr(HearthGguf) full = hearth_gguf_new_from_bytes (whole, NULL);
  guint64 data_offset;
  gsize size;
  const guint8 *data = g_bytes_get_data (whole, &size);

  ck_assert_ptr_nonnull (full);
  data_offset = hearth_gguf_get_data_offset (full);
  ck_assert_uint_gt (data_offset, 1000);

  for (guint64 cut = 0; cut < size; cut += cut < data_offset ? 1 : 997)
    {
      g_autoptr(GBytes) part = g_bytes_new_static (data, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGguf) g = hearth_gguf_new_from_bytes (part, &error);

      ck_assert_msg (g == NULL, "truncated at %" G_GUINT64_FORMAT " was accepted", cut);
      if (cut < data_offset)
        ck_assert_msg (error->code == HEARTH_ENGINE_ERROR_TRUNCATED,
                       "cut at %" G_GUINT64_FORMAT ": %s", cut, error->message);
      else
        ck_assert_msg (error->code == HEARTH_ENGINE_ERROR_TENSOR_RANGE,
                       "cut at %" G_GUINT64_FORMAT ": %s", cut, error->message);
    }
}
END_TEST

/* Flipping single bytes of a real header must never crash: each flip either
 * still parses or fails with an error (sanitizers watch the rest). */
START_TEST (test_header_byte_flips)
{
  g_autoptr(GBytes) whole = hearth_test_load_data ("models", "stories260K", "stories260K-f16.gguf", NULL);
  gsize size;
  const guint8 *data = g_bytes_get_data (whole, &size);
  g_autoptr(HearthGguf) full = hearth_gguf_new_from_bytes (whole, NULL);
  guint64 limit = hearth_gguf_get_data_offset (full);
  g_autofree guint8 *copy = g_memdup2 (data, size);
  guint n_failed = 0;

  for (guint64 pos = 0; pos < limit; pos++)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(HearthGguf) g = NULL;
      g_autoptr(GError) error = NULL;

      copy[pos] ^= 0xff;
      bytes = g_bytes_new_static (copy, size);
      g = hearth_gguf_new_from_bytes (bytes, &error);
      ck_assert ((g == NULL) == (error != NULL));
      n_failed += g == NULL;
      copy[pos] ^= 0xff;
    }
  /* Most flips in lengths, counts and type ids must be caught. */
  ck_assert_uint_gt (n_failed, 100);
}
END_TEST

START_TEST (test_open_errors)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = hearth_test_data_path ("models", NULL);

  ck_assert_ptr_null (hearth_gguf_open ("/nonexistent/model.gguf", &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_IO);
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_gguf_open (dir, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_IO);
}
END_TEST

START_TEST (test_type_table)
{
  /* Block layouts of the public ggml formats. */
  static const struct { HearthGgmlType t; guint bs, ts; } expect[] = {
    { HEARTH_GGML_TYPE_F32, 1, 4 }, { HEARTH_GGML_TYPE_F16, 1, 2 }, { HEARTH_GGML_TYPE_BF16, 1, 2 },
    { HEARTH_GGML_TYPE_Q4_0, 32, 18 }, { HEARTH_GGML_TYPE_Q4_1, 32, 20 },
    { HEARTH_GGML_TYPE_Q5_0, 32, 22 }, { HEARTH_GGML_TYPE_Q5_1, 32, 24 },
    { HEARTH_GGML_TYPE_Q8_0, 32, 34 }, { HEARTH_GGML_TYPE_Q2_K, 256, 84 },
    { HEARTH_GGML_TYPE_Q3_K, 256, 110 }, { HEARTH_GGML_TYPE_Q4_K, 256, 144 },
    { HEARTH_GGML_TYPE_Q5_K, 256, 176 }, { HEARTH_GGML_TYPE_Q6_K, 256, 210 },
    { HEARTH_GGML_TYPE_IQ4_NL, 32, 18 }, { HEARTH_GGML_TYPE_IQ4_XS, 256, 136 },
  };
  HearthGgmlType t;
  guint64 bytes;

  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      const HearthGgmlTypeInfo *info = hearth_ggml_type_info (expect[i].t);
      ck_assert_ptr_nonnull (info);
      ck_assert_uint_eq (info->block_size, expect[i].bs);
      ck_assert_uint_eq (info->type_size, expect[i].ts);
    }
  ck_assert_ptr_null (hearth_ggml_type_info (4));
  ck_assert_ptr_null (hearth_ggml_type_info (31));
  ck_assert_ptr_null (hearth_ggml_type_info (100000));
  ck_assert (hearth_ggml_type_from_name ("q4_k", &t));
  ck_assert_int_eq (t, HEARTH_GGML_TYPE_Q4_K);
  ck_assert (!hearth_ggml_type_from_name ("Q4_2", &t));
  ck_assert (hearth_ggml_row_size (HEARTH_GGML_TYPE_Q6_K, 512, &bytes));
  ck_assert_uint_eq (bytes, 420);
  ck_assert (!hearth_ggml_row_size (HEARTH_GGML_TYPE_Q6_K, 100, &bytes));
}
END_TEST

static Suite *
gguf_suite (void)
{
  Suite *s = suite_create ("gguf");
  TCase *tc;

  tc = tcase_create ("handmade");
  tcase_add_test (tc, test_valid_handmade);
  tcase_add_test (tc, test_getter_errors);
  tcase_add_loop_test (tc, test_corrupt_case, 0, G_N_ELEMENTS (corrupt_cases));
  tcase_add_test (tc, test_type_table);
  suite_add_tcase (s, tc);

  tc = tcase_create ("cli");
  tcase_set_timeout (tc, 30);
  tcase_add_loop_test (tc, test_cli_rejects_corrupt, 0, G_N_ELEMENTS (corrupt_cases));
  tcase_add_test (tc, test_inspect_matches_library);
  suite_add_tcase (s, tc);

  tc = tcase_create ("real-files");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_reference_models);
  tcase_add_test (tc, test_truncation_every_byte);
  tcase_add_test (tc, test_header_byte_flips);
  tcase_add_test (tc, test_open_errors);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (gguf_suite ());
}
