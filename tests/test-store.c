/* test-store.c: the encrypted store: keys, encryption at rest, durability, schema, search, export
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hearth-keyring.h"
#include "hearth-store-private.h"
#include "hearth-test.h"

#define PASSPHRASE "correct horse battery staple"
/* Few PBKDF2 rounds keep the suite fast; the count is stored per database. */
#define TEST_ITERATIONS 1000
/* Text that must never appear in any file of the store. */
#define CANARY "PLAINTEXT-CANARY-7f3a9c"

#define assert_store_error(err, want) \
  G_STMT_START { \
    ck_assert_msg ((err) != NULL, "expected store error %d, got success", (int) (want)); \
    ck_assert_msg ((err)->domain == HEARTH_STORE_ERROR && (err)->code == (int) (want), \
                   "expected store error %d, got %s:%d: %s", (int) (want), \
                   g_quark_to_string ((err)->domain), (err)->code, (err)->message); \
  } G_STMT_END

/* ---- helpers ---- */

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup (user_data);
}

typedef struct
{
  char *root; /* a temporary folder; the store lives in root/data */
  char *data_dir;
} TestDir;

static TestDir *
test_dir_new (void)
{
  TestDir *t = g_new0 (TestDir, 1);
  g_autoptr(GError) error = NULL;

  t->root = g_dir_make_tmp ("hearth-store-XXXXXX", &error);
  hearth_assert_no_error (error);
  t->data_dir = g_build_filename (t->root, "data", NULL);
  return t;
}

static void
test_dir_free (TestDir *t)
{
  hearth_test_rm_rf (t->root);
  g_free (t->root);
  g_free (t->data_dir);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestDir, test_dir_free)

static HearthStore *
open_with_passphrase (const char *data_dir,
                      const char *passphrase,
                      GError    **error)
{
  HearthStoreParams params;

  hearth_store_params_init (&params);
  params.data_dir = data_dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = passphrase != NULL ? give_passphrase : NULL;
  params.passphrase_data = (gpointer) passphrase;
  params.passphrase_iterations = TEST_ITERATIONS;
  return hearth_store_open (&params, error);
}

static HearthStore *
open_ok (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  HearthStore *store = open_with_passphrase (data_dir, PASSPHRASE, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (store);
  return store;
}

static gint64
add_message (HearthStore      *store,
             gint64            conversation_id,
             gint64            parent_id,
             HearthMessageRole role,
             const char       *content)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) m = hearth_store_append_message (store, conversation_id, parent_id, role,
                                                            content, NULL, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (m);
  ck_assert_str_eq (hearth_message_get_content (m), content);
  return hearth_message_get_id (m);
}

static gint64
new_conversation (HearthStore *store,
                  const char  *title)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) c = hearth_store_create_conversation (store, title, "test-model", NULL, &error);

  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_conversation_get_title (c), title);
  return hearth_conversation_get_id (c);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, &error))
    ck_abort_msg ("cannot read %s: %s", path, error->message);
  return g_bytes_new_take (data, len);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* A fingerprint of every file in @dir (names and contents). */
static char *
dir_fingerprint (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *name;

  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, n, NULL);
      g_autoptr(GBytes) bytes = read_file (path);
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      g_checksum_update (sum, (const guchar *) n, -1);
      g_checksum_update (sum, (const guchar *) "\n", 1);
      g_checksum_update (sum, data, len);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static gboolean
bytes_contain (GBytes     *bytes,
               const char *needle)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return memmem (data, len, needle, strlen (needle)) != NULL;
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  ck_assert_msg (g_stat (path, &st) == 0, "stat %s: %s", path, g_strerror (errno));
  return st.st_mode & 0777;
}

static char *
store_file (const char *data_dir,
            const char *name)
{
  return g_build_filename (data_dir, name, NULL);
}

/* ---- opening, keys, files ---- */

START_TEST (test_create_and_reopen)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autofree char *params = store_file (t->data_dir, "history.db.params");
  g_autofree char *wal = store_file (t->data_dir, "history.db-wal");
  g_autofree char *shm = store_file (t->data_dir, "history.db-shm");
  gint64 conv, first, second;

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);

    ck_assert_int_eq (hearth_store_get_schema_version (store), HEARTH_STORE_SCHEMA_VERSION);
    ck_assert_int_eq (hearth_store_get_key_source (store), HEARTH_STORE_KEY_PASSPHRASE);
    ck_assert_str_eq (hearth_store_get_path (store), db);
    ck_assert_msg (g_str_has_prefix (hearth_store_get_cipher_version (store), "3.") ||
                   g_str_has_prefix (hearth_store_get_cipher_version (store), "4."),
                   "cipher version %s", hearth_store_get_cipher_version (store));
    conv = new_conversation (store, "First chat");
    first = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "Hello there");
    second = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "Hi!");

    /* Private files in a private folder, WAL included (it exists while open). */
    ck_assert_uint_eq (file_mode (t->data_dir), 0700);
    ck_assert_uint_eq (file_mode (db), 0600);
    ck_assert_uint_eq (file_mode (params), 0600);
    ck_assert_msg (g_file_test (wal, G_FILE_TEST_EXISTS), "the store is not in WAL mode");
    ck_assert_uint_eq (file_mode (wal), 0600);
    ck_assert_uint_eq (file_mode (shm), 0600);
  }

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) thread = hearth_store_get_thread (store, conv, 0, &error);
    g_autoptr(HearthConversation) c = hearth_store_get_conversation (store, conv, &error);

    hearth_assert_no_error (error);
    ck_assert_uint_eq (thread->len, 2);
    ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (thread, 0)), first);
    ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (thread, 1)), second);
    ck_assert_int_eq (hearth_message_get_parent_id (g_ptr_array_index (thread, 1)), first);
    ck_assert_int_eq (hearth_message_get_role (g_ptr_array_index (thread, 1)), HEARTH_MESSAGE_ROLE_ASSISTANT);
    ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 0)), "Hello there");
    ck_assert_str_eq (hearth_conversation_get_title (c), "First chat");
    ck_assert_str_eq (hearth_conversation_get_model (c), "test-model");
    ck_assert_int_eq (hearth_conversation_get_current_leaf_id (c), second);
    ck_assert_int_eq (hearth_conversation_get_n_messages (c), 2);

    /* The properties list rows bind to carry the same values. */
    {
      g_autofree char *title = NULL;
      g_autofree char *role = NULL;
      g_autofree char *content = NULL;
      gint64 n = 0, parent = 0;
      gboolean pinned = TRUE;

      g_object_get (c, "title", &title, "n-messages", &n, "pinned", &pinned, NULL);
      ck_assert_str_eq (title, "First chat");
      ck_assert_int_eq (n, 2);
      ck_assert (!pinned);
      g_object_get (g_ptr_array_index (thread, 1), "role", &role, "content", &content, "parent-id", &parent, NULL);
      ck_assert_str_eq (role, "assistant");
      ck_assert_str_eq (content, "Hi!");
      ck_assert_int_eq (parent, first);
    }
  }
}
END_TEST

START_TEST (test_two_connections)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthStore) app = open_ok (t->data_dir);
  g_autoptr(HearthStore) cli = open_ok (t->data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  gint64 conv;

  /* The app and hearth-cli on one history: each sees the other's commits. */
  conv = new_conversation (app, "shared");
  add_message (cli, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "from the cli");
  add_message (app, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "from the app");
  thread = hearth_store_get_thread (cli, conv, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (thread->len, 2);
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 0)), "from the cli");
  ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 1)), "from the app");
}
END_TEST

START_TEST (test_existing_folder_made_private)
{
  g_autoptr(TestDir) t = test_dir_new ();

  ck_assert_int_eq (g_mkdir (t->data_dir, 0755), 0);
  g_object_unref (open_ok (t->data_dir));
  ck_assert_uint_eq (file_mode (t->data_dir), 0700);
}
END_TEST

START_TEST (test_wrong_passphrase)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);
    gint64 conv = new_conversation (store, "Secret plans");

    add_message (store, conv, 0, HEARTH_MESSAGE_ROLE_USER, "something");
  }
  before = dir_fingerprint (t->data_dir);

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = open_with_passphrase (t->data_dir, "not the passphrase", &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_WRONG_KEY);
    ck_assert_msg (strstr (error->message, "passphrase") != NULL, "unclear message: %s", error->message);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = open_with_passphrase (t->data_dir, NULL, &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_NEED_PASSPHRASE);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = open_with_passphrase (t->data_dir, "", &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  }

  /* Failed unlocks wrote nothing. */
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);
    g_autoptr(GError) error = NULL;

    ck_assert_int_eq (hearth_store_count_conversations (store, HEARTH_STORE_LIST_ALL, &error), 1);
  }
}
END_TEST

/* Every byte of every file in the folder, while the store is open (WAL and
 * shared-memory files present, not yet checkpointed) and after it closed. */
static void
assert_no_plaintext (const char *data_dir,
                     const char *needle)
{
  g_autoptr(GDir) d = g_dir_open (data_dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (data_dir, name, NULL);
      g_autoptr(GBytes) bytes = read_file (path);
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      ck_assert_msg (!bytes_contain (bytes, needle), "%s holds the plaintext '%s'", name, needle);
      if (len >= 16)
        ck_assert_msg (memcmp (data, "SQLite format 3", 15) != 0, "%s is a plain SQLite file", name);
      n_files++;
    }
  ck_assert_uint_ge (n_files, 2);
}

