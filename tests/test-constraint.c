/* test-constraint.c: grammars, JSON Schemas and the allowed-token masks they make
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Grammar text is checked byte by byte through the byte tokens of
 * stories260K's vocabulary (one token per byte), against expectations
 * worked out by hand. The fast masks are compared with the reference path
 * (every token decoded and matched from scratch) at every step of seeded
 * random walks, for every schema in tests/schemas and three vocabularies
 * (512 SentencePiece tokens twice, Qwen's 151,936 BPE tokens). Outputs of
 * real generation are validated by tests/tools/check-structured.py.
 */
#include "hearth-config.h"

#include <math.h>
#include <string.h>

#include "hearth-engine.h"
#include "hearth-test.h"

static HearthTokenizer *
load_tokenizer (const char *first,
                ...)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) gguf = NULL;
  HearthTokenizer *tok;
  va_list ap;
  const char *parts[4] = { first, NULL, NULL, NULL };

  va_start (ap, first);
  for (int i = 1; i < 4; i++)
    if ((parts[i] = va_arg (ap, const char *)) == NULL)
      break;
  va_end (ap);
  path = hearth_test_data_path (parts[0], parts[1], parts[2], NULL);
  gguf = hearth_gguf_open (path, &error);
  hearth_assert_no_error (error);
  tok = hearth_tokenizer_new_from_gguf (gguf, &error);
  hearth_assert_no_error (error);
  return tok;
}

static HearthTokenizer *
stories_tokenizer (void)
{
  return load_tokenizer ("models", "stories260K", "stories260K-f32.gguf", NULL);
}

/* ---- grammar text ---- */

typedef struct
{
  const char *text;
  int         code;
  const char *message;  /* a part of the error message */
} BadInput;

