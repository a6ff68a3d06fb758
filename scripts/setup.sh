#!/usr/bin/env bash
# Installs everything cascade needs to build and test, from Debian packages only.
# Idempotent: when every package is already there it prints nothing and does no network I/O.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-test1.81-dev libboost-json1.81-dev
  libyaml-cpp-dev libfmt-dev libcli11-dev
  libhowardhinnant-date-dev tzdata
  libsqlite3-dev libxxhash-dev
  libgraphviz-dev graphviz
  libssl-dev libcurl4-openssl-dev
  python3
  curl  # the main job talks to the daemon with it
  # test-only: a real SMTP server (the providers' tests), promtool (the daemon's /metrics), a headless browser (the HTML report's
  # test). Node.js and npm (the Mermaid parser that checks `graph --format mermaid`, the
  # benchmark peers) come with the machine's Node.js, whose npm conflicts with Debian's.
  python3-aiosmtpd chromium prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
