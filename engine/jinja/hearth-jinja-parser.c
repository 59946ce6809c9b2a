/* hearth-jinja-parser.c: tokens to syntax tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Recursive descent over Jinja2's grammar, with Jinja2's precedence (lowest
 * first): conditional expression, or, and, not, comparisons and `in`, + -,
 * ~, * / // %, **, unary - +, then filters, tests and calls bind tightest
 * after a primary with its attribute, item and call suffixes.
 *
 * Node fields per kind:
 *   LITERAL value | NAME name | LIST, TUPLE list | DICT list=keys list2=values
 *   GETATTR a.name | GETITEM a[b] | SLICE a[b:c:d] (each may be NULL)
 *   CALL a(list, names=list2) | FILTER a|name(list, names=list2), a NULL in
 *   filter blocks | TEST a is [not: flag] name(list) | NOT, NEG, POS a
 *   BINOP, CONCAT, AND, OR, COMPARE a op b | COND a if b else c
 *   TEXT value | OUTPUT a | IF a: list else list2 | FOR names in a if b:
 *   list else list2 | SET b = a (b: NAME, GETATTR of a NAME, or TUPLE) |
 *   SET_BLOCK b = list filtered by c | MACRO name(names = list2 defaults): list
 *   FILTER_BLOCK list through c | CALL_BLOCK a (a call) with caller(names =
 *   list2 defaults): list | WITH names = list2: list | BREAK | CONTINUE
 */
#include "hearth-jinja-builtins.h"
#include "hearth-engine-error.h"

#include <string.h>

typedef struct
{
  HearthJinjaTemplate *t;
  Token               *toks;
  guint                n;
  guint                pos;
  guint                depth;
  guint                loop_depth;
  GError             **error;
} Parser;

static Token *
cur (Parser *p)
{
  return &p->toks[MIN (p->pos, p->n - 1)];
}

static Token *
peek (Parser *p,
      guint   k)
{
  return &p->toks[MIN (p->pos + k, p->n - 1)];
}

static gboolean
is_op (Token      *tok,
       const char *op)
{
  return tok->kind == TOK_OP && strcmp (tok->text, op) == 0;
}

static gboolean
is_name (Token      *tok,
         const char *name)
{
  return tok->kind == TOK_NAME && strcmp (tok->text, name) == 0;
}

static const char *
describe (Token *tok)
{
  switch (tok->kind)
    {
    case TOK_TEXT: return "template data";
    case TOK_VAR_BEGIN: return "'{{'";
    case TOK_VAR_END: return "'}}'";
    case TOK_BLOCK_BEGIN: return "'{%'";
    case TOK_BLOCK_END: return "'%}'";
    case TOK_NAME: return tok->text;
    case TOK_STRING: return "string";
    case TOK_INT: return "integer";
    case TOK_FLOAT: return "float";
    case TOK_OP: return tok->text;
    case TOK_EOF: return "end of template";
    default: return "?";
    }
}

G_GNUC_PRINTF (3, 4) static gpointer
fail (Parser     *p,
      Token      *at,
      const char *format,
      ...)
{
  g_autofree char *msg = NULL;
  va_list args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  jinja_set_error (p->t, p->error, HEARTH_ENGINE_ERROR_TEMPLATE, at->offset,
                   "TemplateSyntaxError: %s", msg);
  return NULL;
}

static gboolean
expect_op (Parser     *p,
           const char *op)
{
  if (!is_op (cur (p), op))
    {
      fail (p, cur (p), "expected '%s', got %s", op, describe (cur (p)));
      return FALSE;
    }
  p->pos++;
  return TRUE;
}

static gboolean
expect_block_end (Parser *p)
{
  if (cur (p)->kind != TOK_BLOCK_END)
    {
      fail (p, cur (p), "expected end of statement block, got %s", describe (cur (p)));
      return FALSE;
    }
  p->pos++;
  return TRUE;
}

static void
node_free (gpointer data)
{
  Node *n = data;

  g_clear_pointer (&n->value, hearth_json_value_unref);
  g_clear_pointer (&n->list, g_ptr_array_unref);
  g_clear_pointer (&n->list2, g_ptr_array_unref);
  g_clear_pointer (&n->names, g_ptr_array_unref);
  g_free (n);
}

static Node *
new_node (Parser  *p,
          NodeKind kind,
          guint    offset)
{
  Node *n = g_new0 (Node, 1);

  if (p->t->nodes == NULL)
    p->t->nodes = g_ptr_array_new_with_free_func (node_free);
  n->kind = kind;
  n->offset = offset;
  g_ptr_array_add (p->t->nodes, n);
  return n;
}

static GPtrArray *
node_list (void)
{
  return g_ptr_array_new ();
}

