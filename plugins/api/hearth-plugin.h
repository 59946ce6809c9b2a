/* hearth-plugin.h: the Hearth plugin API (umbrella header)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A Hearth plugin is a shared library and a .plugin keyfile, loaded by
 * libpeas. Its peas_register_types() registers classes implementing the
 * extension points below:
 *
 *   HearthToolProvider  tools the model can call
 *   HearthRetriever     passages from a collection of documents
 *
 * Every extension is created with the construct-only property "host": a
 * HearthPluginHost, the plugin's only way to the application (its own
 * settings, folders the user granted it, logging, asking the user for a
 * folder). Plugins never open Hearth's files and never see its keys.
 *
 * Threading: Hearth creates extensions and calls every vfunc in its main
 * thread (the main context that was the thread default when the plugin was
 * loaded), and expects async results to complete there. A plugin may do its
 * work in threads of its own (GTask's thread pool is fine); the host object
 * is to be used from the main thread only.
 *
 * Build against it with pkg-config: `pkg-config --cflags --libs hearth-plugin-1`.
 */
#pragma once

#define HEARTH_PLUGIN_INSIDE
#include "hearth-plugin-version.h"
#include "hearth-plugin-error.h"
#include "hearth-plugin-host.h"
#include "hearth-tool.h"
#include "hearth-tool-provider.h"
#include "hearth-retriever.h"
#undef HEARTH_PLUGIN_INSIDE
