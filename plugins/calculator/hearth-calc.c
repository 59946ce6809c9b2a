/* hearth-calc.c: the calculator's evaluator: exact rational arithmetic (GMP) and functions (MPFR)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See hearth-calc.h for the grammar and the bounds. The parser runs twice
 * over the text: once checking syntax only (p->eval FALSE, no value is
 * touched), then evaluating. Recursion follows the grammar's nesting and
 * every cycle of it passes through parse_unary(), which counts depth;
 * chains of + - * / are loops. Every exact value stays within
 * HEARTH_CALC_MAX_BITS (checked after each operation, and before a power,
 * estimated), every approximate one within a binary exponent of the same
 * size, so no operation is handed operands larger than twice the bound.
 */
#include "hearth-calc.h"

#include <gmp.h>
#include <mpfr.h>
#include <string.h>

G_DEFINE_QUARK (hearth-calc-error-quark, hearth_calc_error)

/* ---- values ---- */

typedef struct
{
  gboolean exact;
  mpq_t    q;  /* the value when exact */
  mpfr_t   f;  /* the value when not */
} Value;

static void
value_init (Value *v)
{
  v->exact = TRUE;
  mpq_init (v->q);
  mpfr_init2 (v->f, HEARTH_CALC_PRECISION);
}

static void
value_clear (Value *v)
{
  mpq_clear (v->q);
  mpfr_clear (v->f);
}

static void
value_set (Value       *dst,
           const Value *src)
{
  dst->exact = src->exact;
  if (src->exact)
    mpq_set (dst->q, src->q);
  else
    mpfr_set (dst->f, src->f, MPFR_RNDN);
}

/* Makes @v approximate; returns MPFR's ternary value (0: exactly). */
static int
value_to_approx (Value *v)
{
  if (!v->exact)
    return 0;
  v->exact = FALSE;
  return mpfr_set_q (v->f, v->q, MPFR_RNDN);
}

static int
value_sgn (const Value *v)
{
  return v->exact ? mpq_sgn (v->q) : mpfr_sgn (v->f);
}

static int
value_cmp_si (const Value *v,
              long         n)
{
  return v->exact ? mpq_cmp_si (v->q, n, 1) : mpfr_cmp_si (v->f, n);
}

static int
value_cmp (const Value *a,
           const Value *b)
{
  if (a->exact && b->exact)
    return mpq_cmp (a->q, b->q);
  if (!a->exact && b->exact)
    return mpfr_cmp_q (a->f, b->q);
  if (a->exact && !b->exact)
    return -mpfr_cmp_q (b->f, a->q);
  return mpfr_cmp (a->f, b->f);
}

static gboolean
value_is_integer (const Value *v)
{
  return v->exact ? mpz_cmp_ui (mpq_denref (v->q), 1) == 0 : mpfr_integer_p (v->f);
}

static gsize
exact_bits (mpq_srcptr q)
{
  return mpz_sizeinbase (mpq_numref (q), 2) + mpz_sizeinbase (mpq_denref (q), 2);
}

/* ---- the parser ---- */

typedef enum { TOK_END, TOK_NUMBER, TOK_NAME, TOK_OP } TokKind;

typedef struct
{
  TokKind kind;
  int     op;     /* TOK_OP: one of + - * / % ^ ! ( ) , ("**" is ^) */
  gsize   start;  /* bytes */
  gsize   end;
} Token;

typedef struct
{
  const char *s;
  gsize       len;
  Token       tok;
  gboolean    eval;
  guint       depth;
  GError    **error;
} Parser;

static guint
column (Parser *p,
        gsize   pos)
{
  return (guint) g_utf8_strlen (p->s, (gssize) pos) + 1;
}

