// `cascade serve` end to end, against /work/notes/daemon-api.md (the contract): the daemon is a
// real child process on loopback, its webhook providers point at the test's own receiver, and
// every request goes through a real HTTP client. Each case starts its own daemon on its own
// scratch folder, on a virtual clock, so cases are independent and a week runs in a second.
#define BOOST_TEST_MODULE daemon_tests
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <regex>
#include <set>

#include "../golden/run_process.hpp"
#include "world.hpp"

using namespace cascade::daemon_test;
namespace json = boost::json;
namespace ctest = cascade::test;

namespace {

const std::string kEnd = "2026-03-25T00:00:00Z";

std::string error_code(const Reply& r) {
  const json::value v = r.json();
  if (!v.is_object()) return "";
  const auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return "";
  return field(e->as_object(), "code");
}

// Every error answer must be {"error":{"status","code","message",…}} with the HTTP status.
void check_error_shape(const Reply& r, int status, const std::string& what) {
  BOOST_TEST(r.status == status, what << ": expected " << status << ", got " << r.status << " " << r.body << r.error);
  const json::value v = r.json();
  BOOST_TEST_REQUIRE(v.is_object(), what << ": the error is not JSON: " << r.body);
  const auto* e = v.as_object().if_contains("error");
  BOOST_TEST_REQUIRE((e && e->is_object()), what << ": no \"error\" object: " << r.body);
  const auto& eo = e->as_object();
  BOOST_TEST((eo.contains("status") && eo.at("status").is_number() && eo.at("status").to_number<int>() == status),
             what << ": error.status: " << r.body);
  BOOST_TEST(!field(eo, "code").empty(), what << ": error.code: " << r.body);
  BOOST_TEST(!field(eo, "message").empty(), what << ": error.message: " << r.body);
}

json::object card_txn(const std::string& recipient, const std::string& merchant, double amount = 100.0) {
  return {{"recipient", recipient},
          {"event", "card_transaction"},
          {"data", {{"amount", amount}, {"merchant", merchant}, {"card_last4", "1234"}}}};
}

// The webhook bodies for `recipient` on `channel`.
std::vector<json::object> sends_to(const World& w, const std::string& recipient, const std::string& channel) {
  std::vector<json::object> out;
  for (auto& b : w.received())
    if (field(b, "recipient") == recipient && field(b, "channel") == channel) out.push_back(b);
  return out;
}

}  // namespace

