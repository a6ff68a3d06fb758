#!/usr/bin/env bash
# Runs the cascade VM's peers on the abandoned-cart benchmark and prints one JSON line per peer:
#   Lua 5.4, one coroutine per recipient (Debian package lua5.4), and
#   XState v5, one actor per recipient (npm package xstate, pinned by package-lock.json, on Node.js).
# Usage: bench/peers/run.sh [all|lua|xstate]
# Sizes: LUA_N (default 1,000,000 recipients), XSTATE_N (default 100,000: an actor holds ~4 KB,
# so a million would need ~4 GB of V8 heap and minutes of set-up), TIMER_OPS (default 1,000,000
# cancel+schedule pairs, with TIMER_PENDING = 1,000,000 deadlines pending in both peers).
# Installs what is missing first (quietly, on stderr); a second run does no network I/O.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-all}
LUA_N=${LUA_N:-1000000}
XSTATE_N=${XSTATE_N:-100000}
TIMER_OPS=${TIMER_OPS:-1000000}
TIMER_PENDING=${TIMER_PENDING:-1000000}

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_updated=
apt_install() {
  echo "peers: installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    "${sudo_cmd[@]}" apt-get update -qq >/dev/null
    apt_updated=1
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$what" = all ] || [ "$what" = lua ]; then
  command -v lua5.4 >/dev/null || apt_install lua5.4
  # The Lua peer sizes its timer heap by N: TIMER_PENDING is LUA_N there.
  lua5.4 "$here/lua_peer.lua" "$LUA_N" "$TIMER_OPS"
fi

if [ "$what" = all ] || [ "$what" = xstate ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
  # npm ci only when node_modules does not hold the locked xstate (npm ci always reinstalls).
  locked=$(node -p "require('$here/package-lock.json').packages['node_modules/xstate'].version")
  have=$(node -p "require('$here/node_modules/xstate/package.json').version" 2>/dev/null) || have=none
  if [ "$locked" != "$have" ]; then
    echo "peers: npm ci (xstate $locked)" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  node --expose-gc --max-old-space-size=8192 "$here/xstate_peer.mjs" "$XSTATE_N" "$TIMER_PENDING" "$TIMER_OPS"
fi
