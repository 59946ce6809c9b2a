/* hearth-ui-test-app.c: the Hearth app with a scripted model, for the tool UI test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No chat model here calls tools on purpose, so tests/ui/test-ui-tools.py
 * runs this instead of the app: the same HearthApplication (libhearth-gtk),
 * store, plugin manager, registry and runtime, with one difference: once
 * the window has its runtime ("runtime-ready"), replies are written by
 * ScriptedResponder, which plays the replies in the file named by
 * HEARTH_UI_TEST_SCRIPT in turn (separated by lines of "%%"; the last one
 * repeats). Tool calls in them (Hermes <tool_call>{...}</tool_call>) are
 * found by the engine's own parser against the tools the runtime offered,
 * as the engine worker would. The production binary (app/gtk/main.c) has
 * no such hook; this one is built under tests/ only.
 */
#include "hearth-config.h"

#include <locale.h>
#include <stdlib.h>

#include "hearth-application.h"
#include "hearth-window.h"

#define SCRIPTED_TYPE_RESPONDER (scripted_responder_get_type ())
G_DECLARE_FINAL_TYPE (ScriptedResponder, scripted_responder, SCRIPTED, RESPONDER, GObject)

struct _ScriptedResponder
{
  GObject  parent_instance;
  char   **replies;
  guint    n_replies;
  guint    n_calls;
};

static void scripted_responder_iface_init (HearthResponderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScriptedResponder, scripted_responder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RESPONDER, scripted_responder_iface_init))

static void
scripted_respond_async (HearthResponder              *responder,
                        const HearthResponderRequest *request,
                        GCancellable                 *cancellable,
                        GAsyncReadyCallback           callback,
                        gpointer                      user_data)
{
  ScriptedResponder *self = SCRIPTED_RESPONDER (responder);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *text = self->replies[MIN (self->n_calls, self->n_replies - 1)];
  HearthWorkerReply *reply = g_new0 (HearthWorkerReply, 1);

  g_task_set_check_cancellable (task, FALSE);
  self->n_calls++;
  reply->text = g_strdup (text);
  reply->reason = HEARTH_STOP_EOG;
  reply->n_generated = 1;
  if (request->tools_json != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthJsonValue) tools = hearth_json_parse (request->tools_json, -1, &error);

      if (tools != NULL)
        reply->tool_calls = hearth_tool_calls_parse (text, -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
      if (error != NULL)
        {
          hearth_worker_reply_free (reply);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_pointer (task, reply, (GDestroyNotify) hearth_worker_reply_free);
}

static HearthWorkerReply *
scripted_respond_finish (HearthResponder *responder,
                         GAsyncResult    *result,
                         GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
scripted_is_ready (HearthResponder *responder)
{
  return TRUE;
}

static const char *
scripted_get_model (HearthResponder *responder)
{
  return "scripted";
}

static void
scripted_responder_iface_init (HearthResponderInterface *iface)
{
  iface->is_ready = scripted_is_ready;
  iface->get_model = scripted_get_model;
  iface->respond_async = scripted_respond_async;
  iface->respond_finish = scripted_respond_finish;
}

static void
scripted_responder_finalize (GObject *object)
{
  g_strfreev (SCRIPTED_RESPONDER (object)->replies);
  G_OBJECT_CLASS (scripted_responder_parent_class)->finalize (object);
}

static void
scripted_responder_class_init (ScriptedResponderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = scripted_responder_finalize;
}

static void
scripted_responder_init (ScriptedResponder *self)
{
}

static ScriptedResponder *
scripted_responder_new_from_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  ScriptedResponder *self;

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("hearth-ui-test-app: the script: %s", error->message);
  self = g_object_new (SCRIPTED_TYPE_RESPONDER, NULL);
  self->replies = g_strsplit (text, "\n%%\n", -1);
  self->n_replies = g_strv_length (self->replies);
  if (self->n_replies == 0)
    g_error ("hearth-ui-test-app: the script %s is empty", path);
  return self;
}

static void
runtime_ready (HearthWindow  *window,
               HearthRuntime *runtime,
               gpointer       user_data)
{
  hearth_runtime_set_responder (runtime, HEARTH_RESPONDER (user_data));
}

static void
window_added (GtkApplication *app,
              GtkWindow      *window,
              gpointer        user_data)
{
  if (HEARTH_IS_WINDOW (window))
    g_signal_connect_object (window, "runtime-ready", G_CALLBACK (runtime_ready), user_data, 0);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(HearthApplication) app = NULL;
  g_autoptr(ScriptedResponder) responder = NULL;
  const char *script = g_getenv ("HEARTH_UI_TEST_SCRIPT");

  if (script == NULL)
    {
      g_printerr ("hearth-ui-test-app: set HEARTH_UI_TEST_SCRIPT to the replies' file\n");
      return 2;
    }
  setlocale (LC_ALL, "");
  /* What the accessibility bus calls the app, as for the real one. */
  g_set_prgname ("hearth");
  responder = scripted_responder_new_from_file (script);
  app = hearth_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (window_added), responder);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
