/* hearth-vk-forward.c: the decoders' forward pass on Vulkan
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model's graph (engine/model/hearth-graph-llama.c, and gemma3's) over
 * the device ops below, recorded into one command buffer per chunk of
 * tokens and submitted once. For the llama family:
 *   x = embd[token]
 *   per device layer: h = rms_norm(x) * attn_norm; q, k, v = W h (+b);
 *                     q, k per-head norms (qwen3); rope; store k, v in the
 *                     cache; a = attention; x += Wo a;
 *                     h = rms_norm(x) * ffn_norm; x += Wdown (silu(Wgate h) * Wup h)
 *   all layers on the device: logits = Woutput (rms_norm(x) * output_norm)
 *   otherwise: x goes back to the host for the CPU layers.
 * gemma3 adds scale, gelu_mul, the norms after attention and FFN, and
 * sliding layers: their own angle table (cs_swa), a window in the
 * attention and a ring for a cache (the session's kv_rows).
 * The position (n_past) lives in a small host-visible buffer the cache
 * store and attention read when they run, so the one-token decode step is
 * recorded once per session and then only submitted, once per token;
 * prompt chunks (whose sizes vary) are recorded per chunk, one submit each.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-vk-backend.h"
#include "hearth-vk-ops.h"
#include "model/hearth-graph.h"
#include "model/hearth-rope.h"

typedef struct
{
  HearthVkMatrix *attn_norm, *ffn_norm, *q_norm, *k_norm, *post_attn_norm, *post_ffw_norm;
  HearthVkMatrix *wq, *wk, *wv, *wo, *w_gate, *w_up, *w_down;
  HearthVkMatrix *bq, *bk, *bv;
} VkLayer;

struct _HearthVkModel
{
  HearthVkContext *ctx;
  HearthModel     *model;   /* not a reference: the model owns this */
  guint32          n_gpu;
  gboolean         full;    /* every layer and the output on the device */
  HearthVkMatrix  *tok_embd;
  HearthVkMatrix  *output_norm;
  HearthVkMatrix  *output;  /* may be tok_embd (tied) */
  VkLayer         *layers;
  GHashTable      *matrices; /* HearthWeight * -> its HearthVkMatrix *, for the graph's ops */
  char            *description;
};

struct _HearthVkSession
{
  HearthVkModel    *vm;
  HearthSession    *s;
  HearthVkSequence *seq;                      /* prompt chunks, re-recorded */
  HearthVkSequence *decode;                   /* one token, recorded once */
  gboolean          decode_recorded;
  guint32           n_batch;
  HearthVkBuffer   *ids, *cs, *cs_swa, *logits, *state; /* host-visible; state[0] = n_past;
                                                        cs_swa: sliding layers' angles or NULL */
  HearthVkBuffer   *x, *xn, *q, *kc, *vc, *attn, *gate, *up, *partial;
  HearthVkBuffer  **k, **v;                   /* [n_gpu] caches */
};

static guint64
weight_bytes (const HearthWeight *w)
{
  return w->data != NULL ? (guint64) w->row_bytes * w->n_rows : 0;
}

/* @name and @layer (< 0: none) say what failed; the layer's error has the size. */
static gboolean
upload (HearthVkModel      *vm,
        const HearthWeight *w,
        HearthVkMatrix    **out,
        const char         *name,
        int                 layer,
        GError            **error)
{
  if (w->data == NULL)
    return TRUE;
  *out = hearth_vk_matrix_new (vm->ctx, w->type, w->data, w->n_rows, w->n_cols, w->row_bytes, error);
  if (*out != NULL)
    g_hash_table_insert (vm->matrices, (gpointer) w, *out);
  if (*out == NULL && !hearth_vk_context_is_lost (vm->ctx))
    {
      if (layer >= 0)
        g_prefix_error (error, "%s of layer %d: ", name, layer);
      else
        g_prefix_error (error, "%s: ", name);
    }
  return *out != NULL;
}

/* ", int8 dot-product mat-muls (Q4_K, Q6_K)": the types of the device's
 * mat-mul weights that take the int8 path, in the order first met; "" when
 * the path is off. */