static const BadInput bad_grammars[] = {
  { "root ::= \"abc", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "line 1, column 14 (byte 13): unterminated literal" },
  { "root ::= foo", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "byte 9): rule 'foo' is used but not defined" },
  { "root ::= [z-a]", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "range U+007A-U+0061 is reversed" },
  { "a ::= \"x\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no rule named 'root'" },
  { "root ::= root \"x\" | \"y\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "rule 'root' is left-recursive" },
  { "root ::= a \"x\"\na ::= \"\" | root", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "left-recursive" },
  { "root ::= (\"x\"?)*", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "left-recursive" },
  { "root ::= \"x\"{5,2}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "repetition {5,2}: the maximum is below the minimum" },
  { "root ::= \"x\"{1001}", HEARTH_ENGINE_ERROR_LIMIT, "repetition count above 1000" },
  { "root ::= ((((\"x\"){1000}){1000}){1000})", HEARTH_ENGINE_ERROR_LIMIT, "grows beyond" },
  { "root ::= \"a\"\nroot ::= \"b\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "line 2, column 1 (byte 13): rule 'root' is defined twice" },
  { "root ::= \"\\q\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unknown escape '\\q'" },
  { "root ::= \"\\uD800\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "not a Unicode scalar value" },
  { "root ::= \"a\"\n  x ::= ]", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "line 2, column 9 (byte 21): expected a literal" },
  { "root ::= ( \"a\" ", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected ')'" },
  { "root = \"a\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected '::=' after the rule name 'root'" },
  { "root ::= [^\\x00-\\U0010FFFF]", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "matches nothing" },
  { "root ::= \"\xff\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "invalid UTF-8" },
  { "root ::= \"a\"{", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "expected a repetition count" },
  { "", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no rule named 'root'" },
  /* found by fuzz-grammar: t never ends, so neither does root */
  { "root ::= \"yes\" t \"~o\"\nt ::= \"yes\" t \"~o\"", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT,
    "accepts no finite text: rule 'root' can never end" },
  { "root ::= \"x\" root", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "accepts no finite text" },
};

START_TEST (test_grammar_errors)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_grammars); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGrammar) g = hearth_grammar_new_from_gbnf (bad_grammars[i].text, -1, &error);

      ck_assert_msg (g == NULL, "grammar %u parsed", i);
      hearth_assert_error (error, bad_grammars[i].code);
      ck_assert_msg (strstr (error->message, bad_grammars[i].message) != NULL, "grammar %u: '%s' lacks '%s'", i,
                     error->message, bad_grammars[i].message);
    }
}
END_TEST

START_TEST (test_grammar_hostile_nesting)
{
  g_autoptr(GString) deep = g_string_new ("root ::= ");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGrammar) g = NULL;
  g_autoptr(GString) big = g_string_new ("root ::= r0\n");

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '(');
  g = hearth_grammar_new_from_gbnf (deep->str, -1, &error);
  ck_assert (g == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (error->message, "byte 73): groups nested deeper than 64") != NULL);
  g_clear_error (&error);
  /* 30000 rules, each naming the next */
  for (int i = 0; i < 30000; i++)
    g_string_append_printf (big, "r%d ::= \"x\" r%d\n", i, i + 1);
  g = hearth_grammar_new_from_gbnf (big->str, -1, &error);
  ck_assert (g == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (error->message, "more than 20000 rules") != NULL);
}
END_TEST

/* ---- the longest sentence ---- */

typedef struct
{
  const char *text;
  gboolean    bounded;
  guint64     max_bytes;  /* worked out by hand */
} MaxCase;

static const MaxCase max_grammars[] = {
  { "root ::= \"abc\"", TRUE, 3 },
  { "root ::= \"ab\" | \"cdef\" | \"\"", TRUE, 4 },
  { "root ::= \"x\"{2,5} \"y\"?", TRUE, 6 },
  { "root ::= \"x\"{7}", TRUE, 7 },
  { "root ::= ( \"ab\" | \"c\" ){0,3} \"d\"", TRUE, 7 },
  { "root ::= [a-z]{3}", TRUE, 3 },
  /* a class counts as its widest character: U+00E9 2 bytes, U+20AC 3, U+1F600 4 */
  { "root ::= [a\\u00e9]", TRUE, 2 },
  { "root ::= [a\\u00e9\\u20ac]{2,3}", TRUE, 9 },
  { "root ::= [a\\U0001F600]", TRUE, 4 },
  { "root ::= [^a]", TRUE, 4 },
  { "root ::= [\\x00-\\u07FF]", TRUE, 2 },
  { "root ::= .", TRUE, 4 },
  { "root ::= \"\xe6\x97\xa5\xe6\x9c\xac\"", TRUE, 6 },
  { "root ::= \"\xc3\xa9\"{1000}", TRUE, 2000 },
  { "root ::= a b\na ::= \"xy\" | \"z\"\nb ::= a a", TRUE, 6 },
  /* an alternative that can never be completed is no path */
  { "root ::= \"a\" | dead\ndead ::= \"x\" dead", TRUE, 1 },
  { "root ::= \"a\" ( \"b\" dead )?\ndead ::= \"x\"+ dead", TRUE, 1 },
  /* a rule root never reaches does not count */
  { "root ::= \"a\"\nunused ::= \"b\"*", TRUE, 1 },
  { "root ::= \"x\" | \"y\"*", FALSE, 0 },
  { "root ::= \"a\"+", FALSE, 0 },
  { "root ::= \"a\"{2,}", FALSE, 0 },
  { "root ::= \"(\" root \")\" | \"\"", FALSE, 0 },
  { "root ::= a\na ::= \"x\" b | \"y\"\nb ::= \"z\" a", FALSE, 0 },
};

/* Checks @cases, each text made a grammar by @make (GBNF or JSON Schema). */
static void
check_max_bytes (const MaxCase *cases,
                 guint          n,
                 HearthGrammar *(*make) (const char *, gssize, GError **))
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGrammar) g = make (cases[i].text, -1, &error);
      guint64 max = 12345;
      gboolean bounded;

      hearth_assert_no_error (error);
      bounded = hearth_grammar_get_max_bytes (g, &max);
      ck_assert_msg (bounded == cases[i].bounded, "%s: bounded %d", cases[i].text, bounded);
      if (bounded)
        ck_assert_msg (max == cases[i].max_bytes, "%s: %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT,
                       cases[i].text, max, cases[i].max_bytes);
      else
        ck_assert_msg (max == 12345, "%s: unbounded but wrote %" G_GUINT64_FORMAT, cases[i].text, max);
      ck_assert (hearth_grammar_get_max_bytes (g, NULL) == bounded);
    }
}

START_TEST (test_grammar_max_bytes)
{
  check_max_bytes (max_grammars, G_N_ELEMENTS (max_grammars), hearth_grammar_new_from_gbnf);
}
END_TEST

/* JSON Schemas: the value, with up to 4 whitespace bytes before and after
 * (root is ws value ws) and after every punctuation token. */
static const MaxCase max_schemas[] = {
  { "{\"type\":\"boolean\"}", TRUE, 4 + 5 + 4 },
  { "{\"type\":\"null\"}", TRUE, 4 + 4 + 4 },
  { "{\"enum\":[\"red\",\"green\",123456,null]}", TRUE, 4 + 7 + 4 },
  /* "-", 15 digits, ".", 15 digits */
  { "{\"type\":\"number\"}", TRUE, 4 + 32 + 4 },
  /* each character at worst an escape \uXXXX (6 bytes; a raw one is at most 4) */
  { "{\"type\":\"string\",\"maxLength\":3}", TRUE, 4 + 1 + 3 * 6 + 1 + 4 },
  { "{\"type\":\"string\",\"format\":\"uuid\"}", TRUE, 4 + 38 + 4 },
  /* { ws "a" ws : ws false ws } */
  { "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}},\"required\":[\"a\"]}", TRUE,
    4 + 1 + 4 + 3 + 4 + 1 + 4 + 5 + 4 + 1 + 4 },
  { "{\"type\":\"string\"}", FALSE, 0 },
  { "{\"type\":\"string\",\"minLength\":2}", FALSE, 0 },
  { "{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"maxItems\":2}", TRUE,
    4 + 1 + 4 + 5 + 4 + 1 + 4 + 5 + 4 + 1 + 4 },
  { "{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}", FALSE, 0 },
  /* no properties: only {} is allowed */
  { "{\"type\":\"object\"}", TRUE, 4 + 1 + 4 + 1 + 4 },
  /* any JSON value: arrays and objects of any length */
  { "{}", FALSE, 0 },
};

