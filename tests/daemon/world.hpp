// One test's world: a scratch folder, the test's own webhook receiver (tests/providers'
// receiver: records every request's Idempotency-Key and body, answers as scripted), a copy of
// the example project pointing at it, and `cascade serve` on that project — plus the small
// verbs the cases are written in (advance the clock, post an event, read a recipient, wait).
#pragma once

#include <boost/json.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../golden/test_files.hpp"
#include "../providers/receiver.hpp"
#include "client.hpp"
#include "daemon_process.hpp"
#include "project.hpp"

namespace cascade::daemon_test {

namespace json = boost::json;

// No AddressSanitizer, LeakSanitizer or UBSan report in the daemon's log.
inline void check_log_clean(const Daemon& d) {
  const std::string log = test::slurp(d.options().log);
  for (const char* mark : {"AddressSanitizer", "LeakSanitizer", "runtime error:"}) {
    const auto at = log.find(mark);
    if (at != std::string::npos)
      BOOST_ERROR("sanitizer report in the daemon's log: " << log.substr(at >= 200 ? at - 200 : 0, 3000));
  }
}

// A test's scratch folder is removed when the test passed (the crash test's holds tens of MB);
// kept, with the daemon's log and data, when it failed.
inline void remove_if_passed(const fs::path& dir) {
  namespace utf = boost::unit_test;
  if (utf::results_collector.results(utf::framework::current_test_case().p_id).passed()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

struct World {
  fs::path dir, project, data;
  ::test::Receiver receiver;
  std::unique_ptr<Daemon> daemon;

  // `provider_extra` is added to every webhook provider's settings (see make_project).
  explicit World(const std::string& name, const std::string& provider_extra = "",
                 std::optional<std::string> virtual_clock = kStart) {
    dir = test::temp_dir("daemon", name);
    project = dir / "project";
    data = dir / "data";
    make_project(project, receiver.url(), provider_extra);
    DaemonOptions o;
    o.project = project;
    o.data = data;
    o.log = dir / "daemon.log";
    o.virtual_clock = std::move(virtual_clock);
    o.env = provider_secrets();
    daemon = std::make_unique<Daemon>(std::move(o));
    const std::string err = daemon->start();
    BOOST_TEST_REQUIRE(err.empty(), "cascade serve did not start: " << err);
  }
  // A daemon still running is stopped with SIGTERM, which must exit 0 (contract) — under the
  // sanitizers that is also where leaks are reported. Its log must hold no sanitizer report.
  ~World() {
    if (daemon->running()) {
      const int rc = daemon->stop();
      if (rc != 0) BOOST_ERROR("cascade serve exited " << rc << " on SIGTERM\n" << daemon->log_tail());
    }
    check_log_clean(*daemon);
    daemon.reset();
    receiver.stop();
    remove_if_passed(dir);
  }

  Client client() const { return daemon->client(); }

  // `cascade deploy` of the project; what it printed.
  std::string deploy_all() {
    const DeployResult r = deploy(project, *daemon);
    BOOST_TEST_REQUIRE(r.ok, "deploy failed: " << r.detail << "\n" << daemon->log_tail());
    return r.detail;
  }

  // POST /v1/clock; the answer comes after the advance is applied (contract).
  void advance(const std::string& at) {
    const Reply r = client().post_json("/v1/clock", json::object{{"at", at}});
    BOOST_TEST_REQUIRE(r.status == 200, "POST /v1/clock " << at << ": " << r.status << " " << r.body << r.error);
  }

  json::object post_event(const json::value& v) {
    const Reply r = client().post_json("/v1/events", v);
    BOOST_TEST_REQUIRE(r.status == 202, "POST /v1/events " << json::serialize(v) << ": " << r.status << " "
                                                            << r.body << r.error);
    return r.json().as_object();
  }

  void put_profile(const json::object& p) {
    const Reply r = client().put("/v1/profiles/" + std::string(p.at("id").as_string()), json::serialize(p));
    BOOST_TEST_REQUIRE(r.status == 202, "PUT profile: " << r.status << " " << r.body << r.error);
  }

  // The example profile of `id` (examples/profiles.jsonl).
  static json::object example_profile(const std::string& id) {
    for (const auto& line : lines_of(test::slurp(fs::path(CASCADE_SOURCE_DIR) / "examples/profiles.jsonl"))) {
      json::object p = json::parse(line).as_object();
      if (p.at("id").as_string() == id) return p;
    }
    BOOST_FAIL("no example profile " << id);
    return {};
  }

  // GET /v1/recipients/{id}: the answer's object (fails the test on anything but 200).
  json::object recipient(const std::string& id) const {
    const Reply r = client().get("/v1/recipients/" + id);
    BOOST_TEST_REQUIRE(r.status == 200, "GET /v1/recipients/" << id << ": " << r.status << " " << r.body << r.error);
    json::value v = r.json();
    BOOST_TEST_REQUIRE(v.is_object(), "not a JSON object: " << r.body);
    return v.as_object();
  }

  // The recipient's history records with this action (and, when given, this channel).
  std::vector<json::object> history(const std::string& id, const std::string& action,
                                    const std::string& channel = "") const {
    std::vector<json::object> out;
    const json::object rec = recipient(id);
    const auto* h = rec.if_contains("history");
    BOOST_TEST_REQUIRE((h && h->is_array()), "no history array in GET /v1/recipients/" << id);
    for (const auto& v : h->as_array()) {
      if (!v.is_object()) continue;
      const auto& o = v.as_object();
      if (field(o, "action") != action) continue;
      if (!channel.empty() && field(o, "channel") != channel) continue;
      out.push_back(o);
    }
    return out;
  }

  // The bodies the receiver got, parsed (a body that is not a JSON object fails the test).
  std::vector<json::object> received() const {
    std::vector<json::object> out;
    for (const auto& r : receiver.requests()) {
      boost::system::error_code ec;
      auto v = json::parse(r.body, ec);
      BOOST_TEST_REQUIRE((!ec && v.is_object()), "webhook body is not a JSON object: " << r.body);
      out.push_back(v.as_object());
    }
    return out;
  }
};

// Polls `done` every `every` until it holds or `limit` passes; the last result.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(30),
                       std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace cascade::daemon_test