static gboolean fail (Parser *p, HearthCalcErrorCode code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Parser              *p,
      HearthCalcErrorCode  code,
      const char          *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (p->error, g_error_new_valist (HEARTH_CALC_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

/* The current token's text, for messages. */
static char *
tok_text (Parser *p)
{
  if (p->tok.kind == TOK_END)
    return g_strdup ("the end");
  return g_strdup_printf ("'%.*s'", (int) MIN (p->tok.end - p->tok.start, 40), p->s + p->tok.start);
}

static gboolean
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

/* Reads the next token after the current one. */
static gboolean
next (Parser *p)
{
  const char *s = p->s;
  gsize i = p->tok.end;

  while (i < p->len && g_unichar_isspace (g_utf8_get_char (s + i)))
    i = (gsize) (g_utf8_next_char (s + i) - s);
  p->tok.start = i;
  if (i >= p->len)
    {
      p->tok.kind = TOK_END;
      p->tok.end = i;
      return TRUE;
    }
  if (is_digit (s[i]) || (s[i] == '.' && i + 1 < p->len && is_digit (s[i + 1])))
    {
      while (i < p->len && is_digit (s[i]))
        i++;
      if (i < p->len && s[i] == '.')
        for (i++; i < p->len && is_digit (s[i]); i++)
          ;
      if (i < p->len && (s[i] == 'e' || s[i] == 'E'))
        {
          gsize j = i + 1;

          if (j < p->len && (s[j] == '+' || s[j] == '-'))
            j++;
          if (j < p->len && is_digit (s[j]))
            for (i = j; i < p->len && is_digit (s[i]); i++)
              ;
        }
      p->tok.kind = TOK_NUMBER;
      p->tok.end = i;
      return TRUE;
    }
  if (is_name_start (s[i]))
    {
      while (i < p->len && (is_name_start (s[i]) || is_digit (s[i])))
        i++;
      p->tok.kind = TOK_NAME;
      p->tok.end = i;
      return TRUE;
    }
  p->tok.kind = TOK_OP;
  p->tok.end = i + 1;
  if (s[i] == '*' && i + 1 < p->len && s[i + 1] == '*')
    {
      p->tok.op = '^';
      p->tok.end = i + 2;
      return TRUE;
    }
  if (strchr ("+-*/%^!(),", s[i]) != NULL && s[i] != '\0')
    {
      p->tok.op = s[i];
      return TRUE;
    }
  {
    gunichar c = g_utf8_get_char (s + i);
    char buf[8] = { 0 };

    p->tok.end = (gsize) (g_utf8_next_char (s + i) - s);
    switch (c)
      {
      case 0x00D7: p->tok.op = '*'; return TRUE;  /* × */
      case 0x00F7: p->tok.op = '/'; return TRUE;  /* ÷ */
      case 0x2212: p->tok.op = '-'; return TRUE;  /* − */
      case 0x03C0: p->tok.kind = TOK_NAME; return TRUE;  /* π */
      default:
        break;
      }
    g_unichar_to_utf8 (c, buf);
    return fail (p, HEARTH_CALC_ERROR_SYNTAX, "unexpected character '%s' at column %u",
                 g_unichar_isprint (c) ? buf : "?", column (p, i));
  }
}

static gboolean
tok_is (Parser *p,
        int     op)
{
  return p->tok.kind == TOK_OP && p->tok.op == op;
}

static gboolean
tok_is_name (Parser     *p,
             const char *name)
{
  gsize n = strlen (name);

  return p->tok.kind == TOK_NAME && p->tok.end - p->tok.start == n &&
         memcmp (p->s + p->tok.start, name, n) == 0;
}

/* ---- evaluation helpers ---- */

/* After an operation that left @v exact: is it within the bounds? */
static gboolean
check_exact (Parser *p,
             Value  *v,
             guint   col)
{
  if (exact_bits (v->q) > HEARTH_CALC_MAX_BITS)
    return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                 "the result at column %u is too large: numbers are limited to about %d digits",
                 col, HEARTH_CALC_MAX_DIGITS);
  return TRUE;
}

/* After an MPFR operation: a real, finite number within the bounds? */
static gboolean
check_approx (Parser *p,
              Value  *v,
              guint   col)
{
  if (mpfr_nan_p (v->f))
    return fail (p, HEARTH_CALC_ERROR_DOMAIN, "the result at column %u is not a real number", col);
  if (mpfr_inf_p (v->f) || (!mpfr_zero_p (v->f) && mpfr_get_exp (v->f) > HEARTH_CALC_MAX_BITS))
    return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                 "the result at column %u is too large: numbers are limited to about 10^%d",
                 col, HEARTH_CALC_MAX_DIGITS);
  if (!mpfr_zero_p (v->f) && mpfr_get_exp (v->f) < -HEARTH_CALC_MAX_BITS)
    return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                 "the result at column %u is too close to zero: numbers are limited to about 10^-%d",
                 col, HEARTH_CALC_MAX_DIGITS);
  if (mpfr_zero_p (v->f))
    mpfr_set_zero (v->f, 1);
  return TRUE;
}

/* Makes an approximate result exact again when MPFR computed it exactly
 * from exact operands (@exact_inputs: they were, and their conversion too). */
static gboolean
settle (Parser  *p,
        Value   *v,
        gboolean exact_inputs,
        int      ternary,
        guint    col)
{
  if (!check_approx (p, v, col))
    return FALSE;
  if (exact_inputs && ternary == 0)
    {
      mpz_t z;
      mpfr_exp_t e;

      mpz_init (z);
      e = mpfr_get_z_2exp (z, v->f);
      mpq_set_z (v->q, z);
      if (e > 0)
        mpz_mul_2exp (mpq_numref (v->q), mpq_numref (v->q), (mp_bitcnt_t) e);
      else
        mpz_mul_2exp (mpq_denref (v->q), mpq_denref (v->q), (mp_bitcnt_t) -e);
      mpq_canonicalize (v->q);
      mpz_clear (z);
      v->exact = TRUE;
      return check_exact (p, v, col);
    }
  return TRUE;
}

