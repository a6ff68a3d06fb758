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
echo "== cascade serve: the daemon runs the examples on a virtual clock (--dry-run: messages to a file)"
data=$(mktemp -d)
export CASCADE_TOKEN=main-job-token-0123456789
"$cascade" serve --project examples --data "$data" --listen 127.0.0.1:0 --port-file "$data/port" \
  --virtual-clock 2026-03-02T08:00:00Z --dry-run 2> "$data/serve.log" &
serve_pid=$!
stop_daemon() { kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" || true; }
trap stop_daemon EXIT
for _ in $(seq 100); do [ -s "$data/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$data/port")
echo "listening on $url"
# Prints the first N bytes of an answer (curl's own output is read whole: no broken pipes).
api() { local n=$1; shift; local out; out=$(curl -sf "$@"); if [ ${#out} -gt "$n" ]; then echo "${out:0:$n} …"; else echo "$out"; fi; }
echo "-- cascade deploy examples/ --to $url"
"$cascade" deploy examples/ --to "$url"
echo "-- POST /v1/profiles (NDJSON) and POST /v1/events (NDJSON: the examples' events and statuses)"
api 120 -H 'Content-Type: application/x-ndjson' --data-binary @examples/profiles.jsonl "$url/v1/profiles"
api 120 -H 'Content-Type: application/x-ndjson' --data-binary @examples/events.jsonl "$url/v1/events"
echo "-- POST /v1/clock: a month passes in one call"
api 200 -H 'Content-Type: application/json' -d '{"at":"2026-04-01T00:00:00Z"}' "$url/v1/clock"
echo "-- GET /v1/recipients/u1 (instances and history, first lines)"
api 600 "$url/v1/recipients/u1"
echo "-- GET /v1/scenarios/abandoned_cart/report (first bytes)"
api 400 "$url/v1/scenarios/abandoned_cart/report"
echo "-- GET /metrics (cascade_ families)"
metrics=$(curl -sf "$url/metrics")
grep -E '^cascade_(inputs_total|sends_total|instances_live|applied_seq)' <<< "$metrics" || true
echo "-- the daemon's outbox ($data/outbox.jsonl): $(wc -l < "$data/outbox.jsonl") messages; the first:"
first=$(head -n 1 "$data/outbox.jsonl"); echo "${first:0:400} …"
echo "-- SIGTERM: drain, snapshot, exit"
stop_daemon
trap - EXIT
tail -n 2 "$data/serve.log"
daemon_lines=$(wc -l < "$data/trace.jsonl")
rm -rf "$data"
echo "daemon trace: $daemon_lines lines"
echo "main job: OK"
