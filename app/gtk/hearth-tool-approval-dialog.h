/* hearth-tool-approval-dialog.h: asks the user whether a tool call may run
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The view of one HearthToolApproval (the runtime's "approval-requested"):
 * the tool, its plugin, its description and effects, and every argument in
 * full (pretty-printed, monospace, scrollable, selectable). Deny is the
 * default and Escape's answer; closing the window denies too. The answer
 * goes to hearth_tool_approval_decide(); when the approval stops being
 * pending without this dialog's answer (Stop was pressed), the dialog
 * closes.
 */
#pragma once

#include <adwaita.h>

#include "hearth-tool-approval.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_TOOL_APPROVAL_DIALOG (hearth_tool_approval_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HearthToolApprovalDialog, hearth_tool_approval_dialog, HEARTH, TOOL_APPROVAL_DIALOG, AdwWindow)

/* @approval: pending. */
HearthToolApprovalDialog *hearth_tool_approval_dialog_new (GtkWindow          *parent,
                                                           HearthToolApproval *approval);
/* The text the arguments view shows. */
char                     *hearth_tool_approval_dialog_dup_arguments (HearthToolApprovalDialog *self);
/* As if the button were pressed. */
void                      hearth_tool_approval_dialog_answer (HearthToolApprovalDialog *self,
                                                              HearthToolDecision        decision);

G_END_DECLS
