/* test-tokenizer.c: the tokenizers against llama.cpp's reference ids, round
 * trips, bad input, special tokens, the streaming decoder and the CLI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

/* Every vocabulary in shared/tokenizers; test_vocab_list checks that the
 * folder holds exactly these, so a new one cannot be left untested. */
static const char *const vocabs[] = {
  "bert-bge", "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "llama-spm",
  "mpt", "phi-3", "qwen3", "refact", "smollm2", "starcoder",
};

/* Those whose decode gives back the encoded text (WordPiece lowercases). */
static const char *const lossless[] = {
  "deepseek-coder", "deepseek-llm", "falcon", "gpt-2", "llama-spm",
  "mpt", "phi-3", "qwen3", "refact", "smollm2", "starcoder",
};

static HearthTokenizer *
load_vocab (const char *name)
{
  g_autofree char *file = g_strdup_printf ("ggml-vocab-%s.gguf", name);
  g_autofree char *path = hearth_test_data_path ("tokenizers", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, &error);
  HearthTokenizer *tok;

  hearth_assert_no_error (error);
  tok = hearth_tokenizer_new_from_gguf (gguf, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (tok);
  return tok;
}

static GArray *
encode (HearthTokenizer    *tok,
        const char         *text,
        gssize              len,
        HearthTokenizeFlags flags)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  ck_assert (hearth_tokenizer_encode (tok, text, len, flags, ids, &error));
  hearth_assert_no_error (error);
  return ids;
}

static char *
ids_to_string (const GArray *ids)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, " %d", g_array_index (ids, gint32, i));
  return g_string_free (s, FALSE);
}

/* The .inp texts (joined by "\n__ggml_vocab_test__\n", one after the last)
 * and the .out lines, as two arrays of the same length. */
static void
load_cases (const char *name,
            GPtrArray **texts,
            GPtrArray **lines)
{
  g_autofree char *inp_name = g_strdup_printf ("ggml-vocab-%s.gguf.inp", name);
  g_autofree char *out_name = g_strdup_printf ("ggml-vocab-%s.gguf.out", name);
  g_autoptr(GBytes) inp = hearth_test_load_data ("tokenizers", inp_name, NULL);
  g_autoptr(GBytes) out = hearth_test_load_data ("tokenizers", out_name, NULL);
  const char *sep = "\n__ggml_vocab_test__\n";
  gsize n;
  const char *p = g_bytes_get_data (inp, &n), *end = p + n;
  g_auto(GStrv) out_lines = NULL;
  g_autofree char *out_text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));

  *texts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  while (p < end)
    {
      const char *s = g_strstr_len (p, end - p, sep);

      ck_assert_msg (s != NULL, "%s does not end with the separator", inp_name);
      g_ptr_array_add (*texts, g_bytes_new (p, (gsize) (s - p)));
      p = s + strlen (sep);
    }
  out_lines = g_strsplit (out_text, "\n", -1);
  *lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; out_lines[i] != NULL; i++)
    if (i < (*texts)->len)
      g_ptr_array_add (*lines, g_strdup (out_lines[i]));
  ck_assert_uint_eq ((*lines)->len, (*texts)->len);
  ck_assert_uint_gt ((*texts)->len, 30);
}

START_TEST (test_vocab_list)
{
  g_autoptr(GPtrArray) files = hearth_test_list_data ("tokenizers", ".gguf");

  ck_assert_uint_eq (files->len, G_N_ELEMENTS (vocabs));
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (g_ptr_array_index (files, i));
      g_autofree char *want = g_strdup_printf ("ggml-vocab-%s.gguf", vocabs[i]);
      ck_assert_str_eq (base, want);
    }
}
END_TEST

/* Each test text gives exactly llama.cpp's ids (no BOS/EOS, no special parsing). */
START_TEST (test_reference_ids)
{
  const char *name = vocabs[_i];
  g_autoptr(HearthTokenizer) tok = load_vocab (name);
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  guint passed = 0;
  g_autoptr(GString) failures = g_string_new (NULL);

  load_cases (name, &texts, &lines);
  for (guint i = 0; i < texts->len; i++)
    {
      gsize len;
      const char *text = g_bytes_get_data (g_ptr_array_index (texts, i), &len);
      g_autoptr(GArray) ids = encode (tok, text, (gssize) len, 0);
      g_autofree char *got = ids_to_string (ids);

      if (strcmp (got, g_ptr_array_index (lines, i)) == 0)
        passed++;
      else
        g_string_append_printf (failures, "\n  #%u: got '%s' want '%s'", i, got,
                                (const char *) g_ptr_array_index (lines, i));
    }
  ck_assert_msg (passed == texts->len, "%s: %u/%u texts match%s", name, passed, texts->len,
                 failures->str);
}
END_TEST

