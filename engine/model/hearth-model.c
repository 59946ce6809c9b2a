/* hearth-model.c: loading llama-family decoders from GGUF
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading checks the architecture, the hyper-parameters and every tensor the
 * forward pass will touch (name, type, shape) before anything runs, so a
 * model that loads can be decoded without further checks.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-model-private.h"
#ifdef HEARTH_HAVE_VULKAN
#include "vulkan/hearth-vk-backend.h"
#endif

typedef struct
{
  const char    *name;
  HearthRopeType rope_type;
} ArchInfo;

/* The decoders this engine runs, with the rope layout each uses. */
static const ArchInfo supported_archs[] = {
  { "llama", HEARTH_ROPE_NORM },
  { "qwen2", HEARTH_ROPE_NEOX },
  { "qwen3", HEARTH_ROPE_NEOX },
  { "phi3", HEARTH_ROPE_NEOX },   /* fused attn_qkv and ffn_up (gate, then up) */
  { "gemma3", HEARTH_ROPE_NEOX }, /* its own graph (hearth-graph-gemma3.c) */
};

void
hearth_model_params_init (HearthModelParams *params)
{
  memset (params, 0, sizeof *params);
  params->backend = HEARTH_BACKEND_CPU;
  params->n_threads = 0;
  params->device_index = -1;
  params->n_gpu_layers = -1;
}

gboolean
hearth_model_get_arch_u32 (HearthModel *m,
                           const char  *suffix,
                           gboolean     required,
                           guint32      fallback,
                           guint32     *out,
                           GError     **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", m->architecture, suffix);

  if (!required)
    return hearth_gguf_get_uint32_or (m->gguf, key, fallback, out, error);
  return hearth_gguf_get_uint32 (m->gguf, key, out, error);
}

gboolean
hearth_model_get_arch_float (HearthModel *m,
                             const char  *suffix,
                             double       fallback,
                             float       *out,
                             GError     **error)
{
  g_autofree char *key = g_strdup_printf ("%s.%s", m->architecture, suffix);
  double d;

  if (!hearth_gguf_get_float_or (m->gguf, key, fallback, &d, error))
    return FALSE;
  *out = (float) d;
  return TRUE;
}

static gboolean
read_rope_scaling (HearthModel *m,
                   GError     **error)
{
  HearthHParams *hp = &m->hp;
  g_autofree char *type_key = g_strdup_printf ("%s.rope.scaling.type", m->architecture);
  g_autofree char *type = NULL;
  float factor = 0.0f;
  guint32 orig_ctx;

  hp->rope_scaling = HEARTH_ROPE_SCALING_NONE;
  hp->rope_freq_scale = 1.0f;
  hp->yarn_ext_factor = 0.0f;
  hp->yarn_attn_factor = 1.0f;
  hp->yarn_beta_fast = 32.0f;
  hp->yarn_beta_slow = 1.0f;

  if (hearth_gguf_find (m->gguf, type_key) != NULL)
    {
      type = hearth_gguf_dup_string (m->gguf, type_key, error);
      if (type == NULL)
        return FALSE;
    }
  if (!hearth_model_get_arch_float (m, "rope.scaling.factor", 0.0, &factor, error))
    return FALSE;
  if (type == NULL || strcmp (type, "none") == 0)
    {
      /* Older files state a linear factor without a type. */
      if (factor > 0.0f && factor != 1.0f)
        {
          hp->rope_scaling = HEARTH_ROPE_SCALING_LINEAR;
          hp->rope_freq_scale = 1.0f / factor;
        }
      return TRUE;
    }
  if (!(factor > 0.0f))
    factor = 1.0f;
  if (strcmp (type, "linear") == 0)
    {
      hp->rope_scaling = HEARTH_ROPE_SCALING_LINEAR;
      hp->rope_freq_scale = 1.0f / factor;
      return TRUE;
    }
  if (strcmp (type, "yarn") == 0)
    {
      hp->rope_scaling = HEARTH_ROPE_SCALING_YARN;
      hp->rope_freq_scale = 1.0f / factor;
      hp->yarn_ext_factor = 1.0f;
      if (!hearth_model_get_arch_u32 (m, "rope.scaling.original_context_length", FALSE, hp->n_ctx_train, &orig_ctx, error) ||
          !hearth_model_get_arch_float (m, "rope.scaling.yarn_beta_fast", 32.0, &hp->yarn_beta_fast, error) ||
          !hearth_model_get_arch_float (m, "rope.scaling.yarn_beta_slow", 1.0, &hp->yarn_beta_slow, error) ||
          !hearth_model_get_arch_float (m, "rope.scaling.attn_factor", 1.0, &hp->yarn_attn_factor, error))
        return FALSE;
      hp->rope_orig_ctx = orig_ctx;
      return TRUE;
    }
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
               "rope scaling type '%s' is not supported (none, linear and yarn are)", type);
  return FALSE;
}

