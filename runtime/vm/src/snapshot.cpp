// Engine snapshots: the engine's whole state as bytes, and back (engine.hpp, docs/runtime.md).
//
// The format is the engine's state, field by field, little-endian, in the order below. Indexes
// (instances, blocks, messages, payloads, free lists) are kept exactly, not renumbered: the
// order in which free slots are reused decides future instance indexes, and equal instants
// fire timers by instance index, so a renumbered restore would drift from an uninterrupted run.
// Restoring checks every index before it is used, so hostile bytes give an error, never a
// wild read; the programs are checked by their hash.
#include <deque>

#include <xxhash.h>

#include "cascade/bytecode/bytes.hpp"
#include "engine_impl.hpp"

namespace cascade::vm {

namespace {

constexpr std::uint32_t kMagic = 0x504E5343;  // "CSNP"
constexpr std::uint32_t kVersion = 1;
constexpr int kMaxListDepth = 8;

using bytecode::ByteReader;
using bytecode::ByteWriter;

void put_string(ByteWriter& w, std::string_view s) {
  w.u32(s.size());
  w.bytes.insert(w.bytes.end(), s.begin(), s.end());
}

void put_value(ByteWriter& w, const Value& v) {
  w.u8(static_cast<std::uint8_t>(v.kind));
  switch (v.kind) {
    case Kind::Null: break;
    case Kind::Decimal:
      w.svar(v.i);
      w.u8(v.scale);
      break;
    case Kind::String: put_string(w, v.str()); break;
    case Kind::List:
      w.u32(v.size);
      for (std::uint32_t k = 0; k < v.size; ++k) put_value(w, v.list[k]);
      break;
    default: w.svar(v.i); break;
  }
}

void put_values(ByteWriter& w, std::span<const Value> values) {
  w.u32(values.size());
  for (const Value& v : values) put_value(w, v);
}

// Values read from a snapshot point into the snapshot's bytes (strings) and into `lists`
// (list elements) until the caller copies them into their owner.
struct ValueReader {
  ByteReader& r;
  std::deque<std::vector<Value>> lists;

  Value value(int depth = 0) {
    const std::size_t at = r.pos();
    const auto kind = static_cast<Kind>(r.small(static_cast<std::uint8_t>(Kind::List) + 1, "value kind"));
    if (r.failed()) return {};
    Value v;
    v.kind = kind;
    switch (kind) {
      case Kind::Null: break;
      case Kind::Decimal:
        v.i = r.svar("decimal");
        v.scale = r.u8("decimal scale");
        if (v.scale > 18) r.fail(at, fmt::format("decimal scale {} is above 18", v.scale));
        break;
      case Kind::String: {
        const std::uint32_t n = r.u32("string length");
        const auto bytes = r.take(n, "string");
        v = Value::string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        break;
      }
      case Kind::List: {
        if (depth >= kMaxListDepth) {
          r.fail(at, "lists nested too deep");
          return {};
        }
        const std::size_t n = r.count32(1, "list elements");
        std::vector<Value>& elements = lists.emplace_back(n);
        for (std::size_t k = 0; k < n && !r.failed(); ++k) elements[k] = value(depth + 1);
        v = Value::list_of(elements.data(), static_cast<std::uint32_t>(n));
        break;
      }
      default: v.i = r.svar("number"); break;
    }
    return r.failed() ? Value{} : v;
  }