static void
assert_round_trip (HearthTokenizer *tok,
                   const char      *name,
                   const char      *text,
                   gsize            len)
{
  g_autoptr(GArray) ids = encode (tok, text, (gssize) len, 0);
  gsize out_len;
  g_autofree char *out
      = hearth_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, FALSE, &out_len);
  g_autofree char *t0 = len > 0 ? g_strndup (text, len) : g_strdup ("");
  g_autofree char *shown = g_strescape (t0, NULL);
  g_autofree char *got = g_strescape (out, NULL);

  ck_assert_msg (out_len == len && (len == 0 || memcmp (out, text, len) == 0),
                 "%s: round trip of '%s' gave '%s'", name, shown, got);
}

START_TEST (test_round_trip_cases)
{
  const char *name = lossless[_i];
  g_autoptr(HearthTokenizer) tok = load_vocab (name);
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  load_cases (name, &texts, &lines);
  for (guint i = 0; i < texts->len; i++)
    {
      gsize len;
      const char *text = g_bytes_get_data (g_ptr_array_index (texts, i), &len);
      assert_round_trip (tok, name, text, len);
    }
}
END_TEST

/* GPT-2's byte map: the character that stands for byte @b. */
static gunichar
byte_char (guint b)
{
  guint k = 0;

  for (guint c = 0; c < 256; c++)
    {
      gboolean keep = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE;

      if (c == b)
        return keep ? c : 0x100 + k;
      if (!keep)
        k++;
    }
  return 0;
}

/* The bytes a vocabulary can spell: a byte-level BPE vocabulary may lack the
 * characters of bytes never seen in training (lead bytes of unassigned
 * planes, some C0 controls), and text with those bytes cannot come back. */
static void
covered_bytes (HearthTokenizer *tok,
               gboolean        *covered)
{
  for (guint b = 0; b < 256; b++)
    {
      char name[8] = { 0 };

      if (hearth_tokenizer_get_family (tok) == HEARTH_TOKENIZER_BPE)
        g_unichar_to_utf8 (byte_char (b), name);
      else
        g_snprintf (name, sizeof name, "<0x%02X>", b);
      covered[b] = hearth_tokenizer_find_token (tok, name) >= 0;
    }
}

/* Random valid UTF-8 drawn from many scripts and classes, using only bytes
 * in @covered. */
static void
random_text (GRand          *rand,
             const gboolean *covered,
             GString        *s)
{
  static const gunichar buckets[][2] = {
    { 0x20, 0x7E },       { 0x20, 0x7E },       { 0x20, 0x7E },       { 0x61, 0x7A },
    { 0x30, 0x39 },       { 0x00, 0x1F },       { 0x7F, 0x9F },       { 0xA0, 0xFF },
    { 0x100, 0x24F },     { 0x300, 0x36F },     { 0x370, 0x3FF },     { 0x400, 0x4FF },
    { 0x590, 0x5FF },     { 0x600, 0x6FF },     { 0x900, 0x97F },     { 0xE00, 0xE7F },
    { 0x1100, 0x11FF },   { 0x2000, 0x206F },   { 0x20A0, 0x20CF },   { 0x2190, 0x22FF },
    { 0x3000, 0x303F },   { 0x3040, 0x30FF },   { 0x4E00, 0x9FFF },   { 0xAC00, 0xD7A3 },
    { 0xE000, 0xE0FF },   { 0xFE00, 0xFE0F },   { 0xFF00, 0xFFEF },   { 0x1F300, 0x1F64F },
    { 0x1F900, 0x1F9FF }, { 0x1D400, 0x1D7FF }, { 0x20000, 0x2A6DF }, { 0x10000, 0x10FFFF },
  };
  guint n = (guint) g_rand_int_range (rand, 0, 40);

  g_string_truncate (s, 0);
  for (guint i = 0; i < n; i++)
    {
      guint b = (guint) g_rand_int_range (rand, 0, G_N_ELEMENTS (buckets));
      gunichar c
          = (gunichar) g_rand_int_range (rand, (gint32) buckets[b][0], (gint32) buckets[b][1] + 1);

      if (c >= 0xD800 && c <= 0xDFFF)
        c = 0x200D; /* surrogates are not characters: a zero-width joiner instead */
      if (c == 0)
        c = ' ';
      {
        char buf[8] = { 0 };
        int blen = g_unichar_to_utf8 (c, buf);
        gboolean ok = TRUE;

        for (int j = 0; j < blen; j++)
          ok = ok && covered[(guint8) buf[j]];
        if (ok)
          g_string_append_len (s, buf, blen);
      }
    }
}

START_TEST (test_round_trip_random)
{
  const char *name = lossless[_i];
  g_autoptr(HearthTokenizer) tok = load_vocab (name);
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234 + _i);
  g_autoptr(GString) s = g_string_new (NULL);
  gboolean covered[256];
  guint n_covered = 0;

  covered_bytes (tok, covered);
  for (guint b = 0; b < 256; b++)
    n_covered += covered[b];
  /* every byte that occurs in UTF-8 text except a few controls */
  ck_assert_uint_ge (n_covered, 200);

  for (guint k = 0; k < 300; k++)
    {
      random_text (rand, covered, s);
      assert_round_trip (tok, name, s->str, s->len);
    }
  /* a NUL byte inside the text is text too */
  assert_round_trip (tok, name, "a\0b", 3);
}
END_TEST

