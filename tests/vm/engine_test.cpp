// The engine against the language's semantics (LANGUAGE.md §5 and §8), one construct at a time.
//
// Each test writes a tiny project (cascade.yaml + one or more scenario files) to a temp
// folder, checks and lowers it with the compiler exactly as `cascade run` does, loads the
// modules into a fresh vm::Engine, feeds profiles, events, statuses and broadcasts at given
// instants, and asserts on the JSON-lines trace. The trace is the contract the CLI, the
// report and the golden tests rely on, so asserting on it (rather than on engine internals)
// keeps these tests valid across engine rewrites.
#define BOOST_TEST_MODULE vm_engine
#include "cascade/vm/engine.hpp"
#include "runtime_config.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/lower.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/compiler/render.hpp"
#include "cascade/vm/machine.hpp"
#include "cascade/vm/record.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace cascade;

namespace {

vm::Time T(std::string_view iso) {
  const std::optional<vm::Time> t = vm::parse_time(iso);
  BOOST_REQUIRE_MESSAGE(t, "bad time in test: " << iso);
  return *t;
}
constexpr vm::Time kMin = 60, kHour = 3600, kDay = 86400;

// The project every test starts from: UTC, no quiet hours, no caps (tests add what they need
// through `settings`, which is put at the top of the file).
std::string project_yaml(std::string_view settings) {
  std::string y(settings);
  if (y.find("timezone:") == std::string::npos) y += "timezone: UTC\n";
  y += R"(currency: "₽"
goal_window: 2d
profile:
  email: string?
  phone: string?
  push_token: string?
  timezone: string?
  first_name: string?
  delay: duration?
  consent:
    email: bool
    sms: bool
    push: bool
events:
  signup: { plan: string }
  order:  { total: decimal, ref: string? }
  quit:   {}
  appt:   { at: time }
channels:
  push:  { kind: push,  address: push_token, consent: consent.push,  provider: fcm,  cost: 0 }
  email: { kind: email, address: email,      consent: consent.email, provider: esp,  cost: 0.2 }
  sms:   { kind: sms,   address: phone,      consent: consent.sms,   provider: smsc, cost: 2.0 }
  hook:  { kind: webhook }
providers:
  fcm:  { type: file, path: "push.jsonl" }
  esp:  { type: file, path: "email.jsonl" }
  smsc: { type: file, path: "sms.jsonl" }
)";
  return y;
}


// Compiles a project once; several engines can be made from it (stability across engines).
struct Compiled {
  std::optional<project::Project> project;
  std::vector<bytecode::Module> modules;
};

Compiled compile(std::string_view settings, const std::vector<std::string>& scenario_files) {
  static std::atomic<int> counter{0};
  const fs::path dir = fs::temp_directory_path() / ("cascade-engine-test-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(++counter));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "cascade.yaml") << project_yaml(settings);
    for (std::size_t i = 0; i < scenario_files.size(); ++i)
      std::ofstream(dir / ("s" + std::to_string(i) + ".cascade")) << scenario_files[i];
  }
  driver::CheckRequest request;
  request.paths = {dir.string()};
  driver::CheckOutcome outcome = driver::check(request);
  std::error_code ec;
  fs::remove_all(dir, ec);  // before any failure below, so a failing test leaves nothing behind
  Compiled out;
  if (outcome.diagnostics.has_errors() || !outcome.project) {
    outcome.diagnostics.sort();
    BOOST_FAIL("the test's scenario does not check:\n"
               << diag::render_text(outcome.diagnostics, outcome.sources));
  }
  for (const ast::File& file : outcome.checked.files) {
    for (const ast::Decl& decl : file.decls) {
      const auto* sc = std::get_if<ast::Scenario>(&decl.node);
      if (!sc) continue;
      lower::LowerResult r =
          lower::lower_scenario(outcome.checked, *outcome.project, outcome.sources, *sc, file.file);
      BOOST_REQUIRE_MESSAGE(r.module, "lowering failed: " << r.error);
      out.modules.push_back(std::move(*r.module));
    }
  }
  out.project = std::move(*outcome.project);
  return out;
}

// A full profile: every channel reachable and consented. `patch` overrides fields
// (a JSON object text; nested `consent` is merged).
std::string person(std::string_view patch = "{}") {
  json::object p = json::parse(R"({"email":"a@example.com","phone":"+79990000000","push_token":"tok",
      "first_name":"Ann","consent":{"email":true,"sms":true,"push":true}})")
                       .as_object();
  const json::object extra = json::parse(patch).as_object();
  for (const auto& kv : extra) {
    if (kv.key() == "consent") {
      for (const auto& c : kv.value().as_object()) p["consent"].as_object()[c.key()] = c.value();
    } else {
      p[kv.key()] = kv.value();
    }
  }
  return json::serialize(p);
}

// One engine and its trace.
class Sim {
 public:
  explicit Sim(const Compiled& c)
      : config_(host::runtime_config(*c.project)), modules_(c.modules), engine_(fresh_engine()) {
    currency_ = c.project->currency;
  }
  Sim(std::string_view settings, const std::vector<std::string>& scenarios)
      : Sim(compile(settings, scenarios)) {}
  Sim(std::string_view settings, const std::string& scenario)
      : Sim(compile(settings, std::vector<std::string>{scenario})) {}

  vm::Engine& engine() { return *engine_; }

  // A new engine with the same config and modules, its trace going to this Sim.
  std::unique_ptr<vm::Engine> fresh_engine() {
    auto engine = std::make_unique<vm::Engine>(config_);
    engine->set_sink([this](const vm::TraceRecord& r) {
      std::string line;
      vm::append_json(r, currency_, line);
      text += line;
      records.push_back(json::parse(line).as_object());
      lines.push_back(std::move(line));
    });
    for (const bytecode::Module& m : modules_) {
      const auto error = engine->load(m);
      BOOST_REQUIRE_MESSAGE(!error, "load: " << (error ? error->message : ""));
    }
    return engine;
  }
  // What the daemon does on a restart: the engine's snapshot restored into a new engine. With
  // `kept`, the new engine keeps the bytes and borrows the profiles from them, as the daemon's
  // does with its mapped snapshot file.
  void restart(bool kept = false) {
    auto bytes = std::make_shared<const std::string>(engine_->save());
    auto next = fresh_engine();
    const auto error = kept ? next->restore(*bytes, bytes) : next->restore(*bytes);
    BOOST_REQUIRE_MESSAGE(!error, "restore: " << (error ? error->message : ""));
    engine_ = std::move(next);
  }

  void profile(std::string_view id, const std::string& json_text = person(),
               vm::Time at = T("2026-03-02T00:00:00Z")) {
    vm::Record rec;
    const auto error = vm::decode(engine_->profile_shape(), json::parse(json_text), rec);
    BOOST_REQUIRE_MESSAGE(!error, "profile: " << (error ? error->pointer + ": " + error->message : ""));
    engine_->upsert_profile(id, std::move(rec), at);
  }
  void event(vm::Time at, std::string_view rid, std::string_view name, std::string_view data = "{}") {
    int index = -1;
    const vm::Shape* shape = engine_->event_shape(name, &index);
    BOOST_REQUIRE_MESSAGE(shape, "no event " << name);
    vm::Record rec;
    const auto derror = vm::decode(*shape, json::parse(data), rec);
    BOOST_REQUIRE_MESSAGE(!derror, "event data: " << (derror ? derror->message : ""));
    const auto error = engine_->event(at, rid, index, std::move(rec));
    BOOST_REQUIRE_MESSAGE(!error, "event: " << (error ? error->message : ""));
  }
  void status(vm::Time at, std::string_view rid, std::string_view message, std::string_view word) {
    const auto s = vm::parse_status(word);
    BOOST_REQUIRE(s);
    const auto error = engine_->status(at, rid, message, "", *s);
    BOOST_REQUIRE_MESSAGE(!error, "status: " << (error ? error->message : ""));
  }
  void status_on(vm::Time at, std::string_view rid, std::string_view channel, std::string_view word) {
    const auto s = vm::parse_status(word);
    BOOST_REQUIRE(s);
    const auto error = engine_->status(at, rid, "", channel, *s);
    BOOST_REQUIRE_MESSAGE(!error, "status: " << (error ? error->message : ""));
  }
  void broadcast(std::string_view scenario, vm::Time at) {
    const auto error = engine_->broadcast(scenario, at);
    BOOST_REQUIRE_MESSAGE(!error, "broadcast: " << (error ? error->message : ""));
  }
  void advance(vm::Time at) {
    const auto error = engine_->advance(at);
    BOOST_REQUIRE_MESSAGE(!error, "advance: " << (error ? error->message : ""));
  }
  std::size_t finish(std::optional<vm::Time> until = std::nullopt) { return engine_->finish(until); }

  // Records of one action (and recipient, when given), in trace order.
  std::vector<json::object> of(std::string_view action, std::string_view rid = {}) const {
    std::vector<json::object> out;
    for (const json::object& r : records) {
      if (r.at("action").as_string() != action) continue;
      if (!rid.empty() && r.at("recipient").as_string() != rid) continue;
      out.push_back(r);
    }
    return out;
  }
  // The only record of an action for a recipient (fails the test otherwise).
  json::object one(std::string_view action, std::string_view rid) const {
    const auto v = of(action, rid);
    BOOST_REQUIRE_MESSAGE(v.size() == 1, "expected one `" << action << "` for " << rid << ", got " << v.size()
                                                          << "; trace:\n"
                                                          << text);
    return v.front();
  }

  std::string text;
  std::vector<json::object> records;
  std::vector<std::string> lines;  // records[i] as written (numbers exactly as the engine wrote them)

 private:
  vm::Config config_;
  std::vector<bytecode::Module> modules_;
  std::unique_ptr<vm::Engine> engine_;
  std::string currency_;
};

// A record's field as text ("" when absent; numbers printed as JSON).
std::string f(const json::object& r, std::string_view key) {
  const json::value* v = r.if_contains(key);
  if (!v) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}
std::string at(const json::object& r) {
  return f(r, "at");
}