static char *
int_dot_note (HearthVkModel *vm)
{
  g_autoptr(GString) types = g_string_new (NULL);
  gboolean seen[HEARTH_GGML_TYPE_COUNT_] = { FALSE };

  if (!hearth_vk_context_use_int_dot (vm->ctx))
    return g_strdup ("");
  for (guint32 il = 0; il <= vm->n_gpu; il++)
    {
      const VkLayer *l = il < vm->n_gpu ? &vm->layers[il] : NULL;
      const HearthVkMatrix *all[] = { l ? l->wq : NULL, l ? l->wk : NULL, l ? l->wv : NULL, l ? l->wo : NULL,
                                      l ? l->w_gate : NULL, l ? l->w_up : NULL, l ? l->w_down : NULL,
                                      l ? NULL : vm->output };

      for (guint i = 0; i < G_N_ELEMENTS (all); i++)
        if (all[i] != NULL && hearth_vk_int_dot_type (all[i]->type) && (guint) all[i]->type < HEARTH_GGML_TYPE_COUNT_ &&
            !seen[all[i]->type])
          {
            seen[all[i]->type] = TRUE;
            g_string_append_printf (types, "%s%s", types->len > 0 ? ", " : "", hearth_ggml_type_name (all[i]->type));
          }
    }
  if (types->len == 0)
    return g_strdup (", int8 dot-product mat-muls (no weights of a covered type)");
  return g_strdup_printf (", int8 dot-product mat-muls (%s)", types->str);
}

static char *
layer_range (guint32 a,
             guint32 b)
{
  return a + 1 == b ? g_strdup_printf ("layer %u", a) : g_strdup_printf ("layers %u-%u", a, b - 1);
}

