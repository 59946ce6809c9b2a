/* hearth-duration.c: an estimated duration in words, for people
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "hearth-duration.h"

char *
hearth_duration_about (double seconds)
{
  gulong n;

  if (!(seconds >= 5))  /* also NaN */
    return g_strdup (_("a few seconds"));
  if (seconds < 57.5)
    {
      n = (gulong) (5 * lround (seconds / 5));
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %lu second", "about %lu seconds", n), n);
    }
  if (seconds < 3570)
    {
      n = MAX (1, (gulong) lround (seconds / 60));
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %lu minute", "about %lu minutes", n), n);
    }
  n = (gulong) lround (seconds / 60);
  /* Translators: hours and minutes, e.g. "about 2 h 05 min" */
  return g_strdup_printf (_("about %lu h %02lu min"), n / 60, n % 60);
}
