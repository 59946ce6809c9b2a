/* hearth-mcp-client.c: one Model Context Protocol server over stdio (framing, JSON-RPC, lifecycle)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See hearth-mcp-client.h for the contract. A running server is a Conn:
 * the process, its pipes, the line framer and the write queue. Callbacks
 * of a Conn's I/O hold a reference to the Conn, not to the client; once
 * the Conn is closed (conn->client is NULL) they drop what they got. A
 * request in flight is a Pending in the client's table, keyed by its
 * JSON-RPC id; every way it can end (an answer, an error, the timeout, a
 * cancellation, the server failing) takes it out of the table first and
 * then completes its GTask, so it ends once.
 *
 * Threading: the thread of the main context current at creation only; a
 * GCancellable cancelled from another thread is handled in that context.
 */
#include "hearth-mcp-client.h"

#include <signal.h>
#include <string.h>

#include "hearth-plugin.h"

#ifndef HEARTH_MCP_CLIENT_VERSION
#define HEARTH_MCP_CLIENT_VERSION "0"
#endif

#define STDERR_KEEP 4096   /* bytes of a server's stderr kept for error messages */
#define MAX_PAGES   64     /* tools/list pages followed */
#define READ_CHUNK  65536

gboolean
hearth_mcp_protocol_version_is_supported (const char *version)
{
  static const char *const supported[] = { "2024-11-05", "2025-03-26", "2025-06-18" };

  for (gsize i = 0; i < G_N_ELEMENTS (supported); i++)
    if (g_strcmp0 (version, supported[i]) == 0)
      return TRUE;
  return FALSE;
}

/* ---- framing ---- */

void
hearth_mcp_framer_init (HearthMcpFramer *framer,
                        gsize            max_line)
{
  framer->buffer = g_byte_array_new ();
  framer->max_line = max_line;
  framer->scanned = 0;
}

void
hearth_mcp_framer_clear (HearthMcpFramer *framer)
{
  g_clear_pointer (&framer->buffer, g_byte_array_unref);
}

void
hearth_mcp_framer_push (HearthMcpFramer *framer,
                        const guint8    *data,
                        gsize            len)
{
  if (len > 0)
    g_byte_array_append (framer->buffer, data, (guint) len);
}

char *
hearth_mcp_framer_next (HearthMcpFramer *framer,
                        gsize           *len,
                        GError         **error)
{
  for (;;)
    {
      GByteArray *b = framer->buffer;
      const guint8 *nl = NULL;
      gsize n, l;
      char *line;

      if (b->len > framer->scanned)
        nl = memchr (b->data + framer->scanned, '\n', b->len - framer->scanned);
      if (nl == NULL)
        {
          framer->scanned = b->len;
          if (b->len > framer->max_line)
            {
              g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                           "a message longer than %" G_GSIZE_FORMAT " bytes", framer->max_line);
              return NULL;
            }
          return NULL;
        }
      n = (gsize) (nl - b->data);
      if (n > framer->max_line)
        {
          g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                       "a message longer than %" G_GSIZE_FORMAT " bytes", framer->max_line);
          return NULL;
        }
      l = n;
      if (l > 0 && b->data[l - 1] == '\r')
        l--;
      line = NULL;
      if (l > 0)
        {
          line = g_malloc (l + 1);
          memcpy (line, b->data, l);
          line[l] = '\0';
        }
      g_byte_array_remove_range (b, 0, (guint) (n + 1));
      framer->scanned = 0;
      if (line != NULL)
        {
          *len = l;
          return line;
        }
    }
}

/* ---- messages ---- */

static gboolean
id_is_valid (JsonNode *id)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (id))
    return FALSE;
  t = json_node_get_value_type (id);
  return t == G_TYPE_INT64 || t == G_TYPE_STRING;
}

static gboolean
invalid_message (GError    **error,
                 const char *why)
{
  g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
               "not a JSON-RPC 2.0 message: %s", why);
  return FALSE;
}

