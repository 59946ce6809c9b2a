#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preferences -> Local API end to end, through the accessibility tree.

    test-ui-api.py APP SCREENSHOT_DIR HEARTH_CLI

References first, without the app: `hearth-cli generate` gives the greedy
completion of a prompt, and a throwaway `hearth-cli serve` on the same
model the greedy chat completion of a request.

Then the app loads stories260K; the local API is off (the URL row says
"Not running", the port is closed). The test turns it on with the page's
switch, on a free port set beforehand in the settings, and reads the URL
and the token (from the keyring, generated on first show) from the page.
On the loopback, with curl: GET /v1/models lists the app's model (200),
without a token or with a wrong one 401; /v1/completions and
/v1/chat/completions answer the references' texts exactly. The token is
regenerated with the page's button: the page shows a new one, the old one
gets 401 and the new one 200. The page's figures must then say 7 requests,
3 errors, 2 replies' worth of timings and the model loaded. Turning the
switch off stops the server: the URL row says "Not running" again and
curl's connection is refused (exit 7). Every wait polls for its condition.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pyatspi

from hearthui import App, T0, app_env, click, configure, fail, log, named, shot

APP, SHOTS, CLI = sys.argv[1], sys.argv[2], sys.argv[3]
MODEL = os.path.join(os.environ.get("HEARTH_SHARED_DIR", ""), "models", "stories260K", "stories260K-f32.gguf")
SERVED = "stories260K-f32"
PROMPT = "Once upon a time"
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
if shutil.which("curl") is None:
    fail("curl is missing")
if shutil.which("xdotool") is None:
    fail("xdotool is missing (Debian: xdotool)")
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("api-"):
        os.unlink(os.path.join(SHOTS, old))

work = tempfile.mkdtemp(prefix="hearth-ui-api-")
# Settings in a key file, shared with gsettings here: the port.
ENV = app_env(GSETTINGS_BACKEND="keyfile", XDG_CONFIG_HOME=os.path.join(work, "config"),
              HEARTH_DATA_DIR=os.path.join(work, "data"))
ENV.pop("HEARTH_DEBUG_TOKEN_DELAY_MS", None)
configure(APP, SHOTS, ENV, prefix="api-")

COMPLETION = {"model": SERVED, "prompt": PROMPT, "max_tokens": 20, "temperature": 0}
CHAT = {"model": SERVED, "messages": [{"role": "system", "content": "You tell stories."},
                                      {"role": "user", "content": "Tell me about Lily"}],
        "max_tokens": 24, "temperature": 0}


def curl(url, token=None, body=None):
    """(curl's exit status, HTTP status, body)."""
    args = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "120"]
    if token is not None:
        args += ["-H", "Authorization: Bearer " + token]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    r = subprocess.run(args + [url], capture_output=True, text=True, timeout=130)
    if r.returncode != 0:
        return r.returncode, None, r.stderr
    text, _, code = r.stdout.rpartition("\n")
    return 0, int(code), text


# ---- the references: hearth-cli generate, and hearth-cli serve on the same model ----
r = subprocess.run([CLI, "generate", "-m", MODEL, "-p", PROMPT, "-n", "20", "-q"], capture_output=True, text=True,
                   timeout=120)
if r.returncode != 0 or not r.stdout.startswith(PROMPT):
    fail("hearth-cli generate: %d %r %s" % (r.returncode, r.stdout, r.stderr))
WANT_COMPLETION = r.stdout[len(PROMPT):]
if WANT_COMPLETION.endswith("\n"):
    WANT_COMPLETION = WANT_COMPLETION[:-1]

ref_token = "hearth-ui-api-" + os.urandom(12).hex()
token_file = os.path.join(work, "token")
with open(token_file, "w") as f:
    f.write(ref_token + "\n")
os.chmod(token_file, 0o600)
serve_out = open(os.path.join(work, "serve.out"), "w+")
serve_err = open(os.path.join(work, "serve.err"), "w+")
ref_server = subprocess.Popen([CLI, "serve", "-m", MODEL, "--port", "0", "--token-file", token_file],
                              stdout=serve_out, stderr=serve_err)