static Node *parse_expression (Parser *p, gboolean with_condexpr);
static Node *parse_tuple (Parser *p, gboolean with_condexpr, gboolean explicit_parens);
static Node *parse_unary (Parser *p, gboolean with_filter);
static GPtrArray *parse_body (Parser *p, const char *const *ends, const char **which);

static gboolean
enter (Parser *p)
{
  if (++p->depth > JINJA_MAX_NESTING)
    {
      fail (p, cur (p), "nesting deeper than %d", JINJA_MAX_NESTING);
      return FALSE;
    }
  return TRUE;
}

/* ( args ) after the '(' has been seen: positional into n->list, keyword
 * names and values into n->names and n->list2. */
static gboolean
parse_call_args (Parser *p,
                 Node   *n)
{
  n->list = node_list ();
  n->names = g_ptr_array_new ();
  n->list2 = node_list ();
  if (!expect_op (p, "("))
    return FALSE;
  while (!is_op (cur (p), ")"))
    {
      Node *arg;

      if (n->list->len + n->list2->len > 0 && !expect_op (p, ","))
        return FALSE;
      if (is_op (cur (p), ")"))
        break;
      if (cur (p)->kind == TOK_NAME && is_op (peek (p, 1), "="))
        {
          const char *kw = cur (p)->text;
          p->pos += 2;
          arg = parse_expression (p, TRUE);
          if (arg == NULL)
            return FALSE;
          g_ptr_array_add (n->names, (gpointer) kw);
          g_ptr_array_add (n->list2, arg);
          continue;
        }
      if (n->list2->len > 0)
        {
          fail (p, cur (p), "positional argument follows keyword argument");
          return FALSE;
        }
      arg = parse_expression (p, TRUE);
      if (arg == NULL)
        return FALSE;
      g_ptr_array_add (n->list, arg);
    }
  p->pos++;
  return TRUE;
}

static Node *
parse_primary (Parser *p)
{
  Token *tok = cur (p);
  Node *n;

  switch (tok->kind)
    {
    case TOK_NAME:
      p->pos++;
      n = new_node (p, N_LITERAL, tok->offset);
      if (strcmp (tok->text, "true") == 0 || strcmp (tok->text, "True") == 0)
        n->value = hearth_json_new_boolean (TRUE);
      else if (strcmp (tok->text, "false") == 0 || strcmp (tok->text, "False") == 0)
        n->value = hearth_json_new_boolean (FALSE);
      else if (strcmp (tok->text, "none") == 0 || strcmp (tok->text, "None") == 0)
        n->value = hearth_json_new_null ();
      else
        {
          n->kind = N_NAME;
          n->name = tok->text;
        }
      return n;
    case TOK_STRING:
      {
        GString *s = g_string_new_len (tok->text, (gssize) tok->len);
        /* adjacent literals join, as in Python */
        p->pos++;
        while (cur (p)->kind == TOK_STRING)
          {
            g_string_append_len (s, cur (p)->text, (gssize) cur (p)->len);
            p->pos++;
          }
        n = new_node (p, N_LITERAL, tok->offset);
        {
          gsize len = s->len;
          n->value = hearth_json_new_string_take (g_string_free (s, FALSE), len);
        }
        return n;
      }
    case TOK_INT:
      p->pos++;
      n = new_node (p, N_LITERAL, tok->offset);
      n->value = hearth_json_new_int (tok->i);
      return n;
    case TOK_FLOAT:
      p->pos++;
      n = new_node (p, N_LITERAL, tok->offset);
      n->value = hearth_json_new_double (tok->d);
      return n;
    case TOK_OP:
      if (is_op (tok, "("))
        {
          p->pos++;
          n = parse_tuple (p, TRUE, TRUE);
          if (n == NULL || !expect_op (p, ")"))
            return NULL;
          return n;
        }
      if (is_op (tok, "["))
        {
          p->pos++;
          n = new_node (p, N_LIST, tok->offset);
          n->list = node_list ();
          while (!is_op (cur (p), "]"))
            {
              Node *item;
              if (n->list->len > 0 && !expect_op (p, ","))
                return NULL;
              if (is_op (cur (p), "]"))
                break;
              item = parse_expression (p, TRUE);
              if (item == NULL)
                return NULL;
              g_ptr_array_add (n->list, item);
            }
          p->pos++;
          return n;
        }
      if (is_op (tok, "{"))
        {
          p->pos++;
          n = new_node (p, N_DICT, tok->offset);
          n->list = node_list ();
          n->list2 = node_list ();
          while (!is_op (cur (p), "}"))
            {
              Node *key, *val;
              if (n->list->len > 0 && !expect_op (p, ","))
                return NULL;
              if (is_op (cur (p), "}"))
                break;
              key = parse_expression (p, TRUE);
              if (key == NULL || !expect_op (p, ":"))
                return NULL;
              val = parse_expression (p, TRUE);
              if (val == NULL)
                return NULL;
              g_ptr_array_add (n->list, key);
              g_ptr_array_add (n->list2, val);
            }
          p->pos++;
          return n;
        }
      break;
    default:
      break;
    }
  return fail (p, tok, "unexpected %s", describe (tok));
}

