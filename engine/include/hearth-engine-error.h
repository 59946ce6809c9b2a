/* hearth-engine-error.h: the one error domain of libhearth-engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_ENGINE_ERROR (hearth_engine_error_quark ())

/**
 * HearthEngineError:
 * Every fallible engine call reports one of these in HEARTH_ENGINE_ERROR.
 * The message says what is wrong and, for files, where (byte offset).
 */
typedef enum
{
  HEARTH_ENGINE_ERROR_FAILED,            /* anything not listed below */
  HEARTH_ENGINE_ERROR_IO,                /* open, stat, mmap, read failed */
  HEARTH_ENGINE_ERROR_BAD_MAGIC,         /* not a GGUF file */
  HEARTH_ENGINE_ERROR_BAD_VERSION,       /* GGUF version we do not read */
  HEARTH_ENGINE_ERROR_TRUNCATED,         /* a field runs past the end of the file */
  HEARTH_ENGINE_ERROR_LIMIT,             /* a count or length is beyond what the file can hold */
  HEARTH_ENGINE_ERROR_UNKNOWN_TYPE,      /* unknown metadata value type or tensor type id */
  HEARTH_ENGINE_ERROR_BAD_ALIGNMENT,     /* general.alignment or a tensor offset is misaligned */
  HEARTH_ENGINE_ERROR_TENSOR_RANGE,      /* tensor data outside the data section */
  HEARTH_ENGINE_ERROR_TENSOR_OVERLAP,    /* two tensors share bytes */
  HEARTH_ENGINE_ERROR_SHAPE,             /* bad dimension count, shape product overflow, row not a block multiple */
  HEARTH_ENGINE_ERROR_DUPLICATE,         /* repeated metadata key or tensor name */
  HEARTH_ENGINE_ERROR_TYPE_MISMATCH,     /* metadata value has another type than asked for */
  HEARTH_ENGINE_ERROR_NOT_FOUND,         /* metadata key or tensor absent */
  HEARTH_ENGINE_ERROR_UNSUPPORTED,       /* valid, but not something this engine runs (architecture, tensor type) */
  HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,  /* the caller passed something invalid */
  HEARTH_ENGINE_ERROR_CONTEXT_FULL,      /* positions beyond the session's n_ctx */
  HEARTH_ENGINE_ERROR_CANCELLED,         /* stopped through a GCancellable */
  HEARTH_ENGINE_ERROR_TEMPLATE,          /* chat template syntax or runtime error */
  HEARTH_ENGINE_ERROR_DEVICE,            /* GPU device lost, out of device memory */
} HearthEngineError;

GQuark hearth_engine_error_quark (void);

G_END_DECLS
