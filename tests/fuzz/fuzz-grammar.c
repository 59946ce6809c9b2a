/* fuzz-grammar.c: libFuzzer harness for the GBNF and JSON Schema parsers and the constraint masks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An input starting with 's' is a JSON Schema, anything else GBNF (the
 * first byte dropped). Bad input must fail with a HEARTH_ENGINE_ERROR;
 * an accepted grammar is run over stories260K's vocabulary (loaded once):
 * for a few steps, the fast mask must equal the reference mask, and the
 * first allowed token is taken. Nothing may crash, hang, leak or complain
 * (hearth-fuzz.h).
 */
#include <string.h>

#define HEARTH_FUZZ_HAVE_SETUP
#include "hearth-fuzz.h"

static HearthTokenizer *tokenizer;

static void
hearth_fuzz_setup (void)
{
  const char *shared = g_getenv ("HEARTH_SHARED_DIR");
  g_autofree char *path = g_build_filename (shared ? shared : "../shared", "models", "stories260K",
                                            "stories260K-f32.gguf", NULL);
  g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, NULL);

  if (gguf == NULL || (tokenizer = hearth_tokenizer_new_from_gguf (gguf, NULL)) == NULL)
    {
      fprintf (stderr, "fuzz-grammar: cannot load %s\n", path);
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGrammar) g = NULL;
  g_autoptr(HearthConstraint) c = NULL;
  g_autofree guint32 *ref = NULL;
  guint32 n_words;
  guint64 bound = 0;
  gboolean bounded;

  hearth_fuzz_maybe_selftest ();
  if (size == 0)
    return 0;
  if (data[0] == 's')
    g = hearth_grammar_new_from_json_schema ((const char *) data + 1, (gssize) size - 1, &error);
  else
    g = hearth_grammar_new_from_gbnf ((const char *) data + 1, (gssize) size - 1, &error);
  if (g == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_ENGINE_ERROR);
      return 0;
    }
  bounded = hearth_grammar_get_max_bytes (g, &bound);
  c = hearth_constraint_new (g, tokenizer, &error);
  if (c == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_ENGINE_ERROR);
      return 0;
    }
  n_words = (hearth_constraint_get_n_vocab (c) + 31) / 32;
  ref = g_new (guint32, n_words);
  for (int step = 0; step < 8; step++)
    {
      const guint32 *mask = hearth_constraint_get_mask (c);
      gint32 id = -1;

      hearth_constraint_get_mask_reference (c, ref);
      g_assert (memcmp (mask, ref, n_words * sizeof (guint32)) == 0);
      for (guint32 i = 0; i < hearth_constraint_get_n_vocab (c) && id < 0; i++)
        if (mask[i / 32] & (1u << (i % 32)))
          id = (gint32) i;
      if (id < 0 || hearth_tokenizer_is_eog (tokenizer, id))
        break;
      /* every allowed token has a byte at least: no more tokens than the bound */
      g_assert (!bounded || (guint64) step < bound);
      g_assert (hearth_constraint_accept_token (c, id));
    }
  return 0;
}
