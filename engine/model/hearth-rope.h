/* hearth-rope.h: the rotary position embedding's angles, for the forward passes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "hearth-engine.h"

G_BEGIN_DECLS

/* Rope frequency of dimension pair @i (0 <= i < n_rot/2) at position @pos,
 * with the model's scaling; also returns the magnitude scale YaRN applies. */
void hearth_rope_angle (const HearthModel *model,
                        guint32            i,
                        guint32            pos,
                        float             *theta,
                        float             *mscale);
/* The same with another base (gemma3's sliding layers). */
void hearth_rope_angle_with_base (const HearthModel *model,
                                  float              base,
                                  guint32            i,
                                  guint32            pos,
                                  float             *theta,
                                  float             *mscale);

G_END_DECLS
