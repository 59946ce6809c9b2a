/* fuzz-calculator.c: libFuzzer harness for the calculator plugin's evaluator (hearth-calc)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is an expression (up to its first NUL). The evaluator either
 * gives a non-empty decimal or fails with an error in HEARTH_CALC_ERROR;
 * an exact decimal, read back as an expression, is exactly itself again
 * (the printer and the number reader agree). Nothing may crash, leak, run
 * past libFuzzer's timeout (the bounds in hearth-calc.h hold) or complain
 * (hearth-fuzz.h).
 */
#include <string.h>

#include "hearth-fuzz.h"
#include "hearth-calc.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *expression = g_strndup ((const char *) data, size);
  g_autoptr(HearthCalcResult) result = NULL;
  g_autoptr(HearthCalcResult) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  hearth_fuzz_maybe_selftest ();
  result = hearth_calc_evaluate (expression, &error);
  if (result == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_CALC_ERROR);
      g_assert (error->message[0] != '\0');
      return 0;
    }
  g_assert (result->decimal != NULL && result->decimal[0] != '\0');
  g_assert (result->fraction == NULL || !result->exact);
  text = hearth_calc_result_to_text (result);
  g_assert (g_utf8_validate (text, -1, NULL));
  if (result->exact && strlen (result->decimal) <= HEARTH_CALC_MAX_LENGTH)
    {
      again = hearth_calc_evaluate (result->decimal, &error);
      g_assert (again != NULL && again->exact && strcmp (again->decimal, result->decimal) == 0);
    }
  return 0;
}