// Recipients whose stable control hash lands inside / outside `percent`.
std::vector<std::string> ids_by_control(std::string_view scenario, std::uint32_t percent, bool inside,
                                        std::size_t n) {
  std::vector<std::string> out;
  for (int i = 0; out.size() < n && i < 10000; ++i) {
    const std::string id = "u" + std::to_string(i);
    const bool in = vm::Machine::bucket(id, scenario, "control") < percent * 100;
    if (in == inside) out.push_back(id);
  }
  return out;
}

const vm::Time t0 = 1'772'445'600;  // 2026-03-02T10:00:00Z, a Monday

}  // namespace

BOOST_AUTO_TEST_CASE(fixture_time_anchor) {
  BOOST_TEST(t0 == T("2026-03-02T10:00:00Z"));
}

// ---- entry ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(trigger_where_filters_events) {
  Sim s("", R"(scenario w { trigger signup where event.plan == "pro"
    send push "hi" })");
  s.profile("u1");
  s.profile("u2");
  s.event(t0, "u1", "signup", R"({"plan":"pro"})");
  s.event(t0, "u2", "signup", R"({"plan":"free"})");
  s.finish();
  BOOST_TEST(s.of("start", "u1").size() == 1u);
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(s.of("start", "u2").empty());
  BOOST_TEST(f(s.one("skip", "u2"), "reason") == "where");
  BOOST_TEST(s.of("send", "u2").empty());
}

BOOST_AUTO_TEST_CASE(audience_filters_recipients) {
  Sim s("", R"(scenario a { trigger signup
    audience customer.consent.email and (customer.first_name ?? "") != "Bob"
    send push "hi" })");
  s.profile("in");
  s.profile("out", person(R"({"first_name":"Bob"})"));
  s.event(t0, "in", "signup", R"({"plan":"x"})");
  s.event(t0, "out", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(s.of("send", "in").size() == 1u);
  BOOST_TEST(f(s.one("skip", "out"), "reason") == "audience");
  BOOST_TEST(s.of("start", "out").empty());
}

BOOST_AUTO_TEST_CASE(reentry_never) {
  Sim s("", R"(scenario r { trigger signup
    reentry never
    send push "hi" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 10 * kDay, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(s.of("start", "u1").size() == 1u);
  BOOST_TEST(f(s.one("skip", "u1"), "reason") == "reentry");
}

BOOST_AUTO_TEST_CASE(reentry_parallel_runs_instances_side_by_side) {
  Sim s("", R"(scenario r { trigger signup
    reentry parallel
    wait 1h
    send push "hi {trigger.plan}" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"a"})");
  s.event(t0 + 10 * kMin, "u1", "signup", R"({"plan":"b"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "text") == "hi a");
  BOOST_TEST(at(sends[0]) == "2026-03-02T11:00:00Z");
  BOOST_TEST(f(sends[1], "text") == "hi b");
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:10:00Z");
  BOOST_TEST(f(sends[0], "instance") != f(sends[1], "instance"));
}

BOOST_AUTO_TEST_CASE(reentry_after_counts_from_the_last_start) {
  Sim s("", R"(scenario r { trigger signup
    reentry after 1d
    send push "hi" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 12 * kHour, "u1", "signup", R"({"plan":"x"})");  // too soon
  s.event(t0 + 25 * kHour, "u1", "signup", R"({"plan":"x"})");  // allowed again
  s.finish();
  const auto starts = s.of("start", "u1");
  BOOST_REQUIRE(starts.size() == 2u);
  BOOST_TEST(at(starts[1]) == "2026-03-03T11:00:00Z");
  BOOST_TEST(f(s.one("skip", "u1"), "reason") == "reentry");
}

// ---- control ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(control_members_get_nothing_but_their_goal_counts) {
  const std::string src = R"(scenario c { trigger signup
    control 50%
    goal order within 2d
    send push "hi"
    wait 1h
    send email "again" })";
  const auto ctrl = ids_by_control("c", 50, true, 2);
  const auto treated = ids_by_control("c", 50, false, 1);
  BOOST_REQUIRE(ctrl.size() == 2u);
  BOOST_REQUIRE(treated.size() == 1u);
  Sim s("", src);
  for (const auto& id : {ctrl[0], ctrl[1], treated[0]}) {
    s.profile(id);
    s.event(t0, id, "signup", R"({"plan":"x"})");
  }
  s.event(t0 + kDay, ctrl[0], "order", R"({"total":10})");
  s.finish();
  for (const auto& id : ctrl) {
    BOOST_TEST(f(s.one("start", id), "group") == "control");
    BOOST_TEST(s.of("send", id).empty());
  }
  const auto conv = s.one("end", ctrl[0]);
  BOOST_TEST(f(conv, "outcome") == "converted");
  BOOST_TEST(at(conv) == "2026-03-03T10:00:00Z");
  const auto exp = s.one("end", ctrl[1]);
  BOOST_TEST(f(exp, "outcome") == "expired");
  BOOST_TEST(at(exp) == "2026-03-04T10:00:00Z");
  BOOST_TEST(f(s.one("start", treated[0]), "group") == "treated");
  BOOST_TEST(s.of("send", treated[0]).size() == 2u);
  const auto done = s.one("end", treated[0]);
  BOOST_TEST(f(done, "outcome") == "completed");
  BOOST_TEST(at(done) == "2026-03-04T10:00:00Z");
}

// ---- send failures -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(send_failure_reasons) {
  Sim s("", R"(scenario f { trigger signup
    send email "e"
    send hook "h" })");
  s.profile("noaddr", person(R"({"email":null})"));
  s.profile("noconsent", person(R"({"consent":{"email":false}})"));
  s.event(t0, "noaddr", "signup", R"({"plan":"x"})");
  s.event(t0, "noconsent", "signup", R"({"plan":"x"})");
  s.finish();
  for (const std::string id : {"noaddr", "noconsent"}) {
    const auto skips = s.of("skip", id);
    BOOST_REQUIRE_MESSAGE(skips.size() == 2u, s.text);
    BOOST_TEST(f(skips[0], "channel") == "email");
    BOOST_TEST(f(skips[0], "step") == "1");
    BOOST_TEST(f(skips[0], "reason") == (id == "noaddr" ? "no_address" : "no_consent"));
    BOOST_TEST(f(skips[1], "channel") == "hook");
    BOOST_TEST(f(skips[1], "reason") == "no_provider");
    BOOST_TEST(s.of("send", id).empty());
    BOOST_TEST(f(s.one("end", id), "outcome") == "completed");
  }
}

BOOST_AUTO_TEST_CASE(project_caps_span_scenarios) {
  Sim s("caps:\n  all: \"2 per 1d\"\n", std::vector<std::string>{R"(scenario a { trigger signup
    send push "a1"
    send email "a2" })",
                                                                 R"(scenario b { trigger order
    reentry parallel
    send sms "b1" })"});
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":1})");
  s.event(t0 + 25 * kHour, "u1", "order", R"({"total":1})");  // the window has moved on
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE_MESSAGE(sends.size() == 3u, s.text);
  BOOST_TEST(f(sends[2], "channel") == "sms");
  BOOST_TEST(at(sends[2]) == "2026-03-03T11:00:00Z");
  const auto skip = s.one("skip", "u1");
  BOOST_TEST(f(skip, "scenario") == "b");
  BOOST_TEST(f(skip, "channel") == "sms");
  BOOST_TEST(f(skip, "reason") == "capped");
  BOOST_TEST(at(skip) == "2026-03-02T11:00:00Z");
}

// ---- statuses ------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(opened_implies_delivered) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not delivered within 1h { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 10 * kMin, "u1", "m1", "opened");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  const auto end = s.one("end", "u1");
  BOOST_TEST(at(end) == "2026-03-02T10:10:00Z");
  BOOST_TEST(f(end, "outcome") == "completed");
}

BOOST_AUTO_TEST_CASE(clicked_implies_opened) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not opened within 1d { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 3 * kHour, "u1", "m1", "clicked");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T13:00:00Z");
}

BOOST_AUTO_TEST_CASE(late_delivered_does_not_regress_opened) {
  Sim s("", R"(scenario o { trigger signup
    send email "e" as first
    wait 1h
    if not opened(first) within 1d { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 10 * kMin, "u1", "m1", "opened");
  s.status(t0 + 20 * kMin, "u1", "m1", "delivered");
  s.finish();
  BOOST_TEST_MESSAGE(s.text);
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(failed_after_delivered_is_ignored) {
  Sim s("", R"(scenario o { trigger signup
    send email "e" as first
    wait 1h
    if not delivered(first) within 1h { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "delivered");
  s.status(t0 + 10 * kMin, "u1", "m1", "failed");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(status_by_channel_goes_to_the_latest_message) {
  Sim s("", R"(scenario o { trigger signup
    send email "e1"
    wait 1h
    send email "e2"
    if not opened within 1d { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status_on(t0 + 2 * kHour, "u1", "email", "opened");
  s.finish();
  const auto st = s.one("status", "u1");
  BOOST_TEST(f(st, "message") == "m2");
  BOOST_TEST(s.of("send", "u1").size() == 2u);
}

// ---- outcome waits -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(outcome_wait_resumes_as_soon_as_opened) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not opened within 24h { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + kMin, "u1", "m1", "delivered");
  s.status(t0 + 3 * kHour, "u1", "m1", "opened");
  s.finish();
  const auto wait = s.one("wait", "u1");
  BOOST_TEST(f(wait, "for") == "opened");
  BOOST_TEST(f(wait, "message") == "m1");
  BOOST_TEST(f(wait, "until") == "2026-03-03T10:00:00Z");
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T13:00:00Z");
  BOOST_TEST(s.of("status", "u1").size() == 2u);
}

BOOST_AUTO_TEST_CASE(outcome_wait_deadline_runs_the_block) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not opened within 24h { send push "p" } else { send sms "s" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + kMin, "u1", "m1", "delivered");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[1], "channel") == "push");
  BOOST_TEST(at(sends[1]) == "2026-03-03T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(outcome_wait_else_runs_when_opened) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not opened within 24h { send push "p" } else { send sms "s" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + kHour, "u1", "m1", "opened");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[1], "channel") == "sms");
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(outcome_wait_is_timed_from_the_deferred_send) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario o { trigger signup
    send email "e"
    if not opened within 2h { send push "p" } })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto defer = s.one("defer", "u1");
  BOOST_TEST(f(defer, "reason") == "quiet_hours");
  BOOST_TEST(f(defer, "until") == "2026-03-03T09:00:00Z");
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE_MESSAGE(sends.size() == 2u, s.text);
  BOOST_TEST(at(sends[0]) == "2026-03-03T09:00:00Z");
  BOOST_TEST(f(s.one("wait", "u1"), "until") == "2026-03-03T11:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-03T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(outcome_wait_failed_runs_the_block_at_once) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not delivered within 1h { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "failed");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:05:00Z");
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T10:05:00Z");
}

BOOST_AUTO_TEST_CASE(outcome_wait_on_a_failed_send_runs_the_block_at_once) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not opened within 1d { send push "p" } })");
  s.profile("u1", person(R"({"email":null})"));
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(f(s.one("skip", "u1"), "reason") == "no_address");
  BOOST_TEST(at(s.one("send", "u1")) == "2026-03-02T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(event_outcome_wait) {
  Sim s("", R"(scenario o { trigger signup
    send email "e"
    if not order where event.total > 100 within 1d { send push "p" } })");
  s.profile("u1");
  s.profile("u2");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0, "u2", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":500})");
  s.event(t0 + kHour, "u2", "order", R"({"total":5})");  // does not match the where
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T11:00:00Z");
  const auto u2 = s.of("send", "u2");
  BOOST_REQUIRE(u2.size() == 2u);
  BOOST_TEST(at(u2[1]) == "2026-03-03T10:00:00Z");
}

