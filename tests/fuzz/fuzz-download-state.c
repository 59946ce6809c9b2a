/* fuzz-download-state.c: libFuzzer harness for a partial download's state file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A download left partial is DEST.part with DEST.part.json beside it (URL,
 * validator, total: hearth-download.h); the app lists them at start to
 * offer Resume and Discard. The state file is the app's own, but it sits
 * in the user's data folder where anything may have written it: the input
 * is that file, beside a 100-byte .part, and the folder is listed. A state
 * that cannot be read leaves the download out; one that can gives an
 * entry whose URL is the file's, with the .part's size and a progress text
 * in valid UTF-8. Nothing may crash, leak or complain (hearth-fuzz.h).
 */
#include <glib/gstdio.h>

#define HEARTH_FUZZ_HAVE_SETUP
#include "hearth-fuzz.h"
#include "hearth-download.h"

static char *dir;
static char *state;

static void
hearth_fuzz_setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *part = NULL;
  char bytes[100] = { 0 };

  dir = g_dir_make_tmp ("hearth-fuzz-download-XXXXXX", &error);
  g_assert_no_error (error);
  part = g_build_filename (dir, "model.gguf.part", NULL);
  g_assert (g_file_set_contents (part, bytes, sizeof bytes, NULL));
  state = g_build_filename (dir, "model.gguf.part.json", NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) partial = NULL;

  hearth_fuzz_maybe_selftest ();
  /* Written in place, without the fsync and rename of g_file_set_contents:
   * what is read is the same, at several times the executions per second. */
  g_assert (g_file_set_contents_full (state, (const char *) data, (gssize) size, G_FILE_SET_CONTENTS_NONE, 0600,
                                      NULL));
  partial = hearth_download_list_partial (dir);
  g_assert (partial != NULL && partial->len <= 1);
  for (guint i = 0; i < partial->len; i++)
    {
      HearthPartialDownload *p = g_ptr_array_index (partial, i);
      g_autofree char *text = hearth_partial_download_dup_progress_text (p);

      g_assert (g_str_has_suffix (p->dest, "/model.gguf"));
      g_assert (p->url != NULL && p->url[0] != '\0');
      g_assert (p->received == 100);
      g_assert (text != NULL && g_utf8_validate (text, -1, NULL));
    }
  return 0;
}
