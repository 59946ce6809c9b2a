/* test-documents.c: the document index, the indexer, hybrid search and `hearth-cli docs`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run through tests/tools/with-keyring.sh (a real Secret Service).  The
 * synthetic encoders (shared/models/synthetic/synth-*bert*) have random
 * weights: they check the plumbing (vectors made, stored, searched, found
 * again), not the quality of retrieval.
 */
#include "hearth-config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hearth-doc-embedder.h"
#include "hearth-doc-index-private.h"
#include "hearth-doc-indexer.h"
#include "hearth-doc-search.h"
#include "hearth-doc-vector.h"
#include "hearth-doc-watcher.h"
#include "hearth-documents.h"
#include "hearth-test.h"

#define PASSPHRASE "documents passphrase"
#define TEST_ITERATIONS 1000

#define assert_store_error(err, want) \
  G_STMT_START { \
    ck_assert_msg ((err) != NULL, "expected store error %d, got success", (int) (want)); \
    ck_assert_msg ((err)->domain == HEARTH_STORE_ERROR && (err)->code == (int) (want), \
                   "expected store error %d, got %s:%d: %s", (int) (want), \
                   g_quark_to_string ((err)->domain), (err)->code, (err)->message); \
  } G_STMT_END

/* ---- helpers ---- */

typedef struct
{
  char *root;
  char *data_dir;
  char *docs;
} TestDir;

static TestDir *
test_dir_new (void)
{
  TestDir *t = g_new0 (TestDir, 1);
  g_autoptr(GError) error = NULL;

  t->root = g_dir_make_tmp ("hearth-docs-XXXXXX", &error);
  hearth_assert_no_error (error);
  t->data_dir = g_build_filename (t->root, "data", NULL);
  t->docs = g_build_filename (t->root, "docs", NULL);
  ck_assert_int_eq (g_mkdir (t->docs, 0700), 0);
  return t;
}

static void
test_dir_free (TestDir *t)
{
  hearth_test_rm_rf (t->root);
  g_free (t->root);
  g_free (t->data_dir);
  g_free (t->docs);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestDir, test_dir_free)

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup (user_data);
}

static HearthDocIndex *
open_index (const char *data_dir,
            const char *passphrase,
            GError    **error)
{
  HearthDocIndexParams params;

  hearth_doc_index_params_init (&params);
  params.data_dir = data_dir;
  params.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  params.passphrase_func = give_passphrase;
  params.passphrase_data = (gpointer) passphrase;
  params.passphrase_iterations = TEST_ITERATIONS;
  return hearth_doc_index_open (&params, error);
}

static HearthDocIndex *
open_ok (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  HearthDocIndex *index = open_index (data_dir, PASSPHRASE, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (index);
  return index;
}

static HearthDocCollection *
collection_ok (HearthDocIndex                *index,
               const char                    *name,
               const HearthDocEmbedModelInfo *model)
{
  g_autoptr(GError) error = NULL;
  HearthDocCollection *c = hearth_doc_index_ensure_collection (index, name, model, 64, 8, &error);

  hearth_assert_no_error (error);
  ck_assert_ptr_nonnull (c);
  return c;
}

static void
check_ok (HearthDocIndex *index)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (hearth_doc_index_check (index, &error), "check: %s", error ? error->message : "");
}

/* A chunk on the stack for write_file. */
static HearthDocChunk
chunk (const char *text,
       const char *context,
       guint       page,
       guint       line_start,
       guint       line_end)
{
  HearthDocChunk c = { (char *) text, (char *) context, page, line_start, line_end, 0 };

  return c;
}

static gint64
write_chunks (HearthDocIndex *index,
              gint64          collection_id,
              const char     *path,
              HearthDocChunk *chunks,
              guint           n,
              const float    *vectors)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  HearthDocFileInfo info = { 0 };
  gint64 id;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (list, &chunks[i]);
  info.path = (char *) path;
  info.size = 100;
  info.mtime = 1;
  info.sha256 = (char *) path;
  info.format = (char *) "text";
  info.status = HEARTH_DOC_FILE_INDEXED;
  id = hearth_doc_index_write_file (index, collection_id, &info, list, vectors, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_int_gt (id, 0);
  return id;
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  ck_assert_msg (g_file_get_contents (path, &data, &len, &error), "%s", error ? error->message : "");
  return g_bytes_new_take (data, len);
}

static gboolean
bytes_contain (GBytes     *bytes,
               const char *needle)
{
  gsize len, n = strlen (needle);
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return len >= n && memmem (data, len, needle, n) != NULL;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

static char *
dir_fingerprint (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, (char *) g_ptr_array_index (names, i), NULL);
      g_autoptr(GBytes) b = read_file (path);

      g_checksum_update (sum, g_ptr_array_index (names, i), -1);
      g_checksum_update (sum, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    }
  return g_strdup (g_checksum_get_string (sum));
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (g_file_set_contents (path, text, -1, &error), "%s", error ? error->message : "");
}

static char *
model_path (const char *name)
{
  /* Canonical, as the index records it: the shared folder's path may hold
   * ".." (meson passes SOURCE/../shared). */
  g_autofree char *path = hearth_test_data_path ("models", "synthetic", name, NULL);
  char *real = realpath (path, NULL);
  char *out;

  ck_assert_msg (real != NULL, "%s: %s", path, g_strerror (errno));
  out = g_strdup (real);
  free (real);
  return out;
}

/* ---- index ---- */

START_TEST (test_index_schema)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", NULL);
  g_autofree char *params = g_build_filename (t->data_dir, "documents.db.params", NULL);
  g_autofree char *params_text = NULL;
  const char *tables[] = { "collections", "sources", "files", "chunks", "embeddings", "jobs" };
  g_autofree char *fts = g_strdup_printf ("fts_%" G_GINT64_FORMAT, c->id);
  g_autofree char *db_path = g_build_filename (t->data_dir, "documents.db", NULL);
  sqlite3 *db;

  ck_assert_str_eq (hearth_doc_index_get_path (index), db_path);
  ck_assert_int_eq (hearth_doc_index_get_key_source (index), HEARTH_STORE_KEY_PASSPHRASE);
  ck_assert (g_file_get_contents (params, &params_text, NULL, NULL));
  ck_assert_ptr_nonnull (strstr (params_text, "key-source=passphrase"));
  db = _hearth_doc_index_lock (index);
  {
    sqlite3_stmt *stmt = NULL;

    ck_assert_int_eq (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
    ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
    ck_assert_int_eq (sqlite3_column_int (stmt, 0), HEARTH_DOC_INDEX_SCHEMA_VERSION);
    sqlite3_finalize (stmt);
    for (guint i = 0; i <= G_N_ELEMENTS (tables); i++)
      {
        const char *name = i < G_N_ELEMENTS (tables) ? tables[i] : fts;

        ck_assert_int_eq (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sqlite_master WHERE name = ?", -1, &stmt, NULL), SQLITE_OK);
        sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
        ck_assert_int_eq (sqlite3_step (stmt), SQLITE_ROW);
        ck_assert_msg (sqlite3_column_int (stmt, 0) == 1, "no table %s", name);
        sqlite3_finalize (stmt);
      }
    /* FTS5 is not in Debian's SQLCipher: the reason for FTS4 here. */
    ck_assert_int_ne (sqlite3_exec (db, "CREATE VIRTUAL TABLE t5 USING fts5(x)", NULL, NULL, NULL), SQLITE_OK);
  }
  _hearth_doc_index_unlock (index);
  check_ok (index);
}
END_TEST

START_TEST (test_index_wrong_key)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
    g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", NULL);
    HearthDocChunk chunks[] = { chunk ("kept safe", NULL, 0, 1, 1) };

    write_chunks (index, c->id, "/docs/a.txt", chunks, 1, NULL);
  }
  before = dir_fingerprint (t->data_dir);
  {
    g_autoptr(HearthDocIndex) index = open_index (t->data_dir, "not the passphrase", &error);

    ck_assert_ptr_null (index);
    assert_store_error (error, HEARTH_STORE_ERROR_WRONG_KEY);
    ck_assert_ptr_nonnull (strstr (error->message, "Wrong passphrase for the document index database"));
    g_clear_error (&error);
  }
  {
    /* No one to ask: a clear error, no new database over the old one. */
    HearthDocIndexParams params;
    g_autoptr(HearthDocIndex) index = NULL;

    hearth_doc_index_params_init (&params);
    params.data_dir = t->data_dir;
    index = hearth_doc_index_open (&params, &error);
    ck_assert_ptr_null (index);
    assert_store_error (error, HEARTH_STORE_ERROR_NEED_PASSPHRASE);
    g_clear_error (&error);
  }
  after = dir_fingerprint (t->data_dir);
  ck_assert_str_eq (before, after);
  {
    g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
    g_autoptr(HearthDocCollection) c = hearth_doc_index_get_collection (index, "notes", &error);

    hearth_assert_no_error (error);
    ck_assert_int_eq (c->n_chunks, 1);
    check_ok (index);
  }
}
END_TEST

