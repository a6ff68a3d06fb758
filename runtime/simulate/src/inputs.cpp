// Reading the audience and the rates: YAML (or JSON, which YAML reads too) through yaml-cpp,
// whose node marks give every error its file:line:col; a profile sample line by line through
// Boost.JSON, each line decoded against the project's profile schema at load time so a bad
// line is reported before anything runs.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cascade/stdlib/units.hpp"
#include "cascade/vm/record.hpp"
#include "internal.hpp"

namespace cascade::simulate {

namespace json = boost::json;

std::string Error::text() const {
  if (line > 0 && column > 0) return fmt::format("{}:{}:{}: error: {}", file, line, column, message);
  if (line > 0) return fmt::format("{}:{}: error: {}", file, line, message);
  return fmt::format("{}: error: {}", file, message);
}

namespace {

// Errors inside the readers travel as this exception and become an Error value at the
// module boundary (load_audience / load_rates).
struct Located {
  Error error;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, std::string message) const {
    const YAML::Mark m = at.Mark();
    Error e;
    e.file = file_;
    if (!m.is_null()) {
      e.line = static_cast<std::size_t>(m.line) + 1;
      e.column = static_cast<std::size_t>(m.column) + 1;
    }
    e.message = std::move(message);
    throw Located{std::move(e)};
  }

  YAML::Node load() const {
    std::error_code ec;
    if (std::filesystem::is_directory(file_, ec))
      throw Located{Error{file_, 0, 0, "is a folder, not a YAML file", true}};
    std::ifstream in(file_, std::ios::binary);
    if (!in) throw Located{Error{file_, 0, 0, "cannot read the file", true}};
    std::stringstream text;
    text << in.rdbuf();
    try {
      return YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
      throw Located{Error{file_, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                          e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1, e.msg}};
    }
  }

  void require_map(const YAML::Node& n, std::string_view what) const {
    if (!n.IsMap()) fail(n, fmt::format("{}: expected a map", what));
  }