static gboolean
apply_binary (Parser *p,
              int     op,
              guint   col,
              Value  *a,
              Value  *b)
{
  if (!p->eval)
    return TRUE;
  if ((op == '/' || op == '%') && value_sgn (b) == 0)
    return fail (p, HEARTH_CALC_ERROR_DIVISION_BY_ZERO, "%s by zero at column %u",
                 op == '/' ? "division" : "remainder of a division", col);
  if (a->exact && b->exact)
    {
      switch (op)
        {
        case '+': mpq_add (a->q, a->q, b->q); break;
        case '-': mpq_sub (a->q, a->q, b->q); break;
        case '*': mpq_mul (a->q, a->q, b->q); break;
        case '/': mpq_div (a->q, a->q, b->q); break;
        default:
          {
            /* a - b * floor (a / b) */
            mpq_t t;

            mpq_init (t);
            mpq_div (t, a->q, b->q);
            mpz_fdiv_q (mpq_numref (t), mpq_numref (t), mpq_denref (t));
            mpz_set_ui (mpq_denref (t), 1);
            mpq_mul (t, t, b->q);
            mpq_sub (a->q, a->q, t);
            mpq_clear (t);
          }
        }
      return check_exact (p, a, col);
    }
  value_to_approx (a);
  value_to_approx (b);
  switch (op)
    {
    case '+': mpfr_add (a->f, a->f, b->f, MPFR_RNDN); break;
    case '-': mpfr_sub (a->f, a->f, b->f, MPFR_RNDN); break;
    case '*': mpfr_mul (a->f, a->f, b->f, MPFR_RNDN); break;
    case '/': mpfr_div (a->f, a->f, b->f, MPFR_RNDN); break;
    default:
      mpfr_fmod (a->f, a->f, b->f, MPFR_RNDN);
      if (!mpfr_zero_p (a->f) && mpfr_sgn (a->f) != mpfr_sgn (b->f))
        mpfr_add (a->f, a->f, b->f, MPFR_RNDN);
      break;
    }
  return check_approx (p, a, col);
}

static gboolean
apply_power (Parser *p,
             guint   col,
             Value  *a,
             Value  *b)
{
  gboolean exact_inputs;
  int t1, t2, t3;

  if (!p->eval)
    return TRUE;
  if (value_sgn (a) == 0 && value_sgn (b) < 0)
    return fail (p, HEARTH_CALC_ERROR_DIVISION_BY_ZERO,
                 "0 to a negative power at column %u is a division by zero", col);
  if (a->exact && b->exact && value_is_integer (b))
    {
      mpz_srcptr e = mpq_numref (b->q);
      gboolean unit = mpz_cmp_ui (mpq_denref (a->q), 1) == 0 && mpz_cmpabs_ui (mpq_numref (a->q), 1) == 0;
      unsigned long n;

      if (mpz_sgn (e) == 0)
        {
          mpq_set_ui (a->q, 1, 1);
          return TRUE;
        }
      if (value_sgn (a) == 0)
        return TRUE;
      if (unit)
        {
          if (mpz_even_p (e))
            mpq_set_ui (a->q, 1, 1);
          return TRUE;
        }
      /* Any other base has a numerator or denominator of 2 or more: the
       * result has at least (bits - 2) * |e| bits and at most three times
       * that, so refusing beyond the bound computes nothing much larger. */
      if (mpz_cmpabs_ui (e, HEARTH_CALC_MAX_BITS) > 0 ||
          (exact_bits (a->q) - 2) * mpz_get_ui (e) > HEARTH_CALC_MAX_BITS)
        return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                     "the power at column %u is too large: numbers are limited to about %d digits",
                     col, HEARTH_CALC_MAX_DIGITS);
      n = mpz_get_ui (e);  /* the absolute value */
      mpz_pow_ui (mpq_numref (a->q), mpq_numref (a->q), n);
      mpz_pow_ui (mpq_denref (a->q), mpq_denref (a->q), n);
      if (mpz_sgn (e) < 0)
        mpq_inv (a->q, a->q);
      return check_exact (p, a, col);
    }
  if (value_sgn (a) < 0 && !value_is_integer (b))
    return fail (p, HEARTH_CALC_ERROR_DOMAIN,
                 "a negative number to a non-integer power (column %u) is not a real number", col);
  exact_inputs = a->exact && b->exact;
  t1 = value_to_approx (a);
  t2 = value_to_approx (b);
  t3 = mpfr_pow (a->f, a->f, b->f, MPFR_RNDN);
  return settle (p, a, exact_inputs, t1 | t2 | t3, col);
}

static gboolean
apply_factorial (Parser *p,
                 guint   col,
                 Value  *v)
{
  gboolean exact = v->exact;
  unsigned long n;

  if (!p->eval)
    return TRUE;
  if (!value_is_integer (v) || value_sgn (v) < 0)
    return fail (p, HEARTH_CALC_ERROR_DOMAIN,
                 "the factorial at column %u needs a whole number of 0 or more", col);
  if (value_cmp_si (v, HEARTH_CALC_MAX_FACTORIAL) > 0)
    return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                 "the factorial at column %u is too large: it is limited to %d!",
                 col, HEARTH_CALC_MAX_FACTORIAL);
  n = exact ? mpz_get_ui (mpq_numref (v->q)) : mpfr_get_ui (v->f, MPFR_RNDN);
  mpz_fac_ui (mpq_numref (v->q), n);
  mpz_set_ui (mpq_denref (v->q), 1);
  v->exact = TRUE;
  if (!exact)
    value_to_approx (v);
  return TRUE;
}

