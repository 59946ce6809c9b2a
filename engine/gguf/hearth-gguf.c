/* hearth-gguf.c: a validating reader for GGUF v2/v3 model files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything read from the file is checked before it is used: a length or
 * count is compared with the bytes left before anything is allocated for it,
 * so the memory this reader allocates is bounded by a small multiple of the
 * file size whatever the file says.
 */
#include "hearth-gguf.h"
#include "hearth-engine-error.h"

#include <string.h>

#define GGUF_MAGIC "GGUF"
#define GGUF_DEFAULT_ALIGNMENT 32

struct _HearthGguf
{
  gatomicrefcount  ref_count;
  GBytes          *bytes;
  const guint8    *base;
  guint64          size;
  char            *path;
  char            *label;  /* for error messages: the file's base name or "<memory>" */

  guint32          version;
  guint32          alignment;
  guint64          data_offset;

  guint64          n_kv;
  const char     **keys;    /* n_kv, in string_chunk */
  HearthGgufValue *values;  /* n_kv */
  GHashTable      *key_index; /* key -> index + 1 */

  guint64          n_tensors;
  HearthGgufTensor *tensors;
  GHashTable      *tensor_index; /* name -> index + 1 */

  GStringChunk    *string_chunk;
  GPtrArray       *item_blocks; /* child value arrays of string/nested arrays */
};

typedef struct
{
  HearthGguf   *gguf;
  guint64       pos;
} Reader;

G_GNUC_PRINTF (4, 5) static void
set_error (Reader      *r,
           GError     **error,
           int          code,
           const char  *format,
           ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, HEARTH_ENGINE_ERROR, code, "%s: at byte %" G_GUINT64_FORMAT ": %s",
               r->gguf->label, r->pos, msg);
}

static guint64
remaining (Reader *r)
{
  return r->gguf->size - r->pos;
}

static gboolean
read_bytes (Reader       *r,
            guint64       n,
            const guint8 **out,
            const char   *what,
            GError      **error)
{
  if (n > remaining (r))
    {
      set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                 "%s needs %" G_GUINT64_FORMAT " bytes but the file ends after %" G_GUINT64_FORMAT,
                 what, n, remaining (r));
      return FALSE;
    }
  *out = r->gguf->base + r->pos;
  r->pos += n;
  return TRUE;
}

static gboolean
read_u32 (Reader     *r,
          guint32    *out,
          const char *what,
          GError    **error)
{
  const guint8 *p = NULL;

  if (!read_bytes (r, 4, &p, what, error))
    return FALSE;
  memcpy (out, p, 4);
  *out = GUINT32_FROM_LE (*out);
  return TRUE;
}

static gboolean
read_u64 (Reader     *r,
          guint64    *out,
          const char *what,
          GError    **error)
{
  const guint8 *p = NULL;

  if (!read_bytes (r, 8, &p, what, error))
    return FALSE;
  memcpy (out, p, 8);
  *out = GUINT64_FROM_LE (*out);
  return TRUE;
}

/* A GGUF string: u64 length, then that many bytes (no terminator). */
static gboolean
read_string (Reader      *r,
             const char **out_data,
             guint64     *out_len,
             const char  *what,
             GError     **error)
{
  guint64 start = r->pos;
  guint64 len;
  const guint8 *p = NULL;

  if (!read_u64 (r, &len, what, error))
    return FALSE;
  if (len > remaining (r))
    {
      r->pos = start;
      set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                 "%s: string length %" G_GUINT64_FORMAT " runs past the end of the file (%" G_GUINT64_FORMAT " bytes left)",
                 what, len, remaining (r) - 8);
      return FALSE;
    }
  read_bytes (r, len, &p, what, NULL);
  *out_data = (const char *) p;
  *out_len = len;
  return TRUE;
}

/* Keys and tensor names are used as C strings. */
static const char *
intern_name (Reader      *r,
             const char  *data,
             guint64      len,
             guint64      at,
             const char  *what,
             GError     **error)
{
  if (memchr (data, '\0', len) != NULL)
    {
      guint64 saved = r->pos;

      r->pos = at;
      set_error (r, error, HEARTH_ENGINE_ERROR_FAILED, "%s contains a NUL byte", what);
      r->pos = saved;
      return NULL;
    }
  /* GGUF's strings are UTF-8; a name that is not could not be quoted in an
   * error or shown (values are not checked: some vocabularies hold pieces
   * of characters). */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      guint64 saved = r->pos;

      r->pos = at;
      set_error (r, error, HEARTH_ENGINE_ERROR_FAILED, "%s is not valid UTF-8", what);
      r->pos = saved;
      return NULL;
    }
  return g_string_chunk_insert_len (r->gguf->string_chunk, data, (gssize) len);
}