// ---- cascade until -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cascade_until_delivered_falls_through_a_skipped_step) {
  Sim s("", R"(scenario c { trigger signup
    cascade until delivered {
      push "a" within 1h
      email "b" within 1h
      sms "c"
    } })");
  s.profile("u1", person(R"({"push_token":null})"));
  s.profile("u2", person(R"({"push_token":null})"));
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0, "u2", "signup", R"({"plan":"x"})");
  s.status(t0 + 10 * kMin, "u2", "m2", "delivered");
  s.finish();
  const auto skip = s.one("skip", "u1");
  BOOST_TEST(f(skip, "channel") == "push");
  BOOST_TEST(f(skip, "reason") == "no_address");
  BOOST_TEST(at(skip) == "2026-03-02T10:00:00Z");
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "channel") == "email");
  BOOST_TEST(f(sends[0], "step") == "2");
  BOOST_TEST(at(sends[0]) == "2026-03-02T10:00:00Z");
  BOOST_TEST(f(sends[1], "channel") == "sms");
  BOOST_TEST(f(sends[1], "step") == "3");
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:00:00Z");
  // u2's email was delivered: the cascade is left, no SMS.
  const auto u2 = s.of("send", "u2");
  BOOST_REQUIRE(u2.size() == 1u);
  BOOST_TEST(f(u2[0], "message") == "m2");
  BOOST_TEST(at(s.one("end", "u2")) == "2026-03-02T10:10:00Z");
}

BOOST_AUTO_TEST_CASE(cascade_until_opened_failed_falls_through_at_once) {
  Sim s("", R"(scenario c { trigger signup
    cascade until opened {
      email "b" within 1h
      push "a" within 1h
      sms "c"
    } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "delivered");  // not enough
  s.status(t0 + 7 * kMin, "u1", "m1", "failed");     // ignored: after delivered
  s.status(t0 + 20 * kMin, "u1", "m1", "opened");    // leaves the cascade
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_TEST_REQUIRE(sends.size() == 1u);
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T10:20:00Z");
}

BOOST_AUTO_TEST_CASE(cascade_until_opened_on_failure_goes_to_the_next_step) {
  Sim s("", R"(scenario c { trigger signup
    cascade until opened {
      email "b" within 1h
      push "a" within 1h
      sms "c"
    } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "failed");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(f(sends[1], "channel") == "push");
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:05:00Z");
  BOOST_TEST(at(sends[2]) == "2026-03-02T11:05:00Z");
}

BOOST_AUTO_TEST_CASE(cascade_until_event_leaves_on_the_event) {
  Sim s("", R"(scenario c { trigger signup
    cascade until order {
      push "a" within 1h
      email "b" within 1h
      sms "c"
    } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 70 * kMin, "u1", "order", R"({"total":1})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:00:00Z");
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-02T11:10:00Z");
}

// LANGUAGE.md §5: "if the channel is unavailable skip it … on `failed` or at the deadline go to
// the next step" — for an event cascade too.
BOOST_AUTO_TEST_CASE(cascade_until_event_skip_and_failure_fall_through_at_once) {
  Sim s("", R"(scenario c { trigger signup
    cascade until order {
      push "a" within 1h
      email "b" within 1h
      sms "c"
    } })");
  s.profile("u1", person(R"({"push_token":null})"));
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "failed");
  s.finish();
  BOOST_TEST(f(s.one("skip", "u1"), "channel") == "push");
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE_MESSAGE(sends.size() == 2u, s.text);
  BOOST_TEST(f(sends[0], "channel") == "email");
  BOOST_TEST(at(sends[0]) == "2026-03-02T10:00:00Z");
  BOOST_TEST(f(sends[1], "channel") == "sms");
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:05:00Z");
}

// ---- goal, stop on, stop ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(goal_converts_attributed_to_the_last_step_sent) {
  Sim s("", R"(scenario g { trigger signup
    goal order where event.total >= 100 within 3d
    send push "a"
    wait 1h
    send email "b"
    wait 1d
    send sms "c" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 90 * kMin, "u1", "order", R"({"total":50})");  // not the goal
  s.event(t0 + 2 * kHour, "u1", "order", R"({"total":150})");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 2u);
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "converted");
  BOOST_TEST(at(end) == "2026-03-02T12:00:00Z");
  BOOST_TEST(f(end, "step") == "2");
  BOOST_TEST(f(end, "channel") == "email");
  const auto ev = s.one("event", "u1");
  BOOST_TEST(f(ev, "event") == "order");
  BOOST_TEST(f(ev, "as") == "goal");
}

BOOST_AUTO_TEST_CASE(goal_window_outlives_the_last_message) {
  Sim s("", R"(scenario g { trigger signup
    goal order within 3d
    send push "a" })");
  s.profile("late");
  s.profile("never");
  s.event(t0, "late", "signup", R"({"plan":"x"})");
  s.event(t0, "never", "signup", R"({"plan":"x"})");
  s.event(t0 + kDay, "late", "order", R"({"total":1})");
  s.finish();
  const auto late = s.one("end", "late");
  BOOST_TEST(f(late, "outcome") == "converted");
  BOOST_TEST(at(late) == "2026-03-03T10:00:00Z");
  BOOST_TEST(f(late, "step") == "1");
  BOOST_TEST(f(late, "channel") == "push");
  const auto never = s.one("end", "never");
  BOOST_TEST(f(never, "outcome") == "completed");
  BOOST_TEST(at(never) == "2026-03-05T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(goal_without_within_uses_the_project_goal_window) {
  Sim s("", R"(scenario g { trigger signup
    goal order
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(at(s.one("end", "u1")) == "2026-03-04T10:00:00Z");  // goal_window: 2d
}

BOOST_AUTO_TEST_CASE(stop_on_exits) {
  Sim s("", R"(scenario x { trigger signup
    stop on quit
    wait 1d
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "quit");
  s.finish();
  BOOST_TEST(s.of("send", "u1").empty());
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "exited");
  BOOST_TEST(at(end) == "2026-03-02T11:00:00Z");
  BOOST_TEST(f(s.one("event", "u1"), "event") == "quit");
}

BOOST_AUTO_TEST_CASE(stop_statement_stops) {
  Sim s("", R"(scenario x { trigger signup
    goal order within 3d
    send push "a"
    if trigger.plan == "pro" { stop }
    send email "b" })");
  s.profile("u1");
  s.profile("u2");
  s.event(t0, "u1", "signup", R"({"plan":"pro"})");
  s.event(t0, "u2", "signup", R"({"plan":"free"})");
  s.finish();
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "stopped");
  BOOST_TEST(at(end) == "2026-03-02T10:00:00Z");  // no goal window after `stop`
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(s.of("send", "u2").size() == 2u);
}

// ---- quiet hours, urgent, limit -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(quiet_hours_wrap_midnight_in_the_recipient_zone) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario q { trigger signup
    reentry parallel
    send push "a" })");
  s.profile("ekb", person(R"({"timezone":"Asia/Yekaterinburg"})"));  // UTC+5
  s.profile("utc");
  s.event(T("2026-03-02T18:00:00Z"), "ekb", "signup", R"({"plan":"x"})");  // 23:00 local
  s.event(T("2026-03-02T18:00:00Z"), "utc", "signup", R"({"plan":"x"})");  // 18:00 UTC: not quiet
  s.event(T("2026-03-02T21:00:00Z"), "ekb", "signup", R"({"plan":"x"})");  // 02:00 local
  s.event(T("2026-03-03T07:00:00Z"), "ekb", "signup", R"({"plan":"x"})");  // 12:00 local
  s.finish();
  const auto defers = s.of("defer", "ekb");
  BOOST_REQUIRE(defers.size() == 2u);
  for (const auto& d : defers) {
    BOOST_TEST(f(d, "reason") == "quiet_hours");
    BOOST_TEST(f(d, "until") == "2026-03-03T04:00:00Z");  // 09:00 local
  }
  const auto sends = s.of("send", "ekb");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(at(sends[0]) == "2026-03-03T04:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-03T04:00:00Z");
  BOOST_TEST(at(sends[2]) == "2026-03-03T07:00:00Z");
  BOOST_TEST(s.of("defer", "utc").empty());
  BOOST_TEST(at(s.one("send", "utc")) == "2026-03-02T18:00:00Z");
}

