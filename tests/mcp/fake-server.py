#!/usr/bin/env python3
# fake-server.py: a tiny MCP server (stdio) that misbehaves on request, for test-mcp
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# It answers initialize with protocol version 2025-03-26 (an older one the
# client must accept) after checking what the client sent, refuses
# tools/list before notifications/initialized, and pages its tools two at a
# time. Its tools:
#   echo {text}    returns the text
#   media          an image, an audio clip, a resource and a resource link
#   structured     only structuredContent
#   fail           isError with a reason
#   ask            asks the client for sampling/createMessage, roots/list
#                  and ping, and returns what came back
#   change         adds the tool "extra", sends tools/list_changed, answers
#   slow           answers nothing until cancelled
#   cancelled      the requestIds of notifications/cancelled seen so far
#   garbage        writes a line that is not JSON
#   hang           never answers
#   exit           writes "bye" to stderr and exits
# plus "bad name!" (not a valid tool name) that the client must leave out.
import json
import sys

TOOLS = ["echo", "media", "structured", "fail", "ask", "change", "slow", "cancelled",
         "garbage", "hang", "exit", "bad name!"]
PAGE = 2

initialized = False
cancelled = []
waiting = {}  # our request id -> its name, for "ask"
asked = {}    # name -> what the client answered
ask_call = None


def send(msg):
    msg["jsonrpc"] = "2.0"
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def tool_def(name):
    d = {"name": name, "description": "The %s tool" % name,
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}
    if name == "echo":
        d["annotations"] = {"readOnlyHint": True, "openWorldHint": False}
    elif name == "fail":
        d["annotations"] = {"readOnlyHint": False, "destructiveHint": True, "openWorldHint": False}
    return d


def text_result(text):
    return {"content": [{"type": "text", "text": text}]}


def call(rid, name, args):
    global ask_call
    if name == "echo":
        send({"id": rid, "result": text_result(args.get("text", ""))})
    elif name == "extra":
        send({"id": rid, "result": text_result("extra")})
    elif name == "media":
        send({"id": rid, "result": {"content": [
            {"type": "text", "text": "look:"},
            {"type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo="},
            {"type": "audio", "mimeType": "audio/wav", "data": "UklGRg=="},
            {"type": "resource", "resource": {"uri": "file:///a.txt", "mimeType": "text/plain", "text": "inside"}},
            {"type": "resource_link", "uri": "file:///b.txt", "name": "b"}]}})
    elif name == "structured":
        send({"id": rid, "result": {"content": [], "structuredContent": {"answer": 42}}})
    elif name == "fail":
        send({"id": rid, "result": {"content": [{"type": "text", "text": "no such city"}], "isError": True}})
    elif name == "ask":
        ask_call = rid
        for i, method in enumerate(["sampling/createMessage", "roots/list", "ping"]):
            waiting["s%d" % i] = method
            send({"id": "s%d" % i, "method": method, "params": {}})
    elif name == "change":
        TOOLS.append("extra")
        send({"method": "notifications/tools/list_changed"})
        send({"id": rid, "result": text_result("changed")})
    elif name == "cancelled":
        send({"id": rid, "result": text_result("cancelled: " + ",".join(str(c) for c in cancelled))})
    elif name == "garbage":
        sys.stdout.write("{this is not json\n")
        sys.stdout.flush()
    elif name == "exit":
        sys.stderr.write("bye\n")
        sys.stderr.flush()
        sys.exit(3)
    elif name in ("slow", "hang"):
        pass
    else:
        send({"id": rid, "error": {"code": -32602, "message": "Unknown tool: %s" % name}})


for line in sys.stdin:
    msg = json.loads(line)
    method = msg.get("method")
    rid = msg.get("id")
    if method is None:
        # The client's answer to one of our requests.
        name = waiting.pop(rid)
        asked[name] = msg["error"]["code"] if "error" in msg else json.dumps(msg["result"])
        if not waiting:
            send({"id": ask_call, "result": text_result(
                "; ".join("%s: %s" % (k, asked[k]) for k in ["sampling/createMessage", "roots/list", "ping"]))})
    elif method == "initialize":
        p = msg["params"]
        ok = (p["protocolVersion"] == "2025-06-18" and p["capabilities"] == {}
              and p["clientInfo"]["name"] == "hearth" and p["clientInfo"]["version"] != "")
        if not ok:
            send({"id": rid, "error": {"code": -32602, "message": "bad initialize: " + json.dumps(p)}})
        else:
            send({"id": rid, "result": {"protocolVersion": "2025-03-26",
                                        "capabilities": {"tools": {"listChanged": True}},
                                        "serverInfo": {"name": "fake", "version": "1"}}})
    elif method == "notifications/initialized":
        initialized = True
    elif method == "notifications/cancelled":
        cancelled.append(msg["params"]["requestId"])
    elif not initialized:
        send({"id": rid, "error": {"code": -32600, "message": "not initialized"}})
    elif method == "tools/list":
        start = int(msg.get("params", {}).get("cursor", "0"))
        result = {"tools": [tool_def(n) for n in TOOLS[start:start + PAGE]]}
        if start + PAGE < len(TOOLS):
            result["nextCursor"] = str(start + PAGE)
        send({"id": rid, "result": result})
    elif method == "tools/call":
        call(rid, msg["params"]["name"], msg["params"].get("arguments", {}))
    elif rid is not None:
        send({"id": rid, "error": {"code": -32601, "message": "Method not found"}})