static gboolean
read_hparams (HearthModel *m,
              GError     **error)
{
  HearthHParams *hp = &m->hp;
  guint32 key_len, value_len;

  if (!hearth_model_get_arch_u32 (m, "context_length", TRUE, 0, &hp->n_ctx_train, error) ||
      !hearth_model_get_arch_u32 (m, "embedding_length", TRUE, 0, &hp->n_embd, error) ||
      !hearth_model_get_arch_u32 (m, "block_count", TRUE, 0, &hp->n_layer, error) ||
      !hearth_model_get_arch_u32 (m, "feed_forward_length", TRUE, 0, &hp->n_ff, error) ||
      !hearth_model_get_arch_u32 (m, "attention.head_count", TRUE, 0, &hp->n_head, error))
    return FALSE;
  if (!hearth_model_get_arch_u32 (m, "attention.head_count_kv", FALSE, hp->n_head, &hp->n_head_kv, error))
    return FALSE;
  if (hp->n_embd == 0 || hp->n_layer == 0 || hp->n_ff == 0 || hp->n_head == 0 ||
      hp->n_head_kv == 0 || hp->n_head % hp->n_head_kv != 0 || hp->n_layer > 4096 ||
      hp->n_embd > (1u << 20) || hp->n_ff > (1u << 22) || hp->n_head > 4096)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "implausible hyper-parameters: n_embd %u, n_layer %u, n_ff %u, n_head %u, n_head_kv %u",
                   hp->n_embd, hp->n_layer, hp->n_ff, hp->n_head, hp->n_head_kv);
      return FALSE;
    }
  if (!hearth_model_get_arch_u32 (m, "attention.key_length", FALSE, hp->n_embd / hp->n_head, &key_len, error) ||
      !hearth_model_get_arch_u32 (m, "attention.value_length", FALSE, key_len, &value_len, error))
    return FALSE;
  hp->head_dim = key_len;
  hp->head_dim_v = value_len;
  if (!hearth_model_get_arch_u32 (m, "rope.dimension_count", FALSE, hp->head_dim, &hp->n_rot, error))
    return FALSE;
  if (hp->head_dim == 0 || hp->head_dim_v == 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2 != 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "implausible head sizes: key %u, value %u, rotated %u",
                   hp->head_dim, hp->head_dim_v, hp->n_rot);
      return FALSE;
    }
  if (!hearth_model_get_arch_float (m, "attention.layer_norm_rms_epsilon", 1e-5, &hp->rms_eps, error) ||
      !hearth_model_get_arch_float (m, "rope.freq_base", 10000.0, &hp->rope_freq_base, error))
    return FALSE;
  if (strcmp (m->architecture, "gemma3") == 0)
    {
      hp->embd_scale = sqrtf ((float) hp->n_embd);
      hp->ffn_gelu = TRUE;
      if (!hearth_model_get_arch_float (m, "rope.freq_base_swa", 10000.0, &hp->rope_freq_base_swa, error) ||
          !hearth_model_get_arch_float (m, "attn_logit_softcapping", 0.0, &hp->attn_softcap, error) ||
          !hearth_model_get_arch_float (m, "final_logit_softcapping", 0.0, &hp->final_softcap, error))
        return FALSE;
      if (!(hp->attn_softcap >= 0.0f && isfinite (hp->attn_softcap)) ||
          !(hp->final_softcap >= 0.0f && isfinite (hp->final_softcap)))
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                       "soft-capping must be a positive number (attention %g, logits %g)", hp->attn_softcap,
                       hp->final_softcap);
          return FALSE;
        }
    }
  /* A base of 0, a negative one or NaN would make every angle NaN. */
  if (!(hp->rope_freq_base > 0.0f && isfinite (hp->rope_freq_base)) ||
      !(hp->rope_freq_base_swa == 0.0f || (hp->rope_freq_base_swa > 0.0f && isfinite (hp->rope_freq_base_swa))) ||
      !(hp->rms_eps >= 0.0f && isfinite (hp->rms_eps)))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "implausible rope.freq_base %g, rope.freq_base_swa %g or rms epsilon %g",
                   hp->rope_freq_base, hp->rope_freq_base_swa, hp->rms_eps);
      return FALSE;
    }
  return read_rope_scaling (m, error);
}

