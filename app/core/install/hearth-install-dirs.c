/* hearth-install-dirs.c: where the running install keeps its plugins and data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See hearth-install-dirs.h. The running binary is found through
 * /proc/self/exe (Linux, which is all Hearth runs on).
 */
#include "hearth-config.h"

#include <string.h>

#include "hearth-install-dirs.h"

char *
hearth_install_prefix_for (const char *exe_path,
                           const char *prefix,
                           const char *bindir)
{
  g_autofree char *exe_dir = NULL;
  const char *rel;
  gsize dir_len, rel_len;

  g_return_val_if_fail (exe_path != NULL && prefix != NULL && bindir != NULL, NULL);

  /* The bindir relative to the prefix ("bin"); a bindir outside the
   * prefix cannot move with it. */
  if (!g_str_has_prefix (bindir, prefix))
    return NULL;
  rel = bindir + strlen (prefix);
  if (strcmp (prefix, "/") != 0)
    {
      if (*rel != '/')
        return NULL;
      rel++;
    }
  rel_len = strlen (rel);
  if (rel_len == 0 || !g_path_is_absolute (exe_path))
    return NULL;

  exe_dir = g_path_get_dirname (exe_path);
  dir_len = strlen (exe_dir);
  /* exe_dir must be ROOT/REL, REL matched at a folder boundary. */
  if (dir_len < rel_len + 1 || strcmp (exe_dir + dir_len - rel_len, rel) != 0 ||
      exe_dir[dir_len - rel_len - 1] != '/')
    return NULL;
  if (dir_len == rel_len + 1)
    return g_strdup ("/");
  return g_strndup (exe_dir, dir_len - rel_len - 1);
}

static const char *
running_prefix (void)
{
  static char *prefix;

  if (g_once_init_enter (&prefix))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
      char *found = exe != NULL ? hearth_install_prefix_for (exe, HEARTH_PREFIX, HEARTH_BINDIR) : NULL;

      g_once_init_leave (&prefix, found != NULL ? found : g_strdup (HEARTH_PREFIX));
    }
  return prefix;
}

const char *
hearth_install_prefix (void)
{
  return running_prefix ();
}

gboolean
hearth_install_is_relocated (void)
{
  return strcmp (running_prefix (), HEARTH_PREFIX) != 0;
}

char *
hearth_install_relocate (const char *configured)
{
  const char *prefix = HEARTH_PREFIX;
  gsize len = strlen (prefix);

  g_return_val_if_fail (configured != NULL, NULL);

  if (!hearth_install_is_relocated () || strncmp (configured, prefix, len) != 0 ||
      (configured[len] != '/' && configured[len] != '\0'))
    return g_strdup (configured);
  return g_build_filename (running_prefix (), configured + len, NULL);
}

#define DEFINE_DIR(name, configured)                                  \
  const char *                                                        \
  hearth_install_##name (void)                                        \
  {                                                                   \
    static char *dir;                                                 \
    if (g_once_init_enter (&dir))                             \
      g_once_init_leave (&dir, hearth_install_relocate (configured)); \
    return dir;                                                       \
  }

DEFINE_DIR (plugindir, HEARTH_PLUGINDIR)
DEFINE_DIR (localedir, HEARTH_LOCALEDIR)
DEFINE_DIR (datadir, HEARTH_DATADIR)
