#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a libFuzzer harness for a bounded time on a corpus seeded from the
# shared test data. SEEDS is gguf (models and vocabularies, the default),
# templates (the chat templates), json (the JSON files), replies (the chat
# templates' reference renderings, which hold tool calls) or texts (the
# vocabularies' reference texts; the harness reads the vocabularies from
# $HEARTH_SHARED_DIR), expressions (seeds/expressions.txt beside this
# script, one per line: the shared data has none), grammars (GBNF and JSON
# Schemas committed in seeds/grammars/), mcp (MCP server output,
# committed in seeds/mcp/ beside this script), api (request bodies for
# the local API, committed in seeds/api/), keyfiles (the .plugin files of
# the shipped and the test plugins), download-state (partial downloads'
# state files, committed in seeds/download-state/), remote-streams (what a
# remote model's server streams back, committed in seeds/remote-streams/,
# the first byte the read size), hf-listings (Hugging Face listings and
# URLs, committed in seeds/hf-listings/), or documents-FORMAT (text,
# markdown, html, pdf, docx, odt, epub: the files of that format that
# tests/documents/make-corpus.sh makes). Any finding fails the run;
# criticals and warnings are findings (hearth-fuzz.h).
#   run-fuzz.sh FUZZER SHARED_DIR WORK_DIR SECONDS [SEEDS [--keep]]
# WORK_DIR gets corpus/, artifacts/ and fuzz.log; the inputs in
# regressions/<fuzzer name>/ beside this script are always in the corpus. Without --keep it starts
# empty (the test suite); with --keep the corpus grows from run to run and
# the inputs of earlier findings stay, failing the run until they are gone
# (run-all.sh). HEARTH_FUZZ_RUNS=N stops the run after N executions (or
# SECONDS, whichever comes first): the long runs of the README.
set -euo pipefail
fuzzer=$1 shared=$2 work=$3 seconds=$4 seeds=${5:-gguf} keep=${6:-}

# Copies the seeds of kind $seeds into $corpus; prints how many.
seed_corpus() {
    local n=0 f base
    case $seeds in
        gguf)
            for f in "$shared"/models/*/*.gguf "$shared"/tokenizers/*.gguf; do
                [ -f "$f" ] || continue
                base=$(basename "$f" .gguf)
                # Whole small files for the accepting paths, the header and
                # first metadata of every file.
                [ "$(stat -c %s "$f")" -gt 400000 ] || cp "$f" "$corpus/$base"
                head -c 16384 "$f" > "$corpus/$base.head"
                n=$((n + 1))
            done ;;
        templates)
            for f in "$shared"/templates/*/template.jinja; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/$(basename "$(dirname "$f")")"
                n=$((n + 1))
            done ;;
        json)
            for f in "$shared"/templates/*.json "$shared"/reference/*.json; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/"
                n=$((n + 1))
            done ;;
        replies)
            for f in "$shared"/templates/*/*.txt; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
                n=$((n + 1))
            done ;;
        texts)
            for f in "$shared"/tokenizers/*.inp; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/"
                n=$((n + 1))
            done ;;
        expressions)
            while IFS= read -r line; do
                n=$((n + 1))
                printf '%s' "$line" > "$corpus/expression-$n"
            done < "$(dirname "$0")/seeds/expressions.txt" ;;
        keyfiles)
            for f in "$(dirname "$0")"/../plugins/*/*.plugin "$(dirname "$0")"/../../plugins/*/*.plugin; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/"
                n=$((n + 1))
            done ;;
        grammars|mcp|api|download-state|remote-streams|hf-listings)
            # Committed in seeds/<kind>/ beside this script: GBNF grammars
            # and JSON Schemas ('s' first), MCP server output, API bodies.
            for f in "$(dirname "$0")"/seeds/"$seeds"/*; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/"
                n=$((n + 1))
            done ;;
        documents-*)
            # The document corpus, made with the real tools
            # (tests/documents/make-corpus.sh), the files of one format.
            local made=$work/made exts
            case ${seeds#documents-} in
                text) exts="txt" ;;
                markdown) exts="md" ;;
                *) exts=${seeds#documents-} ;;
            esac
            if ! sh "$(dirname "$0")/../documents/make-corpus.sh" "$made" >"$work/make-corpus.log" 2>&1; then
                echo "make-corpus.sh failed: $work/make-corpus.log" >&2
                echo 0
                return
            fi
            for f in "$made"/*."$exts"; do
                [ -f "$f" ] || continue
                cp "$f" "$corpus/"
                n=$((n + 1))
            done ;;
        *) echo "unknown seeds: $seeds" >&2; exit 2 ;;
    esac
    echo "$n"
}

corpus=$work/corpus
[ "$keep" = --keep ] || rm -rf "$work"
mkdir -p "$corpus" "$work/artifacts"
if [ -z "$(ls -A "$corpus")" ] && [ "$(seed_corpus)" -eq 0 ]; then
    echo "no $seeds seeds under $shared: test data missing" >&2
    exit 1
fi
# Inputs of past findings (regressions/<fuzzer>/) join the corpus, which
# libFuzzer runs in full before it mutates anything: each is checked again.
regressions=$(dirname "$0")/regressions/$(basename "$fuzzer")
if [ -d "$regressions" ]; then
    cp "$regressions"/* "$corpus"/
fi

export HEARTH_SHARED_DIR=$shared
status=0
"$fuzzer" -max_total_time="$seconds" ${HEARTH_FUZZ_RUNS:+-runs="$HEARTH_FUZZ_RUNS"} -timeout=10 -rss_limit_mb=2048 -max_len=400000 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$corpus" >"$work/fuzz.log" 2>&1 || status=$?
tail -n 25 "$work/fuzz.log"
# A critical or warning aborts (hearth-fuzz.h): it is in the log and an artifact.
if grep -E '(CRITICAL|WARNING) \*\*' "$work/fuzz.log" >&2; then
    echo "GLib criticals or warnings above: findings" >&2
    status=1
fi
if ls "$work"/artifacts/* >/dev/null 2>&1; then
    echo "fuzzer found crashing inputs:" "$work"/artifacts/* >&2
    exit 1
fi
# Never pass the fuzzer's own code through: meson reads 77 as "skipped".
[ "$status" -eq 0 ] || exit 1