HearthVkModel *
hearth_vk_model_new (HearthModel *model,
                     GError     **error)
{
  const HearthHParams *hp = &model->hp;
  HearthVkContextParams cp;
  HearthVkModel *vm;
  guint64 need = 0, have;
  g_autofree char *features = NULL;
  g_autofree char *range = NULL;
  g_autofree char *dot = NULL;
  int n_gpu = model->params.n_gpu_layers;

  hearth_vk_context_params_init (&cp);
  cp.device_index = model->params.device_index;
  cp.device_name = model->params.device_name;
  cp.memory_limit = model->params.device_memory_limit;
  vm = g_new0 (HearthVkModel, 1);
  vm->model = model;
  vm->ctx = hearth_vk_context_new (&cp, error);
  if (vm->ctx == NULL)
    {
      hearth_vk_model_free (vm);
      return NULL;
    }
  vm->n_gpu = n_gpu < 0 ? hp->n_layer : MIN ((guint32) n_gpu, hp->n_layer);
  /* The attention kernel keeps a head in shared memory and registers. */
  if (vm->n_gpu > 0 && (hp->head_dim > 256 || hp->head_dim_v > 256))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_UNSUPPORTED,
                   "heads of %u dimensions are more than the Vulkan attention kernel takes (256)",
                   MAX (hp->head_dim, hp->head_dim_v));
      hearth_vk_model_free (vm);
      return NULL;
    }
  vm->full = vm->n_gpu == hp->n_layer;

  /* What the device must hold: the embeddings, the device layers, the
   * output when all layers are there. Checked before uploading anything,
   * so a model that cannot fit fails at once with the figures. */
  need += weight_bytes (&model->tok_embd);
  for (guint32 il = 0; il < vm->n_gpu; il++)
    {
      const HearthLayer *l = &model->layers[il];
      need += weight_bytes (&l->wq) + weight_bytes (&l->wk) + weight_bytes (&l->wv) + weight_bytes (&l->wo) +
              weight_bytes (&l->w_gate) + weight_bytes (&l->w_up) + weight_bytes (&l->w_down);
    }
  if (vm->full && model->output.data != model->tok_embd.data)
    need += weight_bytes (&model->output);
  have = hearth_vk_context_get_features (vm->ctx)->device_memory;
  if (model->params.device_memory_limit > 0)
    have = MIN (have, model->params.device_memory_limit);
  if (need > have)
    {
      g_autofree char *need_text = g_format_size (need);
      g_autofree char *have_text = g_format_size (have);

      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_DEVICE,
                   "%u layer%s on %s need %s of device memory but %s %s available: offload fewer layers (--gpu-layers)",
                   vm->n_gpu, vm->n_gpu == 1 ? "" : "s", hearth_vk_context_get_device_name (vm->ctx), need_text,
                   have_text, have == 1 ? "is" : "are");
      hearth_vk_model_free (vm);
      return NULL;
    }

  vm->layers = g_new0 (VkLayer, MAX (vm->n_gpu, 1));
  vm->matrices = g_hash_table_new (NULL, NULL);
  if (vm->n_gpu > 0 && !upload (vm, &model->tok_embd, &vm->tok_embd, "the token embeddings", -1, error))
    goto fail;
  for (guint32 il = 0; il < vm->n_gpu; il++)
    {
      const HearthLayer *l = &model->layers[il];
      VkLayer *d = &vm->layers[il];
      int i = (int) il;

      if (!upload (vm, &l->attn_norm, &d->attn_norm, "attn_norm", i, error) ||
          !upload (vm, &l->ffn_norm, &d->ffn_norm, "ffn_norm", i, error) ||
          !upload (vm, &l->q_norm, &d->q_norm, "attn_q_norm", i, error) ||
          !upload (vm, &l->k_norm, &d->k_norm, "attn_k_norm", i, error) ||
          !upload (vm, &l->post_attn_norm, &d->post_attn_norm, "post_attention_norm", i, error) ||
          !upload (vm, &l->post_ffw_norm, &d->post_ffw_norm, "post_ffw_norm", i, error) ||
          !upload (vm, &l->wq, &d->wq, "attn_q", i, error) || !upload (vm, &l->wk, &d->wk, "attn_k", i, error) ||
          !upload (vm, &l->wv, &d->wv, "attn_v", i, error) || !upload (vm, &l->wo, &d->wo, "attn_output", i, error) ||
          !upload (vm, &l->w_gate, &d->w_gate, "ffn_gate", i, error) ||
          !upload (vm, &l->w_up, &d->w_up, "ffn_up", i, error) ||
          !upload (vm, &l->w_down, &d->w_down, "ffn_down", i, error) ||
          !upload (vm, &l->bq, &d->bq, "attn_q bias", i, error) ||
          !upload (vm, &l->bk, &d->bk, "attn_k bias", i, error) ||
          !upload (vm, &l->bv, &d->bv, "attn_v bias", i, error))
        goto fail;
    }
  if (vm->full)
    {
      if (!upload (vm, &model->output_norm, &vm->output_norm, "output_norm", -1, error))
        goto fail;
      if (model->output.data == model->tok_embd.data)
        vm->output = vm->tok_embd;
      else if (!upload (vm, &model->output, &vm->output, "the output matrix", -1, error))
        goto fail;
    }
  hearth_vk_context_save_cache (vm->ctx);

  features = hearth_vk_features_describe (hearth_vk_context_get_features (vm->ctx));
  range = vm->n_gpu > 0 ? layer_range (0, vm->n_gpu) : g_strdup ("no layers");
  dot = int_dot_note (vm);
  vm->description = g_strdup_printf ("Vulkan device %u (%s%s; %s): %s%s%s%s",
                                     hearth_vk_context_get_device_index (vm->ctx),
                                     hearth_vk_context_get_device_name (vm->ctx),
                                     hearth_vk_context_get_features (vm->ctx)->is_cpu ? ", a CPU device" : "",
                                     features, range, vm->full ? " + output" : "", dot,
                                     hearth_vk_context_use_matvec_sg (vm->ctx) ?
                                     ", decode mat-vec: a subgroup per row" : "");
  return vm;

fail:
  /* A lost device's error already names it and says what to do. */
  if (!hearth_vk_context_is_lost (vm->ctx))
    g_prefix_error (error, "uploading the weights: ");
  hearth_vk_model_free (vm);
  return NULL;
}

static void
free_layer (HearthVkContext *ctx,
            VkLayer         *d)
{
  HearthVkMatrix *all[] = { d->attn_norm, d->ffn_norm, d->q_norm, d->k_norm, d->post_attn_norm,
                            d->post_ffw_norm, d->wq, d->wk, d->wv,
                            d->wo, d->w_gate, d->w_up, d->w_down, d->bq, d->bk, d->bv };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    hearth_vk_matrix_free (ctx, all[i]);
}

