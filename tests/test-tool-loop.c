/* test-tool-loop.c: the runtime's tool loop: approvals, the audit, stopping, the round limit, history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * No chat model here can call tools on purpose, so the runtime is driven by
 * ScriptedResponder, a HearthResponder whose replies are written below in
 * Hermes format and parsed by the engine's own hearth_tool_calls_parse()
 * against the tools the runtime offered. The tools are NoteTools, an
 * in-process HearthToolProvider in a real HearthToolRegistry. One case runs
 * the real engine worker on stories260K with a tool-aware chat template
 * and checks the rendered prompt exactly.
 */
#include "hearth-config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "hearth-runtime.h"
#include "hearth-test.h"
#include "hearth-thread.h"

#define PLUGIN_ID "test-tools"

/* ---- a responder that plays a script ---- */

#define SCRIPTED_TYPE_RESPONDER (scripted_responder_get_type ())
G_DECLARE_FINAL_TYPE (ScriptedResponder, scripted_responder, SCRIPTED, RESPONDER, GObject)

struct _ScriptedResponder
{
  GObject    parent_instance;
  GPtrArray *replies;  /* texts, played in turn; the last one repeats */
  guint      n_calls;
  GPtrArray *seen;     /* per call: the messages as one line each */
  char      *tools_json;
};

static void scripted_responder_iface_init (HearthResponderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ScriptedResponder, scripted_responder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_RESPONDER, scripted_responder_iface_init))

/* One line per message: "role: content", with the calls or the call answered. */
static char *
describe_messages (GPtrArray *messages)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      HearthWorkerMessage *m = g_ptr_array_index (messages, i);
      static const char *const roles[] = { "system", "user", "assistant", "tool" };

      g_string_append_printf (s, "%s: %s", roles[m->role], m->content);
      for (guint j = 0; m->tool_calls != NULL && j < hearth_tool_calls_get_n_calls (m->tool_calls); j++)
        {
          const HearthToolCall *c = hearth_tool_calls_get_call (m->tool_calls, j);
          g_autofree char *args = hearth_json_to_string (c->arguments, -1);

          g_string_append_printf (s, " [call %s %s %s]", c->id, c->name, args);
        }
      if (m->role == HEARTH_CHAT_ROLE_TOOL)
        g_string_append_printf (s, " [for %s %s]", m->tool_call_id, m->tool_name);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static void
scripted_respond_async (HearthResponder              *responder,
                        const HearthResponderRequest *request,
                        GCancellable                 *cancellable,
                        GAsyncReadyCallback           callback,
                        gpointer                      user_data)
{
  ScriptedResponder *self = SCRIPTED_RESPONDER (responder);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  HearthWorkerReply *reply = g_new0 (HearthWorkerReply, 1);
  const char *text = g_ptr_array_index (self->replies, MIN (self->n_calls, self->replies->len - 1));

  g_task_set_check_cancellable (task, FALSE);
  self->n_calls++;
  g_ptr_array_add (self->seen, describe_messages (request->messages));
  g_free (self->tools_json);
  self->tools_json = g_strdup (request->tools_json);
  reply->text = g_strdup (text);
  reply->reason = HEARTH_STOP_EOG;
  reply->n_generated = 3;
  if (request->tools_json != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HearthJsonValue) tools = hearth_json_parse (request->tools_json, -1, &error);

      hearth_assert_no_error (error);
      reply->tool_calls = hearth_tool_calls_parse (text, -1, HEARTH_TOOL_CALL_FORMAT_AUTO, tools, &error);
      hearth_assert_no_error (error);
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
  ScriptedResponder *self = SCRIPTED_RESPONDER (object);

  g_ptr_array_unref (self->replies);
  g_ptr_array_unref (self->seen);
  g_free (self->tools_json);
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
  self->replies = g_ptr_array_new_with_free_func (g_free);
  self->seen = g_ptr_array_new_with_free_func (g_free);
}

/* Replaces the script; the call count starts again. */
static void
script (ScriptedResponder *self,
        const char        *first,
        ...)
{
  va_list ap;

  g_ptr_array_set_size (self->replies, 0);
  g_ptr_array_set_size (self->seen, 0);
  self->n_calls = 0;
  va_start (ap, first);
  for (const char *r = first; r != NULL; r = va_arg (ap, const char *))
    g_ptr_array_add (self->replies, g_strdup (r));
  va_end (ap);
}

/* ---- tools: a clock, notes, one that fails, one that hangs ---- */

#define NOTE_TYPE_TOOLS (note_tools_get_type ())
G_DECLARE_FINAL_TYPE (NoteTools, note_tools, NOTE, TOOLS, GObject)

struct _NoteTools
{
  GObject  parent_instance;
  guint    n_notes;      /* write_note calls that ran */
  guint    n_cancelled;  /* hang calls stopped */
  gboolean hanging;      /* a hang call is running */
};

static void note_tools_iface_init (HearthToolProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NoteTools, note_tools, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (HEARTH_TYPE_TOOL_PROVIDER, note_tools_iface_init))

