#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-ui-hf-import.py: importing a model from Hugging Face in the real app.

    test-ui-hf-import.py HEARTH_BINARY SCREENSHOT_DIR

Run by meson inside tests/tools/with-keyring.sh and tests/tools/with-xvfb.sh.
HEARTH_HF_ENDPOINT points the app at a model hub on the loopback
(modelserver.py: tree listings as the hub's API gives them, files with
Range, X-Linked-Etag and X-Linked-Size, slowed down). From the welcome page
the Import from Hugging Face dialog opens; an address that is not a
repository's, a repository that does not exist, a listing that is not one
and a repository without GGUF files each say so in the dialog; a real
repository lists its GGUF files with their exact sizes and the fit check's
estimate, and nothing else it holds (a file's address lists that file
first); Download fetches stories260K with its
progress in words, verifies it and loads it. With the model loaded, the
Models dialog offers the import too, and lists a download left partial
with Resume (the rest only, then the model is one of "Your Models") and
Discard. The network log lists every request, and the hub saw nothing
else. Every step asserts what the accessibility tree shows.
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
    if old.startswith("hf-import-"):
        os.unlink(os.path.join(SHOTS, old))

with open(MODEL, "rb") as f:
    model_bytes = f.read()
server = ModelServer(delay=0.08)
ENDPOINT = "http://127.0.0.1:%d" % server.port
REPO = "tests/stories260K"
FILE = "stories260K-f32.gguf"
FILE_PATH = "/%s/resolve/main/%s" % (REPO, FILE)
sha = server.add_file(FILE_PATH, model_bytes)
BIG = 4_368_439_584
server.trees[REPO] = [
    {"type": "file", "path": ".gitattributes", "size": 1519},
    {"type": "file", "path": "README.md", "size": 2048},
    {"type": "directory", "path": "original", "size": 0},
    {"type": "file", "path": "model.safetensors", "size": 1048576,
     "lfs": {"oid": "1" * 64, "size": 1048576, "pointerSize": 134}},
    {"type": "file", "path": FILE, "size": len(model_bytes),
     "lfs": {"oid": sha, "size": len(model_bytes), "pointerSize": 134}},
    {"type": "file", "path": "stories-7b-q4_k_m.gguf", "size": BIG,
     "lfs": {"oid": "2" * 64, "size": BIG, "pointerSize": 135}},
]
server.trees["tests/broken"] = {"error": "not a listing"}
server.trees["tests/empty"] = [{"type": "file", "path": "README.md", "size": 12}]

work = tempfile.mkdtemp(prefix="hearth-ui-hf-import-")
data_dir = os.path.join(work, "data")
models_dir = os.path.join(data_dir, "models")
ENV = app_env(HEARTH_DATA_DIR=data_dir, HEARTH_HF_ENDPOINT=ENDPOINT)
configure(APP, SHOTS, ENV, prefix="hf-import-")
WINDOW_ROLES = ("frame", "dialog", "filler", "window")
# g_format_size() puts a no-break space before the unit.
SP = "[ \u00a0]"
NUM = r"[0-9]+(\.[0-9])?"
ESTIMATE = "Estimated from the file size before the download: "
FIT = r"(Runs on the GPU|Partly on the GPU|CPU only|Too large)[^\n]*[0-9]"


def label(text, **kw):
    return app.find(lambda n: n.getRoleName() == "label" and n.name == text, what="label %r" % text, **kw)


def list_files(address, dlg):
    entry = app.find(lambda n: n.getRoleName() in ("entry", "text") and n.name == "Repository address",
                     within=dlg, what="the address field")
    set_text(entry, address)
    click(app.button("List the repository's files", within=dlg))


# ---- 1. the welcome page opens the dialog; nothing requested yet ----
app = App()
app.find(named("label", "Welcome to Hearth"), what="welcome page")
click(app.button("Import from Hugging Face"))
dlg = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Import from Hugging Face",
               what="the import dialog")
if server.requests:
    fail("requests before the user asked for any: %r" % server.requests)
shot("01-dialog")

# ---- 2. each wrong address says what is wrong, in the dialog ----
BAD = "https://example.org/some/model"
list_files(BAD, dlg)
label("“%s” is not the address of a repository on %s" % (BAD, ENDPOINT), within=dlg)
if server.requests:
    fail("an address that is not a repository's was requested: %r" % server.requests)
list_files(ENDPOINT + "/tests/missing", dlg)
label("There is no public repository tests/missing on %s (HTTP 404)" % ENDPOINT, within=dlg)
shot("02-not-found")
list_files(ENDPOINT + "/tests/broken", dlg)
label("The list of files of tests/broken could not be read: it is not a list", within=dlg)
list_files(ENDPOINT + "/tests/empty", dlg)
label("tests/empty has no GGUF files: Hearth runs models in the GGUF format only.", within=dlg)
if app.find_all(lambda n: n.getRoleName() == "label" and n.name == "GGUF Files", within=dlg):
    fail("a failed listing left files on show")

# ---- 3. a repository: its GGUF files, exact names and sizes, the estimate ----
list_files(ENDPOINT + "/" + REPO, dlg)
label("2 GGUF files in " + REPO, within=dlg)
label("GGUF Files", within=dlg)
for name in (FILE, "stories-7b-q4_k_m.gguf"):
    label(name, within=dlg)
for name in (".gitattributes", "README.md", "original", "model.safetensors"):
    if app.find_all(lambda n: n.getRoleName() == "label" and n.name == name, within=dlg):
        fail("%s is not a GGUF file, yet listed" % name)
subtitles = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and ESTIMATE in (n.name or ""),
                                          within=dlg)]
