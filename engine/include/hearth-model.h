/* hearth-model.h: models, sessions and sampling
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A HearthModel is the immutable, mmap'd weights of one GGUF file plus its
 * hyper-parameters; it can be shared by several sessions and threads. A
 * HearthSession owns a KV cache and a position, and is used by one thread
 * at a time. A HearthSampler turns logits into a token.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-gguf.h"
#include "hearth-tokenizer.h"

G_BEGIN_DECLS

typedef struct _HearthModel HearthModel;
typedef struct _HearthSession HearthSession;
typedef struct _HearthSampler HearthSampler;

typedef enum
{
  HEARTH_BACKEND_CPU,
  HEARTH_BACKEND_VULKAN,
} HearthBackendKind;

typedef struct
{
  HearthBackendKind backend;  /* default CPU */
  int               n_threads; /* <= 0: one per core */
  gboolean          reference; /* use the scalar reference kernels (slow; for tests) */
  /* Vulkan only: */
  int               device_index; /* < 0 (default): a GPU, lavapipe only when it is the only device */
  const char       *device_name;  /* or a case-insensitive part of its name; NULL: by index */
  int               n_gpu_layers; /* layers [0, n) on the device, the rest on the CPU; < 0 (default): all */
  guint64           device_memory_limit; /* bytes of device memory the model and its sessions may use; 0: all the device has */
  /*< private >*/
  gpointer          padding[5];
} HearthModelParams;

void         hearth_model_params_init (HearthModelParams *params);
HearthModel *hearth_model_load (const char              *path,
                                const HearthModelParams *params,
                                GError                 **error);
HearthModel *hearth_model_ref (HearthModel *self);
void         hearth_model_unref (HearthModel *self);

HearthGguf  *hearth_model_get_gguf (HearthModel *self);
/* The model's own tokenizer (borrowed). */
HearthTokenizer *hearth_model_get_tokenizer (HearthModel *self);
const char  *hearth_model_get_architecture (HearthModel *self);
guint32      hearth_model_get_n_vocab (HearthModel *self);
guint32      hearth_model_get_n_ctx_train (HearthModel *self);
guint32      hearth_model_get_n_embd (HearthModel *self);
guint32      hearth_model_get_n_layer (HearthModel *self);
guint64      hearth_model_get_n_params (HearthModel *self);
/* Bytes of weights one decoded token reads (every matrix once, plus one embedding row). */
guint64      hearth_model_get_bytes_per_token (HearthModel *self);
/* "CPU (avx2+fma+f16c, 2 threads)"; with Vulkan, which layers run where:
 * "Vulkan device 0 (...): layers 0-3; CPU (...): layers 4-7 + output" */
const char  *hearth_model_get_backend_description (HearthModel *self);
/* The backend that runs layer @il: HEARTH_BACKEND_VULKAN or HEARTH_BACKEND_CPU. */
HearthBackendKind hearth_model_get_layer_backend (HearthModel *self,
                                                  guint32      il);
/* Layers on the Vulkan device (0 for the CPU backend). */
guint32      hearth_model_get_n_gpu_layers (HearthModel *self);
/* Of hearth_model_get_bytes_per_token(), the bytes the Vulkan device streams
 * from its own memory per decoded token: the matrices of its layers, the
 * output matrix when every layer is there, and one embedding row (0 for the
 * CPU backend). */
guint64      hearth_model_get_device_bytes_per_token (HearthModel *self);
/* Whether the model's GPU device was lost (a driver reset, a GPU unplugged):
 * every call on the model and its sessions then fails at once with
 * HEARTH_ENGINE_ERROR_DEVICE, and what is left is to free them and load the
 * file again. Always FALSE on the CPU backend. */
gboolean     hearth_model_is_device_lost (HearthModel *self);
/* `hearth-cli devices`: every Vulkan device with its memory and features,
 * one entry per device; an error when Vulkan is not available. */
char        *hearth_describe_devices (GError **error);

typedef struct
{
  guint32  n_ctx;     /* 0: the model's training context */
  guint32  n_batch;   /* tokens per forward pass when decoding a prompt; 0: 64 */
  gboolean kv_f32;    /* KV cache in f32 instead of f16 */
  /*< private >*/
  gpointer padding[8];
} HearthSessionParams;

void           hearth_session_params_init (HearthSessionParams *params);
HearthSession *hearth_session_new (HearthModel               *model,
                                   const HearthSessionParams *params,
                                   GError                   **error);
void           hearth_session_free (HearthSession *self);

HearthModel   *hearth_session_get_model (HearthSession *self);
guint32        hearth_session_get_n_ctx (HearthSession *self);
/* Tokens in the KV cache. */
guint32        hearth_session_get_n_past (HearthSession *self);
/* The ids in the cache, in order (n_past of them). */
const gint32  *hearth_session_get_tokens (HearthSession *self);

/* Runs @n_tokens after what is cached. With @all_logits, the logits of every
 * one of them are kept (hearth_session_get_logits (self, i)); otherwise only
 * the last. Fails with CONTEXT_FULL, leaving the session as it was, when the
 * tokens do not fit, and with INVALID_ARGUMENT for an id outside the vocab. */
gboolean       hearth_session_decode (HearthSession *self,
                                      const gint32  *tokens,
                                      gsize          n_tokens,
                                      gboolean       all_logits,
                                      GCancellable  *cancellable,
                                      GError       **error);
/* Logits (n_vocab floats) of token @i of the last decode; i = -1 for the last one. */
const float   *hearth_session_get_logits (HearthSession *self,
                                          int            i);
/* Forgets everything from position @n_past on. */
void           hearth_session_truncate (HearthSession *self,
                                        guint32        n_past);

/* This machine's memory read bandwidth in bytes/s with @n_threads threads
 * (<= 0: one per core), over a buffer of @bytes: the bound for decode speed. */
double         hearth_measure_read_bandwidth (int   n_threads,
                                              gsize bytes);
/* The median of @v[0..n) (sorted in place), 0 for none: what every
 * benchmark of the engine and hearth-cli quotes. */
double         hearth_median (double *v,
                              gsize   n);

/* ---- sampling ---- */

typedef struct
{
  float    temperature;        /* <= 0: greedy */
  int      top_k;              /* <= 0: off */
  float    top_p;              /* >= 1: off */
  float    min_p;              /* <= 0: off */
  float    repeat_penalty;     /* 1: off */
  float    frequency_penalty;  /* 0: off */
  float    presence_penalty;   /* 0: off */
  int      penalty_last_n;     /* tokens looked back for penalties; 64 */
  guint64  seed;
  /*< private >*/
  gpointer padding[8];
} HearthSamplerParams;

void           hearth_sampler_params_init (HearthSamplerParams *params); /* greedy */
HearthSampler *hearth_sampler_new (const HearthSamplerParams *params);
void           hearth_sampler_free (HearthSampler *self);
/* Picks a token from @logits (n_vocab) given the recent @history. */
gint32         hearth_sampler_sample (HearthSampler *self,
                                      const float   *logits,
                                      guint32        n_vocab,
                                      const gint32  *history,
                                      gsize          n_history);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModel, hearth_model_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSession, hearth_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSampler, hearth_sampler_free)

G_END_DECLS