gsize
hearth_gguf_type_size (HearthGgufType type)
{
  switch (type)
    {
    case HEARTH_GGUF_TYPE_UINT8:
    case HEARTH_GGUF_TYPE_INT8:
    case HEARTH_GGUF_TYPE_BOOL:
      return 1;
    case HEARTH_GGUF_TYPE_UINT16:
    case HEARTH_GGUF_TYPE_INT16:
      return 2;
    case HEARTH_GGUF_TYPE_UINT32:
    case HEARTH_GGUF_TYPE_INT32:
    case HEARTH_GGUF_TYPE_FLOAT32:
      return 4;
    case HEARTH_GGUF_TYPE_UINT64:
    case HEARTH_GGUF_TYPE_INT64:
    case HEARTH_GGUF_TYPE_FLOAT64:
      return 8;
    case HEARTH_GGUF_TYPE_STRING:
    case HEARTH_GGUF_TYPE_ARRAY:
    default:
      return 0;
    }
}

const char *
hearth_gguf_type_name (HearthGgufType type)
{
  static const char *const names[] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
  };

  if ((guint) type >= G_N_ELEMENTS (names))
    return "unknown";
  return names[type];
}

static gboolean
type_is_valid (guint32 type)
{
  return type <= HEARTH_GGUF_TYPE_FLOAT64;
}

