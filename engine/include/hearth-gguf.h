/* hearth-gguf.h: a validating reader for GGUF v2/v3 model files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The file is treated as hostile input. Opening it checks every count,
 * length, type id, offset and shape against the file size before anything
 * is used, so once hearth_gguf_open() returns a HearthGguf every accessor
 * below is safe and cannot fail on layout grounds. Tensor data stays in the
 * read-only mapping; nothing is copied.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-ggml-type.h"

G_BEGIN_DECLS

typedef struct _HearthGguf HearthGguf;

/* Metadata value types, as stored in the file. */
typedef enum
{
  HEARTH_GGUF_TYPE_UINT8 = 0,
  HEARTH_GGUF_TYPE_INT8 = 1,
  HEARTH_GGUF_TYPE_UINT16 = 2,
  HEARTH_GGUF_TYPE_INT16 = 3,
  HEARTH_GGUF_TYPE_UINT32 = 4,
  HEARTH_GGUF_TYPE_INT32 = 5,
  HEARTH_GGUF_TYPE_FLOAT32 = 6,
  HEARTH_GGUF_TYPE_BOOL = 7,
  HEARTH_GGUF_TYPE_STRING = 8,
  HEARTH_GGUF_TYPE_ARRAY = 9,
  HEARTH_GGUF_TYPE_UINT64 = 10,
  HEARTH_GGUF_TYPE_INT64 = 11,
  HEARTH_GGUF_TYPE_FLOAT64 = 12,
} HearthGgufType;

#define HEARTH_GGUF_MAX_DIMS 4
#define HEARTH_GGUF_MAX_NAME 64       /* tensor names are shorter than this, as in ggml */
#define HEARTH_GGUF_MAX_ARRAY_DEPTH 8 /* nested arrays deeper than this are refused */
#define HEARTH_GGUF_MAX_KV (1 << 20)   /* metadata entries */
#define HEARTH_GGUF_MAX_TENSORS (1 << 24)

/* A metadata value. Strings point into the mapping and are not
 * NUL-terminated (GGUF strings carry a length); use hearth_gguf_value_dup_string()
 * or the getters below for C strings. Arrays of numbers point at their
 * packed little-endian elements in the mapping (possibly unaligned: read
 * them with the hearth_gguf_array_get_* helpers); arrays of strings and of
 * arrays have one child value per element in @items. */
typedef struct _HearthGgufValue HearthGgufValue;
struct _HearthGgufValue
{
  HearthGgufType type;
  union
  {
    guint64 u64;  /* UINT8..UINT64 */
    gint64  i64;  /* INT8..INT64 */
    double  f64;  /* FLOAT32, FLOAT64 */
    gboolean b;   /* BOOL */
    struct
    {
      const char *data;
      guint64     len;
    } str;
    struct
    {
      HearthGgufType         elem_type;
      guint64                n;
      const guint8          *data;  /* numeric/bool elements, packed */
      const HearthGgufValue *items; /* STRING and ARRAY elements */
    } arr;
  } v;
};

typedef struct
{
  const char    *name;   /* NUL-terminated */
  HearthGgmlType type;
  guint32        n_dims;
  guint64        ne[HEARTH_GGUF_MAX_DIMS]; /* ne[0] is the fastest-moving dimension; unused dims are 1 */
  guint64        n_elements;
  guint64        offset;  /* from the start of the data section */
  guint64        n_bytes;
  const guint8  *data;    /* in the mapping */
} HearthGgufTensor;

HearthGguf *hearth_gguf_open (const char *path,
                              GError    **error);
/* Parses a GGUF image held in memory (the fuzzer and tests use this). */
HearthGguf *hearth_gguf_new_from_bytes (GBytes  *bytes,
                                        GError **error);
HearthGguf *hearth_gguf_ref (HearthGguf *self);
void        hearth_gguf_unref (HearthGguf *self);

guint32      hearth_gguf_get_version (HearthGguf *self);
guint64      hearth_gguf_get_file_size (HearthGguf *self);
guint32      hearth_gguf_get_alignment (HearthGguf *self);
guint64      hearth_gguf_get_data_offset (HearthGguf *self);
const char  *hearth_gguf_get_path (HearthGguf *self); /* NULL for in-memory images */

/* Metadata, in file order. */
guint64                hearth_gguf_get_n_kv (HearthGguf *self);
const char            *hearth_gguf_get_key (HearthGguf *self, guint64 i);
const HearthGgufValue *hearth_gguf_get_value_at (HearthGguf *self, guint64 i);
/* NULL when @key is absent. */
const HearthGgufValue *hearth_gguf_find (HearthGguf *self, const char *key);

/* Typed getters. All fail with NOT_FOUND when the key is absent and
 * TYPE_MISMATCH when its type does not fit; integer getters accept any
 * integer type whose value fits the result. */
gboolean hearth_gguf_get_uint32 (HearthGguf *self, const char *key, guint32 *out, GError **error);
gboolean hearth_gguf_get_uint64 (HearthGguf *self, const char *key, guint64 *out, GError **error);
gboolean hearth_gguf_get_int64 (HearthGguf *self, const char *key, gint64 *out, GError **error);
gboolean hearth_gguf_get_float (HearthGguf *self, const char *key, double *out, GError **error);
gboolean hearth_gguf_get_bool (HearthGguf *self, const char *key, gboolean *out, GError **error);
/* Returns a newly allocated, NUL-terminated copy. Embedded NULs are an error. */
char    *hearth_gguf_dup_string (HearthGguf *self, const char *key, GError **error);
/* Checks that @key is an array whose elements are @elem_type. */
const HearthGgufValue *hearth_gguf_get_array (HearthGguf     *self,
                                              const char     *key,
                                              HearthGgufType  elem_type,
                                              GError        **error);

/* The same, but an absent key gives @fallback and TRUE; only a present key of
 * the wrong type is an error. */
gboolean hearth_gguf_get_uint32_or (HearthGguf *self, const char *key, guint32 fallback, guint32 *out, GError **error);
gboolean hearth_gguf_get_float_or (HearthGguf *self, const char *key, double fallback, double *out, GError **error);
gboolean hearth_gguf_get_bool_or (HearthGguf *self, const char *key, gboolean fallback, gboolean *out, GError **error);

/* Elements of numeric arrays (checked: @i < n, element type fits). */
gint64  hearth_gguf_array_get_int (const HearthGgufValue *array, guint64 i);
double  hearth_gguf_array_get_float (const HearthGgufValue *array, guint64 i);
/* String element @i of an array of strings: pointer into the mapping plus length. */
const char *hearth_gguf_array_get_string (const HearthGgufValue *array, guint64 i, guint64 *len);

const char *hearth_gguf_type_name (HearthGgufType type);
gsize       hearth_gguf_type_size (HearthGgufType type); /* 0 for STRING, ARRAY, unknown */

/* Tensors, in file order. */
guint64                 hearth_gguf_get_n_tensors (HearthGguf *self);
const HearthGgufTensor *hearth_gguf_get_tensor (HearthGguf *self, guint64 i);
/* NULL when absent. */
const HearthGgufTensor *hearth_gguf_find_tensor (HearthGguf *self, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthGguf, hearth_gguf_unref)

G_END_DECLS
