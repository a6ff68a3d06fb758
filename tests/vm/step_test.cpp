// The step function through the engine's benchmark hooks (Engine::step_parts / step_env), and
// the effect codes the step hands the host (Reason, WaitFor) with the words the trace prints.
//
// bench_engine's vm-step phase times Machine::step exactly this way; these tests pin what it
// relies on: the hooks give the live instance and the Env the engine itself would use, a status
// resumes the instance into one Send and one Wait, and a status short of the wanted outcome
// gives no effect at all.
#define BOOST_TEST_MODULE vm_step
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/lower.hpp"
#include "cascade/compiler/render.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/machine.hpp"
#include "cascade/vm/record.hpp"
#include "runtime_config.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

constexpr vm::Time kT0 = 1'772'445'600;  // 2026-03-02T10:00:00Z

constexpr const char* kProject = R"(timezone: UTC
profile:
  email: string?
  push_token: string?
  consent: { email: bool, push: bool }
events:
  cart: { id: string }
  paid: { id: string }
channels:
  push:  { kind: push,  address: push_token, consent: consent.push,  provider: fcm,  cost: 0 }
  email: { kind: email, address: email,      consent: consent.email, provider: esp,  cost: 0.2 }
providers:
  fcm:  { type: file, path: "push.jsonl" }
  esp:  { type: file, path: "email.jsonl" }
)";

constexpr const char* kScenario = R"(scenario chain "Chain" {
  trigger cart
  wait 1h
  send email "first"
  if not opened within 24h {
    send email "again"
  }
  send push "second"
  if not paid within 2h {
    send push "third"
  }
}
)";

// The scenario checked and lowered as `cascade run` does, loaded into a fresh engine with one
// recipient whose cart started an instance at kT0; the clock is at kT0 + 1h: the e-mail has
// left and the instance waits for its "opened".
struct Fixture {
  std::unique_ptr<vm::Engine> engine;
  std::vector<std::string> actions;

