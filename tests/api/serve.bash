# SPDX-License-Identifier: GPL-3.0-or-later
# serve.bash: sourced by the api tests. api_start MODEL [SERVE-OPTIONS...]
# (MODEL "": no -m, e.g. --embed-model alone)
# runs `$HEARTH_CLI serve` on a free loopback port with a throwaway token
# file and sets API_URL (…/v1), API_BASE (without /v1), API_TOKEN, API_MODEL
# and API_PID; api_stop ends it (SIGTERM) and checks that it exits cleanly.

api_start() {
    local model=$1; shift
    API_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hearth-api-XXXXXX")
    API_TOKEN="hearth-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$API_TOKEN" > "$API_TMP/token"
    "$HEARTH_CLI" serve ${model:+-m "$model"} --port 0 --token-file "$API_TMP/token" "$@" \
        > "$API_TMP/out" 2> "$API_TMP/err" &
    API_PID=$!
    for _ in $(seq 1 300); do
        grep -q '^ready$' "$API_TMP/out" 2>/dev/null && break
        kill -0 "$API_PID" 2>/dev/null || { cat "$API_TMP/err" >&2; echo "serve exited early" >&2; exit 1; }
        sleep 0.1
    done
    grep -q '^ready$' "$API_TMP/out" || { echo "serve never said ready" >&2; exit 1; }
    API_URL=$(sed -n 's/^url: //p' "$API_TMP/out")
    API_MODEL=$(sed -n 's/^model: //p' "$API_TMP/out")
    API_BASE=${API_URL%/v1}
    [ "$(sed -n 's/^token: //p' "$API_TMP/out")" = "$API_TOKEN" ] || { echo "serve printed another token" >&2; exit 1; }
    export API_URL API_BASE API_TOKEN API_MODEL
}

api_stop() {
    local status=0
    kill -TERM "$API_PID" 2>/dev/null || true
    wait "$API_PID" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "serve exited with status $status:" >&2
        cat "$API_TMP/err" >&2
        rm -rf "$API_TMP"
        exit 1
    fi
    rm -rf "$API_TMP"
}
