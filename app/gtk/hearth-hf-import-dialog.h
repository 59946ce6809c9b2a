/* hearth-hf-import-dialog.h: a Hugging Face repository's GGUF files, one downloaded, verified and added
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view: the user pastes a repository's address (or a file's in it); the
 * listing (app/core/models/hearth-hf-import.h) comes back as rows with each
 * GGUF file's size and how it would run here (the fit check, estimated
 * from the file's size before the download); Download fetches the chosen
 * file the verified way, with its progress (hearth-download-progress.h).
 * "model-ready" (const char *path, gboolean load) gives the verified file
 * to the window that opened it, which adds it to the models, and loads it
 * when @load says so. No request is made until the user asks for one.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_HF_IMPORT_DIALOG (hearth_hf_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HearthHfImportDialog, hearth_hf_import_dialog, HEARTH, HF_IMPORT_DIALOG, AdwWindow)

HearthHfImportDialog *hearth_hf_import_dialog_new (GtkWindow *parent);

G_END_DECLS
