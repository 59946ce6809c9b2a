/* hearth-tool-words.h: how the views word and show tool calls
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the approval dialog, the chat's tool rows, the audit window
 * and Preferences → Plugins, so that a decision or an effect reads the
 * same everywhere. Views only: nothing here calls app/core beyond
 * reading a tool's effects.
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-plugin.h"

G_BEGIN_DECLS

/* The audit's decision word ("allowed-once", ...) for people: "Allowed
 * once", "Denied", ...; an unknown word is returned as it is. */
const char *hearth_tool_decision_label (const char *decision);
/* "by you", "remembered", "by the policy", ... for the audit's decided_by. */
const char *hearth_tool_decided_by_label (const char *decided_by);
/* A row of small labels, one per effect flag ("Read-only", "Side effects",
 * "Network", "Destructive"; "Undeclared" for none). */
GtkWidget  *hearth_tool_effect_tags_new (HearthToolEffects effects);
/* Selectable monospace text, wrapped, shown in full. */
GtkWidget  *hearth_tool_code_label_new (const char *text);

G_END_DECLS