  Record record() {
    const std::size_t n = r.count32(1, "record values");
    std::vector<Value> values(n);
    for (std::size_t k = 0; k < n && !r.failed(); ++k) values[k] = value();
    Record out = Record::copy_of(values);
    lists.clear();
    return out;
  }
};

std::vector<std::uint32_t> get_u32s(ByteReader& r, const char* what) {
  std::vector<std::uint32_t> out(r.count32(4, what));
  for (auto& x : out) x = r.u32(what);
  return out;
}

void put_u32s(ByteWriter& w, const std::vector<std::uint32_t>& xs) {
  w.u32(xs.size());
  for (std::uint32_t x : xs) w.u32(x);
}

}  // namespace

std::string Engine::Impl::save() const {
  ByteWriter w;
  w.u32(kMagic);
  w.u32(kVersion);
  w.u16(programs.size());
  for (const auto& p : programs) w.u64(bytecode::program_hash(p->module));

  w.u8(clock_started);
  w.u8(ticking);
  w.i64(now);
  w.i64(timers.now());
  w.u32(next_number);
  w.u64(live);

  w.u32(recipients.size());
  for (std::size_t ri = 0; ri < recipients.size(); ++ri) {
    const Recipient& r = recipients[ri];
    put_string(w, r.id);
    put_values(w, r.profile.values());
    w.u32(r.head);
    w.u32(r.sends.size());
    for (const SentRecord& s : r.sends) {
      w.i64(s.at);
      w.u16(s.scenario);
      w.u8(s.channel);
    }
    w.u32(channels.size());
    for (std::size_t c = 0; c < channels.size(); ++c) w.u32(latest_messages[ri * channels.size() + c]);
    w.u16(r.first_entry.scenario);
    w.i64(r.first_entry.last_start);
    w.u32(r.more_entries.size());
    for (const Entry& e : r.more_entries) {
      w.u16(e.scenario);
      w.i64(e.last_start);
    }
  }

  w.u32(instances.size());
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const Instance& in = instances[i];
    w.u32(in.recipient);
    w.u32(in.next);
    w.u32(in.payload);
    w.u32(in.number);
    w.u32(in.pc);
    w.u32(in.target);
    w.u32(in.block);
    w.u16(in.program);
    w.u16(in.last_step);
    w.u16(in.wait_event);
    w.u16(in.wait_fn);
    w.u8(static_cast<std::uint8_t>(in.state));
    w.u8(in.wait_slot);
    w.u8(in.wait_outcome);
    w.u8(in.flags);
    w.i64(in.goal_until);
  }
  put_u32s(w, free_instances);

  for (std::size_t k = 0; k < slabs.size(); ++k) {
    Slab& slab = const_cast<Slab&>(slabs[k]);  // at() is not const; nothing is written
    w.u32(slab.slots.blocks());
    put_u32s(w, slab.slots.free_blocks());
    const std::size_t width = programs[k]->module.slots;
    for (std::uint32_t b = 0; b < slab.slots.blocks(); ++b) {
      const std::uint32_t* s = slab.slots.at(b);
      for (std::size_t j = 0; j < width; ++j) w.u32(s[j]);
    }
    if (slab.has_locals) {
      const std::size_t n = programs[k]->module.locals;
      for (std::uint32_t b = 0; b < slab.slots.blocks(); ++b)
        put_values(w, std::span<const Value>(slab.locals.at(b), n));
    }
  }

  w.u32(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& m = messages[i];
    w.i64(m.sent_at);
    w.u32(m.instance);
    w.u32(m.number);
    w.u16(m.program);
    w.u16(m.step);
    w.u8(m.channel);
    w.u8(m.slot);
    w.u8(m.status);
  }

  w.u32(payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    put_values(w, payloads[i].values());
    w.u32(payload_refs[i]);
  }
  put_u32s(w, free_payloads);

  w.u32(tick_entries.size());
  for (const Tick& t : tick_entries) {
    w.u32(t.recipient);
    w.u16(t.program);
  }

  std::vector<std::pair<Time, std::uint32_t>> pending;
  pending.reserve(timers.size());
  timers.for_each_pending([&](std::uint32_t id, Time when) { pending.emplace_back(when, id); });
  std::sort(pending.begin(), pending.end());  // the same state gives the same bytes
  w.u32(pending.size());
  for (const auto& [when, id] : pending) {
    w.u32(id);
    w.i64(when);
  }
  w.u32(kMagic);  // the end mark
  // The checksum: a snapshot damaged on disk is refused whole, before any of it is believed.
  w.u64(XXH3_64bits(w.bytes.data(), w.bytes.size()));
  return std::string(w.bytes.begin(), w.bytes.end());
}

