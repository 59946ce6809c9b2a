#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# load-test.sh BUILD_DIR [SECONDS] [MODEL] [SERVE-OPTIONS...]: the load test
# of the local API (not a timed test): `hearth-cli serve`
# on loopback and 32 streaming openai clients for SECONDS (default 60), with
# the machine's load before and after. Needs tests/api/install.sh BUILD_DIR.
# Also the api-load test (10 s).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "$1" && pwd); shift
export SECONDS_RUN=${1:-60}; shift || true
model=${1:-${HEARTH_SHARED_DIR:-$here/../../../shared}/models/stories260K/stories260K-f32.gguf}; shift || true
export HEARTH_CLI=$build/app/cli/hearth-cli HEARTH_API_NODE_MODULES=$build/npm-api/node_modules
. "$here/serve.bash"
api_start "$model" "$@"
export API_PID
echo "before: $(uptime)"
status=0
node "$here/load-test.mjs" || status=$?
echo "after:  $(uptime)"
api_stop
exit $status
