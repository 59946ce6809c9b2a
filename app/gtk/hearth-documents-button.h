/* hearth-documents-button.h: the collections attached to the conversation on show
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A menu button ("Documents", with the number attached) whose popover holds
 * one toggle button per collection of the document index: on means the
 * conversation's replies search it (hearth_runtime_set_collections). Toggle
 * buttons rather than check buttons for the same reason as the model
 * picker (hearth-remote-bar.c): GTK 4.8 exposes no AT-SPI action on a
 * GtkCheckButton; a toggle button is a button, announced as pressed or not.
 */
#pragma once

#include <gtk/gtk.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DOCUMENTS_BUTTON (hearth_documents_button_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocumentsButton, hearth_documents_button, HEARTH, DOCUMENTS_BUTTON, GtkBox)

GtkWidget *hearth_documents_button_new (HearthRuntime *runtime);

G_END_DECLS
