/* clock-plugin.c: the clock plugin: the tool "current_time", in the local or a named time zone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read-only. The answer is JSON:
 *   {"datetime": "2024-05-01T14:03:12+02:00", "date": "2024-05-01",
 *    "time": "14:03:12", "weekday": "Wednesday", "timezone": "Europe/Paris",
 *    "abbreviation": "CEST", "utc_offset": "+02:00", "unix_time": 1714564992}
 * Weekdays are in English whatever the locale: the model reads them, not
 * the user. An unknown zone is INVALID_ARGUMENTS naming it.
 */
#include "hearth-builtin.h"

static const char *const weekdays[] = {
  "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

static HearthToolResult *
run_current_time (HearthBuiltinCall  *call,
                  GError            **error)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *datetime = NULL, *date = NULL, *time = NULL, *offset = NULL, *json = NULL;
  GError *arg_error = NULL;
  const char *zone = hearth_builtin_get_string (call->arguments, "timezone", FALSE, &arg_error);

  if (arg_error != NULL)
    {
      g_propagate_error (error, arg_error);
      return NULL;
    }
  if (zone != NULL && *zone != '\0')
    {
      tz = g_time_zone_new_identifier (zone);
      if (tz == NULL)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS,
                       "unknown time zone '%s': use an IANA name such as Europe/Paris or "
                       "America/New_York, or leave it out for the local time", zone);
          return NULL;
        }
    }
  else
    tz = g_time_zone_new_local ();
  now = g_date_time_new_now (tz);
  datetime = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S%:z");
  date = g_date_time_format (now, "%Y-%m-%d");
  time = g_date_time_format (now, "%H:%M:%S");
  offset = g_date_time_format (now, "%:z");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "datetime");
  json_builder_add_string_value (b, datetime);
  json_builder_set_member_name (b, "date");
  json_builder_add_string_value (b, date);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, time);
  json_builder_set_member_name (b, "weekday");
  json_builder_add_string_value (b, weekdays[g_date_time_get_day_of_week (now) - 1]);
  json_builder_set_member_name (b, "timezone");
  json_builder_add_string_value (b, g_time_zone_get_identifier (tz));
  json_builder_set_member_name (b, "abbreviation");
  json_builder_add_string_value (b, g_date_time_get_timezone_abbreviation (now));
  json_builder_set_member_name (b, "utc_offset");
  json_builder_add_string_value (b, offset);
  json_builder_set_member_name (b, "unix_time");
  json_builder_add_int_value (b, g_date_time_to_unix (now));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return hearth_tool_result_new_json (json);
}

static const HearthBuiltinTool clock_tools[] = {
  {
    "current_time",
    "Tells the current date and time, with the weekday and the UTC offset, in the user's "
    "time zone or in another one.",
    "{\"type\": \"object\","
    " \"properties\": {\"timezone\": {\"type\": \"string\","
    "   \"description\": \"An IANA time zone such as Europe/Paris or Asia/Tokyo; leave it out for the user's own\"}},"
    " \"additionalProperties\": false}",
    HEARTH_TOOL_EFFECT_READ_ONLY,
    run_current_time,
  },
};

HEARTH_BUILTIN_PROVIDER (HearthClockProvider, hearth_clock_provider, clock_tools)
