// `cascade test [--junit FILE] [--project FILE] [paths…]`: runs *.test.yaml scenario tests.
//
// A test file names a scenario file, some profiles, and test cases: timed events and status
// reports in, expected trace records out (docs/testing.md is the user's guide). Each case runs
// on a fresh engine with the same code path as `cascade run` (session.hpp), so what a test
// sees is exactly what `cascade run` would print.
//
// Matching is partial and ordered: each expected record names only the keys it cares about,
// and the expected records must appear in the trace in that order (other records may come in
// between). `not:` records must appear nowhere; `ends:` says how every instance ends.
//
// Output is a test runner's: one line per case (ok / FAIL, with the expected records and the
// trace on failure), then "N passed, N failed"; exit 1 when anything failed or a test file
// has errors (reported FILE:LINE:COL from yaml-cpp's marks), 2 on usage or I/O problems.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <span>

#include "cascade/compiler/project.hpp"
#include "command.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view kDefaultStart = "2026-03-02T10:00:00Z";  // a Monday

struct TestOptions {
  std::vector<std::string> paths;
  std::string junit;
  std::string project;
  ColorMode color = ColorMode::Auto;
};

// An error inside a test file, at a YAML node.
struct FileError {
  std::string message;
};

std::string where(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return file;
  return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
}

// ---- the test file ----------------------------------------------------------------------

struct Expectation {
  YAML::Node node;  // what the user wrote (keys of the trace records, or the shorthands)
  int line = 0;
  std::string shown;  // one line, for reports
};

struct Case {
  std::string name;
  YAML::Mark mark;
  std::string scenario;  // path as resolved against the test file's folder
  vm::Time start = 0;
  std::vector<std::pair<std::string, YAML::Node>> profiles;  // id → fields, in file order
  std::string recipient;                                     // the default recipient, if any
  YAML::Node inputs;
  std::optional<YAML::Node> until;
  std::vector<Expectation> expect;
  std::vector<Expectation> absent;
  std::optional<std::string> ends;
  YAML::Mark ends_mark;
};

class Failure : public std::exception {
 public:
  Failure(std::string where, std::string message) : text_(where + ": error: " + message) {}
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::string text_;
};

std::string flow(const YAML::Node& node) {
  YAML::Emitter e;
  e.SetMapFormat(YAML::Flow);
  e.SetSeqFormat(YAML::Flow);
  e << node;
  return e.c_str();
}

bool is_plain_scalar(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() != "!";  // "!" is yaml-cpp's tag for a quoted scalar
}

// Time as written in a test: "+1h30m" after `start`, or an ISO 8601 instant.
std::optional<vm::Time> test_time(const std::string& text, vm::Time start) {
  if (!text.empty() && text[0] == '+') {
    const auto d = vm::parse_duration(std::string_view(text).substr(1));
    if (!d) return std::nullopt;
    return start + *d;
  }
  return vm::parse_time(text);
}

