#!/usr/bin/env bash
# Quick start, command two: the whole test suite, as CI runs it.
#  1. release: the optimised build the Debian packages ship (-Werror), every test in it
#     including interop against the Node reference; then, from the same build, the
#     packages: lintian, install, a consumer program built with CMake and pkg-config,
#     a clean purge (tests/packaging/check_package.sh)
#  2. asan: the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, with
#     assertions on, except those against the Node reference (BEE_TEST_INTEROP=OFF: they
#     run our code on the paths the unit tests and fuzzers cover, and cost minutes to build)
#  3. fuzz: libFuzzer targets replay the checked-in corpus, then fuzz each for a few seconds
# Set BEE_TEST_STAGES to a subset ("release asan fuzz") to run fewer stages; "debug" (an
# unoptimised build and its tests) runs only when asked for. One optimised build serves
# the tests and the packages, so the suite builds the code three times, not four.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BEE_ORACLE_DIR="$PWD/.cache/oracle"
stages="${BEE_TEST_STAGES:-release asan fuzz}"
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
      echo "==> [fuzz] replay the checked-in corpus and seeds, then fuzz each target for ${BEE_FUZZ_SECONDS:-10}s ($jobs at a time)"
      seeds=$(mktemp -d)
      build/fuzz/tests/fuzz/make_fuzz_seeds "$seeds"
      # fuzz_one TARGET: replays and fuzzes one target; its log and exit status land in $seeds.
      fuzz_one() {
        local target=$1 name scratch status=0
        name=$(basename "$target")
        name=${name#fuzz_}
        mkdir -p "tests/fuzz/corpus/$name" "$seeds/$name"
        scratch=$(mktemp -d)
        "$target" -max_total_time="${BEE_FUZZ_SECONDS:-10}" -max_len=262144 -rss_limit_mb=2048 \
          -artifact_prefix="$PWD/fuzz_$name-" "$scratch" "tests/fuzz/corpus/$name" "$seeds/$name" \
          > "$seeds/$name.log" 2>&1 || status=$?
        echo "$status" > "$seeds/$name.status"
        rm -rf "$scratch"
      }
      targets=(build/fuzz/tests/fuzz/fuzz_*)
      for ((i = 0; i < ${#targets[@]}; i += jobs)); do
        for target in "${targets[@]:i:jobs}"; do fuzz_one "$target" & done
        wait
      done
      failed=0
      for target in "${targets[@]}"; do
        name=$(basename "$target")
        name=${name#fuzz_}
        echo "--- fuzz_$name: $(grep -E "^Done [0-9]+ runs" "$seeds/$name.log" || echo "no summary")"
        if [ "$(cat "$seeds/$name.status")" != 0 ]; then
          tail -n 40 "$seeds/$name.log" >&2
          echo "fuzz_$name failed (exit $(cat "$seeds/$name.status")); the crashing input is $PWD/fuzz_$name-crash-*" >&2
          failed=1
        fi
      done
      [ "$failed" = 0 ] || exit 1
      rm -rf "$seeds"
      ;;
    release)
      echo "==> [release] configure and build (the package preset, with tests, examples, benchmarks)"
      cmake --preset package -DBEE_BUILD_TESTS=ON -DBEE_BUILD_EXAMPLES=ON -DBEE_BUILD_BENCHMARKS=ON >/dev/null
      cmake --build --preset package -j "$jobs"
      echo "==> [release] tests"
      ctest --test-dir build/package --output-on-failure -j "$jobs" --timeout 600
      echo "==> [release] the Debian packages from that build, and their checks"
      # package.sh configures the preset again without the tests: the library objects are
      # unchanged, so nothing is compiled twice.
      tests/packaging/check_package.sh
      ;;
    *) echo "unknown stage '$stage'" >&2; exit 64 ;;
  esac
done
echo "==> all stages passed: $stages"
