/* test-arch-variants.c: what the new architectures' files may ask for and
 * no shared reference carries, checked by equivalences
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LongRoPE (Phi-3.5, Phi-4-mini): a variant of synth-phi3-F32 with factor
 * tables against another file whose logits must then be the same, on the
 * reference path:
 *   - a short table of ones below the original context is no scaling at all
 *     (bit for bit), and a long table of twos past it is linear scaling by 2
 *     (bit for bit: dividing by 2 and multiplying by 0.5 are exact);
 *   - a table of unequal divisors is applied per dimension pair exactly as
 *     a rope_freqs table is (llama 3's, checked against llama.cpp);
 *   - the magnitude a (rope.scaling.attn_factor) multiplies the rotated q
 *     and k, so each score by a^2: the same as the q rows of attn_qkv
 *     multiplied by a^2 (within float rounding), and absent it is computed
 *     as sqrt (1 + ln (s) / ln (original)).
 * And the backends agree: the fast CPU path and Vulkan within the model's
 * bounds of the reference path's logits.
 *
 * Gemma 2's soft-capping in a gemma3 file (synth-gemma3-F32 with the keys):
 * the logits' cap is c tanh (x / c) of the uncapped logits, computed here
 * from them; a cap on the attention scores far above them changes nothing,
 * a low one changes the logits the same way on every backend (the kernel
 * itself is checked against the formula in test-vulkan.c).
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test-logits.h"
#include "hearth-test-vulkan.h"

#define HALF 16 /* synth-phi3: 32 rope dimensions */
#define PHI3 "synth-phi3-F32"
#define GEMMA3 "synth-gemma3-F32"

typedef struct
{
  const float *short_f, *long_f;  /* LongRoPE tables, or NULL */
  const float *freqs;             /* a rope_freqs table, or NULL */
  guint32      orig;              /* rope.scaling.original_context_length (0: none) */
  float        attn_factor;       /* rope.scaling.attn_factor (0: none) */
  float        linear;            /* rope.scaling.type linear with this factor (0: none) */
  float        q_scale;           /* the q rows of attn_qkv times this (0: unchanged) */
  float        attn_softcap;      /* gemma3.attn_logit_softcapping (0: none) */
  float        final_softcap;     /* gemma3.final_logit_softcapping (0: none) */
} Variant;

/* A copy of synthetic/@stem.gguf with @v's keys and tensors. */
static char *
write_variant (const char    *dir,
               const char    *stem,
               const char    *name,
               const Variant *v)
{
  g_autofree char *file = g_strconcat (stem, ".gguf", NULL);
  g_autofree char *src_path = hearth_test_data_path ("models", "synthetic", file, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) src = hearth_gguf_open (src_path, &error);
  g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func (g_free);
  char *path = g_build_filename (dir, name, NULL);
  const guint64 ne_table[4] = { HALF, 1, 1, 1 };

  ck_assert_ptr_nonnull (src);
  hearth_gguf_writer_copy_metadata (w, src);
  if (v->orig)
    hearth_gguf_writer_add_uint32 (w, "phi3.rope.scaling.original_context_length", v->orig);
  if (v->attn_factor > 0)
    hearth_gguf_writer_add_float32 (w, "phi3.rope.scaling.attn_factor", v->attn_factor);
  if (v->attn_softcap > 0)
    hearth_gguf_writer_add_float32 (w, "gemma3.attn_logit_softcapping", v->attn_softcap);
  if (v->final_softcap > 0)
    hearth_gguf_writer_add_float32 (w, "gemma3.final_logit_softcapping", v->final_softcap);
  if (v->linear > 0)
    {
      hearth_gguf_writer_add_string (w, "phi3.rope.scaling.type", "linear");
      hearth_gguf_writer_add_float32 (w, "phi3.rope.scaling.factor", v->linear);
    }
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (src); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (src, i);
      guint64 ne[4] = { t->ne[0], t->ne[1], t->ne[2], t->ne[3] };
      const void *data = t->data;

      if (v->q_scale > 0 && g_str_has_suffix (t->name, ".attn_qkv.weight"))
        {
          /* [q; k; v] rows of n_embd F32: q is the first n_embd rows. */
          float *copy = g_memdup2 (t->data, t->n_bytes);

          ck_assert_int_eq (t->type, HEARTH_GGML_TYPE_F32);
          for (guint64 j = 0; j < t->ne[0] * t->ne[0]; j++)
            copy[j] *= v->q_scale;
          g_ptr_array_add (buffers, copy);
          data = copy;
        }
      ck_assert (hearth_gguf_writer_add_tensor (w, t->name, t->type, t->n_dims, ne, data, &error));
    }
  if (v->short_f)
    ck_assert (hearth_gguf_writer_add_tensor (w, "rope_factors_short.weight", HEARTH_GGML_TYPE_F32, 1, ne_table,
                                              v->short_f, &error));
  if (v->long_f)
    ck_assert (hearth_gguf_writer_add_tensor (w, "rope_factors_long.weight", HEARTH_GGML_TYPE_F32, 1, ne_table,
                                              v->long_f, &error));
  if (v->freqs)
    ck_assert (hearth_gguf_writer_add_tensor (w, "rope_freqs.weight", HEARTH_GGML_TYPE_F32, 1, ne_table, v->freqs,
                                              &error));
  ck_assert_msg (hearth_gguf_writer_write_file (w, path, &error), "%s", error ? error->message : "");
  return path;
}