/* UTF-8 validity where NUL counts as a character (g_utf8_validate stops there). */
static gboolean
utf8_valid (const char *s,
            gsize       len)
{
  const char *end = s + len;

  while (s < end)
    {
      const char *nul = memchr (s, '\0', (gsize) (end - s));
      const char *stop = nul ? nul : end;

      if (!g_utf8_validate (s, stop - s, NULL))
        return FALSE;
      s = nul ? nul + 1 : end;
    }
  return TRUE;
}

/* Feeding ids one at a time: every chunk is valid UTF-8 and together they
 * are the whole decode. */
static void
assert_streaming (HearthTokenizer *tok,
                  const GArray    *ids,
                  gboolean         render_special)
{
  g_autoptr(HearthDetokenizer) d = hearth_detokenizer_new (tok, render_special);
  g_autoptr(GString) all = g_string_new (NULL);
  g_autoptr(GString) chunk = g_string_new (NULL);
  gsize len;
  g_autofree char *full
      = hearth_tokenizer_decode (tok, (const gint32 *) ids->data, ids->len, render_special, &len);

  for (guint i = 0; i <= ids->len; i++)
    {
      gsize n;

      g_string_truncate (chunk, 0);
      if (i < ids->len)
        n = hearth_detokenizer_push (d, g_array_index (ids, gint32, i), chunk);
      else
        n = hearth_detokenizer_flush (d, chunk);
      ck_assert_uint_eq (n, chunk->len);
      if (!utf8_valid (chunk->str, chunk->len))
        {
          g_autofree char *shown = g_strescape (chunk->str, NULL);
          ck_abort_msg ("chunk %u is not UTF-8: '%s' (%zu bytes)", i, shown, chunk->len);
        }
      g_string_append_len (all, chunk->str, (gssize) chunk->len);
    }
  if (utf8_valid (full, len))
    ck_assert_msg (all->len == len && memcmp (all->str, full, len) == 0,
                   "stream '%s' != decode '%s'", all->str, full);
}

START_TEST (test_streaming)
{
  const char *name = lossless[_i];
  g_autoptr(HearthTokenizer) tok = load_vocab (name);
  g_autoptr(GRand) rand = g_rand_new_with_seed (99 + _i);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gboolean covered[256];

  covered_bytes (tok, covered);
  for (guint k = 0; k < 100; k++)
    {
      g_autoptr(GArray) enc = NULL;

      random_text (rand, covered, s);
      enc = encode (tok, s->str, (gssize) s->len, HEARTH_TOKENIZE_ADD_SPECIAL);
      assert_streaming (tok, enc, FALSE);
      assert_streaming (tok, enc, TRUE);
    }
  /* arbitrary id sequences, byte tokens and specials included */
  for (guint k = 0; k < 100; k++)
    {
      g_array_set_size (ids, 0);
      for (guint i = 0; i < 20; i++)
        {
          gint32 id = g_rand_int_range (rand, 0, (gint32) hearth_tokenizer_get_n_vocab (tok));
          if (i % 3 == 0)
            id = g_rand_int_range (rand, 0, 300);
          g_array_append_val (ids, id);
        }
      assert_streaming (tok, ids, k % 2 == 0);
    }
}
END_TEST

/* Byte-fallback tokens only make text once the character is whole. */
START_TEST (test_streaming_byte_fallback)
{
  g_autoptr(HearthTokenizer) tok = load_vocab ("llama-spm");
  g_autoptr(HearthDetokenizer) d = hearth_detokenizer_new (tok, FALSE);
  g_autoptr(GString) out = g_string_new (NULL);
  const char *bytes[] = { "<0xF0>", "<0x9F>", "<0x98>", "<0x80>" }; /* U+1F600 */
  gint32 ids[4];
  g_autoptr(GArray) enc = NULL;

  for (guint i = 0; i < 4; i++)
    {
      ids[i] = hearth_tokenizer_find_token (tok, bytes[i]);
      ck_assert_int_ge (ids[i], 0);
      ck_assert_uint_eq (hearth_detokenizer_push (d, ids[i], out), i < 3 ? 0 : 4);
    }
  ck_assert_str_eq (out->str, "\xf0\x9f\x98\x80");
  /* the encoder picks those byte tokens for a character the vocabulary lacks */
  enc = encode (tok, "\xf0\x9f\x98\x80", -1, 0);
  ck_assert_uint_ge (enc->len, 4);
  ck_assert_int_eq (g_array_index (enc, gint32, enc->len - 1), ids[3]);
  /* an unfinished character is made valid at the end */
  g_string_truncate (out, 0);
  hearth_detokenizer_push (d, ids[0], out);
  hearth_detokenizer_push (d, ids[1], out);
  ck_assert_uint_eq (out->len, 0);
  hearth_detokenizer_flush (d, out);
  ck_assert (utf8_valid (out->str, out->len));
  ck_assert_uint_gt (out->len, 0);
}
END_TEST

