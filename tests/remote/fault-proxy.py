#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# fault-proxy.py UPSTREAM LOG: a test proxy between Hearth and a real server
# (`hearth-cli serve`), with faults chosen by the first part of the path:
#   /pass/v1/...   forwarded as is, the stream passed on event by event
#   /nousage/v1/...
#                  forwarded event by event, but the usage chunk dropped
#                  (a server that ignores stream_options.include_usage)
#   /slow/v1/...   the same as pass, each text delta split into deltas of 4
#                  characters 40 ms apart (a small model's server sends a
#                  whole short reply in one delta; a slow server does not)
#   /cut/v1/...    split the same way, passed on up to the third piece of
#                  text, then the connection closed without ending the body;
#                  the text passed on is logged as {"cut_after": TEXT}
#   /401/v1/...    401 in OpenAI's error shape ("Incorrect API key provided")
#   /429/v1/...    429 with Retry-After: 7 ("Rate limit reached")
#   /500/v1/...    500 ("upstream exploded")
#   /tools/v1/chat/completions
#                  a scripted model that calls tools (random-weight models
#                  never do): to a conversation that ends with a user
#                  message, a streamed call of write_note {"text": "hi"} in
#                  pieces (id call_abc); after a tool result, the text
#                  "The tool said: RESULT".
#   /cites/v1/chat/completions
#                  a scripted model for prompts longer than the real
#                  server's 128-token context (a documents' sources block):
#                  streams "See [1]." and stops.
#   /wrongtypes/v1/chat/completions
#                  a scripted stream whose fields have the wrong types (a
#                  choice that is a number, content that is an object, a
#                  tool call's index a string, usage counts as strings, a
#                  finish_reason that is a number) around the text "Fine."
#   /manycalls/v1/chat/completions
#                  a stream of 100 tool calls, each with its own index, before
#                  any text (a server that never stops opening calls)
# Each request's body (JSON) is appended to LOG as one line with its mode.
# Prints "url: http://127.0.0.1:PORT" and "ready", then serves until killed.
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

UPSTREAM = urllib.parse.urlsplit(sys.argv[1])
LOG = sys.argv[2]
log_lock = threading.Lock()

