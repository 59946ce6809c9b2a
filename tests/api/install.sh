#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# install.sh BUILD_DIR: installs the pinned openai client that the api tests
# drive (package.json and package-lock.json beside this script) with npm ci
# into BUILD_DIR/npm-api, never into the source tree. Run by tools/hearth-dev
# test; the api tests fail, not skip, when it is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=$1/npm-api
mkdir -p "$dest"
# Installed already from this very lock file: nothing to do.
if [ -f "$dest/node_modules/.package-lock.json" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
    exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
npm ci --prefix "$dest" --no-audit --no-fund --ignore-scripts