/* stories260K's vocabulary, which the synthetic models copy */
static const char *const stories_vocab_files[][2] = {
  { "stories260K", "stories260K-f32.gguf" },
  { "synthetic", "synth-llama-F32.gguf" },
  { "synthetic", "synth-qwen2-F32.gguf" },
};

START_TEST (test_stories260k)
{
  g_autofree char *path = hearth_test_data_path ("models", stories_vocab_files[_i][0],
                                                 stories_vocab_files[_i][1], NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, &error);
  g_autoptr(HearthTokenizer) tok = NULL;
  g_autoptr(GArray) ids = NULL;
  const gint32 want[] = { 1, 403, 407, 261, 378 };
  g_autofree char *text = NULL;

  hearth_assert_no_error (error);
  tok = hearth_tokenizer_new_from_gguf (gguf, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hearth_tokenizer_get_n_vocab (tok), 512);
  ids = encode (tok, "Once upon a time", -1, HEARTH_TOKENIZE_ADD_SPECIAL);
  ck_assert_uint_eq (ids->len, G_N_ELEMENTS (want));
  for (guint i = 0; i < ids->len; i++)
    ck_assert_int_eq (g_array_index (ids, gint32, i), want[i]);
  text = hearth_tokenizer_decode (tok, want, G_N_ELEMENTS (want), FALSE, NULL);
  ck_assert_str_eq (text, "Once upon a time");
  ck_assert_int_eq (hearth_tokenizer_get_bos (tok), 1);
  ck_assert_int_eq (hearth_tokenizer_get_eos (tok), 2);
  ck_assert_int_eq (hearth_tokenizer_get_unk (tok), 0);
  /* sep/pad are stored as 0xFFFFFFFF: none */
  ck_assert_int_eq (hearth_tokenizer_get_sep (tok), -1);
  ck_assert_int_eq (hearth_tokenizer_get_pad (tok), -1);
  ck_assert (hearth_tokenizer_is_eog (tok, 2));
  ck_assert (!hearth_tokenizer_is_eog (tok, 1));
}
END_TEST

/* WordPiece with [CLS] ... [SEP]: the sentences of the synthetic BERT
 * reference, tokenized by llama.cpp with add_special. */
START_TEST (test_bert_add_special)
{
  g_autofree char *json_path = hearth_test_data_path ("reference", "synth-bert-F32.embeddings.json", NULL);
  g_autofree char *model = hearth_test_data_path ("models", "synthetic", "synth-bert-F32.gguf", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) gguf = NULL;
  g_autoptr(HearthTokenizer) tok = NULL;
  JsonObject *root;
  JsonArray *sentences, *token_ids;

  ck_assert (json_parser_load_from_file (parser, json_path, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  sentences = json_object_get_array_member (root, "sentences");
  token_ids = json_object_get_array_member (root, "token_ids");
  ck_assert_uint_eq (json_array_get_length (sentences), 5);
  ck_assert_uint_eq (json_array_get_length (token_ids), 5);
  gguf = hearth_gguf_open (model, &error);
  hearth_assert_no_error (error);
  tok = hearth_tokenizer_new_from_gguf (gguf, &error);
  hearth_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    {
      const char *text = json_array_get_string_element (sentences, i);
      JsonArray *want = json_array_get_array_element (token_ids, i);
      g_autoptr(GArray) ids = encode (tok, text, -1, HEARTH_TOKENIZE_ADD_SPECIAL);

      ck_assert_uint_eq (ids->len, json_array_get_length (want));
      for (guint k = 0; k < ids->len; k++)
        ck_assert_int_eq (g_array_index (ids, gint32, k), json_array_get_int_element (want, k));
    }
}
END_TEST

/* Specials and flags as the vocabulary files state them. */
START_TEST (test_special_ids)
{
  g_autoptr(HearthTokenizer) qwen = load_vocab ("qwen3");
  g_autoptr(HearthTokenizer) bert = load_vocab ("bert-bge");
  g_autoptr(HearthTokenizer) spm = load_vocab ("llama-spm");
  g_autoptr(GArray) ids = NULL;

  ck_assert_int_eq (hearth_tokenizer_get_bos (qwen), 151643);
  ck_assert_int_eq (hearth_tokenizer_get_eos (qwen), 151645);
  ck_assert_int_eq (hearth_tokenizer_get_pad (qwen), 151643);
  ck_assert_int_eq (hearth_tokenizer_find_token (qwen, "<|im_start|>"), 151644);
  ck_assert (hearth_tokenizer_is_eog (qwen, 151645));  /* <|im_end|> */
  ck_assert (hearth_tokenizer_is_eog (qwen, 151643));  /* <|endoftext|> */
  ck_assert (!hearth_tokenizer_is_eog (qwen, 151644));
  ck_assert (hearth_tokenizer_is_control (qwen, 151644));
  ck_assert (!hearth_tokenizer_is_control (qwen, 0));
  ck_assert_int_eq (hearth_tokenizer_find_token (qwen, "no such token at all"), -1);
  /* add_bos_token is false: nothing is added */
  ids = encode (qwen, "hi", -1, HEARTH_TOKENIZE_ADD_SPECIAL);
  ck_assert_uint_eq (ids->len, 1);
  g_clear_pointer (&ids, g_array_unref);

  ck_assert_int_eq (hearth_tokenizer_get_cls (bert), 101);
  ck_assert_int_eq (hearth_tokenizer_get_sep (bert), 102);
  ck_assert_int_eq (hearth_tokenizer_get_unk (bert), 100);
  ck_assert_int_eq (hearth_tokenizer_get_pad (bert), 0);
  ids = encode (bert, "", 0, HEARTH_TOKENIZE_ADD_SPECIAL);
  ck_assert_uint_eq (ids->len, 2);
  ck_assert_int_eq (g_array_index (ids, gint32, 0), 101);
  ck_assert_int_eq (g_array_index (ids, gint32, 1), 102);
  g_clear_pointer (&ids, g_array_unref);

  ids = encode (spm, "", 0, HEARTH_TOKENIZE_ADD_SPECIAL);
  ck_assert_uint_eq (ids->len, 1);
  ck_assert_int_eq (g_array_index (ids, gint32, 0), 1);
  g_clear_pointer (&ids, g_array_unref);
  ids = encode (spm, "", 0, 0);
  ck_assert_uint_eq (ids->len, 0);
  ck_assert_uint_eq (hearth_tokenizer_get_family (spm), HEARTH_TOKENIZER_SPM);
  ck_assert_uint_eq (hearth_tokenizer_get_family (qwen), HEARTH_TOKENIZER_BPE);
  ck_assert_uint_eq (hearth_tokenizer_get_family (bert), HEARTH_TOKENIZER_WPM);
}
END_TEST

static gboolean
contains_id (const GArray *ids,
             gint32        id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, gint32, i) == id)
      return TRUE;
  return FALSE;
}

