/* hearth-cli-quantize.c: `hearth-cli quantize IN.gguf OUT.gguf TYPE`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <stdio.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

static void
print_line (const char *line,
            gpointer    user_data)
{
  printf ("%s\n", line);
}

int
hearth_cli_quantize (int    argc,
                     char **argv)
{
  static const char *const names[] = {
    "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q5_K_S", "Q3_K_M", "Q3_K_S", "Q2_K", "Q8_0", "Q6_K", "Q5_K",
    "Q4_K", "Q3_K", "Q5_1", "Q5_0", "Q4_1", "Q4_0", "BF16", "F16", "F32",
  };
  int n_threads = 0;
  gboolean quiet = FALSE, list = FALSE, pure = FALSE;
  const GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &n_threads, "Threads (default: one per core)", "N" },
    { "pure", 0, 0, G_OPTION_ARG_NONE, &pure, "Every 2-D weight gets the type's base type (no mix)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Do not list the tensors", NULL },
    { "list", 0, 0, G_OPTION_ARG_NONE, &list, "List the types and recipes", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("IN.gguf OUT.gguf TYPE - quantize an F32/F16/BF16 model");
  g_autoptr(GError) error = NULL;
  HearthQuantizeParams params;
  gint64 t0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (list)
    {
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        printf ("%-7s %s\n", names[i], hearth_quantize_describe_recipe (names[i]));
      return 0;
    }
  if (argc != 4)
    return hearth_cli_failf ("quantize takes IN.gguf OUT.gguf TYPE (see --help, --list)");
  if (hearth_quantize_describe_recipe (argv[3]) == NULL)
    return hearth_cli_failf ("unknown type '%s' (see --list)", argv[3]);

  hearth_quantize_params_init (&params);
  params.type = argv[3];
  params.n_threads = n_threads;
  params.pure = pure;
  if (!quiet)
    params.log = print_line;
  t0 = g_get_monotonic_time ();
  if (!hearth_quantize_file (argv[1], argv[2], &params, &error))
    return hearth_cli_fail (error);
  printf ("wrote %s (%s%s: %s) in %.1f s\n", argv[2], argv[3], pure ? " --pure" : "",
          pure ? "every 2-D weight one type" : hearth_quantize_describe_recipe (argv[3]),
          (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}
