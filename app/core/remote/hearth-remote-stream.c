/* hearth-remote-stream.c: a streamed chat completion, assembled from its events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-json-member.h"
#include "hearth-remote-provider.h"
#include "hearth-remote-responder.h"
#include "hearth-remote-stream.h"

/* A call as its deltas arrive. */
typedef struct
{
  gint64   index;
  char    *id;
  char    *name;
  GString *arguments;
} CallParts;

struct _HearthRemoteStream
{
  char      *host;
  GString   *text;
  GPtrArray *calls;          /* of CallParts, in order of first delta */
  char      *finish_reason;
  gboolean   done;           /* [DONE] was read */
  gboolean   usage;
  guint32    prompt_tokens;
  guint32    completion_tokens;
};

static void
call_parts_free (CallParts *c)
{
  g_free (c->id);
  g_free (c->name);
  g_string_free (c->arguments, TRUE);
  g_free (c);
}

HearthRemoteStream *
hearth_remote_stream_new (const char *host)
{
  HearthRemoteStream *self = g_new0 (HearthRemoteStream, 1);

  self->host = g_strdup (host);
  self->text = g_string_new (NULL);
  self->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) call_parts_free);
  return self;
}

void
hearth_remote_stream_free (HearthRemoteStream *self)
{
  if (self == NULL)
    return;
  g_free (self->host);
  g_string_free (self->text, TRUE);
  g_ptr_array_unref (self->calls);
  g_free (self->finish_reason);
  g_free (self);
}

static CallParts *
call_for_index (HearthRemoteStream *self,
                gint64              index)
{
  CallParts *c;

  for (guint i = 0; i < self->calls->len; i++)
    if (((CallParts *) g_ptr_array_index (self->calls, i))->index == index)
      return g_ptr_array_index (self->calls, i);
  c = g_new0 (CallParts, 1);
  c->index = index;
  c->arguments = g_string_new (NULL);
  g_ptr_array_add (self->calls, c);
  return c;
}

static gboolean
call_too_long (HearthRemoteStream *self,
               gsize               bound,
               GError            **error)
{
  g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
               _("A tool call from %s is longer than %u bytes"), self->host, (guint) bound);
  return FALSE;
}

/* FALSE (@error set) when the calls go past the bounds: a server streaming
 * ever new call indexes, an endless name (HEARTH_REMOTE_MAX_LINE) or
 * endless arguments (HEARTH_REMOTE_MAX_TEXT) is refused. */
static gboolean
take_tool_call_deltas (HearthRemoteStream *self,
                       JsonArray          *deltas,
                       GError            **error)
{
  for (guint i = 0; i < json_array_get_length (deltas); i++)
    {
      JsonObject *d = hearth_json_element_object (deltas, i);
      JsonObject *f;
      CallParts *c;
      const char *s;

      if (d == NULL)
        continue;
      c = call_for_index (self, hearth_json_member_int (d, "index", (gint64) i));
      if (self->calls->len > HEARTH_REMOTE_MAX_TOOL_CALLS)
        {
          g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                       _("%s sent more than %u tool calls in one reply"), self->host,
                       (guint) HEARTH_REMOTE_MAX_TOOL_CALLS);
          return FALSE;
        }
      if ((s = hearth_json_member_string (d, "id", NULL)) != NULL && s[0] != '\0')
        {
          g_free (c->id);
          c->id = g_strdup (s);
        }
      f = hearth_json_member_object (d, "function");
      if (f == NULL)
        continue;
      if ((s = hearth_json_member_string (f, "name", NULL)) != NULL)
        {
          g_autofree char *name = g_strconcat (c->name != NULL ? c->name : "", s, NULL);

          if (strlen (name) > HEARTH_REMOTE_MAX_LINE)
            return call_too_long (self, HEARTH_REMOTE_MAX_LINE, error);
          g_free (c->name);
          c->name = g_steal_pointer (&name);
        }
      if ((s = hearth_json_member_string (f, "arguments", NULL)) != NULL)
        {
          if (c->arguments->len + strlen (s) > HEARTH_REMOTE_MAX_TEXT)
            return call_too_long (self, HEARTH_REMOTE_MAX_TEXT, error);
          g_string_append (c->arguments, s);
        }
    }
  return TRUE;
}

