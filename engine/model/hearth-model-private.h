/* hearth-model-private.h: what the backends see of a model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-model.h"
#include "hearth-embed.h"
#include "hearth-session.h"
#include "hearth-tokenizer.h"
#include "cpu/hearth-cpu.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_ROPE_NORM, /* rotate pairs (2i, 2i+1) */
  HEARTH_ROPE_NEOX, /* rotate pairs (i, i + n_rot/2) */
} HearthRopeType;

typedef enum
{
  HEARTH_ROPE_SCALING_NONE,
  HEARTH_ROPE_SCALING_LINEAR,
  HEARTH_ROPE_SCALING_YARN,
} HearthRopeScaling;

/* The Vulkan backend's state (engine/vulkan/hearth-vk-backend.h); NULL
 * when the model runs on the CPU alone. */
typedef struct _HearthVkModel HearthVkModel;
typedef struct _HearthVkSession HearthVkSession;

/* A weight matrix in the mapping: n_rows rows of n_cols elements of @type. */
typedef struct
{
  HearthGgmlType type;
  const void    *data;
  gint64         n_cols;   /* ne[0] */
  gint64         n_rows;   /* ne[1] */
  gsize          row_bytes;
} HearthWeight;

typedef struct
{
  HearthWeight attn_norm;   /* [n_embd] */
  HearthWeight wq, wk, wv;  /* [n_embd] -> n_head*head_dim, n_head_kv*head_dim, n_head_kv*head_dim_v */
  HearthWeight bq, bk, bv;  /* biases (qwen2); data NULL when absent */
  HearthWeight q_norm, k_norm; /* [head_dim] per-head RMS norms (qwen3); data NULL when absent */
  HearthWeight wo;          /* n_head*head_dim_v -> n_embd */
  HearthWeight ffn_norm;    /* [n_embd] */
  HearthWeight w_gate, w_up;/* n_embd -> n_ff */
  HearthWeight w_down;      /* n_ff -> n_embd */
  HearthWeight post_attn_norm, post_ffw_norm; /* [n_embd] norms of the attention's and FFN's
                                                 outputs (gemma3); data NULL when absent */
  guint32      n_swa;       /* sliding window: key j is seen from query i when i - j < n_swa; 0: all */
} HearthLayer;

typedef struct
{
  guint32 n_vocab;
  guint32 n_ctx_train;
  guint32 n_embd;
  guint32 n_layer;
  guint32 n_ff;
  guint32 n_head;
  guint32 n_head_kv;
  guint32 head_dim;      /* key length */
  guint32 head_dim_v;    /* value length */
  guint32 n_rot;         /* rotated dimensions of each head */
  float   rms_eps;
  float   rope_freq_base;
  HearthRopeType    rope_type;
  HearthRopeScaling rope_scaling;
  float   rope_freq_scale;      /* 1 / scaling factor */
  guint32 rope_orig_ctx;        /* YaRN: original training context */
  float   yarn_ext_factor;
  float   yarn_attn_factor;
  float   yarn_beta_fast;
  float   yarn_beta_slow;
  float   embd_scale;           /* the embedding rows are multiplied by it (gemma3); 0: not */
  float   rope_freq_base_swa;   /* sliding layers' rope base (gemma3) */
  gboolean ffn_gelu;            /* gelu_tanh (gate) * up instead of silu (gate) * up (gemma3) */
  /* Gemma 2's soft-capping, where a gemma3 file asks for it: c tanh (x / c)
   * on the attention scores and on the logits; 0: none. */
  float   attn_softcap;
  float   final_softcap;
} HearthHParams;

/* Encoders (bert, nomic-bert; engine/model/hearth-encoder.c). Post-norm
 * blocks: x = LN(x + attn(x)); x = LN(x + ffn(x)). Absent tensors have
 * data NULL. */
typedef enum
{
  HEARTH_ENCODER_BERT,  /* learned positions, q/k/v with biases, GELU */
  HEARTH_ENCODER_NOMIC, /* fused qkv, NEOX rope, SwiGLU, no biases */
} HearthEncoderKind;

