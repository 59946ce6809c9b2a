#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# with-keyring.sh COMMAND...: runs COMMAND with a real, unlocked Secret Service
# (gnome-keyring-daemon) on a private D-Bus session bus, and a throwaway home so
# that nothing touches the user's own keyring or data.
set -eu

if [ "${HEARTH_IN_TEST_KEYRING:-}" != 1 ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-keyring-XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM
    mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
    chmod 700 "$tmp/run"
    export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
           XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run" HEARTH_IN_TEST_KEYRING=1
    unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY
    # Not exec: the trap removes the folder afterwards.
    dbus-run-session -- "$0" "$@"
    exit $?
fi

# Inside the session: the daemon makes and unlocks a "login" keyring with
# this password, which becomes the default collection.
printf '%s' test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
exec "$@"
