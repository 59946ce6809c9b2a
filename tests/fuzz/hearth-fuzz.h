/* hearth-fuzz.h: what every libFuzzer harness of Hearth shares: GLib criticals and warnings are findings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A g_return_if_fail() reached by hostile input is a bug (the input should
 * have been refused with a GError before), but GLib only prints it and
 * goes on, and libFuzzer counts only crashes. Each harness includes this
 * header once: its LLVMFuzzerInitialize makes criticals and warnings abort
 * (the fuzzer then reports a deadly signal and keeps the input). GLib's
 * own fatal-log path ends in a breakpoint trap, which kills the process
 * before libFuzzer writes the input down, hence a handler that aborts.
 *
 * HEARTH_FUZZ_SELFTEST=1 in the environment makes every input reach a
 * g_return_val_if_fail() on purpose: the test that proves the handler works.
 *
 * A harness over a library that reports its input's errors as warnings
 * (libpeas: "Bad plugin file") defines HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN
 * to that library's log domain before including this: that domain's
 * warnings are then its output, not findings; its criticals, and every
 * other domain's warnings, still are.
 *
 * A harness that needs costly set-up (files to load) defines
 * HEARTH_FUZZ_HAVE_SETUP before including this and a hearth_fuzz_setup()
 * after: it runs once, before the first input (not under its timeout).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hearth-engine.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean hearth_fuzz_selftest;

#define HEARTH_FUZZ_FATAL (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)

static void
hearth_fuzz_die (GLogLevelFlags level,
                 const char    *domain,
                 const char    *message)
{
  fprintf (stderr, "hearth-fuzz: %s-%s **: %s\n", domain ? domain : "?",
           level & G_LOG_LEVEL_WARNING ? "WARNING" : "CRITICAL", message ? message : "");
  abort ();
}

static inline gboolean
hearth_fuzz_is_finding (GLogLevelFlags level,
                        const char    *domain)
{
  if (!(level & HEARTH_FUZZ_FATAL))
    return FALSE;
#ifdef HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN
  if ((level & G_LOG_LEVEL_MASK) == G_LOG_LEVEL_WARNING &&
      g_strcmp0 (domain, HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN) == 0)
    return FALSE;
#endif
  return TRUE;
}

static void
hearth_fuzz_log_handler (const char    *domain,
                         GLogLevelFlags level,
                         const char    *message,
                         gpointer       data)
{
  if (hearth_fuzz_is_finding (level, domain))
    hearth_fuzz_die (level, domain, message);
#ifdef HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN
  if (g_strcmp0 (domain, HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN) == 0)
    return;  /* millions of them would fill the log */
#endif
  g_log_default_handler (domain, level, message, data);
}

static GLogWriterOutput
hearth_fuzz_log_writer (GLogLevelFlags   level,
                        const GLogField *fields,
                        gsize            n_fields,
                        gpointer         data)
{
  const char *domain = NULL, *message = NULL;

  if (!(level & HEARTH_FUZZ_FATAL))
    return g_log_writer_default (level, fields, n_fields, data);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (!hearth_fuzz_is_finding (level, domain))
    return G_LOG_WRITER_HANDLED;  /* expected, and millions of them would fill the log */
  hearth_fuzz_die (level, domain, message);
  return G_LOG_WRITER_HANDLED;
}

#ifdef HEARTH_FUZZ_HAVE_SETUP
static void hearth_fuzz_setup (void);
#endif

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_log_set_default_handler (hearth_fuzz_log_handler, NULL);
  g_log_set_writer_func (hearth_fuzz_log_writer, NULL, NULL);
  hearth_fuzz_selftest = g_strcmp0 (g_getenv ("HEARTH_FUZZ_SELFTEST"), "1") == 0;
#ifdef HEARTH_FUZZ_HAVE_SETUP
  hearth_fuzz_setup ();
#endif
  return 0;
}

/* A refusal as any caller may show it to a user: an error of @domain (0:
 * any) whose message is valid UTF-8, whatever bytes the input held. */
static inline void
hearth_fuzz_check_error (const GError *error,
                         GQuark        domain)
{
  g_assert (error != NULL && error->message != NULL);
  g_assert (domain == 0 || error->domain == domain);
  g_assert (g_utf8_validate (error->message, -1, NULL));
}

/* With HEARTH_FUZZ_SELFTEST=1: asks the GGUF reader for an integer out of
 * a string, which it refuses with a critical. */
static inline void
hearth_fuzz_maybe_selftest (void)
{
  HearthGgufValue not_an_array = { 0 };

  if (!hearth_fuzz_selftest)
    return;
  not_an_array.type = HEARTH_GGUF_TYPE_STRING;
  (void) hearth_gguf_array_get_int (&not_an_array, 0);
}