static gboolean
string_member (JsonObject  *obj,
               const char  *name,
               const char **out)
{
  JsonNode *n = json_object_get_member (obj, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return FALSE;
  *out = json_node_get_string (n);
  return TRUE;
}

gboolean
hearth_mcp_message_parse (const char       *line,
                          gsize             len,
                          HearthMcpMessage *message,
                          GError          **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  JsonObject *obj;
  JsonNode *id, *params, *err;
  const char *version = NULL;

  memset (message, 0, sizeof *message);
  if (len > G_MAXSSIZE || !g_utf8_validate_len (line, len, NULL))
    return invalid_message (error, "not valid UTF-8");
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, (gssize) len, &local))
    {
      /* json-glib quotes the text near the fault with octal escapes
       * (\220) decoded to raw bytes: its message need not be UTF-8. */
      g_autofree char *why = g_utf8_make_valid (local->message, -1);

      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT, "not JSON: %s", why);
      return FALSE;
    }
  message->root = json_parser_steal_root (parser);
  if (message->root == NULL || !JSON_NODE_HOLDS_OBJECT (message->root))
    {
      hearth_mcp_message_clear (message);
      return invalid_message (error, "not an object");
    }
  obj = json_node_get_object (message->root);
  if (!string_member (obj, "jsonrpc", &version) || strcmp (version, "2.0") != 0)
    {
      hearth_mcp_message_clear (message);
      return invalid_message (error, "no \"jsonrpc\": \"2.0\"");
    }

  id = json_object_get_member (obj, "id");
  if (json_object_has_member (obj, "method"))
    {
      if (!string_member (obj, "method", &message->method))
        {
          hearth_mcp_message_clear (message);
          return invalid_message (error, "a method that is not a string");
        }
      if (id != NULL && !id_is_valid (id))
        {
          hearth_mcp_message_clear (message);
          return invalid_message (error, "an id that is neither a string nor an integer");
        }
      params = json_object_get_member (obj, "params");
      if (params != NULL && !JSON_NODE_HOLDS_NULL (params))
        {
          if (!JSON_NODE_HOLDS_OBJECT (params))
            {
              hearth_mcp_message_clear (message);
              return invalid_message (error, "params that are not an object");
            }
          message->params = json_node_get_object (params);
        }
      message->id = id;
      message->kind = id != NULL ? HEARTH_MCP_MESSAGE_REQUEST : HEARTH_MCP_MESSAGE_NOTIFICATION;
      return TRUE;
    }

  message->kind = HEARTH_MCP_MESSAGE_RESPONSE;
  err = json_object_get_member (obj, "error");
  if (err != NULL)
    {
      JsonObject *eobj;
      JsonNode *code;

      /* An error about a request the server could not read has a null id. */
      if (id == NULL || (!JSON_NODE_HOLDS_NULL (id) && !id_is_valid (id)))
        {
          hearth_mcp_message_clear (message);
          return invalid_message (error, "an error without a valid id");
        }
      if (!JSON_NODE_HOLDS_OBJECT (err))
        {
          hearth_mcp_message_clear (message);
          return invalid_message (error, "an error that is not an object");
        }
      eobj = json_node_get_object (err);
      code = json_object_get_member (eobj, "code");
      if (code == NULL || !JSON_NODE_HOLDS_VALUE (code) || json_node_get_value_type (code) != G_TYPE_INT64 ||
          !string_member (eobj, "message", &message->error_message))
        {
          hearth_mcp_message_clear (message);
          return invalid_message (error, "an error without an integer code and a message");
        }
      message->error_code = json_node_get_int (code);
      message->id = JSON_NODE_HOLDS_NULL (id) ? NULL : id;
      return TRUE;
    }
  if (id == NULL || !id_is_valid (id))
    {
      hearth_mcp_message_clear (message);
      return invalid_message (error, "neither a method nor a response with a valid id");
    }
  message->result = json_object_get_member (obj, "result");
  if (message->result == NULL)
    {
      hearth_mcp_message_clear (message);
      return invalid_message (error, "a response with neither result nor error");
    }
  message->id = id;
  return TRUE;
}

void
hearth_mcp_message_clear (HearthMcpMessage *message)
{
  g_clear_pointer (&message->root, json_node_unref);
  memset (message, 0, sizeof *message);
}

/* ---- tools/call results ---- */

/* The size of base64 data without decoding it. */
static gsize
base64_size (const char *data)
{
  gsize n = strlen (data), size, pad = 0;

  while (n > 0 && (data[n - 1] == '=' || g_ascii_isspace (data[n - 1])))
    {
      if (data[n - 1] == '=')
        pad++;
      n--;
    }
  (void) pad;
  size = (n / 4) * 3;
  if (n % 4 > 1)
    size += n % 4 - 1;
  return size;
}

static gboolean
invalid_result (GError    **error,
                const char *server,
                const char *why)
{
  g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
               "MCP server “%s” sent a tool result with %s", server, why);
  return FALSE;
}

static gboolean
describe_item (GString    *out,
               JsonNode   *node,
               const char *server,
               GError    **error)
{
  JsonObject *item;
  const char *type = NULL, *s = NULL, *mime = NULL, *uri = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid_result (error, server, "a content item that is not an object");
  item = json_node_get_object (node);
  if (!string_member (item, "type", &type))
    return invalid_result (error, server, "a content item without a type");

  if (out->len > 0)
    g_string_append_c (out, '\n');
  if (strcmp (type, "text") == 0)
    {
      if (!string_member (item, "text", &s))
        return invalid_result (error, server, "a text item without text");
      g_string_append (out, s);
    }
  else if (strcmp (type, "image") == 0 || strcmp (type, "audio") == 0)
    {
      if (!string_member (item, "data", &s) || !string_member (item, "mimeType", &mime))
        return invalid_result (error, server, "a media item without data or mimeType");
      g_string_append_printf (out, "[%s, %" G_GSIZE_FORMAT " bytes]", mime, base64_size (s));
    }
  else if (strcmp (type, "resource") == 0)
    {
      JsonNode *r = json_object_get_member (item, "resource");
      JsonObject *res;

      if (r == NULL || !JSON_NODE_HOLDS_OBJECT (r))
        return invalid_result (error, server, "a resource item without a resource");
      res = json_node_get_object (r);
      if (!string_member (res, "uri", &uri))
        return invalid_result (error, server, "a resource without a uri");
      if (!string_member (res, "mimeType", &mime))
        mime = NULL;
      if (string_member (res, "text", &s))
        g_string_append_printf (out, "[resource %s%s%s]\n%s", uri, mime ? ", " : "", mime ? mime : "", s);
      else if (string_member (res, "blob", &s))
        g_string_append_printf (out, "[resource %s%s%s, %" G_GSIZE_FORMAT " bytes]", uri,
                                mime ? ", " : "", mime ? mime : "", base64_size (s));
      else
        g_string_append_printf (out, "[resource %s]", uri);
    }
  else if (strcmp (type, "resource_link") == 0)
    {
      if (!string_member (item, "uri", &uri))
        return invalid_result (error, server, "a resource link without a uri");
      g_string_append_printf (out, "[resource link %s]", uri);
    }
  else
    g_string_append_printf (out, "[%s content]", type);
  return TRUE;
}

