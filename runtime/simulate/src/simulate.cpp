// The simulation loop: synthetic recipients and their answers, interleaved with the engine in
// time order (see simulate.hpp for the design).
//
// The one subtle point is the clock. The engine only moves its clock when the host gives it
// an instant, and the host must never give an instant earlier than the engine's clock — yet a
// send that fires inside advance(t) at some s < t gets its delivery at s + delay, which may be
// before t. So the host never jumps past a wake-up: every timer the engine schedules is
// announced by a `wait` or `defer` record with its `until`, and the sink puts that instant in
// the queue as a wake-up. advance() is then only ever called up to the next thing that can
// happen, sends leave exactly at the engine's `now`, and every sampled answer lands in the
// future. (A wake-up for a wait that ended early just finds nothing due.)
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <queue>

#include "cascade/stdlib/channels.hpp"
#include "cascade/vm/machine.hpp"
#include "cascade/vm/record.hpp"
#include "internal.hpp"

namespace cascade::simulate {

namespace json = boost::json;
using detail::Rng;

namespace {

// Stream purposes (detail::stream's third argument).
enum : std::uint64_t { kProfileStream = 0, kTriggerStream = 1, kBehaviourStream = 2, kPassStream = 3 };

enum class ItemKind : std::uint8_t { Wake, Status, Goal };

struct Item {
  vm::Time at = 0;
  std::uint64_t seq = 0;
  std::uint32_t person = 0;   // index in the batch
  std::uint32_t message = 0;  // Status: the engine's message number
  ItemKind kind = ItemKind::Wake;
  vm::MsgStatus status = vm::MsgStatus::None;
};

struct Later {
  bool operator()(const Item& a, const Item& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
};

struct Person {
  Rng rng;  // behaviour: start instant, then every answer, in the person's own time order
  vm::Time start = -1;
  vm::Time first_delivered = -1;
  std::uint32_t avail = 0;   // bit c: config channel c has an address, consent and a provider
  std::uint32_t sample = 0;  // the sample line this person's profile is (profile samples)
  bool control = false, delivered = false, opened = false;
};

constexpr vm::Time kFar = vm::kNever / 4;  // wake-ups beyond this are left to finish()

vm::Time later(vm::Time t, std::int64_t d) {
  return t >= kFar - d ? kFar : t + d;
}

// "s17" / "m17" → 17; 0 when the text is not that form.
std::uint64_t number_after(std::string_view s, char prefix) {
  if (s.size() < 2 || s[0] != prefix) return 0;
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data() + 1, s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() ? v : 0;
}

class Simulation {
 public:
  Simulation(const vm::Config& config, const bytecode::Module& module, const Audience& audience,
             const Rates& rates, const Options& options, Report& report)
      : config_(config),
        module_(module),
        audience_(audience),
        rates_(rates),
        options_(options),
        report_(report) {}

  std::optional<Error> run();

 private:
  std::optional<Error> prepare();
  std::optional<Error> run_batch(std::uint64_t lo, std::uint64_t hi);
  void on_record(const vm::TraceRecord& r);
  void push(vm::Time at, std::uint32_t person, ItemKind kind, vm::MsgStatus status = vm::MsgStatus::None,
            std::uint32_t message = 0) {
    heap_.push(Item{at, seq_++, person, message, kind, status});
  }
  std::string_view id(std::uint64_t k, char prefix) {
    char* p = id_buf_[prefix == 's' ? 0 : 1];
    p[0] = prefix;
    const auto r = std::to_chars(p + 1, p + 23, k);
    return std::string_view(p, static_cast<std::size_t>(r.ptr - p));
  }
  std::optional<Error> make_profile(std::uint64_t k, Person& person, vm::Record& out);
  std::optional<Error> make_trigger(std::uint64_t k, vm::Record& out);
  std::optional<Error> make_goal(std::uint64_t k, Person& person, vm::Record& out);
  void fill_trigger(std::uint64_t k);          // draws k's trigger payload into trigger_scratch_
  std::uint32_t sample_line(std::uint64_t k);  // called with k ascending

  const vm::Config& config_;
  const bytecode::Module& module_;
  const Audience& audience_;
  const Rates& rates_;
  const Options& options_;
  Report& report_;

  vm::Shape profile_shape_, trigger_shape_, goal_shape_;
  int trigger_index_ = -1, goal_index_ = -1;
  bool manual_ = false;
  vm::Time start_ = kDefaultStart;
  std::int64_t window_ = kDefaultWindow;

