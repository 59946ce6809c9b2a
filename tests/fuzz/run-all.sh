#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# run-all.sh BUILD_DIR SECONDS CORPORA_DIR [SHARED_DIR]: runs every fuzz
# target of a sanitizer build (tools/hearth-dev test makes build-asan) for
# SECONDS each, through run-fuzz.sh --keep: CORPORA_DIR/TARGET holds the
# corpus (seeded the first time, growing after), the inputs of findings and
# the last log. Prints executions, corpus size and findings per target;
# exits non-zero when any target has a finding. HEARTH_FUZZ_TARGETS="json mcp"
# runs only those; HEARTH_FUZZ_RUNS=N stops each after N executions.
set -uo pipefail
build=$1 seconds=$2 corpora=$3
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${4:-${HEARTH_SHARED_DIR:-$top/../shared}}
only=" ${HEARTH_FUZZ_TARGETS:-} "
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# target:seeds, as tests/fuzz/meson.build lists them
targets=(gguf:gguf jinja:templates json:json tool-call:replies tokenizer:texts calculator:expressions
         grammar:grammars mcp:mcp api-request:api plugin-keyfile:keyfiles download-state:download-state
         remote-stream:remote-streams hf-listing:hf-listings
         doc-text:documents-text doc-markdown:documents-markdown doc-html:documents-html
         doc-pdf:documents-pdf doc-docx:documents-docx doc-odt:documents-odt doc-epub:documents-epub)
overall=0
printf '%-13s %12s %7s %8s %8s %8s  %s\n' target executions seconds new-units corpus findings log
for t in "${targets[@]}"; do
    name=${t%%:*} seeds=${t#*:}
    [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || continue
    fuzzer=$build/tests/fuzz/fuzz-$name
    [ -x "$fuzzer" ] || { echo "missing $fuzzer (a -Dfuzzing=true build)" >&2; exit 2; }
    work=$corpora/$name
    start=$(date +%s)
    "$top/tests/fuzz/run-fuzz.sh" "$fuzzer" "$shared" "$work" "$seconds" "$seeds" --keep >/dev/null 2>&1 || overall=1
    took=$(( $(date +%s) - start ))
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/fuzz.log" | grep -oE '[0-9]+$' || echo '?')
    units=$(grep -oE 'stat::new_units_added: *[0-9]+' "$work/fuzz.log" | grep -oE '[0-9]+$' || echo '?')
    found=$(ls "$work/artifacts" | wc -l)
    if [ "$found" -eq 0 ] && grep -qE '(CRITICAL|WARNING) \*\*' "$work/fuzz.log"; then
        found=1
    fi
    printf '%-13s %12s %7s %8s %8s %8s  %s\n' "$name" "$execs" "$took" "$units" "$(ls "$work/corpus" | wc -l)" "$found" "$work/fuzz.log"
done
exit $overall
