#!/usr/bin/env python3
"""The peer for the simulate benchmark: the Monte-Carlo an engineer would write without the
engine — plain CPython, one recipient at a time, the abandoned cart's logic re-implemented by
hand (trigger `where`, audience, wait 1h, email → 24h → push → 4h → SMS, quiet hours 22–09 in
the recipient's zone, `limit 1 per 15m`, the project's caps, the goal within 7d stopping the
cascade). The chances and delays are those of examples/simulate/{audience,rates}.yaml, written
out here as such a script would. It keeps only counters, like `cascade simulate`.

Usage: peer_python.py N [SEED]. Prints one line of JSON: recipients, seconds, recipients_per_s,
peak_rss_kb, and the forecast's main figures (to eyeball against cascade's)."""
import json, math, random, resource, sys, time

START, WINDOW, HOUR, DAY = 1772409600, 86400, 3600, 86400
ZONES = [(3, 60), (5, 20), (7, 12), (10, 8)]  # UTC offsets (no DST in these zones), weights
ZONE_OFFSETS = [z for z, _ in ZONES]
ZONE_WEIGHTS = [w for _, w in ZONES]
COST = {"push": 0.0, "email": 0.2, "sms": 2.0}
# channel: delivered, opened, clicked, goal|opened, goal|clicked, delays (delivered, opened, clicked, goal)
# delays: ("fixed", s) | ("lognormal", median, p90) | ("exp", mean)
RATES = {
    "email": (0.97, 0.22, 0.30, 0.04, 0.15,
              (("lognormal", 20, 120), ("lognormal", 3 * HOUR, 20 * HOUR), ("exp", 120), ("lognormal", 2400, 8 * HOUR))),
    "push": (0.90, 0.12, 0.40, 0.03, 0.10,
             (("lognormal", 2, 10), ("lognormal", 1200, 3 * HOUR), ("fixed", 10), ("lognormal", 1800, 6 * HOUR))),
    "sms": (0.98, 0.90, 0.08, 0.02, 0.15,
            (("lognormal", 5, 30), ("lognormal", 600, 2 * HOUR), ("exp", 120), ("lognormal", 1800, 6 * HOUR))),
}
Z90 = 1.2815515655446004


def delay(rng, spec):
    if spec[0] == "fixed":
        return spec[1]
    if spec[0] == "exp":
        return round(rng.expovariate(1.0 / spec[1]))
    median, p90 = spec[1], spec[2]
    return round(math.exp(math.log(median) + math.log(p90 / median) / Z90 * rng.gauss(0.0, 1.0)))


def quiet_end(t, offset):
    """22:00..09:00 local: a send due inside waits for 09:00."""
    local = (t + offset * HOUR) % DAY
    if local >= 22 * HOUR:
        return t + (DAY - local) + 9 * HOUR
    if local < 9 * HOUR:
        return t + (9 * HOUR - local)
    return t


def simulate(n, seed):
    rng = random.Random(seed)
    c = {"started": 0, "not_started": 0, "converted": 0, "reached": 0, "opened_any": 0, "cost": 0.0,
         "sends": {"email": 0, "push": 0, "sms": 0}, "failed": 0, "no_address": 0, "no_consent": 0, "capped": 0}
    for _ in range(n):
        has_email, consent_email = rng.random() < 0.85, rng.random() < 0.70
        has_push, consent_push = rng.random() < 0.40, rng.random() < 0.80
        has_phone, consent_sms = rng.random() < 0.92, rng.random() < 0.60
        offset = rng.choices(ZONE_OFFSETS, ZONE_WEIGHTS)[0]
        ltv = round(rng.uniform(0, 90000), 2)
        total = round(rng.uniform(200, 15000), 2)
        t0 = START + rng.randrange(WINDOW)
        if total < 500 or not (ltv > 0 and (consent_email or consent_sms)):
            c["not_started"] += 1
            continue
        c["started"] += 1
        goal_end = t0 + 7 * DAY
        goal_at = t0 + delay(rng, ("lognormal", DAY, 5 * DAY)) if rng.random() < 0.015 else math.inf
        sent_log = []  # (time, channel): the caps and the limit look back over it
        reached = opened_any = False

        def send(channel, due, address, consent):
            """Returns (left at, opened at) — None, None when the send failed at once."""
            nonlocal goal_at, reached, opened_any
            if not address:
                c["no_address"] += 1
                return None, None
            if not consent:
                c["no_consent"] += 1
                return None, None
            t = quiet_end(due, offset)
            if sent_log and t < sent_log[-1][0] + 900:  # limit 1 per 15m
                t = quiet_end(sent_log[-1][0] + 900, offset)
            day = [x for x in sent_log if x[0] > t - DAY]
            if len(day) >= 3 or (channel == "sms" and sum(1 for x in day if x[1] == "sms") >= 2):
                c["capped"] += 1
                return None, None
            if goal_at <= t:  # converted while waiting: nothing more is sent
                return t, None
            sent_log.append((t, channel))
            c["sends"][channel] += 1
            c["cost"] += COST[channel]
            p_del, p_open, p_click, g_open, g_click, d = RATES[channel]
            delivered = t + delay(rng, d[0])
            if rng.random() >= p_del:
                c["failed"] += 1
                return t, None
            reached = True
            if rng.random() >= p_open:
                return t, None
            opened = delivered + delay(rng, d[1])
            opened_any = True
            if rng.random() < p_click:
                clicked = opened + delay(rng, d[2])
                if rng.random() < g_click:
                    goal_at = min(goal_at, clicked + delay(rng, d[3]))
            elif rng.random() < g_open:
                goal_at = min(goal_at, opened + delay(rng, d[3]))
            return t, opened

        left, opened = send("email", t0 + HOUR, has_email, consent_email)
        if goal_at > (left or t0 + HOUR) and (opened is None or opened > left + DAY):
            due = left + DAY if left is not None else t0 + HOUR
            left, opened = send("push", due, has_push, consent_push)
            if goal_at > (left or due) and (opened is None or opened > left + 4 * HOUR):
                send("sms", left + 4 * HOUR if left is not None else due, has_phone, consent_sms)
        if goal_at <= goal_end:
            c["converted"] += 1
        c["reached"] += reached
        c["opened_any"] += opened_any
    return c


def main():
    n = int(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    start = time.perf_counter()
    c = simulate(n, seed)
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": "python", "recipients": n, "seconds": round(seconds, 3),
                      "recipients_per_s": round(n / seconds), "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "started": c["started"], "sends": c["sends"], "cost": round(c["cost"], 2),
                      "reach_delivered": round(c["reached"] / n, 4), "converted": c["converted"]}))


if __name__ == "__main__":
    main()
