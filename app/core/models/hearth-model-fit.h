/* hearth-model-fit.h: whether a model fits this machine, and where it runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Before a download and before a load: the weights (the file's size, or the
 * parameter count times the quantisation's bits per weight), the KV cache
 * (2 x layers x KV heads x head size x context, in f16) and a fixed reserve
 * for the compute buffers and the app, against each Vulkan device's largest
 * device-local heap and the RAM the kernel says is available. The verdict
 * comes with its numbers. Pure functions of a HearthFitModel and a
 * HearthFitMachine (tests make both up); any thread.
 */
#pragma once

#include <glib.h>

#include "hearth-catalog.h"

G_BEGIN_DECLS

/* The context the app opens by default (the context-length setting's default). */
#define HEARTH_FIT_DEFAULT_CONTEXT 4096
/* Compute buffers, the tokenizer and the app's own memory, kept free. */
#define HEARTH_FIT_RESERVE (512u * 1024 * 1024)

typedef enum
{
  HEARTH_FIT_GPU,          /* every layer on the GPU */
  HEARTH_FIT_PARTIAL_GPU,  /* gpu_layers of n_layer on the GPU, the rest on the CPU */
  HEARTH_FIT_CPU,          /* no usable GPU, or too little of it: all on the CPU */
  HEARTH_FIT_TOO_LARGE,    /* not enough memory anywhere */
} HearthFitVerdict;

typedef struct
{
  guint64 weight_bytes;
  guint32 n_layer;
  guint32 n_head_kv;
  guint32 head_dim;
  guint32 n_ctx;           /* the context it will be opened with */
  guint32 n_swa;           /* gemma3's sliding window (0: none): those layers keep a ring */
  guint32 swa_pattern;     /* layer il slides when il % swa_pattern < swa_pattern - 1 */
} HearthFitModel;

/* The engine's batch (hearth-session.c DEFAULT_BATCH): a sliding layer's
 * ring holds its window and one batch. */
#define HEARTH_FIT_BATCH 64

typedef struct
{
  char    *name;
  guint64  memory;         /* largest device-local heap */
  gboolean is_cpu;         /* lavapipe: never worth offloading to */
  gboolean uma;            /* shares the system RAM */
} HearthFitDevice;

typedef struct
{
  guint64          free_ram;
  guint            n_devices;
  HearthFitDevice *devices;
} HearthFitMachine;

typedef struct
{
  HearthFitVerdict verdict;
  guint32          gpu_layers;   /* of n_layer */
  guint32          n_layer;
  guint64          weight_bytes;
  guint64          kv_bytes;
  guint64          ram_needed;   /* on the CPU side */
  guint64          ram_free;
  guint64          gpu_needed;   /* on the device */
  guint64          gpu_memory;
  char            *device;       /* the device chosen; NULL for the CPU */
  char            *summary;      /* "Runs on the GPU (...)": a sentence with the numbers */
} HearthFit;

/* This machine: MemAvailable and hearth_list_devices(). */
HearthFitMachine *hearth_fit_machine_new_current (void);
void              hearth_fit_machine_free        (HearthFitMachine *machine);

/* Bits per weight a quantisation recipe averages, for a model not yet
 * downloaded (Q8_0: 34 bytes per 32 weights = 8.5); 0 when unknown. */
double            hearth_fit_bits_per_weight     (const char *quantisation);
/* A catalog entry at @n_ctx (0: the smaller of its context and
 * HEARTH_FIT_DEFAULT_CONTEXT). */
void              hearth_fit_model_from_entry    (const HearthCatalogEntry *entry,
                                                  guint32                   n_ctx,
                                                  HearthFitModel           *out);
/* A GGUF file's header (tensors unread); FALSE for a file the engine
 * cannot run, with an error that names the architecture or tensor type. */
gboolean          hearth_fit_model_from_file     (const char     *path,
                                                  guint32         n_ctx,
                                                  HearthFitModel *out,
                                                  GError        **error);

HearthFit        *hearth_fit_check               (const HearthFitModel   *model,
                                                  const HearthFitMachine *machine);
void              hearth_fit_free                (HearthFit *fit);
/* "runs-on-gpu", "partly-on-gpu", "cpu-only", "too-large" */
const char       *hearth_fit_verdict_to_string   (HearthFitVerdict verdict);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthFit, hearth_fit_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthFitMachine, hearth_fit_machine_free)

G_END_DECLS
