#!/usr/bin/env python3
"""The daemon benchmark (bench/run.sh daemon; docs/performance.md, "The daemon").

For each size N it starts `cascade serve` on the example project (examples/cascade.yaml) with a
virtual clock (no timer fires from the wall clock), --dry-run (the file provider), on a fresh
--data directory, deploys every example scenario (`cascade compile examples --bundle`, then
POST /v1/scenarios with the bearer token), and then, with bench_daemon_load (load.cpp):

1. loads N + DAEMON_TAIL profiles (NDJSON batches of 10,000 on POST /v1/profiles), waits until
   they are applied;
2. POSTs `cart_abandoned` events, each to a recipient that has none yet, so every event starts an
   abandoned_cart instance that waits 1 h for its e-mail:
   - single events, 1 connection, closed loop (DAEMON_SECONDS);
   - single events, DAEMON_CONNS connections, closed loop: saturation (DAEMON_SECONDS, at most N/3);
   - single events, DAEMON_CONNS connections, open loop at DAEMON_RATE events/s (DAEMON_SECONDS);
   - NDJSON batches of 500 on 4 connections: every recipient left of the first N, so N
     instances are live;
   after each load it waits until the daemon has applied every acknowledged event
   (cascade_applied_seq reaches the highest seq answered) and reports that time too;
3. memory: (VmRSS with N live instances - VmRSS with the profiles only) / N;
4. restart: SIGTERM (drain + snapshot; its time is reported), start again, time from the spawn to
   the first 200 on /readyz (the snapshot alone); then DAEMON_TAIL (100,000) more events for the
   recipients kept aside, kill -9, start again, time to 200 (the snapshot plus the replayed tail:
   fewer than --snapshot-every, 200,000 by default, so no snapshot was taken meanwhile); after each
   start it checks that the live instances (GET /v1/scenarios) and the restored seq (the log's
   "restored" line) are what they were.

Then, in the same run, the peer: bench/store/run.sh (BullMQ delayed jobs on Redis with
appendfsync always: one add at a time, 64 concurrent adds, addBulk of 500 from 4 callers).

Prints one JSON line per measurement, then Markdown tables for docs/performance.md.

Usage: bench.py CASCADE_BINARY BENCH_DAEMON_LOAD SOURCE_ROOT
Environment: DAEMON_SIZES (default "1000000 3000000"), DAEMON_SECONDS (10), DAEMON_CONNS (64),
DAEMON_RATE (5000), DAEMON_TAIL (100000), DAEMON_LOAD_THREADS (2), DAEMON_SERVE_ARGS (extra `cascade serve` arguments),
DAEMON_PEER (1; 0 skips the BullMQ peer), BATCH_N (the peer's batched jobs, 50,000),
DAEMON_PERF (a file: `perf record -g` the daemon during the batched load into it),
DAEMON_TMP (where the data directories go; default the system's temporary directory)."""
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CLOCK = "2026-03-02T10:00:00Z"  # 13:00 in Moscow: outside the quiet hours
TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Daemon:
    """One `cascade serve` process over a data directory that outlives it."""

    def __init__(self, binary, root, data, token, extra):
        self.binary, self.root, self.data, self.token, self.extra = binary, root, data, token, extra
        self.proc = None
        self.port = None
        self.starts = 0
        self.probe = None  # an event body with an id already logged (set after the first start)
        self.ack_seconds = None

    def start(self):
        """Starts the daemon; returns the seconds from spawn to the first 200 on /readyz."""
        port_file = os.path.join(self.data, "..", "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        # The first start sets the virtual clock; later ones continue from the store's clock.
        clock = ["--virtual-clock", CLOCK] if self.starts == 0 else ["--virtual-clock"]
        argv = [self.binary, "serve", "--project", os.path.join(self.root, "examples"),
                "--listen", "127.0.0.1:0", "--port-file", port_file, "--data", self.data,
                "--dry-run", *self.extra, *clock]
        env = dict(os.environ, CASCADE_TOKEN=self.token)
        self.starts += 1
        self.log = open(os.path.join(self.data, "..", f"serve-{self.starts}.log"), "wb")
        t0 = time.perf_counter()
        self.ack_seconds = None
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        while True:
            if self.proc.poll() is not None:
                self.fail(f"cascade serve exited with {self.proc.returncode} while starting")
            if self.port is None or not os.path.exists(port_file):
                self.port = None
                try:
                    with open(port_file) as f:
                        text = f.read().strip()
                    if text:
                        self.port = int(text.splitlines()[0])
                except (FileNotFoundError, ValueError):
                    pass
            if self.port is not None and self.probe and self.ack_seconds is None:
                # Serving starts before the engine is restored: the listener takes events (and
                # acknowledges them durably) while the restore runs. The probe repeats an event
                # id already in the log, so it is acknowledged as a duplicate and changes nothing.
                try:
                    status, _ = self.request("POST", "/v1/events", self.probe, "application/json", timeout=2)
                    if status == 202:
                        self.ack_seconds = time.perf_counter() - t0
                except OSError:
                    pass
            if self.port is not None:
                try:
                    status, _ = self.request("GET", "/readyz", timeout=2)
                    if status == 200:
                        return time.perf_counter() - t0
                except OSError:
                    pass
            if time.perf_counter() - t0 > 1800:
                self.fail("not ready after 30 minutes")
            time.sleep(0.002)

    def fail(self, what):
        self.log.flush()
        tail = open(self.log.name, "rb").read()[-4000:].decode("utf-8", "replace")
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        sys.exit(f"daemon benchmark: {what}\n--- {self.log.name} (tail) ---\n{tail}")

    def request(self, method, path, body=None, content_type=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {self.token}"}
            if content_type:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            return res.status, res.read()
        finally:
            conn.close()

    def metrics(self):
        status, body = self.request("GET", "/metrics")
        if status != 200:
            self.fail(f"GET /metrics answered {status}")
        values = {}
        for line in body.decode().splitlines():
            if not line or line.startswith("#"):
                continue
            name_labels, _, value = line.rpartition(" ")
            name = name_labels.split("{", 1)[0]
            try:
                values[name] = values.get(name, 0.0) + float(value)
            except ValueError:
                pass
        return values

    def wait_applied(self, seq, limit=3600):
        """Waits until cascade_applied_seq >= seq; returns the metrics then."""
        t0 = time.perf_counter()
        while True:
            m = self.metrics()
            if m.get("cascade_applied_seq", 0) >= seq:
                return m
            if time.perf_counter() - t0 > limit:
                self.fail(f"applied seq {m.get('cascade_applied_seq')} has not reached {seq} in {limit} s")
            time.sleep(0.02)

    def live(self):
        """Live instances over every scenario version (GET /v1/scenarios)."""
        status, body = self.request("GET", "/v1/scenarios")
        if status != 200:
            self.fail(f"GET /v1/scenarios answered {status}")
        return sum(v["live"] for sc in json.loads(body)["scenarios"] for v in sc["versions"])

    def log_lines(self, msg):
        """The lines of this start's log with this "msg", as dicts."""
        self.log.flush()
        found = []
        with open(self.log.name, "rb") as f:
            for line in f:
                if f'"msg":"{msg}"'.encode() in line:
                    try:
                        found.append(json.loads(line))
                    except ValueError:
                        pass
        return found

    def previous_log_line(self, msg):
        """The last line with this "msg" in the log of the start before this one."""
        path = os.path.join(self.data, "..", f"serve-{self.starts - 1}.log")
        found = {}
        with open(path, "rb") as f:
            for line in f:
                if f'"msg":"{msg}"'.encode() in line:
                    try:
                        found = json.loads(line)
                    except ValueError:
                        pass
        return found

    def log_line(self, msg):
        """The last line of this start's log with this "msg" ({} when none)."""
        lines = self.log_lines(msg)
        return lines[-1] if lines else {}

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self, sig):
        """Sends sig and waits for the exit; returns (seconds, exit code)."""
        t0 = time.perf_counter()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=1800)
        self.log.close()
        return time.perf_counter() - t0, code


