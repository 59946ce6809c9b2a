/* hearth-install-dirs.h: where the running install keeps its plugins and data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The folders meson configured (HEARTH_PREFIX, HEARTH_PLUGINDIR,
 * HEARTH_LOCALEDIR, HEARTH_DATADIR in hearth-config.h) are where an install
 * into the configured prefix puts things. An install elsewhere (meson install
 * --destdir, a tree copied to another folder, a Flatpak's /app) keeps the same
 * layout under another root: the running binary is PREFIX/bin/NAME there, so
 * the prefix it runs from is its own folder minus the configured bindir, and
 * every configured folder under the configured prefix moves with it. A binary
 * that is not in a folder named like the configured bindir (the build tree,
 * the tests) uses the configured folders as they are.
 *
 * Threading: any thread; the answers are computed once.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The prefix the running binary was installed into (absolute; the
 * configured one when it is not in an installed layout). */
const char *hearth_install_prefix (void);

/* TRUE when the running binary's prefix is not the configured one. */
gboolean hearth_install_is_relocated (void);

/* @configured (an absolute folder) under the running prefix when it is
 * under the configured prefix; else a copy of @configured. */
char *hearth_install_relocate (const char *configured);

/* libdir/hearth/plugins, localedir and datadir of the running install. */
const char *hearth_install_plugindir (void);
const char *hearth_install_localedir (void);
const char *hearth_install_datadir (void);

/* For the tests: the prefix that a binary at @exe_path (absolute, links
 * resolved) runs from, given the configured @prefix and @bindir; NULL when
 * @exe_path is not in a bindir layout. */
char *hearth_install_prefix_for (const char *exe_path,
                                 const char *prefix,
                                 const char *bindir);

G_END_DECLS
