/* hearth-model-quantize.c: whole-model quantization with named recipes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recipes (mixes) follow the layer rules that the common llama.cpp file
 * types use, so a Hearth Q4_K_M is what users know as Q4_K_M:
 *   - the output matrix (output.weight, or token_embd.weight when the
 *     embeddings are tied) gets Q6_K in every mix;
 *   - "more bits" layers are the first and last eighth of the layers plus
 *     every third layer in between: i < n/8, i >= 7n/8, (i - n/8) % 3 == 2.
 * A plain type name (or any name with params->pure) gives every 2-D weight
 * that one type. A type whose block does not divide a tensor's rows falls back: Q6_K ->
 * Q8_0, Q5_K -> Q5_1, Q4_K -> Q5_0, Q3_K/Q2_K -> Q4_0, and to F16 when even
 * 32 does not divide the rows.
 */
#include "hearth-model-quantize.h"

#include <stdio.h>
#include <string.h>

#include "cpu/hearth-cpu.h"
#include "hearth-engine-error.h"
#include "hearth-gguf-writer.h"
#include "hearth-gguf.h"

typedef enum
{
  RECIPE_PURE,
  RECIPE_Q2_K,
  RECIPE_Q3_K_S,
  RECIPE_Q3_K_M,
  RECIPE_Q4_K_S,
  RECIPE_Q4_K_M,
  RECIPE_Q5_K_S,
  RECIPE_Q5_K_M,
} RecipeKind;

typedef struct
{
  const char    *name;
  RecipeKind     kind;
  HearthGgmlType base;
  guint32        file_type; /* general.file_type ("llama_ftype") */
  const char    *description;
} Recipe;

static const Recipe recipes[] = {
  { "F32", RECIPE_PURE, HEARTH_GGML_TYPE_F32, 0, "all weights F32" },
  { "F16", RECIPE_PURE, HEARTH_GGML_TYPE_F16, 1, "all 2-D weights F16" },
  { "BF16", RECIPE_PURE, HEARTH_GGML_TYPE_BF16, 32, "all 2-D weights BF16" },
  { "Q8_0", RECIPE_PURE, HEARTH_GGML_TYPE_Q8_0, 7, "all 2-D weights Q8_0" },
  { "Q4_0", RECIPE_PURE, HEARTH_GGML_TYPE_Q4_0, 2, "all 2-D weights Q4_0" },
  { "Q4_1", RECIPE_PURE, HEARTH_GGML_TYPE_Q4_1, 3, "all 2-D weights Q4_1" },
  { "Q5_0", RECIPE_PURE, HEARTH_GGML_TYPE_Q5_0, 8, "all 2-D weights Q5_0" },
  { "Q5_1", RECIPE_PURE, HEARTH_GGML_TYPE_Q5_1, 9, "all 2-D weights Q5_1" },
  { "Q6_K", RECIPE_PURE, HEARTH_GGML_TYPE_Q6_K, 18, "all 2-D weights Q6_K" },
  { "Q5_K", RECIPE_PURE, HEARTH_GGML_TYPE_Q5_K, 16, "all 2-D weights Q5_K, nothing promoted" },
  { "Q4_K", RECIPE_PURE, HEARTH_GGML_TYPE_Q4_K, 14, "all 2-D weights Q4_K, nothing promoted" },
  { "Q3_K", RECIPE_PURE, HEARTH_GGML_TYPE_Q3_K, 11, "all 2-D weights Q3_K, nothing promoted" },
  { "Q2_K", RECIPE_Q2_K, HEARTH_GGML_TYPE_Q2_K, 10,
    "Q2_K; attn_v Q4_K (Q3_K without grouped-query attention); ffn_down and attn_output Q3_K; output Q6_K" },
  { "Q3_K_S", RECIPE_Q3_K_S, HEARTH_GGML_TYPE_Q3_K, 11, "Q3_K; output Q6_K" },
  { "Q3_K_M", RECIPE_Q3_K_M, HEARTH_GGML_TYPE_Q3_K, 12,
    "Q3_K; attn_v Q5_K in layers 0-1, Q4_K elsewhere; attn_output Q4_K; ffn_down Q5_K in the first "
    "sixteenth of the layers, Q4_K in the more-bits layers; output Q6_K" },
  { "Q4_K_S", RECIPE_Q4_K_S, HEARTH_GGML_TYPE_Q4_K, 14, "Q4_K; attn_v Q5_K in layers 0-3; output Q6_K" },
  { "Q4_K_M", RECIPE_Q4_K_M, HEARTH_GGML_TYPE_Q4_K, 15,
    "Q4_K; attn_v and ffn_down Q6_K in the more-bits layers; output Q6_K" },
  { "Q5_K_S", RECIPE_Q5_K_S, HEARTH_GGML_TYPE_Q5_K, 16, "Q5_K; output Q6_K" },
  { "Q5_K_M", RECIPE_Q5_K_M, HEARTH_GGML_TYPE_Q5_K, 17,
    "Q5_K; attn_v and ffn_down Q6_K in the more-bits layers; output Q6_K" },
};