START_TEST (test_no_plaintext_on_disk)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *wal = store_file (t->data_dir, "history.db-wal");
  g_autofree char *db = store_file (t->data_dir, "history.db");

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);
    gint64 conv = new_conversation (store, "Title " CANARY);
    gint64 m;
    g_autoptr(GError) error = NULL;
    GStatBuf st;

    for (int i = 0; i < 50; i++)
      {
        g_autofree char *text = g_strdup_printf ("message %d says " CANARY " and more", i);

        m = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, text);
      }
    hearth_store_update_message (store, m, "edited " CANARY, NULL, &error);
    hearth_assert_no_error (error);
    hearth_store_set_setting (store, "token", CANARY, &error);
    hearth_assert_no_error (error);
    hearth_store_delete_message (store, m, &error);
    hearth_assert_no_error (error);

    /* The messages must be in the WAL right now, to show that it is encrypted. */
    ck_assert_int_eq (g_stat (wal, &st), 0);
    ck_assert_int_gt (st.st_size, 0);
    assert_no_plaintext (t->data_dir, CANARY);
    /* The control: the canary is findable in the decrypted view. */
    {
      g_autoptr(GPtrArray) hits = hearth_store_search (store, CANARY, 0, 0, &error);

      hearth_assert_no_error (error);
      ck_assert_uint_eq (hits->len, 49);
    }
  }
  assert_no_plaintext (t->data_dir, CANARY);
  /* Not even SQLite's own page structure shows: the file looks random. */
  {
    g_autoptr(GBytes) bytes = read_file (db);
    gsize len, zeros = 0;
    const guint8 *data = g_bytes_get_data (bytes, &len);

    for (gsize i = 0; i < len; i++)
      zeros += data[i] == 0;
    ck_assert_uint_gt (len, 4096);
    /* Random bytes are zero 1/256 of the time; an unencrypted page is mostly zeros. */
    ck_assert_msg (zeros < len / 64, "%zu of %zu bytes are zero", zeros, len);
  }
}
END_TEST

static void
flip_bytes (const char *path,
            gsize       offset,
            gsize       count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = read_file (path);
  gsize len;
  guint8 *data = g_memdup2 (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));

  ck_assert_uint_ge (len, offset + count);
  for (gsize i = 0; i < count; i++)
    data[offset + i] ^= 0x5a;
  g_file_set_contents (path, (const char *) data, (gssize) len, &error);
  hearth_assert_no_error (error);
  g_free (data);
}

static void
make_store_with_messages (const char *data_dir,
                          guint       n_messages)
{
  g_autoptr(HearthStore) store = open_ok (data_dir);
  gint64 conv = new_conversation (store, "Many messages");

  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf ("message number %u with some padding text to fill pages", i);

      add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, text);
    }
}

START_TEST (test_corrupt_first_page)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;

  make_store_with_messages (t->data_dir, 20);
  /* Past the 16-byte salt, inside page 1's encrypted body. */
  flip_bytes (db, 100, 8);
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
  ck_assert_msg (strstr (error->message, "damaged") != NULL, "unclear message: %s", error->message);
}
END_TEST

START_TEST (test_corrupt_every_page)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  GStatBuf st;

  make_store_with_messages (t->data_dir, 200);
  ck_assert_int_eq (g_stat (db, &st), 0);
  ck_assert_int_gt (st.st_size, 8 * 1024);
  /* One byte in each page after the first: the schema alone spans several. */
  for (gsize off = 1024 + 500; off + 1 < (gsize) st.st_size; off += 1024)
    flip_bytes (db, off, 1);
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_corrupt_last_page)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  GStatBuf st;

  make_store_with_messages (t->data_dir, 200);
  ck_assert_int_eq (g_stat (db, &st), 0);
  ck_assert_int_eq (st.st_size % 1024, 0);
  /* Data, not schema: the store opens, and reading that page fails cleanly. */
  flip_bytes (db, (gsize) st.st_size - 600, 4);
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  hearth_assert_no_error (error);

  all = hearth_store_get_all_messages (store, 1, &error);
  if (error == NULL)
    hits = hearth_store_search (store, "padding", 0, 0, &error);
  ck_assert_msg (error != NULL, "every message and the index read back from a damaged page");
  assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
  g_clear_error (&error);
  ck_assert (!hearth_store_check_integrity (store, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
}
END_TEST

START_TEST (test_damaged_params_file)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *params = store_file (t->data_dir, "history.db.params");
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autoptr(GBytes) before = NULL;

  make_store_with_messages (t->data_dir, 3);
  before = read_file (db);
  ck_assert_uint_gt (g_bytes_get_size (before), 1024);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = NULL;

    g_file_set_contents (params, "[Store]\nformat=1\nid=nonsense\n", -1, &error);
    hearth_assert_no_error (error);
    store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = NULL;

    /* Missing: the database is not replaced by a new empty one. */
    ck_assert_int_eq (g_remove (params), 0);
    store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
    ck_assert_msg (strstr (error->message, "missing") != NULL, "unclear message: %s", error->message);
  }
  {
    g_autoptr(GBytes) after = read_file (db);

    ck_assert (g_bytes_equal (before, after));
    ck_assert (!g_file_test (params, G_FILE_TEST_EXISTS));
  }
}
END_TEST

START_TEST (test_db_path_problems)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db = store_file (t->data_dir, "history.db");
  g_autofree char *wal = store_file (t->data_dir, "history.db-wal");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;

  /* Not a file. */
  ck_assert_int_eq (g_mkdir_with_parents (db, 0700), 0);
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_IO);
  g_clear_error (&error);
  ck_assert_int_eq (g_rmdir (db), 0);

  /* A log with no database: not taken for "no history yet". */
  ck_assert (g_file_set_contents (wal, "not empty", -1, NULL));
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_CORRUPT);
  ck_assert (!g_file_test (db, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  ck_assert_int_eq (g_remove (wal), 0);

  /* An empty file (a first open that stopped early) becomes the database. */
  ck_assert (g_file_set_contents (db, "", 0, NULL));
  ck_assert_int_eq (g_chmod (db, 0644), 0);
  store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (file_mode (db), 0600);
  new_conversation (store, "fine");
}
END_TEST

/* The settings that decide the file format are in the parameter file and
 * they are what it takes to read the database with SQLCipher directly: the
 * path a SQLCipher 4 build takes for a file made by SQLCipher 3. */
START_TEST (test_cipher_settings_pinned)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *db_path = store_file (t->data_dir, "history.db");
  g_autofree char *params_path = store_file (t->data_dir, "history.db.params");
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *salt_hex = NULL;
  g_autofree char *key_sql = NULL;
  guint8 salt[16], key[HEARTH_KEY_SIZE];
  GString *hex = g_string_new (NULL);

  make_store_with_messages (t->data_dir, 5);
  ck_assert (g_key_file_load_from_file (kf, params_path, G_KEY_FILE_NONE, &error));
  ck_assert_int_eq (g_key_file_get_integer (kf, "Cipher", "page-size", NULL), 1024);
  ck_assert_int_eq (g_key_file_get_integer (kf, "Cipher", "kdf-iter", NULL), 64000);
  {
    g_autofree char *hmac = g_key_file_get_string (kf, "Cipher", "hmac-algorithm", NULL);
    g_autofree char *kdf = g_key_file_get_string (kf, "Cipher", "kdf-algorithm", NULL);
    g_autofree char *source = g_key_file_get_string (kf, "Store", "key-source", NULL);
    g_autofree char *created_with = g_key_file_get_string (kf, "Store", "created-with", NULL);

    ck_assert_str_eq (hmac, "HMAC_SHA1");
    ck_assert_str_eq (kdf, "PBKDF2_HMAC_SHA1");
    ck_assert_str_eq (source, "passphrase");
    ck_assert (g_str_has_prefix (created_with, "SQLCipher "));
  }
  ck_assert_int_eq (g_key_file_get_integer (kf, "Passphrase", "iterations", NULL), TEST_ITERATIONS);

  /* The key from the passphrase and the stored salt, the same derivation by hand. */
  salt_hex = g_key_file_get_string (kf, "Passphrase", "salt", NULL);
  ck_assert_uint_eq (strlen (salt_hex), 32);
  for (int i = 0; i < 16; i++)
    salt[i] = (guint8) (g_ascii_xdigit_value (salt_hex[2 * i]) << 4 | g_ascii_xdigit_value (salt_hex[2 * i + 1]));
  ck_assert (hearth_key_from_passphrase (PASSPHRASE, salt, 16, TEST_ITERATIONS, key, &error));
  for (int i = 0; i < HEARTH_KEY_SIZE; i++)
    g_string_append_printf (hex, "%02x", key[i]);
  key_sql = g_strdup_printf ("PRAGMA key = \"x'%s'\";", hex->str);
  g_string_free (hex, TRUE);

  for (int pass = 0; pass < 2; pass++)
    {
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;
      int rc;

      ck_assert_int_eq (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
      ck_assert_int_eq (sqlite3_exec (db, key_sql, NULL, NULL, NULL), SQLITE_OK);
      /* pass 0: the pinned settings; pass 1: SQLCipher 4's default page size. */
      ck_assert_int_eq (sqlite3_exec (db, pass == 0
                                      ? "PRAGMA cipher_page_size = 1024; PRAGMA kdf_iter = 64000;"
                                        "PRAGMA cipher_hmac_algorithm = HMAC_SHA1;"
                                        "PRAGMA cipher_kdf_algorithm = PBKDF2_HMAC_SHA1;"
                                      : "PRAGMA cipher_page_size = 4096;",
                                      NULL, NULL, NULL), SQLITE_OK);
      rc = sqlite3_prepare_v2 (db, "SELECT count(*) FROM messages", -1, &stmt, NULL);
      if (pass == 0)
        {
          ck_assert_int_eq (rc, SQLITE_OK);
          ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
          ck_assert_int_eq (sqlite3_column_int (stmt, 0), 5);
        }
      else
        {
          ck_assert_int_ne (rc, SQLITE_OK);
        }
      sqlite3_finalize (stmt);
      sqlite3_close (db);
    }
}
END_TEST

/* ---- schema ---- */

START_TEST (test_migration_from_v1)
{
  g_autoptr(TestDir) t = test_dir_new ();
  HearthStoreParams params;
  g_autoptr(GError) error = NULL;

  hearth_store_params_init (&params);
  params.data_dir = t->data_dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = give_passphrase;
  params.passphrase_data = (gpointer) PASSPHRASE;
  params.passphrase_iterations = TEST_ITERATIONS;
  params.schema_version = 1;

  /* A version 1 history, written with version 1's SQL. */
  {
    g_autoptr(HearthStore) store = hearth_store_open (&params, &error);

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_get_schema_version (store), 1);
    ck_assert_int_eq (sqlite3_exec (_hearth_store_get_db (store),
                                    "INSERT INTO conversations (id, title, created, updated, model)"
                                    "  VALUES (7, 'Old chat', 1000, 2000, 'old-model');"
                                    "INSERT INTO messages (id, conversation_id, role, content, created) VALUES"
                                    "  (10, 7, 'user', 'What is a kestrel?', 1000),"
                                    "  (11, 7, 'assistant', 'A small falcon that hovers.', 1100),"
                                    "  (12, 7, 'user', 'Thanks', 1200);",
                                    NULL, NULL, NULL), SQLITE_OK);
  }

  params.schema_version = 0;
  {
    g_autoptr(HearthStore) store = hearth_store_open (&params, &error);
    g_autoptr(GPtrArray) thread = NULL;
    g_autoptr(GPtrArray) hits = NULL;
    g_autoptr(HearthConversation) c = NULL;
    HearthSearchResult *hit;

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_get_schema_version (store), HEARTH_STORE_SCHEMA_VERSION);
    c = hearth_store_get_conversation (store, 7, &error);
    hearth_assert_no_error (error);
    ck_assert_str_eq (hearth_conversation_get_title (c), "Old chat");
    ck_assert (!hearth_conversation_get_pinned (c));
    ck_assert_int_eq (hearth_conversation_get_current_leaf_id (c), 12);

    /* The linear history became a chain of parents. */
    thread = hearth_store_get_thread (store, 7, 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (thread->len, 3);
    ck_assert_int_eq (hearth_message_get_parent_id (g_ptr_array_index (thread, 0)), 0);
    ck_assert_int_eq (hearth_message_get_parent_id (g_ptr_array_index (thread, 1)), 10);
    ck_assert_int_eq (hearth_message_get_parent_id (g_ptr_array_index (thread, 2)), 11);
    ck_assert_int_eq (hearth_message_get_prompt_tokens (g_ptr_array_index (thread, 2)), -1);
    ck_assert_ptr_null (hearth_message_get_tool_calls_json (g_ptr_array_index (thread, 1)));
    ck_assert_ptr_null (hearth_message_get_tool_name (g_ptr_array_index (thread, 2)));

    /* Old messages are in the new index. */
    hits = hearth_store_search (store, "falcon", 0, 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (hits->len, 1);
    hit = g_ptr_array_index (hits, 0);
    ck_assert_int_eq (hit->message_id, 11);
    ck_assert_str_eq (hit->conversation_title, "Old chat");

    add_message (store, 7, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "You are welcome");
    ck_assert (hearth_store_check_integrity (store, &error));
  }
}
END_TEST

START_TEST (test_newer_schema_refused)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);

    ck_assert_int_eq (sqlite3_exec (_hearth_store_get_db (store), "PRAGMA user_version = 99", NULL, NULL, NULL),
                      SQLITE_OK);
  }
  before = dir_fingerprint (t->data_dir);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HearthStore) store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_TOO_NEW);
  }
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);
}
END_TEST

