/* fuzz-mcp.c: libFuzzer harness for what the mcp plugin reads from a server: line framing, JSON-RPC messages, tools/call results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is what a server wrote to its stdout. The first byte picks
 * the size of the pieces it arrives in (as reads from a pipe would cut
 * it); the framer gets a small line bound so that overlong lines are
 * reached. Every line is parsed as a JSON-RPC message, and a response's
 * result read as a tools/call result. Checked: lines hold no newline and
 * respect the bound; a parsed message is consistent with its kind; errors
 * are in HEARTH_PLUGIN_ERROR, their messages valid UTF-8; a result's text is valid UTF-8 and, when
 * it says JSON, parses. Nothing may crash, leak or complain (hearth-fuzz.h).
 */
#include <string.h>

#include "hearth-fuzz.h"
#include "hearth-mcp-client.h"
#include "hearth-plugin.h"

#define FUZZ_MAX_LINE 4096

static void
check_message (const HearthMcpMessage *m)
{
  switch (m->kind)
    {
    case HEARTH_MCP_MESSAGE_REQUEST:
      g_assert (m->method != NULL && m->id != NULL && m->result == NULL);
      break;
    case HEARTH_MCP_MESSAGE_NOTIFICATION:
      g_assert (m->method != NULL && m->id == NULL && m->result == NULL);
      break;
    case HEARTH_MCP_MESSAGE_RESPONSE:
      g_assert (m->method == NULL);
      g_assert ((m->result != NULL) != (m->error_message != NULL));
      g_assert (m->result == NULL || m->id != NULL);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
read_result (JsonNode *result)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean is_json = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (result))
    return;
  text = hearth_mcp_call_result_read (json_node_get_object (result), "fuzz", &is_json, &error);
  if (text == NULL)
    {
      hearth_fuzz_check_error (error, HEARTH_PLUGIN_ERROR);
      return;
    }
  g_assert (error == NULL);
  g_assert (g_utf8_validate (text, -1, NULL));
  if (is_json)
    {
      g_autoptr(JsonNode) again = json_from_string (text, NULL);

      g_assert (again != NULL);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  HearthMcpFramer framer;
  g_autoptr(GError) error = NULL;
  gsize piece, off = 1;
  gboolean failed = FALSE;

  hearth_fuzz_maybe_selftest ();
  if (size == 0)
    return 0;
  piece = (gsize) data[0] * 97 + 1;
  hearth_mcp_framer_init (&framer, FUZZ_MAX_LINE);
  while (off < size && !failed)
    {
      gsize n = MIN (piece, size - off);
      char *line;
      gsize len;

      hearth_mcp_framer_push (&framer, data + off, n);
      off += n;
      while ((line = hearth_mcp_framer_next (&framer, &len, &error)) != NULL)
        {
          HearthMcpMessage m;
          g_autoptr(GError) parse_error = NULL;

          g_assert (len > 0 && len <= FUZZ_MAX_LINE);
          g_assert (memchr (line, '\n', len) == NULL);
          g_assert (line[len] == '\0');
          if (hearth_mcp_message_parse (line, len, &m, &parse_error))
            {
              check_message (&m);
              if (m.result != NULL)
                read_result (m.result);
              hearth_mcp_message_clear (&m);
            }
          else
            {
              hearth_fuzz_check_error (parse_error, HEARTH_PLUGIN_ERROR);
              g_assert (parse_error->code == HEARTH_PLUGIN_ERROR_INVALID_RESULT);
            }
          g_free (line);
        }
      if (error != NULL)
        {
          g_assert (error->domain == HEARTH_PLUGIN_ERROR);
          failed = TRUE;
        }
    }
  hearth_mcp_framer_clear (&framer);
  return 0;
}
