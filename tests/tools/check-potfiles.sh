#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-potfiles.sh SOURCE_ROOT: fails when a file with strings marked for
# translation (C: _(), N_(), C_(), NC_(), ngettext() and friends; GtkBuilder:
# translatable="yes"; the desktop file, metainfo and schema) is missing from
# po/POTFILES.in, or POTFILES.in names a file that does not exist.
set -eu
root=$1
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v -e '^#' -e '^[[:space:]]*$' po/POTFILES.in | sort -u > "$tmp/listed"
{
    grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|NC_|g_dngettext|g_dpgettext2?|ngettext)[[:space:]]*\([[:space:]]*"' \
        app plugins engine --include='*.c' --include='*.h' || true
    grep -rl 'translatable="yes"' data app plugins --include='*.ui' --include='*.xml' --include='*.in' || true
    ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml
} | sort -u > "$tmp/marked"
status=0
missing=$(comm -23 "$tmp/marked" "$tmp/listed")
if [ -n "$missing" ]; then
    echo "files with translatable strings missing from po/POTFILES.in:" >&2
    echo "$missing" >&2
    status=1
fi
while read -r f; do
    [ -f "$f" ] || { echo "po/POTFILES.in names $f, which does not exist" >&2; status=1; }
done < "$tmp/listed"
[ $status -eq 0 ] && echo "po/POTFILES.in lists all $(wc -l < "$tmp/marked") files with translatable strings"
exit $status
