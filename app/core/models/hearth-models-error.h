/* hearth-models-error.h: the error domain of the catalog, the fit check and downloads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each code is one thing the user is told; messages are whole sentences
 * that say what happened and what is kept (a partial file for resuming).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HEARTH_MODELS_ERROR (hearth_models_error_quark ())

typedef enum
{
  HEARTH_MODELS_ERROR_CATALOG,      /* the catalog file is not valid */
  HEARTH_MODELS_ERROR_UNSUPPORTED,  /* an architecture or tensor type the engine does not run */
  HEARTH_MODELS_ERROR_URL,          /* not an https URL */
  HEARTH_MODELS_ERROR_HTTP,         /* the server answered 4xx/5xx */
  HEARTH_MODELS_ERROR_NETWORK,      /* no connection, or it dropped (retried first) */
  HEARTH_MODELS_ERROR_DISK_FULL,    /* not enough space, before or while writing */
  HEARTH_MODELS_ERROR_NO_CHECKSUM,  /* nothing to verify the file against */
  HEARTH_MODELS_ERROR_VERIFY,       /* the size or SHA-256 differs: the file was deleted */
  HEARTH_MODELS_ERROR_FILE,         /* the partial or final file could not be written */
  HEARTH_MODELS_ERROR_LISTING,      /* a repository listing that cannot be read */
} HearthModelsError;

GQuark hearth_models_error_quark (void);

G_END_DECLS
