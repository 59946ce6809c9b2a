#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real Hearth app recovers from a lost GPU device (AT-SPI, like test-ui.py).

Run by meson inside tests/tools/with-keyring.sh and tests/tools/with-xvfb.sh:

    test-ui-device-lost.py HEARTH_BINARY SCREENSHOT_DIR

The app runs stories260K on the Vulkan backend (lavapipe here) with
HEARTH_VK_FAULT=submit:16:device-lost:once: the 15th decode step of the
first reply in the process loses the device. Greedy sampling (temperature
0), so that replies can be compared.

1. Send: the lost-device bar appears with Reload and Use CPU, the partial
   reply is kept and marked as interrupted, Send is insensitive and says
   why, the status line says the device was lost. Reload: the status line
   names the Vulkan device again, and a new message gets a whole reply.
2. A second process (the fault fires again, at the same word): Use CPU
   loads the model on the CPU (the status line says so), and the same new
   message gets the same reply as on Vulkan (the CPU backend is the
   reference). The gpu-device preference is still "vulkan".

Every step asserts what the accessibility tree shows; anything missing is a
failure, never a skip. Screenshots go to SCREENSHOT_DIR as device-lost-*.png
(test-ui.py leaves them there).
"""
import os
import shutil
import subprocess
import sys
import time


def fail(msg):
    print("FAIL: " + msg, flush=True)
    if len(sys.argv) > 2 and shutil.which("import"):
        subprocess.run(["import", "-window", "root", os.path.join(sys.argv[2], "device-lost-failure.png")])
    sys.exit(1)


try:
    import gi
    gi.require_version("Atspi", "2.0")
    import pyatspi
except Exception as e:  # a missing module is a failure, not a skip
    fail("python3-pyatspi is needed (%s); run with /usr/bin/python3" % e)

if shutil.which("import") is None:
    fail("import is missing (Debian: imagemagick)")
if shutil.which("gsettings") is None:
    fail("gsettings is missing (Debian: libglib2.0-bin)")

APP = sys.argv[1]
SHOTS = sys.argv[2]
MODEL = os.path.join(os.environ.get("HEARTH_SHARED_DIR", ""), "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("device-lost") and old.endswith((".png", ".log")):
        os.unlink(os.path.join(SHOTS, old))

ENV = dict(os.environ)
ENV.update({
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", "fatal-criticals"),
    # The prompt is submit 1, decode steps 2..: lost at the 15th, so that the
    # partial reply has a few words (submit:2 would keep one token).
    "HEARTH_VK_FAULT": "submit:16:device-lost:once",
    "GSK_RENDERER": "cairo",
    # Shared by the two runs and by gsettings here, like a real session's.
    "GSETTINGS_BACKEND": "keyfile",
    "GTK_A11Y": "atspi",
    "ASAN_OPTIONS": ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"])),
    "NO_AT_BRIDGE": "0",
})
ENV.pop("HEARTH_DEBUG_TOKEN_DELAY_MS", None)
T0 = time.monotonic()


def log(msg):
    print("[%6.2f] %s" % (time.monotonic() - T0, msg), flush=True)


def gsettings(*args):
    r = subprocess.run(["gsettings"] + list(args), env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        fail("gsettings %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


def shot(name):
    path = os.path.join(SHOTS, "device-lost-" + name + ".png")
    subprocess.run(["import", "-window", "root", path], check=True)
    log("screenshot " + path)


def shown(node):
    # As in test-ui.py: GTK 4.8 reports no STATE_SHOWING; what is on screen
    # has a size (a closed revealer's child has none).
    if node.getRoleName() in ("application", "frame", "dialog", "alert"):
        return True
    try:
        e = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
    except NotImplementedError:
        return True
    return e.width > 0 and e.height > 0


def click(node):
    action = node.queryAction()
    for i in range(action.nActions):
        if action.getName(i) in ("click", "activate", "press"):
            action.doAction(i)
            return
    fail("%s %r has no click action" % (node.getRoleName(), node.name))


def sensitive(node):
    return node.getState().contains(pyatspi.STATE_SENSITIVE)


class App:
    def __init__(self, *args):
        self.stderr_path = os.path.join(SHOTS, "device-lost-hearth-%d.log" % int(time.time() * 1000))
        self.err = open(self.stderr_path, "w")
        wrap = os.environ.get("HEARTH_UI_TEST_WRAP", "").split()
        self.proc = subprocess.Popen(wrap + [APP] + list(args), env=ENV, stdout=self.err, stderr=subprocess.STDOUT)
        self.root = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("hearth exited early with %d; log: %s" % (self.proc.returncode, self.log()))
            for a in pyatspi.Registry.getDesktop(0):
                if a is not None and a.name == "hearth" and a.get_process_id() == self.proc.pid:
                    self.root = a
                    return
            time.sleep(0.2)
        fail("hearth never showed up on the accessibility bus")

    def log(self):
        self.err.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def find_all(self, pred, within=None):
        out = []

        def walk(n, depth):
            if n is None or depth > 60:
                return
            try:
                if not shown(n):
                    return
                if pred(n):
                    out.append(n)
                for c in n:
                    walk(c, depth + 1)
            except Exception:
                return

        walk(within or self.root, 0)
        return out

    def find(self, pred, within=None, timeout=20, what="node"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                fail("hearth died (%d) while waiting for %s; log:\n%s" % (self.proc.returncode, what, self.log()))
            found = self.find_all(pred, within)
            if found:
                return found[0]
            time.sleep(0.1)
        fail("timed out waiting for " + what)

    def wait_gone(self, pred, timeout=20, what="node"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.find_all(pred):
                return
            time.sleep(0.1)
        fail("still there after %d s: %s" % (timeout, what))

    def button(self, name, **kw):
        # GTK 4.8 names a button with a label "_Label Label".
        return self.find(lambda n: n.getRoleName() == "push button" and
                         (n.name == name or (n.name or "").endswith(" " + name)), what="button " + name, **kw)

    def close(self):
        win = self.find(lambda n: n.getRoleName() == "frame" and n.name == "Hearth", what="main window")
        click(self.find(lambda n: n.getRoleName() == "push button" and n.name == "Close", within=win,
                        what="window close button"))
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("hearth did not exit after its window was closed")
        text = self.log()
        if rc != 0:
            fail("hearth exited with %d; log:\n%s" % (rc, text))
        if "CRITICAL" in text or "WARNING" in text:
            fail("hearth logged warnings:\n" + text)


def named(role, prefix):
    return lambda n: n.getRoleName() == role and (n.name or "").startswith(prefix)


LOST_STATUS = "The GPU device was lost \u00b7 no model loaded"
MARK = "Interrupted: the GPU device was lost"


def lose_device(app, phase):
    """Sends a message on the Vulkan model and checks the lost-device state."""
    app.find(named("label", "Vulkan"), timeout=30, what="status line naming the Vulkan device")
    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    composer.queryEditableText().setTextContents("Once upon a time")
    click(app.button("Send"))

    bar = app.find(lambda n: n.name == "GPU device lost", what="the lost-device bar")
    app.find(lambda n: n.getRoleName() == "label" and n.name == "The GPU Device Was Lost", within=bar,
             what="the bar's title")
    app.find(lambda n: n.getRoleName() == "label" and "\u201cstories260K-f32.gguf\u201d was unloaded" in (n.name or ""),
             within=bar, what="the bar's text naming the model")
    app.button("Reload", within=bar)
    app.button("Use CPU", within=bar)
    app.find(lambda n: n.getRoleName() == "label" and n.name == LOST_STATUS, what="lost-device status line")
    # The partial reply (what streamed before the loss) is stored and marked.
    reply = app.find(named("panel", "Assistant replied: "), what="the partial reply, stored")
    partial = reply.name[len("Assistant replied: "):]
    if len(partial.strip()) < 8:
        fail("the partial reply should have a few words: %r" % reply.name)
    app.find(lambda n: n.getRoleName() == "label" and n.name == MARK, within=reply, what="the interrupted marker")
    app.wait_gone(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", what="reply in progress")
    send = app.button("Send")
    if sensitive(send):
        fail("Send is sensitive with no model loaded")
    if "GPU device was lost" not in (send.description or ""):
        fail("Send does not say why it is off: %r" % send.description)
    app.find(lambda n: n.getRoleName() == "label" and n.name == "No Model", what="header without a model")
    log("%s: lost after %r" % (phase, partial))
    return partial


def full_reply(app, partial):
    """A new message on the loaded model gets a whole reply."""
    app.wait_gone(lambda n: n.name == "GPU device lost", what="the lost-device bar after loading")
    send = app.find(lambda n: n.getRoleName() == "push button" and n.name == "Send" and sensitive(n),
                    what="Send sensitive again")
    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    composer.queryEditableText().setTextContents("Tell me another one")
    click(send)
    app.find(named("panel", "You said: Tell me another one"), what="the new message")
    app.wait_gone(lambda n: n.getRoleName() == "panel" and n.name == "Reply in progress", timeout=30,
                  what="reply in progress")
    replies = app.find_all(named("panel", "Assistant replied: "))
    if len(replies) != 2:
        fail("expected the interrupted reply and a new one, found %r" % [r.name for r in replies])
    # The interrupted reply is still there as it was.
    if replies[0].name != "Assistant replied: " + partial:
        fail("the interrupted reply changed: %r" % replies[0].name)
    if not app.find_all(lambda n: n.getRoleName() == "label" and n.name == MARK, within=replies[0]):
        fail("the interrupted reply lost its marker")
    text = replies[1].name[len("Assistant replied: "):]
    if not text.strip():
        fail("the new reply is empty")
    if app.find_all(lambda n: n.getRoleName() == "label" and n.name in (MARK, "Stopped"), within=replies[1]):
        fail("the new reply is marked as cut short")
    return text


gsettings("set", "io.github.hearth.Hearth", "gpu-device", "vulkan")
gsettings("set", "io.github.hearth.Hearth", "temperature", "0.0")

# ---- 1. lost, then Reload on the GPU ----
log("start on Vulkan")
app = App("--model", MODEL)
partial = lose_device(app, "reload")
shot("01-lost")
click(app.button("Reload"))
status = app.find(named("label", "Vulkan"), timeout=30, what="status line naming the Vulkan device after Reload")
log("reloaded: " + status.name)
vulkan_text = full_reply(app, partial)
log("Vulkan reply: %r" % vulkan_text)
shot("02-reloaded")
app.close()

# ---- 2. a new process: lost again, then Use CPU ----
log("restart on Vulkan")
app = App()
click(app.button("New chat"))
partial_cpu = lose_device(app, "cpu")
if partial_cpu != partial:
    fail("the second loss kept %r, the first %r" % (partial_cpu, partial))
click(app.button("Use CPU"))
status = app.find(named("label", "CPU"), timeout=30, what="status line saying CPU after Use CPU")
log("on the CPU: " + status.name)
cpu_text = full_reply(app, partial_cpu)
if cpu_text != vulkan_text:
    fail("the CPU's reply %r differs from the Vulkan one %r" % (cpu_text, vulkan_text))
shot("03-cpu")
app.close()
if gsettings("get", "io.github.hearth.Hearth", "gpu-device") != "'vulkan'":
    fail("Use CPU changed the gpu-device preference")
print("PASS (%.1f s)" % (time.monotonic() - T0))
