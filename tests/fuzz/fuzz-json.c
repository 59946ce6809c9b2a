/* fuzz-json.c: libFuzzer harness for the JSON parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a document: when the parser accepts it, what it wrote back
 * must parse again to an equal value (the writer and the reader agree),
 * and the prefix parser must accept it too and stop at its end. Nothing
 * may crash, leak or complain (hearth-fuzz.h).
 *
 * One exception, as hearth-json.h documents: a number too large for a
 * double reads as an infinity, which the writer prints as Python does
 * (Infinity), and strict JSON does not read back. Only then may the
 * written text fail to parse; that the parser takes such numbers at all is
 * an open question of #22.
 */
#include <math.h>

#include "hearth-fuzz.h"

static gboolean
has_non_finite (const HearthJsonValue *v)
{
  switch (hearth_json_get_type (v))
    {
    case HEARTH_JSON_DOUBLE:
      return !isfinite (hearth_json_get_double (v));
    case HEARTH_JSON_ARRAY:
      for (guint i = 0; i < hearth_json_array_get_length (v); i++)
        if (has_non_finite (hearth_json_array_get (v, i)))
          return TRUE;
      return FALSE;
    case HEARTH_JSON_OBJECT:
      for (guint i = 0; i < hearth_json_object_get_size (v); i++)
        if (has_non_finite (hearth_json_object_get_value_at (v, i)))
          return TRUE;
      return FALSE;
    default:
      return FALSE;
    }
}

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
      hearth_fuzz_check_error (error, HEARTH_ENGINE_ERROR);
      return 0;
    }
  text = hearth_json_to_string (v, -1);
  again = hearth_json_parse (text, -1, &error);
  if (again == NULL)
    g_assert (has_non_finite (v));
  else
    g_assert (hearth_json_equal (v, again));
  g_clear_error (&error);
  prefix = hearth_json_parse_prefix ((const char *) data, size, &end, &error);
  g_assert (prefix != NULL && hearth_json_equal (v, prefix));
  return 0;
}