// The keys an expected record may use: the trace's (vm::append_json writes them) and the
// shorthands of `matches` below (`send: email`, `end: converted` …).
constexpr std::string_view kRecordKeys[] = {
    "at",     "recipient", "scenario", "instance", "action", "trigger", "group", "channel",
    "reason", "step",      "message",  "branch",   "text",   "template", "vars", "segments",
    "cost",   "until",     "for",      "status",   "event",  "as",      "outcome",
    "send",   "skip",      "defer",    "end",      "start",  "wait"};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  void fail(const YAML::Node& n, const std::string& message) const { throw Failure(where(file_, n.Mark()), message); }

  std::string scalar(const YAML::Node& n, std::string_view what) const {
    if (!n.IsScalar()) fail(n, fmt::format("`{}` must be a single value", what));
    return n.Scalar();
  }

  void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, std::string_view what) const {
    check_keys(map, std::span<const std::string_view>(allowed.begin(), allowed.size()), what);
  }

  void check_keys(const YAML::Node& map, std::span<const std::string_view> allowed, std::string_view what) const {
    for (const auto& kv : map) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        fail(kv.first, fmt::format("unknown key `{}` in {} (expected one of: {})", key, what, list));
      }
    }
  }

  vm::Time time(const YAML::Node& n, vm::Time start, std::string_view what) const {
    const std::string text = scalar(n, what);
    const auto t = test_time(text, start);
    if (!t) fail(n, fmt::format("`{}` is not a time: write +1h30m (after the start) or 2026-03-02T10:00:00Z", text));
    return *t;
  }

  std::vector<Case> load(const YAML::Node& root) const {
    if (!root.IsMap()) fail(root, "a test file is a map with `scenario`, `profiles` and `tests`");
    check_keys(root, {"scenario", "project", "start", "profiles", "recipient", "tests"}, "a test file");
    const fs::path dir = fs::path(file_).parent_path();
    std::string scenario;
    if (root["scenario"]) scenario = (dir / scalar(root["scenario"], "scenario")).lexically_normal().string();
    vm::Time start = *vm::parse_time(kDefaultStart);
    if (root["start"]) start = time(root["start"], 0, "start");
    std::vector<std::pair<std::string, YAML::Node>> shared;
    if (root["profiles"]) shared = profiles(root["profiles"]);
    std::string recipient;
    if (root["recipient"]) recipient = scalar(root["recipient"], "recipient");
    const YAML::Node tests = root["tests"];
    if (!tests || !tests.IsSequence() || tests.size() == 0)
      fail(tests ? tests : root, "`tests` must be a list of test cases (each with `name`, `events`, `expect`)");

    std::vector<Case> cases;
    for (const YAML::Node& t : tests) {
      if (!t.IsMap()) fail(t, "a test case is a map with `name`, `events` and `expect`");
      check_keys(t, {"name", "scenario", "start", "profiles", "recipient", "events", "until", "expect", "not", "ends"},
                 "a test case");
      Case c;
      c.mark = t.Mark();
      if (!t["name"]) fail(t, "a test case needs a `name`");
      c.name = scalar(t["name"], "name");
      c.scenario = t["scenario"] ? (dir / scalar(t["scenario"], "scenario")).lexically_normal().string() : scenario;
      if (c.scenario.empty()) fail(t, "no `scenario` file: give one at the top of the file or in the test");
      c.start = t["start"] ? time(t["start"], 0, "start") : start;
      c.profiles = shared;
      if (t["profiles"]) {
        for (auto& [id, node] : profiles(t["profiles"])) {
          auto same = std::find_if(c.profiles.begin(), c.profiles.end(), [&](const auto& p) { return p.first == id; });
          // reset(), not =: assigning a YAML::Node writes through to the node it refers to.
          if (same != c.profiles.end())
            same->second.reset(node);
          else
            c.profiles.emplace_back(id, node);
        }
      }
      c.recipient = t["recipient"] ? scalar(t["recipient"], "recipient") : recipient;
      if (c.recipient.empty() && c.profiles.size() == 1) c.recipient = c.profiles.front().first;
      c.inputs.reset(t["events"]);
      if (c.inputs && !c.inputs.IsSequence()) fail(c.inputs, "`events` must be a list");
      if (t["until"]) c.until = t["until"];
      c.expect = expectations(t["expect"], "expect");
      c.absent = expectations(t["not"], "not");
      if (t["ends"]) {
        c.ends = scalar(t["ends"], "ends");
        c.ends_mark = t["ends"].Mark();
      }
      if (c.expect.empty() && c.absent.empty() && !c.ends)
        fail(t, "a test case needs something to check: `expect`, `not` or `ends`");
      cases.push_back(std::move(c));
    }
    return cases;
  }

 private:
  std::vector<std::pair<std::string, YAML::Node>> profiles(const YAML::Node& n) const {
    if (!n.IsMap()) fail(n, "`profiles` is a map from recipient id to profile fields");
    std::vector<std::pair<std::string, YAML::Node>> out;
    for (const auto& kv : n) {
      const std::string id = scalar(kv.first, "a recipient id");
      if (!kv.second.IsMap() && !kv.second.IsNull()) fail(kv.second, fmt::format("the profile of `{}` must be a map of fields", id));
      out.emplace_back(id, kv.second);
    }
    return out;
  }

  std::vector<Expectation> expectations(const YAML::Node& n, std::string_view key) const {
    std::vector<Expectation> out;
    if (!n) return out;
    if (!n.IsSequence()) fail(n, fmt::format("`{}` must be a list of trace records", key));
    for (const YAML::Node& e : n) {
      if (!e.IsMap() || e.size() == 0)
        fail(e, "an expected record is a map of trace keys, e.g. { at: +1h, send: email, template: cart_1 }");
      // A misspelt key (`chanel: sms`) would otherwise match no record: an `expect` would fail
      // with no hint why, and a `not` would pass whatever the scenario does.
      check_keys(e, kRecordKeys, "an expected record");
      out.push_back(Expectation{e, e.Mark().line + 1, flow(e)});
    }
    return out;
  }

  std::string file_;
};