static Node *
parse_subscript (Parser *p,
                 Node   *obj)
{
  Token *tok = cur (p);
  Node *n;

  if (is_op (tok, "."))
    {
      Token *attr = peek (p, 1);
      p->pos += 2;
      if (attr->kind == TOK_NAME)
        {
          n = new_node (p, N_GETATTR, attr->offset);
          n->a = obj;
          n->name = attr->text;
          return n;
        }
      if (attr->kind == TOK_INT)
        {
          n = new_node (p, N_GETITEM, attr->offset);
          n->a = obj;
          n->b = new_node (p, N_LITERAL, attr->offset);
          n->b->value = hearth_json_new_int (attr->i);
          return n;
        }
      return fail (p, attr, "expected a name after '.'");
    }
  /* '[' */
  p->pos++;
  {
    Node *parts[3] = { NULL, NULL, NULL };
    int part = 0;
    gboolean is_slice = FALSE;

    for (;;)
      {
        if (is_op (cur (p), ":"))
          {
            is_slice = TRUE;
            if (++part > 2)
              return fail (p, cur (p), "too many ':' in subscript");
            p->pos++;
            continue;
          }
        if (is_op (cur (p), "]"))
          break;
        if (parts[part] != NULL)
          return fail (p, cur (p), "expected ']'");
        parts[part] = is_slice || part > 0 ? parse_expression (p, TRUE) : parse_tuple (p, TRUE, FALSE);
        if (parts[part] == NULL)
          return NULL;
      }
    p->pos++;
    if (!is_slice)
      {
        if (parts[0] == NULL)
          return fail (p, tok, "empty subscript");
        n = new_node (p, N_GETITEM, tok->offset);
        n->a = obj;
        n->b = parts[0];
        return n;
      }
    n = new_node (p, N_SLICE, tok->offset);
    n->a = obj;
    n->b = parts[0];
    n->c = parts[1];
    n->d = parts[2];
    return n;
  }
}

static Node *
parse_call (Parser *p,
            Node   *callee)
{
  /* errors raised by the call point at what is called */
  Node *n = new_node (p, N_CALL, callee->offset);

  n->a = callee;
  return parse_call_args (p, n) ? n : NULL;
}

static Node *
parse_postfix (Parser *p,
               Node   *n)
{
  while (n != NULL)
    {
      if (is_op (cur (p), ".") || is_op (cur (p), "["))
        n = parse_subscript (p, n);
      else if (is_op (cur (p), "("))
        n = parse_call (p, n);
      else
        break;
    }
  return n;
}

/* name ('.' name)* [( args )] after the '|' */
static Node *
parse_filter (Parser *p,
              Node   *input)
{
  Token *tok = cur (p);
  Node *n;
  int filter;

  if (tok->kind != TOK_NAME)
    return fail (p, tok, "expected a filter name, got %s", describe (tok));
  filter = jinja_filter_lookup (tok->text);
  if (filter < 0)
    {
      jinja_set_error (p->t, p->error, HEARTH_ENGINE_ERROR_TEMPLATE, tok->offset,
                       "TemplateAssertionError: No filter named '%s'.", tok->text);
      return NULL;
    }
  p->pos++;
  n = new_node (p, N_FILTER, tok->offset);
  n->a = input;
  n->name = tok->text;
  n->builtin = filter;
  if (is_op (cur (p), "("))
    {
      if (!parse_call_args (p, n))
        return NULL;
    }
  return n;
}

