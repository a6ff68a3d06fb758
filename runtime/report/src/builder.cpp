// The Builder: one trace record at a time into running counts.
//
// Per trace it keeps one `Instance` (12 bytes) per instance number and one byte per message
// id, because two figures need state that outlives a record: the instance funnel and the
// branch of an instance (a status or an end arrives long after the send), and the dedupe of
// status reports by (message, level). Everything else is a counter. When the next trace
// begins, the per-instance state of the last one is folded into the scenario counters and
// freed, so memory is bounded by the largest trace, not by the sum.
#include <fmt/format.h>

#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "internal.hpp"

namespace cascade::report {

namespace json = boost::json;

namespace {

// ---- tables keyed by the numbers `cascade run` hands out -------------------------------

// Instance numbers and message numbers are dense from 1 in a trace written by `cascade run`,
// so a vector indexed by number is the cheap table. A number far beyond what has been seen
// (another writer, or a hostile trace) goes to a hash map instead, so one record with
// "instance": 4000000000 costs a map node, not 48 GB.
template <class T>
class NumberTable {
 public:
  T* find(std::uint64_t id) {
    if (id < dense_.size()) return used_[id] ? &dense_[id] : nullptr;
    auto it = sparse_.find(id);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  // The entry for `id`, value-initialised when new; `created` says which.
  T& get(std::uint64_t id, bool& created) {
    if (id < dense_.size() || id <= 2 * count_ + 65536) {
      if (id >= dense_.size()) {
        const std::size_t size = std::max<std::size_t>(static_cast<std::size_t>(id) + 1, dense_.size() * 3 / 2);
        dense_.resize(size);
        used_.resize(size);
      }
      created = !used_[id];
      if (created) {
        used_[id] = true;
        ++count_;
      }
      return dense_[id];
    }
    auto [it, inserted] = sparse_.try_emplace(id);
    created = inserted;
    if (inserted) ++count_;
    return it->second;
  }
  template <class F>
  void for_each(F f) const {
    for (std::size_t i = 0; i < dense_.size(); ++i) {
      if (used_[i]) f(dense_[i]);
    }
    for (const auto& [id, v] : sparse_) f(v);
  }
  void clear() { *this = NumberTable(); }

 private:
  std::vector<T> dense_;
  std::vector<bool> used_;
  std::unordered_map<std::uint64_t, T> sparse_;
  std::uint64_t count_ = 0;
};

struct Instance {
  std::uint32_t scenario = 0;     // index into the scenario table
  std::int32_t branch = -1;       // of the first send in a branch
  std::uint16_t pending_step = 0;  // a failed send at a step whose branch was not known yet
  std::uint8_t level = 0;         // 0 nothing sent, 1 sent, 2 delivered, 3 opened, 4 clicked
  std::uint8_t flags = 0;
};
constexpr std::uint8_t kStarted = 1, kControl = 2, kEnded = 4, kConverted = 8;

// A message's byte: whether its send was seen, a pending bounce, and its level (0 sent,
// 1 delivered, 2 opened, 3 clicked).
constexpr std::uint8_t kMsgKnown = 0x80, kMsgBounced = 0x40, kMsgLevel = 0x03;

struct MessageTable {
  NumberTable<std::uint8_t> numbered;                   // "m17"
  std::unordered_map<std::string, std::uint8_t> named;  // any other id
  static std::optional<std::uint64_t> number(std::string_view id) {
    if (id.size() < 2 || id.size() > 20 || id[0] != 'm' || id[1] == '0') return std::nullopt;
    std::uint64_t n = 0;
    const auto r = std::from_chars(id.data() + 1, id.data() + id.size(), n);
    if (r.ec != std::errc() || r.ptr != id.data() + id.size()) return std::nullopt;
    return n;
  }
  std::uint8_t* find(std::string_view id) {
    if (auto n = number(id)) return numbered.find(*n);
    auto it = named.find(std::string(id));
    return it == named.end() ? nullptr : &it->second;
  }
  std::uint8_t& get(std::string_view id) {
    bool created = false;
    if (auto n = number(id)) return numbered.get(*n, created);
    return named[std::string(id)];
  }
};

struct Trace {
  NumberTable<Instance> instances;
  MessageTable messages;
};

// ---- reading one record ---------------------------------------------------------------------

const char* kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

std::string shown(std::string_view s) {
  if (s.size() > 40) return std::string(s.substr(0, 40)) + "…";
  return std::string(s);
}

// Member readers: each returns false and fills `error` when the member is missing (and
// required) or has the wrong type.
class Reader {
 public:
  Reader(const json::object& o, std::optional<RecordError>& error) : o_(o), error_(error) {}