char *
hearth_mcp_call_result_read (JsonObject *result,
                             const char *server,
                             gboolean   *is_json,
                             GError    **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonNode *content, *is_error_node, *structured;
  gboolean failed = FALSE;
  guint n_items = 0;

  *is_json = FALSE;
  is_error_node = json_object_get_member (result, "isError");
  if (is_error_node != NULL && JSON_NODE_HOLDS_VALUE (is_error_node) &&
      json_node_get_value_type (is_error_node) == G_TYPE_BOOLEAN)
    failed = json_node_get_boolean (is_error_node);

  content = json_object_get_member (result, "content");
  if (content != NULL && !JSON_NODE_HOLDS_NULL (content))
    {
      JsonArray *items;

      if (!JSON_NODE_HOLDS_ARRAY (content))
        {
          invalid_result (error, server, "content that is not an array");
          return NULL;
        }
      items = json_node_get_array (content);
      n_items = json_array_get_length (items);
      for (guint i = 0; i < n_items; i++)
        if (!describe_item (text, json_array_get_element (items, i), server, error))
          return NULL;
    }

  if (failed)
    {
      if (text->len > 0)
        g_set_error_literal (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED, text->str);
      else
        g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_FAILED,
                     "The tool failed (MCP server “%s” gave no reason)", server);
      return NULL;
    }

  structured = json_object_get_member (result, "structuredContent");
  if (n_items == 0 && structured != NULL && !JSON_NODE_HOLDS_NULL (structured))
    {
      *is_json = TRUE;
      return json_to_string (structured, FALSE);
    }
  if (content == NULL)
    {
      invalid_result (error, server, "neither content nor structuredContent");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- the client ---- */

typedef struct _Conn Conn;

struct _Conn
{
  gatomicrefcount   ref;
  HearthMcpClient  *client;     /* NULL once closed */
  GSubprocess      *proc;
  GOutputStream    *to_server;
  GInputStream     *from_server;
  GInputStream     *stderr_stream;
  GCancellable     *cancel;     /* cancelled when closed: stops the I/O */
  HearthMcpFramer   framer;
  GQueue            writes;     /* GBytes waiting */
  GBytes           *writing;    /* the one being written */
  GString          *stderr_tail;
  gboolean          stdout_eof;
  gboolean          stderr_eof;
  GSource          *exit_wait;  /* after stdout's end, for stderr's last words */
};

typedef struct
{
  gint64           id;
  char            *method;
  GTask           *task;
  guint            timeout_id;
  GCancellable    *cancellable;
  gulong           cancel_handler;
  HearthMcpClient *client;
} Pending;

typedef struct
{
  char       *method;
  JsonObject *params;
  GTask      *task;
} Queued;

struct _HearthMcpClient
{
  GObject       parent_instance;

  char         *name;
  char        **argv;
  char        **env;
  guint         timeout_ms;
  GMainContext *context;

  Conn         *conn;       /* NULL while stopped */
  gboolean      ready;      /* initialized */
  GQueue        queued;     /* Queued: requests made before the server was ready */
  GHashTable   *pending;    /* gint64 id -> Pending */
  gint64        next_id;
};

G_DEFINE_FINAL_TYPE (HearthMcpClient, hearth_mcp_client, G_TYPE_OBJECT)

enum { TOOLS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static Conn *
conn_ref (Conn *conn)
{
  g_atomic_ref_count_inc (&conn->ref);
  return conn;
}

static void
conn_unref (Conn *conn)
{
  if (!g_atomic_ref_count_dec (&conn->ref))
    return;
  g_clear_object (&conn->proc);
  g_clear_object (&conn->cancel);
  hearth_mcp_framer_clear (&conn->framer);
  g_queue_clear_full (&conn->writes, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&conn->writing, g_bytes_unref);
  g_string_free (conn->stderr_tail, TRUE);
  g_free (conn);
}

/* Kills the server and reaps it; its I/O stops. */
static void
conn_close (HearthMcpClient *self)
{
  Conn *conn = g_steal_pointer (&self->conn);

  self->ready = FALSE;
  if (conn == NULL)
    return;
  conn->client = NULL;
  if (conn->exit_wait != NULL)
    {
      g_source_destroy (conn->exit_wait);
      g_clear_pointer (&conn->exit_wait, g_source_unref);
    }
  g_cancellable_cancel (conn->cancel);
  g_subprocess_force_exit (conn->proc);
  /* SIGKILL cannot be ignored: this returns at once, and leaves no zombie. */
  g_subprocess_wait (conn->proc, NULL, NULL);
  conn_unref (conn);
}

static void
pending_free (Pending *p)
{
  if (p->timeout_id != 0)
    g_source_destroy (g_main_context_find_source_by_id (p->client->context, p->timeout_id));
  if (p->cancel_handler != 0)
    g_cancellable_disconnect (p->cancellable, p->cancel_handler);
  g_clear_object (&p->cancellable);
  g_clear_object (&p->task);
  g_free (p->method);
  g_free (p);
}

static Pending *
take_pending (HearthMcpClient *self,
              gint64           id)
{
  gpointer key = NULL, value = NULL;

  if (!g_hash_table_steal_extended (self->pending, &id, &key, &value))
    return NULL;
  g_free (key);
  return value;
}

/* Ends @p (already out of the table) with @result or @error (taken). */
static void
pending_complete (Pending  *p,
                  JsonNode *result,
                  GError   *error)
{
  GTask *task = g_steal_pointer (&p->task);

  pending_free (p);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, json_node_ref (result), (GDestroyNotify) json_node_unref);
  g_object_unref (task);
}

static void
queued_free (Queued *q)
{
  g_free (q->method);
  g_clear_pointer (&q->params, json_object_unref);
  g_clear_object (&q->task);
  g_free (q);
}

/* The last line the server wrote to stderr, or NULL. */
static char *
stderr_last_line (Conn *conn)
{
  g_auto(GStrv) lines = NULL;

  if (conn == NULL || conn->stderr_tail->len == 0)
    return NULL;
  lines = g_strsplit (conn->stderr_tail->str, "\n", -1);
  for (gssize i = (gssize) g_strv_length (lines) - 1; i >= 0; i--)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] != '\0' && g_utf8_validate (lines[i], -1, NULL))
        return g_strdup (lines[i]);
    }
  return NULL;
}