/* ---- functions ---- */

typedef enum
{
  FN_SQRT, FN_CBRT, FN_EXP, FN_LN, FN_LOG, FN_LOG2, FN_SIN, FN_COS, FN_TAN,
  FN_ASIN, FN_ACOS, FN_ATAN, FN_ABS, FN_FLOOR, FN_CEIL, FN_ROUND, FN_MIN, FN_MAX,
  FN_FACTORIAL,
} FnId;

typedef struct
{
  const char *name;
  FnId        id;
  guint       variadic;  /* 1 or more arguments, else exactly 1 */
} Function;

static const Function functions[] = {
  { "sqrt", FN_SQRT, 0 }, { "cbrt", FN_CBRT, 0 }, { "exp", FN_EXP, 0 }, { "ln", FN_LN, 0 },
  { "log", FN_LOG, 0 }, { "log2", FN_LOG2, 0 }, { "sin", FN_SIN, 0 }, { "cos", FN_COS, 0 },
  { "tan", FN_TAN, 0 }, { "asin", FN_ASIN, 0 }, { "acos", FN_ACOS, 0 }, { "atan", FN_ATAN, 0 },
  { "abs", FN_ABS, 0 }, { "floor", FN_FLOOR, 0 }, { "ceil", FN_CEIL, 0 }, { "round", FN_ROUND, 0 },
  { "min", FN_MIN, 1 }, { "max", FN_MAX, 1 }, { "factorial", FN_FACTORIAL, 0 },
};

static const Function *
find_function (Parser *p)
{
  for (gsize i = 0; i < G_N_ELEMENTS (functions); i++)
    if (tok_is_name (p, functions[i].name))
      return &functions[i];
  return NULL;
}

static char *
function_names (void)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (functions); i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", functions[i].name);
  return g_string_free (s, FALSE);
}

/* An exact root of a rational whose numerator and denominator are perfect
 * @k-th powers; FALSE (and @v unchanged) otherwise. */
static gboolean
exact_root (Value        *v,
            unsigned long k)
{
  mpz_t n, d;
  gboolean ok;

  mpz_inits (n, d, NULL);
  ok = mpz_root (n, mpq_numref (v->q), k) && mpz_root (d, mpq_denref (v->q), k);
  if (ok)
    {
      mpz_set (mpq_numref (v->q), n);
      mpz_set (mpq_denref (v->q), d);
    }
  mpz_clears (n, d, NULL);
  return ok;
}

/* floor, ceil and round (half away from zero) of an exact value. */
static void
exact_round (Value *v,
             FnId   id)
{
  mpz_ptr num = mpq_numref (v->q);
  mpz_srcptr den = mpq_denref (v->q);

  switch (id)
    {
    case FN_FLOOR:
      mpz_fdiv_q (num, num, den);
      break;
    case FN_CEIL:
      mpz_cdiv_q (num, num, den);
      break;
    default:
      {
        /* sign (x) * floor (|x| + 1/2) = sign * floor ((2|n| + d) / 2d) */
        int sign = mpz_sgn (num);
        mpz_t twice_d;

        mpz_init (twice_d);
        mpz_mul_2exp (twice_d, den, 1);
        mpz_abs (num, num);
        mpz_mul_2exp (num, num, 1);
        mpz_add (num, num, den);
        mpz_fdiv_q (num, num, twice_d);
        if (sign < 0)
          mpz_neg (num, num);
        mpz_clear (twice_d);
      }
    }
  mpz_set_ui (mpq_denref (v->q), 1);
}

