/* test-app-gtk.c: the GTK app's own parts: Markdown as the message rows render it, and the chat view following the thread model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What moved out of app/gtk into the GTK-free runtime (token batching, the
 * engine thread, threads of messages, model info, the list models) is
 * tested in test-runtime.c. The chat view cases need a display (meson runs
 * this under Xvfb). The tool cases: a stored tool call as the chat's tool
 * row, the approval dialog answering (or closing when withdrawn), and the
 * MCP servers setting as Preferences writes it.
 */
#include "hearth-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-markdown.h"
#include "hearth-message-row.h"
#include "hearth-plugins-page.h"
#include "hearth-test.h"
#include "hearth-tool-approval-dialog.h"
#include "hearth-tool-row.h"

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

/* ---- the chat view over the thread model ---- */

typedef struct
{
  char          *dir;
  HearthStore   *store;
  HearthRuntime *runtime;
  GSettings     *settings;
  GtkWidget     *window;
  GtkWidget     *view;
  gint64         conversation;
} ViewFixture;

static char *
view_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("view test");
}

/* A conversation of @n messages, user and assistant in turn. */
static gint64
add_conversation (HearthStore *store,
                  guint        n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) conv = hearth_store_create_conversation (store, "long", NULL, NULL, &error);
  gint64 parent = 0;

  hearth_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);
      g_autoptr(HearthMessage) m = hearth_store_append_message (store, hearth_conversation_get_id (conv), parent,
                                                                i % 2 ? HEARTH_MESSAGE_ROLE_ASSISTANT
                                                                      : HEARTH_MESSAGE_ROLE_USER,
                                                                text, NULL, &error);

      hearth_assert_no_error (error);
      parent = hearth_message_get_id (m);
    }
  return hearth_conversation_get_id (conv);
}

static void
painted (GdkFrameClock *clock,
         gboolean      *done)
{
  *done = TRUE;
}

/* Until a frame has been drawn (layout done), with a deadline. */
static void
next_frame (ViewFixture *f)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (f->window);
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (painted), &done);

  gtk_widget_queue_draw (f->window);
  while (!done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_signal_handler_disconnect (clock, id);
  ck_assert_msg (done, "no frame was drawn in 10 s");
  /* The idle scroll to the end runs after the frame. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
view_fixture_init (ViewFixture *f,
                   guint        n_messages)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;

  gtk_init ();
  adw_init ();
  f->dir = g_dir_make_tmp ("hearth-view-XXXXXX", &error);
  hearth_assert_no_error (error);
  hearth_store_params_init (&p);
  p.data_dir = f->dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = view_passphrase;
  p.passphrase_iterations = 1000;
  f->store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  f->conversation = add_conversation (f->store, n_messages);
  f->runtime = hearth_runtime_new (f->store);
  f->settings = g_settings_new (HEARTH_APP_ID);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 800, 600);
  f->view = hearth_chat_view_new ();
  gtk_window_set_child (GTK_WINDOW (f->window), f->view);
  hearth_chat_view_set_runtime (HEARTH_CHAT_VIEW (f->view), f->runtime, f->settings);
  gtk_window_present (GTK_WINDOW (f->window));
  next_frame (f);
}

static void
view_fixture_clear (ViewFixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  hearth_runtime_shutdown (f->runtime);
  g_clear_object (&f->runtime);
  g_clear_object (&f->settings);
  g_clear_object (&f->store);
  hearth_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (HEARTH_IS_MESSAGE_ROW (widget))
    {
      g_ptr_array_add (rows, widget);
      return;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_rows (c, rows);
}

/* The message rows on show, first first. */
static GPtrArray *
rows_of (ViewFixture *f)
{
  GPtrArray *rows = g_ptr_array_new ();

  collect_rows (f->view, rows);
  return rows;
}

/* The rows are the branch on show's last messages, in order, and rows
 * marked before (kept) are still the same widgets where they should be. */
static void
assert_rows_are_thread_tail (ViewFixture *f,
                             const char  *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = hearth_store_get_thread (f->store, f->conversation, 0, &error);
  g_autoptr(GPtrArray) rows = rows_of (f);

  hearth_assert_no_error (error);
  ck_assert_msg (rows->len > 0 && rows->len <= thread->len, "%s: %u rows for %u messages", what, rows->len,
                 thread->len);
  for (guint i = 0; i < rows->len; i++)
    {
      HearthMessage *m = g_ptr_array_index (thread, thread->len - rows->len + i);

      ck_assert_msg (hearth_message_row_get_message_id (g_ptr_array_index (rows, i)) == hearth_message_get_id (m),
                     "%s: row %u of %u shows the wrong message", what, i, rows->len);
    }
}

/* Marks every row; returns how many were not marked yet (built since). */
static guint
mark_rows (ViewFixture *f)
{
  g_autoptr(GPtrArray) rows = rows_of (f);
  guint fresh = 0;

  for (guint i = 0; i < rows->len; i++)
    if (g_object_get_data (g_ptr_array_index (rows, i), "seen") == NULL)
      {
        g_object_set_data (g_ptr_array_index (rows, i), "seen", GINT_TO_POINTER (1));
        fresh++;
      }
  return fresh;
}

/* Scrolls to the top until the view has built older rows, or for up to
 * 40 frames when there is nothing older: the view keeps its position for a
 * few frames after each page, and only then looks at the top again. */
static void
scroll_to_top (ViewFixture *f)
{
  g_autoptr(GPtrArray) rows = rows_of (f);
  GtkWidget *w = g_ptr_array_index (rows, 0);
  guint n = rows->len;
  GtkAdjustment *adj;

  while (w != NULL && !GTK_IS_SCROLLED_WINDOW (w))
    w = gtk_widget_get_parent (w);
  ck_assert (w != NULL);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (w));
  for (guint frame = 0; frame < 40; frame++)
    {
      g_autoptr(GPtrArray) now = NULL;

      if (frame % 4 == 0)
        gtk_adjustment_set_value (adj, 0);
      next_frame (f);
      now = rows_of (f);
      if (now->len > n)
        break;
    }
  /* The page just built settles. */
  next_frame (f);
  next_frame (f);
}

