/* hearth-api-page.h: Preferences → Local API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local OpenAI-compatible server on the loaded model: on or off (off
 * by default), the address (a warning when other machines can reach it)
 * and port, the URL, the token (selectable, Copy, Regenerate), whether it
 * runs and why not, and its figures (those of GET /metrics: requests,
 * errors, replies in progress, queue length, median time to first token,
 * tokens per second, loaded models, device memory), refreshed every
 * second while the page is on show. Through app/core
 * (hearth-api-service.h); the settings api-enabled, api-host and api-port
 * are what the app's service follows.
 *
 * Threading: the main thread.
 */
#pragma once

#include <adwaita.h>

#include "hearth-runtime.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_API_PAGE (hearth_api_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthApiPage, hearth_api_page, HEARTH, API_PAGE, AdwPreferencesPage)

GtkWidget *hearth_api_page_new (HearthRuntime *runtime,
                                GSettings     *settings);

G_END_DECLS
