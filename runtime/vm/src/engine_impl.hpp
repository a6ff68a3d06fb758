// The engine's state, shared by the engine (engine.cpp: inputs, steps, effects) and its
// snapshots (snapshot.cpp: the same state as bytes). Internal to runtime/vm.
#pragma once

#include <algorithm>
#include <charconv>
#include <span>
#include <unordered_map>

#include <fmt/format.h>

#include "cascade/bytecode/verify.hpp"
#include "cascade/vm/calendar.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/machine.hpp"
#include "cascade/vm/timers.hpp"
#include "lazy_record.hpp"

namespace cascade::vm {

namespace engine_detail {

struct Entry {  // a recipient's history with one scenario, for `reentry`
  std::uint16_t scenario = 0;
  Time last_start = 0;
};

struct Recipient {
  std::string id;
  LazyRecord profile;  // an image in the kept snapshot until first read (lazy_record.hpp)
  calendar::Zone zone = nullptr;
  std::uint32_t head = kNone;  // first instance
  std::vector<SentRecord> sends;
  // Reentry history: most people meet a scenario or two, so the first entry is inline and
  // only more spill to the heap.
  Entry first_entry{0xFFFF, 0};
  std::vector<Entry> more_entries;
};

// Recipient id → index, looked up on every input line: open addressing over one flat array of
// (hash high bits, index + 1) words, so a lookup is one probe of 8 bytes and one comparison of
// the id in the recipient itself (no node per entry, no std::string built to search).
class RecipientTable {
 public:
  template <class IdOf>
  std::optional<std::uint32_t> find(std::string_view id, const IdOf& id_of) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t h = hash(id);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == 0) return std::nullopt;
      if ((s >> 32) == (h >> 32) && id_of(static_cast<std::uint32_t>(s) - 1) == id)
        return static_cast<std::uint32_t>(s) - 1;
    }
  }
  // `index` must not be in the table yet.
  template <class IdOf>
  void insert(std::string_view id, std::uint32_t index, const IdOf& id_of) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow(id_of);
    place(hash(id), index);
    ++count_;
  }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }
  // Starts loading the slot where a lookup of `id` begins (Engine::prefetch_index).
  void prefetch(std::string_view id) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash(id) & mask_]);
  }
  // The index of the first entry whose hash matches id's, without comparing ids: a hint.
  std::optional<std::uint32_t> guess(std::string_view id) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t h = hash(id);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint64_t s = slots_[i];
      if (s == 0) return std::nullopt;
      if ((s >> 32) == (h >> 32)) return static_cast<std::uint32_t>(s) - 1;
    }
  }
  // Inserts id_of(i) → i for every i < n into an empty table (a restore): one probe per id,
  // with the slots of ids a few ahead prefetched, since at millions of ids nearly every probe
  // misses the cache. Returns the first index whose id was already in, if any.
  template <class IdOf>
  std::optional<std::uint32_t> insert_all(std::uint32_t n, const IdOf& id_of) {
    if (count_ != 0) {  // not a restore: the plain way
      for (std::uint32_t i = 0; i < n; ++i) {
        if (find(id_of(i), id_of)) return i;
        insert(id_of(i), i, id_of);
      }
      return std::nullopt;
    }
    reserve(n);
    constexpr std::uint32_t kAhead = 16;
    std::vector<std::uint64_t> hashes(std::min<std::uint32_t>(n, kAhead));
    for (std::uint32_t i = 0; i < hashes.size(); ++i) {
      hashes[i] = hash(id_of(i));
      __builtin_prefetch(&slots_[hashes[i] & mask_]);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint64_t h = hashes[i % kAhead];
      if (i + kAhead < n) {
        const std::uint64_t later = hash(id_of(i + kAhead));
        __builtin_prefetch(&slots_[later & mask_]);
        hashes[i % kAhead] = later;
      }
      std::size_t k = h & mask_;
      for (; slots_[k] != 0; k = (k + 1) & mask_) {
        const std::uint64_t s = slots_[k];
        if ((s >> 32) == (h >> 32) && id_of(static_cast<std::uint32_t>(s) - 1) == id_of(i)) return i;
      }
      slots_[k] = ((h >> 32) << 32) | (std::uint64_t{i} + 1);
      ++count_;
    }
    return std::nullopt;
  }
  // Sizes the table for `n` entries at once (a restore), so no insert has to grow it.
  void reserve(std::size_t n) {
    if (count_ != 0) return;
    std::size_t size = 1024;
    while (n * 4 > size * 3) size *= 2;
    if (size <= slots_.size()) return;
    slots_.assign(size, 0);
    mask_ = size - 1;
  }

 private:
  static std::uint64_t hash(std::string_view id) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
  }
  void place(std::uint64_t h, std::uint32_t index) {
    std::size_t i = h & mask_;
    while (slots_[i] != 0) i = (i + 1) & mask_;
    slots_[i] = ((h >> 32) << 32) | (std::uint64_t{index} + 1);
  }
  template <class IdOf>
  void grow(const IdOf& id_of) {
    std::vector<std::uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (std::uint64_t s : old)
      if (s != 0) place(hash(id_of(static_cast<std::uint32_t>(s) - 1)), static_cast<std::uint32_t>(s) - 1);
  }
  std::vector<std::uint64_t> slots_;
  std::size_t mask_ = 0;
  std::size_t count_ = 0;
};

