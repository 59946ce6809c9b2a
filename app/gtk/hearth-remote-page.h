/* hearth-remote-page.h: Preferences → Remote Models
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Adds a remote provider (name, the server's OpenAI-compatible base URL,
 * the model, the key: kept in the keyring, never shown again), lists
 * them, tests one (its server's model list, on a thread: the dialog does
 * not wait) and removes one with its key. Through app/core
 * (hearth-remote-provider.h), never the store itself.
 *
 * Threading: the main thread; a test runs on a GTask thread and answers here.
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_REMOTE_PAGE (hearth_remote_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemotePage, hearth_remote_page, HEARTH, REMOTE_PAGE, AdwPreferencesPage)

GtkWidget *hearth_remote_page_new (HearthRuntime *runtime);

G_END_DECLS