/* ---- conversations and branches ---- */

static void
assert_titles (GPtrArray  *list,
               const char *expected)
{
  g_autoptr(GString) got = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    g_string_append_printf (got, "%s%s", i ? "," : "",
                            hearth_conversation_get_title (g_ptr_array_index (list, i)));
  ck_assert_str_eq (got->str, expected);
}

START_TEST (test_conversations)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  gint64 a, b, c, d;

  a = new_conversation (store, "A");
  g_usleep (2000);
  b = new_conversation (store, "B");
  g_usleep (2000);
  c = new_conversation (store, "C");
  g_usleep (2000);
  d = new_conversation (store, "D");

  list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 0, &error);
  hearth_assert_no_error (error);
  assert_titles (list, "D,C,B,A");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A new message moves a conversation up; pinned ones lead; archived ones leave. */
  g_usleep (2000);
  add_message (store, a, 0, HEARTH_MESSAGE_ROLE_USER, "bump");
  ck_assert (hearth_store_set_pinned (store, b, TRUE, &error));
  ck_assert (hearth_store_set_archived (store, c, TRUE, &error));
  ck_assert (hearth_store_rename_conversation (store, d, "D renamed", &error));
  hearth_assert_no_error (error);

  list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 0, 0, &error);
  assert_titles (list, "B,D renamed,A");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_DEFAULT, 1, 1, &error);
  assert_titles (list, "D renamed");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_ARCHIVED, 0, 10, &error);
  assert_titles (list, "C");
  g_clear_pointer (&list, g_ptr_array_unref);
  list = hearth_store_list_conversations (store, HEARTH_STORE_LIST_ALL, 0, 10, &error);
  assert_titles (list, "B,D renamed,A,C");
  g_clear_pointer (&list, g_ptr_array_unref);
  ck_assert_int_eq (hearth_store_count_conversations (store, HEARTH_STORE_LIST_DEFAULT, &error), 3);
  ck_assert_int_eq (hearth_store_count_conversations (store, HEARTH_STORE_LIST_ALL, &error), 4);
  hearth_assert_no_error (error);

  /* Deleting takes the messages with it. */
  ck_assert (hearth_store_delete_conversation (store, a, &error));
  hearth_assert_no_error (error);
  {
    g_autoptr(GPtrArray) msgs = hearth_store_get_all_messages (store, a, &error);

    hearth_assert_no_error (error);
    ck_assert_uint_eq (msgs->len, 0);
  }
  ck_assert (!hearth_store_delete_conversation (store, a, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  ck_assert (!hearth_store_rename_conversation (store, 999, "x", &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  ck_assert_ptr_null (hearth_store_append_message (store, 999, 0, HEARTH_MESSAGE_ROLE_USER, "x", NULL, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Settings. */
  ck_assert (hearth_store_set_setting (store, "theme", "dark", &error));
  {
    g_autofree char *v = hearth_store_get_setting (store, "theme", &error);

    hearth_assert_no_error (error);
    ck_assert_str_eq (v, "dark");
  }
  ck_assert (hearth_store_set_setting (store, "theme", NULL, &error));
  ck_assert_ptr_null (hearth_store_get_setting (store, "theme", &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
}
END_TEST

static void
assert_thread (HearthStore *store,
               gint64       conv,
               gint64       leaf,
               const char  *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) thread = hearth_store_get_thread (store, conv, leaf, &error);
  g_autoptr(GString) got = g_string_new (NULL);

  hearth_assert_no_error (error);
  for (guint i = 0; i < thread->len; i++)
    g_string_append_printf (got, "%s%s", i ? "|" : "", hearth_message_get_content (g_ptr_array_index (thread, i)));
  ck_assert_str_eq (got->str, expected);
}

START_TEST (test_branches)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthMessage) edited = NULL;
  g_autoptr(GPtrArray) children = NULL;
  gint64 conv = new_conversation (store, "Branches");
  gint64 q1, a1, q2, a2, q2b, a2b, regen;

  q1 = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "q1");
  a1 = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "a1");
  q2 = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "q2");
  a2 = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "a2");
  assert_thread (store, conv, 0, "q1|a1|q2|a2");

  /* Editing q2 forks a branch at a1. */
  edited = hearth_store_edit_message (store, q2, "q2 edited", &error);
  hearth_assert_no_error (error);
  q2b = hearth_message_get_id (edited);
  ck_assert_int_eq (hearth_message_get_parent_id (edited), a1);
  ck_assert_int_eq (hearth_message_get_role (edited), HEARTH_MESSAGE_ROLE_USER);
  a2b = add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "a2b");
  assert_thread (store, conv, 0, "q1|a1|q2 edited|a2b");
  assert_thread (store, conv, a2, "q1|a1|q2|a2");

  /* Regenerating a2b: a sibling under q2b. */
  regen = add_message (store, conv, q2b, HEARTH_MESSAGE_ROLE_ASSISTANT, "a2c");
  assert_thread (store, conv, 0, "q1|a1|q2 edited|a2c");
  children = hearth_store_get_children (store, conv, q2b, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (children->len, 2);
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (children, 0)), a2b);
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (children, 1)), regen);
  g_clear_pointer (&children, g_ptr_array_unref);
  children = hearth_store_get_children (store, conv, a1, &error);
  ck_assert_uint_eq (children->len, 2);
  g_clear_pointer (&children, g_ptr_array_unref);
  children = hearth_store_get_children (store, conv, 0, &error);
  ck_assert_uint_eq (children->len, 1);
  ck_assert_int_eq (hearth_message_get_id (g_ptr_array_index (children, 0)), q1);

  /* Switching back to the first branch shows its newest leaf. */
  ck_assert (hearth_store_set_current_leaf (store, conv, q2, &error));
  hearth_assert_no_error (error);
  assert_thread (store, conv, 0, "q1|a1|q2|a2");

  /* Deleting the branch on show falls back to what is left under its parent. */
  ck_assert (hearth_store_delete_message (store, q2, &error));
  hearth_assert_no_error (error);
  assert_thread (store, conv, 0, "q1|a1|q2 edited|a2c");
  ck_assert_ptr_null (hearth_store_get_message (store, a2, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Deleting a branch not on show leaves the view. */
  ck_assert (hearth_store_delete_message (store, a2b, &error));
  assert_thread (store, conv, 0, "q1|a1|q2 edited|a2c");

  /* Streaming into a reply updates it in place, with its counts. */
  {
    HearthMessageExtra extra;
    g_autoptr(HearthMessage) m = NULL;

    hearth_message_extra_init (&extra);
    extra.prompt_tokens = 12;
    extra.completion_tokens = 34;
    extra.settings_json = "{\"temperature\":0.7}";
    ck_assert (hearth_store_update_message (store, regen, "a2c, finished", &extra, &error));
    hearth_assert_no_error (error);
    m = hearth_store_get_message (store, regen, &error);
    ck_assert_str_eq (hearth_message_get_content (m), "a2c, finished");
    ck_assert_int_eq (hearth_message_get_prompt_tokens (m), 12);
    ck_assert_int_eq (hearth_message_get_completion_tokens (m), 34);
    ck_assert_str_eq (hearth_message_get_settings_json (m), "{\"temperature\":0.7}");
  }

  /* A parent from another conversation is refused. */
  {
    gint64 other = new_conversation (store, "Other");

    ck_assert_ptr_null (hearth_store_append_message (store, other, q1, HEARTH_MESSAGE_ROLE_USER, "x", NULL, &error));
    assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    ck_assert (!hearth_store_set_current_leaf (store, other, q1, &error));
    assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  }
}
END_TEST

/* ---- search ---- */

START_TEST (test_search)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  gint64 c1 = new_conversation (store, "Birds");
  gint64 c2 = new_conversation (store, "Cooking");
  gint64 kestrel1, kestrel3, recipe, cafe, gone;
  HearthSearchResult *r;

  kestrel1 = add_message (store, c1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                          "I saw a kestrel over the long field behind the old barn this morning, "
                          "hovering for a while before it dropped into the grass");
  kestrel3 = add_message (store, c1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT,
                          "Kestrel, kestrel, KESTREL!");
  add_message (store, c1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "What about owls?");
  recipe = add_message (store, c2, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                        "A recipe for bread with rye flour");
  cafe = add_message (store, c2, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                      "Which café sells rye bread?");
  gone = add_message (store, c2, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER,
                      "A kestrel ate my bread");

  /* Ranked: three hits in a short message beat one in a long one. */
  hits = hearth_store_search (store, "kestrel", 0, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hits->len, 3);
  r = g_ptr_array_index (hits, 0);
  ck_assert_int_eq (r->message_id, kestrel3);
  ck_assert_str_eq (r->conversation_title, "Birds");
  ck_assert_int_eq (r->conversation_id, c1);
  ck_assert_msg (strstr (r->snippet, "[KESTREL]") != NULL, "snippet %s", r->snippet);
  ck_assert_int_eq (((HearthSearchResult *) g_ptr_array_index (hits, 2))->message_id, kestrel1);
  ck_assert (((HearthSearchResult *) g_ptr_array_index (hits, 0))->score >
             ((HearthSearchResult *) g_ptr_array_index (hits, 1))->score);
  ck_assert (((HearthSearchResult *) g_ptr_array_index (hits, 1))->score >
             ((HearthSearchResult *) g_ptr_array_index (hits, 2))->score);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Paging. */
  hits = hearth_store_search (store, "kestrel", 1, 1, &error);
  ck_assert_uint_eq (hits->len, 1);
  ck_assert_int_eq (((HearthSearchResult *) g_ptr_array_index (hits, 0))->message_id, gone);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Every word must match; accents and case do not matter. */
  hits = hearth_store_search (store, "RYE bread", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = hearth_store_search (store, "cafe", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 1);
  ck_assert_int_eq (((HearthSearchResult *) g_ptr_array_index (hits, 0))->message_id, cafe);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = hearth_store_search (store, "reci*", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 1);
  ck_assert_int_eq (((HearthSearchResult *) g_ptr_array_index (hits, 0))->message_id, recipe);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = hearth_store_search (store, "bread flour rye", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* FTS syntax typed by the user is text, not a query error. */
  hits = hearth_store_search (store, "kestrel OR \"owls NEAR -bread content:x", 0, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hits->len, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  ck_assert_ptr_null (hearth_store_search (store, "  \" ", 0, 0, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Deleted and edited messages: gone from the index. */
  ck_assert (hearth_store_delete_message (store, gone, &error));
  ck_assert (hearth_store_update_message (store, kestrel3, "Falcon", NULL, &error));
  hearth_assert_no_error (error);
  hits = hearth_store_search (store, "kestrel", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 1);
  ck_assert_int_eq (((HearthSearchResult *) g_ptr_array_index (hits, 0))->message_id, kestrel1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = hearth_store_search (store, "falcon", 0, 0, &error);
  ck_assert_uint_eq (hits->len, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  ck_assert (hearth_store_delete_conversation (store, c2, &error));
  hits = hearth_store_search (store, "bread", 0, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (hits->len, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  ck_assert (hearth_store_check_integrity (store, &error));
  hearth_assert_no_error (error);
}
END_TEST

/* ---- export and import ---- */

static void
assert_same_message (HearthMessage *a,
                     HearthMessage *b)
{
  ck_assert_int_eq (hearth_message_get_role (a), hearth_message_get_role (b));
  ck_assert_str_eq (hearth_message_get_content (a), hearth_message_get_content (b));
  ck_assert_int_eq (hearth_message_get_created (a), hearth_message_get_created (b));
  ck_assert_int_eq (hearth_message_get_prompt_tokens (a), hearth_message_get_prompt_tokens (b));
  ck_assert_int_eq (hearth_message_get_completion_tokens (a), hearth_message_get_completion_tokens (b));
}

START_TEST (test_export_import)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthConversation) orig = NULL;
  g_autoptr(HearthConversation) copy = NULL;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json2 = NULL;
  g_autofree char *md = NULL;
  g_autofree char *created = NULL;
  g_autofree char *expected_md = NULL;
  HearthMessageExtra extra;
  g_autoptr(HearthConversation) c = hearth_store_create_conversation (store, "Export \"me\"", "tiny-model",
                                                                      "Be brief.", &error);
  gint64 conv = hearth_conversation_get_id (c);
  gint64 q, r1;
  g_autoptr(HearthMessage) m = NULL;

  hearth_assert_no_error (error);
  q = add_message (store, conv, 0, HEARTH_MESSAGE_ROLE_USER, "Line one\nLine \"two\" — ünïcode ✓");
  hearth_message_extra_init (&extra);
  extra.prompt_tokens = 5;
  extra.completion_tokens = 7;
  extra.settings_json = "{\"temperature\":0.5,\"top_k\":40}";
  m = hearth_store_append_message (store, conv, q, HEARTH_MESSAGE_ROLE_ASSISTANT, "First answer", &extra, &error);
  hearth_assert_no_error (error);
  r1 = hearth_message_get_id (m);
  add_message (store, conv, q, HEARTH_MESSAGE_ROLE_ASSISTANT, "Second answer");
  ck_assert (hearth_store_set_current_leaf (store, conv, r1, &error));
  ck_assert (hearth_store_set_pinned (store, conv, TRUE, &error));
  hearth_assert_no_error (error);
  orig = hearth_store_get_conversation (store, conv, &error);

  /* Markdown: the branch on show, by hand. */
  md = hearth_store_export_markdown (store, conv, &error);
  hearth_assert_no_error (error);
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (hearth_conversation_get_created (orig) / G_USEC_PER_SEC);

    created = g_date_time_format_iso8601 (dt);
  }
  expected_md = g_strdup_printf ("# Export \"me\"\n\n- Created: %s\n- Model: tiny-model\n\n"
                                 "## System prompt\n\nBe brief.\n\n"
                                 "## User\n\nLine one\nLine \"two\" — ünïcode ✓\n\n"
                                 "## Assistant\n\nFirst answer\n\n", created);
  ck_assert_str_eq (md, expected_md);

  json = hearth_store_export_json (store, conv, &error);
  hearth_assert_no_error (error);
  copy = hearth_store_import_json (store, json, -1, &error);
  hearth_assert_no_error (error);
  ck_assert_int_ne (hearth_conversation_get_id (copy), conv);
  ck_assert_str_eq (hearth_conversation_get_title (copy), "Export \"me\"");
  ck_assert_str_eq (hearth_conversation_get_model (copy), "tiny-model");
  ck_assert_str_eq (hearth_conversation_get_system_prompt (copy), "Be brief.");
  ck_assert (hearth_conversation_get_pinned (copy));
  ck_assert (!hearth_conversation_get_archived (copy));
  ck_assert_int_eq (hearth_conversation_get_created (copy), hearth_conversation_get_created (orig));
  ck_assert_int_eq (hearth_conversation_get_n_messages (copy), 3);

  /* Same tree: messages in order, parents mapped, the same branch on show. */
  a = hearth_store_get_all_messages (store, conv, &error);
  b = hearth_store_get_all_messages (store, hearth_conversation_get_id (copy), &error);
  ck_assert_uint_eq (a->len, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      HearthMessage *ma = g_ptr_array_index (a, i);
      HearthMessage *mb = g_ptr_array_index (b, i);

      assert_same_message (ma, mb);
      if (hearth_message_get_parent_id (ma) == 0)
        ck_assert_int_eq (hearth_message_get_parent_id (mb), 0);
      else
        for (guint j = 0; j < a->len; j++)
          if (hearth_message_get_id (g_ptr_array_index (a, j)) == hearth_message_get_parent_id (ma))
            ck_assert_int_eq (hearth_message_get_parent_id (mb), hearth_message_get_id (g_ptr_array_index (b, j)));
    }
  ck_assert_str_eq (hearth_message_get_settings_json (g_ptr_array_index (b, 1)), "{\"temperature\":0.5,\"top_k\":40}");
  {
    g_autofree char *md2 = hearth_store_export_markdown (store, hearth_conversation_get_id (copy), &error);

    ck_assert_str_eq (md2, md);
  }
  /* Exporting the copy gives the same JSON but for the ids. */
  json2 = hearth_store_export_json (store, hearth_conversation_get_id (copy), &error);
  {
    g_autoptr(JsonNode) n1 = json_from_string (json, NULL);
    g_autoptr(JsonNode) n2 = json_from_string (json2, NULL);
    JsonObject *o1 = json_node_get_object (n1);
    JsonObject *o2 = json_node_get_object (n2);

    ck_assert_str_eq (json_object_get_string_member (o1, "title"), json_object_get_string_member (o2, "title"));
    ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (o1, "messages")),
                       json_array_get_length (json_object_get_array_member (o2, "messages")));
  }

  /* Bad input: a clear error, nothing half imported. */
  {
    static const char * const bad[] = {
      "not json",
      "[1, 2]",
      "{\"format\": \"other\", \"version\": 1}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"title\": \"x\"}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"title\": 5, \"messages\": []}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"messages\": [{\"id\": 1, \"role\": \"user\"}]}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"messages\": "
      "[{\"id\": 1, \"role\": \"user\", \"content\": \"a\"}, {\"id\": 2, \"parent\": 3, \"role\": \"user\", \"content\": \"b\"}]}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"messages\": "
      "[{\"id\": 1, \"role\": \"wizard\", \"content\": \"a\"}]}",
      "{\"format\": \"hearth-conversation\", \"version\": 1, \"messages\": "
      "[{\"id\": 1, \"role\": \"user\", \"content\": \"a\"}, {\"id\": 1, \"role\": \"user\", \"content\": \"b\"}]}",
    };
    gint64 before = hearth_store_count_conversations (store, HEARTH_STORE_LIST_ALL, NULL);

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) e = NULL;
        g_autoptr(HearthConversation) x = hearth_store_import_json (store, bad[i], -1, &e);

        ck_assert_msg (x == NULL, "bad import %u accepted", i);
        assert_store_error (e, HEARTH_STORE_ERROR_BAD_FORMAT);
      }
    ck_assert_int_eq (hearth_store_count_conversations (store, HEARTH_STORE_LIST_ALL, NULL), before);
  }
  {
    g_autoptr(GError) e = NULL;
    g_autoptr(HearthConversation) x =
      hearth_store_import_json (store, "{\"format\": \"hearth-conversation\", \"version\": 9, \"messages\": []}", -1, &e);

    ck_assert_ptr_null (x);
    assert_store_error (e, HEARTH_STORE_ERROR_TOO_NEW);
  }
}
END_TEST

/* ---- durability ---- */

/* The child writes messages one transaction each and reports every
 * committed id on the pipe; the parent kills it mid-stream. */
static void
crash_writer (const char *data_dir,
              int         fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = open_with_passphrase (data_dir, PASSPHRASE, &error);
  g_autoptr(HearthConversation) conv = NULL;

  if (store == NULL)
    _exit (3);
  conv = hearth_store_create_conversation (store, "Crash", NULL, NULL, &error);
  if (conv == NULL)
    _exit (4);
  for (guint i = 0;; i++)
    {
      g_autofree char *text = g_strdup_printf ("committed message %u", i);
      g_autoptr(HearthMessage) m = hearth_store_append_message (store, hearth_conversation_get_id (conv),
                                                                HEARTH_STORE_CURRENT_LEAF,
                                                                HEARTH_MESSAGE_ROLE_USER, text, NULL, &error);
      gint64 id;

      if (m == NULL)
        _exit (5);
      id = hearth_message_get_id (m);
      if (write (fd, &id, sizeof id) != sizeof id)
        _exit (6);
    }
}

START_TEST (test_kill_during_writes)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  g_autoptr(GPtrArray) all = NULL;
  int fds[2];
  pid_t pid;
  int status;
  gint64 id;

  /* Create the store first so the child's time goes to writing. */
  g_clear_object (&store);
  store = open_ok (t->data_dir);
  g_clear_object (&store);

  ck_assert_int_eq (pipe (fds), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (fds[0]);
      crash_writer (t->data_dir, fds[1]);
      _exit (0);
    }
  close (fds[1]);

  /* Kill while it is in the middle of its stream. */
  while (ids->len < 150 && read (fds[0], &id, sizeof id) == sizeof id)
    g_array_append_val (ids, id);
  ck_assert_uint_eq (ids->len, 150);
  ck_assert_int_eq (kill (pid, SIGKILL), 0);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  /* Ids it reported before dying are committed too. */
  while (read (fds[0], &id, sizeof id) == sizeof id)
    g_array_append_val (ids, id);
  close (fds[0]);

  store = open_ok (t->data_dir);
  ck_assert (hearth_store_check_integrity (store, &error));
  hearth_assert_no_error (error);
  all = hearth_store_get_all_messages (store, 1, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_ge (all->len, ids->len);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(HearthMessage) m = hearth_store_get_message (store, g_array_index (ids, gint64, i), &error);
      g_autofree char *expected = g_strdup_printf ("committed message %u", i);

      hearth_assert_no_error (error);
      ck_assert_str_eq (hearth_message_get_content (m), expected);
    }
  /* And the store goes on working. */
  add_message (store, 1, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_USER, "after the crash");
}
END_TEST


/* ---- tools ---- */

START_TEST (test_tool_messages_and_audit)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(HearthMessage) call = NULL;
  g_autoptr(HearthMessage) result = NULL;
  g_autoptr(HearthMessage) again = NULL;
  g_autoptr(HearthToolAuditEntry) e = hearth_tool_audit_entry_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) thread = NULL;
  HearthToolAuditEntry *row;
  HearthMessageExtra extra;
  HearthToolAuditDecision d;
  gint64 conv = new_conversation (store, "Tools");
  gint64 other = new_conversation (store, "Other");
  gint64 user = add_message (store, conv, 0, HEARTH_MESSAGE_ROLE_USER, "What is 2+3?");
  gint64 cli_id;

  hearth_message_extra_init (&extra);
  extra.tool_calls_json = "[{\"id\": \"call_1\", \"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}]";
  call = hearth_store_append_message (store, conv, user, HEARTH_MESSAGE_ROLE_ASSISTANT, "Let me add.", &extra, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_message_get_tool_calls_json (call), extra.tool_calls_json);
  ck_assert_ptr_null (hearth_message_get_tool_call_id (call));
  ck_assert_ptr_null (hearth_message_get_tool_name (call));

  e->conversation_id = conv;
  e->message_id = hearth_message_get_id (call);
  e->call_id = g_strdup ("call_1");
  e->tool_name = g_strdup ("add");
  e->plugin_id = g_strdup ("calculator");
  e->arguments_json = g_strdup ("{\"a\": 2, \"b\": 3}");
  e->decision = HEARTH_TOOL_AUDIT_READ_ONLY;
  e->decided_by = g_strdup ("runtime");
  e->result = g_strdup ("5");
  e->started = 1000;
  e->finished = 2000;
  result = hearth_store_append_tool_result (store, conv, HEARTH_STORE_CURRENT_LEAF, "5", "call_1", "add", e, &error);
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_message_get_role (result), HEARTH_MESSAGE_ROLE_TOOL);
  ck_assert_int_eq (hearth_message_get_parent_id (result), hearth_message_get_id (call));
  ck_assert_str_eq (hearth_message_get_content (result), "5");
  ck_assert_str_eq (hearth_message_get_tool_call_id (result), "call_1");
  ck_assert_str_eq (hearth_message_get_tool_name (result), "add");
  ck_assert_ptr_null (hearth_message_get_tool_calls_json (result));

  /* A call from the CLI belongs to no conversation. */
  g_free (e->result);
  e->result = g_strdup ("division by zero");
  e->is_error = TRUE;
  e->conversation_id = 0;
  e->message_id = 0;
  e->decision = HEARTH_TOOL_AUDIT_CLI;
  g_free (e->decided_by);
  e->decided_by = g_strdup ("cli");
  cli_id = hearth_store_add_tool_audit (store, e, &error);
  hearth_assert_no_error (error);
  ck_assert_int_gt (cli_id, 0);

  /* A denied call in another conversation, nothing ran. */
  add_message (store, other, 0, HEARTH_MESSAGE_ROLE_USER, "Delete it");
  e->conversation_id = other;
  e->decision = HEARTH_TOOL_AUDIT_DENIED;
  e->started = 0;
  g_free (e->decided_by);
  e->decided_by = g_strdup ("user");
  g_clear_object (&again);
  again = hearth_store_append_tool_result (store, other, HEARTH_STORE_CURRENT_LEAF, "denied", NULL, "rm", e, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_null (hearth_message_get_tool_call_id (again));

  rows = hearth_store_list_tool_audit (store, conv, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rows->len, 1);
  row = g_ptr_array_index (rows, 0);
  ck_assert_int_gt (row->id, 0);
  ck_assert_int_eq (row->conversation_id, conv);
  ck_assert_int_eq (row->message_id, hearth_message_get_id (call));
  ck_assert_int_eq (row->result_message_id, hearth_message_get_id (result));
  ck_assert_str_eq (row->call_id, "call_1");
  ck_assert_str_eq (row->tool_name, "add");
  ck_assert_str_eq (row->plugin_id, "calculator");
  ck_assert_str_eq (row->arguments_json, "{\"a\": 2, \"b\": 3}");
  ck_assert_int_eq (row->decision, HEARTH_TOOL_AUDIT_READ_ONLY);
  ck_assert_str_eq (row->decided_by, "runtime");
  ck_assert_str_eq (row->result, "5");
  ck_assert (!row->is_error);
  ck_assert_int_eq (row->started, 1000);
  ck_assert_int_eq (row->finished, 2000);
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = hearth_store_list_tool_audit (store, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rows->len, 3);
  row = g_ptr_array_index (rows, 1);
  ck_assert_int_eq (row->id, cli_id);
  ck_assert_int_eq (row->conversation_id, 0);
  ck_assert_int_eq (row->message_id, 0);
  ck_assert_int_eq (row->result_message_id, 0);
  ck_assert_int_eq (row->decision, HEARTH_TOOL_AUDIT_CLI);
  ck_assert (row->is_error);
  ck_assert_str_eq (row->result, "division by zero");
  row = g_ptr_array_index (rows, 2);
  ck_assert_int_eq (row->conversation_id, other);
  ck_assert_int_eq (row->decision, HEARTH_TOOL_AUDIT_DENIED);
  ck_assert_int_eq (row->started, 0);
  ck_assert_int_eq (row->result_message_id, hearth_message_get_id (again));
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* An audit row without a tool name is refused, and with it the message. */
  g_clear_pointer (&e->tool_name, g_free);
  g_clear_object (&again);
  again = hearth_store_append_tool_result (store, conv, HEARTH_STORE_CURRENT_LEAF, "x", NULL, NULL, e, &error);
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_null (again);
  g_clear_error (&error);
  thread = hearth_store_get_thread (store, conv, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (thread->len, 3);

  /* Decision names are the ones the schema allows. */
  ck_assert_str_eq (hearth_tool_audit_decision_to_string (HEARTH_TOOL_AUDIT_ALLOWED_CONVERSATION),
                    "allowed-conversation");
  ck_assert (hearth_tool_audit_decision_from_string ("not-run", &d));
  ck_assert_int_eq (d, HEARTH_TOOL_AUDIT_NOT_RUN);
  ck_assert (!hearth_tool_audit_decision_from_string ("maybe", &d));

  /* Rows and messages survive reopening; the audit outlives its conversation. */
  g_clear_object (&store);
  store = open_ok (t->data_dir);
  g_clear_object (&result);
  result = hearth_store_get_message (store, hearth_message_get_id (g_ptr_array_index (thread, 2)), &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (hearth_message_get_tool_name (result), "add");
  ck_assert (hearth_store_delete_conversation (store, conv, &error));
  hearth_assert_no_error (error);
  rows = hearth_store_list_tool_audit (store, 0, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rows->len, 3);
}
END_TEST

START_TEST (test_tool_approvals)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = open_ok (t->data_dir);
  g_autoptr(GPtrArray) rules = NULL;
  HearthToolApprovalRule *r;
  gint64 a = new_conversation (store, "A");
  gint64 b = new_conversation (store, "B");

  ck_assert_int_eq (hearth_store_get_tool_approval (store, "write_file", a, &error), HEARTH_TOOL_APPROVAL_NONE);
  hearth_assert_no_error (error);

  ck_assert (hearth_store_remember_tool_approval (store, "write_file", a, &error));
  hearth_assert_no_error (error);
  /* Twice is the same as once. */
  ck_assert (hearth_store_remember_tool_approval (store, "write_file", a, &error));
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "write_file", a, &error),
                    HEARTH_TOOL_APPROVAL_CONVERSATION);
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "write_file", b, &error), HEARTH_TOOL_APPROVAL_NONE);
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "send_mail", a, &error), HEARTH_TOOL_APPROVAL_NONE);

  ck_assert (hearth_store_remember_tool_approval (store, "send_mail", 0, &error));
  ck_assert (hearth_store_remember_tool_approval (store, "write_file", b, &error));
  ck_assert (hearth_store_remember_tool_approval (store, "write_file", 0, &error));
  hearth_assert_no_error (error);
  /* Always comes first. */
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "write_file", a, &error), HEARTH_TOOL_APPROVAL_ALWAYS);
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "send_mail", b, &error), HEARTH_TOOL_APPROVAL_ALWAYS);

  /* An unknown conversation is an error and remembers nothing. */
  ck_assert (!hearth_store_remember_tool_approval (store, "send_mail", 999, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  ck_assert (!hearth_store_remember_tool_approval (store, "", 0, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  rules = hearth_store_list_tool_approvals (store, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rules->len, 4);
  r = g_ptr_array_index (rules, 0);
  ck_assert_str_eq (r->tool_name, "send_mail");
  ck_assert_int_eq (r->conversation_id, 0);
  ck_assert_int_gt (r->created, 0);
  r = g_ptr_array_index (rules, 1);
  ck_assert_str_eq (r->tool_name, "write_file");
  ck_assert_int_eq (r->conversation_id, 0);
  r = g_ptr_array_index (rules, 2);
  ck_assert_str_eq (r->tool_name, "write_file");
  ck_assert_int_eq (r->conversation_id, a);
  r = g_ptr_array_index (rules, 3);
  ck_assert_int_eq (r->conversation_id, b);
  g_clear_pointer (&rules, g_ptr_array_unref);

  /* Revoking always leaves the conversation's own. */
  ck_assert (hearth_store_revoke_tool_approval (store, "write_file", 0, &error));
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_store_get_tool_approval (store, "write_file", a, &error),
                    HEARTH_TOOL_APPROVAL_CONVERSATION);
  ck_assert (!hearth_store_revoke_tool_approval (store, "write_file", 0, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A deleted conversation's approvals go with it; they persist otherwise. */
  ck_assert (hearth_store_delete_conversation (store, a, &error));
  hearth_assert_no_error (error);
  g_clear_object (&store);
  store = open_ok (t->data_dir);
  rules = hearth_store_list_tool_approvals (store, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (rules->len, 2);
  r = g_ptr_array_index (rules, 0);
  ck_assert_str_eq (r->tool_name, "send_mail");
  r = g_ptr_array_index (rules, 1);
  ck_assert_str_eq (r->tool_name, "write_file");
  ck_assert_int_eq (r->conversation_id, b);
}
END_TEST

/* ---- the keyring (a real gnome-keyring-daemon, from tests/tools/with-keyring.sh) ---- */

static void
require_test_keyring (void)
{
  /* Never the user's own keyring, and never a silent skip. */
  ck_assert_msg (g_strcmp0 (g_getenv ("HEARTH_IN_TEST_KEYRING"), "1") == 0 &&
                 g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL,
                 "run this suite through tests/tools/with-keyring.sh (meson test does)");
}

static HearthStore *
open_with_keyring (const char          *data_dir,
                   HearthStoreKeySource source,
                   const char          *fallback_passphrase,
                   GError             **error)
{
  HearthStoreParams params;

  hearth_store_params_init (&params);
  params.data_dir = data_dir;
  params.key_source = source;
  params.passphrase_func = fallback_passphrase != NULL ? give_passphrase : NULL;
  params.passphrase_data = (gpointer) fallback_passphrase;
  params.passphrase_iterations = TEST_ITERATIONS;
  return hearth_store_open (&params, error);
}

static char *
params_value (const char *data_dir,
              const char *group,
              const char *key)
{
  g_autofree char *path = store_file (data_dir, "history.db.params");
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error), "%s", error ? error->message : "");
  return g_key_file_get_string (kf, group, key, NULL);
}

START_TEST (test_keyring_key_made_and_reused)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *store_id = NULL;
  g_autofree char *source = NULL;
  g_autofree char *check_hex = NULL;
  g_autofree char *params_text = NULL;
  g_autofree char *params_path = store_file (t->data_dir, "history.db.params");
  guint8 key[HEARTH_KEY_SIZE], check[HEARTH_KEY_CHECK_SIZE];
  g_autoptr(GError) error = NULL;
  gint64 conv;

  require_test_keyring ();
  {
    /* No passphrase function: it must not be needed. */
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, NULL, &error);

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_get_key_source (store), HEARTH_STORE_KEY_KEYRING);
    conv = new_conversation (store, "Kept by the keyring");
    add_message (store, conv, 0, HEARTH_MESSAGE_ROLE_USER, "hello " CANARY);
  }

  store_id = params_value (t->data_dir, "Store", "id");
  source = params_value (t->data_dir, "Store", "key-source");
  check_hex = params_value (t->data_dir, "Cipher", "key-check");
  ck_assert_str_eq (source, "keyring");
  ck_assert (g_uuid_string_is_valid (store_id));

  /* The keyring holds a 256-bit key whose check value is the stored one... */
  ck_assert (hearth_keyring_lookup (store_id, key, &error));
  hearth_assert_no_error (error);
  hearth_key_check_value (key, check);
  {
    g_autoptr(GString) hex = g_string_new (NULL);

    for (int i = 0; i < HEARTH_KEY_CHECK_SIZE; i++)
      g_string_append_printf (hex, "%02x", check[i]);
    ck_assert_str_eq (hex->str, check_hex);
  }
  /* ...and the key itself is written nowhere in the data folder. */
  ck_assert (g_file_get_contents (params_path, &params_text, NULL, NULL));
  {
    g_autoptr(GString) hex = g_string_new (NULL);
    g_autoptr(GDir) d = g_dir_open (t->data_dir, 0, NULL);
    const char *name;

    for (int i = 0; i < HEARTH_KEY_SIZE; i++)
      g_string_append_printf (hex, "%02x", key[i]);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (t->data_dir, name, NULL);
        g_autoptr(GBytes) bytes = read_file (path);
        gsize len;
        const guint8 *data = g_bytes_get_data (bytes, &len);

        ck_assert_msg (!bytes_contain (bytes, hex->str), "%s holds the key in hex", name);
        ck_assert_msg (memmem (data, len, key, sizeof key) == NULL, "%s holds the raw key", name);
      }
  }
  assert_no_plaintext (t->data_dir, CANARY);

  /* Reopening finds the same key: the data is there, no new key is made. */
  {
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, NULL, &error);
    g_autoptr(GPtrArray) thread = NULL;
    g_autofree char *id_again = params_value (t->data_dir, "Store", "id");

    hearth_assert_no_error (error);
    thread = hearth_store_get_thread (store, conv, 0, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (thread->len, 1);
    ck_assert_str_eq (hearth_message_get_content (g_ptr_array_index (thread, 0)), "hello " CANARY);
    ck_assert_str_eq (id_again, store_id);
  }
  /* An existing keyring database ignores a passphrase. */
  {
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_PASSPHRASE, "whatever", &error);

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_get_key_source (store), HEARTH_STORE_KEY_KEYRING);
  }
}
END_TEST

