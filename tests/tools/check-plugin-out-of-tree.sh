#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-plugin-out-of-tree.sh SOURCE_ROOT BUILD_ROOT: builds plugins/example
# as a third party would, with cc and `pkg-config hearth-plugin-1` (the
# build's uninstalled .pc file), and calls its tool through $HEARTH_CLI.
set -eu
src=$1
build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
mkdir "$tmp/plugin"
# shellcheck disable=SC2046 # pkg-config's words are separate arguments
cc -shared -fPIC -Wall -Werror -o "$tmp/plugin/libexample-hello.so" "$src/plugins/example/example-hello.c" \
    $(pkg-config --cflags --libs hearth-plugin-1)
cp "$src/plugins/example/example-hello.plugin" "$tmp/plugin/"
echo "test passphrase" > "$tmp/pass"
export XDG_DATA_HOME="$tmp/xdg"
export HEARTH_PLUGIN_PATH="$tmp/plugin"
out=$("$HEARTH_CLI" tools call hello '{"name": "Ada"}' --data-dir "$tmp/store" --passphrase-file "$tmp/pass")
if [ "$out" != "Hello, Ada!" ]; then
    echo "FAIL: hello gave '$out', expected 'Hello, Ada!'" >&2
    exit 1
fi
list=$("$HEARTH_CLI" plugins list --data-dir "$tmp/store" --passphrase-file "$tmp/pass")
want='example-hello (loaded): Hello (example)
  tool hello [read-only]'
if [ "$list" != "$want" ]; then
    echo "FAIL: plugins list gave:" >&2
    echo "$list" >&2
    exit 1
fi
echo "ok: the example plugin builds out of tree and its tool runs"
