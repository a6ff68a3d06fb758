// The VM engine on the abandoned cart, the same logic and the same measurements as the peers in
// bench/peers/ (Lua 5.4 coroutines, XState v5 actors; bench/peers/README.md).
//   bench_engine [N [all|memory|vm-step|step|step-json|snapshot [STEP_N]]]   (default 1,000,000
//   recipients; the step and step-json phases use STEP_N recipients, default N; vm-step runs at
//   1,000 and at N)
// Prints JSON lines:
//   {"bench":"vm_memory",…}  N recipients triggered at T0, the clock advanced 1h (every instance
//     has sent its email and waits up to 24h for "opened"). bytes_per_instance = the delta of
//     Engine::memory() (instances + slab locals/slots + timer wheel + message table + recipient
//     table) per instance; rss_bytes_per_instance = the process RSS delta over the same span
//     (everything the triggers and the 1h step allocated: the above plus the per-recipient
//     `reentry` history vectors, the interned strings, malloc overhead — and the trigger
//     payloads, which are also reported alone as payload_bytes_per_instance, so
//     rss_minus_payloads is the all-in figure comparable with the peers, who keep no payload).
//     Profiles are loaded before the span and reported alone (profile_rss_bytes_per_recipient).
//   {"bench":"vm_step","sink":"none"|"json",…}  the chain variant (each "opened" sends a push
//     and waits 24h again): 2 rounds of "opened" on every waiting instance's current message,
//     random order, spread over one virtual hour each; ns per status → resume → send → suspend
//     step through Engine::status() (the host's whole path: recipient lookup by string id,
//     message id parse, the status trace record, the step, the send and wait records, timer
//     cancel + schedule). sink "none" counts records by action (to verify the run) and nothing
//     else; sink "json" also formats every record with append_json into a buffer that is
//     dropped each MiB (what `cascade run` does minus the write). Below 100,000 recipients the
//     population is built again (untimed) until 200,000+ steps are timed.
//   {"bench":"vm_step_fn",…}  the step function alone: Machine::step on the chain variant's
//     instances (status "opened" → resume → send push 1 → suspend on its "opened"), random order,
//     at 1,000 instances (cache resident) and at N; no trace, no message table, no timers — the
//     host's share is only the instance's parts and its Env (Engine::step_parts / step_env).
//   {"bench":"vm_snapshot",…}  the daemon's restart path: N waiting instances (the memory phase's
//     state, profiles and payloads included) saved with Engine::save and restored into a new
//     engine with Engine::restore; bytes, seconds each way.
// Timer figures come from bench_timers (same wheel, same cancel+schedule pair as the peers).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <unistd.h>

#include <boost/json.hpp>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/lower.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/machine.hpp"
#include "runtime_config.hpp"
#include "cascade/vm/record.hpp"

namespace {

namespace fs = std::filesystem;
using namespace cascade;
using Clock = std::chrono::steady_clock;

constexpr vm::Time kT0 = 1'772'445'600;  // 2026-03-02T10:00:00Z

constexpr const char* kProject = R"(timezone: UTC
profile:
  email: string?
  phone: string?
  push_token: string?
  consent: { email: bool, sms: bool, push: bool }
events:
  cart_abandoned: { cart_id: string, cart_url: string, total: decimal, items: int }
  order_placed: { order_id: string, cart_id: string?, total: decimal }
channels:
  push:  { kind: push,  address: push_token, consent: consent.push,  provider: fcm,  cost: 0 }
  email: { kind: email, address: email,      consent: consent.email, provider: esp,  cost: 0.2 }
  sms:   { kind: sms,   address: phone,      consent: consent.sms,   provider: smsc, cost: 2.0 }
providers:
  fcm:  { type: webhook, url: "http://127.0.0.1:9100/send" }
  esp:  { type: webhook, url: "http://127.0.0.1:9101/send" }
  smsc: { type: webhook, url: "http://127.0.0.1:9102/send" }
)";

// examples/abandoned_cart.cascade without the settings (audience, quiet hours, limit, reentry):
// the logic the peers implement.
constexpr const char* kCart = R"(scenario cart "Cart" {
  trigger cart_abandoned
  goal order_placed where event.cart_id == trigger.cart_id within 7d
  wait 1h
  send email "Your cart is waiting"
  if not opened within 24h {
    send push "Your cart misses you"
    if not opened within 4h {
      send sms "Items are waiting in your cart"
    }
  }
}
)";

