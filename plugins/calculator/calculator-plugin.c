/* calculator-plugin.c: the calculator plugin: the tool "calculate" over hearth-calc
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read-only, no host access. The answer is text: the exact decimal, or the
 * rounded one marked "≈" with how it was rounded (hearth_calc_result_to_text()).
 * Syntax errors and unknown names are INVALID_ARGUMENTS (the model should
 * write the expression again); division by zero, domain errors and the
 * size bounds are FAILED.
 */
#include "hearth-builtin.h"
#include "hearth-calc.h"

static HearthToolResult *
run_calculate (HearthBuiltinCall  *call,
               GError            **error)
{
  g_autoptr(GError) calc_error = NULL;
  g_autoptr(HearthCalcResult) result = NULL;
  g_autofree char *text = NULL;
  const char *expression = hearth_builtin_get_string (call->arguments, "expression", TRUE, error);

  if (expression == NULL)
    return NULL;
  result = hearth_calc_evaluate (expression, &calc_error);
  if (result == NULL)
    {
      gboolean invalid = calc_error->code == HEARTH_CALC_ERROR_SYNTAX ||
                         calc_error->code == HEARTH_CALC_ERROR_UNKNOWN_NAME;

      g_set_error_literal (error, HEARTH_PLUGIN_ERROR,
                           invalid ? HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS : HEARTH_PLUGIN_ERROR_FAILED,
                           calc_error->message);
      return NULL;
    }
  text = hearth_calc_result_to_text (result);
  return hearth_tool_result_new_text (text);
}

static const HearthBuiltinTool calculator_tools[] = {
  {
    "calculate",
    "Evaluates an arithmetic expression exactly: + - * / % (floored remainder), ^ or ** for powers, "
    "parentheses, n! and the functions sqrt, cbrt, exp, ln, log (base 10), log2, sin, cos, tan, asin, "
    "acos, atan (radians), abs, floor, ceil, round, min, max, with the constants pi and e. The answer is "
    "exact when it has a finite decimal; otherwise it is rounded to 30 significant digits and starts with ≈.",
    "{\"type\": \"object\","
    " \"properties\": {\"expression\": {\"type\": \"string\","
    "   \"description\": \"The expression, e.g. (1.5e3 + 2^10) / 7 or sqrt(2) * pi\"}},"
    " \"required\": [\"expression\"], \"additionalProperties\": false}",
    HEARTH_TOOL_EFFECT_READ_ONLY,
    run_calculate,
  },
};

HEARTH_BUILTIN_PROVIDER (HearthCalculatorProvider, hearth_calculator_provider, calculator_tools)