  bool string(std::string_view key, std::string_view& out, bool required = true) {
    const json::value* v = o_.if_contains(key);
    if (!v) return !required || missing(key);
    if (!v->is_string()) return wrong(key, "a string", *v);
    out = std::string_view(v->get_string().data(), v->get_string().size());
    return true;
  }
  bool integer(std::string_view key, std::uint64_t min, std::uint64_t max, std::uint64_t& out, bool required = true) {
    const json::value* v = o_.if_contains(key);
    if (!v) return !required || missing(key);
    std::uint64_t n = 0;
    if (v->is_uint64()) {
      n = v->get_uint64();
    } else if (v->is_int64() && v->get_int64() >= 0) {
      n = static_cast<std::uint64_t>(v->get_int64());
    } else if (v->is_int64()) {
      return fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, v->get_int64()));
    } else {
      return wrong(key, "an integer", *v);
    }
    if (n < min || n > max) return fail(key, fmt::format("expected an integer from {} to {}, got {}", min, max, n));
    out = n;
    return true;
  }
  // An amount of money ≥ 0 in currency units, as millionths.
  bool money(std::string_view key, std::int64_t& out) {
    const json::value* v = o_.if_contains(key);
    if (!v) return missing(key);
    double d = 0;
    if (v->is_int64()) {
      d = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
      d = static_cast<double>(v->get_uint64());
    } else if (v->is_double()) {
      d = v->get_double();
    } else {
      return wrong(key, "a number", *v);
    }
    // 10^12 units is beyond any message's price and keeps the sums far from int64's end.
    if (!(d >= 0 && d <= 1e12)) return fail(key, fmt::format("expected an amount from 0 to 10^12, got {}", d));
    out = std::llround(d * 1e6);
    return true;
  }
  bool fail(std::string_view key, std::string message) {
    error_ = RecordError{0, fmt::format("/{}: {}", key, message)};
    return false;
  }

 private:
  bool missing(std::string_view key) {
    error_ = RecordError{0, fmt::format("/{}: missing key", key)};
    return false;
  }
  bool wrong(std::string_view key, const char* expected, const json::value& v) {
    return fail(key, fmt::format("expected {}, got {}", expected, kind_of(v)));
  }
  const json::object& o_;
  std::optional<RecordError>& error_;
};

constexpr std::uint64_t kMaxStep = 65535;  // the bytecode numbers send steps in 16 bits
constexpr std::uint64_t kMaxInstance = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMaxSegments = 1000;

void bump(std::vector<Count>& counts, std::string_view name) {
  for (Count& c : counts) {
    if (c.name == name) {
      ++c.count;
      return;
    }
  }
  counts.push_back(Count{std::string(name), 1});
}

std::optional<std::size_t> outcome_index(std::string_view word) {
  for (std::size_t i = 0; i < kOutcomes.size(); ++i) {
    if (kOutcomes[i] == word) return i;
  }
  return std::nullopt;
}

// ---- folding a trace's instances into the scenario counters -----------------------------

void add_to(InstanceFunnel& f, const Instance& i) {
  ++f.entered;
  if (i.level >= 1) ++f.sent;
  if (i.level >= 2) ++f.delivered;
  if (i.level >= 3) ++f.opened;
  if (i.level >= 4) ++f.clicked;
  if (i.flags & kConverted) ++f.converted;
}

// An instance's branch is that of its first send in a branch; one that only failed to send
// takes the branch of the step it failed at (known by now from the other instances' sends).
void fold(const NumberTable<Instance>& instances, Accumulated& acc) {
  instances.for_each([&acc](const Instance& i) {
    if (!(i.flags & kStarted)) return;
    ScenarioAcc& sc = acc.scenarios[i.scenario];
    if (!(i.flags & kEnded)) ++sc.open;
    if (i.flags & kControl) {
      if (i.flags & kConverted) ++sc.control_converted;
      return;
    }
    add_to(sc.funnel, i);
    std::int32_t b = i.branch;
    if (b < 0 && i.pending_step > 0 && i.pending_step <= sc.steps.size()) b = sc.steps[i.pending_step - 1].branch;
    if (b >= 0) add_to(sc.branch_funnels[static_cast<std::size_t>(b)], i);
  });
}

}  // namespace

