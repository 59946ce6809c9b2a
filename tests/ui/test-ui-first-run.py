#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-ui-first-run.py: a first run of the real app, from nothing to a chat.

    test-ui-first-run.py HEARTH_BINARY SCREENSHOT_DIR

Run by meson inside tests/tools/with-keyring.sh and tests/tools/with-xvfb.sh.
An empty data folder; HEARTH_CATALOG names a catalog whose one model
(stories260K, under a name a user would read) is served by a model hub on
the loopback (modelserver.py: Range, If-Range, X-Linked-Etag with the
file's SHA-256, X-Linked-Size, slowed down). The welcome page recommends
it; one click downloads it with its progress in words (bytes, rate, time
left), verifies it, and loads it; a message gets a reply; the network log
window lists the requests the app made (host, path, bytes), and nothing
else; the Models dialog says how the model runs here (the fit check's
verdict and numbers); on a later start, downloads left partial are listed
with Resume (a Range request for the rest only) and Discard (files gone); a
second model whose bytes are not what the catalog says is refused
with the reason and leaves nothing behind; the downloaded file is byte for byte the served one, with no partial
file or state left beside it. Every step asserts what the accessibility
tree shows; anything missing is a failure.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hearthui import App, app_env, click, configure, fail, log, named, set_text, shot  # noqa: E402
from modelserver import ModelServer  # noqa: E402

APP, SHOTS = sys.argv[1], sys.argv[2]
SHARED = os.environ.get("HEARTH_SHARED_DIR", "")
MODEL = os.path.join(SHARED, "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("first-run-"):
        os.unlink(os.path.join(SHOTS, old))

with open(MODEL, "rb") as f:
    model_bytes = f.read()
# About 72 pieces of 16 KiB, 80 ms apart: some 6 seconds to watch.
server = ModelServer(delay=0.08)
FILE_PATH = "/stories/resolve/main/tiny-stories.gguf"
sha = server.add_file(FILE_PATH, model_bytes)
# The same bytes where the catalog expects another file: never loaded.
BAD_PATH = "/damaged/resolve/main/damaged.gguf"
server.add_file(BAD_PATH, model_bytes)

work = tempfile.mkdtemp(prefix="hearth-ui-first-run-")
data_dir = os.path.join(work, "data")
catalog = os.path.join(work, "catalog.json")
with open(catalog, "w") as f:
    json.dump({"version": 1, "models": [{
        "id": "tiny-stories", "name": "Tiny Stories", "publisher": "Hearth tests", "licence": "MIT",
        "kind": "chat", "parameters": 260000, "architecture": "llama", "quantisation": "F32",
        "tensor_types": ["F32"], "n_layer": 5, "n_head_kv": 4, "head_dim": 8, "context_length": 512,
        "file_name": "tiny-stories.gguf", "url": server.url(FILE_PATH), "size": len(model_bytes),
        "sha256": sha, "description": "Writes very short stories.", "source": "https://example.org/",
    }, {
        "id": "damaged", "name": "Damaged Stories", "publisher": "Hearth tests", "licence": "MIT",
        "kind": "chat", "parameters": 260000, "architecture": "llama", "quantisation": "F32",
        "tensor_types": ["F32"], "n_layer": 5, "n_head_kv": 4, "head_dim": 8, "context_length": 512,
        "file_name": "damaged.gguf", "url": server.url(BAD_PATH), "size": len(model_bytes),
        "sha256": "0" * 64, "description": "Not what it claims to be.", "source": "https://example.org/",
    }]}, f)

ENV = app_env(HEARTH_DATA_DIR=data_dir, HEARTH_CATALOG=catalog)
configure(APP, SHOTS, ENV, prefix="first-run-")
WINDOW_ROLES = ("frame", "dialog", "filler", "window")
# g_format_size() puts a no-break space before the unit.
SP = "[ \u00a0]"
NUM = r"[0-9]+(\.[0-9])?"

# ---- 1. the welcome page recommends the catalog's model ----
app = App()
app.find(named("label", "Welcome to Hearth"), what="welcome page")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Recommended for This Computer",
         what="the recommended models")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Tiny Stories", what="the catalog's model")
fit = app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("Writes very short stories."),
               what="the model's description and fit")
if "\n" not in fit.name or not re.search(r"(GPU|CPU)", fit.name):
    fail("the recommendation should say how the model will run: %r" % fit.name)
if server.requests:
    fail("requests before the user asked for any: %r" % server.requests)
shot("01-welcome")

# ---- 2. a file that is not what the catalog says: refused, said why, kept nowhere ----
click(app.button("Damaged Stories"))
app.find(lambda n: n.getRoleName() == "label" and
         (n.name or "").startswith("The download is not the expected file (SHA-256 "),
         timeout=40, what="the verification failure, in words")
app.button("Try Again")
models_dir = os.path.join(data_dir, "models")
if os.path.isdir(models_dir) and os.listdir(models_dir):
    fail("a file that failed verification left %r" % os.listdir(models_dir))
shot("02-refused")

# ---- 3. one click: the download's progress in words ----
click(app.button("Tiny Stories"))
progress_re = re.compile(r"^%s%skB of 1\.2%sMB · %s%skB/s · [0-9]+ seconds? left$" % (NUM, SP, SP, NUM, SP))
seen = []
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    labels = app.find_all(lambda n: n.getRoleName() == "label" and " of 1.2" in (n.name or ""))
    seen += [n.name for n in labels if n.name not in seen]
    if any(progress_re.match(t) for t in seen):
        break
    time.sleep(0.1)
log("progress seen: %r" % seen)
if not any(progress_re.match(t) for t in seen):
    fail("no progress with bytes, rate and time left: %r" % seen)
shot("03-progress")

