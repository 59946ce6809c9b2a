/* hearth-model-quantize.h: converting a GGUF model to a quantized type
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-ggml-type.h"

G_BEGIN_DECLS

typedef struct
{
  /* A tensor type name ("Q8_0", "Q4_K", "F16", ...): every 2-D weight gets
   * it; or a recipe name ("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q3_K_M",
   * "Q3_K_S", "Q2_K"): a base type with more bits where they matter most.
   * See hearth_quantize_describe_recipe(). */
  const char *type;
  gboolean    pure;        /* every 2-D weight gets the recipe's base type */
  int         n_threads;   /* <= 0: one per core */
  /* Called with one line per tensor (what it became and why). */
  void      (*log) (const char *line, gpointer user_data);
  gpointer    user_data;
} HearthQuantizeParams;

void hearth_quantize_params_init (HearthQuantizeParams *params);

/* A one-paragraph description of what @type does; NULL for an unknown name. */
const char *hearth_quantize_describe_recipe (const char *type);

/* Reads the F32/F16/BF16 model @in_path and writes @out_path: metadata
 * copied (general.file_type and general.quantization_version set), 1-D
 * tensors stored as F32, 2-D+ weights quantized row by row as the recipe
 * says; a weight whose rows do not fit its type's block falls back to a type
 * whose block fits (and the log says so). */
gboolean hearth_quantize_file (const char                 *in_path,
                               const char                 *out_path,
                               const HearthQuantizeParams *params,
                               GError                    **error);

/* What the recipes look at besides a tensor's own name and shape. */
typedef struct
{
  guint32  n_layer;
  guint32  n_head;
  guint32  n_head_kv;
  gboolean has_output;   /* output.weight exists (else token_embd.weight is the output) */
} HearthQuantizeModelShape;

/* The general.file_type value a model quantized to @type records; FALSE for
 * an unknown name. */
gboolean       hearth_quantize_get_file_type (const char *type,
                                              guint32    *file_type);

/* The type hearth_quantize_file() gives the tensor @name of @n_dims
 * dimensions @ne with @params (type, pure) in a model of @shape: F32 for
 * what is not a 2-D+ weight, else what the recipe wants, fallen back until
 * the type's block divides ne[0]. *@wanted (may be NULL) gets the type
 * before the fallback. @params->type must be a known name. Lets a writer
 * that makes a model tensor by tensor produce the same file as writing it
 * in F32 and quantizing it. */
HearthGgmlType hearth_quantize_choose_type (const HearthQuantizeParams     *params,
                                            const HearthQuantizeModelShape *shape,
                                            const char                     *name,
                                            guint32                         n_dims,
                                            const guint64                  *ne,
                                            HearthGgmlType                 *wanted);

/* Quantizes @n values into @dst (hearth_ggml_row_size() bytes). The K-quants
 * use the usual error-minimising scale search. Returns FALSE for a type the
 * CPU backend cannot produce. */
gboolean hearth_quantize_row (HearthGgmlType type,
                              const float   *src,
                              void          *dst,
                              gint64         n);

G_END_DECLS
