/* hearth-model-info.c: what the model picker shows about a GGUF file, read from its header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-model-info.h"

void
hearth_model_info_free (HearthModelInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->name);
  g_free (info->architecture);
  g_free (info->quantisation);
  g_free (info);
}

/* Files converted without general.file_type (stories260K) still say what
 * they hold: the type that carries most of the weight bytes. */
static char *
dominant_type (HearthGguf *gguf,
               guint64    *n_params)
{
  guint64 bytes[64] = { 0 };
  guint best = 0;

  *n_params = 0;
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (gguf, i);

      *n_params += t->n_elements;
      if ((guint) t->type < G_N_ELEMENTS (bytes))
        bytes[t->type] += t->n_bytes;
    }
  for (guint i = 1; i < G_N_ELEMENTS (bytes); i++)
    if (bytes[i] > bytes[best])
      best = i;
  return g_strdup (hearth_ggml_type_name (best) ? hearth_ggml_type_name (best) : "?");
}

HearthModelInfo *
hearth_model_info_read (const char *path,
                        GError    **error)
{
  g_autoptr(HearthGguf) gguf = NULL;
  g_autoptr(HearthModelInfo) info = g_new0 (HearthModelInfo, 1);
  guint32 file_type;
  guint64 n_params = 0;

  gguf = hearth_gguf_open (path, error);
  if (gguf == NULL)
    return NULL;

  info->path = g_strdup (path);
  info->file_size = hearth_gguf_get_file_size (gguf);
  info->architecture = hearth_gguf_dup_string (gguf, "general.architecture", NULL);
  if (info->architecture == NULL)
    info->architecture = g_strdup (_("unknown"));
  info->name = hearth_gguf_dup_string (gguf, "general.name", NULL);
  if (info->name == NULL || info->name[0] == '\0')
    {
      g_free (info->name);
      info->name = g_path_get_basename (path);
    }

  info->quantisation = dominant_type (gguf, &n_params);
  info->n_params = n_params;
  if (hearth_gguf_get_uint32 (gguf, "general.file_type", &file_type, NULL))
    {
      const char *name = hearth_gguf_file_type_name (file_type);

      if (name != NULL)
        {
          g_free (info->quantisation);
          info->quantisation = g_strdup (name);
        }
    }

  {
    g_autofree char *key = g_strdup_printf ("%s.context_length", info->architecture);
    guint32 ctx32;

    if (!hearth_gguf_get_uint64 (gguf, key, &info->context_length, NULL))
      info->context_length = hearth_gguf_get_uint32 (gguf, key, &ctx32, NULL) ? ctx32 : 0;
  }
  info->has_chat_template = hearth_gguf_find (gguf, "tokenizer.chat_template") != NULL;
  return g_steal_pointer (&info);
}

char *
hearth_model_info_dup_summary (const HearthModelInfo *info)
{
  g_autofree char *size = g_format_size (info->file_size);
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s · %s · %s", info->architecture, size, info->quantisation);
  if (info->context_length > 0)
    {
      /* The number apart: a translatable format cannot hold G_GUINT64_FORMAT. */
      g_autofree char *n = g_strdup_printf ("%" G_GUINT64_FORMAT, info->context_length);

      g_string_append_printf (s, _(" · %s tokens of context"), n);
    }
  return g_string_free (s, FALSE);
}

gboolean
hearth_model_check_memory (guint64  needed,
                           guint64  available,
                           GError **error)
{
  if (available != 0 && needed > available)
    {
      g_autofree char *need = g_format_size (needed);
      g_autofree char *have = g_format_size (available);

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_FAILED,
                   _("Not enough memory: the model needs about %s and %s is available"), need, have);
      return FALSE;
    }
  return TRUE;
}

guint64
hearth_model_available_memory (void)
{
  g_autofree char *text = NULL;
  const char *line;
  guint64 kib = 0;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  line = strstr (text, "MemAvailable:");
  if (line == NULL || sscanf (line, "MemAvailable: %" G_GUINT64_FORMAT " kB", &kib) != 1)
    return 0;
  return kib * 1024;
}
