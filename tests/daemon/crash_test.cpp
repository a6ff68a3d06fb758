// THE crash test of `cascade serve`: under a steady load of events from two client threads, the
// daemon is killed with SIGKILL at random instants (CASCADE_CRASH_ROUNDS times, default 50),
// restarted on the same --data each time, and at the end the promises of the contract are
// checked against what the client was told and what the webhook receiver saw:
//
// * every acknowledged event was applied, once: each event carries a unique "id" and a unique
//   merchant name, so its card_txn push (whose text shows the merchant) names it. A request
//   that got no answer is re-sent with the same id until it is acknowledged (possibly as a
//   duplicate, when the first try had committed before the kill) — so every acknowledged id
//   must show exactly one push, never two (de-duplication survives crashes), and an id still
//   in flight at the end at most one.
// * no instance was lost: every instance started ends (the clock is moved past every wait at
//   the end), and GET /v1/scenarios counts no live instance.
// * no idempotency key reached the receiver as two different deliveries. A key CAN arrive twice:
//   the receiver took the request but the daemon was killed before it committed the
//   acknowledgement, and after the restart it re-sends the row with the SAME key (a real
//   provider de-duplicates on it). What must never happen, and is asserted: a message id sent
//   under two keys (a re-created message), a key with two different bodies, a key that is not
//   "<store id>:<message id>" with one store id throughout, and a send of the trace that never
//   reached the receiver.
//
// The checks run on both views the daemon gives: DATA/trace.jsonl (read after a clean stop) and
// the recipients' history (GET /v1/recipients/{id}).
#define BOOST_TEST_MODULE daemon_crash_tests
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "world.hpp"

using namespace cascade::daemon_test;
namespace json = boost::json;
namespace ctest = cascade::test;

namespace {

constexpr int kRecipients = 16;

std::string recipient_of(int n) { return "c" + std::to_string(n % kRecipients); }

// A minute of virtual time after kStart, as RFC 3339.
std::string minute(int m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "2026-03-%02dT%02d:%02d:00Z", 2 + (8 * 60 + m) / (24 * 60),
                ((8 * 60 + m) / 60) % 24, m % 60);
  return buf;
}

int rounds_from_env() {
  const char* v = std::getenv("CASCADE_CRASH_ROUNDS");
  if (v == nullptr || *v == '\0') return 50;
  const int n = std::atoi(v);
  return n > 0 ? n : 50;
}

// The load: two client threads. One sends single events e0, e1, … one at a time, each re-sent
// with its id until it gets a 202, and every 20 acknowledged events moves the virtual clock one
// minute on; the other sends NDJSON batches of 8 events (b0…b7, b8…), each batch re-sent whole
// until it is answered, so a batch's lines are acknowledged together by one group commit.
struct Load {
  std::atomic<unsigned short> port{0};
  std::atomic<bool> stop{false};
  mutable std::mutex mutex;
  std::set<std::string> acked;      // event ids that got a 202 (for a batch: their line's seq)
  std::set<std::string> in_flight;  // sent, not yet acknowledged (at the end: never answered)
  int acked_as_duplicate = 0;       // … answered "duplicate": a try before a kill had committed
  int failed_requests = 0;          // no answer or not 202 (killed, restoring)
  int minutes = 0;                  // the clock acknowledged so far, in minutes after kStart
  std::vector<std::string> odd;     // answers that are neither 202 nor a dead daemon's

  static json::object event(const std::string& id, int n) {
    return {{"recipient", recipient_of(n)},
            {"event", "card_transaction"},
            {"id", id},
            {"data", {{"amount", 100}, {"merchant", id}, {"card_last4", "0001"}}}};
  }

