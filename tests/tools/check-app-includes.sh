#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-app-includes.sh SOURCE_ROOT: fails when a file under app/ includes an
# engine-internal header, i.e. any header of engine/ outside engine/include/
# (the CPU kernels, the Vulkan layer, the -private.h files) or of shaders/.
# app/ sees the engine only through hearth-engine.h; developer tools that
# need the internals live in tests/tools (hearth-devtool).
set -eu
root=$1
names=$(find "$root/engine" "$root/shaders" -name '*.h' -not -path "$root/engine/include/*" -exec basename {} \; |
        sort -u | sed 's/\./\\./g' | paste -sd '|' -)
[ -n "$names" ] || { echo "no engine-internal headers found under $root" >&2; exit 1; }
if grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^\">]*/)?($names)[\">]" "$root/app"; then
    echo "app/ includes engine-internal headers (above); use hearth-engine.h" >&2
    exit 1
fi
echo "app/ includes no engine-internal header"