// 1. The examples end to end. What is compared, and why this way: the daemon's trace
// (DATA/trace.jsonl) must equal `cascade run`'s for the same scenarios, profiles and events,
// record for record. The engine is the same; what differs is where statuses come from. In
// `cascade run` a status is an input line; in the daemon it is also what the provider path
// reports — a provider's *final failure* becomes a `failed` status input. So the comparison
// uses (a) examples/events.jsonl WITHOUT its status lines and (b) a receiver that accepts every
// send at once: then no status enters either run (a provider's acceptance is not a status), and
// any difference is the daemon's fault — clock handling, ordering of inputs against timers,
// replays, or the trace writer. The daemon gets each event with its own `at`, after its clock was
// moved to that instant, like `cascade run` interleaves timers and inputs; both end at kEnd
// (`--until`), far past the last instance's end (checked: every start has its end).
// With `with_status`, the status lines go in too (as /v1/events inputs, in the same order): with
// the receiver accepting everything, they are still the only statuses, so the traces must still
// be equal — the stronger check, kept second so a difference shows which part is at fault.
void examples_against_cascade_run(bool with_status) {
  World w(with_status ? "examples-status" : "examples");
  w.deploy_all();

  const std::string profiles = ctest::slurp("examples/profiles.jsonl");
  const Reply pr = w.client().post("/v1/profiles", profiles, "application/x-ndjson");
  BOOST_TEST_REQUIRE(pr.status == 202, "POST /v1/profiles: " << pr.status << " " << pr.body << pr.error);
  BOOST_TEST(pr.json().as_object().at("accepted").to_number<int>() == 12, pr.body);

  std::string events_sent;
  std::string clock = kStart;
  int events = 0;
  for (const auto& line : lines_of(ctest::slurp("examples/events.jsonl"))) {
    const json::object ev = json::parse(line).as_object();
    if (ev.contains("status") && !with_status) continue;
    events_sent += line + "\n";
    const std::string at = field(ev, "at");
    if (at > clock) {  // RFC 3339 in UTC with Z: text order is time order
      w.advance(at);
      clock = at;
    }
    w.post_event(ev);
    ++events;
  }
  BOOST_TEST(events == (with_status ? 56 : 36));
  w.advance(kEnd);

  const fs::path events_file = w.dir / "events.jsonl";
  std::ofstream(events_file) << events_sent;
  const auto run = ctest::run_process({CASCADE_BINARY, "run", w.project.string(), "--project",
                                       (w.project / "cascade.yaml").string(), "--profiles",
                                       "examples/profiles.jsonl", "--events", events_file.string(), "--until", kEnd});
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.err);
  const auto expected = lines_of(run.out);
  std::size_t starts = 0, ends = 0;
  for (const auto& l : expected) {
    const std::string action = field(json::parse(l).as_object(), "action");
    starts += action == "start";
    ends += action == "end";
  }
  BOOST_TEST(starts == ends, "kEnd is too early: " << starts << " starts, " << ends << " ends");
  std::set<std::string> sent_ids;
  for (const auto& l : expected) {
    const json::object o = json::parse(l).as_object();
    if (field(o, "action") == "send") sent_ids.insert(field(o, "message"));
  }
  auto received_ids = [&] {
    std::set<std::string> ids;
    for (const auto& b : w.received()) ids.insert(field(b, "id"));
    return ids;
  };
  // Sends leave after their commit, asynchronously: wait for the last of them.
  BOOST_TEST(eventually([&] { return received_ids().size() >= sent_ids.size(); }),
             "the receiver got " << received_ids().size() << " of " << sent_ids.size() << " messages");

  // A clean stop (SIGTERM) applies and flushes everything; the contract says exit 0.
  BOOST_TEST_REQUIRE(w.daemon->stop() == 0, "SIGTERM did not exit 0:\n" << w.daemon->log_tail());
  const auto got = lines_of(ctest::slurp(w.daemon->trace_path()));
  BOOST_TEST(expected.size() > 150u);
  BOOST_TEST(got.size() == expected.size(), "trace.jsonl has " << got.size() << " records, cascade run "
                                                                 << expected.size());
  for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
    // Byte for byte: the trace format fixes the key order and the spelling of values, and the
    // daemon writes the same format as `cascade run`. The first differing record is shown.
    if (got[i] != expected[i]) {
      BOOST_ERROR("record " << i + 1 << " differs\n daemon:      " << got[i] << "\n cascade run: " << expected[i]);
      break;
    }
  }

  // Every send of the trace reached the receiver, under its message id, once per key.
  std::map<std::string, std::set<std::string>> keys_of;
  for (const auto& r : w.receiver.requests()) keys_of[field(json::parse(r.body).as_object(), "id")].insert(r.key);
  BOOST_TEST(sent_ids.size() > 30u);
  BOOST_TEST((received_ids() == sent_ids), "sends in the trace: " << sent_ids.size() << ", message ids received: "
                                                                  << received_ids().size());
  for (const auto& [id, keys] : keys_of) {
    BOOST_TEST(keys.size() == 1u, id << " came under " << keys.size() << " idempotency keys");
    BOOST_TEST((keys.size() == 1 && keys.begin()->ends_with(":" + id)), id << ": key " << *keys.begin());
  }
}

BOOST_AUTO_TEST_CASE(examples_trace_equals_cascade_run) { examples_against_cascade_run(false); }

