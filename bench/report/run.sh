#!/usr/bin/env bash
# `cascade report` on a big trace against the Python peer (peer_funnel.py), in the same run:
# records per second (wall and CPU: user + system) and peak RSS of each process, measured by
# /usr/bin/time. On a loaded machine the CPU figure is the one to compare.
# Usage: bench/report/run.sh CASCADE TRACE PROJECT_DIR      (bench/run.sh report calls it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cascade=$1 trace=$2 project=$3
records=$(wc -l <"$trace")
bytes=$(stat -c %s "$trace")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
measure() {  # NAME COMMAND… → one JSON line
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || {
    cat "$out/stderr" >&2
    exit 1
  }
  read -r seconds user sys kb <"$out/time"
  python3 - "$name" "$records" "$bytes" "$seconds" "$user" "$sys" "$kb" <<'PY'
import json, sys
name, records, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seconds, user, system, kb = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
cpu = user + system
print(json.dumps({"bench": "report", "tool": name, "records": records, "mb": round(size / 1e6),
                  "seconds": seconds, "cpu_seconds": round(cpu, 2),
                  "records_per_s": round(records / seconds) if seconds else None,
                  "records_per_cpu_s": round(records / cpu) if cpu else None, "peak_rss_mb": round(kb / 1024, 1)}))
PY
}
rows=$(
  measure "cascade report (text)" "$cascade" report "$trace" --project "$project"
  measure "cascade report (json)" "$cascade" report "$trace" --project "$project" --format json
  measure "python3 peer_funnel.py" python3 "$here/peer_funnel.py" "$trace"
)
echo "$rows"
python3 - "$rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
peer = rows[-1]
print(f'trace: {rows[0]["records"]:,} records, {rows[0]["mb"]:,} MB')
print("| tool | wall s | CPU s | records/s (wall) | records/CPU-s | peak RSS MB | CPU ratio (peer / tool) |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    ratio = f'{peer["cpu_seconds"] / r["cpu_seconds"]:.1f}x' if r["cpu_seconds"] else "n/a (too small to time)"
    print(f'| {r["tool"]} | {r["seconds"]:.2f} | {r["cpu_seconds"]:.2f} | {r["records_per_s"] or 0:,} | '
          f'{r["records_per_cpu_s"] or 0:,} | {r["peak_rss_mb"]:.0f} | {ratio} |')
PY