  void singles() {
    int next = 0, since_clock = 0;
    while (!stop) {
      const unsigned short p = port;
      if (p == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      const Client c(p, kToken);
      if (since_clock >= 20) {
        const Reply r = c.post_json("/v1/clock", json::object{{"at", minute(minutes + 1)}});
        if (r.status == 200) {
          std::lock_guard lock(mutex);
          ++minutes;
          since_clock = 0;
        } else {
          note_failure(r);
        }
        continue;
      }
      const std::string id = "e" + std::to_string(next);
      {
        std::lock_guard lock(mutex);
        in_flight.insert(id);
      }
      const Reply r = c.post_json("/v1/events", event(id, next));
      if (r.status == 202) {
        const json::value v = r.json();
        std::lock_guard lock(mutex);
        in_flight.erase(id);
        acked.insert(id);
        if (v.is_object() && v.as_object().contains("duplicate") && v.at("duplicate") == json::value(true))
          ++acked_as_duplicate;
        ++next;
        ++since_clock;
      } else {
        note_failure(r);
      }
    }
  }

  void batches() {
    constexpr int kBatch = 8;
    int first = 0;
    while (!stop) {
      const unsigned short p = port;
      if (p == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      std::string body;
      std::vector<std::string> ids;
      for (int i = first; i < first + kBatch; ++i) {
        ids.push_back("b" + std::to_string(i));
        body += json::serialize(event(ids.back(), i)) + "\n";
      }
      {
        std::lock_guard lock(mutex);
        in_flight.insert(ids.begin(), ids.end());
      }
      const Reply r = Client(p, kToken).post("/v1/events", body, "application/x-ndjson");
      if (r.status != 202) {
        note_failure(r);
        continue;
      }
      const json::value v = r.json();
      std::lock_guard lock(mutex);
      const auto* results = v.is_object() ? v.as_object().if_contains("results") : nullptr;
      if (results == nullptr || !results->is_array() || results->as_array().size() != ids.size()) {
        odd.push_back("batch answer without a result per line: " + r.body);
        continue;
      }
      for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto& line = results->as_array()[i].as_object();
        if (!line.contains("seq")) {
          odd.push_back("a good line was not accepted: " + r.body);
          continue;
        }
        in_flight.erase(ids[i]);
        acked.insert(ids[i]);
        if (line.contains("duplicate") && line.at("duplicate") == json::value(true)) ++acked_as_duplicate;
      }
      first += kBatch;
      // A breath between batches: the load stays steady without making the end (every send
      // delivered, every history read) slow on two cores under the sanitizers.
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  }

  void note_failure(const Reply& r) {
    {
      std::lock_guard lock(mutex);
      ++failed_requests;
      // A killed daemon gives no answer; a restoring one may say 503. Anything else is a bug.
      if (r.status != 0 && r.status != 503 && odd.size() < 20) odd.push_back(std::to_string(r.status) + " " + r.body);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
};

struct Counts {
  std::size_t records = 0, sends = 0, starts = 0, ends = 0, repeated_records = 0;
};

// The checks on one view of the daemon's records (the trace, or the recipients' history).
// `sent` collects the message ids of every send.
Counts check_records(const std::vector<json::object>& records, const std::string& view, const Load& load,
                     std::set<std::string>& sent) {
  Counts counts;
  counts.records = records.size();
  std::map<std::string, std::string> send_record;  // message id → its record, serialized
  std::map<std::string, std::set<std::string>> push_of_event;  // "e17" → push message ids
  std::set<std::string> started, ended;
  std::map<std::string, std::string> start_record;
  const std::regex merchant(R"(, ([eb]\d+)\n)");
  for (const auto& o : records) {
    const std::string action = field(o, "action");
    const std::string text = json::serialize(o);
    if (action == "send") {
      const std::string id = field(o, "message");
      auto [it, fresh] = send_record.emplace(id, text);
      if (!fresh) {
        // Only the very same record may show twice (a replay writing what it wrote before);
        // another record under the same message id would be a re-created message.
        BOOST_TEST(it->second == text, view << ": message " << id << " sent twice differently:\n"
                                            << it->second << "\n" << text);
        ++counts.repeated_records;
        continue;
      }
      sent.insert(id);
      std::smatch m;
      const std::string body = field(o, "text");
      if (field(o, "channel") == "push" && std::regex_search(body, m, merchant)) push_of_event[m[1]].insert(id);
    } else if (action == "start") {
      const std::string inst = field(o, "instance");
      auto [it, fresh] = start_record.emplace(inst, text);
      if (!fresh) {
        BOOST_TEST(it->second == text, view << ": instance " << inst << " started twice differently");
        ++counts.repeated_records;
        continue;
      }
      started.insert(inst);
    } else if (action == "end") {
      ended.insert(field(o, "instance"));
    }
  }
  counts.sends = send_record.size();
  counts.starts = started.size();
  counts.ends = ended.size();

  // Every acknowledged event: exactly one push. The one id possibly in flight: at most one.
  std::size_t missing = 0, doubled = 0;
  for (const auto& id : load.acked) {
    const auto it = push_of_event.find(id);
    const std::size_t k = it == push_of_event.end() ? 0 : it->second.size();
    if (k == 0 && ++missing <= 5) BOOST_ERROR(view << ": acknowledged event " << id << " was not applied");
    if (k > 1 && ++doubled <= 5) BOOST_ERROR(view << ": event " << id << " was applied " << k << " times");
  }
  BOOST_TEST(missing == 0u, view << ": acknowledged events not applied: " << missing);
  BOOST_TEST(doubled == 0u, view << ": events applied more than once: " << doubled);
  for (const auto& [event, ids] : push_of_event) {
    BOOST_TEST((load.acked.count(event) || load.in_flight.count(event)), view << ": " << event << " applied but never sent");
    BOOST_TEST(ids.size() == 1u, view << ": " << event << " has " << ids.size() << " pushes");
  }

  // No instance lost: each started instance ended (every wait is over by the final clock).
  std::size_t lost = 0;
  for (const auto& inst : started)
    if (!ended.count(inst) && ++lost <= 5) BOOST_ERROR(view << ": instance " << inst << " started and never ended");
  BOOST_TEST(lost == 0u, view << ": instances without an end: " << lost);
  BOOST_TEST(counts.ends <= counts.starts, view << ": more ends than starts");
  return counts;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kill_9_under_load) {
  const int rounds = rounds_from_env();
  const fs::path dir = ctest::temp_dir("daemon", "crash");
  const fs::path project = dir / "project";
  ::test::Receiver receiver;
  // A little handling time widens the window in which the receiver has a request the daemon
  // has not yet recorded as acknowledged: a kill then must lead to a re-send with the same key.
  receiver.handling_time(std::chrono::milliseconds(3));
  make_project(project, receiver.url(), "", {"card_transaction.cascade"});
  // The example caps (3 messages a day) would turn most pushes into `capped` skips; every event
  // must show its push, whose text names the event.
  {
    std::string yaml = ctest::slurp(project / "cascade.yaml");
    yaml = std::regex_replace(yaml, std::regex(R"("\d+ per 1d")"), "\"1000000 per 1d\"");
    std::ofstream(project / "cascade.yaml") << yaml;
  }
  DaemonOptions o;
  o.project = project;
  o.data = dir / "data";
  o.log = dir / "daemon.log";
  o.env = provider_secrets();
  // Frequent snapshots, so that kills also land while one is written and restarts restore a
  // snapshot and replay the tail after it, not just the whole log.
  o.extra_args = {"--snapshot-every", "64"};
  Daemon daemon(o);

  // Set-up, before any kill: the scenario and the recipients (cloned from u1, who has a push
  // token and every consent; an event for a recipient without a profile would be skipped).
  BOOST_TEST_REQUIRE(daemon.start().empty(), daemon.log_tail());
  const DeployResult dr = deploy(project, daemon);
  BOOST_TEST_REQUIRE(dr.ok, dr.detail);
  std::string profiles;
  json::object u1 = World::example_profile("u1");
  for (int i = 0; i < kRecipients; ++i) {
    u1["id"] = "c" + std::to_string(i);
    profiles += json::serialize(u1) + "\n";
  }
  const Reply pr = daemon.client().post("/v1/profiles", profiles, "application/x-ndjson");
  BOOST_TEST_REQUIRE(pr.status == 202, pr.status << " " << pr.body);

  Load load;
  load.port = daemon.port();
  std::thread singles([&] { load.singles(); });
  std::thread batches([&] { load.batches(); });
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(0, 300);
  const auto t0 = std::chrono::steady_clock::now();
  std::string failure;
  int early_kills = 0;
  for (int round = 0; round < rounds && failure.empty(); ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    load.port = 0;
    daemon.kill9();
    // Every fifth round the next kill comes a few milliseconds after the spawn: during the
    // restore (replay, snapshot load) or the outbox re-dispatch. The others wait for the port
    // but not for /readyz, and give the load a random while.
    if (round % 5 == 4) {
      failure = daemon.start(Daemon::Wait::spawned);
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng) / 10));
      daemon.kill9();
      ++early_kills;
    }
    if (failure.empty()) failure = daemon.start(Daemon::Wait::port);
    load.port = daemon.port();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  load.stop = true;
  singles.join();
  batches.join();
  BOOST_TEST_REQUIRE(failure.empty(), "a restart failed: " << failure);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The end: one more kill and a restart, then every wait ends (the clock a day on), and the
  // outbox drains.
  daemon.kill9();
  BOOST_TEST_REQUIRE(daemon.start().empty(), daemon.log_tail());
  Client c = daemon.client();
  const Reply clock = c.post_json("/v1/clock", json::object{{"at", "2026-03-04T00:00:00Z"}});
  BOOST_TEST_REQUIRE(clock.status == 200, clock.status << " " << clock.body);
  // Drained when every send the recipients' history shows has reached the receiver; then the
  // outbox must say the same (cascade_outbox{state="pending"} 0).
  auto history_sends = [&] {
    std::set<std::string> ids;
    for (int i = 0; i < kRecipients; ++i) {
      const Reply r = c.get("/v1/recipients/c" + std::to_string(i));
      if (r.status != 200) return std::set<std::string>{"?"};
      const json::value rec = r.json();
      for (const auto& h : rec.at("history").as_array())
        if (field(h.as_object(), "action") == "send") ids.insert(field(h.as_object(), "message"));
    }
    return ids;
  };
  auto received_ids = [&] {
    std::set<std::string> ids;
    for (const auto& r : receiver.requests()) ids.insert(field(json::parse(r.body).as_object(), "id"));
    return ids;
  };
  std::size_t waiting_for = 0;
  const bool drained = eventually(
      [&] {
        const auto sent = history_sends();
        const auto got = received_ids();
        waiting_for = 0;
        for (const auto& id : sent) waiting_for += got.count(id) ? 0 : 1;
        return waiting_for == 0;
      },
      std::chrono::seconds(120), std::chrono::milliseconds(250));  // each poll reads every history
  BOOST_TEST(drained, waiting_for << " sends never reached the receiver");
  {
    // Then the outbox must agree: no row left pending. The gauge is "as of the last applied
    // batch" (its HELP), so an idle daemon still shows the rows pending at that batch; one more
    // input (the clock a second on) refreshes it.
    const std::regex pending(R"((^|\n)cascade_outbox\{state="pending"\} (\d+))");
    auto pending_now = [&] {
      const std::string metrics = c.get("/metrics").body;
      std::smatch m;
      return std::regex_search(metrics, m, pending) ? m[2].str() : std::string("absent");
    };
    const std::string before = pending_now();
    const Reply tick = c.post_json("/v1/clock", json::object{{"at", "2026-03-04T00:00:01Z"}});
    BOOST_TEST_REQUIRE(tick.status == 200, tick.body);
    std::string after;
    BOOST_TEST(eventually([&] { return (after = pending_now()) == "0"; }),
               "cascade_outbox{state=\"pending\"} is " << after << " although every send was delivered");
    std::cout << "outbox gauge when everything was delivered: pending " << before << " before one more input, "
              << after << " after it" << std::endl;
  }

  const Reply sc = c.get("/v1/scenarios");
  BOOST_TEST_REQUIRE(sc.status == 200, sc.body);
  const json::value scenarios = sc.json();
  for (const auto& s : scenarios.at("scenarios").as_array())
    for (const auto& v : s.at("versions").as_array())
      BOOST_TEST(v.at("live").to_number<int>() == 0, "live instances left: " << sc.body);

  // View 1: the recipients' history.
  std::vector<json::object> history;
  for (int i = 0; i < kRecipients; ++i) {
    const Reply r = c.get("/v1/recipients/c" + std::to_string(i));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    const json::value rec = r.json();  // kept: a range-for over a temporary's member dangles
    for (const auto& h : rec.at("history").as_array()) history.push_back(h.as_object());
  }
  BOOST_TEST_REQUIRE(daemon.stop() == 0, "SIGTERM did not exit 0: " << daemon.log_tail());
  check_log_clean(daemon);

  std::set<std::string> sent_history, sent_trace;
  const Counts ch = check_records(history, "history", load, sent_history);
  // View 2: DATA/trace.jsonl after the clean stop.
  const Counts ct = check_records(read_jsonl(daemon.trace_path()), "trace.jsonl", load, sent_trace);
  BOOST_TEST((sent_history == sent_trace), "the history and the trace disagree on the sends: "
                                               << sent_history.size() << " vs " << sent_trace.size());

  // The receiver's side.
  std::map<std::string, std::set<std::string>> bodies_of_key, keys_of_message;
  std::map<std::string, int> requests_of_key;
  std::set<std::string> store_ids;
  for (const auto& r : receiver.requests()) {
    const json::value b = json::parse(r.body);
    const std::string id = field(b.as_object(), "id");
    bodies_of_key[r.key].insert(r.body);
    keys_of_message[id].insert(r.key);
    ++requests_of_key[r.key];
    const auto colon = r.key.rfind(':');
    BOOST_TEST((colon != std::string::npos && r.key.substr(colon + 1) == id),
               "key " << r.key << " does not end in its message id " << id);
    if (colon != std::string::npos) store_ids.insert(r.key.substr(0, colon));
  }
  BOOST_TEST(store_ids.size() == 1u, "idempotency keys under " << store_ids.size() << " store ids");
  std::size_t resent = 0;
  for (const auto& [key, bodies] : bodies_of_key) {
    BOOST_TEST(bodies.size() == 1u, "key " << key << " came with " << bodies.size() << " different bodies");
    if (requests_of_key[key] > 1) ++resent;
  }
  for (const auto& [id, keys] : keys_of_message)
    BOOST_TEST(keys.size() == 1u, "message " << id << " came under " << keys.size() << " keys");
  std::size_t never_received = 0;
  for (const auto& id : sent_trace)
    if (!keys_of_message.count(id) && ++never_received <= 5) BOOST_ERROR("message " << id << " never reached the receiver");
  BOOST_TEST(never_received == 0u);
  for (const auto& [id, keys] : keys_of_message)
    BOOST_TEST(sent_trace.count(id) == 1u, "the receiver got " << id << ", which the trace never sent");

  BOOST_TEST(load.acked.size() >= static_cast<std::size_t>(rounds), "too little load: the test proves little");
  BOOST_TEST(load.odd.empty(), "unexpected answers under load, first: " << (load.odd.empty() ? "" : load.odd[0]));
  std::cout << "daemon crash test: " << rounds << " kill -9 rounds under load + " << early_kills
            << " kills during a start, in " << seconds << " s (" << daemon.starts() << " starts); events acknowledged " << load.acked.size() << " (" << load.acked_as_duplicate
            << " of them as duplicates of a try committed before a kill), requests without an answer "
            << load.failed_requests << ", clock advances " << load.minutes << "; trace records " << ct.records
            << " (repeated " << ct.repeated_records << "), history records " << ch.records << "; instances "
            << ct.starts << " started, " << ct.ends << " ended; sends " << ct.sends << "; receiver requests "
            << receiver.requests().size() << ", keys " << bodies_of_key.size() << ", re-sent with the same key "
            << resent << std::endl;
  remove_if_passed(dir);
}