// An upgrade: the newest snapshot is in a format this build does not write (here: its engine
// part's version is changed). The daemon must not refuse to start; it replays its whole log,
// which gives the same instances and the same trace, byte for byte.
BOOST_AUTO_TEST_CASE(a_snapshot_of_another_format_is_replaced_by_the_whole_log) {
  World w("upgrade");
  w.deploy_all();
  const Reply pr = w.client().post("/v1/profiles", ctest::slurp("examples/profiles.jsonl"), "application/x-ndjson");
  BOOST_TEST_REQUIRE(pr.status == 202, pr.body);
  std::string clock = kStart;
  for (const auto& line : lines_of(ctest::slurp("examples/events.jsonl"))) {
    const json::object ev = json::parse(line).as_object();
    if (ev.contains("status")) continue;
    if (field(ev, "at") > clock) w.advance(clock = field(ev, "at"));
    w.post_event(ev);
  }
  w.advance("2026-03-10T00:00:00Z");  // some instances still wait
  BOOST_TEST_REQUIRE(w.daemon->stop() == 0, w.daemon->log_tail());
  const std::string trace_before = ctest::slurp(w.daemon->trace_path());
  const std::string scenarios_before = [&] {
    w.daemon->start();
    const Reply r = w.client().get("/v1/scenarios");
    BOOST_TEST_REQUIRE(w.daemon->stop() == 0, w.daemon->log_tail());
    return r.body;
  }();

  // The newest snapshot: "CSDS", u32 header length, the header, then the engine's bytes
  // ("CSNP", u32 format, …).
  fs::path newest;
  for (const auto& e : fs::directory_iterator(w.daemon->options().data / "snapshots"))
    if (e.path().extension() == ".bin" && (newest.empty() || e.path().filename() > newest.filename())) newest = e.path();
  BOOST_TEST_REQUIRE(!newest.empty());
  std::string bytes = ctest::slurp(newest);
  std::uint32_t header = 0;
  std::memcpy(&header, bytes.data() + 4, 4);
  BOOST_TEST_REQUIRE(bytes.compare(8 + header, 4, "CSNP") == 0);
  bytes[8 + header + 4] = static_cast<char>(bytes[8 + header + 4] - 1);  // an older format
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes;

  // Some instances still wait, so the replay has live state to rebuild, not only history.
  BOOST_TEST(std::regex_search(scenarios_before, std::regex(R"("live":[1-9])")), scenarios_before);

  w.daemon->start();
  const Reply after = w.client().get("/v1/scenarios");
  BOOST_TEST(after.body == scenarios_before);
  BOOST_TEST_REQUIRE(w.daemon->stop() == 0, w.daemon->log_tail());
  BOOST_TEST(w.daemon->log_tail(100000).find("the newest snapshot is in another format") != std::string::npos);
  BOOST_TEST((ctest::slurp(w.daemon->trace_path()) == trace_before), "the trace differs after the whole log's replay");
}

BOOST_AUTO_TEST_CASE(examples_with_status_lines_trace_equals_cascade_run) { examples_against_cascade_run(true); }

// 2a. A delivered report stops the fall-through, no report lets it happen: card_txn sends a
// push and, when it is not delivered within 1m, an SMS.
BOOST_AUTO_TEST_CASE(status_reports_drive_fall_through) {
  World w("status");
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  w.put_profile(World::example_profile("u8"));
  w.post_event(card_txn("u1", "Shop One"));
  w.post_event(card_txn("u8", "Shop Eight"));
  BOOST_TEST_REQUIRE(eventually([&] { return w.receiver.requests().size() >= 2; }),
                     "two pushes did not reach the receiver\n" << w.daemon->log_tail());
  const auto push_u1 = sends_to(w, "u1", "push");
  BOOST_TEST_REQUIRE(push_u1.size() == 1u);
  BOOST_TEST_REQUIRE(sends_to(w, "u8", "push").size() == 1u);
  const std::string m1 = field(push_u1[0], "id");

  const Reply s = w.client().post_json("/v1/status", json::object{{"message", m1}, {"status", "delivered"}});
  BOOST_TEST_REQUIRE(s.status == 202, "POST /v1/status: " << s.status << " " << s.body);

  w.advance("2026-03-02T08:00:59Z");
  BOOST_TEST(w.history("u8", "send", "sms").empty(), "u8's SMS went before the minute was up");
  w.advance("2026-03-02T08:02:00Z");
  BOOST_TEST(w.history("u1", "send", "sms").empty(), "u1's push was delivered, yet an SMS was sent");
  const auto u1_status = w.history("u1", "status");
  BOOST_TEST_REQUIRE(u1_status.size() == 1u);
  BOOST_TEST(field(u1_status[0], "message") == m1);
  BOOST_TEST(field(u1_status[0], "status") == "delivered");
  const auto u8_sms = w.history("u8", "send", "sms");
  BOOST_TEST_REQUIRE(u8_sms.size() == 1u, "u8's push got no report: the SMS must follow");
  BOOST_TEST(field(u8_sms[0], "at") == "2026-03-02T08:01:00Z");
  BOOST_TEST(eventually([&] { return sends_to(w, "u8", "sms").size() == 1; }), "u8's SMS did not reach the receiver");
  BOOST_TEST(sends_to(w, "u1", "sms").empty());
  for (const auto& id : {"u1", "u8"}) {
    BOOST_TEST(w.history(id, "end").size() == 1u, id << "'s instance did not end");
  }
}