START_TEST (test_schema_max_bytes)
{
  check_max_bytes (max_schemas, G_N_ELEMENTS (max_schemas), hearth_grammar_new_from_json_schema);
}
END_TEST

/* Feeds @input byte by byte; returns 1 when it is a sentence, 0 when a
 * prefix only, -1 when a byte is refused. */
static int
match (HearthTokenizer *tok,
       const char      *grammar,
       const char      *input)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGrammar) g = hearth_grammar_new_from_gbnf (grammar, -1, &error);
  g_autoptr(HearthConstraint) c = NULL;

  hearth_assert_no_error (error);
  c = hearth_constraint_new (g, tok, &error);
  hearth_assert_no_error (error);
  for (const char *p = input; *p; p++)
    {
      char piece[8];
      gint32 id;

      g_snprintf (piece, sizeof piece, "<0x%02X>", (guchar) *p);
      id = hearth_tokenizer_find_token (tok, piece);
      ck_assert_int_ge (id, 0);
      if (!hearth_constraint_accept_token (c, id))
        return -1;
    }
  return hearth_constraint_is_accepting (c) ? 1 : 0;
}

typedef struct
{
  const char *grammar;
  const char *input;
  int         want;
} MatchCase;

static const MatchCase match_cases[] = {
  { "root ::= \"abc\"", "abc", 1 },
  { "root ::= \"abc\"", "ab", 0 },
  { "root ::= \"abc\"", "abd", -1 },
  { "root ::= \"abc\"", "abcd", -1 },
  { "root ::= \"a\" | \"b\" \"c\"", "bc", 1 },
  { "root ::= \"a\" | \"b\" \"c\"", "ac", -1 },
  { "root ::= [a-c]+", "abcabc", 1 },
  { "root ::= [a-c]+", "", 0 },
  { "root ::= [a-c]+", "abd", -1 },
  { "root ::= [^a-c]*", "xyz", 1 },
  { "root ::= [^a-c]*", "xaz", -1 },
  { "root ::= [^\"]*", "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x8e\x89", 1 },
  { "root ::= [^\"]*", "\xed\xa0\x80", -1 },             /* a surrogate is not UTF-8 */
  { "root ::= [^\"]*", "\xc0\xaf", -1 },                 /* overlong */
  { "root ::= [α-ω]{2}", "\xce\xb2\xce\xb3", 1 },        /* βγ */
  { "root ::= [α-ω]{2}", "\xce\x91\xce\xb3", -1 },       /* Αγ */
  { "root ::= \"x\"{2,3}", "x", 0 },
  { "root ::= \"x\"{2,3}", "xx", 1 },
  { "root ::= \"x\"{2,3}", "xxx", 1 },
  { "root ::= \"x\"{2,3}", "xxxx", -1 },
  { "root ::= \"x\"{2,}", "xxxxxxx", 1 },
  { "root ::= \"x\"{0}", "", 1 },
  { "root ::= \"x\"{0}", "x", -1 },
  { "root ::= (\"ab\" | \"c\")? \"d\"", "abd", 1 },
  { "root ::= (\"ab\" | \"c\")? \"d\"", "d", 1 },
  { "root ::= (\"ab\" | \"c\")? \"d\"", "cd", 1 },
  { "root ::= (\"ab\" | \"c\")? \"d\"", "acd", -1 },
  { "root ::= . \".\"", "\xe2\x82\xac.", 1 },
  { "root ::= \"\\x41\\u00e9\\n\\t\\\\\\\"\"", "A\xc3\xa9\n\t\\\"", 1 },
  { "root ::= [\\x30-\\x39\\]\\-]+", "1]-9", 1 },
  { "# a comment\nroot ::= item (\",\" item)*  # list\nitem ::= [0-9]+\n", "1,22,333", 1 },
  { "root ::= a\n  | b\na ::= \"a\"\nb ::= \"b\"", "b", 1 },
  { "root ::= (\n  \"x\"\n  | \"y\"\n)", "y", 1 },
  { "root ::= list\nlist ::= \"[\" (list (\",\" list)*)? \"]\"", "[[],[[]]]", 1 },
  { "root ::= list\nlist ::= \"[\" (list (\",\" list)*)? \"]\"", "[[],[[]]", 0 },
  { "root ::= list\nlist ::= \"[\" (list (\",\" list)*)? \"]\"", "[[],]", -1 },
  /* an alternative through a rule that never ends is dropped: "b" cannot start */
  { "root ::= \"a\" | \"b\" t\nt ::= \"b\" t", "a", 1 },
  { "root ::= \"a\" | \"b\" t\nt ::= \"b\" t", "b", -1 },
};

