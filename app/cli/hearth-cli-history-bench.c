/* hearth-cli-history-bench.c: `hearth-cli history bench`: store speed on a synthetic history
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "hearth-cli.h"
#include "hearth-keyring.h"
#include "hearth-store.h"

#define VOCABULARY 8000
#define MESSAGES_PER_CONVERSATION 100
#define BENCH_PASSPHRASE "hearth-bench"

/* Text with a natural (Zipf) spread of word frequencies, so that a search
 * for a common word and one for a rare word both mean something.  Words are
 * made of syllables, unique per rank. */
typedef struct
{
  GRand  *rand;
  double *cumulative; /* [VOCABULARY] */
} TextGen;

static const char * const syllables[20] = {
  "ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pa",
  "do", "fe", "gu", "hi", "ja", "bo", "ce", "wu", "ny", "xi",
};

static void
word_for_rank (guint    rank,
               GString *out)
{
  g_string_append (out, syllables[rank % 20]);
  g_string_append (out, syllables[(rank / 20) % 20]);
  if (rank >= 400)
    g_string_append (out, syllables[(rank / 400) % 20]);
}

static char *
word_string (guint rank)
{
  GString *s = g_string_new (NULL);

  word_for_rank (rank, s);
  return g_string_free (s, FALSE);
}

static void
text_gen_init (TextGen *g)
{
  double sum = 0;

  g->rand = g_rand_new_with_seed (42);
  g->cumulative = g_new (double, VOCABULARY);
  for (guint r = 0; r < VOCABULARY; r++)
    {
      sum += 1.0 / (r + 1);
      g->cumulative[r] = sum;
    }
  for (guint r = 0; r < VOCABULARY; r++)
    g->cumulative[r] /= sum;
}

static void
text_gen_clear (TextGen *g)
{
  g_rand_free (g->rand);
  g_free (g->cumulative);
}

static char *
text_gen_message (TextGen *g)
{
  GString *s = g_string_new (NULL);
  int n_words = g_rand_int_range (g->rand, 5, 61);

  for (int i = 0; i < n_words; i++)
    {
      double u = g_rand_double (g->rand);
      guint lo = 0, hi = VOCABULARY - 1;

      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;

          if (g->cumulative[mid] < u)
            lo = mid + 1;
          else
            hi = mid;
        }
      if (i > 0)
        g_string_append_c (s, ' ');
      word_for_rank (lo, s);
    }
  g_string_append_c (s, '.');
  return g_string_free (s, FALSE);
}

static double
median (GArray *times)
{
  return hearth_median ((double *) times->data, times->len);
}

static void
print_runs (GArray     *times,
            double      scale,
            const char *unit)
{
  printf ("  [runs:");
  for (guint i = 0; i < times->len; i++)
    printf (" %.3g", g_array_index (times, double, i) * scale);
  printf (" %s]\n", unit);
}

typedef struct
{
  const char *passphrase;
} BenchKey;

static char *
bench_passphrase (gboolean creating,
                  gpointer user_data)
{
  const BenchKey *k = user_data;

  return g_strdup (k->passphrase);
}

static HearthStore *
bench_open (const char *dir,
            BenchKey   *key,
            GError    **error)
{
  HearthStoreParams params;

  /* Never the keyring: the bench runs anywhere and its histories are
   * throwaway.  Default PBKDF2 rounds, so opening costs what it costs the app. */
  hearth_store_params_init (&params);
  params.data_dir = dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = bench_passphrase;
  params.passphrase_data = key;
  return hearth_store_open (&params, error);
}

