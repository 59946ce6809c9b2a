/* hearth-chat.c: conversations formatted by the model's own chat template
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reusing the previous turn. A reply's text tokenizes differently from the
 * tokens that generated it, so rendering and tokenizing the whole history
 * again would make the cache miss from the first token of the last reply
 * on. After each reply the chat keeps the token sequence the session holds
 * (prompt and generated tokens) and the text it stands for (the rendered
 * prompt and the reply as streamed), checked by decoding the generated
 * tokens again. The next prompt, when its rendering starts with that text,
 * is those tokens plus the rest: tokenized alone when that spells the rest
 * exactly (BPE vocabularies), else the whole rendering's tokens from the
 * boundary where the rest starts (SentencePiece, which would put a space
 * in front of text tokenized alone). The turn evaluates only the new
 * markers and message.
 * Anything else (a template that rewrites earlier turns, dropped history,
 * an edited message, a reply stopped by a stop string) tokenizes the whole
 * rendering, and the session reuses its cache by comparing tokens.
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-chat.h"
#include "hearth-engine-error.h"
#include "hearth-jinja.h"
#include "hearth-tokenizer.h"

struct _HearthChat
{
  HearthSession       *session;  /* borrowed: the caller owns it */
  HearthJinjaTemplate *tmpl;
  gboolean             is_default;
  char                *system_prompt;
  HearthJsonValue     *tools;    /* array, or NULL */
  HearthJsonValue     *messages; /* array of {role, content, ...} */
  char                *bos_text;
  char                *eos_text;
  gboolean             hermes_tools;     /* the template writes <tool_call> */
  gboolean             tools_required;
  HearthConstraint    *tool_constraint;  /* made on first need for the tools */
  gboolean             tool_constraint_failed;
  /* The previous turn, for reuse (see the top of this file): the text
   * that prev_ids stand for; NULL when there is none to reuse. */
  char                *prev_text;
  GArray              *prev_ids;         /* gint32 */
};

static const char *const role_names[] = { "system", "user", "assistant", "tool" };

void
hearth_chat_params_init (HearthChatParams *params)
{
  memset (params, 0, sizeof *params);
}

void
hearth_chat_reply_clear (HearthChatReply *reply)
{
  g_clear_pointer (&reply->text, g_free);
  g_clear_pointer (&reply->tool_calls, hearth_tool_calls_free);
}

static char *
dup_piece (HearthTokenizer *tok,
           gint32           id)
{
  const char *piece;
  gsize len;

  if (id < 0)
    return g_strdup ("");
  piece = hearth_tokenizer_get_piece (tok, id, &len);
  return piece ? g_strndup (piece, len) : g_strdup ("");
}

HearthChat *
hearth_chat_new_with_template (HearthSession *session,
                               const char    *template_source,
                               GError       **error)
{
  g_autoptr(HearthChat) self = g_new0 (HearthChat, 1);
  HearthModel *model = hearth_session_get_model (session);
  HearthTokenizer *tok = hearth_model_get_tokenizer (model);

  self->session = session;
  self->tmpl = hearth_jinja_template_new (template_source, error);
  if (self->tmpl == NULL)
    return NULL;
  self->messages = hearth_json_new_array ();
  self->hermes_tools = strstr (template_source, "<tool_call>") != NULL;
  self->bos_text = dup_piece (tok, hearth_tokenizer_get_bos (tok));
  self->eos_text = dup_piece (tok, hearth_tokenizer_get_eos (tok));
  return g_steal_pointer (&self);
}

HearthChat *
hearth_chat_new (HearthSession *session,
                 GError       **error)
{
  HearthModel *model = hearth_session_get_model (session);
  gboolean is_default = FALSE;
  g_autofree char *source = hearth_jinja_dup_gguf_template (hearth_model_get_gguf (model), &is_default);
  HearthChat *self = hearth_chat_new_with_template (session, source, error);

  if (self != NULL)
    self->is_default = is_default;
  return self;
}

void
hearth_chat_free (HearthChat *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->tmpl, hearth_jinja_template_unref);
  g_clear_pointer (&self->tools, hearth_json_value_unref);
  g_clear_pointer (&self->tool_constraint, hearth_constraint_unref);
  g_clear_pointer (&self->messages, hearth_json_value_unref);
  g_free (self->system_prompt);
  g_free (self->bos_text);
  g_free (self->eos_text);
  g_free (self->prev_text);
  g_clear_pointer (&self->prev_ids, g_array_unref);
  g_free (self);
}