/* Decodes one scalar of @type from @p (little-endian, maybe unaligned). */
static void
decode_scalar (HearthGgufType   type,
               const guint8    *p,
               HearthGgufValue *value)
{
  value->type = type;
  switch (type)
    {
    case HEARTH_GGUF_TYPE_UINT8:
      value->v.u64 = p[0];
      break;
    case HEARTH_GGUF_TYPE_INT8:
      value->v.i64 = (gint8) p[0];
      break;
    case HEARTH_GGUF_TYPE_BOOL:
      value->v.b = p[0] != 0;
      break;
    case HEARTH_GGUF_TYPE_UINT16:
      {
        guint16 x;
        memcpy (&x, p, 2);
        value->v.u64 = GUINT16_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_INT16:
      {
        guint16 x;
        memcpy (&x, p, 2);
        value->v.i64 = (gint16) GUINT16_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_UINT32:
      {
        guint32 x;
        memcpy (&x, p, 4);
        value->v.u64 = GUINT32_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_INT32:
      {
        guint32 x;
        memcpy (&x, p, 4);
        value->v.i64 = (gint32) GUINT32_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_FLOAT32:
      {
        float f;
        memcpy (&f, p, 4);
        value->v.f64 = f;
      }
      break;
    case HEARTH_GGUF_TYPE_UINT64:
      {
        guint64 x;
        memcpy (&x, p, 8);
        value->v.u64 = GUINT64_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_INT64:
      {
        guint64 x;
        memcpy (&x, p, 8);
        value->v.i64 = (gint64) GUINT64_FROM_LE (x);
      }
      break;
    case HEARTH_GGUF_TYPE_FLOAT64:
      memcpy (&value->v.f64, p, 8);
      break;
    case HEARTH_GGUF_TYPE_STRING:
    case HEARTH_GGUF_TYPE_ARRAY:
    default:
      g_assert_not_reached ();
    }
}

static gboolean read_value (Reader          *r,
                            HearthGgufType   type,
                            guint            depth,
                            HearthGgufValue *value,
                            GError         **error);

static gboolean
read_array (Reader          *r,
            guint            depth,
            HearthGgufValue *value,
            GError         **error)
{
  guint64 at = r->pos;
  guint32 elem_type;
  guint64 n;
  gsize elem_size;

  if (depth >= HEARTH_GGUF_MAX_ARRAY_DEPTH)
    {
      set_error (r, error, HEARTH_ENGINE_ERROR_LIMIT,
                 "arrays nested deeper than %d levels", HEARTH_GGUF_MAX_ARRAY_DEPTH);
      return FALSE;
    }
  if (!read_u32 (r, &elem_type, "array element type", error))
    return FALSE;
  if (!type_is_valid (elem_type))
    {
      r->pos = at;
      set_error (r, error, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE,
                 "unknown array element type %u", elem_type);
      return FALSE;
    }
  if (!read_u64 (r, &n, "array length", error))
    return FALSE;

  value->type = HEARTH_GGUF_TYPE_ARRAY;
  value->v.arr.elem_type = elem_type;
  value->v.arr.n = n;
  value->v.arr.data = NULL;
  value->v.arr.items = NULL;

  elem_size = hearth_gguf_type_size (elem_type);
  if (elem_size > 0)
    {
      const guint8 *p = NULL;

      if (n > remaining (r) / elem_size)
        {
          set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                     "array of %" G_GUINT64_FORMAT " %s values runs past the end of the file",
                     n, hearth_gguf_type_name (elem_type));
          return FALSE;
        }
      read_bytes (r, n * elem_size, &p, "array", NULL);
      value->v.arr.data = p;
    }
  else
    {
      /* Each string element takes at least its 8-byte length, each nested
       * array at least 12 bytes: bound the count before allocating. */
      guint64 min_size = elem_type == HEARTH_GGUF_TYPE_STRING ? 8 : 12;
      HearthGgufValue *items;

      if (n > remaining (r) / min_size)
        {
          set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                     "array of %" G_GUINT64_FORMAT " %s values runs past the end of the file",
                     n, hearth_gguf_type_name (elem_type));
          return FALSE;
        }
      items = g_new0 (HearthGgufValue, MAX (n, 1));
      g_ptr_array_add (r->gguf->item_blocks, items);
      value->v.arr.items = items;
      for (guint64 i = 0; i < n; i++)
        {
          if (!read_value (r, elem_type, depth + 1, &items[i], error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_value (Reader          *r,
            HearthGgufType   type,
            guint            depth,
            HearthGgufValue *value,
            GError         **error)
{
  if (type == HEARTH_GGUF_TYPE_STRING)
    {
      value->type = type;
      return read_string (r, &value->v.str.data, &value->v.str.len, "string value", error);
    }
  else if (type == HEARTH_GGUF_TYPE_ARRAY)
    {
      return read_array (r, depth, value, error);
    }
  else
    {
      const guint8 *p = NULL;

      if (!read_bytes (r, hearth_gguf_type_size (type), &p, hearth_gguf_type_name (type), error))
        return FALSE;
      decode_scalar (type, p, value);
      return TRUE;
    }
}

static gboolean
read_header_and_metadata (Reader  *r,
                          GError **error)
{
  HearthGguf *g = r->gguf;
  const guint8 *magic;
  guint64 n_tensors_in_file;

  if (!read_bytes (r, 4, &magic, "magic", error))
    return FALSE;
  if (memcmp (magic, GGUF_MAGIC, 4) != 0)
    {
      r->pos = 0;
      set_error (r, error, HEARTH_ENGINE_ERROR_BAD_MAGIC,
                 "not a GGUF file (magic %02x %02x %02x %02x, expected \"GGUF\")",
                 magic[0], magic[1], magic[2], magic[3]);
      return FALSE;
    }
  if (!read_u32 (r, &g->version, "version", error))
    return FALSE;
  if (g->version != 2 && g->version != 3)
    {
      r->pos = 4;
      if (GUINT32_SWAP_LE_BE (g->version) == 2 || GUINT32_SWAP_LE_BE (g->version) == 3)
        set_error (r, error, HEARTH_ENGINE_ERROR_BAD_VERSION,
                   "big-endian GGUF files are not supported");
      else if (g->version == 1)
        set_error (r, error, HEARTH_ENGINE_ERROR_BAD_VERSION,
                   "GGUF version 1 is obsolete and not supported; convert the model again");
      else
        set_error (r, error, HEARTH_ENGINE_ERROR_BAD_VERSION,
                   "unsupported GGUF version %u (this reader knows 2 and 3)", g->version);
      return FALSE;
    }
  if (!read_u64 (r, &n_tensors_in_file, "tensor count", error))
    return FALSE;
  if (!read_u64 (r, &g->n_kv, "metadata count", error))
    return FALSE;

  /* Counts beyond these limits are refused outright; below them, a count
   * must still fit in the bytes left (the smallest key/value takes 14 bytes,
   * the smallest tensor info 33) before anything is allocated for it. */
  if (g->n_kv > HEARTH_GGUF_MAX_KV)
    {
      r->pos -= 8;
      set_error (r, error, HEARTH_ENGINE_ERROR_LIMIT,
                 "metadata count %" G_GUINT64_FORMAT " is over the limit of %d", g->n_kv, HEARTH_GGUF_MAX_KV);
      return FALSE;
    }
  if (n_tensors_in_file > HEARTH_GGUF_MAX_TENSORS)
    {
      r->pos -= 16;
      set_error (r, error, HEARTH_ENGINE_ERROR_LIMIT,
                 "tensor count %" G_GUINT64_FORMAT " is over the limit of %d", n_tensors_in_file,
                 HEARTH_GGUF_MAX_TENSORS);
      return FALSE;
    }
  if (g->n_kv > remaining (r) / 14 || n_tensors_in_file > (remaining (r) - g->n_kv * 14) / 33)
    {
      set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                 "%" G_GUINT64_FORMAT " metadata entries and %" G_GUINT64_FORMAT
                 " tensor infos cannot fit in the %" G_GUINT64_FORMAT " bytes left",
                 g->n_kv, n_tensors_in_file, remaining (r));
      return FALSE;
    }
  g->n_tensors = n_tensors_in_file;

  g->keys = g_new0 (const char *, MAX (g->n_kv, 1));
  g->values = g_new0 (HearthGgufValue, MAX (g->n_kv, 1));

  for (guint64 i = 0; i < g->n_kv; i++)
    {
      guint64 at = r->pos;
      const char *key_data;
      guint64 key_len;
      guint32 type;

      if (!read_string (r, &key_data, &key_len, "metadata key", error))
        return FALSE;
      if (key_len == 0)
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_FAILED, "empty metadata key");
          return FALSE;
        }
      g->keys[i] = intern_name (r, key_data, key_len, at, "metadata key", error);
      if (g->keys[i] == NULL)
        return FALSE;
      if (g_hash_table_contains (g->key_index, g->keys[i]))
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_DUPLICATE,
                     "metadata key '%s' appears twice", g->keys[i]);
          return FALSE;
        }
      g_hash_table_insert (g->key_index, (gpointer) g->keys[i], GSIZE_TO_POINTER (i + 1));

      at = r->pos;
      if (!read_u32 (r, &type, "metadata value type", error))
        return FALSE;
      if (!type_is_valid (type))
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE,
                     "metadata key '%s' has unknown value type %u", g->keys[i], type);
          return FALSE;
        }
      if (!read_value (r, type, 0, &g->values[i], error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_alignment (Reader  *r,
                GError **error)
{
  HearthGguf *g = r->gguf;
  const HearthGgufValue *v = hearth_gguf_find (g, "general.alignment");

  g->alignment = GGUF_DEFAULT_ALIGNMENT;
  if (v == NULL)
    return TRUE;
  if (v->type != HEARTH_GGUF_TYPE_UINT32)
    {
      set_error (r, error, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                 "general.alignment is a %s, expected uint32", hearth_gguf_type_name (v->type));
      return FALSE;
    }
  if (v->v.u64 == 0 || (v->v.u64 & (v->v.u64 - 1)) != 0 || v->v.u64 > (1u << 30))
    {
      set_error (r, error, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT,
                 "general.alignment %" G_GUINT64_FORMAT " is not a power of two up to 2^30", v->v.u64);
      return FALSE;
    }
  g->alignment = (guint32) v->v.u64;
  return TRUE;
}

static gboolean
read_tensor_infos (Reader  *r,
                   GError **error)
{
  HearthGguf *g = r->gguf;

  g->tensors = g_new0 (HearthGgufTensor, MAX (g->n_tensors, 1));

  for (guint64 i = 0; i < g->n_tensors; i++)
    {
      HearthGgufTensor *t = &g->tensors[i];
      guint64 at = r->pos;
      const char *name_data;
      guint64 name_len;
      guint32 type;
      guint64 row_bytes;
      const HearthGgmlTypeInfo *info;

      if (!read_string (r, &name_data, &name_len, "tensor name", error))
        return FALSE;
      if (name_len >= HEARTH_GGUF_MAX_NAME)
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_LIMIT,
                     "tensor name of %" G_GUINT64_FORMAT " bytes is longer than %d",
                     name_len, HEARTH_GGUF_MAX_NAME - 1);
          return FALSE;
        }
      t->name = intern_name (r, name_data, name_len, at, "tensor name", error);
      if (t->name == NULL)
        return FALSE;
      if (g_hash_table_contains (g->tensor_index, t->name))
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_DUPLICATE,
                     "tensor '%s' appears twice", t->name);
          return FALSE;
        }
      g_hash_table_insert (g->tensor_index, (gpointer) t->name, GSIZE_TO_POINTER (i + 1));

      at = r->pos;
      if (!read_u32 (r, &t->n_dims, "tensor dimension count", error))
        return FALSE;
      if (t->n_dims == 0 || t->n_dims > HEARTH_GGUF_MAX_DIMS)
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_SHAPE,
                     "tensor '%s' has %u dimensions (1 to %d allowed)",
                     t->name, t->n_dims, HEARTH_GGUF_MAX_DIMS);
          return FALSE;
        }
      t->n_elements = 1;
      for (guint d = 0; d < HEARTH_GGUF_MAX_DIMS; d++)
        {
          guint64 ne = 1;

          at = r->pos;
          if (d < t->n_dims && !read_u64 (r, &ne, "tensor dimension", error))
            return FALSE;
          if (ne > (guint64) G_MAXINT64)
            {
              r->pos = at;
              set_error (r, error, HEARTH_ENGINE_ERROR_SHAPE,
                         "tensor '%s' dimension %u is negative or too large", t->name, d);
              return FALSE;
            }
          if (ne != 0 && t->n_elements > (guint64) G_MAXINT64 / ne)
            {
              r->pos = at;
              set_error (r, error, HEARTH_ENGINE_ERROR_SHAPE,
                         "tensor '%s' element count overflows", t->name);
              return FALSE;
            }
          t->ne[d] = ne;
          t->n_elements *= ne;
        }

      at = r->pos;
      if (!read_u32 (r, &type, "tensor type", error))
        return FALSE;
      info = hearth_ggml_type_info (type);
      if (info == NULL)
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_UNKNOWN_TYPE,
                     "tensor '%s' has unknown type id %u", t->name, type);
          return FALSE;
        }
      t->type = (HearthGgmlType) type;
      if (!hearth_ggml_row_size (type, t->ne[0], &row_bytes))
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_SHAPE,
                     "tensor '%s': row of %" G_GUINT64_FORMAT " elements is not a multiple of the %s block size %u",
                     t->name, t->ne[0], info->name, info->block_size);
          return FALSE;
        }
      t->n_bytes = row_bytes;
      for (guint d = 1; d < HEARTH_GGUF_MAX_DIMS; d++)
        {
          if (t->ne[d] != 0 && t->n_bytes > G_MAXUINT64 / t->ne[d])
            {
              r->pos = at;
              set_error (r, error, HEARTH_ENGINE_ERROR_SHAPE,
                         "tensor '%s' byte size overflows", t->name);
              return FALSE;
            }
          t->n_bytes *= t->ne[d];
        }

      at = r->pos;
      if (!read_u64 (r, &t->offset, "tensor offset", error))
        return FALSE;
      if (t->offset % g->alignment != 0)
        {
          r->pos = at;
          set_error (r, error, HEARTH_ENGINE_ERROR_BAD_ALIGNMENT,
                     "tensor '%s' offset %" G_GUINT64_FORMAT " is not a multiple of the alignment %u",
                     t->name, t->offset, g->alignment);
          return FALSE;
        }
    }
  return TRUE;
}

