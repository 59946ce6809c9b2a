/* hearth-store.h: the encrypted local store of conversations and settings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "hearth-conversation.h"
#include "hearth-message.h"
#include "hearth-store-error.h"

G_BEGIN_DECLS

/* Where a new database's key comes from.  An existing database always uses
 * the source it was created with (its parameter file says which). */
typedef enum
{
  HEARTH_STORE_KEY_AUTO,       /* the keyring; a passphrase where there is no keyring */
  HEARTH_STORE_KEY_KEYRING,    /* the keyring or fail */
  HEARTH_STORE_KEY_PASSPHRASE, /* a passphrase, keyring untouched */
} HearthStoreKeySource;

/* Asks the user for the passphrase.  @creating is TRUE when it will become
 * the passphrase of a new database (ask twice), FALSE to unlock one.  A
 * wrong passphrase is reported as WRONG_KEY; the caller opens again.
 * Returns a newly allocated string, or NULL when the user declined; the
 * store wipes and frees it. */
typedef char *(*HearthStorePassphraseFunc) (gboolean creating,
                                            gpointer user_data);

typedef struct
{
  const char               *data_dir;        /* NULL: $XDG_DATA_HOME/hearth */
  HearthStoreKeySource      key_source;      /* for a new database */
  HearthStorePassphraseFunc passphrase_func; /* NULL: no one to ask */
  gpointer                  passphrase_data;
  guint                     passphrase_iterations; /* PBKDF2 rounds for a new database; 0: default */
  guint                     schema_version;  /* 0: current; tests make old schemas with it */
} HearthStoreParams;

void hearth_store_params_init (HearthStoreParams *params);

/* The schema version this code writes. */
#define HEARTH_STORE_SCHEMA_VERSION 4
#define HEARTH_STORE_DEFAULT_PASSPHRASE_ITERATIONS 600000

#define HEARTH_TYPE_STORE (hearth_store_get_type ())
G_DECLARE_FINAL_TYPE (HearthStore, hearth_store, HEARTH, STORE, GObject)

/* Signals, emitted in the thread that made the change, once it is
 * committed, so that list models follow the store item by item:
 *   conversation-added (gint64 id)
 *   conversation-changed (gint64 id): its title, pin, archive flag, model,
 *     system prompt or update time (a message was added) changed
 *   conversation-removed (gint64 id)
 *   thread-changed (gint64 conversation_id): a message was added, edited,
 *     updated or deleted, or another branch is on show
 * Changes made by another process are not seen. */

/* Opens (or creates) history.db in the data folder.  A new database gets a
 * random key kept in the keyring, or a key derived from a passphrase; an
 * existing one is unlocked with the key it was made with and its schema is
 * upgraded.  Nothing is written to an existing database before its key has
 * been verified. */
HearthStore *hearth_store_open (const HearthStoreParams *params,
                                GError                 **error);

const char          *hearth_store_get_path           (HearthStore *self);
const char          *hearth_store_get_data_dir       (HearthStore *self);
HearthStoreKeySource hearth_store_get_key_source     (HearthStore *self);
guint                hearth_store_get_schema_version (HearthStore *self);
/* "3.4.1" etc.: the SQLCipher this process runs. */
const char          *hearth_store_get_cipher_version (HearthStore *self);

/* Full integrity check of every page (slow on a large history). */
gboolean hearth_store_check_integrity (HearthStore *self,
                                       GError     **error);

/* ---- conversations ---- */

typedef enum
{
  HEARTH_STORE_LIST_DEFAULT  = 0,       /* not archived */
  HEARTH_STORE_LIST_ARCHIVED = 1 << 0,  /* archived only */
  HEARTH_STORE_LIST_ALL      = 1 << 1,  /* both */
} HearthStoreListFlags;

HearthConversation *hearth_store_create_conversation (HearthStore *self,
                                                      const char  *title,
                                                      const char  *model,
                                                      const char  *system_prompt,
                                                      GError     **error);
HearthConversation *hearth_store_get_conversation (HearthStore *self,
                                                   gint64       id,
                                                   GError     **error);
gboolean hearth_store_rename_conversation (HearthStore *self,
                                           gint64       id,
                                           const char  *title,
                                           GError     **error);
gboolean hearth_store_set_conversation_model (HearthStore *self,
                                              gint64       id,
                                              const char  *model,
                                              const char  *system_prompt,
                                              GError     **error);
gboolean hearth_store_set_pinned (HearthStore *self,
                                  gint64       id,
                                  gboolean     pinned,
                                  GError     **error);
gboolean hearth_store_set_archived (HearthStore *self,
                                    gint64       id,
                                    gboolean     archived,
                                    GError     **error);
/* Deletes the conversation with all its messages (and their index entries). */
gboolean hearth_store_delete_conversation (HearthStore *self,
                                           gint64       id,
                                           GError     **error);
/* Pinned first, then most recently updated.  An array of HearthConversation. */
GPtrArray *hearth_store_list_conversations (HearthStore         *self,
                                            HearthStoreListFlags flags,
                                            guint                offset,
                                            guint                limit,
                                            GError             **error);
