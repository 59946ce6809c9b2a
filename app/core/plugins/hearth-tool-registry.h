/* hearth-tool-registry.h: every tool the host offers, and calling one safely
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The registry gathers the tools of every HearthToolProvider added to it
 * (by the plugin manager for loaded plugins, or directly for a provider
 * built into the process, as tests do) under one flat namespace of tool
 * names, and is the only way the runtime and the CLI call a tool.
 *
 * Calling: hearth_tool_registry_call_async() looks the tool up, checks the
 * arguments (JSON text) against the tool's parameter schema, calls the
 * provider, and bounds the call by a timeout. Whatever happens, the call
 * completes exactly once, in the owner's main context, with either a
 * HearthToolOutcome or a GError in HEARTH_PLUGIN_ERROR (NOT_FOUND,
 * INVALID_ARGUMENTS, TIMED_OUT, INVALID_RESULT, FAILED, ...; a provider's
 * own HEARTH_PLUGIN_ERROR code is kept) whose message names the tool and its
 * plugin and is fit to hand to the model as the call's error result; a
 * call the caller cancelled fails with G_IO_ERROR_CANCELLED. A provider that completes after the timeout, or
 * after the caller's @cancellable was cancelled, is ignored. Output that is
 * not valid UTF-8, or claims JSON and does not parse, is INVALID_RESULT.
 * Approval is not the registry's business: the runtime asks first.
 *
 * Tool names: a provider's tool whose name is invalid or already taken by
 * another provider refuses that whole provider (add_provider fails, the
 * others are untouched).
 *
 * Threading: the owner's main context only (the one it was created in).
 * Signals: "changed": the list of tools is different.
 */
#pragma once

#include <gio/gio.h>

#include "hearth-plugin.h"

G_BEGIN_DECLS

/* What a tool call gave back, checked. */
typedef struct
{
  char    *text;       /* the result for the model: valid UTF-8 (owned) */
  char    *media_type; /* "text/plain" or "application/json" (owned) */
  double   seconds;    /* how long the provider took */
} HearthToolOutcome;

void hearth_tool_outcome_free (HearthToolOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthToolOutcome, hearth_tool_outcome_free)

#define HEARTH_TOOL_REGISTRY_DEFAULT_TIMEOUT_MS 30000

#define HEARTH_TYPE_TOOL_REGISTRY (hearth_tool_registry_get_type ())
G_DECLARE_FINAL_TYPE (HearthToolRegistry, hearth_tool_registry, HEARTH, TOOL_REGISTRY, GObject)

HearthToolRegistry *hearth_tool_registry_new (void);

/* Adds @provider's tools under @plugin_id (refreshing it first is the
 * caller's business). FALSE with an error naming the plugin and the tool
 * when a tool name is invalid or taken; nothing of @provider is added then.
 * The registry follows "tools-changed" (a change that would clash drops
 * the provider's tools and logs a warning naming the plugin). */
gboolean    hearth_tool_registry_add_provider    (HearthToolRegistry *self,
                                                  const char         *plugin_id,
                                                  HearthToolProvider *provider,
                                                  GError            **error);
void        hearth_tool_registry_remove_provider (HearthToolRegistry *self,
                                                  HearthToolProvider *provider);

/* The tools, sorted by name: a new array of HearthTool. */
GPtrArray  *hearth_tool_registry_list_tools      (HearthToolRegistry *self);
/* The tool called @name (not a new reference), or NULL. @plugin_id: the
 * plugin that provides it. */
HearthTool *hearth_tool_registry_lookup          (HearthToolRegistry *self,
                                                  const char         *name,
                                                  const char        **plugin_id);
/* The tools named in @names (NULL: all) as the chat template's `tools`
 * variable: a JSON array of {"type": "function", "function": {"name",
 * "description", "parameters"}}, as text. An unknown name is an error. */
char       *hearth_tool_registry_dup_template_tools (HearthToolRegistry *self,
                                                     const char *const  *names,
                                                     GError            **error);

/* Per call; 0: HEARTH_TOOL_REGISTRY_DEFAULT_TIMEOUT_MS. */
void        hearth_tool_registry_set_timeout     (HearthToolRegistry *self,
                                                  guint               timeout_ms);
guint       hearth_tool_registry_get_timeout     (HearthToolRegistry *self);

void               hearth_tool_registry_call_async  (HearthToolRegistry  *self,
                                                     const char          *name,
                                                     const char          *arguments_json,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
HearthToolOutcome *hearth_tool_registry_call_finish (HearthToolRegistry  *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
