#!/usr/bin/env bash
# Regenerates docs/diagnostics.md from the diagnostics table
# (compiler/include/cascade/compiler/diagnostics.def) and the golden cases in
# tests/golden/check/. Usage: scripts/gen-docs.sh [BUILD_DIR]   (default: build/)
# A test (tests/diag, docs_diagnostics_md_is_up_to_date) fails while the file is stale.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  "$root/scripts/setup.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target cascade -j "${JOBS:-2}" >/dev/null
cd "$root"  # the paths inside the .expected files are relative to the repository root
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$build/cli/cascade" __gen-docs tests/golden/check >"$tmp"
chmod 644 "$tmp"
mv "$tmp" docs/diagnostics.md
trap - EXIT
echo "wrote docs/diagnostics.md"

# The opcode table of docs/bytecode.md comes from runtime/bytecode/include/cascade/bytecode/opcodes.def.
cmake --build "$build" --target bytecode_tests -j "${JOBS:-2}" >/dev/null
CASCADE_REGEN_DOCS=1 "$build/tests/bytecode/bytecode_tests" --run_test=docs --log_level=nothing --report_level=no
echo "wrote docs/bytecode.md"