/* All logits of the reference prompt, teacher-forced, in a context of @n_ctx. */
static float *
logits_of (const char *stem,
           const char *path,
           guint32     n_ctx,
           gboolean    reference,
           gboolean    vulkan,
           gsize      *n_out)
{
  g_autofree char *model_rel = NULL;
  g_autoptr(GArray) ids = hearth_test_all_ids_for (stem, &model_rel);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthModel) model = NULL;
  g_autoptr(HearthSession) session = NULL;
  HearthModelParams mp;
  HearthSessionParams sp;
  guint n_vocab;
  float *out;

  hearth_model_params_init (&mp);
  mp.reference = reference;
  mp.n_threads = reference ? 1 : 2;
  if (vulkan)
    {
      mp.backend = HEARTH_BACKEND_VULKAN;
      mp.n_gpu_layers = -1;
    }
  model = hearth_model_load (path, &mp, &error);
  ck_assert_msg (model != NULL, "%s", error ? error->message : "");
  hearth_session_params_init (&sp);
  sp.n_ctx = n_ctx;
  /* An f32 cache everywhere: an f16 one rounds a scaled k differently,
   * and the magnitude (1.35 here, 1.83 on the scores) magnifies that. */
  sp.kv_f32 = TRUE;
  session = hearth_session_new (model, &sp, &error);
  ck_assert_msg (session != NULL, "%s", error ? error->message : "");
  ck_assert (hearth_session_decode (session, (const gint32 *) ids->data, ids->len, TRUE, NULL, &error));
  n_vocab = hearth_model_get_n_vocab (model);
  *n_out = (gsize) ids->len * n_vocab;
  out = g_new (float, *n_out);
  for (guint p = 0; p < ids->len; p++)
    memcpy (out + (gsize) p * n_vocab, hearth_session_get_logits (session, (int) p), n_vocab * sizeof (float));
  return out;
}

static float
max_diff (const float *a,
          const float *b,
          gsize        n)
{
  float worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabsf (a[i] - b[i]));
  return worst;
}

static float ones[HALF], twos[HALF], ramp[HALF];

static void
fill_tables (void)
{
  for (guint i = 0; i < HALF; i++)
    {
      ones[i] = 1.0f;
      twos[i] = 2.0f;
      ramp[i] = 1.0f + 3.0f * (float) i / HALF; /* 1 .. 2.8: every pair its own */
    }
}

