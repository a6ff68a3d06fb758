#!/usr/bin/env python3
"""Writes the input of the `cascade run` throughput benchmark: N recipients of the abandoned cart
(examples/abandoned_cart.cascade against examples/cascade.yaml) and their statuses.

    gen_cart.py N OUTDIR      -> OUTDIR/profiles.jsonl, OUTDIR/events.jsonl

Deterministic (fixed seed): the same N gives the same bytes. Every line is valid input that the
engine accepts (no rejected lines), in time order. Per recipient:

- a profile in the example schema (no timezone: the project's Europe/Moscow applies); 92 % pass
  the scenario's audience (buyers with e-mail consent), the rest are refused (ltv 0, or tagged
  no_marketing) and get only their cart event;
- `cart_abandoned` between 06:00 and 17:00 UTC on 2026-03-02 (09:00–20:00 Moscow, so the e-mail an
  hour later is outside the quiet hours), total ≥ 500;
- for the audience: the e-mail's `delivered` 5–300 s after it leaves; then one of
  - 6 %: `order_placed` for the cart within 20 h (the goal: converted, nothing more);
  - 40 %: `opened` on the e-mail within 20 h (completed);
  - otherwise the push leaves at +25 h (when the recipient has the app and push consent): its
    `delivered`, and for a quarter `opened` within 3 h. Without push the SMS goes at once.
"""
import random
import sys
import time

T0 = 1772431200  # 2026-03-02T06:00:00Z
SPAN = 11 * 3600


def iso(t, cache={}):
    s = cache.get(t)
    if s is None:
        s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        if len(cache) < 4_000_000:
            cache[t] = s
    return s


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_cart.py N OUTDIR")
    n = int(sys.argv[1])
    out = sys.argv[2]
    rnd = random.Random(20261123)
    events = []  # (time, seq, line)
    seq = 0
    firsts = ["Анна", "Борис", "Вера", "Глеб", "Дина", "Егор", None]
    with open(f"{out}/profiles.jsonl", "w", encoding="utf-8") as pf:
        lines = []
        for i in range(n):
            rid = f"u{i}"
            has_app = rnd.random() < 0.7
            refused = rnd.random() < 0.08
            first = firsts[i % len(firsts)]
            parts = [f'"id":"{rid}"']
            if first:
                parts.append(f'"first_name":"{first}"')
            parts.append(f'"email":"{rid}@example.ru","phone":"+7916{1000000 + i:07d}"')
            if has_app:
                parts.append(f'"push_token":"fcm:{rid}"')
            ltv = 0 if refused and i % 2 == 0 else 1000 + (i * 37) % 90000
            tags = '["no_marketing"]' if refused and i % 2 == 1 else '["app"]' if has_app else "[]"
            parts.append(
                f'"ltv":{ltv}.0,"orders_count":{i % 40},"tags":{tags},"vip":{"true" if i % 97 == 0 else "false"},'
                f'"has_app":{"true" if has_app else "false"},"points":{(i * 13) % 5000},'
                f'"registered_at":"2024-05-12T10:00:00Z",'
                f'"consent":{{"email":true,"sms":true,"push":{"true" if has_app else "false"},"viber":false}}'
            )
            lines.append("{" + ",".join(parts) + "}\n")
            if len(lines) >= 65536:
                pf.writelines(lines)
                lines.clear()

            t = T0 + rnd.randrange(SPAN)
            total = 500 + rnd.randrange(20000)
            cart = f"c-{i}"
            events.append((t, seq, f'{{"at":"{iso(t)}","recipient":"{rid}","event":"cart_abandoned","data":'
                                   f'{{"cart_id":"{cart}","cart_url":"https://shop.example/cart/{cart}",'
                                   f'"total":{total}.0,"items":{1 + i % 5}}}}}\n'))
            seq += 1
            if refused:
                continue
            sent = t + 3600
            d = sent + 5 + rnd.randrange(295)
            events.append((d, seq, f'{{"at":"{iso(d)}","recipient":"{rid}","status":"delivered","channel":"email"}}\n'))
            seq += 1
            r = rnd.random()
            if r < 0.06:
                o = d + 60 + rnd.randrange(20 * 3600)
                events.append((o, seq, f'{{"at":"{iso(o)}","recipient":"{rid}","event":"order_placed","data":'
                                       f'{{"order_id":"o-{i}","cart_id":"{cart}","total":{total}.0}}}}\n'))
                seq += 1
            elif r < 0.46:
                o = d + 60 + rnd.randrange(20 * 3600)
                events.append((o, seq, f'{{"at":"{iso(o)}","recipient":"{rid}","status":"opened","channel":"email"}}\n'))
                seq += 1
            elif has_app:
                push = sent + 24 * 3600
                pd = push + 5 + rnd.randrange(295)
                events.append((pd, seq, f'{{"at":"{iso(pd)}","recipient":"{rid}","status":"delivered","channel":"push"}}\n'))
                seq += 1
                if rnd.random() < 0.25:
                    po = pd + 60 + rnd.randrange(3 * 3600)
                    events.append((po, seq, f'{{"at":"{iso(po)}","recipient":"{rid}","status":"opened","channel":"push"}}\n'))
                    seq += 1
        pf.writelines(lines)
    events.sort()
    with open(f"{out}/events.jsonl", "w", encoding="utf-8") as ef:
        for k in range(0, len(events), 65536):
            ef.writelines(e[2] for e in events[k:k + 65536])
    print(f"gen_cart: {n} profiles, {len(events)} input lines in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
