/* hearth-sampler.c: from logits to the next token
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chain is: penalties on recent tokens, then greedy when the
 * temperature is 0; otherwise top-k, top-p and min-p cut the candidates
 * (judged at temperature 1), the temperature reshapes what is left, and a
 * seeded generator draws one. The same seed and inputs give the same token.
 */
#include "hearth-config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-sampler.h"

typedef struct
{
  gint32 id;
  float  logit;
  float  p;
} Candidate;

struct _HearthSampler
{
  HearthSamplerParams params;
  GRand              *rand;
  Candidate          *cand;
  guint32             cand_capacity;
  GHashTable         *counts;
  HearthConstraint   *constraint;
};

void
hearth_sampler_params_init (HearthSamplerParams *params)
{
  memset (params, 0, sizeof *params);
  params->temperature = 0.0f;
  params->top_k = 0;
  params->top_p = 1.0f;
  params->min_p = 0.0f;
  params->repeat_penalty = 1.0f;
  params->penalty_last_n = 64;
  params->seed = 0;
}

HearthSampler *
hearth_sampler_new (const HearthSamplerParams *params)
{
  HearthSampler *self = g_new0 (HearthSampler, 1);
  guint32 seed[2];

  if (params != NULL)
    self->params = *params;
  else
    hearth_sampler_params_init (&self->params);
  seed[0] = (guint32) self->params.seed;
  seed[1] = (guint32) (self->params.seed >> 32);
  self->rand = g_rand_new_with_seed_array (seed, 2);
  self->counts = g_hash_table_new (NULL, NULL);
  return self;
}

void
hearth_sampler_free (HearthSampler *self)
{
  if (self == NULL)
    return;
  g_rand_free (self->rand);
  g_hash_table_unref (self->counts);
  g_clear_pointer (&self->constraint, hearth_constraint_unref);
  g_free (self->cand);
  g_free (self);
}

void
hearth_sampler_set_constraint (HearthSampler    *self,
                               HearthConstraint *constraint)
{
  if (constraint != NULL)
    hearth_constraint_ref (constraint);
  g_clear_pointer (&self->constraint, hearth_constraint_unref);
  self->constraint = constraint;
}

HearthConstraint *
hearth_sampler_get_constraint (HearthSampler *self)
{
  return self->constraint;
}

static int
compare_logit_desc (const void *a,
                    const void *b)
{
  const Candidate *ca = a, *cb = b;

  if (ca->logit != cb->logit)
    return ca->logit > cb->logit ? -1 : 1;
  return ca->id < cb->id ? -1 : ca->id > cb->id;
}

static void
apply_penalties (HearthSampler *self,
                 Candidate     *cand,
                 guint32        n_vocab,
                 const gint32  *history,
                 gsize          n_history)
{
  const HearthSamplerParams *p = &self->params;
  gsize start;
  GHashTableIter iter;
  gpointer key, value;

  if (p->repeat_penalty == 1.0f && p->frequency_penalty == 0.0f && p->presence_penalty == 0.0f)
    return;
  if (p->penalty_last_n <= 0 || n_history == 0)
    return;

  start = n_history > (gsize) p->penalty_last_n ? n_history - (gsize) p->penalty_last_n : 0;
  g_hash_table_remove_all (self->counts);
  for (gsize i = start; i < n_history; i++)
    {
      gpointer k = GINT_TO_POINTER (history[i] + 1);
      g_hash_table_insert (self->counts, k, GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, k)) + 1));
    }
  g_hash_table_iter_init (&iter, self->counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint32 id = GPOINTER_TO_INT (key) - 1;
      float count = (float) GPOINTER_TO_UINT (value);
      Candidate *c;

      if (id < 0 || (guint32) id >= n_vocab)
        continue;
      c = &cand[id];  /* candidates are still indexed by id here */
      /* Dividing a positive logit and multiplying a negative one both make
       * the token less likely. */
      if (c->logit > 0.0f)
        c->logit /= p->repeat_penalty;
      else
        c->logit *= p->repeat_penalty;
      c->logit -= count * p->frequency_penalty + p->presence_penalty;
    }
}

