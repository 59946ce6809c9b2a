/* hearth-doc-zip.c: the entries of a zip container (DOCX, ODT, EPUB), from memory, bounded
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libarchive reads the zip from the bytes in memory (seekable, so through
 * the central directory: a truncated file fails at once). Only the
 * entries the format reader asks for are inflated, and their inflated
 * bytes together are counted as they come, so an entry that claims a small
 * size and inflates to gigabytes (a zip bomb) stops at
 * HEARTH_DOC_MAX_INFLATED_BYTES with TOO_LARGE, whatever its header says.
 *
 * Threading: reentrant (one archive object per call).
 */
#include "hearth-config.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gi18n-lib.h>

#include "hearth-doc-extract-private.h"

static void
set_too_large (GError **error)
{
  g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_TOO_LARGE,
               _("The document unpacks to more than %u MiB, the most Hearth reads."),
               (guint) (HEARTH_DOC_MAX_INFLATED_BYTES / (1024 * 1024)));
}

static void
set_corrupt (GError **error)
{
  /* libarchive's own message may name entries of the file: not shown. */
  g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT,
                       _("The document is damaged: its zip container cannot be read."));
}

GHashTable *
hearth_doc_zip_read (GBytes           *bytes,
                     HearthDocZipWant  want,
                     gpointer          user_data,
                     GCancellable     *cancellable,
                     GError          **error)
{
  g_autoptr(GHashTable) entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) g_bytes_unref);
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;
  gsize total = 0;
  gsize size = 0;
  const void *data = g_bytes_get_data (bytes, &size);
  int r;
  gboolean ok = FALSE;

  archive_read_support_format_zip (a);
  if (size == 0 || archive_read_open_memory (a, data, size) != ARCHIVE_OK)
    {
      set_corrupt (error);
      goto out;
    }

  while ((r = archive_read_next_header (a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *name = archive_entry_pathname (entry);
      GByteArray *buf;
      char chunk[65536];
      la_ssize_t n;

      if (hearth_doc_check_cancelled (cancellable, error))
        goto out;
      if (name == NULL || archive_entry_filetype (entry) != AE_IFREG || !want (name, user_data))
        continue;
      if (archive_entry_is_encrypted (entry))
        {
          g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_ENCRYPTED,
                               _("The document is protected by a password."));
          goto out;
        }
      if (archive_entry_size_is_set (entry) &&
          (guint64) archive_entry_size (entry) > HEARTH_DOC_MAX_INFLATED_BYTES - total)
        {
          set_too_large (error);
          goto out;
        }

      buf = g_byte_array_new ();
      while ((n = archive_read_data (a, chunk, sizeof chunk)) > 0)
        {
          if ((gsize) n > HEARTH_DOC_MAX_INFLATED_BYTES - total)
            {
              g_byte_array_unref (buf);
              set_too_large (error);
              goto out;
            }
          total += n;
          g_byte_array_append (buf, (const guint8 *) chunk, n);
        }
      if (n < 0)
        {
          g_byte_array_unref (buf);
          if (archive_entry_is_encrypted (entry))
            g_set_error_literal (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_ENCRYPTED,
                                 _("The document is protected by a password."));
          else
            set_corrupt (error);
          goto out;
        }
      g_hash_table_replace (entries, g_strdup (name), g_byte_array_free_to_bytes (buf));
    }
  if (r != ARCHIVE_EOF)
    {
      set_corrupt (error);
      goto out;
    }
  ok = TRUE;

out:
  archive_read_free (a);
  return ok ? g_steal_pointer (&entries) : NULL;
}
