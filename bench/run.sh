#!/usr/bin/env bash
# Runs every benchmark and prints the figures for docs/performance.md.
# Usage: bench/run.sh [check|timers|vm|peers|store|simulate|providers|http|daemon|MODE,MODE…]   (default: all; with vm and peers, the ratios)
# Sizes: VM_N (bench_engine recipients, default 1,000,000), RUN_N (`cascade run` recipients,
# default 1,000,000); the peers take LUA_N, XSTATE_N, TIMER_OPS, TIMER_PENDING (bench/peers/run.sh);
# store: STORE_BATCH_N (inputs in batches of 500, default 200,000; the BullMQ peer BATCH_N, default
# 50,000), STORE_REPLAY_N (default 1,000,000), STORE_SNAPSHOT_MB (default 256).
# simulate: SIM_SIZES (recipients, default "100000 1000000"; cascade and the Python peer each).
# daemon: DAEMON_SIZES (live instances, default "1000000 3000000"), DAEMON_SECONDS, DAEMON_CONNS, DAEMON_RATE and
# the rest in bench/daemon/bench.py; the BullMQ peer's BATCH_N (default 50,000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-bench
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCASCADE_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target cascade bench_check bench_timers bench_engine bench_http bench_store bench_providers bench_daemon_load >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
what=${1:-all}
# `bench/run.sh vm,peers` runs several modes (and prints the ratios when both vm and peers ran).
want() { [ "$what" = all ] || [[ ",$what," == *",$1,"* ]]; }

if want check; then
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

if want timers; then
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

VM_N=${VM_N:-1000000}
# The step phases run on as many recipients as the XState peer (its actors are 4 KB each); the
# step cost does not grow with N (docs/performance.md has a 1,000,000 figure too).
VM_STEP_N=${VM_STEP_N:-100000}
RUN_N=${RUN_N:-1000000}
vm_json=$work/vm.jsonl
peers_json=$work/peers.jsonl
: >"$vm_json"
: >"$peers_json"

if want vm; then
  echo "## vm: the engine on the abandoned cart (bench/vm/bench_engine.cpp, bench/peers/README.md)"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$build/bench/vm/bench_engine" "$VM_N" all "$VM_STEP_N" | tee -a "$vm_json"
  "$build/bench/vm/bench_timers" wheel 1000000 1000000 | sed 's/^{/{"bench":"vm_timer",/' | tee -a "$vm_json"
  # `cascade run` on the real example (quiet hours, caps, audience and all) with statuses.
  data=$build/cart_$RUN_N
  if [ ! -s "$data/events.jsonl" ]; then
    mkdir -p "$data"
    python3 "$root/bench/vm/gen_cart.py" "$RUN_N" "$data"
  fi
  profiles=$(wc -l <"$data/profiles.jsonl")
  inputs=$(wc -l <"$data/events.jsonl")
  for attempt in 1 2; do
    start=$(date +%s%N)
    "$build/cli/cascade" run "$root/examples/abandoned_cart.cascade" --project "$root/examples/cascade.yaml" \
      --profiles "$data/profiles.jsonl" --events "$data/events.jsonl" -o "$work/trace.jsonl" 2>"$work/run.err" || {
      cat "$work/run.err" >&2
      exit 1
    }
    ns=$(( $(date +%s%N) - start ))
    records=$(wc -l <"$work/trace.jsonl")
    python3 - "$profiles" "$inputs" "$records" "$ns" "$attempt" <<'PY' | tee -a "$vm_json"
import json, sys
profiles, inputs, records, ns, attempt = map(int, sys.argv[1:])
s = ns / 1e9
print(json.dumps({"bench": "vm_run", "attempt": attempt, "profiles": profiles, "input_lines": inputs,
                  "trace_lines": records, "seconds": round(s, 3),
                  "input_lines_per_s": round(inputs / s), "all_lines_per_s": round((profiles + inputs) / s)}))
PY
  done
  sed 's/^/  /' "$work/run.err" >&2
fi

if want report; then
  echo "## report: cascade report vs. a Python script computing the same funnel (bench/report/)"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), load $(cut -d' ' -f1-3 /proc/loadavg)"
  # The input: the trace of the RUN_N-recipient `cascade run` of the vm part, made once and kept.
  data=$build/cart_$RUN_N
  if [ ! -s "$data/events.jsonl" ]; then
    mkdir -p "$data"
    python3 "$root/bench/vm/gen_cart.py" "$RUN_N" "$data"
  fi
  if [ ! -s "$data/trace.jsonl" ]; then
    "$build/cli/cascade" run "$root/examples/abandoned_cart.cascade" --project "$root/examples/cascade.yaml" \
      --profiles "$data/profiles.jsonl" --events "$data/events.jsonl" -o "$data/trace.jsonl" 2>/dev/null
  fi
  "$root/bench/report/run.sh" "$build/cli/cascade" "$data/trace.jsonl" "$root/examples"
