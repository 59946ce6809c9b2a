/* hearth-generate.c: prompt processing with cache reuse, and streamed generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-engine-error.h"
#include "hearth-generate.h"
#include "hearth-tokenizer.h"

void
hearth_generate_params_init (HearthGenerateParams *params)
{
  memset (params, 0, sizeof *params);
}

gboolean
hearth_session_prefill (HearthSession *self,
                        const gint32  *tokens,
                        gsize          n_tokens,
                        GCancellable  *cancellable,
                        guint32       *n_evaluated,
                        GError       **error)
{
  const gint32 *cached = hearth_session_get_tokens (self);
  guint32 n_past = hearth_session_get_n_past (self);
  gsize common = 0;

  if (n_tokens == 0)
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_INVALID_ARGUMENT, "empty prompt");
      return FALSE;
    }
  if (n_tokens > hearth_session_get_n_ctx (self))
    {
      g_set_error (error, HEARTH_ENGINE_ERROR, HEARTH_ENGINE_ERROR_CONTEXT_FULL,
                   "the prompt has %" G_GSIZE_FORMAT " tokens; the context holds %u",
                   n_tokens, hearth_session_get_n_ctx (self));
      return FALSE;
    }
  while (common < n_past && common < n_tokens && cached[common] == tokens[common])
    common++;
  /* Run at least the last token so that its logits are the current ones. */
  if (common == n_tokens)
    common--;
  hearth_session_truncate (self, (guint32) common);
  /* A sliding window's cache may not reach back that far: then less is kept. */
  common = hearth_session_get_n_past (self);
  if (n_evaluated != NULL)
    *n_evaluated = (guint32) (n_tokens - common);
  return hearth_session_decode (self, tokens + common, n_tokens - common, FALSE, cancellable, error);
}

/* Length of the longest suffix of @text that is a proper prefix of a stop
 * string: that much must be held back until more text decides it. */
static gsize
held_back (const char        *text,
           gsize              len,
           const char *const *stops)
{
  gsize best = 0;

  for (guint i = 0; stops != NULL && stops[i] != NULL; i++)
    {
      gsize slen = strlen (stops[i]);

      if (slen == 0)
        continue;
      for (gsize k = MIN (len, slen - 1); k > best; k--)
        {
          if (memcmp (text + len - k, stops[i], k) == 0)
            {
              best = k;
              break;
            }
        }
    }
  return best;
}

/* Earliest occurrence of any stop string in @text, or -1. */
static gssize
find_stop (const char        *text,
           gsize              len,
           const char *const *stops)
{
  gssize first = -1;

  for (guint i = 0; stops != NULL && stops[i] != NULL; i++)
    {
      const char *hit;

      if (stops[i][0] == '\0')
        continue;
      hit = g_strstr_len (text, (gssize) len, stops[i]);
      if (hit != NULL && (first < 0 || hit - text < first))
        first = hit - text;
    }
  return first;
}

gboolean
hearth_session_generate (HearthSession              *self,
                         HearthSampler              *sampler,
                         const gint32               *prompt,
                         gsize                       n_prompt,
                         const HearthGenerateParams *params,
                         HearthTextFunc              func,
                         gpointer                    user_data,
                         GCancellable               *cancellable,
                         HearthGenerateResult       *result,
                         GError                    **error)
{
  HearthModel *model = hearth_session_get_model (self);
  HearthTokenizer *tok = hearth_model_get_tokenizer (model);
  HearthGenerateParams defaults;
  HearthGenerateResult res = { 0 };
  HearthDetokenizer *detok;
  g_autoptr(GString) pending = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  gint64 t0 = g_get_monotonic_time (), t1;
  guint32 n_vocab = hearth_model_get_n_vocab (model);
  gboolean first = TRUE;

  if (params == NULL)
    {
      hearth_generate_params_init (&defaults);
      params = &defaults;
    }

  res.n_prompt = (guint32) n_prompt;
  if (!hearth_session_prefill (self, prompt, n_prompt, cancellable, &res.n_prompt_eval, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          res.reason = HEARTH_STOP_CANCELLED;
          if (result != NULL)
            *result = res;
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  t1 = g_get_monotonic_time ();
  res.prompt_seconds = (double) (t1 - t0) / G_USEC_PER_SEC;

  detok = hearth_detokenizer_new (tok, params->render_special);
  while (res.reason == HEARTH_STOP_NONE)
    {
      guint32 n_past = hearth_session_get_n_past (self);
      gint32 id;
      gssize stop_at;
      gsize emit;

      if (g_cancellable_is_cancelled (cancellable))
        {
          res.reason = HEARTH_STOP_CANCELLED;
          break;
        }
      if (params->max_tokens > 0 && res.n_generated >= params->max_tokens)
        {
          res.reason = HEARTH_STOP_LIMIT;
          break;
        }

      id = hearth_sampler_sample (sampler, hearth_session_get_logits (self, -1), n_vocab,
                                  hearth_session_get_tokens (self), n_past);
      if (id < 0)
        {
          /* A complete constrained output with no end-of-generation token
           * in the vocabulary ends as if it had one. */
          HearthConstraint *c = hearth_sampler_get_constraint (sampler);

          res.reason = c != NULL && hearth_constraint_is_complete (c) ? HEARTH_STOP_EOG : HEARTH_STOP_CONSTRAINT;
          break;
        }
      if (hearth_tokenizer_is_eog (tok, id))
        {
          res.reason = HEARTH_STOP_EOG;
          break;
        }
      res.n_generated++;
      if (first)
        {
          res.first_token_seconds = (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
          first = FALSE;
        }
      hearth_detokenizer_push (detok, id, pending);

      stop_at = find_stop (pending->str, pending->len, params->stop_strings);
      if (stop_at >= 0)
        {
          g_string_truncate (pending, (gsize) stop_at);
          res.reason = HEARTH_STOP_STRING;
        }
      emit = res.reason == HEARTH_STOP_STRING
               ? pending->len
               : pending->len - held_back (pending->str, pending->len, params->stop_strings);
      if (emit > 0 && func != NULL)
        {
          if (!func (pending->str, emit, id, user_data) && res.reason == HEARTH_STOP_NONE)
            res.reason = HEARTH_STOP_CALLBACK;
        }
      g_string_erase (pending, 0, (gssize) emit);
      if (res.reason != HEARTH_STOP_NONE)
        break;

      if (n_past >= hearth_session_get_n_ctx (self))
        {
          res.reason = HEARTH_STOP_CONTEXT_FULL;
          break;
        }
      if (!hearth_session_decode (self, &id, 1, FALSE, cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              res.reason = HEARTH_STOP_CANCELLED;
              break;
            }
          hearth_detokenizer_free (detok);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  /* Whatever was held back for a stop string that never came is text. */
  if (res.reason != HEARTH_STOP_STRING)
    {
      hearth_detokenizer_flush (detok, pending);
      if (pending->len > 0 && func != NULL)
        func (pending->str, pending->len, -1, user_data);
    }
  hearth_detokenizer_free (detok);
  res.gen_seconds = (double) (g_get_monotonic_time () - t1) / G_USEC_PER_SEC;
  if (result != NULL)
    *result = res;
  return TRUE;
}
