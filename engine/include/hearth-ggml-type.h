/* hearth-ggml-type.h: the tensor type ids of the GGUF/ggml formats
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* Type ids as stored in GGUF tensor infos. Gaps are ids that were retired
 * from the format; files using them are rejected as unknown. */
typedef enum
{
  HEARTH_GGML_TYPE_F32 = 0,
  HEARTH_GGML_TYPE_F16 = 1,
  HEARTH_GGML_TYPE_Q4_0 = 2,
  HEARTH_GGML_TYPE_Q4_1 = 3,
  HEARTH_GGML_TYPE_Q5_0 = 6,
  HEARTH_GGML_TYPE_Q5_1 = 7,
  HEARTH_GGML_TYPE_Q8_0 = 8,
  HEARTH_GGML_TYPE_Q8_1 = 9,
  HEARTH_GGML_TYPE_Q2_K = 10,
  HEARTH_GGML_TYPE_Q3_K = 11,
  HEARTH_GGML_TYPE_Q4_K = 12,
  HEARTH_GGML_TYPE_Q5_K = 13,
  HEARTH_GGML_TYPE_Q6_K = 14,
  HEARTH_GGML_TYPE_Q8_K = 15,
  HEARTH_GGML_TYPE_IQ2_XXS = 16,
  HEARTH_GGML_TYPE_IQ2_XS = 17,
  HEARTH_GGML_TYPE_IQ3_XXS = 18,
  HEARTH_GGML_TYPE_IQ1_S = 19,
  HEARTH_GGML_TYPE_IQ4_NL = 20,
  HEARTH_GGML_TYPE_IQ3_S = 21,
  HEARTH_GGML_TYPE_IQ2_S = 22,
  HEARTH_GGML_TYPE_IQ4_XS = 23,
  HEARTH_GGML_TYPE_I8 = 24,
  HEARTH_GGML_TYPE_I16 = 25,
  HEARTH_GGML_TYPE_I32 = 26,
  HEARTH_GGML_TYPE_I64 = 27,
  HEARTH_GGML_TYPE_F64 = 28,
  HEARTH_GGML_TYPE_IQ1_M = 29,
  HEARTH_GGML_TYPE_BF16 = 30,
  HEARTH_GGML_TYPE_TQ1_0 = 34,
  HEARTH_GGML_TYPE_TQ2_0 = 35,
  HEARTH_GGML_TYPE_MXFP4 = 39,
  HEARTH_GGML_TYPE_COUNT_ = 40, /* one past the largest id */
} HearthGgmlType;

typedef struct
{
  const char *name;        /* "Q4_K" */
  guint32     block_size;  /* elements per block (1 for plain types) */
  guint32     type_size;   /* bytes per block */
  gboolean    quantized;
} HearthGgmlTypeInfo;

/* NULL for an id that is not a known ggml type. */
const HearthGgmlTypeInfo *hearth_ggml_type_info (guint32 type_id);

/* "Q4_K", or NULL for an unknown id. */
const char *hearth_ggml_type_name (guint32 type_id);

/* Looks a type up by its name (case-insensitive): "q8_0" -> Q8_0. */
gboolean hearth_ggml_type_from_name (const char *name,
                                     HearthGgmlType *out_type);

/* Bytes of one row of @n_elements; FALSE when @n_elements is not a multiple
 * of the block size, the id is unknown, or the result overflows. */
gboolean hearth_ggml_row_size (guint32 type_id,
                               guint64 n_elements,
                               guint64 *out_bytes);

/* GGUF general.file_type values ("llama_ftype"), for display. */
const char *hearth_gguf_file_type_name (guint32 file_type);

G_END_DECLS
