/* hearth-tool.h: what a tool is, and what a call of it returns
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthTool describes one tool to the model and to the user: a name, a
 * description, its parameters as a JSON Schema object, and its effects.
 * HearthToolResult is what one call gave back. Both are immutable once made
 * and reference-counted; either may be passed between threads.
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What calling a tool may do. The host asks the user before every call of
 * a tool that is not READ_ONLY, or that is SIDE_EFFECTS or DESTRUCTIVE
 * whatever else it says (hearth_tool_effects_need_approval()). NETWORK is
 * shown to the user; it does not by itself ask. */
typedef enum /*< flags >*/
{
  HEARTH_TOOL_EFFECT_NONE         = 0,       /* nothing declared: treated as side effects */
  HEARTH_TOOL_EFFECT_READ_ONLY    = 1 << 0,  /* reads, changes nothing anywhere */
  HEARTH_TOOL_EFFECT_SIDE_EFFECTS = 1 << 1,  /* changes something (writes a file, sends a message) */
  HEARTH_TOOL_EFFECT_NETWORK      = 1 << 2,  /* reaches the network */
  HEARTH_TOOL_EFFECT_DESTRUCTIVE  = 1 << 3,  /* may delete or overwrite what the user has */
} HearthToolEffects;

#define HEARTH_TOOL_EFFECTS_ALL (HEARTH_TOOL_EFFECT_READ_ONLY | HEARTH_TOOL_EFFECT_SIDE_EFFECTS | \
                                 HEARTH_TOOL_EFFECT_NETWORK | HEARTH_TOOL_EFFECT_DESTRUCTIVE)

gboolean hearth_tool_effects_need_approval (HearthToolEffects effects);
/* "read-only", "side-effects", "network", "destructive" joined by ", ";
 * "undeclared" for NONE. Free with g_free(). */
char    *hearth_tool_effects_to_string     (HearthToolEffects effects);

typedef struct _HearthTool HearthTool;

#define HEARTH_TYPE_TOOL (hearth_tool_get_type ())
GType        hearth_tool_get_type (void) G_GNUC_CONST;

/* @name: what the model calls it, 1 to 64 of [A-Za-z0-9_-] (the host
 * refuses a plugin whose tool name is not). @parameters: a JSON Schema
 * object (copied); NULL means {"type": "object", "properties": {}}. */
HearthTool  *hearth_tool_new             (const char        *name,
                                          const char        *description,
                                          JsonNode          *parameters,
                                          HearthToolEffects  effects);
/* The same with the schema as JSON text; NULL with an error when it does
 * not parse or is not an object. */
HearthTool  *hearth_tool_new_from_json   (const char        *name,
                                          const char        *description,
                                          const char        *parameters_json,
                                          HearthToolEffects  effects,
                                          GError           **error);
HearthTool  *hearth_tool_ref             (HearthTool *tool);
void         hearth_tool_unref           (HearthTool *tool);
const char  *hearth_tool_get_name        (HearthTool *tool);
const char  *hearth_tool_get_description (HearthTool *tool);
/* The schema object; owned by @tool, do not change it. */
JsonNode    *hearth_tool_get_parameters  (HearthTool *tool);
HearthToolEffects hearth_tool_get_effects (HearthTool *tool);
/* TRUE when @name is a valid tool name (see hearth_tool_new()). */
gboolean     hearth_tool_name_is_valid   (const char *name);

typedef struct _HearthToolResult HearthToolResult;

#define HEARTH_TYPE_TOOL_RESULT (hearth_tool_result_get_type ())
GType              hearth_tool_result_get_type (void) G_GNUC_CONST;

/* Plain text for the model. The host checks that it is valid UTF-8. */
HearthToolResult  *hearth_tool_result_new_text   (const char *text);
/* JSON for the model, as text; the host checks that it parses. */
HearthToolResult  *hearth_tool_result_new_json   (const char *json);
/* @data with @len bytes (-1: NUL-terminated) and a media type, exactly as
 * the plugin had them: the host checks them, not this constructor. */
HearthToolResult  *hearth_tool_result_new        (const char *media_type,
                                                  const char *data,
                                                  gssize      len);
HearthToolResult  *hearth_tool_result_ref        (HearthToolResult *result);
void               hearth_tool_result_unref      (HearthToolResult *result);
/* "text/plain" or "application/json" for the constructors above. */
const char        *hearth_tool_result_get_media_type (HearthToolResult *result);
/* The bytes as given (NUL-terminated beyond @len); @len may be NULL. */
const char        *hearth_tool_result_get_data   (HearthToolResult *result,
                                                  gsize            *len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTool, hearth_tool_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthToolResult, hearth_tool_result_unref)

G_END_DECLS