static int
compare_tensor_offsets (gconstpointer a,
                        gconstpointer b)
{
  const HearthGgufTensor *ta = *(const HearthGgufTensor *const *) a;
  const HearthGgufTensor *tb = *(const HearthGgufTensor *const *) b;

  if (ta->offset != tb->offset)
    return ta->offset < tb->offset ? -1 : 1;
  if (ta->n_bytes != tb->n_bytes)
    return ta->n_bytes < tb->n_bytes ? -1 : 1;
  return 0;
}

static gboolean
place_tensors (Reader  *r,
               GError **error)
{
  HearthGguf *g = r->gguf;
  guint64 data_size;
  guint64 total_bytes = 0;
  g_autofree HearthGgufTensor **sorted = NULL;

  /* The data section starts at the next multiple of the alignment. */
  g->data_offset = r->pos + (g->alignment - r->pos % g->alignment) % g->alignment;
  for (guint64 i = 0; i < g->n_tensors; i++)
    total_bytes |= g->tensors[i].n_bytes;
  if (g->data_offset > g->size)
    {
      /* A file without tensor data may end before the padding. */
      if (total_bytes != 0)
        {
          set_error (r, error, HEARTH_ENGINE_ERROR_TRUNCATED,
                     "the file ends before the data section at byte %" G_GUINT64_FORMAT,
                     g->data_offset);
          return FALSE;
        }
      g->data_offset = g->size;
    }
  data_size = g->size - g->data_offset;

  sorted = g_new (HearthGgufTensor *, MAX (g->n_tensors, 1));
  for (guint64 i = 0; i < g->n_tensors; i++)
    {
      HearthGgufTensor *t = &g->tensors[i];

      if (t->offset > data_size || t->n_bytes > data_size - t->offset)
        {
          r->pos = g->data_offset;
          set_error (r, error, HEARTH_ENGINE_ERROR_TENSOR_RANGE,
                     "tensor '%s' (%" G_GUINT64_FORMAT " bytes at data offset %" G_GUINT64_FORMAT
                     ") lies past the end of the data section (%" G_GUINT64_FORMAT " bytes)",
                     t->name, t->n_bytes, t->offset, data_size);
          return FALSE;
        }
      t->data = g->base + g->data_offset + t->offset;
      sorted[i] = t;
    }

  qsort (sorted, g->n_tensors, sizeof (HearthGgufTensor *), compare_tensor_offsets);
  for (guint64 i = 1; i < g->n_tensors; i++)
    {
      const HearthGgufTensor *prev = sorted[i - 1];
      const HearthGgufTensor *cur = sorted[i];

      if (cur->n_bytes != 0 && prev->n_bytes != 0 && cur->offset < prev->offset + prev->n_bytes)
        {
          r->pos = g->data_offset + cur->offset;
          set_error (r, error, HEARTH_ENGINE_ERROR_TENSOR_OVERLAP,
                     "tensors '%s' and '%s' overlap", prev->name, cur->name);
          return FALSE;
        }
    }
  return TRUE;
}

