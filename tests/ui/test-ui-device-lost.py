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

from hearthui import T0, App, click, configure, fail, log, named, sensitive, set_text, shot


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
    # Criticals are not fatal so that a known GTK 4.8 one can be told apart
    # (hearthui.KNOWN_GTK_CRITICALS); every other critical or warning in the
    # app's log fails the test when it closes.
    "G_DEBUG": os.environ.get("HEARTH_UI_TEST_G_DEBUG", ""),
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
configure(APP, SHOTS, ENV, prefix="device-lost-")


def gsettings(*args):
    r = subprocess.run(["gsettings"] + list(args), env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        fail("gsettings %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


LOST_STATUS = "The GPU device was lost \u00b7 no model loaded"
MARK = "Interrupted: the GPU device was lost"


def lose_device(app, phase):
    """Sends a message on the Vulkan model and checks the lost-device state."""
    app.find(named("label", "Vulkan"), timeout=30, what="status line naming the Vulkan device")
    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    set_text(composer, "Once upon a time")
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
    set_text(composer, "Tell me another one")
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
