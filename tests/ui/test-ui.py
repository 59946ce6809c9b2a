#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drives the real Hearth app through the accessibility tree (AT-SPI).

Run by meson inside tests/tools/with-keyring.sh (a private D-Bus session
with an unlocked gnome-keyring) and tests/tools/with-xvfb.sh (a private X
server):

    test-ui.py HEARTH_BINARY SCREENSHOT_DIR

It starts the app on stories260K, sends "Once upon a time", watches the
reply stream in, stops it, regenerates it, edits the first message (a new
branch) and switches back, searches the history, then restarts the app
and finds the conversation again. Every step asserts what the tree shows;
anything missing is a failure, never a skip. Screenshots of the main
states go to SCREENSHOT_DIR.
"""
import os
import re
import shutil
import subprocess
import sys
import time

from hearthui import App, click, configure, fail, log, named, pyatspi, set_text, shot, text_of


APP = sys.argv[1]
SHOTS = sys.argv[2]
SHARED = os.environ.get("HEARTH_SHARED_DIR", "")
MODEL = os.path.join(SHARED, "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
os.makedirs(SHOTS, exist_ok=True)
if "--passphrase" not in sys.argv:
    # Only this run's screenshots and logs (test-ui-device-lost.py's are its own).
    for old in os.listdir(SHOTS):
        if old.endswith((".png", ".log")) and not old.startswith("device-lost"):
            os.unlink(os.path.join(SHOTS, old))

ENV = dict(os.environ)
ENV.update({
    # Criticals are not fatal so that a known GTK 4.8 one can be told apart
    # (hearthui.KNOWN_GTK_CRITICALS); every other critical or warning in the
    # app's log fails the test when it closes.
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", ""),
    "HEARTH_DEBUG_TIMING": "1",
    # Slow the stream down so that it can be watched and stopped mid-way.
    "HEARTH_DEBUG_TOKEN_DELAY_MS": "60",
    # Xvfb has no GPU: GL through llvmpipe would eat the two cores.
    "GSK_RENDERER": "cairo",
    # Settings persist between the two runs like a real session's would.
    "GSETTINGS_BACKEND": "keyfile",
    "GTK_A11Y": "atspi",
    # In the sanitizer build: GTK, fontconfig and Mesa keep allocations until
    # exit by design, so leak reports would be theirs; errors still abort.
    "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])),
    "NO_AT_BRIDGE": "0",
})
configure(APP, SHOTS, ENV)


def timing(log_text, event):
    m = re.findall(r"hearth-timing: %s ([0-9.]+)" % re.escape(event), log_text)
    return [float(x) for x in m]


if "--passphrase" in sys.argv:
    # ---- (12) inside a session bus with no Secret Service ----
    import tempfile
    pass_dir = tempfile.mkdtemp()
    ENV.update({
        "HEARTH_DATA_DIR": os.path.join(pass_dir, "data"),
        "GSETTINGS_BACKEND": "memory",
    })


    def password_fields():
        return app.find_all(lambda n: n.getRoleName() in ("password text", "entry", "text") and
                            n.name in ("Passphrase", "Repeat the passphrase"))


    app = App()
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Choose a Passphrase", what="new passphrase dialog")
    fields = password_fields()
    if len(fields) != 2:
        fail("the new passphrase dialog should ask twice, has %d fields" % len(fields))
    for f in fields:
        set_text(f, "correct horse")
    shot("13-passphrase-new")
    click(app.button("Create"))
    app.find(named("label", "Welcome to Hearth"), what="welcome page after choosing a passphrase")
    app.close()
    if not os.path.exists(os.path.join(pass_dir, "data", "history.db")):
        fail("no history was made with the passphrase")

    app = App()
    app.find(lambda n: n.getRoleName() == "label" and n.name == "Unlock History", what="unlock dialog")
    set_text(password_fields()[0], "wrong horse")
    click(app.button("Unlock"))
    # A wrong passphrase asks again.
    time.sleep(0.5)
    app.find(lambda n: n.getRoleName() == "label" and n.name == "That passphrase is not the right one. Try again.",
             what="unlock dialog after a wrong passphrase")
    set_text(password_fields()[0], "correct horse")
    shot("14-passphrase-unlock")
    click(app.button("Unlock"))
    app.find(named("label", "Welcome to Hearth"), what="welcome page after unlocking")
    app.close()
    shutil.rmtree(pass_dir, ignore_errors=True)  # the bus may still be removing its socket
    print("PASS (passphrase)")
    sys.exit(0)

# ---- 1. a fresh start with no model shows the welcome page ----
log("start without a model")
app = App()
app.find(named("label", "Welcome to Hearth"), what="welcome page")
hint = app.find(named("label", "Hearth runs language models"), what="welcome text")
# It speaks to users: how to add a model, and no path of this repository.
if "GGUF model file" not in text_of(hint) or "stories260K" in text_of(hint) or "/" in text_of(hint):
    fail("the welcome page should say how to add a model and name no repository path: %r" % text_of(hint))
shot("01-welcome")
app.close()

# ---- 1b. a file that is not a model: a clear message, no crash ----
import tempfile
bad_dir = tempfile.mkdtemp()
bad = os.path.join(bad_dir, "broken.gguf")
with open(bad, "wb") as f:
    f.write(b"GGUF\x03\x00\x00\x00 cut short")
app = App("--model", bad)
app.find(lambda n: n.getRoleName() == "label" and n.name == "\u201cbroken.gguf\u201d Cannot Be Used",
         what="the cannot-load message")
shot("01b-bad-model")
click(app.button("Close", within=app.find(lambda n: n.getRoleName() in ("dialog", "alert", "frame") and
                                          n.name != "Hearth" and n.getRoleName() != "application",
                                          what="message dialog")))
app.find(lambda n: n.getRoleName() == "label" and n.name.startswith("Welcome to Hearth"), what="welcome page again")
app.close()
os.unlink(bad)
os.rmdir(bad_dir)

# ---- 2. load stories260K from the command line ----
log("start with --model")
app = App("--model", MODEL)
status = app.find(named("label", "CPU"), timeout=30, what="status line naming the backend")
log("status: " + status.name)
shot("02-model-loaded")

composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
set_text(composer, "Once upon a time")
click(app.button("Send"))

# ---- 3. the reply streams in: its text grows while it is generated ----


def streamed_text():
    # Looked up afresh each time: GTK may replace a label's accessible
    # object while its text changes. A label's name is its text.
    row = app.find(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", what="streaming reply")
    labels = app.find_all(lambda n: n.getRoleName() == "label" and n.name != "Assistant", within=row)
    if not labels:
        return ""
    try:
        return text_of(labels[0])
    except Exception:
        return labels[0].name or ""


deadline = time.monotonic() + 20
first = ""
while time.monotonic() < deadline and len(first) < 8:
    first = streamed_text()
    log("streamed so far: %r" % first)
    time.sleep(0.05)
if len(first) < 8:
    fail("no streamed text appeared")
time.sleep(0.4)
second = streamed_text()
if len(second) <= len(first) or not second.startswith(first.rstrip()):
    fail("the reply did not grow while streaming: %r then %r" % (first, second))
log("streamed %d then %d characters" % (len(first), len(second)))
shot("03-streaming")

# ---- 4. stop: the partial reply is kept and marked as stopped ----
click(app.button("Stop"))
reply = app.find(named("panel", "Assistant replied: "), what="stored reply after stop")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Stopped", what="stopped marker")
stopped_text = reply.name[len("Assistant replied: "):]
if not stopped_text or not stopped_text.startswith(second[:8]):
    fail("the stopped reply %r is not what was streamed %r" % (stopped_text, second))
shot("04-stopped")

# ---- 5. regenerate: a new version of the reply ----
click(app.button("Regenerate reply"))
app.find(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", what="regenerated stream")
app.wait_gone(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", timeout=30,
              what="regenerated reply in progress")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Version 2 of 2", what="second version of the reply")
shot("05-regenerated")

# ---- 6. edit the first message: a new branch, then back to the first ----
click(app.button("Edit message"))
editor = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message text", what="edit dialog")
set_text(editor, "Once upon a time there was a cat")
click(app.button("Save and Send"))
app.find(named("panel", "You said: Once upon a time there was a cat"), what="edited message")
app.wait_gone(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", timeout=30,
              what="reply to the edited message")
app.find(lambda n: n.getRoleName() == "label" and n.name == "Version 2 of 2", what="edited message's version label")
shot("06-edited")
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Previous version" and
               n.getState().contains(pyatspi.STATE_SENSITIVE), what="previous version button"))
app.find(lambda n: n.getRoleName() == "panel" and n.name == "You said: Once upon a time", what="original branch")
# The branch shows its newest reply (the regenerated one); one step back is the stopped one.
app.find(lambda n: n.getRoleName() == "label" and n.name == "Version 2 of 2", what="original branch's newest reply")
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Previous version" and
               n.getState().contains(pyatspi.STATE_SENSITIVE), what="the reply's previous version button"))
app.find(lambda n: n.getRoleName() == "label" and n.name == "Stopped", what="original branch's stopped reply")

# ---- 7. search the history ----
search = app.find(lambda n: n.getRoleName() == "entry" and n.name == "Search history", what="search entry")
conv_list = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
# A hit shows the conversation's title and the matching text (only hits have
# a second label). The entry waits a moment before searching: wait for it.
set_text(search, "cat")
app.find(lambda n: n.getRoleName() == "label" and "cat" in (n.name or "") and n.name != "Once upon a time",
         within=conv_list, what="search hit with the matching text")
set_text(search, "zebra")
app.wait_gone(lambda n: n.getRoleName() == "list item", what="hits for a word never said")
set_text(search, "cat")
app.find(lambda n: n.getRoleName() == "label" and "cat" in (n.name or "") and n.name != "Once upon a time",
         within=conv_list, what="search hit again")
shot("07-search")
set_text(search, "")

log1 = app.close()

# ---- 8a. a reply written in Markdown (imported: stories260K writes none) ----
MARKDOWN_REPLY = """## A small program

