-- Peer for the cascade VM benchmark: the abandoned-cart scenario as one Lua 5.4 coroutine per
-- recipient, on a virtual clock, written the way an engineer would write it by hand.
--   lua5.4 lua_peer.lua [N] [TIMER_OPS]
-- Prints one JSON line. What is measured (see README.md beside this file for the exact rules):
--   bytes_per_instance: Lua heap (collectgarbage "count", after a full GC) with N instances all
--     suspended in the 24h "opened" wait, minus the heap before them, / N. All-in: the coroutine,
--     the recipient -> instance table, the message id -> recipient table, the timer heap arrays
--     and the recipient -> heap position table.
--   ns_per_step: one status -> resume -> send -> suspend step: look the instance up by message id,
--     resume it, cancel its pending deadline, record a send (recipient, message id, channel, time)
--     in the output buffer, index the new message id, schedule a new deadline, suspend.
--   ns_per_timer: one cancel of a random pending deadline + one schedule at a random time within
--     30 days, with N deadlines pending (the binary heap this peer uses for its waits).
-- Times are wall-clock, as for the other peers: the standard library has no sub-second wall clock,
-- so each measured loop (about a second or more) reads `date +%s%N` before and after it; the
-- ~1 ms a read costs is noise at that length. Where that fails, process CPU time (os.clock).
-- The cpu_* figures are process CPU time over the same loops: on a shared machine they are the
-- steadier ones (preemption by other processes is not counted).

local N = math.tointeger(tonumber(arg[1] or "")) or 1000000
local TIMER_OPS = math.tointeger(tonumber(arg[2] or "")) or 1000000

local yield, resume, create = coroutine.yield, coroutine.resume, coroutine.create
local function date_ns()
  local f = io.popen("date +%s%N")
  if not f then return nil end
  local v = tonumber(f:read("l") or "")
  f:close()
  return v
end
local clock_kind = date_ns() and "wall" or "cpu" -- decided once, so a run never mixes the two
local function clock()
  if clock_kind == "wall" then return (date_ns() or 0) / 1e9 end
  return os.clock()
end

local T0 = 1790000000 -- virtual clock, UTC seconds
local HOUR = 3600

-- Why a suspended instance is resumed.
local TIMEOUT, STATUS, GOAL = 1, 2, 3

-- All run-time state. reset() replaces it, so the self-check and each measured population start
-- from nothing (the functions below see the new tables through their upvalues).
local now
local co         -- recipient id -> coroutine (false once finished)
local bymsg      -- message id -> recipient id, only while the instance waits on that message
local hw, hr, hpos, hn -- timer heap: deadline, recipient; recipient -> heap slot (0 = none); size
local next_msg
local outcomes

-- Output buffer: a fixed ring of parallel arrays, as a runtime would batch sends before writing
-- them out. Allocated once (not per instance) so it is outside the per-instance figure.
local OUTCAP = 65536
local out_rid, out_msg, out_chan, out_at = {}, {}, {}, {}
for i = 1, OUTCAP do out_rid[i], out_msg[i], out_chan[i], out_at[i] = 0, 0, "", 0 end
local out_n, out_flushed = 0, 0
local sent_by_chan

local function reset()
  now = T0
  co, bymsg = {}, {}
  hw, hr, hpos, hn = {}, {}, {}, 0
  next_msg = 0
  outcomes = { completed = 0, converted = 0 }
  out_n, out_flushed = 0, 0
  sent_by_chan = { email = 0, push = 0, sms = 0 }
end

---------------------------------------------------------------------------------------------
-- Timer heap: binary min-heap on (deadline, recipient), one pending deadline per instance (an
-- instance waits on one thing at a time), so the recipient id is the timer handle and hpos
-- gives O(log n) cancel. Ties break on the recipient so firing order is deterministic.

local function sift_up(i, w, r)
  while i > 1 do
    local p = i // 2
    local pw, pr = hw[p], hr[p]
    if pw < w or (pw == w and pr < r) then break end
    hw[i], hr[i] = pw, pr
    hpos[pr] = i
    i = p
  end
  hw[i], hr[i] = w, r
  hpos[r] = i
end

local function sift_down(i, w, r)
  local n = hn
  while true do
    local c = i * 2
    if c > n then break end
    local cw, cr = hw[c], hr[c]
    if c < n then
      local dw, dr = hw[c + 1], hr[c + 1]
      if dw < cw or (dw == cw and dr < cr) then c, cw, cr = c + 1, dw, dr end
    end
    if w < cw or (w == cw and r < cr) then break end
    hw[i], hr[i] = cw, cr
    hpos[cr] = i
    i = c
  end
  hw[i], hr[i] = w, r
  hpos[r] = i