# By path, as the listing sorts them.
want = [r"4\.4%sGB" % SP, r"1\.2%sMB" % SP]
if len(subtitles) != 2 or not all(re.match("^%s\n%s%s" % (w, ESTIMATE, FIT), s) for w, s in zip(want, subtitles)):
    fail("each file should say its size and the fit estimated from it: %r" % subtitles)
shot("03-listed")
# A file's address: its repository's files, that one first.
list_files("%s/%s/blob/main/%s" % (ENDPOINT, REPO, FILE), dlg)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    # Read in the walk: a row the new listing replaced is gone by the time
    # a list of nodes is read.
    names = []
    app.find_all(lambda n: n.getRoleName() == "label" and (n.name or "").endswith(".gguf") and
                 names.append(n.name), within=dlg)
    if names == [FILE, "stories-7b-q4_k_m.gguf"]:
        break
    time.sleep(0.1)
else:
    fail("the file in the address should come first: %r" % names)
label("2 GGUF files in " + REPO, within=dlg)

# ---- 4. Download: progress in words, verified, loaded ----
click(app.button("Download " + FILE, within=dlg))
progress_re = re.compile(r"^%s%skB of 1\.2%sMB · %s%skB/s · [0-9]+ seconds? left$" % (NUM, SP, SP, NUM, SP))
seen = []
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    labels = app.find_all(lambda n: n.getRoleName() == "label" and " of 1.2" in (n.name or ""), within=dlg)
    seen += [n.name for n in labels if n.name not in seen]
    if any(progress_re.match(t) for t in seen):
        break
    time.sleep(0.1)
log("progress seen: %r" % seen)
if not any(progress_re.match(t) for t in seen):
    fail("no progress with bytes, rate and time left: %r" % seen)
shot("04-progress")
label("Downloaded and verified; loading it.", within=dlg, timeout=40)
app.find(named("label", "CPU"), timeout=40, what="status line of the loaded model")
dest = os.path.join(models_dir, FILE)
with open(dest, "rb") as f:
    if f.read() != model_bytes:
        fail("the downloaded file differs from the served one")
left = sorted(n for n in os.listdir(models_dir) if n != FILE)
if left:
    fail("left beside the model: %r" % left)
shot("05-loaded")
click(app.button("Close", within=dlg))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Import from Hugging Face",
              what="the import dialog")

# ---- 5. the Models dialog: the import, and unfinished downloads to resume or discard ----
MORE_PATH = "/%s/resolve/main/more-stories.gguf" % REPO
server.add_file(MORE_PATH, model_bytes)
HALF = 400 * 1024
for name in ("more-stories.gguf", "abandoned.gguf"):
    with open(os.path.join(models_dir, name + ".part"), "wb") as f:
        f.write(model_bytes[:HALF])
    with open(os.path.join(models_dir, name + ".part.json"), "w") as f:
        json.dump({"url": server.url(MORE_PATH), "validator": server.etag(MORE_PATH),
                   "total": len(model_bytes), "sha256": ""}, f)
n_requests = len(server.requests)
click(app.button("Models"))
models = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Models", what="models dialog")
app.button("Import from Hugging Face", within=models)
label("Unfinished Downloads", within=models)
done_re = re.compile(r"^409\.6%skB of 1\.2%sMB downloaded$" % (SP, SP))
if len(app.find_all(lambda n: n.getRoleName() == "label" and bool(done_re.match(n.name or "")), within=models)) != 2:
    fail("each unfinished download should say how much it has")
shot("06-models-unfinished")
click(app.button("Discard abandoned.gguf", within=models))
app.wait_gone(lambda n: n.getRoleName() == "label" and n.name == "abandoned.gguf", what="the discarded download")
for suffix in (".part", ".part.json"):
    if os.path.exists(os.path.join(models_dir, "abandoned.gguf" + suffix)):
        fail("Discard left abandoned.gguf" + suffix)
click(app.button("Resume more-stories.gguf", within=models))
label("Downloaded and verified; added to your models.", within=models, timeout=40)
app.find(lambda n: n.getRoleName() == "label" and n.name == "more-stories.gguf", within=models,
         what="the resumed model among Your Models")
if [r for r in server.requests[n_requests:]] != [("GET", MORE_PATH, 206, len(model_bytes) - HALF)]:
    fail("the resume asked for %r" % server.requests[n_requests:])
with open(os.path.join(models_dir, "more-stories.gguf"), "rb") as f:
    if f.read() != model_bytes:
        fail("the resumed download differs from the served file")
shot("07-models-resumed")
click(app.button("Close", within=models))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Models", what="models dialog")

# ---- 6. the network log: every request, newest first; the hub saw no other ----
paths = ["/api/models/tests/missing/tree/main", "/api/models/tests/broken/tree/main",
         "/api/models/tests/empty/tree/main"] + ["/api/models/%s/tree/main" % REPO] * 2 + [FILE_PATH, MORE_PATH]
if [p for (_, p, _, _) in server.requests] != paths:
    fail("the hub saw %r" % server.requests)
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Network Log"),
               what="Network Log menu item"))
win = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Network Log", what="network log window")
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("GET "), within=win, what="a request")
rows = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("GET "),
                                     within=win)]
want = ["GET 127.0.0.1:%d%s" % (server.port, p) for p in reversed(paths)]
if rows != want:
    fail("the log should list %r, lists %r" % (want, rows))
shot("08-network-log")
click(app.button("Close", within=win))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Network Log", what="network log window")
app.close()
server.stop()
shutil.rmtree(work, ignore_errors=True)
print("PASS")
