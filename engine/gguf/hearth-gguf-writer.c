/* hearth-gguf-writer.c: writes GGUF v3 files, streaming the tensor data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-gguf-writer.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-engine-error.h"

#define GGUF_DEFAULT_ALIGNMENT 32

typedef struct
{
  char       *key;
  GByteArray *bytes; /* type id + value, serialized little-endian */
} Kv;

typedef struct
{
  char          *name;
  HearthGgmlType type;
  guint32        n_dims;
  guint64        ne[HEARTH_GGUF_MAX_DIMS];
  guint64        n_bytes;
  guint64        offset; /* from the start of the data section */
  const void    *data;   /* borrowed; NULL when streamed */
} Tensor;

struct _HearthGgufWriter
{
  GPtrArray  *kvs;         /* Kv*, in order */
  GHashTable *kv_index;    /* key -> Kv* */
  GArray     *tensors;     /* Tensor */
  GHashTable *tensor_names;
  guint64     data_size;   /* bytes of the data section so far (aligned) */

  /* while writing */
  FILE       *file;
  char       *path;
  char       *tmp_path;
  guint32     alignment;
  guint       cur_tensor;  /* index of the tensor being streamed */
  guint64     cur_written; /* bytes of it written */
};

static void
kv_free (gpointer p)
{
  Kv *kv = p;

  g_free (kv->key);
  g_byte_array_unref (kv->bytes);
  g_free (kv);
}

static void
tensor_clear (gpointer p)
{
  Tensor *t = p;

  g_free (t->name);
}

HearthGgufWriter *
hearth_gguf_writer_new (void)
{
  HearthGgufWriter *self = g_new0 (HearthGgufWriter, 1);

  self->kvs = g_ptr_array_new_with_free_func (kv_free);
  self->kv_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->tensors = g_array_new (FALSE, TRUE, sizeof (Tensor));
  g_array_set_clear_func (self->tensors, tensor_clear);
  self->tensor_names = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

static void
abort_file (HearthGgufWriter *self)
{
  if (self->file != NULL)
    {
      fclose (self->file);
      self->file = NULL;
      g_unlink (self->tmp_path);
    }
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->tmp_path, g_free);
}

void
hearth_gguf_writer_free (HearthGgufWriter *self)
{
  if (self == NULL)
    return;
  abort_file (self);
  g_hash_table_unref (self->kv_index);
  g_ptr_array_unref (self->kvs);
  g_hash_table_unref (self->tensor_names);
  g_array_unref (self->tensors);
  g_free (self);
}

/* ---- metadata serialization ---- */

static void
put_bytes (GByteArray *b,
           const void *p,
           gsize       n)
{
  g_byte_array_append (b, p, (guint) n);
}

static void
put_u32 (GByteArray *b,
         guint32     x)
{
  x = GUINT32_TO_LE (x);
  put_bytes (b, &x, 4);
}

static void
put_u64 (GByteArray *b,
         guint64     x)
{
  x = GUINT64_TO_LE (x);
  put_bytes (b, &x, 8);
}

static void
put_str (GByteArray *b,
         const char *s,
         gsize       len)
{
  put_u64 (b, len);
  put_bytes (b, s, len);
}

/* A new (or replaced) entry for @key, returning its emptied buffer. */
static GByteArray *
begin_kv (HearthGgufWriter *self,
          const char       *key,
          HearthGgufType    type)
{
  Kv *kv = g_hash_table_lookup (self->kv_index, key);

  if (kv == NULL)
    {
      kv = g_new0 (Kv, 1);
      kv->key = g_strdup (key);
      kv->bytes = g_byte_array_new ();
      g_ptr_array_add (self->kvs, kv);
      g_hash_table_insert (self->kv_index, kv->key, kv);
    }
  g_byte_array_set_size (kv->bytes, 0);
  put_u32 (kv->bytes, type);
  return kv->bytes;
}

#define ADD_SCALAR(fn, ctype, gguf_type)                                   \
  void                                                                     \
  hearth_gguf_writer_add_##fn (HearthGgufWriter *self, const char *key, ctype v) \
  {                                                                        \
    GByteArray *b = begin_kv (self, key, gguf_type);                       \
    put_bytes (b, &v, sizeof v);                                           \
  }