// ---- YAML values → JSON, guided by the schema -------------------------------------------

class Converter {
 public:
  Converter(const Loader& loader) : loader_(loader) {}

  json::value convert(const YAML::Node& n, const types::Type* type, const std::string& name) const {
    if (!n || n.IsNull()) return nullptr;
    if (n.IsSequence()) {
      if (type && type->kind != types::Kind::List)
        loader_.fail(n, fmt::format("`{}` must be {}, not a list", name, types::to_string(*type)));
      json::array a;
      for (const YAML::Node& e : n) a.push_back(convert(e, type ? type->element.get() : nullptr, name));
      return a;
    }
    if (n.IsMap()) {
      if (type && type->kind != types::Kind::Record)
        loader_.fail(n, fmt::format("`{}` must be {}, not a map", name, types::to_string(*type)));
      json::object o;
      for (const auto& kv : n) {
        const std::string key = loader_.scalar(kv.first, "a field name");
        o[key] = convert(kv.second, type ? type->field(key) : nullptr, key);
      }
      return o;
    }
    const std::string& s = n.Scalar();
    if (!type) return untyped(n);
    switch (type->kind) {
      case types::Kind::Bool:
        if (s == "true") return true;
        if (s == "false") return false;
        loader_.fail(n, fmt::format("`{}` must be true or false, got `{}`", name, s));
        break;
      case types::Kind::Int: {
        std::int64_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size())
          loader_.fail(n, fmt::format("`{}` must be a whole number, got `{}`", name, s));
        return v;
      }
      case types::Kind::Decimal: {
        boost::system::error_code ec;
        json::value v = json::parse(s, ec);
        if (ec || !v.is_number()) loader_.fail(n, fmt::format("`{}` must be a number, got `{}`", name, s));
        return v;
      }
      case types::Kind::List:
      case types::Kind::Record:
        loader_.fail(n, fmt::format("`{}` must be {}, got `{}`", name, types::to_string(*type), s));
        break;
      default:
        return json::string(s);  // strings, times, durations, clocks: the decoder reads the text
    }
    return nullptr;
  }

 private:
  json::value untyped(const YAML::Node& n) const {
    const std::string& s = n.Scalar();
    if (!is_plain_scalar(n)) return json::string(s);
    if (s == "true") return true;
    if (s == "false") return false;
    if (s == "~" || s == "null") return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(s, ec);
    if (!ec && v.is_number()) return v;
    return json::string(s);
  }

  const Loader& loader_;
};

// ---- matching -----------------------------------------------------------------------------

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

bool same_value(const YAML::Node& want, const json::value& got, bool is_time, vm::Time start);

bool same_scalar(const YAML::Node& want, const json::value& got, bool is_time, vm::Time start) {
  const std::string& w = want.Scalar();
  if (is_time && got.is_string()) {
    const auto a = test_time(w, start);
    const auto b = vm::parse_time(std::string_view(got.get_string().data(), got.get_string().size()));
    return a && b && *a == *b;
  }
  if (got.is_string()) return w == std::string_view(got.get_string());
  if (got.is_bool()) return w == (got.get_bool() ? "true" : "false");
  if (got.is_null()) return w == "null" || w == "~" || w.empty();
  if (got.is_number()) {
    boost::system::error_code ec;
    const json::value v = json::parse(w, ec);
    if (ec || !v.is_number()) return false;
    const double a = v.to_number<double>();
    const double b = got.to_number<double>();
    return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
  }
  return false;
}

