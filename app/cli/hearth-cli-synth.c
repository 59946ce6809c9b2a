/* hearth-cli-synth.c: `hearth-cli synth-model OUT.gguf [options]`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes a llama-architecture model with random weights, for benchmarks and
 * tests at sizes the test kit does not ship. Weights are standard normal
 * times a per-tensor standard deviation chosen so activations keep their
 * scale through the layers (the reference kit's recipe: 1/sqrt(fan-in) for
 * the projections, 1.5x for q/k so attention is not uniform, 4.8/sqrt(dim)
 * for the output matrix, i.e. the kit's 0.3 at its width 256), then rounded to bfloat16 values as in a model converted
 * from a BF16 checkpoint. Each tensor draws from its own generator seeded
 * by (seed, tensor index), so the file does not depend on anything but the
 * options.
 */
#include "hearth-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-engine.h"

typedef struct
{
  int     dim, ff, layers, heads, kv_heads, vocab, ctx;
  gint64  seed;
  HearthGgmlType type;
} SynthOptions;

/* xoshiro256** seeded through splitmix64: fast, and the same everywhere. */
typedef struct
{
  guint64 s[4];
  gboolean have_spare;
  double   spare;
} Rng;

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void
rng_init (Rng    *r,
          guint64 seed,
          guint64 stream)
{
  guint64 x = seed ^ (stream * 0xD1B54A32D192ED03ull);

  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
  r->have_spare = FALSE;
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next (Rng *r)
{
  guint64 result = rotl (r->s[1] * 5, 7) * 9;
  guint64 t = r->s[1] << 17;

  r->s[2] ^= r->s[0];
  r->s[3] ^= r->s[1];
  r->s[1] ^= r->s[2];
  r->s[0] ^= r->s[3];
  r->s[2] ^= t;
  r->s[3] = rotl (r->s[3], 45);
  return result;
}

/* Standard normal by Box-Muller (pairs). */
static double
rng_normal (Rng *r)
{
  double u1, u2, rad;

  if (r->have_spare)
    {
      r->have_spare = FALSE;
      return r->spare;
    }
  u1 = ((rng_next (r) >> 11) + 1.0) * 0x1.0p-53; /* (0, 1] */
  u2 = (rng_next (r) >> 11) * 0x1.0p-53;
  rad = sqrt (-2.0 * log (u1));
  r->spare = rad * sin (2.0 * G_PI * u2);
  r->have_spare = TRUE;
  return rad * cos (2.0 * G_PI * u2);
}

typedef struct
{
  char          *name;
  guint32        n_dims;
  guint64        ne[2];
  HearthGgmlType type;
  double         std;    /* weights: N(0,1) * std */
  gboolean       norm;   /* norms: 1 + 0.1 N(0,1) */
} SynthTensor;

static void
add_tensor (GArray     *tensors,
            char       *name,
            guint64     ne0,
            guint64     ne1,
            HearthGgmlType type,
            double      std)
{
  SynthTensor t = { name, ne1 ? 2 : 1, { ne0, ne1 ? ne1 : 1 }, ne1 ? type : HEARTH_GGML_TYPE_F32, std, ne1 == 0 };

  g_array_append_val (tensors, t);
}

static float
round_to_bf16 (float f)
{
  guint32 u;

  memcpy (&u, &f, 4);
  u += 0x7FFF + ((u >> 16) & 1);
  u &= 0xFFFF0000u;
  memcpy (&f, &u, 4);
  return f;
}

/* IEEE half, round to nearest even (the values are small and finite). */
static guint16
to_fp16 (float f)
{
  guint32 u, sign, abs;

  memcpy (&u, &f, 4);
  sign = (u >> 16) & 0x8000;
  abs = u & 0x7FFFFFFFu;
  if (abs >= 0x477FF000u)
    return (guint16) (sign | 0x7C00);
  if (abs >= 0x38800000u)
    {
      guint32 h = (((abs >> 23) - 112) << 10) | ((abs & 0x7FFFFF) >> 13);
      guint32 rest = abs & 0x1FFF;

      if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
        h++;
      return (guint16) (sign | h);
    }
  if (abs < 0x33000000u)
    return (guint16) sign;
  {
    guint32 mant = (abs & 0x7FFFFF) | 0x800000;
    guint32 shift = 126 - (abs >> 23);
    guint32 h = mant >> shift;
    guint32 rest = mant & ((1u << shift) - 1);
    guint32 half = 1u << (shift - 1);

    if (rest > half || (rest == half && (h & 1)))
      h++;
    return (guint16) (sign | h);
  }
}

static gboolean
add_vocabulary (HearthGgufWriter *w,
                const char       *vocab_from,
                int               n_vocab,
                GError          **error)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (gint32));
  guint32 bos = 1, eos = 2, unk = 0;

  if (vocab_from != NULL)
    {
      g_autoptr(HearthGguf) v = hearth_gguf_open (vocab_from, error);
      const HearthGgufValue *tok, *sc, *ty;
      g_autofree char *model = NULL;

      if (v == NULL)
        return FALSE;
      model = hearth_gguf_dup_string (v, "tokenizer.ggml.model", error);
      if (model == NULL)
        return FALSE;
      if (strcmp (model, "llama") != 0)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                       "%s has a '%s' tokenizer; synth-model needs a SentencePiece ('llama') vocabulary",
                       vocab_from, model);
          return FALSE;
        }
      if ((tok = hearth_gguf_get_array (v, "tokenizer.ggml.tokens", HEARTH_GGUF_TYPE_STRING, error)) == NULL ||
          (sc = hearth_gguf_get_array (v, "tokenizer.ggml.scores", HEARTH_GGUF_TYPE_FLOAT32, error)) == NULL ||
          (ty = hearth_gguf_get_array (v, "tokenizer.ggml.token_type", HEARTH_GGUF_TYPE_INT32, error)) == NULL)
        return FALSE;
      if (tok->v.arr.n > (guint64) n_vocab || sc->v.arr.n != tok->v.arr.n || ty->v.arr.n != tok->v.arr.n)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "%s has %" G_GUINT64_FORMAT " tokens (with %" G_GUINT64_FORMAT " scores and types); "
                       "--vocab %d must be at least that", vocab_from, tok->v.arr.n, sc->v.arr.n, n_vocab);
          return FALSE;
        }
      for (guint64 i = 0; i < tok->v.arr.n; i++)
        {
          guint64 len;
          const char *s = hearth_gguf_array_get_string (tok, i, &len);
          float f = (float) hearth_gguf_array_get_float (sc, i);
          gint32 t = (gint32) hearth_gguf_array_get_int (ty, i);

          g_ptr_array_add (tokens, g_strndup (s, len));
          g_array_append_val (scores, f);
          g_array_append_val (types, t);
        }
      hearth_gguf_get_uint32_or (v, "tokenizer.ggml.bos_token_id", bos, &bos, NULL);
      hearth_gguf_get_uint32_or (v, "tokenizer.ggml.eos_token_id", eos, &eos, NULL);
      hearth_gguf_get_uint32_or (v, "tokenizer.ggml.unknown_token_id", unk, &unk, NULL);
    }
  else
    {
      /* A byte-fallback SentencePiece vocabulary: every text tokenizes to bytes. */
      const char *special[] = { "<unk>", "<s>", "</s>" };
      const gint32 special_types[] = { 2, 3, 3 }; /* UNKNOWN, CONTROL, CONTROL */

      if (n_vocab < 259)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "--vocab must be at least 259 (3 special tokens and 256 bytes)");
          return FALSE;
        }
      for (int i = 0; i < 3; i++)
        {
          float f = 0.0f;

          g_ptr_array_add (tokens, g_strdup (special[i]));
          g_array_append_val (scores, f);
          g_array_append_val (types, special_types[i]);
        }
      for (int b = 0; b < 256; b++)
        {
          float f = 0.0f;
          gint32 t = 6; /* BYTE */

          g_ptr_array_add (tokens, g_strdup_printf ("<0x%02X>", b));
          g_array_append_val (scores, f);
          g_array_append_val (types, t);
        }
    }
  for (int i = 0; tokens->len < (guint) n_vocab; i++)
    {
      float f = 0.0f;
      gint32 t = 5; /* UNUSED */

      g_ptr_array_add (tokens, g_strdup_printf ("<unused%d>", i));
      g_array_append_val (scores, f);
      g_array_append_val (types, t);
    }

  hearth_gguf_writer_add_string (w, "tokenizer.ggml.model", "llama");
  hearth_gguf_writer_add_string (w, "tokenizer.ggml.pre", "default");
  hearth_gguf_writer_add_string_array (w, "tokenizer.ggml.tokens", (const char *const *) tokens->pdata,
                                       tokens->len);
  hearth_gguf_writer_add_array (w, "tokenizer.ggml.scores", HEARTH_GGUF_TYPE_FLOAT32, scores->data,
                                scores->len);
  hearth_gguf_writer_add_array (w, "tokenizer.ggml.token_type", HEARTH_GGUF_TYPE_INT32, types->data,
                                types->len);
  hearth_gguf_writer_add_uint32 (w, "tokenizer.ggml.unknown_token_id", unk);
  hearth_gguf_writer_add_uint32 (w, "tokenizer.ggml.bos_token_id", bos);
  hearth_gguf_writer_add_uint32 (w, "tokenizer.ggml.eos_token_id", eos);
  hearth_gguf_writer_add_bool (w, "tokenizer.ggml.add_bos_token", TRUE);
  hearth_gguf_writer_add_bool (w, "tokenizer.ggml.add_eos_token", FALSE);
  return TRUE;
}