/* The table by the session's context, and against the scalings it equals. */
START_TEST (test_tables)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-longrope-XXXXXX", NULL);
  g_autofree char *plain = hearth_test_data_path ("models", "synthetic", "synth-phi3-F32.gguf", NULL);
  g_autofree char *lr = NULL, *linear = NULL, *per_pair = NULL, *freqs = NULL;
  g_autofree float *a = NULL, *b = NULL;
  gsize n, m;

  fill_tables ();
  lr = write_variant (dir, PHI3, "lr.gguf", &(Variant) { .short_f = ones, .long_f = twos, .orig = 64, .attn_factor = 1.0f });
  linear = write_variant (dir, PHI3, "linear.gguf", &(Variant) { .linear = 2.0f });

  /* 64 positions: not past the original context, the short table. */
  a = logits_of (PHI3, lr, 64, TRUE, FALSE, &n);
  b = logits_of (PHI3, plain, 64, TRUE, FALSE, &m);
  ck_assert_uint_eq (n, m);
  ck_assert_msg (memcmp (a, b, n * sizeof (float)) == 0, "short table of ones: %g", max_diff (a, b, n));
  g_clear_pointer (&a, g_free);
  g_clear_pointer (&b, g_free);
  /* 128 positions: past it, the long table. */
  a = logits_of (PHI3, lr, 128, TRUE, FALSE, &n);
  b = logits_of (PHI3, linear, 128, TRUE, FALSE, &m);
  ck_assert_msg (memcmp (a, b, n * sizeof (float)) == 0, "long table of twos: %g", max_diff (a, b, n));
  g_clear_pointer (&a, g_free);
  g_clear_pointer (&b, g_free);

  /* Unequal divisors per pair, as a rope_freqs table applies them. */
  per_pair = write_variant (dir, PHI3, "ramp.gguf", &(Variant) { .short_f = ramp, .long_f = twos, .orig = 64, .attn_factor = 1.0f });
  freqs = write_variant (dir, PHI3, "freqs.gguf", &(Variant) { .freqs = ramp });
  a = logits_of (PHI3, per_pair, 64, TRUE, FALSE, &n);
  b = logits_of (PHI3, freqs, 64, TRUE, FALSE, &m);
  ck_assert_msg (memcmp (a, b, n * sizeof (float)) == 0, "per-pair divisors: %g", max_diff (a, b, n));
  /* ... and they matter: the plain model differs. */
  g_clear_pointer (&b, g_free);
  b = logits_of (PHI3, plain, 64, TRUE, FALSE, &m);
  ck_assert_float_gt (max_diff (a, b, n), 1e-3f);

  for (const char *const *p = (const char *const[]) { lr, linear, per_pair, freqs, NULL }; *p; p++)
    g_unlink (*p);
  g_rmdir (dir);
}
END_TEST

/* The magnitude: scores times a^2, as q times a^2 gives; and its default. */
START_TEST (test_attn_factor)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-longrope-XXXXXX", NULL);
  const float a_factor = 1.25f;
  /* n_ctx_train 2048 over an original 64: s = 32. */
  const float computed = (float) sqrt (1.0 + log (32.0) / log (64.0));
  g_autofree char *scaled = NULL, *q_scaled = NULL, *given = NULL, *absent = NULL;
  g_autofree float *a = NULL, *b = NULL;
  gsize n, m;
  float d;

  fill_tables ();
  scaled = write_variant (dir, PHI3, "scaled.gguf", &(Variant) { .short_f = ones, .long_f = ones, .orig = 64,
                                                          .attn_factor = a_factor });
  q_scaled = write_variant (dir, PHI3, "q.gguf", &(Variant) { .short_f = ones, .long_f = ones, .orig = 64, .attn_factor = 1.0f,
                                                      .q_scale = a_factor * a_factor });
  a = logits_of (PHI3, scaled, 64, TRUE, FALSE, &n);
  b = logits_of (PHI3, q_scaled, 64, TRUE, FALSE, &m);
  d = max_diff (a, b, n);
  g_print ("attn_factor %.2f against q x %.4f: max abs %.2g\n", a_factor, a_factor * a_factor, d);
  ck_assert_msg (d <= 1e-4f, "attn_factor: %g", d);
  g_clear_pointer (&a, g_free);
  g_clear_pointer (&b, g_free);

  given = write_variant (dir, PHI3, "given.gguf", &(Variant) { .short_f = ramp, .long_f = twos, .orig = 64,
                                                       .attn_factor = computed });
  absent = write_variant (dir, PHI3, "absent.gguf", &(Variant) { .short_f = ramp, .long_f = twos, .orig = 64 });
  a = logits_of (PHI3, given, 64, TRUE, FALSE, &n);
  b = logits_of (PHI3, absent, 64, TRUE, FALSE, &m);
  ck_assert_msg (memcmp (a, b, n * sizeof (float)) == 0, "default attn_factor: %g", max_diff (a, b, n));

  for (const char *const *p = (const char *const[]) { scaled, q_scaled, given, absent, NULL }; *p; p++)
    g_unlink (*p);
  g_rmdir (dir);
}
END_TEST

