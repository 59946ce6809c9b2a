/* test-embed.c: encoder embeddings (bert, nomic-bert) against the exact references
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every shared encoder (reference/embedding-tolerances.json) is run on its
 * reference sentences, tokenized by the engine (the ids must equal the
 * reference's), in one batched call and one call per sentence, on the fast
 * and the reference CPU paths; its pooled, normalised vectors must lie within
 * the model's max_abs and max_cosine_distance of *.exact.embeddings.f32, and
 * the per-token states of sentence 0 within hidden_max_abs of
 * *.exact.hidden.f32. A text's vector must not depend on its batch
 * companions (bit for bit on the CPU). Then every pooling type, and hostile
 * input: empty and unknown-only texts, texts past the context, 10,000 texts,
 * broken files.
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static const char *const stems[] = {
  "synth-bert-F32", "synth-bert-Q8_0", "synth-bert-cls-F32", "synth-nomic-bert-F32", "synth-nomic-bert-Q8_0",
};

typedef struct
{
  JsonParser *tol_parser;
  JsonParser *ref_parser;
  JsonObject *tol;        /* this model's entry in embedding-tolerances.json */
  JsonArray  *sentences;
  JsonArray  *token_ids;
  GBytes     *exact;      /* [n_sentences][n_embd] */
  GBytes     *hidden;     /* [n_tokens of sentence 0][n_embd] */
  guint       n_sentences;
  guint       n_embd;
  double      max_abs, max_cos, hidden_max_abs;
} Reference;

static void
reference_load (Reference  *r,
                const char *stem)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tol_path = hearth_test_data_path ("reference", "embedding-tolerances.json", NULL);
  g_autofree char *ref_path = NULL;
  JsonObject *ref;

  memset (r, 0, sizeof *r);
  r->tol_parser = json_parser_new ();
  ck_assert_msg (json_parser_load_from_file (r->tol_parser, tol_path, &error), "%s", error ? error->message : "");
  r->tol = json_object_get_object_member (json_node_get_object (json_parser_get_root (r->tol_parser)), stem);
  ck_assert_msg (r->tol != NULL, "%s: no tolerances", stem);
  r->max_abs = json_object_get_double_member (r->tol, "max_abs");
  r->max_cos = json_object_get_double_member (r->tol, "max_cosine_distance");
  r->hidden_max_abs = json_object_get_double_member (r->tol, "hidden_max_abs");
  r->n_sentences = (guint) json_object_get_int_member (r->tol, "n_sentences");
  r->n_embd = (guint) json_object_get_int_member (r->tol, "n_embd");
  ref_path = hearth_test_data_path ("reference", json_object_get_string_member (r->tol, "reference_json"), NULL);
  r->ref_parser = json_parser_new ();
  ck_assert_msg (json_parser_load_from_file (r->ref_parser, ref_path, &error), "%s", error ? error->message : "");
  ref = json_node_get_object (json_parser_get_root (r->ref_parser));
  r->sentences = json_object_get_array_member (ref, "sentences");
  r->token_ids = json_object_get_array_member (ref, "token_ids");
  ck_assert_uint_eq (json_array_get_length (r->sentences), r->n_sentences);
  r->exact = hearth_test_load_data ("reference", json_object_get_string_member (r->tol, "exact_embeddings"), NULL);
  r->hidden = hearth_test_load_data ("reference", json_object_get_string_member (r->tol, "exact_hidden"), NULL);
  ck_assert_uint_eq (g_bytes_get_size (r->exact), (gsize) r->n_sentences * r->n_embd * sizeof (float));
}

static void
reference_clear (Reference *r)
{
  g_clear_object (&r->tol_parser);
  g_clear_object (&r->ref_parser);
  g_clear_pointer (&r->exact, g_bytes_unref);
  g_clear_pointer (&r->hidden, g_bytes_unref);
}

static HearthModel *
load_model (const char *stem,
            gboolean    reference,
            int         n_threads)
{
  g_autofree char *file = g_strdup_printf ("%s.gguf", stem);
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", file, NULL);
  g_autoptr(GError) error = NULL;
  HearthModelParams mp;
  HearthModel *model;

  hearth_model_params_init (&mp);
  mp.reference = reference;
  mp.n_threads = n_threads;
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s: %s", stem, error ? error->message : "");
  ck_assert (hearth_model_is_encoder (model));
  return model;
}

