// Peer for the cascade VM benchmark: the abandoned-cart scenario as one XState v5 actor per
// recipient (createActor(machine).start()), on a virtual clock.
//   node --expose-gc xstate_peer.mjs [N] [TIMER_PENDING] [TIMER_OPS]
// Prints one JSON line. Same logic and the same measurements as lua_peer.lua (README.md beside
// this file). XState's own `after` delays are wall-clock timers (setTimeout), which a virtual
// clock cannot drive, so each waiting state's entry action puts a deadline into this file's
// binary heap and its exit action cancels it; a deadline that comes due is sent to the actor as
// a TIMEOUT event. Sends are entry actions that assign the new message id to the context, index
// it (message id -> recipient) and append to the output buffer.
//   bytes_per_instance: V8 heap (heapUsed + external, after global.gc()) with N actors all in the
//     24h "opened" wait, minus the heap before them, / N. All-in: the actor and its snapshot,
//     the recipient -> actor array, the message id -> recipient Map, the timer heap arrays and
//     the recipient -> heap slot array.
//   ns_per_step: one STATUS "opened" event: look the actor up by message id, send it the event;
//     the transition cancels the deadline, drops the old message from the index, records a send,
//     indexes the new message, schedules a new deadline; the actor stays in its waiting state.
//   ns_per_timer: cancel a random pending deadline + schedule one at a random time within 30 days,
//     TIMER_PENDING deadlines pending, in the same heap the actors use.
// Times are wall-clock (process.hrtime); the cpu_* figures are process CPU time over the same
// loops (process.cpuUsage, all threads), steadier on a shared machine.
import { setup, assign, createActor } from 'xstate';
import { createRequire } from 'node:module';

const N = Number.parseInt(process.argv[2] ?? '', 10) || 100000;
const TIMER_PENDING = Number.parseInt(process.argv[3] ?? '', 10) || 1000000;
const TIMER_OPS = Number.parseInt(process.argv[4] ?? '', 10) || 1000000;

if (typeof global.gc !== 'function') {
  console.error('xstate_peer: run node with --expose-gc');
  process.exit(2);
}

const T0 = 1790000000; // virtual clock, UTC seconds
const HOUR = 3600;

// All run-time state; reset() replaces it for the self-check and each measured population.
let now, actors, bymsg, hw, hr, hpos, hn, nextMsg, outcomes;

// Output buffer: a fixed ring of parallel arrays (as a runtime batches sends before writing them
// out), allocated once, so it is outside the per-instance figure.
const OUTCAP = 65536;
const outRid = new Array(OUTCAP).fill(0);
const outMsg = new Array(OUTCAP).fill(0);
const outChan = new Array(OUTCAP).fill('');
const outAt = new Array(OUTCAP).fill(0.5); // a double, so the array's elements are doubles from the start
let outN = 0, outFlushed = 0;

function reset() {
  now = T0;
  actors = [];
  bymsg = new Map();
  hw = []; hr = []; hpos = []; hn = 0;
  nextMsg = 0;
  outcomes = { completed: 0, converted: 0 };
  outN = 0; outFlushed = 0;
}

// ------------------------------------------------------------------------------------------
// Timer heap: binary min-heap on (deadline, recipient), one pending deadline per actor (an actor
// waits on one thing at a time), so the recipient id is the handle and hpos gives O(log n)
// cancel. Ties break on the recipient so firing order is deterministic.

function siftUp(i, w, r) {
  while (i > 1) {
    const p = i >> 1;
    const pw = hw[p], pr = hr[p];
    if (pw < w || (pw === w && pr < r)) break;
    hw[i] = pw; hr[i] = pr; hpos[pr] = i;
    i = p;
  }
  hw[i] = w; hr[i] = r; hpos[r] = i;
}

function siftDown(i, w, r) {
  const n = hn;
  for (;;) {
    let c = i * 2;
    if (c > n) break;
    let cw = hw[c], cr = hr[c];
    if (c < n) {
      const dw = hw[c + 1], dr = hr[c + 1];
      if (dw < cw || (dw === cw && dr < cr)) { c += 1; cw = dw; cr = dr; }
    }
    if (w < cw || (w === cw && r < cr)) break;
    hw[i] = cw; hr[i] = cr; hpos[cr] = i;
    i = c;
  }
  hw[i] = w; hr[i] = r; hpos[r] = i;
}

function schedule(rid, when) {
  hn += 1;
  siftUp(hn, when, rid);
}

function removeAt(i) {
  const w = hw[hn], r = hr[hn];
  hn -= 1;
  if (i > hn) return;
  const p = i >> 1;
  if (i > 1 && (w < hw[p] || (w === hw[p] && r < hr[p]))) siftUp(i, w, r);
  else siftDown(i, w, r);
}

function cancel(rid) {
  const i = hpos[rid];
  if (i !== 0) { hpos[rid] = 0; removeAt(i); }
}