Here is **Python** that adds *two* numbers, and a `print` call:

```python
def add(a, b):
    return a + b

print(add(2, 3))
```

| input | output |
|-------|--------|
| 2, 3  | 5      |
| 1, 1  | 2      |

1. Save it as `add.py`
2. Run it; see [the tutorial](https://docs.python.org/3/tutorial/).

> Quoted: ~~wrong~~ right.
"""
export = {
    "format": "hearth-conversation", "version": 1, "title": "Markdown sample", "model": None,
    "system_prompt": None, "created": 0, "updated": 0, "current_leaf": 2, "pinned": True, "archived": False,
    "messages": [
        {"id": 1, "parent": 0, "role": "user", "content": "Show me a small program", "created": 0,
         "prompt_tokens": -1, "completion_tokens": -1},
        {"id": 2, "parent": 1, "role": "assistant", "content": MARKDOWN_REPLY, "created": 0,
         "prompt_tokens": -1, "completion_tokens": -1},
    ],
}
import json
import tempfile
cli = os.environ.get("HEARTH_CLI")
if not cli:
    fail("HEARTH_CLI is not set (meson sets it)")
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(export, f)
subprocess.run([cli, "history", "import", f.name], check=True, env=ENV)
os.unlink(f.name)

# ---- 8b. a conversation held with hearth-cli chat is the app's too ----
# Same runtime, same store: what the CLI streamed is the stored reply, in
# `history list` and in the app after a restart.
log("hearth-cli chat")
chat = subprocess.run([cli, "chat", "-m", MODEL, "-n", "24"], input="Tell me about a dog\n", check=True,
                      env=ENV, capture_output=True, text=True)
cli_reply = chat.stdout.strip()
if not cli_reply:
    fail("hearth-cli chat printed no reply: %r" % chat.stderr)
out = subprocess.run([cli, "history", "list"], check=True, env=ENV, capture_output=True, text=True).stdout
if not [l for l in out.splitlines() if "Tell me about a dog" in l]:
    fail("the CLI's conversation is not in `history list`:\n" + out)

# ---- 8. restart: the model is remembered and the conversation is there ----
log("restart")
app = App()
app.find(named("label", "CPU"), timeout=30, what="default model loaded again")
conv_list = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
app.find(lambda n: n.getRoleName() == "list item" and n.name == "Once upon a time", within=conv_list,
         what="stored conversation")
# GTK 4.8 gives list rows no action; the list's selection opens the row.
names = [c.name for c in conv_list]
conv_list.querySelection().selectChild(names.index("Once upon a time"))
app.find(named("panel", "You said: Once upon a time"), what="stored messages after restart")
app.find(named("panel", "Assistant replied: "), what="stored reply after restart")
shot("08-restarted")
conv_list = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
names = [c.name for c in conv_list]
if "Tell me about a dog" not in names:
    fail("the CLI's conversation is not in the sidebar: %r" % names)
conv_list.querySelection().selectChild(names.index("Tell me about a dog"))
app.find(named("panel", "You said: Tell me about a dog"), what="the CLI's message in the app")
app.find(lambda n: n.getRoleName() == "panel" and n.name == "Assistant replied: " + cli_reply,
         what="the CLI's reply in the app, as the CLI printed it")
shot("08b-cli-conversation")

conv_list = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
names = [c.name for c in conv_list]
if names[0] != "Markdown sample":
    fail("the pinned conversation is not first: %r" % names)
conv_list.querySelection().selectChild(0)
code = app.find(lambda n: n.getRoleName() == "text" and n.name == "python", what="highlighted code block")
if "return a + b" not in text_of(code):
    fail("the code block does not hold the code: %r" % text_of(code))
app.button("Copy code")
table = app.find(lambda n: n.name == "Table", what="table")
cells = app.find_all(lambda n: n.getRoleName() == "label", within=table)
if [c.name for c in cells][:4] != ["input", "output", "2, 3", "5"]:
    fail("table cells: %r" % [c.name for c in cells])
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("Here is Python that adds two numbers"),
         what="paragraph with inline markup")
app.find(lambda n: n.getRoleName() == "label" and n.name == "A small program", what="heading")
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("2. Run it; see the tutorial"),
         what="ordered list item with a link")
shot("09-markdown")

# ---- 8b. rename, unpin, delete with undo ----
def row_menu(title):
    click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Actions for \u201c%s\u201d" % title and
                   n.queryAction().nActions > 0, what="actions of " + title))


def menu_item(label):
    click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "") == label,
                   what="menu item " + label))


def conversation_titles():
    lst = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
    return [c.name for c in lst]


app.find(lambda n: n.name == "Pinned", what="the pin of the pinned conversation")
row_menu("Markdown sample")
menu_item("Rename\u2026")
title = app.find(lambda n: n.getRoleName() in ("text", "entry") and n.name == "Title", what="title entry")
set_text(title, "Python sample")
click(app.button("Rename"))
app.find(lambda n: n.getRoleName() == "list item" and n.name == "Python sample", what="renamed conversation")
row_menu("Python sample")
menu_item("Unpin")
# Newest first once unpinned: it was imported last, so it stays first but
# loses its pin.
app.wait_gone(lambda n: n.name == "Pinned", what="the pin of an unpinned conversation")
row_menu("Python sample")
menu_item("Delete")
app.wait_gone(lambda n: n.getRoleName() == "list item" and n.name == "Python sample", what="deleted conversation")
# The open conversation was the deleted one: a new empty chat takes its place.
app.find(lambda n: n.getRoleName() == "label" and n.name == "Write a message to start chatting.",
         what="empty chat after deleting the open conversation")
shot("09b-deleted")
click(app.button("Undo"))
app.find(lambda n: n.getRoleName() == "list item" and n.name == "Python sample", what="conversation back after undo")
row_menu("Python sample")
menu_item("Delete")
app.wait_gone(lambda n: n.getRoleName() == "list item" and n.name == "Python sample", what="deleted conversation")

# ---- 9. the remembered models: unload, then load from the list ----
click(app.button("Models"))
app.find(lambda n: n.getRoleName() == "label" and (n.name or "").startswith("llama \u00b7 ") and
         "F32 \u00b7 128 tokens of context" in n.name, what="model summary from the GGUF header")
shot("10-models")
click(app.button("Unload the model"))
click(app.button("Load stories260K-f32.gguf"))
app.find(named("label", "CPU"), timeout=30, what="model loaded from the remembered list")

# ---- 10b. preferences bound to GSettings ----
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
click(app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Preferences"),
               what="preferences menu item"))
def setting(name):
    if os.environ.get("HEARTH_UI_TEST_VERBOSE"):
        for n in app.find_all(lambda n: (n.name or "").startswith(name)):
            log("candidate %s %r %s" % (n.getRoleName(), n.name, pyatspi.utils.listInterfaces(n)))
    # GTK 4.8 repeats the label in a spin button's name ("Temperature Temperature").
    return app.find(lambda n: n.getRoleName() == "spin button" and (n.name or "").startswith(name) and
                    "Value" in pyatspi.utils.listInterfaces(n), what=name + " setting")


temp = setting("Temperature")
if abs(temp.queryValue().currentValue - 0.7) > 1e-6:
    fail("temperature shows %r, the schema's default is 0.7" % temp.queryValue().currentValue)
for name in ("Top-p", "Top-k", "Min-p", "Context Length", "GPU Layers"):
    setting(name)
shot("12-preferences")

# ---- 10. the shortcuts window ----
# A GtkMenuButton is a button inside a button; the inner one has the action.
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
item = app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Keyboard Shortcuts"),
               what="menu item")
click(item)
app.find(lambda n: n.getRoleName() == "label" and n.name == "Stop generating", what="shortcuts window")
shot("11-shortcuts")

# ---- 11. closing the window in the middle of a reply stops it cleanly ----
click(app.button("New chat"))
composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
set_text(composer, "A last story")
click(app.button("Send"))
app.find(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", what="reply to close on")
log2 = app.close()
# The stopped reply was saved before the app quit.
out = subprocess.run([cli, "history", "list"], check=True, env=ENV, capture_output=True, text=True).stdout
last = [l for l in out.splitlines() if "A last story" in l]
if not last:
    fail("the conversation closed mid-reply is not in the history:\n" + out)
conv_id = last[0].split()[0]
saved = subprocess.run([cli, "history", "show", conv_id], check=True, env=ENV, capture_output=True, text=True).stdout
if "assistant" not in saved.lower():
    fail("the reply stopped by closing the window was not saved:\n" + saved)

# ---- 12. no Secret Service: the history is encrypted with a passphrase ----
# In a session bus of its own with no Secret Service to activate (only the
# accessibility bus), where this script runs again for that part.
bus_dir = tempfile.mkdtemp()
os.makedirs(os.path.join(bus_dir, "services"))
shutil.copy("/usr/share/dbus-1/services/org.a11y.Bus.service", os.path.join(bus_dir, "services"))
with open(os.path.join(bus_dir, "session.conf"), "w") as f:
    f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <servicedir>%s</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % (bus_dir, os.path.join(bus_dir, "services")))
inner_env = dict(os.environ)
inner_env.pop("DBUS_SESSION_BUS_ADDRESS", None)
r = subprocess.run(["dbus-run-session", "--config-file", os.path.join(bus_dir, "session.conf"), "--",
                    sys.executable, os.path.abspath(__file__), APP, SHOTS, "--passphrase"], env=inner_env)
shutil.rmtree(bus_dir, ignore_errors=True)  # the bus may still be removing its socket
if r.returncode != 0:
    fail("the passphrase part failed")

mapped = timing(log1, "window-mapped")
send = timing(log1, "send")
first_tok = timing(log1, "first-token")
if not mapped or not send or not first_tok:
    fail("timing marks missing from the app's log")
print("timing: window mapped %.1f ms after launch; first token %.1f ms after send "
      "(token delay %s ms per token in this test)" % (mapped[0], first_tok[0] - send[0], ENV["HEARTH_DEBUG_TOKEN_DELAY_MS"]))
print("screenshots in " + SHOTS)
print("PASS")