/* A table of n_rot/2 F32 divisors of the rope frequencies (@name absent:
 * *out stays NULL). Each must be a positive finite number: a zero or NaN
 * would make every angle of its pair infinite or NaN. */
static gboolean
read_rope_table (HearthModel  *m,
                 const char   *name,
                 const float **out,
                 GError      **error)
{
  const HearthGgufTensor *t = hearth_gguf_find_tensor (m->gguf, name);
  guint32 half = m->hp.n_rot / 2;
  const float *v;

  if (t == NULL)
    return TRUE;
  if (t->type != HEARTH_GGML_TYPE_F32 || t->n_elements != half)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "%s must be %u F32 values (half the rope dimensions)", name, half);
      return FALSE;
    }
  v = (const float *) t->data;
  for (guint32 i = 0; i < half; i++)
    if (!(v[i] > 0.0f) || !isfinite (v[i]))
      {
        g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                     "%s[%u] is %g: a rope frequency divisor must be positive and finite", name, i, v[i]);
        return FALSE;
      }
  *out = v;
  return TRUE;
}

/* LongRoPE (Phi-3.5, Phi-4-mini, as the published model defines it): the
 * short table below the original context, the long one past it, and the
 * cosines and sines scaled by rope.scaling.attn_factor, which converters
 * write as sqrt (1 + ln (s) / ln (original)) with s the context over the
 * original one; computed that way when the key is absent. */
static gboolean
read_longrope (HearthModel *m,
               GError     **error)
{
  HearthHParams *hp = &m->hp;
  guint32 orig;
  double s;

  if (m->rope_factors_short == NULL && m->rope_factors_long == NULL)
    return TRUE;
  if (m->rope_factors_short == NULL || m->rope_factors_long == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "LongRoPE needs both rope_factors_short.weight and rope_factors_long.weight; %s is missing",
                   m->rope_factors_short == NULL ? "rope_factors_short.weight" : "rope_factors_long.weight");
      return FALSE;
    }
  if (m->rope_freqs != NULL || hp->rope_scaling != HEARTH_ROPE_SCALING_NONE)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "LongRoPE factors together with rope_freqs or another rope scaling: not a model this engine knows");
      return FALSE;
    }
  if (!hearth_model_get_arch_u32 (m, "rope.scaling.original_context_length", FALSE, hp->n_ctx_train, &orig, error))
    return FALSE;
  if (orig == 0 || orig > hp->n_ctx_train)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%s.rope.scaling.original_context_length is %u: it must be between 1 and the context length (%u)",
                   m->architecture, orig, hp->n_ctx_train);
      return FALSE;
    }
  hp->rope_orig_ctx = orig;
  s = (double) hp->n_ctx_train / orig;
  if (!hearth_model_get_arch_float (m, "rope.scaling.attn_factor",
                                    s > 1.0 && orig > 1 ? sqrt (1.0 + log (s) / log ((double) orig)) : 1.0,
                                    &m->longrope_mscale, error))
    return FALSE;
  if (!(m->longrope_mscale > 0.0f) || !isfinite (m->longrope_mscale))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%s.rope.scaling.attn_factor %g is not a positive number", m->architecture, m->longrope_mscale);
      return FALSE;
    }
  return TRUE;
}