static HearthGguf *
parse (GBytes     *bytes,
       const char *path,
       GError    **error)
{
  g_autoptr(HearthGguf) g = g_new0 (HearthGguf, 1);
  Reader r = { g, 0 };
  gsize size;

  g_atomic_ref_count_init (&g->ref_count);
  g->bytes = g_bytes_ref (bytes);
  g->base = g_bytes_get_data (bytes, &size);
  g->size = size;
  g->path = g_strdup (path);
  g->label = path ? g_path_get_basename (path) : g_strdup ("<memory>");
  g->string_chunk = g_string_chunk_new (4096);
  g->item_blocks = g_ptr_array_new_with_free_func (g_free);
  g->key_index = g_hash_table_new (g_str_hash, g_str_equal);
  g->tensor_index = g_hash_table_new (g_str_hash, g_str_equal);
  g->alignment = GGUF_DEFAULT_ALIGNMENT;

  if (g->base == NULL)
    g->size = 0;

  if (!read_header_and_metadata (&r, error) ||
      !read_alignment (&r, error) ||
      !read_tensor_infos (&r, error) ||
      !place_tensors (&r, error))
    return NULL;

  return g_steal_pointer (&g);
}

HearthGguf *
hearth_gguf_new_from_bytes (GBytes  *bytes,
                            GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);

  return parse (bytes, NULL, error);
}

