/* hearth-runtime.h: the conversation runtime every front end drives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One HearthRuntime owns what a conversation needs below the views: the
 * engine thread with the loaded model, the store, and the way from a user's
 * message to a stored reply (send -> store -> generate -> store). The GTK
 * window, `hearth-cli chat` and later the API server drive it the same way,
 * and the tool loop and retrieval plug in here.
 *
 * Threading: a runtime belongs to the thread-default main context it was
 * created in (the "owner"); call it, and read its properties, only there.
 * Properties notify and signals are emitted there. The engine works on its
 * own thread; its streamed text reaches the owner in batches (at most one
 * pending idle source, see hearth-token-batcher.h).
 *
 * Conversations: the runtime shows one conversation at a time
 * (:conversation-id, 0 for a new chat not stored yet). Its branch on show
 * is the list model hearth_runtime_get_thread(); the reply being generated
 * is the last item of that model while it streams, replaced by the stored
 * message when it completes. A reply is stored as soon as it completes, or
 * is stopped, or the GPU device is lost, before :busy turns FALSE.
 *
 * Tools: with a tool registry set, every reply is offered the enabled
 * tools (the template's `tools`). A reply that calls tools is stored with
 * its calls (an assistant message whose tool_calls_json lists them, ids
 * given to calls that came without); then each call, in order:
 *   - arguments that did not fit the tool's schema (or a tool gone): an
 *     error result, nothing runs (audit "invalid");
 *   - a read-only tool (hearth_tool_effects_need_approval() FALSE) runs
 *     ("read-only");
 *   - the approval policy DENY_ALL denies, ALLOW_ALL runs ("denied" or
 *     "allowed-once", decided by "policy");
 *   - an approval remembered for the conversation or always runs;
 *   - otherwise "approval-requested" hands the front end a
 *     HearthToolApproval and the loop waits for its decision (DENY: an
 *     error result telling the model the user denied it; ALLOW_ONCE; ALLOW_
 *     CONVERSATION and ALLOW_ALWAYS also remember it in the store).
 * A call that runs goes through the registry (its validation and timeout;
 * the reply's cancellable). Each result is stored as a tool message under
 * the previous message, with its audit row, in one transaction; then the
 * model is asked again with the results. At most :max-tool-rounds rounds
 * of calls per reply: past that the loop ends with the "error" signal
 * saying so. Stop cancels the running tool (its result says it was
 * stopped) or withdraws the question, gives every call not run a "not
 * run" result, and ends the reply. :busy is TRUE throughout.
 *
 * Remote models: a conversation is answered by the local model or by a
 * remote provider (hearth-remote-provider.h), chosen per conversation
 * (hearth_runtime_set_model_source; stored as its model "remote:NAME").
 * :remote-host says, before anything is sent, that the conversation on
 * show leaves the machine and for where. A remote reply streams, stops,
 * calls tools (run here, with the same approvals) like a local one; a
 * server failure before any text is the "error" signal; after some text
 * the partial reply is stored, marked stopped with the failure (see
 * hearth_thread_settings_dup_failure), and "error" says why.
 *
 * Documents: a conversation may have collections of documents attached
 * (hearth_runtime_set_collections; kept in the store). A reply in such a
 * conversation first searches them for the user's message it answers,
 * with every retriever added (hearth_runtime_add_retriever: Hearth's own
 * document index, hearth-doc-retriever.h, and any plugin's HearthRetriever
 * alike; a retriever that does not have a collection answers NOT_FOUND).
 * The searches run off this thread; :busy is TRUE meanwhile and Stop
 * cancels them. The best :retrieval-limit passages (5 by default) of all
 * become numbered sources in a block beside the system prompt, with the
 * instruction to cite [n] (hearth-reply-sources.h); no passage above the
 * retrievers' relevance floors gives the notice "no relevant passage
 * found in the attached documents" instead. The user's message is stored
 * as typed; the reply is stored with its sources
 * (hearth_message_get_sources_json: "[]" when nothing was found, NULL when
 * no documents were attached). A collection no retriever could search is
 * said by the "error" signal; the reply goes on without it.
 *
 * Properties (read-only, notify): model-loaded, loading, model-path,
 * backend, device-lost, busy, tokens-per-second, context-used,
 * context-size, conversation-id, remote-provider, remote-host.
 * Signals:
 *   reply-finished (gint64 conversation_id, gint64 message_id): a reply
 *     ended and was stored as @message_id (0: nothing worth storing; with
 *     tools: the last message it stored, maybe a tool result); emitted
 *     after :busy turned FALSE;
 *   approval-requested (HearthToolApproval *approval): a tool call waits
 *     for hearth_tool_approval_decide() (see hearth-tool-approval.h);
 *   error (const char *message): something failed with nobody to return
 *     the error to (the model could not reply, a reply could not be saved);
 *   passages-sent (guint n_passages, const char *host): a reply on a remote
 *     model is about to send @n_passages passages of the attached documents
 *     to @host with its prompt (once per reply, before the request; the
 *     rest of the documents never leaves the machine).
 */