struct Tick {
  std::uint32_t recipient = 0;
  std::uint16_t program = 0;
};

struct Slab {  // per program: the locals and slots of every instance, one block each
  BlockPool<Value> locals;
  BlockPool<std::uint32_t> slots;
  bool has_locals = false;
};

}  // namespace engine_detail

using namespace engine_detail;

struct Engine::Impl {
  Config config;
  Shape profile_shape;
  std::vector<Shape> event_shapes;
  std::vector<ChannelInfo> channels;
  std::vector<CapRule> caps;
  calendar::Zone default_zone = nullptr;
  int timezone_field = -1;
  std::int64_t history_window = 0;  // longest cap / limit window: sends older are forgotten

  std::vector<std::unique_ptr<Program>> programs;
  std::vector<Slab> slabs;
  std::vector<std::string> scenario_names;  // by scenario key
  std::unordered_map<std::string, std::uint16_t> scenario_keys;
  std::vector<std::uint16_t> latest;                  // by scenario key: newest program
  std::vector<std::vector<std::uint16_t>> triggered;  // by Config event: programs it starts

  std::vector<Recipient> recipients;
  // Per recipient and engine channel, the latest message number (0: none), one flat array so a
  // recipient costs no allocation for it.
  std::vector<std::uint32_t> latest_messages;
  std::uint32_t& latest_message(std::uint32_t recipient, std::size_t channel) {
    return latest_messages[std::size_t{recipient} * channels.size() + channel];
  }
  RecipientTable recipient_index;
  // Engine::prefetch_recipient's last guesses (recipient indexes, kNone: none): a guess made a
  // few calls ago has its Recipient in cache by now, so its profile and first instance can be
  // started too without waiting (not state: never saved, never read by a step).
  static constexpr std::size_t kGuesses = 4;
  mutable std::uint32_t guesses[kGuesses] = {kNone, kNone, kNone, kNone};
  mutable std::size_t next_guess = 0;
  std::string_view id_of(std::uint32_t r) const { return recipients[r].id; }

  Paged<Instance> instances;
  std::vector<std::uint32_t> free_instances;
  std::uint32_t next_number = 1;
  Paged<Message> messages;  // by message number; number 0 is a placeholder

  Paged<LazyRecord, 1024> payloads;  // trigger payloads (lazy_record.hpp)
  Paged<std::uint32_t> payload_refs;
  std::vector<std::uint32_t> free_payloads;

  // One wheel for every wake-up: instance timers by instance index, ticks of `trigger every`
  // by tick index with kTickBit set, so both fire in one (instant, id) order.
  static constexpr std::uint32_t kTickBit = 0x80000000u;
  TimerWheel timers{0};
  std::vector<Tick> tick_entries;
  bool ticking = true;
  bool clock_started = false;
  Time now = 0;

  Machine machine;
  std::vector<Effect> effects;
  Env step_env;  // step()'s, reused: filled in place for every step
  TraceRecord record;  // base()'s
  Sink sink;
  char message_id[16] = {'m'};  // msg_id's buffer: "m" and up to 10 digits
  std::size_t live = 0;

