#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-openai.sh: runs test-openai.mjs (the official openai client, installed
# by tests/api/install.sh into the build folder) against `hearth-cli serve`
# on stories260K, then test-openai-structured.mjs (response_format and
# forced tool calls) on synth-qwen3 with Qwen2.5's template, then
# test-openai-embed.mjs on synth-bert served alone (--embed-model) against
# `hearth-cli embed --json`'s vectors. Missing node
# or the client is a failure, not a skip.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/serve.bash"
if ! command -v node >/dev/null; then echo "node (20) is needed: see tools/hearth-dev" >&2; exit 1; fi
if [ ! -f "$HEARTH_API_NODE_MODULES/openai/package.json" ]; then
    echo "the openai client is missing from $HEARTH_API_NODE_MODULES: run tests/api/install.sh BUILD_DIR" >&2
    exit 1
fi
stories="$HEARTH_SHARED_DIR/models/stories260K/stories260K-f32.gguf"
want=$("$HEARTH_CLI" generate -m "$stories" -p "Once upon a time" -n 20 -q 2>/dev/null)
export WANT_COMPLETION=${want#Once upon a time}
api_start "$stories" --sessions 2
trap 'kill "$API_PID" 2>/dev/null || true' EXIT
node "$here/test-openai.mjs"
trap - EXIT
api_stop
api_start "$HEARTH_SHARED_DIR/models/synthetic/synth-qwen3-F32.gguf" --ctx 2048 --sessions 2 \
          --chat-template "$HEARTH_SHARED_DIR/templates/Qwen-Qwen2.5-7B-Instruct/template.jinja"
trap 'kill "$API_PID" 2>/dev/null || true' EXIT
node "$here/test-openai-structured.mjs"
trap - EXIT
api_stop
bert="$HEARTH_SHARED_DIR/models/synthetic/synth-bert-F32.gguf"
WANT_EMBED=$("$HEARTH_CLI" embed -m "$bert" --json "The cat sat on the mat." "Hearth runs offline, on this machine." 2>/dev/null)
export WANT_EMBED
api_start "" --embed-model "$bert"
trap 'kill "$API_PID" 2>/dev/null || true' EXIT
node "$here/test-openai-embed.mjs"
trap - EXIT
api_stop