static const Recipe *
find_recipe (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (recipes); i++)
    if (g_ascii_strcasecmp (recipes[i].name, name) == 0)
      return &recipes[i];
  return NULL;
}

void
hearth_quantize_params_init (HearthQuantizeParams *params)
{
  memset (params, 0, sizeof *params);
  params->type = "Q8_0";
}

const char *
hearth_quantize_describe_recipe (const char *type)
{
  const Recipe *r = find_recipe (type);

  return r ? r->description : NULL;
}

static gboolean
more_bits (int i,
           int n)
{
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

/* "blk.N.rest" -> N and rest; FALSE for tensors outside the layers. */
static gboolean
parse_layer (const char  *name,
             int         *layer,
             const char **rest)
{
  char *end;
  guint64 v;

  if (!g_str_has_prefix (name, "blk."))
    return FALSE;
  v = g_ascii_strtoull (name + 4, &end, 10);
  if (end == name + 4 || *end != '.' || v > G_MAXINT)
    return FALSE;
  *layer = (int) v;
  *rest = end + 1;
  return TRUE;
}

/* The type the recipe wants for a 2-D weight, before any fallback. */
static HearthGgmlType
recipe_type (const Recipe *r,
             const char   *name,
             gboolean      is_output,
             int           n_layer,
             gboolean      gqa)
{
  int layer = 0;
  const char *rest = "";
  gboolean in_layer = parse_layer (name, &layer, &rest);
  gboolean attn_v = in_layer && strcmp (rest, "attn_v.weight") == 0;
  gboolean ffn_down = in_layer && strcmp (rest, "ffn_down.weight") == 0;
  gboolean attn_out = in_layer && strcmp (rest, "attn_output.weight") == 0;

  if (r->kind == RECIPE_PURE)
    return r->base;
  if (is_output)
    return HEARTH_GGML_TYPE_Q6_K;
  switch (r->kind)
    {
    case RECIPE_PURE:
      return r->base;
    case RECIPE_Q2_K:
      if (attn_v)
        return gqa ? HEARTH_GGML_TYPE_Q4_K : HEARTH_GGML_TYPE_Q3_K;
      if (ffn_down || attn_out)
        return HEARTH_GGML_TYPE_Q3_K;
      return r->base;
    case RECIPE_Q3_K_S:
    case RECIPE_Q5_K_S:
      return r->base;
    case RECIPE_Q3_K_M:
      if (attn_v)
        return layer < 2 ? HEARTH_GGML_TYPE_Q5_K : HEARTH_GGML_TYPE_Q4_K;
      if (attn_out)
        return HEARTH_GGML_TYPE_Q4_K;
      if (ffn_down)
        return layer < n_layer / 16 ? HEARTH_GGML_TYPE_Q5_K
               : more_bits (layer, n_layer) ? HEARTH_GGML_TYPE_Q4_K
                                            : r->base;
      return r->base;
    case RECIPE_Q4_K_S:
      return attn_v && layer < 4 ? HEARTH_GGML_TYPE_Q5_K : r->base;
    case RECIPE_Q4_K_M:
    case RECIPE_Q5_K_M:
      return (attn_v || ffn_down) && more_bits (layer, n_layer) ? HEARTH_GGML_TYPE_Q6_K : r->base;
    default:
      return r->base;
    }
}

static HearthGgmlType
fallback_type (HearthGgmlType t)
{
  switch (t)
    {
    case HEARTH_GGML_TYPE_Q6_K:
      return HEARTH_GGML_TYPE_Q8_0;
    case HEARTH_GGML_TYPE_Q5_K:
      return HEARTH_GGML_TYPE_Q5_1;
    case HEARTH_GGML_TYPE_Q4_K:
      return HEARTH_GGML_TYPE_Q5_0;
    case HEARTH_GGML_TYPE_Q3_K:
    case HEARTH_GGML_TYPE_Q2_K:
      return HEARTH_GGML_TYPE_Q4_0;
    default:
      return HEARTH_GGML_TYPE_F16;
    }
}

gboolean
hearth_quantize_get_file_type (const char *type,
                               guint32    *file_type)
{
  const Recipe *r = find_recipe (type);

  if (r == NULL)
    return FALSE;
  *file_type = r->file_type;
  return TRUE;
}

HearthGgmlType
hearth_quantize_choose_type (const HearthQuantizeParams     *params,
                             const HearthQuantizeModelShape *shape,
                             const char                     *name,
                             guint32                         n_dims,
                             const guint64                  *ne,
                             HearthGgmlType                 *wanted)
{
  const Recipe *recipe = find_recipe (params->type);
  gboolean is_weight = n_dims >= 2 && g_str_has_suffix (name, ".weight");
  gboolean is_output = strcmp (name, "output.weight") == 0 ||
                       (!shape->has_output && strcmp (name, "token_embd.weight") == 0);
  HearthGgmlType want, type;
  guint64 dummy;

  g_return_val_if_fail (recipe != NULL, HEARTH_GGML_TYPE_F32);
  if (!is_weight)
    want = HEARTH_GGML_TYPE_F32;
  else if (params->pure)
    want = recipe->base;
  else
    want = recipe_type (recipe, name, is_output, (int) shape->n_layer,
                        shape->n_head_kv > 0 && shape->n_head / shape->n_head_kv >= 4);
  type = want;
  while (!hearth_ggml_row_size (type, ne[0], &dummy))
    type = fallback_type (type);
  if (wanted != NULL)
    *wanted = want;
  return type;
}

/* ---- row-parallel conversion ---- */

typedef struct
{
  const HearthGgufTensor *src;
  HearthGgmlType          dst_type;
  guint64                 row0, n_rows;
  gsize                   src_row_bytes, dst_row_bytes;
  guint8                 *out;
} ConvertJob;

static void
convert_task (void *data,
              int   ith,
              int   nth)
{
  ConvertJob *job = data;
  gint64 n = (gint64) job->src->ne[0];
  g_autofree float *row = g_new (float, n);
  guint64 begin = job->n_rows * ith / nth;
  guint64 end = job->n_rows * (ith + 1) / nth;

  for (guint64 r = begin; r < end; r++)
    {
      hearth_dequantize_row (job->src->type, job->src->data + (job->row0 + r) * job->src_row_bytes, row, n);
      hearth_quantize_row (job->dst_type, row, job->out + r * job->dst_row_bytes, n);
    }
}

static void
log_line (const HearthQuantizeParams *params,
          const char                 *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
log_line (const HearthQuantizeParams *params,
          const char                 *format,
          ...)
{
  g_autofree char *line = NULL;
  va_list args;

  if (params->log == NULL)
    return;
  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  params->log (line, params->user_data);
}

gboolean
hearth_quantize_file (const char                 *in_path,
                      const char                 *out_path,
                      const HearthQuantizeParams *params,
                      GError                    **error)
{
  const Recipe *recipe = find_recipe (params->type);
  g_autoptr(HearthGguf) in = NULL;
  g_autoptr(HearthGgufWriter) w = NULL;
  g_autofree HearthGgmlType *types = NULL;
  g_autofree char *arch = NULL;
  g_autofree char *n_layer_key = NULL, *n_head_key = NULL, *n_head_kv_key = NULL;
  HearthQuantizeModelShape shape = { 0 };
  HearthThreadPool *pool = NULL;
  guint64 n_tensors;
  gboolean ok = TRUE;

  if (recipe == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "unknown quantization type '%s'", params->type);
      return FALSE;
    }
  in = hearth_gguf_open (in_path, error);
  if (in == NULL)
    return FALSE;

  arch = hearth_gguf_dup_string (in, "general.architecture", NULL);
  if (arch != NULL)
    {
      n_layer_key = g_strdup_printf ("%s.block_count", arch);
      n_head_key = g_strdup_printf ("%s.attention.head_count", arch);
      n_head_kv_key = g_strdup_printf ("%s.attention.head_count_kv", arch);
      hearth_gguf_get_uint32_or (in, n_layer_key, 0, &shape.n_layer, NULL);
      hearth_gguf_get_uint32_or (in, n_head_key, 0, &shape.n_head, NULL);
      hearth_gguf_get_uint32_or (in, n_head_kv_key, shape.n_head, &shape.n_head_kv, NULL);
    }
  shape.has_output = hearth_gguf_find_tensor (in, "output.weight") != NULL;

  /* Decide every tensor's type first: the writer needs all shapes up front. */
  n_tensors = hearth_gguf_get_n_tensors (in);
  types = g_new (HearthGgmlType, n_tensors);
  w = hearth_gguf_writer_new ();
  hearth_gguf_writer_copy_metadata (w, in);
  hearth_gguf_writer_add_uint32 (w, "general.quantization_version", 2);
  hearth_gguf_writer_add_uint32 (w, "general.file_type", recipe->file_type);
  for (guint64 i = 0; i < n_tensors; i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (in, i);
      HearthGgmlType want, type;

      if (t->type != HEARTH_GGML_TYPE_F32 && t->type != HEARTH_GGML_TYPE_F16 &&
          t->type != HEARTH_GGML_TYPE_BF16)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                       "tensor '%s' is %s: only F32, F16 and BF16 models can be quantized",
                       t->name, hearth_ggml_type_name (t->type));
          return FALSE;
        }
      type = hearth_quantize_choose_type (params, &shape, t->name, t->n_dims, t->ne, &want);
      types[i] = type;
      if (type != want)
        log_line (params, "%-32s %-5s -> %-5s (rows of %" G_GUINT64_FORMAT " do not fit %s)",
                  t->name, hearth_ggml_type_name (t->type), hearth_ggml_type_name (type), t->ne[0],
                  hearth_ggml_type_name (want));
      else
        log_line (params, "%-32s %-5s -> %s", t->name, hearth_ggml_type_name (t->type),
                  hearth_ggml_type_name (type));
      if (!hearth_gguf_writer_add_tensor (w, t->name, type, t->n_dims, t->ne, NULL, error))
        return FALSE;
    }

  if (!hearth_gguf_writer_begin (w, out_path, error))
    return FALSE;
  pool = hearth_thread_pool_new (params->n_threads);
  for (guint64 i = 0; i < n_tensors && ok; i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (in, i);
      guint64 n_rows = t->n_elements / t->ne[0];
      guint64 src_row_bytes, dst_row_bytes, rows_per_chunk;
      g_autofree guint8 *out = NULL;

      hearth_ggml_row_size (t->type, t->ne[0], &src_row_bytes);
      hearth_ggml_row_size (types[i], t->ne[0], &dst_row_bytes);
      if (types[i] == t->type)
        {
          ok = hearth_gguf_writer_write_data (w, t->data, t->n_bytes, error);
          continue;
        }
      /* Chunks of about 16 MiB of output keep memory bounded for any model. */
      rows_per_chunk = MAX (1, (16u << 20) / dst_row_bytes);
      out = g_malloc (MIN (rows_per_chunk, n_rows) * dst_row_bytes);
      for (guint64 r = 0; r < n_rows && ok; r += rows_per_chunk)
        {
          ConvertJob job = {
            .src = t,
            .dst_type = types[i],
            .row0 = r,
            .n_rows = MIN (rows_per_chunk, n_rows - r),
            .src_row_bytes = src_row_bytes,
            .dst_row_bytes = dst_row_bytes,
            .out = out,
          };

          hearth_thread_pool_run (pool, convert_task, &job);
          ok = hearth_gguf_writer_write_data (w, out, job.n_rows * dst_row_bytes, error);
        }
    }
  hearth_thread_pool_free (pool);
  if (!ok)
    return FALSE;
  return hearth_gguf_writer_finish (w, error);
}
