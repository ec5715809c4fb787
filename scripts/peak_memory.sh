#!/usr/bin/env bash
# Runs a command (stdin passed on) and prints, on stderr once it ends, the peak anonymous
# memory (RssAnon: heap and stacks) and the peak file pages it had mapped (RssFile: pages
# of the page cache, which the kernel reclaims as it needs), sampled every 0.2 s from
# /proc/PID/status. `time -v` reports only their sum (maxrss).
#   scripts/peak_memory.sh build/release/bin/bee batch ./db --group 1000 < ops.jsonl
set -uo pipefail
exec 3<&0
"$@" <&3 &
pid=$!
peak_anon=0
peak_file=0
while kill -0 "$pid" 2>/dev/null; do
  anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  file=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  [ -n "$anon" ] && [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
  [ -n "$file" ] && [ "$file" -gt "$peak_file" ] && peak_file=$file
  sleep 0.2
done
wait "$pid"
status=$?
echo "peak RssAnon $((peak_anon / 1024)) MiB, peak RssFile $((peak_file / 1024)) MiB" >&2
exit "$status"
