/* hearth-cli.c: entry point and subcommand dispatch of hearth-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"

static const HearthCliCommand commands[] = {
  { "chat", "Chat with a model in the terminal", hearth_cli_chat },
  { "generate", "Continue a prompt, streaming the text", hearth_cli_generate },
  { "inspect", "Show a GGUF file's architecture, metadata and tensors", hearth_cli_inspect },
  { "bench", "Measure prompt and generation speed of a model", hearth_cli_bench },
  { "constraint-bench", "Measure decode speed with and without a JSON Schema constraint", hearth_cli_constraint_bench },
  { "embed", "Embed texts with an encoder model (bert, nomic-bert)", hearth_cli_embed },
  { "logits", "Write the logits of every position of a token sequence", hearth_cli_logits },
  { "quantize", "Convert an F32/F16/BF16 model to a quantized type or recipe", hearth_cli_quantize },
  { "synth-model", "Write a random-weight llama model (benchmarks, tests)", hearth_cli_synth_model },
  { "tokenize", "Turn text into token ids with a model's vocabulary", hearth_cli_tokenize },
  { "detokenize", "Turn token ids back into text", hearth_cli_detokenize },
  { "docs", "Index folders and files for private document Q&A, and search them", hearth_cli_docs },
  { "history", "List, show, search, export and import the encrypted chat history", hearth_cli_history },
  { "template", "Render a chat template over a JSON context", hearth_cli_template },
  { "devices", "List the Vulkan devices with their memory and features", hearth_cli_devices },
  { "plugins", "List plugins, turn them on or off, grant them folders", hearth_cli_plugins },
  { "tools", "List the plugins' tools and call one", hearth_cli_tools },
  { "mcp", "Add, list and remove the MCP servers whose tools the model gets", hearth_cli_mcp },
  { "models", "Download models from the catalog, check their fit, read the network log", hearth_cli_models },
  { "serve", "Serve a model through a local OpenAI-compatible API", hearth_cli_serve },
  { "remote", "Add, list, test and remove remote models (OpenAI-compatible servers)", hearth_cli_remote },
};

int
hearth_cli_fail (const GError *error)
{
  g_autofree char *one_line = g_strdup (error->message);

  g_strdelimit (one_line, "\n", ' ');
  fprintf (stderr, "hearth-cli: %s\n", one_line);
  return 1;
}

int
hearth_cli_failf (const char *format,
                  ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "hearth-cli: %s\n", msg);
  return 1;
}

/* "cpu" or "vulkan" (NULL: cpu). */
static gboolean
hearth_cli_parse_backend (const char        *name,
                          HearthBackendKind *out,
                          GError           **error)
{
  if (name == NULL || g_ascii_strcasecmp (name, "cpu") == 0)
    *out = HEARTH_BACKEND_CPU;
  else if (g_ascii_strcasecmp (name, "vulkan") == 0)
    *out = HEARTH_BACKEND_VULKAN;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unknown backend '%s' (cpu or vulkan)", name);
      return FALSE;
    }
  return TRUE;
}

void
hearth_cli_backend_options_add (GOptionContext          *context,
                                HearthCliBackendOptions *options)
{
  const GOptionEntry entries[] = {
    { "backend", 0, 0, G_OPTION_ARG_STRING, &options->backend, "cpu (default) or vulkan", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &options->device,
      "Vulkan device: index or part of its name (see `hearth-cli devices`; default: a GPU)", "N|NAME" },
    { "gpu-layers", 0, 0, G_OPTION_ARG_INT, &options->gpu_layers,
      "Layers on the Vulkan device, the rest on the CPU (default: all)", "N" },
    { NULL }
  };

  options->gpu_layers = -1;
  g_option_context_add_main_entries (context, entries, NULL);
}

gboolean
hearth_cli_backend_options_apply (const HearthCliBackendOptions *options,
                                  HearthModelParams             *params,
                                  GError                       **error)
{
  guint64 index;

  if (!hearth_cli_parse_backend (options->backend, &params->backend, error))
    return FALSE;
  if ((options->device != NULL || options->gpu_layers >= 0) && params->backend != HEARTH_BACKEND_VULKAN)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--device and --gpu-layers need --backend vulkan");
      return FALSE;
    }
  params->n_gpu_layers = options->gpu_layers;
  if (options->device != NULL)
    {
      if (g_ascii_string_to_unsigned (options->device, 10, 0, G_MAXINT, &index, NULL))
        params->device_index = (int) index;
      else
        params->device_name = options->device;
    }
  return TRUE;
}

void
hearth_cli_backend_options_clear (HearthCliBackendOptions *options)
{
  g_clear_pointer (&options->backend, g_free);
  g_clear_pointer (&options->device, g_free);
}

gboolean
hearth_cli_parse (GOptionContext *context,
                  int            *argc,
                  char         ***argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      hearth_cli_fail (error);
      return FALSE;
    }
  return TRUE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: hearth-cli COMMAND [OPTION...]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'hearth-cli COMMAND --help' for a command's options.\n");
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("hearth-cli %s\n", PACKAGE_VERSION);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (argv[1], commands[i].name) == 0)
        return commands[i].func (argc - 1, argv + 1);
    }
  fprintf (stderr, "hearth-cli: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return 2;
}
