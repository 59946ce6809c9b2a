/* test-duration.c: app/core/common/hearth-duration, every boundary of its rounding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <math.h>

#include "hearth-duration.h"
#include "hearth-test.h"

START_TEST (test_duration_words)
{
  static const struct { double seconds; const char *words; } cases[] = {
    { -1, "a few seconds" }, { NAN, "a few seconds" }, { 0, "a few seconds" }, { 4.99, "a few seconds" },
    { 5, "about 5 seconds" }, { 7.4, "about 5 seconds" }, { 7.5, "about 10 seconds" },
    { 41, "about 40 seconds" }, { 57.4, "about 55 seconds" }, { 57.5, "about 1 minute" },
    { 89, "about 1 minute" }, { 90, "about 2 minutes" }, { 754, "about 13 minutes" },
    { 3569, "about 59 minutes" }, { 3570, "about 1 h 00 min" }, { 3600 + 5 * 60 + 29, "about 1 h 05 min" },
    { 7800, "about 2 h 10 min" }, { 90000, "about 25 h 00 min" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *words = hearth_duration_about (cases[i].seconds);

      ck_assert_msg (g_strcmp0 (words, cases[i].words) == 0, "%g s: '%s', want '%s'",
                     cases[i].seconds, words, cases[i].words);
    }
}
END_TEST

static Suite *
duration_suite (void)
{
  Suite *s = suite_create ("duration");
  TCase *tc = tcase_create ("words");

  tcase_add_test (tc, test_duration_words);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (duration_suite ());
}