void
hearth_vk_model_free (HearthVkModel *vm)
{
  if (vm == NULL)
    return;
  if (vm->layers != NULL)
    for (guint32 il = 0; il < vm->n_gpu; il++)
      free_layer (vm->ctx, &vm->layers[il]);
  if (vm->output != vm->tok_embd)
    hearth_vk_matrix_free (vm->ctx, vm->output);
  hearth_vk_matrix_free (vm->ctx, vm->tok_embd);
  hearth_vk_matrix_free (vm->ctx, vm->output_norm);
  g_free (vm->layers);
  g_clear_pointer (&vm->matrices, g_hash_table_unref);
  g_free (vm->description);
  hearth_vk_context_free (vm->ctx);
  g_free (vm);
}

guint32
hearth_vk_model_get_n_gpu_layers (HearthVkModel *vm)
{
  return vm->n_gpu;
}

const char *
hearth_vk_model_get_description (HearthVkModel *vm)
{
  return vm->description;
}

gboolean
hearth_vk_model_is_device_lost (HearthVkModel *vm)
{
  return hearth_vk_context_is_lost (vm->ctx);
}

/* ---- sessions ---- */

void
hearth_vk_session_free (HearthVkSession *vs)
{
  HearthVkContext *ctx;

  if (vs == NULL)
    return;
  ctx = vs->vm->ctx;
  hearth_vk_context_lock (ctx);
  hearth_vk_sequence_free (vs->seq);
  hearth_vk_sequence_free (vs->decode);
  {
    HearthVkBuffer *all[] = { vs->ids, vs->cs, vs->cs_swa, vs->logits, vs->state, vs->x, vs->xn, vs->q, vs->kc, vs->vc,
                              vs->attn, vs->gate, vs->up, vs->partial };
    for (guint i = 0; i < G_N_ELEMENTS (all); i++)
      hearth_vk_buffer_free (ctx, all[i]);
  }
  for (guint32 il = 0; il < vs->vm->n_gpu; il++)
    {
      if (vs->k != NULL)
        hearth_vk_buffer_free (ctx, vs->k[il]);
      if (vs->v != NULL)
        hearth_vk_buffer_free (ctx, vs->v[il]);
    }
  hearth_vk_context_unlock (ctx);
  g_free (vs->k);
  g_free (vs->v);
  g_free (vs);
}

#define MAX_SPLITS 32