// The chain variant: every "opened" sends the next push and waits 24h again.
constexpr const char* kChain = R"(scenario chain "Chain" {
  trigger cart_abandoned
  goal order_placed where event.cart_id == trigger.cart_id within 7d
  wait 1h
  send email "Your cart is waiting"
  if not opened within 24h {
    send sms "Items are waiting in your cart"
  }
  send push "Still there? 1"
  if not opened within 24h {
    send sms "Items are waiting in your cart"
  }
  send push "Still there? 2"
  if not opened within 24h {
    send sms "Items are waiting in your cart"
  }
  send push "Still there? 3"
  if not opened within 24h {
    send sms "Items are waiting in your cart"
  }
}
)";

long rss_bytes() {
  long size = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double wall_ns(Clock::time_point t0) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

struct Rng {  // xorshift64*
  std::uint64_t s = 0x9E3779B97F4A7C15ull;
  std::uint64_t operator()() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

// a + decimal(n), by appending (g++ 12 at -O3 warns falsely, -Wrestrict, on `"u" + std::to_string(n)`).
std::string cat(std::string_view a, std::size_t n, std::string_view b = {}) {
  std::string s(a);
  s += std::to_string(n);
  s += b;
  return s;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_engine: %s\n", message.c_str());
  std::exit(1);
}

struct Compiled {
  project::Project project;
  bytecode::Module module;
};

// Writes the project and the scenario into a temporary folder and compiles them with the
// compiler library, exactly as `cascade run` does.
Compiled compile(const char* scenario, const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("cascade-bench-engine-" + tag + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cascade.yaml") << kProject;
  std::ofstream(dir / "bench.cascade") << scenario;
  driver::CheckRequest req;
  req.paths = {dir.string()};
  driver::CheckOutcome out = driver::check(req);
  fs::remove_all(dir);
  if (!out.project || out.diagnostics.has_errors()) die("the benchmark scenario does not check");
  for (const ast::File& f : out.checked.files)
    for (const ast::Decl& d : f.decls)
      if (const auto* sc = std::get_if<ast::Scenario>(&d.node)) {
        lower::LowerResult r = lower::lower_scenario(out.checked, *out.project, out.sources, *sc, f.file);
        if (!r.module) die("cannot lower: " + r.error);
        return Compiled{std::move(*out.project), std::move(*r.module)};
      }
  die("no scenario");
}


vm::Record decode(const vm::Shape& shape, const boost::json::value& v) {
  vm::Record r;
  if (auto e = vm::decode(shape, v, r)) die("decode: " + e->pointer + ": " + e->message);
  return r;
}

struct Population {
  std::unique_ptr<vm::Engine> engine;
  std::vector<std::string> ids;
  std::size_t counts[8] = {};  // trace records by action
  std::string json;            // the json sink's buffer
  long rss_before_profiles = 0, rss_after_profiles = 0, rss_after_wait = 0;
  vm::Engine::Memory mem_before{}, mem_after{};
  int cart_event = -1;
};

std::size_t total(const vm::Engine::Memory& m) { return m.instances + m.timers + m.messages + m.recipients_index; }

// N recipients with profiles, each triggered at T0; the clock then runs to T0 + 1h.
void populate(Population& pop, const Compiled& c, std::size_t n, bool json_sink) {
  pop.engine = std::make_unique<vm::Engine>(host::runtime_config(c.project));
  vm::Engine& e = *pop.engine;
  if (auto err = e.load(c.module)) die("load: " + err->message);
  if (json_sink) {
    pop.json.reserve(2u << 20);
    e.set_sink([&pop](const vm::TraceRecord& r) {
      ++pop.counts[static_cast<int>(r.action)];
      vm::append_json(r, "₽", pop.json);
      if (pop.json.size() >= (1u << 20)) pop.json.clear();
    });
  } else {
    e.set_sink([&pop](const vm::TraceRecord& r) { ++pop.counts[static_cast<int>(r.action)]; });
  }
  const vm::Shape* cart = e.event_shape("cart_abandoned", &pop.cart_event);
  if (!cart) die("no cart_abandoned");
  pop.ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) pop.ids.push_back(cat("u", i));

  pop.rss_before_profiles = rss_bytes();
  for (std::size_t i = 0; i < n; ++i) {
    boost::json::object p;
    p["email"] = cat("user", i, "@example.ru");
    p["phone"] = cat("+7916", 1000000 + i);
    p["push_token"] = "fcm:" + pop.ids[i];
    p["consent"] = boost::json::object{{"email", true}, {"sms", true}, {"push", true}};
    e.upsert_profile(pop.ids[i], decode(e.profile_shape(), p), kT0);
  }
  pop.rss_after_profiles = rss_bytes();
  pop.mem_before = e.memory();
  for (std::size_t i = 0; i < n; ++i) {
    boost::json::object d;
    d["cart_id"] = cat("c-", i);
    d["cart_url"] = cat("https://shop.example/cart/c-", i);
    d["total"] = 5490.0;
    d["items"] = 2;
    if (auto err = e.event(kT0, pop.ids[i], pop.cart_event, decode(*cart, d))) die("event: " + err->message);
  }
  if (auto err = e.advance(kT0 + 3600)) die("advance: " + err->message);
  pop.rss_after_wait = rss_bytes();
  pop.mem_after = e.memory();
  if (e.live_instances() != n) die("not every instance is waiting");
}

void memory_bench(std::size_t n) {
  const Compiled c = compile(kCart, "cart");
  Population pop;
  populate(pop, c, n, false);
  const double dn = static_cast<double>(n);
  const vm::Engine::Memory& a = pop.mem_before;
  const vm::Engine::Memory& b = pop.mem_after;
  const double engine_bytes = static_cast<double>(total(b) - total(a)) / dn;
  const double rss = static_cast<double>(pop.rss_after_wait - pop.rss_before_profiles - (pop.rss_after_profiles - pop.rss_before_profiles)) / dn;
  const double payload = static_cast<double>(b.payloads - a.payloads) / dn;
  std::printf(
      "{\"bench\":\"vm_memory\",\"n\":%zu,\"bytes_per_instance\":%.1f,\"parts\":{\"instances\":%.1f,\"timers\":%.1f,"
      "\"messages\":%.1f,\"recipients\":%.1f},\"rss_bytes_per_instance\":%.1f,\"payload_bytes_per_instance\":%.1f,"
      "\"rss_minus_payloads\":%.1f,\"profile_rss_bytes_per_recipient\":%.1f,\"sends\":%zu}\n",
      n, engine_bytes, static_cast<double>(b.instances - a.instances) / dn, static_cast<double>(b.timers - a.timers) / dn,
      static_cast<double>(b.messages - a.messages) / dn,
      static_cast<double>(b.recipients_index - a.recipients_index) / dn, rss, payload, rss - payload,
      static_cast<double>(pop.rss_after_profiles - pop.rss_before_profiles) / dn,
      pop.counts[static_cast<int>(vm::Action::Send)]);
  std::fflush(stdout);
}

void step_bench(std::size_t n, bool json_sink) {
  const Compiled c = compile(kChain, json_sink ? "chain-json" : "chain");
  // Message numbers are deterministic: the emails are m1..mN in recipient order (the 1h timers
  // fire in instance order), and each step sends exactly one message, so the k-th status of a
  // round makes message (sent so far + k + 1). All inputs are built before the clock starts.
  Rng rng;
  std::vector<std::uint32_t> current(n);  // recipient → its current message number
  std::iota(current.begin(), current.end(), 1u);
  std::uint32_t next_number = static_cast<std::uint32_t>(n) + 1;
  constexpr int kRounds = 2;
  std::vector<std::vector<std::uint32_t>> order(kRounds);
  std::vector<std::vector<std::string>> messages(kRounds);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::uint32_t>& perm = order[static_cast<std::size_t>(round)];
    perm.resize(n);
    std::iota(perm.begin(), perm.end(), 0u);
    for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng() % i]);
    auto& msgs = messages[static_cast<std::size_t>(round)];
    msgs.reserve(n);
    for (std::uint32_t r : perm) {
      msgs.push_back(cat("m", current[r]));
      current[r] = next_number++;
    }
  }

  // A small population runs its two rounds in well under a millisecond: it is built again
  // (untimed) until 200,000+ steps are timed.
  const std::size_t reps = std::max<std::size_t>(1, 200'000 / n);
  std::size_t errors = 0, sends = 0, records = 0;
  double cpu = 0, wall = 0;
  for (std::size_t rep = 0; rep < reps; ++rep) {
    Population pop;
    populate(pop, c, n, json_sink);
    vm::Engine& e = *pop.engine;
    const std::size_t sends_before = pop.counts[static_cast<int>(vm::Action::Send)];
    if (sends_before != n) die("expected one email per recipient");
    const double cpu0 = cpu_ns();
    const auto t0 = Clock::now();
    for (int round = 0; round < kRounds; ++round) {
      const vm::Time start = kT0 + 3600 * (round + 2);
      const auto& perm = order[static_cast<std::size_t>(round)];
      const auto& msgs = messages[static_cast<std::size_t>(round)];
      for (std::size_t k = 0; k < n; ++k) {
        const vm::Time at = start + static_cast<vm::Time>(k * 3600 / n);
        if (e.status(at, pop.ids[perm[k]], msgs[k], {}, vm::MsgStatus::Opened)) ++errors;
      }
    }
    wall += wall_ns(t0);
    cpu += cpu_ns() - cpu0;
    sends += pop.counts[static_cast<int>(vm::Action::Send)] - sends_before;
    records += pop.counts[static_cast<int>(vm::Action::Status)] + pop.counts[static_cast<int>(vm::Action::Send)] +
               pop.counts[static_cast<int>(vm::Action::Wait)] - 2 * n;
    if (e.live_instances() != n) die("the chain run lost instances");
  }
  const std::size_t steps = static_cast<std::size_t>(kRounds) * n * reps;
  if (errors || sends != steps) {
    die("the chain run is wrong: " + std::to_string(errors) + " errors, " + std::to_string(sends) + " sends for " +
        std::to_string(steps) + " steps");
  }
  std::printf(
      "{\"bench\":\"vm_step\",\"sink\":\"%s\",\"n\":%zu,\"steps\":%zu,\"ns_per_step\":%.1f,\"cpu_ns_per_step\":%.1f,"
      "\"records_per_step\":%.2f}\n",
      json_sink ? "json" : "none", n, steps, wall / static_cast<double>(steps), cpu / static_cast<double>(steps),
      static_cast<double>(records) / static_cast<double>(steps));
  std::fflush(stdout);
}

