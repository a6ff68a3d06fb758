#!/usr/bin/env bash
# `cascade report` on a big trace against the Python peer (peer_funnel.py), in the same run:
# records per second (wall) and peak RSS of each process, measured by /usr/bin/time.
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
  /usr/bin/time -f '%e %M' -o "$out/time" "$@" >"$out/stdout" 2>"$out/stderr" || {
    cat "$out/stderr" >&2
    exit 1
  }
  read -r seconds kb <"$out/time"
  python3 - "$name" "$records" "$bytes" "$seconds" "$kb" <<'PY'
import json, sys
name, records, size, seconds, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(json.dumps({"bench": "report", "tool": name, "records": records, "mb": round(size / 1e6),
                  "seconds": seconds, "records_per_s": round(records / seconds) if seconds else None,
                  "peak_rss_mb": round(kb / 1024, 1)}))
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
print("| tool | seconds | records/s | peak RSS MB | speed ratio (tool / peer) |")
print("|---|---|---|---|---|")
for r in rows:
    print(f'| {r["tool"]} | {r["seconds"]:.2f} | {r["records_per_s"]:,} | {r["peak_rss_mb"]:.0f} | '
          f'{peer["seconds"] / r["seconds"]:.1f}x |')
PY
