#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A tool call end to end in the app, through the accessibility tree.

    test-ui-tools.py TEST_APP SCREENSHOT_DIR HEARTH_CLI

TEST_APP is tests/ui/hearth-ui-test-app: the real app (store with a real
keyring, plugin manager, registry, runtime) whose replies come from a script
(HEARTH_UI_TEST_SCRIPT), since no test model calls tools on purpose. The
tool is the real files plugin's write_file (side effects: it asks), loaded
from build/plugins (HEARTH_PLUGIN_PATH), in a folder granted with
`hearth-cli plugins grant files` on the same store.

The model calls write_file twice: Deny (the file must not exist), then
Allow once (the file exists with the exact content). Each time the approval
dialog shows the arguments in full; both calls get a tool row in the chat;
Tool Activity lists both, newest first, with their decisions; and
`hearth-cli tools audit --json` on the same store afterwards agrees.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from hearthui import App, click, configure, fail, log, named, set_text, shot, text_of

APP, SHOTS, CLI = sys.argv[1], sys.argv[2], sys.argv[3]
SHARED = os.environ.get("HEARTH_SHARED_DIR", "")
MODEL = os.path.join(SHARED, "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
if not os.environ.get("HEARTH_PLUGIN_PATH"):
    fail("HEARTH_PLUGIN_PATH must name build/plugins")
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("tools-"):
        os.unlink(os.path.join(SHOTS, old))

work = tempfile.mkdtemp(prefix="hearth-ui-tools-")
data_dir = os.path.join(work, "data")
granted = os.path.join(work, "granted")
os.makedirs(granted)
denied_path = os.path.join(granted, "denied.txt")
allowed_path = os.path.join(granted, "allowed.txt")
# Quotes, a backslash, a newline and non-ASCII: the arguments must survive
# JSON both ways and show unescaped-as-JSON in the dialog.
CONTENT = 'Hello from Hearth\nline two: "quoted" \\ and caf\u00e9'


def call(path):
    return "<tool_call>\n" + json.dumps({"name": "write_file",
                                         "arguments": {"path": path, "content": CONTENT}}) + "\n</tool_call>"


script = os.path.join(work, "script.txt")
with open(script, "w") as f:
    f.write("\n%%\n".join([
        "I will write the first note." + call(denied_path),
        "The first note was not written.",
        call(allowed_path),
        "The second note is written.",
    ]))

ENV = dict(os.environ)
ENV.update({
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", ""),
    "GSK_RENDERER": "cairo",
    "GSETTINGS_BACKEND": "memory",
    "GTK_A11Y": "atspi",
    "NO_AT_BRIDGE": "0",
    "HEARTH_DATA_DIR": data_dir,
    "HEARTH_UI_TEST_SCRIPT": script,
    "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])),
})
configure(APP, SHOTS, ENV, prefix="tools-")
# GTK 4.8 shows a plain GtkWindow (AdwWindow) as a "filler".
WINDOW_ROLES = ("frame", "dialog", "filler", "window")


def cli(*args):
    r = subprocess.run([CLI] + list(args) + ["--data-dir", data_dir], env=ENV, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        fail("hearth-cli %s failed (%d): %s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r.stdout


# The folder the files plugin may write in, on the store the app opens.
cli("plugins", "grant", "files", granted)

app = App("--model", MODEL)
app.find(named("label", "CPU"), timeout=30, what="model loaded")


def approval(path):
    dlg = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Allow Tool?",
                   timeout=30, what="approval dialog")
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Allow \u201cwrite_file\u201d to run?", within=dlg,
             what="the dialog's heading naming the tool")
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Tool write_file of the plugin files", within=dlg,
             what="the dialog naming the plugin")
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Side effects", within=dlg,
             what="the side effects tag")
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Destructive", within=dlg,
             what="the destructive tag")
    view = app.find(lambda n: n.name == "Arguments" and n.getRoleName() != "label", within=dlg,
                    what="the arguments view")
    shown = text_of(view)
    want = json.dumps({"path": path, "content": CONTENT}, indent=2, ensure_ascii=False)
    if json.loads(shown) != {"path": path, "content": CONTENT}:
        fail("the dialog's arguments %r are not the call's %r" % (shown, want))
    if path not in shown or json.dumps(CONTENT, ensure_ascii=False) not in shown:
        fail("the dialog does not show every argument in full: %r" % shown)
    for name in ("Deny", "Allow once", "Allow in this conversation", "Always allow this tool"):
        app.button(name, within=dlg)
    return dlg


def send(text):
    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    set_text(composer, text)
    click(app.button("Send"))