static Node *
parse_test (Parser *p,
            Node   *input)
{
  Token *tok;
  Node *n = new_node (p, N_TEST, cur (p)->offset);

  p->pos++; /* 'is' */
  n->a = input;
  if (is_name (cur (p), "not"))
    {
      n->flag = TRUE;
      p->pos++;
    }
  tok = cur (p);
  if (tok->kind != TOK_NAME)
    {
      /* "is none" lexes as a name; "is ==" style tests are not Jinja */
      return fail (p, tok, "expected a test name, got %s", describe (tok));
    }
  n->builtin = jinja_test_lookup (tok->text);
  if (n->builtin < 0)
    {
      jinja_set_error (p->t, p->error, HEARTH_ENGINE_ERROR_TEMPLATE, tok->offset,
                       "TemplateAssertionError: No test named '%s'.", tok->text);
      return NULL;
    }
  n->name = tok->text;
  p->pos++;
  if (is_op (cur (p), "("))
    {
      if (!parse_call_args (p, n))
        return NULL;
    }
  else
    {
      Token *next = cur (p);
      gboolean starts_arg = next->kind == TOK_NAME || next->kind == TOK_STRING ||
                            next->kind == TOK_INT || next->kind == TOK_FLOAT ||
                            is_op (next, "(") || is_op (next, "[") || is_op (next, "{");

      if (starts_arg && !is_name (next, "else") && !is_name (next, "or") && !is_name (next, "and") &&
          !is_name (next, "is") && !is_name (next, "if") && !is_name (next, "in") && !is_name (next, "not"))
        {
          Node *arg = parse_postfix (p, parse_primary (p));
          if (arg == NULL)
            return NULL;
          n->list = node_list ();
          g_ptr_array_add (n->list, arg);
        }
    }
  return n;
}

static Node *
parse_filter_expr (Parser *p,
                   Node   *n)
{
  while (n != NULL)
    {
      if (is_op (cur (p), "|"))
        {
          p->pos++;
          n = parse_filter (p, n);
        }
      else if (is_name (cur (p), "is"))
        n = parse_test (p, n);
      else if (is_op (cur (p), "("))
        n = parse_call (p, n);
      else
        break;
    }
  return n;
}

static Node *
parse_unary (Parser  *p,
             gboolean with_filter)
{
  Token *tok = cur (p);
  Node *n;

  if (!enter (p))
    return NULL;
  if (is_op (tok, "-") || is_op (tok, "+"))
    {
      Node *operand;
      p->pos++;
      operand = parse_unary (p, FALSE);
      if (operand == NULL)
        return NULL;
      n = new_node (p, is_op (tok, "-") ? N_NEG : N_POS, tok->offset);
      n->a = operand;
    }
  else
    n = parse_primary (p);
  n = parse_postfix (p, n);
  if (with_filter)
    n = parse_filter_expr (p, n);
  p->depth--;
  return n;
}

static Node *
binop (Parser  *p,
       NodeKind kind,
       OpKind   op,
       Token   *at,
       Node    *a,
       Node    *b)
{
  Node *n;

  if (a == NULL || b == NULL)
    return NULL;
  n = new_node (p, kind, at->offset);
  n->op = op;
  n->a = a;
  n->b = b;
  return n;
}

static Node *
parse_pow (Parser *p)
{
  Node *n = parse_unary (p, TRUE);

  while (n != NULL && is_op (cur (p), "**"))
    {
      Token *tok = cur (p);
      p->pos++;
      n = binop (p, N_BINOP, OP_POW, tok, n, parse_unary (p, TRUE));
    }
  return n;
}

static Node *
parse_math2 (Parser *p)
{
  Node *n = parse_pow (p);

  while (n != NULL)
    {
      Token *tok = cur (p);
      OpKind op;

      if (is_op (tok, "*"))
        op = OP_MUL;
      else if (is_op (tok, "/"))
        op = OP_DIV;
      else if (is_op (tok, "//"))
        op = OP_FLOORDIV;
      else if (is_op (tok, "%"))
        op = OP_MOD;
      else
        break;
      p->pos++;
      n = binop (p, N_BINOP, op, tok, n, parse_pow (p));
    }
  return n;
}

static Node *
parse_concat (Parser *p)
{
  Node *n = parse_math2 (p);

  while (n != NULL && is_op (cur (p), "~"))
    {
      Token *tok = cur (p);
      p->pos++;
      n = binop (p, N_CONCAT, OP_ADD, tok, n, parse_math2 (p));
    }
  return n;
}

static Node *
parse_math1 (Parser *p)
{
  Node *n = parse_concat (p);

  while (n != NULL && (is_op (cur (p), "+") || is_op (cur (p), "-")))
    {
      Token *tok = cur (p);
      p->pos++;
      n = binop (p, N_BINOP, is_op (tok, "+") ? OP_ADD : OP_SUB, tok, n, parse_concat (p));
    }
  return n;
}

