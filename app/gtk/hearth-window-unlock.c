/* hearth-window-unlock.c: opening the encrypted store, with a passphrase where there is no keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Unlocking may derive a key from a passphrase (PBKDF2, ~150 ms) or wait
 * on the keyring, so the store is opened on a worker thread. When it needs
 * a passphrase, that thread asks this one (the dialog) and waits.
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-application.h"
#include "hearth-doc-index.h"
#include "hearth-documents.h"
#include "hearth-window-private.h"

typedef struct
{
  GMutex        mutex;
  GCond         cond;
  gboolean      done;
  gboolean      creating;
  char         *passphrase;
  HearthWindow *window;
  guint         attempt;   /* > 0: the last passphrase was wrong */
} PassphraseRequest;

typedef struct
{
  HearthWindow *window;
  guint         attempt;
  char         *given;     /* the passphrase that opened the history */
} OpenContext;

/* What the thread opened: the history, and the document index (or why not). */
typedef struct
{
  HearthStore    *store;
  HearthDocIndex *doc_index;
  GError         *doc_error;
} Opened;

static void
opened_free (Opened *o)
{
  g_clear_object (&o->store);
  g_clear_object (&o->doc_index);
  g_clear_error (&o->doc_error);
  g_free (o);
}

static void
passphrase_response (AdwMessageDialog  *dialog,
                     const char        *response,
                     PassphraseRequest *req)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  GtkEditable *confirm = g_object_get_data (G_OBJECT (dialog), "confirm");
  const char *text = gtk_editable_get_text (entry);

  g_mutex_lock (&req->mutex);
  if (g_strcmp0 (response, "unlock") == 0 && text[0] != '\0' &&
      (confirm == NULL || g_strcmp0 (text, gtk_editable_get_text (confirm)) == 0))
    req->passphrase = g_strdup (text);
  req->done = TRUE;
  g_cond_signal (&req->cond);
  g_mutex_unlock (&req->mutex);
}

/* A plain entry with hidden text: GTK 4.8's GtkPasswordEntry keeps a
 * caps-lock handler on the display after it is destroyed, which fires on
 * the next keyboard state change and touches the dead widget. */
static GtkWidget *
secret_entry_new (const char *label)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return entry;
}

static gboolean
show_passphrase_dialog (gpointer data)
{
  PassphraseRequest *req = data;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *entry = secret_entry_new (_("Passphrase"));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (req->window),
                                   req->creating ? _("Choose a Passphrase") : _("Unlock History"),
                                   req->creating
                                   ? _("There is no keyring on this system. Your chat history will be encrypted with this passphrase; it cannot be recovered if you forget it.")
                                   : req->attempt > 0
                                   ? _("That passphrase is not the right one. Try again.")
                                   : _("Enter the passphrase that encrypts your chat history."));
  gtk_box_append (GTK_BOX (box), entry);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  if (req->creating)
    {
      GtkWidget *confirm = secret_entry_new (_("Repeat the passphrase"));
      gtk_box_append (GTK_BOX (box), confirm);
      g_object_set_data (G_OBJECT (dialog), "confirm", confirm);
    }
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "unlock", req->creating ? _("_Create") : _("_Unlock"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "unlock", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "unlock");
  g_signal_connect (dialog, "response", G_CALLBACK (passphrase_response), req);
  gtk_window_present (GTK_WINDOW (dialog));
  return G_SOURCE_REMOVE;
}

static void
clear_given (OpenContext *ctx)
{
  if (ctx->given != NULL)
    memset (ctx->given, 0, strlen (ctx->given));
  g_clear_pointer (&ctx->given, g_free);
}