  explicit Impl(Config c) : config(std::move(c)) {
    messages.push_back(Message{});
    profile_shape = Shape::of(config.profile);
    for (const EventConfig& e : config.events) event_shapes.push_back(Shape::of(e.fields));
    triggered.resize(config.events.size());
    for (const ChannelConfig& ch : config.channels) {
      ChannelInfo info;
      info.name = ch.name;
      info.kind = ch.kind;
      info.address_field = ch.address_field.empty() ? -1 : profile_shape.index(ch.address_field);
      info.consent_field = ch.consent_field.empty() ? -1 : profile_shape.index(ch.consent_field);
      info.has_provider = ch.has_provider;
      info.is_sms = ch.kind == "sms";
      info.cost_micros = ch.cost_micros;
      channels.push_back(std::move(info));
    }
    for (const CapConfig& cap : config.caps) {
      CapRule r;
      r.count = cap.count;
      r.per_seconds = cap.per_seconds;
      r.channel = -1;
      if (!cap.channel.empty()) {
        for (std::size_t k = 0; k < channels.size(); ++k)
          if (channels[k].name == cap.channel) r.channel = static_cast<int>(k);
        if (r.channel < 0) continue;  // a cap on a channel nobody has
      }
      history_window = std::max(history_window, r.per_seconds);
      caps.push_back(r);
    }
    default_zone = calendar::find_zone(config.timezone);
    if (!default_zone) default_zone = calendar::utc();
    timezone_field = profile_shape.index("timezone");
  }

  int channel_of(std::string_view name) const {
    for (std::size_t k = 0; k < channels.size(); ++k)
      if (channels[k].name == name) return static_cast<int>(k);
    return -1;
  }

  // ---- loading ----------------------------------------------------------------------------

  std::optional<EngineError> load(bytecode::Module m) {
    const bytecode::VerifyResult v = bytecode::verify(m);
    if (!v.ok()) return EngineError{"the bytecode verifier rejected the program:\n" + v.to_string()};
    if (programs.size() >= 0xFFFF) return EngineError{"too many programs loaded"};
    auto p = std::make_unique<Program>();
    p->id = static_cast<std::uint16_t>(programs.size());
    p->name = std::string(m.str(m.scenario.name));
    for (const bytecode::Constant& k : m.constants) {
      switch (k.kind) {
        case bytecode::ConstKind::Int: p->constants.push_back(Value::integer(k.value)); break;
        case bytecode::ConstKind::Decimal: p->constants.push_back(Value::decimal(k.value, k.scale)); break;
        case bytecode::ConstKind::Duration: p->constants.push_back(Value::duration(k.value)); break;
        case bytecode::ConstKind::Time: p->constants.push_back(Value::time(k.value)); break;
        case bytecode::ConstKind::Clock: p->constants.push_back(Value::clock(k.value)); break;
        case bytecode::ConstKind::Bool: p->constants.push_back(Value::boolean(k.value != 0)); break;
        case bytecode::ConstKind::String: p->constants.push_back(Value::string(m.str(static_cast<std::uint32_t>(k.value)))); break;
      }
    }
    for (std::uint32_t f : m.fields) p->profile_field.push_back(profile_shape.index(m.str(f)));
    for (const bytecode::Event& e : m.events) {
      int index = -1;
      for (std::size_t k = 0; k < config.events.size(); ++k)
        if (config.events[k].name == m.str(e.name)) index = static_cast<int>(k);
      if (index < 0) return EngineError{fmt::format("the program uses event `{}`, which the project does not declare", m.str(e.name))};
      p->event_index.push_back(index);
      std::vector<int> map;
      for (std::uint32_t f : m.fields) map.push_back(event_shapes[static_cast<std::size_t>(index)].index(m.str(f)));
      p->event_field.push_back(std::move(map));
    }
    for (const bytecode::Channel& c : m.channels) {
      const int index = channel_of(m.str(c.name));
      if (index < 0) return EngineError{fmt::format("the program uses channel `{}`, which the project does not declare", m.str(c.name))};
      p->channel_index.push_back(static_cast<std::uint8_t>(index));
    }
    // Decode all code once; index instructions by offset.
    p->instr_at.assign(m.code.size() + 1, kNone);
    for (std::size_t pc = 0; pc < m.code.size();) {
      std::string error;
      auto in = bytecode::decode(m.code, pc, m.code.size(), &error);
      if (!in) return EngineError{"undecodable code: " + error};
      p->instr_at[pc] = static_cast<std::uint32_t>(p->code.size());
      if ((in->op == bytecode::Op::Send || in->op == bytecode::Op::SendTemplate) &&
          pc < m.functions[0].offset + m.functions[0].length)
        p->send_pcs.push_back(static_cast<std::uint32_t>(pc));
      p->code.push_back(*in);
      pc += in->size;
    }
    // A link() is made for the next send in code order (straight-line up to its send).
    p->link_step.assign(p->code.size(), 0);
    {
      std::uint16_t next = 0;
      for (std::size_t k = p->code.size(); k-- > 0;) {
        const bytecode::Instr& in = p->code[k];
        if (in.op == bytecode::Op::Send || in.op == bytecode::Op::SendTemplate) next = p->step_of(in.pc);
        p->link_step[k] = next;
      }
    }
    // The split branch of every send: branch k of a SPLIT runs from its target up to the next
    // branch's (the last one up to where the branches jump when done). Inner splits come later
    // in code order and so overwrite their enclosing branch.
    p->send_branch.assign(p->send_pcs.size(), bytecode::kNoString);
    for (const bytecode::Instr& in : p->code) {
      if (in.op != bytecode::Op::Split) continue;
      const bytecode::Split& split = m.splits[in.operand[0]];
      std::vector<std::pair<std::uint32_t, std::size_t>> starts;  // (target, branch)
      for (std::size_t k = 0; k < in.targets_count; ++k) starts.emplace_back(in.target_at(m.code, k), k);
      std::sort(starts.begin(), starts.end());
      std::uint32_t end = m.functions[0].offset + m.functions[0].length;
      for (const bytecode::Instr& j : p->code)
        if (j.op == bytecode::Op::Jump && j.pc >= starts.front().first && j.pc < starts.back().first &&
            j.operand[0] >= starts.back().first)
          end = std::min(end, j.operand[0]);
      for (std::size_t k = 0; k < starts.size(); ++k) {
        const std::uint32_t from = starts[k].first;
        const std::uint32_t to = k + 1 < starts.size() ? starts[k + 1].first : end;
        for (std::size_t step = 0; step < p->send_pcs.size(); ++step)
          if (p->send_pcs[step] >= from && p->send_pcs[step] < to && starts[k].second < split.branches.size())
            p->send_branch[step] = split.branches[starts[k].second].name;
      }
    }
    for (const bytecode::Limit& l : m.scenario.limits) history_window = std::max(history_window, l.per_seconds);

    auto [it, inserted] = scenario_keys.try_emplace(p->name, static_cast<std::uint16_t>(scenario_names.size()));
    if (inserted) {
      scenario_names.push_back(p->name);
      latest.push_back(p->id);
    }
    p->scenario = it->second;
    latest[p->scenario] = p->id;
    p->module = std::move(m);
    programs.push_back(std::move(p));
    const bytecode::Module& mod = programs.back()->module;
    slabs.push_back(Slab{BlockPool<Value>(mod.locals), BlockPool<std::uint32_t>(mod.slots), mod.locals > 0});
    rebuild_triggers();
    const Program& prog = *programs.back();
    if (clock_started && prog.module.scenario.trigger == bytecode::TriggerKind::Every)
      for (std::uint32_t r = 0; r < recipients.size(); ++r) schedule_tick(r, prog.id, now);
    return std::nullopt;
  }