static Node *
parse_compare (Parser *p)
{
  Node *left = parse_math1 (p);
  Node *result = left;
  gboolean chained = FALSE;

  while (left != NULL)
    {
      Token *tok = cur (p);
      OpKind op;
      Node *right, *cmp;

      if (is_op (tok, "=="))
        op = OP_EQ;
      else if (is_op (tok, "!="))
        op = OP_NE;
      else if (is_op (tok, "<"))
        op = OP_LT;
      else if (is_op (tok, "<="))
        op = OP_LE;
      else if (is_op (tok, ">"))
        op = OP_GT;
      else if (is_op (tok, ">="))
        op = OP_GE;
      else if (is_name (tok, "in"))
        op = OP_IN;
      else if (is_name (tok, "not") && is_name (peek (p, 1), "in"))
        {
          op = OP_NOT_IN;
          p->pos++;
        }
      else
        break;
      p->pos++;
      right = parse_math1 (p);
      if (right == NULL)
        return NULL;
      cmp = binop (p, N_COMPARE, op, tok, left, right);
      /* a < b < c is (a < b) and (b < c) */
      result = chained ? binop (p, N_AND, OP_ADD, tok, result, cmp) : cmp;
      chained = TRUE;
      left = right;
    }
  return left == NULL ? NULL : result;
}

static Node *
parse_not (Parser *p)
{
  Token *tok = cur (p);

  if (is_name (tok, "not"))
    {
      Node *n, *operand;
      p->pos++;
      if (!enter (p))
        return NULL;
      operand = parse_not (p);
      p->depth--;
      if (operand == NULL)
        return NULL;
      n = new_node (p, N_NOT, tok->offset);
      n->a = operand;
      return n;
    }
  return parse_compare (p);
}

static Node *
parse_and (Parser *p)
{
  Node *n = parse_not (p);

  while (n != NULL && is_name (cur (p), "and"))
    {
      Token *tok = cur (p);
      p->pos++;
      n = binop (p, N_AND, OP_ADD, tok, n, parse_not (p));
    }
  return n;
}

static Node *
parse_or (Parser *p)
{
  Node *n = parse_and (p);

  while (n != NULL && is_name (cur (p), "or"))
    {
      Token *tok = cur (p);
      p->pos++;
      n = binop (p, N_OR, OP_ADD, tok, n, parse_and (p));
    }
  return n;
}

static Node *
parse_expression (Parser  *p,
                  gboolean with_condexpr)
{
  Node *n = parse_or (p);

  while (with_condexpr && n != NULL && is_name (cur (p), "if"))
    {
      Token *tok = cur (p);
      Node *cond, *c = NULL;

      p->pos++;
      cond = parse_or (p);
      if (cond == NULL)
        return NULL;
      if (is_name (cur (p), "else"))
        {
          p->pos++;
          if (!enter (p))
            return NULL;
          c = parse_expression (p, TRUE);
          p->depth--;
          if (c == NULL)
            return NULL;
        }
      {
        Node *cn = new_node (p, N_COND, tok->offset);
        cn->a = n;
        cn->b = cond;
        cn->c = c;
        n = cn;
      }
    }
  return n;
}

/* An expression, or several separated by commas (a tuple). Inside explicit
 * parentheses "()" is the empty tuple and "(x)" just x. */
static Node *
parse_tuple (Parser  *p,
             gboolean with_condexpr,
             gboolean explicit_parens)
{
  Token *start = cur (p);
  Node *first, *n;

  if (explicit_parens && is_op (start, ")"))
    {
      n = new_node (p, N_TUPLE, start->offset);
      n->list = node_list ();
      return n;
    }
  first = parse_expression (p, with_condexpr);
  if (first == NULL || !is_op (cur (p), ","))
    return first;
  n = new_node (p, N_TUPLE, start->offset);
  n->list = node_list ();
  g_ptr_array_add (n->list, first);
  while (is_op (cur (p), ","))
    {
      Node *item;
      Token *next;

      p->pos++;
      next = cur (p);
      if (next->kind == TOK_BLOCK_END || next->kind == TOK_VAR_END || is_op (next, ")") ||
          is_op (next, "]") || is_name (next, "in") || is_op (next, "="))
        break;
      item = parse_expression (p, with_condexpr);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (n->list, item);
    }
  return n;
}

/* Assignment targets: a name, ns.attr, or names separated by commas. */
static Node *
parse_assign_target (Parser  *p,
                     gboolean allow_attr)
{
  Token *tok = cur (p);
  Node *n;

  if (tok->kind != TOK_NAME)
    return fail (p, tok, "expected a name to assign to, got %s", describe (tok));
  p->pos++;
  n = new_node (p, N_NAME, tok->offset);
  n->name = tok->text;
  if (allow_attr && is_op (cur (p), "."))
    {
      Token *attr = peek (p, 1);
      Node *g;
      if (attr->kind != TOK_NAME)
        return fail (p, attr, "expected an attribute name");
      p->pos += 2;
      g = new_node (p, N_GETATTR, attr->offset);
      g->a = n;
      g->name = attr->text;
      return g;
    }
  if (is_op (cur (p), ","))
    {
      Node *t = new_node (p, N_TUPLE, tok->offset);
      t->list = node_list ();
      g_ptr_array_add (t->list, n);
      while (is_op (cur (p), ","))
        {
          Token *nt;
          Node *nn;
          p->pos++;
          nt = cur (p);
          if (nt->kind != TOK_NAME)
            break;
          p->pos++;
          nn = new_node (p, N_NAME, nt->offset);
          nn->name = nt->text;
          g_ptr_array_add (t->list, nn);
        }
      return t;
    }
  return n;
}

