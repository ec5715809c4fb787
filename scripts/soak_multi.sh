#!/usr/bin/env bash
# The long runs of the many-writers proofs, by hand (CI runs 150 seeds per rule):
#   scripts/soak_multi.sh [SEEDS]    default 5000 seeds per conflict rule (a third of them
#                                    again in open membership), then SEEDS/10 random groups
#                                    against the JavaScript model (tests/interop/multi_model.js)
# Builds the tests of the package preset (what the release stage builds) if needed. Prints
# each run's counts; fails on the first seed whose views differ from the model, naming it
# (rerun one with MULTI_FIRST_SEED=N MULTI_SEEDS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-5000}"
build=build/package
cmake --preset package -DBEE_BUILD_TESTS=ON -DBEE_BUILD_EXAMPLES=ON -DBEE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target convergence_test multi_interop_test
echo "==> convergence: $seeds seeds per rule"
time MULTI_SEEDS="$seeds" "$build/tests/multi/convergence_test"
echo "==> the JavaScript model: $((seeds / 10)) random groups per rule"
time MULTI_INTEROP_SEEDS="$((seeds / 10))" "$build/tests/multi/multi_interop_test" --gtest_filter='*FoldAlike*'