bool same_value(const YAML::Node& want, const json::value& got, bool is_time, vm::Time start) {
  if (want.IsNull()) return got.is_null();
  if (want.IsScalar()) return same_scalar(want, got, is_time, start);
  if (want.IsSequence()) {
    if (!got.is_array() || got.get_array().size() != want.size()) return false;
    std::size_t i = 0;
    for (const YAML::Node& w : want) {
      if (!same_value(w, got.get_array()[i++], false, start)) return false;
    }
    return true;
  }
  if (want.IsMap()) {
    if (!got.is_object()) return false;
    for (const auto& kv : want) {
      const json::value* g = got.get_object().if_contains(kv.first.Scalar());
      if (!g || !same_value(kv.second, *g, false, start)) return false;
    }
    return true;
  }
  return false;
}

// The shorthands: `send: email` is `action: send, channel: email`; `end: converted` is
// `action: end, outcome: converted`; `start: control` is `action: start, group: control`.
struct Shorthand {
  std::string_view key, action, field;
};
constexpr Shorthand kShorthands[] = {
    {"send", "send", "channel"},   {"skip", "skip", "channel"},   {"defer", "defer", "channel"},
    {"end", "end", "outcome"},     {"start", "start", "group"},   {"wait", "wait", "for"},
};

bool matches(const Expectation& e, const json::object& record, vm::Time start) {
  for (const auto& kv : e.node) {
    const std::string key = kv.first.Scalar();
    const Shorthand* sh = nullptr;
    for (const Shorthand& s : kShorthands) {
      if (s.key == key && !record.contains(key)) sh = &s;
    }
    if (sh) {
      const json::value* action = record.if_contains("action");
      if (!action || !action->is_string() || action->get_string() != sh->action) return false;
      // `end: any` / `send: any`: only the action.
      if (kv.second.IsScalar() && kv.second.Scalar() == "any") continue;
      const json::value* field = record.if_contains(sh->field);
      if (!field || !same_value(kv.second, *field, false, start)) return false;
      continue;
    }
    const json::value* got = record.if_contains(key);
    if (!got) return false;
    if (!same_value(kv.second, *got, key == "at" || key == "until", start)) return false;
  }
  return true;
}

// ---- running one case -----------------------------------------------------------------------

struct Outcome {
  bool passed = false;
  std::string details;  // shown under FAIL
};

struct Compiled {
  int status = kExitOk;
  session::Programs programs;
};

class Runner {
 public:
  Runner(const TestOptions& options) : options_(options) {}

  // Compiles each scenario file once.
  const Compiled& compiled(const std::string& scenario) {
    auto it = cache_.find(scenario);
    if (it != cache_.end()) return it->second;
    Compiled c;
    c.status = session::load_programs("test", {scenario}, options_.project, options_.color, c.programs);
    return cache_.emplace(scenario, std::move(c)).first->second;
  }