function send(rid, chan) {
  nextMsg += 1;
  let k = outN + 1;
  if (k > OUTCAP) { outFlushed += OUTCAP; k = 1; } // "flush": a runtime writes the batch out here
  outRid[k - 1] = rid; outMsg[k - 1] = nextMsg; outChan[k - 1] = chan; outAt[k - 1] = now;
  outN = k;
  return nextMsg;
}

// ------------------------------------------------------------------------------------------
// The machines.

const common = {
  actions: {
    arm1h: ({ context }) => schedule(context.rid, now + HOUR),
    arm4h: ({ context }) => schedule(context.rid, now + 4 * HOUR),
    arm24h: ({ context }) => schedule(context.rid, now + 24 * HOUR),
    disarm: ({ context }) => cancel(context.rid),
    sendEmail: assign({ msg: ({ context }) => send(context.rid, 'email') }),
    sendPush: assign({ msg: ({ context }) => send(context.rid, 'push') }),
    sendSms: assign({ msg: ({ context }) => send(context.rid, 'sms') }),
    index: ({ context }) => { bymsg.set(context.msg, context.rid); },
    unindex: ({ context }) => { bymsg.delete(context.msg); },
  },
  guards: {
    opened: ({ event }) => event.status === 'opened',
  },
};

// The abandoned cart (examples/abandoned_cart.cascade) after its trigger.
const abandonedCart = setup(common).createMachine({
  id: 'abandoned_cart',
  context: ({ input }) => ({ rid: input.rid, msg: 0 }),
  initial: 'delay',
  on: { ORDER_PLACED: { target: '.converted' } },
  states: {
    delay: { entry: 'arm1h', exit: 'disarm', on: { TIMEOUT: 'emailWait' } },
    emailWait: {
      entry: ['sendEmail', 'index', 'arm24h'],
      exit: ['disarm', 'unindex'],
      on: { STATUS: { guard: 'opened', target: 'completed' }, TIMEOUT: 'pushWait' },
    },
    pushWait: {
      entry: ['sendPush', 'index', 'arm4h'],
      exit: ['disarm', 'unindex'],
      on: { STATUS: { guard: 'opened', target: 'completed' }, TIMEOUT: { target: 'completed', actions: 'sendSms' } },
    },
    completed: { type: 'final' },
    converted: { type: 'final' },
  },
});

// The step benchmark's machine: the same prefix, then every "opened" sends the next message and
// waits again (a re-entering self-transition), so each status is one resume -> send -> suspend.
const chain = setup(common).createMachine({
  id: 'chain',
  context: ({ input }) => ({ rid: input.rid, msg: 0 }),
  initial: 'delay',
  on: { ORDER_PLACED: { target: '.converted' } },
  states: {
    delay: { entry: 'arm1h', exit: 'disarm', on: { TIMEOUT: 'emailWait' } },
    emailWait: {
      entry: ['sendEmail', 'index', 'arm24h'],
      exit: ['disarm', 'unindex'],
      on: { STATUS: { guard: 'opened', target: 'pushWait' }, TIMEOUT: 'completed' },
    },
    pushWait: {
      entry: ['sendPush', 'index', 'arm24h'],
      exit: ['disarm', 'unindex'],
      on: { STATUS: { guard: 'opened', target: 'pushWait', reenter: true }, TIMEOUT: 'completed' },
    },
    completed: { type: 'final' },
    converted: { type: 'final' },
  },
});

// ------------------------------------------------------------------------------------------
// The runtime's side: inputs in, events out.

const TIMEOUT_EVENT = { type: 'TIMEOUT' };
const GOAL_EVENT = { type: 'ORDER_PLACED' };

function deliver(rid, event) {
  const a = actors[rid];
  a.send(event);
  const s = a.getSnapshot();
  if (s.status === 'done') {
    actors[rid] = null;
    outcomes[s.value] += 1;
  }
}

function trigger(rid, machine) {
  hpos[rid] = 0;
  actors[rid] = createActor(machine, { input: { rid } }).start();
}

function onStatus(event) {
  const rid = bymsg.get(event.msg);
  if (rid !== undefined) deliver(rid, event);
}

function onGoal(rid) {
  if (actors[rid]) deliver(rid, GOAL_EVENT);
}

function advance(to) {
  while (hn > 0 && hw[1] <= to) {
    const rid = hr[1];
    now = hw[1];
    hpos[rid] = 0;
    removeAt(1);
    deliver(rid, TIMEOUT_EVENT);
  }
  now = to;
}

const status = (msg, st) => ({ type: 'STATUS', msg, status: st });

// ------------------------------------------------------------------------------------------
// Self-check: every path of the scenario on a few recipients (same script as lua_peer.lua).

