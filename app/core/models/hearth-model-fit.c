/* hearth-model-fit.c: where a model runs on this machine, with the numbers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The layers are taken as equal slices of the weights, with the token
 * embeddings and the output matrix as one more slice that stays on the CPU
 * unless every layer fits on the device (as the engine splits a model).
 */
#include "hearth-config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-model-fit.h"
#include "hearth-model-info.h"
#include "hearth-models-error.h"

HearthFitMachine *
hearth_fit_machine_new_current (void)
{
  HearthFitMachine *m = g_new0 (HearthFitMachine, 1);
  g_autoptr(GPtrArray) devices = hearth_list_devices ();

  m->free_ram = hearth_model_available_memory ();
  m->n_devices = devices->len;
  m->devices = g_new0 (HearthFitDevice, MAX (devices->len, 1));
  for (guint i = 0; i < devices->len; i++)
    {
      const HearthDevice *d = g_ptr_array_index (devices, i);

      m->devices[i].name = g_strdup (d->name);
      m->devices[i].memory = d->device_memory;
      m->devices[i].is_cpu = d->is_cpu;
      m->devices[i].uma = d->uma;
    }
  return m;
}

void
hearth_fit_machine_free (HearthFitMachine *machine)
{
  if (machine == NULL)
    return;
  for (guint i = 0; i < machine->n_devices; i++)
    g_free (machine->devices[i].name);
  g_free (machine->devices);
  g_free (machine);
}

double
hearth_fit_bits_per_weight (const char *q)
{
  /* Block layouts of the public GGUF formats: bytes per block * 8 / weights
   * per block. K-quant recipes mix types; these are their usual averages. */
  static const struct { const char *name; double bpw; } table[] = {
    { "F32", 32.0 }, { "F16", 16.0 }, { "BF16", 16.0 },
    { "Q8_0", 8.5 }, { "Q6_K", 6.5625 }, { "Q5_K_M", 5.7 },
    { "Q4_K_M", 4.9 }, { "Q4_0", 4.5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (table[i].name, q) == 0)
      return table[i].bpw;
  return 0;
}

void
hearth_fit_model_from_entry (const HearthCatalogEntry *e,
                             guint32                   n_ctx,
                             HearthFitModel           *out)
{
  memset (out, 0, sizeof *out);
  out->weight_bytes = e->size != 0 ? e->size
                                   : (guint64) ((double) e->parameters * hearth_fit_bits_per_weight (e->quantisation) / 8.0);
  out->n_layer = e->n_layer;
  out->n_head_kv = e->n_head_kv;
  out->head_dim = e->head_dim;
  out->n_ctx = n_ctx != 0 ? n_ctx : (guint32) MIN (e->context_length, HEARTH_FIT_DEFAULT_CONTEXT);
}

gboolean
hearth_fit_model_from_file (const char     *path,
                            guint32         n_ctx,
                            HearthFitModel *out,
                            GError        **error)
{
  g_autoptr(HearthGguf) gguf = hearth_gguf_open (path, error);
  g_autofree char *arch = NULL;
  g_autofree char *key = NULL;
  guint32 n_head = 0, n_embd = 0, ctx_train = 0;

  if (gguf == NULL)
    return FALSE;
  memset (out, 0, sizeof *out);
  arch = hearth_gguf_dup_string (gguf, "general.architecture", error);
  if (arch == NULL)
    return FALSE;
  if (!hearth_architecture_supported (arch))
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_UNSUPPORTED,
                   _("Hearth cannot run this model: its architecture “%s” is not supported"), arch);
      return FALSE;
    }
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (gguf); i++)
    {
      const HearthGgufTensor *t = hearth_gguf_get_tensor (gguf, i);

      if (!hearth_tensor_type_supported (t->type))
        {
          g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_UNSUPPORTED,
                       _("Hearth cannot run this model: tensor “%s” has type %s, which the engine does not compute"),
                       t->name, hearth_ggml_type_name (t->type) ? hearth_ggml_type_name (t->type) : "?");
          return FALSE;
        }
      out->weight_bytes += t->n_bytes;
    }

#define ARCH_U32(suffix, dst, fallback) \
  (g_free (key), key = g_strdup_printf ("%s." suffix, arch), hearth_gguf_get_uint32_or (gguf, key, fallback, dst, error))
  if (!ARCH_U32 ("block_count", &out->n_layer, 0) ||
      !ARCH_U32 ("embedding_length", &n_embd, 0) ||
      !ARCH_U32 ("attention.head_count", &n_head, 1) ||
      !ARCH_U32 ("attention.head_count_kv", &out->n_head_kv, n_head) ||
      !ARCH_U32 ("attention.key_length", &out->head_dim, n_head ? n_embd / MAX (n_head, 1) : 0) ||
      !ARCH_U32 ("context_length", &ctx_train, HEARTH_FIT_DEFAULT_CONTEXT))
    return FALSE;
#undef ARCH_U32
  if (out->n_layer == 0)
    {
      g_set_error (error, HEARTH_MODELS_ERROR, HEARTH_MODELS_ERROR_UNSUPPORTED,
                   _("This file names no layers (%s.block_count)"), arch);
      return FALSE;
    }
  out->n_ctx = n_ctx != 0 ? MIN (n_ctx, ctx_train) : MIN (ctx_train, HEARTH_FIT_DEFAULT_CONTEXT);
  /* gemma3's sliding layers, as the engine reads them (hearth-model.c). */
  if (strcmp (arch, "gemma3") == 0)
    {
      g_free (key);
      key = g_strdup_printf ("%s.attention.sliding_window", arch);
      if (!hearth_gguf_get_uint32_or (gguf, key, 0, &out->n_swa, error))
        return FALSE;
      g_free (key);
      key = g_strdup_printf ("%s.attention.sliding_window_pattern", arch);
      if (!hearth_gguf_get_uint32_or (gguf, key, 6, &out->swa_pattern, error))
        return FALSE;
    }
  return TRUE;
}