  Outcome run(const std::string& file, const Loader& loader, const Case& c) {
    Outcome out;
    const Compiled& prog = compiled(c.scenario);
    if (prog.status != kExitOk) {
      out.details = fmt::format("{}: error: {} does not compile (see above)", where(file, c.mark), c.scenario);
      return out;
    }
    std::unique_ptr<vm::Engine> engine = session::make_engine("test", prog.programs);
    if (!engine) {
      out.details = "the engine refused the program (see above)";
      return out;
    }
    std::vector<std::string> lines;
    std::vector<json::object> records;
    std::string buffer;
    const std::string currency = prog.programs.project.currency;
    engine->set_sink([&](const vm::TraceRecord& r) {
      buffer.clear();
      vm::append_json(r, currency, buffer);
      if (!buffer.empty() && buffer.back() == '\n') buffer.pop_back();
      lines.push_back(buffer);
      boost::system::error_code ec;
      json::value v = json::parse(buffer, ec);
      records.push_back(!ec && v.is_object() ? std::move(v.get_object()) : json::object());
    });

    const project::Project& project = prog.programs.project;
    const Converter convert(loader);
    session::InputDecoder decoder(*engine);
    for (const auto& [id, node] : c.profiles) {
      json::value v = convert.convert(node, &project.profile, id);
      if (v.is_null()) v = json::object();
      v.as_object()["id"] = id;
      vm::Record record;
      std::string ignored;
      if (auto e = vm::decode(engine->profile_shape(), v, record)) {
        loader.fail(node, fmt::format("profile `{}`: {}{}", id, e->pointer.empty() ? "" : e->pointer + ": ", e->message));
      }
      engine->upsert_profile(id, std::move(record), c.start);
    }
    // The clock starts at the case's `start`, not at its first input: ticks of `trigger
    // every` count from there, so a case can show the first morning's tick by an input after it.
    if (auto fail = engine->advance(c.start)) loader.fail(c.inputs ? c.inputs : YAML::Node(), fail->message);

    vm::Time last = c.start;
    if (c.inputs) {
      for (const YAML::Node& item : c.inputs) {
        if (!item.IsMap())
          loader.fail(item, "an event is a map: { at: +1h, event: NAME, data: {…} }, { at: +2h, opened: email } or { broadcast: NAME }");
        loader.check_keys(item,
                          {"at", "recipient", "event", "data", "status", "channel", "message", "delivered", "opened",
                           "clicked", "failed", "broadcast"},
                          "an event");
        json::object line;
        const vm::Time at = item["at"] ? loader.time(item["at"], c.start, "at") : last;
        if (at < last) loader.fail(item["at"], fmt::format("time goes backwards: {} is before the previous event's {}",
                                                           vm::format_time_utc(at), vm::format_time_utc(last)));
        if (item["broadcast"]) {
          // `{ at: +0s, broadcast: vip_sale }`: what `cascade run --broadcast vip_sale@T` does,
          // for every profile of the case; nothing else may be on the line.
          for (const char* other : {"recipient", "event", "data", "status", "channel", "message", "delivered", "opened",
                                    "clicked", "failed"}) {
            if (item[other]) loader.fail(item[other], fmt::format("`{}` does not go with `broadcast`", other));
          }
          const std::string name = loader.scalar(item["broadcast"], "broadcast");
          std::optional<vm::EngineError> fail = engine->advance(at);
          if (!fail) fail = engine->broadcast(name, at);
          if (fail) loader.fail(item["broadcast"], fail->message);
          last = at;
          continue;
        }
        line["at"] = vm::format_time_utc(at);
        const std::string recipient = item["recipient"] ? loader.scalar(item["recipient"], "recipient") : c.recipient;
        if (recipient.empty()) loader.fail(item, "which recipient? add `recipient: ID` (there is more than one profile)");
        line["recipient"] = recipient;
        if (item["event"]) {
          const std::string name = loader.scalar(item["event"], "event");
          line["event"] = name;
          const project::EventSchema* schema = project.event(name);
          if (!schema) loader.fail(item["event"], fmt::format("unknown event `{}`", name));
          line["data"] = item["data"] ? convert.convert(item["data"], &schema->fields, "data") : json::value(json::object());
        } else {
          std::string status;
          std::optional<YAML::Node> channel;  // optional: a missing key's node is not a value
          if (item["channel"]) channel.emplace(item["channel"]);
          for (const char* word : {"delivered", "opened", "clicked", "failed"}) {
            if (item[word]) {
              if (!status.empty()) loader.fail(item[word], "one status per line");
              status = word;
              channel.emplace(item[word]);
            }
          }
          if (item["status"]) {
            if (!status.empty()) loader.fail(item["status"], "one status per line");
            status = loader.scalar(item["status"], "status");
          }
          if (status.empty()) loader.fail(item, "an event needs `event: NAME`, or a status such as `opened: email`");
          line["status"] = status;
          if (channel) line["channel"] = loader.scalar(*channel, "channel");
          if (item["message"]) line["message"] = loader.scalar(item["message"], "message");
        }
        session::Input input;
        if (auto e = decoder.input(json::value(std::move(line)), input)) loader.fail(item, e->message);
        std::optional<vm::EngineError> fail = engine->advance(input.at);  // timers due first
        if (!fail)
          fail = input.kind == session::Input::Kind::Event
                ? engine->event(input.at, input.recipient, input.event_index, std::move(input.payload))
                : engine->status(input.at, input.recipient, input.message, input.channel, input.status, input.reason);
        if (fail) loader.fail(item, fail->message);
        last = at;
      }
    }
    std::optional<vm::Time> until;
    if (c.until) until = loader.time(*c.until, c.start, "until");
    engine->finish(until);

    // Ordered, partial: each expectation matches a later record than the one before.
    std::string report;
    bool ok = true;
    std::size_t from = 0;
    std::vector<std::string> marks;
    for (const Expectation& e : c.expect) {
      std::size_t i = from;
      while (i < records.size() && !matches(e, records[i], c.start)) ++i;
      if (i < records.size()) {
        marks.push_back(fmt::format("    ok     {}  (line {}) = trace line {}", e.shown, e.line, i + 1));
        from = i + 1;
      } else {
        ok = false;
        std::size_t anywhere = records.size();
        for (std::size_t j = 0; j < records.size(); ++j) {
          if (matches(e, records[j], c.start)) {
            anywhere = j;
            break;
          }
        }
        marks.push_back(anywhere < records.size()
                            ? fmt::format("    MISSING {}  (line {}): only earlier, at trace line {}", e.shown, e.line,
                                          anywhere + 1)
                            : fmt::format("    MISSING {}  (line {})", e.shown, e.line));
      }
    }
    for (const Expectation& e : c.absent) {
      for (std::size_t j = 0; j < records.size(); ++j) {
        if (matches(e, records[j], c.start)) {
          ok = false;
          marks.push_back(fmt::format("    UNWANTED {}  (line {}) = trace line {}", e.shown, e.line, j + 1));
          break;
        }
      }
    }
    if (c.ends) {
      std::size_t ends = 0;
      std::vector<std::string> wrong;
      for (std::size_t j = 0; j < records.size(); ++j) {
        const json::value* action = records[j].if_contains("action");
        if (!action || !action->is_string() || action->get_string() != "end") continue;
        ++ends;
        const json::value* outcome = records[j].if_contains("outcome");
        if (!outcome || !outcome->is_string() || outcome->get_string() != *c.ends)
          wrong.push_back(fmt::format("trace line {} ends `{}`", j + 1, outcome ? scalar_text(*outcome) : "?"));
      }
      if (ends == 0 || !wrong.empty()) {
        ok = false;
        std::string why = ends == 0 ? "no instance ended" : wrong.front();
        marks.push_back(fmt::format("    WRONG END: expected every instance to end `{}`, but {}", *c.ends, why));
      }
    }
    out.passed = ok;
    if (!ok) {
      report += "  expected (in this order):\n";
      for (const std::string& m : marks) report += m + "\n";
      report += "  got:\n";
      for (std::size_t j = 0; j < lines.size(); ++j) report += fmt::format("    {:>3}  {}\n", j + 1, lines[j]);
      if (lines.empty()) report += "    (an empty trace)\n";
      out.details = report;
    }
    return out;
  }

