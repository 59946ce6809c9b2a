# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the CLI checks (bash): expect NAME STATUS STDOUT STDERR_LAST_LINE
# -- ARGS... runs "$HEARTH_CLI" ARGS against the throwaway store in $tmp
# ($tmp/store, passphrase file $tmp/pass) and checks its exit status, its
# whole stdout and the last line of its stderr ("" for none). The store
# options go before the first "--" in ARGS (what follows it may be another
# program's command line), or at the end. Failures are counted in $failures.
failures=0

expect () {
    local name=$1 want_status=$2 want_out=$3 want_err=$4
    shift 5
    local args=() a placed=0 status=0 got_err
    for a in "$@"; do
        if [ "$a" = -- ] && [ $placed = 0 ]; then
            args+=(--data-dir "$tmp/store" --passphrase-file "$tmp/pass"); placed=1
        fi
        args+=("$a")
    done
    [ $placed = 1 ] || args+=(--data-dir "$tmp/store" --passphrase-file "$tmp/pass")
    "$HEARTH_CLI" "${args[@]}" > "$tmp/out" 2> "$tmp/err" || status=$?
    got_err=$(tail -n 1 "$tmp/err")
    if [ "$status" != "$want_status" ]; then
        echo "FAIL $name: exit status $status, expected $want_status" >&2; cat "$tmp/err" >&2
        failures=$((failures + 1)); return 0
    fi
    if ! printf '%s' "$want_out" | cmp -s - "$tmp/out"; then
        echo "FAIL $name: stdout differs:" >&2
        printf '%s' "$want_out" | diff - "$tmp/out" >&2 || true
        failures=$((failures + 1)); return 0
    fi
    if [ "$got_err" != "$want_err" ]; then
        echo "FAIL $name: stderr ends with '$got_err', expected '$want_err'" >&2
        failures=$((failures + 1)); return 0
    fi
    echo "ok $name"
}