START_TEST (test_index_round_trip)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  HearthDocEmbedModelInfo model = { "/models/m.gguf", "sha256:abc", 10, 20, 4 };
  g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", &model);
  g_autoptr(GError) error = NULL;
  HearthDocChunk chunks[] = {
    chunk ("First passage, with ünïcode.", "Intro", 1, 1, 3),
    chunk ("Second passage.", "Intro > Details", 1, 4, 9),
    chunk ("Third, on page two.", NULL, 2, 1, 2),
  };
  const float vectors[] = { 1, 0, 0, 0,   0.6f, 0.8f, 0, 0,   0, 0, -1, 0 };
  gint64 file_id = write_chunks (index, c->id, "/docs/a.txt", chunks, 3, vectors);
  g_autoptr(GPtrArray) stored = hearth_doc_index_get_chunks (index, file_id, &error);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(HearthDocVectors) v = NULL;
  guint removed = 0;

  hearth_assert_no_error (error);
  ck_assert_uint_eq (stored->len, 3);
  for (guint i = 0; i < 3; i++)
    {
      HearthDocStoredChunk *s = g_ptr_array_index (stored, i);

      ck_assert_uint_eq (s->ordinal, i);
      ck_assert_str_eq (s->text, chunks[i].text);
      ck_assert_pstr_eq (s->context, chunks[i].context);
      ck_assert_uint_eq (s->page, chunks[i].page);
      ck_assert_uint_eq (s->line_start, chunks[i].line_start);
      ck_assert_uint_eq (s->line_end, chunks[i].line_end);
    }
  files = hearth_doc_index_list_files (index, c->id, &error);
  ck_assert_uint_eq (files->len, 1);
  ck_assert_str_eq (((HearthDocFileInfo *) files->pdata[0])->path, "/docs/a.txt");
  ck_assert_uint_eq (((HearthDocFileInfo *) files->pdata[0])->n_chunks, 3);

  /* Vectors come back within int8 precision. */
  v = _hearth_doc_index_get_vectors (index, c->id, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_eq (v->n, 3);
  ck_assert_uint_eq (v->dim, 4);
  for (guint i = 0; i < 3; i++)
    for (guint j = 0; j < 4; j++)
      ck_assert_double_eq_tol (v->scales[i] * v->q[i * 4 + j], vectors[i * 4 + j], 1.0 / 127);

  /* A new version replaces the old: chunks, FTS entries, vectors. */
  file_id = write_chunks (index, c->id, "/docs/a.txt", chunks, 1, vectors);
  {
    HearthDocFileInfo info = { 0 };
    g_autoptr(GPtrArray) one = g_ptr_array_new ();

    g_ptr_array_add (one, &chunks[2]);
    info.path = (char *) "/docs/a.txt";
    info.status = HEARTH_DOC_FILE_INDEXED;
    file_id = hearth_doc_index_write_file (index, c->id, &info, one, NULL, &removed, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_eq (removed, 1);
  }
  ck_assert_int_eq (hearth_doc_index_count_vectors (index, c->id, NULL), 0);
  check_ok (index);
  ck_assert (hearth_doc_index_delete_file (index, file_id, &removed, &error));
  ck_assert_uint_eq (removed, 1);
  {
    g_autoptr(HearthDocCollection) again = hearth_doc_index_get_collection (index, "notes", NULL);

    ck_assert_int_eq (again->n_chunks, 0);
    ck_assert_int_eq (again->n_files, 0);
  }
  check_ok (index);

  /* Bad input: a clear error, nothing changed. */
  ck_assert_ptr_null (hearth_doc_index_ensure_collection (index, "", NULL, 64, 8, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  ck_assert (!hearth_doc_index_add_source (index, c->id, "relative/path", &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Another model for an existing collection: only by an explicit re-index. */
  ck_assert_ptr_null (hearth_doc_index_ensure_collection (index, "notes", NULL, 64, 8, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull (strstr (error->message, "re-index"));
}
END_TEST

/* The names of the collection's files another connection sees: what is
 * committed. */
static char *
committed_files (const char *data_dir,
                 gint64      collection_id)
{
  g_autoptr(HearthDocIndex) other = open_ok (data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) files = hearth_doc_index_list_files (other, collection_id, &error);
  GString *names = g_string_new (NULL);

  hearth_assert_no_error (error);
  for (guint i = 0; i < files->len; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? " " : "",
                            ((HearthDocFileInfo *) files->pdata[i])->path);
  return g_string_free (names, FALSE);
}

static gpointer
list_files_thread (gpointer data)
{
  HearthDocIndex *index = data;
  g_autoptr(GError) error = NULL;
  GPtrArray *files = hearth_doc_index_list_files (index, 1, &error);

  g_assert_no_error (error);
  return files;
}

/* A batch: one transaction for the writes of its thread, committed when it
 * is old enough, by flush and end, and before any other thread's call; a
 * failed write undoes the batch's uncommitted writes and says so. */
START_TEST (test_index_batch)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", NULL);
  g_autoptr(GError) error = NULL;
  HearthDocChunk one[] = { chunk ("Batched text.", NULL, 0, 1, 1) };
  HearthDocFileInfo bad = { 0 };
  g_autofree char *seen = NULL;
  GPtrArray *from_thread;

  ck_assert_int_eq (c->id, 1);
  hearth_doc_index_begin_batch (index);
  write_chunks (index, c->id, "/d/a.txt", one, 1, NULL);
  write_chunks (index, c->id, "/d/b.txt", one, 1, NULL);
  seen = committed_files (t->data_dir, c->id);
  ck_assert_str_eq (seen, "");
  hearth_doc_index_flush_batch (index);
  g_free (seen);
  seen = committed_files (t->data_dir, c->id);
  ck_assert_str_eq (seen, "/d/a.txt /d/b.txt");

  /* Another thread's call commits first: it sees what the batch wrote. */
  write_chunks (index, c->id, "/d/c.txt", one, 1, NULL);
  from_thread = g_thread_join (g_thread_new ("other", list_files_thread, index));
  ck_assert_uint_eq (from_thread->len, 3);
  g_ptr_array_unref (from_thread);
  g_free (seen);
  seen = committed_files (t->data_dir, c->id);
  ck_assert_str_eq (seen, "/d/a.txt /d/b.txt /d/c.txt");

  /* Old enough: the next write commits. */
  write_chunks (index, c->id, "/d/d.txt", one, 1, NULL);
  g_usleep (300 * 1000);
  write_chunks (index, c->id, "/d/e.txt", one, 1, NULL);
  g_free (seen);
  seen = committed_files (t->data_dir, c->id);
  ck_assert_str_eq (seen, "/d/a.txt /d/b.txt /d/c.txt /d/d.txt /d/e.txt");

  /* A write that fails (no such collection) takes the batch's uncommitted
   * writes with it, and says so; the batch goes on after. */
  write_chunks (index, c->id, "/d/f.txt", one, 1, NULL);
  bad.path = (char *) "/d/g.txt";
  bad.status = HEARTH_DOC_FILE_INDEXED;
  ck_assert_int_eq (hearth_doc_index_write_file (index, 999, &bad, NULL, NULL, NULL, &error), 0);
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  write_chunks (index, c->id, "/d/h.txt", one, 1, NULL);
  ck_assert (hearth_doc_index_end_batch (index, &error));
  hearth_assert_no_error (error);
  g_free (seen);
  seen = committed_files (t->data_dir, c->id);
  ck_assert_str_eq (seen, "/d/a.txt /d/b.txt /d/c.txt /d/d.txt /d/e.txt /d/h.txt");
  check_ok (index);
}
END_TEST

/* ---- vectors ---- */

START_TEST (test_dot_scalar_avx2)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint dims[] = { 1, 7, 31, 32, 33, 64, 255, 384, 768, 1000 };

  for (guint d = 0; d < G_N_ELEMENTS (dims); d++)
    {
      guint dim = dims[d];
      g_autofree gint8 *a = g_new (gint8, dim);
      g_autofree gint8 *b = g_new (gint8, dim);
      gint64 ref = 0;

      for (guint i = 0; i < dim; i++)
        {
          a[i] = (gint8) g_rand_int_range (rand, -127, 128);
          b[i] = (gint8) g_rand_int_range (rand, -127, 128);
          ref += (gint64) a[i] * b[i];
        }
      ck_assert_int_eq (hearth_doc_vector_dot_scalar (a, b, dim), ref);
      ck_assert_int_eq (hearth_doc_vector_dot (a, b, dim), ref);
      if (hearth_doc_vector_have_avx2 ())
        ck_assert_int_eq (hearth_doc_vector_dot_avx2 (a, b, dim), ref);
    }
  /* The extremes, 127 * 127 at every place, do not overflow. */
  {
    gint8 a[1024], b[1024];

    memset (a, 127, sizeof a);
    memset (b, 0x81, sizeof b); /* -127 */
    ck_assert_int_eq (hearth_doc_vector_dot_scalar (a, b, 1024), -127 * 127 * 1024);
    if (hearth_doc_vector_have_avx2 ())
      ck_assert_int_eq (hearth_doc_vector_dot_avx2 (a, b, 1024), -127 * 127 * 1024);
  }
}
END_TEST

/* ---- search ---- */

/* The mini corpus: lowercase ASCII words, so that splitting on spaces is
 * what the unicode61 tokenizer does, and the reference below can count. */
static const struct
{
  const char *text;
  const char *context;
} corpus[] = {
  { "the cat sat on the mat", "animals" },
  { "a dog and a cat played in the garden garden", "animals > pets" },
  { "financial report for the third quarter", NULL },
  { "the garden needs water and the cat needs food", "home" },
  { "quarterly report on cat food sales", "business > cat" },
  { "nothing to see here at all", NULL },
};

/* unicode61 on ASCII: letters and digits make words, the rest separates
 * (the " > " between headings is no word). */
static guint
count_words (const char *text)
{
  g_auto(GStrv) w = g_strsplit_set (text != NULL ? text : "", " >", -1);
  guint n = 0;

  for (guint i = 0; w[i] != NULL; i++)
    n += *w[i] != '\0';
  return n;
}

static guint
count_word (const char *text,
            const char *word)
{
  g_auto(GStrv) w = g_strsplit_set (text != NULL ? text : "", " >", -1);
  guint n = 0;

  for (guint i = 0; w[i] != NULL; i++)
    n += strcmp (w[i], word) == 0;
  return n;
}

/* BM25 straight from the formula in hearth-doc-search.h, computed here
 * from the corpus itself (no FTS involved). */
static double
reference_bm25 (guint        row,
                const char **words,
                guint        n_words)
{
  const double k1 = 1.2, b = 0.75, weight[2] = { 1.0, 0.5 };
  const guint n = G_N_ELEMENTS (corpus);
  double score = 0;

  for (guint col = 0; col < 2; col++)
    {
      double total = 0, avg;

      for (guint r = 0; r < n; r++)
        total += count_words (col == 0 ? corpus[r].text : corpus[r].context);
      avg = total / n;
      for (guint w = 0; w < n_words; w++)
        {
          double df = 0, tf, dl, idf;

          for (guint r = 0; r < n; r++)
            df += count_word (col == 0 ? corpus[r].text : corpus[r].context, words[w]) > 0;
          tf = count_word (col == 0 ? corpus[row].text : corpus[row].context, words[w]);
          dl = count_words (col == 0 ? corpus[row].text : corpus[row].context);
          idf = log ((n - df + 0.5) / (df + 0.5) + 1);
          if (tf > 0)
            score += weight[col] * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avg));
        }
    }
  return score;
}

static HearthDocIndex *
corpus_index (TestDir  *t,
              gint64   *chunk_ids)
{
  HearthDocIndex *index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "corpus", NULL);
  g_autoptr(HearthDocCollection) other = collection_ok (index, "other", NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    {
      HearthDocChunk ch = chunk (corpus[i].text, corpus[i].context, 0, i + 1, i + 1);
      g_autofree char *path = g_strdup_printf ("/corpus/%u.txt", i);
      gint64 id = write_chunks (index, c->id, path, &ch, 1, NULL);
      g_autoptr(GPtrArray) stored = hearth_doc_index_get_chunks (index, id, &error);

      chunk_ids[i] = ((HearthDocStoredChunk *) stored->pdata[0])->id;
    }
  /* Another collection full of "cat" must not move this one's scores. */
  for (guint i = 0; i < 5; i++)
    {
      HearthDocChunk ch = chunk ("cat cat cat cat", NULL, 0, 1, 1);
      g_autofree char *path = g_strdup_printf ("/other/%u.txt", i);

      write_chunks (index, other->id, path, &ch, 1, NULL);
    }
  return index;
}

START_TEST (test_bm25_reference)
{
  g_autoptr(TestDir) t = test_dir_new ();
  gint64 ids[G_N_ELEMENTS (corpus)];
  g_autoptr(HearthDocIndex) index = corpus_index (t, ids);
  const char *queries[][3] = { { "cat", NULL, NULL }, { "cat", "garden", NULL }, { "report", "food", "quarter" },
                               { "pets", "water", NULL } };
  HearthDocSearchParams params;

  hearth_doc_search_params_init (&params);
  params.k = 100;
  params.phrase_boost = 0;
  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      const char **words = queries[q];
      guint n_words = words[2] != NULL ? 3 : words[1] != NULL ? 2 : 1;
      g_autofree char *query = g_strjoinv (" ", (char **) (const char *[]) { words[0], words[1], words[2], NULL });
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) hits = hearth_doc_search (index, "corpus", query, NULL, 0, &params, &error);
      guint expected = 0;

      hearth_assert_no_error (error);
      for (guint r = 0; r < G_N_ELEMENTS (corpus); r++)
        {
          double ref = reference_bm25 (r, words, n_words);
          gboolean found = FALSE;

          expected += ref > 0;
          for (guint h = 0; h < hits->len; h++)
            {
              HearthDocHit *hit = g_ptr_array_index (hits, h);

              if (hit->chunk_id != ids[r])
                continue;
              found = TRUE;
              ck_assert_msg (fabs (hit->bm25 - ref) < 1e-9, "'%s' row %u: bm25 %.12f, reference %.12f",
                             query, r, hit->bm25, ref);
            }
          ck_assert_msg (found == (ref > 0), "'%s' row %u: found %d, reference %.6f", query, r, found, ref);
        }
      ck_assert_uint_eq (hits->len, expected);
      /* BM25 only: the order is the BM25 order. */
      for (guint h = 1; h < hits->len; h++)
        ck_assert_double_ge (((HearthDocHit *) hits->pdata[h - 1])->bm25, ((HearthDocHit *) hits->pdata[h])->bm25);
    }
}
END_TEST

START_TEST (test_rrf_fusion)
{
  const gint64 bm25[] = { 1, 2, 3, 4 };
  const gint64 vec[] = { 4, 3, 5 };
  const gint64 phrase[] = { 2, 99 };
  const gint64 want_order[] = { 4, 3, 1, 2, 5 };
  const double want_score[] = { 1.0 / 64 + 1.0 / 61, 1.0 / 63 + 1.0 / 62, 1.0 / 61, 1.0 / 62, 1.0 / 63 };
  HearthDocSearchParams params;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) boosted = NULL;
  g_autoptr(GPtrArray) weighted = NULL;

  hearth_doc_search_params_init (&params);
  ck_assert_double_eq (params.bm25_weight, 1.0);
  ck_assert_double_eq (params.vector_weight, 1.0);
  ck_assert_double_eq (HEARTH_DOC_RRF_K, 60.0);
  hits = hearth_doc_fuse (bm25, 4, vec, 3, NULL, 0, &params);
  ck_assert_uint_eq (hits->len, 5);
  for (guint i = 0; i < 5; i++)
    {
      HearthDocHit *h = g_ptr_array_index (hits, i);

      ck_assert_int_eq (h->chunk_id, want_order[i]);
      ck_assert_double_eq_tol (h->score, want_score[i], 1e-15);
    }
  /* The phrase boost: half a first place for chunk 2, which passes 1; a
   * phrase chunk in neither list (99) is no hit. */
  boosted = hearth_doc_fuse (bm25, 4, vec, 3, phrase, 2, &params);
  ck_assert_uint_eq (boosted->len, 5);
  ck_assert_int_eq (((HearthDocHit *) boosted->pdata[2])->chunk_id, 2);
  ck_assert (((HearthDocHit *) boosted->pdata[2])->phrase);
  ck_assert_double_eq_tol (((HearthDocHit *) boosted->pdata[2])->score, 1.0 / 62 + 0.5 / 61, 1e-15);
  /* Weights: vectors three times as strong puts 5 (vector rank 3) above 1 (BM25 rank 1). */
  params.vector_weight = 3.0;
  weighted = hearth_doc_fuse (bm25, 4, vec, 3, NULL, 0, &params);
  ck_assert_int_eq (((HearthDocHit *) weighted->pdata[2])->chunk_id, 5);
  ck_assert_double_eq_tol (((HearthDocHit *) weighted->pdata[2])->score, 3.0 / 63, 1e-15);
}
END_TEST

