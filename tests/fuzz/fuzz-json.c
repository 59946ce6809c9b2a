/* fuzz-json.c: libFuzzer harness for the JSON parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a document: when the parser accepts it, what it wrote back
 * must parse again to an equal value (the writer and the reader agree),
 * and the prefix parser must accept it too and stop at its end. Nothing
 * may crash, leak or complain (hearth-fuzz.h).
 */
#include "hearth-fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(HearthJsonValue) v = NULL;
  g_autoptr(HearthJsonValue) again = NULL;
  g_autoptr(HearthJsonValue) prefix = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize end = 0;

  hearth_fuzz_maybe_selftest ();
  v = hearth_json_parse ((const char *) data, (gssize) size, &error);
  if (v == NULL)
    {
      g_assert (error != NULL && error->domain == HEARTH_ENGINE_ERROR);
      return 0;
    }
  text = hearth_json_to_string (v, -1);
  again = hearth_json_parse (text, -1, &error);
  g_assert (again != NULL);
  g_assert (hearth_json_equal (v, again));
  prefix = hearth_json_parse_prefix ((const char *) data, size, &end, &error);
  g_assert (prefix != NULL && hearth_json_equal (v, prefix));
  return 0;
}