ERRORS = {
    "401": (401, {}, "Incorrect API key provided"),
    "429": (429, {"Retry-After": "7"}, "Rate limit reached"),
    "500": (500, {}, "upstream exploded"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, headers, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def event(self, obj):
        self.chunk(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def handle_any(self, method):
        parts = self.path.split("/", 2)
        mode = parts[1] if len(parts) > 2 else ""
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if body:
            with log_lock, open(LOG, "a") as f:
                f.write(json.dumps({"mode": mode, "path": rest, "body": json.loads(body)}) + "\n")
        if mode in ERRORS:
            status, headers, message = ERRORS[mode]
            self.send_json(status, headers, {"error": {"message": message, "type": "test_error",
                                                       "param": None, "code": None}})
            return
        if mode == "tools":
            self.scripted_tools(json.loads(body))
            return
        if mode == "cites":
            self.scripted_cites(json.loads(body))
            return
        if mode == "wrongtypes":
            self.scripted_wrong_types(json.loads(body))
            return
        if mode == "manycalls":
            self.scripted_many_calls(json.loads(body))
            return
        if mode not in ("pass", "nousage", "slow", "cut"):
            self.send_json(404, {}, {"error": {"message": "no such mode"}})
            return
        try:
            self.forward(method, mode, rest, body)
        except (BrokenPipeError, ConnectionResetError):
            # The client stopped the reply: nothing to pass on to.
            self.close_connection = True

    def scripted_tools(self, request):
        last = request["messages"][-1]
        self.start_stream()
        base = {"id": "chatcmpl-tools", "object": "chat.completion.chunk", "created": 0, "model": request["model"]}
        if last["role"] == "tool":
            for piece in ("The tool said: ", last["content"]):
                self.event(dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
            self.event(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        else:
            deltas = [
                {"role": "assistant", "content": None,
                 "tool_calls": [{"index": 0, "id": "call_abc", "type": "function",
                                 "function": {"name": "write_note", "arguments": ""}}]},
                {"tool_calls": [{"index": 0, "function": {"arguments": "{\"text\": "}}]},
                {"tool_calls": [{"index": 0, "function": {"arguments": "\"hi\"}"}}]},
            ]
            for d in deltas:
                self.event(dict(base, choices=[{"index": 0, "delta": d, "finish_reason": None}]))
            self.event(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))
        self.event(dict(base, choices=[], usage={"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}))
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def scripted_cites(self, request):
        self.start_stream()
        base = {"id": "chatcmpl-cites", "object": "chat.completion.chunk", "created": 0, "model": request["model"]}
        for piece in ("See ", "[1]."):
            self.event(dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
        self.event(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        self.event(dict(base, choices=[], usage={"prompt_tokens": 90, "completion_tokens": 3, "total_tokens": 93}))
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def scripted_wrong_types(self, request):
        self.start_stream()
        base = {"id": "chatcmpl-wrong", "object": "chat.completion.chunk", "created": 0, "model": request["model"]}
        self.event(dict(base, choices=[5, "x"]))
        self.event(dict(base, choices=[{"index": 0, "delta": {"content": {"text": "no"}}, "finish_reason": None}]))
        self.event(dict(base, choices=[{"index": 0, "delta": "content", "finish_reason": None}]))
        self.event(dict(base, choices=[{"index": 0, "delta": {"content": "Fine."}, "finish_reason": None}]))
        self.event(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [7, {"index": "zero", "id": 3,
                                                                                   "function": "f"}]},
                                        "finish_reason": None}]))
        self.event(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": 7}]))
        self.event(dict(base, choices=[], usage={"prompt_tokens": "11", "completion_tokens": [7]}))
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")

    def scripted_many_calls(self, request):
        self.start_stream()
        base = {"id": "chatcmpl-many", "object": "chat.completion.chunk", "created": 0, "model": request["model"]}
        try:
            for i in range(100):
                call = {"index": i, "id": "call_%d" % i, "type": "function",
                        "function": {"name": "f", "arguments": "{}"}}
                self.event(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": None}]))
            self.event(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]))
            self.chunk(b"data: [DONE]\n\n")
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def forward(self, method, mode, rest, body):
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "accept")}
        conn.request(method, UPSTREAM.path.rstrip("/") + rest, body=body or None, headers=headers)
        r = conn.getresponse()
        if "text/event-stream" not in (r.getheader("Content-Type") or ""):
            data = r.read()
            self.send_response(r.status)
            for k in ("Content-Type", "Retry-After"):
                if r.getheader(k):
                    self.send_header(k, r.getheader(k))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()
            return
        self.start_stream()
        n_pieces = 0
        sent_text = ""
        event = b""
        while True:
            line = r.readline()
            if not line:
                break
            event += line
            if line not in (b"\n", b"\r\n"):
                continue
            pieces = [event] if mode in ("pass", "nousage") else self.pieces(event)
            if mode == "nousage" and event.startswith(b"data: {") and json.loads(event[6:]).get("usage"):
                pieces = []
            event = b""
            for piece in pieces:
                self.chunk(piece)
                sent_text += self.text_of(piece)
                n_pieces += 1
                if mode == "slow":
                    time.sleep(0.04)
                if mode == "cut" and n_pieces == 4:
                    # The role, three pieces of text, and no last chunk:
                    # the body ends in the middle.
                    self.close_connection = True
                    conn.close()
                    with log_lock, open(LOG, "a") as f:
                        f.write(json.dumps({"mode": mode, "cut_after": sent_text}) + "\n")
                    return
        if event:
            self.chunk(event)
        self.chunk(b"")
        conn.close()

    @staticmethod
    def text_of(event):
        if not event.startswith(b"data: {"):
            return ""
        choices = json.loads(event[6:]).get("choices") or []
        return (choices[0].get("delta", {}).get("content") or "") if choices else ""

    @staticmethod
    def pieces(event):
        """An event whose delta has text, as events of 4 characters each
        (as a slower server streams it); others as they are."""
        if not event.startswith(b"data: {"):
            return [event]
        obj = json.loads(event[6:])
        choices = obj.get("choices") or []
        text = choices[0].get("delta", {}).get("content") if choices else None
        if not text:
            return [event]
        out = []
        for i in range(0, len(text), 4):
            one = json.loads(event[6:])
            one["choices"][0]["delta"]["content"] = text[i:i + 4]
            if i + 4 < len(text):
                one["choices"][0]["finish_reason"] = None
            out.append(b"data: " + json.dumps(one).encode() + b"\n\n")
        return out

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("url: http://127.0.0.1:%d" % server.server_address[1], flush=True)
print("ready", flush=True)
server.serve_forever()