HearthVkSession *
hearth_vk_session_new (HearthSession *s,
                       GError       **error)
{
  HearthVkModel *vm = s->model->vk;
  const HearthHParams *hp = &s->model->hp;
  HearthVkContext *ctx = vm->ctx;
  HearthVkSession *vs = g_new0 (HearthVkSession, 1);
  gsize nb = s->n_batch, f = sizeof (float);
  gsize q_dim = (gsize) hp->n_head * hp->head_dim;
  gsize k_dim = (gsize) hp->n_head_kv * hp->head_dim;
  gsize v_dim = (gsize) hp->n_head_kv * hp->head_dim_v;
  gsize kv_elem = s->kv_f32 ? 4 : 2;
  const char *what = "command buffers";
  char cache_name[48];

  /* The logits of a whole chunk must fit one buffer (128 MiB on lavapipe:
   * 220 tokens of a 151936-token vocabulary); smaller chunks instead. */
  if (vm->full)
    {
      gsize fit = hearth_vk_context_get_max_buffer (ctx) / ((gsize) hp->n_vocab * sizeof (float));

      s->n_batch = (guint32) MAX (1, MIN (s->n_batch, fit));
      nb = s->n_batch;
    }
  vs->vm = vm;
  vs->s = s;
  vs->n_batch = s->n_batch;
  vs->k = g_new0 (HearthVkBuffer *, MAX (vm->n_gpu, 1));
  vs->v = g_new0 (HearthVkBuffer *, MAX (vm->n_gpu, 1));
  /* A failed buffer is named; the layer's error has the size. */
#define DEV_NAMED(field, name, bytes) \
  if ((vs->field = hearth_vk_buffer_new (ctx, (bytes), error)) == NULL) \
    { \
      what = (name); \
      goto fail; \
    }
#define DEV(field, bytes) DEV_NAMED (field, "the buffer " #field, bytes)
#define HOST(field, bytes) \
  if ((vs->field = hearth_vk_buffer_new_host (ctx, (bytes), error)) == NULL) \
    { \
      what = "the host buffer " #field; \
      goto fail; \
    }
  HOST (ids, nb * sizeof (gint32));
  HOST (cs, nb * MAX (hp->n_rot, 2) * f);
  if (s->rope_cs_swa != NULL)
    HOST (cs_swa, nb * MAX (hp->n_rot, 2) * f);
  HOST (state, 4 * sizeof (guint32));
  if (vm->full)
    HOST (logits, nb * hp->n_vocab * f);
  DEV (x, nb * hp->n_embd * f);
  DEV (xn, nb * hp->n_embd * f);
  DEV (q, nb * q_dim * f);
  DEV (kc, nb * k_dim * f);
  DEV (vc, nb * v_dim * f);
  DEV (attn, nb * hp->n_head * hp->head_dim_v * f);
  DEV (gate, nb * hp->n_ff * f);
  DEV (up, nb * hp->n_ff * f);
  DEV (partial, (gsize) hp->n_head * MAX_SPLITS * (hp->head_dim_v + 2) * f);
  for (guint32 il = 0; il < vm->n_gpu; il++)
    {
      g_snprintf (cache_name, sizeof cache_name, "the key cache of layer %u", il);
      DEV_NAMED (k[il], cache_name, (gsize) s->kv_rows[il] * k_dim * kv_elem);
      g_snprintf (cache_name, sizeof cache_name, "the value cache of layer %u", il);
      DEV_NAMED (v[il], cache_name, (gsize) s->kv_rows[il] * v_dim * kv_elem);
    }
#undef DEV_NAMED
#undef DEV
#undef HOST
  hearth_vk_context_lock (ctx);
  vs->seq = hearth_vk_sequence_new (ctx, error);
  vs->decode = vs->seq != NULL ? hearth_vk_sequence_new (ctx, error) : NULL;
  hearth_vk_context_unlock (ctx);
  if (vs->decode == NULL)
    goto fail;
  return vs;

fail:
  if (!hearth_vk_context_is_lost (ctx))
    g_prefix_error (error, "a session of %u tokens: %s: ", s->n_ctx, what);
  hearth_vk_session_free (vs);
  return NULL;
}

/* ---- the graph's ops, recorded ---- */

typedef struct
{
  HearthVkSession  *vs;
  HearthVkSequence *seq;
  guint32           n;        /* tokens in the chunk */
  guint32           n_split;  /* attention's position ranges (decode) */
  HearthVkBuffer   *act[HEARTH_ACT_COUNT_];
} VkPass;

static guint32
n_rows (VkPass    *p,
        HearthView v)
{
  return hearth_view_n_rows (v, p->n);
}

/* The device copy of @w: uploaded with the model's layers (upload ()). */
static const HearthVkMatrix *
matrix (VkPass             *p,
        const HearthWeight *w)
{
  const HearthVkMatrix *m = g_hash_table_lookup (p->vs->vm->matrices, w);

  g_return_val_if_fail (m != NULL, NULL);
  return m;
}

/* The device ops below read rows back to back: a view's rows must be. */
#define DENSE(v, per_row) ((v).stride == (v).width * (per_row))

static gboolean
vk_embed (gpointer   ctx,
          HearthView x,
          GError   **error)
{
  VkPass *p = ctx;

  return hearth_vk_op_get_rows (p->seq, p->vs->vm->tok_embd, p->vs->ids, 0, n_rows (p, x),
                                p->act[x.act], (guint32) x.offset, (guint32) x.stride, error);
}

static gboolean
vk_rms_norm (gpointer            ctx,
             HearthView          in,
             const HearthWeight *w,
             HearthView          out,
             guint32             rows_per_token,
             float               eps,
             GError            **error)
{
  VkPass *p = ctx;

  g_return_val_if_fail (DENSE (in, rows_per_token) && DENSE (out, rows_per_token), FALSE);
  return hearth_vk_op_rms_norm (p->seq, p->act[in.act], (guint32) in.offset,
                                matrix (p, w)->pieces[0].buf, 0, p->act[out.act], (guint32) out.offset,
                                (guint32) in.width, n_rows (p, in) * rows_per_token, eps, error);
}