/* The server is unusable: kills it and fails every request with @error (taken). */
static void
client_fail (HearthMcpClient *self,
             GError          *error)
{
  g_autoptr(GHashTable) pending = NULL;
  GQueue queued = G_QUEUE_INIT;
  GHashTableIter iter;
  gpointer key, value;
  Queued *q;

  g_object_ref (self);
  g_debug ("%s", error->message);
  conn_close (self);
  /* Taken before any task completes: a callback may make new requests. */
  queued = self->queued;
  g_queue_init (&self->queued);
  pending = g_steal_pointer (&self->pending);
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_free (key);
      pending_complete (value, NULL, g_error_copy (error));
    }
  while ((q = g_queue_pop_head (&queued)) != NULL)
    {
      g_task_return_error (q->task, g_error_copy (error));
      queued_free (q);
    }
  g_error_free (error);
  g_object_unref (self);
}

static void G_GNUC_PRINTF (2, 3)
client_fail_printf (HearthMcpClient *self,
                    const char      *format,
                    ...)
{
  g_autofree char *why = NULL;
  g_autofree char *last = stderr_last_line (self->conn);
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  if (last != NULL)
    client_fail (self, g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                                    "MCP server “%s” %s (it said: %s)", self->name, why, last));
  else
    client_fail (self, g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                                    "MCP server “%s” %s", self->name, why));
}

/* ---- writing ---- */

static void write_next (Conn *conn);

static void
on_written (GObject      *stream,
            GAsyncResult *result,
            gpointer      data)
{
  Conn *conn = data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (stream), result, NULL, &error))
    {
      if (conn->client != NULL)
        client_fail_printf (conn->client, "could not be written to: %s", error->message);
      conn_unref (conn);
      return;
    }
  g_clear_pointer (&conn->writing, g_bytes_unref);
  if (conn->client != NULL)
    write_next (conn);
  conn_unref (conn);
}

static void
write_next (Conn *conn)
{
  gsize size;
  const void *data;

  if (conn->writing != NULL || g_queue_is_empty (&conn->writes))
    return;
  conn->writing = g_queue_pop_head (&conn->writes);
  data = g_bytes_get_data (conn->writing, &size);
  g_output_stream_write_all_async (conn->to_server, data, size, G_PRIORITY_DEFAULT, conn->cancel,
                                   on_written, conn_ref (conn));
}

/* Queues @message (taken) as one line. */
static void
send_message (HearthMcpClient *self,
              JsonObject      *message)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), message);
  g_autofree char *text = NULL;
  GString *line;

  json_object_unref (message);
  if (self->conn == NULL)
    return;
  text = json_to_string (node, FALSE);
  line = g_string_new (text);
  g_string_append_c (line, '\n');
  g_queue_push_tail (&self->conn->writes, g_string_free_to_bytes (line));
  write_next (self->conn);
}