function selfcheck() {
  reset();
  for (let rid = 1; rid <= 7; rid++) trigger(rid, abandonedCart);
  advance(T0 + 30 * 60);
  onGoal(4);                          // r4: converted before the first send
  advance(T0 + HOUR);                 // emails to 1,2,3,5,6,7 -> messages 1..6
  onStatus(status(1, 'opened'));      // r1 opens the email -> completed
  onStatus(status(5, 'delivered'));   // r6: a status that is not "opened" changes nothing
  onGoal(5);                          // r5: converted in the 24h wait
  advance(T0 + 25 * HOUR);            // pushes to 2,3,6,7 -> messages 7..10
  onStatus(status(6, 'opened'));      // r7 opens the old email: no one waits on it any more
  onStatus(status(8, 'opened'));      // r3 opens the push -> completed
  advance(T0 + 40 * HOUR);            // sms to 2,6,7
  const by = { email: 0, push: 0, sms: 0 };
  for (let k = 0; k < outN; k++) by[outChan[k]] += 1;
  const ok = outcomes.completed === 5 && outcomes.converted === 2 && by.email === 6 && by.push === 4
    && by.sms === 3 && hn === 0 && bymsg.size === 0;
  if (!ok) {
    console.error(`selfcheck failed: ${JSON.stringify({ outcomes, by, heap: hn, index: bymsg.size })}`);
    process.exit(1);
  }
}

function heapBytes() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

function populate(machine, n) {
  for (let rid = 1; rid <= n; rid++) trigger(rid, machine);
  advance(T0 + HOUR);
}

// xorshift32, seeded: repeatable inputs, drawn before any clock starts.
let seed = 42;
function rand(n) { // 1..n
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return ((seed >>> 0) % n) + 1;
}

const nsSince = (t) => Number(process.hrtime.bigint() - t);
// Process CPU time (all threads, so V8's GC helper threads count too), in ns.
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

selfcheck();

// (a) memory per waiting actor
reset();
const base = heapBytes();
populate(abandonedCart, N);
const after = heapBytes();
const bytesPerInstance = (after - base) / N;
if (hn !== N || outFlushed + outN !== N) throw new Error('every actor should wait with one deadline');

// (b) STATUS -> resume -> send -> suspend on a fresh population of the chain machine: each round
// every waiting actor gets "opened" on its current message, in random order, over one virtual
// hour. Event objects are built before the clock starts (they are input, not the step).
reset();
global.gc();
populate(chain, N);
const ROUNDS = 2;
let steps = 0, elapsed = 0, elapsedCpu = 0;
for (let round = 0; round < ROUNDS; round++) {
  const events = [];
  for (const m of bymsg.keys()) events.push(status(m, 'opened'));
  for (let i = events.length - 1; i > 0; i--) {
    const j = rand(i + 1) - 1;
    [events[i], events[j]] = [events[j], events[i]];
  }
  const k = events.length, startNow = now, sendsBefore = nextMsg;
  const t = process.hrtime.bigint(), c = cpuNow();
  for (let i = 0; i < k; i++) {
    now = startNow + Math.floor(((i + 1) * HOUR) / k);
    onStatus(events[i]);
  }
  elapsed += nsSince(t);
  elapsedCpu += cpuNow() - c;
  steps += k;
  if (nextMsg - sendsBefore !== k || hn !== N) throw new Error('each step sends once and waits again');
}
const nsPerStep = elapsed / steps;

// (c) timer schedule + cancel with TIMER_PENDING pending, filled as the population's heap is
// (one deadline per recipient, all at the end of the 24h wait).
reset();
global.gc();
for (let rid = 1; rid <= TIMER_PENDING; rid++) { hpos[rid] = 0; schedule(rid, T0 + 25 * HOUR); }
now = T0 + HOUR;
const opRid = new Int32Array(TIMER_OPS), opWhen = new Float64Array(TIMER_OPS);
const SPAN = 30 * 24 * HOUR;
for (let k = 0; k < TIMER_OPS; k++) { opRid[k] = rand(TIMER_PENDING); opWhen[k] = now + rand(SPAN); }
const tt = process.hrtime.bigint(), tc = cpuNow();
for (let k = 0; k < TIMER_OPS; k++) {
  const rid = opRid[k];
  cancel(rid);
  schedule(rid, opWhen[k]);
}
const nsPerTimer = nsSince(tt) / TIMER_OPS;
const cpuNsPerTimer = (cpuNow() - tc) / TIMER_OPS;
if (hn !== TIMER_PENDING) throw new Error('timer heap lost entries');

const xstateVersion = createRequire(import.meta.url)('xstate/package.json').version;
console.log(JSON.stringify({
  peer: 'xstate5',
  version: `xstate ${xstateVersion}, node ${process.versions.node}`,
  n: N,
  bytes_per_instance: Math.round(bytesPerInstance * 10) / 10,
  ns_per_step: Math.round(nsPerStep * 10) / 10,
  ns_per_timer: Math.round(nsPerTimer * 10) / 10,
  cpu_ns_per_step: Math.round((elapsedCpu / steps) * 10) / 10,
  cpu_ns_per_timer: Math.round(cpuNsPerTimer * 10) / 10,
  steps,
  timer_pending: TIMER_PENDING,
  timer_ops: TIMER_OPS,
  clock: 'wall',
  selfcheck: 'ok',
}));