end

local function schedule(rid, when)
  hn = hn + 1
  sift_up(hn, when, rid)
end

-- Removes the entry at slot i; slots past hn keep stale numbers (no GC references, and not
-- shrinking avoids regrowing the arrays on the next schedule).
local function remove_at(i)
  local w, r = hw[hn], hr[hn]
  hn = hn - 1
  if i > hn then return end
  local p = i // 2
  if i > 1 and (w < hw[p] or (w == hw[p] and r < hr[p])) then
    sift_up(i, w, r)
  else
    sift_down(i, w, r)
  end
end

local function cancel(rid)
  local i = hpos[rid]
  if i ~= 0 then
    hpos[rid] = 0
    remove_at(i)
  end
end

---------------------------------------------------------------------------------------------
-- What a scenario can do: wait, wait for a status on a message, send.

local function send(rid, chan)
  next_msg = next_msg + 1
  local k = out_n + 1
  if k > OUTCAP then -- "flush": a real runtime writes the batch out here
    out_flushed = out_flushed + OUTCAP
    k = 1
  end
  out_rid[k], out_msg[k], out_chan[k], out_at[k] = rid, next_msg, chan, now
  out_n = k
  return next_msg
end

local function wait_for(rid, secs)
  schedule(rid, now + secs)
  local why = yield()
  if why == GOAL then cancel(rid) end
  return why
end

-- Waits until the message gets status "opened" (returns STATUS) or the deadline (TIMEOUT) or the
-- goal (GOAL). Other statuses on the message (delivered, ...) resume it and it suspends again.
local function wait_opened(rid, msg, secs)
  bymsg[msg] = rid
  schedule(rid, now + secs)
  local why, st
  repeat why, st = yield() until why ~= STATUS or st == "opened"
  bymsg[msg] = nil
  if why ~= TIMEOUT then cancel(rid) end -- a fired deadline has already left the heap
  return why
end

-- The abandoned cart (examples/abandoned_cart.cascade) after its trigger.
local function abandoned_cart(rid)
  if wait_for(rid, HOUR) == GOAL then return "converted" end
  local m = send(rid, "email")
  local why = wait_opened(rid, m, 24 * HOUR)
  if why == GOAL then return "converted" elseif why == STATUS then return "completed" end
  m = send(rid, "push")
  why = wait_opened(rid, m, 4 * HOUR)
  if why == GOAL then return "converted" elseif why == STATUS then return "completed" end
  send(rid, "sms")
  return "completed"
end

-- The step benchmark's scenario: the same prefix, then every "opened" sends the next message
-- and waits again, so each status is exactly one resume -> send -> suspend step.
local function chain(rid)
  if wait_for(rid, HOUR) == GOAL then return "converted" end
  local m = send(rid, "email")
  while true do
    local why = wait_opened(rid, m, 24 * HOUR)
    if why == GOAL then return "converted" elseif why == TIMEOUT then return "completed" end
    m = send(rid, "push")
  end
end

---------------------------------------------------------------------------------------------
-- The runtime's side: inputs in, resumes out.

local function after_resume(rid, ok, res)
  if not ok then error(res) end
  if res then -- the scenario returned its outcome; a suspended one yields nothing
    co[rid] = false
    outcomes[res] = outcomes[res] + 1
  end
end

local function trigger(rid, body)
  local c = create(body)
  co[rid] = c
  hpos[rid] = 0
  after_resume(rid, resume(c, rid))
end

local function on_status(msg, st)
  local rid = bymsg[msg]
  if rid then after_resume(rid, resume(co[rid], STATUS, st)) end
end

local function on_goal(rid)
  local c = co[rid]
  if c then after_resume(rid, resume(c, GOAL)) end
end

-- Moves the virtual clock to `to`, firing every deadline up to it in (deadline, recipient) order.
local function advance(to)
  while hn > 0 and hw[1] <= to do
    local rid = hr[1]
    now = hw[1]
    hpos[rid] = 0
    remove_at(1)
    after_resume(rid, resume(co[rid], TIMEOUT))
  end
  now = to
end

---------------------------------------------------------------------------------------------
-- Self-check: every path of the scenario on a few recipients, against known outcomes.

local function count_sends()
  local total = out_flushed + out_n
  for k = 1, out_n do sent_by_chan[out_chan[k]] = sent_by_chan[out_chan[k]] + 1 end
  return total
end