static GPtrArray *
note_tools_list (HearthToolProvider *provider)
{
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_tool_unref);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (tools, hearth_tool_new ("clock", "The time now", NULL, HEARTH_TOOL_EFFECT_READ_ONLY));
  g_ptr_array_add (tools, hearth_tool_new_from_json ("write_note", "Writes a note",
                                                     "{\"type\": \"object\", \"properties\": {\"text\":"
                                                     " {\"type\": \"string\"}}, \"required\": [\"text\"]}",
                                                     HEARTH_TOOL_EFFECT_SIDE_EFFECTS, &error));
  hearth_assert_no_error (error);
  g_ptr_array_add (tools, hearth_tool_new ("fail", "Always fails", NULL, HEARTH_TOOL_EFFECT_READ_ONLY));
  g_ptr_array_add (tools, hearth_tool_new ("hang", "Never ends", NULL, HEARTH_TOOL_EFFECT_READ_ONLY));
  return tools;
}

static gboolean
hang_cancelled (GCancellable *cancellable,
                gpointer      user_data)
{
  GTask *task = user_data;
  NoteTools *self = g_task_get_source_object (task);

  self->n_cancelled++;
  self->hanging = FALSE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  return G_SOURCE_REMOVE;
}

static void
note_tools_invoke_async (HearthToolProvider  *provider,
                         const char          *name,
                         JsonObject          *arguments,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  NoteTools *self = NOTE_TOOLS (provider);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_check_cancellable (task, FALSE);
  if (strcmp (name, "clock") == 0)
    g_task_return_pointer (task, hearth_tool_result_new_text ("12:00"), (GDestroyNotify) hearth_tool_result_unref);
  else if (strcmp (name, "write_note") == 0)
    {
      g_autofree char *text = g_strdup_printf ("saved: %s", json_object_get_string_member (arguments, "text"));

      self->n_notes++;
      g_task_return_pointer (task, hearth_tool_result_new_text (text), (GDestroyNotify) hearth_tool_result_unref);
    }
  else if (strcmp (name, "fail") == 0)
    g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED, "the disk is full");
  else
    {
      GSource *source = g_cancellable_source_new (cancellable);

      self->hanging = TRUE;
      g_source_set_callback (source, G_SOURCE_FUNC (hang_cancelled), g_object_ref (task), g_object_unref);
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
    }
}

static HearthToolResult *
note_tools_invoke_finish (HearthToolProvider  *provider,
                          GAsyncResult        *result,
                          GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
note_tools_iface_init (HearthToolProviderInterface *iface)
{
  iface->list_tools = note_tools_list;
  iface->invoke_async = note_tools_invoke_async;
  iface->invoke_finish = note_tools_invoke_finish;
}

static void
note_tools_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  g_value_set_object (value, NULL);
}

static void
note_tools_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
}

static void
note_tools_class_init (NoteToolsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = note_tools_get_property;
  object_class->set_property = note_tools_set_property;
  g_object_class_override_property (object_class, 1, "host");
}

static void
note_tools_init (NoteTools *self)
{
}

/* ---- the fixture: a store, a runtime, the registry, the script ---- */

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("test passphrase");
}

typedef struct
{
  char               *dir;
  HearthStore        *store;
  HearthRuntime      *rt;
  HearthToolRegistry *registry;
  NoteTools          *tools;
  ScriptedResponder  *responder;
  GPtrArray          *approvals;  /* HearthToolApproval asked, in order */
  GArray             *answers;    /* HearthToolDecision to give, in order; none left: wait */
  GPtrArray          *errors;
  gboolean            finished;
  gint64              finished_id;
  gboolean            stop_when_hanging;
} Loop;

static void
on_approval (HearthRuntime      *rt,
             HearthToolApproval *approval,
             Loop               *t)
{
  g_ptr_array_add (t->approvals, g_object_ref (approval));
  if (t->answers->len > 0)
    {
      HearthToolDecision d = g_array_index (t->answers, HearthToolDecision, 0);

      g_array_remove_index (t->answers, 0);
      /* Answered inside the signal, as the CLI does. */
      ck_assert (hearth_tool_approval_decide (approval, d));
    }
}

static void
on_finished (HearthRuntime *rt,
             gint64         conversation_id,
             gint64         message_id,
             Loop          *t)
{
  ck_assert (!hearth_runtime_get_busy (rt));
  t->finished = TRUE;
  t->finished_id = message_id;
}

static void
on_error (HearthRuntime *rt,
          const char    *message,
          Loop          *t)
{
  g_ptr_array_add (t->errors, g_strdup (message));
}

static HearthStore *
open_store (const char *dir)
{
  HearthStoreParams p;
  g_autoptr(GError) error = NULL;
  HearthStore *store;

  hearth_store_params_init (&p);
  p.data_dir = dir;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  hearth_assert_no_error (error);
  return store;
}

/* The fixture on the store in @dir (taken; NULL: a new temporary one). */
static Loop *
loop_new_in (char *dir)
{
  Loop *t = g_new0 (Loop, 1);
  g_autoptr(GError) error = NULL;

  t->dir = dir != NULL ? dir : g_dir_make_tmp ("hearth-tools-XXXXXX", NULL);
  t->store = open_store (t->dir);
  t->rt = hearth_runtime_new (t->store);
  t->registry = hearth_tool_registry_new ();
  t->tools = g_object_new (NOTE_TYPE_TOOLS, NULL);
  ck_assert (hearth_tool_registry_add_provider (t->registry, PLUGIN_ID, HEARTH_TOOL_PROVIDER (t->tools), &error));
  hearth_assert_no_error (error);
  t->responder = g_object_new (SCRIPTED_TYPE_RESPONDER, NULL);
  hearth_runtime_set_responder (t->rt, HEARTH_RESPONDER (t->responder));
  hearth_runtime_set_tool_registry (t->rt, t->registry);
  t->approvals = g_ptr_array_new_with_free_func (g_object_unref);
  t->answers = g_array_new (FALSE, FALSE, sizeof (HearthToolDecision));
  t->errors = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (t->rt, "approval-requested", G_CALLBACK (on_approval), t);
  g_signal_connect (t->rt, "reply-finished", G_CALLBACK (on_finished), t);
  g_signal_connect (t->rt, "error", G_CALLBACK (on_error), t);
  return t;
}