/* filter chain for {% filter %} and {% set x | f %}: FILTER nodes, the
 * innermost with a == NULL */
static Node *
parse_filter_chain (Parser *p)
{
  Node *n = parse_filter (p, NULL);

  while (n != NULL && is_op (cur (p), "|"))
    {
      p->pos++;
      n = parse_filter (p, n);
    }
  return n;
}

static Node *
parse_if (Parser *p,
          Token  *start)
{
  static const char *const ends[] = { "elif", "else", "endif", NULL };
  Node *n = new_node (p, N_IF, start->offset);
  const char *which = NULL;

  n->a = parse_tuple (p, TRUE, FALSE);
  if (n->a == NULL || !expect_block_end (p))
    return NULL;
  n->list = parse_body (p, ends, &which);
  if (n->list == NULL)
    return NULL;
  if (strcmp (which, "elif") == 0)
    {
      Node *elif = parse_if (p, &p->toks[p->pos - 1]);
      if (elif == NULL)
        return NULL;
      n->list2 = node_list ();
      g_ptr_array_add (n->list2, elif);
      return n;
    }
  if (strcmp (which, "else") == 0)
    {
      static const char *const end_only[] = { "endif", NULL };
      if (!expect_block_end (p))
        return NULL;
      n->list2 = parse_body (p, end_only, &which);
      if (n->list2 == NULL)
        return NULL;
    }
  return expect_block_end (p) ? n : NULL;
}

static Node *
parse_for (Parser *p,
           Token  *start)
{
  static const char *const ends[] = { "endfor", "else", NULL };
  static const char *const end_only[] = { "endfor", NULL };
  Node *n = new_node (p, N_FOR, start->offset);
  gboolean parens = FALSE;
  const char *which = NULL;

  n->names = g_ptr_array_new ();
  if (is_op (cur (p), "("))
    {
      parens = TRUE;
      p->pos++;
    }
  for (;;)
    {
      Token *tok = cur (p);
      if (tok->kind != TOK_NAME)
        return fail (p, tok, "expected a loop variable name, got %s", describe (tok));
      g_ptr_array_add (n->names, (gpointer) tok->text);
      p->pos++;
      if (!is_op (cur (p), ","))
        break;
      p->pos++;
    }
  if (parens && !expect_op (p, ")"))
    return NULL;
  if (!is_name (cur (p), "in"))
    return fail (p, cur (p), "expected 'in', got %s", describe (cur (p)));
  p->pos++;
  n->a = parse_tuple (p, FALSE, FALSE);
  if (n->a == NULL)
    return NULL;
  if (is_name (cur (p), "if"))
    {
      p->pos++;
      n->b = parse_expression (p, TRUE);
      if (n->b == NULL)
        return NULL;
    }
  if (is_name (cur (p), "recursive"))
    return fail (p, cur (p), "recursive loops are not supported");
  if (!expect_block_end (p))
    return NULL;
  p->loop_depth++;
  n->list = parse_body (p, ends, &which);
  p->loop_depth--;
  if (n->list == NULL)
    return NULL;
  if (strcmp (which, "else") == 0)
    {
      if (!expect_block_end (p))
        return NULL;
      n->list2 = parse_body (p, end_only, &which);
      if (n->list2 == NULL)
        return NULL;
    }
  return expect_block_end (p) ? n : NULL;
}

static Node *
parse_set (Parser *p,
           Token  *start)
{
  static const char *const ends[] = { "endset", NULL };
  Node *target = parse_assign_target (p, TRUE);
  Node *n;
  const char *which;

  if (target == NULL)
    return NULL;
  if (is_op (cur (p), "="))
    {
      p->pos++;
      n = new_node (p, N_SET, start->offset);
      n->b = target;
      n->a = parse_tuple (p, TRUE, FALSE);
      if (n->a == NULL || !expect_block_end (p))
        return NULL;
      return n;
    }
  if (target->kind != N_NAME)
    return fail (p, cur (p), "expected '='");
  n = new_node (p, N_SET_BLOCK, start->offset);
  n->b = target;
  if (is_op (cur (p), "|"))
    {
      p->pos++;
      n->c = parse_filter_chain (p);
      if (n->c == NULL)
        return NULL;
    }
  if (!expect_block_end (p))
    return NULL;
  n->list = parse_body (p, ends, &which);
  if (n->list == NULL || !expect_block_end (p))
    return NULL;
  return n;
}

