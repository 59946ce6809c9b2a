#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# with-xvfb.sh COMMAND...: runs COMMAND on a private Xvfb display (the first
# free one, picked by the server itself), then stops the server.
set -eu

command -v Xvfb >/dev/null || { echo "with-xvfb.sh: Xvfb is missing (Debian: xvfb)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-xvfb-XXXXXX")
trap 'kill "$xpid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
# -displayfd prints the display number once the server accepts clients;
# -noreset: no server reset (refusing clients for a moment) each time the
# last client leaves, as happens between two runs of the app.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$tmp/display" >"$tmp/log" 2>&1 &
xpid=$!
for _ in $(seq 100); do
    [ -s "$tmp/display" ] && break
    sleep 0.1
done
[ -s "$tmp/display" ] || { echo "with-xvfb.sh: Xvfb did not start" >&2; cat "$tmp/log" >&2; exit 1; }
DISPLAY=:$(cat "$tmp/display")
export DISPLAY
unset WAYLAND_DISPLAY
export GDK_BACKEND=x11
"$@"
