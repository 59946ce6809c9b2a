#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# check-fatal-logs.sh FUZZER: a GLib critical reached inside a harness is a
# finding. With HEARTH_FUZZ_SELFTEST=1 every input reaches a
# g_return_val_if_fail() on purpose: the run must fail with the critical in
# its log and libFuzzer must have written the input down as a crash; without
# it, the same input must run clean.
set -uo pipefail
fuzzer=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
printf '{"a": [1, 2.5, "x"]}' > "$work/corpus/input"

# A corpus folder, as in a fuzzing run (a file argument only replays it and
# writes nothing down).
HEARTH_FUZZ_SELFTEST=1 "$fuzzer" -runs=1 -artifact_prefix="$work/" "$work/corpus" > "$work/self.log" 2>&1
status=$?
if [ "$status" -eq 0 ] || ! grep -q 'CRITICAL \*\*' "$work/self.log" || ! ls "$work"/crash-* >/dev/null 2>&1; then
    echo "a critical in the harness was not a finding (exit $status):" >&2
    cat "$work/self.log" >&2
    exit 1
fi
if ! "$fuzzer" -runs=1 "$work/corpus/input" > "$work/clean.log" 2>&1; then
    echo "the same input without the self-test failed:" >&2
    cat "$work/clean.log" >&2
    exit 1
fi
echo "a critical aborts the harness (exit $status) and the input is kept as $(basename "$work"/crash-*);" \
     "the same input runs clean without the self-test"
