#!/usr/bin/env python3
"""The simulate benchmark (bench/run.sh simulate): `cascade simulate` on the abandoned cart with
examples/simulate/{audience,rates}.yaml, and the plain-Python peer (peer_python.py) on the same
number of recipients, each in its own process. For each: wall seconds, CPU seconds (user + sys
of the child), recipients per second (wall and CPU) and peak RSS (the child's ru_maxrss); then
the ratio peer / cascade. Prints JSON lines, then a Markdown table for docs/performance.md.

Usage: bench.py CASCADE_BINARY SOURCE_ROOT N [N …]"""
import json, os, subprocess, sys, time


def measure(argv):
    """Runs argv; returns (wall s, cpu s, peak RSS KB, stdout), the rusage of exactly this
    child (wait4), not the largest child so far."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    child.stdout.close()
    if child.returncode != 0:
        sys.exit(f"{argv[0]} failed with exit code {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out


def main():
    binary, root, sizes = sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3:]]
    rows = []
    for n in sizes:
        for tool in ("cascade", "python"):
            if tool == "cascade":
                argv = [binary, "simulate", os.path.join(root, "examples/abandoned_cart.cascade"),
                        "--project", os.path.join(root, "examples/cascade.yaml"),
                        "--audience", os.path.join(root, "examples/simulate/audience.yaml"),
                        "--rates", os.path.join(root, "examples/simulate/rates.yaml"),
                        "--recipients", str(n), "--format", "json"]
            else:
                argv = [sys.executable, os.path.join(root, "bench/simulate/peer_python.py"), str(n)]
            wall, cpu, rss, out = measure(argv)
            result = json.loads(out)
            sends = sum(c["sends"] for c in result["channels"]) if tool == "cascade" else sum(result["sends"].values())
            started = result["started"]["total"] if tool == "cascade" else result["started"]
            row = {"bench": "simulate", "tool": tool, "recipients": n, "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
                   "recipients_per_s": round(n / wall), "recipients_per_cpu_s": round(n / cpu) if cpu else None,
                   "peak_rss_mb": round(rss / 1024, 1), "started": started, "sends": sends}
            print(json.dumps(row), flush=True)
            rows.append(row)
    print()
    print("| recipients | tool | wall s | CPU s | recipients/s (wall) | recipients/s (CPU) | peak RSS MB | started | sends |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f'| {r["recipients"]:,} | {r["tool"]} | {r["seconds"]:.2f} | {r["cpu_seconds"]:.2f} | {r["recipients_per_s"]:,} | '
              f'{r["recipients_per_cpu_s"]:,} | {r["peak_rss_mb"]:.0f} | {r["started"]:,} | {r["sends"]:,} |')
    for n in sizes:
        ours = next(r for r in rows if r["recipients"] == n and r["tool"] == "cascade")
        peer = next(r for r in rows if r["recipients"] == n and r["tool"] == "python")
        print(f'| {n:,} | ratio python / cascade | {peer["seconds"] / ours["seconds"]:.2f}x | '
              f'{peer["cpu_seconds"] / ours["cpu_seconds"]:.2f}x | | | {peer["peak_rss_mb"] / ours["peak_rss_mb"]:.2f}x | | |')


if __name__ == "__main__":
    main()