fi

if want peers; then
  echo "## peers: Lua 5.4 coroutines and XState v5 actors on the same logic (bench/peers/)"
  "$root/bench/peers/run.sh" all | tee -a "$peers_json"
fi

if want http; then
  echo "## http: a trivial JSON POST handler under wrk, keep-alive, 1 and 64 connections; Node.js http peer"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$root/bench/http/run.sh" "$build/bench/http/bench_http"
fi

if want vm && want peers; then
  echo "## vm vs. peers (same run)"
  python3 - "$vm_json" "$peers_json" <<'PY'
import json, sys
vm = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
peers = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
mem = next(r for r in vm if r["bench"] == "vm_memory")
step = next(r for r in vm if r["bench"] == "vm_step" and r["sink"] == "none")
step_json = next(r for r in vm if r["bench"] == "vm_step" and r["sink"] == "json")
timer = next(r for r in vm if r["bench"] == "vm_timer")
ours = {"bytes": mem["rss_minus_payloads"], "step": step["ns_per_step"], "cpu_step": step["cpu_ns_per_step"],
        "timer": timer["schedule_cancel_ns"]}
print("| | bytes/instance (all-in) | ns/step (wall) | ns/step (CPU) | ns/timer cancel+schedule |")
print("|---|---|---|---|---|")
print(f'| cascade VM (n={mem["n"]:,}) | {ours["bytes"]:.0f} (engine model {mem["bytes_per_instance"]:.0f}; '
      f'payload +{mem["payload_bytes_per_instance"]:.0f}) | {ours["step"]:.0f} (json sink {step_json["ns_per_step"]:.0f}; n={step["n"]:,}) | '
      f'{ours["cpu_step"]:.0f} | {ours["timer"]:.0f} |')
for p in peers:
    print(f'| {p["peer"]} (n={p["n"]:,}) | {p["bytes_per_instance"]:.0f} | {p["ns_per_step"]:.0f} | '
          f'{p.get("cpu_ns_per_step", float("nan")):.0f} | {p["ns_per_timer"]:.0f} |')
for p in peers:
    print(f'| ratio {p["peer"]} / VM | {p["bytes_per_instance"] / ours["bytes"]:.1f}x | '
          f'{p["ns_per_step"] / ours["step"]:.2f}x | {p.get("cpu_ns_per_step", float("nan")) / ours["cpu_step"]:.2f}x | '
          f'{p["ns_per_timer"] / ours["timer"]:.2f}x |')
PY
fi

if want store; then
  echo "## store: durable appends, replay, snapshots (bench/store/) vs. BullMQ delayed jobs on Redis, appendfsync always"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), load $(cut -d' ' -f1-3 /proc/loadavg)"
  store_json=$work/store.jsonl
  : >"$store_json"
  for m in single concurrent "batch ${STORE_BATCH_N:-200000}" "replay ${STORE_REPLAY_N:-1000000}" \
           "snapshot ${STORE_SNAPSHOT_MB:-256}"; do
    # shellcheck disable=SC2086  # mode and size are two words on purpose
    "$build/bench/store/bench_store" "$work/store" $m | tee -a "$store_json"
  done
  BATCH_N=${BATCH_N:-50000} "$root/bench/store/run.sh" all | tee -a "$store_json"
  python3 - "$store_json" <<'PY'
