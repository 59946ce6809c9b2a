/* fuzz-plugin-keyfile.c: libFuzzer harness for plugin .plugin keyfiles, read by the plugin manager
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A .plugin file is the one part of a plugin Hearth reads before deciding
 * to load any of its code (hearth-plugin-manager.h): the input is written
 * as the only plugin keyfile in a folder that is the manager's whole
 * search path, beside a fixed one ("base", which the input may name in
 * Depends=), and the manager finds and loads every plugin there. No folder
 * holds a module, so nothing can load: every plugin ends refused (with a
 * reason in valid UTF-8 naming it), disabled or absent, and the manager
 * never crashes, leaks or complains (hearth-fuzz.h). libpeas reports a
 * keyfile it cannot read with a warning of its own ("Bad plugin file"):
 * those are its answer, not findings.
 */
#include <glib/gstdio.h>

#define HEARTH_FUZZ_HAVE_SETUP
#define HEARTH_FUZZ_EXPECTED_WARNING_DOMAIN "libpeas"
#include "hearth-fuzz.h"
#include "hearth-plugin-manager.h"

static char *plugins_dir;
static char *keyfile;
static HearthStore *store;

static char *
give_passphrase (gboolean creating,
                 gpointer user_data)
{
  return g_strdup ("fuzz passphrase");
}

static void
hearth_fuzz_setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("hearth-fuzz-plugin-XXXXXX", &error);
  g_autofree char *data = NULL, *base = NULL;
  HearthStoreParams p;

  g_assert_no_error (error);
  data = g_build_filename (root, "data", NULL);
  plugins_dir = g_build_filename (root, "plugins", NULL);
  g_assert (g_mkdir (plugins_dir, 0700) == 0);
  base = g_build_filename (plugins_dir, "base.plugin", NULL);
  g_assert (g_file_set_contents (base, "[Plugin]\nModule=base\nName=Base\nX-Hearth-ABI=1\n", -1, NULL));
  keyfile = g_build_filename (plugins_dir, "fuzz.plugin", NULL);
  hearth_store_params_init (&p);
  p.data_dir = data;
  p.key_source = HEARTH_STORE_KEY_PASSPHRASE;
  p.passphrase_func = give_passphrase;
  p.passphrase_iterations = 1000;
  store = hearth_store_open (&p, &error);
  g_assert_no_error (error);
}

static void
loaded (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_assert (hearth_plugin_manager_load_finish (HEARTH_PLUGIN_MANAGER (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *const path[] = { plugins_dir, NULL };
  g_autoptr(HearthPluginManager) manager = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  gboolean done = FALSE;

  hearth_fuzz_maybe_selftest ();
  /* In place, without g_file_set_contents's fsync and rename (speed). */
  g_assert (g_file_set_contents_full (keyfile, (const char *) data, (gssize) size, G_FILE_SET_CONTENTS_NONE, 0600,
                                      NULL));
  manager = hearth_plugin_manager_new (store, path);
  hearth_plugin_manager_load_async (manager, NULL, loaded, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  entries = hearth_plugin_manager_list (manager);
  for (guint i = 0; i < entries->len; i++)
    {
      HearthPluginEntry *e = g_ptr_array_index (entries, i);

      g_assert (e->id != NULL && g_utf8_validate (e->id, -1, NULL));
      g_assert (e->name == NULL || g_utf8_validate (e->name, -1, NULL));
      g_assert (e->description == NULL || g_utf8_validate (e->description, -1, NULL));
      g_assert (e->state != HEARTH_PLUGIN_STATE_LOADED && e->tools->len == 0);
      if (e->state == HEARTH_PLUGIN_STATE_REFUSED)
        g_assert (e->reason != NULL && g_utf8_validate (e->reason, -1, NULL));
    }
  return 0;
}