static gboolean
vk_matmul (gpointer                   ctx,
           guint                      n,
           const HearthWeight *const *w,
           HearthView                 in,
           const HearthView          *out,
           GError                   **error)
{
  VkPass *p = ctx;
  const HearthVkMatrix *m[4];
  HearthVkBuffer *y[4];
  guint32 y_offset[4], y_stride[4];

  g_return_val_if_fail (n >= 1 && n <= G_N_ELEMENTS (m), FALSE);
  if (n == 1)
    return hearth_vk_op_matmul (p->seq, matrix (p, w[0]), p->act[in.act], (guint32) in.offset,
                                (guint32) in.stride, p->act[out[0].act], (guint32) out[0].offset,
                                (guint32) out[0].stride, n_rows (p, in), error);
  /* One x for several mat-muls: quantized once on the int8 path. */
  for (guint i = 0; i < n; i++)
    {
      m[i] = matrix (p, w[i]);
      y[i] = p->act[out[i].act];
      y_offset[i] = (guint32) out[i].offset;
      y_stride[i] = (guint32) out[i].stride;
    }
  return hearth_vk_op_matmul_multi (p->seq, n, m, p->act[in.act], (guint32) in.offset,
                                    (guint32) in.stride, y, y_offset, y_stride, n_rows (p, in), error);
}

static gboolean
vk_add_bias (gpointer            ctx,
             HearthView          x,
             const HearthWeight *b,
             GError            **error)
{
  VkPass *p = ctx;
  HearthVkBuffer *buf = p->act[x.act];

  g_return_val_if_fail (DENSE (x, 1), FALSE);
  return hearth_vk_op_binary (p->seq, HEARTH_VK_BINARY_ADD, buf, (guint32) x.offset, matrix (p, b)->pieces[0].buf, 0,
                              (guint32) x.width, buf, (guint32) x.offset, n_rows (p, x) * (guint32) x.width, error);
}

static gboolean
vk_rope (gpointer   ctx,
         HearthView x,
         guint32    n_heads,
         guint32    il,
         GError   **error)
{
  VkPass *p = ctx;
  const HearthModel *m = p->vs->s->model;
  const HearthHParams *hp = &m->hp;
  HearthVkBuffer *cs = m->layers[il].n_swa != 0 && p->vs->cs_swa != NULL ? p->vs->cs_swa : p->vs->cs;

  return hearth_vk_op_rope (p->seq, p->act[x.act], (guint32) x.offset, (guint32) x.stride, cs, 0,
                            n_rows (p, x), n_heads, hp->head_dim, hp->n_rot, hp->rope_type == HEARTH_ROPE_NEOX, error);
}

static gboolean
vk_attention (gpointer ctx,
              guint32  il,
              GError **error)
{
  VkPass *p = ctx;
  HearthVkSession *vs = p->vs;
  const HearthModel *m = vs->s->model;
  const HearthHParams *hp = &m->hp;
  guint32 k_dim = hp->n_head_kv * hp->head_dim;
  guint32 v_dim = hp->n_head_kv * hp->head_dim_v;
  guint32 rows = vs->s->kv_rows[il];
  gboolean f16 = !vs->s->kv_f32;
  HearthVkAttentionShape shape = {
    .n_head = hp->n_head, .n_head_kv = hp->n_head_kv, .head_dim = hp->head_dim, .head_dim_v = hp->head_dim_v,
    .scale = 1.0f / sqrtf ((float) hp->head_dim), .window = m->layers[il].n_swa, .rows = rows,
    .softcap = hp->attn_softcap,
  };

  /* The position is read from vs->state when the sequence runs. */
  return hearth_vk_op_copy (p->seq, vs->kc, 0, vs->k[il], 0, k_dim, rows, vs->state, p->n * k_dim, f16, error) &&
         hearth_vk_op_copy (p->seq, vs->vc, 0, vs->v[il], 0, v_dim, rows, vs->state, p->n * v_dim, f16, error) &&
         hearth_vk_op_attention (p->seq, vs->q, 0, vs->k[il], 0, vs->v[il], 0, f16, vs->attn, 0, p->n, vs->state,
                                 &shape, p->n_split, vs->partial, error);
}

