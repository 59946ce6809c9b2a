/* hearth-documents-page.c: Preferences → Documents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>

#include "hearth-documents-page.h"
#include "hearth-duration.h"
#include "hearth-folder-chooser.h"

struct _HearthDocumentsPage
{
  AdwPreferencesPage   parent_instance;
  HearthDocuments     *documents;
  HearthDocIndexer    *indexer;    /* the one whose progress is on show */
  AdwPreferencesGroup *progress_group;
  AdwActionRow        *progress_row;
  GtkWidget           *progress_bar;
  GtkWidget           *pause_button;
  AdwPreferencesGroup *list;
  GPtrArray           *rows;       /* the list's rows, to remove them */
  GtkWidget           *name;
  GtkWidget           *status;     /* errors, in words */
  GCancellable        *planning;   /* the re-index plan being measured */
};

G_DEFINE_FINAL_TYPE (HearthDocumentsPage, hearth_documents_page, ADW_TYPE_PREFERENCES_PAGE)

static void
say (HearthDocumentsPage *self,
     const char          *text)
{
  gtk_label_set_text (GTK_LABEL (self->status), text != NULL ? text : "");
  gtk_widget_set_visible (self->status, text != NULL && text[0] != '\0');
}

/* ---- progress ---- */

static void
update_progress (HearthDocumentsPage *self)
{
  HearthDocIndexer *ix = self->indexer;
  g_autofree char *name = NULL;
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  guint done, total;
  gboolean running, paused;
  const char *phase;

  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), ix != NULL);
  if (ix == NULL)
    return;
  g_object_get (ix, "collection", &name, NULL);
  done = hearth_doc_indexer_get_files_done (ix);
  total = hearth_doc_indexer_get_files_total (ix);
  running = hearth_doc_indexer_get_running (ix);
  paused = hearth_doc_indexer_get_paused (ix);
  phase = hearth_doc_indexer_get_phase (ix);

  if (!running)
    {
      title = g_strdup_printf (_("Indexed “%s”"), name);
      /* Translators: files of a finished indexing run */
      subtitle = g_strdup_printf (g_dngettext (NULL, "Done: %u of %u file", "Done: %u of %u files", total), done, total);
    }
  else if (g_strcmp0 (phase, "scanning") == 0)
    {
      title = g_strdup_printf (_("Indexing “%s”"), name);
      subtitle = g_strdup (_("Looking for files…"));
    }
  else
    {
      g_autofree char *rate = g_format_size ((guint64) MAX (hearth_doc_indexer_get_bytes_per_second (ix), 0));
      double left = hearth_doc_indexer_get_seconds_left (ix);
      g_autofree char *files = g_strdup_printf (g_dngettext (NULL, "%u of %u file", "%u of %u files", total), done, total);

      title = g_strdup_printf (paused ? _("Paused: “%s”") : _("Indexing “%s”"), name);
      if (left >= 0)
        /* Translators: files, rate (e.g. "1.2 MB"), seconds left */
        subtitle = g_strdup_printf (_("%s · %s/s · about %.0f s left"), files, rate, left);
      else
        subtitle = g_strdup_printf (_("%s · %s/s"), files, rate);
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), title);
  adw_action_row_set_subtitle (self->progress_row, subtitle);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar),
                                 total > 0 ? (double) done / total : running ? 0 : 1);
  gtk_widget_set_visible (self->pause_button, running);
  gtk_button_set_label (GTK_BUTTON (self->pause_button), paused ? _("Resume") : _("Pause"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  paused ? _("Resume indexing") : _("Pause indexing"), -1);
}

static void
indexer_changed (HearthDocumentsPage *self)
{
  HearthDocIndexer *ix = hearth_documents_get_indexer (self->documents);

  if (self->indexer != ix)
    {
      if (self->indexer != NULL)
        g_signal_handlers_disconnect_by_data (self->indexer, self);
      g_set_object (&self->indexer, ix);
      if (ix != NULL)
        g_signal_connect_swapped (ix, "notify", G_CALLBACK (update_progress), self);
    }
  update_progress (self);
}

static void
pause_clicked (HearthDocumentsPage *self)
{
  if (self->indexer == NULL)
    return;
  if (hearth_doc_indexer_get_paused (self->indexer))
    hearth_documents_resume (self->documents);
  else
    hearth_documents_pause (self->documents);
  update_progress (self);
}

/* ---- the collections ---- */

static void reload (HearthDocumentsPage *self);

