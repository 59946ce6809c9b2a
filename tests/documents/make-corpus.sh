#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-corpus.sh OUT: builds the document test corpus into the folder OUT
# from source.md beside this script, with the real tools (Debian 12:
# pandoc, groff + ghostscript's fonts, qpdf, iconv, python3), so that no
# binary document is committed. tests/test-doc-extract.c runs it at start.
#
#   doc.md            the source itself
#   doc.txt           pandoc's plain text of it (UTF-8)
#   doc-utf16.txt     the same in UTF-16 with a BOM (iconv writes one)
#   doc-cp1252.txt    the same in Windows-1252 (characters it lacks transliterated)
#   doc.html          pandoc -s (the <title> from pagetitle: no title block in the body)
#   doc.docx doc.odt  pandoc
#   doc.epub          pandoc (title metadata, which EPUB requires)
#   doc.pdf           pandoc -t ms, then groff -ms -Tpdf (no LaTeX needed)
#   encrypted.pdf     doc.pdf with a user password (qpdf --encrypt, AES-256)
#   scanned.pdf       a page with drawing and no text (groff)
#   truncated.docx/.odt/.epub   the first half of each
#   bomb.docx         a zip whose word/document.xml inflates to 257 MiB
#   unknown.xyz       a file of a type Hearth does not read
set -eu

src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
cd "$out"

cp "$src/source.md" doc.md
pandoc -f markdown -t plain --wrap=preserve -o doc.txt doc.md
iconv -f UTF-8 -t UTF-16 doc.txt > doc-utf16.txt
iconv -f UTF-8 -t WINDOWS-1252//TRANSLIT doc.txt > doc-cp1252.txt
pandoc -s -M pagetitle="Keeping a Hearth" -o doc.html doc.md
pandoc -o doc.docx doc.md
pandoc -o doc.odt doc.md
pandoc -M title="Keeping a Hearth" -M lang=en -o doc.epub doc.md

# groff's PDF device embeds the URW fonts ghostscript ships; -t runs tbl
# for the table, -k preconv for UTF-8 input. pandoc's ms template asks for
# a character groff lacks (a warning only).
pandoc -s -t ms -o doc.ms doc.md
groff -ms -t -k -Tpdf doc.ms > doc.pdf 2> groff.log || { cat groff.log >&2; exit 1; }

qpdf --encrypt secret-user secret-owner 256 -- doc.pdf encrypted.pdf
printf '%s\n' '.sp 2i' "\\D'l 3i 0'" "\\D'p 1i 0 0 1i -1i 0'" > scanned.tr
groff -Tpdf scanned.tr > scanned.pdf

for f in doc.docx doc.odt doc.epub; do
    size=$(wc -c < "$f")
    head -c $((size / 2)) "$f" > "truncated.${f#doc.}"
done

python3 - <<'PY'
import zipfile
# 257 MiB of one byte deflate to about 250 KiB: the container's limit is 256 MiB.
with zipfile.ZipFile("bomb.docx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    with z.open("word/document.xml", "w", force_zip64=True) as f:
        block = b" " * (1 << 20)
        for _ in range(257):
            f.write(block)
PY

echo "not a document" > unknown.xyz
