/* hearth-sampler.h: turning logits into a token
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <glib.h>

#include "hearth-constraint.h"

G_BEGIN_DECLS

typedef struct _HearthSampler HearthSampler;

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

/* Masks every sample with @constraint's allowed tokens (ref kept; NULL
 * detaches) and feeds the picked token back to it. With a constraint,
 * sample() returns -1 when no token is allowed. */
void              hearth_sampler_set_constraint (HearthSampler    *self,
                                                 HearthConstraint *constraint);
HearthConstraint *hearth_sampler_get_constraint (HearthSampler *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSampler, hearth_sampler_free)

G_END_DECLS