static JsonObject *
new_message (void)
{
  JsonObject *m = json_object_new ();

  json_object_set_string_member (m, "jsonrpc", "2.0");
  return m;
}

static void
send_notification (HearthMcpClient *self,
                   const char      *method,
                   JsonObject      *params)
{
  JsonObject *m = new_message ();

  json_object_set_string_member (m, "method", method);
  if (params != NULL)
    json_object_set_object_member (m, "params", params);
  send_message (self, m);
}

/* ---- requests ---- */

static gboolean
on_request_timeout (gpointer data)
{
  Pending *p = data;
  HearthMcpClient *self = p->client;

  p->timeout_id = 0;
  client_fail_printf (self, "did not answer “%s” within %u ms", p->method, self->timeout_ms);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  HearthMcpClient *client;
  gint64           id;
} CancelData;

static void
cancel_data_free (CancelData *c)
{
  g_object_unref (c->client);
  g_free (c);
}

static gboolean
on_cancel_idle (gpointer data)
{
  CancelData *c = data;
  HearthMcpClient *self = c->client;
  Pending *p = take_pending (self, c->id);
  JsonObject *params;

  if (p == NULL)
    return G_SOURCE_REMOVE;
  params = json_object_new ();
  json_object_set_int_member (params, "requestId", c->id);
  json_object_set_string_member (params, "reason", "The user or the host cancelled the call");
  send_notification (self, "notifications/cancelled", params);
  pending_complete (p, NULL, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                          "The call to MCP server “%s” was cancelled", self->name));
  return G_SOURCE_REMOVE;
}

/* May run in any thread, and with the cancellable's lock held: only
 * schedules the work in the client's context. */
static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  Pending *p = data;
  CancelData *c = g_new0 (CancelData, 1);
  GSource *source = g_idle_source_new ();

  c->client = g_object_ref (p->client);
  c->id = p->id;
  g_source_set_callback (source, on_cancel_idle, c, (GDestroyNotify) cancel_data_free);
  g_source_attach (source, p->client->context);
  g_source_unref (source);
}

/* Sends @method with @params (taken); @task (a reference taken) gets the result node. */
static void
send_request (HearthMcpClient *self,
              const char      *method,
              JsonObject      *params,
              GTask           *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  JsonObject *m;
  Pending *p;
  gint64 *key;
  GSource *timeout;

  if (g_cancellable_is_cancelled (cancellable) || self->conn == NULL)
    {
      if (params != NULL)
        json_object_unref (params);
      if (self->conn == NULL)
        g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                                 "MCP server “%s” is not running", self->name);
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The call to MCP server “%s” was cancelled", self->name);
      g_object_unref (task);
      return;
    }

  p = g_new0 (Pending, 1);
  p->id = ++self->next_id;
  p->method = g_strdup (method);
  p->task = task;
  p->client = self;
  key = g_new (gint64, 1);
  *key = p->id;
  g_hash_table_insert (self->pending, key, p);

  m = new_message ();
  json_object_set_int_member (m, "id", p->id);
  json_object_set_string_member (m, "method", method);
  if (params != NULL)
    json_object_set_object_member (m, "params", params);
  send_message (self, m);

  timeout = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (timeout, on_request_timeout, p, NULL);
  p->timeout_id = g_source_attach (timeout, self->context);
  g_source_unref (timeout);
  if (cancellable != NULL)
    {
      p->cancellable = g_object_ref (cancellable);
      p->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), p, NULL);
    }
}

static void
flush_queued (HearthMcpClient *self)
{
  Queued *q;

  while (self->ready && (q = g_queue_pop_head (&self->queued)) != NULL)
    {
      send_request (self, q->method, g_steal_pointer (&q->params), g_steal_pointer (&q->task));
      queued_free (q);
    }
}

static void start_server (HearthMcpClient *self);

/* Sends @method with @params (taken) once the server is ready, starting
 * it if need be; @task (a reference taken) gets the result node. */
static void
request (HearthMcpClient *self,
         const char      *method,
         JsonObject      *params,
         GTask           *task)
{
  Queued *q;

  if (self->ready)
    {
      send_request (self, method, params, task);
      return;
    }
  q = g_new0 (Queued, 1);
  q->method = g_strdup (method);
  q->params = params;
  q->task = task;
  g_queue_push_tail (&self->queued, q);
  if (self->conn == NULL)
    start_server (self);
}

/* ---- reading ---- */

static void
handle_request (HearthMcpClient  *self,
                HearthMcpMessage *msg)
{
  JsonObject *reply = new_message ();

  json_object_set_member (reply, "id", json_node_copy (msg->id));
  if (strcmp (msg->method, "ping") == 0)
    json_object_set_object_member (reply, "result", json_object_new ());
  else
    {
      JsonObject *err = json_object_new ();

      json_object_set_int_member (err, "code", -32601);
      json_object_set_string_member (err, "message", "Method not found: Hearth does not support it");
      json_object_set_object_member (reply, "error", err);
    }
  send_message (self, reply);
}

