#!/bin/sh
# Turns docs/cli.md into the man page bee(1) with go-md2man (the build runs this; the
# manual has one source). Section headings move up one level (## is a man section, ### a
# subsection), links keep their text, and nothing inside code blocks is touched.
#   scripts/man_page.sh docs/cli.md VERSION DATE OUT.1
set -eu
src=$1 version=$2 date=$3 out=$4
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
  printf '%% BEE 1 "%s" "bee %s" "User Commands"\n\n' "$date" "$version"
  printf '# NAME\n\nbee - an embedded peer-to-peer database (Hyperbee 2 on a Hypercore 10 log)\n\n'
  printf '# SYNOPSIS\n\n**bee** *COMMAND* [*ARGS*...] [*options*]\n\n**bee** *GROUP* *COMMAND* [*ARGS*...] [*options*]\n\n'
  printf '# DESCRIPTION\n\n'
  awk '
    /^```/ { fence = !fence; print; next }
    fence { print; next }
    NR == 1 && /^# / { next }
    /^##/ { sub(/^#/, "") }
    { while (match($0, /\[[^]]*\]\([^)]*\)/)) {
        link = substr($0, RSTART, RLENGTH); sub(/\]\(.*/, "", link); sub(/^\[/, "", link)
        $0 = substr($0, 1, RSTART - 1) link substr($0, RSTART + RLENGTH)
      }
      print }
  ' "$src"
  printf '\n# SEE ALSO\n\nThe project README and docs/ folder: the C++ API (docs/bee.md, docs/hypercore.md, docs/replication.md) and the formats (docs/format/).\n'
} > "$tmp"
go-md2man -in "$tmp" -out "$out"