HearthGguf *
hearth_gguf_open (const char *path,
                  GError    **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO,
                   "%s: is a folder, not a GGUF file", path);
      return NULL;
    }
  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_IO,
                   "%s", local_error->message);
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  return parse (bytes, path, error);
}

HearthGguf *
hearth_gguf_ref (HearthGguf *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_gguf_unref (HearthGguf *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->key_index, g_hash_table_unref);
  g_clear_pointer (&self->tensor_index, g_hash_table_unref);
  g_clear_pointer (&self->item_blocks, g_ptr_array_unref);
  g_clear_pointer (&self->string_chunk, g_string_chunk_free);
  g_free (self->keys);
  g_free (self->values);
  g_free (self->tensors);
  g_free (self->path);
  g_free (self->label);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self);
}

guint32
hearth_gguf_get_version (HearthGguf *self)
{
  return self->version;
}

guint64
hearth_gguf_get_file_size (HearthGguf *self)
{
  return self->size;
}

guint32
hearth_gguf_get_alignment (HearthGguf *self)
{
  return self->alignment;
}

guint64
hearth_gguf_get_data_offset (HearthGguf *self)
{
  return self->data_offset;
}

const char *
hearth_gguf_get_path (HearthGguf *self)
{
  return self->path;
}

guint64
hearth_gguf_get_n_kv (HearthGguf *self)
{
  return self->n_kv;
}

const char *
hearth_gguf_get_key (HearthGguf *self,
                     guint64     i)
{
  g_return_val_if_fail (i < self->n_kv, NULL);
  return self->keys[i];
}