/* The sentences as a NULL-terminated vector. */
static char **
reference_texts (Reference *r)
{
  char **texts = g_new0 (char *, r->n_sentences + 1);

  for (guint i = 0; i < r->n_sentences; i++)
    texts[i] = g_strdup (json_array_get_string_element (r->sentences, i));
  return texts;
}

/* Vector @v of sentence @i against the exact one. */
static double
check_vector (Reference   *r,
              const char  *label,
              guint        i,
              const float *v)
{
  const float *exact = (const float *) g_bytes_get_data (r->exact, NULL) + (gsize) i * r->n_embd;
  double dot = 0.0, na = 0.0, nb = 0.0, worst = 0.0;

  for (guint c = 0; c < r->n_embd; c++)
    {
      worst = MAX (worst, fabs ((double) v[c] - exact[c]));
      dot += (double) v[c] * exact[c];
      na += (double) v[c] * v[c];
      nb += (double) exact[c] * exact[c];
    }
  ck_assert_msg (worst <= r->max_abs, "%s sentence %u: max |diff| %.3g > %.3g", label, i, worst, r->max_abs);
  ck_assert_msg (1.0 - dot / sqrt (na * nb) <= r->max_cos, "%s sentence %u: cosine distance %.3g > %.3g",
                 label, i, 1.0 - dot / sqrt (na * nb), r->max_cos);
  ck_assert_msg (fabs (sqrt (na) - 1.0) < 1e-5, "%s sentence %u: not unit length (%g)", label, i, sqrt (na));
  return worst;
}

/* Batched and one-by-one calls, tokenization and hidden states of sentence 0. */
static void
check_model_embeddings (const char              *stem,
                        HearthModel             *model,
                        const char              *label)
{
  Reference r;
  g_auto(GStrv) texts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthEmbeddings) all = NULL;
  g_autoptr(HearthEmbeddings) states = NULL;
  HearthEmbedParams ep;
  const float *hidden;
  guint32 n_rows;
  double worst = 0.0, worst_embd = 0.0;

  reference_load (&r, stem);
  texts = reference_texts (&r);
  ck_assert_uint_eq (hearth_model_get_n_embd (model), r.n_embd);

  /* Tokenization: [CLS] ... [SEP], the reference ids. */
  for (guint i = 0; i < r.n_sentences; i++)
    {
      g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
      JsonArray *want = json_array_get_array_element (r.token_ids, i);

      ck_assert (hearth_tokenizer_encode (hearth_model_get_tokenizer (model), texts[i], -1,
                                          HEARTH_TOKENIZE_ADD_SPECIAL, ids, &error));
      ck_assert_uint_eq (ids->len, json_array_get_length (want));
      for (guint k = 0; k < ids->len; k++)
        ck_assert_int_eq (g_array_index (ids, gint32, k), json_array_get_int_element (want, k));
    }

  all = hearth_model_embed (model, (const char *const *) texts, r.n_sentences, NULL, NULL, &error);
  ck_assert_msg (all != NULL, "%s: %s", label, error ? error->message : "");
  ck_assert_uint_eq (hearth_embeddings_get_n_texts (all), r.n_sentences);
  ck_assert_int_eq (hearth_embeddings_get_pooling (all), hearth_model_get_pooling (model));
  ck_assert_uint_eq (hearth_embeddings_get_n_truncated (all), 0);
  for (guint i = 0; i < r.n_sentences; i++)
    {
      g_autofree char *l = g_strdup_printf ("%s %s batched", stem, label);
      g_autoptr(HearthEmbeddings) one = NULL;
      const char *text = texts[i];
      const float *v = hearth_embeddings_get_vector (all, i, &n_rows);

      ck_assert_uint_eq (n_rows, 1);
      ck_assert_uint_eq (hearth_embeddings_get_n_tokens (all, i),
                         json_array_get_length (json_array_get_array_element (r.token_ids, i)));
      worst_embd = MAX (worst_embd, check_vector (&r, l, i, v));

      /* Alone, the same text gives the same vector: nothing leaks between
       * the packed texts. */
      one = hearth_model_embed (model, &text, 1, NULL, NULL, &error);
      ck_assert_msg (one != NULL, "%s", error ? error->message : "");
      ck_assert_msg (memcmp (hearth_embeddings_get_vector (one, 0, NULL), v, r.n_embd * sizeof (float)) == 0,
                     "%s %s: sentence %u alone differs from its batched vector", stem, label, i);
    }

  /* Per-token states of sentence 0 (pooling none, not normalised). */
  hearth_embed_params_init (&ep);
  ep.pooling = HEARTH_POOLING_NONE;
  ep.no_normalize = TRUE;
  states = hearth_model_embed (model, (const char *const *) texts, 1, &ep, NULL, &error);
  ck_assert_msg (states != NULL, "%s", error ? error->message : "");
  hidden = hearth_embeddings_get_vector (states, 0, &n_rows);
  ck_assert_uint_eq ((gsize) n_rows * r.n_embd * sizeof (float), g_bytes_get_size (r.hidden));
  for (gsize k = 0; k < (gsize) n_rows * r.n_embd; k++)
    worst = MAX (worst, fabs (hidden[k] - ((const float *) g_bytes_get_data (r.hidden, NULL))[k]));
  ck_assert_msg (worst <= r.hidden_max_abs, "%s %s: hidden states max |diff| %.3g > %.3g",
                 stem, label, worst, r.hidden_max_abs);
  g_print ("%-22s %s: embeddings max |diff| %.2g (bound %.2g), hidden states %.2g (bound %.2g)\n",
           stem, label, worst_embd, r.max_abs, worst, r.hidden_max_abs);
  reference_clear (&r);
}

