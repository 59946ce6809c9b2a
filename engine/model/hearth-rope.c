/* hearth-rope.c: the rotary position embedding's angle for one dimension pair
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Its own file because both backends' forward passes need it: while it sat
 * in the model loader, the Vulkan forward pass called back into the file that
 * calls it (an include circle model <-> vk-forward).
 */
#include "hearth-rope.h"

#include <math.h>

#include "hearth-model-private.h"

/* YaRN blends interpolated and extrapolated angles per dimension: the
 * dimensions that turn fewer than beta_slow times over the original context
 * are interpolated, those turning more than beta_fast times are kept. */
static float
yarn_corr_dim (float n_rot,
               float n_ctx_orig,
               float n_turns,
               float base)
{
  return n_rot * logf (n_ctx_orig / (n_turns * 2.0f * (float) G_PI)) / (2.0f * logf (base));
}

void
hearth_rope_angle (const HearthModel *model,
                   guint32            i,
                   guint32            pos,
                   float             *theta,
                   float             *mscale)
{
  hearth_rope_angle_with_base (model, model->hp.rope_freq_base, i, pos, theta, mscale);
}

void
hearth_rope_angle_with_base (const HearthModel *model,
                             float              base,
                             guint32            i,
                             guint32            pos,
                             float             *theta,
                             float             *mscale)
{
  const HearthHParams *hp = &model->hp;
  float theta_extrap = (float) pos * powf (base, -2.0f * (float) i / (float) hp->n_rot);

  if (model->rope_freqs != NULL)
    theta_extrap /= model->rope_freqs[i];

  *mscale = 1.0f;
  switch (hp->rope_scaling)
    {
    case HEARTH_ROPE_SCALING_NONE:
      *theta = theta_extrap;
      break;
    case HEARTH_ROPE_SCALING_LINEAR:
      *theta = theta_extrap * hp->rope_freq_scale;
      break;
    case HEARTH_ROPE_SCALING_YARN:
      {
        float n_rot = (float) hp->n_rot;
        float orig = (float) (hp->rope_orig_ctx ? hp->rope_orig_ctx : hp->n_ctx_train);
        float lo = floorf (yarn_corr_dim (n_rot, orig, hp->yarn_beta_fast, base));
        float hi = ceilf (yarn_corr_dim (n_rot, orig, hp->yarn_beta_slow, base));
        float y, ramp;

        lo = MAX (lo, 0.0f);
        hi = MIN (hi, n_rot - 1.0f);
        y = ((float) i - lo) / MAX (0.001f, hi - lo);
        ramp = (1.0f - CLAMP (y, 0.0f, 1.0f)) * hp->yarn_ext_factor;
        *theta = theta_extrap * hp->rope_freq_scale * (1.0f - ramp) + theta_extrap * ramp;
        *mscale = hp->yarn_attn_factor;
        if (hp->yarn_ext_factor != 0.0f)
          *mscale *= 1.0f + 0.1f * logf (1.0f / hp->rope_freq_scale);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}