BOOST_AUTO_TEST_CASE(quiet_hours_default_zone_is_the_projects) {
  Sim s("timezone: Europe/Moscow\nquiet_hours: \"22:00..09:00\"\n", R"(scenario q { trigger signup
    send push "a" })");
  s.profile("msk");                                                        // no timezone: Moscow (UTC+3)
  s.profile("bad", person(R"({"timezone":"Not/AZone"})"));                 // unknown: Moscow too
  s.event(T("2026-03-02T20:00:00Z"), "msk", "signup", R"({"plan":"x"})");  // 23:00 local
  s.event(T("2026-03-02T20:00:00Z"), "bad", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(f(s.one("defer", "msk"), "until") == "2026-03-03T06:00:00Z");
  BOOST_TEST(f(s.one("defer", "bad"), "until") == "2026-03-03T06:00:00Z");
}

BOOST_AUTO_TEST_CASE(urgent_ignores_the_project_default_but_not_its_own_quiet_hours) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario u { trigger signup
    urgent
    quiet hours 23:00..08:00 for sms
    send push "a"
    send sms "b" })");
  s.profile("u1");
  s.event(T("2026-03-02T23:30:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "channel") == "push");
  BOOST_TEST(at(sends[0]) == "2026-03-02T23:30:00Z");
  const auto d = s.one("defer", "u1");
  BOOST_TEST(f(d, "channel") == "sms");
  BOOST_TEST(f(d, "until") == "2026-03-03T08:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-03T08:00:00Z");
}

BOOST_AUTO_TEST_CASE(limit_defers_the_next_send) {
  Sim s("", R"(scenario l { trigger signup
    limit 1 per 15m
    send push "a"
    send email "b"
    send sms "c" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(at(sends[0]) == "2026-03-02T10:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:15:00Z");
  BOOST_TEST(at(sends[2]) == "2026-03-02T10:30:00Z");
  const auto defers = s.of("defer", "u1");
  BOOST_REQUIRE(defers.size() == 2u);
  BOOST_TEST(f(defers[0], "reason") == "limit");
  BOOST_TEST(f(defers[0], "until") == "2026-03-02T10:15:00Z");
}

BOOST_AUTO_TEST_CASE(limit_for_one_channel_leaves_the_others_alone) {
  Sim s("", R"(scenario l { trigger signup
    limit 1 per 1h for sms
    send sms "a"
    send push "b"
    send sms "c" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:00:00Z");
  BOOST_TEST(at(sends[2]) == "2026-03-02T11:00:00Z");
}

// ---- split ---------------------------------------------------------------------------------------

namespace {
const char* kSplit = R"(scenario sp { trigger signup
    split {
      30% a { send push "A" }
      70% b { send push "B" }
    } })";
}

BOOST_AUTO_TEST_CASE(split_is_stable_across_engines) {
  const Compiled c = compile("", {kSplit});
  std::map<std::string, std::string> first, second;
  for (int round = 0; round < 2; ++round) {
    Sim s(c);
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i)
      ids.push_back("r" + std::to_string(round == 0 ? i : 199 - i));  // other order
    for (const auto& id : ids) s.profile(id);
    for (const auto& id : ids) s.event(t0, id, "signup", R"({"plan":"x"})");
    s.finish();
    auto& m = round == 0 ? first : second;
    for (const auto& r : s.of("send")) m[f(r, "recipient")] = f(r, "text");
  }
  BOOST_TEST(first.size() == 200u);
  BOOST_TEST((first == second));
}

BOOST_AUTO_TEST_CASE(split_shares_are_respected) {
  const Compiled c = compile("", {kSplit});
  Sim s(c);
  const std::string profile = person();
  for (int i = 0; i < 10000; ++i) s.profile("s" + std::to_string(i), profile);
  for (int i = 0; i < 10000; ++i) s.event(t0, "s" + std::to_string(i), "signup", R"({"plan":"x"})");
  s.finish();
  int a = 0, b = 0;
  for (const auto& r : s.of("send")) {
    const std::string text = f(r, "text");
    if (text == "A") ++a;
    if (text == "B") ++b;
  }
  BOOST_TEST(a + b == 10000);
  BOOST_TEST(a > 2800);
  BOOST_TEST(a < 3200);
}

// The trace names the split branch a send belongs to (TraceRecord::branch), so a report can
// compare branches from the trace alone. Known gap: the engine's branch_of() is still a stub
// returning "" — drop the decorator when it is filled.
BOOST_AUTO_TEST_CASE(split_sends_carry_their_branch) {
  Sim s("", kSplit);
  for (int i = 0; i < 20; ++i) s.profile("b" + std::to_string(i));
  for (int i = 0; i < 20; ++i) s.event(t0, "b" + std::to_string(i), "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send");
  BOOST_REQUIRE(sends.size() == 20u);
  int wrong = 0;
  for (const auto& r : sends) wrong += f(r, "branch") != (f(r, "text") == "A" ? "a" : "b");
  BOOST_TEST(wrong == 0, "send records without their branch; e.g. " << s.lines.at(1));
}

// ---- scheduled and manual entry ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(trigger_every_day_at_local_time) {
  Sim s("", R"(scenario t { trigger every 1d at 10:00
    reentry parallel
    send push "tick {format_time(trigger.at, "dd.MM HH:mm")}" })");
  s.profile("msk", person(R"({"timezone":"Europe/Moscow"})"), T("2026-03-02T00:00:00Z"));
  s.profile("ekb", person(R"({"timezone":"Asia/Yekaterinburg"})"), T("2026-03-02T00:00:00Z"));
  s.advance(T("2026-03-02T00:00:00Z"));  // ticks count from the first instant the clock shows
  s.finish(T("2026-03-03T12:00:00Z"));
  const auto msk = s.of("send", "msk");
  BOOST_REQUIRE_MESSAGE(msk.size() == 2u, s.text);
  BOOST_TEST(at(msk[0]) == "2026-03-02T07:00:00Z");
  BOOST_TEST(at(msk[1]) == "2026-03-03T07:00:00Z");
  BOOST_TEST(f(msk[0], "text") == "tick 02.03 10:00");
  const auto ekb = s.of("send", "ekb");
  BOOST_REQUIRE(ekb.size() == 2u);
  BOOST_TEST(at(ekb[0]) == "2026-03-02T05:00:00Z");
  BOOST_TEST(at(ekb[1]) == "2026-03-03T05:00:00Z");
  for (const auto& st : s.of("start")) BOOST_TEST(f(st, "trigger") == "tick");
}

BOOST_AUTO_TEST_CASE(trigger_manual_broadcast_reaches_the_audience_in_profile_order) {
  Sim s("", R"(scenario m { trigger manual
    audience customer.consent.email
    send email "news {format_time(trigger.at, "HH:mm")}" })");
  s.profile("z1");
  s.profile("a2", person(R"({"consent":{"email":false}})"));
  s.profile("b3");
  s.broadcast("m", t0);
  s.finish();
  const auto starts = s.of("start");
  BOOST_REQUIRE(starts.size() == 2u);
  BOOST_TEST(f(starts[0], "recipient") == "z1");
  BOOST_TEST(f(starts[1], "recipient") == "b3");
  BOOST_TEST(f(starts[0], "trigger") == "broadcast");
  BOOST_TEST(f(s.one("send", "b3"), "text") == "news 10:00");
  BOOST_TEST(s.of("send", "a2").empty());
}

// ---- time and durations ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(durations_are_expressions) {
  Sim s("", R"(scenario d { trigger signup
    wait max(1h, 3 * 30m)
    send push "a"
    wait 1h - 2h
    send push "b" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[0]) == "2026-03-02T11:30:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:30:00Z");
}

BOOST_AUTO_TEST_CASE(wait_until_a_past_time_continues_at_once) {
  Sim s("", R"(scenario d { trigger appt
    wait until trigger.at - 1d
    send push "a" })");
  s.profile("soon");
  s.profile("later");
  s.event(t0, "soon", "appt", R"({"at":"2026-03-02T15:00:00Z"})");
  s.event(t0, "later", "appt", R"({"at":"2026-03-05T15:00:00Z"})");
  s.finish();
  BOOST_TEST(at(s.one("send", "soon")) == "2026-03-02T10:00:00Z");
  BOOST_TEST(at(s.one("send", "later")) == "2026-03-04T15:00:00Z");
}

BOOST_AUTO_TEST_CASE(wait_until_clock_is_the_next_local_time) {
  Sim s("", R"(scenario d { trigger signup
    wait until 10:00
    send push "a" })");
  s.profile("utc");
  s.profile("msk", person(R"({"timezone":"Europe/Moscow"})"));
  s.profile("early");
  s.event(T("2026-03-02T06:00:00Z"), "msk", "signup", R"({"plan":"x"})");  // 09:00 local
  s.event(T("2026-03-02T09:00:00Z"), "early", "signup", R"({"plan":"x"})");
  s.event(T("2026-03-02T12:00:00Z"), "utc", "signup", R"({"plan":"x"})");  // past 10:00: tomorrow
  s.finish();
  BOOST_TEST(at(s.one("send", "utc")) == "2026-03-03T10:00:00Z");
  BOOST_TEST(at(s.one("send", "msk")) == "2026-03-02T07:00:00Z");
  BOOST_TEST(at(s.one("send", "early")) == "2026-03-02T10:00:00Z");
}

// ---- rendering -----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(text_interpolation) {
  Sim s("", R"(scenario t { trigger order
    let name = customer.first_name ?? "friend"
    send push "Hi {name}, {trigger.total} ₽ {trigger.ref ?? "-"} {1 + 2}" })");
  s.profile("ann");
  s.profile("anon", person(R"({"first_name":null})"));
  s.event(t0, "ann", "order", R"({"total":1290.50,"ref":"R1"})");
  s.event(t0, "anon", "order", R"({"total":5})");
  s.finish();
  BOOST_TEST(f(s.one("send", "ann"), "text") == "Hi Ann, 1290.5 ₽ R1 3");
  BOOST_TEST(f(s.one("send", "anon"), "text") == "Hi friend, 5 ₽ - 3");
}

