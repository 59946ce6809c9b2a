#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-ui-installed.py: the installed app, started from its install folder.

    test-ui-installed.py HEARTH_BINARY SCREENSHOT_DIR PLUGIN_DIR

Run by tests/tools/check-install.sh inside with-keyring.sh and with-xvfb.sh,
on an install made with `meson install --destdir`: no GSETTINGS_SCHEMA_DIR,
no HEARTH_PLUGIN_PATH, nothing of the build folder. The app must find its
schema, its translations and its built-in plugins relative to its own
prefix. It starts on an empty data folder and shows its window with the
welcome page; its memory map holds the built-in plugins from PLUGIN_DIR
and no libsqlite3 or libsqlcipher.so symbol can cross (checked on the
binary by check-install.sh; here: SQLCipher is not loaded as a shared
library at all). Then it runs again in German (LANGUAGE=de) and the welcome
page's title is the German one from the installed hearth.mo.
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hearthui import App, app_env, configure, fail, log, named, shot  # noqa: E402

APP, SHOTS, PLUGIN_DIR = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(SHOTS, exist_ok=True)
for name in ("GSETTINGS_SCHEMA_DIR", "HEARTH_PLUGIN_PATH"):
    if name in os.environ:
        fail("%s is set; the installed app must do without it" % name)
work = tempfile.mkdtemp(prefix="hearth-ui-installed-")
PLUGINS = [os.path.join(PLUGIN_DIR, p) for p in
           ("calculator/libcalculator.so", "clock/libclock.so", "files/libfiles.so", "libmcp.so")]


def mapped(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if "/" in line}


# ---- 1. starts, shows its window, loads the install's plugins ----
configure(APP, SHOTS, app_env(HEARTH_DATA_DIR=os.path.join(work, "data")), prefix="installed-")
app = App()
app.find(lambda n: n.getRoleName() == "frame" and n.name == "Hearth", what="the main window")
app.find(named("label", "Welcome to Hearth"), what="the welcome page")
deadline = time.monotonic() + 20
while True:
    maps = mapped(app.proc.pid)
    missing = [p for p in PLUGINS if p not in maps]
    if not missing:
        break
    if time.monotonic() > deadline:
        fail("the installed app did not load %r; mapped: %r" % (missing, sorted(m for m in maps if ".so" in m)))
    time.sleep(0.2)
log("plugins loaded from %s" % PLUGIN_DIR)
sqlite = sorted(m for m in maps if "libsqlcipher" in m)
if sqlite:
    fail("libsqlcipher is a shared library in the app: %r" % sqlite)
shot("01-window")
app.close()

# ---- 2. German, from the installed translations ----
configure(APP, SHOTS, app_env(HEARTH_DATA_DIR=os.path.join(work, "data-de"), LANG="C.UTF-8", LC_ALL="",
                              LANGUAGE="de"), prefix="installed-de-")
app = App()
app.find(named("label", "Willkommen bei Hearth"), what="the welcome page in German")
app.find(lambda n: n.getRoleName() == "push button" and (n.name or "").endswith("Ihre Modelle"),
         what="the button “Your Models” in German")
shot("01-window")
app.close("Schließen")
log("the installed app works")