typedef struct
{
  HearthWeight wq, wk, wv, bq, bk, bv; /* bert */
  HearthWeight wqkv;                   /* nomic: [n_embd] -> q | k | v */
  HearthWeight wo, bo;
  HearthWeight attn_norm, attn_norm_b; /* attn_output_norm */
  HearthWeight w_up, b_up, w_gate, w_down, b_down;
  HearthWeight out_norm, out_norm_b;   /* layer_output_norm */
} HearthEncoderLayer;

typedef struct
{
  HearthEncoderKind   kind;
  HearthPooling       pooling;    /* HEARTH_POOLING_MODEL when the file states none */
  HearthWeight        tok_types;  /* [n_embd] x token_type_count; row 0 is added */
  HearthWeight        pos_embd;   /* bert: [n_embd] x n_ctx_train */
  HearthWeight        embd_norm, embd_norm_b;
  HearthEncoderLayer *layers;
} HearthEncoder;

struct _HearthModel
{
  gatomicrefcount   ref_count;
  HearthGguf       *gguf;
  HearthTokenizer  *tokenizer;
  char             *architecture;
  HearthHParams     hp;
  HearthWeight      tok_embd;   /* n_vocab rows of n_embd */
  HearthWeight      output_norm;
  HearthWeight      output;     /* == tok_embd when tied */
  const float      *rope_freqs; /* [n_rot/2] frequency divisors, or NULL */
  /* LongRoPE (Phi-3.5, Phi-4-mini): divisors for contexts up to the
   * original one (short) and past it (long), both or neither; and the
   * magnitude its angles carry (rope.scaling.attn_factor). */
  const float      *rope_factors_short, *rope_factors_long;
  float             longrope_mscale;
  HearthLayer      *layers;
  guint64           n_params;
  guint64           bytes_per_token;

  HearthModelParams params;
  HearthThreadPool *pool;
  /* Held by a session for each forward pass (one decode chunk): the pool,
   * its scratch memory and the Vulkan queue serve one pass at a time, so
   * sessions on different threads take turns chunk by chunk. */
  GMutex            forward_lock;
  char             *backend_description;
  HearthVkModel    *vk;         /* layers [0, vk n_gpu_layers) run on Vulkan */
  char             *device_name; /* params.device_name points here */
  HearthEncoder    *encoder;    /* set for encoders, whose `layers` is NULL */
};

/* hearth-model.c: reads key "{architecture}.@suffix" (a missing optional
 * key gives @fallback). */
gboolean hearth_model_get_arch_u32 (HearthModel *m,
                                    const char  *suffix,
                                    gboolean     required,
                                    guint32      fallback,
                                    guint32     *out,
                                    GError     **error);
gboolean hearth_model_get_arch_float (HearthModel *m,
                                      const char  *suffix,
                                      double       fallback,
                                      float       *out,
                                      GError     **error);
/* hearth-model.c: looks a tensor up and checks its shape (@ne1 = 0: 1-D, F32). */
gboolean hearth_model_bind_weight (HearthModel  *m,
                                   HearthWeight *w,
                                   const char   *name,
                                   guint64       ne0,
                                   guint64       ne1,
                                   gboolean      required,
                                   GError      **error);
/* hearth-encoder.c: the hyper-parameters and weights of an encoder file. */
gboolean hearth_encoder_load (HearthModel      *m,
                              HearthEncoderKind kind,
                              GError          **error);
void     hearth_encoder_free (HearthEncoder *enc);

/* engine/cpu/hearth-cpu-encoder.c: one packed pass. @tokens holds n_tokens
 * ids, sequence i being [seq_start[i], seq_start[i+1]) with positions from
 * 0; no token attends outside its sequence. The final hidden states go to
 * @hidden (n_tokens x n_embd). Scratch is the callee's. */
void     hearth_cpu_encode (HearthModel    *m,
                            const gint32   *tokens,
                            const guint32  *seq_start,
                            guint32         n_seqs,
                            float          *hidden);

G_END_DECLS
