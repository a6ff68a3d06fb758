// `cascade simulate` through the built binary: reproducibility (same seed, same bytes; another
// seed, other numbers), agreement with `cascade run` on a profile sample whose outcomes are
// fixed by rates of 0 and 1 (the events file `run` gets is built here, from the profiles, by
// the scenario's own timeline), and located errors for bad audience and rates files.
#define BOOST_TEST_MODULE simulate
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "run_cascade.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using cascade::test::ProcessResult;
using cascade::test::cascade_cmd;

namespace {


struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cascade-simulate-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

const std::string kProject = "examples/cascade.yaml";
const std::string kData = "tests/simulate/data/";

std::vector<std::string> simulate_args(const std::string& scenario_file, const std::string& audience,
                                       const std::string& rates, std::uint64_t n,
                                       std::vector<std::string> more = {}) {
  std::vector<std::string> a = {"simulate", scenario_file, "--project", kProject,       "--audience",
                                audience,   "--rates",     rates,       "--recipients", std::to_string(n)};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

json::object simulate_json(const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.insert(a.end(), {"--format", "json"});
  const ProcessResult r = cascade_cmd(a);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  return json::parse(r.out).as_object();
}

std::uint64_t u(const json::value& v) {
  return static_cast<std::uint64_t>(v.as_int64());
}

// What both sides are compared on.
struct Counts {
  std::map<std::string, std::uint64_t> sends, failures;
  std::uint64_t treated = 0, control = 0, converted_treated = 0, converted_control = 0;
  bool operator==(const Counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Counts& c) {
  os << "sends{";
  for (const auto& [k, v] : c.sends) os << k << ":" << v << " ";
  os << "} failures{";
  for (const auto& [k, v] : c.failures) os << k << ":" << v << " ";
  return os << "} treated " << c.treated << " control " << c.control << " converted " << c.converted_treated
            << "/" << c.converted_control;
}

Counts from_simulate(const json::object& o) {
  Counts c;
  for (const json::value& ch : o.at("channels").as_array()) {
    const std::uint64_t n = u(ch.at("sends"));
    if (n > 0) c.sends[std::string(ch.at("channel").as_string())] = n;
  }
  for (const auto& kv : o.at("failures").as_object()) c.failures[std::string(kv.key())] = u(kv.value());
  c.treated = u(o.at("started").at("treated"));
  c.control = u(o.at("started").at("control"));
  c.converted_treated = u(o.at("conversions").at("treated").at("converted"));
  c.converted_control = u(o.at("conversions").at("control").at("converted"));
  return c;
}

// Counts from `cascade run`'s trace: sends by channel, failed sends by reason (a failure
// status counts as "failed"), starts and conversions by group.
Counts from_trace(const std::string& trace) {
  Counts c;
  std::map<std::string, bool> control;  // recipient → in the control group
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    const json::object r = json::parse(line).as_object();
    const std::string action(r.at("action").as_string());
    const std::string recipient(r.at("recipient").as_string());
    if (action == "start") {
      const bool is_control = r.at("group").as_string() == "control";
      control[recipient] = is_control;
      ++(is_control ? c.control : c.treated);
    } else if (action == "send") {
      ++c.sends[std::string(r.at("channel").as_string())];
    } else if (action == "skip" && r.contains("instance")) {
      ++c.failures[std::string(r.at("reason").as_string())];
    } else if (action == "status" && r.at("status").as_string() == "failed") {
      ++c.failures["failed"];
    } else if (action == "end" && r.at("outcome").as_string() == "converted") {
      ++(control[recipient] ? c.converted_control : c.converted_treated);
    }
  }
  return c;
}

// The sample's profiles, in file order.
std::vector<json::object> sample_profiles(const std::string& path) {
  std::ifstream in(path);
  std::vector<json::object> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line).as_object());
  return out;
}

bool reachable(const json::object& p, const char* address, const char* consent) {
  const json::value* a = p.if_contains(address);
  return a && a->is_string() && !a->as_string().empty() && p.at("consent").at(consent).as_bool();
}