START_TEST (test_parse_special)
{
  g_autoptr(HearthTokenizer) qwen = load_vocab ("qwen3");
  g_autoptr(HearthTokenizer) spm = load_vocab ("llama-spm");
  const char *chat = "<|im_start|>user\nHello<|im_end|>\n";
  g_autoptr(GArray) on = encode (qwen, chat, -1, HEARTH_TOKENIZE_PARSE_SPECIAL);
  g_autoptr(GArray) off = encode (qwen, chat, -1, 0);
  g_autoptr(GArray) user = encode (qwen, "user\nHello", -1, 0);
  g_autoptr(GArray) s_on = NULL;
  g_autoptr(GArray) s_off = NULL;
  g_autoptr(GArray) plain = NULL;
  g_autofree char *back = NULL;

  /* on: the marker is one id, and the text between is tokenized on its own */
  ck_assert_int_eq (g_array_index (on, gint32, 0), 151644);
  ck_assert_uint_eq (on->len, user->len + 3);
  for (guint i = 0; i < user->len; i++)
    ck_assert_int_eq (g_array_index (on, gint32, i + 1), g_array_index (user, gint32, i));
  ck_assert_int_eq (g_array_index (on, gint32, user->len + 1), 151645);
  /* off: the markers are plain text */
  ck_assert (!contains_id (off, 151644) && !contains_id (off, 151645));
  ck_assert_uint_gt (off->len, on->len);
  /* rendered specials give the text back */
  back = hearth_tokenizer_decode (qwen, (const gint32 *) on->data, on->len, TRUE, NULL);
  ck_assert_str_eq (back, chat);
  g_free (back);
  back = hearth_tokenizer_decode (qwen, (const gint32 *) on->data, on->len, FALSE, NULL);
  ck_assert_str_eq (back, "user\nHello\n");

  /* SentencePiece: the text after a special token gets the space prefix */
  s_on = encode (spm, "<s>Hello", -1, HEARTH_TOKENIZE_PARSE_SPECIAL);
  s_off = encode (spm, "<s>Hello", -1, 0);
  plain = encode (spm, "Hello", -1, 0);
  ck_assert_uint_eq (s_on->len, plain->len + 1);
  ck_assert_int_eq (g_array_index (s_on, gint32, 0), 1);
  for (guint i = 0; i < plain->len; i++)
    ck_assert_int_eq (g_array_index (s_on, gint32, i + 1), g_array_index (plain, gint32, i));
  ck_assert (!contains_id (s_off, 1));
  g_free (back);
  back = hearth_tokenizer_decode (spm, (const gint32 *) s_on->data, s_on->len, TRUE, NULL);
  ck_assert_str_eq (back, "<s>Hello");
}
END_TEST

/* Invalid UTF-8: SentencePiece keeps the bytes, BPE reads U+FFFD, WordPiece
 * drops it; nothing crashes. */