START_TEST (test_exact_fast)
{
  g_autoptr(HearthModel) model = load_model (stems[_i], FALSE, 2);

  check_model_embeddings (stems[_i], model, "fast t=2");
}
END_TEST

START_TEST (test_exact_reference)
{
  g_autoptr(HearthModel) model = load_model (stems[_i], TRUE, 1);

  check_model_embeddings (stems[_i], model, "reference");
}
END_TEST

/* Packing limits (texts per pass, tokens per pass) change nothing. */
START_TEST (test_batch_limits)
{
  Reference r;
  g_autoptr(HearthModel) model = load_model ("synth-nomic-bert-Q8_0", FALSE, 2);
  g_auto(GStrv) texts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthEmbeddings) a = NULL;
  g_autoptr(HearthEmbeddings) b = NULL;
  HearthEmbedParams ep;

  reference_load (&r, "synth-nomic-bert-Q8_0");
  texts = reference_texts (&r);
  a = hearth_model_embed (model, (const char *const *) texts, r.n_sentences, NULL, NULL, &error);
  ck_assert_ptr_nonnull (a);
  hearth_embed_params_init (&ep);
  ep.n_batch = 3;
  ep.n_batch_tokens = 1; /* raised to the context: one context per pass */
  b = hearth_model_embed (model, (const char *const *) texts, r.n_sentences, &ep, NULL, &error);
  ck_assert_ptr_nonnull (b);
  for (guint i = 0; i < r.n_sentences; i++)
    ck_assert (memcmp (hearth_embeddings_get_vector (a, i, NULL), hearth_embeddings_get_vector (b, i, NULL),
                       r.n_embd * sizeof (float)) == 0);
  reference_clear (&r);
}
END_TEST

/* Every pooling type equals pooling the per-token states by hand; the
 * file's own pooling against the exact vectors is checked above. */
