/* hearth-calc.h: the calculator's evaluator: exact rational arithmetic (GMP) and functions (MPFR)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Independent of libpeas and of the plugin API, so that the tests and the
 * fuzzer (tests/fuzz/fuzz-calculator.c) reach it directly.
 *
 * Why a hand-written recursive-descent parser: nothing in Debian parses
 * arithmetic safely without handing the text to an interpreter (bc, Python,
 * a shell's $(( ))), and an expression comes from the model, so it is
 * hostile input. This one reads only the grammar below, evaluates nothing
 * but numbers, and bounds everything that could cost memory or time.
 *
 *   expr    = term { ("+" | "-") term }
 *   term    = unary { ("*" | "/" | "%") unary }
 *   unary   = ("-" | "+") unary | power
 *   power   = postfix [ ("^" | "**") unary ]          right-associative
 *   postfix = primary { "!" }
 *   primary = number | constant | name "(" [ expr { "," expr } ] ")" | "(" expr ")"
 *
 * So -2^2 is -4, 2^-1 is 0.5 and 2^3^2 is 512. Numbers are decimal
 * literals (12, 1.5, .5, 1.5e-3), read exactly. "×", "÷", "−" and "π" are
 * accepted for "*", "/", "-" and "pi". "%" is the remainder of floored
 * division (its sign follows the divisor, as in Python).
 *
 * Values are exact rationals while they can be: + - * / %, integer powers,
 * abs, floor, ceil, round, min, max, factorial, and roots of perfect
 * powers. Everything else goes through MPFR at HEARTH_CALC_PRECISION bits
 * and is approximate from then on, unless MPFR says its result is exact
 * (exp(0), log2(8), 4^0.5).
 *
 * The whole expression is parsed before anything is evaluated: a syntax
 * error is reported even where evaluating would have failed first.
 * Errors name the column (1-based, in characters) where they happen.
 *
 * Thread-safe: no global state (MPFR's caches are per thread and freed
 * before hearth_calc_evaluate() returns).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bounds: the input, nesting, and the size of every number, exact or not. */
#define HEARTH_CALC_MAX_LENGTH    4096    /* bytes of expression */
#define HEARTH_CALC_MAX_DEPTH     100     /* nested parentheses, signs, powers */
#define HEARTH_CALC_MAX_BITS      131072  /* numerator + denominator bits; binary exponent of approximate values */
#define HEARTH_CALC_MAX_DIGITS    39000   /* a literal's digits plus its decimal exponent (about MAX_BITS) */
#define HEARTH_CALC_MAX_FACTORIAL 5000
#define HEARTH_CALC_MAX_EXACT_TEXT 50000  /* characters of an exact decimal; longer ones are rounded */
#define HEARTH_CALC_PRECISION     256     /* MPFR bits */
#define HEARTH_CALC_DIGITS        30      /* significant digits of an approximate result */

#define HEARTH_CALC_ERROR (hearth_calc_error_quark ())

typedef enum
{
  HEARTH_CALC_ERROR_SYNTAX,           /* empty, unexpected character, unbalanced parenthesis, too long, too deep */
  HEARTH_CALC_ERROR_UNKNOWN_NAME,     /* a function or constant that does not exist, wrong argument count */
  HEARTH_CALC_ERROR_DIVISION_BY_ZERO,
  HEARTH_CALC_ERROR_DOMAIN,           /* sqrt(-1), ln(0), asin(2), 2.5! */
  HEARTH_CALC_ERROR_TOO_LARGE,        /* a number, exponent or factorial beyond the bounds above */
} HearthCalcErrorCode;

GQuark hearth_calc_error_quark (void);

typedef struct
{
  /* The value as a decimal: exact when @exact, else rounded to
   * HEARTH_CALC_DIGITS significant digits ("2.5e-40" beyond -5 < exponent <= 30). */
  char     *decimal;
  /* For an exact rational whose decimal does not terminate, "1/3" (NULL
   * otherwise, and when it would be longer than 200 characters). */
  char     *fraction;
  gboolean  exact;
} HearthCalcResult;

/* Evaluates @expression (UTF-8, NUL-terminated). NULL with an error in
 * HEARTH_CALC_ERROR when it cannot. */
HearthCalcResult *hearth_calc_evaluate    (const char       *expression,
                                           GError          **error);
/* What the model reads: "0.3", or "≈ 0.333333333333333333333333333333
 * (rounded to 30 significant digits; exactly 1/3)". Free with g_free(). */
char             *hearth_calc_result_to_text (const HearthCalcResult *result);
void              hearth_calc_result_free (HearthCalcResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthCalcResult, hearth_calc_result_free)

G_END_DECLS