BOOST_AUTO_TEST_CASE(format_time_in_the_recipient_zone) {
  Sim s("", R"(scenario t { trigger appt
    send push "{format_time(trigger.at, "dd.MM.yyyy HH:mm")}" })");
  s.profile("ekb", person(R"({"timezone":"Asia/Yekaterinburg"})"));
  s.profile("utc");
  s.event(t0, "ekb", "appt", R"({"at":"2026-03-02T20:30:00Z"})");
  s.event(t0, "utc", "appt", R"({"at":"2026-03-02T20:30:00Z"})");
  s.finish();
  BOOST_TEST(f(s.one("send", "ekb"), "text") == "03.03.2026 01:30");
  BOOST_TEST(f(s.one("send", "utc"), "text") == "02.03.2026 20:30");
}

BOOST_AUTO_TEST_CASE(link_carries_channel_scenario_and_step) {
  Sim s("", R"(scenario promo { trigger signup
    send email "go {link("https://x.example/p")}"
    cascade until delivered {
      push "p {link("https://x.example/q?a=1")}" within 1h
      sms "s {link("https://x.example/q?a=1")}"
    } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(f(sends[0], "text") ==
             "go https://x.example/p?utm_source=cascade&utm_medium=email&utm_campaign=promo&utm_content=1");
  BOOST_TEST(f(sends[1], "text") ==
             "p https://x.example/q?a=1&utm_source=cascade&utm_medium=push&utm_campaign=promo&utm_content=2");
  BOOST_TEST(f(sends[2], "text") ==
             "s https://x.example/q?a=1&utm_source=cascade&utm_medium=sms&utm_campaign=promo&utm_content=3");
}

BOOST_AUTO_TEST_CASE(template_vars_are_json) {
  Sim s("", R"(scenario t { trigger order
    send email template "receipt" with { total: trigger.total, name: customer.first_name ?? "x", n: 2 } })");
  s.profile("u1");
  s.event(t0, "u1", "order", R"({"total":10.5})");
  s.finish();
  const auto send = s.one("send", "u1");
  BOOST_TEST(f(send, "template") == "receipt");
  BOOST_TEST(!send.contains("text"));
  std::string line;
  for (const auto& l : s.lines)
    if (l.find("\"action\":\"send\"") != std::string::npos) line = l;
  BOOST_TEST(line.find(R"("vars":{"total":10.5,"name":"Ann","n":2})") != std::string::npos, line);
  BOOST_TEST(line.find(R"("cost":0.2})") != std::string::npos, line);
}

// ---- more edges ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(quiet_hours_end_across_a_dst_change) {
  // Europe/Berlin springs forward on 2026-03-29 at 02:00 CET (01:00Z): 09:00 that morning is
  // CEST, 07:00Z — not 08:00Z as a fixed +1 offset would give.
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario q { trigger signup
    send push "a" })");
  s.profile("ber", person(R"({"timezone":"Europe/Berlin"})"));
  s.event(T("2026-03-28T22:30:00Z"), "ber", "signup", R"({"plan":"x"})");  // 23:30 CET
  s.finish();
  BOOST_TEST(f(s.one("defer", "ber"), "until") == "2026-03-29T07:00:00Z");
  BOOST_TEST(at(s.one("send", "ber")) == "2026-03-29T07:00:00Z");
}

BOOST_AUTO_TEST_CASE(trigger_every_across_a_dst_change) {
  Sim s("", R"(scenario t { trigger every 1d at 10:00
    reentry parallel
    send push "tick" })");
  s.profile("ber", person(R"({"timezone":"Europe/Berlin"})"), T("2026-03-28T00:00:00Z"));
  s.advance(T("2026-03-28T00:00:00Z"));
  s.finish(T("2026-03-30T00:00:00Z"));
  const auto sends = s.of("send", "ber");
  BOOST_REQUIRE_MESSAGE(sends.size() == 2u, s.text);
  BOOST_TEST(at(sends[0]) == "2026-03-28T09:00:00Z");  // 10:00 CET
  BOOST_TEST(at(sends[1]) == "2026-03-29T08:00:00Z");  // 10:00 CEST
}

BOOST_AUTO_TEST_CASE(wait_until_clock_across_a_dst_change) {
  Sim s("", R"(scenario d { trigger signup
    wait until 10:00
    send push "a" })");
  s.profile("ber", person(R"({"timezone":"Europe/Berlin"})"));
  s.event(T("2026-03-28T12:00:00Z"), "ber", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(at(s.one("send", "ber")) == "2026-03-29T08:00:00Z");
}

BOOST_AUTO_TEST_CASE(inputs_are_refused_with_error_values) {
  Sim s("", R"(scenario e { trigger signup
    send email "e" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  vm::Engine& e = s.engine();
  int signup = -1;
  BOOST_REQUIRE(e.event_shape("signup", &signup));
  BOOST_TEST(!e.event_shape("nope"));
  {
    const auto err = e.event(t0 - 1, "u1", signup, vm::Record{});
    BOOST_REQUIRE(err);
    BOOST_TEST(err->message.find("backwards") != std::string::npos, err->message);
  }
  BOOST_TEST(e.event(t0, "ghost", signup, vm::Record{}).has_value());
  BOOST_TEST(e.status(t0, "u1", "m99", "", vm::MsgStatus::Opened).has_value());
  BOOST_TEST(e.status(t0, "ghost", "m1", "", vm::MsgStatus::Opened).has_value());
  BOOST_TEST(e.broadcast("e", t0).has_value());        // not `trigger manual`
  BOOST_TEST(e.broadcast("missing", t0).has_value());  // no such scenario
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);  // the refused inputs changed nothing
  BOOST_TEST(s.of("start").size() == 1u);
}

BOOST_AUTO_TEST_CASE(split_control_branch_gets_nothing_more) {
  const char* src = R"(scenario sc { trigger signup
    goal order within 1d
    send push "first"
    split {
      50% a { send email "A" }
      50% held control
    }
    send sms "after" })";
  Sim s("", src);
  for (int i = 0; i < 40; ++i) s.profile("c" + std::to_string(i));
  for (int i = 0; i < 40; ++i) s.event(t0, "c" + std::to_string(i), "signup", R"({"plan":"x"})");
  s.finish();
  int treated = 0, held = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "c" + std::to_string(i);
    const auto sends = s.of("send", id);
    BOOST_REQUIRE(!sends.empty());
    BOOST_TEST(f(sends[0], "text") == "first");
    if (sends.size() == 3u) {
      ++treated;
      BOOST_TEST(f(sends[1], "text") == "A");
      BOOST_TEST(f(sends[2], "text") == "after");
    } else {
      ++held;
      BOOST_TEST(sends.size() == 1u);
    }
    const auto end = s.one("end", id);
    BOOST_TEST(at(end) == "2026-03-03T10:00:00Z");  // both wait out the goal window
  }
  BOOST_TEST(treated > 5);
  BOOST_TEST(held > 5);
}

BOOST_AUTO_TEST_CASE(goal_before_any_send_converts_without_a_step) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario g { trigger signup
    goal order within 1d
    send push "a" })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");  // deferred to 09:00
  s.event(T("2026-03-03T01:00:00Z"), "u1", "order", R"({"total":1})");
  s.finish();
  BOOST_TEST(s.of("send", "u1").empty());
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "converted");
  BOOST_TEST(at(end) == "2026-03-03T01:00:00Z");
  BOOST_TEST(!end.contains("step"));
}

BOOST_AUTO_TEST_CASE(goal_event_converts_every_waiting_instance) {
  Sim s("", R"(scenario g { trigger signup
    reentry parallel
    goal order within 1d
    send push "a {trigger.plan}"
    wait 2h
    send email "b" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"1"})");
  s.event(t0 + 30 * kMin, "u1", "signup", R"({"plan":"2"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":1})");
  s.finish();
  const auto ends = s.of("end", "u1");
  BOOST_REQUIRE(ends.size() == 2u);
  for (const auto& e : ends) {
    BOOST_TEST(f(e, "outcome") == "converted");
    BOOST_TEST(at(e) == "2026-03-02T11:00:00Z");
  }
  BOOST_TEST(s.of("send", "u1").size() == 2u);
}

BOOST_AUTO_TEST_CASE(goal_at_the_window_end_comes_too_late) {
  // Equal instants order as "clock first, then input" (engine.hpp).
  Sim s("", R"(scenario g { trigger signup
    goal order within 1d
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kDay, "u1", "order", R"({"total":1})");
  s.finish();
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "completed");
  BOOST_TEST(at(end) == "2026-03-03T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(stop_on_where_filters) {
  Sim s("", R"(scenario x { trigger signup
    stop on order where event.total > 100
    wait 1d
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":5})");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(f(s.one("end", "u1"), "outcome") == "completed");
}