/* {% with a = x, b = y %}body{% endwith %}: a FOR-less scope, kept as an
 * N_IF on true whose targets/values sit in names/list2 */
static Node *
parse_with (Parser *p,
            Token  *start)
{
  static const char *const ends[] = { "endwith", NULL };
  Node *n = new_node (p, N_WITH, start->offset);
  const char *which;

  n->names = g_ptr_array_new ();
  n->list2 = node_list ();
  while (cur (p)->kind != TOK_BLOCK_END)
    {
      Token *tok = cur (p);
      Node *value;

      if (n->names->len > 0 && !expect_op (p, ","))
        return NULL;
      tok = cur (p);
      if (tok->kind != TOK_NAME || !is_op (peek (p, 1), "="))
        return fail (p, tok, "expected 'name = value' in with");
      p->pos += 2;
      value = parse_expression (p, TRUE);
      if (value == NULL)
        return NULL;
      g_ptr_array_add (n->names, (gpointer) tok->text);
      g_ptr_array_add (n->list2, value);
    }
  p->pos++;
  n->list = parse_body (p, ends, &which);
  if (n->list == NULL || !expect_block_end (p))
    return NULL;
  return n;
}

/* ( name [= default], ... ) into n->names and n->list2 */
static gboolean
parse_params (Parser *p,
              Node   *n)
{
  n->names = g_ptr_array_new ();
  n->list2 = node_list ();
  if (!expect_op (p, "("))
    return FALSE;
  while (!is_op (cur (p), ")"))
    {
      Token *tok;
      if (n->names->len > 0 && !expect_op (p, ","))
        return FALSE;
      if (is_op (cur (p), ")"))
        break;
      tok = cur (p);
      if (tok->kind != TOK_NAME)
        {
          fail (p, tok, "expected a parameter name, got %s", describe (tok));
          return FALSE;
        }
      p->pos++;
      g_ptr_array_add (n->names, (gpointer) tok->text);
      if (is_op (cur (p), "="))
        {
          Node *def;
          p->pos++;
          def = parse_expression (p, TRUE);
          if (def == NULL)
            return FALSE;
          g_ptr_array_add (n->list2, def);
        }
      else
        {
          if (n->list2->len > 0 && g_ptr_array_index (n->list2, n->list2->len - 1) != NULL)
            {
              fail (p, tok, "non-default argument follows default argument");
              return FALSE;
            }
          g_ptr_array_add (n->list2, NULL);
        }
    }
  p->pos++;
  return TRUE;
}

/* {% call [(params)] macro(args) %}body{% endcall %}: the node is shaped like
 * a macro named "caller" (names, list2 defaults, list body), a is the call */
static Node *
parse_call_block (Parser *p,
                  Token  *start)
{
  static const char *const ends[] = { "endcall", NULL };
  Node *n = new_node (p, N_CALL_BLOCK, start->offset);
  const char *which;
  guint saved_loop_depth;

  n->name = jinja_intern (p->t, "caller", 6);
  if (is_op (cur (p), "("))
    {
      if (!parse_params (p, n))
        return NULL;
    }
  else
    {
      n->names = g_ptr_array_new ();
      n->list2 = node_list ();
    }
  n->a = parse_expression (p, TRUE);
  if (n->a == NULL)
    return NULL;
  if (n->a->kind != N_CALL)
    return fail (p, start, "expected a macro call after 'call'");
  if (!expect_block_end (p))
    return NULL;
  saved_loop_depth = p->loop_depth;
  p->loop_depth = 0;
  n->list = parse_body (p, ends, &which);
  p->loop_depth = saved_loop_depth;
  if (n->list == NULL)
    return NULL;
  return expect_block_end (p) ? n : NULL;
}

static Node *
parse_macro (Parser *p,
             Token  *start)
{
  static const char *const ends[] = { "endmacro", NULL };
  Node *n = new_node (p, N_MACRO, start->offset);
  const char *which;
  guint saved_loop_depth;

  if (cur (p)->kind != TOK_NAME)
    return fail (p, cur (p), "expected a macro name");
  n->name = cur (p)->text;
  p->pos++;
  if (!parse_params (p, n))
    return NULL;
  if (!expect_block_end (p))
    return NULL;
  saved_loop_depth = p->loop_depth;
  p->loop_depth = 0;
  n->list = parse_body (p, ends, &which);
  p->loop_depth = saved_loop_depth;
  if (n->list == NULL)
    return NULL;
  if (cur (p)->kind == TOK_NAME && strcmp (cur (p)->text, n->name) == 0)
    p->pos++;
  return expect_block_end (p) ? n : NULL;
}

