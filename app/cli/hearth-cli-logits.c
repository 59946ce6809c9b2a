/* hearth-cli-logits.c: `hearth-cli logits`, teacher-forced logits of a token sequence
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the ids through the model and writes the logits of every position as
 * little-endian float32, positions x n_vocab. This is how correctness is
 * checked from outside the engine.
 */
#include "hearth-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

gboolean
hearth_cli_parse_ids (const char *text,
                      GArray     *ids,
                      GError    **error)
{
  g_auto(GStrv) parts = g_strsplit_set (text, " ,\t\n", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      gint64 v;

      if (*parts[i] == '\0')
        continue;
      if (!g_ascii_string_to_signed (parts[i], 10, 0, G_MAXINT32, &v, error))
        return FALSE;
      g_array_append_val (ids, (gint32) { (gint32) v });
    }
  if (ids->len == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no token ids given");
      return FALSE;
    }
  return TRUE;
}

int
hearth_cli_logits (int    argc,
                   char **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *tokens_text = NULL;
  g_autofree char *out_path = NULL;
  int threads = 0;
  int batch = 0;
  gboolean kv_f32 = FALSE;
  gboolean reference = FALSE;
  g_auto(HearthCliBackendOptions) bopts = { 0 };
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "GGUF model", "FILE" },
    { "tokens", 0, 0, G_OPTION_ARG_STRING, &tokens_text, "Token ids, space separated", "\"ID ID ...\"" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Output file (float32 LE, positions x n_vocab)", "FILE" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: one per core)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Tokens per forward pass (default 64)", "N" },
    { "kv-f32", 0, 0, G_OPTION_ARG_NONE, &kv_f32, "Keep the KV cache in f32", NULL },
    { "reference", 0, 0, G_OPTION_ARG_NONE, &reference, "Use the scalar reference kernels", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- write the logits of every position");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  HearthModelParams mp;
  HearthSessionParams sp;
  FILE *out;
  guint32 n_vocab;

  g_option_context_add_main_entries (context, entries, NULL);
  hearth_cli_backend_options_add (context, &bopts);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model_path == NULL || tokens_text == NULL || out_path == NULL)
    return hearth_cli_failf ("logits needs -m FILE, --tokens \"ID ...\" and --out FILE");
  if (!hearth_cli_parse_ids (tokens_text, ids, &error))
    return hearth_cli_fail (error);

  hearth_model_params_init (&mp);
  mp.n_threads = threads;
  mp.reference = reference;
  if (!hearth_cli_backend_options_apply (&bopts, &mp, &error))
    return hearth_cli_fail (error);
  model = hearth_model_load (model_path, &mp, &error);
  if (model == NULL)
    return hearth_cli_fail (error);
  /* Which backend runs which layers, on stderr: stdout may be the data. */
  fprintf (stderr, "backend: %s\n", hearth_model_get_backend_description (model));

  hearth_session_params_init (&sp);
  sp.n_ctx = MAX (ids->len, 1);
  sp.n_batch = batch > 0 ? (guint32) batch : 0;
  sp.kv_f32 = kv_f32;
  session = hearth_session_new (model, &sp, &error);
  if (session == NULL)
    return hearth_cli_fail (error);
  if (!hearth_session_decode (session, (const gint32 *) ids->data, ids->len, TRUE, NULL, &error))
    return hearth_cli_fail (error);

  out = fopen (out_path, "wb");
  if (out == NULL)
    return hearth_cli_failf ("cannot write %s: %s", out_path, g_strerror (errno));
  n_vocab = hearth_model_get_n_vocab (model);
  for (guint i = 0; i < ids->len; i++)
    {
      if (fwrite (hearth_session_get_logits (session, (int) i), sizeof (float), n_vocab, out) != n_vocab)
        {
          fclose (out);
          return hearth_cli_failf ("cannot write %s: %s", out_path, g_strerror (errno));
        }
    }
  if (fclose (out) != 0)
    return hearth_cli_failf ("cannot write %s: %s", out_path, g_strerror (errno));
  return 0;
}