static void
folder_chosen (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(HearthDocumentsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = hearth_folder_chooser_choose_finish (result, &error);
  const char *name = g_object_get_data (G_OBJECT (self), "adding-to");

  if (path == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        say (self, error->message);
      return;
    }
  if (self->documents == NULL || name == NULL)
    return;
  if (!hearth_documents_add_folder (self->documents, name, path, &error))
    say (self, error->message);
  else
    say (self, NULL);
}

static void
add_folder_clicked (GtkButton           *button,
                    HearthDocumentsPage *self)
{
  g_object_set_data_full (G_OBJECT (self), "adding-to",
                          g_strdup (g_object_get_data (G_OBJECT (button), "collection")), g_free);
  hearth_folder_chooser_choose (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), _("Add a Folder of Documents"),
                                NULL, folder_chosen, g_object_ref (self));
}

static void
remove_clicked (GtkButton           *button,
                HearthDocumentsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_documents_remove_collection (self->documents, g_object_get_data (G_OBJECT (button), "collection"),
                                           &error))
    say (self, error->message);
  else
    say (self, NULL);
}

static void
update_clicked (GtkButton           *button,
                HearthDocumentsPage *self)
{
  hearth_documents_update (self->documents, g_object_get_data (G_OBJECT (button), "collection"));
}

/* ---- another embedding model: measured, shown, then asked ---- */

static void
reindex_response (AdwMessageDialog    *dialog,
                  const char          *response,
                  HearthDocumentsPage *self)
{
  g_autoptr(GError) error = NULL;
  HearthDocReindexPlan *plan = g_object_get_data (G_OBJECT (dialog), "plan");

  if (g_strcmp0 (response, "reindex") != 0 || self->documents == NULL)
    say (self, NULL);
  else if (!hearth_documents_reindex (self->documents, plan, &error))
    say (self, error->message);
  else
    say (self, NULL);
}

static void
plan_ready (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(HearthDocumentsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocReindexPlan) plan = hearth_documents_plan_reindex_finish (HEARTH_DOCUMENTS (source), result,
                                                                               &error);
  g_autofree char *heading = NULL, *body = NULL, *size = NULL, *about = NULL, *files = NULL;
  GtkWidget *dialog;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (plan == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        say (self, error->message);
      return;
    }
  if (!GTK_IS_WINDOW (root))
    return;  /* closed meanwhile */
  size = g_format_size (plan->n_bytes);
  about = hearth_duration_about (plan->seconds);
  files = g_strdup_printf (g_dngettext (NULL, "%u file", "%u files", (gulong) plan->n_files), plan->n_files);
  heading = g_strdup_printf (_("Re-index “%s”?"), plan->collection);
  if (plan->model_path != NULL)
    {
      g_autofree char *model = g_path_get_basename (plan->model_path);

      /* Translators: "12 files", "3.4 MB", the model's file name, "about 3 minutes" */
      body = g_strdup_printf (_("Every document (%s, %s) is read and embedded again with %s. "
                                "On this computer that takes %s. Until it is done, search finds "
                                "only the documents already re-indexed."), files, size, model, about);
    }
  else
    /* Translators: "12 files", "3.4 MB", "about 3 minutes" */
    body = g_strdup_printf (_("Every document (%s, %s) is read again, for keyword search only. "
                              "On this computer that takes %s. Until it is done, search finds "
                              "only the documents already re-indexed."), files, size, about);
  dialog = adw_message_dialog_new (GTK_WINDOW (root), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "reindex", _("_Re-index"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reindex", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "plan", g_steal_pointer (&plan),
                          (GDestroyNotify) hearth_doc_reindex_plan_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (reindex_response), self, 0);
  say (self, NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
plan_for (HearthDocumentsPage *self,
          const char          *name,
          const char          *model_path)
{
  g_autofree char *text = g_strdup_printf (_("Measuring how long re-indexing “%s” takes…"), name);

  say (self, text);
  /* A second click while measuring asks about the second choice only. */
  g_cancellable_cancel (self->planning);
  g_clear_object (&self->planning);
  self->planning = g_cancellable_new ();
  hearth_documents_plan_reindex_async (self->documents, name, model_path, self->planning, plan_ready,
                                       g_object_ref (self));
}

static void
model_chosen (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(HearthDocumentsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = hearth_folder_chooser_choose_finish (result, &error);
  const char *name = g_object_get_data (G_OBJECT (self), "model-for");

  if (path == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        say (self, error->message);
      return;
    }
  if (self->documents != NULL && name != NULL)
    plan_for (self, name, path);
}

static void
choose_model_clicked (GtkButton           *button,
                      HearthDocumentsPage *self)
{
  g_object_set_data_full (G_OBJECT (self), "model-for",
                          g_strdup (g_object_get_data (G_OBJECT (button), "collection")), g_free);
  hearth_folder_chooser_choose_file (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                     _("Choose an Embedding Model"), _("GGUF models"), "*.gguf",
                                     NULL, model_chosen, g_object_ref (self));
}

static void
keyword_only_clicked (GtkButton           *button,
                      HearthDocumentsPage *self)
{
  plan_for (self, g_object_get_data (G_OBJECT (button), "collection"), NULL);
}

static GtkWidget *
row_button (HearthDocumentsPage *self,
            const char          *label,
            char                *accessible,
            const char          *name,
            GCallback            callback)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (button), "collection", g_strdup (name), g_free);
  g_signal_connect (button, "clicked", callback, self);
  g_free (accessible);
  return button;
}

static GtkWidget *
detail_row (const char *title,
            const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  return row;
}

/* The collection's embedding model, with the ways to change it. */
static GtkWidget *
model_row (HearthDocumentsPage       *self,
           const HearthDocCollection *c)
{
  g_autofree char *model = c->embed_model != NULL ? g_path_get_basename (c->embed_model) : NULL;
  g_autofree char *subtitle = model != NULL
    /* Translators: the embedding model's file name */
    ? g_strdup_printf (_("%s · keyword and meaning search"), model)
    : g_strdup (_("None: keyword search only"));
  GtkWidget *row = detail_row (_("Embedding model"), subtitle);

  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             row_button (self, _("_Choose…"),
                                         g_strdup_printf (_("Choose an embedding model for %s"), c->name),
                                         c->name, G_CALLBACK (choose_model_clicked)));
  if (c->embed_model != NULL)
    adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                               row_button (self, _("_Keyword Only"),
                                           g_strdup_printf (_("Use keyword search only for %s"), c->name),
                                           c->name, G_CALLBACK (keyword_only_clicked)));
  return row;
}