  Fixture() {
    const fs::path dir = fs::temp_directory_path() / ("cascade-step-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "cascade.yaml") << kProject;
    std::ofstream(dir / "chain.cascade") << kScenario;
    driver::CheckRequest request;
    request.paths = {dir.string()};
    driver::CheckOutcome out = driver::check(request);
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (out.diagnostics.has_errors() || !out.project) {
      out.diagnostics.sort();
      BOOST_FAIL("the scenario does not check:\n" << diag::render_text(out.diagnostics, out.sources));
    }
    engine = std::make_unique<vm::Engine>(host::runtime_config(*out.project));
    engine->set_sink([this](const vm::TraceRecord& r) { actions.emplace_back(vm::action_name(r.action)); });
    for (const ast::File& f : out.checked.files)
      for (const ast::Decl& d : f.decls)
        if (const auto* sc = std::get_if<ast::Scenario>(&d.node)) {
          lower::LowerResult r = lower::lower_scenario(out.checked, *out.project, out.sources, *sc, f.file);
          BOOST_REQUIRE_MESSAGE(r.module, "lowering failed: " << r.error);
          const auto error = engine->load(std::move(*r.module));
          BOOST_REQUIRE_MESSAGE(!error, "load: " << (error ? error->message : ""));
        }
    vm::Record profile, payload;
    BOOST_REQUIRE(!vm::decode(engine->profile_shape(),
                              boost::json::parse(R"({"email":"a@x.ru","push_token":"t","consent":{"email":true,"push":true}})"),
                              profile));
    engine->upsert_profile("u1", std::move(profile), kT0);
    int cart = -1;
    const vm::Shape* shape = engine->event_shape("cart", &cart);
    BOOST_REQUIRE(shape);
    BOOST_REQUIRE(!vm::decode(*shape, boost::json::parse(R"({"id":"c1"})"), payload));
    BOOST_REQUIRE(!engine->event(kT0, "u1", cart, std::move(payload)));
    BOOST_REQUIRE(!engine->advance(kT0 + 3600));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(hooks_give_the_waiting_instance_and_its_env) {
  Fixture f;
  BOOST_TEST(f.actions == (std::vector<std::string>{"start", "wait", "send", "wait"}), boost::test_tools::per_element());
  BOOST_TEST(!f.engine->step_parts(1));  // no second instance
  const auto parts = f.engine->step_parts(0);
  BOOST_REQUIRE(parts);
  BOOST_TEST(parts->program != nullptr);
  BOOST_TEST(parts->slots != nullptr);
  BOOST_TEST(parts->locals == nullptr);  // the scenario has no `let`
  BOOST_TEST(static_cast<int>(parts->instance->state) == static_cast<int>(vm::State::Outcome));
  BOOST_TEST(parts->instance->last_step == 1);
  vm::Env env;
  env.event_config = 7;  // step_env resets what a previous use left
  f.engine->step_env(*parts, env);
  BOOST_TEST(env.profile == f.engine->profile_of("u1"));
  BOOST_TEST(env.recipient == "u1");
  BOOST_TEST(env.trigger != nullptr);  // the cart's payload
  BOOST_TEST(env.event == nullptr);
  BOOST_TEST(env.event_config == -1);
  BOOST_TEST(env.next_message == 2u);  // m1 is the e-mail
  BOOST_TEST(env.channels.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_status_resumes_into_one_send_and_one_wait) {
  Fixture f;
  const auto parts = f.engine->step_parts(0);
  BOOST_REQUIRE(parts);
  const std::uint8_t slot = parts->instance->wait_slot;
  vm::Machine machine;
  vm::Env env;
  f.engine->step_env(*parts, env);
  std::vector<vm::Effect> effects;
  const vm::Time now = kT0 + 2 * 3600;

  // "delivered" is short of "opened": the instance keeps waiting, nothing happens.
  machine.step(*parts->program, *parts->instance, parts->locals, parts->slots,
               vm::Input{vm::InputKind::Status, slot, static_cast<std::uint8_t>(vm::MsgStatus::Delivered)}, now, env,
               effects);
  BOOST_TEST(effects.empty());
  BOOST_TEST(static_cast<int>(parts->instance->state) == static_cast<int>(vm::State::Outcome));

  // "opened" on another slot is not this wait's.
  machine.step(*parts->program, *parts->instance, parts->locals, parts->slots,
               vm::Input{vm::InputKind::Status, static_cast<std::uint8_t>(slot + 1),
                         static_cast<std::uint8_t>(vm::MsgStatus::Opened)},
               now, env, effects);
  BOOST_TEST(effects.empty());

  machine.step(*parts->program, *parts->instance, parts->locals, parts->slots,
               vm::Input{vm::InputKind::Status, slot, static_cast<std::uint8_t>(vm::MsgStatus::Opened)}, now, env,
               effects);
  BOOST_REQUIRE_EQUAL(effects.size(), 2u);
  BOOST_TEST(static_cast<int>(effects[0].kind) == static_cast<int>(vm::EffectKind::Send));
  BOOST_TEST(effects[0].step == 3);  // email, its resend, then the push
  BOOST_TEST(effects[0].text == "second");
  BOOST_TEST(effects[0].channel == 0);  // push is the project's first channel
  BOOST_TEST(parts->slots[effects[0].slot] == env.next_message);  // the step's first send
  BOOST_TEST(static_cast<int>(effects[1].kind) == static_cast<int>(vm::EffectKind::Wait));
  BOOST_TEST(static_cast<int>(effects[1].wait_for) == static_cast<int>(vm::WaitFor::Event));
  BOOST_TEST(effects[1].until == now + 2 * 3600);
  BOOST_TEST(static_cast<int>(parts->instance->state) == static_cast<int>(vm::State::Event));
  BOOST_TEST(parts->instance->last_step == 3);
}

BOOST_AUTO_TEST_CASE(effect_codes_have_the_trace_words) {
  BOOST_TEST(vm::reason_name(vm::Reason::None).empty());
  const std::vector<std::pair<vm::Reason, std::string_view>> reasons = {
      {vm::Reason::NoAddress, "no_address"}, {vm::Reason::NoConsent, "no_consent"},
      {vm::Reason::NoProvider, "no_provider"}, {vm::Reason::Capped, "capped"},
      {vm::Reason::QuietHours, "quiet_hours"}, {vm::Reason::Limit, "limit"},
      {vm::Reason::Goal, "goal"}, {vm::Reason::StopOn, "stop_on"}, {vm::Reason::Wait, "wait"}};
  for (const auto& [code, word] : reasons) BOOST_TEST(vm::reason_name(code) == word);
  BOOST_TEST(vm::wait_word(vm::WaitFor::Time) == "time");
  BOOST_TEST(vm::wait_word(vm::WaitFor::Delivered) == "delivered");
  BOOST_TEST(vm::wait_word(vm::WaitFor::Opened) == "opened");
  BOOST_TEST(vm::wait_word(vm::WaitFor::Clicked) == "clicked");
  BOOST_TEST(vm::wait_word(vm::WaitFor::Goal) == "goal");
}