/* gemma3's sliding layers: with a window n_swa and a pattern P (6 when the
 * key is absent, as in converted Gemma 3 files), layer il slides when
 * il % P < P - 1. The window is required (llama.cpp requires it too): a
 * window of 0 or one wider than the training context is not a Gemma 3
 * file, and refused rather than guessed at. */
static gboolean
read_sliding_window (HearthModel *m,
                     GError     **error)
{
  guint32 n_swa, pattern;

  if (!hearth_model_get_arch_u32 (m, "attention.sliding_window", TRUE, 0, &n_swa, error) ||
      !hearth_model_get_arch_u32 (m, "attention.sliding_window_pattern", FALSE, 6, &pattern, error))
    return FALSE;
  if (n_swa == 0 || n_swa > m->hp.n_ctx_train)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%s.attention.sliding_window is %u: it must be between 1 and the context length (%u)",
                   m->architecture, n_swa, m->hp.n_ctx_train);
      return FALSE;
    }
  if (pattern == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
                   "%s.attention.sliding_window_pattern is 0", m->architecture);
      return FALSE;
    }
  for (guint32 il = 0; il < m->hp.n_layer; il++)
    m->layers[il].n_swa = il % pattern < pattern - 1 ? n_swa : 0;
  return TRUE;
}

/* Looks a tensor up and checks its shape; @ne1 = 0 for a 1-D tensor. */
gboolean
hearth_model_bind_weight (HearthModel  *m,
             HearthWeight *w,
             const char   *name,
             guint64       ne0,
             guint64       ne1,
             gboolean      required,
             GError      **error)
{
  const HearthGgufTensor *t = hearth_gguf_find_tensor (m->gguf, name);
  guint64 row_bytes;
  guint expect_dims = ne1 ? 2 : 1;

  memset (w, 0, sizeof *w);
  if (t == NULL)
    {
      if (!required)
        return TRUE;
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "tensor '%s' is missing", name);
      return FALSE;
    }
  if (t->ne[0] != ne0 || t->ne[1] != (ne1 ? ne1 : 1) || t->ne[2] != 1 || t->ne[3] != 1 ||
      (t->n_dims != expect_dims && !(t->n_dims == 2 && ne1 == 1)))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "tensor '%s' has shape [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "], expected [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                   name, t->ne[0], t->ne[1], t->ne[2], ne0, ne1 ? ne1 : 1);
      return FALSE;
    }
  if (!hearth_cpu_type_supported (t->type))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "tensor '%s' has type %s, which this engine does not compute",
                   name, hearth_ggml_type_name (t->type));
      return FALSE;
    }
  /* Norms and biases are read as plain floats. */
  if (ne1 == 0 && t->type != HEARTH_GGML_TYPE_F32)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "tensor '%s' has type %s; 1-D tensors must be F32",
                   name, hearth_ggml_type_name (t->type));
      return FALSE;
    }
  hearth_ggml_row_size (t->type, t->ne[0], &row_bytes);
  w->type = t->type;
  w->data = t->data;
  w->n_cols = (gint64) t->ne[0];
  w->n_rows = (gint64) t->ne[1];
  w->row_bytes = row_bytes;
  m->n_params += t->n_elements;
  return TRUE;
}

/* Rows [first, first + n) of @all, without a copy: how the fused matrices
 * of phi3 become the q, k, v and gate, up of the llama graph. */
static HearthWeight
weight_rows (const HearthWeight *all,
             gint64              first,
             gint64              n)
{
  HearthWeight w = *all;

  w.data = (const guint8 *) all->data + (gsize) first * all->row_bytes;
  w.n_rows = n;
  return w;
}