  void rebuild_triggers() {
    for (auto& list : triggered) list.clear();
    for (std::uint16_t id : latest) {
      const Program& p = *programs[id];
      if (p.module.scenario.trigger != bytecode::TriggerKind::Event) continue;
      triggered[static_cast<std::size_t>(p.event_index[p.module.scenario.trigger_event])].push_back(id);
    }
  }

  // ---- recipients, ticks ------------------------------------------------------------------

  void schedule_tick(std::uint32_t r, std::uint16_t program, Time after) {
    const bytecode::Scenario& sc = programs[program]->module.scenario;
    const int at = sc.every_at == bytecode::kNoClock ? -1 : sc.every_at;
    const Time t = calendar::next_tick(after, recipients[r].zone, std::max<std::int64_t>(sc.every_seconds, 60), at);
    tick_entries.push_back(Tick{r, program});
    timers.schedule(static_cast<std::uint32_t>(tick_entries.size() - 1) | kTickBit, t);
  }

  // The recipient's zone: the profile's `timezone` when the database knows it, else the default.
  calendar::Zone zone_of(const LazyRecord& profile) const {
    if (timezone_field >= 0)
      if (const std::string_view tz = profile.string_at(timezone_field); !tz.empty())
        if (calendar::Zone z = calendar::find_zone(tz)) return z;
    return default_zone;
  }