static void
handle_response (HearthMcpClient  *self,
                 HearthMcpMessage *msg)
{
  Pending *p;

  if (msg->id == NULL || json_node_get_value_type (msg->id) != G_TYPE_INT64)
    {
      if (msg->error_message != NULL)
        g_debug ("MCP server “%s” reported an error: %s", self->name, msg->error_message);
      return;
    }
  p = take_pending (self, json_node_get_int (msg->id));
  if (p == NULL)
    return;  /* an answer to a request that was cancelled */
  if (msg->error_message != NULL)
    pending_complete (p, NULL, g_error_new (HEARTH_PLUGIN_ERROR,
                                            msg->error_code == -32602 ? HEARTH_PLUGIN_ERROR_INVALID_ARGUMENTS
                                                                      : HEARTH_PLUGIN_ERROR_FAILED,
                                            "MCP server “%s”: %s", self->name, msg->error_message));
  else
    pending_complete (p, msg->result, NULL);
}

/* Handles one line; FALSE when the server was failed. */
static gboolean
handle_line (HearthMcpClient *self,
             const char      *line,
             gsize            len)
{
  HearthMcpMessage msg;
  g_autoptr(GError) error = NULL;

  if (!hearth_mcp_message_parse (line, len, &msg, &error))
    {
      client_fail_printf (self, "sent a malformed message (%s)", error->message);
      return FALSE;
    }
  switch (msg.kind)
    {
    case HEARTH_MCP_MESSAGE_REQUEST:
      handle_request (self, &msg);
      break;
    case HEARTH_MCP_MESSAGE_RESPONSE:
      handle_response (self, &msg);
      break;
    case HEARTH_MCP_MESSAGE_NOTIFICATION:
      if (strcmp (msg.method, "notifications/tools/list_changed") == 0)
        g_signal_emit (self, signals[TOOLS_CHANGED], 0);
      break;
    default:
      g_assert_not_reached ();
    }
  hearth_mcp_message_clear (&msg);
  return TRUE;
}

/* Both pipes are at their end (or stderr took too long): the server is gone. */
static gboolean
on_exited (gpointer data)
{
  Conn *conn = data;

  if (conn->client != NULL)
    client_fail_printf (conn->client, "exited");
  return G_SOURCE_REMOVE;
}

static void
on_stdout_end (Conn *conn)
{
  conn->stdout_eof = TRUE;
  if (conn->stderr_eof)
    {
      on_exited (conn);
      return;
    }
  /* What it wrote to stderr last says why; a child of the server may hold
   * stderr open, so this waits half a second at most. */
  conn->exit_wait = g_timeout_source_new (500);
  g_source_set_callback (conn->exit_wait, on_exited, conn_ref (conn), (GDestroyNotify) conn_unref);
  g_source_attach (conn->exit_wait, conn->client->context);
}

static void
on_stdout (GObject      *stream,
           GAsyncResult *result,
           gpointer      data)
{
  Conn *conn = data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  HearthMcpClient *self = conn->client;
  char *line;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (stream), result, &error);
  if (self == NULL)
    {
      conn_unref (conn);
      return;
    }
  g_object_ref (self);
  if (bytes == NULL)
    client_fail_printf (self, "could not be read from: %s", error->message);
  else if (g_bytes_get_size (bytes) == 0)
    on_stdout_end (conn);
  else
    {
      gsize size;
      const guint8 *d = g_bytes_get_data (bytes, &size);

      hearth_mcp_framer_push (&conn->framer, d, size);
      while (conn->client == self && (line = hearth_mcp_framer_next (&conn->framer, &len, &error)) != NULL)
        {
          handle_line (self, line, len);
          g_free (line);
        }
      if (conn->client == self && error != NULL)
        client_fail_printf (self, "sent %s", error->message);
      if (conn->client == self)
        g_input_stream_read_bytes_async (conn->from_server, READ_CHUNK, G_PRIORITY_DEFAULT, conn->cancel,
                                         on_stdout, conn_ref (conn));
    }
  g_object_unref (self);
  conn_unref (conn);
}

static void
on_stderr (GObject      *stream,
           GAsyncResult *result,
           gpointer      data)
{
  Conn *conn = data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (stream), result, NULL);
  gsize size = 0;
  const char *d;

  if (conn->client == NULL)
    {
      conn_unref (conn);
      return;
    }
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      conn->stderr_eof = TRUE;
      if (conn->stdout_eof)
        on_exited (conn);
      conn_unref (conn);
      return;
    }
  d = g_bytes_get_data (bytes, &size);
  if (size >= STDERR_KEEP)
    {
      g_string_truncate (conn->stderr_tail, 0);
      g_string_append_len (conn->stderr_tail, d + size - STDERR_KEEP, STDERR_KEEP);
    }
  else
    {
      if (conn->stderr_tail->len + size > STDERR_KEEP)
        g_string_erase (conn->stderr_tail, 0, (gssize) (conn->stderr_tail->len + size - STDERR_KEEP));
      g_string_append_len (conn->stderr_tail, d, (gssize) size);
    }
  g_input_stream_read_bytes_async (conn->stderr_stream, READ_CHUNK, G_PRIORITY_DEFAULT, conn->cancel,
                                   on_stderr, conn);
}

