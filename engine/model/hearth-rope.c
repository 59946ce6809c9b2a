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

static void
angle (const HearthModel *model,
       const float       *factors,
       float              base,
       guint32            i,
       guint32            pos,
       float             *theta,
       float             *mscale)
{
  const HearthHParams *hp = &model->hp;
  float theta_extrap = (float) pos * powf (base, -2.0f * (float) i / (float) hp->n_rot);

  if (factors != NULL)
    theta_extrap /= factors[i];

  *mscale = model->rope_factors_long != NULL ? model->longrope_mscale : 1.0f;
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

void
hearth_rope_angle (const HearthModel *model,
                   guint32            i,
                   guint32            pos,
                   float             *theta,
                   float             *mscale)
{
  angle (model, model->rope_freqs, model->hp.rope_freq_base, i, pos, theta, mscale);
}

const float *
hearth_rope_factors (const HearthModel *model,
                     guint32            n_ctx)
{
  guint32 orig = model->hp.rope_orig_ctx ? model->hp.rope_orig_ctx : model->hp.n_ctx_train;

  if (model->rope_factors_long != NULL)
    return n_ctx > orig ? model->rope_factors_long : model->rope_factors_short;
  return model->rope_freqs;
}

void
hearth_rope_fill (const HearthModel *model,
                  const float       *factors,
                  guint32            pos0,
                  guint32            n,
                  float             *cs,
                  float             *cs_swa)
{
  guint32 half = model->hp.n_rot / 2;

  for (guint32 t = 0; t < n; t++)
    for (guint32 i = 0; i < half; i++)
      {
        gsize at = ((gsize) t * half + i) * 2;
        float theta, mscale;

        angle (model, factors, model->hp.rope_freq_base, i, pos0 + t, &theta, &mscale);
        cs[at] = cosf (theta) * mscale;
        cs[at + 1] = sinf (theta) * mscale;
        if (cs_swa != NULL)
          {
            angle (model, factors, model->hp.rope_freq_base_swa, i, pos0 + t, &theta, &mscale);
            cs_swa[at] = cosf (theta) * mscale;
            cs_swa[at + 1] = sinf (theta) * mscale;
          }
      }
}
