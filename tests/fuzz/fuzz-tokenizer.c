/* fuzz-tokenizer.c: libFuzzer harness for the tokenizers, with every shared vocabulary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The vocabularies of $HEARTH_SHARED_DIR/tokenizers are loaded once. An
 * input's first byte picks one, its second the flags; the rest is the text.
 * What the tokenizer promises is checked: any bytes encode (invalid UTF-8
 * too), every id is in the vocabulary, the streaming decoder gives valid
 * UTF-8 and equals decode() made valid, and SentencePiece and byte-level
 * BPE give back valid UTF-8 text exactly where the vocabulary has a token
 * for every byte (checked once per vocabulary; SentencePiece's U+2581 comes
 * back as the space it stands for). Nothing may crash, leak or
 * complain (hearth-fuzz.h).
 */
#include <string.h>

#define HEARTH_FUZZ_HAVE_SETUP
#include "hearth-fuzz.h"

static GPtrArray *tokenizers; /* HearthTokenizer */
static GArray    *round_trips; /* gboolean: plain text comes back exactly */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Whether @tok can give back every ASCII character and a few others: a
 * vocabulary without a token for some byte (smollm2 has none for 0x06)
 * cannot, and drops it; that is the file's limit, not the tokenizer's. */
static gboolean
covers_bytes (HearthTokenizer *tok)
{
  g_autoptr(GString) probe = g_string_new ("é ü 🔥 ½ ");
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autofree char *back = NULL;

  for (int c = 1; c < 128; c++)
    g_string_append_c (probe, (char) c);
  if (!hearth_tokenizer_encode (tok, probe->str, (gssize) probe->len, 0, ids, NULL))
    return FALSE;
  back = hearth_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, TRUE, NULL);
  return g_strcmp0 (back, probe->str) == 0;
}

static void
hearth_fuzz_setup (void)
{
  const char *shared = g_getenv ("HEARTH_SHARED_DIR");
  g_autofree char *dir = g_build_filename (shared ? shared : "../shared", "tokenizers", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  tokenizers = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tokenizer_unref);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".gguf"))
      g_ptr_array_add (names, g_strdup (name));
  /* A stable order, so that an input picks the same vocabulary next time. */
  g_ptr_array_sort (names, compare_names);
  round_trips = g_array_new (FALSE, FALSE, sizeof (gboolean));
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, &error);
      HearthTokenizer *tok = gguf ? hearth_tokenizer_new_from_gguf (gguf, &error) : NULL;

      if (tok == NULL)
        {
          fprintf (stderr, "fuzz-tokenizer: %s: %s\n", path, error->message);
          abort ();
        }
      g_ptr_array_add (tokenizers, tok);
      {
        gboolean covers = hearth_tokenizer_get_family (tok) != HEARTH_TOKENIZER_WPM && covers_bytes (tok);

        g_array_append_val (round_trips, covers);
        if (!covers)
          fprintf (stderr, "fuzz-tokenizer: %s: no exact round trip checked (a byte it has no token for, or WordPiece)\n",
                   (const char *) g_ptr_array_index (names, i));
      }
    }
  if (tokenizers->len == 0)
    {
      fprintf (stderr, "fuzz-tokenizer: no vocabulary in %s (set HEARTH_SHARED_DIR)\n", dir);
      abort ();
    }
}

/* Valid UTF-8, where U+0000 is a character like any other. */
static gboolean
valid_with_nuls (const char *s,
                 gsize       len)
{
  const char *end = s + len;

  while (s < end)
    {
      const char *nul = memchr (s, '\0', (gsize) (end - s));
      const char *stop = nul != NULL ? nul : end;

      if (!g_utf8_validate (s, stop - s, NULL))
        return FALSE;
      s = nul != NULL ? nul + 1 : end;
    }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) streamed = g_string_new (NULL);
  g_autoptr(HearthDetokenizer) detok = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *valid = NULL;
  HearthTokenizer *tok;
  HearthTokenizeFlags flags;
  gboolean round_trip;
  const char *text;
  gsize len, decoded_len = 0;

  hearth_fuzz_maybe_selftest ();
  if (size < 2)
    return 0;
  tok = g_ptr_array_index (tokenizers, data[0] % tokenizers->len);
  round_trip = g_array_index (round_trips, gboolean, data[0] % tokenizers->len);
  flags = data[1] & (HEARTH_TOKENIZE_ADD_SPECIAL | HEARTH_TOKENIZE_PARSE_SPECIAL);
  text = (const char *) data + 2;
  len = size - 2;

  g_assert (hearth_tokenizer_encode (tok, text, (gssize) len, flags, ids, &error));
  for (guint i = 0; i < ids->len; i++)
    g_assert ((guint32) g_array_index (ids, gint32, i) < hearth_tokenizer_get_n_vocab (tok));

  detok = hearth_detokenizer_new (tok, TRUE);
  for (guint i = 0; i < ids->len; i++)
    hearth_detokenizer_push (detok, g_array_index (ids, gint32, i), streamed);
  hearth_detokenizer_flush (detok, streamed);
  decoded = hearth_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, TRUE, &decoded_len);
  g_assert (valid_with_nuls (streamed->str, streamed->len));
  /* (GLib's validation reads a NUL as the end: compare NUL-free text.) */
  if (memchr (decoded, '\0', decoded_len) == NULL)
    {
      valid = g_utf8_make_valid (decoded, (gssize) decoded_len);
      g_assert_cmpstr (streamed->str, ==, valid);
    }

  /* Plain text comes back as it was. */
  if (flags == 0 && round_trip && g_utf8_validate (text, (gssize) len, NULL) && memchr (text, '\0', len) == NULL)
    {
      g_autofree char *want = g_strndup (text, len);

      /* SentencePiece writes a space as U+2581 before it splits the text,
       * so a U+2581 the text already had decodes as a space, as in every
       * SentencePiece implementation. */
      if (hearth_tokenizer_get_family (tok) == HEARTH_TOKENIZER_SPM)
        {
          g_auto(GStrv) parts = g_strsplit (want, "\xe2\x96\x81", -1);

          g_free (want);
          want = g_strjoinv (" ", parts);
        }
      g_assert_cmpstr (decoded, ==, want);
    }
  return 0;
}