static void
reload (HearthDocumentsPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GHashTable) expanded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* The rows are made again; one the user opened stays open. */
  for (guint i = 0; i < self->rows->len; i++)
    {
      AdwExpanderRow *old = g_ptr_array_index (self->rows, i);

      if (adw_expander_row_get_expanded (old))
        g_hash_table_add (expanded, g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (old))));
      adw_preferences_group_remove (self->list, GTK_WIDGET (old));
    }
  g_ptr_array_set_size (self->rows, 0);
  if ((all = hearth_documents_list_collections (self->documents, &error)) == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The document index is not available: %s"), error->message);

      adw_preferences_group_set_description (self->list, text);
      gtk_widget_set_sensitive (self->name, FALSE);
      return;
    }
  adw_preferences_group_set_description (self->list, all->len == 0
                                         ? _("None yet: create one below, then add folders to it.") : NULL);
  for (guint i = 0; i < all->len; i++)
    {
      HearthDocCollection *c = all->pdata[i];
      g_autoptr(GPtrArray) sources = hearth_documents_list_sources (self->documents, c->id, NULL);
      g_autoptr(GPtrArray) failed = hearth_documents_list_failed_files (self->documents, c->id, NULL);
      g_autofree char *files = g_strdup_printf (g_dngettext (NULL, "%u file", "%u files", (gulong) c->n_files),
                                                (guint) c->n_files);
      g_autofree char *chunks = g_strdup_printf (g_dngettext (NULL, "%u passage", "%u passages", (gulong) c->n_chunks),
                                                 (guint) c->n_chunks);
      g_autofree char *subtitle = NULL;
      GtkWidget *row = adw_expander_row_new ();

      if (c->n_failed > 0)
        {
          g_autofree char *bad = g_strdup_printf (g_dngettext (NULL, "%u failed", "%u failed", (gulong) c->n_failed),
                                                  (guint) c->n_failed);

          subtitle = g_strdup_printf ("%s · %s · %s", files, chunks, bad);
        }
      else
        subtitle = g_strdup_printf ("%s · %s", files, chunks);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), c->name);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                   row_button (self, _("_Add Folder…"), g_strdup_printf (_("Add a folder to %s"), c->name), c->name,
                                               G_CALLBACK (add_folder_clicked)));
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                   row_button (self, _("_Update"), g_strdup_printf (_("Update %s"), c->name), c->name,
                                               G_CALLBACK (update_clicked)));
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                                   row_button (self, _("_Remove"), g_strdup_printf (_("Remove %s"), c->name), c->name,
                                               G_CALLBACK (remove_clicked)));
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), model_row (self, c));
      for (guint j = 0; sources != NULL && j < sources->len; j++)
        adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (sources->pdata[j], _("Folder")));
      if (sources == NULL || sources->len == 0)
        adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (_("No folders yet"), NULL));
      for (guint j = 0; failed != NULL && j < failed->len; j++)
        {
          HearthDocFileInfo *f = failed->pdata[j];
          g_autofree char *why = g_strdup_printf (_("Failed: %s"), f->reason != NULL ? f->reason : _("unknown reason"));

          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), detail_row (f->path, why));
        }
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), g_hash_table_contains (expanded, c->name));
      adw_preferences_group_add (self->list, row);
      g_ptr_array_add (self->rows, row);
    }
}

