#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A remote model end to end in the app, through the accessibility tree.

    test-ui-remote.py APP SCREENSHOT_DIR HEARTH_CLI

A real `hearth-cli serve` on the loopback, serving stories260K with a
throwaway token file, is the remote. In Preferences -> Remote Models the test
adds it as a provider (the token as its key) and tests it ("Works: ...").
Back in the main window it picks the provider for a new conversation from
the model picker (a menu button with one toggle button per place: GTK 4.8's
GtkDropDown cannot be operated through AT-SPI): "Leaves this computer: HOST"
must show before the first message. Then it sends one: the reply must equal
the server's own greedy answer to the request the app makes (one user
message, no system prompt, temperature 0 from the settings, top_p 0.95,
no max_tokens), fetched here with curl, and the status line must say
"remote: HOST".
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from hearthui import App, T0, click, configure, fail, log, named, set_text, shot

APP, SHOTS, CLI = sys.argv[1], sys.argv[2], sys.argv[3]
MODEL = os.path.join(os.environ.get("HEARTH_SHARED_DIR", ""), "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
if shutil.which("curl") is None:
    fail("curl is missing")
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("remote-"):
        os.unlink(os.path.join(SHOTS, old))

work = tempfile.mkdtemp(prefix="hearth-ui-remote-")
ENV = dict(os.environ)
ENV.update({
    # Criticals are not fatal so that a known GTK 4.8 one can be told apart
    # (hearthui.KNOWN_GTK_CRITICALS); every other one fails at close.
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", ""),
    "GSK_RENDERER": "cairo",
    # Shared with gsettings here: temperature 0 for a greedy reply.
    "GSETTINGS_BACKEND": "keyfile",
    "XDG_CONFIG_HOME": os.path.join(work, "config"),
    "HEARTH_DATA_DIR": os.path.join(work, "data"),
    "GTK_A11Y": "atspi",
    "NO_AT_BRIDGE": "0",
    "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])),
})
ENV.pop("HEARTH_DEBUG_TOKEN_DELAY_MS", None)
configure(APP, SHOTS, ENV, prefix="remote-")
PROVIDER = "loopback-hearth"
PROMPT = "Once upon a time"

r = subprocess.run(["gsettings", "set", "io.github.hearth.Hearth", "temperature", "0.0"], env=ENV,
                   capture_output=True, text=True)
if r.returncode != 0:
    fail("gsettings: " + r.stderr)

# ---- the remote: hearth-cli serve, its token in a file only it and we read ----
token = "hearth-ui-remote-" + os.urandom(12).hex()
token_file = os.path.join(work, "token")
with open(token_file, "w") as f:
    f.write(token + "\n")
os.chmod(token_file, 0o600)
serve_out = open(os.path.join(work, "serve.out"), "w+")
serve_err = open(os.path.join(work, "serve.err"), "w+")
server = subprocess.Popen([CLI, "serve", "-m", MODEL, "--port", "0", "--token-file", token_file],
                          stdout=serve_out, stderr=serve_err)


def serve_field(key):
    serve_out.seek(0)
    for line in serve_out.read().splitlines():
        if line.startswith(key + ": "):
            return line[len(key) + 2:]
    return None


def stop_server():
    if server.poll() is None:
        server.terminate()
        try:
            rc = server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            fail("hearth-cli serve did not stop on SIGTERM")
        if rc != 0:
            serve_err.seek(0)
            fail("hearth-cli serve exited with %d: %s" % (rc, serve_err.read()))


deadline = time.monotonic() + 30
while True:
    serve_out.seek(0)
    if "\nready\n" in "\n" + serve_out.read():
        break
    if server.poll() is not None or time.monotonic() > deadline:
        serve_err.seek(0)
        fail("hearth-cli serve did not get ready: " + serve_err.read())
    time.sleep(0.1)
URL, SERVED = serve_field("url"), serve_field("model")
HOST = URL[len("http://"):-len("/v1")]
log("serving %s at %s" % (SERVED, URL))

# What the server answers the app's request, greedy.
request = {"model": SERVED, "messages": [{"role": "user", "content": PROMPT}], "temperature": 0, "top_p": 0.95}
r = subprocess.run(["curl", "-sS", "-H", "Authorization: Bearer " + token, "-H", "Content-Type: application/json",
                    "--data-binary", json.dumps(request), URL + "/chat/completions"],
                   capture_output=True, text=True, timeout=120)
if r.returncode != 0:
    stop_server()
    fail("curl failed: " + r.stderr)
WANT = json.loads(r.stdout)["choices"][0]["message"]["content"]
if not WANT.strip():
    stop_server()
    fail("the server's greedy answer is empty: " + r.stdout)
log("greedy answer: %r" % WANT)

try:
    app = App("--model", MODEL)
    app.find(named("label", "CPU"), timeout=60, what="the local model loaded")

    # ---- Preferences -> Remote Models: add the provider and test it ----
    click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
                   n.queryAction().nActions > 0, what="main menu button"))
    click(app.find(lambda n: n.getRoleName() != "label" and
                   (n.name or "").replace("_", "").startswith("Preferences"), what="preferences menu item"))
    prefs = app.find(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
                     n.name == "Preferences", what="preferences window")
    click(app.find(lambda n: n.getRoleName() not in ("label", "panel", "page tab list") and
                   (n.name or "").startswith("Remote Models") and n.queryAction().nActions > 0,
                   within=prefs, what="Remote Models page"))

    def entry(title, roles=("text",)):
        return app.find(lambda n: n.getRoleName() in roles and (n.name or "").startswith(title),
                        within=prefs, what="entry " + title)

    set_text(entry("Name"), PROVIDER)
    set_text(entry("Base URL"), URL)
    set_text(entry("Model"), SERVED)
    set_text(entry("Key", ("password text", "text")), token)
    click(app.button("Add Remote Model", within=prefs))
    click(app.button("Test " + PROVIDER, within=prefs))
    works = app.find(named("label", "Works: "), within=prefs, timeout=60, what="the provider's test result")
    log("test: " + works.name)
    if SERVED not in works.name:
        fail("the test result does not name the model: %r" % works.name)
    shot("01-provider")
    click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Close", within=prefs,
                   what="preferences close button"))
    app.wait_gone(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
                  n.name == "Preferences", what="preferences window")

    # ---- a new conversation on the remote model ----
    click(app.button("New chat"))
    # A GtkMenuButton is a button inside a button; the inner one has the action.
    picker = app.find(lambda n: (n.name or "").startswith("Where this conversation is answered"),
                      what="model picker")
    click(app.find(lambda n: n.getRoleName() in ("push button", "toggle button") and
                   n.queryAction().nActions > 0, within=picker, what="model picker's button"))
    click(app.find(lambda n: n.getRoleName() in ("toggle button", "push button", "radio button") and
                   (n.name or "").startswith(PROVIDER) and n.queryAction().nActions > 0,
                   what="the provider in the picker"))
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Leaves this computer: " + HOST,
             what="'Leaves this computer: %s' before the first message" % HOST)
    if app.find_all(named("panel", "Assistant replied: ")) or app.find_all(named("panel", "You wrote: ")):
        fail("the conversation has messages before the first was sent")
    shot("02-picked")

    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    set_text(composer, PROMPT)
    click(app.button("Send"))
    reply = app.find(lambda n: n.getRoleName() == "panel" and (n.name or "").startswith("Assistant replied: ") and
                     app.find_all(named("push button", "Copy"), within=n), timeout=120, what="the remote reply")
    got = reply.name[len("Assistant replied: "):]
    if got != WANT:
        fail("the app shows %r, the server answers %r" % (got, WANT))
    status = app.find(named("label", "remote: " + HOST), timeout=30, what="status line 'remote: %s'" % HOST)
    log("status: " + status.name)
    shot("03-replied")
    app.close()
finally:
    stop_server()
shutil.rmtree(work, ignore_errors=True)
print("PASS (%.1f s)" % (time.monotonic() - T0))