HearthSession *
hearth_chat_get_session (HearthChat *self)
{
  return self->session;
}

gboolean
hearth_chat_uses_default_template (HearthChat *self)
{
  return self->is_default;
}

void
hearth_chat_set_system_prompt (HearthChat *self,
                               const char *text)
{
  g_free (self->system_prompt);
  self->system_prompt = text != NULL && *text != '\0' ? g_strdup (text) : NULL;
}

void
hearth_chat_set_tools (HearthChat      *self,
                       HearthJsonValue *tools)
{
  g_clear_pointer (&self->tools, hearth_json_value_unref);
  g_clear_pointer (&self->tool_constraint, hearth_constraint_unref);
  self->tool_constraint_failed = FALSE;
  if (tools != NULL)
    self->tools = hearth_json_value_ref (tools);
}

void
hearth_chat_set_tools_required (HearthChat *self,
                                gboolean    required)
{
  if (self->tools_required != !!required)
    g_clear_pointer (&self->tool_constraint, hearth_constraint_unref);
  self->tools_required = !!required;
  self->tool_constraint_failed = FALSE;
}

HearthConstraint *
hearth_chat_get_tool_constraint (HearthChat *self)
{
  g_autoptr(GError) error = NULL;

  if (self->tools == NULL || !self->hermes_tools || self->tool_constraint_failed)
    return NULL;
  if (self->tool_constraint == NULL)
    {
      HearthTokenizer *tok = hearth_model_get_tokenizer (hearth_session_get_model (self->session));

      self->tool_constraint = hearth_constraint_new_for_tools (self->tools, tok, "<tool_call>", "</tool_call>",
                                                               self->tools_required, &error);
      if (self->tool_constraint == NULL)
        {
          /* The calls are still checked when parsed; they are just not
           * constrained while written. */
          g_debug ("tool calls are not constrained: %s", error->message);
          self->tool_constraint_failed = TRUE;
        }
    }
  return self->tool_constraint;
}

static HearthJsonValue *
new_message (HearthChatRole role,
             const char    *content)
{
  HearthJsonValue *msg = hearth_json_new_object ();

  hearth_json_object_set (msg, "role", hearth_json_new_string (role_names[role], -1));
  hearth_json_object_set (msg, "content", hearth_json_new_string (content ? content : "", -1));
  return msg;
}

void
hearth_chat_add_message (HearthChat     *self,
                         HearthChatRole  role,
                         const char     *content)
{
  g_return_if_fail ((guint) role < G_N_ELEMENTS (role_names));
  hearth_json_array_append (self->messages, new_message (role, content));
}

void
hearth_chat_add_tool_calls (HearthChat      *self,
                            const char      *content,
                            HearthToolCalls *calls)
{
  HearthJsonValue *msg = new_message (HEARTH_CHAT_ROLE_ASSISTANT, content);
  HearthJsonValue *list = hearth_json_new_array ();

  for (guint i = 0; calls != NULL && i < hearth_tool_calls_get_n_calls (calls); i++)
    {
      const HearthToolCall *c = hearth_tool_calls_get_call (calls, i);
      HearthJsonValue *call, *fn;

      if (c->error != NULL)
        continue;  /* a malformed call never reaches the conversation as a call */
      call = hearth_json_new_object ();
      fn = hearth_json_new_object ();
      if (c->id != NULL)
        hearth_json_object_set (call, "id", hearth_json_new_string (c->id, -1));
      hearth_json_object_set (call, "type", hearth_json_new_string ("function", -1));
      hearth_json_object_set (fn, "name", hearth_json_new_string (c->name, -1));
      hearth_json_object_set (fn, "arguments", hearth_json_value_ref (c->arguments));
      hearth_json_object_set (call, "function", fn);
      hearth_json_array_append (list, call);
    }
  hearth_json_object_set (msg, "tool_calls", list);
  hearth_json_array_append (self->messages, msg);
}

void
hearth_chat_add_tool_result (HearthChat *self,
                             const char *tool_call_id,
                             const char *name,
                             const char *content)
{
  HearthJsonValue *msg = new_message (HEARTH_CHAT_ROLE_TOOL, content);

  if (tool_call_id != NULL)
    hearth_json_object_set (msg, "tool_call_id", hearth_json_new_string (tool_call_id, -1));
  if (name != NULL)
    hearth_json_object_set (msg, "name", hearth_json_new_string (name, -1));
  hearth_json_array_append (self->messages, msg);
}