gboolean
hearth_remote_stream_take (HearthRemoteStream *self,
                           const char         *data,
                           gsize               len,
                           const char        **content,
                           GError            **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *usage, *choice, *delta;
  JsonArray *choices;

  *content = NULL;
  if (len == strlen ("[DONE]") && memcmp (data, "[DONE]", len) == 0)
    {
      self->done = TRUE;
      return FALSE;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) len, NULL) || (o = hearth_json_root_object (parser)) == NULL)
    {
      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                   _("%s sent something that is not part of a reply"), self->host);
      return FALSE;
    }
  if (json_object_has_member (o, "error"))
    {
      JsonObject *e = hearth_json_member_object (o, "error");

      g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_SERVER, _("%s failed mid-reply: %s"),
                   self->host, e != NULL ? hearth_json_member_string (e, "message", "") : "");
      return FALSE;
    }
  if ((usage = hearth_json_member_object (o, "usage")) != NULL)
    {
      self->usage = TRUE;
      self->prompt_tokens = (guint32) CLAMP (hearth_json_member_int (usage, "prompt_tokens", 0), 0, G_MAXUINT32);
      self->completion_tokens = (guint32) CLAMP (hearth_json_member_int (usage, "completion_tokens", 0), 0,
                                                 G_MAXUINT32);
    }
  choices = hearth_json_member_array (o, "choices");
  if (choices == NULL || (choice = hearth_json_element_object (choices, 0)) == NULL)
    return TRUE;
  if ((delta = hearth_json_member_object (choice, "delta")) != NULL)
    {
      const char *text = hearth_json_member_string (delta, "content", NULL);
      JsonArray *calls = hearth_json_member_array (delta, "tool_calls");

      if (text != NULL && text[0] != '\0')
        {
          gsize n = strlen (text);

          if (self->text->len + n > HEARTH_REMOTE_MAX_TEXT)
            {
              g_set_error (error, HEARTH_REMOTE_ERROR, HEARTH_REMOTE_ERROR_PROTOCOL,
                           _("The reply from %s is longer than %u bytes"), self->host,
                           (guint) HEARTH_REMOTE_MAX_TEXT);
              return FALSE;
            }
          g_string_append_len (self->text, text, (gssize) n);
          *content = self->text->str + self->text->len - n;
        }
      if (calls != NULL && !take_tool_call_deltas (self, calls, error))
        return FALSE;
    }
  {
    const char *finish = hearth_json_member_string (choice, "finish_reason", NULL);

    if (finish != NULL)
      {
        g_free (self->finish_reason);
        self->finish_reason = g_strdup (finish);
      }
  }
  return TRUE;
}

const char *
hearth_remote_stream_get_text (HearthRemoteStream *self,
                               gsize              *len)
{
  if (len != NULL)
    *len = self->text->len;
  return self->text->str;
}

guint
hearth_remote_stream_get_n_calls (HearthRemoteStream *self)
{
  return self->calls->len;
}

gboolean
hearth_remote_stream_get_done (HearthRemoteStream *self)
{
  return self->done;
}

gboolean
hearth_remote_stream_get_usage (HearthRemoteStream *self,
                                guint32            *prompt_tokens,
                                guint32            *completion_tokens)
{
  *prompt_tokens = self->usage ? self->prompt_tokens : 0;
  *completion_tokens = self->usage ? self->completion_tokens : 0;
  return self->usage;
}

const char *
hearth_remote_stream_get_finish_reason (HearthRemoteStream *self)
{
  return self->finish_reason;
}

HearthToolCalls *
hearth_remote_stream_dup_calls (HearthRemoteStream *self,
                                const char         *tools_json)
{
  g_autoptr(GString) text = NULL;
  g_autoptr(HearthJsonValue) tools = NULL;

  if (self->calls->len == 0 || tools_json == NULL)
    return NULL;
  tools = hearth_json_parse (tools_json, -1, NULL);
  text = g_string_new_len (self->text->str, (gssize) self->text->len);
  for (guint i = 0; i < self->calls->len; i++)
    {
      CallParts *c = g_ptr_array_index (self->calls, i);
      g_autoptr(HearthJsonValue) o = hearth_json_new_object ();
      g_autoptr(HearthJsonValue) arguments = NULL;
      g_autofree char *one = NULL;

      arguments = c->arguments->len == 0 ? hearth_json_new_object ()
                                         : hearth_json_parse (c->arguments->str, (gssize) c->arguments->len, NULL);
      if (arguments == NULL)
        arguments = hearth_json_new_string (c->arguments->str, (gssize) c->arguments->len);
      if (c->id != NULL)
        hearth_json_object_set (o, "id", hearth_json_new_string (c->id, -1));
      hearth_json_object_set (o, "name", hearth_json_new_string (c->name != NULL ? c->name : "", -1));
      hearth_json_object_set (o, "arguments", g_steal_pointer (&arguments));
      one = hearth_json_to_string (o, -1);
      g_string_append_printf (text, "\n<tool_call>%s</tool_call>", one);
    }
  return hearth_tool_calls_parse (text->str, (gssize) text->len, HEARTH_TOOL_CALL_FORMAT_HERMES, tools, NULL);
}