 private:
  const TestOptions& options_;
  std::map<std::string, Compiled> cache_;
};

// ---- JUnit --------------------------------------------------------------------------------

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 allows no control characters but tab, newline and carriage return.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
          out += '?';
        else
          out += ch;
    }
  }
  return out;
}

struct CaseResult {
  std::string suite;  // the test file
  std::string name;
  bool passed = false;
  std::string details;
};

std::string junit(const std::vector<CaseResult>& results) {
  std::map<std::string, std::vector<const CaseResult*>> suites;
  std::vector<std::string> order;
  for (const CaseResult& r : results) {
    if (!suites.count(r.suite)) order.push_back(r.suite);
    suites[r.suite].push_back(&r);
  }
  std::size_t failures = 0;
  for (const CaseResult& r : results) failures += r.passed ? 0 : 1;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"cascade test\" tests=\"{}\" failures=\"{}\">\n", results.size(), failures);
  for (const std::string& suite : order) {
    const auto& cases = suites[suite];
    std::size_t f = 0;
    for (const CaseResult* r : cases) f += r->passed ? 0 : 1;
    x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", xml_escape(suite), cases.size(), f);
    for (const CaseResult* r : cases) {
      x += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(suite), xml_escape(r->name));
      if (r->passed) {
        x += "/>\n";
      } else {
        x += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                         xml_escape(r->name + " failed"), xml_escape(r->details));
      }
    }
    x += "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  return x;
}

// ---- the command --------------------------------------------------------------------------

bool is_test_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.size() > 10 && name.compare(name.size() - 10, 10, ".test.yaml") == 0;
}

