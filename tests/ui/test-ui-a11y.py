#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The accessibility audit of every view, through the accessibility tree.

    test-ui-a11y.py TEST_APP SCREENSHOT_DIR

TEST_APP is tests/ui/hearth-ui-test-app (see its header): the real app on
stories260K whose replies come from a script, so that a tool call (and its
approval dialog) is reachable and every reply's words are known.

Each view reachable from the main window is walked: the main window with
the welcome page, with a model loaded, with a conversation (the sidebar
included), the main menu, Preferences (General, Plugins, Remote Models, Local API),
the Models dialog, the tool approval dialog, Tool Activity and the Network
Log. Every widget a user can act on or type into (buttons, toggles, check
boxes, switches, entries, text views, spin buttons, menu items, tabs,
actionable list items) must have a non-empty accessible name: an icon-only
button with only a tooltip fails. On the main window, Tab must move focus
through the exact order in FOCUS_ORDER. A finished reply is announced: the
status widget (role "status bar", name "Reply finished: N words") changes
its name, and the change reaches AT-SPI as an
object:property-change:accessible-name event, which is what Orca reads.

The audit's findings (GTK 4.8, libadwaita 1.2), and what was done:
  - Every button, icon-only ones included, entry, switch, spin button and
    menu item of these views already had a name (.ui <accessibility>
    labels or gtk_accessible_update_property); none relied on a tooltip.
  - Unnamed focus stops: a GtkScrolledWindow takes the focus itself (for
    keyboard scrolling) when nothing inside can, and GTK 4.8 says nothing
    but "scroll pane" there. The sidebar's (an empty conversation list) and
    the messages' scroller were Tab stops of the main window with no name:
    now "Conversations" and "Messages". The composer's scroller is named
    "Message" too; the scrollers of AdwStatusPage (loading, welcome, error
    pages) are named after the page's title from hearth-window.c, since no
    .ui reaches them.
  - Focus order: composer, Send, the sidebar, the chat's header, the
    messages; it follows the layout, nothing to fix.
  - A finished reply was not announced: GTK 4.8 has no
    gtk_accessible_announce (). The status line now has a second label with
    the role "status" (AT-SPI "status bar"); when a reply ends its text
    becomes "Reply finished: N words" ("Reply stopped: …" for a stopped
    one), and it is emptied when the next reply starts so that equal
    announcements are both told.
  - Not fixed here, libadwaita's own: AdwComboRow's choices are GtkListView
    items with no name of their own in GTK 4.8; they hold their label, which
    the screen reader reads, and the audit accepts that.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

from gi.repository import GLib

from hearthui import App, app_env, click, configure, fail, log, named, pyatspi, set_text, shot, shown

APP, SHOTS = sys.argv[1], sys.argv[2]
SHARED = os.environ.get("HEARTH_SHARED_DIR", "")
MODEL = os.path.join(SHARED, "models", "stories260K", "stories260K-f32.gguf")
if not os.path.isfile(MODEL):
    fail("test model missing: " + MODEL)
if shutil.which("xdotool") is None:
    fail("xdotool is missing (Debian: xdotool)")
os.makedirs(SHOTS, exist_ok=True)
for old in os.listdir(SHOTS):
    if old.startswith("a11y-"):
        os.unlink(os.path.join(SHOTS, old))

work = tempfile.mkdtemp(prefix="hearth-ui-a11y-")
script = os.path.join(work, "script.txt")
CALL = '<tool_call>\n{"name": "write_file", "arguments": {"path": "%s", "content": "x"}}\n</tool_call>' % (
    os.path.join(work, "note.txt"))
with open(script, "w") as f:
    f.write("\n%%\n".join([
        "I will write the note." + CALL,
        "The note was not written.",
        "Once upon a time there was a small red fox.",
    ]))

ENV = app_env(HEARTH_DATA_DIR=os.path.join(work, "data"), HEARTH_UI_TEST_SCRIPT=script)
configure(APP, SHOTS, ENV, prefix="a11y-")
# GTK 4.8 shows a plain GtkWindow (AdwWindow) as a "filler".
WINDOW_ROLES = ("frame", "dialog", "filler", "window", "alert")

# What a user acts on or types into; each needs a name a screen reader says.
ACTIONABLE = ("push button", "toggle button", "check box", "radio button", "switch", "entry", "password text",
              "text", "spin button", "menu item", "check menu item", "radio menu item", "page tab", "combo box",
              "link", "slider")


def describe(n):
    return "%s %r" % (n.getRoleName(), n.name)