START_TEST (test_pooling_types)
{
  static const char *const pool_stems[] = { "synth-bert-F32", "synth-bert-cls-F32", "synth-nomic-bert-F32" };
  Reference r;
  g_autoptr(HearthModel) model = load_model (pool_stems[_i], FALSE, 2);
  g_auto(GStrv) texts = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthEmbeddings) states = NULL;
  HearthEmbedParams ep;
  const float *exact_hidden;
  guint n_hidden;

  reference_load (&r, pool_stems[_i]);
  texts = reference_texts (&r);
  hearth_embed_params_init (&ep);
  ep.pooling = HEARTH_POOLING_NONE;
  ep.no_normalize = TRUE;
  states = hearth_model_embed (model, (const char *const *) texts, r.n_sentences, &ep, NULL, &error);
  ck_assert_ptr_nonnull (states);
  exact_hidden = g_bytes_get_data (r.hidden, NULL);
  n_hidden = (guint) (g_bytes_get_size (r.hidden) / sizeof (float) / r.n_embd);

  for (HearthPooling p = HEARTH_POOLING_MEAN; p <= HEARTH_POOLING_LAST; p++)
    {
      g_autoptr(HearthEmbeddings) pooled = NULL;

      ep.pooling = p;
      ep.no_normalize = FALSE;
      pooled = hearth_model_embed (model, (const char *const *) texts, r.n_sentences, &ep, NULL, &error);
      ck_assert_ptr_nonnull (pooled);
      ck_assert_int_eq (hearth_embeddings_get_pooling (pooled), p);
      for (guint i = 0; i < r.n_sentences; i++)
        {
          guint32 n;
          const float *h = hearth_embeddings_get_vector (states, i, &n);
          const float *v = hearth_embeddings_get_vector (pooled, i, NULL);
          g_autofree double *want = g_new0 (double, r.n_embd);
          double norm = 0.0;

          for (guint c = 0; c < r.n_embd; c++)
            {
              if (p == HEARTH_POOLING_MEAN)
                {
                  for (guint t = 0; t < n; t++)
                    want[c] += h[(gsize) t * r.n_embd + c];
                  want[c] /= n;
                }
              else
                want[c] = h[(gsize) (p == HEARTH_POOLING_CLS ? 0 : n - 1) * r.n_embd + c];
              norm += want[c] * want[c];
            }
          for (guint c = 0; c < r.n_embd; c++)
            ck_assert_msg (fabs (v[c] - want[c] / sqrt (norm)) < 1e-6, "%s %s sentence %u component %u",
                           pool_stems[_i], hearth_pooling_name (p), i, c);

          /* Sentence 0 against the exact states, pooled the same way. */
          if (i == 0 && p != HEARTH_POOLING_MEAN)
            {
              const float *e = exact_hidden + (gsize) (p == HEARTH_POOLING_CLS ? 0 : n_hidden - 1) * r.n_embd;
              double en = 0.0;

              for (guint c = 0; c < r.n_embd; c++)
                en += (double) e[c] * e[c];
              for (guint c = 0; c < r.n_embd; c++)
                ck_assert_msg (fabs (v[c] - e[c] / sqrt (en)) <= r.hidden_max_abs / sqrt (en) * 2,
                               "%s %s: sentence 0 component %u off the exact states", pool_stems[_i],
                               hearth_pooling_name (p), c);
            }
        }
    }
  reference_clear (&r);
}
END_TEST