/* A long conversation opens with its last rows only; older rows are built
 * a page at a time by scrolling up; no change rebuilds a row on show. */
START_TEST (test_chat_view_pages)
{
  ViewFixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) extra = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint n_open, fresh, rounds = 0;

  view_fixture_init (&f, 300);
  rows = rows_of (&f);
  ck_assert_uint_eq (rows->len, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  ck_assert (hearth_runtime_set_conversation_id (f.runtime, f.conversation, &error));
  hearth_assert_no_error (error);
  next_frame (&f);
  assert_rows_are_thread_tail (&f, "opened");
  n_open = mark_rows (&f);
  ck_assert_msg (n_open > 0 && n_open < 300, "opening built %u rows of 300", n_open);

  /* One more message: one more row, none rebuilt. */
  extra = hearth_store_append_message (f.store, f.conversation, HEARTH_STORE_CURRENT_LEAF,
                                       HEARTH_MESSAGE_ROLE_USER, "one more", NULL, &error);
  hearth_assert_no_error (error);
  next_frame (&f);
  assert_rows_are_thread_tail (&f, "after a message");
  ck_assert_uint_eq (mark_rows (&f), 1);

  /* Scrolling up builds the older pages until the first message. */
  do
    {
      scroll_to_top (&f);
      assert_rows_are_thread_tail (&f, "after scrolling up");
      fresh = mark_rows (&f);
      rows = rows_of (&f);
      ck_assert_msg (++rounds < 50, "scrolling up never reached the first message (%u rows)", rows->len);
      if (rows->len < 301)
        ck_assert_msg (fresh > 0, "scrolling up built nothing (%u rows)", rows->len);
      g_clear_pointer (&rows, g_ptr_array_unref);
    }
  while (fresh > 0);
  rows = rows_of (&f);
  ck_assert_uint_eq (rows->len, 301);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* A new version of an early message replaces the rows from there on,
   * and keeps those before. */
  {
    g_autoptr(GPtrArray) thread = hearth_store_get_thread (f.store, f.conversation, 0, &error);
    g_autoptr(HearthMessage) edited = hearth_store_edit_message (f.store,
                                                                 hearth_message_get_id (g_ptr_array_index (thread, 10)),
                                                                 "message 10, again", &error);

    hearth_assert_no_error (error);
    ck_assert (edited != NULL);
    next_frame (&f);
    rows = rows_of (&f);
    ck_assert_uint_eq (rows->len, 11);
    assert_rows_are_thread_tail (&f, "after an edit");
    ck_assert_uint_eq (mark_rows (&f), 1);
  }
  view_fixture_clear (&f);
}
END_TEST

/* The reply in progress is a row of its own, replaced by the stored reply
 * in place; regenerate moves along with the last reply. */