/* Softmax over the first @n candidates (sorted, best first) at temperature @t. */
static void
softmax (Candidate *cand,
         guint32    n,
         float      t)
{
  double sum = 0.0;

  for (guint32 i = 0; i < n; i++)
    {
      cand[i].p = expf ((cand[i].logit - cand[0].logit) / t);
      sum += cand[i].p;
    }
  for (guint32 i = 0; i < n; i++)
    cand[i].p = (float) (cand[i].p / sum);
}

static gint32 sample_chain (HearthSampler *self, const float *logits, guint32 n_vocab,
                            const gint32 *history, gsize n_history, const guint32 *mask);

/* With a constraint: the chain runs on the allowed tokens only, and the
 * pick is fed back to the constraint. */
gint32
hearth_sampler_sample (HearthSampler *self,
                       const float   *logits,
                       guint32        n_vocab,
                       const gint32  *history,
                       gsize          n_history)
{
  const guint32 *mask;
  gboolean any = FALSE;
  gint32 id;

  g_return_val_if_fail (n_vocab > 0, -1);
  if (self->constraint == NULL)
    return sample_chain (self, logits, n_vocab, history, n_history, NULL);
  g_return_val_if_fail (n_vocab == hearth_constraint_get_n_vocab (self->constraint), -1);
  mask = hearth_constraint_get_mask (self->constraint);
  for (guint32 w = 0; w < (n_vocab + 31) / 32 && !any; w++)
    any = mask[w] != 0;
  if (!any)
    return -1;
  id = sample_chain (self, logits, n_vocab, history, n_history, mask);
  if (id >= 0 && !(mask[id / 32] & (1u << (id % 32))))
    {
      /* every allowed logit was NaN or -inf: take the first allowed token */
      for (id = 0; !(mask[id / 32] & (1u << (id % 32))); id++)
        ;
    }
  hearth_constraint_accept_token (self->constraint, id);
  return id;
}

static gint32
sample_chain (HearthSampler *self,
                       const float   *logits,
                       guint32        n_vocab,
                       const gint32  *history,
                       gsize          n_history,
                       const guint32 *mask)
{
  const HearthSamplerParams *p = &self->params;
  Candidate *cand;
  guint32 n = n_vocab;
  double r, acc;

  g_return_val_if_fail (n_vocab > 0, -1);

  if (self->cand_capacity < n_vocab)
    {
      g_free (self->cand);
      self->cand = g_new (Candidate, n_vocab);
      self->cand_capacity = n_vocab;
    }
  cand = self->cand;
  for (guint32 i = 0; i < n_vocab; i++)
    {
      cand[i].id = (gint32) i;
      cand[i].logit = isnan (logits[i]) ? -INFINITY : logits[i];
    }
  if (mask != NULL)
    for (guint32 i = 0; i < n_vocab; i++)
      if (!(mask[i / 32] & (1u << (i % 32))))
        cand[i].logit = -INFINITY;
  apply_penalties (self, cand, n_vocab, history, n_history);

  if (p->temperature <= 0.0f)
    {
      guint32 best = 0;

      for (guint32 i = 1; i < n_vocab; i++)
        if (cand[i].logit > cand[best].logit)
          best = i;
      return cand[best].id;
    }

  qsort (cand, n_vocab, sizeof (Candidate), compare_logit_desc);
  /* Masked (and NaN) candidates are never drawn, even by rounding. */
  while (n > 1 && cand[n - 1].logit == -INFINITY)
    n--;
  if (p->top_k > 0 && (guint32) p->top_k < n)
    n = (guint32) p->top_k;

  softmax (cand, n, 1.0f);
  if (p->top_p < 1.0f)
    {
      double cum = 0.0;
      guint32 keep = n;

      for (guint32 i = 0; i < n; i++)
        {
          cum += cand[i].p;
          if (cum >= p->top_p)
            {
              keep = i + 1;
              break;
            }
        }
      n = keep;
    }
  if (p->min_p > 0.0f)
    {
      float floor_p = cand[0].p * p->min_p;
      guint32 keep = 1;

      while (keep < n && cand[keep].p >= floor_p)
        keep++;
      n = keep;
    }

  softmax (cand, n, p->temperature);
  r = g_rand_double (self->rand);
  acc = 0.0;
  for (guint32 i = 0; i < n; i++)
    {
      acc += cand[i].p;
      if (r < acc)
        return cand[i].id;
    }
  return cand[n - 1].id;
}
