/* hearth-doc-encoding.c: the character encoding of a plain text file, to UTF-8
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain files carry no declaration, so the decision is the one editors
 * make: a byte order mark wins (UTF-8, UTF-16 LE or BE), then valid UTF-8
 * is taken as UTF-8, and anything else as Windows-1252, the superset of
 * Latin-1 that such files come from in practice. iconv's CP1252 has no
 * mapping for five bytes (0x81 0x8D 0x8F 0x90 0x9D); a file holding one is
 * read as ISO-8859-1, which maps every byte. UTF-16 without a BOM is not
 * guessed (a guess would misread real 8-bit files).
 *
 * Threading: reentrant.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-doc-extract-private.h"

static char *
convert (const guint8 *data,
         gsize         size,
         const char   *from,
         gsize        *len_out)
{
  gsize written = 0;
  char *out = g_convert ((const char *) data, size, "UTF-8", from, NULL, &written, NULL);

  if (out != NULL)
    *len_out = written;
  return out;
}

char *
hearth_doc_decode_text (const guint8 *data,
                        gsize         size,
                        gsize        *len_out)
{
  char *out = NULL;
  gsize len = 0;

  if (size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
    {
      data += 3;
      size -= 3;
    }
  else if (size >= 2 && data[0] == 0xFF && data[1] == 0xFE)
    out = convert (data + 2, size - 2, "UTF-16LE", &len);
  else if (size >= 2 && data[0] == 0xFE && data[1] == 0xFF)
    out = convert (data + 2, size - 2, "UTF-16BE", &len);

  if (out == NULL)
    {
      const char *end = NULL;

      /* g_utf8_validate stops at a NUL; NULs are checked apart. */
      if (g_utf8_validate_len ((const char *) data, size, &end))
        {
          out = g_malloc (size + 1);
          if (size > 0)  /* an empty file's data may be NULL */
            memcpy (out, data, size);
          out[size] = '\0';
          len = size;
        }
      else
        {
          out = convert (data, size, "WINDOWS-1252", &len);
          if (out == NULL)
            out = convert (data, size, "ISO-8859-1", &len);
          if (out == NULL)
            {
              /* Not reached with glibc's iconv; still, never fail on text. */
              out = g_utf8_make_valid ((const char *) data, size);
              len = strlen (out);
            }
        }
    }

  for (gsize i = 0; i < len; i++)
    if (out[i] == '\0')
      out[i] = ' ';
  *len_out = len;
  return out;
}
