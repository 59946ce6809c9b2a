/* hearth-documents-page.h: Preferences → Documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The collections of the document index (name, files, passages, files that
 * failed with their reasons, folders), New Collection, Add Folder… (the
 * portal's folder chooser), Remove; the indexing run's progress with
 * Pause/Resume. A view of HearthDocuments (hearth-documents.h): the
 * indexing runs on its worker thread, this page only binds to it.
 */
#pragma once

#include <adwaita.h>

#include "hearth-documents.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_DOCUMENTS_PAGE (hearth_documents_page_get_type ())
G_DECLARE_FINAL_TYPE (HearthDocumentsPage, hearth_documents_page, HEARTH, DOCUMENTS_PAGE, AdwPreferencesPage)

GtkWidget *hearth_documents_page_new (HearthDocuments *documents);

G_END_DECLS
