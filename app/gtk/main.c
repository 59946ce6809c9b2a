/* main.c: Hearth's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "hearth-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hearth-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(HearthApplication) app = NULL;

  hearth_application_set_start_time (g_get_monotonic_time ());
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, HEARTH_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = hearth_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