// 2b. The receiver answers 500 to every attempt of the push: after the last attempt the message
// is `failed` (provider_error) and the cascade falls through to the SMS at once, without the
// clock moving. Attempts reuse one idempotency key.
BOOST_AUTO_TEST_CASE(provider_failure_falls_through) {
  World w("failure", ", max_attempts: 3, backoff: 10ms, max_backoff: 20ms");
  w.receiver.script({::test::Answer::fail500, ::test::Answer::fail500, ::test::Answer::fail500}, ::test::Answer::ok);
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  w.post_event(card_txn("u1", "Shop One"));

  BOOST_TEST_REQUIRE(eventually([&] { return !w.history("u1", "send", "sms").empty(); }),
                     "no SMS after the push failed\n" << w.daemon->log_tail());
  const auto pushes = sends_to(w, "u1", "push");
  BOOST_TEST_REQUIRE(pushes.size() == 3u, "attempts of the push: " << pushes.size());
  const std::string m = field(pushes[0], "id");
  std::set<std::string> keys;
  for (const auto& r : w.receiver.requests())
    if (json::parse(r.body).as_object().at("id").as_string() == m) keys.insert(r.key);
  BOOST_TEST(keys.size() == 1u, "the retries of " << m << " used " << keys.size() << " keys");

  const auto statuses = w.history("u1", "status");
  BOOST_TEST_REQUIRE(statuses.size() == 1u);
  BOOST_TEST(field(statuses[0], "message") == m);
  BOOST_TEST(field(statuses[0], "status") == "failed");
  BOOST_TEST(field(statuses[0], "reason") == "provider_error", json::serialize(statuses[0]));
  BOOST_TEST(eventually([&] { return sends_to(w, "u1", "sms").size() == 1; }), "the SMS did not reach the receiver");

  const Reply metrics = w.client().get("/metrics");
  BOOST_TEST(metrics.body.find("cascade_provider_results_total") != std::string::npos);
}

// 2c'. A receiver that stalls past the provider's timeout: the attempt is abandoned and retried
// with the same idempotency key and the same body, and the message is not failed.
BOOST_AUTO_TEST_CASE(stalled_receiver_is_retried_with_the_same_key) {
  World w("stall", ", timeout: 300ms, backoff: 10ms, max_backoff: 20ms");
  w.receiver.stall_for(std::chrono::milliseconds(3000));
  w.receiver.script({::test::Answer::stall}, ::test::Answer::ok);
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  w.post_event(card_txn("u1", "Shop One"));
  BOOST_TEST_REQUIRE(eventually([&] { return sends_to(w, "u1", "push").size() >= 2; }),
                     "the stalled push was not retried\n" << w.daemon->log_tail());
  const auto requests = w.receiver.requests();
  BOOST_TEST_REQUIRE(requests.size() >= 2u);
  BOOST_TEST(requests[0].key == requests[1].key);
  BOOST_TEST(requests[0].body == requests[1].body);
  BOOST_TEST((requests[1].at - requests[0].at >= std::chrono::milliseconds(250)), "retried before the timeout");
  w.advance("2026-03-02T08:00:30Z");  // everything reported so far is applied by now
  BOOST_TEST(w.history("u1", "status").empty(), "a retried send must not be reported failed");
  BOOST_TEST(w.history("u1", "send", "sms").empty());
}

// 2c. The metric families the contract names are exported with samples once there is something
// to count; cascade_outbox{state} ("Outbox rows by state") in particular, since it is how an
// operator sees a backlog towards a provider.
BOOST_AUTO_TEST_CASE(metrics_export_the_contract_families) {
  World w("metrics");
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  w.post_event(card_txn("u1", "Shop One"));
  BOOST_TEST_REQUIRE(eventually([&] { return !sends_to(w, "u1", "push").empty(); }));
  std::string text;
  auto sample = [&](const std::string& pattern) {
    return std::regex_search(text, std::regex("(^|\n)" + pattern + " [0-9.e+-]+(\n|$)"));
  };
  // The acknowledgement is counted after the receiver's answer has come back.
  BOOST_TEST(eventually([&] {
    text = w.client().get("/metrics").body;
    return sample(R"(cascade_provider_results_total\{provider="fcm",result="[a-z_]+"\})");
  }), text);
  BOOST_TEST(sample(R"(cascade_inputs_total\{kind="event"\})"), text);
  BOOST_TEST(sample("cascade_applied_seq"), text);
  BOOST_TEST(sample("cascade_instances_live"), text);
  BOOST_TEST(sample(R"(cascade_sends_total\{channel="push"\})"), text);
  BOOST_TEST(sample(R"(cascade_outbox\{state="pending"\})"), "no cascade_outbox{state=\"pending\"} sample:\n" << text);
  BOOST_TEST(sample(R"(cascade_outbox\{state="acknowledged"\})"), "no cascade_outbox{state=\"acknowledged\"} sample");
}

