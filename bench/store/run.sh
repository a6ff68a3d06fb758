#!/usr/bin/env bash
# Runs the store benchmark's peer and prints its JSON lines: BullMQ delayed jobs (npm bullmq,
# pinned by package-lock.json) on a Redis started here (Debian redis-server) on a random
# loopback port with a temporary directory, appendonly yes, appendfsync always — every
# acknowledged add is on disk, as every acknowledged append of the store is.
# Usage: bench/store/run.sh [all|single|concurrent|batch]   (BATCH_N: inputs in batches, default 50,000)
# Installs what is missing first (quietly, on stderr); a second run does no network I/O.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
BATCH_N=${BATCH_N:-50000}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "store peer: installing redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "store peer: Node.js and npm are needed (they come with the machine)" >&2
  exit 1
fi
# npm ci only when node_modules does not hold the locked bullmq (npm ci always reinstalls).
locked=$(node -p "require('$here/package-lock.json').packages['node_modules/bullmq'].version")
have=$(node -p "require('$here/node_modules/bullmq/package.json').version" 2>/dev/null) || have=none
if [ "$locked" != "$have" ]; then
  echo "store peer: npm ci (bullmq $locked)" >&2
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

work=$(mktemp -d)
redis_pid=
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$work" --appendonly yes --appendfsync always \
  --save '' --daemonize no --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null || { cat "$work/redis.log" >&2; exit 1; }
node "$here/bullmq_peer.mjs" "$port" "$what" "$BATCH_N"