// One input line for `cascade run`, keyed for a stable sort by time.
using Line = std::tuple<long, int, std::string>;

std::string at(long minutes) {
  // 2026-03-02T07:00:00Z (fixed.rates.yaml's start) + minutes.
  const long total = 7 * 60 + minutes;
  char buf[96];
  std::snprintf(buf, sizeof buf, "2026-03-%02ldT%02ld:%02ld:00Z", 2 + total / 1440, total / 60 % 24,
                total % 60);
  return buf;
}

// The events `fixed.rates.yaml` produces for one recipient of a scenario that sends email,
// then (after 2h unopened) push when `with_push`, then (after 2h unopened, or at once on a
// failed push) SMS: email delivered after 1m and never opened, push failed after 1m, SMS
// delivered 1m, opened 2m and the goal 3m after it left; the base goal 10h after the start.
std::string trigger_line(const std::string& id) {
  return "{\"at\":\"" + at(0) + "\",\"recipient\":\"" + id +
         "\",\"event\":\"cart_abandoned\",\"data\":{\"cart_id\":\"c-1\",\"cart_url\":\"https://shop.example/"
         "c-1\",\"total\":1000,\"items\":2}}";
}

void timeline(const std::string& id, const json::object& p, bool with_push, std::vector<Line>& out) {
  int seq = 0;
  auto add = [&](long minute, const std::string& text) { out.emplace_back(minute, seq++, text); };
  const std::string rid = "\"recipient\":\"" + id + "\"";
  add(0, trigger_line(id));
  long t = 0;
  if (reachable(p, "email", "email")) {
    add(1, "{\"at\":\"" + at(1) + "\"," + rid + ",\"status\":\"delivered\",\"channel\":\"email\"}");
    t = 120;
  }
  if (with_push) {
    const long push_at = t;
    if (reachable(p, "push_token", "push")) {
      add(push_at + 1,
          "{\"at\":\"" + at(push_at + 1) + "\"," + rid + ",\"status\":\"failed\",\"channel\":\"push\"}");
      t = push_at + 1;
    }
  }
  if (reachable(p, "phone", "sms")) {
    add(t + 1, "{\"at\":\"" + at(t + 1) + "\"," + rid + ",\"status\":\"delivered\",\"channel\":\"sms\"}");
    add(t + 2, "{\"at\":\"" + at(t + 2) + "\"," + rid + ",\"status\":\"opened\",\"channel\":\"sms\"}");
    add(t + 3,
        "{\"at\":\"" + at(t + 3) + "\"," + rid +
            ",\"event\":\"order_placed\",\"data\":{\"order_id\":\"\",\"cart_id\":\"c-1\",\"total\":0}}");
  }
  add(600, "{\"at\":\"" + at(600) + "\"," + rid +
               ",\"event\":\"order_placed\",\"data\":{\"order_id\":\"\",\"cart_id\":\"c-1\",\"total\":0}}");
}

std::string events_text(std::vector<Line> lines) {
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return std::get<0>(a) < std::get<0>(b); });
  std::string text;
  for (const Line& l : lines) text += std::get<2>(l) + "\n";
  return text;
}