const HearthGgufValue *
hearth_gguf_get_value_at (HearthGguf *self,
                          guint64     i)
{
  g_return_val_if_fail (i < self->n_kv, NULL);
  return &self->values[i];
}

const HearthGgufValue *
hearth_gguf_find (HearthGguf *self,
                  const char *key)
{
  gsize idx = GPOINTER_TO_SIZE (g_hash_table_lookup (self->key_index, key));

  return idx ? &self->values[idx - 1] : NULL;
}

static const HearthGgufValue *
lookup (HearthGguf  *self,
        const char  *key,
        GError     **error)
{
  const HearthGgufValue *v = hearth_gguf_find (self, key);

  if (v == NULL)
    g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                 "%s: metadata key '%s' is missing", self->label, key);
  return v;
}

static void
set_mismatch (HearthGguf             *self,
              const char             *key,
              const HearthGgufValue  *v,
              const char             *expected,
              GError                **error)
{
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
               "%s: metadata key '%s' is a %s, expected %s",
               self->label, key, hearth_gguf_type_name (v->type), expected);
}

static gboolean
type_is_unsigned (HearthGgufType t)
{
  return t == HEARTH_GGUF_TYPE_UINT8 || t == HEARTH_GGUF_TYPE_UINT16 ||
         t == HEARTH_GGUF_TYPE_UINT32 || t == HEARTH_GGUF_TYPE_UINT64;
}

static gboolean
type_is_signed (HearthGgufType t)
{
  return t == HEARTH_GGUF_TYPE_INT8 || t == HEARTH_GGUF_TYPE_INT16 ||
         t == HEARTH_GGUF_TYPE_INT32 || t == HEARTH_GGUF_TYPE_INT64;
}

gboolean
hearth_gguf_get_uint64 (HearthGguf *self,
                        const char *key,
                        guint64    *out,
                        GError    **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return FALSE;
  if (type_is_unsigned (v->type))
    *out = v->v.u64;
  else if (type_is_signed (v->type) && v->v.i64 >= 0)
    *out = (guint64) v->v.i64;
  else
    {
      set_mismatch (self, key, v, "a non-negative integer", error);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_gguf_get_uint32 (HearthGguf *self,
                        const char *key,
                        guint32    *out,
                        GError    **error)
{
  guint64 x;

  if (!hearth_gguf_get_uint64 (self, key, &x, error))
    return FALSE;
  if (x > G_MAXUINT32)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                   "%s: metadata key '%s' = %" G_GUINT64_FORMAT " does not fit 32 bits",
                   self->label, key, x);
      return FALSE;
    }
  *out = (guint32) x;
  return TRUE;
}

gboolean
hearth_gguf_get_int64 (HearthGguf *self,
                       const char *key,
                       gint64     *out,
                       GError    **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return FALSE;
  if (type_is_signed (v->type))
    *out = v->v.i64;
  else if (type_is_unsigned (v->type) && v->v.u64 <= (guint64) G_MAXINT64)
    *out = (gint64) v->v.u64;
  else
    {
      set_mismatch (self, key, v, "an integer", error);
      return FALSE;
    }
  return TRUE;
}

gboolean
hearth_gguf_get_float (HearthGguf *self,
                       const char *key,
                       double     *out,
                       GError    **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return FALSE;
  if (v->type != HEARTH_GGUF_TYPE_FLOAT32 && v->type != HEARTH_GGUF_TYPE_FLOAT64)
    {
      set_mismatch (self, key, v, "a float", error);
      return FALSE;
    }
  *out = v->v.f64;
  return TRUE;
}

gboolean
hearth_gguf_get_bool (HearthGguf *self,
                      const char *key,
                      gboolean   *out,
                      GError    **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return FALSE;
  if (v->type != HEARTH_GGUF_TYPE_BOOL)
    {
      set_mismatch (self, key, v, "a bool", error);
      return FALSE;
    }
  *out = v->v.b;
  return TRUE;
}

char *
hearth_gguf_dup_string (HearthGguf *self,
                        const char *key,
                        GError    **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return NULL;
  if (v->type != HEARTH_GGUF_TYPE_STRING)
    {
      set_mismatch (self, key, v, "a string", error);
      return NULL;
    }
  if (memchr (v->v.str.data, '\0', v->v.str.len) != NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                   "%s: metadata string '%s' contains a NUL byte", self->label, key);
      return NULL;
    }
  return g_strndup (v->v.str.data, v->v.str.len);
}

