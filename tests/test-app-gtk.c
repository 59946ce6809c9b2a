/* test-app-gtk.c: the GTK app's own non-widget part: Markdown as the message rows render it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What moved out of app/gtk into the GTK-free runtime (token batching, the
 * engine thread, threads of messages, model info) is tested in test-runtime.c.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-markdown.h"
#include "hearth-test.h"

/* ---- Markdown (CommonMark + GFM, as the spec renders these) ---- */

static HearthMdBlock *
block (GPtrArray *blocks,
       guint      i)
{
  ck_assert_uint_lt (i, blocks->len);
  return g_ptr_array_index (blocks, i);
}

START_TEST (test_markdown_blocks)
{
  const char *text =
    "# Title\n"
    "\n"
    "Some **bold**, *em*, `a<b`, ~~gone~~ and [a link](https://example.org/?a=1&b=2).\n"
    "A [file](file:///etc/passwd) stays text.\n"
    "\n"
    "- one\n"
    "- two\n"
    "  1. nested\n"
    "\n"
    "```Python\n"
    "print(\"hi\")\n"
    "```\n"
    "\n"
    "| a | b |\n"
    "|---|:-:|\n"
    "| 1 | *2* |\n"
    "| 3 |\n"
    "\n"
    "> quoted\n"
    "\n"
    "---\n";
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse (text, -1);
  HearthMdBlock *b;

  ck_assert_uint_eq (blocks->len, 9);

  b = block (blocks, 0);
  ck_assert_int_eq (b->kind, HEARTH_MD_HEADING);
  ck_assert_uint_eq (b->level, 1);
  ck_assert_str_eq (b->markup, "Title");

  b = block (blocks, 1);
  ck_assert_int_eq (b->kind, HEARTH_MD_PARAGRAPH);
  ck_assert_str_eq (b->markup,
                    "Some <b>bold</b>, <i>em</i>, <tt>a&lt;b</tt>, <s>gone</s> and "
                    "<a href=\"https://example.org/?a=1&amp;b=2\">a link</a>. A file stays text.");

  b = block (blocks, 2);
  ck_assert_str_eq (b->markup, "• one");
  ck_assert_uint_eq (b->indent, 1);
  b = block (blocks, 3);
  ck_assert_str_eq (b->markup, "• two");
  b = block (blocks, 4);
  ck_assert_str_eq (b->markup, "1. nested");
  ck_assert_uint_eq (b->indent, 2);

  b = block (blocks, 5);
  ck_assert_int_eq (b->kind, HEARTH_MD_CODE);
  ck_assert_str_eq (b->code, "print(\"hi\")");
  ck_assert_str_eq (b->language, "python");

  b = block (blocks, 6);
  ck_assert_int_eq (b->kind, HEARTH_MD_TABLE);
  ck_assert_uint_eq (b->n_columns, 2);
  ck_assert_uint_eq (b->n_rows, 3);
  ck_assert_str_eq (g_ptr_array_index (b->cells, 0), "<b>a</b>");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 3), "<i>2</i>");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 4), "3");
  ck_assert_str_eq (g_ptr_array_index (b->cells, 5), "");

  b = block (blocks, 7);
  ck_assert (b->quoted);
  ck_assert_str_eq (b->markup, "quoted");
  ck_assert_int_eq (block (blocks, 8)->kind, HEARTH_MD_RULE);

  for (guint i = 0; i < blocks->len; i++)
    {
      b = block (blocks, i);
      if (b->markup != NULL)
        ck_assert_msg (g_utf8_validate (b->markup, -1, NULL), "block %u", i);
    }
}
END_TEST

START_TEST (test_markdown_plain)
{
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse ("Tom &amp; *Jerry* <3\n\n```\nx < y\n```\n", -1);
  g_autofree char *plain = hearth_markdown_to_plain (blocks);

  /* An entity in the source is an '&' for CommonMark too. */
  ck_assert_str_eq (plain, "Tom & Jerry <3\n\nx < y");
}
END_TEST

/* A reply cut mid-character (or a hostile one) still yields valid markup. */
START_TEST (test_markdown_bad_utf8)
{
  const char text[] = "caf\xc3 **ok** \xff\xfe";
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse (text, sizeof text - 1);

  ck_assert_uint_eq (blocks->len, 1);
  ck_assert (g_utf8_validate (block (blocks, 0)->markup, -1, NULL));
  ck_assert (strstr (block (blocks, 0)->markup, "<b>ok</b>") != NULL);
}
END_TEST

START_TEST (test_markdown_unclosed)
{
  /* What a stream looks like half-way: an open fence and emphasis. */
  g_autoptr(GPtrArray) blocks = hearth_markdown_parse ("Here:\n\n```c\nint x", -1);

  ck_assert_uint_eq (blocks->len, 2);
  ck_assert_int_eq (block (blocks, 1)->kind, HEARTH_MD_CODE);
  ck_assert_str_eq (block (blocks, 1)->code, "int x");
  ck_assert_str_eq (block (blocks, 1)->language, "c");
}
END_TEST

static Suite *
app_gtk_suite (void)
{
  Suite *s = suite_create ("app-gtk");
  TCase *tc = tcase_create ("markdown");

  tcase_add_test (tc, test_markdown_blocks);
  tcase_add_test (tc, test_markdown_plain);
  tcase_add_test (tc, test_markdown_bad_utf8);
  tcase_add_test (tc, test_markdown_unclosed);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (app_gtk_suite ());
}