std::optional<EngineError> Engine::Impl::restore(std::string_view bytes) {
  if (clock_started || !recipients.empty() || !instances.empty())
    return EngineError{"a snapshot can only be restored into a fresh engine"};
  if (bytes.size() < 16) return EngineError{fmt::format("snapshot byte 0: truncated: {} bytes", bytes.size())};
  const std::size_t body = bytes.size() - 8;
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  {
    ByteReader sum(data, body, bytes.size());
    if (sum.u64("checksum") != XXH3_64bits(bytes.data(), body))
      return EngineError{fmt::format("snapshot byte {}: bad checksum (the file is damaged or truncated)", body)};
  }
  ByteReader r(data, 0, body);
  ValueReader values{r, {}};
  auto error = [&]() {
    return EngineError{fmt::format("snapshot byte {}: {}", r.error().offset, r.error().message)};
  };
  auto check = [&](bool ok, std::string message) {
    if (!ok && !r.failed()) r.fail(r.pos(), std::move(message));
    return ok && !r.failed();
  };

  if (r.u32("magic") != kMagic && !r.failed()) r.fail(0, "not an engine snapshot (bad magic)");
  const std::uint32_t version = r.u32("version");
  check(version == kVersion, fmt::format("snapshot format {} is not {}", version, kVersion));
  const std::size_t nprog = r.count16(8, "programs");
  check(nprog == programs.size(),
        fmt::format("the snapshot has {} programs, the engine {}", nprog, programs.size()));
  for (std::size_t k = 0; k < nprog && !r.failed(); ++k) {
    const std::uint64_t h = r.u64("program hash");
    check(h == bytecode::program_hash(programs[k]->module),
          fmt::format("program {} (`{}`) is not the one the snapshot was made with", k, programs[k]->name));
  }
  if (r.failed()) return error();

  clock_started = r.u8("clock") != 0;
  ticking = r.u8("ticking") != 0;
  now = r.i64("now");
  const Time wheel_now = r.i64("wheel time");
  check(wheel_now <= now, "the timer wheel is ahead of the clock");
  next_number = r.u32("next instance number");
  live = r.u64("live instances");

  const std::size_t nrec = r.count32(16, "recipients");
  recipients.reserve(nrec);
  recipient_index.reserve(nrec);
  latest_messages.reserve(nrec * channels.size());
  for (std::size_t i = 0; i < nrec && !r.failed(); ++i) {
    Recipient rec;
    const std::uint32_t n = r.u32("id length");
    const auto id = r.take(n, "id");
    rec.id.assign(id.begin(), id.end());
    rec.profile = values.record();
    rec.zone = zone_of(rec.profile);
    rec.head = r.u32("instance list");
    rec.sends.resize(r.count32(11, "sends"));
    for (SentRecord& s : rec.sends) {
      s.at = r.i64("send time");
      s.scenario = r.u16("send scenario");
      s.channel = r.u8("send channel");
      check(s.channel < channels.size() && s.scenario < scenario_names.size(), "send history out of range");
    }
    check(r.u32("latest messages") == channels.size(), "latest messages: not one per channel");
    for (std::size_t c = 0; c < channels.size() && !r.failed(); ++c) latest_messages.push_back(r.u32("latest message"));
    rec.first_entry.scenario = r.u16("entry scenario");
    rec.first_entry.last_start = r.i64("entry time");
    rec.more_entries.resize(r.count32(10, "entries"));
    for (Entry& e : rec.more_entries) {
      e.scenario = r.u16("entry scenario");
      e.last_start = r.i64("entry time");
    }
    if (r.failed()) break;
    check(!find_recipient(rec.id), fmt::format("recipient `{}` twice", rec.id));
    recipients.push_back(std::move(rec));
    const auto index = static_cast<std::uint32_t>(recipients.size() - 1);
    recipient_index.insert(recipients.back().id, index, [this](std::uint32_t k) { return id_of(k); });
  }
  if (r.failed()) return error();

  const std::size_t ninst = r.count32(40, "instances");
  for (std::size_t i = 0; i < ninst && !r.failed(); ++i) {
    Instance in;
    in.recipient = r.u32("recipient");
    in.next = r.u32("next");
    in.payload = r.u32("payload");
    in.number = r.u32("number");
    in.pc = r.u32("pc");
    in.target = r.u32("target");
    in.block = r.u32("block");
    in.program = r.u16("program");
    in.last_step = r.u16("last step");
    in.wait_event = r.u16("wait event");
    in.wait_fn = r.u16("wait function");
    in.state = static_cast<State>(r.small(static_cast<std::uint8_t>(State::Ended) + 1, "state"));
    in.wait_slot = r.u8("wait slot");
    in.wait_outcome = r.u8("wait outcome");
    in.flags = r.u8("flags");
    in.goal_until = r.i64("goal until");
    instances.push_back(in);
  }
  free_instances = get_u32s(r, "free instances");
  if (r.failed()) return error();

  for (std::size_t k = 0; k < slabs.size() && !r.failed(); ++k) {
    Slab& slab = slabs[k];
    const bytecode::Module& mod = programs[k]->module;
    const std::size_t at = r.pos();
    const std::uint32_t blocks = r.u32("blocks");
    // Each block is at least its slots' bytes (and a count per locals block).
    const std::size_t per_block = std::max<std::size_t>(1, std::size_t{mod.slots} * 4 + (slab.has_locals ? 4 : 0));
    if (r.count(blocks, per_block, at, "blocks") != blocks) break;
    std::vector<std::uint32_t> free = get_u32s(r, "free blocks");
    for (std::uint32_t b : free) check(b < blocks, "free block out of range");
    if (r.failed()) break;
    slab.slots.reset_to(blocks, free);
    if (slab.has_locals) slab.locals.reset_to(blocks, std::move(free));
    for (std::uint32_t b = 0; b < blocks && !r.failed(); ++b) {
      std::uint32_t* s = slab.slots.at(b);
      for (std::size_t j = 0; j < mod.slots; ++j) s[j] = r.u32("slot");
    }
    if (slab.has_locals) {
      for (std::uint32_t b = 0; b < blocks && !r.failed(); ++b) {
        const std::size_t n = r.count32(1, "locals");
        check(n == mod.locals, "locals: not the program's count");
        Value* l = slab.locals.at(b);
        for (std::size_t j = 0; j < n && !r.failed(); ++j) l[j] = machine.keep(values.value());
        values.lists.clear();
      }
    }
  }
  if (r.failed()) return error();

  const std::size_t nmsg = r.count32(23, "messages");
  check(nmsg >= 1, "no message 0");
  for (std::size_t i = 0; i < nmsg && !r.failed(); ++i) {
    Message m;
    m.sent_at = r.i64("sent at");
    m.instance = r.u32("message instance");
    m.number = r.u32("message instance number");
    m.program = r.u16("message program");
    m.step = r.u16("message step");
    m.channel = r.u8("message channel");
    m.slot = r.u8("message slot");
    m.status = r.small(static_cast<std::uint8_t>(MsgStatus::Failed) + 1, "message status");
    if (i > 0) {
      check(m.instance < ninst && m.program < programs.size() && m.channel < channels.size() &&
                m.slot < programs[m.program]->module.slots,
            fmt::format("message m{} out of range", i));
    }
    if (i == 0) {
      messages[0] = m;
    } else {
      messages.push_back(m);
    }
  }
  if (r.failed()) return error();

  const std::size_t npay = r.count32(8, "payloads");
  for (std::size_t i = 0; i < npay && !r.failed(); ++i) {
    payloads.push_back(values.record());
    payload_refs.push_back(r.u32("payload references"));
  }
  free_payloads = get_u32s(r, "free payloads");
  for (std::uint32_t f : free_payloads) check(f < npay, "free payload out of range");

  const std::size_t nticks = r.count32(6, "ticks");
  tick_entries.resize(nticks);
  for (Tick& t : tick_entries) {
    t.recipient = r.u32("tick recipient");
    t.program = r.u16("tick program");
    check(t.recipient < recipients.size() && t.program < programs.size() &&
              programs[t.program]->module.scenario.trigger == bytecode::TriggerKind::Every,
          "tick out of range");
  }
  if (r.failed()) return error();

  // Instances against everything they point at, before any is used.
  std::vector<std::uint8_t> seen(ninst, 0);
  for (std::uint32_t f : free_instances) {
    if (!check(f < ninst && instances[f].state == State::Free && !seen[f], "free instance list is wrong")) break;
    seen[f] = 1;
  }
  std::size_t counted_live = 0;
  for (std::size_t i = 0; i < ninst && !r.failed(); ++i) {
    const Instance& in = instances[i];
    if (in.state == State::Free) continue;
    ++counted_live;
    const bool program_ok = in.program < programs.size();
    const Program* p = program_ok ? programs[in.program].get() : nullptr;
    const auto at_instruction = [&](std::uint32_t pc) { return pc < p->instr_at.size() && p->instr_at[pc] != kNone; };
    const bool event_payload = p && p->module.scenario.trigger == bytecode::TriggerKind::Event;
    // An outcome wait, or a cascade step's event wait (wait_outcome 0xFF), reads its slot.
    const bool waits_on_slot = in.state == State::Outcome || (in.state == State::Event && in.wait_outcome == 0xFF);
    const char* bad = !program_ok                                   ? "program"
                      : in.recipient >= recipients.size()            ? "recipient"
                      : in.block >= slabs[in.program].slots.blocks() ? "block"
                      : !at_instruction(in.pc)                       ? "pc"
                      : !at_instruction(in.target)                   ? "target"
                      : waits_on_slot && in.wait_slot >= p->module.slots ? "wait slot"
                      : in.wait_fn != bytecode::kNoFunction && in.wait_fn >= p->module.functions.size() ? "wait function"
                      : event_payload && in.payload != kNone && in.payload >= npay ? "payload"
                      : in.last_step > p->send_pcs.size()            ? "last step"
                      : in.next != kNone && in.next >= ninst         ? "next"
                                                                     : nullptr;
    check(!bad, fmt::format("instance {}: {} out of range", i, bad ? bad : ""));
  }
  check(counted_live == live, "the live count does not match the instances");
  // Every live instance is on exactly one recipient's list, and the lists end.
  for (std::uint32_t ri = 0; ri < recipients.size() && !r.failed(); ++ri) {
    for (std::uint32_t idx = recipients[ri].head; idx != kNone && !r.failed(); idx = instances[idx].next) {
      if (!check(idx < ninst && !seen[idx] && instances[idx].state != State::Free && instances[idx].recipient == ri,
                 fmt::format("recipient `{}`'s instance list is wrong", recipients[ri].id)))
        break;
      seen[idx] = 1;
    }
  }
  for (std::size_t i = 0; i < ninst && !r.failed(); ++i)
    check(seen[i] || instances[i].state == State::Free, fmt::format("instance {} is on no recipient's list", i));
  for (std::uint32_t m : latest_messages) check(m < nmsg, "latest message out of range");
  if (r.failed()) return error();

  timers = TimerWheel(wheel_now);
  const std::size_t ntimers = r.count32(12, "timers");
  for (std::size_t i = 0; i < ntimers && !r.failed(); ++i) {
    const std::uint32_t id = r.u32("timer id");
    const Time when = r.i64("timer time");
    if (r.failed()) break;
    // Everything due by the wheel's time has fired; an earlier timer would replay the past
    // (a tick every day since 1970).
    if (!check(when >= wheel_now, "a timer before the wheel's time")) break;
    if (id & kTickBit) {
      check((id & ~kTickBit) < nticks, "timer of an unknown tick");
      if (!r.failed()) timers.schedule(id, when);
    } else {
      if (!check(id < ninst && instances[id].state != State::Free && instances[id].state != State::Ended &&
                     instances[id].timer == TimerHandle{},
                 "timer of an unknown instance"))
        break;
      instances[id].timer = timers.schedule(id, when);
    }
  }
  if (r.u32("end mark") != kMagic && !r.failed()) r.fail(r.pos() - 4, "bad end mark");
  if (!r.failed() && r.left() != 0) r.fail(r.pos(), fmt::format("{} bytes after the end", r.left()));
  if (r.failed()) return error();
  return std::nullopt;
}

}  // namespace cascade::vm
