# SPDX-License-Identifier: GPL-3.0-or-later
"""modelserver.py: a model hub on the loopback for the UI tests.

Serves files the way Hugging Face does, closely enough for HearthDownload:
a strong ETag, Accept-Ranges, Range ("bytes=N-" and "bytes=N-M") honoured
unless If-Range names another ETag, and the X-Linked-Etag (the file's
SHA-256) and X-Linked-Size headers the hub sends. The body goes out in
16 KiB pieces with a pause after each (`delay`), so that a download of a
1 MB model lasts long enough for its progress to be watched. Also a
repository tree listing at /api/models/OWNER/REPO/tree/main, as the hub's
API gives it. Every request is recorded (method, path, status, body bytes
sent) for the test to compare with the app's network log.
"""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 16 * 1024


class ModelServer:
    def __init__(self, delay=0.05):
        self.files = {}      # path -> (bytes, sha256 hex)
        self.trees = {}      # "OWNER/REPO" -> listing (a list of dicts)
        self.requests = []   # (method, path, status, bytes sent)
        self.delay = delay
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def record(self, status, sent):
                with server.lock:
                    server.requests.append(("GET", self.path, status, sent))

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path.startswith("/api/models/") and path.endswith("/tree/main"):
                    repo = path[len("/api/models/"):-len("/tree/main")]
                    if repo not in server.trees:
                        body = b'{"error":"Repository not found"}'
                        self.send_response(404)
                    else:
                        body = json.dumps(server.trees[repo]).encode()
                        self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    self.record(404 if repo not in server.trees else 200, len(body))
                    return
                if path not in server.files:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.record(404, 0)
                    return
                data, sha = server.files[path]
                etag = server.etag(path)
                start, end = 0, len(data) - 1
                rng = self.headers.get("Range")
                if_range = self.headers.get("If-Range")
                partial = False
                if rng and rng.startswith("bytes=") and (if_range is None or if_range == etag):
                    a, _, b = rng[len("bytes="):].partition("-")
                    if a.isdigit() and int(a) < len(data):
                        start = int(a)
                        end = min(int(b), len(data) - 1) if b.isdigit() else len(data) - 1
                        partial = True
                status = 206 if partial else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(end - start + 1))
                self.send_header("ETag", etag)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("X-Linked-Etag", '"%s"' % sha)
                self.send_header("X-Linked-Size", str(len(data)))
                if partial:
                    self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))
                self.end_headers()
                sent = 0
                pos = start
                try:
                    while pos <= end:
                        n = min(CHUNK, end + 1 - pos)
                        self.wfile.write(data[pos:pos + n])
                        pos += n
                        sent += n
                        if server.delay:
                            threading.Event().wait(server.delay)
                finally:
                    self.record(status, sent)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add_file(self, path, data):
        sha = hashlib.sha256(data).hexdigest()
        self.files[path] = (data, sha)
        return sha

    def etag(self, path):
        return '"%s"' % self.files[path][1][:16]

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
