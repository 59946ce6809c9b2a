/* bench-open-conversation.c: how long the chat view takes to show a long conversation, and to add to it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A developer's benchmark, not a test: it prints timings and counts, it
 * asserts nothing. It makes a store with one conversation of N messages
 * (imported in one transaction), then, in a real window (run it under
 * Xvfb: tests/tools/with-xvfb.sh), times R rounds of
 *   open:   showing the conversation, until the rows are built and a frame
 *           has been drawn;
 *   append: a message added to the store (as a reply would be), until the
 *           view shows it and a frame has been drawn;
 * and counts the message rows each step built anew (a row kept is the same
 * widget). Medians of the rounds are printed, with the machine's load.
 *
 *   hearth-bench-open [--messages N] [--rounds R]
 */
#include "hearth-config.h"

#include <adwaita.h>
#include <stdio.h>

#include "hearth-application.h"
#include "hearth-chat-view.h"
#include "hearth-message-row.h"
#include "hearth-runtime.h"
#include "hearth-test.h"

static char *
passphrase (gboolean creating,
            gpointer user_data)
{
  return g_strdup ("bench");
}

/* A conversation of @n messages, user and assistant in turn, as the JSON
 * `hearth-cli history import` reads. */
static char *
conversation_json (guint n)
{
  GString *s = g_string_new ("{\"format\":\"hearth-conversation\",\"version\":1,\"title\":\"Long\","
                             "\"created\":1,\"updated\":1,\"current_leaf\":");

  g_string_append_printf (s, "%u,\"messages\":[", n);
  for (guint i = 1; i <= n; i++)
    g_string_append_printf (s, "%s{\"id\":%u,\"parent\":%u,\"role\":\"%s\",\"content\":\"Message %u: a line of "
                            "text with **some** Markdown, and a list:\\n\\n- one\\n- two\\n\",\"created\":%u}",
                            i > 1 ? "," : "", i, i - 1, i % 2 ? "user" : "assistant", i, i);
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

/* Marks every message row under @widget as seen; returns how many were
 * not seen before (built since the last call). A mark, not an address: a
 * new row may take the memory of one just destroyed. */
static guint
mark_rows (GtkWidget *widget,
           guint     *n_rows)
{
  guint n_new = 0;

  if (HEARTH_IS_MESSAGE_ROW (widget))
    {
      (*n_rows)++;
      if (g_object_get_data (G_OBJECT (widget), "bench-seen") != NULL)
        return 0;
      g_object_set_data (G_OBJECT (widget), "bench-seen", GINT_TO_POINTER (1));
      return 1;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    n_new += mark_rows (c, n_rows);
  return n_new;
}

static void
painted (GdkFrameClock *clock,
         gboolean      *done)
{
  *done = TRUE;
}

/* Until the window has drawn a frame after what was just done. */
static void
wait_for_frame (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean done = FALSE;
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (painted), &done);

  gtk_widget_queue_draw (window);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median_of (GArray *v)
{
  g_array_sort (v, compare_double);
  return g_array_index (v, double, v->len / 2);
}

int
main (int    argc,
      char **argv)
{
  int n_messages = 2000, rounds = 5;
  const GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the conversation (default 2000)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "Rounds to take the median of (default 5)", "R" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the chat view on a long conversation");
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *json = NULL;
  g_autofree char *loadavg = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(HearthConversation) conv = NULL;
  g_autoptr(HearthRuntime) runtime = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GArray) open_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) built_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) append_ms = g_array_new (FALSE, FALSE, sizeof (double));
  HearthStoreParams params;
  GtkWidget *window, *view;
  guint open_built = 0, append_built = 0;
  gint64 id, leaf;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || n_messages < 2 || rounds < 1)
    {
      fprintf (stderr, "hearth-bench-open: %s\n", error ? error->message : "bad --messages or --rounds");
      return 2;
    }
  adw_init ();

  dir = g_dir_make_tmp ("hearth-bench-open-XXXXXX", &error);
  hearth_store_params_init (&params);
  params.data_dir = dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = passphrase;
  params.passphrase_iterations = 1000;
  store = dir != NULL ? hearth_store_open (&params, &error) : NULL;
  json = conversation_json ((guint) n_messages);
  conv = store != NULL ? hearth_store_import_json (store, json, -1, &error) : NULL;
  if (conv == NULL)
    {
      fprintf (stderr, "hearth-bench-open: %s\n", error->message);
      return 1;
    }
  id = hearth_conversation_get_id (conv);
  leaf = hearth_conversation_get_current_leaf_id (conv);

  settings = g_settings_new (HEARTH_APP_ID);
  runtime = hearth_runtime_new (store);
  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  view = hearth_chat_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), view);
  hearth_chat_view_set_runtime (HEARTH_CHAT_VIEW (view), runtime, settings);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_frame (window);

  for (int r = 0; r < rounds; r++)
    {
      guint n_rows = 0;
      g_autoptr(HearthMessage) m = NULL;
      gint64 t0;
      double ms;

      hearth_runtime_set_conversation_id (runtime, 0, NULL);
      wait_for_frame (window);

      /* open */
      t0 = g_get_monotonic_time ();
      if (!hearth_runtime_set_conversation_id (runtime, id, &error))
        {
          fprintf (stderr, "hearth-bench-open: %s\n", error->message);
          return 1;
        }
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (built_ms, ms);
      wait_for_frame (window);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (open_ms, ms);
      open_built = mark_rows (view, &n_rows);

      /* append: one message, as a stored reply would come */
      t0 = g_get_monotonic_time ();
      m = hearth_store_append_message (store, id, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                                       "One more message", NULL, &error);
      if (m == NULL)
        {
          fprintf (stderr, "hearth-bench-open: %s\n", error->message);
          return 1;
        }
      wait_for_frame (window);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (append_ms, ms);
      n_rows = 0;
      append_built = mark_rows (view, &n_rows);

      /* Back to N messages for the next round. */
      hearth_store_delete_message (store, hearth_message_get_id (m), NULL);
      hearth_store_set_current_leaf (store, id, leaf, NULL);
    }

  g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL);
  printf ("conversation of %d messages, %d rounds, load %s", n_messages, rounds, loadavg ? loadavg : "?\n");
  printf ("open:   median %.1f ms (rows built after %.1f ms), %u rows built (last round)\n",
          median_of (open_ms), median_of (built_ms), open_built);
  printf ("append: median %.1f ms, %u rows built (last round)\n", median_of (append_ms), append_built);

  gtk_window_destroy (GTK_WINDOW (window));
  hearth_runtime_shutdown (runtime);
  g_clear_object (&runtime);
  g_clear_object (&store);
  hearth_test_rm_rf (dir);
  return 0;
}