guint
hearth_chat_get_n_messages (HearthChat *self)
{
  return hearth_json_array_get_length (self->messages);
}

/* Copies messages [start, n) into a new array. */
static HearthJsonValue *
slice_messages (HearthChat *self,
                guint       start)
{
  HearthJsonValue *out = hearth_json_new_array ();
  guint n = hearth_json_array_get_length (self->messages);

  for (guint i = start; i < n; i++)
    hearth_json_array_append (out, hearth_json_value_ref (hearth_json_array_get (self->messages, i)));
  return out;
}

void
hearth_chat_truncate (HearthChat *self,
                      guint       n)
{
  HearthJsonValue *kept;

  if (n >= hearth_chat_get_n_messages (self))
    return;
  kept = hearth_json_new_array ();
  for (guint i = 0; i < n; i++)
    hearth_json_array_append (kept, hearth_json_value_ref (hearth_json_array_get (self->messages, i)));
  hearth_json_value_unref (self->messages);
  self->messages = kept;
}

void
hearth_chat_reset (HearthChat *self)
{
  hearth_chat_truncate (self, 0);
  hearth_session_truncate (self->session, 0);
  g_clear_pointer (&self->prev_text, g_free);
  g_clear_pointer (&self->prev_ids, g_array_unref);
}

static char *
render_from (HearthChat *self,
             guint       start,
             gboolean    add_generation_prompt,
             GError    **error)
{
  g_autoptr(HearthJsonValue) ctx = hearth_json_new_object ();
  HearthJsonValue *msgs = hearth_json_new_array ();
  g_autoptr(HearthJsonValue) rest = slice_messages (self, start);

  if (self->system_prompt != NULL)
    hearth_json_array_append (msgs, new_message (HEARTH_CHAT_ROLE_SYSTEM, self->system_prompt));
  for (guint i = 0; i < hearth_json_array_get_length (rest); i++)
    hearth_json_array_append (msgs, hearth_json_value_ref (hearth_json_array_get (rest, i)));

  hearth_json_object_set (ctx, "messages", msgs);
  if (self->tools != NULL)
    hearth_json_object_set (ctx, "tools", hearth_json_value_ref (self->tools));
  hearth_json_object_set (ctx, "add_generation_prompt", hearth_json_new_boolean (add_generation_prompt));
  hearth_json_object_set (ctx, "bos_token", hearth_json_new_string (self->bos_text, -1));
  hearth_json_object_set (ctx, "eos_token", hearth_json_new_string (self->eos_text, -1));
  return hearth_jinja_template_render (self->tmpl, ctx, error);
}

char *
hearth_chat_render (HearthChat *self,
                    gboolean    add_generation_prompt,
                    GError    **error)
{
  return render_from (self, 0, add_generation_prompt, error);
}

/* Templates put the BOS text in themselves when the model wants one; add
 * the id only where the model wants it and the template left it out. */
static gboolean
tokenize_prompt (HearthChat *self,
                 const char *text,
                 GArray     *ids,
                 GError    **error)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (hearth_session_get_model (self->session));
  gint32 bos = hearth_tokenizer_get_bos (tok);

  g_array_set_size (ids, 0);
  if (!hearth_tokenizer_encode (tok, text, -1, HEARTH_TOKENIZE_PARSE_SPECIAL, ids, error))
    return FALSE;
  if (hearth_tokenizer_get_add_bos (tok) && bos >= 0 &&
      (ids->len == 0 || g_array_index (ids, gint32, 0) != bos))
    g_array_prepend_val (ids, bos);
  return TRUE;
}

static guint
last_user_index (HearthChat *self)
{
  guint n = hearth_chat_get_n_messages (self);

  for (guint i = n; i > 0; i--)
    {
      HearthJsonValue *role = hearth_json_object_get (hearth_json_array_get (self->messages, i - 1), "role");

      if (role != NULL && g_strcmp0 (hearth_json_get_string (role, NULL), "user") == 0)
        return i - 1;
    }
  return n > 0 ? n - 1 : 0;
}

static gboolean
is_user (HearthChat *self,
         guint       i)
{
  HearthJsonValue *role = hearth_json_object_get (hearth_json_array_get (self->messages, i), "role");

  return role != NULL && g_strcmp0 (hearth_json_get_string (role, NULL), "user") == 0;
}

/* TRUE when the bytes of ids[from..] (control tokens as their text) are
 * exactly @text. */
