#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# with-keyring.sh COMMAND...: runs COMMAND with a real, unlocked Secret Service
# (gnome-keyring-daemon) on a private D-Bus session bus, and a throwaway home so
# that nothing touches the user's own keyring or data.
set -eu

if [ "${HEARTH_IN_TEST_KEYRING:-}" != 1 ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-keyring-XXXXXX")
    # xdg-desktop-portal (Debian's flatpak brings it) may be started on this
    # bus by GTK or libadwaita, and its document portal mounts a FUSE file
    # system at $XDG_RUNTIME_DIR/doc that rm cannot remove: unmount it first,
    # and never let the clean-up change the command's exit status.
    cleanup() {
        status=$?
        if [ -d "$tmp/run/doc" ]; then
            fusermount3 -u -z "$tmp/run/doc" 2>/dev/null || fusermount -u -z "$tmp/run/doc" 2>/dev/null || :
        fi
        rm -rf "$tmp" 2>/dev/null || echo "with-keyring.sh: warning: could not remove $tmp" >&2
        exit "$status"
    }
    trap cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
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
