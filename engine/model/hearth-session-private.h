/* hearth-session-private.h: session state shared with the backends
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-model-private.h"

G_BEGIN_DECLS

struct _HearthSession
{
  HearthModel *model;
  guint32      n_ctx;
  guint32      n_batch;
  gboolean     kv_f32;

  guint32      n_past;
  gint32      *tokens;      /* [n_ctx] ids in the cache */

  /* KV cache, per layer: k[il] is [kv_rows[il]][n_head_kv * head_dim], v[il]
   * is [kv_rows[il]][n_head_kv * head_dim_v], in f16 (or f32 with kv_f32). */
  void       **k;
  void       **v;
  /* Rows of each layer's cache: n_ctx, or on a sliding layer (gemma3) a
   * ring of swa_rows, position p in row p % swa_rows. A chunk needs the
   * window's n_swa - 1 positions before it and its own n_batch, so that
   * is all a ring holds: long contexts cost memory on the global layers
   * only. kv_hi is one past the highest position written since the cache
   * was emptied: the rings hold positions from kv_hi - swa_rows on, which
   * limits how far back hearth_session_truncate can keep the cache. */
  guint32     *kv_rows;
  guint32      swa_window;  /* the widest sliding window, 0 when none */
  guint32      swa_rows;
  guint32      kv_hi;

  /* Logits of the last decode: [n_logits][n_vocab]. */
  float       *logits;
  guint32      n_logits;
  guint32      logits_capacity;

  /* Scratch for one chunk of up to n_batch tokens. */
  float       *x;        /* [n_batch][n_embd] residual stream */
  float       *xn;       /* [n_batch][n_embd] normalised */
  float       *q;        /* [n_batch][n_head * head_dim] */
  float       *kc;       /* [n_batch][n_head_kv * head_dim] */
  float       *vc;       /* [n_batch][n_head_kv * head_dim_v] */
  float       *attn;     /* [n_batch][n_head * head_dim_v] */
  float       *gate;     /* [n_batch][n_ff] */
  float       *up;       /* [n_batch][n_ff] */
  float       *rope_cs;  /* [n_batch][n_rot/2][2] cos, sin */
  float       *rope_cs_swa; /* the same with the sliding layers' base (gemma3), or NULL */
  const float *rope_factors; /* per-pair divisors for this context (hearth_rope_factors), or NULL */
  float       *scores;   /* [n_threads][n_ctx] */
  int          n_threads;

  HearthVkSession *vk;   /* device buffers when the model has Vulkan layers */
};

/* Runs @n tokens at positions n_past.. through the CPU backend, writing the
 * K/V of each layer into the cache; leaves the final normalised hidden
 * states of the tokens in self->xn. */
void hearth_cpu_forward (HearthSession *self,
                         const gint32  *tokens,
                         guint32        n);

/* The same from layer @first_layer on, with the residual stream of layers
 * before it already in self->x (partial offload: those ran on Vulkan). */
void hearth_cpu_forward_from (HearthSession *self,
                              const gint32  *tokens,
                              guint32        n,
                              guint32        first_layer);

G_END_DECLS