BOOST_AUTO_TEST_CASE(channel_cap_fails_inside_a_cascade_and_falls_through) {
  Sim s("caps:\n  sms: \"1 per 1d\"\n", R"(scenario c { trigger signup
    reentry parallel
    cascade until delivered {
      sms "a" within 1h
      push "b"
    } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 3 * kHour, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE_MESSAGE(sends.size() == 3u, s.text);
  BOOST_TEST(f(sends[0], "channel") == "sms");
  BOOST_TEST(at(sends[1]) == "2026-03-02T11:00:00Z");  // the first instance's deadline
  BOOST_TEST(f(sends[2], "channel") == "push");
  BOOST_TEST(at(sends[2]) == "2026-03-02T13:00:00Z");  // at once after the capped SMS
  const auto skip = s.one("skip", "u1");
  BOOST_TEST(f(skip, "reason") == "capped");
  BOOST_TEST(f(skip, "channel") == "sms");
}

BOOST_AUTO_TEST_CASE(sms_segments_and_cost) {
  // 70 Cyrillic letters fit one UCS-2 segment; 71 take two (67 per part).
  std::string one, two;
  for (int i = 0; i < 70; ++i) one += "ж";
  two = one + "ж";
  Sim s("", std::string(R"(scenario t { trigger signup
    reentry parallel
    if trigger.plan == "one" { send sms ")") +
                one + R"(" } else { send sms ")" + two + R"(" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"one"})");
  s.event(t0 + kMin, "u1", "signup", R"({"plan":"two"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "segments") == "1");
  BOOST_TEST(f(sends[1], "segments") == "2");
  BOOST_TEST(s.lines.size() >= 4u);
  int costs = 0;
  for (const auto& l : s.lines) {
    if (l.find(R"("segments":1,"cost":2})") != std::string::npos) ++costs;
    if (l.find(R"("segments":2,"cost":4})") != std::string::npos) ++costs;
  }
  BOOST_TEST(costs == 2, s.text);
}

BOOST_AUTO_TEST_CASE(sms_bills_a_tracked_link_as_the_short_redirect) {
  // 120 GSM-7 characters plus a link: with the full UTM URL (≈ 140 characters) the text would be
  // two segments; billed with the daemon's 23-character short link it is one (LANGUAGE.md §8).
  const std::string words(120, 'a');
  Sim s("", R"(scenario t { trigger signup
    send sms ")" + words + R"( {link("https://shop.example/cart/c-1001")}" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 1u);
  BOOST_TEST(f(sends[0], "text").find("utm_medium=sms") != std::string::npos);
  BOOST_TEST(f(sends[0], "segments") == "1");
}

BOOST_AUTO_TEST_CASE(escaped_braces_are_literal) {
  Sim s("", R"(scenario t { trigger signup
    send push "\{x\} {trigger.plan}" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"p"})");
  s.finish();
  BOOST_TEST(f(s.one("send", "u1"), "text") == "{x} p");
}

BOOST_AUTO_TEST_CASE(finish_until_reports_waiting_instances) {
  Sim s("", R"(scenario w { trigger signup
    wait 2d
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  BOOST_TEST(s.finish(t0 + kDay) == 1u);
  BOOST_TEST(s.of("send").empty());
  BOOST_TEST(s.engine().live_instances() == 1u);
  BOOST_TEST(s.finish() == 0u);
  BOOST_TEST(at(s.one("send", "u1")) == "2026-03-04T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(cascade_step_within_counts_from_the_deferred_send) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario c { trigger signup
    cascade until delivered {
      push "a" within 1h
      email "b"
    } })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[0]) == "2026-03-03T09:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-03T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(stop_on_during_a_deferral_cancels_the_send) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario x { trigger signup
    stop on quit
    send push "a" })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.event(T("2026-03-03T02:00:00Z"), "u1", "quit");
  s.finish();
  BOOST_TEST(s.of("defer", "u1").size() == 1u);
  BOOST_TEST(s.of("send", "u1").empty());
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "exited");
  BOOST_TEST(at(end) == "2026-03-03T02:00:00Z");
}

BOOST_AUTO_TEST_CASE(durations_from_the_profile_and_builtins) {
  Sim s("", R"(scenario d { trigger signup
    reentry parallel
    wait customer.delay ?? 2h
    send push "a"
    wait hours(1.5) + days(1)
    send push "b"
    if not opened within max(4h, 3 * (customer.delay ?? 8h)) { send email "c" } })");
  s.profile("fast", person(R"({"delay":"30m"})"));
  s.profile("slow");
  s.event(t0, "fast", "signup", R"({"plan":"x"})");
  s.event(t0, "slow", "signup", R"({"plan":"x"})");
  s.finish();
  const auto fast = s.of("send", "fast");
  BOOST_REQUIRE(fast.size() == 3u);
  BOOST_TEST(at(fast[0]) == "2026-03-02T10:30:00Z");
  BOOST_TEST(at(fast[1]) == "2026-03-03T12:00:00Z");
  BOOST_TEST(at(fast[2]) == "2026-03-03T16:00:00Z");  // max(4h, 90m)
  const auto slow = s.of("send", "slow");
  BOOST_REQUIRE(slow.size() == 3u);
  BOOST_TEST(at(slow[0]) == "2026-03-02T12:00:00Z");
  BOOST_TEST(at(slow[1]) == "2026-03-03T13:30:00Z");
  BOOST_TEST(at(slow[2]) == "2026-03-04T13:30:00Z");  // 3 * 8h
}

BOOST_AUTO_TEST_CASE(sends_resolve_consent_at_send_time) {
  Sim s("", R"(scenario c { trigger signup
    send email "a"
    wait 1h
    send email "b" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.profile("u1", person(R"({"consent":{"email":false}})"), t0 + 30 * kMin);
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  const auto skip = s.one("skip", "u1");
  BOOST_TEST(f(skip, "reason") == "no_consent");
  BOOST_TEST(at(skip) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(named_outcome_of_a_failed_send_runs_the_block_at_once) {
  Sim s("", R"(scenario n { trigger signup
    send email "a" as first
    send push "b"
    if not opened(first) within 1d { send sms "c" } })");
  s.profile("u1", person(R"({"email":null})"));
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[1], "channel") == "sms");
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_new_version_starts_new_instances_old_ones_finish_on_theirs) {
  const Compiled v1 = compile("", {R"(scenario v { trigger signup
    reentry parallel
    wait 1h
    send push "v1" })"});
  const Compiled v2 = compile("", {R"(scenario v { trigger signup
    reentry parallel
    wait 1h
    send push "v2" })"});
  Sim s(v1);
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  const auto err = s.engine().load(v2.modules.at(0));
  BOOST_REQUIRE(!err);
  s.event(t0 + 10 * kMin, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "text") == "v1");
  BOOST_TEST(f(sends[1], "text") == "v2");
}

BOOST_AUTO_TEST_CASE(goal_where_sees_each_instance_trigger) {
  Sim s("", R"(scenario g { trigger signup
    reentry parallel
    goal order where event.ref == trigger.plan within 1d
    send push "a {trigger.plan}" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"p1"})");
  s.event(t0 + kMin, "u1", "signup", R"({"plan":"p2"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":1,"ref":"p2"})");
  s.finish();
  const auto ends = s.of("end", "u1");
  BOOST_REQUIRE(ends.size() == 2u);
  BOOST_TEST(f(ends[0], "outcome") == "converted");  // the p2 instance, at the order
  BOOST_TEST(at(ends[0]) == "2026-03-02T11:00:00Z");
  BOOST_TEST(f(ends[1], "outcome") == "completed");  // p1: its window closes
  BOOST_TEST(at(ends[1]) == "2026-03-03T10:00:00Z");
  BOOST_TEST(f(ends[0], "instance") != f(ends[1], "instance"));
}

BOOST_AUTO_TEST_CASE(the_trigger_event_is_not_its_own_goal) {
  Sim s("", R"(scenario g { trigger order
    goal order within 1d
    send push "thanks" })");
  s.profile("u1");
  s.event(t0, "u1", "order", R"({"total":1})");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "completed");
  BOOST_TEST(at(end) == "2026-03-03T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(one_event_ends_one_scenario_and_starts_another) {
  Sim s("", std::vector<std::string>{R"(scenario a { trigger signup
    goal order within 1d
    send push "a" })",
                                     R"(scenario b { trigger order
    send email "b" })"});
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":1})");
  s.finish();
  const auto ends = s.of("end", "u1");
  BOOST_REQUIRE(ends.size() == 2u);
  BOOST_TEST(f(ends[0], "scenario") == "a");
  BOOST_TEST(f(ends[0], "outcome") == "converted");
  BOOST_TEST(f(ends[1], "scenario") == "b");
  BOOST_TEST(at(s.of("send", "u1").at(1)) == "2026-03-02T11:00:00Z");
}

// ---- decisions documented in docs/runtime.md ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(default_reentry_is_never) {
  Sim s("", R"(scenario r { trigger signup
    send push "hi" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 30 * kDay, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(s.of("start", "u1").size() == 1u);
  BOOST_TEST(f(s.one("skip", "u1"), "reason") == "reentry");
}

BOOST_AUTO_TEST_CASE(control_without_goal_expires_at_once) {
  const auto ctrl = ids_by_control("c", 50, true, 1);
  BOOST_REQUIRE(ctrl.size() == 1u);
  Sim s("", R"(scenario c { trigger signup
    control 50%
    send push "hi" })");
  s.profile(ctrl[0]);
  s.event(t0, ctrl[0], "signup", R"({"plan":"x"})");
  s.finish();
  const auto end = s.one("end", ctrl[0]);
  BOOST_TEST(f(end, "outcome") == "expired");
  BOOST_TEST(at(end) == "2026-03-02T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(delivered_after_failed_wins) {
  Sim s("", R"(scenario o { trigger signup
    send email "e" as first
    wait 1h
    if not delivered(first) within 1h { send push "p" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + 5 * kMin, "u1", "m1", "failed");
  s.status(t0 + 10 * kMin, "u1", "m1", "delivered");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  BOOST_TEST(s.of("status", "u1").size() == 2u);
}

BOOST_AUTO_TEST_CASE(goal_and_stop_on_the_same_event_converts) {
  Sim s("", R"(scenario g { trigger signup
    goal order within 1d
    stop on order
    send push "a"
    wait 1d
    send push "b" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + kHour, "u1", "order", R"({"total":1})");
  s.finish();
  BOOST_TEST(f(s.one("end", "u1"), "outcome") == "converted");
}

BOOST_AUTO_TEST_CASE(statuses_after_the_end_are_still_traced) {
  Sim s("", R"(scenario o { trigger signup
    send email "e" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.status(t0 + kHour, "u1", "m1", "opened");
  s.finish();
  const auto st = s.one("status", "u1");
  BOOST_TEST(f(st, "status") == "opened");
  BOOST_TEST(f(st, "step") == "1");
}

BOOST_AUTO_TEST_CASE(link_goes_before_the_fragment) {
  Sim s("", R"(scenario lf { trigger signup
    send push "{link("https://x.example/p#top")}" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  BOOST_TEST(f(s.one("send", "u1"), "text") ==
             "https://x.example/p?utm_source=cascade&utm_medium=push&utm_campaign=lf&utm_content=1#top");
}

BOOST_AUTO_TEST_CASE(a_deferred_send_renders_when_it_leaves_and_takes_the_next_with_it) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario d { trigger signup
    send push "now {format_time(now, "HH:mm")}"
    send email "e" })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "text") == "now 09:00");
  BOOST_TEST(at(sends[1]) == "2026-03-03T09:00:00Z");
}

