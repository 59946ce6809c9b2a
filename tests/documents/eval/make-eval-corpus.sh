#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# make-eval-corpus.sh OUT: builds the retrieval evaluation's corpus into the
# folder OUT from documentation that Debian 12 packages install, converted
# with the real tools (pandoc, groff), so that no third-party text is
# committed. tests/documents/eval/eval.py runs it at start.
#
# Sources (package: file; licence of the text):
#   grep:      /usr/share/man/man1/grep.1.gz      GPL-3+ / GFDL
#   sed:       /usr/share/man/man1/sed.1.gz       GPL-3+
#   tar:       /usr/share/man/man1/tar.1.gz       GPL-3+
#   gzip:      /usr/share/man/man1/gzip.1.gz      GPL-3+
#   coreutils: /usr/share/man/man1/sort.1.gz      GPL-3+
#   findutils: /usr/share/man/man1/find.1.gz      GPL-3+
#   gzip:      /usr/share/doc/gzip/README.gz      GPL-3+ (a plain-text README)
#   bzip2-doc: /usr/share/doc/bzip2/manual.html   BSD-style (an HTML manual)
#
# Every document is written in every format Hearth reads, one folder per
# format (OUT/txt, OUT/md, OUT/html, OUT/docx, OUT/odt, OUT/epub, OUT/pdf),
# each file named after its document (grep.txt, grep.md, ...):
#   man pages    pandoc -f man to Markdown, then Markdown to the others
#   the README   the text itself is the .txt and the .md (pandoc reads it as
#                Markdown for the others)
#   the manual   the HTML itself is the .html; pandoc -f html to Markdown,
#                then Markdown to the others
#   txt          pandoc -t plain
#   html         pandoc -s
#   docx odt     pandoc
#   epub         pandoc (title metadata, which EPUB requires)
#   pdf          pandoc -t ms, then groff -ms -Tpdf (no LaTeX)
# A missing source file or tool is an error that names its package: the
# evaluation must fail, not skip, when its corpus cannot be built.
set -eu

out=$1

need_file() { # FILE PACKAGE
    [ -r "$1" ] || { echo "make-eval-corpus.sh: $1 is missing: install the Debian package $2" >&2; exit 1; }
}
need_tool() { # TOOL PACKAGE
    command -v "$1" >/dev/null 2>&1 || { echo "make-eval-corpus.sh: $1 is missing: install the Debian package $2" >&2; exit 1; }
}

need_tool pandoc pandoc
need_tool groff groff
need_tool zcat gzip
# groff -Tpdf needs ghostscript's URW fonts.
need_file /usr/share/groff/current/font/devpdf/download groff
need_file /usr/share/man/man1/grep.1.gz grep
need_file /usr/share/man/man1/sed.1.gz sed
need_file /usr/share/man/man1/tar.1.gz tar
need_file /usr/share/man/man1/gzip.1.gz gzip
need_file /usr/share/man/man1/sort.1.gz coreutils
need_file /usr/share/man/man1/find.1.gz findutils
need_file /usr/share/doc/gzip/README.gz gzip
need_file /usr/share/doc/bzip2/manual.html bzip2-doc

mkdir -p "$out"
cd "$out"
mkdir -p src txt md html docx odt epub pdf

# Markdown without pandoc's attribute and div syntax: what a person would write.
md_flavour=markdown-fenced_divs-native_divs-native_spans-bracketed_spans-header_attributes-inline_code_attributes-link_attributes-raw_html

for m in grep sed tar gzip sort find; do
    zcat "/usr/share/man/man1/$m.1.gz" > "src/$m.1"
    pandoc -f man -t "$md_flavour" -o "md/$m.md" "src/$m.1"
done

zcat /usr/share/doc/gzip/README.gz > txt/gzip-readme.txt
cp txt/gzip-readme.txt md/gzip-readme.md

cp /usr/share/doc/bzip2/manual.html html/bzip2-manual.html
pandoc -f html -t "$md_flavour" -o md/bzip2-manual.md html/bzip2-manual.html

for f in md/*.md; do
    name=$(basename "$f" .md)
    title=$name
    [ -f "txt/$name.txt" ] || pandoc -f markdown -t plain -o "txt/$name.txt" "$f"
    [ -f "html/$name.html" ] || pandoc -f markdown -s -M pagetitle="$title" -o "html/$name.html" "$f"
    pandoc -f markdown -o "docx/$name.docx" "$f"
    pandoc -f markdown -o "odt/$name.odt" "$f"
    pandoc -f markdown -M title="$title" -M lang=en -o "epub/$name.epub" "$f"
    # -t runs tbl for tables, -k preconv for UTF-8 input; pandoc's ms
    # template asks for characters groff lacks (warnings only).
    pandoc -f markdown -s -t ms -o "src/$name.ms" "$f"
    groff -ms -t -k -Tpdf "src/$name.ms" > "pdf/$name.pdf" 2> "src/$name.groff.log" || {
        cat "src/$name.groff.log" >&2
        exit 1
    }
done
