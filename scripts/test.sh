#!/usr/bin/env bash
# Quick start, command two: the whole test suite, as CI runs it.
#  1. debug build (-Werror), every test including interop against the Node reference
#  2. the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#  3. libFuzzer targets: replay the checked-in corpus, then fuzz each for a few seconds
# Set BEE_TEST_STAGES to a subset ("debug asan fuzz") to run fewer stages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BEE_ORACLE_DIR="$PWD/.cache/oracle"
stages="${BEE_TEST_STAGES:-debug asan fuzz}"
jobs=$(nproc)

for stage in $stages; do
  case "$stage" in
    debug|asan)
      echo "==> [$stage] configure and build"
      cmake --preset "$stage" >/dev/null
      cmake --build --preset "$stage" -j "$jobs"
      echo "==> [$stage] tests"
      ctest --preset "$stage" -j "$jobs" --timeout 600
      ;;
    fuzz)
      echo "==> [fuzz] configure and build"
      cmake --preset fuzz >/dev/null
      cmake --build --preset fuzz -j "$jobs"
      echo "==> [fuzz] replay the checked-in corpus and seeds, then fuzz each target for ${BEE_FUZZ_SECONDS:-10}s"
      seeds=$(mktemp -d)
      build/fuzz/tests/fuzz/make_fuzz_seeds "$seeds"
      for target in build/fuzz/tests/fuzz/fuzz_*; do
        name=$(basename "$target")
        name=${name#fuzz_}
        corpus="tests/fuzz/corpus/$name"
        mkdir -p "$corpus" "$seeds/$name"
        scratch=$(mktemp -d)
        echo "--- fuzz_$name"
        status=0
        "$target" -max_total_time="${BEE_FUZZ_SECONDS:-10}" -max_len=262144 -rss_limit_mb=2048 \
          "$scratch" "$corpus" "$seeds/$name" > "$scratch.log" 2>&1 || status=$?
        if [ "$status" != 0 ]; then
          tail -n 40 "$scratch.log" >&2
          echo "fuzz_$name failed (exit $status); the crashing input (crash-*) is in $PWD" >&2
          exit 1
        fi
        grep -E "^Done [0-9]+ runs" "$scratch.log" || true
        rm -rf "$scratch" "$scratch.log"
      done
      rm -rf "$seeds"
      ;;
    *) echo "unknown stage '$stage'" >&2; exit 64 ;;
  esac
done
echo "==> all stages passed: $stages"