static Loop *
loop_new (void)
{
  return loop_new_in (NULL);
}

static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
loop_free (Loop *t)
{
  hearth_runtime_shutdown (t->rt);
  drain ();
  g_signal_handlers_disconnect_by_data (t->rt, t);
  g_object_unref (t->rt);
  drain ();
  g_object_unref (t->registry);
  g_object_unref (t->tools);
  g_object_unref (t->responder);
  g_object_unref (t->store);
  g_ptr_array_unref (t->approvals);
  g_array_unref (t->answers);
  g_ptr_array_unref (t->errors);
  hearth_test_rm_rf (t->dir);
  g_free (t->dir);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Loop, loop_free)

static void
answer (Loop              *t,
        HearthToolDecision d)
{
  g_array_append_val (t->answers, d);
}

/* Sends @text and runs the main loop until the reply is over, or until
 * @until returns TRUE. */
static void
send_and_wait (Loop       *t,
               const char *text,
               gboolean  (*until) (Loop *t))
{
  g_autoptr(GError) error = NULL;

  t->finished = FALSE;
  ck_assert (hearth_runtime_send (t->rt, text, &error));
  hearth_assert_no_error (error);
  while (!t->finished && (until == NULL || !until (t)))
    g_main_context_iteration (NULL, TRUE);
}

static GPtrArray *
audit (Loop *t)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = hearth_store_list_tool_audit (t->store, 0, &error);

  hearth_assert_no_error (error);
  return rows;
}

static void
assert_audit (HearthToolAuditEntry   *e,
              const char             *tool,
              const char             *call_id,
              const char             *arguments,
              HearthToolAuditDecision decision,
              const char             *decided_by,
              const char             *result,
              gboolean                is_error,
              gboolean                ran)
{
  ck_assert_str_eq (e->tool_name, tool);
  ck_assert_str_eq (e->call_id, call_id);
  ck_assert_str_eq (e->arguments_json, arguments);
  ck_assert_str_eq (hearth_tool_audit_decision_to_string (e->decision), hearth_tool_audit_decision_to_string (decision));
  ck_assert_str_eq (e->decided_by, decided_by);
  ck_assert_str_eq (e->result, result);
  ck_assert_int_eq (e->is_error, is_error);
  ck_assert_int_gt (e->finished, 0);
  if (ran)
    ck_assert (e->started > 0 && e->started <= e->finished);
  else
    ck_assert_int_eq (e->started, 0);
}

static HearthThreadItem *
item (Loop *t,
      guint i)
{
  HearthThreadItem *it = g_list_model_get_item (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)), i);

  ck_assert_ptr_nonnull (it);
  g_object_unref (it); /* the model keeps it */
  return it;
}

static guint
n_items (Loop *t)
{
  return g_list_model_get_n_items (G_LIST_MODEL (hearth_runtime_get_thread (t->rt)));
}

#define NOTE_CALL "<tool_call>{\"name\": \"write_note\", \"arguments\": {\"text\": \"buy milk\"}}</tool_call>"
#define DENIED "Error: the user denied this call of write_note; it did not run."

/* ---- cases ---- */

/* A read-only tool runs without asking; its result goes back to the model,
 * every step is stored and the thread shows it. */