START_TEST (test_keyring_entry_lost)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *store_id = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;

  require_test_keyring ();
  {
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_KEYRING, NULL, &error);

    hearth_assert_no_error (error);
    new_conversation (store, "Soon unreadable");
  }
  store_id = params_value (t->data_dir, "Store", "id");
  before = dir_fingerprint (t->data_dir);
  ck_assert (hearth_keyring_clear (store_id, &error));
  hearth_assert_no_error (error);

  /* A clear error, and no fresh empty database over the old one, whatever
   * the caller allows. */
  for (int source = HEARTH_STORE_KEY_AUTO; source <= HEARTH_STORE_KEY_PASSPHRASE; source++)
    {
      g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, source, PASSPHRASE, &error);

      ck_assert_ptr_null (store);
      assert_store_error (error, HEARTH_STORE_ERROR_KEY_MISSING);
      ck_assert_msg (strstr (error->message, "missing from the keyring") != NULL, "unclear: %s", error->message);
      g_clear_error (&error);
    }
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);
}
END_TEST

START_TEST (test_keyring_wrong_key)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *store_id = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;
  guint8 other[HEARTH_KEY_SIZE];

  require_test_keyring ();
  store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_KEYRING, NULL, &error);
  hearth_assert_no_error (error);
  new_conversation (store, "x");
  g_clear_object (&store);

  store_id = params_value (t->data_dir, "Store", "id");
  before = dir_fingerprint (t->data_dir);
  ck_assert (hearth_key_generate (other, &error));
  ck_assert (hearth_keyring_store (store_id, "replaced", other, &error));
  hearth_assert_no_error (error);

  store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, NULL, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_WRONG_KEY);
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);
}
END_TEST

