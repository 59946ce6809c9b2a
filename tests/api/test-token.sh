#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-token.sh: run inside tests/tools/with-keyring.sh. Without
# --token-file, `hearth-cli serve` makes a token, keeps it in the keyring and
# prints it; the next start prints the same one, --regenerate-token a new
# one, and only the current token is let in.
set -euo pipefail
stories="$HEARTH_SHARED_DIR/models/stories260K/stories260K-f32.gguf"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-api-token-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# start [OPTIONS]: prints "URL TOKEN" and leaves the server running as $pid.
start() {
    # A fresh file: the previous server's "ready" must not be read as this one's.
    rm -f "$tmp/out" "$tmp/err"
    "$HEARTH_CLI" serve -m "$stories" --port 0 "$@" > "$tmp/out" 2> "$tmp/err" &
    pid=$!
    for _ in $(seq 1 300); do grep -q '^ready$' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^ready$' "$tmp/out" || { cat "$tmp/err" >&2; exit 1; }
    url=$(sed -n 's/^url: //p' "$tmp/out")
    token=$(sed -n 's/^token: //p' "$tmp/out")
}
stop() { kill -TERM "$pid"; wait "$pid"; }
code() { curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$1/models"; }

start
first=$token
[[ "$first" =~ ^hearth-[0-9a-f]{48}$ ]] || { echo "not a token: $first"; exit 1; }
[ "$(code "$url" "$first")" = 200 ] || { echo "its own token refused"; exit 1; }
stop
start
[ "$token" = "$first" ] || { echo "a second start made another token"; exit 1; }
stop
start --regenerate-token
[ "$token" != "$first" ] || { echo "--regenerate-token kept the token"; exit 1; }
[ "$(code "$url" "$first")" = 401 ] || { echo "the old token still works"; exit 1; }
[ "$(code "$url" "$token")" = 200 ] || { echo "the new token is refused"; exit 1; }
stop
# A host other than the loopback is warned about.
rm -f "$tmp/out" "$tmp/err"
"$HEARTH_CLI" serve -m "$stories" --port 0 --host 0.0.0.0 > "$tmp/out" 2> "$tmp/err" &
pid=$!
for _ in $(seq 1 300); do grep -q '^ready$' "$tmp/out" 2>/dev/null && break; sleep 0.1; done
stop
grep -q 'warning: listening on 0.0.0.0: other machines can reach this server' "$tmp/err" || { echo "no warning"; exit 1; }
echo "ok - keyring token made once, kept, regenerated; non-loopback warned"