START_TEST (test_invalid_utf8)
{
  g_autoptr(HearthTokenizer) spm = load_vocab ("llama-spm");
  g_autoptr(HearthTokenizer) bpe = load_vocab ("qwen3");
  g_autoptr(HearthTokenizer) wpm = load_vocab ("bert-bge");
  const char bad[] = "a\xff\xc3 b\xed\xa0\x80 \xf0\x9f\x98";
  g_autoptr(GArray) b1 = encode (bpe, bad, -1, 0);
  g_autoptr (GArray) b2 = encode (bpe,
                                  "a\xef\xbf\xbd\xef\xbf\xbd b\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                                  -1, 0);
  g_autoptr(GArray) w1 = encode (wpm, bad, -1, 0);
  g_autoptr(GArray) w2 = encode (wpm, "a b", -1, 0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  HearthTokenizer *all[] = { spm, bpe, wpm };

  /* stray continuation bytes come back as they were; a lead byte takes the
   * bytes after it into one piece, as in the reference, so those do not */
  assert_round_trip (spm, "llama-spm", "a\x80 b\xbf\xbf", 7);
  ck_assert_uint_eq (b1->len, b2->len);
  for (guint i = 0; i < b1->len; i++)
    ck_assert_int_eq (g_array_index (b1, gint32, i), g_array_index (b2, gint32, i));
  ck_assert_uint_eq (w1->len, w2->len);
  for (guint i = 0; i < w1->len; i++)
    ck_assert_int_eq (g_array_index (w1, gint32, i), g_array_index (w2, gint32, i));

  /* random bytes through every family, with special parsing and streaming */
  for (guint k = 0; k < 300; k++)
    {
      guint8 buf[64];
      guint n = (guint) g_rand_int_range (rand, 0, sizeof buf);

      for (guint i = 0; i < n; i++)
        buf[i] = (guint8) g_rand_int_range (rand, 0, 256);
      for (guint t = 0; t < G_N_ELEMENTS (all); t++)
        {
          g_autoptr (GArray) ids
              = encode (all[t], (const char *) buf, n,
                        HEARTH_TOKENIZE_ADD_SPECIAL | HEARTH_TOKENIZE_PARSE_SPECIAL);
          assert_streaming (all[t], ids, TRUE);
        }
    }
  /* ids out of range give nothing */
  {
    g_autoptr(GString) s = g_string_new (NULL);
    gint32 odd[] = { -5, 1 << 30 };
    g_autofree char *t = hearth_tokenizer_decode (bpe, odd, 2, TRUE, NULL);

    hearth_tokenizer_append_token_bytes (bpe, -1, TRUE, s);
    ck_assert_uint_eq (s->len, 0);
    ck_assert_str_eq (t, "");
    ck_assert_ptr_null (hearth_tokenizer_get_piece (bpe, -1, NULL));
  }
}
END_TEST

/* ---- hand-made vocabularies: metadata errors and the pre-tokenizers that
 * have no reference vocabulary here ---- */

static void
kv_str (GByteArray *b,
        const char *key,
        const char *value)
{
  hearth_test_put_str (b, key);
  hearth_test_put_u32 (b, 8);
  hearth_test_put_str (b, value);
}

static void
kv_strv (GByteArray        *b,
         const char        *key,
         const char *const *v,
         guint              n)
{
  hearth_test_put_str (b, key);
  hearth_test_put_u32 (b, 9);
  hearth_test_put_u32 (b, 8);
  hearth_test_put_u64 (b, n);
  for (guint i = 0; i < n; i++)
    hearth_test_put_str (b, v[i]);
}

/* A byte-level BPE vocabulary: the 256 byte characters plus @extra tokens
 * and @merges. */
static HearthTokenizer *
make_bpe (const char        *model,
          const char        *pre,
          const char *const *extra,
          const char *const *merges,
          GError           **error)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  guint n_merges = 0, n_kv = 3 + (pre != NULL);
  GByteArray *b = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(HearthGguf) gguf = NULL;
  guint k = 0;

  /* GPT-2's byte characters */
  for (guint c = 0; c < 256; c++)
    {
      gboolean keep = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE;
      char buf[8] = { 0 };

      g_unichar_to_utf8 (keep ? c : 0x100 + k++, buf);
      g_ptr_array_add (tokens, g_strdup (buf));
    }
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (tokens, g_strdup (extra[i]));
  while (merges[n_merges] != NULL)
    n_merges++;

  g_byte_array_append (b, (const guint8 *) "GGUF", 4);
  hearth_test_put_u32 (b, 3);
  hearth_test_put_u64 (b, 0);
  hearth_test_put_u64 (b, n_kv);
  kv_str (b, "tokenizer.ggml.model", model);
  if (pre != NULL)
    kv_str (b, "tokenizer.ggml.pre", pre);
  kv_strv (b, "tokenizer.ggml.tokens", (const char *const *) tokens->pdata, tokens->len);
  kv_strv (b, "tokenizer.ggml.merges", merges, n_merges);
  bytes = g_byte_array_free_to_bytes (b);
  gguf = hearth_gguf_new_from_bytes (bytes, error);
  if (gguf == NULL)
    return NULL;
  return hearth_tokenizer_new_from_gguf (gguf, error);
}

START_TEST (test_unknown_pre)
{
  static const char *const none[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthTokenizer) tok = make_bpe ("gpt2", "no-such-pre", none, none, &error);

  ck_assert_ptr_null (tok);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNSUPPORTED);
  ck_assert_msg (strstr (error->message, "no-such-pre") != NULL, "'%s' does not name the value",
                 error->message);
  g_clear_error (&error);

  tok = make_bpe ("t5", NULL, none, none, &error);
  ck_assert_ptr_null (tok);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNSUPPORTED);
  ck_assert (strstr (error->message, "t5") != NULL);
  g_clear_error (&error);

  /* names known to mean the same as a supported pre-tokenizer load */
  for (guint i = 0; i < 4; i++)
    {
      const char *names[] = { "llama-bpe", "deepseek-r1-qwen", "phi-2", "command-r" };
      g_autoptr(HearthTokenizer) t = make_bpe ("gpt2", names[i], none, none, &error);
      hearth_assert_no_error (error);
      ck_assert_ptr_nonnull (t);
    }
}
END_TEST

