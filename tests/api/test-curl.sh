#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test-curl.sh: `hearth-cli serve` answered over HTTP with curl, checked
# field by field against exact references: the model list, greedy
# completions equal to `hearth-cli generate`, chat streamed equal to chat
# not streamed, errors in OpenAI's shape with their status codes (401, 400
# bad JSON, 400 too long, 404 unknown model, 413), tool messages, a
# client that disconnects mid-stream (its session freed, seen in /metrics),
# structured output (response_format json_schema and json_object, greedy
# and seeded, validated by python3-jsonschema; an unsupported schema
# keyword a 400 naming it), forced tool calls (tool_choice required or a
# named function: a call in OpenAI's shape whose arguments validate
# against the tool's schema), the model's memory in /metrics, and
# embeddings (--embed-model): vectors bit-equal to `hearth-cli embed
# --json`'s as floats and as base64, a batch equal to single calls, token-id
# input, truncation, and the errors (no embedding model, empty input, too
# many inputs, bad encoding_format, a chat model asked for embeddings).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/serve.bash"

stories="$HEARTH_SHARED_DIR/models/stories260K/stories260K-f32.gguf"
qwen="$HEARTH_SHARED_DIR/models/synthetic/synth-qwen3-F32.gguf"
n_fail=0
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; n_fail=$((n_fail + 1)); }
# expect NAME ACTUAL WANTED
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got [$2], want [$3]"; fi; }

# post PATH JSON: prints the body, then the status on the last line.
post() { curl -sS -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
             -w '\n%{http_code}' --data-binary @- "$API_URL$1" <<< "$2"; }
