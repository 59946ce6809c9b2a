/* hearth-ggml-type.c: block layouts of every ggml tensor type id
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-ggml-type.h"

#include <string.h>

/* Indexed by type id; an entry with a NULL name is a retired or unused id.
 * Sizes are the public block layouts of the GGUF format. */
static const HearthGgmlTypeInfo type_table[HEARTH_GGML_TYPE_COUNT_] = {
  [HEARTH_GGML_TYPE_F32] = { "F32", 1, 4, FALSE },
  [HEARTH_GGML_TYPE_F16] = { "F16", 1, 2, FALSE },
  [HEARTH_GGML_TYPE_Q4_0] = { "Q4_0", 32, 18, TRUE },
  [HEARTH_GGML_TYPE_Q4_1] = { "Q4_1", 32, 20, TRUE },
  [HEARTH_GGML_TYPE_Q5_0] = { "Q5_0", 32, 22, TRUE },
  [HEARTH_GGML_TYPE_Q5_1] = { "Q5_1", 32, 24, TRUE },
  [HEARTH_GGML_TYPE_Q8_0] = { "Q8_0", 32, 34, TRUE },
  [HEARTH_GGML_TYPE_Q8_1] = { "Q8_1", 32, 36, TRUE },
  [HEARTH_GGML_TYPE_Q2_K] = { "Q2_K", 256, 84, TRUE },
  [HEARTH_GGML_TYPE_Q3_K] = { "Q3_K", 256, 110, TRUE },
  [HEARTH_GGML_TYPE_Q4_K] = { "Q4_K", 256, 144, TRUE },
  [HEARTH_GGML_TYPE_Q5_K] = { "Q5_K", 256, 176, TRUE },
  [HEARTH_GGML_TYPE_Q6_K] = { "Q6_K", 256, 210, TRUE },
  [HEARTH_GGML_TYPE_Q8_K] = { "Q8_K", 256, 292, TRUE },
  [HEARTH_GGML_TYPE_IQ2_XXS] = { "IQ2_XXS", 256, 66, TRUE },
  [HEARTH_GGML_TYPE_IQ2_XS] = { "IQ2_XS", 256, 74, TRUE },
  [HEARTH_GGML_TYPE_IQ3_XXS] = { "IQ3_XXS", 256, 98, TRUE },
  [HEARTH_GGML_TYPE_IQ1_S] = { "IQ1_S", 256, 50, TRUE },
  [HEARTH_GGML_TYPE_IQ4_NL] = { "IQ4_NL", 32, 18, TRUE },
  [HEARTH_GGML_TYPE_IQ3_S] = { "IQ3_S", 256, 110, TRUE },
  [HEARTH_GGML_TYPE_IQ2_S] = { "IQ2_S", 256, 82, TRUE },
  [HEARTH_GGML_TYPE_IQ4_XS] = { "IQ4_XS", 256, 136, TRUE },
  [HEARTH_GGML_TYPE_I8] = { "I8", 1, 1, FALSE },
  [HEARTH_GGML_TYPE_I16] = { "I16", 1, 2, FALSE },
  [HEARTH_GGML_TYPE_I32] = { "I32", 1, 4, FALSE },
  [HEARTH_GGML_TYPE_I64] = { "I64", 1, 8, FALSE },
  [HEARTH_GGML_TYPE_F64] = { "F64", 1, 8, FALSE },
  [HEARTH_GGML_TYPE_IQ1_M] = { "IQ1_M", 256, 56, TRUE },
  [HEARTH_GGML_TYPE_BF16] = { "BF16", 1, 2, FALSE },
  [HEARTH_GGML_TYPE_TQ1_0] = { "TQ1_0", 256, 54, TRUE },
  [HEARTH_GGML_TYPE_TQ2_0] = { "TQ2_0", 256, 66, TRUE },
  [HEARTH_GGML_TYPE_MXFP4] = { "MXFP4", 32, 17, TRUE },
};

const HearthGgmlTypeInfo *
hearth_ggml_type_info (guint32 type_id)
{
  if (type_id >= G_N_ELEMENTS (type_table) || type_table[type_id].name == NULL)
    return NULL;
  return &type_table[type_id];
}

const char *
hearth_ggml_type_name (guint32 type_id)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type_id);

  return info ? info->name : NULL;
}

gboolean
hearth_ggml_type_from_name (const char     *name,
                            HearthGgmlType *out_type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_table); i++)
    {
      if (type_table[i].name != NULL && g_ascii_strcasecmp (type_table[i].name, name) == 0)
        {
          *out_type = (HearthGgmlType) i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
hearth_ggml_row_size (guint32  type_id,
                      guint64  n_elements,
                      guint64 *out_bytes)
{
  const HearthGgmlTypeInfo *info = hearth_ggml_type_info (type_id);
  guint64 n_blocks;

  if (info == NULL || n_elements % info->block_size != 0)
    return FALSE;
  n_blocks = n_elements / info->block_size;
  if (n_blocks > G_MAXUINT64 / info->type_size)
    return FALSE;
  *out_bytes = n_blocks * info->type_size;
  return TRUE;
}

const char *
hearth_gguf_file_type_name (guint32 file_type)
{
  /* The "llama_ftype" numbering that writers store in general.file_type. */
  static const char *const names[] = {
    [0] = "ALL_F32",   [1] = "MOSTLY_F16",  [2] = "MOSTLY_Q4_0", [3] = "MOSTLY_Q4_1",
    [7] = "MOSTLY_Q8_0", [8] = "MOSTLY_Q5_0", [9] = "MOSTLY_Q5_1", [10] = "MOSTLY_Q2_K",
    [11] = "MOSTLY_Q3_K_S", [12] = "MOSTLY_Q3_K_M", [13] = "MOSTLY_Q3_K_L",
    [14] = "MOSTLY_Q4_K_S", [15] = "MOSTLY_Q4_K_M", [16] = "MOSTLY_Q5_K_S",
    [17] = "MOSTLY_Q5_K_M", [18] = "MOSTLY_Q6_K", [19] = "MOSTLY_IQ2_XXS",
    [20] = "MOSTLY_IQ2_XS", [21] = "MOSTLY_Q2_K_S", [22] = "MOSTLY_IQ3_XS",
    [23] = "MOSTLY_IQ3_XXS", [24] = "MOSTLY_IQ1_S", [25] = "MOSTLY_IQ4_NL",
    [26] = "MOSTLY_IQ3_S", [27] = "MOSTLY_IQ3_M", [28] = "MOSTLY_IQ2_S",
    [29] = "MOSTLY_IQ2_M", [30] = "MOSTLY_IQ4_XS", [31] = "MOSTLY_IQ1_M",
    [32] = "MOSTLY_BF16", [36] = "MOSTLY_TQ1_0", [37] = "MOSTLY_TQ2_0",
    [38] = "MOSTLY_MXFP4_MOE",
  };

  if (file_type >= G_N_ELEMENTS (names) || names[file_type] == NULL)
    return NULL;
  return names[file_type];
}
