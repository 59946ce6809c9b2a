/* hearth-model-info.h: what the model picker shows about a GGUF file, read from its header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *path;
  char    *name;            /* general.name, else the file's basename */
  char    *architecture;    /* general.architecture */
  guint64  file_size;       /* bytes */
  char    *quantisation;    /* general.file_type's name, else the type holding most weight bytes */
  guint64  context_length;  /* ARCH.context_length; 0 when absent */
  guint64  n_params;        /* elements of all tensors */
  gboolean has_chat_template;
} HearthModelInfo;

/* Reads the header only (the tensors stay unmapped): cheap enough for a list. */
HearthModelInfo *hearth_model_info_read (const char *path,
                                         GError    **error);
void             hearth_model_info_free (HearthModelInfo *info);
/* "llama · 1.1 MB · F32 · 128 tokens of context" */
char            *hearth_model_info_dup_summary (const HearthModelInfo *info);

/* Whether this machine has room for the model: compares the file with the
 * memory the kernel says is available. */
gboolean         hearth_model_check_memory (guint64   needed,
                                            guint64   available,
                                            GError  **error);
/* MemAvailable from /proc/meminfo; 0 when unknown. */
guint64          hearth_model_available_memory (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModelInfo, hearth_model_info_free)

G_END_DECLS