START_TEST (test_phrase_boost_and_floor)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "p", NULL);
  HearthDocChunk chunks[] = {
    chunk ("fox and more fox near a brown brown dog", NULL, 0, 1, 1), /* higher BM25, no phrase */
    chunk ("a quick brown fox", NULL, 0, 2, 2),                      /* the phrase */
    chunk ("unrelated words only", NULL, 0, 3, 3),
  };
  HearthDocSearchParams params;
  g_autoptr(GError) error = NULL;

  write_chunks (index, c->id, "/p.txt", chunks, 3, NULL);
  hearth_doc_search_params_init (&params);
  params.phrase_boost = 0;
  {
    g_autoptr(GPtrArray) hits = hearth_doc_search (index, "p", "brown fox", NULL, 0, &params, &error);

    hearth_assert_no_error (error);
    ck_assert_uint_eq (hits->len, 2);
    ck_assert_uint_eq (((HearthDocHit *) hits->pdata[0])->line_start, 1);
  }
  hearth_doc_search_params_init (&params);
  {
    g_autoptr(GPtrArray) hits = hearth_doc_search (index, "p", "brown fox", NULL, 0, &params, &error);
    HearthDocHit *top = hits->pdata[0];

    hearth_assert_no_error (error);
    ck_assert_uint_eq (top->line_start, 2);
    ck_assert (top->phrase);
    ck_assert_double_eq_tol (top->score, 1.0 / 62 + 0.5 / 61, 1e-12);
    ck_assert_str_eq (top->path, "/p.txt");
    ck_assert_str_eq (top->text, "a quick brown fox");
  }
  /* The floor: a BM25 floor between the two scores keeps only the higher. */
  {
    g_autoptr(GPtrArray) all = hearth_doc_search (index, "p", "brown fox", NULL, 0, &params, &error);
    double lo = MIN (((HearthDocHit *) all->pdata[0])->bm25, ((HearthDocHit *) all->pdata[1])->bm25);
    double hi = MAX (((HearthDocHit *) all->pdata[0])->bm25, ((HearthDocHit *) all->pdata[1])->bm25);
    g_autoptr(GPtrArray) floored = NULL;

    ck_assert_double_lt (lo, hi);
    params.min_bm25 = (lo + hi) / 2;
    floored = hearth_doc_search (index, "p", "brown fox", NULL, 0, &params, &error);
    ck_assert_uint_eq (floored->len, 1);
    ck_assert_double_eq (((HearthDocHit *) floored->pdata[0])->bm25, hi);
  }
  /* Nothing matches: nothing, not the least bad chunks. */
  {
    g_autoptr(GPtrArray) none = hearth_doc_search (index, "p", "zebra", NULL, 0, NULL, &error);

    hearth_assert_no_error (error);
    ck_assert_uint_eq (none->len, 0);
  }
  /* FTS syntax in the query is text, not an error. */
  {
    g_autoptr(GPtrArray) odd = hearth_doc_search (index, "p", "fox\" OR NEAR( -dog *", NULL, 0, NULL, &error);

    hearth_assert_no_error (error);
    ck_assert_uint_ge (odd->len, 1);
  }
  /* BM25-only collection: a query vector is refused, with a reason. */
  {
    float v[4] = { 1, 0, 0, 0 };
    g_autoptr(GPtrArray) bad = hearth_doc_search (index, "p", "fox", v, 4, NULL, &error);

    ck_assert_ptr_null (bad);
    assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    ck_assert_ptr_null (hearth_doc_search (index, "nope", "fox", NULL, 0, NULL, &error));
    assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  }
}
END_TEST

