/* hearth-model.h: models loaded from GGUF files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A HearthModel is the immutable, mmap'd weights of one GGUF file plus its
 * hyper-parameters; it can be shared by several sessions and threads.
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-gguf.h"
#include "hearth-tokenizer.h"

G_BEGIN_DECLS

typedef struct _HearthModel HearthModel;

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

/* One Vulkan device as a fit check sees it (hearth_list_devices()). */
typedef struct
{
  guint    index;          /* what HearthModelParams.device_index takes */
  char    *name;
  gboolean is_cpu;         /* a software implementation such as lavapipe */
  gboolean uma;            /* its device-local memory is the system's RAM */
  guint64  device_memory;  /* bytes of its largest device-local heap */
} HearthDevice;

void         hearth_device_free (HearthDevice *device);
/* The Vulkan devices, in the order device_index counts them: an array of
 * HearthDevice (free with g_ptr_array_unref), empty when this build has no
 * Vulkan or Vulkan cannot start; never an error, as a machine without a
 * GPU is a normal machine. */
GPtrArray   *hearth_list_devices (void);
/* Whether hearth_model_load() runs models of @architecture
 * (general.architecture: "llama", "qwen2", "qwen3"). */
gboolean     hearth_architecture_supported (const char *architecture);
/* Whether the engine computes weights of tensor type @type (HearthGgmlType). */
gboolean     hearth_tensor_type_supported  (guint32 type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthModel, hearth_model_unref)

G_END_DECLS
