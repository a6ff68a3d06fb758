// The engine: loads programs, keeps recipients, instances, messages and timers, routes inputs
// to the step function and turns its effects into trace records. See engine.hpp; the state
// itself is declared in engine_impl.hpp.
#include "cascade/vm/engine.hpp"

#include "engine_impl.hpp"

namespace cascade::vm {

// ---- public API ----------------------------------------------------------------------------

Engine::Engine(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Engine::~Engine() = default;

void Engine::set_sink(Sink sink) { impl_->sink = std::move(sink); }

std::optional<EngineError> Engine::load(bytecode::Module module) { return impl_->load(std::move(module)); }

const Shape& Engine::profile_shape() const { return impl_->profile_shape; }

const Shape* Engine::event_shape(std::string_view name, int* index) const {
  for (std::size_t k = 0; k < impl_->config.events.size(); ++k) {
    if (impl_->config.events[k].name == name) {
      if (index) *index = static_cast<int>(k);
      return &impl_->event_shapes[k];
    }
  }
  return nullptr;
}

void Engine::upsert_profile(std::string_view id, Record profile, Time at) { impl_->upsert(id, std::move(profile), at); }

bool Engine::has_recipient(std::string_view id) const { return impl_->find_recipient(id).has_value(); }

void Engine::prefetch_index(std::string_view id) const { impl_->recipient_index.prefetch(id); }

void Engine::prefetch_recipient(std::string_view id) const {
  const Impl& m = *impl_;
  // The index is a guess (the id itself is not compared: that would wait for the very load
  // this starts); a wrong one only loads a line for nothing.
  const auto ri = m.recipient_index.guess(id);
  std::uint32_t& slot = m.guesses[m.next_guess];
  m.next_guess = (m.next_guess + 1) % Impl::kGuesses;
  // The guess of kGuesses calls ago: its Recipient was prefetched then, so reading it now does
  // not wait, and its profile values and first instance start loading before its line comes.
  if (const std::uint32_t old = slot; old < m.recipients.size()) {
    const Recipient& r = m.recipients[old];
    // A profile still borrowed from a snapshot is not copied out by a hint.
    const std::span<const Value> profile = r.profile.borrowed() ? std::span<const Value>() : r.profile.values();
    if (!profile.empty()) {
      const char* v = reinterpret_cast<const char*>(profile.data());
      const std::size_t bytes = profile.size() * sizeof(Value);
      for (std::size_t at = 0; at < bytes && at < 4 * 64; at += 64) __builtin_prefetch(v + at);
    }
    if (r.head != kNone && r.head < m.instances.size()) __builtin_prefetch(&m.instances[r.head]);
  }
  slot = ri && *ri < m.recipients.size() ? *ri : kNone;
  if (slot == kNone) return;
  const char* r = reinterpret_cast<const char*>(&m.recipients[slot]);
  __builtin_prefetch(r);
  __builtin_prefetch(r + sizeof(Recipient) - 1);
}

std::optional<EngineError> Engine::advance(Time now) { return impl_->at_time(now); }

std::optional<EngineError> Engine::event(Time at, std::string_view recipient, int event_index, Record payload) {
  Impl& m = *impl_;
  if (event_index < 0 || static_cast<std::size_t>(event_index) >= m.config.events.size())
    return EngineError{"unknown event"};
  const auto ri = m.find_recipient(recipient);
  if (!ri) return EngineError{fmt::format("unknown recipient `{}`", recipient)};
  if (auto e = m.at_time(at)) return e;
  const std::string_view name = m.config.events[static_cast<std::size_t>(event_index)].name;
  // The payload is kept only while an instance it started needs it.
  std::uint32_t handle;
  if (!m.free_payloads.empty()) {
    handle = m.free_payloads.back();
    m.free_payloads.pop_back();
    m.payloads[handle] = std::move(payload);
  } else {
    handle = static_cast<std::uint32_t>(m.payloads.size());
    m.payloads.push_back(LazyRecord(std::move(payload)));
    m.payload_refs.push_back(0);
  }
  // Waiting instances first (goal, stop on, event waits), in the recipient's order.
  for (std::uint32_t idx = m.recipients[*ri].head; idx != kNone;) {
    const std::uint32_t next = m.instances[idx].next;
    m.step(idx, Input{InputKind::Event}, at, &m.payloads[handle].record(), event_index, name);
    idx = next;
  }
  // Then the programs this event starts.
  const std::vector<std::uint16_t>& starts = m.triggered[static_cast<std::size_t>(event_index)];
  for (std::uint16_t pid : starts) m.try_start(pid, *ri, at, handle, &m.payloads[handle].record(), event_index, name);
  if (m.payload_refs[handle] == 0) {
    m.payloads[handle] = Record();
    m.free_payloads.push_back(handle);
  }
  return std::nullopt;
}

std::optional<EngineError> Engine::status(Time at, std::string_view recipient, std::string_view message,
                                          std::string_view channel, MsgStatus status, std::string_view reason) {
  Impl& m = *impl_;
  std::optional<std::uint32_t> ri;
  const std::uint32_t n = message.empty() ? 0 : Impl::message_number(message);  // parsed once
  if (recipient.empty() && !message.empty()) {
    // The owner of the message: known only while its instance's index still holds it.
    if (n > 0 && n < m.messages.size()) {
      const Message& msg = m.messages[n];
      if (msg.instance < m.instances.size() && m.instances[msg.instance].number == msg.number &&
          m.instances[msg.instance].state != State::Free)
        ri = m.instances[msg.instance].recipient;
    }
    if (!ri) return EngineError{fmt::format("unknown message `{}` (or its instance has ended)", message)};
  } else {
    // A report naming its message usually names the message's owner: one comparison with the
    // owner's id replaces the probe of the id table (the same index when it matches: ids are
    // unique), which is a cache miss per report on a large population.
    if (!message.empty()) ri = m.live_owner(n, recipient);
    if (!ri) ri = m.find_recipient(recipient);
    if (!ri) return EngineError{fmt::format("unknown recipient `{}`", recipient)};
  }
  // Timers due by now fire first: the message the report is about may leave at this instant.
  if (auto e = m.at_time(at)) return e;
  std::uint32_t number = 0;
  if (!message.empty()) {
    if (n == 0 || n >= m.messages.size()) return EngineError{fmt::format("unknown message `{}`", message)};
    number = n;
    if (m.messages[number].instance == kNone) return EngineError{fmt::format("unknown message `{}`", message)};
  } else {
    const int ch = m.channel_of(channel);
    if (ch < 0) return EngineError{fmt::format("unknown channel `{}`", channel)};
    number = m.latest_message(*ri, static_cast<std::size_t>(ch));
    if (number == 0) return EngineError{fmt::format("`{}` has no message on channel `{}` to report on", recipient, channel)};
  }
  Message& msg = m.messages[number];
  const Program& p = *m.programs[msg.program];
  const Recipient& r = m.recipients[*ri];
  if (m.instances.size() > msg.instance && m.instances[msg.instance].number == msg.number &&
      m.instances[msg.instance].recipient != *ri)
    return EngineError{fmt::format("message `m{}` is not `{}`'s", number, recipient)};
  // Status order: clicked ⇒ opened ⇒ delivered; `failed` only replaces a bare `sent`.
  const auto before = static_cast<MsgStatus>(msg.status);
  MsgStatus after = before;
  if (status == MsgStatus::Failed) {
    if (before == MsgStatus::Sent) after = MsgStatus::Failed;
  } else if (before == MsgStatus::Failed || status > before) {
    after = status;
  }
  TraceRecord& t = m.base(at, r, p, msg.number, Action::Status);
  t.channel = m.channels[msg.channel].name;
  t.message = m.msg_id(number);
  t.step = msg.step;
  t.status = status_name(status);
  if (status == MsgStatus::Failed) t.reason = reason;
  m.emit(t);
  msg.status = static_cast<std::uint8_t>(after);
  if (after == before) return std::nullopt;
  if (msg.instance < m.instances.size()) {
    Instance& inst = m.instances[msg.instance];
    if (inst.number == msg.number && inst.state != State::Free && inst.state != State::Ended)
      m.step(msg.instance, Input{InputKind::Status, msg.slot, static_cast<std::uint8_t>(after)}, at, nullptr, -1, {});
  }
  return std::nullopt;
}

std::optional<EngineError> Engine::broadcast(std::string_view scenario, Time at) {
  Impl& m = *impl_;
  auto it = m.scenario_keys.find(std::string(scenario));
  if (it == m.scenario_keys.end()) return EngineError{fmt::format("no scenario `{}` is loaded", scenario)};
  const std::uint16_t pid = m.latest[it->second];
  if (m.programs[pid]->module.scenario.trigger != bytecode::TriggerKind::Manual)
    return EngineError{fmt::format("scenario `{}` is not `trigger manual`", scenario)};
  if (auto e = m.at_time(at)) return e;
  for (std::uint32_t r = 0; r < m.recipients.size(); ++r) m.try_start(pid, r, at, kNone, nullptr, -1, "broadcast");
  return std::nullopt;
}

std::size_t Engine::finish(std::optional<Time> until) {
  Impl& m = *impl_;
  if (until) {
    (void)m.at_time(std::max(*until, m.now));
    return m.live;
  }
  // Ticks stop at the last input; every instance timer still fires, in order, until none is
  // left (a fired timer may schedule a later one, which this same advance fires too).
  m.ticking = false;
  m.fire_until(kNever - 1);
  return m.live;
}

const Record* Engine::profile_of(std::string_view id) const {
  const auto ri = impl_->find_recipient(id);
  return ri ? &impl_->recipients[*ri].profile.record() : nullptr;
}

std::optional<Time> Engine::next_wakeup() const {
  const Impl& m = *impl_;
  return m.timers.next_deadline();
}

namespace {

std::string_view state_word(State s) {
  switch (s) {
    case State::Sleeping: return "sleeping";
    case State::Outcome: return "waiting_outcome";
    case State::Event: return "waiting_event";
    case State::GoalWindow: return "goal_window";
    case State::Ended: return "ended";
    case State::Free: break;
  }
  return "free";
}

}  // namespace

std::vector<Engine::InstanceView> Engine::instances_of(std::string_view recipient) const {
  const Impl& m = *impl_;
  std::vector<InstanceView> out;
  const auto ri = m.find_recipient(recipient);
  if (!ri) return out;
  for (std::uint32_t i = m.recipients[*ri].head; i != kNone; i = m.instances[i].next) {
    const Instance& inst = m.instances[i];
    const Program& p = *m.programs[inst.program];
    InstanceView v;
    v.scenario = p.name;
    v.version = m.version_of(inst.program);
    v.number = inst.number;
    v.state = state_word(inst.state);
    switch (inst.state) {
      case State::Sleeping: v.waiting_for = "time"; break;
      case State::Outcome: v.waiting_for = status_name(static_cast<MsgStatus>(inst.wait_outcome)); break;
      case State::Event: {
        const int ev = inst.wait_event < p.event_index.size() ? p.event_index[inst.wait_event] : -1;
        v.waiting_for = ev >= 0 ? std::string_view(m.config.events[static_cast<std::size_t>(ev)].name) : "event";
        break;
      }
      case State::GoalWindow: v.waiting_for = "goal"; break;
      default: break;
    }
    if (auto when = m.timers.deadline(inst.timer)) v.until = *when;
    v.last_step = inst.last_step;
    v.control = (inst.flags & kControl) != 0;
    out.push_back(v);
  }
  return out;
}

std::vector<Engine::LiveCount> Engine::live_counts() const {
  const Impl& m = *impl_;
  // (program, step) → count; programs and steps are few, instances many.
  std::vector<std::vector<std::size_t>> counts(m.programs.size());
  for (std::size_t i = 0; i < m.instances.size(); ++i) {
    const Instance& inst = m.instances[i];
    if (inst.state == State::Free || inst.state == State::Ended) continue;
    auto& c = counts[inst.program];
    if (c.size() <= inst.last_step) c.resize(inst.last_step + 1u, 0);
    ++c[inst.last_step];
  }
  std::vector<LiveCount> out;
  for (std::size_t p = 0; p < counts.size(); ++p)
    for (std::size_t step = 0; step < counts[p].size(); ++step)
      if (counts[p][step] > 0)
        out.push_back(LiveCount{m.programs[p]->name, m.version_of(static_cast<std::uint16_t>(p)),
                                static_cast<std::uint16_t>(step), counts[p][step]});
  return out;
}

std::string Engine::save() const { return impl_->save(); }
std::optional<EngineError> Engine::restore(std::string_view bytes) { return impl_->restore(bytes, nullptr); }
std::optional<EngineError> Engine::restore(std::string_view bytes, std::shared_ptr<const void> keep) {
  return impl_->restore(bytes, std::move(keep));
}
Engine::RestoreTimings Engine::restore_timings() const { return impl_->restore_timings; }

Time Engine::now() const { return impl_->now; }
std::size_t Engine::live_instances() const { return impl_->live; }
std::size_t Engine::recipient_count() const { return impl_->recipients.size(); }

Engine::Memory Engine::memory() const {
  const Impl& m = *impl_;
  Memory r;
  r.instances = m.instances.memory_bytes() + m.free_instances.capacity() * 4;
  for (const Slab& s : m.slabs) r.instances += s.locals.memory_bytes() + s.slots.memory_bytes();
  r.timers = m.timers.memory_bytes();
  r.messages = m.messages.memory_bytes();
  r.recipients_index = m.recipients.capacity() * sizeof(Recipient);
  r.payloads = m.payloads.memory_bytes() + m.payload_refs.memory_bytes();
  m.payloads.for_each([&](const LazyRecord& p) { r.payloads += p.memory_bytes(); });
  return r;
}

std::optional<Engine::StepParts> Engine::step_parts(std::uint32_t index) {
  Impl& m = *impl_;
  if (index >= m.instances.size()) return std::nullopt;
  Instance& inst = m.instances[index];
  if (inst.state == State::Free || inst.state == State::Ended || inst.block == kNone) return std::nullopt;
  Slab& slab = m.slabs[inst.program];
  return StepParts{m.programs[inst.program].get(), &inst, slab.has_locals ? slab.locals.at(inst.block) : nullptr,
                   slab.slots.at(inst.block)};
}

void Engine::step_env(const StepParts& parts, Env& out) const {
  const Impl& m = *impl_;
  m.fill_env(out, m.recipients[parts.instance->recipient], parts.instance, *parts.program);
}

// ---- names ---------------------------------------------------------------------------------

std::string_view action_name(Action a) {
  switch (a) {
    case Action::Start: return "start";
    case Action::Skip: return "skip";
    case Action::Send: return "send";
    case Action::Defer: return "defer";
    case Action::Wait: return "wait";
    case Action::Status: return "status";
    case Action::Event: return "event";
    case Action::End: return "end";
  }
  return "?";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Completed: return "completed";
    case Outcome::Stopped: return "stopped";
    case Outcome::Converted: return "converted";
    case Outcome::Exited: return "exited";
    case Outcome::Expired: return "expired";
    case Outcome::Open: return "open";
  }
  return "?";
}

std::string_view status_name(MsgStatus s) {
  switch (s) {
    case MsgStatus::None: return "none";
    case MsgStatus::Sent: return "sent";
    case MsgStatus::Delivered: return "delivered";
    case MsgStatus::Opened: return "opened";
    case MsgStatus::Clicked: return "clicked";
    case MsgStatus::Failed: return "failed";
  }
  return "?";
}

std::optional<MsgStatus> parse_status(std::string_view s) {
  if (s == "sent") return MsgStatus::Sent;
  if (s == "delivered") return MsgStatus::Delivered;
  if (s == "opened") return MsgStatus::Opened;
  if (s == "clicked") return MsgStatus::Clicked;
  if (s == "failed") return MsgStatus::Failed;
  return std::nullopt;
}

}  // namespace cascade::vm