/* The default collection of the test keyring, locked or unlocked through
 * the Secret Service's D-Bus API; unlocking uses gnome-keyring's interface
 * for unlocking with the password and no prompt. */
static void
set_test_keyring_locked (gboolean locked)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) reply = NULL;
  const char *collection = NULL;

  hearth_assert_no_error (error);
  alias = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "ReadAlias",
                                       g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  hearth_assert_no_error (error);
  g_variant_get (alias, "(&o)", &collection);
  ck_assert_str_ne (collection, "/");

  if (locked)
    {
      const char *objects[] = { collection };
      g_autoptr(GVariant) done = NULL;

      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                           "org.freedesktop.Secret.Service", "Lock",
                                           g_variant_new ("(@ao)", g_variant_new_objv (objects, 1)),
                                           G_VARIANT_TYPE ("(aoo)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      hearth_assert_no_error (error);
      done = g_variant_get_child_value (reply, 0);
      ck_assert_uint_eq (g_variant_n_children (done), 1);
    }
  else
    {
      static const char password[] = "test-password";
      g_autoptr(GVariant) opened = NULL;
      g_autoptr(GVariant) output = NULL;
      const char *session = NULL;

      opened = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                            "org.freedesktop.Secret.Service", "OpenSession",
                                            g_variant_new ("(sv)", "plain", g_variant_new_string ("")),
                                            G_VARIANT_TYPE ("(vo)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      hearth_assert_no_error (error);
      g_variant_get (opened, "(v&o)", &output, &session);
      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                           "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                                           "UnlockWithMasterPassword",
                                           g_variant_new ("(o(o@ay@ays))", collection, session,
                                                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                                                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, password,
                                                                                     sizeof password - 1, 1),
                                                          "text/plain"),
                                           NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      hearth_assert_no_error (error);
    }
}