/* phi3's attn_qkv ([q; k; v] rows) and ffn_up ([gate; up] rows). */
static gboolean
bind_fused (HearthModel *m,
            HearthLayer *l,
            guint32      il,
            GError     **error)
{
  const HearthHParams *hp = &m->hp;
  gint64 q_dim = (gint64) hp->n_head * hp->head_dim;
  gint64 k_dim = (gint64) hp->n_head_kv * hp->head_dim;
  gint64 v_dim = (gint64) hp->n_head_kv * hp->head_dim_v;
  g_autofree char *qkv_name = g_strdup_printf ("blk.%u.attn_qkv.weight", il);
  g_autofree char *up_name = g_strdup_printf ("blk.%u.ffn_up.weight", il);
  HearthWeight qkv, gate_up;

  if (!hearth_model_bind_weight (m, &qkv, qkv_name, hp->n_embd, (guint64) (q_dim + k_dim + v_dim), TRUE, error) ||
      !hearth_model_bind_weight (m, &gate_up, up_name, hp->n_embd, 2 * (guint64) hp->n_ff, TRUE, error))
    return FALSE;
  l->wq = weight_rows (&qkv, 0, q_dim);
  l->wk = weight_rows (&qkv, q_dim, k_dim);
  l->wv = weight_rows (&qkv, q_dim + k_dim, v_dim);
  l->w_gate = weight_rows (&gate_up, 0, hp->n_ff);
  l->w_up = weight_rows (&gate_up, hp->n_ff, hp->n_ff);
  return TRUE;
}

