/* hearth-plugin-error.h: the errors plugins and the plugin host report
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_PLUGIN_INSIDE) && !defined (HEARTH_PLUGIN_COMPILATION)
#error "Only <hearth-plugin.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_PLUGIN_ERROR (hearth_plugin_error_quark ())

typedef enum
{
  HEARTH_PLUGIN_ERROR_FAILED,            /* the tool ran and failed; the message says why */
  HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS, /* arguments that do not fit the tool's parameters */
  HEARTH_PLUGIN_ERROR_NOT_FOUND,         /* no such tool, file, collection, ... */
  HEARTH_PLUGIN_ERROR_PERMISSION_DENIED, /* outside what the user granted */
  HEARTH_PLUGIN_ERROR_TIMED_OUT,         /* ran past its time */
  HEARTH_PLUGIN_ERROR_INVALID_RESULT,    /* output that is not valid UTF-8 or not the JSON it claims */
  HEARTH_PLUGIN_ERROR_REFUSED,           /* a plugin the host would not load */
  HEARTH_PLUGIN_ERROR_DENIED,            /* the user denied the call */
  HEARTH_PLUGIN_ERROR_UNAVAILABLE,       /* a server or service that is not there now */
} HearthPluginErrorCode;

GQuark hearth_plugin_error_quark (void);

G_END_DECLS