/* ---- starting ---- */

static void
on_initialized (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  HearthMcpClient *self = HEARTH_MCP_CLIENT (source);
  Conn *conn = data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *version = NULL;

  node = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->conn != conn)
    {
      /* Failed or stopped meanwhile: the queue was failed with it. */
      conn_unref (conn);
      return;
    }
  conn_unref (conn);
  if (node == NULL)
    {
      client_fail (self, g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                                      "MCP server “%s” could not be initialized: %s", self->name, error->message));
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node) ||
      !string_member (json_node_get_object (node), "protocolVersion", &version))
    {
      client_fail_printf (self, "answered initialize without a protocol version");
      return;
    }
  if (!hearth_mcp_protocol_version_is_supported (version))
    {
      client_fail_printf (self, "speaks MCP %s, which Hearth does not", version);
      return;
    }
  send_notification (self, "notifications/initialized", NULL);
  self->ready = TRUE;
  flush_queued (self);
}

static void
start_server (HearthMcpClient *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *params, *info;
  GSubprocess *proc;
  Conn *conn;
  GTask *task;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; self->env != NULL && self->env[i] != NULL; i++)
    {
      const char *eq = strchr (self->env[i], '=');
      g_autofree char *key = eq ? g_strndup (self->env[i], (gsize) (eq - self->env[i])) : NULL;

      if (key != NULL && key[0] != '\0')
        g_subprocess_launcher_setenv (launcher, key, eq + 1, TRUE);
    }
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) self->argv, &error);
  if (proc == NULL)
    {
      client_fail (self, g_error_new (HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_UNAVAILABLE,
                                      "MCP server “%s” could not be started: %s", self->name, error->message));
      return;
    }

  conn = g_new0 (Conn, 1);
  g_atomic_ref_count_init (&conn->ref);
  conn->client = self;
  conn->proc = proc;
  conn->to_server = g_subprocess_get_stdin_pipe (proc);
  conn->from_server = g_subprocess_get_stdout_pipe (proc);
  conn->stderr_stream = g_subprocess_get_stderr_pipe (proc);
  conn->cancel = g_cancellable_new ();
  hearth_mcp_framer_init (&conn->framer, HEARTH_MCP_MAX_LINE);
  g_queue_init (&conn->writes);
  conn->stderr_tail = g_string_new (NULL);
  self->conn = conn;
  g_input_stream_read_bytes_async (conn->from_server, READ_CHUNK, G_PRIORITY_DEFAULT, conn->cancel,
                                   on_stdout, conn_ref (conn));
  g_input_stream_read_bytes_async (conn->stderr_stream, READ_CHUNK, G_PRIORITY_DEFAULT, conn->cancel,
                                   on_stderr, conn_ref (conn));

  params = json_object_new ();
  json_object_set_string_member (params, "protocolVersion", HEARTH_MCP_PROTOCOL_VERSION);
  json_object_set_object_member (params, "capabilities", json_object_new ());
  info = json_object_new ();
  json_object_set_string_member (info, "name", "hearth");
  json_object_set_string_member (info, "version", HEARTH_MCP_CLIENT_VERSION);
  json_object_set_object_member (params, "clientInfo", info);
  task = g_task_new (self, NULL, on_initialized, conn_ref (conn));
  g_task_set_source_tag (task, start_server);
  send_request (self, "initialize", params, task);
}

/* ---- public API ---- */

typedef struct
{
  GPtrArray *tools;
  guint      pages;
} ListData;

static void
list_data_free (ListData *d)
{
  g_ptr_array_unref (d->tools);
  g_free (d);
}

static void on_list_page (GObject *source, GAsyncResult *result, gpointer data);

static void
list_request_page (HearthMcpClient *self,
                   GTask           *task,
                   const char      *cursor)
{
  JsonObject *params = json_object_new ();
  GTask *page = g_task_new (self, g_task_get_cancellable (task), on_list_page, task);

  if (cursor != NULL)
    json_object_set_string_member (params, "cursor", cursor);
  request (self, "tools/list", params, page);
}

