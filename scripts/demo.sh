#!/usr/bin/env bash
# Quick start, command one: installs what is missing, builds the release preset and runs
# the main demo (today: a Hypercore log on disk, created, appended, reopened, verified).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-oracle
echo "==> building (release)"
cmake --preset release >/dev/null
cmake --build --preset release
bin=build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> running the log demo in $work"
"$bin/examples/log_demo" "$work/demo-log"
echo "==> the same store through the bee command-line tool"
set -x
"$bin/bin/bee" core info "$work/demo-log"
"$bin/bin/bee" core get "$work/demo-log" 0 --json
"$bin/bin/bee" core verify "$work/demo-log"