  void upsert(std::string_view id, Record profile, Time at) {
    auto ids = [this](std::uint32_t k) { return id_of(k); };
    std::optional<std::uint32_t> found = recipient_index.find(id, ids);
    const bool inserted = !found;
    if (inserted) {
      Recipient fresh;
      fresh.id = std::string(id);
      recipients.push_back(std::move(fresh));
      latest_messages.resize(latest_messages.size() + channels.size(), 0);
      found = static_cast<std::uint32_t>(recipients.size() - 1);
      recipient_index.insert(id, *found, ids);
    }
    const std::uint32_t index = *found;
    Recipient& r = recipients[index];
    r.profile = std::move(profile);
    r.zone = zone_of(r.profile);
    if (inserted && clock_started)
      for (std::uint16_t id2 : latest)
        if (programs[id2]->module.scenario.trigger == bytecode::TriggerKind::Every) schedule_tick(index, id2, std::max(at, now));
  }

  // ---- instances --------------------------------------------------------------------------

  // Fills `env` for a step of recipient r (field by field: a built Env returned and copied
  // costs a zeroing pass and store-forwarding stalls on every step).
  void fill_env(Env& env, const Recipient& r, const Instance* inst, const Program& p) const {
    env.profile = &r.profile.record();
    env.zone = r.zone;
    env.recipient = r.id;
    if (inst && inst->payload != kNone && p.module.scenario.trigger == bytecode::TriggerKind::Event)
      env.trigger = &payloads[inst->payload].record();
    else
      env.trigger = nullptr;
    env.event = nullptr;
    env.event_config = -1;
    env.sends = r.sends;
    env.channels = channels;
    env.caps = caps;
    env.messages = &messages;
    env.next_message = static_cast<std::uint32_t>(messages.size());
  }

  // The record about to be emitted, reused: value-initialising a fresh 200-byte TraceRecord
  // per record compiles to `rep stos`, whose start-up alone was a third of apply(). Every field
  // is reset here one by one (the static_assert catches a field added without a reset). Valid
  // until the next base(); sinks get it by const reference and must not keep it.
  TraceRecord& base(Time at, const Recipient& r, const Program& p, std::uint32_t number, Action a) {
    static_assert(sizeof(TraceRecord) == 312, "a new TraceRecord field must be reset in base()");
    TraceRecord& t = record;
    t.at = at;
    t.action = a;
    t.recipient = r.id;
    t.scenario = p.name;
    t.instance = number;
    t.channel = {};
    t.message = {};
    t.step = 0;
    t.branch = {};
    t.template_name = {};
    t.has_text = false;
    t.text = {};
    t.vars_json = {};
    t.cost_micros = -1;
    t.segments = 0;
    t.address = {};
    t.reason = {};
    t.until = 0;
    t.wait_for = {};
    t.status = {};
    t.event = {};
    t.group = {};
    t.trigger_name = {};
    t.outcome = Outcome::Open;
    return t;
  }

  void emit(const TraceRecord& t) {
    if (sink) sink(t);
  }

  std::string_view msg_id(std::uint32_t number) {
    const auto end = std::to_chars(message_id + 1, message_id + sizeof message_id, number).ptr;
    return {message_id, static_cast<std::size_t>(end - message_id)};
  }

  static std::string_view branch_of(const Program& p, std::uint16_t step) {
    if (step == 0 || step > p.send_branch.size()) return {};
    const std::uint32_t name = p.send_branch[step - 1];
    return name == bytecode::kNoString ? std::string_view() : p.module.str(name);
  }

  void release(std::uint32_t idx) {
    Instance& inst = instances[idx];
    Recipient& r = recipients[inst.recipient];
    // Unlink from the recipient's list.
    std::uint32_t* link = &r.head;
    while (*link != kNone && *link != idx) link = &instances[*link].next;
    if (*link == idx) *link = inst.next;
    timers.cancel(inst.timer);
    if (inst.block != kNone) {
      Slab& slab = slabs[inst.program];
      slab.slots.give_back(inst.block);
      if (slab.has_locals) slab.locals.give_back(inst.block);
    }
    if (inst.payload != kNone && programs[inst.program]->module.scenario.trigger == bytecode::TriggerKind::Event) {
      if (--payload_refs[inst.payload] == 0) {
        payloads[inst.payload] = Record();
        free_payloads.push_back(inst.payload);
      }
    }
    inst = Instance{};
    free_instances.push_back(idx);
    --live;
  }