local function selfcheck()
  reset()
  for rid = 1, 7 do trigger(rid, abandoned_cart) end
  -- message ids are handed out in send order; email sends happen at T0+1h in recipient order
  advance(T0 + 30 * 60)
  on_goal(4)                      -- r4: converted before the first send
  advance(T0 + HOUR)              -- emails to 1,2,3,5,6,7 -> messages 1..6
  on_status(1, "opened")          -- r1: opens the email -> completed
  on_status(5, "delivered")       -- r6: a status that is not "opened" changes nothing
  on_goal(5)                      -- r5: converted in the 24h wait
  advance(T0 + 25 * HOUR)         -- pushes to 2,3,6,7 -> messages 7..10
  on_status(6, "opened")          -- r7 opens the old email: no one waits on it any more
  on_status(8, "opened")          -- r3 opens the push -> completed
  advance(T0 + 40 * HOUR)         -- sms to 2,6,7
  count_sends()
  local ok = outcomes.completed == 5 and outcomes.converted == 2 and sent_by_chan.email == 6
      and sent_by_chan.push == 4 and sent_by_chan.sms == 3 and hn == 0 and next(bymsg) == nil
  if not ok then
    io.stderr:write(string.format("selfcheck failed: completed=%d converted=%d email=%d push=%d sms=%d heap=%d\n",
      outcomes.completed, outcomes.converted, sent_by_chan.email, sent_by_chan.push, sent_by_chan.sms, hn))
    os.exit(1)
  end
end

---------------------------------------------------------------------------------------------

local function heap_kb()
  collectgarbage("collect")
  collectgarbage("collect")
  return collectgarbage("count")
end

-- Triggers N instances at T0 and lets the 1h wait fire: all sent their email and wait 24h for it.
local function populate(body)
  for rid = 1, N do trigger(rid, body) end
  advance(T0 + HOUR)
end

-- Lua 5.4's math.random is xoshiro256**; seeded so the inputs repeat from run to run.
math.randomseed(42)

selfcheck()

-- (a) memory per waiting instance
reset()
local base = heap_kb()
populate(abandoned_cart)
local after = heap_kb()
local bytes_per_instance = (after - base) * 1024 / N
assert(hn == N and out_flushed + out_n == N, "every instance should wait with one deadline")

-- (c) timer schedule + cancel, N pending. Inputs drawn before the clock starts.
local op_rid, op_when = {}, {}
local SPAN = 30 * 24 * HOUR
for k = 1, TIMER_OPS do op_rid[k], op_when[k] = math.random(N), now + math.random(SPAN) end
local t, c = clock(), os.clock()
for k = 1, TIMER_OPS do
  local rid = op_rid[k]
  cancel(rid)
  schedule(rid, op_when[k])
end
local ns_per_timer = (clock() - t) * 1e9 / TIMER_OPS
local cpu_ns_per_timer = (os.clock() - c) * 1e9 / TIMER_OPS
assert(hn == N)
op_rid, op_when = nil, nil

-- (b) status -> resume -> send -> suspend, on a fresh population of the chain scenario.
-- One round: every waiting instance gets "opened" on its current message, in random order,
-- arriving over one virtual hour. Input lists are built before the clock starts.
reset()
heap_kb()
populate(chain)
local ROUNDS = 2
local steps, elapsed, elapsed_cpu = 0, 0.0, 0.0
local msgs = {}
for round = 1, ROUNDS do
  local k = 0
  for m in pairs(bymsg) do k = k + 1; msgs[k] = m end
  for i = k, 2, -1 do local j = math.random(i); msgs[i], msgs[j] = msgs[j], msgs[i] end
  local start_now = now
  local sends_before = next_msg
  t, c = clock(), os.clock()
  for i = 1, k do
    now = start_now + (i * HOUR) // k
    on_status(msgs[i], "opened")
  end
  elapsed = elapsed + (clock() - t)
  elapsed_cpu = elapsed_cpu + (os.clock() - c)
  steps = steps + k
  assert(next_msg - sends_before == k and hn == N, "each step sends once and waits again")
end
local ns_per_step = elapsed * 1e9 / steps
local cpu_ns_per_step = elapsed_cpu * 1e9 / steps

print(string.format(
  '{"peer":"lua5.4","version":"%s","n":%d,"bytes_per_instance":%.1f,"ns_per_step":%.1f,"ns_per_timer":%.1f,"cpu_ns_per_step":%.1f,"cpu_ns_per_timer":%.1f,"steps":%d,"timer_pending":%d,"timer_ops":%d,"clock":"%s","selfcheck":"ok"}',
  _VERSION, N, bytes_per_instance, ns_per_step, ns_per_timer, cpu_ns_per_step, cpu_ns_per_timer, steps, N, TIMER_OPS, clock_kind))