def descendants(n, depth=0):
    if depth > 20:
        return
    for c in n:
        if c is not None and shown(c):
            yield c
            yield from descendants(c, depth + 1)


def audit(root, view):
    """Fails on every actionable widget under @root with no accessible name."""
    bad = []
    seen = 0

    def walk(n, depth, path):
        nonlocal seen
        if n is None or depth > 60:
            return
        try:
            if not shown(n):
                return
            role = n.getRoleName()
            here = path + ["%s %r" % (role, n.name or "")]
            st = n.getState()
            # Whatever Tab can stop on is said by its name too (a scroll
            # pane that takes the focus for keyboard scrolling, a row).
            acts = role in ACTIONABLE or (st.contains(pyatspi.STATE_FOCUSABLE) and role not in WINDOW_ROLES)
            if role == "scroll pane" and acts:
                # GTK 4.8 calls every scrolled window focusable; Tab stops
                # on one only when nothing inside takes the focus (what
                # does says its own name).
                acts = not any(st2.contains(pyatspi.STATE_FOCUSABLE)
                               for st2 in (d.getState() for d in descendants(n)))
            if role == "list item":
                # A row is actionable when it can be activated or selected;
                # one with no name of its own passes when it holds text
                # (GTK 4.8 gives a GtkListView's item no name, the reader
                # says its label: AdwComboRow's choices).
                acts = (st.contains(pyatspi.STATE_FOCUSABLE) or st.contains(pyatspi.STATE_SELECTABLE)) and \
                    not any(d.getRoleName() == "label" and (d.name or "").strip() for d in descendants(n))
            if acts:
                seen += 1
                if not (n.name or "").strip():
                    kids = ", ".join(describe(c) for c in n)
                    bad.append(" > ".join(here[-4:]) + " [children: %s]" % kids)
            for c in n:
                walk(c, depth + 1, here)
        except Exception as e:
            if "ServiceUnknown" in str(e):
                raise
            return

    walk(root, 0, [])
    log("audit %s: %d actionable widgets" % (view, seen))
    if seen == 0:
        fail("the walk of %s found nothing to act on" % view)
    if bad:
        shot("unnamed-" + view.replace(" ", "-"))
        fail("%s: %d actionable widgets have no accessible name:\n  %s" % (view, len(bad), "\n  ".join(bad)))


def window(name):
    return app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == name, what="window " + name)


def main_window():
    return app.find(lambda n: n.getRoleName() == "frame" and n.name == "Hearth", what="main window")


def menu(label):
    click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
                   n.queryAction().nActions > 0, what="main menu button"))
    item = app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith(label),
                    what="menu item " + label)
    return item


# ---- 1. the welcome page ----
app = App()
app.find(named("label", "Welcome to Hearth"), what="welcome page")
audit(main_window(), "main window, welcome page")
app.close()

# ---- 2. a model loaded: the main window, the focus order ----
app = App("--model", MODEL)
app.find(named("label", "CPU"), timeout=30, what="model loaded")
audit(main_window(), "main window, model loaded")


def focused(root):
    got = app.find_all(lambda n: n.getState().contains(pyatspi.STATE_FOCUSED) and n.getRoleName() not in WINDOW_ROLES,
                       within=root)
    return describe(got[-1]) if got else None


def x_window():
    out = subprocess.run(["xdotool", "search", "--all", "--onlyvisible", "--pid", str(app.proc.pid), "--name", "^Hearth$"],
                         capture_output=True, text=True).stdout.split()
    if not out:
        fail("no X window of the app is named Hearth")
    return out[0]


def tab_cycle(root, first):
    """The focus order: Tab from @first until it comes back."""
    subprocess.run(["xdotool", "windowfocus", "--sync", x_window()], check=True)
    order = []
    for _ in range(40):
        now = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = focused(root)
            if now is not None and (not order or now != order[-1]):
                break
            time.sleep(0.1)
        if now is None:
            fail("nothing has the keyboard focus after %r" % order)
        if order and now == order[0]:
            return order
        order.append(now)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "Tab"], check=True)
    fail("Tab never came back to the start: %r" % order)