ADD_SCALAR (uint8, guint8, HEARTH_GGUF_TYPE_UINT8)
ADD_SCALAR (int8, gint8, HEARTH_GGUF_TYPE_INT8)
ADD_SCALAR (uint16, guint16, HEARTH_GGUF_TYPE_UINT16)
ADD_SCALAR (int16, gint16, HEARTH_GGUF_TYPE_INT16)
ADD_SCALAR (uint32, guint32, HEARTH_GGUF_TYPE_UINT32)
ADD_SCALAR (int32, gint32, HEARTH_GGUF_TYPE_INT32)
ADD_SCALAR (uint64, guint64, HEARTH_GGUF_TYPE_UINT64)
ADD_SCALAR (int64, gint64, HEARTH_GGUF_TYPE_INT64)
ADD_SCALAR (float32, float, HEARTH_GGUF_TYPE_FLOAT32)
ADD_SCALAR (float64, double, HEARTH_GGUF_TYPE_FLOAT64)
#undef ADD_SCALAR

void
hearth_gguf_writer_add_bool (HearthGgufWriter *self,
                             const char       *key,
                             gboolean          v)
{
  GByteArray *b = begin_kv (self, key, HEARTH_GGUF_TYPE_BOOL);
  guint8 x = v ? 1 : 0;

  put_bytes (b, &x, 1);
}

void
hearth_gguf_writer_add_string (HearthGgufWriter *self,
                               const char       *key,
                               const char       *v)
{
  GByteArray *b = begin_kv (self, key, HEARTH_GGUF_TYPE_STRING);

  put_str (b, v, strlen (v));
}

void
hearth_gguf_writer_add_array (HearthGgufWriter *self,
                              const char       *key,
                              HearthGgufType    elem_type,
                              const void       *data,
                              guint64           n)
{
  gsize size = hearth_gguf_type_size (elem_type);
  GByteArray *b;

  g_return_if_fail (size > 0);
  b = begin_kv (self, key, HEARTH_GGUF_TYPE_ARRAY);
  put_u32 (b, elem_type);
  put_u64 (b, n);
  put_bytes (b, data, size * n); /* the host is little-endian (meson checks) */
}

void
hearth_gguf_writer_add_string_array (HearthGgufWriter  *self,
                                     const char        *key,
                                     const char *const *strings,
                                     guint64            n)
{
  GByteArray *b = begin_kv (self, key, HEARTH_GGUF_TYPE_ARRAY);

  put_u32 (b, HEARTH_GGUF_TYPE_STRING);
  put_u64 (b, n);
  for (guint64 i = 0; i < n; i++)
    put_str (b, strings[i], strlen (strings[i]));
}

/* The value without its type id (that precedes it in the kv and the array
 * element type in an array). */
