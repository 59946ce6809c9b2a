/* hearth-reply-sources.h: the passages a reply is given, in the prompt and in the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What: turns the passages retrieved for a question (HearthPassage, from
 * any HearthRetriever) into
 *  - the context block put beside the system prompt for that reply
 *    (never into the user's stored message):
 *      Sources:
 *      [1] NAME (page P, lines A-B): TEXT
 *      ...
 *    then the instruction to cite [n] and to say when the sources do not
 *    hold the answer; with no passage, the notice "no relevant passage
 *    found in the attached documents" instead.  NAME is the file's base
 *    name (the model needs no more to cite); page is left out when the
 *    document has none.  The block is in English, the language the
 *    instruction works best in with small models, whatever the UI's;
 *  - the JSON stored with the reply (HearthMessageExtra.sources_json):
 *    [{"path", "page", "line_start", "line_end", "score", "text"}], and
 *    back, for front ends' source chips;
 *  - the one-line citation `PATH p.PAGE lines A-B` of `hearth-cli chat`.
 * Contract: pure functions; the passages are not changed.
 * Threading: any thread.  Ownership: results are the caller's.
 */
#pragma once

#include <glib.h>

#include "hearth-plugin.h"

G_BEGIN_DECLS

/* @passages: HearthPassage, best first (may be empty, not NULL). */
char      *hearth_reply_sources_dup_prompt_block (GPtrArray  *passages);
char      *hearth_reply_sources_to_json          (GPtrArray  *passages);
/* An array of HearthPassage (source = path, no title); NULL when @json is
 * NULL or not such a list. */
GPtrArray *hearth_reply_sources_from_json        (const char *json);
/* "PATH p.PAGE lines A-B" (" p.PAGE" only with a page, " lines A-B" only
 * with lines known). */
char      *hearth_reply_source_dup_citation      (HearthPassage *passage);

G_END_DECLS
