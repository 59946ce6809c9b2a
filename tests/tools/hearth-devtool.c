/* hearth-devtool.c: entry point and subcommand dispatch of hearth-devtool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A separate executable so that hearth-cli, a user command, sees only the
 * engine's public API (tests/test-app-includes.sh checks app/ for that).
 */
#include "hearth-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hearth-devtool.h"

typedef struct
{
  const char *name;
  const char *summary;
  int       (*func) (int argc, char **argv);
} Command;

static const Command commands[] = {
  { "bench-matmul", "Time the CPU matmul kernels and memory bandwidth, or a Vulkan mat-vec",
    hearth_devtool_bench_matmul },
};

int
hearth_devtool_fail (const GError *error)
{
  g_autofree char *one_line = g_strdup (error->message);

  fprintf (stderr, "hearth-devtool: %s\n", g_strdelimit (one_line, "\n", ' '));
  return 1;
}

int
hearth_devtool_failf (const char *format,
                      ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_FAILED, format, args);
  va_end (args);
  return hearth_devtool_fail (error);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: hearth-devtool COMMAND [OPTION...]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2 || strcmp (argv[1], "--help") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].func (argc - 1, argv + 1);
  fprintf (stderr, "hearth-devtool: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return 2;
}
