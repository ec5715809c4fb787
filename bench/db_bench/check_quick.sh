#!/usr/bin/env bash
# ctest db_bench_quick: runs `bee_db_bench --quick` into a scratch folder and checks that it
# ran every engine and workload (the driver checks its CSV itself and exits non-zero
# otherwise), and that the report and its plots were written. Speed is not checked.
#   check_quick.sh <bee_db_bench> <scratch folder>
set -euo pipefail
bench="$1"
out="$2"
rm -rf "$out"
mkdir -p "$out"
"$bench" --quick --report "$out/benchmarks.md" --assets "$out/benchmarks" --work "$out/work"
csv="$out/benchmarks/results.csv"
rows=$(($(wc -l < "$csv") - 1))
engines=$(tail -n +2 "$csv" | cut -d, -f1 | sort -u | tr '\n' ' ')
echo "results.csv: $rows rows; engines: $engines"
for e in bee leveldb rocksdb lmdb sqlite node-disk node-mem; do
  grep -q "^$e," "$csv" || { echo "no rows for $e" >&2; exit 1; }
done
grep -q '^| `fill_random` |' "$out/benchmarks.md" || { echo "report has no results table" >&2; exit 1; }
grep -q '^## Closing note' "$out/benchmarks.md" || { echo "report has no closing note" >&2; exit 1; }
for png in "$out"/benchmarks/throughput_*.png; do
  [ -s "$png" ] && [ "$(head -c 4 "$png" | tail -c 3)" = "PNG" ] || { echo "bad plot $png" >&2; exit 1; }
done
echo "db_bench --quick: ok"