  // Carries out a step's effects for instance idx at `at`.
  void apply(std::uint32_t idx, Time at, std::string_view event_name) {
    Instance& inst = instances[idx];
    const Program& p = *programs[inst.program];
    Recipient& r = recipients[inst.recipient];
    for (const Effect& e : effects) {
      TraceRecord& t = base(at, r, p, inst.number, Action::Send);
      switch (e.kind) {
        case EffectKind::Send: {
          const std::uint32_t number = static_cast<std::uint32_t>(messages.size());
          Message m;
          m.sent_at = at;
          m.instance = idx;
          m.number = inst.number;
          m.program = p.id;
          m.step = e.step;
          m.channel = e.channel;
          m.slot = e.slot;
          m.status = static_cast<std::uint8_t>(MsgStatus::Sent);
          messages.push_back(m);
          latest_message(inst.recipient, e.channel) = number;
          if (history_window > 0) {
            r.sends.push_back(SentRecord{at, p.scenario, e.channel});
            const Time horizon = at - history_window;
            std::size_t drop = 0;
            while (drop < r.sends.size() && r.sends[drop].at <= horizon) ++drop;
            if (drop) r.sends.erase(r.sends.begin(), r.sends.begin() + static_cast<std::ptrdiff_t>(drop));
          }
          t.channel = channels[e.channel].name;
          if (channels[e.channel].address_field >= 0) t.address = r.profile.get(channels[e.channel].address_field).str();
          t.message = msg_id(number);
          t.step = e.step;
          t.branch = branch_of(p, e.step);
          if (e.template_index != bytecode::kNoString) {
            t.template_name = p.module.str(p.module.templates[e.template_index].name);
            t.vars_json = e.vars_json;
          } else {
            t.has_text = true;
            t.text = e.text;
          }
          t.segments = e.segments;
          t.cost_micros = channels[e.channel].cost_micros * (channels[e.channel].is_sms ? std::max(1, e.segments) : 1);
          emit(t);
          break;
        }
        case EffectKind::Skip:
          t.action = Action::Skip;
          t.channel = channels[e.channel].name;
          t.step = e.step;
          t.reason = reason_name(e.reason);
          emit(t);
          break;
        case EffectKind::Defer:
          t.action = Action::Defer;
          t.channel = channels[e.channel].name;
          t.step = e.step;
          t.reason = reason_name(e.reason);
          t.until = e.until;
          emit(t);
          timers.cancel(inst.timer);
          inst.timer = timers.schedule(idx, e.until);
          break;
        case EffectKind::Wait:
          t.action = Action::Wait;
          t.until = e.until;
          t.wait_for = e.wait_for == WaitFor::Event ? p.module.str(p.module.events[e.wait_event].name)
                                                    : wait_word(e.wait_for);
          if (e.wait_for == WaitFor::Delivered || e.wait_for == WaitFor::Opened || e.wait_for == WaitFor::Clicked) {
            const std::uint32_t number = slabs[inst.program].slots.at(inst.block)[e.slot];
            if (number != 0 && number != kFailedSend && number < messages.size()) {
              t.message = msg_id(number);
              t.channel = channels[messages[number].channel].name;
            }
          }
          emit(t);
          timers.cancel(inst.timer);
          inst.timer = timers.schedule(idx, e.until);
          break;
        case EffectKind::Consume:
          t.action = Action::Event;
          t.event = event_name;
          t.reason = reason_name(e.reason);
          emit(t);
          break;
        case EffectKind::End: {
          t.action = Action::End;
          t.outcome = static_cast<Outcome>(e.outcome);
          t.step = inst.last_step;
          if (inst.last_step > 0) {
            const bytecode::Instr& send = p.code[p.instr_at[p.send_pcs[inst.last_step - 1]]];
            t.channel = channels[p.channel_index[send.operand[0]]].name;
          }
          emit(t);
          effects.clear();
          machine.reset_arena();
          release(idx);
          return;
        }
      }
    }
    effects.clear();
    machine.reset_arena();
  }

  void step(std::uint32_t idx, const Input& in, Time at, const Record* event, int event_config,
            std::string_view event_name) {
    Instance& inst = instances[idx];
    const Program& p = *programs[inst.program];
    Recipient& r = recipients[inst.recipient];
    Env& env = step_env;
    fill_env(env, r, &inst, p);
    env.event = event;
    env.event_config = event_config;
    Slab& slab = slabs[inst.program];
    Value* locals = slab.has_locals ? slab.locals.at(inst.block) : nullptr;
    std::uint32_t* slots = slab.slots.at(inst.block);
    effects.clear();
    machine.step(p, inst, locals, slots, in, at, env, effects);
    apply(idx, at, event_name);
  }

