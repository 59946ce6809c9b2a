#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# run-all.sh BUILD_DIR SECONDS CORPUS_DIR [SHARED_DIR]: runs every fuzz target
# of a sanitizer build (tools/hearth-dev test makes build-asan) for SECONDS
# each. Corpora live in CORPUS_DIR/TARGET and grow from run to run (seeded
# from the shared test data the first time); findings go to
# CORPUS_DIR/TARGET-artifacts. Prints executions, corpus size and findings
# per target; exits non-zero when any target found something.
set -uo pipefail
build=$1 seconds=$2 corpora=$3
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${4:-${HEARTH_SHARED_DIR:-$top/../shared}}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# target, seeds (see run-fuzz.sh)
targets=(gguf:gguf jinja:templates json:json tool-call:replies tokenizer:texts)
export HEARTH_SHARED_DIR=$shared
overall=0
printf '%-10s %12s %8s %8s  %s\n' target executions corpus findings log
for t in "${targets[@]}"; do
    name=${t%%:*} seeds=${t#*:}
    fuzzer=$build/tests/fuzz/fuzz-$name
    [ -x "$fuzzer" ] || { echo "missing $fuzzer (a -Dfuzzing=true build)" >&2; exit 2; }
    corpus=$corpora/$name artifacts=$corpora/$name-artifacts log=$corpora/$name.log
    mkdir -p "$corpus" "$artifacts"
    if [ -z "$(ls -A "$corpus")" ]; then
        # The first time: the same seeds as the test suite's short runs.
        seed_work=$(mktemp -d)
        "$top/tests/fuzz/run-fuzz.sh" /bin/true "$shared" "$seed_work" 0 "$seeds" >/dev/null 2>&1 || true
        cp "$seed_work"/corpus/* "$corpus"/ 2>/dev/null || true
        rm -rf "$seed_work"
    fi
    "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=400000 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" > "$log" 2>&1
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    found=$(ls "$artifacts" | wc -l)
    grep -qE '(CRITICAL|WARNING) \*\*' "$log" && found=$((found > 0 ? found : 1))
    [ "$found" -eq 0 ] || overall=1
    printf '%-10s %12s %8s %8s  %s\n' "$name" "$execs" "$(ls "$corpus" | wc -l)" "$found" "$log"
done
exit $overall
