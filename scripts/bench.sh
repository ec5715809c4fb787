#!/usr/bin/env bash
# Regenerates docs/benchmarks.md, docs/benchmarks/results.csv and the plots: builds the
# release preset, then runs every workload against bee, LevelDB, RocksDB, LMDB, SQLite and
# the Node reference Hyperbee in one run (about 25 minutes on 2 cores; run it on a quiet
# machine, the report records the load average).
#   scripts/bench.sh            the full report
#   scripts/bench.sh --quick    a smoke run (under a minute) into build/db_bench_quick/
# Extra arguments go to the driver (bee_db_bench --help style: --engines, --workloads, --runs).
# BEE_BENCH_BUILD_DIR picks another build folder (configured like the release preset).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BEE_ORACLE_DIR="${BEE_ORACLE_DIR:-$PWD/.cache/oracle}"

build="${BEE_BENCH_BUILD_DIR:-build/release}"
if [ "$build" = build/release ]; then
  cmake --preset release >/dev/null
else
  cmake --preset release -B "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target bee_db_bench

bench="$build/bench/db_bench/bee_db_bench"
export BEE_BENCH_INVOCATION="scripts/bench.sh${*:+ $*}"
BEE_BENCH_REVISION="git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD -- hypercore bee 2>/dev/null || BEE_BENCH_REVISION+=" + uncommitted changes in hypercore/ or bee/"
export BEE_BENCH_REVISION
if [ "${1:-}" = --quick ]; then
  shift
  out=build/db_bench_quick
  exec "$bench" --quick --report "$out/benchmarks.md" --assets "$out/benchmarks" "$@"
fi
echo "==> load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$bench" --report docs/benchmarks.md --assets docs/benchmarks "$@"
