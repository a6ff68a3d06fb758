#!/usr/bin/env bash
# The main job: set-up, build, then the example project end to end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
"$root/scripts/build.sh" "$build"
cascade=$build/cli/cascade
cd "$root"
echo "== cascade check --werror examples/ ($(find examples -name '*.cascade' | wc -l) files)"
"$cascade" check --werror examples/ && echo "clean: no errors, no warnings"
echo "== what a mistake looks like (tests/golden/check/E0500-outcome-not-reported.cascade)"
"$cascade" check --color never tests/golden/check/E0500-outcome-not-reported.cascade || true
echo "== cascade fmt --check examples/"
"$cascade" fmt --check examples/
echo "== cascade check --format sarif examples/ (first lines)"
"$cascade" check --format sarif examples/ | head -c 400; echo " …"
echo "== cascade compile examples/ -o <tmp> && cascade disasm (first lines)"
cbc_dir=$(mktemp -d)
"$cascade" compile examples/ -o "$cbc_dir" && ls "$cbc_dir"
"$cascade" disasm "$cbc_dir/abandoned_cart.cbc" | sed -n 1,30p
rm -rf "$cbc_dir"
echo "== cascade run examples/ --profiles examples/profiles.jsonl --events examples/events.jsonl (first lines of the trace)"
trace=$(mktemp)
"$cascade" run examples/ --profiles examples/profiles.jsonl --events examples/events.jsonl -o "$trace"
head -n 8 "$trace"
echo "… $(wc -l < "$trace") trace lines"
echo "== cascade report <that trace> --project examples (the first scenario)"
"$cascade" report "$trace" --project examples | sed -n 1,24p
report_html=$(mktemp --suffix=.html)
"$cascade" report "$trace" --project examples --format html -o "$report_html"
echo "… and an HTML page of $(wc -c < "$report_html") bytes"
rm -f "$trace" "$report_html"
echo "== cascade test examples/"
"$cascade" test examples/
echo "== cascade graph examples/abandoned_cart.cascade --format mermaid"
"$cascade" graph examples/abandoned_cart.cascade --format mermaid
svg=$(mktemp --suffix=.svg)
"$cascade" graph examples/abandoned_cart.cascade --format svg -o "$svg"
echo "… and an SVG of $(wc -c < "$svg") bytes"
rm -f "$svg"
echo "== cascade simulate examples/abandoned_cart.cascade --audience examples/simulate/audience.yaml --rates examples/simulate/rates.yaml --recipients 100000 --seed 1"
"$cascade" simulate examples/abandoned_cart.cascade --audience examples/simulate/audience.yaml \
  --rates examples/simulate/rates.yaml --recipients 100000 --seed 1
echo "main job: OK"
