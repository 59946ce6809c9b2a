#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# check-plugins-cli.sh PLUGINS_BUILD_DIR: `hearth-cli plugins` and `hearth-cli
# tools` against the test plugins (tests/plugins, built), with exact outputs.
# $HEARTH_CLI is the hearth-cli to run; the store is a throwaway one with a
# passphrase file, and XDG_DATA_HOME points into it so no user plugin joins.
set -eu
plugins=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "test passphrase" > "$tmp/pass"
export XDG_DATA_HOME="$tmp/xdg"
export HEARTH_PLUGIN_PATH="$plugins/good:$plugins/abi-wrong:$plugins/tool-hangs:$plugins/tool-errors"
mkdir "$tmp/docs"
. "$(dirname "$0")/cli-expect.bash"

nl='
'

expect "plugins list" 0 "test-abi-wrong (refused): Test: abi-wrong
  Plugin “test-abi-wrong” was built for Hearth plugin ABI 999, and this Hearth has ABI 1; it was not loaded
test-good (loaded): Test: good
  tool echo [read-only]
  tool folders [read-only]
  tool note_read [read-only]
  tool note_write [side-effects]
test-tool-errors (loaded): Test: tool-errors
  tool fail [read-only]
test-tool-hangs (loaded): Test: tool-hangs
  tool hang [read-only]
  tool hang_ignore [read-only]
" "" -- plugins list

expect "tools list" 0 "echo (test-good) [read-only]: Says the text back
fail (test-tool-errors) [read-only]: Always fails
folders (test-good) [read-only]: Lists the folders granted to this plugin
hang (test-tool-hangs) [read-only]: Never completes unless cancelled
hang_ignore (test-tool-hangs) [read-only]: Ignores cancel and completes after a second
note_read (test-good) [read-only]: Reads the note
note_write (test-good) [side-effects]: Keeps a note in this plugin's settings
" "" -- tools list

expect "tools list --json" 0 '[
  {
    "name" : "echo",
    "plugin" : "test-good",
    "description" : "Says the text back",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "fail",
    "plugin" : "test-tool-errors",
    "description" : "Always fails",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "folders",
    "plugin" : "test-good",
    "description" : "Lists the folders granted to this plugin",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "hang",
    "plugin" : "test-tool-hangs",
    "description" : "Never completes unless cancelled",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "hang_ignore",
    "plugin" : "test-tool-hangs",
    "description" : "Ignores cancel and completes after a second",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "note_read",
    "plugin" : "test-good",
    "description" : "Reads the note",
    "effects" : [
      "read-only"
    ],
    "needs_approval" : false
  },
  {
    "name" : "note_write",
    "plugin" : "test-good",
    "description" : "Keeps a note in this plugin'"'"'s settings",
    "effects" : [
      "side-effects"
    ],
    "needs_approval" : true
  }
]
' "" -- tools list --json

expect "call echo" 0 "hello there$nl" "" -- tools call echo '{"text": "hello there"}'
expect "call with bad arguments" 1 "" \
    "hearth-cli: Tool “echo” (plugin “test-good”): argument 'text' must be string, not integer" \
    -- tools call echo '{"text": 3}'
expect "call unknown" 1 "" "hearth-cli: No tool called “nope”" -- tools call nope '{}'
expect "call failing" 1 "" "hearth-cli: Tool “fail” (plugin “test-tool-errors”) failed: the disk is full" \
    -- tools call fail '{}'
expect "call timing out" 1 "" "hearth-cli: Tool “hang” (plugin “test-tool-hangs”) timed out after 0.3 s" \
    -- tools call hang '{}' --timeout-ms 300

# Side effects: denied without --approve yes, and nothing runs.
expect "write, no approval" 1 "" \
    "hearth-cli: Tool “note_write” (plugin “test-good”) needs approval (side-effects); it was not run. Give --approve yes to run it with these arguments: {\"text\": \"kept\"}" \
    -- tools call note_write '{"text": "kept"}'
expect "write, denied" 1 "" \
    "hearth-cli: Tool “note_write” (plugin “test-good”) needs approval (side-effects); it was not run. Give --approve yes to run it with these arguments: {\"text\": \"kept\"}" \
    -- tools call note_write '{"text": "kept"}' --approve no
expect "nothing was written" 0 "(no note)$nl" "" -- tools call note_read '{}'
expect "write, approved" 0 "saved$nl" "" -- tools call note_write '{"text": "kept"}' --approve yes
expect "note read back" 0 "kept$nl" "" -- tools call note_read '{}'
expect "bad --approve" 1 "" "hearth-cli: --approve takes yes or no, not “maybe”" \
    -- tools call note_write '{"text": "x"}' --approve maybe

# Folders.
expect "grant" 0 "" "" -- plugins grant test-good "$tmp/docs"
expect "granted folders" 0 "$tmp/docs$nl" "" -- tools call folders '{}'
expect "revoke" 0 "" "" -- plugins revoke test-good "$tmp/docs"
expect "revoke again" 1 "" "hearth-cli: Folder “$tmp/docs” is not granted to plugin “test-good”" \
    -- plugins revoke test-good "$tmp/docs"
expect "no folders" 0 "$nl" "" -- tools call folders '{}'

# Disable and enable, kept in the store.
expect "disable" 0 "" "" -- plugins disable test-tool-errors
expect "disabled tool gone" 1 "" "hearth-cli: No tool called “fail”" -- tools call fail '{}'
expect "plugins list --json" 0 '[
  {
    "id" : "test-abi-wrong",
    "name" : "Test: abi-wrong",
    "state" : "refused",
    "reason" : "Plugin “test-abi-wrong” was built for Hearth plugin ABI 999, and this Hearth has ABI 1; it was not loaded",
    "tools" : []
  },
  {
    "id" : "test-good",
    "name" : "Test: good",
    "state" : "loaded",
    "reason" : null,
    "tools" : [
      {
        "name" : "echo",
        "effects" : [
          "read-only"
        ],
        "needs_approval" : false
      },
      {
        "name" : "folders",
        "effects" : [
          "read-only"
        ],
        "needs_approval" : false
      },
      {
        "name" : "note_read",
        "effects" : [
          "read-only"
        ],
        "needs_approval" : false
      },
      {
        "name" : "note_write",
        "effects" : [
          "side-effects"
        ],
        "needs_approval" : true
      }
    ]
  },
  {
    "id" : "test-tool-errors",
    "name" : "Test: tool-errors",
    "state" : "disabled",
    "reason" : null,
    "tools" : []
  },
  {
    "id" : "test-tool-hangs",
    "name" : "Test: tool-hangs",
    "state" : "loaded",
    "reason" : null,
    "tools" : [
      {
        "name" : "hang",
        "effects" : [
          "read-only"
        ],
        "needs_approval" : false
      },
      {
        "name" : "hang_ignore",
        "effects" : [
          "read-only"
        ],
        "needs_approval" : false
      }
    ]
  }
]
' "" -- plugins list --json
expect "enable" 0 "" "" -- plugins enable test-tool-errors
expect "enabled tool back" 1 "" "hearth-cli: Tool “fail” (plugin “test-tool-errors”) failed: the disk is full" \
    -- tools call fail '{}'
expect "enable unknown" 1 "" "hearth-cli: No plugin “nope”" -- plugins enable nope

if [ "$failures" -ne 0 ]; then
    echo "$failures failed" >&2
    exit 1
fi