gint64 hearth_store_count_conversations (HearthStore         *self,
                                         HearthStoreListFlags flags,
                                         GError             **error);

/* ---- messages ---- */

/* For @parent_id in append: continue the branch on show. */
#define HEARTH_STORE_CURRENT_LEAF ((gint64) -1)

/* Adds a message under @parent_id (0: a first message; CURRENT_LEAF: after
 * the branch on show) in one committed transaction, and makes it the
 * conversation's current leaf.  @extra may be NULL. */
HearthMessage *hearth_store_append_message (HearthStore              *self,
                                            gint64                    conversation_id,
                                            gint64                    parent_id,
                                            HearthMessageRole         role,
                                            const char               *content,
                                            const HearthMessageExtra *extra,
                                            GError                  **error);
/* Editing never rewrites history: the new text becomes a sibling of
 * @message_id (same parent and role), a new branch that is now on show. */
HearthMessage *hearth_store_edit_message (HearthStore *self,
                                          gint64       message_id,
                                          const char  *content,
                                          GError     **error);
/* Replaces a message's text in place: for a reply that streams in. */
gboolean hearth_store_update_message (HearthStore              *self,
                                      gint64                    message_id,
                                      const char               *content,
                                      const HearthMessageExtra *extra,
                                      GError                  **error);
/* Deletes a message and every reply under it. */
gboolean hearth_store_delete_message (HearthStore *self,
                                      gint64       message_id,
                                      GError     **error);
HearthMessage *hearth_store_get_message (HearthStore *self,
                                         gint64       message_id,
                                         GError     **error);
/* The branch ending at @leaf_id (0: the current leaf), first message first. */
GPtrArray *hearth_store_get_thread (HearthStore *self,
                                    gint64       conversation_id,
                                    gint64       leaf_id,
                                    GError     **error);
/* The replies to @parent_id (0: the first messages), oldest first: the
 * alternatives a branch switcher shows. */
GPtrArray *hearth_store_get_children (HearthStore *self,
                                      gint64       conversation_id,
                                      gint64       parent_id,
                                      GError     **error);
/* Every message of the conversation, in id order (parents before children). */
GPtrArray *hearth_store_get_all_messages (HearthStore *self,
                                          gint64       conversation_id,
                                          GError     **error);
/* The shape of the conversation's tree without the texts: every message's
 * id and its parent's (0 for a first message), in id order. */
gboolean hearth_store_get_message_parents (HearthStore *self,
                                           gint64       conversation_id,
                                           GArray     **ids,
                                           GArray     **parent_ids,
                                           GError     **error);
/* Shows the branch through @message_id; the leaf is the newest descendant. */
gboolean hearth_store_set_current_leaf (HearthStore *self,
                                        gint64       conversation_id,
                                        gint64       message_id,
                                        GError     **error);

/* ---- search ---- */

typedef struct
{
  gint64  message_id;
  gint64  conversation_id;
  char   *conversation_title;
  char   *snippet;  /* matched words between [ and ] */
  double  score;    /* BM25, higher is better */
} HearthSearchResult;

void hearth_search_result_free (HearthSearchResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSearchResult, hearth_search_result_free)

/* Messages containing every word of @text, best first.  Words are matched
 * whole, case- and accent-insensitively; a word ending in '*' matches as a
 * prefix.  An array of HearthSearchResult. */
GPtrArray *hearth_store_search (HearthStore *self,
                                const char  *text,
                                guint        offset,
                                guint        limit,
                                GError     **error);

/* ---- settings (small key/value pairs, encrypted with the rest) ---- */

char    *hearth_store_get_setting (HearthStore *self,
                                   const char  *key,
                                   GError     **error);
gboolean hearth_store_set_setting (HearthStore *self,
                                   const char  *key,
                                   const char  *value,
                                   GError     **error);

/* ---- documents attached to a conversation (hearth-store-collections.c) ---- */

/* Replaces the document collections attached to @conversation_id with
 * @names (NULL or empty: none; duplicates kept once, in the order given)
 * in one transaction, and emits conversation-changed.  The names are
 * those of the document index's collections; they are only kept here. */
gboolean hearth_store_set_conversation_collections (HearthStore        *self,
                                                    gint64              conversation_id,
                                                    const char *const  *names,
                                                    GError            **error);
/* The collections attached to @conversation_id, in the order attached: a
 * NULL-terminated array, empty when none (g_strfreev); NULL on error. */
char   **hearth_store_dup_conversation_collections (HearthStore *self,
                                                    gint64       conversation_id,
                                                    GError     **error);

/* ---- tools: calls, their audit, remembered approvals (hearth-store-tools.c) ---- */

/* How a tool call was let through, or not. */
typedef enum
{
  HEARTH_TOOL_AUDIT_DENIED,               /* "denied": by the user or the policy; nothing ran */
  HEARTH_TOOL_AUDIT_ALLOWED_ONCE,         /* "allowed-once" */
  HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION, /* "allowed-conversation": asked now or remembered */
  HEARTH_TOOL_AUDIT_ALLOWED_ALWAYS,       /* "allowed-always": asked now or remembered */
  HEARTH_TOOL_AUDIT_READ_ONLY,            /* "read-only": no approval needed */
  HEARTH_TOOL_AUDIT_CLI,                  /* "cli": called by the user from hearth-cli */
  HEARTH_TOOL_AUDIT_INVALID,              /* "invalid": the arguments did not fit; nothing ran */
  HEARTH_TOOL_AUDIT_NOT_RUN,              /* "not-run": stopped before a decision; nothing ran */
} HearthToolAuditDecision;