START_TEST (test_read_only_runs)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *offered = hearth_tool_registry_dup_template_tools (t->registry, NULL, &error);
  HearthThreadItem *it;

  script (t->responder, "Let me look.<tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>",
          "It is noon.", NULL);
  send_and_wait (t, "What time is it?", NULL);

  ck_assert_uint_eq (t->approvals->len, 0);
  ck_assert_uint_eq (t->errors->len, 0);
  ck_assert_uint_eq (t->responder->n_calls, 2);
  /* Every tool was offered, as the registry writes them for templates. */
  ck_assert_str_eq (t->responder->tools_json, offered);
  ck_assert_str_eq (g_ptr_array_index (t->responder->seen, 0), "user: What time is it?\n");
  ck_assert_str_eq (g_ptr_array_index (t->responder->seen, 1),
                    "user: What time is it?\n"
                    "assistant: Let me look. [call call_1_1 clock {}]\n"
                    "tool: 12:00 [for call_1_1 clock]\n");

  ck_assert_uint_eq (n_items (t), 4);
  it = item (t, 1);
  ck_assert_int_eq (hearth_thread_item_get_role (it), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_str_eq (hearth_thread_item_get_text (it), "Let me look.");
  ck_assert_str_eq (hearth_thread_item_get_tool_calls (it), "[{\"id\": \"call_1_1\", \"name\": \"clock\", \"arguments\": {}}]");
  ck_assert_ptr_null (hearth_thread_item_get_tool_name (it));
  it = item (t, 2);
  ck_assert_int_eq (hearth_thread_item_get_role (it), HEARTH_MESSAGE_ROLE_TOOL);
  {
    g_autofree char *name = NULL, *args = NULL, *decision = NULL, *result = NULL;
    gboolean is_error = TRUE;

    g_object_get (it, "tool-name", &name, "tool-arguments", &args, "tool-decision", &decision,
                  "tool-result", &result, "tool-is-error", &is_error, NULL);
    ck_assert_str_eq (name, "clock");
    ck_assert_str_eq (args, "{}");
    ck_assert_str_eq (decision, "read-only");
    ck_assert_str_eq (result, "12:00");
    ck_assert (!is_error);
  }
  it = item (t, 3);
  ck_assert_str_eq (hearth_thread_item_get_text (it), "It is noon.");
  ck_assert_int_eq (t->finished_id, hearth_thread_item_get_id (it));

  rows = audit (t);
  ck_assert_uint_eq (rows->len, 1);
  assert_audit (g_ptr_array_index (rows, 0), "clock", "call_1_1", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "12:00", FALSE, TRUE);
  ck_assert_str_eq (((HearthToolAuditEntry *) g_ptr_array_index (rows, 0))->plugin_id, PLUGIN_ID);
  ck_assert_int_eq (((HearthToolAuditEntry *) g_ptr_array_index (rows, 0))->message_id, hearth_thread_item_get_id (item (t, 1)));
  ck_assert_int_eq (((HearthToolAuditEntry *) g_ptr_array_index (rows, 0))->result_message_id,
                    hearth_thread_item_get_id (item (t, 2)));
}
END_TEST

/* Only the enabled tools are offered; a call of another is not run. */
START_TEST (test_enabled_tools)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  const char *const only_clock[] = { "clock", "gone", NULL };

  hearth_runtime_set_enabled_tools (t->rt, only_clock);
  script (t->responder, NOTE_CALL, "ok", NULL);
  send_and_wait (t, "Note it", NULL);
  ck_assert_str_eq (t->responder->tools_json,
                    "[{\"type\":\"function\",\"function\":{\"name\":\"clock\",\"description\":\"The time now\","
                    "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]");
  ck_assert_uint_eq (t->approvals->len, 0);
  ck_assert_uint_eq (t->tools->n_notes, 0);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 1);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_INVALID, "runtime", "Error: the call was not run: unknown tool 'write_note'",
                TRUE, FALSE);
}
END_TEST

/* A tool with side effects asks; Deny runs nothing and the model reads why. */
START_TEST (test_deny)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  HearthToolApproval *a;

  answer (t, HEARTH_TOOL_DECISION_DENY);
  script (t->responder, NOTE_CALL, "Fine, I did not.", NULL);
  send_and_wait (t, "Note: buy milk", NULL);

  ck_assert_uint_eq (t->approvals->len, 1);
  a = g_ptr_array_index (t->approvals, 0);
  ck_assert_str_eq (hearth_tool_approval_get_tool_name (a), "write_note");
  ck_assert_str_eq (hearth_tool_approval_get_plugin_id (a), PLUGIN_ID);
  ck_assert_str_eq (hearth_tool_approval_get_description (a), "Writes a note");
  ck_assert_str_eq (hearth_tool_approval_get_effects_text (a), "side-effects");
  ck_assert_int_eq (hearth_tool_approval_get_effects (a), HEARTH_TOOL_EFFECT_SIDE_EFFECTS);
  ck_assert_str_eq (hearth_tool_approval_get_arguments (a), "{\n  \"text\" : \"buy milk\"\n}");
  ck_assert_int_eq (hearth_tool_approval_get_conversation_id (a), hearth_runtime_get_conversation_id (t->rt));
  ck_assert (!hearth_tool_approval_get_pending (a));
  /* Decided once. */
  ck_assert (!hearth_tool_approval_decide (a, HEARTH_TOOL_DECISION_ALLOW_ONCE));

  ck_assert_uint_eq (t->tools->n_notes, 0);
  ck_assert_uint_eq (t->responder->n_calls, 2);
  ck_assert_str_eq (g_ptr_array_index (t->responder->seen, 1),
                    "user: Note: buy milk\n"
                    "assistant:  [call call_1_1 write_note {\"text\": \"buy milk\"}]\n"
                    "tool: " DENIED " [for call_1_1 write_note]\n");
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 1);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_DENIED, "user", DENIED, TRUE, FALSE);
  ck_assert_str_eq (hearth_thread_item_get_tool_decision (item (t, 2)), "denied");
  ck_assert (hearth_thread_item_get_tool_is_error (item (t, 2)));
}
END_TEST

/* Allow once runs once, and the next call asks again. */
START_TEST (test_allow_once)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;

  answer (t, HEARTH_TOOL_DECISION_ALLOW_ONCE);
  answer (t, HEARTH_TOOL_DECISION_ALLOW_ONCE);
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Note: buy milk", NULL);
  script (t->responder, NOTE_CALL, "Saved again.", NULL);
  send_and_wait (t, "Once more", NULL);

  ck_assert_uint_eq (t->approvals->len, 2);
  ck_assert_uint_eq (t->tools->n_notes, 2);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 2);
  for (guint i = 0; i < 2; i++)
    assert_audit (g_ptr_array_index (rows, i), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                  HEARTH_TOOL_AUDIT_ALLOWED_ONCE, "user", "saved: buy milk", FALSE, TRUE);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = hearth_store_list_tool_approvals (t->store, NULL);
  ck_assert_uint_eq (rows->len, 0);
  ck_assert_str_eq (hearth_thread_item_get_text (item (t, n_items (t) - 1)), "Saved again.");
}
END_TEST