START_TEST (test_chat_view_switch)
{
  ViewFixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 other;

  view_fixture_init (&f, 3);
  other = add_conversation (f.store, 5);
  ck_assert (hearth_runtime_set_conversation_id (f.runtime, f.conversation, &error));
  next_frame (&f);
  rows = rows_of (&f);
  ck_assert_uint_eq (rows->len, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);
  mark_rows (&f);

  /* Another conversation: all rows are new. */
  ck_assert (hearth_runtime_set_conversation_id (f.runtime, other, &error));
  next_frame (&f);
  f.conversation = other;
  assert_rows_are_thread_tail (&f, "other conversation");
  ck_assert_uint_eq (mark_rows (&f), 5);

  /* A new chat: no rows. */
  ck_assert (hearth_runtime_set_conversation_id (f.runtime, 0, &error));
  next_frame (&f);
  rows = rows_of (&f);
  ck_assert_uint_eq (rows->len, 0);
  view_fixture_clear (&f);
}
END_TEST


/* ---- tools ---- */

static void
find_labels (GtkWidget *widget,
             GPtrArray *texts)
{
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (texts, (gpointer) gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    find_labels (c, texts);
}

static gboolean
has_label (GtkWidget  *widget,
           const char *text)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();

  find_labels (widget, texts);
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (g_ptr_array_index (texts, i), text) == 0)
      return TRUE;
  return FALSE;
}

static void
collect_tool_rows (GtkWidget *widget,
                   GPtrArray *rows)
{
  if (HEARTH_IS_TOOL_ROW (widget))
    g_ptr_array_add (rows, widget);
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_tool_rows (c, rows);
}

#define CALL_ARGS "{\n  \"path\" : \"/tmp/x.txt\",\n  \"content\" : \"a\\nb\"\n}"

/* An assistant message that called write_file, and its denied result. */
START_TEST (test_tool_row_in_chat)
{
  ViewFixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  g_autoptr(HearthMessage) call = NULL;
  g_autoptr(HearthMessage) result = NULL;
  g_autoptr(HearthToolAuditEntry) audit = hearth_tool_audit_entry_new ();
  HearthMessageExtra extra;
  HearthToolRow *row;

  view_fixture_init (&f, 1);
  hearth_message_extra_init (&extra);
  extra.tool_calls_json = "[{\"id\": \"c1\", \"name\": \"write_file\", \"arguments\": {\"path\": \"/tmp/x.txt\"}}]";
  ck_assert (hearth_runtime_set_conversation_id (f.runtime, f.conversation, &error));
  {
    GListModel *thread = G_LIST_MODEL (hearth_runtime_get_thread (f.runtime));
    g_autoptr(HearthThreadItem) user = g_list_model_get_item (thread, 0);

    call = hearth_store_append_message (f.store, f.conversation, hearth_thread_item_get_id (user),
                                        HEARTH_MESSAGE_ROLE_ASSISTANT, "", &extra, &error);
    hearth_assert_no_error (error);
  }
  audit->conversation_id = f.conversation;
  audit->message_id = hearth_message_get_id (call);
  audit->call_id = g_strdup ("c1");
  audit->tool_name = g_strdup ("write_file");
  audit->plugin_id = g_strdup ("files");
  audit->arguments_json = g_strdup ("{\"path\": \"/tmp/x.txt\", \"content\": \"a\\nb\"}");
  audit->decision = HEARTH_TOOL_AUDIT_DENIED;
  audit->decided_by = g_strdup ("user");
  audit->result = g_strdup ("The user denied this call.");
  audit->is_error = TRUE;
  result = hearth_store_append_tool_result (f.store, f.conversation, hearth_message_get_id (call),
                                            "The user denied this call.", "c1", "write_file", audit, &error);
  hearth_assert_no_error (error);
  /* The branch through the tool result. */
  ck_assert (hearth_runtime_switch_branch (f.runtime, hearth_message_get_id (result), &error));
  hearth_assert_no_error (error);
  ck_assert_uint_eq (g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (f.runtime))), 3);
  next_frame (&f);

  collect_tool_rows (f.view, rows);
  ck_assert_uint_eq (rows->len, 1);
  row = g_ptr_array_index (rows, 0);
  /* No registry: the plugin is not known to the view. */
  ck_assert_str_eq (hearth_tool_row_get_summary (row), "Used write_file");
  ck_assert (has_label (GTK_WIDGET (row), "Denied"));
  ck_assert (has_label (GTK_WIDGET (row), "Error"));
  /* Collapsed, GtkExpander keeps its child out of the tree. */
  ck_assert (!hearth_tool_row_get_expanded (row));
  ck_assert (!has_label (GTK_WIDGET (row), "The user denied this call."));
  hearth_tool_row_set_expanded (row, TRUE);
  ck_assert (hearth_tool_row_get_expanded (row));
  ck_assert (has_label (GTK_WIDGET (row), "Result") || has_label (GTK_WIDGET (row), "Error"));
  ck_assert (has_label (GTK_WIDGET (row), "The user denied this call."));
  ck_assert (has_label (GTK_WIDGET (row), "{\n  \"path\" : \"/tmp/x.txt\",\n  \"content\" : \"a\\nb\"\n}"));
  /* The calling reply says what it called, with no empty text. */
  ck_assert (has_label (f.view, "Called write_file"));
  view_fixture_clear (&f);
}
END_TEST