START_TEST (test_vector_floor)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  HearthDocEmbedModelInfo model = { "/m.gguf", "sha256:x", 1, 1, 4 };
  g_autoptr(HearthDocCollection) c = collection_ok (index, "v", &model);
  HearthDocChunk chunks[] = {
    chunk ("alpha", NULL, 0, 1, 1), chunk ("beta", NULL, 0, 2, 2), chunk ("gamma", NULL, 0, 3, 3),
  };
  const float vectors[] = { 1, 0, 0, 0,   0.8f, 0.6f, 0, 0,   0, 0, 1, 0 };
  const float query[] = { 2, 0, 0, 0 }; /* not unit length: normalised by search */
  HearthDocSearchParams params;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = NULL;

  write_chunks (index, c->id, "/v.txt", chunks, 3, vectors);
  hearth_doc_search_params_init (&params);
  params.min_similarity = 0.5;
  hits = hearth_doc_search (index, "v", "nothing lexical", query, 4, &params, &error);
  hearth_assert_no_error (error);
  /* cos = 1, 0.8, 0: the third is below the floor. */
  ck_assert_uint_eq (hits->len, 2);
  ck_assert_str_eq (((HearthDocHit *) hits->pdata[0])->text, "alpha");
  ck_assert_double_eq_tol (((HearthDocHit *) hits->pdata[0])->similarity, 1.0, 0.01);
  ck_assert_str_eq (((HearthDocHit *) hits->pdata[1])->text, "beta");
  ck_assert_double_eq_tol (((HearthDocHit *) hits->pdata[1])->similarity, 0.8, 0.01);
  /* Hybrid: "gamma" by words (rank 1 there) and nothing by vector. */
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = hearth_doc_search (index, "v", "gamma", query, 4, &params, &error);
  ck_assert_uint_eq (hits->len, 3);
  ck_assert_double_eq_tol (((HearthDocHit *) hits->pdata[0])->score, 1.0 / 61, 1e-12);
}
END_TEST

/* ---- indexer ---- */

typedef struct
{
  guint           calls;
  GHashTable     *fail; /* paths to fail on purpose */
} ExtractSpy;

static HearthDocText *
spy_extract (const char   *path,
             GCancellable *cancellable,
             GError      **error,
             gpointer      user_data)
{
  ExtractSpy *spy = user_data;

  g_atomic_int_inc (&spy->calls);
  if (spy->fail != NULL && g_hash_table_contains (spy->fail, path))
    {
      g_set_error (error, HEARTH_DOC_ERROR, HEARTH_DOC_ERROR_CORRUPT, "Broken on purpose");
      return NULL;
    }
  return hearth_doc_extract_file (path, cancellable, error);
}

static void
make_files (const char *dir,
            guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/note-%03u.txt", dir, i);
      g_autofree char *text = g_strdup_printf ("Note %u\n\nThe number %u is written here, word%u.\n\n"
                                               "A second paragraph for file %u.\n", i, i, i, i);

      write_text (path, text);
    }
}

static HearthDocIndexerCounters
run_indexer (HearthDocIndex *index,
             const char     *collection,
             ExtractSpy     *spy)
{
  g_autoptr(HearthDocIndexer) indexer = hearth_doc_indexer_new (index, collection);
  g_autoptr(GError) error = NULL;
  HearthDocIndexerCounters n;

  if (spy != NULL)
    hearth_doc_indexer_set_extract_func (indexer, spy_extract, spy);
  ck_assert_msg (hearth_doc_indexer_run_sync (indexer, NULL, &error), "run: %s", error ? error->message : "");
  hearth_doc_indexer_get_counters (indexer, &n);
  ck_assert_uint_eq (hearth_doc_indexer_get_files_done (indexer), hearth_doc_indexer_get_files_total (indexer));
  ck_assert_str_eq (hearth_doc_indexer_get_phase (indexer), "idle");
  return n;
}

/* chunk id -> file path, for the whole collection */
static GHashTable *
chunk_map (HearthDocIndex *index,
           gint64          collection_id)
{
  GHashTable *map = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr(GPtrArray) files = hearth_doc_index_list_files (index, collection_id, NULL);

  for (guint i = 0; i < files->len; i++)
    {
      HearthDocFileInfo *f = g_ptr_array_index (files, i);
      g_autoptr(GPtrArray) chunks = hearth_doc_index_get_chunks (index, f->id, NULL);

      for (guint j = 0; j < chunks->len; j++)
        {
          HearthDocStoredChunk *c = g_ptr_array_index (chunks, j);

          g_hash_table_insert (map, g_memdup2 (&c->id, sizeof c->id), g_strdup (f->path));
        }
    }
  return map;
}

/* Chunks of the collection whose id or file differ between two maps. */
static guint
changed_chunks (GHashTable *a,
                GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;
  guint changed = 0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    changed += g_strcmp0 (g_hash_table_lookup (b, key), value) != 0;
  g_hash_table_iter_init (&iter, b);
  while (g_hash_table_iter_next (&iter, &key, &value))
    changed += !g_hash_table_contains (a, key);
  return changed;
}

static guint
file_chunks (HearthDocIndex *index,
             gint64          collection_id,
             const char     *path)
{
  g_autoptr(GPtrArray) files = hearth_doc_index_list_files (index, collection_id, NULL);

  for (guint i = 0; i < files->len; i++)
    if (strcmp (((HearthDocFileInfo *) files->pdata[i])->path, path) == 0)
      return ((HearthDocFileInfo *) files->pdata[i])->n_chunks;
  return G_MAXUINT;
}

static void
bump_mtime (const char *path)
{
  struct stat st;
  struct timespec times[2];

  ck_assert_int_eq (stat (path, &st), 0);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  times[1].tv_sec += 10;
  ck_assert_int_eq (utimensat (AT_FDCWD, path, times, 0), 0);
}

START_TEST (test_indexer_incremental)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", NULL);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autofree char *edited = g_strdup_printf ("%s/note-017.txt", t->docs);
  g_autofree char *renamed_from = g_strdup_printf ("%s/note-042.txt", t->docs);
  g_autofree char *renamed_to = g_strdup_printf ("%s/sub/renamed.txt", t->docs);
  g_autofree char *deleted = g_strdup_printf ("%s/note-099.txt", t->docs);
  g_autofree char *touched = g_strdup_printf ("%s/note-123.txt", t->docs);
  g_autofree char *broken = g_strdup_printf ("%s/note-150.txt", t->docs);
  g_autofree char *sub = g_build_filename (t->docs, "sub", NULL);
  ExtractSpy spy = { 0 };
  HearthDocIndexerCounters n;
  guint old_chunks, total;

  make_files (t->docs, 200);
  ck_assert (hearth_doc_index_add_source (index, c->id, t->docs, NULL));
  spy.fail = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_add (spy.fail, broken);

  n = run_indexer (index, "notes", &spy);
  ck_assert_uint_eq (n.files_seen, 200);
  ck_assert_uint_eq (n.files_extracted, 199);
  ck_assert_uint_eq (n.files_failed, 1);
  ck_assert_uint_eq (spy.calls, 200);
  ck_assert (!n.resumed);
  {
    g_autoptr(HearthDocCollection) now = hearth_doc_index_get_collection (index, "notes", NULL);
    g_autoptr(GPtrArray) files = hearth_doc_index_list_files (index, c->id, NULL);

    ck_assert_int_eq (now->n_files, 199);
    ck_assert_int_eq (now->n_failed, 1);
    ck_assert_int_eq (now->n_chunks, n.chunks_added);
    ck_assert (!now->interrupted);
    for (guint i = 0; i < files->len; i++)
      {
        HearthDocFileInfo *f = g_ptr_array_index (files, i);

        if (strcmp (f->path, broken) == 0)
          {
            ck_assert_int_eq (f->status, HEARTH_DOC_FILE_FAILED);
            ck_assert_str_eq (f->reason, "Broken on purpose");
          }
        else
          ck_assert_int_eq (f->status, HEARTH_DOC_FILE_INDEXED);
      }
  }
  check_ok (index);
  g_hash_table_remove_all (spy.fail);

  /* Nothing changed: nothing read (the failed file is tried again). */
  spy.calls = 0;
  n = run_indexer (index, "notes", &spy);
  ck_assert_uint_eq (n.files_unchanged, 199);
  ck_assert_uint_eq (n.files_extracted, 1);
  ck_assert_uint_eq (spy.calls, 1);

  /* Edit one: only its chunks change. */
  before = chunk_map (index, c->id);
  old_chunks = file_chunks (index, c->id, edited);
  write_text (edited, "Edited.\n\nNew text\n\nand more\n\nand more again\n");
  bump_mtime (edited);
  spy.calls = 0;
  n = run_indexer (index, "notes", &spy);
  after = chunk_map (index, c->id);
  ck_assert_uint_eq (spy.calls, 1);
  ck_assert_uint_eq (n.files_extracted, 1);
  ck_assert_uint_eq (n.chunks_removed, old_chunks);
  ck_assert_uint_eq (n.chunks_added, file_chunks (index, c->id, edited));
  ck_assert_uint_eq (changed_chunks (before, after), n.chunks_removed + n.chunks_added);

  /* Rename (into a subfolder): the row moves, nothing is read again. */
  g_clear_pointer (&before, g_hash_table_unref);
  before = g_steal_pointer (&after);
  old_chunks = file_chunks (index, c->id, renamed_from);
  ck_assert_int_eq (g_mkdir (sub, 0700), 0);
  ck_assert_int_eq (g_rename (renamed_from, renamed_to), 0);
  spy.calls = 0;
  n = run_indexer (index, "notes", &spy);
  after = chunk_map (index, c->id);
  ck_assert_uint_eq (spy.calls, 0);
  ck_assert_uint_eq (n.files_moved, 1);
  ck_assert_uint_eq (n.chunks_added, 0);
  ck_assert_uint_eq (n.chunks_removed, 0);
  ck_assert_uint_eq (file_chunks (index, c->id, renamed_to), old_chunks);
  ck_assert_uint_eq (file_chunks (index, c->id, renamed_from), G_MAXUINT);
  /* The same chunk rows (same ids), now under the new path. */
  ck_assert_uint_eq (changed_chunks (before, after), old_chunks);
  ck_assert_uint_eq (g_hash_table_size (before), g_hash_table_size (after));

  /* Same content, new mtime: recorded, not read. */
  bump_mtime (touched);
  spy.calls = 0;
  n = run_indexer (index, "notes", &spy);
  ck_assert_uint_eq (spy.calls, 0);
  ck_assert_uint_eq (n.files_touched, 1);

  /* Delete one: its chunks go. */
  old_chunks = file_chunks (index, c->id, deleted);
  total = g_hash_table_size (after);
  ck_assert_int_eq (g_unlink (deleted), 0);
  n = run_indexer (index, "notes", &spy);
  ck_assert_uint_eq (n.files_removed, 1);
  ck_assert_uint_eq (n.chunks_removed, old_chunks);
  g_clear_pointer (&after, g_hash_table_unref);
  after = chunk_map (index, c->id);
  ck_assert_uint_eq (g_hash_table_size (after), total - old_chunks);
  check_ok (index);

  /* A source that is gone (an unmounted disk) empties nothing. */
  {
    g_autofree char *moved_docs = g_strconcat (t->docs, ".away", NULL);

    ck_assert_int_eq (g_rename (t->docs, moved_docs), 0);
    n = run_indexer (index, "notes", &spy);
    ck_assert_uint_eq (n.sources_missing, 1);
    ck_assert_uint_eq (n.files_removed, 0);
    ck_assert_int_eq (g_rename (moved_docs, t->docs), 0);
  }
  g_hash_table_unref (spy.fail);
}
END_TEST