static gboolean
write_model (const char         *path,
             const SynthOptions *o,
             const char         *vocab_from,
             GError            **error)
{
  g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
  g_autoptr(GArray) tensors = g_array_new (FALSE, FALSE, sizeof (SynthTensor));
  int head_dim = o->dim / o->heads;
  int kv_dim = head_dim * o->kv_heads;
  double s_dim = 1.0 / sqrt (o->dim);
  gsize chunk_elems = 1 << 20;
  g_autofree float *f32 = g_new (float, chunk_elems);
  g_autofree guint16 *f16 = g_new (guint16, chunk_elems);
  gboolean ok = TRUE;

  hearth_gguf_writer_add_string (w, "general.architecture", "llama");
  hearth_gguf_writer_add_string (w, "general.name", "hearth-synthetic-llama");
  hearth_gguf_writer_add_uint32 (w, "llama.context_length", o->ctx);
  hearth_gguf_writer_add_uint32 (w, "llama.embedding_length", o->dim);
  hearth_gguf_writer_add_uint32 (w, "llama.feed_forward_length", o->ff);
  hearth_gguf_writer_add_uint32 (w, "llama.block_count", o->layers);
  hearth_gguf_writer_add_uint32 (w, "llama.attention.head_count", o->heads);
  hearth_gguf_writer_add_uint32 (w, "llama.attention.head_count_kv", o->kv_heads);
  hearth_gguf_writer_add_uint32 (w, "llama.rope.dimension_count", head_dim);
  hearth_gguf_writer_add_float32 (w, "llama.rope.freq_base", 10000.0f);
  hearth_gguf_writer_add_float32 (w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  hearth_gguf_writer_add_uint32 (w, "general.file_type", o->type == HEARTH_GGML_TYPE_F16 ? 1 : 0);
  hearth_gguf_writer_add_uint32 (w, "llama.vocab_size", o->vocab);
  if (!add_vocabulary (w, vocab_from, o->vocab, error))
    return FALSE;

  add_tensor (tensors, g_strdup ("token_embd.weight"), o->dim, o->vocab, o->type, 1.0);
  add_tensor (tensors, g_strdup ("output_norm.weight"), o->dim, 0, o->type, 0.0);
  /* The kit's 0.3 at dim 256 gives logits of std ~4.8 over the vocabulary
   * (0.3 * sqrt (256)); scaling with 1/sqrt (dim) keeps that at any width. */
  add_tensor (tensors, g_strdup ("output.weight"), o->dim, o->vocab, o->type, 4.8 * s_dim);
  for (int l = 0; l < o->layers; l++)
    {
      add_tensor (tensors, g_strdup_printf ("blk.%d.attn_norm.weight", l), o->dim, 0, o->type, 0.0);
      add_tensor (tensors, g_strdup_printf ("blk.%d.attn_q.weight", l), o->dim, o->dim, o->type, 1.5 * s_dim);
      add_tensor (tensors, g_strdup_printf ("blk.%d.attn_k.weight", l), o->dim, kv_dim, o->type, 1.5 * s_dim);
      add_tensor (tensors, g_strdup_printf ("blk.%d.attn_v.weight", l), o->dim, kv_dim, o->type, s_dim);
      add_tensor (tensors, g_strdup_printf ("blk.%d.attn_output.weight", l), o->dim, o->dim, o->type, s_dim);
      add_tensor (tensors, g_strdup_printf ("blk.%d.ffn_norm.weight", l), o->dim, 0, o->type, 0.0);
      add_tensor (tensors, g_strdup_printf ("blk.%d.ffn_gate.weight", l), o->dim, o->ff, o->type, s_dim);
      add_tensor (tensors, g_strdup_printf ("blk.%d.ffn_down.weight", l), o->ff, o->dim, o->type,
                  1.0 / sqrt (o->ff));
      add_tensor (tensors, g_strdup_printf ("blk.%d.ffn_up.weight", l), o->dim, o->ff, o->type, s_dim);
    }
  for (guint i = 0; i < tensors->len && ok; i++)
    {
      SynthTensor *t = &g_array_index (tensors, SynthTensor, i);

      ok = hearth_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, t->ne, NULL, error);
    }
  if (ok)
    ok = hearth_gguf_writer_begin (w, path, error);
  for (guint i = 0; i < tensors->len && ok; i++)
    {
      SynthTensor *t = &g_array_index (tensors, SynthTensor, i);
      guint64 n = t->ne[0] * t->ne[1];
      Rng rng;

      rng_init (&rng, (guint64) o->seed, i);
      for (guint64 done = 0; done < n && ok; done += chunk_elems)
        {
          gsize k = (gsize) MIN ((guint64) chunk_elems, n - done);

          for (gsize j = 0; j < k; j++)
            {
              double v = t->norm ? 1.0 + 0.1 * rng_normal (&rng) : t->std * rng_normal (&rng);

              f32[j] = round_to_bf16 ((float) v);
            }
          if (t->type == HEARTH_GGML_TYPE_F16)
            {
              for (gsize j = 0; j < k; j++)
                f16[j] = to_fp16 (f32[j]);
              ok = hearth_gguf_writer_write_data (w, f16, k * 2, error);
            }
          else
            ok = hearth_gguf_writer_write_data (w, f32, k * 4, error);
        }
    }
  for (guint i = 0; i < tensors->len; i++)
    g_free (g_array_index (tensors, SynthTensor, i).name);
  return ok && hearth_gguf_writer_finish (w, error);
}

