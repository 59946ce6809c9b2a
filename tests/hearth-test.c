/* hearth-test.c: helpers shared by the Check suites
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-test.h"

const char *
hearth_test_shared_dir (void)
{
  const char *dir = g_getenv ("HEARTH_SHARED_DIR");

  return dir != NULL && *dir != '\0' ? dir : HEARTH_SHARED_DIR_DEFAULT;
}

static char *
build_path_va (const char *first_element,
               va_list     args)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  g_ptr_array_add (parts, (gpointer) hearth_test_shared_dir ());
  for (const char *p = first_element; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

char *
hearth_test_data_path (const char *first_element,
                       ...)
{
  char *path;
  va_list args;

  va_start (args, first_element);
  path = build_path_va (first_element, args);
  va_end (args);

  ck_assert_msg (g_file_test (path, G_FILE_TEST_EXISTS),
                 "test data missing: %s (set HEARTH_SHARED_DIR or put shared/ beside the source tree)",
                 path);
  return path;
}

GBytes *
hearth_test_load_data (const char *first_element,
                       ...)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;
  va_list args;

  va_start (args, first_element);
  path = build_path_va (first_element, args);
  va_end (args);

  ck_assert_msg (g_file_get_contents (path, &contents, &len, &error),
                 "test data missing or unreadable: %s", error ? error->message : path);
  return g_bytes_new_take (contents, len);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
hearth_test_list_data (const char *subdir,
                       const char *suffix)
{
  g_autofree char *dir_path = hearth_test_data_path (subdir, NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  dir = g_dir_open (dir_path, 0, &error);
  ck_assert_msg (dir != NULL, "cannot list %s: %s", dir_path, error ? error->message : "");
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_suffix (name, suffix))
        g_ptr_array_add (names, g_build_filename (dir_path, name, NULL));
    }
  g_ptr_array_sort (names, compare_strings);
  ck_assert_msg (names->len > 0, "no *%s files in %s", suffix, dir_path);
  return names;
}

double
hearth_test_timeout_multiplier (void)
{
  const char *m = g_getenv ("CK_TIMEOUT_MULTIPLIER");
  double x = m != NULL ? g_ascii_strtod (m, NULL) : 1.0;

  return x >= 1.0 ? x : 1.0;
}

gboolean
hearth_test_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

int
hearth_test_run (Suite *suite)
{
  SRunner *runner = srunner_create (suite);
  int failed;

  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void
hearth_test_put_u32 (GByteArray *b,
                     guint32     x)
{
  x = GUINT32_TO_LE (x);
  g_byte_array_append (b, (const guint8 *) &x, 4);
}

void
hearth_test_put_u64 (GByteArray *b,
                     guint64     x)
{
  x = GUINT64_TO_LE (x);
  g_byte_array_append (b, (const guint8 *) &x, 8);
}

void
hearth_test_put_str (GByteArray *b,
                     const char *s)
{
  hearth_test_put_u64 (b, strlen (s));
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s));
}

gboolean
hearth_test_sanitized (void)
{
  return g_strcmp0 (g_getenv ("HEARTH_TEST_SANITIZED"), "1") == 0;
}

void
hearth_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      hearth_test_rm_rf (child);
    }
  g_remove (path);
}