typedef struct
{
  GMainLoop *loop;
  gboolean   done;
  GError    *error;
  guint      notifies;
} RunWait;

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  RunWait *w = data;

  hearth_doc_indexer_run_finish (HEARTH_DOC_INDEXER (source), result, &w->error);
  w->done = TRUE;
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  RunWait *w = data;

  /* Progress arrives on the main context, i.e. this thread. */
  ck_assert (g_main_context_is_owner (g_main_context_default ()));
  w->notifies++;
}

static void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

START_TEST (test_indexer_pause_cancel_progress)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocCollection) c = collection_ok (index, "notes", NULL);
  g_autoptr(HearthDocIndexer) indexer = hearth_doc_indexer_new (index, "notes");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RunWait w = { 0 };
  guint files_done = 0;

  make_files (t->docs, 60);
  ck_assert (hearth_doc_index_add_source (index, c->id, t->docs, NULL));
  g_signal_connect (indexer, "notify::files-done", G_CALLBACK (on_notify), &w);

  /* Paused before it starts: it scans, then waits. */
  hearth_doc_indexer_pause (indexer);
  ck_assert (hearth_doc_indexer_get_paused (indexer));
  hearth_doc_indexer_run_async (indexer, cancellable, on_run_done, &w);
  iterate_for (300);
  ck_assert (!w.done);
  ck_assert (hearth_doc_indexer_get_running (indexer));
  ck_assert_uint_eq (hearth_doc_indexer_get_files_done (indexer), 0);
  ck_assert_uint_eq (hearth_doc_indexer_get_files_total (indexer), 60);
  /* Cancelled while paused: stops at once, the index consistent. */
  g_cancellable_cancel (cancellable);
  while (!w.done)
    g_main_context_iteration (NULL, TRUE);
  ck_assert (g_error_matches (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&w.error);
  check_ok (index);
  {
    g_autoptr(HearthDocCollection) now = hearth_doc_index_get_collection (index, "notes", NULL);

    ck_assert (now->interrupted);
  }

  /* Resumed: the next run finishes, progress notified along the way. */
  hearth_doc_indexer_resume (indexer);
  g_clear_object (&cancellable);
  w.done = FALSE;
  hearth_doc_indexer_run_async (indexer, NULL, on_run_done, &w);
  while (!w.done)
    g_main_context_iteration (NULL, TRUE);
  hearth_assert_no_error (w.error);
  g_object_get (indexer, "files-done", &files_done, NULL);
  ck_assert_uint_eq (files_done, 60);
  ck_assert_uint_ge (w.notifies, 1);
  ck_assert_double_gt (hearth_doc_indexer_get_bytes_per_second (indexer), 0);
  ck_assert_double_eq (hearth_doc_indexer_get_seconds_left (indexer), 0);
  {
    HearthDocIndexerCounters n;
    g_autoptr(HearthDocCollection) now = hearth_doc_index_get_collection (index, "notes", NULL);

    hearth_doc_indexer_get_counters (indexer, &n);
    ck_assert (n.resumed);
    ck_assert_uint_eq (n.files_extracted, 60);
    ck_assert (!now->interrupted);
    ck_assert_int_eq (now->n_files, 60);
  }
}
END_TEST

START_TEST (test_indexer_embeddings)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autofree char *path = model_path ("synth-bert-F32.gguf");
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocEmbedder) embedder = hearth_doc_embedder_load (path, NULL, &error);
  g_autoptr(HearthDocCollection) c = NULL;
  g_autofree float *qv = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  HearthDocSearchParams params;
  HearthDocIndexerCounters n;
  g_autofree char *query = NULL;

  hearth_assert_no_error (error);
  c = collection_ok (index, "emb", hearth_doc_embedder_get_info (embedder));
  ck_assert_uint_eq (c->embed_dim, hearth_doc_embedder_get_dim (embedder));
  ck_assert (g_str_has_prefix (c->embed_model_id, "sha256:"));
  make_files (t->docs, 12);
  ck_assert (hearth_doc_index_add_source (index, c->id, t->docs, NULL));
  n = run_indexer (index, "emb", NULL);
  ck_assert_uint_eq (n.vectors_added, n.chunks_added);
  ck_assert_int_eq (hearth_doc_index_count_vectors (index, c->id, NULL), n.chunks_added);

  /* The text of a chunk, embedded as a query, finds that chunk first in
   * the vector list. (bert has no task prefixes, so the vectors match.) */
  {
    g_autoptr(GPtrArray) files = hearth_doc_index_list_files (index, c->id, NULL);
    g_autoptr(GPtrArray) chunks = hearth_doc_index_get_chunks (index, ((HearthDocFileInfo *) files->pdata[7])->id, NULL);

    query = g_strdup (((HearthDocStoredChunk *) chunks->pdata[0])->text);
  }
  qv = hearth_doc_embedder_embed (embedder, (const char *const *) &query, 1, TRUE, NULL, &error);
  hearth_assert_no_error (error);
  hearth_doc_search_params_init (&params);
  params.min_similarity = 0.99;
  hits = hearth_doc_search (index, "emb", "zzzz", qv, c->embed_dim, &params, &error);
  hearth_assert_no_error (error);
  ck_assert_uint_ge (hits->len, 1);
  ck_assert_str_eq (((HearthDocHit *) hits->pdata[0])->text, query);
  ck_assert_uint_eq (((HearthDocHit *) hits->pdata[0])->vector_rank, 1);
  ck_assert_double_gt (((HearthDocHit *) hits->pdata[0])->similarity, 0.99);

  /* Another model is never used implicitly. */
  {
    g_autofree char *other = model_path ("synth-nomic-bert-F32.gguf");
    g_autoptr(HearthDocEmbedder) e2 = hearth_doc_embedder_load (other, NULL, &error);

    hearth_assert_no_error (error);
    ck_assert_ptr_null (hearth_doc_index_ensure_collection (index, "emb", hearth_doc_embedder_get_info (e2),
                                                            64, 8, &error));
    assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    /* The explicit re-index: everything read and embedded again. */
    ck_assert (hearth_doc_index_reset_collection (index, c->id, hearth_doc_embedder_get_info (e2), &error));
    n = run_indexer (index, "emb", NULL);
    ck_assert_uint_eq (n.files_extracted, 12);
    ck_assert_uint_eq (n.vectors_added, n.chunks_added);
  }
}
END_TEST

START_TEST (test_indexer_model_changed)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autofree char *shared = model_path ("synth-bert-F32.gguf");
  g_autofree char *other = model_path ("synth-bert-cls-F32.gguf");
  g_autofree char *copy = g_build_filename (t->root, "model.gguf", NULL);
  g_autoptr(GBytes) bytes = read_file (shared);
  g_autoptr(GBytes) other_bytes = read_file (other);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocEmbedder) embedder = NULL;
  g_autoptr(HearthDocCollection) c = NULL;
  g_autoptr(HearthDocIndexer) indexer = NULL;

  ck_assert (g_file_set_contents (copy, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
  embedder = hearth_doc_embedder_load (copy, NULL, &error);
  hearth_assert_no_error (error);
  c = collection_ok (index, "m", hearth_doc_embedder_get_info (embedder));
  make_files (t->docs, 3);
  ck_assert (hearth_doc_index_add_source (index, c->id, t->docs, NULL));
  run_indexer (index, "m", NULL);

  /* Another model written over the same path: refused, never mixed in. */
  ck_assert (g_file_set_contents (copy, g_bytes_get_data (other_bytes, NULL), g_bytes_get_size (other_bytes), NULL));
  {
    g_autofree char *new_file = g_build_filename (t->docs, "new.txt", NULL);

    write_text (new_file, "A new file.\n");
  }
  indexer = hearth_doc_indexer_new (index, "m");
  ck_assert (!hearth_doc_indexer_run_sync (indexer, NULL, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull (strstr (error->message, "re-index"));
  {
    g_autoptr(HearthDocCollection) now = hearth_doc_index_get_collection (index, "m", NULL);

    ck_assert_int_eq (now->n_files, 3);
    ck_assert_str_eq (now->embed_model_id, c->embed_model_id);
  }
}
END_TEST

/* ---- nothing readable on disk ---- */

static void
assert_not_in_tree (const char *dir,
                    const char *needle,
                    const char *skip,
                    guint      *n_files)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      if (strcmp (path, skip) == 0 || lstat (path, &st) != 0)
        continue;
      if (S_ISDIR (st.st_mode))
        assert_not_in_tree (path, needle, skip, n_files);
      else if (S_ISREG (st.st_mode) && st.st_size < 256 * 1024 * 1024 && access (path, R_OK) == 0)
        {
          g_autoptr(GBytes) bytes = NULL;
          char *data;
          gsize len;

          if (!g_file_get_contents (path, &data, &len, NULL))
            continue;
          bytes = g_bytes_new_take (data, len);
          ck_assert_msg (!bytes_contain (bytes, needle), "%s holds the plaintext marker", path);
          (*n_files)++;
        }
    }
}

START_TEST (test_no_plaintext_on_disk)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *marker = g_strdup_printf ("DOCMARKER%08x%08x", g_random_int (), g_random_int ());
  g_autofree char *folder = g_build_filename (t->docs, marker, NULL);
  g_autoptr(GError) error = NULL;
  guint n_files = 0;

  /* The marker in the text, a heading, a file name and a collection name. */
  ck_assert_int_eq (g_mkdir (folder, 0700), 0);
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.md", folder, marker, i);
      g_autofree char *text = g_strdup_printf ("# Heading %s\n\nParagraph %u says %s plainly.\n", marker, i, marker);

      write_text (path, text);
    }
  {
    HearthDocIndexParams params;
    g_autoptr(HearthDocIndex) index = NULL;
    g_autoptr(HearthDocCollection) c = NULL;
    g_autoptr(GPtrArray) hits = NULL;
    HearthDocIndexerCounters n;

    /* The real keyring. */
    ck_assert_msg (g_strcmp0 (g_getenv ("HEARTH_IN_TEST_KEYRING"), "1") == 0,
                   "run this suite through tests/tools/with-keyring.sh (meson test does)");
    hearth_doc_index_params_init (&params);
    params.data_dir = t->data_dir;
    params.key_source = HEARTH_STORE_KEY_KEYRING;
    index = hearth_doc_index_open (&params, &error);
    hearth_assert_no_error (error);
    ck_assert_int_eq (hearth_doc_index_get_key_source (index), HEARTH_STORE_KEY_KEYRING);
    c = collection_ok (index, marker, NULL);
    ck_assert (hearth_doc_index_add_source (index, c->id, folder, NULL));
    n = run_indexer (index, marker, NULL);
    ck_assert_uint_eq (n.files_extracted, 30);
    /* While open (WAL not checkpointed) ... */
    assert_not_in_tree (t->data_dir, marker, folder, &n_files);
    ck_assert_uint_ge (n_files, 2);
    assert_not_in_tree (g_get_tmp_dir (), marker, folder, &n_files);
    /* ... and the control: the marker is findable in the decrypted view. */
    hits = hearth_doc_search (index, marker, marker, NULL, 0, NULL, &error);
    hearth_assert_no_error (error);
    ck_assert_uint_ge (hits->len, 10);
  }
  assert_not_in_tree (t->data_dir, marker, folder, &n_files);
  assert_not_in_tree (g_get_tmp_dir (), marker, folder, &n_files);
  {
    /* Reopened from the keyring, no passphrase asked. */
    HearthDocIndexParams params;
    g_autoptr(HearthDocIndex) index = NULL;

    hearth_doc_index_params_init (&params);
    params.data_dir = t->data_dir;
    index = hearth_doc_index_open (&params, &error);
    hearth_assert_no_error (error);
    check_ok (index);
  }
}
END_TEST