const char *hearth_tool_audit_decision_to_string   (HearthToolAuditDecision decision);
gboolean    hearth_tool_audit_decision_from_string (const char              *name,
                                                    HearthToolAuditDecision *decision);

/* One row of the audit: every tool call, whatever became of it. Strings
 * may be NULL except tool_name and arguments_json. Times are microseconds
 * since the Unix epoch; started is 0 when nothing ran. */
typedef struct
{
  gint64                  id;                /* set by the store */
  gint64                  conversation_id;   /* 0: none (a call from the CLI) */
  gint64                  message_id;        /* the assistant message that called it; 0: none */
  gint64                  result_message_id; /* the tool message holding its result; 0: none */
  char                   *call_id;
  char                   *tool_name;
  char                   *plugin_id;
  char                   *arguments_json;
  HearthToolAuditDecision decision;
  char                   *decided_by;        /* "user", "remembered", "policy", "runtime", "cli" */
  char                   *result;
  gboolean                is_error;
  gint64                  started;
  gint64                  finished;
} HearthToolAuditEntry;

HearthToolAuditEntry *hearth_tool_audit_entry_new  (void);
void                  hearth_tool_audit_entry_free (HearthToolAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthToolAuditEntry, hearth_tool_audit_entry_free)

/* Adds @entry (its id and result_message_id are ignored: 0) in one
 * committed transaction; returns the new row's id, or 0 with @error. */
gint64         hearth_store_add_tool_audit     (HearthStore                *self,
                                                const HearthToolAuditEntry *entry,
                                                GError                    **error);
/* A tool's result as a message with role tool (answering @tool_call_id,
 * from tool @tool_name) under @parent_id (as in append_message), and, when
 * @audit is not NULL, its audit row pointing at it, in one committed
 * transaction: both are there or neither. */
HearthMessage *hearth_store_append_tool_result (HearthStore                *self,
                                                gint64                      conversation_id,
                                                gint64                      parent_id,
                                                const char                 *content,
                                                const char                 *tool_call_id,
                                                const char                 *tool_name,
                                                const HearthToolAuditEntry *audit,
                                                GError                    **error);
/* The audit rows of @conversation_id (0: every row), oldest first: an
 * array of HearthToolAuditEntry. */
GPtrArray     *hearth_store_list_tool_audit    (HearthStore *self,
                                                gint64       conversation_id,
                                                GError     **error);

/* Approvals the user asked to be remembered: for one conversation, or
 * always (conversation_id 0). A conversation's go when it is deleted. */
typedef enum
{
  HEARTH_TOOL_APPROVAL_NONE,
  HEARTH_TOOL_APPROVAL_CONVERSATION,
  HEARTH_TOOL_APPROVAL_ALWAYS,
} HearthToolApprovalScope;

typedef struct
{
  char   *tool_name;
  gint64  conversation_id; /* 0: always */
  gint64  created;
} HearthToolApprovalRule;

void hearth_tool_approval_rule_free (HearthToolApprovalRule *rule);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthToolApprovalRule, hearth_tool_approval_rule_free)

/* Remembering what is remembered already changes nothing. */
gboolean  hearth_store_remember_tool_approval (HearthStore *self,
                                               const char  *tool_name,
                                               gint64       conversation_id,
                                               GError     **error);
/* What lets @tool_name run in @conversation_id without asking: ALWAYS
 * before CONVERSATION; NONE (and @error set) when the store fails. */
HearthToolApprovalScope hearth_store_get_tool_approval (HearthStore *self,
                                                        const char  *tool_name,
                                                        gint64       conversation_id,
                                                        GError     **error);
/* Every rule, always first, then by tool name and conversation: an array
 * of HearthToolApprovalRule. */
GPtrArray *hearth_store_list_tool_approvals   (HearthStore *self,
                                               GError     **error);
/* NOT_FOUND when there was no such rule. */
gboolean   hearth_store_revoke_tool_approval  (HearthStore *self,
                                               const char  *tool_name,
                                               gint64       conversation_id,
                                               GError     **error);

/* ---- export and import (hearth-store-export.c) ---- */

/* The branch on show as Markdown, for reading and sharing. */
char *hearth_store_export_markdown (HearthStore *self,
                                    gint64       conversation_id,
                                    GError     **error);
/* The whole conversation, every branch, as JSON that import reads back. */
char *hearth_store_export_json (HearthStore *self,
                                gint64       conversation_id,
                                GError     **error);
/* Adds the conversation in @json as a new one (new ids). */
HearthConversation *hearth_store_import_json (HearthStore *self,
                                              const char  *json,
                                              gssize       length,
                                              GError     **error);

G_END_DECLS