  // Checks that every key of map `n` is one of `allowed`.
  void keys(const YAML::Node& n, std::string_view what,
            std::initializer_list<std::string_view> allowed) const {
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>("");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) list += fmt::format("{}`{}`", list.empty() ? "" : ", ", a);
        fail(kv.first, fmt::format("{}: unknown key `{}` (expected {})", what, key, list));
      }
    }
  }

  std::string scalar(const YAML::Node& n, std::string_view what) const {
    if (!n.IsScalar()) fail(n, fmt::format("{}: expected a single value", what));
    return n.Scalar();
  }

  double number(const YAML::Node& n, std::string_view what) const {
    const std::string s = scalar(n, what);
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
      fail(n, fmt::format("{}: `{}` is not a number", what, s));
    return v;
  }

  // A probability: 0.25 or "25%".
  double rate(const YAML::Node& n, std::string_view what) const {
    std::string s = scalar(n, what);
    double v = 0;
    bool percent = false;
    if (!s.empty() && s.back() == '%') {
      percent = true;
      s.pop_back();
    }
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
      fail(n, fmt::format("{}: `{}` is not a rate (write 0.25 or 25%)", what, n.Scalar()));
    if (percent) v /= 100;
    if (v < 0 || v > 1) fail(n, fmt::format("{}: {} is not between 0 and 1 (0% and 100%)", what, n.Scalar()));
    return v;
  }

  std::int64_t duration(const YAML::Node& n, std::string_view what) const {
    const std::string s = scalar(n, what);
    const auto d = units::parse_duration(s);
    if (!d) fail(n, fmt::format("{}: `{}` is not a duration (write it like 90s, 2h, 1h30m, 7d)", what, s));
    return *d;
  }

  vm::Time time(const YAML::Node& n, std::string_view what) const {
    const std::string s = scalar(n, what);
    const auto t = vm::parse_time(s);
    if (!t) fail(n, fmt::format("{}: `{}` is not a time (write it like 2026-03-02T10:00:00Z)", what, s));
    return *t;
  }

  // `2h` (fixed), {median: 2h, p90: 10h} (log-normal) or {mean: 2h} (exponential).
  Delay delay(const YAML::Node& n, std::string_view what) const {
    Delay d;
    if (n.IsScalar()) {
      d.kind = Delay::Kind::Fixed;
      d.a = static_cast<double>(duration(n, what));
      return d;
    }
    if (!n.IsMap())
      fail(n, fmt::format("{}: expected a duration, {{median: …, p90: …}} or {{mean: …}}", what));
    keys(n, what, {"median", "p90", "mean"});
    if (n["mean"]) {
      if (n["median"] || n["p90"]) fail(n, fmt::format("{}: give either `mean` or `median` and `p90`", what));
      d.kind = Delay::Kind::Exponential;
      d.a = static_cast<double>(duration(n["mean"], what));
      if (d.a <= 0) d.kind = Delay::Kind::Fixed;
      return d;
    }
    if (!n["median"] || !n["p90"])
      fail(n, fmt::format("{}: a log-normal delay needs both `median` and `p90`", what));
    const double median = static_cast<double>(duration(n["median"], what));
    const double p90 = static_cast<double>(duration(n["p90"], what));
    if (median <= 0) fail(n["median"], fmt::format("{}: the median must be more than 0s", what));
    if (p90 < median) fail(n["p90"], fmt::format("{}: p90 must not be less than the median", what));
    if (p90 == median) {
      d.kind = Delay::Kind::Fixed;
      d.a = median;
      return d;
    }
    d.kind = Delay::Kind::LogNormal;
    d.a = std::log(median);
    d.b = std::log(p90 / median) / 1.2815515655446004;  // z of the 90th percentile
    return d;
  }

  // A scalar (or a sequence, for lists) as the JSON decode() expects for a leaf of `type`.
  json::value value(const YAML::Node& n, const types::Type& type, std::string_view what) const {
    if (n.IsNull()) {
      if (!type.optional)
        fail(n,
             fmt::format("{}: the field is required ({}); it cannot be empty", what, types::to_string(type)));
      return nullptr;
    }
    using K = types::Kind;
    if (type.kind == K::List) {
      if (!n.IsSequence()) fail(n, fmt::format("{}: expected a list ({})", what, types::to_string(type)));
      json::array a;
      for (const auto& e : n) a.push_back(value(e, *type.element, what));
      return a;
    }
    const std::string s = scalar(n, what);
    switch (type.kind) {
      case K::Bool: {
        bool b = false;
        if (!YAML::convert<bool>::decode(n, b))
          fail(n, fmt::format("{}: `{}` is not true or false", what, s));
        return b;
      }
      case K::Int: {
        std::int64_t v = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size())
          fail(n, fmt::format("{}: `{}` is not an int", what, s));
        return v;
      }
      case K::Decimal:
      case K::Percent:
        return number(n, what);
      case K::String:
        return json::string(s);
      case K::Time:
        time(n, what);
        return json::string(s);
      case K::Duration:
        duration(n, what);
        return json::string(s);
      case K::Clock:
        if (!units::parse_clock(s))
          fail(n, fmt::format("{}: `{}` is not a clock (write it like 09:30)", what, s));
        return json::string(s);
      default:
        fail(n, fmt::format("{}: a field of type {} cannot be given here", what, types::to_string(type)));
    }
  }

  // One field spec for the leaf `path` of `type`.
  FieldSpec spec(const YAML::Node& n, const std::string& path, const types::Type& type) const {
    FieldSpec f;
    f.path = path;
    f.type = type.kind;
    using K = types::Kind;
    if (!n.IsMap()) {
      f.kind = FieldSpec::Kind::Fixed;
      f.fixed = value(n, type, path);
      return f;
    }
    keys(n, path, {"min", "max", "one_of", "weights", "share"});
    if (n["share"]) {
      if (type.kind != K::Bool)
        fail(n, fmt::format("{}: `share` is for bool fields (this one is {})", path, types::to_string(type)));
      f.kind = FieldSpec::Kind::Share;
      f.share = rate(n["share"], path);
      return f;
    }
    if (n["one_of"]) {
      const YAML::Node list = n["one_of"];
      if (!list.IsSequence() || list.size() == 0)
        fail(list, fmt::format("{}: `one_of` needs a non-empty list", path));
      f.kind = FieldSpec::Kind::OneOf;
      for (const auto& e : list) f.values.push_back(value(e, type, path));
      std::vector<double> w(f.values.size(), 1.0);
      if (const YAML::Node weights = n["weights"]) {
        if (!weights.IsSequence() || weights.size() != f.values.size())
          fail(weights, fmt::format("{}: `weights` needs one number per value of `one_of` ({})", path,
                                    f.values.size()));
        for (std::size_t i = 0; i < w.size(); ++i) {
          w[i] = number(weights[i], path);
          if (w[i] < 0) fail(weights[i], fmt::format("{}: a weight cannot be negative", path));
        }
      }
      double total = 0;
      for (double x : w) total += x;
      if (total <= 0) fail(n, fmt::format("{}: the weights add up to 0", path));
      double run = 0;
      for (double x : w) f.cumulative.push_back((run += x) / total);
      f.cumulative.back() = 1.0;
      return f;
    }
    if (n["min"] || n["max"]) {
      if (!n["min"] || !n["max"]) fail(n, fmt::format("{}: a range needs both `min` and `max`", path));
      f.kind = FieldSpec::Kind::Range;
      switch (type.kind) {
        case K::Int:
        case K::Decimal:
          f.min = number(n["min"], path);
          f.max = number(n["max"], path);
          if (type.kind == K::Int && (f.min != std::floor(f.min) || f.max != std::floor(f.max)))
            fail(n, fmt::format("{}: an int range needs whole numbers", path));
          break;
        case K::Duration:
          f.min = static_cast<double>(duration(n["min"], path));
          f.max = static_cast<double>(duration(n["max"], path));
          break;
        case K::Time:
          f.min = static_cast<double>(time(n["min"], path));
          f.max = static_cast<double>(time(n["max"], path));
          break;
        default:
          fail(n, fmt::format("{}: a range is for int, decimal, duration and time fields (this one is {})",
                              path, types::to_string(type)));
      }
      if (f.max < f.min) fail(n["max"], fmt::format("{}: `max` is less than `min`", path));
      if (std::fabs(f.min) > 9e15 || std::fabs(f.max) > 9e15)
        fail(n, fmt::format("{}: the range is too large", path));
      return f;
    }
    fail(n, fmt::format("{}: give a value, {{min, max}}, {{one_of: […]}} or {{share}} (bool)", path));
  }

  // The specs of a `fields:`-like map against `shape`; nested maps below a record are walked.
  void specs(const YAML::Node& n, const vm::Shape& shape, const std::string& prefix, std::string_view what,
             std::vector<FieldSpec>& out) const {
    require_map(n, what);
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>("");
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      const int leaf = shape.index(path);
      if (leaf >= 0) {
        FieldSpec f = spec(kv.second, path, shape.type(static_cast<std::size_t>(leaf)));
        auto same = std::find_if(out.begin(), out.end(), [&](const FieldSpec& s) { return s.path == path; });
        if (same != out.end())
          *same = std::move(f);  // a later file's value wins (rates after audience)
        else
          out.push_back(std::move(f));
        continue;
      }
      bool record = false;
      for (std::size_t i = 0; i < shape.size() && !record; ++i) {
        const std::string_view p = shape.path(i);
        record = p.size() > path.size() && p.substr(0, path.size()) == path && p[path.size()] == '.';
      }
      if (record && kv.second.IsMap()) {
        specs(kv.second, shape, path, what, out);
        continue;
      }
      fail(kv.first, fmt::format("{}: unknown field `{}`", what, path));
    }
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