#pragma once

#include <gio/gio.h>

#include "hearth-engine.h"
#include "hearth-conversation-list.h"
#include "hearth-engine-worker.h"
#include "hearth-model-registry.h"
#include "hearth-responder.h"
#include "hearth-store.h"
#include "hearth-thread-model.h"
#include "hearth-tool-approval.h"
#include "hearth-tool-registry.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_RUNTIME (hearth_runtime_get_type ())
G_DECLARE_FINAL_TYPE (HearthRuntime, hearth_runtime, HEARTH, RUNTIME, GObject)

/* @store is required. */
HearthRuntime *hearth_runtime_new (HearthStore *store);

HearthStore            *hearth_runtime_get_store         (HearthRuntime *self);
/* Every conversation (not archived), pinned first then newest. NULL when
 * the store could not list them (a warning said why). */
HearthConversationList *hearth_runtime_get_conversations (HearthRuntime *self);
/* The branch on show of :conversation-id (HearthThreadItem). */
HearthThreadModel      *hearth_runtime_get_thread        (HearthRuntime *self);
/* NULL when the store could not read it (a warning said why). */
HearthModelRegistry    *hearth_runtime_get_models        (HearthRuntime *self);

/* ---- the model ---- */

/* Loads @path on the engine thread (:loading until done), replacing the
 * model loaded now; a reply in progress is stopped first. On success the
 * model is noted in the registry as used now. Errors come back through
 * @callback, the properties stay those of "no model". */
void     hearth_runtime_load_model        (HearthRuntime                *self,
                                           const char                   *path,
                                           const HearthWorkerLoadParams *params,
                                           GCancellable                 *cancellable,
                                           GAsyncReadyCallback           callback,
                                           gpointer                      user_data);
gboolean hearth_runtime_load_model_finish (HearthRuntime *self,
                                           GAsyncResult  *result,
                                           GError       **error);
/* The last model that loaded, with the same settings (after a lost
 * device); @on_cpu: on the CPU this time. FALSE when none has loaded. */