static gboolean
apply_function (Parser         *p,
                const Function *fn,
                guint           col,
                GPtrArray      *args,
                Value          *out)
{
  Value *x = g_ptr_array_index (args, 0);
  gboolean exact_input;
  int t1, t2 = 0;

  if (!p->eval)
    return TRUE;
  switch (fn->id)
    {
    case FN_MIN:
    case FN_MAX:
      {
        Value *best = x;

        for (guint i = 1; i < args->len; i++)
          {
            Value *y = g_ptr_array_index (args, i);
            int c = value_cmp (y, best);

            if ((fn->id == FN_MIN && c < 0) || (fn->id == FN_MAX && c > 0))
              best = y;
          }
        value_set (out, best);
        return TRUE;
      }
    case FN_FACTORIAL:
      value_set (out, x);
      return apply_factorial (p, col, out);
    case FN_ABS:
    case FN_FLOOR:
    case FN_CEIL:
    case FN_ROUND:
      value_set (out, x);
      if (out->exact && fn->id == FN_ABS)
        mpq_abs (out->q, out->q);
      else if (out->exact)
        exact_round (out, fn->id);
      else if (fn->id == FN_ABS)
        mpfr_abs (out->f, out->f, MPFR_RNDN);
      else if (fn->id == FN_FLOOR)
        mpfr_floor (out->f, out->f);
      else if (fn->id == FN_CEIL)
        mpfr_ceil (out->f, out->f);
      else
        mpfr_round (out->f, out->f);
      return out->exact || check_approx (p, out, col);
    default:
      break;
    }

  /* Domains first: MPFR's NaN would not say which function. */
  if (fn->id == FN_SQRT && value_sgn (x) < 0)
    return fail (p, HEARTH_CALC_ERROR_DOMAIN,
                 "sqrt of a negative number (column %u) is not a real number", col);
  if ((fn->id == FN_LN || fn->id == FN_LOG || fn->id == FN_LOG2) && value_sgn (x) <= 0)
    return fail (p, HEARTH_CALC_ERROR_DOMAIN,
                 "%s at column %u is only defined for numbers greater than 0", fn->name, col);
  if ((fn->id == FN_ASIN || fn->id == FN_ACOS) && (value_cmp_si (x, 1) > 0 || value_cmp_si (x, -1) < 0))
    return fail (p, HEARTH_CALC_ERROR_DOMAIN,
                 "%s at column %u is only defined from -1 to 1", fn->name, col);

  value_set (out, x);
  if (out->exact && (fn->id == FN_SQRT || fn->id == FN_CBRT) &&
      exact_root (out, fn->id == FN_SQRT ? 2 : 3))
    return TRUE;
  exact_input = out->exact;
  t1 = value_to_approx (out);
  switch (fn->id)
    {
    case FN_SQRT: t2 = mpfr_sqrt (out->f, out->f, MPFR_RNDN); break;
    case FN_CBRT: t2 = mpfr_cbrt (out->f, out->f, MPFR_RNDN); break;
    case FN_EXP:  t2 = mpfr_exp (out->f, out->f, MPFR_RNDN); break;
    case FN_LN:   t2 = mpfr_log (out->f, out->f, MPFR_RNDN); break;
    case FN_LOG:  t2 = mpfr_log10 (out->f, out->f, MPFR_RNDN); break;
    case FN_LOG2: t2 = mpfr_log2 (out->f, out->f, MPFR_RNDN); break;
    case FN_SIN:  t2 = mpfr_sin (out->f, out->f, MPFR_RNDN); break;
    case FN_COS:  t2 = mpfr_cos (out->f, out->f, MPFR_RNDN); break;
    case FN_TAN:  t2 = mpfr_tan (out->f, out->f, MPFR_RNDN); break;
    case FN_ASIN: t2 = mpfr_asin (out->f, out->f, MPFR_RNDN); break;
    case FN_ACOS: t2 = mpfr_acos (out->f, out->f, MPFR_RNDN); break;
    case FN_ATAN: t2 = mpfr_atan (out->f, out->f, MPFR_RNDN); break;
    default: g_assert_not_reached ();
    }
  return settle (p, out, exact_input, t1 | t2, col);
}

/* ---- the grammar ---- */

static gboolean parse_expr (Parser *p, Value *out);
static gboolean parse_unary (Parser *p, Value *out);

static gboolean
expect_operand (Parser *p)
{
  g_autofree char *found = tok_text (p);

  return fail (p, HEARTH_CALC_ERROR_SYNTAX, "expected a number, a name or '(' at column %u, found %s",
               column (p, p->tok.start), found);
}

/* A decimal literal, read exactly; bounded before anything is computed. */
static gboolean
parse_number (Parser *p,
              Value  *out)
{
  const char *s = p->s + p->tok.start;
  gsize n = p->tok.end - p->tok.start, i = 0;
  g_autoptr(GString) digits = g_string_new (NULL);
  glong frac = 0, exp10 = 0, scale;
  gboolean in_frac = FALSE;
  guint col = column (p, p->tok.start);

  for (; i < n && s[i] != 'e' && s[i] != 'E'; i++)
    {
      if (s[i] == '.')
        in_frac = TRUE;
      else
        {
          if (digits->len > 0 || s[i] != '0')
            g_string_append_c (digits, s[i]);
          if (in_frac)
            frac++;
        }
    }
  if (i < n)
    {
      gboolean negative = s[++i] == '-';

      if (s[i] == '+' || s[i] == '-')
        i++;
      for (; i < n; i++)
        {
          if (exp10 > HEARTH_CALC_MAX_DIGITS)
            break;
          exp10 = exp10 * 10 + (s[i] - '0');
        }
      if (negative)
        exp10 = -exp10;
    }
  scale = exp10 - frac;
  if (digits->len > 0 && (glong) digits->len + ABS (scale) > HEARTH_CALC_MAX_DIGITS)
    return fail (p, HEARTH_CALC_ERROR_TOO_LARGE,
                 "the number at column %u is too large or too precise: numbers are limited to about %d digits",
                 col, HEARTH_CALC_MAX_DIGITS);
  if (!p->eval)
    return TRUE;
  out->exact = TRUE;
  if (digits->len == 0)
    {
      mpq_set_ui (out->q, 0, 1);
      return TRUE;
    }
  mpz_set_str (mpq_numref (out->q), digits->str, 10);
  mpz_set_ui (mpq_denref (out->q), 1);
  if (scale > 0)
    {
      mpz_t t;

      mpz_init (t);
      mpz_ui_pow_ui (t, 10, (unsigned long) scale);
      mpz_mul (mpq_numref (out->q), mpq_numref (out->q), t);
      mpz_clear (t);
    }
  else if (scale < 0)
    mpz_ui_pow_ui (mpq_denref (out->q), 10, (unsigned long) -scale);
  mpq_canonicalize (out->q);
  return check_exact (p, out, col);
}