/* ---- the CLI ---- */

static int
run_cli (char      **out,
         char      **err,
         const char *first,
         ...)
{
  const char *cli = g_getenv ("HEARTH_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
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
  g_free (*out);
  g_free (*err);
  *out = *err = NULL;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                     out, err, &status, &error))
    ck_abort_msg ("cannot run %s: %s", cli, error->message);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  ck_assert_msg (json_parser_load_from_data (parser, text, -1, &error), "not JSON: %s\n%s",
                 error ? error->message : "", text);
  ck_assert (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

START_TEST (test_cli_end_to_end)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sub = g_build_filename (t->docs, "sub", NULL);
  g_autofree char *a = g_build_filename (t->docs, "a.md", NULL);
  g_autofree char *b = g_build_filename (sub, "b.txt", NULL);
  g_autofree char *single = g_build_filename (t->root, "single.txt", NULL);
  g_autofree char *missing = g_build_filename (t->root, "missing", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *hits;
  int rc;

  ck_assert_int_eq (g_mkdir (sub, 0700), 0);
  write_text (a, "# Kestrels\n\nKestrels hover over fields looking for voles.\n\nThey nest on ledges.\n");
  write_text (b, "Owls hunt at night.\nVoles hide from owls and kestrels.\n");
  write_text (single, "A single file about falcons.\n");

  /* The default data folder and the real keyring: no options at all. */
#define CLI(...) run_cli (&out, &err, __VA_ARGS__, NULL)
  rc = CLI ("docs", "add", "birds", t->docs, single);
  ck_assert_msg (rc == 0, "add: %s", err);
  ck_assert_ptr_nonnull (strstr (err, "indexing: 3/3 files"));
  ck_assert_ptr_nonnull (strstr (err, "3 files seen: 3 indexed"));

  rc = CLI ("docs", "list", "--json");
  ck_assert_msg (rc == 0, "list: %s", err);
  root = parse_object (parser, out);
  {
    JsonArray *cs = json_object_get_array_member (root, "collections");
    JsonObject *c0;

    ck_assert_uint_eq (json_array_get_length (cs), 1);
    c0 = json_array_get_object_element (cs, 0);
    ck_assert_str_eq (json_object_get_string_member (c0, "name"), "birds");
    ck_assert_int_eq (json_object_get_int_member (c0, "files"), 3);
    ck_assert_int_eq (json_object_get_int_member (c0, "failed"), 0);
    ck_assert (json_object_get_null_member (c0, "embed_model"));
  }

  rc = CLI ("docs", "status", "birds");
  ck_assert_msg (rc == 0, "status: %s", err);
  ck_assert_ptr_nonnull (strstr (out, "files: 3 indexed"));
  ck_assert_ptr_nonnull (strstr (out, "embedding model: none (BM25 only)"));

  rc = CLI ("docs", "search", "birds", "kestrels voles", "--json", "-k", "5");
  ck_assert_msg (rc == 0, "search: %s", err);
  root = parse_object (parser, out);
  ck_assert_uint_eq (json_object_get_size (root), 2);
  ck_assert_str_eq (json_object_get_string_member (root, "query"), "kestrels voles");
  hits = json_object_get_array_member (root, "hits");
  ck_assert_uint_ge (json_array_get_length (hits), 2);
  for (guint i = 0; i < json_array_get_length (hits); i++)
    {
      JsonObject *h = json_array_get_object_element (hits, i);
      const char *keys[] = { "path", "page", "line_start", "line_end", "score", "text" };
      const char *path;

      ck_assert_uint_eq (json_object_get_size (h), G_N_ELEMENTS (keys));
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        ck_assert_msg (json_object_has_member (h, keys[k]), "hit %u has no %s", i, keys[k]);
      path = json_object_get_string_member (h, "path");
      ck_assert (g_path_is_absolute (path));
      ck_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      ck_assert (json_object_get_null_member (h, "page"));
      ck_assert_int_eq (json_node_get_value_type (json_object_get_member (h, "line_start")), G_TYPE_INT64);
      ck_assert_int_ge (json_object_get_int_member (h, "line_end"), json_object_get_int_member (h, "line_start"));
      ck_assert_double_gt (json_object_get_double_member (h, "score"), 0);
      ck_assert_ptr_nonnull (json_object_get_string_member (h, "text"));
    }
  /* Every hit holds a query word; the lines cited are the passage's lines:
   * b.txt's passage is its whole text, lines 1-2. */
  for (guint i = 0; i < json_array_get_length (hits); i++)
    {
      JsonObject *h = json_array_get_object_element (hits, i);
      g_autofree char *lower = g_ascii_strdown (json_object_get_string_member (h, "text"), -1);

      ck_assert (strstr (lower, "kestrels") != NULL || strstr (lower, "voles") != NULL);
      if (strcmp (json_object_get_string_member (h, "path"), b) == 0)
        {
          ck_assert_int_eq (json_object_get_int_member (h, "line_start"), 1);
          ck_assert_int_eq (json_object_get_int_member (h, "line_end"), 2);
        }
    }

  /* Bad input: clear errors, nothing lost. */
  rc = CLI ("docs", "add", "birds", missing);
  ck_assert_int_eq (rc, 1);
  ck_assert_ptr_nonnull (strstr (err, "no such file or folder"));
  rc = CLI ("docs", "search", "fish", "anything");
  ck_assert_int_eq (rc, 1);
  ck_assert_ptr_nonnull (strstr (err, "no document collection named 'fish'"));
  rc = CLI ("docs", "status", "birds", "--json");
  ck_assert_msg (rc == 0, "status: %s", err);
  root = parse_object (parser, out);
  ck_assert_int_eq (json_object_get_int_member (json_object_get_object_member (root, "collection"), "files"), 3);

  /* Remove one source, then the collection. */
  rc = CLI ("docs", "remove", "birds", single);
  ck_assert_msg (rc == 0, "remove source: %s", err);
  rc = CLI ("docs", "status", "birds");
  ck_assert_ptr_nonnull (strstr (out, "files: 2 indexed"));
  rc = CLI ("docs", "remove", "birds");
  ck_assert_msg (rc == 0, "remove: %s", err);
  rc = CLI ("docs", "list", "--json");
  root = parse_object (parser, out);
  ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (root, "collections")), 0);

  /* Hybrid, with the synthetic encoder (plumbing only): vectors for every
   * chunk, and the search JSON keeps its shape. */
  {
    g_autofree char *model = model_path ("synth-bert-F32.gguf");

    rc = CLI ("docs", "add", "hybrid", t->docs, "--embed-model", model);
    ck_assert_msg (rc == 0, "add hybrid: %s", err);
    rc = CLI ("docs", "list", "--json");
    root = parse_object (parser, out);
    {
      JsonObject *c0 = json_array_get_object_element (json_object_get_array_member (root, "collections"), 0);

      ck_assert_str_eq (json_object_get_string_member (c0, "embed_model"), model);
      ck_assert_int_gt (json_object_get_int_member (c0, "vectors"), 0);
      ck_assert_int_eq (json_object_get_int_member (c0, "vectors"), json_object_get_int_member (c0, "chunks"));
    }
    rc = CLI ("docs", "search", "hybrid", "owls at night", "--json", "--min-similarity", "-1");
    ck_assert_msg (rc == 0, "search hybrid: %s", err);
    root = parse_object (parser, out);
    ck_assert_uint_eq (json_array_get_length (json_object_get_array_member (root, "hits")), 2);
    /* Another model only through reindex. */
    {
      g_autofree char *other = model_path ("synth-nomic-bert-F32.gguf");

      rc = CLI ("docs", "add", "hybrid", t->docs, "--embed-model", other);
      ck_assert_int_eq (rc, 1);
      ck_assert_ptr_nonnull (strstr (err, "reindex"));
      /* The estimate changes nothing. */
      rc = CLI ("docs", "reindex", "hybrid", "--estimate", "--embed-model", other);
      ck_assert_msg (rc == 0, "reindex --estimate: %s", err);
      {
        const char *want = "Re-indexing 'hybrid' reads 2 files again (";
        g_autofree char *with = g_strdup_printf (" and embeds them with %s.\nEstimate: ", other);

        ck_assert_msg (g_str_has_prefix (out, want) && strstr (out, with) != NULL, "estimate: %s", out);
        ck_assert_msg (strstr (out, "Measured: 2 files (") != NULL, "estimate: %s", out);
      }
      rc = CLI ("docs", "list", "--json");
      ck_assert_int_eq (rc, 0);
      root = parse_object (parser, out);
      ck_assert_str_eq (json_object_get_string_member (json_array_get_object_element (
                          json_object_get_array_member (root, "collections"), 0), "embed_model"), model);
      rc = CLI ("docs", "reindex", "hybrid", "--embed-model", other);
      ck_assert_msg (rc == 0, "reindex: %s", err);
      ck_assert_ptr_nonnull (strstr (err, "2 files seen: 2 indexed"));

      /* The benchmark command runs end to end (its figures are not
       * checked: a benchmark is not a timed test), with an encoder too. */
      rc = CLI ("docs", "bench", "--sizes", "200", "--queries", "3", "--files", "3", "--words", "300",
                "--embed-model", other, "--embed-files", "2");
      ck_assert_msg (rc == 0, "bench: %s", err);
      ck_assert_msg (strstr (out, " 200 chunks: write ") != NULL, "bench: %s", out);
      ck_assert_msg (strstr (out, "indexing (BM25 only, 3 text files, ") != NULL, "bench: %s", out);
      ck_assert_msg (strstr (out, "indexing (synth-nomic-bert-F32.gguf, 2 text files, ") != NULL, "bench: %s", out);
      {
        const char *line = strstr (out, "indexing (synth-nomic-bert-F32.gguf");
        guint chunks = 0, vectors = 0;

        ck_assert (sscanf (strstr (line, "chunks/s (") + strlen ("chunks/s ("), "%u chunks, %u vectors",
                           &chunks, &vectors) == 2);
        ck_assert_uint_gt (chunks, 0);
        ck_assert_uint_eq (vectors, chunks);
      }
    }
  }