status_of() { tail -n1 <<< "$1"; }
body_of() { sed '$d' <<< "$1"; }
# valid JSON SCHEMA: "valid", or why not (Debian's python3-jsonschema, Draft 2020-12).
valid() { /usr/bin/python3 -c 'import json, sys, jsonschema
try:
    jsonschema.Draft202012Validator(json.loads(sys.argv[2]), format_checker=jsonschema.FormatChecker()).validate(json.loads(sys.argv[1]))
    print("valid")
except Exception as e:
    print("invalid: %s" % str(e).splitlines()[0])' "$1" "$2"; }

api_start "$stories" --sessions 2

# --- models ---
r=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $API_TOKEN" "$API_URL/models")
expect "GET /v1/models status" "$(status_of "$r")" 200
expect "GET /v1/models ids" "$(body_of "$r" | jq -c '[.object, (.data | map([.id, .object, .owned_by]))]')" \
       '["list",[["stories260K-f32","model","hearth"]]]'

# --- auth ---
r=$(curl -sS -w '\n%{http_code}' "$API_URL/models")
expect "no token: 401" "$(status_of "$r")" 401
expect "no token: error shape" "$(body_of "$r" | jq -c '[.error.type, .error.code, .error.param]')" \
       '["invalid_request_error","invalid_api_key",null]'
r=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer ${API_TOKEN}x" "$API_URL/models")
expect "wrong token: 401" "$(status_of "$r")" 401
r=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $API_TOKEN" "$API_BASE/metrics")
expect "metrics with token: 200" "$(status_of "$r")" 200
r=$(curl -sS -o /dev/null -w '%{http_code}' "$API_BASE/metrics")
expect "metrics without token: 401" "$r" 401

# --- completions: greedy text equals hearth-cli generate's ---
want=$("$HEARTH_CLI" generate -m "$stories" -p "Once upon a time" -n 20 -q 2>/dev/null)
want=${want#Once upon a time}
expect "generate reference" "$want" ", there was a little girl named Lily. She loved to play outsid"
r=$(post /completions '{"model": "stories260K-f32", "prompt": "Once upon a time", "max_tokens": 20, "temperature": 0}')
expect "completions status" "$(status_of "$r")" 200
expect "completions text" "$(body_of "$r" | jq -r '.choices[0].text')" "$want"
expect "completions shape" "$(body_of "$r" | jq -c '[.object, .model, .choices[0].index, .choices[0].finish_reason, .usage]')" \
       '["text_completion","stories260K-f32",0,"length",{"prompt_tokens":5,"completion_tokens":20,"total_tokens":25}]'
# Streamed completions: the same text in pieces.
s=$(post /completions '{"model": "stories260K-f32", "prompt": "Once upon a time", "max_tokens": 20, "temperature": 0, "stream": true}' | sed '$d')
expect "completions stream text" "$(sed -n 's/^data: //p' <<< "$s" | grep -v '^\[DONE\]$' | jq -j '.choices[0].text')" "$want"
expect "completions stream ends with [DONE]" "$(grep -c '^data: ' <<< "$s" | tr -d ' ')-$(grep '^data: ' <<< "$s" | tail -n1)" \
       "$(grep -c '^data: ' <<< "$s" | tr -d ' ')-data: [DONE]"
# A stop string ends the text before it.
r=$(post /completions '{"model": "stories260K-f32", "prompt": "Once upon a time", "max_tokens": 20, "temperature": 0, "stop": ["Lily"]}')
expect "completions stop" "$(body_of "$r" | jq -c '[.choices[0].text, .choices[0].finish_reason]')" \
       '[", there was a little girl named ","stop"]'

# --- chat: streamed text equals the greedy text not streamed ---
chat='{"model": "stories260K-f32", "messages": [{"role": "system", "content": "You tell stories."}, {"role": "user", "content": "Tell me about Lily"}], "temperature": 0, "max_tokens": 24, "seed": 7'
r=$(post /chat/completions "$chat}")
expect "chat status" "$(status_of "$r")" 200
text=$(body_of "$r" | jq -r '.choices[0].message.content')
[ -n "$text" ] && pass "chat text not empty" || fail "chat text empty"
expect "chat shape" "$(body_of "$r" | jq -c '[.object, .model, .choices[0].message.role, .choices[0].finish_reason, .usage.completion_tokens, (.usage.total_tokens == .usage.prompt_tokens + .usage.completion_tokens), (.id | startswith("chatcmpl-"))]')" \
       '["chat.completion","stories260K-f32","assistant","length",24,true,true]'
usage=$(body_of "$r" | jq -c .usage)
r2=$(post /chat/completions "$chat}")
expect "chat greedy is repeatable" "$(body_of "$r2" | jq -r '.choices[0].message.content')" "$text"
s=$(post /chat/completions "$chat, \"stream\": true, \"stream_options\": {\"include_usage\": true}}" | sed '$d')
events=$(sed -n 's/^data: //p' <<< "$s")
expect "chat stream text" "$(grep -v '^\[DONE\]$' <<< "$events" | jq -j '.choices[0].delta.content // empty')" "$text"
expect "chat stream first delta" "$(head -n1 <<< "$events" | jq -c '.choices[0].delta')" '{"role":"assistant","content":""}'
expect "chat stream finish" "$(grep -v '^\[DONE\]$' <<< "$events" | jq -c 'select(.choices | length > 0) | .choices[0].finish_reason' | tail -n1)" '"length"'
expect "chat stream usage chunk" "$(tail -n2 <<< "$events" | head -n1 | jq -c '[.choices, .usage]')" "[[],$usage]"
expect "chat stream object" "$(head -n1 <<< "$events" | jq -r .object)" "chat.completion.chunk"
expect "chat stream [DONE] last" "$(tail -n1 <<< "$events")" "[DONE]"
# Content as an array of text parts reads as the same text.
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "system", "content": [{"type": "text", "text": "You tell stories."}]}, {"role": "user", "content": [{"type": "text", "text": "Tell me "}, {"type": "text", "text": "about Lily"}]}], "temperature": 0, "max_tokens": 24}')
expect "chat content parts" "$(body_of "$r" | jq -r '.choices[0].message.content')" "$text"