int channel_index(const vm::Config& config, std::string_view name) {
  for (std::size_t i = 0; i < config.channels.size(); ++i)
    if (config.channels[i].name == name) return static_cast<int>(i);
  return -1;
}

std::string channel_list(const vm::Config& config) {
  std::string s;
  for (const auto& c : config.channels) s += fmt::format("{}`{}`", s.empty() ? "" : ", ", c.name);
  return s;
}

const vm::EventConfig* event_config(const vm::Config& config, std::string_view name) {
  for (const auto& e : config.events)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace

std::string_view trigger_event_name(const bytecode::Module& m) {
  if (m.scenario.trigger != bytecode::TriggerKind::Event || m.scenario.trigger_event >= m.events.size())
    return {};
  return m.str(m.events[m.scenario.trigger_event].name);
}

std::string_view goal_event_name(const bytecode::Module& m) {
  if (!m.scenario.has_goal || m.scenario.goal.event >= m.events.size()) return {};
  return m.str(m.events[m.scenario.goal.event].name);
}

namespace {

void read_trigger(const Reader& r, const YAML::Node& root, const vm::Config& config,
                  const bytecode::Module& module, std::vector<FieldSpec>& out) {
  const YAML::Node t = root["trigger"];
  if (!t) return;
  const std::string_view name = trigger_event_name(module);
  if (name.empty())
    r.fail(t, "`trigger`: the scenario is not triggered by an event, so it has no payload to fill");
  const vm::EventConfig* e = event_config(config, name);
  if (!e) r.fail(t, fmt::format("`trigger`: the project has no event `{}`", name));
  r.specs(t, vm::Shape::of(e->fields), "", fmt::format("trigger ({})", name), out);
}

void check_profile(const Reader& r, const vm::Shape& shape, const std::string& field, const YAML::Node& at,
                   types::Kind want, std::string_view channel, std::string_view role) {
  const int i = shape.index(field);
  if (i < 0)
    r.fail(at, fmt::format("channel `{}`: its {} field `{}` is not in the profile", channel, role, field));
  if (shape.type(static_cast<std::size_t>(i)).kind != want)
    r.fail(at, fmt::format("channel `{}`: its {} field `{}` is {}, not {}", channel, role, field,
                           types::to_string(shape.type(static_cast<std::size_t>(i))),
                           want == types::Kind::Bool ? "bool" : "string"));
}

}  // namespace

std::optional<Error> load_audience(const std::string& path, const vm::Config& config,
                                   const bytecode::Module& module, Audience& out) {
  out = Audience{};
  out.file = path;
  const vm::Shape shape = vm::Shape::of(config.profile);
  std::error_code fs_error;
  if (std::filesystem::is_directory(path, fs_error))
    return Error{path, 0, 0, "is a folder, not an audience file", true};
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".jsonl" || ext == ".ndjson") {
    out.is_sample = true;
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path, 0, 0, "cannot read the file", true};
    std::string line;
    std::size_t number = 0;
    vm::Record record;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      boost::system::error_code ec;
      json::parser p;
      const std::size_t n = p.write_some(line.data(), line.size(), ec);
      if (!ec && line.find_first_not_of(" \t", n) != std::string::npos)
        return Error{path, number, n + 1, "invalid JSON: extra text after the value"};
      if (ec) return Error{path, number, std::min(n, line.size()) + 1, "invalid JSON: " + ec.message()};
      json::value v = p.release();
      if (!v.is_object())
        return Error{path, number, 0, fmt::format("expected a JSON object, got {}", vm::json_kind(v))};
      // The sample's own ids are not used (recipients are s1…sN), but a wrong type is an error.
      if (auto e = vm::decode(shape, v, record))
        return Error{path, number, 0, e->pointer.empty() ? e->message : e->pointer + ": " + e->message};
      out.sample.push_back(std::move(v));
    }
    if (out.sample.empty()) return Error{path, 0, 0, "the profile sample has no profiles"};
    return std::nullopt;
  }

  try {
    const Reader r(path);
    const YAML::Node root = r.load();
    r.require_map(root, "the audience");
    r.keys(root, "the audience", {"channels", "fields", "trigger"});
    std::set<std::string> address_fields;
    if (const YAML::Node chans = root["channels"]) {
      r.require_map(chans, "`channels`");
      for (const auto& kv : chans) {
        const std::string name = kv.first.as<std::string>("");
        const int c = channel_index(config, name);
        if (c < 0)
          r.fail(kv.first,
                 fmt::format("unknown channel `{}` (the project has {})", name, channel_list(config)));
        const vm::ChannelConfig& ch = config.channels[static_cast<std::size_t>(c)];
        const YAML::Node spec = kv.second;
        r.require_map(spec, fmt::format("channel `{}`", name));
        r.keys(spec, fmt::format("channel `{}`", name), {"address", "consent"});
        auto put = [&](std::vector<Audience::Share>& list, const std::string& field, const YAML::Node& at,
                       std::string_view role) {
          const double share = r.rate(at, fmt::format("channel `{}`: {}", name, role));
          for (auto& s : list) {
            if (s.field != field) continue;
            if (s.share != share)
              r.fail(at, fmt::format("channel `{}`: its {} field `{}` is shared with another channel that "
                                     "gives it a different share ({})",
                                     name, role, field, s.share));
            return;
          }
          list.push_back({field, share});
        };
        if (const YAML::Node a = spec["address"]) {
          if (ch.address_field.empty()) r.fail(a, fmt::format("channel `{}` needs no address", name));
          check_profile(r, shape, ch.address_field, a, types::Kind::String, name, "address");
          put(out.addresses, ch.address_field, a, "address");
          address_fields.insert(ch.address_field);
        }
        if (const YAML::Node a = spec["consent"]) {
          if (ch.consent_field.empty()) r.fail(a, fmt::format("channel `{}` needs no consent", name));
          check_profile(r, shape, ch.consent_field, a, types::Kind::Bool, name, "consent");
          put(out.consents, ch.consent_field, a, "consent");
        }
      }
    }
    if (const YAML::Node fields = root["fields"]) {
      r.specs(fields, shape, "", "`fields`", out.fields);
      for (const auto& kv : fields) {
        const std::string key = kv.first.as<std::string>("");
        if (address_fields.count(key))
          r.fail(kv.first,
                 fmt::format("`fields`: `{}` is an address field; its share is given under `channels`", key));
      }
      for (const FieldSpec& f : out.fields) {
        for (const auto& s : out.consents)
          if (s.field == f.path)
            r.fail(fields,
                   fmt::format("`fields`: `{}` is a consent field; its share is given under `channels`",
                               f.path));
      }
    }
    read_trigger(r, root, config, module, out.trigger);
  } catch (const Located& e) {
    return e.error;
  } catch (const YAML::Exception& e) {
    return Error{path, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                 e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1, e.msg};
  }
  return std::nullopt;
}