  json::object profile_base_, trigger_base_, goal_base_;
  // The profile and the trigger payload are built in place: one JSON value each, whose
  // varying leaves are overwritten per recipient through these pointers (no copy, no rehash).
  json::value profile_scratch_, trigger_scratch_;
  struct Slot {
    const FieldSpec* spec;
    json::value* value;
  };
  std::vector<Slot> profile_slots_, trigger_slots_;
  struct AddressSlot {
    json::value* value;
    double share;
    std::string kind;
    bool required;
  };
  std::vector<AddressSlot> address_slots_;
  std::vector<std::pair<json::value*, double>> consent_slots_;
  std::vector<FieldSpec> trigger_specs_;
  std::vector<const FieldSpec*> profile_varying_, trigger_varying_, goal_varying_;
  std::vector<std::pair<std::string, std::string>> address_values_;     // field, address pattern kind
  std::vector<std::pair<std::string, std::string>> goal_from_trigger_;  // goal path ← trigger path
  std::vector<std::pair<int, int>> channel_fields_;  // per config channel: address leaf, consent leaf
  std::vector<int> report_channel_;                  // config channel → index in report_.channels, or -1
  std::vector<std::uint64_t> avail_treated_;         // per config channel
  std::uint64_t sms_segments_ = 0, sms_sends_ = 0;

  // The sample's current pass: a seeded permutation of its lines.
  std::uint64_t pass_ = UINT64_MAX;
  std::vector<std::uint32_t> perm_;

  // Per batch.
  vm::Engine* engine_ = nullptr;
  std::uint64_t lo_ = 0;
  std::vector<Person> persons_;
  std::priority_queue<Item, std::vector<Item>, Later> heap_;
  std::uint64_t seq_ = 0;
  std::optional<Error> engine_error_;
  std::vector<std::int64_t> reach_times_;
  // Counts by reason or outcome: a handful of keys, so a flat list without allocation per hit.
  using Counts = std::vector<std::pair<std::string, std::uint64_t>>;
  Counts not_started_, failures_, outcomes_;
  static void count(Counts& counts, std::string_view key) {
    for (auto& [k, n] : counts)
      if (k == key) {
        ++n;
        return;
      }
    counts.emplace_back(std::string(key), 1);
  }

