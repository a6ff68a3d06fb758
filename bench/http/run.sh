#!/usr/bin/env bash
# The HTTP front: requests/s and p50/p99 latency of a trivial JSON POST handler on loopback with
# keep-alive, 1 and 64 connections, loaded by wrk (Debian) — cascade_http (bench_http, 2 threads)
# and, in the same run, the same handler on Node.js's http module.
# Usage: bench/http/run.sh BENCH_HTTP_BINARY   (HTTP_SECONDS per load, default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
seconds=${HTTP_SECONDS:-5}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ! command -v wrk >/dev/null; then
  echo "http: installing wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server that prints its port on its first line; echoes the port.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.port" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    [ -s "$work/$name.port" ] && break
    sleep 0.1
  done
  head -1 "$work/$name.port"
}

ours=$(start cascade "$bin" 2)
peer=$(start node node "$here/peer_node.mjs")
results=$work/results.jsonl
: >"$results"
for server in cascade node; do
  port=$ours
  [ "$server" = node ] && port=$peer
  for conns in 1 64; do
    threads=$([ "$conns" = 1 ] && echo 1 || echo 2)
    wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency -s "$here/post.lua" "http://127.0.0.1:$port/v1/events" \
      >"$work/wrk.txt"
    python3 - "$server" "$conns" "$work/wrk.txt" <<'PY' | tee -a "$results"
import json, re, sys
server, conns, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
text = open(path).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
lat = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(json.dumps({"bench": "http", "server": server, "connections": conns, "requests_per_s": round(rps),
                  "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
                  "non_2xx": int(errors.group(1)) if errors else 0}))
PY
  done
done
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {(r["server"], r["connections"]): r for r in rows}
print("| connections | server | requests/s | p50 ms | p99 ms | ratio cascade / node (req/s) |")
print("|---|---|---|---|---|---|")
for c in (1, 64):
    o, n = by[("cascade", c)], by[("node", c)]
    for r in (o, n):
        ratio = f'{o["requests_per_s"] / n["requests_per_s"]:.2f}x' if r is o else ""
        print(f'| {c} | {r["server"]} | {r["requests_per_s"]:,} | {r["p50_ms"]:.3f} | {r["p99_ms"]:.3f} | {ratio} |')
PY