static void
put_value_body (GByteArray            *b,
                const HearthGgufValue *v)
{
  switch (v->type)
    {
    case HEARTH_GGUF_TYPE_UINT8:
    case HEARTH_GGUF_TYPE_UINT16:
    case HEARTH_GGUF_TYPE_UINT32:
    case HEARTH_GGUF_TYPE_UINT64:
      {
        guint64 x = GUINT64_TO_LE (v->v.u64);

        put_bytes (b, &x, hearth_gguf_type_size (v->type));
      }
      break;
    case HEARTH_GGUF_TYPE_INT8:
    case HEARTH_GGUF_TYPE_INT16:
    case HEARTH_GGUF_TYPE_INT32:
    case HEARTH_GGUF_TYPE_INT64:
      {
        guint64 x = GUINT64_TO_LE ((guint64) v->v.i64);

        put_bytes (b, &x, hearth_gguf_type_size (v->type));
      }
      break;
    case HEARTH_GGUF_TYPE_FLOAT32:
      {
        float f = (float) v->v.f64; /* exact: it was read from a float32 */

        put_bytes (b, &f, 4);
      }
      break;
    case HEARTH_GGUF_TYPE_FLOAT64:
      put_bytes (b, &v->v.f64, 8);
      break;
    case HEARTH_GGUF_TYPE_BOOL:
      {
        guint8 x = v->v.b ? 1 : 0;

        put_bytes (b, &x, 1);
      }
      break;
    case HEARTH_GGUF_TYPE_STRING:
      put_str (b, v->v.str.data, v->v.str.len);
      break;
    case HEARTH_GGUF_TYPE_ARRAY:
      put_u32 (b, v->v.arr.elem_type);
      put_u64 (b, v->v.arr.n);
      if (v->v.arr.elem_type == HEARTH_GGUF_TYPE_STRING || v->v.arr.elem_type == HEARTH_GGUF_TYPE_ARRAY)
        {
          for (guint64 i = 0; i < v->v.arr.n; i++)
            put_value_body (b, &v->v.arr.items[i]);
        }
      else
        put_bytes (b, v->v.arr.data, hearth_gguf_type_size (v->v.arr.elem_type) * v->v.arr.n);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
hearth_gguf_writer_add_value (HearthGgufWriter      *self,
                              const char            *key,
                              const HearthGgufValue *value)
{
  put_value_body (begin_kv (self, key, value->type), value);
}

void
hearth_gguf_writer_copy_metadata (HearthGgufWriter *self,
                                  HearthGguf       *src)
{
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (src); i++)
    hearth_gguf_writer_add_value (self, hearth_gguf_get_key (src, i), hearth_gguf_get_value_at (src, i));
}

gboolean
hearth_gguf_writer_set_alignment (HearthGgufWriter *self,
                                  guint32           alignment,
                                  GError          **error)
{
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > (1u << 30))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "alignment %u is not a power of two up to 2^30", alignment);
      return FALSE;
    }
  if (self->tensors->len > 0)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "the alignment must be set before tensors are added");
      return FALSE;
    }
  hearth_gguf_writer_add_uint32 (self, "general.alignment", alignment);
  return TRUE;
}

/* general.alignment if a valid one was added, else the default. */
static guint32
get_alignment (HearthGgufWriter *self)
{
  Kv *kv = g_hash_table_lookup (self->kv_index, "general.alignment");
  guint32 type, a;

  if (kv == NULL || kv->bytes->len != 8)
    return GGUF_DEFAULT_ALIGNMENT;
  memcpy (&type, kv->bytes->data, 4);
  memcpy (&a, kv->bytes->data + 4, 4);
  type = GUINT32_FROM_LE (type);
  a = GUINT32_FROM_LE (a);
  if (type != HEARTH_GGUF_TYPE_UINT32 || a == 0 || (a & (a - 1)) != 0 || a > (1u << 30))
    return GGUF_DEFAULT_ALIGNMENT;
  return a;
}

static guint64
align_up (guint64 x,
          guint32 a)
{
  return (x + a - 1) / a * a;
}

/* ---- tensors ---- */