/* The word boundaries of a pre-tokenizer, seen through a vocabulary that
 * merges any two ASCII letters or digits but has no merge with a space:
 * each word then comes out as one token (space-led words as space + word). */
typedef struct
{
  const char *pre;
  const char *text;
  const char *words; /* the split the published pattern gives, '|' between words */
} SplitCase;

static const SplitCase split_cases[] = {
  /* llama3: digits in threes, contractions in any case, one non-letter may lead a word */
  { "llama-bpe", "12345 I'M ok", "123|45| I|'M| ok" },
  { "llama-bpe", "a\n\n  b", "a|\n\n| | b" },
  /* qwen2: single digits */
  { "qwen2", "x 2024", "x| |2|0|2|4" },
  /* gpt2: lowercase contractions only, digit runs whole */
  { "gpt-2", "12345 I'M", "12345| I|'|M" },
  { "llama-bpe", "x!!\n\ny", "x|!!\n\n|y" },
  /* Unicode classes, not ASCII ones: letters with diacritics, Arabic-Indic digits */
  { "llama-bpe", "\303\234n\303\257c\303\266d\303\251 \331\243\331\244\331\245\331\246",
    "\303\234n\303\257c\303\266d\303\251| |\331\243\331\244\331\245|\331\246" },
  /* a combining mark is neither letter nor number; U+3000 is whitespace but
   * only U+0020 may lead a word */
  { "gpt-2", "e\314\201x\343\200\200\343\200\200y", "e|\314\201|x|\343\200\200|\343\200\200|y" },
  /* the default BPE pre-tokenizer */
  { "default", "ab 1234", "ab| |123|4" },
};

static void
split_words (const char *words,
             GPtrArray  *out)
{
  g_auto(GStrv) parts = g_strsplit (words, "|", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    g_ptr_array_add (out, g_strdup (parts[i]));
}

START_TEST (test_pretokenizer_splits)
{
  const SplitCase *c = &split_cases[_i];
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) merges = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthTokenizer) tok = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GString) got = g_string_new (NULL);

  /* merges build every prefix of each expected word, left to right, so a
   * word comes out whole exactly when the pre-tokenizer keeps it whole */
  split_words (c->words, words);
  for (guint w = 0; w < words->len; w++)
    {
      g_autoptr(GString) mapped = g_string_new (NULL);
      const char *word = g_ptr_array_index (words, w);

      for (const char *p = word; *p; p++)
        {
          g_autofree char *prev = g_strdup (mapped->str);

          g_string_append_unichar (mapped, byte_char ((guint8) *p));
          if (p != word)
            {
              g_ptr_array_add (merges,
                               g_strdup_printf ("%s %s", prev, mapped->str + strlen (prev)));
              g_ptr_array_add (extra, g_strdup (mapped->str));
            }
        }
    }
  g_ptr_array_add (extra, NULL);
  g_ptr_array_add (merges, NULL);
  tok = make_bpe ("gpt2", c->pre, (const char *const *) extra->pdata,
                  (const char *const *) merges->pdata, &error);
  hearth_assert_no_error (error);
  ids = encode (tok, c->text, -1, 0);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GString) piece = g_string_new (NULL);

      hearth_tokenizer_append_token_bytes (tok, g_array_index (ids, gint32, i), FALSE, piece);
      g_string_append_printf (got, "%s%s", i ? "|" : "", piece->str);
    }
  ck_assert_msg (strcmp (got->str, c->words) == 0, "%s on '%s': got '%s' want '%s'", c->pre,
                 c->text, got->str, c->words);
}
END_TEST

/* ---- the CLI ---- */

static int
run_cli (const char *const *args,
         char              **out,
         char              **err)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  ck_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                           &status, &error));
  hearth_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