// ---- the builder ------------------------------------------------------------------------------

struct Builder::Impl {
  Options options;
  Accumulated acc;
  Trace trace;
  std::unordered_map<std::string, std::uint32_t> scenario_index;
  std::uint32_t last_scenario = 0;
  bool have_last = false;
  std::uint64_t order = 0;  // records accepted, for "the first SMS send in the input"

  // One line's JSON lives in this block (longer lines spill to the heap), so parsing a typical
  // record allocates nothing.
  std::unique_ptr<unsigned char[]> block{new unsigned char[kBlock]};
  json::monotonic_resource resource{block.get(), kBlock};
  json::parser parser;
  static constexpr std::size_t kBlock = 16 * 1024;

  std::uint32_t scenario(std::string_view name) {
    if (have_last && acc.scenarios[last_scenario].name == name) return last_scenario;
    auto it = scenario_index.find(std::string(name));
    std::uint32_t index;
    if (it != scenario_index.end()) {
      index = it->second;
    } else {
      index = static_cast<std::uint32_t>(acc.scenarios.size());
      acc.scenarios.emplace_back();
      acc.scenarios.back().name = std::string(name);
      scenario_index.emplace(std::string(name), index);
    }
    last_scenario = index;
    have_last = true;
    return index;
  }

  std::optional<RecordError> add(const json::value& value);
};

Builder::Builder(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->acc.traces = 0;
}

Builder::~Builder() = default;

void Builder::begin_trace() {
  fold(impl_->trace.instances, impl_->acc);
  impl_->trace = Trace();
  ++impl_->acc.traces;
}

std::optional<RecordError> Builder::add_line(std::string_view line) {
  Impl& m = *impl_;
  m.resource.release();
  m.parser.reset(json::storage_ptr(&m.resource));
  json::error_code ec;
  const std::size_t n = m.parser.write_some(line.data(), line.size(), ec);
  if (ec) {
    m.parser.reset();
    return RecordError{std::min(n, line.size()) + 1, "invalid JSON: " + ec.message()};
  }
  if (n < line.size()) {
    const std::size_t rest = line.find_first_not_of(" \t\r", n);
    if (rest != std::string_view::npos) {
      m.parser.reset();
      return RecordError{rest + 1, "invalid JSON: extra text after the value"};
    }
  }
  const json::value v = m.parser.release();
  return m.add(v);
}

std::optional<RecordError> Builder::add(const json::value& record) {
  return impl_->add(record);
}