gboolean
hearth_gguf_writer_add_tensor (HearthGgufWriter *self,
                               const char       *name,
                               HearthGgmlType    type,
                               guint32           n_dims,
                               const guint64    *ne,
                               const void       *data,
                               GError          **error)
{
  Tensor t = { 0 };
  guint64 n_rows = 1, row_bytes;

  if (self->file != NULL)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "tensors cannot be added once writing has begun");
      return FALSE;
    }
  if (name == NULL || name[0] == '\0' || strlen (name) >= HEARTH_GGUF_MAX_NAME)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "tensor name '%s' is empty or longer than %d bytes", name ? name : "",
                   HEARTH_GGUF_MAX_NAME - 1);
      return FALSE;
    }
  if (g_hash_table_contains (self->tensor_names, name))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DUPLICATE,
                   "tensor '%s' added twice", name);
      return FALSE;
    }
  if (hearth_ggml_type_info (type) == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE,
                   "tensor '%s': unknown type id %u", name, (guint) type);
      return FALSE;
    }
  if (n_dims == 0 || n_dims > HEARTH_GGUF_MAX_DIMS)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "tensor '%s' has %u dimensions", name, n_dims);
      return FALSE;
    }
  for (guint32 i = 0; i < HEARTH_GGUF_MAX_DIMS; i++)
    t.ne[i] = i < n_dims ? ne[i] : 1;
  for (guint32 i = 1; i < n_dims; i++)
    {
      if (t.ne[i] != 0 && n_rows > G_MAXUINT64 / t.ne[i])
        n_rows = 0;
      n_rows *= t.ne[i];
    }
  if (t.ne[0] == 0 || !hearth_ggml_row_size (type, t.ne[0], &row_bytes) ||
      (n_rows != 0 && row_bytes > G_MAXINT64 / n_rows))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "tensor '%s': a row of %" G_GUINT64_FORMAT " elements does not fit type %s",
                   name, t.ne[0], hearth_ggml_type_name (type));
      return FALSE;
    }
  t.name = g_strdup (name);
  t.type = type;
  t.n_dims = n_dims;
  t.n_bytes = row_bytes * n_rows;
  t.offset = align_up (self->data_size, get_alignment (self));
  t.data = data;
  self->data_size = t.offset + t.n_bytes;
  g_array_append_val (self->tensors, t);
  g_hash_table_add (self->tensor_names, t.name);
  return TRUE;
}

guint64
hearth_gguf_writer_get_n_tensors (HearthGgufWriter *self)
{
  return self->tensors->len;
}

/* ---- output ---- */

static gboolean
write_bytes (HearthGgufWriter *self,
             const void       *p,
             gsize             n,
             GError          **error)
{
  if (n > 0 && fwrite (p, 1, n, self->file) != n)
    {
      int saved = errno;

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO, "cannot write %s: %s",
                   self->tmp_path, g_strerror (saved));
      abort_file (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_zeros (HearthGgufWriter *self,
             gsize             n,
             GError          **error)
{
  static const guint8 zeros[256];

  while (n > 0)
    {
      gsize k = MIN (n, sizeof zeros);

      if (!write_bytes (self, zeros, k, error))
        return FALSE;
      n -= k;
    }
  return TRUE;
}

gboolean
hearth_gguf_writer_begin (HearthGgufWriter *self,
                          const char       *path,
                          GError          **error)
{
  g_autoptr(GByteArray) head = g_byte_array_new ();
  guint32 alignment = get_alignment (self);
  int fd;

  if (self->file != NULL)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "a file is already being written");
      return FALSE;
    }
  /* Offsets were computed with the alignment in force when each tensor was
   * added; a general.alignment added later would break them. */
  for (guint i = 0; i < self->tensors->len; i++)
    if (g_array_index (self->tensors, Tensor, i).offset % alignment != 0)
      {
        g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT,
                             "general.alignment changed after tensors were added");
        return FALSE;
      }

  put_bytes (head, "GGUF", 4);
  put_u32 (head, 3);
  put_u64 (head, self->tensors->len);
  put_u64 (head, self->kvs->len);
  for (guint i = 0; i < self->kvs->len; i++)
    {
      Kv *kv = g_ptr_array_index (self->kvs, i);

      put_str (head, kv->key, strlen (kv->key));
      put_bytes (head, kv->bytes->data, kv->bytes->len);
    }
  for (guint i = 0; i < self->tensors->len; i++)
    {
      Tensor *t = &g_array_index (self->tensors, Tensor, i);

      put_str (head, t->name, strlen (t->name));
      put_u32 (head, t->n_dims);
      for (guint32 d = 0; d < t->n_dims; d++)
        put_u64 (head, t->ne[d]);
      put_u32 (head, t->type);
      put_u64 (head, t->offset);
    }

  self->path = g_strdup (path);
  self->tmp_path = g_strdup_printf ("%s.XXXXXX", path);
  fd = g_mkstemp (self->tmp_path);
  if (fd < 0 || (self->file = fdopen (fd, "wb")) == NULL)
    {
      int saved = errno;

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO, "cannot create %s: %s",
                   self->tmp_path, g_strerror (saved));
      if (fd >= 0)
        {
          close (fd);
          g_unlink (self->tmp_path);
        }
      g_clear_pointer (&self->path, g_free);
      g_clear_pointer (&self->tmp_path, g_free);
      return FALSE;
    }
  /* mkstemp makes the file private; a model file is an ordinary file. */
  {
    mode_t mask = umask (0);

    umask (mask);
    fchmod (fd, 0666 & ~mask);
  }
  self->alignment = alignment;
  self->cur_tensor = 0;
  self->cur_written = 0;
  if (!write_bytes (self, head->data, head->len, error))
    return FALSE;
  return write_zeros (self, align_up (head->len, alignment) - head->len, error);
}