deadline = time.monotonic() + 60
while True:
    serve_out.seek(0)
    out = serve_out.read()
    if "\nready\n" in "\n" + out:
        break
    if ref_server.poll() is not None or time.monotonic() > deadline:
        ref_server.kill()
        serve_err.seek(0)
        fail("hearth-cli serve did not get ready: " + serve_err.read())
    time.sleep(0.1)
REF_URL = [line[len("url: "):] for line in out.splitlines() if line.startswith("url: ")][0]
rc, code, text = curl(REF_URL + "/chat/completions", ref_token, CHAT)
ref_server.terminate()
if ref_server.wait(timeout=30) != 0:
    serve_err.seek(0)
    fail("hearth-cli serve exited with %d: %s" % (ref_server.returncode, serve_err.read()))
if (rc, code) != (0, 200):
    fail("the reference chat completion: curl %d, HTTP %r: %s" % (rc, code, text))
WANT_CHAT = json.loads(text)["choices"][0]["message"]["content"]
if not WANT_CHAT.strip():
    fail("the reference chat completion is empty: " + text)
log("references: completion %r, chat %r" % (WANT_COMPLETION, WANT_CHAT))

# ---- the app: a free port in its settings ----
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    PORT = s.getsockname()[1]
r = subprocess.run(["gsettings", "set", "io.github.hearth.Hearth", "api-port", str(PORT)], env=ENV,
                   capture_output=True, text=True)
if r.returncode != 0:
    fail("gsettings: " + r.stderr)
URL = "http://127.0.0.1:%d/v1" % PORT

app = App("--model", MODEL)
app.find(named("label", "CPU"), timeout=90, what="the local model loaded")

click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and
               (n.name or "").replace("_", "").startswith("Preferences"), what="preferences menu item"))
prefs = app.find(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
                 n.name == "Preferences", what="preferences window")
click(app.find(lambda n: n.getRoleName() not in ("label", "panel", "page tab list") and
               (n.name or "").startswith("Local API") and n.queryAction().nActions > 0,
               within=prefs, what="Local API page"))


def label(name, what, timeout=30):
    return app.find(lambda n: n.getRoleName() == "label" and n.name == name, within=prefs, timeout=timeout,
                    what=what)


def token_shown(other_than=None):
    return app.find(lambda n: n.getRoleName() == "label" and re.fullmatch(r"hearth-[0-9a-f]{48}", n.name or "")
                    and n.name != other_than, within=prefs, timeout=30,
                    what="a token" + (" other than the old one" if other_than else "")).name


label("Not running", "the URL row saying 'Not running' while off")
rc, _, err = curl(URL + "/models")
if rc != 7:
    fail("before the switch is on, curl should be refused (exit 7), got %d: %s" % (rc, err))
label("Requests: 0", "'Requests: 0' while off")
# A row's activatable switch: GTK 4.8 says "check box", its action is "toggle".
switch = app.find(lambda n: n.getRoleName() in ("check box", "switch", "toggle button") and
                  n.name == "Serve the Loaded Model", within=prefs, what="the Local API switch")


def toggle(node):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("toggle", "click", "activate", "press"):
            action.doAction(i)
            return
    fail("%s %r cannot be toggled" % (node.getRoleName(), node.name))


toggle(switch)
url = label(URL, "the URL " + URL, timeout=60)
label("Running: serving " + SERVED, "the status 'Running: serving %s'" % SERVED)
TOKEN = token_shown()
log("serving at %s with token %s…" % (url.name, TOKEN[:12]))
label("Loaded models: " + SERVED, "'Loaded models: %s'" % SERVED)
shot("01-running")

n_requests = n_errors = 0


def scroll_into_view(node):
    """Scrolls the Preferences window (the mouse wheel, with xdotool) until
    @node is inside it, for the screenshot; the figures' checks do not need it."""
    wins = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(app.proc.pid),
                           "--name", "^Preferences$"], capture_output=True, text=True).stdout.split()
    if not wins:
        fail("no X window of the app is named Preferences")
    height = prefs.queryComponent().getExtents(pyatspi.WINDOW_COORDS).height
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        e = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        if 0 <= e.y and e.y + e.height <= height:
            return
        subprocess.run(["xdotool", "mousemove", "--window", wins[0], "300", "300", "click", "5"], check=True)
        time.sleep(0.1)
    log("%r is still out of view; the screenshot will not show it" % node.name)


