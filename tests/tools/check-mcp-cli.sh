#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# check-mcp-cli.sh PLUGINS_DIR NODE_MODULES: `hearth-cli mcp add|list|remove`
# end to end: a server added on the command line is started by the mcp plugin
# (from PLUGINS_DIR, the build's plugins folder) on the next load, its tools
# are listed and called through `hearth-cli tools`, and it is gone once
# removed. The server is the pinned @modelcontextprotocol/server-everything
# in NODE_MODULES (tests/mcp/install.sh); without it this fails. Exact
# outputs; a throwaway store with a passphrase file.
set -eu
plugins=$1 modules=$2
server=$modules/@modelcontextprotocol/server-everything/dist/index.js
node=$(command -v node) || { echo "node is not in PATH" >&2; exit 1; }
[ -f "$server" ] || { echo "$server is missing: run tests/mcp/install.sh on the build folder" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "test passphrase" > "$tmp/pass"
export XDG_DATA_HOME="$tmp/xdg"
export HEARTH_PLUGIN_PATH="$plugins/mcp"
. "$(dirname "$0")/cli-expect.bash"

expect "empty list" 0 "" "" -- mcp list
expect "add" 0 "Added MCP server ev: its tools are ev_*
" "" -- mcp add ev --env SECRET_TOKEN=abc123 -- "$node" "$server" stdio
expect "list hides env values" 0 "ev: $node $server stdio
  env SECRET_TOKEN
" "" -- mcp list
expect "list json" 0 "[
  {
    \"name\" : \"ev\",
    \"command\" : \"$node\",
    \"args\" : [
      \"$server\",
      \"stdio\"
    ],
    \"env_names\" : [
      \"SECRET_TOKEN\"
    ]
  }
]
" "" -- mcp list --json
expect "duplicate name" 1 "" "hearth-cli: There is already an MCP server called “ev”: remove it first" -- \
    mcp add ev -- "$node"
expect "bad name" 1 "" "hearth-cli: “a b” is not a server name: use 1 to 32 of A-Z, a-z, 0-9, _ and -" -- \
    mcp add "a b" -- "$node"
expect "bad env" 1 "" "hearth-cli: “NOEQUALS” is not an environment entry: write NAME=VALUE" -- \
    mcp add other --env NOEQUALS -- "$node"
expect "no command" 1 "" "hearth-cli: mcp add needs NAME -- COMMAND [ARG...]" -- mcp add other
# The server's tools are the host's, every one of them asking first.
status=0
"$HEARTH_CLI" tools list --json --data-dir "$tmp/store" --passphrase-file "$tmp/pass" > "$tmp/tools" 2> "$tmp/err" || status=$?
if [ "$status" != 0 ] || ! python3 -c '
import json, sys
tools = {t["name"]: t for t in json.load(open(sys.argv[1]))}
assert "ev_echo" in tools and "ev_get-sum" in tools, sorted(tools)
assert all(t["plugin"] == "mcp" and t["needs_approval"] for t in tools.values()), tools
' "$tmp/tools"; then
    echo "FAIL tools list: status $status" >&2; cat "$tmp/tools" "$tmp/err" >&2; failures=$((failures + 1))
else
    echo "ok tools list"
fi
expect "call without approval" 1 "" \
    "hearth-cli: Tool “ev_echo” (plugin “mcp”) needs approval (undeclared); it was not run. Give --approve yes to run it with these arguments: {\"message\": \"hi\"}" -- \
    tools call ev_echo '{"message": "hi"}'
expect "call echo" 0 "Echo: hi from hearth
" "" -- tools call ev_echo '{"message": "hi from hearth"}' --approve yes
expect "call get-sum" 0 "The sum of 2 and 40 is 42.
" "" -- tools call ev_get-sum '{"a": 2, "b": 40}' --approve yes
# A denied call of a server's writing tool writes nothing; allowed, it writes.
fsserver=$modules/@modelcontextprotocol/server-filesystem/dist/index.js
mkdir "$tmp/fsroot"
fsroot=$(cd "$tmp/fsroot" && pwd -P)
expect "add filesystem" 0 "Added MCP server fs: its tools are fs_*
" "" -- mcp add fs -- "$node" "$fsserver" "$fsroot"
write_args="{\"path\": \"$fsroot/out.txt\", \"content\": \"written by hearth\"}"
denied="hearth-cli: Tool “fs_write_file” (plugin “mcp”) needs approval (side-effects, destructive); it was not run. Give --approve yes to run it with these arguments: $write_args"
expect "write denied (no --approve)" 1 "" "$denied" -- tools call fs_write_file "$write_args"
expect "write denied (--approve no)" 1 "" "$denied" -- tools call fs_write_file "$write_args" --approve no
if [ -e "$fsroot/out.txt" ]; then
    echo "FAIL denied calls wrote $fsroot/out.txt" >&2; failures=$((failures + 1))
else
    echo "ok denied calls wrote nothing"
fi
status=0
"$HEARTH_CLI" tools call fs_write_file "$write_args" --approve yes \
    --data-dir "$tmp/store" --passphrase-file "$tmp/pass" > "$tmp/out" 2> "$tmp/err" || status=$?
if [ "$status" != 0 ] || [ "$(cat "$fsroot/out.txt" 2>/dev/null)" != "written by hearth" ]; then
    echo "FAIL allowed write: status $status" >&2; cat "$tmp/out" "$tmp/err" >&2; failures=$((failures + 1))
else
    echo "ok allowed write"
fi
expect "remove filesystem" 0 "Removed MCP server fs
" "" -- mcp remove fs
expect "remove" 0 "Removed MCP server ev
" "" -- mcp remove ev
expect "remove again" 1 "" "hearth-cli: There is no MCP server called “ev”" -- mcp remove ev
expect "gone after remove" 1 "" "hearth-cli: No tool called “ev_echo”" -- tools call ev_echo '{"message": "hi"}' --approve yes
expect "empty again" 0 "" "" -- mcp list

[ "$failures" -eq 0 ] || { echo "$failures failed" >&2; exit 1; }