/* The fast CPU path and Vulkan (lavapipe) run the same tables: within the
 * model's bounds of the reference path, both tables and the magnitude. */
START_TEST (test_backends)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-longrope-XXXXXX", NULL);
  g_autofree char *path = NULL;
  HearthTestBounds bounds = hearth_test_bounds_for ("synth-phi3-F32");

  fill_tables ();
  path = write_variant (dir, PHI3, "lr.gguf", &(Variant) { .short_f = ramp, .long_f = twos, .orig = 64 });
  for (guint32 n_ctx = 64; n_ctx <= 128; n_ctx += 64)
    {
      g_autofree float *ref = NULL, *fast = NULL, *vk = NULL;
      gsize n, m;

      ref = logits_of (PHI3, path, n_ctx, TRUE, FALSE, &n);
      fast = logits_of (PHI3, path, n_ctx, FALSE, FALSE, &m);
      vk = logits_of (PHI3, path, n_ctx, FALSE, TRUE, &m);
      g_print ("LongRoPE n_ctx %u: fast %.4f, vulkan %.4f from the reference path (bound %.3g)\n", n_ctx,
               max_diff (fast, ref, n), max_diff (vk, ref, n), bounds.max_abs);
      ck_assert_float_le (max_diff (fast, ref, n), bounds.max_abs);
      ck_assert_float_le (max_diff (vk, ref, n), bounds.max_abs);
    }
  g_unlink (path);
  g_rmdir (dir);
}
END_TEST

/* Hostile tables: one of the two, a wrong length, a zero divisor, an
 * original context past the model's. */
START_TEST (test_refused)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-longrope-XXXXXX", NULL);
  static float zero_at_3[HALF];
  const struct
  {
    Variant v;
    HearthEngineError code;
    const char *says;
  } cases[] = {
    { { .long_f = twos }, HEARTH_ENGINE_ERROR_NOT_FOUND, "rope_factors_short.weight is missing" },
    { { .short_f = ones }, HEARTH_ENGINE_ERROR_NOT_FOUND, "rope_factors_long.weight is missing" },
    { { .short_f = ones, .long_f = zero_at_3 }, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "rope_factors_long.weight[3] is 0" },
    { { .short_f = ones, .long_f = twos, .orig = 4096 }, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
      "original_context_length is 4096" },
    { { .short_f = ones, .long_f = twos, .linear = 2.0f }, HEARTH_ENGINE_ERROR_UNSUPPORTED, "LongRoPE" },
    { { .freqs = zero_at_3 }, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "rope_freqs.weight[3] is 0" },
  };

  fill_tables ();
  for (guint i = 0; i < HALF; i++)
    zero_at_3[i] = i == 3 ? 0.0f : 1.0f;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_variant (dir, PHI3, "bad.gguf", &cases[i].v);
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthModel) model = hearth_model_load (path, NULL, &error);

      ck_assert_ptr_null (model);
      hearth_assert_error (error, cases[i].code);
      ck_assert_msg (strstr (error->message, cases[i].says) != NULL, "'%s' does not say '%s'", error->message,
                     cases[i].says);
      g_unlink (path);
    }
  g_rmdir (dir);
}
END_TEST

