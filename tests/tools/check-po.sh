#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-po.sh SOURCE_ROOT POT: each language of po/LINGUAS passes
# `msgfmt --check` and translates every string of POT (the build's, from the
# code as it is now): no string untranslated, fuzzy, or missing from the .po.
# What is left is listed by msgid, with where it comes from; tools/update-po
# merges the new strings in.
set -eu
root=$1 pot=$2
for t in msgfmt msgmerge msgattrib; do
    command -v $t >/dev/null || { echo "FAIL: $t is missing (Debian: gettext)" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
langs=$(grep -v '^#' "$root/po/LINGUAS")
[ -n "$langs" ] || { echo "FAIL: po/LINGUAS lists no language" >&2; exit 1; }
total=$(msgattrib --no-obsolete "$pot" | grep -c '^msgid ' )
for lang in $langs; do
    po=$root/po/$lang.po
    [ -f "$po" ] || { echo "FAIL: po/$lang.po is missing (tools/update-po makes it)" >&2; status=1; continue; }
    if ! msgfmt --check --check-accelerators=_ -o /dev/null "$po" 2>"$tmp/err"; then
        echo "FAIL: msgfmt --check po/$lang.po:" >&2; cat "$tmp/err" >&2; status=1
    fi
    msgmerge --quiet --no-fuzzy-matching "$po" "$pot" -o "$tmp/$lang.po"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | msgattrib --no-wrap > "$tmp/un"
    msgattrib --only-fuzzy --no-obsolete "$po" | msgattrib --no-wrap > "$tmp/fz"
    n_un=$(grep -c '^msgid "' "$tmp/un" || true)
    n_fz=$(grep -c '^msgid "' "$tmp/fz" || true)
    # msgattrib prints the header as one more (untranslated) entry.
    [ "$n_un" -gt 0 ] && n_un=$((n_un - 1))
    [ "$n_fz" -gt 0 ] && n_fz=$((n_fz - 1))
    if [ "$n_un" -gt 0 ] || [ "$n_fz" -gt 0 ]; then
        echo "FAIL: po/$lang.po: $n_un of $total strings untranslated, $n_fz fuzzy (run tools/update-po, then translate):" >&2
        grep -E '^(#:|msgid|msgctxt)' "$tmp/un" "$tmp/fz" | grep -v 'msgid ""$' | sed 's/^[^:]*://' | head -80 >&2
        status=1
    else
        echo "ok po/$lang.po: all $total strings translated, msgfmt --check passes"
    fi
done
exit $status