/* One conversation of @n messages as a Hearth JSON export. */
static char *
synthetic_conversation (TextGen *g,
                        guint    index,
                        guint    n)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *title = text_gen_message (g);
  gint64 t0 = (gint64) 1700000000 * G_USEC_PER_SEC + (gint64) index * 3600 * G_USEC_PER_SEC;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "hearth-conversation");
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, title);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, t0);
  json_builder_set_member_name (b, "updated");
  json_builder_add_int_value (b, t0 + n * G_USEC_PER_SEC);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = text_gen_message (g);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_int_value (b, i + 1);
      json_builder_set_member_name (b, "parent");
      if (i > 0)
        json_builder_add_int_value (b, i);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "role");
      json_builder_add_string_value (b, i % 2 == 0 ? "user" : "assistant");
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, text);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, t0 + i * G_USEC_PER_SEC);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (gint64) st.st_size : -1;
}

int
hearth_cli_history_bench (int    argc,
                          char **argv)
{
  int n_messages = 100000, n_appends = 10000, n_runs = 5;
  g_autofree char *data_dir = NULL;
  g_autofree char *passphrase_file = NULL;
  gboolean keep = FALSE;
  const GOptionEntry entries[] = {
    { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the history to open and search (default 100000)", "N" },
    { "appends", 0, 0, G_OPTION_ARG_INT, &n_appends, "Messages appended per run, one transaction each (default 10000)", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Runs per figure; medians are reported (default 5)", "N" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Work in DIR (default: a new folder under $TMPDIR, removed after)", "DIR" },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &passphrase_file, "Passphrase for the bench databases (default: a fixed one)", "FILE" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &keep, "Keep the bench databases", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the encrypted history store");
  g_autoptr(GError) error = NULL;
  g_autofree char *passphrase = NULL;
  g_autofree char *root = NULL;
  g_autofree char *history_dir = NULL;
  g_autofree char *history_db = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) times2 = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GTimer) timer = g_timer_new ();
  TextGen gen;
  BenchKey key;
  gboolean made_root = FALSE;
  guint n_conversations;
  int status = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!hearth_cli_parse (context, &argc, &argv))
    return 2;
  if (argc != 1 || n_messages < MESSAGES_PER_CONVERSATION || n_appends < 1 || n_runs < 1)
    return hearth_cli_failf ("bench: --messages >= %d, --appends >= 1, --runs >= 1", MESSAGES_PER_CONVERSATION);

  if (passphrase_file != NULL)
    {
      if (!g_file_get_contents (passphrase_file, &passphrase, NULL, &error))
        return hearth_cli_fail (error);
      passphrase[strcspn (passphrase, "\r\n")] = '\0';
    }
  else
    passphrase = g_strdup (BENCH_PASSPHRASE);
  key.passphrase = passphrase;

  if (data_dir != NULL)
    {
      if (g_mkdir_with_parents (data_dir, 0700) != 0)
        return hearth_cli_failf ("cannot create %s", data_dir);
      root = g_strdup (data_dir);
    }
  else
    {
      root = g_dir_make_tmp ("hearth-bench-XXXXXX", &error);
      if (root == NULL)
        return hearth_cli_fail (error);
      made_root = TRUE;
    }
  history_dir = g_build_filename (root, "history", NULL);
  history_db = g_build_filename (history_dir, "history.db", NULL);
  if (g_file_test (history_dir, G_FILE_TEST_EXISTS))
    return hearth_cli_failf ("%s exists: give an empty --data-dir", history_dir);
  text_gen_init (&gen);

  /* ---- appends: what a chat does, one committed transaction per message ---- */
  for (int run = 0; run < n_runs; run++)
    {
      g_autofree char *name = g_strdup_printf ("append-%d", run);
      g_autofree char *dir = g_build_filename (root, name, NULL);
      g_autoptr(HearthStore) store = bench_open (dir, &key, &error);
      g_autoptr(HearthConversation) conv = NULL;
      g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

      if (store == NULL || (conv = hearth_store_create_conversation (store, "bench", NULL, NULL, &error)) == NULL)
        {
          status = hearth_cli_fail (error);
          goto out;
        }
      if (run == 0)
        printf ("SQLCipher %s, WAL, synchronous=FULL; work folder %s\n",
                hearth_store_get_cipher_version (store), root);
      for (int i = 0; i < n_appends; i++)
        g_ptr_array_add (texts, text_gen_message (&gen));
      g_timer_start (timer);
      for (int i = 0; i < n_appends; i++)
        {
          g_autoptr(HearthMessage) m =
            hearth_store_append_message (store, hearth_conversation_get_id (conv), HEARTH_STORE_CURRENT_LEAF,
                                         i % 2 == 0 ? HEARTH_MESSAGE_ROLE_USER : HEARTH_MESSAGE_ROLE_ASSISTANT,
                                         g_ptr_array_index (texts, i), NULL, &error);

          if (m == NULL)
            {
              status = hearth_cli_fail (error);
              goto out;
            }
        }
      g_array_append_val (times, (double) { g_timer_elapsed (timer, NULL) });
      g_clear_object (&store);
      if (!keep)
        hearth_cli_remove_tree (dir);
    }
  {
    double med = median (times);

    printf ("append %d messages, one transaction each: median %.3f s, %.0f us/message, %.0f messages/s\n",
            n_appends, med, med * 1e6 / n_appends, n_appends / med);
    print_runs (times, 1, "s");
    g_array_set_size (times, 0);
  }

  /* ---- a large history, built the way an import would ---- */
  n_conversations = (guint) n_messages / MESSAGES_PER_CONVERSATION;
  {
    g_autoptr(HearthStore) store = bench_open (history_dir, &key, &error);

    if (store == NULL)
      {
        status = hearth_cli_fail (error);
        goto out;
      }
    g_timer_start (timer);
    for (guint c = 0; c < n_conversations; c++)
      {
        g_autofree char *json = synthetic_conversation (&gen, c, MESSAGES_PER_CONVERSATION);
        g_autoptr(HearthConversation) conv = hearth_store_import_json (store, json, -1, &error);

        if (conv == NULL)
          {
            status = hearth_cli_fail (error);
            goto out;
          }
      }
    printf ("built a history of %u conversations x %d messages in %.1f s (imports, one transaction per conversation)\n",
            n_conversations, MESSAGES_PER_CONVERSATION, g_timer_elapsed (timer, NULL));
  }
  printf ("history.db: %.1f MiB\n", file_size (history_db) / (1024.0 * 1024.0));

  /* ---- open + list the newest 50 ----
   * Opening a passphrase store is mostly PBKDF2.  Each run first times the
   * same derivation (the store's salt and rounds) alone, so that the
   * database's own share is a paired difference, not two noisy medians. */
  {
    g_autofree char *params_path = g_strconcat (history_db, ".params", NULL);
    g_autoptr(GKeyFile) kf = g_key_file_new ();
    g_autofree char *salt_hex = NULL;
    g_autoptr(GArray) kdf_times = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) db_times = g_array_new (FALSE, FALSE, sizeof (double));
    guint8 salt[16];
    guint8 k[HEARTH_KEY_SIZE];
    guint iterations;

    if (!g_key_file_load_from_file (kf, params_path, G_KEY_FILE_NONE, &error))
      {
        status = hearth_cli_fail (error);
        goto out;
      }
    salt_hex = g_key_file_get_string (kf, "Passphrase", "salt", NULL);
    iterations = (guint) g_key_file_get_integer (kf, "Passphrase", "iterations", NULL);
    if (salt_hex == NULL || strlen (salt_hex) != 32)
      {
        status = hearth_cli_failf ("no salt in %s", params_path);
        goto out;
      }
    for (int i = 0; i < 16; i++)
      salt[i] = (guint8) (g_ascii_xdigit_value (salt_hex[2 * i]) << 4 | g_ascii_xdigit_value (salt_hex[2 * i + 1]));

    for (int run = 0; run < n_runs; run++)
      {
        g_autoptr(HearthStore) store = NULL;
        g_autoptr(GPtrArray) list = NULL;
        double t_kdf, t_open;

        g_timer_start (timer);
        if (!hearth_key_from_passphrase (passphrase, salt, sizeof salt, iterations, k, &error))
          {
            status = hearth_cli_fail (error);
            goto out;
          }
        t_kdf = g_timer_elapsed (timer, NULL);
        hearth_key_wipe (k, sizeof k);

        g_timer_start (timer);
        store = bench_open (history_dir, &key, &error);
        t_open = g_timer_elapsed (timer, NULL);
        if (store != NULL)
          list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 50, &error);
        if (list == NULL)
          {
            status = hearth_cli_fail (error);
            goto out;
          }
        g_array_append_val (kdf_times, t_kdf);
        g_array_append_val (times, t_open);
        g_array_append_val (db_times, (double) { t_open - t_kdf });
        g_array_append_val (times2, (double) { g_timer_elapsed (timer, NULL) - t_open });
        if (list->len != MIN (50, n_conversations))
          {
            status = hearth_cli_failf ("listed %u conversations", list->len);
            goto out;
          }
      }
    printf ("passphrase key derivation (PBKDF2-SHA256, %u rounds): median %.1f ms\n",
            iterations, median (kdf_times) * 1e3);
    print_runs (kdf_times, 1e3, "ms");
    printf ("open %d-message history: median %.1f ms in all; less the key derivation of the same run: %.1f ms\n",
            n_messages, median (times) * 1e3, median (db_times) * 1e3);
    print_runs (times, 1e3, "ms");
    print_runs (db_times, 1e3, "ms");
    printf ("list newest 50 conversations (first query after open): median %.2f ms\n", median (times2) * 1e3);
    print_runs (times2, 1e3, "ms");
    g_array_set_size (times, 0);
    g_array_set_size (times2, 0);
  }

  /* ---- search ---- */
  {
    g_autoptr(HearthStore) store = bench_open (history_dir, &key, &error);
    struct { const char *what; guint ranks[2]; guint n_words; } queries[] = {
      { "common word (rank 5)", { 4, 0 }, 1 },
      { "mid word (rank 300)", { 299, 0 }, 1 },
      { "rare word (rank 6000)", { 5999, 0 }, 1 },
      { "two words (ranks 20 and 100)", { 19, 99 }, 2 },
    };

    if (store == NULL)
      {
        status = hearth_cli_fail (error);
        goto out;
      }
    for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
      {
        g_autofree char *w1 = word_string (queries[q].ranks[0]);
        g_autofree char *w2 = word_string (queries[q].ranks[1]);
        g_autofree char *text = queries[q].n_words == 2 ? g_strdup_printf ("%s %s", w1, w2) : g_strdup (w1);
        g_autoptr(GPtrArray) all = hearth_store_search (store, text, 0, 0, &error);
        guint n_hits = all != NULL ? all->len : 0;

        if (all == NULL)
          {
            status = hearth_cli_fail (error);
            goto out;
          }
        for (int run = 0; run < n_runs; run++)
          {
            g_autoptr(GPtrArray) hits = NULL;

            g_timer_start (timer);
            hits = hearth_store_search (store, text, 0, 20, &error);
            if (hits == NULL)
              {
                status = hearth_cli_fail (error);
                goto out;
              }
            g_array_append_val (times, (double) { g_timer_elapsed (timer, NULL) });
          }
        printf ("search %s '%s', %u matching messages, best 20: median %.2f ms\n",
                queries[q].what, text, n_hits, median (times) * 1e3);
        print_runs (times, 1e3, "ms");
        g_array_set_size (times, 0);
      }
  }

out:
  text_gen_clear (&gen);
  if (!keep)
    {
      hearth_cli_remove_tree (history_dir);
      if (made_root)
        hearth_cli_remove_tree (root);
    }
  else
    printf ("kept %s\n", root);
  return status;
}