START_TEST (test_grammar_match)
{
  g_autoptr(HearthTokenizer) tok = stories_tokenizer ();

  for (guint i = 0; i < G_N_ELEMENTS (match_cases); i++)
    {
      int got = match (tok, match_cases[i].grammar, match_cases[i].input);

      ck_assert_msg (got == match_cases[i].want, "case %u (%s on '%s'): got %d, want %d", i,
                     match_cases[i].grammar, match_cases[i].input, got, match_cases[i].want);
    }
}
END_TEST

/* ---- JSON Schema ---- */

static const BadInput bad_schemas[] = {
  { "{\"type\": \"string\", \"pattern\": \"a+\"}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "at '/': keyword 'pattern' is not supported" },
  { "{\"allOf\": [{\"type\": \"string\"}]}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'allOf'" },
  { "{\"not\": {}}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'not'" },
  { "{\"type\": \"number\", \"multipleOf\": 2}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'multipleOf'" },
  { "{\"type\": \"array\", \"uniqueItems\": true}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'uniqueItems'" },
  { "{\"prefixItems\": []}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'prefixItems'" },
  { "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"object\", \"patternProperties\": {}}}}",
    HEARTH_ENGINE_ERROR_UNSUPPORTED, "at '/properties/a': keyword 'patternProperties'" },
  { "{\"type\": \"object\", \"minProperties\": 1}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'minProperties'" },
  { "{\"if\": {}, \"then\": {}}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "keyword 'if'" },
  { "{\"type\": \"string\", \"format\": \"email\"}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "format 'email' is not supported" },
  { "{\"type\": \"string\", \"format\": \"date\", \"maxLength\": 3}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "'format' together with" },
  { "{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}",
    HEARTH_ENGINE_ERROR_UNSUPPORTED, "cyclic $ref '#/$defs/a'" },
  { "{\"$defs\": {\"node\": {\"type\": \"object\", \"properties\": {\"next\": {\"$ref\": \"#/$defs/node\"}}}}, \"$ref\": \"#/$defs/node\"}",
    HEARTH_ENGINE_ERROR_UNSUPPORTED, "cyclic $ref '#/$defs/node'" },
  { "{\"$ref\": \"#/$defs/missing\"}", HEARTH_ENGINE_ERROR_NOT_FOUND, "$ref '#/$defs/missing' points to nothing" },
  { "{\"$ref\": \"http://example.com/s.json\"}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "$ref 'http://example.com/s.json' is not supported" },
  { "{\"oneOf\": [{\"type\": \"integer\"}, {\"type\": \"number\"}]}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "'oneOf' is supported only when" },
  { "{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 3}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no integer" },
  { "{\"type\": \"number\", \"minimum\": 0.5}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "non-integral" },
  { "{\"type\": \"number\", \"exclusiveMaximum\": 3}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "'exclusiveMaximum' on a number" },
  { "{\"type\": \"object\", \"properties\": {}, \"required\": [\"x\"]}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "required property 'x'" },
  { "{\"type\": \"array\", \"maxItems\": 5000}", HEARTH_ENGINE_ERROR_LIMIT, "'maxItems' 5000 is above" },
  { "{\"type\": \"array\", \"minItems\": 3, \"maxItems\": 2}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "maxItems is below minItems" },
  { "{\"type\": \"strin\"}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "unknown type 'strin'" },
  { "{\"enum\": [1], \"minimum\": 0}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "'minimum' beside 'enum'" },
  { "{\"type\": \"string\", \"enum\": [1, 2]}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "no value of 'enum'" },
  { "{\"type\": \"string\", \"anyOf\": [{}]}", HEARTH_ENGINE_ERROR_UNSUPPORTED, "'type' beside 'anyOf'" },
  { "false", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "accepts nothing" },
  { "[1]", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "a schema must be an object" },
  /* found by fuzz-grammar: no 'type', so the object branch met a 'properties' that is a number */
  { "{\"properties\": 2, \"maxLength\": 2}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'properties' must be an object" },
  { "{\"type\": \"object\", \"required\": \"a\"}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'required' must be an array" },
  /* found by fuzz-api-request: a '$ref' that is not a string was read as one */
  { "{\"type\": \"array\", \"items\": {\"$ref\": [\"#/$defs/a\"]}}", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "'$ref' must be a string" },
  { "{\"type\": ", HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "JSON Schema: " },
};

START_TEST (test_schema_errors)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_schemas); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGrammar) g = hearth_grammar_new_from_json_schema (bad_schemas[i].text, -1, &error);

      ck_assert_msg (g == NULL, "schema %u converted", i);
      hearth_assert_error (error, bad_schemas[i].code);
      ck_assert_msg (strstr (error->message, bad_schemas[i].message) != NULL, "schema %u: '%s' lacks '%s'", i,
                     error->message, bad_schemas[i].message);
    }
}
END_TEST

START_TEST (test_schema_hostile)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) en = g_string_new ("{\"enum\": [");
  g_autoptr(GString) wide = g_string_new ("{\"anyOf\": [");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGrammar) g = NULL;

  for (int i = 0; i < 200; i++)
    g_string_append (deep, "{\"type\": \"array\", \"items\": ");
  g_string_append (deep, "{}");
  for (int i = 0; i < 200; i++)
    g_string_append (deep, "}");
  g = hearth_grammar_new_from_json_schema (deep->str, -1, &error);
  ck_assert (g == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (error->message, "schemas nested deeper than 64") != NULL);
  g_clear_error (&error);

  for (int i = 0; i < 100000; i++)
    g_string_append_printf (en, "%s\"v%d\"", i ? ", " : "", i);
  g_string_append (en, "]}");
  g = hearth_grammar_new_from_json_schema (en->str, -1, &error);
  ck_assert (g == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
  ck_assert (strstr (error->message, "'enum' has 100000 values; the most is 1000") != NULL);
  g_clear_error (&error);

  for (int i = 0; i < 1001; i++)
    g_string_append_printf (wide, "%s{\"const\": %d}", i ? ", " : "", i);
  g_string_append (wide, "]}");
  g = hearth_grammar_new_from_json_schema (wide->str, -1, &error);
  ck_assert (g == NULL);
  hearth_assert_error (error, HEARTH_ENGINE_ERROR_LIMIT);
}
END_TEST

START_TEST (test_schema_integer_ranges)
{
  /* every integer in [-130, 130] against several bounds, byte by byte */
  g_autoptr(HearthTokenizer) tok = stories_tokenizer ();
  const gint64 bounds[][2] = { { 0, 9 }, { 3, 250 }, { -45, 1000 }, { -120, -7 }, { 10, 99 }, { 100, 100 }, { -1, 0 } };

  for (guint b = 0; b < G_N_ELEMENTS (bounds); b++)
    {
      g_autofree char *schema = g_strdup_printf ("{\"type\": \"integer\", \"minimum\": %" G_GINT64_FORMAT
                                                 ", \"maximum\": %" G_GINT64_FORMAT "}", bounds[b][0], bounds[b][1]);
      g_autoptr(GError) error = NULL;
      g_autofree char *gbnf = hearth_json_schema_to_gbnf (schema, -1, &error);

      hearth_assert_no_error (error);
      for (gint64 v = -130; v <= 130; v++)
        {
          char text[32];
          gboolean want = v >= bounds[b][0] && v <= bounds[b][1];

          g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, v);
          ck_assert_msg ((match (tok, gbnf, text) == 1) == want, "%s in [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                         text, bounds[b][0], bounds[b][1]);
        }
    }
  {
    g_autofree char *gbnf = hearth_json_schema_to_gbnf ("{\"type\": \"number\", \"minimum\": -2, \"maximum\": 3}", -1, NULL);
    const char *yes[] = { "3", "2.999", "0", "-0.5", "-2", "-1.25", "0.0" };
    const char *no[] = { "3.5", "3.0", "-2.5", "4", "-3", "01", "1e3" };

    for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
      ck_assert_msg (match (tok, gbnf, yes[i]) == 1, "%s", yes[i]);
    for (guint i = 0; i < G_N_ELEMENTS (no); i++)
      ck_assert_msg (match (tok, gbnf, no[i]) != 1, "%s", no[i]);
  }
}
END_TEST

/* ---- fast masks against the reference, step by step ---- */

static guint
mask_count (const guint32 *m,
            guint32        n_vocab)
{
  guint c = 0;

  for (guint32 i = 0; i < n_vocab; i++)
    c += (m[i / 32] >> (i % 32)) & 1;
  return c;
}

/* Walks @c with random allowed tokens (seeded), comparing both masks at
 * each of at most @max_steps steps. Returns the steps done. */
static guint
walk_and_compare (HearthConstraint *c,
                  guint32           seed,
                  guint             max_steps,
                  const char       *what)
{
  guint32 n_vocab = hearth_constraint_get_n_vocab (c);
  g_autofree guint32 *ref = g_new (guint32, (n_vocab + 31) / 32);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint step;

  hearth_constraint_reset (c);
  for (step = 0; step < max_steps; step++)
    {
      const guint32 *fast = hearth_constraint_get_mask (c);
      guint n = mask_count (fast, n_vocab), pick;
      gint32 id = -1;

      hearth_constraint_get_mask_reference (c, ref);
      for (guint32 w = 0; w < (n_vocab + 31) / 32; w++)
        if (fast[w] != ref[w])
          ck_abort_msg ("%s seed %u step %u: masks differ in word %u (fast %08x, reference %08x)", what, seed, step,
                        w, fast[w], ref[w]);
      if (n == 0)
        break;
      /* Prefer to finish when the output is complete, sometimes. */
      pick = (guint) g_rand_int_range (rand, 0, (gint32) n);
      for (guint32 i = 0, k = 0; i < n_vocab; i++)
        if ((fast[i / 32] >> (i % 32)) & 1)
          {
            if (k++ == pick)
              {
                id = (gint32) i;
                break;
              }
          }
      if (hearth_constraint_is_accepting (c) && g_rand_int_range (rand, 0, 4) == 0)
        break;
      ck_assert (hearth_constraint_accept_token (c, id));
      if (hearth_constraint_is_complete (c))
        break;
    }
  return step;
}

static GPtrArray *
list_schemas (void)
{
  const char *dir = g_getenv ("HEARTH_SCHEMA_DIR");
  g_autoptr(GDir) d = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  ck_assert_msg (dir != NULL, "HEARTH_SCHEMA_DIR is not set");
  d = g_dir_open (dir, 0, NULL);
  ck_assert (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  ck_assert_uint_ge (names->len, 40);
  return names;
}

static void
compare_all_schemas (HearthTokenizer *tok,
                     guint            n_seeds,
                     guint            max_steps)
{
  g_autoptr(GPtrArray) schemas = list_schemas ();

  for (guint i = 0; i < schemas->len; i++)
    {
      g_autofree char *text = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthGrammar) g = NULL;
      g_autoptr(HearthConstraint) c = NULL;

      ck_assert (g_file_get_contents (schemas->pdata[i], &text, NULL, NULL));
      g = hearth_grammar_new_from_json_schema (text, -1, &error);
      hearth_assert_no_error (error);
      c = hearth_constraint_new (g, tok, &error);
      hearth_assert_no_error (error);
      for (guint seed = 1; seed <= n_seeds; seed++)
        walk_and_compare (c, seed, max_steps, schemas->pdata[i]);
    }
}

START_TEST (test_fast_vs_reference_stories)
{
  g_autoptr(HearthTokenizer) tok = stories_tokenizer ();

  /* The sanitizer build walks one seed per schema (hearth_test_sanitized). */
  compare_all_schemas (tok, hearth_test_sanitized () ? 1 : 4, 400);
}
END_TEST

START_TEST (test_fast_vs_reference_synth_qwen3)
{
  g_autoptr(HearthTokenizer) tok = load_tokenizer ("models", "synthetic", "synth-qwen3-F32.gguf", NULL);

  /* The sanitizer build walks one seed per schema (hearth_test_sanitized). */
  compare_all_schemas (tok, hearth_test_sanitized () ? 1 : 4, 400);
}
END_TEST

START_TEST (test_fast_vs_reference_qwen_vocab)
{
  /* The reference decodes 151,936 tokens per step: a few steps per schema
   * (the first only in the sanitizer build, where it is slowest). */
  g_autoptr(HearthTokenizer) tok = load_tokenizer ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);

  compare_all_schemas (tok, 1, hearth_test_sanitized () ? 1 : 3);
}
END_TEST

/* ---- the sampler ---- */

START_TEST (test_sampler_masks)
{
  g_autoptr(HearthTokenizer) tok = stories_tokenizer ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGrammar) g = hearth_grammar_new_from_gbnf ("root ::= \"ab\"", -1, &error);
  g_autoptr(HearthConstraint) c = hearth_constraint_new (g, tok, &error);
  guint32 n_vocab = hearth_tokenizer_get_n_vocab (tok);
  g_autofree float *logits = g_new (float, n_vocab);
  gint32 a = hearth_tokenizer_find_token (tok, "<0x61>"), b = hearth_tokenizer_find_token (tok, "<0x62>");
  gint32 eos = hearth_tokenizer_get_eos (tok);
  HearthSamplerParams p;

  hearth_assert_no_error (error);
  for (guint32 i = 0; i < n_vocab; i++)
    logits[i] = (float) i / 100.0f;   /* the highest ids are likeliest */
  logits[a] = -5.0f;
  for (int greedy = 0; greedy < 2; greedy++)
    {
      g_autoptr(HearthSampler) s = NULL;
      const guint32 *mask;

      hearth_sampler_params_init (&p);
      p.temperature = greedy ? 0.0f : 1.0f;
      p.top_k = 40;
      p.repeat_penalty = 1.3f;
      p.seed = 7;
      s = hearth_sampler_new (&p);
      hearth_constraint_reset (c);
      hearth_sampler_set_constraint (s, c);
      /* "a" is the only token that starts "ab" in a byte vocabulary, plus
       * the SentencePiece piece "a" if the vocabulary has one */
      mask = hearth_constraint_get_mask (c);
      ck_assert (mask[a / 32] & (1u << (a % 32)));
      ck_assert (!(mask[eos / 32] & (1u << (eos % 32))));
      {
        gint32 id = hearth_sampler_sample (s, logits, n_vocab, NULL, 0);
        GString *bytes = g_string_new (NULL);

        hearth_tokenizer_append_token_bytes (tok, id, FALSE, bytes);
        ck_assert_str_eq (bytes->str, "a");
        g_string_free (bytes, TRUE);
      }
      if (!hearth_constraint_is_complete (c))
        {
          gint32 id = hearth_sampler_sample (s, logits, n_vocab, NULL, 0);
          g_autoptr(GString) bytes = g_string_new (NULL);

          hearth_tokenizer_append_token_bytes (tok, id, FALSE, bytes);
          ck_assert_str_eq (bytes->str, "b");
          /* the byte token is allowed too, though not picked */
          ck_assert (id == b || logits[id] > logits[b]);
        }
      ck_assert (hearth_constraint_is_complete (c));
      /* only the end of text is left */
      ck_assert_int_eq (hearth_sampler_sample (s, logits, n_vocab, NULL, 0), eos);
      hearth_sampler_set_constraint (s, NULL);
    }
}
END_TEST

/* ---- tool calls ---- */

static const char tools_json[] =
  "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\","
  " \"properties\": {\"city\": {\"type\": \"string\", \"maxLength\": 8}}, \"required\": [\"city\"]}}},"
  " {\"type\": \"function\", \"function\": {\"name\": \"now\"}}]";

static gboolean
feed_text (HearthConstraint *c,
           HearthTokenizer  *tok,
           const char       *text)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));

  ck_assert (hearth_tokenizer_encode (tok, text, -1, HEARTH_TOKENIZE_PARSE_SPECIAL, ids, NULL));
  for (guint i = 0; i < ids->len; i++)
    {
      gint32 id = g_array_index (ids, gint32, i);
      const guint32 *m = hearth_constraint_get_mask (c);

      if (!(m[id / 32] & (1u << (id % 32))))
        return FALSE;
      if (!hearth_constraint_accept_token (c, id))
        return FALSE;
    }
  return TRUE;
}

START_TEST (test_tool_calls_lazy)
{
  g_autoptr(HearthTokenizer) tok = load_tokenizer ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthJsonValue) tools = hearth_json_parse (tools_json, -1, &error);
  g_autoptr(HearthConstraint) lazy = hearth_constraint_new_for_tools (tools, tok, "<tool_call>", "</tool_call>", FALSE, &error);
  g_autoptr(HearthConstraint) req = NULL;
  g_autofree guint32 *ref = NULL;

  hearth_assert_no_error (error);
  ck_assert (!hearth_constraint_is_active (lazy));
  ck_assert (feed_text (lazy, tok, "Let me check. "));
  ck_assert (!hearth_constraint_is_active (lazy));
  ck_assert (feed_text (lazy, tok, "<tool_call>\n"));
  ck_assert (hearth_constraint_is_active (lazy));
  ref = g_new (guint32, (hearth_constraint_get_n_vocab (lazy) + 31) / 32);
  hearth_constraint_get_mask_reference (lazy, ref);
  ck_assert (memcmp (ref, hearth_constraint_get_mask (lazy), ((hearth_constraint_get_n_vocab (lazy) + 31) / 32) * 4) == 0);
  ck_assert (feed_text (lazy, tok, "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"));
  ck_assert (hearth_constraint_is_active (lazy));
  ck_assert (feed_text (lazy, tok, "</tool_call>"));
  ck_assert (!hearth_constraint_is_active (lazy));   /* released */
  ck_assert (feed_text (lazy, tok, " Anything else? <tool_call>"));
  ck_assert (hearth_constraint_is_active (lazy));
  /* an unknown tool, extra arguments, a too long city: refused */
  ck_assert (!feed_text (lazy, tok, "{\"name\": \"rm\""));
  hearth_constraint_reset (lazy);
  ck_assert (feed_text (lazy, tok, "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>"));
  ck_assert (!hearth_constraint_is_active (lazy));
  hearth_constraint_reset (lazy);
  ck_assert (!feed_text (lazy, tok, "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Parisienne\"}}"));
  hearth_constraint_reset (lazy);
  ck_assert (!feed_text (lazy, tok, "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"town\""));

  /* required: from the first token */
  req = hearth_constraint_new_for_tools (tools, tok, "<tool_call>", "</tool_call>", TRUE, &error);
  hearth_assert_no_error (error);
  ck_assert (hearth_constraint_is_active (req));
  ck_assert (!feed_text (req, tok, "Sure"));
  hearth_constraint_reset (req);
  ck_assert (feed_text (req, tok, "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"));
  ck_assert (hearth_constraint_is_complete (req));
  {
    const guint32 *m = hearth_constraint_get_mask (req);
    gint32 eos = hearth_tokenizer_get_eos (tok);

    ck_assert_uint_eq (mask_count (m, hearth_constraint_get_n_vocab (req)),
                       mask_count (m, hearth_constraint_get_n_vocab (req)));
    ck_assert (m[eos / 32] & (1u << (eos % 32)));
  }
}
END_TEST

/* ---- HearthChat with tools, on a model with Qwen's vocabulary and template ---- */

START_TEST (test_chat_tools_required)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hearth-constraint-XXXXXX", &error);
  g_autofree char *model_path = NULL;
  g_autofree char *vocab = hearth_test_data_path ("tokenizers", "ggml-vocab-qwen3.gguf", NULL);
  g_autoptr(HearthJsonValue) tools = hearth_json_parse (tools_json, -1, NULL);
  int status = -1;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set");
  hearth_assert_no_error (error);
  model_path = g_build_filename (dir, "q.gguf", NULL);
  {
    const char *argv[] = { cli, "synth-model", model_path, "--dim", "64", "--ff", "256", "--layers", "2",
                           "--heads", "4", "--kv-heads", "2", "--vocab", "151936", "--ctx", "2048", "--type",
                           "Q8_0", "-t", "1", "--vocab-from", vocab, NULL };

    ck_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                             &status, &error));
    hearth_assert_no_error (error);
    ck_assert_int_eq (status, 0);
  }
  for (guint64 seed = 1; seed <= 3; seed++)
    {
      g_autoptr(HearthModel) model = hearth_model_load (model_path, NULL, &error);
      g_autoptr(HearthSession) session = NULL;
      g_autoptr(HearthChat) chat = NULL;
      g_autoptr(HearthSampler) sampler = NULL;
      HearthSamplerParams sp;
      HearthChatParams cp;
      HearthChatReply reply;

      hearth_assert_no_error (error);
      session = hearth_session_new (model, NULL, &error);
      hearth_assert_no_error (error);
      chat = hearth_chat_new (session, &error);
      hearth_assert_no_error (error);
      hearth_chat_set_tools (chat, tools);
      hearth_chat_set_tools_required (chat, TRUE);
      ck_assert_ptr_nonnull (hearth_chat_get_tool_constraint (chat));
      hearth_chat_add_message (chat, HEARTH_CHAT_ROLE_USER, "Weather in Paris?");
      hearth_sampler_params_init (&sp);
      sp.temperature = 1.0f;
      sp.seed = seed;
      sampler = hearth_sampler_new (&sp);
      hearth_chat_params_init (&cp);
      cp.max_tokens = 400;
      ck_assert (hearth_chat_respond (chat, sampler, &cp, NULL, NULL, NULL, &reply, &error));
      hearth_assert_no_error (error);
      ck_assert_msg (reply.gen.reason == HEARTH_STOP_EOG, "reason %d: %s", reply.gen.reason, reply.text);
      ck_assert_msg (reply.tool_calls != NULL && hearth_tool_calls_get_n_calls (reply.tool_calls) == 1 &&
                     hearth_tool_calls_get_n_valid (reply.tool_calls) == 1, "not one valid call: %s", reply.text);
      ck_assert_ptr_null (hearth_sampler_get_constraint (sampler));   /* detached again */
      hearth_chat_reply_clear (&reply);
    }
  hearth_test_rm_rf (dir);
}
END_TEST

static Suite *
constraint_suite (void)
{
  Suite *s = suite_create ("constraint");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_grammar_errors);
  tcase_add_test (tc, test_grammar_hostile_nesting);
  tcase_add_test (tc, test_grammar_match);
  tcase_add_test (tc, test_schema_errors);
  tcase_add_test (tc, test_schema_hostile);
  tcase_add_test (tc, test_schema_integer_ranges);
  tcase_add_test (tc, test_sampler_masks);
  tcase_add_test (tc, test_fast_vs_reference_stories);
  tcase_add_test (tc, test_fast_vs_reference_synth_qwen3);
  tcase_add_test (tc, test_fast_vs_reference_qwen_vocab);
  tcase_add_test (tc, test_grammar_max_bytes);
  tcase_add_test (tc, test_schema_max_bytes);
  tcase_add_test (tc, test_tool_calls_lazy);
  tcase_add_test (tc, test_chat_tools_required);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (constraint_suite ());
}