  // Tries to start program `pid` for recipient r. trigger_at: the tick / broadcast instant.
  void try_start(std::uint16_t pid, std::uint32_t ri, Time at, std::uint32_t payload, const Record* event,
                 int event_config, std::string_view trigger_name) {
    const Program& p = *programs[pid];
    const bytecode::Scenario& sc = p.module.scenario;
    Recipient& r = recipients[ri];
    Env env;
    fill_env(env, r, nullptr, p);
    env.trigger = event;
    env.event = event;
    env.event_config = event_config;
    auto refuse = [&](std::string_view reason) {
      machine.reset_arena();
      // Ticks and broadcasts ask everyone: their refusals would be most of the trace and say
      // nothing a report needs. An event's refusal is worth a line (why did u4 get nothing?).
      if (sc.trigger != bytecode::TriggerKind::Event) return;
      TraceRecord& t = base(at, r, p, 0, Action::Skip);
      t.reason = reason;
      t.trigger_name = trigger_name;
      emit(t);
    };
    if (sc.trigger_where_fn != bytecode::kNoFunction && !machine.eval(p, sc.trigger_where_fn, at, env, at).truthy())
      return refuse("where");
    if (sc.audience_fn != bytecode::kNoFunction && !machine.eval(p, sc.audience_fn, at, env, at).truthy())
      return refuse("audience");
    Entry* entry = nullptr;
    if (r.first_entry.scenario == p.scenario) entry = &r.first_entry;
    for (Entry& e : r.more_entries)
      if (e.scenario == p.scenario) entry = &e;
    if (entry) {
      if (sc.reentry == bytecode::ReentryKind::Never) return refuse("reentry");
      if (sc.reentry == bytecode::ReentryKind::After && at < entry->last_start + sc.reentry_seconds)
        return refuse("reentry");
    } else {
      if (r.first_entry.scenario == 0xFFFF) {
        r.first_entry = Entry{p.scenario, at};
        entry = &r.first_entry;
      } else {
        r.more_entries.push_back(Entry{p.scenario, at});
        entry = &r.more_entries.back();
      }
    }
    entry->last_start = at;
    machine.reset_arena();

    // A new instance, at the end of the recipient's list.
    std::uint32_t idx;
    if (!free_instances.empty()) {
      idx = free_instances.back();
      free_instances.pop_back();
    } else {
      idx = static_cast<std::uint32_t>(instances.size());
      instances.push_back(Instance{});
    }
    ++live;
    Instance& inst = instances[idx];
    inst = Instance{};
    inst.recipient = ri;
    inst.number = next_number++;
    inst.program = pid;
    inst.state = State::Sleeping;
    if (sc.trigger == bytecode::TriggerKind::Event) {
      inst.payload = payload;
      if (payload != kNone) ++payload_refs[payload];
    } else {
      inst.payload = static_cast<std::uint32_t>(std::clamp<Time>(at, 0, 0xFFFFFFFE));
    }
    // The two pools of a program take and give back in lockstep, so one index serves both.
    Slab& slab = slabs[pid];
    inst.block = slab.slots.take();
    if (slab.has_locals) (void)slab.locals.take();
    if (sc.control > 0 && Machine::bucket(r.id, p.name, "control") < sc.control) inst.flags |= kControl;
    std::uint32_t* link = &r.head;
    while (*link != kNone) link = &instances[*link].next;
    *link = idx;

    TraceRecord& t = base(at, r, p, inst.number, Action::Start);
    t.group = (inst.flags & kControl) ? "control" : "treated";
    t.trigger_name = trigger_name;
    emit(t);
    step(idx, Input{InputKind::Start}, at, event, event_config, trigger_name);
  }

  // ---- the clock --------------------------------------------------------------------------

  // Starts loading what waking instance `id` touches: its header (distance 2), then (distance
  // 1, the header loaded by now) its recipient and its slot block.
  void prefetch_wakeup(std::uint32_t id, int distance) {
    if ((id & kTickBit) || id >= instances.size()) return;
    const Instance& inst = instances[id];
    if (distance == 2) {
      __builtin_prefetch(&inst);
      return;
    }
    if (inst.recipient < recipients.size()) {
      const char* r = reinterpret_cast<const char*>(&recipients[inst.recipient]);
      __builtin_prefetch(r);
      __builtin_prefetch(r + sizeof(Recipient) - 1);
    }
    if (inst.state != State::Free && inst.block != kNone && inst.program < slabs.size())
      __builtin_prefetch(slabs[inst.program].slots.at(inst.block));
  }