static void
value_free (gpointer data)
{
  value_clear (data);
  g_free (data);
}

/* name "(" args ")": the current token is the name, the next one "(". */
static gboolean
parse_call (Parser *p,
            Value  *out)
{
  const Function *fn = find_function (p);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (value_free);
  gsize open;
  guint col = column (p, p->tok.start);

  if (fn == NULL)
    {
      g_autofree char *known = function_names ();

      return fail (p, HEARTH_CALC_ERROR_UNKNOWN_NAME, "unknown function '%.*s' at column %u (known: %s)",
                   (int) MIN (p->tok.end - p->tok.start, 40), p->s + p->tok.start, col, known);
    }
  if (!next (p))  /* the "(" */
    return FALSE;
  open = p->tok.start;
  if (!next (p))
    return FALSE;
  if (!tok_is (p, ')'))
    for (;;)
      {
        Value *v = g_new (Value, 1);

        value_init (v);
        g_ptr_array_add (args, v);
        if (!parse_expr (p, v))
          return FALSE;
        if (tok_is (p, ')'))
          break;
        if (p->tok.kind == TOK_END)
          return fail (p, HEARTH_CALC_ERROR_SYNTAX,
                       "unbalanced parenthesis: the '(' at column %u is never closed", column (p, open));
        if (!tok_is (p, ','))
          {
            g_autofree char *found = tok_text (p);

            return fail (p, HEARTH_CALC_ERROR_SYNTAX, "expected ',' or ')' at column %u, found %s",
                         column (p, p->tok.start), found);
          }
        if (!next (p))
          return FALSE;
      }
  if (args->len == 0 || (args->len > 1 && !fn->variadic))
    return fail (p, HEARTH_CALC_ERROR_UNKNOWN_NAME, "%s at column %u takes %s, not %u",
                 fn->name, col, fn->variadic ? "1 or more arguments" : "1 argument", args->len);
  return apply_function (p, fn, col, args, out) && next (p);
}

static gboolean
parse_primary (Parser *p,
               Value  *out)
{
  guint col = column (p, p->tok.start);

  if (p->tok.kind == TOK_NUMBER)
    return parse_number (p, out) && next (p);
  if (tok_is (p, '('))
    {
      gsize open = p->tok.start;

      if (!next (p) || !parse_expr (p, out))
        return FALSE;
      if (!tok_is (p, ')'))
        {
          g_autofree char *found = tok_text (p);

          if (p->tok.kind == TOK_END)
            return fail (p, HEARTH_CALC_ERROR_SYNTAX,
                         "unbalanced parenthesis: the '(' at column %u is never closed", column (p, open));
          return fail (p, HEARTH_CALC_ERROR_SYNTAX, "expected an operator or ')' at column %u, found %s",
                       column (p, p->tok.start), found);
        }
      return next (p);
    }
  if (p->tok.kind == TOK_NAME)
    {
      Token name = p->tok;

      if (!next (p))
        return FALSE;
      if (tok_is (p, '('))
        {
          /* parse_call() starts at the name again. */
          p->tok = name;
          return parse_call (p, out);
        }
      {
        Token after = p->tok;
        gboolean is_pi, is_e;

        p->tok = name;
        is_pi = tok_is_name (p, "pi") || tok_is_name (p, "\xcf\x80");
        is_e = tok_is_name (p, "e");
        if (!is_pi && !is_e)
          {
            if (find_function (p) != NULL)
              return fail (p, HEARTH_CALC_ERROR_SYNTAX,
                           "%.*s at column %u needs its argument in parentheses, e.g. %.*s(2)",
                           (int) (name.end - name.start), p->s + name.start, col,
                           (int) (name.end - name.start), p->s + name.start);
            return fail (p, HEARTH_CALC_ERROR_UNKNOWN_NAME,
                         "unknown name '%.*s' at column %u (known constants: pi, e)",
                         (int) MIN (name.end - name.start, 40), p->s + name.start, col);
          }
        p->tok = after;
        if (p->eval)
          {
            out->exact = FALSE;
            if (is_pi)
              mpfr_const_pi (out->f, MPFR_RNDN);
            else
              {
                mpfr_set_ui (out->f, 1, MPFR_RNDN);
                mpfr_exp (out->f, out->f, MPFR_RNDN);
              }
          }
        return TRUE;
      }
    }
  return expect_operand (p);
}

