#!/usr/bin/env bash
# Builds from scratch if needed and runs every test. Usage: scripts/test.sh [BUILD_DIR]
# CASCADE_SANITIZE=1 runs the same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
default=$root/build
[ "${CASCADE_SANITIZE:-0}" = 1 ] && default=$root/build-asan
build=${1:-$default}
"$root/scripts/build.sh" "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest -j "${JOBS:-$(nproc)}" --output-on-failure --timeout 600