  // Fires every wake-up due at or before t. advance() costs a few bit tests when nothing is
  // due, so calling it before every input is cheap.
  void fire_until(Time t) {
    timers.advance(t, [&](std::uint32_t id, Time when) {
      if (when > now) now = when;
      if (id & kTickBit) {
        const std::uint32_t k = id & ~kTickBit;
        if (!ticking || k >= tick_entries.size()) return;  // ticks stopped: the entry lapses
        const Tick tick = tick_entries[k];
        if (latest[programs[tick.program]->scenario] != tick.program) return;  // replaced version
        try_start(tick.program, tick.recipient, when, kNone, nullptr, -1, "tick");
        const bytecode::Scenario& sc = programs[tick.program]->module.scenario;
        const int at = sc.every_at == bytecode::kNoClock ? -1 : sc.every_at;
        const Time again = calendar::next_tick(when + 1, recipients[tick.recipient].zone,
                                               std::max<std::int64_t>(sc.every_seconds, 60), at);
        timers.schedule(id, again);
        return;
      }
      if (id >= instances.size()) return;
      Instance& inst = instances[id];
      if (inst.state == State::Free || inst.state == State::Ended) return;
      inst.timer = TimerHandle{};
      step(id, Input{InputKind::Timer}, when, nullptr, -1, {});
    }, [&](std::uint32_t id, int distance) { prefetch_wakeup(id, distance); });
  }

  std::optional<EngineError> at_time(Time at) {
    if (clock_started && at < now)
      return EngineError{fmt::format("time goes backwards ({} is before {})", format_time_utc(at), format_time_utc(now))};
    if (!clock_started) {
      // Ticks of `trigger every` count from the first instant the clock shows.
      clock_started = true;
      now = at;
      timers = TimerWheel(at);
      for (std::uint16_t id : latest)
        if (programs[id]->module.scenario.trigger == bytecode::TriggerKind::Every)
          for (std::uint32_t r = 0; r < recipients.size(); ++r) schedule_tick(r, id, at);
    }
    fire_until(at);
    if (at > now) now = at;
    return std::nullopt;
  }

  // Snapshots (snapshot.cpp).
  std::string save() const;
  void save_into(std::vector<std::uint8_t>& out) const;
  std::optional<EngineError> restore(std::string_view bytes, std::shared_ptr<const void> keep);
  Engine::RestoreTimings restore_timings;  // of the last restore()
  // The snapshot a restore() left the profiles in (borrowed images, lazy_record.hpp), kept as
  // long as the engine (a borrowed profile's destructor never reads its image).
  std::shared_ptr<const void> kept_snapshot;

  // A program's version: its place among the loaded modules of its scenario (1-based).
  std::uint32_t version_of(std::uint16_t program) const {
    std::uint32_t v = 0;
    for (std::uint16_t q = 0; q <= program; ++q)
      if (programs[q]->scenario == programs[program]->scenario) ++v;
    return v;
  }

  // The recipient of message number n (message_number) when its instance is still live and the
  // recipient's id is `id`; nothing otherwise.
  std::optional<std::uint32_t> live_owner(std::uint32_t n, std::string_view id) const {
    if (n == 0 || n >= messages.size()) return std::nullopt;
    const Message& msg = messages[n];
    if (msg.instance >= instances.size()) return std::nullopt;
    const Instance& inst = instances[msg.instance];
    if (inst.number != msg.number || inst.state == State::Free || inst.recipient >= recipients.size() ||
        recipients[inst.recipient].id != id)
      return std::nullopt;
    return inst.recipient;
  }

  // The number in message id `message` ("m17" → 17), or 0 when it is not one. Whether such a
  // message exists is the caller's check (a timer may send it at the report's instant).
  static std::uint32_t message_number(std::string_view message) {
    std::uint32_t n = 0;
    if (message.size() < 2 || message[0] != 'm' ||
        std::from_chars(message.data() + 1, message.data() + message.size(), n).ec != std::errc())
      return 0;
    return n;
  }

  std::optional<std::uint32_t> find_recipient(std::string_view id) const {
    return recipient_index.find(id, [this](std::uint32_t k) { return id_of(k); });
  }
};

}  // namespace cascade::vm