#undef CLI
}
END_TEST

/* Totals of a collection: files, chunks, and per file its chunk count. */
static char *
collection_summary (const char *data_dir,
                    const char *strip)
{
  g_autoptr(HearthDocIndex) index = open_ok (data_dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(HearthDocCollection) c = hearth_doc_index_get_collection (index, "many", &error);
  g_autoptr(GPtrArray) files = NULL;
  GString *s = g_string_new (NULL);

  hearth_assert_no_error (error);
  check_ok (index);
  files = hearth_doc_index_list_files (index, c->id, NULL);
  g_string_append_printf (s, "%" G_GINT64_FORMAT " files, %" G_GINT64_FORMAT " chunks, %s\n",
                          c->n_files, c->n_chunks, c->interrupted ? "interrupted" : "complete");
  for (guint i = 0; i < files->len; i++)
    {
      HearthDocFileInfo *f = g_ptr_array_index (files, i);

      g_string_append_printf (s, "%s %u %s\n", f->path + strlen (strip), f->n_chunks, f->sha256);
    }
  return g_string_free (s, FALSE);
}

START_TEST (test_cli_kill_during_indexing)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autofree char *pf = g_build_filename (t->root, "pass", NULL);
  g_autofree char *clean_dir = g_build_filename (t->root, "clean", NULL);
  g_autofree char *clean = NULL;
  g_autofree char *killed = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("HEARTH_CLI");
  guint done_when_killed = 0;
  int rc;

  write_text (pf, PASSPHRASE "\n");
  make_files (t->docs, 600);

  /* 600 small files take a fraction of a second: at 5 ms a file the kill
   * lands half-way, with batches committed before it and one open. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "HEARTH_TEST_INDEX_DELAY_MS", "5", TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, cli, "docs", "add", "many", t->docs, "--data-dir", t->data_dir,
                                      "--passphrase-file", pf, NULL);
  hearth_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);
      guint a, b;

      ck_assert_msg (line != NULL, "the run ended before it could be killed");
      if (sscanf (line, "indexing: %u/%u", &a, &b) == 2 && a > 100 && a < b)
        {
          done_when_killed = a;
          break;
        }
    }
  g_subprocess_send_signal (proc, SIGKILL);
  g_subprocess_wait (proc, NULL, NULL);
  ck_assert (g_subprocess_get_if_signaled (proc));
  ck_assert_int_eq (g_subprocess_get_term_sig (proc), SIGKILL);

  /* Consistent, and marked interrupted, with part of the work done. */
  killed = collection_summary (t->data_dir, t->docs);
  ck_assert_msg (g_str_has_suffix (strstr (killed, "\n") - strlen ("interrupted"), "interrupted") ||
                 strstr (killed, "interrupted") != NULL, "%s", killed);
  ck_assert_msg (!g_str_has_prefix (killed, "600 files"), "killed after %u files, but all were there", done_when_killed);
  /* Committed a quarter of a second at a time: most of what was done is there. */
  ck_assert_msg (!g_str_has_prefix (killed, "0 files"), "killed after %u files, none was there: %s", done_when_killed, killed);
  g_clear_pointer (&killed, g_free);

  /* The next run finishes; the totals equal a clean run's. */
  rc = run_cli (&out, &err, "docs", "update", "many", "--data-dir", t->data_dir, "--passphrase-file", pf, NULL);
  ck_assert_msg (rc == 0, "update: %s", err);
  ck_assert_ptr_nonnull (strstr (err, "an interrupted run was resumed"));
  killed = collection_summary (t->data_dir, t->docs);
  rc = run_cli (&out, &err, "docs", "add", "many", t->docs, "--data-dir", clean_dir, "--passphrase-file", pf, NULL);
  ck_assert_msg (rc == 0, "clean add: %s", err);
  clean = collection_summary (clean_dir, t->docs);
  ck_assert_str_eq (killed, clean);
  ck_assert (g_str_has_prefix (clean, "600 files"));
}
END_TEST

/* ---- watching ---- */

typedef struct
{
  guint  n;
  char  *last;
} Changes;

static void
on_watcher_changed (HearthDocWatcher *watcher,
                    const char       *collection,
                    Changes          *changes)
{
  changes->n++;
  g_free (changes->last);
  changes->last = g_strdup (collection);
}

static gboolean
flag_done (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context for @ms, or until changes->n reaches @until (0:
 * the whole time); returns how many changes came. */
static guint
wait_changes (Changes *changes,
              guint    until,
              guint    ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (ms, flag_done, &timed_out);
  guint before = changes->n;

  while (!timed_out && (until == 0 || changes->n - before < until))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return changes->n - before;
}

/* What the watcher tells: files of known formats made, written, moved and
 * deleted, folders made (then watched), renamed and deleted; not hidden
 * files, unknown formats or what is no longer watched; a burst is one
 * change. */
START_TEST (test_watcher)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocWatcher) w = hearth_doc_watcher_new ();
  g_autoptr(GPtrArray) sources = g_ptr_array_new ();
  g_autofree char *a = g_build_filename (t->docs, "a.txt", NULL);
  g_autofree char *sub = g_build_filename (t->docs, "sub", NULL);
  g_autofree char *sub_file = g_build_filename (sub, "c.md", NULL);
  g_autofree char *moved = g_build_filename (t->docs, "moved", NULL);
  Changes changes = { 0 };

  write_text (a, "Alpha.\n");
  hearth_doc_watcher_set_quiet_ms (w, 150);
  g_signal_connect (w, "changed", G_CALLBACK (on_watcher_changed), &changes);
  g_ptr_array_add (sources, t->docs);
  hearth_doc_watcher_set_sources (w, "notes", sources);
  ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (w), 1);

  write_text (a, "Alpha, changed.\n");
  ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);
  ck_assert_str_eq (changes.last, "notes");

  /* Ignored: hidden files and formats the indexer does not read. */
  {
    g_autofree char *hidden = g_build_filename (t->docs, ".a.txt.swp", NULL);
    g_autofree char *binary = g_build_filename (t->docs, "image.png", NULL);

    write_text (hidden, "x");
    write_text (binary, "x");
    ck_assert_uint_eq (wait_changes (&changes, 0, 600), 0);
  }

  /* A new folder is watched, and a file made in it is seen. */
  ck_assert_int_eq (g_mkdir (sub, 0700), 0);
  ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);
  ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (w), 2);
  write_text (sub_file, "# Gamma\n");
  ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);

  /* Renamed, then deleted: its watch follows. */
  ck_assert_int_eq (g_rename (sub, moved), 0);
  ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);
  ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (w), 2);
  {
    g_autofree char *moved_file = g_build_filename (moved, "c.md", NULL);

    ck_assert_int_eq (g_unlink (moved_file), 0);
    ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);
    ck_assert_int_eq (g_rmdir (moved), 0);
    ck_assert_uint_eq (wait_changes (&changes, 1, 5000), 1);
    ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (w), 1);
  }

  /* A burst of 30 files is one change, told after it. */
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/burst-%02u.txt", t->docs, i);

      write_text (path, "Burst.\n");
    }
  ck_assert_uint_eq (wait_changes (&changes, 0, 1500), 1);

  /* Not watched any more. */
  hearth_doc_watcher_set_sources (w, "notes", NULL);
  ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (w), 0);
  write_text (a, "Alpha, changed again.\n");
  ck_assert_uint_eq (wait_changes (&changes, 0, 600), 0);
  g_free (changes.last);
}
END_TEST

static void
on_documents_changed (HearthDocuments *documents,
                      guint           *n)
{
  (*n)++;
}