std::optional<Error> load_rates(const std::string& path, const vm::Config& config,
                                const bytecode::Module& module, Rates& out) {
  out = Rates{};
  out.file = path;
  out.channels.resize(config.channels.size());
  try {
    const Reader r(path);
    const YAML::Node root = r.load();
    r.require_map(root, "the rates");
    r.keys(root, "the rates", {"start", "window", "channels", "goal", "trigger"});
    if (const YAML::Node s = root["start"]) out.start = r.time(s, "start");
    if (const YAML::Node w = root["window"]) out.window = r.duration(w, "window");
    const YAML::Node chans = root["channels"];
    if (!chans) r.fail(root, "the rates: missing `channels` (the chances per channel)");
    r.require_map(chans, "`channels`");
    for (const auto& kv : chans) {
      const std::string name = kv.first.as<std::string>("");
      const int c = channel_index(config, name);
      if (c < 0)
        r.fail(kv.first,
               fmt::format("unknown channel `{}` (the project has {})", name, channel_list(config)));
      ChannelRates& cr = out.channels[static_cast<std::size_t>(c)];
      if (cr.given) r.fail(kv.first, fmt::format("channel `{}` is given twice", name));
      cr.given = true;
      const YAML::Node spec = kv.second;
      const std::string what = fmt::format("channel `{}`", name);
      r.require_map(spec, what);
      r.keys(spec, what, {"delivered", "opened", "clicked", "goal", "delays"});
      if (spec["delivered"]) cr.delivered = r.rate(spec["delivered"], what + ": delivered");
      if (spec["opened"]) cr.opened = r.rate(spec["opened"], what + ": opened");
      if (spec["clicked"]) cr.clicked = r.rate(spec["clicked"], what + ": clicked");
      if (const YAML::Node g = spec["goal"]) {
        r.require_map(g, what + ": goal");
        r.keys(g, what + ": goal", {"opened", "clicked"});
        if (g["opened"]) cr.goal_opened = r.rate(g["opened"], what + ": goal.opened");
        if (g["clicked"]) cr.goal_clicked = r.rate(g["clicked"], what + ": goal.clicked");
      }
      if (const YAML::Node d = spec["delays"]) {
        r.require_map(d, what + ": delays");
        r.keys(d, what + ": delays", {"delivered", "opened", "clicked", "goal"});
        if (d["delivered"]) cr.delivery = r.delay(d["delivered"], what + ": delays.delivered");
        if (d["opened"]) cr.open = r.delay(d["opened"], what + ": delays.opened");
        if (d["clicked"]) cr.click = r.delay(d["clicked"], what + ": delays.clicked");
        if (d["goal"]) cr.goal = r.delay(d["goal"], what + ": delays.goal");
      }
    }
    // Every channel the scenario sends on needs its rates: a silent default would be a guess.
    for (const bytecode::Channel& mc : module.channels) {
      const int c = channel_index(config, module.str(mc.name));
      if (c >= 0 && !out.channels[static_cast<std::size_t>(c)].given)
        r.fail(chans,
               fmt::format("no rates for channel `{}`, which the scenario sends on", module.str(mc.name)));
    }
    if (const YAML::Node g = root["goal"]) {
      r.require_map(g, "`goal`");
      r.keys(g, "`goal`", {"base", "delay", "event"});
      if (g["base"]) out.goal_base = r.rate(g["base"], "goal: base");
      if (g["delay"]) out.goal_base_delay = r.delay(g["delay"], "goal: delay");
      if (const YAML::Node ev = g["event"]) {
        const std::string_view name = goal_event_name(module);
        if (name.empty()) r.fail(ev, "goal: the scenario has no goal, so there is no goal event to fill");
        const vm::EventConfig* e = event_config(config, name);
        if (!e) r.fail(ev, fmt::format("goal: the project has no event `{}`", name));
        r.specs(ev, vm::Shape::of(e->fields), "", fmt::format("goal event ({})", name), out.goal_event);
      }
    }
    read_trigger(r, root, config, module, out.trigger);
  } catch (const Located& e) {
    return e.error;
  } catch (const YAML::Exception& e) {
    return Error{path, e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.line) + 1,
                 e.mark.is_null() ? 0 : static_cast<std::size_t>(e.mark.column) + 1, e.msg};
  }
  return std::nullopt;
}