  std::unique_ptr<unsigned char[]> block_{new unsigned char[1 << 16]};
  json::monotonic_resource resource_{block_.get(), 1 << 16};
  char id_buf_[2][24] = {};
};

std::optional<Error> Simulation::prepare() {
  report_ = Report{};
  report_.scenario = module_.str(module_.scenario.name);
  report_.currency = config_.currency;
  report_.seed = options_.seed;
  report_.recipients = options_.recipients;
  start_ = options_.start ? *options_.start : rates_.start.value_or(kDefaultStart);
  window_ = options_.window ? *options_.window : rates_.window.value_or(kDefaultWindow);
  if (window_ < 0) window_ = 0;
  report_.start = start_;
  report_.window = window_;

  switch (module_.scenario.trigger) {
    case bytecode::TriggerKind::Event:
      break;
    case bytecode::TriggerKind::Manual:
      manual_ = true;  // one broadcast at the start: no spread
      window_ = 0;
      report_.window = 0;
      break;
    case bytecode::TriggerKind::Every:
      return Error{
          "", 0, 0,
          fmt::format(
              "scenario `{}` is `trigger every`: simulate forecasts event-triggered and manual scenarios",
              report_.scenario)};
  }

  profile_shape_ = vm::Shape::of(config_.profile);
  auto event_of = [&](std::string_view name, vm::Shape& shape, int& index) -> std::optional<Error> {
    for (std::size_t i = 0; i < config_.events.size(); ++i) {
      if (config_.events[i].name != name) continue;
      shape = vm::Shape::of(config_.events[i].fields);
      index = static_cast<int>(i);
      return std::nullopt;
    }
    return Error{"", 0, 0, fmt::format("the project has no event `{}`", name)};
  };
  if (!manual_)
    if (auto e = event_of(trigger_event_name(module_), trigger_shape_, trigger_index_)) return e;
  report_.goal = std::string(goal_event_name(module_));
  report_.has_goal = !report_.goal.empty();
  if (report_.has_goal)
    if (auto e = event_of(report_.goal, goal_shape_, goal_index_)) return e;

  // Base objects: every required leaf's type default, then the fixed values; the varying
  // specs are drawn per recipient on a copy.
  auto base = [&](const vm::Shape& shape, json::object& out) {
    for (std::size_t i = 0; i < shape.size(); ++i)
      if (!shape.type(i).optional)
        detail::set_path(out, shape.path(i), detail::default_value(shape.type(i), start_));
  };
  auto apply = [&](const std::vector<FieldSpec>& specs, json::object& out,
                   std::vector<const FieldSpec*>& varying) {
    for (const FieldSpec& f : specs) {
      if (f.kind == FieldSpec::Kind::Fixed)
        detail::set_path(out, f.path, f.fixed);
      else
        varying.push_back(&f);
    }
  };
  if (!audience_.is_sample) {
    base(profile_shape_, profile_base_);
    apply(audience_.fields, profile_base_, profile_varying_);
    for (const Audience::Share& a : audience_.addresses) {
      std::string kind = "other";
      for (const vm::ChannelConfig& c : config_.channels)
        if (c.address_field == a.field) kind = c.kind;
      address_values_.emplace_back(a.field, kind);
    }
  }
  if (!manual_) {
    base(trigger_shape_, trigger_base_);
    // The audience's trigger values first, then the rates' (which win on the same field).
    std::vector<FieldSpec> merged = audience_.trigger;
    for (const FieldSpec& f : rates_.trigger) {
      auto same =
          std::find_if(merged.begin(), merged.end(), [&](const FieldSpec& s) { return s.path == f.path; });
      if (same != merged.end())
        *same = f;
      else
        merged.push_back(f);
    }
    trigger_specs_ = std::move(merged);
    apply(trigger_specs_, trigger_base_, trigger_varying_);
  }
  // The scratch values: every varying leaf present (null until drawn), then the pointers.
  auto scratch = [&](const json::object& base_object, const std::vector<const FieldSpec*>& varying,
                     json::value& out, std::vector<Slot>& slots) {
    json::object o = base_object;
    for (const FieldSpec* f : varying) detail::set_path(o, f->path, nullptr);
    out = std::move(o);
    for (const FieldSpec* f : varying) slots.push_back(Slot{f, detail::find_path(out, f->path)});
  };
  if (!audience_.is_sample) {
    json::object o = profile_base_;
    for (const auto& [field, kind] : address_values_) detail::set_path(o, field, nullptr);
    for (const Audience::Share& c : audience_.consents) detail::set_path(o, c.field, false);
    profile_base_ = std::move(o);
    scratch(profile_base_, profile_varying_, profile_scratch_, profile_slots_);
    for (const auto& [field, kind] : address_values_) {
      double share = 0;
      for (const Audience::Share& a : audience_.addresses)
        if (a.field == field) share = a.share;
      const int leaf = profile_shape_.index(field);
      const bool required = leaf >= 0 && !profile_shape_.type(static_cast<std::size_t>(leaf)).optional;
      address_slots_.push_back(
          AddressSlot{detail::find_path(profile_scratch_, field), share, kind, required});
    }
    for (const Audience::Share& c : audience_.consents)
      consent_slots_.emplace_back(detail::find_path(profile_scratch_, c.field), c.share);
  }
  if (!manual_) scratch(trigger_base_, trigger_varying_, trigger_scratch_, trigger_slots_);

  if (report_.has_goal) {
    base(goal_shape_, goal_base_);
    apply(rates_.goal_event, goal_base_, goal_varying_);
    // A goal's `where` usually ties it to the trigger (`event.cart_id == trigger.cart_id`):
    // goal fields the rates do not give take the trigger's field of the same name and type.
    if (!manual_) {
      for (std::size_t i = 0; i < goal_shape_.size(); ++i) {
        const std::string path(goal_shape_.path(i));
        if (std::any_of(rates_.goal_event.begin(), rates_.goal_event.end(),
                        [&](const FieldSpec& f) { return f.path == path; }))
          continue;
        const int t = trigger_shape_.index(path);
        if (t >= 0 && trigger_shape_.type(static_cast<std::size_t>(t)).kind == goal_shape_.type(i).kind)
          goal_from_trigger_.emplace_back(path, path);
      }
    }
  }

  for (const vm::ChannelConfig& c : config_.channels)
    channel_fields_.emplace_back(c.address_field.empty() ? -1 : profile_shape_.index(c.address_field),
                                 c.consent_field.empty() ? -1 : profile_shape_.index(c.consent_field));
  report_channel_.assign(config_.channels.size(), -1);
  avail_treated_.assign(config_.channels.size(), 0);
  for (std::size_t c = 0; c < config_.channels.size(); ++c) {
    const bool used = std::any_of(
        module_.channels.begin(), module_.channels.end(),
        [&](const bytecode::Channel& mc) { return module_.str(mc.name) == config_.channels[c].name; });
    if (!used) continue;
    report_channel_[c] = static_cast<int>(report_.channels.size());
    ChannelReport cr;
    cr.name = config_.channels[c].name;
    cr.kind = config_.channels[c].kind;
    report_.channels.push_back(std::move(cr));
  }
  return std::nullopt;
}

std::optional<Error> Simulation::make_profile(std::uint64_t k, Person& person, vm::Record& out) {
  const json::value* profile = &profile_scratch_;
  if (audience_.is_sample) {
    profile = &audience_.sample[person.sample];
  } else {
    Rng rng = detail::stream(options_.seed, k, kProfileStream);
    char buf[64];
    for (const AddressSlot& a : address_slots_) {
      if (!rng.chance(a.share)) {
        if (a.required)
          detail::set_string(*a.value, "");
        else
          *a.value = nullptr;
        continue;
      }
      fmt::format_to_n_result<char*> r{};
      if (a.kind == "email")
        r = fmt::format_to_n(buf, sizeof buf, "s{}@example.com", k);
      else if (a.kind == "sms" || a.kind == "viber")
        r = fmt::format_to_n(buf, sizeof buf, "+7900{:07}", k % 10000000);
      else
        r = fmt::format_to_n(buf, sizeof buf, "{}-s{}", a.kind, k);
      detail::set_string(*a.value, std::string_view(buf, std::min(r.size, sizeof buf)));
    }
    for (const auto& [slot, share] : consent_slots_) *slot = rng.chance(share);
    for (const Slot& s : profile_slots_) detail::draw_into(*s.spec, rng, *s.value);
  }
  const json::value& v = *profile;
  if (auto e = vm::decode(profile_shape_, v, out))
    return Error{audience_.file, 0, 0,
                 fmt::format("the profile of s{} does not fit the schema: {}{}", k,
                             e->pointer.empty() ? "" : e->pointer + ": ", e->message)};
  person.avail = 0;
  for (std::size_t c = 0; c < config_.channels.size() && c < 32; ++c) {
    if (!config_.channels[c].has_provider) continue;
    const auto [address, consent] = channel_fields_[c];
    if (address >= 0) {
      const vm::Value& a = out.get(address);
      if (a.kind != vm::Kind::String || a.size == 0) continue;
    }
    if (consent >= 0 && !out.get(consent).truthy()) continue;
    person.avail |= 1u << c;
  }
  return std::nullopt;
}

std::uint32_t Simulation::sample_line(std::uint64_t k) {
  const std::uint64_t m = audience_.sample.size();
  const std::uint64_t pass = (k - 1) / m;
  if (pass != pass_) {
    // Passes over a fresh seeded permutation: every line is used once per pass, so N = M
    // takes the whole sample exactly once (and the variance is lower than with replacement).
    pass_ = pass;
    perm_.resize(m);
    for (std::uint32_t i = 0; i < m; ++i) perm_[i] = i;
    Rng rng = detail::stream(options_.seed, pass, kPassStream);
    for (std::uint64_t i = m - 1; i > 0; --i) std::swap(perm_[i], perm_[rng.below(i + 1)]);
  }
  return perm_[(k - 1) % m];
}

void Simulation::fill_trigger(std::uint64_t k) {
  Rng rng = detail::stream(options_.seed, k, kTriggerStream);
  for (const Slot& s : trigger_slots_) detail::draw_into(*s.spec, rng, *s.value);
}

std::optional<Error> Simulation::make_trigger(std::uint64_t k, vm::Record& out) {
  fill_trigger(k);
  if (auto e = vm::decode(trigger_shape_, trigger_scratch_, out))
    return Error{rates_.file, 0, 0,
                 fmt::format("the trigger payload does not fit event `{}`: {}{}", trigger_event_name(module_),
                             e->pointer.empty() ? "" : e->pointer + ": ", e->message)};
  return std::nullopt;
}

std::optional<Error> Simulation::make_goal(std::uint64_t k, Person& person, vm::Record& out) {
  resource_.release();
  json::value v(goal_base_, json::storage_ptr(&resource_));
  json::object& o = v.get_object();
  if (!goal_from_trigger_.empty()) {
    // The trigger's payload is drawn again from its own stream: nothing is kept per person.
    fill_trigger(k);
    for (const auto& [goal_path, trigger_path] : goal_from_trigger_) {
      if (const json::value* at = detail::find_path(trigger_scratch_, trigger_path))
        detail::set_path(o, goal_path, json::value(*at, o.storage()));
    }
  }
  for (const FieldSpec* f : goal_varying_)
    detail::set_path(o, f->path, detail::draw_field(*f, person.rng, o.storage()));
  if (auto e = vm::decode(goal_shape_, v, out))
    return Error{rates_.file, 0, 0,
                 fmt::format("the goal payload does not fit event `{}`: {}{}", report_.goal,
                             e->pointer.empty() ? "" : e->pointer + ": ", e->message)};
  return std::nullopt;
}

void Simulation::on_record(const vm::TraceRecord& r) {
  if (options_.trace) options_.trace(r);
  const std::uint64_t k = number_after(r.recipient, 's');
  if (k <= lo_ || k - lo_ > persons_.size()) return;  // not ours (cannot happen)
  const std::uint32_t j = static_cast<std::uint32_t>(k - lo_ - 1);
  Person& p = persons_[j];
  auto channel_of = [&](std::string_view name) -> int {
    for (std::size_t c = 0; c < config_.channels.size(); ++c)
      if (config_.channels[c].name == name) return static_cast<int>(c);
    return -1;
  };
  switch (r.action) {
    case vm::Action::Start: {
      ++report_.started;
      p.start = r.at;
      p.control = r.group == "control";
      if (p.control) {
        ++report_.control;
      } else {
        ++report_.treated;
        for (std::size_t c = 0; c < config_.channels.size() && c < 32; ++c)
          if (report_channel_[c] >= 0 && (p.avail >> c & 1u)) ++avail_treated_[c];
      }
      if (report_.has_goal && p.rng.chance(rates_.goal_base))
        push(later(r.at, detail::draw(rates_.goal_base_delay, p.rng)), j, ItemKind::Goal);
      break;
    }
    case vm::Action::Skip:
      count(r.instance == 0 ? not_started_ : failures_, r.reason);
      break;
    case vm::Action::Send: {
      const int c = channel_of(r.channel);
      if (c < 0) break;
      if (const int rc = report_channel_[static_cast<std::size_t>(c)]; rc >= 0) {
        ChannelReport& cr = report_.channels[static_cast<std::size_t>(rc)];
        ++cr.sends;
        cr.cost_micros += std::max<std::int64_t>(0, r.cost_micros);
        if (cr.kind == "sms") {
          cr.segments += static_cast<std::uint64_t>(std::max(1, r.segments));
          sms_segments_ += static_cast<std::uint64_t>(std::max(1, r.segments));
          ++sms_sends_;
        }
      }
      report_.cost_micros += std::max<std::int64_t>(0, r.cost_micros);
      // The provider's and the person's answers, drawn now in this person's order.
      const ChannelRates& cr = rates_.channels[static_cast<std::size_t>(c)];
      const std::uint32_t msg = static_cast<std::uint32_t>(number_after(r.message, 'm'));
      const vm::Time delivered = later(r.at, detail::draw(cr.delivery, p.rng));
      if (!p.rng.chance(cr.delivered)) {
        push(delivered, j, ItemKind::Status, vm::MsgStatus::Failed, msg);
        break;
      }
      push(delivered, j, ItemKind::Status, vm::MsgStatus::Delivered, msg);
      if (!p.rng.chance(cr.opened)) break;
      const vm::Time opened = later(delivered, detail::draw(cr.open, p.rng));
      // A kind with no open receipt (SMS) is still read, which the click and the goal follow,
      // but no `opened` report is ever made for it — the engine sees what a provider sends.
      const channels::KindInfo* kind = channels::find_kind(config_.channels[static_cast<std::size_t>(c)].kind);
      if (!kind || kind->opened) push(opened, j, ItemKind::Status, vm::MsgStatus::Opened, msg);
      if (p.rng.chance(cr.clicked)) {
        const vm::Time clicked = later(opened, detail::draw(cr.click, p.rng));
        push(clicked, j, ItemKind::Status, vm::MsgStatus::Clicked, msg);
        if (report_.has_goal && p.rng.chance(cr.goal_clicked))
          push(later(clicked, detail::draw(cr.goal, p.rng)), j, ItemKind::Goal);
      } else if (report_.has_goal && p.rng.chance(cr.goal_opened)) {
        push(later(opened, detail::draw(cr.goal, p.rng)), j, ItemKind::Goal);
      }
      break;
    }
    case vm::Action::Defer:
    case vm::Action::Wait:
      // Also a timer due at this very instant: it fires at the next advance, which must then be
      // to this instant, not to whatever input comes next.
      if (r.until >= r.at && r.until < kFar) push(r.until, j, ItemKind::Wake);
      break;
    case vm::Action::Status: {
      const int c = channel_of(r.channel);
      const int rc = c >= 0 ? report_channel_[static_cast<std::size_t>(c)] : -1;
      ChannelReport* cr = rc >= 0 ? &report_.channels[static_cast<std::size_t>(rc)] : nullptr;
      if (r.status == "delivered") {
        if (cr) ++cr->delivered;
        if (!p.delivered) {
          p.delivered = true;
          p.first_delivered = r.at;
        }
      } else if (r.status == "opened") {
        if (cr) ++cr->opened;
        p.opened = true;
      } else if (r.status == "clicked") {
        if (cr) ++cr->clicked;
      } else if (r.status == "failed") {
        if (cr) ++cr->failed;
        count(failures_, "failed");
      }
      break;
    }
    case vm::Action::Event:
      break;
    case vm::Action::End:
      count(outcomes_, vm::outcome_name(r.outcome));
      if (r.outcome == vm::Outcome::Converted)
        ++(p.control ? report_.converted_control : report_.converted_treated);
      break;
  }
}

std::optional<Error> Simulation::run_batch(std::uint64_t lo, std::uint64_t hi) {
  vm::Engine engine(config_);
  if (auto e = engine.load(module_)) return Error{"", 0, 0, "the engine refused the scenario: " + e->message};
  engine_ = &engine;
  lo_ = lo;
  persons_.assign(hi - lo, Person{});
  seq_ = 0;
  engine.set_sink([this](const vm::TraceRecord& r) { on_record(r); });

  std::vector<std::pair<vm::Time, std::uint32_t>> order;
  order.reserve(hi - lo);
  for (std::uint64_t k = lo + 1; k <= hi; ++k) {
    Person& p = persons_[k - lo - 1];
    p.rng = detail::stream(options_.seed, k, kBehaviourStream);
    const vm::Time t = manual_ || window_ <= 0
                           ? start_
                           : start_ + static_cast<vm::Time>(p.rng.below(static_cast<std::uint64_t>(window_)));
    order.emplace_back(t, static_cast<std::uint32_t>(k - lo - 1));
    if (audience_.is_sample) p.sample = sample_line(k);
  }
  std::sort(order.begin(), order.end());

  auto fail = [&](const std::optional<vm::EngineError>& e) {
    if (e && !engine_error_) engine_error_ = Error{"", 0, 0, "the engine refused an input: " + e->message};
    return engine_error_.has_value();
  };
  if (manual_) {
    for (std::uint64_t k = lo + 1; k <= hi; ++k) {
      vm::Record record;
      if (auto e = make_profile(k, persons_[k - lo - 1], record)) return e;
      engine.upsert_profile(id(k, 's'), std::move(record), start_);
    }
    if (fail(engine.broadcast(report_.scenario, start_))) return engine_error_;
  }

  std::size_t next = manual_ ? order.size() : 0;
  while (next < order.size() || !heap_.empty()) {
    if (!heap_.empty() && (next == order.size() || heap_.top().at <= order[next].first)) {
      Item item = heap_.top();
      heap_.pop();
      // Every wake-up is queued, so the clock never passes a pending item; the clamp only
      // guards the engine's rule that time never goes backwards.
      item.at = std::max(item.at, engine.now());
      const std::uint64_t k = lo + item.person + 1;
      switch (item.kind) {
        case ItemKind::Wake:
          if (fail(engine.advance(item.at))) return engine_error_;
          break;
        case ItemKind::Status:
          if (fail(engine.advance(item.at))) return engine_error_;
          if (fail(engine.status(item.at, id(k, 's'), id(item.message, 'm'), {}, item.status)))
            return engine_error_;
          break;
        case ItemKind::Goal: {
          vm::Record record;
          if (auto e = make_goal(k, persons_[item.person], record)) return e;
          if (fail(engine.advance(item.at))) return engine_error_;
          if (fail(engine.event(item.at, id(k, 's'), goal_index_, std::move(record)))) return engine_error_;
          break;
        }
      }
      continue;
    }
    const auto [t, j] = order[next++];
    const std::uint64_t k = lo + j + 1;
    if (fail(engine.advance(t))) return engine_error_;
    vm::Record profile, payload;
    if (auto e = make_profile(k, persons_[j], profile)) return e;
    engine.upsert_profile(id(k, 's'), std::move(profile), t);
    if (auto e = make_trigger(k, payload)) return e;
    if (fail(engine.event(t, id(k, 's'), trigger_index_, std::move(payload)))) return engine_error_;
  }
  report_.still_waiting += engine.finish(std::nullopt);
  if (engine_error_) return engine_error_;

  for (const Person& p : persons_) {
    if (p.delivered) {
      ++report_.reached_delivered;
      if (p.start >= 0) reach_times_.push_back(p.first_delivered - p.start);
    }
    if (p.opened) ++report_.reached_opened;
  }
  engine_ = nullptr;
  return std::nullopt;
}

std::optional<Error> Simulation::run() {
  if (auto e = prepare()) return e;
  const std::uint64_t batch = std::max<std::uint32_t>(1, options_.batch);
  for (std::uint64_t lo = 0; lo < options_.recipients; lo += batch) {
    if (auto e = run_batch(lo, std::min(options_.recipients, lo + batch))) return e;
  }

  for (const auto& [k, n] : not_started_) report_.not_started[k] += n;
  for (const auto& [k, n] : failures_) report_.failures[k] += n;
  for (const auto& [k, n] : outcomes_) report_.outcomes[k] += n;

  // Percentiles by nearest rank: the smallest value with at least q of the values at or below it.
  if (!reach_times_.empty()) {
    auto rank = [&](double q) {
      std::size_t i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(reach_times_.size())));
      i = std::clamp<std::size_t>(i, 1, reach_times_.size()) - 1;
      std::nth_element(reach_times_.begin(), reach_times_.begin() + static_cast<std::ptrdiff_t>(i),
                       reach_times_.end());
      return reach_times_[i];
    };
    report_.reach_median = rank(0.5);
    report_.reach_p90 = rank(0.9);
  }