static gboolean
bind_weights (HearthModel *m,
              GError     **error)
{
  gboolean fused = strcmp (m->architecture, "phi3") == 0;
  gboolean gemma3 = strcmp (m->architecture, "gemma3") == 0;
  gboolean qk_norm = gemma3 || strcmp (m->architecture, "qwen3") == 0;
  const HearthHParams *hp = &m->hp;
  const HearthGgufTensor *embd = hearth_gguf_find_tensor (m->gguf, "token_embd.weight");
  guint64 q_dim = (guint64) hp->n_head * hp->head_dim;
  guint64 k_dim = (guint64) hp->n_head_kv * hp->head_dim;
  guint64 v_dim = (guint64) hp->n_head_kv * hp->head_dim_v;
  guint64 o_dim = (guint64) hp->n_head * hp->head_dim_v;

  if (embd == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                   "tensor 'token_embd.weight' is missing");
      return FALSE;
    }
  if (embd->ne[1] == 0 || embd->ne[1] > G_MAXINT32)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_SHAPE,
                   "token_embd.weight has an implausible vocabulary of %" G_GUINT64_FORMAT, embd->ne[1]);
      return FALSE;
    }
  m->hp.n_vocab = (guint32) embd->ne[1];
  if (!hearth_model_bind_weight (m, &m->tok_embd, "token_embd.weight", hp->n_embd, hp->n_vocab, TRUE, error) ||
      !hearth_model_bind_weight (m, &m->output_norm, "output_norm.weight", hp->n_embd, 0, TRUE, error) ||
      !hearth_model_bind_weight (m, &m->output, "output.weight", hp->n_embd, hp->n_vocab, FALSE, error))
    return FALSE;
  if (m->output.data == NULL)
    m->output = m->tok_embd;  /* tied embeddings */

  /* Per-pair divisors of the rope frequencies: rope_freqs (llama 3), or
   * LongRoPE's two tables (Phi-3.5, Phi-4-mini). */
  if (!read_rope_table (m, "rope_freqs.weight", &m->rope_freqs, error) ||
      !read_rope_table (m, "rope_factors_short.weight", &m->rope_factors_short, error) ||
      !read_rope_table (m, "rope_factors_long.weight", &m->rope_factors_long, error) ||
      !read_longrope (m, error))
    return FALSE;

  m->layers = g_new0 (HearthLayer, hp->n_layer);
  for (guint32 il = 0; il < hp->n_layer; il++)
    {
      HearthLayer *l = &m->layers[il];
      char name[HEARTH_GGUF_MAX_NAME + 16];

#define BIND(field, suffix, ne0, ne1, required) \
      (g_snprintf (name, sizeof name, "blk.%u." suffix, il), \
       hearth_model_bind_weight (m, &l->field, name, ne0, ne1, required, error))

      if (!BIND (attn_norm, "attn_norm.weight", hp->n_embd, 0, TRUE) ||
          (fused && !bind_fused (m, l, il, error)) ||
          (!fused && (!BIND (wq, "attn_q.weight", hp->n_embd, q_dim, TRUE) ||
                      !BIND (wk, "attn_k.weight", hp->n_embd, k_dim, TRUE) ||
                      !BIND (wv, "attn_v.weight", hp->n_embd, v_dim, TRUE) ||
                      !BIND (w_gate, "ffn_gate.weight", hp->n_embd, hp->n_ff, TRUE) ||
                      !BIND (w_up, "ffn_up.weight", hp->n_embd, hp->n_ff, TRUE))) ||
          !BIND (bq, "attn_q.bias", q_dim, 0, FALSE) ||
          !BIND (bk, "attn_k.bias", k_dim, 0, FALSE) ||
          !BIND (bv, "attn_v.bias", v_dim, 0, FALSE) ||
          !BIND (q_norm, "attn_q_norm.weight", hp->head_dim, 0, qk_norm) ||
          !BIND (k_norm, "attn_k_norm.weight", hp->head_dim, 0, qk_norm) ||
          !BIND (wo, "attn_output.weight", o_dim, hp->n_embd, TRUE) ||
          !BIND (ffn_norm, "ffn_norm.weight", hp->n_embd, 0, TRUE) ||
          !BIND (post_attn_norm, "post_attention_norm.weight", hp->n_embd, 0, gemma3) ||
          !BIND (post_ffw_norm, "post_ffw_norm.weight", hp->n_embd, 0, gemma3) ||
          !BIND (w_down, "ffn_down.weight", hp->n_ff, hp->n_embd, TRUE))
        return FALSE;
#undef BIND
      if ((l->q_norm.data == NULL) != (l->k_norm.data == NULL))
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_NOT_FOUND,
                       "layer %u has only one of attn_q_norm and attn_k_norm", il);
          return FALSE;
        }

      m->bytes_per_token += l->wq.row_bytes * l->wq.n_rows + l->wk.row_bytes * l->wk.n_rows +
                            l->wv.row_bytes * l->wv.n_rows + l->wo.row_bytes * l->wo.n_rows +
                            l->w_gate.row_bytes * l->w_gate.n_rows + l->w_up.row_bytes * l->w_up.n_rows +
                            l->w_down.row_bytes * l->w_down.n_rows;
    }
  m->bytes_per_token += m->output.row_bytes * m->output.n_rows + m->tok_embd.row_bytes;
  /* Only gemma3's windows are applied: phi3 files carry one that llama.cpp
   * ignores ("Phi SWA is currently disabled"). */
  return !gemma3 || read_sliding_window (m, error);
}

HearthModel *
hearth_model_load (const char              *path,
                   const HearthModelParams *params,
                   GError                 **error)
{
  g_autoptr(HearthModel) m = g_new0 (HearthModel, 1);
  g_autoptr(GError) local_error = NULL;
  const ArchInfo *arch = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  g_atomic_ref_count_init (&m->ref_count);
  g_mutex_init (&m->forward_lock);
  if (params != NULL)
    m->params = *params;
  else
    hearth_model_params_init (&m->params);

#ifndef HEARTH_HAVE_VULKAN
  if (m->params.backend != HEARTH_BACKEND_CPU)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "the Vulkan backend is not available in this build");
      return NULL;
    }