gboolean
hearth_gguf_writer_write_data (HearthGgufWriter *self,
                               const void       *data,
                               gsize             n_bytes,
                               GError          **error)
{
  const guint8 *p = data;

  if (self->file == NULL)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "hearth_gguf_writer_begin() was not called");
      return FALSE;
    }
  while (n_bytes > 0)
    {
      Tensor *t;
      gsize k;

      if (self->cur_tensor >= self->tensors->len)
        {
          g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                               "more tensor data than the tensors hold");
          abort_file (self);
          return FALSE;
        }
      t = &g_array_index (self->tensors, Tensor, self->cur_tensor);
      k = (gsize) MIN ((guint64) n_bytes, t->n_bytes - self->cur_written);
      if (!write_bytes (self, p, k, error))
        return FALSE;
      p += k;
      n_bytes -= k;
      self->cur_written += k;
      if (self->cur_written == t->n_bytes)
        {
          /* Pad to the next tensor (and the last one to the alignment, as
           * other writers do). */
          if (!write_zeros (self, align_up (t->n_bytes, self->alignment) - t->n_bytes, error))
            return FALSE;
          self->cur_tensor++;
          self->cur_written = 0;
        }
    }
  return TRUE;
}

gboolean
hearth_gguf_writer_finish (HearthGgufWriter *self,
                           GError          **error)
{
  FILE *f;

  if (self->file == NULL)
    {
      g_set_error_literal (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                           "hearth_gguf_writer_begin() was not called");
      return FALSE;
    }
  /* Zero-size tensors are complete without any write. */
  while (self->cur_tensor < self->tensors->len &&
         g_array_index (self->tensors, Tensor, self->cur_tensor).n_bytes == 0)
    self->cur_tensor++;
  if (self->cur_tensor < self->tensors->len)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "tensor '%s' and those after it were not written",
                   g_array_index (self->tensors, Tensor, self->cur_tensor).name);
      abort_file (self);
      return FALSE;
    }
  f = self->file;
  self->file = NULL;
  if (fflush (f) != 0 || fsync (fileno (f)) != 0 || fclose (f) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO, "cannot write %s: %s",
                   self->tmp_path, g_strerror (saved));
      g_unlink (self->tmp_path);
      abort_file (self);
      return FALSE;
    }
  if (g_rename (self->tmp_path, self->path) != 0)
    {
      int saved = errno;

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO, "cannot rename %s to %s: %s",
                   self->tmp_path, self->path, g_strerror (saved));
      g_unlink (self->tmp_path);
      abort_file (self);
      return FALSE;
    }
  abort_file (self); /* only frees the names now */
  return TRUE;
}

gboolean
hearth_gguf_writer_write_file (HearthGgufWriter *self,
                               const char       *path,
                               GError          **error)
{
  for (guint i = 0; i < self->tensors->len; i++)
    if (g_array_index (self->tensors, Tensor, i).data == NULL &&
        g_array_index (self->tensors, Tensor, i).n_bytes > 0)
      {
        g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                     "tensor '%s' was added without data",
                     g_array_index (self->tensors, Tensor, i).name);
        return FALSE;
      }
  if (!hearth_gguf_writer_begin (self, path, error))
    return FALSE;
  for (guint i = 0; i < self->tensors->len; i++)
    {
      const Tensor *t = &g_array_index (self->tensors, Tensor, i);

      if (!hearth_gguf_writer_write_data (self, t->data, t->n_bytes, error))
        return FALSE;
    }
  return hearth_gguf_writer_finish (self, error);
}