static void
create_clicked (HearthDocumentsPage *self)
{
  g_autoptr(GError) error = NULL;

  if (!hearth_documents_create_collection (self->documents, gtk_editable_get_text (GTK_EDITABLE (self->name)),
                                           &error))
    {
      say (self, error->message);
      return;
    }
  say (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->name), "");
}

static void
run_failed (HearthDocumentsPage *self,
            const char          *name,
            const char          *message)
{
  g_autofree char *text = g_strdup_printf (_("Indexing “%s” failed: %s"), name, message);

  say (self, text);
}

static void
hearth_documents_page_dispose (GObject *object)
{
  HearthDocumentsPage *self = HEARTH_DOCUMENTS_PAGE (object);

  if (self->indexer != NULL)
    g_signal_handlers_disconnect_by_data (self->indexer, self);
  if (self->documents != NULL)
    g_signal_handlers_disconnect_by_data (self->documents, self);
  g_cancellable_cancel (self->planning);
  g_clear_object (&self->planning);
  g_clear_object (&self->indexer);
  g_clear_object (&self->documents);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_documents_page_parent_class)->dispose (object);
}

static void
hearth_documents_page_class_init (HearthDocumentsPageClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_documents_page_dispose;
}

static void
hearth_documents_page_init (HearthDocumentsPage *self)
{
  AdwPreferencesGroup *add = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Create"));
  GtkWidget *box;

  adw_preferences_page_set_title (ADW_PREFERENCES_PAGE (self), _("Documents"));
  adw_preferences_page_set_icon_name (ADW_PREFERENCES_PAGE (self), "folder-documents-symbolic");
  self->rows = g_ptr_array_new ();

  /* The run on show: a row with the figures, a bar, Pause/Resume. */
  self->progress_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->progress_group, _("Indexing"));
  self->progress_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->progress_row), FALSE);
  self->pause_button = gtk_button_new_with_label (_("Pause"));
  gtk_widget_set_valign (self->pause_button, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->pause_button, "clicked", G_CALLBACK (pause_clicked), self);
  adw_action_row_add_suffix (self->progress_row, self->pause_button);
  adw_preferences_group_add (self->progress_group, GTK_WIDGET (self->progress_row));
  self->progress_bar = gtk_progress_bar_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Indexing progress"), -1);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_margin_top (box, 6);
  gtk_box_append (GTK_BOX (box), self->progress_bar);
  adw_preferences_group_add (self->progress_group, box);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), FALSE);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->progress_group);

  self->list = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->list, _("Collections"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), self->list);

  adw_preferences_group_set_title (add, _("New Collection"));
  adw_preferences_group_set_description (add, _("A collection is a set of folders whose documents a conversation "
                                                "can answer from. Its index is encrypted and stays on this computer."));
  self->name = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name), _("Collection name"));
  adw_preferences_group_add (add, self->name);
  self->status = gtk_label_new (NULL);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_widget_add_css_class (self->status, "error");
  gtk_widget_set_visible (self->status, FALSE);
  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Create Collection"), -1);
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (create_clicked), self);
  adw_preferences_group_set_header_suffix (add, button);
  adw_preferences_group_add (add, self->status);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (self), add);
}

GtkWidget *
hearth_documents_page_new (HearthDocuments *documents)
{
  HearthDocumentsPage *self = g_object_new (HEARTH_TYPE_DOCUMENTS_PAGE, NULL);

  self->documents = g_object_ref (documents);
  g_signal_connect_swapped (documents, "changed", G_CALLBACK (reload), self);
  g_signal_connect_swapped (documents, "notify::indexer", G_CALLBACK (indexer_changed), self);
  g_signal_connect_swapped (documents, "run-failed", G_CALLBACK (run_failed), self);
  reload (self);
  indexer_changed (self);
  return GTK_WIDGET (self);
}
