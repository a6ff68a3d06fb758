#!/usr/bin/env bash
# Regenerates the expected output of every golden `cascade check` case
# (tests/golden/check/**.expected, and each .json.expected that exists) and the golden trace
# of `cascade run` on examples/ (tests/golden/run/examples.trace.jsonl) from what the
# current build prints. Usage: scripts/regen-golden.sh [BUILD_DIR]   (default: build/)
#
# This is deliberate: afterwards read `git diff tests/golden/check` and make sure every
# change is one you meant. The harness (tests/golden/golden_test.cpp) does the writing, so
# the files are produced by exactly the command the test compares against. Regenerate
# docs/diagnostics.md afterwards (scripts/gen-docs.sh): its examples come from these files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  "$root/scripts/setup.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target cascade golden_test run_test -j "${JOBS:-2}" >/dev/null
cd "$root"
CASCADE_REGEN_GOLDEN=1 "$build/tests/golden/golden_test" --run_test=check --log_level=nothing --report_level=no || true
CASCADE_REGEN_GOLDEN=1 "$build/tests/run/run_test" --run_test=golden_trace_of_the_examples --log_level=nothing --report_level=no || true
git -C "$root" status --short -- tests/golden/check tests/golden/run