/* ---- soft-capping (gemma3 files asking for Gemma 2's) ---- */

START_TEST (test_final_softcap)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-softcap-XXXXXX", NULL);
  g_autofree char *plain = hearth_test_data_path ("models", "synthetic", "synth-gemma3-F32.gguf", NULL);
  g_autofree char *capped = write_variant (dir, GEMMA3, "capped.gguf", &(Variant) { .final_softcap = 3.0f });

  for (int vulkan = 0; vulkan <= 1; vulkan++)
    {
      g_autofree float *a = NULL, *b = NULL;
      gsize n, m;
      float worst = 0, largest = 0;

      a = logits_of (GEMMA3, capped, 128, FALSE, vulkan, &n);
      b = logits_of (GEMMA3, plain, 128, FALSE, vulkan, &m);
      ck_assert_uint_eq (n, m);
      for (gsize i = 0; i < n; i++)
        {
          worst = MAX (worst, fabsf (a[i] - 3.0f * tanhf (b[i] / 3.0f)));
          largest = MAX (largest, fabsf (b[i]));
        }
      g_print ("final soft-cap 3 (%s): max abs %.2g from 3 tanh (x / 3); uncapped logits reach %.2f\n",
               vulkan ? "vulkan" : "cpu", worst, largest);
      ck_assert_float_le (worst, 1e-5f);
      ck_assert_float_gt (largest, 3.0f); /* the cap bites */
    }
  g_unlink (capped);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_attn_softcap)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-softcap-XXXXXX", NULL);
  g_autofree char *plain = hearth_test_data_path ("models", "synthetic", "synth-gemma3-F32.gguf", NULL);
  g_autofree char *loose = write_variant (dir, GEMMA3, "loose.gguf", &(Variant) { .attn_softcap = 1e4f });
  g_autofree char *tight = write_variant (dir, GEMMA3, "tight.gguf", &(Variant) { .attn_softcap = 0.5f });
  g_autofree float *a = NULL, *b = NULL, *fast = NULL, *vk = NULL;
  HearthTestBounds bounds = hearth_test_bounds_for (GEMMA3);
  gsize n, m;

  /* Far above every score: as if there were none. */
  a = logits_of (GEMMA3, loose, 128, TRUE, FALSE, &n);
  b = logits_of (GEMMA3, plain, 128, TRUE, FALSE, &m);
  ck_assert_float_le (max_diff (a, b, n), 1e-4f);
  g_clear_pointer (&a, g_free);
  /* Low: the logits move, the same way on every path. */
  a = logits_of (GEMMA3, tight, 128, TRUE, FALSE, &n);
  fast = logits_of (GEMMA3, tight, 128, FALSE, FALSE, &m);
  vk = logits_of (GEMMA3, tight, 128, FALSE, TRUE, &m);
  g_print ("attention soft-cap 0.5: %.3f from uncapped; fast %.2g, vulkan %.2g from the reference path\n",
           max_diff (a, b, n), max_diff (fast, a, n), max_diff (vk, a, n));
  ck_assert_float_gt (max_diff (a, b, n), 1e-2f);
  ck_assert_float_le (max_diff (fast, a, n), bounds.max_abs);
  ck_assert_float_le (max_diff (vk, a, n), bounds.max_abs);
  g_unlink (loose);
  g_unlink (tight);
  g_rmdir (dir);
}
END_TEST

static Suite *
arch_variants_suite (void)
{
  Suite *s = suite_create ("arch-variants");
  TCase *tc = tcase_create ("phi3-longrope");

  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_tables);
  tcase_add_test (tc, test_attn_factor);
  tcase_add_test (tc, test_backends);
  tcase_add_test (tc, test_refused);
  suite_add_tcase (s, tc);

  tc = tcase_create ("gemma3-softcap");
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_final_softcap);
  tcase_add_test (tc, test_attn_softcap);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_vulkan_run (arch_variants_suite ());
}
