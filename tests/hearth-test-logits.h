/* hearth-test-logits.h: checking a model's logits against the exact references
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by every backend's model tests, so the CPU and Vulkan are held to
 * the same bounds (reference/tolerances.json, reference/README.md): largest
 * absolute difference, RMS difference, and the argmax wherever the exact
 * top-1 margin exceeds the bound.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "hearth-engine.h"
#include "hearth-test.h"

G_BEGIN_DECLS

typedef struct
{
  double max_abs;
  double rms;
  double top1_margin;
} HearthTestBounds;

typedef struct
{
  double max_abs;
  double rms;
  guint  top1_checked;
  guint  top1_mismatches;
} HearthTestDeviation;

/* Every decoder model with exact reference logits. */
extern const char *const hearth_test_decoder_stems[];
extern const guint hearth_test_n_decoder_stems;
#define HEARTH_TEST_N_SANITIZED_STEMS 6
/* How many of them this build checks: all, or in the sanitizer build
 * (hearth_test_sanitized) the first HEARTH_TEST_N_SANITIZED_STEMS. */
guint hearth_test_n_decoder_stems_here (void);

/* reference/<rel> parsed by @parser (failing the test when it cannot be). */
JsonObject         *hearth_test_load_reference (JsonParser *parser,
                                                const char *rel);
HearthTestBounds    hearth_test_bounds_for (const char *stem);
/* The reference's token ids, and the model file (relative to shared/). */
GArray             *hearth_test_all_ids_for (const char *stem,
                                             char      **model_rel);
HearthTestDeviation hearth_test_compare_logits (const float *got,
                                                const float *exact,
                                                guint        n_pos,
                                                guint        n_vocab,
                                                double       top1_margin);

/* Loads @stem's model with @mp, decodes its reference ids teacher-forced
 * (n_ctx 128, @n_batch per pass) and asserts the bounds; prints the figures
 * with @label. */
void                hearth_test_check_model_logits (const char              *stem,
                                                    const HearthModelParams *mp,
                                                    guint32                  n_batch,
                                                    gboolean                 kv_f32,
                                                    const char              *label);

G_END_DECLS