# ---- 4. verified and loaded: the chat, on the CPU ----
app.find(named("label", "CPU"), timeout=40, what="status line of the loaded model")
dest = os.path.join(data_dir, "models", "tiny-stories.gguf")
if not os.path.isfile(dest):
    fail("the download is not at " + dest)
with open(dest, "rb") as f:
    if f.read() != model_bytes:
        fail("the downloaded file differs from the served one")
left = sorted(n for n in os.listdir(os.path.dirname(dest)) if n != "tiny-stories.gguf")
if left:
    fail("left beside the model: %r" % left)
shot("04-loaded")

# ---- 5. a message and its reply ----
composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
set_text(composer, "Once upon a time")
click(app.button("Send"))
reply = app.find(named("panel", "Assistant replied: "), timeout=40, what="the reply")
if len(reply.name) <= len("Assistant replied: "):
    fail("an empty reply")
shot("05-reply")

# ---- 6. the network log: the two requests, host, path and bytes ----
if [(m, p, s) for (m, p, s, _) in server.requests] != [("GET", BAD_PATH, 200), ("GET", FILE_PATH, 200)]:
    fail("the server saw %r" % server.requests)
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Network Log"),
               what="Network Log menu item"))
win = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Network Log", what="network log window")
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("GET "), within=win, what="a request")
rows = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("GET "),
                                     within=win)]
# Newest first.
want = ["GET 127.0.0.1:%d%s" % (server.port, p) for p in (FILE_PATH, BAD_PATH)]
if rows != want:
    fail("the log should list %r, lists %r" % (want, rows))
size_re = re.compile(r" · HTTP 200 · 1\.2%sMB received$" % SP)
sizes = app.find_all(lambda n: n.getRoleName() == "label" and bool(size_re.search(n.name or "")), within=win)
if len(sizes) != 2:
    fail("each request should say its status and bytes: %r" % [n.name for n in sizes])
shot("06-network-log")
click(app.button("Close", within=win))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Network Log", what="network log window")

# ---- 7. the Models dialog: the downloaded model, with its fit here ----
click(app.button("Models"))
dlg = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Models", what="models dialog")
# stories260K: 128 tokens of context (its own, under the 4096 the
# preferences open with); 5 layers x 4 KV heads x 8 x 2 (K and V) x 2 bytes
# x 128 tokens = 81.9 kB of KV cache; no GPU under Xvfb.
fit_re = re.compile(r"^llama · .*\nCPU only: needs %s%s(kB|MB) of memory \(%s%s(kB|MB) of weights, "
                    r"81\.9%skB for 128 tokens of context\), %s%s(MB|GB) is free$" % (NUM, SP, NUM, SP, SP, NUM, SP))
fits = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("llama · "),
                                     within=dlg)]
if len(fits) != 1 or not fit_re.match(fits[0]):
    fail("the model's row should say how it runs here: %r" % fits)
shot("07-models")
click(app.button("Close", within=dlg))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Models", what="models dialog")
app.close()

# ---- 8. downloads left partial: listed on start, one resumed, one discarded ----
# As a run stopped mid-way leaves them: DEST.part and its state beside it.
MORE_PATH = "/more/resolve/main/more-stories.gguf"
server.add_file(MORE_PATH, model_bytes)
HALF = 400 * 1024


def leave_partial(name, path, data):
    dest = os.path.join(models_dir, name)
    with open(dest + ".part", "wb") as f:
        f.write(data[:HALF])
    with open(dest + ".part.json", "w") as f:
        json.dump({"url": server.url(path), "validator": server.etag(path), "total": len(data), "sha256": ""}, f)


leave_partial("more-stories.gguf", MORE_PATH, model_bytes)
leave_partial("abandoned.gguf", MORE_PATH, model_bytes)
n_requests = len(server.requests)
app = App()
app.find(lambda n: n.getRoleName() == "label" and n.name == "Unfinished Downloads", what="the unfinished downloads")
for name in ("more-stories.gguf", "abandoned.gguf"):
    app.find(lambda n: n.getRoleName() == "label" and n.name == name, what="unfinished " + name)
done_re = re.compile(r"^409\.6%skB of 1\.2%sMB downloaded$" % (SP, SP))
if len(app.find_all(lambda n: n.getRoleName() == "label" and bool(done_re.match(n.name or "")))) != 2:
    fail("each unfinished download should say how much it has")
if len(server.requests) != n_requests:
    fail("requests on start: %r" % server.requests[n_requests:])
shot("08-unfinished")
click(app.button("Discard abandoned.gguf"))
app.wait_gone(lambda n: n.getRoleName() == "label" and n.name == "abandoned.gguf", what="the discarded download")
for suffix in (".part", ".part.json"):
    if os.path.exists(os.path.join(models_dir, "abandoned.gguf" + suffix)):
        fail("Discard left abandoned.gguf" + suffix)
click(app.button("Resume more-stories.gguf"))
app.find(named("label", "CPU"), timeout=40, what="the resumed model loaded")
app.wait_gone(lambda n: n.getRoleName() == "label" and n.name == "Unfinished Downloads", what="the emptied group")
with open(os.path.join(models_dir, "more-stories.gguf"), "rb") as f:
    if f.read() != model_bytes:
        fail("the resumed download differs from the served file")
# One request, for the rest only.
if [(m, p, s, n) for (m, p, s, n) in server.requests[n_requests:]] != [("GET", MORE_PATH, 206, len(model_bytes) - HALF)]:
    fail("the resume asked for %r" % server.requests[n_requests:])
left = sorted(n for n in os.listdir(models_dir) if n.endswith((".part", ".json")))
if left:
    fail("left after the resume: %r" % left)
shot("09-resumed")
app.close()
server.stop()
shutil.rmtree(work, ignore_errors=True)
print("PASS")
