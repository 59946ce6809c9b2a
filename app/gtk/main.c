/* main.c: Hearth's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hearth-application.h"
#include "hearth-install-dirs.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(HearthApplication) app = NULL;

  hearth_application_set_start_time (g_get_monotonic_time ());
  /* Installed elsewhere than its prefix (meson install --destdir, a copied
   * tree): its schema and icons are under the running prefix's datadir,
   * which GSettings and GTK find on XDG_DATA_DIRS. Before any thread. */
  if (hearth_install_is_relocated ())
    {
      const char *dirs = g_getenv ("XDG_DATA_DIRS");
      g_autofree char *path = g_strjoin (":", hearth_install_datadir (),
                                         dirs != NULL && *dirs != '\0' ? dirs : "/usr/local/share:/usr/share",
                                         NULL);
      g_setenv ("XDG_DATA_DIRS", path, TRUE);
    }
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, hearth_install_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = hearth_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