/* a op= b over a's rows. */
static gboolean
binary (VkPass           *p,
        HearthVkBinaryOp  op,
        HearthView        a,
        HearthView        b,
        GError          **error)
{
  HearthVkBuffer *buf = p->act[a.act];
  guint32 n = n_rows (p, a) * (guint32) a.width;

  g_return_val_if_fail (DENSE (a, 1) && DENSE (b, 1) && a.width == b.width, FALSE);
  return hearth_vk_op_binary (p->seq, op, buf, (guint32) a.offset, p->act[b.act], (guint32) b.offset, n,
                              buf, (guint32) a.offset, n, error);
}

static gboolean
vk_add (gpointer   ctx,
        HearthView a,
        HearthView b,
        GError   **error)
{
  return binary (ctx, HEARTH_VK_BINARY_ADD, a, b, error);
}

static gboolean
vk_silu_mul (gpointer   ctx,
             HearthView gate,
             HearthView up,
             GError   **error)
{
  return binary (ctx, HEARTH_VK_BINARY_SILU_MUL, gate, up, error);
}

static gboolean
vk_gelu_mul (gpointer   ctx,
             HearthView gate,
             HearthView up,
             GError   **error)
{
  return binary (ctx, HEARTH_VK_BINARY_GELU_MUL, gate, up, error);
}

static gboolean
vk_scale (gpointer   ctx,
          HearthView x,
          float      c,
          GError   **error)
{
  VkPass *p = ctx;

  g_return_val_if_fail (DENSE (x, 1), FALSE);
  return hearth_vk_op_scale (p->seq, p->act[x.act], (guint32) x.offset, n_rows (p, x) * (guint32) x.width, c, error);
}

static gboolean
vk_logits (gpointer ctx,
           guint32  rows,
           GError **error)
{
  VkPass *p = ctx;
  HearthVkModel *vm = p->vs->vm;
  const HearthHParams *hp = &p->vs->s->model->hp;

  return hearth_vk_op_matmul (p->seq, vm->output, p->vs->xn, 0, hp->n_embd, p->vs->logits, 0, hp->n_vocab, rows, error);
}

static const HearthGraphOps vk_ops = {
  .embed = vk_embed,
  .rms_norm = vk_rms_norm,
  .matmul = vk_matmul,
  .add_bias = vk_add_bias,
  .rope = vk_rope,
  .attention = vk_attention,
  .add = vk_add,
  .silu_mul = vk_silu_mul,
  .gelu_mul = vk_gelu_mul,
  .scale = vk_scale,
  .logits = vk_logits,
};

/* Records @n tokens through the device layers (the model's graph over the
 * ops above) into @seq, and the logits when every layer is on the device.
 * Nothing here may depend on the position: that is read from vs->state
 * when it runs. */
static gboolean
record (HearthVkSession  *vs,
        HearthVkSequence *seq,
        guint32           n,
        gboolean          all_logits,
        gboolean          want_logits,
        GError          **error)
{
  const HearthModel *m = vs->s->model;
  guint32 n_embd = m->hp.n_embd;
  /* Decode splits the positions for parallelism, sized for the longest
   * context the session can reach; ranges past the current end are empty. */
  VkPass pass = { vs, seq, n, n == 1 ? hearth_vk_attention_splits (1, vs->s->n_ctx) : 1, {
    [HEARTH_ACT_X] = vs->x, [HEARTH_ACT_XN] = vs->xn, [HEARTH_ACT_Q] = vs->q, [HEARTH_ACT_K] = vs->kc,
    [HEARTH_ACT_V] = vs->vc, [HEARTH_ACT_ATTN] = vs->attn, [HEARTH_ACT_GATE] = vs->gate, [HEARTH_ACT_UP] = vs->up } };

  if (!hearth_vk_sequence_begin (seq, error) || !hearth_graph_builder (m) (&vk_ops, &pass, m, 0, vs->vm->n_gpu, error))
    return FALSE;
  if (vs->vm->full && want_logits)
    {
      guint32 first = all_logits ? 0 : n - 1;
      HearthView rows = { HEARTH_ACT_X, (gsize) first * n_embd, n_embd, n_embd, all_logits ? n : 1 };

      if (!hearth_graph_llama_head (&vk_ops, &pass, m, rows, error))
        return FALSE;
    }
  return hearth_vk_sequence_end (seq, error);
}