// 3. The open pixel and the click redirect, with the URLs the daemon put into a webhook body.
BOOST_AUTO_TEST_CASE(pixel_and_redirect) {
  World w("tracking");
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  w.post_event(json::parse(R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","event":"cart_abandoned",
    "data":{"cart_id":"c-1001","cart_url":"https://shop.example/cart/c-1001","total":5490.0,"items":2}})"));
  w.advance("2026-03-02T11:00:00Z");
  BOOST_TEST_REQUIRE(eventually([&] { return !sends_to(w, "u1", "email").empty(); }),
                     "the cart email did not reach the receiver\n" << w.daemon->log_tail());
  const json::object email = sends_to(w, "u1", "email")[0];
  const std::string body = json::serialize(email);
  const std::string pixel = field(email, "pixel");
  const std::string base = w.daemon->url();
  BOOST_TEST_REQUIRE(pixel.rfind(base + "/t/o/", 0) == 0, "pixel URL: " << pixel);
  std::smatch m;
  BOOST_TEST_REQUIRE(std::regex_search(body, m, std::regex(R"(http://127\.0\.0\.1:\d+/t/c/[A-Za-z0-9_.\-]+)")),
                     "no /t/c/ link in the webhook body: " << body);
  const std::string click = m.str();
  BOOST_TEST(click.rfind(base + "/t/c/", 0) == 0, click);
  auto target = [&](const std::string& url) { return url.substr(base.size()); };

  // The pixel: 200 image/gif, and an `opened` status in the recipient's history.
  Client anonymous(w.daemon->port(), "");  // tracking URLs are opened by mail clients, without a token
  const Reply px = anonymous.get(target(pixel));
  BOOST_TEST(px.status == 200, px.body);
  BOOST_TEST(px.content_type == "image/gif");
  BOOST_TEST((px.body.size() > 6 && px.body.substr(0, 3) == "GIF"));
  const std::string message = field(email, "id");
  auto has_status = [&](const std::string& status) {
    for (const auto& s : w.history("u1", "status"))
      if (field(s, "message") == message && field(s, "status") == status) return true;
    return false;
  };
  BOOST_TEST(eventually([&] { return has_status("opened"); }), "no `opened` status after the pixel");

  // The redirect: 302 to the UTM'd URL, and `clicked`.
  const Reply c = anonymous.get(target(click));
  BOOST_TEST(c.status == 302, c.status << " " << c.body);
  BOOST_TEST(c.location ==
             "https://shop.example/cart/c-1001?utm_source=cascade&utm_medium=email&utm_campaign=abandoned_cart"
             "&utm_content=1");
  BOOST_TEST(eventually([&] { return has_status("clicked"); }), "no `clicked` status after the redirect");

  // Forged tokens: one character of the signature changed. The redirect refuses (404, no
  // Location: never an open redirect); the pixel still answers its image and reports nothing.
  auto forge = [](std::string url) {
    char& ch = url.back();
    ch = ch == 'A' ? 'B' : 'A';
    return url;
  };
  const auto opened_before = w.history("u1", "status").size();
  const Reply fc = anonymous.get(target(forge(click)));
  BOOST_TEST(fc.status == 404, fc.status << " " << fc.body);
  BOOST_TEST(fc.location.empty());
  const Reply fp = anonymous.get(target(forge(pixel)));
  BOOST_TEST(fp.status == 200);
  BOOST_TEST(fp.content_type == "image/gif");
  const Reply junk = anonymous.get("/t/c/not-a-token");
  BOOST_TEST(junk.status == 404);
  w.advance("2026-03-02T11:00:01Z");  // applied up to here: a forged open would show by now
  BOOST_TEST(w.history("u1", "status").size() == opened_before);
}

