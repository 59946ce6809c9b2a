#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Document Q&A end to end in the app, through the accessibility tree.

    test-ui-docs.py APP SCREENSHOT_DIR HEARTH_CLI

A folder of three small text files with known facts, made here. The app
starts on the synthetic llama (its context holds the sources block;
stories260K's 128 tokens do not). In Preferences -> Documents the test
creates a collection, adds the folder and watches the run reach "Done: 3 of
3 files"; the collection lists 3 files. Back in the chat it attaches the
collection (Documents menu), asks about a fact of one file and finds that
file's source chip, whose lines must equal those of `hearth-cli docs search
--json` on the same data folder; clicking the chip asks to open the file.
A question about nothing in the files gets "No relevant passage in the
attached documents".

Before the chat, the collection gets an embedding model (the synthetic
bert) through its "Choose…" button: the app measures the re-index and asks,
saying what it reads and how long it takes (the dialog's text is checked),
re-indexes only after "Re-index" (`hearth-cli docs list --json` then shows a
vector per passage), and "Keyword Only" goes back the same way (no vectors,
the same passages).

Two test seams of the app (both env vars, read only when set):
  HEARTH_TEST_FOLDER      the folder chooser answers with this folder
                          instead of showing the portal's dialog (another
                          process, which AT-SPI under Xvfb cannot drive);
  HEARTH_TEST_LAUNCH_LOG  a source chip appends the URI it would open to
                          this file instead of launching the default app;
  HEARTH_TEST_FILE        the file chooser answers with this file.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pyatspi

from hearthui import App, T0, click, configure, fail, log, named, set_text, shot

APP, SHOTS, CLI = sys.argv[1], sys.argv[2], sys.argv[3]
MODEL = os.path.join(os.environ.get("HEARTH_SHARED_DIR", ""), "models", "synthetic", "synth-llama-F32.gguf")
ENCODER = os.path.realpath(os.path.join(os.environ.get("HEARTH_SHARED_DIR", ""), "models", "synthetic",
                                        "synth-bert-F32.gguf"))
for needed in (MODEL, ENCODER):
    if not os.path.isfile(needed):
        fail("test model missing: " + needed)
if shutil.which("xdotool") is None:
    fail("xdotool is missing (Debian: xdotool)")
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("docs-"):
        os.unlink(os.path.join(SHOTS, old))

work = tempfile.mkdtemp(prefix="hearth-ui-docs-")
data_dir = os.path.join(work, "data")
folder = os.path.join(work, "notes")
os.makedirs(folder)
FILES = {
    "lighthouse.txt": "Keepers of the coast\n\nThe lighthouse on Morvane island is kept by Tobias Quellmark.\n"
                      "He climbs its stairs twice a night.\nThe lamp was installed in 1887.\n",
    "bakery.txt": "Harbour notes\n\nThe harbour bakery sells saffron buns every Thursday.\n"
                  "Its oven is fired with driftwood.\n",
    "orchard.txt": "Orchard register\n\nThe hillside orchard grows seventeen varieties of pear.\n"
                   "Picking starts in late September.\n",
}
for name, text in FILES.items():
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)
launch_log = os.path.join(work, "launch.log")
COLLECTION = "coast-notes"
QUESTION = "Who keeps the lighthouse on Morvane island?"
NOTHING = "What colour is the submarine periscope?"

ENV = dict(os.environ)
ENV.update({
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", ""),
    "GSK_RENDERER": "cairo",
    "GSETTINGS_BACKEND": "keyfile",
    "XDG_CONFIG_HOME": os.path.join(work, "config"),
    "HEARTH_DATA_DIR": data_dir,
    "HEARTH_TEST_FOLDER": folder,
    "HEARTH_TEST_LAUNCH_LOG": launch_log,
    "HEARTH_TEST_FILE": ENCODER,
    "GTK_A11Y": "atspi",
    "NO_AT_BRIDGE": "0",
    "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])),
})
configure(APP, SHOTS, ENV, prefix="docs-")
for key, value in (("temperature", "0.0"), ("context-length", "1024")):
    r = subprocess.run(["gsettings", "set", "io.github.hearth.Hearth", key, value], env=ENV,
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("gsettings: " + r.stderr)


def wait_reply(app, n):
    """The @n-th finished reply (it has its Copy button)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        done = [r for r in app.find_all(named("panel", "Assistant replied: "))
                if app.find_all(lambda b: b.getRoleName() == "push button" and b.name == "Copy reply", within=r)]
        if len(done) >= n:
            return done[n - 1]
        time.sleep(0.3)
    fail("reply %d never finished" % n)


app = App("--model", MODEL)
app.find(named("label", "CPU"), timeout=60, what="the model loaded")

# ---- Preferences -> Documents: a collection, the folder, the run ----
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and
               (n.name or "").replace("_", "").startswith("Preferences"), what="preferences menu item"))
prefs = app.find(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
                 n.name == "Preferences", what="preferences window")
click(app.find(lambda n: n.getRoleName() not in ("label", "panel", "page tab list") and
               (n.name or "").startswith("Documents") and n.queryAction().nActions > 0,
               within=prefs, what="Documents page"))
set_text(app.find(lambda n: n.getRoleName() == "text" and (n.name or "").startswith("Collection name"),
                  within=prefs, what="collection name entry"), COLLECTION)
click(app.button("Create Collection", within=prefs))
click(app.button("Add a folder to " + COLLECTION, within=prefs))
done = app.find(named("label", "Done: 3 of 3 files"), within=prefs, timeout=60, what="the run done")
log("progress: " + done.name)
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("3 files · "), within=prefs,
         timeout=20, what="the collection's figures (3 files)")
shot("01-indexed")


def collection_json():
    r = subprocess.run([CLI, "docs", "list", "--data-dir", data_dir, "--json"], env=ENV, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        fail("hearth-cli docs list: " + r.stderr)
    return [c for c in json.loads(r.stdout)["collections"] if c["name"] == COLLECTION][0]


def reindex(button, body_pattern, settled, what):
    """Click @button, check the question's text, agree, wait until the
    index (read through hearth-cli) is @settled."""
    click(app.button(button, within=prefs))
    dialog = app.find(lambda n: n.getRoleName() in ("dialog", "alert", "frame") and
                      n.name != "Preferences" and n.getRoleName() != "application" and
                      app.find_all(named("label", "Re-index \u201c" + COLLECTION + "\u201d?"), within=n),
                      timeout=60, what="the re-index question (" + what + ")")
    bodies = [n.name for n in app.find_all(named("label", "Every document"), within=dialog)]
    if len(bodies) != 1 or not re.fullmatch(body_pattern, bodies[0]):
        fail("the re-index question says %r, want %r" % (bodies, body_pattern))
    log("asked: " + bodies[0])
    shot("01b-reindex-" + what)
    click(app.button("Re-index", within=dialog))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        c = collection_json()
        if settled(c):
            return c
        time.sleep(0.5)
    fail("the re-index (%s) never settled: %r" % (what, c))


before = collection_json()
# The collection's row opens to show its model, folders and failures. GTK
# 4.8 gives a list item no AT-SPI action: a real click, with xdotool.
row = app.find(lambda n: n.getRoleName() == "list item" and n.name == COLLECTION, within=prefs,
               what="the collection's row")
wins = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(app.proc.pid),
                       "--name", "^Preferences$"], env=ENV, capture_output=True, text=True).stdout.split()
if not wins:
    fail("no X window of the app is named Preferences")
e = row.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
subprocess.run(["xdotool", "mousemove", "--window", wins[0], str(e.x + 20), str(e.y + e.height // 2), "click", "1"],
               env=ENV, check=True)
ESTIMATE = r"On this computer that takes (a few seconds|about \d+ seconds)\. Until it is done, search finds " \
           r"only the documents already re-indexed\."
c = reindex("Choose an embedding model for " + COLLECTION,
            r"Every document \(3 files, \d+ bytes\) is read and embedded again with synth-bert-F32\.gguf\. " + ESTIMATE,
            lambda c: c["embed_model"] == ENCODER and c["files"] == 3 and c["vectors"] == c["chunks"] > 0 and
            not c["interrupted"], "model")
log("with the encoder: %d chunks, %d vectors" % (c["chunks"], c["vectors"]))
app.find(named("label", "synth-bert-F32.gguf \u00b7 keyword and meaning search"), within=prefs, timeout=20,
         what="the collection's model row")
c = reindex("Use keyword search only for " + COLLECTION,
            r"Every document \(3 files, \d+ bytes\) is read again, for keyword search only\. " + ESTIMATE,
            lambda c: c["embed_model"] is None and c["files"] == 3 and c["vectors"] == 0 and
            c["chunks"] == before["chunks"] and not c["interrupted"], "keyword-only")
app.find(named("label", "None: keyword search only"), within=prefs, timeout=20, what="the model row, none again")
app.find(named("label", "Done: 3 of 3 files"), within=prefs, timeout=60, what="the re-index done")
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Close", within=prefs,
               what="preferences close button"))
app.wait_gone(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
              n.name == "Preferences", what="preferences window")

# ---- attach the collection to the conversation ----
menu = app.find(lambda n: (n.name or "").startswith("Documents for this conversation"), what="Documents menu")
inner = app.find(lambda n: n.getRoleName() in ("push button", "toggle button") and n.queryAction().nActions > 0,
                 within=menu, what="Documents menu's button")
click(inner)
shot("02-documents-menu")
click(app.find(lambda n: n.getRoleName() in ("toggle button", "push button", "check box") and
               (n.name or "").startswith(COLLECTION) and n.queryAction().nActions > 0,
               what="the collection in the Documents menu"))
app.find(lambda n: (n.name or "") == "Documents (1)", what="'Documents (1)'")
shot("03-attached")
click(inner)

# ---- a question one file answers: its source chip ----
composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
set_text(composer, QUESTION)
click(app.button("Send"))
reply = wait_reply(app, 1)
chip_name = "Open source "
chips = app.find_all(lambda n: n.getRoleName() == "push button" and (n.name or "").startswith(chip_name),
                     within=reply)
log("chips: %r" % [c.name for c in chips])
mine = [c for c in chips if "lighthouse.txt" in c.name]
if not mine:
    fail("no source chip for lighthouse.txt under the reply: %r" % [c.name for c in chips])
r = subprocess.run([CLI, "docs", "search", "--data-dir", data_dir, "--json", COLLECTION,
                    "lighthouse Morvane island"], env=ENV, capture_output=True, text=True, timeout=60)
if r.returncode != 0:
    fail("hearth-cli docs search: " + r.stderr)
hits = [h for h in json.loads(r.stdout)["hits"] if os.path.basename(h["path"]) == "lighthouse.txt"]
if not hits:
    fail("hearth-cli finds nothing in lighthouse.txt: " + r.stdout)
h = hits[0]
want = "lighthouse.txt · lines %d–%d" % (h["line_start"], h["line_end"])
if not mine[0].name.endswith(want):
    fail("the chip says %r, hearth-cli docs search says %r" % (mine[0].name, want))
log("chip: %s (hearth-cli: %s)" % (mine[0].name, want))
shot("04-sources")
click(mine[0])
deadline = time.monotonic() + 10
uri = "file://" + os.path.join(folder, "lighthouse.txt")
while time.monotonic() < deadline:
    if os.path.exists(launch_log) and uri in open(launch_log).read().split("\n"):
        break
    time.sleep(0.2)
else:
    fail("the chip did not ask to open %s (log: %r)" % (uri, open(launch_log).read()
                                                         if os.path.exists(launch_log) else None))
log("launch request: " + uri)

# ---- a question about nothing in the files ----
set_text(composer, NOTHING)
click(app.button("Send"))
reply2 = wait_reply(app, 2)
app.find(named("label", "No relevant passage in the attached documents"), within=reply2, timeout=10,
         what="the no-passage label under the second reply")
if app.find_all(lambda n: n.getRoleName() == "push button" and (n.name or "").startswith(chip_name),
                within=reply2):
    fail("the second reply has source chips")
shot("05-no-passage")
app.close()
shutil.rmtree(work, ignore_errors=True)
print("PASS (%.1f s)" % (time.monotonic() - T0))