const char *
hearth_fit_verdict_to_string (HearthFitVerdict verdict)
{
  switch (verdict)
    {
    case HEARTH_FIT_GPU: return "runs-on-gpu";
    case HEARTH_FIT_PARTIAL_GPU: return "partly-on-gpu";
    case HEARTH_FIT_CPU: return "cpu-only";
    case HEARTH_FIT_TOO_LARGE: return "too-large";
    default: g_return_val_if_reached ("too-large");
    }
}

static const HearthFitDevice *
best_device (const HearthFitMachine *machine)
{
  const HearthFitDevice *best = NULL;

  /* A software device is slower than the CPU backend, and a device that
   * shares the RAM gains nothing in room: neither is a place to offload to
   * for room's sake (the user can still choose one in Preferences). */
  for (guint i = 0; i < machine->n_devices; i++)
    {
      const HearthFitDevice *d = &machine->devices[i];

      if (d->is_cpu || d->memory == 0)
        continue;
      if (best == NULL || d->memory > best->memory)
        best = d;
    }
  return best;
}

HearthFit *
hearth_fit_check (const HearthFitModel   *model,
                  const HearthFitMachine *machine)
{
  HearthFit *fit = g_new0 (HearthFit, 1);
  const HearthFitDevice *dev = best_device (machine);
  guint64 slice, kv_layer, on_cpu;
  g_autofree char *weights = NULL, *kv = NULL, *free_ram = NULL, *need = NULL;

  g_return_val_if_fail (model->n_layer > 0, fit);
  fit->n_layer = model->n_layer;
  fit->weight_bytes = model->weight_bytes;
  /* K and V in f16 per position; a sliding layer holds a ring of its
   * window and one batch (hearth_session_get_kv_rows), the others every
   * position. kv_layer is their mean, for the layers offloaded. */
  for (guint32 il = 0; il < model->n_layer; il++)
    {
      gboolean slides = model->n_swa != 0 && model->swa_pattern != 0 &&
                        il % model->swa_pattern < model->swa_pattern - 1;
      guint64 rows = slides ? MIN ((guint64) model->n_ctx, (guint64) model->n_swa - 1 + HEARTH_FIT_BATCH)
                            : model->n_ctx;

      fit->kv_bytes += 2ull * model->n_head_kv * model->head_dim * rows * 2ull;
    }
  kv_layer = fit->kv_bytes / model->n_layer;
  fit->ram_free = machine->free_ram;
  slice = model->weight_bytes / (model->n_layer + 1ull);

  if (dev != NULL)
    {
      guint64 usable = dev->memory > HEARTH_FIT_RESERVE ? dev->memory - HEARTH_FIT_RESERVE : 0;
      guint64 all = model->weight_bytes + fit->kv_bytes;

      fit->gpu_memory = dev->memory;
      if (all <= usable)
        fit->gpu_layers = model->n_layer;
      else
        fit->gpu_layers = (guint32) MIN ((guint64) model->n_layer - 1, usable / (slice + kv_layer));
      if (fit->gpu_layers > 0)
        {
          fit->device = g_strdup (dev->name);
          fit->gpu_needed = fit->gpu_layers == model->n_layer ? all : fit->gpu_layers * (slice + kv_layer);
        }
    }
  on_cpu = model->weight_bytes + fit->kv_bytes - fit->gpu_needed;
  fit->ram_needed = on_cpu + HEARTH_FIT_RESERVE;

  weights = g_format_size (model->weight_bytes);
  kv = g_format_size (fit->kv_bytes);
  free_ram = g_format_size (machine->free_ram);
  need = g_format_size (fit->ram_needed);
  if (fit->ram_needed > machine->free_ram)
    {
      fit->verdict = HEARTH_FIT_TOO_LARGE;
      fit->gpu_layers = 0;
      g_clear_pointer (&fit->device, g_free);
      fit->summary = g_strdup_printf (_("Too large: needs %s of memory (%s of weights, %s for %u tokens of context), "
                                        "%s is free"), need, weights, kv, model->n_ctx, free_ram);
    }
  else if (fit->gpu_layers == model->n_layer)
    {
      g_autofree char *gpu = g_format_size (fit->gpu_needed);
      g_autofree char *mem = g_format_size (fit->gpu_memory);

      fit->verdict = HEARTH_FIT_GPU;
      fit->summary = g_strdup_printf (_("Runs on the GPU: %s of %s on %s (%s of weights, %s for %u tokens of context)"),
                                      gpu, mem, fit->device, weights, kv, model->n_ctx);
    }
  else if (fit->gpu_layers > 0)
    {
      g_autofree char *gpu = g_format_size (fit->gpu_needed);
      g_autofree char *mem = g_format_size (fit->gpu_memory);

      fit->verdict = HEARTH_FIT_PARTIAL_GPU;
      fit->summary = g_strdup_printf (_("Partly on the GPU: %u of %u layers on %s (%s of %s), the rest needs %s of memory, "
                                        "%s is free"), fit->gpu_layers, model->n_layer, fit->device, gpu, mem, need, free_ram);
    }
  else
    {
      fit->verdict = HEARTH_FIT_CPU;
      fit->summary = g_strdup_printf (_("CPU only: needs %s of memory (%s of weights, %s for %u tokens of context), "
                                        "%s is free"), need, weights, kv, model->n_ctx, free_ram);
    }
  return fit;
}

void
hearth_fit_free (HearthFit *fit)
{
  if (fit == NULL)
    return;
  g_free (fit->device);
  g_free (fit->summary);
  g_free (fit);
}