win = main_window()
# The composer has the focus when a model is loaded: Tab goes from there.
start = focused(win)
log("focus at start: %r" % start)
order = tab_cycle(win, start)
log("focus order: %r" % order)
# The composer first (it has the focus once a model is loaded), its Send
# button (after the Documents menu beside it), then the sidebar from the top (its header, the search, the list:
# with no conversation yet, its scroll pane), then the chat's header left to
# right (the model button is its title, System prompt is at its end), the
# messages' scroll pane, and back to the composer.
FOCUS_ORDER = [
    "text 'Message'",
    "push button 'Documents'",
    "push button 'Send'",
    "push button 'New chat'",
    "push button 'Main menu'",
    "entry 'Search history'",
    "scroll pane 'Conversations'",
    "push button 'Models'",
    "push button 'System prompt'",
    "scroll pane 'Messages'",
]
if order != FOCUS_ORDER:
    fail("the Tab order of the main window is %r, expected %r" % (order, FOCUS_ORDER))
shot("01-model-loaded")

# ---- 3. a reply with a tool call: the approval dialog; the announcement ----
from gi.repository import Atspi  # noqa: E402 (after hearthui, which checks Atspi is there)

events = []


def on_name_change(ev):
    try:
        events.append((ev.source.get_role_name(), ev.source.get_name()))
    except Exception:
        pass


listener = Atspi.EventListener.new(on_name_change)
listener.register("object:property-change:accessible-name")


def wait_announced(text, timeout=30):
    """Waits for the status bar's name-change event with @text, then
    checks the status bar in the tree says it too."""
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while ctx.iteration(False):
            pass
        if ("status bar", text) in events:
            break
        time.sleep(0.05)
    else:
        fail("no accessible-name event %r from a status bar; status bar events: %r" %
             (text, [e for e in events if e[0] == "status bar"]))
    app.find(lambda n: n.getRoleName() == "status bar" and n.name == text, within=main_window(),
             what="status bar saying " + text)
    events.clear()


def send(text):
    composer = app.find(lambda n: n.getRoleName() == "text" and n.name == "Message", what="composer")
    set_text(composer, text)
    click(app.button("Send"))


send("Write the note")
dlg = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Allow Tool?", timeout=30,
               what="approval dialog")
audit(dlg, "tool approval dialog")
shot("02-approval")
click(app.button("Deny", within=dlg))
app.find(named("panel", "Assistant replied: The note was not written."), what="the reply after the denial")
# The last stored message of the reply is the one after the tool call: 5 words.
wait_announced("Reply finished: 5 words")
send("Tell me a story")
app.find(named("panel", "Assistant replied: Once upon a time there was a small red fox."), what="the story")
wait_announced("Reply finished: 10 words")
shot("03-announced")

# ---- 4. the main window with a conversation, the sidebar, the main menu ----
audit(main_window(), "main window with a conversation")
sidebar = app.find(lambda n: n.getRoleName() == "list" and n.name == "Conversations", what="conversation list")
audit(sidebar, "sidebar")
click(app.find(lambda n: n.getRoleName() == "push button" and n.name == "Main menu" and
               n.queryAction().nActions > 0, what="main menu button"))
popover = app.find(lambda n: n.getRoleName() != "label" and (n.name or "").replace("_", "").startswith("Preferences"),
                   what="main menu")
audit(popover.parent, "main menu")
click(popover)

# ---- 5. Preferences: General, Plugins, Remote Models, Local API ----
prefs = window("Preferences")
audit(prefs, "Preferences, General")
for page in ("Plugins", "Remote Models", "Local API"):
    click(app.find(lambda n: n.getRoleName() in ("push button", "toggle button", "page tab", "radio button") and
                   (n.name or "").startswith(page) and n.queryAction().nActions > 0, within=prefs,
                   what="the %s page's switcher button" % page))
    time.sleep(0.5)  # the page slides in
    audit(prefs, "Preferences, " + page)
click(app.button("Close", within=prefs))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == "Preferences", what="preferences window")

# ---- 6. the Models dialog ----
click(app.button("Models"))
models = app.find(lambda n: n.getRoleName() in WINDOW_ROLES and n.name not in ("Hearth", None, "") and
                  n.getRoleName() != "application" and "Models" in n.name, what="models dialog")
audit(models, "Models dialog")
shot("04-models")
click(app.button("Close", within=models))
app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == models.name, what="models dialog")

# ---- 7. Tool Activity and the Network Log ----
for name in ("Tool Activity", "Network Log"):
    click(menu(name))
    w = window(name)
    audit(w, name)
    click(app.button("Close", within=w))
    app.wait_gone(lambda n: n.getRoleName() in WINDOW_ROLES and n.name == name, what=name)

app.close()
shutil.rmtree(work, ignore_errors=True)
print("PASS (a11y)")