START_TEST (test_keyring_locked)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthStore) store = NULL;

  require_test_keyring ();
  store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_KEYRING, NULL, &error);
  hearth_assert_no_error (error);
  g_clear_object (&store);
  before = dir_fingerprint (t->data_dir);

  /* Locked; there is no display, so the unlock prompt fails, as when the
   * user dismisses it. */
  set_test_keyring_locked (TRUE);
  store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, PASSPHRASE, &error);
  ck_assert_ptr_null (store);
  assert_store_error (error, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE);
  ck_assert_msg (strstr (error->message, "locked") != NULL, "unclear: %s", error->message);
  g_clear_error (&error);
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);

  /* Unlocked again (the daemon outlives this test): the same database opens. */
  set_test_keyring_locked (FALSE);
  store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_int_eq (hearth_store_get_key_source (store), HEARTH_STORE_KEY_KEYRING);
}
END_TEST

START_TEST (test_no_secret_service)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *bus = NULL;
  g_autoptr(GError) error = NULL;

  /* A session bus that is not there: as headless, or a sandbox without the
   * portal.  Set before anything in this (forked) test talks D-Bus. */
  bus = g_strdup_printf ("unix:path=%s/no-bus", t->root);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus, TRUE);

  {
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_KEYRING, PASSPHRASE, &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE);
    g_clear_error (&error);
  }
  {
    /* AUTO with nobody to ask: the keyring's error, nothing created. */
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, NULL, &error);
    g_autofree char *db = store_file (t->data_dir, "history.db");
    GStatBuf st;

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE);
    g_clear_error (&error);
    ck_assert (g_stat (db, &st) != 0 || st.st_size == 0);
  }
  {
    /* AUTO with a passphrase: falls back to it. */
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, PASSPHRASE, &error);
    g_autofree char *source = NULL;

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_get_key_source (store), HEARTH_STORE_KEY_PASSPHRASE);
    source = params_value (t->data_dir, "Store", "key-source");
    ck_assert_str_eq (source, "passphrase");
    new_conversation (store, "no keyring here");
  }
  {
    g_autoptr(HearthStore) store = open_with_passphrase (t->data_dir, PASSPHRASE, &error);

    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_store_count_conversations (store, HEARTH_STORE_LIST_ALL, &error), 1);
  }
}
END_TEST

