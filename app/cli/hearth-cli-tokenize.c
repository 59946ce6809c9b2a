/* hearth-cli-tokenize.c: `hearth-cli tokenize` and `hearth-cli detokenize`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * tokenize -m FILE.gguf [--no-special] [--parse-special] [--pieces]
 *          (--text STR | --file PATH) [--bench N]
 * detokenize -m FILE.gguf [--special] ID...
 *
 * Text is taken byte for byte (nothing added or stripped), and detokenize
 * writes exactly the decoded bytes, so the two round-trip through a shell.
 */
#include "hearth-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

static HearthTokenizer *
open_tokenizer (const char *path,
                GError    **error)
{
  g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, error);

  if (gguf == NULL)
    return NULL;
  return hearth_tokenizer_new_from_gguf (gguf, error);
}

/* Prints @s with control characters and backslashes escaped, so that each
 * piece stays on its line; other characters, non-ASCII included, as they are. */
static void
print_escaped (const char *s)
{
  for (; *s != '\0'; s++)
    {
      guint8 c = (guint8) *s;

      if (c == '\n')
        fputs ("\\n", stdout);
      else if (c == '\t')
        fputs ("\\t", stdout);
      else if (c == '\r')
        fputs ("\\r", stdout);
      else if (c == '\\')
        fputs ("\\\\", stdout);
      else if (c < 0x20 || c == 0x7F)
        printf ("\\x%02x", c);
      else
        putchar (c);
    }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Encodes @text @runs times and prints the median throughput. */
static int
bench (HearthTokenizer    *tok,
       const char         *model,
       const char         *text,
       gsize               len,
       HearthTokenizeFlags flags,
       int                 runs)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  double median, first = 0;

  for (int r = 0; r < runs; r++)
    {
      gint64 t0;
      double s;
      g_autoptr(GError) error = NULL;

      g_array_set_size (ids, 0);
      t0 = g_get_monotonic_time ();
      if (!hearth_tokenizer_encode (tok, text, (gssize) len, flags, ids, &error))
        return hearth_cli_fail (error);
      s = (double) (g_get_monotonic_time () - t0) / 1e6;
      if (r == 0)
        first = s;
      g_array_append_val (times, s);
    }
  g_array_sort (times, compare_double);
  median = g_array_index (times, double, times->len / 2);
  printf ("%s: %s (pre %s), %zu bytes -> %u tokens, %d runs: median %.4f s = %.2f MB/s "
          "(min %.4f s, max %.4f s; first run, with an empty word cache: %.4f s = %.2f MB/s)\n",
          model, hearth_tokenizer_get_family_name (tok),
          hearth_tokenizer_get_pre (tok) ? hearth_tokenizer_get_pre (tok) : "-", len, ids->len,
          runs, median, (double) len / 1e6 / median, g_array_index (times, double, 0),
          g_array_index (times, double, times->len - 1), first, (double) len / 1e6 / first);
  return 0;
}

int
hearth_cli_tokenize (int    argc,
                     char **argv)
{
  g_autofree char *model = NULL;
  g_autofree char *text = NULL;
  g_autofree char *file = NULL;
  gboolean no_special = FALSE, parse_special = FALSE, pieces = FALSE;
  int bench_runs = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "GGUF file with the vocabulary", "FILE" },
    /* FILENAME: the bytes as given, with no conversion from the locale charset */
    { "text", 't', 0, G_OPTION_ARG_FILENAME, &text, "Text to tokenize (taken byte for byte)",
      "STR" },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Read the text from a file", "PATH" },
    { "no-special", 0, 0, G_OPTION_ARG_NONE, &no_special, "Do not add BOS/EOS (CLS/SEP)", NULL },
    { "parse-special", 0, 0, G_OPTION_ARG_NONE, &parse_special,
      "Turn special-token texts into their ids", NULL },
    { "pieces", 0, 0, G_OPTION_ARG_NONE, &pieces, "Print id and piece, one per line", NULL },
    { "bench", 0, 0, G_OPTION_ARG_INT, &bench_runs, "Encode N times and print the median MB/s",
      "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- turn text into token ids");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthTokenizer) tok = NULL;
  g_autoptr(GArray) ids = NULL;
  HearthTokenizeFlags flags = 0;
  gsize len = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model == NULL)
    return hearth_cli_failf ("tokenize: -m FILE.gguf is required"), 2;
  if ((text == NULL) == (file == NULL))
    return hearth_cli_failf ("tokenize: give exactly one of --text or --file"), 2;
  if (argc > 1)
    return hearth_cli_failf ("tokenize: unexpected argument '%s'", argv[1]), 2;
  if (file != NULL)
    {
      if (!g_file_get_contents (file, &text, &len, &error))
        return hearth_cli_fail (error);
    }
  else
    len = strlen (text);
  if (!no_special)
    flags |= HEARTH_TOKENIZE_ADD_SPECIAL;
  if (parse_special)
    flags |= HEARTH_TOKENIZE_PARSE_SPECIAL;

  tok = open_tokenizer (model, &error);
  if (tok == NULL)
    return hearth_cli_fail (error);
  if (bench_runs > 0)
    return bench (tok, model, text, len, flags, bench_runs);

  ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  if (!hearth_tokenizer_encode (tok, text, (gssize) len, flags, ids, &error))
    return hearth_cli_fail (error);
  if (pieces)
    {
      for (guint i = 0; i < ids->len; i++)
        {
          gint32 id = g_array_index (ids, gint32, i);
          gsize n;
          const char *p = hearth_tokenizer_get_piece (tok, id, &n);
          g_autofree char *valid = g_utf8_make_valid (p, (gssize) n);

          printf ("%d\t", id);
          print_escaped (valid);
          printf ("\n");
        }
      return 0;
    }
  for (guint i = 0; i < ids->len; i++)
    printf (i == 0 ? "%d" : " %d", g_array_index (ids, gint32, i));
  printf ("\n");
  return 0;
}

int
hearth_cli_detokenize (int    argc,
                       char **argv)
{
  g_autofree char *model = NULL;
  gboolean special = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "GGUF file with the vocabulary", "FILE" },
    { "special", 0, 0, G_OPTION_ARG_NONE, &special, "Show control tokens as text", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("ID... - turn token ids into text");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthTokenizer) tok = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *out = NULL;
  gsize len;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (model == NULL)
    return hearth_cli_failf ("detokenize: -m FILE.gguf is required"), 2;
  tok = open_tokenizer (model, &error);
  if (tok == NULL)
    return hearth_cli_fail (error);
  for (int i = 1; i < argc; i++)
    {
      gint64 v;
      gint32 id;

      if (!g_ascii_string_to_signed (argv[i], 10, 0, (gint64) hearth_tokenizer_get_n_vocab (tok) - 1,
                                     &v, &error))
        return hearth_cli_failf ("detokenize: bad token id '%s': %s", argv[i], error->message);
      id = (gint32) v;
      g_array_append_val (ids, id);
    }
  out = hearth_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, special, &len);
  fwrite (out, 1, len, stdout);
  return 0;
}