const HearthGgufValue *
hearth_gguf_get_array (HearthGguf     *self,
                       const char     *key,
                       HearthGgufType  elem_type,
                       GError        **error)
{
  const HearthGgufValue *v = lookup (self, key, error);

  if (v == NULL)
    return NULL;
  if (v->type != HEARTH_GGUF_TYPE_ARRAY || v->v.arr.elem_type != elem_type)
    {
      g_autofree char *expected = g_strdup_printf ("an array of %s", hearth_gguf_type_name (elem_type));

      if (v->type == HEARTH_GGUF_TYPE_ARRAY)
        g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_TYPE_MISMATCH,
                     "%s: metadata key '%s' is an array of %s, expected %s", self->label, key,
                     hearth_gguf_type_name (v->v.arr.elem_type), expected);
      else
        set_mismatch (self, key, v, expected, error);
      return NULL;
    }
  return v;
}

gboolean
hearth_gguf_get_uint32_or (HearthGguf *self,
                           const char *key,
                           guint32     fallback,
                           guint32    *out,
                           GError    **error)
{
  if (hearth_gguf_find (self, key) == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  return hearth_gguf_get_uint32 (self, key, out, error);
}

gboolean
hearth_gguf_get_float_or (HearthGguf *self,
                          const char *key,
                          double      fallback,
                          double     *out,
                          GError    **error)
{
  if (hearth_gguf_find (self, key) == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  return hearth_gguf_get_float (self, key, out, error);
}

gboolean
hearth_gguf_get_bool_or (HearthGguf *self,
                         const char *key,
                         gboolean    fallback,
                         gboolean   *out,
                         GError    **error)
{
  if (hearth_gguf_find (self, key) == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  return hearth_gguf_get_bool (self, key, out, error);
}

gint64
hearth_gguf_array_get_int (const HearthGgufValue *array,
                           guint64                i)
{
  HearthGgufValue elem;
  HearthGgufType t;

  g_return_val_if_fail (array->type == HEARTH_GGUF_TYPE_ARRAY, 0);
  g_return_val_if_fail (i < array->v.arr.n, 0);
  t = array->v.arr.elem_type;
  g_return_val_if_fail (type_is_signed (t) || type_is_unsigned (t) || t == HEARTH_GGUF_TYPE_BOOL, 0);

  decode_scalar (t, array->v.arr.data + i * hearth_gguf_type_size (t), &elem);
  if (t == HEARTH_GGUF_TYPE_BOOL)
    return elem.v.b;
  return type_is_signed (t) ? elem.v.i64 : (gint64) elem.v.u64;
}

double
hearth_gguf_array_get_float (const HearthGgufValue *array,
                             guint64                i)
{
  HearthGgufValue elem;
  HearthGgufType t;

  g_return_val_if_fail (array->type == HEARTH_GGUF_TYPE_ARRAY, 0);
  g_return_val_if_fail (i < array->v.arr.n, 0);
  t = array->v.arr.elem_type;
  if (t != HEARTH_GGUF_TYPE_FLOAT32 && t != HEARTH_GGUF_TYPE_FLOAT64)
    return (double) hearth_gguf_array_get_int (array, i);

  decode_scalar (t, array->v.arr.data + i * hearth_gguf_type_size (t), &elem);
  return elem.v.f64;
}

const char *
hearth_gguf_array_get_string (const HearthGgufValue *array,
                              guint64                i,
                              guint64               *len)
{
  g_return_val_if_fail (array->type == HEARTH_GGUF_TYPE_ARRAY, NULL);
  g_return_val_if_fail (array->v.arr.elem_type == HEARTH_GGUF_TYPE_STRING, NULL);
  g_return_val_if_fail (i < array->v.arr.n, NULL);

  *len = array->v.arr.items[i].v.str.len;
  return array->v.arr.items[i].v.str.data;
}

guint64
hearth_gguf_get_n_tensors (HearthGguf *self)
{
  return self->n_tensors;
}

const HearthGgufTensor *
hearth_gguf_get_tensor (HearthGguf *self,
                        guint64     i)
{
  g_return_val_if_fail (i < self->n_tensors, NULL);
  return &self->tensors[i];
}

const HearthGgufTensor *
hearth_gguf_find_tensor (HearthGguf *self,
                         const char *name)
{
  gsize idx = GPOINTER_TO_SIZE (g_hash_table_lookup (self->tensor_index, name));

  return idx ? &self->tensors[idx - 1] : NULL;
}