static Node *
parse_statement (Parser *p)
{
  Token *start = cur (p);
  Token *kw;

  p->pos++; /* {% */
  kw = cur (p);
  if (kw->kind != TOK_NAME)
    return fail (p, kw, "expected a statement name, got %s", describe (kw));
  p->pos++;
  if (strcmp (kw->text, "if") == 0)
    return parse_if (p, start);
  if (strcmp (kw->text, "for") == 0)
    return parse_for (p, start);
  if (strcmp (kw->text, "set") == 0)
    return parse_set (p, start);
  if (strcmp (kw->text, "macro") == 0)
    return parse_macro (p, start);
  if (strcmp (kw->text, "call") == 0)
    return parse_call_block (p, start);
  if (strcmp (kw->text, "with") == 0)
    return parse_with (p, start);
  if (strcmp (kw->text, "generation") == 0)
    {
      /* Hugging Face's marker for assistant-generated text: renders its body */
      static const char *const ends[] = { "endgeneration", NULL };
      Node *n = new_node (p, N_IF, start->offset);
      const char *which;
      n->a = new_node (p, N_LITERAL, start->offset);
      n->a->value = hearth_json_new_boolean (TRUE);
      if (!expect_block_end (p))
        return NULL;
      n->list = parse_body (p, ends, &which);
      if (n->list == NULL || !expect_block_end (p))
        return NULL;
      return n;
    }
  if (strcmp (kw->text, "filter") == 0)
    {
      static const char *const ends[] = { "endfilter", NULL };
      Node *n = new_node (p, N_FILTER_BLOCK, start->offset);
      const char *which;
      n->c = parse_filter_chain (p);
      if (n->c == NULL || !expect_block_end (p))
        return NULL;
      n->list = parse_body (p, ends, &which);
      if (n->list == NULL || !expect_block_end (p))
        return NULL;
      return n;
    }
  if (strcmp (kw->text, "break") == 0 || strcmp (kw->text, "continue") == 0)
    {
      Node *n;
      if (p->loop_depth == 0)
        return fail (p, kw, "'%s' outside of a loop", kw->text);
      n = new_node (p, kw->text[0] == 'b' ? N_BREAK : N_CONTINUE, start->offset);
      return expect_block_end (p) ? n : NULL;
    }
  return fail (p, kw, "Encountered unknown tag '%s'.", kw->text);
}

static gboolean
in_list (const char        *name,
         const char *const *list)
{
  for (; list != NULL && *list != NULL; list++)
    if (strcmp (name, *list) == 0)
      return TRUE;
  return FALSE;
}

/* Statements up to one of @ends (consumed with its keyword, the rest of its
 * tag left to the caller) or, with @ends NULL, the end of the template. */
static GPtrArray *
parse_body (Parser            *p,
            const char *const *ends,
            const char       **which)
{
  g_autoptr(GPtrArray) body = node_list ();

  if (!enter (p))
    return NULL;
  for (;;)
    {
      Token *tok = cur (p);
      Node *n = NULL;

      switch (tok->kind)
        {
        case TOK_TEXT:
          n = new_node (p, N_TEXT, tok->offset);
          n->value = hearth_json_new_string (tok->text, (gssize) tok->len);
          p->pos++;
          break;
        case TOK_VAR_BEGIN:
          p->pos++;
          n = new_node (p, N_OUTPUT, tok->offset);
          n->a = parse_tuple (p, TRUE, FALSE);
          if (n->a == NULL)
            return NULL;
          if (cur (p)->kind != TOK_VAR_END)
            return fail (p, cur (p), "expected end of print statement, got %s", describe (cur (p)));
          p->pos++;
          break;
        case TOK_BLOCK_BEGIN:
          if (peek (p, 1)->kind == TOK_NAME && in_list (peek (p, 1)->text, ends))
            {
              *which = peek (p, 1)->text;
              p->pos += 2;
              p->depth--;
              return g_steal_pointer (&body);
            }
          n = parse_statement (p);
          if (n == NULL)
            return NULL;
          break;
        case TOK_EOF:
          if (ends != NULL)
            {
              g_autofree char *wanted = g_strjoinv ("' or '", (char **) ends);
              return fail (p, tok, "unexpected end of template, expected '%s'", wanted);
            }
          p->depth--;
          return g_steal_pointer (&body);
        default:
          return fail (p, tok, "unexpected %s", describe (tok));
        }
      g_ptr_array_add (body, n);
    }
}

gboolean
jinja_parse (HearthJinjaTemplate *t,
             GArray              *tokens,
             GError             **error)
{
  Parser p = { t, (Token *) (gpointer) tokens->data, tokens->len, 0, 0, 0, error };

  t->body = parse_body (&p, NULL, NULL);
  return t->body != NULL;
}
