/* hearth-rope.h: the rotary position embedding's angles, for the forward passes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-engine.h"

G_BEGIN_DECLS

/* Rope frequency of dimension pair @i (0 <= i < n_rot/2) at position @pos,
 * with the model's base and scaling; also returns the magnitude scale
 * YaRN applies. The encoders' angles (no LongRoPE, no second base). */
void hearth_rope_angle (const HearthModel *model,
                        guint32            i,
                        guint32            pos,
                        float             *theta,
                        float             *mscale);

/* The divisors a session of @n_ctx positions applies per dimension pair:
 * LongRoPE's long table when @n_ctx is past the original context (as
 * llama.cpp chooses: the published model switches by the sequence's
 * length, which would leave cached keys rotated by the other table), its
 * short one otherwise, else the model's rope_freqs; NULL for none. */
const float *hearth_rope_factors (const HearthModel *model,
                                  guint32            n_ctx);

/* The decoders' tables for @n tokens at positions @pos0..: @cs gets the
 * cos, sin pairs ([n][n_rot/2][2], times the magnitude scale) with the
 * model's base, and @cs_swa (when not NULL) the same with gemma3's
 * sliding base; @factors from hearth_rope_factors. Both backends fill
 * their tables here. */
void hearth_rope_fill (const HearthModel *model,
                       const float       *factors,
                       guint32            pos0,
                       guint32            n,
                       float             *cs,
                       float             *cs_swa);

G_END_DECLS
