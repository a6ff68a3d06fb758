#!/usr/bin/env python3
"""The peer for the check benchmark: CPython's parser and bytecode compiler on a Python
file of the same number of lines (what an engineer gets from `python3 -m py_compile`).
Prints one line of JSON like bench_check."""
import json, statistics, sys, time

path = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 7
text = open(path, encoding="utf-8").read()
lines = text.count("\n")
times = []
for _ in range(repeats):
    start = time.perf_counter()
    compile(text, path, "exec")
    times.append((time.perf_counter() - start) * 1000)
ms = statistics.median(times)
print(json.dumps({"file": path, "lines": lines, "compile_ms": round(ms, 3),
                  "compile_ms_per_1k_lines": round(ms * 1000 / lines, 3)}))