/* Runs on the store-opening thread: asks on the main thread and waits. */
static char *
ask_passphrase (gboolean creating,
                gpointer user_data)
{
  OpenContext *ctx = user_data;
  PassphraseRequest req = { 0 };
  char *result;

  g_mutex_init (&req.mutex);
  g_cond_init (&req.cond);
  req.creating = creating;
  req.window = ctx->window;
  req.attempt = ctx->attempt;
  g_main_context_invoke (NULL, show_passphrase_dialog, &req);
  g_mutex_lock (&req.mutex);
  while (!req.done)
    g_cond_wait (&req.cond, &req.mutex);
  result = req.passphrase;
  g_mutex_unlock (&req.mutex);
  clear_given (ctx);
  ctx->given = g_strdup (result);
  g_mutex_clear (&req.mutex);
  g_cond_clear (&req.cond);
  return result;
}

/* Without a keyring, documents.db is tried first with the passphrase that
 * just opened the history (its own salt, so its own key): one question at
 * start, not two. A different one asks. */
static char *
doc_passphrase (gboolean creating,
                gpointer user_data)
{
  OpenContext *ctx = user_data;

  if (ctx->given != NULL && ctx->attempt == 0)
    return g_strdup (ctx->given);
  return ask_passphrase (creating, user_data);
}

/* documents.db, with the history's key handling: its own keyring entry,
 * or its own passphrase where there is no keyring. Not fatal: the history
 * works without it, and Documents says why it is missing. */
static HearthDocIndex *
open_doc_index (OpenContext *ctx,
                GError     **error)
{
  HearthDocIndexParams params;
  HearthDocIndex *index = NULL;

  hearth_doc_index_params_init (&params);
  params.data_dir = g_getenv ("HEARTH_DATA_DIR");
  params.key_source = HEARTH_STORE_KEY_AUTO;
  params.passphrase_func = doc_passphrase;
  params.passphrase_data = ctx;
  for (ctx->attempt = 0; ctx->attempt < 5; ctx->attempt++)
    {
      g_clear_error (error);
      index = hearth_doc_index_open (&params, error);
      if (index != NULL || !g_error_matches (*error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY))
        break;
    }
  return index;
}

static void
open_store_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  HearthStoreParams params;
  GError *error = NULL;
  HearthStore *store;
  OpenContext ctx = { source, 0, NULL };

  hearth_store_params_init (&params);
  params.data_dir = g_getenv ("HEARTH_DATA_DIR");
  params.key_source = HEARTH_STORE_KEY_AUTO;
  params.passphrase_func = ask_passphrase;
  params.passphrase_data = &ctx;
  /* A wrong passphrase asks again. */
  for (ctx.attempt = 0; ctx.attempt < 5; ctx.attempt++)
    {
      g_clear_error (&error);
      store = hearth_store_open (&params, &error);
      if (store != NULL)
        {
          Opened *o = g_new0 (Opened, 1);

          o->store = store;
          o->doc_index = open_doc_index (&ctx, &o->doc_error);
          clear_given (&ctx);
          g_task_return_pointer (task, o, (GDestroyNotify) opened_free);
          return;
        }
      if (!g_error_matches (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WRONG_KEY))
        break;
    }
  clear_given (&ctx);
  g_task_return_error (task, error);
}

static void
store_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HearthWindow *self = HEARTH_WINDOW (source);
  g_autoptr(GError) error = NULL;
  Opened *opened = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(HearthRuntime) runtime = NULL;
  g_autoptr(HearthDocuments) documents = NULL;

  if (opened == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return;
    }
  hearth_application_mark_time ("store-open");
  runtime = hearth_runtime_new (opened->store);
  documents = hearth_documents_new (opened->doc_index, opened->doc_error);
  if (opened->doc_index == NULL)
    g_warning ("The document index could not be opened: %s", opened->doc_error->message);
  hearth_documents_attach (documents, runtime);
  hearth_documents_watch (documents);
  opened_free (opened);
  hearth_window_set_runtime (self, runtime);
}

void
hearth_window_open_store (HearthWindow *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->open_cancellable, store_opened, NULL);

  g_task_run_in_thread (task, open_store_thread);
}
