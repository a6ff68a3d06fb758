#!/usr/bin/env python3
"""Cross-check of the runtime's local-time functions against python3's zoneinfo.

Usage: tz_crosscheck.py PATH/TO/tz_dump

tz_dump prints one line per (function, zone, instant, arguments, result), computed by
runtime/vm/src/calendar.cpp over Howard Hinnant's date/tz. This script recomputes every result
with the standard library's zoneinfo (which reads the same system tzdata, but through a
different implementation) and the rules of calendar.hpp:

* a local time that does not exist (spring-forward gap) means the instant the gap ends;
* a local time that occurs twice (fall-back) means the earlier instant;
* quiet hours are the half-open local window [from, to), wrapping midnight when from > to,
  empty when from == to; quiet_end is the first instant after t whose local time is outside.

The algorithms are deliberately written differently from the C++ where the rules allow:
local times are resolved through PEP 495 folds, and quiet_end picks the earliest of all
candidate exit instants instead of walking offset periods.
"""
import bisect
import subprocess
import sys
import zoneinfo
from datetime import datetime, timedelta, timezone

DAY = 86400
EPOCH = datetime(1970, 1, 1)
MAX_REPORT = 20


class Zone:
    def __init__(self, name):
        self.tz = zoneinfo.ZoneInfo(name)
        self._cache = {}
        # Offset changes between 2024-06 and 2028-06, found by scanning zoneinfo every three
        # hours and bisecting to the second (changes are always further apart than that).
        self.transitions = []
        lo_t, hi_t = 1717200000, 1843500000
        step = 3 * 3600
        prev = self.offset(lo_t)
        t = lo_t
        while t < hi_t:
            nxt = self.offset(t + step)
            if nxt != prev:
                lo, hi = t, t + step  # offset(lo) == prev, offset(hi) != prev
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.offset(mid) == prev:
                        lo = mid
                    else:
                        hi = mid
                self.transitions.append(hi)
                prev = nxt
            t += step

    def offset(self, t):
        o = self._cache.get(t)
        if o is None:
            o = int(datetime.fromtimestamp(t, self.tz).utcoffset().total_seconds())
            self._cache[t] = o
        return o

    def local(self, t):
        return t + self.offset(t)

    def resolve(self, local):
        """The instant of local second `local`, by the rules above."""
        naive = EPOCH + timedelta(seconds=local)
        candidates = []
        for fold in (0, 1):
            aware = naive.replace(tzinfo=self.tz, fold=fold)
            u = local - int(aware.utcoffset().total_seconds())
            if self.local(u) == local:
                candidates.append(u)
        if candidates:
            return min(candidates)
        # In a gap: fold 0 and fold 1 give the offsets on either side; the gap ends at the
        # offset change between the two readings.
        a = local - int(naive.replace(tzinfo=self.tz, fold=0).utcoffset().total_seconds())
        b = local - int(naive.replace(tzinfo=self.tz, fold=1).utcoffset().total_seconds())
        lo, hi = min(a, b), max(a, b)
        after = self.offset(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.offset(mid) == after:
                hi = mid
            else:
                lo = mid
        return hi


def local_minutes(z, t):
    return z.local(t) % DAY // 60


def next_clock(z, t, m):
    day = z.local(t) // DAY
    c = t
    for k in range(4):
        c = z.resolve((day + k) * DAY + m * 60)
        if c >= t:
            return c
    return c


def inside(from_m, to_m, minute):
    if from_m < to_m:
        return from_m <= minute < to_m
    return minute >= from_m or minute < to_m


def quiet_end(z, t, from_m, to_m):
    if from_m == to_m or not inside(from_m, to_m, local_minutes(z, t)):
        return t
    horizon = t + 3 * DAY
    # The local clock changes window membership only where it reads `to` inside an offset
    # period, or at an offset change; the answer is the earliest such instant after t that
    # is outside the window.
    i = bisect.bisect_right(z.transitions, t)
    changes = [c for c in z.transitions[i:] if c <= horizon]
    bounds = [t] + changes + [horizon]
    candidates = list(changes)
    for a, b in zip(bounds, bounds[1:]):
        o = z.offset(a)
        u = a + (to_m * 60 - (a + o)) % DAY
        while u < b:
            candidates.append(u)
            u += DAY
    outside = [c for c in candidates if c > t and not inside(from_m, to_m, local_minutes(z, c))]
    return min(outside) if outside else t


def next_tick(z, t, every, at):
    if at < 0:
        if every <= 0:
            return t
        return -((-t) // every) * every
    n = max(1, every // DAY)
    today = z.local(t) // DAY
    d = today + (-today) % n
    for _ in range(4):
        c = z.resolve(d * DAY + at * 60)
        if c >= t:
            return c
        d += n
    return 2**63 - 1


def show(z, t):
    if z is None:
        return str(t)
    return datetime.fromtimestamp(t, z.tz).strftime("%Y-%m-%d %H:%M:%S %Z") + f" ({t})"


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    print("zoneinfo TZPATH:", zoneinfo.TZPATH)
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    zones = {}
    counts = {}
    mismatches = 0
    lines = out.splitlines()
    for n, line in enumerate(lines, 1):
        f = line.split()
        if f[0] == "missing":
            print(f"tz_dump: zone {f[1]} missing from date/tz", file=sys.stderr)
            mismatches += 1
            continue
        op, name, t = f[0], f[1], int(f[2])
        z = zones.get(name)
        if z is None:
            z = zones[name] = Zone(name)
        got = int(f[-1])
        args = [int(x) for x in f[3:-1]]
        if op == "lm":
            want = local_minutes(z, t)
        elif op == "nc":
            want = next_clock(z, t, *args)
        elif op == "qe":
            want = quiet_end(z, t, *args)
        elif op == "nt":
            want = next_tick(z, t, *args)
        else:
            print(f"line {n}: unknown line {line!r}", file=sys.stderr)
            return 1
        counts[op] = counts.get(op, 0) + 1
        if got != want:
            mismatches += 1
            if mismatches <= MAX_REPORT:
                print(f"MISMATCH line {n}: {op} {name} t={show(z, t)} args={args}\n"
                      f"    C++ (date/tz): {show(z, got) if op != 'lm' else got}\n"
                      f"    python zoneinfo: {show(z, want) if op != 'lm' else want}")
    total = sum(counts.values())
    print(f"checked {total} results in {len(zones)} zones: " +
          ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    if total < 20000:
        print("too few cases: tz_dump output is incomplete", file=sys.stderr)
        return 1
    if mismatches:
        print(f"{mismatches} mismatches", file=sys.stderr)
        return 1
    print("all match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