BOOST_AUTO_TEST_CASE(arithmetic_never_traps) {
  Sim s("", R"(scenario a { trigger signup
    reentry parallel
    if 10 / (len(trigger.plan) - 1) > 1 { send push "big" } else { send push "null is false" } })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");   // 10 / 0
  s.event(t0, "u1", "signup", R"({"plan":"xy"})");  // 10 / 1
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(f(sends[0], "text") == "null is false");
  BOOST_TEST(f(sends[1], "text") == "big");
}

BOOST_AUTO_TEST_CASE(event_wait_outside_a_cascade_counts_from_the_wait) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario e { trigger signup
    send push "a"
    if not order within 2h { send email "b" } })");
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  // The push is deferred to 09:00 and the wait starts then: the email is due at 11:00.
  BOOST_TEST(at(sends[1]) == "2026-03-03T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_limit_deferral_into_quiet_hours_waits_for_their_end) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario l { trigger signup
    limit 1 per 1h
    send push "a"
    send email "b" })");
  s.profile("u1");
  s.event(T("2026-03-02T21:30:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[0]) == "2026-03-02T21:30:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-03T09:00:00Z");
}

BOOST_AUTO_TEST_CASE(limit_n_waits_for_the_oldest_to_leave_the_window) {
  Sim s("", R"(scenario l { trigger signup
    limit 2 per 1h
    send push "a"
    wait 10m
    send push "b"
    send push "c" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 3u);
  BOOST_TEST(at(sends[1]) == "2026-03-02T10:10:00Z");
  BOOST_TEST(at(sends[2]) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(caps_are_checked_when_a_deferred_message_leaves) {
  Sim s("quiet_hours: \"22:00..09:00\"\ncaps:\n  all: \"1 per 1d\"\n",
        std::vector<std::string>{R"(scenario a { trigger signup
    send push "night" })",
                                 R"(scenario b { trigger order
    urgent
    send email "urgent" })"});
  s.profile("u1");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");  // deferred to 09:00
  s.event(T("2026-03-03T01:00:00Z"), "u1", "order", R"({"total":1})");    // urgent: leaves now
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 1u);
  BOOST_TEST(f(sends[0], "scenario") == "b");
  const auto skip = s.one("skip", "u1");
  BOOST_TEST(f(skip, "scenario") == "a");
  BOOST_TEST(f(skip, "reason") == "capped");
  BOOST_TEST(at(skip) == "2026-03-03T09:00:00Z");
}

BOOST_AUTO_TEST_CASE(trigger_every_without_at) {
  Sim s("", R"(scenario t { trigger every 6h
    reentry parallel
    send push "t" })");
  s.profile("u1");
  s.advance(t0);
  s.finish(t0 + kDay);
  const auto sends = s.of("send", "u1");
  BOOST_TEST_REQUIRE(sends.size() >= 4u);
  BOOST_TEST_REQUIRE(sends.size() <= 5u);
  for (std::size_t i = 1; i < sends.size(); ++i)
    BOOST_TEST(*vm::parse_time(at(sends[i])) - *vm::parse_time(at(sends[i - 1])) == 6 * kHour);
}

BOOST_AUTO_TEST_CASE(a_profile_added_later_gets_ticks_from_then) {
  Sim s("", R"(scenario t { trigger every 1d at 10:00
    reentry parallel
    send push "t" })");
  s.profile("early");
  s.advance(T("2026-03-02T00:00:00Z"));
  s.advance(T("2026-03-02T12:00:00Z"));
  s.profile("late", person(), T("2026-03-02T12:00:00Z"));
  s.finish(T("2026-03-03T12:00:00Z"));
  BOOST_TEST(s.of("send", "early").size() == 2u);
  const auto late = s.of("send", "late");
  BOOST_REQUIRE(late.size() == 1u);
  BOOST_TEST(at(late[0]) == "2026-03-03T10:00:00Z");
}

BOOST_AUTO_TEST_CASE(broadcast_respects_reentry_and_sets_trigger_at) {
  Sim s("", R"(scenario m { trigger manual
    reentry never
    wait until trigger.at + 1h
    send push "m" })");
  s.profile("u1");
  s.profile("u2");
  s.broadcast("m", t0);
  s.broadcast("m", t0 + kDay);
  s.finish();
  BOOST_TEST(s.of("start").size() == 2u);
  BOOST_TEST(at(s.one("send", "u1")) == "2026-03-02T11:00:00Z");
  BOOST_TEST(at(s.one("send", "u2")) == "2026-03-02T11:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_goal_after_its_window_does_not_convert_a_running_instance) {
  Sim s("", R"(scenario g { trigger signup
    goal order within 1h
    wait 2h
    send push "a" })");
  s.profile("u1");
  s.event(t0, "u1", "signup", R"({"plan":"x"})");
  s.event(t0 + 90 * kMin, "u1", "order", R"({"total":1})");
  s.finish();
  BOOST_TEST(s.of("send", "u1").size() == 1u);
  const auto end = s.one("end", "u1");
  BOOST_TEST(f(end, "outcome") == "completed");
  BOOST_TEST(at(end) == "2026-03-02T12:00:00Z");
}

BOOST_AUTO_TEST_CASE(memory_and_live_counts_follow_the_instances) {
  Sim s("", R"(scenario w { trigger signup
    reentry parallel
    wait 1h
    send push "a" })");
  s.profile("u1");
  for (int i = 0; i < 50; ++i) s.event(t0 + i, "u1", "signup", R"({"plan":"x"})");
  BOOST_TEST(s.engine().live_instances() == 50u);
  BOOST_TEST(s.engine().memory().instances > 0u);
  s.finish();
  BOOST_TEST(s.engine().live_instances() == 0u);
  BOOST_TEST(s.of("end").size() == 50u);
  // Message ids follow the order messages leave.
  const auto sends = s.of("send");
  for (std::size_t i = 0; i < sends.size(); ++i)
    BOOST_TEST(f(sends[i], "message") == "m" + std::to_string(i + 1));
}

// A scenario's own window replaces the project default for the channels it covers (the
// appointment example's clinic window lets a 07:30 SMS go); other channels keep the default.
BOOST_AUTO_TEST_CASE(own_quiet_hours_replace_the_project_default) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario q { trigger signup
    reentry parallel
    quiet hours 13:00..14:00
    send push "a" })");
  s.profile("u1");
  s.event(T("2026-03-02T13:30:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.event(T("2026-03-02T23:00:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[0]) == "2026-03-02T14:00:00Z");
  BOOST_TEST(at(sends[1]) == "2026-03-02T23:00:00Z");
}

BOOST_AUTO_TEST_CASE(own_quiet_hours_for_one_channel_keep_the_default_for_the_others) {
  Sim s("quiet_hours: \"22:00..09:00\"\n", R"(scenario q { trigger signup
    quiet hours 23:00..08:00 for sms
    send push "a"
    send sms "b" })");
  s.profile("u1");
  s.event(T("2026-03-02T22:30:00Z"), "u1", "signup", R"({"plan":"x"})");
  s.finish();
  const auto sends = s.of("send", "u1");
  BOOST_REQUIRE(sends.size() == 2u);
  BOOST_TEST(at(sends[0]) == "2026-03-03T09:00:00Z", s.text);  // push: the project's window
  BOOST_TEST(at(sends[1]) == "2026-03-03T09:00:00Z");          // sms: both windows
}

// ---- determinism ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(same_inputs_same_bytes) {
  const Compiled c =
      compile("quiet_hours: \"22:00..09:00\"\ncaps:\n  all: \"3 per 1d\"\n", {R"(scenario d { trigger signup
    goal order within 2d
    control 20%
    limit 1 per 15m
    send email "hi {customer.first_name ?? "x"} {link("https://x.example")}"
    if not opened within 4h {
      split {
        50% a { send push "A" }
        50% b { send sms "B" }
      }
    }
    cascade until delivered {
      push "c1" within 1h
      email "c2"
    } })"});
  std::string texts[2];
  for (auto& text : texts) {
    Sim s(c);
    for (int i = 0; i < 40; ++i)
      s.profile("d" + std::to_string(i), person(i % 3 ? R"({"timezone":"Asia/Yekaterinburg"})" : "{}"));
    // Inputs in time order: a signup every 17 minutes, an open 30 minutes after every 4th.
    for (int i = 0; i < 40; ++i) {
      const std::string id = "d" + std::to_string(i);
      s.event(t0 + i * 17 * kMin, id, "signup", R"({"plan":"x"})");
      // A control member has no email to open: the engine may refuse that report, and must
      // do so the same way twice.
      if (i % 4 == 1) {
        const auto e = s.engine().status(t0 + (i - 1) * 17 * kMin + 30 * kMin, "d" + std::to_string(i - 1),
                                         "", "email", vm::MsgStatus::Opened);
        text += e ? e->message + "\n" : "ok\n";
      }
    }
    for (int i = 1; i < 40; i += 5)
      s.event(t0 + 2 * kDay, "d" + std::to_string(i), "order", R"({"total":3})");
    s.finish();
    text += s.text;
  }
  BOOST_TEST(texts[0].size() > 1000u);
  BOOST_TEST((texts[0] == texts[1]));
}

// ---- snapshots (the daemon's restart) ------------------------------------------------------------

namespace {

// Scenarios that leave every kind of state behind: locals with strings, outcome and event
// waits, a cascade, a split, control members, goals, stop on, limits, caps, ticks.
const std::vector<std::string> kRestartScenarios = {
    R"(scenario welcome { trigger signup
    reentry parallel
    goal order where event.total >= 100 within 3d
    stop on quit
    let name = customer.first_name ?? "friend"
    let plan = "plan " + trigger.plan
    wait 1h
    send email "Hi {name}, {plan}"
    if not opened within 1d { send push "Still there, {name}?" }
    wait 2h
    send sms "Last call {name}" })",
    R"(scenario cart { trigger order where event.total < 100
    control 30%
    goal order where event.total >= 100 within 2d
    cascade until order {
      push "a {trigger.total}" within 1h
      email "b" within 2h
      sms "c"
    } })",
    R"(scenario ab { trigger signup
    limit 1 per 2h
    split {
      50% a { send push "A" }
      50% b { send email "B" }
    }
    send push "after" })",
    R"(scenario daily { trigger every 1d at 10:00
    reentry parallel
    audience customer.consent.push
    send push "tick {format_time(trigger.at, "dd.MM HH:mm")}" })",
};