#endif
  /* The name is the caller's: keep a copy for the model's lifetime. */
  m->params.device_name = NULL;

  m->gguf = hearth_gguf_open (path, error);
  if (m->gguf == NULL)
    return NULL;

  base = g_path_get_basename (path);
  m->architecture = hearth_gguf_dup_string (m->gguf, "general.architecture", &local_error);
  if (m->architecture == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, local_error->code, "%s", local_error->message);
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (supported_archs); i++)
    {
      if (strcmp (supported_archs[i].name, m->architecture) == 0)
        arch = &supported_archs[i];
    }
  if (arch == NULL && strcmp (m->architecture, "bert") != 0 && strcmp (m->architecture, "nomic-bert") != 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s: architecture '%s' is not supported yet (supported: llama, qwen2, qwen3, phi3, gemma3; "
                   "encoders bert, nomic-bert)",
                   base, m->architecture);
      return NULL;
    }
  if (arch != NULL)
    m->hp.rope_type = arch->rope_type;

  if (arch == NULL)
    {
      /* An encoder: its own tensors and keys (hearth-encoder.c). */
      if (!hearth_encoder_load (m, strcmp (m->architecture, "bert") == 0 ? HEARTH_ENCODER_BERT
                                                                          : HEARTH_ENCODER_NOMIC,
                                &local_error))
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, local_error->code, "%s: %s", base, local_error->message);
          return NULL;
        }
    }
  else if (!read_hparams (m, &local_error) || !bind_weights (m, &local_error))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, local_error->code, "%s: %s", base, local_error->message);
      return NULL;
    }

  m->tokenizer = hearth_tokenizer_new_from_gguf (m->gguf, &local_error);
  if (m->tokenizer == NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, local_error->code, "%s: %s", base, local_error->message);
      return NULL;
    }

  m->pool = hearth_thread_pool_new (m->params.n_threads);
  m->backend_description = g_strdup_printf ("CPU (%s, %d thread%s)",
                                            m->params.reference ? "scalar reference" : hearth_cpu_features (),
                                            hearth_thread_pool_get_n_threads (m->pool),
                                            hearth_thread_pool_get_n_threads (m->pool) == 1 ? "" : "s");
#ifdef HEARTH_HAVE_VULKAN
  if (m->params.backend == HEARTH_BACKEND_VULKAN && m->encoder != NULL)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "%s: encoders run on the CPU backend only", base);
      return NULL;
    }
  if (m->params.backend == HEARTH_BACKEND_VULKAN)
    {
      g_autofree char *cpu = g_steal_pointer (&m->backend_description);
      guint32 n_gpu;

      m->device_name = g_strdup (params != NULL ? params->device_name : NULL);
      m->params.device_name = m->device_name;
      m->vk = hearth_vk_model_new (m, &local_error);
      if (m->vk == NULL)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, local_error->code, "%s: %s", base, local_error->message);
          return NULL;
        }
      /* Say where every layer runs: never a silent fallback. */
      n_gpu = hearth_vk_model_get_n_gpu_layers (m->vk);
      if (n_gpu == m->hp.n_layer)
        m->backend_description = g_strdup (hearth_vk_model_get_description (m->vk));
      else
        m->backend_description = g_strdup_printf ("%s; %s: layer%s %u-%u + output",
                                                  hearth_vk_model_get_description (m->vk), cpu,
                                                  m->hp.n_layer - n_gpu == 1 ? "" : "s", n_gpu, m->hp.n_layer - 1);
    }
#endif
  return g_steal_pointer (&m);
}

HearthModel *
hearth_model_ref (HearthModel *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_model_unref (HearthModel *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref_count))
    return;
#ifdef HEARTH_HAVE_VULKAN
  g_clear_pointer (&self->vk, hearth_vk_model_free);
#endif
  g_free (self->device_name);
  g_clear_pointer (&self->pool, hearth_thread_pool_free);
  g_mutex_clear (&self->forward_lock);
  g_clear_pointer (&self->tokenizer, hearth_tokenizer_unref);
  g_free (self->layers);
  g_clear_pointer (&self->encoder, hearth_encoder_free);
  g_free (self->architecture);
  g_free (self->backend_description);
  g_clear_pointer (&self->gguf, hearth_gguf_unref);
  g_free (self);
}

