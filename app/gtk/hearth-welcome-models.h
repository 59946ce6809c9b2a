/* hearth-welcome-models.h: the welcome page's recommended models, downloaded and loaded in a click
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view: the catalog's chat models that fit this machine (the fit check),
 * two or three of them, each with what it is and how it will run, and a
 * Download button. The download is the runtime side's HearthDownload; this
 * only shows its progress and offers pause, resume and cancel. When a file
 * is downloaded and verified, "model-ready" gives its path (the window
 * loads it, which adds it to the registry). Nothing is requested until the
 * user presses a button. Main thread.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_WELCOME_MODELS (hearth_welcome_models_get_type ())
G_DECLARE_FINAL_TYPE (HearthWelcomeModels, hearth_welcome_models, HEARTH, WELCOME_MODELS, GtkBox)

GtkWidget *hearth_welcome_models_new (void);

/* DATA_DIR: $HEARTH_DATA_DIR, else $XDG_DATA_HOME/hearth (as the store's). */
char      *hearth_welcome_models_dup_data_dir (void);

G_END_DECLS
