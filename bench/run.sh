#!/usr/bin/env bash
# Runs every benchmark and prints the figures for docs/performance.md.
# Usage: bench/run.sh [check|timers]   (default: all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-bench
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCASCADE_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target cascade bench_check bench_timers >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
what=${1:-all}

if [ "$what" = all ] || [ "$what" = check ]; then
  echo "## check: cascade check vs. CPython compile() on the same number of lines"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion)"
  printf '| lines | cascade parse ms | cascade check ms | check ms / 1k lines | CPython compile ms | ratio (CPython / cascade) | cascade check (process, ms) |\n'
  printf '|---|---|---|---|---|---|---|\n'
  for n in 1000 10000 100000; do
    python3 "$root/bench/check/gen.py" "$n" "$work/gen_$n.cascade" "$work/gen_$n.py"
    cp "$root/bench/check/cascade.yaml" "$work/cascade.yaml"
    ours=$("$build/bench/check/bench_check" "$work/cascade.yaml" "$work/gen_$n.cascade" 7)
    peer=$(python3 "$root/bench/check/peer_python.py" "$work/gen_$n.py" 7)
    start=$(date +%s%N)
    "$build/cli/cascade" check --project "$work/cascade.yaml" "$work/gen_$n.cascade" >/dev/null 2>&1 || true
    proc_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    python3 - "$ours" "$peer" "$proc_ms" <<'PY'
import json, sys
o, p, proc = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
ratio = p["compile_ms"] / o["check_ms"] if o["check_ms"] else float("inf")
print(f'| {o["lines"]} | {o["parse_ms"]:.2f} | {o["check_ms"]:.2f} | {o["check_ms_per_1k_lines"]:.3f} | '
      f'{p["compile_ms"]:.2f} | {ratio:.2f}x | {proc} |')
if o["diagnostics"]:
    print(f'(warning: the generated file produced {o["diagnostics"]} diagnostics)')
PY
  done
fi

if [ "$what" = all ] || [ "$what" = timers ]; then
  echo "## timers: cascade::vm::TimerWheel vs. std::multimap and std::priority_queue (lazy deletion)"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion)"
  printf '| pending | structure | schedule ns | schedule+cancel ns | schedule+fire ns | bytes/timer (model) | bytes/timer (RSS) | schedule+cancel ratio (peer / wheel) |\n'
  printf '|---|---|---|---|---|---|---|---|\n'
  for n in 1000000 10000000; do
    rows=""
    for s in wheel multimap pqueue; do
      rows="$rows$("$build/bench/vm/bench_timers" "$s" "$n" 2000000)"$'\n'
    done
    python3 - "$rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
wheel = rows[0]
for r in rows:
    ratio = r["schedule_cancel_ns"] / wheel["schedule_cancel_ns"]
    print(f'| {r["pending"]:,} | {r["structure"]} | {r["schedule_ns"]:.1f} | {r["schedule_cancel_ns"]:.1f} | '
          f'{r["schedule_fire_ns"]:.1f} | {r["model_bytes_per_timer"]:.1f} | {r["rss_bytes_per_timer"]:.1f} | {ratio:.2f}x |')
PY
  done
fi