# --- errors ---
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [')
expect "bad JSON: 400" "$(status_of "$r")" 400
expect "bad JSON: code" "$(body_of "$r" | jq -r .error.code)" invalid_json
r=$(post /chat/completions '{"model": "nope", "messages": [{"role": "user", "content": "hi"}]}')
expect "unknown model: 404" "$(status_of "$r")" 404
expect "unknown model: code" "$(body_of "$r" | jq -c '[.error.code, .error.param]')" '["model_not_found","model"]'
long=$(printf 'once upon a time %.0s' $(seq 1 60))
r=$(post /chat/completions "{\"model\": \"stories260K-f32\", \"messages\": [{\"role\": \"user\", \"content\": \"$long\"}]}")
expect "too long: 400" "$(status_of "$r")" 400
expect "too long: code" "$(body_of "$r" | jq -r .error.code)" context_length_exceeded
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 500}')
expect "max_tokens beyond the context: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.code)" 400-context_length_exceeded
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": []}')
expect "no messages: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-messages
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "robot", "content": "hi"}]}')
expect "unknown role: 400" "$(status_of "$r")" 400
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "temperature": 3}')
expect "temperature out of range: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-temperature
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "^a+$"}}}}')
expect "json_schema with an unsupported keyword: 400 naming it" \
       "$(status_of "$r")-$(body_of "$r" | jq -c '[.error.code, .error.param, (.error.message | test("pattern"))]')" \
       '400-["unsupported_schema","response_format",true]'
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "objec"}}}}')
expect "json_schema with a bad type: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-response_format
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}}')
expect "json_schema without a name: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-response_format
r=$(post /chat/completions '{"model": "stories260K-f32", "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required", "messages": [{"role": "user", "content": "hi"}]}')
expect "tool_choice required on a template without <tool_call>: 400" \
       "$(status_of "$r")-$(body_of "$r" | jq -c '[.error.code, (.error.message | test("<tool_call>"))]')" '400-["unsupported_parameter",true]'
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "yaml"}}')
expect "response_format yaml: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.code)" 400-invalid_value
r=$(post /chat/completions '{"model": "stories260K-f32", "messages": [{"role": "user", "content": "hi"}], "n": 2}')
expect "n = 2: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-n
many=$(printf '{"role": "user", "content": "a"},%.0s' $(seq 1 1025))
r=$(post /chat/completions "{\"model\": \"stories260K-f32\", \"messages\": [${many%,}]}")
expect "too many messages: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.code)" 400-too_many_messages
r=$(head -c 5000000 /dev/zero | tr '\0' ' ' | curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" \
      -H 'Content-Type: application/json' --data-binary @- "$API_URL/chat/completions")
expect "body over 4 MiB: 413" "$r" 413
r=$(post /embeddings '{"model": "stories260K-f32", "input": "hi"}')
expect "embeddings without an embedding model: 400" \
       "$(status_of "$r")-$(body_of "$r" | jq -c '[.error.type, .error.code, .error.param, (.error.message | test("no embedding model loaded"))]')" \
       '400-["invalid_request_error","model_not_supported","model",true]'

r=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" "$API_URL/chat/completions")
expect "GET on a POST endpoint: 405" "$r" 405
r=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_TOKEN" "$API_URL/nothing")
expect "unknown path: 404" "$r" 404

# --- the model's memory, as the engine reports it ---
wbytes=$("$HEARTH_CLI" bench -m "$stories" -p 4 -n 2 -r 1 --no-bandwidth --json 2>/dev/null | jq .weight_bytes_per_token)
m=$(curl -sS -H "Authorization: Bearer $API_TOKEN" "$API_BASE/metrics")
expect "metrics: weight bytes" "$(sed -n 's/^hearth_api_model_weight_bytes{model="stories260K-f32"} //p' <<< "$m")" "$wbytes"
# This build runs on the CPU: no device memory.
expect "metrics: device memory" "$(sed -n 's/^hearth_api_device_memory_bytes{model="stories260K-f32"} //p' <<< "$m")" 0
api_stop

# --- tools: the request and the tool-role round trip, on a template that has tools ---
# The synthetic models have no template (ChatML, which has no tools): Qwen2.5's.
api_start "$qwen" --ctx 2048 --sessions 2 --chat-template "$HEARTH_SHARED_DIR/templates/Qwen-Qwen2.5-7B-Instruct/template.jinja"
tools='[{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]'
trip="{\"model\": \"$API_MODEL\", \"temperature\": 0, \"max_tokens\": 8, \"tools\": $tools, \"messages\": [
  {\"role\": \"user\", \"content\": \"Weather in Paris?\"},
  {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}}]},
  {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"sunny, 21 C\"}]"
r=$(post /chat/completions "$trip}")
expect "tool round trip: 200" "$(status_of "$r")" 200
expect "tool round trip: shape" "$(body_of "$r" | jq -c '[.choices[0].message.role, (.choices[0].finish_reason | IN("stop", "length", "tool_calls")), (.choices[0].message | has("content"))]')" \
       '["assistant",true,true]'
p_with=$(body_of "$r" | jq .usage.prompt_tokens)
r=$(post /chat/completions "$trip, \"tool_choice\": \"none\"}")
p_none=$(body_of "$r" | jq .usage.prompt_tokens)
[ "$p_with" -gt "$p_none" ] && pass "tools reach the template ($p_with > $p_none prompt tokens)" \
                            || fail "tools did not change the prompt ($p_with vs $p_none)"
s=$(post /chat/completions "$trip, \"stream\": true}" | sed '$d')
expect "tool round trip streamed: same text" \
       "$(sed -n 's/^data: //p' <<< "$s" | grep -v '^\[DONE\]$' | jq -j '.choices[0].delta.content // empty')" \
       "$(body_of "$(post /chat/completions "$trip}")" | jq -j '.choices[0].message.content // empty')"

# --- structured output: every reply parses and validates against its schema ---
schema=$(jq -c . "$here/../schemas/27-nested-object.json")
fmt="\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"account\", \"strict\": true, \"schema\": $schema}}"
ask="{\"model\": \"$API_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"Describe Lily as JSON\"}], \"max_tokens\": 300, $fmt"
r=$(post /chat/completions "$ask, \"temperature\": 0}")
expect "json_schema greedy: 200" "$(status_of "$r")" 200
greedy_json=$(body_of "$r" | jq -r '.choices[0].message.content')
expect "json_schema greedy: valid ($greedy_json)" "$(valid "$greedy_json" "$schema")" valid
expect "json_schema greedy: ended by itself" "$(body_of "$r" | jq -r '.choices[0].finish_reason')" stop
s=$(post /chat/completions "$ask, \"temperature\": 0, \"stream\": true}" | sed '$d')
expect "json_schema streamed: the same text" \
       "$(sed -n 's/^data: //p' <<< "$s" | grep -v '^\[DONE\]$' | jq -j '.choices[0].delta.content // empty')" "$greedy_json"
for seed in 1 2 3; do
    r=$(post /chat/completions "$ask, \"temperature\": 1.0, \"seed\": $seed}")
    out=$(body_of "$r" | jq -r '.choices[0].message.content')
    expect "json_schema seed $seed: valid ($out)" "$(status_of "$r")-$(valid "$out" "$schema")" 200-valid
    again=$(body_of "$(post /chat/completions "$ask, \"temperature\": 1.0, \"seed\": $seed}")" | jq -r '.choices[0].message.content')
    expect "json_schema seed $seed: repeatable" "$again" "$out"
done
obj="{\"model\": \"$API_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"Lily\"}], \"max_tokens\": 300, \"response_format\": {\"type\": \"json_object\"}"
# Any object: its strings are free, and this model of random weights,
# greedy, never closes one; seeded at 1.0 it does.
r=$(post /chat/completions "$obj, \"temperature\": 1.0, \"seed\": 3}")
out=$(body_of "$r" | jq -r '.choices[0].message.content')
expect "json_object: an object ($out)" "$(status_of "$r")-$(valid "$out" '{"type": "object"}')-$(body_of "$r" | jq -r '.choices[0].finish_reason')" 200-valid-stop

# --- forced tool calls: a call in OpenAI's shape, its arguments valid against the tool's schema ---
tools2='[{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}}, "required": ["city"], "additionalProperties": false}}},
         {"type": "function", "function": {"name": "get_time", "description": "Time in a zone", "parameters": {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET", "JST"]}, "hours": {"type": "integer", "minimum": 0, "maximum": 23}}, "required": ["zone", "hours"]}}}]'
params_of() { jq -c --arg n "$1" '.[] | select(.function.name == $n) | .function.parameters' <<< "$tools2"; }
force="{\"model\": \"$API_MODEL\", \"max_tokens\": 120, \"tools\": $tools2, \"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}]"
for t in '"temperature": 0' '"temperature": 1.0, "seed": 11' '"temperature": 1.0, "seed": 12'; do
    r=$(post /chat/completions "$force, \"tool_choice\": \"required\", $t}")
    expect "tool_choice required ($t): a call" \
           "$(status_of "$r")-$(body_of "$r" | jq -c '[.choices[0].finish_reason, .choices[0].message.content, (.choices[0].message.tool_calls | length), .choices[0].message.tool_calls[0].type, (.choices[0].message.tool_calls[0].id | startswith("call_"))]')" \
           '200-["tool_calls",null,1,"function",true]'
    name=$(body_of "$r" | jq -r '.choices[0].message.tool_calls[0].function.name')
    args=$(body_of "$r" | jq -r '.choices[0].message.tool_calls[0].function.arguments')
    expect "tool_choice required ($t): $name($args) valid" "$(valid "$args" "$(params_of "$name")")" valid
done
r=$(post /chat/completions "$force, \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}, \"temperature\": 0}")
args=$(body_of "$r" | jq -r '.choices[0].message.tool_calls[0].function.arguments')
expect "named function forced: get_time called" \
       "$(status_of "$r")-$(body_of "$r" | jq -c '[.choices[0].finish_reason, .choices[0].message.tool_calls[0].function.name]')" \
       '200-["tool_calls","get_time"]'
expect "named function forced: get_time($args) valid" "$(valid "$args" "$(params_of get_time)")" valid
s=$(post /chat/completions "$force, \"tool_choice\": \"required\", \"temperature\": 0, \"stream\": true}" | sed '$d')
greedy_call=$(body_of "$(post /chat/completions "$force, \"tool_choice\": \"required\", \"temperature\": 0}")" | jq -c '.choices[0].message.tool_calls[0].function')
expect "tool_choice required streamed: the same call" \
       "$(sed -n 's/^data: //p' <<< "$s" | grep -v '^\[DONE\]$' | jq -c 'select(.choices[0].delta.tool_calls) | .choices[0].delta.tool_calls[0] | [.index, .type, .function]')" \
       "[0,\"function\",$greedy_call]"
expect "tool_choice required streamed: finish" \
       "$(sed -n 's/^data: //p' <<< "$s" | grep -v '^\[DONE\]$' | jq -r '.choices[0].finish_reason // empty')" tool_calls
r=$(post /chat/completions "{\"model\": \"$API_MODEL\", \"tool_choice\": \"required\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
expect "tool_choice required without tools: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-tool_choice
r=$(post /chat/completions "$force, \"tool_choice\": \"required\", \"response_format\": {\"type\": \"json_object\"}}")
expect "tool_choice required with a response_format: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-tool_choice
r=$(post /chat/completions "{\"model\": \"$API_MODEL\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\", \"properties\": {\"s\": {\"type\": \"string\", \"pattern\": \"x\"}}}}}], \"tool_choice\": \"required\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
expect "tool_choice required on an unsupported schema: 400 naming it" \
       "$(status_of "$r")-$(body_of "$r" | jq -c '[.error.code, .error.param, (.error.message | test("pattern"))]')" \
       '400-["unsupported_schema","tools",true]'
r=$(post /chat/completions "{\"model\": \"$API_MODEL\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}")
expect "tool message without tool_call_id: 400" "$(status_of "$r")" 400
r=$(post /chat/completions "{\"model\": \"$API_MODEL\", \"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"c\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"not json\"}}]}]}")
expect "tool call arguments not JSON: 400" "$(status_of "$r")" 400

# --- a client that disconnects mid-stream frees its session ---
metric() { curl -sS -H "Authorization: Bearer $API_TOKEN" "$API_BASE/metrics" | sed -n "s/^$1 //p"; }
before=$(metric hearth_api_generated_tokens_total)
curl -sS -N -m 1 -H "Authorization: Bearer $API_TOKEN" -o "$API_TMP/partial" --data-binary @- "$API_URL/chat/completions" \
     <<< "{\"model\": \"$API_MODEL\", \"temperature\": 0, \"max_tokens\": 1900, \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}" || true
grep -q '^data: {' "$API_TMP/partial" && pass "the stream had started" || fail "no chunk before the disconnect"
grep -q '\[DONE\]' "$API_TMP/partial" && fail "the stream had ended before the disconnect" || pass "cut mid-stream"
for _ in $(seq 1 50); do [ "$(metric hearth_api_active_sessions)" = 0 ] && break; sleep 0.1; done
expect "disconnect counted" "$(metric hearth_api_client_disconnects_total)" 1
expect "its session is free" "$(metric hearth_api_active_sessions)-$(metric hearth_api_queue_length)" 0-0
after=$(metric hearth_api_generated_tokens_total)
[ $((after - before)) -lt 1900 ] && pass "it stopped early ($((after - before)) tokens)" || fail "it ran to the end"
m=$(curl -sS -H "Authorization: Bearer $API_TOKEN" "$API_BASE/metrics")
for line in '# TYPE hearth_api_time_to_first_token_seconds histogram' '# TYPE hearth_api_tokens_per_second histogram' \
            "hearth_api_model_loaded{model=\"$API_MODEL\"} 1" 'hearth_api_sessions 2' \
            'hearth_api_requests_total{endpoint="/v1/chat/completions",status="400"} 5'; do
    grep -qxF "$line" <<< "$m" && pass "metrics: $line" || fail "metrics lack: $line"
done
api_stop

# --- embeddings: the engine's own vectors, bit for bit ---
bert="$HEARTH_SHARED_DIR/models/synthetic/synth-bert-F32.gguf"
texts=("The cat sat on the mat." "Hearth runs offline, on this machine." "")
long=$(printf 'word %.0s' $(seq 1 700))
emb_tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-emb-XXXXXX")
"$HEARTH_CLI" embed -m "$bert" --json "${texts[@]}" > "$emb_tmp/want.json" 2>/dev/null
"$HEARTH_CLI" embed -m "$bert" --json "$long" > "$emb_tmp/want-long.json" 2>/dev/null
api_start "$stories" --embed-model "$bert"
emb_model=$(sed -n 's/^embed-model: //p' "$API_TMP/out")
expect "serve names the embedding model" "$emb_model" synth-bert-F32
r=$(curl -sS -H "Authorization: Bearer $API_TOKEN" "$API_URL/models")
expect "GET /v1/models lists both" "$(jq -c '[.data[].id]' <<< "$r")" '["stories260K-f32","synth-bert-F32"]'
# same WANT GOT [INDEX...]: GOT's vectors (JSON floats or base64) equal
# WANT's (hearth-cli embed --json) as little-endian float32 bytes; INDEX
# picks WANT's rows for GOT's (default: the same order).
same() { /usr/bin/python3 -c 'import base64, json, struct, sys
want = [d["embedding"] for d in json.load(open(sys.argv[1]))["data"]]
got = [d["embedding"] for d in json.loads(sys.argv[2])["data"]]
rows = [int(i) for i in sys.argv[3:]] or list(range(len(want)))
def le(v): return v if isinstance(v, bytes) else struct.pack("<%df" % len(v), *v)
got = [base64.b64decode(g) if isinstance(g, str) else le(g) for g in got]
print("same" if len(got) == len(rows) and all(le(want[w]) == g for w, g in zip(rows, got)) else "different")' "$@"; }
batch=$(jq -cn --arg m "$emb_model" --args '{model: $m, input: $ARGS.positional}' "${texts[@]}")
r=$(post /embeddings "$batch")
expect "embeddings batch: 200" "$(status_of "$r")" 200
expect "embeddings batch: shape" \
       "$(body_of "$r" | jq -c '[.object, .model, [.data[] | [.object, .index, (.embedding | length)]], .usage]')" \
       "$(jq -c --arg m "$emb_model" '["list", $m, [.data[] | ["embedding", .index, (.embedding | length)]],
           {prompt_tokens: ([.data[].n_tokens] | add), total_tokens: ([.data[].n_tokens] | add)}]' "$emb_tmp/want.json")"
expect "embeddings batch: floats equal hearth-cli embed's" "$(same "$emb_tmp/want.json" "$(body_of "$r")")" same
r=$(post /embeddings "$(jq -c '. + {encoding_format: "base64"}' <<< "$batch")")
expect "embeddings base64: the same bytes" "$(status_of "$r")-$(same "$emb_tmp/want.json" "$(body_of "$r")")" 200-same
for i in 0 1 2; do
    r=$(post /embeddings "$(jq -cn --arg m "$emb_model" --arg t "${texts[$i]}" '{model: $m, input: $t, encoding_format: "float"}')")
    expect "embeddings single text $i equals the batch's" "$(status_of "$r")-$(same "$emb_tmp/want.json" "$(body_of "$r")" "$i")" 200-same
done
ids=$("$HEARTH_CLI" tokenize -m "$bert" --text "${texts[0]}" 2>/dev/null | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": [[$ids]]}")
expect "embeddings of token ids ([$ids]) equal the text's" "$(status_of "$r")-$(same "$emb_tmp/want.json" "$(body_of "$r")" 0)" 200-same
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": [$ids]}")
expect "embeddings of one token-id array" "$(status_of "$r")-$(same "$emb_tmp/want.json" "$(body_of "$r")" 0)" 200-same
r=$(curl -sS -D "$API_TMP/headers" -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' -w '\n%{http_code}' \
        --data-binary "$(jq -cn --arg m "$emb_model" --arg t "$long" '{model: $m, input: $t}')" "$API_URL/embeddings")
expect "a text longer than the context: truncated like hearth-cli embed" \
       "$(status_of "$r")-$(same "$emb_tmp/want-long.json" "$(body_of "$r")")-$(jq -c '.data[0] | [.truncated, .n_tokens]' "$emb_tmp/want-long.json")-$(body_of "$r" | jq .usage.prompt_tokens)" \
       "200-same-[true,$(jq '.data[0].n_tokens' "$emb_tmp/want-long.json")]-$(jq '.data[0].n_tokens' "$emb_tmp/want-long.json")"
expect "truncation is told in X-Hearth-Truncated" "$(sed -n 's/^[Xx]-[Hh]earth-[Tt]runcated: \([0-9]*\).*/\1/p' "$API_TMP/headers")" 1
err() { body_of "$1" | jq -c '[.error.type, .error.code, .error.param]'; }
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": []}")
expect "empty input array: 400" "$(status_of "$r")-$(err "$r")" '400-["invalid_request_error","invalid_value","input"]'
r=$(post /embeddings "$(jq -cn --arg m "$emb_model" '{model: $m, input: [range(2049) | "x"]}')")
expect "2049 inputs: 400" "$(status_of "$r")-$(err "$r")-$(body_of "$r" | jq -r .error.message)" \
       "400-[\"invalid_request_error\",\"invalid_value\",\"input\"]-'input' holds 2049 inputs, more than the 2048 one request may carry"
r=$(post /embeddings "$(jq -cn --arg m "$emb_model" '{model: $m, input: [range(2048) | "x"]}')")
expect "2048 inputs: 200" "$(status_of "$r")-$(body_of "$r" | jq '.data | length')" 200-2048
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": \"x\", \"encoding_format\": \"int8\"}")
expect "bad encoding_format: 400" "$(status_of "$r")-$(err "$r")" '400-["invalid_request_error","invalid_value","encoding_format"]'
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": [1, \"x\"]}")
expect "mixed input: 400" "$(status_of "$r")-$(err "$r")" '400-["invalid_request_error","invalid_type","input"]'
r=$(post /embeddings "{\"model\": \"$emb_model\", \"input\": [[99999999]]}")
expect "a token id outside the vocabulary: 400" "$(status_of "$r")-$(body_of "$r" | jq -r .error.param)" 400-input
r=$(post /embeddings '{"model": "nope", "input": "x"}')
expect "embeddings of an unknown model: 404" "$(status_of "$r")-$(err "$r")" '404-["invalid_request_error","model_not_found","model"]'
r=$(post /embeddings '{"model": "stories260K-f32", "input": "x"}')
expect "embeddings of the chat model: 400 naming the embedding model" \
       "$(status_of "$r")-$(body_of "$r" | jq -r .error.message)" \
       "400-The model 'stories260K-f32' does not make embeddings; this server's embedding models: 'synth-bert-F32'"
r=$(post /chat/completions "{\"model\": \"$emb_model\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
expect "chat with the embedding model: 400" "$(status_of "$r")-$(err "$r")" '400-["invalid_request_error","model_not_supported","model"]'
api_stop
rm -rf "$emb_tmp"

# --keep-history: each finished chat becomes a conversation in the
# (passphrase-keyed, throwaway) history; without it nothing is written.
hist_tmp=$(mktemp -d "${TMPDIR:-/tmp}/hearth-api-history-XXXXXX")
printf 'history passphrase\n' > "$hist_tmp/pass"
hist() { "$HEARTH_CLI" history "$@" --data-dir "$hist_tmp/data" --passphrase-file "$hist_tmp/pass"; }
api_start "$stories" --keep-history --data-dir "$hist_tmp/data" --passphrase-file "$hist_tmp/pass"
r=$(post /chat/completions '{"model": "stories260K-f32", "max_tokens": 8, "temperature": 0, "messages": [{"role": "user", "content": "Tell me about Lily"}]}')
expect "kept chat: 200" "$(status_of "$r")" 200
kept_reply=$(body_of "$r" | jq -r '.choices[0].message.content')
api_stop
expect "kept chat: one conversation" "$(hist list | grep -c 'API: Tell me about Lily')" 1
kept_id=$(hist list | sed -n 's/^ *\([0-9]*\).*API: Tell me about Lily.*/\1/p' | head -n1)
expect "kept chat: the reply the client got" "$(hist export "$kept_id" --format json | jq -r '.messages[-1].content')" "$kept_reply"
rm -rf "$hist_tmp"

echo "1..$(( $(grep -c '' /dev/null) ))" >/dev/null
if [ "$n_fail" -ne 0 ]; then echo "$n_fail check(s) failed"; exit 1; fi
echo "all checks passed"
