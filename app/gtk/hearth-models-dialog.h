/* hearth-models-dialog.h: the remembered models, with what their files say, to load or forget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_MODELS_DIALOG (hearth_models_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HearthModelsDialog, hearth_models_dialog, HEARTH, MODELS_DIALOG, AdwWindow)

/* Signals: "load-model" (const char *path), "unload-model". */
HearthModelsDialog *hearth_models_dialog_new (GtkWindow     *parent,
                                              HearthRuntime *runtime);

typedef void (*HearthModelChosenFunc) (const char *path,
                                       gpointer    user_data);
/* The native file chooser, filtered to GGUF files; @func is not called on cancel. */
void hearth_models_choose_file (GtkWindow            *parent,
                                HearthModelChosenFunc func,
                                gpointer              user_data,
                                GDestroyNotify        destroy);

G_END_DECLS
