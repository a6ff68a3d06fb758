// The peer: what an engineer would otherwise write in Node.js — fetch (undici, keep-alive),
// or node:http with a keep-alive Agent — with the same signed JSON body and headers,
// C requests in flight, N messages.
// Usage: node peer_fetch.mjs URL N C [fetch|http]   → one JSON line, like bench_providers send.
import { createHmac } from "node:crypto";
import http from "node:http";

const [url, nArg, cArg, clientArg] = process.argv.slice(2);
const client = clientArg ?? "fetch";
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(cArg) });

// node:http, the way fetch is used below: POST, read the JSON answer.
function post(body, headers) {
  return new Promise((resolve, reject) => {
    const q = http.request(url, { method: "POST", agent, headers }, (r) => {
      let data = "";
      r.setEncoding("utf8");
      r.on("data", (d) => (data += d));
      r.on("end", () => resolve({ ok: r.statusCode >= 200 && r.statusCode < 300, answer: JSON.parse(data) }));
    });
    q.on("error", reject);
    q.end(body);
  });
}
const n = Number(nArg), c = Number(cArg);
const secret = "bench-secret";
let next = 0, failed = 0;

async function worker() {
  while (next < n) {
    const i = next++;
    const body = JSON.stringify({
      id: `m${i}`, idempotency_key: `bench-m${i}`, recipient: `u${i}`, scenario: "abandoned_cart",
      step: "remind", channel: "sms", kind: "sms", address: `+7999${1000000 + i}`,
      text: `Your cart misses you: 3 items, 1290.50 RUB. Come back: https://shop.example/c/${i}`,
    });
    const t = Math.floor(Date.now() / 1000);
    const sig = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    const headers = { "content-type": "application/json", "idempotency-key": `bench-m${i}`,
                      "x-cascade-message-id": `m${i}`, "x-cascade-signature": `t=${t},v1=${sig}` };
    try {
      if (client === "http") {
        const { ok, answer } = await post(body, headers);
        if (!ok || !answer.id) failed++;
      } else {
        const res = await fetch(url, { method: "POST", body, headers });
        const answer = await res.json();
        if (!res.ok || !answer.id) failed++;
      }
    } catch {
      failed++;
    }
  }
}

const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: c }, worker));
const s = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ bench: "providers_webhook", client: `node-${client}`, concurrency: c, n, failed,
                             seconds: Number(s.toFixed(3)), msgs_per_s: Math.round(n / s) }));
