#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a libFuzzer harness for a bounded time on a seed corpus made from the
# shared test data: SEEDS is gguf (models and vocabularies, the default),
# templates (the chat templates), json (the JSON files), replies (the
# chat templates' reference renderings, which hold tool calls) or texts (the
# vocabularies' reference texts; the harness reads the vocabularies from
# $HEARTH_SHARED_DIR). Any finding
# fails the test; criticals and warnings are findings (hearth-fuzz.h).
#   run-fuzz.sh FUZZER SHARED_DIR WORK_DIR SECONDS [SEEDS]
set -euo pipefail
fuzzer=$1 shared=$2 work=$3 seconds=$4 seeds=${5:-gguf}

corpus=$work/corpus
rm -rf "$work"
mkdir -p "$corpus" "$work/artifacts"

n=0
if [ "$seeds" = templates ]; then
    for f in "$shared"/templates/*/template.jinja; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$(basename "$(dirname "$f")")"
        n=$((n + 1))
    done
fi
if [ "$seeds" = json ]; then
    for f in "$shared"/templates/*.json "$shared"/reference/*.json; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$(basename "$f")"
        n=$((n + 1))
    done
fi
if [ "$seeds" = texts ]; then
    for f in "$shared"/tokenizers/*.inp; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$(basename "$f")"
        n=$((n + 1))
    done
fi
export HEARTH_SHARED_DIR=$shared
if [ "$seeds" = replies ]; then
    for f in "$shared"/templates/*/*.txt; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
        n=$((n + 1))
    done
fi
for f in "$shared"/models/*/*.gguf "$shared"/tokenizers/*.gguf; do
    [ "$seeds" = gguf ] || break
    [ -f "$f" ] || continue
    base=$(basename "$f" .gguf)
    size=$(stat -c %s "$f")
    if [ "$size" -le 400000 ]; then
        cp "$f" "$corpus/$base"             # whole file: the accepting paths
    fi
    head -c 16384 "$f" > "$corpus/$base.head"  # header and first metadata
    n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
    echo "no $seeds seeds under $shared: test data missing" >&2
    exit 1
fi

status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=400000 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$corpus" >"$work/fuzz.log" 2>&1 || status=$?
tail -n 25 "$work/fuzz.log"
# A critical or warning aborts (hearth-fuzz.h): it is in the log and an artifact.
if grep -E '(CRITICAL|WARNING) \*\*' "$work/fuzz.log" >&2; then
    echo "GLib criticals or warnings above: findings" >&2
    status=1
fi
grep -E '^#[0-9]+ +DONE' "$work/fuzz.log" || true
if ls "$work"/artifacts/* >/dev/null 2>&1; then
    echo "fuzzer found crashing inputs:" "$work"/artifacts/* >&2
    exit 1
fi
# Never pass the fuzzer's own code through: meson reads 77 as "skipped".
[ "$status" -eq 0 ] || exit 1
