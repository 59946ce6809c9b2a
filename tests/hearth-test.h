/* hearth-test.h: helpers shared by the Check suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <check.h>
#include <glib.h>

G_BEGIN_DECLS

/* The test data folder: $HEARTH_SHARED_DIR, else the build's configured
 * default (../shared beside the source tree). */
const char *hearth_test_shared_dir (void);

/* A path under the shared folder, e.g. ("models", "stories260K", "x.gguf", NULL).
 * Missing data fails the test with a message naming the path: test data is
 * never optional, so nothing is skipped. */
char *hearth_test_data_path (const char *first_element, ...) G_GNUC_NULL_TERMINATED;

/* Reads a whole shared file into memory, failing the test if it cannot. */
GBytes *hearth_test_load_data (const char *first_element, ...) G_GNUC_NULL_TERMINATED;

/* Lists the files in a shared subfolder whose names end in @suffix, sorted. */
GPtrArray *hearth_test_list_data (const char *subdir, const char *suffix);

/* Asserts that @error is set in HEARTH_ENGINE_ERROR with @code. */
#define hearth_assert_error(err, want) \
  G_STMT_START { \
    ck_assert_msg ((err) != NULL, "expected error code %d, got success", (int) (want)); \
    ck_assert_msg ((err)->domain == HEARTH_ENGINE_ERROR && (err)->code == (int) (want), \
                   "expected error code %d, got %s:%d: %s", (int) (want), \
                   g_quark_to_string ((err)->domain), (err)->code, (err)->message); \
  } G_STMT_END

#define hearth_assert_no_error(error) \
  ck_assert_msg ((error) == NULL, "unexpected error: %s", (error) ? (error)->message : "")

/* Little-endian GGUF fields appended to @b, for hand-made (often broken) files. */
void hearth_test_put_u32 (GByteArray *b, guint32 x);
void hearth_test_put_u64 (GByteArray *b, guint64 x);
void hearth_test_put_str (GByteArray *b, const char *s);  /* u64 length, then the bytes */

/* CK_TIMEOUT_MULTIPLIER (at least 1): how much longer waits may take on a
 * slow machine. */
double hearth_test_timeout_multiplier (void);

/* Runs the thread-default main context until @cond holds; fails the test
 * after @seconds (times the multiplier). A 20 ms tick keeps it polling
 * @cond when nothing else wakes the context. */
#define HEARTH_TEST_WAIT_UNTIL(cond, seconds) \
  G_STMT_START { \
    gint64 wait_deadline_ = g_get_monotonic_time () + \
                            (gint64) ((seconds) * hearth_test_timeout_multiplier () * G_USEC_PER_SEC); \
    guint wait_tick_ = g_timeout_add (20, hearth_test_tick, NULL); \
    while (!(cond)) \
      { \
        ck_assert_msg (g_get_monotonic_time () < wait_deadline_, "timed out waiting for %s", #cond); \
        g_main_context_iteration (NULL, TRUE); \
      } \
    g_source_remove (wait_tick_); \
  } G_STMT_END
gboolean hearth_test_tick (gpointer data);

/* Runs @suite with CK_NORMAL output; returns the process exit status. */
int hearth_test_run (Suite *suite);

/* Deletes @path and everything below it (a test's temporary folder). */
void hearth_test_rm_rf (const char *path);

/* TRUE in the sanitizer build (HEARTH_TEST_SANITIZED=1, tests/meson.build):
 * there a test runs each code path once instead of repeating it over every
 * input; the plain build runs them all. */
gboolean hearth_test_sanitized (void);

G_END_DECLS