// 4. Redeploy with running instances: new instances start on version 2, running ones finish on
// version 1; GET /v1/scenarios shows both versions with their live instances.
BOOST_AUTO_TEST_CASE(redeploy_keeps_running_instances_on_their_version) {
  World w("redeploy");
  w.deploy_all();
  for (const auto& id : {"u1", "u2"}) w.put_profile(World::example_profile(id));
  auto cart = [](const std::string& who, const std::string& at) {
    return json::parse(R"({"at":")" + at + R"(","recipient":")" + who +
                       R"(","event":"cart_abandoned","data":{"cart_id":"c-)" + who +
                       R"(","cart_url":"https://shop.example/c","total":5490.0,"items":2}})");
  };
  w.post_event(cart("u1", "2026-03-02T10:00:00Z"));
  w.advance("2026-03-02T10:00:00Z");

  // Version 2: another template for the email, another push text.
  const fs::path file = w.project / "abandoned_cart.cascade";
  std::string text = ctest::slurp(file);
  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    BOOST_TEST_REQUIRE(at != std::string::npos, from);
    text.replace(at, from.size(), to);
  };
  replace("\"cart_1\"", "\"cart_1_v2\"");
  replace("корзина скучает без вас", "v2: корзина скучает");
  std::ofstream(file) << text;
  const std::string printed = w.deploy_all();
  BOOST_TEST(printed.find("abandoned_cart: version 2 (new)") != std::string::npos, printed);
  BOOST_TEST(printed.find("card_txn: version 1 (unchanged)") != std::string::npos, printed);

  const Reply sc = w.client().get("/v1/scenarios");
  BOOST_TEST_REQUIRE(sc.status == 200, sc.body);
  auto versions_of = [&](const Reply& r) {
    std::map<int, json::object> out;
    const json::value all = r.json();  // kept: a range-for over a temporary's member dangles
    for (const auto& s : all.at("scenarios").as_array())
      if (field(s.as_object(), "name") == "abandoned_cart")
        for (const auto& v : s.at("versions").as_array()) out[v.at("version").to_number<int>()] = v.as_object();
    return out;
  };
  auto v = versions_of(sc);
  BOOST_TEST_REQUIRE(v.size() == 2u, sc.body);
  BOOST_TEST(v[1].at("live").to_number<int>() == 1, sc.body);
  BOOST_TEST(v[2].at("live").to_number<int>() == 0, sc.body);
  BOOST_TEST(field(v[1], "program_hash") != field(v[2], "program_hash"));

  w.post_event(cart("u2", "2026-03-02T11:30:00Z"));
  w.advance("2026-03-02T11:30:00Z");
  v = versions_of(w.client().get("/v1/scenarios"));
  BOOST_TEST(v[1].at("live").to_number<int>() == 1);
  BOOST_TEST(v[2].at("live").to_number<int>() == 1);

  // A day and a half on: u1 (v1) got cart_1 and v1's push, u2 (v2) cart_1_v2 and v2's push.
  w.advance("2026-03-04T00:00:00Z");
  const auto u1_email = w.history("u1", "send", "email");
  const auto u2_email = w.history("u2", "send", "email");
  BOOST_TEST_REQUIRE(u1_email.size() == 1u);
  BOOST_TEST_REQUIRE(u2_email.size() == 1u);
  BOOST_TEST(field(u1_email[0], "template") == "cart_1");
  BOOST_TEST(field(u2_email[0], "template") == "cart_1_v2");
  const auto u1_push = w.history("u1", "send", "push");
  const auto u2_push = w.history("u2", "send", "push");
  if (!u1_push.empty()) BOOST_TEST(field(u1_push[0], "text").find("v2:") == std::string::npos);
  if (!u2_push.empty()) BOOST_TEST(field(u2_push[0], "text").find("v2:") == 0u);
  BOOST_TEST(!(u1_push.empty() && u2_push.empty()), "neither instance reached its push");

  // Deploying the same text again changes nothing.
  BOOST_TEST(w.deploy_all().find("abandoned_cart: version 2 (unchanged)") != std::string::npos);
  v = versions_of(w.client().get("/v1/scenarios"));
  BOOST_TEST(v.size() == 2u);
}