static void
on_list_page (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  HearthMcpClient *self = HEARTH_MCP_CLIENT (source);
  g_autoptr(GTask) task = data;
  ListData *d = g_task_get_task_data (task);
  g_autoptr(JsonNode) node = NULL;
  GError *error = NULL;
  JsonObject *obj;
  JsonNode *tools;
  const char *cursor = NULL;

  node = g_task_propagate_pointer (G_TASK (result), &error);
  if (node == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  obj = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  tools = obj != NULL ? json_object_get_member (obj, "tools") : NULL;
  if (tools == NULL || !JSON_NODE_HOLDS_ARRAY (tools))
    {
      g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                               "MCP server “%s” answered tools/list without a list of tools", self->name);
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      JsonNode *t = json_array_get_element (json_node_get_array (tools), i);

      if (JSON_NODE_HOLDS_OBJECT (t))
        g_ptr_array_add (d->tools, json_object_ref (json_node_get_object (t)));
    }
  d->pages++;
  if (!string_member (obj, "nextCursor", &cursor))
    {
      g_task_return_pointer (task, g_ptr_array_ref (d->tools), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  if (d->pages >= MAX_PAGES)
    {
      g_task_return_new_error (task, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                               "MCP server “%s” lists its tools in more than %d pages", self->name, MAX_PAGES);
      return;
    }
  list_request_page (self, g_steal_pointer (&task), cursor);
}

void
hearth_mcp_client_list_tools_async (HearthMcpClient     *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;
  ListData *d;

  g_return_if_fail (HEARTH_IS_MCP_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_mcp_client_list_tools_async);
  d = g_new0 (ListData, 1);
  d->tools = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_task_set_task_data (task, d, (GDestroyNotify) list_data_free);
  list_request_page (self, task, NULL);
}

GPtrArray *
hearth_mcp_client_list_tools_finish (HearthMcpClient  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hearth_mcp_client_call_tool_async (HearthMcpClient     *self,
                                   const char          *tool,
                                   JsonObject          *arguments,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  JsonObject *params;

  g_return_if_fail (HEARTH_IS_MCP_CLIENT (self));
  g_return_if_fail (tool != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hearth_mcp_client_call_tool_async);
  params = json_object_new ();
  json_object_set_string_member (params, "name", tool);
  if (arguments != NULL)
    {
      g_autoptr(JsonNode) args = json_node_init_object (json_node_alloc (), arguments);

      json_object_set_member (params, "arguments", json_node_copy (args));
    }
  else
    json_object_set_object_member (params, "arguments", json_object_new ());
  request (self, "tools/call", params, task);
}

JsonObject *
hearth_mcp_client_call_tool_finish (HearthMcpClient  *self,
                                    GAsyncResult     *result,
                                    GError          **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  node = g_task_propagate_pointer (G_TASK (result), error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, HEARTH_PLUGIN_ERROR, HEARTH_PLUGIN_ERROR_INVALID_RESULT,
                   "MCP server “%s” answered tools/call with something other than an object", self->name);
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

void
hearth_mcp_client_stop (HearthMcpClient *self)
{
  g_return_if_fail (HEARTH_IS_MCP_CLIENT (self));
  if (self->conn == NULL && g_queue_is_empty (&self->queued) && g_hash_table_size (self->pending) == 0)
    return;
  client_fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                  "MCP server “%s” was stopped", self->name));
}

const char *
hearth_mcp_client_get_name (HearthMcpClient *self)
{
  g_return_val_if_fail (HEARTH_IS_MCP_CLIENT (self), NULL);
  return self->name;
}

GPid
hearth_mcp_client_get_pid (HearthMcpClient *self)
{
  const char *id;

  g_return_val_if_fail (HEARTH_IS_MCP_CLIENT (self), 0);
  if (self->conn == NULL || (id = g_subprocess_get_identifier (self->conn->proc)) == NULL)
    return 0;
  return (GPid) g_ascii_strtoll (id, NULL, 10);
}

HearthMcpClient *
hearth_mcp_client_new (const char         *name,
                       const char * const *argv,
                       const char * const *env,
                       guint               timeout_ms)
{
  HearthMcpClient *self;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_MCP_CLIENT, NULL);
  self->name = g_strdup (name);
  self->argv = g_strdupv ((char **) argv);
  self->env = g_strdupv ((char **) env);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : 20000;
  return self;
}

static void
hearth_mcp_client_dispose (GObject *object)
{
  HearthMcpClient *self = HEARTH_MCP_CLIENT (object);

  /* Requests hold the client, so none are left; the server still runs. */
  conn_close (self);
  G_OBJECT_CLASS (hearth_mcp_client_parent_class)->dispose (object);
}

static void
hearth_mcp_client_finalize (GObject *object)
{
  HearthMcpClient *self = HEARTH_MCP_CLIENT (object);

  g_hash_table_unref (self->pending);
  g_queue_clear_full (&self->queued, (GDestroyNotify) queued_free);
  g_main_context_unref (self->context);
  g_free (self->name);
  g_strfreev (self->argv);
  g_strfreev (self->env);
  G_OBJECT_CLASS (hearth_mcp_client_parent_class)->finalize (object);
}

static void
hearth_mcp_client_class_init (HearthMcpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  struct sigaction old;

  object_class->dispose = hearth_mcp_client_dispose;
  object_class->finalize = hearth_mcp_client_finalize;

  signals[TOOLS_CHANGED] = g_signal_new ("tools-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* Writing to a server that just died must be an error, not SIGPIPE
   * killing the app; a handler someone else installed is left alone. */
  if (sigaction (SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);
}

static void
hearth_mcp_client_init (HearthMcpClient *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&self->queued);
}
