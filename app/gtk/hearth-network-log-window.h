/* hearth-network-log-window.h: every request Hearth made, for the user to check
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads the network log (hearth-network-log.h) when shown: time, host and
 * path, HTTP status and bytes, newest first. Main thread.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define HEARTH_TYPE_NETWORK_LOG_WINDOW (hearth_network_log_window_get_type ())
G_DECLARE_FINAL_TYPE (HearthNetworkLogWindow, hearth_network_log_window, HEARTH, NETWORK_LOG_WINDOW, AdwWindow)

GtkWidget *hearth_network_log_window_new (GtkWindow  *parent,
                                          const char *data_dir);

G_END_DECLS