std::string profiles_text(const std::vector<std::pair<std::string, json::object>>& people) {
  std::string text;
  for (auto [id, p] : people) {
    p["id"] = id;
    text += json::serialize(p) + "\n";
  }
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(same_seed_same_bytes_other_seed_other_numbers) {
  const auto args = simulate_args("examples/abandoned_cart.cascade", "examples/simulate/audience.yaml",
                                  "examples/simulate/rates.yaml", 3000);
  for (const char* format : {"text", "json"}) {
    auto a = args;
    a.insert(a.end(), {"--format", format, "--seed", "7"});
    const ProcessResult first = cascade_cmd(a), second = cascade_cmd(a);
    BOOST_TEST_REQUIRE(first.exit_code == 0, first.err);
    BOOST_TEST(!first.out.empty());
    BOOST_TEST(first.out == second.out);
  }
  auto seeded = [&](const char* seed) {
    auto a = args;
    a.insert(a.end(), {"--seed", seed});
    return simulate_json(a);
  };
  const json::object s7 = seeded("7"), s8 = seeded("8");
  BOOST_TEST(u(s7.at("recipients")) == 3000u);
  BOOST_TEST(u(s8.at("recipients")) == 3000u);
  BOOST_TEST(json::serialize(s7.at("channels")) != json::serialize(s8.at("channels")));
  BOOST_TEST(json::serialize(s7.at("reach")) != json::serialize(s8.at("reach")));
  // The forecast is plausible: the cascade sends, costs money, and reaches most people.
  BOOST_TEST(u(s7.at("started").at("total")) > 2000u);
  BOOST_TEST(s7.at("reach").at("delivered").at("share").as_double() > 0.5);
  BOOST_TEST(s7.at("version").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(agrees_with_run_on_fixed_outcomes) {
  TempDir dir;
  const std::string sample = kData + "sample.jsonl";
  const std::vector<json::object> profiles = sample_profiles(sample);
  BOOST_TEST_REQUIRE(profiles.size() == 6u);

  // Two passes over the sample: every profile twice, under ids s1…s12.
  std::vector<std::pair<std::string, json::object>> people;
  std::vector<Line> lines;
  for (std::size_t i = 0; i < 2 * profiles.size(); ++i) {
    const std::string id = "s" + std::to_string(i + 1);
    people.emplace_back(id, profiles[i % profiles.size()]);
    timeline(id, profiles[i % profiles.size()], true, lines);
  }
  const std::string profiles_path = dir.write("profiles.jsonl", profiles_text(people));
  const std::string events_path = dir.write("events.jsonl", events_text(lines));
  const ProcessResult run = cascade_cmd({"run", kData + "agree.cascade", "--project", kProject, "--profiles",
                                         profiles_path, "--events", events_path});
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.err);
  const Counts expected = from_trace(run.out);
  BOOST_TEST(expected.sends.at("sms") > 0u);  // the scenario really ran
  BOOST_TEST(expected.failures.at("failed") > 0u);

  const json::object sim =
      simulate_json(simulate_args(kData + "agree.cascade", sample, kData + "fixed.rates.yaml", 12));
  BOOST_TEST(from_simulate(sim) == expected);

  // One pass is exactly half of two.
  const json::object half =
      simulate_json(simulate_args(kData + "agree.cascade", sample, kData + "fixed.rates.yaml", 6));
  const Counts h = from_simulate(half);
  for (const auto& [channel, n] : expected.sends) BOOST_TEST(h.sends.at(channel) * 2 == n);
  BOOST_TEST(h.converted_treated * 2 == expected.converted_treated);

  // The other figures of the six, by hand: a, b get the email (delivered at +1m); c and d get
  // the SMS at once (delivered +1m, read — but an SMS has no open receipt, and the emails are
  // never opened, so nobody counts as opened); e's push fails; f has no channel.
  BOOST_TEST(u(half.at("reach").at("delivered").at("count")) == 4u);
  BOOST_TEST(u(half.at("reach").at("opened").at("count")) == 0u);
  BOOST_TEST(half.at("time_to_reach").at("median_seconds").as_int64() == 60);
  BOOST_TEST(half.at("time_to_reach").at("p90_seconds").as_int64() == 60);
  // Cost 2 × 0.2 + 3 × 2.0; all-SMS: 6 started × 2.0; all channels at once: a 2.2, b 0.2,
  // c 2.0, d 2.0, e 0, f 0.
  BOOST_TEST(half.at("cost").to_number<double>() == 6.4);
  BOOST_TEST(half.at("savings").at("all_sms").at("baseline").to_number<double>() == 12.0);
  BOOST_TEST(half.at("savings").at("all_sms").at("saved").to_number<double>() == 5.6);
  BOOST_TEST(half.at("savings").at("all_channels").at("baseline").to_number<double>() == 6.4);
}

BOOST_AUTO_TEST_CASE(agrees_with_run_with_a_control_group) {
  TempDir dir;
  // One profile (a: every channel), 200 recipients: who is held out depends on the id only.
  const std::string sample =
      dir.write("one.jsonl", json::serialize(sample_profiles(kData + "sample.jsonl").front()) + "\n");
  const json::object profile = sample_profiles(sample).front();
  std::vector<std::pair<std::string, json::object>> people;
  for (int i = 1; i <= 200; ++i) people.emplace_back("s" + std::to_string(i), profile);
  const std::string profiles_path = dir.write("profiles.jsonl", profiles_text(people));

  // First the starts alone, to learn who is held out (control members get no messages, so
  // their status lines would be refused).
  std::vector<Line> triggers;
  for (const auto& [id, p] : people) triggers.emplace_back(0, 0, trigger_line(id));
  const ProcessResult starts =
      cascade_cmd({"run", kData + "control.cascade", "--project", kProject, "--profiles", profiles_path,
                   "--events", dir.write("starts.jsonl", events_text(triggers)), "--until", at(1)});
  BOOST_TEST_REQUIRE(starts.exit_code == 0, starts.err);
  std::map<std::string, bool> control;
  std::istringstream in(starts.out);
  for (std::string line; std::getline(in, line);) {
    const json::object r = json::parse(line).as_object();
    if (r.at("action").as_string() == "start")
      control[std::string(r.at("recipient").as_string())] = r.at("group").as_string() == "control";
  }
  BOOST_TEST_REQUIRE(control.size() == 200u);

  std::vector<Line> lines;
  for (const auto& [id, p] : people) {
    if (!control.at(id)) {
      timeline(id, p, false, lines);
      continue;
    }
    lines.emplace_back(0, 0, trigger_line(id));
    lines.emplace_back(
        600, 1,
        "{\"at\":\"" + at(600) + "\",\"recipient\":\"" + id +
            "\",\"event\":\"order_placed\",\"data\":{\"order_id\":\"\",\"cart_id\":\"c-1\",\"total\":0}}");
  }
  const ProcessResult run =
      cascade_cmd({"run", kData + "control.cascade", "--project", kProject, "--profiles", profiles_path,
                   "--events", dir.write("events.jsonl", events_text(lines))});
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.err);
  const Counts expected = from_trace(run.out);
  BOOST_TEST(expected.control > 20u);  // 30% of 200, give or take the hash
  BOOST_TEST(expected.converted_control == expected.control);

  const Counts got = from_simulate(
      simulate_json(simulate_args(kData + "control.cascade", sample, kData + "fixed.rates.yaml", 200)));
  BOOST_TEST(got == expected);
}

BOOST_AUTO_TEST_CASE(bad_inputs_get_located_errors) {
  TempDir dir;
  const std::string cart = "examples/abandoned_cart.cascade";
  const std::string audience = "examples/simulate/audience.yaml", rates = "examples/simulate/rates.yaml";
  auto expect = [&](const std::string& a, const std::string& r, int code, const std::string& message) {
    const ProcessResult p = cascade_cmd(simulate_args(cart, a, r, 10));
    BOOST_TEST(p.exit_code == code, message << ": exit " << p.exit_code << "\n" << p.err);
    BOOST_TEST(p.err.find(message) != std::string::npos, "missing: " << message << "\nin:\n" << p.err);
    BOOST_TEST(p.out.empty());
  };
  const std::string bad_yaml = dir.write("bad.yaml", "channels:\n  email: { address: 50%\n");
  expect(bad_yaml, rates, 1, bad_yaml + ":3:1: error: ");
  const std::string unknown_channel =
      dir.write("r1.yaml", "channels:\n  email: { delivered: 1 }\n  telegram: { delivered: 1 }\n");
  expect(audience, unknown_channel, 1, unknown_channel + ":3:3: error: unknown channel `telegram`");
  const std::string bad_rate = dir.write("r2.yaml", "channels:\n  email:\n    opened: 150%\n");
  expect(audience, bad_rate, 1,
         bad_rate + ":3:13: error: channel `email`: opened: 150% is not between 0 and 1");
  const std::string bad_delay =
      dir.write("r3.yaml", "channels:\n  email:\n    delays: { opened: { median: 2h, p90: 1h } }\n");
  expect(audience, bad_delay, 1,
         bad_delay + ":3:42: error: channel `email`: delays.opened: p90 must not be less than the median");
  const std::string missing = dir.write("r4.yaml", "channels:\n  email: { delivered: 1 }\n");
  expect(audience, missing, 1,
         missing + ":2:3: error: no rates for channel `push`, which the scenario sends on");
  const std::string bad_field = dir.write("a1.yaml", "fields:\n  favourite_colour: red\n");
  expect(bad_field, rates, 1, bad_field + ":2:3: error: `fields`: unknown field `favourite_colour`");
  const std::string bad_type = dir.write("a2.yaml", "fields:\n  orders_count: { min: 1, max: lots }\n");
  expect(bad_type, rates, 1, bad_type + ":2:32: error: orders_count: `lots` is not a number");
  const std::string bad_trigger =
      dir.write("r5.yaml", "channels: { email: {}, push: {}, sms: {} }\ntrigger:\n  total: cheap\n");
  expect(audience, bad_trigger, 1, bad_trigger + ":3:10: error: total: `cheap` is not a number");
  const std::string bad_line =
      dir.write("s.jsonl",
                "{\"id\":\"x\",\"ltv\":1,\"orders_count\":0,\"tags\":[],\"vip\":false,\"has_app\":false,"
                "\"points\":0,\"registered_at\":\"2025-01-01T00:00:00Z\",\"consent\":{\"email\":true,\"sms\":"
                "true,\"push\":true,\"viber\":true}}\n{\"id\": oops}\n");
  expect(bad_line, rates, 1, bad_line + ":2:8: error: invalid JSON");
  const std::string bad_profile = dir.write("s2.jsonl", "{\"id\":\"x\",\"ltv\":\"much\"}\n");
  expect(bad_profile, rates, 1, bad_profile + ":1: error: /ltv: ");
  const std::string not_a_map = dir.write("r6.yaml", "- 1\n- 2\n");
  expect(audience, not_a_map, 1, not_a_map + ":1:1: error: the rates: expected a map");
  const std::string empty = dir.write("empty.yaml", "");
  expect(empty, rates, 1, empty + ": error: the audience: expected a map");
  expect(audience, (dir.path / "nope.yaml").string(), 2, "nope.yaml: error: cannot read the file");
  expect("examples", rates, 2, "examples: error: is a folder");

  // Junk never crashes: each is refused with exit 1 (cascade_cmd fails the test on a signal).
  const std::string junk[] = {
      std::string("\0\x01\xff\xfe garbage", 13),
      std::string(5000, '['),
      "channels: &a [*a]\n",
      "channels:\n  email: { delivered: 1e999 }\n",
      "channels:\n  email: { delays: { opened: { mean: -5s } } }\n",
      "channels:\n  ? [email]\n  : 1\n",
      "trigger:\n  total: { min: 1, max: 1e300 }\nchannels: {}\n",
      "\t\tchannels: 1\n",
      "channels:\n  email:\n    delays:\n      opened: { median: 99999999999999999999d, p90: 1d }\n"};
  int i = 0;
  for (const std::string& text : junk) {
    const std::string a = dir.write("junk" + std::to_string(i) + ".yaml", text);
    const std::string r = dir.write("junkr" + std::to_string(i++) + ".yaml", text);
    for (const auto& [aud, rat] : {std::pair{a, rates}, std::pair{audience, r}}) {
      const ProcessResult p = cascade_cmd(simulate_args(cart, aud, rat, 10));
      BOOST_TEST(p.exit_code == 1, text.substr(0, 40) << ": exit " << p.exit_code << "\n" << p.err);
      BOOST_TEST(p.err.find(": error: ") != std::string::npos, p.err);
    }
  }

  const ProcessResult fmt = cascade_cmd(simulate_args(cart, audience, rates, 10, {"--format", "xml"}));
  BOOST_TEST(fmt.exit_code == 2);
  const ProcessResult several = cascade_cmd(simulate_args("examples", audience, rates, 10));
  BOOST_TEST(several.exit_code == 2);
  BOOST_TEST(several.err.find("choose one with --scenario") != std::string::npos, several.err);
}