/* Allow in this conversation: not asked again there, asked in another. */
START_TEST (test_allow_conversation)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) rules = NULL;
  gint64 first;

  answer (t, HEARTH_TOOL_DECISION_ALLOW_CONVERSATION);
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Note: buy milk", NULL);
  first = hearth_runtime_get_conversation_id (t->rt);
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Again", NULL);
  ck_assert_uint_eq (t->approvals->len, 1);

  ck_assert (hearth_runtime_set_conversation_id (t->rt, 0, NULL));
  answer (t, HEARTH_TOOL_DECISION_DENY);
  script (t->responder, NOTE_CALL, "Not saved.", NULL);
  send_and_wait (t, "Elsewhere", NULL);
  ck_assert_uint_eq (t->approvals->len, 2);
  ck_assert_uint_eq (t->tools->n_notes, 2);

  rules = hearth_store_list_tool_approvals (t->store, NULL);
  ck_assert_uint_eq (rules->len, 1);
  ck_assert_str_eq (((HearthToolApprovalRule *) g_ptr_array_index (rules, 0))->tool_name, "write_note");
  ck_assert_int_eq (((HearthToolApprovalRule *) g_ptr_array_index (rules, 0))->conversation_id, first);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 3);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION, "user", "saved: buy milk", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 1), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION, "remembered", "saved: buy milk", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 2), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_DENIED, "user", DENIED, TRUE, FALSE);
  ck_assert_int_eq (((HearthToolAuditEntry *) g_ptr_array_index (rows, 1))->conversation_id, first);
  ck_assert_int_ne (((HearthToolAuditEntry *) g_ptr_array_index (rows, 2))->conversation_id, first);
}
END_TEST

/* Always allow: remembered in the store, for every conversation, until revoked. */
START_TEST (test_allow_always)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  answer (t, HEARTH_TOOL_DECISION_ALLOW_ALWAYS);
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Note: buy milk", NULL);
  ck_assert_int_eq (hearth_store_get_tool_approval (t->store, "write_note", 12345, NULL), HEARTH_TOOL_APPROVAL_ALWAYS);

  /* A new runtime over the same store (the app restarted): still allowed. */
  ck_assert (hearth_runtime_set_conversation_id (t->rt, 0, NULL));
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Elsewhere", NULL);
  ck_assert_uint_eq (t->approvals->len, 1);
  ck_assert_uint_eq (t->tools->n_notes, 2);

  ck_assert (hearth_store_revoke_tool_approval (t->store, "write_note", 0, &error));
  hearth_assert_no_error (error);
  answer (t, HEARTH_TOOL_DECISION_DENY);
  script (t->responder, NOTE_CALL, "Not saved.", NULL);
  send_and_wait (t, "After revoking", NULL);
  ck_assert_uint_eq (t->approvals->len, 2);
  ck_assert_uint_eq (t->tools->n_notes, 2);

  rows = audit (t);
  ck_assert_uint_eq (rows->len, 3);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_ALLOWED_ALWAYS, "user", "saved: buy milk", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 1), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_ALLOWED_ALWAYS, "remembered", "saved: buy milk", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 2), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_DENIED, "user", DENIED, TRUE, FALSE);
}
END_TEST

/* The CLI's --approve yes / no: nobody is asked. */
START_TEST (test_policy)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;

  hearth_runtime_set_approval_policy (t->rt, HEARTH_TOOL_APPROVAL_POLICY_ALLOW_ALL);
  script (t->responder, NOTE_CALL, "Saved.", NULL);
  send_and_wait (t, "Note: buy milk", NULL);
  hearth_runtime_set_approval_policy (t->rt, HEARTH_TOOL_APPROVAL_POLICY_DENY_ALL);
  script (t->responder, NOTE_CALL "<tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>", "No.", NULL);
  send_and_wait (t, "Again", NULL);

  ck_assert_uint_eq (t->approvals->len, 0);
  ck_assert_uint_eq (t->tools->n_notes, 1);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 3);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_ALLOWED_ONCE, "policy", "saved: buy milk", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 1), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_DENIED, "policy", DENIED, TRUE, FALSE);
  /* Read-only tools still run. */
  assert_audit (g_ptr_array_index (rows, 2), "clock", "call_1_2", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "12:00", FALSE, TRUE);
}
END_TEST

/* Arguments that do not fit the schema: an error result, nothing runs,
 * nobody is asked; a tool that fails: its error is the result. */