// ---- drawing values -----------------------------------------------------------------------

namespace detail {

void set_path(json::object& root, std::string_view path, json::value value) {
  json::object* at = &root;
  for (;;) {
    const std::size_t dot = path.find('.');
    if (dot == std::string_view::npos) {
      (*at)[path] = std::move(value);
      return;
    }
    json::value& next = (*at)[path.substr(0, dot)];
    if (!next.is_object()) next.emplace_object();
    at = &next.get_object();
    path.remove_prefix(dot + 1);
  }
}

json::value draw_field(const FieldSpec& f, Rng& rng, json::storage_ptr sp) {
  switch (f.kind) {
    case FieldSpec::Kind::Fixed:
      return json::value(f.fixed, sp);
    case FieldSpec::Kind::Share:
      return json::value(rng.chance(f.share), sp);
    case FieldSpec::Kind::OneOf: {
      const double u = rng.uniform();
      std::size_t i = 0;
      while (i + 1 < f.cumulative.size() && u >= f.cumulative[i]) ++i;
      return json::value(f.values[i], sp);
    }
    case FieldSpec::Kind::Range:
      break;
  }
  using K = types::Kind;
  const double span = f.max - f.min;
  switch (f.type) {
    case K::Int:
      return json::value(static_cast<std::int64_t>(f.min) +
                             static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span) + 1)),
                         sp);
    case K::Decimal:
      return json::value(std::round((f.min + rng.uniform() * span) * 100) / 100, sp);
    case K::Duration:
      return json::value(json::string(
          fmt::format("{}s", static_cast<std::int64_t>(f.min) +
                                 static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span) + 1))),
          sp));
    case K::Time:
      return json::value(json::string(
          vm::format_time_utc(static_cast<vm::Time>(f.min) +
                              static_cast<vm::Time>(rng.below(static_cast<std::uint64_t>(span) + 1))),
          sp));
    default:
      return json::value(nullptr, sp);
  }
}