static gboolean
ids_spell (HearthTokenizer *tok,
           GArray          *ids,
           guint            from,
           const char      *text)
{
  g_autoptr(GString) bytes = g_string_new (NULL);

  for (guint i = from; i < ids->len; i++)
    hearth_tokenizer_append_token_bytes (tok, g_array_index (ids, gint32, i), TRUE, bytes);
  return strcmp (bytes->str, text) == 0;
}

/* Tokenizes @text reusing the previous turn's tokens where it starts with
 * their text: the tail after it is tokenized alone when that spells it
 * exactly (BPE vocabularies; SentencePiece would add a space in front), or
 * else taken from the whole text's tokens when they have a boundary where
 * the tail starts. Returns how many ids were reused (0: none, the whole
 * text's tokens), G_MAXUINT32 on error. */
static guint32
tokenize_reusing (HearthChat *self,
                  const char *text,
                  GArray     *ids,
                  GError    **error)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (hearth_session_get_model (self->session));
  g_autoptr(GArray) rest = NULL;
  const char *tail = NULL;
  gsize tail_len = 0, acc = 0;
  guint j;

  if (self->prev_text != NULL && g_str_has_prefix (text, self->prev_text))
    {
      tail = text + strlen (self->prev_text);
      tail_len = strlen (tail);
      rest = g_array_new (FALSE, FALSE, sizeof (gint32));
      if (tail_len > 0 && hearth_tokenizer_encode (tok, tail, -1, HEARTH_TOKENIZE_PARSE_SPECIAL, rest, NULL) &&
          ids_spell (tok, rest, 0, tail))
        {
          g_array_set_size (ids, 0);
          g_array_append_vals (ids, self->prev_ids->data, self->prev_ids->len);
          g_array_append_vals (ids, rest->data, rest->len);
          return self->prev_ids->len;
        }
    }
  if (!tokenize_prompt (self, text, ids, error))
    return G_MAXUINT32;
  if (tail == NULL || tail_len == 0)
    return 0;
  /* Walk back from the end to the token where the tail starts. */
  for (j = ids->len; j > 0 && acc < tail_len; j--)
    {
      g_autoptr(GString) piece = g_string_new (NULL);

      hearth_tokenizer_append_token_bytes (tok, g_array_index (ids, gint32, j - 1), TRUE, piece);
      acc += piece->len;
    }
  if (acc != tail_len || !ids_spell (tok, ids, j, tail))
    return 0;
  g_array_remove_range (ids, 0, j);
  g_array_prepend_vals (ids, self->prev_ids->data, self->prev_ids->len);
  return self->prev_ids->len;
}

/* After a reply: keeps the session's tokens and the text they stand for
 * when decoding the generated part gives the reply exactly. */
static void
remember_turn (HearthChat *self,
               const char *prompt_text,
               GArray     *prompt_ids,
               const char *reply_text)
{
  HearthTokenizer *tok = hearth_model_get_tokenizer (hearth_session_get_model (self->session));
  const gint32 *held = hearth_session_get_tokens (self->session);
  guint32 n_held = hearth_session_get_n_past (self->session);
  g_autoptr(HearthDetokenizer) detok = NULL;
  g_autoptr(GString) decoded = g_string_new (NULL);

  g_clear_pointer (&self->prev_text, g_free);
  g_clear_pointer (&self->prev_ids, g_array_unref);
  if (n_held < prompt_ids->len ||
      memcmp (held, prompt_ids->data, prompt_ids->len * sizeof (gint32)) != 0)
    return;
  detok = hearth_detokenizer_new (tok, FALSE);
  for (guint32 i = prompt_ids->len; i < n_held; i++)
    hearth_detokenizer_push (detok, held[i], decoded);
  hearth_detokenizer_flush (detok, decoded);
  if (strcmp (decoded->str, reply_text) != 0)
    return;
  self->prev_text = g_strconcat (prompt_text, reply_text, NULL);
  self->prev_ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), n_held);
  g_array_append_vals (self->prev_ids, held, n_held);
}

/* Renders and tokenizes from the oldest message that lets the prompt and
 * @reserve positions fit; returns the first message kept in @start, its
 * rendering in @text_out and the ids reused from the previous turn in
 * @n_reused. */