// The step function alone (issue 4, item 4: `(instance, input, now) → (instance', effects)`):
// Machine::step on the chain program's instances, each waiting for its e-mail's "opened"; the
// status resumes it, it sends push 1 and suspends on that push's "opened" within 24h. Per step
// the host's share is only what Machine::step needs as input: the instance's parts (header,
// slot block) and its Env, from the engine's benchmark hooks. Effects are checked (one Send of
// push 1, one Wait for "opened" 24h later) and counted. Instances are put back into their
// waiting state between rounds (untimed), so every round times the same step; each round is a
// fresh random order. Rounds: enough for 2,000,000 steps, at least 2.
void step_fn_bench(std::size_t n) {
  const Compiled c = compile(kChain, "chain-fn");
  Population pop;
  populate(pop, c, n, false);
  vm::Engine& e = *pop.engine;
  const auto first = e.step_parts(0);
  if (!first) die("no instance 0");
  const vm::Program& program = *first->program;
  // The e-mail's slot (what the instances wait on) and push 1's step number.
  const std::uint8_t slot = first->instance->wait_slot;
  const std::uint16_t push1 = static_cast<std::uint16_t>(first->instance->last_step + 2);
  std::vector<vm::Instance> saved(n);
  const std::size_t slot_count = program.module.slots;
  std::vector<std::uint32_t> saved_slots(n * slot_count);
  for (std::uint32_t i = 0; i < n; ++i) {
    const auto parts = e.step_parts(i);
    if (!parts || parts->instance->state != vm::State::Outcome || parts->instance->wait_slot != slot)
      die("instance " + std::to_string(i) + " is not waiting for its e-mail");
    saved[i] = *parts->instance;
    std::copy(parts->slots, parts->slots + slot_count, saved_slots.begin() + static_cast<std::ptrdiff_t>(i * slot_count));
  }
  const std::size_t rounds = std::max<std::size_t>(2, (2'000'000 + n - 1) / n);
  auto machine = std::make_unique<vm::Machine>();
  std::vector<vm::Effect> effects;
  effects.reserve(8);
  Rng rng;
  std::vector<std::uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  const vm::Input input{vm::InputKind::Status, slot, static_cast<std::uint8_t>(vm::MsgStatus::Opened)};
  std::size_t sends = 0, waits = 0, wrong = 0;
  std::int64_t until_sum = 0;
  double cpu = 0, wall = 0;
  vm::Env env;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[rng() % i]);
    const vm::Time now = kT0 + 7200 + static_cast<vm::Time>(round);
    const double cpu0 = cpu_ns();
    const auto t0 = Clock::now();
    for (const std::uint32_t idx : perm) {
      const auto parts = e.step_parts(idx);
      if (!parts) die("instance " + std::to_string(idx) + " is gone");
      e.step_env(*parts, env);
      effects.clear();
      machine->step(*parts->program, *parts->instance, parts->locals, parts->slots, input, now, env, effects);
      if (effects.size() == 2 && effects[0].kind == vm::EffectKind::Send && effects[0].step == push1 &&
          effects[1].kind == vm::EffectKind::Wait && effects[1].wait_for == vm::WaitFor::Opened) {
        ++sends;
        ++waits;
        until_sum += effects[1].until - now;
      } else {
        ++wrong;
      }
      machine->reset_arena();
    }
    wall += wall_ns(t0);
    cpu += cpu_ns() - cpu0;
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto parts = e.step_parts(i);
      *parts->instance = saved[i];
      std::copy_n(saved_slots.begin() + static_cast<std::ptrdiff_t>(i * slot_count), slot_count, parts->slots);
    }
  }
  const std::size_t steps = rounds * n;
  if (wrong || sends != steps || waits != steps || until_sum != static_cast<std::int64_t>(steps) * 86400)
    die("the step function did not do the chain's step: " + std::to_string(wrong) + " wrong of " + std::to_string(steps));
  std::printf(
      "{\"bench\":\"vm_step_fn\",\"n\":%zu,\"steps\":%zu,\"ns_per_step\":%.1f,\"cpu_ns_per_step\":%.1f,"
      "\"sends\":%zu,\"waits\":%zu}\n",
      n, steps, wall / static_cast<double>(steps), cpu / static_cast<double>(steps), sends, waits);
  std::fflush(stdout);
}