START_TEST (test_invalid_and_failing)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;

  script (t->responder,
          "<tool_call>{\"name\": \"write_note\", \"arguments\": {\"text\": 5}}</tool_call>"
          "<tool_call>{\"name\": \"fail\", \"arguments\": {}}</tool_call>",
          "Sorry.", NULL);
  send_and_wait (t, "Try", NULL);
  ck_assert_uint_eq (t->approvals->len, 0);
  ck_assert_uint_eq (t->tools->n_notes, 0);
  ck_assert_uint_eq (t->responder->n_calls, 2);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 2);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": 5}", HEARTH_TOOL_AUDIT_INVALID,
                "runtime", "Error: the call was not run: tool 'write_note': argument 'text' must be string, not integer",
                TRUE, FALSE);
  assert_audit (g_ptr_array_index (rows, 1), "fail", "call_1_2", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "Error: Tool “fail” (plugin “test-tools”) failed: the disk is full", TRUE, TRUE);
  ck_assert_str_eq (g_ptr_array_index (t->responder->seen, 1),
                    "user: Try\n"
                    "assistant:  [call call_1_1 write_note {\"text\": 5}] [call call_1_2 fail {}]\n"
                    "tool: Error: the call was not run: tool 'write_note': argument 'text' must be string, not integer"
                    " [for call_1_1 write_note]\n"
                    "tool: Error: Tool “fail” (plugin “test-tools”) failed: the disk is full [for call_1_2 fail]\n");
}
END_TEST

static gboolean
is_hanging (Loop *t)
{
  return t->tools->hanging;
}

/* Stop while a tool hangs: the tool is cancelled, what there was is
 * stored, the calls after it are marked not run, and the model is not
 * asked again. */
START_TEST (test_stop_hanging_tool)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;

  script (t->responder,
          "<tool_call>{\"name\": \"hang\", \"arguments\": {}}</tool_call>"
          "<tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>",
          "never", NULL);
  send_and_wait (t, "Hang", is_hanging);
  ck_assert (hearth_runtime_get_busy (t->rt));
  ck_assert (!t->finished);
  hearth_runtime_stop (t->rt);
  while (!t->finished)
    g_main_context_iteration (NULL, TRUE);

  ck_assert_uint_eq (t->tools->n_cancelled, 1);
  ck_assert_uint_eq (t->responder->n_calls, 1);
  ck_assert (!hearth_runtime_get_busy (t->rt));
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 2);
  assert_audit (g_ptr_array_index (rows, 0), "hang", "call_1_1", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "Error: the user stopped this call.", TRUE, TRUE);
  assert_audit (g_ptr_array_index (rows, 1), "clock", "call_1_2", "{}", HEARTH_TOOL_AUDIT_NOT_RUN, "stopped",
                "Error: not run: the user stopped the reply.", TRUE, FALSE);
  ck_assert_uint_eq (n_items (t), 4);
  ck_assert_int_eq (t->finished_id, hearth_thread_item_get_id (item (t, 3)));
}
END_TEST

static gboolean
is_asking (Loop *t)
{
  return t->approvals->len > 0;
}

/* Stop while the user is asked: the question is withdrawn, nothing runs. */
START_TEST (test_stop_while_asking)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;
  HearthToolApproval *a;

  script (t->responder, NOTE_CALL, "never", NULL);
  send_and_wait (t, "Note: buy milk", is_asking);
  a = g_ptr_array_index (t->approvals, 0);
  ck_assert (hearth_tool_approval_get_pending (a));
  ck_assert (hearth_runtime_get_busy (t->rt));
  hearth_runtime_stop (t->rt);
  ck_assert (!hearth_tool_approval_get_pending (a));
  ck_assert (!hearth_tool_approval_decide (a, HEARTH_TOOL_DECISION_ALLOW_ONCE));
  while (!t->finished)
    g_main_context_iteration (NULL, TRUE);
  ck_assert_uint_eq (t->tools->n_notes, 0);
  ck_assert_uint_eq (t->responder->n_calls, 1);
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 1);
  assert_audit (g_ptr_array_index (rows, 0), "write_note", "call_1_1", "{\"text\": \"buy milk\"}",
                HEARTH_TOOL_AUDIT_NOT_RUN, "stopped", "Error: not run: the user stopped the reply.", TRUE, FALSE);
}
END_TEST

/* A model that keeps calling tools is stopped after the bound, with a note. */
START_TEST (test_round_limit)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GPtrArray) rows = NULL;

  hearth_runtime_set_max_tool_rounds (t->rt, 3);
  script (t->responder, "<tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>", NULL);
  send_and_wait (t, "Loop", NULL);
  ck_assert_uint_eq (t->responder->n_calls, 3);
  ck_assert_uint_eq (t->errors->len, 1);
  ck_assert_str_eq (g_ptr_array_index (t->errors, 0), "The reply was stopped after 3 rounds of tool calls");
  rows = audit (t);
  ck_assert_uint_eq (rows->len, 3);
  assert_audit (g_ptr_array_index (rows, 0), "clock", "call_1_1", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "12:00", FALSE, TRUE);
  assert_audit (g_ptr_array_index (rows, 2), "clock", "call_3_1", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "12:00", FALSE, TRUE);
  /* user, then three rounds of call and result. */
  ck_assert_uint_eq (n_items (t), 7);
  ck_assert_int_eq (hearth_thread_item_get_role (item (t, 6)), HEARTH_MESSAGE_ROLE_TOOL);
  ck_assert (!hearth_runtime_get_busy (t->rt));
}
END_TEST

/* ---- the real engine worker: tools and tool history in the rendered prompt ---- */