static gboolean
fit_prompt (HearthChat *self,
            guint32     reserve,
            GArray     *ids,
            guint      *start,
            char      **text_out,
            guint32    *n_reused,
            GError    **error)
{
  guint32 n_ctx = hearth_session_get_n_ctx (hearth_chat_get_session (self));
  guint last_user = last_user_index (self);
  guint s = 0;
  g_autofree char *text = NULL;

  for (;;)
    {
      g_free (text);
      text = render_from (self, s, TRUE, error);
      if (text == NULL || (*n_reused = tokenize_reusing (self, text, ids, error)) == G_MAXUINT32)
        return FALSE;
      if (ids->len + reserve <= n_ctx || (s >= last_user && ids->len < n_ctx))
        break;
      if (s >= last_user)
        {
          g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                       "the latest message needs %u tokens with the system prompt; the context holds %u",
                       ids->len, n_ctx);
          return FALSE;
        }
      /* Drop the oldest turn: up to the next user message. */
      s++;
      while (s < last_user && !is_user (self, s))
        s++;
    }
  *start = s;
  *text_out = g_steal_pointer (&text);
  return TRUE;
}

/* Keeps the reply's text while passing it on to the caller. */
typedef struct
{
  GString       *text;
  HearthTextFunc func;
  gpointer       user_data;
} Tee;

static gboolean
tee_text (const char *piece,
          gsize       len,
          gint32      token,
          gpointer    data)
{
  Tee *tee = data;

  g_string_append_len (tee->text, piece, (gssize) len);
  return tee->func == NULL || tee->func (piece, len, token, tee->user_data);
}

gboolean
hearth_chat_respond (HearthChat             *self,
                     HearthSampler          *sampler,
                     const HearthChatParams *params,
                     HearthTextFunc          func,
                     gpointer                user_data,
                     GCancellable           *cancellable,
                     HearthChatReply        *reply,
                     GError                **error)
{
  HearthChatParams defaults;
  HearthGenerateParams gp;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  g_autoptr(GPtrArray) stops = g_ptr_array_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  guint32 n_ctx = hearth_session_get_n_ctx (self->session);
  guint32 reserve;
  guint start = 0;
  g_autofree char *prompt_text = NULL;
  guint32 n_reused = 0;
  Tee tee = { text, func, user_data };
  HearthConstraint *constraint = NULL;
  gboolean ok;

  memset (reply, 0, sizeof *reply);
  if (params == NULL)
    {
      hearth_chat_params_init (&defaults);
      params = &defaults;
    }

  reserve = params->reserve ? params->reserve : n_ctx / 4;
  if (params->max_tokens > 0)
    reserve = MIN (reserve, params->max_tokens);
  if (!fit_prompt (self, reserve, ids, &start, &prompt_text, &n_reused, error))
    return FALSE;
  reply->n_dropped = start;
  reply->n_prompt_tokens = ids->len;
  reply->n_reused_tokens = n_reused;

  /* The ChatML fallback's markers end a turn even when the vocabulary has
   * no tokens for them. */
  if (self->is_default)
    {
      g_ptr_array_add (stops, (gpointer) "<|im_end|>");
      g_ptr_array_add (stops, (gpointer) "<|im_start|>");
    }
  for (guint i = 0; params->stop_strings != NULL && params->stop_strings[i] != NULL; i++)
    g_ptr_array_add (stops, (gpointer) params->stop_strings[i]);
  g_ptr_array_add (stops, NULL);

  hearth_generate_params_init (&gp);
  gp.max_tokens = params->max_tokens;
  gp.stop_strings = (const char *const *) stops->pdata;

  /* Tool calls are constrained to the tools' schemas unless the caller
   * constrains the sampler itself. */
  if (hearth_sampler_get_constraint (sampler) == NULL && (constraint = hearth_chat_get_tool_constraint (self)) != NULL)
    {
      hearth_constraint_reset (constraint);
      hearth_sampler_set_constraint (sampler, constraint);
    }
  ok = hearth_session_generate (self->session, sampler, (const gint32 *) ids->data, ids->len, &gp,
                                tee_text, &tee, cancellable, &reply->gen, error);
  if (constraint != NULL)
    hearth_sampler_set_constraint (sampler, NULL);
  if (!ok)
    return FALSE;

  reply->text = g_strdup (text->str);
  remember_turn (self, prompt_text, ids, reply->text);
  hearth_chat_add_message (self, HEARTH_CHAT_ROLE_ASSISTANT, reply->text);
  if (self->tools != NULL)
    reply->tool_calls = hearth_tool_calls_parse (reply->text, -1, HEARTH_TOOL_CALL_FORMAT_AUTO,
                                                 self->tools, NULL);
  return TRUE;
}