static void
record_decision (HearthToolApproval *approval,
                 int                 decision,
                 int                *out)
{
  *out = decision;
}

static HearthToolApproval *
new_approval (int *decided)
{
  g_autoptr(GError) error = NULL;
  HearthTool *tool = hearth_tool_new_from_json ("write_file", "Writes a file",
                                                "{\"type\": \"object\", \"properties\": {}}",
                                                HEARTH_TOOL_EFFECT_SIDE_EFFECTS | HEARTH_TOOL_EFFECT_DESTRUCTIVE,
                                                &error);
  HearthToolApproval *approval;

  hearth_assert_no_error (error);
  approval = hearth_tool_approval_new (tool, "files", "{\"path\":\"/tmp/x.txt\",\"content\":\"a\\nb\"}", 7);
  hearth_tool_unref (tool);
  *decided = -1;
  g_signal_connect (approval, "decided", G_CALLBACK (record_decision), decided);
  return approval;
}

START_TEST (test_approval_dialog)
{
  int decided;
  g_autoptr(HearthToolApproval) approval = NULL;
  HearthToolApprovalDialog *dialog;
  g_autofree char *shown = NULL;
  GtkWidget *weak;

  gtk_init ();
  adw_init ();

  /* Every argument in full, pretty-printed; Allow once answers ALLOW_ONCE. */
  approval = new_approval (&decided);
  dialog = hearth_tool_approval_dialog_new (NULL, approval);
  shown = hearth_tool_approval_dialog_dup_arguments (dialog);
  ck_assert_str_eq (shown, hearth_tool_approval_get_arguments (approval));
  ck_assert_str_eq (shown, CALL_ARGS);
  ck_assert (has_label (GTK_WIDGET (dialog), "Side effects"));
  ck_assert (has_label (GTK_WIDGET (dialog), "Destructive"));
  ck_assert (has_label (GTK_WIDGET (dialog), "Tool write_file of the plugin files"));
  ck_assert (has_label (GTK_WIDGET (dialog), "Writes a file"));
  gtk_window_present (GTK_WINDOW (dialog));
  hearth_tool_approval_dialog_answer (dialog, HEARTH_TOOL_DECISION_ALLOW_ONCE);
  ck_assert_int_eq (decided, HEARTH_TOOL_DECISION_ALLOW_ONCE);
  ck_assert (!hearth_tool_approval_get_pending (approval));
  g_clear_object (&approval);

  /* Closing the window is a no. */
  approval = new_approval (&decided);
  dialog = hearth_tool_approval_dialog_new (NULL, approval);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_close (GTK_WINDOW (dialog));
  ck_assert_int_eq (decided, HEARTH_TOOL_DECISION_DENY);
  g_clear_object (&approval);

  /* Withdrawn (Stop): the dialog closes, nothing is decided. */
  approval = new_approval (&decided);
  dialog = hearth_tool_approval_dialog_new (NULL, approval);
  weak = GTK_WIDGET (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &weak);
  gtk_window_present (GTK_WINDOW (dialog));
  hearth_tool_approval_withdraw (approval);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  ck_assert_ptr_null (weak);
  ck_assert_int_eq (decided, -1);
  ck_assert (!hearth_tool_approval_decide (approval, HEARTH_TOOL_DECISION_ALLOW_ONCE));
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

  tc = tcase_create ("chat-view");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_chat_view_pages);
  tcase_add_test (tc, test_chat_view_switch);
  suite_add_tcase (s, tc);

  tc = tcase_create ("tools");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_tool_row_in_chat);
  tcase_add_test (tc, test_approval_dialog);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return hearth_test_run (app_gtk_suite ());
}