int
hearth_cli_synth_model (int    argc,
                        char **argv)
{
  SynthOptions o = { 1024, 2816, 24, 16, 4, 32000, 2048, 1, HEARTH_GGML_TYPE_F32 };
  g_autofree char *type = NULL;
  g_autofree char *vocab_from = NULL;
  const GOptionEntry entries[] = {
    { "dim", 0, 0, G_OPTION_ARG_INT, &o.dim, "Embedding width (default 1024)", "N" },
    { "ff", 0, 0, G_OPTION_ARG_INT, &o.ff, "Feed-forward width (default 2816)", "N" },
    { "layers", 0, 0, G_OPTION_ARG_INT, &o.layers, "Layers (default 24)", "N" },
    { "heads", 0, 0, G_OPTION_ARG_INT, &o.heads, "Attention heads (default 16)", "N" },
    { "kv-heads", 0, 0, G_OPTION_ARG_INT, &o.kv_heads, "Key/value heads (default 4)", "N" },
    { "vocab", 0, 0, G_OPTION_ARG_INT, &o.vocab, "Vocabulary size (default 32000)", "N" },
    { "ctx", 0, 0, G_OPTION_ARG_INT, &o.ctx, "Context length (default 2048)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o.seed, "Random seed (default 1)", "S" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, "F32 (default) or F16 for the 2-D weights", "T" },
    { "vocab-from", 0, 0, G_OPTION_ARG_FILENAME, &vocab_from,
      "Copy the SentencePiece vocabulary of this GGUF (padded with <unusedN>)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context =
    g_option_context_new ("OUT.gguf - write a random-weight llama model");
  g_autoptr(GError) error = NULL;
  gint64 t0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return hearth_cli_failf ("synth-model takes one output file (see --help)");
  if (type != NULL)
    {
      if (g_ascii_strcasecmp (type, "F32") == 0)
        o.type = HEARTH_GGML_TYPE_F32;
      else if (g_ascii_strcasecmp (type, "F16") == 0)
        o.type = HEARTH_GGML_TYPE_F16;
      else
        return hearth_cli_failf ("--type must be F32 or F16, not '%s'", type);
    }
  if (o.dim <= 0 || o.ff <= 0 || o.layers <= 0 || o.heads <= 0 || o.kv_heads <= 0 || o.vocab <= 0 ||
      o.ctx <= 0 || o.dim % o.heads != 0 || o.heads % o.kv_heads != 0 || (o.dim / o.heads) % 2 != 0)
    return hearth_cli_failf ("the shape must be positive, --dim a multiple of --heads with an even "
                             "head size, and --heads a multiple of --kv-heads");

  t0 = g_get_monotonic_time ();
  if (!write_model (argv[1], &o, vocab_from, &error))
    return hearth_cli_fail (error);
  {
    double n_params = (double) o.vocab * o.dim * 2 + o.dim +
                      (double) o.layers * (2.0 * o.dim * o.dim + 2.0 * o.dim * (o.dim / o.heads * o.kv_heads) +
                                           3.0 * o.dim * o.ff + 2.0 * o.dim);

    printf ("wrote %s: %.1fM parameters (dim %d, ff %d, %d layers, %d/%d heads, vocab %d), %.1f s\n",
            argv[1], n_params / 1e6, o.dim, o.ff, o.layers, o.heads, o.kv_heads, o.vocab,
            (g_get_monotonic_time () - t0) / 1e6);
  }
  return 0;
}
