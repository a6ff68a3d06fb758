#!/usr/bin/env bash
# Configures and builds cascade. Usage: scripts/build.sh [BUILD_DIR] [extra cmake args…]
# Environment: CASCADE_SANITIZE=1 for an ASan+UBSan build; JOBS to override parallelism.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
"$root/scripts/setup.sh"
# Let ccache share objects between clones at different paths (CI builds a fresh clone).
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCASCADE_WERROR=ON)
if [ "${CASCADE_SANITIZE:-0}" = 1 ]; then
  args+=(-DCASCADE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCASCADE_BENCH=OFF)
fi
cmake -S "$root" -B "$build" "${args[@]}" "$@" >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}"