/* Runs the main context until @documents has no run going or queued. */
static void
wait_idle (HearthDocuments *documents)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_TIME_SPAN_SECOND;

  for (;;)
    {
      HearthDocIndexer *ix = hearth_documents_get_indexer (documents);

      if (ix != NULL && !hearth_doc_indexer_get_running (ix))
        break;
      ck_assert_msg (g_get_monotonic_time () < deadline, "indexing did not end");
      g_main_context_iteration (NULL, TRUE);
    }
}

static guint
count_hits (HearthDocIndex *index,
            const char     *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hits = hearth_doc_search (index, "watched", query, NULL, 0, NULL, &error);

  hearth_assert_no_error (error);
  return hits->len;
}

/* The app's documents, watching: what changed while it was not running is
 * found at the start, and a file written while it runs is indexed without
 * being asked. */
START_TEST (test_documents_watch)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocuments) documents = hearth_documents_new (index, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = g_build_filename (t->docs, "a.txt", NULL);
  g_autofree char *b = g_build_filename (t->docs, "b.txt", NULL);
  guint changed = 0;

  write_text (a, "The heron waits by the river.\n");
  g_signal_connect (documents, "changed", G_CALLBACK (on_documents_changed), &changed);
  ck_assert (hearth_documents_create_collection (documents, "watched", &error));
  ck_assert (hearth_documents_add_folder (documents, "watched", t->docs, &error));
  hearth_assert_no_error (error);
  wait_idle (documents);
  ck_assert_uint_eq (count_hits (index, "heron"), 1);

  /* Changed while "not running": found by the start check. */
  write_text (b, "A kingfisher dives.\n");
  ck_assert_uint_eq (count_hits (index, "kingfisher"), 0);
  hearth_documents_watch (documents);
  ck_assert_ptr_nonnull (hearth_documents_get_watcher (documents));
  hearth_doc_watcher_set_quiet_ms (hearth_documents_get_watcher (documents), 100);
  ck_assert (hearth_doc_indexer_get_running (hearth_documents_get_indexer (documents)));
  wait_idle (documents);
  ck_assert_uint_eq (count_hits (index, "kingfisher"), 1);
  ck_assert_uint_eq (hearth_doc_watcher_get_n_folders (hearth_documents_get_watcher (documents)), 1);

  /* Written while running: indexed, nobody asking. */
  changed = 0;
  write_text (a, "The heron flew off; an egret came.\n");
  while (changed == 0)
    g_main_context_iteration (NULL, TRUE);
  wait_idle (documents);
  ck_assert_uint_eq (count_hits (index, "egret"), 1);
  ck_assert_uint_eq (count_hits (index, "waits"), 0);
}
END_TEST

static void
plan_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static HearthDocReindexPlan *
plan_sync (HearthDocuments *documents,
           const char      *name,
           const char      *model,
           GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hearth_documents_plan_reindex_async (documents, name, model, NULL, plan_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return hearth_documents_plan_reindex_finish (documents, result, error);
}

static HearthDocCollection *
get_collection (HearthDocIndex *index,
                const char     *name)
{
  g_autoptr(GError) error = NULL;
  HearthDocCollection *c = hearth_doc_index_get_collection (index, name, &error);

  hearth_assert_no_error (error);
  return c;
}

/* Another embedding model is a full re-index: planned (measured on the
 * collection's own files, nothing written), then done only when asked. */
START_TEST (test_documents_reindex_plan)
{
  g_autoptr(TestDir) t = test_dir_new ();
  g_autoptr(HearthDocIndex) index = open_ok (t->data_dir);
  g_autoptr(HearthDocuments) documents = hearth_documents_new (index, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *bert = model_path ("synth-bert-F32.gguf");
  g_autofree char *identity = NULL;
  g_autofree char *not_model = g_build_filename (t->root, "notes.gguf", NULL);
  g_autoptr(HearthDocReindexPlan) plan = NULL;
  g_autoptr(HearthDocReindexPlan) none = NULL;
  g_autoptr(HearthDocCollection) before = NULL;
  g_autoptr(HearthDocCollection) after = NULL;
  gint64 size, mtime;

  make_files (t->docs, 12);
  ck_assert (hearth_documents_create_collection (documents, "plan", &error));
  ck_assert (hearth_documents_add_folder (documents, "plan", t->docs, &error));
  hearth_assert_no_error (error);
  wait_idle (documents);
  before = get_collection (index, "plan");
  ck_assert_int_eq (before->n_files, 12);
  ck_assert_ptr_null (before->embed_model);

  plan = plan_sync (documents, "plan", bert, &error);
  hearth_assert_no_error (error);
  identity = hearth_doc_embedder_identify (bert, &size, &mtime, NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_str_eq (plan->collection, "plan");
  ck_assert_str_eq (plan->model_path, bert);
  ck_assert_str_eq (plan->model_identity, identity);
  ck_assert_int_eq (plan->model_size, size);
  ck_assert_int_eq (plan->model_mtime, mtime);
  ck_assert_uint_gt (plan->model_dim, 0);
  ck_assert_uint_eq (plan->n_files, 12);
  ck_assert_uint_eq (plan->n_bytes, (guint64) before->total_bytes);
  ck_assert_uint_eq (plan->n_chunks, (guint64) before->n_chunks);
  /* Twelve small files are under the sample's bounds: all measured. */
  ck_assert_uint_eq (plan->sample_files, 12);
  ck_assert_uint_eq (plan->sample_bytes, plan->n_bytes);
  ck_assert_uint_ge (plan->sample_chunks, 12);
  ck_assert_double_gt (plan->read_seconds, 0);
  /* Embedding stops after SAMPLE_SECONDS, whole batches of 8. */
  ck_assert_uint_ge (plan->embedded_chunks, MIN (8, plan->sample_chunks));
  ck_assert_uint_le (plan->embedded_chunks, plan->sample_chunks);
  ck_assert (plan->embedded_chunks % 8 == 0 || plan->embedded_chunks == plan->sample_chunks);
  ck_assert_double_gt (plan->embed_seconds, 0);
  ck_assert_double_eq_tol (plan->seconds,
                           plan->load_seconds + plan->read_seconds +
                           plan->sample_chunks * plan->embed_seconds / plan->embedded_chunks, 1e-9);
  /* Planning wrote nothing. */
  after = get_collection (index, "plan");
  ck_assert_ptr_null (after->embed_model);
  ck_assert_int_eq (after->n_vectors, 0);
  ck_assert_int_eq (after->n_chunks, before->n_chunks);
  g_clear_pointer (&after, hearth_doc_collection_free);

  /* A file that is no encoder, a collection that does not exist. */
  write_text (not_model, "not a model\n");
  ck_assert_ptr_null (plan_sync (documents, "plan", not_model, &error));
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  ck_assert_ptr_null (plan_sync (documents, "nowhere", bert, &error));
  assert_store_error (error, HEARTH_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Refused while the collection is being indexed. */
  hearth_documents_update (documents, "plan");
  ck_assert (!hearth_documents_reindex (documents, plan, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  wait_idle (documents);

  /* Agreed: every file read and embedded again with the new model. */
  ck_assert (hearth_documents_reindex (documents, plan, &error));
  hearth_assert_no_error (error);
  wait_idle (documents);
  after = get_collection (index, "plan");
  ck_assert_str_eq (after->embed_model, bert);
  ck_assert_str_eq (after->embed_model_id, identity);
  ck_assert_uint_eq (after->embed_dim, plan->model_dim);
  ck_assert_int_eq (after->n_files, 12);
  ck_assert_int_gt (after->n_vectors, 0);
  ck_assert_int_eq (after->n_vectors, after->n_chunks);
  ck_assert_uint_eq (plan->sample_chunks, (guint) after->n_chunks);
  g_clear_pointer (&after, hearth_doc_collection_free);

  /* Back to BM25 only: planned without a model, the vectors gone. */
  none = plan_sync (documents, "plan", NULL, &error);
  hearth_assert_no_error (error);
  ck_assert_ptr_null (none->model_path);
  ck_assert_uint_eq (none->n_files, 12);
  ck_assert_uint_eq (none->embedded_chunks, 0);
  ck_assert_double_eq_tol (none->seconds, none->load_seconds + none->read_seconds, 1e-9);
  ck_assert (hearth_documents_reindex (documents, none, &error));
  wait_idle (documents);
  after = get_collection (index, "plan");
  ck_assert_ptr_null (after->embed_model);
  ck_assert_int_eq (after->n_vectors, 0);
  ck_assert_int_eq (after->n_files, 12);
  ck_assert_int_eq (after->n_chunks, before->n_chunks);
}
END_TEST

static Suite *
documents_suite (void)
{
  Suite *s = suite_create ("documents");
  TCase *tc;

  tc = tcase_create ("index");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_index_schema);
  tcase_add_test (tc, test_index_wrong_key);
  tcase_add_test (tc, test_index_round_trip);
  tcase_add_test (tc, test_index_batch);
  tcase_add_test (tc, test_dot_scalar_avx2);
  tcase_add_test (tc, test_no_plaintext_on_disk);
  suite_add_tcase (s, tc);

  tc = tcase_create ("search");
  tcase_set_timeout (tc, 30);
  tcase_add_test (tc, test_bm25_reference);
  tcase_add_test (tc, test_rrf_fusion);
  tcase_add_test (tc, test_phrase_boost_and_floor);
  tcase_add_test (tc, test_vector_floor);
  suite_add_tcase (s, tc);

  tc = tcase_create ("indexer");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_indexer_incremental);
  tcase_add_test (tc, test_indexer_pause_cancel_progress);
  tcase_add_test (tc, test_indexer_embeddings);
  tcase_add_test (tc, test_indexer_model_changed);
  tcase_add_test (tc, test_watcher);
  tcase_add_test (tc, test_documents_watch);
  tcase_add_test (tc, test_documents_reindex_plan);
  suite_add_tcase (s, tc);

  tc = tcase_create ("cli");
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_cli_end_to_end);
  tcase_add_test (tc, test_cli_kill_during_indexing);
  suite_add_tcase (s, tc);

  return s;
}

int
main (void)
{
  return hearth_test_run (documents_suite ());
}
