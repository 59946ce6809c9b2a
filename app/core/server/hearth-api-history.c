/* hearth-api-history.c: an API conversation kept in the history (see the header)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hearth-api-history.h"

#define TITLE_CHARS 60

/* "API: " and the first line of @text, at most TITLE_CHARS characters. */
static char *
title_for (const char *text)
{
  g_autofree char *line = g_strndup (text, strcspn (text, "\n"));
  g_autofree char *clean = g_utf8_make_valid (g_strstrip (line), -1);

  if (g_utf8_strlen (clean, -1) > TITLE_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (clean, 0, TITLE_CHARS);

      return g_strdup_printf (_("API: %s…"), cut);
    }
  return g_strdup_printf (_("API: %s"), clean);
}

gint64
hearth_api_history_store (HearthStore *store,
                          GPtrArray   *messages,
                          const char  *reply,
                          GError     **error)
{
  g_autoptr(GString) system = g_string_new (NULL);
  g_autoptr(HearthConversation) conv = NULL;
  g_autofree char *title = NULL;
  const char *first_user = NULL;
  gint64 id;

  for (guint i = 0; i < messages->len; i++)
    {
      HearthWorkerMessage *m = g_ptr_array_index (messages, i);

      if (m->role == HEARTH_CHAT_ROLE_SYSTEM && m->content != NULL)
        g_string_append_printf (system, "%s%s", system->len > 0 ? "\n\n" : "", m->content);
      else if (m->role == HEARTH_CHAT_ROLE_USER && first_user == NULL)
        first_user = m->content != NULL ? m->content : "";
    }
  title = title_for (first_user != NULL ? first_user : reply);
  /* No model: the conversation records what a client asked, and is opened
   * with whatever model the user picks. */
  conv = hearth_store_create_conversation (store, title, NULL, system->len > 0 ? system->str : NULL, error);
  if (conv == NULL)
    return 0;
  id = hearth_conversation_get_id (conv);
  for (guint i = 0; i < messages->len; i++)
    {
      HearthWorkerMessage *m = g_ptr_array_index (messages, i);
      const char *content = m->content != NULL ? m->content : "";
      g_autoptr(HearthMessage) stored = NULL;

      switch (m->role)
        {
        case HEARTH_CHAT_ROLE_SYSTEM:
          continue;
        case HEARTH_CHAT_ROLE_USER:
          stored = hearth_store_append_message (store, id, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                                                content, NULL, error);
          break;
        case HEARTH_CHAT_ROLE_ASSISTANT:
          stored = hearth_store_append_message (store, id, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT,
                                                content, NULL, error);
          break;
        case HEARTH_CHAT_ROLE_TOOL:
          stored = hearth_store_append_tool_result (store, id, HEARTH_STORE_CURRENT_LEAF, content, m->tool_call_id,
                                                    m->tool_name, NULL, error);
          break;
        }
      if (stored == NULL)
        return 0;
    }
  {
    g_autoptr(HearthMessage) stored = hearth_store_append_message (store, id, HEARTH_STORE_CURRENT_LEAF,
                                                                   HEARTH_MESSAGE_ROLE_ASSISTANT, reply, NULL, error);
    if (stored == NULL)
      return 0;
  }
  return id;
}
