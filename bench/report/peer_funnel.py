#!/usr/bin/env python3
"""The peer of `cascade report` in the benchmark: the script an engineer would otherwise write.

It reads a `cascade run` trace line by line and computes the same counts as the report's core:
starts by group, refused starts, failures and deferrals by reason, per step sent / failed /
delivered / opened / clicked / goal (each message once per level, a status implying the lower
ones), the treated-instance funnel, cost per channel and ends by outcome. No statistics and no
rendering (those cost nothing next to reading). Prints a JSON summary and, on stderr, a line of
JSON with the record count and the time taken.

Usage: peer_funnel.py TRACE
"""
import json
import sys
import time
from collections import defaultdict

LEVEL = {"delivered": 1, "opened": 2, "clicked": 3}


def main(path):
    start = time.perf_counter()
    scen = defaultdict(lambda: {
        "started": defaultdict(int), "refused": defaultdict(int), "failed": defaultdict(int),
        "deferred": defaultdict(int), "ended": defaultdict(int), "cost": defaultdict(float),
        "steps": defaultdict(lambda: [0, 0, 0, 0, 0, 0]),  # sent failed delivered opened clicked goal
    })
    msg_level = {}   # message -> 0 sent .. 3 clicked
    inst = {}        # instance -> [scenario, control, level, converted]
    records = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            records += 1
            s = scen[r["scenario"]]
            a = r["action"]
            if a == "start":
                s["started"][r["group"]] += 1
                inst[r["instance"]] = [r["scenario"], r["group"] == "control", 0, False]
            elif a == "skip":
                if "instance" in r:
                    s["failed"][r["reason"]] += 1
                    s["steps"][r["step"]][1] += 1
                else:
                    s["refused"][r["reason"]] += 1
            elif a == "send":
                s["steps"][r["step"]][0] += 1
                s["cost"][r["channel"]] += r["cost"]
                msg_level[r["message"]] = 0
                i = inst.get(r["instance"])
                if i and i[2] < 1:
                    i[2] = 1
            elif a == "defer":
                s["deferred"][r["reason"]] += 1
            elif a == "status":
                level = LEVEL.get(r["status"])
                old = msg_level.get(r["message"])
                if level is None or old is None or level <= old:
                    continue
                row = s["steps"][r["step"]]
                for k in range(old + 1, level + 1):
                    row[1 + k] += 1
                msg_level[r["message"]] = level
                i = inst.get(r["instance"])
                if i and i[2] < level + 1:
                    i[2] = level + 1
            elif a == "end":
                s["ended"][r["outcome"]] += 1
                if r["outcome"] == "converted":
                    i = inst.get(r["instance"])
                    if i:
                        i[3] = True
                    if "step" in r and not (i and i[1]):
                        s["steps"][r["step"]][5] += 1
    funnel = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for name, control, level, converted in inst.values():
        if control:
            continue
        f = funnel[name]
        f[0] += 1
        for k in range(1, 5):
            if level >= k:
                f[k] += 1
        if converted:
            f[5] += 1
    out = {}
    for name, s in scen.items():
        out[name] = {k: dict(v) for k, v in s.items() if k != "steps"}
        out[name]["steps"] = {str(k): v for k, v in sorted(s["steps"].items())}
        out[name]["funnel"] = funnel[name]
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    seconds = time.perf_counter() - start
    print(json.dumps({"records": records, "seconds": round(seconds, 3)}), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