import json, sys
rows = {r["bench"]: r for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{"))}
print("| durable ingest (sync FULL / appendfsync always) | cascade store inputs/s | p50 / p99 | BullMQ + Redis inputs/s | p50 / p99 | ratio (cascade / BullMQ) |")
print("|---|---|---|---|---|---|")
for key, label in (("single", "one at a time (1 waiter)"), ("concurrent", "64 concurrent waiters"), ("batch", "batches of 500 (4 waiters)")):
    o, p = rows[f"store_{key}"], rows[f"bullmq_{key}"]
    if key == "batch":
        lat_o = f'{o["p50_batch_ms"]:.1f} / {o["p99_batch_ms"]:.1f} ms a batch'
        lat_p = f'{p["p50_batch_ms"]:.1f} / {p["p99_batch_ms"]:.1f} ms a batch'
    else:
        lat_o = f'{o["p50_us"] / 1000:.2f} / {o["p99_us"] / 1000:.2f} ms'
        lat_p = f'{p["p50_us"] / 1000:.2f} / {p["p99_us"] / 1000:.2f} ms'
    extra = f' ({o["inputs_per_transaction"]:.0f} inputs a commit)' if "inputs_per_transaction" in o else ""
    print(f'| {label} | {o["inputs_per_s"]:,.0f}{extra} | {lat_o} | {p["inputs_per_s"]:,.0f} | {lat_p} | {o["inputs_per_s"] / p["inputs_per_s"]:.1f}x |')
r = rows["store_replay"]
print(f'\nreplay: {r["inputs"]:,} inputs in {r["seconds"]:.2f} s = {r["inputs_per_s"]:,.0f} inputs/s ({r["body_mb_per_s"]:.0f} MB/s of bodies; database {r["db_mb"]:.0f} MB)')
s = rows["store_snapshot"]
print(f'snapshot {s["mb"]} MB: save {s["save_mb_per_s"]:.0f} MB/s, load {s["load_mb_per_s"]:.0f} MB/s '
      f'(as an SQLite blob via sqlite3_blob: save {s["sqlite_blob_save_mb_per_s"]:.0f} MB/s, load {s["sqlite_blob_load_mb_per_s"]:.0f} MB/s)')
PY
fi

SIM_SIZES=${SIM_SIZES:-"100000 1000000"}
if want simulate; then
  echo "## simulate: \`cascade simulate\` on the abandoned cart vs. a plain-Python Monte-Carlo (bench/simulate/)"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), load $(cut -d' ' -f1-3 /proc/loadavg)"
  # shellcheck disable=SC2086  # the sizes are words
  python3 "$root/bench/simulate/bench.py" "$build/cli/cascade" "$root" $SIM_SIZES
fi

# PROVIDERS_N messages (default 10,000) per client and concurrency.
if want providers; then
  echo "## providers: webhook messages/s to one loopback receiver, cascade vs. Node.js fetch and node:http (bench/providers/)"
  echo "machine: $(nproc) cores, $(uname -m), g++ $(g++ -dumpfullversion), node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
  n=${PROVIDERS_N:-10000}
  mkfifo "$work/hold"
  "$build/bench/providers/bench_providers" receiver <"$work/hold" >"$work/port" &
  receiver=$!
  exec 9>"$work/hold"  # the receiver serves until this closes
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  url="http://127.0.0.1:$(head -1 "$work/port")/send"
  rows=""
  for c in 1 64; do
    rows="$rows$("$build/bench/providers/bench_providers" send "$url" "$n" "$c")"$'\n'
    rows="$rows$(node "$root/bench/providers/peer_fetch.mjs" "$url" "$n" "$c" fetch)"$'\n'
    rows="$rows$(node "$root/bench/providers/peer_fetch.mjs" "$url" "$n" "$c" http)"$'\n'
  done
  exec 9>&-
  wait "$receiver"
  python3 - "$rows" <<'PY'
import json, sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
print("| concurrency | client | messages | failed | seconds | messages/s | ratio (cascade / client) |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    ours = next(o for o in rows if o["client"] == "cascade" and o["concurrency"] == r["concurrency"])
    print(f'| {r["concurrency"]} | {r["client"]} | {r["n"]:,} | {r["failed"]} | {r["seconds"]:.2f} | '
          f'{r["msgs_per_s"]:,.0f} | {ours["msgs_per_s"] / r["msgs_per_s"]:.2f}x |')
PY
fi

# `cascade serve` end to end: durable ingest over HTTP, latency, memory per live instance, restart.
if want daemon; then
  echo "## daemon: \`cascade serve\` on the example project, durable ingest over HTTP, memory, restart (bench/daemon/) vs. BullMQ delayed jobs on Redis, appendfsync always"
  echo "machine: $(nproc) cores, $(uname -m), $(free -g | awk '/^Mem:/ {print $2 " GB RAM, " $7 " GB available"}'), g++ $(g++ -dumpfullversion), node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
  if "$build/cli/cascade" serve --help >/dev/null 2>&1; then
    python3 "$root/bench/daemon/bench.py" "$build/cli/cascade" "$build/bench/daemon/bench_daemon_load" "$root"
  else
    echo "(skipped: this build of cascade has no serve command)"
  fi
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
