#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""check-flatpak-manifest.py MANIFEST: checks the Flatpak manifest without
building it (the GNOME runtime is not needed).

flatpak-builder --show-manifest must parse it; the app id, the command and
the runtime are Hearth's; finish-args are a subset of the permissions
Hearth needs (and name none of home, host, the session bus or flatpak-spawn);
every source a module downloads is pinned: an archive or file by sha256 (64
hex digits), a git source by a full commit. The one local source is Hearth's
own checkout (type dir, path ..). The plugin extension point is declared at
the folder the plugin manager searches. Any failure is printed and exits 1.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ALLOWED = {"--share=ipc", "--socket=wayland", "--socket=fallback-x11", "--device=dri", "--share=network"}
PLUGIN_SEARCH_DIR = "/app/extensions/hearth-plugins/lib/hearth/plugins"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


path = sys.argv[1]
if shutil.which("flatpak-builder") is None:
    print("FAIL: flatpak-builder is missing (Debian: flatpak-builder; tools/hearth-dev deps)")
    sys.exit(1)
# Run in a throwaway folder: it leaves its .flatpak-builder folder there.
with tempfile.TemporaryDirectory() as state:
    r = subprocess.run(["flatpak-builder", "--show-manifest", os.path.abspath(path)], capture_output=True,
                       text=True, cwd=state)
if r.returncode != 0:
    print("FAIL: flatpak-builder --show-manifest %s: %s" % (path, r.stderr))
    sys.exit(1)
m = json.loads(r.stdout)

if m.get("id") != "io.github.hearth.Hearth":
    fail("app id is %r" % m.get("id"))
if m.get("command") != "hearth":
    fail("command is %r" % m.get("command"))
if m.get("runtime") != "org.gnome.Platform" or m.get("sdk") != "org.gnome.Sdk":
    fail("runtime/sdk are %r/%r, not GNOME's" % (m.get("runtime"), m.get("sdk")))
if not re.fullmatch(r"[0-9]+", str(m.get("runtime-version", ""))):
    fail("runtime-version %r is not a stable GNOME branch" % m.get("runtime-version"))

args = m.get("finish-args", [])
extra = [a for a in args if a not in ALLOWED]
if extra:
    fail("finish-args beyond the allowed list: %r" % extra)
for a in args:
    if re.search(r"filesystem|home|host|session-bus|talk-name=org\.freedesktop\.Flatpak|device=all|socket=session-bus",
                 a):
        fail("forbidden permission %r" % a)
if len(set(args)) != len(args):
    fail("finish-args repeat: %r" % args)
print("finish-args: %s" % " ".join(args))

ext = m.get("add-extensions", {}).get("io.github.hearth.Hearth.Plugin")
if ext is None:
    fail("no extension point io.github.hearth.Hearth.Plugin")
else:
    folder = "/app/" + ext.get("directory", "")
    if folder + "/" + ext.get("merge-dirs", "") != PLUGIN_SEARCH_DIR:
        fail("the extension point merges into %s/%s, not %s" % (folder, ext.get("merge-dirs"), PLUGIN_SEARCH_DIR))
    if not ext.get("subdirectories"):
        fail("the extension point takes one extension only (subdirectories is not true)")


def check_module(mod, where):
    name = where + mod.get("name", "?")
    sources = mod.get("sources", [])
    for s in sources:
        if isinstance(s, str):
            fail("%s: a source in another file (%s) is not checked" % (name, s))
            continue
        kind = s.get("type")
        if kind in ("archive", "file"):
            if "url" in s and not re.fullmatch(r"[0-9a-f]{64}", s.get("sha256", "")):
                fail("%s: %s %s has no sha256" % (name, kind, s.get("url")))
            for u in [s.get("url", "")] + s.get("mirror-urls", []):
                if u and not u.startswith("https://"):
                    fail("%s: %s is not https" % (name, u))
        elif kind == "git":
            if not re.fullmatch(r"[0-9a-f]{40}", s.get("commit", "")):
                fail("%s: git %s is not pinned by a commit" % (name, s.get("url")))
        elif kind == "dir":
            if mod.get("name") != "hearth" or s.get("path") != "..":
                fail("%s: a local dir source other than Hearth's checkout: %r" % (name, s))
        elif kind in ("patch", "shell", "script", "inline"):
            if "url" in s:
                fail("%s: a %s source downloads %s" % (name, kind, s["url"]))
        else:
            fail("%s: source type %r is not checked" % (name, kind))
    if not sources:
        fail("%s has no sources" % name)
    for sub in mod.get("modules", []):
        check_module(sub, name + "/")


names = []
for mod in m.get("modules", []):
    if isinstance(mod, str):
        fail("module in another file (%s) is not checked" % mod)
        continue
    names.append(mod.get("name"))
    check_module(mod, "")
print("modules: %s" % " ".join(names))
if not names or names[-1] != "hearth":
    fail("the last module is %r, not hearth" % (names[-1] if names else None))
for needed in ("sqlcipher", "cmark-gfm", "libpeas"):
    if needed not in names:
        fail("no %s module" % needed)
sqlcipher = next((x for x in m.get("modules", []) if isinstance(x, dict) and x.get("name") == "sqlcipher"), {})
if "--disable-shared" not in sqlcipher.get("config-opts", []):
    fail("SQLCipher must be built static only (--disable-shared): the app links it with hidden symbols")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("the manifest is pinned and its permissions are within the allowed list")
