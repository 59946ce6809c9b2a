#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# check-install.sh SOURCE_ROOT BUILD_ROOT PREFIX LIBDIR: installs the build
# with `meson install --destdir` into a throwaway folder and checks that the
# install works from there, away from the build folder: every file in its
# place; the installed hearth-cli (no HEARTH_PLUGIN_PATH, no build paths)
# loads the built-in plugins from the install's own plugin folder and calls
# the calculator; SQLCipher and Debian's libsqlite3 never share symbols in
# one process; then the installed app starts under Xvfb with a real keyring
# and shows its window (tests/ui/test-ui-installed.py). LIBDIR is relative
# to PREFIX. Only LD_LIBRARY_PATH points at the install (for
# libhearth-plugin-1, as for any library in a prefix the loader does not
# search); the schemas are compiled as a distribution's trigger would.
set -euo pipefail
src=$1 build=$2 prefix=$3 libdir=$4
for tool in readelf nm ldd glib-compile-schemas Xvfb dbus-run-session gnome-keyring-daemon; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (tools/hearth-dev deps)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok $*"; }

meson install -C "$build" --destdir "$tmp/dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; echo "FAIL: meson install" >&2; exit 1; }
root=$tmp/dest$prefix
lib=$root/$libdir
plugindir=$lib/hearth/plugins

# ---- 1. every file where it belongs ----
for f in \
    bin/hearth bin/hearth-cli \
    "$libdir/libhearth-plugin-1.so" "$libdir/libhearth-plugin-1.so.1" "$libdir/pkgconfig/hearth-plugin-1.pc" \
    include/hearth-plugin-1/hearth-plugin.h include/hearth-plugin-1/hearth-plugin-version.h \
    include/hearth-plugin-1/hearth-tool-provider.h include/hearth-plugin-1/hearth-retriever.h \
    "$libdir/hearth/plugins/calculator/calculator.plugin" "$libdir/hearth/plugins/calculator/libcalculator.so" \
    "$libdir/hearth/plugins/clock/clock.plugin" "$libdir/hearth/plugins/clock/libclock.so" \
    "$libdir/hearth/plugins/files/files.plugin" "$libdir/hearth/plugins/files/libfiles.so" \
    "$libdir/hearth/plugins/mcp.plugin" "$libdir/hearth/plugins/libmcp.so" \
    share/glib-2.0/schemas/io.github.hearth.Hearth.gschema.xml \
    share/applications/io.github.hearth.Hearth.desktop \
    share/metainfo/io.github.hearth.Hearth.metainfo.xml \
    share/icons/hicolor/scalable/apps/io.github.hearth.Hearth.svg \
    share/icons/hicolor/symbolic/apps/io.github.hearth.Hearth-symbolic.svg \
    share/locale/de/LC_MESSAGES/hearth.mo share/locale/fr/LC_MESSAGES/hearth.mo; do
    [ -f "$root/$f" ] || fail "not installed: $f"