HearthGguf *
hearth_model_get_gguf (HearthModel *self)
{
  return self->gguf;
}

HearthTokenizer *
hearth_model_get_tokenizer (HearthModel *self)
{
  return self->tokenizer;
}

const char *
hearth_model_get_architecture (HearthModel *self)
{
  return self->architecture;
}

guint32
hearth_model_get_n_vocab (HearthModel *self)
{
  return self->hp.n_vocab;
}

guint32
hearth_model_get_n_ctx_train (HearthModel *self)
{
  return self->hp.n_ctx_train;
}

guint32
hearth_model_get_n_embd (HearthModel *self)
{
  return self->hp.n_embd;
}

guint32
hearth_model_get_n_layer (HearthModel *self)
{
  return self->hp.n_layer;
}

guint64
hearth_model_get_n_params (HearthModel *self)
{
  return self->n_params;
}

guint64
hearth_model_get_bytes_per_token (HearthModel *self)
{
  return self->bytes_per_token;
}

const char *
hearth_model_get_backend_description (HearthModel *self)
{
  return self->backend_description;
}

HearthBackendKind
hearth_model_get_layer_backend (HearthModel *self,
                                guint32      il)
{
  return il < hearth_model_get_n_gpu_layers (self) ? HEARTH_BACKEND_VULKAN : HEARTH_BACKEND_CPU;
}

guint32
hearth_model_get_n_gpu_layers (HearthModel *self)
{
#ifdef HEARTH_HAVE_VULKAN
  if (self->vk != NULL)
    return hearth_vk_model_get_n_gpu_layers (self->vk);
#endif
  return 0;
}

gboolean
hearth_model_is_device_lost (HearthModel *self)
{
#ifdef HEARTH_HAVE_VULKAN
  if (self->vk != NULL)
    return hearth_vk_model_is_device_lost (self->vk);
#endif
  return FALSE;
}

static guint64
matrix_bytes (const HearthWeight *w)
{
  return (guint64) w->row_bytes * w->n_rows;
}

guint64
hearth_model_get_device_bytes_per_token (HearthModel *self)
{
  guint32 n_gpu = hearth_model_get_n_gpu_layers (self);
  guint64 bytes;

  if (n_gpu == 0)
    return 0;
  bytes = self->tok_embd.row_bytes;
  for (guint32 il = 0; il < n_gpu; il++)
    {
      const HearthLayer *l = &self->layers[il];

      bytes += matrix_bytes (&l->wq) + matrix_bytes (&l->wk) + matrix_bytes (&l->wv) + matrix_bytes (&l->wo) +
               matrix_bytes (&l->w_gate) + matrix_bytes (&l->w_up) + matrix_bytes (&l->w_down);
    }
  if (n_gpu == self->hp.n_layer)
    bytes += matrix_bytes (&self->output);
  return bytes;
}

void
hearth_device_free (HearthDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->name);
  g_free (device);
}

GPtrArray *
hearth_list_devices (void)
{
#ifdef HEARTH_HAVE_VULKAN
  return hearth_vk_backend_list_devices ();
#else
  return g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_device_free);
#endif
}

gboolean
hearth_architecture_supported (const char *architecture)
{
  g_return_val_if_fail (architecture != NULL, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (supported_archs); i++)
    if (strcmp (supported_archs[i].name, architecture) == 0)
      return TRUE;
  return FALSE;
}

gboolean
hearth_tensor_type_supported (guint32 type)
{
  return hearth_ggml_type_info (type) != NULL && hearth_cpu_type_supported ((HearthGgmlType) type);
}

char *
hearth_describe_devices (GError **error)
{
#ifdef HEARTH_HAVE_VULKAN
  return hearth_vk_describe_devices (error);
#else
  g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
               "the Vulkan backend is not available in this build");
  return NULL;
#endif
}