  // Savings (docs/simulate.md; `cascade report` uses the same definitions).
  const double segments =
      sms_sends_ > 0 ? static_cast<double>(sms_segments_) / static_cast<double>(sms_sends_) : 1.0;
  report_.sms_segments_mean = segments;
  // The SMS price per segment: the channel called `sms` if it is an SMS channel, else the
  // first channel of kind sms (the rule of `cascade report`, docs/report.md).
  const vm::ChannelConfig* sms = nullptr;
  for (const vm::ChannelConfig& c : config_.channels) {
    if (c.kind != "sms") continue;
    if (!sms || c.name == "sms") sms = &c;
  }
  if (sms) {
    report_.has_sms_price = true;
    report_.all_sms_micros =
        std::llround(static_cast<double>(report_.treated) * static_cast<double>(sms->cost_micros) * segments);
  }
  double all = 0;
  for (std::size_t c = 0; c < config_.channels.size(); ++c) {
    const double price = static_cast<double>(config_.channels[c].cost_micros) *
                         (config_.channels[c].kind == "sms" ? segments : 1.0);
    all += static_cast<double>(avail_treated_[c]) * price;
  }
  report_.all_channels_micros = std::llround(all);
  return std::nullopt;
}

}  // namespace

std::optional<Error> run(const vm::Config& config, const bytecode::Module& module, const Audience& audience,
                         const Rates& rates, const Options& options, Report& out) {
  if (options.recipients == 0) return Error{"", 0, 0, "--recipients must be at least 1"};
  if (options.recipients > 1'000'000'000ull) return Error{"", 0, 0, "--recipients: at most 1,000,000,000"};
  Simulation sim(config, module, audience, rates, options, out);
  return sim.run();
}

}  // namespace cascade::simulate