def call(path, token, body=None, want=200):
    global n_requests, n_errors
    rc, code, text = curl(URL + path, token, body)
    if rc == 0:
        n_requests += 1
        if code >= 400:
            n_errors += 1
    if (rc, code) != (0, want):
        fail("%s %s: curl %d, HTTP %r (want %d): %s" % ("POST" if body else "GET", path, rc, code, want, text))
    return text


ids = [m["id"] for m in json.loads(call("/models", TOKEN))["data"]]
if ids != [SERVED]:
    fail("GET /v1/models lists %r, not [%r]" % (ids, SERVED))
err = json.loads(call("/models", None, want=401))["error"]
if err.get("code") != "invalid_api_key":
    fail("no token: not OpenAI's invalid_api_key error: %r" % err)
call("/models", TOKEN[:-1] + ("0" if TOKEN[-1] != "0" else "1"), want=401)

got = json.loads(call("/completions", TOKEN, COMPLETION))["choices"][0]["text"]
if got != WANT_COMPLETION:
    fail("the app's server completes %r, hearth-cli generate %r" % (got, WANT_COMPLETION))
reply = json.loads(call("/chat/completions", TOKEN, CHAT))
if reply["choices"][0]["message"]["content"] != WANT_CHAT:
    fail("the app's server answers %r, hearth-cli serve %r" % (reply["choices"][0]["message"]["content"], WANT_CHAT))
if reply["model"] != SERVED or reply["usage"]["completion_tokens"] != 24:
    fail("the chat completion's model or usage is wrong: %r" % reply)
log("greedy texts equal to the references")

# ---- a new token: the page shows it, the old one is refused ----
click(app.button("Regenerate Token", within=prefs))
NEW_TOKEN = token_shown(other_than=TOKEN)
log("new token %s…" % NEW_TOKEN[:12])
call("/models", TOKEN, want=401)
ids = [m["id"] for m in json.loads(call("/models", NEW_TOKEN))["data"]]
if ids != [SERVED]:
    fail("GET /v1/models with the new token lists %r" % ids)
label("Running: serving " + SERVED, "the server still running after the new token")

# ---- the page's figures: those of the requests made ----
log("made %d requests, %d errors" % (n_requests, n_errors))
label("Requests: %d" % n_requests, "'Requests: %d'" % n_requests)
label("Errors: %d" % n_errors, "'Errors: %d'" % n_errors)
label("Replies in progress: 0", "'Replies in progress: 0' once answered")
label("Queue length: 0", "'Queue length: 0'")
app.find(lambda n: n.getRoleName() == "label" and re.fullmatch(r"Median time to first token: \d+ ms", n.name or ""),
         within=prefs, timeout=30, what="a median time to first token")
app.find(lambda n: n.getRoleName() == "label" and re.fullmatch(r"Tokens per second: \d+\.\d", n.name or ""),
         within=prefs, timeout=30, what="a tokens/s figure")
memory = label("Device memory in use: None (on the CPU)", "'Device memory in use: None (on the CPU)'")
scroll_into_view(memory)
shot("02-figures")

# ---- off: the port closes ----
toggle(switch)
label("Not running", "the URL row saying 'Not running' once off", timeout=60)
rc, _, err = curl(URL + "/models", NEW_TOKEN)
if rc != 7:
    fail("after the switch is off, curl should be refused (exit 7), got %d: %s" % (rc, err))
label("Requests: 0", "the figures reset once off")
shot("03-off")

click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Close", within=prefs,
               what="preferences close button"))
app.wait_gone(lambda n: n.getRoleName() in ("frame", "dialog", "filler", "window") and
              n.name == "Preferences", what="preferences window")
app.close()
shutil.rmtree(work, ignore_errors=True)
print("PASS (%.1f s)" % (time.monotonic() - T0))