std::optional<RecordError> Builder::Impl::add(const json::value& value) {
  if (!value.is_object()) return RecordError{0, fmt::format("expected a JSON object, got {}", kind_of(value))};
  const json::object& o = value.get_object();
  std::optional<RecordError> error;
  Reader r(o, error);
  std::string_view at, recipient, scenario_name, action;
  if (!r.string("at", at) || !r.string("recipient", recipient) || !r.string("scenario", scenario_name) ||
      !r.string("action", action))
    return error;
  if (scenario_name.empty()) {
    r.fail("scenario", "empty scenario name");
    return error;
  }

  std::uint64_t number = 0;
  const bool refused_start = action == "skip" && !o.contains("instance");
  if (!refused_start && !r.integer("instance", 1, kMaxInstance, number)) return error;

  // Validate every member the action uses before touching any counter.
  std::string_view channel, message, reason, word, branch;
  std::uint64_t step = 0, segments = 0;
  std::int64_t cost = 0;
  bool has_segments = false, has_step = false;
  std::optional<std::size_t> outcome;
  bool control = false;
  if (action == "start") {
    if (!r.string("trigger", word) || !r.string("group", reason)) return error;
    if (reason != "treated" && reason != "control") {
      r.fail("group", fmt::format("expected `treated` or `control`, got `{}`", shown(reason)));
      return error;
    }
    control = reason == "control";
  } else if (action == "skip") {
    if (refused_start) {
      if (!r.string("trigger", word) || !r.string("reason", reason)) return error;
    } else if (!r.string("channel", channel) || !r.integer("step", 1, kMaxStep, step) ||
               !r.string("reason", reason)) {
      return error;
    }
  } else if (action == "send") {
    if (!r.string("channel", channel) || !r.string("message", message) || !r.integer("step", 1, kMaxStep, step) ||
        !r.money("cost", cost) || !r.string("branch", branch, false))
      return error;
    has_segments = o.contains("segments");
    if (has_segments && !r.integer("segments", 1, kMaxSegments, segments)) return error;
    if (message.empty()) {
      r.fail("message", "empty message id");
      return error;
    }
  } else if (action == "defer") {
    if (!r.string("channel", channel) || !r.integer("step", 1, kMaxStep, step) || !r.string("reason", reason) ||
        !r.string("until", word))
      return error;
  } else if (action == "wait") {
    if (!r.string("for", word) || !r.string("until", reason)) return error;
  } else if (action == "status") {
    if (!r.string("channel", channel) || !r.string("message", message) || !r.integer("step", 1, kMaxStep, step) ||
        !r.string("status", word))
      return error;
    if (word != "delivered" && word != "opened" && word != "clicked" && word != "failed") {
      r.fail("status", fmt::format("unknown status `{}` (expected delivered, opened, clicked or failed)", shown(word)));
      return error;
    }
  } else if (action == "event") {
    if (!r.string("event", word) || !r.string("as", reason)) return error;
  } else if (action == "end") {
    if (!r.string("outcome", word) || !r.string("channel", channel, false)) return error;
    has_step = o.contains("step");
    if (has_step && !r.integer("step", 1, kMaxStep, step)) return error;
    outcome = outcome_index(word);
    if (!outcome) {
      r.fail("outcome",
             fmt::format("unknown outcome `{}` (expected completed, converted, exited, expired or stopped)", shown(word)));
      return error;
    }
  } else {
    r.fail("action", fmt::format("unknown action `{}` (expected start, skip, send, defer, wait, status, event or end)",
                                 shown(action)));
    return error;
  }

  // The instance: the checks that need the trace so far.
  Instance* instance = nullptr;
  bool created = false;
  std::uint32_t s = 0;
  if (!refused_start) {
    instance = &trace.instances.get(number, created);
    if (created) {
      s = scenario(scenario_name);
      instance->scenario = s;
      if (action != "start") ++acc.unstarted_instances;
    } else {
      s = instance->scenario;
      if (acc.scenarios[s].name != scenario_name) {
        r.fail("scenario", fmt::format("instance {} belongs to scenario `{}`, not `{}`", number,
                                       shown(acc.scenarios[s].name), shown(scenario_name)));
        return error;
      }
      if (action == "start") {
        r.fail("instance", fmt::format("instance {} has already appeared in this trace", number));
        return error;
      }
      if (action == "end" && (instance->flags & kEnded)) {
        r.fail("instance", fmt::format("instance {} has already ended", number));
        return error;
      }
    }
  } else {
    s = scenario(scenario_name);
  }
  std::uint8_t* msg = nullptr;
  if (action == "send") {
    msg = &trace.messages.get(message);
    if (*msg & kMsgKnown) {
      r.fail("message", fmt::format("message `{}` was already sent in this trace", shown(message)));
      return error;
    }
  }

  // Count.
  ++acc.records;
  ++order;
  ScenarioAcc& sc = acc.scenarios[s];
  if (action == "start") {
    instance->flags |= kStarted | (control ? kControl : 0);
    ++(control ? sc.started_control : sc.started_treated);
  } else if (action == "skip") {
    if (refused_start) {
      bump(sc.refused, reason);
    } else {
      StepAcc& st = sc.step(step, channel);
      ++st.failed;
      bump(sc.failures, reason);
      if (instance->branch < 0 && instance->pending_step == 0 && st.branch != kNoBranch)
        instance->pending_step = static_cast<std::uint16_t>(step);
    }
  } else if (action == "send") {
    StepAcc& st = sc.step(step, channel);
    ++st.sent;
    st.cost_micros += cost;
    std::int32_t b = kNoBranch;
    if (!branch.empty()) b = sc.branch(branch);
    if (st.branch == kUnknownBranch) st.branch = b;
    ChannelAcc& ch = sc.channel(channel);
    if (ch.sends == 0) {
      ch.first_order = order;
      ch.first_cost = cost;
      ch.first_segments = has_segments ? segments : 1;
    }
    ++ch.sends;
    ch.segments += has_segments ? segments : 1;
    if (has_segments) ++ch.with_segments;
    ch.cost_micros += cost;
    sc.cost_micros += cost;
    *msg = kMsgKnown;
    if (instance->level < 1) instance->level = 1;
    if (b >= 0 && instance->branch < 0) instance->branch = b;
  } else if (action == "defer") {
    bump(sc.deferrals, reason);
  } else if (action == "status") {
    std::uint8_t* m = trace.messages.find(message);
    if (!m || !(*m & kMsgKnown)) {
      ++acc.orphan_statuses;
    } else {
      StepAcc& st = sc.step(step, channel);
      const std::uint8_t level = *m & kMsgLevel;
      if (word == "failed") {
        if (level == 0 && !(*m & kMsgBounced)) {
          *m |= kMsgBounced;
          ++st.bounced;
        }
      } else {
        const std::uint8_t reached = word == "delivered" ? 1 : word == "opened" ? 2 : 3;
        if (reached > level) {
          std::uint64_t* counters[] = {nullptr, &st.delivered, &st.opened, &st.clicked};
          for (std::uint8_t l = static_cast<std::uint8_t>(level + 1); l <= reached; ++l) ++*counters[l];
          if (*m & kMsgBounced) --st.bounced;  // "delivered after failed wins" (docs/runtime.md)
          *m = static_cast<std::uint8_t>(kMsgKnown | reached);
          instance->level = std::max<std::uint8_t>(instance->level, static_cast<std::uint8_t>(reached + 1));
        }
      }
    }
  } else if (action == "end") {
    ++sc.ends[*outcome];
    instance->flags |= kEnded;
    if (kOutcomes[*outcome] == "converted") {
      instance->flags |= kConverted;
      if (has_step && !(instance->flags & kControl)) ++sc.step(step, channel).goal;
    }
  }
  // wait and event records change no figure; they are checked all the same.
  return std::nullopt;
}

Report Builder::finish() const {
  Accumulated acc = impl_->acc;
  fold(impl_->trace.instances, acc);
  if (acc.traces == 0) acc.traces = 1;
  return compute(acc, impl_->options);
}

}  // namespace cascade::report
