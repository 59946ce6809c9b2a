/* hearth-generate.h: prompt processing with cache reuse, and streamed generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#if !defined (HEARTH_ENGINE_INSIDE) && !defined (HEARTH_ENGINE_COMPILATION)
#error "Only <hearth-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hearth-sampler.h"
#include "hearth-session.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_STOP_NONE,
  HEARTH_STOP_EOG,          /* the model ended its turn (eos/eot/end-of-generation token) */
  HEARTH_STOP_STRING,       /* a stop string appeared */
  HEARTH_STOP_LIMIT,        /* max_tokens reached */
  HEARTH_STOP_CONTEXT_FULL, /* no room left in the session */
  HEARTH_STOP_CALLBACK,     /* the callback asked to stop */
  HEARTH_STOP_CANCELLED,    /* the GCancellable fired */
  HEARTH_STOP_CONSTRAINT,   /* the sampler's constraint allowed no token */
} HearthStopReason;

/* Receives each piece of newly complete text (valid UTF-8, never part of a
 * stop string); @token is the id that completed it. Return FALSE to stop. */
typedef gboolean (*HearthTextFunc) (const char *text,
                                    gsize       len,
                                    gint32      token,
                                    gpointer    user_data);

typedef struct
{
  guint32             max_tokens;    /* 0: until end of generation or a full context */
  const char *const  *stop_strings;  /* NULL-terminated, may be NULL */
  gboolean            render_special;/* stream control tokens' text too */
  /*< private >*/
  gpointer            padding[8];
} HearthGenerateParams;

typedef struct
{
  HearthStopReason reason;
  guint32          n_prompt;       /* prompt tokens given */
  guint32          n_prompt_eval;  /* of those, how many were actually run (the rest came from the cache) */
  guint32          n_generated;
  double           prompt_seconds;
  double           gen_seconds;
  double           first_token_seconds; /* from the call to the first generated token */
} HearthGenerateResult;

void     hearth_generate_params_init (HearthGenerateParams *params);

/* Makes the session hold exactly @tokens, reusing the longest cached prefix
 * and running only the rest (at least one token, so the logits are fresh).
 * Returns the number of tokens run in @n_evaluated. */
gboolean hearth_session_prefill (HearthSession *self,
                                 const gint32  *tokens,
                                 gsize          n_tokens,
                                 GCancellable  *cancellable,
                                 guint32       *n_evaluated,
                                 GError       **error);

/* Prefills @prompt, then samples and streams tokens until a stop condition.
 * The generated tokens stay in the session's cache. Cancellation is not an
 * error: it returns TRUE with reason CANCELLED. */
gboolean hearth_session_generate (HearthSession              *self,
                                  HearthSampler              *sampler,
                                  const gint32               *prompt,
                                  gsize                       n_prompt,
                                  const HearthGenerateParams *params,
                                  HearthTextFunc              func,
                                  gpointer                    user_data,
                                  GCancellable               *cancellable,
                                  HearthGenerateResult       *result,
                                  GError                    **error);

G_END_DECLS