def load(gen, port, token, **kw):
    argv = [gen, "--port", str(port), "--token", token]
    for k, v in kw.items():
        argv += [f"--{k}", str(v)]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    text = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.stdout.close()
    row = json.loads(text)
    # The generator shares the 2 cores with the daemon: its CPU time says how much it took.
    row["load_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    if os.waitstatus_to_exitcode(status) != 0:
        log(f"bench_daemon_load {' '.join(argv[5:])}: {row.get('failed')} failed, {row.get('rejected')} rejected: "
            f"{row.get('first_error')}")
    return row


def one_size(cascade, gen, root, n, env, tmp):
    seconds = float(env.get("DAEMON_SECONDS", 10))
    conns = int(env.get("DAEMON_CONNS", 64))
    rate = float(env.get("DAEMON_RATE", 5000))
    threads = int(env.get("DAEMON_LOAD_THREADS", 2))
    tail = int(env.get("DAEMON_TAIL", 100000))
    extra = env.get("DAEMON_SERVE_ARGS", "").split()
    work = tempfile.mkdtemp(prefix="cascade-dbench-", dir=tmp)
    rows = []

    def emit(row):
        row = {"bench": row.pop("bench"), "n": n, **row, "load": loadavg()}
        print(json.dumps(row), flush=True)
        rows.append(row)
        return row

    try:
        bundle = os.path.join(work, "examples.cbb")
        subprocess.run([cascade, "compile", "--project", os.path.join(root, "examples/cascade.yaml"), "--bundle",
                        os.path.join(root, "examples"), "-o", bundle], check=True, stdout=subprocess.DEVNULL)
        data = os.path.join(work, "data")
        os.mkdir(data)
        token = secrets.token_hex(16)
        d = Daemon(cascade, root, data, token, extra)
        first_start = d.start()
        with open(bundle, "rb") as f:
            status, body = d.request("POST", "/v1/scenarios", f.read(), "application/octet-stream")
        if status != 200:
            d.fail(f"POST /v1/scenarios answered {status}: {body[:400]!r}")
        deployed = json.loads(body)["deployed"]
        rss_empty = d.rss_mb()
        emit({"bench": "daemon_start", "seconds_to_ready": round(first_start, 3), "scenarios": len(deployed),
              "rss_mb": round(rss_empty, 1)})

        # 1. Profiles.
        cpu0 = d.cpu_s()
        t0 = time.perf_counter()
        r = load(gen, d.port, token, kind="profile", batch=10000, conns=2, threads=threads, count=n + tail)
        m = d.wait_applied(r["max_seq"])
        applied_s = time.perf_counter() - t0
        time.sleep(1)
        rss_profiles = d.rss_mb()
        emit({"bench": "daemon_profiles", "acknowledged": r["acknowledged"], "failed": r["failed"] + r["rejected"],
              "seconds": r["seconds"], "per_s": r["per_s"], "applied_seconds": round(applied_s, 2),
              "daemon_cpu_s": round(d.cpu_s() - cpu0, 2), "rss_mb": round(rss_profiles, 1)})

        # 2. Events; `at` absent, so each is at the (virtual) clock.
        nxt = 0

        def events(label, **kw):
            nonlocal nxt
            cpu0 = d.cpu_s()
            t0 = time.perf_counter()
            r = load(gen, d.port, token, kind="event", threads=threads, **{"from": nxt}, **kw)
            nxt = r["next"]
            m = d.wait_applied(r["max_seq"])
            applied = time.perf_counter() - t0
            return emit({"bench": "daemon_events", "load_kind": label, "batch": r["batch"], "conns": r["conns"],
                         "rate": r["rate"], "acknowledged": r["acknowledged"], "failed": r["failed"] + r["rejected"],
                         "seconds": r["seconds"], "per_s": r["per_s"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                         "p999_ms": r["p999_ms"], "max_ms": r["max_ms"],
                         "applied_after_s": round(applied - r["seconds"], 2),
                         "applied_per_s": round(r["acknowledged"] / applied) if applied else None,
                         "daemon_cpu_us_per_event": round((d.cpu_s() - cpu0) / max(1, r["acknowledged"]) * 1e6, 1),
                         "daemon_cores": round((d.cpu_s() - cpu0) / applied, 2) if applied else None,
                         "load_cores": round(r["load_cpu_s"] / r["seconds"], 2) if r["seconds"] else None,
                         "instances_live": int(m.get("cascade_instances_live", 0)), "first_error": r.get("first_error")})

        events("single, 1 connection", batch=1, conns=1, seconds=seconds, count=n // 10)
        events(f"single, {conns} connections, saturation", batch=1, conns=conns, seconds=seconds, count=n // 3)
        events(f"single, {conns} connections, {rate:,.0f}/s", batch=1, conns=conns, seconds=seconds,
               rate=rate, count=max(0, n - nxt))
        perf_out = env.get("DAEMON_PERF")
        if perf_out:
            perf = subprocess.Popen(["perf", "record", "-g", "-o", perf_out, "-p", str(d.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        events("batches of 500, 4 connections", batch=500, conns=4, count=max(0, n - nxt))
        if perf_out:
            perf.send_signal(signal.SIGINT)
            perf.wait()

        # 3. Memory.
        time.sleep(1)
        m = d.metrics()
        live = d.live()
        rss_live = d.rss_mb()
        snaps = d.log_lines("snapshot saved")
        emit({"bench": "daemon_memory", "events": nxt,
              "snapshots_during_ingest": len(snaps),
              "snapshot_seconds_total": round(sum(x.get("seconds", 0) for x in snaps), 2),
              "last_snapshot_seconds": round(snaps[-1].get("seconds", 0), 2) if snaps else None,
              "last_snapshot_mb": round(snaps[-1].get("bytes", 0) / 1048576) if snaps else None, "profiles": n + tail, "instances_live": live, "rss_profiles_mb": round(rss_profiles, 1),
              "rss_live_mb": round(rss_live, 1),
              "bytes_per_instance": round((rss_live - rss_profiles) * 1048576 / live) if live else None,
              "profile_bytes": round((rss_profiles - rss_empty) * 1048576 / (n + tail)),
              "data_dir_mb": round(sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(data) for f in fs)
                                   / 1048576)})

        # 4. Restarts. SIGTERM (drain + snapshot), start: the snapshot alone. Then `tail` more
        # events for the recipients kept aside (new instances, fewer than --snapshot-every, so no
        # snapshot is taken meanwhile) and kill -9, start: the snapshot plus a replayed tail.
        def restart(how, sig, expect_live):
            before = d.metrics()
            stop_s, code = d.stop(sig)
            ready = d.start()
            m = d.metrics()
            after_live = d.live()
            restored = d.log_line("restored")
            stop_snapshot = d.previous_log_line("snapshot saved") if sig == signal.SIGTERM else {}
            row = emit({"bench": "daemon_restart", "after": how, "stop_seconds": round(stop_s, 2), "exit_code": code,
                        "stop_snapshot_seconds": round(stop_snapshot.get("seconds", 0), 2) or None,
                        "stop_snapshot_mb": round(stop_snapshot.get("bytes", 0) / 1048576) or None,
                        "seconds_to_ready": round(ready, 3),
                        "seconds_to_first_ack": round(d.ack_seconds, 3) if d.ack_seconds is not None else None,
                        "instances_live": after_live,
                        "restored_seq": restored.get("seq"), "replayed": restored.get("replayed"),
                        "restored_instances": restored.get("instances"),
                        "restore_seconds_logged": round(restored.get("seconds", 0), 3),
                        "applied_seq_before": int(before.get("cascade_applied_seq", 0)),
                        "metric_applied_seq_after": int(m.get("cascade_applied_seq", 0)),
                        "metric_instances_live_after": int(m.get("cascade_instances_live", 0)),
                        "rss_mb": round(d.rss_mb(), 1)})
            if after_live != expect_live or restored.get("seq") != int(before.get("cascade_applied_seq", 0)):
                log(f"daemon benchmark: before the {how} restart {expect_live} instances were live and "
                    f"{int(before.get('cascade_applied_seq', 0))} inputs applied; after it {after_live} live "
                    f"(GET /v1/scenarios) and restored to seq {restored.get('seq')}")
            return row

        # The probe for "time to serving": one event with an id, logged now, repeated at each start.
        d.probe = json.dumps({"recipient": "probe-nobody", "event": "cart_abandoned", "id": "bench-probe",
                              "data": {"cart_id": "c", "cart_url": "https://shop.example/c", "total": 1.0, "items": 1}})
        status, _ = d.request("POST", "/v1/events", d.probe, "application/json")
        if status != 202:
            d.fail(f"the probe event was refused ({status})")
        time.sleep(0.5)  # applied (and skipped: no such recipient) before the restart counts the seq
        restart("SIGTERM", signal.SIGTERM, live)
        if tail:
            r = events("tail before kill -9: batches of 500, 4 connections", batch=500, conns=4, count=tail)
            live = d.live()
        restart(f"kill -9 (replaying {tail:,} events)", signal.SIGKILL, live)
        stop_s, code = d.stop(signal.SIGTERM)
        emit({"bench": "daemon_stop", "stop_seconds": round(stop_s, 2), "exit_code": code})
    finally:
        if "d" in locals() and d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if env.get("DAEMON_KEEP"):
            log(f"daemon benchmark: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def main():
    cascade, gen, root = sys.argv[1:4]
    env = os.environ
    tmp = env.get("DAEMON_TMP") or None
    sizes = [int(s) for s in env.get("DAEMON_SIZES", "1000000 3000000").split()]
    rows = []
    for n in sizes:
        rows += one_size(cascade, gen, root, n, env, tmp)
    peer = {}
    if env.get("DAEMON_PEER", "1") != "0":
        out = subprocess.run([os.path.join(root, "bench/store/run.sh"), "all"], stdout=subprocess.PIPE, text=True,
                             check=True, env=dict(env, BATCH_N=env.get("BATCH_N", "50000")))
        for line in out.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                r["load"] = loadavg()
                print(json.dumps(r), flush=True)
                peer[r["bench"]] = r
    report(rows, peer)


def report(rows, peer):
    print()
    print("| N | load average | what | acknowledged events/s | p50 / p99 / p99.9 ms (a request) | applied events/s "
          "| daemon CPU µs/event | cores used: daemon / load generator | peer (BullMQ + Redis, appendfsync always) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    peer_of = {"single, 1 connection": "bullmq_single", "batches of 500, 4 connections": "bullmq_batch"}
    for r in rows:
        if r["bench"] != "daemon_events":
            continue
        p = peer.get(peer_of.get(r["load_kind"], "bullmq_concurrent" if "saturation" in r["load_kind"] else ""))
        peer_cell, ratio = "", ""
        if p:
            lat = (f'{p["p50_batch_ms"]:.1f} / {p["p99_batch_ms"]:.1f} ms a batch' if "p50_batch_ms" in p
                   else f'{p["p50_us"] / 1000:.2f} / {p["p99_us"] / 1000:.2f} ms')
            peer_cell = f'{p["inputs_per_s"]:,} ({p["waiters"]} waiter{"s" if p["waiters"] > 1 else ""}; {lat})'
            ratio = f'{r["per_s"] / p["inputs_per_s"]:.1f}x'
        failed = f' ({r["failed"]:,} failed)' if r["failed"] else ""
        print(f'| {r["n"]:,} | {r["load"]} | {r["load_kind"]} '
              f'| {int(r["per_s"]):,}{failed} | {r["p50_ms"]} / {r["p99_ms"]} / {r["p999_ms"]} '
              f'| {r["applied_per_s"]:,} | {r["daemon_cpu_us_per_event"]} | {r["daemon_cores"]} / {r["load_cores"]} '
              f'| {peer_cell} | {ratio} |')
    print()
    print("| N | profiles/s (batches of 10,000) | RSS profiles only MB | RSS N live MB | bytes per live instance "
          "| data dir MB | SIGTERM stop s | start → first event acknowledged s (SIGTERM / kill -9) "
          "| SIGTERM → ready s (N live) | kill -9 → ready s (N + tail live, tail replayed) "
          "| live after the restarts |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sorted({r["n"] for r in rows}):
        def get(bench, after=""):
            return next(r for r in rows if r["n"] == n and r["bench"] == bench and r.get("after", "").startswith(after))
        pr, mem = get("daemon_profiles"), get("daemon_memory")
        k9, term = get("daemon_restart", "kill -9"), get("daemon_restart", "SIGTERM")
        print(f'| {n:,} | {int(pr["per_s"]):,} | {mem["rss_profiles_mb"]:,.0f} | {mem["rss_live_mb"]:,.0f} '
              f'| {mem["bytes_per_instance"]} | {mem["data_dir_mb"]:,} | {term["stop_seconds"]:.2f} '
              f'| {term.get("seconds_to_first_ack")} / {k9.get("seconds_to_first_ack")} '
              f'| {term["seconds_to_ready"]:.2f} | {k9["seconds_to_ready"]:.2f} '
              f'| {term["instances_live"]:,} / {k9["instances_live"]:,} |')
    sizes = sorted({r["n"] for r in rows})
    if len(sizes) >= 2:
        # A straight line through the two largest sizes, read at 10 M: the extrapolation the
        # docs quote when 10 M does not fit the machine.
        lo, hi = sizes[-2], sizes[-1]

        def at(bench, key, after=""):
            return [next(r[key] for r in rows if r["n"] == n and r["bench"] == bench
                         and r.get("after", "").startswith(after)) for n in (lo, hi)]

        def line(label, ys, unit, target=10_000_000):
            slope = (ys[1] - ys[0]) / (hi - lo)
            print(f"- {label}: {ys[0]:,.2f} {unit} at {lo:,}, {ys[1]:,.2f} at {hi:,} → "
                  f"{ys[0] + slope * (target - lo):,.1f} {unit} at {target:,} (straight line)")
        print()
        line("SIGTERM → ready", at("daemon_restart", "seconds_to_ready", "SIGTERM"), "s")
        line("kill -9 → ready", at("daemon_restart", "seconds_to_ready", "kill -9"), "s")
        line("SIGTERM → exit (drain + snapshot)", at("daemon_restart", "stop_seconds", "SIGTERM"), "s")
        line("RSS with N live instances", at("daemon_memory", "rss_live_mb"), "MB")


if __name__ == "__main__":
    main()
