// The store benchmark's peer: the same ingest as BullMQ delayed jobs on Redis (started by
// bench/store/run.sh with appendonly yes, appendfsync always). One event is one delayed job
// whose jobId is the event's id (BullMQ ignores a second add with the same jobId: the same
// de-duplication as the store's dedupe ids). Prints one JSON line per mode, shaped like
// bench_store's lines.
//
// Usage: node bullmq_peer.mjs PORT single|concurrent|batch|all [BATCH_TOTAL]
import { Queue } from 'bullmq';
import IORedis from 'ioredis';

const port = Number(process.argv[2]);
const mode = process.argv[3] ?? 'all';
const batchTotal = Number(process.argv[4] ?? 50000);
// BullMQ 6 takes a constructed client under ESM; maxRetriesPerRequest: null as its docs ask.
const connection = new IORedis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });

const event = (n) => ({
  name: 'event',
  data: {
    type: 'cart_abandoned',
    recipient: `user-${String(n % 1000000).padStart(8, '0')}`,
    at: '2026-11-23T03:00:00Z',
    properties: { cart_value: 129.9, items: 3, currency: 'EUR', sku: `SKU-${n % 9973}` },
  },
  opts: { delay: 3600000, jobId: `evt-${String(n).padStart(12, '0')}`, removeOnComplete: true },
});

const percentile = (v, p) => {
  if (v.length === 0) return 0;
  v.sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(p * v.length))];
};

let next = 0;
async function appends(queue, waiters, secs, name) {
  const lat = [];
  const end = performance.now() + secs * 1000;
  const t0 = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const e = event(next++);
      const a = performance.now();
      await queue.add(e.name, e.data, e.opts);
      lat.push((performance.now() - a) * 1000);
    }
  };
  await Promise.all(Array.from({ length: waiters }, worker));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    bench: `bullmq_${name}`, waiters, inputs: lat.length, seconds: +seconds.toFixed(2),
    inputs_per_s: Math.round(lat.length / seconds),
    p50_us: Math.round(percentile(lat, 0.5)), p99_us: Math.round(percentile(lat, 0.99)),
  }));
}

async function batches(queue, total, waiters) {
  const batch = 500;
  let first = next;
  const stop = next + total;
  const lat = [];
  const t0 = performance.now();
  const worker = async () => {
    while (first < stop) {
      const from = first;
      first += batch;
      const jobs = [];
      for (let i = from; i < Math.min(stop, from + batch); i++) jobs.push(event(i));
      const a = performance.now();
      await queue.addBulk(jobs);
      lat.push(performance.now() - a);
    }
  };
  await Promise.all(Array.from({ length: waiters }, worker));
  next = stop;
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({
    bench: 'bullmq_batch', batch, waiters, inputs: total, seconds: +seconds.toFixed(2),
    inputs_per_s: Math.round(total / seconds),
    p50_batch_ms: +percentile(lat, 0.5).toFixed(1), p99_batch_ms: +percentile(lat, 0.99).toFixed(1),
  }));
}

const queue = new Queue('ingest', { connection });
await queue.waitUntilReady();
if (mode === 'all' || mode === 'single') await appends(queue, 1, 3, 'single');
if (mode === 'all' || mode === 'concurrent') await appends(queue, 64, 4, 'concurrent');
if (mode === 'all' || mode === 'batch') await batches(queue, batchTotal, 4);
const delayed = await queue.getDelayedCount();
if (delayed !== next) {
  console.error(`bullmq_peer: ${delayed} delayed jobs in Redis, ${next} added`);
  process.exit(1);
}
await queue.close();
await connection.quit();
