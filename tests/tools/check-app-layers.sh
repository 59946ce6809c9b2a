#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-app-layers.sh SOURCE_ROOT: fails when a view under app/gtk drives the
# engine or writes the store itself. The views go through the runtime
# (app/core/runtime); the only store call a view makes is opening it
# (hearth-window-unlock.c, which asks for the passphrase).
set -eu
root=$1
[ -d "$root/app/gtk" ] || { echo "no app/gtk under $root" >&2; exit 1; }
status=0
# The engine's sessions, chats and models, and the engine thread (the
# views' own hearth_chat_view_*, and the runtime's model registry, are not).
if grep -rnE "\bhearth_(session|chat|model|engine_worker)_[a-z_]+[[:space:]]*\(" "$root/app/gtk" |
   grep -vE "\bhearth_(chat_view|model_registry|model_entry)_" | grep .; then
    echo "app/gtk drives the engine (above); go through HearthRuntime" >&2
    status=1
fi
# Any store call but opening one.
if grep -rnE "\bhearth_store_[a-z_]+[[:space:]]*\(" "$root/app/gtk" |
   grep -vE "\bhearth_store_(open|params_init)[[:space:]]*\(" | grep .; then
    echo "app/gtk calls the store (above); go through HearthRuntime" >&2
    status=1
fi
[ $status -eq 0 ] && echo "app/gtk neither drives the engine nor calls the store"
exit $status
