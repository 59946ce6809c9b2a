/* test-sampler.c: sampling against distributions worked out by hand
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>

#include "hearth-engine.h"
#include "hearth-test.h"

#define N_DRAWS 20000

/* logits 0, ln 2, ln 4 give probabilities 1/7, 2/7, 4/7 at temperature 1. */
static const float three[] = { 0.0f, 0.69314718f, 1.38629436f };

static void
draw (HearthSamplerParams *p,
      const float         *logits,
      guint32              n,
      double              *freq)
{
  g_autoptr(HearthSampler) s = hearth_sampler_new (p);

  for (guint32 i = 0; i < n; i++)
    freq[i] = 0.0;
  for (int k = 0; k < N_DRAWS; k++)
    {
      gint32 id = hearth_sampler_sample (s, logits, n, NULL, 0);
      ck_assert (id >= 0 && (guint32) id < n);
      freq[id] += 1.0 / N_DRAWS;
    }
}

START_TEST (test_greedy)
{
  g_autoptr(HearthSampler) s = hearth_sampler_new (NULL);
  const float ties[] = { 1.0f, 3.0f, 3.0f, NAN, 2.0f };

  ck_assert_int_eq (hearth_sampler_sample (s, three, 3, NULL, 0), 2);
  ck_assert_int_eq (hearth_sampler_sample (s, ties, 5, NULL, 0), 1);  /* lowest id of a tie; NaN never wins */
}
END_TEST

START_TEST (test_temperature_distribution)
{
  HearthSamplerParams p;
  double f[3];

  hearth_sampler_params_init (&p);
  p.temperature = 1.0f;
  p.seed = 42;
  draw (&p, three, 3, f);
  /* 20000 draws: the standard error is below 0.0035; allow 4 of them. */
  ck_assert_msg (fabs (f[0] - 1.0 / 7) < 0.014 && fabs (f[1] - 2.0 / 7) < 0.014 && fabs (f[2] - 4.0 / 7) < 0.014,
                 "%f %f %f", f[0], f[1], f[2]);

  p.temperature = 0.5f;  /* squares the odds: 1/21, 4/21, 16/21 */
  draw (&p, three, 3, f);
  ck_assert_msg (fabs (f[0] - 1.0 / 21) < 0.014 && fabs (f[2] - 16.0 / 21) < 0.014, "%f %f %f", f[0], f[1], f[2]);
}
END_TEST

START_TEST (test_truncations)
{
  HearthSamplerParams p;
  double f[3];

  hearth_sampler_params_init (&p);
  p.temperature = 1.0f;
  p.seed = 7;

  p.top_k = 1;
  draw (&p, three, 3, f);
  ck_assert (f[0] == 0.0 && f[1] == 0.0);

  p.top_k = 2;  /* 2/6, 4/6 */
  draw (&p, three, 3, f);
  ck_assert (f[0] == 0.0);
  ck_assert_msg (fabs (f[2] - 4.0 / 6) < 0.014, "%f", f[2]);

  p.top_k = 0;
  p.top_p = 0.5f;  /* 4/7 alone reaches 0.5 */
  draw (&p, three, 3, f);
  ck_assert (f[0] == 0.0 && f[1] == 0.0);
  p.top_p = 0.8f;  /* 4/7 + 2/7 reaches 0.8 */
  draw (&p, three, 3, f);
  ck_assert (f[0] == 0.0 && f[1] > 0.0);

  p.top_p = 1.0f;
  p.min_p = 0.4f;  /* keeps p >= 0.4 * 4/7 = 0.229: ids 1 and 2 */
  draw (&p, three, 3, f);
  ck_assert (f[0] == 0.0);
  ck_assert_msg (fabs (f[1] - 1.0 / 3) < 0.014, "%f", f[1]);
}
END_TEST

START_TEST (test_seed_reproducible)
{
  HearthSamplerParams p;
  g_autoptr(HearthSampler) a = NULL;
  g_autoptr(HearthSampler) b = NULL;
  g_autoptr(HearthSampler) c = NULL;
  const float flat[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  gboolean differs = FALSE;

  hearth_sampler_params_init (&p);
  p.temperature = 1.0f;
  p.seed = 123456789012345ULL;
  a = hearth_sampler_new (&p);
  b = hearth_sampler_new (&p);
  p.seed = 1;
  c = hearth_sampler_new (&p);
  for (int k = 0; k < 200; k++)
    {
      gint32 x = hearth_sampler_sample (a, flat, 8, NULL, 0);
      ck_assert_int_eq (x, hearth_sampler_sample (b, flat, 8, NULL, 0));
      differs |= x != hearth_sampler_sample (c, flat, 8, NULL, 0);
    }
  ck_assert (differs);
}
END_TEST

START_TEST (test_penalties)
{
  HearthSamplerParams p;
  const float pos[] = { 2.0f, 1.9f };
  const float neg[] = { -1.0f, -1.2f };
  const float close[] = { 1.0f, 0.5f };
  const gint32 once[] = { 0 };
  const gint32 twice[] = { 0, 0 };
  const gint32 old[] = { 0, 0, 0, 1, 1 };

  hearth_sampler_params_init (&p);
  p.repeat_penalty = 1.5f;
  {
    g_autoptr(HearthSampler) s = hearth_sampler_new (&p);
    ck_assert_int_eq (hearth_sampler_sample (s, pos, 2, once, 1), 1);  /* 2 / 1.5 < 1.9 */
    ck_assert_int_eq (hearth_sampler_sample (s, neg, 2, once, 1), 1);  /* -1 * 1.5 < -1.2 */
    ck_assert_int_eq (hearth_sampler_sample (s, pos, 2, NULL, 0), 0);
  }
  hearth_sampler_params_init (&p);
  p.frequency_penalty = 0.3f;
  {
    g_autoptr(HearthSampler) s = hearth_sampler_new (&p);
    ck_assert_int_eq (hearth_sampler_sample (s, close, 2, once, 1), 0);  /* 1 - 0.3 > 0.5 */
    ck_assert_int_eq (hearth_sampler_sample (s, close, 2, twice, 2), 1); /* 1 - 0.6 < 0.5 */
  }
  hearth_sampler_params_init (&p);
  p.presence_penalty = 0.6f;
  {
    g_autoptr(HearthSampler) s = hearth_sampler_new (&p);
    ck_assert_int_eq (hearth_sampler_sample (s, close, 2, once, 1), 1);  /* 1 - 0.6 < 0.5 */
  }
  hearth_sampler_params_init (&p);
  p.presence_penalty = 0.6f;
  p.penalty_last_n = 2;  /* only the last two tokens (1, 1) count */
  {
    g_autoptr(HearthSampler) s = hearth_sampler_new (&p);
    ck_assert_int_eq (hearth_sampler_sample (s, close, 2, old, 5), 0);
  }
}
END_TEST

static Suite *
sampler_suite (void)
{
  Suite *s = suite_create ("sampler");
  TCase *tc = tcase_create ("sampler");

  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_greedy);
  tcase_add_test (tc, test_temperature_distribution);
  tcase_add_test (tc, test_truncations);
  tcase_add_test (tc, test_seed_reproducible);
  tcase_add_test (tc, test_penalties);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (sampler_suite ());
}