# ---- 1. Deny: nothing runs ----
log("first call: deny")
send("Write the first note")
dlg = approval(denied_path)
shot("01-approval")
click(app.button("Deny", within=dlg))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Allow Tool?", what="approval dialog")
app.find(lambda n: n.getRoleName() == "panel" and n.name == "Used files \u00b7 write_file: Denied, failed",
         what="the denied call's tool row")
app.find(named("panel", "Assistant replied: The first note was not written."), what="the reply after the denial")
if os.path.exists(denied_path):
    fail("Deny ran the tool: %s exists" % denied_path)
shot("02-denied")

# ---- 2. Allow once: it runs, exactly ----
log("second call: allow once")
send("Write the second note")
dlg = approval(allowed_path)
click(app.button("Allow once", within=dlg))
app.find(lambda n: n.getRoleName() == "panel" and n.name == "Used files \u00b7 write_file: Allowed once",
         what="the allowed call's tool row")
app.find(named("panel", "Assistant replied: The second note is written."), what="the reply after the call")
if not os.path.exists(allowed_path):
    fail("Allow once did not run the tool: %s is missing" % allowed_path)
with open(allowed_path, encoding="utf-8") as f:
    got = f.read()
if got != CONTENT:
    fail("the file has %r, the call asked for %r" % (got, CONTENT))
if os.path.exists(denied_path):
    fail("the denied file appeared later")
# Expanding the row shows the result.
row = app.find(lambda n: n.getRoleName() == "panel" and n.name == "Used files \u00b7 write_file: Allowed once",
               what="the allowed call's tool row")
click(app.find(lambda n: n.getRoleName() in ("push button", "toggle button") and n.queryAction().nActions > 0,
               within=row, what="the tool row's expander"))
app.find(lambda n: n.getRoleName() == "label" and n.name == "Result", within=row, what="the expanded row's result")
shot("03-allowed")

# ---- 3. Tool Activity: both, newest first ----
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Tool Activity"),
               what="Tool Activity menu item"))
audit = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Tool Activity", what="audit window")
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").endswith("Allowed once by you"), within=audit,
         what="the allowed call in the audit")
subtitles = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and
                                          (n.name or "").endswith(" by you"), within=audit)]
if len(subtitles) != 2 or not subtitles[0].endswith("Allowed once by you") or not subtitles[1].endswith("Denied by you"):
    fail("the audit should list the allowed call, then the denied one: %r" % subtitles)
titles = [n.name for n in app.find_all(lambda n: n.getRoleName() == "label" and n.name == "write_file \u00b7 files",
                                       within=audit)]
if len(titles) != 2:
    fail("the audit should name write_file of files twice: %r" % titles)
shot("04-audit")
click(app.button("Close", within=audit))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Tool Activity", what="audit window")

# ---- 3b. Preferences → Plugins: the plugins, the granted folder, no remembered decision ----
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Preferences"),
               what="preferences menu item"))
prefs = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Preferences", what="preferences window")
click(app.find(lambda n: n.getRoleName() in ("push button", "toggle button", "page tab", "radio button") and
               (n.name or "").startswith("Plugins") and n.queryAction().nActions > 0, within=prefs,
               what="the Plugins page's switcher button"))
for name in ("Use the plugin Files", "Use the plugin Calculator"):
    app.find(lambda n: n.getRoleName() in ("switch", "toggle button", "check box") and n.name == name, within=prefs,
             what="switch " + name)
app.find(lambda n: n.getRoleName() == "label" and n.name == "Remembered Decisions", within=prefs,
         what="remembered decisions group")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Every tool with side effects asks first", within=prefs,
         what="no remembered decision (Deny and Allow once remember nothing)")
app.find(lambda n: n.getRoleName() == "label" and n.name == "MCP Servers", within=prefs, what="MCP servers group")
shot("05-plugins")
click(app.button("Close", within=prefs))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Preferences", what="preferences window")
app.close()

# ---- 4. the CLI reads the same audit ----
rows = json.loads(cli("tools", "audit", "--json"))
got = [(r.get("tool"), r.get("plugin"), r.get("decision"), r.get("decided_by"),
        json.loads(r.get("arguments") or "null")) for r in rows]
want = [("write_file", "files", "denied", "user", {"path": denied_path, "content": CONTENT}),
        ("write_file", "files", "allowed-once", "user", {"path": allowed_path, "content": CONTENT})]
if got != want:
    fail("hearth-cli tools audit --json has %r, expected %r (rows: %r)" % (got, want, rows))
if rows[0].get("is_error") is not True or rows[1].get("is_error") is not False:
    fail("the denied call should be an error result and the allowed one not: %r" % rows)
shutil.rmtree(work, ignore_errors=True)
print("PASS (tools)")
