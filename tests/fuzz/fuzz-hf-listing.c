/* fuzz-hf-listing.c: libFuzzer harness for a Hugging Face repository listing and model URLs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Import from Hugging Face" reads a server's JSON listing of a
 * repository's files (hearth_hf_parse_tree) and a URL the user pasted
 * (hearth_hf_parse_url). The input's first byte picks which ('u': the
 * rest is a URL; anything else: the rest is a listing). A listing that is
 * accepted yields only GGUF files, each with a 64-digit lower-case SHA-256,
 * a positive size, a path whose file name is a .gguf, and a download URL
 * under the endpoint and the repository; an accepted URL yields an
 * OWNER/REPO in valid UTF-8. Nothing may crash, leak or complain
 * (hearth-fuzz.h).
 */
#include <string.h>

#include "hearth-fuzz.h"
#include "hearth-hf-import.h"

#define REPO "owner/repo"

static void
check_listing (const char *json,
               gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = hearth_hf_parse_tree (REPO, json, (gssize) len, &error);
  g_autofree char *endpoint = hearth_hf_dup_endpoint ();
  g_autofree char *prefix = NULL;

  if (files == NULL)
    {
      hearth_fuzz_check_error (error, 0);
      return;
    }
  prefix = g_strconcat (endpoint, "/" REPO "/resolve/main/", NULL);
  for (guint i = 0; i < files->len; i++)
    {
      const HearthHfFile *f = g_ptr_array_index (files, i);
      g_autofree char *base = g_path_get_basename (f->path);

      g_assert (g_utf8_validate (f->path, -1, NULL) && g_str_has_suffix (f->path, ".gguf"));
      g_assert (g_str_has_suffix (base, ".gguf") && strcmp (base, "..") != 0);
      g_assert (strlen (f->sha256) == 64 && strspn (f->sha256, "0123456789abcdef") == 64);
      g_assert (f->size > 0);
      g_assert (g_str_has_prefix (f->url, prefix));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  hearth_fuzz_maybe_selftest ();
  if (size == 0)
    return 0;
  if (data[0] == 'u')
    {
      g_autofree char *url = g_strndup ((const char *) data + 1, size - 1);
      g_autofree char *repo = NULL, *file = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_utf8_validate (url, -1, NULL))
        return 0;  /* a pasted URL is text */
      if (hearth_hf_parse_url (url, &repo, &file, &error))
        g_assert (repo != NULL && g_utf8_validate (repo, -1, NULL) && strchr (repo, '/') != NULL);
      else
        hearth_fuzz_check_error (error, 0);
      return 0;
    }
  check_listing ((const char *) data + 1, size - 1);
  return 0;
}