// 5. Bad requests of every kind get a 4xx with a JSON error naming the problem.
BOOST_AUTO_TEST_CASE(bad_requests) {
  World w("bad");
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  Client c = w.client();

  // JSON syntax: line and column.
  Reply r = c.post("/v1/events", "{\"recipient\": \"u1\",\n \"event\": }");
  check_error_shape(r, 400, "bad JSON");
  {
    const auto e = r.json().as_object().at("error").as_object();
    BOOST_TEST(e.contains("line"), r.body);
    BOOST_TEST(e.contains("column"), r.body);
    if (e.contains("line")) BOOST_TEST(e.at("line").to_number<int>() == 2, r.body);
  }

  // A field of the wrong type: a JSON pointer to it.
  r = c.post("/v1/events", R"({"recipient":"u1","event":"card_transaction","data":{"amount":"lots","merchant":"x","card_last4":"1"}})");
  check_error_shape(r, 400, "wrong field type");
  BOOST_TEST(field(r.json().as_object().at("error").as_object(), "pointer") == "/data/amount", r.body);
  r = c.post("/v1/events", R"({"recipient":17,"event":"app_opened"})");
  check_error_shape(r, 400, "recipient a number");
  BOOST_TEST(field(r.json().as_object().at("error").as_object(), "pointer") == "/recipient", r.body);

  // An unknown event, named in the message.
  r = c.post("/v1/events", R"({"recipient":"u1","event":"no_such_event"})");
  check_error_shape(r, 400, "unknown event");
  BOOST_TEST(r.body.find("no_such_event") != std::string::npos, r.body);

  // An unknown status word.
  r = c.post("/v1/status", R"({"message":"m1","status":"exploded"})");
  BOOST_TEST((r.status >= 400 && r.status < 500), "unknown status word: " << r.status << " " << r.body);

  // Too large: a 2 MiB profile (request bodies: 1 MiB), a 17 MiB batch (batches: 16 MiB), a
  // batch of 10,001 lines (10,000). (/v1/events takes 16 MiB for a single object too — the
  // daemon sizes limits by route, not by body type.)
  r = c.put("/v1/profiles/u1", R"({"id":"u1","first_name":")" + std::string(2u << 20, 'x') + "\"}");
  check_error_shape(r, 413, "2 MiB profile");
  std::string huge;
  const std::string padded_line =
      R"({"recipient":"u1","event":"app_opened","data":{},"id":")" + std::string(4000, 'p') + "\"}\n";
  while (huge.size() <= (17u << 20) - padded_line.size()) huge += padded_line;
  r = c.post("/v1/events", huge, "application/x-ndjson");
  check_error_shape(r, 413, "17 MiB batch");
  std::string many;
  for (int i = 0; i < 10001; ++i) many += R"({"recipient":"u1","event":"app_opened"})" "\n";
  r = c.post("/v1/events", many, "application/x-ndjson");
  check_error_shape(r, 413, "10,001 lines");

  // Wrong content type, unknown route, wrong method.
  r = c.post("/v1/events", R"({"recipient":"u1","event":"app_opened"})", "text/plain");
  check_error_shape(r, 415, "text/plain");
  r = c.get("/v1/nothing-here");
  check_error_shape(r, 404, "unknown route");
  r = c.get("/v1/events");
  check_error_shape(r, 405, "GET /v1/events");
  r = c.request(bhttp::verb::delete_, "/v1/clock", "", c.options());
  check_error_shape(r, 405, "DELETE /v1/clock");

  // PUT a profile whose id is not the path's.
  r = c.put("/v1/profiles/u1", R"({"id":"u2","ltv":1})");
  BOOST_TEST((r.status >= 400 && r.status < 500), "PUT /v1/profiles/u1 with id u2: " << r.status << " " << r.body);

  // Deploy without the token: 401; garbage instead of a .cbc: 400.
  Client anonymous(w.daemon->port(), "");
  r = anonymous.post("/v1/scenarios", "CBC?", "application/octet-stream");
  check_error_shape(r, 401, "deploy without token");
  r = c.post("/v1/scenarios", std::string("\x00\x01garbage, not a module\xff", 24), "application/octet-stream");
  check_error_shape(r, 400, "garbage .cbc");
  r = anonymous.post("/v1/scenarios/vip_sale/broadcast", "{}");
  check_error_shape(r, 401, "broadcast without token");

  // An unknown recipient is not a request error (contract): 202.
  r = c.post("/v1/events", R"({"recipient":"nobody","event":"app_opened"})");
  BOOST_TEST(r.status == 202, r.body);
  BOOST_TEST(c.get("/v1/recipients/nobody").status == 404);

  // The daemon is still healthy after all of it.
  BOOST_TEST(c.get("/healthz").status == 200);

  // /metrics passes promtool.
  r = c.get("/metrics");
  BOOST_TEST_REQUIRE(r.status == 200);
  BOOST_TEST(r.body.find("cascade_inputs_total") != std::string::npos);
  if (ctest::run_process({"/bin/sh", "-c", "command -v promtool"}).exit_code != 0) {
    BOOST_TEST_MESSAGE("promtool not installed (Debian package prometheus): metrics not checked");
  } else {
    ctest::ProcessOptions po;
    po.input = r.body;
    const auto p = ctest::run_process({"/bin/sh", "-c", "promtool check metrics"}, po);
    BOOST_TEST(p.exit_code == 0, "promtool check metrics:\n" << p.out << p.err);
  }
}

