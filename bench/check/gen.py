#!/usr/bin/env python3
"""Generates a .cascade file of about N lines for the check benchmark, and a Python file of
the same number of lines for the peer (CPython's own parser + compiler on the same volume).

Usage: gen.py LINES OUT.cascade OUT.py
The scenarios are realistic (settings, sends, nested fall-through, expressions, Cyrillic
text) and check clean against bench/check/cascade.yaml, so the benchmark measures the
whole front end, not just error paths."""
import sys

SCENARIO = '''scenario cart_{i} "Брошенная корзина {i}" {{
  trigger cart_abandoned where event.total > {i}
  audience customer.ltv > 0 and (customer.consent.email or customer.consent.sms)
  goal order_placed where event.cart_id == trigger.cart_id within 7d
  quiet hours 22:00..09:00
  limit 1 per 15m
  reentry after 7d

  // first touch: the cheapest channel
  wait 1h
  let discount = if customer.ltv > 50000 then 15 else 10
  send email template "cart_1" with {{ url: trigger.cart_url, total: trigger.total }}
  if not opened within 24h {{
    send push template "cart_2"
    if not opened within max(4h, 2 * 3h) {{
      send sms "Корзина ждёт: {{discount}}%"
    }}
  }}
}}

'''
PY = '''def cart_{i}(customer, trigger):
    if not (customer.ltv > 0 and (customer.consent.email or customer.consent.sms)):
        return None
    # first touch: the cheapest channel
    wait(3600)
    discount = 15 if customer.ltv > 50000 else 10
    send("email", template="cart_1", url=trigger.cart_url, total=trigger.total)
    if not opened(within=24 * 3600):
        send("push", template="cart_2")
        if not opened(within=max(4 * 3600, 2 * 3 * 3600)):
            send("sms", f"Корзина ждёт: {{discount}}%")
    quiet = (22 * 60, 9 * 60)
    limit = (1, 15 * 60)
    reentry = 7 * 24 * 3600
    goal = ("order_placed", trigger.cart_id, 7 * 24 * 3600)
    return goal

'''

def main():
    lines, out_cascade, out_py = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    per = SCENARIO.count("\n")
    n = max(1, round(lines / per))
    with open(out_cascade, "w", encoding="utf-8") as f:
        f.write("segment buyers = customer.ltv > 0\n\n")
        for i in range(n):
            f.write(SCENARIO.format(i=i))
    per_py = PY.count("\n")
    with open(out_py, "w", encoding="utf-8") as f:
        for i in range(max(1, round(lines / per_py))):
            f.write(PY.format(i=i))

if __name__ == "__main__":
    main()