/* A template that shows every part of a tool conversation. */
#define TOOL_TEMPLATE \
  "{%- for t in tools %}{{ t.function.name }}/{{ t.function.parameters.type }};{% endfor %}" \
  "{%- for m in messages %}{{ m.role[0] }}:{{ m.content }}" \
  "{%- for c in m.tool_calls %}[{{ c.id }} {{ c.function.name }}{{ c.function.arguments | tojson }}]{% endfor %}" \
  "{%- if m.tool_call_id %}[{{ m.tool_call_id }} {{ m.name }}]{% endif %}{% endfor -%}" \
  "{%- if add_generation_prompt %}a:{% endif %}"

/* stories260K with TOOL_TEMPLATE as its chat template, in @dir. */
static char *
write_model_with_template (const char *dir)
{
  g_autofree char *src_path = hearth_test_data_path ("models", "stories260K", "stories260K-f32.gguf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthGguf) src = hearth_gguf_open (src_path, &error);
  g_autoptr(HearthGgufWriter) w = hearth_gguf_writer_new ();
  char *path = g_build_filename (dir, "tools.gguf", NULL);

  hearth_assert_no_error (error);
  hearth_gguf_writer_copy_metadata (w, src);
  hearth_gguf_writer_add_string (w, "tokenizer.chat_template", TOOL_TEMPLATE);
  for (guint64 i = 0; i < hearth_gguf_get_n_tensors (src); i++)
    {
      const HearthGgufTensor *tn = hearth_gguf_get_tensor (src, i);
      guint64 ne[4] = { tn->ne[0], tn->ne[1], tn->ne[2], tn->ne[3] };

      ck_assert (hearth_gguf_writer_add_tensor (w, tn->name, tn->type, tn->n_dims, ne, tn->data, &error));
    }
  ck_assert_msg (hearth_gguf_writer_write_file (w, path, &error), "%s", error ? error->message : "");
  return path;
}

static void
on_async (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_async (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* A conversation with a tool round, read back from the store by a fresh
 * thread model (as after a restart), goes to the real engine worker with
 * the enabled tools: the template renders the tools, the calls with their
 * ids and arguments, and the results, exactly. */
START_TEST (test_worker_renders_tools_and_history)
{
  g_autoptr(Loop) t = loop_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *model = write_model_with_template (t->dir);
  g_autoptr(HearthTokenBatcher) batcher = hearth_token_batcher_new (NULL, 24, NULL, NULL);
  g_autoptr(HearthEngineWorker) worker = hearth_engine_worker_new (batcher);
  g_autoptr(HearthThreadModel) thread = hearth_thread_model_new (t->store);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GAsyncResult) replied = NULL;
  g_autoptr(HearthWorkerReply) reply = NULL;
  g_autofree char *tools_json = NULL;
  const char *const enabled[] = { "clock", NULL };
  HearthWorkerLoadParams lp = { 0 };
  HearthSamplerParams sp;
  HearthResponderRequest request = { 0 };

  answer (t, HEARTH_TOOL_DECISION_ALLOW_ONCE);
  script (t->responder,
          "<tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>"
          "<tool_call>{\"name\": \"write_note\", \"arguments\": {\"text\": \"x\"}}</tool_call>",
          "Noon.", NULL);
  send_and_wait (t, "Time?", NULL);

  ck_assert (hearth_thread_model_set_conversation (thread, hearth_runtime_get_conversation_id (t->rt), &error));
  hearth_assert_no_error (error);
  messages = hearth_thread_to_worker_messages (G_LIST_MODEL (thread), g_list_model_get_n_items (G_LIST_MODEL (thread)));
  ck_assert_uint_eq (messages->len, 5);
  tools_json = hearth_tool_registry_dup_template_tools (t->registry, enabled, &error);
  hearth_assert_no_error (error);

  lp.backend = HEARTH_BACKEND_CPU;
  lp.n_threads = 1;
  hearth_engine_worker_load_async (worker, model, &lp, on_async, &loaded);
  ck_assert (hearth_engine_worker_load_finish (worker, wait_async (&loaded), &error));
  hearth_assert_no_error (error);

  hearth_sampler_params_init (&sp);
  sp.temperature = 0.0f;
  request.generation = hearth_token_batcher_begin (batcher);
  request.system_prompt = NULL;
  request.messages = messages;
  request.tools_json = tools_json;
  request.sampler = &sp;
  request.max_tokens = 1;
  request.want_prompt = TRUE;
  hearth_responder_respond_async (HEARTH_RESPONDER (worker), &request, NULL, on_async, &replied);
  reply = hearth_responder_respond_finish (HEARTH_RESPONDER (worker), wait_async (&replied), &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (reply->prompt,
                    "clock/object;"
                    "u:Time?"
                    "a:[call_1_1 clock{}][call_1_2 write_note{\"text\": \"x\"}]"
                    "t:12:00[call_1_1 clock]"
                    "t:saved: x[call_1_2 write_note]"
                    "a:Noon."
                    "a:");
  /* Tools were offered: the reply's calls were looked for (none in one token). */
  ck_assert_ptr_nonnull (reply->tool_calls);
  ck_assert_uint_eq (hearth_tool_calls_get_n_calls (reply->tool_calls), 0);
  hearth_engine_worker_shutdown (worker);
  drain ();
}
END_TEST

/* ---- kill -9 during a tool call ---- */

#define KILL_ENV "HEARTH_TEST_TOOL_LOOP_KILL_DIR"

/* The child's part of test_kill_during_tool, run by check in the child
 * process (its assertions need a running test): a reply calls the clock
 * (it runs and is stored), the next one calls a tool that hangs; once it
 * hangs the child says so on stdout and waits to be killed. */
START_TEST (kill_child)
{
  Loop *t = loop_new_in (g_strdup (g_getenv (KILL_ENV)));

  script (t->responder,
          "Let me look. <tool_call>{\"name\": \"clock\", \"arguments\": {}}</tool_call>",
          "And wait. <tool_call>{\"name\": \"hang\", \"arguments\": {}}</tool_call>",
          "never", NULL);
  send_and_wait (t, "What time is it?", is_hanging);
  printf ("hanging\n");
  fflush (stdout);
  for (;;)
    g_main_context_iteration (NULL, TRUE);
}
END_TEST

/* A process killed with SIGKILL while a tool runs loses nothing it had
 * committed: the user's message, both assistant turns with their calls and
 * the clock's result are there after a reopen, with the clock's audit row,
 * and the database passes its integrity check. */
START_TEST (test_kill_during_tool)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-tools-kill-XXXXXX", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { self_exe, NULL };
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), KILL_ENV, dir, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) convs = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  char line[64] = { 0 };
  GPid pid;
  int out_fd, status;
  FILE *out;
  HearthMessage *m;

  envp = g_environ_setenv (envp, "CK_FORK", "no", TRUE);
  ck_assert (g_spawn_async_with_pipes (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                       &pid, NULL, &out_fd, NULL, &error));
  hearth_assert_no_error (error);
  out = fdopen (out_fd, "r");
  /* (check says what it runs first.) */
  while (fgets (line, sizeof line, out) != NULL && strcmp (line, "hanging\n") != 0)
    ;
  ck_assert_str_eq (line, "hanging\n");
  ck_assert_int_eq (kill (pid, SIGKILL), 0);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  fclose (out);
  g_spawn_close_pid (pid);

  store = open_store (dir);
  ck_assert (hearth_store_check_integrity (store, &error));
  hearth_assert_no_error (error);
  convs = hearth_store_list_conversations (store, HEARTH_STORE_LIST_ALL, 0, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (convs->len, 1);
  thread = hearth_store_get_thread (store, hearth_conversation_get_id (g_ptr_array_index (convs, 0)), 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (thread->len, 4);
  m = g_ptr_array_index (thread, 0);
  ck_assert_int_eq (hearth_message_get_role (m), HEARTH_MESSAGE_ROLE_USER);
  ck_assert_str_eq (hearth_message_get_content (m), "What time is it?");
  m = g_ptr_array_index (thread, 1);
  ck_assert_int_eq (hearth_message_get_role (m), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_str_eq (hearth_message_get_content (m), "Let me look.");
  ck_assert_str_eq (hearth_message_get_tool_calls_json (m),
                    "[{\"id\": \"call_1_1\", \"name\": \"clock\", \"arguments\": {}}]");
  m = g_ptr_array_index (thread, 2);
  ck_assert_int_eq (hearth_message_get_role (m), HEARTH_MESSAGE_ROLE_TOOL);
  ck_assert_str_eq (hearth_message_get_content (m), "12:00");
  ck_assert_str_eq (hearth_message_get_tool_call_id (m), "call_1_1");
  m = g_ptr_array_index (thread, 3);
  ck_assert_int_eq (hearth_message_get_role (m), HEARTH_MESSAGE_ROLE_ASSISTANT);
  ck_assert_str_eq (hearth_message_get_content (m), "And wait.");
  ck_assert_str_eq (hearth_message_get_tool_calls_json (m),
                    "[{\"id\": \"call_2_1\", \"name\": \"hang\", \"arguments\": {}}]");
  rows = hearth_store_list_tool_audit (store, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rows->len, 1);
  assert_audit (g_ptr_array_index (rows, 0), "clock", "call_1_1", "{}", HEARTH_TOOL_AUDIT_READ_ONLY, "runtime",
                "12:00", FALSE, TRUE);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
}
END_TEST

static Suite *
tool_loop_suite (void)
{
  Suite *s = suite_create ("tool-loop");
  TCase *tc = tcase_create ("scripted");

  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_read_only_runs);
  tcase_add_test (tc, test_enabled_tools);
  tcase_add_test (tc, test_deny);
  tcase_add_test (tc, test_allow_once);
  tcase_add_test (tc, test_allow_conversation);
  tcase_add_test (tc, test_allow_always);
  tcase_add_test (tc, test_policy);
  tcase_add_test (tc, test_invalid_and_failing);
  tcase_add_test (tc, test_stop_hanging_tool);
  tcase_add_test (tc, test_stop_while_asking);
  tcase_add_test (tc, test_round_limit);
  tcase_add_test (tc, test_kill_during_tool);
  suite_add_tcase (s, tc);

  tc = tcase_create ("engine");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_worker_renders_tools_and_history);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  if (g_getenv (KILL_ENV) != NULL)
    {
      Suite *s = suite_create ("kill-child");
      TCase *tc = tcase_create ("child");

      tcase_add_test (tc, kill_child);
      suite_add_tcase (s, tc);
      return hearth_test_run (s);
    }
  return hearth_test_run (tool_loop_suite ());
}