// 5a. An NDJSON batch with good and bad lines: the good accepted, the bad reported by line
// (contract: "a batch with bad lines accepts the good ones and reports the bad ones by line").
BOOST_AUTO_TEST_CASE(ndjson_batch_accepts_good_lines_and_reports_bad_ones_by_line) {
  World w("batch");
  w.deploy_all();
  w.put_profile(World::example_profile("u1"));
  Client c = w.client();
  Reply r;
  // A batch with good and bad lines: the good accepted, the bad reported by line.
  const std::string batch =
      R"({"recipient":"u1","event":"app_opened","id":"b-1"})"
      "\n"
      R"({"recipient":"u1","event":"nope"})"
      "\n"
      R"({"recipient":"u1","event":"app_opened","id":"b-3"})"
      "\n"
      "{not json\n";
  r = c.post("/v1/events", batch, "application/x-ndjson");
  BOOST_TEST(r.status == 202, "a batch of 2 good and 2 bad lines: " << r.status << " " << r.body);
  if (r.status == 202) {
    const auto o = r.json().as_object();
    BOOST_TEST(o.at("accepted").to_number<int>() == 2, r.body);
    BOOST_TEST(o.at("rejected").to_number<int>() == 2, r.body);
    const auto& results = o.at("results").as_array();
    BOOST_TEST_REQUIRE(results.size() == 4u, r.body);
    BOOST_TEST(results[0].as_object().contains("seq"));
    BOOST_TEST(results[1].as_object().at("line").to_number<int>() == 2);
    BOOST_TEST(results[1].as_object().contains("error"));
    BOOST_TEST(results[1].as_object().at("error").as_object().at("line").to_number<int>() == 2);
    BOOST_TEST(results[2].as_object().contains("seq"));
    BOOST_TEST(results[3].as_object().at("line").to_number<int>() == 4);
    BOOST_TEST(results[3].as_object().contains("error"));
  }
  // The same ids again: acknowledged as duplicates, not applied twice.
  r = c.post("/v1/events", R"({"recipient":"u1","event":"app_opened","id":"b-1"})");
  BOOST_TEST(r.status == 202, r.body);
  BOOST_TEST((r.json().is_object() && r.json().as_object().contains("duplicate") &&
              r.json().at("duplicate") == json::value(true)),
             r.body);
  // A batch of bad lines only: 400.
  r = c.post("/v1/events", "{\"recipient\":\"u1\",\"event\":\"nope\"}\n[1]\n", "application/x-ndjson");
  BOOST_TEST(r.status == 400, r.body);

}

// 5b. A daemon on the real clock refuses /v1/clock (409 not_virtual_clock); one without a
// token refuses deploy even on loopback (401 token_not_configured).
BOOST_AUTO_TEST_CASE(real_clock_and_no_token) {
  World w("realclock", "", std::nullopt);
  Client c = w.client();
  Reply r = c.post_json("/v1/clock", json::object{{"at", "2030-01-01T00:00:00Z"}});
  check_error_shape(r, 409, "POST /v1/clock on the real clock");
  BOOST_TEST(error_code(r) == "not_virtual_clock", r.body);
  r = c.get("/v1/clock");
  BOOST_TEST(r.status == 200, r.body);
  BOOST_TEST((r.json().is_object() && r.json().at("virtual") == json::value(false)), r.body);
  BOOST_TEST(w.daemon->stop() == 0);

  DaemonOptions o = w.daemon->options();
  o.env["CASCADE_TOKEN"] = std::nullopt;
  o.data = w.dir / "data-no-token";
  Daemon d(o);
  // CASCADE_TOKEN is set by Daemon::start; the unset above wins (applied after it).
  BOOST_TEST_REQUIRE(d.start().empty(), d.log_tail());
  Client anonymous(d.port(), "");
  r = anonymous.post("/v1/scenarios", "x", "application/octet-stream");
  check_error_shape(r, 401, "deploy with no token configured");
  BOOST_TEST(error_code(r) == "token_not_configured", r.body);
  BOOST_TEST(d.stop() == 0);
  check_log_clean(d);
}