void set_string(json::value& slot, std::string_view text) {
  if (slot.is_string())
    slot.get_string().assign(text);
  else
    slot.emplace_string().assign(text);
}

json::value* find_path(json::value& root, std::string_view path) {
  json::value* at = &root;
  for (;;) {
    if (!at->is_object()) return nullptr;
    const std::size_t dot = path.find('.');
    at = at->get_object().if_contains(path.substr(0, dot));
    if (!at || dot == std::string_view::npos) return at;
    path.remove_prefix(dot + 1);
  }
}

void draw_into(const FieldSpec& f, Rng& rng, json::value& slot) {
  using K = types::Kind;
  switch (f.kind) {
    case FieldSpec::Kind::Fixed:
      slot = f.fixed;
      return;
    case FieldSpec::Kind::Share:
      slot = rng.chance(f.share);
      return;
    case FieldSpec::Kind::OneOf: {
      const double u = rng.uniform();
      std::size_t i = 0;
      while (i + 1 < f.cumulative.size() && u >= f.cumulative[i]) ++i;
      if (f.values[i].is_string())
        set_string(slot, f.values[i].get_string());
      else
        slot = f.values[i];
      return;
    }
    case FieldSpec::Kind::Range:
      break;
  }
  const double span = f.max - f.min;
  const auto whole = [&] {
    return static_cast<std::int64_t>(f.min) +
           static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(span) + 1));
  };
  switch (f.type) {
    case K::Int:
      slot = whole();
      return;
    case K::Decimal:
      slot = std::round((f.min + rng.uniform() * span) * 100) / 100;
      return;
    case K::Duration: {
      char buf[32];
      const auto r = fmt::format_to_n(buf, sizeof buf, "{}s", whole());
      set_string(slot, std::string_view(buf, r.size));
      return;
    }
    case K::Time:
      set_string(slot, vm::format_time_utc(whole()));
      return;
    default:
      slot = nullptr;
      return;
  }
}

json::value default_value(const types::Type& type, vm::Time start) {
  using K = types::Kind;
  switch (type.kind) {
    case K::Bool:
      return false;
    case K::Int:
      return 0;
    case K::Decimal:
    case K::Percent:
      return 0;
    case K::String:
      return "";
    case K::Time:
      return json::string(vm::format_time_utc(start));
    case K::Duration:
      return "0s";
    case K::Clock:
      return "00:00";
    case K::List:
      return json::array();
    default:
      return nullptr;
  }
}

}  // namespace detail

}  // namespace cascade::simulate