static gboolean
run_step (HearthVkSession *vs,
          guint32          n,
          gboolean         all_logits,
          gboolean         want_logits,
          GError         **error)
{
  if (n > 1)
    return record (vs, vs->seq, n, all_logits, want_logits, error) && hearth_vk_sequence_submit (vs->seq, error);
  /* The decode step: recorded on first use, then only submitted. */
  if (!vs->decode_recorded)
    {
      if (!record (vs, vs->decode, 1, TRUE, TRUE, error))
        return FALSE;
      vs->decode_recorded = TRUE;
    }
  return hearth_vk_sequence_submit (vs->decode, error);
}

static gboolean
forward_locked (HearthVkSession *vs,
                const gint32    *tokens,
                guint32          n,
                gboolean         all_logits,
                float           *logits,
                gboolean        *finished,
                GError         **error)
{
  HearthSession *s = vs->s;
  const HearthModel *m = s->model;
  const HearthHParams *hp = &m->hp;

  g_return_val_if_fail (n <= vs->n_batch, FALSE);
  *finished = FALSE;
  /* Fails at once, before touching the mapped inputs of a lost device. */
  if (!hearth_vk_context_check_usable (vs->vm->ctx, error))
    return FALSE;
  memcpy (vs->ids->mapped, tokens, n * sizeof (gint32));
  /* The angles come from the model's own rope code, as on the CPU. */
  hearth_rope_fill (m, s->rope_factors, s->n_past, n, vs->cs->mapped,
                    vs->cs_swa != NULL ? vs->cs_swa->mapped : NULL);
  ((guint32 *) vs->state->mapped)[0] = s->n_past;
  /* The layer's errors name the device. */
  if (!run_step (vs, n, all_logits, logits != NULL, error))
    return FALSE;
  if (vs->vm->full)
    {
      if (logits != NULL)
        memcpy (logits, vs->logits->mapped, (gsize) (all_logits ? n : 1) * hp->n_vocab * sizeof (float));
      *finished = TRUE;
      return TRUE;
    }
  return hearth_vk_buffer_download (vs->vm->ctx, vs->x, 0, s->x, (gsize) n * hp->n_embd * sizeof (float), error);
}

/* Sessions of one model may run on different threads: the context's lock
 * keeps each step's recording and submit to one thread at a time. */
gboolean
hearth_vk_session_forward (HearthVkSession *vs,
                           const gint32    *tokens,
                           guint32          n,
                           gboolean         all_logits,
                           float           *logits,
                           gboolean        *finished,
                           GError         **error)
{
  gboolean ok;

  hearth_vk_context_lock (vs->vm->ctx);
  ok = forward_locked (vs, tokens, n, all_logits, logits, finished, error);
  hearth_vk_context_unlock (vs->vm->ctx);
  return ok;
}

GPtrArray *
hearth_vk_backend_list_devices (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_device_free);
  g_autoptr(GPtrArray) devices = hearth_vk_list_devices (NULL);

  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      const HearthVkDeviceInfo *d = g_ptr_array_index (devices, i);
      HearthDevice *device = g_new0 (HearthDevice, 1);

      device->index = d->index;
      device->name = g_strdup (d->name);
      device->is_cpu = d->features.is_cpu;
      device->uma = d->features.uma;
      device->device_memory = (guint64) d->features.device_memory;
      g_ptr_array_add (out, device);
    }
  return out;
}

char *
hearth_vk_describe_devices (GError **error)
{
  g_autoptr(GPtrArray) devices = hearth_vk_list_devices (error);
  GString *out;

  if (devices == NULL)
    return NULL;
  out = g_string_new (NULL);
  if (devices->len == 0)
    g_string_append (out, "no Vulkan devices\n");
  for (guint i = 0; i < devices->len; i++)
    {
      HearthVkDeviceInfo *d = g_ptr_array_index (devices, i);
      g_autofree char *features = hearth_vk_features_describe (&d->features);

      g_string_append_printf (out, "%u: %s (%s, %" G_GUINT64_FORMAT " MiB)\n   %s\n", d->index, d->name,
                              d->features.is_cpu ? "CPU device" : "GPU",
                              (guint64) d->features.device_memory >> 20, features);
    }
  return g_string_free (out, FALSE);
}