static gboolean
parse_postfix (Parser *p,
               Value  *out)
{
  if (!parse_primary (p, out))
    return FALSE;
  while (tok_is (p, '!'))
    {
      if (!apply_factorial (p, column (p, p->tok.start), out) || !next (p))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_power (Parser *p,
             Value  *out)
{
  Value rhs;
  guint col;
  gboolean ok;

  if (!parse_postfix (p, out))
    return FALSE;
  if (!tok_is (p, '^'))
    return TRUE;
  col = column (p, p->tok.start);
  if (!next (p))
    return FALSE;
  value_init (&rhs);
  ok = parse_unary (p, &rhs) && apply_power (p, col, out, &rhs);
  value_clear (&rhs);
  return ok;
}

static gboolean
parse_unary (Parser *p,
             Value  *out)
{
  gboolean ok;

  if (++p->depth > HEARTH_CALC_MAX_DEPTH)
    return fail (p, HEARTH_CALC_ERROR_SYNTAX,
                 "the expression is nested too deeply at column %u (at most %d levels)",
                 column (p, p->tok.start), HEARTH_CALC_MAX_DEPTH);
  if (tok_is (p, '-') || tok_is (p, '+'))
    {
      gboolean negate = p->tok.op == '-';

      ok = next (p) && parse_unary (p, out);
      if (ok && negate && p->eval)
        {
          if (out->exact)
            mpq_neg (out->q, out->q);
          else
            mpfr_neg (out->f, out->f, MPFR_RNDN);
        }
    }
  else
    ok = parse_power (p, out);
  p->depth--;
  return ok;
}

static gboolean
parse_binary_chain (Parser     *p,
                    Value      *out,
                    const char *ops,
                    gboolean  (*operand) (Parser *, Value *))
{
  if (!operand (p, out))
    return FALSE;
  while (p->tok.kind == TOK_OP && strchr (ops, p->tok.op) != NULL)
    {
      int op = p->tok.op;
      guint col = column (p, p->tok.start);
      Value rhs;
      gboolean ok;

      if (!next (p))
        return FALSE;
      value_init (&rhs);
      ok = operand (p, &rhs) && apply_binary (p, op, col, out, &rhs);
      value_clear (&rhs);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_term (Parser *p,
            Value  *out)
{
  return parse_binary_chain (p, out, "*/%", parse_unary);
}

static gboolean
parse_expr (Parser *p,
            Value  *out)
{
  return parse_binary_chain (p, out, "+-", parse_term);
}

static gboolean
parse_all (Parser *p,
           Value  *out)
{
  p->tok.end = 0;
  p->depth = 0;
  if (!next (p))
    return FALSE;
  if (p->tok.kind == TOK_END)
    return fail (p, HEARTH_CALC_ERROR_SYNTAX, "empty expression");
  if (!parse_expr (p, out))
    return FALSE;
  if (tok_is (p, ')'))
    return fail (p, HEARTH_CALC_ERROR_SYNTAX, "unbalanced parenthesis: the ')' at column %u has no '('",
                 column (p, p->tok.start));
  if (p->tok.kind != TOK_END)
    {
      g_autofree char *found = tok_text (p);

      return fail (p, HEARTH_CALC_ERROR_SYNTAX, "expected an operator at column %u, found %s",
                   column (p, p->tok.start), found);
    }
  return TRUE;
}

/* ---- results ---- */

/* @f rounded to HEARTH_CALC_DIGITS significant digits. */
static char *
format_approx (mpfr_srcptr f)
{
  mpfr_exp_t e = 0;
  char *raw;
  const char *digits;
  GString *s = g_string_new (NULL);
  gsize nd;

  if (mpfr_zero_p (f))
    return g_string_free (g_string_append (s, "0"), FALSE);
  raw = mpfr_get_str (NULL, &e, 10, HEARTH_CALC_DIGITS, f, MPFR_RNDN);
  digits = raw;
  if (*digits == '-')
    {
      g_string_append_c (s, '-');
      digits++;
    }
  nd = strlen (digits);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  if (e > 0 && e <= HEARTH_CALC_DIGITS)
    {
      for (mpfr_exp_t i = 0; i < e; i++)
        g_string_append_c (s, (gsize) i < nd ? digits[i] : '0');
      if ((gsize) e < nd)
        g_string_append_printf (s, ".%.*s", (int) (nd - (gsize) e), digits + e);
    }
  else if (e <= 0 && e > -5)
    {
      g_string_append (s, "0.");
      for (mpfr_exp_t i = 0; i < -e; i++)
        g_string_append_c (s, '0');
      g_string_append_len (s, digits, (gssize) nd);
    }
  else
    {
      g_string_append_c (s, digits[0]);
      if (nd > 1)
        g_string_append_printf (s, ".%.*s", (int) (nd - 1), digits + 1);
      g_string_append_printf (s, "e%ld", (long) (e - 1));
    }
  mpfr_free_str (raw);
  return g_string_free (s, FALSE);
}

/* The exact decimal of @q when it terminates within the text bound, else NULL. */
static char *
format_exact (mpq_srcptr q)
{
  mpz_t rest, n;
  mp_bitcnt_t twos, fives, k;
  char *text = NULL;

  mpz_inits (rest, n, NULL);
  twos = mpz_scan1 (mpq_denref (q), 0);
  mpz_tdiv_q_2exp (rest, mpq_denref (q), twos);
  {
    mpz_t five;

    mpz_init_set_ui (five, 5);
    fives = mpz_remove (rest, rest, five);
    mpz_clear (five);
  }
  k = MAX (twos, fives);
  if (mpz_cmp_ui (rest, 1) == 0 &&
      mpz_sizeinbase (mpq_numref (q), 10) + k + 3 <= HEARTH_CALC_MAX_EXACT_TEXT)
    {
      /* n = |num| * 10^k / den, an integer; the point goes k digits from its right. */
      g_autofree char *digits = NULL;
      GString *s = g_string_new (mpq_sgn (q) < 0 ? "-" : "");
      gsize len;

      mpz_ui_pow_ui (n, 10, k);
      mpz_mul (n, n, mpq_numref (q));
      mpz_abs (n, n);
      mpz_divexact (n, n, mpq_denref (q));
      digits = mpz_get_str (NULL, 10, n);
      len = strlen (digits);
      if (k == 0)
        g_string_append (s, digits);
      else
        {
          if (len <= k)
            {
              g_string_append (s, "0.");
              for (gsize i = len; i < k; i++)
                g_string_append_c (s, '0');
              g_string_append (s, digits);
            }
          else
            {
              g_string_append_len (s, digits, (gssize) (len - k));
              g_string_append_c (s, '.');
              g_string_append (s, digits + len - k);
            }
        }
      text = g_string_free (s, FALSE);
    }
  mpz_clears (rest, n, NULL);
  return text;
}

static HearthCalcResult *
make_result (Value *v)
{
  HearthCalcResult *r = g_new0 (HearthCalcResult, 1);

  if (v->exact)
    {
      r->decimal = format_exact (v->q);
      if (r->decimal != NULL)
        {
          r->exact = TRUE;
          return r;
        }
      if (mpz_sizeinbase (mpq_numref (v->q), 10) + mpz_sizeinbase (mpq_denref (v->q), 10) < 200)
        {
          g_autofree char *num = mpz_get_str (NULL, 10, mpq_numref (v->q));
          g_autofree char *den = mpz_get_str (NULL, 10, mpq_denref (v->q));

          r->fraction = g_strdup_printf ("%s/%s", num, den);
        }
      value_to_approx (v);
    }
  r->decimal = format_approx (v->f);
  return r;
}

HearthCalcResult *
hearth_calc_evaluate (const char  *expression,
                      GError     **error)
{
  Parser p = { 0 };
  Value v;
  HearthCalcResult *result = NULL;

  g_return_val_if_fail (expression != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  p.s = expression;
  p.len = strlen (expression);
  p.error = error;
  if (p.len > HEARTH_CALC_MAX_LENGTH)
    {
      g_set_error (error, HEARTH_CALC_ERROR, HEARTH_CALC_ERROR_SYNTAX,
                   "the expression is too long: %zu bytes, at most %d", p.len, HEARTH_CALC_MAX_LENGTH);
      return NULL;
    }
  if (!g_utf8_validate (expression, (gssize) p.len, NULL))
    {
      g_set_error_literal (error, HEARTH_CALC_ERROR, HEARTH_CALC_ERROR_SYNTAX,
                           "the expression is not valid UTF-8 text");
      return NULL;
    }
  value_init (&v);
  if (parse_all (&p, &v))
    {
      p.eval = TRUE;
      if (parse_all (&p, &v))
        result = make_result (&v);
    }
  value_clear (&v);
  mpfr_free_cache2 (MPFR_FREE_LOCAL_CACHE);
  return result;
}

char *
hearth_calc_result_to_text (const HearthCalcResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  if (result->exact)
    return g_strdup (result->decimal);
  if (result->fraction != NULL)
    return g_strdup_printf ("≈ %s (rounded to %d significant digits; exactly %s)",
                            result->decimal, HEARTH_CALC_DIGITS, result->fraction);
  return g_strdup_printf ("≈ %s (rounded to %d significant digits)", result->decimal, HEARTH_CALC_DIGITS);
}

void
hearth_calc_result_free (HearthCalcResult *result)
{
  if (result == NULL)
    return;
  g_free (result->decimal);
  g_free (result->fraction);
  g_free (result);
}