// The daemon's restart path: save the engine of N waiting instances, restore it into a new one.
void snapshot_bench(std::size_t n) {
  const Compiled c = compile(kCart, "snapshot");
  Population pop;
  populate(pop, c, n, false);
  auto t0 = Clock::now();
  const std::string bytes = pop.engine->save();
  const double save_ns = wall_ns(t0);
  vm::Engine fresh(host::runtime_config(c.project));
  if (auto err = fresh.load(c.module)) die("load: " + err->message);
  t0 = Clock::now();
  if (auto err = fresh.restore(bytes)) die("restore: " + err->message);
  const double restore_ns = wall_ns(t0);
  if (fresh.live_instances() != n) die("the restored engine lost instances");
  const double dn = static_cast<double>(n);
  std::printf(
      "{\"bench\":\"vm_snapshot\",\"n\":%zu,\"bytes\":%zu,\"bytes_per_recipient\":%.1f,\"save_s\":%.3f,"
      "\"restore_s\":%.3f,\"restore_instances_per_s\":%.0f}\n",
      n, bytes.size(), static_cast<double>(bytes.size()) / dn, save_ns / 1e9, restore_ns / 1e9, dn / (restore_ns / 1e9));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000;
  if (argc > 1) n = static_cast<std::size_t>(std::strtoull(argv[1], nullptr, 10));
  if (n == 0) die("N must be positive");
  const std::string what = argc > 2 ? argv[2] : "all";
  std::size_t step_n = n;
  if (argc > 3) step_n = static_cast<std::size_t>(std::strtoull(argv[3], nullptr, 10));
  if (step_n == 0) die("STEP_N must be positive");
  // One population at a time; each phase measures deltas, so what an earlier phase left in the
  // allocator does not count.
  if (what == "all" || what == "memory") memory_bench(n);
  if (what == "all" || what == "vm-step") {
    step_fn_bench(1000);
    if (n != 1000) step_fn_bench(n);
  }
  if (what == "all" || what == "step") step_bench(step_n, false);
  if (what == "all" || what == "step-json") step_bench(step_n, true);
  if (what == "all" || what == "snapshot") snapshot_bench(n);
  return 0;
}