gboolean hearth_runtime_reload_model      (HearthRuntime      *self,
                                           gboolean            on_cpu,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
void     hearth_runtime_unload_model      (HearthRuntime *self);

gboolean    hearth_runtime_get_model_loaded  (HearthRuntime *self);
gboolean    hearth_runtime_get_loading       (HearthRuntime *self);
/* The file loaded (or loading); NULL when none. */
const char *hearth_runtime_get_model_path    (HearthRuntime *self);
const char *hearth_runtime_get_backend       (HearthRuntime *self);
/* A reference on the loaded model, the weights replies run on, for other
 * sessions on the same copy (the local API server); NULL when none. */
HearthModel *hearth_runtime_dup_model        (HearthRuntime *self);
/* Why the GPU device was lost (the engine's words); NULL unless it was,
 * until the next load. The model is unloaded then. */
const char *hearth_runtime_get_device_lost   (HearthRuntime *self);
/* The backend of the last model that loaded (for "Use CPU" offers). */
gboolean    hearth_runtime_get_last_load     (HearthRuntime          *self,
                                              const char            **path,
                                              HearthWorkerLoadParams *params);

/* ---- generation settings ---- */

/* Used by every reply started after the call. seed 0: a new one each reply. */
void hearth_runtime_set_sampler_params (HearthRuntime             *self,
                                        const HearthSamplerParams *params);
/* 0: until the model stops or the context is full. */
void hearth_runtime_set_max_tokens     (HearthRuntime *self,
                                        guint32        max_tokens);

/* ---- tools ---- */

typedef enum
{
  HEARTH_TOOL_APPROVAL_POLICY_ASK,       /* "approval-requested" (the app, `chat --approve ask`) */
  HEARTH_TOOL_APPROVAL_POLICY_ALLOW_ALL, /* `chat --approve yes` */
  HEARTH_TOOL_APPROVAL_POLICY_DENY_ALL,  /* `chat --approve no` */
} HearthToolApprovalPolicy;

#define HEARTH_RUNTIME_DEFAULT_TOOL_ROUNDS 8

/* Every setting below applies to replies started after the call. */
/* The tools the model may call; NULL: none offered. */
void hearth_runtime_set_tool_registry   (HearthRuntime      *self,
                                         HearthToolRegistry *registry);
HearthToolRegistry *hearth_runtime_get_tool_registry (HearthRuntime *self);
/* Offers only these tools (names the registry lacks are left out); NULL: all. */
void hearth_runtime_set_enabled_tools   (HearthRuntime      *self,
                                         const char *const  *names);
void hearth_runtime_set_approval_policy (HearthRuntime           *self,
                                         HearthToolApprovalPolicy policy);
/* Rounds of tool calls one reply may run; 0: HEARTH_RUNTIME_DEFAULT_TOOL_ROUNDS. */
void hearth_runtime_set_max_tool_rounds (HearthRuntime *self,
                                         guint          rounds);

/* For the front ends' views of the tool loop's records (the store's, see
 * hearth-store.h): every tool call in the audit, oldest first (an array of
 * HearthToolAuditEntry); the approvals remembered (HearthToolApprovalRule),
 * and revoking one (NOT_FOUND when there was none). */
GPtrArray *hearth_runtime_list_tool_audit      (HearthRuntime *self,
                                                GError       **error);
GPtrArray *hearth_runtime_list_tool_approvals  (HearthRuntime *self,
                                                GError       **error);
gboolean   hearth_runtime_revoke_tool_approval (HearthRuntime *self,
                                                const char    *tool_name,
                                                gint64         conversation_id,
                                                GError       **error);

/* What writes replies: NULL for the engine worker (the loaded model);
 * tests and remote models set their own. */
void hearth_runtime_set_responder       (HearthRuntime   *self,
                                         HearthResponder *responder);

/* ---- documents ---- */

#define HEARTH_RUNTIME_DEFAULT_RETRIEVAL_LIMIT 5

/* Adds @retriever (a reference is kept) to those searched for replies in
 * conversations with documents attached; removing one that is not there
 * does nothing. */
void     hearth_runtime_add_retriever       (HearthRuntime   *self,
                                             HearthRetriever *retriever);
void     hearth_runtime_remove_retriever    (HearthRuntime   *self,
                                             HearthRetriever *retriever);
/* The most passages a reply is given; 0: HEARTH_RUNTIME_DEFAULT_RETRIEVAL_LIMIT. */
void     hearth_runtime_set_retrieval_limit (HearthRuntime   *self,
                                             guint            limit);
/* The collections attached to the conversation on show (for a new chat:
 * those it will be created with); NULL or empty: none. Stored at once
 * for a stored conversation. */
gboolean hearth_runtime_set_collections     (HearthRuntime     *self,
                                             const char *const *names,
                                             GError           **error);
/* The same, NULL-terminated (empty: none); g_strfreev(). */
char   **hearth_runtime_dup_collections     (HearthRuntime     *self);

/* ---- the conversation on show ---- */

/* Shows @conversation_id (0: a new chat). A reply in progress in another
 * conversation is stopped; its partial reply is kept. An unknown id is an
 * error and changes nothing. */
gboolean hearth_runtime_set_conversation_id (HearthRuntime *self,
                                             gint64         conversation_id,
                                             GError       **error);
gint64   hearth_runtime_get_conversation_id (HearthRuntime *self);
/* The system prompt of the conversation on show (for a new chat: the one
 * it will be created with). */
char    *hearth_runtime_dup_system_prompt   (HearthRuntime *self);
gboolean hearth_runtime_set_system_prompt   (HearthRuntime *self,
                                             const char    *system_prompt,
                                             GError       **error);

/* Stores @text as the user's next message (creating the conversation for a
 * new chat, titled after it) and starts the reply. FALSE with an error
 * when no model is loaded, a reply is in progress, the text is empty or
 * the store fails; nothing is stored then. */
gboolean hearth_runtime_send        (HearthRuntime *self,
                                     const char    *text,
                                     GError       **error);
/* A new version of the last reply (a sibling; the old one stays). */
gboolean hearth_runtime_regenerate  (HearthRuntime *self,
                                     GError       **error);
/* A new version of the user's message @message_id, and a reply to it. A
 * message of another conversation, or not the user's, is an error and
 * nothing is stored. */
gboolean hearth_runtime_edit        (HearthRuntime *self,
                                     gint64         message_id,
                                     const char    *text,
                                     GError       **error);
/* Shows the branch through @message_id (a sibling's id). */
gboolean hearth_runtime_switch_branch (HearthRuntime *self,
                                       gint64         message_id,
                                       GError       **error);
/* ---- remote models ---- */

/* Where the conversation on show is answered from its next reply on: the
 * remote provider @provider, or the local model (NULL). Stored with the
 * conversation (a new chat: when it is created). An unknown provider is
 * an error (HEARTH_REMOTE_ERROR_NOT_FOUND) and changes nothing. */
gboolean    hearth_runtime_set_model_source    (HearthRuntime *self,
                                                const char    *provider,
                                                GError       **error);
/* :remote-provider, :remote-host ("host" or "host:port"): NULL while the
 * conversation on show stays on this machine. */
const char *hearth_runtime_get_remote_provider (HearthRuntime *self);
const char *hearth_runtime_get_remote_host     (HearthRuntime *self);
/* Escalation: the last question asked again of @provider, as a sibling
 * of the last reply (like regenerate); the conversation's source stays. */
gboolean    hearth_runtime_reask_remote        (HearthRuntime *self,
                                                const char    *provider,
                                                GError       **error);

/* Stops the reply in progress between two tokens; what it had said is
 * stored, marked as stopped. No-op when idle. */
void     hearth_runtime_stop        (HearthRuntime *self);
/* Stops a reply and lets the engine thread go: call before the last
 * reference is dropped while the main loop still runs, or the partial
 * reply of a reply in progress is not stored. */
void     hearth_runtime_shutdown    (HearthRuntime *self);

gboolean hearth_runtime_get_busy              (HearthRuntime *self);
/* Of the last reply; 0 before any, and 0 (unknown) for a remote reply
 * whose server sent no usage. */
double   hearth_runtime_get_tokens_per_second (HearthRuntime *self);
guint    hearth_runtime_get_context_used      (HearthRuntime *self);
/* The last local reply's prompt: its tokens, how many of them ran (the
 * rest came from the cache), how many were the previous turn's tokens
 * kept as generated (hearth-chat.h), and the time from the request to the
 * first generated token; zeros before any. */
void     hearth_runtime_get_prompt_figures    (HearthRuntime *self,
                                               guint         *n_prompt,
                                               guint         *n_eval,
                                               guint         *n_reused,
                                               double        *first_token_seconds);
/* The local model's context (0: none loaded). A remote model's context
 * size is not known: with :remote-host set, show only what is used. */
guint    hearth_runtime_get_context_size      (HearthRuntime *self);

/* ---- conversations ---- */

/* The conversation as the store has it now. */
HearthConversation *hearth_runtime_dup_conversation (HearthRuntime *self,
                                                     gint64         conversation_id,
                                                     GError       **error);
/* Messages matching @query (see hearth_store_search), best first, at most
 * @limit, conversations being deleted left out. An array of
 * HearthSearchResult. */
GPtrArray          *hearth_runtime_search           (HearthRuntime *self,
                                                     const char    *query,
                                                     guint          limit,
                                                     GError       **error);

gboolean hearth_runtime_rename_conversation (HearthRuntime *self,
                                             gint64         conversation_id,
                                             const char    *title,
                                             GError       **error);
gboolean hearth_runtime_toggle_pinned       (HearthRuntime *self,
                                             gint64         conversation_id,
                                             GError       **error);
/* Deleting with undo: the conversation leaves the list model now and is
 * deleted by hearth_runtime_purge_hidden() (or comes back with
 * hearth_runtime_unhide_conversation()). */
void     hearth_runtime_hide_conversation   (HearthRuntime *self,
                                             gint64         conversation_id);
void     hearth_runtime_unhide_conversation (HearthRuntime *self,
                                             gint64         conversation_id);
/* Deletes @conversation_id if hidden, or every hidden one (0). */
gboolean hearth_runtime_purge_hidden        (HearthRuntime *self,
                                             gint64         conversation_id,
                                             GError       **error);

G_END_DECLS