START_TEST (test_hostile_texts)
{
  g_autoptr(HearthModel) model = load_model ("synth-nomic-bert-Q8_0", FALSE, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) longtext = g_string_new (NULL);
  const char *texts[4];
  g_autoptr(HearthEmbeddings) res = NULL;
  HearthTokenizer *tok = hearth_model_get_tokenizer (model);
  guint32 n_rows;

  for (int i = 0; i < 600; i++)
    g_string_append (longtext, "passage ");
  texts[0] = "";
  texts[1] = "\xf0\x9f\x99\x82 \xf0\x9f\x8e\x89"; /* two emoji: unknown to the vocabulary */
  texts[2] = longtext->str;
  texts[3] = "\xff\xfe broken utf-8";
  res = hearth_model_embed (model, texts, G_N_ELEMENTS (texts), NULL, NULL, &error);
  ck_assert_msg (res != NULL, "%s", error ? error->message : "");
  /* empty: [CLS] [SEP] */
  ck_assert_uint_eq (hearth_embeddings_get_n_tokens (res, 0), 2);
  /* unknown only: [CLS] [UNK] [UNK] [SEP] */
  ck_assert_uint_eq (hearth_embeddings_get_n_tokens (res, 1), 4);
  /* too long: cut to the context, still ending in [SEP], and said so */
  ck_assert_uint_eq (hearth_embeddings_get_n_tokens (res, 2), hearth_model_get_n_ctx_train (model));
  ck_assert_uint_eq (hearth_embeddings_get_n_tokens_full (res, 2), 602);
  ck_assert (hearth_embeddings_is_truncated (res, 2));
  ck_assert (!hearth_embeddings_is_truncated (res, 0));
  ck_assert_uint_eq (hearth_embeddings_get_n_truncated (res), 1);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const float *v = hearth_embeddings_get_vector (res, i, &n_rows);
      double norm = 0.0;

      for (guint c = 0; c < hearth_model_get_n_embd (model); c++)
        {
          ck_assert (isfinite (v[c]));
          norm += (double) v[c] * v[c];
        }
      ck_assert_msg (fabs (norm - 1.0) < 1e-5, "text %u: norm %g", i, norm);
    }
  (void) tok;

  /* The truncated text equals its first 510 pieces embedded as tokens. */
  {
    g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_autoptr(GPtrArray) seqs = g_ptr_array_new ();
    g_autoptr(HearthEmbeddings) cut = NULL;
    gint32 sep = hearth_tokenizer_get_sep (tok);

    ck_assert (hearth_tokenizer_encode (tok, longtext->str, -1, HEARTH_TOKENIZE_ADD_SPECIAL, ids, &error));
    g_array_set_size (ids, hearth_model_get_n_ctx_train (model) - 1);
    g_array_append_val (ids, sep);
    g_ptr_array_add (seqs, ids);
    cut = hearth_model_embed_tokens (model, seqs, NULL, NULL, &error);
    ck_assert_ptr_nonnull (cut);
    ck_assert (memcmp (hearth_embeddings_get_vector (cut, 0, NULL), hearth_embeddings_get_vector (res, 2, NULL),
                       hearth_model_get_n_embd (model) * sizeof (float)) == 0);
  }

  /* Zero texts: an empty result. */
  {
    g_autoptr(HearthEmbeddings) none = hearth_model_embed (model, NULL, 0, NULL, NULL, &error);

    ck_assert_ptr_nonnull (none);
    ck_assert_uint_eq (hearth_embeddings_get_n_texts (none), 0);
  }

  /* A NULL text, a bad id, an empty sequence: INVALID_ARGUMENT. */
  {
    const char *bad[] = { "fine", NULL };
    g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
    g_autoptr(GPtrArray) seqs = g_ptr_array_new ();
    gint32 id = 1 << 30;

    ck_assert_ptr_null (hearth_model_embed (model, bad, 2, NULL, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_ptr_array_add (seqs, ids);
    ck_assert_ptr_null (hearth_model_embed_tokens (model, seqs, NULL, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_array_append_val (ids, id);
    ck_assert_ptr_null (hearth_model_embed_tokens (model, seqs, NULL, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }

  /* A cancelled call stops with CANCELLED. */
  {
    g_autoptr(GCancellable) c = g_cancellable_new ();
    const char *one = "x";

    g_cancellable_cancel (c);
    ck_assert_ptr_null (hearth_model_embed (model, &one, 1, NULL, c, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_CANCELLED);
  }
}
END_TEST

/* 10,000 texts in one call (1,000 in the sanitizer build): packed passes,
 * every vector the same as the text alone. */
START_TEST (test_many_texts)
{
  g_autoptr(HearthModel) model = load_model ("synth-bert-Q8_0", FALSE, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HearthEmbeddings) res = NULL;
  guint n_embd = hearth_model_get_n_embd (model);
  /* Still many packed passes in the sanitizer build. */
  guint n = hearth_test_sanitized () ? 1000 : 10000;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (texts, g_strdup_printf ("doc %u", i % 7));
  res = hearth_model_embed (model, (const char *const *) texts->pdata, texts->len, NULL, NULL, &error);
  ck_assert_msg (res != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (hearth_embeddings_get_n_texts (res), n);
  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(HearthEmbeddings) one = hearth_model_embed (model, (const char *const *) &texts->pdata[i], 1,
                                                            NULL, NULL, &error);

      for (guint k = i; k < n; k += 7)
        ck_assert_msg (memcmp (hearth_embeddings_get_vector (one, 0, NULL), hearth_embeddings_get_vector (res, k, NULL),
                               n_embd * sizeof (float)) == 0, "text %u", k);
    }
}
END_TEST

/* Rewrites @stem's file into @dst, leaving out key @drop and giving tensor
 * @reshape the transposed shape. */
static void
write_variant (const char *stem,
               const char *dst,
               const char *drop,
               const char *reshape)
{
  g_autofree char *file = g_strdup_printf ("%s.gguf", stem);
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) src = hearth_gguf_open (path, &error);
  g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();

  ck_assert_ptr_nonnull (src);
  for (guint64 i = 0; i < hearth_gguf_get_n_kv (src); i++)
    if (drop == NULL || strcmp (hearth_gguf_get_key (src, i), drop) != 0)
      hearth_gguf_writer_add_value (w, hearth_gguf_get_key (src, i), hearth_gguf_get_value_at (src, i));
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (src); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (src, i);
      guint64 ne[4] = { t->ne[0], t->ne[1], t->ne[2], t->ne[3] };

      if (reshape != NULL && strcmp (t->name, reshape) == 0)
        {
          ne[0] = t->ne[1];
          ne[1] = t->ne[0];
        }
      ck_assert (hearth_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, ne, t->data, &error));
    }
  ck_assert_msg (hearth_gguf_writer_write_file (w, dst, &error), "%s", error ? error->message : "");
}

START_TEST (test_hostile_files)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-embed-XXXXXX", NULL);
  g_autofree char *nopool_nomic = g_build_filename (dir, "nopool-nomic.gguf", NULL);
  g_autofree char *nopool_bert = g_build_filename (dir, "nopool-bert.gguf", NULL);
  g_autofree char *shape = g_build_filename (dir, "shape.gguf", NULL);
  g_autofree char *decoder = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  const char *text = "hello";

  /* nomic-bert must state its pooling: the load fails, naming the key. */
  write_variant ("synth-nomic-bert-Q8_0", nopool_nomic, "nomic-bert.pooling_type", NULL);
  ck_assert_ptr_null (hearth_model_load (nopool_nomic, NULL, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_NOT_FOUND);
  ck_assert (strstr (error->message, "nomic-bert.pooling_type") != NULL);
  g_clear_error (&error);

  /* A bert file without it loads, and embeds once the caller names a pooling. */
  write_variant ("synth-bert-Q8_0", nopool_bert, "bert.pooling_type", NULL);
  {
    g_autoptr(HearthModel) m = hearth_model_load (nopool_bert, NULL, &error);
    g_autoptr(HearthEmbeddings) res = NULL;
    HearthEmbedParams ep;

    ck_assert_ptr_nonnull (m);
    ck_assert_int_eq (hearth_model_get_pooling (m), HEARTH_POOLING_MODEL);
    ck_assert_ptr_null (hearth_model_embed (m, &text, 1, NULL, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    hearth_embed_params_init (&ep);
    ep.pooling = HEARTH_POOLING_MEAN;
    res = hearth_model_embed (m, &text, 1, &ep, NULL, &error);
    ck_assert_ptr_nonnull (res);
  }

  /* A matrix of the wrong shape: SHAPE, naming the tensor. */
  write_variant ("synth-bert-F32", shape, NULL, "blk.1.ffn_up.weight");
  ck_assert_ptr_null (hearth_model_load (shape, NULL, &error));
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_SHAPE);
  ck_assert (strstr (error->message, "blk.1.ffn_up.weight") != NULL);
  g_clear_error (&error);

  /* Decoders do not embed; encoders do not decode. */
  {
    g_autoptr(HearthModel) dec = hearth_model_load (decoder, NULL, &error);
    g_autoptr(HearthModel) enc = load_model ("synth-bert-F32", FALSE, 1);

    ck_assert (!hearth_model_is_encoder (dec));
    ck_assert_ptr_null (hearth_model_embed (dec, &text, 1, NULL, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNSUPPORTED);
    g_clear_error (&error);
    ck_assert_ptr_null (hearth_session_new (enc, NULL, &error));
    hearth_assert_error (error, HEARTH_ENGINE_ERROR_UNSUPPORTED);
  }
  hearth_test_rm_rf (dir);
}
END_TEST

static Suite *
embed_suite (void)
{
  Suite *s = suite_create ("embed");
  TCase *tc = tcase_create ("cpu");

  tcase_set_timeout (tc, 600);
  tcase_add_loop_test (tc, test_exact_fast, 0, G_N_ELEMENTS (stems));
  /* The scalar reference kernels under the sanitizers take minutes per
   * model: there the F32 and Q8_0 kernels run once each (synth-bert); the
   * plain build runs the reference on every model. */
  tcase_add_loop_test (tc, test_exact_reference, 0, hearth_test_sanitized () ? 2 : G_N_ELEMENTS (stems));
  tcase_add_test (tc, test_batch_limits);
  tcase_add_loop_test (tc, test_pooling_types, 0, 3);
  tcase_add_test (tc, test_hostile_texts);
  tcase_add_test (tc, test_many_texts);
  tcase_add_test (tc, test_hostile_files);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (embed_suite ());
}