START_TEST (test_cli_tokenize)
{
  g_autofree char *gpt2 = hearth_test_data_path ("tokenizers", "ggml-vocab-gpt-2.gguf", NULL);
  g_autofree char *qwen = hearth_test_data_path ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);
  g_autofree char *stories
      = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GPtrArray) texts = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  char *out = NULL, *err = NULL;

  load_cases ("gpt-2", &texts, &lines);
  /* every gpt-2 case through --file, byte for byte */
  for (guint i = 0; i < texts->len; i += 5)
    {
      g_autofree char *dir = g_dir_make_tmp ("hearth-tok-XXXXXX", NULL);
      g_autofree char *path = g_build_filename (dir, "text", NULL);
      GBytes *t = g_ptr_array_index (texts, i);
      const char *args[] = { "tokenize", "-m", gpt2, "--no-special", "--file", path, NULL };
      g_autofree char *want
          = g_strdup_printf ("%s\n", (const char *) g_ptr_array_index (lines, i) + 1);

      ck_assert (g_file_set_contents (path, g_bytes_get_data (t, NULL),
                                      (gssize) g_bytes_get_size (t), NULL));
      ck_assert_int_eq (run_cli (args, &out, &err), 0);
      ck_assert_str_eq (out, i == 2 ? "\n" : want); /* case 2 is the empty text */
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_unlink (path);
      g_rmdir (dir);
    }
  {
    /* non-ASCII through argv, in whatever locale the test runs */
    const char *text = g_bytes_get_data (g_ptr_array_index (texts, 1), NULL);
    g_autofree char *arg = g_strndup (text, g_bytes_get_size (g_ptr_array_index (texts, 1)));
    g_autofree char *want
        = g_strdup_printf ("%s\n", (const char *) g_ptr_array_index (lines, 1) + 1);
    const char *args[] = { "tokenize", "-m", gpt2, "--no-special", "--text", arg, NULL };

    ck_assert (!g_str_is_ascii (arg));
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert_str_eq (out, want);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "tokenize", "-m", stories, "--text", "Once upon a time", NULL };
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert_str_eq (out, "1 403 407 261 378\n");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = {
      "tokenize", "-m", qwen, "--no-special", "--parse-special", "--text", "<|im_start|><|im_end|>",
      NULL
    };
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert_str_eq (out, "151644 151645\n");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[]
        = { "tokenize", "-m", stories, "--pieces", "--text", "Once upon a time", NULL };
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert (g_str_has_prefix (out, "1\t<s>\n403\t"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "tokenize", "-m", "/nonexistent.gguf", "--text", "x", NULL };
    ck_assert_int_ne (run_cli (args, &out, &err), 0);
    ck_assert (g_str_has_prefix (err, "hearth-cli: "));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
}
END_TEST

START_TEST (test_cli_detokenize)
{
  g_autofree char *stories
      = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autofree char *qwen = hearth_test_data_path ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);
  char *out = NULL, *err = NULL;

  {
    const char *args[] = { "detokenize", "-m", stories, "1", "403", "407", "261", "378", NULL };
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert_str_eq (out, "Once upon a time");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "detokenize", "-m", qwen, "--special", "151644", "151645", NULL };
    ck_assert_int_eq (run_cli (args, &out, &err), 0);
    ck_assert_str_eq (out, "<|im_start|><|im_end|>");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "detokenize", "-m", stories, "512", NULL };
    ck_assert_int_ne (run_cli (args, &out, &err), 0);
    ck_assert (strstr (err, "512") != NULL);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
}
END_TEST

static Suite *
tokenizer_suite (void)
{
  Suite *s = suite_create ("tokenizer");
  TCase *tc;

  tc = tcase_create ("reference");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_vocab_list);
  tcase_add_loop_test (tc, test_reference_ids, 0, G_N_ELEMENTS (vocabs));
  tcase_add_loop_test (tc, test_stories260k, 0, G_N_ELEMENTS (stories_vocab_files));
  tcase_add_test (tc, test_special_ids);
  tcase_add_test (tc, test_bert_add_special);
  suite_add_tcase (s, tc);

  tc = tcase_create ("round-trip");
  tcase_set_timeout (tc, 60);
  tcase_add_loop_test (tc, test_round_trip_cases, 0, G_N_ELEMENTS (lossless));
  tcase_add_loop_test (tc, test_round_trip_random, 0, G_N_ELEMENTS (lossless));
  tcase_add_loop_test (tc, test_streaming, 0, G_N_ELEMENTS (lossless));
  tcase_add_test (tc, test_streaming_byte_fallback);
  suite_add_tcase (s, tc);

  tc = tcase_create ("edge");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_parse_special);
  tcase_add_test (tc, test_invalid_utf8);
  tcase_add_test (tc, test_unknown_pre);
  tcase_add_loop_test (tc, test_pretokenizer_splits, 0, G_N_ELEMENTS (split_cases));
  suite_add_tcase (s, tc);

  tc = tcase_create ("cli");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_cli_tokenize);
  tcase_add_test (tc, test_cli_detokenize);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (tokenizer_suite ());
}
