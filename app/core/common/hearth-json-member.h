/* hearth-json-member.h: json-glib members read by type, never complaining about input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib's typed getters (json_object_get_string_member_with_default,
 * json_array_get_object_element, ...) assume the caller knows the type: on
 * a member of another type they print a critical and return a default.
 * What app/core reads comes from other programs (the local API's clients,
 * remote servers, the Hugging Face hub) or from files a user can edit, so
 * a wrong type is input to refuse or ignore, not a programming error.
 * These return the member when it has the type asked for, and the
 * fallback (or NULL) when it is absent, null or of another type. @o and
 * @a may be NULL. Pure functions; any thread.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *hearth_json_member_string  (JsonObject *o,
                                        const char *name,
                                        const char *fallback);
/* An integer, or a number with no fraction within gint64's range. */
gint64      hearth_json_member_int     (JsonObject *o,
                                        const char *name,
                                        gint64      fallback);
JsonObject *hearth_json_member_object  (JsonObject *o,
                                        const char *name);
JsonArray  *hearth_json_member_array   (JsonObject *o,
                                        const char *name);
/* json_parser_load_from_data, with an error whose message is valid
 * UTF-8: json-glib quotes the text near the fault, octal escapes such as
 * \220 decoded to raw bytes, so its own message can be invalid UTF-8,
 * which must not reach a label, a log or a JSON reply. */
gboolean    hearth_json_load           (JsonParser *parser,
                                        const char *data,
                                        gssize      length,
                                        GError    **error);
/* The parsed document's top level when it is an object (an array); NULL
 * when it is something else or there is none (json-glib parses empty
 * input without an error, to no root at all). */
JsonObject *hearth_json_root_object    (JsonParser *parser);
JsonArray  *hearth_json_root_array     (JsonParser *parser);
/* Element @index of @a when it is an object (NULL past the end). */
JsonObject *hearth_json_element_object (JsonArray  *a,
                                        guint       index);

G_END_DECLS
