/* hearth-mcp-client.h: one Model Context Protocol server, reached over stdio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthMcpClient runs one MCP server as a child process and speaks
 * JSON-RPC 2.0 to it, one message a line (the MCP stdio transport). It
 * starts the server on the first request (initialize, then the
 * notifications/initialized notification), lists its tools (following
 * nextCursor) and calls them. The server is untrusted: a line longer than
 * HEARTH_MCP_MAX_LINE, text that is not a JSON-RPC message, a server that
 * exits or does not answer a request within the timeout fails every
 * pending request with HEARTH_PLUGIN_ERROR_UNAVAILABLE (the message names
 * the server) and the process is killed; the next request starts it again.
 * Requests the server makes of us are answered: ping with an empty result,
 * anything else with the JSON-RPC error -32601. notifications/tools/list_changed
 * emits "tools-changed".
 *
 * Nothing here knows libpeas: the framing (HearthMcpFramer), the message
 * parser and the reading of a tools/call result are plain functions, so
 * that tests and the fuzzer reach them directly.
 *
 * Threading: a client lives in the thread whose thread-default main
 * context was current when it was made; use it from there only. Disposing
 * of it kills the server and reaps it.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The longest line a server may send (a message with a large result). */
#define HEARTH_MCP_MAX_LINE (16 * 1024 * 1024)
/* Protocol version we ask for; the server may answer with any of
 * hearth_mcp_protocol_version_is_supported(). */
#define HEARTH_MCP_PROTOCOL_VERSION "2025-06-18"

gboolean hearth_mcp_protocol_version_is_supported (const char *version);

/* ---- framing: bytes to lines ---- */

typedef struct
{
  GByteArray *buffer;
  gsize       max_line;
  gsize       scanned;   /* bytes of buffer known to hold no newline */
} HearthMcpFramer;

void     hearth_mcp_framer_init  (HearthMcpFramer *framer,
                                  gsize            max_line);
void     hearth_mcp_framer_clear (HearthMcpFramer *framer);
void     hearth_mcp_framer_push  (HearthMcpFramer *framer,
                                  const guint8    *data,
                                  gsize            len);
/* The next complete line (without "\n" or a final "\r"; empty lines are
 * skipped), NULL when none is complete yet. NULL with @error set when the
 * line being read is longer than max_line (the framer is then unusable). */
char    *hearth_mcp_framer_next  (HearthMcpFramer *framer,
                                  gsize           *len,
                                  GError         **error);

/* ---- messages ---- */

typedef enum
{
  HEARTH_MCP_MESSAGE_REQUEST,       /* method and id */
  HEARTH_MCP_MESSAGE_NOTIFICATION,  /* method, no id */
  HEARTH_MCP_MESSAGE_RESPONSE,      /* id and result, or id and error */
} HearthMcpMessageKind;

typedef struct
{
  HearthMcpMessageKind kind;
  JsonNode   *root;       /* owns everything below */
  JsonNode   *id;         /* requests and responses; NULL for notifications (and error responses to unreadable requests) */
  const char *method;     /* requests and notifications */
  JsonObject *params;     /* may be NULL */
  JsonNode   *result;     /* a response's result */
  gint64      error_code; /* an error response's: error is set when message is */
  const char *error_message;
} HearthMcpMessage;

/* Parses one line from a server. FALSE with @error (HEARTH_PLUGIN_ERROR_INVALID_RESULT)
 * when it is not valid UTF-8, not JSON or not a JSON-RPC 2.0 message. */
gboolean hearth_mcp_message_parse (const char       *line,
                                   gsize             len,
                                   HearthMcpMessage *message,
                                   GError          **error);
void     hearth_mcp_message_clear (HearthMcpMessage *message);

/* Reads a tools/call result: the content items as text (text items joined
 * with newlines, other items described in a line), or the
 * structuredContent as JSON (*is_json set) when there is no content. A
 * result with isError fails with HEARTH_PLUGIN_ERROR_FAILED and the
 * server's text; one that is not a result fails with
 * HEARTH_PLUGIN_ERROR_INVALID_RESULT. @server names the server in errors. */
char    *hearth_mcp_call_result_read (JsonObject *result,
                                      const char *server,
                                      gboolean   *is_json,
                                      GError    **error);

/* ---- the client ---- */

#define HEARTH_TYPE_MCP_CLIENT (hearth_mcp_client_get_type ())
G_DECLARE_FINAL_TYPE (HearthMcpClient, hearth_mcp_client, HEARTH, MCP_CLIENT, GObject)

/* @argv: the command and its arguments (searched in PATH); @env: extra
 * environment variables (KEY=VALUE), may be NULL; @timeout_ms: how long a
 * request may wait for its answer. Starts nothing yet. */
HearthMcpClient *hearth_mcp_client_new            (const char         *name,
                                                   const char * const *argv,
                                                   const char * const *env,
                                                   guint               timeout_ms);
const char      *hearth_mcp_client_get_name       (HearthMcpClient *self);
/* The server's process id while it runs, else 0. */
GPid             hearth_mcp_client_get_pid        (HearthMcpClient *self);

/* Every tool the server has (tools/list, all pages): a GPtrArray of
 * JsonObject (the tool definitions as sent). Starts the server if needed. */
void             hearth_mcp_client_list_tools_async  (HearthMcpClient     *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GPtrArray       *hearth_mcp_client_list_tools_finish (HearthMcpClient  *self,
                                                      GAsyncResult     *result,
                                                      GError          **error);

/* tools/call: the result object as sent (read it with
 * hearth_mcp_call_result_read()). Cancelling sends notifications/cancelled
 * and fails with G_IO_ERROR_CANCELLED. */
void             hearth_mcp_client_call_tool_async   (HearthMcpClient     *self,
                                                      const char          *tool,
                                                      JsonObject          *arguments,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
JsonObject      *hearth_mcp_client_call_tool_finish  (HearthMcpClient  *self,
                                                      GAsyncResult     *result,
                                                      GError          **error);

/* Kills the server (if it runs) and reaps it; pending requests fail. */
void             hearth_mcp_client_stop              (HearthMcpClient *self);

G_END_DECLS