done
[ $failures -eq 0 ] && ok "installed files"
# Nothing of the build folder leaks into the installed binaries' search paths.
for f in "$root/bin/hearth" "$root/bin/hearth-cli" "$lib/libhearth-plugin-1.so.1" "$plugindir"/*/lib*.so "$plugindir"/lib*.so; do
    if readelf -d "$f" | grep -E "R(UN)?PATH" | grep -qF "$build"; then
        fail "$f keeps a search path into the build folder"
    fi
done
grep -q "^libdir=\${prefix}/$libdir\$" "$lib/pkgconfig/hearth-plugin-1.pc" && \
    grep -q "^plugindir=\${libdir}/hearth/plugins\$" "$lib/pkgconfig/hearth-plugin-1.pc" ||
    fail "hearth-plugin-1.pc has no libdir or plugindir: $(cat "$lib/pkgconfig/hearth-plugin-1.pc")"

# ---- 2. the installed CLI finds the install's plugins ----
unset HEARTH_PLUGIN_PATH GSETTINGS_SCHEMA_DIR
# Only the install: not the build folders meson puts on it for the tests.
export LD_LIBRARY_PATH=$lib
export XDG_DATA_HOME=$tmp/xdg HOME=$tmp/home
mkdir -p "$HOME"
echo "install test" > "$tmp/pass"
cli() { "$root/bin/hearth-cli" "$@" --data-dir "$tmp/store" --passphrase-file "$tmp/pass"; }
want="calculator (loaded): Calculator
  tool calculate [read-only]
clock (loaded): Clock
  tool current_time [read-only]
files (loaded): Files
  tool list_folder [read-only]
  tool read_file [read-only]
  tool write_file [side-effects, destructive]
mcp (loaded): MCP servers"
# LD_DEBUG=libs: every object the loader initialises, with its path.
if ! LD_DEBUG=libs LD_DEBUG_OUTPUT=$tmp/ld cli plugins list >"$tmp/out" 2>"$tmp/err"; then
    fail "hearth-cli plugins list: $(cat "$tmp/err")"
elif [ "$(cat "$tmp/out")" != "$want" ]; then
    fail "plugins list differs:"; diff <(echo "$want") "$tmp/out" >&2 || true
else
    ok "plugins list (installed)"
fi
loaded=$(cat "$tmp"/ld.* | sed -n 's/.*calling init: \(.*\)$/\1/p' | sort -u)
for p in calculator/libcalculator.so clock/libclock.so files/libfiles.so libmcp.so; do
    grep -qxF "$plugindir/$p" <<<"$loaded" || fail "the CLI did not load $plugindir/$p (loaded: $loaded)"
done
grep -F "$build" <<<"$loaded" && fail "the CLI loaded files from the build folder"
grep -qxF "$lib/libhearth-plugin-1.so.1" <<<"$loaded" || fail "libhearth-plugin-1 not the installed one: $loaded"
out=$(cli tools call calculate '{"expression": "2^10 + 1/4"}' 2>"$tmp/err") || fail "tools call calculate: $(cat "$tmp/err")"
[ "$out" = "1024.25" ] && ok "tools call calculate (installed)" || fail "tools call calculate printed '$out'"

# ---- 3. SQLCipher and libsqlite3 ----
# libsoup 3 links Debian's (and the GNOME runtime's) libsqlite3, which
# exports the same sqlite3_* names as SQLCipher. Hearth links SQLCipher
# statically with its symbols kept out of the dynamic symbol table
# (app/core/meson.build), so neither copy can bind the other's calls: the
# binaries neither export nor import any sqlite3_* symbol, need no
# libsqlcipher.so, and carry SQLCipher's own code.
for f in "$root/bin/hearth" "$root/bin/hearth-cli"; do
    n=$(nm -D "$f" | grep -c " sqlite3_" || true)
    [ "$n" = 0 ] || fail "$f has $n dynamic sqlite3_* symbols: $(nm -D "$f" | grep " sqlite3_" | head -5)"
    ldd "$f" | grep -q libsqlcipher && fail "$f needs libsqlcipher.so (must be static)"
    grep -qa "sqlcipher_export" "$f" || fail "$f does not carry SQLCipher"
done
for f in "$lib/libhearth-plugin-1.so.1" "$plugindir"/*/lib*.so "$plugindir"/lib*.so; do
    ldd "$f" | grep -qE "libsqlite3|libsqlcipher" && fail "$f needs a SQLite library: $(ldd "$f" | grep -E 'sqlite|sqlcipher')"
done
# The store the CLI made above is SQLCipher's: encrypted, not a plain SQLite file.
if [ "$(head -c 15 "$tmp/store/history.db")" = "SQLite format 3" ]; then
    fail "the installed CLI wrote a plain SQLite database"
fi
[ $failures -eq 0 ] && ok "SQLCipher kept apart from libsqlite3"

# ---- 4. the installed app under Xvfb, with a keyring ----
glib-compile-schemas "$root/share/glib-2.0/schemas"
"$src/tests/tools/with-keyring.sh" "$src/tests/tools/with-xvfb.sh" /usr/bin/python3 \
    "$src/tests/ui/test-ui-installed.py" "$root/bin/hearth" "$build/ui-screenshots" "$plugindir" ||
    fail "the installed app (tests/ui/test-ui-installed.py)"

[ $failures -eq 0 ] || { echo "$failures failure(s)" >&2; exit 1; }
echo "the install in $prefix works from $tmp/dest"