std::string suite_name(const std::string& file) {
  std::string name = fs::path(file).filename().string();
  if (is_test_file(name)) name.resize(name.size() - 10);
  return name;
}

int run_test(const TestOptions& options) {
  std::vector<std::string> paths = options.paths;
  if (paths.empty()) paths.push_back(".");
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
      if (ec) return usage_error("test", "cannot read " + p + ": " + ec.message());
      for (; it != end; it.increment(ec)) {
        if (ec) break;
        const fs::path& q = it->path();
        const std::string name = q.filename().string();
        if (it->is_directory(ec) && !name.empty() && name[0] == '.') {
          it.disable_recursion_pending();  // .git and friends
          continue;
        }
        if (it->is_regular_file(ec) && is_test_file(q)) found.push_back(q.lexically_normal().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      write_err(fmt::format("cascade test: error: cannot read {}: no such file or folder\n", p));
      return kExitUsage;
    }
  }
  if (files.empty()) {
    write_err("cascade test: no *.test.yaml files found\n");
    return kExitOk;
  }

  Runner runner(options);
  std::vector<CaseResult> results;
  std::size_t passed = 0, failed = 0, broken_files = 0;
  for (const std::string& file : files) {
    const std::string suite = suite_name(file);
    std::string text, error;
    if (!source::read_file(file, text, error)) {
      write_err(fmt::format("cascade test: error: cannot read {}: {}\n", file, error));
      return kExitUsage;
    }
    const Loader loader(file);
    std::vector<Case> cases;
    try {
      cases = loader.load(YAML::Load(text));
    } catch (const Failure& f) {
      write_out(fmt::format("FAIL {}\n  {}\n", file, f.what()));
      results.push_back({file, suite, false, f.what()});
      ++broken_files;
      continue;
    } catch (const YAML::Exception& e) {
      const std::string msg = fmt::format("{}: error: {}", where(file, e.mark), e.msg);
      write_out(fmt::format("FAIL {}\n  {}\n", file, msg));
      results.push_back({file, suite, false, msg});
      ++broken_files;
      continue;
    }
    for (const Case& c : cases) {
      Outcome o;
      try {
        o = runner.run(file, loader, c);
      } catch (const Failure& f) {
        o.passed = false;
        o.details = std::string("  ") + f.what() + "\n";
      } catch (const YAML::Exception& e) {
        o.passed = false;
        o.details = fmt::format("  {}: error: {}\n", where(file, e.mark), e.msg);
      }
      const std::string label = fmt::format("{}: {}", suite, c.name);
      if (o.passed) {
        ++passed;
        write_out(fmt::format("ok   {}\n", label));
      } else {
        ++failed;
        write_out(fmt::format("FAIL {}  ({}:{})\n{}", label, file, c.mark.line + 1, o.details));
      }
      results.push_back({file, c.name, o.passed, o.details});
    }
  }
  std::string summary = fmt::format("{} passed, {} failed", passed, failed);
  if (broken_files > 0) summary += fmt::format(", {} test file{} with errors", broken_files, broken_files == 1 ? "" : "s");
  write_out(summary + "\n");
  if (!options.junit.empty()) {
    std::ofstream out(options.junit, std::ios::binary | std::ios::trunc);
    out << junit(results);
    if (!out) {
      write_err(fmt::format("cascade test: error: cannot write {}\n", options.junit));
      return kExitUsage;
    }
  }
  return failed > 0 || broken_files > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void add_test(CLI::App& app, Run& selected) {
  auto options = std::make_shared<TestOptions>();
  CLI::App* cmd = app.add_subcommand("test", "Run *.test.yaml scenario tests");
  cmd->footer(std::string("Finds *.test.yaml files under the paths (default: the current folder), runs every\n"
                          "test case on a virtual clock and checks the trace against its expectations.\n"
                          "The file format is described in docs/testing.md.\n") +
              std::string(exit_code_help()));
  cmd->add_option("--junit", options->junit, "Also write the results as JUnit XML to this file")->type_name("FILE");
  cmd->add_option("--project", options->project, "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Test files or folders")->type_name("PATHS");
  cmd->callback([options, &selected] { selected = [options] { return run_test(*options); }; });
}

}  // namespace cascade::cli