struct Input {
  vm::Time at;
  std::string rid, kind, what, data;  // kind: event / status
};

std::vector<Input> restart_inputs() {
  std::vector<Input> in;
  for (int i = 0; i < 12; ++i) {
    const std::string rid = "p" + std::to_string(i);
    const vm::Time base = t0 + i * 7 * kMin;
    in.push_back({base, rid, "event", "signup", R"({"plan":"pro"})"});
    in.push_back({base + 5 * kMin, rid, "event", "order", i % 3 ? R"({"total":40})" : R"({"total":60})"});
  }
  in.push_back({t0 + 3 * kHour, "p1", "status", "m1", "delivered"});
  in.push_back({t0 + 4 * kHour, "p2", "event", "order", R"({"total":150})"});
  in.push_back({t0 + 5 * kHour, "p3", "event", "quit", "{}"});
  in.push_back({t0 + 6 * kHour, "p4", "status", "m9", "opened"});
  in.push_back({t0 + 20 * kHour, "p5", "event", "order", R"({"total":500})"});
  in.push_back({t0 + 30 * kHour, "p6", "event", "signup", R"({"plan":"again"})"});
  std::stable_sort(in.begin(), in.end(), [](const Input& a, const Input& b) { return a.at < b.at; });
  return in;
}

void apply(Sim& s, const Input& i) {
  if (i.kind == "event") {
    s.event(i.at, i.rid, i.what, i.data);
  } else {
    const auto st = vm::parse_status(i.data);
    BOOST_REQUIRE(st);
    // A report on a message that is not the recipient's is refused: fine here, the point is
    // that both runs refuse it alike.
    (void)s.engine().status(i.at, i.rid, i.what, "", *st);
  }
}

void add_people(Sim& s) {
  for (int i = 0; i < 12; ++i)
    s.profile("p" + std::to_string(i), i % 4 == 3 ? person(R"({"push_token":null,"timezone":"Asia/Yekaterinburg"})")
                                                  : person(R"({"timezone":"Europe/Moscow"})"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_restored_snapshot_continues_as_if_never_stopped) {
  const Compiled c = compile("caps:\n  all: \"4 per 1d\"\n", kRestartScenarios);
  const std::vector<Input> inputs = restart_inputs();
  Sim ref(c);
  add_people(ref);
  ref.advance(t0);
  for (const Input& i : inputs) apply(ref, i);
  ref.finish(t0 + 4 * kDay);
  BOOST_REQUIRE(ref.of("send").size() > 20u);
  BOOST_REQUIRE(!ref.of("event").empty());

  // A restart after every input, and one before the profiles' first tick.
  Sim cut(c);
  add_people(cut);
  cut.restart();
  cut.advance(t0);
  for (const Input& i : inputs) {
    apply(cut, i);
    cut.restart();
  }
  cut.finish(t0 + 4 * kDay);
  BOOST_TEST(cut.text == ref.text);

  // The same with the profiles borrowed from the kept bytes: some are read (copied out) between
  // two restarts, others are written into the next snapshot still as the borrowed image.
  Sim kept(c);
  add_people(kept);
  kept.restart(true);
  kept.advance(t0);
  for (const Input& i : inputs) {
    apply(kept, i);
    kept.restart(true);
  }
  kept.finish(t0 + 4 * kDay);
  BOOST_TEST(kept.text == ref.text);
}

BOOST_AUTO_TEST_CASE(a_snapshot_is_refused_by_the_wrong_engine) {
  const Compiled c = compile("", kRestartScenarios);
  Sim s(c);
  add_people(s);
  s.advance(t0);
  for (const Input& i : restart_inputs()) apply(s, i);
  const std::string bytes = s.engine().save();
  BOOST_TEST(bytes.size() > 1000u);
  BOOST_TEST_MESSAGE("snapshot of " << bytes.size() << " bytes");
  BOOST_TEST(s.engine().save() == bytes);  // the same state, the same bytes

  // Not fresh.
  auto busy = s.engine().restore(bytes);
  BOOST_REQUIRE(busy);
  BOOST_TEST(busy->message.find("fresh") != std::string::npos);
  // Other programs.
  const Compiled other = compile("", {kRestartScenarios[0]});
  Sim o(other);
  auto mismatch = o.fresh_engine()->restore(bytes);
  BOOST_REQUIRE(mismatch);
  BOOST_TEST(mismatch->message.find("programs") != std::string::npos);
}

// Hostile bytes: every truncation and every flipped byte is refused (the checksum); a forged
// snapshot — a flipped byte with the checksum made right again — is refused or gives an engine
// that runs on without crashing (under the sanitizers in CI) and without hanging.
BOOST_AUTO_TEST_CASE(hostile_snapshots_never_crash) {
  const Compiled c = compile("", kRestartScenarios);
  Sim s(c);
  add_people(s);
  s.advance(t0);
  const std::vector<Input> inputs = restart_inputs();
  for (std::size_t k = 0; k < inputs.size() / 2; ++k) apply(s, inputs[k]);
  const std::string bytes = s.engine().save();
  // Every offset of the header and the first records, then a stride through the rest (an
  // engine per attempt costs a module load; every offset would take long under ASan).
  auto next_offset = [&](std::size_t n) { return n < 128 ? n + 1 : n + 37; };
  for (std::size_t n = 0; n < bytes.size(); n = next_offset(n)) {
    auto e = s.fresh_engine();
    e->set_sink(nullptr);
    const auto error = e->restore(std::string_view(bytes).substr(0, n));
    BOOST_REQUIRE_MESSAGE(error, "a snapshot cut at byte " << n << " was accepted");
    BOOST_REQUIRE_MESSAGE(error->message.rfind("snapshot byte ", 0) == 0, error->message);
  }
  std::size_t refused = 0, accepted = 0, tried = 0;
  for (std::size_t n = 0; n + 8 < bytes.size(); n = next_offset(n)) {
    ++tried;
    std::string bad = bytes;
    bad[n] = static_cast<char>(bad[n] ^ (n % 2 ? 0x01 : 0x80));
    auto damaged = s.fresh_engine();
    const auto error = damaged->restore(bad);
    BOOST_REQUIRE_MESSAGE(error && error->message.find("checksum") != std::string::npos,
                          "a flipped byte " << n << " passed the checksum");
    // Forged: the checksum recomputed over the flipped body.
    const std::uint64_t sum = vm::snapshot_checksum(
        {reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size() - 8});
    for (int k = 0; k < 8; ++k) bad[bad.size() - 8 + k] = static_cast<char>((sum >> (8 * k)) & 0xFF);
    auto e = s.fresh_engine();
    e->set_sink(nullptr);  // the trace of a forged run is not the point
    // Every other one with its profiles borrowed: their images are checked all the same.
    auto kept = std::make_shared<const std::string>(bad);
    if (tried % 2 ? e->restore(*kept, kept) : e->restore(bad)) {
      ++refused;
      continue;
    }
    ++accepted;
    for (std::size_t k = inputs.size() / 2; k < inputs.size(); ++k) {
      const Input& i = inputs[k];
      int index = -1;
      if (i.kind == "event") {
        const vm::Shape* shape = e->event_shape(i.what, &index);
        vm::Record rec;
        BOOST_REQUIRE(!vm::decode(*shape, json::parse(i.data), rec));
        (void)e->event(i.at, i.rid, index, std::move(rec));
      } else {
        (void)e->status(i.at, i.rid, i.what, "", *vm::parse_status(i.data));
      }
    }
    e->finish(std::nullopt);  // ticks stop, every instance's timers fire: ends however absurd the clock
  }
  BOOST_TEST(refused > tried / 4);
  BOOST_TEST_MESSAGE(refused << " forged snapshots refused, " << accepted << " ran on");
}

// A forged snapshot that names one recipient twice (and one more than 65,536 recipients, so the
// recipients span several independently decoded chunks) is refused, naming the recipient.
BOOST_AUTO_TEST_CASE(a_snapshot_with_a_recipient_twice_is_refused) {
  const Compiled c = compile("", kRestartScenarios);
  Sim s(c);
  for (int i = 0; i < 70000; ++i) s.profile(fmt::format("r{:06}", i), person(R"({"timezone":"Europe/Moscow"})"));
  s.advance(t0);
  std::string bytes = s.engine().save();
  {
    // save_into sizes its buffer once: no doubling slack (gigabytes at 10 M recipients).
    std::vector<std::uint8_t> into;
    s.engine().save_into(into);
    BOOST_TEST((std::string(into.begin(), into.end()) == bytes));
    BOOST_TEST(into.capacity() <= into.size() + into.size() / 10 + 8192, into.capacity() << " for " << into.size());
    auto e = s.fresh_engine();
    BOOST_REQUIRE(!e->restore(bytes));
    BOOST_TEST(e->recipient_count() == 70000u);
  }
  {
    // The checksum covers every 1 MiB block, also those the second thread sums.
    BOOST_REQUIRE(bytes.size() > (8u << 20));
    for (const std::size_t at : {bytes.size() / 2 + 1, bytes.size() - 9}) {
      std::string bad = bytes;
      bad[at] = static_cast<char>(bad[at] ^ 0x04);
      const auto error = s.fresh_engine()->restore(bad);
      BOOST_REQUIRE(error);
      BOOST_TEST(error->message.find("bad checksum") != std::string::npos, error->message);
    }
  }
  // Rename r069999 (in the second chunk) to r000007 and make the checksum right again.
  const std::size_t at = bytes.find("r069999");
  BOOST_REQUIRE(at != std::string::npos);
  bytes.replace(at, 7, "r000007");
  const std::uint64_t sum =
      vm::snapshot_checksum({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size() - 8});
  for (int k = 0; k < 8; ++k) bytes[bytes.size() - 8 + k] = static_cast<char>((sum >> (8 * k)) & 0xFF);
  auto e = s.fresh_engine();
  const auto error = e->restore(bytes);
  BOOST_REQUIRE(error);
  BOOST_TEST(error->message.find("recipient `r000007` twice") != std::string::npos, error->message);
}