START_TEST (test_keyring_gone_for_keyring_database)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *bus = NULL;
  g_autoptr(GError) error = NULL;
  pid_t pid;
  int status;

  require_test_keyring ();
  /* Made with the keyring in a child, so this process has no D-Bus
   * connection yet when the bus goes away. */
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      HearthStore *store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_KEYRING, NULL, NULL);
      int code = store != NULL && hearth_store_get_key_source (store) == HEARTH_STORE_KEY_KEYRING ? 0 : 1;

      g_clear_object (&store);
      /* The folder is the parent's to remove; free only this copy. */
      g_free (t->root);
      g_free (t->data_dir);
      g_free (g_steal_pointer (&t));
      _exit (code);
    }
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  before = dir_fingerprint (t->data_dir);

  bus = g_strdup_printf ("unix:path=%s/no-bus", t->root);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus, TRUE);
  {
    g_autoptr(HearthStore) store = open_with_keyring (t->data_dir, HEARTH_STORE_KEY_AUTO, PASSPHRASE, &error);

    ck_assert_ptr_null (store);
    assert_store_error (error, HEARTH_STORE_ERROR_KEYRING_UNAVAILABLE);
  }
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);
}
END_TEST

/* ---- hearth-cli history ---- */

/* Runs hearth-cli with @argv (NULL-terminated, without the program) and
 * returns its exit status; stdout and stderr in @out and @err. */
static int
run_cli (const char * const *env_extra,
         char              **out,
         char              **err,
         const char         *first,
         ...)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  va_list args;
  int status = -1;

  ck_assert_msg (cli != NULL, "HEARTH_CLI is not set (meson test sets it)");
  g_ptr_array_add (argv, (gpointer) cli);
  va_start (args, first);
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  for (guint i = 0; env_extra != NULL && env_extra[i] != NULL; i += 2)
    envp = g_environ_setenv (envp, env_extra[i], env_extra[i + 1], TRUE);

  /* stdin is /dev/null: the CLI must never wait on a prompt here. */
  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                     out, err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", cli, error->message);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

START_TEST (test_cli_history)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *pf = g_build_filename (t->root, "pass", NULL);
  g_autofree char *wrong_pf = g_build_filename (t->root, "wrong", NULL);
  g_autofree char *export_path = g_build_filename (t->root, "export.json", NULL);
  g_autofree char *api_md = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  gint64 conv;
  int rc;

  ck_assert (g_file_set_contents (pf, PASSPHRASE "\n", -1, &error));
  ck_assert (g_file_set_contents (wrong_pf, "nope\n", -1, &error));
  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);

    conv = new_conversation (store, "About kestrels");
    add_message (store, conv, 0, HEARTH_MESSAGE_ROLE_USER, "Where do kestrels nest?");
    add_message (store, conv, HEARTH_STORE_CURRENT_LEAF, HEARTH_MESSAGE_ROLE_ASSISTANT, "On ledges and in old crow nests.");
    new_conversation (store, "Empty one");
    api_md = hearth_store_export_markdown (store, conv, &error);
    hearth_assert_no_error (error);
  }

