#!/usr/bin/env bash
# Applies .clang-format to every C++ source of the project (the one command for C++ layout).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
git ls-files '*.cpp' '*.hpp' | xargs -r clang-format -i
