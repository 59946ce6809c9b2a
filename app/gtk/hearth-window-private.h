/* hearth-window-private.h: what the window's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window is split by concern: hearth-window.c (the widgets and what
 * they show of the runtime), hearth-window-actions.c (the win.* actions),
 * hearth-window-unlock.c (opening the store, asking for a passphrase).
 */
#pragma once

#include "hearth-chat-view.h"
#include "hearth-runtime.h"
#include "hearth-window.h"

G_BEGIN_DECLS

struct _HearthWindow
{
  AdwApplicationWindow parent_instance;

  GSettings          *settings;
  HearthRuntime      *runtime;         /* NULL until the store is open */
  HearthPluginManager *plugins;        /* with the runtime */
  char               *startup_model;
  gboolean            syncing;         /* the sidebar's rows are being replaced: selections are not the user's */
  GCancellable       *open_cancellable;

  AdwToastOverlay    *toast_overlay;
  AdwLeaflet         *leaflet;
  GtkWidget          *sidebar;
  GtkWidget          *content;
  GtkSearchEntry     *search_entry;
  GtkListBox         *conversation_list;
  GtkWidget          *back_button;
  AdwWindowTitle     *chat_title;
  GtkLabel           *model_label;
  GtkSpinner         *model_spinner;
  GtkStack           *main_stack;
  AdwStatusPage      *loading_page;
  AdwStatusPage      *welcome_page;
  AdwStatusPage      *error_page;
  HearthChatView     *chat_view;
};

/* hearth-window.c */
void hearth_window_toast             (HearthWindow *self,
                                      const char   *text);
void hearth_window_open_conversation (HearthWindow *self,
                                      gint64        id);
/* The last model that loaded, with the same settings, or on the CPU
 * (after a lost GPU device); nothing when none has loaded. */
void hearth_window_reload_model      (HearthWindow *self,
                                      gboolean      on_cpu);
/* The store is open: the window is a view of @runtime from now on. */
void hearth_window_set_runtime       (HearthWindow  *self,
                                      HearthRuntime *runtime);

/* hearth-window-actions.c */
void hearth_window_install_actions (GtkWidgetClass *widget_class);

/* hearth-window-unlock.c: opens the store on a thread, asking for a
 * passphrase on this one if there is no keyring; shows the error page if
 * it cannot be opened. */
void hearth_window_open_store (HearthWindow *self);

G_END_DECLS