#define CLI(...) run_cli (NULL, &out, &err, __VA_ARGS__, "--data-dir", t->data_dir, "--passphrase-file", pf, NULL)
  rc = CLI ("history", "list");
  ck_assert_msg (rc == 0, "list: %s", err);
  ck_assert_msg (g_regex_match_simple ("^ +2  .*  --      0  Empty one\n +1  .*  --      2  About kestrels\n$", out, 0, 0),
                 "list printed:\n%s", out);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("history", "show", "1");
  ck_assert_msg (rc == 0, "show: %s", err);
  ck_assert_str_eq (out, "# About kestrels\nmodel: test-model\n\n[user #1]\nWhere do kestrels nest?\n\n"
                         "[assistant #2]\nOn ledges and in old crow nests.\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("history", "search", "crow", "nests");
  ck_assert_msg (rc == 0, "search: %s", err);
  ck_assert_msg (g_str_has_prefix (out, "1:2  ") && strstr (out, "About kestrels: On ledges and in old [crow] [nests].\n"),
                 "search printed:\n%s", out);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("history", "export", "1", "--format", "md");
  ck_assert_msg (rc == 0, "export: %s", err);
  ck_assert_str_eq (out, api_md);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("history", "export", "1", "--format", "json", "--output", export_path);
  ck_assert_msg (rc == 0, "export json: %s", err);
  ck_assert_uint_eq (file_mode (export_path), 0600);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI ("history", "import", export_path);
  ck_assert_msg (rc == 0, "import: %s", err);
  ck_assert_str_eq (out, "Imported conversation 3 (2 messages): About kestrels\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI ("history", "export", "3", "--format", "md");
  ck_assert_str_eq (out, api_md);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Errors: one clear line, a failing status. */
  rc = CLI ("history", "show", "99");
  ck_assert_int_eq (rc, 1);
  ck_assert_str_eq (err, "hearth-cli: No conversation with id 99\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = CLI ("history", "export", "1", "--format", "pdf");
  ck_assert_int_eq (rc, 1);
  ck_assert_msg (strstr (err, "unknown --format 'pdf'") != NULL, "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = run_cli (NULL, &out, &err, "history", "list", "--data-dir", t->data_dir, "--passphrase-file", wrong_pf, NULL);
  ck_assert_int_eq (rc, 1);
  ck_assert_str_eq (err, "hearth-cli: Wrong passphrase for the history database\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = run_cli (NULL, &out, &err, "history", "list", "--data-dir", t->data_dir, NULL);
  ck_assert_int_eq (rc, 1);
  ck_assert_msg (strstr (err, "--passphrase-file") != NULL, "%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
#undef CLI
}
END_TEST


/* `hearth-cli tools audit`: every row, or one conversation's, as lines or JSON. */
START_TEST (test_cli_tools_audit)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *pf = g_build_filename (t->root, "pass", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *conv_text = NULL;
  gint64 conv;
  int rc;

  ck_assert (g_file_set_contents (pf, PASSPHRASE "\n", -1, &error));
  {
    g_autoptr(HearthStore) store = open_ok (t->data_dir);
    g_autoptr(HearthToolAuditEntry) e = hearth_tool_audit_entry_new ();

    conv = new_conversation (store, "Tools");
    e->conversation_id = conv;
    e->call_id = g_strdup ("call_1_1");
    e->tool_name = g_strdup ("write_note");
    e->plugin_id = g_strdup ("notes");
    e->arguments_json = g_strdup ("{\"text\": \"two\\nlines\"}");
    e->decision = HEARTH_TOOL_AUDIT_DENIED;
    e->decided_by = g_strdup ("user");
    e->result = g_strdup ("Error: denied");
    e->is_error = TRUE;
    e->finished = 1700000000000000;
    ck_assert_int_eq (hearth_store_add_tool_audit (store, e, &error), 1);
    e->conversation_id = 0;
    e->decision = HEARTH_TOOL_AUDIT_CLI;
    g_free (e->decided_by);
    e->decided_by = g_strdup ("cli");
    ck_assert_int_eq (hearth_store_add_tool_audit (store, e, &error), 2);
    hearth_assert_no_error (error);
  }
  conv_text = g_strdup_printf ("%" G_GINT64_FORMAT, conv);
#define CLI(...) run_cli (NULL, &out, &err, __VA_ARGS__, "--data-dir", t->data_dir, "--passphrase-file", pf, NULL)

  rc = CLI ("tools", "audit", "--json", "--conversation", conv_text);
  ck_assert_msg (rc == 0, "tools audit: %s", err);
  ck_assert_str_eq (out,
                    "[\n"
                    "  {\n"
                    "    \"id\" : 1,\n"
                    "    \"conversation_id\" : 1,\n"
                    "    \"message_id\" : 0,\n"
                    "    \"result_message_id\" : 0,\n"
                    "    \"call_id\" : \"call_1_1\",\n"
                    "    \"tool\" : \"write_note\",\n"
                    "    \"plugin\" : \"notes\",\n"
                    "    \"arguments\" : \"{\\\"text\\\": \\\"two\\\\nlines\\\"}\",\n"
                    "    \"decision\" : \"denied\",\n"
                    "    \"decided_by\" : \"user\",\n"
                    "    \"result\" : \"Error: denied\",\n"
                    "    \"is_error\" : true,\n"
                    "    \"started\" : 0,\n"
                    "    \"finished\" : 1700000000000000\n"
                    "  }\n"
                    "]\n");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("tools", "audit");
  ck_assert_msg (rc == 0, "tools audit: %s", err);
  ck_assert_msg (g_regex_match_simple ("^\\S+ \\S+  conv 1  write_note \\(notes\\)  denied by user  error: Error: denied\n"
                                       "    arguments: \\{\"text\": \"two\\\\nlines\"\\}\n"
                                       "\\S+ \\S+  conv 0  write_note \\(notes\\)  cli by cli  error: Error: denied\n"
                                       "    arguments: .*\n$", out, 0, 0), "tools audit printed:\n%s", out);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  rc = CLI ("tools", "audit", "extra");
  ck_assert_int_eq (rc, 1);
  ck_assert_str_eq (err, "hearth-cli: audit takes no arguments, and --conversation a conversation id\n");
#undef CLI
}
END_TEST

START_TEST (test_cli_default_dir_and_keyring)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *xdg = g_build_filename (t->root, "xdg", NULL);
  g_autofree char *db = g_build_filename (xdg, "hearth", "history.db", NULL);
  g_autofree char *json = g_build_filename (t->root, "c.json", NULL);
  const char *env[] = { "XDG_DATA_HOME", xdg, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  require_test_keyring ();
  ck_assert (g_file_set_contents (json, "{\"format\": \"hearth-conversation\", \"version\": 1, \"title\": \"T\","
                                  " \"messages\": [{\"id\": 1, \"role\": \"user\", \"content\": \"hi\"}]}", -1, &error));
  /* No --data-dir, no passphrase: $XDG_DATA_HOME/hearth and the keyring. */
  rc = run_cli (env, &out, &err, "history", "import", json, NULL);
  ck_assert_msg (rc == 0, "import: %s", err);
  ck_assert (g_file_test (db, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  rc = run_cli (env, &out, &err, "history", "list", NULL);
  ck_assert_msg (rc == 0, "list: %s", err);
  ck_assert_msg (g_regex_match_simple ("^ +1  .*  --      1  T\n$", out, 0, 0), "list printed:\n%s", out);
  {
    g_autofree char *source = NULL;
    g_autofree char *dir = g_build_filename (xdg, "hearth", NULL);

    source = params_value (dir, "Store", "key-source");
    ck_assert_str_eq (source, "keyring");
  }
}
END_TEST

Suite *store_suite (void);

Suite *
store_suite (void)
{
  Suite *s = suite_create ("store");
  TCase *tc;

  tc = tcase_create ("files");
  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_create_and_reopen);
  tcase_add_test (tc, test_existing_folder_made_private);
  tcase_add_test (tc, test_two_connections);
  tcase_add_test (tc, test_wrong_passphrase);
  tcase_add_test (tc, test_no_plaintext_on_disk);
  tcase_add_test (tc, test_corrupt_first_page);
  tcase_add_test (tc, test_corrupt_every_page);
  tcase_add_test (tc, test_corrupt_last_page);
  tcase_add_test (tc, test_damaged_params_file);
  tcase_add_test (tc, test_db_path_problems);
  tcase_add_test (tc, test_cipher_settings_pinned);
  tcase_add_test (tc, test_kill_during_writes);
  suite_add_tcase (s, tc);

  tc = tcase_create ("schema");
  tcase_set_timeout (tc, 20);
  tcase_add_test (tc, test_migration_from_v1);
  tcase_add_test (tc, test_newer_schema_refused);
  tcase_add_test (tc, test_conversations);
  tcase_add_test (tc, test_branches);
  tcase_add_test (tc, test_search);
  tcase_add_test (tc, test_export_import);
  tcase_add_test (tc, test_tool_messages_and_audit);
  tcase_add_test (tc, test_tool_approvals);
  suite_add_tcase (s, tc);

  tc = tcase_create ("keyring");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_keyring_key_made_and_reused);
  tcase_add_test (tc, test_keyring_entry_lost);
  tcase_add_test (tc, test_keyring_wrong_key);
  tcase_add_test (tc, test_keyring_locked);
  tcase_add_test (tc, test_no_secret_service);
  tcase_add_test (tc, test_keyring_gone_for_keyring_database);
  suite_add_tcase (s, tc);

  tc = tcase_create ("cli");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_cli_history);
  tcase_add_test (tc, test_cli_tools_audit);
  tcase_add_test (tc, test_cli_default_dir_and_keyring);
  suite_add_tcase (s, tc);

  return s;
}

int
main (void)
{
  return hearth_test_run (store_suite ());
}
